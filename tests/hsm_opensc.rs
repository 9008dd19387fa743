//! OpenSC's `pkcs11-tool`, an independent PKCS#11 client, sees the domain key custody imported,
//! with our label, id and usage. Alone in its test process: a child process reading the token
//! files must not race other tests writing theirs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Command;

use common::TestToken;
use custody::hsm::Persistence;
use custody::primitives::secret::DomainKey;

const LABEL: &str = "custody:ee-registries:e1";
const ID: &[u8] = &[0xC0, 0xFF, 0xEE, 0x01];

#[test]
fn opensc_lists_the_object_with_our_label_and_id() {
    let token = TestToken::new();
    token
        .session()
        .import_domain_key(
            &DomainKey::from_bytes(&mut [4; 32]),
            LABEL,
            ID,
            Persistence::Token,
        )
        .unwrap();
    let output = Command::new("pkcs11-tool")
        .env("SOFTHSM2_CONF", token.softhsm_conf())
        .args([
            "--module",
            common::softhsm_module().to_str().unwrap(),
            "--token-label",
            &token.label,
        ])
        .args([
            "--login",
            "--pin",
            &token.pin(),
            "--list-objects",
            "--type",
            "secrkey",
        ])
        .output()
        .unwrap_or_else(|e| panic!("cannot run pkcs11-tool: {e}; {}", common::INSTALL_HINT));
    let listing = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{listing}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        listing.contains(&format!("label:      {LABEL}")),
        "{listing}"
    );
    assert!(listing.contains("ID:         c0ffee01"), "{listing}");
    assert!(listing.contains("Usage:      wrap, unwrap"), "{listing}");
    // Imported, not generated on the token: sensitive, but never "always sensitive".
    assert!(listing.contains("Access:     sensitive\n"), "{listing}");
}
