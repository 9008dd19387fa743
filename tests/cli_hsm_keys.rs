//! A domain's keys on a token, every epoch (issue 13, finding 3), through the binary on SoftHSM:
//! `custody hsm keys` lists and judges them, `custody hsm destroy` removes one that is not in
//! force (never the key in force, never during a rotation) and records it, and `custody seal`
//! refuses a manifest superseded by a newer key on the token, writing nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod room;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use room::{Room, Run};

const E1: &str = "custody:ee-registries:e1";
const E2: &str = "custody:ee-registries:e2";

fn text(path: &Path) -> String {
    path.display().to_string()
}

fn manifest(room: &Room) -> String {
    text(&room.dir().join("manifest.json"))
}

/// `custody hsm keys --json` on the home token, judged by `manifest` when given.
fn keys(room: &Room, manifest: Option<&str>) -> serde_json::Value {
    let uri = room.home.uri.to_string();
    let mut args = vec!["hsm", "keys", &uri, "--json"];
    if let Some(manifest) = manifest {
        args.extend(["--manifest", manifest]);
    }
    let run = room.custody(&args);
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    serde_json::from_str(&run.stdout).unwrap()
}

fn standings(listed: &serde_json::Value) -> Vec<(String, String)> {
    listed["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| {
            (
                key["label"].as_str().unwrap().to_owned(),
                key["standing"].as_str().unwrap_or("-").to_owned(),
            )
        })
        .collect()
}

fn pair(label: &str, standing: &str) -> (String, String) {
    (label.to_owned(), standing.to_owned())
}

fn destroy(room: &Room, label: &str, confirm: Option<&str>) -> Run {
    destroy_in(room, &manifest(room), label, confirm)
}

/// `custody hsm destroy` of `label` on the home token, judged by `manifest`.
fn destroy_in(room: &Room, manifest: &str, label: &str, confirm: Option<&str>) -> Run {
    let uri = room.home.uri.to_string();
    let mut args = vec![
        "hsm",
        "destroy",
        &uri,
        "--key",
        label,
        "--manifest",
        manifest,
    ];
    if let Some(confirm) = confirm {
        args.extend(["--yes-destroy", confirm]);
    }
    room.custody(&args)
}

/// `custody hsm destroy` without `--yes-destroy`, the operator typing `typed`.
fn destroy_typing(room: &Room, label: &str, typed: &str) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_custody"))
        .env("SOFTHSM2_CONF", room.home.softhsm_conf())
        .args(["hsm", "destroy", &room.home.uri.to_string(), "--key", label])
        .args(["--manifest", &manifest(room)])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(typed.as_bytes())
        .unwrap();
    Run::from(child.wait_with_output().unwrap())
}

fn audit_passes(room: &Room) {
    let run = room.custody(&["audit", &text(&room.dir())]);
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
}

#[test]
fn a_fresh_domain_lists_its_key_in_force_and_its_chain_record() {
    let room = Room::new();
    room.genesis();
    let unjudged = keys(&room, None);
    assert_eq!(standings(&unjudged), [pair(E1, "-")]);
    let listed = keys(&room, Some(&manifest(&room)));
    assert_eq!(standings(&listed), [pair(E1, "in-force")]);
    let key = &listed["keys"][0];
    assert_eq!(key["domain"], "ee-registries");
    assert_eq!(key["epoch"], 1);
    assert_eq!(key["id"].as_str().unwrap().len(), 32);
    assert_eq!(key["problems"].as_array().unwrap().len(), 0);
    assert_eq!(key["protections"]["sensitive"], true);
    assert_eq!(key["protections"]["extractable"], false);
    assert_eq!(key["protections"]["encrypt"], false);
    assert_eq!(listed["chain_records"][0]["domain"], "ee-registries");
    assert_eq!(listed["chain_records"][0]["position"], 0);
    let people = room.custody(&["hsm", "keys", &room.home.uri.to_string()]);
    assert!(people.ok, "{}", people.stderr);
    assert!(
        people.stdout.contains(&format!("key {E1}")),
        "{}",
        people.stdout
    );
    let embassy = room.custody(&["hsm", "keys", &room.embassy.uri.to_string()]);
    assert!(
        embassy.stdout.contains("no custody keys on this token"),
        "{}",
        embassy.stdout
    );
}

