//! The store's interface: [`Store`] for what spans tenants (creating
//! tenants, looking up a token's holder) and [`TenantStore`], a handle bound
//! to one tenant through which alone that tenant's data is reached.

use std::ops::Range;
use std::sync::Arc;

use airlock_approvals::{RequestStatus, VoteKind};
use airlock_audit::{Appended, Checkpoint, Frontier, Hash, StoredEntry, Timestamp};
use airlock_model::AgentIdentity;
use async_trait::async_trait;

use crate::error::StoreResult;
use crate::ids::{IssuedToken, TenantId};
use crate::records::{
    Agent, Approval, ApprovalOutcome, ApprovalRequest, Approver, AuditColumns, AuditEvent,
    AuditRow, DecidedFor, KeyRevocation, NewAgent, NewApprover, NewEscalation, NewReceipt,
    Principal, RawAuditPage, Receipt, ReceiptRef, Tenant, Withdrawn,
};

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The shared state of airlock. Every state that matters lives in the
/// database, so any number of `Store`s (processes) may share one.
#[async_trait]
pub trait Store: Send + Sync {
    fn backend(&self) -> Backend;

    /// Creates a tenant with an empty audit log, whose first entry records
    /// the creation. `AlreadyExists` if the id is taken.
    async fn create_tenant(
        &self,
        id: &TenantId,
        name: &str,
        by: &str,
        now: Timestamp,
    ) -> StoreResult<Tenant>;

    async fn tenants(&self) -> StoreResult<Vec<Tenant>>;

    /// The holder of a bearer token, by the token's SHA-256. Inactive
    /// (revoked, expired) principals are returned too: check
    /// [`Principal::is_active`].
    async fn principal_by_token(&self, token: &str) -> StoreResult<Option<Principal>>;

    /// The holder of a bearer token together with its tenant as it is at
    /// that moment (emergency stop included), for serving one request.
    /// Inactive principals are returned too, as by [`Store::principal_by_token`].
    /// The default reads the two one after the other; a store may read both
    /// at once.
    async fn caller_by_token(&self, token: &str) -> StoreResult<Option<(Principal, Tenant)>> {
        let Some(principal) = self.principal_by_token(token).await? else {
            return Ok(None);
        };
        let tenant = self.tenant(principal.tenant()).info().await?;
        Ok(Some((principal, tenant)))
    }

    /// The handle through which `tenant`'s data is read and written. Every
    /// query it runs is restricted to `tenant`; ids of other tenants' objects
    /// are `NotFound`. Operations on a tenant that does not exist fail with
    /// `NotFound { kind: "tenant" }`.
    fn tenant(&self, tenant: &TenantId) -> Arc<dyn TenantStore>;

    /// Closes the connection pool; later calls fail.
    async fn close(&self);
}

/// One tenant's data. Every write is one transaction that also appends
/// exactly one audit entry, so state and log never disagree; a refused
/// operation writes nothing (except marking an expired request expired).
#[async_trait]
pub trait TenantStore: Send + Sync {
    fn tenant_id(&self) -> &TenantId;

    async fn info(&self) -> StoreResult<Tenant>;

    // --- principals -----------------------------------------------------

    /// Registers an agent; the token is returned once and stored as SHA-256.
    async fn create_agent(
        &self,
        agent: NewAgent,
        by: &str,
        now: Timestamp,
    ) -> StoreResult<(Agent, IssuedToken)>;
    async fn agent(&self, id: &str) -> StoreResult<Agent>;
    async fn agents(&self) -> StoreResult<Vec<Agent>>;
    /// Records how the agent named itself on a request (not audited).
    async fn record_agent_identity(
        &self,
        id: &str,
        identity: &AgentIdentity,
        now: Timestamp,
    ) -> StoreResult<()>;

    async fn create_approver(
        &self,
        approver: NewApprover,
        by: &str,
        now: Timestamp,
    ) -> StoreResult<(Approver, IssuedToken)>;
    async fn approver(&self, id: &str) -> StoreResult<Approver>;
    async fn approvers(&self) -> StoreResult<Vec<Approver>>;
    async fn revoke_approver(&self, id: &str, by: &str, now: Timestamp) -> StoreResult<Approver>;

    // --- approvals ------------------------------------------------------

    /// Holds an escalated action for approval.
    async fn submit_escalation(
        &self,
        escalation: NewEscalation,
        now: Timestamp,
    ) -> StoreResult<ApprovalRequest>;

