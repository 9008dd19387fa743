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
    /// The domain and manifest the officials expect; any other is refused.
    pub expect: Expected,
    /// Start a new transcript when the domain's is missing (`--new-transcript`), recorded.
    pub new_transcript: bool,
}

/// A finished recovery: what happened. The key is already wiped.
#[derive(Debug)]
pub struct Recovered {
    /// The manifest the key was rebuilt for.
    pub manifest: Manifest,
    /// Officials whose shares were used.
    pub accepted: Vec<String>,
    /// Share files refused, with the reason.
    pub refused: Vec<(PathBuf, String)>,
    /// How many archives the restore wrote.
    pub restored: usize,
    /// The transcript written to.
    pub transcript: PathBuf,
    /// Its closing digest.
    pub closing_digest: [u8; 32],
}

/// Runs a recovery: tells the room the key will be in memory, shows the manifest, gathers the
/// quorum, proves the key and hands it to `restore`, which returns how many archives it wrote.
/// The close records that number, or the failure (of the quorum, the proof or the restore).
pub fn recover<E>(
    request: &RecoverRequest,
    attendant: &mut dyn Attendant,
    restore: impl FnOnce(&dyn KeyWrap) -> Result<usize, E>,
) -> Result<Recovered, E>
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
        Ok(done) => (done.accepted.clone(), done.restored, RECOVERED.to_owned()),
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
        restored: done.restored,
        transcript: transcript_path,
        closing_digest: closed?,
    })
}

/// What the quorum and the restore produced.
struct Done {
    accepted: Vec<String>,
    refused: Vec<(PathBuf, String)>,
    restored: usize,
}

/// Gathers the quorum, keeping the rebuilt key in `held`, proves it against the manifest's wrap
/// check value and lends it to `restore`.
fn rebuild_and_restore<E>(
    request: &RecoverRequest,
    manifest: &Manifest,
    transcript: &mut Transcript,
    held: &mut HeldKey,
    attendant: &mut dyn Attendant,
    restore: impl FnOnce(&dyn KeyWrap) -> Result<usize, E>,
) -> Result<Done, E>
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
