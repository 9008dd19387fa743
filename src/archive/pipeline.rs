//! The parallel engine under seal, open and verify: the input is cut into fixed-size segments,
//! transformed on every core and written in order by the calling thread. Helper threads (one per
//! core but one) transform segments from a queue, and the calling thread transforms a segment
//! itself whenever the helpers are all busy, so every core works and no more threads are busy
//! than there are cores. A regular file's segments are read by the thread that transforms each,
//! by position, so the copy out of the page cache is spread over the cores and the bytes are
//! still in that core's cache when sealed or opened; any other input is read in order by the
//! calling thread (docs/PERFORMANCE.md measures both). At most a fixed number of segments are in
//! flight, so memory stays bounded by a small constant whatever the input size.
//!
//! This module owns threading, ordering, reading and the rule that tells the last segment from
//! the others. It knows nothing of keys or formats (the transform does), and it must never pass a
//! segment to the output before every segment with a lower index has been written and its own
//! transform has succeeded.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Seek};
use std::os::unix::fs::FileExt;
use std::sync::mpsc::{channel, sync_channel, TrySendError};
use std::sync::Mutex;
use std::thread;

use zeroize::Zeroizing;

use super::error::{ArchiveError, Result};
use super::format::read_up_to;
use super::input::Input;
use super::seal::len_u64;
use super::stream::TAG_LEN;

/// Upper bound on the bytes of segments in flight (being read, transformed or awaiting output).
const MAX_IN_FLIGHT_BYTES: usize = 32 * 1024 * 1024;

/// A segment's first byte sits at the same offset within a cache line as its source's first
/// byte. The kernel copies a read out of the page cache with `rep movsb`, which runs at half
/// speed or less on this project's AMD machine when the destination is a little ahead of the
/// source within a cache line (docs/PERFORMANCE.md, issue 17).
const LINE: usize = 64;

/// One piece of the stream: its index, whether it is the last, and its bytes (wiped on drop:
/// they hold plaintext on one side of the transform).
#[derive(Debug)]
pub(super) struct Segment {
    pub(super) index: u64,
    pub(super) last: bool,
    /// The bytes are `buffer[start..]`; `start` aligns them with their source (see [`LINE`]).
    buffer: Zeroizing<Vec<u8>>,
    start: usize,
}

impl Segment {
    /// The segment's bytes.
    pub(super) fn bytes(&self) -> &[u8] {
        &self.buffer[self.start..]
    }

    /// The segment's bytes, to transform in place.
    pub(super) fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.buffer[self.start..]
    }

    /// Appends `bytes` (a tag: the buffer has room for one, so it never reallocates).
    pub(super) fn append(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// Keeps the first `len` bytes.
    pub(super) fn truncate(&mut self, len: usize) {
        self.buffer.truncate(self.start + len);
    }

    /// Makes room for `len` bytes read from `source_offset`, aligned with it, and returns it.
    fn room(&mut self, source_offset: u64, len: usize) -> &mut [u8] {
        let within_line = usize::try_from(source_offset % len_u64(LINE)).unwrap_or(0);
        // `align_offset` may decline (usize::MAX); that costs speed only, never correctness.
        let to_line = self.buffer.as_ptr().align_offset(LINE) % LINE;
        self.start = (to_line + within_line) % LINE;
        self.buffer.resize(self.start + len, 0);
        self.bytes_mut()
    }
}

/// The per-segment work, run on worker threads.
pub(super) type Transform<'a> = &'a (dyn Fn(&mut Segment) -> Result<()> + Sync);

