//! Terminal prompts for secrets: no echo, read from the controlling terminal, never from argv or
//! the environment.

use crate::hsm::TokenDescription;
use crate::primitives::secret::Pin;

/// Asks for the user PIN of a token on the terminal, without echo.
pub fn token_pin(token: &TokenDescription) -> std::io::Result<Pin> {
    let text = rpassword::prompt_password(format!("User PIN for token {token}: "))?;
    Ok(Pin::from(text))
}
