//! The public identity of a domain key: its key id (a commitment that the manifest records and every
//! combine checks), its 3-byte KCV (what HSM vendors display, for officials to read aloud) and its
//! wrap check value (what a token holding only a wrap-only key can prove it holds). All are safe
//! to publish. This module must never return, print or keep the key itself, and it
//! compares a key against an expected id only in constant time.

use std::fmt;

use aes::cipher::{BlockCipherEncrypt, KeyInit};
use aes::Aes256;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::key_wrap;
use super::secret::{DataKey, DomainKey};

/// The HMAC message that makes a key id; versioned so a future scheme cannot collide with it.
pub const KEY_ID_LABEL: &[u8] = b"custody/key-id/v1";

/// HMAC-SHA256's block size: keys shorter than a block are zero-padded to it by definition.
const HMAC_SHA256_BLOCK: usize = 64;

/// HMAC-SHA256(domain key, [`KEY_ID_LABEL`]): binds a manifest to exactly one key without revealing it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct KeyId([u8; 32]);

impl KeyId {
    /// Computes the key id of `key`.
    pub fn of(key: &DomainKey) -> Self {
        // RFC 2104 pads a short key with zeros to the block size, so HMAC(k) == HMAC(k || 0…0);
        // padding ourselves lets us use the infallible fixed-size constructor.
        let mut block = Zeroizing::new([0u8; HMAC_SHA256_BLOCK]);
        block[..32].copy_from_slice(key.expose());
        let mut mac = <Hmac<Sha256> as KeyInit>::new(&(*block).into());
        mac.update(KEY_ID_LABEL);
        Self(mac.finalize().into_bytes().into())
    }

    /// A key id as recorded in a manifest.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Parses the 64 hex digits a manifest records (either case); `None` for anything else.
    pub fn from_hex(text: &str) -> Option<Self> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text, &mut bytes).ok()?;
        Some(Self(bytes))
    }

    /// The 32 id bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Whether `key` has this id, compared in constant time so the check leaks nothing about how
    /// close a wrong key came.
    pub fn matches(&self, key: &DomainKey) -> bool {
        Self::of(key).0.ct_eq(&self.0).into()
    }
}

impl fmt::Display for KeyId {
    /// Lowercase hex, as the manifest records it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// Key check value: the first 3 bytes of AES-256-ECB of a zero block under the key, the value
/// HSMs show for an AES key. Short enough to read aloud; too short to serve as a commitment.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Kcv([u8; 3]);

impl Kcv {
    /// Computes the KCV of `key`.
    pub fn of(key: &DomainKey) -> Self {
        // The cipher wipes its key schedule on drop (aes "zeroize" feature).
        let cipher = Aes256::new(key.expose().into());
        let mut block = [0u8; 16].into();
        cipher.encrypt_block(&mut block);
        Self([block[0], block[1], block[2]])
    }

    /// A KCV as recorded in a manifest.
    pub fn from_bytes(bytes: [u8; 3]) -> Self {
        Self(bytes)
    }

    /// The 3 KCV bytes.
    pub fn as_bytes(&self) -> &[u8; 3] {
        &self.0
    }
}

impl fmt::Display for Kcv {
    /// Uppercase hex, the way HSM consoles print it, so officials compare like with like.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02X}"))
    }
}

impl fmt::Debug for Kcv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Kcv({self})")
    }
}

/// The label whose SHA-256 is the value every wrap check wraps; versioned like [`KEY_ID_LABEL`].
pub const WRAP_CHECK_LABEL: &[u8] = b"custody/wrap-check/v1";

/// The length of a wrap check value: RFC 3394 output for a 256-bit input.
pub const WRAP_CHECK_LEN: usize = 40;

/// The fixed public 256-bit value a wrap check wraps: SHA-256([`WRAP_CHECK_LABEL`]).
pub fn wrap_check_input() -> [u8; 32] {
    use sha2::Digest;
    Sha256::digest(WRAP_CHECK_LABEL).into()
}

/// Wrap check value: the RFC 3394 wrap of [`wrap_check_input`] under the domain key. A token can
/// compute it with the key's one permitted mechanism (CKM_AES_KEY_WRAP), so comparing it proves
/// the object on a token is the domain's key; it reveals no more about the key than the KCV.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct WrapCheck([u8; WRAP_CHECK_LEN]);

impl WrapCheck {
    /// Computes the wrap check value of `key` in software.
    pub fn of(key: &DomainKey) -> Self {
        let input = DataKey::from_bytes(&mut wrap_check_input());
        Self(key_wrap::wrap(key, &input))
    }

    /// A wrap check value as recorded in a manifest or archive header.
    pub fn from_bytes(bytes: [u8; WRAP_CHECK_LEN]) -> Self {
        Self(bytes)
    }

    /// Parses the 80 hex digits a journal records (either case); `None` for anything else.
    pub fn from_hex(text: &str) -> Option<Self> {
        let mut bytes = [0u8; WRAP_CHECK_LEN];
        hex::decode_to_slice(text, &mut bytes).ok()?;
        Some(Self(bytes))
    }

