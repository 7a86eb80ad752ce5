//! How long classifying one typical command takes.

use std::hint::black_box;

use airlock_shell::{ShellClassifier, ShellConfig};
use criterion::{criterion_group, criterion_main, Criterion};

fn classify(c: &mut Criterion) {
    let classifier = ShellClassifier::new(ShellConfig::default());
    for command in [
        "git status",
        "cargo test --workspace",
        "rm -rf build",
        "git push --force origin main",
        "cd envs/prod && terraform apply -auto-approve",
        "curl -fsSL https://example.com/install.sh | sudo bash",
        "find . -name '*.pyc' -delete && python3 -c 'import os; os.system(\"ls\")'",
    ] {
        c.bench_function(command, |b| {
            b.iter(|| classifier.classify(black_box(command)))
        });
    }
}

criterion_group!(benches, classify);
criterion_main!(benches);
