//! A secret custody generates and keeps (`custody secret new`, D77): 256 bits from the system's
//! random source, written as 64 lower-case hex digits, sealed as an archive of the domain at the
//! token (docs/FORMAT.md 7.6) — so rotation rewraps it, `open` and `recover` release it, and it is
//! as recoverable as every other archive. The secret exists in clear only in zeroized memory here
//! and in the archive's sealed chunk; it is never printed, written in clear, put in argv or in the
//! environment. Its creation is recorded in the transcript (`secret.created`: its name, purpose
//! and the archive's SHA-256, and the archive it replaces, if any — never the secret).

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::archive::{self, Archive, ArchiveSpec, KeyWrap, Metadata};
use crate::domain::Manifest;
use crate::files::{read_at_most, AtomicFile};
use crate::primitives::random;

use super::error::CeremonyError;
use super::step::Step;
use super::transcript::{self, IfMissing, Transcript};

/// The content type a secret's archive records.
pub const SECRET_CONTENT_TYPE: &str = "application/vnd.custody.secret";

/// Random bytes in a secret (256 bits).
const SECRET_BYTES: usize = 32;

/// Largest secret archive read when one is named as replaced.
const MAX_SECRET_ARCHIVE: usize = 64 * 1024;

/// What `custody secret new` is asked to do.
#[derive(Debug, Clone)]
pub struct SecretRequest {
    /// The domain's manifest; the transcript beside it records the secret.
    pub manifest: PathBuf,
    /// The archive to write: `NAME.custody`, NAME being the secret's recorded name.
    pub out: PathBuf,
    /// What the secret is for, as the transcript records it.
    pub purpose: String,
    /// A secret archive this one replaces (a key change), recorded by its SHA-256.
    pub replaces: Option<PathBuf>,
}

/// A secret made and sealed.
#[derive(Debug)]
pub struct NewSecret {
    /// The recorded name.
    pub name: String,
    /// The SHA-256 of the archive file, hex.
    pub archive_digest: String,
    /// The SHA-256 of the archive replaced, hex.
    pub replaced_digest: Option<String>,
}

/// The name a secret records: the archive's file name without `.custody`.
pub fn secret_name(out: &Path) -> Option<String> {
    let file_name = out.file_name()?.to_str()?;
    let name = file_name.strip_suffix(".custody")?;
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    plain.then(|| name.to_owned())
}

/// Generates a secret and seals it to `request.out` under `key` (the manifest's domain key), then
/// records it in the transcript. The transcript is opened first: a secret it could not record is
/// never made. `out` must not exist: a secret is never overwritten (a repository whose only
/// password was replaced would be lost).
pub fn new_secret(
    request: &SecretRequest,
    manifest: &Manifest,
    key: &dyn KeyWrap,
) -> Result<NewSecret, CeremonyError> {
    let out = &request.out;
    let Some(name) = secret_name(out) else {
        return Err(CeremonyError::refused(
            format!(
                "{}: a secret's archive is named NAME.custody, NAME of letters, digits, '-', '_' and '.'",
                out.display()
            ),
            "name it after what it unlocks, e.g. embassy-restic-password.custody",
        ));
    };
    if out.symlink_metadata().is_ok() {
        return Err(already_exists(out));
    }
    let replaced_digest = request
        .replaces
        .as_deref()
        .map(|old| replaced_secret(old, manifest))
        .transpose()?;
    let mut transcript =
        Transcript::open(&transcript::beside(&request.manifest), IfMissing::Refuse)?;
    let secret = generate()?;
    let spec = ArchiveSpec {
        metadata: Metadata {
            name: Some(name.clone()),
            size: Some(secret.len() as u64),
            content_type: Some(SECRET_CONTENT_TYPE.into()),
            created: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .ok()
                .map(|since| since.as_secs()),
        },
        ..ArchiveSpec::new(manifest.key_ref().clone())
    };
    let mut file = AtomicFile::create(out).map_err(CeremonyError::io(out))?;
    archive::seal(key, &spec, secret.as_slice(), &mut file, &|_| {})?;
    drop(secret);
    // Checked above, but another run may have made it since: it is never replaced.
    file.commit_new().map_err(|error| match error.kind() {
        std::io::ErrorKind::AlreadyExists => already_exists(out),
        _ => CeremonyError::io(out)(error),
    })?;
    let archive_digest = file_digest(out)?;
    transcript
        .append(Step::SecretCreated {
            manifest: manifest.digest(),
            name: name.clone(),
            purpose: request.purpose.clone(),
            archive: archive_digest.clone(),
            replaces: replaced_digest.clone(),
        })
        .map_err(|error| {
            CeremonyError::refused(
                format!(
                    "secret {name} was sealed to {}, but the transcript could not record it: {error}",
                    out.display()
                ),
                "repair the transcript's file system and note the secret's archive SHA-256 in the domain's records",
            )
        })?;
    Ok(NewSecret {
        name,
        archive_digest,
        replaced_digest,
    })
}

