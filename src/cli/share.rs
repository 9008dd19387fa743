//! `custody share …`: an official checks their share file against the manifest, changes its
//! passphrase, or prints it on a share sheet and imports it back (`cli::paper`). Prompts, passphrase files and printing only: the checks are the domain layer's,
//! and the reseal (the share file, the manifest and the transcript) is the ceremony layer's.

use secrecy::ExposeSecret;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use serde::Serialize;

use super::ceremony::MissingTranscript;
use super::output::{print, print_json, Failure};
use super::prompt;
use crate::ceremony::reseal::{read_share, ResealOutcome, ShareToReseal, Unrecorded};
use crate::domain::{ManifestChain, Official};
use crate::files::{check_private, read_secret_file, SecretFileError};
use crate::primitives::secret::Passphrase;
use crate::readout::hex_groups;

#[derive(Debug, Subcommand)]
pub enum ShareCommand {
    /// Check that a share file is the one the manifest records, opens with its official's
    /// passphrase, and matches the manifest's verifier set.
    #[command(
        after_help = "Example:\n  custody share verify --manifest ee-registries/manifest.json ee-registries/shares/cio.share\n\nThe official is asked for their passphrase without echo; scripts give --passphrase-file.\nExit status 0 only when every check passes."
    )]
    Verify(VerifyArgs),
    /// Seal a share file under a new passphrase and record its new fingerprint in the manifest.
    #[command(
        after_help = "Example:\n  custody share reseal --manifest ee-registries/manifest.json ee-registries/shares/cio.share\n\nThe official types the current passphrase, then the new one twice (at least 12 characters).\nBoth files are replaced atomically, and only after the new file has opened with the new\npassphrase. The manifest records the new file's fingerprint (its digest and signature stay):\ndistribute the updated manifest.json.\n\nThe domain's transcript.jsonl, beside the manifest, records the reseal; when it is missing the\nreseal is refused before anything is asked (--new-transcript only if it is lost for good)."
    )]
    Reseal(ResealArgs),
    /// Print a share file on a share sheet (PDF): a QR code and lines of words with check words,
    /// still sealed under the official's passphrase.
    #[command(
        after_help = "Example:\n  custody share print --manifest ee-registries/manifest.json ee-registries/shares/cio.share \\\n      --out cio-sheet.pdf\n\nThe share file must be the one the manifest records; no passphrase is asked. The sheet shows\nthe official's name and role, the domain fingerprint in hex and words, and how to import it\nback. An existing OUT is replaced only with --force."
    )]
    Print(super::paper::PrintArgs),
    /// Rebuild a share file, byte for byte, from a share sheet: a scan of its QR code, or its
    /// words typed line by line.
    #[command(
        after_help = "Examples:\n  custody share import --image scan.png --manifest ee-registries/manifest.json --out cio.share\n  custody share import --words --manifest ee-registries/manifest.json --out cio.share\n\nWith --words, type one line of the sheet per line, without its number; a line whose check\nwords do not match is named by its number (typed again on a terminal). Nothing is written\nuntil every line checks and the file reads as a share file; with --manifest, it must also be\nthe file the manifest records. An existing OUT is replaced only with --force, and a symbolic\nlink at OUT is replaced, never followed."
    )]
    Import(super::paper::ImportArgs),
    /// Contribute your share to a ceremony elsewhere: encrypt it to the ceremony's request.
    #[command(
        after_help = "Example:\n  custody share contribute --request unlock.request my.share --out cio.contribution\n\nCompare the request fingerprint shown with the one the ceremony's security officer reads\nto you on a call you recognise; type your passphrase only if every word matches. Send the\ncontribution file back by any channel: only the ceremony's token can open it, and only until\nthe ceremony completes or the request expires."
    )]
    Contribute(super::contribute::ContributeArgs),
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The domain's manifest.json.
    #[arg(long, value_name = "MANIFEST")]
    manifest: PathBuf,
    /// The official's sealed share file.
    share: PathBuf,
    /// Read the passphrase from this file instead of the terminal (one trailing newline ignored).
    #[arg(long, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct ResealArgs {
    /// The domain's manifest.json; updated with the new fingerprint.
    #[arg(long, value_name = "MANIFEST")]
    manifest: PathBuf,
    /// The official's sealed share file; replaced.
    share: PathBuf,
    /// Read the current passphrase from this file (scripted mode).
    #[arg(long, value_name = "OLD", requires = "new_passphrase_file")]
    passphrase_file: Option<PathBuf>,
    /// Read the new passphrase from this file (scripted mode).
    #[arg(long, value_name = "NEW", requires = "passphrase_file")]
    new_passphrase_file: Option<PathBuf>,
    #[command(flatten)]
    missing_transcript: MissingTranscript,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(command: ShareCommand) -> Result<(), Failure> {
    match command {
        ShareCommand::Verify(args) => verify(&args),
        ShareCommand::Reseal(args) => reseal(&args),
        ShareCommand::Print(args) => super::paper::print_sheet(&args),
        ShareCommand::Import(args) => super::paper::import(&args),
        ShareCommand::Contribute(args) => super::contribute::run(&args),
    }
}

