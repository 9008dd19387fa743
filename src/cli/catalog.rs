//! `custody catalog verify|show|prove|check-proof`: a store checked against its catalog with no
//! key and no token, every finding named; the catalog's head (hex and PGP words) to read aloud
//! and compare across sites; one archive's inclusion proof, and the check of a proof against a
//! head from a ceremony sheet (docs/FORMAT.md 16, D82–D84).

use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use clap::{Args, Subcommand};
use serde::Serialize;

use super::output::{print, print_json, Failure};
use crate::catalog::{
    self, Catalog, CatalogError, Depth, Entry, Finding, Head, Proof, MAX_PROOF_LEN,
};
use crate::readout::{counted, hex_groups};
use crate::store::{self, StoreError};

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Check a store against its catalog, with no key: every archive present and as catalogued,
    /// nothing unlisted, nothing older.
    #[command(
        after_help = "Example:\n  custody catalog verify archives/\n  custody catalog verify s3://registries/ee --expect-head \"e420 1bb2 …\"   # hex or PGP words, from the sheet\n\nEvery archive is read whole and its header and payload hashed. Exit status 0 only when the store\nholds exactly the archives of the catalog's current state, each as catalogued, and nothing else."
    )]
    Verify(VerifyArgs),
    /// The catalog's head (to read aloud and write on a ceremony sheet), its counts and last batch.
    #[command(
        after_help = "Example:\n  custody catalog show s3://registries/ee\n\nThe same catalog gives the same head at every site that holds a copy of the store."
    )]
    Show(StoreArgs),
    /// The inclusion proof of one archive: its current entry and the path to the Merkle root.
    #[command(
        after_help = "Example:\n  custody catalog prove archives/ 2026/land.csv.custody\n  custody catalog prove archives/ 2026/land.csv.custody --json > land.proof\n  custody catalog check-proof land.proof --head \"e420 1bb2 …\" --archive land.csv.custody"
    )]
    Prove(ProveArgs),
    /// Check an inclusion proof against a catalog head (from a ceremony sheet), and an archive
    /// against the proof's entry.
    #[command(
        after_help = "Example:\n  custody catalog check-proof land.proof --head \"e420 1bb2 …\" --archive land.csv.custody\n\nNeeds no store, no key and no token: the proof and the head alone."
    )]
    CheckProof(CheckProofArgs),
}

#[derive(Debug, Args)]
pub struct StoreArgs {
    /// The store: a directory, or s3://bucket/prefix.
    store: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The store: a directory, or s3://bucket/prefix.
    store: PathBuf,
    /// The catalog head on record (a ceremony sheet, another site): 64 hex digits (spaces
    /// allowed) or the 32 PGP words. A head of an earlier batch is found, and the batches since
    /// are counted.
    #[arg(long, value_name = "HEAD", value_parser = head_digest)]
    expect_head: Option<[u8; 32]>,
    /// Read each archive's header alone (a few hundred bytes) and take the payload's length from
    /// the store: finds every archive missing, unlisted, older or with another header, but not a
    /// payload altered in place (`custody verify` authenticates every chunk).
    #[arg(long)]
    headers_only: bool,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct ProveArgs {
    /// The store: a directory, or s3://bucket/prefix.
    store: PathBuf,
    /// The archive's name in the store (its path relative to it, `/`-separated).
    name: String,
    /// Print the proof file (to give to `custody catalog check-proof`) instead of the text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct CheckProofArgs {
    /// The proof file `custody catalog prove STORE NAME --json` wrote.
    proof: PathBuf,
    /// The catalog head on record (a ceremony sheet, another site): 64 hex digits (spaces
    /// allowed) or the 32 PGP words.
    #[arg(long, value_name = "HEAD", value_parser = head_digest)]
    head: [u8; 32],
    /// An archive (a file, or s3://bucket/prefix/NAME) to check against the proof's entry.
    #[arg(long, value_name = "ARCHIVE")]
    archive: Option<PathBuf>,
}

/// A head as read from a sheet: hex or PGP words, read back strictly.
fn head_digest(text: &str) -> Result<[u8; 32], String> {
    crate::readout::read_back(text).map_err(|unreadable| unreadable.to_string())
}

impl From<CatalogError> for Failure {
    fn from(error: CatalogError) -> Self {
        Self::new(error.to_string(), error.hint())
    }
}

fn store_failure(error: StoreError) -> Failure {
    Failure::new(
        error.to_string(),
        "check the store's location, and the profile and credentials used",
    )
}

pub fn run(command: &CatalogCommand) -> Result<(), Failure> {
    match command {
        CatalogCommand::Verify(args) => verify(args),
        CatalogCommand::Show(args) => show(args),
        CatalogCommand::Prove(args) => prove(args),
        CatalogCommand::CheckProof(args) => check_proof(args),
    }
}

/// A time recorded in a catalog, as RFC 3339.
fn when(seconds: u64) -> String {
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(seconds)).to_string()
}

