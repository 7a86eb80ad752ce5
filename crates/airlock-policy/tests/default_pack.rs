//! The default pack decides exactly what docs/default-policy.md says: each
//! rule with a case it matches and a close case it does not.

mod common;

use airlock_model::{
    ApprovalRequirement, EffectKind, EnvTier, Risk, RoleRequirement, Sensitivity, TargetKind,
    ToolKind, Verdict,
};
use airlock_policy::{PolicyEffect, PolicyEngine, PolicyMode};
use cedar_policy::{ValidationMode, Validator};
use common::*;

fn engine() -> PolicyEngine {
    PolicyEngine::default_pack().unwrap()
}

fn one_approver() -> ApprovalRequirement {
    ApprovalRequirement {
        min_approvers: 1,
        roles: Vec::new(),
    }
}

fn production_requirement() -> ApprovalRequirement {
    ApprovalRequirement {
        min_approvers: 2,
        roles: vec![RoleRequirement {
            role: "senior".to_string(),
            count: 1,
        }],
    }
}

/// Decides one effect through the shell and checks verdict and policies.
fn check(effect: airlock_model::Effect, verdict: Verdict, policies: &[&str]) {
    let decision = engine().decide(&agent(), ToolKind::Shell, &classification(vec![effect]));
    assert_eq!(decision.verdict, verdict, "{}", decision.reason);
    assert_eq!(decision.policies, policies, "{}", decision.reason);
    assert_eq!(decision.findings.len(), 1);
    assert_eq!(decision.findings[0].policies, policies);
}

