//! Fuzz target: the manifest reader (docs/FORMAT.md section 6, `Manifest::parse`): size cap,
//! strict JSON, every validation rule. A manifest that parses must parse again, equal, from its
//! pretty form, with the same digest, which is SHA-256 of its canonical signed content (6.6); and
//! checking it as the start of a chain (its own signature, section 6.8) must answer, not panic.
#![no_main]

use custody::domain::manifest::{Manifest, ManifestDigest};
use custody::domain::ManifestChain;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(manifest) = Manifest::parse(data) else {
        return;
    };
    assert_eq!(
        ManifestDigest::of(manifest.canonical_bytes()),
        manifest.digest(),
        "the digest is not that of the canonical signed content"
    );
    let pretty = Manifest::parse(&manifest.to_pretty_json().unwrap()).unwrap();
    assert_eq!(pretty, manifest, "the pretty form reads back differently");
    assert_eq!(pretty.digest(), manifest.digest());
    let _ = ManifestChain::start(manifest);
});
