//! `airlock audit` end to end, on SQLite and PostgreSQL: a log written
//! through the store API verifies; the same log damaged directly in the
//! database (a row edited, deleted, reordered or inserted, rows rewritten
//! consistently, the tail cut) fails verification naming the first bad
//! entry; a witness's kept checkpoints catch a rewrite the store alone
//! cannot; proofs, export and tail read what the store holds.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use airlock_audit::{
    leaf_hash, AuditEntry, CheckpointPolicy, EntryKind, MerkleAccumulator, StoredEntry, Timestamp,
};
use airlock_keys::{write_keypair, KeyPaths, SigningKeyPair};
use airlock_store::{
    AuditEvent, CheckpointKey, SqlStore, Store, StoreOptions, TenantId, TenantStore,
};
use serde_json::{json, Value};
use sqlx::AnyPool;

/// Entries per log: the creation entry plus 22 decisions.
const ENTRIES: u64 = 23;
const CHECKPOINT_EVERY: u64 = 5;

/// One backend holding the logs, with a raw connection for damaging rows.
struct Fixture {
    _scratch: tempfile::TempDir,
    data_dir: PathBuf,
    /// `--database-url` for PostgreSQL; SQLite lives in the data directory.
    database_url: Option<String>,
    store: SqlStore,
    raw: AnyPool,
    /// `"schema".` on PostgreSQL, empty on SQLite.
    qualifier: String,
}

impl Fixture {
    fn table(&self, name: &str) -> String {
        format!("{}{name}", self.qualifier)
    }

    /// Runs `airlock audit <args>` against this backend for `tenant`.
    fn airlock(&self, tenant: &str, args: &[&str]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_airlock"));
        command
            .arg("audit")
            .args(["--data-dir", &self.data_dir.display().to_string()])
            .args(["--tenant", tenant])
            .args(args)
            .env_remove("AIRLOCK_DATABASE_URL")
            .env_remove("AIRLOCK_DATA_DIR")
            .env_remove("AIRLOCK_TENANT");
        if let Some(url) = &self.database_url {
            command.args(["--database-url", url]);
        }
        command.output().expect("run airlock")
    }

    /// `airlock audit verify --format json` for `tenant`: exit code and
    /// the tenant's result.
    fn verify(&self, tenant: &str, extra: &[&str]) -> (i32, Value) {
        let mut args = vec!["verify", "--format", "json"];
        args.extend_from_slice(extra);
        let output = self.airlock(tenant, &args);
        let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
            panic!(
                "verify printed no JSON ({error}): {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            )
        });
        (
            output.status.code().expect("exit code"),
            report["tenants"][0].clone(),
        )
    }

    /// A fresh log of `ENTRIES` entries for `tenant`.
    async fn log(&self, tenant: &str) -> std::sync::Arc<dyn TenantStore> {
        let id = TenantId::new(tenant).unwrap();
        self.store
            .create_tenant(&id, tenant, "admin", at(0))
            .await
            .unwrap();
        let log = self.store.tenant(&id);
        let events: Vec<AuditEvent> = (1..ENTRIES as i64)
            .map(|n| {
                AuditEvent::new(
                    at(n),
                    EntryKind::Decision,
                    "agent-7",
                    format!("req_{n:03}"),
                    json!({ "verdict": "allow", "command": format!("ls {n}") }),
                )
            })
            .collect();
        log.append_audit_batch(events[..10].to_vec()).await.unwrap();
        for event in &events[10..] {
            log.append_audit(event.clone()).await.unwrap();
        }
        log
    }

    async fn execute(&self, sql: &str, tenant: &str) -> u64 {
        sqlx::query(&sql.replace("{log}", &self.table("audit_log")))
            .bind(tenant)
            .execute(&self.raw)
            .await
            .unwrap()
            .rows_affected()
    }

    /// Writes `row` over the row with its index, as an attacker with
    /// database access but without the signing key would.
    async fn overwrite(&self, tenant: &str, row: &StoredEntry) {
        let changed = sqlx::query(&format!(
            "UPDATE {} SET entry = $3, leaf_hash = $4, root_after = $5 WHERE tenant_id = $1 AND idx = $2",
            self.table("audit_log")
        ))
        .bind(tenant)
        .bind(row.entry.index as i64)
        .bind(String::from_utf8(row.entry.leaf_bytes()).unwrap())
        .bind(hex::encode(row.leaf_hash))
        .bind(hex::encode(row.root_after))
        .execute(&self.raw)
        .await
        .unwrap()
        .rows_affected();
        assert_eq!(changed, 1);
    }

    /// Rewrites entry `index`'s data and recomputes every later leaf hash,
    /// root and the head, so the rows are consistent again; only signed
    /// checkpoints can tell.
    async fn rewrite_consistently(&self, tenant: &str, log: &dyn TenantStore, index: u64) {
        let mut rows = log.audit_rows(0..u64::MAX).await.unwrap();
        rows[index as usize].entry.data = json!({ "verdict": "allow", "command": "rm -rf /" });
        let mut tree = MerkleAccumulator::new();
        for row in rows.iter_mut() {
            row.leaf_hash = leaf_hash(&row.entry.leaf_bytes());
            tree.push(row.leaf_hash);
            row.root_after = tree.root();
            if row.entry.index >= index {
                self.overwrite(tenant, row).await;
            }
        }
        sqlx::query(&format!(
            "UPDATE {} SET frontier = $2 WHERE tenant_id = $1",
            self.table("audit_heads")
        ))
        .bind(tenant)
        .bind(serde_json::to_string(&tree.frontier()).unwrap())
        .execute(&self.raw)
        .await
        .unwrap();
    }
}

