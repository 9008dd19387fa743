//! The rule a new passphrase must meet before a share is sealed under it. It only judges: it never
//! stores, prints or reports a passphrase or its length.

use secrecy::ExposeSecret;

use crate::primitives::secret::Passphrase;

/// Fewest characters (Unicode scalar values) a new passphrase may have.
pub const MIN_PASSPHRASE_CHARS: usize = 12;

/// Why a new passphrase was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WeakPassphrase {
    /// Nothing was typed.
    #[error("the new passphrase is empty")]
    Empty,
    /// Fewer than [`MIN_PASSPHRASE_CHARS`] characters.
    #[error("the new passphrase is shorter than {MIN_PASSPHRASE_CHARS} characters")]
    TooShort,
}

impl WeakPassphrase {
    /// What the official should do.
    pub fn hint(&self) -> &'static str {
        "choose a passphrase of at least 12 characters, for example four or more unrelated words; \
         nothing was changed"
    }
}

/// Refuses an empty passphrase and one shorter than [`MIN_PASSPHRASE_CHARS`].
pub fn check_new_passphrase(passphrase: &Passphrase) -> Result<(), WeakPassphrase> {
    let text = passphrase.expose_secret();
    if text.is_empty() {
        return Err(WeakPassphrase::Empty);
    }
    if text.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(WeakPassphrase::TooShort);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Result<(), WeakPassphrase> {
        check_new_passphrase(&Passphrase::from(text))
    }

    #[test]
    fn counts_characters_not_bytes() {
        assert_eq!(check(""), Err(WeakPassphrase::Empty));
        assert_eq!(check("elevenchars"), Err(WeakPassphrase::TooShort));
        assert_eq!(check("twelve chars"), Ok(()));
        // Eleven characters, 22 bytes.
        assert_eq!(check(&"õ".repeat(11)), Err(WeakPassphrase::TooShort));
    }

    #[test]
    fn messages_never_carry_the_passphrase() {
        let error = check("zqxw").unwrap_err();
        assert!(!error.to_string().contains("zqxw"), "{error}");
        assert!(!format!("{error:?}").contains("zqxw"));
    }
}
