//! One official's share of a domain key, and its plaintext byte layout (the payload a sealed share
//! file encrypts). Reader and writer sit side by side so one file shows the whole layout:
//!
//! | offset | length | field                                                          |
//! |--------|--------|----------------------------------------------------------------|
//! | 0      | 1      | version, `0x01`                                                |
//! | 1      | 1      | identifier x, 1..=255 (0 is refused)                           |
//! | 2      | 32     | share value f(x), big-endian, canonical (< P-256 order)       |
//! | 34     | 32     | blinder share r(x), big-endian, canonical (< P-256 order)     |
//!
//! This module must never let share bytes reach `Debug`, an error message or an unwiped buffer.

use std::fmt;

use p256::elliptic_curve::ff::PrimeField;
use p256::{FieldBytes, Scalar};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::SharesError;
use crate::primitives::secret::SecretBytes;

/// The only share layout this build writes and reads.
pub const SHARE_FORMAT_VERSION: u8 = 1;

/// Length of a serialized share: version, identifier, two 32-byte scalars.
pub const SHARE_LEN: usize = 66;

const SCALAR_LEN: usize = 32;
const VALUE_AT: usize = 2;
const BLINDER_AT: usize = VALUE_AT + SCALAR_LEN;

/// An official's share: the identifier x with f(x) for the key polynomial and r(x) for the
/// Pedersen blinding polynomial. Wiped on drop; `Debug` shows only the identifier.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct Share {
    identifier: u8,
    value: Scalar,
    blinder: Scalar,
}

impl Share {
    /// Only split and parsing make shares, and both guarantee `identifier != 0`.
    pub(super) fn new(identifier: u8, value: Scalar, blinder: Scalar) -> Self {
        Self {
            identifier,
            value,
            blinder,
        }
    }

    /// The identifier x (1..=255), which the manifest maps to an official.
    pub fn identifier(&self) -> u8 {
        self.identifier
    }

    pub(super) fn value(&self) -> &Scalar {
        &self.value
    }

    pub(super) fn blinder(&self) -> &Scalar {
        &self.blinder
    }

    /// The 66-byte plaintext layout described in this module's documentation.
    pub fn to_bytes(&self) -> SecretBytes {
        let mut bytes = Vec::with_capacity(SHARE_LEN);
        bytes.push(SHARE_FORMAT_VERSION);
        bytes.push(self.identifier);
        for scalar in [&self.value, &self.blinder] {
            let mut repr = scalar.to_repr();
            bytes.extend_from_slice(&repr);
            repr.zeroize();
        }
        SecretBytes::new(bytes)
    }

    /// Parses the plaintext layout, refusing a wrong length or version, identifier 0 and any
    /// scalar that is not canonical. Errors name the identifier once it is known.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SharesError> {
        if bytes.len() != SHARE_LEN {
            return Err(SharesError::ShareLength {
                expected: SHARE_LEN,
                found: bytes.len(),
            });
        }
        if bytes[0] != SHARE_FORMAT_VERSION {
            return Err(SharesError::ShareVersion {
                found: bytes[0],
                supported: SHARE_FORMAT_VERSION,
            });
        }
        let identifier = bytes[1];
        if identifier == 0 {
            return Err(SharesError::ShareIdentifierZero);
        }
        let value = canonical_scalar(&bytes[VALUE_AT..BLINDER_AT]);
        let blinder = canonical_scalar(&bytes[BLINDER_AT..]);
        match (value, blinder) {
            (Some(value), Some(blinder)) => Ok(Self::new(identifier, value, blinder)),
            (mut value, mut blinder) => {
                value.zeroize();
                blinder.zeroize();
                Err(SharesError::ShareScalar { identifier })
            }
        }
    }
}

impl fmt::Debug for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Share {{ identifier: {}, value: [REDACTED] }}",
            self.identifier
        )
    }
}

/// A 32-byte big-endian scalar, or `None` unless it is below the group order.
fn canonical_scalar(bytes: &[u8]) -> Option<Scalar> {
    let mut repr = Zeroizing::new(FieldBytes::default());
    repr.copy_from_slice(bytes);
    Option::from(Scalar::from_repr(*repr))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Share {
        Share::new(7, Scalar::from(0x1234_5678_u64), Scalar::from(0xabcd_u64))
    }

    #[test]
    fn bytes_round_trip_in_the_documented_layout() {
        let bytes = sample().to_bytes();
        let raw = bytes.expose();
        assert_eq!(raw.len(), SHARE_LEN);
        assert_eq!(&raw[..2], &[0x01, 0x07]);
        assert_eq!(&raw[30..34], &[0x12, 0x34, 0x56, 0x78]);
        assert_eq!(&raw[64..66], &[0xab, 0xcd]);
        let parsed = Share::from_bytes(raw).unwrap();
        assert_eq!(parsed.identifier(), 7);
        assert_eq!(parsed.value(), sample().value());
        assert_eq!(parsed.blinder(), sample().blinder());
    }

    #[test]
    fn refuses_wrong_length_version_and_identifier_zero() {
        let good = sample().to_bytes().expose().to_vec();
        assert_eq!(
            Share::from_bytes(&good[..65]).unwrap_err(),
            SharesError::ShareLength {
                expected: 66,
                found: 65
            }
        );
        assert!(Share::from_bytes(&[]).is_err());
        let mut wrong_version = good.clone();
        wrong_version[0] = 2;
        assert_eq!(
            Share::from_bytes(&wrong_version).unwrap_err(),
            SharesError::ShareVersion {
                found: 2,
                supported: 1
            }
        );
        let mut zero = good;
        zero[1] = 0;
        assert_eq!(
            Share::from_bytes(&zero).unwrap_err(),
            SharesError::ShareIdentifierZero
        );
    }

    #[test]
    fn refuses_non_canonical_scalars_naming_the_identifier() {
        for at in [VALUE_AT, BLINDER_AT] {
            let mut bytes = sample().to_bytes().expose().to_vec();
            bytes[at..at + SCALAR_LEN].fill(0xff);
            assert_eq!(
                Share::from_bytes(&bytes).unwrap_err(),
                SharesError::ShareScalar { identifier: 7 }
            );
        }
    }

    #[test]
    fn debug_shows_the_identifier_and_no_share_bytes() {
        let text = format!("{:?}", sample());
        assert_eq!(text, "Share { identifier: 7, value: [REDACTED] }");
        assert!(!text.contains("12345678") && !text.contains("abcd"));
    }
}
