//! Fuzz target: a recovery kit's `SHA256SUMS` reader (docs/FORMAT.md 11.2, `kit::parse_sums`).
//! What parses renders to text that parses to the same sums, and every path is plain, relative
//! and not the sums file itself.
#![no_main]

use std::path::{Component, Path};

use custody::kit::{parse_sums, render_sums, SUMS_FILE};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(sums) = parse_sums(text) else {
        return;
    };
    for path in sums.keys() {
        assert_ne!(path, SUMS_FILE);
        assert!(Path::new(path)
            .components()
            .all(|component| matches!(component, Component::Normal(_))));
    }
    assert_eq!(parse_sums(&render_sums(&sums)).ok(), Some(sums));
});
