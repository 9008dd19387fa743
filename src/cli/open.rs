//! `custody open`: reads the archive's header, finds the domain key it names on the token, and
//! decrypts to a file (a temporary file renamed into place only after the final chunk
//! authenticates) or to standard output (each chunk written only once it authenticates; a cut or
//! altered stream ends the command with a failure). Opening itself is the archive layer's.

use std::io::Read;
use std::path::{Path, PathBuf};

use clap::Args;
use serde::Serialize;

use super::output::{print, print_json, Failure};
use super::progress::Progress;
use super::stdio::{self, is_dash};
use super::token;
use crate::archive::{Archive, ArchiveSummary};

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  custody open --hsm 'pkcs11:token=embassy?module-path=/usr/lib/softhsm/libsofthsm2.so' \\\n      population.tar.custody -o population.tar\n  custody open --hsm URI registry.custody -o - | pg_restore -d registry\n\nThe token must hold the domain key the archive names (`custody inspect ARCHIVE` shows it).\nA file output appears only after the last chunk authenticates; an existing OUT is replaced\nonly with --force. On standard output, data already written before a failure is authentic,\nbut the exit status is non-zero and the stream is incomplete."
)]
pub struct OpenArgs {
    /// The token holding the archive's domain key (PKCS#11 URI).
    #[arg(long = "hsm", value_name = "URI")]
    hsm: String,
    /// The archive; `-` reads standard input.
    #[arg(value_name = "ARCHIVE")]
    archive: PathBuf,
    /// Where to write the data; `-` writes standard output.
    #[arg(short = 'o', long = "out", value_name = "OUT", required = true)]
    out: PathBuf,
    /// Replace an existing OUT (only once the new data has fully authenticated).
    #[arg(long)]
    force: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize)]
pub struct OpenReport {
    pub archive: String,
    pub output: Option<String>,
    pub name: Option<String>,
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
            domain: spec.identity.domain.to_string(),
            epoch: spec.identity.epoch,
            key_id: spec.identity.key_id.to_string(),
            payload_bytes: summary.payload_len,
            chunks: summary.chunks,
        }
    }
}

pub fn run(args: &OpenArgs) -> Result<(), Failure> {
    stdio::refuse_json_on_stdout(args.json, &args.out)?;
    stdio::refuse_existing(&args.out, args.force)?;
    let archive_name = stdio::name(&args.archive, "standard input");
    let archive = read_archive(&args.archive, &archive_name)?;
    let token = token::key_token(&args.hsm)?;
    let key = token
        .key(
            &archive.header().spec.identity,
            &archive.header().wrap_check,
        )
        .map_err(|e| Failure::from(e).about(&archive_name))?;
    let progress = Progress::new(archive.header().spec.metadata.size, args.json);
    progress.item(archive_name.clone());
    let update = |done| progress.update(done);
    let summary = if is_dash(&args.out) {
        archive.open(&key, std::io::stdout().lock(), &update)
    } else {
        archive.open_to_file(&key, &args.out, &update)
    }
    .map_err(|e| Failure::from(e).about(&archive_name))?;
    drop(progress);
    if is_dash(&args.out) {
        return Ok(());
    }
    let report = OpenReport::new(archive_name, Some(args.out.display().to_string()), &summary);
    if args.json {
        return print_json(&report);
    }
    print(&format!(
        "opened {} -> {} ({} bytes, {} chunks, all authenticated)\n",
        report.archive,
        args.out.display(),
        report.payload_bytes,
        report.chunks
    ));
    Ok(())
}

/// Reads the public header of the archive at `path` (`-`: standard input).
pub fn read_archive(path: &Path, name: &str) -> Result<Archive<Box<dyn Read>>, Failure> {
    Archive::read(stdio::reader(path)?).map_err(|e| Failure::from(e).about(name))
}
