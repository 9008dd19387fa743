//! A new share set, the steps every ceremony that makes one shares (genesis, rotate, reshare):
//! the threshold check, splitting a key for the officials, sealing each share under the
//! passphrase its official chooses and writing it to `shares/`, the manifest describing the set
//! (signed as the next link of the domain's chain, or as its first), and every official opening
//! and verifying their own new share (a share its official cannot open stops the ceremony). It writes only into the
//! directory it is given, and never keeps a share or a passphrase beyond the step that uses it.

use std::path::Path;

use crate::domain::{
    ChainLink, EnrolledToken, Manifest, ManifestFields, Official, OfficialEntry, RevokedSet,
    Timestamp,
};
use crate::files::{create_directory, write_atomic};
use crate::primitives::kdf::KdfParams;
use crate::primitives::key_identity::{Kcv, KeyId, WrapCheck};
use crate::primitives::random;
use crate::primitives::secret::DomainKey;
use crate::primitives::signature::{SigningKey, VerifyingKey};
use crate::shares::sealed::{SealedShare, ShareHeader, SET_ID_LEN};
use crate::shares::{split, Share, VerifierSet};

use super::attendant::{Attendant, Event};
use super::error::{CeremonyError, NOTHING_PUBLISHED};
use super::passphrase::{kdf_below_defaults, PassphrasePolicy};
use super::step::{share_file, Ceremony, Step};
use super::transcript::Transcript;
use super::tries::{open_own_share, Unopened};

/// Refuses a threshold outside 2..=n for the officials who will hold the shares, called `who`
/// in the message (e.g. "new officials").
pub(super) fn check_threshold(
    threshold: u8,
    officials: &[Official],
    who: &str,
    hint: &'static str,
) -> Result<(), CeremonyError> {
    let count = officials.len();
    if threshold < 2 || usize::from(threshold) > count {
        return Err(CeremonyError::refused(
            format!("a threshold of {threshold} does not fit {count} {who}"),
            hint,
        ));
    }
    Ok(())
}

/// Empties `stage` of an earlier interrupted attempt and makes `stage/shares/` for a new set.
pub(super) fn empty_stage(stage: &Path) -> Result<(), CeremonyError> {
    if stage.exists() {
        std::fs::remove_dir_all(stage).map_err(CeremonyError::io(stage))?;
    }
    create_directory(stage).map_err(CeremonyError::io(stage))?;
    create_directory(&stage.join("shares")).map_err(CeremonyError::io(stage))
}

/// The officials' ids, in order.
pub(super) fn ids(officials: &[Official]) -> Vec<String> {
    officials.iter().map(|o| o.id().to_string()).collect()
}

/// What a new share set is made of.
pub(super) struct SetPlan<'a> {
    /// The ceremony, for transcript steps.
    pub ceremony: Ceremony,
    /// The domain id.
    pub domain: &'a str,
    /// The epoch of the key being split.
    pub epoch: u32,
    /// Who receives a share, in order.
    pub officials: &'a [Official],
    /// How many rebuild the key.
    pub threshold: u8,
    /// argon2id costs of the share files.
    pub kdf: KdfParams,
    /// Share sets of the domain revoked before (carried over by a rotation, grown by a reshare).
    pub revoked_sets: Vec<RevokedSet>,
    /// The tokens the key is enrolled on (genesis: the tokens it imports into; a rotation: the
    /// enrolled tokens it keeps; a reshare: those of the manifest in force).
    pub tokens: Vec<EnrolledToken>,
    /// When the new manifest is made.
    pub created: Timestamp,
    /// Where the new manifest goes in the domain's chain, and who signs it.
    pub chain: ChainPlan<'a>,
}

/// Where a new share set's manifest goes in the domain's signed chain.
pub(super) enum ChainPlan<'a> {
    /// Genesis: the manifest starts the chain, and the new key signs it.
    Genesis,
    /// Reshare: the manifest follows `current` and is signed by the key being split, which is
    /// `current`'s own (a reshare keeps the key).
    Reshare {
        /// The manifest in force.
        current: &'a Manifest,
    },
    /// Rotation: the manifest follows `current`, signed by the key of `current`'s epoch, which
    /// the quorum rebuilt.
    Rotation {
        /// The manifest in force.
        current: &'a Manifest,
        /// The signing key derived from the rebuilt key of `current`'s epoch.
        signer: &'a SigningKey,
    },
}

