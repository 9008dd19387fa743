//! What sealing and opening read: a regular file, whose segments every worker reads for itself
//! by position (so each segment is copied out of the page cache on the core that transforms it),
//! or any other reader — standard input, a pipe, bytes in memory — read in order by the calling
//! thread. The pipeline serves both with the same loop (docs/PERFORMANCE.md measures why).
//!
//! This module only tells the two apart; it must never treat as a file anything that is not a
//! regular file (a FIFO, a terminal or a device is read as a stream).

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// The input of [`seal`](super::seal) or [`Archive::read`](super::Archive::read). Any reader
/// converts into one (read in order); [`Input::open`] makes a regular file positional.
pub enum Input<'a> {
    /// A regular file, read from its current offset to the length it has when the payload
    /// starts; it must keep that length while it is read.
    File(File),
    /// Anything else, read in order to its end.
    Stream(Box<dyn Read + 'a>),
}

impl Input<'static> {
    /// Opens `path`: a regular file is read by position, anything else in order.
    pub fn open(path: &Path) -> io::Result<Self> {
        let file = File::open(path)?;
        Ok(if file.metadata()?.is_file() {
            Self::File(file)
        } else {
            Self::from(file)
        })
    }
}

impl Input<'_> {
    /// The input as one reader, from where it stands (to read a header).
    pub(super) fn reader(&mut self) -> &mut dyn Read {
        match self {
            Self::File(file) => file,
            Self::Stream(stream) => stream,
        }
    }
}

impl fmt::Debug for Input<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(file) => f.debug_tuple("File").field(file).finish(),
            Self::Stream(_) => f.write_str("Stream"),
        }
    }
}

impl<'a, R: Read + 'a> From<R> for Input<'a> {
    fn from(reader: R) -> Self {
        Self::Stream(Box::new(reader))
    }
}
