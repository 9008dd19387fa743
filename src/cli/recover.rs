//! `custody recover --no-hsm`: recovery without an HSM. Refused without `--no-hsm`, before
//! anything is read or asked. Then every archive and destination is checked (`restore::plan`, or
//! `open::Single` for one archive to `-o OUT`) before anyone types; the ceremony layer's recovery
//! refuses an archive of another key, rebuilds the domain key in this process's memory from the
//! quorum and lends it to the restore, which writes every archive named or found under
//! `--archives` into `--out-dir` under its recorded name (or the one archive to OUT, `-` for
//! standard output). The key is wiped when the restore returns; then the closing words are
//! printed (as JSON with `--json`; on standard error when the data went to standard output).

use std::path::PathBuf;

use clap::{ArgGroup, Args};
use serde::Serialize;

use super::attendant::Passphrases;
use super::ceremony::Trust;
use super::open::{OpenReport, Single};
use super::opener::Keys;
use super::output::{print, print_json, Failure};
use super::restore::{self, RestoreSummary};
use super::stdio::is_dash;
use super::store::ProfileArg;
use crate::ceremony::recover::{recover, RecoverRequest, Recovered};
use crate::readout::{counted, hex_groups, pgp_words};

#[derive(Debug, Args)]
#[command(
    group(ArgGroup::new("destination").required(true).args(["out", "out_dir"])),
    after_help = "Examples:\n  custody recover --manifest ee-registries/manifest.json --no-hsm \\\n      ee-registries/shares/cio.share ee-registries/shares/justice.share ee-registries/shares/ria.share \\\n      --archives /mnt/backup/archives --out-dir restored\n  custody recover --manifest M --no-hsm SHARE... --archive land.csv.custody -o land.csv\n\nOfficials come forward in the order their share files are given; each types their passphrase.\nThe domain key exists only in this computer's memory while the archives are restored."
)]
pub struct RecoverArgs {
    /// The domain's manifest.json.
    #[arg(long, value_name = "MANIFEST")]
    manifest: PathBuf,
    /// Rebuild the domain key in this computer's memory instead of an HSM (required: without an
    /// HSM the key is exposed to this machine while the recovery runs).
    #[arg(long)]
    no_hsm: bool,
    #[command(flatten)]
    trust: Trust,
    #[command(flatten)]
    passphrases: Passphrases,
    /// The share files offered, in the order the officials come forward.
    #[arg(required = true, value_name = "SHARE")]
    shares: Vec<PathBuf>,
    /// An archive to restore (repeatable).
    #[arg(long = "archive", value_name = "ARCHIVE")]
    archives: Vec<PathBuf>,
    /// Restore every *.custody file under TREE, recursively (repeatable).
    #[arg(long = "archives", value_name = "TREE")]
    trees: Vec<PathBuf>,
    /// Where to write the data of one archive (`--archive`); `-` writes standard output.
    #[arg(short = 'o', long = "out", value_name = "OUT")]
    out: Option<PathBuf>,
    /// The directory each archive is written into, under the name it records.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    /// Overwrite outputs that already exist.
    #[arg(long)]
    force: bool,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    profile: ProfileArg,
}

/// Where the recovered data goes: checked before anyone types.
enum Destination<'a> {
    Single(Box<Single<'a>>),
    Tree(restore::Request<'a>, restore::Plan),
}

/// What the destination received.
#[derive(Serialize)]
#[serde(untagged)]
enum Written {
    Single(Option<OpenReport>),
    Tree(RestoreSummary),
}

#[derive(Serialize)]
struct RecoverReport<'a> {
    domain: &'a str,
    epoch: u32,
    manifest_digest: String,
    accepted: &'a [String],
    refused: Vec<RefusedShare>,
    restored: Written,
    transcript: String,
    transcript_closing_digest: String,
    transcript_closing_words: String,
}

#[derive(Serialize)]
struct RefusedShare {
    share: String,
    reason: String,
}