/// 2025-01-01T00:00:00Z plus `seconds`.
fn at(seconds: i64) -> Timestamp {
    Timestamp::from_unix_micros((1_735_689_600 + seconds) * 1_000_000).unwrap()
}

fn store_options(pair: &SigningKeyPair) -> StoreOptions {
    StoreOptions {
        checkpoint_key: Some(CheckpointKey {
            origin_prefix: "airlock".into(),
            key_name: format!("airlock-checkpoints-{}", pair.key_id()),
            key: pair.ed25519().clone(),
        }),
        checkpoint_policy: CheckpointPolicy::every(CHECKPOINT_EVERY),
        ..StoreOptions::default()
    }
}

/// A data directory holding the checkpoint key pair, as the server keeps it.
fn data_dir_with_key(scratch: &Path) -> (PathBuf, SigningKeyPair) {
    let data_dir = scratch.join("state");
    let pair = SigningKeyPair::from_seed(&[5; 32]);
    std::fs::create_dir_all(data_dir.join("keys")).unwrap();
    write_keypair(
        &pair,
        &KeyPaths::in_dir(data_dir.join("keys"), "checkpoints"),
        false,
    )
    .unwrap();
    (data_dir, pair)
}

fn failure(result: &Value) -> (&str, Option<u64>) {
    let failure = &result["failure"];
    (
        failure["kind"].as_str().unwrap_or_default(),
        failure["first_bad_index"].as_u64(),
    )
}

fn assert_fails(fixture: &Fixture, tenant: &str, kind: &str, first_bad: Option<u64>) {
    let (code, result) = fixture.verify(tenant, &[]);
    assert_eq!(code, 4, "{tenant}: {result}");
    assert_eq!(result["ok"], false, "{tenant}: {result}");
    assert_eq!(failure(&result), (kind, first_bad), "{tenant}: {result}");
    // The human report names the entry too.
    let human = fixture.airlock(tenant, &["verify"]);
    assert_eq!(human.status.code(), Some(4));
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.contains("FAILED"), "{text}");
    if let Some(index) = first_bad {
        assert!(text.contains(&format!("at entry {index}")), "{text}");
    }
}

