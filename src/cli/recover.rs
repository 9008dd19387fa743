//! `custody recover --no-hsm`: recovery without an HSM. Refused without `--no-hsm`, before
//! anything is read or asked; with it, the ceremony layer's recovery rebuilds the domain key in
//! this process's memory from the quorum and lends it to the bulk restore (`restore`), which
//! writes every archive named or found under `--archives` into `--out-dir` under its recorded
//! name. The key is wiped when the restore returns; then the closing words are printed.

use std::path::PathBuf;

use clap::Args;

use super::attendant::Passphrases;
use super::ceremony::Trust;
use super::output::{print, Failure};
use super::restore;
use crate::ceremony::recover::{recover, RecoverRequest};
use crate::readout::{counted, hex_groups, pgp_words};

#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  custody recover --manifest ee-registries/manifest.json --no-hsm \\\n      ee-registries/shares/cio.share ee-registries/shares/justice.share ee-registries/shares/ria.share \\\n      --archives /mnt/backup/archives --out-dir restored\n\nOfficials come forward in the order their share files are given; each types their passphrase.\nThe domain key exists only in this computer's memory while the archives are restored."
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
    /// The directory each archive is written into, under the name it records.
    #[arg(long, value_name = "DIR")]
    out_dir: PathBuf,
    /// Overwrite files that already exist in DIR.
    #[arg(long)]
    force: bool,
}

pub fn run(args: &RecoverArgs) -> Result<(), Failure> {
    if !args.no_hsm {
        return Err(Failure::new(
            "recover rebuilds the domain key in this computer's memory, not in an HSM, and runs only with --no-hsm, which says that no HSM is available and you accept that",
            "to rebuild the key into an HSM instead, use `custody unlock`; otherwise add --no-hsm",
        ));
    }
    let request = RecoverRequest {
        manifest: args.manifest.clone(),
        shares: args.shares.clone(),
        expect: args.trust.expected(),
        new_transcript: args.trust.new_transcript(),
    };
    let mut attendant = args.passphrases.attendant();
    let recovered = recover(&request, &mut attendant, |key| {
        restore::run(&restore::Request {
            keys: restore::Keys::Held(key),
            archives: &args.archives,
            trees: &args.trees,
            out_dir: &args.out_dir,
            force: args.force,
            json: false,
        })
    })?;
    let refused: Vec<String> = recovered
        .refused
        .iter()
        .map(|(file, reason)| format!("{}: {reason}", file.display()))
        .collect();
    print(&format!(
        "\nRecovered without an HSM: {restored} of {domain} (epoch {epoch}) restored; the domain key is wiped.\n\
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
        closing = hex_groups(&recovered.closing_digest),
        words = pgp_words(&recovered.closing_digest),
    ));
    Ok(())
}
