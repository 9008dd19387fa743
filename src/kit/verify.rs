//! Checking a kit against its `SHA256SUMS` (docs/FORMAT.md 11.2): every file listed is present
//! and has its SHA-256, and nothing else is in the kit. The tree is walked without following a
//! symbolic link; a link, like any file not listed, is extra.

use std::collections::BTreeMap;
use std::path::Path;

use super::sums::{digest_file, parse, SUMS_FILE};
use super::write::KitError;
use crate::files::{find_files_ending, read_at_most};

/// The custody binary's name at the top of a kit.
pub const KIT_BINARY: &str = "custody";

/// The largest sums file read: far more lines than any kit has.
const MAX_SUMS_LEN: usize = 1 << 20;

/// What a check of a kit found.
#[derive(Debug)]
pub struct VerifiedKit {
    /// Files listed in its sums.
    pub files: usize,
    /// What does not match, in path order; empty when the kit is whole.
    pub mismatches: Vec<Mismatch>,
    /// The SHA-256 of its custody binary, when it matches its line.
    pub binary_digest: Option<[u8; 32]>,
}

/// A file of a kit that does not match its sums; paths are relative to the kit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    /// Listed, not in the kit.
    Missing(String),
    /// Listed, with other bytes.
    Altered {
        /// The file.
        path: String,
        /// The SHA-256 its line gives.
        expected: [u8; 32],
        /// The SHA-256 of what is there.
        found: [u8; 32],
    },
    /// In the kit, not listed; `why` says when it is not a regular file.
    Extra {
        /// The entry.
        path: String,
        /// What it is, when not a regular file.
        why: Option<String>,
    },
    /// Listed and present, but could not be read.
    Unreadable {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
}

impl Mismatch {
    fn path(&self) -> &str {
        match self {
            Self::Missing(path)
            | Self::Altered { path, .. }
            | Self::Extra { path, .. }
            | Self::Unreadable { path, .. } => path,
        }
    }
}

/// Checks every file of the kit `kit` against its `SHA256SUMS`.
pub fn verify_kit(kit: &Path) -> Result<VerifiedKit, KitError> {
    let sums_path = kit.join(SUMS_FILE);
    let bytes = match read_at_most(&sums_path, MAX_SUMS_LEN) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err(KitError::NoSums(sums_path))
        }
        Err(source) => {
            return Err(KitError::Io {
                path: sums_path,
                source,
            })
        }
    };
    let text = String::from_utf8(bytes).map_err(|_| KitError::BadSums {
        path: sums_path.clone(),
        line: 1,
        problem: "the file is not UTF-8 text",
    })?;
    let listed = parse(&text).map_err(|(line, problem)| KitError::BadSums {
        path: sums_path.clone(),
        line,
        problem,
    })?;
    if !listed.contains_key(KIT_BINARY) {
        return Err(KitError::NoBinaryLine(sums_path));
    }

    let walk = find_files_ending(kit, "");
    let mut present: BTreeMap<String, ()> = BTreeMap::new();
    let mut mismatches = Vec::new();
    for file in &walk.found {
        let inside = relative(kit, file);
        if inside != SUMS_FILE {
            present.insert(inside, ());
        }
    }
    for skipped in walk.skipped {
        mismatches.push(Mismatch::Extra {
            path: relative(kit, &skipped.path),
            why: Some(skipped.reason),
        });
    }
    let mut binary_digest = None;
    for (path, expected) in &listed {
        if present.remove(path).is_none() {
            mismatches.push(Mismatch::Missing(path.clone()));
            continue;
        }
        match digest_file(&kit.join(path)) {
            Ok(found) if found == *expected => {
                if path == KIT_BINARY {
                    binary_digest = Some(found);
                }
            }
            Ok(found) => mismatches.push(Mismatch::Altered {
                path: path.clone(),
                expected: *expected,
                found,
            }),
            Err(error) => mismatches.push(Mismatch::Unreadable {
                path: path.clone(),
                reason: error.to_string(),
            }),
        }
    }
    mismatches.extend(
        present
            .into_keys()
            .map(|path| Mismatch::Extra { path, why: None }),
    );
    mismatches.sort_by(|a, b| a.path().cmp(b.path()));
    Ok(VerifiedKit {
        files: listed.len(),
        mismatches,
        binary_digest,
    })
}

/// `file`'s path inside `kit`, `/`-separated.
fn relative(kit: &Path, file: &Path) -> String {
    file.strip_prefix(kit)
        .unwrap_or(file)
        .to_string_lossy()
        .into_owned()
}
