//! The manifest chain: every manifest a domain has had, from the genesis manifest to the one in
//! force, each signed by the quorum that made it (docs/FORMAT.md, 6.8). The domain directory keeps
//! them all in `chain/NNNNNN.json` (by chain position) beside `manifest.json`, so anyone can
//! verify, with public data alone, that the manifest in force descends from the genesis manifest
//! whose fingerprint is the domain's identity.
//!
//! This module owns loading and verifying a chain (every link, and that nothing newer than the
//! manifest in force is on record), checking that a new manifest may follow it, and publishing
//! one (history first, then `manifest.json`, then its own history copy). It reads and writes
//! manifests only, and never holds a key.

use std::path::{Path, PathBuf};

use super::manifest::{Manifest, ManifestError, ManifestFields, ManifestProblem};
use crate::files::{create_directory, write_atomic_public};
use crate::primitives::signature::{DomainFingerprint, VerifyingKey};

/// The directory beside `manifest.json` that holds every manifest of the chain.
pub const CHAIN_DIR: &str = "chain";

/// The file of the manifest at `position`, relative to the domain directory.
pub fn chain_file(position: u64) -> String {
    format!("{CHAIN_DIR}/{position:06}.json")
}

/// Why a manifest chain does not verify, or a manifest may not follow it.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// A manifest of the chain could not be read or is invalid.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// A manifest before the one in force is not in `chain/`.
    #[error(
        "{path} is missing: the manifest in force is at chain position {in_force}, and its chain \
         cannot be verified without every manifest before it"
    )]
    Missing {
        /// The missing file.
        path: PathBuf,
        /// The position of the manifest in force.
        in_force: u64,
    },
    /// A chain file holds a manifest of another position.
    #[error("{path} holds the manifest of chain position {found}, not {expected}")]
    Misplaced {
        /// The file.
        path: PathBuf,
        /// The position its name says.
        expected: u64,
        /// The position the manifest says.
        found: u64,
    },
    /// A newer manifest is on record than the one presented as in force.
    #[error(
        "{path} is a manifest at chain position {newer}, newer than the manifest in force \
         (position {in_force}): manifest.json was rolled back or replaced by an older one"
    )]
    RolledBack {
        /// The newer chain file.
        path: PathBuf,
        /// Its position.
        newer: u64,
        /// The position of the manifest presented as in force.
        in_force: u64,
    },
    /// The chain's copy of the manifest in force is another manifest.
    #[error(
        "{path} and manifest.json are different manifests at the same chain position {position}"
    )]
    Forked {
        /// The chain file.
        path: PathBuf,
        /// The position.
        position: u64,
    },
    /// A manifest does not follow the one before it.
    #[error(
        "the manifest at chain position {position} does not follow the one before it: {problem}"
    )]
    Broken {
        /// The position of the manifest that does not follow.
        position: u64,
        /// Which rule it breaks.
        problem: String,
    },
    /// The chain is of another domain than expected.
    #[error(
        "this is not the expected domain: its fingerprint is {found}, but {expected} was expected \
         ({source_of_expectation})"
    )]
    OtherDomain {
        /// The fingerprint expected.
        expected: DomainFingerprint,
        /// The chain's.
        found: DomainFingerprint,
        /// Where the expectation came from (`--expect-domain`, a share file, the token).
        source_of_expectation: String,
    },
    /// The chain directory or a chain file could not be written.
    #[error("cannot write {path}: {source}")]
    Unwritable {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl ChainError {
    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            Self::Manifest(error) => error.problem.hint(),
            Self::Missing { .. } => {
                "copy the whole domain directory (manifest.json together with chain/), or restore \
                 chain/ from a trusted copy; `custody audit DIR` verifies it"
            }
            Self::Misplaced { .. } | Self::Broken { .. } | Self::Forked { .. } => {
                "the domain directory was altered: restore it from a trusted copy, run `custody \
                 audit DIR`, and report this to the domain's security officer"
            }
            Self::RolledBack { .. } => {
                "do not use this manifest: restore manifest.json from the newest file in chain/ \
                 or a trusted copy, compare its digest with the signed sheet of the last \
                 ceremony, and report this to the domain's security officer"
            }
            Self::OtherDomain { .. } => {
                "use the directory of the domain whose fingerprint the officials hold (it is on \
                 the genesis sheet and in every share file: `custody inspect SHARE`)"
            }
            Self::Unwritable { .. } => {
                "check that the domain directory is writable and the disk has space"
            }
        }
    }
}

