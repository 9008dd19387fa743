//! The manifest through the public API: strict validation with errors that name the field, the
//! canonical encoding and digest, binding share files to the manifest, the full share life cycle
//! (split, seal, verify, reseal, combine), and the worked example of
//! docs/FORMAT.md section 6 as a known-answer test.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod domain_fixture;

use custody::domain::{
    reseal, Manifest, ManifestChain, ManifestProblem, ResealError, ShareCheckError, WeakPassphrase,
};
use custody::primitives::secret::{DomainKey, Passphrase};
use custody::primitives::signature::{Context, SigningKey};
use custody::shares::sealed::{SealedShare, SealedShareError, ShareHeader};
use custody::shares::{combine, Share};
use domain_fixture::{manifest_json, passphrase, tiny, Domain};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

fn parse(value: &Value) -> Result<Manifest, custody::domain::ManifestError> {
    Manifest::parse(&serde_json::to_vec_pretty(value).unwrap())
}

/// The field a refusal names, or the whole message for other problems.
fn refusal(value: &Value) -> String {
    parse(value).unwrap_err().to_string()
}

#[test]
fn round_trips_through_the_file() {
    let domain = Domain::new("ee-registries");
    let loaded = Manifest::load(&domain.manifest_path()).unwrap();
    assert_eq!(loaded, domain.manifest);
    let pretty = domain.manifest.to_pretty_json().unwrap();
    assert_eq!(std::fs::read(domain.manifest_path()).unwrap(), pretty);
    assert!(pretty.starts_with(b"{\n  \"format\": \"custody-manifest\",\n  \"version\": 4,\n"));
    assert!(pretty.ends_with(b"}\n"));
    assert_eq!(loaded.tool_version(), env!("CARGO_PKG_VERSION"));
    assert_eq!(loaded.threshold(), 3);
    assert_eq!(loaded.officials().len(), 5);
}

