//! What a ceremony records: every step a ceremony writes to its transcript, as a typed value, and
//! the one place where each becomes the `step`, `actors`, `inputs`, `outputs` and `detail` of its
//! transcript line (docs/FORMAT.md section 9), so no step can be spelled two ways. It names files
//! as they stand in the domain directory and records each by the digest that identifies it. It
//! never writes anything itself, and never holds a secret: every field is a public fact.

use std::collections::BTreeMap;

use crate::domain::{EnrolledToken, ManifestDigest, RevokedSet};
use crate::hsm::{Persistence, TokenDescription};
use crate::primitives::kdf::KdfParams;
use crate::primitives::key_identity::{Kcv, KeyId};
use crate::primitives::signature::Signature;
use crate::shares::sealed::SET_ID_LEN;

use super::transcript::Record;

/// The manifest's name in `inputs` and `outputs`.
pub const MANIFEST: &str = "manifest.json";

/// The action of `reshare.set-revoked`, which an audit looks for.
const SET_REVOKED: &str = "set-revoked";

/// The step that starts a transcript anew, which an audit warns of.
const STARTED_ANEW: &str = "transcript-started-anew";

/// The step that records argon2id costs below the defaults.
const INSECURE_KDF: &str = "insecure-kdf";

/// The `detail` of `reshare.set-revoked` naming the set revoked.
const REVOKED_SET_ID: &str = "revoked_set_id";

/// The action that closes a ceremony.
pub(super) const CLOSE: &str = "close";

/// The action of the line that signs a ceremony's close (`<ceremony>.signed`).
pub(super) const SIGNED: &str = "signed";

/// The `detail` of `<ceremony>.signed` naming the epoch of the key that signed.
pub(super) const SIGNED_EPOCH: &str = "epoch";

/// The `detail` of `<ceremony>.signed` holding the signature, lower-case hex.
pub(super) const SIGNED_SIGNATURE: &str = "signature";

/// The ceremony a step belongs to: the part of `step` before the dot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ceremony {
    /// `genesis`: a domain is created.
    Genesis,
    /// `unlock`: a quorum rebuilds the key into a token.
    Unlock,
    /// `drill`: a restore rehearsal.
    Drill,
    /// `rotate`: a new epoch with a new key.
    Rotate,
    /// `reshare`: the same key split for new officials.
    Reshare,
    /// `reseal`: one official's share under a new passphrase.
    Reseal,
    /// `key`: a domain key object removed from a token (`custody hsm destroy`).
    Key,
    /// `secret`: a secret custody generated and sealed (`custody secret new`).
    Secret,
    /// `recover`: a quorum rebuilds the key in memory, without an HSM, to open archives.
    Recover,
    /// `request`: a contribution request issued (`custody request`), a line of its own.
    Request,
}

impl Ceremony {
    /// The name the transcript uses.
    pub fn name(self) -> &'static str {
        match self {
            Self::Genesis => "genesis",
            Self::Unlock => "unlock",
            Self::Drill => "drill",
            Self::Rotate => "rotate",
            Self::Reshare => "reshare",
            Self::Reseal => "reseal",
            Self::Key => "key",
            Self::Secret => "secret",
            Self::Recover => "recover",
            Self::Request => "request",
        }
    }
}

/// A share file, as `inputs` and `outputs` name it: `shares/<official-id>.share`.
pub fn share_file(official: &str) -> String {
    format!("shares/{official}.share")
}