/// A verified chain: the manifests at positions 0 to the one in force, each following the one
/// before it.
#[derive(Debug, Clone)]
pub struct ManifestChain {
    earlier: Vec<Manifest>,
    in_force: Manifest,
    /// What made each manifest, by position.
    kinds: Vec<LinkKind>,
}

impl ManifestChain {
    /// The chain of a new domain: its genesis manifest alone, which must be signed by its own key.
    pub fn start(genesis: Manifest) -> Result<Self, ChainError> {
        if genesis.chain_position() != 0 {
            return Err(ChainError::Broken {
                position: genesis.chain_position(),
                problem: "a chain starts at position 0".into(),
            });
        }
        if !genesis.is_signed_by(genesis.verifying_key()) {
            return Err(ManifestError::new(ManifestProblem::BadSignature { position: 0 }).into());
        }
        Ok(Self {
            earlier: Vec::new(),
            in_force: genesis,
            kinds: vec![LinkKind::Genesis],
        })
    }

    /// Loads `manifest_path` and the chain beside it (`chain/` in the same directory), and
    /// verifies every link from the genesis manifest to it; refuses if a newer manifest is on
    /// record.
    pub fn load(manifest_path: &Path) -> Result<Self, ChainError> {
        let in_force = Manifest::load(manifest_path)?;
        let dir = manifest_path.parent().unwrap_or(Path::new("."));
        let position = in_force.chain_position();
        let chain = match position {
            0 => Self::start(in_force)?,
            _ => {
                let mut chain = Self::start(load_earlier(dir, 0, position)?)?;
                for earlier in 1..position {
                    chain.push(load_earlier(dir, earlier, position)?)?;
                }
                chain.push(in_force)?;
                chain
            }
        };
        chain.check_kept_copy(dir)?;
        chain.refuse_newer(dir)?;
        Ok(chain)
    }

    /// The manifest in force: the last of the chain.
    pub fn in_force(&self) -> &Manifest {
        &self.in_force
    }

    /// The manifest in force, the chain verified.
    pub fn into_in_force(self) -> Manifest {
        self.in_force
    }

    /// Every manifest, by position, the one in force last.
    pub fn manifests(&self) -> impl Iterator<Item = &Manifest> {
        self.earlier.iter().chain(std::iter::once(&self.in_force))
    }

    /// Every manifest with what made it, by position.
    pub fn links(&self) -> impl Iterator<Item = (&Manifest, LinkKind)> {
        self.manifests().zip(self.kinds.iter().copied())
    }

    /// The domain's identity.
    pub fn fingerprint(&self) -> DomainFingerprint {
        self.in_force().domain_fingerprint()
    }

    /// The verifying key of `epoch`, if the chain has a manifest of it.
    pub fn verifying_key(&self, epoch: u32) -> Option<&VerifyingKey> {
        self.manifests()
            .find(|manifest| manifest.epoch() == epoch)
            .map(Manifest::verifying_key)
    }

    /// Refuses unless the domain's fingerprint is `expected`; `source` says where the expectation
    /// came from, for the message.
    pub fn expect_fingerprint(
        &self,
        expected: &DomainFingerprint,
        source: &str,
    ) -> Result<(), ChainError> {
        if &self.fingerprint() == expected {
            Ok(())
        } else {
            Err(ChainError::OtherDomain {
                expected: *expected,
                found: self.fingerprint(),
                source_of_expectation: source.to_owned(),
            })
        }
    }

    /// Checks that `next` may follow the manifest in force: same domain and fingerprint, the next
    /// position, naming the manifest in force as its predecessor, signed by the key of the
    /// manifest in force, and an enrolment (one more token), a reshare (same epoch and key, a new
    /// share set, the old one revoked) or a rotation (the next epoch, a new key); says which.
    pub fn check_next(&self, next: &Manifest) -> Result<LinkKind, ChainError> {
        follows(self.in_force(), next).map_err(|problem| ChainError::Broken {
            position: next.chain_position(),
            problem,
        })
    }

