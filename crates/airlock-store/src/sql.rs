//! The SQL implementation of [`Store`] and [`TenantStore`], one code path
//! for SQLite and PostgreSQL through SQLx's `Any` driver.
//!
//! Every write transaction starts by taking the tenant's write lock: on
//! SQLite `BEGIN IMMEDIATE` (the database's single writer lock), on
//! PostgreSQL `SELECT … FROM audit_heads … FOR UPDATE` on the tenant's log
//! head row. The rows an operation decides on (the request, the receipt,
//! the agent) are then read `FOR UPDATE` too. Holding the head first means
//! a tenant's writes are serialised across all processes sharing the
//! database, the audit order is the commit order, and no two transactions
//! ever wait on each other in opposite orders. Each write appends its audit
//! entry in the same transaction, so state and log commit or vanish
//! together.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, LazyLock};

use airlock_approvals::{
    check_vote, tally, Refusal, RequestStatus, RequestView, Tally, Vote, VoteKind,
};
use airlock_audit::{
    consistency_proof, inclusion_proof, leaf_hash, Appended, AuditEntry, Checkpoint,
    CheckpointPolicy, EntryKind, Frontier, Hash, LeafSource, MerkleAccumulator, MissingNode,
    ProofError, StoredEntry, Timestamp,
};
use airlock_model::AgentIdentity;
use async_trait::async_trait;
use serde_json::json;
use sqlx::any::{Any, AnyRow};
use sqlx::AnyPool;
use sqlx::{Executor, Transaction};

use crate::api::{Backend, Store, TenantStore};
use crate::connect::{connect, CheckpointKey, StoreOptions};
use crate::convert::{
    from_json, micros, seconds, status_from_name, status_name, to_json, verdict_from_name,
    verdict_name, Columns,
};
use crate::error::{StoreError, StoreResult};
use crate::ids::{random_id, IssuedToken, TenantId, TokenHash};
use crate::records::{
    Agent, Approval, ApprovalOutcome, ApprovalRequest, Approver, AuditColumns, AuditEvent,
    AuditRow, DecidedFor, KeyRevocation, NewAgent, NewApprover, NewEscalation, NewReceipt,
    Principal, RawAuditPage, RawRowSpans, Receipt, ReceiptRef, Stamp, Tenant, Withdrawn,
};

const TENANT_COLUMNS: &str = "id, name, created_at, emergency_stop_by, emergency_stop_at";
const AGENT_COLUMNS: &str = "tenant_id, id, name, operator, roles, created_at, expires_at, \
     revoked_at, revoked_by, last_seen_identity, last_seen_at";
const APPROVER_COLUMNS: &str = "tenant_id, id, name, roles, created_at, revoked_at, revoked_by";
const REQUEST_COLUMNS: &str = "tenant_id, id, agent_id, operator, action, action_digest, \
     plan_digest, decision, requirement, environment, status, created_at, expires_at, resolved_at";
const APPROVAL_COLUMNS: &str = "request_id, approver_id, roles, verdict, comment, at";
const RECEIPT_COLUMNS: &str = "tenant_id, id, request_id, nonce, envelope, issued_at, \
     expires_at, redeemed_at, revoked_at, revoked_by";

/// A principal's row (`p`) joined with its tenant's (`t`): the principal's
/// columns keep their names, the tenant's are prefixed `tenant_`.
fn caller_sql(table: &str, columns: &str) -> String {
    let principal: Vec<String> = columns
        .split(", ")
        .map(|column| format!("p.{column} AS {column}"))
        .collect();
    format!(
        "SELECT {}, t.name AS tenant_name, t.created_at AS tenant_created_at,
             t.emergency_stop_by AS emergency_stop_by, t.emergency_stop_at AS emergency_stop_at
         FROM {table} p JOIN tenants t ON t.id = p.tenant_id
         WHERE p.token_hash = $1",
        principal.join(", ")
    )
}

static AGENT_CALLER_SQL: LazyLock<String> = LazyLock::new(|| caller_sql("agents", AGENT_COLUMNS));
static APPROVER_CALLER_SQL: LazyLock<String> =
    LazyLock::new(|| caller_sql("approvers", APPROVER_COLUMNS));

/// The tenant half of a [`caller_sql`] row.
fn joined_tenant(row: &AnyRow) -> StoreResult<Tenant> {
    let c = Columns(row);
    Ok(Tenant {
        id: tenant_column(&c, "tenant_id")?,
        name: c.text("tenant_name")?,
        created_at: c.time("tenant_created_at")?,
        emergency_stop: c.stamp("emergency_stop_by", "emergency_stop_at")?,
    })
}

/// A store on SQLite or PostgreSQL.
#[derive(Clone)]
pub struct SqlStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: AnyPool,
    backend: Backend,
    checkpoint_key: Option<CheckpointKey>,
    checkpoint_policy: CheckpointPolicy,
}

impl SqlStore {
    /// Opens `sqlite://PATH` or `postgres://…[?schema=NAME]` with default
    /// options (no checkpoint key).
    pub async fn open(url: &str) -> StoreResult<SqlStore> {
        SqlStore::open_with(url, StoreOptions::default()).await
    }

    /// Opens the store at `url`, creating and migrating its schema.
    pub async fn open_with(url: &str, options: StoreOptions) -> StoreResult<SqlStore> {
        let (pool, backend) = connect(url, &options).await?;
        Ok(SqlStore {
            inner: Arc::new(Inner {
                pool,
                backend,
                checkpoint_key: options.checkpoint_key,
                checkpoint_policy: options.checkpoint_policy,
            }),
        })
    }

    /// The same tenant handle as [`Store::tenant`], with its concrete type.
    pub fn tenant_store(&self, tenant: &TenantId) -> SqlTenantStore {
        SqlTenantStore {
            inner: Arc::clone(&self.inner),
            tenant: tenant.clone(),
        }
    }
}

impl Inner {
    /// `" FOR UPDATE"` where row locks exist (PostgreSQL); SQLite's
    /// `BEGIN IMMEDIATE` already holds the only write lock.
    fn for_update(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        }
    }

    async fn begin(&self) -> StoreResult<Transaction<'static, Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// Starts a write transaction for `tenant`, holding its log head.
    async fn begin_write(&self, tenant: &TenantId) -> StoreResult<WriteTx> {
        let mut tx = self.begin().await?;
        let head = sqlx::query(&format!(
            "SELECT size, frontier FROM audit_heads WHERE tenant_id = $1{}",
            self.for_update()
        ))
        .bind(tenant.as_str())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::not_found("tenant", tenant.as_str()))?;
        let columns = Columns(&head);
        let frontier: Frontier = columns.json("frontier")?;
        if i64::try_from(frontier.size).ok() != Some(columns.int("size")?) {
            return Err(StoreError::corrupt(
                "audit head size disagrees with its frontier",
            ));
        }
        let tree = MerkleAccumulator::from_frontier(frontier).map_err(StoreError::corrupt)?;
        let stop_row =
            sqlx::query("SELECT emergency_stop_by, emergency_stop_at FROM tenants WHERE id = $1")
                .bind(tenant.as_str())
                .fetch_one(&mut *tx)
                .await?;
        let emergency_stop = Columns(&stop_row).stamp("emergency_stop_by", "emergency_stop_at")?;
        Ok(WriteTx {
            tx,
            tree,
            emergency_stop,
        })
    }
}

/// A write transaction holding one tenant's log head.
struct WriteTx {
    tx: Transaction<'static, Any>,
    tree: MerkleAccumulator,
    emergency_stop: Option<Stamp>,
}

impl WriteTx {
    fn refuse_if_stopped(&self) -> StoreResult<()> {
        match &self.emergency_stop {
            Some(stop) => Err(StoreError::EmergencyStopped {
                by: stop.by.clone(),
                at: stop.at,
            }),
            None => Ok(()),
        }
    }

    /// Appends `event` as the next entry of `tenant`'s log, advances the
    /// head, and stores a signed checkpoint when one is due.
    async fn append(
        &mut self,
        inner: &Inner,
        tenant: &TenantId,
        event: AuditEvent,
    ) -> StoreResult<Appended> {
        self.append_all(inner, tenant, vec![event])
            .await?
            .pop()
            .ok_or_else(|| StoreError::corrupt("an append produced no entry"))
    }

