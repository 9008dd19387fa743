//! The text form of a request or a contribution, for channels that carry only text (a mail body,
//! a chat, a printed page): the file's bytes in lower-case hex, 64 digits a line, between
//! `-----BEGIN CUSTODY <KIND>-----` and `-----END CUSTODY <KIND>-----` (docs/FORMAT.md 14.5).
//!
//! It knows no format: it turns bytes into text and back, strictly (one layout, nothing before or
//! after, every line but the last full), and leaves the bytes to the format's own reader.

/// Hex digits per line.
const LINE: usize = 64;

/// `bytes` as armored text of `kind` (`REQUEST`, `CONTRIBUTION`).
pub fn armor(kind: &str, bytes: &[u8]) -> String {
    let hex = hex::encode(bytes);
    let mut text = format!("-----BEGIN CUSTODY {kind}-----\n");
    for line in hex.as_bytes().chunks(LINE) {
        text.push_str(&String::from_utf8_lossy(line));
        text.push('\n');
    }
    text.push_str(&format!("-----END CUSTODY {kind}-----\n"));
    text
}

/// Whether `bytes` start as armored text does.
pub fn is_armored(bytes: &[u8]) -> bool {
    bytes.starts_with(b"-----BEGIN CUSTODY ")
}

/// The bytes inside armored text of `kind`, or what is wrong with its layout.
pub fn dearmor(kind: &str, text: &[u8]) -> Result<Vec<u8>, String> {
    let text = std::str::from_utf8(text).map_err(|_| "its text is not UTF-8".to_owned())?;
    let body = text
        .strip_prefix(&format!("-----BEGIN CUSTODY {kind}-----\n"))
        .ok_or_else(|| format!("its first line is not -----BEGIN CUSTODY {kind}-----"))?
        .strip_suffix(&format!("-----END CUSTODY {kind}-----\n"))
        .ok_or_else(|| {
            format!("its last line is not -----END CUSTODY {kind}----- (with its newline)")
        })?;
    let lines: Vec<&str> = body.split_terminator('\n').collect();
    if !body.is_empty() && !body.ends_with('\n') {
        return Err("its last hex line has no newline".into());
    }
    let mut hex = String::with_capacity(body.len());
    for (number, line) in lines.iter().enumerate() {
        let last = number + 1 == lines.len();
        let well_formed = !line.is_empty()
            && line.len() <= LINE
            && (last || line.len() == LINE)
            && line
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !well_formed {
            return Err(format!(
                "line {} is not {LINE} lower-case hex digits (fewer only on the last line)",
                number + 2
            ));
        }
        hex.push_str(line);
    }
    hex::decode(&hex).map_err(|_| "its hex digits are of odd number".to_owned())
}

/// `bytes` as they are, or their content when they are armored as `kind`.
pub fn dearmor_if_armored<'a>(
    kind: &str,
    bytes: &'a [u8],
) -> Result<std::borrow::Cow<'a, [u8]>, String> {
    if is_armored(bytes) {
        return dearmor(kind, bytes).map(std::borrow::Cow::Owned);
    }
    Ok(std::borrow::Cow::Borrowed(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn armor_round_trips_and_is_strict() {
        for len in [1, 31, 32, 33, 100] {
            let bytes: Vec<u8> = (0..len)
                .map(|i| 0xab ^ u8::try_from(i % 256).unwrap())
                .collect();
            let text = armor("CONTRIBUTION", &bytes);
            assert!(is_armored(text.as_bytes()));
            assert_eq!(dearmor("CONTRIBUTION", text.as_bytes()).unwrap(), bytes);
            assert!(dearmor("REQUEST", text.as_bytes()).is_err());
            assert!(dearmor("CONTRIBUTION", text.to_uppercase().as_bytes()).is_err());
            assert!(dearmor("CONTRIBUTION", format!("{text}x").as_bytes()).is_err());
            assert!(dearmor("CONTRIBUTION", format!(" {text}").as_bytes()).is_err());
        }
        let split = armor("REQUEST", &[0xab; 40]).replacen("abab\n", "ab\nab\n", 1);
        assert!(dearmor("REQUEST", split.as_bytes()).is_err());
    }
}