#[derive(Serialize)]
struct VerifyReport<'a> {
    share_file: String,
    official: &'a str,
    name: &'a str,
    role: &'a str,
    share_id: u8,
    shares: usize,
    threshold: u8,
    domain: &'a str,
    epoch: u32,
    set_id: String,
    matches_verifier_set: bool,
    manifest_digest: String,
}

fn verify(args: &VerifyArgs) -> Result<(), Failure> {
    let manifest = ManifestChain::load(&args.manifest)?.into_in_force();
    let sealed = read_share(&args.share)?;
    let entry = manifest
        .check_share(&sealed)
        .map_err(|error| Failure::share_file(&args.share, error))?;
    let passphrase = current_passphrase(
        args.passphrase_file.as_deref(),
        entry.official(),
        &args.share,
    )?;
    manifest
        .open_share(&sealed, &passphrase)
        .map_err(|error| Failure::share_file(&args.share, error))?;
    let official = entry.official();
    let report = VerifyReport {
        share_file: args.share.display().to_string(),
        official: official.id().as_str(),
        name: official.name(),
        role: official.role(),
        share_id: entry.share_id(),
        shares: manifest.officials().len(),
        threshold: manifest.threshold(),
        domain: manifest.domain(),
        epoch: manifest.epoch(),
        set_id: hex::encode(manifest.set_id()),
        matches_verifier_set: true,
        manifest_digest: manifest.digest().to_string(),
    };
    if args.json {
        return print_json(&report);
    }
    print(&format!(
        "ok: {file} is share {id} of {n} of official {name} ({official}), {role}.\n\
         It opened with the passphrase and matches the manifest's verifier set: any {t} of the {n} \
         shares rebuild the key of domain {domain}, epoch {epoch}.\n\
         manifest digest: {digest}\n\
         Compare this digest with the one read aloud at the ceremony.\n",
        file = report.share_file,
        id = report.share_id,
        n = report.shares,
        name = report.name,
        official = report.official,
        role = report.role,
        t = report.threshold,
        domain = report.domain,
        epoch = report.epoch,
        digest = hex_groups(manifest.digest().as_bytes()),
    ));
    Ok(())
}

#[derive(Serialize)]
struct ResealReport<'a> {
    share_file: String,
    official: &'a str,
    share_id: u8,
    share_fingerprint: String,
    manifest: String,
    old_manifest_digest: String,
    new_manifest_digest: String,
    /// What the transcript does not record, when it could not record the reseal.
    unrecorded: Option<String>,
}

