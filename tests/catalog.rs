//! The archive catalog (docs/FORMAT.md 16) on real archives in local stores, with no token: real
//! archives sealed with a key held in memory (`SoftwareKey`) through `LocalStore::create` and
//! measured as they pass (`Measure`), rewrapped as rotation does (the header replaced alone),
//! recorded in batches. An untouched store passes `catalog::verify`; a deleted archive, an older
//! version of an archive put back, an extra archive and an altered byte are each named; a broken
//! chain is refused naming its batch; a run that loses the race for a batch builds on the winner,
//! and racing writers each get their batch; the Merkle proofs hold
//! (proptest); and the worked example of FORMAT.md 16.8 is recomputed from the document's bytes.
//! The object-store tests on a real Garage cluster live with the object-store tests.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use custody::archive::{self, Archive, ArchiveSpec, SoftwareKey};
use custody::catalog::{
    self, leaf_hash, node_hash, Catalog, CatalogError, Entry, Event, Finding, Measure, Proof,
};
use custody::primitives::domain_id::DomainId;
use custody::primitives::key_identity::{KeyId, WrapCheck};
use custody::primitives::key_ref::KeyRef;
use custody::primitives::secret::DomainKey;
use custody::store::{ArchiveStore, LocalStore};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

const T0: u64 = 1_795_000_000;

/// A domain key of an epoch, held in memory.
struct Epoch {
    key: DomainKey,
    key_ref: KeyRef,
}

impl Epoch {
    fn new(epoch: u32) -> Self {
        let mut bytes = [u8::try_from(epoch).unwrap(); 32];
        let key = DomainKey::from_bytes(&mut bytes);
        let key_ref = KeyRef {
            domain: DomainId::new("ee-test").unwrap(),
            epoch,
            key_id: KeyId::of(&key),
        };
        Self { key, key_ref }
    }

    fn wrap(&self) -> SoftwareKey<'_> {
        SoftwareKey::prove(&self.key, &self.key_ref, &WrapCheck::of(&self.key)).unwrap()
    }
}

/// Seals `payload` as archive `name` of `store`, measured as it is written: its `sealed` entry.
fn seal(store: &dyn ArchiveStore, epoch: &Epoch, name: &str, payload: &[u8]) -> Entry {
    let output = store.create(name, None, false).unwrap();
    let mut measure = Measure::new(output);
    let spec = ArchiveSpec::new(epoch.key_ref.clone());
    archive::seal(&epoch.wrap(), &spec, payload, &mut measure, &|_| {}).unwrap();
    let (output, measured) = measure.finish().unwrap();
    output.commit().unwrap();
    measured.sealed(name, T0).unwrap()
}

/// Rewraps archive `name` from `old` to `new` as rotation does (the header replaced alone): its
/// `rewrapped` entry, made from the new header and the catalog's current entry.
fn rewrap(store: &dyn ArchiveStore, old: &Epoch, new: &Epoch, name: &str) -> Entry {
    let archive = Archive::read(store.read(name).unwrap()).unwrap();
    let header = archive.rewrapped_header(&old.wrap(), &new.wrap()).unwrap();
    store.replace_header(name, &header).unwrap();
    let catalog = Catalog::read(store).unwrap();
    Entry::rewrapped(catalog.current(name).unwrap(), &header, T0 + 86_400).unwrap()
}

/// A store of three archives (one nested two deep), catalogued in one batch.
fn three_archives(dir: &Path) -> LocalStore {
    let store = LocalStore::open(dir).unwrap();
    let e1 = Epoch::new(1);
    let entries = vec![
        seal(&store, &e1, "population.csv.custody", &vec![7u8; 100_000]),
        seal(&store, &e1, "2026/land.csv.custody", b"parcels"),
        seal(&store, &e1, "2026/q1/tax.csv.custody", b""),
    ];
    catalog::record(&store, entries).unwrap();
    store
}

fn findings(store: &dyn ArchiveStore) -> Vec<Finding> {
    catalog::verify(store).unwrap().findings
}

