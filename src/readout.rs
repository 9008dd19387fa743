//! Presentation: public digests as people read them aloud at a ceremony, hex in groups of four and
//! the PGP word list (one word per byte, alternating two-syllable and three-syllable lists, so a
//! dropped or swapped word is heard). Used by what speaks to people, the command line and the
//! ceremony narration; the layers below print nothing. Only ever given public values (digests,
//! key ids, check values); never a format, a check or cryptography. [`read_back`] is the inverse,
//! strict: what an official types from the signed sheet, in hex or in words, back into bytes;
//! [`read_words`] reads any number of words (a line of a share sheet).
//! [`counted`] writes a count with its noun, singular for one.

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

/// Why text typed from a sheet is not the value it should be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unreadable {
    /// Hex of the wrong length.
    #[error("{found} hex digits where {expected} belong")]
    HexLength {
        /// Digits given.
        found: usize,
        /// Digits needed.
        expected: usize,
    },
    /// Words, but not as many as bytes.
    #[error("{found} words where {expected} belong")]
    WordCount {
        /// Words given.
        found: usize,
        /// Words needed.
        expected: usize,
    },
    /// A word that is not the PGP word list's for its position.
    #[error("word {position} ({word:?}) is not a PGP word for that position: misspelt, or swapped with a neighbour")]
    Word {
        /// Its position, from 1.
        position: usize,
        /// The word as given.
        word: String,
    },
    /// Neither hex nor words.
    #[error("neither hex digits nor PGP words")]
    Neither,
}

/// `N` bytes from what was read aloud: hex digits (spaces allowed, any case), or exactly `N` PGP
/// words in order, each from the list its position calls for.
pub fn read_back<const N: usize>(text: &str) -> Result<[u8; N], Unreadable> {
    let tokens: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
    let compact = tokens.concat();
    if compact.chars().all(|c| c.is_ascii_hexdigit()) {
        let mut bytes = [0u8; N];
        return hex::decode_to_slice(&compact, &mut bytes)
            .map(|()| bytes)
            .map_err(|_| Unreadable::HexLength {
                found: compact.len(),
                expected: 2 * N,
            });
    }
    if !compact.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(Unreadable::Neither);
    }
    <[u8; N]>::try_from(read_words(text)?).map_err(|_| Unreadable::WordCount {
        found: tokens.len(),
        expected: N,
    })
}

/// The bytes of PGP words as typed (any case, separated by white space), each from the list its
/// position calls for; the first that is not is named.
pub fn read_words(text: &str) -> Result<Vec<u8>, Unreadable> {
    let tokens: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
    let mut bytes = Vec::with_capacity(tokens.len());
    for (index, word) in tokens.iter().enumerate() {
        // The list alternates with the position, so a word is read with the ones before it.
        match pgp_words::to_bytes(&tokens[..=index]).and_then(|read| read.last().copied()) {
            Some(byte) => bytes.push(byte),
            None => {
                return Err(Unreadable::Word {
                    position: index + 1,
                    word: word.clone(),
                })
            }
        }
    }
    Ok(bytes)
}

/// `n` with its noun, singular for one: `1 ceremony`, `3 ceremonies`, `0 chunks`.
pub fn counted<N>(n: N, one: &str, many: &str) -> String
where
    N: std::fmt::Display + PartialEq + From<u8>,
{
    let noun = if n == N::from(1) { one } else { many };
    format!("{n} {noun}")
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

    #[test]
    fn read_back_takes_hex_or_words_strictly() {
        let bytes = hex::decode("E58294F2").unwrap();
        assert_eq!(read_back::<4>("e582 94F2"), Ok([0xe5, 0x82, 0x94, 0xf2]));
        assert_eq!(
            read_back::<4>(&pgp_words(&bytes)),
            Ok([0xe5, 0x82, 0x94, 0xf2])
        );
        assert_eq!(
            read_back::<4>("Topmost Istanbul pluto vagabond").map(|b| b[0]),
            Ok(0xe5)
        );
        assert_eq!(
            read_back::<4>("e582 94"),
            Err(Unreadable::HexLength {
                found: 6,
                expected: 8
            })
        );
        assert_eq!(
            read_back::<4>("topmost istanbul pluto"),
            Err(Unreadable::WordCount {
                found: 3,
                expected: 4
            })
        );
        // Swapped: each word is in the list, but not the one its position calls for.
        assert_eq!(
            read_back::<4>("istanbul topmost pluto vagabond"),
            Err(Unreadable::Word {
                position: 1,
                word: "istanbul".into()
            })
        );
        assert_eq!(
            read_back::<4>("topmost istanbul plutto vagabond"),
            Err(Unreadable::Word {
                position: 3,
                word: "plutto".into()
            })
        );
        assert_eq!(read_back::<4>("e582-94f2"), Err(Unreadable::Neither));
    }
}
