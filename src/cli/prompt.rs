//! Terminal prompts for secrets: no echo, read from the controlling terminal, never from argv or
//! the environment. Each prompt says who must act and on which file. Nothing typed is echoed,
//! printed or kept beyond the secret type it is returned in. A confirmation, which is public (a
//! key's label typed back), is read as a line from standard input, echoed.

use std::path::Path;

use secrecy::ExposeSecret;

use super::output::Failure;
use crate::ceremony::PassphrasePolicy;
use crate::domain::Official;
use crate::hsm::TokenDescription;
use crate::primitives::secret::{Passphrase, Pin};

/// Asks for the user PIN of a token on the terminal, without echo.
pub fn token_pin(token: &TokenDescription) -> std::io::Result<Pin> {
    let text = rpassword::prompt_password(format!("User PIN for token {token}: "))?;
    Ok(Pin::from(text))
}

/// Asks `official` for the passphrase of `file`; `which` is "your" or "your current".
pub fn passphrase(official: &Official, which: &str, file: &Path) -> Result<Passphrase, Failure> {
    ask(&format!(
        "Official {} ({}): type {which} passphrase for {}: ",
        official.name(),
        official.id(),
        file.display()
    ))
}

/// Asks `official` for a new passphrase for `file`, twice; refuses one `policy` finds weak as
/// soon as it is typed, and two different entries.
pub fn new_passphrase(
    official: &Official,
    file: &Path,
    policy: &PassphrasePolicy<'_>,
) -> Result<Passphrase, Failure> {
    let first = ask(&format!(
        "Official {} ({}): choose a new passphrase for {} (at least 12 characters): ",
        official.name(),
        official.id(),
        file.display()
    ))?;
    policy
        .judge(&first)
        .map_err(|weak| Failure::new(weak.to_string(), weak.hint()))?;
    let second = ask(&format!(
        "Official {} ({}): type the new passphrase again: ",
        official.name(),
        official.id()
    ))?;
    if first.expose_secret() != second.expose_secret() {
        return Err(Failure::new(
            "the two new passphrases differ; nothing was changed",
            "run the command again and type the same new passphrase twice",
        ));
    }
    Ok(first)
}

/// Asks `official` for the passphrase of their share, at a ceremony.
pub fn passphrase_for_share(official: &Official) -> Result<Passphrase, Failure> {
    ask(&format!(
        "Official {} ({}): type your passphrase: ",
        official.name(),
        official.id()
    ))
}

/// Asks the official `official_id` (the id their share file names; no manifest says more) for
/// the passphrase of `file`.
pub fn passphrase_of_share(official_id: &str, file: &Path) -> Result<Passphrase, Failure> {
    ask(&format!(
        "Official {official_id}: type your passphrase for {}: ",
        file.display()
    ))
}

/// Asks `official` to choose the passphrase of their new share (the first of two entries).
pub fn choose_passphrase(official: &Official) -> Result<Passphrase, Failure> {
    ask(&format!(
        "Official {} ({}): choose your passphrase (at least 12 characters): ",
        official.name(),
        official.id()
    ))
}

/// Asks `official` to type the passphrase they chose again.
pub fn repeat_passphrase(official: &Official) -> Result<Passphrase, Failure> {
    ask(&format!(
        "Official {} ({}): type it again: ",
        official.name(),
        official.id()
    ))
}

/// Shows `question` and reads one line from standard input; end of input is an error.
pub fn line(question: &str) -> std::io::Result<String> {
    use std::io::{BufRead, Write};
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(question.as_bytes())?;
    stdout.flush()?;
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer)? == 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "standard input ended before a line was typed",
        ));
    }
    Ok(answer)
}

fn ask(prompt: &str) -> Result<Passphrase, Failure> {
    rpassword::prompt_password(prompt)
        .map(Passphrase::from)
        .map_err(|error| {
            Failure::new(
                format!("cannot read a passphrase from the terminal: {error}"),
                "run the command on a terminal, or give the passphrase in a file with \
                 --passphrase-file (scripted mode)",
            )
        })
}
