//! The rule for free text a manifest shows to people — officials' names and roles, revocation
//! reasons, enrolled tokens' names and sites: not blank, bounded in length, no control
//! characters (a manifest must not drive the terminal) and no format
//! characters, Unicode general category Cf (a U+202E RIGHT-TO-LEFT OVERRIDE or a zero-width
//! character makes a name read as another on screen and on the signed sheet).

/// The code points of general category Cf, as inclusive ranges (Unicode 15.1,
/// `DerivedGeneralCategory.txt`).
const FORMAT_CHARACTERS: [(char, char); 21] = [
    ('\u{00AD}', '\u{00AD}'),
    ('\u{0600}', '\u{0605}'),
    ('\u{061C}', '\u{061C}'),
    ('\u{06DD}', '\u{06DD}'),
    ('\u{070F}', '\u{070F}'),
    ('\u{0890}', '\u{0891}'),
    ('\u{08E2}', '\u{08E2}'),
    ('\u{180E}', '\u{180E}'),
    ('\u{200B}', '\u{200F}'),
    ('\u{202A}', '\u{202E}'),
    ('\u{2060}', '\u{2064}'),
    ('\u{2066}', '\u{206F}'),
    ('\u{FEFF}', '\u{FEFF}'),
    ('\u{FFF9}', '\u{FFFB}'),
    ('\u{110BD}', '\u{110BD}'),
    ('\u{110CD}', '\u{110CD}'),
    ('\u{13430}', '\u{1343F}'),
    ('\u{1BCA0}', '\u{1BCA3}'),
    ('\u{1D173}', '\u{1D17A}'),
    ('\u{E0001}', '\u{E0001}'),
    ('\u{E0020}', '\u{E007F}'),
];

/// Checks a short free text shown to people — not blank, at most `max_chars` characters, and
/// no control or format character — saying what is wrong in words.
pub(crate) fn check(text: &str, max_chars: usize) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err("must not be empty".into());
    }
    if text.chars().count() > max_chars {
        return Err(format!("must be at most {max_chars} characters"));
    }
    problem(text).map_or(Ok(()), Err)
}

/// What is wrong with `text` as text shown to people, if anything.
fn problem(text: &str) -> Option<String> {
    if text.chars().any(char::is_control) {
        return Some("must not contain control characters".into());
    }
    text.chars().find(|c| is_format(*c)).map(|c| {
        format!(
            "must not contain the invisible format character U+{:04X}",
            u32::from(c)
        )
    })
}

fn is_format(c: char) -> bool {
    FORMAT_CHARACTERS
        .iter()
        .any(|(first, last)| (*first..=*last).contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_format_characters_are_named_and_letters_pass() {
        assert_eq!(problem("Rüütel Õie, العربية"), None);
        assert_eq!(
            problem("evil\u{1b}[2J").as_deref(),
            Some("must not contain control characters")
        );
        for (text, named) in [
            ("cio\u{202E}fdp.exe", "U+202E"),
            ("zero\u{200B}width", "U+200B"),
            ("bom\u{FEFF}", "U+FEFF"),
            ("soft\u{AD}hyphen", "U+00AD"),
            ("tag\u{E0041}", "U+E0041"),
        ] {
            assert!(problem(text).unwrap().ends_with(named), "{text:?}");
        }
    }
}
