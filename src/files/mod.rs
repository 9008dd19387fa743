//! Cross-cutting file handling, below every layer: atomic writes, bounded reads and secret files
//! (passphrase and PIN files). Plain I/O: it knows no format, does no cryptography, and never
//! leaves a partial file at a destination or a secret in an unwiped buffer.

mod atomic;
mod bounded;
mod secret;

pub use atomic::{
    create_directory, directory_of, sync_filesystem, sync_parent, write_atomic,
    write_atomic_public, AtomicFile, PUBLIC_FILE_MODE,
};
pub use bounded::read_at_most;
pub use secret::{check_private, read_secret_file, SecretFileError, MAX_SECRET_FILE_LEN};
