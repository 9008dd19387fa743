//! Fuzz target: the share sheet's readers (docs/FORMAT.md 12): typed lines of words
//! (`paper::words::WordReader`), a QR payload (`paper::qr::read_payload`) and a scanned image
//! (`paper::scan::scan`), chosen by the first byte modulo 3. Words that are accepted are the
//! sheet's words of the bytes read; a payload that reads back is the payload of its bytes; no
//! image panics or escapes the decoder's bounds.
#![no_main]

use custody::paper::qr::{payload, read_payload};
use custody::paper::scan::scan;
use custody::paper::words::{lines, WordReader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 3 {
        0 => typed(rest),
        1 => {
            let Ok(text) = std::str::from_utf8(rest) else {
                return;
            };
            if let Ok(file) = read_payload(text) {
                assert_eq!(payload(&file), text);
            }
        }
        _ => {
            let _ = scan(rest);
        }
    }
});

fn typed(rest: &[u8]) {
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let mut reader = WordReader::default();
    let mut accepted = Vec::new();
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        if reader.take(line).is_ok() {
            accepted.push(line.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase());
        }
    }
    if let Ok(file) = reader.finish() {
        assert_eq!(accepted, lines(&file));
    }
}