impl ChainPlan<'_> {
    /// The new manifest's link, for a key whose verifying key is `verifying_key`.
    fn link(&self, verifying_key: &VerifyingKey) -> ChainLink {
        match self {
            ChainPlan::Genesis => ChainLink {
                position: 0,
                previous: None,
                domain_fingerprint: verifying_key.fingerprint(),
                verifying_key: verifying_key.clone(),
            },
            ChainPlan::Reshare { current } | ChainPlan::Rotation { current, .. } => {
                current.next_link(verifying_key.clone())
            }
        }
    }

    /// The key that signs the new manifest: the split key's own, except in a rotation.
    fn signer<'k>(&'k self, own: &'k SigningKey) -> &'k SigningKey {
        match self {
            ChainPlan::Genesis | ChainPlan::Reshare { .. } => own,
            ChainPlan::Rotation { signer, .. } => signer,
        }
    }
}

/// A key split for a plan, its shares not yet sealed.
pub(super) struct SplitKey {
    /// The new set's id.
    pub set_id: [u8; SET_ID_LEN],
    /// The key's id.
    pub key_id: KeyId,
    /// The key's check value.
    pub kcv: Kcv,
    /// The key's wrap check value.
    pub wrap_check: WrapCheck,
    /// The signing key derived from the key: it signs the genesis manifest and a reshare's, and
    /// its verifying key goes in every manifest of the key's epoch.
    pub signing_key: SigningKey,
    shares: Vec<Share>,
    verifier_set: VerifierSet,
}

/// A key split and sealed: the manifest describing the new set, and the sealed files.
pub(super) struct SealedSet {
    pub manifest: Manifest,
    pub sealed: Vec<SealedShare>,
}

/// Splits a new key (genesis, rotate), records the split, and seals the shares: see
/// [`split_key`] and [`seal_set`].
pub(super) fn split_and_seal(
    key: &DomainKey,
    plan: &SetPlan<'_>,
    dir: &Path,
    transcript: &mut Transcript,
    attendant: &mut dyn Attendant,
) -> Result<SealedSet, CeremonyError> {
    attendant.announce(&Event::KeyGenerated {
        kcv: Kcv::of(key).to_string(),
    });
    let split = split_key(key, plan)?;
    transcript.append(Step::KeySplit {
        ceremony: plan.ceremony,
        kcv: split.kcv,
        key_id: split.key_id,
        set_id: split.set_id,
        epoch: plan.epoch,
    })?;
    seal_set(split, plan, dir, transcript, attendant)
}

/// Splits `key` among the plan's officials under a fresh set id.
pub(super) fn split_key(key: &DomainKey, plan: &SetPlan<'_>) -> Result<SplitKey, CeremonyError> {
    let mut set_id = [0u8; SET_ID_LEN];
    random::fill(&mut set_id).map_err(|e| CeremonyError::failed(e, NOTHING_PUBLISHED))?;
    let n = u8::try_from(plan.officials.len())
        .map_err(|_| CeremonyError::refused("more than 255 officials", NOTHING_PUBLISHED))?;
    let (shares, verifier_set) =
        split(key, plan.threshold, n).map_err(|e| CeremonyError::failed(e, NOTHING_PUBLISHED))?;
    Ok(SplitKey {
        set_id,
        key_id: KeyId::of(key),
        kcv: Kcv::of(key),
        wrap_check: WrapCheck::of(key),
        signing_key: SigningKey::derive(key),
        shares,
        verifier_set,
    })
}

