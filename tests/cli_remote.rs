//! Remote contribution end to end through the `custody` binary on real SoftHSM tokens: the
//! ceremony machine issues a request on its token, officials contribute from their own
//! directories (other machines, carried as files), and the ceremony takes the contributions
//! beside a share file at the keyboard. Every refusal is named, changes nothing it should not,
//! and a contribution kept after the ceremony is useless.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod room;

use std::path::{Path, PathBuf};

use common::lines_of;
use room::{Room, Run};
use sha2::Digest;

/// An official's own machine: a directory holding a copy of their share file and passphrase.
fn machine(room: &Room, official: &str) -> PathBuf {
    let dir = room.hsm.dir().join(format!("machine-{official}"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(room.share(official), dir.join("my.share")).unwrap();
    common::write_private(
        &dir.join("pass"),
        std::fs::read(room.pdir.join(format!("{official}.pass"))).unwrap(),
    );
    dir
}

fn request(room: &Room, purpose: &str, expires: &str, out: &Path) -> Run {
    let manifest = room.dir().join("manifest.json");
    room.custody(&[
        "request",
        "--manifest",
        manifest.to_str().unwrap(),
        "--hsm",
        &room.embassy.uri.to_string(),
        "--purpose",
        purpose,
        "--expires",
        expires,
        "--out",
        out.to_str().unwrap(),
    ])
}

/// `official` contributes from their machine to `req`, into `out`.
fn contribute(room: &Room, official: &str, req: &Path, out: &Path) -> Run {
    let dir = machine(room, official);
    room.custody(&[
        "share",
        "contribute",
        "--request",
        req.to_str().unwrap(),
        dir.join("my.share").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--passphrase-file",
        dir.join("pass").to_str().unwrap(),
    ])
}

fn remote_unlock(
    room: &Room,
    req: &Path,
    contributions: &Path,
    shares: &[String],
    extra: &[&str],
) -> Run {
    let manifest = room.dir().join("manifest.json");
    let mut args = vec![
        "unlock".to_owned(),
        "--manifest".into(),
        manifest.display().to_string(),
        "--hsm".into(),
        room.embassy.uri.to_string(),
        "--passphrases".into(),
        room.pdir.display().to_string(),
        "--request".into(),
        req.display().to_string(),
        "--contributions".into(),
        contributions.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    args.extend(shares.iter().cloned());
    room.custody(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// A room after genesis, a request for `purpose` and a directory of the contributions of
/// `officials` to it.
fn with_contributions(purpose: &str, officials: &[&str]) -> (Room, PathBuf, PathBuf) {
    let room = Room::new();
    room.genesis();
    let req = room.hsm.dir().join("unlock.request");
    let run = request(&room, purpose, "24h", &req);
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    let dir = room.hsm.dir().join("contributions");
    std::fs::create_dir(&dir).unwrap();
    for official in officials {
        let run = contribute(
            &room,
            official,
            &req,
            &dir.join(format!("{official}.contribution")),
        );
        assert!(run.ok, "{}{}", run.stdout, run.stderr);
    }
    (room, req, dir)
}

fn transcript(room: &Room) -> Vec<String> {
    lines_of(&room.dir().join("transcript.jsonl"))
}

fn embassy_keys(room: &Room) -> String {
    let run = room.custody(&["hsm", "keys", &room.embassy.uri.to_string()]);
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    run.stdout
}

#[test]
fn two_officials_contribute_remotely_and_one_at_the_keyboard_unlock() {
    let (room, req, dir) = with_contributions("unlock", &["cio", "ria"]);
    assert!(embassy_keys(&room).contains(":request:"));
    assert_eq!(
        std::fs::metadata(dir.join("cio.contribution"))
            .unwrap()
            .len(),
        1622
    );
    let run = remote_unlock(
        &room,
        &req,
        &dir,
        &[room.share("justice")],
        &["--session-only"],
    );
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("Shares used: cio, ria, justice"),
        "{}",
        run.stdout
    );
    let lines = transcript(&room);
    let fingerprint =
        hex::encode(&std::fs::read(&req).unwrap()[std::fs::read(&req).unwrap().len() - 32..]);
    assert!(lines
        .iter()
        .any(|l| l.contains("unlock.request-opened") && l.contains(&fingerprint)));
    for official in ["cio", "ria"] {
        assert!(
            lines.iter().any(|l| l.contains("unlock.share-accepted")
                && l.contains(&format!("[\"{official}\"]"))
                && l.contains(&format!("\"request\":\"{fingerprint}\""))),
            "{official}: {lines:#?}"
        );
    }
    assert!(lines.iter().any(|l| l.contains("unlock.share-accepted")
        && l.contains("[\"justice\"]")
        && !l.contains("request")));
    assert!(lines
        .iter()
        .any(|l| l.contains("unlock.request-destroyed") && l.contains("\"reason\":\"completed\"")));
    assert!(
        !embassy_keys(&room).contains(":request:"),
        "the request key is destroyed"
    );
    assert!(common::names_in(&room.dir().join("requests")).is_empty());
    let audit = room.custody(&["audit", room.dir().to_str().unwrap()]);
    assert!(audit.ok, "{}{}", audit.stdout, audit.stderr);

    // Kept after the ceremony, the contributions are useless: the request's key is gone.
    let again = remote_unlock(
        &room,
        &req,
        &dir,
        &[room.share("justice")],
        &["--session-only"],
    );
    assert!(!again.ok);
    assert!(
        again.stderr.contains("is no longer on token embassy"),
        "{}",
        again.stderr
    );
}

#[test]
fn a_contribution_is_text_when_asked_and_holds_no_share_in_clear() {
    let room = Room::new();
    room.genesis();
    let req = room.hsm.dir().join("unlock.request");
    assert!(request(&room, "unlock", "1h", &req).ok);
    let dir = machine(&room, "cio");
    let out = dir.join("cio.txt");
    let run = room.custody(&[
        "share",
        "contribute",
        "--request",
        req.to_str().unwrap(),
        dir.join("my.share").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--passphrase-file",
        dir.join("pass").to_str().unwrap(),
        "--armor",
    ]);
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    let text = std::fs::read_to_string(&out).unwrap();
    // The sizes docs/FORMAT.md 13.1 and 14.6 state.
    assert_eq!(std::fs::metadata(&req).unwrap().len(), 1388);
    assert_eq!(text.len(), 3367);
    assert!(
        text.starts_with("-----BEGIN CUSTODY CONTRIBUTION-----\n"),
        "{text}"
    );
    let share = std::fs::read(dir.join("my.share")).unwrap();
    assert!(
        !text.contains(&hex::encode(&share[..64])),
        "the share file travels encrypted"
    );
    let over_the_share = room.custody(&[
        "share",
        "contribute",
        "--request",
        req.to_str().unwrap(),
        dir.join("my.share").to_str().unwrap(),
        "--out",
        dir.join("my.share").to_str().unwrap(),
        "--passphrase-file",
        dir.join("pass").to_str().unwrap(),
    ]);
    assert!(!over_the_share.ok);
    assert!(
        over_the_share
            .stderr
            .contains("the contribution would replace it"),
        "{}",
        over_the_share.stderr
    );
    assert_eq!(std::fs::read(dir.join("my.share")).unwrap(), share);
    let mut names = common::names_in(&dir);
    names.sort();
    assert_eq!(
        names,
        ["cio.txt", "my.share", "pass"],
        "nothing else is left on the machine"
    );
}

#[test]
fn an_expired_request_is_refused_and_its_key_destroyed() {
    let room = Room::new();
    room.genesis();
    let req = room.hsm.dir().join("unlock.request");
    assert!(request(&room, "unlock", "4s", &req).ok);
    let dir = room.hsm.dir().join("contributions");
    std::fs::create_dir(&dir).unwrap();
    for official in ["cio", "ria"] {
        let run = contribute(&room, official, &req, &dir.join(official));
        assert!(run.ok, "{}{}", run.stdout, run.stderr);
    }
    std::thread::sleep(std::time::Duration::from_secs(5));
    let late = contribute(&room, "justice", &req, &dir.join("justice"));
    assert!(!late.ok);
    assert!(late.stderr.contains("expired at"), "{}", late.stderr);
    let run = remote_unlock(&room, &req, &dir, &[room.share("justice")], &[]);
    assert!(!run.ok);
    assert!(run.stderr.contains("expired at"), "{}", run.stderr);
    assert!(
        run.stderr.contains("its key is now destroyed"),
        "{}",
        run.stderr
    );
    assert!(!embassy_keys(&room).contains(":request:"));
    assert!(
        !embassy_keys(&room).contains("ee-registries:e1"),
        "no domain key imported"
    );
    assert!(transcript(&room)
        .iter()
        .any(|l| l.contains("unlock.request-destroyed") && l.contains("\"reason\":\"expired\"")));
}

#[test]
fn a_request_for_another_purpose_is_refused_before_anything_is_asked() {
    let (room, req, dir) = with_contributions("drill", &["cio", "ria"]);
    let run = remote_unlock(&room, &req, &dir, &[room.share("justice")], &[]);
    assert!(!run.ok);
    assert!(
        run.stderr.contains("is for a drill, not this unlock"),
        "{}",
        run.stderr
    );
    assert!(
        embassy_keys(&room).contains(":request:"),
        "the request stays for its drill"
    );
}

#[test]
fn contributions_of_another_ceremony_tampered_or_replayed_are_named_and_set_aside() {
    let (room, req, dir) = with_contributions("unlock", &["cio"]);
    // Another request: its contribution does not belong to this ceremony.
    let other = room.hsm.dir().join("other.request");
    assert!(request(&room, "unlock", "24h", &other).ok);
    let run = contribute(&room, "ria", &other, &dir.join("ria-other"));
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    // Justice's, altered with its checksum made good again.
    let justice = dir.join("justice-tampered");
    assert!(contribute(&room, "justice", &req, &justice).ok);
    let mut bytes = std::fs::read(&justice).unwrap();
    let len = bytes.len();
    bytes[len - 40] ^= 1;
    let checksum = sha2::Sha256::digest(&bytes[..len - 32]);
    bytes[len - 32..].copy_from_slice(&checksum);
    std::fs::write(&justice, bytes).unwrap();
    // Cio's again.
    std::fs::copy(dir.join("cio.contribution"), dir.join("cio-replayed")).unwrap();
    let run = remote_unlock(&room, &req, &dir, &[], &[]);
    assert!(!run.ok);
    let out = &run.stdout;
    assert!(out.contains("made for another ceremony"), "{out}");
    assert!(
        out.contains("does not decrypt under this request's key"),
        "{out}"
    );
    assert!(out.contains("each official counts once"), "{out}");
    assert!(
        run.stderr.contains("1 of 3 shares accepted"),
        "{}",
        run.stderr
    );
    assert!(
        !embassy_keys(&room).contains("ee-registries:e1"),
        "no domain key imported"
    );
    assert!(
        embassy_keys(&room).contains(":request:"),
        "the request stays for a retry"
    );
}

#[test]
fn a_request_of_another_domain_is_refused_by_the_official_and_by_the_ceremony() {
    let room = Room::new();
    room.genesis();
    let elsewhere = room.hsm.dir().join("other-domain");
    let run = room.genesis_elsewhere("ee-other", &room.home, "2", &elsewhere);
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    let req = room.hsm.dir().join("other.request");
    let manifest = elsewhere.join("manifest.json");
    let run = room.custody(&[
        "request",
        "--manifest",
        manifest.to_str().unwrap(),
        "--hsm",
        &room.embassy.uri.to_string(),
        "--purpose",
        "unlock",
        "--out",
        req.to_str().unwrap(),
    ]);
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    let out = room.hsm.dir().join("cio.contribution");
    let run = contribute(&room, "cio", &req, &out);
    assert!(!run.ok);
    assert!(
        run.stderr.contains("is for domain ee-other"),
        "{}",
        run.stderr
    );
    assert!(!out.exists());
    let dir = room.hsm.dir().join("contributions");
    std::fs::create_dir(&dir).unwrap();
    let run = remote_unlock(&room, &req, &dir, &[room.share("justice")], &[]);
    assert!(!run.ok);
    assert!(
        run.stderr
            .contains("not this manifest's domain ee-registries"),
        "{}",
        run.stderr
    );
}

#[test]
fn two_officials_contribute_remotely_and_one_at_the_keyboard_rotate() {
    let room = Room::new();
    room.genesis();
    let manifest = room.dir().join("manifest.json");
    let home = room.home.uri.to_string();
    let req = room.hsm.dir().join("rotate.request");
    let run = room.custody(&[
        "request",
        "--manifest",
        manifest.to_str().unwrap(),
        "--hsm",
        &home,
        "--purpose",
        "rotate",
        "--out",
        req.to_str().unwrap(),
    ]);
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    let dir = room.hsm.dir().join("contributions");
    std::fs::create_dir(&dir).unwrap();
    for official in ["cio", "ria"] {
        let run = contribute(&room, official, &req, &dir.join(official));
        assert!(run.ok, "{}{}", run.stdout, run.stderr);
    }
    let archives = room.hsm.dir().join("archives");
    std::fs::create_dir_all(&archives).unwrap();
    let justice = room.share("justice");
    let mut args = vec![
        "rotate",
        "--manifest",
        manifest.to_str().unwrap(),
        "--hsm",
        &home,
        "--passphrases",
        room.pdir.to_str().unwrap(),
        "--archives",
        archives.to_str().unwrap(),
        "--request",
        req.to_str().unwrap(),
        "--contributions",
        dir.to_str().unwrap(),
    ];
    args.extend(common::TINY_KDF);
    args.push(&justice);
    let run = room.custody(&args);
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("is destroyed on token home"),
        "{}",
        run.stdout
    );
    let lines = transcript(&room);
    assert!(lines.iter().any(|l| l.contains("rotate.request-opened")));
    assert!(lines.iter().any(|l| l.contains("rotate.share-accepted")
        && l.contains("[\"ria\"]")
        && l.contains("\"request\"")));
    assert!(lines
        .iter()
        .any(|l| l.contains("rotate.request-destroyed") && l.contains("completed")));
    let audit = room.custody(&["audit", room.dir().to_str().unwrap()]);
    assert!(audit.ok, "{}{}", audit.stdout, audit.stderr);
    // The contributions were of epoch 1's shares: a later rotation cannot use them.
    let run = room.custody(&args);
    assert!(!run.ok);
    assert!(
        run.stderr.contains("not the manifest in force"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_withdrawn_request_shreds_its_contributions() {
    let (room, req, dir) = with_contributions("unlock", &["cio", "ria"]);
    let listed = embassy_keys(&room);
    let label = listed
        .lines()
        .find_map(|line| line.strip_prefix("key "))
        .filter(|label| label.contains(":request:"))
        .unwrap()
        .to_owned();
    let manifest = room.dir().join("manifest.json");
    let run = room.custody(&[
        "hsm",
        "destroy",
        &room.embassy.uri.to_string(),
        "--key",
        &label,
        "--manifest",
        manifest.to_str().unwrap(),
        "--yes-destroy",
        &label,
    ]);
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("withdraws the request"),
        "{}",
        run.stdout
    );
    assert!(!embassy_keys(&room).contains(":request:"));
    assert!(common::names_in(&room.dir().join("requests")).is_empty());
    assert!(transcript(&room)
        .iter()
        .any(|l| l.contains("key.request-destroyed") && l.contains("withdrawn")));
    let run = remote_unlock(&room, &req, &dir, &[room.share("justice")], &[]);
    assert!(!run.ok);
    assert!(
        run.stderr.contains("is no longer on token embassy"),
        "{}",
        run.stderr
    );
    let audit = room.custody(&["audit", room.dir().to_str().unwrap()]);
    assert!(audit.ok, "{}{}", audit.stdout, audit.stderr);
}

#[test]
fn two_officials_contribute_remotely_and_one_at_the_keyboard_reshare() {
    let (room, req, dir) = with_contributions("reshare", &["cio", "ria"]);
    let manifest = room.dir().join("manifest.json");
    let embassy = room.embassy.uri.to_string();
    let justice = room.share("justice");
    let mut args = vec![
        "reshare",
        "--manifest",
        manifest.to_str().unwrap(),
        "--officials",
        room.officials.to_str().unwrap(),
        "--threshold",
        "2",
        "--passphrases",
        room.pdir.to_str().unwrap(),
        "--request",
        req.to_str().unwrap(),
        "--contributions",
        dir.to_str().unwrap(),
    ];
    args.extend(common::TINY_KDF);
    let without_token = room.custody(&[args.as_slice(), &[justice.as_str()]].concat());
    assert!(!without_token.ok);
    assert!(
        without_token.stderr.contains("--request needs --hsm URI"),
        "{}",
        without_token.stderr
    );
    args.extend(["--hsm", &embassy, &justice]);
    let run = room.custody(&args);
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    let lines = transcript(&room);
    assert!(lines.iter().any(|l| l.contains("reshare.share-accepted")
        && l.contains("[\"cio\"]")
        && l.contains("\"request\"")));
    assert!(lines
        .iter()
        .any(|l| l.contains("reshare.request-destroyed") && l.contains("completed")));
    assert!(!embassy_keys(&room).contains(":request:"));
    let audit = room.custody(&["audit", room.dir().to_str().unwrap()]);
    assert!(audit.ok, "{}{}", audit.stdout, audit.stderr);
}

#[test]
fn two_officials_contribute_remotely_and_one_at_the_keyboard_drill() {
    let (room, req, dir) = with_contributions("drill", &["cio", "ria"]);
    let manifest = room.dir().join("manifest.json");
    let drill = |extra: &[&str]| {
        let mut args = vec![
            "drill".to_owned(),
            "--manifest".into(),
            manifest.display().to_string(),
            "--passphrases".into(),
            room.pdir.display().to_string(),
            "--request".into(),
            req.display().to_string(),
            "--contributions".into(),
            dir.display().to_string(),
        ];
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        args.push(room.share("justice"));
        room.custody(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    // Without the request's token there is nowhere to open the request: refused before anything.
    let run = drill(&[]);
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains(
            "a drill with contributions rehearses on the token that holds the request's key"
        ),
        "{}",
        run.stderr
    );
    let embassy = room.embassy.uri.to_string();
    let run = drill(&["--hsm", &embassy]);
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("DRILL PASSED in")
            && run
                .stdout
                .contains("shares of cio, ria, justice rebuilt the key"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "the session holding the rebuilt key is closed: the key left the token with it"
        ),
        "{}",
        run.stdout
    );
    // Nothing of the domain stays on the token: the key was a session object, the request is shredded.
    let keys = embassy_keys(&room);
    assert!(!keys.contains(":request:"), "{keys}");
    assert!(!keys.contains("custody:ee-registries:e1"), "{keys}");
    let lines = transcript(&room);
    assert!(lines
        .iter()
        .any(|l| l.contains("unlock.request-destroyed") && l.contains("\"reason\":\"completed\"")));
    assert!(lines
        .iter()
        .any(|l| l.contains("\"step\":\"drill.close\"") && l.contains("pass")));
    let audit = room.custody(&["audit", room.dir().to_str().unwrap()]);
    assert!(audit.ok, "{}{}", audit.stdout, audit.stderr);
}
