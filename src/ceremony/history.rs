//! The domain directory's `history/`: the one place superseded state is kept (FORMAT.md 8.4,
//! D62). A share set superseded by a rotation or a reshare goes to
//! `history/shares-e<EPOCH>-<first 8 hex digits of its set id>/`, a canary superseded by a
//! rotation to `history/canary-e<EPOCH>.custody`. This module owns those names, both ways: the
//! ceremonies ask it where to keep something and move it there durably, and the audit asks it
//! what `history/` holds. Superseded manifests stay in `chain/`, which holds every manifest.

use std::io;
use std::path::{Path, PathBuf};

use crate::files::{create_directory, directory_of, sync_parent};
use crate::shares::sealed::SET_ID_LEN;

/// The directory, in the domain directory.
pub const HISTORY: &str = "history";

/// How many hex digits of a set id name its directory.
const SET_PREFIX_LEN: usize = 8;

/// `history/shares-e<epoch>-<set prefix>`, relative to the domain directory: where the share set
/// `set_id` of `epoch` is kept once superseded.
pub fn superseded_shares_name(epoch: u32, set_id: &[u8; SET_ID_LEN]) -> String {
    format!(
        "{HISTORY}/shares-e{epoch}-{}",
        set_prefix(&hex::encode(set_id))
    )
}

/// The first 8 hex digits of a set id in hex: what names its directory in `history/`.
pub fn set_prefix(set_id: &str) -> &str {
    set_id.get(..SET_PREFIX_LEN).unwrap_or(set_id)
}

/// [`superseded_shares_name`] in the domain directory `dir`.
pub fn superseded_shares(dir: &Path, epoch: u32, set_id: &[u8; SET_ID_LEN]) -> PathBuf {
    dir.join(superseded_shares_name(epoch, set_id))
}

/// `history/canary-e<epoch>.custody` in `dir`: where the canary of `epoch` is kept once a
/// rotation has sealed the next epoch's.
pub fn superseded_canary(dir: &Path, epoch: u32) -> PathBuf {
    dir.join(format!("{HISTORY}/canary-e{epoch}.custody"))
}

/// Creates `place` (a path [`superseded_shares`] gave) and `history/` as needed, each mode
/// 0755, and makes their entries durable.
pub fn create_place(place: &Path) -> io::Result<()> {
    create_history_of(place)?;
    create_directory(place)?;
    sync_parent(place)
}

/// Moves `from` (a file or a directory) to `to` in `history/`, durably: `history/` is created
/// if missing, `from` renamed, and both directories synced. Nothing is copied, so nothing is
/// left behind; a crash leaves `from` either in place or moved.
pub fn move_into(from: &Path, to: &Path) -> io::Result<()> {
    create_history_of(to)?;
    std::fs::rename(from, to)?;
    sync_parent(to)?;
    sync_parent(from)
}

/// Creates `history/`, the directory holding `place`, if missing, and makes its entry durable.
fn create_history_of(place: &Path) -> io::Result<()> {
    let history = directory_of(place);
    create_directory(history)?;
    sync_parent(history)
}

/// One entry of `history/`, by its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kept {
    /// `shares-e<epoch>-<set prefix>`, a directory: a superseded share set.
    Shares {
        /// Its path relative to the domain directory.
        name: String,
        /// The epoch its name states.
        epoch: u32,
        /// The first 8 hex digits of its set id.
        set_prefix: String,
        /// Its `*.share` files.
        files: usize,
        /// Anything else in it, by path relative to the domain directory.
        strays: Vec<String>,
    },
    /// `canary-e<epoch>.custody`, a file: a superseded canary.
    Canary {
        /// Its path relative to the domain directory.
        name: String,
        /// The epoch its name states.
        epoch: u32,
    },
    /// Anything else: custody writes nothing else to `history/`.
    Unrecognised {
        /// Its path relative to the domain directory.
        name: String,
    },
}

