//! Issuing and verifying receipts: every check accepts the right receipt and
//! refuses each kind of wrong one with its own error.

mod common;

use airlock_keys::KeyId;
use airlock_receipts::{
    issue, verify, Envelope, EnvelopeSignature, ExpectedSubject, IssueError, VerifyError,
    VerifyOptions, IN_TOTO_PAYLOAD_TYPE, MAX_ENVELOPE_BYTES, RECEIPT_PREDICATE_TYPE,
    STATEMENT_TYPE,
};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use common::*;
use time::Duration;

fn options(trusted: &airlock_keys::TrustedKeys) -> VerifyOptions<'_> {
    VerifyOptions::new(trusted, issued_at() + Duration::minutes(5))
        .with_subject_bytes(PLAN)
        .with_environment("production")
        .with_policy_version_pin(POLICY)
}

fn payload_json(envelope: &Envelope) -> serde_json::Value {
    serde_json::from_slice(&envelope.decode_payload().unwrap()).unwrap()
}

fn with_payload(envelope: &Envelope, statement: &serde_json::Value) -> Envelope {
    Envelope {
        payload: STANDARD.encode(statement.to_string()),
        ..envelope.clone()
    }
}

#[test]
fn issued_receipt_verifies_and_carries_the_request() {
    let signer = key(1);
    let envelope = issue_with(&signer);
    let trusted = trusted(&[&signer]);
    let verified = verify(&envelope.to_json(), &options(&trusted)).unwrap();

    assert_eq!(&verified.key_id, signer.key_id());
    let statement = &verified.statement;
    assert_eq!(statement.statement_type, STATEMENT_TYPE);
    assert_eq!(statement.predicate_type, RECEIPT_PREDICATE_TYPE);
    assert_eq!(statement.subject, vec![request().subject]);
    let predicate = verified.predicate();
    let wanted = request();
    assert_eq!(predicate.action_digest, wanted.action_digest);
    assert_eq!(predicate.environment, "production");
    assert_eq!(predicate.tenant, "acme");
    assert_eq!(predicate.agent, "agent-7");
    assert_eq!(predicate.operator, "alice");
    assert_eq!(predicate.approvers, wanted.approvers);
    assert_eq!(predicate.policy_version, POLICY);
    assert_eq!(predicate.plan_digest, wanted.plan_digest);
    assert_eq!(predicate.issued_at, issued_at());
    assert_eq!(predicate.expires_at, issued_at() + Duration::minutes(30));
    assert_eq!(predicate.nonce.len(), 32);
    assert!(predicate.receipt_id.starts_with("rcpt_"));

    assert_eq!(envelope.payload_type, IN_TOTO_PAYLOAD_TYPE);
    assert_eq!(envelope.signatures.len(), 1);
    assert_eq!(envelope.signatures[0].keyid, signer.key_id().as_str());
}

#[test]
fn payload_is_canonical_json_with_rfc3339_utc_times() {
    let envelope = issue_with(&key(1));
    let payload = String::from_utf8(envelope.decode_payload().unwrap()).unwrap();
    let value: serde_json::Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(airlock_receipts::canonical_json(&value), payload);
    assert_eq!(value["predicate"]["issued_at"], "2026-01-01T00:00:00Z");
    assert_eq!(value["predicate"]["expires_at"], "2026-01-01T00:30:00Z");
    assert_eq!(value["_type"], STATEMENT_TYPE);
}

#[test]
fn two_receipts_for_the_same_request_differ_in_nonce_and_id() {
    let signer = key(1);
    let first = payload_json(&issue_with(&signer));
    let second = payload_json(&issue_with(&signer));
    assert_ne!(first["predicate"]["nonce"], second["predicate"]["nonce"]);
    assert_ne!(
        first["predicate"]["receipt_id"],
        second["predicate"]["receipt_id"]
    );
}

#[test]
fn altered_predicate_with_the_original_signature_fails() {
    let signer = key(1);
    let envelope = issue_with(&signer);
    let trusted = trusted(&[&signer]);
    for (field, value) in [
        ("environment", serde_json::json!("staging")),
        ("expires_at", serde_json::json!("2027-01-01T00:00:00Z")),
        ("approvers", serde_json::json!([])),
        ("policy_version", serde_json::json!("sha256:other")),
    ] {
        let mut statement = payload_json(&envelope);
        statement["predicate"][field] = value;
        let altered = with_payload(&envelope, &statement);
        let error = verify(&altered.to_json(), &options(&trusted)).unwrap_err();
        assert_eq!(
            error,
            VerifyError::SignatureInvalid {
                key_id: signer.key_id().to_string()
            },
            "altering {field}"
        );
        assert!(error.to_string().starts_with("payload altered"), "{error}");
    }
}