async fn untouched_log_verifies(fixture: &Fixture) {
    fixture.log("honest").await;
    let (code, result) = fixture.verify("honest", &[]);
    assert_eq!(code, 0, "{result}");
    assert_eq!(result["ok"], true);
    assert_eq!(result["entries_verified"], ENTRIES);
    assert_eq!(result["checkpoints_checked"], 4);
    assert_eq!(result["latest_checkpoint_size"], 20);
    assert_eq!(result["unsigned_entries"], 3);
    let human = fixture.airlock("honest", &["verify"]);
    assert_eq!(human.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&human.stdout).contains("OK: 23 entries"));
}

/// The stored root after a row is a copy proofs are served from, not part
/// of what is signed: the default pass checks the entries against the
/// signed tree, `--thorough` checks the copies too.
async fn damaged_stored_root(fixture: &Fixture) {
    fixture.log("damaged").await;
    let changed = fixture
        .execute(
            &format!(
                "UPDATE {{log}} SET root_after = '{}' WHERE tenant_id = $1 AND idx = 5",
                "0".repeat(64)
            ),
            "damaged",
        )
        .await;
    assert_eq!(changed, 1);
    let (code, result) = fixture.verify("damaged", &[]);
    assert_eq!(code, 0, "{result}");
    assert_eq!(result["stored_hashes_checked"], false);
    let (code, result) = fixture.verify("damaged", &["--thorough"]);
    assert_eq!(code, 4, "{result}");
    assert_eq!(failure(&result), ("tree_hash_altered", Some(5)), "{result}");
    let (code, result) = fixture.verify("honest", &["--thorough"]);
    assert_eq!(code, 0, "{result}");
    assert_eq!(result["stored_hashes_checked"], true);
}

async fn edited_row(fixture: &Fixture) {
    fixture.log("edited").await;
    let changed = fixture
        .execute(
            "UPDATE {log} SET entry = REPLACE(entry, 'ls 7', 'rm -rf /') WHERE tenant_id = $1 AND idx = 7",
            "edited",
        )
        .await;
    assert_eq!(changed, 1);
    assert_fails(fixture, "edited", "entry_edited", Some(7));
}

async fn garbled_row(fixture: &Fixture) {
    fixture.log("garbled").await;
    fixture
        .execute(
            "UPDATE {log} SET entry = 'not an entry' WHERE tenant_id = $1 AND idx = 9",
            "garbled",
        )
        .await;
    assert_fails(fixture, "garbled", "undecodable_entry", Some(9));
}

async fn forged_checkpoint(fixture: &Fixture) {
    fixture.log("forged").await;
    // Claim the checkpoint at 10 covers 11 entries: its signature breaks.
    let changed = sqlx::query(&format!(
        "UPDATE {} SET note = REPLACE(note, 'forged\n10\n', 'forged\n11\n') WHERE tenant_id = $1 AND size = 10",
        fixture.table("checkpoints")
    ))
    .bind("forged")
    .execute(&fixture.raw)
    .await
    .unwrap()
    .rows_affected();
    assert_eq!(changed, 1);
    let (code, result) = fixture.verify("forged", &[]);
    assert_eq!(code, 4, "{result}");
    assert_eq!(failure(&result), ("checkpoint_signature", None), "{result}");
}

async fn deleted_row(fixture: &Fixture) {
    fixture.log("deleted").await;
    fixture
        .execute(
            "DELETE FROM {log} WHERE tenant_id = $1 AND idx = 7",
            "deleted",
        )
        .await;
    assert_fails(fixture, "deleted", "entry_deleted", Some(7));
}

async fn reordered_rows(fixture: &Fixture) {
    fixture.log("reordered").await;
    for statement in [
        "UPDATE {log} SET idx = -1 WHERE tenant_id = $1 AND idx = 7",
        "UPDATE {log} SET idx = 7 WHERE tenant_id = $1 AND idx = 9",
        "UPDATE {log} SET idx = 9 WHERE tenant_id = $1 AND idx = -1",
    ] {
        assert_eq!(fixture.execute(statement, "reordered").await, 1);
    }
    assert_fails(fixture, "reordered", "out_of_sequence", Some(7));
}

