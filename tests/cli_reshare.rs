//! Reshare and revocation end to end through the `custody` binary on real SoftHSM tokens, in
//! scripted mode with tiny argon2 costs: a quorum of current officials hands the key to new
//! officials and a new threshold, the old set is revoked and refused by name, and a reshare that
//! fails — too few shares, or stopped before the new officials verified — changes nothing. A
//! reshare killed with SIGKILL at random moments leaves a consistent domain and a rerun completes
//! it; `CUSTODY_CRASH_TRIALS=50 cargo test --test cli_reshare` runs 50 trials, the suite a few.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod room;

use std::path::PathBuf;

use common::{names_in, quorum_seal, rebuild_key, TINY_KDF};
use room::{officials_toml, passphrase, Room, Run};

/// Two officials stay, one joins: a 2-of-3 set.
const NEW_OFFICIALS: [(&str, &str); 3] = [
    ("cio", "Government CIO"),
    ("ria", "Director of RIA"),
    ("state-ciso", "State CISO"),
];

const WARNING: &str = "revoked shares still rebuild the same key mathematically; if a share may \
                       be compromised, rotate the key (custody rotate)";

impl Room {
    fn new_officials(&self) -> PathBuf {
        let file = self.hsm.dir().join("new-officials.toml");
        std::fs::write(&file, officials_toml(&NEW_OFFICIALS)).unwrap();
        let pass = self.pdir.join("state-ciso.pass");
        common::write_private(&pass, passphrase("state-ciso"));
        file
    }

    fn reshare(&self, officials: &std::path::Path, threshold: &str, shares: &[String]) -> Run {
        let args = self.reshare_args(officials, threshold, shares);
        self.custody(&args.iter().map(String::as_str).collect::<Vec<_>>())
    }

    fn reshare_args(
        &self,
        officials: &std::path::Path,
        threshold: &str,
        shares: &[String],
    ) -> Vec<String> {
        let manifest = self.dir().join("manifest.json");
        let mut args: Vec<String> = [
            "reshare",
            "--manifest",
            manifest.to_str().unwrap(),
            "--officials",
            officials.to_str().unwrap(),
            "--threshold",
            threshold,
            "--reason",
            "justice minister retired",
            "--passphrases",
            self.pdir.to_str().unwrap(),
        ]
        .map(str::to_owned)
        .into();
        args.extend(TINY_KDF.map(str::to_owned));
        args.extend(shares.iter().cloned());
        args
    }

    fn manifest_bytes(&self) -> Vec<u8> {
        std::fs::read(self.dir().join("manifest.json")).unwrap()
    }

    fn set_id(&self) -> String {
        let manifest: serde_json::Value = serde_json::from_slice(&self.manifest_bytes()).unwrap();
        manifest["set_id"].as_str().unwrap().to_owned()
    }

    fn audit(&self) -> Run {
        self.custody(&["audit", self.dir().to_str().unwrap()])
    }

    /// The quorum's seal over the manifest in force, as a reshare writes it into its staging
    /// directory: the key rebuilt from the new officials' files in `shares/`.
    fn staging_seal(&self) -> String {
        let manifest = custody::domain::Manifest::load(&self.dir().join("manifest.json")).unwrap();
        let quorum = ["cio", "ria"].map(|id| self.dir().join(format!("shares/{id}.share")));
        let key = rebuild_key(&manifest, &quorum, &self.pdir);
        quorum_seal(
            &key,
            b"custody/reshare-staging/v1",
            manifest.digest().as_bytes(),
        )
    }

    /// Every share file the officials may hold after an interrupted reshare — the old set's,
    /// and the new set's, staged or moved in — as officials who kept both would offer them: the
    /// quorum of the manifest in force accepts its own and refuses the others.
    fn every_share_file(&self) -> Vec<String> {
        let staged = self.dir().join(".reshare-incomplete/shares");
        let mut files: Vec<String> = ["cio", "justice", "ria", "state-ciso"]
            .iter()
            .map(|id| self.share(id))
            .collect();
        files.extend(
            ["cio", "ria", "state-ciso"]
                .iter()
                .map(|id| staged.join(format!("{id}.share")).display().to_string()),
        );
        files
    }