#[test]
fn the_digest_ignores_formatting_and_key_order() {
    let domain = Domain::new("ee-registries");
    let value = manifest_json(&domain.manifest_path());
    let compact = Manifest::parse(&serde_json::to_vec(&value).unwrap()).unwrap();
    let spaced = Manifest::parse(
        serde_json::to_string_pretty(&value)
            .unwrap()
            .replace("  ", "\t   ")
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(compact.digest(), domain.manifest.digest());
    assert_eq!(spaced.digest(), domain.manifest.digest());
    let canonical = domain.manifest.canonical_bytes();
    assert_eq!(
        domain.manifest.digest().as_bytes()[..],
        Sha256::digest(canonical)[..]
    );
    let text = std::str::from_utf8(canonical).unwrap();
    assert!(
        text.starts_with("{\"chain_position\":0,\"created\":\"2026-11-26T20:40:05Z\",\"domain\":"),
        "{text}"
    );
    assert!(!text.contains('\n'));
}

#[test]
fn any_change_to_a_field_changes_the_digest() {
    let domain = Domain::new("ee-registries");
    let original = manifest_json(&domain.manifest_path());
    let edits: [(&str, Value); 4] = [
        ("/officials/0/name", json!("Government CIO ")),
        ("/officials/2/role", json!("National Archives of Estonia")),
        ("/created", json!("2026-11-26T20:40:06Z")),
        ("/epoch", json!(2)),
    ];
    for (pointer, replacement) in edits {
        let mut edited = original.clone();
        *edited.pointer_mut(pointer).unwrap() = replacement;
        let digest = parse(&edited).unwrap().digest();
        assert_ne!(digest, domain.manifest.digest(), "{pointer}");
    }
}

#[test]
fn every_bad_field_is_refused_by_name() {
    let domain = Domain::new("ee-registries");
    let good = manifest_json(&domain.manifest_path());
    let fingerprint_0 = good["officials"][0]["share_fingerprint"].clone();
    let cases: Vec<(&str, Value, &str)> = vec![
        ("/format", json!("custody-manifesto"), "`format`"),
        ("/version", json!(2), "`version`"),
        ("/version", json!(3), "`version`"),
        ("/version", json!(5), "`version`"),
        ("/domain", json!("EE"), "`domain`"),
        ("/domain", json!(""), "`domain`"),
        ("/epoch", json!(4_294_967_296_u64), "`epoch`"),
        ("/set_id", json!("a0a1"), "`set_id`"),
        (
            "/set_id",
            json!("A0A1A2A3A4A5A6A7A8A9AAABACADAEAF"),
            "`set_id`",
        ),
        ("/threshold", json!(1), "`threshold`"),
        ("/threshold", json!(6), "`threshold`"),
        ("/threshold", json!(256), "`threshold`"),
        ("/threshold", json!(2), "`verifier_set`"),
        ("/officials/1/id", json!("cio"), "`officials[1].id`"),
        ("/officials/1/id", json!("Ciso"), "`officials[1].id`"),
        ("/officials/1/name", json!(""), "`officials[1].name`"),
        ("/officials/1/role", json!("a\u{7}b"), "`officials[1].role`"),
        ("/officials/1/share_id", json!(0), "`officials[1].share_id`"),
        ("/officials/1/share_id", json!(6), "`officials[1].share_id`"),
        (
            "/officials/1/share_id",
            good["officials"][0]["share_id"].clone(),
            "`officials[1].share_id`",
        ),
        (
            "/officials/1/share_fingerprint",
            json!("00"),
            "`officials[1].share_fingerprint`",
        ),
        (
            "/officials/1/share_fingerprint",
            json!(fingerprint_0.as_str().unwrap().to_uppercase()),
            "`officials[1].share_fingerprint`",
        ),
        ("/verifier_set", json!("0102"), "`verifier_set`"),
        ("/verifier_set", json!("zz"), "`verifier_set`"),
        ("/key_id", json!("00"), "`key_id`"),
        ("/kcv", json!("f2900"), "`kcv`"),
        ("/kcv", json!("F29000"), "`kcv`"),
        ("/wrap_check", json!("bd66"), "`wrap_check`"),
        (
            "/wrap_check",
            json!(
                "BD66C719E4FE50E1B2E70D69973E669B68A5DE8FE40A3601DCA5E121F7EBE780EA3435442D9FE924"
            ),
            "`wrap_check`",
        ),
        ("/created", json!("2026-11-26 20:40:05"), "`created`"),
        ("/created", json!("2026-02-30T00:00:00Z"), "`created`"),
        ("/tool_version", json!(""), "`tool_version`"),
        ("/tool_version", json!("0.1 beta"), "`tool_version`"),
        ("/tokens", json!([]), "`tokens`"),
        ("/tokens/0/serial", json!(""), "`tokens[0].serial`"),
        (
            "/tokens/0/label",
            json!("a".repeat(65)),
            "`tokens[0].label`",
        ),
        ("/tokens/0/site", json!("\u{202e}x"), "`tokens[0].site`"),
        (
            "/tokens/0/enrolled",
            json!("yesterday"),
            "`tokens[0].enrolled`",
        ),
        ("/chain_position", json!(-1), "expected u64"),
        ("/domain_fingerprint", json!("00"), "`domain_fingerprint`"),
        (
            "/domain_fingerprint",
            json!("11".repeat(32)),
            "`domain_fingerprint`",
        ),
        ("/verifying_key", json!("01"), "`verifying_key`"),
        (
            "/verifying_key",
            json!("02".repeat(1985)),
            "`verifying_key`",
        ),
        ("/signature", json!("01"), "`signature`"),
        ("/signature", json!("01".repeat(3374)), "`signature`"),
    ];
    for (pointer, replacement, named) in cases {
        let mut bad = good.clone();
        *bad.pointer_mut(pointer).unwrap() = replacement.clone();
        let message = refusal(&bad);
        assert!(
            message.contains(named),
            "{pointer} = {replacement}: {message}"
        );
    }
    // `previous` is present exactly after position 0.
    let mut genesis_with_previous = good.clone();
    genesis_with_previous["previous"] = json!("00".repeat(32));
    assert!(refusal(&genesis_with_previous).contains("`previous` is present at chain position 0"));
    let mut later_without_previous = good.clone();
    later_without_previous["chain_position"] = json!(1);
    assert!(refusal(&later_without_previous).contains("`previous` is missing"));
}

#[test]
fn a_verifier_set_point_off_the_curve_is_refused() {
    let domain = Domain::new("ee-registries");
    let mut bad = manifest_json(&domain.manifest_path());
    let set = bad["verifier_set"].as_str().unwrap().to_owned();
    // The first commitment's x-coordinate becomes ff…ff, which is not on P-256.
    let edited = format!("{}{}{}", &set[..6], "ff".repeat(32), &set[6 + 64..]);
    bad["verifier_set"] = json!(edited);
    let message = refusal(&bad);
    assert!(
        message.contains("`verifier_set`") && message.contains("commitment 0"),
        "{message}"
    );
}

#[test]
fn officials_must_number_two_to_255_and_share_ids_be_a_permutation() {
    let domain = Domain::new("ee-registries");
    let good = manifest_json(&domain.manifest_path());
    let mut one = good.clone();
    one["officials"].as_array_mut().unwrap().truncate(1);
    assert!(refusal(&one).contains("`officials`"), "{}", refusal(&one));
    // The fixture lists share ids 1..=5 in order. Without share 5, ids 1..=4 remain: valid.
    let mut without_last = good.clone();
    without_last["officials"].as_array_mut().unwrap().remove(4);
    assert_eq!(parse(&without_last).unwrap().officials().len(), 4);
    // Without share 1, ids 2..=5 remain: 5 is outside 1..=4.
    let mut without_first = good;
    without_first["officials"].as_array_mut().unwrap().remove(0);
    let message = refusal(&without_first);
    assert!(
        message.contains("`officials[3].share_id` is 5"),
        "{message}"
    );
}

#[test]
fn unknown_missing_and_repeated_fields_are_refused() {
    let domain = Domain::new("ee-registries");
    let good = manifest_json(&domain.manifest_path());
    let mut extra = good.clone();
    extra["comment"] = json!("hello");
    assert!(refusal(&extra).contains("unknown field `comment`"));
    let mut extra_official = good.clone();
    extra_official["officials"][0]["email"] = json!("cio@example.org");
    assert!(refusal(&extra_official).contains("unknown field `email`"));
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("kcv");
    assert!(refusal(&missing).contains("missing field `kcv`"));
    let mut no_wrap_check = good.clone();
    no_wrap_check.as_object_mut().unwrap().remove("wrap_check");
    assert!(refusal(&no_wrap_check).contains("missing field `wrap_check`"));
    let text = String::from_utf8(serde_json::to_vec(&good).unwrap()).unwrap();
    let repeated = text.replacen("{\"chain_position\"", "{\"epoch\":9,\"chain_position\"", 1);
    let message = Manifest::parse(repeated.as_bytes())
        .unwrap_err()
        .to_string();
    assert!(message.contains("duplicate field `epoch`"), "{message}");
}

#[test]
fn oversized_garbage_and_foreign_json_are_refused_clearly() {
    let big = vec![b' '; 1024 * 1024 + 1];
    let error = Manifest::parse(&big).unwrap_err();
    assert!(matches!(error.problem, ManifestProblem::TooLarge { .. }));
    for garbage in [
        &b""[..],
        b"{",
        b"[]",
        b"\xff\xfe",
        b"{\"format\":\"x\"} trailing",
    ] {
        let error = Manifest::parse(garbage).unwrap_err();
        assert!(
            matches!(error.problem, ManifestProblem::Syntax(_)),
            "{error}"
        );
    }
    let path = std::path::Path::new("/nonexistent/manifest.json");
    let message = Manifest::load(path).unwrap_err().to_string();
    assert!(
        message.starts_with("manifest /nonexistent/manifest.json: cannot be read"),
        "{message}"
    );
}

#[test]
fn load_errors_name_the_file_and_the_field() {
    let domain = Domain::new("ee-registries");
    let mut bad = manifest_json(&domain.manifest_path());
    bad["threshold"] = json!(9);
    std::fs::write(domain.manifest_path(), serde_json::to_vec(&bad).unwrap()).unwrap();
    let error = Manifest::load(&domain.manifest_path()).unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains(&domain.manifest_path().display().to_string()),
        "{message}"
    );
    assert!(message.contains("`threshold` is 9"), "{message}");
    assert!(error.problem.hint().contains("trusted copy"));
}

