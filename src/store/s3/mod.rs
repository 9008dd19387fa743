//! An S3-compatible object store as an archive store (Garage, MinIO, AWS S3), through the
//! blocking `s3` client on threads (D80). Archive `NAME` is the object `NAME/header` and the
//! object `NAME/payload-<salt>`, `<salt>` being the header's salt in lowercase hex: rotation
//! replaces the header alone, and replacing an archive uploads its new payload under a new key
//! before the new header points at it, so a run killed at any moment leaves the old archive or
//! the new one readable, and at worst a payload no header names, which `custody store clean`
//! removes (docs/FORMAT.md section 15, D79). Catalog batches are the objects `.catalog/<16
//! digits>`.

mod clean;
mod download;
mod profile;
mod upload;

use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::sync::Arc;
use std::time::Duration;

use s3::creds::Credentials;
use s3::error::S3Error;
use s3::{Bucket, Region};
use secrecy::ExposeSecret;

use super::error::{Result, StoreError};
use super::local::{batch_name, batch_sequence, CATALOG_DIRECTORY};
use super::location::ObjectUrl;
use super::{ArchiveStore, Listing, NewArchive, Stored, ARCHIVE_SUFFIX};
use crate::archive::{read_header, MAX_HEADER_LEN};

pub use clean::{Stale, StaleKind};
pub use profile::select_profile;
pub use upload::abandon_unfinished_uploads;

/// The last part of every archive's header object's key.
const HEADER_OBJECT: &str = "header";
/// How every archive's payload object's last part starts.
const PAYLOAD_OBJECT: &str = "payload-";
/// Attempts at one request before its failure is reported.
const ATTEMPTS: u32 = 4;

/// A bucket and prefix holding archives.
#[derive(Debug, Clone)]
pub struct ObjectStore {
    url: ObjectUrl,
    shown: String,
    bucket: Arc<Bucket>,
}

impl ObjectStore {
    /// Connects to the store at `url` with the selected profile. No request is made yet.
    pub fn connect(url: &ObjectUrl) -> Result<Self> {
        let profile = profile::Profile::load()?;
        // Retries are custody's own (`retry`), with its own waits: the client's are off.
        s3::set_retries(0);
        let region = match &profile.endpoint {
            Some(endpoint) => Region::Custom {
                region: profile.region.clone(),
                endpoint: endpoint.trim_end_matches('/').to_owned(),
            },
            None => profile.region.parse().map_err(|_| {
                StoreError::Profile(format!(
                    "profile {}: region {} is not an AWS region; give endpoint_url for another \
                     store",
                    profile.name, profile.region
                ))
            })?,
        };
        let credentials = Credentials::new(
            Some(&profile.access_key),
            Some(profile.secret_key.expose_secret()),
            None,
            None,
            None,
        )
        .map_err(|error| StoreError::Profile(format!("profile {}: {error}", profile.name)))?;
        let bucket = Bucket::new(&url.bucket, region, credentials)
            .map_err(|error| StoreError::remote(url.to_string(), error))?;
        // A store of one's own (an endpoint_url) is addressed by path: its host names need no
        // wildcard DNS entry per bucket.
        let bucket = if profile.endpoint.is_some() {
            bucket.with_path_style()
        } else {
            bucket
        };
        let bucket = bucket
            .with_request_timeout(Duration::from_secs(120))
            .map_err(|error| StoreError::remote(url.to_string(), error))?;
        Ok(Self {
            shown: url.to_string(),
            url: url.clone(),
            bucket: Arc::from(bucket),
        })
    }

    fn header_key(&self, name: &str) -> String {
        self.url.key(&format!("{name}/{HEADER_OBJECT}"))
    }

    fn payload_key(&self, name: &str, salt: &[u8]) -> String {
        self.url
            .key(&format!("{name}/{PAYLOAD_OBJECT}{}", hex::encode(salt)))
    }

    fn catalog_key(&self, sequence: u64) -> String {
        self.url
            .key(&format!("{CATALOG_DIRECTORY}/{}", batch_name(sequence)))
    }

