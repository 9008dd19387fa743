//! `custody request`, and the `--request REQ --contributions DIR` options the ceremonies take:
//! the arguments handed to `ceremony::request` and `ceremony::RemoteOffer`, and the request's
//! fingerprint printed in hex and PGP words, to be read aloud over the call that authenticates
//! it. No cryptography and no format logic here.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::attendant::RoomAttendant;
use super::ceremony::parse_uri;
use super::output::{print, print_json, Failure};
use crate::ceremony::request::{issue, IssueRequest};
use crate::ceremony::RemoteOffer;
use crate::domain::Timestamp;
use crate::readout::{hex_groups, pgp_words};
use crate::remote::Purpose;

/// The ceremony a request is for, as typed.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PurposeArg {
    /// `custody unlock`.
    Unlock,
    /// `custody drill`.
    Drill,
    /// `custody rotate`.
    Rotate,
    /// `custody reshare`.
    Reshare,
}

impl From<PurposeArg> for Purpose {
    fn from(arg: PurposeArg) -> Self {
        match arg {
            PurposeArg::Unlock => Self::Unlock,
            PurposeArg::Drill => Self::Drill,
            PurposeArg::Rotate => Self::Rotate,
            PurposeArg::Reshare => Self::Reshare,
        }
    }
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  custody request --manifest ee-registries/manifest.json \\\n      --hsm 'pkcs11:token=embassy?module-path=/usr/lib/softhsm/libsofthsm2.so' \\\n      --purpose unlock --expires 24h --out unlock.request\n\nSend the request file to each official by any channel, then call each of them on a line they\nrecognise and read the request fingerprint aloud: they compare it word for word before they\ncontribute. The request's private key rests under a key on this token until the ceremony\ncompletes or the request expires; then that key is destroyed and every contribution with it."
)]
pub struct RequestArgs {
    /// The domain's manifest.json.
    #[arg(long, value_name = "MANIFEST")]
    manifest: PathBuf,
    /// The ceremony's token, which keeps the request's key until the ceremony (PKCS#11 URI).
    #[arg(long = "hsm", value_name = "URI")]
    hsm: String,
    /// The ceremony the contributions will be used for.
    #[arg(long, value_enum)]
    purpose: PurposeArg,
    /// How long the request lives (at most 7 days), e.g. 24h, 3days.
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = humantime::parse_duration)]
    expires: Duration,
    /// Where to write the request file.
    #[arg(long, value_name = "REQ")]
    out: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct RequestReport {
    request: String,
    purpose: &'static str,
    domain: String,
    ceremony_id: String,
    expires: String,
    fingerprint: String,
    fingerprint_words: String,
    token: String,
    key_label: String,
}

pub fn run(args: &RequestArgs) -> Result<(), Failure> {
    let order = IssueRequest {
        manifest: args.manifest.clone(),
        token: parse_uri(&args.hsm)?,
        purpose: args.purpose.into(),
        lifetime: args.expires.as_secs(),
        out: args.out.clone(),
    };
    let issued = issue(&order, &mut RoomAttendant::new(None))?;
    let request = &issued.request;
    let fingerprint = request.fingerprint().0;
    let report = RequestReport {
        request: args.out.display().to_string(),
        purpose: request.purpose.name(),
        domain: request.domain.to_string(),
        ceremony_id: hex::encode(request.ceremony_id),
        expires: Timestamp::from_unix_seconds(request.expires)
            .map_or_else(|| request.expires.to_string(), |t| t.to_string()),
        fingerprint: hex::encode(fingerprint),
        fingerprint_words: pgp_words(&fingerprint),
        token: issued.token.clone(),
        key_label: issued.key_label.clone(),
    };
    if args.json {
        return print_json(&report);
    }
    print(&format!(
        "\nRequest written: {file}\n\
         It asks the officials of domain {domain} for their shares, for {purpose}, until {expires}.\n\
         Its key rests on token {token} as \"{label}\".\n\n\
         Read aloud to each official, on a call they recognise, and write on the ceremony sheet:\n\
         request fingerprint {grouped}\n                    {words}\n",
        file = report.request,
        domain = report.domain,
        purpose = request.purpose.described(),
        expires = report.expires,
        token = report.token,
        label = report.key_label,
        grouped = hex_groups(&fingerprint),
        words = report.fingerprint_words,
    ));
    Ok(())
}

/// `--request REQ --contributions DIR`: shares contributed remotely, beside the share files.
#[derive(Debug, Args)]
pub struct RemoteArgs {
    /// The contribution request this ceremony answers (written by custody request); its key is
    /// on the ceremony's token.
    #[arg(long, value_name = "REQ", requires = "contributions")]
    request: Option<PathBuf>,
    /// A directory holding the officials' contribution files to the request (links are not
    /// followed).
    #[arg(long, value_name = "DIR", requires = "request")]
    contributions: Option<PathBuf>,
}

impl RemoteArgs {
    /// The offer for a ceremony of `purpose`, when a request was given.
    pub fn offer(&self, purpose: Purpose) -> Option<RemoteOffer> {
        Some(RemoteOffer {
            request: self.request.clone()?,
            contributions: self.contributions.clone()?,
            purpose,
        })
    }
}
