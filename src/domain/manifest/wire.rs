//! The manifest's JSON form, field for field, and the validation that turns it into a
//! [`Manifest`]. Deserialization is strict (unknown, missing and repeated fields are refused);
//! numbers are read as wide integers so an out-of-range value is named by its field here rather
//! than reported by serde as a bare type error. Every rule of the specification is checked in
//! [`validate`]; nothing else may construct a `Manifest` from outside data.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::tokens::{self, EnrolledToken};
use super::{
    ChainLink, Manifest, ManifestDigest, ManifestError, ManifestFields, ManifestProblem,
    OfficialEntry, RevokedSet, FORMAT, VERSION,
};
use crate::domain::identifier;
use crate::domain::official::{Official, OfficialId};
use crate::domain::timestamp::Timestamp;
use crate::primitives::domain_id::MAX_DOMAIN_LEN;
use crate::primitives::key_identity::{Kcv, KeyId, WrapCheck};
use crate::primitives::signature::{DomainFingerprint, Signature, VerifyingKey};
use crate::shares::sealed::SET_ID_LEN;
use crate::shares::VerifierSet;

/// Longest `tool_version`, in bytes.
const MAX_TOOL_VERSION_LEN: usize = 64;

/// The manifest exactly as in the file, in the order the pretty file lists it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ManifestJson {
    format: String,
    version: u64,
    domain: String,
    epoch: u64,
    set_id: String,
    threshold: u64,
    officials: Vec<OfficialJson>,
    verifier_set: String,
    key_id: String,
    kcv: String,
    wrap_check: String,
    created: String,
    tool_version: String,
    /// Omitted when no set was revoked, so one manifest has one JSON form (and manifests from
    /// before revocation existed keep their bytes and digest); present, it is never empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    revoked_sets: Option<Vec<RevokedSetJson>>,
    tokens: Vec<TokenJson>,
    chain_position: u64,
    /// Omitted at chain position 0, present at every other.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    previous: Option<String>,
    domain_fingerprint: String,
    verifying_key: String,
    signature: String,
}

/// The members outside the signed content: `signature`, and each official's `share_fingerprint`
/// (a reseal changes it without a quorum). The digest is computed over what remains.
pub(super) fn without_unsigned_members(mut value: Value) -> Value {
    if let Some(object) = value.as_object_mut() {
        object.remove("signature");
        if let Some(Value::Array(officials)) = object.get_mut("officials") {
            for official in officials.iter_mut().filter_map(Value::as_object_mut) {
                official.remove("share_fingerprint");
            }
        }
    }
    value
}

/// One entry of `revoked_sets`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokedSetJson {
    set_id: String,
    epoch: u64,
    revoked_at: String,
    reason: String,
}

/// One entry of `tokens`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenJson {
    serial: String,
    label: String,
    manufacturer: String,
    model: String,
    /// Omitted when the ceremony named no site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    site: Option<String>,
    enrolled: String,
}

impl From<&EnrolledToken> for TokenJson {
    fn from(token: &EnrolledToken) -> Self {
        Self {
            serial: token.serial().into(),
            label: token.label().into(),
            manufacturer: token.manufacturer().into(),
            model: token.model().into(),
            site: token.site().map(str::to_owned),
            enrolled: token.enrolled().to_string(),
        }
    }
}

/// One entry of `officials`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OfficialJson {
    id: String,
    name: String,
    role: String,
    share_id: u64,
    share_fingerprint: String,
}

impl From<&Manifest> for ManifestJson {
    fn from(manifest: &Manifest) -> Self {
        Self::new(
            &manifest.fields,
            &manifest.tool_version,
            hex::encode(manifest.signature.as_bytes()),
        )
    }
}