    /// Nothing of a reshare is left in the domain directory.
    fn assert_untouched(&self, manifest: &[u8]) {
        assert_eq!(self.manifest_bytes(), manifest, "the manifest changed");
        assert!(!self.dir().join(".reshare-incomplete").exists());
        assert!(!self.dir().join("history").exists());
    }
}

#[test]
fn a_reshare_hands_the_key_to_new_officials_and_refuses_the_old_set_by_name() {
    let room = Room::new();
    room.genesis();
    let old_set = room.set_id();
    let officials = room.new_officials();
    let run = room.reshare(
        &officials,
        "2",
        &[room.share("cio"), room.share("justice"), room.share("ria")],
    );
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains(WARNING), "{}", run.stdout);
    assert!(run.stdout.contains("Reshare complete"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("state-ciso opened and verified their own share"),
        "{}",
        run.stdout
    );
    assert_ne!(room.set_id(), old_set);
    let manifest: serde_json::Value = serde_json::from_slice(&room.manifest_bytes()).unwrap();
    assert_eq!(manifest["threshold"], 2);
    assert_eq!(manifest["revoked_sets"][0]["set_id"], old_set.as_str());
    assert_eq!(
        manifest["revoked_sets"][0]["reason"],
        "justice minister retired"
    );

    // The old files are kept aside; the departed officials' are gone from shares/.
    let aside = room.dir().join(common::superseded_shares(&room.dir(), 0));
    for id in [
        "cio",
        "justice",
        "ria",
        "president-office",
        "auditor-general",
    ] {
        assert!(aside.join(format!("{id}.share")).is_file(), "{id}");
    }
    assert!(!std::path::Path::new(&room.share("justice")).exists());
    assert!(std::path::Path::new(&room.share("state-ciso")).is_file());
    // Issue 13, finding 7: kept in history/ under FORMAT.md 8.4's name, no empty directory left.
    assert_eq!(common::empty_directories(&room.dir()), Vec::<String>::new());
    let old = |id: &str| aside.join(format!("{id}.share")).display().to_string();

    let refused = room.unlock(&[old("justice"), old("cio"), old("ria")]);
    assert!(!refused.ok);
    let revoked = format!("official justice: this share belongs to set {old_set}, revoked on ");
    assert!(refused.stdout.contains(&revoked), "{}", refused.stdout);
    assert!(
        refused.stdout.contains(": justice minister retired"),
        "{}",
        refused.stdout
    );
    assert!(
        refused.stderr.contains("0 of 2 shares accepted"),
        "{}",
        refused.stderr
    );

    let verify = room.custody(&[
        "share",
        "verify",
        "--manifest",
        room.dir().join("manifest.json").to_str().unwrap(),
        &old("cio"),
        "--passphrase-file",
        room.pdir.join("cio.pass").to_str().unwrap(),
    ]);
    assert!(!verify.ok);
    assert!(
        verify
            .stderr
            .contains("official cio: this share belongs to set"),
        "{}",
        verify.stderr
    );
    assert!(
        verify.stderr.contains("rotate the key"),
        "{}",
        verify.stderr
    );

    let spare = room.hsm.token("spare");
    let unlocked = room.unlock_into(&spare, &[room.share("state-ciso"), room.share("cio")]);
    assert!(unlocked.ok, "{}{}", unlocked.stdout, unlocked.stderr);
    assert!(
        unlocked.stdout.contains("2 of 2 accepted"),
        "{}",
        unlocked.stdout
    );

    let inspect = room.custody(&[
        "inspect",
        room.dir().join("manifest.json").to_str().unwrap(),
    ]);
    assert!(inspect.ok, "{}", inspect.stderr);
    assert!(
        inspect
            .stdout
            .contains(&format!("revoked set    {old_set} (epoch 1) on ")),
        "{}",
        inspect.stdout
    );

    let audit = room.audit();
    assert!(audit.ok, "{}{}", audit.stdout, audit.stderr);
    assert!(audit.stdout.contains("reshare"), "{}", audit.stdout);
    assert!(
        audit
            .stdout
            .contains(&format!("revoked set {old_set} (epoch 1)")),
        "{}",
        audit.stdout
    );
    // The reshare signed its close with the quorum's key, the same key the new set rebuilds; the
    // unlock refused for want of shares never held it and signed nothing.
    assert_eq!(
        signed_ceremonies(&room, &["state-ciso", "cio"]),
        ["genesis", "reshare", "unlock"]
    );
}

