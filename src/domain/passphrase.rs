//! The rule a new passphrase must meet before a share is sealed under it. It only judges: it never
//! stores, prints or reports a passphrase or its length.

use secrecy::ExposeSecret;

use crate::primitives::secret::Passphrase;

/// Fewest characters (Unicode scalar values) a new passphrase may have.
pub const MIN_PASSPHRASE_CHARS: usize = 12;

/// Why a new passphrase was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeakPassphrase {
    /// Nothing was typed.
    #[error("the new passphrase is empty")]
    Empty,
    /// Fewer than [`MIN_PASSPHRASE_CHARS`] characters.
    #[error("the new passphrase is shorter than {MIN_PASSPHRASE_CHARS} characters")]
    TooShort,
    /// Long enough, but an attacker's guessing tools would find it (zxcvbn score below 3).
    #[error("the new passphrase is too easy to guess{}", .0.as_ref().map(|w| format!(": {w}")).unwrap_or_default())]
    Guessable(Option<String>),
}

/// What an official whose new passphrase was refused should do.
macro_rules! advice {
    () => {
        "choose a passphrase of at least 12 characters, for example four or more unrelated words"
    };
}

impl WeakPassphrase {
    /// What the official should do, where they can choose again at once.
    pub fn advice(&self) -> &'static str {
        advice!()
    }

    /// What the official should do, where the refusal ended a command that changed nothing.
    pub fn hint(&self) -> &'static str {
        concat!(advice!(), "; nothing was changed")
    }
}

/// Refuses an empty passphrase, one shorter than [`MIN_PASSPHRASE_CHARS`], and one that zxcvbn
/// estimates at fewer than 10^10 guesses; `context` are words an attacker would try first (the
/// official's name and id, the domain).
pub fn check_new_passphrase(
    passphrase: &Passphrase,
    context: &[&str],
) -> Result<(), WeakPassphrase> {
    let text = passphrase.expose_secret();
    if text.is_empty() {
        return Err(WeakPassphrase::Empty);
    }
    if text.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(WeakPassphrase::TooShort);
    }
    let estimate = zxcvbn::zxcvbn(text, context);
    if estimate.score() < zxcvbn::Score::Three {
        // zxcvbn's warnings are fixed sentences about the kind of weakness; none quotes the text.
        // Their closing period goes: the refusal is a clause of a longer line.
        let warning = estimate
            .feedback()
            .and_then(|f| f.warning())
            .map(|w| w.to_string().trim_end_matches('.').to_owned());
        return Err(WeakPassphrase::Guessable(warning));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Result<(), WeakPassphrase> {
        check_new_passphrase(
            &Passphrase::from(text),
            &["Government CIO", "ee-registries"],
        )
    }

    #[test]
    fn counts_characters_not_bytes() {
        assert_eq!(check(""), Err(WeakPassphrase::Empty));
        assert_eq!(check("elevenchars"), Err(WeakPassphrase::TooShort));
        // Eleven characters, 22 bytes.
        assert_eq!(check(&"õ".repeat(11)), Err(WeakPassphrase::TooShort));
        assert_eq!(check("violet lantern orbit seventeen"), Ok(()));
    }

    #[test]
    fn guessable_passphrases_are_refused_with_the_reason() {
        for weak in [
            "password1234",
            "qwertyuiopasdf",
            "aaaaaaaaaaaaaaa",
            "ee-registries1",
        ] {
            let error = check(weak).unwrap_err();
            assert!(
                matches!(error, WeakPassphrase::Guessable(_)),
                "{weak}: {error}"
            );
        }
        let message = check("password1234").unwrap_err().to_string();
        assert!(message.contains("too easy to guess"), "{message}");
        assert!(!message.contains("password1234"), "{message}");
    }

    #[test]
    fn messages_never_carry_the_passphrase() {
        let error = check("zqxw").unwrap_err();
        assert!(!error.to_string().contains("zqxw"), "{error}");
        assert!(!format!("{error:?}").contains("zqxw"));
    }
}
