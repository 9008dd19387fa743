//! Reading a payload object as parallel ranged GETs, in order, in bounded memory: range `i` is
//! fetched by thread `i mod FETCHERS`, which hands it over only when the reader takes it, so at
//! most `FETCHERS` ranges of [`RANGE_LEN`] bytes are held at once besides the one being read
//! (20 MiB, which with the opening pipeline's 32 MiB keeps an open within 64 MiB).

use std::io::{self, Read};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;

use s3::Bucket;

use super::retry;

/// Bytes per ranged GET.
const RANGE_LEN: u64 = 4 * 1024 * 1024;
/// Ranges fetched at once.
const FETCHERS: u64 = 4;

/// A payload object read front to back.
pub(super) struct RangedReader {
    /// One channel per fetcher; range `i` arrives on channel `i mod FETCHERS`.
    ranges: Vec<Receiver<io::Result<Vec<u8>>>>,
    next: u64,
    count: u64,
    current: io::Cursor<Vec<u8>>,
}

impl RangedReader {
    /// Starts fetching the `len` bytes of object `key`.
    pub(super) fn start(bucket: Arc<Bucket>, location: String, key: String, len: u64) -> Self {
        let count = len.div_ceil(RANGE_LEN);
        let fetchers = FETCHERS.min(count);
        let ranges = (0..fetchers)
            .map(|first| {
                let (sender, receiver) = sync_channel(0);
                let (bucket, location, key) = (Arc::clone(&bucket), location.clone(), key.clone());
                std::thread::spawn(move || {
                    let mut index = first;
                    while index < count {
                        let start = index * RANGE_LEN;
                        let end = (start + RANGE_LEN).min(len) - 1;
                        let range = retry(&location, || {
                            bucket.get_object_range(&key, start, Some(end))
                        })
                        .map_err(io::Error::from)
                        .and_then(|response| {
                            let bytes = response.bytes().to_vec();
                            if u64::try_from(bytes.len()).ok() == Some(end - start + 1) {
                                Ok(bytes)
                            } else {
                                Err(io::Error::other(format!(
                                    "{location}: the store gave {} bytes for a range of {}",
                                    bytes.len(),
                                    end - start + 1
                                )))
                            }
                        });
                        let failed = range.is_err();
                        // The reader was dropped: stop fetching.
                        if sender.send(range).is_err() || failed {
                            return;
                        }
                        index += fetchers;
                    }
                });
                receiver
            })
            .collect();
        Self {
            ranges,
            next: 0,
            count,
            current: io::Cursor::new(Vec::new()),
        }
    }
}

impl Read for RangedReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let read = self.current.read(buf)?;
            if read > 0 || buf.is_empty() || self.next == self.count {
                return Ok(read);
            }
            let fetcher = usize::try_from(self.next % FETCHERS).unwrap_or(0);
            let range = self
                .ranges
                .get(fetcher)
                .and_then(|receiver| receiver.recv().ok())
                .unwrap_or_else(|| Err(io::Error::other("a fetching thread stopped")))?;
            self.next += 1;
            self.current = io::Cursor::new(range);
        }
    }
}
