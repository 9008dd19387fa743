//! `custody seal`: the arguments, the plan (which input goes to which archive, checked in full
//! before the token is touched), one domain key on the token for every input, and the report. Sealing
//! itself is the archive layer's; each archive file appears complete or not at all, and an
//! interruption or a killed run leaves nothing behind (`interrupt`).

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::{ArgGroup, Args};
use serde::Serialize;

use super::interrupt;
use super::output::{print, print_json, Failure};
use super::progress::Progress;
use super::stdio::{self, is_dash};
use super::store::ProfileArg;
use super::store_writers::{Queued, Writers, Written, SMALL_ARCHIVE};
use super::token;
use crate::archive::{self, ArchiveSpec, ArchiveSummary, ChunkSize, KeyWrap, Metadata};
use crate::catalog;
use crate::files::{directory_of, AtomicFile, TemporaryKind};
use crate::readout::counted;
use crate::store::{self, is_object_url, ArchiveStore, StoreError};

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
    #[command(flatten)]
    profile: ProfileArg,
}

/// One input and the archive it becomes.
#[derive(Debug)]
struct Job {
    input: PathBuf,
    output: PathBuf,
    /// The input's length, when it is a regular file.
    size: Option<u64>,
    /// The archive's name in the `--out-dir` store.
    stored_as: Option<String>,
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
    /// The catalog head of the `--out-dir` store once every archive is recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    catalog_head: Option<String>,
}

pub fn run(args: &SealArgs) -> Result<(), Failure> {
    args.profile.select();
    let chunk_size = ChunkSize::new(args.chunk_size)?;
    // The store written to: --out-dir's, or the one an `-o s3://…` archive is in.
    let (store, one) = match (&args.out, &args.out_dir) {
        (_, Some(dir)) => (Some(out_dir(dir)?), None),
        (Some(out), None) => match store::archive_at(out)? {
            Some((store, name)) => (Some(store), Some(name)),
            None => (None, None),
        },
        (None, None) => (None, None),
    };
    let jobs = plan(args, store.as_deref(), one)?;
    let (manifest, token) = token::sealing_token(&args.manifest, &args.hsm)?;
    let key = token.key(manifest.key_ref(), manifest.wrap_check())?;
    prepare_writing(&jobs)?;
    let total = jobs.iter().map(|job| job.size).sum::<Option<u64>>();
    let progress = Progress::new(total, args.json);
    let sealer = Sealer {
        key: &key,
        chunk_size,
        progress: &progress,
        store: store.as_deref(),
        force: args.force,
    };
    let mut run = Run {
        reports: jobs.iter().map(|_| None).collect(),
        held: BTreeMap::new(),
        recorder: store.as_deref().map(catalog::Recorder::new),
        failure: None,
    };
    let mut writers = store
        .as_ref()
        .map(|store| Writers::start(store, args.force));
    for (index, job) in jobs.iter().enumerate() {
        let (report, sealed) = match sealer.seal(job) {
            Ok(sealed) => sealed,
            Err(failure) => {
                // What was handed to the writers is finished, and recorded, before stopping.
                run.settle(writers.take().map(Writers::finish).unwrap_or_default());
                run.finish()?;
                return Err(failure);
            }
        };
        match sealed {
            Sealed::Elsewhere => run.reports[index] = Some(report),
            Sealed::Stored(entry) => run.done(index, report, entry),
            Sealed::InMemory { name, bytes, entry } => {
                run.held.insert(index, (report, entry));
                let written = match writers.as_mut() {
                    Some(writers) => writers.submit(Queued { index, name, bytes }),
                    None => Vec::new(),
                };
                run.settle(written);
            }
        }
        if run.failure.is_some() {
            break;
        }
    }
    run.settle(writers.map(Writers::finish).unwrap_or_default());
    let head = run.finish()?;
    drop(progress);
    let reports = run.reports.into_iter().flatten().collect();
    report(args, reports, store.as_deref().zip(head.as_ref()))
}

/// Where a sealed archive is: written (to a file or standard output), written to the store, or
/// sealed in memory for a store's writers.
enum Sealed {
    Elsewhere,
    Stored(catalog::Entry),
    InMemory {
        name: String,
        bytes: Vec<u8>,
        entry: catalog::Entry,
    },
}

/// A seal's progress: each input's report once its archive is whole, the catalog entries of the
/// archives still with the writers, the catalog being recorded, and the first failure.
struct Run<'s> {
    reports: Vec<Option<SealReport>>,
    held: BTreeMap<usize, (SealReport, catalog::Entry)>,
    recorder: Option<catalog::Recorder<'s>>,
    failure: Option<Failure>,
}

