//! `custody secret new`: a secret custody generates and keeps (D77), for a program that needs a
//! password custody should hold — a restic repository's (integrations/restic.md). The manifest is
//! loaded with its chain, the token's domain key found as `seal` finds it, and the ceremony layer
//! generates, seals and records the secret. `custody open --hsm URI NAME.custody -o -` releases
//! it to the program; `custody recover --no-hsm` releases it from a quorum.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde::Serialize;

use super::output::{print, print_json, Failure};
use super::stdio;
use super::token;
use crate::ceremony::secret::{new_secret, SecretRequest};

#[derive(Debug, Subcommand)]
pub enum SecretCommand {
    /// Generate a 256-bit secret and seal it as an archive of the domain, recorded in the
    /// transcript; it is never shown.
    #[command(
        after_help = "Example:\n  custody secret new --manifest ee-registries/manifest.json \\\n      --hsm 'pkcs11:token=embassy?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/etc/custody/pin' \\\n      --purpose 'restic repository of the population registry' --out population-restic.custody\n  restic --password-command \"custody open --hsm URI population-restic.custody -o -\" init\n\nThe secret is 64 hex digits. It is never printed, and never written anywhere in clear: only\n`custody open ... -o -` (with the token) or `custody recover --no-hsm ... -o -` (with a quorum)\nreleases it, to the program that reads their standard output. A secret is never overwritten.\nAfter a key change, --replaces records which secret archive the new one replaces."
    )]
    New(NewArgs),
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// The domain's manifest.json: names the domain key that seals the secret.
    #[arg(long, value_name = "MANIFEST")]
    manifest: PathBuf,
    /// The token holding the domain key (PKCS#11 URI).
    #[arg(long = "hsm", value_name = "URI")]
    hsm: String,
    /// What the secret is for, recorded in the transcript.
    #[arg(long, value_name = "TEXT")]
    purpose: String,
    /// The secret archive this one replaces (a key change), recorded by its SHA-256.
    #[arg(long, value_name = "OLD")]
    replaces: Option<PathBuf>,
    /// The archive to write, NAME.custody (NAME is recorded as the secret's name).
    #[arg(short = 'o', long = "out", value_name = "NAME.custody")]
    out: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize)]
struct NewReport {
    secret: String,
    archive: String,
    archive_sha256: String,
    replaces_sha256: Option<String>,
    domain: String,
    epoch: u32,
}

pub fn run(command: &SecretCommand) -> Result<(), Failure> {
    match command {
        SecretCommand::New(args) => run_new(args),
    }
}

fn run_new(args: &NewArgs) -> Result<(), Failure> {
    let purpose = args.purpose.trim();
    if purpose.is_empty() || purpose.len() > 200 || purpose.chars().any(char::is_control) {
        return Err(Failure::new(
            "--purpose must say in one line (1 to 200 characters) what the secret is for",
            "e.g. --purpose 'restic repository of the population registry'",
        ));
    }
    stdio::refuse_object_url(&args.out, "a secret's archive")?;
    let (manifest, token) = token::sealing_token(&args.manifest, &args.hsm)?;
    let key = token.key(manifest.key_ref(), manifest.wrap_check())?;
    let request = SecretRequest {
        manifest: args.manifest.clone(),
        out: args.out.clone(),
        purpose: purpose.to_owned(),
        replaces: args.replaces.clone(),
    };
    let made = new_secret(&request, &manifest, &key)?;
    let report = NewReport {
        secret: made.name,
        archive: args.out.display().to_string(),
        archive_sha256: made.archive_digest,
        replaces_sha256: made.replaced_digest,
        domain: manifest.domain().to_owned(),
        epoch: manifest.epoch(),
    };
    if args.json {
        return print_json(&report);
    }
    print(&format!(
        "secret {} sealed -> {} ({} epoch {}); it was never shown\n\
         archive SHA-256 {}\n\
         recorded in the transcript as secret.created{}\n\
         release it to a program with: custody open --hsm URI {} -o -\n",
        report.secret,
        report.archive,
        report.domain,
        report.epoch,
        report.archive_sha256,
        report
            .replaces_sha256
            .as_deref()
            .map(|old| format!(", replacing the secret archive of SHA-256 {old}"))
            .unwrap_or_default(),
        report.archive,
    ));
    Ok(())
}