/// One step of a ceremony, with the public facts it records.
#[derive(Debug, Clone)]
pub enum Step {
    /// `<ceremony>.transcript-started-anew`: the first line of a transcript a ceremony started
    /// because the domain's was missing (`--new-transcript`); output: the manifest in force,
    /// taken as its starting point. The audit warns of it.
    TranscriptStartedAnew {
        /// The ceremony that started it.
        ceremony: Ceremony,
        /// The manifest it acts on.
        manifest: ManifestDigest,
    },
    /// `genesis.begin`.
    GenesisBegun {
        /// Every official, in order.
        officials: Vec<String>,
        /// The domain id.
        domain: String,
        /// The threshold.
        threshold: u8,
    },
    /// `<ceremony>.key-split`: a new key split for a new share set (genesis, rotate).
    KeySplit {
        /// The ceremony.
        ceremony: Ceremony,
        /// The key's check value.
        kcv: Kcv,
        /// The key's id.
        key_id: KeyId,
        /// The new set's id.
        set_id: [u8; SET_ID_LEN],
        /// The key's epoch.
        epoch: u32,
    },
    /// `<ceremony>.insecure-kdf`: the share files of this set are sealed with argon2id costs
    /// below the defaults (`--insecure-kdf`); the audit flags it.
    InsecureKdf {
        /// The ceremony.
        ceremony: Ceremony,
        /// The costs used.
        kdf: KdfParams,
    },
    /// `<ceremony>.share-sealed`: an official sealed their new share; output: the file.
    ShareSealed {
        /// The ceremony.
        ceremony: Ceremony,
        /// The official.
        official: String,
        /// The share file's fingerprint.
        fingerprint: String,
    },
    /// `<ceremony>.share-verified`: an official opened and verified it; input: the file.
    ShareVerified {
        /// The ceremony.
        ceremony: Ceremony,
        /// The official.
        official: String,
        /// The share file's fingerprint.
        fingerprint: String,
    },
    /// `<ceremony>.share-accepted`: a share offered to a quorum passed every check.
    ShareAccepted {
        /// The ceremony.
        ceremony: Ceremony,
        /// The official whose share it is.
        official: String,
        /// SHA-256 of the file offered.
        fingerprint: String,
        /// The fingerprint of the request it was contributed to, hex, when it came remotely.
        request: Option<String>,
    },
    /// `<ceremony>.passphrase-refused`: a passphrase an official gave did not open their share.
    PassphraseRefused {
        /// The ceremony.
        ceremony: Ceremony,
        /// The official.
        official: String,
        /// The share file's fingerprint.
        fingerprint: String,
        /// Which try it was, from 1.
        number: usize,
        /// How many tries the official has.
        tries: usize,
    },
    /// `<ceremony>.share-refused`: a share offered to a quorum was set aside.
    ShareRefused {
        /// The ceremony.
        ceremony: Ceremony,
        /// The official the file names, when it names one.
        official: Option<String>,
        /// The file's name as offered, for a file that names no official.
        file_name: String,
        /// SHA-256 of the file offered, or `unreadable`.
        fingerprint: String,
        /// Why.
        reason: String,
        /// The fingerprint of the request it was contributed to, hex, when it came remotely.
        request: Option<String>,
    },
    /// `<ceremony>.request-opened`: a contribution request the ceremony takes remote shares
    /// through; its key was found on the token and opened.
    RequestOpened {
        /// The ceremony.
        ceremony: Ceremony,
        /// The request's fingerprint, hex.
        request: String,
        /// Its ceremony id, hex.
        ceremony_id: String,
        /// When it expires (RFC 3339).
        expires: String,
        /// How many contribution files were offered.
        offered: usize,
    },
    /// `request.issued`: `custody request` made a contribution request and its key on a token;
    /// input: the manifest it was made for.
    RequestIssued {
        /// The manifest in force.
        manifest: ManifestDigest,
        /// The request's fingerprint, hex.
        request: String,
        /// Its ceremony id, hex.
        ceremony_id: String,
        /// `unlock`, `drill`, `rotate` or `reshare`.
        purpose: &'static str,
        /// When it expires (RFC 3339).
        expires: String,
        /// The token holding its key.
        token: TokenDescription,
    },
    /// `<ceremony>.request-destroyed`: the request's key was destroyed on the token (the
    /// ceremony completed, or the request expired): every contribution to it is shredded.
    RequestDestroyed {
        /// The ceremony (`key` for `custody hsm destroy`).
        ceremony: Ceremony,
        /// The request's fingerprint, hex, when known (its sealed private key names it).
        request: Option<String>,
        /// The request's ceremony id, hex.
        ceremony_id: String,
        /// The token.
        token: TokenDescription,
        /// `completed`, `expired`, or `withdrawn` (`custody hsm destroy`).
        reason: &'static str,
    },
    /// `genesis.key-imported`: a token holds the new key and proved it.
    GenesisKeyImported {
        /// The token.
        token: TokenDescription,
    },
    /// `genesis.canary-sealed`, `rotate.canary-sealed`: output: the canary archive.
    CanarySealed {
        /// `genesis`, or `rotate` (the canary sealed anew under the new epoch's key).
        ceremony: Ceremony,
        /// SHA-256 of the canary archive file.
        sha256: String,
    },
    /// `genesis.manifest-written`.
    ManifestWritten {
        /// The manifest written.
        manifest: ManifestDigest,
    },
    /// `genesis.close`.
    GenesisClosed {
        /// Every official, in order.
        officials: Vec<String>,
        /// The manifest published.
        manifest: ManifestDigest,
    },
    /// `unlock.begin`.
    UnlockBegun {
        /// The manifest in force.
        manifest: ManifestDigest,
        /// The domain id.
        domain: String,
        /// The epoch.
        epoch: u32,
        /// The target token, as its URI names it.
        target: String,
        /// How many share files were offered.
        offered: usize,
    },
    /// `unlock.key-imported`.
    UnlockKeyImported {
        /// The officials whose shares rebuilt the key.
        accepted: Vec<String>,
        /// The token.
        token: TokenDescription,
        /// Whether the key stays on the token.
        persistence: Persistence,
        /// The key's check value.
        kcv: Kcv,
    },
    /// `unlock.token-enrolled`: the token joined the domain; output: the manifest enrolling it.
    TokenEnrolled {
        /// The manifest that enrols it, now in force.
        manifest: ManifestDigest,
        /// The token.
        token: TokenDescription,
        /// The site it serves, when named.
        site: Option<String>,
    },
    /// `unlock.close`.
    UnlockClosed {
        /// The officials whose shares rebuilt the key (none on failure).
        accepted: Vec<String>,
        /// `key rebuilt and imported`, or `failed: <why>`.
        outcome: String,
    },
    /// `recover.begin`: a recovery without an HSM.
    RecoverBegun {
        /// The manifest in force.
        manifest: ManifestDigest,
        /// The domain id.
        domain: String,
        /// The epoch.
        epoch: u32,
        /// How many share files were offered.
        offered: usize,
    },
    /// `recover.close`.
    RecoverClosed {
        /// The officials whose shares rebuilt the key (none on failure).
        accepted: Vec<String>,
        /// How many archives were restored.
        restored: usize,
        /// `key rebuilt in memory, archives restored, key wiped`, or `failed: <why>`.
        outcome: String,
    },
    /// `drill.begin`.
    DrillBegun {
        /// The manifest in force.
        manifest: ManifestDigest,
        /// How many share files were offered.
        offered: usize,
    },
    /// `drill.close`.
    DrillClosed {
        /// The officials whose shares rebuilt the key.
        accepted: Vec<String>,
        /// `pass`, or `FAIL: <why>`.
        outcome: String,
        /// Seconds from the first share offered to the end, one decimal.
        seconds: f64,
    },
    /// `rotate.begin` of a fresh rotation.
    RotateBegun {
        /// The manifest in force.
        manifest: ManifestDigest,
        /// Its epoch.
        from_epoch: u32,
    },
    /// `rotate.begin` of a run resuming an interrupted rotation.
    RotateResumed,
    /// `rotate.token-retired`: an enrolled token the new key does not go onto (`--retire-token`).
    TokenRetired {
        /// The token, as the manifest in force enrols it.
        token: EnrolledToken,
    },
    /// `rotate.key-imported`: a token holds the new epoch's key and proved it.
    RotateKeyImported {
        /// The token.
        token: TokenDescription,
    },
    /// `rotate.published`: the new manifest and shares are in place.
    RotatePublished {
        /// The new manifest.
        manifest: ManifestDigest,
        /// The directory the old shares were moved to.
        retired_shares: String,
    },
    /// `rotate.archives-rewrapped`.
    ArchivesRewrapped {
        /// Rewrapped by this run.
        rewrapped: usize,
        /// Already under the new key.
        already: usize,
        /// Not on the new epoch (unreadable, another domain, damaged, not unwrapping).
        left: usize,
        /// Symbolic links (never followed) and other entries skipped.
        skipped: usize,
    },
    /// `rotate.archive-left`: an archive abandoned on purpose (`--leave`) before the old key is
    /// destroyed.
    ArchiveLeft {
        /// The `--archives` directory it was found under.
        root: String,
        /// Its path relative to that directory.
        path: String,
        /// Why it could not be rewrapped.
        reason: String,
    },
    /// `rotate.catalog-head`: the head of a store's archive catalog once the rotation recorded
    /// its rewrapped archives in it (FORMAT.md 16).
    CatalogHead {
        /// The store: a directory as given, or `s3://bucket/prefix`.
        store: String,
        /// The head's digest, lowercase hex.
        head: String,
        /// Archives in the catalog's current state.
        archives: u64,
    },
    /// `rotate.close`.
    RotateClosed {
        /// The new manifest.
        manifest: ManifestDigest,
        /// The new epoch.
        epoch: u32,
        /// Whether the old key was destroyed.
        old_key_destroyed: bool,
    },
    /// `reshare.begin`.
    ReshareBegun {
        /// The manifest in force.
        manifest: ManifestDigest,
        /// The domain id.
        domain: String,
        /// The epoch.
        epoch: u32,
        /// The set being replaced.
        set_id: [u8; SET_ID_LEN],
        /// The new threshold.
        threshold: u8,
        /// How many new officials.
        officials: usize,
        /// How many share files were offered.
        offered: usize,
        /// Why the current set is revoked.
        reason: String,
    },
    /// `reshare.key-rebuilt`: the quorum's key, split for the new officials.
    KeyRebuilt {
        /// The officials whose shares rebuilt the key.
        accepted: Vec<String>,
        /// The key's check value.
        kcv: Kcv,
        /// The key's id.
        key_id: KeyId,
        /// The new set's id.
        set_id: [u8; SET_ID_LEN],
    },
    /// `reshare.set-revoked`: the new manifest, revoking the old set, is in force.
    SetRevoked {
        /// The new manifest.
        manifest: ManifestDigest,
        /// The revocation it records.
        revoked: RevokedSet,
    },
    /// `reshare.close`.
    ReshareClosed {
        /// The new officials (none when resumed or failed).
        officials: Vec<String>,
        /// The manifest in force (none on failure).
        manifest: Option<ManifestDigest>,
        /// What happened.
        outcome: String,
    },
    /// `reseal.begin`.
    ResealBegun {
        /// The official.
        official: String,
    },
    /// `reseal.close`.
    ResealClosed {
        /// The official.
        official: String,
        /// The manifest before.
        old_manifest: ManifestDigest,
        /// The manifest recording the new file.
        new_manifest: ManifestDigest,
        /// The new share file's fingerprint.
        fingerprint: String,
    },
    /// `key.destroyed`: `custody hsm destroy` removed a domain key object that was not the key in
    /// force from a token; input: the manifest it was judged by.
    KeyDestroyed {
        /// The manifest in force.
        manifest: ManifestDigest,
        /// The token.
        token: TokenDescription,
        /// The key object's label.
        label: String,
        /// The epoch its label names.
        epoch: u32,
        /// Where it stood: `superseded`, `newer-than-manifest` or `not-the-manifest-key`.
        reason: &'static str,
    },
    /// `secret.created`: `custody secret new` sealed a new secret; input: the manifest whose key
    /// seals it. Never the secret: its name, purpose and the archive's SHA-256.
    SecretCreated {
        /// The manifest in force.
        manifest: ManifestDigest,
        /// The secret's recorded name.
        name: String,
        /// What it is for.
        purpose: String,
        /// The SHA-256 of its archive file, hex.
        archive: String,
        /// The SHA-256 of the secret archive it replaces, hex (a key change).
        replaces: Option<String>,
    },
    /// `<ceremony>.signed`: the domain signature over the digest of the ceremony's close line,
    /// the line just before (written by [`transcript_signature`](super::transcript_signature)).
    Signed {
        /// The ceremony whose close is signed.
        ceremony: Ceremony,
        /// The epoch of the domain key that signed.
        epoch: u32,
        /// The signature (context `custody transcript v1`).
        signature: Signature,
    },
}

