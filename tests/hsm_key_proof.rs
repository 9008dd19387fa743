//! Attacks by someone holding the token PIN on the domain key object (issue 12, attacks 2 and 6),
//! made through raw PKCS#11 on real SoftHSM tokens, and custody's answers through the binary:
//! - a key of known value planted under the domain key's label, id and attributes is refused by
//!   the wrap check proof at seal, open, verify, rotate and `hsm probe --manifest`;
//! - the key custody imports cannot be copied with CKA_DECRYPT nor given CKA_DECRYPT in place;
//! - a key without that lock-down (an older token, an older import), once copied with
//!   CKA_DECRYPT or given it in place, is refused naming the attribute, and so are two objects
//!   answering to one name;
//!
//! and in every refusal nothing is written: no archive, no output, no manifest change, no
//! journal, no new key.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod domain_fixture;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use common::{names_in, raw, TestToken};
use cryptoki::mechanism::MechanismType;
use cryptoki::object::{Attribute, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::Session;
use custody::archive::{ArchiveError, TokenKey};
use custody::ceremony::step::Step;
use custody::ceremony::transcript::Transcript;
use custody::hsm::{KeySelector, Persistence};
use custody::primitives::key_identity::WrapCheck;
use custody::primitives::secret::DomainKey;
use domain_fixture::{passphrase_text, Domain, OFFICIALS};

/// Children read the token files of this process's SoftHSM configuration: one test at a time.
static CHILDREN: Mutex<()> = Mutex::new(());

/// A domain whose key is on a token of its own, one archive sealed under it, and a work folder.
struct Estate {
    domain: Domain,
    token: TestToken,
    work: tempfile::TempDir,
    archive: PathBuf,
}

impl Estate {
    /// The domain key imported as custody imports it; `payload.bin` sealed through the binary.
    fn new() -> Self {
        let mut domain = Domain::new("ee-registries");
        let token = TestToken::new();
        domain.enrol(&token.session().token().serial, &token.label);
        let name = selector(&domain);
        token
            .session()
            .import_domain_key(
                &domain.key,
                name.label.as_deref().unwrap(),
                name.id.as_deref().unwrap(),
                Persistence::Token,
            )
            .unwrap();
        let work = tempfile::tempdir().unwrap();
        std::fs::create_dir(work.path().join("archives")).unwrap();
        std::fs::write(work.path().join("payload.bin"), b"population register").unwrap();
        let estate = Self {
            domain,
            token,
            work,
            archive: PathBuf::new(),
        };
        let archive = estate.path("archives/payload.custody");
        let run = estate.seal(&archive);
        assert!(
            run.ok,
            "sealing with the genuine key failed: {}",
            run.stderr
        );
        Self { archive, ..estate }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.work.path().join(name)
    }

    fn manifest(&self) -> String {
        self.domain.manifest_path().display().to_string()
    }

    fn custody(&self, args: &[&str]) -> Run {
        let output = Command::new(env!("CARGO_BIN_EXE_custody"))
            .env("SOFTHSM2_CONF", self.token.softhsm_conf())
            .args(args)
            .output()
            .unwrap();
        Run {
            ok: output.status.success(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    fn seal(&self, out: &Path) -> Run {
        let (manifest, uri) = (self.manifest(), self.token.uri.to_string());
        let input = self.path("payload.bin").display().to_string();
        let out = out.display().to_string();
        self.custody(&[
            "seal",
            "--manifest",
            &manifest,
            "--hsm",
            &uri,
            &input,
            "-o",
            &out,
        ])
    }

    fn open(&self, out: &Path) -> Run {
        let (uri, archive) = (
            self.token.uri.to_string(),
            self.archive.display().to_string(),
        );
        let out = out.display().to_string();
        self.custody(&["open", "--hsm", &uri, &archive, "-o", &out])
    }

    fn verify(&self) -> Run {
        let (uri, archive) = (
            self.token.uri.to_string(),
            self.archive.display().to_string(),
        );
        self.custody(&["verify", "--hsm", &uri, &archive])
    }

    fn probe(&self) -> Run {
        let (uri, manifest) = (self.token.uri.to_string(), self.manifest());
        self.custody(&["hsm", "probe", &uri, "--manifest", &manifest])
    }

    /// A transcript recording the genesis of the manifest in force, which rotate appends to.
    fn genesis_transcript(&self) {
        let officials: Vec<String> = OFFICIALS.iter().map(|(id, _, _)| (*id).into()).collect();
        let path = self.domain.dir.path().join("transcript.jsonl");
        let mut transcript = Transcript::create(&path).unwrap();
        transcript
            .append(Step::GenesisBegun {
                officials: officials.clone(),
                domain: "ee-registries".into(),
                threshold: domain_fixture::THRESHOLD,
            })
            .unwrap();
        transcript
            .append(Step::GenesisClosed {
                officials,
                manifest: self.domain.manifest.digest(),
            })
            .unwrap();
    }

    fn rotate(&self) -> Run {
        let pdir = self.path("pdir");
        std::fs::create_dir_all(&pdir).unwrap();
        for (id, _, _) in OFFICIALS {
            std::fs::write(pdir.join(format!("{id}.pass")), passphrase_text(id)).unwrap();
        }
        let (manifest, uri) = (self.manifest(), self.token.uri.to_string());
        let (pdir, archives) = (
            pdir.display().to_string(),
            self.path("archives").display().to_string(),
        );
        let shares: Vec<String> = OFFICIALS[..3]
            .iter()
            .map(|(id, _, _)| self.domain.share_path(id).display().to_string())
            .collect();
        let mut args = vec![
            "rotate",
            "--manifest",
            &manifest,
            "--hsm",
            &uri,
            "--passphrases",
            &pdir,
            "--archives",
            &archives,
        ];
        args.extend(shares.iter().map(String::as_str));
        args.extend(common::TINY_KDF);
        self.custody(&args)
    }

    /// The domain directory, the archives and the token's objects, to show nothing changed.
    fn state(&self, raw: &Session) -> (Vec<String>, Vec<u8>, Vec<u8>, usize) {
        (
            names_in(self.domain.dir.path()),
            std::fs::read(self.domain.manifest_path()).unwrap(),
            std::fs::read(&self.archive).unwrap(),
            raw.find_objects(&[Attribute::Class(ObjectClass::SECRET_KEY)])
                .unwrap()
                .len(),
        )
    }
}

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn selector(domain: &Domain) -> KeySelector {
    KeySelector::domain_key(domain.manifest.key_ref())
}

/// The domain key object the token holds under the manifest's name.
fn domain_key_object(raw: &Session, domain: &Domain) -> ObjectHandle {
    let name = selector(domain);
    let found = raw
        .find_objects(&[
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::Label(name.label.unwrap().into_bytes()),
        ])
        .unwrap();
    assert_eq!(found.len(), 1);
    found[0]
}

/// A key of value `value` under the domain key's name with custody's template; `locked` adds the
/// PKCS#11 v2.40 lock-down custody sets (a key without it is what an older token or import has).
fn plant(raw: &Session, domain: &Domain, value: [u8; 32], locked: bool) -> ObjectHandle {
    let name = selector(domain);
    let mut template = vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::AES),
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Wrap(true),
        Attribute::Unwrap(true),
        Attribute::Encrypt(false),
        Attribute::Decrypt(false),
        Attribute::Sign(false),
        Attribute::Verify(false),
        Attribute::Derive(false),
        Attribute::Label(name.label.unwrap().into_bytes()),
        Attribute::Id(name.id.unwrap()),
        Attribute::Value(value.to_vec()),
    ];
    if locked {
        template.extend([
            Attribute::Copyable(false),
            Attribute::Modifiable(false),
            Attribute::AllowedMechanisms(vec![MechanismType::AES_KEY_WRAP]),
        ]);
    }
    raw.create_object(&template).unwrap()
}

/// The one error and hint every use prints for a substituted key, pinned exactly.
fn assert_substitute_refused(run: &Run, estate: &Estate, about: &str) {
    assert!(!run.ok, "a substituted key was accepted: {}", run.stdout);
    let name = selector(&estate.domain);
    let expected = format!(
        "error: {about}token {}: key \"custody:ee-registries:e1\" (id {}) is not the domain key of ee-registries epoch 1: its wrap check value differs from the recorded one, so this token's key is not the domain's key\n\
         hint: do not use this token: someone holding its PIN may have replaced the key; check it with `custody hsm probe URI --manifest M` (opening an archive, a damaged header gives this too) and re-enrol it from a quorum (custody unlock); nothing was written\n",
        estate.token.label,
        hex::encode(name.id.unwrap()),
    );
    assert_eq!(run.stderr, expected);
}

/// Attack 2: the domain key replaced by a key of known value, same label, id and attributes.
#[test]
fn a_substituted_key_is_refused_at_every_use_and_nothing_is_written() {
    let _one = CHILDREN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let estate = Estate::new();
    estate.genesis_transcript();
    let raw = raw::session(&estate.token);
    raw.destroy_object(domain_key_object(&raw, &estate.domain))
        .unwrap();
    plant(&raw, &estate.domain, [0x5a; 32], true);
    let before = estate.state(&raw);

    let sealed = estate.path("archives/after.custody");
    assert_substitute_refused(&estate.seal(&sealed), &estate, "");
    assert!(!sealed.exists(), "seal left an archive");
    let opened = estate.path("opened.bin");
    let about = format!("{}: ", estate.archive.display());
    assert_substitute_refused(&estate.open(&opened), &estate, &about);
    assert!(!opened.exists(), "open left an output");
    assert_substitute_refused(&estate.verify(), &estate, &about);
    let rotated = estate.rotate();
    assert_substitute_refused(&rotated, &estate, "");
    let probe = estate.probe();
    assert!(!probe.ok);
    assert!(
        probe.stdout.contains("FAIL  domain key")
            && probe.stdout.contains("is not the domain's key"),
        "{}",
        probe.stdout
    );
    assert_eq!(estate.state(&raw), before, "a refusal changed something");

    // The library refuses it by type, before any wrap or unwrap.
    let session = estate.token.session();
    let error = TokenKey::find(
        &session,
        estate.domain.manifest.key_ref(),
        estate.domain.manifest.wrap_check(),
    )
    .unwrap_err();
    assert!(
        matches!(error, ArchiveError::NotTheDomainKey { .. }),
        "{error}"
    );
    assert!(!error.hint().is_empty());
}

/// The genuine key passes the same proof, and `hsm probe --manifest` says so.
#[test]
fn the_genuine_key_is_proven_and_probe_reports_it() {
    let _one = CHILDREN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let estate = Estate::new();
    let opened = estate.path("opened.bin");
    let run = estate.open(&opened);
    assert!(run.ok, "{}", run.stderr);
    assert_eq!(std::fs::read(&opened).unwrap(), b"population register");
    assert!(estate.verify().ok);
    let probe = estate.probe();
    assert!(probe.ok, "{}{}", probe.stdout, probe.stderr);
    assert!(
        probe.stdout.contains("ok    domain key")
            && probe.stdout.contains("is the manifest's key")
            && probe
                .stdout
                .contains("CKA_COPYABLE, CKA_MODIFIABLE, CKA_ALLOWED_MECHANISMS honoured"),
        "{}",
        probe.stdout
    );
}

/// Attack 6 on the key custody imports: the token itself refuses the copy and the edit.
#[test]
fn the_locked_down_key_cannot_be_copied_or_given_decrypt() {
    let estate = Estate::new();
    let raw = raw::session(&estate.token);
    let key = domain_key_object(&raw, &estate.domain);
    assert!(raw.copy_object(key, &[Attribute::Decrypt(true)]).is_err());
    assert!(raw.copy_object(key, &[]).is_err());
    assert!(raw
        .update_attributes(key, &[Attribute::Decrypt(true)])
        .is_err());
    assert!(raw
        .update_attributes(key, &[Attribute::Copyable(true)])
        .is_err());
    let attributes = raw
        .get_attributes(
            key,
            &[
                cryptoki::object::AttributeType::Decrypt,
                cryptoki::object::AttributeType::AllowedMechanisms,
            ],
        )
        .unwrap();
    assert!(attributes.contains(&Attribute::Decrypt(false)));
    assert!(attributes.contains(&Attribute::AllowedMechanisms(vec![
        MechanismType::AES_KEY_WRAP
    ])));
    assert_eq!(
        raw.find_objects(&[Attribute::Class(ObjectClass::SECRET_KEY)])
            .unwrap()
            .len(),
        1
    );
}

/// Attack 6 on a key without the lock-down: a copy with CKA_DECRYPT makes two objects of one
/// name (refused), the copy alone is refused naming the attribute, and so is the original given
/// CKA_DECRYPT in place; the key without lock-down is refused for it too.
#[test]
fn an_oracle_key_is_refused_naming_the_attribute() {
    let _one = CHILDREN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let estate = Estate::new();
    let raw = raw::session(&estate.token);
    raw.destroy_object(domain_key_object(&raw, &estate.domain))
        .unwrap();
    let mut genuine = [0u8; 32];
    genuine.copy_from_slice(estate.domain.key.expose());
    let original = plant(&raw, &estate.domain, genuine, false);
    let (label, id) = (
        &estate.token.label,
        hex::encode(selector(&estate.domain).id.unwrap()),
    );
    let key = format!("\"custody:ee-registries:e1\" (id {id})");
    let unsafe_key = |problems: &str| {
        format!(
            "error: token {label}: key {key} is not a safe domain key ({problems})\n\
             hint: custody uses only keys it imported itself; destroy this object and import the domain key again with custody\n"
        )
    };
    let refusal = |expected: &str| {
        let out = estate.path("refused.custody");
        let run = estate.seal(&out);
        assert!(!run.ok, "accepted: {}", run.stdout);
        assert_eq!(run.stderr, expected);
        assert!(!out.exists(), "seal left an archive");
    };
    let unlocked =
        "can be copied, can be modified, can be used with mechanisms other than CKM_AES_KEY_WRAP";
    refusal(&unsafe_key(unlocked));

    let copy = raw
        .copy_object(original, &[Attribute::Decrypt(true)])
        .unwrap();
    refusal(&format!(
        "error: token {label}: 2 keys answer to {key}\n\
         hint: name the key by both object= and id=, or remove the stray copies with the token's administration tool\n"
    ));
    raw.destroy_object(original).unwrap();
    let oracle = unsafe_key(&format!("can decrypt, {unlocked}"));
    refusal(&oracle);

    raw.destroy_object(copy).unwrap();
    let original = plant(&raw, &estate.domain, genuine, false);
    raw.update_attributes(original, &[Attribute::Decrypt(true)])
        .unwrap();
    refusal(&oracle);
    let archive = estate.archive.display();
    assert_eq!(
        estate.verify().stderr,
        format!("error: {archive}: {}", &oracle["error: ".len()..])
    );
    let opened = estate.path("opened.bin");
    assert!(!estate.open(&opened).ok);
    assert!(!opened.exists());
}

/// The proof is a wrap of the fixed public input: the token's wrap equals the software one.
#[test]
fn the_token_computes_the_wrap_check_value_custody_computes_in_software() {
    let token = TestToken::new();
    let session = token.session();
    let key = DomainKey::from_bytes(&mut [0x42; 32]);
    let handle = session
        .import_domain_key(&key, "custody:proof:e1", &[7; 16], Persistence::Session)
        .unwrap();
    session
        .prove_domain_key(&handle, &WrapCheck::of(&key))
        .unwrap();
    let other = WrapCheck::of(&DomainKey::from_bytes(&mut [0x43; 32]));
    let error = session.prove_domain_key(&handle, &other).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "token {}: key \"custody:proof:e1\" (id {}) is not the domain's key (its wrap check value differs from the one recorded)",
            token.label,
            hex::encode([7; 16])
        )
    );
}
