//! Damage to the text formats: manifest and rotation journal (JSON objects), transcript (JSON
//! Lines), officials file (TOML) and secret files (PIN, passphrase). Each is cut at its structural
//! boundaries (every line), edited one value at a time (a byte flipped, a wrong type, a missing,
//! unknown or repeated member, an oversized number, an unknown version), and replaced by garbage.

use serde_json::{json, Value};

use super::damage::{garbage, Case};

/// The text cut after every line but the last.
pub fn line_truncations(text: &[u8]) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut end = 0;
    for line in text.split_inclusive(|b| *b == b'\n') {
        end += line.len();
        if end < text.len() {
            cases.push(Case::broken(
                format!("truncated-after-line-{}", cases.len() + 1),
                text[..end].to_vec(),
            ));
        }
    }
    cases.push(Case::broken(
        "truncated-mid-last-line",
        text[..text.len() - 3].to_vec(),
    ));
    cases
}

/// The first byte of `member`'s value (inside a string's quotes) in `text` XORed with `mask`.
pub fn flip_value(text: &[u8], member: &str, mask: u8) -> Option<Vec<u8>> {
    let needle = format!("\"{member}\":");
    let at = text
        .windows(needle.len())
        .position(|w| w == needle.as_bytes())?;
    let mut i = at + needle.len();
    while text[i] == b' ' {
        i += 1;
    }
    if text[i] == b'"' {
        i += 1;
    }
    let mut damaged = text.to_vec();
    damaged[i] ^= mask;
    Some(damaged)
}

fn object(text: &[u8]) -> serde_json::Map<String, Value> {
    serde_json::from_slice::<Value>(text)
        .unwrap()
        .as_object()
        .unwrap()
        .clone()
}

fn encode(value: &serde_json::Map<String, Value>) -> Vec<u8> {
    serde_json::to_vec_pretty(value).unwrap()
}

/// A value of the wrong JSON type for `value`.
fn wrong_type(value: &Value) -> Value {
    match value {
        Value::String(_) => json!(7),
        Value::Number(_) => json!("7"),
        Value::Array(_) => json!({}),
        _ => json!([]),
    }
}

/// Per member of a JSON object: missing, of the wrong type, and its first byte flipped.
pub fn member_edits(text: &[u8], prefix: &str) -> Vec<Case> {
    let original = object(text);
    let mut cases = Vec::new();
    for (member, value) in &original {
        let mut missing = original.clone();
        missing.remove(member);
        cases.push(Case::broken(
            format!("{prefix}missing-{member}"),
            encode(&missing),
        ));
        let mut mistyped = original.clone();
        mistyped.insert(member.clone(), wrong_type(value));
        cases.push(Case::broken(
            format!("{prefix}wrong-type-{member}"),
            encode(&mistyped),
        ));
        if let Some(flipped) = flip_value(text, member, 0x01) {
            cases.push(Case::well_formed(
                format!("{prefix}byte-flipped-{member}"),
                flipped,
            ));
        }
    }
    let mut extra = original.clone();
    extra.insert("comment".into(), json!("hello"));
    cases.push(Case::broken(
        format!("{prefix}unknown-member"),
        encode(&extra),
    ));
    cases
}