pub fn run(args: &RecoverArgs) -> Result<(), Failure> {
    args.profile.select();
    if !args.no_hsm {
        return Err(Failure::new(
            "recover rebuilds the domain key in this computer's memory, not in an HSM, and runs only with --no-hsm, which says that no HSM is available and you accept that",
            "to rebuild the key into an HSM instead, use `custody unlock`; otherwise add --no-hsm",
        ));
    }
    let destination =
        match (&args.out, &args.out_dir) {
            (Some(out), None) => Destination::Single(Box::new(Single::check(
                &args.archives,
                &args.trees,
                out,
                args.force,
                args.json,
            )?)),
            (None, Some(out_dir)) => {
                let request = restore::Request {
                    archives: &args.archives,
                    trees: &args.trees,
                    out_dir,
                    force: args.force,
                    json: args.json,
                };
                let plan = restore::plan(&request)?;
                Destination::Tree(request, plan)
            }
            _ => return Err(Failure::new(
                "name one destination: -o OUT or --out-dir DIR",
                "recover one archive with --archive ARCHIVE -o OUT, or several with --out-dir DIR",
            )),
        };
    let archives = match &destination {
        Destination::Single(single) => vec![single.identity()],
        Destination::Tree(_, plan) => plan.identities().collect(),
    };
    let request = RecoverRequest {
        manifest: args.manifest.clone(),
        shares: args.shares.clone(),
        archives: archives
            .into_iter()
            .map(|(path, key)| (path.to_owned(), key.clone()))
            .collect(),
        expect: args.trust.expected(),
        new_transcript: args.trust.new_transcript(),
    };
    // With --json or `-o -`, standard output carries the report or the data alone.
    let to_stdout = args.out.as_deref().is_some_and(is_dash);
    let mut attendant = args.passphrases.attendant(args.json || to_stdout);
    let recovered = recover(&request, &mut attendant, |key| {
        let keys = Keys::Held(key);
        Ok::<_, Failure>(match destination {
            Destination::Single(single) => (1, Written::Single(single.open(keys)?)),
            Destination::Tree(request, plan) => {
                let summary = restore::run(&request, plan, keys)?;
                (summary.count(), Written::Tree(summary))
            }
        })
    })?;
    report(args, recovered)
}

/// The closing words: what was written, then the recovery's facts. When the data went to
/// standard output, they go to standard error.
fn report(args: &RecoverArgs, recovered: Recovered<Written>) -> Result<(), Failure> {
    let written = recovered.written;
    let closing = &recovered.closing_digest;
    if args.json {
        return print_json(&RecoverReport {
            domain: recovered.manifest.domain(),
            epoch: recovered.manifest.epoch(),
            manifest_digest: recovered.manifest.digest().to_string(),
            accepted: &recovered.accepted,
            refused: recovered
                .refused
                .iter()
                .map(|(file, reason)| RefusedShare {
                    share: file.display().to_string(),
                    reason: reason.clone(),
                })
                .collect(),
            restored: written,
            transcript: recovered.transcript.display().to_string(),
            transcript_closing_digest: hex::encode(closing),
            transcript_closing_words: pgp_words(closing),
        });
    }
    let (opened, to_stdout) = match &written {
        Written::Single(Some(report)) => (report.opened_lines(), false),
        Written::Single(None) => (String::new(), true),
        Written::Tree(summary) => (summary.text(), false),
    };
    let refused: Vec<String> = recovered
        .refused
        .iter()
        .map(|(file, reason)| format!("{}: {reason}", file.display()))
        .collect();
    let text = format!(
        "{opened}\nRecovered without an HSM: {restored} of {domain} (epoch {epoch}) restored; the domain key is wiped.\n\
         Shares used: {accepted}.{refused}\n\
         transcript {transcript}, closing digest {closing}\n                   {words}\n",
        restored = counted(recovered.restored, "archive", "archives"),
        domain = recovered.manifest.domain(),
        epoch = recovered.manifest.epoch(),
        accepted = recovered.accepted.join(", "),
        refused = if refused.is_empty() {
            String::new()
        } else {
            format!("\nRefused: {}.", refused.join("; "))
        },
        transcript = recovered.transcript.display(),
        closing = hex_groups(closing),
        words = pgp_words(closing),
    );
    if to_stdout {
        eprint!("{text}");
    } else {
        print(&text);
    }
    Ok(())
}
