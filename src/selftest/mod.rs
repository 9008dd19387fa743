//! Power-on self-tests, after FIPS 140-3: known-answer tests of every cryptographic primitive
//! custody relies on, and a VSS split/verify/combine round trip. The command line runs them once
//! before any command that handles keys and refuses to go on if one fails; `custody selftest`
//! runs them on demand and reports each. This module owns the runner and the verdict; the tests
//! themselves and their published vectors are in [`known_answers`].

pub mod known_answers;

use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// One self-test: a name an auditor recognises and a check that says what differed, if anything.
#[derive(Debug, Clone, Copy)]
pub struct SelfTest {
    /// What is tested, e.g. "AES-256-GCM (archives, aws-lc-rs)".
    pub name: &'static str,
    /// Runs the test; the error says what differed from the known answer.
    pub check: fn() -> Result<(), String>,
}

/// How one self-test went.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The test's name.
    pub name: &'static str,
    /// `Ok`, or what differed.
    pub result: Result<(), String>,
    /// How long it took.
    pub elapsed: Duration,
}

/// Every self-test's outcome, in order, and the total time.
#[derive(Debug, Clone)]
pub struct Report {
    /// One outcome per test.
    pub outcomes: Vec<Outcome>,
    /// Time for the whole run.
    pub elapsed: Duration,
}

impl Report {
    /// Refuses the report if any test failed, naming every failure.
    pub fn require_pass(&self) -> Result<(), SelfTestFailed> {
        let failed: Vec<String> = self
            .outcomes
            .iter()
            .filter_map(|outcome| {
                let problem = outcome.result.as_ref().err()?;
                Some(format!("{} ({problem})", outcome.name))
            })
            .collect();
        if failed.is_empty() {
            Ok(())
        } else {
            Err(SelfTestFailed { failed })
        }
    }
}

/// A self-test failed: this build or this machine computes cryptography wrongly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("power-on self-test failed: {}; custody refuses to handle keys", failed.join("; "))]
pub struct SelfTestFailed {
    /// Each failed test with what differed.
    pub failed: Vec<String>,
}

impl SelfTestFailed {
    /// What to do next.
    pub fn hint(&self) -> &'static str {
        "do not use this machine or this build for a ceremony: reinstall custody from a verified \
         release, then run `custody selftest`"
    }
}

/// Runs `tests` in order, each timed.
pub fn run(tests: &[SelfTest]) -> Report {
    let start = Instant::now();
    let outcomes = tests
        .iter()
        .map(|test| {
            let started = Instant::now();
            let result = (test.check)();
            Outcome {
                name: test.name,
                result,
                elapsed: started.elapsed(),
            }
        })
        .collect();
    Report {
        outcomes,
        elapsed: start.elapsed(),
    }
}

/// The power-on self-test: every test in [`known_answers::ALL`], run once per process; later calls
/// return the first verdict.
pub fn power_on() -> Result<&'static Report, SelfTestFailed> {
    static REPORT: OnceLock<Report> = OnceLock::new();
    let report = REPORT.get_or_init(|| run(known_answers::ALL));
    report.require_pass().map(|()| report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_self_test_passes_on_this_build() {
        let report = power_on().unwrap();
        assert_eq!(report.outcomes.len(), known_answers::ALL.len());
        assert!(report.outcomes.iter().all(|outcome| outcome.result.is_ok()));
    }

    #[test]
    fn one_failing_test_refuses_the_whole_run_and_is_named() {
        let broken = SelfTest {
            name: "AES-256-GCM (archives, aws-lc-rs)",
            check: || Err("ciphertext differs from the known answer".to_owned()),
        };
        let mut tests = known_answers::ALL.to_vec();
        tests.insert(1, broken);
        let failure = run(&tests).require_pass().unwrap_err();
        assert_eq!(
            failure.to_string(),
            "power-on self-test failed: AES-256-GCM (archives, aws-lc-rs) (ciphertext differs from \
             the known answer); custody refuses to handle keys"
        );
    }
}
