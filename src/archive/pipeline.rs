//! The parallel engine under seal, open and verify: the calling thread cuts the input into
//! fixed-size segments and writes results in order; helper threads (one per core but one)
//! transform segments in between, and the calling thread transforms a segment itself whenever
//! the helpers are all busy, so every core works and no more threads are busy than there are
//! cores (docs/PERFORMANCE.md measures why). At most a fixed number of segments are in flight,
//! so memory stays bounded by a small constant whatever the input size.
//!
//! This module owns threading, ordering and the lookahead that tells the last segment from the
//! others. It knows nothing of keys or formats (the transform does), and it must never pass a
//! segment to the output before every segment with a lower index has been written and its own
//! transform has succeeded.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::mpsc::{channel, sync_channel, TrySendError};
use std::sync::Mutex;
use std::thread;

use zeroize::Zeroizing;

use super::error::{ArchiveError, Result};
use super::format::read_up_to;
use super::stream::TAG_LEN;

/// Upper bound on the bytes of segments in flight (being read, transformed or awaiting output).
const MAX_IN_FLIGHT_BYTES: usize = 32 * 1024 * 1024;

/// One piece of the stream: its index, whether it is the last, and its bytes (wiped on drop:
/// they hold plaintext on one side of the transform).
#[derive(Debug)]
pub(super) struct Segment {
    pub(super) index: u64,
    pub(super) last: bool,
    pub(super) data: Zeroizing<Vec<u8>>,
}

/// The per-segment work, run on worker threads.
pub(super) type Transform<'a> = &'a (dyn Fn(&mut Segment) -> Result<()> + Sync);

/// Cuts `input` into segments of `segment_len` bytes, transforms them on all cores and hands
/// them to `output` in order. Always yields at least one segment (empty when the input is).
/// Returns the number of segments.
pub(super) fn run(
    input: &mut dyn Read,
    segment_len: usize,
    transform: Transform<'_>,
    output: &mut dyn FnMut(&Segment) -> Result<()>,
) -> Result<u64> {
    let mut reader = SegmentReader::new(input, segment_len);
    let Some(mut first) = reader.next()? else {
        return Ok(0);
    };
    if first.last {
        // A one-segment input (most small files) costs no thread start-up and no hand-offs.
        transform(&mut first)?;
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
    // more often): beyond that the calling thread transforms a segment itself while the bytes
    // it just read are still in its core's cache.
    let (job_tx, job_rx) = sync_channel::<Segment>(2 * helpers);
    let job_rx = Mutex::new(job_rx);
    let (done_tx, done_rx) = channel::<(Segment, Result<()>)>();
    thread::scope(|scope| {
        for _ in 0..helpers {
            let done_tx = done_tx.clone();
            let job_rx = &job_rx;
            scope.spawn(move || loop {
                let job = job_rx
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .recv();
                let Ok(mut segment) = job else { break };
                let result = transform(&mut segment);
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
                    None => match reader.next()? {
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
                        let result = transform(&mut segment);
                        order.waiting.insert(segment.index, (segment, result));
                    }
                    Err(TrySendError::Disconnected(_)) => return Err(worker_lost()),
                }
                while let Ok((segment, result)) = done_rx.try_recv() {
                    order.waiting.insert(segment.index, (segment, result));
                }
                order.flush(output, &mut reader)?;
            }
            if order.in_flight == 0 {
                return Ok(order.written);
            }
            if !order.waiting.contains_key(&order.written) {
                let (segment, result) = done_rx.recv().map_err(|_| worker_lost())?;
                order.waiting.insert(segment.index, (segment, result));
            }
            order.flush(output, &mut reader)?;
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
    /// Writes every segment that is next in order, returning its buffer to the reader.
    fn flush(
        &mut self,
        output: &mut dyn FnMut(&Segment) -> Result<()>,
        reader: &mut SegmentReader<'_>,
    ) -> Result<()> {
        while let Some((segment, result)) = self.waiting.remove(&self.written) {
            result?;
            output(&segment)?;
            reader.recycle(segment.data);
            self.in_flight -= 1;
            self.written += 1;
        }
        Ok(())
    }
}

/// A worker thread ended early: only a panic inside the AEAD library can do that.
fn worker_lost() -> ArchiveError {
    ArchiveError::Read(std::io::Error::other(
        "a worker thread stopped unexpectedly",
    ))
}

/// Reads segments one ahead of what it hands out, so it knows which one is last.
struct SegmentReader<'a> {
    input: &'a mut dyn Read,
    segment_len: usize,
    next_index: u64,
    pending: Option<Segment>,
    started: bool,
    spare: Vec<Zeroizing<Vec<u8>>>,
}

impl<'a> SegmentReader<'a> {
    fn new(input: &'a mut dyn Read, segment_len: usize) -> Self {
        Self {
            input,
            segment_len,
            next_index: 0,
            pending: None,
            started: false,
            spare: Vec::new(),
        }
    }

    fn next(&mut self) -> Result<Option<Segment>> {
        if !self.started {
            self.started = true;
            self.pending = Some(self.read_one()?);
        }
        let Some(mut current) = self.pending.take() else {
            return Ok(None);
        };
        if !current.last {
            let following = self.read_one()?;
            if following.data.is_empty() {
                current.last = true;
                self.recycle(following.data);
            } else {
                self.pending = Some(following);
            }
        }
        Ok(Some(current))
    }

    /// Reads up to one segment; a short read means the input ended.
    fn read_one(&mut self) -> Result<Segment> {
        let mut data = self
            .spare
            .pop()
            // Room for the tag too, so sealing in place never reallocates.
            .unwrap_or_else(|| Zeroizing::new(Vec::with_capacity(self.segment_len + TAG_LEN)));
        data.resize(self.segment_len, 0);
        let got = read_up_to(self.input, &mut data).map_err(ArchiveError::Read)?;
        data.truncate(got);
        let index = self.next_index;
        // Indexes count segments; a u64 outlasts any input (2^64 × 4 KiB).
        self.next_index += 1;
        Ok(Segment {
            index,
            last: got < self.segment_len,
            data,
        })
    }

    /// Keeps a buffer for the next read, which overwrites it (no separate wipe: a reused
    /// buffer never leaves this engine, and `Zeroizing` wipes its whole capacity on drop).
    fn recycle(&mut self, data: Zeroizing<Vec<u8>>) {
        self.spare.push(data);
    }
}
