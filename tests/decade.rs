//! Ten simulated years of a data embassy through the `custody` binary on real SoftHSM tokens
//! (issue 13, "done when"): a home primary, a home spare and the embassy's token; genesis on both
//! home tokens; a backup sealed every quarter into a tree of years and quarters; an unlock at the
//! embassy that enrols its token; three rotations across every enrolled token; two reshares; the
//! spare lost, replaced by a new token that a quorum enrols, and retired by the next rotation; a
//! seal interrupted by Ctrl-C and an open killed outright; a drill after every ceremony. At the
//! end every archive opens byte for byte at every enrolled token, the retired spare can serve no
//! current manifest and its superseded key is destroyed, `custody audit` tells the whole history,
//! and nothing stray is left in any directory.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod room;

use std::io::Write;
use std::path::{Path, PathBuf};

use common::{
    enrolled_serial, names_in, signal, temporaries_in, wait_for_temporary, TestToken, TINY_KDF,
};
use room::{officials_toml, passphrase, Room, Run};

/// The first reshare: justice leaves, a state CISO joins; 3 of 4.
const SECOND_OFFICIALS: [(&str, &str); 4] = [
    ("cio", "Government CIO"),
    ("ria", "Director of RIA"),
    ("state-ciso", "State CISO"),
    ("auditor-general", "Auditor General"),
];

/// The second reshare: a smaller board; 2 of 3.
const THIRD_OFFICIALS: [(&str, &str); 3] = [
    ("cio", "Government CIO"),
    ("state-ciso", "State CISO"),
    ("president-office", "Head of the President's Office"),
];

fn text(path: &Path) -> String {
    path.display().to_string()
}

/// The embassy's life: the room, its tokens, the archive tree and every original sealed into it.
struct Embassy {
    room: Room,
    spare: TestToken,
    replacement: TestToken,
    tree: PathBuf,
    originals: Vec<PathBuf>,
    /// The officials of the share set in force, and how many rebuild the key.
    quorum: Vec<&'static str>,
}

impl Embassy {
    fn new() -> Self {
        let room = Room::new();
        let spare = room.hsm.token("spare");
        let replacement = room.hsm.token("spare-2");
        let tree = room.hsm.dir().join("archives");
        std::fs::create_dir(&tree).unwrap();
        for (id, _) in SECOND_OFFICIALS.iter().chain(&THIRD_OFFICIALS) {
            common::write_private(&room.pdir.join(format!("{id}.pass")), passphrase(id));
        }
        Self {
            room,
            spare,
            replacement,
            tree,
            originals: Vec::new(),
            quorum: vec!["cio", "justice", "ria"],
        }
    }

    fn manifest(&self) -> String {
        text(&self.room.dir().join("manifest.json"))
    }

    fn pdir(&self) -> String {
        text(&self.room.pdir)
    }

    fn shares(&self) -> Vec<String> {
        self.quorum.iter().map(|id| self.room.share(id)).collect()
    }