#[test]
fn each_share_file_is_bound_to_its_manifest_entry() {
    let domain = Domain::new("ee-registries");
    for (sealed, (id, _, _)) in domain.sealed.iter().zip(domain_fixture::OFFICIALS) {
        let entry = domain.manifest.check_share(sealed).unwrap();
        assert_eq!(entry.official().id().as_str(), id);
        let share = domain.manifest.open_share(sealed, &passphrase(id)).unwrap();
        assert_eq!(share.identifier(), entry.share_id());
    }
}

#[test]
fn a_share_of_another_domain_or_an_unrecorded_file_is_named() {
    let domain = Domain::new("ee-registries");
    let other = Domain::new("lv-registries");
    let error = domain.manifest.check_share(&other.sealed[0]).unwrap_err();
    assert!(
        matches!(&error, ShareCheckError::OtherShareSet { field: "domain", found, .. } if found == "lv-registries"),
        "{error}"
    );
    // Same header, resealed: a different file than the manifest records.
    let resealed = domain.sealed[1]
        .reseal(&passphrase("ciso"), &passphrase("ciso"), tiny())
        .unwrap();
    let error = domain.manifest.check_share(&resealed).unwrap_err();
    assert!(
        matches!(error, ShareCheckError::NotRecorded { .. }),
        "{error}"
    );
    assert!(error.to_string().contains(
        "this share file is not the one the manifest records for official ciso (resealed? use the current manifest)"
    ));
    // A stranger sealed with this domain's header values.
    let share = Share::from_bytes(domain.shares[0].to_bytes().expose()).unwrap();
    let header = ShareHeader {
        official: "intruder".into(),
        ..domain.sealed[0].header().clone()
    };
    let stranger = SealedShare::seal(&share.to_bytes(), header, &passphrase("x"), tiny()).unwrap();
    let error = domain.manifest.check_share(&stranger).unwrap_err();
    assert!(
        matches!(error, ShareCheckError::NotListed { .. }),
        "{error}"
    );
}

