//! Rewrapping a rotation's archives: each archive header of the old epoch is rewrapped from the
//! old key to the new one in place, one write per header through the archive's store, without
//! touching its payload (an object store's payload object is neither read nor written). Archives
//! already on the new epoch are counted; every other is left untouched and named with its reason
//! (unreadable, another domain, damaged header, wrapped key that does not unwrap), never a
//! reason to stop the walk: the caller decides whether the old key may go (D59).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::archive::{Archive, ArchiveError, KeyWrap, TokenKey, MAX_HEADER_LEN};
use crate::hsm::TokenSession;
use crate::store::ArchiveStore;

use super::super::attendant::{Attendant, Event};
use super::super::error::CeremonyError;
use super::catalogs::Catalogs;
use super::journal::Rotation;
use super::tree::{Found, Tree};

/// The old epoch's key and the new one on the token, each proven against its wrap check value.
pub(super) fn rotation_keys<'s>(
    session: &'s TokenSession,
    rotation: &Rotation,
) -> Result<(Option<TokenKey<'s>>, TokenKey<'s>), CeremonyError> {
    let new_manifest = &rotation.new_manifest;
    // Absent only when a run was stopped after destroying it, which comes after every archive
    // was rewrapped (or left on purpose) and synced.
    let old_kek = match TokenKey::find(session, &rotation.old_key(), &rotation.from_wrap_check) {
        Ok(key) => Some(key),
        Err(ArchiveError::DomainKeyAbsent { .. }) => None,
        Err(error) => return Err(error.into()),
    };
    let new_kek = TokenKey::find(session, new_manifest.key_ref(), new_manifest.wrap_check())?;
    Ok((old_kek, new_kek))
}

/// Rewraps every archive of the old epoch found in `tree`; counts those already done; names
/// every other as left, with its reason.
pub(super) fn rewrap_all(
    tree: Tree,
    session: &TokenSession,
    rotation: &Rotation,
    (old_kek, new_kek): (Option<TokenKey<'_>>, TokenKey<'_>),
    attendant: &mut dyn Attendant,
) -> Rewrapping {
    let mut done = Rewrapping {
        rewrapped: 0,
        already: 0,
        left: Vec::new(),
        skipped: tree.skipped,
        written: BTreeMap::new(),
        catalogs: Catalogs::default(),
    };
    for (path, reason) in &done.skipped {
        attendant.announce(&Event::Step(format!(
            "skipped {}: {reason}",
            path.display()
        )));
    }
    let keys = Keys {
        old: old_kek.as_ref().map(|key| key as &dyn KeyWrap),
        new: &new_kek,
    };
    for (found, reason) in tree.unreadable {
        done.leave(found, reason, attendant);
    }
    for found in tree.archives {
        done.catalogs.of(&found.store);
        match rewrap_one(&found, session, &keys, rotation) {
            ArchiveState::Rewrapped(header) => {
                done.rewrapped += 1;
                done.catalogs.note(&found.store, &found.name(), &header);
                done.written
                    .entry(found.store.location().to_owned())
                    .or_insert_with(|| Arc::clone(&found.store));
            }
            ArchiveState::Already(header) => {
                done.already += 1;
                done.catalogs.note(&found.store, &found.name(), &header);
            }
            ArchiveState::Left(reason) => done.leave(found, reason, attendant),
        }
    }
    attendant.announce(&Event::Step(format!(
        "{} archives rewrapped to epoch {}, {} already were, {} left, {} links and other entries \
         skipped",
        done.rewrapped,
        rotation.new_manifest.epoch(),
        done.already,
        done.left.len(),
        done.skipped.len()
    )));
    done
}

/// What rewrapping the archives did.
#[derive(Debug)]
pub(super) struct Rewrapping {
    pub rewrapped: usize,
    pub already: usize,
    /// Archives (or unreadable directories) not on the new epoch, with the reason.
    pub left: Vec<(Found, String)>,
    /// Symbolic links (never followed) and non-regular `*.custody` entries, with the reason.
    pub skipped: Vec<(PathBuf, String)>,
    /// Every store this run rewrote a header in, by location: each must be synced before the
    /// old key is destroyed.
    pub written: BTreeMap<String, Arc<dyn ArchiveStore>>,
    /// The catalogs of the stores walked, and what to record in them.
    pub catalogs: Catalogs,
}

impl Rewrapping {
    fn leave(&mut self, found: Found, reason: String, attendant: &mut dyn Attendant) {
        attendant.announce(&Event::Step(format!(
            "LEFT {}: {reason}",
            found.shown.display()
        )));
        self.left.push((found, reason));
    }
}

/// The two keys of the rotation, as the archive layer uses them.
struct Keys<'k> {
    old: Option<&'k dyn KeyWrap>,
    new: &'k dyn KeyWrap,
}

/// What became of one archive.
enum ArchiveState {
    /// Rewritten (not yet synced): its new header.
    Rewrapped(Vec<u8>),
    /// Already on the new epoch: its header.
    Already(Vec<u8>),
    Left(String),
}

fn rewrap_one(
    found: &Found,
    session: &TokenSession,
    keys: &Keys<'_>,
    rotation: &Rotation,
) -> ArchiveState {
    let new_identity = keys.new.key_ref();
    let name = found.name();
    let head = match found.store.read_head(&name, MAX_HEADER_LEN) {
        Ok(head) => head,
        Err(error) => return ArchiveState::Left(format!("unreadable ({error})")),
    };
    let archive = match Archive::read(head.as_slice()) {
        Ok(archive) => archive,
        Err(error) => {
            return ArchiveState::Left(format!("damaged header: not a readable archive ({error})"))
        }
    };
    let identity = &archive.header().spec.identity;
    if identity == new_identity {
        let len = archive.header().len.min(head.len());
        return ArchiveState::Already(head[..len].to_vec());
    }
    if identity.domain != new_identity.domain {
        return ArchiveState::Left(format!(
            "another domain: it belongs to domain {}, not {}",
            identity.domain, new_identity.domain
        ));
    }
    if identity.epoch != rotation.from_epoch || identity.key_id != rotation.from_key_id {
        return ArchiveState::Left(format!(
            "it is of epoch {}, neither the old epoch {} nor the new one",
            identity.epoch, rotation.from_epoch
        ));
    }
    let Some(old_kek) = keys.old else {
        return ArchiveState::Left(format!(
            "still of epoch {}, whose key is no longer on {}: rewrap it on a token that still \
             holds that key",
            rotation.from_epoch,
            session.token()
        ));
    };
    let header = match archive.rewrapped_header(old_kek, keys.new) {
        Ok(header) => header,
        Err(error) => return ArchiveState::Left(unwrap_failure(&error, rotation.from_epoch)),
    };
    match found.store.replace_header(&name, &header) {
        Ok(()) => ArchiveState::Rewrapped(header),
        Err(error) => ArchiveState::Left(format!("cannot be rewritten ({error})")),
    }
}

/// Why an archive of the old epoch could not be rewrapped, in the words of the report.
fn unwrap_failure(error: &ArchiveError, from_epoch: u32) -> String {
    match error {
        ArchiveError::KeyRefused { .. } => format!(
            "its wrapped key does not unwrap under the epoch {from_epoch} key (the header is \
             damaged, or it was sealed under another key)"
        ),
        ArchiveError::HeaderAltered => "damaged header: its MAC does not verify".to_owned(),
        other => format!("cannot be rewrapped ({other})"),
    }
}
