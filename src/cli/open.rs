//! `custody open`: reads the archive's header, finds the domain key it names on the token, and
//! decrypts to a file (a temporary file renamed into place only after the final chunk
//! authenticates) or to standard output (each chunk written only once it authenticates; a cut or
//! altered stream ends the command with a failure). With `--out-dir`, many archives are restored
//! under their recorded names (`restore`). Opening itself is the archive layer's.

use std::path::{Path, PathBuf};

use clap::{ArgGroup, Args};
use serde::Serialize;

use super::interrupt;
use super::opener::{Keys, Opener, Output};
use super::output::{print, print_json, Failure};
use super::progress::Progress;
use super::restore;
use super::stdio::{self, is_dash};
use super::store::ProfileArg;
use crate::archive::{Archive, ArchiveSummary, Metadata};
use crate::domain::Timestamp;
use crate::files::directory_of;
use crate::primitives::key_ref::KeyRef;
use crate::readout::counted;

/// The ending of an archive's file name, taken off to compare with the recorded name.
pub const ARCHIVE_SUFFIX: &str = ".custody";

#[derive(Debug, Args)]
#[command(
    group(ArgGroup::new("destination").required(true).args(["out", "out_dir"])),
    after_help = "Examples:\n  custody open --hsm 'pkcs11:token=embassy?module-path=/usr/lib/softhsm/libsofthsm2.so' \\\n      population.tar.custody -o population.tar\n  custody open --hsm URI registry.custody -o - | pg_restore -d registry\n  custody open --hsm URI --out-dir restored/ sealed/*.custody\n  custody open --hsm URI --archives sealed/ --out-dir restored/\n\nThe token must hold the domain key the archive names (`custody inspect ARCHIVE` shows it).\nA file output appears only after the last chunk authenticates; an existing OUT is replaced\nonly with --force. On standard output, data already written before a failure is authentic,\nbut the exit status is non-zero and the stream is incomplete.\n\nWith --out-dir, each archive is restored under the file name recorded (and authenticated) in\nit; a recorded name with a path separator, `..`, NUL or a leading dot is refused, and so is\none that exists in DIR unless --force. Every archive is checked before the token is opened.\nA warning says when an archive's file name differs from its recorded name.\n\nCtrl-C (or SIGTERM, SIGHUP) removes the unfinished file and exits with 128 + the signal;\ntemporary files a killed run left in the output directory are removed with a warning."
)]
pub struct OpenArgs {
    /// The token holding the archives' domain key (PKCS#11 URI).
    #[arg(long = "hsm", value_name = "URI")]
    hsm: String,
    /// The archives; `-` reads standard input (with -o only).
    #[arg(value_name = "ARCHIVE")]
    archives: Vec<PathBuf>,
    /// Where to write the data of one archive; `-` writes standard output.
    #[arg(short = 'o', long = "out", value_name = "OUT")]
    out: Option<PathBuf>,
    /// Restore every archive into DIR under the name recorded in it.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    /// Also restore every *.custody file under TREE (recursively; symbolic links are not
    /// followed). With --out-dir; may be given several times.
    #[arg(long = "archives", value_name = "TREE")]
    trees: Vec<PathBuf>,
    /// Replace existing outputs (each only once its new data has fully authenticated).
    #[arg(long)]
    force: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    profile: ProfileArg,
}

#[derive(Debug, Serialize)]
pub struct OpenReport {
    pub archive: String,
    pub output: Option<String>,
    pub name: Option<String>,
    pub size: Option<u64>,
    pub sealed: Option<String>,
    pub domain: String,
    pub epoch: u32,
    pub key_id: String,
    pub payload_bytes: u64,
    pub chunks: u64,
}

impl OpenReport {
    /// The report of one archive opened (or verified, with no output).
    pub fn new(archive: String, output: Option<String>, summary: &ArchiveSummary) -> Self {
        let spec = &summary.header.spec;
        Self {
            archive,
            output,
            name: spec.metadata.name.clone(),
            size: spec.metadata.size,
            sealed: sealed_time(&spec.metadata),
            domain: spec.identity.domain.to_string(),
            epoch: spec.identity.epoch,
            key_id: spec.identity.key_id.to_string(),
            payload_bytes: summary.payload_len,
            chunks: summary.chunks,
        }
    }

    /// The two lines saying where the archive's data went, with the recorded facts.
    pub fn opened_lines(&self) -> String {
        format!(
            "opened {} -> {} ({} bytes, {}, all authenticated)\n  {}\n",
            self.archive,
            self.output.as_deref().unwrap_or(""),
            self.payload_bytes,
            counted(self.chunks, "chunk", "chunks"),
            self.recorded()
        )
    }

    /// The recorded facts, authenticated once the archive opened: name, size and seal time.
    fn recorded(&self) -> String {
        format!(
            "recorded name {}, size {}, sealed {}",
            self.name.as_deref().unwrap_or("(none)"),
            self.size
                .map_or_else(|| "(not recorded)".to_owned(), |s| format!("{s} bytes")),
            self.sealed.as_deref().unwrap_or("(not recorded)")
        )
    }
}

/// The seal time an archive records, as RFC 3339 UTC.
fn sealed_time(metadata: &Metadata) -> Option<String> {
    metadata.created.map(|seconds| {
        Timestamp::from_unix_seconds(seconds)
            .map_or_else(|| format!("{seconds} s after 1970"), |t| t.to_string())
    })
}

