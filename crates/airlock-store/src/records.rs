//! The typed records the store reads and writes: tenants, principals
//! (agents and approvers), approval requests and votes, receipts,
//! revocations, and the inputs of the operations that create them.

use airlock_approvals::{RequestStatus, Tally, VoteKind};
use airlock_audit::{EntryKind, StoredEntry, Timestamp};
use airlock_model::{ActionRequest, AgentIdentity, ApprovalRequirement, Decision};
use airlock_receipts::Envelope;

use crate::error::StoreError;
use crate::ids::{TenantId, TokenHash};

/// Who did something and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    pub by: String,
    pub at: Timestamp,
}

/// A tenant: the unit of isolation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub id: TenantId,
    pub name: String,
    pub created_at: Timestamp,
    /// Set while the tenant is under an emergency stop.
    pub emergency_stop: Option<Stamp>,
}

/// Registration of an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAgent {
    pub id: String,
    pub name: String,
    /// The person the agent acts for; never counts as its approver.
    pub operator: String,
    pub roles: Vec<String>,
    pub expires_at: Option<Timestamp>,
}

/// An agent as the store knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Agent {
    pub tenant: TenantId,
    pub id: String,
    pub name: String,
    pub operator: String,
    pub roles: Vec<String>,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub revoked: Option<Stamp>,
    /// How the agent last named itself, and when.
    pub last_seen: Option<(AgentIdentity, Timestamp)>,
}

impl Agent {
    /// Not revoked and not expired at `now`.
    pub fn is_active(&self, now: Timestamp) -> bool {
        self.revoked.is_none() && self.expires_at.is_none_or(|expiry| now < expiry)
    }

    /// The same agent with the same authority: everything but how it last
    /// named itself, which is bookkeeping, not authority.
    pub fn same_authority(&self, other: &Agent) -> bool {
        let Agent {
            tenant,
            id,
            name,
            operator,
            roles,
            created_at,
            expires_at,
            revoked,
            last_seen: _,
        } = self;
        *tenant == other.tenant
            && *id == other.id
            && *name == other.name
            && *operator == other.operator
            && *roles == other.roles
            && *created_at == other.created_at
            && *expires_at == other.expires_at
            && *revoked == other.revoked
    }
}

/// The agent a decision was made for, as it was read with its token: the
/// store records the decision only if, inside the transaction that appends
/// it, the token still names that agent with the same authority
/// ([`crate::TenantStore::append_decisions`]).
#[derive(Debug, Clone)]
pub struct DecidedFor {
    pub token: TokenHash,
    pub agent: Agent,
}

impl DecidedFor {
    /// Whether `current`, the agent the token names now, still holds the
    /// authority the decision was made with: active at `now`, the same
    /// authority, in a tenant that is not under an emergency stop.
    pub fn held_by(&self, current: &Agent, tenant_stopped: bool, now: Timestamp) -> bool {
        !tenant_stopped && current.is_active(now) && current.same_authority(&self.agent)
    }
}

/// Registration of an approver (a person).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApprover {
    pub id: String,
    pub name: String,
    pub roles: Vec<String>,
}

/// An approver as the store knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approver {
    pub tenant: TenantId,
    pub id: String,
    pub name: String,
    pub roles: Vec<String>,
    pub created_at: Timestamp,
    pub revoked: Option<Stamp>,
}

/// Whoever holds a token.
#[derive(Debug, Clone, PartialEq)]
pub enum Principal {
    Agent(Agent),
    Approver(Approver),
}

impl Principal {
    pub fn tenant(&self) -> &TenantId {
        match self {
            Principal::Agent(agent) => &agent.tenant,
            Principal::Approver(approver) => &approver.tenant,
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Principal::Agent(agent) => &agent.id,
            Principal::Approver(approver) => &approver.id,
        }
    }

    /// Not revoked (and, for agents, not expired) at `now`. A token lookup
    /// returns inactive principals too; callers must check this.
    pub fn is_active(&self, now: Timestamp) -> bool {
        match self {
            Principal::Agent(agent) => agent.is_active(now),
            Principal::Approver(approver) => approver.revoked.is_none(),
        }
    }
}

/// An escalated action to hold for approval.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEscalation {
    /// The action; its `tenant` must be the store handle's tenant and its
    /// `agent.id` a registered, active agent of that tenant.
    pub action: ActionRequest,
    /// Digest of the artifact to deploy (for example a Terraform plan).
    pub plan_digest: Option<String>,
    pub decision: Decision,
    pub requirement: ApprovalRequirement,
    pub environment: String,
    pub expires_at: Timestamp,
}

/// An action held for approval.
#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalRequest {
    pub tenant: TenantId,
    pub id: String,
    pub agent_id: String,
    pub operator: String,
    pub action: ActionRequest,
    /// `sha256:` of the RFC 8785 canonical JSON of `action`.
    pub action_digest: String,
    pub plan_digest: Option<String>,
    pub decision: Decision,
    pub requirement: ApprovalRequirement,
    pub environment: String,
    pub status: RequestStatus,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    /// When it left `pending`.
    pub resolved_at: Option<Timestamp>,
}

