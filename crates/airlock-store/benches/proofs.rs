//! Proofs served by the store from its stored tree nodes, against a
//! 1,000,000-entry log in SQLite (built with batch appends first):
//! inclusion proofs of entries spread over the log, and consistency proofs
//! from old sizes to the whole log.
//!
//! Run: `cargo bench -p airlock-store --bench proofs`.

use std::sync::Arc;

use airlock_audit::{EntryKind, Timestamp};
use airlock_store::{AuditEvent, SqlStore, Store, StoreOptions, TenantId, TenantStore};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use serde_json::json;

const LOG_SIZE: u64 = 1_000_000;
const BATCH: u64 = 10_000;

fn event(number: u64) -> AuditEvent {
    AuditEvent::new(
        Timestamp::from_unix_micros(1_750_000_000_000_000 + number as i64)
            .unwrap_or_else(|error| panic!("timestamp: {error}")),
        EntryKind::Decision,
        "agent-7",
        format!("req_{number:010}"),
        json!({"verdict": "allow", "command": "git status"}),
    )
}

fn proofs(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|error| panic!("runtime: {error}"));
    let scratch = tempfile::tempdir().unwrap_or_else(|error| panic!("tempdir: {error}"));
    let url = format!("sqlite://{}", scratch.path().join("airlock.db").display());
    let log: Arc<dyn TenantStore> = runtime.block_on(async {
        let store = SqlStore::open_with(&url, StoreOptions::default())
            .await
            .unwrap_or_else(|error| panic!("open: {error}"));
        let tenant = TenantId::new("bench").unwrap_or_else(|error| panic!("{error}"));
        store
            .create_tenant(&tenant, "bench", "bench", Timestamp::now())
            .await
            .unwrap_or_else(|error| panic!("tenant: {error}"));
        let log = store.tenant(&tenant);
        let mut next = 1;
        while next < LOG_SIZE {
            let end = (next + BATCH).min(LOG_SIZE);
            log.append_audit_batch((next..end).map(event).collect())
                .await
                .unwrap_or_else(|error| panic!("append: {error}"));
            next = end;
        }
        log
    });

    let mut group = c.benchmark_group("store_proofs_1m");
    let mut index = 0u64;
    group.bench_function("inclusion", |bencher| {
        bencher.iter(|| {
            index = (index + 7_919) % LOG_SIZE;
            runtime
                .block_on(log.inclusion_proof(black_box(index), LOG_SIZE))
                .unwrap_or_else(|error| panic!("proof: {error}"))
        });
    });
    let mut old_size = 1u64;
    group.bench_function("consistency", |bencher| {
        bencher.iter(|| {
            old_size = (old_size + 7_919) % LOG_SIZE + 1;
            runtime
                .block_on(log.consistency_proof(black_box(old_size), LOG_SIZE))
                .unwrap_or_else(|error| panic!("proof: {error}"))
        });
    });
    group.finish();
}

criterion_group!(benches, proofs);
criterion_main!(benches);