#[test]
fn an_untouched_store_passes_and_every_archive_is_measured_as_sealed() {
    let dir = tempfile::tempdir().unwrap();
    let store = three_archives(dir.path());
    let report = catalog::verify(&store).unwrap();
    assert!(report.passed(), "{:?}", report.findings);
    assert_eq!(
        (report.catalogued, report.intact, report.batches),
        (3, 3, 1)
    );
    let catalog = Catalog::read(&store).unwrap();
    assert_eq!(report.head, catalog.head());
    // What Measure saw while sealing is what reading the stored archive gives.
    for entry in catalog.archives() {
        let stored = catalog::measure_stored(&store, entry.name()).unwrap();
        assert_eq!(entry.archive(), Some(stored.facts()));
        let bytes = std::fs::read(dir.path().join(entry.name())).unwrap();
        let facts = entry.archive().unwrap();
        let header_len = usize::try_from(facts.header_len).unwrap();
        assert_eq!(
            Sha256::digest(&bytes[..header_len]).as_slice(),
            facts.header_sha256
        );
        assert_eq!(
            Sha256::digest(&bytes[header_len..]).as_slice(),
            facts.payload_sha256
        );
        assert_eq!(facts.epoch, 1);
    }
    // The head is the document's formula over the chain hash of the one batch.
    let batch = std::fs::read(dir.path().join(".catalog/0000000000000001")).unwrap();
    let head = catalog.head();
    assert_eq!(head.chain.as_slice(), Sha256::digest(&batch).as_slice());
    let mut hasher = Sha256::new();
    hasher.update(b"custody/catalog/v1/head");
    hasher.update(head.chain);
    hasher.update(head.root);
    hasher.update(3u64.to_be_bytes());
    assert_eq!(head.digest.as_slice(), hasher.finalize().as_slice());
}

#[test]
fn a_deleted_archive_is_named_missing() {
    let dir = tempfile::tempdir().unwrap();
    let store = three_archives(dir.path());
    std::fs::remove_file(dir.path().join("2026/land.csv.custody")).unwrap();
    assert_eq!(
        findings(&store),
        [Finding::Missing {
            name: "2026/land.csv.custody".into(),
            epoch: 1
        }]
    );
}

#[test]
fn an_older_version_of_an_archive_put_back_is_named_with_its_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let store = three_archives(dir.path());
    let path = dir.path().join("2026/land.csv.custody");
    let before = std::fs::read(&path).unwrap();
    let entry = rewrap(
        &store,
        &Epoch::new(1),
        &Epoch::new(2),
        "2026/land.csv.custody",
    );
    assert_eq!(entry.event(), Event::Rewrapped);
    assert_eq!(entry.archive().unwrap().epoch, 2);
    catalog::record(&store, vec![entry]).unwrap();
    assert!(catalog::verify(&store).unwrap().passed());

    std::fs::write(&path, &before).unwrap();
    assert_eq!(
        findings(&store),
        [Finding::Older {
            name: "2026/land.csv.custody".into(),
            epoch: 1,
            current_epoch: 2,
            time: T0,
            batch: 1,
        }]
    );
}

#[test]
fn an_extra_archive_is_named_unlisted() {
    let dir = tempfile::tempdir().unwrap();
    let store = three_archives(dir.path());
    seal(
        &store,
        &Epoch::new(1),
        "2026/stray.custody",
        b"not recorded",
    );
    let found = findings(&store);
    assert!(
        matches!(&found[..], [Finding::Unlisted { name, .. }] if name == "2026/stray.custody"),
        "{found:?}"
    );
}

