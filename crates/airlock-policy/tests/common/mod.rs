//! Builders shared by the policy tests: effects, classifications and policy
//! directories written to temporary folders.
#![allow(dead_code)]

use std::path::Path;

use airlock_model::{
    Classification, Effect, EffectKind, EnvTier, Evidence, Reversibility, Risk, Sensitivity,
    Target, TargetKind,
};
use airlock_policy::{PolicyEngine, PolicyMode, PolicySources, Principal};

pub fn effect(kind: EffectKind, risk: Risk, target: &str) -> Effect {
    Effect {
        kind,
        target: Target::new(TargetKind::Path, target),
        reversibility: Reversibility::Unknown,
        risk,
        rule: format!("test.{}", kind.as_str()),
        reason: "a test effect".to_string(),
        evidence: Evidence::default(),
    }
}

pub fn in_env(mut effect: Effect, environment: EnvTier) -> Effect {
    effect.target.environment = environment;
    effect
}

pub fn with_sensitivity(mut effect: Effect, sensitivity: Sensitivity) -> Effect {
    effect.target.sensitivity = sensitivity;
    effect
}

pub fn with_rule(mut effect: Effect, rule: &str) -> Effect {
    effect.rule = rule.to_string();
    effect
}

pub fn classification(effects: Vec<Effect>) -> Classification {
    Classification {
        effects,
        commands: Vec::new(),
    }
}

pub fn agent() -> Principal {
    Principal::new("agent-1", "default")
}

/// Writes `files` (name, text) into `dir`.
pub fn write_policies(dir: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

pub fn sources(dir: &Path, mode: PolicyMode) -> PolicySources {
    PolicySources {
        dirs: vec![dir.to_path_buf()],
        mode,
    }
}

/// Loads `files` from a fresh temporary directory in `mode`.
pub fn load(
    files: &[(&str, &str)],
    mode: PolicyMode,
) -> (
    tempfile::TempDir,
    Result<PolicyEngine, airlock_policy::PolicyError>,
) {
    let dir = tempfile::tempdir().unwrap();
    write_policies(dir.path(), files);
    let result = PolicyEngine::load(&sources(dir.path(), mode));
    (dir, result)
}
