//! Writing a kit (docs/FORMAT.md 11.1): the domain's chain is loaded and verified first, its
//! public files are copied (never a share file), the running binary and the embedded documents
//! are added, the kit's copy of the chain is loaded again and must be the same domain at the same
//! manifest, and `SHA256SUMS` is written last: a kit without it is unfinished.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::documents::DOCUMENTS;
use super::sums::{digest_file, render, SUMS_FILE};
use super::verify::KIT_BINARY;
use crate::domain::chain::chain_file;
use crate::domain::{ChainError, ManifestChain};
use crate::files::{create_directory, write_atomic_mode, PUBLIC_FILE_MODE};
use crate::primitives::signature::DomainFingerprint;

/// The directory in the kit holding the domain's public files.
const DOMAIN_DIR: &str = "domain";

/// The domain's public files beside `manifest.json` that every kit holds.
const REQUIRED: [&str; 2] = ["transcript.jsonl", "canary.custody"];

/// A kit written.
#[derive(Debug)]
pub struct WrittenKit {
    /// Files in the kit, `SHA256SUMS` not counted.
    pub files: usize,
    /// The domain.
    pub domain: String,
    /// Its epoch in force.
    pub epoch: u32,
    /// The chain position of the manifest in force.
    pub position: u64,
    /// The domain fingerprint.
    pub fingerprint: DomainFingerprint,
    /// The SHA-256 of the kit's custody binary.
    pub binary_digest: [u8; 32],
}

/// Why a kit was not written, or cannot be checked.
#[derive(Debug, thiserror::Error)]
pub enum KitError {
    /// The kit directory exists and holds something.
    #[error("{0} already exists and is not empty: a kit is written into a new or empty directory")]
    NotEmpty(PathBuf),
    /// The domain's chain does not verify.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// A public file every kit holds is not in the domain directory.
    #[error("{0}: no such regular file in the domain directory, and every kit holds it")]
    Missing(PathBuf),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The kit's copy of the manifest chain is not the domain's.
    #[error("the copy of the manifest chain in {0} is not the chain that was loaded: the domain directory changed while the kit was written")]
    CopyDiffers(PathBuf),
    /// A kit to check has no sums file.
    #[error("{0}: no such file: this directory is not a finished kit")]
    NoSums(PathBuf),
    /// A kit's sums file has a line that is not a sum.
    #[error("{path} line {line}: {problem}")]
    BadSums {
        /// The sums file.
        path: PathBuf,
        /// The line, from 1.
        line: usize,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A kit's sums file does not list the binary.
    #[error("{0} has no line for {KIT_BINARY}: this is not a kit custody wrote")]
    NoBinaryLine(PathBuf),
}

impl KitError {
    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            Self::NotEmpty(_) => "give --out a new directory, or remove what is in it first",
            Self::Chain(error) => error.hint(),
            Self::Missing(_) => {
                "give the manifest.json of a whole domain directory (transcript.jsonl and \
                 canary.custody beside it); `custody audit DIR` checks it"
            }
            Self::Io { .. } => "check the path, its permissions and the free space, then write the kit again into a new directory",
            Self::CopyDiffers(_) => {
                "write the kit again into a new directory once no ceremony is running on the \
                 domain, and run `custody audit DIR`"
            }
            Self::NoSums(_) | Self::BadSums { .. } | Self::NoBinaryLine(_) => {
                "do not use this kit: take another copy (the vault, another site, an official's) \
                 and check it with `custody kit --verify KIT` or `sha256sum -c SHA256SUMS` in it"
            }
        }
    }
}

