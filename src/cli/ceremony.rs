//! `custody genesis` and `custody unlock`: the arguments, the attendant, and the closing words
//! read aloud (digests in hex and PGP words). The ceremonies themselves are the ceremony layer's.

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::attendant::{Passphrases, RoomAttendant};
use super::output::{print, print_json, Failure};
use super::request::RemoteArgs;
use super::store::ProfileArg;
use crate::ceremony::demo::demo;
use crate::ceremony::drill::{drill, DrillRequest};
use crate::ceremony::genesis::{genesis, GenesisRequest};
use crate::ceremony::passphrase::kdf_below_defaults;
use crate::ceremony::rotate::{rotate, RotateRequest};
use crate::ceremony::unlock::{unlock, UnlockRequest};
use crate::ceremony::Expected;
use crate::domain::{load_officials, ManifestDigest};
use crate::hsm::{Persistence, Pkcs11Uri};
use crate::primitives::kdf::KdfParams;
use crate::primitives::signature::DomainFingerprint;
use crate::readout::{counted, hex_groups, pgp_words};
use crate::remote::Purpose;

#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  custody genesis --domain ee-registries --officials officials.toml --threshold 3 \\\n      --hsm 'pkcs11:token=home?module-path=/usr/lib/softhsm/libsofthsm2.so' --out ee-registries\n\nEach official types a new passphrase twice, without echo, and later types it again to prove\ntheir share. Scripted mode: --passphrases PDIR with PDIR/<official-id>.pass."
)]
pub struct GenesisArgs {
    /// The domain id, [a-z0-9-], e.g. ee-registries.
    #[arg(long)]
    domain: String,
    /// The officials file (TOML, one [[official]] per share holder).
    #[arg(long, value_name = "FILE")]
    officials: PathBuf,
    /// How many officials are needed to rebuild the key.
    #[arg(long, value_name = "T")]
    threshold: u8,
    /// A token to hold the domain key (PKCS#11 URI); repeat for more tokens.
    #[arg(long = "hsm", value_name = "URI", required = true)]
    hsm: Vec<String>,
    /// The site the tokens serve (e.g. Tallinn), recorded with each token in the manifest.
    #[arg(long, value_name = "NAME")]
    site: Option<String>,
    /// The domain directory to create (must not exist).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    #[command(flatten)]
    passphrases: Passphrases,
    #[command(flatten)]
    kdf: KdfArgs,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

/// argon2id costs of new share files; the defaults are strong.
#[derive(Debug, Args)]
pub struct KdfArgs {
    /// argon2id memory per share-file guess, KiB (default 262144 = 256 MiB). Lowering it makes
    /// stolen share files cheaper to attack: only for tests and very small ceremony machines.
    #[arg(long, value_name = "KIB", default_value_t = KdfParams::default().memory_kib())]
    kdf_memory_kib: u32,
    /// argon2id passes (default 3).
    #[arg(long, value_name = "N", default_value_t = KdfParams::default().iterations())]
    kdf_passes: u32,
    /// argon2id lanes (default 2).
    #[arg(long, value_name = "N", default_value_t = KdfParams::default().parallelism())]
    kdf_lanes: u32,
    /// Accept argon2id costs below the defaults (tests only): recorded in the transcript and
    /// flagged by `custody audit`.
    #[arg(long)]
    insecure_kdf: bool,
}

impl KdfArgs {
    pub(super) fn params(&self) -> Result<KdfParams, Failure> {
        let params =
            KdfParams::new(self.kdf_memory_kib, self.kdf_passes, self.kdf_lanes).map_err(|e| {
                Failure::new(
                    e.to_string(),
                    "choose argon2id costs within the bounds given",
                )
            })?;
        if kdf_below_defaults(&params) && !self.insecure_kdf {
            return Err(Failure::new(
                format!(
                    "argon2id costs {} KiB and {} passes are below the defaults ({} KiB, {} \
                     passes): stolen share files would be cheaper to attack",
                    params.memory_kib(),
                    params.iterations(),
                    KdfParams::default().memory_kib(),
                    KdfParams::default().iterations()
                ),
                "keep the defaults; only tests may pass --insecure-kdf",
            ));
        }
        Ok(params)
    }
}

/// What a ceremony on an existing domain trusts: the domain and manifest the officials expect,
/// and whether a missing transcript may be started anew. All are settled before anyone types.
#[derive(Debug, Args)]
pub struct Trust {
    /// Refuse any domain but this one: its fingerprint as on the signed genesis sheet and in every
    /// share file, 64 hex digits (spaces allowed) or the 32 PGP words. Checked, with the whole
    /// manifest chain, before anything is asked or written.
    #[arg(long = "expect-domain", value_name = "FINGERPRINT")]
    expect_domain: Option<DomainFingerprint>,
    /// Refuse any manifest but this one: its digest as on the signed ceremony sheet, 64 hex
    /// digits (spaces allowed) or the 32 PGP words. Checked before anything is asked or written.
    #[arg(long = "expect-manifest", value_name = "DIGEST")]
    expect_manifest: Option<ManifestDigest>,
    #[command(flatten)]
    missing_transcript: MissingTranscript,
}

impl Trust {
    /// The domain fingerprint and manifest digest given, if any.
    pub fn expected(&self) -> Expected {
        Expected {
            domain: self.expect_domain,
            manifest: self.expect_manifest,
        }
    }

