//! The keyed transcript (docs/FORMAT.md 9, D57): a ceremony that holds the domain key when it
//! closes — genesis, unlock, drill, rotate, reshare — signs the digest of its close line with the
//! domain signing key, and writes the signature as the very next line, `<ceremony>.signed`.
//! Every line carries the digest of the line before it, so that signature commits to the whole
//! transcript up to the close: rewriting, reordering, inserting or removing any earlier line, even
//! with the hash chain recomputed after it, leaves a signature that no longer verifies. Lines after
//! the last signed ceremony (a reseal, which needs no quorum and cannot sign) are covered only by
//! the closing digest on the signed ceremony sheet; the check says how many there are.
//!
//! This module writes a close and its signature together, so that a `.signed` line always directly
//! follows the close it signs, and checks every `.signed` line of a transcript for the audit. The
//! signing key is derived from the domain key the ceremony holds, used for one signature and
//! dropped (it wipes itself): it is never stored, written or returned. Which verifying key belongs
//! to which epoch is not this module's to know: the caller says ([`EpochKeys`]).

use serde::Serialize;

use crate::primitives::secret::DomainKey;
use crate::primitives::signature::{Context, Signature, SigningKey, VerifyingKey};

use super::error::CeremonyError;
use super::step::{Step, CLOSE, SIGNED, SIGNED_EPOCH, SIGNED_SIGNATURE};
use super::transcript::{Entry, Transcript};

/// The domain key a ceremony holds at its close, and the epoch it is the key of.
#[derive(Debug, Clone, Copy)]
pub(super) struct ClosingKey<'k> {
    key: &'k DomainKey,
    epoch: u32,
}

impl<'k> ClosingKey<'k> {
    /// The key `key` of epoch `epoch`.
    pub(super) fn new(key: &'k DomainKey, epoch: u32) -> Self {
        Self { key, epoch }
    }
}

/// The domain key a ceremony holds from the moment its quorum rebuilds (or it makes) the key it
/// will close with, and that key's epoch; empty until then, and wiped when dropped.
#[derive(Debug, Default)]
pub(super) struct HeldKey(Option<(DomainKey, u32)>);

impl HeldKey {
    /// Holds `key`, of epoch `epoch` (in place of any key held before), and lends it back.
    pub(super) fn hold(&mut self, key: DomainKey, epoch: u32) -> &DomainKey {
        &self.0.insert((key, epoch)).0
    }

    /// The key to sign the close with, when one is held.
    pub(super) fn closing(&self) -> Option<ClosingKey<'_>> {
        self.0
            .as_ref()
            .map(|(key, epoch)| ClosingKey::new(key, *epoch))
    }
}

/// Appends `close`, a ceremony's `<ceremony>.close` step, and — when the ceremony holds the
/// domain key (`key`) — the `<ceremony>.signed` line with the domain signature over the close
/// line's digest. Returns the closing digest: the digest of the last line written.
pub(super) fn close_and_sign(
    transcript: &mut Transcript,
    close: Step,
    key: Option<ClosingKey<'_>>,
) -> Result<[u8; 32], CeremonyError> {
    let ceremony = close.closes().ok_or_else(|| {
        CeremonyError::refused(
            "only a ceremony's close is signed",
            "report this: it is a bug",
        )
    })?;
    let close_digest = transcript.append(close)?;
    let Some(ClosingKey { key, epoch }) = key else {
        return Ok(close_digest);
    };
    let signing_key = SigningKey::derive(key);
    let signature = signing_key.sign(Context::Transcript, &close_digest);
    drop(signing_key);
    let signature = signature.map_err(|e| {
        CeremonyError::failed(
            e,
            "the ceremony is closed but not signed: run `custody selftest` on this machine",
        )
    })?;
    Ok(transcript.append(Step::Signed {
        ceremony,
        epoch,
        signature,
    })?)
}

/// The domain verifying key of each epoch, as the verified manifest chain publishes it.
pub type EpochKeys<'a> = &'a dyn Fn(u32) -> Option<VerifyingKey>;

