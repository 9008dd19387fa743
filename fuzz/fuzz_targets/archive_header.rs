//! Fuzz target: the archive header reader (docs/FORMAT.md 7.2 and 7.4 steps 1–2,
//! `Archive::read`). A header that parses must be one custody would write: its spec validates,
//! and sealing with its spec, wrapped key and salt writes the same covered bytes. Then its MAC is
//! checked and the payload opened with the worked example's data key, which must not panic.
#![no_main]

use custody::archive::{seal_with_key, Archive, WrappedUnder, MAC_LEN};
use custody::domain::Timestamp;
use custody_fuzz::data_key;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(archive) = Archive::read(data) else {
        return;
    };
    let header = archive.header().clone();
    header.spec.validate().unwrap();
    if let Some(created) = header.spec.metadata.created {
        let _ = Timestamp::from_unix_seconds(created).map(|t| t.to_string());
    }
    let mut written = Vec::new();
    let _ = seal_with_key(
        &data_key(),
        WrappedUnder {
            wrap_check: &header.wrap_check,
            wrapped_key: &header.wrapped_key,
        },
        header.salt,
        &header.spec,
        &[][..],
        &mut written,
        &|_| {},
    );
    let covered = header.len - MAC_LEN;
    assert_eq!(
        written.get(..covered),
        data.get(..covered),
        "a parsed header re-encodes differently"
    );
    let _ = archive.open_with_key(&data_key(), std::io::sink(), &|_| {});
});
