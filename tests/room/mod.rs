//! A ceremony room for tests that run the `custody` binary: its own SoftHSM with a home and an
//! embassy token, five officials, their passphrases in a PDIR, and helpers for genesis, unlock
//! and share paths with tiny argon2 costs.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::common::{write_private, OwnSoftHsm, TestToken, TINY_KDF};

pub const OFFICIALS: [(&str, &str); 5] = [
    ("cio", "Government CIO"),
    ("justice", "Minister of Justice"),
    ("ria", "Director of RIA"),
    ("president-office", "Head of the President's Office"),
    ("auditor-general", "Auditor General"),
];

/// A ceremony room: its own SoftHSM with a home and an embassy token, officials and passphrases.
pub struct Room {
    pub hsm: OwnSoftHsm,
    pub home: TestToken,
    pub embassy: TestToken,
    pub officials: PathBuf,
    pub pdir: PathBuf,
}

impl Room {
    pub fn new() -> Self {
        let hsm = OwnSoftHsm::new();
        let home = hsm.token("home");
        let embassy = hsm.token("embassy");
        let officials = hsm.dir().join("officials.toml");
        std::fs::write(&officials, officials_toml(&OFFICIALS)).unwrap();
        let pdir = hsm.dir().join("pdir");
        std::fs::create_dir(&pdir).unwrap();
        for (id, _) in OFFICIALS {
            write_private(&pdir.join(format!("{id}.pass")), passphrase(id));
        }
        Self {
            hsm,
            home,
            embassy,
            officials,
            pdir,
        }
    }

    pub fn dir(&self) -> PathBuf {
        self.hsm.dir().join("ee-registries")
    }

    pub fn custody(&self, args: &[&str]) -> Run {
        let output = Command::new(env!("CARGO_BIN_EXE_custody"))
            .env("SOFTHSM2_CONF", self.home.softhsm_conf())
            .args(args)
            .output()
            .unwrap();
        Run::from(output)
    }

    pub fn genesis_with(&self, officials: &Path, threshold: &str, out: &Path) -> Run {
        let uri = self.home.uri.to_string();
        let mut args = vec![
            "genesis",
            "--domain",
            "ee-registries",
            "--officials",
            officials.to_str().unwrap(),
            "--threshold",
            threshold,
            "--hsm",
            &uri,
            "--out",
            out.to_str().unwrap(),
            "--passphrases",
            self.pdir.to_str().unwrap(),
        ];
        args.extend(TINY_KDF);
        self.custody(&args)
    }

    /// A genesis of another domain, on `token`, into `out`, by the same officials.
    pub fn genesis_elsewhere(
        &self,
        domain: &str,
        token: &TestToken,
        threshold: &str,
        out: &Path,
    ) -> Run {
        self.custody(&[
            "genesis",
            "--domain",
            domain,
            "--officials",
            self.officials.to_str().unwrap(),
            "--threshold",
            threshold,
            "--hsm",
            &token.uri.to_string(),
            "--out",
            out.to_str().unwrap(),
            "--passphrases",
            self.pdir.to_str().unwrap(),
            "--kdf-memory-kib",
            "64",
            "--kdf-passes",
            "1",
            "--insecure-kdf",
        ])
    }

    pub fn genesis(&self) -> Run {
        let run = self.genesis_with(&self.officials, "3", &self.dir());
        assert!(run.ok, "genesis failed: {}{}", run.stdout, run.stderr);
        run
    }

    pub fn share(&self, official: &str) -> String {
        self.dir()
            .join("shares")
            .join(format!("{official}.share"))
            .display()
            .to_string()
    }

    /// A rotation of the domain on the home token, with an empty archive tree, that keeps the
    /// old key (`--keep-old`).
    pub fn rotate_keeping_the_old_key(&self) -> Run {
        let archives = self.hsm.dir().join("archives");
        std::fs::create_dir_all(&archives).unwrap();
        let manifest = self.dir().join("manifest.json");
        let (uri, pdir) = (self.home.uri.to_string(), self.pdir.display().to_string());
        let mut args = vec![
            "rotate",
            "--manifest",
            manifest.to_str().unwrap(),
            "--hsm",
            &uri,
            "--passphrases",
            &pdir,
            "--archives",
            archives.to_str().unwrap(),
            "--keep-old",
        ];
        args.extend(TINY_KDF);
        let shares = [self.share("cio"), self.share("ria"), self.share("justice")];
        args.extend(shares.iter().map(String::as_str));
        let run = self.custody(&args);
        assert!(run.ok, "rotate failed: {}{}", run.stdout, run.stderr);
        run
    }

    pub fn unlock(&self, shares: &[String]) -> Run {
        self.unlock_into(&self.embassy, shares)
    }

    pub fn unlock_into(&self, token: &TestToken, shares: &[String]) -> Run {
        let manifest = self.dir().join("manifest.json");
        let mut args = vec![
            "unlock".to_owned(),
            "--manifest".into(),
            manifest.display().to_string(),
            "--hsm".into(),
            token.uri.to_string(),
            "--passphrases".into(),
            self.pdir.display().to_string(),
        ];
        args.extend(shares.iter().cloned());
        self.custody(&args.iter().map(String::as_str).collect::<Vec<_>>())
    }
}

pub struct Run {
    pub ok: bool,
    /// The exit code, `None` when a signal ended the process.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Self {
        Self {
            ok: output.status.success(),
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

pub fn officials_toml(officials: &[(&str, &str)]) -> String {
    officials
        .iter()
        .map(|(id, name)| {
            format!(
                "[[official]]\nid = \"{id}\"\nname = \"{name}\"\nrole = \"Office of {name}\"\n\n"
            )
        })
        .collect()
}

pub fn passphrase(official: &str) -> String {
    format!("amber {official} lantern orbit seventeen")
}
