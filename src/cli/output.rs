//! How the command line speaks: results to stdout (text or `--json`), failures to stderr as one
//! line saying what is wrong and one line saying what to do next.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

/// A failed command: what went wrong and what to do about it.
#[derive(Debug)]
pub struct Failure {
    /// What went wrong, in one line.
    pub message: String,
    /// What to do next.
    pub hint: Option<String>,
}

impl std::fmt::Display for Failure {
    /// The one-line message (a recovery records it in its close).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<crate::hsm::Error> for Failure {
    fn from(error: crate::hsm::Error) -> Self {
        Self {
            message: error.to_string(),
            hint: Some(error.hint().to_owned()),
        }
    }
}

impl From<crate::domain::ManifestError> for Failure {
    fn from(error: crate::domain::ManifestError) -> Self {
        Self::new(error.to_string(), error.problem.hint())
    }
}

impl From<crate::domain::ChainError> for Failure {
    fn from(error: crate::domain::ChainError) -> Self {
        Self::new(error.to_string(), error.hint())
    }
}

impl From<crate::inspect::InspectError> for Failure {
    fn from(error: crate::inspect::InspectError) -> Self {
        Self::new(error.to_string(), error.hint())
    }
}

impl From<crate::ceremony::CeremonyError> for Failure {
    fn from(error: crate::ceremony::CeremonyError) -> Self {
        Self::new(error.to_string(), error.hint())
    }
}

impl From<crate::selftest::SelfTestFailed> for Failure {
    fn from(error: crate::selftest::SelfTestFailed) -> Self {
        Self::new(error.to_string(), error.hint())
    }
}

impl From<crate::archive::ArchiveError> for Failure {
    fn from(error: crate::archive::ArchiveError) -> Self {
        Self::new(error.to_string(), error.hint())
    }
}

impl Failure {
    /// This failure, about the file (or stream) `name`.
    pub fn about(self, name: &str) -> Self {
        Self {
            message: format!("{name}: {}", self.message),
            hint: self.hint,
        }
    }

    /// A share file's failure: the file, what is wrong with it, and what to do.
    pub fn share_file(
        file: &std::path::Path,
        error: impl Into<crate::domain::ShareCheckError>,
    ) -> Self {
        let error = error.into();
        Self::new(format!("{}: {error}", file.display()), error.hint())
    }

    /// A failure with a message and a hint.
    pub fn new(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }
}

/// A failure as `--json` prints it.
#[derive(serde::Serialize)]
struct FailureReport<'a> {
    ok: bool,
    error: &'a str,
    hint: Option<&'a str>,
}

/// Whether this process has printed its JSON document on stdout.
static JSON_PRINTED: AtomicBool = AtomicBool::new(false);

/// Prints a failure to stderr; with `--json` (`json`), also as a JSON object on stdout —
/// `{"ok": false, "error": …, "hint": …}` — unless the command already printed its JSON report
/// (which says what failed): stdout holds one JSON document.
pub fn report_failure(failure: &Failure, json: bool) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "error: {}", failure.message);
    if let Some(hint) = &failure.hint {
        let _ = writeln!(stderr, "hint: {hint}");
    }
    if json && !JSON_PRINTED.load(Ordering::SeqCst) {
        let _ = print_json(&FailureReport {
            ok: false,
            error: &failure.message,
            hint: failure.hint.as_deref(),
        });
    }
}

/// Writes text to stdout; a closed pipe is not an error worth reporting.
pub fn print(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// One line of a check list: `ok` or `FAIL`, the check's name in a column, then the detail.
pub fn status_line(ok: bool, name: &str, detail: &str) -> String {
    format!(
        "  {}  {name:<17} {detail}\n",
        if ok { "ok  " } else { "FAIL" }
    )
}

/// Writes a value as pretty JSON to stdout.
pub fn print_json(value: &impl serde::Serialize) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Failure {
        message: format!("cannot encode the report as JSON: {e}"),
        hint: None,
    })?;
    print(&format!("{text}\n"));
    JSON_PRINTED.store(true, Ordering::SeqCst);
    Ok(())
}
