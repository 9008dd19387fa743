//! The identifier syntax custody uses for domain ids and official ids (1..=max bytes of
//! `[a-z0-9-]`, safe in file names, token labels and terminals by construction) and
//! [`DomainId`], a domain id checked once when it is made. Each format keeps its own wording
//! of a refusal; the rule itself lives only here. Pure values: no I/O, nothing secret.

use std::fmt;

/// Longest domain id, in bytes.
pub const MAX_DOMAIN_LEN: usize = 64;

/// Why a value is not a custody identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentifierProblem {
    /// Empty, or longer than allowed.
    Length {
        /// The value's length, in bytes.
        len: usize,
        /// The longest allowed.
        max: usize,
    },
    /// A byte outside `[a-z0-9-]`.
    Characters,
}

/// Refuses `value` unless it is 1..=`max` bytes of `[a-z0-9-]`.
pub fn check_identifier(value: &str, max: usize) -> Result<(), IdentifierProblem> {
    let len = value.len();
    if !(1..=max).contains(&len) {
        return Err(IdentifierProblem::Length { len, max });
    }
    let allowed = |byte: &u8| byte.is_ascii_lowercase() || byte.is_ascii_digit() || *byte == b'-';
    if !value.as_bytes().iter().all(allowed) {
        return Err(IdentifierProblem::Characters);
    }
    Ok(())
}

/// A domain id, `[a-z0-9-]{1,64}` (e.g. `ee-registries`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DomainId(String);

impl DomainId {
    /// Checks the syntax and returns the id.
    pub fn new(id: impl Into<String>) -> Result<Self, IdentifierProblem> {
        let id = id.into();
        check_identifier(&id, MAX_DOMAIN_LEN)?;
        Ok(Self(id))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DomainId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_custody_identifiers_and_refuses_the_rest() {
        assert!(check_identifier("ee-registries", 64).is_ok());
        assert!(check_identifier("a", 1).is_ok());
        assert_eq!(
            check_identifier("ab", 1),
            Err(IdentifierProblem::Length { len: 2, max: 1 })
        );
        assert_eq!(
            check_identifier("", 64),
            Err(IdentifierProblem::Length { len: 0, max: 64 })
        );
        for bad in ["A", "a b", "a_b", "../a", "\u{e9}"] {
            assert_eq!(
                check_identifier(bad, 64),
                Err(IdentifierProblem::Characters),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_domain_id_is_checked_when_made() {
        assert_eq!(
            DomainId::new("ee-registries").unwrap().as_str(),
            "ee-registries"
        );
        assert!(DomainId::new("d".repeat(MAX_DOMAIN_LEN)).is_ok());
        assert!(DomainId::new("d".repeat(MAX_DOMAIN_LEN + 1)).is_err());
        assert!(DomainId::new("Upper").is_err());
    }
}