/// Writes a kit of the domain whose manifest in force is `manifest` into `out`, a new or empty
/// directory, with `binary` (the running executable) as its custody binary.
pub fn write_kit(manifest: &Path, out: &Path, binary: &Path) -> Result<WrittenKit, KitError> {
    refuse_non_empty(out)?;
    let chain = ManifestChain::load(manifest)?;
    if !regular(manifest) {
        return Err(KitError::Missing(manifest.to_owned()));
    }
    let domain_dir = manifest.parent().unwrap_or(Path::new("."));
    let mut copies = vec![
        (binary.to_owned(), KIT_BINARY.to_owned(), 0o755),
        (
            manifest.to_owned(),
            format!("{DOMAIN_DIR}/manifest.json"),
            PUBLIC_FILE_MODE,
        ),
    ];
    for position in 0..=chain.in_force().chain_position() {
        let name = chain_file(position);
        // ManifestChain::load checked every one of them; the in-force copy may be absent.
        if regular(&domain_dir.join(&name)) {
            copies.push((
                domain_dir.join(&name),
                format!("{DOMAIN_DIR}/{name}"),
                PUBLIC_FILE_MODE,
            ));
        }
    }
    for name in REQUIRED {
        let path = domain_dir.join(name);
        if !regular(&path) {
            return Err(KitError::Missing(path));
        }
        copies.push((path, format!("{DOMAIN_DIR}/{name}"), PUBLIC_FILE_MODE));
    }
    for name in kept_canaries(&domain_dir.join("history"))? {
        let source = domain_dir.join("history").join(&name);
        copies.push((
            source,
            format!("{DOMAIN_DIR}/history/{name}"),
            PUBLIC_FILE_MODE,
        ));
    }

    for (source, inside, mode) in &copies {
        let bytes = std::fs::read(source).map_err(|source_error| io(source, source_error))?;
        put(out, inside, &bytes, *mode)?;
    }
    for (inside, text) in DOCUMENTS {
        put(out, inside, text.as_bytes(), PUBLIC_FILE_MODE)?;
    }

    let copied = out.join(DOMAIN_DIR).join("manifest.json");
    let again = ManifestChain::load(&copied)?;
    if again.fingerprint() != chain.fingerprint()
        || again.in_force().digest() != chain.in_force().digest()
    {
        return Err(KitError::CopyDiffers(out.join(DOMAIN_DIR)));
    }

    let mut digests = BTreeMap::new();
    for inside in copies
        .iter()
        .map(|(_, inside, _)| inside.as_str())
        .chain(DOCUMENTS.iter().map(|(inside, _)| *inside))
    {
        let path = out.join(inside);
        let digest = digest_file(&path).map_err(|error| io(&path, error))?;
        digests.insert(inside.to_owned(), digest);
    }
    put(
        out,
        SUMS_FILE,
        render(&digests).as_bytes(),
        PUBLIC_FILE_MODE,
    )?;

    let in_force = chain.in_force();
    Ok(WrittenKit {
        files: digests.len(),
        domain: in_force.domain().to_owned(),
        epoch: in_force.epoch(),
        position: in_force.chain_position(),
        fingerprint: chain.fingerprint(),
        binary_digest: digests[KIT_BINARY],
    })
}

fn refuse_non_empty(out: &Path) -> Result<(), KitError> {
    match std::fs::read_dir(out) {
        Ok(mut entries) => match entries.next() {
            None => Ok(()),
            Some(_) => Err(KitError::NotEmpty(out.to_owned())),
        },
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(io(out, error)),
    }
}

/// The canaries of earlier epochs kept in `history/` (FORMAT.md 8.4): public archives. Its share
/// sets are left out: a kit holds no share file, superseded or not.
fn kept_canaries(history: &Path) -> Result<Vec<String>, KitError> {
    let entries = match std::fs::read_dir(history) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(io(history, error)),
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_file()))
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| is_kept_canary(name))
        .collect();
    names.sort();
    Ok(names)
}

fn is_kept_canary(name: &str) -> bool {
    name.strip_prefix("canary-e")
        .and_then(|rest| rest.strip_suffix(".custody"))
        .is_some_and(|epoch| !epoch.is_empty() && epoch.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether `path` is a regular file, a symbolic link not followed.
fn regular(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|meta| meta.is_file())
}

/// Writes `bytes` at `inside` (a relative path) in the kit `out`, creating its directories.
fn put(out: &Path, inside: &str, bytes: &[u8], mode: u32) -> Result<(), KitError> {
    let path = out.join(inside);
    let parent = path.parent().unwrap_or(out);
    create_directory(parent).map_err(|error| io(parent, error))?;
    write_atomic_mode(&path, bytes, mode).map_err(|error| io(&path, error))
}

fn io(path: &Path, source: std::io::Error) -> KitError {
    KitError::Io {
        path: path.to_owned(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_canaries_from_history() {
        assert!(is_kept_canary("canary-e1.custody"));
        assert!(!is_kept_canary("canary-e.custody"));
        assert!(!is_kept_canary("canary-ex.custody"));
        assert!(!is_kept_canary("shares-e1-a5d06f4f"));
    }
}
