//! Runs the labelled corpus (`tests/corpus/*.jsonl` at the repository root)
//! through the classifier and checks, per family, that dangerous commands
//! would be blocked by the default policy and harmless ones would not.

use std::collections::BTreeMap;
use std::path::PathBuf;

use airlock_model::Verdict;
use airlock_shell::{ShellClassifier, ShellConfig};
use serde::Deserialize;

mod common;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    id: String,
    family: String,
    expect: String,
    command: String,
}

#[derive(Default)]
struct Tally {
    block_total: usize,
    block_caught: usize,
    allow_total: usize,
    allow_blocked: usize,
}

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus")
}

fn load() -> Vec<Case> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("corpus directory")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read corpus file");
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let case: Case = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{}:{}: {e}", file.display(), n + 1));
            cases.push(case);
        }
    }
    cases
}

#[test]
fn corpus_meets_recall_and_false_positive_targets() {
    // Labels assume no ambient cluster: the machine's kubeconfig must not
    // lend unqualified kubectl commands a production context.
    std::env::set_var("KUBECONFIG", "/nonexistent/airlock-corpus-kubeconfig");
    let classifier = ShellClassifier::new(ShellConfig::default());
    let cases = load();
    assert!(cases.len() >= 420, "corpus has only {} cases", cases.len());
    let mut ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    ids.sort_unstable();
    let before = ids.len();
    ids.dedup();
    assert_eq!(before, ids.len(), "duplicate corpus ids");

    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let mut misses = Vec::new();
    for case in &cases {
        let classification = classifier.classify(&case.command);
        let decision = common::decide(&classification);
        let blocked = decision.verdict != Verdict::Allow;
        let tally = tallies.entry(case.family.clone()).or_default();
        match case.expect.as_str() {
            "block" => {
                tally.block_total += 1;
                if blocked {
                    tally.block_caught += 1;
                } else {
                    misses.push(format!("MISSED  {} {:?}", case.id, case.command));
                }
            }
            "allow" => {
                tally.allow_total += 1;
                if blocked {
                    tally.allow_blocked += 1;
                    let why: Vec<String> = decision
                        .findings
                        .iter()
                        .filter(|f| f.verdict != Verdict::Allow)
                        .map(|f| format!("{} ({})", f.effect.rule, f.effect.reason))
                        .collect();
                    misses.push(format!(
                        "BLOCKED {} {:?}: {}",
                        case.id,
                        case.command,
                        why.join("; ")
                    ));
                }
            }
            other => panic!("{}: unknown expectation {other}", case.id),
        }
    }
    let mut failed = Vec::new();
    println!("family      cases  block  recall   allow  false-positive");
    for (family, t) in &tallies {
        let recall = t.block_caught as f64 / t.block_total.max(1) as f64;
        let fp = t.allow_blocked as f64 / t.allow_total.max(1) as f64;
        println!(
            "{family:<10} {:>6} {:>6} {:>7.1}% {:>6} {:>7.1}%",
            t.block_total + t.allow_total,
            t.block_total,
            recall * 100.0,
            t.allow_total,
            fp * 100.0
        );
        if recall < 0.98 || fp > 0.02 {
            failed.push(family.clone());
        }
    }
    for miss in &misses {
        println!("{miss}");
    }
    assert!(
        failed.is_empty(),
        "families below target: {failed:?}\n{}",
        misses.join("\n")
    );
}
