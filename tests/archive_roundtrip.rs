//! Sealed archives on real SoftHSM tokens: round trips through files, buffers and pipes for every
//! size around a chunk boundary, metadata, spec validation and atomic file output.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod archive_kit;
mod common;

use std::io::{Read, Write};

use archive_kit::*;
use custody::archive::{self, Archive, ArchiveSpec, Metadata};

#[test]
fn round_trips_for_every_size_around_a_chunk_boundary() {
    let f = fixture();
    for len in [
        0,
        1,
        CHUNK - 1,
        CHUNK,
        CHUNK + 1,
        2 * CHUNK,
        37 * CHUNK + 123,
    ] {
        let plaintext = payload(len);
        let sealed = f.seal(&plaintext);
        let chunks = len.div_ceil(CHUNK).max(1);
        let header = archive::read_header(sealed.as_slice()).unwrap();
        assert_eq!(sealed.len(), header.len + len + 16 * chunks, "size {len}");

        let summary = f.open_file(&sealed).unwrap();
        assert_eq!(
            std::fs::read(f.destination()).unwrap(),
            plaintext,
            "size {len}"
        );
        assert_eq!(summary.payload_len, len as u64);
        assert_eq!(summary.chunks, chunks as u64);
        assert_eq!(summary.archive_len, sealed.len() as u64);
        std::fs::remove_file(f.destination()).unwrap();

        let mut opened = Vec::new();
        Archive::read(sealed.as_slice())
            .unwrap()
            .open(&f.key(), &mut opened, &no_progress)
            .unwrap();
        assert_eq!(opened, plaintext, "size {len}");
        let verified = Archive::read(sealed.as_slice())
            .unwrap()
            .verify(&f.key(), &no_progress)
            .unwrap();
        assert_eq!(verified.payload_len, len as u64);
    }
}

#[test]
fn round_trip_through_pipes() {
    let f = fixture();
    let plaintext = payload(9 * CHUNK + 5);
    let (mut plain_reader, mut plain_writer) = std::io::pipe().unwrap();
    let (mut sealed_reader, sealed_writer) = std::io::pipe().unwrap();
    let feeder = {
        let plaintext = plaintext.clone();
        std::thread::spawn(move || plain_writer.write_all(&plaintext).unwrap())
    };
    let collector = std::thread::spawn(move || {
        let mut sealed = Vec::new();
        sealed_reader.read_to_end(&mut sealed).unwrap();
        sealed
    });
    archive::seal(
        &f.key(),
        &spec(),
        &mut plain_reader,
        sealed_writer,
        &no_progress,
    )
    .unwrap();
    feeder.join().unwrap();
    let sealed = collector.join().unwrap();

    let (opened_reader, mut opened_writer) = std::io::pipe().unwrap();
    let collector = std::thread::spawn(move || {
        let mut opened = Vec::new();
        let mut reader = opened_reader;
        reader.read_to_end(&mut opened).unwrap();
        opened
    });
    let (mut archive_reader, mut archive_writer) = std::io::pipe().unwrap();
    let feeder = std::thread::spawn(move || archive_writer.write_all(&sealed).unwrap());
    Archive::read(&mut archive_reader)
        .unwrap()
        .open(&f.key(), &mut opened_writer, &no_progress)
        .unwrap();
    drop(opened_writer);
    feeder.join().unwrap();
    assert_eq!(collector.join().unwrap(), plaintext);
}

#[test]
fn metadata_round_trips_and_progress_reaches_the_size() {
    let f = fixture();
    let plaintext = payload(3 * CHUNK + 1);
    let spec = ArchiveSpec {
        metadata: Metadata {
            name: Some("population-2026-11.tar".into()),
            size: Some(plaintext.len() as u64),
            content_type: Some("application/x-tar".into()),
            created: Some(1_795_000_000),
        },
        ..spec()
    };
    let seen = std::cell::Cell::new(0);
    let mut sealed = Vec::new();
    let summary = archive::seal(&f.key(), &spec, plaintext.as_slice(), &mut sealed, &|n| {
        assert!(n >= seen.get());
        seen.set(n);
    })
    .unwrap();
    assert_eq!(seen.get(), plaintext.len() as u64);
    let header = archive::read_header(sealed.as_slice()).unwrap();
    assert_eq!(header, summary.header);
    assert_eq!(header.spec, spec);
    assert_eq!(header.version, archive::VERSION);
    assert_eq!(f.open_file(&sealed).unwrap().header, header);
}

#[test]
fn two_seals_of_the_same_input_differ() {
    let f = fixture();
    assert_ne!(f.seal(b"same"), f.seal(b"same"));
}
