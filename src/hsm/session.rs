//! A logged-in session on one token: opening it from a URI, logging in as the user with the PIN
//! from the URI's pin-source or the caller's prompt, and the handful of helpers the key modules
//! share. One session serves many operations; it closes (and logs out) when dropped.

use cryptoki::error::RvError;
use cryptoki::object::{Attribute, AttributeType, ObjectHandle};
use cryptoki::session::{Session, UserType};

use super::error::{Error, Result};
use super::module::{Module, TokenDescription};
use super::pin::read_pin;
use super::uri::{PinSource, Pkcs11Uri};
use crate::primitives::secret::Pin;

/// A prompt for the user PIN of the token described, used when the URI names no pin-source.
pub type PinPrompt<'a> = &'a mut dyn FnMut(&TokenDescription) -> std::io::Result<Pin>;

/// A read-write session on one token, logged in as the user.
#[derive(Debug)]
pub struct TokenSession {
    pub(super) session: Session,
    token: TokenDescription,
    module: Module,
}

impl TokenSession {
    /// Opens a session on the token the URI names and logs in.
    pub fn open(uri: &Pkcs11Uri, prompt: PinPrompt<'_>) -> Result<Self> {
        let module = Module::for_uri(uri)?;
        let (slot, token) = module.find_token(uri)?;
        let pin = match &uri.pin_source {
            Some(source) => read_pin(source)?,
            None => prompt(&token).map_err(|e| Error::PinSource {
                source_name: "the terminal".into(),
                reason: e.to_string(),
            })?,
        };
        let session = module
            .context
            .open_rw_session(slot)
            .map_err(Error::from_cryptoki("opening a session"))?;
        match session.login(UserType::User, Some(pin.as_secret_string())) {
            Ok(()) | Err(cryptoki::error::Error::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
            Err(cryptoki::error::Error::Pkcs11(
                RvError::PinIncorrect | RvError::PinLenRange,
                _,
            )) => {
                let from = match &uri.pin_source {
                    Some(PinSource::File(path)) => format!("the PIN file {}", path.display()),
                    Some(PinSource::Fd(fd)) => format!("descriptor fd:{fd}"),
                    None => "the terminal".to_owned(),
                };
                return Err(Error::PinRefused {
                    token: token.label,
                    from,
                });
            }
            Err(cryptoki::error::Error::Pkcs11(RvError::PinLocked, _)) => {
                return Err(Error::PinLocked { token: token.label });
            }
            Err(e) => return Err(Error::from_cryptoki("logging in")(e)),
        }
        Ok(Self {
            session,
            token,
            module,
        })
    }

    /// The token this session is on.
    pub fn token(&self) -> &TokenDescription {
        &self.token
    }

    /// The module driving the token.
    pub fn module(&self) -> &Module {
        &self.module
    }

    /// Fills `out` from the token's random number generator.
    pub fn random(&self, out: &mut [u8]) -> Result<()> {
        self.session
            .generate_random_slice(out)
            .map_err(Error::from_cryptoki("drawing random bytes"))
    }

    /// Creates an object that is destroyed when the returned guard drops.
    pub(super) fn temporary(
        &self,
        template: &[Attribute],
        doing: &'static str,
    ) -> Result<TemporaryObject<'_>> {
        let handle = self
            .session
            .create_object(template)
            .map_err(Error::from_cryptoki(doing))?;
        Ok(TemporaryObject {
            session: &self.session,
            handle,
        })
    }

    /// Takes ownership of an object the token just made, destroying it when the guard drops.
    pub(super) fn adopt(&self, handle: ObjectHandle) -> TemporaryObject<'_> {
        TemporaryObject {
            session: &self.session,
            handle,
        }
    }

    /// Reads boolean attributes; a missing one reads as `false`.
    pub(super) fn flags(&self, object: ObjectHandle, types: &[AttributeType]) -> Result<Vec<bool>> {
        let attributes = self
            .session
            .get_attributes(object, types)
            .map_err(Error::from_cryptoki("reading key attributes"))?;
        Ok(types
            .iter()
            .map(|wanted| {
                attributes
                    .iter()
                    .any(|a| a.attribute_type() == *wanted && bool_value(a))
            })
            .collect())
    }
}

fn bool_value(attribute: &Attribute) -> bool {
    match attribute {
        Attribute::Token(b)
        | Attribute::Private(b)
        | Attribute::Sensitive(b)
        | Attribute::Extractable(b)
        | Attribute::Wrap(b)
        | Attribute::Unwrap(b)
        | Attribute::Encrypt(b)
        | Attribute::Decrypt(b)
        | Attribute::Sign(b)
        | Attribute::Verify(b)
        | Attribute::Derive(b)
        | Attribute::Copyable(b)
        | Attribute::Modifiable(b) => *b,
        _ => false,
    }
}

/// Wipes the key values a template carried once the token has taken them.
pub(super) fn wipe_values(template: &mut [Attribute]) {
    for attribute in template {
        if let Attribute::Value(value) = attribute {
            zeroize::Zeroize::zeroize(value);
        }
    }
}

/// A session object destroyed as soon as it goes out of scope, whatever path leaves the scope.
#[derive(Debug)]
pub(super) struct TemporaryObject<'a> {
    session: &'a Session,
    pub(super) handle: ObjectHandle,
}

impl Drop for TemporaryObject<'_> {
    fn drop(&mut self) {
        // Session objects vanish with the session anyway; destroying now keeps the window short.
        let _ = self.session.destroy_object(self.handle);
    }
}