/// The ceremonies whose signature verifies under the domain key, rebuilt from `quorum`'s share
/// files in `shares/` with the manifest in force; every signature in the transcript must.
fn signed_ceremonies(room: &Room, quorum: &[&str]) -> Vec<String> {
    let manifest = custody::domain::Manifest::load(&room.dir().join("manifest.json")).unwrap();
    let shares: Vec<PathBuf> = quorum
        .iter()
        .map(|id| PathBuf::from(room.share(id)))
        .collect();
    let key = rebuild_key(&manifest, &shares, &room.pdir);
    let transcript = room.dir().join("transcript.jsonl");
    let report = common::check_signed(&transcript, &[(1, key)]).unwrap();
    report.signed.into_iter().map(|s| s.ceremony).collect()
}

#[test]
fn a_drill_after_a_reshare_still_opens_the_genesis_canary() {
    let room = Room::new();
    room.genesis();
    let officials = room.new_officials();
    let run = room.reshare(
        &officials,
        "2",
        &[
            room.share("ria"),
            room.share("auditor-general"),
            room.share("cio"),
        ],
    );
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    let manifest = room.dir().join("manifest.json").display().to_string();
    let drill = room.custody(&[
        "drill",
        "--manifest",
        &manifest,
        "--passphrases",
        room.pdir.to_str().unwrap(),
        &room.share("ria"),
        &room.share("state-ciso"),
    ]);
    assert!(drill.ok, "{}{}", drill.stdout, drill.stderr);
    assert!(drill.stdout.contains("DRILL PASSED"), "{}", drill.stdout);
    let audit = room.audit();
    assert!(audit.ok, "{}{}", audit.stdout, audit.stderr);
}

#[test]
fn a_reshare_with_one_share_too_few_changes_nothing() {
    let room = Room::new();
    room.genesis();
    let before = room.manifest_bytes();
    let officials = room.new_officials();
    let run = room.reshare(&officials, "2", &[room.share("cio"), room.share("ria")]);
    assert!(!run.ok);
    assert!(
        run.stderr
            .contains("2 of 3 shares accepted: 1 more is needed"),
        "{}",
        run.stderr
    );
    room.assert_untouched(&before);
    let audit = room.audit();
    assert!(audit.ok, "{}{}", audit.stdout, audit.stderr);
}