    /// Appends `events` in order as the next entries of `tenant`'s log:
    /// their rows and completed tree nodes in multi-row inserts, a signed
    /// checkpoint at every size the policy makes due, and the head once.
    async fn append_all(
        &mut self,
        inner: &Inner,
        tenant: &TenantId,
        events: Vec<AuditEvent>,
    ) -> StoreResult<Vec<Appended>> {
        let mut appended = Vec::with_capacity(events.len());
        let mut rows = Vec::with_capacity(events.len());
        let mut nodes = Vec::new();
        let mut leaf_bytes = Vec::with_capacity(256);
        for event in events {
            let entry = AuditEntry {
                index: self.tree.size(),
                timestamp: event.timestamp,
                tenant: tenant.to_string(),
                kind: event.kind,
                actor: event.actor,
                subject: event.subject,
                data: event.data,
            };
            leaf_bytes.clear();
            entry.write_leaf_bytes(&mut leaf_bytes);
            let leaf = leaf_hash(&leaf_bytes);
            self.tree.push_completing(leaf, |level, start, hash| {
                if level >= STORED_NODE_MIN_LEVEL {
                    nodes.push((level, start >> level, *hash));
                }
            });
            let root_after = self.tree.root();
            let size = self.tree.size();
            let checkpoint = match &inner.checkpoint_key {
                Some(key) if inner.checkpoint_policy.is_due(size) => {
                    Some(sign_checkpoint(key, tenant, size, root_after)?)
                }
                _ => None,
            };
            rows.push(LogRow {
                index: to_i64(entry.index)?,
                text: String::from_utf8(leaf_bytes.clone()).map_err(StoreError::corrupt)?,
                leaf_hash: hex::encode(leaf),
                root_after: hex::encode(root_after),
            });
            appended.push(Appended {
                stored: StoredEntry {
                    entry,
                    leaf_hash: leaf,
                    root_after,
                },
                checkpoint,
            });
        }
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            let sql = insert_statement(
                "audit_log (tenant_id, idx, entry, leaf_hash, root_after)",
                5,
                chunk.len(),
            );
            let mut query = sqlx::query(&sql).persistent(is_common_shape(chunk.len()));
            for row in chunk {
                query = query
                    .bind(tenant.as_str())
                    .bind(row.index)
                    .bind(row.text.as_str())
                    .bind(row.leaf_hash.as_str())
                    .bind(row.root_after.as_str());
            }
            query.execute(&mut *self.tx).await?;
        }
        for chunk in nodes.chunks(ROWS_PER_INSERT) {
            let sql = insert_statement("audit_nodes (tenant_id, level, idx, hash)", 4, chunk.len());
            let mut query = sqlx::query(&sql).persistent(is_common_shape(chunk.len()));
            for (level, position, hash) in chunk {
                query = query
                    .bind(tenant.as_str())
                    .bind(i64::from(*level))
                    .bind(to_i64(*position)?)
                    .bind(hex::encode(hash));
            }
            query.execute(&mut *self.tx).await?;
        }
        for item in &appended {
            if let Some(checkpoint) = &item.checkpoint {
                insert_checkpoint(
                    &mut self.tx,
                    tenant,
                    checkpoint,
                    item.stored.entry.timestamp,
                )
                .await?;
            }
        }
        sqlx::query("UPDATE audit_heads SET size = $2, frontier = $3 WHERE tenant_id = $1")
            .bind(tenant.as_str())
            .bind(to_i64(self.tree.size())?)
            .bind(to_json(&self.tree.frontier())?)
            .execute(&mut *self.tx)
            .await?;
        Ok(appended)
    }

    async fn commit(self) -> StoreResult<()> {
        self.tx.commit().await?;
        Ok(())
    }
}

/// Interior tree nodes from this level up are stored in `audit_nodes`
/// (one row per 8 entries); lower ones are recomputed from at most 15 leaf
/// hashes when a proof needs them.
pub const STORED_NODE_MIN_LEVEL: u32 = 4;

/// Rows per multi-row `INSERT`: 5 columns × 200 rows stays far below both
/// SQLite's and PostgreSQL's limits on bound parameters.
const ROWS_PER_INSERT: usize = 200;

/// One `audit_log` row ready to insert.
struct LogRow {
    index: i64,
    text: String,
    leaf_hash: String,
    root_after: String,
}

/// `INSERT INTO <table_and_columns> VALUES ($1, …), (…), …` for `rows`
/// rows of `columns` values.
fn insert_statement(table_and_columns: &str, columns: usize, rows: usize) -> String {
    let mut sql = format!("INSERT INTO {table_and_columns} VALUES ");
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..columns {
            if column > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&(row * columns + column + 1).to_string());
        }
        sql.push(')');
    }
    sql
}

/// Whether a multi-row insert of `rows` rows is worth keeping prepared:
/// single appends and full chunks recur; other sizes are one-offs.
fn is_common_shape(rows: usize) -> bool {
    rows == 1 || rows == ROWS_PER_INSERT
}

fn sign_checkpoint(
    key: &CheckpointKey,
    tenant: &TenantId,
    size: u64,
    root: Hash,
) -> StoreResult<Checkpoint> {
    let origin = format!("{}/{}", key.origin_prefix, tenant);
    Ok(Checkpoint::sign(
        &origin,
        size,
        root,
        &key.key,
        &key.key_name,
    )?)
}

async fn insert_checkpoint(
    tx: &mut Transaction<'static, Any>,
    tenant: &TenantId,
    checkpoint: &Checkpoint,
    at: Timestamp,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO checkpoints (tenant_id, size, note, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant_id, size) DO NOTHING",
    )
    .bind(tenant.as_str())
    .bind(to_i64(checkpoint.size)?)
    .bind(checkpoint.to_string())
    .bind(micros(at))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn to_i64(value: u64) -> StoreResult<i64> {
    i64::try_from(value).map_err(|_| StoreError::InvalidInput(format!("{value} is out of range")))
}

fn hash_column(columns: &Columns<'_>, column: &str) -> StoreResult<Hash> {
    let text = columns.text(column)?;
    let bytes =
        hex::decode(&text).map_err(|error| StoreError::corrupt(format!("{column}: {error}")))?;
    Hash::try_from(bytes.as_slice())
        .map_err(|_| StoreError::corrupt(format!("{column} is not 32 bytes")))
}

fn tenant_column(columns: &Columns<'_>, column: &str) -> StoreResult<TenantId> {
    TenantId::new(columns.text(column)?).map_err(StoreError::corrupt)
}

fn tenant_from_row(row: &AnyRow) -> StoreResult<Tenant> {
    let c = Columns(row);
    Ok(Tenant {
        id: tenant_column(&c, "id")?,
        name: c.text("name")?,
        created_at: c.time("created_at")?,
        emergency_stop: c.stamp("emergency_stop_by", "emergency_stop_at")?,
    })
}

fn agent_from_row(row: &AnyRow) -> StoreResult<Agent> {
    let c = Columns(row);
    let last_seen = match (
        c.opt_text("last_seen_identity")?,
        c.opt_time("last_seen_at")?,
    ) {
        (Some(identity), Some(at)) => Some((from_json("last_seen_identity", &identity)?, at)),
        _ => None,
    };
    Ok(Agent {
        tenant: tenant_column(&c, "tenant_id")?,
        id: c.text("id")?,
        name: c.text("name")?,
        operator: c.text("operator")?,
        roles: c.json("roles")?,
        created_at: c.time("created_at")?,
        expires_at: c.opt_time("expires_at")?,
        revoked: c.stamp("revoked_by", "revoked_at")?,
        last_seen,
    })
}

fn approver_from_row(row: &AnyRow) -> StoreResult<Approver> {
    let c = Columns(row);
    Ok(Approver {
        tenant: tenant_column(&c, "tenant_id")?,
        id: c.text("id")?,
        name: c.text("name")?,
        roles: c.json("roles")?,
        created_at: c.time("created_at")?,
        revoked: c.stamp("revoked_by", "revoked_at")?,
    })
}

fn request_from_row(row: &AnyRow) -> StoreResult<ApprovalRequest> {
    let c = Columns(row);
    Ok(ApprovalRequest {
        tenant: tenant_column(&c, "tenant_id")?,
        id: c.text("id")?,
        agent_id: c.text("agent_id")?,
        operator: c.text("operator")?,
        action: c.json("action")?,
        action_digest: c.text("action_digest")?,
        plan_digest: c.opt_text("plan_digest")?,
        decision: c.json("decision")?,
        requirement: c.json("requirement")?,
        environment: c.text("environment")?,
        status: status_from_name(&c.text("status")?)?,
        created_at: c.time("created_at")?,
        expires_at: c.time("expires_at")?,
        resolved_at: c.opt_time("resolved_at")?,
    })
}

fn approval_from_row(row: &AnyRow) -> StoreResult<Approval> {
    let c = Columns(row);
    Ok(Approval {
        request_id: c.text("request_id")?,
        approver_id: c.text("approver_id")?,
        roles: c.json("roles")?,
        verdict: verdict_from_name(&c.text("verdict")?)?,
        comment: c.opt_text("comment")?,
        at: c.time("at")?,
    })
}

fn receipt_from_row(row: &AnyRow) -> StoreResult<Receipt> {
    let c = Columns(row);
    Ok(Receipt {
        tenant: tenant_column(&c, "tenant_id")?,
        id: c.text("id")?,
        request_id: c.text("request_id")?,
        nonce: c.text("nonce")?,
        envelope: c.json("envelope")?,
        issued_at: c.time("issued_at")?,
        expires_at: c.time("expires_at")?,
        redeemed_at: c.opt_time("redeemed_at")?,
        revoked: c.stamp("revoked_by", "revoked_at")?,
    })
}

fn stored_entry_from_row(row: &AnyRow) -> StoreResult<StoredEntry> {
    let c = Columns(row);
    Ok(StoredEntry {
        entry: c.json("entry")?,
        leaf_hash: hash_column(&c, "leaf_hash")?,
        root_after: hash_column(&c, "root_after")?,
    })
}

/// Fetches at most one row of `tenant` and maps it, through any executor.
async fn fetch_one_of<'c, E, T>(
    executor: E,
    sql: &str,
    tenant: &TenantId,
    id: &str,
    map: fn(&AnyRow) -> StoreResult<T>,
) -> StoreResult<Option<T>>
where
    E: Executor<'c, Database = Any>,
{
    sqlx::query(sql)
        .bind(tenant.as_str())
        .bind(id)
        .fetch_optional(executor)
        .await?
        .as_ref()
        .map(map)
        .transpose()
}

/// Sorted ids from an `UPDATE … RETURNING id`.
fn returned_ids(rows: &[AnyRow]) -> StoreResult<Vec<String>> {
    let mut ids = rows
        .iter()
        .map(|row| Columns(row).text("id"))
        .collect::<StoreResult<Vec<_>>>()?;
    ids.sort();
    Ok(ids)
}

fn map_unique(error: sqlx::Error, kind: &'static str, id: &str) -> StoreError {
    let error = StoreError::Database(error);
    if error.is_unique_violation() {
        StoreError::AlreadyExists {
            kind,
            id: id.to_owned(),
        }
    } else {
        error
    }
}

