//! Fuzz target: the PKCS#11 URI reader (docs/FORMAT.md section 1, `Pkcs11Uri::from_str`). A URI
//! that parses must print as a URI that parses back to the same value, and every `%` in it must
//! have been a percent escape of two hex digits (RFC 3986).
#![no_main]

use custody::hsm::Pkcs11Uri;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(uri) = text.parse::<Pkcs11Uri>() else {
        return;
    };
    let printed = uri.to_string();
    let again: Pkcs11Uri = printed.parse().unwrap();
    assert_eq!(
        again, uri,
        "{text:?} prints as {printed:?}, which reads differently"
    );
    let _ = uri.token_part().parse::<Pkcs11Uri>().unwrap();
    for (at, _) in text.match_indices('%') {
        let escape = text.as_bytes().get(at + 1..at + 3);
        assert!(
            escape.is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit)),
            "{text:?}: the escape at byte {at} is not two hex digits"
        );
    }
});
