//! `custody demo`, the README's first quick-start command, end to end: it must tell the whole
//! story and check every backup byte for byte. It makes its own throwaway SoftHSM tokens.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

#[test]
fn the_demo_tells_the_whole_story_and_checks_every_backup() {
    common::softhsm_module();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_custody"))
        .arg("demo")
        .env_remove("SOFTHSM2_CONF")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for chapter in [
        "1. At home",
        "2. At home",
        "3. Disaster",
        "4. At the embassy",
        "5. At the embassy",
        "6. The auditor",
    ] {
        assert!(
            stdout.contains(chapter),
            "missing chapter {chapter}: {stdout}"
        );
    }
    assert!(stdout.contains("REFUSED: share of justice"), "{stdout}");
    assert_eq!(
        stdout
            .matches("identical to the original, byte for byte")
            .count(),
        3,
        "{stdout}"
    );
    assert!(stdout.contains("Demo complete"), "{stdout}");
}