    fn run(&self, step: &str, args: &[String]) -> Run {
        let run = self
            .room
            .custody(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(run.ok, "{step} failed: {}{}", run.stdout, run.stderr);
        run
    }

    fn genesis(&self) {
        let mut args: Vec<String> = [
            "genesis",
            "--domain",
            "ee-registries",
            "--officials",
            &text(&self.room.officials),
            "--threshold",
            "3",
            "--hsm",
            &self.room.home.uri.to_string(),
            "--hsm",
            &self.spare.uri.to_string(),
            "--site",
            "Tallinn",
            "--out",
            &text(&self.room.dir()),
            "--passphrases",
            &self.pdir(),
        ]
        .map(str::to_owned)
        .into();
        args.extend(TINY_KDF.map(str::to_owned));
        self.run("genesis", &args);
    }

    /// The quarter's backup of the registries, sealed at home into `YEAR/qN/`.
    fn seal_quarter(&mut self, year: u32, quarter: u32) {
        let name = format!("registry-{year}-q{quarter}.csv");
        let original = self.room.hsm.dir().join(&name);
        let rows: String = (0..200 + 37 * quarter)
            .map(|row| format!("{year},{quarter},{row},citizen-{}\n", row * 7919 % 10007))
            .collect();
        std::fs::write(&original, rows).unwrap();
        let dir = self.tree.join(year.to_string()).join(format!("q{quarter}"));
        std::fs::create_dir_all(&dir).unwrap();
        let args = [
            "seal",
            "--manifest",
            &self.manifest(),
            "--hsm",
            &self.room.home.uri.to_string(),
            &text(&original),
            "-o",
            &text(&dir.join(format!("{name}.custody"))),
        ]
        .map(str::to_owned);
        self.run(&format!("the seal of {name}"), &args);
        self.originals.push(original);
    }

    /// An unlock that keeps the key on `token`, at `site`: the domain enrols the token.
    fn unlock_onto(&self, token: &TestToken, site: &str) {
        let mut args: Vec<String> = [
            "unlock",
            "--manifest",
            &self.manifest(),
            "--hsm",
            &token.uri.to_string(),
            "--site",
            site,
            "--passphrases",
            &self.pdir(),
        ]
        .map(str::to_owned)
        .into();
        args.extend(self.shares());
        let run = self.run("unlock", &args);
        assert!(
            run.stdout
                .contains("The token is enrolled in the domain: the manifest at chain position"),
            "{}",
            run.stdout
        );
    }

    fn rotate(&self, tokens: &[&TestToken], retire: &[String]) -> Run {
        let mut args: Vec<String> = vec!["rotate".into(), "--manifest".into(), self.manifest()];
        for token in tokens {
            args.extend(["--hsm".into(), token.uri.to_string()]);
        }
        for serial in retire {
            args.extend(["--retire-token".into(), serial.clone()]);
        }
        args.extend(
            [
                "--archives",
                &text(&self.tree),
                "--passphrases",
                &self.pdir(),
            ]
            .map(str::to_owned),
        );
        args.extend(TINY_KDF.map(str::to_owned));
        args.extend(self.shares());
        let run = self
            .room
            .custody(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(run.ok, "rotation failed: {}{}", run.stdout, run.stderr);
        assert!(
            run.stdout.contains("the old key was destroyed"),
            "{}",
            run.stdout
        );
        run
    }

    fn reshare(&mut self, officials: &[(&'static str, &str)], threshold: usize, reason: &str) {
        let file = self
            .room
            .hsm
            .dir()
            .join(format!("officials-{}.toml", officials.len()));
        std::fs::write(&file, officials_toml(officials)).unwrap();
        let mut args: Vec<String> = [
            "reshare",
            "--manifest",
            &self.manifest(),
            "--officials",
            &text(&file),
            "--threshold",
            &threshold.to_string(),
            "--reason",
            reason,
            "--passphrases",
            &self.pdir(),
        ]
        .map(str::to_owned)
        .into();
        args.extend(TINY_KDF.map(str::to_owned));
        args.extend(self.shares());
        self.run("reshare", &args);
        self.quorum = officials[..threshold].iter().map(|(id, _)| *id).collect();
    }

    /// The quarterly drill, after every ceremony: the quorum in force rebuilds the key into a
    /// throwaway token and opens the canary with it.
    fn drill(&self, after: &str) {
        let mut args: Vec<String> = ["drill", "--manifest", &self.manifest(), "--passphrases"]
            .map(str::to_owned)
            .into();
        args.push(self.pdir());
        args.extend(self.shares());
        let run = self
            .room
            .custody(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(
            run.ok && run.stdout.contains("DRILL PASSED"),
            "the drill after {after} failed: {}{}",
            run.stdout,
            run.stderr
        );
    }

    fn spawn(&self, args: &[&str]) -> std::process::Child {
        common::spawn_custody(&self.room.home.softhsm_conf(), args)
    }

    /// Ctrl-C in the middle of a seal into the tree: nothing is written there.
    fn interrupted_seal(&self, year: u32) {
        let dir = self.tree.join(year.to_string()).join("q2");
        let before = names_in(&dir);
        let out = text(&dir.join("stream.custody"));
        let (manifest, uri) = (self.manifest(), self.room.home.uri.to_string());
        let mut child = self.spawn(&[
            "seal",
            "--manifest",
            &manifest,
            "--hsm",
            &uri,
            "-",
            "-o",
            &out,
        ]);
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(&vec![0x5a; 5 * 1024 * 1024]).unwrap();
        wait_for_temporary(&dir, ".custody-seal-");
        signal(&child, rustix::process::Signal::INT);
        let output = child.wait_with_output().unwrap();
        drop(stdin);
        assert_eq!(output.status.code(), Some(130));
        assert_eq!(
            String::from_utf8_lossy(&output.stderr),
            "interrupted: nothing was written\n"
        );
        assert_eq!(names_in(&dir), before);
    }

    /// An open killed outright (a power cut): its partial plaintext stays until the next open
    /// into that directory removes it, saying so.
    fn interrupted_open(&self) {
        let out_dir = self.room.hsm.dir().join("quick-look");
        std::fs::create_dir(&out_dir).unwrap();
        let archive = self.tree.join("2027/q1/registry-2027-q1.csv.custody");
        let bytes = std::fs::read(&archive).unwrap();
        let uri = self.room.home.uri.to_string();
        let out = text(&out_dir.join("registry.csv"));
        let mut child = self.spawn(&["open", "--hsm", &uri, "-", "-o", &out]);
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(&bytes[..bytes.len() / 2]).unwrap();
        wait_for_temporary(&out_dir, ".custody-open-");
        signal(&child, rustix::process::Signal::KILL);
        let _ = child.wait_with_output().unwrap();
        drop(stdin);
        assert_eq!(temporaries_in(&out_dir).len(), 1);
        let opened = self.run(
            "the open after a killed one",
            &["open", "--hsm", &uri, &text(&archive), "-o", &out].map(str::to_owned),
        );
        assert!(
            opened
                .stderr
                .contains("it may have held decrypted plaintext"),
            "{}",
            opened.stderr
        );
        assert_eq!(names_in(&out_dir), ["registry.csv"]);
        std::fs::remove_dir_all(&out_dir).unwrap();
    }

    /// Every archive of the tree restored at `token` under its recorded name, byte for byte.
    fn restore_everything_at(&self, token: &TestToken) {
        let out_dir = self
            .room
            .hsm
            .dir()
            .join(format!("restored-{}", token.label));
        std::fs::create_dir(&out_dir).unwrap();
        let args = [
            "open",
            "--hsm",
            &token.uri.to_string(),
            "--archives",
            &text(&self.tree),
            "--out-dir",
            &text(&out_dir),
        ]
        .map(str::to_owned);
        self.run(&format!("the restore at {}", token.label), &args);
        assert_eq!(names_in(&out_dir).len(), self.originals.len());
        for original in &self.originals {
            let restored = out_dir.join(original.file_name().unwrap());
            assert!(
                std::fs::read(&restored).unwrap() == std::fs::read(original).unwrap(),
                "{} differs at {}",
                restored.display(),
                token.label
            );
        }
        std::fs::remove_dir_all(&out_dir).unwrap();
    }
}

/// Every path under `dir` whose name says it is left from an unfinished run.
fn strays(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(next) = stack.pop() {
        for entry in std::fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with(".custody-")
                || name.starts_with(".rotation-")
                || name.ends_with(".genesis-incomplete")
                || name == "rotation.journal.json"
                || name.starts_with("transcript-unlock-")
            {
                found.push(path.clone());
            }
            if path.is_dir() {
                stack.push(path);
            }
        }
    }
    found
}

#[test]
fn ten_years_of_a_data_embassy_lose_nothing_and_leave_nothing_behind() {
    let mut embassy = Embassy::new();

    // Year 1: genesis on both home tokens; the embassy's token enrolled by a quorum.
    embassy.genesis();
    embassy.drill("genesis");
    for quarter in 1..=4 {
        embassy.seal_quarter(2027, quarter);
    }
    let embassy_token = embassy.room.embassy.clone();
    embassy.unlock_onto(&embassy_token, "Luxembourg");
    embassy.drill("the embassy's enrolment");

    // Years 2 and 3, then the first rotation, on all three tokens.
    for year in 2028..=2029 {
        for quarter in 1..=4 {
            embassy.seal_quarter(year, quarter);
        }
    }
    let (home, spare) = (embassy.room.home.clone(), embassy.spare.clone());
    let stale = embassy.room.hsm.dir().join("stale-copy");
    std::fs::create_dir_all(stale.join("chain")).unwrap();
    for file in ["manifest.json", "chain/000000.json", "chain/000001.json"] {
        std::fs::copy(embassy.room.dir().join(file), stale.join(file)).unwrap();
    }
    embassy.rotate(&[&home, &spare, &embassy_token], &[]);
    embassy.drill("the first rotation");
    // Finding 3: the embassy's token moved to epoch 2 too, so a stale copy of the epoch 1
    // manifest seals nothing there.
    let stale_seal = embassy.room.custody(&[
        "seal",
        "--manifest",
        &text(&stale.join("manifest.json")),
        "--hsm",
        &embassy_token.uri.to_string(),
        &text(&embassy.originals[0]),
        "-o",
        &text(&stale.join("new-data.custody")),
    ]);
    assert!(!stale_seal.ok, "{}", stale_seal.stdout);
    assert!(!stale.join("new-data.custody").exists());
    std::fs::remove_dir_all(&stale).unwrap();

    // Year 4: justice retires; the first reshare.
    for quarter in 1..=4 {
        embassy.seal_quarter(2030, quarter);
    }
    embassy.reshare(&SECOND_OFFICIALS, 3, "justice minister retired");
    embassy.drill("the first reshare");

    // Year 5: a seal interrupted by Ctrl-C, an open killed outright.
    for quarter in 1..=4 {
        embassy.seal_quarter(2031, quarter);
    }
    embassy.interrupted_seal(2031);
    embassy.interrupted_open();

    // Year 6: the second rotation.
    for quarter in 1..=4 {
        embassy.seal_quarter(2032, quarter);
    }
    embassy.rotate(&[&home, &spare, &embassy_token], &[]);
    embassy.drill("the second rotation");

    // Year 7: the spare is lost. A quorum enrols its replacement; a rotation without the lost
    // spare is refused until it is retired; the third rotation retires it.
    for quarter in 1..=4 {
        embassy.seal_quarter(2033, quarter);
    }
    let replacement = embassy.replacement.clone();
    embassy.unlock_onto(&replacement, "Tallinn");
    embassy.drill("the replacement's enrolment");
    let spare_serial = enrolled_serial(&embassy.room.dir().join("manifest.json"), "spare");
    let mut refused: Vec<String> = vec!["rotate".into(), "--manifest".into(), embassy.manifest()];
    for token in [&home, &embassy_token, &replacement] {
        refused.extend(["--hsm".into(), token.uri.to_string()]);
    }
    refused.extend(["--archives".into(), text(&embassy.tree)]);
    refused.extend(embassy.shares());
    let run = embassy
        .room
        .custody(&refused.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(!run.ok, "{}", run.stdout);
    assert!(
        run.stderr.contains(&format!(
            "serial {spare_serial}, site Tallinn), enrolled in domain ee-registries, is neither \
             given with --hsm nor retired with --retire-token"
        )),
        "{}",
        run.stderr
    );
    embassy.rotate(&[&home, &embassy_token, &replacement], &[spare_serial]);
    embassy.drill("the third rotation");

    // Years 8 to 10, with the second reshare in year 9.
    for quarter in 1..=4 {
        embassy.seal_quarter(2034, quarter);
    }
    for quarter in 1..=4 {
        embassy.seal_quarter(2035, quarter);
    }
    embassy.reshare(&THIRD_OFFICIALS, 2, "a smaller board");
    embassy.drill("the second reshare");
    for quarter in 1..=4 {
        embassy.seal_quarter(2036, quarter);
    }
    assert_eq!(embassy.originals.len(), 40);

    // Every archive opens, byte for byte, at every token the domain enrols.
    for token in [&home, &embassy_token, &replacement] {
        embassy.restore_everything_at(token);
    }

    // The lost spare, found again: it holds only the epoch 3 key, which serves no current
    // manifest; it is listed as superseded and destroyed, witnessed.
    let manifest = embassy.manifest();
    let sealed_at_spare = embassy.room.custody(&[
        "seal",
        "--manifest",
        &manifest,
        "--hsm",
        &spare.uri.to_string(),
        &text(&embassy.originals[0]),
        "-o",
        &text(&embassy.room.hsm.dir().join("at-the-spare.custody")),
    ]);
    assert!(!sealed_at_spare.ok, "{}", sealed_at_spare.stdout);
    assert!(!embassy.room.hsm.dir().join("at-the-spare.custody").exists());
    let keys = embassy.room.custody(&[
        "hsm",
        "keys",
        &spare.uri.to_string(),
        "--manifest",
        &manifest,
    ]);
    assert!(keys.ok, "{}", keys.stderr);
    assert!(
        keys.stdout.contains("custody:ee-registries:e3"),
        "{}",
        keys.stdout
    );
    assert!(keys.stdout.contains("superseded"), "{}", keys.stdout);
    let destroyed = embassy.room.custody(&[
        "hsm",
        "destroy",
        &spare.uri.to_string(),
        "--key",
        "custody:ee-registries:e3",
        "--manifest",
        &manifest,
        "--yes-destroy",
        "custody:ee-registries:e3",
    ]);
    assert!(destroyed.ok, "{}{}", destroyed.stdout, destroyed.stderr);

    // The audit tells the whole history: eight manifests, each ceremony in its place.
    let audit = embassy.run(
        "the audit",
        &["audit", &text(&embassy.room.dir())].map(str::to_owned),
    );
    let kinds: Vec<&str> = audit
        .stdout
        .lines()
        .filter(|line| line.starts_with("  position "))
        .map(|line| line.split_whitespace().nth(6).unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "genesis",
            "enrolment",
            "rotation",
            "reshare",
            "rotation",
            "enrolment",
            "rotation",
            "reshare"
        ],
        "{}",
        audit.stdout
    );
    assert!(
        audit.stdout.contains("domain ee-registries, epoch 4"),
        "{}",
        audit.stdout
    );
    assert!(
        audit
            .stdout
            .contains("history/           5 superseded share sets, 3 superseded canaries"),
        "{}",
        audit.stdout
    );

    // Nothing stray anywhere: no temporary file, no staging, no journal, no empty directory.
    let root = embassy.room.hsm.dir();
    assert_eq!(strays(root), Vec::<PathBuf>::new());
    assert_eq!(
        common::empty_directories(&embassy.room.dir()),
        Vec::<String>::new()
    );
    assert_eq!(
        common::empty_directories(&embassy.tree),
        Vec::<String>::new()
    );
}
