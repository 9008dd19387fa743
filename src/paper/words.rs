//! The word grid of a share sheet (FORMAT.md 12.3): a sealed share file's bytes as numbered
//! lines of PGP words, each line ending in two check words that bind its bytes, its number and
//! whether it is the last line; and the strict reader that takes typed lines back one at a time,
//! naming the first line whose words or check words are wrong. Public bytes only (the file is
//! still sealed); it never guesses a correction.

use sha2::{Digest, Sha256};

use crate::readout::{pgp_words, read_words, Unreadable};
use crate::shares::sealed::LARGEST_FILE_LEN;

/// Bytes of the file on one line (the last line may hold fewer).
pub const BYTES_PER_LINE: usize = 6;
/// Check words ending every line.
pub const CHECK_WORDS: usize = 2;
/// The most lines a sheet of a well-formed share file has.
pub const MAX_LINES: usize = LARGEST_FILE_LEN.div_ceil(BYTES_PER_LINE);
/// What the check words of a line are derived with.
const CHECK_LABEL: &[u8] = b"custody/share-sheet/v1/line";

/// The lines of words of `file`, the first line first: each the PGP words of its bytes followed
/// by its check bytes, separated by single spaces.
pub fn lines(file: &[u8]) -> Vec<String> {
    let count = file.len().div_ceil(BYTES_PER_LINE);
    file.chunks(BYTES_PER_LINE)
        .zip(1..)
        .map(|(bytes, number)| {
            let mut line = bytes.to_vec();
            line.extend(check(number, number == count, bytes));
            pgp_words(&line)
        })
        .collect()
}

/// The check bytes of line `number` (from 1) holding `bytes`.
fn check(number: usize, last: bool, bytes: &[u8]) -> [u8; CHECK_WORDS] {
    let number = u16::try_from(number).unwrap_or(u16::MAX);
    let digest = Sha256::new()
        .chain_update(CHECK_LABEL)
        .chain_update(number.to_be_bytes())
        .chain_update([u8::from(last)])
        .chain_update(bytes)
        .finalize();
    [digest[0], digest[1]]
}

/// Why a typed line, or the lines typed so far, are not the sheet's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadLine {
    /// A word not in the list its position calls for.
    #[error("line {line}: {error}")]
    Word {
        /// The line, from 1.
        line: usize,
        /// What is wrong with the word.
        error: Unreadable,
    },
    /// Too few or too many words.
    #[error("line {line}: {found} words where a line has {min} to {max}")]
    Count {
        /// The line, from 1.
        line: usize,
        /// Words typed.
        found: usize,
        /// The fewest a line has.
        min: usize,
        /// The most a line has.
        max: usize,
    },
    /// Every word is a word, but the check words do not match the others.
    #[error(
        "line {line}: its check words do not match its words: a word is wrong, or two are swapped"
    )]
    Check {
        /// The line, from 1.
        line: usize,
    },
    /// No line at all.
    #[error("no line of words was given")]
    NoWords,
    /// The words ended before the last line.
    #[error("the words end after line {lines}, which is not the sheet's last line")]
    Unfinished {
        /// Lines typed.
        lines: usize,
    },
    /// More lines than any sheet of a share file has.
    #[error("line {line}: no share sheet has more than {max} lines", max = MAX_LINES)]
    TooMany {
        /// The line, from 1.
        line: usize,
    },
    /// A line typed after the last one.
    #[error("line {line}: the sheet ended at line {last}")]
    AfterLast {
        /// The line, from 1.
        line: usize,
        /// The sheet's last line.
        last: usize,
    },
}

impl BadLine {
    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            Self::NoWords | Self::Unfinished { .. } | Self::TooMany { .. } => {
                "type every line of the sheet, in order; the last line is the one that ends the words"
            }
            Self::AfterLast { .. } => "type the lines of one sheet only, and nothing after them",
            _ => "compare that line with the sheet, word by word, and type it again",
        }
    }
}

/// The lines of a sheet as they are typed, checked one by one.
#[derive(Debug, Default)]
pub struct WordReader {
    bytes: Vec<u8>,
    lines: usize,
    ended: bool,
}

impl WordReader {
    /// The number of the next line to type, from 1.
    pub fn next_line(&self) -> usize {
        self.lines + 1
    }

    /// Whether the last line has been typed.
    pub fn ended(&self) -> bool {
        self.ended
    }

    /// Takes the next line as typed; a wrong line changes nothing, so it may be typed again.
    pub fn take(&mut self, typed: &str) -> Result<(), BadLine> {
        let line = self.next_line();
        if self.ended {
            return Err(BadLine::AfterLast {
                line,
                last: self.lines,
            });
        }
        if line > MAX_LINES {
            return Err(BadLine::TooMany { line });
        }
        let read = read_words(typed).map_err(|error| BadLine::Word { line, error })?;
        let (min, max) = (1 + CHECK_WORDS, BYTES_PER_LINE + CHECK_WORDS);
        if !(min..=max).contains(&read.len()) {
            return Err(BadLine::Count {
                line,
                found: read.len(),
                min,
                max,
            });
        }
        let (bytes, typed_check) = read.split_at(read.len() - CHECK_WORDS);
        let full = bytes.len() == BYTES_PER_LINE;
        let last = if full && typed_check == check(line, false, bytes) {
            false
        } else if typed_check == check(line, true, bytes) {
            true
        } else {
            return Err(BadLine::Check { line });
        };
        self.bytes.extend_from_slice(bytes);
        self.lines = line;
        self.ended = last;
        Ok(())
    }