/// A ceremony whose close is signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignedCeremony {
    /// The line of its `<ceremony>.signed` entry (its close is the line before).
    pub line: usize,
    /// Its name (`genesis`, `unlock`…).
    pub ceremony: String,
    /// The epoch of the domain key that signed.
    pub epoch: u32,
}

/// What the check of a transcript's signatures found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignedReport {
    /// Every signed ceremony, in order.
    pub signed: Vec<SignedCeremony>,
    /// The line of the last signature: everything up to it is committed to by a signature.
    pub last_signed: Option<usize>,
    /// How many lines follow the last signature (all of them when none is signed): covered only
    /// by the closing digest on the signed ceremony sheet.
    pub unsigned_after: usize,
}

/// What to do when a signature line does not check out.
const ALTERED: &str = "the transcript was altered after it was written: compare it with the \
    witnesses' copies and the closing digest on the signed ceremony sheet";

/// Checks every `<ceremony>.signed` line of `entries` — the entries of a transcript whose hash
/// chain was checked (`transcript::read_closed`), so that each entry's `prev` is the digest of
/// the line before it: it directly follows a close of its own ceremony, it is in custody's form,
/// and its signature verifies, under the verifying key `key_for_epoch` gives for its epoch, over
/// the digest of that close line. The first that does not is refused, naming its line and
/// ceremony.
pub fn check_signed_ceremonies(
    entries: &[Entry],
    key_for_epoch: EpochKeys<'_>,
) -> Result<SignedReport, CeremonyError> {
    let mut signed: Vec<SignedCeremony> = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let Some((ceremony, SIGNED)) = entry.record.step.split_once('.') else {
            continue;
        };
        let line = index + 1;
        let step = &entry.record.step;
        let close = format!("{ceremony}.{CLOSE}");
        if index == 0 || entries[index - 1].record.step != close {
            return Err(CeremonyError::refused(
                format!(
                    "transcript line {line}: {step} does not directly follow a {close}: a \
                     signature stands only right after the close it signs"
                ),
                ALTERED,
            ));
        }
        let (epoch, signature, close_digest) = signed_line(entry).map_err(|problem| {
            CeremonyError::refused(
                format!("transcript line {line}: {step} is not a signature line: {problem}"),
                ALTERED,
            )
        })?;
        {
            let key = key_for_epoch(epoch).ok_or_else(|| {
                CeremonyError::refused(
                    format!(
                        "transcript line {line}: the {ceremony} ceremony is signed by the epoch \
                         {epoch} domain key, and no verifying key of epoch {epoch} is known"
                    ),
                    "check that manifest.json is this domain's, against the signed ceremony \
                     sheet, and that the transcript is the domain's own",
                )
            })?;
            key.verify(Context::Transcript, &close_digest, &signature)
                .map_err(|_| {
                    CeremonyError::refused(
                        format!(
                            "transcript line {line}: the signature of the {ceremony} ceremony \
                             closed at line {index} does not verify under the epoch {epoch} \
                             domain key: lines up to {index} were rewritten, reordered, added or \
                             removed, or the signature was forged"
                        ),
                        ALTERED,
                    )
                })?;
        }
        signed.push(SignedCeremony {
            line,
            ceremony: ceremony.to_owned(),
            epoch,
        });
    }
    let last_signed = signed.last().map(|s| s.line);
    Ok(SignedReport {
        unsigned_after: entries.len() - last_signed.unwrap_or(0),
        last_signed,
        signed,
    })
}

