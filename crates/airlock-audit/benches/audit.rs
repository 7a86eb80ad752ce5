//! Throughput of the audit log core: appending entries with periodic
//! signed checkpoints, verifying a million-entry log, and generating proofs
//! against a million-entry in-memory tree.

use airlock_audit::*;
use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use ed25519_dalek::SigningKey;
use serde_json::json;
use std::convert::Infallible;

const APPEND_BATCH: u64 = 20_000;
const LARGE_LOG: u64 = 1_000_000;
const CHECKPOINT_EVERY: u64 = 1_000;

fn signing_key() -> SigningKey {
    SigningKey::from_bytes(&[42; 32])
}

fn writer() -> LogWriter {
    let signer = CheckpointSigner::new("airlock/bench", "airlock-log", signing_key())
        .unwrap_or_else(|error| panic!("signer: {error}"));
    LogWriter::new(signer, CheckpointPolicy::every(CHECKPOINT_EVERY))
}

fn entry(number: u64) -> AuditEntry {
    AuditEntry {
        index: 0,
        timestamp: Timestamp::from_unix_micros(1_700_000_000_000_000 + number as i64)
            .unwrap_or_else(|error| panic!("timestamp: {error}")),
        tenant: "acme".into(),
        kind: EntryKind::Decision,
        actor: "agent-7".into(),
        subject: format!("req_{number:08}"),
        data: json!({
            "verdict": "escalate",
            "command": "terraform apply -auto-approve",
            "risk": "high",
            "findings": ["prod_database_destroy"],
        }),
    }
}

fn append(c: &mut Criterion) {
    let entries: Vec<AuditEntry> = (0..APPEND_BATCH).map(entry).collect();
    let mut group = c.benchmark_group("append");
    group.throughput(Throughput::Elements(APPEND_BATCH));
    group.sample_size(10);
    group.bench_function("20k_entries_checkpoint_every_1000", |bencher| {
        bencher.iter_batched(
            || (writer(), entries.clone()),
            |(mut writer, entries)| {
                let mut checkpoints = 0;
                for entry in entries {
                    let appended = writer.append(entry);
                    checkpoints += usize::from(appended.checkpoint.is_some());
                    black_box(appended.stored);
                }
                assert_eq!(checkpoints, 20);
                writer.root()
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

fn verify_million(c: &mut Criterion) {
    let mut writer = writer();
    let mut rows = Vec::with_capacity(LARGE_LOG as usize);
    let mut checkpoints = Vec::new();
    for number in 0..LARGE_LOG {
        let appended = writer.append(entry(number));
        rows.push(appended.stored);
        checkpoints.extend(appended.checkpoint);
    }
    let key = signing_key().verifying_key();
    let mut group = c.benchmark_group("verify");
    group.throughput(Throughput::Elements(LARGE_LOG));
    group.sample_size(10);
    group.bench_function("1m_entries_1000_checkpoints", |bencher| {
        bencher.iter(|| {
            let report = verify_log(rows.iter().map(Ok::<_, Infallible>), &checkpoints, &key);
            assert!(report.is_ok());
            report
        });
    });
    group.finish();
}

fn proofs_million(c: &mut Criterion) {
    let tree = MemoryTree::from_leaf_hashes((0..LARGE_LOG).map(|i| leaf_hash(&i.to_le_bytes())));
    let mut group = c.benchmark_group("proofs_1m");
    let mut index = 0u64;
    group.bench_function("inclusion", |bencher| {
        bencher.iter(|| {
            index = (index + 7_919) % LARGE_LOG;
            inclusion_proof(black_box(index), LARGE_LOG, &tree)
        });
    });
    let mut old_size = 1u64;
    group.bench_function("consistency", |bencher| {
        bencher.iter(|| {
            old_size = (old_size + 7_919) % LARGE_LOG + 1;
            consistency_proof(black_box(old_size), LARGE_LOG, &tree)
        });
    });
    let root = tree.root();
    let proof = inclusion_proof(123_456, LARGE_LOG, &tree).unwrap_or_default();
    let leaf = leaf_hash(&123_456u64.to_le_bytes());
    group.bench_function("verify_inclusion", |bencher| {
        bencher.iter(|| verify_inclusion(&leaf, 123_456, LARGE_LOG, black_box(&proof), &root));
    });
    group.finish();
}

criterion_group!(benches, append, verify_million, proofs_million);
criterion_main!(benches);
