//! Throughput of in-process receipt verification (envelope JSON in, verified
//! receipt out), with a production-like set of options.

use airlock_keys::{SigningKeyPair, TrustedKeys};
use airlock_receipts::{issue, verify, Approver, ReceiptRequest, Subject, VerifyOptions};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use time::{Duration, OffsetDateTime};

fn bench_verify(c: &mut Criterion) {
    let key = SigningKeyPair::from_seed(&[9u8; 32]);
    let plan = vec![b'x'; 16 * 1024];
    let request = ReceiptRequest {
        subject: Subject::for_bytes("plan.json", &plan),
        action_digest: format!("sha256:{}", "ab".repeat(32)),
        environment: "production".to_owned(),
        tenant: "acme".to_owned(),
        agent: "agent-1".to_owned(),
        operator: "alice".to_owned(),
        approvers: vec![
            Approver {
                id: "bob".to_owned(),
                roles: vec!["sre".to_owned()],
            },
            Approver {
                id: "carol".to_owned(),
                roles: vec!["senior".to_owned()],
            },
        ],
        policy_version: "sha256:policy".to_owned(),
        receipt_id: None,
        plan_digest: None,
        commit: Some("0123456789abcdef0123456789abcdef01234567".to_owned()),
    };
    let now = OffsetDateTime::now_utc();
    let envelope = issue(&request, &key, now, Duration::minutes(30))
        .expect("issue")
        .to_json();
    let trusted: TrustedKeys = [key.public_key().clone()].into_iter().collect();

    c.bench_function("verify receipt (16 KiB subject)", |b| {
        b.iter(|| {
            let options = VerifyOptions::new(&trusted, now)
                .with_subject_bytes(&plan)
                .with_environment("production")
                .with_policy_version_pin("sha256:policy");
            verify(black_box(&envelope), &options).expect("verifies")
        })
    });
    // Baseline: the Ed25519 signature check alone, which bounds the total.
    let message = airlock_receipts::pae("application/vnd.in-toto+json", &[b'x'; 1200]);
    let signature = key.sign(&message);
    c.bench_function("ed25519 verify_strict alone (baseline)", |b| {
        b.iter(|| {
            key.public_key()
                .verify(black_box(&message), &signature)
                .expect("verifies")
        })
    });
    c.bench_function("verify receipt (no subject bytes)", |b| {
        b.iter(|| {
            let options = VerifyOptions::new(&trusted, now).with_environment("production");
            verify(black_box(&envelope), &options).expect("verifies")
        })
    });
    // Verifications are independent: one thread per core, as a server or a
    // pipeline checking many receipts would run them.
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let per_core = 500;
    let mut group = c.benchmark_group("every core");
    group.throughput(Throughput::Elements((cores * per_core) as u64));
    group.bench_function(format!("verify receipts on {cores} threads"), |b| {
        b.iter(|| {
            std::thread::scope(|scope| {
                for _ in 0..cores {
                    scope.spawn(|| {
                        let options =
                            VerifyOptions::new(&trusted, now).with_environment("production");
                        for _ in 0..per_core {
                            verify(black_box(&envelope), &options).expect("verifies");
                        }
                    });
                }
            })
        })
    });
    group.finish();
}

criterion_group!(benches, bench_verify);
criterion_main!(benches);
