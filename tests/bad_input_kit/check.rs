//! What every case must show: exit status 1 (not a signal, not a panic's 101); stderr one clear
//! paragraph — `error: …` naming what it must name, then at most a `hint: …` — never a panic or a
//! backtrace; and every directory involved byte for byte as it was, with no new file (no output,
//! partial or temporary). A ceremony may append to its transcript: a failed ceremony is recorded.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use sha2::{Digest, Sha256};

/// A case's own directory, into which it copies the estate files it damages or uses.
pub struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    pub fn new() -> Self {
        Self {
            dir: tempfile::Builder::new()
                .prefix("custody-bad-input-")
                .tempdir()
                .unwrap(),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// A copy of the directory `from` at `name`.
    pub fn copy_dir(&self, from: &Path, name: &str) -> PathBuf {
        let to = self.path(name);
        super::estate::copy_dir(from, &to);
        to
    }

    /// Writes `bytes` at `name` (its directory must exist).
    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

/// Every file and directory under `roots`, with the SHA-256 of each file.
fn snapshot(roots: &[&Path]) -> BTreeMap<PathBuf, Option<[u8; 32]>> {
    let mut tree = BTreeMap::new();
    let mut stack: Vec<PathBuf> = roots.iter().map(|r| r.to_path_buf()).collect();
    while let Some(path) = stack.pop() {
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        // SoftHSM rewrites its token record on every login; a key object is a file of its own.
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if name == "token.object" || name == "generation" {
            continue;
        }
        if meta.is_dir() {
            tree.insert(path.clone(), None);
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else {
            tree.insert(
                path.clone(),
                Some(Sha256::digest(std::fs::read(&path).unwrap_or_default()).into()),
            );
        }
    }
    tree
}

/// What a refusal must show beyond the common rules.
#[derive(Default)]
pub struct Expect<'a> {
    /// Each must appear in stderr (or, when `in_stdout`, in stdout: a ceremony names a refused
    /// share file in its narration and sums up on stderr).
    pub names: Vec<String>,
    pub in_stdout: Vec<String>,
    /// A transcript the command may append to (and must not otherwise change).
    pub transcript: Option<&'a Path>,
}

/// Runs `command` in the case `case`, and checks the refusal. `roots`: the directories whose
/// contents must stay as they were.
pub fn refused(case: &str, roots: &[&Path], expect: &Expect<'_>, command: impl FnOnce() -> Output) {
    let transcript_before = expect
        .transcript
        .map(|t| std::fs::read(t).unwrap_or_default());
    let before = snapshot(roots);
    let output = command();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let shown = format!("{case}\n--- stdout:\n{stdout}--- stderr:\n{stderr}");
    assert_eq!(
        output.status.code(),
        Some(1),
        "{case}: exit status {:?}, not 1\n{shown}",
        output.status
    );
    for banned in ["panicked", "RUST_BACKTRACE", "stack backtrace"] {
        assert!(
            !stderr.contains(banned) && !stdout.contains(banned),
            "{case}: a panic\n{shown}"
        );
    }
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(
        lines
            .first()
            .is_some_and(|l| l.starts_with("error: ") && l.len() > 20),
        "{case}: stderr does not start with a clear `error:` line\n{shown}"
    );
    assert!(
        lines.len() <= 2 && lines.get(1).is_none_or(|l| l.starts_with("hint: ")),
        "{case}: stderr is more than one error and one hint\n{shown}"
    );
    for name in &expect.names {
        assert!(
            stderr.contains(name.as_str()),
            "{case}: stderr does not name {name:?}\n{shown}"
        );
    }
    for name in &expect.in_stdout {
        assert!(
            stdout.contains(name.as_str()),
            "{case}: stdout does not name {name:?}\n{shown}"
        );
    }
    let mut after = snapshot(roots);
    if let (Some(path), Some(old)) = (expect.transcript, transcript_before) {
        let new = std::fs::read(path).unwrap_or_default();
        assert!(
            new.starts_with(&old) && new.ends_with(b"\n") || new == old,
            "{case}: the transcript was changed, not appended to\n{shown}"
        );
        if let Some(old) = before.get(path) {
            after.insert(path.to_path_buf(), *old);
        }
    }
    let changed: Vec<String> = before
        .keys()
        .chain(after.keys())
        .filter(|p| before.get(*p) != after.get(*p))
        .map(|p| {
            let what = match (before.contains_key(p), after.contains_key(p)) {
                (true, true) => "modified",
                (true, false) => "removed",
                _ => "created",
            };
            format!("{what}: {}", p.display())
        })
        .collect();
    assert!(
        changed.is_empty(),
        "{case}: files changed:\n  {}\n{shown}",
        changed.join("\n  ")
    );
}