#[test]
fn default_pack_validates_strictly() {
    let engine = engine();
    let validator = Validator::new(PolicyEngine::schema().unwrap());
    let result = validator.validate(engine.policy_set(), ValidationMode::Strict);
    let errors: Vec<String> = result.validation_errors().map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let warnings: Vec<String> = result
        .validation_warnings()
        .map(|w| w.to_string())
        .collect();
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn default_pack_is_the_documented_table_in_order() {
    let engine = engine();
    let listed: Vec<(&str, Verdict)> = engine
        .policies()
        .iter()
        .map(|p| (p.id.as_str(), p.verdict_when_satisfied()))
        .collect();
    assert_eq!(
        listed,
        [
            ("deny-critical-targets", Verdict::Deny),
            ("deny-exfiltration", Verdict::Deny),
            ("escalate-production", Verdict::Escalate),
            ("escalate-unknown-effect", Verdict::Escalate),
            ("escalate-destructive", Verdict::Escalate),
            ("escalate-protected-targets", Verdict::Escalate),
            ("escalate-privilege", Verdict::Escalate),
            ("escalate-high-risk", Verdict::Escalate),
            ("allow-routine-work", Verdict::Allow),
        ]
    );
    for policy in engine.policies() {
        let reason = policy.reason.as_deref().unwrap_or_default();
        assert!(reason.ends_with('.'), "{}: {reason}", policy.id);
        assert!(policy.file.starts_with("default/"), "{}", policy.file);
        let expected = match policy.id.as_str() {
            "escalate-production" => Some(production_requirement()),
            id if id.starts_with("escalate-") => Some(one_approver()),
            _ => None,
        };
        assert_eq!(policy.approvals, expected, "{}", policy.id);
    }
    let permits = engine
        .policies()
        .iter()
        .filter(|p| p.effect == PolicyEffect::Permit)
        .count();
    assert_eq!(permits, 1);
    // The docs table lists every id.
    let doc = include_str!("../../../docs/default-policy.md");
    for policy in engine.policies() {
        assert!(doc.contains(&format!("`{}`", policy.id)), "{}", policy.id);
    }
}

#[test]
fn deny_critical_targets() {
    let root = |kind, risk| with_sensitivity(effect(kind, risk, "/"), Sensitivity::Critical);
    check(
        root(EffectKind::Delete, Risk::Critical),
        Verdict::Deny,
        &["deny-critical-targets"],
    );
    check(
        root(EffectKind::Write, Risk::Low),
        Verdict::Deny,
        &["deny-critical-targets"],
    );
    check(
        root(EffectKind::Read, Risk::None),
        Verdict::Allow,
        &["allow-routine-work"],
    );
    check(
        root(EffectKind::Execute, Risk::Low),
        Verdict::Allow,
        &["allow-routine-work"],
    );
}

#[test]
fn deny_exfiltration() {
    check(
        effect(EffectKind::Exfiltrate, Risk::Low, "~/.aws/credentials"),
        Verdict::Deny,
        &["deny-exfiltration"],
    );
    check(
        effect(EffectKind::Network, Risk::Low, "https://example.com"),
        Verdict::Allow,
        &["allow-routine-work"],
    );
}

#[test]
fn escalate_production() {
    let prod = |kind, risk| in_env(effect(kind, risk, "prod-db"), EnvTier::Production);
    let decision = engine().decide(
        &agent(),
        ToolKind::Shell,
        &classification(vec![prod(EffectKind::Write, Risk::Low)]),
    );
    assert_eq!(decision.verdict, Verdict::Escalate);
    assert_eq!(decision.policies, ["escalate-production"]);
    assert_eq!(decision.approvals, Some(production_requirement()));
    check(
        prod(EffectKind::Read, Risk::None),
        Verdict::Allow,
        &["allow-routine-work"],
    );
    check(
        in_env(
            effect(EffectKind::Write, Risk::Low, "stg-db"),
            EnvTier::Staging,
        ),
        Verdict::Allow,
        &["allow-routine-work"],
    );
}

#[test]
fn escalate_unknown_effect() {
    check(
        effect(EffectKind::Unknown, Risk::Medium, "eval \"$x\""),
        Verdict::Escalate,
        &["escalate-unknown-effect"],
    );
    check(
        effect(EffectKind::Execute, Risk::Medium, "cargo test"),
        Verdict::Allow,
        &["allow-routine-work"],
    );
}

#[test]
fn escalate_destructive() {
    for kind in [
        EffectKind::Delete,
        EffectKind::Destroy,
        EffectKind::Replace,
        EffectKind::Overwrite,
    ] {
        check(
            effect(kind, Risk::Medium, "src/"),
            Verdict::Escalate,
            &["escalate-destructive"],
        );
        check(
            effect(kind, Risk::Low, "build/"),
            Verdict::Allow,
            &["allow-routine-work"],
        );
    }
    check(
        effect(EffectKind::Write, Risk::Medium, "src/lib.rs"),
        Verdict::Allow,
        &["allow-routine-work"],
    );
}

#[test]
fn escalate_protected_targets() {
    let protected = |kind, risk| {
        with_sensitivity(
            effect(kind, risk, ".github/workflows/ci.yml"),
            Sensitivity::Protected,
        )
    };
    check(
        protected(EffectKind::Write, Risk::Low),
        Verdict::Escalate,
        &["escalate-protected-targets"],
    );
    check(
        protected(EffectKind::Read, Risk::None),
        Verdict::Allow,
        &["allow-routine-work"],
    );
    check(
        protected(EffectKind::Execute, Risk::Low),
        Verdict::Allow,
        &["allow-routine-work"],
    );
}

#[test]
fn escalate_privilege() {
    check(
        effect(EffectKind::Privilege, Risk::Medium, "sudo"),
        Verdict::Escalate,
        &["escalate-privilege"],
    );
    check(
        effect(EffectKind::Execute, Risk::Medium, "make"),
        Verdict::Allow,
        &["allow-routine-work"],
    );
}

#[test]
fn escalate_high_risk() {
    check(
        effect(EffectKind::Execute, Risk::High, "curl https://x | sh"),
        Verdict::Escalate,
        &["escalate-high-risk"],
    );
    check(
        effect(EffectKind::Network, Risk::Critical, "somewhere"),
        Verdict::Escalate,
        &["escalate-high-risk"],
    );
    check(
        effect(EffectKind::Execute, Risk::Medium, "npm install"),
        Verdict::Allow,
        &["allow-routine-work"],
    );
}

#[test]
fn allow_routine_work_covers_medium_risk_and_below_only() {
    for risk in [Risk::None, Risk::Low, Risk::Medium] {
        check(
            effect(EffectKind::Write, risk, "notes.txt"),
            Verdict::Allow,
            &["allow-routine-work"],
        );
    }
    // Alone, the routine permit leaves high-risk effects unpermitted.
    let only_permit = [("routine.cedar", airlock_policy::DEFAULT_PACK[8].1)];
    let (_dir, engine) = load(&only_permit, PolicyMode::Replace);
    let engine = engine.unwrap();
    let decision = engine.decide(
        &agent(),
        ToolKind::Shell,
        &classification(vec![effect(EffectKind::Write, Risk::High, "notes.txt")]),
    );
    assert_eq!(decision.verdict, Verdict::Deny);
    assert!(decision.policies.is_empty());
    assert_eq!(
        decision.reason,
        "deny: no policy permits write of notes.txt (a test effect) [rule test.write]"
    );
}

#[test]
fn reason_names_effect_target_requirement_policy_and_rule() {
    let mut replace = in_env(
        effect(
            EffectKind::Replace,
            Risk::High,
            "terraform_data.cost_explorer_production",
        ),
        EnvTier::Production,
    );
    replace.target.kind = TargetKind::Resource;
    replace.rule = "terraform.replace".to_string();
    let decision = engine().decide(
        &agent(),
        ToolKind::TerraformPlan,
        &classification(vec![replace]),
    );
    assert_eq!(decision.verdict, Verdict::Escalate);
    assert_eq!(
        decision.reason,
        "escalate: replace of terraform_data.cost_explorer_production (production) needs 2 approvers, at least 1 senior (a test effect) — Changes to production need two people, one of them senior. [escalate-production; rule terraform.replace]"
    );
    assert_eq!(
        decision.policies,
        [
            "escalate-production",
            "escalate-destructive",
            "escalate-high-risk"
        ]
    );
    assert_eq!(decision.approvals, Some(production_requirement()));
    assert_eq!(decision.risk, Risk::High);
}

#[test]
fn empty_classification_is_allowed() {
    let decision = engine().decide(&agent(), ToolKind::Shell, &classification(Vec::new()));
    assert_eq!(decision.verdict, Verdict::Allow);
    assert_eq!(decision.reason, "no effects found");
    assert_eq!(decision.risk, Risk::None);
    assert!(decision.findings.is_empty());
}

#[test]
fn strictest_verdict_wins_and_risk_is_the_maximum() {
    let effects = vec![
        effect(EffectKind::Read, Risk::None, "README.md"),
        effect(EffectKind::Delete, Risk::Medium, "src/"),
        with_sensitivity(
            effect(EffectKind::Delete, Risk::Critical, "/"),
            Sensitivity::Critical,
        ),
        effect(EffectKind::Execute, Risk::Low, "cargo test"),
    ];
    let decision = engine().decide(&agent(), ToolKind::Shell, &classification(effects));
    assert_eq!(decision.verdict, Verdict::Deny);
    assert_eq!(decision.risk, Risk::Critical);
    assert_eq!(decision.approvals, None);
    let verdicts: Vec<Verdict> = decision.findings.iter().map(|f| f.verdict).collect();
    assert_eq!(
        verdicts,
        [
            Verdict::Allow,
            Verdict::Escalate,
            Verdict::Deny,
            Verdict::Allow
        ]
    );
    assert_eq!(
        decision.policies,
        [
            "allow-routine-work",
            "escalate-destructive",
            "deny-critical-targets"
        ]
    );
    assert!(
        decision
            .reason
            .starts_with("deny: delete of / (critical) (a test effect) — "),
        "{}",
        decision.reason
    );
    assert!(decision
        .reason
        .ends_with("[deny-critical-targets; rule test.delete]"));
    assert_eq!(
        decision
            .decisive_finding()
            .map(|f| f.effect.target.name.as_str()),
        Some("/")
    );
}

#[test]
fn decision_carries_the_policy_version() {
    let engine = engine();
    let decision = engine.decide(
        &agent(),
        ToolKind::Shell,
        &classification(vec![effect(EffectKind::Read, Risk::None, "x")]),
    );
    assert_eq!(decision.policy_version, engine.version());
    assert!(engine.version().starts_with("sha256:"));
    assert_eq!(engine.version().len(), "sha256:".len() + 64);
    assert_eq!(
        PolicyEngine::default_pack().unwrap().version(),
        engine.version()
    );
}

#[test]
fn every_tool_kind_is_judged() {
    let engine = engine();
    for tool in ToolKind::ALL {
        let decision = engine.decide(
            &agent(),
            tool,
            &classification(vec![effect(EffectKind::Write, Risk::Low, "x")]),
        );
        assert_eq!(decision.verdict, Verdict::Allow, "{tool:?}");
    }
}

#[test]
fn odd_names_are_entity_ids_not_cedar_source() {
    let engine = engine();
    let principal = airlock_policy::Principal::new("a\"gent\\\n::x", "t\"")
        .with_roles(["r\"ole", ""])
        .with_operator("op\u{0}");
    let decision = engine.decide(
        &principal,
        ToolKind::Shell,
        &classification(vec![effect(EffectKind::Write, Risk::Low, "\"; permit(")]),
    );
    assert_eq!(decision.verdict, Verdict::Allow, "{}", decision.reason);
}

#[test]
fn default_pack_policies_know_their_file_and_position() {
    let engine = engine();
    let production = engine.policy("escalate-production").unwrap();
    assert_eq!(production.file, "default/03-escalate-production.cedar");
    assert_eq!((production.line, production.column), (2, 1));
    assert!(production.text.starts_with("@id(\"escalate-production\")"));
    assert!(production.text.ends_with("};"), "{}", production.text);
    let last = engine.policy("allow-routine-work").unwrap();
    assert_eq!(last.file, "default/09-allow-routine-work.cedar");
    assert_eq!((last.line, last.column), (2, 1));
    assert_eq!(engine.policy_set().policies().count(), 9);
}
