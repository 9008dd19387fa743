//! The capability probe: what a module and token are, whether every mechanism custody needs is
//! there with the right flags, whether the user can log in, whether a full domain-key and
//! data-key round trip works on a throwaway session key, which lock-down attributes the token
//! honours on it, and, given a manifest's key, whether the token's key is that key (its wrap
//! check value proven). It reports; it never changes the token (the probe key is a session
//! object destroyed before returning).

use cryptoki::mechanism::MechanismType;
use serde::Serialize;

use super::domain_key::{DomainKeyHandle, KeySelector, Persistence};
use super::error::{Error, Result};
use super::module::{Module, TokenDescription};
use super::session::{PinPrompt, TokenSession};
use super::uri::Pkcs11Uri;
use crate::primitives::key_identity::WrapCheck;
use crate::primitives::key_ref::KeyRef;
use crate::primitives::secret::DomainKey;

/// What the probe found.
#[derive(Debug, Serialize)]
pub struct ProbeReport {
    /// The module file.
    pub module_path: String,
    /// The library's own description of itself.
    pub library: String,
    /// The token.
    pub token: TokenDescription,
    /// Each mechanism custody needs.
    pub mechanisms: Vec<MechanismCheck>,
    /// Logging in as the user.
    pub login: Check,
    /// Import a throwaway domain key, make, wrap and unwrap a data key, destroy.
    pub round_trip: Check,
    /// Which lock-down attributes (CKA_COPYABLE, CKA_MODIFIABLE, CKA_ALLOWED_MECHANISMS) the
    /// token honours; informative: a token without them can still serve custody.
    pub lockdown: Check,
    /// The domain key a manifest names, found, checked and proven (`hsm probe --manifest`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain_key: Option<Check>,
}

/// One mechanism custody needs.
#[derive(Debug, Serialize)]
pub struct MechanismCheck {
    /// Its PKCS#11 name.
    pub name: &'static str,
    /// What custody uses it for.
    pub used_for: &'static str,
    /// Present with every flag custody needs.
    pub ok: bool,
    /// What is missing, when not ok.
    pub detail: String,
}

/// The outcome of one functional check.
#[derive(Debug, Serialize)]
pub struct Check {
    /// It worked.
    pub ok: bool,
    /// What happened, in words.
    pub detail: String,
    /// What to do about a failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<&'static str>,
}

impl ProbeReport {
    /// Whether the token can serve custody.
    pub fn ready(&self) -> bool {
        self.login.ok
            && self.round_trip.ok
            && self.mechanisms.iter().all(|m| m.ok)
            && self.domain_key.as_ref().is_none_or(|check| check.ok)
    }
}

/// Probes the token the URI names and, given one, proves the domain key `key` names against its
/// wrap check value. Fails outright only when the module or token cannot be found.
pub fn probe(
    uri: &Pkcs11Uri,
    prompt: PinPrompt<'_>,
    key: Option<(&KeyRef, &WrapCheck)>,
) -> Result<ProbeReport> {
    let module = Module::for_uri(uri)?;
    let (slot, token) = module.find_token(uri)?;
    let info = module
        .context
        .get_library_info()
        .map_err(Error::from_cryptoki("reading module information"))?;
    let version = info.library_version();
    let library = format!(
        "{} {} {}.{} (PKCS#11 {}.{})",
        info.manufacturer_id().trim_end(),
        info.library_description().trim_end(),
        version.major(),
        version.minor(),
        info.cryptoki_version().major(),
        info.cryptoki_version().minor()
    );
    let mechanisms = NEEDED
        .iter()
        .map(|needed| needed.check(&module, slot))
        .collect();
    let not_tried = || Check {
        ok: false,
        detail: "not tried: login failed".into(),
        hint: None,
    };
    let (login, round_trip, lockdown, domain_key) = match TokenSession::open(uri, prompt) {
        Ok(session) => (
            passed("logged in as user"),
            outcome(with_probe_key(&session, |kek| round_trip(&session, kek))),
            outcome(with_probe_key(&session, |kek| lockdown(&session, kek))),
            key.map(|(key_ref, wrap_check)| outcome(prove(&session, key_ref, wrap_check))),
        ),
        Err(e) => (
            failed(&e),
            not_tried(),
            not_tried(),
            key.map(|_| not_tried()),
        ),
    };
    Ok(ProbeReport {
        module_path: module.path().display().to_string(),
        library,
        token,
        mechanisms,
        login,
        round_trip,
        lockdown,
        domain_key,
    })
}

struct Needed {
    mechanism: MechanismType,
    name: &'static str,
    used_for: &'static str,
    generate: bool,
    wrap: bool,
}