#[test]
fn an_altered_byte_is_named_in_the_header_or_the_payload() {
    let dir = tempfile::tempdir().unwrap();
    let store = three_archives(dir.path());
    let path = dir.path().join("population.csv.custody");
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let header_path = dir.path().join("2026/land.csv.custody");
    let mut header = std::fs::read(&header_path).unwrap();
    header[27] ^= 1; // the epoch's third byte (domain ee-test, D = 7): epoch 257, still a header
    std::fs::write(&header_path, &header).unwrap();
    let garbage = dir.path().join("2026/q1/tax.csv.custody");
    std::fs::write(&garbage, b"not an archive at all").unwrap();
    assert_eq!(
        findings(&store),
        [
            Finding::Altered {
                name: "2026/land.csv.custody".into(),
                header: true,
                payload: false,
                epoch: 257,
                current_epoch: 1,
            },
            Finding::Unreadable {
                name: "2026/q1/tax.csv.custody".into(),
                problem: "no archive header at its start".into()
            },
            Finding::Altered {
                name: "population.csv.custody".into(),
                header: false,
                payload: true,
                epoch: 1,
                current_epoch: 1,
            },
        ]
    );
}

#[test]
fn every_tampering_at_once_is_named_each_on_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let store = three_archives(dir.path());
    let land = dir.path().join("2026/land.csv.custody");
    let before = std::fs::read(&land).unwrap();
    let entry = rewrap(
        &store,
        &Epoch::new(1),
        &Epoch::new(2),
        "2026/land.csv.custody",
    );
    catalog::record(&store, vec![entry]).unwrap();
    std::fs::write(&land, &before).unwrap();
    std::fs::remove_file(dir.path().join("population.csv.custody")).unwrap();
    seal(&store, &Epoch::new(2), "zz-extra.custody", b"extra");
    let names: Vec<(String, &str)> = findings(&store)
        .iter()
        .map(|finding| {
            let kind = match finding {
                Finding::Missing { .. } => "missing",
                Finding::Older { .. } => "older",
                Finding::Unlisted { .. } => "unlisted",
                _ => "other",
            };
            (finding.name().to_owned(), kind)
        })
        .collect();
    assert_eq!(
        names,
        [
            ("2026/land.csv.custody".to_owned(), "older"),
            ("population.csv.custody".to_owned(), "missing"),
            ("zz-extra.custody".to_owned(), "unlisted"),
        ]
    );
}

#[test]
fn a_removal_recorded_is_not_missing_and_an_archive_back_after_it_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let store = three_archives(dir.path());
    let path = dir.path().join("2026/land.csv.custody");
    let kept = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let head = catalog::record(
        &store,
        vec![Entry::removed("2026/land.csv.custody", T0 + 1).unwrap()],
    )
    .unwrap();
    assert_eq!(head.archives, 2);
    assert!(catalog::verify(&store).unwrap().passed());
    std::fs::write(&path, kept).unwrap();
    assert_eq!(
        findings(&store),
        [Finding::Removed {
            name: "2026/land.csv.custody".into(),
            batch: 2
        }]
    );
    // Sealed anew under the name, it is catalogued again.
    std::fs::remove_file(&path).unwrap();
    let entry = seal(
        &store,
        &Epoch::new(2),
        "2026/land.csv.custody",
        b"new parcels",
    );
    catalog::record(&store, vec![entry]).unwrap();
    assert!(catalog::verify(&store).unwrap().passed());
}

#[test]
fn an_empty_store_passes_and_an_uncatalogued_store_lists_everything() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::open(dir.path()).unwrap();
    let report = catalog::verify(&store).unwrap();
    assert!(report.passed());
    assert_eq!(report.head.archives, 0);
    assert_eq!(report.head.chain, [0u8; 32]);
    assert_eq!(report.head.root.as_slice(), Sha256::digest([]).as_slice());
    seal(&store, &Epoch::new(1), "a.custody", b"a");
    seal(&store, &Epoch::new(1), "b.custody", b"b");
    assert_eq!(findings(&store).len(), 2);
}

