//! `custody share …`: an official checks their share file against the manifest, or changes its
//! passphrase. Prompts, file reading and writing, and printing only: the checks, the sealing and
//! the manifest update are the domain layer's.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use serde::Serialize;

use super::output::{print, print_json, Failure};
use super::prompt;
use crate::ceremony::transcript::{record_beside, Record};
use crate::domain::{self, Manifest, OfficialEntry, ResealError};
use crate::files::{read_at_most, read_secret_file, write_atomic};
use crate::primitives::secret::Passphrase;
use crate::readout::hex_groups;
use crate::shares::sealed::{SealedShare, MAX_FILE_LEN};

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
        after_help = "Example:\n  custody share reseal --manifest ee-registries/manifest.json ee-registries/shares/cio.share\n\nThe official types the current passphrase, then the new one twice (at least 12 characters).\nBoth files are replaced atomically, and only after the new file has opened with the new\npassphrase. The manifest digest changes: distribute the new manifest."
    )]
    Reseal(ResealArgs),
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
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(command: ShareCommand) -> Result<(), Failure> {
    match command {
        ShareCommand::Verify(args) => verify(&args),
        ShareCommand::Reseal(args) => reseal(&args),
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
    let manifest = Manifest::load(&args.manifest)?;
    let sealed = read_share(&args.share)?;
    let entry = manifest
        .check_share(&sealed)
        .map_err(|error| Failure::share_file(&args.share, error))?;
    let passphrase = current_passphrase(args.passphrase_file.as_deref(), entry, &args.share)?;
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
}

fn reseal(args: &ResealArgs) -> Result<(), Failure> {
    let manifest = Manifest::load(&args.manifest)?;
    let sealed = read_share(&args.share)?;
    let entry = manifest
        .check_share(&sealed)
        .map_err(|error| Failure::share_file(&args.share, error))?;
    let official = entry.official();
    let old = current_passphrase(args.passphrase_file.as_deref(), entry, &args.share)?;
    let share = manifest
        .open_share(&sealed, &old)
        .map_err(|error| Failure::share_file(&args.share, error))?;
    let new = match &args.new_passphrase_file {
        Some(file) => passphrase_file(file)?,
        None => prompt::new_passphrase(official, &args.share)?,
    };
    let resealed =
        domain::reseal(&manifest, &sealed, &share, &new).map_err(|error| match error {
            ResealError::Check(check) => Failure::share_file(&args.share, check),
            other => Failure::from(other),
        })?;
    let fingerprint = resealed.share.fingerprint();
    write_atomic(&args.share, &resealed.share.to_bytes()).map_err(|error| {
        Failure::new(
            format!(
                "{}: cannot be written: {error}; nothing was changed",
                args.share.display()
            ),
            "check that the share file's directory is writable and the disk has space",
        )
    })?;
    resealed.manifest.save(&args.manifest).map_err(|error| {
        Failure::new(
            format!(
                "{error}; the share file {} WAS resealed (new fingerprint {fingerprint}) but the \
                 manifest still records the old file",
                args.share.display()
            ),
            "fix the problem and record the new fingerprint in the manifest before distributing \
             it; the share now opens only with the new passphrase",
        )
    })?;
    let recorded = record_beside(
        &args.manifest,
        "reseal",
        Record {
            actors: vec![official.id().to_string()],
            inputs: [("manifest.json".into(), manifest.digest().to_string())].into(),
            outputs: [
                (
                    "manifest.json".into(),
                    resealed.manifest.digest().to_string(),
                ),
                (
                    format!("shares/{}.share", official.id()),
                    fingerprint.clone(),
                ),
            ]
            .into(),
            ..Record::default()
        },
    );
    if let Err(error) = recorded {
        print(&format!(
            "WARNING: the reseal is done but not recorded in the transcript: {error}\n"
        ));
    }
    let report = ResealReport {
        share_file: args.share.display().to_string(),
        official: official.id().as_str(),
        share_id: entry.share_id(),
        share_fingerprint: fingerprint,
        manifest: args.manifest.display().to_string(),
        old_manifest_digest: manifest.digest().to_string(),
        new_manifest_digest: resealed.manifest.digest().to_string(),
    };
    if args.json {
        return print_json(&report);
    }
    print(&format!(
        "ok: resealed share {id} of official {name} ({official}) in {file} under the new \
         passphrase; the old passphrase no longer opens it.\n\
         The new file opened with the new passphrase and matches the manifest's verifier set.\n\
         {manifest} now records the file's new fingerprint {fingerprint}.\n\
         The manifest digest changed, because the fingerprint covers the file's bytes:\n\
         \x20 old  {old}\n\
         \x20 new  {new}\n\
         Distribute the new manifest to every official and to the embassy: the old one no longer \
         matches this share file.\n",
        id = report.share_id,
        name = official.name(),
        official = report.official,
        file = report.share_file,
        manifest = report.manifest,
        fingerprint = report.share_fingerprint,
        old = hex_groups(manifest.digest().as_bytes()),
        new = hex_groups(resealed.manifest.digest().as_bytes()),
    ));
    Ok(())
}

/// Reads and parses a share file; its errors name the file.
fn read_share(path: &Path) -> Result<SealedShare, Failure> {
    let bytes = read_at_most(path, MAX_FILE_LEN).map_err(|error| {
        Failure::new(
            format!("share file {}: cannot be read: {error}", path.display()),
            "check the path names the official's .share file",
        )
    })?;
    SealedShare::parse(&bytes).map_err(|error| Failure::share_file(path, error))
}

/// The official's current passphrase: from the file when given, else from the terminal.
fn current_passphrase(
    file: Option<&Path>,
    entry: &OfficialEntry,
    share: &Path,
) -> Result<Passphrase, Failure> {
    match file {
        Some(file) => passphrase_file(file),
        None => prompt::passphrase(entry.official(), "your", share),
    }
}

fn passphrase_file(file: &Path) -> Result<Passphrase, Failure> {
    read_secret_file(file, "passphrase").map_err(|error| {
        Failure::new(
            format!("passphrase file {}: {error}", file.display()),
            "the file must hold the passphrase as UTF-8 text; one trailing newline is ignored",
        )
    })
}