    /// Records one approver's vote and re-tallies the request.
    async fn record_approval(
        &self,
        request_id: &str,
        approver_id: &str,
        verdict: VoteKind,
        comment: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<ApprovalOutcome>;

    async fn request(&self, id: &str) -> StoreResult<ApprovalRequest>;
    /// Requests, oldest first, optionally only those with `status`.
    async fn requests(&self, status: Option<RequestStatus>) -> StoreResult<Vec<ApprovalRequest>>;
    async fn approvals(&self, request_id: &str) -> StoreResult<Vec<Approval>>;

    // --- receipts -------------------------------------------------------

    /// Records the receipt of an approved request: at most one per request.
    async fn issue_receipt(&self, receipt: NewReceipt, now: Timestamp) -> StoreResult<Receipt>;
    /// Marks a receipt used; succeeds once.
    async fn redeem_receipt(&self, receipt: ReceiptRef<'_>, now: Timestamp)
        -> StoreResult<Receipt>;
    async fn receipt(&self, id: &str) -> StoreResult<Receipt>;
    async fn receipt_for_request(&self, request_id: &str) -> StoreResult<Option<Receipt>>;

    // --- revocation -----------------------------------------------------

    /// Revokes an agent, cancels its pending requests and revokes its
    /// unredeemed receipts, in one transaction.
    async fn revoke_agent(&self, id: &str, by: &str, now: Timestamp) -> StoreResult<Withdrawn>;
    /// Stops every agent of the tenant: sets the stop flag, cancels all
    /// pending requests and revokes all unredeemed receipts.
    async fn emergency_stop(&self, by: &str, now: Timestamp) -> StoreResult<Withdrawn>;
    async fn lift_emergency_stop(&self, by: &str, now: Timestamp) -> StoreResult<()>;
    async fn revoke_key(
        &self,
        key_id: &str,
        reason: &str,
        by: &str,
        now: Timestamp,
    ) -> StoreResult<KeyRevocation>;
    async fn revoked_keys(&self) -> StoreResult<Vec<KeyRevocation>>;
    /// Receipts revoked (with their agent, or by an emergency stop), oldest
    /// revocation first: what a signed revocation list carries.
    async fn revoked_receipts(&self) -> StoreResult<Vec<Receipt>>;

    // --- policy -----------------------------------------------------------

    /// Records that `version` (a policy-set hash) now judges this tenant's
    /// actions. When it differs from the last one recorded, the change is
    /// appended to the audit log (kind `policy_change`, with the previous
    /// version) and `true` returned; an unchanged version writes nothing.
    async fn record_policy_version(
        &self,
        version: &str,
        by: &str,
        now: Timestamp,
    ) -> StoreResult<bool>;

    // --- audit log ------------------------------------------------------

    /// Appends one entry (for events that change no other state, such as
    /// plain decisions). Signs and stores a checkpoint when one is due.
    async fn append_audit(&self, event: AuditEvent) -> StoreResult<Appended>;
    /// Appends `events` in order as consecutive entries in one transaction
    /// (one commit, one fsync), for servers that make many decisions durable
    /// together. Checkpoints are signed and stored at every size the policy
    /// makes due, as single appends would; the rows, tree and checkpoints
    /// equal those of appending the events one by one. On error nothing is
    /// appended.
    async fn append_audit_batch(&self, events: Vec<AuditEvent>) -> StoreResult<Vec<Appended>>;
    /// Appends agents' decisions as [`TenantStore::append_audit_batch`]
    /// does, each only if its caller still holds the authority it was
    /// decided with: its token still names the same agent
    /// ([`Agent::same_authority`]), active at `now`, and the tenant is not
    /// under an emergency stop. That is read inside the appending
    /// transaction, after the tenant's write lock is held, which every
    /// revocation and emergency stop takes too: either it committed before
    /// the batch and its decisions are refused here (`None`, nothing
    /// appended for them), or it follows them in the log.
    async fn append_decisions(
        &self,
        decisions: Vec<(AuditEvent, Arc<DecidedFor>)>,
        now: Timestamp,
    ) -> StoreResult<Vec<Option<Appended>>>;
    /// Signs and stores a checkpoint of the log as it is now.
    async fn checkpoint_now(&self, now: Timestamp) -> StoreResult<Checkpoint>;
    /// Rows with index in `range`, in index order.
    async fn audit_rows(&self, range: Range<u64>) -> StoreResult<Vec<StoredEntry>>;
    /// Up to `limit` rows whose index is at least `from`, in index order,
    /// each decoded on its own: for streaming the whole log page by page
    /// (continue from the last `position` + 1) and naming the exact row
    /// that does not decode.
    async fn audit_page(&self, from: u64, limit: u32) -> StoreResult<Vec<AuditRow>>;
    /// The same rows as [`TenantStore::audit_page`], undecoded, fetched as
    /// one buffer with the `columns` asked for: for replaying a whole log
    /// as fast as it can be hashed.
    async fn audit_page_raw(
        &self,
        from: u64,
        limit: u32,
        columns: AuditColumns,
    ) -> StoreResult<RawAuditPage>;
    /// The log head: size and Merkle frontier.
    async fn audit_head(&self) -> StoreResult<Frontier>;
    /// All stored checkpoints, by size.
    async fn checkpoints(&self) -> StoreResult<Vec<Checkpoint>>;
    /// RFC 9162 inclusion proof of entry `index` in the tree of the first
    /// `size` entries, from stored tree nodes in a few reads. The hashes are
    /// read, not re-verified: check the proof against a signed checkpoint.
    /// `InvalidInput` when `index >= size` or the log is smaller than `size`.
    async fn inclusion_proof(&self, index: u64, size: u64) -> StoreResult<Vec<Hash>>;
    /// RFC 9162 consistency proof that the tree of `new_size` entries
    /// extends the tree of `old_size` entries. `InvalidInput` when
    /// `old_size > new_size` or the log is smaller than `new_size`.
    async fn consistency_proof(&self, old_size: u64, new_size: u64) -> StoreResult<Vec<Hash>>;
}
