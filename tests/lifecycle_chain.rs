//! A whole domain lifecycle through the `custody` binary on real SoftHSM tokens, whose manifest
//! chain a second implementation verifies (issue 12): genesis, an archive sealed at home, an
//! unlock at the embassy, two rotations (the archive rewrapped each time), a reshare to new
//! officials and a drill by them (the canary follows the key) — `custody audit` passing after
//! every step — then
//! tests/crosscheck/chain.py, written from docs/FORMAT.md sections 6 and 10 alone, verifies the
//! chain from the genesis fingerprint and agrees with custody on every digest. A copy with one
//! character of an official's name changed in chain/000002.json is refused by both, at position 2.
//!
//! Python comes from the environment tests/crosscheck/install.sh makes; without it the test fails
//! saying how to install it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod room;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use common::TINY_KDF;
use room::{officials_toml, passphrase, Room, Run};
use serde_json::Value;

/// The reshare's new officials: two stay, one joins; a 2-of-3 set.
const NEW_OFFICIALS: [(&str, &str); 3] = [
    ("cio", "Government CIO"),
    ("ria", "Director of RIA"),
    ("state-ciso", "State CISO"),
];

/// The Python of the cross-check environment.
fn python() -> PathBuf {
    common::crosscheck_python("chain")
}

/// tests/crosscheck/chain.py on `dir`, expecting `fingerprint`.
fn chain_py(dir: &Path, fingerprint: &str) -> Run {
    let script = common::repo_root().join("tests/crosscheck/chain.py");
    let output = Command::new(python())
        .arg(script)
        .arg(dir)
        .arg(fingerprint)
        .output()
        .unwrap();
    Run::from(output)
}

fn text(path: &Path) -> String {
    path.display().to_string()
}

fn args(list: &[String]) -> Vec<&str> {
    list.iter().map(String::as_str).collect()
}

/// The hex after `label` on the first line that starts with it, spaces removed (a digest or
/// fingerprint read aloud in groups of four).
fn hex_after(output: &str, label: &str) -> String {
    let line = output
        .lines()
        .find(|line| line.starts_with(label))
        .unwrap_or_else(|| panic!("no line {label:?} in:\n{output}"));
    line[label.len()..].split_whitespace().collect()
}

/// Copies a directory tree (files and directories only: a domain directory has nothing else).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

struct Lifecycle {
    room: Room,
    archives: PathBuf,
}

impl Lifecycle {
    /// A room with an archive directory, before genesis.
    fn new() -> Self {
        let room = Room::new();
        let archives = room.hsm.dir().join("archives");
        std::fs::create_dir(&archives).unwrap();
        Self { room, archives }
    }

    fn manifest(&self) -> String {
        text(&self.room.dir().join("manifest.json"))
    }

    fn pdir(&self) -> String {
        text(&self.room.pdir)
    }

    fn succeeds(&self, step: &str, list: &[String]) -> Run {
        let run = self.room.custody(&args(list));
        assert!(run.ok, "{step} failed: {}{}", run.stdout, run.stderr);
        run
    }

    /// `custody audit DIR` passes; its output.
    fn audited(&self, after: &str) -> String {
        let run = self.room.custody(&["audit", &text(&self.room.dir())]);
        assert!(
            run.ok,
            "the audit after {after} failed: {}{}",
            run.stdout, run.stderr
        );
        run.stdout
    }

    fn rotate(&self) -> Run {
        let mut list: Vec<String> = vec![
            "rotate".into(),
            "--manifest".into(),
            self.manifest(),
            "--hsm".into(),
            self.room.home.uri.to_string(),
            "--hsm".into(),
            self.room.embassy.uri.to_string(),
            "--passphrases".into(),
            self.pdir(),
            "--archives".into(),
            text(&self.archives),
        ];
        list.extend(TINY_KDF.map(str::to_owned));
        list.extend(["cio", "ria", "justice"].map(|id| self.room.share(id)));
        self.succeeds("rotate", &list)
    }