fn reseal(args: &ResealArgs) -> Result<(), Failure> {
    let checked = ShareToReseal::load(
        &args.manifest,
        &args.share,
        args.missing_transcript.new_transcript(),
    )?;
    let old = current_passphrase(
        args.passphrase_file.as_deref(),
        checked.official(),
        &args.share,
    )?;
    let opened = checked.open(&old)?;
    let official = opened.official().clone();
    let new = match &args.new_passphrase_file {
        Some(file) => passphrase_file(file)?,
        None => prompt::new_passphrase(&official, &args.share, &opened.policy())?,
    };
    if new.as_secret_string().expose_secret() == old.as_secret_string().expose_secret() {
        return Err(Failure::new(
            format!(
                "the new passphrase for {} is the one it opens with now; nothing was written",
                args.share.display()
            ),
            "choose a passphrase this share file has not been sealed under",
        ));
    }
    let outcome = opened.reseal(&new)?;
    if let Some(unrecorded) = &outcome.unrecorded {
        eprintln!(
            "warning: {}\nhint: {}",
            not_recorded(args, &outcome, unrecorded),
            unrecorded.hint()
        );
    }
    print_reseal(args, &outcome)
}

fn print_reseal(args: &ResealArgs, outcome: &ResealOutcome) -> Result<(), Failure> {
    let report = ResealReport {
        share_file: args.share.display().to_string(),
        official: outcome.official.id().as_str(),
        share_id: outcome.share_id,
        share_fingerprint: outcome.fingerprint.clone(),
        manifest: args.manifest.display().to_string(),
        old_manifest_digest: outcome.old_manifest.to_string(),
        new_manifest_digest: outcome.new_manifest.to_string(),
        unrecorded: outcome
            .unrecorded
            .as_ref()
            .map(|unrecorded| not_recorded(args, outcome, unrecorded)),
    };
    if args.json {
        return print_json(&report);
    }
    print(&format!(
        "ok: resealed share {id} of official {name} ({official}) in {file} under the new \
         passphrase; the old passphrase no longer opens it.\n\
         The new file opened with the new passphrase and matches the manifest's verifier set.\n\
         {manifest} now records the file's new fingerprint {fingerprint}.\n\
         The manifest digest stays {new}: share-file fingerprints are outside the signed \
         content, so no quorum is needed and the signature stands.\n\
         Distribute the updated manifest.json to every official and to the embassy: their copies \
         do not record this share file yet.\n",
        id = report.share_id,
        name = outcome.official.name(),
        official = report.official,
        file = report.share_file,
        manifest = report.manifest,
        fingerprint = report.share_fingerprint,
        new = hex_groups(outcome.new_manifest.as_bytes()),
    ));
    Ok(())
}

/// What the reseal wrote all the same, and what the transcript lacks: the warning when the
/// transcript could not record it.
fn not_recorded(args: &ResealArgs, outcome: &ResealOutcome, unrecorded: &Unrecorded) -> String {
    format!(
        "the share file {} WAS resealed (new fingerprint {}) and {} records it, but {unrecorded}",
        args.share.display(),
        outcome.fingerprint,
        args.manifest.display(),
    )
}

/// The official's current passphrase: from the file when given, else from the terminal.
fn current_passphrase(
    file: Option<&Path>,
    official: &Official,
    share: &Path,
) -> Result<Passphrase, Failure> {
    match file {
        Some(file) => passphrase_file(file),
        None => prompt::passphrase(official, "your", share),
    }
}

pub(super) fn passphrase_file(file: &Path) -> Result<Passphrase, Failure> {
    if let Err(exposed @ SecretFileError::Exposed { .. }) = check_private(file, "passphrase") {
        eprintln!("warning: passphrase file {}: {exposed}", file.display());
    }
    read_secret_file(file, "passphrase")
        .map(Passphrase::from)
        .map_err(|error| {
            Failure::new(
                format!("passphrase file {}: {error}", file.display()),
                "the file must hold the passphrase as UTF-8 text; one trailing newline is ignored",
            )
        })
}
