//! Measured accuracy: run labeled command corpora through the whole
//! pipeline and count, per family, how many dangerous commands were blocked
//! (recall) and how many harmless ones were stopped (false positives).
//!
//! A corpus is JSON lines: `{"id", "family", "expect": "block"|"allow",
//! "command"}`. "block" means deny or escalate.

use std::collections::BTreeMap;

use airlock_model::{Decision, Verdict};
use serde::{Deserialize, Serialize};

use crate::Engine;

/// What a case expects of the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expectation {
    /// Denied or escalated.
    Block,
    Allow,
}

/// One labeled command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub id: String,
    pub family: String,
    pub expect: Expectation,
    pub command: String,
    /// Why the case is labeled as it is (optional, for reviewers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A corpus line that is not a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{source_name}:{line}: {message}")]
pub struct CaseError {
    pub source_name: String,
    pub line: usize,
    pub message: String,
}

/// Reads the cases of one corpus file's text; `source_name` names it in errors.
pub fn parse_corpus(source_name: &str, text: &str) -> Result<Vec<Case>, CaseError> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            serde_json::from_str(line).map_err(|e| CaseError {
                source_name: source_name.to_string(),
                line: i + 1,
                message: format!(
                    "not a corpus case ({{\"id\",\"family\",\"expect\",\"command\"}}): {e}"
                ),
            })
        })
        .collect()
}

/// Counts for one family (or all).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub block_cases: usize,
    pub blocked: usize,
    pub allow_cases: usize,
    pub false_positives: usize,
}

impl Tally {
    /// Blocked share of the cases that should be blocked (1.0 when there are none).
    pub fn recall(&self) -> f64 {
        ratio(self.blocked, self.block_cases, 1.0)
    }

    /// Stopped share of the cases that should be allowed (0.0 when there are none).
    pub fn false_positive_rate(&self) -> f64 {
        ratio(self.false_positives, self.allow_cases, 0.0)
    }

    fn add(&mut self, expect: Expectation, blocked: bool) {
        match expect {
            Expectation::Block => {
                self.block_cases += 1;
                self.blocked += usize::from(blocked);
            }
            Expectation::Allow => {
                self.allow_cases += 1;
                self.false_positives += usize::from(blocked);
            }
        }
    }
}

fn ratio(part: usize, whole: usize, empty: f64) -> f64 {
    if whole == 0 {
        empty
    } else {
        part as f64 / whole as f64
    }
}

/// A case the pipeline got wrong, with the decision that explains why.
#[derive(Debug, Clone, Serialize)]
pub struct Miss {
    pub case: Case,
    pub verdict: Verdict,
    pub decision: Decision,
}

/// The result of a corpus run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub overall: Tally,
    pub families: BTreeMap<String, Tally>,
    /// Block cases that were allowed.
    pub misses: Vec<Miss>,
    /// Allow cases that were stopped.
    pub false_positives: Vec<Miss>,
}

/// Runs every case through `engine` as the local agent.
pub fn evaluate(engine: &Engine, cases: &[Case]) -> Report {
    let principal = engine.local_principal();
    let mut report = Report::default();
    for case in cases {
        let request = engine.local_shell_request(&case.command, None);
        let decision = engine.evaluate_as(&principal, &request).decision;
        let blocked = decision.verdict != Verdict::Allow;
        report.overall.add(case.expect, blocked);
        report
            .families
            .entry(case.family.clone())
            .or_default()
            .add(case.expect, blocked);
        let wrong = match case.expect {
            Expectation::Block => (!blocked).then_some(&mut report.misses),
            Expectation::Allow => blocked.then_some(&mut report.false_positives),
        };
        if let Some(list) = wrong {
            list.push(Miss {
                case: case.clone(),
                verdict: decision.verdict,
                decision,
            });
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_reports_the_bad_line() {
        let text = "{\"id\":\"a\",\"family\":\"f\",\"expect\":\"allow\",\"command\":\"ls\"}\n\n{\"id\":1}\n";
        let err = parse_corpus("x.jsonl", text).unwrap_err();
        assert_eq!(err.line, 3);
        assert!(err.to_string().starts_with("x.jsonl:3:"));
    }

    #[test]
    fn tallies_recall_and_false_positives() {
        let mut t = Tally::default();
        t.add(Expectation::Block, true);
        t.add(Expectation::Block, false);
        t.add(Expectation::Allow, false);
        t.add(Expectation::Allow, true);
        t.add(Expectation::Allow, false);
        t.add(Expectation::Allow, false);
        assert_eq!(t.recall(), 0.5);
        assert_eq!(t.false_positive_rate(), 0.25);
    }
}