#[test]
fn a_wrong_passphrase_is_told_apart_from_a_foreign_share() {
    let domain = Domain::new("ee-registries");
    let error = domain
        .manifest
        .open_share(&domain.sealed[0], &passphrase("ciso"))
        .unwrap_err();
    assert!(matches!(
        error,
        ShareCheckError::Sealed(SealedShareError::WrongPassphrase)
    ));
    // Official cio's header with ciso's share inside: opens, then is refused by identifier.
    let share = Share::from_bytes(domain.shares[1].to_bytes().expose()).unwrap();
    let forged = SealedShare::seal(
        &share.to_bytes(),
        domain.sealed[0].header().clone(),
        &passphrase("cio"),
        tiny(),
    )
    .unwrap();
    let manifest = domain
        .manifest
        .with_share_fingerprint(
            domain.manifest.officials()[0].official().id(),
            forged.fingerprint(),
        )
        .unwrap();
    let error = manifest
        .open_share(&forged, &passphrase("cio"))
        .unwrap_err();
    assert!(
        matches!(
            error,
            ShareCheckError::IdentifierMismatch {
                expected: 1,
                found: 2,
                ..
            }
        ),
        "{error}"
    );
}

/// Done-when of the shares issue: split, seal, verify, reseal and combine through the public API.
#[test]
fn split_seal_verify_reseal_and_combine() {
    let domain = Domain::new("ee-registries");
    let manifest = &domain.manifest;
    let weak = reseal(
        manifest,
        &domain.sealed[2],
        &domain.shares[2],
        &Passphrase::from("too short"),
    )
    .unwrap_err();
    assert!(matches!(weak, ResealError::Weak(WeakPassphrase::TooShort)));

    let opened = manifest
        .open_share(&domain.sealed[2], &passphrase("archivist"))
        .unwrap();
    let new = Passphrase::from("a new passphrase for the archivist");
    let resealed = reseal(manifest, &domain.sealed[2], &opened, &new).unwrap();
    assert!(resealed.share.kdf_params().memory_kib() >= 256 * 1024);
    // The share fingerprints are outside the signed content: the digest and signature stay.
    assert_eq!(resealed.manifest.digest(), manifest.digest());
    assert_eq!(resealed.manifest.signature(), manifest.signature());
    assert_ne!(resealed.manifest, *manifest);
    assert!(resealed.manifest.check_share(&domain.sealed[2]).is_err());
    assert!(matches!(
        resealed.share.open(&passphrase("archivist")),
        Err(SealedShareError::WrongPassphrase)
    ));

    let files = [&domain.sealed[0], &resealed.share, &domain.sealed[4]];
    let passphrases = [passphrase("cio"), new, passphrase("embassy")];
    let quorum: Vec<Share> = files
        .iter()
        .zip(&passphrases)
        .map(|(file, pass)| resealed.manifest.open_share(file, pass).unwrap())
        .collect();
    let key = combine(
        &quorum,
        resealed.manifest.threshold(),
        resealed.manifest.verifier_set(),
        resealed.manifest.key_id(),
    )
    .unwrap();
    assert_eq!(key.expose(), domain.key.expose());
}

