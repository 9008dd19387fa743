//! `custody share verify`, `custody share reseal` and `custody inspect` through the binary, on a
//! fixture domain built with the library. Every test also checks that no passphrase and no share
//! bytes ever reach stdout or stderr.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod domain_fixture;

use std::path::Path;
use std::process::{Command, Output};

use custody::domain::Manifest;
use domain_fixture::{passphrase_text, Domain};

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn custody(args: &[&str]) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(env!("CARGO_BIN_EXE_custody"))
        .args(args)
        // Prompts read the controlling terminal; a test has none, so it must never prompt.
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    Run {
        ok: status.success(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

fn path(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// No passphrase of the fixture and no share's bytes, in hex, appear in what was printed.
fn assert_no_secrets(domain: &Domain, run: &Run) {
    let printed = format!("{}{}", run.stdout, run.stderr);
    for (id, _, _) in domain_fixture::OFFICIALS {
        assert!(
            !printed.contains(&passphrase_text(id)),
            "passphrase printed: {printed}"
        );
    }
    for share in &domain.shares {
        let bytes = share.to_bytes();
        let value = hex::encode(&bytes.expose()[2..34]);
        let blinder = hex::encode(&bytes.expose()[34..]);
        for secret in [value, blinder] {
            assert!(
                !printed.contains(&secret[..16]),
                "share bytes printed: {printed}"
            );
        }
    }
}

fn verify(domain: &Domain, official: &str, passphrase_file: &Path) -> Run {
    custody(&[
        "share",
        "verify",
        "--manifest",
        path(&domain.manifest_path()),
        path(&domain.share_path(official)),
        "--passphrase-file",
        path(passphrase_file),
    ])
}

#[test]
fn an_official_verifies_their_share() {
    let domain = Domain::new("ee-registries");
    let pass = domain.passphrase_file("ciso.pass", &passphrase_text("ciso"));
    let run = verify(&domain, "ciso", &pass);
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("share 2 of 5 of official State CISO (ciso)"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("matches the manifest's verifier set"));
    assert!(run.stdout.contains("any 3 of the 5 shares"));
    assert!(run.stdout.contains(&custody::readout::hex_groups(
        domain.manifest.digest().as_bytes()
    )));
    assert_no_secrets(&domain, &run);

    let json = custody(&[
        "share",
        "verify",
        "--json",
        "--manifest",
        path(&domain.manifest_path()),
        path(&domain.share_path("ciso")),
        "--passphrase-file",
        path(&pass),
    ]);
    assert!(json.ok, "{}", json.stderr);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["official"], "ciso");
    assert_eq!(report["share_id"], 2);
    assert_eq!(report["threshold"], 3);
    assert_eq!(report["matches_verifier_set"], true);
    assert_eq!(
        report["manifest_digest"],
        domain.manifest.digest().to_string()
    );
}

#[test]
fn a_wrong_passphrase_is_named_as_such() {
    let domain = Domain::new("ee-registries");
    let pass = domain.passphrase_file("wrong.pass", &passphrase_text("cio"));
    let run = verify(&domain, "ciso", &pass);
    assert!(!run.ok);
    assert!(
        run.stderr
            .contains("the passphrase does not open this share file"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("hint: "), "{}", run.stderr);
    assert!(run.stdout.is_empty());
    assert_no_secrets(&domain, &run);
}

#[test]
fn a_damaged_file_is_named_as_damaged() {
    let domain = Domain::new("ee-registries");
    let share = domain.share_path("archivist");
    let mut bytes = std::fs::read(&share).unwrap();
    bytes[150] ^= 0x01;
    std::fs::write(&share, bytes).unwrap();
    let pass = domain.passphrase_file("archivist.pass", &passphrase_text("archivist"));
    let run = verify(&domain, "archivist", &pass);
    assert!(!run.ok);
    assert!(
        run.stderr.contains("damaged or was altered"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("restore the share file from a backup copy"),
        "{}",
        run.stderr
    );
    assert_no_secrets(&domain, &run);
}

#[test]
fn a_share_of_another_domain_is_named() {
    let domain = Domain::new("ee-registries");
    let other = Domain::new("lv-registries");
    let pass = other.passphrase_file("cio.pass", &passphrase_text("cio"));
    let run = custody(&[
        "share",
        "verify",
        "--manifest",
        path(&domain.manifest_path()),
        path(&other.share_path("cio")),
        "--passphrase-file",
        path(&pass),
    ]);
    assert!(!run.ok);
    assert!(
        run.stderr.contains(
            "belongs to domain `lv-registries`, but the manifest is for domain `ee-registries`"
        ),
        "{}",
        run.stderr
    );
    assert_no_secrets(&domain, &run);
}

#[test]
fn a_file_the_manifest_does_not_record_is_named() {
    let domain = Domain::new("ee-registries");
    let resealed = domain.sealed[0]
        .reseal(
            &domain_fixture::passphrase("cio"),
            &domain_fixture::passphrase("cio"),
            domain_fixture::tiny(),
        )
        .unwrap();
    std::fs::write(domain.share_path("cio"), resealed.to_bytes()).unwrap();
    let pass = domain.passphrase_file("cio.pass", &passphrase_text("cio"));
    let run = verify(&domain, "cio", &pass);
    assert!(!run.ok);
    assert!(
        run.stderr.contains("not the one the manifest records for official cio (resealed? use the current manifest)"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_missing_passphrase_file_is_named() {
    let domain = Domain::new("ee-registries");
    let run = verify(&domain, "cio", Path::new("/nonexistent/cio.pass"));
    assert!(!run.ok);
    assert!(
        run.stderr.contains("passphrase file /nonexistent/cio.pass"),
        "{}",
        run.stderr
    );
}

#[test]
fn inspect_shows_public_facts_of_a_share_file_only() {
    let domain = Domain::new("ee-registries");
    let share = domain.share_path("auditor");
    let run = custody(&["inspect", path(&share)]);
    assert!(run.ok, "{}", run.stderr);
    let sealed = &domain.sealed[3];
    for expected in [
        "sealed share file",
        "custody-share version 2",
        "ee-registries",
        "auditor",
        "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
        "4 (threshold 3)",
        "argon2id, 8 KiB, 1 passes, 1 lanes",
        &sealed.fingerprint(),
    ] {
        assert!(run.stdout.contains(expected), "{expected}: {}", run.stdout);
    }
    assert_no_secrets(&domain, &run);
    let json = custody(&["inspect", "--json", path(&share)]);
    let facts: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(facts["kind"], "share-file");
    assert_eq!(facts["official"], "auditor");
    assert_eq!(facts["kdf"]["memory_kib"], 8);
    assert_eq!(facts["fingerprint"], sealed.fingerprint());
    assert_no_secrets(&domain, &json);
}

#[test]
fn inspect_shows_a_manifest_with_its_digest() {
    let domain = Domain::new("ee-registries");
    let run = custody(&["inspect", path(&domain.manifest_path())]);
    assert!(run.ok, "{}", run.stderr);
    for expected in [
        "custody-manifest version 4",
        "3 of 5",
        "token          \"home\" (SoftHSM project SoftHSM v2, serial 0123456789abcdef, site Tallinn)",
        "cio share 1: Government CIO (Office of the Government CIO)",
        &custody::readout::hex_groups(domain.manifest.digest().as_bytes()),
        &domain.manifest.key_id().to_string(),
    ] {
        assert!(run.stdout.contains(expected), "{expected}: {}", run.stdout);
    }
    assert_no_secrets(&domain, &run);
    let json = custody(&["inspect", "--json", path(&domain.manifest_path())]);
    let facts: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(facts["kind"], "manifest");
    assert_eq!(facts["digest"], domain.manifest.digest().to_string());
    assert_eq!(facts["officials"][4]["id"], "embassy");
    assert_no_secrets(&domain, &json);
}

#[test]
fn inspect_refuses_unknown_and_broken_files_clearly() {
    let domain = Domain::new("ee-registries");
    let unknown = domain.passphrase_file("notes.txt", "hello");
    let run = custody(&["inspect", path(&unknown)]);
    assert!(!run.ok);
    assert!(run.stderr.contains("not a custody file"), "{}", run.stderr);
    assert!(run.stderr.contains("hint: "), "{}", run.stderr);
    let broken = domain.passphrase_file("broken.json", "{\"format\": \"custody-manifest\"}");
    let run = custody(&["inspect", path(&broken)]);
    assert!(!run.ok);
    assert!(run.stderr.contains("broken.json"), "{}", run.stderr);
    assert!(run.stderr.contains("missing field"), "{}", run.stderr);
    let missing = custody(&["inspect", "/nonexistent/file"]);
    assert!(!missing.ok);
    assert!(
        missing.stderr.contains("/nonexistent/file: cannot be read"),
        "{}",
        missing.stderr
    );
}

/// The `step` of each line of a transcript.
fn steps(transcript: &Path) -> Vec<String> {
    std::fs::read_to_string(transcript)
        .unwrap()
        .lines()
        .map(|line| {
            let entry: serde_json::Value = serde_json::from_str(line).unwrap();
            entry["step"].as_str().unwrap().to_owned()
        })
        .collect()
}

#[test]
fn reseal_changes_the_passphrase_and_records_the_new_file() {
    let domain = Domain::new("ee-registries");
    let transcript = domain.write_transcript();
    let old = domain.passphrase_file("old.pass", &passphrase_text("embassy"));
    let short = domain.passphrase_file("short.pass", "eleven char");
    let new_text = "a brand new passphrase for the embassy";
    let new = domain.passphrase_file("new.pass", new_text);
    let reseal = |new: &Path| {
        custody(&[
            "share",
            "reseal",
            "--manifest",
            path(&domain.manifest_path()),
            path(&domain.share_path("embassy")),
            "--passphrase-file",
            path(&old),
            "--new-passphrase-file",
            path(new),
        ])
    };

    let refused = reseal(&short);
    assert!(!refused.ok);
    assert!(
        refused.stderr.contains("shorter than 12 characters"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        Manifest::load(&domain.manifest_path()).unwrap(),
        domain.manifest
    );
    assert_eq!(steps(&transcript), ["genesis.begin", "genesis.close"]);

    let run = reseal(&new);
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("the old passphrase no longer opens it"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("Distribute the updated manifest.json"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains(new_text));
    assert_no_secrets(&domain, &run);

    let updated = Manifest::load(&domain.manifest_path()).unwrap();
    // The share fingerprints are outside the signed content: the digest stays.
    assert_eq!(updated.digest(), domain.manifest.digest());
    assert_ne!(updated, domain.manifest);
    assert!(
        run.stdout
            .contains(&custody::readout::hex_groups(updated.digest().as_bytes())),
        "{}",
        run.stdout
    );
    assert_eq!(
        steps(&transcript),
        [
            "genesis.begin",
            "genesis.close",
            "reseal.begin",
            "reseal.close"
        ]
    );
    let recorded = custody::ceremony::transcript::read_closed(&transcript).unwrap();
    assert_eq!(
        recorded.last_manifest().unwrap().digest,
        updated.digest().to_string()
    );
    let after = verify(&domain, "embassy", &new);
    assert!(after.ok, "{}", after.stderr);
    let old_refused = verify(&domain, "embassy", &old);
    assert!(!old_refused.ok);
    assert!(
        old_refused.stderr.contains("the passphrase does not open"),
        "{}",
        old_refused.stderr
    );
    let leftovers: Vec<_> = std::fs::read_dir(domain.dir.path().join("shares"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 5, "{leftovers:?}");
}

#[test]
fn a_reseal_the_transcript_cannot_record_says_what_it_wrote_and_what_is_not_recorded() {
    let domain = Domain::new("ee-registries");
    let old = domain.passphrase_file("old.pass", &passphrase_text("embassy"));
    let fifo = domain.dir.path().join("new.pass");
    let made = Command::new("mkfifo")
        .args(["-m", "600", path(&fifo)])
        .status()
        .unwrap();
    assert!(made.success());
    let mut child = Command::new(env!("CARGO_BIN_EXE_custody"))
        .args([
            "share",
            "reseal",
            "--manifest",
            path(&domain.manifest_path()),
            path(&domain.share_path("embassy")),
            "--passphrase-file",
            path(&old),
            "--new-passphrase-file",
            path(&fifo),
            "--new-transcript",
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The FIFO opens for writing once custody opens it to read the new passphrase: by then it
    // has settled that the missing transcript is started anew when the reseal is recorded.
    let (sender, receiver) = std::sync::mpsc::channel();
    let writer = fifo.clone();
    std::thread::spawn(move || {
        let _ = sender.send(std::fs::OpenOptions::new().write(true).open(writer));
    });
    let mut new = loop {
        match receiver.recv_timeout(std::time::Duration::from_millis(100)) {
            Ok(file) => break file.unwrap(),
            Err(_) => {
                if child.try_wait().unwrap().is_some() {
                    let output = child.wait_with_output().unwrap();
                    panic!(
                        "custody stopped before reading the new passphrase: {}",
                        String::from_utf8_lossy(&output.stderr)
                    );
                }
            }
        }
    };
    // Meanwhile a transcript appears that is not one: the reseal cannot be recorded in it.
    let transcript = domain.transcript_path();
    std::fs::write(&transcript, "not a transcript\n").unwrap();
    std::io::Write::write_all(&mut new, b"a brand new passphrase for the embassy\n").unwrap();
    drop(new);
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);

    // The reseal stands (D50), and the warning says what was written and what is not recorded.
    assert!(output.status.success(), "{stdout}{stderr}");
    let updated = Manifest::load(&domain.manifest_path()).unwrap();
    let fingerprint = updated
        .officials()
        .iter()
        .find(|entry| entry.official().id().as_str() == "embassy")
        .unwrap()
        .share_fingerprint()
        .to_string();
    assert_ne!(updated, domain.manifest);
    let warning = format!(
        "warning: the share file {share} WAS resealed (new fingerprint {fingerprint}) and \
         {manifest} records it, but the transcript does not record reseal.begin and \
         reseal.close (transcript {transcript}, line 1: not a transcript entry",
        share = domain.share_path("embassy").display(),
        manifest = domain.manifest_path().display(),
        transcript = transcript.display(),
    );
    assert!(stderr.contains(&warning), "{stderr}");
    assert!(
        stderr.contains(
            "hint: the reseal stands: the share opens only with the new passphrase, and the \
             manifest records the new file"
        ),
        "{stderr}"
    );
    assert!(stdout.starts_with("ok: resealed share 5"), "{stdout}");
    assert_eq!(
        std::fs::read_to_string(&transcript).unwrap(),
        "not a transcript\n"
    );
}

#[test]
fn a_reseal_refuses_a_manifest_the_transcript_does_not_end_on_before_any_passphrase() {
    let domain = Domain::new("ee-registries");
    let transcript = domain.write_transcript();
    // The transcript records a later manifest than the one in force, as when an older
    // manifest.json (and chain/) was put back: a reseal must not record the older one as current.
    let later = "ab".repeat(32);
    custody::ceremony::transcript::Transcript::open(
        &transcript,
        custody::ceremony::transcript::IfMissing::Refuse,
    )
    .unwrap()
    .append(custody::ceremony::transcript::Record {
        step: "reshare.close".into(),
        outputs: [("manifest.json".into(), later.clone())].into(),
        ..Default::default()
    })
    .unwrap();
    let files = [
        domain.manifest_path(),
        domain.share_path("embassy"),
        transcript.clone(),
    ];
    let before: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    // Passphrase files that do not exist: had either been read, the refusal would name it.
    let nowhere = domain.dir.path().join("nowhere");
    let run = custody(&[
        "share",
        "reseal",
        "--manifest",
        path(&domain.manifest_path()),
        path(&domain.share_path("embassy")),
        "--passphrase-file",
        path(&nowhere.join("old.pass")),
        "--new-passphrase-file",
        path(&nowhere.join("new.pass")),
    ]);
    assert!(!run.ok, "{}", run.stdout);
    assert!(
        run.stderr.contains(&format!(
            "error: manifest.json has digest {}, but the transcript last recorded {later} (line 3): \
             the manifest was changed outside a ceremony\n",
            domain.manifest.digest(),
        )),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("passphrase"), "{}", run.stderr);
    let after: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    assert_eq!(after, before, "the refusal changed a file");
}
