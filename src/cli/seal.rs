//! `custody seal`: the arguments, the plan (which input goes to which archive, checked in full
//! before the token is touched), one domain key on the token for every input, and the report. Sealing
//! itself is the archive layer's; each archive file appears complete or not at all, and an
//! interruption or a killed run leaves nothing behind (`interrupt`).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use clap::{ArgGroup, Args};
use serde::Serialize;

use super::interrupt;
use super::output::{print, print_json, Failure};
use super::progress::Progress;
use super::stdio::{self, is_dash};
use super::token;
use crate::archive::{self, ArchiveSpec, ArchiveSummary, ChunkSize, KeyWrap, Metadata};
use crate::files::{directory_of, AtomicFile, TemporaryKind};
use crate::readout::counted;

/// The name `--out-dir` gives the archive of an input: `<input file name>.custody`.
const ARCHIVE_SUFFIX: &str = ".custody";

#[derive(Debug, Args)]
#[command(
    group(ArgGroup::new("destination").required(true).args(["out", "out_dir"])),
    after_help = "Examples:\n  custody seal --manifest ee-registries/manifest.json \\\n      --hsm 'pkcs11:token=home?module-path=/usr/lib/softhsm/libsofthsm2.so' \\\n      population.tar -o population.tar.custody\n  pg_dump registry | custody seal --manifest M --hsm URI - -o - > registry.custody\n  custody seal --manifest M --hsm URI --out-dir sealed/ exports/*.csv\n\nEach archive gets a fresh data key from the token, wrapped under the domain key the manifest\nnames. An archive file appears only once complete. With several inputs, archives sealed before\na failure stay (each is complete); the failing input is named.\n\nCtrl-C (or SIGTERM, SIGHUP) removes the unfinished archive and exits with 128 + the signal;\ntemporary files a killed run left beside the archives are removed with a warning."
)]
pub struct SealArgs {
    /// The domain's manifest.json: names the domain key that wraps each data key.
    #[arg(long, value_name = "MANIFEST")]
    manifest: PathBuf,
    /// The token holding the domain key (PKCS#11 URI).
    #[arg(long = "hsm", value_name = "URI")]
    hsm: String,
    /// Files to seal; `-` reads standard input.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// The archive to write, for one input; `-` writes standard output.
    #[arg(short = 'o', long = "out", value_name = "OUT")]
    out: Option<PathBuf>,
    /// A directory for one archive per input, named <input file name>.custody.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    /// Plaintext bytes per chunk: a power of two from 4096 to 16777216.
    #[arg(long, value_name = "BYTES", default_value_t = ChunkSize::DEFAULT.get())]
    chunk_size: u32,
    /// Replace existing archives (each only once its replacement is complete).
    #[arg(long)]
    force: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// One input and the archive it becomes.
#[derive(Debug)]
struct Job {
    input: PathBuf,
    output: PathBuf,
    /// The input's length, when it is a regular file.
    size: Option<u64>,
}

#[derive(Debug, Serialize)]
struct SealReport {
    input: String,
    archive: String,
    domain: String,
    epoch: u32,
    key_id: String,
    payload_bytes: u64,
    chunks: u64,
    archive_bytes: u64,
}

#[derive(Debug, Serialize)]
struct SealReports {
    archives: Vec<SealReport>,
}

pub fn run(args: &SealArgs) -> Result<(), Failure> {
    let chunk_size = ChunkSize::new(args.chunk_size)?;
    let jobs = plan(args)?;
    let (manifest, token) = token::sealing_token(&args.manifest, &args.hsm)?;
    let key = token.key(manifest.key_ref(), manifest.wrap_check())?;
    prepare_writing(&jobs)?;
    let total = jobs.iter().map(|job| job.size).sum::<Option<u64>>();
    let progress = Progress::new(total, args.json);
    let sealer = Sealer {
        key: &key,
        chunk_size,
        progress: &progress,
    };
    let mut reports = Vec::with_capacity(jobs.len());
    for job in &jobs {
        reports.push(sealer.seal(job)?);
    }
    drop(progress);
    report(args, reports)
}

/// Watches for interruptions and clears what killed runs left where the archives go.
/// (Standard output is left to the signals' default: what went out cannot be taken back.)
fn prepare_writing(jobs: &[Job]) -> Result<(), Failure> {
    let directories: std::collections::BTreeSet<&Path> = jobs
        .iter()
        .filter(|job| !is_dash(&job.output))
        .map(|job| directory_of(&job.output))
        .collect();
    if directories.is_empty() {
        return Ok(());
    }
    interrupt::watch()?;
    directories.into_iter().for_each(interrupt::clean_leftovers);
    Ok(())
}

/// Checks every input and destination before anything is sealed.
fn plan(args: &SealArgs) -> Result<Vec<Job>, Failure> {
    let jobs = match (&args.out, &args.out_dir) {
        (Some(out), _) => plan_one(&args.inputs, out)?,
        (None, Some(dir)) => plan_dir(&args.inputs, dir)?,
        (None, None) => {
            return Err(Failure::new(
                "no destination given",
                "name the archive with -o OUT, or a directory with --out-dir DIR",
            ))
        }
    };
    for job in &jobs {
        stdio::refuse_existing(&job.output, args.force)?;
        stdio::refuse_json_on_stdout(args.json, &job.output)?;
    }
    jobs.into_iter()
        .map(|job| {
            Ok(Job {
                size: input_size(&job.input)?,
                ..job
            })
        })
        .collect()
}

fn plan_one(inputs: &[PathBuf], out: &Path) -> Result<Vec<Job>, Failure> {
    match inputs {
        [input] => Ok(vec![job(input, out.to_owned())]),
        _ => Err(Failure::new(
            format!(
                "-o names one archive but {} inputs were given",
                inputs.len()
            ),
            "seal several inputs with --out-dir DIR (one archive per input)",
        )),
    }
}

fn plan_dir(inputs: &[PathBuf], dir: &Path) -> Result<Vec<Job>, Failure> {
    if !dir.is_dir() {
        return Err(Failure::new(
            format!("{} is not a directory", dir.display()),
            "create the output directory first, or name an existing one",
        ));
    }
    let mut names = HashSet::new();
    inputs
        .iter()
        .map(|input| {
            let Some(file_name) = input.file_name().filter(|_| !is_dash(input)) else {
                return Err(Failure::new(
                    format!(
                        "{} has no file name to name its archive after",
                        stdio::name(input, "standard input")
                    ),
                    "seal standard input on its own with -o OUT",
                ));
            };
            let mut archive_name = file_name.to_owned();
            archive_name.push(ARCHIVE_SUFFIX);
            if !names.insert(archive_name.clone()) {
                return Err(Failure::new(
                    format!(
                        "two inputs would both be sealed to {}",
                        dir.join(&archive_name).display()
                    ),
                    "seal inputs of the same file name into different directories",
                ));
            }
            Ok(job(input, dir.join(archive_name)))
        })
        .collect()
}

fn job(input: &Path, output: PathBuf) -> Job {
    Job {
        input: input.to_owned(),
        output,
        size: None,
    }
}

/// The length of a regular file (recorded in the header and checked), `None` for a stream.
fn input_size(input: &Path) -> Result<Option<u64>, Failure> {
    if is_dash(input) {
        return Ok(None);
    }
    let metadata = std::fs::metadata(input).map_err(|error| {
        Failure::new(
            format!("{}: cannot be read: {error}", input.display()),
            "check the path and that you may read the file",
        )
    })?;
    if metadata.is_dir() {
        return Err(Failure::new(
            format!("{} is a directory", input.display()),
            "seal a directory as one archive of a tar file: tar -cf - DIR | custody seal ... - -o OUT",
        ));
    }
    Ok(metadata.is_file().then_some(metadata.len()))
}

/// What every archive of one run shares: the domain key and the chunk size.
struct Sealer<'a> {
    key: &'a dyn KeyWrap,
    chunk_size: ChunkSize,
    progress: &'a Progress,
}

