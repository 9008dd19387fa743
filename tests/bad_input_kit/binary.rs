//! Damage to the binary formats, field by field from docs/FORMAT.md: the sealed share file
//! (section 5.3) and the archive's header and chunk stream (sections 7.2–7.3).

use super::damage::{common, flips, set, truncations, Case, Form};
use super::layout::{archive as archive_layout, fix_share_checksum, share_file as share_layout};

/// Every damage of a sealed share file.
pub fn share_file(bytes: &[u8], other_domain: &[u8], other_epoch: &[u8]) -> Vec<Case> {
    let fields = share_layout(bytes);
    let mut cases = common(bytes);
    cases.extend(truncations(bytes, &fields));
    cases.extend(flips(bytes, &fields, "byte-flipped", Form::Broken, &|_| {}));
    let forgeable: Vec<_> = fields
        .iter()
        .filter(|f| f.name != "checksum")
        .cloned()
        .collect();
    cases.extend(flips(
        bytes,
        &forgeable,
        "forged",
        Form::WellFormed,
        &fix_share_checksum,
    ));
    for (name, field, value) in [
        ("oversized-domain-len", "domain_len", &[0xff][..]),
        ("zero-domain-len", "domain_len", &[0x00]),
        ("oversized-official-len", "official_len", &[0xff]),
        ("oversized-plaintext-len", "plaintext_len", &[0xff, 0xff]),
        ("oversized-kdf-memory", "kdf_memory_kib", &[0xff; 4]),
        ("oversized-kdf-iterations", "kdf_iterations", &[0xff; 4]),
        ("oversized-kdf-parallelism", "kdf_parallelism", &[0xff; 4]),
        ("zero-share-id", "share_id", &[0x00]),
        ("threshold-one", "threshold", &[0x01]),
        ("unknown-version", "version", &[0x03]),
        ("version-1", "version", &[0x01]),
    ] {
        let mut damaged = set(bytes, &fields, field, value).unwrap();
        fix_share_checksum(&mut damaged);
        cases.push(Case::broken(name, damaged));
    }
    cases.push(Case::broken(
        "unknown-version-unforged",
        set(bytes, &fields, "version", &[0x03]).unwrap(),
    ));
    cases.push(Case::well_formed("other-domain", other_domain.to_vec()));
    cases.push(Case::well_formed("other-epoch", other_epoch.to_vec()));
    cases
}

/// Every damage of an archive of at least three chunks.
pub fn archive(bytes: &[u8], other_domain: &[u8], other_epoch: &[u8]) -> Vec<Case> {
    let fields = archive_layout(bytes);
    let header_len = fields
        .iter()
        .find(|f| f.name == "header_mac")
        .map(|f| f.offset + 32)
        .unwrap();
    let mut cases = common(bytes);
    // Bytes after the final chunk: the header still reads.
    cases[3].form = Form::WellFormed;
    for mut case in truncations(bytes, &fields) {
        if case.bytes.len() >= header_len {
            case.form = Form::WellFormed;
        }
        cases.push(case);
    }
    cases.extend(flips(
        bytes,
        &fields,
        "byte-flipped",
        Form::WellFormed,
        &|_| {},
    ));
    for (name, field, value, form) in [
        (
            "oversized-domain-len",
            "domain_len",
            &[0xff][..],
            Form::Broken,
        ),
        ("zero-name-len", "name_len", &[0x00], Form::Broken),
        (
            "oversized-content-type-len",
            "content_type_len",
            &[0xff],
            Form::Broken,
        ),
        (
            "oversized-chunk-size",
            "chunk_size",
            &[0xff; 4],
            Form::Broken,
        ),
        ("unknown-flags", "flags", &[0xff], Form::Broken),
        ("unknown-version", "version", &[0x03], Form::Broken),
        ("version-1", "version", &[0x01], Form::Broken),
        ("oversized-size", "size", &[0xff; 8], Form::WellFormed),
    ] {
        if let Some(bytes) = set(bytes, &fields, field, value) {
            cases.push(Case {
                name: name.into(),
                bytes,
                form,
            });
        }
    }
    let segment = |i: usize| {
        let chunk = fields
            .iter()
            .find(|f| f.name == format!("chunk{i}"))
            .unwrap();
        chunk.offset..chunk.offset + chunk.len + 16
    };
    let (s0, s1) = (segment(0), segment(1));
    let mut swapped = bytes[..s0.start].to_vec();
    swapped.extend_from_slice(&bytes[s1.clone()]);
    swapped.extend_from_slice(&bytes[s0.clone()]);
    swapped.extend_from_slice(&bytes[s1.end..]);
    cases.push(Case::well_formed("chunks-swapped", swapped));
    let mut dropped = bytes[..s1.start].to_vec();
    dropped.extend_from_slice(&bytes[s1.end..]);
    cases.push(Case::well_formed("chunk-dropped", dropped));
    let mut duplicated = bytes[..s1.start].to_vec();
    duplicated.extend_from_slice(&bytes[s0.clone()]);
    duplicated.extend_from_slice(&bytes[s1.start..]);
    cases.push(Case::well_formed("chunk-duplicated", duplicated));
    cases.push(Case::well_formed(
        "header-only",
        bytes[..header_len].to_vec(),
    ));
    cases.push(Case::well_formed("other-domain", other_domain.to_vec()));
    cases.push(Case::well_formed("other-epoch", other_epoch.to_vec()));
    cases
}
