//! Rotation end to end through the binary on SoftHSM: every archive rewrapped without touching
//! its payload, the old key destroyed only at the end (or kept), archives of another domain
//! skipped, and crash injection — rotate killed with SIGKILL at random moments, after which every
//! archive still opens and a rerun completes. `CUSTODY_CRASH_TRIALS=50 cargo test --test
//! cli_rotate` runs the full 50 trials; the suite runs a few.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::{OwnSoftHsm, TestToken, TINY_KDF};

const OFFICIALS: [&str; 5] = [
    "cio",
    "justice",
    "ria",
    "president-office",
    "auditor-general",
];

/// A domain with sealed archives on its own SoftHSM.
struct Estate {
    hsm: OwnSoftHsm,
    home: TestToken,
    pdir: PathBuf,
    archives: PathBuf,
}

impl Estate {
    fn new(archives: usize) -> Self {
        let hsm = OwnSoftHsm::new();
        let home = hsm.token("home");
        let pdir = hsm.dir().join("pdir");
        std::fs::create_dir(&pdir).unwrap();
        let officials = hsm.dir().join("officials.toml");
        let mut toml = String::new();
        for id in OFFICIALS {
            toml += &format!(
                "[[official]]\nid = \"{id}\"\nname = \"Official {id}\"\nrole = \"Role\"\n\n"
            );
            common::write_private(
                &pdir.join(format!("{id}.pass")),
                format!("amber {id} lantern orbit seventeen"),
            );
        }
        std::fs::write(&officials, toml).unwrap();
        let estate = Self {
            archives: hsm.dir().join("archives"),
            hsm,
            home,
            pdir,
        };
        std::fs::create_dir(&estate.archives).unwrap();
        let dir = estate.dir();
        let mut args = vec![
            "genesis",
            "--domain",
            "ee-registries",
            "--threshold",
            "3",
            "--officials",
        ];
        let officials = officials.display().to_string();
        let (uri, out, pdir) = (
            estate.home.uri.to_string(),
            dir.display().to_string(),
            estate.pdir.display().to_string(),
        );
        args.extend([
            officials.as_str(),
            "--hsm",
            &uri,
            "--out",
            &out,
            "--passphrases",
            &pdir,
        ]);
        args.extend(TINY_KDF);
        assert!(estate.custody(&args).status.success());
        let inputs: Vec<String> = (0..archives)
            .map(|i| estate.original(i).display().to_string())
            .collect();
        for (i, input) in inputs.iter().enumerate() {
            std::fs::write(input, content(i)).unwrap();
        }
        let manifest = estate.manifest_str();
        let archives_dir = estate.archives.display().to_string();
        let mut args = vec![
            "seal",
            "--manifest",
            &manifest,
            "--hsm",
            &uri,
            "--out-dir",
            &archives_dir,
        ];
        args.extend(inputs.iter().map(String::as_str));
        let sealed = estate.custody(&args);
        assert!(
            sealed.status.success(),
            "{}",
            String::from_utf8_lossy(&sealed.stderr)
        );
        estate
    }

    fn dir(&self) -> PathBuf {
        self.hsm.dir().join("ee-registries")
    }

    /// Three officials' share files in the domain directory's `shares` folder.
    fn quorum(&self, shares: &str) -> Vec<PathBuf> {
        ["cio", "ria", "justice"]
            .iter()
            .map(|id| self.dir().join(shares).join(format!("{id}.share")))
            .collect()
    }

    fn manifest_str(&self) -> String {
        self.dir().join("manifest.json").display().to_string()
    }

    /// SoftHSM's metadata file of the home token (the only token of the estate).
    fn token_object(&self) -> PathBuf {
        let tokens = self.hsm.dir().join("tokens");
        let token = std::fs::read_dir(tokens).unwrap().next().unwrap().unwrap();
        token.path().join("token.object")
    }

    fn original(&self, i: usize) -> PathBuf {
        self.hsm.dir().join(format!("registry-{i}.csv"))
    }

    fn archive(&self, i: usize) -> PathBuf {
        self.archives.join(format!("registry-{i}.csv.custody"))
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_custody"));
        command
            .env("SOFTHSM2_CONF", self.home.softhsm_conf())
            .args(args);
        command
    }

