//! Where an opening finds the domain key of each archive: the token a PKCS#11 URI names
//! (`custody open`), or the domain key this process holds (`custody recover --no-hsm`). One
//! [`Opener`] serves a single archive (`-o`) and a bulk restore (`--out-dir`) alike, writing to a
//! file (renamed into place once it fully authenticates) or to standard output.

use std::path::Path;

use super::output::Failure;
use super::token;
use crate::archive::{Archive, ArchiveSummary, KeyToken, KeyWrap};

/// Where the domain key of each archive is found.
#[derive(Clone, Copy)]
pub enum Keys<'a> {
    /// The token a PKCS#11 URI names, opened once every archive is checked (`open`).
    Token(&'a str),
    /// A domain key this process holds (`recover --no-hsm`): every archive must name it.
    Held(&'a dyn KeyWrap),
}

impl std::fmt::Debug for Keys<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Token(uri) => f.debug_tuple("Token").field(uri).finish(),
            Self::Held(key) => f.debug_tuple("Held").field(key.key_ref()).finish(),
        }
    }
}

/// Where an archive's data goes.
#[derive(Debug, Clone, Copy)]
pub enum Output<'a> {
    /// A file, which appears only once the last chunk authenticates.
    File(&'a Path),
    /// Standard output, each chunk written once it authenticates.
    Stdout,
}

/// The keys opened for a run: a token session, or the held key.
pub enum Opener<'a> {
    Token(KeyToken),
    Held(&'a dyn KeyWrap),
}

impl<'a> Opener<'a> {
    /// Opens the token (asking its PIN) or takes the held key.
    pub fn new(keys: Keys<'a>) -> Result<Self, Failure> {
        Ok(match keys {
            Keys::Token(uri) => Self::Token(token::key_token(uri)?),
            Keys::Held(key) => Self::Held(key),
        })
    }

    /// Opens `archive` into `output` with the domain key its header names.
    pub fn open(
        &self,
        archive: Archive<'static>,
        output: Output<'_>,
        progress: &dyn Fn(u64),
    ) -> crate::archive::Result<ArchiveSummary> {
        match self {
            Self::Token(token) => {
                let header = archive.header();
                let key = token.key(&header.spec.identity, &header.wrap_check)?;
                write(archive, &key, output, progress)
            }
            Self::Held(key) => {
                archive.expect(key.key_ref())?;
                write(archive, *key, output, progress)
            }
        }
    }
}

fn write(
    archive: Archive<'static>,
    key: &dyn KeyWrap,
    output: Output<'_>,
    progress: &dyn Fn(u64),
) -> crate::archive::Result<ArchiveSummary> {
    match output {
        Output::File(path) => archive.open_to_file(key, path, progress),
        Output::Stdout => archive.open(key, std::io::stdout().lock(), progress),
    }
}