#[test]
fn changing_the_payload_type_breaks_the_signature() {
    let signer = key(1);
    let mut envelope = issue_with(&signer);
    let trusted = trusted(&[&signer]);
    envelope.payload_type = "application/json".to_owned();
    assert!(matches!(
        verify(&envelope.to_json(), &options(&trusted)),
        Err(VerifyError::WrongPayloadType { .. })
    ));
}

#[test]
fn receipt_by_an_untrusted_key_fails_naming_the_key() {
    let signer = key(1);
    let stranger = key(2);
    let envelope = issue_with(&stranger);
    let trusted = trusted(&[&signer]);
    let error = verify(&envelope.to_json(), &options(&trusted)).unwrap_err();
    assert_eq!(
        error,
        VerifyError::UntrustedKey {
            key_ids: vec![stranger.key_id().to_string()]
        }
    );
    assert!(error
        .to_string()
        .contains(&format!("signed by untrusted key {}", stranger.key_id())));
}

#[test]
fn signature_claiming_a_trusted_key_id_but_made_by_another_key_fails() {
    let signer = key(1);
    let stranger = key(2);
    let mut envelope = issue_with(&stranger);
    envelope.signatures[0].keyid = signer.key_id().to_string();
    let trusted = trusted(&[&signer]);
    assert!(matches!(
        verify(&envelope.to_json(), &options(&trusted)),
        Err(VerifyError::SignatureInvalid { .. })
    ));
}

#[test]
fn untrusted_signatures_are_ignored_when_a_trusted_one_verifies() {
    let signer = key(1);
    let stranger = key(2);
    let mut envelope = issue_with(&stranger);
    envelope.add_signature(&signer).unwrap();
    envelope.signatures.push(EnvelopeSignature {
        keyid: "whatever".to_owned(),
        sig: "not base64!".to_owned(),
    });
    let trusted = trusted(&[&signer]);
    let verified = verify(&envelope.to_json(), &options(&trusted)).unwrap();
    assert_eq!(&verified.key_id, signer.key_id());
}

#[test]
fn key_id_is_only_a_hint() {
    let signer = key(1);
    let mut envelope = issue_with(&signer);
    let trusted = trusted(&[&signer]);
    envelope.signatures[0].keyid = String::new();
    let verified = verify(&envelope.to_json(), &options(&trusted)).unwrap();
    assert_eq!(&verified.key_id, signer.key_id());
}

#[test]
fn key_rotation_accepts_either_trusted_key_and_refuses_a_removed_one() {
    let old = key(1);
    let new = key(2);
    let mut trusted = trusted(&[&old, &new]);
    let by_old = issue_with(&old).to_json();
    let by_new = issue_with(&new).to_json();
    assert_eq!(
        &verify(&by_old, &options(&trusted)).unwrap().key_id,
        old.key_id()
    );
    assert_eq!(
        &verify(&by_new, &options(&trusted)).unwrap().key_id,
        new.key_id()
    );

    trusted.remove(old.key_id().as_str());
    assert!(matches!(
        verify(&by_old, &options(&trusted)),
        Err(VerifyError::UntrustedKey { .. })
    ));
    verify(&by_new, &options(&trusted)).unwrap();
}

#[test]
fn revoked_key_is_refused_even_while_trusted() {
    let signer = key(1);
    let trusted = trusted(&[&signer]);
    let revoked = [KeyId::parse(signer.key_id().as_str()).unwrap()];
    let options = options(&trusted).with_revoked_keys(&revoked);
    let error = verify(&issue_with(&signer).to_json(), &options).unwrap_err();
    assert_eq!(
        error,
        VerifyError::RevokedKey {
            key_id: signer.key_id().to_string()
        }
    );
}

#[test]
fn wrong_environment_fails() {
    let signer = key(1);
    let trusted = trusted(&[&signer]);
    let options = options(&trusted).with_environment("staging");
    let error = verify(&issue_with(&signer).to_json(), &options).unwrap_err();
    assert!(matches!(error, VerifyError::EnvironmentMismatch { .. }));
    assert!(
        error.to_string().starts_with("environment mismatch"),
        "{error}"
    );
}