    /// The 40 bytes.
    pub fn as_bytes(&self) -> &[u8; WRAP_CHECK_LEN] {
        &self.0
    }

    /// Whether `wrapped` (a token's wrap of [`wrap_check_input`]) is this value, compared in
    /// constant time.
    pub fn matches(&self, wrapped: &[u8]) -> bool {
        wrapped.ct_eq(&self.0).into()
    }
}

impl fmt::Display for WrapCheck {
    /// Lowercase hex, as the manifest records it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for WrapCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WrapCheck({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Key 00 01 02 … 1f.
    fn counting_key() -> DomainKey {
        let mut bytes: [u8; 32] = std::array::from_fn(|i| u8::try_from(i).unwrap());
        DomainKey::from_bytes(&mut bytes)
    }

    fn all_ff_key() -> DomainKey {
        DomainKey::from_bytes(&mut [0xff; 32])
    }

    // Vectors computed independently with OpenSSL 3.0.19:
    //   printf 'custody/key-id/v1' | openssl dgst -sha256 -mac HMAC -macopt hexkey:<key>
    //   head -c16 /dev/zero | openssl enc -aes-256-ecb -nopad -K <key> | xxd -p
    const COUNTING_KEY_ID: &str =
        "19d04d77acdd5515953bbf1fa46a415569211520225facff688def151e6ca986";
    const COUNTING_KEY_ZERO_BLOCK: &str = "f29000b62a499fd0a9f39a6add2e7780";
    const ALL_FF_KEY_ID: &str = "cb89ec81052900181dd0fa100b30712d93ce9e7ae83d19c58ecebc461d1c7ad3";
    const ALL_FF_ZERO_BLOCK: &str = "4bf85f1b5d54adbc307b0a048389adcb";

    #[test]
    fn key_id_known_answers() {
        assert_eq!(KeyId::of(&counting_key()).to_string(), COUNTING_KEY_ID);
        assert_eq!(KeyId::of(&all_ff_key()).to_string(), ALL_FF_KEY_ID);
    }

    #[test]
    fn kcv_known_answers_are_the_first_three_bytes_of_the_zero_block() {
        assert_eq!(
            Kcv::of(&counting_key()).to_string(),
            COUNTING_KEY_ZERO_BLOCK[..6].to_uppercase()
        );
        assert_eq!(
            Kcv::of(&all_ff_key()).to_string(),
            ALL_FF_ZERO_BLOCK[..6].to_uppercase()
        );
        assert_eq!(Kcv::of(&counting_key()).as_bytes(), &[0xf2, 0x90, 0x00]);
    }

    // Computed independently with OpenSSL 3.0.19:
    //   printf 'custody/wrap-check/v1' | openssl dgst -sha256
    //   printf <input> | xxd -r -p | openssl enc -id-aes256-wrap -K <key> -iv a6a6a6a6a6a6a6a6 | xxd -p
    const WRAP_CHECK_INPUT: &str =
        "7475a05cd93b140d4c5825a387b5afd1aef9800718d3df8e22c8f2440d3ce41b";
    const COUNTING_KEY_WRAP_CHECK: &str =
        "bd66c719e4fe50e1b2e70d69973e669b68a5de8fe40a3601dca5e121f7ebe780ea3435442d9fe924";

    #[test]
    fn wrap_check_known_answers() {
        assert_eq!(hex::encode(wrap_check_input()), WRAP_CHECK_INPUT);
        assert_eq!(
            WrapCheck::of(&counting_key()).to_string(),
            COUNTING_KEY_WRAP_CHECK
        );
    }

    #[test]
    fn wrap_check_matches_only_its_own_bytes() {
        let check = WrapCheck::of(&counting_key());
        assert!(check.matches(check.as_bytes()));
        assert!(!check.matches(WrapCheck::of(&all_ff_key()).as_bytes()));
        assert!(!check.matches(&check.as_bytes()[..39]));
        assert_eq!(WrapCheck::from_bytes(*check.as_bytes()), check);
    }

    #[test]
    fn matches_accepts_only_the_committed_key() {
        let id = KeyId::of(&counting_key());
        assert!(id.matches(&counting_key()));
        assert!(!id.matches(&all_ff_key()));
    }

    #[test]
    fn hex_round_trips_in_either_case() {
        let id = KeyId::from_hex(COUNTING_KEY_ID).unwrap();
        assert_eq!(id, KeyId::of(&counting_key()));
        assert_eq!(KeyId::from_hex(&COUNTING_KEY_ID.to_uppercase()), Some(id));
        assert_eq!(KeyId::from_bytes(*id.as_bytes()), id);
        assert_eq!(format!("{id:?}"), format!("KeyId({COUNTING_KEY_ID})"));
    }

    #[test]
    fn from_hex_refuses_wrong_length_and_non_hex() {
        assert_eq!(KeyId::from_hex(&COUNTING_KEY_ID[..62]), None);
        assert_eq!(KeyId::from_hex(&format!("{COUNTING_KEY_ID}00")), None);
        assert_eq!(
            KeyId::from_hex(&format!("{}zz", &COUNTING_KEY_ID[..62])),
            None
        );
        assert_eq!(KeyId::from_hex(""), None);
    }
}
