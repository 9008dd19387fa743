//! Archive stores: where sealed archives live — a directory, or a prefix of a bucket in an
//! S3-compatible object store (`s3://bucket/prefix`) — behind one seam, [`ArchiveStore`], with
//! the two implementations [`LocalStore`] and [`ObjectStore`]. Commands name archives and trees
//! by path or URL; [`open`] gives the store that holds them.
//!
//! An archive is the same bytes in both (docs/FORMAT.md section 7). In an object store it is two
//! objects, `NAME/header` and `NAME/payload`, whose concatenation is the archive file, so a
//! rotation replaces the header alone and never moves a payload (docs/FORMAT.md section 15,
//! D79). Each store also keeps its catalog's batches (section 16), created and never replaced.
//!
//! This layer does plain I/O: it knows where an archive's header ends (by the archive layer's
//! parser) but never holds a key, and never leaves a partly written archive visible.

mod error;
mod local;
mod location;
pub mod s3;

use std::fmt;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;

pub use error::{Result, StoreError};
pub use local::LocalStore;
pub use location::{is_object_url, ObjectUrl, URL_SCHEME};
pub use s3::{abandon_unfinished_uploads, select_profile, ObjectStore, Stale, StaleKind};

/// The suffix every archive name ends with.
pub const ARCHIVE_SUFFIX: &str = ".custody";

/// One archive in a store.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stored {
    /// Its name: the path relative to the store, `/`-separated, ending in `.custody`.
    pub name: String,
    /// Its length in bytes, header and payload.
    pub len: u64,
}

/// What a store holds.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Listing {
    /// Every archive, sorted by name.
    pub archives: Vec<Stored>,
    /// Everything else, each with what it is or why it was passed over: symbolic links (never
    /// followed), unreadable directories, objects that are not part of an archive, an archive
    /// with a header and no payload.
    pub others: Vec<(String, String)>,
}

/// A store of archives. Every method is safe to call from several threads.
pub trait ArchiveStore: fmt::Debug + Send + Sync {
    /// How messages name the store: the directory as given, or `s3://bucket/prefix`.
    fn location(&self) -> &str;

    /// How messages name archive `name` in it.
    fn shown(&self, name: &str) -> String {
        let location = self.location().trim_end_matches('/');
        if location.is_empty() {
            name.to_owned()
        } else {
            format!("{location}/{name}")
        }
    }

    /// Every archive in the store, and what else is there.
    fn list(&self) -> Result<Listing>;

    /// Archive `name`, header then payload, from the start.
    fn read(&self, name: &str) -> Result<Box<dyn Read + Send>>;

    /// The first bytes of archive `name`: at least its whole header (at most `limit` bytes).
    fn read_head(&self, name: &str, limit: usize) -> Result<Vec<u8>>;

    /// The length of archive `name`, header and payload.
    fn archive_len(&self, name: &str) -> Result<u64>;

    /// Starts archive `name`: it becomes visible only when committed, replacing one that exists
    /// only when `replace`. `size` is the payload's length when known (it sizes the parts of an
    /// upload). Dropped uncommitted, nothing is left.
    fn create(&self, name: &str, size: Option<u64>, replace: bool) -> Result<Box<dyn NewArchive>>;

    /// Replaces the header of archive `name` by `header`, of the same length, in one write that
    /// leaves either header whole; the payload is neither read nor written.
    fn replace_header(&self, name: &str, header: &[u8]) -> Result<()>;

    /// Makes every header replaced so far durable (a directory syncs its file system; an
    /// object store's writes are durable once acknowledged).
    fn sync(&self) -> Result<()>;

    /// The catalog's batches, by sequence number from 1, in order (docs/FORMAT.md section 16).
    fn catalog_batches(&self) -> Result<Vec<(u64, Vec<u8>)>>;

    /// Creates catalog batch `sequence`; fails with [`StoreError::CatalogRace`] when it exists,
    /// written by another run since this one read the catalog.
    fn append_catalog_batch(&self, sequence: u64, bytes: &[u8]) -> Result<()>;
}

/// An archive being written: header first, then payload.
pub trait NewArchive: Write + Send {
    /// Makes the archive visible, whole.
    fn commit(self: Box<Self>) -> Result<()>;
}

/// The store at `location`: `s3://bucket/prefix`, or a directory (which must exist).
pub fn open(location: &Path) -> Result<Arc<dyn ArchiveStore>> {
    match ObjectUrl::parse(location)? {
        Some(url) => Ok(Arc::new(ObjectStore::connect(&url)?)),
        None => Ok(Arc::new(LocalStore::open(location)?)),
    }
}

/// The archive a path or URL names, with the store holding it: a URL names the archive's
/// objects in the bucket (`s3://bucket/dir/land.csv.custody`); a path, a file.
pub fn archive_at(archive: &Path) -> Result<Option<(Arc<dyn ArchiveStore>, String)>> {
    let Some(url) = ObjectUrl::parse(archive)? else {
        return Ok(None);
    };
    let (parent, name) = url.split_last()?;
    Ok(Some((Arc::new(ObjectStore::connect(&parent)?), name)))
}

/// The length of the archive header at the start of `head`, by parsing it.
pub(crate) fn header_len(head: &[u8]) -> Option<usize> {
    crate::archive::read_header(head)
        .ok()
        .map(|header| header.len)
}
