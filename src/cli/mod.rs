//! Layer 7, the `custody` command line (clap derive): parses arguments, prompts, prints.
//! Thin by rule: no cryptography and no format logic live here.

mod archive_list;
mod attendant;
mod audit;
mod catalog;
mod ceremony;
mod contribute;
mod hsm;
mod inspect;
mod interrupt;
mod kit;
mod open;
mod opener;
mod output;
mod paper;
mod progress;
mod prompt;
mod recover;
pub mod reference;
mod request;
mod reshare;
mod restore;
mod seal;
mod secret;
mod selftest;
mod share;
mod stdio;
mod store;
mod store_writers;
mod token;
mod token_keys;
mod verify;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

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
    /// Inspect and check HSM tokens, list custody's keys on them, destroy keys not in force.
    #[command(subcommand)]
    Hsm(hsm::HsmCommand),
    /// An official's share file: check it, change its passphrase, print it on paper and back, or
    /// contribute it to a ceremony elsewhere.
    #[command(subcommand)]
    Share(share::ShareCommand),
    /// Seal files into archives under fresh data keys wrapped by the domain key on a token.
    Seal(seal::SealArgs),
    /// Secrets custody generates and keeps for other programs (a restic repository's password).
    #[command(subcommand)]
    Secret(secret::SecretCommand),
    /// Decrypt an archive, releasing only authenticated data.
    Open(open::OpenArgs),
    /// Authenticate every chunk of archives without writing their data.
    Verify(verify::VerifyArgs),
    /// Show the public facts of a custody file (share file, manifest, archive, contribution
    /// request or contribution); never secret material.
    Inspect(inspect::InspectArgs),
    /// Create a domain: generate its key, split it among the officials, put it on the tokens.
    Genesis(ceremony::GenesisArgs),
    /// Rebuild the domain key from a quorum of shares into a token (embassy activation).
    Unlock(ceremony::UnlockArgs),
    /// Ask officials elsewhere for their shares: a contribution request, its key kept on the
    /// ceremony's token, its fingerprint read aloud over a call.
    Request(request::RequestArgs),
    /// Recover without an HSM: a quorum rebuilds the domain key in this computer's memory and
    /// every archive is restored under its recorded name (requires --no-hsm).
    Recover(recover::RecoverArgs),
    /// Replace the share set: a quorum of current officials re-splits the key for new officials
    /// and a new threshold; the old set is revoked.
    Reshare(reshare::ReshareArgs),
    /// Rehearse a full restore on a throwaway token: unlock, open the canary archive, destroy.
    Drill(ceremony::DrillArgs),
    /// The whole story on throwaway tokens: genesis, sealing, disaster, unlock, restore, audit.
    Demo(ceremony::DemoArgs),
    /// A new epoch: new key, new shares, every archive rewrapped without re-encryption.
    Rotate(ceremony::RotateArgs),
    /// Check a domain directory offline: transcript chain, manifest, share files.
    Audit(audit::AuditArgs),
    /// An archive store's catalog: check the store complete with no key, show its head, prove
    /// one archive in it.
    #[command(subcommand)]
    Catalog(catalog::CatalogCommand),
    /// Write a self-contained recovery kit of a domain (binary, public files, procedure,
    /// SHA256SUMS), or check one.
    Kit(kit::KitArgs),
    /// Run the power-on self-tests and report process hardening (core dumps, memory locking).
    Selftest(selftest::SelftestArgs),
    /// Look after an object store of archives: remove what interrupted runs left there.
    #[command(subcommand)]
    Store(store::StoreCommand),
}

impl Command {
    /// Whether the command may touch key material, and so must pass the power-on self-tests
    /// first. Only public-file readers are exempt, and `selftest`, which runs them itself.
    fn handles_keys(&self) -> bool {
        !matches!(
            self,
            Self::Inspect(_)
                | Self::Audit(_)
                | Self::Catalog(_)
                | Self::Kit(_)
                | Self::Selftest(_)
                | Self::Store(_)
        )
    }
}

/// Runs the command line and returns the process exit status. The process is hardened before
/// anything is read, and a command that handles keys runs only after the power-on self-tests pass.
pub fn run() -> ExitCode {
    crate::files::note_process_start();
    crate::hardening::harden();
    let matches = Cli::command().get_matches();
    let json = wants_json(&matches);
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|error| error.exit());
    let outcome = power_on(&cli.command).and_then(|()| dispatch(cli.command));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            output::report_failure(&failure, json);
            ExitCode::FAILURE
        }
    }
}

/// Whether the command given (however deep its subcommand) was asked for `--json`.
fn wants_json(matches: &clap::ArgMatches) -> bool {
    let mut leaf = matches;
    while let Some((_, sub)) = leaf.subcommand() {
        leaf = sub;
    }
    matches!(leaf.try_get_one::<bool>("json"), Ok(Some(true)))
}

fn power_on(command: &Command) -> Result<(), Failure> {
    if command.handles_keys() {
        crate::selftest::power_on()?;
    }
    Ok(())
}

fn dispatch(command: Command) -> Result<(), Failure> {
    match command {
        Command::Hsm(command) => hsm::run(command),
        Command::Share(command) => share::run(command),
        Command::Seal(args) => seal::run(&args),
        Command::Secret(command) => secret::run(&command),
        Command::Open(args) => open::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::Inspect(args) => inspect::run(&args),
        Command::Genesis(args) => ceremony::run_genesis(&args),
        Command::Unlock(args) => ceremony::run_unlock(&args),
        Command::Request(args) => request::run(&args),
        Command::Drill(args) => ceremony::run_drill(&args),
        Command::Rotate(args) => ceremony::run_rotate(&args),
        Command::Recover(args) => recover::run(&args),
        Command::Reshare(args) => reshare::run(&args),
        Command::Audit(args) => audit::run(&args),
        Command::Catalog(command) => catalog::run(&command),
        Command::Demo(args) => ceremony::run_demo(&args),
        Command::Kit(args) => kit::run(&args),
        Command::Selftest(args) => selftest::run(&args),
        Command::Store(command) => store::run(&command),
    }
}
