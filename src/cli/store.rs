//! Object stores on the command line: the `--profile` option every command that reads or
//! writes archives takes (else `AWS_PROFILE`, else `default`), and `custody store clean`, which
//! lists what interrupted runs left in a store and removes it.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};
use serde::Serialize;

use super::output::{print, print_json, Failure};
use crate::readout::counted;
use crate::store::{self, ObjectStore, ObjectUrl, StaleKind, StoreError};

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Self {
        Self::new(error.to_string(), error.hint())
    }
}

/// The AWS profile for `s3://` locations.
#[derive(Debug, Args)]
pub struct ProfileArg {
    /// The AWS profile for s3:// locations, in the shared config and credentials files (else
    /// AWS_PROFILE, else default).
    #[arg(long, value_name = "PROFILE")]
    profile: Option<String>,
}

impl ProfileArg {
    /// Chooses the profile for the rest of the run.
    pub fn select(&self) {
        store::select_profile(self.profile.as_deref());
    }
}

/// `custody store …`.
#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// List what interrupted runs left in an object store (unfinished multipart uploads,
    /// payloads no header names) and remove it.
    Clean(CleanArgs),
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  custody store clean s3://registries/sealed --dry-run\n  custody store clean s3://registries/sealed --older-than 7d\n\nOnly what is older than --older-than (default 24h) is removed: a younger upload may belong\nto a run still going. Archives are never touched."
)]
pub struct CleanArgs {
    /// The store: s3://BUCKET/PREFIX.
    #[arg(value_name = "STORE")]
    store: PathBuf,
    /// Leave anything younger than this (a run may still be writing it).
    #[arg(long, value_name = "AGE", default_value = "24h", value_parser = humantime::parse_duration)]
    older_than: Duration,
    /// List only; remove nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    profile: ProfileArg,
}

#[derive(Debug, Serialize)]
struct CleanReport {
    store: String,
    removed: bool,
    stale: Vec<StaleReport>,
}

#[derive(Debug, Serialize)]
struct StaleReport {
    kind: &'static str,
    key: String,
    since: String,
}

pub fn run(command: &StoreCommand) -> Result<(), Failure> {
    match command {
        StoreCommand::Clean(args) => clean(args),
    }
}

fn clean(args: &CleanArgs) -> Result<(), Failure> {
    args.profile.select();
    let Some(url) = ObjectUrl::parse(&args.store)? else {
        return Err(Failure::new(
            format!("{} is not an object store", args.store.display()),
            "a directory needs no cleaning: a killed run's temporary files are removed by the \
             next run that writes there",
        ));
    };
    let store = ObjectStore::connect(&url)?;
    let stale = store.stale(args.older_than)?;
    if !args.dry_run {
        for leftover in &stale {
            store.remove(leftover)?;
        }
    }
    let report = CleanReport {
        store: url.to_string(),
        removed: !args.dry_run,
        stale: stale
            .iter()
            .map(|leftover| StaleReport {
                kind: match leftover.kind {
                    StaleKind::Upload => "unfinished upload",
                    StaleKind::Payload => "payload without a header",
                },
                key: leftover.key.clone(),
                since: leftover.since.clone(),
            })
            .collect(),
    };
    if args.json {
        return print_json(&report);
    }
    let mut text: String = report
        .stale
        .iter()
        .map(|item| {
            format!(
                "{} {} ({}, since {})\n",
                if report.removed { "removed" } else { "stale  " },
                item.key,
                item.kind,
                item.since
            )
        })
        .collect();
    text.push_str(&match (report.stale.len(), report.removed) {
        (0, _) => format!(
            "{}: nothing left over older than {}\n",
            report.store,
            humantime::format_duration(args.older_than)
        ),
        (n, true) => format!(
            "{}: {} removed\n",
            report.store,
            counted(n, "leftover", "leftovers")
        ),
        (n, false) => format!(
            "{}: {} older than {}; nothing removed (--dry-run)\n",
            report.store,
            counted(n, "leftover", "leftovers"),
            humantime::format_duration(args.older_than)
        ),
    });
    print(&text);
    Ok(())
}
