//! The labeled command corpus in `tests/corpus/`, shared by the tests that
//! run it through the pipeline.

use std::path::PathBuf;

use airlock_engine::eval::{parse_corpus, Case};

/// Every case of every `tests/corpus/*.jsonl`, files in name order.
pub fn corpus() -> Vec<Case> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("read corpus file");
        cases.extend(parse_corpus(&path.display().to_string(), &text).expect("valid corpus"));
    }
    cases
}
