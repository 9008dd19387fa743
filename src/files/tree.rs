//! Finding files by name ending in a directory tree: walked recursively in name order, symbolic
//! links never followed (each is counted as skipped, with why), unreadable directories reported
//! rather than silently passed over. Plain I/O: what the files hold is the caller's business.

use std::path::{Path, PathBuf};

/// What a walk of a tree found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TreeListing {
    /// Regular files whose names end in the suffix, in path order.
    pub found: Vec<PathBuf>,
    /// Entries not looked into, each with the reason.
    pub skipped: Vec<Skipped>,
}

/// An entry of the tree that was passed over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The entry.
    pub path: PathBuf,
    /// Why: `symbolic link (not followed)` or the error reading it.
    pub reason: String,
}

/// Every regular file under `root` whose name ends in `suffix`.
pub fn find_files_ending(root: &Path, suffix: &str) -> TreeListing {
    let mut listing = TreeListing::default();
    let mut directories = vec![root.to_owned()];
    while let Some(directory) = directories.pop() {
        let entries = match std::fs::read_dir(&directory) {
            Ok(entries) => entries,
            Err(error) => {
                listing.skipped.push(Skipped {
                    path: directory,
                    reason: error.to_string(),
                });
                continue;
            }
        };
        let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
        entries.sort_by_key(std::fs::DirEntry::file_name);
        // Popped last first: push in reverse so subdirectories are visited in name order.
        for entry in entries.into_iter().rev() {
            let path = entry.path();
            // DirEntry::file_type does not follow a symbolic link.
            match entry.file_type() {
                Ok(kind) if kind.is_dir() => directories.push(path),
                Ok(kind) if kind.is_symlink() => {
                    if ends_with(&path, suffix) || path.is_dir() {
                        listing.skipped.push(Skipped {
                            path,
                            reason: "symbolic link (not followed)".into(),
                        });
                    }
                }
                Ok(kind) if kind.is_file() && ends_with(&path, suffix) => {
                    listing.found.push(path);
                }
                Ok(_) => {}
                Err(error) => listing.skipped.push(Skipped {
                    path,
                    reason: error.to_string(),
                }),
            }
        }
    }
    listing.found.sort();
    listing.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    listing
}

fn ends_with(path: &Path, suffix: &str) -> bool {
    path.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| name.ends_with(suffix) && name.len() > suffix.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_subdirectories_and_skips_links() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("2026/jan")).unwrap();
        std::fs::write(root.join("top.custody"), b"").unwrap();
        std::fs::write(root.join("2026/jan/deep.custody"), b"").unwrap();
        std::fs::write(root.join("2026/notes.txt"), b"").unwrap();
        std::os::unix::fs::symlink(root.join("top.custody"), root.join("link.custody")).unwrap();
        std::os::unix::fs::symlink(root.join("2026"), root.join("loop")).unwrap();
        let listing = find_files_ending(root, ".custody");
        assert_eq!(
            listing.found,
            [root.join("2026/jan/deep.custody"), root.join("top.custody")]
        );
        let skipped: Vec<_> = listing.skipped.iter().map(|s| s.path.clone()).collect();
        assert_eq!(skipped, [root.join("link.custody"), root.join("loop")]);
    }
}
