//! Enrolled tokens: the manifest's public record of every token that holds the domain key of its
//! epoch — the token's label, serial number, manufacturer and model as the token reports them,
//! the site it serves, and when it was enrolled (docs/FORMAT.md 6.9). Genesis enrols the tokens
//! it imported the key into and an unlock enrols the token it rebuilt the key on; a rotation moves
//! the new key onto every enrolled token, less those it retires. A token is known by its serial
//! number, unique within a manifest. This module owns one record's rules and the rules across
//! records; it knows nothing of PKCS#11 (the ceremony makes a record from a token's description).

use crate::domain::timestamp::Timestamp;

/// Longest token label, manufacturer or site name, in characters (a PKCS#11 label is 32 bytes).
pub const MAX_TOKEN_TEXT_CHARS: usize = 64;
/// Most tokens a manifest may list.
pub const MAX_TOKENS: usize = 64;

/// One token the domain key of the manifest's epoch is enrolled on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolledToken {
    serial: String,
    label: String,
    manufacturer: String,
    model: String,
    site: Option<String>,
    enrolled: Timestamp,
}

impl EnrolledToken {
    /// A record; each text must be 1..=64 characters (the site, when named, too), not blank,
    /// with no control or format characters. The error names the field and its problem.
    pub fn new(
        serial: impl Into<String>,
        label: impl Into<String>,
        manufacturer: impl Into<String>,
        model: impl Into<String>,
        site: Option<String>,
        enrolled: Timestamp,
    ) -> Result<Self, (&'static str, String)> {
        let token = Self {
            serial: serial.into(),
            label: label.into(),
            manufacturer: manufacturer.into(),
            model: model.into(),
            site,
            enrolled,
        };
        for (field, text) in [
            ("serial", token.serial.as_str()),
            ("label", &token.label),
            ("manufacturer", &token.manufacturer),
            ("model", &token.model),
        ]
        .into_iter()
        .chain(token.site.as_deref().map(|site| ("site", site)))
        {
            check_text(text).map_err(|problem| (field, problem))?;
        }
        Ok(token)
    }

    /// Checks a site name as a record would: `Err` says what is wrong with it, in words.
    pub fn check_site(site: &str) -> Result<(), String> {
        check_text(site)
    }

    /// The token's serial number: how custody knows it.
    pub fn serial(&self) -> &str {
        &self.serial
    }

    /// The token's label.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The token's manufacturer.
    pub fn manufacturer(&self) -> &str {
        &self.manufacturer
    }

    /// The token's model.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// The site it serves, when the ceremony named one.
    pub fn site(&self) -> Option<&str> {
        self.site.as_deref()
    }

    /// When it was enrolled.
    pub fn enrolled(&self) -> Timestamp {
        self.enrolled
    }
}

impl std::fmt::Display for EnrolledToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "\"{}\" ({} {}, serial {}",
            self.label, self.manufacturer, self.model, self.serial
        )?;
        match &self.site {
            Some(site) => write!(f, ", site {site})"),
            None => f.write_str(")"),
        }
    }
}

/// The rules across a manifest's tokens: 1..=64 of them, serial numbers distinct. Returns the
/// problem in words.
pub(super) fn check_tokens(tokens: &[EnrolledToken]) -> Result<(), String> {
    if tokens.is_empty() || tokens.len() > MAX_TOKENS {
        return Err(format!(
            "lists {} tokens; the domain key is enrolled on 1 to {MAX_TOKENS}",
            tokens.len()
        ));
    }
    for (index, token) in tokens.iter().enumerate() {
        if tokens[..index].iter().any(|t| t.serial == token.serial) {
            return Err(format!(
                "lists serial number {} twice; each token is listed once",
                token.serial
            ));
        }
    }
    Ok(())
}

fn check_text(text: &str) -> Result<(), String> {
    super::super::shown_text::check(text, MAX_TOKEN_TEXT_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> Timestamp {
        Timestamp::parse("2027-03-01T09:00:00Z").unwrap()
    }

    fn token(serial: &str) -> EnrolledToken {
        EnrolledToken::new(serial, "home", "SoftHSM project", "SoftHSM v2", None, at()).unwrap()
    }

    #[test]
    fn a_record_refuses_blank_long_and_control_text() {
        let make = |label: &str, site: Option<&str>| {
            EnrolledToken::new("1", label, "m", "x", site.map(str::to_owned), at())
        };
        assert_eq!(make(" ", None).unwrap_err().0, "label");
        assert_eq!(make(&"a".repeat(65), None).unwrap_err().0, "label");
        assert_eq!(make("a\u{1b}[2J", None).unwrap_err().0, "label");
        assert_eq!(make("a", Some("")).unwrap_err().0, "site");
        assert!(make(&"a".repeat(64), Some("Tallinn")).is_ok());
    }

    #[test]
    fn tokens_are_one_to_sixty_four_with_distinct_serials() {
        assert!(check_tokens(&[]).unwrap_err().contains("1 to 64"));
        assert!(check_tokens(&[token("1"), token("1")])
            .unwrap_err()
            .contains("serial number 1 twice"));
        assert!(check_tokens(&[token("1"), token("2")]).is_ok());
        let many: Vec<_> = (0..65).map(|i| token(&i.to_string())).collect();
        assert!(check_tokens(&many).is_err());
    }

    #[test]
    fn display_names_label_maker_serial_and_site() {
        let mut t = token("0a1b");
        assert_eq!(
            t.to_string(),
            "\"home\" (SoftHSM project SoftHSM v2, serial 0a1b)"
        );
        t.site = Some("Luxembourg".into());
        assert!(t.to_string().ends_with("serial 0a1b, site Luxembourg)"));
    }
}