    fn drill(&self, quorum: &[&str]) -> Run {
        let mut list: Vec<String> = [
            "drill",
            "--manifest",
            &self.manifest(),
            "--passphrases",
            &self.pdir(),
        ]
        .map(str::to_owned)
        .into();
        list.extend(quorum.iter().map(|id| self.room.share(id)));
        self.room.custody(&args(&list))
    }

    fn reshare(&self) -> Run {
        let officials = self.room.hsm.dir().join("new-officials.toml");
        std::fs::write(&officials, officials_toml(&NEW_OFFICIALS)).unwrap();
        common::write_private(
            &self.room.pdir.join("state-ciso.pass"),
            passphrase("state-ciso"),
        );
        let mut list: Vec<String> = [
            "reshare",
            "--manifest",
            &self.manifest(),
            "--officials",
            &text(&officials),
            "--threshold",
            "2",
            "--reason",
            "justice minister retired",
            "--passphrases",
            &self.pdir(),
        ]
        .map(str::to_owned)
        .into();
        list.extend(TINY_KDF.map(str::to_owned));
        list.extend(["cio", "justice", "ria"].map(|id| self.room.share(id)));
        self.succeeds("reshare", &list)
    }
}

/// Issue 13, finding 7: after two rotations and a reshare, each superseded share set and canary
/// is in `history/` under docs/FORMAT.md 8.4's names, no empty directory is left in the domain
/// directory, and the audit (`audit`, its output) lists the chain and the history; whatever else
/// is put in `history/` it flags, and still passes.
fn history_is_kept_in_one_place(life: &Lifecycle, audit: &str) {
    let dir = life.room.dir();
    // Position 1 enrolled the embassy's token: the same set as position 0.
    let sets: Vec<String> = [0, 2, 3].map(|p| common::superseded_shares(&dir, p)).into();
    let mut expected: Vec<String> = sets
        .iter()
        .map(|set| set.trim_start_matches("history/").to_owned())
        .chain(["canary-e1.custody".into(), "canary-e2.custody".into()])
        .collect();
    expected.sort();
    assert_eq!(common::names_in(&dir.join("history")), expected);
    for set in &sets {
        assert_eq!(common::names_in(&dir.join(set)).len(), 5, "{set}");
    }
    assert_eq!(common::empty_directories(&dir), Vec::<String>::new());
    let prefix = |set: &str| set.rsplit('-').next().unwrap().to_owned();
    let new_set = |position: u64| {
        let file = dir.join(format!("chain/{position:06}.json"));
        let manifest: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
        manifest["set_id"].as_str().unwrap()[..8].to_owned()
    };
    for line in [
        "chain/             5 manifests".to_owned(),
        format!(
            "  position 0 epoch 1 set {} genesis   created ",
            prefix(&sets[0])
        ),
        format!(
            "  position 1 epoch 1 set {} enrolment created ",
            prefix(&sets[0])
        ),
        format!(
            "  position 2 epoch 2 set {} rotation  created ",
            prefix(&sets[1])
        ),
        format!(
            "  position 3 epoch 3 set {} rotation  created ",
            prefix(&sets[2])
        ),
        format!("  position 4 epoch 3 set {} reshare   created ", new_set(4)),
        "history/           3 superseded share sets, 2 superseded canaries".to_owned(),
        format!(
            "  {}  the set of position 0 (epoch 1): 5 share files",
            sets[0]
        ),
        format!(
            "  {}  the set of position 2 (epoch 2): 5 share files",
            sets[1]
        ),
        format!(
            "  {}  the set of position 3 (epoch 3): 5 share files",
            sets[2]
        ),
        "  history/canary-e1.custody  the canary of epoch 1".to_owned(),
        "  history/canary-e2.custody  the canary of epoch 2".to_owned(),
    ] {
        assert!(audit.contains(&line), "{line:?} not in\n{audit}");
    }
    assert!(!audit.contains("WARNING: history/"), "{audit}");

    // What custody does not write there: flagged, one warning each, the audit still passes.
    let planted = [
        "history/shares-e9-00000000",
        "history/canary-e3.custody",
        "history/shares-e1-0000000",
    ];
    std::fs::create_dir(dir.join(planted[0])).unwrap();
    std::fs::write(dir.join(planted[1]), "not a canary of a superseded epoch").unwrap();
    std::fs::write(dir.join(planted[2]), "not a set directory").unwrap();
    let stray = format!("{}/notes.txt", sets[0]);
    std::fs::write(dir.join(&stray), "not a share file").unwrap();
    let flagged = life.audited("planting files in history/");
    for (path, why) in [
        (
            planted[0],
            "names no superseded share set of this domain's chain",
        ),
        (
            planted[1],
            "names no superseded epoch of this domain's chain",
        ),
        (planted[2], "not a name custody writes in history/"),
        (stray.as_str(), "not a share file of the set kept there"),
    ] {
        let warning = format!("  WARNING: {path}: {why}: custody did not put it there");
        assert!(flagged.contains(&warning), "{warning:?} not in\n{flagged}");
    }
    std::fs::remove_dir(dir.join(planted[0])).unwrap();
    for file in [planted[1], planted[2], &stray] {
        std::fs::remove_file(dir.join(file)).unwrap();
    }
}