impl Sealer<'_> {
    fn seal(&self, job: &Job) -> Result<SealReport, Failure> {
        let input_name = stdio::name(&job.input, "standard input");
        self.progress.item(input_name.clone());
        let spec = self.spec(job);
        let input = stdio::reader(&job.input)?;
        let progress = |done| self.progress.update(done);
        let summary = if is_dash(&job.output) {
            let stdout = std::io::stdout().lock();
            archive::seal(self.key, &spec, input, stdout, &progress)
                .map_err(|e| Failure::from(e).about(&input_name))?
        } else {
            self.seal_to_file(&spec, input, &job.output, &progress)
                .map_err(|e| e.about(&input_name))?
        };
        self.progress.item_done(summary.payload_len);
        Ok(SealReport {
            input: input_name,
            archive: stdio::name(&job.output, "standard output"),
            domain: spec.identity.domain.to_string(),
            epoch: spec.identity.epoch,
            key_id: spec.identity.key_id.to_string(),
            payload_bytes: summary.payload_len,
            chunks: summary.chunks,
            archive_bytes: summary.archive_len,
        })
    }

    fn spec(&self, job: &Job) -> ArchiveSpec {
        let name = job
            .input
            .file_name()
            .filter(|_| !is_dash(&job.input))
            .and_then(|name| name.to_str())
            .map(str::to_owned);
        let created = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .ok()
            .map(|since| since.as_secs());
        ArchiveSpec {
            identity: self.key.key_ref().clone(),
            metadata: Metadata {
                name,
                size: job.size,
                content_type: None,
                created,
            },
            chunk_size: self.chunk_size,
        }
    }

    fn seal_to_file(
        &self,
        spec: &ArchiveSpec,
        input: archive::Input<'_>,
        destination: &Path,
        progress: &dyn Fn(u64),
    ) -> Result<ArchiveSummary, Failure> {
        let output_error = |error: std::io::Error| {
            Failure::new(
                format!("cannot write {}: {error}", destination.display()),
                "check the destination's free space and permissions; nothing was left there",
            )
        };
        let mut file =
            AtomicFile::create_as(destination, TemporaryKind::Sealed).map_err(output_error)?;
        let summary = archive::seal(self.key, spec, input, &mut file, progress)?;
        file.commit().map_err(output_error)?;
        Ok(summary)
    }
}

fn report(args: &SealArgs, archives: Vec<SealReport>) -> Result<(), Failure> {
    if args.json {
        return print_json(&SealReports { archives });
    }
    // With -o - the archive is standard output: nothing else may go there.
    if args.out.as_deref().is_some_and(is_dash) {
        return Ok(());
    }
    let text: String = archives
        .iter()
        .map(|report| {
            format!(
                "sealed {} -> {} ({} bytes, {}; {} epoch {})\n",
                report.input,
                report.archive,
                report.payload_bytes,
                counted(report.chunks, "chunk", "chunks"),
                report.domain,
                report.epoch
            )
        })
        .collect();
    print(&text);
    Ok(())
}
