//! `custody hsm …`: commands about tokens themselves: `probe` (can custody use it), and `keys`
//! (what custody keeps on it, every epoch) and `destroy` (remove a key not in force), which
//! `token_keys` runs and prints.

use std::path::PathBuf;

use clap::Subcommand;

use super::output::{print, print_json, status_line, Failure};
use super::prompt;
use super::token;
use super::token_keys;
use crate::domain::ManifestChain;
use crate::hsm::{probe, Check, Pkcs11Uri, ProbeReport};

#[derive(Debug, Subcommand)]
pub enum HsmCommand {
    /// Report a token's module, identity and capabilities, and whether custody can use it.
    #[command(
        after_help = "Example:\n  custody hsm probe 'pkcs11:token=embassy?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/custody/pin' \\\n      --manifest ee-registries/manifest.json\n\nExit status 0 only when every needed mechanism is present, login works, a wrap round trip succeeds\nand, with --manifest, the token's domain key is proven to be the manifest's key."
    )]
    Probe {
        /// PKCS#11 URI of the token (RFC 7512).
        uri: String,
        /// Also prove that the token holds this manifest's domain key (its wrap check value).
        #[arg(long, value_name = "M")]
        manifest: Option<PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List every custody key on a token (every domain, every epoch) and its chain records.
    #[command(
        after_help = "Example:\n  custody hsm keys 'pkcs11:token=home?module-path=/usr/lib/softhsm/libsofthsm2.so' \\\n      --manifest ee-registries/manifest.json\n\nWith --manifest (its chain verified), each key of the manifest's domain is judged: in force\n(the manifest's key, proven with its wrap check value), superseded (an older epoch), newer than\nthe manifest (left by a failed or unfinished rotation, or the manifest is stale), or of the\nmanifest's epoch but not its key."
    )]
    Keys {
        /// PKCS#11 URI of the token (RFC 7512).
        uri: String,
        /// Judge the keys of this manifest's domain against it.
        #[arg(long, value_name = "M")]
        manifest: Option<PathBuf>,
        /// Print the list as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Destroy a domain key that is not in force: superseded, or left by a failed ceremony.
    #[command(
        after_help = "Example:\n  custody hsm destroy 'pkcs11:token=home?module-path=/usr/lib/softhsm/libsofthsm2.so' \\\n      --key custody:ee-registries:e1 --manifest ee-registries/manifest.json\n\nThe key of the manifest in force is never destroyed, nor any key while a rotation is under way\n(rotation.journal.json beside the manifest), nor a key on a token that has served a later\nmanifest than M. Without --yes-destroy the key's label must be typed to confirm. The\ndestruction is recorded in the domain's transcript (key.destroyed). Anyone holding the\ntoken's PIN can destroy objects with other tools: custody only refuses to do it unsafely."
    )]
    Destroy {
        /// PKCS#11 URI of the token (RFC 7512).
        uri: String,
        /// The key object's label, custody:DOMAIN:eEPOCH (`custody hsm keys` lists them).
        #[arg(long, value_name = "LABEL")]
        key: String,
        /// The domain's manifest: the key in force is judged by it, its transcript records.
        #[arg(long, value_name = "M")]
        manifest: PathBuf,
        /// Confirm without a prompt, for scripts: the key's label again.
        #[arg(long = "yes-destroy", value_name = "LABEL")]
        yes_destroy: Option<String>,
    },
}

pub fn run(command: HsmCommand) -> Result<(), Failure> {
    match command {
        HsmCommand::Keys {
            uri,
            manifest,
            json,
        } => token_keys::keys(&uri, manifest, json),
        HsmCommand::Destroy {
            uri,
            key,
            manifest,
            yes_destroy,
        } => token_keys::destroy(&uri, key, manifest, yes_destroy),
        HsmCommand::Probe {
            uri,
            manifest,
            json,
        } => {
            let uri: Pkcs11Uri = uri.parse()?;
            token::warn_if_pin_exposed(&uri);
            let manifest = manifest.as_deref().map(ManifestChain::load).transpose()?;
            let manifest = manifest.map(ManifestChain::into_in_force);
            let key = manifest.as_ref().map(|m| (m.key_ref(), m.wrap_check()));
            let report = probe(&uri, &mut prompt::token_pin, key)?;
            if json {
                print_json(&report)?;
            } else {
                print(&render(&report));
            }
            if report.ready() {
                Ok(())
            } else {
                Err(not_ready(&report))
            }
        }
    }
}

fn render(report: &ProbeReport) -> String {
    let mut text = format!(
        "module   {}\nlibrary  {}\ntoken    {}\n",
        report.module_path, report.library, report.token
    );
    for mechanism in &report.mechanisms {
        text += &status_line(
            mechanism.ok,
            mechanism.name,
            &format!("{} — {}", mechanism.detail, mechanism.used_for),
        );
    }
    text += &check_line("login", &report.login);
    text += &check_line("round trip", &report.round_trip);
    text += &check_line("lock-down", &report.lockdown);
    if let Some(domain_key) = &report.domain_key {
        text += &check_line("domain key", domain_key);
    }
    if report.ready() {
        text += "ready: custody can keep a domain key on this token\n";
    }
    text
}

fn check_line(name: &str, check: &Check) -> String {
    status_line(check.ok, name, &check.detail)
}

fn not_ready(report: &ProbeReport) -> Failure {
    const SEE_ABOVE: &str =
        "see the lines marked FAIL above; hsm/README.md says what a token must support";
    let mechanism = report
        .mechanisms
        .iter()
        .find(|m| !m.ok)
        .map(|m| (format!("{} {}", m.name, m.detail), SEE_ABOVE));
    let check = [&report.login, &report.round_trip]
        .into_iter()
        .chain(&report.domain_key)
        .find(|c| !c.ok)
        .map(|c| (c.detail.clone(), c.hint.unwrap_or(SEE_ABOVE)));
    let (what, hint) = mechanism.or(check).unwrap_or_default();
    Failure::new(
        format!(
            "token {} is not ready for custody: {what}",
            report.token.label
        ),
        hint,
    )
}
