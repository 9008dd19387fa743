//! What seal and open do on SIGINT, SIGTERM and SIGHUP, and before they write into a directory.
//!
//! A signal is received by a watcher thread (signal-hook's iterator: the handler itself only
//! wakes it, which is async-signal-safe); the watcher has the files layer remove every unfinished
//! temporary file and forbid any further rename, says so on stderr, and exits with 128 + the
//! signal number (130 for Ctrl-C). Before writing, the command removes what a killed run (SIGKILL,
//! power loss) left in the destination directory, with a warning saying whether it may have held
//! plaintext. No file contents are ever printed.

use std::io::{IsTerminal, Write};
use std::path::Path;

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use super::output::Failure;
use crate::files::{self, TemporaryKind};

/// Conventional exit status of a process ended by signal `n`: 128 + n.
const SIGNAL_EXIT_BASE: i32 = 128;

/// Starts watching for SIGINT, SIGTERM and SIGHUP until the process exits.
pub fn watch() -> Result<(), Failure> {
    let mut signals = Signals::new([SIGINT, SIGTERM, SIGHUP]).map_err(|error| {
        Failure::new(
            format!("cannot watch for interruptions: {error}"),
            "this is a problem of the system, not of your files; try again",
        )
    })?;
    std::thread::Builder::new()
        .name("custody-interrupt".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                stop(signal);
            }
        })
        .map_err(|error| {
            Failure::new(
                format!("cannot watch for interruptions: {error}"),
                "this is a problem of the system, not of your files; try again",
            )
        })?;
    Ok(())
}

/// Removes the unfinished file, says what stays, and exits.
fn stop(signal: i32) -> ! {
    let abandoned = files::abandon_unfinished();
    crate::store::abandon_unfinished_uploads();
    let mut stderr = std::io::stderr().lock();
    if std::io::stderr().is_terminal() {
        // Clear a progress bar's line.
        let _ = write!(stderr, "\r\x1b[2K");
    }
    let _ = match abandoned.committed {
        0 => writeln!(stderr, "interrupted: nothing was written"),
        done => writeln!(
            stderr,
            "interrupted: the file being written was removed; the {done} written before it are complete and stay"
        ),
    };
    let _ = stderr.flush();
    std::process::exit(SIGNAL_EXIT_BASE + signal)
}

/// Removes what killed runs left in `directory` and warns about each file.
pub fn clean_leftovers(directory: &Path) {
    let mut stderr = std::io::stderr().lock();
    for leftover in files::remove_leftovers(directory) {
        let held = match leftover.kind {
            TemporaryKind::Opened => {
                "left by an interrupted open: it may have held decrypted plaintext"
            }
            TemporaryKind::Sealed => {
                "left by an interrupted seal: it held only encrypted archive data"
            }
            TemporaryKind::Other => {
                "left by an interrupted custody command: it may have held secret material"
            }
        };
        let _ = writeln!(
            stderr,
            "warning: removed {} ({} bytes), {held}",
            leftover.path.display(),
            leftover.bytes
        );
    }
}