/// Creates a tenant, its empty log head and the log's first entry.
async fn create_tenant(
    inner: &Inner,
    id: &TenantId,
    name: &str,
    by: &str,
    now: Timestamp,
) -> StoreResult<Tenant> {
    let mut tx = inner.begin().await?;
    sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(id.as_str())
        .bind(name)
        .bind(micros(now))
        .execute(&mut *tx)
        .await
        .map_err(|error| map_unique(error, "tenant", id.as_str()))?;
    let empty = MerkleAccumulator::new();
    sqlx::query("INSERT INTO audit_heads (tenant_id, size, frontier) VALUES ($1, 0, $2)")
        .bind(id.as_str())
        .bind(to_json(&empty.frontier())?)
        .execute(&mut *tx)
        .await?;
    let mut write = WriteTx {
        tx,
        tree: empty,
        emergency_stop: None,
    };
    write
        .append(
            inner,
            id,
            AuditEvent::new(
                now,
                EntryKind::Other("tenant_created".into()),
                by,
                id.as_str(),
                json!({ "name": name }),
            ),
        )
        .await?;
    write.commit().await?;
    Ok(Tenant {
        id: id.clone(),
        name: name.to_owned(),
        created_at: now,
        emergency_stop: None,
    })
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        self.inner.backend
    }

    async fn create_tenant(
        &self,
        id: &TenantId,
        name: &str,
        by: &str,
        now: Timestamp,
    ) -> StoreResult<Tenant> {
        let inner = Arc::clone(&self.inner);
        let (id, name, by) = (id.clone(), name.to_owned(), by.to_owned());
        detached(async move { create_tenant(&inner, &id, &name, &by, now).await }).await
    }

    async fn tenants(&self) -> StoreResult<Vec<Tenant>> {
        sqlx::query(&format!("SELECT {TENANT_COLUMNS} FROM tenants ORDER BY id"))
            .fetch_all(&self.inner.pool)
            .await?
            .iter()
            .map(tenant_from_row)
            .collect()
    }

    async fn principal_by_token(&self, token: &str) -> StoreResult<Option<Principal>> {
        let hash = TokenHash::of(token);
        let agent = sqlx::query(&format!(
            "SELECT {AGENT_COLUMNS} FROM agents WHERE token_hash = $1"
        ))
        .bind(hash.as_hex())
        .fetch_optional(&self.inner.pool)
        .await?;
        if let Some(row) = agent {
            return Ok(Some(Principal::Agent(agent_from_row(&row)?)));
        }
        let approver = sqlx::query(&format!(
            "SELECT {APPROVER_COLUMNS} FROM approvers WHERE token_hash = $1"
        ))
        .bind(hash.as_hex())
        .fetch_optional(&self.inner.pool)
        .await?;
        approver
            .map(|row| approver_from_row(&row).map(Principal::Approver))
            .transpose()
    }

    async fn caller_by_token(&self, token: &str) -> StoreResult<Option<(Principal, Tenant)>> {
        let hash = TokenHash::of(token);
        let agent = sqlx::query(&AGENT_CALLER_SQL)
            .bind(hash.as_hex())
            .fetch_optional(&self.inner.pool)
            .await?;
        if let Some(row) = agent {
            let agent = agent_from_row(&row)?;
            return Ok(Some((Principal::Agent(agent), joined_tenant(&row)?)));
        }
        let approver = sqlx::query(&APPROVER_CALLER_SQL)
            .bind(hash.as_hex())
            .fetch_optional(&self.inner.pool)
            .await?;
        approver
            .map(|row| {
                Ok((
                    Principal::Approver(approver_from_row(&row)?),
                    joined_tenant(&row)?,
                ))
            })
            .transpose()
    }

    fn tenant(&self, tenant: &TenantId) -> Arc<dyn TenantStore> {
        Arc::new(self.tenant_store(tenant))
    }

    async fn close(&self) {
        self.inner.pool.close().await;
    }
}

/// One tenant's view of a [`SqlStore`]. Every statement it runs carries
/// `tenant_id = <its tenant>`.
#[derive(Clone)]
pub struct SqlTenantStore {
    inner: Arc<Inner>,
    tenant: TenantId,
}

impl SqlTenantStore {
    async fn load_agent<'c, E: Executor<'c, Database = Any>>(
        &self,
        executor: E,
        id: &str,
        lock: bool,
    ) -> StoreResult<Agent> {
        let lock = if lock { self.inner.for_update() } else { "" };
        let sql =
            format!("SELECT {AGENT_COLUMNS} FROM agents WHERE tenant_id = $1 AND id = $2{lock}");
        fetch_one_of(executor, &sql, &self.tenant, id, agent_from_row)
            .await?
            .ok_or_else(|| StoreError::not_found("agent", id))
    }

    async fn load_approver<'c, E: Executor<'c, Database = Any>>(
        &self,
        executor: E,
        id: &str,
    ) -> StoreResult<Approver> {
        let sql =
            format!("SELECT {APPROVER_COLUMNS} FROM approvers WHERE tenant_id = $1 AND id = $2");
        fetch_one_of(executor, &sql, &self.tenant, id, approver_from_row)
            .await?
            .ok_or_else(|| StoreError::not_found("approver", id))
    }

    async fn load_request<'c, E: Executor<'c, Database = Any>>(
        &self,
        executor: E,
        id: &str,
        lock: bool,
    ) -> StoreResult<ApprovalRequest> {
        let lock = if lock { self.inner.for_update() } else { "" };
        let sql = format!(
            "SELECT {REQUEST_COLUMNS} FROM approval_requests WHERE tenant_id = $1 AND id = $2{lock}"
        );
        fetch_one_of(executor, &sql, &self.tenant, id, request_from_row)
            .await?
            .ok_or_else(|| StoreError::not_found("approval request", id))
    }

    async fn load_approvals<'c, E: Executor<'c, Database = Any>>(
        &self,
        executor: E,
        request_id: &str,
    ) -> StoreResult<Vec<Approval>> {
        sqlx::query(&format!(
            "SELECT {APPROVAL_COLUMNS} FROM approvals WHERE tenant_id = $1 AND request_id = $2
             ORDER BY at, approver_id"
        ))
        .bind(self.tenant.as_str())
        .bind(request_id)
        .fetch_all(executor)
        .await?
        .iter()
        .map(approval_from_row)
        .collect()
    }

    async fn set_request_status(
        &self,
        write: &mut WriteTx,
        id: &str,
        status: RequestStatus,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE approval_requests SET status = $3, resolved_at = $4
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(self.tenant.as_str())
        .bind(id)
        .bind(status_name(status))
        .bind(micros(now))
        .execute(&mut *write.tx)
        .await?;
        Ok(())
    }

    /// Cancels pending requests and revokes unredeemed receipts, of one
    /// agent or (with `agent = None`) of the whole tenant.
    async fn withdraw(
        &self,
        write: &mut WriteTx,
        agent: Option<&str>,
        by: &str,
        now: Timestamp,
    ) -> StoreResult<Withdrawn> {
        let (request_filter, receipt_filter) = match agent {
            Some(_) => (
                " AND agent_id = $4",
                " AND request_id IN (SELECT id FROM approval_requests
                    WHERE tenant_id = $1 AND agent_id = $4)",
            ),
            None => ("", ""),
        };
        let cancel = format!(
            "UPDATE approval_requests SET status = 'cancelled', resolved_at = $2
             WHERE tenant_id = $1 AND status = 'pending' AND $3 = $3{request_filter} RETURNING id"
        );
        let revoke = format!(
            "UPDATE receipts SET revoked_at = $2, revoked_by = $3
             WHERE tenant_id = $1 AND redeemed_at IS NULL AND revoked_at IS NULL{receipt_filter}
             RETURNING id"
        );
        let mut withdrawn = Withdrawn::default();
        for (sql, ids) in [
            (cancel, &mut withdrawn.cancelled_requests),
            (revoke, &mut withdrawn.revoked_receipts),
        ] {
            let mut query = sqlx::query(&sql)
                .bind(self.tenant.as_str())
                .bind(micros(now))
                .bind(by);
            if let Some(agent) = agent {
                query = query.bind(agent);
            }
            *ids = returned_ids(&query.fetch_all(&mut *write.tx).await?)?;
        }
        Ok(withdrawn)
    }

    /// Registers a principal row (agent or approver) and its audit entry.
    async fn register<'q>(
        &self,
        kind: &'static str,
        id: &str,
        insert: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
        data: serde_json::Value,
        by: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        let mut write = self.inner.begin_write(&self.tenant).await?;
        insert
            .execute(&mut *write.tx)
            .await
            .map_err(|error| map_unique(error, kind, id))?;
        write
            .append(
                &self.inner,
                &self.tenant,
                AuditEvent::new(
                    now,
                    EntryKind::Other(format!("{kind}_registered")),
                    by,
                    id,
                    data,
                ),
            )
            .await?;
        write.commit().await
    }
}

/// The operations behind [`TenantStore`]; writes run inside [`detached`].
impl SqlTenantStore {
    async fn op_info(&self) -> StoreResult<Tenant> {
        let row = sqlx::query(&format!(
            "SELECT {TENANT_COLUMNS} FROM tenants WHERE id = $1"
        ))
        .bind(self.tenant.as_str())
        .fetch_optional(&self.inner.pool)
        .await?
        .ok_or_else(|| StoreError::not_found("tenant", self.tenant.as_str()))?;
        tenant_from_row(&row)
    }

