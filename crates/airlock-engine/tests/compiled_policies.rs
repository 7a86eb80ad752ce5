//! Policies read from their compiled forms decide every case of the corpus
//! in `tests/corpus/` exactly as the same policies parsed from their text:
//! the embedded default pack against the pack's files parsed, and a
//! project's policy set read back from the policy cache against the same set
//! parsed and validated.

mod common;

use std::path::Path;

use airlock_model::{Classification, Decision, ToolKind};
use airlock_policy::{PolicyEngine, PolicyMode, PolicySources, Principal, DEFAULT_PACK};
use airlock_shell::ShellClassifier;
use common::corpus;

/// Project policies that change decisions the corpus reaches, written with
/// the constructs project policies use: roles, scope constraints, `unless`,
/// `like`, set membership and escalation annotations.
const PROJECT_POLICIES: &str = r#"
// Interns never delete anything.
@id("interns-never-delete")
@reason("Interns do not delete.")
forbid (principal in Airlock::Role::"intern", action, resource)
when { context.effect.kind == "delete" || context.effect.kind == "destroy" };

// Network access needs a reviewer, except for SREs.
@id("network-needs-review")
@reason("Network access is reviewed.")
@approvals("1")
@approver_roles("sre:1")
forbid (principal, action == Airlock::Action::"shell.exec", resource)
when { context.effect.kind == "network" }
unless { principal in Airlock::Role::"sre" };

// Writes under docs/ need the docs team.
@id("docs-writes-need-docs")
@reason("Documentation changes go through the docs team.")
@approvals("2")
@approver_roles("docs:1")
forbid (principal, action, resource is Airlock::Target)
when {
  resource.name like "docs/*" &&
  ["write", "overwrite", "delete"].contains(context.effect.kind)
};
"#;

fn principals() -> Vec<Principal> {
    vec![
        Principal::new("agent-1", "default"),
        Principal::new("intern-1", "default").with_roles(["intern"]),
        Principal::new("sre-1", "default")
            .with_roles(["sre", "docs"])
            .with_operator("alice"),
    ]
}

/// Every corpus command, classified once.
fn classified() -> Vec<Classification> {
    let shell = ShellClassifier::new(Default::default());
    corpus()
        .iter()
        .map(|case| shell.classify(&case.command))
        .collect()
}

/// Each principal's decision on each classified command.
fn decisions(engine: &PolicyEngine, commands: &[Classification]) -> Vec<Decision> {
    let principals = principals();
    commands
        .iter()
        .flat_map(|classification| {
            principals
                .iter()
                .map(|principal| engine.decide(principal, ToolKind::Shell, classification))
        })
        .collect()
}

/// Decisions with the policy set's version left out (two sets of the same
/// policies from differently named files have different versions).
fn without_version(mut decisions: Vec<Decision>) -> Vec<Decision> {
    for decision in &mut decisions {
        decision.policy_version.clear();
    }
    decisions
}

fn sources(dir: &Path, mode: PolicyMode) -> PolicySources {
    PolicySources {
        dirs: vec![dir.to_path_buf()],
        mode,
    }
}

#[test]
fn the_embedded_default_pack_decides_the_corpus_as_its_parsed_text() {
    let commands = classified();
    assert!(commands.len() >= 400, "only {} cases", commands.len());
    let pack_files = tempfile::tempdir().unwrap();
    for (name, text) in DEFAULT_PACK {
        std::fs::write(pack_files.path().join(name), text).unwrap();
    }
    let parsed = PolicyEngine::load(&sources(pack_files.path(), PolicyMode::Replace)).unwrap();
    assert!(!parsed.loaded_from_compiled_form());
    let embedded = PolicyEngine::default_pack().unwrap();
    assert!(embedded.loaded_from_compiled_form());

    assert_eq!(
        without_version(decisions(&embedded, &commands)),
        without_version(decisions(&parsed, &commands))
    );
}

#[test]
fn a_cached_project_set_decides_the_corpus_as_its_parsed_text() {
    let commands = classified();
    let project = tempfile::tempdir().unwrap();
    std::fs::write(project.path().join("project.cedar"), PROJECT_POLICIES).unwrap();
    let sources = sources(project.path(), PolicyMode::Extend);
    let cache = tempfile::tempdir().unwrap();
    let cache_dir = cache.path().join("policies");

    let parsed = PolicyEngine::load(&sources).unwrap();
    let first = PolicyEngine::load_cached(&sources, &cache_dir).unwrap();
    let cached = PolicyEngine::load_cached(&sources, &cache_dir).unwrap();
    assert!(!parsed.loaded_from_compiled_form());
    assert!(!first.loaded_from_compiled_form());
    assert!(cached.loaded_from_compiled_form());
    assert_eq!(cached.policies(), parsed.policies());
    assert_eq!(cached.version(), parsed.version());

    let expected = decisions(&parsed, &commands);
    assert_eq!(decisions(&first, &commands), expected);
    assert_eq!(decisions(&cached, &commands), expected);
    // The project's policies decide differently from the pack alone, so
    // the comparison covers them.
    let pack_alone = decisions(&PolicyEngine::default_pack().unwrap(), &commands);
    let changed = expected
        .iter()
        .zip(&pack_alone)
        .filter(|(with_project, alone)| with_project.verdict != alone.verdict)
        .count();
    assert!(changed > 0);
}
