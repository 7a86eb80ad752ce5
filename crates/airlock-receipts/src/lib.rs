//! Signed receipts for approved airlock actions.
//!
//! When the approvals an escalated action needs are complete, airlock issues a
//! receipt: an [in-toto Statement v1](statement) whose subject is the exact
//! artifact to deploy (for example a Terraform plan file) and whose predicate
//! records the action digest, environment, tenant, agent, operator,
//! approvers, policy version, validity window and a random nonce. The
//! statement is signed with Ed25519 over the DSSE pre-authentication encoding
//! and carried in a [DSSE envelope](dsse).
//!
//! [`verify`] checks a receipt fully offline against a set of trusted public
//! keys, the artifact's bytes, the target environment, a pinned policy
//! version and the current time. [`canonical_json`] (RFC 8785) and
//! [`action_digest`] give every component the same digest for the same action.

pub mod canonical;
pub mod dsse;
pub mod issue;
pub mod revocation;
pub mod statement;
pub mod verify;

pub use canonical::{action_digest, canonical_json, sha256_digest};
pub use dsse::{pae, Envelope, EnvelopeSignature, IN_TOTO_PAYLOAD_TYPE};
pub use issue::{issue, new_receipt_id, IssueError, ReceiptRequest};
pub use revocation::{RevocationList, RevokedItem, REVOCATIONS_PAYLOAD_TYPE};
pub use statement::{
    Approver, ReceiptPredicate, Statement, Subject, SubjectDigest, RECEIPT_PREDICATE_TYPE,
    STATEMENT_TYPE,
};
pub use verify::{
    verify, verify_envelope, ExpectedSubject, VerifiedReceipt, VerifyError, VerifyOptions,
    DEFAULT_CLOCK_SKEW, MAX_ENVELOPE_BYTES, MAX_SIGNATURES,
};
