//! `custody inspect FILE`: prints what a custody file states in the clear, as text or JSON. The
//! recognising and parsing is the library's (`crate::inspect`); this module only lays it out,
//! one arm per file type.

use std::path::PathBuf;

use clap::Args;

use super::output::{print, print_json, Failure};
use super::store::ProfileArg;
use crate::domain::manifest;
use crate::inspect::{
    inspect_file, ArchiveFacts, CatalogBatchFacts, ContributionFacts, FileFacts, ManifestFacts,
    RequestFacts, ShareFileFacts,
};
use crate::readout::hex_groups;

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  custody inspect ee-registries/shares/cio.share\n  custody inspect --json ee-registries/manifest.json\n  custody inspect population.tar.custody\n\nShows public facts only; it never asks for a passphrase or a token and never shows share\nmaterial. An archive's header is shown as stated, unauthenticated: `custody verify` checks it."
)]
pub struct InspectArgs {
    /// A sealed share file, a manifest or an archive (also s3://BUCKET/PATH/NAME.custody).
    file: PathBuf,
    /// Print the facts as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    profile: ProfileArg,
}

pub fn run(args: &InspectArgs) -> Result<(), Failure> {
    args.profile.select();
    let facts = inspect_file(&args.file)?;
    if let FileFacts::Archive(archive) = &facts {
        if let Some(warning) = super::open::renamed(&args.file, archive.name.as_deref()) {
            eprintln!(
                "warning: {warning} (as the header states; `custody verify` authenticates it)"
            );
        }
    }
    if args.json {
        return print_json(&facts);
    }
    let rows = match &facts {
        FileFacts::ShareFile(share) => share_rows(share),
        FileFacts::Manifest(manifest) => manifest_rows(manifest),
        FileFacts::Archive(archive) => archive_rows(archive),
        FileFacts::Request(request) => request_rows(request),
        FileFacts::Contribution(contribution) => contribution_rows(contribution),
        FileFacts::CatalogBatch(batch) => catalog_batch_rows(batch),
    };
    let text: String = rows
        .into_iter()
        .map(|(label, value)| format!("{label:<14} {value}\n"))
        .collect();
    print(&text);
    Ok(())
}

fn share_rows(share: &ShareFileFacts) -> Vec<(&'static str, String)> {
    vec![
        row("file", "sealed share file"),
        row(
            "format",
            format!("{} version {}", share.format, share.version),
        ),
        row("domain", &share.domain),
        row("epoch", share.epoch.to_string()),
        row("set id", &share.set_id),
        row("chain position", share.chain_position.to_string()),
        row(
            "identity",
            format!("domain fingerprint {}", share.domain_fingerprint),
        ),
        row("official", &share.official),
        row(
            "share",
            format!("{} (threshold {})", share.share_id, share.threshold),
        ),
        row(
            "kdf",
            format!(
                "argon2id, {} KiB, {} passes, {} lanes",
                share.kdf.memory_kib, share.kdf.iterations, share.kdf.parallelism
            ),
        ),
        row("fingerprint", &share.fingerprint),
    ]
}

fn archive_rows(archive: &ArchiveFacts) -> Vec<(&'static str, String)> {
    let optional = |value: Option<String>| value.unwrap_or_else(|| "(not recorded)".into());
    vec![
        row("file", "sealed archive"),
        row(
            "format",
            format!("{} version {}", archive.format, archive.version),
        ),
        row("domain", &archive.domain),
        row("epoch", archive.epoch.to_string()),
        row("key id", &archive.key_id),
        row("wrap check", &archive.wrap_check),
        row("name", optional(archive.name.clone())),
        row("size", optional(archive.size.map(|s| format!("{s} bytes")))),
        row("content type", optional(archive.content_type.clone())),
        row("created", optional(archive.created.clone())),
        row("chunk size", format!("{} bytes", archive.chunk_size)),
        row(
            "length",
            format!(
                "{} bytes ({} of header)",
                archive.archive_len, archive.header_len
            ),
        ),
        row("wrapped key", &archive.wrapped_key),
        row(
            "authenticated",
            "no: these are the header's claims; `custody verify` checks them with the token",
        ),
    ]
}

