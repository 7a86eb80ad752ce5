//! The worked examples of `docs/audit-log.md` (leaf bytes, leaf and node
//! hashes, the signed checkpoint) are what this crate computes, so a
//! verifier written from the document agrees with airlock.

use airlock_audit::*;
use ed25519_dalek::SigningKey;
use serde_json::json;

fn example(index: u64) -> AuditEntry {
    let (kind, actor, data) = match index {
        0 => (
            EntryKind::Decision,
            "agent-7",
            json!({"verdict": "escalate", "risk": "high"}),
        ),
        _ => (
            EntryKind::Approval,
            "alice@example.com",
            json!({"approval": "apr_9"}),
        ),
    };
    AuditEntry {
        index,
        timestamp: Timestamp::parse("2025-06-01T12:00:00.000000Z").unwrap(),
        tenant: "acme".into(),
        kind,
        actor: actor.into(),
        subject: "req_01".into(),
        data,
    }
}

#[test]
fn leaf_bytes_and_hashes_match_the_document() {
    let first = example(0);
    let second = example(1);
    assert_eq!(
        String::from_utf8(first.leaf_bytes()).unwrap(),
        r#"{"actor":"agent-7","data":{"risk":"high","verdict":"escalate"},"index":0,"kind":"decision","subject":"req_01","tenant":"acme","timestamp":"2025-06-01T12:00:00.000000Z"}"#
    );
    assert_eq!(
        hex::encode(first.leaf_hash()),
        "9804dc202358da653561f4d3c6b569c158a41de8dea54d9a80b03d2f15e4c155"
    );
    assert_eq!(
        hex::encode(second.leaf_hash()),
        "77310d9d04da59affe6904a13b7efaf25558c1f684db42acd9af836d785f87b1"
    );
    assert_eq!(
        hex::encode(node_hash(&first.leaf_hash(), &second.leaf_hash())),
        "e58e152a058e5625c4796208e7dbc362471fa947e47e6a5e5dfdc1866b57da55"
    );
}

#[test]
fn checkpoint_matches_the_document() {
    let key = SigningKey::from_bytes(&[7; 32]);
    assert_eq!(
        hex::encode(key.verifying_key().as_bytes()),
        "ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c"
    );
    let root = node_hash(&example(0).leaf_hash(), &example(1).leaf_hash());
    let checkpoint = Checkpoint::sign("airlock/acme", 2, root, &key, "airlock-log").unwrap();
    assert_eq!(
        checkpoint.to_string(),
        "airlock/acme\n2\n5Y4VKgWOViXEeWII59vDYkcfqUfkfmpeXf3BhmtX2lU=\n\n\
         \u{2014} airlock-log kD+NNBmTd+zBcZkK0VrNBft6wRcK/4WG+Iw7vk9XnC7g3w7kXQicEatBBliM5M/+pvpDc14SkTI0TXSNFcZu0RDlmQI=\n"
    );
}
