//! Fuzz target: the officials file reader (`officials.toml`, `domain::parse_officials`). A list
//! that parses must hold 2 to 255 officials with distinct ids.
#![no_main]

use std::collections::BTreeSet;

use custody::domain::{parse_officials, OFFICIALS_RANGE};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(officials) = parse_officials(text) else {
        return;
    };
    assert!(OFFICIALS_RANGE.contains(&officials.len()));
    let ids: BTreeSet<_> = officials.iter().map(|o| o.id().as_str()).collect();
    assert_eq!(
        ids.len(),
        officials.len(),
        "duplicate official ids accepted"
    );
});
