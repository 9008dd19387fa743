//! Officials: the people who each hold one share of the domain key. This module owns the rules
//! for an official's id (it names their share file, so it is restricted to `[a-z0-9-]{1,32}`) and
//! for the name and role shown in prompts and transcripts (no control or format characters, so a
//! manifest cannot drive the terminal or make one name read as another). It holds nothing secret and does no I/O.

use std::fmt;

use super::identifier;
use crate::shares::sealed::MAX_OFFICIAL_LEN;

/// Longest name or role, in characters.
pub const MAX_TEXT_CHARS: usize = 128;

/// A field of an official that breaks its rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {problem}")]
pub struct InvalidOfficial {
    /// `id`, `name` or `role`.
    pub field: &'static str,
    /// What is wrong with it.
    pub problem: String,
}

/// An official's id, `[a-z0-9-]{1,32}`, unique in a domain (e.g. `cio`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OfficialId(String);

impl OfficialId {
    /// Checks the syntax and returns the id.
    pub fn new(id: impl Into<String>) -> Result<Self, InvalidOfficial> {
        let id = id.into();
        identifier::check(&id, MAX_OFFICIAL_LEN).map_err(|problem| InvalidOfficial {
            field: "id",
            problem,
        })?;
        Ok(Self(id))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OfficialId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One official: id, the name prompts address them by, and their role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Official {
    id: OfficialId,
    name: String,
    role: String,
}

impl Official {
    /// Checks the name and role (1..=128 characters, not blank, no control characters).
    pub fn new(
        id: OfficialId,
        name: impl Into<String>,
        role: impl Into<String>,
    ) -> Result<Self, InvalidOfficial> {
        let name = name.into();
        let role = role.into();
        check_text("name", &name)?;
        check_text("role", &role)?;
        Ok(Self { id, name, role })
    }

    /// The official's id.
    pub fn id(&self) -> &OfficialId {
        &self.id
    }

    /// The official's name, e.g. `Government CIO`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The official's role, e.g. `Office of the Government CIO`.
    pub fn role(&self) -> &str {
        &self.role
    }
}

fn check_text(field: &'static str, value: &str) -> Result<(), InvalidOfficial> {
    super::shown_text::check(value, MAX_TEXT_CHARS)
        .map_err(|problem| InvalidOfficial { field, problem })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_the_share_file_rules() {
        assert_eq!(OfficialId::new("cio").unwrap().as_str(), "cio");
        assert!(OfficialId::new("o".repeat(32)).is_ok());
        for bad in [String::new(), "o".repeat(33), "CIO".into(), "c.io".into()] {
            let error = OfficialId::new(bad.clone()).unwrap_err();
            assert_eq!(error.field, "id", "{bad:?}");
        }
    }

    #[test]
    fn names_and_roles_are_bounded_printable_text() {
        let id = || OfficialId::new("cio").unwrap();
        let official = Official::new(id(), "Government CIO", "Office of the CIO").unwrap();
        assert_eq!(official.name(), "Government CIO");
        assert_eq!(official.role(), "Office of the CIO");
        assert!(Official::new(id(), "Rüütel Õie", "Riigikantselei").is_ok());
        for (name, role, field) in [
            ("", "role", "name"),
            ("  ", "role", "name"),
            ("name", "", "role"),
            ("evil\u{1b}[2J", "role", "name"),
            ("name", "line\nbreak", "role"),
            ("Government\u{202E}OIC", "role", "name"),
            ("name", "Office\u{200B}", "role"),
        ] {
            assert_eq!(Official::new(id(), name, role).unwrap_err().field, field);
        }
        let long = "x".repeat(MAX_TEXT_CHARS + 1);
        assert_eq!(Official::new(id(), long, "r").unwrap_err().field, "name");
    }
}