#[test]
fn wrong_subject_fails_naming_both_digests() {
    let signer = key(1);
    let trusted = trusted(&[&signer]);
    let other_plan = b"{\"resource_changes\":[{\"change\":{\"actions\":[\"delete\"]}}]}";
    let options = options(&trusted).with_subject_bytes(other_plan);
    let error = verify(&issue_with(&signer).to_json(), &options).unwrap_err();
    let receipt_digest = airlock_receipts::sha256_digest(PLAN);
    let file_digest = airlock_receipts::sha256_digest(other_plan);
    assert_eq!(
        error,
        VerifyError::SubjectMismatch {
            receipt: receipt_digest.clone(),
            file: file_digest.clone(),
        }
    );
    assert_eq!(
        error.to_string(),
        format!("subject digest mismatch: receipt is for {receipt_digest}, file is {file_digest}")
    );
}

#[test]
fn subject_may_be_given_as_a_digest() {
    let signer = key(1);
    let trusted = trusted(&[&signer]);
    let digest = airlock_receipts::sha256_digest(PLAN);
    let mut options = options(&trusted);
    options.subject = Some(ExpectedSubject::Sha256(&digest));
    verify(&issue_with(&signer).to_json(), &options).unwrap();
    options.subject = Some(ExpectedSubject::Sha256("sha256:00"));
    assert!(matches!(
        verify(&issue_with(&signer).to_json(), &options),
        Err(VerifyError::SubjectMismatch { .. })
    ));
}

#[test]
fn action_digest_is_checked_when_given() {
    let signer = key(1);
    let trusted = trusted(&[&signer]);
    let envelope = issue_with(&signer).to_json();
    let right = request().action_digest;
    verify(&envelope, &options(&trusted).with_action_digest(&right)).unwrap();
    let wrong = airlock_receipts::action_digest(&serde_json::json!({"tool": "shell"}));
    assert!(matches!(
        verify(&envelope, &options(&trusted).with_action_digest(&wrong)),
        Err(VerifyError::ActionDigestMismatch { .. })
    ));
}

#[test]
fn receipt_is_valid_from_issue_minus_skew_until_expiry_inclusive() {
    let signer = key(1);
    let trusted = trusted(&[&signer]);
    let envelope = issue_with(&signer).to_json();
    let at = |now| {
        let mut options = options(&trusted);
        options.now = now;
        verify(&envelope, &options)
    };
    let expiry = issued_at() + Duration::minutes(30);
    at(issued_at()).unwrap();
    at(issued_at() - Duration::seconds(60)).unwrap();
    at(expiry).unwrap();

    let error = at(expiry + Duration::seconds(1)).unwrap_err();
    assert!(matches!(error, VerifyError::Expired { .. }));
    assert!(
        error
            .to_string()
            .starts_with("receipt expired at 2026-01-01T00:30:00Z"),
        "{error}"
    );
    let error = at(issued_at() - Duration::seconds(61)).unwrap_err();
    assert!(matches!(error, VerifyError::NotYetValid { .. }), "{error}");
}

#[test]
fn policy_pin_mismatch_fails() {
    let signer = key(1);
    let trusted = trusted(&[&signer]);
    let options = options(&trusted).with_policy_version_pin("sha256:newer");
    let error = verify(&issue_with(&signer).to_json(), &options).unwrap_err();
    assert!(matches!(error, VerifyError::PolicyVersionMismatch { .. }));
}

#[test]
fn checks_the_caller_leaves_out_are_skipped() {
    let signer = key(1);
    let trusted = trusted(&[&signer]);
    let options = VerifyOptions::new(&trusted, issued_at());
    verify(&issue_with(&signer).to_json(), &options).unwrap();
}