/// Cuts `input` into segments of `segment_len` bytes, transforms them on all cores and hands
/// them to `output` in order. Always yields at least one segment (empty when the input is).
/// Returns the number of segments.
pub(super) fn run(
    input: &mut Input<'_>,
    segment_len: usize,
    transform: Transform<'_>,
    output: &mut dyn FnMut(&Segment) -> Result<()>,
) -> Result<u64> {
    let (mut segments, file) = match input {
        Input::File(file) => {
            let file = Positional::new(file, segment_len).map_err(ArchiveError::Read)?;
            (
                Segments::new(Order::Counted { len: file.len }, segment_len),
                Some(file),
            )
        }
        Input::Stream(stream) => {
            let order = Order::Read {
                input: stream,
                pending: None,
            };
            (Segments::new(order, segment_len), None)
        }
    };
    // What a worker does with a segment: read it, when it is a file's, then transform it.
    let work = |segment: &mut Segment| {
        if let Some(file) = &file {
            file.read(segment)?;
        }
        transform(segment)
    };
    let Some(mut first) = segments.next()? else {
        return Ok(0);
    };
    if first.last {
        // A one-segment input (most small files) costs no thread start-up and no hand-offs.
        work(&mut first)?;
        output(&first)?;
        return Ok(1);
    }
    let cores = thread::available_parallelism().map_or(1, usize::from);
    // The calling thread is one of the workers: it transforms a segment itself whenever every
    // helper is busy, so no core idles and no more threads run than there are cores.
    let helpers = cores - 1;
    // Two per core keeps every core busy while earlier segments wait to be written.
    let limit = (2 * cores).clamp(2, (MAX_IN_FLIGHT_BYTES / segment_len).max(2));
    // At most two segments queued per helper (measured: one or none leaves the helpers idle
    // more often): beyond that the calling thread transforms a segment itself.
    let (job_tx, job_rx) = sync_channel::<Segment>(2 * helpers);
    let job_rx = Mutex::new(job_rx);
    let (done_tx, done_rx) = channel::<(Segment, Result<()>)>();
    thread::scope(|scope| {
        for _ in 0..helpers {
            let done_tx = done_tx.clone();
            let (job_rx, work) = (&job_rx, &work);
            scope.spawn(move || loop {
                let job = job_rx
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .recv();
                let Ok(mut segment) = job else { break };
                let result = work(&mut segment);
                if done_tx.send((segment, result)).is_err() {
                    break;
                }
            });
        }
        drop(done_tx);
        // Moved in so that returning, on success or error, drops it: that ends the helpers and
        // the scope can join them.
        let job_tx = job_tx;
        let mut order = InOrder {
            waiting: BTreeMap::new(),
            written: 0,
            in_flight: 0,
        };
        let (mut next, mut more) = (Some(first), true);
        loop {
            while more && order.in_flight < limit {
                let segment = match next.take() {
                    Some(segment) => segment,
                    None => match segments.next()? {
                        Some(segment) => segment,
                        None => {
                            more = false;
                            break;
                        }
                    },
                };
                order.in_flight += 1;
                match job_tx.try_send(segment) {
                    Ok(()) => {}
                    Err(TrySendError::Full(mut segment)) => {
                        let result = work(&mut segment);
                        order.waiting.insert(segment.index, (segment, result));
                    }
                    Err(TrySendError::Disconnected(_)) => return Err(worker_lost()),
                }
                while let Ok((segment, result)) = done_rx.try_recv() {
                    order.waiting.insert(segment.index, (segment, result));
                }
                order.flush(output, &mut segments)?;
            }
            if order.in_flight == 0 {
                return Ok(order.written);
            }
            if !order.waiting.contains_key(&order.written) {
                let (segment, result) = done_rx.recv().map_err(|_| worker_lost())?;
                order.waiting.insert(segment.index, (segment, result));
            }
            order.flush(output, &mut segments)?;
        }
    })
}

/// Transformed segments waiting for those before them, and how far output has got.
struct InOrder {
    waiting: BTreeMap<u64, (Segment, Result<()>)>,
    written: u64,
    in_flight: usize,
}

