//! The archive trees a rotation reads (D59): every `--archives` directory walked recursively,
//! symbolic links never followed — neither to directories nor to files — but reported, and every
//! `*.custody` regular file found exactly once, with its path relative to the root it was found
//! under; every archive of an `--archives s3://bucket/prefix` object store. A directory that
//! cannot be read is reported like an archive left: archives in it would otherwise be missed.
//! `--leave` paths are resolved here too, before anything is written. Each root is an archive
//! store, through which its archives' headers are read and replaced.

use std::collections::BTreeSet;
use std::fs::FileType;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::super::error::CeremonyError;
use crate::store::{self, is_object_url, ArchiveStore};

/// The archive roots and the archives to leave on purpose, resolved to canonical paths.
#[derive(Debug)]
pub(super) struct Roots {
    roots: Vec<Root>,
    leave: BTreeSet<PathBuf>,
}

/// One `--archives` directory: as given (to name what is found the way the operator wrote it),
/// and canonical (to walk and to compare); or an object store, whose URL is both.
#[derive(Debug)]
struct Root {
    given: PathBuf,
    canonical: PathBuf,
    store: Arc<dyn ArchiveStore>,
}

/// One `*.custody` regular file found under a root.
#[derive(Debug)]
pub(super) struct Found {
    /// Its path (the canonical root joined with `relative`).
    pub path: PathBuf,
    /// Its path as the operator would write it (the root as given joined with `relative`).
    pub shown: PathBuf,
    /// The root it was found under, as given.
    pub root: PathBuf,
    /// Its path relative to that root.
    pub relative: PathBuf,
    /// The store it is in (its root's), where it is named `relative`.
    pub store: Arc<dyn ArchiveStore>,
}

impl Found {
    /// Its name in its store.
    pub fn name(&self) -> String {
        self.relative.to_string_lossy().into_owned()
    }
}

/// What a walk found: archives, entries skipped (links, and other files named `*.custody` that
/// are not regular files), and directories that could not be read.
#[derive(Debug, Default)]
pub(super) struct Tree {
    pub archives: Vec<Found>,
    pub skipped: Vec<(PathBuf, String)>,
    pub unreadable: Vec<(Found, String)>,
}

