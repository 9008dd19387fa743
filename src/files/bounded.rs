//! Reading a file with a size cap, so a wrong path (a disk image, a device) cannot make custody
//! allocate without bound. It returns at most `limit + 1` bytes: the caller's format decides what
//! "too large" means and says so. It must never read past that.

use std::io::{self, Read};
use std::path::Path;

/// Reads up to `limit + 1` bytes of `path`; more than `limit` bytes means the file is too large.
pub fn read_at_most(path: &Path, limit: usize) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    std::fs::File::open(path)?
        .take(cap)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_one_byte_past_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        std::fs::write(&path, [7u8; 100]).unwrap();
        assert_eq!(read_at_most(&path, 10).unwrap().len(), 11);
        assert_eq!(read_at_most(&path, 100).unwrap().len(), 100);
    }
}
