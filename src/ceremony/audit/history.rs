//! The audit's view of a domain's history: what made each manifest of the chain, told by how it
//! follows the one before it, and what `history/` keeps of superseded share sets and canaries,
//! each matched with the chain; whatever else is there is flagged (FORMAT.md 8.4, D62).

use std::path::Path;

use serde::Serialize;

use crate::domain::ManifestChain;

use super::super::error::CeremonyError;
use super::super::history::{self, Kept, HISTORY};

/// What `history/` holds (FORMAT.md 8.4), checked against the chain.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HistoryAudit {
    /// The superseded share sets kept, by name.
    pub share_sets: Vec<KeptSetAudit>,
    /// The superseded canaries kept, by name.
    pub canaries: Vec<KeptCanaryAudit>,
    /// Whatever else is there: custody writes nothing else to `history/`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unrecognised: Vec<UnrecognisedAudit>,
}

/// A superseded share set in `history/`.
#[derive(Debug, Clone, Serialize)]
pub struct KeptSetAudit {
    /// Its path in the domain directory.
    pub path: String,
    /// The epoch of the key it shares.
    pub epoch: u32,
    /// The chain position of the manifest that made it.
    pub position: u64,
    /// How many share files it holds.
    pub files: usize,
}

/// A superseded canary in `history/`.
#[derive(Debug, Clone, Serialize)]
pub struct KeptCanaryAudit {
    /// Its path in the domain directory.
    pub path: String,
    /// The epoch of the key it was sealed under.
    pub epoch: u32,
}

/// Something in `history/` custody did not put there.
#[derive(Debug, Clone, Serialize)]
pub struct UnrecognisedAudit {
    /// Its path in the domain directory.
    pub path: String,
    /// Why it is not recognised.
    pub why: &'static str,
}

/// What `history/` keeps, each entry matched with the chain: a share set must be the set of a
/// superseded manifest (one not in force), a canary of an epoch before the one in force.
pub(super) fn check_history(
    dir: &Path,
    chain: &ManifestChain,
) -> Result<HistoryAudit, CeremonyError> {
    let in_force = chain.in_force();
    let kept = history::read(dir).map_err(CeremonyError::io(&dir.join(HISTORY)))?;
    let mut audit = HistoryAudit::default();
    let mut flag = |path: String, why| audit.unrecognised.push(UnrecognisedAudit { path, why });
    for entry in kept {
        match entry {
            Kept::Shares {
                name,
                epoch,
                set_prefix,
                files,
                strays,
            } => {
                let superseded = chain.manifests().find(|manifest| {
                    manifest.epoch() == epoch
                        && hex::encode(manifest.set_id()).starts_with(&set_prefix)
                        && manifest.set_id() != in_force.set_id()
                });
                let Some(manifest) = superseded else {
                    flag(name, "names no superseded share set of this domain's chain");
                    continue;
                };
                for stray in strays {
                    flag(stray, "not a share file of the set kept there");
                }
                audit.share_sets.push(KeptSetAudit {
                    path: name,
                    epoch,
                    position: manifest.chain_position(),
                    files,
                });
            }
            Kept::Canary { name, epoch } => {
                if epoch < in_force.epoch() && chain.manifests().any(|m| m.epoch() == epoch) {
                    audit.canaries.push(KeptCanaryAudit { path: name, epoch });
                } else {
                    flag(name, "names no superseded epoch of this domain's chain");
                }
            }
            Kept::Unrecognised { name } => flag(name, "not a name custody writes in history/"),
        }
    }
    Ok(audit)
}
