//! Writing small archives to a store several at once. A store's round trips, not its bytes, bound
//! how fast thousands of small archives go in: each is sealed in memory on the calling thread (the
//! token's work stays on its one session) and handed to one of a few writers, which create and
//! commit it in the store while the next is sealed. At most [`WRITERS`] archives wait or are
//! being written, each at most [`SMALL_ARCHIVE`] bytes of ciphertext, so memory stays bounded.

use std::io::Write;
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::store::{ArchiveStore, StoreError};

/// The largest archive sealed in memory and written in the background.
pub const SMALL_ARCHIVE: u64 = 1024 * 1024;
/// Archives written at once.
pub const WRITERS: usize = 8;

/// One sealed archive to write.
#[derive(Debug)]
pub struct Queued {
    /// Its place in the command's list of inputs.
    pub index: usize,
    /// Its name in the store.
    pub name: String,
    /// Its bytes: header and payload.
    pub bytes: Vec<u8>,
}

/// What became of a queued archive.
#[derive(Debug)]
pub struct Written {
    /// Its place in the command's list of inputs.
    pub index: usize,
    /// Whether it is now in the store, whole.
    pub result: Result<(), StoreError>,
}

/// The writers of one command.
#[derive(Debug)]
pub struct Writers {
    queue: Option<SyncSender<Queued>>,
    done: Receiver<Written>,
    threads: Vec<JoinHandle<()>>,
    in_flight: usize,
}

impl Writers {
    /// Starts the writers of `store`; `replace` as `--force` says.
    pub fn start(store: &Arc<dyn ArchiveStore>, replace: bool) -> Self {
        let (queue, queued) = sync_channel::<Queued>(0);
        let queued = Arc::new(Mutex::new(queued));
        let (report, done) = channel();
        let threads = (0..WRITERS)
            .map(|_| {
                let (store, queued, report) =
                    (Arc::clone(store), Arc::clone(&queued), report.clone());
                std::thread::spawn(move || write_queued(store.as_ref(), replace, &queued, &report))
            })
            .collect();
        Self {
            queue: Some(queue),
            done,
            threads,
            in_flight: 0,
        }
    }

    /// Hands `archive` to a free writer (waiting for one); what has been written meanwhile.
    pub fn submit(&mut self, archive: Queued) -> Vec<Written> {
        let index = archive.index;
        let sent = self
            .queue
            .as_ref()
            .is_some_and(|queue| queue.send(archive).is_ok());
        if sent {
            self.in_flight += 1;
        }
        let mut written: Vec<Written> = self.done.try_iter().collect();
        self.in_flight -= written.len();
        if !sent {
            written.push(Written {
                index,
                result: Err(StoreError::remote("", "the store's writers stopped")),
            });
        }
        written
    }

    /// Waits for every archive handed over; what became of those not yet reported.
    pub fn finish(mut self) -> Vec<Written> {
        self.queue = None;
        let written: Vec<Written> = self.done.iter().take(self.in_flight).collect();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
        written
    }
}

/// One writer: archives from the queue until it closes.
fn write_queued(
    store: &dyn ArchiveStore,
    replace: bool,
    queued: &Mutex<Receiver<Queued>>,
    report: &Sender<Written>,
) {
    loop {
        let next = queued
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .recv();
        let Ok(archive) = next else { return };
        let result = write_one(store, &archive, replace);
        if report
            .send(Written {
                index: archive.index,
                result,
            })
            .is_err()
        {
            return;
        }
    }
}

fn write_one(store: &dyn ArchiveStore, archive: &Queued, replace: bool) -> Result<(), StoreError> {
    let len = u64::try_from(archive.bytes.len()).ok();
    let mut written = store.create(&archive.name, len, replace)?;
    written
        .write_all(&archive.bytes)
        .map_err(|error| StoreError::remote(store.shown(&archive.name), error))?;
    written.commit()
}
