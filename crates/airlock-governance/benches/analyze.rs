//! Analysis time on a generated policy set of 200 policies and 50 roles.

use std::path::Path;

use airlock_governance::{analyze, Project};
use criterion::{criterion_group, criterion_main, Criterion};

const ROLES: usize = 50;
const POLICIES: usize = 200;

/// Writes a project with `POLICIES` policies over `ROLES` roles: per-role
/// permits and escalations on capability, environment, effect kind, risk,
/// sensitivity and named targets, plus shared forbids.
fn generate(dir: &Path) {
    let policies = dir.join("policies");
    std::fs::create_dir_all(&policies).unwrap();
    std::fs::write(
        dir.join("airlock.toml"),
        "[agent]\nid = \"bench-agent\"\nroles = [\"role0\", \"role1\"]\n\n[policy]\nmode = \"extend\"\n",
    )
    .unwrap();
    let capabilities = ["shell.exec", "file.write", "infra.apply", "mcp.call"];
    let environments = ["scratch", "development", "staging", "production"];
    let kinds = [
        "write",
        "delete",
        "replace",
        "destroy",
        "overwrite",
        "network",
    ];
    let mut text = String::new();
    // 9 policies come from the default pack.
    for i in 0..(POLICIES - 9) {
        let role = i % ROLES;
        let capability = capabilities[i % capabilities.len()];
        let environment = environments[(i / 4) % environments.len()];
        let kind = kinds[i % kinds.len()];
        match i % 4 {
            0 | 1 => text.push_str(&format!(
                "@id(\"p{i}\")\npermit (principal in Airlock::Role::\"role{role}\", action == Airlock::Action::\"{capability}\", resource)\nwhen {{ resource.environment == \"{environment}\" && context.effect.risk <= {} }};\n",
                1 + i % 3
            )),
            2 => text.push_str(&format!(
                "@id(\"p{i}\")\n@approvals(\"{}\")\nforbid (principal in Airlock::Role::\"role{role}\", action, resource)\nwhen {{ context.effect.kind == \"{kind}\" && resource.sensitivity != \"normal\" }};\n",
                1 + i % 2
            )),
            _ => text.push_str(&format!(
                "@id(\"p{i}\")\nforbid (principal, action, resource)\nwhen {{ resource.name == \"target-{i}\" && context.effect.kind == \"{kind}\" }};\n"
            )),
        }
    }
    std::fs::write(policies.join("generated.cedar"), text).unwrap();
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path());
    let project = Project::open(dir.path()).unwrap();
    let analysis = analyze(&project).unwrap();
    eprintln!(
        "generated set: {} policies, {} rows, {}",
        project.load_engine().unwrap().policies().len(),
        analysis.rows.len(),
        analysis.method
    );
    let mut group = c.benchmark_group("analyze");
    group.sample_size(10);
    group.bench_function("200 policies, 50 roles", |b| {
        b.iter(|| analyze(&project).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