/// A signature line's epoch, signature and signed message (the digest of the line before, its
/// `prev`), read strictly: no actor, input or output, and exactly the two `detail` members in
/// the form custody writes them.
fn signed_line(entry: &Entry) -> Result<(u32, Signature, [u8; 32]), String> {
    let record = &entry.record;
    if !record.actors.is_empty() || !record.inputs.is_empty() || !record.outputs.is_empty() {
        return Err("it names actors, inputs or outputs".into());
    }
    if record.detail.len() != 2 {
        return Err(format!(
            "its detail must be exactly {SIGNED_EPOCH} and {SIGNED_SIGNATURE}"
        ));
    }
    let epoch_text = record
        .detail
        .get(SIGNED_EPOCH)
        .ok_or(format!("no {SIGNED_EPOCH}"))?;
    let epoch = epoch_text
        .parse::<u32>()
        .ok()
        .filter(|epoch| epoch.to_string() == *epoch_text)
        .ok_or(format!(
            "{SIGNED_EPOCH} {epoch_text:?} is not a decimal epoch"
        ))?;
    let hex_signature = record
        .detail
        .get(SIGNED_SIGNATURE)
        .ok_or(format!("no {SIGNED_SIGNATURE}"))?;
    let bytes = hex::decode(hex_signature)
        .ok()
        .filter(|bytes| hex::encode(bytes) == *hex_signature)
        .ok_or(format!("{SIGNED_SIGNATURE} is not lower-case hex"))?;
    let signature = Signature::from_bytes(&bytes).map_err(|e| e.to_string())?;
    let mut close_digest = [0u8; 32];
    hex::decode_to_slice(&entry.prev, &mut close_digest)
        .map_err(|_| "its prev is not a digest".to_owned())?;
    Ok((epoch, signature, close_digest))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use std::path::Path;

    use sha2::{Digest, Sha256};

    use super::*;
    use crate::ceremony::step::Ceremony;
    use crate::ceremony::transcript::{read_closed, IfMissing};
    use crate::domain::ManifestDigest;

    fn domain_key(byte: u8) -> DomainKey {
        DomainKey::from_bytes(&mut [byte; 32])
    }

    fn verifying_key(byte: u8) -> VerifyingKey {
        SigningKey::derive(&domain_key(byte)).verifying_key()
    }

    /// Epoch 1 is the key of bytes 0x11, epoch 2 the key of bytes 0x22.
    fn key_of_epoch(epoch: u32) -> Option<VerifyingKey> {
        match epoch {
            1 => Some(verifying_key(0x11)),
            2 => Some(verifying_key(0x22)),
            _ => None,
        }
    }

    fn check(entries: &[Entry]) -> Result<SignedReport, CeremonyError> {
        check_signed_ceremonies(entries, &key_of_epoch)
    }

    /// A drill: its begin, a share accepted and its close, signed when `key` is given.
    fn drill(transcript: &mut Transcript, key: Option<ClosingKey<'_>>) -> [u8; 32] {
        transcript
            .append(Step::DrillBegun {
                manifest: ManifestDigest::of(b"manifest"),
                offered: 3,
            })
            .unwrap();
        transcript
            .append(Step::ShareAccepted {
                ceremony: Ceremony::Drill,
                official: "cio".into(),
                fingerprint: "ab".repeat(32),
                request: None,
            })
            .unwrap();
        close_and_sign(
            transcript,
            Step::DrillClosed {
                accepted: vec!["cio".into(), "ria".into()],
                outcome: "pass".into(),
                seconds: 1.0,
            },
            key,
        )
        .unwrap()
    }

    /// Lines 1–3 a drill signed by epoch 1 (line 4), 5–7 one that never held the key, 8–10 one
    /// signed by epoch 2 (line 11).
    fn write(path: &Path) {
        let mut transcript = Transcript::create(path).unwrap();
        let (one, two) = (domain_key(0x11), domain_key(0x22));
        drill(&mut transcript, Some(ClosingKey::new(&one, 1)));
        drill(&mut transcript, None);
        let closing = drill(&mut transcript, Some(ClosingKey::new(&two, 2)));
        assert_eq!(hex::encode(closing), transcript.head());
    }

    fn entries(path: &Path) -> Vec<Entry> {
        read_closed(path).unwrap().entries
    }

    fn lines(path: &Path) -> Vec<String> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// A forger: writes `lines`, recomputing every `prev` from the first line on, so that the
    /// hash chain is whole again.
    fn rechain(path: &Path, lines: &[String]) {
        let mut prev = hex::encode([0u8; 32]);
        let mut text = String::new();
        for (index, line) in lines.iter().enumerate() {
            let mut entry: Entry = serde_json::from_str(line).unwrap();
            entry.seq = index as u64 + 1;
            entry.prev = prev;
            let line = serde_json::to_string(&entry).unwrap();
            prev = hex::encode(Sha256::digest(line.as_bytes()));
            text += &format!("{line}\n");
        }
        std::fs::write(path, text).unwrap();
    }

    fn refusal(entries: &[Entry]) -> String {
        check(entries).unwrap_err().to_string()
    }

    #[test]
    fn a_signed_transcript_reports_each_signed_ceremony_and_what_follows_unsigned() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("transcript.jsonl");
        write(&path);
        let mut transcript = Transcript::open(&path, IfMissing::Refuse).unwrap();
        drill(&mut transcript, None);
        drop(transcript);
        let report = check(&entries(&path)).unwrap();
        let signed = |line, epoch| SignedCeremony {
            line,
            ceremony: "drill".into(),
            epoch,
        };
        assert_eq!(report.signed, vec![signed(4, 1), signed(11, 2)]);
        assert_eq!(report.last_signed, Some(11));
        assert_eq!(report.unsigned_after, 3);
        let lines = lines(&path);
        assert!(lines[3].starts_with(r#"{"seq":4,"#));
        assert!(lines[3].contains(r#""step":"drill.signed","actors":[],"inputs":{},"outputs":{},"detail":{"epoch":"1","signature":"01"#));
    }

    #[test]
    fn an_edited_line_with_the_chain_recomputed_is_refused_at_the_next_signature() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("transcript.jsonl");
        write(&path);
        let original = lines(&path);
        for (index, expected) in [(1, 4), (4, 11), (7, 11), (8, 11)] {
            let mut forged = original.clone();
            forged[index] = forged[index]
                .replacen("\"3\"", "\"2\"", 1)
                .replacen("\"cio\"", "\"ria\"", 1);
            assert_ne!(forged[index], original[index]);
            rechain(&path, &forged);
            let refusal = refusal(&entries(&path));
            assert!(
                refusal.starts_with(&format!("transcript line {expected}: the signature of the drill ceremony closed at line {}", expected - 1)),
                "edit of line {}: {refusal}",
                index + 1
            );
        }
        // After the last signature, an edit is not the signatures' to find.
        let mut forged = original.clone();
        forged.push(original[2].replacen("\"pass\"", "\"FAIL\"", 1));
        rechain(&path, &forged);
        assert_eq!(check(&entries(&path)).unwrap().unsigned_after, 1);
    }

    #[test]
    fn reordered_or_removed_lines_with_the_chain_recomputed_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("transcript.jsonl");
        write(&path);
        let original = lines(&path);
        let mut swapped = original.clone();
        swapped.swap(0, 1);
        rechain(&path, &swapped);
        assert!(refusal(&entries(&path)).starts_with("transcript line 4: the signature"));
        let mut cut = original.clone();
        cut.drain(4..7);
        rechain(&path, &cut);
        assert!(refusal(&entries(&path)).starts_with("transcript line 8: the signature"));
    }

    #[test]
    fn a_signature_line_anywhere_but_right_after_its_close_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("transcript.jsonl");
        write(&path);
        let original = lines(&path);
        let mut moved = original.clone();
        let signature = moved.remove(3);
        moved.insert(1, signature);
        rechain(&path, &moved);
        assert!(refusal(&entries(&path))
            .starts_with("transcript line 2: drill.signed does not directly follow a drill.close"));
        let mut renamed = original.clone();
        renamed[3] = renamed[3].replace("drill.signed", "unlock.signed");
        rechain(&path, &renamed);
        assert!(refusal(&entries(&path)).starts_with(
            "transcript line 4: unlock.signed does not directly follow a unlock.close"
        ));
        let mut first = original.clone();
        first.insert(0, original[3].clone());
        rechain(&path, &first);
        assert!(refusal(&entries(&path)).starts_with("transcript line 1: drill.signed"));
    }

    #[test]
    fn a_forged_signature_line_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("transcript.jsonl");
        write(&path);
        let mut entries = entries(&path);
        // Signed by a key that is not epoch 1's.
        let stranger = SigningKey::derive(&domain_key(0x33))
            .sign(Context::Transcript, &[0; 32])
            .unwrap();
        let forge = |entries: &mut Vec<Entry>, name: &str, value: String| {
            entries[3].record.detail.insert(name.into(), value);
        };
        let original = entries.clone();
        forge(
            &mut entries,
            SIGNED_SIGNATURE,
            hex::encode(stranger.as_bytes()),
        );
        assert!(refusal(&entries).starts_with("transcript line 4: the signature of the drill"));
        // The right signature, claimed by another epoch.
        let mut entries = original.clone();
        forge(&mut entries, SIGNED_EPOCH, "2".into());
        assert!(refusal(&entries).contains("does not verify under the epoch 2 domain key"));
        let mut entries = original.clone();
        forge(&mut entries, SIGNED_EPOCH, "9".into());
        assert!(refusal(&entries).contains("no verifying key of epoch 9 is known"));
        // The signature made for the manifest chain does not pass for a transcript's.
        let manifest_signature = SigningKey::derive(&domain_key(0x11))
            .sign(Context::Manifest, &hex::decode(&original[3].prev).unwrap())
            .unwrap();
        let mut entries = original.clone();
        forge(
            &mut entries,
            SIGNED_SIGNATURE,
            hex::encode(manifest_signature.as_bytes()),
        );
        assert!(refusal(&entries).contains("does not verify"));
    }

    #[test]
    fn a_signature_line_not_in_custodys_form_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("transcript.jsonl");
        write(&path);
        let original = entries(&path);
        let signature = original[3].record.detail[SIGNED_SIGNATURE].clone();
        type Alter = fn(&mut Entry, &str);
        let cases: [(&str, Alter); 7] = [
            ("actors", |e, _| e.record.actors.push("cio".into())),
            ("actors, inputs or outputs", |e, _| {
                e.record.outputs.insert("manifest.json".into(), "ab".into());
            }),
            ("exactly epoch and signature", |e, _| {
                e.record.detail.insert("note".into(), "x".into());
            }),
            ("not a decimal epoch", |e, _| {
                e.record.detail.insert(SIGNED_EPOCH.into(), "01".into());
            }),
            ("not lower-case hex", |e, s| {
                e.record
                    .detail
                    .insert(SIGNED_SIGNATURE.into(), s.to_uppercase());
            }),
            ("3374 bytes", |e, s| {
                e.record
                    .detail
                    .insert(SIGNED_SIGNATURE.into(), s[2..].to_owned());
            }),
            ("algorithm", |e, s| {
                e.record
                    .detail
                    .insert(SIGNED_SIGNATURE.into(), format!("02{}", &s[2..]));
            }),
        ];
        for (expected, alter) in cases {
            let mut entries = original.clone();
            alter(&mut entries[3], &signature);
            let refusal = check_signed_ceremonies(&entries, &|_| None)
                .unwrap_err()
                .to_string();
            assert!(
                refusal.starts_with("transcript line 4: drill.signed is not a signature line")
                    && refusal.contains(expected),
                "{expected}: {refusal}"
            );
        }
    }

    #[test]
    fn only_a_close_is_signed_and_its_signature_is_of_the_close_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("transcript.jsonl");
        let mut transcript = Transcript::create(&path).unwrap();
        let key = domain_key(0x11);
        let not_a_close = close_and_sign(
            &mut transcript,
            Step::ResealBegun {
                official: "cio".into(),
            },
            Some(ClosingKey::new(&key, 1)),
        );
        assert!(not_a_close.is_err());
        assert_eq!(transcript.head(), hex::encode([0u8; 32]));
        let closed = Step::DrillClosed {
            accepted: Vec::new(),
            outcome: "pass".into(),
            seconds: 0.0,
        };
        assert_eq!(closed.closes(), Some(Ceremony::Drill));
        close_and_sign(&mut transcript, closed, Some(ClosingKey::new(&key, 1))).unwrap();
        let lines = lines(&path);
        let signed: Entry = serde_json::from_str(&lines[1]).unwrap();
        let signature =
            Signature::from_bytes(&hex::decode(&signed.record.detail[SIGNED_SIGNATURE]).unwrap())
                .unwrap();
        let close_digest = Sha256::digest(lines[0].as_bytes());
        verifying_key(0x11)
            .verify(Context::Transcript, &close_digest, &signature)
            .unwrap();
    }
}
