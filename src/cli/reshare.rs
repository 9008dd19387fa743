//! `custody reshare`: the arguments, the attendant, and the closing words — the new manifest
//! digest to read aloud, where the old share files went, and the plain warning that revoked
//! shares still rebuild the key. The ceremony itself is the ceremony layer's.

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::attendant::Passphrases;
use super::ceremony::{parse_uri, KdfArgs, Trust};
use super::output::{print, print_json, Failure};
use super::request::RemoteArgs;
use crate::ceremony::reshare::{
    reshare, ReshareRequest, DEFAULT_REASON, REVOKED_SHARES_STILL_WORK,
};
use crate::domain::load_officials;
use crate::readout::{hex_groups, pgp_words};
use crate::remote::Purpose;

#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  custody reshare --manifest ee-registries/manifest.json --officials new-officials.toml \\\n      --threshold 2 --reason \"justice minister retired\" \\\n      ee-registries/shares/cio.share ee-registries/shares/justice.share ee-registries/shares/ria.share\n\nA quorum of the CURRENT officials comes forward first, each typing their passphrase. Then each NEW\nofficial chooses a passphrase (typed twice) and later types it again to prove their new share.\nOnly then are the manifest and shares/ changed; the old set is recorded as revoked and its files\nare kept in history/shares-e<EPOCH>-<SET>/. Revoked shares still rebuild the same key\nmathematically: if a share may be compromised, rotate the key (custody rotate)."
)]
pub struct ReshareArgs {
    /// The domain's manifest.json (its directory holds shares/ and the transcript).
    #[arg(long, value_name = "MANIFEST")]
    manifest: PathBuf,
    /// The new officials file (TOML, one [[official]] per new share holder).
    #[arg(long, value_name = "FILE")]
    officials: PathBuf,
    /// How many new officials are needed to rebuild the key.
    #[arg(long, value_name = "T")]
    threshold: u8,
    /// Why the current share set is revoked (recorded in the manifest and the transcript).
    #[arg(long, value_name = "TEXT", default_value = DEFAULT_REASON)]
    reason: String,
    #[command(flatten)]
    trust: Trust,
    #[command(flatten)]
    passphrases: Passphrases,
    #[command(flatten)]
    remote: RemoteArgs,
    /// The token holding the request's key (PKCS#11 URI), with --request.
    #[arg(long = "hsm", value_name = "URI", requires = "request")]
    hsm: Option<String>,
    /// Current officials' share files, in the order they come forward (after the
    /// contributions, when --request is given).
    #[arg(required_unless_present = "request", value_name = "SHARE")]
    shares: Vec<PathBuf>,
    #[command(flatten)]
    kdf: KdfArgs,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct ReshareReport {
    domain: String,
    epoch: u32,
    set_id: String,
    threshold: u8,
    officials: Vec<String>,
    manifest_digest: String,
    manifest_digest_words: String,
    kcv: String,
    revoked_set_id: String,
    revoked_at: String,
    reason: String,
    accepted: Vec<String>,
    refused: Vec<String>,
    revoked_share_files: String,
    moved_aside: Vec<String>,
    transcript_closing_digest: String,
    warning: &'static str,
}

pub fn run(args: &ReshareArgs) -> Result<(), Failure> {
    let officials =
        load_officials(&args.officials).map_err(|e| Failure::new(e.to_string(), e.hint()))?;
    let request = ReshareRequest {
        manifest: args.manifest.clone(),
        officials,
        threshold: args.threshold,
        shares: args.shares.clone(),
        reason: args.reason.clone(),
        kdf: args.kdf.params()?,
        expect: args.trust.expected(),
        new_transcript: args.trust.new_transcript(),
        remote: match (args.remote.offer(Purpose::Reshare), &args.hsm) {
            (Some(offer), Some(hsm)) => Some((offer, parse_uri(hsm)?)),
            (Some(_), None) => {
                return Err(Failure::new(
                    "--request needs --hsm URI, the token that holds the request's key",
                    "give the ceremony's token, on which custody request made the request",
                ))
            }
            (None, _) => None,
        },
    };
    let mut attendant = args.passphrases.attendant(args.json);
    if !args.json {
        print(&format!(
            "Reshare: a quorum of the current officials rebuilds the key; then {} of {} new \
             officials will be needed.\n",
            args.threshold,
            request.officials.len()
        ));
    }
    let outcome = reshare(&request, &mut attendant)?;
    let manifest = &outcome.manifest;
    let digest = manifest.digest();
    let report = ReshareReport {
        domain: manifest.domain().to_owned(),
        epoch: manifest.epoch(),
        set_id: hex::encode(manifest.set_id()),
        threshold: manifest.threshold(),
        officials: manifest
            .officials()
            .iter()
            .map(|entry| entry.official().id().to_string())
            .collect(),
        manifest_digest: digest.to_string(),
        manifest_digest_words: pgp_words(digest.as_bytes()),
        kcv: manifest.kcv().to_string(),
        revoked_set_id: hex::encode(outcome.revoked.set_id()),
        revoked_at: outcome.revoked.revoked_at().to_string(),
        reason: outcome.revoked.reason().to_owned(),
        accepted: outcome.accepted.clone(),
        refused: outcome
            .refused
            .iter()
            .map(|(file, reason)| format!("{}: {reason}", file.display()))
            .collect(),
        revoked_share_files: outcome.revoked_dir.display().to_string(),
        moved_aside: outcome.moved_aside.clone(),
        transcript_closing_digest: hex::encode(outcome.closing_digest),
        warning: REVOKED_SHARES_STILL_WORK,
    };
    if args.json {
        return print_json(&report);
    }
    print(&format!(
        "\nReshare complete{resumed}: domain {domain}, epoch {epoch}, new set {set} ({t} of {n}: {officials}).\n\
         Revoked: set {revoked} on {at} ({reason}); its share files are refused from now on.\n\
         {kept}.\n\n\
         Read aloud and write on the signed ceremony sheet:\n\
         manifest digest    {grouped}\n                   {words}\n\
         key check value    {kcv} (unchanged: the same key)\n\
         transcript closing {closing}\n                   {closing_words}\n\n\
         NOTE: {warning}.\n",
        domain = report.domain,
        epoch = report.epoch,
        set = report.set_id,
        t = report.threshold,
        n = report.officials.len(),
        officials = report.officials.join(", "),
        revoked = report.revoked_set_id,
        at = report.revoked_at,
        reason = report.reason,
        kept = if report.moved_aside.is_empty() {
            "Old share files: none were in shares/, so history/ keeps none".to_owned()
        } else {
            format!(
                "Old share files kept in {}: {}",
                report.revoked_share_files,
                report.moved_aside.join(", ")
            )
        },
        grouped = hex_groups(digest.as_bytes()),
        words = report.manifest_digest_words,
        kcv = report.kcv,
        closing = hex_groups(&outcome.closing_digest),
        closing_words = pgp_words(&outcome.closing_digest),
        warning = REVOKED_SHARES_STILL_WORK,
        resumed = if outcome.resumed { " (an interrupted reshare, finished)" } else { "" },
    ));
    Ok(())
}