// ---- The worked example of docs/FORMAT.md section 6 ----

#[test]
fn worked_example_of_the_format_document() {
    let document = common::format_doc::section("### 6.7 Worked example");
    let fenced_block = common::format_doc::fenced_block;
    let file = fenced_block(&document, "Example manifest file");
    let canonical = fenced_block(&document, "Its canonical encoding").trim_end_matches('\n');
    let digest = fenced_block(&document, "Its manifest digest").trim();

    let manifest = Manifest::parse(file.as_bytes()).unwrap();
    assert_eq!(manifest.to_pretty_json().unwrap(), file.as_bytes());
    assert_eq!(
        std::str::from_utf8(manifest.canonical_bytes()).unwrap(),
        canonical
    );
    assert_eq!(hex::encode(Sha256::digest(canonical.as_bytes())), digest);
    assert_eq!(manifest.digest().to_string(), digest);
    let grouped = fenced_block(&document, "Read aloud in blocks").trim();
    assert_eq!(
        custody::readout::hex_groups(manifest.digest().as_bytes()),
        grouped
    );
    // The genesis manifest of domain key 00 01 … 1f: its own key, derived from that domain key,
    // signed it deterministically, and its fingerprint is the one read aloud.
    let mut key: [u8; 32] = std::array::from_fn(|i| u8::try_from(i).unwrap());
    let signing_key = SigningKey::derive(&DomainKey::from_bytes(&mut key));
    assert_eq!(manifest.verifying_key(), &signing_key.verifying_key());
    let fingerprint = fenced_block(&document, "Its domain fingerprint").trim();
    assert_eq!(
        custody::readout::hex_groups(manifest.domain_fingerprint().as_bytes()),
        fingerprint
    );
    ManifestChain::start(manifest.clone()).unwrap();
    let resigned = signing_key
        .sign(Context::Manifest, manifest.digest().as_bytes())
        .unwrap();
    assert_eq!(&resigned, manifest.signature());
}

// ---- Revoked share sets ----

/// The fixture's manifest moved to a new set, listing the fixture's own set (`a0…af`) as revoked.
fn with_revoked_fixture_set(good: &Value) -> Value {
    let mut value = good.clone();
    value["set_id"] = json!("b0b1b2b3b4b5b6b7b8b9babbbcbdbebf");
    value["revoked_sets"] = json!([{
        "set_id": "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
        "epoch": 1,
        "revoked_at": "2027-03-01T09:00:00Z",
        "reason": "justice minister retired",
    }]);
    value
}

#[test]
fn revoked_sets_round_trip_change_the_digest_and_are_omitted_when_empty() {
    let domain = Domain::new("ee-registries");
    let good = manifest_json(&domain.manifest_path());
    assert!(good.get("revoked_sets").is_none());
    assert!(domain.manifest.revoked_sets().is_empty());
    let value = with_revoked_fixture_set(&good);
    let manifest = parse(&value).unwrap();
    let revoked = &manifest.revoked_sets()[0];
    assert_eq!(revoked.reason(), "justice minister retired");
    assert_eq!(revoked.revoked_at().to_string(), "2027-03-01T09:00:00Z");
    assert_eq!(manifest.revocation(revoked.set_id()), Some(revoked));
    let pretty = manifest.to_pretty_json().unwrap();
    assert_eq!(Manifest::parse(&pretty).unwrap(), manifest);
    let text = std::str::from_utf8(&pretty).unwrap();
    assert!(
        text.contains("\"tool_version\": \"0.1.0\",\n  \"revoked_sets\": [\n"),
        "{text}"
    );
    let canonical = std::str::from_utf8(manifest.canonical_bytes()).unwrap();
    assert!(
        canonical.contains(",\"revoked_sets\":[{\"epoch\":1,\"reason\":"),
        "{canonical}"
    );
    let mut other_reason = value.clone();
    other_reason["revoked_sets"][0]["reason"] = json!("lost share");
    assert_ne!(parse(&other_reason).unwrap().digest(), manifest.digest());
}

