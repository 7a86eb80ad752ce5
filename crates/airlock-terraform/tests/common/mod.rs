//! Fixture loading shared by the integration tests.

#![allow(dead_code)]

use std::io::Read;

use airlock_terraform::{PlanClassifier, PlanConfig, PlanReport};

pub fn fixture_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/terraform")
}

/// The text of fixture `name` (`.json` or `.json.gz`).
pub fn fixture(name: &str) -> String {
    let path = fixture_dir().join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if name.ends_with(".gz") {
        let mut text = String::new();
        flate2::read::GzDecoder::new(bytes.as_slice())
            .read_to_string(&mut text)
            .unwrap();
        text
    } else {
        String::from_utf8(bytes).unwrap()
    }
}

/// The classifier configured as the fixtures' organisation would: cn-north-1
/// is a production region.
pub fn classifier() -> PlanClassifier {
    PlanClassifier::new(PlanConfig {
        production_patterns: vec!["region=cn-north-1".into()],
        ..PlanConfig::default()
    })
}

pub fn classify(name: &str) -> (String, PlanReport) {
    let text = fixture(name);
    let report = classifier().classify(&text, None).unwrap();
    (text, report)
}

pub const ALL_FIXTURES: [&str; 9] = [
    "plan-replace-production.json",
    "plan-create-before-destroy.json",
    "plan-staging-replace.json",
    "plan-destroy.json",
    "plan-destroy-all.json",
    "plan-noop.json",
    "plan-update.json",
    "plan-create.json",
    "plan-large-3000.json.gz",
];