impl Run<'_> {
    /// Archive `index` is whole in the store: reported and catalogued.
    fn done(&mut self, index: usize, report: SealReport, entry: catalog::Entry) {
        self.reports[index] = Some(report);
        if let Some(recorder) = self.recorder.as_mut() {
            if let Err(error) = recorder.push(entry) {
                let sealed = self.reports.iter().flatten().count();
                self.failure.get_or_insert(uncatalogued(error, sealed));
            }
        }
    }

    /// What the writers finished.
    fn settle(&mut self, written: Vec<Written>) {
        for Written { index, result } in written {
            let Some((report, entry)) = self.held.remove(&index) else {
                continue;
            };
            match result {
                Ok(()) => self.done(index, report, entry),
                Err(error) => {
                    let shown = report.archive.clone();
                    self.failure.get_or_insert(
                        Failure::new(
                            format!("cannot write {shown}: {error}"),
                            "check the destination's free space and permissions; nothing was \
                             left there",
                        )
                        .about(&report.input),
                    );
                }
            }
        }
    }

    /// The catalog recorded (the head of the store's catalog), or the first failure.
    fn finish(&mut self) -> Result<Option<catalog::Head>, Failure> {
        let head = self.recorder.take().map(|recorder| {
            let sealed = self.reports.iter().flatten().count();
            recorder.finish().map_err(|e| uncatalogued(e, sealed))
        });
        if let Some(failure) = self.failure.take() {
            return Err(failure);
        }
        head.transpose()
    }
}

/// The catalog could not be written: the archives sealed stay, complete, but the catalog may
/// not list the last of them.
fn uncatalogued(error: catalog::CatalogError, sealed: usize) -> Failure {
    Failure::new(
        error.to_string(),
        format!(
            "the {} sealed are complete but the store's catalog may not list the last of them: \
             custody catalog verify STORE names them",
            counted(sealed, "archive", "archives")
        ),
    )
}

/// Watches for interruptions and clears what killed runs left where the archives go.
/// (Standard output is left to the signals' default: what went out cannot be taken back.)
fn prepare_writing(jobs: &[Job]) -> Result<(), Failure> {
    if jobs.iter().all(|job| is_dash(&job.output)) {
        return Ok(());
    }
    interrupt::watch()?;
    let directories: std::collections::BTreeSet<&Path> = jobs
        .iter()
        .filter(|job| !is_dash(&job.output) && !is_object_url(&job.output))
        .map(|job| directory_of(&job.output))
        .collect();
    directories.into_iter().for_each(interrupt::clean_leftovers);
    Ok(())
}

/// Checks every input and destination before anything is sealed.
fn plan(
    args: &SealArgs,
    store: Option<&dyn ArchiveStore>,
    one: Option<String>,
) -> Result<Vec<Job>, Failure> {
    let jobs = match (&args.out, store) {
        (Some(out), Some(store)) => {
            let mut jobs = plan_one(&args.inputs, out)?;
            let existing = existing(store, args.force)?;
            if let Some(name) = one.as_ref().filter(|name| existing.contains(*name)) {
                return Err(stdio::exists_failure(&store.shown(name)));
            }
            jobs.iter_mut()
                .for_each(|job| job.stored_as.clone_from(&one));
            jobs
        }
        (Some(out), None) => plan_one(&args.inputs, out)?,
        (None, Some(store)) => plan_dir(&args.inputs, store, args.force)?,
        (None, None) => {
            return Err(Failure::new(
                "no destination given",
                "name the archive with -o OUT, or a directory with --out-dir DIR",
            ))
        }
    };
    for job in jobs.iter().filter(|job| job.stored_as.is_none()) {
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

/// The archives of `store`, unless `force` (none then matter).
fn existing(store: &dyn ArchiveStore, force: bool) -> Result<HashSet<String>, Failure> {
    if force {
        return Ok(HashSet::new());
    }
    Ok(store
        .list()?
        .archives
        .into_iter()
        .map(|archive| archive.name)
        .collect())
}

/// Whether `job`'s archive goes to a store and is small enough to be sealed in memory.
fn small(job: &Job) -> bool {
    job.stored_as.is_some()
        && job
            .size
            .is_some_and(|size| size <= SMALL_ARCHIVE - 64 * 1024)
}

/// The `--out-dir` store: an object store, or a directory that exists.
fn out_dir(dir: &Path) -> Result<Arc<dyn ArchiveStore>, Failure> {
    if !is_object_url(dir) && !dir.is_dir() {
        return Err(Failure::new(
            format!("{} is not a directory", dir.display()),
            "create the output directory first, or name an existing one",
        ));
    }
    Ok(store::open(dir)?)
}

/// One archive per input in the store, none replacing an archive there unless `force`.
fn plan_dir(
    inputs: &[PathBuf],
    store: &dyn ArchiveStore,
    force: bool,
) -> Result<Vec<Job>, Failure> {
    let existing = existing(store, force)?;
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
            let archive_name = archive_name.to_string_lossy().into_owned();
            let shown = store.shown(&archive_name);
            if !names.insert(archive_name.clone()) {
                return Err(Failure::new(
                    format!("two inputs would both be sealed to {shown}"),
                    "seal inputs of the same file name into different directories",
                ));
            }
            if existing.contains(&archive_name) {
                return Err(stdio::exists_failure(&shown));
            }
            Ok(Job {
                stored_as: Some(archive_name),
                ..job(input, PathBuf::from(shown))
            })
        })
        .collect()
}

