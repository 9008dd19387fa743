//! `custody kit --manifest M --out KIT` writes a recovery kit of a domain; `custody kit --verify
//! KIT` checks one against its `SHA256SUMS`, naming every missing, altered or extra file, and
//! gives its binary's SHA-256 to read aloud.

use std::path::{Path, PathBuf};

use clap::{ArgGroup, Args};

use super::output::{print, Failure};
use crate::kit::{verify_kit, write_kit, KitError, Mismatch, KIT_BINARY, SUMS_FILE};
use crate::readout::{counted, hex_groups};

#[derive(Debug, Args)]
#[command(
    group(ArgGroup::new("action").required(true).args(["manifest", "verify"])),
    after_help = "Example:\n  custody kit --manifest ee-registries/manifest.json --out /media/usb/kit\n  custody kit --verify /media/usb/kit\n\nThe kit holds the custody binary, the domain's public files (no share file), RECOVER.md, the\nrecovery procedure, the officials' guide, docs/FORMAT.md and SHA256SUMS (ceremonies/recovery-from-cold.md)."
)]
pub struct KitArgs {
    /// The domain's manifest in force (manifest.json, with chain/ beside it): its chain is
    /// verified before anything is copied.
    #[arg(
        long,
        value_name = "MANIFEST",
        requires = "out",
        conflicts_with = "verify"
    )]
    manifest: Option<PathBuf>,
    /// The kit directory to write: new or empty.
    #[arg(long, value_name = "KIT", requires = "manifest")]
    out: Option<PathBuf>,
    /// Check the kit KIT against its SHA256SUMS instead of writing one.
    #[arg(long, value_name = "KIT")]
    verify: Option<PathBuf>,
}

impl From<KitError> for Failure {
    fn from(error: KitError) -> Self {
        Self::new(error.to_string(), error.hint())
    }
}

pub fn run(args: &KitArgs) -> Result<(), Failure> {
    match (&args.verify, &args.manifest, &args.out) {
        (Some(kit), _, _) => verify(kit),
        (None, Some(manifest), Some(out)) => write(manifest, out),
        _ => unreachable!("clap requires --verify, or --manifest with --out"),
    }
}

fn write(manifest: &Path, out: &Path) -> Result<(), Failure> {
    let binary = std::env::current_exe().map_err(|error| {
        Failure::new(
            format!("cannot find the running custody binary: {error}"),
            "run custody from a file system that is still mounted, by its path",
        )
    })?;
    let kit = write_kit(manifest, out, &binary)?;
    print(&format!(
        "kit {out}: {files} and {SUMS_FILE}\n\
         domain {domain}, epoch {epoch}, chain position {position}, no share file\n\
         domain fingerprint {fingerprint}\n\
         {KIT_BINARY} SHA-256 {binary}\n\
         check a copy anywhere: `sha256sum -c {SUMS_FILE}` in it, or `custody kit --verify KIT`\n",
        out = out.display(),
        files = counted(kit.files, "file", "files"),
        domain = kit.domain,
        epoch = kit.epoch,
        position = kit.position,
        fingerprint = hex_groups(kit.fingerprint.as_bytes()),
        binary = hex_groups(&kit.binary_digest),
    ));
    Ok(())
}

fn verify(kit: &Path) -> Result<(), Failure> {
    let checked = verify_kit(kit)?;
    match checked.binary_digest {
        Some(digest) if checked.mismatches.is_empty() => {
            print(&format!(
                "kit {kit}: {files}, every one matches its SHA-256\n\
             {KIT_BINARY} SHA-256 {digest}\n  \
             read it aloud: it must be the published SHA-256 of the release\n",
                kit = kit.display(),
                files = counted(checked.files, "file", "files"),
                digest = hex_groups(&digest),
            ));
            Ok(())
        }
        _ => {
            let report: String = checked.mismatches.iter().map(describe).collect();
            print(&report);
            Err(Failure::new(
                format!(
                    "kit {kit} does not match its {SUMS_FILE}: {problems}",
                    kit = kit.display(),
                    problems = counted(checked.mismatches.len(), "file differs", "files differ"),
                ),
                "do not use this kit: take another copy (the vault, another site, an official's) \
                 and check it the same way",
            ))
        }
    }
}

fn describe(mismatch: &Mismatch) -> String {
    match mismatch {
        Mismatch::Missing(path) => {
            format!("missing  {path}: listed in {SUMS_FILE}, not in the kit\n")
        }
        Mismatch::Altered {
            path,
            expected,
            found,
        } => format!(
            "altered  {path}\n  expected {}\n  found    {}\n",
            hex_groups(expected),
            hex_groups(found)
        ),
        Mismatch::Extra { path, why: None } => {
            format!("extra    {path}: in the kit, not listed in {SUMS_FILE}\n")
        }
        Mismatch::Extra {
            path,
            why: Some(why),
        } => format!("extra    {path}: {why}, not listed in {SUMS_FILE}\n"),
        Mismatch::Unreadable { path, reason } => format!("unreadable {path}: {reason}\n"),
    }
}