#[test]
fn record_refuses_entries_that_break_the_rules_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = three_archives(dir.path());
    let head = Catalog::read(&store).unwrap().head();
    let error =
        catalog::record(&store, vec![Entry::removed("nowhere.custody", T0).unwrap()]).unwrap_err();
    assert!(
        error.to_string().contains(
            "entry 1 of 1: nowhere.custody is removed but the catalog holds no archive of that name"
        ),
        "{error}"
    );
    assert_eq!(Catalog::read(&store).unwrap().head(), head);
    // A rewrap whose payload differs from the catalogued one.
    let other_dir = tempfile::tempdir().unwrap();
    let other = LocalStore::open(other_dir.path()).unwrap();
    let e1 = Epoch::new(1);
    let elsewhere = seal(&other, &e1, "2026/land.csv.custody", b"other parcels");
    let header = other.read_head("2026/land.csv.custody", 1024).unwrap();
    let header_len = usize::try_from(elsewhere.archive().unwrap().header_len).unwrap();
    let rewrapped = Entry::rewrapped(&elsewhere, &header[..header_len], T0).unwrap();
    let error = catalog::record(&store, vec![rewrapped]).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("a rewrap keeps the payload, but the payload differs"),
        "{error}"
    );
    // Names a catalog cannot hold.
    for name in [
        "/abs.custody",
        "a//b.custody",
        "../up.custody",
        "x.txt",
        ".custody",
        "a\"b.custody",
        ".catalog/x.custody",
    ] {
        assert!(Entry::removed(name, T0).is_err(), "{name}");
    }
    // No entries: nothing written, the head as it is.
    assert_eq!(catalog::record(&store, Vec::new()).unwrap(), head);
    assert_eq!(Catalog::read(&store).unwrap().batches().len(), 1);
}

#[test]
fn measure_refuses_bytes_that_are_not_an_archive() {
    let mut measure = Measure::new(Vec::new());
    measure.write_all(b"short").unwrap();
    assert!(matches!(
        measure.finish(),
        Err(CatalogError::NotAnArchive(_))
    ));
    let mut measure = Measure::new(Vec::new());
    assert!(measure.write_all(&[0u8; 4096]).is_err());
}

#[test]
fn a_broken_chain_is_refused_naming_the_batch() {
    let dir = tempfile::tempdir().unwrap();
    let store = three_archives(dir.path());
    let entry = rewrap(
        &store,
        &Epoch::new(1),
        &Epoch::new(2),
        "2026/land.csv.custody",
    );
    catalog::record(&store, vec![entry]).unwrap();
    let first = dir.path().join(".catalog/0000000000000001");
    let second = dir.path().join(".catalog/0000000000000002");
    let original = std::fs::read(&first).unwrap();
    let read_error = || Catalog::read(&store).unwrap_err().to_string();
    let shown = |n: u32| {
        format!(
            "catalog batch {}/.catalog/000000000000000{n}",
            dir.path().display()
        )
    };

    // An entry edited in batch 1 (its time): batch 2's prev no longer matches.
    let text = String::from_utf8(original.clone()).unwrap();
    std::fs::write(
        &first,
        text.replacen(
            &format!("\"time\":{T0}"),
            &format!("\"time\":{}", T0 + 1),
            1,
        ),
    )
    .unwrap();
    let error = read_error();
    assert!(
        error.starts_with(&format!("{}, line 1: its prev ", shown(2))),
        "{error}"
    );
    // Batch 1 removed: the gap is named.
    std::fs::remove_file(&first).unwrap();
    let error = read_error();
    assert!(
        error.starts_with(&format!("{}: missing", shown(1))),
        "{error}"
    );
    assert!(catalog::verify(&store).is_err());
    // Cut short, or with a line added.
    std::fs::write(&first, &original[..original.len() - 1]).unwrap();
    assert!(read_error().contains("cut short"), "{}", read_error());
    std::fs::write(&first, [original.as_slice(), b"{}\n"].concat()).unwrap();
    assert!(
        read_error().contains(&format!("{}, line 5:", shown(1))),
        "{}",
        read_error()
    );
    // Not canonical: a space after a colon.
    std::fs::write(&first, text.replacen("\"event\":", "\"event\": ", 1)).unwrap();
    assert!(
        read_error().contains("not in canonical form"),
        "{}",
        read_error()
    );
    // An unknown member.
    std::fs::write(
        &first,
        text.replacen("\"event\":", "\"extra\":1,\"event\":", 1),
    )
    .unwrap();
    assert!(read_error().contains("unknown field"), "{}", read_error());
    // A batch that says it is another.
    std::fs::write(&first, text.replacen("\"batch\":1", "\"batch\":2", 1)).unwrap();
    assert!(
        read_error().contains("it says it is batch 2"),
        "{}",
        read_error()
    );
    // Put back as it was, the catalog reads again.
    std::fs::write(&first, &original).unwrap();
    assert_eq!(Catalog::read(&store).unwrap().batches().len(), 2);
    // Batch 2 rewritten with another valid chain link still names batch 2 when altered.
    let second_text = std::fs::read_to_string(&second).unwrap();
    std::fs::write(&second, second_text.replace("rewrapped", "sealed")).unwrap();
    assert_eq!(Catalog::read(&store).unwrap().batches().len(), 2);
    std::fs::write(&second, second_text.replace("rewrapped", "removed")).unwrap();
    assert!(
        read_error().contains("a removal records no archive facts"),
        "{}",
        read_error()
    );
}