    /// The bytes of every line, once the last line has been typed.
    pub fn finish(self) -> Result<Vec<u8>, BadLine> {
        match (self.ended, self.lines) {
            (true, _) => Ok(self.bytes),
            (false, 0) => Err(BadLine::NoWords),
            (false, lines) => Err(BadLine::Unfinished { lines }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(len: usize) -> Vec<u8> {
        (0..len)
            .map(|i| u8::try_from(i * 37 % 256).unwrap())
            .collect()
    }

    fn read_back(lines: &[String]) -> Result<Vec<u8>, BadLine> {
        let mut reader = WordReader::default();
        for line in lines {
            reader.take(line)?;
        }
        reader.finish()
    }

    fn typed(file: &[u8]) -> Vec<String> {
        lines(file)
    }

    #[test]
    fn every_length_reads_back() {
        for len in [1, 5, 6, 7, 12, 299, LARGEST_FILE_LEN] {
            let bytes = file(len);
            assert_eq!(read_back(&typed(&bytes)), Ok(bytes), "{len}");
        }
        let largest = typed(&file(LARGEST_FILE_LEN));
        assert_eq!(largest.len(), MAX_LINES);
        // A line after the most a sheet has, even one whose check words match.
        let mut reader = WordReader::default();
        let too_many = typed(&file(LARGEST_FILE_LEN + BYTES_PER_LINE));
        for line in &too_many[..MAX_LINES] {
            reader.take(line).unwrap();
        }
        assert_eq!(
            reader.take(&too_many[MAX_LINES]),
            Err(BadLine::TooMany {
                line: MAX_LINES + 1
            })
        );
    }

    /// The first line of a sheet of the bytes `00 01 … 0b`, as FORMAT.md 12.3 gives it.
    #[test]
    fn a_line_as_the_format_gives_it() {
        let lines = lines(&(0..12).collect::<Vec<u8>>());
        assert_eq!(lines.len(), 2);
        let words: Vec<&str> = lines[0].split(' ').collect();
        assert_eq!(words.len(), BYTES_PER_LINE + CHECK_WORDS);
        assert_eq!(
            words[..6],
            [
                "aardvark",
                "adviser",
                "accrue",
                "aggregate",
                "adrift",
                "almighty"
            ]
        );
    }

    #[test]
    fn a_wrong_word_is_named_by_its_line() {
        let mut lines = typed(&file(40));
        // Another word of the same list in the same place: only the check words can tell.
        lines[3] = lines[3].replacen(lines[3].split(' ').next().unwrap(), "aardvark", 1);
        assert_eq!(read_back(&lines), Err(BadLine::Check { line: 4 }));
    }

    #[test]
    fn a_swapped_pair_is_named_by_its_line() {
        let mut lines = typed(&file(40));
        let mut words: Vec<&str> = lines[2].split(' ').collect();
        words.swap(0, 2);
        lines[2] = words.join(" ");
        assert_eq!(read_back(&lines), Err(BadLine::Check { line: 3 }));
        let fresh = typed(&file(40));
        let mut neighbours: Vec<&str> = fresh[2].split(' ').collect();
        neighbours.swap(0, 1);
        lines[2] = neighbours.join(" ");
        assert!(matches!(
            read_back(&lines),
            Err(BadLine::Word { line: 3, .. })
        ));
    }

    #[test]
    fn missing_swapped_and_extra_lines_are_refused() {
        let lines = typed(&file(40));
        let mut short = lines.clone();
        short.pop();
        assert_eq!(read_back(&short), Err(BadLine::Unfinished { lines: 6 }));
        assert_eq!(read_back(&[]), Err(BadLine::NoWords));
        let mut swapped = lines.clone();
        swapped.swap(1, 2);
        assert_eq!(read_back(&swapped), Err(BadLine::Check { line: 2 }));
        let mut extra = lines.clone();
        extra.push(lines[0].clone());
        assert_eq!(
            read_back(&extra),
            Err(BadLine::AfterLast { line: 8, last: 7 })
        );
        let mut skipped = lines;
        skipped.remove(3);
        assert_eq!(read_back(&skipped), Err(BadLine::Check { line: 4 }));
    }

    #[test]
    fn a_misspelt_word_and_a_short_line_are_named() {
        let mut lines = typed(&file(40));
        lines[0] = format!("{}x", lines[0]);
        assert!(matches!(
            read_back(&lines),
            Err(BadLine::Word { line: 1, .. })
        ));
        let mut lines = typed(&file(40));
        lines[1] = "aardvark adroitness".into();
        assert!(matches!(
            read_back(&lines),
            Err(BadLine::Count {
                line: 2,
                found: 2,
                ..
            })
        ));
    }
}
