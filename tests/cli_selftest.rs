//! `custody selftest` and the process hardening every run applies, through the binary: the report
//! names every self-test, `--json` agrees with it, and a key-handling command caught mid-run (blocked
//! reading its passphrase from a FIFO) has core dumps off and, where allowed, its memory locked.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod domain_fixture;

use std::io::Write;
use std::process::{Command, Stdio};

use custody::selftest::known_answers::ALL;
use domain_fixture::{passphrase_text, Domain};

fn custody() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_custody"));
    command.stdin(Stdio::null());
    command
}

fn selftest_json() -> serde_json::Value {
    let output = custody().args(["selftest", "--json"]).output().unwrap();
    assert!(output.status.success());
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn selftest_names_and_passes_every_known_answer_test() {
    let output = custody().arg("selftest").output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{stdout}");
    for test in ALL {
        let line = stdout
            .lines()
            .find(|line| line.ends_with(test.name))
            .unwrap_or_else(|| panic!("{} missing from:\n{stdout}", test.name));
        assert!(line.trim_start().starts_with("ok"), "{line}");
    }
    assert!(
        stdout.contains(&format!("all {} passed", ALL.len())),
        "{stdout}"
    );
    assert!(stdout.contains("ok    core dumps off"), "{stdout}");
    assert!(stdout.contains("ok    process not dumpable"), "{stdout}");
}

#[test]
fn selftest_json_reports_each_test_and_measure() {
    let report = selftest_json();
    assert_eq!(report["passed"], true);
    let tests = report["self_tests"].as_array().unwrap();
    assert_eq!(tests.len(), ALL.len());
    for (entry, test) in tests.iter().zip(ALL) {
        assert_eq!(entry["name"], test.name);
        assert!(entry["problem"].is_null(), "{entry}");
        assert!(entry["micros"].is_u64());
    }
    let hardening = report["hardening"].as_array().unwrap();
    assert_eq!(hardening[0]["name"], "core dumps off");
    assert!(hardening[0]["problem"].is_null());
    assert!(hardening[1]["problem"].is_null());
}

/// `share verify` reads its passphrase from a FIFO, so it waits there, hardened and past its
/// self-tests, while the test reads its limits and locked memory from `/proc`.
#[test]
fn a_key_handling_command_runs_without_core_dumps_and_with_locked_memory() {
    let memory_lockable = selftest_json()["hardening"][2]["problem"].is_null();
    let domain = Domain::new("hardened");
    let fifo = domain.dir.path().join("passphrase.fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let child = custody()
        .args(["share", "verify", "--manifest"])
        .arg(domain.manifest_path())
        .arg("--passphrase-file")
        .arg(&fifo)
        .arg(domain.share_path("cio"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Opening the FIFO for writing waits until the child opens it for reading: by then it has
    // hardened itself and passed its self-tests.
    let mut writer = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    let proc = format!("/proc/{}", child.id());
    let limits = std::fs::read_to_string(format!("{proc}/limits")).unwrap();
    let core = limits
        .lines()
        .find(|line| line.starts_with("Max core file size"))
        .unwrap();
    assert_eq!(
        core.split_whitespace().collect::<Vec<_>>()[4..6],
        ["0", "0"],
        "{core}"
    );
    let status = std::fs::read_to_string(format!("{proc}/status")).unwrap();
    let locked_kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmLck:"))
        .and_then(|value| value.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(locked_kib > 0, memory_lockable, "VmLck {locked_kib} kB");
    writeln!(writer, "{}", passphrase_text("cio")).unwrap();
    drop(writer);
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
