//! `custody hsm …`: commands about tokens themselves: `probe` (can custody use it), `keys` (what
//! custody keeps on it, every epoch) and `destroy` (remove a key not in force). The listing and
//! the destruction are `ceremony::token_keys`'s; this module parses, calls and prints.

use std::path::PathBuf;

use clap::Subcommand;
use serde::Serialize;

use super::attendant::RoomAttendant;
use super::output::{print, print_json, status_line, Failure};
use super::prompt;
use super::token;
use crate::ceremony::token_keys::{
    destroy_key, list_keys, DestroyRequest, KeysRequest, ListedKey, TokenKeys,
};
use crate::domain::ManifestChain;
use crate::hsm::{probe, Check, Pkcs11Uri, ProbeReport, Protections, TokenDescription};

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
        } => {
            let token: Pkcs11Uri = uri.parse()?;
            token::warn_if_pin_exposed(&token);
            let request = KeysRequest { token, manifest };
            let keys = list_keys(&request, &mut prompt::token_pin)?;
            if json {
                print_json(&KeysReport::of(&keys))
            } else {
                print(&render_keys(&keys));
                Ok(())
            }
        }
        HsmCommand::Destroy {
            uri,
            key,
            manifest,
            yes_destroy,
        } => {
            let request = DestroyRequest {
                token: uri.parse()?,
                manifest,
                label: key,
                confirmed: yes_destroy,
            };
            let destroyed = destroy_key(&request, &mut RoomAttendant::new(None))?;
            print(&format!(
                "destroyed key \"{}\" (domain {}, epoch {}; {}) on token \"{}\"; recorded in the \
                 domain's transcript\n",
                destroyed.label,
                destroyed.domain,
                destroyed.epoch,
                destroyed.standing.describe(destroyed.manifest_epoch),
                destroyed.token.label
            ));
            Ok(())
        }
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

/// `custody hsm keys --json`.
#[derive(Debug, Serialize)]
struct KeysReport<'a> {
    token: &'a TokenDescription,
    manifest: Option<ManifestFacts>,
    keys: Vec<KeyReport<'a>>,
    chain_records: Vec<ChainRecordReport>,
}

#[derive(Debug, Serialize)]
struct ManifestFacts {
    domain: String,
    epoch: u32,
    chain_position: u64,
    digest: String,
}

#[derive(Debug, Serialize)]
struct KeyReport<'a> {
    label: &'a str,
    /// `None` when the label does not have custody's layout.
    domain: Option<String>,
    epoch: Option<u32>,
    id: String,
    protections: Protections,
    /// How it falls short of a domain key's protections; empty when custody would use it.
    problems: &'a [&'static str],
    standing: Option<&'static str>,
    standing_detail: Option<String>,
}

#[derive(Debug, Serialize)]
struct ChainRecordReport {
    domain: String,
    position: Option<u64>,
    fingerprint: Option<String>,
    problem: Option<String>,
}

impl<'a> KeysReport<'a> {
    fn of(keys: &'a TokenKeys) -> Self {
        let epoch = keys.manifest.as_ref().map_or(0, |m| m.epoch());
        Self {
            token: &keys.token,
            manifest: keys.manifest.as_ref().map(|m| ManifestFacts {
                domain: m.domain().to_owned(),
                epoch: m.epoch(),
                chain_position: m.chain_position(),
                digest: m.digest().to_string(),
            }),
            keys: keys
                .keys
                .iter()
                .map(|key| KeyReport {
                    label: &key.object.label,
                    domain: key.object.named.as_ref().map(|(d, _)| d.to_string()),
                    epoch: key.object.named.as_ref().map(|(_, e)| *e),
                    id: hex::encode(&key.object.id),
                    protections: key.object.protections,
                    problems: &key.object.problems,
                    standing: key.standing.as_ref().map(|s| s.name()),
                    standing_detail: key.standing.as_ref().map(|s| s.describe(epoch)),
                })
                .collect(),
            chain_records: keys
                .chain_records
                .iter()
                .map(|object| {
                    let record = object.record.as_ref();
                    ChainRecordReport {
                        domain: object.domain.to_string(),
                        position: record.ok().map(|r| r.position),
                        fingerprint: record.ok().map(|r| r.fingerprint.to_string()),
                        problem: record.err().cloned(),
                    }
                })
                .collect(),
        }
    }
}

fn render_keys(keys: &TokenKeys) -> String {
    let mut text = format!("token         {}\n", keys.token);
    if let Some(manifest) = &keys.manifest {
        text += &format!(
            "manifest      domain {}, epoch {}, chain position {}\n",
            manifest.domain(),
            manifest.epoch(),
            manifest.chain_position()
        );
    }
    if keys.keys.is_empty() {
        text += "no custody keys on this token\n";
    }
    let epoch = keys.manifest.as_ref().map_or(0, |m| m.epoch());
    for key in &keys.keys {
        text += &render_key(key, epoch);
    }
    for object in &keys.chain_records {
        text += &format!("\nchain record {}\n", object.domain);
        text += &match &object.record {
            Ok(record) => format!(
                "  position    {}\n  fingerprint {}\n",
                record.position, record.fingerprint
            ),
            Err(problem) => format!("  refused     {problem}\n"),
        };
    }
    text
}

fn render_key(key: &ListedKey, manifest_epoch: u32) -> String {
    let object = &key.object;
    let named = match &object.named {
        Some((domain, epoch)) => format!("{domain}, epoch {epoch}"),
        None => "not custody's label layout".to_owned(),
    };
    let check = if object.problems.is_empty() {
        "passes custody's domain key check".to_owned()
    } else {
        format!(
            "FAILS custody's domain key check: {}",
            object.problems.join(", ")
        )
    };
    let mut text = format!(
        "\nkey {}\n  domain      {named}\n  id          {}\n  attributes  {}\n  check       {check}\n",
        object.label,
        hex::encode(&object.id),
        attributes(&object.protections)
    );
    if let Some(standing) = &key.standing {
        text += &format!("  standing    {}\n", standing.describe(manifest_epoch));
    }
    text
}

/// Each protection attribute as `name=yes`, `name=no`, or `name=?` where the token does not say.
fn attributes(p: &Protections) -> String {
    [
        ("sensitive", p.sensitive),
        ("extractable", p.extractable),
        ("wrap", p.wrap),
        ("unwrap", p.unwrap),
        ("encrypt", p.encrypt),
        ("decrypt", p.decrypt),
        ("token", p.token),
        ("private", p.private),
        ("modifiable", p.modifiable),
        ("copyable", p.copyable),
    ]
    .map(|(name, value)| {
        let value = match value {
            Some(true) => "yes",
            Some(false) => "no",
            None => "?",
        };
        format!("{name}={value}")
    })
    .join(" ")
}
