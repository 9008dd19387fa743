//! `custody inspect FILE`: prints what a custody file states in the clear, as text or JSON. The
//! recognising and parsing is the library's (`crate::inspect`); this module only lays it out,
//! one arm per file type.

use std::path::PathBuf;

use clap::Args;

use super::output::{print, print_json, Failure};
use crate::inspect::{inspect_file, FileFacts, ManifestFacts, ShareFileFacts};

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  custody inspect ee-registries/shares/cio.share\n  custody inspect --json ee-registries/manifest.json\n\nShows public facts only; it never asks for a passphrase and never shows share material."
)]
pub struct InspectArgs {
    /// A sealed share file or a manifest.
    file: PathBuf,
    /// Print the facts as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: &InspectArgs) -> Result<(), Failure> {
    let facts = inspect_file(&args.file)?;
    if args.json {
        return print_json(&facts);
    }
    let rows = match &facts {
        FileFacts::ShareFile(share) => share_rows(share),
        FileFacts::Manifest(manifest) => manifest_rows(manifest),
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

fn manifest_rows(facts: &ManifestFacts) -> Vec<(&'static str, String)> {
    let manifest = &facts.manifest;
    let mut rows = vec![
        row("file", "manifest"),
        row("format", "custody-manifest version 1"),
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
    rows.push(row("digest", manifest.digest().grouped()));
    rows
}

fn row(label: &'static str, value: impl Into<String>) -> (&'static str, String) {
    (label, value.into())
}
