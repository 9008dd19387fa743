//! Atomic replacement of a file: a temporary file in the destination's directory, written and
//! fsynced, renamed over the destination, then the directory fsynced. A reader sees the old bytes
//! or the new ones, never a mixture, and a crash leaves no partial file at the destination.
//! Every file custody writes goes through here; it must never write a destination in place.
//!
//! Each temporary file is named by what it will hold (FORMAT.md 8.3) and kept in a process-wide
//! list of unfinished writes until it is renamed into place or dropped, so that a signal watcher
//! can remove every unfinished one before the process exits ([`abandon_unfinished`]).

use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Every temporary file's name starts with this ...
pub const TEMPORARY_PREFIX: &str = ".custody-";
/// ... and ends with this.
pub const TEMPORARY_SUFFIX: &str = ".tmp";

/// What a temporary file holds while it is written, stated in its name so that a later run
/// finding it left behind can say whether it may have held plaintext.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemporaryKind {
    /// An archive being sealed (`.custody-seal-XXXXXX.tmp`): only encrypted data.
    Sealed,
    /// Data being opened from an archive (`.custody-open-XXXXXX.tmp`): decrypted plaintext.
    Opened,
    /// Any other custody file (`.custody-XXXXXX.tmp`): manifests, share files, journals.
    Other,
}

impl TemporaryKind {
    /// The start of a temporary file name of this kind.
    pub fn prefix(self) -> &'static str {
        match self {
            Self::Sealed => ".custody-seal-",
            Self::Opened => ".custody-open-",
            Self::Other => TEMPORARY_PREFIX,
        }
    }

    /// The kind a custody temporary file name states, `None` for any other name.
    pub fn of_name(name: &str) -> Option<Self> {
        let rest = name
            .strip_prefix(TEMPORARY_PREFIX)?
            .strip_suffix(TEMPORARY_SUFFIX)?;
        if rest.is_empty() {
            return None;
        }
        Some(if rest.starts_with("seal-") {
            Self::Sealed
        } else if rest.starts_with("open-") {
            Self::Opened
        } else {
            Self::Other
        })
    }
}

/// Temporary files being written now, not yet renamed into place or removed.
static UNFINISHED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
/// Files this process has renamed into place.
static COMMITTED: AtomicUsize = AtomicUsize::new(0);

fn unfinished() -> MutexGuard<'static, Vec<PathBuf>> {
    UNFINISHED.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A temporary file's place in the list of unfinished writes, left when it is dropped.
#[derive(Debug)]
struct Unfinished(PathBuf);

impl Unfinished {
    fn enter(path: &Path) -> Self {
        unfinished().push(path.to_owned());
        Self(path.to_owned())
    }
}

impl Drop for Unfinished {
    fn drop(&mut self) {
        unfinished().retain(|path| path != &self.0);
    }
}

/// What [`abandon_unfinished`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Abandoned {
    /// Unfinished temporary files removed.
    pub removed: usize,
    /// Files this process had already renamed into place (complete; they stay).
    pub committed: usize,
}

/// Runs `commit`, the step that makes something written elsewhere visible (an object store's
/// archive), as a rename is here: never after [`abandon_unfinished`], and counted as committed.
pub fn commit_elsewhere<T, E>(commit: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
    let _list = unfinished();
    let done = commit()?;
    COMMITTED.fetch_add(1, Ordering::SeqCst);
    Ok(done)
}

/// Removes every unfinished temporary file and stops any further file from being renamed into
/// place: for a process about to exit on a signal. It never returns the list's lock, so a commit
/// racing with it either finished before (and is counted) or never happens.
pub fn abandon_unfinished() -> Abandoned {
    let list = unfinished();
    let removed = list
        .iter()
        .filter(|path| std::fs::remove_file(path).is_ok())
        .count();
    let committed = COMMITTED.load(Ordering::SeqCst);
    // Held until the process exits: no rename may follow.
    std::mem::forget(list);
    Abandoned { removed, committed }
}

/// A file that appears at its destination complete or not at all: written to a temporary file
/// beside it, which [`AtomicFile::commit`] syncs and renames over the destination. Dropped
/// uncommitted, the temporary file is removed.
#[derive(Debug)]
pub struct AtomicFile {
    temporary: tempfile::NamedTempFile,
    destination: PathBuf,
    unfinished: Unfinished,
}

impl AtomicFile {
    /// Starts a file for `destination`. An existing destination's permissions are kept; a new
    /// file is readable and writable by its owner only.
    pub fn create(destination: &Path) -> io::Result<Self> {
        Self::create_as(destination, TemporaryKind::Other)
    }

    /// Starts a file for `destination` whose temporary file's name states `kind`.
    pub fn create_as(destination: &Path, kind: TemporaryKind) -> io::Result<Self> {
        let temporary = tempfile::Builder::new()
            .prefix(kind.prefix())
            .suffix(TEMPORARY_SUFFIX)
            .tempfile_in(directory_of(destination))?;
        let unfinished = Unfinished::enter(temporary.path());
        if let Ok(existing) = std::fs::metadata(destination) {
            temporary
                .as_file()
                .set_permissions(existing.permissions())?;
        }
        Ok(Self {
            temporary,
            destination: destination.to_owned(),
            unfinished,
        })
    }