    fn custody(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    fn rotate_args(&self, extra: &[&str]) -> Vec<String> {
        let dir = self.dir();
        let mut args: Vec<String> = vec![
            "rotate".into(),
            "--manifest".into(),
            self.manifest_str(),
            "--hsm".into(),
            self.home.uri.to_string(),
            "--passphrases".into(),
            self.pdir.display().to_string(),
            "--archives".into(),
            self.archives.display().to_string(),
        ];
        args.extend(TINY_KDF.iter().map(|s| (*s).to_owned()));
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        for id in ["cio", "ria", "justice"] {
            args.push(
                dir.join("shares")
                    .join(format!("{id}.share"))
                    .display()
                    .to_string(),
            );
        }
        args
    }

    /// Rotation arguments offering every share file each official of the quorum may hold after an
    /// interrupted run — the old one, wherever publication left it, and the new one, staged or
    /// published — as officials who kept both would: the quorum of the manifest in force
    /// accepts its own and refuses the others.
    fn resume_args(&self) -> Vec<String> {
        let mut args = self.rotate_args(&[]);
        let dir = self.dir();
        let retired = common::superseded_shares(&dir, 0);
        for id in ["cio", "ria", "justice"] {
            for place in [&retired, ".rotation-e2/shares"] {
                let file = dir.join(place).join(format!("{id}.share"));
                args.push(file.display().to_string());
            }
        }
        args
    }

    fn rotate(&self, extra: &[&str]) -> Output {
        let args = self.rotate_args(extra);
        self.custody(&args.iter().map(String::as_str).collect::<Vec<_>>())
    }

    /// Opens archive `i` (with whichever key its header names) and compares it with the original.
    fn opens(&self, i: usize) -> Result<(), String> {
        self.opens_file(&self.archive(i), i)
    }

    fn opens_file(&self, archive: &Path, i: usize) -> Result<(), String> {
        let out = self.hsm.dir().join(format!("opened-{i}"));
        let _ = std::fs::remove_file(&out);
        let run = self.custody(&[
            "open",
            "--hsm",
            &self.home.uri.to_string(),
            archive.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]);
        if !run.status.success() {
            return Err(String::from_utf8_lossy(&run.stderr).into_owned());
        }
        let same = std::fs::read(&out).unwrap() == content(i);
        std::fs::remove_file(&out).unwrap();
        same.then_some(())
            .ok_or_else(|| format!("archive {i} opened to different bytes"))
    }
}

fn content(i: usize) -> Vec<u8> {
    (0..(i * 7_001 % 50_000 + 10))
        .map(|n| ((n * 31 + i) % 256) as u8)
        .collect()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn rotation_rewraps_every_archive_and_destroys_the_old_key_at_the_end() {
    let estate = Estate::new(6);
    let old = custody::domain::Manifest::load(&estate.dir().join("manifest.json")).unwrap();
    let kept = estate.hsm.dir().join("epoch-1-copy.custody");
    std::fs::copy(estate.archive(0), &kept).unwrap();
    let run = estate.rotate(&[]);
    assert!(
        run.status.success(),
        "{}{}",
        text(&run.stdout),
        text(&run.stderr)
    );
    assert!(
        text(&run.stdout).contains("6 archives rewrapped"),
        "{}",
        text(&run.stdout)
    );
    for i in 0..6 {
        estate.opens(i).unwrap();
        let inspect = estate.custody(&["inspect", "--json", estate.archive(i).to_str().unwrap()]);
        assert!(
            text(&inspect.stdout).contains("\"epoch\": 2"),
            "{}",
            text(&inspect.stdout)
        );
    }
    let stale = estate.opens_file(&kept, 0).unwrap_err();
    assert!(stale.contains("custody:ee-registries:e1"), "{stale}");
    let audit = estate.custody(&["audit", estate.dir().to_str().unwrap()]);
    assert!(audit.status.success(), "{}", text(&audit.stderr));
    // Issue 13, finding 7: the old set and canary are kept in history/, under FORMAT.md's names.
    let retired = common::superseded_shares(&estate.dir(), 0);
    assert!(estate.dir().join(&retired).join("cio.share").is_file());
    assert!(estate.dir().join("history/canary-e1.custody").is_file());
    // Issue 13, finding 7: a finished rotation leaves no staging or other empty directory behind.
    assert!(!estate.dir().join(".rotation-e2").exists());
    assert_eq!(
        common::empty_directories(&estate.dir()),
        Vec::<String>::new()
    );
    // The read-aloud digests, as genesis and reshare print them (issue 13).
    let stdout = text(&run.stdout);
    let new_digest = custody::domain::Manifest::load(&estate.dir().join("manifest.json"))
        .unwrap()
        .digest();
    assert!(
        stdout.contains("Read aloud and write on the signed ceremony sheet:")
            && stdout.contains(&custody::readout::hex_groups(new_digest.as_bytes())),
        "{stdout}"
    );
    // Genesis signed with the epoch 1 key, the rotation's close with the new epoch's key.
    let new = custody::domain::Manifest::load(&estate.dir().join("manifest.json")).unwrap();
    let keys = [
        (
            1,
            common::rebuild_key(&old, &estate.quorum(&retired), &estate.pdir),
        ),
        (
            2,
            common::rebuild_key(&new, &estate.quorum("shares"), &estate.pdir),
        ),
    ];
    let transcript = estate.dir().join("transcript.jsonl");
    let report = common::check_signed(&transcript, &keys).unwrap();
    let signed: Vec<_> = report
        .signed
        .iter()
        .map(|s| (s.ceremony.as_str(), s.epoch))
        .collect();
    assert_eq!(signed, [("genesis", 1), ("rotate", 2)]);
    assert_eq!(report.unsigned_after, 0);
}

#[test]
fn keep_old_leaves_the_previous_epoch_openable() {
    let estate = Estate::new(2);
    let kept = estate.hsm.dir().join("epoch-1-copy.custody");
    std::fs::copy(estate.archive(1), &kept).unwrap();
    let run = estate.rotate(&["--keep-old"]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    estate.opens_file(&kept, 1).unwrap();
    estate.opens(1).unwrap();
}

#[test]
fn an_archive_of_another_domain_keeps_the_old_key_until_it_is_left_on_purpose() {
    let estate = Estate::new(2);
    let other = estate.hsm.token("other");
    let out = estate.hsm.dir().join("ee-business");
    let officials = estate
        .hsm
        .dir()
        .join("officials.toml")
        .display()
        .to_string();
    let mut args = vec![
        "genesis",
        "--domain",
        "ee-business",
        "--threshold",
        "2",
        "--officials",
        &officials,
    ];
    let (uri, out_s, pdir) = (
        other.uri.to_string(),
        out.display().to_string(),
        estate.pdir.display().to_string(),
    );
    args.extend(["--hsm", &uri, "--out", &out_s, "--passphrases", &pdir]);
    args.extend(TINY_KDF);
    assert!(estate.custody(&args).status.success());
    let input = estate.hsm.dir().join("business.json");
    std::fs::write(&input, b"{\"register\":\"business\"}").unwrap();
    let manifest = out.join("manifest.json").display().to_string();
    let foreign = estate
        .archives
        .join("business.json.custody")
        .display()
        .to_string();
    let sealed = estate.custody(&[
        "seal",
        "--manifest",
        &manifest,
        "--hsm",
        &uri,
        input.to_str().unwrap(),
        "-o",
        &foreign,
    ]);
    assert!(sealed.status.success(), "{}", text(&sealed.stderr));
    // An archive of another domain is left: it stops the old key's destruction, named by path,
    // until it is moved out or left on purpose.
    let run = estate.rotate(&[]);
    let stderr = text(&run.stderr);
    assert!(!run.status.success(), "{}", text(&run.stdout));
    assert!(
        stderr.contains(&foreign) && stderr.contains("belongs to domain ee-business"),
        "{stderr}"
    );
    let run = estate.rotate(&["--leave", &foreign]);
    let stdout = text(&run.stdout);
    assert!(run.status.success(), "{stdout}{}", text(&run.stderr));
    assert!(
        stdout.contains("1 left") && stdout.contains(&foreign),
        "{stdout}"
    );
    assert!(
        stdout.contains("0 archives rewrapped, 2 already"),
        "{stdout}"
    );
}

#[test]
fn rotation_with_too_few_shares_is_refused_and_changes_nothing() {
    let estate = Estate::new(1);
    let before = std::fs::read(estate.dir().join("manifest.json")).unwrap();
    let mut args = estate.rotate_args(&[]);
    args.pop();
    let run = estate.custody(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(!run.status.success());
    assert!(
        text(&run.stderr).contains("1 more is needed"),
        "{}",
        text(&run.stderr)
    );
    assert_eq!(
        std::fs::read(estate.dir().join("manifest.json")).unwrap(),
        before
    );
    estate.opens(0).unwrap();
}

/// Regression (found by the crash trials): a run stopped after destroying the old key but before
/// removing its journal left a rerun failing on the missing old key. Putting a finished
/// rotation's journal back gives exactly that state.
#[test]
fn a_rotation_stopped_after_destroying_the_old_key_resumes_to_completion() {
    let estate = Estate::new(3);
    let manifest = estate.dir().join("manifest.json");
    let old = custody::domain::Manifest::load(&manifest).unwrap();
    let (old_key_id, old_wrap_check) = (old.key_id().to_string(), old.wrap_check().to_string());
    let run = estate.rotate(&[]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let published = custody::domain::Manifest::load(&manifest).unwrap();
    let quorum: Vec<PathBuf> = ["cio", "ria", "justice"]
        .iter()
        .map(|id| estate.dir().join(format!("shares/{id}.share")))
        .collect();
    let new_key = common::rebuild_key(&published, &quorum, &estate.pdir);
    let facts = [
        1u32.to_be_bytes().as_slice(),
        &hex::decode(&old_key_id).unwrap(),
        &hex::decode(&old_wrap_check).unwrap(),
        published.digest().as_bytes(),
    ]
    .concat();
    let journal = serde_json::json!({
        "from_epoch": 1,
        "from_key_id": old_key_id,
        "from_wrap_check": old_wrap_check,
        "new_manifest": std::fs::read_to_string(&manifest).unwrap(),
        // Published: the quorum of the manifest in force checks the new key's seal only.
        "sealed_by_old_key": "00".repeat(32),
        "sealed_by_new_key": common::quorum_seal(&new_key, b"custody/rotation-journal/v1", &facts),
    });
    let journal_path = estate.dir().join("rotation.journal.json");
    std::fs::write(&journal_path, journal.to_string()).unwrap();
    let rerun = estate.rotate(&[]);
    assert!(
        rerun.status.success(),
        "{}{}",
        text(&rerun.stdout),
        text(&rerun.stderr)
    );
    assert!(
        text(&rerun.stdout).contains("resuming"),
        "{}",
        text(&rerun.stdout)
    );
    assert!(!journal_path.exists());
    for i in 0..3 {
        estate.opens(i).unwrap();
    }
    // The resumed run's quorum rebuilt the key of the manifest in force, the new epoch's, and
    // signed its close with it.
    let keys = [
        (
            1,
            common::rebuild_key(
                &old,
                &estate.quorum(&common::superseded_shares(&estate.dir(), 0)),
                &estate.pdir,
            ),
        ),
        (2, new_key),
    ];
    let transcript = estate.dir().join("transcript.jsonl");
    let report = common::check_signed(&transcript, &keys).unwrap();
    let signed: Vec<_> = report
        .signed
        .iter()
        .map(|s| (s.ceremony.as_str(), s.epoch))
        .collect();
    assert_eq!(signed, [("genesis", 1), ("rotate", 2), ("rotate", 2)]);
}

/// A run that resumes a rotation stopped before its new manifest was published holds only the key
/// its quorum rebuilt, the old epoch's (the new key is on the token alone): it signs the
/// rotation's close with that key, and records epoch 1.
#[test]
fn a_rotation_resumed_before_publication_signs_its_close_with_the_old_epochs_key() {
    let estate = Estate::new(2);
    let dir = estate.dir();
    let manifest = dir.join("manifest.json");
    let (old, old_text) = (
        custody::domain::Manifest::load(&manifest).unwrap(),
        std::fs::read_to_string(&manifest).unwrap(),
    );
    let old_key = common::rebuild_key(&old, &estate.quorum("shares"), &estate.pdir);
    let transcript = dir.join("transcript.jsonl");
    let before = std::fs::read(&transcript).unwrap();
    // A whole rotation keeping the old key on the token, then put back as a run stopped just
    // before publication leaves it: the old manifest and shares in force, the new shares staged,
    // the journal sealed by the old key, the transcript as it was.
    let run = estate.rotate(&["--keep-old"]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let (new, new_text) = (
        custody::domain::Manifest::load(&manifest).unwrap(),
        std::fs::read_to_string(&manifest).unwrap(),
    );
    let new_key = common::rebuild_key(&new, &estate.quorum("shares"), &estate.pdir);
    std::fs::create_dir_all(dir.join(".rotation-e2")).unwrap();
    std::fs::rename(dir.join("shares"), dir.join(".rotation-e2/shares")).unwrap();
    std::fs::rename(
        dir.join(common::superseded_shares(&dir, 0)),
        dir.join("shares"),
    )
    .unwrap();
    std::fs::write(&manifest, &old_text).unwrap();
    std::fs::write(&transcript, &before).unwrap();
    // Before publication the new manifest is not yet kept in chain/, and the token has not yet
    // recorded its position (this test's token held position 0 then; without a record it checks
    // nothing, as with it).
    std::fs::remove_file(dir.join("chain/000001.json")).unwrap();
    common::delete_chain_record(&estate.home, "ee-registries");
    // Not published: the quorum of the manifest in force checks the old key's seal only.
    write_journal_sealed_by_old_key(&dir, &old, &old_key, &new_text);

    let rerun = estate.rotate(&[]);
    assert!(
        rerun.status.success(),
        "{}{}",
        text(&rerun.stdout),
        text(&rerun.stderr)
    );
    assert!(
        text(&rerun.stdout).contains("resuming"),
        "{}",
        text(&rerun.stdout)
    );
    let report = common::check_signed(&transcript, &[(1, old_key), (2, new_key)]).unwrap();
    let signed: Vec<_> = report
        .signed
        .iter()
        .map(|s| (s.ceremony.as_str(), s.epoch))
        .collect();
    assert_eq!(signed, [("genesis", 1), ("rotate", 1)]);
    assert_eq!(report.unsigned_after, 0);
    let audit = estate.custody(&["audit", dir.to_str().unwrap()]);
    assert!(audit.status.success(), "{}", text(&audit.stderr));
}

#[test]
fn rotate_killed_at_random_moments_never_loses_an_archive_and_resumes() {
    let trials: usize = std::env::var("CUSTODY_CRASH_TRIALS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(4);
    const ARCHIVES: usize = 8;
    for trial in 0..trials {
        let estate = Estate::new(ARCHIVES);
        let manifest = estate.dir().join("manifest.json");
        let old = custody::domain::Manifest::load(&manifest).unwrap();
        let token_object = estate.token_object();
        let token_metadata = std::fs::read(&token_object).unwrap();
        let args = estate.rotate_args(&[]);
        let mut child = estate
            .command(&args.iter().map(String::as_str).collect::<Vec<_>>())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        std::thread::sleep(Duration::from_millis(u64::from(nanos % 400)));
        let _ = child.kill();
        child.wait().unwrap();
        // SoftHSM rewrites its token.object in place at every login; a kill inside that write
        // leaves it cut short and the token invisible to SoftHSM itself (hsm/README.md). That file
        // holds the token's label, PIN hashes and flags, never a key (each key is an object file
        // of its own), so putting back the copy from before the run repairs SoftHSM's store
        // without touching anything custody wrote.
        if std::fs::read(&token_object).unwrap().len() < token_metadata.len() {
            std::fs::write(&token_object, &token_metadata).unwrap();
        }
        for i in 0..ARCHIVES {
            estate.opens(i).unwrap_or_else(|e| {
                panic!("trial {trial}: archive {i} does not open after the kill: {e}")
            });
        }
        let args = estate.resume_args();
        let rerun = estate.custody(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(
            rerun.status.success(),
            "trial {trial}: the rerun failed: {}{}",
            text(&rerun.stdout),
            text(&rerun.stderr)
        );
        for i in 0..ARCHIVES {
            estate
                .opens(i)
                .unwrap_or_else(|e| panic!("trial {trial}: archive {i} after the rerun: {e}"));
        }
        let audit = estate.custody(&["audit", estate.dir().to_str().unwrap()]);
        assert!(
            audit.status.success(),
            "trial {trial}: {}",
            text(&audit.stderr)
        );
        // The run that closed the rotation signed it with the key it held: the new epoch's, or
        // the old epoch's that a resuming quorum rebuilt before publication. (Killed after the
        // rotation completed, the rerun is a second rotation, to epoch 3, and the epoch 2
        // manifest its keys would be rebuilt with is gone.)
        let new = custody::domain::Manifest::load(&manifest).unwrap();
        if new.epoch() == 2 {
            let keys = [
                (
                    1,
                    common::rebuild_key(
                        &old,
                        &estate.quorum(&common::superseded_shares(&estate.dir(), 0)),
                        &estate.pdir,
                    ),
                ),
                (
                    2,
                    common::rebuild_key(&new, &estate.quorum("shares"), &estate.pdir),
                ),
            ];
            let report = common::check_signed(&estate.dir().join("transcript.jsonl"), &keys)
                .unwrap_or_else(|e| panic!("trial {trial}: {e}"));
            assert_eq!(report.signed.last().unwrap().ceremony, "rotate");
        }
    }
}

/// Issue 12, attack 1: an operator with the token PIN and write access to the domain directory
/// plants a rotation journal whose new manifest is their own domain's epoch 2 (same domain name),
/// places their epoch-2 key on the victim's token under the expected label (by unlocking their
/// own domain into it), and runs `custody rotate` — first with their own shares, then by waiting
/// for the genuine quorum's next rotation. Both runs are refused before anything is touched: no
/// key destroyed or imported, no archive rewritten, no manifest published.
#[test]
fn a_planted_rotation_journal_is_refused_without_and_with_the_genuine_quorum() {
    let estate = Estate::new(2);
    let (attacker, attacker_shares) = foreign_epoch_2_on_the_token(&estate);

    let dir = estate.dir();
    let victim = custody::domain::Manifest::load(&dir.join("manifest.json")).unwrap();
    let journal = serde_json::json!({
        "from_epoch": 1,
        "from_key_id": victim.key_id().to_string(),
        "from_wrap_check": victim.wrap_check().to_string(),
        "new_manifest": std::fs::read_to_string(attacker.join("manifest.json")).unwrap(),
        // The attacker cannot make the old key's seal: they hold no share of the victim domain.
        "sealed_by_old_key": "00".repeat(32),
        "sealed_by_new_key": "00".repeat(32),
    });
    std::fs::write(dir.join("rotation.journal.json"), journal.to_string()).unwrap();

    let tokens = estate.hsm.dir().join("tokens");
    let objects = || {
        common::names_in(&tokens)
            .iter()
            .map(|token| common::names_in(&tokens.join(token)))
            .collect::<Vec<_>>()
    };
    let snapshot = || {
        let files = |d: &Path| {
            common::names_in(d)
                .into_iter()
                .map(|n| (n.clone(), std::fs::read(d.join(&n)).unwrap_or_default()))
                .collect::<Vec<_>>()
        };
        (files(&dir), files(&estate.archives), objects())
    };
    let before = snapshot();

    let mut args = estate.rotate_args(&[]);
    let victim_shares = args.split_off(args.len() - 3);
    args.extend(attacker_shares.iter().cloned());
    let run = estate.custody(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(!run.status.success(), "{}", text(&run.stdout));
    let stderr = text(&run.stderr);
    // The journal's new manifest is not signed by the victim's key: refused before any quorum.
    let unsigned = "its new manifest cannot follow the manifest in force";
    assert!(
        stderr.contains(unsigned) && stderr.lines().count() <= 3,
        "{stderr}"
    );

    args.truncate(args.len() - 3);
    args.extend(victim_shares);
    let run = estate.custody(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(!run.status.success(), "{}", text(&run.stdout));
    let stderr = text(&run.stderr);
    assert!(stderr.contains(unsigned), "{stderr}");

    let after = snapshot();
    assert_eq!(before.1, after.1, "an archive was rewritten");
    assert_eq!(before.2, after.2, "a key was destroyed or imported");
    let changed: Vec<_> = before
        .0
        .iter()
        .zip(&after.0)
        .filter(|(b, a)| b != a)
        .map(|(b, _)| b.0.clone())
        .collect();
    assert_eq!(before.0.len(), after.0.len());
    assert!(changed.is_empty(), "nothing changed, but {changed:?} did");
    for i in 0..2 {
        estate.opens(i).unwrap();
    }
}

/// Another domain of the same name, taken to epoch 2 on a token of its own, whose epoch-2 key is
/// then unlocked into the estate's token — under the label and id a rotation of the estate to
/// epoch 2 would use. Returns its directory and a quorum of its share files.
fn foreign_epoch_2_on_the_token(estate: &Estate) -> (PathBuf, Vec<String>) {
    let attacker = estate.hsm.dir().join("attacker");
    let attacker_token = estate.hsm.token("attacker");
    let (uri, pdir) = (
        attacker_token.uri.to_string(),
        estate.pdir.display().to_string(),
    );
    let officials = estate.hsm.dir().join("officials.toml");
    let mut args = vec!["genesis", "--domain", "ee-registries", "--threshold", "3"];
    let (officials, out) = (
        officials.display().to_string(),
        attacker.display().to_string(),
    );
    args.extend(["--officials", &officials, "--hsm", &uri, "--out", &out]);
    args.extend(["--passphrases", &pdir]);
    args.extend(TINY_KDF);
    assert!(estate.custody(&args).status.success());
    let attacker_manifest = attacker.join("manifest.json").display().to_string();
    let attacker_shares: Vec<String> = ["cio", "ria", "justice"]
        .iter()
        .map(|id| {
            attacker
                .join(format!("shares/{id}.share"))
                .display()
                .to_string()
        })
        .collect();
    let empty = estate.hsm.dir().join("attacker-archives");
    std::fs::create_dir(&empty).unwrap();
    let mut args = vec!["rotate", "--manifest", &attacker_manifest, "--hsm", &uri];
    let empty = empty.display().to_string();
    args.extend(["--archives", &empty, "--passphrases", &pdir]);
    args.extend(TINY_KDF);
    args.extend(attacker_shares.iter().map(String::as_str));
    let own = estate.custody(&args);
    assert!(own.status.success(), "{}", text(&own.stderr));
    // The victim's token refuses another domain of the same id: the PIN holder deletes its chain
    // record first, with the token's own tools.
    common::delete_chain_record(&estate.home, "ee-registries");
    let victim_uri = estate.home.uri.to_string();
    let mut args = vec![
        "unlock",
        "--manifest",
        &attacker_manifest,
        "--hsm",
        &victim_uri,
    ];
    args.extend(["--passphrases", &pdir]);
    args.extend(attacker_shares.iter().map(String::as_str));
    let planted = estate.custody(&args);
    assert!(planted.status.success(), "{}", text(&planted.stderr));
    // ... and deletes the record the unlock left, which would name the attacker's domain.
    common::delete_chain_record(&estate.home, "ee-registries");
    (attacker, attacker_shares)
}

/// A resume whose new share files are gone before its manifest is published is refused:
/// publishing would put in force a key no official holds a share of. The journal is sealed by the
/// domain's own key, as a quorum's would be, and a key of its new epoch is on the token; only
/// `.rotation-e2/shares/` is missing. Before, the resume published the manifest anyway.
#[test]
fn a_resume_whose_new_shares_are_gone_before_publication_is_refused() {
    let estate = Estate::new(1);
    let (other, _) = foreign_epoch_2_on_the_token(&estate);
    let dir = estate.dir();
    let manifest_path = dir.join("manifest.json");
    let manifest = custody::domain::Manifest::load(&manifest_path).unwrap();
    let quorum: Vec<PathBuf> = ["cio", "ria", "justice"]
        .iter()
        .map(|id| dir.join(format!("shares/{id}.share")))
        .collect();
    let old_key = common::rebuild_key(&manifest, &quorum, &estate.pdir);
    // The other domain's epoch-2 manifest made into the next link of this domain's chain and
    // signed with this domain's rebuilt key, as a genuine quorum's rotation would have.
    let mut value: serde_json::Value =
        serde_json::from_slice(&std::fs::read(other.join("manifest.json")).unwrap()).unwrap();
    value["chain_position"] = serde_json::json!(1);
    value["previous"] = serde_json::json!(manifest.digest().to_string());
    value["domain_fingerprint"] = serde_json::json!(manifest.domain_fingerprint().to_string());
    let current: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
    value["tokens"] = current["tokens"].clone();
    let unsigned = custody::domain::Manifest::parse(&serde_json::to_vec(&value).unwrap()).unwrap();
    let mut key_bytes = old_key;
    let domain_key = custody::primitives::secret::DomainKey::from_bytes(&mut key_bytes);
    let signature = custody::primitives::signature::SigningKey::derive(&domain_key)
        .sign(
            custody::primitives::signature::Context::Manifest,
            unsigned.digest().as_bytes(),
        )
        .unwrap();
    value["signature"] = serde_json::json!(hex::encode(signature.as_bytes()));
    let new_text = serde_json::to_string_pretty(&value).unwrap();
    write_journal_sealed_by_old_key(&dir, &manifest, &old_key, &new_text);
    let before = std::fs::read(&manifest_path).unwrap();
    let run = estate.rotate(&[]);
    assert!(!run.status.success(), "{}", text(&run.stdout));
    assert!(
        text(&run.stderr).contains("the new epoch 2 share files are gone"),
        "{}",
        text(&run.stderr)
    );
    assert_eq!(std::fs::read(&manifest_path).unwrap(), before);
    estate.opens(0).unwrap();
}

/// Seals original `i` of the estate into `path` (its directories made first), under the manifest
/// in force.
/// A rotation journal from epoch 1 (`old`) to the manifest `new_text`, sealed by the old key as a
/// genuine quorum's would be (FORMAT.md 8.1); the new key's seal is left blank.
fn write_journal_sealed_by_old_key(
    dir: &Path,
    old: &custody::domain::Manifest,
    old_key: &[u8; 32],
    new_text: &str,
) {
    let new = custody::domain::Manifest::parse(new_text.as_bytes()).unwrap();
    let facts = [
        1u32.to_be_bytes().as_slice(),
        old.key_id().as_bytes(),
        old.wrap_check().as_bytes(),
        new.digest().as_bytes(),
    ]
    .concat();
    let journal = serde_json::json!({
        "from_epoch": 1,
        "from_key_id": old.key_id().to_string(),
        "from_wrap_check": old.wrap_check().to_string(),
        "new_manifest": new_text,
        "sealed_by_old_key": common::quorum_seal(old_key, b"custody/rotation-journal/v1", &facts),
        "sealed_by_new_key": "00".repeat(32),
    });
    std::fs::write(dir.join("rotation.journal.json"), journal.to_string()).unwrap();
}

fn seal_into(estate: &Estate, i: usize, path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let input = estate.original(i);
    if !input.exists() {
        std::fs::write(&input, content(i)).unwrap();
    }
    let sealed = estate.custody(&[
        "seal",
        "--manifest",
        &estate.manifest_str(),
        "--hsm",
        &estate.home.uri.to_string(),
        input.to_str().unwrap(),
        "-o",
        path.to_str().unwrap(),
    ]);
    assert!(sealed.status.success(), "{}", text(&sealed.stderr));
}

/// Issue 13, finding 1: an archive in a nested subdirectory is rewrapped, and opens after the old
/// key is destroyed.
#[test]
fn an_archive_in_a_nested_directory_is_rewrapped_before_the_old_key_is_destroyed() {
    let estate = Estate::new(1);
    let nested = estate
        .archives
        .join("2026")
        .join("jan")
        .join("deep.custody");
    seal_into(&estate, 7, &nested);
    let kept = estate.hsm.dir().join("epoch-1-copy.custody");
    std::fs::copy(&nested, &kept).unwrap();
    let run = estate.rotate(&["--json"]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    // With --json, stdout is the report alone (the room's announcements go to stderr).
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(report["rewrapped"], 2, "{report}");
    assert_eq!(report["old_key_destroyed"], true, "{report}");
    assert_eq!(report["left"].as_array().unwrap().len(), 0, "{report}");
    estate.opens_file(&nested, 7).unwrap();
    estate.opens(0).unwrap();
    // The old key is gone: an epoch 1 copy kept outside the tree no longer opens.
    let stale = estate.opens_file(&kept, 7).unwrap_err();
    assert!(stale.contains("custody:ee-registries:e1"), "{stale}");
}

/// Issue 13, finding 4: an archive whose wrapped key has one flipped byte stops the old key's
/// destruction and is named by path; every other archive is rewrapped; `--leave PATH` then lets
/// the resumed rotation finish, and the transcript records the archive left.
#[test]
fn a_damaged_archive_keeps_the_old_key_until_it_is_left_on_purpose() {
    let estate = Estate::new(2);
    let bad = estate.archives.join("copies").join("bad.custody");
    std::fs::create_dir(bad.parent().unwrap()).unwrap();
    let mut bytes = std::fs::read(estate.archive(0)).unwrap();
    // `wrapped_key` starts at 94 + D (FORMAT.md 7.2); D = 13 for ee-registries.
    bytes[94 + 13 + 3] ^= 0x01;
    std::fs::write(&bad, &bytes).unwrap();
    let kept = estate.hsm.dir().join("epoch-1-copy.custody");
    std::fs::copy(estate.archive(1), &kept).unwrap();

    let run = estate.rotate(&[]);
    assert!(!run.status.success(), "{}", text(&run.stdout));
    let stderr = text(&run.stderr);
    let bad_str = bad.display().to_string();
    assert!(
        stderr.contains(&bad_str) && stderr.contains("does not unwrap"),
        "{stderr}"
    );
    assert!(
        stderr.contains("--leave PATH") && stderr.contains("key is kept"),
        "{stderr}"
    );
    // The old key is still on the token; the good archives are already on the new epoch.
    estate.opens_file(&kept, 1).unwrap();
    for i in 0..2 {
        estate.opens(i).unwrap();
    }
    assert!(estate.dir().join("rotation.journal.json").exists());

    let run = estate.rotate(&["--leave", &bad_str]);
    let stdout = text(&run.stdout);
    assert!(run.status.success(), "{stdout}{}", text(&run.stderr));
    assert!(
        stdout.contains("resuming") && stdout.contains("1 left") && stdout.contains(&bad_str),
        "{stdout}"
    );
    assert!(stdout.contains("the old key was destroyed"), "{stdout}");
    assert!(estate.opens_file(&kept, 1).is_err());
    let transcript = std::fs::read_to_string(estate.dir().join("transcript.jsonl")).unwrap();
    let left: Vec<_> = transcript
        .lines()
        .filter(|l| l.contains("\"rotate.archive-left\""))
        .collect();
    assert_eq!(left.len(), 1, "{transcript}");
    assert!(
        left[0].contains("copies/bad.custody") && left[0].contains("does not unwrap"),
        "{}",
        left[0]
    );
    let audit = estate.custody(&["audit", estate.dir().to_str().unwrap()]);
    assert!(audit.status.success(), "{}", text(&audit.stderr));
}

/// A symbolic link to an archive outside the tree, and one to a directory outside it, are not
/// followed: the outside archive is not rewritten, and both links are reported.
#[test]
fn symbolic_links_are_not_followed_and_are_reported() {
    let estate = Estate::new(1);
    let outside = estate.hsm.dir().join("outside");
    let target = outside.join("elsewhere.custody");
    seal_into(&estate, 3, &target);
    let before = std::fs::read(&target).unwrap();
    let file_link = estate.archives.join("link.custody");
    let dir_link = estate.archives.join("more");
    std::os::unix::fs::symlink(&target, &file_link).unwrap();
    std::os::unix::fs::symlink(&outside, &dir_link).unwrap();
    // Links are not archives found: they do not hold the old key back, but each is named.
    let run = estate.rotate(&[]);
    let stdout = text(&run.stdout);
    assert!(run.status.success(), "{stdout}{}", text(&run.stderr));
    assert!(stdout.contains("1 archives rewrapped"), "{stdout}");
    assert!(stdout.contains("the old key was destroyed"), "{stdout}");
    assert!(stdout.contains("2 links skipped"), "{stdout}");
    for link in [&file_link, &dir_link] {
        let named = format!("{}: a symbolic link", link.display());
        assert!(stdout.contains(&named), "{stdout}");
    }
    assert!(stdout.contains("not followed"), "{stdout}");
    assert_eq!(
        std::fs::read(&target).unwrap(),
        before,
        "the link was followed"
    );
    assert!(std::fs::symlink_metadata(&file_link)
        .unwrap()
        .file_type()
        .is_symlink());
    estate.opens(0).unwrap();
}