pub fn run(args: &OpenArgs) -> Result<(), Failure> {
    args.profile.select();
    let keys = Keys::Token(&args.hsm);
    match (&args.out, &args.out_dir) {
        (Some(out), None) => {
            let single = Single::check(&args.archives, &args.trees, out, args.force, args.json)?;
            match single.open(keys)? {
                Some(report) if args.json => print_json(&report),
                Some(report) => {
                    print(&report.opened_lines());
                    Ok(())
                }
                None => Ok(()),
            }
        }
        (None, Some(out_dir)) => {
            let request = restore::Request {
                archives: &args.archives,
                trees: &args.trees,
                out_dir,
                force: args.force,
                json: args.json,
            };
            let plan = restore::plan(&request)?;
            let summary = restore::run(&request, plan, keys)?;
            if args.json {
                return print_json(&summary);
            }
            print(&summary.text());
            Ok(())
        }
        _ => Err(Failure::new(
            "name one destination: -o OUT or --out-dir DIR",
            "open one archive with -o OUT, or restore several with --out-dir DIR",
        )),
    }
}

/// One archive to open into `-o OUT`, checked (its header read, the destination free) before
/// any key is looked for.
pub struct Single<'a> {
    archive: Archive<'static>,
    path: &'a Path,
    name: String,
    out: &'a Path,
    json: bool,
}

impl<'a> Single<'a> {
    /// Refuses a tree, more or fewer than one archive, `--json` with `-o -`, and an existing
    /// output (unless `force`); reads the archive's header.
    pub fn check(
        archives: &'a [PathBuf],
        trees: &[PathBuf],
        out: &'a Path,
        force: bool,
        json: bool,
    ) -> Result<Self, Failure> {
        if !trees.is_empty() {
            return Err(Failure::new(
                "--archives restores a tree of archives, but -o names one output",
                "restore a tree with --archives TREE --out-dir DIR",
            ));
        }
        let path =
            match archives {
                [one] => one,
                archives => return Err(Failure::new(
                    format!(
                        "-o names one output but {} archives were given",
                        archives.len()
                    ),
                    "restore several archives with --out-dir DIR (each under its recorded name)",
                )),
            };
        stdio::refuse_json_on_stdout(json, out)?;
        stdio::refuse_object_url(out, "opened data")?;
        stdio::refuse_existing(out, force)?;
        let name = stdio::name(path, "standard input");
        let archive = read_archive(path, &name)?;
        Ok(Self {
            archive,
            path,
            name,
            out,
            json,
        })
    }

    /// The archive and the domain key its header names.
    pub fn identity(&self) -> (&Path, &KeyRef) {
        (self.path, &self.archive.header().spec.identity)
    }

    /// Opens the archive with `keys`; the report, unless the data went to standard output.
    pub fn open(self, keys: Keys<'_>) -> Result<Option<OpenReport>, Failure> {
        let opener = Opener::new(keys)?;
        let output = if is_dash(self.out) {
            Output::Stdout
        } else {
            interrupt::watch()?;
            interrupt::clean_leftovers(directory_of(self.out));
            Output::File(self.out)
        };
        let progress = Progress::new(self.archive.header().spec.metadata.size, self.json);
        progress.item(self.name.clone());
        let update = |done| progress.update(done);
        let summary = opener
            .open(self.archive, output, &update)
            .map_err(|e| Failure::from(e).about(&self.name))?;
        drop(progress);
        warn_if_renamed(self.path, &summary.header.spec.metadata);
        Ok((!is_dash(self.out))
            .then(|| OpenReport::new(self.name, Some(self.out.display().to_string()), &summary)))
    }
}

/// Warns on stderr when the archive's file name, minus `.custody`, is neither the name recorded
/// in it nor that name without its extension: the file was renamed after sealing, and its data
/// is the recorded name's.
pub fn warn_if_renamed(archive: &Path, metadata: &Metadata) {
    if let Some(warning) = renamed(archive, metadata.name.as_deref()) {
        eprintln!("warning: {warning}");
    }
}

/// The warning [`warn_if_renamed`] prints, if any.
pub fn renamed(archive: &Path, recorded: Option<&str>) -> Option<String> {
    let recorded = recorded?;
    if is_dash(archive) {
        return None;
    }
    let file_name = archive.file_name()?.to_string_lossy();
    let stem = file_name.strip_suffix(ARCHIVE_SUFFIX).unwrap_or(&file_name);
    // `land.custody` for `land.csv` (as the canary is named) is not a rename.
    let recorded_stem = Path::new(recorded).file_stem().and_then(|s| s.to_str());
    (stem != recorded && Some(stem) != recorded_stem).then(|| {
        format!(
            "{} was sealed as {recorded}: the archive file was renamed since; its data is {recorded}'s",
            archive.display()
        )
    })
}

/// Reads the public header of the archive at `path` (`-`: standard input).
pub fn read_archive(path: &Path, name: &str) -> Result<Archive<'static>, Failure> {
    Archive::read(stdio::reader(path)?).map_err(|e| Failure::from(e).about(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rename_is_a_file_name_that_is_not_the_recorded_one() {
        let warns = |file: &str, recorded: Option<&str>| renamed(Path::new(file), recorded);
        assert!(warns("a/land.csv.custody", Some("land.csv")).is_none());
        assert!(warns("canary.custody", Some("canary.txt")).is_none());
        assert!(warns("-", Some("land.csv")).is_none());
        assert!(warns("population.csv.custody", None).is_none());
        let warning = warns("population.csv.custody", Some("land.csv")).unwrap_or_default();
        assert!(warning.contains("was sealed as land.csv"), "{warning}");
    }
}