    /// Syncs the bytes, renames them over the destination and syncs the directory.
    pub fn commit(self) -> io::Result<()> {
        self.finish(|temporary, destination| temporary.persist(destination).map(drop))
    }

    /// As [`AtomicFile::commit`], but never replaces a destination that exists by then (another
    /// run may have made it since it was checked): that fails with `AlreadyExists`.
    pub fn commit_new(self) -> io::Result<()> {
        self.finish(|temporary, destination| temporary.persist_noclobber(destination).map(drop))
    }

    fn finish(
        self,
        persist: impl FnOnce(tempfile::NamedTempFile, &Path) -> Result<(), tempfile::PersistError>,
    ) -> io::Result<()> {
        let Self {
            temporary,
            destination,
            unfinished: entry,
        } = self;
        temporary.as_file().sync_all()?;
        {
            let mut list = unfinished();
            persist(temporary, &destination).map_err(|error| error.error)?;
            list.retain(|path| path != &entry.0);
            COMMITTED.fetch_add(1, Ordering::SeqCst);
        }
        drop(entry);
        sync_parent(&destination)
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.temporary.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.temporary.flush()
    }
}

/// Replaces `path` with `bytes` atomically (see [`AtomicFile`]).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(bytes)?;
    file.commit()
}

/// Replaces `path` with `bytes` atomically, as a public file: mode 0644 whatever the umask.
pub fn write_atomic_public(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic_mode(path, bytes, PUBLIC_FILE_MODE)
}

/// Replaces `path` with `bytes` atomically, with `mode` whatever the umask (0755 for a binary).
pub fn write_atomic_mode(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let mut file = AtomicFile::create(path)?;
    file.temporary
        .as_file()
        .set_permissions(std::fs::Permissions::from_mode(mode))?;
    file.write_all(bytes)?;
    file.commit()
}

/// A public file's mode: everyone reads, only the owner writes.
pub const PUBLIC_FILE_MODE: u32 = 0o644;

/// A directory custody creates: everyone lists it, only the owner writes; never the umask's say.
const DIRECTORY_MODE: u32 = 0o755;

/// Creates `path` and any missing parent, and gives `path` mode 0755 whatever the umask.
pub fn create_directory(path: &Path) -> io::Result<()> {
    std::fs::create_dir_all(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(DIRECTORY_MODE))
}

/// Makes a rename of `path` (file or directory) durable by syncing the directory holding it.
pub fn sync_parent(path: &Path) -> io::Result<()> {
    File::open(directory_of(path))?.sync_all()
}

/// Makes every write so far to the file system holding `path` durable (`syncfs`): one call
/// instead of one fsync per file, for work that writes many files in place.
pub fn sync_filesystem(path: &Path) -> io::Result<()> {
    rustix::fs::syncfs(File::open(path)?).map_err(io::Error::from)
}

/// The directory holding `path` (`.` for a bare file name).
pub fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_replaces_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("manifest.json");
        write_atomic(&path, b"first").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn a_new_file_is_private_to_its_owner() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cio.share");
        write_atomic(&path, b"sealed").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn temporary_names_state_their_kind() {
        assert_eq!(
            TemporaryKind::of_name(".custody-open-Ab3xYz.tmp"),
            Some(TemporaryKind::Opened)
        );
        assert_eq!(
            TemporaryKind::of_name(".custody-seal-Ab3xYz.tmp"),
            Some(TemporaryKind::Sealed)
        );
        assert_eq!(
            TemporaryKind::of_name(".custody-Ab3xYz.tmp"),
            Some(TemporaryKind::Other)
        );
        assert_eq!(TemporaryKind::of_name(".custody-.tmp"), None);
        assert_eq!(TemporaryKind::of_name("custody-open-a.tmp"), None);
        assert_eq!(TemporaryKind::of_name(".custody-open-a.txt"), None);
    }

    #[test]
    fn an_unfinished_file_is_listed_until_dropped_or_committed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("land.csv");
        let file = AtomicFile::create_as(&path, TemporaryKind::Opened).unwrap();
        let temporary = file.temporary.path().to_owned();
        let name = temporary.file_name().unwrap().to_str().unwrap().to_owned();
        assert!(name.starts_with(".custody-open-"), "{name}");
        assert!(unfinished().contains(&temporary));
        file.commit().unwrap();
        assert!(!unfinished().contains(&temporary));
        let file = AtomicFile::create_as(&path, TemporaryKind::Sealed).unwrap();
        let temporary = file.temporary.path().to_owned();
        drop(file);
        assert!(!unfinished().contains(&temporary));
        assert!(!temporary.exists());
    }

    #[test]
    fn a_missing_directory_is_an_error_and_creates_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent").join("manifest.json");
        assert!(write_atomic(&path, b"x").is_err());
        assert!(!path.exists());
    }
}
