//! Reading a payload object as parallel ranged GETs, in order, in bounded memory: range `i` is
//! fetched by thread `i mod FETCHERS`, which hands it over only when the reader takes it, so at
//! most `FETCHERS` ranges of [`RANGE_LEN`] bytes are held at once besides the one being read
//! (16 MiB, which with the opening pipeline's at most 32 MiB keeps an open within 64 MiB).

use std::io::{self, Read};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;

use s3::Bucket;

use super::retry;

/// Bytes per ranged GET.
const RANGE_LEN: u64 = 4 * 1024 * 1024;
/// Ranges fetched at once.
const FETCHERS: u64 = 3;

/// A payload object read front to back; nothing is fetched before the first read (a command
/// that plans first reads every header, and none of the payloads, before it opens any).
pub(super) struct RangedReader {
    object: Option<Object>,
    /// One channel per fetcher; range `i` arrives on channel `i mod FETCHERS`.
    ranges: Vec<Receiver<io::Result<Vec<u8>>>>,
    next: u64,
    count: u64,
    current: io::Cursor<Vec<u8>>,
}

/// What to fetch, until the fetching starts.
struct Object {
    bucket: Arc<Bucket>,
    location: String,
    key: String,
    len: u64,
}

impl RangedReader {
    /// A reader of the `len` bytes of object `key`.
    pub(super) fn new(bucket: Arc<Bucket>, location: String, key: String, len: u64) -> Self {
        Self {
            object: Some(Object {
                bucket,
                location,
                key,
                len,
            }),
            ranges: Vec::new(),
            next: 0,
            count: len.div_ceil(RANGE_LEN),
            current: io::Cursor::new(Vec::new()),
        }
    }

    /// Starts the fetching threads.
    fn start(&mut self, object: Object) {
        let Object {
            bucket,
            location,
            key,
            len,
        } = object;
        let count = self.count;
        let fetchers = FETCHERS.min(count);
        self.ranges = (0..fetchers)
            .map(|first| {
                let (sender, receiver) = sync_channel(0);
                let (bucket, location, key) = (Arc::clone(&bucket), location.clone(), key.clone());
                std::thread::spawn(move || {
                    let mut index = first;
                    while index < count {
                        let start = index * RANGE_LEN;
                        let end = (start + RANGE_LEN).min(len) - 1;
                        let range = fetch(&bucket, &location, &key, start, end);
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
    }
}

/// Bytes `start..=end` of the object, all of them or an error.
fn fetch(bucket: &Bucket, location: &str, key: &str, start: u64, end: u64) -> io::Result<Vec<u8>> {
    let response = retry(location, || bucket.get_object_range(key, start, Some(end)))?;
    // The response's buffer becomes the range, not a copy of it.
    let bytes = Vec::from(response.into_bytes());
    if u64::try_from(bytes.len()).ok() == Some(end - start + 1) {
        Ok(bytes)
    } else {
        Err(io::Error::other(format!(
            "{location}: the store gave {} bytes for a range of {}",
            bytes.len(),
            end - start + 1
        )))
    }
}

impl Read for RangedReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(object) = self.object.take() {
            self.start(object);
        }
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