/// A run that loses the race for a batch's place (`StoreError::CatalogRace`: another run appended
/// since this one read the catalog) reads the catalog again and builds on the winner.
#[test]
fn recording_on_a_catalog_read_before_builds_on_what_others_appended() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::open(dir.path()).unwrap();
    let e1 = Epoch::new(1);
    let first = seal(&store, &e1, "first.custody", b"1");
    let catalog = catalog::record_on(&store, Catalog::read(&store).unwrap(), &[first]).unwrap();
    // Another run appends; this run's catalog does not know, and its batch 2 is taken.
    let theirs = seal(&store, &e1, "theirs.custody", b"2");
    catalog::record(&store, vec![theirs]).unwrap();
    let second = seal(&store, &e1, "second.custody", b"3");
    let catalog = catalog::record_on(&store, catalog, &[second]).unwrap();
    assert_eq!(catalog.batches().len(), 3);
    assert_eq!(catalog.history("theirs.custody")[0].batch, 2);
    assert_eq!(catalog.history("second.custody")[0].batch, 3);
    assert_eq!(catalog.head(), Catalog::read(&store).unwrap().head());
    assert!(catalog::verify(&store).unwrap().passed());
}

#[test]
fn runs_recording_at_once_each_get_their_batch() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(LocalStore::open(dir.path()).unwrap());
    let e1 = Epoch::new(1);
    let entries: Vec<Entry> = (0..6)
        .map(|i| seal(store.as_ref(), &e1, &format!("run-{i}.custody"), &[i]))
        .collect();
    std::thread::scope(|scope| {
        for entry in entries {
            let store = Arc::clone(&store);
            scope.spawn(move || catalog::record(store.as_ref(), vec![entry]).unwrap());
        }
    });
    let catalog = Catalog::read(store.as_ref()).unwrap();
    assert_eq!(catalog.batches().len(), 6);
    assert_eq!(catalog.head().archives, 6);
    assert!(catalog::verify(store.as_ref()).unwrap().passed());
}

