//! Fuzz target: the manifest reader (docs/FORMAT.md section 6, `Manifest::parse`): size cap,
//! strict JSON, every validation rule. A manifest that parses must parse again, equal, from its
//! canonical encoding and from its pretty form, with the same digest.
#![no_main]

use custody::domain::manifest::Manifest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(manifest) = Manifest::parse(data) else {
        return;
    };
    let canonical = Manifest::parse(manifest.canonical_bytes()).unwrap();
    assert_eq!(
        canonical, manifest,
        "the canonical encoding reads back differently"
    );
    let pretty = Manifest::parse(&manifest.to_pretty_json().unwrap()).unwrap();
    assert_eq!(pretty, manifest, "the pretty form reads back differently");
    assert_eq!(pretty.digest(), manifest.digest());
});
