//! The labeled command corpus in `tests/corpus/` run through the whole
//! pipeline with the built-in policy: per-family recall and false-positive
//! rate must stay within the published bounds.

mod common;

use airlock_engine::eval::evaluate;
use airlock_engine::Engine;
use common::corpus;

const MIN_RECALL: f64 = 0.98;
const MAX_FALSE_POSITIVE_RATE: f64 = 0.02;
const MIN_CASES: usize = 400;

#[test]
fn corpus_ids_are_unique() {
    let cases = corpus();
    let mut ids: Vec<_> = cases.iter().map(|c| c.id.as_str()).collect();
    ids.sort_unstable();
    let before = ids.len();
    ids.dedup();
    assert_eq!(before, ids.len(), "duplicate case ids");
}

#[test]
fn every_family_meets_recall_and_false_positive_bounds() {
    // Labels assume no ambient cluster: the machine's kubeconfig must not
    // lend unqualified kubectl commands a production context.
    std::env::set_var("KUBECONFIG", "/nonexistent/airlock-corpus-kubeconfig");
    let cases = corpus();
    assert!(cases.len() >= MIN_CASES, "only {} cases", cases.len());
    let engine = Engine::with_defaults().expect("default engine");
    let report = evaluate(&engine, &cases);
    println!(
        "{:<12} {:>6} {:>8} {:>6} {:>8}",
        "family", "block", "recall", "allow", "fp-rate"
    );
    for (family, t) in &report.families {
        println!(
            "{family:<12} {:>6} {:>7.1}% {:>6} {:>7.1}%",
            t.block_cases,
            t.recall() * 100.0,
            t.allow_cases,
            t.false_positive_rate() * 100.0
        );
    }
    for m in report.misses.iter().chain(&report.false_positives) {
        println!(
            "WRONG {} ({:?} expected, got {}): {}\n      {}",
            m.case.id, m.case.expect, m.verdict, m.case.command, m.decision.reason
        );
    }
    for (family, t) in &report.families {
        assert!(
            t.recall() >= MIN_RECALL,
            "{family}: recall {:.3} below {MIN_RECALL}",
            t.recall()
        );
        assert!(
            t.false_positive_rate() <= MAX_FALSE_POSITIVE_RATE,
            "{family}: false-positive rate {:.3} above {MAX_FALSE_POSITIVE_RATE}",
            t.false_positive_rate()
        );
    }
}
