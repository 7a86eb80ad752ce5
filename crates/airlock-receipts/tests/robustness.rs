//! Property tests: arbitrary input and mutations of a valid receipt never
//! panic, and never verify unless what was signed is unchanged.

mod common;

use airlock_receipts::{canonical_json, verify, Envelope, VerifyOptions};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use common::*;
use proptest::prelude::*;
use serde_json::Value;
use time::Duration;

fn valid_envelope_json() -> String {
    issue_with(&key(1)).to_json()
}

fn check<'a>(trusted: &'a airlock_keys::TrustedKeys) -> VerifyOptions<'a> {
    VerifyOptions::new(trusted, issued_at() + Duration::minutes(1))
        .with_subject_bytes(PLAN)
        .with_environment("production")
        .with_policy_version_pin(POLICY)
}

fn signed_payload(json: &str) -> Option<Vec<u8>> {
    serde_json::from_str::<Envelope>(json)
        .ok()?
        .decode_payload()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_never_panics_or_verifies(text in ".{0,400}") {
        let trusted = trusted(&[&key(1)]);
        prop_assert!(verify(&text, &check(&trusted)).is_err());
    }

    #[test]
    fn arbitrary_json_shaped_envelopes_never_verify(
        payload in "[A-Za-z0-9+/=_-]{0,200}",
        payload_type in prop_oneof![Just("application/vnd.in-toto+json".to_owned()), ".{0,40}"],
        keyid in ".{0,30}",
        sig in "[A-Za-z0-9+/=]{0,100}",
    ) {
        let trusted = trusted(&[&key(1)]);
        let json = serde_json::json!({
            "payload": payload, "payloadType": payload_type,
            "signatures": [{"keyid": keyid, "sig": sig}],
        }).to_string();
        prop_assert!(verify(&json, &check(&trusted)).is_err());
    }

    #[test]
    fn byte_mutations_of_a_valid_envelope_verify_only_if_the_signed_payload_is_unchanged(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..4),
    ) {
        let original = valid_envelope_json();
        let original_payload = signed_payload(&original);
        let mut bytes = original.clone().into_bytes();
        for (index, byte, kind) in edits {
            let position = index.index(bytes.len() + 1);
            match kind {
                0 if position < bytes.len() => bytes[position] = byte,
                1 if position < bytes.len() => { bytes.remove(position); }
                _ => bytes.insert(position, byte),
            }
        }
        let Ok(mutated) = String::from_utf8(bytes) else { return Ok(()) };
        let trusted = trusted(&[&key(1)]);
        if verify(&mutated, &check(&trusted)).is_ok() {
            prop_assert_eq!(signed_payload(&mutated), original_payload);
        }
    }

    #[test]
    fn re_signed_payload_edits_are_caught_by_the_signature(
        position in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let envelope = issue_with(&key(1));
        let mut payload = envelope.decode_payload().unwrap();
        let at = position.index(payload.len());
        prop_assume!(payload[at] != byte);
        payload[at] = byte;
        let altered = Envelope { payload: STANDARD.encode(&payload), ..envelope };
        let trusted = trusted(&[&key(1)]);
        prop_assert!(verify(&altered.to_json(), &check(&trusted)).is_err());
    }
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |x| x.is_finite())
            .prop_map(Value::from),
        (-1.0e30f64..1.0e30).prop_map(Value::from),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            proptest::collection::btree_map(any::<String>(), inner, 0..8)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn canonical_json_agrees_with_an_independent_jcs_implementation(value in arbitrary_json()) {
        let ours = canonical_json(&value);
        let theirs = serde_json_canonicalizer::to_string(&value).unwrap();
        prop_assert_eq!(ours, theirs);
    }

    #[test]
    fn canonical_json_is_a_fixed_point(value in arbitrary_json()) {
        let once = canonical_json(&value);
        let reparsed: Value = serde_json::from_str(&once).unwrap();
        prop_assert_eq!(canonical_json(&reparsed), once);
    }
}