/// Seals each share under the passphrase its official chooses, writes the files to
/// `dir/shares/`, and describes the set in a new manifest.
pub(super) fn seal_set(
    split: SplitKey,
    plan: &SetPlan<'_>,
    dir: &Path,
    transcript: &mut Transcript,
    attendant: &mut dyn Attendant,
) -> Result<SealedSet, CeremonyError> {
    if kdf_below_defaults(&plan.kdf) {
        transcript.append(Step::InsecureKdf {
            ceremony: plan.ceremony,
            kdf: plan.kdf,
        })?;
    }
    let link = plan.chain.link(&split.signing_key.verifying_key());
    let mut entries = Vec::with_capacity(plan.officials.len());
    let mut sealed_files = Vec::with_capacity(plan.officials.len());
    for (official, share) in plan.officials.iter().zip(&split.shares) {
        let header = ShareHeader {
            domain: plan.domain.to_owned(),
            epoch: plan.epoch,
            set_id: split.set_id,
            chain_position: link.position,
            domain_fingerprint: link.domain_fingerprint,
            share_id: share.identifier(),
            official: official.id().to_string(),
            threshold: plan.threshold,
        };
        let sealed = seal_for(official, share, header, plan, attendant)?;
        let path = dir.join(share_file(official.id().as_str()));
        write_atomic(&path, &sealed.to_bytes()).map_err(CeremonyError::io(&path))?;
        transcript.append(Step::ShareSealed {
            ceremony: plan.ceremony,
            official: official.id().to_string(),
            fingerprint: sealed.fingerprint(),
        })?;
        attendant.announce(&Event::ShareSealed {
            official: official.id().to_string(),
        });
        entries.push(OfficialEntry::new(
            official.clone(),
            share.identifier(),
            sealed.fingerprint(),
        ));
        sealed_files.push(sealed);
    }
    let SplitKey {
        set_id,
        key_id,
        kcv,
        wrap_check,
        signing_key,
        shares,
        verifier_set,
    } = split;
    drop(shares);
    let fields = ManifestFields {
        domain: plan.domain.to_owned(),
        epoch: plan.epoch,
        set_id,
        officials: entries,
        verifier_set,
        key_id,
        kcv,
        wrap_check,
        created: plan.created,
        revoked_sets: plan.revoked_sets.clone(),
        tokens: plan.tokens.clone(),
        link,
    };
    let manifest = Manifest::new(fields, plan.chain.signer(&signing_key))?;
    Ok(SealedSet {
        manifest,
        sealed: sealed_files,
    })
}

/// Seals `official`'s share under a passphrase they choose, which the plan's passphrase policy
/// accepted where they typed it.
fn seal_for(
    official: &Official,
    share: &Share,
    header: ShareHeader,
    plan: &SetPlan<'_>,
    attendant: &mut dyn Attendant,
) -> Result<SealedShare, CeremonyError> {
    let chosen = attendant.new_passphrase(&PassphrasePolicy::new(official, plan.domain))?;
    SealedShare::seal(&share.to_bytes(), header, chosen.passphrase(), plan.kdf).map_err(|source| {
        CeremonyError::Sealing {
            official: official.id().to_string(),
            source,
        }
    })
}

/// Every official opens and verifies their freshly written share, typing their passphrase again
/// after a wrong one where a person types it; a share its official cannot open stops the ceremony.
pub(super) fn verify_all(
    manifest: &Manifest,
    officials: &[Official],
    sealed: &[SealedShare],
    dir: &Path,
    ceremony: Ceremony,
    transcript: &mut Transcript,
    attendant: &mut dyn Attendant,
) -> Result<(), CeremonyError> {
    for (official, sealed) in officials.iter().zip(sealed) {
        verify_own_share(
            manifest, official, sealed, dir, ceremony, transcript, attendant,
        )?;
        transcript.append(Step::ShareVerified {
            ceremony,
            official: official.id().to_string(),
            fingerprint: sealed.fingerprint(),
        })?;
        attendant.announce(&Event::ShareVerified {
            official: official.id().to_string(),
        });
    }
    Ok(())
}

/// The official opens their freshly written share file in `dir`/shares and checks it against
/// the manifest.
fn verify_own_share(
    manifest: &Manifest,
    official: &Official,
    sealed: &SealedShare,
    dir: &Path,
    ceremony: Ceremony,
    transcript: &mut Transcript,
    attendant: &mut dyn Attendant,
) -> Result<(), CeremonyError> {
    let file = dir.join(share_file(official.id().as_str()));
    let on_disk = std::fs::read(&file).map_err(CeremonyError::io(&file))?;
    if on_disk != sealed.to_bytes() {
        return Err(CeremonyError::refused(
            format!("{} does not hold what was written", file.display()),
            "the disk is faulty: use another ceremony machine",
        ));
    }
    match open_own_share(ceremony, manifest, sealed, official, transcript, attendant)? {
        Ok(_) => Ok(()),
        Err(wrong @ Unopened::WrongPassphrase { .. }) => Err(CeremonyError::refused(
            format!(
                "official {} did not open their new share: {wrong}; the {} cannot publish a \
                 share its official cannot open, so it stops here",
                official.id(),
                ceremony.name()
            ),
            "nothing was published; run the ceremony again when the official is ready",
        )),
        Err(Unopened::Share(error)) => Err(CeremonyError::Share { file, error }),
        Err(Unopened::NotAsked(error)) => Err(error),
    }
}