async fn inserted_row(fixture: &Fixture) {
    let log = fixture.log("inserted").await;
    let rows = log.audit_rows(0..7).await.unwrap();
    // Make room at 7 and insert a forged entry whose hashes fit the rows
    // before it.
    fixture
        .execute(
            "UPDATE {log} SET idx = idx + 1000000 WHERE tenant_id = $1 AND idx >= 7",
            "inserted",
        )
        .await;
    fixture
        .execute(
            "UPDATE {log} SET idx = idx - 999999 WHERE tenant_id = $1 AND idx >= 1000000",
            "inserted",
        )
        .await;
    let mut tree = MerkleAccumulator::new();
    for row in &rows {
        tree.push(row.leaf_hash);
    }
    let forged = AuditEntry {
        index: 7,
        timestamp: at(7),
        tenant: "inserted".into(),
        kind: EntryKind::Approval,
        actor: "mallory".into(),
        subject: "req_007".into(),
        data: json!({ "note": "approved" }),
    };
    let forged_leaf = forged.leaf_hash();
    tree.push(forged_leaf);
    sqlx::query(&format!(
        "INSERT INTO {} (tenant_id, idx, entry, leaf_hash, root_after) VALUES ($1, 7, $2, $3, $4)",
        fixture.table("audit_log")
    ))
    .bind("inserted")
    .bind(String::from_utf8(forged.leaf_bytes()).unwrap())
    .bind(hex::encode(forged_leaf))
    .bind(hex::encode(tree.root()))
    .execute(&fixture.raw)
    .await
    .unwrap();
    assert_fails(fixture, "inserted", "duplicate_index", Some(7));
}

async fn row_appended_behind_the_store(fixture: &Fixture) {
    let log = fixture.log("appended").await;
    let rows = log.audit_rows(0..u64::MAX).await.unwrap();
    let mut tree = MerkleAccumulator::new();
    for row in &rows {
        tree.push(row.leaf_hash);
    }
    let forged = AuditEntry {
        index: ENTRIES,
        timestamp: at(99),
        tenant: "appended".into(),
        kind: EntryKind::Decision,
        actor: "mallory".into(),
        subject: "req_999".into(),
        data: json!({ "verdict": "allow" }),
    };
    tree.push(forged.leaf_hash());
    sqlx::query(&format!(
        "INSERT INTO {} (tenant_id, idx, entry, leaf_hash, root_after) VALUES ($1, $2, $3, $4, $5)",
        fixture.table("audit_log")
    ))
    .bind("appended")
    .bind(ENTRIES as i64)
    .bind(String::from_utf8(forged.leaf_bytes()).unwrap())
    .bind(hex::encode(forged.leaf_hash()))
    .bind(hex::encode(tree.root()))
    .execute(&fixture.raw)
    .await
    .unwrap();
    assert_fails(fixture, "appended", "rows_beyond_head", Some(ENTRIES));
}

async fn cut_tail(fixture: &Fixture) {
    fixture.log("cut").await;
    // Past the last checkpoint (20): only the head still knows these rows.
    fixture
        .execute(
            "DELETE FROM {log} WHERE tenant_id = $1 AND idx >= 21",
            "cut",
        )
        .await;
    assert_fails(fixture, "cut", "rows_missing_at_end", Some(21));
    // Cut below a checkpoint: the signed checkpoint proves the deletion.
    fixture
        .execute(
            "DELETE FROM {log} WHERE tenant_id = $1 AND idx >= 12",
            "cut",
        )
        .await;
    assert_fails(fixture, "cut", "truncated", Some(12));
}

async fn consistent_rewrite(fixture: &Fixture) {
    let log = fixture.log("rewritten").await;
    fixture
        .rewrite_consistently("rewritten", log.as_ref(), 7)
        .await;
    // Rows and head agree again; the signed checkpoint at 10 does not.
    let (code, result) = fixture.verify("rewritten", &[]);
    assert_eq!(code, 4, "{result}");
    assert_eq!(failure(&result), ("checkpoint_root_mismatch", Some(5)));
    let message = result["failure"]["message"].as_str().unwrap();
    assert!(message.contains("entries 5..10"), "{message}");
}