#[test]
fn a_superseded_key_is_listed_destroyed_on_confirmation_and_recorded() {
    let room = Room::new();
    room.genesis();
    room.rotate_keeping_the_old_key();
    let listed = keys(&room, Some(&manifest(&room)));
    assert_eq!(
        standings(&listed),
        [pair(E1, "superseded"), pair(E2, "in-force")]
    );
    assert_eq!(listed["chain_records"][0]["position"], 1);

    let in_force = destroy(&room, E2, Some(E2));
    assert!(!in_force.ok);
    assert!(
        in_force.stderr.contains("custody never destroys it"),
        "{}",
        in_force.stderr
    );
    let unconfirmed = destroy(&room, E1, None);
    assert!(!unconfirmed.ok);
    assert!(
        unconfirmed.stderr.contains("--yes-destroy"),
        "{}",
        unconfirmed.stderr
    );
    let mistyped = destroy_typing(&room, E1, "custody:ee-registries:e2\n");
    assert!(!mistyped.ok);
    assert!(
        mistyped.stdout.contains("Type the key's label"),
        "{}",
        mistyped.stdout
    );
    assert_eq!(
        standings(&keys(&room, None)),
        [pair(E1, "-"), pair(E2, "-")]
    );

    let destroyed = destroy_typing(&room, E1, &format!("{E1}\n"));
    assert!(destroyed.ok, "{}{}", destroyed.stdout, destroyed.stderr);
    assert_eq!(
        standings(&keys(&room, Some(&manifest(&room)))),
        [pair(E2, "in-force")]
    );
    let transcript = common::lines_of(&room.dir().join("transcript.jsonl"));
    let last: serde_json::Value = serde_json::from_str(transcript.last().unwrap()).unwrap();
    assert_eq!(last["step"], "key.destroyed");
    assert_eq!(last["detail"]["label"], E1);
    assert_eq!(last["detail"]["epoch"], "1");
    assert_eq!(last["detail"]["reason"], "superseded");
    assert_eq!(last["detail"]["token"], "home");
    audit_passes(&room);
}

#[test]
fn no_key_is_destroyed_while_a_rotation_journal_exists() {
    let room = Room::new();
    room.genesis();
    room.rotate_keeping_the_old_key();
    let journal = room.dir().join("rotation.journal.json");
    std::fs::write(&journal, "{}").unwrap();
    let run = destroy(&room, E1, Some(E1));
    assert!(!run.ok);
    assert!(
        run.stderr.contains("a rotation is under way"),
        "{}",
        run.stderr
    );
    assert_eq!(
        standings(&keys(&room, None)),
        [pair(E1, "-"), pair(E2, "-")]
    );
    std::fs::remove_file(&journal).unwrap();
    let run = destroy(&room, E1, Some(E1));
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
}

/// A key newer than the manifest on a token with no record of a later manifest: the domain
/// directory given is a copy taken before a rotation whose chain record a PIN holder then
/// removed (as a rotation that failed before its publication leaves the token). It is listed as
/// newer than the manifest; seal refuses the manifest (before, it sealed under the old key, and
/// recorded the old position) until the key is destroyed.
#[test]
fn a_key_newer_than_the_manifest_stops_seal_until_it_is_destroyed() {
    let room = Room::new();
    room.genesis();
    let stale = room.hsm.dir().join("stale");
    common::copy_dir(&room.dir(), &stale);
    room.rotate_keeping_the_old_key();
    common::delete_chain_record(&room.home, "ee-registries");
    let stale_manifest = text(&stale.join("manifest.json"));
    assert_eq!(
        standings(&keys(&room, Some(&stale_manifest))),
        [pair(E1, "in-force"), pair(E2, "newer-than-manifest")]
    );
    let input = room.hsm.dir().join("land.db");
    std::fs::write(&input, b"parcels").unwrap();
    let archive = room.hsm.dir().join("land.db.custody");
    let seal = || {
        room.custody(&[
            "seal",
            "--manifest",
            &stale_manifest,
            "--hsm",
            &room.home.uri.to_string(),
            &text(&input),
            "-o",
            &text(&archive),
        ])
    };
    let refused = seal();
    assert!(!refused.ok);
    assert!(
        refused
            .stderr
            .contains("holds the epoch 2 key of domain ee-registries"),
        "{}",
        refused.stderr
    );
    assert!(!archive.exists());
    assert_eq!(keys(&room, None)["chain_records"], serde_json::json!([]));
    let run = destroy_in(&room, &stale_manifest, E2, Some(E2));
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    let transcript = common::lines_of(&stale.join("transcript.jsonl"));
    assert!(transcript.last().unwrap().contains("newer-than-manifest"));
    let sealed = seal();
    assert!(sealed.ok, "{}", sealed.stderr);
    let audit = room.custody(&["audit", &text(&stale)]);
    assert!(audit.ok, "{}{}", audit.stdout, audit.stderr);
}

