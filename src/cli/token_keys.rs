//! `custody hsm keys` and `custody hsm destroy`: the arguments handed to
//! `ceremony::token_keys`, which lists and judges a token's keys and destroys one not in force,
//! and what it found, printed for people or as JSON. It opens no session and looks up no key.

use std::path::PathBuf;

use serde::Serialize;

use super::attendant::RoomAttendant;
use super::output::{print, print_json, Failure};
use super::prompt;
use super::token;
use crate::ceremony::token_keys::{
    destroy_key, list_keys, DestroyRequest, KeysRequest, ListedKey, TokenKeys,
};
use crate::hsm::{Pkcs11Uri, Protections, TokenDescription};

/// `custody hsm keys URI [--manifest M] [--json]`.
pub fn keys(uri: &str, manifest: Option<PathBuf>, json: bool) -> Result<(), Failure> {
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

/// `custody hsm destroy URI --key LABEL --manifest M [--yes-destroy LABEL]`.
pub fn destroy(
    uri: &str,
    label: String,
    manifest: PathBuf,
    confirmed: Option<String>,
) -> Result<(), Failure> {
    let request = DestroyRequest {
        token: uri.parse()?,
        manifest,
        label,
        confirmed,
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
    /// `domain-key`, `request-key` (a contribution request's), or `other`.
    kind: &'static str,
    /// `None` when the label does not have custody's layout.
    domain: Option<String>,
    epoch: Option<u32>,
    /// The ceremony id of a request key, hex.
    ceremony_id: Option<String>,
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
                    kind: match (&key.object.named, &key.object.request) {
                        (Some(_), _) => "domain-key",
                        (None, Some(_)) => "request-key",
                        (None, None) => "other",
                    },
                    domain: key
                        .object
                        .named
                        .as_ref()
                        .map(|(d, _)| d.to_string())
                        .or_else(|| key.object.request.as_ref().map(|(d, _)| d.to_string())),
                    epoch: key.object.named.as_ref().map(|(_, e)| *e),
                    ceremony_id: key.object.request.as_ref().map(|(_, id)| hex::encode(id)),
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
    let (named, kind) = match (&object.named, &object.request) {
        (Some((domain, epoch)), _) => (format!("{domain}, epoch {epoch}"), "domain key"),
        (None, Some((domain, ceremony))) => (
            format!(
                "{domain}, the key of the contribution request of ceremony {} (destroying it \
                 withdraws the request and every contribution to it)",
                hex::encode(ceremony)
            ),
            "request key",
        ),
        (None, None) => ("not custody's label layout".to_owned(), "domain key"),
    };
    let check = if object.problems.is_empty() {
        format!("passes custody's {kind} check")
    } else {
        format!(
            "FAILS custody's {kind} check: {}",
            object.problems.join(", ")
        )
    };
    let mut text = format!(
        "\nkey {}\n  domain      {named}\n  id          {}\n  attributes  {}\n  check       {check}\n",
        object.label,
        if object.id.is_empty() {
            "(none)".to_owned()
        } else {
            hex::encode(&object.id)
        },
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
