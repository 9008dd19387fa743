//! Recovery without an HSM (`custody recover --no-hsm`): the [`quorum`](super::quorum) rebuilds
//! the domain key exactly as for an unlock — every share verified against the manifest, whose
//! chain was verified before anyone typed, the key checked against the manifest's key id — but
//! the key goes into no token: it stays in this process's memory, locked where the system allows
//! (`hardening`), proven against the manifest's wrap check value and lent, as an
//! [`archive::SoftwareKey`](crate::archive::SoftwareKey), to the caller's restore. It is wiped as
//! soon as the restore returns. Every step goes into the transcript, and the close, with how many
//! archives were restored, is signed with the rebuilt key.

use std::fmt::Display;
use std::path::PathBuf;

use crate::archive::{KeyWrap, SoftwareKey};
use crate::domain::Manifest;
use crate::primitives::key_ref::KeyRef;

use super::attendant::{Attendant, Event};
use super::error::CeremonyError;
use super::quorum;
use super::step::{Ceremony, Step};
use super::transcript::{IfMissing, Transcript};
use super::transcript_signature::{close_and_sign, HeldKey};
use super::trust::{trusted_manifest, Expected};
use super::unlock::open_transcript;

/// What the room is told before anyone types.
pub const IN_MEMORY_NOTICE: &str = "This recovery rebuilds the domain key in this computer's memory, not in an HSM: use it only when no HSM is available; the key is wiped when custody exits.";

/// The outcome a successful recovery records.
const RECOVERED: &str = "key rebuilt in memory, archives restored, key wiped";

/// What a recovery is asked to do.
#[derive(Debug, Clone)]
pub struct RecoverRequest {
    /// The domain's manifest.
    pub manifest: PathBuf,
    /// The share files offered, in the order the officials come forward.
    pub shares: Vec<PathBuf>,
    /// The archives to restore and the domain key each names: each must name the manifest's,
    /// checked before anyone types.
    pub archives: Vec<(PathBuf, KeyRef)>,
    /// The domain and manifest the officials expect; any other is refused.
    pub expect: Expected,
    /// Start a new transcript when the domain's is missing (`--new-transcript`), recorded.
    pub new_transcript: bool,
}

/// A finished recovery: what happened, and what the restore wrote (`T`). The key is already
/// wiped.
#[derive(Debug)]
pub struct Recovered<T> {
    /// The manifest the key was rebuilt for.
    pub manifest: Manifest,
    /// Officials whose shares were used.
    pub accepted: Vec<String>,
    /// Share files refused, with the reason.
    pub refused: Vec<(PathBuf, String)>,
    /// How many archives the restore wrote.
    pub restored: usize,
    /// What the restore reported.
    pub written: T,
    /// The transcript written to.
    pub transcript: PathBuf,
    /// Its closing digest.
    pub closing_digest: [u8; 32],
}

/// Runs a recovery: tells the room the key will be in memory, shows the manifest, refuses an
/// archive of another key, gathers the quorum, proves the key and hands it to `restore`, which
/// returns how many archives it wrote and its report. The close records that number, or the
/// failure (of the quorum, the proof or the restore).
pub fn recover<T, E>(
    request: &RecoverRequest,
    attendant: &mut dyn Attendant,
    restore: impl FnOnce(&dyn KeyWrap) -> Result<(usize, T), E>,
) -> Result<Recovered<T>, E>
where
    E: From<CeremonyError> + Display,
{
    attendant.announce(&Event::Step(IN_MEMORY_NOTICE.into()));
    let chain = trusted_manifest(
        &request.manifest,
        &request.expect,
        |_| Vec::new(),
        attendant,
    )?;
    let manifest = chain.into_in_force();
    refuse_other_keys(&request.archives, &manifest)?;
    let if_missing = IfMissing::when(request.new_transcript, Ceremony::Recover, manifest.digest());
    let (mut transcript, transcript_path) = open_transcript(
        &request.manifest,
        &manifest,
        if_missing,
        Ceremony::Recover,
        attendant,
    )?;
    transcript
        .append(Step::RecoverBegun {
            manifest: manifest.digest(),
            domain: manifest.domain().to_owned(),
            epoch: manifest.epoch(),
            offered: request.shares.len(),
        })
        .map_err(CeremonyError::from)?;
    let mut held = HeldKey::default();
    let result = rebuild_and_restore(
        request,
        &manifest,
        &mut transcript,
        &mut held,
        attendant,
        restore,
    );
    let signer = held.closing();
    let (accepted, restored, outcome) = match &result {
        Ok(done) => (done.accepted.clone(), done.restored.0, RECOVERED.to_owned()),
        Err(error) => (Vec::new(), 0, format!("failed: {error}")),
    };
    let closed = close_and_sign(
        &mut transcript,
        Step::RecoverClosed {
            accepted,
            restored,
            outcome,
        },
        signer,
    );
    drop(held);
    // The failure itself matters more than a close that could not be written after it.
    let done = result?;
    Ok(Recovered {
        manifest,
        accepted: done.accepted,
        refused: done.refused,
        restored: done.restored.0,
        written: done.restored.1,
        transcript: transcript_path,
        closing_digest: closed?,
    })
}

/// What the quorum and the restore produced.
struct Done<T> {
    accepted: Vec<String>,
    refused: Vec<(PathBuf, String)>,
    restored: (usize, T),
}

/// Refuses, before anyone types, an archive sealed under another key than the manifest's: the
/// key the quorum rebuilds could not open it.
fn refuse_other_keys(
    archives: &[(PathBuf, KeyRef)],
    manifest: &Manifest,
) -> Result<(), CeremonyError> {
    let key = manifest.key_ref();
    let other = archives
        .iter()
        .find_map(|(path, named)| Some((path, named.first_difference(key)?)));
    match other {
        None => Ok(()),
        Some((path, (field, expected, found))) => Err(CeremonyError::refused(
            format!(
                "{}: sealed under a key of {field} {found}, but the manifest's key has {field} {expected}: the rebuilt key could not open it; nothing was asked or written",
                path.display()
            ),
            "restore only the archives of this manifest's key (an archive of an older epoch was not rewrapped by its rotation; `custody inspect` shows each archive's key)",
        )),
    }
}

/// Gathers the quorum, keeping the rebuilt key in `held`, proves it against the manifest's wrap
/// check value and lends it to `restore`.
fn rebuild_and_restore<T, E>(
    request: &RecoverRequest,
    manifest: &Manifest,
    transcript: &mut Transcript,
    held: &mut HeldKey,
    attendant: &mut dyn Attendant,
    restore: impl FnOnce(&dyn KeyWrap) -> Result<(usize, T), E>,
) -> Result<Done<T>, E>
where
    E: From<CeremonyError>,
{
    let gathered = quorum::gather(
        Ceremony::Recover,
        manifest,
        &request.shares,
        transcript,
        attendant,
    )?;
    let key = held.hold(gathered.key, manifest.epoch());
    let software = SoftwareKey::prove(key, manifest.key_ref(), manifest.wrap_check()).ok_or_else(|| {
        CeremonyError::refused(
            "the rebuilt key's wrap check value is not the manifest's: the key was not used",
            "check the manifest digest against the signed ceremony sheet, and have the auditor examine the domain",
        )
    })?;
    attendant.announce(&Event::Step(format!(
        "the domain key of {} (epoch {}) is rebuilt in this computer's memory and matches the manifest",
        manifest.domain(),
        manifest.epoch()
    )));
    let restored = restore(&software)?;
    Ok(Done {
        accepted: gathered.accepted,
        refused: gathered.refused,
        restored,
    })
}
