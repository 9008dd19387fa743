//! PKCS#11 modules and their tokens: which library to load (the URI's module-path, else
//! `CUSTODY_PKCS11_MODULE`, else SoftHSM's usual install paths), loading and initializing it once
//! per process, and finding the one token a URI names. A module is never finalized: other
//! sessions in the process may still use it, and the OS reclaims it at exit.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::RvError;
use cryptoki::slot::{Slot, TokenInfo};

use super::error::{Error, Result};
use super::uri::Pkcs11Uri;

/// The environment variable naming the default module.
pub const MODULE_ENV: &str = "CUSTODY_PKCS11_MODULE";

/// Where SoftHSM's module is installed on common systems, in search order.
pub const SOFTHSM_PATHS: &[&str] = &[
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib64/pkcs11/libsofthsm2.so",
    "/usr/lib/pkcs11/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
    "/opt/homebrew/lib/softhsm/libsofthsm2.so",
];

/// A loaded, initialized PKCS#11 module.
#[derive(Debug, Clone)]
pub struct Module {
    path: PathBuf,
    pub(super) context: Pkcs11,
}

/// The public facts of one token, as shown to users.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TokenDescription {
    /// The slot holding the token.
    pub slot_id: u64,
    /// The token label.
    pub label: String,
    /// The token manufacturer.
    pub manufacturer: String,
    /// The token model.
    pub model: String,
    /// The token serial number.
    pub serial: String,
}

impl std::fmt::Display for TokenDescription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "\"{}\" (slot {}, {} {}, serial {})",
            self.label, self.slot_id, self.manufacturer, self.model, self.serial
        )
    }
}

impl Module {
    /// Loads the module the URI names, or the default one.
    pub fn for_uri(uri: &Pkcs11Uri) -> Result<Self> {
        Self::load(&module_path(uri)?)
    }

    /// Whether the module at `path` is already loaded in this process.
    pub fn is_loaded(path: &Path) -> bool {
        path.canonicalize()
            .is_ok_and(|path| loaded().contains_key(&path))
    }

    /// Loads and initializes the module at `path`, once per process.
    pub fn load(path: &Path) -> Result<Self> {
        if !path.is_file() {
            return Err(Error::ModuleMissing(path.to_owned()));
        }
        let path = path
            .canonicalize()
            .map_err(|_| Error::ModuleMissing(path.to_owned()))?;
        let mut loaded = loaded();
        if let Some(context) = loaded.get(&path) {
            return Ok(Self {
                path,
                context: context.clone(),
            });
        }
        let context = Pkcs11::new(&path).map_err(|e| Error::NotAModule {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        match context.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
            Ok(())
            | Err(cryptoki::error::Error::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
            Err(e) => return Err(Error::from_cryptoki("initializing the module")(e)),
        }
        loaded.insert(path.clone(), context.clone());
        Ok(Self { path, context })
    }

    /// A slot with no initialized token (SoftHSM always keeps one).
    pub(super) fn free_slot(&self) -> Result<Slot> {
        let initialized = self
            .context
            .get_slots_with_initialized_token()
            .map_err(Error::from_cryptoki("listing the slots"))?;
        self.context
            .get_all_slots()
            .map_err(Error::from_cryptoki("listing the slots"))?
            .into_iter()
            .find(|slot| !initialized.contains(slot))
            .ok_or_else(|| Error::Interface {
                doing: "looking for a free slot",
                reason: "every slot holds a token".into(),
            })
    }

    /// The module's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every token present in the module's slots.
    pub(super) fn tokens(&self) -> Result<Vec<(Slot, TokenDescription)>> {
        let slots = self
            .context
            .get_slots_with_initialized_token()
            .map_err(Error::from_cryptoki("listing the slots"))?;
        slots
            .into_iter()
            .map(|slot| {
                let info = self
                    .context
                    .get_token_info(slot)
                    .map_err(Error::from_cryptoki("reading token information"))?;
                Ok((slot, describe(slot, &info)))
            })
            .collect()
    }

    /// The one token matching the URI's token attributes.
    pub(super) fn find_token(&self, uri: &Pkcs11Uri) -> Result<(Slot, TokenDescription)> {
        let tokens = self.tokens()?;
        let wanted = uri.token_part();
        let (matching, others): (Vec<_>, Vec<_>) = tokens
            .into_iter()
            .partition(|(_, token)| matches(uri, token));
        match <[_; 1]>::try_from(matching) {
            Ok([found]) => Ok(found),
            Err(matching) if matching.is_empty() => Err(Error::NoSuchToken {
                wanted,
                present: others.iter().map(|(_, t)| t.to_string()).collect(),
            }),
            Err(matching) => Err(Error::AmbiguousToken {
                wanted,
                matching: matching.iter().map(|(_, t)| t.to_string()).collect(),
            }),
        }
    }
}

/// The modules this process has loaded, by canonical path.
fn loaded() -> std::sync::MutexGuard<'static, HashMap<PathBuf, Pkcs11>> {
    static LOADED: OnceLock<Mutex<HashMap<PathBuf, Pkcs11>>> = OnceLock::new();
    LOADED
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The module file a URI leads to.
pub fn module_path(uri: &Pkcs11Uri) -> Result<PathBuf> {
    if let Some(path) = &uri.module_path {
        return Ok(path.clone());
    }
    if let Some(path) = std::env::var_os(MODULE_ENV).filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    let searched: Vec<PathBuf> = SOFTHSM_PATHS.iter().map(PathBuf::from).collect();
    searched
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or(Error::NoModule { searched })
}

fn describe(slot: Slot, info: &TokenInfo) -> TokenDescription {
    TokenDescription {
        slot_id: slot.id(),
        label: info.label().trim_end().to_owned(),
        manufacturer: info.manufacturer_id().trim_end().to_owned(),
        model: info.model().trim_end().to_owned(),
        serial: info.serial_number().trim_end().to_owned(),
    }
}

fn matches(uri: &Pkcs11Uri, token: &TokenDescription) -> bool {
    let same =
        |wanted: &Option<String>, actual: &str| wanted.as_deref().is_none_or(|w| w == actual);
    same(&uri.token, &token.label)
        && same(&uri.manufacturer, &token.manufacturer)
        && same(&uri.model, &token.model)
        && same(&uri.serial, &token.serial)
        && uri.slot_id.is_none_or(|id| id == token.slot_id)
}