#[test]
fn a_reshare_stopped_before_the_new_officials_verify_leaves_the_old_set_in_force() {
    let room = Room::new();
    room.genesis();
    let before = room.manifest_bytes();
    let officials = room.new_officials();
    std::fs::remove_file(room.pdir.join("state-ciso.pass")).unwrap();
    let run = room.reshare(
        &officials,
        "2",
        &[room.share("cio"), room.share("justice"), room.share("ria")],
    );
    assert!(!run.ok);
    assert!(run.stderr.contains("official state-ciso"), "{}", run.stderr);
    room.assert_untouched(&before);
    // It failed after the quorum rebuilt the key: its failure is closed and signed.
    let lines = common::lines_of(&room.dir().join("transcript.jsonl"));
    assert!(lines[lines.len() - 2].contains(r#""step":"reshare.close""#));
    assert!(lines[lines.len() - 2].contains("failed, nothing was changed"));
    assert!(lines[lines.len() - 1].contains(r#""step":"reshare.signed""#));
    assert_eq!(
        signed_ceremonies(&room, &["justice", "cio", "ria"]),
        ["genesis", "reshare"]
    );
    let unlocked = room.unlock(&[room.share("justice"), room.share("cio"), room.share("ria")]);
    assert!(unlocked.ok, "{}{}", unlocked.stdout, unlocked.stderr);
    let audit = room.audit();
    assert!(audit.ok, "{}{}", audit.stdout, audit.stderr);
    assert!(!audit.stdout.contains("revoked set"), "{}", audit.stdout);
}

/// Issue 13, finding 7: officials who hold their files outside the domain directory leave no old
/// file in `shares/` to keep, and a reshare then makes no `history/` at all (no empty directory).
#[test]
fn a_reshare_with_no_old_file_in_the_directory_keeps_nothing_and_leaves_no_empty_directory() {
    let room = Room::new();
    room.genesis();
    let held = room.hsm.dir().join("held");
    std::fs::create_dir(&held).unwrap();
    for name in names_in(&room.dir().join("shares")) {
        std::fs::rename(room.dir().join("shares").join(&name), held.join(&name)).unwrap();
    }
    let offered =
        ["cio", "justice", "ria"].map(|id| held.join(format!("{id}.share")).display().to_string());
    let run = room.reshare(&room.new_officials(), "2", &offered);
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("Old share files: none were in shares/, so history/ keeps none."),
        "{}",
        run.stdout
    );
    assert!(!room.dir().join("history").exists());
    assert_eq!(common::empty_directories(&room.dir()), Vec::<String>::new());
}

#[test]
fn a_reshare_refuses_a_threshold_that_does_not_fit() {
    let room = Room::new();
    room.genesis();
    let before = room.manifest_bytes();
    let officials = room.new_officials();
    let shares = [room.share("cio"), room.share("justice"), room.share("ria")];
    let run = room.reshare(&officials, "4", &shares);
    assert!(!run.ok);
    assert!(
        run.stderr.contains("does not fit 3 new officials"),
        "{}",
        run.stderr
    );
    room.assert_untouched(&before);
}

#[test]
fn a_reshare_interrupted_after_its_commit_point_is_finished_by_the_next_run() {
    let room = Room::new();
    room.genesis();
    let officials = room.new_officials();
    let shares = [room.share("cio"), room.share("justice"), room.share("ria")];
    let run = room.reshare(&officials, "2", &shares);
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    // Put the directory back as a reshare killed right after replacing the manifest leaves it:
    // the new files still staged with the quorum's seal, the old ones in place, the transcript
    // not closed.
    let dir = room.dir();
    let staging = dir.join(".reshare-incomplete");
    std::fs::create_dir_all(staging.join("shares")).unwrap();
    std::fs::copy(dir.join("manifest.json"), staging.join("manifest.json")).unwrap();
    std::fs::write(staging.join("quorum.seal"), room.staging_seal()).unwrap();
    let revoked = dir.join(common::superseded_shares(&dir, 0));
    for entry in std::fs::read_dir(dir.join("shares")).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::rename(
                &path,
                staging.join("shares").join(path.file_name().unwrap()),
            )
            .unwrap();
        }
    }
    for entry in std::fs::read_dir(&revoked).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join("shares").join(path.file_name().unwrap())).unwrap();
    }
    let transcript = dir.join("transcript.jsonl");
    let text = std::fs::read_to_string(&transcript).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[lines.len() - 1].contains(r#""step":"reshare.signed""#));
    // Without its close and the close's signature.
    std::fs::write(&transcript, lines[..lines.len() - 2].join("\n") + "\n").unwrap();

    // The quorum of the manifest in force: the new officials, their files still staged.
    let new_quorum = ["cio", "ria"].map(|id| {
        let file = staging.join("shares").join(format!("{id}.share"));
        file.display().to_string()
    });
    let run = room.reshare(&officials, "2", &new_quorum);
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("an interrupted reshare, finished"),
        "{}",
        run.stdout
    );
    assert!(!staging.exists());
    assert!(
        !dir.join("shares/justice.share").exists(),
        "a departed official's old file stayed"
    );
    let audit = room.custody(&["audit", dir.to_str().unwrap()]);
    assert!(audit.ok, "{}{}", audit.stdout, audit.stderr);
    // The run that finished it closed it, signed with its quorum's key.
    assert_eq!(
        signed_ceremonies(&room, &["cio", "ria"]),
        ["genesis", "reshare"]
    );
}

