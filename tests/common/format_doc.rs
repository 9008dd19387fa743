//! Reading the worked examples of docs/FORMAT.md, so the document stays the source of truth: a
//! test regenerates each example and compares every value the document states.

use std::path::Path;

/// The text of one section of docs/FORMAT.md, from its heading to the next heading of the same
/// or a higher level.
pub fn section(heading: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/FORMAT.md");
    let document = std::fs::read_to_string(path).unwrap();
    let level = heading.chars().take_while(|c| *c == '#').count();
    let mut lines = document.lines().skip_while(|line| *line != heading);
    let first = lines
        .next()
        .unwrap_or_else(|| panic!("docs/FORMAT.md has no heading {heading:?}"));
    let ends = |line: &&str| {
        let hashes = line.chars().take_while(|c| *c == '#').count();
        hashes > 0 && hashes <= level && line.chars().nth(hashes) == Some(' ')
    };
    std::iter::once(first)
        .chain(lines.take_while(|line| !ends(line)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One value of a worked example: the line `name: hex…` and the indented hex lines after it.
pub fn example_value(section: &str, name: &str) -> Vec<u8> {
    let mut lines = section
        .lines()
        .skip_while(|line| !line.starts_with(&format!("{name}:")));
    let first = lines
        .next()
        .unwrap_or_else(|| panic!("`{name}:` missing from the worked example"));
    let mut text = first[name.len() + 1..].to_owned();
    for line in lines.take_while(|line| line.starts_with("  ") && !line.trim().is_empty()) {
        text.push_str(line);
    }
    let text: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '`')
        .collect();
    hex::decode(&text).unwrap_or_else(|e| panic!("`{name}:` is not hex: {e}"))
}

/// The first fenced block after the line containing `marker` in a section.
pub fn fenced_block<'a>(section: &'a str, marker: &str) -> &'a str {
    let after = &section[section
        .find(marker)
        .unwrap_or_else(|| panic!("`{marker}` missing from the worked example"))..];
    let open = after.find("```").expect("a fenced block follows");
    let body = &after[open..];
    let start = body.find('\n').expect("the fence line ends") + 1;
    let end = body[start..].find("```").expect("the fenced block closes");
    &body[start..start + end]
}