/// One person's vote on a request, with the roles they held when voting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    pub request_id: String,
    pub approver_id: String,
    pub roles: Vec<String>,
    pub verdict: VoteKind,
    pub comment: Option<String>,
    pub at: Timestamp,
}

/// The result of a vote.
#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalOutcome {
    pub approval: Approval,
    /// The request after the vote.
    pub request: ApprovalRequest,
    /// Where the request stands, with what is still missing.
    pub tally: Tally,
}

impl ApprovalOutcome {
    /// Whether the requirement is now met (the request is approved).
    pub fn requirement_met(&self) -> bool {
        self.request.status == RequestStatus::Approved
    }
}

/// A signed receipt to record for an approved request.
#[derive(Debug, Clone, PartialEq)]
pub struct NewReceipt {
    /// The receipt id (`airlock_receipts::new_receipt_id`).
    pub id: String,
    pub request_id: String,
    /// The receipt's nonce; unique across the whole store.
    pub nonce: String,
    pub envelope: Envelope,
    pub issued_at: Timestamp,
    pub expires_at: Timestamp,
}

/// A stored receipt.
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    pub tenant: TenantId,
    pub id: String,
    pub request_id: String,
    pub nonce: String,
    pub envelope: Envelope,
    pub issued_at: Timestamp,
    pub expires_at: Timestamp,
    pub redeemed_at: Option<Timestamp>,
    pub revoked: Option<Stamp>,
}

/// How to name a receipt to redeem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptRef<'a> {
    Id(&'a str),
    Nonce(&'a str),
}

/// What a revocation (of an agent, or a tenant-wide stop) withdrew.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Withdrawn {
    /// Pending requests now `cancelled`.
    pub cancelled_requests: Vec<String>,
    /// Unredeemed receipts now revoked.
    pub revoked_receipts: Vec<String>,
}

/// A revoked signing key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRevocation {
    pub key_id: String,
    pub reason: String,
    pub revoked: Stamp,
}

/// An event to append to the tenant's audit log; the store assigns its
/// index and fills in the tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    pub timestamp: Timestamp,
    pub kind: EntryKind,
    pub actor: String,
    pub subject: String,
    pub data: serde_json::Value,
}

impl AuditEvent {
    pub fn new(
        timestamp: Timestamp,
        kind: EntryKind,
        actor: impl Into<String>,
        subject: impl Into<String>,
        data: serde_json::Value,
    ) -> AuditEvent {
        AuditEvent {
            timestamp,
            kind,
            actor: actor.into(),
            subject: subject.into(),
            data,
        }
    }
}

/// One row of the audit log as read for verification: the row's index
/// column and the row decoded, or why it does not decode (a row edited into
/// something that is not an entry).
#[derive(Debug)]
pub struct AuditRow {
    pub position: u64,
    pub decoded: Result<StoredEntry, StoreError>,
}

/// Which columns a raw audit page carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditColumns {
    /// The index and the leaf bytes: what the tree commits to, all an
    /// independent verifier needs. The stored hashes come back empty.
    LeafBytes,
    /// Also the stored leaf hash and root after each row (the caches that
    /// proofs are served from), to check them or name the first bad row.
    WithStoredHashes,
}

/// A page of audit rows exactly as stored, undecoded, in one buffer: the
/// fast path for replaying a whole log (`airlock audit verify`), where
/// decoding every entry would cost more than hashing it.
#[derive(Debug, Default)]
pub struct RawAuditPage {
    pub(crate) text: String,
    pub(crate) rows: Vec<RawRowSpans>,
}

/// Where one row's columns lie in [`RawAuditPage`]'s buffer.
#[derive(Debug, Clone)]
pub(crate) struct RawRowSpans {
    pub(crate) position: u64,
    pub(crate) entry: std::ops::Range<usize>,
    pub(crate) leaf_hash: std::ops::Range<usize>,
    pub(crate) root_after: std::ops::Range<usize>,
}

/// One row of a [`RawAuditPage`]: the index column and the three text
/// columns as stored (`entry` is the leaf bytes, the hashes are hex, or
/// empty when the page was read with [`AuditColumns::LeafBytes`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawAuditRow<'a> {
    pub position: u64,
    pub entry: &'a str,
    pub leaf_hash: &'a str,
    pub root_after: &'a str,
}

impl RawAuditPage {
    /// Rows in index order.
    pub fn rows(&self) -> impl Iterator<Item = RawAuditRow<'_>> + '_ {
        self.rows.iter().map(|spans| RawAuditRow {
            position: spans.position,
            entry: self.text.get(spans.entry.clone()).unwrap_or_default(),
            leaf_hash: self.text.get(spans.leaf_hash.clone()).unwrap_or_default(),
            root_after: self.text.get(spans.root_after.clone()).unwrap_or_default(),
        })
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Index column of the last row.
    pub fn last_position(&self) -> Option<u64> {
        self.rows.last().map(|spans| spans.position)
    }
}