impl Roots {
    /// Resolves every root (each must be a directory) and every `--leave` path (each must lie
    /// under a root); refuses any that does not, naming it, before anything is asked or written.
    pub(super) fn resolve(archives: &[PathBuf], leave: &[PathBuf]) -> Result<Self, CeremonyError> {
        let roots = archives
            .iter()
            .map(|root| {
                if is_object_url(root) {
                    let store = store::open(root).map_err(|error| {
                        CeremonyError::refused(
                            format!("--archives {}: {error}", root.display()),
                            error.hint(),
                        )
                    })?;
                    return Ok(Root {
                        given: root.clone(),
                        canonical: PathBuf::from(store.location()),
                        store,
                    });
                }
                let canonical = std::fs::canonicalize(root).map_err(CeremonyError::io(root))?;
                if canonical.is_dir() {
                    let store = store::open(&canonical).map_err(|error| {
                        CeremonyError::refused(
                            format!("--archives {}: {error}", root.display()),
                            error.hint(),
                        )
                    })?;
                    Ok(Root {
                        given: root.clone(),
                        canonical,
                        store,
                    })
                } else {
                    Err(CeremonyError::refused(
                        format!("--archives {}: not a directory", root.display()),
                        "give the directory that holds the archives (it is walked recursively)",
                    ))
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        let leave = leave
            .iter()
            .map(|path| resolve_leave(path, &roots))
            .collect::<Result<BTreeSet<_>, _>>()?;
        Ok(Self { roots, leave })
    }

    /// Whether `path` (as the walk found it) was named by `--leave`.
    pub(super) fn leaves(&self, path: &Path) -> bool {
        self.leave.contains(path)
    }

    /// Every root walked, archives sorted by path, each found once even when roots overlap.
    pub(super) fn walk(&self) -> Tree {
        let mut tree = Tree::default();
        for root in &self.roots {
            if is_object_url(&root.given) {
                list_store(root, &mut tree);
            } else {
                walk_root(root, &mut tree);
            }
        }
        tree.archives.sort_by(|a, b| a.path.cmp(&b.path));
        tree.archives.dedup_by(|a, b| a.path == b.path);
        tree.skipped.sort();
        tree.skipped.dedup();
        tree.unreadable.sort_by(|a, b| a.0.path.cmp(&b.0.path));
        tree.unreadable.dedup_by(|a, b| a.0.path == b.0.path);
        tree
    }
}

/// A `--leave` path, canonical, refused unless it lies under one of `roots`.
fn resolve_leave(path: &Path, roots: &[Root]) -> Result<PathBuf, CeremonyError> {
    let canonical = if is_object_url(path) {
        path.to_owned()
    } else {
        std::fs::canonicalize(path).map_err(CeremonyError::io(path))?
    };
    if roots
        .iter()
        .any(|root| canonical.starts_with(&root.canonical))
    {
        Ok(canonical)
    } else {
        Err(CeremonyError::refused(
            format!(
                "--leave {}: not under any --archives directory",
                path.display()
            ),
            "name an archive the rotation reported as left, by its path under --archives",
        ))
    }
}

/// Lists one object store's archives; what else is there is skipped, with why.
fn list_store(root: &Root, tree: &mut Tree) {
    match root.store.list() {
        Ok(listing) => {
            for archive in listing.archives {
                tree.archives
                    .push(found(root, root.canonical.join(archive.name)));
            }
            for (key, reason) in listing.others {
                tree.skipped.push((root.given.join(key), reason));
            }
        }
        Err(error) => tree.unreadable.push((
            found(root, root.canonical.clone()),
            format!("a store that cannot be listed ({error}): archives in it would be missed"),
        )),
    }
}

/// Walks one root depth first without following a symbolic link.
fn walk_root(root: &Root, tree: &mut Tree) {
    let mut pending = vec![root.canonical.clone()];
    while let Some(dir) = pending.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(error) => {
                tree.unreadable.push((
                    found(root, dir),
                    format!(
                        "a directory that cannot be read ({error}): archives in it would be missed"
                    ),
                ));
                continue;
            }
        };
        for entry in entries {
            let (path, kind) = match entry.and_then(|e| Ok((e.path(), e.file_type()?))) {
                Ok(entry) => entry,
                Err(error) => {
                    tree.unreadable.push((
                        found(root, dir.clone()),
                        format!("an entry of this directory cannot be read ({error})"),
                    ));
                    continue;
                }
            };
            visit(root, path, kind, tree, &mut pending);
        }
    }
}

/// Sorts one directory entry: a directory to walk, an archive, or something skipped.
fn visit(root: &Root, path: PathBuf, kind: FileType, tree: &mut Tree, pending: &mut Vec<PathBuf>) {
    // `DirEntry::file_type` does not follow a symbolic link: a link is a link here.
    if kind.is_dir() {
        pending.push(path);
    } else if kind.is_symlink() {
        if let Some(reason) = link_reason(&path) {
            tree.skipped.push((found(root, path).shown, reason));
        }
    } else if is_archive_name(&path) {
        if kind.is_file() {
            tree.archives.push(found(root, path));
        } else {
            let shown = found(root, path).shown;
            tree.skipped
                .push((shown, "not a regular file: not read".to_owned()));
        }
    }
}

/// Why a symbolic link is reported, when it could lead to archives: its name is `*.custody` or
/// it points to a directory (only the link's target is looked at, never read or walked).
fn link_reason(path: &Path) -> Option<String> {
    let target = std::fs::read_link(path)
        .map(|t| t.display().to_string())
        .unwrap_or_else(|_| "?".to_owned());
    let to_dir = std::fs::metadata(path).is_ok_and(|m| m.is_dir());
    let what = if to_dir {
        "a symbolic link to a directory"
    } else if is_archive_name(path) {
        "a symbolic link"
    } else {
        return None;
    };
    Some(format!(
        "{what} (to {target}), not followed: give the archives it leads to as --archives of their own"
    ))
}

fn is_archive_name(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "custody")
}

fn found(root: &Root, path: PathBuf) -> Found {
    let relative = path
        .strip_prefix(&root.canonical)
        .unwrap_or(&path)
        .to_owned();
    Found {
        shown: root.given.join(&relative),
        path,
        root: root.given.clone(),
        relative,
        store: Arc::clone(&root.store),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_nested_directories_and_reports_links_without_following_them() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("arch");
        std::fs::create_dir_all(root.join("2026/jan")).unwrap();
        std::fs::write(root.join("top.custody"), b"x").unwrap();
        std::fs::write(root.join("2026/jan/a.custody"), b"x").unwrap();
        std::fs::write(root.join("2026/notes.txt"), b"x").unwrap();
        let outside = dir.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("o.custody"), b"x").unwrap();
        std::os::unix::fs::symlink(outside.join("o.custody"), root.join("o.custody")).unwrap();
        std::os::unix::fs::symlink(&outside, root.join("more")).unwrap();
        let roots = Roots::resolve(&[root.clone(), root.join("2026")], &[]).unwrap();
        let tree = roots.walk();
        let relative: Vec<_> = tree.archives.iter().map(|f| f.relative.clone()).collect();
        assert_eq!(
            relative,
            [
                PathBuf::from("2026/jan/a.custody"),
                PathBuf::from("top.custody")
            ]
        );
        assert_eq!(tree.skipped.len(), 2, "{:?}", tree.skipped);
        assert!(tree.skipped.iter().all(|(_, r)| r.contains("not followed")));
    }

    #[test]
    fn a_leave_outside_every_root_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("arch");
        std::fs::create_dir(&root).unwrap();
        let elsewhere = dir.path().join("x.custody");
        std::fs::write(&elsewhere, b"x").unwrap();
        let error = Roots::resolve(&[root], &[elsewhere]).unwrap_err();
        assert!(
            error.to_string().contains("not under any --archives"),
            "{error}"
        );
    }
}