impl InOrder {
    /// Writes every segment that is next in order, returning its buffer for reuse.
    fn flush(
        &mut self,
        output: &mut dyn FnMut(&Segment) -> Result<()>,
        segments: &mut Segments<'_>,
    ) -> Result<()> {
        while let Some((segment, result)) = self.waiting.remove(&self.written) {
            result?;
            output(&segment)?;
            segments.recycle(segment.buffer);
            self.in_flight -= 1;
            self.written += 1;
        }
        Ok(())
    }
}

/// A worker thread ended early: only a panic inside the AEAD library can do that.
fn worker_lost() -> ArchiveError {
    ArchiveError::Read(io::Error::other("a worker thread stopped unexpectedly"))
}

/// A regular file's payload, `len` bytes from `offset`, which workers read segment by segment.
struct Positional<'a> {
    file: &'a File,
    offset: u64,
    len: u64,
    segment_len: u64,
}

impl<'a> Positional<'a> {
    /// The payload from the file's current offset to its current end.
    fn new(mut file: &'a File, segment_len: usize) -> io::Result<Self> {
        let offset = file.stream_position()?;
        let len = file.metadata()?.len().saturating_sub(offset);
        Ok(Self {
            file,
            offset,
            len,
            segment_len: len_u64(segment_len),
        })
    }

    /// Reads a segment's bytes; the last one also checks that nothing follows it.
    fn read(&self, segment: &mut Segment) -> Result<()> {
        let at = segment.index.saturating_mul(self.segment_len);
        let len = self.len.saturating_sub(at).min(self.segment_len);
        let offset = self.offset + at;
        let room = segment.room(offset, usize::try_from(len).map_err(|_| changed())?);
        self.file
            .read_exact_at(room, offset)
            .map_err(|error| match error.kind() {
                io::ErrorKind::UnexpectedEof => changed(),
                _ => ArchiveError::Read(error),
            })?;
        if segment.last {
            let mut beyond = [0u8; 1];
            loop {
                match self.file.read_at(&mut beyond, offset + len) {
                    Ok(0) => break,
                    Ok(_) => return Err(changed()),
                    Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                    Err(error) => return Err(ArchiveError::Read(error)),
                }
            }
        }
        Ok(())
    }
}

/// A file read by position changed length while it was read.
fn changed() -> ArchiveError {
    ArchiveError::Read(io::Error::other(
        "the file changed length while it was read",
    ))
}

/// How the calling thread tells segments apart and knows the last.
enum Order<'a> {
    /// A file's payload of `len` bytes: the count is known, the workers read the bytes.
    Counted { len: u64 },
    /// Read here, in order, one segment ahead of what is handed out.
    Read {
        input: &'a mut dyn Read,
        pending: Option<Segment>,
    },
}

/// Hands out segments in order, with their buffers.
struct Segments<'a> {
    order: Order<'a>,
    segment_len: usize,
    next_index: u64,
    ended: bool,
    spare: Vec<Zeroizing<Vec<u8>>>,
}

impl<'a> Segments<'a> {
    fn new(order: Order<'a>, segment_len: usize) -> Self {
        Self {
            order,
            segment_len,
            next_index: 0,
            ended: false,
            spare: Vec::new(),
        }
    }

    fn next(&mut self) -> Result<Option<Segment>> {
        if self.ended {
            return Ok(None);
        }
        let segment = match &mut self.order {
            Order::Counted { len } => {
                let len = *len;
                let end = (self.next_index + 1).saturating_mul(len_u64(self.segment_len));
                let last = end >= len;
                self.segment(last)
            }
            Order::Read { pending, .. } => {
                let current = match pending.take() {
                    Some(current) => current,
                    None => self.read_one()?,
                };
                self.read_ahead(current)?
            }
        };
        self.ended = segment.last;
        Ok(Some(segment))
    }

    /// Marks `current` last when the input ends with it, else keeps the following one.
    fn read_ahead(&mut self, mut current: Segment) -> Result<Segment> {
        if !current.last {
            let following = self.read_one()?;
            if following.bytes().is_empty() {
                current.last = true;
                self.recycle(following.buffer);
            } else if let Order::Read { pending, .. } = &mut self.order {
                *pending = Some(following);
            }
        }
        Ok(current)
    }

