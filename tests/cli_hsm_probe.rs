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
    assert!(
        stderr.contains(&format!(
            "the PIN from the PIN file {} was refused",
            wrong.path().display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: check that the PIN there"),
        "{stderr}"
    );
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

/// Issue 14: a URI without `module-path` loads a module custody names, and says where it came
/// from: CUSTODY_PKCS11_MODULE when set, else SoftHSM's usual install path.
#[test]
fn a_uri_without_module_path_names_the_module_loaded() {
    let hsm = OwnSoftHsm::new();
    let token = hsm.token("probe");
    let uri = token.uri_with(|uri| uri.module_path = None).to_string();
    let out = probe(&token, &uri, false);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.starts_with("note: the URI names no module-path; using the PKCS#11 module /")
            && stderr.contains("(SoftHSM's usual install path)\n"),
        "{stderr}"
    );
    let module = common::softhsm_module();
    let out = Command::new(env!("CARGO_BIN_EXE_custody"))
        .env("SOFTHSM2_CONF", token.softhsm_conf())
        .env("CUSTODY_PKCS11_MODULE", &module)
        .args(["hsm", "probe", &uri])
        .output()
        .unwrap();
    assert_eq!(
        text(&out.stderr),
        format!(
            "note: the URI names no module-path; using the PKCS#11 module {} (CUSTODY_PKCS11_MODULE)\n",
            module.display()
        )
    );
}
