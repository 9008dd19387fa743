//! Atomic replacement of a file: a temporary file in the destination's directory, written and
//! fsynced, renamed over the destination, then the directory fsynced. A reader sees the old bytes
//! or the new ones, never a mixture, and a crash leaves no partial file at the destination.
//! Every file custody writes goes through here; it must never write a destination in place.

use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// A file that appears at its destination complete or not at all: written to a temporary file
/// beside it, which [`AtomicFile::commit`] syncs and renames over the destination. Dropped
/// uncommitted, the temporary file is removed.
#[derive(Debug)]
pub struct AtomicFile {
    temporary: tempfile::NamedTempFile,
    destination: PathBuf,
}

impl AtomicFile {
    /// Starts a file for `destination`. An existing destination's permissions are kept; a new
    /// file is readable and writable by its owner only.
    pub fn create(destination: &Path) -> io::Result<Self> {
        let temporary = tempfile::Builder::new()
            .prefix(".custody-")
            .suffix(".tmp")
            .tempfile_in(directory_of(destination))?;
        if let Ok(existing) = std::fs::metadata(destination) {
            temporary
                .as_file()
                .set_permissions(existing.permissions())?;
        }
        Ok(Self {
            temporary,
            destination: destination.to_owned(),
        })
    }

    /// Syncs the bytes, renames them over the destination and syncs the directory.
    pub fn commit(self) -> io::Result<()> {
        self.temporary.as_file().sync_all()?;
        self.temporary
            .persist(&self.destination)
            .map_err(|error| error.error)?;
        sync_parent(&self.destination)
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
    let mut file = AtomicFile::create(path)?;
    file.temporary
        .as_file()
        .set_permissions(std::fs::Permissions::from_mode(PUBLIC_FILE_MODE))?;
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
    fn a_missing_directory_is_an_error_and_creates_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent").join("manifest.json");
        assert!(write_atomic(&path, b"x").is_err());
        assert!(!path.exists());
    }
}
