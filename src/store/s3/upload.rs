//! Uploading one archive: the header is held until the payload is whole, the payload goes up as
//! one PUT when it is small, else as a multipart upload whose parts a few threads send in
//! parallel, in bounded memory (at most [`SENDERS`] parts being sent, each with the client's
//! copies of it, plus the one filling: about 40 MiB, which with the sealing pipeline's few
//! segments keeps a seal within 64 MiB on a machine of a few cores). Only when the payload is complete does the header object appear, pointing at it.
//! An upload dropped unfinished, or abandoned on a signal, is aborted: no object appears and no
//! multipart upload is left behind.

use std::io::{self, Write};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

use s3::serde_types::Part;
use s3::Bucket;

use super::super::error::{Result, StoreError};
use super::super::{header_len, ArchiveStore, NewArchive};
use super::{retry, ObjectStore, PAYLOAD_OBJECT};
use crate::archive::{read_header, MAX_HEADER_LEN};
use crate::files;

/// The part size: the least S3 allows for every part but the last (memory, not speed, decides).
const MIN_PART: u64 = 5 * 1024 * 1024;
/// S3's limit on the parts of one upload.
const MAX_PARTS: u64 = 10_000;
/// Parts sent at once (the client copies each into its request, so each costs two buffers).
const SENDERS: usize = 2;

/// What this process has in progress in object stores: a payload's multipart upload (with its
/// id), or a payload uploaded whole whose header is not yet written (no id).
type InProgress = (Arc<Bucket>, String, Option<String>);

static UNFINISHED: Mutex<Vec<InProgress>> = Mutex::new(Vec::new());

fn unfinished() -> MutexGuard<'static, Vec<InProgress>> {
    UNFINISHED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Aborts every multipart upload this process has in progress and deletes every payload whose
/// header it has not written (on SIGINT, SIGTERM, SIGHUP, before exiting, after
/// `files::abandon_unfinished` has stopped any header from being written); returns how many.
pub fn abandon_unfinished_uploads() -> usize {
    let uploads = std::mem::take(&mut *unfinished());
    for (bucket, key, id) in &uploads {
        let _ = match id {
            Some(id) => bucket.abort_upload(key, id),
            None => bucket.delete_object(key).map(drop),
        };
    }
    uploads.len()
}

/// One archive being uploaded.
pub(super) struct Upload {
    store: ObjectStore,
    name: String,
    replace: bool,
    part_len: usize,
    /// The header bytes, until the header is whole; then the header alone.
    header: Vec<u8>,
    header_done: bool,
    payload_key: String,
    /// The part being filled.
    part: Vec<u8>,
    multipart: Option<Multipart>,
}

/// A multipart upload in progress and the threads sending its parts.
struct Multipart {
    id: String,
    next_part: u32,
    queue: Option<SyncSender<(u32, Vec<u8>)>>,
    senders: Vec<JoinHandle<Result<Vec<Part>>>>,
}

impl Upload {
    pub(super) fn new(store: ObjectStore, name: String, size: Option<u64>, replace: bool) -> Self {
        // Parts grow past the minimum only for payloads over 48 GiB, to stay within 10,000.
        let part_len = size
            .map_or(MIN_PART, |size| size.div_ceil(MAX_PARTS - 1).max(MIN_PART))
            .next_multiple_of(1024 * 1024);
        Self {
            store,
            name,
            replace,
            part_len: usize::try_from(part_len).unwrap_or(usize::MAX),
            header: Vec::with_capacity(MAX_HEADER_LEN),
            header_done: false,
            payload_key: String::new(),
            part: Vec::new(),
            multipart: None,
        }
    }

    fn location(&self) -> String {
        self.store.shown(&self.name)
    }

    /// Sends the full part being filled, starting the multipart upload with the first.
    fn send_part(&mut self) -> Result<()> {
        let part = std::mem::replace(&mut self.part, Vec::with_capacity(self.part_len));
        if self.multipart.is_none() {
            self.multipart = Some(self.start_multipart()?);
        }
        let location = self.location();
        let Some(multipart) = self.multipart.as_mut() else {
            return Ok(());
        };
        if u64::from(multipart.next_part) > MAX_PARTS {
            return Err(StoreError::TooLarge {
                location,
                max: MAX_PARTS * MIN_PART,
            });
        }
        let number = multipart.next_part;
        multipart.next_part += 1;
        let sent = multipart
            .queue
            .as_ref()
            .is_some_and(|queue| queue.send((number, part)).is_ok());
        if sent {
            Ok(())
        } else {
            // A sender stopped: its error is the one to report.
            self.finish_parts().map(drop)
        }
    }

    fn start_multipart(&self) -> Result<Multipart> {
        let bucket = &self.store.bucket;
        let location = self.location();
        let started = retry(&location, || {
            bucket.initiate_multipart_upload(&self.payload_key, "application/octet-stream")
        })?;
        let id = started.upload_id;
        unfinished().push((
            Arc::clone(bucket),
            self.payload_key.clone(),
            Some(id.clone()),
        ));
        // A rendezvous: a part is handed over only to a sender free to send it.
        let (queue, parts) = sync_channel::<(u32, Vec<u8>)>(0);
        let parts = Arc::new(Mutex::new(parts));
        let senders = (0..SENDERS)
            .map(|_| {
                let (bucket, parts) = (Arc::clone(bucket), Arc::clone(&parts));
                let (key, id, location) = (self.payload_key.clone(), id.clone(), location.clone());
                std::thread::spawn(move || send_parts(&bucket, &key, &id, &location, &parts))
            })
            .collect();
        Ok(Multipart {
            id,
            next_part: 1,
            queue: Some(queue),
            senders,
        })
    }