/// A key of the manifest's epoch that is not the manifest's key (another genesis of the same
/// domain id, its chain record removed by a PIN holder): listed as such, and destroyable.
#[test]
fn a_key_of_the_epoch_in_force_that_is_not_the_manifests_key_is_destroyable() {
    let room = Room::new();
    room.genesis();
    let other = room.hsm.dir().join("other");
    let run = room.genesis_elsewhere("ee-registries", &room.embassy, "3", &other);
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    common::delete_chain_record(&room.embassy, "ee-registries");
    let uri = room.embassy.uri.to_string();
    let listed = room.custody(&[
        "hsm",
        "keys",
        &uri,
        "--manifest",
        &manifest(&room),
        "--json",
    ]);
    assert!(listed.ok, "{}", listed.stderr);
    let listed: serde_json::Value = serde_json::from_str(&listed.stdout).unwrap();
    assert_eq!(standings(&listed), [pair(E1, "not-the-manifest-key")]);
    let run = room.custody(&[
        "hsm",
        "destroy",
        &uri,
        "--key",
        E1,
        "--manifest",
        &manifest(&room),
        "--yes-destroy",
        E1,
    ]);
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    let transcript = common::lines_of(&room.dir().join("transcript.jsonl"));
    assert!(transcript.last().unwrap().contains("not-the-manifest-key"));
    assert_eq!(
        standings(&keys(&room, Some(&manifest(&room)))),
        [pair(E1, "in-force")]
    );
    audit_passes(&room);
}

/// Issue 13, finding 3: after a rotation on the token, a stale copy of the old manifest
/// directory is refused by seal, which writes nothing (no archive, the chain record unchanged).
#[test]
fn seal_refuses_a_stale_manifest_when_the_token_holds_a_newer_epoch_key() {
    let room = Room::new();
    room.genesis();
    let stale = room.hsm.dir().join("stale");
    common::copy_dir(&room.dir(), &stale);
    room.rotate_keeping_the_old_key();
    let input = room.hsm.dir().join("land.db");
    std::fs::write(&input, b"parcels").unwrap();
    let archive = room.hsm.dir().join("land.db.custody");
    let run = room.custody(&[
        "seal",
        "--manifest",
        &text(&stale.join("manifest.json")),
        "--hsm",
        &room.home.uri.to_string(),
        &text(&input),
        "-o",
        &text(&archive),
    ]);
    assert!(!run.ok);
    assert!(
        run.stderr.contains("the manifest of epoch 1 is superseded"),
        "{}",
        run.stderr
    );
    assert!(!archive.exists());
    assert_eq!(keys(&room, None)["chain_records"][0]["position"], 1);
    // Judged by the stale manifest the key in force looks newer: the chain record refuses that.
    let stale_manifest = text(&stale.join("manifest.json"));
    let run = destroy_in(&room, &stale_manifest, E2, Some(E2));
    assert!(!run.ok);
    assert!(
        run.stderr.contains("has already seen position 1"),
        "{}",
        run.stderr
    );
    assert_eq!(
        standings(&keys(&room, None)),
        [pair(E1, "-"), pair(E2, "-")]
    );
}
