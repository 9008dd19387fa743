//! The manifest digest: SHA-256 of the manifest's canonical encoding (JSON with object keys
//! sorted, no insignificant whitespace, minimal string escapes as RFC 8785), so the digest does
//! not depend on how the file is formatted. Officials read it aloud at ceremonies to confirm they
//! hold the same manifest (`crate::readout` says how). Public values only; no I/O.

use std::fmt;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// SHA-256 of a manifest's canonical bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ManifestDigest([u8; 32]);

impl ManifestDigest {
    /// The digest of `canonical` bytes.
    pub fn of(canonical: &[u8]) -> Self {
        Self(Sha256::digest(canonical).into())
    }

    /// A digest as recorded elsewhere (a successor's `previous`).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The 32 digest bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::str::FromStr for ManifestDigest {
    type Err = crate::readout::Unreadable;

    /// A digest as read from the signed sheet: 64 hex digits (spaces allowed) or 32 PGP words.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        crate::readout::read_back(text).map(Self)
    }
}

impl fmt::Display for ManifestDigest {
    /// Lower-case hex, 64 digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for ManifestDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ManifestDigest({self})")
    }
}

/// The canonical encoding of a JSON value: keys sorted at every level, compact, UTF-8. serde_json
/// writes compact output with RFC 8785's minimal escapes (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`,
/// other controls as lower-case `\u00xx`, everything else literal). Keys are re-inserted in
/// sorted order so the result stays sorted even if serde_json's order-preserving map is enabled.
/// Manifest keys are ASCII, where byte order and RFC 8785's UTF-16 order agree; numbers are
/// integers below 2^53, which both write the same way.
pub(super) fn canonical_bytes(value: Value) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(&sorted(value))
}

fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(key, value)| (key, sorted(value)))
                    .collect::<Map<String, Value>>(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn keys_are_sorted_at_every_level_and_nothing_is_padded() {
        let value = json!({"b": [{"z": 1, "a": "x"}], "a": "é\n\u{1f}\"\\/"});
        let bytes = canonical_bytes(value).unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "{\"a\":\"é\\n\\u001f\\\"\\\\/\",\"b\":[{\"a\":\"x\",\"z\":1}]}"
        );
    }

    #[test]
    fn the_digest_is_sha256_of_the_canonical_bytes_in_hex() {
        let digest = ManifestDigest::of(b"");
        // SHA-256 of the empty string (FIPS 180-4 examples).
        let hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(digest.to_string(), hex);
        assert_eq!(hex::encode(digest.as_bytes()), hex);
    }
}