/// The refusal of an archive name that is taken.
fn already_exists(out: &Path) -> CeremonyError {
    CeremonyError::refused(
        format!(
            "{} already exists: a secret is never overwritten",
            out.display()
        ),
        "choose a new name; after a key change, remove the old secret only once nothing uses it",
    )
}

/// 256 random bits as 64 lower-case hex digits, in zeroized memory.
fn generate() -> Result<Zeroizing<Vec<u8>>, CeremonyError> {
    let mut bytes = Zeroizing::new([0u8; SECRET_BYTES]);
    random::fill(bytes.as_mut()).map_err(|e| {
        CeremonyError::refused(
            format!("no secret was made: {e}"),
            "check the system's random source (getrandom) and try again",
        )
    })?;
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    // Allocated once at its full length: no copy of the secret is left behind by a reallocation.
    let mut text = Zeroizing::new(Vec::with_capacity(SECRET_BYTES * 2));
    text.extend(
        bytes
            .iter()
            .flat_map(|b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 0x0f)]]),
    );
    Ok(text)
}

/// The SHA-256 of the secret archive `old`, which must be a secret of `manifest`'s domain.
fn replaced_secret(old: &Path, manifest: &Manifest) -> Result<String, CeremonyError> {
    let bytes = read_at_most(old, MAX_SECRET_ARCHIVE).map_err(CeremonyError::io(old))?;
    let archive = Archive::read(bytes.as_slice())?;
    let spec = &archive.header().spec;
    let is_secret = spec.metadata.content_type.as_deref() == Some(SECRET_CONTENT_TYPE);
    if !is_secret || spec.identity.domain != manifest.key_ref().domain {
        return Err(CeremonyError::refused(
            format!(
                "{}: not a secret of domain {} (--replaces names the secret archive this one replaces)",
                old.display(),
                manifest.domain()
            ),
            "name the secret archive in use now (`custody inspect FILE` shows its content type and domain)",
        ));
    }
    Ok(hex::encode(Sha256::digest(&bytes)))
}

fn file_digest(path: &Path) -> Result<String, CeremonyError> {
    let bytes = read_at_most(path, MAX_SECRET_ARCHIVE).map_err(CeremonyError::io(path))?;
    Ok(hex::encode(Sha256::digest(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_named_after_its_archive() {
        let name = |path: &str| secret_name(Path::new(path));
        assert_eq!(
            name("dir/embassy-restic.custody").as_deref(),
            Some("embassy-restic")
        );
        assert_eq!(name("x.custody").as_deref(), Some("x"));
        for bad in [
            ".custody",
            "a b.custody",
            "pass.txt",
            "../.custody",
            ".hidden.custody",
        ] {
            assert!(name(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn a_secret_is_64_hex_digits_and_never_twice_the_same() {
        let first = generate().unwrap();
        let second = generate().unwrap();
        assert_eq!(first.len(), 64);
        assert!(first
            .iter()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_ne!(first.as_slice(), second.as_slice());
    }
}