#[test]
fn a_proof_leads_to_the_head_and_no_other_entry_does() {
    let dir = tempfile::tempdir().unwrap();
    let store = three_archives(dir.path());
    let catalog = Catalog::read(&store).unwrap();
    for entry in catalog.archives() {
        let proof = catalog.prove(entry.name()).unwrap();
        let read = Proof::from_json(proof.to_json().as_bytes()).unwrap();
        assert_eq!(read, proof);
        assert_eq!(read.head().unwrap(), catalog.head());
    }
    assert!(catalog.prove("nowhere.custody").is_none());
    // Another version of the same archive's entry leads elsewhere.
    let proof = catalog.prove("2026/land.csv.custody").unwrap();
    let older = Proof {
        entry: Entry::sealed(
            "2026/land.csv.custody",
            T0 + 1,
            proof.entry.archive().unwrap().clone(),
        )
        .unwrap(),
        ..proof.clone()
    };
    assert_ne!(older.head().unwrap(), catalog.head());
    // A proof file altered is refused or leads elsewhere.
    let json = proof.to_json();
    assert!(
        Proof::from_json(json.replace("\"index\": 0", "\"index\": 7").as_bytes())
            .map_or(true, |p| p.head().map_or(true, |h| h != catalog.head()))
    );
    assert!(Proof::from_json(json.replace("catalog_proof", "proof").as_bytes()).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Every leaf's path leads to the root, RFC 6962's shape recomputed here apart.
    #[test]
    fn merkle_paths_lead_to_the_root(n in 1usize..70, pick in any::<prop::sample::Index>(), flip in any::<u8>()) {
        let names: Vec<String> = (0..n).map(|i| format!("a/{i:04}.custody")).collect();
        let entries: Vec<Entry> = names
            .iter()
            .enumerate()
            .map(|(i, name)| Entry::sealed(name, T0, facts(u8::try_from(i).unwrap())).unwrap())
            .collect();
        let batch = catalog::encode_batch(1, T0, &[0u8; 32], &entries);
        let catalog = Catalog::from_batches("test", vec![(1, batch.clone())]).unwrap();
        let head = catalog.head();
        // The root by the RFC's recursive definition, written out here.
        fn mth(leaves: &[[u8; 32]]) -> [u8; 32] {
            match leaves.len() {
                0 => Sha256::digest([]).into(),
                1 => leaves[0],
                n => {
                    let k = n.next_power_of_two() / 2;
                    let k = if k == n { n / 2 } else { k };
                    node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
                }
            }
        }
        let mut sorted = entries.clone();
        sorted.sort_by(|a, b| a.name().as_bytes().cmp(b.name().as_bytes()));
        let leaves: Vec<[u8; 32]> = sorted.iter().map(|e| leaf_hash(e.line().as_bytes())).collect();
        prop_assert_eq!(head.root, mth(&leaves));
        let chain: [u8; 32] = Sha256::digest(&batch).into();
        prop_assert_eq!(head.chain, chain);
        let name = &names[pick.index(n)];
        let proof = catalog.prove(name).unwrap();
        prop_assert_eq!(proof.head().unwrap(), head);
        // Another size can lead to the same root (RFC 6962's path does not bind it), never to
        // the same head.
        for size in [proof.size + 1, proof.size.saturating_sub(1)] {
            let resized = Proof { size, ..proof.clone() };
            prop_assert!(resized.head().map_or(true, |h| h != head));
        }
        // One byte of one path hash changed leads elsewhere.
        if !proof.path.is_empty() {
            let mut bad = proof.clone();
            let level = usize::from(flip) % bad.path.len();
            bad.path[level][usize::from(flip) % 32] ^= 1 | flip;
            prop_assert!(bad.head().map_or(true, |h| h != head));
        }
    }

    /// Any sequence of seals, rewraps and removals, written in batches and read back, gives the
    /// latest entry of each name as its current state, whatever the batching.
    #[test]
    fn the_current_state_is_the_latest_entry_of_each_name(
        ops in prop::collection::vec((0u8..6, 0u8..3), 1..40),
        cut in 1usize..8,
    ) {
        let mut entries = Vec::new();
        let mut model: std::collections::BTreeMap<String, Entry> = Default::default();
        for (i, (which, op)) in ops.into_iter().enumerate() {
            let name = format!("n{which}.custody");
            let time = T0 + i as u64;
            let entry = match (op, model.get(&name)) {
                (1, Some(before)) => {
                    let mut facts = before.archive().unwrap().clone();
                    facts.epoch += 1;
                    facts.header_sha256[0] ^= 0xff;
                    Entry::sealed(&name, time, facts).unwrap() // a new seal replaces
                }
                (2, Some(_)) => Entry::removed(&name, time).unwrap(),
                _ => Entry::sealed(&name, time, facts(u8::try_from(i).unwrap())).unwrap(),
            };
            if entry.event() == Event::Removed {
                model.remove(&name);
            } else {
                model.insert(name, entry.clone());
            }
            entries.push(entry);
        }
        let mut batches = Vec::new();
        let mut prev = [0u8; 32];
        for (i, chunk) in entries.chunks(cut).enumerate() {
            let bytes = catalog::encode_batch(i as u64 + 1, T0, &prev, chunk);
            prev = Sha256::digest(&bytes).into();
            batches.push((i as u64 + 1, bytes));
        }
        let catalog = Catalog::from_batches("test", batches).unwrap();
        let current: Vec<&Entry> = catalog.archives().collect();
        let expected: Vec<&Entry> = model.values().collect();
        prop_assert_eq!(current, expected);
        prop_assert_eq!(catalog.head().chain, prev);
    }
}

/// Made-up facts of an archive (a catalog reader reads no archive).
fn facts(seed: u8) -> catalog::Facts {
    catalog::Facts {
        domain: DomainId::new("ee-test").unwrap(),
        epoch: 1,
        key_id: KeyId::from_bytes([seed; 32]),
        header_len: 220,
        header_sha256: [seed.wrapping_add(1); 32],
        payload_len: u64::from(seed) * 1000,
        payload_sha256: [seed.wrapping_add(2); 32],
    }
}

#[test]
fn measure_gives_the_same_facts_whatever_the_writes() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::open(dir.path()).unwrap();
    let entry = seal(&store, &Epoch::new(1), "x.custody", &vec![3u8; 70_000]);
    let bytes = std::fs::read(dir.path().join("x.custody")).unwrap();
    for step in [1, 7, 203, 4096, bytes.len()] {
        let mut measure = Measure::new(Vec::new());
        for piece in bytes.chunks(step) {
            measure.write_all(piece).unwrap();
        }
        let (written, measured) = measure.finish().unwrap();
        assert_eq!(written, bytes);
        assert_eq!(Some(measured.facts()), entry.archive(), "writes of {step}");
        let header_len = usize::try_from(measured.facts().header_len).unwrap();
        assert_eq!(measured.header(), &bytes[..header_len]);
    }
}

