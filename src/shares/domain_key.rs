//! Birth of a domain key, and its view as a P-256 scalar.
//!
//! Generation lives here, in the sharing layer, rather than in the primitives: the only reason a
//! domain key must be a non-zero scalar below the P-256 group order is that Pedersen sharing works
//! over that field. Layer 1 stays curve-agnostic and sees just 32 AES-256 key bytes.
//!
//! This module owns rejection sampling and the key <-> scalar conversions. It must never talk to
//! an HSM (the caller fetches the token's random bytes) and never keep a key or scalar it returns.

use p256::elliptic_curve::ff::{Field, PrimeField};
use p256::{FieldBytes, Scalar};
use rand::rngs::SysRng;
use rand::TryCryptoRng;
use zeroize::{Zeroize, Zeroizing};

use super::SharesError;
use crate::primitives::secret::DomainKey;

/// A healthy generator is rejected with probability below 2^-32 per draw (the P-256 order is
/// within 2^224 of 2^256), so this many rejections in a row means the generator is broken.
const MAX_DRAWS: usize = 16;

/// Generates a fresh domain key: a uniformly random non-zero P-256 scalar, rejection-sampled from
/// 32-byte draws of the operating system's generator, each XORed with `extra_entropy` (the HSM's
/// C_GenerateRandom output) when given. XOR keeps the result uniform as long as either source is,
/// so a weak or hostile token cannot weaken the key. Its 32-byte big-endian encoding is the
/// AES-256 key.
pub fn generate_domain_key(extra_entropy: Option<&[u8; 32]>) -> Result<DomainKey, SharesError> {
    generate_from(&mut SysRng, extra_entropy)
}

/// Rejection sampling from any generator, so tests can drive it with a broken one.
pub(super) fn generate_from<R: TryCryptoRng>(
    source: &mut R,
    extra_entropy: Option<&[u8; 32]>,
) -> Result<DomainKey, SharesError>
where
    R::Error: std::fmt::Display,
{
    let mut candidate = Zeroizing::new([0u8; 32]);
    for _ in 0..MAX_DRAWS {
        source
            .try_fill_bytes(&mut candidate[..])
            .map_err(|error| SharesError::Entropy(error.to_string()))?;
        if let Some(extra) = extra_entropy {
            candidate
                .iter_mut()
                .zip(extra)
                .for_each(|(byte, mix)| *byte ^= mix);
        }
        if let Some(mut scalar) = key_scalar(&candidate) {
            let key = scalar_to_key(&scalar);
            scalar.zeroize();
            return Ok(key);
        }
    }
    Err(SharesError::Entropy(format!(
        "{MAX_DRAWS} draws in a row were zero or above the P-256 group order"
    )))
}

/// The scalar a key encodes, or `None` when the bytes are zero or not below the group order.
pub(super) fn key_scalar(bytes: &[u8; 32]) -> Option<Scalar> {
    let scalar: Option<Scalar> = Scalar::from_repr(FieldBytes::from(*bytes)).into();
    scalar.filter(|value| !bool::from(value.is_zero()))
}

/// The canonical big-endian encoding of `scalar` as a domain key.
pub(super) fn scalar_to_key(scalar: &Scalar) -> DomainKey {
    let mut bytes: [u8; 32] = scalar.to_repr().into();
    DomainKey::from_bytes(&mut bytes)
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use rand::TryRng;

    use super::*;

    /// The P-256 group order n, big-endian (SEC 2, section 2.4.2).
    const ORDER: [u8; 32] = [
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63,
        0x25, 0x51,
    ];

    /// Replays fixed 32-byte draws, then repeats the last one forever.
    struct Replay(Vec<[u8; 32]>);

    impl TryRng for Replay {
        type Error = Infallible;
        fn try_next_u32(&mut self) -> Result<u32, Infallible> {
            unreachable!("key generation draws whole blocks")
        }
        fn try_next_u64(&mut self) -> Result<u64, Infallible> {
            unreachable!("key generation draws whole blocks")
        }
        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
            let draw = if self.0.len() > 1 {
                self.0.remove(0)
            } else {
                self.0[0]
            };
            dst.copy_from_slice(&draw);
            Ok(())
        }
    }

    impl TryCryptoRng for Replay {}

    fn below_order() -> [u8; 32] {
        let mut bytes = ORDER;
        bytes[31] -= 1;
        bytes
    }

    #[test]
    fn rejects_zero_the_order_and_above_then_takes_the_first_valid_draw() {
        let mut source = Replay(vec![[0; 32], ORDER, [0xff; 32], below_order()]);
        let key = generate_from(&mut source, None).unwrap();
        assert_eq!(key.expose(), &below_order());
    }

    #[test]
    fn a_generator_stuck_out_of_range_is_reported_not_looped_on() {
        let error = generate_from(&mut Replay(vec![ORDER]), None).unwrap_err();
        assert!(matches!(error, SharesError::Entropy(_)), "{error}");
    }

    #[test]
    fn extra_entropy_is_xored_into_every_draw() {
        let mut extra = [0u8; 32];
        extra[31] = 0x01;
        let key = generate_from(&mut Replay(vec![[0; 32]]), Some(&extra)).unwrap();
        assert_eq!(key.expose(), &extra);
        // Zero XOR the order's bits is the order: still rejected.
        assert!(generate_from(&mut Replay(vec![[0; 32]]), Some(&ORDER)).is_err());
    }

    #[test]
    fn os_keys_are_valid_scalars_and_differ() {
        let first = generate_domain_key(None).unwrap();
        let second = generate_domain_key(Some(&[0x5a; 32])).unwrap();
        assert!(key_scalar(first.expose()).is_some());
        assert!(key_scalar(second.expose()).is_some());
        assert_ne!(first.expose(), second.expose());
    }

    #[test]
    fn scalar_and_key_round_trip() {
        let scalar = key_scalar(&below_order()).unwrap();
        assert_eq!(scalar, -Scalar::ONE);
        assert_eq!(scalar_to_key(&scalar).expose(), &below_order());
    }
}
