//! Prints an example receipt (envelope, decoded statement, public key file)
//! for the documentation, signed with a fixed demonstration key. Run with a
//! directory argument to also write the receipt, the plan and the public key
//! file there.

use airlock_keys::SigningKeyPair;
use airlock_receipts::{
    action_digest, canonical_json, issue, sha256_digest, Approver, ReceiptRequest, Subject,
};
use time::{Duration, OffsetDateTime};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let key = SigningKeyPair::from_seed(&[7u8; 32]);
    let plan = br#"{"format_version":"1.2","resource_changes":[]}"#;
    let action = serde_json::json!({
        "agent": {"id": "agent-7"},
        "tenant": "acme",
        "tool": "terraform_plan",
        "input": {"path": "plan.json", "plan_json": String::from_utf8_lossy(plan)},
    });
    let request = ReceiptRequest {
        subject: Subject::for_bytes("plan.json", plan),
        action_digest: action_digest(&action),
        environment: "production".to_owned(),
        tenant: "acme".to_owned(),
        agent: "agent-7".to_owned(),
        operator: "alice@example.com".to_owned(),
        approvers: vec![
            Approver {
                id: "bob@example.com".to_owned(),
                roles: vec!["sre".to_owned()],
            },
            Approver {
                id: "carol@example.com".to_owned(),
                roles: vec!["senior".to_owned()],
            },
        ],
        policy_version: sha256_digest(b"example policy set"),
        receipt_id: None,
        plan_digest: Some(sha256_digest(plan)),
        commit: Some("4f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39".to_owned()),
    };
    let issued_at = OffsetDateTime::from_unix_timestamp(1_767_225_600)?;
    let envelope = issue(&request, &key, issued_at, Duration::minutes(30))?;

    let envelope_value: serde_json::Value = serde_json::from_str(&envelope.to_json())?;
    println!(
        "--- envelope\n{}",
        serde_json::to_string_pretty(&envelope_value)?
    );
    let payload = envelope.decode_payload().ok_or("payload is not base64")?;
    let statement: serde_json::Value = serde_json::from_slice(&payload)?;
    println!(
        "--- statement\n{}",
        serde_json::to_string_pretty(&statement)?
    );
    println!(
        "--- canonical statement is payload: {}",
        canonical_json(&statement).as_bytes() == payload
    );
    println!("--- public key file\n{}", key.public_key().to_file_text());
    // With a directory argument, also write the files an independent
    // verifier needs: receipt.json, plan.json and signer.pub.
    if let Some(dir) = std::env::args().nth(1) {
        let dir = std::path::Path::new(&dir);
        std::fs::write(dir.join("receipt.json"), envelope.to_json())?;
        std::fs::write(dir.join("plan.json"), plan)?;
        std::fs::write(dir.join("signer.pub"), key.public_key().to_file_text())?;
    }
    Ok(())
}
