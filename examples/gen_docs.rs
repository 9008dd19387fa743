//! Writes custody's shell completions and man pages, generated from its clap definitions by
//! `custody::cli::reference`, into the release directory scripts/release.sh assembles (D65):
//!
//! `cargo run --example gen_docs -- OUT_DIR` writes `OUT_DIR/completions/` (bash, zsh, fish) and
//! `OUT_DIR/man/man1/`.

use std::path::PathBuf;

use custody::cli::reference;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .ok_or("usage: gen_docs OUT_DIR")?;
    let completions = out.join("completions");
    let man = out.join("man/man1");
    std::fs::create_dir_all(&completions)?;
    std::fs::create_dir_all(&man)?;
    reference::write_completions(&completions)?;
    reference::write_man_pages(&man)?;
    Ok(())
}
