//! `custody store clean`: what interrupted runs left in an object store — multipart uploads
//! never completed nor aborted (a killed process cannot abort its own), and payload objects no
//! header names (a replacement or a seal killed between its payload and its header). Only
//! what is older than a given age is stale: a younger one may belong to a run still going.

use std::time::{Duration, SystemTime};

use super::super::error::Result;
use super::{retry, ObjectStore, PAYLOAD_OBJECT};
use crate::archive::MAX_HEADER_LEN;

/// What is left over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaleKind {
    /// A multipart upload never completed.
    Upload,
    /// A payload object no header names.
    Payload,
}

/// One leftover, older than the age given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    /// What it is.
    pub kind: StaleKind,
    /// Its key, relative to the store's prefix.
    pub key: String,
    /// When it was started or written, as the store said (RFC 3339).
    pub since: String,
    upload_id: Option<String>,
}

impl ObjectStore {
    /// Every leftover older than `age`.
    pub fn stale(&self, age: Duration) -> Result<Vec<Stale>> {
        let now = SystemTime::now();
        let old = |when: &str| {
            humantime::parse_rfc3339_weak(when.trim_end_matches('Z'))
                .ok()
                .and_then(|time| now.duration_since(time).ok())
                .is_some_and(|elapsed| elapsed >= age)
        };
        let prefix = match self.url.prefix.as_str() {
            "" => None,
            prefix => Some(format!("{prefix}/")),
        };
        let strip = prefix.as_ref().map_or(0, String::len);
        let mut stale = Vec::new();
        let pages = retry(&self.shown, || {
            self.bucket.list_multiparts_uploads(prefix.as_deref(), None)
        })?;
        for upload in pages.into_iter().flat_map(|page| page.uploads) {
            if old(&upload.initiated) {
                stale.push(Stale {
                    kind: StaleKind::Upload,
                    key: upload.key.get(strip..).unwrap_or(&upload.key).to_owned(),
                    since: upload.initiated,
                    upload_id: Some(upload.id),
                });
            }
        }
        let objects = retry(&self.shown, || {
            self.bucket.list(prefix.clone().unwrap_or_default(), None)
        })?;
        for object in objects.into_iter().flat_map(|page| page.contents) {
            let key = object.key.get(strip..).unwrap_or(&object.key).to_owned();
            let Some((name, last)) = key.rsplit_once('/') else {
                continue;
            };
            if !last.starts_with(PAYLOAD_OBJECT) || !old(&object.last_modified) {
                continue;
            }
            if !self.names_payload(name, last)? {
                stale.push(Stale {
                    kind: StaleKind::Payload,
                    key,
                    since: object.last_modified,
                    upload_id: None,
                });
            }
        }
        Ok(stale)
    }

    /// Whether archive `name`'s header names the payload object `last`.
    fn names_payload(&self, name: &str, last: &str) -> Result<bool> {
        let head = match self.header(name, MAX_HEADER_LEN) {
            Ok(head) => head,
            Err(super::StoreError::Missing(_)) => return Ok(false),
            Err(error) => return Err(error),
        };
        let Ok(header) = crate::archive::read_header(head.as_slice()) else {
            // A damaged header: its payload is not a leftover to remove.
            return Ok(true);
        };
        Ok(last == format!("{PAYLOAD_OBJECT}{}", hex::encode(header.salt)))
    }

    /// Aborts the upload or deletes the object.
    pub fn remove(&self, stale: &Stale) -> Result<()> {
        let key = self.url.key(&stale.key);
        match &stale.upload_id {
            Some(id) => retry(&self.shown, || self.bucket.abort_upload(&key, id)),
            None => retry(&self.shown, || self.bucket.delete_object(&key)).map(drop),
        }
    }
}
