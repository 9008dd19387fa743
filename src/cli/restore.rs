//! `custody open --out-dir DIR`: bulk restore. Every archive given (and every `*.custody` under
//! each `--archives TREE`) is planned first, header by header, before the token is touched: its
//! recorded name must be a plain file name (no path separator, `..`, NUL or leading dot), not
//! taken by another archive of the run, and not existing in DIR unless `--force`. Then one token
//! session (or, for `custody recover --no-hsm`, the domain key this process holds) opens them all, each into a temporary file renamed into place only once it fully
//! authenticates, with progress on a terminal and a summary (text or `--json`).
//!
//! The name is read from the header before the header MAC is checked; an archive whose header
//! was altered fails to open and leaves nothing, so only an authenticated name ever names a file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::archive_list;
use super::interrupt;
use super::open::{read_archive, warn_if_renamed, OpenReport};
use super::output::{print, print_json, Failure};
use super::progress::Progress;
use super::stdio::{self, is_dash};
use super::token;
use crate::archive::{Archive, ArchiveSummary, KeyToken, KeyWrap, Metadata};
use crate::files::Skipped;
use crate::readout::counted;

/// Where a bulk restore finds the domain key of each archive.
#[derive(Clone, Copy)]
pub enum Keys<'a> {
    /// The token a PKCS#11 URI names, opened once the plan is made (`open --out-dir`).
    Token(&'a str),
    /// A domain key this process holds (`recover --no-hsm`): every archive must name it.
    Held(&'a dyn KeyWrap),
}

impl std::fmt::Debug for Keys<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Token(uri) => f.debug_tuple("Token").field(uri).finish(),
            Self::Held(key) => f.debug_tuple("Held").field(key.key_ref()).finish(),
        }
    }
}

/// The keys opened for the run: a token session, or the held key.
enum Opener<'a> {
    Token(KeyToken),
    Held(&'a dyn KeyWrap),
}

impl Opener<'_> {
    /// Opens `archive` into `output` with the domain key its header names.
    fn open(
        &self,
        archive: Archive<Box<dyn std::io::Read>>,
        output: &Path,
        progress: &dyn Fn(u64),
    ) -> crate::archive::Result<ArchiveSummary> {
        match self {
            Self::Token(token) => {
                let header = archive.header();
                let key = token.key(&header.spec.identity, &header.wrap_check)?;
                archive.open_to_file(&key, output, progress)
            }
            Self::Held(key) => {
                archive.expect(key.key_ref())?;
                archive.open_to_file(*key, output, progress)
            }
        }
    }
}

/// What a bulk restore was asked to do.
#[derive(Debug)]
pub struct Request<'a> {
    pub keys: Keys<'a>,
    pub archives: &'a [PathBuf],
    pub trees: &'a [PathBuf],
    pub out_dir: &'a Path,
    pub force: bool,
    pub json: bool,
}

/// One archive and the file its data becomes.
#[derive(Debug)]
struct Restore {
    archive: PathBuf,
    name: String,
    output: PathBuf,
    size: Option<u64>,
}

#[derive(Debug, Serialize)]
struct SkippedReport {
    path: String,
    reason: String,
}

#[derive(Debug, Serialize)]
struct RestoreSummary {
    out_dir: String,
    restored: Vec<OpenReport>,
    payload_bytes: u64,
    skipped: Vec<SkippedReport>,
}

/// Runs the restore and returns how many archives it restored.
pub fn run(request: &Request<'_>) -> Result<usize, Failure> {
    let (archives, skipped) = gather(request)?;
    let plan = plan(request, &archives)?;
    let opener = match request.keys {
        Keys::Token(uri) => Opener::Token(token::key_token(uri)?),
        Keys::Held(key) => Opener::Held(key),
    };
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
            .open(archive, &restore.output, &update)
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
    let count = restored.len();
    report(
        request,
        RestoreSummary {
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
        },
    )?;
    Ok(count)
}

/// The archives named and those found in the trees, and what the walks passed over.
fn gather(request: &Request<'_>) -> Result<(Vec<PathBuf>, Vec<Skipped>), Failure> {
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
fn plan(request: &Request<'_>, archives: &[PathBuf]) -> Result<Vec<Restore>, Failure> {
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

fn report(request: &Request<'_>, summary: RestoreSummary) -> Result<(), Failure> {
    if request.json {
        return print_json(&summary);
    }
    let mut text: String = summary
        .restored
        .iter()
        .map(OpenReport::opened_lines)
        .collect();
    text.push_str(&format!(
        "restored {} into {} ({} bytes, all authenticated)",
        counted(summary.restored.len(), "archive", "archives"),
        summary.out_dir,
        summary.payload_bytes
    ));
    if !summary.skipped.is_empty() {
        text.push_str(&format!(
            "; {} entries skipped (see the warnings above)",
            summary.skipped.len()
        ));
    }
    text.push('\n');
    print(&text);
    Ok(())
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
