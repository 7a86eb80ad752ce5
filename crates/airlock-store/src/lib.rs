//! airlock's shared state, on SQLite (embedded default) or PostgreSQL:
//! tenants, principals (agents and approvers, with hashed tokens), approval
//! requests and votes, receipts and their redemption, revocations, and each
//! tenant's tamper-evident audit log with its head and checkpoints.
//!
//! [`SqlStore::open`] takes `sqlite://PATH` or `postgres://…?schema=NAME`,
//! creates and migrates the schema. [`Store`] spans tenants; everything of
//! one tenant is reached through [`Store::tenant`], a [`TenantStore`] handle
//! bound to that tenant. Every write is one transaction that appends its
//! audit entry, so any number of processes may share one database. The
//! design is described in `docs/store.md`.

pub mod api;
pub mod connect;
mod convert;
pub mod error;
pub mod ids;
pub mod records;
mod schema;
pub mod sql;
pub mod testing;

pub use airlock_approvals::{tally, Refusal, RequestStatus, RequestView, Tally, Vote, VoteKind};
pub use api::{Backend, Store, TenantStore};
pub use connect::{CheckpointKey, StoreOptions};
pub use error::{StoreError, StoreResult};
pub use ids::{IssuedToken, TenantId, TokenHash};
pub use records::{
    Agent, Approval, ApprovalOutcome, ApprovalRequest, Approver, AuditColumns, AuditEvent,
    AuditRow, DecidedFor, KeyRevocation, NewAgent, NewApprover, NewEscalation, NewReceipt,
    Principal, RawAuditPage, RawAuditRow, Receipt, ReceiptRef, Stamp, Tenant, Withdrawn,
};
pub use sql::{SqlStore, SqlTenantStore, STORED_NODE_MIN_LEVEL};
