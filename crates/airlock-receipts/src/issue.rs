//! Issuing receipts: building the statement for an approved action and
//! signing it into a DSSE envelope.

use airlock_keys::SigningKeyPair;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::canonical::canonical_json;
use crate::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
use crate::statement::{
    Approver, ReceiptPredicate, Statement, Subject, RECEIPT_PREDICATE_TYPE, STATEMENT_TYPE,
};

/// What the caller knows about an approved action; [`issue`] adds the
/// receipt id (unless given), times and nonce.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptRequest {
    /// The artifact the receipt authorises (see [`Subject::for_bytes`]).
    pub subject: Subject,
    /// `sha256:<hex>` of the action's canonical JSON (see [`crate::action_digest`]).
    pub action_digest: String,
    pub environment: String,
    pub tenant: String,
    pub agent: String,
    pub operator: String,
    pub approvers: Vec<Approver>,
    pub policy_version: String,
    /// A receipt id chosen by the caller; a random one when `None`.
    #[serde(default)]
    pub receipt_id: Option<String>,
    #[serde(default)]
    pub plan_digest: Option<String>,
    #[serde(default)]
    pub commit: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error("receipt lifetime must be positive, got {0}")]
    InvalidTtl(Duration),
    #[error("cannot issue receipt: {0}")]
    InvalidRequest(String),
    #[error("cannot issue receipt: expiry time out of range")]
    TimeOutOfRange,
    #[error("cannot get random bytes for the receipt nonce: {0}")]
    Randomness(String),
    #[error("cannot serialise receipt statement: {0}")]
    Serialize(#[from] serde_json::Error),
}

/// Signs a receipt for `request` with `key`, valid from `now` (truncated to
/// whole seconds, in UTC) for `ttl`.
pub fn issue(
    request: &ReceiptRequest,
    key: &SigningKeyPair,
    now: OffsetDateTime,
    ttl: Duration,
) -> Result<Envelope, IssueError> {
    if !ttl.is_positive() {
        return Err(IssueError::InvalidTtl(ttl));
    }
    let issued_at = now
        .to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .map_err(|_| IssueError::TimeOutOfRange)?;
    let expires_at = issued_at
        .checked_add(ttl)
        .and_then(|expiry| expiry.replace_nanosecond(0).ok())
        .ok_or(IssueError::TimeOutOfRange)?;
    let receipt_id = match &request.receipt_id {
        Some(id) => id.clone(),
        None => new_receipt_id()?,
    };
    let statement = Statement {
        statement_type: STATEMENT_TYPE.to_owned(),
        subject: vec![request.subject.clone()],
        predicate_type: RECEIPT_PREDICATE_TYPE.to_owned(),
        predicate: ReceiptPredicate {
            receipt_id,
            action_digest: request.action_digest.clone(),
            environment: request.environment.clone(),
            tenant: request.tenant.clone(),
            agent: request.agent.clone(),
            operator: request.operator.clone(),
            approvers: request.approvers.clone(),
            policy_version: request.policy_version.clone(),
            issued_at,
            expires_at,
            nonce: hex::encode(random_bytes::<16>()?),
            plan_digest: request.plan_digest.clone(),
            commit: request.commit.clone(),
        },
    };
    statement
        .check_well_formed()
        .map_err(IssueError::InvalidRequest)?;
    let payload = canonical_json(&serde_json::to_value(&statement)?);
    Ok(Envelope::sign(
        IN_TOTO_PAYLOAD_TYPE,
        payload.as_bytes(),
        key,
    ))
}

/// A fresh random receipt id: `rcpt_` followed by 32 lower case hex characters.
pub fn new_receipt_id() -> Result<String, IssueError> {
    Ok(format!("rcpt_{}", hex::encode(random_bytes::<16>()?)))
}

fn random_bytes<const N: usize>() -> Result<[u8; N], IssueError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|error| IssueError::Randomness(error.to_string()))?;
    Ok(bytes)
}
