//! Fuzz target: the sealed share file reader (docs/FORMAT.md section 5, `SealedShare::parse`).
//!
//! Input: one mode byte, then the file. With the mode's low bit set, the file is the rest of the
//! input followed by its SHA-256, so that mutations get past the checksum to the fields. A file
//! that parses must re-encode to the same bytes and match its own header; when its KDF costs are
//! tiny it is also opened with the worked example's passphrase.
#![no_main]

use custody::primitives::secret::Passphrase;
use custody::shares::sealed::SealedShare;
use custody_fuzz::with_checksum;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let file = if mode & 1 == 1 {
        with_checksum(rest)
    } else {
        rest.to_vec()
    };
    let _ = SealedShare::claimed_official(&file);
    let Ok(sealed) = SealedShare::parse(&file) else {
        return;
    };
    assert_eq!(
        sealed.to_bytes(),
        file,
        "a parsed share file re-encodes differently"
    );
    assert_eq!(sealed.fingerprint().len(), 64);
    sealed.expect(sealed.header()).unwrap();
    let kdf = sealed.kdf_params();
    if kdf.memory_kib() <= 64 && kdf.iterations() <= 2 && kdf.parallelism() == 1 {
        let passphrase: Passphrase = String::from("correct horse battery staple").into();
        let _ = sealed.open(&passphrase);
    }
});
