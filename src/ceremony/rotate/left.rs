//! Archives a rotation leaves behind (D59): those not on the new epoch once every archive found
//! was tried. The old key may be destroyed only when each of them was left on purpose
//! (`--leave PATH`, one transcript line each, `rotate.archive-left`); otherwise the run stops
//! here, keeps the old key and the journal, and names every archive with its reason. With
//! `--keep-old` nothing is destroyed, so nothing left stops the rotation.

use std::fmt::Write as _;
use std::path::PathBuf;

use super::super::error::CeremonyError;
use super::super::step::Step;
use super::super::transcript::Transcript;
use super::journal::Rotation;
use super::tree::{Found, Roots};
use super::RotateRequest;

/// How many archives left a refusal names one by one; each was announced as it was found.
const NAMED: usize = 50;

/// What to do about archives left.
const WHAT_TO_DO: &str = "fix or restore each file named and run the same command again (it \
    resumes where it stopped and rewraps what it can); or, to abandon an archive on purpose, add \
    --leave PATH for it (recorded in the transcript). The old key stays on the token until then";

/// Refuses to go on to the old key's destruction while an archive is left that `--leave` did not
/// name; otherwise records each archive left on purpose and returns every archive left.
pub(super) fn settle_left(
    request: &RotateRequest,
    roots: &Roots,
    rotation: &Rotation,
    left: Vec<(Found, String)>,
    transcript: &mut Transcript,
) -> Result<Vec<(PathBuf, String)>, CeremonyError> {
    let (on_purpose, unplanned): (Vec<_>, Vec<_>) = left
        .into_iter()
        .partition(|(found, _)| roots.leaves(&found.path));
    if !unplanned.is_empty() && !request.keep_old {
        return Err(refusal(&unplanned, rotation));
    }
    for (found, reason) in &on_purpose {
        transcript.append(Step::ArchiveLeft {
            root: found.root.display().to_string(),
            path: found.relative.display().to_string(),
            reason: reason.clone(),
        })?;
    }
    Ok(on_purpose
        .into_iter()
        .chain(unplanned)
        .map(|(found, reason)| (found.shown, reason))
        .collect())
}

/// The refusal naming every archive left (the first `NAMED` of them) with its reason.
fn refusal(unplanned: &[(Found, String)], rotation: &Rotation) -> CeremonyError {
    let mut message = format!(
        "the epoch {} key is kept: {} archive(s) found are not on epoch {} and could never be \
         opened once it is destroyed:",
        rotation.from_epoch,
        unplanned.len(),
        rotation.new_manifest.epoch()
    );
    for (found, reason) in unplanned.iter().take(NAMED) {
        let _ = write!(message, "\n  {}: {reason}", found.shown.display());
    }
    if unplanned.len() > NAMED {
        let _ = write!(
            message,
            "\n  ... and {} more (each is named above as LEFT)",
            unplanned.len() - NAMED
        );
    }
    CeremonyError::refused(message, WHAT_TO_DO)
}
