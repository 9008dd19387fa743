//! Archives in an S3-compatible object store, end to end through the binary, on a real
//! three-node Garage cluster (tests/garage/cluster.sh: zones home, embassy and vault, replication
//! factor 3) and SoftHSM tokens. No mock of S3 anywhere: a tree sealed into the cluster opens,
//! verifies, restores and recovers with one site down; a rotation killed mid-way with a site
//! down resumes, and no node of the cluster reads or writes a payload byte for it; an interrupted upload leaves nothing visible
//! and no multipart upload behind; the store's catalog, with no key, catches an archive deleted,
//! put back as an older version of itself, or added behind custody's back (by an S3 client of
//! the test's own).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "garage/mod.rs"]
mod garage;
mod room;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::TINY_KDF;
use garage::Cluster;
use room::{Room, Run};

/// A domain on SoftHSM and a Garage cluster to keep its archives in.
struct Estate {
    room: Room,
    cluster: Cluster,
    inputs: PathBuf,
}

impl Estate {
    fn new() -> Self {
        let room = Room::new();
        room.genesis();
        let cluster = Cluster::start();
        let inputs = room.hsm.dir().join("inputs");
        std::fs::create_dir(&inputs).unwrap();
        Self {
            room,
            cluster,
            inputs,
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_custody"));
        command
            .env("SOFTHSM2_CONF", self.room.home.softhsm_conf())
            .envs(self.cluster.env())
            .args(args);
        command
    }

    fn custody(&self, args: &[&str]) -> Run {
        Run::from(self.command(args).output().unwrap())
    }

    fn manifest(&self) -> String {
        self.room.dir().join("manifest.json").display().to_string()
    }

    fn home(&self) -> String {
        self.room.home.uri.to_string()
    }

    /// Writes `len` bytes of input named `name` (not compressible, different per name).
    fn input(&self, name: &str, len: usize) -> PathBuf {
        let mut state = name.bytes().fold(0x9e37_79b9_7f4a_7c15_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state.to_le_bytes()[0]
            })
            .collect();
        let path = self.inputs.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn seal(&self, store: &str, inputs: &[PathBuf], extra: &[&str]) -> Run {
        let (manifest, home) = (self.manifest(), self.home());
        let mut args = vec![
            "seal",
            "--manifest",
            &manifest,
            "--hsm",
            &home,
            "--out-dir",
            store,
        ];
        args.extend(extra);
        args.extend(inputs.iter().map(|p| p.to_str().unwrap()));
        self.custody(&args)
    }

    fn rotate_args(&self, store: &str) -> Vec<String> {
        let mut args: Vec<String> = [
            "rotate",
            "--manifest",
            &self.manifest(),
            "--hsm",
            &self.home(),
            "--passphrases",
            self.room.pdir.to_str().unwrap(),
            "--archives",
            store,
        ]
        .map(str::to_owned)
        .to_vec();
        args.extend(TINY_KDF.map(str::to_owned));
        args.extend(["cio", "ria", "justice"].map(|id| self.room.share(id)));
        args
    }

    /// The epoch `custody inspect` reads in the archive's header.
    fn epoch(&self, archive: &str) -> u32 {
        let run = self.custody(&["inspect", archive, "--json"]);
        assert!(run.ok, "{}{}", run.stdout, run.stderr);
        let facts: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        u32::try_from(facts["epoch"].as_u64().unwrap()).unwrap()
    }

    /// What `custody store clean --dry-run` finds, with no age limit.
    fn leftovers(&self, store: &str) -> Vec<String> {
        let run = self.custody(&[
            "store",
            "clean",
            store,
            "--dry-run",
            "--older-than",
            "0s",
            "--json",
        ]);
        assert!(run.ok, "{}{}", run.stdout, run.stderr);
        let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        report["stale"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| format!("{}: {}", item["kind"], item["key"]))
            .collect()
    }
}

fn same_files(a: &Path, b: &Path) {
    assert_eq!(
        std::fs::read(a).unwrap(),
        std::fs::read(b).unwrap(),
        "{} and {} differ",
        a.display(),
        b.display()
    );
}

#[test]
fn a_tree_sealed_into_the_cluster_survives_the_loss_of_a_site() {
    let estate = Estate::new();
    let store = Cluster::url("registries/2026");
    // 20 MB goes up as a multipart upload of three parts; the others as one object each.
    let inputs = [
        estate.input("population.csv", 20_000_000),
        estate.input("land register.tar", 300_000),
        estate.input("empty.txt", 0),
    ];
    let sealed = estate.seal(&store, &inputs, &[]);
    assert!(sealed.ok, "{}{}", sealed.stdout, sealed.stderr);
    assert!(sealed.stdout.contains("sealed "), "{}", sealed.stdout);
    assert!(
        sealed
            .stdout
            .contains(&format!("-> {store}/population.csv.custody")),
        "{}",
        sealed.stdout
    );
    // One archive named by its URL goes to the same store, and into its catalog.
    let (manifest, home) = (estate.manifest(), estate.home());
    let notes = estate.input("notes.txt", 5000);
    let one = format!("{store}/notes.txt.custody");
    let seal_one = || {
        estate.custody(&[
            "seal",
            "--manifest",
            &manifest,
            "--hsm",
            &home,
            notes.to_str().unwrap(),
            "-o",
            &one,
        ])
    };
    let sealed = seal_one();
    assert!(sealed.ok, "{}{}", sealed.stdout, sealed.stderr);
    let catalog = estate.custody(&["catalog", "verify", &store]);
    assert!(
        catalog.stdout.contains("4 archives catalogued, 4 intact"),
        "{}{}",
        catalog.stdout,
        catalog.stderr
    );
    let again = seal_one();
    assert!(
        again.stderr.contains(&format!("{one} already exists")),
        "{}",
        again.stderr
    );
    estate.cluster.stop_node("vault");

    let verified = estate.custody(&["verify", "--hsm", &estate.home(), "--archives", &store]);
    assert!(verified.ok, "{}{}", verified.stdout, verified.stderr);
    assert_eq!(
        verified.stdout.matches("ok    ").count(),
        4,
        "{}",
        verified.stdout
    );

    let restored = estate.room.hsm.dir().join("restored");
    std::fs::create_dir(&restored).unwrap();
    let opened = estate.custody(&[
        "open",
        "--hsm",
        &estate.home(),
        "--archives",
        &store,
        "--out-dir",
        restored.to_str().unwrap(),
    ]);
    assert!(opened.ok, "{}{}", opened.stdout, opened.stderr);
    for input in &inputs {
        same_files(input, &restored.join(input.file_name().unwrap()));
    }

    let one = estate.room.hsm.dir().join("one.csv");
    let opened = estate.custody(&[
        "open",
        "--hsm",
        &estate.home(),
        &format!("{store}/population.csv.custody"),
        "-o",
        one.to_str().unwrap(),
    ]);
    assert!(opened.ok, "{}{}", opened.stdout, opened.stderr);
    same_files(&inputs[0], &one);

    // Recovery without any HSM: a quorum, the manifest and the store.
    let recovered = estate.room.hsm.dir().join("recovered");
    std::fs::create_dir(&recovered).unwrap();
    let manifest = estate.manifest();
    let mut args = vec![
        "recover",
        "--manifest",
        &manifest,
        "--passphrases",
        estate.room.pdir.to_str().unwrap(),
        "--no-hsm",
    ];
    let shares = ["cio", "ria", "justice"].map(|id| estate.room.share(id));
    args.extend(shares.iter().map(String::as_str));
    args.extend([
        "--archives",
        &store,
        "--out-dir",
        recovered.to_str().unwrap(),
    ]);
    let run = estate.custody(&args);
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    for input in &inputs {
        same_files(input, &recovered.join(input.file_name().unwrap()));
    }
    estate.cluster.start_node("vault");

    // An archive is replaced only with --force, and then its old payload goes with it.
    let again = estate.seal(&store, &inputs[1..2], &[]);
    assert!(!again.ok);
    assert!(
        again
            .stderr
            .contains(&format!("{store}/land register.tar.custody already exists")),
        "{}",
        again.stderr
    );
    let forced = estate.seal(&store, &inputs[1..2], &["--force"]);
    assert!(forced.ok, "{}{}", forced.stdout, forced.stderr);
    assert!(
        estate.leftovers(&store).is_empty(),
        "{:?}",
        estate.leftovers(&store)
    );
    let verified = estate.custody(&["verify", "--hsm", &estate.home(), "--archives", &store]);
    assert!(verified.ok, "{}{}", verified.stdout, verified.stderr);
}

#[test]
fn a_rotation_killed_midway_with_a_site_down_resumes_and_moves_no_payload() {
    const ARCHIVES: usize = 200;
    const PAYLOAD: usize = 64 * 1024;
    let estate = Estate::new();
    let store = Cluster::url("rotating");
    let inputs: Vec<_> = (0..ARCHIVES)
        .map(|i| estate.input(&format!("r{i:03}.bin"), PAYLOAD))
        .collect();
    let sealed = estate.seal(&store, &inputs, &[]);
    assert!(sealed.ok, "{}{}", sealed.stdout, sealed.stderr);
    let first = format!("{store}/r000.bin.custody");
    let last = format!("{store}/r{:03}.bin.custody", ARCHIVES - 1);

    // The embassy's node goes down, and the rotation is killed once it has begun rewrapping.
    estate.cluster.stop_node("embassy");
    let args = estate.rotate_args(&store);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut child = estate
        .command(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    while estate.epoch(&first) == 1 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the rotation ended before rewrapping"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        estate.epoch(&last),
        1,
        "the kill came after the last archive"
    );
    // Mid-way, every archive still opens (under its own epoch's key, both on the token).
    let verified = estate.custody(&["verify", "--hsm", &estate.home(), "--archives", &store]);
    assert!(verified.ok, "{}{}", verified.stdout, verified.stderr);
    estate.cluster.start_node("embassy");

    let before = estate.cluster.block_bytes();
    let rerun = estate.custody(&args);
    assert!(
        rerun.ok,
        "the resumed rotation failed: {}{}",
        rerun.stdout, rerun.stderr
    );
    let after = estate.cluster.block_bytes();
    let verified = estate.custody(&["verify", "--hsm", &estate.home(), "--archives", &store]);
    assert!(verified.ok, "{}{}", verified.stdout, verified.stderr);
    assert_eq!(
        verified.stdout.matches("epoch 2)").count(),
        ARCHIVES,
        "{}",
        verified.stdout
    );
    // The cluster's own counters of object data: while the resumed run rewrapped the rest, the
    // nodes read and wrote the catalog's batches (read once, the new one written on three nodes),
    // not payloads: all of it less than a tenth of one copy of the payloads rewrapped. (Headers,
    // a few hundred bytes each, live in Garage's metadata and are not counted.)
    let moved = (after.0 - before.0) + (after.1 - before.1);
    let payloads = u64::try_from(ARCHIVES * PAYLOAD).unwrap();
    assert!(
        moved < payloads / 10,
        "the cluster read and wrote {moved} bytes of object data for {payloads} bytes of payload"
    );
    assert!(estate.leftovers(&store).is_empty());
    // The catalog records every rewrap, those of the killed run included, and the transcript
    // its head.
    let catalog = estate.custody(&["catalog", "verify", &store]);
    assert!(catalog.ok, "{}{}", catalog.stdout, catalog.stderr);
    let transcript = std::fs::read_to_string(estate.room.dir().join("transcript.jsonl")).unwrap();
    let head = catalog
        .stdout
        .lines()
        .nth(1)
        .unwrap()
        .trim_start_matches("head")
        .replace(' ', "");
    assert!(
        transcript.contains(r#""step":"rotate.catalog-head""#) && transcript.contains(&head),
        "the transcript does not record the head {head}"
    );
}

#[test]
fn an_interrupted_upload_leaves_no_archive_and_no_upload_behind() {
    let estate = Estate::new();
    let store = Cluster::url("interrupted");
    let (manifest, home) = (estate.manifest(), estate.home());
    let archive = format!("{store}/stdin.custody");
    for signal in [rustix::process::Signal::INT, rustix::process::Signal::KILL] {
        // A stream of unknown length goes up in parts; the run is stopped in the middle.
        let mut child = estate
            .command(&[
                "seal",
                "--manifest",
                &manifest,
                "--hsm",
                &home,
                "--out-dir",
                &store,
                "/dev/stdin",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let chunk = vec![7u8; 1024 * 1024];
        for _ in 0..40 {
            std::io::Write::write_all(&mut stdin, &chunk).unwrap();
        }
        // 40 MiB written: at least four parts are up or going up.
        std::thread::sleep(Duration::from_millis(500));
        common::signal(&child, signal);
        let output = child.wait_with_output().unwrap();
        assert!(!output.status.success());
        let inspected = estate.custody(&["inspect", &archive]);
        assert!(
            !inspected.ok,
            "{signal:?}: the archive appeared: {}",
            inspected.stdout
        );
        let leftovers = estate.leftovers(&store);
        if signal == rustix::process::Signal::INT {
            assert!(
                String::from_utf8_lossy(&output.stderr).contains("interrupted"),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            assert!(leftovers.is_empty(), "SIGINT left {leftovers:?}");
        } else {
            // A killed process cannot abort its upload: store clean lists it, then removes it.
            assert_eq!(leftovers.len(), 1, "{leftovers:?}");
            assert!(leftovers[0].contains("unfinished upload"), "{leftovers:?}");
            let clean = estate.custody(&["store", "clean", &store, "--older-than", "0s"]);
            assert!(clean.ok, "{}{}", clean.stdout, clean.stderr);
            assert!(
                clean.stdout.contains("1 leftover removed"),
                "{}",
                clean.stdout
            );
            assert!(estate.leftovers(&store).is_empty());
        }
    }
}

/// An S3 client of the test's own (not custody's store code), with the cluster's key, to do
/// what an intruder with write access to the bucket could.
fn intruder(cluster: &Cluster) -> Box<s3::Bucket> {
    let value = |path: PathBuf, key: &str| {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{key} = ")).map(str::to_owned))
            .unwrap()
    };
    let region = s3::Region::Custom {
        region: "garage".into(),
        endpoint: value(cluster.aws_config(), "endpoint_url"),
    };
    let credentials = s3::creds::Credentials::new(
        Some(&value(cluster.aws_credentials(), "aws_access_key_id")),
        Some(&value(cluster.aws_credentials(), "aws_secret_access_key")),
        None,
        None,
        None,
    )
    .unwrap();
    s3::Bucket::new("custody", region, credentials)
        .unwrap()
        .with_path_style()
}

/// Every object under `prefix/`, by key, with its bytes.
fn objects(bucket: &s3::Bucket, prefix: &str) -> Vec<(String, Vec<u8>)> {
    bucket
        .list(format!("{prefix}/"), None)
        .unwrap()
        .into_iter()
        .flat_map(|page| page.contents)
        .map(|object| {
            let bytes = bucket.get_object(&object.key).unwrap().to_vec();
            (object.key, bytes)
        })
        .collect()
}

#[test]
fn the_catalog_catches_a_deleted_an_older_and_an_extra_archive_with_no_key() {
    let estate = Estate::new();
    let store = Cluster::url("catalogued");
    let inputs = [
        estate.input("a.csv", 7_000_000),
        estate.input("b.csv", 1000),
        estate.input("c.csv", 0),
    ];
    let sealed = estate.seal(&store, &inputs, &[]);
    assert!(sealed.ok, "{}{}", sealed.stdout, sealed.stderr);
    assert!(
        sealed
            .stdout
            .contains(&format!("catalog of {store}: 3 archives\nhead ")),
        "{}",
        sealed.stdout
    );
    // No token, no key: SOFTHSM2_CONF points nowhere.
    let verify = || {
        let mut command = estate.command(&["catalog", "verify", &store]);
        command.env("SOFTHSM2_CONF", "/nonexistent");
        Run::from(command.output().unwrap())
    };
    let untouched = verify();
    assert!(untouched.ok, "{}{}", untouched.stdout, untouched.stderr);
    assert!(
        untouched.stdout.contains(
            "3 archives catalogued, 3 intact, nothing missing, altered, older or unlisted"
        ),
        "{}",
        untouched.stdout
    );
    let bucket = intruder(&estate.cluster);
    let before = objects(&bucket, "catalogued/b.csv.custody");
    assert_eq!(before.len(), 2, "a header and a payload");

    // Deleted.
    for (key, _) in &before {
        bucket.delete_object(key).unwrap();
    }
    let run = verify();
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("missing    b.csv.custody: catalogued (epoch 1), not in the store"),
        "{}",
        run.stdout
    );
    for (key, bytes) in &before {
        bucket.put_object(key, bytes).unwrap();
    }
    assert!(verify().ok);

    // An older version of itself: a.csv sealed again (recorded), then its first version put back.
    let first = objects(&bucket, "catalogued/a.csv.custody");
    let again = estate.seal(&store, &inputs[..1], &["--force"]);
    assert!(again.ok, "{}{}", again.stdout, again.stderr);
    assert!(verify().ok, "{}", verify().stdout);
    for (key, bytes) in &first {
        bucket.put_object(key, bytes).unwrap();
    }
    let run = verify();
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("older      a.csv.custody: an older version of itself"),
        "{}",
        run.stdout
    );

    // An extra archive, never catalogued: a copy of c under another name.
    for (key, bytes) in objects(&bucket, "catalogued/c.csv.custody") {
        bucket
            .put_object(key.replace("c.csv.custody", "extra.csv.custody"), &bytes)
            .unwrap();
    }
    let run = verify();
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("unlisted   extra.csv.custody: in the store, never catalogued"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("older      a.csv.custody"),
        "{}",
        run.stdout
    );
}