#[test]
fn a_whole_lifecycle_leaves_a_chain_a_second_implementation_verifies() {
    let started = Instant::now();
    python(); // fail before the lifecycle, not after it, when the environment is missing
    let life = Lifecycle::new();
    let room = &life.room;
    let dir = room.dir();

    // Genesis: the fingerprint read aloud is the genesis manifest's.
    let genesis = room.genesis();
    let fingerprint = hex_after(&genesis.stdout, "domain fingerprint ");
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["domain_fingerprint"], fingerprint.as_str());
    life.audited("genesis");

    // An archive sealed at home.
    let original = room.hsm.dir().join("pensions.csv");
    let content = "id,amount\n1,100\n2,250\n";
    std::fs::write(&original, content).unwrap();
    let uri = room.home.uri.to_string();
    life.succeeds(
        "seal",
        &[
            "seal",
            "--manifest",
            &life.manifest(),
            "--hsm",
            &uri,
            "--out-dir",
            &text(&life.archives),
            &text(&original),
        ]
        .map(str::to_owned),
    );
    let archive = life.archives.join("pensions.csv.custody");
    assert!(archive.is_file());
    life.audited("seal");

    // The key unlocked at the embassy by a quorum.
    let unlock = room.unlock(&[room.share("cio"), room.share("justice"), room.share("ria")]);
    assert!(
        unlock.ok,
        "unlock failed: {}{}",
        unlock.stdout, unlock.stderr
    );
    life.audited("unlock");

    // Two rotations, each rewrapping the archive, then a reshare to new officials.
    life.rotate();
    life.audited("the first rotation");
    life.rotate();
    life.audited("the second rotation");
    life.reshare();
    life.audited("the reshare");

    // A drill by the new officials: the canary follows the key through both rotations.
    let drill = life.drill(&["cio", "ria"]);
    assert!(drill.ok, "drill failed: {}{}", drill.stdout, drill.stderr);
    assert!(drill.stdout.contains("DRILL PASSED"), "{}", drill.stdout);

    let audit = life.audited("the drill");
    assert!(
        audit.contains("manifest chain     5 manifests, every signature verified from genesis"),
        "{audit}"
    );
    assert_eq!(hex_after(&audit, "domain fingerprint "), fingerprint);
    assert!(audit.contains("domain ee-registries, epoch 3"), "{audit}");
    history_is_kept_in_one_place(&life, &audit);

    // The archive sealed at genesis still opens, under the key of epoch 3.
    let restored = room.hsm.dir().join("pensions.restored");
    life.succeeds(
        "open",
        &[
            "open",
            "--hsm",
            &uri,
            &text(&archive),
            "-o",
            &text(&restored),
        ]
        .map(str::to_owned),
    );
    assert_eq!(std::fs::read_to_string(&restored).unwrap(), content);

    // The second implementation verifies the chain from the genesis fingerprint, and finds the
    // digests custody finds.
    let python = chain_py(&dir, &fingerprint);
    assert!(
        python.ok,
        "the second implementation refused the chain: {}{}",
        python.stdout, python.stderr
    );
    let lines: Vec<&str> = python
        .stdout
        .lines()
        .filter(|line| line.starts_with("position "))
        .collect();
    let expected = [
        (0, 1, "genesis"),
        (1, 1, "enrolment"),
        (2, 2, "rotation"),
        (3, 3, "rotation"),
        (4, 3, "reshare"),
    ];
    assert_eq!(lines.len(), expected.len(), "{}", python.stdout);
    for (line, (position, epoch, how)) in lines.iter().zip(expected) {
        let chain_file = dir.join(format!("chain/{position:06}.json"));
        let digest = custody::domain::Manifest::load(&chain_file)
            .unwrap()
            .digest();
        assert_eq!(
            *line,
            format!("position {position} epoch {epoch} digest {digest} ({how})"),
            "{}",
            python.stdout
        );
    }
    let in_force = custody::domain::Manifest::load(&dir.join("manifest.json")).unwrap();
    assert_eq!(in_force.chain_position(), 4);
    assert!(
        lines[4].contains(&in_force.digest().to_string()),
        "{}",
        python.stdout
    );
    assert!(
        python
            .stdout
            .contains(&format!("5 manifests verified from genesis; domain fingerprint {fingerprint} (the one expected)"))
            && python.stdout.contains(" signed ceremonies in transcript.jsonl verified"),
        "{}",
        python.stdout
    );

    // Another expected fingerprint is refused.
    let other = format!(
        "{}{}",
        &fingerprint[..63],
        if fingerprint.ends_with('0') { '1' } else { '0' }
    );
    let refused = chain_py(&dir, &other);
    assert!(!refused.ok, "{}", refused.stdout);
    assert!(
        refused.stderr.contains("chain position 0"),
        "{}",
        refused.stderr
    );

    // A copy whose chain/000002.json names an official one character differently.
    let copy = room.hsm.dir().join("tampered");
    copy_tree(&dir, &copy);
    let file = copy.join("chain/000002.json");
    let mut value: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let name = value["officials"][0]["name"].as_str().unwrap().to_owned();
    let mut changed: Vec<char> = name.chars().collect();
    changed[0] = if changed[0] == 'X' { 'Y' } else { 'X' };
    let changed: String = changed.into_iter().collect();
    value["officials"][0]["name"] = Value::String(changed.clone());
    let mut bytes = serde_json::to_vec_pretty(&value).unwrap();
    bytes.push(b'\n');
    std::fs::write(&file, bytes).unwrap();
    assert_ne!(name, changed);

    let refused = chain_py(&copy, &fingerprint);
    assert!(
        !refused.ok,
        "the second implementation accepted a changed name: {}",
        refused.stdout
    );
    assert!(
        refused.stderr.contains("chain position 2"),
        "the refusal does not name position 2: {}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("signature does not verify"),
        "{}",
        refused.stderr
    );
    let audit = room.custody(&["audit", &text(&copy)]);
    assert!(
        !audit.ok,
        "custody audit accepted a changed name: {}",
        audit.stdout
    );
    assert!(
        audit.stderr.contains("chain position 2"),
        "custody's refusal does not name position 2: {}",
        audit.stderr
    );
    eprintln!("lifecycle and cross-check took {:.1?}", started.elapsed());
}
