//! Secret material as types: every key, PIN and passphrase custody holds in memory lives in one of
//! these. They zeroize on drop and their `Debug` prints only the type name, so a secret cannot
//! reach a log, an error message or a transcript by accident. This module does no I/O.

use std::fmt;

use secrecy::{ExposeSecret, SecretBox, SecretString};
use zeroize::Zeroize;

/// Defines a secret text newtype (a PIN, a passphrase) with a redacted `Debug`: distinct types,
/// so a PIN cannot be passed where a passphrase is expected, or the other way round.
macro_rules! secret_text {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        pub struct $name(SecretString);

        impl From<SecretString> for $name {
            fn from(text: SecretString) -> Self {
                Self(text)
            }
        }

        impl From<String> for $name {
            fn from(text: String) -> Self {
                Self(SecretString::from(text))
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                Self(SecretString::from(text))
            }
        }

        impl $name {
            /// The secret as `secrecy` holds it, for a library that takes that type (cryptoki's
            /// `AuthPin`).
            pub fn as_secret_string(&self) -> &SecretString {
                &self.0
            }
        }

        impl ExposeSecret<str> for $name {
            fn expose_secret(&self) -> &str {
                self.0.expose_secret()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([REDACTED])"))
            }
        }
    };
}

secret_text!(
    /// A PKCS#11 user PIN.
    Pin
);

secret_text!(
    /// An official's passphrase.
    Passphrase
);

/// Defines a 32-byte secret key newtype with a redacted `Debug`.
macro_rules! secret_key_256 {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        pub struct $name(SecretBox<[u8; 32]>);

        impl $name {
            /// Takes the key bytes, wiping the caller's copy.
            pub fn from_bytes(bytes: &mut [u8; 32]) -> Self {
                let key = Self(SecretBox::new(Box::new(*bytes)));
                bytes.zeroize();
                key
            }

            /// Takes the key from a buffer that must hold exactly 32 bytes; the buffer is wiped
            /// whatever its length. `None` when the length is wrong.
            pub fn from_slice(bytes: &mut [u8]) -> Option<Self> {
                let key = <[u8; 32]>::try_from(&*bytes).ok().map(|mut array| Self::from_bytes(&mut array));
                bytes.zeroize();
                key
            }

            /// The raw key bytes, for the few places that must hand them to a primitive.
            pub fn expose(&self) -> &[u8; 32] {
                self.0.expose_secret()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([REDACTED])"))
            }
        }
    };
}

secret_key_256!(
    /// The domain key: the AES-256 key-encryption key of one epoch of a domain. In clear only
    /// transiently (genesis, unlock, and a recovery without an HSM, D67); otherwise a
    /// non-extractable object inside HSM tokens.
    DomainKey
);

secret_key_256!(
    /// A per-archive AES-256 data key, in clear only while an archive is sealed or opened.
    DataKey
);

/// Secret bytes of any length (an unwrapped key of unusual size, a decrypted share).
pub struct SecretBytes(SecretBox<[u8]>);

impl SecretBytes {
    /// Takes ownership of the buffer; it is wiped when the value drops.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(SecretBox::from(bytes.into_boxed_slice()))
    }

    /// The secret bytes.
    pub fn expose(&self) -> &[u8] {
        self.0.expose_secret()
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes([REDACTED; {}])", self.expose().len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_key_bytes() {
        let key = DomainKey::from_bytes(&mut [0xAB; 32]);
        assert_eq!(format!("{key:?}"), "DomainKey([REDACTED])");
        let bytes = SecretBytes::new(vec![0xCD; 5]);
        assert_eq!(format!("{bytes:?}"), "SecretBytes([REDACTED; 5])");
        assert_eq!(format!("{:?}", Pin::from("1234")), "Pin([REDACTED])");
        assert_eq!(
            format!("{:?}", Passphrase::from("p")),
            "Passphrase([REDACTED])"
        );
    }

    #[test]
    fn from_bytes_wipes_the_callers_copy() {
        let mut raw = [7u8; 32];
        let key = DataKey::from_bytes(&mut raw);
        assert_eq!(raw, [0; 32]);
        assert_eq!(key.expose(), &[7; 32]);
    }

    #[test]
    fn from_slice_refuses_wrong_length_and_wipes_anyway() {
        let mut short = vec![9u8; 31];
        assert!(DataKey::from_slice(&mut short).is_none());
        assert!(short.iter().all(|b| *b == 0));
        let mut exact = vec![9u8; 32];
        assert!(DataKey::from_slice(&mut exact).is_some());
        assert!(exact.iter().all(|b| *b == 0));
    }
}
