//! The audit log at scale, through the store and the `airlock` binary:
//!
//! - group commit: entries per second appended with `append_audit_batch`
//!   (1,000 entries per transaction, a signed checkpoint every 256 entries,
//!   SQLite with `synchronous=FULL`), against one transaction per entry;
//! - the same on PostgreSQL when one is reachable (127.0.0.1:5432, database
//!   `test`, or `AIRLOCK_TEST_DATABASE_URL`), in a fresh schema dropped after;
//! - `airlock audit verify` of the whole log as a process (wall clock), the
//!   log built with batch appends (1,000,000 entries unless
//!   `AIRLOCK_BENCH_AUDIT_ENTRIES` says otherwise).
//!
//! The state goes to a temporary directory, or to `AIRLOCK_BENCH_AUDIT_DIR`
//! (which must not exist yet) to keep it for inspection.
//!
//! Run: `cargo bench -p airlock-cli --bench audit_log`.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use airlock_audit::{CheckpointPolicy, EntryKind, Timestamp};
use airlock_keys::{write_keypair, KeyPaths, SigningKeyPair};
use airlock_store::{
    AuditEvent, CheckpointKey, SqlStore, Store, StoreOptions, TenantId, TenantStore,
};
use serde_json::json;

const BATCH: u64 = 1_000;
const SINGLE_APPENDS: u64 = 2_000;
const POSTGRES_ENTRIES: u64 = 200_000;
const VERIFY_RUNS: usize = 3;

fn event(number: u64) -> AuditEvent {
    AuditEvent::new(
        Timestamp::from_unix_micros(1_750_000_000_000_000 + number as i64 * 1_000)
            .unwrap_or_else(|error| panic!("timestamp: {error}")),
        EntryKind::Decision,
        format!("agent-{}", number % 7),
        format!("req_{number:010}"),
        json!({
            "verdict": if number.is_multiple_of(11) { "escalate" } else { "allow" },
            "command": "terraform -chdir=envs/prod plan -out tfplan",
            "risk": "medium",
            "findings": ["terraform.plan"],
            "policy_version": "sha256:3f1c0e5b9a",
        }),
    )
}

fn options(pair: &SigningKeyPair) -> StoreOptions {
    StoreOptions {
        checkpoint_key: Some(CheckpointKey {
            origin_prefix: "airlock".into(),
            key_name: format!("airlock-checkpoints-{}", pair.key_id()),
            key: pair.ed25519().clone(),
        }),
        checkpoint_policy: CheckpointPolicy::every(256),
        ..StoreOptions::default()
    }
}

/// Appends `count` entries in batches; returns the time it took.
async fn append_batched(log: &dyn TenantStore, first: u64, count: u64) -> Duration {
    let started = Instant::now();
    let mut next = first;
    while next < first + count {
        let end = (next + BATCH).min(first + count);
        let events = (next..end).map(event).collect();
        log.append_audit_batch(events)
            .await
            .unwrap_or_else(|error| panic!("batch append: {error}"));
        next = end;
    }
    started.elapsed()
}

fn rate(count: u64, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64()
}

async fn postgres_url() -> Option<String> {
    let candidates = match std::env::var("AIRLOCK_TEST_DATABASE_URL") {
        Ok(url) => vec![url],
        Err(_) => vec![
            "postgres://postgres@127.0.0.1:5432/test".to_owned(),
            "postgres://root@127.0.0.1:5432/test".to_owned(),
        ],
    };
    sqlx::any::install_default_drivers();
    for url in candidates {
        if let Ok(pool) = sqlx::any::AnyPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(3))
            .connect(&url)
            .await
        {
            pool.close().await;
            return Some(url);
        }
    }
    None
}

