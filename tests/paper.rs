//! The share sheet's formats against docs/FORMAT.md section 12: the worked example's QR payload
//! and word grid regenerated from the share file of section 5.10, and read back.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use custody::paper::qr::{code, payload, read_payload};
use custody::paper::words::{lines, WordReader};

fn example_file() -> Vec<u8> {
    let share = common::format_doc::section("### 5.10 Worked example");
    common::format_doc::example_value(&share, "file")
}

#[test]
fn worked_example_of_the_format_document() {
    let example = common::format_doc::section("### 12.5 Worked example");
    let file = example_file();
    assert_eq!(file.len(), 299);

    let documented: String = common::format_doc::fenced_block(&example, "Its payload")
        .split_whitespace()
        .collect();
    assert_eq!(payload(&file), documented);
    assert_eq!(read_payload(&documented).unwrap(), file);

    let grid: Vec<String> = lines(&file)
        .iter()
        .zip(1..)
        .map(|(words, number)| format!("{number:>3}  {words}"))
        .collect();
    let documented = common::format_doc::fenced_block(&example, "Its 50 lines of words");
    assert_eq!(grid.join("\n"), documented.trim_end());

    let mut reader = WordReader::default();
    for line in documented.lines() {
        let words = line.trim_start().split_once("  ").unwrap().1;
        reader.take(words).unwrap();
    }
    assert_eq!(reader.finish().unwrap(), file);
}

/// FORMAT.md 12.2: a typical share file (the 299 bytes of 5.10) takes version 17 at level Q.
#[test]
fn a_typical_share_file_takes_version_17() {
    let width = code(&example_file()).unwrap().width;
    assert_eq!(width, 17 + 4 * 17);
}
