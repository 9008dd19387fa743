//! The estate every case copies its files from, built once per test process through the
//! `custody` binary on a SoftHSM configuration of its own, with tiny argon2 costs:
//!
//! - `a`: domain `ee-registries`, epoch 1, officials cio, justice, ria (2 of 3), key on `home`;
//! - `b`: domain `other-domain`, the same officials, key on `other` only;
//! - `a2`: a copy of `a` unlocked into `next` and rotated there to epoch 2 (the old key
//!   destroyed), so `next` holds only the epoch-2 key;
//! - `archive`: a three-chunk archive of `a` (4 KiB chunks); `archive2`: it rewrapped to epoch 2.
//!
//! Cases never change the estate: they copy what they need into a workspace of their own.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};

pub use super::super::common::TINY_KDF;
use super::super::common::{enrolled_serial, OwnSoftHsm, TestToken};

pub const OFFICIALS: [&str; 3] = ["cio", "justice", "ria"];

pub struct Estate {
    pub hsm: OwnSoftHsm,
    pub home: TestToken,
    pub other: TestToken,
    pub next: TestToken,
    pub pdir: PathBuf,
    pub officials: PathBuf,
    pub a: PathBuf,
    pub b: PathBuf,
    pub a2: PathBuf,
    pub archive: PathBuf,
    pub archive2: PathBuf,
}

/// The estate, built by the first case that asks.
pub fn estate() -> &'static Estate {
    static ESTATE: OnceLock<Estate> = OnceLock::new();
    ESTATE.get_or_init(Estate::build)
}

/// Held by every case that runs a command using a token: a failed login writes the token's files,
/// and a child process reading them at that moment fails (see `OwnSoftHsm`).
pub fn token_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub fn passphrase(official: &str) -> String {
    format!("amber {official} lantern orbit seventeen")
}

/// Runs the `custody` binary on the estate's SoftHSM, never on a terminal.
pub fn custody(args: &[&str]) -> Output {
    custody_reading(args, Stdio::null())
}

/// Runs the `custody` binary on the estate's SoftHSM with `input` as its standard input.
pub fn custody_reading(args: &[&str], input: Stdio) -> Output {
    Command::new(env!("CARGO_BIN_EXE_custody"))
        .env("SOFTHSM2_CONF", estate_conf())
        .args(args)
        .stdin(input)
        .output()
        .unwrap()
}

fn estate_conf() -> PathBuf {
    estate().home.softhsm_conf()
}

fn run_ok(conf: &Path, args: &[&str]) {
    let output = Command::new(env!("CARGO_BIN_EXE_custody"))
        .env("SOFTHSM2_CONF", conf)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "estate: custody {args:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

pub fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

impl Estate {
    fn build() -> Self {
        // Kept in a static, the estate is never dropped: each run clears the last one's.
        let parent = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bad-input-estate");
        let _ = std::fs::remove_dir_all(&parent);
        let hsm = OwnSoftHsm::new_in(&parent);
        let (home, other, next) = (hsm.token("home"), hsm.token("other"), hsm.token("next"));
        let root = hsm.dir().to_owned();
        let conf = home.softhsm_conf();
        let pdir = root.join("pdir");
        std::fs::create_dir(&pdir).unwrap();
        let mut toml = String::new();
        for id in OFFICIALS {
            toml += &format!("[[official]]\nid = \"{id}\"\nname = \"Official {id}\"\nrole = \"Role of {id}\"\n\n");
            super::super::common::write_private(&pdir.join(format!("{id}.pass")), passphrase(id));
        }
        let officials = root.join("officials.toml");
        std::fs::write(&officials, toml).unwrap();
        let genesis = |domain: &str, token: &TestToken, out: &Path| {
            let uri = token.uri.to_string();
            let mut args = vec![
                "genesis",
                "--domain",
                domain,
                "--officials",
                s(&officials),
                "--threshold",
                "2",
                "--hsm",
                &uri,
                "--out",
                s(out),
                "--passphrases",
                s(&pdir),
            ];
            args.extend(TINY_KDF);
            run_ok(&conf, &args);
        };
        let (a, b, a2) = (root.join("a"), root.join("b"), root.join("a2"));
        genesis("ee-registries", &home, &a);
        genesis("other-domain", &other, &b);

        let data = root.join("data.bin");
        std::fs::write(&data, super::damage::garbage(7, 10_000)).unwrap();
        let archive = root.join("data.custody");
        let home_uri = home.uri.to_string();
        run_ok(
            &conf,
            &[
                "seal",
                "--manifest",
                s(&a.join("manifest.json")),
                "--hsm",
                &home_uri,
                "--chunk-size",
                "4096",
                s(&data),
                "-o",
                s(&archive),
            ],
        );

        copy_dir(&a, &a2);
        let archives2 = root.join("archives2");
        std::fs::create_dir(&archives2).unwrap();
        std::fs::copy(&archive, archives2.join("data.custody")).unwrap();
        let next_uri = next.uri.to_string();
        let a2_manifest = a2.join("manifest.json");
        let shares2: Vec<String> = ["cio", "justice"]
            .iter()
            .map(|id| a2.join(format!("shares/{id}.share")).display().to_string())
            .collect();
        let mut unlock = vec![
            "unlock",
            "--manifest",
            s(&a2_manifest),
            "--hsm",
            &next_uri,
            "--passphrases",
            s(&pdir),
        ];
        unlock.extend(shares2.iter().map(String::as_str));
        run_ok(&conf, &unlock);
        // Home keeps only the epoch-1 key: the rotation at `next` retires it.
        let home_serial = enrolled_serial(&a2_manifest, "home");
        let mut rotate = vec![
            "rotate",
            "--manifest",
            s(&a2_manifest),
            "--hsm",
            &next_uri,
            "--retire-token",
            &home_serial,
            "--passphrases",
            s(&pdir),
            "--archives",
            s(&archives2),
        ];
        rotate.extend(TINY_KDF);
        rotate.extend(shares2.iter().map(String::as_str));
        run_ok(&conf, &rotate);
        Self {
            archive2: archives2.join("data.custody"),
            hsm,
            home,
            other,
            next,
            pdir,
            officials,
            a,
            b,
            a2,
            archive,
        }
    }

    /// The closing digest of `a`'s transcript: SHA-256 of its last line.
    pub fn closing_digest(&self) -> String {
        use sha2::Digest;
        let text = std::fs::read(self.a.join("transcript.jsonl")).unwrap();
        let last = text[..text.len() - 1]
            .rsplit(|b| *b == b'\n')
            .next()
            .unwrap();
        hex::encode(sha2::Sha256::digest(last))
    }

    /// The token files, which no refused command may change.
    pub fn tokens(&self) -> PathBuf {
        self.hsm.dir().join("tokens")
    }
}

/// Copies a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