    async fn op_create_agent(
        &self,
        agent: NewAgent,
        by: &str,
        now: Timestamp,
    ) -> StoreResult<(Agent, IssuedToken)> {
        let token = IssuedToken::generate()?;
        let roles = to_json(&agent.roles)?;
        let insert = sqlx::query(
            "INSERT INTO agents (tenant_id, id, name, operator, roles, token_hash, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(self.tenant.as_str())
        .bind(agent.id.as_str())
        .bind(agent.name.as_str())
        .bind(agent.operator.as_str())
        .bind(roles)
        .bind(token.hash().as_hex().to_owned())
        .bind(micros(now))
        .bind(agent.expires_at.map(micros));
        let data = json!({
            "name": agent.name,
            "operator": agent.operator,
            "roles": agent.roles,
            "expires_at": agent.expires_at.map(|t| t.to_string()),
        });
        self.register("agent", &agent.id, insert, data, by, now)
            .await?;
        let stored = Agent {
            tenant: self.tenant.clone(),
            id: agent.id,
            name: agent.name,
            operator: agent.operator,
            roles: agent.roles,
            created_at: now,
            expires_at: agent.expires_at,
            revoked: None,
            last_seen: None,
        };
        Ok((stored, token))
    }

    async fn op_agent(&self, id: &str) -> StoreResult<Agent> {
        self.load_agent(&self.inner.pool, id, false).await
    }

    async fn op_agents(&self) -> StoreResult<Vec<Agent>> {
        sqlx::query(&format!(
            "SELECT {AGENT_COLUMNS} FROM agents WHERE tenant_id = $1 ORDER BY id"
        ))
        .bind(self.tenant.as_str())
        .fetch_all(&self.inner.pool)
        .await?
        .iter()
        .map(agent_from_row)
        .collect()
    }

    async fn op_record_agent_identity(
        &self,
        id: &str,
        identity: &AgentIdentity,
        now: Timestamp,
    ) -> StoreResult<()> {
        let updated = sqlx::query(
            "UPDATE agents SET last_seen_identity = $3, last_seen_at = $4
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(self.tenant.as_str())
        .bind(id)
        .bind(to_json(identity)?)
        .bind(micros(now))
        .execute(&self.inner.pool)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::not_found("agent", id));
        }
        Ok(())
    }

