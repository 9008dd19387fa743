//! `custody hsm probe` through the binary, on real SoftHSM tokens.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::{Command, Output};

use common::{OwnSoftHsm, TestToken};

fn probe(token: &TestToken, uri: &str, json: bool) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_custody"));
    command
        .env("SOFTHSM2_CONF", token.softhsm_conf())
        .args(["hsm", "probe", uri]);
    if json {
        command.arg("--json");
    }
    command.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_good_token_reports_every_mechanism_and_exits_zero() {
    let hsm = OwnSoftHsm::new();
    let token = hsm.token("probe");
    let out = probe(&token, &token.uri.to_string(), false);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    for needed in ["CKM_AES_KEY_GEN", "CKM_AES_KEY_WRAP", "login", "round trip"] {
        assert!(
            stdout
                .lines()
                .any(|l| l.contains(needed) && l.contains("ok")),
            "{needed}: {stdout}"
        );
    }
    assert!(!stdout.contains("FAIL"), "{stdout}");
    assert!(stdout.contains("ready:"), "{stdout}");
}

#[test]
fn json_output_is_machine_readable() {
    let hsm = OwnSoftHsm::new();
    let token = hsm.token("probe");
    let out = probe(&token, &token.uri.to_string(), true);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["token"]["label"], token.label.as_str());
    assert_eq!(report["login"]["ok"], true);
    assert!(report["mechanisms"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["ok"] == true));
}

#[test]
fn a_wrong_pin_exits_non_zero_and_says_the_pin_was_refused() {
    let hsm = OwnSoftHsm::new();
    let token = hsm.token("probe");
    let wrong = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(wrong.path(), "not-the-pin").unwrap();
    let uri =
        token.uri_with(|u| u.pin_source = Some(custody::hsm::PinSource::File(wrong.path().into())));
    let out = probe(&token, &uri.to_string(), false);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("the PIN was refused"), "{stderr}");
    assert!(stderr.contains("hint: check the PIN file"), "{stderr}");
    assert!(!text(&out.stdout).contains("not-the-pin") && !stderr.contains("not-the-pin"));
}

#[test]
fn a_missing_token_lists_the_tokens_that_exist() {
    let hsm = OwnSoftHsm::new();
    let token = hsm.token("probe");
    let uri = token.uri_with(|u| u.token = Some("no-such-token".into()));
    let out = probe(&token, &uri.to_string(), false);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("error: no token matches pkcs11:token=no-such-token"),
        "{stderr}"
    );
    assert!(stderr.contains(&token.label), "{stderr}");
}

#[test]
fn a_pin_value_in_the_uri_is_refused_without_echoing_it() {
    let hsm = OwnSoftHsm::new();
    let token = hsm.token("probe");
    let out = probe(&token, "pkcs11:token=x?pin-value=24681357", false);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("refuses PINs inside URIs"), "{stderr}");
    assert!(!stderr.contains("24681357"), "{stderr}");
}