impl ManifestJson {
    /// The JSON form of `fields` with this tool version and signature (hex).
    pub(super) fn new(fields: &ManifestFields, tool_version: &str, signature: String) -> Self {
        let link = &fields.link;
        Self {
            format: FORMAT.into(),
            version: VERSION,
            domain: fields.domain.clone(),
            epoch: fields.epoch.into(),
            set_id: hex::encode(fields.set_id),
            threshold: fields.verifier_set.threshold().into(),
            officials: fields.officials.iter().map(OfficialJson::from).collect(),
            verifier_set: hex::encode(fields.verifier_set.to_bytes()),
            key_id: hex::encode(fields.key_id.as_bytes()),
            kcv: hex::encode(fields.kcv.as_bytes()),
            wrap_check: fields.wrap_check.to_string(),
            created: fields.created.to_string(),
            tool_version: tool_version.to_owned(),
            revoked_sets: (!fields.revoked_sets.is_empty()).then(|| {
                fields
                    .revoked_sets
                    .iter()
                    .map(RevokedSetJson::from)
                    .collect()
            }),
            tokens: fields.tokens.iter().map(TokenJson::from).collect(),
            chain_position: link.position,
            previous: link.previous.map(|digest| digest.to_string()),
            domain_fingerprint: link.domain_fingerprint.to_string(),
            verifying_key: hex::encode(link.verifying_key.as_bytes()),
            signature,
        }
    }
}

impl From<&RevokedSet> for RevokedSetJson {
    fn from(revoked: &RevokedSet) -> Self {
        Self {
            set_id: hex::encode(revoked.set_id()),
            epoch: revoked.epoch().into(),
            revoked_at: revoked.revoked_at().to_string(),
            reason: revoked.reason().to_owned(),
        }
    }
}

impl From<&OfficialEntry> for OfficialJson {
    fn from(entry: &OfficialEntry) -> Self {
        Self {
            id: entry.official.id().to_string(),
            name: entry.official.name().into(),
            role: entry.official.role().into(),
            share_id: entry.share_id.into(),
            share_fingerprint: entry.share_fingerprint.clone(),
        }
    }
}

/// Checks every rule and builds the manifest (its canonical bytes and digest included).
pub(super) fn validate(json: ManifestJson) -> Result<Manifest, ManifestError> {
    if json.format != FORMAT {
        return Err(ManifestError::new(ManifestProblem::NotAManifest(
            json.format,
        )));
    }
    if json.version != VERSION {
        return Err(ManifestError::new(ManifestProblem::UnsupportedVersion(
            json.version,
        )));
    }
    identifier::check(&json.domain, MAX_DOMAIN_LEN)
        .map_err(|problem| ManifestError::invalid("domain", problem))?;
    let epoch = u32::try_from(json.epoch)
        .map_err(|_| ManifestError::invalid("epoch", "must be at most 4294967295"))?;
    let set_id = fixed_hex::<SET_ID_LEN>("set_id", &json.set_id)?;
    let count = check_count(json.officials.len())?;
    let threshold = check_threshold(json.threshold, count)?;
    let officials = check_officials(&json.officials, count)?;
    let verifier_set = check_verifier_set(&json.verifier_set, threshold)?;
    let key_id = KeyId::from_bytes(fixed_hex("key_id", &json.key_id)?);
    let kcv = Kcv::from_bytes(fixed_hex("kcv", &json.kcv)?);
    let wrap_check = WrapCheck::from_bytes(fixed_hex("wrap_check", &json.wrap_check)?);
    let created = timestamp("created", &json.created)?;
    check_tool_version(&json.tool_version)?;
    let revoked_sets = check_revoked_sets(json.revoked_sets.as_deref(), epoch, &set_id)?;
    let tokens = check_tokens(&json.tokens)?;
    let link = check_link(&json)?;
    let signature = Signature::from_bytes(&lower_hex("signature", &json.signature)?)
        .map_err(|error| ManifestError::invalid("signature", format!("is unusable: {error}")))?;
    let fields = ManifestFields {
        domain: json.domain,
        epoch,
        set_id,
        officials,
        verifier_set,
        key_id,
        kcv,
        wrap_check,
        created,
        revoked_sets,
        tokens,
        link,
    };
    Manifest::assemble(fields, json.tool_version, signature)
}