    /// Whether a missing transcript may be started anew.
    pub fn new_transcript(&self) -> bool {
        self.missing_transcript.new_transcript()
    }
}

/// Whether a missing transcript may be started anew: every command that records in the domain's
/// transcript (the ceremonies above, and `share reseal`) takes it.
#[derive(Debug, Args)]
pub struct MissingTranscript {
    /// The domain's transcript.jsonl is lost for good: start a new one, whose first line records
    /// that it was started anew (custody audit warns of it).
    #[arg(long)]
    new_transcript: bool,
}

impl MissingTranscript {
    /// Whether a missing transcript may be started anew.
    pub fn new_transcript(&self) -> bool {
        self.new_transcript
    }
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  custody unlock --manifest ee-registries/manifest.json \\\n      --hsm 'pkcs11:token=embassy?module-path=/usr/lib/softhsm/libsofthsm2.so' \\\n      ee-registries/shares/cio.share ee-registries/shares/justice.share ee-registries/shares/ria.share\n\nOfficials come forward in the order their share files are given; each types their passphrase.\nA share that fails is named and set aside; the key is rebuilt as soon as enough shares pass."
)]
pub struct UnlockArgs {
    /// The domain's manifest.json.
    #[arg(long, value_name = "MANIFEST")]
    manifest: PathBuf,
    /// The token to receive the domain key (PKCS#11 URI).
    #[arg(long = "hsm", value_name = "URI")]
    hsm: String,
    /// The site the token serves (e.g. Luxembourg), recorded when the token is enrolled.
    #[arg(long, value_name = "NAME", conflicts_with = "session_only")]
    site: Option<String>,
    /// Import the key as a session object that vanishes when this process ends (the token is
    /// not enrolled).
    #[arg(long)]
    session_only: bool,
    #[command(flatten)]
    trust: Trust,
    #[command(flatten)]
    passphrases: Passphrases,
    #[command(flatten)]
    remote: RemoteArgs,
    /// The share files offered, in the order the officials come forward (after the
    /// contributions, when --request is given).
    #[arg(required_unless_present = "request", value_name = "SHARE")]
    shares: Vec<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct GenesisReport {
    domain_dir: String,
    domain_fingerprint: String,
    domain_fingerprint_words: String,
    manifest_digest: String,
    manifest_digest_words: String,
    kcv: String,
    kcv_words: String,
    transcript_closing_digest: String,
    transcript_closing_words: String,
    tokens: Vec<String>,
}

pub fn run_genesis(args: &GenesisArgs) -> Result<(), Failure> {
    let officials =
        load_officials(&args.officials).map_err(|e| Failure::new(e.to_string(), e.hint()))?;
    let request = GenesisRequest {
        domain: args.domain.clone(),
        officials,
        threshold: args.threshold,
        tokens: parse_uris(&args.hsm)?,
        site: args.site.clone(),
        out: args.out.clone(),
        kdf: args.kdf.params()?,
    };
    // Whatever needs no token and no person is refused before the room hears the plan.
    request.check()?;
    let mut attendant = args.passphrases.attendant(args.json);
    if !args.json {
        print(&format!(
            "Genesis of domain {} — {} of {} officials will be needed to rebuild its key.\n",
            args.domain,
            args.threshold,
            request.officials.len()
        ));
    }
    let outcome = genesis(&request, &mut attendant)?;
    let digest = outcome.manifest_digest;
    let report = GenesisReport {
        domain_dir: outcome.dir.display().to_string(),
        domain_fingerprint: outcome.domain_fingerprint.to_string(),
        domain_fingerprint_words: pgp_words(outcome.domain_fingerprint.as_bytes()),
        manifest_digest: digest.to_string(),
        manifest_digest_words: pgp_words(digest.as_bytes()),
        kcv: outcome.kcv.to_string(),
        kcv_words: pgp_words(outcome.kcv.as_bytes()),
        transcript_closing_digest: hex::encode(outcome.closing_digest),
        transcript_closing_words: pgp_words(&outcome.closing_digest),
        tokens: outcome.tokens,
    };
    if args.json {
        return print_json(&report);
    }
    print(&format!(
        "\nGenesis complete: {dir}\n\n\
         Read aloud and write on the signed ceremony sheet:\n\
         domain fingerprint {fingerprint}\n                   {fingerprint_words}\n\
         manifest digest    {grouped}\n                   {words}\n\
         key check value    {kcv} ({kcv_words})\n\
         transcript closing {closing}\n                   {closing_words}\n\n\
         The key is on: {tokens}.\n\
         Each official keeps their own share file (shares/<official-id>.share) apart from the others;\n\
         every share file carries the domain fingerprint, and every later ceremony shows it.\n",
        dir = report.domain_dir,
        fingerprint = hex_groups(outcome.domain_fingerprint.as_bytes()),
        fingerprint_words = report.domain_fingerprint_words,
        grouped = hex_groups(digest.as_bytes()),
        words = report.manifest_digest_words,
        kcv = report.kcv,
        kcv_words = report.kcv_words,
        closing = hex_groups(&outcome.closing_digest),
        closing_words = report.transcript_closing_words,
        tokens = report.tokens.join("; "),
    ));
    Ok(())
}

#[derive(Serialize)]
struct UnlockReport {
    domain: String,
    epoch: u32,
    token: String,
    session_only: bool,
    accepted: Vec<String>,
    refused: Vec<String>,
    transcript: String,
    transcript_closing_digest: String,
    /// The digest of the manifest enrolling the token, when this unlock enrolled it.
    enrolled_by_manifest: Option<String>,
}

pub fn run_unlock(args: &UnlockArgs) -> Result<(), Failure> {
    let request = UnlockRequest {
        manifest: args.manifest.clone(),
        target: parse_uri(&args.hsm)?,
        site: args.site.clone(),
        persistence: if args.session_only {
            Persistence::Session
        } else {
            Persistence::Token
        },
        shares: args.shares.clone(),
        expect: args.trust.expected(),
        new_transcript: args.trust.new_transcript(),
        remote: args.remote.offer(Purpose::Unlock),
    };
    let mut attendant = args.passphrases.attendant(args.json);
    let unlocked = unlock(&request, &mut attendant)?;
    let report = UnlockReport {
        domain: unlocked.manifest.domain().to_owned(),
        epoch: unlocked.manifest.epoch(),
        token: unlocked.session.token().to_string(),
        session_only: args.session_only,
        accepted: unlocked.accepted.clone(),
        refused: unlocked
            .refused
            .iter()
            .map(|(file, reason)| format!("{}: {reason}", file.display()))
            .collect(),
        transcript: unlocked.transcript.display().to_string(),
        transcript_closing_digest: hex::encode(unlocked.closing_digest),
        enrolled_by_manifest: unlocked
            .enrolled
            .then(|| unlocked.manifest.digest().to_string()),
    };
    if args.json {
        return print_json(&report);
    }
    print(&format!(
        "\nUnlocked: the domain key of {domain} (epoch {epoch}) is on {token}{lifetime}.\n\
         Shares used: {accepted}.{refused}\n{enrolled}\
         transcript {transcript}, closing digest {closing}\n                   {words}\n",
        enrolled = if unlocked.enrolled {
            let digest = unlocked.manifest.digest();
            format!(
                "The token is enrolled in the domain: the manifest at chain position {position} \
                 lists it and is now in force.\n\
                 Read aloud and write on the signed ceremony sheet:\n\
                 manifest digest    {grouped}\n                   {words}\n",
                position = unlocked.manifest.chain_position(),
                grouped = hex_groups(digest.as_bytes()),
                words = pgp_words(digest.as_bytes()),
            )
        } else {
            String::new()
        },
        domain = report.domain,
        epoch = report.epoch,
        token = report.token,
        lifetime = if args.session_only {
            " until this process ends"
        } else {
            ""
        },
        accepted = report.accepted.join(", "),
        refused = if report.refused.is_empty() {
            String::new()
        } else {
            format!("\nRefused: {}.", report.refused.join("; "))
        },
        transcript = report.transcript,
        closing = hex_groups(&unlocked.closing_digest),
        words = pgp_words(&unlocked.closing_digest),
    ));
    Ok(())
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  custody drill --manifest ee-registries/manifest.json \\\n      ee-registries/shares/cio.share ee-registries/shares/justice.share ee-registries/shares/ria.share\n\nThe quorum unlocks the key into a throwaway SoftHSM token, the canary archive sealed at genesis is\nopened with it, and the token is destroyed. Run it every quarter. Exit status 0 only on PASS."
)]
pub struct DrillArgs {
    /// The domain's manifest.json (its directory holds the transcript and the canary archive).
    #[arg(long, value_name = "MANIFEST")]
    manifest: PathBuf,
    #[command(flatten)]
    trust: Trust,
    #[command(flatten)]
    passphrases: Passphrases,
    /// Rehearse on this token (PKCS#11 URI), the key a session object that vanishes with the
    /// drill, instead of a throwaway SoftHSM token; needed with --request (the request's key is
    /// on it).
    #[arg(long = "hsm", value_name = "URI")]
    hsm: Option<String>,
    #[command(flatten)]
    remote: RemoteArgs,
    /// The share files offered, in the order the officials come forward (after the
    /// contributions, when --request is given).
    #[arg(required_unless_present = "request", value_name = "SHARE")]
    shares: Vec<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct DrillReport {
    passed: bool,
    failure: Option<String>,
    seconds: f64,
    accepted: Vec<String>,
}

pub fn run_drill(args: &DrillArgs) -> Result<(), Failure> {
    let request = DrillRequest {
        manifest: args.manifest.clone(),
        shares: args.shares.clone(),
        expect: args.trust.expected(),
        new_transcript: args.trust.new_transcript(),
        token: args.hsm.as_deref().map(parse_uri).transpose()?,
        remote: args.remote.offer(Purpose::Drill),
    };
    let mut attendant = args.passphrases.attendant(args.json);
    let outcome = drill(&request, &mut attendant)?;
    let report = DrillReport {
        passed: outcome.passed,
        failure: outcome.failure.clone(),
        seconds: outcome.elapsed.as_secs_f64(),
        accepted: outcome.accepted.clone(),
    };
    if args.json {
        print_json(&report)?;
    } else if outcome.passed {
        print(&format!(
            "\nDRILL PASSED in {:.1} s: shares of {} rebuilt the key, and the canary archive opened with it.\n",
            report.seconds,
            report.accepted.join(", ")
        ));
    }
    match outcome.failure {
        None => Ok(()),
        Some(failure) => Err(Failure::new(
            format!("DRILL FAILED after {:.1} s: {failure}", report.seconds),
            "the quorum could not recover the domain: fix this before it is needed (see the transcript)",
        )),
    }
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  custody demo\n\nNeeds SoftHSM (bash hsm/install-softhsm.sh). Uses throwaway tokens in a temporary directory,\nremoved at the end; touches no real HSM."
)]
pub struct DemoArgs {}