    /// Publishes `next` as the manifest in force beside `manifest_path`, after checking it may
    /// follow: the manifest in force is kept in `chain/` first (if it is not yet), then
    /// `manifest.json` is replaced (the commit point), then `next` is kept in `chain/`. A run
    /// stopped between the last two leaves a chain that still verifies.
    pub fn publish(&mut self, next: Manifest, manifest_path: &Path) -> Result<(), ChainError> {
        let kind = self.check_next(&next)?;
        let dir = manifest_path.parent().unwrap_or(Path::new("."));
        keep(dir, self.in_force())?;
        next.save(manifest_path)?;
        keep(dir, &next)?;
        self.advance(next, kind);
        Ok(())
    }

    /// Writes every manifest of the chain into `dir/chain/` that is not there yet (genesis).
    pub fn keep_all(&self, dir: &Path) -> Result<(), ChainError> {
        self.manifests()
            .try_for_each(|manifest| keep(dir, manifest))
    }

    fn push(&mut self, next: Manifest) -> Result<(), ChainError> {
        let kind = self.check_next(&next)?;
        self.advance(next, kind);
        Ok(())
    }

    fn advance(&mut self, next: Manifest, kind: LinkKind) {
        let before = std::mem::replace(&mut self.in_force, next);
        self.earlier.push(before);
        self.kinds.push(kind);
    }

    /// The chain's copy of the manifest in force may be missing (a publication stopped before
    /// keeping it); present, it must be the same manifest.
    fn check_kept_copy(&self, dir: &Path) -> Result<(), ChainError> {
        let position = self.in_force.chain_position();
        let path = dir.join(chain_file(position));
        if !path.exists() {
            return Ok(());
        }
        let kept = Manifest::load(&path)?;
        if kept.digest() == self.in_force.digest() {
            Ok(())
        } else {
            Err(ChainError::Forked { path, position })
        }
    }

    /// Refuses a chain file of a later position than the manifest in force.
    fn refuse_newer(&self, dir: &Path) -> Result<(), ChainError> {
        let in_force = self.in_force().chain_position();
        let chain_dir = dir.join(CHAIN_DIR);
        let entries = match std::fs::read_dir(&chain_dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(error) => {
                let problem = ManifestProblem::Unreadable(error);
                return Err(ManifestError::new(problem).in_file(&chain_dir).into());
            }
        };
        let newest = entries
            .filter_map(|entry| entry.ok())
            .filter_map(|entry| position_of(&entry.file_name().to_string_lossy()))
            .filter(|position| *position > in_force)
            .max();
        match newest {
            Some(newer) => Err(ChainError::RolledBack {
                path: dir.join(chain_file(newer)),
                newer,
                in_force,
            }),
            None => Ok(()),
        }
    }
}

/// The manifest at `position`, before the one in force (at `in_force`): from `chain/`, where it
/// must be.
fn load_earlier(dir: &Path, position: u64, in_force: u64) -> Result<Manifest, ChainError> {
    let path = dir.join(chain_file(position));
    if !path.exists() {
        return Err(ChainError::Missing { path, in_force });
    }
    let manifest = Manifest::load(&path)?;
    if manifest.chain_position() != position {
        return Err(ChainError::Misplaced {
            path,
            expected: position,
            found: manifest.chain_position(),
        });
    }
    Ok(manifest)
}

/// Keeps `manifest` in `dir/chain/` unless it is there already.
fn keep(dir: &Path, manifest: &Manifest) -> Result<(), ChainError> {
    let chain_dir = dir.join(CHAIN_DIR);
    let unwritable = |path: &Path| {
        let path = path.to_owned();
        move |source| ChainError::Unwritable { path, source }
    };
    create_directory(&chain_dir).map_err(unwritable(&chain_dir))?;
    let path = dir.join(chain_file(manifest.chain_position()));
    if path.exists() {
        return Ok(());
    }
    let bytes = manifest.to_pretty_json()?;
    write_atomic_public(&path, &bytes).map_err(unwritable(&path))
}

/// The position a chain file's name gives: six or more decimal digits and `.json`.
fn position_of(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".json")?;
    if digits.len() < 6 || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// What kind of link `next` is after `current`, or why it cannot follow it.