/// The head's two lines: hex groups, then PGP words under them.
fn head_lines(head: &Head) -> String {
    format!("head       {}\n           {}\n", head.hex(), head.words())
}

/// A head as `--json` gives it.
#[derive(Serialize)]
struct HeadJson {
    digest: String,
    words: String,
    chain: String,
    root: String,
    archives: u64,
}

impl From<&Head> for HeadJson {
    fn from(head: &Head) -> Self {
        Self {
            digest: hex::encode(head.digest),
            words: head.words(),
            chain: hex::encode(head.chain),
            root: hex::encode(head.root),
            archives: head.archives,
        }
    }
}

#[derive(Serialize)]
struct VerifyJson<'a> {
    ok: bool,
    store: &'a str,
    head: HeadJson,
    #[serde(skip_serializing_if = "Option::is_none")]
    expected_head_after_batch: Option<usize>,
    batches: u64,
    catalogued: u64,
    intact: u64,
    read: Depth,
    findings: &'a [Finding],
}

/// Where the head expected is in the catalog's history: after which batch.
fn find_head(store: &dyn store::ArchiveStore, expected: &[u8; 32]) -> Result<usize, Failure> {
    let catalog = Catalog::read(store)?;
    let heads = catalog.heads();
    heads
        .iter()
        .rposition(|head| head.digest == *expected)
        .ok_or_else(|| {
            Failure::new(
                format!(
                    "the catalog of {} never had the head {}: batches were cut from its end or \
                     rewritten, or the head is another store's (its head is {})",
                    catalog.location(),
                    hex::encode(expected),
                    hex::encode(catalog.head().digest)
                ),
                "compare the catalog with a copy kept at another site; the head on the signed \
                 sheet is authoritative",
            )
        })
}

fn verify(args: &VerifyArgs) -> Result<(), Failure> {
    let store = store::open(&args.store).map_err(store_failure)?;
    let depth = if args.headers_only {
        Depth::Headers
    } else {
        Depth::Whole
    };
    let report = catalog::verify_with(store.as_ref(), depth)?;
    let expected = match &args.expect_head {
        Some(head) => Some(find_head(store.as_ref(), head)?),
        None => None,
    };
    if args.json {
        print_json(&VerifyJson {
            ok: report.passed(),
            store: &report.location,
            head: HeadJson::from(&report.head),
            expected_head_after_batch: expected,
            batches: report.batches,
            catalogued: report.catalogued,
            intact: report.intact,
            read: report.depth,
            findings: &report.findings,
        })?;
    } else {
        let mut text = format!(
            "catalog of {}: {} catalogued, {} intact{}, {}\n",
            report.location,
            counted(report.catalogued, "archive", "archives"),
            report.intact,
            match report.depth {
                Depth::Whole => "",
                Depth::Headers => " (headers only: payloads not read, their lengths checked)",
            },
            match report.findings.len() {
                0 => "nothing missing, altered, older or unlisted".to_owned(),
                n => counted(n, "finding", "findings"),
            }
        );
        text.push_str(&head_lines(&report.head));
        match expected {
            Some(after) if u64::try_from(after).ok() == Some(report.batches) => {
                text.push_str("           this is the head expected\n");
            }
            Some(after) => text.push_str(&format!(
                "           the head expected is the catalog's after batch {after}: intact up to \
                 it, and {} added since\n",
                counted(
                    report
                        .batches
                        .saturating_sub(u64::try_from(after).unwrap_or(0)),
                    "batch",
                    "batches"
                )
            )),
            None => {}
        }
        for finding in &report.findings {
            text.push_str(&describe(finding));
        }
        print(&text);
    }
    if report.passed() {
        return Ok(());
    }
    Err(Failure::new(
        format!(
            "{} does not match its catalog: {}",
            report.location,
            counted(report.findings.len(), "finding", "findings")
        ),
        "do not rely on this copy as it is: compare it with the store at another site, and \
         restore what is missing or older from there",
    ))
}

