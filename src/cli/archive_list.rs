//! The archives a command acts on: those named, and every `*.custody` file found under each
//! `--archives TREE` (walked recursively, symbolic links never followed), or every archive of
//! an object store (`--archives s3://bucket/prefix`). A directory named as
//! an archive is refused with the option that walks it; what a walk passes over is warned of.

use std::path::PathBuf;

use super::open::ARCHIVE_SUFFIX;
use super::output::Failure;
use crate::files::{find_files_ending, Skipped};
use crate::store::{self, is_object_url};

/// The archives named and those found in `trees`, and what the walks passed over (each warned
/// of on standard error). Refuses a named directory, a tree that is not a directory, and an
/// empty result; `verb` says what the command does with them ("restore", "verify").
pub fn gather(
    named: &[PathBuf],
    trees: &[PathBuf],
    verb: &str,
) -> Result<(Vec<PathBuf>, Vec<Skipped>), Failure> {
    if let Some(dir) = named.iter().find(|path| path.is_dir()) {
        return Err(Failure::new(
            format!("{} is a directory, not an archive", dir.display()),
            format!(
                "to {verb} every archive under it, give --archives {}",
                dir.display()
            ),
        ));
    }
    let mut archives = named.to_vec();
    let mut skipped = Vec::new();
    for tree in trees {
        if is_object_url(tree) {
            let store = store::open(tree)?;
            let listing = store.list()?;
            archives.extend(
                listing
                    .archives
                    .iter()
                    .map(|archive| PathBuf::from(store.shown(&archive.name))),
            );
            skipped.extend(listing.others.into_iter().map(|(key, reason)| Skipped {
                path: PathBuf::from(store.shown(&key)),
                reason,
            }));
            continue;
        }
        if !tree.is_dir() {
            return Err(Failure::new(
                format!("{} is not a directory", tree.display()),
                "--archives names a directory of archives; name single archives without it",
            ));
        }
        let listing = find_files_ending(tree, ARCHIVE_SUFFIX);
        archives.extend(listing.found);
        skipped.extend(listing.skipped);
    }
    if archives.is_empty() {
        return Err(Failure::new(
            format!("no archives to {verb}"),
            "name archives, or a directory of *.custody files with --archives TREE",
        ));
    }
    for entry in &skipped {
        eprintln!(
            "warning: skipped {}: {}",
            entry.path.display(),
            entry.reason
        );
    }
    Ok((archives, skipped))
}
