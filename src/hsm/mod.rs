//! Layer 2, the HSM: everything PKCS#11 — URIs, modules and tokens, login, the domain key object,
//! the chain record, the inventory of custody's objects on a token, data-key wrapping and the
//! capability probe, and the key a contribution request rests under (`request_key`). The only module that touches cryptoki; no cryptoki type appears in its
//! public interface.

mod chain_record;
mod data_key;
mod domain_key;
mod error;
mod inventory;
mod key_proof;
mod module;
mod pin;
mod probe;
mod request_key;
mod session;
mod throwaway;
mod uri;

pub use chain_record::{ChainRecord, RecordOutcome, CHAIN_RECORD_LEN};
pub use data_key::{WrappedKey, WRAPPED_DATA_KEY_LEN};
pub use domain_key::{DomainKeyHandle, KeySelector, Persistence};
pub use error::{Error, Result};
pub use inventory::{ChainRecordObject, KeyObject, Protections, TokenInventory};
pub use module::{module_path, Module, TokenDescription, MODULE_ENV, SOFTHSM_PATHS};
pub use pin::{exposed_pin_file, read_pin};
pub use probe::{probe, Check, MechanismCheck, ProbeReport};
pub use request_key::{RequestKeyHandle, REQUEST_KEY_NONCE_LEN};
pub use session::{PinPrompt, TokenSession};
pub use throwaway::ThrowawaySoftHsm;
pub use uri::{ObjectType, PinSource, Pkcs11Uri};
