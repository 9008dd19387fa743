//! The worked example of docs/FORMAT.md 16.8, recomputed from the document's bytes: both
//! batches are read by custody from the document's text, every value the document states is
//! compared with custody's and with the document's formulas computed here apart with `sha2`,
//! custody writes the same batch bytes from the same entries, the archive of 7.5 has the digests
//! the first entry records, and the inclusion proof in the document is custody's, checks, and
//! leads to the head.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use custody::catalog::{self, leaf_hash, node_hash, Catalog, Proof};
use sha2::{Digest, Sha256};

fn sha256(bytes: &[u8]) -> Vec<u8> {
    Sha256::digest(bytes).to_vec()
}

#[test]
fn worked_example_of_the_format_document() {
    let example = common::format_doc::section("### 16.8 Worked example");
    let value = |name| common::format_doc::example_value(&example, name);
    let batch_1 = common::format_doc::fenced_block(&example, "`.catalog/0000000000000001`:");
    let batch_2 = common::format_doc::fenced_block(&example, "`.catalog/0000000000000002`:");
    let batches = vec![
        (1, batch_1.as_bytes().to_vec()),
        (2, batch_2.as_bytes().to_vec()),
    ];

    // The archive of 7.5 has the digests the first entry records.
    let archive_example = common::format_doc::section("### 7.5 Worked example");
    let archive = common::format_doc::example_value(&archive_example, "archive");
    assert_eq!(sha256(&archive[..253]), value("header-sha256"));
    assert_eq!(sha256(&archive[253..]), value("payload-sha256"));

    // The document's formulas, with sha2 directly.
    assert_eq!(sha256(batch_1.as_bytes()), value("batch-1-sha256"));
    assert_eq!(sha256(batch_2.as_bytes()), value("batch-2-sha256"));
    let lines_1: Vec<&str> = batch_1.lines().collect();
    let lines_2: Vec<&str> = batch_2.lines().collect();
    let state = [lines_1[1], lines_2[1], lines_2[3]];
    let leaf = |line: &str| sha256(&[&[0u8][..], line.as_bytes()].concat());
    let node = |l: &[u8], r: &[u8]| sha256(&[&[1u8][..], l, r].concat());
    assert_eq!(leaf(state[0]), value("leaf-0"));
    assert_eq!(leaf(state[1]), value("leaf-1"));
    assert_eq!(leaf(state[2]), value("leaf-2"));
    let node_0_1 = node(&value("leaf-0"), &value("leaf-1"));
    assert_eq!(node_0_1, value("node-0-1"));
    assert_eq!(node(&node_0_1, &value("leaf-2")), value("root"));
    let head = sha256(
        &[
            b"custody/catalog/v1/head".as_slice(),
            &value("batch-2-sha256"),
            &value("root"),
            &3u64.to_be_bytes(),
        ]
        .concat(),
    );
    assert_eq!(head, value("head"));

    // custody reads the document's batches to the same values.
    let catalog = Catalog::from_batches("example", batches).unwrap();
    let head = catalog.head();
    assert_eq!(head.chain.to_vec(), value("batch-2-sha256"));
    assert_eq!(head.root.to_vec(), value("root"));
    assert_eq!(head.digest.to_vec(), value("head"));
    assert_eq!(head.archives, 3);
    assert_eq!(
        catalog.batches()[0].digest.to_vec(),
        value("batch-1-sha256")
    );
    assert_eq!(leaf_hash(state[1].as_bytes()).to_vec(), value("leaf-1"));
    assert_eq!(
        node_hash(
            &value("leaf-0").try_into().unwrap(),
            &value("leaf-1").try_into().unwrap()
        )
        .to_vec(),
        value("node-0-1")
    );
    let current: Vec<&str> = catalog.archives().map(|entry| entry.name()).collect();
    assert_eq!(
        current,
        [
            "2026/hello.txt.custody",
            "2026/land.csv.custody",
            "population.csv.custody"
        ]
    );
    assert!(catalog.current("old.csv.custody").is_none());
    assert_eq!(catalog.history("old.csv.custody").len(), 2);

    // custody writes the document's bytes for the same entries.
    let entries = |batch: u64| -> Vec<_> {
        catalog
            .names()
            .flat_map(|name| catalog.history(name))
            .filter(|recorded| recorded.batch == batch)
            .map(|recorded| recorded.entry.clone())
            .collect()
    };
    // The document lists each batch's entries in name order, so the history in name order is
    // the batch in its own order.
    let written_1 = catalog::encode_batch(1, 1_795_000_000, &[0u8; 32], &entries(1));
    assert_eq!(written_1, batch_1.as_bytes());
    let written_2 =
        catalog::encode_batch(2, 1_795_086_400, &catalog.batches()[0].digest, &entries(2));
    assert_eq!(written_2, batch_2.as_bytes());

    // The document's proof is custody's, and leads to the head.
    let proof_text = common::format_doc::fenced_block(&example, "--json`) is:");
    let proof = catalog.prove("2026/land.csv.custody").unwrap();
    assert_eq!(proof.to_json(), proof_text);
    let read = Proof::from_json(proof_text.as_bytes()).unwrap();
    assert_eq!(read, proof);
    assert_eq!(read.head().unwrap(), head);
    assert_eq!(read.path[0].to_vec(), value("leaf-0"));
    assert_eq!(read.path[1].to_vec(), value("leaf-2"));
}
