//! Process hardening, applied first thing in every `custody` run: no core dumps, a process that
//! other processes of the same user and debuggers cannot read (non-dumpable), and memory locked
//! so secrets never reach swap where the OS allows it. Best effort by design: each measure reports
//! what it achieved or why it did not take, and `custody selftest` prints that report; nothing here
//! refuses to run. Linux system calls and `/proc` only: no cryptography, no custody files.

use std::fmt;
use std::sync::OnceLock;

use rustix::mm::{mlockall, MlockAllFlags};
use rustix::process::{getrlimit, set_dumpable_behavior, setrlimit, DumpableBehavior};
use rustix::process::{Resource, Rlimit};
use rustix::thread::{capabilities, CapabilitySet};

/// What hardening achieved: each measure is `Ok` or says why it did not take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hardening {
    /// The core-file size limit is 0, hard and soft, so a crash writes no memory image to disk.
    pub core_dumps_off: Result<(), String>,
    /// `PR_SET_DUMPABLE` is 0: no ptrace attach and no `/proc/PID/mem` for same-user processes.
    pub not_dumpable: Result<(), String>,
    /// Every present and future page is locked in RAM (`mlockall`, on fault).
    pub memory_locked: Result<(), String>,
}

impl Hardening {
    /// The measures, named, for a report.
    pub fn measures(&self) -> [(&'static str, &Result<(), String>); 3] {
        [
            ("core dumps off", &self.core_dumps_off),
            ("process not dumpable", &self.not_dumpable),
            ("memory locked (no swap)", &self.memory_locked),
        ]
    }
}

/// Hardens this process once and returns what was achieved; later calls return the same report.
pub fn harden() -> &'static Hardening {
    static DONE: OnceLock<Hardening> = OnceLock::new();
    DONE.get_or_init(|| Hardening {
        core_dumps_off: disable_core_dumps(),
        not_dumpable: set_dumpable_behavior(DumpableBehavior::NotDumpable).map_err(describe),
        memory_locked: lock_memory(),
    })
}

/// The swap devices in use (`/proc/swaps`): where unlocked memory could be paged to disk.
pub fn swap_devices() -> std::io::Result<Vec<String>> {
    let table = std::fs::read_to_string("/proc/swaps")?;
    Ok(table
        .lines()
        .skip(1)
        .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
        .collect())
}

/// Soft and hard limit 0: the hard limit cannot be raised again without privilege.
fn disable_core_dumps() -> Result<(), String> {
    let none = Rlimit {
        current: Some(0),
        maximum: Some(0),
    };
    setrlimit(Resource::Core, none).map_err(describe)
}

/// Locks memory only when no allocation can then fail for it: the process may lock without limit
/// (`CAP_IPC_LOCK`) or its locked-memory limit is unlimited. Under a finite limit, `MCL_FUTURE`
/// would turn the argon2 buffer of a passphrase derivation (up to 4 GiB) into an abort halfway
/// through a ceremony, which is worse than the swap exposure it prevents (docs/DECISIONS.md, D41).
fn lock_memory() -> Result<(), String> {
    let limit = getrlimit(Resource::Memlock).current;
    let privileged = capabilities(None)
        .map(|sets| sets.effective.contains(CapabilitySet::IPC_LOCK))
        .unwrap_or(false);
    if let (Some(bytes), false) = (limit, privileged) {
        return Err(format!(
            "the locked-memory limit is {} and the process lacks CAP_IPC_LOCK; run as a user \
             with `ulimit -l unlimited`, or keep swap off on this machine",
            Bytes(bytes)
        ));
    }
    let flags = MlockAllFlags::CURRENT | MlockAllFlags::FUTURE | MlockAllFlags::ONFAULT;
    mlockall(flags).map_err(describe)
}

fn describe(error: rustix::io::Errno) -> String {
    std::io::Error::from(error).to_string()
}

/// A byte count in the largest whole binary unit.
struct Bytes(u64);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            bytes if bytes >= 1 << 30 && bytes % (1 << 30) == 0 => write!(f, "{} GiB", bytes >> 30),
            bytes if bytes >= 1 << 20 && bytes % (1 << 20) == 0 => write!(f, "{} MiB", bytes >> 20),
            bytes if bytes >= 1 << 10 && bytes % (1 << 10) == 0 => write!(f, "{} KiB", bytes >> 10),
            bytes => write!(f, "{bytes} bytes"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hardening_turns_core_dumps_off_and_the_process_non_dumpable() {
        let report = harden();
        assert_eq!(report.core_dumps_off, Ok(()));
        assert_eq!(report.not_dumpable, Ok(()));
        assert_eq!(getrlimit(Resource::Core).maximum, Some(0));
        assert_eq!(
            rustix::process::dumpable_behavior().unwrap(),
            DumpableBehavior::NotDumpable
        );
        assert!(std::ptr::eq(report, harden()), "hardening runs once");
    }

    #[test]
    fn memory_is_locked_exactly_when_nothing_can_fail_for_it() {
        let privileged = capabilities(None)
            .unwrap()
            .effective
            .contains(CapabilitySet::IPC_LOCK);
        let unlimited = getrlimit(Resource::Memlock).current.is_none();
        assert_eq!(harden().memory_locked.is_ok(), privileged || unlimited);
    }

    #[test]
    fn byte_counts_read_in_binary_units() {
        assert_eq!(Bytes(8 << 20).to_string(), "8 MiB");
        assert_eq!(Bytes(64 << 10).to_string(), "64 KiB");
        assert_eq!(Bytes(3 << 30).to_string(), "3 GiB");
        assert_eq!(Bytes(1000).to_string(), "1000 bytes");
    }
}
