//! Temporary files a killed run left behind (SIGKILL, power loss): found in a directory about to
//! be written and removed, each reported with what its name says it held (FORMAT.md 8.3).
//!
//! Only a regular file (never a symbolic link, never followed) whose name is a custody temporary
//! name, owned by the user running custody, and last written before this process started is
//! removed: a temporary file of a run still going on is newer, and another user's is left alone.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::SystemTime;

use super::atomic::TemporaryKind;

/// When this process started, as far as custody knows (see [`note_process_start`]).
static STARTED: OnceLock<SystemTime> = OnceLock::new();

/// Records now as the process's start; call first thing. Without it, the first sweep's time is
/// taken instead.
pub fn note_process_start() {
    STARTED.get_or_init(SystemTime::now);
}

/// A left-behind temporary file that was removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leftover {
    /// Where it was.
    pub path: PathBuf,
    /// What its name says it held.
    pub kind: TemporaryKind,
    /// Its length when found.
    pub bytes: u64,
}

/// Removes the custody temporary files left in `directory` by runs that ended before this one
/// started, and says which. A file that cannot be examined or removed is skipped: the write that
/// follows does not depend on it.
pub fn remove_leftovers(directory: &Path) -> Vec<Leftover> {
    let started = *STARTED.get_or_init(SystemTime::now);
    let Ok(entries) = std::fs::read_dir(directory) else {
        return Vec::new();
    };
    let user = rustix::process::geteuid().as_raw();
    let mut removed: Vec<Leftover> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let kind = TemporaryKind::of_name(entry.file_name().to_str()?)?;
            // DirEntry::metadata does not follow a symbolic link.
            let metadata = entry.metadata().ok()?;
            let stale = metadata.modified().ok()? < started;
            if !metadata.file_type().is_file() || metadata.uid() != user || !stale {
                return None;
            }
            let path = entry.path();
            // Unlinking a name removes that name only, even if it were a link by now.
            std::fs::remove_file(&path).ok()?;
            Some(Leftover {
                path,
                kind,
                bytes: metadata.len(),
            })
        })
        .collect();
    removed.sort_by(|a, b| a.path.cmp(&b.path));
    removed
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn age(path: &Path) {
        let file = std::fs::File::options().write(true).open(path).unwrap();
        let then = SystemTime::now() - Duration::from_secs(3600);
        file.set_modified(then).unwrap();
    }

    #[test]
    fn removes_only_old_custody_temporaries_and_never_follows_a_link() {
        note_process_start();
        let dir = tempfile::tempdir().unwrap();
        let opened = dir.path().join(".custody-open-Ab3xYz.tmp");
        let sealed = dir.path().join(".custody-seal-Ab3xYz.tmp");
        let fresh = dir.path().join(".custody-open-Fresh1.tmp");
        let other = dir.path().join("land.csv");
        let target = dir.path().join("target");
        for path in [&opened, &sealed, &other, &target] {
            std::fs::write(path, b"plaintext").unwrap();
            age(path);
        }
        std::os::unix::fs::symlink(&target, dir.path().join(".custody-open-Link12.tmp")).unwrap();
        std::thread::sleep(Duration::from_millis(20));
        std::fs::write(&fresh, b"being written").unwrap();
        // The fresh file is kept: another run may be writing it now.
        let removed = remove_leftovers(dir.path());
        let kinds: Vec<_> = removed.iter().map(|l| (l.kind, l.bytes)).collect();
        assert_eq!(
            kinds,
            [(TemporaryKind::Opened, 9), (TemporaryKind::Sealed, 9)]
        );
        assert!(!opened.exists() && !sealed.exists());
        assert!(fresh.exists() && other.exists() && target.exists());
        assert!(dir
            .path()
            .join(".custody-open-Link12.tmp")
            .symlink_metadata()
            .is_ok());
    }
}
