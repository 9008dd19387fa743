//! `custody audit DIR`: runs the offline audit of a domain directory and prints what it found,
//! with the closing digest in hex and PGP words to compare with the signed ceremony sheet.

use std::path::PathBuf;

use clap::Args;

use super::output::{print, print_json, Failure};
use crate::ceremony::audit::{audit_domain, DomainAudit};
use crate::ceremony::history::set_prefix;
use crate::ceremony::transcript_signature::SignedReport;
use crate::readout::{counted, hex_groups, pgp_words};

#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  custody audit ee-registries\n  custody audit ee-registries --expect-closing \"e420 1bb2 …\"   # hex or PGP words, from the signed ceremony sheet\n\nExit status 0 only when the transcript chain, the manifest chain and every share file present check out\n(and, when given, the expected closing digest closes the transcript or one of its lines)."
)]
pub struct AuditArgs {
    /// The domain directory (manifest.json, transcript.jsonl, shares/).
    dir: PathBuf,
    /// The transcript closing digest written on the signed ceremony sheet: 64 hex digits (spaces
    /// allowed) or the 32 PGP words. A digest of an earlier sheet is found at its line.
    #[arg(long, value_name = "DIGEST", value_parser = closing_digest)]
    expect_closing: Option<[u8; 32]>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

/// A closing digest as read from a sheet: hex or PGP words, read back strictly.
fn closing_digest(text: &str) -> Result<[u8; 32], String> {
    crate::readout::read_back(text).map_err(|unreadable| unreadable.to_string())
}

pub fn run(args: &AuditArgs) -> Result<(), Failure> {
    let audit = audit_domain(&args.dir)?;
    let mut since_sheet = String::new();
    if let Some(expected) = &args.expect_closing {
        match audit.line_closed_by(expected) {
            Some(line) if line == audit.entries => {}
            Some(line) => {
                since_sheet = format!(
                    "expected closing digest closes line {line}: the transcript up to it is \
                     intact, and {} entries were added since (the ceremonies after line {line} \
                     above)\n",
                    audit.entries - line
                );
            }
            None => {
                return Err(Failure::new(
                    format!(
                        "the transcript's closing digest is {}, and no line of it closes with the \
                         {} expected: lines were cut from its end or edited",
                        hex::encode(audit.closing_digest),
                        hex::encode(expected)
                    ),
                    "compare the witnesses' copies of the transcript; the signed sheet is \
                     authoritative",
                ));
            }
        }
    }
    if args.json {
        return print_json(&audit);
    }
    let mut text = format!(
        "audit of {dir}: ok\n\
         domain {domain}, epoch {epoch}\n\
         domain fingerprint {fingerprint}\n\
         manifest digest    {manifest}\n\
         manifest chain     {links}, every signature verified from genesis\n\
         transcript         {entries} entries, chain intact, {ceremonies} ({interrupted} interrupted)\n",
        dir = args.dir.display(),
        domain = audit.domain,
        epoch = audit.epoch,
        fingerprint = hex::decode(&audit.domain_fingerprint).map_or_else(|_| audit.domain_fingerprint.clone(), |bytes| hex_groups(&bytes)),
        links = counted(audit.chain.len(), "manifest", "manifests"),
        manifest = hex::decode(&audit.manifest_digest).map_or_else(|_| audit.manifest_digest.clone(), |bytes| hex_groups(&bytes)),
        entries = audit.entries,
        ceremonies = counted(audit.ceremonies.len(), "ceremony", "ceremonies"),
        interrupted = audit.ceremonies.iter().filter(|c| c.close.is_none()).count(),
    );
    for ceremony in &audit.ceremonies {
        let signed = audit
            .signed
            .signed
            .iter()
            .find(|signed| Some(signed.line - 1) == ceremony.close)
            .map_or_else(String::new, |signed| {
                format!(", signed at line {} (epoch {})", signed.line, signed.epoch)
            });
        let failed = ceremony
            .failed
            .as_ref()
            .map_or_else(String::new, |outcome| format!(" — {outcome}"));
        text += &format!(
            "  {:<10} lines {}–{}{signed}{failed}\n",
            ceremony.ceremony,
            ceremony.begin,
            ceremony
                .close
                .map_or_else(|| "(interrupted)".into(), |c| c.to_string())
        );
    }
    text += &signatures(&audit.signed, audit.entries);
    for (official, state) in &audit.share_files {
        text += &format!("  share {official:<18} {state}\n");
    }
    for revoked in &audit.revoked_sets {
        text += &format!(
            "  revoked set {} (epoch {}) on {}: {} — recorded by the reshare at line {}\n",
            revoked.set_id,
            revoked.epoch,
            revoked.revoked_at,
            revoked.reason,
            revoked.recorded_at_line
        );
    }
    text += &history(&audit);
    for line in &audit.insecure_kdf {
        text += &format!(
            "  WARNING: line {line}: share files sealed with argon2id costs below the defaults \
             (--insecure-kdf): reseal them with the defaults (custody share reseal)\n"
        );
    }
    for line in &audit.started_anew {
        text += &format!(
            "  WARNING: line {line}: the transcript was started anew (--new-transcript) because \
             it was missing: nothing before this line is on record; compare the manifest digest \
             with the signed ceremony sheet\n"
        );
    }
    text += &format!(
        "closing digest     {}\n                   {}\n",
        hex_groups(&audit.closing_digest),
        pgp_words(&audit.closing_digest)
    );
    text += &since_sheet;
    print(&text);
    Ok(())
}

/// `n` things, in the singular or plural as `n` needs.
/// The domain's history: each manifest of the chain, then what `history/` keeps, then what it
/// holds that custody did not put there.
fn history(audit: &DomainAudit) -> String {
    let kept = &audit.history;
    let mut text = format!(
        "chain/             {}\n",
        counted(audit.chain.len(), "manifest", "manifests")
    );
    for link in &audit.chain {
        text += &format!(
            "  position {} epoch {} set {} {:<9} created {}{}\n",
            link.position,
            link.epoch,
            set_prefix(&link.set_id),
            link.made_by.as_str(),
            link.created,
            if link.digest == audit.manifest_digest {
                ", in force"
            } else {
                ""
            },
        );
    }
    text += &if kept.share_sets.is_empty() && kept.canaries.is_empty() {
        "history/           nothing kept\n".to_owned()
    } else {
        format!(
            "history/           {}, {}\n",
            counted(
                kept.share_sets.len(),
                "superseded share set",
                "superseded share sets"
            ),
            counted(
                kept.canaries.len(),
                "superseded canary",
                "superseded canaries"
            ),
        )
    };
    for set in &kept.share_sets {
        text += &format!(
            "  {}  the set of position {} (epoch {}): {}\n",
            set.path,
            set.position,
            set.epoch,
            counted(set.files, "share file", "share files")
        );
    }
    for canary in &kept.canaries {
        text += &format!("  {}  the canary of epoch {}\n", canary.path, canary.epoch);
    }
    for odd in &kept.unrecognised {
        text += &format!(
            "  WARNING: {}: {}: custody did not put it there; find out who did\n",
            odd.path, odd.why
        );
    }
    text
}

/// What the signatures cover.
fn signatures(signed: &SignedReport, entries: usize) -> String {
    let Some(last) = signed.last_signed else {
        return format!(
            "signatures         none: no ceremony is signed, all {entries} lines rest on the \
             closing digest alone\n"
        );
    };
    format!(
        "signatures         signed ceremonies: {}, the last at line {last}; unsigned lines after \
         it: {}\n                   each verified under its epoch's domain verifying key\n",
        signed.signed.len(),
        signed.unsigned_after
    )
}
