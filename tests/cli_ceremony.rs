//! Genesis, unlock and audit end to end through the `custody` binary on real SoftHSM tokens, in
//! scripted mode (passphrases from PDIR) with tiny argon2 costs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod room;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{check_signed, lines_of, names_in, rechain};
use custody::primitives::secret::DomainKey;
use custody::primitives::signature::{Context, SigningKey};
use room::{officials_toml, Room, OFFICIALS};
use sha2::Digest;

#[test]
fn genesis_writes_a_complete_domain_and_reads_its_digests_aloud() {
    let room = Room::new();
    let run = room.genesis();
    for (id, _) in OFFICIALS {
        assert!(Path::new(&room.share(id)).is_file(), "{id}");
        assert!(
            run.stdout
                .contains(&format!("{id} opened and verified their own share")),
            "{}",
            run.stdout
        );
    }
    assert!(room.dir().join("manifest.json").is_file());
    assert!(room.dir().join("transcript.jsonl").is_file());
    assert!(run.stdout.contains("manifest digest"), "{}", run.stdout);
    assert!(run.stdout.contains("key check value"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("the token proved it holds exactly this key"),
        "{}",
        run.stdout
    );
    let audit = room.custody(&["audit", room.dir().to_str().unwrap()]);
    assert!(audit.ok, "{}{}", audit.stdout, audit.stderr);
    assert!(audit.stdout.contains("audit of"), "{}", audit.stdout);
}

#[test]
fn a_quorum_unlocks_into_the_embassy_token_naming_a_damaged_share() {
    let room = Room::new();
    room.genesis();
    let damaged = room.hsm.dir().join("justice-damaged.share");
    let mut bytes = std::fs::read(room.share("justice")).unwrap();
    bytes[120] ^= 0x01;
    std::fs::write(&damaged, bytes).unwrap();
    let run = room.unlock(&[
        damaged.display().to_string(),
        room.share("cio"),
        room.share("ria"),
        room.share("justice"),
    ]);
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("REFUSED: share of justice"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("damaged"), "{}", run.stdout);
    assert!(run.stdout.contains("2 of 3 accepted"), "{}", run.stdout);
    assert!(run.stdout.contains("Unlocked"), "{}", run.stdout);
    let audit = room.custody(&["audit", room.dir().to_str().unwrap()]);
    assert!(audit.ok, "{}{}", audit.stdout, audit.stderr);
}

#[test]
fn too_few_shares_say_how_many_more_are_needed() {
    let room = Room::new();
    room.genesis();
    let run = room.unlock(&[room.share("cio"), room.share("ria")]);
    assert!(!run.ok);
    assert!(
        run.stderr
            .contains("2 of 3 shares accepted: 1 more is needed"),
        "{}",
        run.stderr
    );
    let run = room.unlock(&[room.share("cio"), room.share("cio"), room.share("ria")]);
    assert!(!run.ok);
    assert!(
        run.stdout.contains("each official counts once"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_wrong_passphrase_is_named_with_its_official() {
    let room = Room::new();
    room.genesis();
    std::fs::write(
        room.pdir.join("ria.pass"),
        "not the passphrase of ria at all",
    )
    .unwrap();
    let run = room.unlock(&[
        room.share("ria"),
        room.share("cio"),
        room.share("justice"),
        room.share("auditor-general"),
    ]);
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("REFUSED: share of ria"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.to_lowercase().contains("passphrase"),
        "{}",
        run.stdout
    );
}

#[test]
fn shares_of_another_domain_are_refused_by_name() {
    let room = Room::new();
    room.genesis();
    let other = room.hsm.dir().join("other-domain");
    let run = room.genesis_elsewhere("ee-business", &room.embassy, "2", &other);
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    let foreign = other.join("shares/cio.share").display().to_string();
    let run = room.unlock(&[foreign, room.share("justice"), room.share("ria")]);
    assert!(!run.ok);
    assert!(
        run.stdout.contains("REFUSED: share of cio"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("ee-business"), "{}", run.stdout);
}

#[test]
fn a_tampered_manifest_is_refused() {
    let room = Room::new();
    room.genesis();
    let manifest = room.dir().join("manifest.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replacen("Minister of Justice", "Minister of Justise", 1),
    )
    .unwrap();
    let run = room.unlock(&[room.share("cio"), room.share("ria"), room.share("justice")]);
    assert!(!run.ok);
    // Manifests are signed (issue 12): the edit breaks the genesis manifest's own signature.
    assert!(
        run.stderr
            .contains("is not signed by the quorum that made it"),
        "{}",
        run.stderr
    );
    let audit = room.custody(&["audit", room.dir().to_str().unwrap()]);
    assert!(!audit.ok);
    assert!(
        audit
            .stderr
            .contains("is not signed by the quorum that made it"),
        "{}",
        audit.stderr
    );
}

#[test]
fn any_single_edited_transcript_line_is_detected() {
    let room = Room::new();
    room.genesis();
    let path = room.dir().join("transcript.jsonl");
    let original = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = original.lines().collect();
    for index in 0..lines.len() - 1 {
        let mut edited: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
        edited[index] = edited[index].replacen("\"seq\"", "\"seq\" ", 1);
        std::fs::write(&path, edited.join("\n") + "\n").unwrap();
        let audit = room.custody(&["audit", room.dir().to_str().unwrap()]);
        assert!(!audit.ok, "edit of line {} not detected", index + 1);
        assert!(
            audit.stderr.contains(&format!("line {}", index + 2)),
            "{}",
            audit.stderr
        );
    }
    std::fs::write(&path, &original).unwrap();
    let closing = room.custody(&["audit", room.dir().to_str().unwrap(), "--json"]);
    assert!(closing.ok, "{}", closing.stderr);
    let mut last_edited: Vec<&str> = lines.clone();
    let changed = lines[lines.len() - 1].replacen("\"seq\"", "\"seq\" ", 1);
    *last_edited.last_mut().unwrap() = &changed;
    std::fs::write(&path, last_edited.join("\n") + "\n").unwrap();
    let report: serde_json::Value = serde_json::from_str(&closing.stdout).unwrap();
    let expected: String = report["closing_digest"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| format!("{:02x}", b.as_u64().unwrap()))
        .collect();
    let audit = room.custody(&[
        "audit",
        room.dir().to_str().unwrap(),
        "--expect-closing",
        &expected,
    ]);
    assert!(
        !audit.ok,
        "an edited last line must change the closing digest"
    );
}

/// The step of each line of a transcript.
fn steps_of(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|line| {
            let entry: serde_json::Value = serde_json::from_str(line).unwrap();
            entry["step"].as_str().unwrap().to_owned()
        })
        .collect()
}

/// The line number (from 1) of the first line whose step is `step`.
fn line_of(steps: &[String], step: &str) -> usize {
    steps.iter().position(|s| s == step).unwrap() + 1
}

/// Issue 12, the keyed transcript: genesis and unlock sign their closes with the domain key, the
/// closing digest read aloud is that of the signature line, and `custody audit` lists the signed
/// ceremonies. With the domain's verifying key (derived here from the key rebuilt from shares, as
/// the manifest chain is to publish it), a transcript rewritten by someone who recomputes the
/// hash chain after the edit is refused at the first signature after it, naming that ceremony;
/// so are removed and reordered lines and a forged signature line. A signature line out of its
/// place is refused by `custody audit` already.
#[test]
fn ceremonies_sign_their_close_and_a_rechained_rewrite_fails_the_next_signature() {
    let room = Room::new();
    let genesis = room.genesis();
    let quorum = [room.share("cio"), room.share("ria"), room.share("justice")];
    let run = room.unlock(&quorum);
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    let path = room.dir().join("transcript.jsonl");
    let original = lines_of(&path);
    let steps = steps_of(&original);
    let genesis_signed = line_of(&steps, "genesis.signed");
    let unlock_signed = line_of(&steps, "unlock.signed");
    assert_eq!(steps[genesis_signed - 2], "genesis.close");
    assert_eq!(steps[unlock_signed - 2], "unlock.close");
    assert_eq!(unlock_signed, steps.len());
    for (printed, signed_line) in [(&genesis, genesis_signed), (&run, unlock_signed)] {
        let digest = sha2::Sha256::digest(original[signed_line - 1].as_bytes());
        assert!(
            printed
                .stdout
                .contains(&custody::readout::hex_groups(&digest)),
            "the closing digest read aloud is the signature line's: {}",
            printed.stdout
        );
    }

    let dir = room.dir().display().to_string();
    let audit = room.custody(&["audit", &dir]);
    assert!(audit.ok, "{}{}", audit.stdout, audit.stderr);
    for expected in [
        format!("signed at line {genesis_signed} (epoch 1)"),
        format!("signed at line {unlock_signed} (epoch 1)"),
        format!(
            "signatures         signed ceremonies: 2, the last at line {unlock_signed}; unsigned \
             lines after it: 0"
        ),
        "each verified under its epoch's domain verifying key".into(),
    ] {
        assert!(
            audit.stdout.contains(&expected),
            "{expected}: {}",
            audit.stdout
        );
    }

    let manifest = custody::domain::Manifest::load(&room.dir().join("manifest.json")).unwrap();
    let shares: Vec<PathBuf> = quorum.iter().map(PathBuf::from).collect();
    let keys = [(1, common::rebuild_key(&manifest, &shares, &room.pdir))];
    let report = check_signed(&path, &keys).unwrap();
    let signed: Vec<_> = report
        .signed
        .iter()
        .map(|s| (s.line, s.ceremony.as_str(), s.epoch))
        .collect();
    assert_eq!(
        signed,
        [(genesis_signed, "genesis", 1), (unlock_signed, "unlock", 1)]
    );
    assert_eq!(report.unsigned_after, 0);

    let refused_at = |lines: &[String], signed_line: usize, ceremony: &str| {
        rechain(&path, lines);
        custody::ceremony::transcript::audit(&path).expect("the forger's chain is whole");
        let refusal = check_signed(&path, &keys).unwrap_err().to_string();
        let expected = format!(
            "transcript line {signed_line}: the signature of the {ceremony} ceremony closed at \
             line {}",
            signed_line - 1
        );
        assert!(refusal.starts_with(&expected), "{expected}: {refusal}");
    };
    // Another official's share, as if it had been accepted.
    let accepted = line_of(&steps, "unlock.share-accepted") - 1;
    let mut forged = original.clone();
    forged[accepted] = forged[accepted].replacen("[\"cio\"]", "[\"president-office\"]", 1);
    assert_ne!(forged[accepted], original[accepted]);
    refused_at(&forged, unlock_signed, "unlock");
    // A lower threshold at genesis.
    let mut forged = original.clone();
    forged[0] = forged[0].replacen("\"threshold\":\"3\"", "\"threshold\":\"2\"", 1);
    assert_ne!(forged[0], original[0]);
    refused_at(&forged, genesis_signed, "genesis");
    // Two lines of the unlock reordered, then one removed.
    let mut forged = original.clone();
    forged.swap(accepted, accepted + 1);
    refused_at(&forged, unlock_signed, "unlock");
    let mut forged = original.clone();
    forged.remove(accepted);
    refused_at(&forged, unlock_signed - 1, "unlock");

    // A signature line of the forger's own key over the right digest.
    let close_digest: [u8; 32] =
        sha2::Sha256::digest(original[unlock_signed - 2].as_bytes()).into();
    let forger = SigningKey::derive(&DomainKey::from_bytes(&mut [0x42; 32]));
    let signature = forger.sign(Context::Transcript, &close_digest).unwrap();
    let mut entry: custody::ceremony::transcript::Entry =
        serde_json::from_str(&original[unlock_signed - 1]).unwrap();
    entry
        .record
        .detail
        .insert("signature".into(), hex::encode(signature.as_bytes()));
    let mut forged = original.clone();
    forged[unlock_signed - 1] = serde_json::to_string(&entry).unwrap();
    rechain(&path, &forged);
    let refusal = check_signed(&path, &keys).unwrap_err().to_string();
    assert!(
        refusal.contains(&format!(
            "transcript line {unlock_signed}: the signature of the unlock ceremony"
        )) && refusal.contains("does not verify under the epoch 1 domain key"),
        "{refusal}"
    );

    // A signature line moved away from its close: plain `custody audit` refuses it.
    let mut forged = original.clone();
    let moved = forged.remove(genesis_signed - 1);
    forged.insert(1, moved);
    rechain(&path, &forged);
    let audit = room.custody(&["audit", &dir]);
    assert!(!audit.ok);
    assert!(
        audit
            .stderr
            .contains("transcript line 2: genesis.signed does not directly follow a genesis.close"),
        "{}",
        audit.stderr
    );

    std::fs::write(&path, original.join("\n") + "\n").unwrap();
    assert!(room.custody(&["audit", &dir]).ok);
}

#[test]
fn officials_file_errors_are_named() {
    let room = Room::new();
    let cases: Vec<(String, &str, &str)> = vec![
        (
            officials_toml(&[("cio", "A"), ("cio", "B")]),
            "2",
            "appears twice",
        ),
        (
            officials_toml(&[("cio", "A"), ("Bad_Id", "B")]),
            "2",
            "official #2",
        ),
        (
            officials_toml(&[("cio", "A"), ("ria", "B")]),
            "3",
            "does not fit 2 officials",
        ),
        (
            officials_toml(&[("cio", "A"), ("ria", "B")]),
            "1",
            "does not fit 2 officials",
        ),
        (String::new(), "2", "lists 0 officials"),
        (
            (0..256)
                .map(|i| officials_toml(&[(&format!("o{i}"), "N")]))
                .collect(),
            "3",
            "lists 256 officials",
        ),
    ];
    for (index, (text, threshold, expected)) in cases.into_iter().enumerate() {
        let file = room.hsm.dir().join(format!("officials-{index}.toml"));
        std::fs::write(&file, text).unwrap();
        let out = room.hsm.dir().join(format!("domain-{index}"));
        let run = room.genesis_with(&file, threshold, &out);
        assert!(!run.ok, "case {index} passed");
        assert!(
            run.stderr.contains(expected),
            "case {index}: {}",
            run.stderr
        );
        assert!(!out.exists(), "case {index} left a domain directory");
    }
}

#[test]
fn a_genesis_that_stops_midway_leaves_no_domain_directory() {
    let room = Room::new();
    std::fs::remove_file(room.pdir.join("president-office.pass")).unwrap();
    let run = room.genesis_with(&room.officials, "3", &room.dir());
    assert!(!run.ok);
    assert!(run.stderr.contains("president-office"), "{}", run.stderr);
    assert!(!room.dir().exists());
    let leftovers: Vec<_> = names_in(room.hsm.dir())
        .into_iter()
        .filter(|n| n.contains("ee-registries"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_genesis_killed_midway_leaves_nothing_that_looks_complete() {
    let room = Room::new();
    let mut child = Command::new(env!("CARGO_BIN_EXE_custody"))
        .env("SOFTHSM2_CONF", room.home.softhsm_conf())
        .args(["genesis", "--domain", "ee-registries", "--officials"])
        .arg(&room.officials)
        .args([
            "--threshold",
            "3",
            "--hsm",
            &room.home.uri.to_string(),
            "--out",
        ])
        .arg(room.dir())
        .arg("--passphrases")
        .arg(&room.pdir)
        .args([
            "--kdf-memory-kib",
            "65536",
            "--kdf-passes",
            "1",
            "--kdf-lanes",
            "1",
            "--insecure-kdf",
        ])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(400));
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        !room.dir().exists(),
        "a killed genesis published a domain directory"
    );
}

#[test]
fn genesis_refuses_to_overwrite_and_weak_passphrases() {
    let room = Room::new();
    room.genesis();
    let run = room.genesis_with(&room.officials, "3", &room.dir());
    assert!(!run.ok);
    assert!(run.stderr.contains("already exists"), "{}", run.stderr);
    // The home token serves the domain now: a second genesis of the same id there is refused
    // before anyone types.
    let again = room.genesis_with(&room.officials, "3", &room.hsm.dir().join("again"));
    assert!(!again.ok);
    assert!(
        again.stderr.contains("already serves domain ee-registries"),
        "{}",
        again.stderr
    );
    std::fs::write(room.pdir.join("ria.pass"), "password1234").unwrap();
    let out = room.hsm.dir().join("weak");
    let run = room.genesis_elsewhere("ee-registries", &room.embassy, "3", &out);
    assert!(!run.ok);
    assert!(
        run.stderr
            .contains("official ria: the new passphrase is too easy to guess"),
        "{}",
        run.stderr
    );
    assert!(!out.exists());
}

#[test]
fn a_drill_recovers_the_key_opens_the_canary_and_reports_the_time() {
    let room = Room::new();
    room.genesis();
    assert!(room.dir().join("canary.custody").is_file());
    let manifest = room.dir().join("manifest.json").display().to_string();
    let pdir = room.pdir.display().to_string();
    let drill = |shares: &[String]| {
        let mut args = vec!["drill", "--manifest", &manifest, "--passphrases", &pdir];
        args.extend(shares.iter().map(String::as_str));
        room.custody(&args)
    };
    let run = drill(&[room.share("cio"), room.share("ria"), room.share("justice")]);
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("DRILL PASSED in"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("the canary archive opened with the rebuilt key"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("the throwaway token is destroyed"),
        "{}",
        run.stdout
    );
    let run = drill(&[room.share("cio"), room.share("ria")]);
    assert!(!run.ok);
    assert!(run.stderr.contains("DRILL FAILED"), "{}", run.stderr);
    assert!(run.stderr.contains("1 more is needed"), "{}", run.stderr);
    let audit = room.custody(&["audit", room.dir().to_str().unwrap()]);
    assert!(audit.ok, "{}{}", audit.stdout, audit.stderr);
    assert!(audit.stdout.contains("drill"), "{}", audit.stdout);
    // The drill that passed signed the unlock inside it and its own close with the rebuilt key;
    // the one that failed never held the key, and signed nothing.
    let transcript = room.dir().join("transcript.jsonl");
    let steps = steps_of(&lines_of(&transcript));
    let after_genesis = &steps[line_of(&steps, "genesis.signed")..];
    assert_eq!(
        after_genesis
            .iter()
            .filter(|s| s.ends_with(".close") || s.ends_with(".signed"))
            .collect::<Vec<_>>(),
        [
            "unlock.close",
            "unlock.signed",
            "drill.close",
            "drill.signed",
            "unlock.close",
            "drill.close"
        ]
    );
    let unsigned = steps.len() - line_of(&steps, "drill.signed");
    assert!(
        audit.stdout.contains(&format!(
            "signatures         signed ceremonies: 3, the last at line {}; unsigned lines \
             after it: {unsigned}",
            line_of(&steps, "drill.signed")
        )),
        "{}",
        audit.stdout
    );
    let manifest = custody::domain::Manifest::load(&room.dir().join("manifest.json")).unwrap();
    let shares: Vec<PathBuf> = ["cio", "ria", "justice"]
        .iter()
        .map(|id| PathBuf::from(room.share(id)))
        .collect();
    let key = common::rebuild_key(&manifest, &shares, &room.pdir);
    let report = check_signed(&transcript, &[(1, key)]).unwrap();
    assert_eq!(report.signed.len(), 3);
    assert_eq!(report.unsigned_after, unsigned);

    // The audit tells the story (issue 13): three ceremonies, the drills' own unlocks not counted
    // apart, the failed drill shown with its outcome.
    assert!(
        audit.stdout.contains("3 ceremonies (0 interrupted)"),
        "{}",
        audit.stdout
    );
    assert!(
        audit.stdout.contains(" — FAIL: 2 of 3 shares accepted"),
        "{}",
        audit.stdout
    );
    // The genesis sheet's closing digest, read back as PGP words, is found at its line: what
    // was added since is named, not taken for tampering.
    let lines = lines_of(&transcript);
    let genesis_line = line_of(&steps, "genesis.signed");
    let digest: [u8; 32] = sha2::Sha256::digest(lines[genesis_line - 1].as_bytes()).into();
    let words = custody::readout::pgp_words(&digest);
    let dir = room.dir().display().to_string();
    let earlier = room.custody(&["audit", &dir, "--expect-closing", &words]);
    assert!(earlier.ok, "{}{}", earlier.stdout, earlier.stderr);
    assert!(
        earlier.stdout.contains(&format!(
            "expected closing digest closes line {genesis_line}: the transcript up to it is \
             intact, and {} entries were added since",
            lines.len() - genesis_line
        )),
        "{}",
        earlier.stdout
    );
    // With --json, stdout is the report alone: the room's narration goes to stderr.
    let run = drill(&[
        room.share("cio"),
        room.share("ria"),
        room.share("justice"),
        "--json".into(),
    ]);
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["accepted"].as_array().unwrap().len(), 3, "{report}");
    assert!(
        run.stderr.contains("share of ria accepted"),
        "{}",
        run.stderr
    );
}

#[test]
fn shares_of_an_older_set_of_the_same_domain_are_refused_by_name() {
    let room = Room::new();
    room.genesis();
    let newer = room.hsm.dir().join("ee-registries-again");
    let run = room.genesis_elsewhere("ee-registries", &room.embassy, "3", &newer);
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    let manifest = newer.join("manifest.json").display().to_string();
    let run = room.custody(&[
        "share",
        "verify",
        "--manifest",
        &manifest,
        &room.share("cio"),
        "--passphrase-file",
        room.pdir.join("cio.pass").to_str().unwrap(),
    ]);
    assert!(!run.ok);
    // A second genesis under the same name is another domain: its fingerprint differs.
    assert!(run.stderr.contains("domain fingerprint"), "{}", run.stderr);
}

/// Issue 12, from the same review: an offered share file is read once, within its bound, and
/// recorded by the fingerprint of the bytes that were judged. Offered through a FIFO that delivers
/// the file once, the unlock completes and records that file's fingerprint; before, the
/// fingerprint read the file a second time, unbounded (this FIFO blocked forever; `/dev/zero`
/// read until allocation failed).
#[test]
fn an_offered_share_file_is_read_once_and_fingerprinted_from_those_bytes() {
    use sha2::Digest;
    let room = Room::new();
    room.genesis();
    let fifo = room.hsm.dir().join("cio.fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let bytes = std::fs::read(room.share("cio")).unwrap();
    let fingerprint = hex::encode(sha2::Sha256::digest(&bytes));
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, bytes).unwrap())
    };
    let manifest = room.dir().join("manifest.json");
    let (uri, fifo) = (room.embassy.uri.to_string(), fifo.display().to_string());
    let mut child = Command::new(env!("CARGO_BIN_EXE_custody"))
        .env("SOFTHSM2_CONF", room.home.softhsm_conf())
        .args([
            "unlock",
            "--manifest",
            manifest.to_str().unwrap(),
            "--hsm",
            &uri,
        ])
        .args(["--passphrases", room.pdir.to_str().unwrap(), &fifo])
        .args([room.share("justice"), room.share("ria")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("unlock hung: the offered share file was read a second time");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    writer.join().unwrap();
    assert!(status.success());
    let transcript = std::fs::read_to_string(room.dir().join("transcript.jsonl")).unwrap();
    assert!(transcript.contains(&fingerprint), "{transcript}");
}

/// Issue 12, from the same review, and issue 13: one token named twice is refused before any key
/// is generated (the manifest enrols each token once, by serial number), so nothing is left on
/// the token and the retry succeeds. Before, the second import failed after the first succeeded,
/// and the first key stayed on the token.
#[test]
fn a_genesis_naming_one_token_twice_is_refused_before_any_key_and_can_be_retried() {
    let room = Room::new();
    let uri = room.home.uri.to_string();
    let mut twice = genesis_args(&room);
    twice.extend(common::TINY_KDF.map(str::to_owned));
    twice.extend(["--hsm".into(), uri.clone(), "--hsm".into(), uri]);
    let failed = room.custody(&twice.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(!failed.ok, "{}", failed.stdout);
    assert!(
        failed
            .stderr
            .contains("is named twice; nothing was generated or written"),
        "{}",
        failed.stderr
    );
    assert!(
        !failed.stdout.contains("domain key generated"),
        "{}",
        failed.stdout
    );
    assert!(!room.dir().exists());
    let retry = room.genesis();
    assert!(retry.ok, "{}{}", retry.stdout, retry.stderr);
}

/// Issue 12, from the same review: argon2id costs below the defaults need `--insecure-kdf`; with
/// it they are recorded in the transcript and flagged by the audit. Before, tiny costs were
/// accepted silently and nothing showed them.
#[test]
fn costs_below_the_defaults_need_insecure_kdf_and_the_audit_flags_them() {
    let room = Room::new();
    let uri = room.home.uri.to_string();
    let mut args = genesis_args(&room);
    args.extend(["--hsm".into(), uri]);
    args.extend(common::TINY_KDF[..6].iter().map(|s| (*s).to_owned()));
    let refused = room.custody(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(!refused.ok, "{}", refused.stdout);
    assert!(
        refused.stderr.starts_with(
            "error: argon2id costs 64 KiB and 1 passes are below the defaults (262144 KiB, 3 passes)"
        ),
        "{}",
        refused.stderr
    );
    assert!(!room.dir().exists());
    room.genesis();
    let transcript = std::fs::read_to_string(room.dir().join("transcript.jsonl")).unwrap();
    assert!(
        transcript.contains("\"genesis.insecure-kdf\""),
        "{transcript}"
    );
    let audit = room.custody(&["audit", room.dir().to_str().unwrap()]);
    assert!(audit.ok, "{}", audit.stderr);
    assert!(
        audit.stdout.contains("WARNING: line 3: share files sealed with argon2id costs below the defaults (--insecure-kdf)"),
        "{}",
        audit.stdout
    );
}

/// Issue 12, from the same review: what a ceremony creates has explicit modes whatever the
/// umask. Under umask 000 a genesis made a world-writable transcript and directories; now the
/// directories are 0755, the transcript and the public manifest 0644, share files 0600.
#[test]
fn a_genesis_under_umask_000_writes_nothing_writable_by_others() {
    use std::os::unix::fs::PermissionsExt;
    let room = Room::new();
    let uri = room.home.uri.to_string();
    let mut args = genesis_args(&room);
    args.extend(["--hsm".into(), uri]);
    args.extend(common::TINY_KDF.map(str::to_owned));
    let status = Command::new("sh")
        .args([
            "-c",
            "umask 000; exec \"$0\" \"$@\"",
            env!("CARGO_BIN_EXE_custody"),
        ])
        .args(&args)
        .env("SOFTHSM2_CONF", room.home.softhsm_conf())
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    let dir = room.dir();
    assert_eq!(mode(&dir), 0o755, "the domain directory");
    assert_eq!(mode(&dir.join("shares")), 0o755, "shares/");
    assert_eq!(mode(&dir.join("transcript.jsonl")), 0o644, "the transcript");
    assert_eq!(mode(&dir.join("manifest.json")), 0o644, "the manifest");
    assert_eq!(mode(Path::new(&room.share("cio"))), 0o600, "a share file");
}

/// Issue 12, from the same review: a passphrase or PIN file its group or others may read is
/// refused in a ceremony, naming the file, and warned about elsewhere. Before, any was read.
#[test]
fn secret_files_readable_by_others_are_refused_in_ceremonies_and_warned_about_elsewhere() {
    use std::os::unix::fs::PermissionsExt;
    let room = Room::new();
    room.genesis();
    let open_to_all = |path: &Path| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).unwrap();
    };
    let pass = room.pdir.join("justice.pass");
    open_to_all(&pass);
    let shares = [room.share("cio"), room.share("justice"), room.share("ria")];
    let run = room.unlock(&shares);
    // The official's offer is refused, naming the file, and the quorum falls short.
    assert!(!run.ok, "{}", run.stdout);
    assert!(
        run.stdout.contains(&format!(
            "{}: readable by group or others (mode 0644): a passphrase file must be private to its owner",
            pass.display()
        )),
        "{}",
        run.stdout
    );
    let verify = room.custody(&[
        "share",
        "verify",
        "--manifest",
        room.dir().join("manifest.json").to_str().unwrap(),
        &room.share("justice"),
        "--passphrase-file",
        pass.to_str().unwrap(),
    ]);
    assert!(verify.ok, "{}", verify.stderr);
    assert!(
        verify.stderr.starts_with("warning: passphrase file "),
        "{}",
        verify.stderr
    );
    std::fs::set_permissions(&pass, std::fs::Permissions::from_mode(0o600)).unwrap();
    let pin = room.embassy.pin_file.clone();
    open_to_all(&pin);
    let run = room.unlock(&shares);
    assert!(!run.ok, "{}", run.stdout);
    assert!(
        run.stderr.contains(&format!(
            "PIN file {}: readable by group or others",
            pin.display()
        )),
        "{}",
        run.stderr
    );
}

/// A genesis of the room's domain without its tokens and argon2id costs.
fn genesis_args(room: &Room) -> Vec<String> {
    let mut args: Vec<String> = ["genesis", "--domain", "ee-registries", "--threshold", "3"]
        .map(str::to_owned)
        .into();
    args.extend([
        "--officials".into(),
        room.officials.display().to_string(),
        "--out".into(),
        room.dir().display().to_string(),
        "--passphrases".into(),
        room.pdir.display().to_string(),
    ]);
    args
}