#[test]
fn every_bad_revoked_set_is_refused_by_name() {
    let domain = Domain::new("ee-registries");
    let good = with_revoked_fixture_set(&manifest_json(&domain.manifest_path()));
    let entry = good["revoked_sets"][0].clone();
    let cases: Vec<(&str, Value, &str)> = vec![
        ("/revoked_sets", json!([]), "`revoked_sets` is empty"),
        (
            "/revoked_sets/0/set_id",
            json!("a0a1"),
            "`revoked_sets[0].set_id`",
        ),
        (
            "/revoked_sets/0/set_id",
            json!("A0A1A2A3A4A5A6A7A8A9AAABACADAEAF"),
            "`revoked_sets[0].set_id`",
        ),
        (
            "/revoked_sets/0/set_id",
            good["set_id"].clone(),
            "`revoked_sets[0].set_id` is the current share set",
        ),
        (
            "/revoked_sets/0/epoch",
            json!(2),
            "`revoked_sets[0].epoch` is 2",
        ),
        (
            "/revoked_sets/0/epoch",
            json!(4_294_967_296_u64),
            "`revoked_sets[0].epoch`",
        ),
        (
            "/revoked_sets/0/revoked_at",
            json!("2027-03-01"),
            "`revoked_sets[0].revoked_at`",
        ),
        (
            "/revoked_sets/0/revoked_at",
            json!("2027-02-30T00:00:00Z"),
            "`revoked_sets[0].revoked_at`",
        ),
        (
            "/revoked_sets/0/reason",
            json!(" "),
            "`revoked_sets[0].reason`",
        ),
        (
            "/revoked_sets/0/reason",
            json!("a\nb"),
            "`revoked_sets[0].reason`",
        ),
        (
            "/revoked_sets/0/reason",
            json!("r".repeat(257)),
            "`revoked_sets[0].reason`",
        ),
        ("/revoked_sets/1", entry, "`revoked_sets[1].set_id` repeats"),
    ];
    for (pointer, replacement, named) in cases {
        let mut bad = good.clone();
        if pointer == "/revoked_sets/1" {
            bad["revoked_sets"]
                .as_array_mut()
                .unwrap()
                .push(replacement);
        } else {
            *bad.pointer_mut(pointer).unwrap() = replacement.clone();
        }
        let message = refusal(&bad);
        assert!(message.contains(named), "{pointer}: {message}");
    }
    let mut extra = good.clone();
    extra["revoked_sets"][0]["by"] = json!("cio");
    assert!(refusal(&extra).contains("unknown field `by`"));
    let mut missing = good;
    missing["revoked_sets"][0]
        .as_object_mut()
        .unwrap()
        .remove("reason");
    assert!(refusal(&missing).contains("missing field `reason`"));
}

#[test]
fn a_share_of_a_revoked_set_is_refused_with_the_date_and_reason() {
    let domain = Domain::new("ee-registries");
    let manifest = parse(&with_revoked_fixture_set(&manifest_json(
        &domain.manifest_path(),
    )))
    .unwrap();
    let error = manifest.check_share(&domain.sealed[1]).unwrap_err();
    assert!(matches!(error, ShareCheckError::Revoked { .. }), "{error}");
    assert_eq!(
        error.to_string(),
        "official ciso: this share belongs to set a0a1a2a3a4a5a6a7a8a9aaabacadaeaf, revoked on \
         2027-03-01T09:00:00Z: justice minister retired"
    );
    assert!(error.hint().contains("custody rotate"));
    let error = manifest
        .open_share(&domain.sealed[0], &passphrase("cio"))
        .unwrap_err();
    assert!(matches!(error, ShareCheckError::Revoked { .. }), "{error}");
    // A share of another domain with the same set id is not this domain's revoked share.
    let other = Domain::new("lv-registries");
    let error = manifest.check_share(&other.sealed[0]).unwrap_err();
    assert!(
        matches!(
            error,
            ShareCheckError::OtherShareSet {
                field: "domain",
                ..
            }
        ),
        "{error}"
    );
}
