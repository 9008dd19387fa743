//! `custody open --out-dir DIR` and `custody recover --out-dir DIR`: bulk restore. Every archive
//! given (and every `*.custody` under each `--archives TREE`) is planned first, header by header,
//! before the token is touched or anyone types: its recorded name must be a plain file name (no
//! path separator, `..`, NUL or leading dot), not taken by another archive of the run, and not
//! existing in DIR unless `--force`. Then one [`Opener`] (a token session, or the domain key
//! `recover --no-hsm` holds) opens them all, each into a temporary file renamed into place only
//! once it fully authenticates, with progress on a terminal and a summary (text or `--json`).
//!
//! The name is read from the header before the header MAC is checked; an archive whose header
//! was altered fails to open and leaves nothing, so only an authenticated name ever names a file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::archive_list;
use super::interrupt;
use super::open::{read_archive, warn_if_renamed, OpenReport};
use super::opener::{Keys, Opener, Output};
use super::output::Failure;
use super::progress::Progress;
use super::stdio::{self, is_dash};
use crate::archive::Metadata;
use crate::files::Skipped;
use crate::primitives::key_ref::KeyRef;
use crate::readout::counted;

/// What a bulk restore was asked to do.
#[derive(Debug)]
pub struct Request<'a> {
    pub archives: &'a [PathBuf],
    pub trees: &'a [PathBuf],
    pub out_dir: &'a Path,
    pub force: bool,
    pub json: bool,
}

/// Every archive a restore will open, each checked, and what the walks passed over.
#[derive(Debug)]
pub struct Plan {
    restores: Vec<Restore>,
    skipped: Vec<Skipped>,
}

impl Plan {
    /// Each archive and the domain key its header names.
    pub fn identities(&self) -> impl Iterator<Item = (&Path, &KeyRef)> {
        self.restores
            .iter()
            .map(|restore| (restore.archive.as_path(), &restore.identity))
    }
}

/// One archive and the file its data becomes.
#[derive(Debug)]
struct Restore {
    archive: PathBuf,
    name: String,
    output: PathBuf,
    size: Option<u64>,
    identity: KeyRef,
}

#[derive(Debug, Serialize)]
struct SkippedReport {
    path: String,
    reason: String,
}

/// What a restore wrote, reported as text or JSON.
#[derive(Debug, Serialize)]
pub struct RestoreSummary {
    out_dir: String,
    restored: Vec<OpenReport>,
    payload_bytes: u64,
    skipped: Vec<SkippedReport>,
}

/// Checks everything that needs no key: the output directory, every archive's header and
/// recorded name, and every destination. Nothing is opened or written.
pub fn plan(request: &Request<'_>) -> Result<Plan, Failure> {
    let (archives, skipped) = gather(request)?;
    let restores = plan_each(request, &archives)?;
    Ok(Plan { restores, skipped })
}

/// Restores every archive of `plan` with `keys`; the caller reports the summary.
pub fn run(request: &Request<'_>, plan: Plan, keys: Keys<'_>) -> Result<RestoreSummary, Failure> {
    let Plan {
        restores: plan,
        skipped,
    } = plan;
    let opener = Opener::new(keys)?;
    interrupt::watch()?;
    interrupt::clean_leftovers(request.out_dir);
    let total = plan.iter().map(|restore| restore.size).sum::<Option<u64>>();
    let progress = Progress::new(total, request.json);
    let mut restored = Vec::with_capacity(plan.len());
    for restore in &plan {
        let name = restore.archive.display().to_string();
        progress.item(name.clone());
        let archive = read_archive(&restore.archive, &name)?;
        // The file may have changed since it was planned: the name must still be the same.
        if archive.header().spec.metadata.name.as_deref() != Some(restore.name.as_str()) {
            return Err(Failure::new(
                format!("{name}: changed while the restore was running"),
                "run the restore again once nothing else writes to the archives",
            ));
        }
        let update = |done| progress.update(done);
        let summary = opener
            .open(archive, Output::File(&restore.output), &update)
            .map_err(|e| Failure::from(e).about(&name))?;
        progress.item_done(summary.payload_len);
        warn_if_renamed(&restore.archive, &summary.header.spec.metadata);
        restored.push(OpenReport::new(
            name,
            Some(restore.output.display().to_string()),
            &summary,
        ));
    }
    drop(progress);
    Ok(RestoreSummary {
        out_dir: request.out_dir.display().to_string(),
        payload_bytes: restored.iter().map(|r| r.payload_bytes).sum(),
        restored,
        skipped: skipped
            .into_iter()
            .map(|s| SkippedReport {
                path: s.path.display().to_string(),
                reason: s.reason,
            })
            .collect(),
    })
}

