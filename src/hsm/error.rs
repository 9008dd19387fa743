//! The HSM layer's error: one enum, each variant naming what went wrong in the user's terms, with
//! a recommendation for the next step. A PKCS#11 failure carries the failing function and its
//! `CKR_*` code. No variant ever holds a PIN or key material.

use std::path::PathBuf;

/// Everything that can go wrong talking to an HSM.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The PKCS#11 URI does not follow RFC 7512 or uses an attribute custody does not know.
    #[error("malformed PKCS#11 URI: {0}")]
    MalformedUri(String),
    /// The URI carries the PIN itself.
    #[error("the PKCS#11 URI contains pin-value: custody refuses PINs inside URIs")]
    PinValueInUri,
    /// No module path was given and none of the usual SoftHSM locations holds one.
    #[error("no PKCS#11 module found (searched {})", display_paths(.searched))]
    NoModule {
        /// The default locations that were tried.
        searched: Vec<PathBuf>,
    },
    /// The named module file does not exist.
    #[error("PKCS#11 module {} does not exist", .0.display())]
    ModuleMissing(PathBuf),
    /// The file exists but is not a loadable PKCS#11 module.
    #[error("{} is not a PKCS#11 module: {reason}", .path.display())]
    NotAModule {
        /// The file that was loaded.
        path: PathBuf,
        /// What the loader said.
        reason: String,
    },
    /// No token matches the URI.
    #[error("no token matches {wanted}; tokens present: {}", list_or_none(.present))]
    NoSuchToken {
        /// The token attributes the URI asked for.
        wanted: String,
        /// The tokens that do exist, described.
        present: Vec<String>,
    },
    /// More than one token matches the URI.
    #[error("{wanted} matches more than one token: {}", .matching.join(", "))]
    AmbiguousToken {
        /// The token attributes the URI asked for.
        wanted: String,
        /// The tokens that match, described.
        matching: Vec<String>,
    },
    /// The token refused the PIN.
    #[error("token {token}: the PIN from {from} was refused")]
    PinRefused {
        /// The token's label.
        token: String,
        /// Where the PIN came from: the PIN file, a descriptor, or the terminal.
        from: String,
    },
    /// The token's user PIN is locked after too many wrong tries.
    #[error("token {token}: the user PIN is locked")]
    PinLocked {
        /// The token's label.
        token: String,
    },
    /// The PIN source could not be read.
    #[error("cannot read the PIN from {source_name}: {reason}")]
    PinSource {
        /// The pin-source as given (a path or `fd:N`).
        source_name: String,
        /// Why it failed.
        reason: String,
    },
    /// No domain key object with that label or id is on the token.
    #[error("token {token}: no domain key {key}")]
    DomainKeyAbsent {
        /// The token's label.
        token: String,
        /// The label or id that was looked for.
        key: String,
    },
    /// A domain key with that label or id already exists.
    #[error("token {token}: a key {key} already exists")]
    DomainKeyExists {
        /// The token's label.
        token: String,
        /// The label or id that clashes.
        key: String,
    },
    /// More than one key object answers to the same label or id.
    #[error("token {token}: {count} keys answer to {key}")]
    DuplicateKeys {
        /// The token's label.
        token: String,
        /// The label or id looked for.
        key: String,
        /// How many objects matched.
        count: usize,
    },
    /// The object found lacks the protections custody requires of a domain key.
    #[error("token {token}: key {key} is not a safe domain key ({})", .problems.join(", "))]
    UnsafeDomainKey {
        /// The token's label.
        token: String,
        /// The object's label or id.
        key: String,
        /// Each property that is wrong.
        problems: Vec<&'static str>,
    },
    /// The key object has the domain key's name and protections but not its value: its wrap of
    /// the wrap check input differs from the recorded wrap check value.
    #[error("token {token}: key {key} is not the domain's key (its wrap check value differs from the one recorded)")]
    NotTheDomainKey {
        /// The token's label.
        token: String,
        /// The object's label and id.
        key: String,
    },
    /// More than one object answers to a domain's chain record label.
    #[error("token {token}: {count} objects answer to the chain record label \"{label}\"")]
    DuplicateChainRecords {
        /// The token's label.
        token: String,
        /// The chain record's label, `custody:<domain>:chain`.
        label: String,
        /// How many objects matched.
        count: usize,
    },
    /// The object with a domain's chain record label is not one custody would have written.
    #[error("token {token}: the chain record \"{label}\" is not one custody wrote ({})", .problems.join(", "))]
    MalformedChainRecord {
        /// The token's label.
        token: String,
        /// The chain record's label.
        label: String,
        /// Each thing that is wrong with it.
        problems: Vec<String>,
    },
    /// A manifest older than one the token has already seen: a rollback.
    #[error("token {token}: the manifest offered is at chain position {offered}, but this token has already seen position {recorded} (chain record \"{label}\")")]
    ChainRollback {
        /// The token's label.
        token: String,
        /// The chain record's label.
        label: String,
        /// The position the token has recorded.
        recorded: u64,
        /// The lower position offered.
        offered: u64,
    },
    /// The token's chain record for this domain id belongs to a domain with another fingerprint.
    #[error("token {token}: the chain record \"{label}\" is of the domain with fingerprint {recorded}, not {offered}")]
    ChainFingerprintMismatch {
        /// The token's label.
        token: String,
        /// The chain record's label.
        label: String,
        /// The fingerprint recorded on the token (64 hex digits).
        recorded: String,
        /// The fingerprint offered (64 hex digits).
        offered: String,
    },
    /// The chain record could not be raised, or did not read back as written.
    #[error("token {token}: the chain record \"{label}\" could not be updated: {reason}")]
    ChainRecordNotUpdated {
        /// The token's label.
        token: String,
        /// The chain record's label.
        label: String,
        /// What the token did, and what the record holds now.
        reason: String,
    },
    /// A wrapped key that the token would not unwrap: tampered, truncated, or under another key.
    #[error("the wrapped data key does not unwrap under this domain key ({0})")]
    UnwrapRefused(&'static str),
    /// Any other refusal from the token, with the function and return code.
    #[error("the token refused C_{function} while {doing}: CKR_{code}")]
    Pkcs11 {
        /// The PKCS#11 function that failed, without its `C_` prefix (e.g. `WrapKey`).
        function: String,
        /// Its return code, as cryptoki names it without the `CKR_` prefix (e.g.
        /// `WrappedKeyInvalid`; a vendor code as `VendorDefined(<number>)`).
        code: String,
        /// What custody was doing.
        doing: &'static str,
    },
    /// cryptoki failed outside any PKCS#11 call.
    #[error("PKCS#11 interface error while {doing}: {reason}")]
    Interface {
        /// What custody was doing.
        doing: &'static str,
        /// What went wrong.
        reason: String,
    },
}