fn follows(current: &Manifest, next: &Manifest) -> Result<LinkKind, String> {
    if next.domain() != current.domain() {
        return Err(format!(
            "it is of domain `{}`, not `{}`",
            next.domain(),
            current.domain()
        ));
    }
    if next.domain_fingerprint() != current.domain_fingerprint() {
        return Err("it names another domain fingerprint".into());
    }
    if Some(next.chain_position()) != current.chain_position().checked_add(1) {
        return Err(format!(
            "it is at position {}, not {}",
            next.chain_position(),
            current.chain_position().saturating_add(1)
        ));
    }
    if next.link().previous != Some(current.digest()) {
        return Err(format!(
            "it does not name the manifest before it ({}) as its predecessor",
            current.digest()
        ));
    }
    if !next.is_signed_by(current.verifying_key()) {
        return Err(format!(
            "its signature does not verify under the key of epoch {} (the manifest before it): \
             no quorum of that epoch made it",
            current.epoch()
        ));
    }
    let kind = if next.epoch() == current.epoch() && next.set_id() == current.set_id() {
        follows_as_enrolment(current, next)?;
        LinkKind::Enrolment
    } else if next.epoch() == current.epoch() {
        follows_as_reshare(current, next)?;
        LinkKind::Reshare
    } else if current.epoch().checked_add(1) == Some(next.epoch()) {
        follows_as_rotation(current, next)?;
        LinkKind::Rotation
    } else {
        return Err(format!(
            "its epoch {} is neither {} (an enrolment or a reshare) nor the next (a rotation)",
            next.epoch(),
            current.epoch()
        ));
    };
    Ok(kind)
}

/// What made a manifest of a chain, told by how it follows the one before it (FORMAT.md 6.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LinkKind {
    /// The first manifest.
    Genesis,
    /// The same share set, one more token enrolled.
    Enrolment,
    /// The same epoch and key, a new share set.
    Reshare,
    /// A new epoch: a new key.
    Rotation,
}

impl LinkKind {
    /// Its name, as reports print it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Genesis => "genesis",
            Self::Enrolment => "enrolment",
            Self::Reshare => "reshare",
            Self::Rotation => "rotation",
        }
    }
}

/// A reshare keeps the key, its verifying key and its tokens, and revokes the set it replaces.
fn follows_as_reshare(current: &Manifest, next: &Manifest) -> Result<(), String> {
    keeps_the_key(current, next)?;
    if next.revocation(current.set_id()).is_none() {
        return Err("it keeps the key but does not revoke the share set it replaces".into());
    }
    if next.tokens() != current.tokens() {
        return Err("it is a reshare but changes the enrolled tokens".into());
    }
    Ok(())
}

/// An enrolment keeps everything of the manifest before it but the link, and adds one token.
fn follows_as_enrolment(current: &Manifest, next: &Manifest) -> Result<(), String> {
    keeps_the_key(current, next)?;
    let (before, after) = (current.fields(), next.fields());
    let unchanged = ManifestFields {
        tokens: before.tokens.clone(),
        link: before.link.clone(),
        ..after.clone()
    };
    if unchanged != *before {
        return Err(
            "it keeps the share set but changes more than the enrolled tokens (an enrolment \
             adds one token and changes nothing else)"
                .into(),
        );
    }
    let added = after.tokens.len().checked_sub(before.tokens.len());
    if added != Some(1) || after.tokens[..before.tokens.len()] != before.tokens[..] {
        return Err(
            "it keeps the share set but does not add exactly one token after those enrolled".into(),
        );
    }
    Ok(())
}

/// A rotation makes a new key, enrolled on tokens that were enrolled before (less those it
/// retires): a token that never held the old key joins by an enrolment, never by a rotation.
fn follows_as_rotation(current: &Manifest, next: &Manifest) -> Result<(), String> {
    if next.key_id() == current.key_id() {
        return Err("it starts a new epoch with the same key".into());
    }
    if let Some(newcomer) = next
        .tokens()
        .iter()
        .find(|token| current.token(token.serial()).is_none())
    {
        return Err(format!(
            "it enrols token {newcomer} on the new key, which was not enrolled before it"
        ));
    }
    Ok(())
}

/// Same epoch, same key: the key id and verifying key are the manifest before it's.
fn keeps_the_key(current: &Manifest, next: &Manifest) -> Result<(), String> {
    if next.key_id() != current.key_id() || next.verifying_key() != current.verifying_key() {
        return Err("it keeps the epoch but names another key".into());
    }
    Ok(())
}
