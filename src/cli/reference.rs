//! Layer 7: the reference documents generated from the command line's own clap definitions —
//! shell completions for bash, zsh and fish, and a man page for `custody` and for each of its
//! commands. `examples/gen_docs.rs` writes them for scripts/release.sh (D65); the `custody` binary
//! never calls this, so it gives operators no extra command. Must never print or read anything
//! but the clap definitions.

use std::io;
use std::path::Path;

use clap::CommandFactory;
use clap_complete::Shell;

use super::Cli;

/// The shells custody ships completions for.
pub const SHELLS: [Shell; 3] = [Shell::Bash, Shell::Zsh, Shell::Fish];

/// Writes the completion script of every shell in [`SHELLS`] into `dir`: `custody.bash`,
/// `_custody` (zsh) and `custody.fish`.
pub fn write_completions(dir: &Path) -> io::Result<()> {
    for shell in SHELLS {
        clap_complete::generate_to(shell, &mut Cli::command(), "custody", dir)?;
    }
    Ok(())
}

/// Writes the man pages, section 1, into `dir`: `custody.1` and one per command, named by its
/// path (`custody-genesis.1`, `custody-hsm-probe.1`, …).
pub fn write_man_pages(dir: &Path) -> io::Result<()> {
    clap_mangen::generate_to(Cli::command(), dir)
}
