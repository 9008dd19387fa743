//! Layer 7, the `custody` command line (clap derive): parses arguments, prompts, prints.
//! Thin by rule: no cryptography and no format logic live here.

use std::process::ExitCode;

use clap::Parser;

/// custody: secret-shared key custody and recovery for a data embassy.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {}

/// Runs the command line and returns the process exit status.
pub fn run() -> ExitCode {
    let _cli = Cli::parse();
    ExitCode::SUCCESS
}
