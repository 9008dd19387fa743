//! A small domain built through the public library API: a 3-of-5 share set of a fresh domain key,
//! five share files sealed with tiny KDF costs (tests only), and the manifest that records them,
//! written to a temporary directory laid out as genesis will lay it out.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use custody::ceremony::transcript::{Record, Transcript};
use custody::domain::{
    ChainLink, EnrolledToken, Manifest, ManifestFields, Official, OfficialEntry, OfficialId,
    Timestamp,
};
use custody::primitives::kdf::KdfParams;
use custody::primitives::key_identity::{Kcv, KeyId, WrapCheck};
use custody::primitives::secret::{DomainKey, Passphrase};
use custody::primitives::signature::SigningKey;
use custody::shares::sealed::{SealedShare, ShareHeader};
use custody::shares::{generate_domain_key, split, Share};

pub const OFFICIALS: [(&str, &str, &str); 5] = [
    ("cio", "Government CIO", "Office of the Government CIO"),
    ("ciso", "State CISO", "Information System Authority"),
    ("archivist", "National Archivist", "National Archives"),
    ("auditor", "Auditor General", "National Audit Office"),
    ("embassy", "Embassy Operator", "Data Embassy Operations"),
];

pub const THRESHOLD: u8 = 3;

/// Each official's passphrase in the fixture: unmistakable so tests can search output for it.
pub fn passphrase_text(official: &str) -> String {
    format!("pass-{official}-Zebra-Quartz-91")
}

pub fn passphrase(official: &str) -> Passphrase {
    Passphrase::from(passphrase_text(official))
}

pub fn tiny() -> KdfParams {
    KdfParams::new(8, 1, 1).unwrap()
}

/// Everything a test needs about one fixture domain.
pub struct Domain {
    pub dir: tempfile::TempDir,
    pub key: DomainKey,
    pub shares: Vec<Share>,
    pub sealed: Vec<SealedShare>,
    pub manifest: Manifest,
}

impl Domain {
    /// A domain `name`, epoch 1, with its files written under a temporary directory.
    pub fn new(name: &str) -> Self {
        let key = generate_domain_key(None).unwrap();
        let (shares, verifier_set) = split(&key, THRESHOLD, 5).unwrap();
        let set_id: [u8; 16] = std::array::from_fn(|i| u8::try_from(i).unwrap() + 0xa0);
        // The genesis manifest of the domain: chain position 0, signed by its own key.
        let signing_key = SigningKey::derive(&key);
        let verifying_key = signing_key.verifying_key();
        let domain_fingerprint = verifying_key.fingerprint();
        let sealed: Vec<SealedShare> = shares
            .iter()
            .zip(OFFICIALS)
            .map(|(share, (id, _, _))| {
                let header = ShareHeader {
                    domain: name.into(),
                    epoch: 1,
                    set_id,
                    chain_position: 0,
                    domain_fingerprint,
                    share_id: share.identifier(),
                    official: id.into(),
                    threshold: THRESHOLD,
                };
                SealedShare::seal(&share.to_bytes(), header, &passphrase(id), tiny()).unwrap()
            })
            .collect();
        let officials = OFFICIALS
            .iter()
            .zip(&sealed)
            .map(|((id, name, role), file)| {
                let official = Official::new(OfficialId::new(*id).unwrap(), *name, *role).unwrap();
                OfficialEntry::new(official, file.header().share_id, file.fingerprint())
            })
            .collect();
        let manifest = Manifest::new(
            ManifestFields {
                domain: name.into(),
                epoch: 1,
                set_id,
                officials,
                verifier_set,
                key_id: KeyId::of(&key),
                kcv: Kcv::of(&key),
                wrap_check: WrapCheck::of(&key),
                created: Timestamp::parse("2026-11-26T20:40:05Z").unwrap(),
                revoked_sets: Vec::new(),
                tokens: vec![EnrolledToken::new(
                    "0123456789abcdef",
                    "home",
                    "SoftHSM project",
                    "SoftHSM v2",
                    Some("Tallinn".into()),
                    Timestamp::parse("2026-11-26T20:40:05Z").unwrap(),
                )
                .unwrap()],
                link: ChainLink {
                    position: 0,
                    previous: None,
                    domain_fingerprint,
                    verifying_key,
                },
            },
            &signing_key,
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("shares")).unwrap();
        manifest.save(&dir.path().join("manifest.json")).unwrap();
        for (file, (id, _, _)) in sealed.iter().zip(OFFICIALS) {
            std::fs::write(
                dir.path().join(format!("shares/{id}.share")),
                file.to_bytes(),
            )
            .unwrap();
        }
        Self {
            dir,
            key,
            shares,
            sealed,
            manifest,
        }
    }

    pub fn manifest_path(&self) -> PathBuf {
        self.dir.path().join("manifest.json")
    }

    /// The genesis manifest made again, enrolling the token of `serial` and `label` instead of
    /// the fixture's placeholder token, and saved: for tests that run ceremonies on a real token.
    pub fn enrol(&mut self, serial: &str, label: &str) {
        let mut fields = self.manifest.fields().clone();
        let enrolled = fields.tokens[0].enrolled();
        fields.tokens = vec![EnrolledToken::new(
            serial,
            label,
            "SoftHSM project",
            "SoftHSM v2",
            None,
            enrolled,
        )
        .unwrap()];
        self.manifest = Manifest::new(fields, &SigningKey::derive(&self.key)).unwrap();
        self.manifest.save(&self.manifest_path()).unwrap();
    }

    pub fn share_path(&self, official: &str) -> PathBuf {
        self.dir.path().join(format!("shares/{official}.share"))
    }

    pub fn transcript_path(&self) -> PathBuf {
        self.dir.path().join("transcript.jsonl")
    }

    /// Writes the transcript a genesis leaves beside the manifest, reduced to `genesis.begin` and
    /// `genesis.close` recording the manifest: the domain's record, which `share reseal` needs.
    pub fn write_transcript(&self) -> PathBuf {
        let path = self.transcript_path();
        let officials: Vec<String> = OFFICIALS.iter().map(|(id, _, _)| (*id).into()).collect();
        let mut transcript = Transcript::create(&path).unwrap();
        transcript
            .append(Record {
                step: "genesis.begin".into(),
                actors: officials.clone(),
                ..Record::default()
            })
            .unwrap();
        transcript
            .append(Record {
                step: "genesis.close".into(),
                actors: officials,
                outputs: [("manifest.json".into(), self.manifest.digest().to_string())].into(),
                ..Record::default()
            })
            .unwrap();
        path
    }

    /// Writes `official`'s passphrase (with the trailing newline `echo` adds) to a file.
    pub fn passphrase_file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, format!("{text}\n")).unwrap();
        // Private, as custody wants a passphrase file.
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
        path
    }
}

/// The manifest file as a JSON value, for tests that edit one field.
pub fn manifest_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}