/// Writes the stores the golden command-line cases read, `tests/cmd/catalog/` (run with
/// `cargo test --test catalog -- --ignored make_cli_fixture`, then refresh the snapshots):
/// `intact/` (three archives sealed under epoch 1, then two rewrapped to epoch 2, in two
/// batches), `tampered/` (the same with one archive deleted, one put back as it was under epoch 1
/// and one extra), `broken/` (the catalog with its first batch edited) and `land.proof`.
#[test]
#[ignore = "writes the checked-in fixture of tests/cmd/catalog"]
fn make_cli_fixture() {
    let root = common::repo_root().join("tests/cmd/catalog");
    let _ = std::fs::remove_dir_all(&root);
    let intact = root.join("intact");
    std::fs::create_dir_all(&intact).unwrap();
    let store = LocalStore::open(&intact).unwrap();
    let (e1, e2) = (Epoch::new(1), Epoch::new(2));
    let entries = vec![
        seal(
            &store,
            &e1,
            "population.csv.custody",
            b"name,born\nKadri,1990\n",
        ),
        seal(
            &store,
            &e1,
            "2026/land.csv.custody",
            b"parcel,owner\n1,Kadri\n",
        ),
        seal(&store, &e1, "2026/q1/tax.csv.custody", b"id,due\n"),
    ];
    catalog::record(&store, entries).unwrap();
    let land_e1 = std::fs::read(intact.join("2026/land.csv.custody")).unwrap();
    let entries = vec![
        rewrap(&store, &e1, &e2, "2026/land.csv.custody"),
        rewrap(&store, &e1, &e2, "population.csv.custody"),
    ];
    catalog::record(&store, entries).unwrap();
    let catalog = Catalog::read(&store).unwrap();
    std::fs::write(
        root.join("land.proof"),
        catalog.prove("2026/land.csv.custody").unwrap().to_json(),
    )
    .unwrap();

    let tampered = root.join("tampered");
    common::copy_dir(&intact, &tampered);
    std::fs::remove_file(tampered.join("population.csv.custody")).unwrap();
    std::fs::write(tampered.join("2026/land.csv.custody"), land_e1).unwrap();
    let tampered_store = LocalStore::open(&tampered).unwrap();
    seal(
        &tampered_store,
        &e2,
        "2026/stray.custody",
        b"not catalogued\n",
    );
    assert_eq!(findings(&tampered_store).len(), 3);

    let broken = root.join("broken");
    common::copy_dir(&intact.join(".catalog"), &broken.join(".catalog"));
    let first = broken.join(".catalog/0000000000000001");
    let text = std::fs::read_to_string(&first).unwrap();
    std::fs::write(&first, text.replacen("\"epoch\":1", "\"epoch\":3", 1)).unwrap();
    assert!(Catalog::read(&LocalStore::open(&broken).unwrap()).is_err());
}

