//! Pinned command output: a run's exit status, stdout and stderr as a snapshot file
//! `tests/snapshots/NAME.txt` holds them, checked with snapbox (written on the first
//! `SNAPSHOTS=overwrite` run) after the redactions the test gives.

use std::path::Path;
use std::process::Output;

use snapbox::{Assert, Data, Redactions};

/// `output` as a snapshot holds it: `exit:`, then `--- stdout`, then `--- stderr`.
pub fn outcome(output: &Output) -> String {
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        output.status.code().unwrap(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Redactions of the temporary directory `room` as `[ROOM]`.
pub fn room(room: &Path) -> Redactions {
    let mut redactions = Redactions::new();
    redactions
        .insert("[ROOM]", room.display().to_string())
        .unwrap();
    redactions
}

/// Adds `[DIGEST]`: a digest in groups of four, as custody reads digests aloud.
pub fn with_digests(mut redactions: Redactions) -> Redactions {
    let digest = regex::Regex::new("(?<redacted>[0-9a-f]{4}( [0-9a-f]{4}){15})").unwrap();
    redactions.insert("[DIGEST]", digest).unwrap();
    redactions
}

/// Checks `actual` against tests/snapshots/NAME.txt with `redactions` applied.
pub fn pin(name: &str, actual: String, redactions: Redactions) {
    let path = super::repo_root().join(format!("tests/snapshots/{name}.txt"));
    let overwrite =
        std::env::var(snapbox::assert::DEFAULT_ACTION_ENV).is_ok_and(|v| v == "overwrite");
    if overwrite && !path.exists() {
        std::fs::write(&path, "").unwrap();
    }
    Assert::new()
        .action_env(snapbox::assert::DEFAULT_ACTION_ENV)
        .redact_with(redactions)
        .eq(actual, Data::read_from(&path, None));
}