fn run_verify(airlock: &str, args: &[&str]) -> Duration {
    let started = Instant::now();
    let output = Command::new(airlock)
        .args(["audit", "verify"])
        .args(args)
        .output()
        .unwrap_or_else(|error| panic!("run airlock: {error}"));
    let elapsed = started.elapsed();
    assert!(
        output.status.success(),
        "airlock audit verify failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    elapsed
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

async fn sqlite(airlock: &str, data_dir: &Path, pair: &SigningKeyPair, entries: u64) {
    let url = format!("sqlite://{}", data_dir.join("airlock.db").display());
    let store = SqlStore::open_with(&url, options(pair))
        .await
        .unwrap_or_else(|error| panic!("open: {error}"));
    let now = Timestamp::now();
    for tenant in ["default", "single"] {
        store
            .create_tenant(
                &TenantId::new(tenant).unwrap_or_else(|e| panic!("{e}")),
                tenant,
                "bench",
                now,
            )
            .await
            .unwrap_or_else(|error| panic!("tenant: {error}"));
    }
    let single = store.tenant(&TenantId::new("single").unwrap_or_else(|e| panic!("{e}")));
    let started = Instant::now();
    for number in 0..SINGLE_APPENDS {
        single
            .append_audit(event(number))
            .await
            .unwrap_or_else(|error| panic!("append: {error}"));
    }
    let single_rate = rate(SINGLE_APPENDS, started.elapsed());

    let log = store.tenant(&TenantId::new("default").unwrap_or_else(|e| panic!("{e}")));
    let elapsed = append_batched(log.as_ref(), 0, entries).await;
    store.close().await;
    println!(
        "SQLite append, one transaction per entry: {single_rate:.0} entries/s ({SINGLE_APPENDS} entries)"
    );
    println!(
        "SQLite append, batches of {BATCH}: {:.0} entries/s ({entries} entries in {:.2} s, checkpoint every 256)",
        rate(entries, elapsed),
        elapsed.as_secs_f64()
    );
    let database = data_dir.join("airlock.db");
    let bytes = std::fs::metadata(&database).map(|m| m.len()).unwrap_or(0);
    println!("SQLite file: {:.0} MiB", bytes as f64 / (1024.0 * 1024.0));

    let dir = data_dir.display().to_string();
    let _warm = run_verify(airlock, &["--data-dir", &dir]);
    let times: Vec<Duration> = (0..VERIFY_RUNS)
        .map(|_| run_verify(airlock, &["--data-dir", &dir]))
        .collect();
    println!(
        "airlock audit verify, {} entries (SQLite): median {:.2} s, runs {:?}",
        entries + 1,
        median(times.clone()).as_secs_f64(),
        times
            .iter()
            .map(|t| format!("{:.2}", t.as_secs_f64()))
            .collect::<Vec<_>>()
    );
}

async fn postgres(airlock: &str, data_dir: &Path, pair: &SigningKeyPair) {
    let Some(base) = postgres_url().await else {
        println!("PostgreSQL: not reachable, skipped");
        return;
    };
    let salt = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let schema = format!("airlock_bench_{}_{salt}", std::process::id());
    let separator = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{separator}schema={schema}");
    let store = SqlStore::open_with(&url, options(pair))
        .await
        .unwrap_or_else(|error| panic!("open: {error}"));
    store
        .create_tenant(
            &TenantId::new("default").unwrap_or_else(|e| panic!("{e}")),
            "default",
            "bench",
            Timestamp::now(),
        )
        .await
        .unwrap_or_else(|error| panic!("tenant: {error}"));
    let log = store.tenant(&TenantId::new("default").unwrap_or_else(|e| panic!("{e}")));
    let elapsed = append_batched(log.as_ref(), 0, POSTGRES_ENTRIES).await;
    store.close().await;
    println!(
        "PostgreSQL append, batches of {BATCH}: {:.0} entries/s ({POSTGRES_ENTRIES} entries in {:.2} s)",
        rate(POSTGRES_ENTRIES, elapsed),
        elapsed.as_secs_f64()
    );
    let dir = data_dir.display().to_string();
    let times: Vec<Duration> = (0..VERIFY_RUNS)
        .map(|_| run_verify(airlock, &["--data-dir", &dir, "--database-url", &url]))
        .collect();
    println!(
        "airlock audit verify, {} entries (PostgreSQL): median {:.2} s",
        POSTGRES_ENTRIES + 1,
        median(times).as_secs_f64()
    );
    let raw = sqlx::AnyPool::connect(&base)
        .await
        .unwrap_or_else(|error| panic!("connect: {error}"));
    sqlx::raw_sql(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
        .execute(&raw)
        .await
        .unwrap_or_else(|error| panic!("drop schema: {error}"));
    raw.close().await;
}

fn main() {
    if std::env::args().any(|arg| arg == "--list") {
        return;
    }
    let airlock = env!("CARGO_BIN_EXE_airlock");
    let entries: u64 = std::env::var("AIRLOCK_BENCH_AUDIT_ENTRIES")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(1_000_000);
    let scratch = tempfile::tempdir().unwrap_or_else(|error| panic!("tempdir: {error}"));
    let data_dir = match std::env::var_os("AIRLOCK_BENCH_AUDIT_DIR") {
        Some(dir) => {
            let dir = std::path::PathBuf::from(dir);
            assert!(!dir.exists(), "{} exists already", dir.display());
            dir
        }
        None => scratch.path().join("state"),
    };
    let pair = SigningKeyPair::from_seed(&[9; 32]);
    std::fs::create_dir_all(data_dir.join("keys"))
        .unwrap_or_else(|error| panic!("keys dir: {error}"));
    write_keypair(
        &pair,
        &KeyPaths::in_dir(data_dir.join("keys"), "checkpoints"),
        false,
    )
    .unwrap_or_else(|error| panic!("keys: {error}"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|error| panic!("runtime: {error}"));
    // The log holds the tenant's creation entry plus `entries - 1` more.
    runtime.block_on(sqlite(airlock, &data_dir, &pair, entries.saturating_sub(1)));
    runtime.block_on(postgres(airlock, &data_dir, &pair));
}
