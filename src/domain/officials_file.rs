//! `officials.toml`: the list of officials a genesis or reshare splits the domain key among, as
//! the security office writes it. This module parses and checks it (ids unique and well-formed,
//! 2 to 255 officials, nothing unknown) and reports every problem with the file, the official
//! and the field. It holds nothing secret.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Deserialize;

use super::official::{Official, OfficialId};
use crate::files::read_at_most;
use crate::readout::counted;

/// Largest officials file read.
const MAX_OFFICIALS_FILE: usize = 256 * 1024;

/// Fewest and most officials a share set can have.
pub const OFFICIALS_RANGE: std::ops::RangeInclusive<usize> = 2..=255;

/// Why an officials file was refused.
#[derive(Debug, thiserror::Error)]
#[error("{}: {problem}", .file.display())]
pub struct OfficialsFileError {
    /// The file.
    pub file: std::path::PathBuf,
    /// What is wrong.
    pub problem: String,
}

impl OfficialsFileError {
    /// What to do next.
    pub fn hint(&self) -> &'static str {
        "each official is a [[official]] table with id = \"[a-z0-9-]{1,32}\" (unique), name and role; see ceremonies/officials.example.toml"
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OfficialsToml {
    #[serde(default)]
    official: Vec<OfficialToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OfficialToml {
    id: String,
    name: String,
    role: String,
}

/// Reads and checks an officials file.
pub fn load_officials(path: &Path) -> Result<Vec<Official>, OfficialsFileError> {
    let fail = |problem: String| OfficialsFileError {
        file: path.to_owned(),
        problem,
    };
    let bytes = read_at_most(path, MAX_OFFICIALS_FILE).map_err(|e| fail(e.to_string()))?;
    if bytes.len() > MAX_OFFICIALS_FILE {
        return Err(fail(format!("larger than {MAX_OFFICIALS_FILE} bytes")));
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| fail("not UTF-8 text".into()))?;
    parse_officials(text).map_err(fail)
}

/// Parses and checks the text of an officials file.
pub fn parse_officials(text: &str) -> Result<Vec<Official>, String> {
    let parsed: OfficialsToml = toml::from_str(text).map_err(|e| {
        format!(
            "not a valid officials file: {}{}",
            e.span()
                .map_or_else(String::new, |span| where_in(text, span.start)),
            e.message()
        )
    })?;
    if !OFFICIALS_RANGE.contains(&parsed.official.len()) {
        return Err(format!(
            "lists {}; a share set needs {} to {}",
            counted(parsed.official.len(), "official", "officials"),
            OFFICIALS_RANGE.start(),
            OFFICIALS_RANGE.end()
        ));
    }
    let mut seen = BTreeSet::new();
    parsed
        .official
        .into_iter()
        .enumerate()
        .map(|(index, entry)| {
            let at =
                |problem: String| format!("official #{} ({:?}): {problem}", index + 1, entry.id);
            let id = OfficialId::new(entry.id.clone()).map_err(|e| at(e.to_string()))?;
            if !seen.insert(id.clone()) {
                return Err(at("this id appears twice; ids must be unique".into()));
            }
            Official::new(id, entry.name.clone(), entry.role.clone()).map_err(|e| at(e.to_string()))
        })
        .collect()
}

/// Where byte `at` of an officials file is, for a message: its line, and the official whose
/// `[[official]]` table it falls in, counted from 1 (`line 9, official #2: `).
fn where_in(text: &str, at: usize) -> String {
    let line = text[..at.min(text.len())].matches('\n').count() + 1;
    let tables = text.match_indices("[[official]]");
    match tables.filter(|(start, _)| *start <= at).count() {
        0 => format!("line {line}: "),
        official => format!("line {line}, official #{official}: "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn official(id: &str) -> String {
        format!("[[official]]\nid = \"{id}\"\nname = \"Name {id}\"\nrole = \"Role\"\n")
    }

    #[test]
    fn reads_officials_in_order() {
        let text = official("cio") + &official("deputy-cio");
        let officials = parse_officials(&text).unwrap();
        assert_eq!(officials.len(), 2);
        assert_eq!(officials[1].id().as_str(), "deputy-cio");
        assert_eq!(officials[0].name(), "Name cio");
    }

    #[test]
    fn every_problem_is_named() {
        let cases = [
            (official("cio") + &official("cio"), "appears twice"),
            (
                official("cio") + &official("Bad_Id"),
                "official #2 (\"Bad_Id\"): id",
            ),
            (official("cio"), "lists 1 official;"),
            (String::new(), "lists 0 officials"),
            (
                official("cio") + &official("x") + "colour = \"red\"\n",
                "not a valid officials file",
            ),
            (
                "[[official]]\nid = \"a\"\nname = \"A\"\n".to_owned() + &official("b"),
                "not a valid officials file",
            ),
            (official("cio") + &official(&"a".repeat(33)), "id"),
            (
                (0..256).map(|i| official(&format!("o{i}"))).collect(),
                "lists 256 officials",
            ),
        ];
        for (text, expected) in cases {
            let message = parse_officials(&text).unwrap_err();
            assert!(message.contains(expected), "{expected}: {message}");
        }
    }
}