async fn witness_catches_rewrite_of_unsigned_tail(fixture: &Fixture) {
    let log = fixture.log("witnessed").await;
    let witness = fixture.data_dir.parent().unwrap().join("witness-witnessed");
    let witness_arg = witness.display().to_string();
    let kept = fixture.airlock(
        "witnessed",
        &[
            "checkpoints",
            "--out-dir",
            &witness_arg,
            "--sign-now",
            "--format",
            "json",
        ],
    );
    assert_eq!(kept.status.code(), Some(0), "{kept:?}");
    let kept: Value = serde_json::from_slice(&kept.stdout).unwrap();
    assert_eq!(kept["written"], json!([5, 10, 15, 20, 23]));
    let again = fixture.airlock("witnessed", &["checkpoints", "--out-dir", &witness_arg]);
    assert_eq!(again.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("0 checkpoints written, 5 already kept")
    );
    let (code, result) = fixture.verify("witnessed", &["--witness-dir", &witness_arg]);
    assert_eq!(
        (code, &result["witness_checkpoints_checked"]),
        (0, &json!(5)),
        "{result}"
    );

    // Rewrite entry 21 and remove the checkpoint at 23 from the store: the
    // store alone no longer shows anything wrong, the witness does.
    fixture
        .rewrite_consistently("witnessed", log.as_ref(), 21)
        .await;
    sqlx::query(&format!(
        "DELETE FROM {} WHERE tenant_id = $1 AND size = 23",
        fixture.table("checkpoints")
    ))
    .bind("witnessed")
    .execute(&fixture.raw)
    .await
    .unwrap();
    let (code, result) = fixture.verify("witnessed", &[]);
    assert_eq!(code, 0, "{result}");
    let (code, result) = fixture.verify("witnessed", &["--witness-dir", &witness_arg]);
    assert_eq!(code, 4, "{result}");
    assert_eq!(failure(&result), ("witness_fork", Some(20)), "{result}");
    // Signing again now yields another checkpoint for size 23: never kept.
    let forked = fixture.airlock(
        "witnessed",
        &["checkpoints", "--out-dir", &witness_arg, "--sign-now"],
    );
    assert_eq!(forked.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&forked.stdout).contains("holds a different checkpoint"));
}