fn manifest_rows(facts: &ManifestFacts) -> Vec<(&'static str, String)> {
    let manifest = &facts.manifest;
    let mut rows = vec![
        row("file", "manifest"),
        row(
            "format",
            format!("{} version {}", manifest::FORMAT, manifest::VERSION),
        ),
        row("domain", manifest.domain()),
        row("epoch", manifest.epoch().to_string()),
        row("set id", hex::encode(manifest.set_id())),
        row(
            "threshold",
            format!("{} of {}", manifest.threshold(), manifest.officials().len()),
        ),
    ];
    for entry in manifest.officials() {
        let official = entry.official();
        rows.push(row(
            "official",
            format!(
                "{} share {}: {} ({}), share file {}",
                official.id(),
                entry.share_id(),
                official.name(),
                official.role(),
                entry.share_fingerprint()
            ),
        ));
    }
    rows.extend([
        row(
            "verifier set",
            hex::encode(manifest.verifier_set().to_bytes()),
        ),
        row("key id", manifest.key_id().to_string()),
        row("kcv", manifest.kcv().to_string()),
        row("wrap check", manifest.wrap_check().to_string()),
        row("created", manifest.created().to_string()),
        row("tool version", manifest.tool_version()),
    ]);
    for revoked in manifest.revoked_sets() {
        rows.push(row(
            "revoked set",
            format!(
                "{} (epoch {}) on {}: {}",
                hex::encode(revoked.set_id()),
                revoked.epoch(),
                revoked.revoked_at(),
                revoked.reason()
            ),
        ));
    }
    for token in manifest.tokens() {
        rows.push(row(
            "token",
            format!("{token}, enrolled {}", token.enrolled()),
        ));
    }
    let link = manifest.link();
    rows.push(row("chain position", link.position.to_string()));
    if let Some(previous) = link.previous {
        rows.push(row("previous", previous.to_string()));
    }
    rows.extend([
        row(
            "identity",
            format!("domain fingerprint {}", link.domain_fingerprint),
        ),
        row(
            "verifying key",
            format!("fingerprint {}", link.verifying_key.fingerprint()),
        ),
        row(
            "signature",
            "not checked here: `custody audit DIR` verifies the whole chain",
        ),
        row("digest", hex_groups(manifest.digest().as_bytes())),
    ]);
    rows
}

fn request_rows(request: &RequestFacts) -> Vec<(&'static str, String)> {
    vec![
        row("file", "contribution request"),
        row("format", format!("{} version 1", request.format)),
        row("purpose", request.purpose),
        row("domain", &request.domain),
        row(
            "identity",
            format!("domain fingerprint {}", request.domain_fingerprint),
        ),
        row("manifest", &request.manifest_digest),
        row("chain position", request.chain_position.to_string()),
        row("epoch", request.epoch.to_string()),
        row("ceremony id", &request.ceremony_id),
        row("created", &request.created),
        row("expires", &request.expires),
        row("fingerprint", &request.fingerprint),
    ]
}

fn contribution_rows(contribution: &ContributionFacts) -> Vec<(&'static str, String)> {
    vec![
        row(
            "file",
            "contribution (its contents are encrypted to the request)",
        ),
        row("format", format!("{} version 1", contribution.format)),
        row("purpose", contribution.purpose),
        row("official", &contribution.official),
        row("request", &contribution.request),
        row("ceremony id", &contribution.ceremony_id),
    ]
}

fn catalog_batch_rows(batch: &CatalogBatchFacts) -> Vec<(&'static str, String)> {
    vec![
        row(
            "file",
            "archive catalog batch (its chain and store: custody catalog verify STORE)",
        ),
        row("format", format!("{} version 1", batch.format)),
        row("batch", batch.batch.to_string()),
        row("written", &batch.written),
        row(
            "entries",
            format!(
                "{} ({} sealed, {} rewrapped, {} removed)",
                batch.entries, batch.sealed, batch.rewrapped, batch.removed
            ),
        ),
        row("prev", &batch.prev),
        row("digest", &batch.digest),
    ]
}

fn row(label: &'static str, value: impl Into<String>) -> (&'static str, String) {
    (label, value.into())
}