    /// Every key under the prefix, with its size, relative to the prefix.
    fn keys(&self, under: &str) -> Result<Vec<(String, u64)>> {
        let prefix = match (self.url.prefix.as_str(), under) {
            ("", under) => under.to_owned(),
            (prefix, under) => format!("{prefix}/{under}"),
        };
        let pages = retry(&self.shown, || self.bucket.list(prefix.clone(), None))?;
        let strip = if self.url.prefix.is_empty() {
            0
        } else {
            self.url.prefix.len() + 1
        };
        Ok(pages
            .into_iter()
            .flat_map(|page| page.contents)
            .filter_map(|object| {
                let relative = object.key.get(strip..)?.to_owned();
                Some((relative, object.size))
            })
            .collect())
    }

    /// The header object of archive `name`, at most `limit` bytes of it.
    fn header(&self, name: &str, limit: usize) -> Result<Vec<u8>> {
        let key = self.header_key(name);
        let end = u64::try_from(limit.max(1) - 1).unwrap_or(u64::MAX);
        match retry(&self.shown, || {
            self.bucket.get_object_range(&key, 0, Some(end))
        }) {
            Ok(response) => Ok(response.bytes().to_vec()),
            Err(StoreError::Missing(_)) => Err(StoreError::Missing(self.shown(name))),
            Err(error) => Err(error),
        }
    }

    /// The payload object's key and length for the header `head` of archive `name`.
    fn payload_of(&self, name: &str, head: &[u8]) -> Result<(String, u64)> {
        let header = read_header(head).map_err(|error| {
            StoreError::remote(
                self.shown(name),
                format!("its header object is not an archive header ({error})"),
            )
        })?;
        let key = self.payload_key(name, &header.salt);
        let missing = || {
            StoreError::remote(
                self.shown(name),
                "its header names a payload object that is not there",
            )
        };
        let head = match retry(&self.shown, || self.bucket.head_object(&key)) {
            Ok((_, 404)) | Err(StoreError::Missing(_)) => return Err(missing()),
            Ok((head, _)) => head,
            Err(error) => return Err(error),
        };
        let len = head
            .content_length
            .and_then(|len| u64::try_from(len).ok())
            .ok_or_else(|| {
                StoreError::remote(self.shown(name), "the store gave no payload length")
            })?;
        Ok((key, len))
    }
}

/// Runs a request up to [`ATTEMPTS`] times while it fails for a reason another attempt may not
/// meet (a connection, a timeout, a 5xx); a 404 is [`StoreError::Missing`].
fn retry<T>(location: &str, request: impl Fn() -> Result<T, S3Error>) -> Result<T> {
    let mut attempt = 1;
    loop {
        match request() {
            Ok(value) => return Ok(value),
            Err(S3Error::HttpFailWithBody(404, _)) => {
                return Err(StoreError::Missing(location.to_owned()))
            }
            Err(S3Error::HttpFailWithBody(status, body)) if status < 500 || attempt == ATTEMPTS => {
                return Err(StoreError::remote(location, http_problem(status, &body)))
            }
            Err(error) if attempt == ATTEMPTS => {
                return Err(StoreError::remote(
                    location,
                    format!("cannot reach the store ({error})"),
                ))
            }
            Err(_) => {
                std::thread::sleep(Duration::from_millis(200 << attempt));
                attempt += 1;
            }
        }
    }
}

/// A failed response in a sentence: its status and the store's error code.
fn http_problem(status: u16, body: &str) -> String {
    let code = body
        .split_once("<Code>")
        .and_then(|(_, rest)| rest.split_once("</Code>"))
        .map(|(code, _)| code);
    match code {
        Some(code) => format!("the store answered {status} ({code})"),
        None => format!("the store answered {status}"),
    }
}

impl ArchiveStore for ObjectStore {
    fn location(&self) -> &str {
        &self.shown
    }