#[test]
fn the_head_after_each_batch_is_that_of_the_catalog_cut_there() {
    let dir = tempfile::tempdir().unwrap();
    let store = three_archives(dir.path());
    let entry = rewrap(
        &store,
        &Epoch::new(1),
        &Epoch::new(2),
        "2026/land.csv.custody",
    );
    catalog::record(&store, vec![entry]).unwrap();
    catalog::record(
        &store,
        vec![Entry::removed("2026/q1/tax.csv.custody", T0 + 2).unwrap()],
    )
    .unwrap();
    let batches = store.catalog_batches().unwrap();
    let heads = Catalog::read(&store).unwrap().heads();
    assert_eq!(heads.len(), 4);
    for (k, head) in heads.iter().enumerate() {
        let cut = Catalog::from_batches("cut", batches[..k].to_vec()).unwrap();
        assert_eq!(*head, cut.head(), "after batch {k}");
    }
    assert_eq!(heads[3].archives, 2);
}

#[test]
fn a_check_of_headers_alone_finds_all_but_a_payload_altered_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let store = three_archives(dir.path());
    let headers = |store: &LocalStore| {
        catalog::verify_with(store, catalog::Depth::Headers)
            .unwrap()
            .findings
    };
    assert!(headers(&store).is_empty());
    // A payload byte altered in place: only the whole check (or `custody verify`) finds it.
    let population = dir.path().join("population.csv.custody");
    let mut bytes = std::fs::read(&population).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&population, &bytes).unwrap();
    assert!(headers(&store).is_empty());
    assert_eq!(findings(&store).len(), 1);
    // Everything else, it finds as the whole check does.
    let land = dir.path().join("2026/land.csv.custody");
    let before = std::fs::read(&land).unwrap();
    let entry = rewrap(
        &store,
        &Epoch::new(1),
        &Epoch::new(2),
        "2026/land.csv.custody",
    );
    catalog::record(&store, vec![entry]).unwrap();
    std::fs::write(&land, &before).unwrap();
    std::fs::remove_file(dir.path().join("2026/q1/tax.csv.custody")).unwrap();
    seal(&store, &Epoch::new(2), "zz-extra.custody", b"extra");
    let kinds: Vec<&str> = headers(&store)
        .iter()
        .map(|finding| match finding {
            Finding::Older { .. } => "older",
            Finding::Missing { .. } => "missing",
            Finding::Unlisted { .. } => "unlisted",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["older", "missing", "unlisted"]);
    // A payload cut short shows in its length.
    std::fs::write(&population, &bytes[..bytes.len() - 1]).unwrap();
    assert!(headers(&store)
        .iter()
        .any(|finding| matches!(finding, Finding::Altered { payload: true, .. })));
}
