//! Atomic file output: bytes go to a temporary file beside the destination (created exclusively,
//! mode 0600), which is synced and renamed over the destination only on [`AtomicFile::commit`];
//! the directory is synced after the rename. Dropped uncommitted, the temporary file is removed,
//! so a failure leaves nothing at the destination. This module never interprets the bytes.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use rand::rngs::SysRng;
use rand::TryRng;

use super::error::{ArchiveError, Result};

/// A file that appears at its destination complete or not at all.
#[derive(Debug)]
pub struct AtomicFile {
    file: File,
    temporary: PathBuf,
    destination: PathBuf,
    committed: bool,
}

impl AtomicFile {
    /// Creates the temporary file beside `destination`.
    pub fn create(destination: &Path) -> Result<Self> {
        let name = destination
            .file_name()
            .ok_or_else(|| ArchiveError::Output {
                path: destination.to_owned(),
                source: io::Error::new(io::ErrorKind::InvalidInput, "not a file name"),
            })?;
        let mut random = [0u8; 8];
        SysRng
            .try_fill_bytes(&mut random)
            .map_err(|e| ArchiveError::Randomness(e.to_string()))?;
        let mut temporary_name = std::ffi::OsString::from(".");
        temporary_name.push(name);
        temporary_name.push(format!(".{}.custody-tmp", hex::encode(random)));
        let temporary = destination.with_file_name(temporary_name);
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temporary)
            .map_err(|source| ArchiveError::Output {
                path: temporary.clone(),
                source,
            })?;
        Ok(Self {
            file,
            temporary,
            destination: destination.to_owned(),
            committed: false,
        })
    }

    /// Syncs the data, renames it over the destination and syncs the directory.
    pub fn commit(mut self) -> Result<()> {
        let failed = |path: &Path| {
            let path = path.to_owned();
            move |source| ArchiveError::Output { path, source }
        };
        self.file.sync_all().map_err(failed(&self.temporary))?;
        fs::rename(&self.temporary, &self.destination).map_err(failed(&self.destination))?;
        self.committed = true;
        let directory = match self.destination.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        File::open(directory)
            .and_then(|dir| dir.sync_all())
            .map_err(failed(directory))
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.committed {
            // Best effort: the error path that dropped us is what the user needs to see.
            let _ = fs::remove_file(&self.temporary);
        }
    }
}