    /// Waits for every part to be sent; the parts in order.
    fn finish_parts(&mut self) -> Result<Vec<Part>> {
        let Some(multipart) = self.multipart.as_mut() else {
            return Ok(Vec::new());
        };
        multipart.queue = None;
        let mut parts = Vec::new();
        let mut failure = None;
        for sender in multipart.senders.drain(..) {
            match sender.join() {
                Ok(Ok(sent)) => parts.extend(sent),
                Ok(Err(error)) => failure = failure.or(Some(error)),
                Err(_) => {
                    failure = failure.or(Some(StoreError::remote(
                        self.store.shown(&self.name),
                        "a sending thread stopped unexpectedly",
                    )))
                }
            }
        }
        if let Some(error) = failure {
            return Err(error);
        }
        parts.sort_by_key(|part| part.part_number);
        Ok(parts)
    }

    /// Takes header bytes from `buf` until the header is whole; returns how many it took.
    fn take_header(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = MAX_HEADER_LEN - self.header.len();
        let taken = buf.len().min(room);
        self.header.extend_from_slice(&buf[..taken]);
        let Some(len) = header_len(&self.header) else {
            if self.header.len() == MAX_HEADER_LEN {
                return Err(io::Error::other("not an archive header"));
            }
            return Ok(taken);
        };
        // Bytes past the header are payload.
        let extra = self.header.len() - len;
        self.header.truncate(len);
        self.header_done = true;
        let header = read_header(self.header.as_slice()).map_err(io::Error::other)?;
        self.payload_key = self.store.payload_key(&self.name, &header.salt);
        Ok(taken - extra)
    }
}

/// One sending thread: parts from the queue until it closes, each sent with retries.
fn send_parts(
    bucket: &Bucket,
    key: &str,
    id: &str,
    location: &str,
    parts: &Mutex<Receiver<(u32, Vec<u8>)>>,
) -> Result<Vec<Part>> {
    let mut sent = Vec::new();
    loop {
        let next = parts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .recv();
        let Ok((number, bytes)) = next else {
            return Ok(sent);
        };
        sent.push(retry(location, || {
            bucket.put_multipart_chunk(&bytes, key, number, id, "application/octet-stream")
        })?);
    }
}

impl Write for Upload {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.header_done {
            return self.take_header(buf);
        }
        let room = self.part_len - self.part.len();
        let taken = buf.len().min(room);
        self.part.extend_from_slice(&buf[..taken]);
        if self.part.len() == self.part_len {
            self.send_part()?;
        }
        Ok(taken)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl NewArchive for Upload {
    fn commit(mut self: Box<Self>) -> Result<()> {
        let location = self.location();
        if !self.header_done {
            return Err(StoreError::remote(
                location,
                "the archive ended inside its header",
            ));
        }
        let bucket = Arc::clone(&self.store.bucket);
        // Until the header points at it, a payload is removed if the run is interrupted.
        let uploaded = (Arc::clone(&bucket), self.payload_key.clone(), None);
        if self.multipart.is_none() {
            let part = std::mem::take(&mut self.part);
            unfinished().push(uploaded);
            retry(&location, || bucket.put_object(&self.payload_key, &part))?;
        } else {
            if !self.part.is_empty() {
                self.send_part()?;
            }
            let parts = self.finish_parts()?;
            if let Some(multipart) = self.multipart.take() {
                retry(&location, || {
                    bucket.complete_multipart_upload(
                        &self.payload_key,
                        &multipart.id,
                        parts.clone(),
                    )
                })?;
                let mut unfinished = unfinished();
                unfinished.retain(|(_, _, id)| id.as_ref() != Some(&multipart.id));
                unfinished.push(uploaded);
            }
        }
        // The payload is whole: the header may now point at it.
        let header_key = self.store.header_key(&self.name);
        // A new archive's header is created only if none exists (where the store honours
        // If-None-Match: AWS S3 and MinIO do, Garage 2.5 does not).
        let written = files::commit_elsewhere(|| {
            let put = retry(&location, || {
                let request = bucket.put_object_builder(&header_key, &self.header);
                if self.replace {
                    request.execute()
                } else {
                    request.with_header("If-None-Match", "*")?.execute()
                }
            });
            match put {
                Err(StoreError::Remote { problem, .. }) if problem.contains("412") => {
                    Err(StoreError::Exists(location.clone()))
                }
                other => other,
            }
        });
        unfinished().retain(|(_, key, id)| id.is_some() || key != &self.payload_key);
        if let Err(error) = written {
            // No header names the payload: it goes, so that nothing of this archive is left.
            let _ = bucket.delete_object(&self.payload_key);
            return Err(error);
        }
        if self.replace {
            self.remove_other_payloads()?;
        }
        Ok(())
    }
}

impl Upload {
    /// After a replacement, the payloads of the archive's earlier versions.
    fn remove_other_payloads(&self) -> Result<()> {
        let own = self.payload_key.rsplit('/').next().unwrap_or_default();
        for (key, _) in self
            .store
            .keys(&format!("{}/{PAYLOAD_OBJECT}", self.name))?
        {
            if !key.ends_with(own) {
                let full = self.store.url.key(&key);
                retry(&self.location(), || self.store.bucket.delete_object(&full))?;
            }
        }
        Ok(())
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        if let Some(multipart) = self.multipart.take() {
            drop(multipart.queue);
            for sender in multipart.senders {
                let _ = sender.join();
            }
            let _ = self
                .store
                .bucket
                .abort_upload(&self.payload_key, &multipart.id);
            unfinished().retain(|(_, _, id)| id.as_ref() != Some(&multipart.id));
        }
    }
}