pub fn run_demo(_args: &DemoArgs) -> Result<(), Failure> {
    print("custody demo: a country keeps the ultimate backup of its registries in a data embassy abroad.\nOnly a quorum of its officials can unlock it. Here is the whole story, on throwaway HSM tokens.\n");
    let outcome = demo(&mut |pdir| Box::new(RoomAttendant::new(Some(pdir.to_owned()))))?;
    print(&format!(
        "\nDemo complete: {} backups sealed at home were opened at the embassy after the home site was lost,\n\
         with the key rebuilt from the shares of {}. The damaged share was named and refused.\n\
         Transcript closing digest: {}\n                           {}\n",
        outcome.archives_checked,
        outcome.accepted.join(", "),
        hex_groups(&outcome.closing_digest),
        pgp_words(&outcome.closing_digest),
    ));
    Ok(())
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  custody rotate --manifest ee-registries/manifest.json --hsm URI --archives /srv/embassy/archives \\\n      ee-registries/shares/cio.share ee-registries/shares/justice.share ee-registries/shares/ria.share\n\nA quorum authorizes; every official then chooses a passphrase for their new share and verifies it.\nArchives are rewrapped in place (headers only); --archives is walked recursively and may be given\nseveral times; symbolic links are never followed (they are reported). The old key is destroyed only\nwhen every archive found is on the new epoch: otherwise the run stops, names each archive left, and\nkeeps the old key; fix or restore them and run again, or abandon one on purpose with --leave PATH.\nInterrupted? Run the same command again: it resumes."
)]
pub struct RotateArgs {
    /// The domain's manifest.json.
    #[arg(long, value_name = "MANIFEST")]
    manifest: PathBuf,
    /// An enrolled token to move the new key onto (PKCS#11 URI); repeat for every enrolled token.
    #[arg(long = "hsm", value_name = "URI", required = true)]
    hsm: Vec<String>,
    /// Retire the enrolled token of this serial number (lost, or leaving service): the new key
    /// is not put on it and the new manifest no longer enrols it (recorded); repeat for more.
    #[arg(long = "retire-token", value_name = "SERIAL")]
    retire_token: Vec<String>,
    #[command(flatten)]
    trust: Trust,
    #[command(flatten)]
    passphrases: Passphrases,
    #[command(flatten)]
    remote: RemoteArgs,
    /// Current officials' share files authorizing the rotation (after the contributions, when
    /// --request is given).
    #[arg(required_unless_present = "request", value_name = "SHARE")]
    shares: Vec<PathBuf>,
    /// A directory of archives (*.custody) to rewrap, walked recursively without following
    /// symbolic links, or an object store (s3://BUCKET/PREFIX); repeat for more.
    #[arg(long, value_name = "DIR", required = true)]
    archives: Vec<PathBuf>,
    /// Abandon this archive on purpose if it cannot be rewrapped, so that the old key may still be
    /// destroyed (recorded in the transcript); repeat for more archives.
    #[arg(long, value_name = "PATH")]
    leave: Vec<PathBuf>,
    /// Keep the old key on the token for a grace period (destroy it with a later rotation).
    #[arg(long)]
    keep_old: bool,
    #[command(flatten)]
    kdf: KdfArgs,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    profile: ProfileArg,
}