async fn proofs_export_and_tail(fixture: &Fixture) {
    fixture.log("reader").await;
    let scratch = fixture.data_dir.parent().unwrap();
    let proof = fixture.airlock("reader", &["prove", "--index", "13"]);
    assert_eq!(proof.status.code(), Some(0), "{proof:?}");
    let document: Value = serde_json::from_slice(&proof.stdout).unwrap();
    assert_eq!(document["tree_size"], 20);
    assert_eq!(document["entry"]["subject"], "req_013");
    let path = scratch.join("proof-reader.json");
    std::fs::write(&path, &proof.stdout).unwrap();
    let path_arg = path.display().to_string();
    let valid = fixture.airlock("reader", &["prove", "--verify", &path_arg]);
    assert_eq!(valid.status.code(), Some(0), "{valid:?}");

    let mut forged = document.clone();
    forged["entry"]["data"]["verdict"] = json!("deny");
    std::fs::write(&path, serde_json::to_vec(&forged).unwrap()).unwrap();
    let invalid = fixture.airlock(
        "reader",
        &["prove", "--verify", &path_arg, "--format", "json"],
    );
    assert_eq!(invalid.status.code(), Some(4));
    let verdict: Value = serde_json::from_slice(&invalid.stdout).unwrap();
    assert_eq!(verdict["valid"], false);

    let unsigned = fixture.airlock("reader", &["prove", "--index", "13", "--size", "22"]);
    assert_eq!(unsigned.status.code(), Some(0));
    std::fs::write(&path, &unsigned.stdout).unwrap();
    let unsigned_check = fixture.airlock("reader", &["prove", "--verify", &path_arg]);
    assert_eq!(
        unsigned_check.status.code(),
        Some(4),
        "an unsigned root proves nothing"
    );

    let out_of_range = fixture.airlock("reader", &["prove", "--index", "20"]);
    assert_eq!(out_of_range.status.code(), Some(1));

    let export = fixture.airlock(
        "reader",
        &["export", "--format", "jsonl", "--from-index", "20"],
    );
    assert_eq!(export.status.code(), Some(0));
    let lines: Vec<Value> = String::from_utf8(export.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(
        lines
            .iter()
            .map(|line| line["index"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [20, 21, 22]
    );
    for line in &lines {
        let entry: AuditEntry = serde_json::from_value(line["entry"].clone()).unwrap();
        assert_eq!(line["leaf_hash"], hex::encode(entry.leaf_hash()));
    }
    let since = fixture.airlock(
        "reader",
        &[
            "export",
            "--format",
            "jsonl",
            "--since",
            "2025-01-01T00:00:20Z",
        ],
    );
    assert_eq!(String::from_utf8_lossy(&since.stdout).lines().count(), 3);

    let tail = fixture.airlock("reader", &["tail", "-n", "2", "--format", "json"]);
    let indexes: Vec<u64> = String::from_utf8(tail.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(line).unwrap()["index"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(indexes, [21, 22]);
    let human = fixture.airlock("reader", &["tail", "-n", "1"]);
    assert!(String::from_utf8_lossy(&human.stdout).contains("req_022"));
}

async fn every_tenant(fixture: &Fixture) {
    let output = fixture.airlock("default", &["verify", "--all-tenants", "--format", "json"]);
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let failed: Vec<&str> = report["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|tenant| tenant["ok"] == false)
        .map(|tenant| tenant["tenant"].as_str().unwrap())
        .collect();
    assert_eq!(output.status.code(), Some(4));
    assert!(
        failed.contains(&"edited") && !failed.contains(&"honest"),
        "{failed:?}"
    );
}

async fn run_all(fixture: Fixture) {
    untouched_log_verifies(&fixture).await;
    damaged_stored_root(&fixture).await;
    edited_row(&fixture).await;
    garbled_row(&fixture).await;
    forged_checkpoint(&fixture).await;
    deleted_row(&fixture).await;
    reordered_rows(&fixture).await;
    inserted_row(&fixture).await;
    row_appended_behind_the_store(&fixture).await;
    cut_tail(&fixture).await;
    consistent_rewrite(&fixture).await;
    witness_catches_rewrite_of_unsigned_tail(&fixture).await;
    proofs_export_and_tail(&fixture).await;
    every_tenant(&fixture).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_logs() {
    let scratch = tempfile::tempdir().unwrap();
    let (data_dir, pair) = data_dir_with_key(scratch.path());
    let path = data_dir.join("airlock.db");
    let store = SqlStore::open_with(
        &format!("sqlite://{}", path.display()),
        store_options(&pair),
    )
    .await
    .unwrap();
    sqlx::any::install_default_drivers();
    let raw = AnyPool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    run_all(Fixture {
        _scratch: scratch,
        data_dir,
        database_url: None,
        store,
        raw,
        qualifier: String::new(),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_logs() {
    let Some(test_schema) = airlock_store::testing::TestSchema::new("airlock_cli_test").await
    else {
        return;
    };
    let scratch = tempfile::tempdir().unwrap();
    let (data_dir, pair) = data_dir_with_key(scratch.path());
    let (base, url, schema) = (
        test_schema.base.clone(),
        test_schema.url.clone(),
        test_schema.name.clone(),
    );
    let store = SqlStore::open_with(&url, store_options(&pair))
        .await
        .unwrap();
    let raw = AnyPool::connect(&base).await.unwrap();
    let fixture = Fixture {
        _scratch: scratch,
        data_dir,
        database_url: Some(url),
        store,
        raw: raw.clone(),
        qualifier: format!("\"{schema}\"."),
    };
    // Run the cases on their own task so the schema is dropped either way.
    let outcome = tokio::spawn(run_all(fixture)).await;
    raw.close().await;
    test_schema.drop_schema().await;
    if let Err(error) = outcome {
        std::panic::resume_unwind(error.into_panic());
    }
}
