//! Property tests: no input, however broken, makes the classifier panic, and
//! every span it reports falls inside the input.

mod common;

use airlock_terraform::{PlanClassifier, PlanReport};
use common::fixture;
use proptest::prelude::*;

fn check_spans(text: &str, report: &PlanReport) {
    for change in &report.changes {
        assert!(change.span.start <= change.span.end);
        assert!(
            change.span.slice(text).is_some(),
            "span of {}",
            change.address
        );
    }
    for effect in &report.classification.effects {
        assert!(effect.evidence.span.slice(text).is_some());
    }
}

fn classify_any(text: &str) {
    if let Ok(report) = PlanClassifier::default().classify(text, Some("prod")) {
        check_spans(text, &report);
    }
}

/// One way of damaging a plan's bytes.
#[derive(Debug, Clone)]
enum Mutation {
    Overwrite(usize, u8),
    Delete(usize, usize),
    Insert(usize, Vec<u8>),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let token = prop_oneof![
        Just(b"{".to_vec()),
        Just(b"}".to_vec()),
        Just(b"[".to_vec()),
        Just(b"]".to_vec()),
        Just(b"\"".to_vec()),
        Just(b",".to_vec()),
        Just(b":".to_vec()),
        Just(b"null".to_vec()),
        Just(b"\\u00e9".to_vec()),
        Just("é".as_bytes().to_vec()),
        proptest::collection::vec(any::<u8>(), 1..8),
    ];
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Mutation::Overwrite(at, b)),
        (any::<usize>(), 1usize..64).prop_map(|(at, n)| Mutation::Delete(at, n)),
        (any::<usize>(), token).prop_map(|(at, t)| Mutation::Insert(at, t)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn apply(bytes: &mut Vec<u8>, mutation: &Mutation) {
    let len = bytes.len().max(1);
    match mutation {
        Mutation::Overwrite(at, b) => {
            if let Some(slot) = bytes.get_mut(at % len) {
                *slot = *b;
            }
        }
        Mutation::Delete(at, n) => {
            let start = (at % len).min(bytes.len());
            let end = (start + n).min(bytes.len());
            bytes.drain(start..end);
        }
        Mutation::Insert(at, token) => {
            let at = (at % len).min(bytes.len());
            bytes.splice(at..at, token.iter().copied());
        }
        Mutation::Truncate(at) => bytes.truncate(at % len),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        classify_any(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn json_like_text_never_panics(text in r#"[\{\}\[\]":,0-9a-z_\- ]{0,200}"#) {
        classify_any(&text);
        classify_any(&format!("{{\"format_version\":\"1.2\",\"resource_changes\":[{text}]}}"));
    }

    #[test]
    fn mutated_fixtures_never_panic(
        which in 0usize..3,
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        let name = ["plan-update.json", "plan-replace-production.json", "plan-destroy.json"][which];
        let mut bytes = fixture(name).into_bytes();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        classify_any(&String::from_utf8_lossy(&bytes));
    }
}