#[derive(Serialize)]
struct RotateReport {
    epoch: u32,
    rewrapped: usize,
    already: usize,
    left: Vec<String>,
    skipped_links: Vec<String>,
    old_key_destroyed: bool,
    resumed: bool,
    manifest_digest: String,
    kcv: String,
    transcript_closing_digest: String,
    /// Each store's catalog head after the rotation.
    catalog_heads: Vec<CatalogHeadReport>,
}

/// A store's catalog head, in a report.
#[derive(Debug, Serialize)]
struct CatalogHeadReport {
    store: String,
    head: String,
    archives: u64,
}

pub fn run_rotate(args: &RotateArgs) -> Result<(), Failure> {
    args.profile.select();
    let request = RotateRequest {
        manifest: args.manifest.clone(),
        targets: parse_uris(&args.hsm)?,
        retire: args.retire_token.clone(),
        shares: args.shares.clone(),
        archives: args.archives.clone(),
        leave: args.leave.clone(),
        keep_old: args.keep_old,
        kdf: args.kdf.params()?,
        expect: args.trust.expected(),
        new_transcript: args.trust.new_transcript(),
        remote: args.remote.offer(Purpose::Rotate),
    };
    let mut attendant = args.passphrases.attendant(args.json);
    let outcome = rotate(&request, &mut attendant)?;
    let named = |list: &[(PathBuf, String)]| -> Vec<String> {
        list.iter()
            .map(|(file, reason)| format!("{}: {reason}", file.display()))
            .collect()
    };
    let report = RotateReport {
        epoch: outcome.epoch,
        rewrapped: outcome.rewrapped,
        already: outcome.already,
        left: named(&outcome.left),
        skipped_links: named(&outcome.skipped),
        old_key_destroyed: outcome.old_key_destroyed,
        resumed: outcome.resumed,
        manifest_digest: outcome.manifest_digest.to_string(),
        kcv: outcome.kcv.to_string(),
        transcript_closing_digest: hex::encode(outcome.closing_digest),
        catalog_heads: outcome
            .catalog_heads
            .iter()
            .map(|(store, head)| CatalogHeadReport {
                store: store.clone(),
                head: head.to_string(),
                archives: head.archives,
            })
            .collect(),
    };
    if args.json {
        return print_json(&report);
    }
    print(&rotate_text(&report));
    print(&format!(
        "\nRead aloud and write on the signed ceremony sheet:\n\
         manifest digest    {grouped}\n                   {words}\n\
         key check value    {kcv} ({kcv_words}), the new key\n\
         transcript closing {closing}\n                   {closing_words}\n",
        grouped = hex_groups(outcome.manifest_digest.as_bytes()),
        words = pgp_words(outcome.manifest_digest.as_bytes()),
        kcv = report.kcv,
        kcv_words = pgp_words(outcome.kcv.as_bytes()),
        closing = hex_groups(&outcome.closing_digest),
        closing_words = pgp_words(&outcome.closing_digest),
    ));
    for (store, head) in &outcome.catalog_heads {
        print(&format!(
            "catalog head       {}\n                   {}\n                   of {store} ({})\n",
            head.hex(),
            head.words(),
            counted(head.archives, "archive", "archives")
        ));
    }
    Ok(())
}

