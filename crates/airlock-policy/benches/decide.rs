//! Start-up and hot-path cost of the policy engine: building the default
//! pack, loading and validating a project policy, and deciding.

use std::hint::black_box;

use airlock_model::{
    Classification, Effect, EffectKind, EnvTier, Evidence, Reversibility, Risk, Target, TargetKind,
    ToolKind,
};
use airlock_policy::{PolicyEngine, PolicyMode, PolicySources, Principal};
use criterion::{criterion_group, criterion_main, Criterion};

fn effect(kind: EffectKind, risk: Risk, name: &str, environment: EnvTier) -> Effect {
    Effect {
        kind,
        target: Target::new(TargetKind::Path, name).with_environment(environment),
        reversibility: Reversibility::Reversible,
        risk,
        rule: "bench.rule".to_string(),
        reason: "a benchmark effect".to_string(),
        evidence: Evidence::default(),
    }
}

fn classification(effects: Vec<Effect>) -> Classification {
    Classification {
        effects,
        commands: Vec::new(),
    }
}

fn bench_start_up(c: &mut Criterion) {
    c.bench_function("default_pack", |b| {
        b.iter(|| black_box(PolicyEngine::default_pack()))
    });
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("deployers.cedar"),
        "@id(\"deployers\")\n@reason(\"Deployers apply.\")\npermit (principal in Airlock::Role::\"deployer\", action == Airlock::Action::\"infra.apply\", resource)\nwhen { resource.environment == \"production\" };\n",
    )
    .expect("write policy");
    let sources = PolicySources {
        dirs: vec![dir.path().to_path_buf()],
        mode: PolicyMode::Extend,
    };
    c.bench_function("load_extend_one_project_policy_validated", |b| {
        b.iter(|| black_box(PolicyEngine::load(&sources)))
    });
    let cache = tempfile::tempdir().expect("temp dir");
    c.bench_function("load_extend_one_project_policy_cached", |b| {
        b.iter(|| black_box(PolicyEngine::load_cached(&sources, cache.path())))
    });
}

fn bench_decide(c: &mut Criterion) {
    let engine = PolicyEngine::default_pack().expect("default pack");
    let principal = Principal::new("agent-1", "default");
    let one = classification(vec![effect(
        EffectKind::Delete,
        Risk::Low,
        "notes.txt",
        EnvTier::Unknown,
    )]);
    c.bench_function("decide_one_effect_allow", |b| {
        b.iter(|| black_box(engine.decide(&principal, ToolKind::Shell, black_box(&one))))
    });
    let escalated = classification(vec![effect(
        EffectKind::Replace,
        Risk::High,
        "terraform_data.cost_explorer_production",
        EnvTier::Production,
    )]);
    c.bench_function("decide_one_effect_escalate", |b| {
        b.iter(|| {
            black_box(engine.decide(&principal, ToolKind::TerraformPlan, black_box(&escalated)))
        })
    });
    let five = classification(
        [
            (EffectKind::Read, Risk::None),
            (EffectKind::Execute, Risk::Low),
            (EffectKind::Write, Risk::Low),
            (EffectKind::Delete, Risk::Medium),
            (EffectKind::Network, Risk::Low),
        ]
        .into_iter()
        .map(|(kind, risk)| effect(kind, risk, "src/", EnvTier::Development))
        .collect(),
    );
    c.bench_function("decide_five_effects", |b| {
        b.iter(|| black_box(engine.decide(&principal, ToolKind::Shell, black_box(&five))))
    });
}

criterion_group!(benches, bench_start_up, bench_decide);
criterion_main!(benches);