    fn list(&self) -> Result<Listing> {
        let mut headers = BTreeMap::new();
        let mut payloads: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        let mut listing = Listing::default();
        for (key, size) in self.keys("")? {
            if key.starts_with(&format!("{CATALOG_DIRECTORY}/")) {
                continue;
            }
            let archive_part = key.rsplit_once('/').filter(|(name, _)| {
                name.ends_with(ARCHIVE_SUFFIX) && name.len() > ARCHIVE_SUFFIX.len()
            });
            match archive_part {
                Some((name, HEADER_OBJECT)) => {
                    headers.insert(name.to_owned(), size);
                }
                Some((name, last)) if last.starts_with(PAYLOAD_OBJECT) => {
                    payloads.entry(name.to_owned()).or_default().push(size);
                }
                _ => listing
                    .others
                    .push((key, "not part of an archive".to_owned())),
            }
        }
        for (name, header_len) in headers {
            match payloads.remove(&name).as_deref() {
                Some([payload_len]) => listing.archives.push(Stored {
                    name,
                    len: header_len + payload_len,
                }),
                Some(_) => {
                    // A replacement was interrupted: the header says which payload is its own.
                    let head = self.header(&name, MAX_HEADER_LEN)?;
                    let (_, payload_len) = self.payload_of(&name, &head)?;
                    listing.archives.push(Stored {
                        name,
                        len: header_len + payload_len,
                    });
                }
                None => listing.others.push((
                    format!("{name}/{HEADER_OBJECT}"),
                    "a header without a payload".to_owned(),
                )),
            }
        }
        for name in payloads.into_keys() {
            listing.others.push((
                format!("{name}/{PAYLOAD_OBJECT}…"),
                "a payload without a header (left by an interrupted run: custody store clean \
                 removes it)"
                    .to_owned(),
            ));
        }
        Ok(listing)
    }

    fn read(&self, name: &str) -> Result<Box<dyn Read + Send>> {
        let head = self.header(name, MAX_HEADER_LEN)?;
        let header_len = super::header_len(&head).unwrap_or(head.len());
        let (key, len) = self.payload_of(name, &head)?;
        let mut header = head;
        header.truncate(header_len);
        let payload =
            download::RangedReader::new(Arc::clone(&self.bucket), self.shown(name), key, len);
        Ok(Box::new(Cursor::new(header).chain(payload)))
    }

    fn read_head(&self, name: &str, limit: usize) -> Result<Vec<u8>> {
        self.header(name, limit)
    }

    fn archive_len(&self, name: &str) -> Result<u64> {
        let head = self.header(name, MAX_HEADER_LEN)?;
        let header_len = super::header_len(&head).unwrap_or(head.len());
        let (_, payload_len) = self.payload_of(name, &head)?;
        Ok(u64::try_from(header_len).unwrap_or(u64::MAX) + payload_len)
    }

    fn create(&self, name: &str, size: Option<u64>, replace: bool) -> Result<Box<dyn NewArchive>> {
        // Whether the archive exists is checked where it matters, when its header is written
        // (If-None-Match), not here: one request fewer per archive.
        Ok(Box::new(upload::Upload::new(
            self.clone(),
            name.to_owned(),
            size,
            replace,
        )))
    }

    fn replace_header(&self, name: &str, header: &[u8]) -> Result<()> {
        let key = self.header_key(name);
        retry(&self.shown(name), || self.bucket.put_object(&key, header)).map(drop)
    }

    fn sync(&self) -> Result<()> {
        Ok(())
    }

    fn catalog_batches(&self) -> Result<Vec<(u64, Vec<u8>)>> {
        let mut batches = Vec::new();
        for (key, _) in self.keys(&format!("{CATALOG_DIRECTORY}/"))? {
            let Some(sequence) = key
                .strip_prefix(&format!("{CATALOG_DIRECTORY}/"))
                .and_then(batch_sequence)
            else {
                continue;
            };
            let object = self.catalog_key(sequence);
            let response = retry(&self.shown, || self.bucket.get_object(&object))?;
            batches.push((sequence, response.bytes().to_vec()));
        }
        batches.sort_by_key(|(sequence, _)| *sequence);
        Ok(batches)
    }

    fn append_catalog_batch(&self, sequence: u64, bytes: &[u8]) -> Result<()> {
        let key = self.catalog_key(sequence);
        let race = || StoreError::CatalogRace {
            location: self.shown.clone(),
            sequence,
        };
        // If-None-Match makes creation atomic where the store honours it (AWS S3, MinIO); the
        // read back catches a store that does not (Garage 2.5) in all but a narrow window (D82).
        let put = retry(&self.shown, || {
            self.bucket
                .put_object_builder(&key, bytes)
                .with_header("If-None-Match", "*")?
                .execute()
        });
        match put {
            Ok(_) => {}
            Err(StoreError::Remote { problem, .. }) if problem.contains("412") => {
                return Err(race())
            }
            Err(error) => return Err(error),
        }
        let stored = retry(&self.shown, || self.bucket.get_object(&key))?;
        if stored.bytes().as_ref() == bytes {
            Ok(())
        } else {
            Err(race())
        }
    }
}