/// A transcript line's fields, built up by [`Step::line`].
#[derive(Default)]
struct Line {
    actors: Vec<String>,
    inputs: BTreeMap<String, String>,
    outputs: BTreeMap<String, String>,
    detail: BTreeMap<String, String>,
}

impl Line {
    fn actors(mut self, actors: Vec<String>) -> Self {
        self.actors = actors;
        self
    }

    fn actor(self, actor: &str) -> Self {
        self.actors(vec![actor.to_owned()])
    }

    fn input(mut self, name: String, digest: String) -> Self {
        self.inputs.insert(name, digest);
        self
    }

    fn output(mut self, name: String, digest: String) -> Self {
        self.outputs.insert(name, digest);
        self
    }

    /// `request` in `detail` for a share contributed remotely.
    fn remote(self, request: Option<String>) -> Self {
        match request {
            Some(request) => self.detail("request", request),
            None => self,
        }
    }

    fn manifest_in(self, manifest: &ManifestDigest) -> Self {
        self.input(MANIFEST.into(), manifest.to_string())
    }

    fn manifest_out(self, manifest: &ManifestDigest) -> Self {
        self.output(MANIFEST.into(), manifest.to_string())
    }

    fn detail(mut self, name: &str, value: impl ToString) -> Self {
        self.detail.insert(name.to_owned(), value.to_string());
        self
    }