fn describe(finding: &Finding) -> String {
    match finding {
        Finding::Missing { name, epoch } => {
            format!("  missing    {name}: catalogued (epoch {epoch}), not in the store\n")
        }
        Finding::Older {
            name,
            epoch,
            current_epoch,
            time,
            batch,
        } => format!(
            "  older      {name}: an older version of itself, the archive as catalogued for epoch \
             {epoch} (batch {batch}, {}); the catalog's current entry is epoch {current_epoch}\n",
            when(*time)
        ),
        Finding::Altered {
            name,
            header,
            payload,
            epoch,
            current_epoch,
        } => {
            let what = match (header, payload) {
                (true, true) => "its header and its payload differ",
                (true, false) => "its header differs",
                _ => "its payload differs",
            };
            let rewrapped = if *header && !*payload && epoch > current_epoch {
                format!(
                    " (its header names epoch {epoch}, its entry epoch {current_epoch}: rewrapped \
                     and never recorded, or altered)"
                )
            } else {
                String::new()
            };
            format!("  altered    {name}: {what} from every catalogued version{rewrapped}\n")
        }
        Finding::Unlisted { name, len } => format!(
            "  unlisted   {name}: in the store, never catalogued ({})\n",
            counted(*len, "byte", "bytes")
        ),
        Finding::Removed { name, batch } => format!(
            "  removed    {name}: in the store, but the catalog records its removal (batch \
             {batch})\n"
        ),
        Finding::Other { name, reason } => format!("  other      {name}: {reason}\n"),
        Finding::Unreadable { name, problem } => format!("  unreadable {name}: {problem}\n"),
    }
}

#[derive(Serialize)]
struct ShowJson<'a> {
    store: &'a str,
    head: HeadJson,
    batches: usize,
    entries: usize,
    last_batch_time: Option<String>,
}

fn show(args: &StoreArgs) -> Result<(), Failure> {
    let store = store::open(&args.store).map_err(store_failure)?;
    let catalog = Catalog::read(store.as_ref())?;
    let head = catalog.head();
    let entries: usize = catalog.batches().iter().map(|batch| batch.entries).sum();
    let last = catalog.batches().last();
    if args.json {
        return print_json(&ShowJson {
            store: catalog.location(),
            head: HeadJson::from(&head),
            batches: catalog.batches().len(),
            entries,
            last_batch_time: last.map(|batch| when(batch.time)),
        });
    }
    let mut text = format!("catalog of {}\n", catalog.location());
    text.push_str(&head_lines(&head));
    match last {
        None => text.push_str("batches    none yet: nothing catalogued\n"),
        Some(batch) => text.push_str(&format!(
            "archives   {} in the current state, from {} in {}\n\
             last batch {}, written {}, SHA-256 {}\n",
            head.archives,
            counted(entries, "entry", "entries"),
            counted(catalog.batches().len(), "batch", "batches"),
            batch.sequence,
            when(batch.time),
            hex_groups(&batch.digest),
        )),
    }
    text.push_str(&format!("root       {}\n", hex_groups(&head.root)));
    print(&text);
    Ok(())
}

/// An entry's facts in one line.
fn entry_line(entry: &Entry) -> String {
    match entry.archive() {
        None => format!("{} {}", entry.event(), when(entry.time())),
        Some(facts) => format!(
            "{} {}, domain {} epoch {}\n\
             header     {}, SHA-256 {}\n\
             payload    {}, SHA-256 {}",
            entry.event(),
            when(entry.time()),
            facts.domain,
            facts.epoch,
            counted(facts.header_len, "byte", "bytes"),
            hex_groups(&facts.header_sha256),
            counted(facts.payload_len, "byte", "bytes"),
            hex_groups(&facts.payload_sha256),
        ),
    }
}

