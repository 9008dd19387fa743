//! Cross-cutting file handling, below every layer: atomic writes (and the temporary files an
//! interrupted or killed run leaves), bounded reads and secret files (passphrase and PIN files).
//! Plain I/O: it knows no format, does no cryptography, and never leaves a partial file at a
//! destination or a secret in an unwiped buffer.

mod atomic;
mod bounded;
mod leftover;
mod secret;
mod tree;

pub use atomic::{
    abandon_unfinished, commit_elsewhere, create_directory, directory_of, sync_filesystem,
    sync_parent, write_atomic, write_atomic_mode, write_atomic_public, Abandoned, AtomicFile,
    TemporaryKind, PUBLIC_FILE_MODE,
};
pub use bounded::read_at_most;
pub use leftover::{note_process_start, remove_leftovers, Leftover};
pub use secret::{check_private, read_secret_file, SecretFileError, MAX_SECRET_FILE_LEN};
pub use tree::{find_files_ending, Skipped, TreeListing};
