//! Layer 7, the `custody` command line (clap derive): parses arguments, prompts, prints.
//! Thin by rule: no cryptography and no format logic live here.

mod hsm;
mod output;
mod prompt;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use output::Failure;

/// custody: secret-shared key custody and recovery for a data embassy.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Inspect and check HSM tokens.
    #[command(subcommand)]
    Hsm(hsm::HsmCommand),
}

/// Runs the command line and returns the process exit status.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Hsm(command) => hsm::run(command),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            output::report_failure(&failure);
            ExitCode::FAILURE
        }
    }
}