/// The chain members: `previous` present exactly after position 0, the verifying key a valid
/// encoding, and at position 0 the domain fingerprint that of this manifest's own key.
fn check_link(json: &ManifestJson) -> Result<ChainLink, ManifestError> {
    let previous = match (json.chain_position, json.previous.as_deref()) {
        (0, None) => None,
        (0, Some(_)) => {
            return Err(ManifestError::invalid(
                "previous",
                "is present at chain position 0; the genesis manifest has no predecessor",
            ))
        }
        (_, None) => {
            return Err(ManifestError::invalid(
                "previous",
                format!(
                    "is missing; a manifest at chain position {} names its predecessor's digest",
                    json.chain_position
                ),
            ))
        }
        (_, Some(text)) => Some(ManifestDigest::from_bytes(fixed_hex("previous", text)?)),
    };
    let domain_fingerprint =
        DomainFingerprint::from_bytes(fixed_hex("domain_fingerprint", &json.domain_fingerprint)?);
    let verifying_key = VerifyingKey::from_bytes(&lower_hex("verifying_key", &json.verifying_key)?)
        .map_err(|error| {
            ManifestError::invalid("verifying_key", format!("is unusable: {error}"))
        })?;
    if json.chain_position == 0 && verifying_key.fingerprint() != domain_fingerprint {
        return Err(ManifestError::invalid(
            "domain_fingerprint",
            "is not the fingerprint of `verifying_key`, as it must be at chain position 0",
        ));
    }
    Ok(ChainLink {
        position: json.chain_position,
        previous,
        domain_fingerprint,
        verifying_key,
    })
}

/// 2 <= n <= 255 officials (a threshold of at least 2 needs at least 2).
fn check_count(count: usize) -> Result<u8, ManifestError> {
    match u8::try_from(count) {
        Ok(count) if count >= 2 => Ok(count),
        _ => Err(ManifestError::invalid(
            "officials",
            format!("lists {count} officials; a domain has 2 to 255"),
        )),
    }
}

fn check_threshold(threshold: u64, count: u8) -> Result<u8, ManifestError> {
    match u8::try_from(threshold) {
        Ok(threshold) if (2..=count).contains(&threshold) => Ok(threshold),
        _ => Err(ManifestError::invalid(
            "threshold",
            format!(
                "is {threshold}, but must be at least 2 and at most the {count} officials listed"
            ),
        )),
    }
}

/// Ids valid and unique, names and roles valid, share ids exactly a permutation of 1..=n,
/// fingerprints 64 lower-case hex digits.
fn check_officials(
    entries: &[OfficialJson],
    count: u8,
) -> Result<Vec<OfficialEntry>, ManifestError> {
    let mut seen_ids = std::collections::BTreeSet::new();
    let mut seen_shares = [false; 256];
    let mut officials = Vec::with_capacity(entries.len());
    for (index, entry) in entries.iter().enumerate() {
        let field = |name: &str| format!("officials[{index}].{name}");
        let invalid = |error: crate::domain::InvalidOfficial| {
            ManifestError::invalid(field(error.field), error.problem)
        };
        let id = OfficialId::new(entry.id.clone()).map_err(invalid)?;
        if !seen_ids.insert(id.clone()) {
            return Err(ManifestError::invalid(
                field("id"),
                format!("repeats the id `{id}`; every official's id must be unique"),
            ));
        }
        let official =
            Official::new(id, entry.name.clone(), entry.role.clone()).map_err(invalid)?;
        let share_id = match u8::try_from(entry.share_id) {
            Ok(share_id) if (1..=count).contains(&share_id) => share_id,
            _ => {
                return Err(ManifestError::invalid(
                    field("share_id"),
                    format!("is {}, but share ids run from 1 to {count}", entry.share_id),
                ))
            }
        };
        let seen = &mut seen_shares[usize::from(share_id)];
        if *seen {
            return Err(ManifestError::invalid(
                field("share_id"),
                format!("repeats share id {share_id}; each share belongs to one official"),
            ));
        }
        *seen = true;
        fixed_hex::<32>(&field("share_fingerprint"), &entry.share_fingerprint)?;
        officials.push(OfficialEntry {
            official,
            share_id,
            share_fingerprint: entry.share_fingerprint.clone(),
        });
    }
    // n distinct ids, each in 1..=n: exactly a permutation.
    Ok(officials)
}

fn check_verifier_set(text: &str, threshold: u8) -> Result<VerifierSet, ManifestError> {
    let bytes = lower_hex("verifier_set", text)?;
    let verifier_set = VerifierSet::from_bytes(&bytes)
        .map_err(|error| ManifestError::invalid("verifier_set", format!("is unusable: {error}")))?;
    if verifier_set.threshold() != threshold {
        return Err(ManifestError::invalid(
            "verifier_set",
            format!(
                "commits to threshold {}, but field `threshold` is {threshold}",
                verifier_set.threshold()
            ),
        ));
    }
    Ok(verifier_set)
}

