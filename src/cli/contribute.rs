//! `custody share contribute`: an official, on their own machine, encrypts their share to a
//! ceremony's request. Shows what to compare with the words read aloud, asks the passphrase
//! (no echo, again after a wrong one at the terminal; once from `--passphrase-file`), and hands
//! the rest to `ceremony::contribute`. No cryptography and no format logic here.

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::output::{print, print_json, Failure};
use super::prompt;
use super::share::passphrase_file;
use crate::ceremony::contribute::{write_contribution, Prepared};
use crate::ceremony::CeremonyError;
use crate::domain::ShareCheckError;
use crate::readout::{hex_groups, pgp_words};
use crate::shares::sealed::SealedShareError;

/// How many passphrases an official may type at the terminal.
const TRIES: usize = 3;

#[derive(Debug, Args)]
pub struct ContributeArgs {
    /// The ceremony's request file.
    #[arg(long, value_name = "REQ")]
    request: PathBuf,
    /// Your sealed share file.
    share: PathBuf,
    /// Where to write the contribution.
    #[arg(long, value_name = "CONTRIB")]
    out: PathBuf,
    /// Write the contribution as text (hex between BEGIN and END lines), for text-only channels.
    #[arg(long)]
    armor: bool,
    /// Read the passphrase from this file instead of the terminal (one trailing newline ignored).
    #[arg(long, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct ContributeReport {
    contribution: String,
    official: String,
    purpose: &'static str,
    domain: String,
    expires: String,
    request_fingerprint: String,
    request_fingerprint_words: String,
}

pub fn run(args: &ContributeArgs) -> Result<(), Failure> {
    let prepared = Prepared::load(&args.request, &args.share)?;
    let request = &prepared.request;
    let fingerprint = request.fingerprint().0;
    let report = ContributeReport {
        contribution: args.out.display().to_string(),
        official: prepared.official().to_owned(),
        purpose: request.purpose.name(),
        domain: request.domain.to_string(),
        expires: prepared.expires.clone(),
        request_fingerprint: hex::encode(fingerprint),
        request_fingerprint_words: pgp_words(&fingerprint),
    };
    if !args.json {
        print(&format!(
            "Request for {purpose} of domain {domain}, open until {expires}.\n\
             Compare every word with those read to you on the call:\n\
             request fingerprint {grouped}\n                    {words}\n\
             Type your passphrase only if they all match.\n",
            purpose = request.purpose.described(),
            domain = report.domain,
            expires = report.expires,
            grouped = hex_groups(&fingerprint),
            words = report.request_fingerprint_words,
        ));
    }
    let contribution = open_and_seal(args, &prepared)?;
    write_contribution(
        &args.out,
        (&args.share, &args.request),
        &contribution,
        args.armor,
    )?;
    if args.json {
        return print_json(&report);
    }
    print(&format!(
        "\nContribution written: {file}\n\
         It holds the share of official {official}, encrypted to this request only: send it back by any\n\
         channel. Nothing else was written.\n",
        file = report.contribution,
        official = report.official,
    ));
    Ok(())
}

/// The passphrase, asked until it opens the share (up to [`TRIES`] at the terminal, once from a
/// file), and the contribution made with it.
fn open_and_seal(
    args: &ContributeArgs,
    prepared: &Prepared,
) -> Result<crate::remote::Contribution, Failure> {
    let tries = if args.passphrase_file.is_some() {
        1
    } else {
        TRIES
    };
    let mut number = 1;
    loop {
        let passphrase = match &args.passphrase_file {
            Some(file) => passphrase_file(file)?,
            None => prompt::passphrase_of_share(prepared.official(), &args.share)?,
        };
        match prepared.contribute(&passphrase)? {
            Ok(contribution) => return Ok(contribution),
            Err(SealedShareError::WrongPassphrase) if number < tries => {
                print("   That passphrase does not open this share. Type it again, please.\n");
                number += 1;
            }
            Err(error) => {
                return Err(CeremonyError::Share {
                    file: args.share.clone(),
                    error: ShareCheckError::Sealed(error),
                }
                .into())
            }
        }
    }
}