    /// Reads up to one segment in order; a short read means the input ended.
    fn read_one(&mut self) -> Result<Segment> {
        let mut segment = self.segment(false);
        let Order::Read { input, .. } = &mut self.order else {
            return Ok(segment);
        };
        let room = segment.room(0, self.segment_len);
        let got = read_up_to(&mut **input, room).map_err(ArchiveError::Read)?;
        segment.truncate(got);
        segment.last = got < self.segment_len;
        Ok(segment)
    }

    /// The next index, with a buffer.
    fn segment(&mut self, last: bool) -> Segment {
        let buffer = self.spare.pop().unwrap_or_else(|| {
            // Room for the tag and the alignment too, so nothing ever reallocates.
            Zeroizing::new(Vec::with_capacity(self.segment_len + TAG_LEN + LINE))
        });
        let index = self.next_index;
        // Indexes count segments; a u64 outlasts any input (2^64 × 4 KiB).
        self.next_index += 1;
        Segment {
            index,
            last,
            buffer,
            start: 0,
        }
    }

    /// Keeps a buffer for the next segment, which overwrites it (no separate wipe: a reused
    /// buffer never leaves this engine, and `Zeroizing` wipes its whole capacity on drop).
    fn recycle(&mut self, buffer: Zeroizing<Vec<u8>>) {
        self.spare.push(buffer);
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Seek, SeekFrom, Write};

    use super::*;

    const LEN: usize = 4096;

    /// Every segment `run` hands out: (index, last, bytes), with the bytes checked aligned with
    /// their source within a cache line when they come from a file at `offset`.
    fn segments(mut input: Input<'_>, offset: Option<u64>) -> Result<Vec<(u64, bool, Vec<u8>)>> {
        let mut seen = Vec::new();
        run(&mut input, LEN, &|_: &mut Segment| Ok(()), &mut |segment| {
            if let Some(offset) = offset {
                let source = offset + segment.index * len_u64(LEN);
                let at = segment.bytes().as_ptr().addr() % LINE;
                assert_eq!(len_u64(at), source % len_u64(LINE));
            }
            seen.push((segment.index, segment.last, segment.bytes().to_vec()));
            Ok(())
        })?;
        Ok(seen)
    }

    #[test]
    fn a_file_read_by_position_is_cut_as_a_stream_is() {
        for len in [
            0,
            1,
            LEN - 1,
            LEN,
            LEN + 1,
            3 * LEN,
            3 * LEN + 5,
            40 * LEN + 7,
        ] {
            let payload: Vec<u8> = (0..len).map(|i| u8::try_from(i % 251).unwrap()).collect();
            for header in [0_usize, 13] {
                let mut file = tempfile::tempfile().unwrap();
                file.write_all(&vec![0xee; header]).unwrap();
                file.write_all(&payload).unwrap();
                file.seek(SeekFrom::Start(len_u64(header))).unwrap();
                let by_position = segments(Input::File(file), Some(len_u64(header))).unwrap();
                let in_order = segments(Input::from(payload.as_slice()), None).unwrap();
                assert_eq!(by_position, in_order, "{len} bytes after {header}");
                let joined: Vec<u8> = by_position.iter().flat_map(|s| s.2.clone()).collect();
                assert_eq!(joined, payload);
                assert!(by_position.last().is_some_and(|(_, last, _)| *last));
            }
        }
    }

    #[test]
    fn a_file_longer_than_its_length_says_is_refused() {
        // procfs reports a length of 0 for files that have content.
        let input = Input::open(std::path::Path::new("/proc/self/status")).unwrap();
        assert!(matches!(input, Input::File(_)));
        let error = segments(input, None).unwrap_err();
        assert!(error.to_string().contains("changed length"), "{error}");
    }
}
