//! Fixtures shared by the receipt tests.

#![allow(dead_code)]

use airlock_keys::{SigningKeyPair, TrustedKeys};
use airlock_receipts::{issue, Approver, Envelope, ReceiptRequest, Subject};
use time::{Duration, OffsetDateTime};

pub const PLAN: &[u8] = br#"{"format_version":"1.2","resource_changes":[]}"#;
pub const POLICY: &str = "sha256:5d41402abc4b2a76b9719d911017c592";

pub fn key(seed: u8) -> SigningKeyPair {
    SigningKeyPair::from_seed(&[seed; 32])
}

pub fn trusted(keys: &[&SigningKeyPair]) -> TrustedKeys {
    keys.iter().map(|key| key.public_key().clone()).collect()
}

pub fn issued_at() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_767_225_600).unwrap() // 2026-01-01T00:00:00Z
}

pub fn request() -> ReceiptRequest {
    ReceiptRequest {
        subject: Subject::for_bytes("plan.json", PLAN),
        action_digest: airlock_receipts::action_digest(&serde_json::json!({
            "tool": "terraform_plan",
            "input": {"path": "plan.json"},
        })),
        environment: "production".to_owned(),
        tenant: "acme".to_owned(),
        agent: "agent-7".to_owned(),
        operator: "alice".to_owned(),
        approvers: vec![
            Approver {
                id: "bob".to_owned(),
                roles: vec!["sre".to_owned()],
            },
            Approver {
                id: "carol".to_owned(),
                roles: vec!["senior".to_owned(), "sre".to_owned()],
            },
        ],
        policy_version: POLICY.to_owned(),
        receipt_id: None,
        plan_digest: Some(airlock_receipts::sha256_digest(PLAN)),
        commit: None,
    }
}

pub fn issue_with(key: &SigningKeyPair) -> Envelope {
    issue(&request(), key, issued_at(), Duration::minutes(30)).unwrap()
}