const NEEDED: [Needed; 2] = [
    Needed {
        mechanism: MechanismType::AES_KEY_GEN,
        name: "CKM_AES_KEY_GEN",
        used_for: "generating per-archive data keys",
        generate: true,
        wrap: false,
    },
    Needed {
        mechanism: MechanismType::AES_KEY_WRAP,
        name: "CKM_AES_KEY_WRAP",
        used_for: "wrapping data keys under the domain key (RFC 3394)",
        generate: false,
        wrap: true,
    },
];

impl Needed {
    fn check(&self, module: &Module, slot: cryptoki::slot::Slot) -> MechanismCheck {
        let (ok, detail) = match module.context.get_mechanism_info(slot, self.mechanism) {
            Err(_) => (false, "not offered by the token".to_owned()),
            Ok(info) => {
                let mut missing = Vec::new();
                if self.generate && !info.generate() {
                    missing.push("CKF_GENERATE");
                }
                if self.wrap && !info.wrap() {
                    missing.push("CKF_WRAP");
                }
                if self.wrap && !info.unwrap() {
                    missing.push("CKF_UNWRAP");
                }
                if !(info.min_key_size()..=info.max_key_size()).contains(&32)
                    && !(info.min_key_size()..=info.max_key_size()).contains(&256)
                {
                    missing.push("256-bit keys");
                }
                (
                    missing.is_empty(),
                    if missing.is_empty() {
                        "present".into()
                    } else {
                        format!("lacks {}", missing.join(", "))
                    },
                )
            }
        };
        MechanismCheck {
            name: self.name,
            used_for: self.used_for,
            ok,
            detail,
        }
    }
}

/// Runs `probe` with a throwaway session domain key imported with custody's attributes, and
/// destroys the key whatever `probe` returned.
fn with_probe_key(
    session: &TokenSession,
    probe: impl FnOnce(&DomainKeyHandle) -> Result<String>,
) -> Result<String> {
    let mut seed = [0u8; 32];
    session.random(&mut seed)?;
    let key = DomainKey::from_bytes(&mut seed);
    let mut id = [0u8; 8];
    session.random(&mut id)?;
    let label = format!("custody-probe-{}", hex::encode(id));
    let kek = session.import_domain_key(&key, &label, &id, Persistence::Session)?;
    let result = probe(&kek);
    session.destroy_domain_key(kek)?;
    result
}

fn round_trip(session: &TokenSession, kek: &DomainKeyHandle) -> Result<String> {
    let (data_key, wrapped) = session.new_data_key(kek)?;
    let again = session.unwrap_data_key(kek, &wrapped)?;
    if data_key.expose() == again.expose() {
        Ok("session domain key imported with custody's attributes; data key generated, wrapped, unwrapped and matched; key destroyed".into())
    } else {
        Ok("MISMATCH: the unwrapped data key differs from the one generated".into())
    }
}

/// Names the lock-down attributes the token honours and those it does not.
fn lockdown(session: &TokenSession, kek: &DomainKeyHandle) -> Result<String> {
    let honoured = session.lockdown_honoured(kek)?;
    let names = |held: bool| {
        honoured
            .iter()
            .filter(|(_, h)| *h == held)
            .map(|(name, _)| *name)
            .collect::<Vec<_>>()
            .join(", ")
    };
    Ok(match (names(true), names(false)) {
        (yes, no) if no.is_empty() => {
            format!("{yes} honoured: the key cannot be copied, modified or used but to wrap")
        }
        (yes, no) if yes.is_empty() => {
            format!("{no} not supported: the key keeps only the protections of PKCS#11 v2.20")
        }
        (yes, no) => format!("{yes} honoured; {no} not supported"),
    })
}

/// Finds the domain key `key_ref` names, checks its protections and proves it.
fn prove(session: &TokenSession, key_ref: &KeyRef, wrap_check: &WrapCheck) -> Result<String> {
    let kek = session.find_domain_key(&KeySelector::domain_key(key_ref))?;
    session.prove_domain_key(&kek, wrap_check)?;
    Ok(format!(
        "{} is the manifest's key: its protections hold and its wrap check value matches",
        kek.selector()
    ))
}

fn outcome(result: Result<String>) -> Check {
    match result {
        Ok(detail) => Check {
            ok: !detail.starts_with("MISMATCH"),
            detail,
            hint: None,
        },
        Err(e) => failed(&e),
    }
}

fn passed(detail: &str) -> Check {
    Check {
        ok: true,
        detail: detail.into(),
        hint: None,
    }
}

fn failed(error: &Error) -> Check {
    Check {
        ok: false,
        detail: error.to_string(),
        hint: Some(error.hint()),
    }
}