#[test]
fn signed_statements_of_another_kind_are_refused() {
    let signer = key(1);
    let trusted = trusted(&[&signer]);
    let envelope = issue_with(&signer);
    let resign = |statement: serde_json::Value| {
        Envelope::sign(
            IN_TOTO_PAYLOAD_TYPE,
            statement.to_string().as_bytes(),
            &signer,
        )
        .to_json()
    };

    let mut statement = payload_json(&envelope);
    statement["_type"] = serde_json::json!("https://in-toto.io/Statement/v0.1");
    assert!(matches!(
        verify(&resign(statement), &options(&trusted)),
        Err(VerifyError::WrongStatementType { .. })
    ));

    let mut statement = payload_json(&envelope);
    statement["predicateType"] = serde_json::json!("https://slsa.dev/provenance/v1");
    assert!(matches!(
        verify(&resign(statement), &options(&trusted)),
        Err(VerifyError::WrongPredicateType { .. })
    ));

    let mut statement = payload_json(&envelope);
    statement["predicate"]["max_uses"] = serde_json::json!(1000);
    let error = verify(&resign(statement), &options(&trusted)).unwrap_err();
    assert!(
        matches!(error, VerifyError::MalformedStatement(_)),
        "{error}"
    );

    let mut statement = payload_json(&envelope);
    statement["predicate"]["nonce"] = serde_json::json!("short");
    assert!(matches!(
        verify(&resign(statement), &options(&trusted)),
        Err(VerifyError::MalformedStatement(_))
    ));

    let mut statement = payload_json(&envelope);
    statement["subject"] = serde_json::json!([]);
    assert!(matches!(
        verify(&resign(statement), &options(&trusted)),
        Err(VerifyError::MalformedStatement(_))
    ));
}

#[test]
fn malformed_envelopes_get_distinct_errors() {
    let signer = key(1);
    let trusted = trusted(&[&signer]);
    let options = options(&trusted);
    let envelope = issue_with(&signer);

    assert!(matches!(
        verify("", &options),
        Err(VerifyError::MalformedEnvelope(_))
    ));
    assert!(matches!(
        verify("[]", &options),
        Err(VerifyError::MalformedEnvelope(_))
    ));
    assert!(matches!(
        verify(
            r#"{"payload":"","payloadType":"application/vnd.in-toto+json"}"#,
            &options
        ),
        Err(VerifyError::MalformedEnvelope(_))
    ));

    let unsigned = Envelope {
        signatures: vec![],
        ..envelope.clone()
    };
    assert_eq!(
        verify(&unsigned.to_json(), &options),
        Err(VerifyError::NoSignatures)
    );

    let bad_payload = Envelope {
        payload: "%%%".to_owned(),
        ..envelope.clone()
    };
    assert_eq!(
        verify(&bad_payload.to_json(), &options),
        Err(VerifyError::MalformedPayloadEncoding)
    );

    let crowded = Envelope {
        signatures: vec![envelope.signatures[0].clone(); 17],
        ..envelope.clone()
    };
    assert!(matches!(
        verify(&crowded.to_json(), &options),
        Err(VerifyError::TooManySignatures { .. })
    ));

    let huge = format!("{}{}", envelope.to_json(), " ".repeat(MAX_ENVELOPE_BYTES));
    assert!(matches!(
        verify(&huge, &options),
        Err(VerifyError::EnvelopeTooLarge { .. })
    ));
}

#[test]
fn issue_refuses_bad_requests() {
    let signer = key(1);
    let zero_ttl = issue(&request(), &signer, issued_at(), Duration::ZERO);
    assert!(matches!(zero_ttl, Err(IssueError::InvalidTtl(_))));

    let mut bad = request();
    bad.action_digest = "md5:abc".to_owned();
    assert!(matches!(
        issue(&bad, &signer, issued_at(), Duration::minutes(1)),
        Err(IssueError::InvalidRequest(_))
    ));

    let mut bad = request();
    bad.environment = String::new();
    assert!(matches!(
        issue(&bad, &signer, issued_at(), Duration::minutes(1)),
        Err(IssueError::InvalidRequest(_))
    ));
}

#[test]
fn issue_truncates_to_whole_utc_seconds_and_keeps_a_given_receipt_id() {
    let signer = key(1);
    let mut wanted = request();
    wanted.receipt_id = Some("approval-42".to_owned());
    let now = (issued_at() + Duration::milliseconds(750))
        .to_offset(time::UtcOffset::from_hms(2, 0, 0).unwrap());
    let envelope = issue(&wanted, &signer, now, Duration::seconds(90)).unwrap();
    let statement = payload_json(&envelope);
    assert_eq!(statement["predicate"]["receipt_id"], "approval-42");
    assert_eq!(statement["predicate"]["issued_at"], "2026-01-01T00:00:00Z");
    assert_eq!(statement["predicate"]["expires_at"], "2026-01-01T00:01:30Z");
}