impl Error {
    /// What the user should do next.
    pub fn hint(&self) -> &'static str {
        match self {
            Self::MalformedUri(_) => "write it as pkcs11:token=LABEL?module-path=/path/to/module.so&pin-source=file:/path/to/pin (RFC 7512)",
            Self::PinValueInUri => "put the PIN in a file readable only by you and name it with pin-source=file:/path, or leave pin-source out to be prompted",
            Self::NoModule { .. } => "install SoftHSM (bash hsm/install-softhsm.sh), or name your HSM's module with module-path= in the URI or CUSTODY_PKCS11_MODULE",
            Self::ModuleMissing(_) => "check the module-path in the URI or CUSTODY_PKCS11_MODULE; hsm/README.md lists typical module paths",
            Self::NotAModule { .. } => "module-path must name the vendor's PKCS#11 library (a .so file exporting C_GetFunctionList)",
            Self::NoSuchToken { .. } => "check the token= label in the URI against the tokens listed; for SoftHSM, check SOFTHSM2_CONF points at the right configuration",
            Self::AmbiguousToken { .. } => "add serial= or slot-id= to the URI to pick one token",
            Self::PinRefused { .. } => "check that the PIN there is this token's user PIN (or retype it); repeated failures lock the token",
            Self::PinLocked { .. } => "the token's security officer must unlock the user PIN",
            Self::PinSource { .. } => "pin-source must name a readable, non-empty file (file:/path or /path) or an open descriptor (fd:N)",
            Self::DomainKeyAbsent { .. } => "check the object= or id= in the URI, or that this token has been given the domain key (genesis or unlock)",
            Self::DomainKeyExists { .. } => "this token already holds a key of that name; destroy it first or use another token",
            Self::DuplicateKeys { .. } => "name the key by both object= and id=, or remove the stray copies with the token's administration tool",
            Self::UnsafeDomainKey { .. } => "custody uses only keys it imported itself; destroy this object and import the domain key again with custody",
            Self::NotTheDomainKey { .. } => "someone who holds the token's PIN may have replaced the key object: use another token, and re-enrol this one from a quorum (custody unlock) after investigating; nothing was written",
            Self::DuplicateChainRecords { .. } => "custody keeps one chain record per domain: list the token's data objects (pkcs11-tool --list-objects --type data), find out who made the others, and remove all but the one holding the position of the manifest in force; nothing was changed",
            Self::MalformedChainRecord { .. } => "custody neither trusts nor overwrites it: find out who made it (someone holding the token's PIN, or a newer custody), then remove it with the token's administration tool and let custody record the manifest in force again; nothing was changed",
            Self::ChainRollback { .. } => "use the manifest in force, the newest of the domain's chain: an older one may name keys or officials since retired; nothing was changed",
            Self::ChainFingerprintMismatch { .. } => "this token was enrolled in another domain of the same id, or the manifest is not this domain's: compare both fingerprints with the one read aloud at genesis; nothing was changed",
            Self::ChainRecordNotUpdated { .. } => "custody makes its chain record modifiable and destroyable; run `custody hsm probe URI` to check the token, or remove the record with the token's administration tool and let custody record the manifest in force again",
            Self::UnwrapRefused(_) => "the archive header may be damaged, or it belongs to another domain or epoch than this token's key",
            Self::Pkcs11 { .. } | Self::Interface { .. } => "run `custody hsm probe URI` to check the token supports what custody needs",
        }
    }

    /// Wraps a cryptoki error with what custody was doing when it happened.
    pub(crate) fn from_cryptoki(
        doing: &'static str,
    ) -> impl FnOnce(cryptoki::error::Error) -> Self {
        move |err| match err {
            cryptoki::error::Error::Pkcs11(rv, function) => Self::Pkcs11 {
                function: format!("{function:?}"),
                code: format!("{rv:?}"),
                doing,
            },
            other => Self::Interface {
                doing,
                reason: other.to_string(),
            },
        }
    }
}

fn display_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join("; ")
    }
}

/// The HSM layer's result type.
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;
    use cryptoki::context::Function;
    use cryptoki::error::RvError;

    #[test]
    fn a_pkcs11_refusal_names_the_function_and_code_in_custodys_own_types() {
        let error = Error::from_cryptoki("wrapping a key")(cryptoki::error::Error::Pkcs11(
            RvError::KeyFunctionNotPermitted,
            Function::WrapKey,
        ));
        assert!(
            matches!(&error, Error::Pkcs11 { function, code, .. }
                if function == "WrapKey" && code == "KeyFunctionNotPermitted"),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "the token refused C_WrapKey while wrapping a key: CKR_KeyFunctionNotPermitted"
        );
    }
}