/// What `dir/history/` holds, by name (sorted); empty when there is no `history/`. Links are
/// never followed: a link is unrecognised whatever its name.
pub fn read(dir: &Path) -> io::Result<Vec<Kept>> {
    let history = dir.join(HISTORY);
    let entries = match std::fs::read_dir(&history) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        entries => entries?,
    };
    let mut names = entries
        .map(|entry| entry.map(|entry| entry.file_name().to_string_lossy().into_owned()))
        .collect::<io::Result<Vec<_>>>()?;
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let path = history.join(&name);
            let kind = std::fs::symlink_metadata(&path)?.file_type();
            let name = format!("{HISTORY}/{name}");
            if let Some((epoch, set_prefix)) = parse_shares(&name).filter(|_| kind.is_dir()) {
                let (files, strays) = share_files(&path, &name)?;
                return Ok(Kept::Shares {
                    name,
                    epoch,
                    set_prefix,
                    files,
                    strays,
                });
            }
            Ok(match parse_canary(&name).filter(|_| kind.is_file()) {
                Some(epoch) => Kept::Canary { name, epoch },
                None => Kept::Unrecognised { name },
            })
        })
        .collect()
}

/// The epoch and set prefix a share set's name states, if it is one exactly as
/// [`superseded_shares_name`] writes it.
fn parse_shares(name: &str) -> Option<(u32, String)> {
    let (epoch, prefix) = name
        .strip_prefix(&format!("{HISTORY}/shares-e"))?
        .split_once('-')?;
    let epoch = canonical_epoch(epoch)?;
    let lower_hex = |c: char| c.is_ascii_digit() || ('a'..='f').contains(&c);
    (prefix.len() == SET_PREFIX_LEN && prefix.chars().all(lower_hex))
        .then(|| (epoch, prefix.to_owned()))
}

/// The epoch a canary's name states, if it is one exactly as [`superseded_canary`] writes it.
fn parse_canary(name: &str) -> Option<u32> {
    canonical_epoch(
        name.strip_prefix(&format!("{HISTORY}/canary-e"))?
            .strip_suffix(".custody")?,
    )
}

/// A decimal epoch as custody writes it: digits, no sign, no leading zero.
fn canonical_epoch(text: &str) -> Option<u32> {
    let epoch: u32 = text.parse().ok()?;
    (epoch.to_string() == text).then_some(epoch)
}

/// How many regular `*.share` files the set directory `path` holds, and what else it holds.
fn share_files(path: &Path, name: &str) -> io::Result<(usize, Vec<String>)> {
    let mut files = 0;
    let mut strays = Vec::new();
    for entry in std::fs::read_dir(path)? {
        let entry = entry?;
        let file = entry.file_name().to_string_lossy().into_owned();
        if file.ends_with(".share") && entry.file_type()?.is_file() {
            files += 1;
        } else {
            strays.push(format!("{name}/{file}"));
        }
    }
    strays.sort();
    Ok((files, strays))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back_as_written_and_nothing_else_does() {
        let set_id = [0xab; SET_ID_LEN];
        let name = superseded_shares_name(12, &set_id);
        assert_eq!(name, "history/shares-e12-abababab");
        assert_eq!(parse_shares(&name), Some((12, "abababab".into())));
        let canary = superseded_canary(Path::new(""), 3);
        assert_eq!(canary, Path::new("history/canary-e3.custody"));
        assert_eq!(parse_canary("history/canary-e3.custody"), Some(3));
        for odd in [
            "history/shares-e012-abababab",
            "history/shares-e1-ABABABAB",
            "history/shares-e1-abababa",
            "history/shares-e+1-abababab",
            "history/shares-1-abababab",
        ] {
            assert_eq!(parse_shares(odd), None, "{odd}");
        }
        for odd in [
            "history/canary-e01.custody",
            "history/canary-e1.custody.tmp",
        ] {
            assert_eq!(parse_canary(odd), None, "{odd}");
        }
    }
}