fn job(input: &Path, output: PathBuf) -> Job {
    Job {
        input: input.to_owned(),
        output,
        size: None,
        stored_as: None,
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
    /// The `--out-dir` store.
    store: Option<&'a dyn ArchiveStore>,
    force: bool,
}

impl Sealer<'_> {
    /// Seals one input: a small one going to a store into memory, for the store's writers.
    fn seal(&self, job: &Job) -> Result<(SealReport, Sealed), Failure> {
        let input_name = stdio::name(&job.input, "standard input");
        self.progress.item(input_name.clone());
        let spec = self.spec(job);
        let input = stdio::reader(&job.input)?;
        let progress = |done| self.progress.update(done);
        let mut sealed = Sealed::Elsewhere;
        let summary = if let (Some(name), true) = (&job.stored_as, small(job)) {
            let mut archive = catalog::Measure::new(Vec::new());
            let summary = archive::seal(self.key, &spec, input, &mut archive, &progress)
                .map_err(|e| Failure::from(e).about(&input_name))?;
            let (bytes, measured) = archive.finish()?;
            sealed = Sealed::InMemory {
                name: name.clone(),
                bytes,
                entry: measured.sealed(name, catalog::now())?,
            };
            summary
        } else if let (Some(store), Some(name)) = (self.store, &job.stored_as) {
            let (summary, entry) = self
                .seal_to_store(&spec, input, store, name, job.size, &progress)
                .map_err(|e| e.about(&input_name))?;
            sealed = Sealed::Stored(entry);
            summary
        } else if is_dash(&job.output) {
            let stdout = std::io::stdout().lock();
            archive::seal(self.key, &spec, input, stdout, &progress)
                .map_err(|e| Failure::from(e).about(&input_name))?
        } else {
            self.seal_to_file(&spec, input, &job.output, &progress)
                .map_err(|e| e.about(&input_name))?
        };
        self.progress.item_done(summary.payload_len);
        let report = SealReport {
            input: input_name,
            archive: stdio::name(&job.output, "standard output"),
            domain: spec.identity.domain.to_string(),
            epoch: spec.identity.epoch,
            key_id: spec.identity.key_id.to_string(),
            payload_bytes: summary.payload_len,
            chunks: summary.chunks,
            archive_bytes: summary.archive_len,
        };
        Ok((report, sealed))
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

    fn seal_to_store(
        &self,
        spec: &ArchiveSpec,
        input: archive::Input<'_>,
        store: &dyn ArchiveStore,
        name: &str,
        size: Option<u64>,
        progress: &dyn Fn(u64),
    ) -> Result<(ArchiveSummary, catalog::Entry), Failure> {
        let shown = store.shown(name);
        let output_error = |error: StoreError| {
            Failure::new(
                format!("cannot write {shown}: {error}"),
                "check the destination's free space and permissions; nothing was left there",
            )
        };
        let mut archive =
            catalog::Measure::new(store.create(name, size, self.force).map_err(output_error)?);
        let summary = archive::seal(self.key, spec, input, &mut archive, progress)?;
        let (archive, measured) = archive.finish()?;
        archive.commit().map_err(output_error)?;
        Ok((summary, measured.sealed(name, catalog::now())?))
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

fn report(
    args: &SealArgs,
    archives: Vec<SealReport>,
    catalogued: Option<(&dyn ArchiveStore, &catalog::Head)>,
) -> Result<(), Failure> {
    if args.json {
        return print_json(&SealReports {
            archives,
            catalog_head: catalogued.map(|(_, head)| head.to_string()),
        });
    }
    // With -o - the archive is standard output: nothing else may go there.
    if args.out.as_deref().is_some_and(is_dash) {
        return Ok(());
    }
    let mut text: String = archives
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
    if let Some((store, head)) = catalogued {
        text.push_str(&format!(
            "catalog of {}: {}\nhead       {}\n           {}\n",
            store.location(),
            counted(head.archives, "archive", "archives"),
            head.hex(),
            head.words()
        ));
    }
    print(&text);
    Ok(())
}
