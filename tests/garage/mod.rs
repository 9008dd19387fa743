//! A real three-node Garage cluster for one test (tests/garage/cluster.sh): zones home, embassy
//! and vault on 127.0.0.1, replication factor 3, the bucket `custody`, a key in an AWS shared
//! credentials file. Stopped when dropped. Without the garage binary it fails loudly with how
//! to get it.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// How to get Garage when it is missing.
pub const INSTALL_HINT: &str =
    "the object-store tests need Garage: cargo install garage --locked (.ci/run does it once)";

/// A running cluster.
pub struct Cluster {
    dir: tempfile::TempDir,
}

impl Cluster {
    /// Starts a cluster of its own.
    pub fn start() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("custody-garage-")
            .tempdir()
            .unwrap();
        let cluster = Self { dir };
        let output = cluster.script(&["start"]);
        assert!(
            output.status.success(),
            "tests/garage/cluster.sh start failed: {}\n{INSTALL_HINT}",
            String::from_utf8_lossy(&output.stderr)
        );
        cluster
    }

    fn script(&self, args: &[&str]) -> std::process::Output {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        Command::new("bash")
            .arg(root.join("tests/garage/cluster.sh"))
            .arg(args[0])
            .arg(self.dir.path().join("cluster"))
            .args(&args[1..])
            .output()
            .unwrap_or_else(|e| panic!("cannot run tests/garage/cluster.sh: {e}; {INSTALL_HINT}"))
    }

    /// Stops the node of `zone` (home serves the S3 API: stop embassy or vault).
    pub fn stop_node(&self, zone: &str) {
        assert!(self.script(&["node-stop", zone]).status.success());
    }

    /// Starts the node of `zone` again.
    pub fn start_node(&self, zone: &str) {
        let output = self.script(&["node-start", zone]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// The AWS shared config file (profile `custody-test`).
    pub fn aws_config(&self) -> PathBuf {
        self.dir.path().join("cluster/aws/config")
    }

    /// The AWS shared credentials file.
    pub fn aws_credentials(&self) -> PathBuf {
        self.dir.path().join("cluster/aws/credentials")
    }

    /// The environment a child needs to reach the cluster: file paths and a profile name only.
    pub fn env(&self) -> [(&'static str, PathBuf); 3] {
        [
            ("AWS_CONFIG_FILE", self.aws_config()),
            ("AWS_SHARED_CREDENTIALS_FILE", self.aws_credentials()),
            ("AWS_PROFILE", PathBuf::from("custody-test")),
        ]
    }

    /// `s3://custody/PREFIX`.
    pub fn url(prefix: &str) -> String {
        format!("s3://custody/{prefix}")
    }

    /// The garage data directories of every node (to check what is stored).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Bytes of object data (Garage's blocks) every node has read and written so far, summed:
    /// Garage's own counters (`block_bytes_read`, `block_bytes_written` on each node's admin
    /// `/metrics`). An object of a few hundred bytes, such as an archive's header, is kept in
    /// Garage's metadata and never counted here; a payload's bytes are.
    pub fn block_bytes(&self) -> (u64, u64) {
        let (mut read, mut written) = (0, 0);
        for zone in ["home", "embassy", "vault"] {
            let config = std::fs::read_to_string(
                self.dir.path().join(format!("cluster/{zone}/garage.toml")),
            )
            .unwrap();
            let admin = config
                .split("[admin]")
                .nth(1)
                .and_then(|section| section.split('"').nth(1))
                .unwrap()
                .to_owned();
            // A node just started may not listen yet.
            let mut stream = (0..100)
                .find_map(|_| {
                    std::net::TcpStream::connect(&admin)
                        .map_err(|_| std::thread::sleep(std::time::Duration::from_millis(50)))
                        .ok()
                })
                .unwrap_or_else(|| panic!("garage's admin API at {admin} does not answer"));
            std::io::Write::write_all(
                &mut stream,
                format!("GET /metrics HTTP/1.0\r\nHost: {admin}\r\n\r\n").as_bytes(),
            )
            .unwrap();
            let mut text = String::new();
            std::io::Read::read_to_string(&mut stream, &mut text).unwrap();
            let counter = |name: &str| -> u64 {
                text.lines()
                    .find_map(|line| {
                        line.strip_prefix(name)?
                            .strip_prefix(' ')?
                            .trim()
                            .parse()
                            .ok()
                    })
                    .unwrap_or(0)
            };
            read += counter("block_bytes_read");
            written += counter("block_bytes_written");
        }
        (read, written)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.script(&["stop"]);
    }
}