/// The archives named and those found in the trees, and what the walks passed over.
fn gather(request: &Request<'_>) -> Result<(Vec<PathBuf>, Vec<Skipped>), Failure> {
    stdio::refuse_object_url(request.out_dir, "opened data")?;
    if !request.out_dir.is_dir() {
        return Err(Failure::new(
            format!("{} is not a directory", request.out_dir.display()),
            "create the output directory first, or name an existing one",
        ));
    }
    if request.archives.iter().any(|path| is_dash(path)) {
        return Err(Failure::new(
            "standard input has no recorded name to restore under in --out-dir",
            "open standard input on its own with -o OUT",
        ));
    }
    archive_list::gather(request.archives, request.trees, "restore")
}

/// Reads every header and checks every destination before anything is opened.
fn plan_each(request: &Request<'_>, archives: &[PathBuf]) -> Result<Vec<Restore>, Failure> {
    let mut taken: HashMap<String, &Path> = HashMap::new();
    let mut plan = Vec::with_capacity(archives.len());
    for path in archives {
        let display = path.display().to_string();
        let archive = read_archive(path, &display)?;
        let metadata = &archive.header().spec.metadata;
        let name = restore_name(metadata).map_err(|problem| {
            Failure::new(
                format!("{display}: {problem}"),
                "open this archive on its own with -o OUT, choosing a safe name",
            )
        })?;
        if let Some(first) = taken.insert(name.clone(), path.as_path()) {
            return Err(Failure::new(
                format!(
                    "{} and {display} both record the name {name}",
                    first.display()
                ),
                "restore them into different directories, or open one with -o OUT",
            ));
        }
        let output = request.out_dir.join(&name);
        stdio::refuse_existing(&output, request.force)?;
        plan.push(Restore {
            archive: path.clone(),
            size: metadata.size,
            identity: archive.header().spec.identity.clone(),
            name,
            output,
        });
    }
    Ok(plan)
}

/// The recorded name, if it may name a file in the output directory: no path separator, not
/// `..`, no NUL or other control character, no leading dot (a hidden file, or `.`).
fn restore_name(metadata: &Metadata) -> Result<String, String> {
    let Some(name) = metadata.name.as_deref() else {
        return Err("the archive records no name to restore under".into());
    };
    let unsafe_name = name.is_empty()
        || name.starts_with('.')
        || name.contains(['/', '\\', '\0'])
        || name.chars().any(char::is_control);
    if unsafe_name {
        return Err(format!(
            "the recorded name {name:?} is refused: a restored name must be a plain file name (no path separator, `..`, NUL or leading dot)"
        ));
    }
    Ok(name.to_owned())
}

impl RestoreSummary {
    /// How many archives were restored.
    pub fn count(&self) -> usize {
        self.restored.len()
    }

    /// Each archive opened, then the total and what was skipped.
    pub fn text(&self) -> String {
        let mut text: String = self.restored.iter().map(OpenReport::opened_lines).collect();
        text.push_str(&format!(
            "restored {} into {} ({} bytes, all authenticated)",
            counted(self.restored.len(), "archive", "archives"),
            self.out_dir,
            self.payload_bytes
        ));
        if !self.skipped.is_empty() {
            text.push_str(&format!(
                "; {} entries skipped (see the warnings above)",
                self.skipped.len()
            ));
        }
        text.push('\n');
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(name: &str) -> Metadata {
        Metadata {
            name: Some(name.to_owned()),
            ..Metadata::default()
        }
    }

    #[test]
    fn only_plain_names_are_restored() {
        assert_eq!(restore_name(&named("land.csv")).unwrap(), "land.csv");
        for bad in ["../x", "..", ".", ".bashrc", "a/b", "a\\b", "a\0b", ""] {
            assert!(restore_name(&named(bad)).is_err(), "{bad:?}");
        }
        assert!(restore_name(&Metadata::default()).is_err());
    }
}
