//! Signed revocation lists: how an offline verifier learns that an agent,
//! a receipt or a signing key was revoked. The gate signs the tenant's list
//! (DSSE, its own payload type, so a list can never pass as a receipt or the
//! reverse); a pipeline fetches or pins it and passes it to `verify`.

use airlock_keys::{KeyId, SigningKeyPair, TrustedKeys};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::canonical::canonical_json;
use crate::dsse::Envelope;
use crate::statement::ReceiptPredicate;
use crate::verify::{check_signatures, VerifyError};

/// The DSSE payload type of a revocation list.
pub const REVOCATIONS_PAYLOAD_TYPE: &str = "application/vnd.airlock.revocations+json";

/// The largest revocation list accepted.
pub const MAX_LIST_BYTES: usize = 16 * 1024 * 1024;

/// Everything a tenant has revoked, as of `issued_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevocationList {
    pub tenant: String,
    /// RFC 3339, UTC, whole seconds.
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    pub agents: Vec<RevokedItem>,
    pub receipts: Vec<RevokedItem>,
    pub keys: Vec<RevokedItem>,
}

/// One revoked agent, receipt or key, by id, with when it was revoked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokedItem {
    pub id: String,
    pub revoked_at: String,
}

impl RevocationList {
    /// The list signed by `key`, its payload the RFC 8785 form of the list.
    pub fn sign(&self, key: &SigningKeyPair) -> Result<Envelope, serde_json::Error> {
        let payload = canonical_json(&serde_json::to_value(self)?);
        Ok(Envelope::sign(
            REVOCATIONS_PAYLOAD_TYPE,
            payload.as_bytes(),
            key,
        ))
    }

    /// Reads and checks a signed list: signature by a trusted key, payload
    /// type, and, with `max_age`, that it is not older than that at `now`.
    pub fn verify(
        envelope_json: &str,
        trusted: &TrustedKeys,
        now: OffsetDateTime,
        max_age: Option<Duration>,
    ) -> Result<RevocationList, VerifyError> {
        let invalid = |reason: String| VerifyError::RevocationListInvalid(reason);
        if envelope_json.len() > MAX_LIST_BYTES {
            return Err(invalid(format!("larger than {MAX_LIST_BYTES} bytes")));
        }
        let envelope: Envelope = serde_json::from_str(envelope_json)
            .map_err(|error| invalid(format!("not a DSSE envelope: {error}")))?;
        if envelope.payload_type != REVOCATIONS_PAYLOAD_TYPE {
            return Err(invalid(format!(
                "payload type {:?}, expected {REVOCATIONS_PAYLOAD_TYPE:?}",
                envelope.payload_type
            )));
        }
        let payload = envelope
            .decode_payload()
            .ok_or_else(|| invalid("payload is not base64".into()))?;
        check_signatures(&envelope, &payload, trusted, &[])
            .map_err(|error| invalid(error.to_string()))?;
        let list: RevocationList = serde_json::from_slice(&payload)
            .map_err(|error| invalid(format!("malformed list: {error}")))?;
        if let Some(max_age) = max_age {
            if now - list.issued_at > max_age {
                return Err(VerifyError::RevocationListStale {
                    issued_at: list.issued_at.to_string(),
                    max_age: max_age.to_string(),
                });
            }
        }
        Ok(list)
    }

    /// The revoked signing keys, for [`crate::VerifyOptions::with_revoked_keys`].
    pub fn revoked_keys(&self) -> Vec<KeyId> {
        self.keys
            .iter()
            .filter_map(|key| KeyId::parse(&key.id).ok())
            .collect()
    }

