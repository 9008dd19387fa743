//! `custody verify`: authenticates every chunk of each archive (those named, and every archive
//! under each `--archives TREE`) with the domain key on one token session, writing no data. One
//! line per archive; the command fails when any archive does, and names each one that did.

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::archive_list;
use super::open::{read_archive, OpenReport};
use super::output::{print, print_json, Failure};
use super::progress::Progress;
use super::stdio;
use super::store::ProfileArg;
use super::token;
use crate::archive::KeyToken;
use crate::readout::counted;

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  custody verify --hsm 'pkcs11:token=embassy?module-path=/usr/lib/softhsm/libsofthsm2.so' \\\n      sealed/*.custody\n  custody verify --hsm URI --archives sealed/\n\nChecks each archive's header MAC and every chunk's tag; writes no data. Exit status 0 only\nwhen every archive verifies."
)]
pub struct VerifyArgs {
    /// The token holding the archives' domain key (PKCS#11 URI).
    #[arg(long = "hsm", value_name = "URI")]
    hsm: String,
    /// Archives to verify; `-` reads one from standard input.
    #[arg(value_name = "ARCHIVE", required_unless_present = "trees")]
    archives: Vec<PathBuf>,
    /// Also verify every *.custody file under TREE (recursively; symbolic links are not
    /// followed); may be given several times.
    #[arg(long = "archives", value_name = "TREE")]
    trees: Vec<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    profile: ProfileArg,
}

/// The outcome for one archive.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Outcome {
    Verified {
        ok: bool,
        #[serde(flatten)]
        report: OpenReport,
    },
    Failed {
        ok: bool,
        archive: String,
        error: String,
        hint: Option<String>,
    },
}

#[derive(Debug, Serialize)]
struct VerifyReport {
    archives: Vec<Outcome>,
}

pub fn run(args: &VerifyArgs) -> Result<(), Failure> {
    args.profile.select();
    let (archives, _) = archive_list::gather(&args.archives, &args.trees, "verify")?;
    let token = token::key_token(&args.hsm)?;
    let progress = Progress::new(None, args.json);
    let mut outcomes = Vec::with_capacity(archives.len());
    for path in &archives {
        let name = stdio::name(path, "standard input");
        progress.item(name.clone());
        outcomes.push(match verify_one(&token, path, &name, &progress)? {
            Ok(report) => Outcome::Verified { ok: true, report },
            Err(failure) => Outcome::Failed {
                ok: false,
                archive: name,
                error: failure.message,
                hint: failure.hint,
            },
        });
    }
    drop(progress);
    let failed: Vec<&str> = outcomes
        .iter()
        .filter_map(|outcome| match outcome {
            Outcome::Failed { archive, .. } => Some(archive.as_str()),
            Outcome::Verified { .. } => None,
        })
        .collect();
    let summary = (!failed.is_empty()).then(|| {
        Failure::new(
            format!(
                "{} of {} archives failed verification: {}",
                failed.len(),
                outcomes.len(),
                failed.join(", ")
            ),
            "do not trust the archives named: restore each from another copy and verify it again",
        )
    });
    if args.json {
        print_json(&VerifyReport { archives: outcomes })?;
    } else {
        print(&outcomes.iter().map(line).collect::<String>());
    }
    summary.map_or(Ok(()), Err)
}

/// One archive's outcome; the outer error, a refusal of the token's key, stops the command.
fn verify_one(
    token: &KeyToken,
    path: &std::path::Path,
    name: &str,
    progress: &Progress,
) -> Result<Result<OpenReport, Failure>, Failure> {
    let archive = match read_archive(path, name) {
        Ok(archive) => archive,
        Err(failure) => return Ok(Err(failure)),
    };
    let header = archive.header();
    let key = match token.key(&header.spec.identity, &header.wrap_check) {
        Ok(key) => key,
        Err(e) if e.refuses_the_token_key() => return Err(Failure::from(e).about(name)),
        Err(e) => return Ok(Err(Failure::from(e).about(name))),
    };
    Ok(archive
        .verify(&key, &|done| progress.update(done))
        .map(|summary| {
            progress.item_done(summary.payload_len);
            OpenReport::new(name.to_owned(), None, &summary)
        })
        .map_err(|e| Failure::from(e).about(name)))
}

fn line(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Verified { report, .. } => format!(
            "ok    {} ({} bytes, {}; {} epoch {})\n",
            report.archive,
            report.payload_bytes,
            counted(report.chunks, "chunk", "chunks"),
            report.domain,
            report.epoch
        ),
        Outcome::Failed { error, hint, .. } => format!(
            "FAIL  {error}\n{}",
            hint.as_ref()
                .map(|hint| format!("      hint: {hint}\n"))
                .unwrap_or_default()
        ),
    }
}
