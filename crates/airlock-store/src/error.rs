//! The store's error type: every way a store operation can be refused or
//! fail, typed so that callers map each to the right answer (a lookup of
//! another tenant's object is `NotFound`, never "forbidden").

use airlock_approvals::{Refusal, RequestStatus};
use airlock_audit::Timestamp;

/// What went wrong in a store operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such object in this tenant (also the answer for another tenant's ids).
    #[error("{kind} `{id}` not found")]
    NotFound { kind: &'static str, id: String },
    /// An object with this id already exists in this tenant.
    #[error("{kind} `{id}` already exists")]
    AlreadyExists { kind: &'static str, id: String },
    /// The store URL or an option is not usable.
    #[error("invalid store configuration: {0}")]
    InvalidConfig(String),
    /// An argument is malformed (bad tenant id, action of another tenant, ...).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The approval rules refuse this vote (operator, double vote, not
    /// pending, expired).
    #[error("vote refused: {0}")]
    VoteRefused(#[from] Refusal),
    /// The approver's access was revoked.
    #[error("approver `{0}` is revoked")]
    ApproverRevoked(String),
    /// The agent was revoked.
    #[error("agent `{0}` is revoked")]
    AgentRevoked(String),
    /// The agent's registration expired.
    #[error("agent `{0}` has expired")]
    AgentExpired(String),
    /// The tenant is under an emergency stop.
    #[error("tenant is under an emergency stop since {at} (by `{by}`)")]
    EmergencyStopped { by: String, at: Timestamp },
    /// A receipt was asked for a request that is not approved.
    #[error("request `{request}` is {}, not approved", status.as_str())]
    NotApproved {
        request: String,
        status: RequestStatus,
    },
    /// The request already has its receipt.
    #[error("request `{0}` already has a receipt")]
    ReceiptAlreadyIssued(String),
    /// The nonce is already used by another receipt.
    #[error("receipt nonce is already in use")]
    NonceReused,
    /// The receipt was redeemed before.
    #[error("receipt `{receipt}` was already redeemed at {at}")]
    AlreadyRedeemed { receipt: String, at: Timestamp },
    /// The receipt was revoked.
    #[error("receipt `{receipt}` was revoked at {at}")]
    ReceiptRevoked { receipt: String, at: Timestamp },
    /// The receipt's validity window has passed.
    #[error("receipt `{receipt}` expired at {at}")]
    ReceiptExpired { receipt: String, at: Timestamp },
    /// A stored value does not decode: the database was edited or is damaged.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// Signing a checkpoint failed.
    #[error("checkpoint signing failed: {0}")]
    Checkpoint(#[from] airlock_audit::CheckpointError),
    /// The operating system could not supply randomness.
    #[error("no randomness available: {0}")]
    Randomness(String),
    /// Creating the SQLite file's directory failed.
    #[error("cannot create {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The task running the operation was cancelled (runtime shutdown).
    #[error("the store operation was interrupted: {0}")]
    Interrupted(String),
    /// The database failed or refused a statement.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl StoreError {
    pub(crate) fn not_found(kind: &'static str, id: impl Into<String>) -> Self {
        StoreError::NotFound {
            kind,
            id: id.into(),
        }
    }

    pub(crate) fn corrupt(what: impl std::fmt::Display) -> Self {
        StoreError::Corrupt(what.to_string())
    }

    /// Whether the database refused a row because of a UNIQUE or PRIMARY
    /// KEY constraint.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::Database(db)) if db.is_unique_violation())
    }
}

/// Results of store operations.
pub type StoreResult<T> = Result<T, StoreError>;