/// Issue 12, attack 1 on a reshare: a writer of the domain directory stages files of their own as
/// an interrupted reshare's (the manifest in force copied beside them, a seal they cannot make).
/// Without a quorum of the manifest in force the run is refused; with the genuine quorum the seal
/// refuses it; either way no share file is moved.
#[test]
fn a_planted_reshare_staging_is_refused_without_and_with_the_genuine_quorum() {
    let room = Room::new();
    room.genesis();
    let officials = room.new_officials();
    let old = [room.share("cio"), room.share("justice"), room.share("ria")];
    let run = room.reshare(&officials, "2", &old);
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    let revoked = common::superseded_shares(&room.dir(), 0);
    let dir = room.dir();
    let staging = dir.join(".reshare-incomplete");
    std::fs::create_dir_all(staging.join("shares")).unwrap();
    std::fs::copy(dir.join("manifest.json"), staging.join("manifest.json")).unwrap();
    std::fs::copy(
        dir.join(&revoked).join("cio.share"),
        staging.join("shares/cio.share"),
    )
    .unwrap();
    std::fs::write(staging.join("quorum.seal"), "00".repeat(32)).unwrap();
    let shares_before: Vec<(String, Vec<u8>)> = ["cio", "ria", "state-ciso"]
        .iter()
        .map(|id| (id.to_string(), std::fs::read(room.share(id)).unwrap()))
        .collect();

    // The revoked set's files: no quorum of the manifest in force.
    let revoked_set = ["cio", "justice", "ria"].map(|id| {
        let file = dir.join(&revoked).join(format!("{id}.share"));
        file.display().to_string()
    });
    let run = room.reshare(&officials, "2", &revoked_set);
    assert!(!run.ok, "{}", run.stdout);
    assert!(
        run.stderr.contains("0 of 2 shares accepted"),
        "{}",
        run.stderr
    );

    let quorum = [room.share("cio"), room.share("ria")];
    let run = room.reshare(&officials, "2", &quorum);
    assert!(!run.ok, "{}", run.stdout);
    assert!(
        run.stderr.contains(".reshare-incomplete/quorum.seal: the staged reshare was not sealed by a quorum of domain ee-registries"),
        "{}",
        run.stderr
    );
    for (id, bytes) in shares_before {
        assert_eq!(
            std::fs::read(room.share(&id)).unwrap(),
            bytes,
            "{id}'s share file changed"
        );
    }
    assert!(staging.join("shares/cio.share").exists());
}

#[test]
fn a_stale_staging_directory_from_before_the_commit_point_is_cleared() {
    let room = Room::new();
    room.genesis();
    let officials = room.new_officials();
    let shares = [room.share("cio"), room.share("justice"), room.share("ria")];
    let staging = room.dir().join(".reshare-incomplete");
    std::fs::create_dir_all(staging.join("shares")).unwrap();
    std::fs::write(staging.join("manifest.json"), b"{}").unwrap();
    let run = room.reshare(&officials, "2", &shares);
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    assert!(!staging.exists());
}

