//! `custody selftest`: runs the power-on self-tests on demand and reports each with its time, then
//! what process hardening achieved on this machine and whether swap is active. Exits non-zero only
//! when a self-test fails; hardening is best effort and is reported, not enforced.

use clap::Args;

use super::output::{print, print_json, Failure};
use crate::hardening::{self, Hardening};
use crate::selftest::{self, Report};

#[derive(Debug, Args)]
pub struct SelftestArgs {
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// The `--json` report: one entry per self-test and per hardening measure, `problem` null when
/// all is well.
#[derive(serde::Serialize)]
struct Json {
    passed: bool,
    total_micros: u128,
    self_tests: Vec<Check>,
    hardening: Vec<Check>,
    swap_devices: Option<Vec<String>>,
}

#[derive(serde::Serialize)]
struct Check {
    name: &'static str,
    problem: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    micros: Option<u128>,
}

impl Json {
    fn new(report: &Report, hardening: &Hardening, swap: &std::io::Result<Vec<String>>) -> Self {
        Self {
            passed: report.require_pass().is_ok(),
            total_micros: report.elapsed.as_micros(),
            self_tests: report
                .outcomes
                .iter()
                .map(|outcome| Check {
                    name: outcome.name,
                    problem: outcome.result.clone().err(),
                    micros: Some(outcome.elapsed.as_micros()),
                })
                .collect(),
            hardening: hardening
                .measures()
                .into_iter()
                .map(|(name, result)| Check {
                    name,
                    problem: result.clone().err(),
                    micros: None,
                })
                .collect(),
            swap_devices: swap.as_ref().ok().cloned(),
        }
    }
}

pub fn run(args: &SelftestArgs) -> Result<(), Failure> {
    let report = selftest::run(selftest::known_answers::ALL);
    let hardening = hardening::harden();
    let swap = hardening::swap_devices();
    if args.json {
        print_json(&Json::new(&report, hardening, &swap))?;
    } else {
        print(&render(&report, hardening, &swap));
    }
    report.require_pass()?;
    Ok(())
}

fn render(report: &Report, hardening: &Hardening, swap: &std::io::Result<Vec<String>>) -> String {
    let mut text = String::from("power-on self-tests\n");
    for outcome in &report.outcomes {
        let millis = outcome.elapsed.as_secs_f64() * 1000.0;
        let (mark, problem) = match &outcome.result {
            Ok(()) => ("ok  ", String::new()),
            Err(problem) => ("FAIL", format!(": {problem}")),
        };
        text += &format!("  {mark}  {millis:>7.2} ms  {}{problem}\n", outcome.name);
    }
    let failed = report.outcomes.iter().filter(|o| o.result.is_err()).count();
    let millis = report.elapsed.as_secs_f64() * 1000.0;
    text += &match failed {
        0 => format!("all {} passed in {millis:.1} ms\n", report.outcomes.len()),
        n => format!("{n} of {} FAILED\n", report.outcomes.len()),
    };
    text += "\nprocess hardening (best effort)\n";
    for (name, result) in hardening.measures() {
        text += &match result {
            Ok(()) => format!("  ok    {name}\n"),
            Err(reason) => format!("  WARN  {name}: not done: {reason}\n"),
        };
    }
    text += &match swap {
        Ok(devices) if devices.is_empty() => "  ok    no swap is active\n".to_owned(),
        Ok(devices) if hardening.memory_locked.is_ok() => format!(
            "  ok    swap is active ({}), but custody's memory is locked\n",
            devices.join(", ")
        ),
        Ok(devices) => format!(
            "  WARN  swap is active ({}) and memory is not locked: secrets could be paged to \
             disk; turn swap off (`swapoff -a`) before a ceremony\n",
            devices.join(", ")
        ),
        Err(error) => format!("  WARN  cannot tell whether swap is active: {error}\n"),
    };
    text
}
