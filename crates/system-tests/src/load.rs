//! Load under a fault: every request's outcome, timed, and the verdict on them.
//!
//! The contract for faults: a caller sees only "try again" (UNAVAILABLE, 503,
//! `ServiceUnavailableException`), only while the fault lasts, and nothing fails once
//! the fault has healed plus a recovery bound. [`Verdict`] checks that and prints what
//! was seen (errors by code, recovery time) for the closing note.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request: when it started and ended, and the error code it got (None: OK).
#[derive(Debug, Clone)]
pub struct Outcome {
    pub what: &'static str,
    pub started: Instant,
    pub ended: Instant,
    /// The error as `<door> <code>`, e.g. `grpc Unavailable`, `rest 503`.
    pub error: Option<String>,
}

/// Outcomes from many clients, shared.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    outcomes: Arc<Mutex<Vec<Outcome>>>,
}

impl Recorder {
    pub fn record(&self, what: &'static str, started: Instant, error: Option<String>) {
        let outcome = Outcome {
            what,
            started,
            ended: Instant::now(),
            error,
        };
        self.outcomes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(outcome);
    }

    pub fn outcomes(&self) -> Vec<Outcome> {
        self.outcomes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// When the fault began (the stop or kill was issued) and when it healed (the server
/// accepted connections again).
#[derive(Debug, Clone, Copy)]
pub struct FaultWindow {
    pub began: Instant,
    pub healed: Instant,
}

/// What a fault test saw, and what broke the contract.
#[derive(Debug)]
pub struct Verdict {
    pub name: String,
    pub requests: usize,
    pub ok: usize,
    /// Errors by code (`grpc Unavailable`: 12).
    pub errors_by_code: BTreeMap<String, usize>,
    /// How long the fault lasted (issued until healed).
    pub outage: Duration,
    /// From healing to the end of the last failed request (zero if none failed after).
    pub recovery: Duration,
    /// From healing to the first request that started after it and succeeded.
    pub first_success_after_heal: Option<Duration>,
    /// Broken promises, one line each.
    pub violations: Vec<String>,
}

impl Verdict {
    /// Judges `outcomes` against `window`: an error must be one of `allowed` and must
    /// overlap the fault, i.e. end after it began and start before `healed + bound`.
    pub fn judge(
        name: &str,
        outcomes: &[Outcome],
        window: FaultWindow,
        bound: Duration,
        allowed: &[&str],
    ) -> Self {
        let mut verdict = Verdict {
            name: name.to_owned(),
            requests: outcomes.len(),
            ok: 0,
            errors_by_code: BTreeMap::new(),
            outage: window.healed.saturating_duration_since(window.began),
            recovery: Duration::ZERO,
            first_success_after_heal: None,
            violations: Vec::new(),
        };
        let deadline = window.healed + bound;
        for outcome in outcomes {
            let Some(error) = &outcome.error else {
                verdict.ok += 1;
                if outcome.started >= window.healed {
                    let after = outcome.ended.duration_since(window.healed);
                    verdict.first_success_after_heal = Some(
                        verdict
                            .first_success_after_heal
                            .map_or(after, |d| d.min(after)),
                    );
                }
                continue;
            };
            *verdict.errors_by_code.entry(error.clone()).or_default() += 1;
            let at = |t: Instant| -> String {
                if t >= window.began {
                    format!("+{:?}", t.duration_since(window.began))
                } else {
                    format!("-{:?}", window.began.duration_since(t))
                }
            };
            if !allowed.iter().any(|code| error.ends_with(code)) {
                verdict.violations.push(format!(
                    "{} answered {error} (started {}, ended {} from the fault)",
                    outcome.what,
                    at(outcome.started),
                    at(outcome.ended)
                ));
            }
            if outcome.ended < window.began || outcome.started > deadline {
                verdict.violations.push(format!(
                    "{} failed with {error} outside the fault (started {}, ended {}; \
                     healed at {}, bound {bound:?})",
                    outcome.what,
                    at(outcome.started),
                    at(outcome.ended),
                    at(window.healed)
                ));
            }
            if outcome.ended > window.healed {
                verdict.recovery = verdict
                    .recovery
                    .max(outcome.ended.duration_since(window.healed));
            }
        }
        verdict
    }

    /// Prints the figures (shown by `--no-capture`, and with a failing test).
    pub fn print(&self) {
        eprintln!(
            "FAULT {}: {} requests, {} ok, errors by code {:?}; outage {:?}; \
             recovery (last failure after heal) {:?}; first success after heal {:?}; \
             {} violations",
            self.name,
            self.requests,
            self.ok,
            self.errors_by_code,
            self.outage,
            self.recovery,
            self.first_success_after_heal,
            self.violations.len()
        );
        for line in self.violations.iter().take(20) {
            eprintln!("  violation: {line}");
        }
    }
}