    /// Refuses a receipt this list revokes, directly or through its agent.
    pub fn check(&self, predicate: &ReceiptPredicate) -> Result<(), VerifyError> {
        if predicate.tenant != self.tenant {
            return Err(VerifyError::RevocationListInvalid(format!(
                "the list is for tenant {:?}, the receipt for {:?}",
                self.tenant, predicate.tenant
            )));
        }
        if let Some(receipt) = self.receipts.iter().find(|r| r.id == predicate.receipt_id) {
            return Err(VerifyError::ReceiptRevoked {
                receipt: receipt.id.clone(),
                at: receipt.revoked_at.clone(),
            });
        }
        if let Some(agent) = self.agents.iter().find(|a| a.id == predicate.agent) {
            return Err(VerifyError::AgentRevoked {
                agent: agent.id.clone(),
                at: agent.revoked_at.clone(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::issue::{issue, ReceiptRequest};
    use crate::statement::{Statement, Subject};

    fn key() -> SigningKeyPair {
        SigningKeyPair::from_seed(&[7; 32])
    }

    fn list(now: OffsetDateTime) -> RevocationList {
        RevocationList {
            tenant: "acme".into(),
            issued_at: now.replace_nanosecond(0).expect("whole seconds"),
            agents: vec![RevokedItem {
                id: "rogue".into(),
                revoked_at: "2026-01-01T00:00:00Z".into(),
            }],
            receipts: vec![RevokedItem {
                id: "rcpt_gone".into(),
                revoked_at: "2026-01-01T00:00:00Z".into(),
            }],
            keys: vec![],
        }
    }

    fn predicate(agent: &str, receipt_id: &str) -> ReceiptPredicate {
        let request = ReceiptRequest {
            subject: Subject::for_bytes("plan.json", b"{}"),
            action_digest: format!("sha256:{}", "a".repeat(64)),
            environment: "production".into(),
            tenant: "acme".into(),
            agent: agent.into(),
            operator: "alice".into(),
            approvers: vec![],
            policy_version: "v1".into(),
            receipt_id: Some(receipt_id.into()),
            plan_digest: None,
            commit: None,
        };
        let envelope = issue(
            &request,
            &key(),
            OffsetDateTime::now_utc(),
            Duration::hours(1),
        )
        .expect("issue");
        let payload = envelope.decode_payload().expect("payload");
        let statement: Statement = serde_json::from_slice(&payload).expect("statement");
        statement.predicate
    }

    fn trusted() -> TrustedKeys {
        let mut keys = TrustedKeys::new();
        keys.insert(key().public_key().clone()).expect("insert");
        keys
    }

    #[test]
    fn a_signed_list_verifies_and_revokes_by_receipt_and_by_agent() {
        let now = OffsetDateTime::now_utc();
        let text = list(now).sign(&key()).expect("sign").to_json();
        let read = RevocationList::verify(&text, &trusted(), now, Some(Duration::hours(1)))
            .expect("verifies");
        assert!(read.check(&predicate("good", "rcpt_fine")).is_ok());
        assert!(matches!(
            read.check(&predicate("good", "rcpt_gone")),
            Err(VerifyError::ReceiptRevoked { .. })
        ));
        assert!(matches!(
            read.check(&predicate("rogue", "rcpt_other")),
            Err(VerifyError::AgentRevoked { .. })
        ));
    }

    #[test]
    fn an_altered_stale_or_foreign_list_is_refused() {
        let now = OffsetDateTime::now_utc();
        let mut envelope = list(now).sign(&key()).expect("sign");
        let mut altered = list(now);
        altered.agents.clear();
        envelope.payload = base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            canonical_json(&serde_json::to_value(&altered).expect("json")),
        );
        assert!(matches!(
            RevocationList::verify(&envelope.to_json(), &trusted(), now, None),
            Err(VerifyError::RevocationListInvalid(_))
        ));
        let text = list(now).sign(&key()).expect("sign").to_json();
        assert!(matches!(
            RevocationList::verify(
                &text,
                &trusted(),
                now + Duration::hours(2),
                Some(Duration::hours(1))
            ),
            Err(VerifyError::RevocationListStale { .. })
        ));
        let other = SigningKeyPair::from_seed(&[9; 32]);
        let text = list(now).sign(&other).expect("sign").to_json();
        assert!(RevocationList::verify(&text, &trusted(), now, None).is_err());
    }
}