/// Every damage of the manifest (FORMAT.md section 6).
pub fn manifest(text: &[u8], other_domain: &[u8], other_epoch: &[u8]) -> Vec<Case> {
    let mut cases = super::damage::common(text);
    cases.extend(line_truncations(text));
    cases.extend(member_edits(text, ""));
    let original = object(text);
    let with = |member: &str, value: Value| {
        let mut edited = original.clone();
        edited.insert(member.into(), value);
        encode(&edited)
    };
    for (name, member, value) in [
        ("unknown-version", "version", json!(5)),
        ("version-1", "version", json!(1)),
        ("version-2-unsigned", "version", json!(2)),
        ("version-3-no-tokens", "version", json!(3)),
        ("tokens-empty", "tokens", json!([])),
        ("tokens-not-a-list", "tokens", json!("home")),
        ("previous-at-genesis", "previous", json!("00".repeat(32))),
        ("chain-position-negative", "chain_position", json!(-1)),
        (
            "domain-fingerprint-short",
            "domain_fingerprint",
            json!("00"),
        ),
        (
            "domain-fingerprint-not-its-key",
            "domain_fingerprint",
            json!("11".repeat(32)),
        ),
        ("verifying-key-short", "verifying_key", json!("01")),
        (
            "verifying-key-other-algorithm",
            "verifying_key",
            json!("02".repeat(1985)),
        ),
        ("signature-short", "signature", json!("01")),
        ("signature-garbage", "signature", json!("01".repeat(3374))),
        ("version-zero", "version", json!(0)),
        ("other-format", "format", json!("custody-manifest-v2")),
        ("epoch-over-u32", "epoch", json!(4_294_967_296_u64)),
        ("epoch-negative", "epoch", json!(-1)),
        ("epoch-fraction", "epoch", json!(1.5)),
        ("threshold-over-u8", "threshold", json!(258)),
        ("threshold-over-officials", "threshold", json!(4)),
        ("version-over-u64", "version", json!(1e30)),
        ("empty-revoked-sets", "revoked_sets", json!([])),
        (
            "set-id-upper-case",
            "set_id",
            json!(original["set_id"].as_str().unwrap().to_uppercase()),
        ),
        (
            "created-30-february",
            "created",
            json!("2026-02-30T10:00:00Z"),
        ),
    ] {
        cases.push(Case::broken(name, with(member, value)));
    }
    let mut officials = original["officials"].as_array().unwrap().clone();
    let first = officials[0].as_object().unwrap().clone();
    for (name, member, value) in [
        ("officials0-share-id-over-u8", "share_id", json!(257)),
        ("officials0-share-id-zero", "share_id", json!(0)),
        ("officials0-unknown-member", "comment", json!("x")),
        ("officials0-wrong-type-id", "id", json!(5)),
        (
            "officials0-fingerprint-short",
            "share_fingerprint",
            json!("00"),
        ),
    ] {
        let mut entry = first.clone();
        entry.insert(member.into(), value);
        officials[0] = Value::Object(entry);
        cases.push(Case::broken(
            name,
            with("officials", Value::Array(officials.clone())),
        ));
    }
    for member in ["id", "name", "role", "share_id", "share_fingerprint"] {
        let mut entry = first.clone();
        entry.remove(member);
        officials[0] = Value::Object(entry);
        cases.push(Case::broken(
            format!("officials0-missing-{member}"),
            with("officials", Value::Array(officials.clone())),
        ));
    }
    let oversized_number =
        String::from_utf8_lossy(text).replacen("\"epoch\": 1", "\"epoch\": 1e400", 1);
    cases.push(Case::broken("epoch-1e400", oversized_number.into_bytes()));
    let repeated = String::from_utf8_lossy(text).replacen('{', "{\n  \"epoch\": 1,", 1);
    cases.push(Case::broken("repeated-member", repeated.into_bytes()));
    let mut bom = b"\xef\xbb\xbf".to_vec();
    bom.extend_from_slice(text);
    cases.push(Case::broken("byte-order-mark", bom));
    let mut padded = text.to_vec();
    padded.resize(1024 * 1024 + 1, b' ');
    cases.push(Case::broken("larger-than-1-mib", padded));
    cases.push(Case::broken(
        "not-utf8",
        flip_value(text, "name", 0x80).unwrap(),
    ));
    cases.push(Case::broken("json-array", b"[1, 2, 3]\n".to_vec()));
    cases.push(Case::broken("json-null", b"null".to_vec()));
    cases.push(Case::broken("whitespace", b" \n\t\n".to_vec()));
    cases.push(Case::well_formed("other-domain", other_domain.to_vec()));
    cases.push(Case::well_formed("other-epoch", other_epoch.to_vec()));
    cases
}

/// Every damage of a transcript (FORMAT.md section 9). `text` has at least three lines.
pub fn transcript(text: &[u8], other_domain: &[u8], other_epoch: &[u8]) -> Vec<Case> {
    let mut cases = super::damage::common(text);
    cases.extend(line_truncations(text));
    let lines: Vec<&[u8]> = text[..text.len() - 1].split(|b| *b == b'\n').collect();
    let join = |lines: &[Vec<u8>]| {
        let mut out = lines.join(&b'\n');
        out.push(b'\n');
        out
    };
    let owned: Vec<Vec<u8>> = lines.iter().map(|l| l.to_vec()).collect();
    let last = owned.len() - 1;
    for (which, index) in [("first", 0), ("last", last)] {
        let edit = |name: &str, line: Vec<u8>, cases: &mut Vec<Case>| {
            let mut edited = owned.clone();
            edited[index] = line;
            cases.push(Case::broken(format!("{which}-line-{name}"), join(&edited)));
        };
        for member in [
            "seq", "time", "step", "actors", "inputs", "outputs", "detail", "prev",
        ] {
            if let Some(flipped) = flip_value(&owned[index], member, 0x01) {
                edit(&format!("byte-flipped-{member}"), flipped, &mut cases);
            }
        }
        let mut entry = object(&owned[index]);
        entry.insert("comment".into(), json!("x"));
        edit(
            "unknown-member",
            serde_json::to_vec(&entry).unwrap(),
            &mut cases,
        );
        let mut entry = object(&owned[index]);
        entry.insert("seq".into(), json!("1"));
        edit(
            "wrong-type-seq",
            serde_json::to_vec(&entry).unwrap(),
            &mut cases,
        );
        let mut entry = object(&owned[index]);
        entry.remove("prev");
        edit(
            "missing-prev",
            serde_json::to_vec(&entry).unwrap(),
            &mut cases,
        );
        let oversized = String::from_utf8_lossy(&owned[index]).replacen(
            "\"seq\":",
            "\"seq\":100000000000000000000",
            1,
        );
        edit("seq-over-u64", oversized.into_bytes(), &mut cases);
        let mut entry = object(&owned[index]);
        entry.insert("detail".into(), json!({ "pad": "x".repeat(70_000) }));
        edit(
            "line-over-64-kib",
            serde_json::to_vec(&entry).unwrap(),
            &mut cases,
        );
    }
    let mut swapped = owned.clone();
    swapped.swap(1, 2);
    cases.push(Case::broken("lines-swapped", join(&swapped)));
    let mut removed = owned.clone();
    removed.remove(1);
    cases.push(Case::broken("line-removed", join(&removed)));
    let mut duplicated = owned.clone();
    duplicated.insert(1, owned[1].clone());
    cases.push(Case::broken("line-duplicated", join(&duplicated)));
    let mut blank = owned.clone();
    blank.insert(1, Vec::new());
    cases.push(Case::broken("blank-line", join(&blank)));
    let crlf = String::from_utf8_lossy(text).replace('\n', "\r\n");
    cases.push(Case::broken("crlf-line-ends", crlf.into_bytes()));
    let mut not_utf8 = text.to_vec();
    not_utf8[20] = 0xff;
    cases.push(Case::broken("not-utf8", not_utf8));
    cases.push(Case::broken("other-domain", other_domain.to_vec()));
    cases.push(Case::broken("other-epoch", other_epoch.to_vec()));
    cases
}

