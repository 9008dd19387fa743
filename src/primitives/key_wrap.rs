//! RFC 3394 AES key wrap in software, for one purpose: proving that an HSM holds exactly the
//! domain key a ceremony just made or rebuilt (the token's wrap of a canary must equal ours).
//! Archives never use it: their data keys are wrapped inside the HSM.

use aes_kw::cipher::KeyInit;
use aes_kw::KwAes256;

use super::secret::{DataKey, DomainKey};

/// `key` wrapped under `kek` (40 bytes).
pub fn wrap(kek: &DomainKey, key: &DataKey) -> [u8; 40] {
    let mut out = [0u8; 40];
    // A 32-byte key under a 32-byte KEK always wraps: the only errors are buffer and length ones.
    if let Ok(wrapper) = KwAes256::new_from_slice(kek.expose()) {
        let _ = wrapper.wrap_key(key.expose(), &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 3394 section 4.6: 256 bits of key data with a 256-bit KEK.
    #[test]
    fn rfc_3394_known_answer() {
        let mut kek: [u8; 32] =
            hex::decode("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F")
                .unwrap()
                .try_into()
                .unwrap();
        let mut key: [u8; 32] =
            hex::decode("00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F")
                .unwrap()
                .try_into()
                .unwrap();
        let wrapped = wrap(
            &DomainKey::from_bytes(&mut kek),
            &DataKey::from_bytes(&mut key),
        );
        assert_eq!(
            hex::encode_upper(wrapped),
            "28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21"
        );
    }
}