#[test]
fn a_reshare_killed_at_random_moments_leaves_a_consistent_domain_and_a_rerun_completes() {
    let trials: usize = std::env::var("CUSTODY_CRASH_TRIALS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(4);
    for trial in 0..trials {
        let room = Room::new();
        room.genesis();
        let officials = room.new_officials();
        let shares = [room.share("cio"), room.share("justice"), room.share("ria")];
        let args = room.reshare_args(&officials, "2", &shares);
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_custody"))
            .env("SOFTHSM2_CONF", room.home.softhsm_conf())
            .args(&args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        std::thread::sleep(std::time::Duration::from_millis(u64::from(nanos % 250)));
        let _ = child.kill();
        let finished_alone = child.wait().unwrap().success();
        let manifest = room.dir().join("manifest.json");
        let inspect = room.custody(&["inspect", manifest.to_str().unwrap()]);
        assert!(
            inspect.ok,
            "trial {trial}: the manifest is not consistent: {}",
            inspect.stderr
        );
        if !finished_alone {
            let rerun = room.reshare(&officials, "2", &room.every_share_file());
            assert!(
                rerun.ok,
                "trial {trial}: the rerun failed: {}{}",
                rerun.stdout, rerun.stderr
            );
        }
        let audit = room.custody(&["audit", room.dir().to_str().unwrap()]);
        assert!(audit.ok, "trial {trial}: {}{}", audit.stdout, audit.stderr);
        assert!(
            audit.stdout.contains("revoked set"),
            "trial {trial}: {}",
            audit.stdout
        );
    }
}

/// Issue 12, attack 4: a reshare rolled back by a writer of the domain directory. Restoring the
/// pre-reshare manifest and transcript is refused by the chain (`chain/` holds the newer
/// manifest). A writer who also removes that chain file is refused by the new officials' share
/// files (made at the newer position) and by the home token, which recorded the newer position
/// when the next archive was sealed there — before anyone types; nothing is imported or written.
#[test]
fn a_rolled_back_reshare_is_refused_by_the_chain_the_share_files_and_the_token() {
    let room = Room::new();
    room.genesis();
    let manifest_path = room.dir().join("manifest.json");
    let transcript_path = room.dir().join("transcript.jsonl");
    let old_manifest = room.manifest_bytes();
    let old_transcript = std::fs::read(&transcript_path).unwrap();
    let officials = room.new_officials();
    let run = room.reshare(
        &officials,
        "2",
        &[room.share("cio"), room.share("justice"), room.share("ria")],
    );
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    let input = room.hsm.dir().join("registry.txt");
    std::fs::write(&input, "population register, 2026-11-30").unwrap();
    let output = room.hsm.dir().join("registry.custody");
    let sealed = room.custody(&[
        "seal",
        "--manifest",
        manifest_path.to_str().unwrap(),
        "--hsm",
        &room.home.uri.to_string(),
        input.to_str().unwrap(),
        "-o",
        output.to_str().unwrap(),
    ]);
    assert!(sealed.ok, "{}{}", sealed.stdout, sealed.stderr);

    let aside = room.dir().join(common::superseded_shares(&room.dir(), 0));
    let old = |id: &str| aside.join(format!("{id}.share")).display().to_string();
    let revoked = [old("justice"), old("cio"), old("ria")];
    std::fs::write(&manifest_path, &old_manifest).unwrap();
    std::fs::write(&transcript_path, &old_transcript).unwrap();
    let refused = room.unlock_into(&room.home, &revoked);
    assert!(!refused.ok);
    assert!(
        refused.stderr.contains(
            "chain/000001.json is a manifest at chain position 1, newer than the manifest in \
             force (position 0): manifest.json was rolled back"
        ),
        "{}",
        refused.stderr
    );
    assert!(!room.audit().ok);

    std::fs::remove_file(room.dir().join("chain/000001.json")).unwrap();
    let tokens = room.hsm.dir().join("tokens");
    let before = (names_in(&tokens), room.manifest_bytes());
    let with_new_shares = room.unlock_into(&room.embassy, &[room.share("cio"), room.share("ria")]);
    assert!(!with_new_shares.ok);
    assert!(
        with_new_shares
            .stdout
            .contains("was made at chain position 1, after this manifest (chain position 0)"),
        "{}",
        with_new_shares.stdout
    );
    let at_home = room.unlock_into(&room.home, &revoked);
    assert!(!at_home.ok);
    assert!(
        at_home.stderr.contains(
            "the manifest offered is at chain position 0, but this token has already seen \
             position 1"
        ),
        "{}",
        at_home.stderr
    );
    assert!(!at_home.stdout.contains("share of"), "{}", at_home.stdout);
    assert_eq!((names_in(&tokens), room.manifest_bytes()), before);
}
