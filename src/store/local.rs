//! A directory as an archive store: archives are the `*.custody` regular files under it (walked
//! recursively, symbolic links never followed), written through [`AtomicFile`] so each appears
//! whole or not at all, headers replaced in place by one positional write; the catalog's batches
//! are the files of `.catalog/` in it, each created once and never replaced.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::error::{Result, StoreError};
use super::{ArchiveStore, Listing, NewArchive, Stored, ARCHIVE_SUFFIX};
use crate::files::{self, find_files_ending, read_at_most, AtomicFile, TemporaryKind};

/// The directory of the catalog's batches in a local store.
pub const CATALOG_DIRECTORY: &str = ".catalog";

/// The largest catalog batch read (a batch of 100,000 entries is about 30 MB).
const MAX_BATCH_LEN: usize = 256 * 1024 * 1024;

/// A directory of archives.
#[derive(Debug)]
pub struct LocalStore {
    root: PathBuf,
    shown: String,
}

impl LocalStore {
    /// The store at `root`, which must be a directory.
    pub fn open(root: &Path) -> Result<Self> {
        let metadata = std::fs::metadata(root).map_err(StoreError::local(root))?;
        if !metadata.is_dir() {
            return Err(StoreError::Local {
                path: root.display().to_string(),
                source: std::io::Error::other("not a directory"),
            });
        }
        Ok(Self {
            root: root.to_owned(),
            shown: root.display().to_string(),
        })
    }

    /// The file of archive `name`; a name that would leave the directory is refused.
    fn path(&self, name: &str) -> Result<PathBuf> {
        if name
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..")
        {
            return Err(StoreError::Missing(self.shown(name)));
        }
        Ok(self.root.join(name))
    }

    /// Opens archive `name` for reading, never through a symbolic link.
    fn open_file(&self, name: &str) -> Result<File> {
        let path = self.path(name)?;
        OpenOptions::new()
            .read(true)
            .custom_flags(nofollow())
            .open(&path)
            .map_err(|error| match error.kind() {
                std::io::ErrorKind::NotFound => StoreError::Missing(self.shown(name)),
                _ => StoreError::local(&path)(error),
            })
    }

    fn catalog_directory(&self) -> PathBuf {
        self.root.join(CATALOG_DIRECTORY)
    }
}

/// `O_NOFOLLOW`: opening a symbolic link fails.
fn nofollow() -> i32 {
    i32::try_from(rustix::fs::OFlags::NOFOLLOW.bits()).unwrap_or(0)
}

impl ArchiveStore for LocalStore {
    fn location(&self) -> &str {
        &self.shown
    }

    fn list(&self) -> Result<Listing> {
        let tree = find_files_ending(&self.root, ARCHIVE_SUFFIX);
        let relative = |path: &Path| {
            path.strip_prefix(&self.root)
                .unwrap_or(path)
                .to_string_lossy()
                .into_owned()
        };
        let mut listing = Listing::default();
        for path in tree.found {
            let len = std::fs::symlink_metadata(&path)
                .map_err(StoreError::local(&path))?
                .len();
            listing.archives.push(Stored {
                name: relative(&path),
                len,
            });
        }
        listing.others = tree
            .skipped
            .into_iter()
            .map(|skipped| (relative(&skipped.path), skipped.reason))
            .collect();
        listing.archives.sort();
        Ok(listing)
    }

    fn read(&self, name: &str) -> Result<Box<dyn Read + Send>> {
        Ok(Box::new(self.open_file(name)?))
    }

    fn read_head(&self, name: &str, limit: usize) -> Result<Vec<u8>> {
        let mut head = Vec::with_capacity(limit);
        self.open_file(name)?
            .take(u64::try_from(limit).unwrap_or(u64::MAX))
            .read_to_end(&mut head)
            .map_err(StoreError::local(&self.root.join(name)))?;
        Ok(head)
    }

