//! The hash-chained transcript: appends survive reopening, and every edit, deletion, reordering
//! and truncation is detected at a named line.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use custody::ceremony::transcript::{audit, IfMissing, Record, Transcript, TranscriptError};

fn record(step: &str) -> Record {
    Record {
        step: step.into(),
        actors: vec!["cio".into(), "witness".into()],
        inputs: [("officials".into(), "ab".repeat(32))].into(),
        outputs: [("manifest".into(), "cd".repeat(32))].into(),
        detail: [("threshold".into(), "3".into())].into(),
    }
}

fn write_ceremonies(path: &Path) {
    let mut transcript = Transcript::create(path).unwrap();
    for step in [
        "genesis.begin",
        "genesis.split",
        "genesis.sealed",
        "genesis.close",
    ] {
        transcript.append(record(step)).unwrap();
    }
    drop(transcript);
    let mut transcript = Transcript::open(path, IfMissing::Refuse).unwrap();
    for step in ["unlock.begin", "unlock.share-accepted", "unlock.close"] {
        transcript.append(record(step)).unwrap();
    }
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn rewrite(path: &Path, lines: &[String]) {
    std::fs::write(
        path,
        lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
    )
    .unwrap();
}

fn failing_line(path: &Path) -> usize {
    match audit(path).unwrap_err() {
        TranscriptError::Line { line, .. } => line,
        other => panic!("expected a line error, got {other}"),
    }
}

#[test]
fn a_written_transcript_audits_and_reports_its_ceremonies() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("transcript.jsonl");
    write_ceremonies(&path);
    let report = audit(&path).unwrap();
    assert_eq!(report.entries, 7);
    assert_eq!(report.ceremonies.len(), 2);
    assert_eq!(report.ceremonies[0].close, Some(4));
    assert_eq!(report.ceremonies[1].begin, 5);
    let last = lines(&path).pop().unwrap();
    assert_eq!(
        hex::encode(report.closing_digest),
        sha256_hex(last.as_bytes())
    );
}

#[test]
fn create_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("transcript.jsonl");
    write_ceremonies(&path);
    assert!(Transcript::create(&path).is_err());
    assert_eq!(lines(&path).len(), 7);
}

#[test]
fn any_single_edited_line_is_detected_at_that_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("transcript.jsonl");
    write_ceremonies(&path);
    let original = lines(&path);
    // The last line has no successor to break: its edits change the closing digest instead
    // (an_edited_last_line_changes_the_closing_digest).
    for (index, line) in original.iter().enumerate().take(original.len() - 1) {
        for edit in [
            line.replacen("\"3\"", "\"2\"", 1),
            line.replacen("cio", "cjo", 1),
            format!("{line} "),
        ] {
            let mut edited = original.clone();
            edited[index] = edit;
            rewrite(&path, &edited);
            assert_eq!(failing_line(&path), index + 2, "edit at line {}", index + 1);
        }
    }
}

#[test]
fn an_edited_last_line_changes_the_closing_digest() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("transcript.jsonl");
    write_ceremonies(&path);
    let before = audit(&path).unwrap().closing_digest;
    let mut edited = lines(&path);
    let last = edited.len() - 1;
    edited[last] = edited[last].replacen("cio", "cjo", 1);
    rewrite(&path, &edited);
    assert_ne!(audit(&path).unwrap().closing_digest, before);
}

#[test]
fn deleted_and_reordered_lines_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("transcript.jsonl");
    write_ceremonies(&path);
    let original = lines(&path);
    for removed in 0..original.len() - 1 {
        let mut shorter = original.clone();
        shorter.remove(removed);
        rewrite(&path, &shorter);
        assert_eq!(
            failing_line(&path),
            removed + 1,
            "deleting line {}",
            removed + 1
        );
    }
    let mut swapped = original.clone();
    swapped.swap(2, 3);
    rewrite(&path, &swapped);
    assert_eq!(failing_line(&path), 3);
}

#[test]
fn truncation_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("transcript.jsonl");
    write_ceremonies(&path);
    let original = std::fs::read(&path).unwrap();
    // Cut inside the last line.
    std::fs::write(&path, &original[..original.len() - 10]).unwrap();
    assert!(audit(&path).unwrap_err().to_string().contains("cut short"));
    // Cut whole lines from the end: the last ceremony is left open.
    rewrite(&path, &lines_of(&original)[..6]);
    let err = audit(&path).unwrap_err();
    assert!(
        matches!(err, TranscriptError::Unclosed { ref ceremony, line: 5, .. } if ceremony == "unlock"),
        "{err}"
    );
    // Empty.
    std::fs::write(&path, b"").unwrap();
    assert!(audit(&path).unwrap_err().to_string().contains("empty"));
}

#[test]
fn garbage_lines_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("transcript.jsonl");
    write_ceremonies(&path);
    let mut edited = lines(&path);
    edited.insert(2, "{\"not\": \"an entry\"}".into());
    rewrite(&path, &edited);
    let message = audit(&path).unwrap_err().to_string();
    assert!(
        message.contains("line 3: not a transcript entry"),
        "{message}"
    );
}

fn lines_of(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(str::to_owned)
        .collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// A drill's own unlock belongs to the drill: one ceremony, closed by the drill's close.
#[test]
fn a_drills_own_unlock_is_part_of_the_drill() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("transcript.jsonl");
    let mut transcript = Transcript::create(&path).unwrap();
    for step in ["drill.begin", "unlock.begin", "unlock.close", "drill.close"] {
        transcript.append(record(step)).unwrap();
    }
    let report = audit(&path).unwrap();
    assert_eq!(report.ceremonies.len(), 1);
    assert_eq!(report.ceremonies[0].ceremony, "drill");
    assert_eq!(report.ceremonies[0].close, Some(4));
}

/// Found by the bad-input battery: audit read a transcript whole, however large. A file past the
/// cap (sparse here, so the test writes nothing) is refused after reading one byte past it.
#[test]
fn a_transcript_past_the_size_cap_is_refused_without_reading_it_all() {
    use custody::ceremony::transcript::MAX_TRANSCRIPT_LEN;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("transcript.jsonl");
    write_ceremonies(&path);
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(MAX_TRANSCRIPT_LEN as u64 + 4096).unwrap();
    let message = audit(&path).unwrap_err().to_string();
    assert!(message.contains("goes on past 256 MiB"), "{message}");
}

/// Noticed while fuzzing: the audit took any RFC 3339 time (fractions, offsets, leap seconds),
/// looser than the `YYYY-MM-DDTHH:MM:SSZ` custody writes.
#[test]
fn a_time_custody_would_not_write_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("transcript.jsonl");
    write_ceremonies(&path);
    let mut all = lines(&path);
    let last = all.len() - 1;
    for odd in [
        "2026-11-26T10:00:00.5Z",
        "2026-11-26T10:00:00+00:00",
        "2016-12-31T23:59:60Z",
    ] {
        let mut entry: serde_json::Value = serde_json::from_str(&all[last]).unwrap();
        entry["time"] = odd.into();
        all[last] = entry.to_string();
        rewrite(&path, &all);
        let message = audit(&path).unwrap_err().to_string();
        assert!(
            message.contains("is not YYYY-MM-DDTHH:MM:SSZ"),
            "{odd}: {message}"
        );
    }
}