    fn token(self, token: &TokenDescription) -> Self {
        self.detail("token", &token.label)
            .detail("serial", &token.serial)
    }
}

impl Step {
    /// The ceremony and the action, `ceremony.action`.
    fn name(&self) -> String {
        let (ceremony, action) = self.parts();
        format!("{}.{action}", ceremony.name())
    }

    /// The ceremony this step closes, when it is a `<ceremony>.close` step.
    pub(super) fn closes(&self) -> Option<Ceremony> {
        let (ceremony, action) = self.parts();
        (action == CLOSE).then_some(ceremony)
    }

    /// The ceremony and the action.
    fn parts(&self) -> (Ceremony, &'static str) {
        match self {
            Self::TranscriptStartedAnew { ceremony, .. } => (*ceremony, STARTED_ANEW),
            Self::GenesisBegun { .. } => (Ceremony::Genesis, "begin"),
            Self::KeySplit { ceremony, .. } => (*ceremony, "key-split"),
            Self::InsecureKdf { ceremony, .. } => (*ceremony, INSECURE_KDF),
            Self::ShareSealed { ceremony, .. } => (*ceremony, "share-sealed"),
            Self::ShareVerified { ceremony, .. } => (*ceremony, "share-verified"),
            Self::ShareAccepted { ceremony, .. } => (*ceremony, "share-accepted"),
            Self::PassphraseRefused { ceremony, .. } => (*ceremony, "passphrase-refused"),
            Self::ShareRefused { ceremony, .. } => (*ceremony, "share-refused"),
            Self::RequestOpened { ceremony, .. } => (*ceremony, "request-opened"),
            Self::RequestIssued { .. } => (Ceremony::Request, "issued"),
            Self::RequestDestroyed { ceremony, .. } => (*ceremony, "request-destroyed"),
            Self::GenesisKeyImported { .. } => (Ceremony::Genesis, "key-imported"),
            Self::CanarySealed { ceremony, .. } => (*ceremony, "canary-sealed"),
            Self::ManifestWritten { .. } => (Ceremony::Genesis, "manifest-written"),
            Self::GenesisClosed { .. } => (Ceremony::Genesis, CLOSE),
            Self::UnlockBegun { .. } => (Ceremony::Unlock, "begin"),
            Self::UnlockKeyImported { .. } => (Ceremony::Unlock, "key-imported"),
            Self::TokenEnrolled { .. } => (Ceremony::Unlock, "token-enrolled"),
            Self::UnlockClosed { .. } => (Ceremony::Unlock, CLOSE),
            Self::RecoverBegun { .. } => (Ceremony::Recover, "begin"),
            Self::RecoverClosed { .. } => (Ceremony::Recover, CLOSE),
            Self::DrillBegun { .. } => (Ceremony::Drill, "begin"),
            Self::DrillClosed { .. } => (Ceremony::Drill, CLOSE),
            Self::RotateBegun { .. } | Self::RotateResumed => (Ceremony::Rotate, "begin"),
            Self::TokenRetired { .. } => (Ceremony::Rotate, "token-retired"),
            Self::RotateKeyImported { .. } => (Ceremony::Rotate, "key-imported"),
            Self::RotatePublished { .. } => (Ceremony::Rotate, "published"),
            Self::ArchivesRewrapped { .. } => (Ceremony::Rotate, "archives-rewrapped"),
            Self::ArchiveLeft { .. } => (Ceremony::Rotate, "archive-left"),
            Self::CatalogHead { .. } => (Ceremony::Rotate, "catalog-head"),
            Self::RotateClosed { .. } => (Ceremony::Rotate, CLOSE),
            Self::ReshareBegun { .. } => (Ceremony::Reshare, "begin"),
            Self::KeyRebuilt { .. } => (Ceremony::Reshare, "key-rebuilt"),
            Self::SetRevoked { .. } => (Ceremony::Reshare, SET_REVOKED),
            Self::ReshareClosed { .. } => (Ceremony::Reshare, CLOSE),
            Self::ResealBegun { .. } => (Ceremony::Reseal, "begin"),
            Self::ResealClosed { .. } => (Ceremony::Reseal, CLOSE),
            Self::KeyDestroyed { .. } => (Ceremony::Key, "destroyed"),
            Self::SecretCreated { .. } => (Ceremony::Secret, "created"),
            Self::Signed { ceremony, .. } => (*ceremony, SIGNED),
        }
    }