fn prove(args: &ProveArgs) -> Result<(), Failure> {
    let store = store::open(&args.store).map_err(store_failure)?;
    let catalog = Catalog::read(store.as_ref())?;
    let proof = catalog.prove(&args.name).ok_or_else(|| {
        Failure::new(
            format!(
                "{}: the catalog's current state holds no archive of that name",
                store.shown(&args.name)
            ),
            "name the archive by its path relative to the store, as `custody catalog verify` \
             lists it",
        )
    })?;
    if args.json {
        print(&proof.to_json());
        return Ok(());
    }
    let head = catalog.head();
    let mut text = format!(
        "archive    {}\nentry      {}\nleaf       {} of {} leaves (counted from 0, in name order)\n",
        proof.entry.name(),
        entry_line(&proof.entry),
        proof.index,
        proof.size,
    );
    if proof.path.is_empty() {
        text.push_str("path       none: the only archive, its leaf is the root\n");
    }
    for (level, hash) in proof.path.iter().enumerate() {
        let label = if level == 0 { "path" } else { "" };
        text.push_str(&format!("{label:<10} {}\n", hex::encode(hash)));
    }
    text.push_str(&format!("root       {}\n", hex::encode(head.root)));
    text.push_str(&format!("chain      {}\n", hex::encode(head.chain)));
    text.push_str(&head_lines(&head));
    text.push_str(
        "check it anywhere: `custody catalog prove STORE NAME --json > FILE`, then\n\
         `custody catalog check-proof FILE --head HEAD [--archive ARCHIVE]`\n",
    );
    print(&text);
    Ok(())
}

fn check_proof(args: &CheckProofArgs) -> Result<(), Failure> {
    let shown = args.proof.display().to_string();
    let bytes = crate::files::read_at_most(&args.proof, MAX_PROOF_LEN)
        .map_err(|error| Failure::new(format!("{shown}: {error}"), "give the proof file's path"))?;
    let proof = Proof::from_json(&bytes).map_err(|error| Failure::from(error).about(&shown))?;
    let head = proof
        .head()
        .map_err(|error| Failure::from(error).about(&shown))?;
    if head.digest != args.head {
        return Err(Failure::new(
            format!(
                "{shown}: the proof leads to head {}, not to the head given ({}): {} is not, as \
                 the proof records it, in that catalog",
                hex::encode(head.digest),
                hex::encode(args.head),
                proof.entry.name()
            ),
            "check the head as written on the sheet; a proof made from another state of the \
             catalog leads to that state's head",
        ));
    }
    let mut text = format!(
        "proof {shown}: {} is in the catalog whose head is\n{}entry      {}\n",
        proof.entry.name(),
        head_lines(&head),
        entry_line(&proof.entry),
    );
    if let Some(archive) = &args.archive {
        text.push_str(&check_archive(archive, &proof)?);
    }
    print(&text);
    Ok(())
}

/// Checks the archive at `path` against the proof's entry.
fn check_archive(path: &Path, proof: &Proof) -> Result<String, Failure> {
    let (store, name) = match store::archive_at(path).map_err(store_failure)? {
        Some((store, name)) => (store, name),
        None => {
            let parent = path
                .parent()
                .filter(|parent| !parent.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let name = path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            let store: std::sync::Arc<dyn store::ArchiveStore> =
                std::sync::Arc::new(store::LocalStore::open(parent).map_err(store_failure)?);
            (store, name)
        }
    };
    let shown = path.display().to_string();
    let measured = catalog::measure_stored(store.as_ref(), &name)?;
    let found = measured.facts();
    let Some(expected) = proof.entry.archive() else {
        return Err(Failure::new(
            format!("{shown}: the proof's entry records no archive"),
            "give the proof of an archive present",
        ));
    };
    let header =
        found.header_len == expected.header_len && found.header_sha256 == expected.header_sha256;
    let payload = found.payload_len == expected.payload_len
        && found.payload_sha256 == expected.payload_sha256;
    match (header, payload) {
        (true, true) => Ok(format!(
            "archive    {shown}: its header and payload are those the entry records\n"
        )),
        (false, true) => Err(Failure::new(
            format!(
                "{shown}: its payload is the entry's, its header is not (epoch {} where the \
                 entry records {}): another version of {}",
                found.epoch,
                expected.epoch,
                proof.entry.name()
            ),
            "an archive rewrapped earlier or later than the catalog's state the proof was made \
             from; take the copy the catalog records",
        )),
        _ => Err(Failure::new(
            format!(
                "{shown}: not the archive the entry records for {} (its {} differs)",
                proof.entry.name(),
                if header {
                    "payload"
                } else {
                    "header and payload"
                }
            ),
            "take the copy the catalog records, from another site if need be",
        )),
    }
}