    async fn op_create_approver(
        &self,
        approver: NewApprover,
        by: &str,
        now: Timestamp,
    ) -> StoreResult<(Approver, IssuedToken)> {
        let token = IssuedToken::generate()?;
        let insert = sqlx::query(
            "INSERT INTO approvers (tenant_id, id, name, roles, token_hash, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(self.tenant.as_str())
        .bind(approver.id.as_str())
        .bind(approver.name.as_str())
        .bind(to_json(&approver.roles)?)
        .bind(token.hash().as_hex().to_owned())
        .bind(micros(now));
        let data = json!({ "name": approver.name, "roles": approver.roles });
        self.register("approver", &approver.id, insert, data, by, now)
            .await?;
        let stored = Approver {
            tenant: self.tenant.clone(),
            id: approver.id,
            name: approver.name,
            roles: approver.roles,
            created_at: now,
            revoked: None,
        };
        Ok((stored, token))
    }

    async fn op_approver(&self, id: &str) -> StoreResult<Approver> {
        self.load_approver(&self.inner.pool, id).await
    }

    async fn op_approvers(&self) -> StoreResult<Vec<Approver>> {
        sqlx::query(&format!(
            "SELECT {APPROVER_COLUMNS} FROM approvers WHERE tenant_id = $1 ORDER BY id"
        ))
        .bind(self.tenant.as_str())
        .fetch_all(&self.inner.pool)
        .await?
        .iter()
        .map(approver_from_row)
        .collect()
    }

    async fn op_revoke_approver(
        &self,
        id: &str,
        by: &str,
        now: Timestamp,
    ) -> StoreResult<Approver> {
        let mut write = self.inner.begin_write(&self.tenant).await?;
        self.load_approver(&mut *write.tx, id).await?;
        sqlx::query(
            "UPDATE approvers SET revoked_at = COALESCE(revoked_at, $3),
                 revoked_by = COALESCE(revoked_by, $4)
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(self.tenant.as_str())
        .bind(id)
        .bind(micros(now))
        .bind(by)
        .execute(&mut *write.tx)
        .await?;
        write
            .append(
                &self.inner,
                &self.tenant,
                AuditEvent::new(
                    now,
                    EntryKind::Revocation,
                    by,
                    id,
                    json!({ "principal": "approver" }),
                ),
            )
            .await?;
        let approver = self.load_approver(&mut *write.tx, id).await?;
        write.commit().await?;
        Ok(approver)
    }

    async fn op_submit_escalation(
        &self,
        escalation: NewEscalation,
        now: Timestamp,
    ) -> StoreResult<ApprovalRequest> {
        if escalation.action.tenant != self.tenant.as_str() {
            return Err(StoreError::InvalidInput(format!(
                "the action belongs to tenant {:?}, not {:?}",
                escalation.action.tenant,
                self.tenant.as_str()
            )));
        }
        if escalation.expires_at <= now {
            return Err(StoreError::InvalidInput(
                "the request would expire before it is created".into(),
            ));
        }
        let action_json = serde_json::to_value(&escalation.action)
            .map_err(|error| StoreError::InvalidInput(error.to_string()))?;
        let action_digest = airlock_receipts::action_digest(&action_json);
        let id = random_id("req_")?;

        let mut write = self.inner.begin_write(&self.tenant).await?;
        write.refuse_if_stopped()?;
        let agent_id = escalation.action.agent.id.clone();
        let agent = self.load_agent(&mut *write.tx, &agent_id, true).await?;
        if agent.revoked.is_some() {
            return Err(StoreError::AgentRevoked(agent.id));
        }
        if !agent.is_active(now) {
            return Err(StoreError::AgentExpired(agent.id));
        }
        let request = ApprovalRequest {
            tenant: self.tenant.clone(),
            id,
            agent_id,
            operator: agent.operator,
            action: escalation.action,
            action_digest,
            plan_digest: escalation.plan_digest,
            decision: escalation.decision,
            requirement: escalation.requirement,
            environment: escalation.environment,
            status: RequestStatus::Pending,
            created_at: now,
            expires_at: escalation.expires_at,
            resolved_at: None,
        };
        sqlx::query(
            "INSERT INTO approval_requests (tenant_id, id, agent_id, operator, action, action_digest,
                 plan_digest, decision, requirement, environment, status, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(self.tenant.as_str())
        .bind(request.id.as_str())
        .bind(request.agent_id.as_str())
        .bind(request.operator.as_str())
        .bind(to_json(&action_json)?)
        .bind(request.action_digest.as_str())
        .bind(request.plan_digest.clone())
        .bind(to_json(&request.decision)?)
        .bind(to_json(&request.requirement)?)
        .bind(request.environment.as_str())
        .bind(status_name(request.status))
        .bind(micros(now))
        .bind(micros(request.expires_at))
        .execute(&mut *write.tx)
        .await?;
        let data = json!({
            "action_digest": request.action_digest,
            "plan_digest": request.plan_digest,
            "environment": request.environment,
            "verdict": request.decision.verdict,
            "risk": request.decision.risk,
            "requirement": request.requirement,
            "expires_at": request.expires_at.to_string(),
        });
        write
            .append(
                &self.inner,
                &self.tenant,
                AuditEvent::new(
                    now,
                    EntryKind::Request,
                    &request.agent_id,
                    &request.id,
                    data,
                ),
            )
            .await?;
        write.commit().await?;
        Ok(request)
    }

    async fn op_record_approval(
        &self,
        request_id: &str,
        approver_id: &str,
        verdict: VoteKind,
        comment: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<ApprovalOutcome> {
        let mut write = self.inner.begin_write(&self.tenant).await?;
        let mut request = self.load_request(&mut *write.tx, request_id, true).await?;
        let approver = self.load_approver(&mut *write.tx, approver_id).await?;
        if approver.revoked.is_some() {
            return Err(StoreError::ApproverRevoked(approver.id));
        }
        let existing: Vec<Vote> = self
            .load_approvals(&mut *write.tx, request_id)
            .await?
            .into_iter()
            .map(|approval| Vote {
                approver: approval.approver_id,
                roles: approval.roles,
                kind: approval.verdict,
            })
            .collect();
        let vote = Vote {
            approver: approver.id.clone(),
            roles: approver.roles.clone(),
            kind: verdict,
        };
        let view = RequestView {
            status: request.status,
            operator: Some(&request.operator),
            expires_at: seconds(request.expires_at),
            requirement: &request.requirement,
        };
        match check_vote(&view, &existing, &vote, seconds(now)) {
            Ok(()) => {}
            Err(Refusal::Expired) => {
                self.set_request_status(&mut write, request_id, RequestStatus::Expired, now)
                    .await?;
                write
                    .append(
                        &self.inner,
                        &self.tenant,
                        AuditEvent::new(
                            now,
                            EntryKind::Other("request_expired".into()),
                            "airlock",
                            request_id,
                            json!({ "expires_at": request.expires_at.to_string() }),
                        ),
                    )
                    .await?;
                write.commit().await?;
                return Err(StoreError::VoteRefused(Refusal::Expired));
            }
            Err(refusal) => return Err(StoreError::VoteRefused(refusal)),
        }
        sqlx::query(
            "INSERT INTO approvals (tenant_id, request_id, approver_id, roles, verdict, comment, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(self.tenant.as_str())
        .bind(request_id)
        .bind(approver.id.as_str())
        .bind(to_json(&approver.roles)?)
        .bind(verdict_name(verdict))
        .bind(comment.map(str::to_owned))
        .bind(micros(now))
        .execute(&mut *write.tx)
        .await?;
        let mut votes = existing;
        votes.push(vote);
        let Tally { status, missing } = tally(&view, &votes);
        if status != request.status {
            self.set_request_status(&mut write, request_id, status, now)
                .await?;
            request.status = status;
            request.resolved_at = Some(now);
        }
        let kind = match verdict {
            VoteKind::Approve => EntryKind::Approval,
            VoteKind::Reject => EntryKind::Rejection,
        };
        let data = json!({
            "verdict": verdict_name(verdict),
            "roles": approver.roles,
            "comment": comment,
            "status": status_name(status),
            "missing": missing,
        });
        write
            .append(
                &self.inner,
                &self.tenant,
                AuditEvent::new(now, kind, &approver.id, request_id, data),
            )
            .await?;
        write.commit().await?;
        Ok(ApprovalOutcome {
            approval: Approval {
                request_id: request_id.to_owned(),
                approver_id: approver.id,
                roles: approver.roles,
                verdict,
                comment: comment.map(str::to_owned),
                at: now,
            },
            request,
            tally: Tally { status, missing },
        })
    }

    async fn op_request(&self, id: &str) -> StoreResult<ApprovalRequest> {
        self.load_request(&self.inner.pool, id, false).await
    }

    async fn op_requests(
        &self,
        status: Option<RequestStatus>,
    ) -> StoreResult<Vec<ApprovalRequest>> {
        let rows = match status {
            Some(status) => {
                sqlx::query(&format!(
                    "SELECT {REQUEST_COLUMNS} FROM approval_requests
                     WHERE tenant_id = $1 AND status = $2 ORDER BY created_at, id"
                ))
                .bind(self.tenant.as_str())
                .bind(status_name(status))
                .fetch_all(&self.inner.pool)
                .await?
            }
            None => {
                sqlx::query(&format!(
                    "SELECT {REQUEST_COLUMNS} FROM approval_requests
                     WHERE tenant_id = $1 ORDER BY created_at, id"
                ))
                .bind(self.tenant.as_str())
                .fetch_all(&self.inner.pool)
                .await?
            }
        };
        rows.iter().map(request_from_row).collect()
    }

    async fn op_approvals(&self, request_id: &str) -> StoreResult<Vec<Approval>> {
        self.load_request(&self.inner.pool, request_id, false)
            .await?;
        self.load_approvals(&self.inner.pool, request_id).await
    }

    async fn op_issue_receipt(&self, receipt: NewReceipt, now: Timestamp) -> StoreResult<Receipt> {
        let mut write = self.inner.begin_write(&self.tenant).await?;
        write.refuse_if_stopped()?;
        let request = self
            .load_request(&mut *write.tx, &receipt.request_id, true)
            .await?;
        if request.status != RequestStatus::Approved {
            return Err(StoreError::NotApproved {
                request: request.id,
                status: request.status,
            });
        }
        let agent = self
            .load_agent(&mut *write.tx, &request.agent_id, false)
            .await?;
        if agent.revoked.is_some() {
            return Err(StoreError::AgentRevoked(agent.id));
        }
        let existing =
            sqlx::query("SELECT id FROM receipts WHERE tenant_id = $1 AND request_id = $2")
                .bind(self.tenant.as_str())
                .bind(request.id.as_str())
                .fetch_optional(&mut *write.tx)
                .await?;
        if existing.is_some() {
            return Err(StoreError::ReceiptAlreadyIssued(request.id));
        }
        let nonce_taken = sqlx::query("SELECT id FROM receipts WHERE nonce = $1")
            .bind(receipt.nonce.as_str())
            .fetch_optional(&mut *write.tx)
            .await?;
        if nonce_taken.is_some() {
            return Err(StoreError::NonceReused);
        }
        sqlx::query(
            "INSERT INTO receipts (tenant_id, id, request_id, nonce, envelope, issued_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(self.tenant.as_str())
        .bind(receipt.id.as_str())
        .bind(request.id.as_str())
        .bind(receipt.nonce.as_str())
        .bind(to_json(&receipt.envelope)?)
        .bind(micros(receipt.issued_at))
        .bind(micros(receipt.expires_at))
        .execute(&mut *write.tx)
        .await
        .map_err(|error| map_unique(error, "receipt", &receipt.id))?;
        let data = json!({
            "request": request.id,
            "nonce": receipt.nonce,
            "action_digest": request.action_digest,
            "expires_at": receipt.expires_at.to_string(),
        });
        write
            .append(
                &self.inner,
                &self.tenant,
                AuditEvent::new(now, EntryKind::ReceiptIssued, "airlock", &receipt.id, data),
            )
            .await?;
        write.commit().await?;
        Ok(Receipt {
            tenant: self.tenant.clone(),
            id: receipt.id,
            request_id: receipt.request_id,
            nonce: receipt.nonce,
            envelope: receipt.envelope,
            issued_at: receipt.issued_at,
            expires_at: receipt.expires_at,
            redeemed_at: None,
            revoked: None,
        })
    }

    async fn op_redeem_receipt(
        &self,
        receipt: ReceiptRef<'_>,
        now: Timestamp,
    ) -> StoreResult<Receipt> {
        let mut write = self.inner.begin_write(&self.tenant).await?;
        let (column, key) = match receipt {
            ReceiptRef::Id(id) => ("id", id),
            ReceiptRef::Nonce(nonce) => ("nonce", nonce),
        };
        let sql = format!(
            "SELECT {RECEIPT_COLUMNS} FROM receipts WHERE tenant_id = $1 AND {column} = $2{}",
            self.inner.for_update()
        );
        let mut stored = fetch_one_of(&mut *write.tx, &sql, &self.tenant, key, receipt_from_row)
            .await?
            .ok_or_else(|| StoreError::not_found("receipt", key))?;
        if let Some(revoked) = &stored.revoked {
            return Err(StoreError::ReceiptRevoked {
                receipt: stored.id,
                at: revoked.at,
            });
        }
        if let Some(at) = stored.redeemed_at {
            return Err(StoreError::AlreadyRedeemed {
                receipt: stored.id,
                at,
            });
        }
        if now >= stored.expires_at {
            return Err(StoreError::ReceiptExpired {
                receipt: stored.id,
                at: stored.expires_at,
            });
        }
        write.refuse_if_stopped()?;
        sqlx::query("UPDATE receipts SET redeemed_at = $3 WHERE tenant_id = $1 AND id = $2")
            .bind(self.tenant.as_str())
            .bind(stored.id.as_str())
            .bind(micros(now))
            .execute(&mut *write.tx)
            .await?;
        let data = json!({ "request": stored.request_id, "nonce": stored.nonce });
        write
            .append(
                &self.inner,
                &self.tenant,
                AuditEvent::new(now, EntryKind::ReceiptRedeemed, "airlock", &stored.id, data),
            )
            .await?;
        write.commit().await?;
        stored.redeemed_at = Some(now);
        Ok(stored)
    }

    async fn op_receipt(&self, id: &str) -> StoreResult<Receipt> {
        let sql =
            format!("SELECT {RECEIPT_COLUMNS} FROM receipts WHERE tenant_id = $1 AND id = $2");
        fetch_one_of(&self.inner.pool, &sql, &self.tenant, id, receipt_from_row)
            .await?
            .ok_or_else(|| StoreError::not_found("receipt", id))
    }

    async fn op_receipt_for_request(&self, request_id: &str) -> StoreResult<Option<Receipt>> {
        self.load_request(&self.inner.pool, request_id, false)
            .await?;
        let sql = format!(
            "SELECT {RECEIPT_COLUMNS} FROM receipts WHERE tenant_id = $1 AND request_id = $2"
        );
        fetch_one_of(
            &self.inner.pool,
            &sql,
            &self.tenant,
            request_id,
            receipt_from_row,
        )
        .await
    }

    async fn op_revoke_agent(&self, id: &str, by: &str, now: Timestamp) -> StoreResult<Withdrawn> {
        let mut write = self.inner.begin_write(&self.tenant).await?;
        self.load_agent(&mut *write.tx, id, true).await?;
        sqlx::query(
            "UPDATE agents SET revoked_at = COALESCE(revoked_at, $3),
                 revoked_by = COALESCE(revoked_by, $4)
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(self.tenant.as_str())
        .bind(id)
        .bind(micros(now))
        .bind(by)
        .execute(&mut *write.tx)
        .await?;
        let withdrawn = self.withdraw(&mut write, Some(id), by, now).await?;
        let data = json!({
            "principal": "agent",
            "cancelled_requests": withdrawn.cancelled_requests,
            "revoked_receipts": withdrawn.revoked_receipts,
        });
        write
            .append(
                &self.inner,
                &self.tenant,
                AuditEvent::new(now, EntryKind::Revocation, by, id, data),
            )
            .await?;
        write.commit().await?;
        Ok(withdrawn)
    }

    async fn op_emergency_stop(&self, by: &str, now: Timestamp) -> StoreResult<Withdrawn> {
        let mut write = self.inner.begin_write(&self.tenant).await?;
        sqlx::query(
            "UPDATE tenants SET emergency_stop_by = COALESCE(emergency_stop_by, $2),
                 emergency_stop_at = COALESCE(emergency_stop_at, $3)
             WHERE id = $1",
        )
        .bind(self.tenant.as_str())
        .bind(by)
        .bind(micros(now))
        .execute(&mut *write.tx)
        .await?;
        let withdrawn = self.withdraw(&mut write, None, by, now).await?;
        let data = json!({
            "cancelled_requests": withdrawn.cancelled_requests,
            "revoked_receipts": withdrawn.revoked_receipts,
        });
        write
            .append(
                &self.inner,
                &self.tenant,
                AuditEvent::new(
                    now,
                    EntryKind::Other("emergency_stop".into()),
                    by,
                    self.tenant.as_str(),
                    data,
                ),
            )
            .await?;
        write.commit().await?;
        Ok(withdrawn)
    }

    async fn op_lift_emergency_stop(&self, by: &str, now: Timestamp) -> StoreResult<()> {
        let mut write = self.inner.begin_write(&self.tenant).await?;
        let was = write.emergency_stop.clone();
        sqlx::query(
            "UPDATE tenants SET emergency_stop_by = NULL, emergency_stop_at = NULL WHERE id = $1",
        )
        .bind(self.tenant.as_str())
        .execute(&mut *write.tx)
        .await?;
        let data = json!({
            "stopped_by": was.as_ref().map(|stop| stop.by.clone()),
            "stopped_at": was.as_ref().map(|stop| stop.at.to_string()),
        });
        write
            .append(
                &self.inner,
                &self.tenant,
                AuditEvent::new(
                    now,
                    EntryKind::Other("emergency_stop_lifted".into()),
                    by,
                    self.tenant.as_str(),
                    data,
                ),
            )
            .await?;
        write.commit().await
    }

    async fn op_revoke_key(
        &self,
        key_id: &str,
        reason: &str,
        by: &str,
        now: Timestamp,
    ) -> StoreResult<KeyRevocation> {
        let mut write = self.inner.begin_write(&self.tenant).await?;
        sqlx::query(
            "INSERT INTO key_revocations (tenant_id, key_id, reason, revoked_by, revoked_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, key_id) DO NOTHING",
        )
        .bind(self.tenant.as_str())
        .bind(key_id)
        .bind(reason)
        .bind(by)
        .bind(micros(now))
        .execute(&mut *write.tx)
        .await?;
        let row = sqlx::query(
            "SELECT key_id, reason, revoked_by, revoked_at FROM key_revocations
             WHERE tenant_id = $1 AND key_id = $2",
        )
        .bind(self.tenant.as_str())
        .bind(key_id)
        .fetch_one(&mut *write.tx)
        .await?;
        let revocation = key_revocation_from_row(&row)?;
        write
            .append(
                &self.inner,
                &self.tenant,
                AuditEvent::new(
                    now,
                    EntryKind::Revocation,
                    by,
                    key_id,
                    json!({ "principal": "key", "reason": reason }),
                ),
            )
            .await?;
        write.commit().await?;
        Ok(revocation)
    }

    async fn op_revoked_keys(&self) -> StoreResult<Vec<KeyRevocation>> {
        sqlx::query(
            "SELECT key_id, reason, revoked_by, revoked_at FROM key_revocations
             WHERE tenant_id = $1 ORDER BY revoked_at, key_id",
        )
        .bind(self.tenant.as_str())
        .fetch_all(&self.inner.pool)
        .await?
        .iter()
        .map(key_revocation_from_row)
        .collect()
    }

    async fn op_record_policy_version(
        &self,
        version: &str,
        by: &str,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let mut write = self.inner.begin_write(&self.tenant).await?;
        let row = sqlx::query("SELECT policy_version FROM tenants WHERE id = $1")
            .bind(self.tenant.as_str())
            .fetch_one(&mut *write.tx)
            .await?;
        let previous = Columns(&row).opt_text("policy_version")?;
        if previous.as_deref() == Some(version) {
            return Ok(false);
        }
        sqlx::query("UPDATE tenants SET policy_version = $2 WHERE id = $1")
            .bind(self.tenant.as_str())
            .bind(version)
            .execute(&mut *write.tx)
            .await?;
        let data = json!({ "previous": previous, "version": version });
        write
            .append(
                &self.inner,
                &self.tenant,
                AuditEvent::new(now, EntryKind::PolicyChange, by, version, data),
            )
            .await?;
        write.commit().await?;
        Ok(true)
    }

    async fn op_revoked_receipts(&self) -> StoreResult<Vec<Receipt>> {
        let sql = format!(
            "SELECT {RECEIPT_COLUMNS} FROM receipts
             WHERE tenant_id = $1 AND revoked_at IS NOT NULL ORDER BY revoked_at, id"
        );
        sqlx::query(&sql)
            .bind(self.tenant.as_str())
            .fetch_all(&self.inner.pool)
            .await?
            .iter()
            .map(receipt_from_row)
            .collect()
    }

    async fn op_append_audit(&self, event: AuditEvent) -> StoreResult<Appended> {
        let mut write = self.inner.begin_write(&self.tenant).await?;
        let appended = write.append(&self.inner, &self.tenant, event).await?;
        write.commit().await?;
        Ok(appended)
    }

    async fn op_append_audit_batch(&self, events: Vec<AuditEvent>) -> StoreResult<Vec<Appended>> {
        let mut write = self.inner.begin_write(&self.tenant).await?;
        let appended = write.append_all(&self.inner, &self.tenant, events).await?;
        write.commit().await?;
        Ok(appended)
    }

    async fn op_append_decisions(
        &self,
        decisions: Vec<(AuditEvent, Arc<DecidedFor>)>,
        now: Timestamp,
    ) -> StoreResult<Vec<Option<Appended>>> {
        let mut write = self.inner.begin_write(&self.tenant).await?;
        // Each distinct token is read once per batch; `begin_write` has read
        // the tenant's emergency stop under the same lock.
        let mut current: HashMap<&str, Option<Agent>> = HashMap::new();
        for (_, decided_for) in &decisions {
            let token = decided_for.token.as_hex();
            if current.contains_key(token) {
                continue;
            }
            let row = sqlx::query(&AGENT_CALLER_SQL)
                .bind(token)
                .fetch_optional(&mut *write.tx)
                .await?;
            current.insert(token, row.as_ref().map(agent_from_row).transpose()?);
        }
        let stopped = write.emergency_stop.is_some();
        let keep: Vec<bool> = decisions
            .iter()
            .map(|(_, decided_for)| {
                current
                    .get(decided_for.token.as_hex())
                    .and_then(Option::as_ref)
                    .is_some_and(|agent| {
                        agent.tenant == self.tenant && decided_for.held_by(agent, stopped, now)
                    })
            })
            .collect();
        let events: Vec<AuditEvent> = decisions
            .into_iter()
            .zip(&keep)
            .filter(|(_, keep)| **keep)
            .map(|((event, _), _)| event)
            .collect();
        let count = events.len();
        let appended = if events.is_empty() {
            Vec::new()
        } else {
            write.append_all(&self.inner, &self.tenant, events).await?
        };
        if appended.len() != count {
            return Err(StoreError::corrupt(format!(
                "{} entries appended for {count} decisions",
                appended.len()
            )));
        }
        write.commit().await?;
        let mut appended = appended.into_iter();
        Ok(keep
            .into_iter()
            .map(|keep| if keep { appended.next() } else { None })
            .collect())
    }

    async fn op_checkpoint_now(&self, now: Timestamp) -> StoreResult<Checkpoint> {
        let key = self.inner.checkpoint_key.as_ref().ok_or_else(|| {
            StoreError::InvalidConfig("the store was opened without a checkpoint key".into())
        })?;
        let mut write = self.inner.begin_write(&self.tenant).await?;
        let checkpoint = sign_checkpoint(key, &self.tenant, write.tree.size(), write.tree.root())?;
        insert_checkpoint(&mut write.tx, &self.tenant, &checkpoint, now).await?;
        write.commit().await?;
        Ok(checkpoint)
    }

    async fn op_audit_rows(&self, range: Range<u64>) -> StoreResult<Vec<StoredEntry>> {
        let start = i64::try_from(range.start).unwrap_or(i64::MAX);
        let end = i64::try_from(range.end).unwrap_or(i64::MAX);
        sqlx::query(
            "SELECT entry, leaf_hash, root_after FROM audit_log
             WHERE tenant_id = $1 AND idx >= $2 AND idx < $3 ORDER BY idx",
        )
        .bind(self.tenant.as_str())
        .bind(start)
        .bind(end)
        .fetch_all(&self.inner.pool)
        .await?
        .iter()
        .map(stored_entry_from_row)
        .collect()
    }

    async fn op_audit_page(&self, from: u64, limit: u32) -> StoreResult<Vec<AuditRow>> {
        let rows = sqlx::query(
            "SELECT idx, entry, leaf_hash, root_after FROM audit_log
             WHERE tenant_id = $1 AND idx >= $2 ORDER BY idx LIMIT $3",
        )
        .bind(self.tenant.as_str())
        .bind(i64::try_from(from).unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(&self.inner.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let position = Columns(row).int("idx")?;
                Ok(AuditRow {
                    position: u64::try_from(position).map_err(|_| {
                        StoreError::corrupt(format!("audit row index {position} is negative"))
                    })?,
                    decoded: stored_entry_from_row(row),
                })
            })
            .collect()
    }

    async fn op_audit_page_raw(
        &self,
        from: u64,
        limit: u32,
        columns: AuditColumns,
    ) -> StoreResult<RawAuditPage> {
        // One result row per page: per-row overhead in the driver would
        // cost more than everything the verifier does with a row. Each row
        // is `<idx>,<len leaf_hash>,<len root_after>,<len entry>,` then the
        // three columns back to back (`||` costs SQLite about half what
        // `format()` does). SQLite aggregates the ordered subquery in its
        // order (an ORDER BY inside the aggregate would make it sort
        // again); PostgreSQL is told to. `parse_raw_page` refuses rows out
        // of order either way.
        let order = match self.inner.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " ORDER BY idx",
        };
        let (row, selected) = match columns {
            AuditColumns::LeafBytes => (
                "idx || ',0,0,' || octet_length(entry) || ',' || entry",
                "idx, entry",
            ),
            AuditColumns::WithStoredHashes => (
                "idx || ',' || octet_length(leaf_hash) || ',' || octet_length(root_after) || ','
                    || octet_length(entry) || ',' || leaf_hash || root_after || entry",
                "idx, entry, leaf_hash, root_after",
            ),
        };
        let row = sqlx::query(&format!(
            "SELECT string_agg({row}, ''{order}) AS page
             FROM (SELECT {selected} FROM audit_log
                   WHERE tenant_id = $1 AND idx >= $2 ORDER BY idx LIMIT $3) AS page_rows"
        ))
        .bind(self.tenant.as_str())
        .bind(i64::try_from(from).unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_one(&self.inner.pool)
        .await?;
        match Columns(&row).opt_text("page")? {
            Some(text) => parse_raw_page(text),
            None => Ok(RawAuditPage::default()),
        }
    }

    /// Answers proof requests: runs `prove` once against a source that only
    /// records which subtree hashes it asks for, fetches those (stored
    /// nodes, else leaf hashes) and the log's size in one query, and runs
    /// it again.
    async fn prove_with<T>(
        &self,
        size: u64,
        prove: impl Fn(&dyn ProofSource) -> Result<T, ProofError>,
    ) -> StoreResult<T> {
        let plan = SubtreePlan {
            size,
            wanted: RefCell::default(),
        };
        prove(&plan).map_err(proof_input_error)?;
        let wanted = plan.wanted.into_inner();
        let (log_size, hashes) = self.fetch_subtrees(&wanted).await?;
        if size > log_size {
            return Err(StoreError::InvalidInput(format!(
                "the log holds {log_size} entries, fewer than the {size} asked for"
            )));
        }
        let fetched = FetchedSubtrees { size, hashes };
        prove(&fetched).map_err(|error| match error {
            ProofError::Source(source) => StoreError::corrupt(source),
            other => proof_input_error(other),
        })
    }

    /// The log's size, and the hashes of the perfect subtrees
    /// `(level, start)`: stored nodes where there are, the rest recomputed
    /// from the leaf hashes they cover. One statement: each round trip to
    /// the database costs more than the proof.
    async fn fetch_subtrees(
        &self,
        wanted: &[(u32, u64)],
    ) -> StoreResult<(u64, HashMap<(u32, u64), Hash>)> {
        let stored: Vec<(u32, u64)> = wanted
            .iter()
            .copied()
            .filter(|(level, _)| *level >= STORED_NODE_MIN_LEVEL)
            .collect();
        // Nodes below the stored levels come from the leaves they cover.
        let below = leaf_ranges(
            wanted
                .iter()
                .filter(|(level, _)| *level < STORED_NODE_MIN_LEVEL),
        );
        let mut rows = self.tree_rows(true, &stored, &below).await?;
        let log_size = rows
            .log_size
            .ok_or_else(|| StoreError::not_found("tenant", self.tenant.as_str()))?;
        // Stored nodes that are not there (a log written before nodes were
        // stored) come from their leaves, in a second statement.
        let unstored = leaf_ranges(
            stored
                .iter()
                .filter(|key| !rows.nodes.contains_key(key))
                .filter(|(_, start)| *start < log_size),
        );
        if !unstored.is_empty() {
            let more = self.tree_rows(false, &[], &unstored).await?;
            rows.leaves.extend(more.leaves);
        }
        let TreeRows {
            nodes: mut hashes,
            leaves,
            ..
        } = rows;
        for &(level, start) in wanted {
            if hashes.contains_key(&(level, start)) {
                continue;
            }
            let covered = subtree_leaves(level, start);
            let width = covered.end - covered.start;
            let mut subtree = MerkleAccumulator::new();
            for index in covered {
                let Some(leaf) = leaves.get(&index) else {
                    // The proof reports the subtree missing.
                    break;
                };
                subtree.push(*leaf);
            }
            if subtree.size() == width {
                hashes.insert((level, start), subtree.root());
            }
        }
        Ok((log_size, hashes))
    }

    /// Reads, in one statement, the log's size (with `head`), the stored
    /// nodes `(level, start)` and the leaf hashes in `leaf_ranges`. Rows
    /// are (kind, level, idx, hash): the head ('h', its size in `idx`),
    /// stored nodes ('n'), leaf hashes ('l'). The tenant is named in every
    /// term so each is a primary-key lookup (SQLite scans all of the
    /// tenant's rows when it is factored out).
    async fn tree_rows(
        &self,
        head: bool,
        nodes: &[(u32, u64)],
        leaf_ranges: &[Range<u64>],
    ) -> StoreResult<TreeRows> {
        let mut terms: Vec<String> = Vec::new();
        if head {
            terms.push(
                "SELECT 'h' AS kind, 0 AS level, size AS idx, '' AS hash FROM audit_heads WHERE tenant_id = $1"
                    .to_owned(),
            );
        }
        let mut params: Vec<i64> = Vec::new();
        for (level, start) in nodes {
            let first = 2 + params.len();
            terms.push(format!(
                "SELECT 'n' AS kind, level, idx, hash FROM audit_nodes
                 WHERE tenant_id = $1 AND level = ${first} AND idx = ${}",
                first + 1
            ));
            params.push(i64::from(*level));
            params.push(to_i64(start >> level)?);
        }
        for range in leaf_ranges {
            let first = 2 + params.len();
            terms.push(format!(
                "SELECT 'l' AS kind, 0 AS level, idx, leaf_hash AS hash FROM audit_log
                 WHERE tenant_id = $1 AND idx >= ${first} AND idx < ${}",
                first + 1
            ));
            params.push(to_i64(range.start)?);
            params.push(to_i64(range.end)?);
        }
        let mut rows = TreeRows::default();
        if terms.is_empty() {
            return Ok(rows);
        }
        let sql = terms.join(" UNION ALL ");
        let mut query = sqlx::query(&sql).bind(self.tenant.as_str());
        for param in params {
            query = query.bind(param);
        }
        for row in query.fetch_all(&self.inner.pool).await? {
            let c = Columns(&row);
            let index = u64::try_from(c.int("idx")?)
                .map_err(|_| StoreError::corrupt("an audit index is negative"))?;
            match c.text("kind")?.as_str() {
                "h" => rows.log_size = Some(index),
                "n" => {
                    let level = u32::try_from(c.int("level")?)
                        .map_err(|_| StoreError::corrupt("audit node level out of range"))?;
                    let start = index
                        .checked_shl(level)
                        .ok_or_else(|| StoreError::corrupt("audit node out of range"))?;
                    rows.nodes.insert((level, start), hash_column(&c, "hash")?);
                }
                _ => {
                    rows.leaves.insert(index, hash_column(&c, "hash")?);
                }
            }
        }
        Ok(rows)
    }

    async fn op_audit_head(&self) -> StoreResult<Frontier> {
        let row = sqlx::query("SELECT frontier FROM audit_heads WHERE tenant_id = $1")
            .bind(self.tenant.as_str())
            .fetch_optional(&self.inner.pool)
            .await?
            .ok_or_else(|| StoreError::not_found("tenant", self.tenant.as_str()))?;
        Columns(&row).json("frontier")
    }

    async fn op_checkpoints(&self) -> StoreResult<Vec<Checkpoint>> {
        sqlx::query("SELECT note FROM checkpoints WHERE tenant_id = $1 ORDER BY size")
            .bind(self.tenant.as_str())
            .fetch_all(&self.inner.pool)
            .await?
            .iter()
            .map(|row| Checkpoint::parse(&Columns(row).text("note")?).map_err(StoreError::corrupt))
            .collect()
    }
}

/// Splits the concatenated page built by `op_audit_page_raw`: per row
/// `<idx>,<len leaf_hash>,<len root_after>,<len entry>,` then the three
/// columns back to back, lengths in bytes.
fn parse_raw_page(text: String) -> StoreResult<RawAuditPage> {
    let malformed = || StoreError::corrupt("an audit page does not split into rows");
    let bytes = text.as_bytes();
    let mut cursor = 0usize;
    let number = |cursor: &mut usize| -> StoreResult<u64> {
        let start = *cursor;
        let end = bytes[start..]
            .iter()
            .position(|byte| *byte == b',')
            .map(|offset| start + offset)
            .ok_or_else(malformed)?;
        *cursor = end + 1;
        std::str::from_utf8(&bytes[start..end])
            .ok()
            .and_then(|digits| digits.parse().ok())
            .ok_or_else(malformed)
    };
    let mut rows: Vec<RawRowSpans> = Vec::new();
    while cursor < bytes.len() {
        let position = number(&mut cursor)?;
        let span = |length: u64, cursor: &mut usize| -> StoreResult<Range<usize>> {
            let end = usize::try_from(length)
                .ok()
                .and_then(|length| cursor.checked_add(length))
                .filter(|end| text.get(*cursor..*end).is_some())
                .ok_or_else(malformed)?;
            let range = *cursor..end;
            *cursor = end;
            Ok(range)
        };
        let lengths = [
            number(&mut cursor)?,
            number(&mut cursor)?,
            number(&mut cursor)?,
        ];
        let leaf_hash = span(lengths[0], &mut cursor)?;
        let root_after = span(lengths[1], &mut cursor)?;
        let entry = span(lengths[2], &mut cursor)?;
        if rows.last().is_some_and(|last| last.position >= position) {
            return Err(malformed());
        }
        rows.push(RawRowSpans {
            position,
            entry,
            leaf_hash,
            root_after,
        });
    }
    Ok(RawAuditPage { text, rows })
}

/// A [`LeafSource`] whose errors are all [`MissingNode`], so one proof
/// closure runs against both the planning and the fetched source.
trait ProofSource: LeafSource<Error = MissingNode> {}
impl<T: LeafSource<Error = MissingNode>> ProofSource for T {}

/// A source that answers every subtree with zeros and records which ones
/// were asked for: proofs ask for the same subtrees whatever their hashes.
struct SubtreePlan {
    size: u64,
    wanted: RefCell<Vec<(u32, u64)>>,
}

impl LeafSource for SubtreePlan {
    type Error = MissingNode;

    fn leaf_count(&self) -> Result<u64, MissingNode> {
        Ok(self.size)
    }

    fn leaf_hash(&self, index: u64) -> Result<Hash, MissingNode> {
        self.perfect_subtree_hash(0, index)
    }

    fn perfect_subtree_hash(&self, level: u32, start: u64) -> Result<Hash, MissingNode> {
        self.wanted.borrow_mut().push((level, start));
        Ok([0; 32])
    }
}

/// What [`SqlTenantStore::tree_rows`] read.
#[derive(Default)]
struct TreeRows {
    log_size: Option<u64>,
    /// Stored nodes by `(level, start)`.
    nodes: HashMap<(u32, u64), Hash>,
    /// Leaf hashes by index.
    leaves: HashMap<u64, Hash>,
}

/// The leaves under the perfect subtree `(level, start)`.
fn subtree_leaves(level: u32, start: u64) -> Range<u64> {
    start..start.saturating_add(1u64 << level.min(63))
}

/// The leaf ranges the subtrees `(level, start)` cover, sorted and merged.
fn leaf_ranges<'a>(subtrees: impl Iterator<Item = &'a (u32, u64)>) -> Vec<Range<u64>> {
    let mut ranges: Vec<Range<u64>> = subtrees
        .map(|&(level, start)| subtree_leaves(level, start))
        .collect();
    ranges.sort_by_key(|range| range.start);
    let mut merged: Vec<Range<u64>> = Vec::new();
    for range in ranges {
        match merged.last_mut() {
            Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
            _ => merged.push(range),
        }
    }
    merged
}

/// The subtree hashes a [`SubtreePlan`] asked for, fetched from the store.
struct FetchedSubtrees {
    size: u64,
    hashes: HashMap<(u32, u64), Hash>,
}

impl LeafSource for FetchedSubtrees {
    type Error = MissingNode;

    fn leaf_count(&self) -> Result<u64, MissingNode> {
        Ok(self.size)
    }

    fn leaf_hash(&self, index: u64) -> Result<Hash, MissingNode> {
        self.perfect_subtree_hash(0, index)
    }

    fn perfect_subtree_hash(&self, level: u32, start: u64) -> Result<Hash, MissingNode> {
        self.hashes
            .get(&(level, start))
            .copied()
            .ok_or(MissingNode {
                level,
                position: start.checked_shr(level).unwrap_or(0),
                size: self.size,
            })
    }
}

/// A proof request the log cannot answer (index or size out of range).
fn proof_input_error(error: ProofError) -> StoreError {
    StoreError::InvalidInput(error.to_string())
}

fn key_revocation_from_row(row: &AnyRow) -> StoreResult<KeyRevocation> {
    let c = Columns(row);
    Ok(KeyRevocation {
        key_id: c.text("key_id")?,
        reason: c.text("reason")?,
        revoked: Stamp {
            by: c.text("revoked_by")?,
            at: c.time("revoked_at")?,
        },
    })
}

/// Runs a write to completion on its own task: if the caller's future is
/// dropped (a client disconnects), the transaction still commits or rolls
/// back instead of being cut off holding the write lock.
async fn detached<T, F>(operation: F) -> StoreResult<T>
where
    T: Send + 'static,
    F: std::future::Future<Output = StoreResult<T>> + Send + 'static,
{
    match tokio::spawn(operation).await {
        Ok(result) => result,
        Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        Err(error) => Err(StoreError::Interrupted(error.to_string())),
    }
}

#[async_trait]
impl TenantStore for SqlTenantStore {
    fn tenant_id(&self) -> &TenantId {
        &self.tenant
    }

    async fn info(&self) -> StoreResult<Tenant> {
        self.op_info().await
    }

    async fn create_agent(
        &self,
        agent: NewAgent,
        by: &str,
        now: Timestamp,
    ) -> StoreResult<(Agent, IssuedToken)> {
        let (this, by) = (self.clone(), by.to_owned());
        detached(async move { this.op_create_agent(agent, &by, now).await }).await
    }

    async fn agent(&self, id: &str) -> StoreResult<Agent> {
        self.op_agent(id).await
    }

    async fn agents(&self) -> StoreResult<Vec<Agent>> {
        self.op_agents().await
    }

    async fn record_agent_identity(
        &self,
        id: &str,
        identity: &AgentIdentity,
        now: Timestamp,
    ) -> StoreResult<()> {
        self.op_record_agent_identity(id, identity, now).await
    }

    async fn create_approver(
        &self,
        approver: NewApprover,
        by: &str,
        now: Timestamp,
    ) -> StoreResult<(Approver, IssuedToken)> {
        let (this, by) = (self.clone(), by.to_owned());
        detached(async move { this.op_create_approver(approver, &by, now).await }).await
    }

    async fn approver(&self, id: &str) -> StoreResult<Approver> {
        self.op_approver(id).await
    }

    async fn approvers(&self) -> StoreResult<Vec<Approver>> {
        self.op_approvers().await
    }

    async fn revoke_approver(&self, id: &str, by: &str, now: Timestamp) -> StoreResult<Approver> {
        let (this, id, by) = (self.clone(), id.to_owned(), by.to_owned());
        detached(async move { this.op_revoke_approver(&id, &by, now).await }).await
    }

    async fn submit_escalation(
        &self,
        escalation: NewEscalation,
        now: Timestamp,
    ) -> StoreResult<ApprovalRequest> {
        let this = self.clone();
        detached(async move { this.op_submit_escalation(escalation, now).await }).await
    }

    async fn record_approval(
        &self,
        request_id: &str,
        approver_id: &str,
        verdict: VoteKind,
        comment: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<ApprovalOutcome> {
        let this = self.clone();
        let (request_id, approver_id) = (request_id.to_owned(), approver_id.to_owned());
        let comment = comment.map(str::to_owned);
        detached(async move {
            this.op_record_approval(&request_id, &approver_id, verdict, comment.as_deref(), now)
                .await
        })
        .await
    }

    async fn request(&self, id: &str) -> StoreResult<ApprovalRequest> {
        self.op_request(id).await
    }

    async fn requests(&self, status: Option<RequestStatus>) -> StoreResult<Vec<ApprovalRequest>> {
        self.op_requests(status).await
    }

    async fn approvals(&self, request_id: &str) -> StoreResult<Vec<Approval>> {
        self.op_approvals(request_id).await
    }

    async fn issue_receipt(&self, receipt: NewReceipt, now: Timestamp) -> StoreResult<Receipt> {
        let this = self.clone();
        detached(async move { this.op_issue_receipt(receipt, now).await }).await
    }

    async fn redeem_receipt(
        &self,
        receipt: ReceiptRef<'_>,
        now: Timestamp,
    ) -> StoreResult<Receipt> {
        let this = self.clone();
        let (by_nonce, key) = match receipt {
            ReceiptRef::Id(id) => (false, id.to_owned()),
            ReceiptRef::Nonce(nonce) => (true, nonce.to_owned()),
        };
        detached(async move {
            let receipt = if by_nonce {
                ReceiptRef::Nonce(&key)
            } else {
                ReceiptRef::Id(&key)
            };
            this.op_redeem_receipt(receipt, now).await
        })
        .await
    }

    async fn receipt(&self, id: &str) -> StoreResult<Receipt> {
        self.op_receipt(id).await
    }

    async fn receipt_for_request(&self, request_id: &str) -> StoreResult<Option<Receipt>> {
        self.op_receipt_for_request(request_id).await
    }

    async fn revoke_agent(&self, id: &str, by: &str, now: Timestamp) -> StoreResult<Withdrawn> {
        let (this, id, by) = (self.clone(), id.to_owned(), by.to_owned());
        detached(async move { this.op_revoke_agent(&id, &by, now).await }).await
    }

    async fn emergency_stop(&self, by: &str, now: Timestamp) -> StoreResult<Withdrawn> {
        let (this, by) = (self.clone(), by.to_owned());
        detached(async move { this.op_emergency_stop(&by, now).await }).await
    }

    async fn lift_emergency_stop(&self, by: &str, now: Timestamp) -> StoreResult<()> {
        let (this, by) = (self.clone(), by.to_owned());
        detached(async move { this.op_lift_emergency_stop(&by, now).await }).await
    }

    async fn revoke_key(
        &self,
        key_id: &str,
        reason: &str,
        by: &str,
        now: Timestamp,
    ) -> StoreResult<KeyRevocation> {
        let this = self.clone();
        let (key_id, reason, by) = (key_id.to_owned(), reason.to_owned(), by.to_owned());
        detached(async move { this.op_revoke_key(&key_id, &reason, &by, now).await }).await
    }

    async fn record_policy_version(
        &self,
        version: &str,
        by: &str,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let this = self.clone();
        let (version, by) = (version.to_owned(), by.to_owned());
        detached(async move { this.op_record_policy_version(&version, &by, now).await }).await
    }

    async fn revoked_receipts(&self) -> StoreResult<Vec<Receipt>> {
        self.op_revoked_receipts().await
    }

    async fn revoked_keys(&self) -> StoreResult<Vec<KeyRevocation>> {
        self.op_revoked_keys().await
    }

    async fn append_audit(&self, event: AuditEvent) -> StoreResult<Appended> {
        let this = self.clone();
        detached(async move { this.op_append_audit(event).await }).await
    }

    async fn append_audit_batch(&self, events: Vec<AuditEvent>) -> StoreResult<Vec<Appended>> {
        let this = self.clone();
        detached(async move { this.op_append_audit_batch(events).await }).await
    }

    async fn append_decisions(
        &self,
        decisions: Vec<(AuditEvent, Arc<DecidedFor>)>,
        now: Timestamp,
    ) -> StoreResult<Vec<Option<Appended>>> {
        let this = self.clone();
        detached(async move { this.op_append_decisions(decisions, now).await }).await
    }

    async fn checkpoint_now(&self, now: Timestamp) -> StoreResult<Checkpoint> {
        let this = self.clone();
        detached(async move { this.op_checkpoint_now(now).await }).await
    }

    async fn audit_rows(&self, range: Range<u64>) -> StoreResult<Vec<StoredEntry>> {
        self.op_audit_rows(range).await
    }

    async fn audit_page(&self, from: u64, limit: u32) -> StoreResult<Vec<AuditRow>> {
        self.op_audit_page(from, limit).await
    }

    async fn audit_page_raw(
        &self,
        from: u64,
        limit: u32,
        columns: AuditColumns,
    ) -> StoreResult<RawAuditPage> {
        self.op_audit_page_raw(from, limit, columns).await
    }

    async fn audit_head(&self) -> StoreResult<Frontier> {
        self.op_audit_head().await
    }

    async fn inclusion_proof(&self, index: u64, size: u64) -> StoreResult<Vec<Hash>> {
        self.prove_with(size, move |source| inclusion_proof(index, size, source))
            .await
    }

    async fn consistency_proof(&self, old_size: u64, new_size: u64) -> StoreResult<Vec<Hash>> {
        self.prove_with(new_size, move |source| {
            consistency_proof(old_size, new_size, source)
        })
        .await
    }

    async fn checkpoints(&self) -> StoreResult<Vec<Checkpoint>> {
        self.op_checkpoints().await
    }
}