    /// Everything but the step's name.
    fn line(self) -> Line {
        let line = Line::default();
        match self {
            Self::TranscriptStartedAnew { manifest, .. } => line
                .manifest_out(&manifest)
                .detail("previous_transcript", "missing"),
            Self::GenesisBegun {
                officials,
                domain,
                threshold,
            } => line
                .detail("domain", domain)
                .detail("threshold", threshold)
                .detail("officials", officials.len())
                .actors(officials),
            Self::KeySplit {
                kcv,
                key_id,
                set_id,
                epoch,
                ..
            } => line
                .detail("kcv", kcv)
                .detail("key_id", key_id)
                .detail("set_id", hex::encode(set_id))
                .detail("epoch", epoch),
            Self::InsecureKdf { kdf, .. } => line
                .detail("kdf_memory_kib", kdf.memory_kib())
                .detail("kdf_passes", kdf.iterations())
                .detail("kdf_lanes", kdf.parallelism()),
            Self::ShareSealed {
                official,
                fingerprint,
                ..
            } => line
                .actor(&official)
                .output(share_file(&official), fingerprint),
            Self::ShareVerified {
                official,
                fingerprint,
                ..
            } => line
                .actor(&official)
                .input(share_file(&official), fingerprint),
            Self::ShareAccepted {
                official,
                fingerprint,
                request,
                ..
            } => line
                .actor(&official)
                .input(share_file(&official), fingerprint)
                .remote(request),
            Self::PassphraseRefused {
                official,
                fingerprint,
                number,
                tries,
                ..
            } => line
                .actor(&official)
                .input(share_file(&official), fingerprint)
                .detail("try", format!("{number} of {tries}")),
            Self::ShareRefused {
                official,
                file_name,
                fingerprint,
                reason,
                request,
                ..
            } => {
                let name = official.as_deref().map_or(file_name, share_file);
                line.actors(official.into_iter().collect())
                    .input(name, fingerprint)
                    .detail("reason", reason)
                    .remote(request)
            }
            Self::RequestOpened {
                request,
                ceremony_id,
                expires,
                offered,
                ..
            } => line
                .detail("request", request)
                .detail("ceremony_id", ceremony_id)
                .detail("expires", expires)
                .detail("contributions", offered),
            Self::RequestIssued {
                manifest,
                request,
                ceremony_id,
                purpose,
                expires,
                token,
            } => line
                .manifest_in(&manifest)
                .token(&token)
                .detail("request", request)
                .detail("ceremony_id", ceremony_id)
                .detail("purpose", purpose)
                .detail("expires", expires),
            Self::RequestDestroyed {
                request,
                ceremony_id,
                token,
                reason,
                ..
            } => line
                .token(&token)
                .detail("ceremony_id", ceremony_id)
                .remote(request)
                .detail("reason", reason),
            Self::GenesisKeyImported { token } => line
                .token(&token)
                .detail("proof", "token wrap of a canary equals the software wrap"),
            Self::CanarySealed { sha256, .. } => {
                line.output(super::canary::CANARY_FILE.into(), sha256)
            }
            Self::ManifestWritten { manifest } => line.manifest_out(&manifest),
            Self::GenesisClosed {
                officials,
                manifest,
            } => line.actors(officials).manifest_out(&manifest),
            Self::UnlockBegun {
                manifest,
                domain,
                epoch,
                target,
                offered,
            } => line
                .manifest_in(&manifest)
                .detail("domain", domain)
                .detail("epoch", epoch)
                .detail("target", target)
                .detail("offered", offered),
            Self::UnlockKeyImported {
                accepted,
                token,
                persistence,
                kcv,
            } => line
                .actors(accepted)
                .token(&token)
                .detail("persistence", format!("{persistence:?}").to_lowercase())
                .detail("kcv", kcv),
            Self::TokenEnrolled {
                manifest,
                token,
                site,
            } => {
                let line = line.manifest_out(&manifest).token(&token);
                match site {
                    Some(site) => line.detail("site", site),
                    None => line,
                }
            }
            Self::TokenRetired { token } => {
                let line = line
                    .detail("token", token.label())
                    .detail("serial", token.serial());
                match token.site() {
                    Some(site) => line.detail("site", site),
                    None => line,
                }
            }
            Self::RotateKeyImported { token } => line
                .token(&token)
                .detail("proof", "token wrap of a canary equals the software wrap"),
            Self::UnlockClosed { accepted, outcome } => {
                line.actors(accepted).detail("outcome", outcome)
            }
            Self::RecoverBegun {
                manifest,
                domain,
                epoch,
                offered,
            } => line
                .manifest_in(&manifest)
                .detail("domain", domain)
                .detail("epoch", epoch)
                .detail("offered", offered),
            Self::RecoverClosed {
                accepted,
                restored,
                outcome,
            } => line
                .actors(accepted)
                .detail("restored", restored)
                .detail("outcome", outcome),
            Self::DrillBegun { manifest, offered } => {
                line.manifest_in(&manifest).detail("offered", offered)
            }
            Self::DrillClosed {
                accepted,
                outcome,
                seconds,
            } => line
                .actors(accepted)
                .detail("outcome", outcome)
                .detail("seconds", format!("{seconds:.1}")),
            Self::RotateBegun {
                manifest,
                from_epoch,
            } => line.manifest_in(&manifest).detail("from_epoch", from_epoch),
            Self::RotateResumed => line.detail("resumed", "yes"),
            Self::RotatePublished {
                manifest,
                retired_shares,
            } => line
                .manifest_out(&manifest)
                .detail("retired_shares", retired_shares),
            Self::ArchivesRewrapped {
                rewrapped,
                already,
                left,
                skipped,
            } => line
                .detail("rewrapped", rewrapped)
                .detail("already", already)
                .detail("left", left)
                .detail("skipped_links", skipped),
            Self::ArchiveLeft { root, path, reason } => line
                .detail("root", root)
                .detail("path", path)
                .detail("reason", reason),
            Self::CatalogHead {
                store,
                head,
                archives,
            } => line
                .detail("store", store)
                .detail("head", head)
                .detail("archives", archives),
            Self::RotateClosed {
                manifest,
                epoch,
                old_key_destroyed,
            } => line.manifest_out(&manifest).detail("epoch", epoch).detail(
                "old_key",
                if old_key_destroyed {
                    "destroyed"
                } else {
                    "kept"
                },
            ),
            Self::ReshareBegun {
                manifest,
                domain,
                epoch,
                set_id,
                threshold,
                officials,
                offered,
                reason,
            } => line
                .manifest_in(&manifest)
                .detail("domain", domain)
                .detail("epoch", epoch)
                .detail("set_id", hex::encode(set_id))
                .detail("threshold", threshold)
                .detail("officials", officials)
                .detail("offered", offered)
                .detail("reason", reason),
            Self::KeyRebuilt {
                accepted,
                kcv,
                key_id,
                set_id,
            } => line
                .actors(accepted)
                .detail("kcv", kcv)
                .detail("key_id", key_id)
                .detail("set_id", hex::encode(set_id)),
            Self::SetRevoked { manifest, revoked } => line
                .manifest_out(&manifest)
                .detail(REVOKED_SET_ID, hex::encode(revoked.set_id()))
                .detail("epoch", revoked.epoch())
                .detail("revoked_at", revoked.revoked_at())
                .detail("reason", revoked.reason()),
            Self::KeyDestroyed {
                manifest,
                token,
                label,
                epoch,
                reason,
            } => line
                .manifest_in(&manifest)
                .token(&token)
                .detail("label", label)
                .detail("epoch", epoch)
                .detail("reason", reason),
            Self::SecretCreated {
                manifest,
                name,
                purpose,
                archive,
                replaces,
            } => {
                let line = line
                    .manifest_in(&manifest)
                    .detail("name", name)
                    .detail("purpose", purpose)
                    .detail("archive_sha256", archive);
                match replaces {
                    Some(old) => line.detail("replaces_sha256", old),
                    None => line,
                }
            }
            Self::ReshareClosed {
                officials,
                manifest,
                outcome,
            } => {
                let line = line.actors(officials).detail("outcome", outcome);
                match manifest {
                    Some(manifest) => line.manifest_out(&manifest),
                    None => line,
                }
            }
            Self::ResealBegun { official } => line.actor(&official),
            Self::ResealClosed {
                official,
                old_manifest,
                new_manifest,
                fingerprint,
            } => line
                .actor(&official)
                .manifest_in(&old_manifest)
                .manifest_out(&new_manifest)
                .output(share_file(&official), fingerprint),
            Self::Signed {
                epoch, signature, ..
            } => line
                .detail(SIGNED_EPOCH, epoch)
                .detail(SIGNED_SIGNATURE, hex::encode(signature.as_bytes())),
        }
    }
}

/// Whether `record` is a `<ceremony>.insecure-kdf` entry.
pub fn is_insecure_kdf(record: &Record) -> bool {
    is_action(record, INSECURE_KDF)
}

/// Whether `record` is a `<ceremony>.transcript-started-anew` entry.
pub fn is_started_anew(record: &Record) -> bool {
    is_action(record, STARTED_ANEW)
}

fn is_action(record: &Record, action: &str) -> bool {
    record
        .step
        .split_once('.')
        .is_some_and(|(_, step)| step == action)
}

/// The set id (hex) a `reshare.set-revoked` line revokes; `None` for any other line.
pub fn revoked_set_id(record: &Record) -> Option<&str> {
    let step = format!("{}.{SET_REVOKED}", Ceremony::Reshare.name());
    if record.step != step {
        return None;
    }
    record.detail.get(REVOKED_SET_ID).map(String::as_str)
}

impl From<Step> for Record {
    fn from(step: Step) -> Self {
        let step_name = step.name();
        let Line {
            actors,
            inputs,
            outputs,
            detail,
        } = step.line();
        Record {
            step: step_name,
            actors,
            inputs,
            outputs,
            detail,
        }
    }
}
