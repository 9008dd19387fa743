//! Throwaway SoftHSM tokens for drills and the demo: a SoftHSM configuration of this process's
//! own in a temporary directory, tokens initialized in it with random PINs kept in files there,
//! and destruction by re-initialization. Everything vanishes with the directory.
//!
//! SoftHSM reads `SOFTHSM2_CONF` once, when it is first loaded, so a throwaway configuration must
//! be made before anything in the process loads SoftHSM; making one afterwards is refused.

use std::path::{Path, PathBuf};

use cryptoki::session::UserType;

use super::error::{Error, Result};
use super::module::{module_path, Module};
use super::uri::{PinSource, Pkcs11Uri};
use crate::primitives::random;
use crate::primitives::secret::Pin;

/// The SoftHSM configuration, pointing at a token directory.
const CONFIG: &str = "directories.tokendir = {TOKENDIR}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n";

/// A SoftHSM of this process's own, in a temporary directory.
#[derive(Debug)]
pub struct ThrowawaySoftHsm {
    dir: tempfile::TempDir,
    module: PathBuf,
}

impl ThrowawaySoftHsm {
    /// Makes the configuration and points this process's SoftHSM at it.
    pub fn create() -> Result<Self> {
        let module = module_path(&Pkcs11Uri::default())?;
        if Module::is_loaded(&module) {
            return Err(interface(
                "SoftHSM is already loaded in this process with another configuration",
            ));
        }
        let dir = tempfile::Builder::new()
            .prefix("custody-throwaway-")
            .tempdir()
            .map_err(|e| interface(&e.to_string()))?;
        let tokens = dir.path().join("tokens");
        std::fs::create_dir(&tokens).map_err(|e| interface(&e.to_string()))?;
        let conf = dir.path().join("softhsm2.conf");
        let text = CONFIG.replace("{TOKENDIR}", &tokens.to_string_lossy());
        std::fs::write(&conf, text).map_err(|e| interface(&e.to_string()))?;
        // Before the module loads: SoftHSM reads it once per process.
        std::env::set_var("SOFTHSM2_CONF", &conf);
        Ok(Self { dir, module })
    }

    /// The directory holding the configuration, the tokens and their PIN files.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Initializes a token labelled `label` with random PINs; returns its URI (with the PIN file
    /// as pin-source).
    pub fn token(&self, label: &str) -> Result<Pkcs11Uri> {
        let module = Module::load(&self.module)?;
        let slot = module.free_slot()?;
        let so_pin = self.new_pin(&format!("{label}.so.pin"))?;
        let user_pin = self.new_pin(&format!("{label}.user.pin"))?;
        module
            .context
            .init_token(slot, so_pin.as_secret_string(), label)
            .map_err(Error::from_cryptoki("initializing a throwaway token"))?;
        let session = module
            .context
            .open_rw_session(slot)
            .map_err(Error::from_cryptoki("opening a throwaway token"))?;
        session
            .login(UserType::So, Some(so_pin.as_secret_string()))
            .and_then(|()| session.init_pin(user_pin.as_secret_string()))
            .and_then(|()| session.logout())
            .map_err(Error::from_cryptoki("setting a throwaway token's PIN"))?;
        Ok(Pkcs11Uri {
            token: Some(label.to_owned()),
            module_path: Some(self.module.clone()),
            pin_source: Some(PinSource::File(
                self.dir.path().join(format!("{label}.user.pin")),
            )),
            ..Pkcs11Uri::default()
        })
    }

    /// Wipes the token labelled `label`: every object on it is gone, as if the HSM were lost.
    /// Every session on it must be closed first.
    pub fn destroy(&self, label: &str) -> Result<()> {
        let module = Module::load(&self.module)?;
        let uri = Pkcs11Uri {
            token: Some(label.to_owned()),
            ..Pkcs11Uri::default()
        };
        let (slot, _) = module.find_token(&uri)?;
        let so_pin = super::pin::read_pin(&PinSource::File(
            self.dir.path().join(format!("{label}.so.pin")),
        ))?;
        module
            .context
            .init_token(
                slot,
                so_pin.as_secret_string(),
                &format!("{label}-destroyed"),
            )
            .map_err(Error::from_cryptoki("destroying a throwaway token"))
    }

    fn new_pin(&self, file: &str) -> Result<Pin> {
        let mut bytes = [0u8; 16];
        random::fill(&mut bytes).map_err(|e| interface(&e.to_string()))?;
        let pin = hex::encode(bytes);
        let path = self.dir.path().join(file);
        crate::files::write_atomic(&path, pin.as_bytes()).map_err(|e| interface(&e.to_string()))?;
        Ok(Pin::from(pin))
    }
}

fn interface(reason: &str) -> Error {
    Error::Interface {
        doing: "preparing a throwaway SoftHSM token",
        reason: reason.to_owned(),
    }
}