/// The closing words of a rotation: counts, then every archive left and link skipped by path.
fn rotate_text(report: &RotateReport) -> String {
    let list = |title: &str, items: &[String]| {
        if items.is_empty() {
            String::new()
        } else {
            format!("{title}:\n  {}\n", items.join("\n  "))
        }
    };
    format!(
        "\nRotation to epoch {} complete{}: {} archives rewrapped, {} already rewrapped, {} left, {} links skipped; the old key was {}.\n\
         {}{}\
         Distribute the new manifest; the officials' new share files are in shares/, the old ones and the old canary in history/ (custody audit lists it).\n",
        report.epoch,
        if report.resumed { " (resumed)" } else { "" },
        report.rewrapped,
        report.already,
        report.left.len(),
        report.skipped_links.len(),
        if report.old_key_destroyed { "destroyed" } else { "kept (--keep-old)" },
        list("Archives left (not on the new epoch)", &report.left),
        list("Skipped (symbolic links are never followed)", &report.skipped_links),
    )
}

pub(super) fn parse_uri(text: &str) -> Result<Pkcs11Uri, Failure> {
    let uri = text.parse()?;
    super::token::note_default_module(&uri);
    Ok(uri)
}

fn parse_uris(texts: &[String]) -> Result<Vec<Pkcs11Uri>, Failure> {
    texts.iter().map(|t| parse_uri(t)).collect()
}