/// Each record valid, set ids distinct and never the current set's, epochs not after the
/// manifest's; an empty list is written by omitting the member.
fn check_revoked_sets(
    entries: Option<&[RevokedSetJson]>,
    epoch: u32,
    current: &[u8; SET_ID_LEN],
) -> Result<Vec<RevokedSet>, ManifestError> {
    let Some(entries) = entries else {
        return Ok(Vec::new());
    };
    if entries.is_empty() {
        return Err(ManifestError::invalid(
            "revoked_sets",
            "is empty; a manifest with no revoked set omits the member",
        ));
    }
    let mut revoked: Vec<RevokedSet> = Vec::with_capacity(entries.len());
    for (index, entry) in entries.iter().enumerate() {
        let field = |name: &str| format!("revoked_sets[{index}].{name}");
        let set_id = fixed_hex::<SET_ID_LEN>(&field("set_id"), &entry.set_id)?;
        if &set_id == current {
            return Err(ManifestError::invalid(
                field("set_id"),
                "is the current share set; the set in use cannot be revoked",
            ));
        }
        if revoked.iter().any(|earlier| earlier.set_id() == &set_id) {
            return Err(ManifestError::invalid(
                field("set_id"),
                format!("repeats the revoked set {}", entry.set_id),
            ));
        }
        let set_epoch = u32::try_from(entry.epoch)
            .ok()
            .filter(|set_epoch| *set_epoch <= epoch)
            .ok_or_else(|| {
                ManifestError::invalid(
                    field("epoch"),
                    format!("is {}, after the manifest's epoch {epoch}", entry.epoch),
                )
            })?;
        let revoked_at = timestamp(&field("revoked_at"), &entry.revoked_at)?;
        let record = RevokedSet::new(set_id, set_epoch, revoked_at, entry.reason.clone())
            .map_err(|problem| ManifestError::invalid(field("reason"), problem))?;
        revoked.push(record);
    }
    Ok(revoked)
}

/// Each token record valid, and the rules across them (`tokens::check_tokens`).
fn check_tokens(entries: &[TokenJson]) -> Result<Vec<EnrolledToken>, ManifestError> {
    let tokens = entries
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            let field = |name: &str| format!("tokens[{index}].{name}");
            let enrolled = timestamp(&field("enrolled"), &entry.enrolled)?;
            EnrolledToken::new(
                entry.serial.clone(),
                entry.label.clone(),
                entry.manufacturer.clone(),
                entry.model.clone(),
                entry.site.clone(),
                enrolled,
            )
            .map_err(|(name, problem)| ManifestError::invalid(field(name), problem))
        })
        .collect::<Result<Vec<_>, _>>()?;
    tokens::check_tokens(&tokens).map_err(|problem| ManifestError::invalid("tokens", problem))?;
    Ok(tokens)
}

fn timestamp(field: &str, text: &str) -> Result<Timestamp, ManifestError> {
    Timestamp::parse(text).ok_or_else(|| {
        ManifestError::invalid(
            field,
            "must be a UTC time written YYYY-MM-DDTHH:MM:SSZ, e.g. 2026-11-26T20:40:05Z",
        )
    })
}

fn check_tool_version(text: &str) -> Result<(), ManifestError> {
    let printable = |byte: &u8| byte.is_ascii_graphic();
    if text.is_empty()
        || text.len() > MAX_TOOL_VERSION_LEN
        || !text.as_bytes().iter().all(printable)
    {
        return Err(ManifestError::invalid(
            "tool_version",
            format!("must be 1 to {MAX_TOOL_VERSION_LEN} printable ASCII characters, no spaces"),
        ));
    }
    Ok(())
}

/// Exactly `N` bytes written as 2·N lower-case hex digits.
fn fixed_hex<const N: usize>(field: &str, text: &str) -> Result<[u8; N], ManifestError> {
    let bytes = lower_hex(field, text)?;
    <[u8; N]>::try_from(bytes.as_slice()).map_err(|_| {
        ManifestError::invalid(
            field,
            format!("must be {} hex digits, found {}", 2 * N, text.len()),
        )
    })
}

fn lower_hex(field: &str, text: &str) -> Result<Vec<u8>, ManifestError> {
    let lower = |byte: &u8| byte.is_ascii_digit() || (b'a'..=b'f').contains(byte);
    if !text.as_bytes().iter().all(lower) {
        return Err(ManifestError::invalid(
            field,
            "must be lower-case hex digits (0-9, a-f)",
        ));
    }
    hex::decode(text)
        .map_err(|_| ManifestError::invalid(field, "must have an even number of hex digits"))
}