    fn archive_len(&self, name: &str) -> Result<u64> {
        let file = self.open_file(name)?;
        file.metadata()
            .map(|metadata| metadata.len())
            .map_err(StoreError::local(&self.root.join(name)))
    }

    fn create(&self, name: &str, _size: Option<u64>, replace: bool) -> Result<Box<dyn NewArchive>> {
        let path = self.path(name)?;
        if !replace && std::fs::symlink_metadata(&path).is_ok() {
            return Err(StoreError::Exists(self.shown(name)));
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(StoreError::local(parent))?;
        }
        let file = AtomicFile::create_as(&path, TemporaryKind::Sealed)
            .map_err(StoreError::local(&path))?;
        Ok(Box::new(LocalArchive {
            file,
            path,
            replace,
        }))
    }

    fn replace_header(&self, name: &str, header: &[u8]) -> Result<()> {
        let path = self.path(name)?;
        let file = OpenOptions::new()
            .write(true)
            .custom_flags(nofollow())
            .open(&path)
            .map_err(StoreError::local(&path))?;
        file.write_all_at(header, 0)
            .map_err(StoreError::local(&path))
    }

    fn sync(&self) -> Result<()> {
        files::sync_filesystem(&self.root).map_err(StoreError::local(&self.root))
    }

    fn catalog_batches(&self) -> Result<Vec<(u64, Vec<u8>)>> {
        let directory = self.catalog_directory();
        let entries = match std::fs::read_dir(&directory) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(StoreError::local(&directory)(error)),
        };
        let mut batches = Vec::new();
        for entry in entries {
            let entry = entry.map_err(StoreError::local(&directory))?;
            // Temporary files of a batch being written, and anything else, are not batches.
            let Some(sequence) = entry.file_name().to_str().and_then(batch_sequence) else {
                continue;
            };
            let path = entry.path();
            let bytes = read_at_most(&path, MAX_BATCH_LEN).map_err(StoreError::local(&path))?;
            batches.push((sequence, bytes));
        }
        batches.sort_by_key(|(sequence, _)| *sequence);
        Ok(batches)
    }

    fn append_catalog_batch(&self, sequence: u64, bytes: &[u8]) -> Result<()> {
        let directory = self.catalog_directory();
        std::fs::create_dir_all(&directory).map_err(StoreError::local(&directory))?;
        let path = directory.join(batch_name(sequence));
        let mut file = AtomicFile::create(&path).map_err(StoreError::local(&path))?;
        file.write_all(bytes).map_err(StoreError::local(&path))?;
        file.commit_new().map_err(|error| match error.kind() {
            std::io::ErrorKind::AlreadyExists => StoreError::CatalogRace {
                location: self.shown.clone(),
                sequence,
            },
            _ => StoreError::local(&path)(error),
        })
    }
}

/// The name of catalog batch `sequence`: 16 decimal digits.
pub fn batch_name(sequence: u64) -> String {
    format!("{sequence:016}")
}

/// The sequence number a batch name states, `None` for any other name.
pub fn batch_sequence(name: &str) -> Option<u64> {
    (name.len() == 16 && name.bytes().all(|b| b.is_ascii_digit()))
        .then(|| name.parse().ok())
        .flatten()
        .filter(|sequence| *sequence > 0)
}

/// A local archive being written.
struct LocalArchive {
    file: AtomicFile,
    path: PathBuf,
    replace: bool,
}

impl Write for LocalArchive {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.file.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

impl NewArchive for LocalArchive {
    fn commit(self: Box<Self>) -> Result<()> {
        let Self {
            file,
            path,
            replace,
        } = *self;
        let committed = if replace {
            file.commit()
        } else {
            file.commit_new()
        };
        committed.map_err(|error| match error.kind() {
            std::io::ErrorKind::AlreadyExists => StoreError::Exists(path.display().to_string()),
            _ => StoreError::local(&path)(error),
        })
    }
}
