//! Judging the 3,000-resource fixture plan (6.9 MB), end to end.

use std::io::Read;

use airlock_terraform::{plan_digest, PlanClassifier, PlanConfig};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn large_plan() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/terraform/plan-large-3000.json.gz"
    );
    let compressed = std::fs::read(path).expect("fixture plan-large-3000.json.gz");
    let mut text = String::new();
    flate2::read::GzDecoder::new(compressed.as_slice())
        .read_to_string(&mut text)
        .expect("gzip plan");
    text
}

fn bench_plan(c: &mut Criterion) {
    let plan = large_plan();
    let classifier = PlanClassifier::new(PlanConfig {
        production_patterns: vec!["region=cn-north-1".into()],
        ..PlanConfig::default()
    });
    let mut group = c.benchmark_group("plan");
    group.throughput(Throughput::Bytes(plan.len() as u64));
    group.sample_size(20);
    group.bench_function("classify_large_3000", |b| {
        b.iter(|| {
            let report = classifier
                .classify(std::hint::black_box(&plan), None)
                .expect("valid plan");
            assert_eq!(report.classification.effects.len(), 30);
            report
        })
    });
    group.bench_function("digest_large_3000", |b| {
        b.iter(|| plan_digest(std::hint::black_box(plan.as_bytes())))
    });
    group.finish();
}

criterion_group!(benches, bench_plan);
criterion_main!(benches);
