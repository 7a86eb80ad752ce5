//! The receipt's content: an in-toto Statement v1 whose subject is the
//! artifact the receipt authorises and whose predicate (type
//! [`RECEIPT_PREDICATE_TYPE`]) records what was approved, by whom, where, under
//! which policy and for how long.
//!
//! Statement, subject digest and predicate refuse unknown members when read,
//! so a signed receipt cannot carry fields one verifier honours and another
//! ignores.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// `_type` of an in-toto Statement v1.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// `predicateType` of an airlock receipt.
pub const RECEIPT_PREDICATE_TYPE: &str = "https://airlock.dev/receipt/v1";

/// An in-toto Statement v1 carrying an airlock receipt predicate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    #[serde(rename = "_type")]
    pub statement_type: String,
    pub subject: Vec<Subject>,
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    pub predicate: ReceiptPredicate,
}

/// The artifact a receipt authorises, named and identified by digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    pub name: String,
    pub digest: SubjectDigest,
}

/// in-toto digest set; airlock uses SHA-256 only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubjectDigest {
    /// 64 lower case hex characters.
    pub sha256: String,
}

impl Subject {
    /// The subject `name` whose content is `bytes`.
    pub fn for_bytes(name: impl Into<String>, bytes: &[u8]) -> Subject {
        Subject {
            name: name.into(),
            digest: SubjectDigest {
                sha256: hex::encode(Sha256::digest(bytes)),
            },
        }
    }
}

/// One person whose approval the receipt records, with the roles they held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approver {
    pub id: String,
    pub roles: Vec<String>,
}

/// What an airlock receipt attests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptPredicate {
    /// Unique id of this receipt, for audit and for refusing reuse.
    pub receipt_id: String,
    /// `sha256:<hex>` of the RFC 8785 canonical JSON of the approved action.
    pub action_digest: String,
    /// The environment the approval is for ("production", "staging", ...).
    pub environment: String,
    pub tenant: String,
    /// Id of the agent that asked for the action.
    pub agent: String,
    /// The person the agent acts for (never counted as an approver).
    pub operator: String,
    pub approvers: Vec<Approver>,
    /// Hash of the policy set that decided the escalation.
    pub policy_version: String,
    /// RFC 3339, UTC, whole seconds.
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    /// RFC 3339, UTC, whole seconds; the receipt is invalid after this instant.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// 128 random bits as 32 lower case hex characters.
    pub nonce: String,
    /// `sha256:<hex>` of the Terraform plan the approval covers, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_digest: Option<String>,
    /// Source commit the approval covers, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

impl Statement {
    /// Checks the fields whose form matters for security; the reason names
    /// the first offending field.
    pub fn check_well_formed(&self) -> Result<(), String> {
        if self.subject.is_empty() {
            return Err("the statement has no subject".to_owned());
        }
        for subject in &self.subject {
            if !is_lower_hex(&subject.digest.sha256, 64) {
                return Err(format!(
                    "subject {:?} has a sha256 digest that is not 64 lower case hex characters",
                    shorten(&subject.name)
                ));
            }
        }
        self.predicate.check_well_formed()
    }
}

impl ReceiptPredicate {
    /// Checks the fields whose form matters for security; the reason names
    /// the first offending field.
    pub fn check_well_formed(&self) -> Result<(), String> {
        for (field, value) in [
            ("receipt_id", &self.receipt_id),
            ("environment", &self.environment),
            ("tenant", &self.tenant),
            ("agent", &self.agent),
            ("policy_version", &self.policy_version),
        ] {
            if value.trim().is_empty() {
                return Err(format!("{field} is empty"));
            }
        }
        if !is_sha256_digest(&self.action_digest) {
            return Err(
                "action_digest is not `sha256:` followed by 64 lower case hex characters"
                    .to_owned(),
            );
        }
        if let Some(plan_digest) = &self.plan_digest {
            if !is_sha256_digest(plan_digest) {
                return Err(
                    "plan_digest is not `sha256:` followed by 64 lower case hex characters"
                        .to_owned(),
                );
            }
        }
        if !is_lower_hex(&self.nonce, 32) {
            return Err("nonce is not 32 lower case hex characters".to_owned());
        }
        if self.expires_at <= self.issued_at {
            return Err("expires_at is not after issued_at".to_owned());
        }
        Ok(())
    }
}

/// `sha256:` followed by 64 lower case hex characters.
pub(crate) fn is_sha256_digest(text: &str) -> bool {
    text.strip_prefix("sha256:")
        .is_some_and(|hex_part| is_lower_hex(hex_part, 64))
}

pub(crate) fn is_lower_hex(text: &str, length: usize) -> bool {
    text.len() == length
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// At most 80 characters of untrusted text, for error messages.
pub(crate) fn shorten(text: &str) -> String {
    const LIMIT: usize = 80;
    if text.chars().count() <= LIMIT {
        text.to_owned()
    } else {
        let mut short: String = text.chars().take(LIMIT).collect();
        short.push('…');
        short
    }
}