/// Every damage of an officials file whose officials are all needed (threshold = their number).
pub fn officials(text: &[u8]) -> Vec<Case> {
    let mut cases = super::damage::common(text);
    let mut end = 0;
    let meaningful = text.len()
        - text
            .iter()
            .rev()
            .take_while(|b| b.is_ascii_whitespace())
            .count();
    for line in text.split_inclusive(|b| *b == b'\n') {
        end += line.len();
        if end < meaningful {
            cases.push(Case::broken(
                format!("truncated-after-line-{}", cases.len()),
                text[..end].to_vec(),
            ));
        }
    }
    let textual = String::from_utf8_lossy(text).into_owned();
    for member in ["id", "name", "role"] {
        let needle = format!("{member} = \"");
        let at = textual.find(&needle).unwrap() + needle.len();
        let mut flipped = text.to_vec();
        flipped[at] ^= 0x80;
        cases.push(Case::broken(format!("byte-flipped-{member}"), flipped));
    }
    let edits = [
        ("id-upper-case", textual.replacen("id = \"c", "id = \"C", 1)),
        (
            "wrong-type-id",
            textual.replacen("id = \"cio\"", "id = 5", 1),
        ),
        (
            "wrong-type-name",
            textual.replacen("name = \"Official cio\"", "name = true", 1),
        ),
        (
            "missing-role",
            textual.replacen("role = \"Role of cio\"\n", "", 1),
        ),
        (
            "unknown-key",
            textual.replacen("[[official]]\n", "[[official]]\ncolour = \"red\"\n", 1),
        ),
        (
            "unknown-table",
            textual.replace("[[official]]", "[[officer]]"),
        ),
        (
            "table-not-array",
            textual.replacen("[[official]]", "[official]", 1),
        ),
        (
            "duplicate-id",
            textual.replacen("id = \"justice\"", "id = \"cio\"", 1),
        ),
        (
            "id-too-long",
            textual.replacen("id = \"cio\"", &format!("id = \"{}\"", "c".repeat(33)), 1),
        ),
        (
            "control-character-in-name",
            textual.replacen("Official cio", "Official\\u0007cio", 1),
        ),
        (
            "blank-name",
            textual.replacen("\"Official cio\"", "\"   \"", 1),
        ),
        (
            "unterminated-string",
            textual.replacen("\"Official cio\"", "\"Official cio", 1),
        ),
        (
            "too-many-officials",
            (0..256)
                .map(|i| format!("[[official]]\nid = \"o{i}\"\nname = \"O\"\nrole = \"R\"\n"))
                .collect(),
        ),
        (
            "larger-than-256-kib",
            format!("{textual}{}", "# padding\n".repeat(27_000)),
        ),
    ];
    for (name, edited) in edits {
        cases.push(Case::broken(name, edited.into_bytes()));
    }
    cases
}

/// Every damage of a secret file holding `secret`; `other` is someone else's valid secret.
pub fn secret(secret: &str, other: &str) -> Vec<Case> {
    let mut flipped = secret.as_bytes().to_vec();
    flipped[0] ^= 0x01;
    vec![
        Case::broken("empty", Vec::new()),
        Case::broken("newline-only", b"\n".to_vec()),
        Case::broken("crlf-only", b"\r\n".to_vec()),
        Case::broken("larger-than-4096-bytes", vec![b'1'; 4097]),
        Case::broken("not-utf8", vec![0xff, 0xfe, b'1', b'2']),
        Case::broken("truncated", secret.as_bytes()[..secret.len() / 2].to_vec()),
        Case::broken("byte-flipped", flipped),
        Case::broken(
            "two-trailing-newlines",
            format!("{secret}\n\n").into_bytes(),
        ),
        Case::broken("another-secret", other.as_bytes().to_vec()),
        Case::broken("garbage", garbage(5, 64)),
    ]
}
