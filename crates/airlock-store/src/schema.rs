//! The database schema as an ordered list of migrations, embedded in the
//! binary and applied at open. The same SQL runs on SQLite and PostgreSQL
//! (`TEXT` and `BIGINT` columns only; times are Unix microseconds).
//!
//! Every table but `tenants` and `schema_version` has `tenant_id` as the
//! first column of its primary key, and every reference between tables
//! includes `tenant_id`, so no row can point at another tenant's row.

/// `(version, statements)`; applied in order, each in the opening
/// transaction, and recorded in `schema_version`.
pub(crate) const MIGRATIONS: &[(i64, &[&str])] = &[(1, V1), (2, V2), (3, V3)];

const V1: &[&str] = &[
    "CREATE TABLE tenants (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        emergency_stop_by TEXT,
        emergency_stop_at BIGINT
    )",
    "CREATE TABLE audit_heads (
        tenant_id TEXT PRIMARY KEY REFERENCES tenants(id),
        size BIGINT NOT NULL,
        frontier TEXT NOT NULL
    )",
    "CREATE TABLE audit_log (
        tenant_id TEXT NOT NULL REFERENCES tenants(id),
        idx BIGINT NOT NULL,
        entry TEXT NOT NULL,
        leaf_hash TEXT NOT NULL,
        root_after TEXT NOT NULL,
        PRIMARY KEY (tenant_id, idx)
    )",
    "CREATE TABLE checkpoints (
        tenant_id TEXT NOT NULL REFERENCES tenants(id),
        size BIGINT NOT NULL,
        note TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, size)
    )",
    "CREATE TABLE agents (
        tenant_id TEXT NOT NULL REFERENCES tenants(id),
        id TEXT NOT NULL,
        name TEXT NOT NULL,
        operator TEXT NOT NULL,
        roles TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        created_at BIGINT NOT NULL,
        expires_at BIGINT,
        revoked_at BIGINT,
        revoked_by TEXT,
        last_seen_identity TEXT,
        last_seen_at BIGINT,
        PRIMARY KEY (tenant_id, id)
    )",
    "CREATE TABLE approvers (
        tenant_id TEXT NOT NULL REFERENCES tenants(id),
        id TEXT NOT NULL,
        name TEXT NOT NULL,
        roles TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        created_at BIGINT NOT NULL,
        revoked_at BIGINT,
        revoked_by TEXT,
        PRIMARY KEY (tenant_id, id)
    )",
    "CREATE TABLE approval_requests (
        tenant_id TEXT NOT NULL,
        id TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        operator TEXT NOT NULL,
        action TEXT NOT NULL,
        action_digest TEXT NOT NULL,
        plan_digest TEXT,
        decision TEXT NOT NULL,
        requirement TEXT NOT NULL,
        environment TEXT NOT NULL,
        status TEXT NOT NULL
            CHECK (status IN ('pending', 'approved', 'rejected', 'expired', 'cancelled')),
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        resolved_at BIGINT,
        PRIMARY KEY (tenant_id, id),
        FOREIGN KEY (tenant_id, agent_id) REFERENCES agents(tenant_id, id)
    )",
    "CREATE INDEX approval_requests_by_status
        ON approval_requests (tenant_id, status, created_at)",
    "CREATE INDEX approval_requests_by_agent
        ON approval_requests (tenant_id, agent_id, status)",
    "CREATE TABLE approvals (
        tenant_id TEXT NOT NULL,
        request_id TEXT NOT NULL,
        approver_id TEXT NOT NULL,
        roles TEXT NOT NULL,
        verdict TEXT NOT NULL CHECK (verdict IN ('approve', 'reject')),
        comment TEXT,
        at BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, request_id, approver_id),
        FOREIGN KEY (tenant_id, request_id) REFERENCES approval_requests(tenant_id, id),
        FOREIGN KEY (tenant_id, approver_id) REFERENCES approvers(tenant_id, id)
    )",
    "CREATE TABLE receipts (
        tenant_id TEXT NOT NULL,
        id TEXT NOT NULL,
        request_id TEXT NOT NULL,
        nonce TEXT NOT NULL UNIQUE,
        envelope TEXT NOT NULL,
        issued_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        redeemed_at BIGINT,
        revoked_at BIGINT,
        revoked_by TEXT,
        PRIMARY KEY (tenant_id, id),
        UNIQUE (tenant_id, request_id),
        FOREIGN KEY (tenant_id, request_id) REFERENCES approval_requests(tenant_id, id)
    )",
    "CREATE TABLE key_revocations (
        tenant_id TEXT NOT NULL REFERENCES tenants(id),
        key_id TEXT NOT NULL,
        reason TEXT NOT NULL,
        revoked_by TEXT NOT NULL,
        revoked_at BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, key_id)
    )",
];

/// Interior node hashes of each tenant's Merkle tree, so that proofs take
/// O(log n) reads: `hash` is the root of the perfect subtree of `2^level`
/// leaves starting at leaf `idx · 2^level`. Only levels from
/// `STORED_NODE_MIN_LEVEL` up are kept (lower ones are recomputed from a
/// handful of leaf hashes). Logs written before this migration have no
/// nodes for their older entries; proofs then recompute them from leaves.
const V2: &[&str] = &["CREATE TABLE audit_nodes (
        tenant_id TEXT NOT NULL REFERENCES tenants(id),
        level BIGINT NOT NULL,
        idx BIGINT NOT NULL,
        hash TEXT NOT NULL,
        PRIMARY KEY (tenant_id, level, idx)
    )"];

/// The version (hash) of the policy set that last judged each tenant's
/// actions, so a change of policy is recorded in the audit log once.
const V3: &[&str] = &["ALTER TABLE tenants ADD COLUMN policy_version TEXT"];
