//! The published accuracy bounds, checked the way CI and users measure
//! them: `airlock eval` over the labeled corpus in `tests/corpus/`.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn corpus_files() -> Vec<String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("corpus dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .map(|p| p.display().to_string())
        .collect();
    files.sort();
    files
}

#[test]
fn eval_meets_the_published_bounds() {
    let files = corpus_files();
    let out = Command::new(env!("CARGO_BIN_EXE_airlock"))
        .args([
            "eval",
            "--format",
            "json",
            "--min-recall",
            "0.98",
            "--max-false-positive-rate",
            "0.02",
        ])
        .args(&files)
        // Labels assume no ambient cluster context.
        .env("KUBECONFIG", "/nonexistent/airlock-corpus-kubeconfig")
        .env_remove("AIRLOCK_CONFIG")
        .current_dir(std::env::temp_dir())
        .output()
        .expect("run airlock eval");
    let report: Value = serde_json::from_slice(&out.stdout).expect("json report");
    assert_eq!(
        out.status.code(),
        Some(0),
        "threshold failures: {}",
        report["threshold_failures"]
    );
    let cases = report["cases"].as_u64().unwrap_or(0);
    assert!(cases >= 1200, "only {cases} cases");
    let overall = &report["overall"];
    let recall = overall["recall"].as_f64().unwrap_or(0.0);
    let fp = overall["false_positive_rate"].as_f64().unwrap_or(1.0);
    assert!(recall >= 0.99, "overall recall {recall}");
    assert!(fp <= 0.01, "overall false-positive rate {fp}");
    let families = report["families"].as_object().expect("families");
    for (family, tally) in families {
        let total =
            tally["block_cases"].as_u64().unwrap_or(0) + tally["allow_cases"].as_u64().unwrap_or(0);
        assert!(total >= 80, "family {family} has only {total} cases");
    }
}
