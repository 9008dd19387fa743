//! `SHA256SUMS` of a kit (docs/FORMAT.md 11.2): one line per file, `sha256sum`'s text format
//! (64 lower-case hex digits, two spaces, the path relative to the kit), sorted by path bytes,
//! itself not listed. The writer and the strict reader side by side.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Component, Path};

use sha2::{Digest, Sha256};

/// The sums file's name, at the top of the kit.
pub const SUMS_FILE: &str = "SHA256SUMS";

/// The SHA-256 of a file, read in pieces.
pub fn digest_file(path: &Path) -> std::io::Result<[u8; 32]> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 1 << 16];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            return Ok(hasher.finalize().into());
        }
        hasher.update(&buffer[..read]);
    }
}

/// The sums file's text for `digests` (path relative to the kit → SHA-256), sorted by path.
pub fn render(digests: &BTreeMap<String, [u8; 32]>) -> String {
    digests
        .iter()
        .map(|(path, digest)| format!("{}  {path}\n", hex::encode(digest)))
        .collect()
}

/// Reads a sums file's text strictly: every line `DIGEST  PATH`, the path relative, plain and
/// listed once. Returns the line number (from 1) and what is wrong with the first bad line.
pub fn parse(text: &str) -> Result<BTreeMap<String, [u8; 32]>, (usize, &'static str)> {
    let mut digests = BTreeMap::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let (hex_digest, path) = line.split_once("  ").ok_or((
            number,
            "not `DIGEST  PATH` (64 hex digits, two spaces, a path)",
        ))?;
        let mut digest = [0; 32];
        if hex_digest.len() != 64
            || hex_digest.bytes().any(|b| b.is_ascii_uppercase())
            || hex::decode_to_slice(hex_digest, &mut digest).is_err()
        {
            return Err((number, "its digest is not 64 lower-case hex digits"));
        }
        if !is_plain_relative(path) || path == SUMS_FILE {
            return Err((number, "its path is not a plain path inside the kit"));
        }
        if digests.insert(path.to_owned(), digest).is_some() {
            return Err((number, "its path is listed twice"));
        }
    }
    Ok(digests)
}

/// A path of normal components only: no root, no `.` or `..`, no empty component, and no
/// control character (a `\r` before the line end would not survive a line-by-line reading).
fn is_plain_relative(path: &str) -> bool {
    !path.is_empty()
        && !path.chars().any(char::is_control)
        && !path.contains("//")
        && !path.ends_with('/')
        && Path::new(path)
            .components()
            .all(|component| matches!(component, Component::Normal(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_it_writes_and_refuses_the_rest() {
        let mut digests = BTreeMap::new();
        digests.insert("domain/manifest.json".to_owned(), [0xab; 32]);
        digests.insert("custody".to_owned(), [1; 32]);
        let text = render(&digests);
        assert!(text.starts_with(&format!("{}  custody\n", "01".repeat(32))));
        assert_eq!(parse(&text).unwrap(), digests);
        let digest = "ab".repeat(32);
        for (line, problem) in [
            (format!("{digest} custody"), "not `DIGEST"),
            (format!("{}  custody", "AB".repeat(32)), "lower-case"),
            (format!("{digest}  ../custody"), "plain path"),
            (format!("{digest}  /etc/passwd"), "plain path"),
            (format!("{digest}  SHA256SUMS"), "plain path"),
            (format!("{digest}  a\n{digest}  a"), "twice"),
        ] {
            let (_, found) = parse(&line).unwrap_err();
            assert!(found.contains(problem), "{line}: {found}");
        }
    }
}
