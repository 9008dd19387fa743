//! Presentation: public digests as people read them aloud at a ceremony, hex in groups of four and
//! the PGP word list (one word per byte, alternating two-syllable and three-syllable lists, so a
//! dropped or swapped word is heard). Used by what speaks to people, the command line and the
//! ceremony narration; the layers below print nothing. Only ever given public values (digests,
//! key ids, check values); never a format, a check or cryptography.

/// Lower-case hex in space-separated groups of four digits: `a1b2 c3d4 …`.
pub fn hex_groups(bytes: &[u8]) -> String {
    hex::encode(bytes)
        .as_bytes()
        .chunks(4)
        .map(|group| String::from_utf8_lossy(group).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The PGP words for `bytes`, space-separated.
pub fn pgp_words(bytes: &[u8]) -> String {
    pgp_words::to_words(bytes).join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_groups_of_four() {
        assert_eq!(hex_groups(&[0xa1, 0xb2, 0xc3, 0xd4, 0xe5]), "a1b2 c3d4 e5");
        assert_eq!(hex_groups(&[]), "");
        // SHA-256 of the empty string (FIPS 180-4 examples), as a manifest digest is read.
        let hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let grouped = hex_groups(&hex::decode(hex).unwrap());
        assert!(grouped.starts_with("e3b0 c442 98fc "));
        assert_eq!(grouped.len(), 64 + 15);
        assert_eq!(grouped.replace(' ', ""), hex);
    }

    /// The example of the PGP word list's published description (Juola and Zimmermann).
    #[test]
    fn pgp_words_known_answer() {
        let bytes = hex::decode("E58294F2E9A227486E8B061B31CC528FD7FA3F19").unwrap();
        assert_eq!(
            pgp_words(&bytes),
            "topmost istanbul pluto vagabond treadmill pacific brackish dictator goldfish \
             medusa afflict bravado chatter revolver dupont midsummer stopwatch whimsical \
             cowbell bottomless"
        );
    }
}
