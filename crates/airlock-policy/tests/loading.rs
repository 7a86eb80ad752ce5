//! Loading project policies: errors at the right file:line:column, annotation
//! checks, extend and replace modes, versions, roles, the policy cache,
//! and failing closed when a policy errors at run time.

mod common;

use airlock_model::{
    ApprovalRequirement, EffectKind, EnvTier, Risk, RoleRequirement, ToolKind, Verdict,
};
use airlock_policy::{PolicyEngine, PolicyError, PolicyMode, PolicyOrigin, Principal};
use common::*;

/// Loads one file `x.cedar` in replace mode and returns the error.
fn load_error(text: &str) -> PolicyError {
    let (_dir, result) = load(&[("x.cedar", text)], PolicyMode::Replace);
    match result {
        Ok(_) => panic!("expected an error loading:\n{text}"),
        Err(err) => err,
    }
}

fn assert_at(err: &PolicyError, line: usize, column: usize) {
    assert_eq!(err.position(), Some((line, column)), "{err}");
    let file = err.file().unwrap();
    assert!(file.ends_with("x.cedar"), "{file}");
    let shown = err.to_string();
    assert!(
        shown.starts_with(&format!("{file}:{line}:{column}: ")),
        "{shown}"
    );
    assert!(shown.contains("\n  hint: "), "{shown}");
}

const DEPLOYER_PERMIT: &str = r#"// Deployers may apply infrastructure changes in production.
@id("deployers-apply-production")
@reason("Deployers apply infrastructure changes in production.")
permit (
  principal in Airlock::Role::"deployer",
  action == Airlock::Action::"infra.apply",
  resource
)
when { resource.environment == "production" };
"#;

#[test]
fn syntax_error_points_at_the_token() {
    let err = load_error(
        "@id(\"a\")\npermit (principal, action, resource)\nwhen { context.effect.risk <= };\n",
    );
    assert!(matches!(err, PolicyError::Parse { .. }), "{err:?}");
    assert_at(&err, 3, 31);
    assert!(err.to_string().contains("unexpected token `}`"));
}

#[test]
fn validation_error_points_at_the_expression() {
    let err = load_error(
        "// comment\n@id(\"a\")\npermit (principal, action, resource)\nwhen {\n  context.effect.riskk <= 2\n};\n",
    );
    let PolicyError::Validation {
        ref policy_id,
        ref message,
        ref hint,
        ..
    } = err
    else {
        panic!("{err:?}");
    };
    assert_eq!(policy_id, "a");
    assert!(message.contains("riskk"), "{message}");
    // One problem, although Cedar reports it once per action.
    assert!(!message.contains("more problem"), "{message}");
    assert!(hint.contains("risk"), "{hint}");
    assert_at(&err, 5, 3);
}

#[test]
fn unknown_entity_type_and_type_mismatch_do_not_validate() {
    let err =
        load_error("@id(\"a\")\npermit (principal in Airlock::Group::\"x\", action, resource);\n");
    assert!(matches!(err, PolicyError::Validation { .. }), "{err:?}");
    assert_at(&err, 2, 22);
    let err = load_error(
        "@id(\"a\")\npermit (principal, action, resource) when { resource.environment == 3 };\n",
    );
    assert!(matches!(err, PolicyError::Validation { .. }), "{err:?}");
    assert_at(&err, 2, 45);
}

#[test]
fn later_policies_in_a_file_get_their_own_positions() {
    let text = "@id(\"fine\")\npermit (principal, action, resource);\n\n@id(\"broken\")\nforbid (principal, action, resource)\nwhen { principal.team == \"x\" };\n";
    let err = load_error(text);
    let PolicyError::Validation { ref policy_id, .. } = err else {
        panic!("{err:?}");
    };
    assert_eq!(policy_id, "broken");
    assert_at(&err, 6, 8);
}

#[test]
fn annotation_problems_point_at_the_annotation() {
    let cases: [(&str, usize, usize, &str); 6] = [
        (
            "@id(\"a\")\n@approvals(\"two\")\nforbid (principal, action, resource);\n",
            2,
            1,
            "not a whole number",
        ),
        (
            "@id(\"a\")\n@approvals(\"0\")\nforbid (principal, action, resource);\n",
            2,
            1,
            "at least 1",
        ),
        (
            "@id(\"a\")\n@approvals(\"2\")\n  @approver_roles(\"senior:0\")\nforbid (principal, action, resource);\n",
            3,
            3,
            "count of role `senior`",
        ),
        (
            "@id(\"a\")\n@approvals(\"1\")\npermit (principal, action, resource);\n",
            2,
            1,
            "`permit`",
        ),
        (
            "@id(\"a\")\n@approver_roles(\"sre:1\")\nforbid (principal, action, resource);\n",
            2,
            1,
            "needs @approvals",
        ),
        (
            "\n@reason(\"no id\")\npermit (principal, action, resource);\n",
            2,
            1,
            "no @id",
        ),
    ];
    for (text, line, column, says) in cases {
        let err = load_error(text);
        assert!(matches!(err, PolicyError::Annotation { .. }), "{err:?}");
        assert_at(&err, line, column);
        assert!(err.to_string().contains(says), "{err}");
    }
}

#[test]
fn duplicate_ids_are_refused() {
    let text = "@id(\"same\")\npermit (principal, action, resource);\n@id(\"same\")\nforbid (principal, action, resource);\n";
    let err = load_error(text);
    assert!(matches!(err, PolicyError::Annotation { .. }), "{err:?}");
    assert_at(&err, 3, 1);
    assert!(err.to_string().contains("already used"), "{err}");

    // A project policy may not reuse a default-pack id in extend mode...
    let clash = "@id(\"allow-routine-work\")\npermit (principal, action, resource);\n";
    let (_dir, result) = load(&[("x.cedar", clash)], PolicyMode::Extend);
    let err = result.unwrap_err();
    assert!(
        err.to_string()
            .contains("default/09-allow-routine-work.cedar"),
        "{err}"
    );
    // ...but may in replace mode.
    let (_dir, result) = load(&[("x.cedar", clash)], PolicyMode::Replace);
    assert!(result.is_ok());
}

#[test]
fn templates_are_refused() {
    let err = load_error("@id(\"a\")\npermit (principal == ?principal, action, resource);\n");
    assert!(matches!(err, PolicyError::Unsupported { .. }), "{err:?}");
    assert_at(&err, 1, 1);
}

#[test]
fn missing_directory_is_an_io_error() {
    let sources = sources(
        std::path::Path::new("/nonexistent/airlock/policies"),
        PolicyMode::Extend,
    );
    let err = PolicyEngine::load(&sources).unwrap_err();
    assert!(matches!(err, PolicyError::Io { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("/nonexistent/airlock/policies: cannot read"),
        "{err}"
    );
}

#[test]
fn only_cedar_files_are_loaded_in_name_order() {
    let files = [
        (
            "b.cedar",
            "@id(\"b\")\npermit (principal, action, resource) when { context.effect.risk == 1 };\n",
        ),
        (
            "a.cedar",
            "@id(\"a\")\npermit (principal, action, resource) when { context.effect.risk == 0 };\n",
        ),
        ("notes.md", "not a policy"),
        ("c.cedar.bak", "not a policy either"),
    ];
    let (_dir, engine) = load(&files, PolicyMode::Replace);
    let ids: Vec<String> = engine
        .unwrap()
        .policies()
        .iter()
        .map(|p| p.id.clone())
        .collect();
    assert_eq!(ids, ["a", "b"]);
}

#[test]
fn extend_adds_to_the_default_pack_and_replace_stands_alone() {
    let files = [("deployers.cedar", DEPLOYER_PERMIT)];
    let deployer = Principal::new("deploy-bot", "default").with_roles(["deployer"]);
    let apply = classification(vec![in_env(
        effect(EffectKind::Write, Risk::Low, "aws_s3_bucket.logs"),
        EnvTier::Production,
    )]);

    let (_dir, extended) = load(&files, PolicyMode::Extend);
    let extended = extended.unwrap();
    assert_eq!(
        extended.policies().len(),
        airlock_policy::DEFAULT_PACK.len() + 1
    );
    assert_eq!(extended.policies()[0].origin, PolicyOrigin::DefaultPack);
    let last = extended.policies().last().unwrap();
    assert_eq!(last.origin, PolicyOrigin::Project);
    assert_eq!((last.line, last.column), (2, 1));
    // The default pack's production escalation still applies: forbid wins.
    let decision = extended.decide(&deployer, ToolKind::TerraformPlan, &apply);
    assert_eq!(decision.verdict, Verdict::Escalate);

    let (_dir, replaced) = load(&files, PolicyMode::Replace);
    let replaced = replaced.unwrap();
    assert_eq!(replaced.policies().len(), 1);
    let decision = replaced.decide(&deployer, ToolKind::TerraformPlan, &apply);
    assert_eq!(decision.verdict, Verdict::Allow, "{}", decision.reason);
    assert_eq!(decision.policies, ["deployers-apply-production"]);
    // Only for the action it names.
    let decision = replaced.decide(&deployer, ToolKind::Shell, &apply);
    assert_eq!(decision.verdict, Verdict::Deny);
    assert!(
        decision
            .reason
            .starts_with("deny: no policy permits write of aws_s3_bucket.logs (production)"),
        "{}",
        decision.reason
    );
}

#[test]
fn principal_roles_decide_who_a_permit_covers() {
    let files = [("deployers.cedar", DEPLOYER_PERMIT)];
    let (_dir, engine) = load(&files, PolicyMode::Replace);
    let engine = engine.unwrap();
    let apply = classification(vec![in_env(
        effect(EffectKind::Write, Risk::Low, "aws_s3_bucket.logs"),
        EnvTier::Production,
    )]);
    let with_roles = |roles: &[&str]| {
        let principal = Principal::new("bot", "default").with_roles(roles.iter().copied());
        engine
            .decide(&principal, ToolKind::TerraformPlan, &apply)
            .verdict
    };
    assert_eq!(with_roles(&["deployer"]), Verdict::Allow);
    assert_eq!(with_roles(&["reader", "deployer"]), Verdict::Allow);
    assert_eq!(with_roles(&["reader"]), Verdict::Deny);
    assert_eq!(with_roles(&[]), Verdict::Deny);
    assert_eq!(with_roles(&["deployer\""]), Verdict::Deny);

    // No roles means the role `agent`.
    let agents =
        "@id(\"agents\")\npermit (principal in Airlock::Role::\"agent\", action, resource);\n";
    let (_dir, engine) = load(&[("agents.cedar", agents)], PolicyMode::Replace);
    let engine = engine.unwrap();
    let decide = |principal: &Principal| engine.decide(principal, ToolKind::Shell, &apply).verdict;
    assert_eq!(decide(&Principal::new("bot", "default")), Verdict::Allow);
    assert_eq!(
        decide(&Principal::new("bot", "default").with_roles(["sre"])),
        Verdict::Deny
    );
}

#[test]
fn principal_attributes_reach_policies() {
    let text = "@id(\"tenant-a\")\npermit (principal, action, resource)\nwhen { principal.tenant == \"a\" && principal.operator != \"\" };\n";
    let (_dir, engine) = load(&[("t.cedar", text)], PolicyMode::Replace);
    let engine = engine.unwrap();
    let work = classification(vec![effect(EffectKind::Write, Risk::Low, "x")]);
    let verdict = |p: Principal| engine.decide(&p, ToolKind::Shell, &work).verdict;
    assert_eq!(
        verdict(Principal::new("bot", "a").with_operator("alice")),
        Verdict::Allow
    );
    assert_eq!(verdict(Principal::new("bot", "a")), Verdict::Deny);
    assert_eq!(
        verdict(Principal::new("bot", "b").with_operator("alice")),
        Verdict::Deny
    );
}

#[test]
fn evaluation_errors_fail_closed() {
    // Validates strictly, but overflows at run time whenever risk > 1.
    let overflowing = "@id(\"overflowing\")\n@reason(\"Multiplies too far.\")\npermit (principal, action, resource)\nwhen { context.effect.risk * 9223372036854775807 > 0 };\n";
    let (_dir, engine) = load(&[("overflow.cedar", overflowing)], PolicyMode::Extend);
    let engine = engine.unwrap();

    // risk 0: no error; the default routine permit allows.
    let fine = classification(vec![effect(EffectKind::Write, Risk::None, "notes.txt")]);
    assert_eq!(
        engine.decide(&agent(), ToolKind::Shell, &fine).verdict,
        Verdict::Allow
    );

    // risk 2: the overflowing permit errors; although allow-routine-work
    // permits, the effect is denied.
    let erring = classification(vec![effect(EffectKind::Write, Risk::Medium, "notes.txt")]);
    let decision = engine.decide(&agent(), ToolKind::Shell, &erring);
    assert_eq!(decision.verdict, Verdict::Deny);
    assert_eq!(decision.policies, ["overflowing"]);
    assert!(
        decision
            .reason
            .starts_with("deny: policy evaluation error: "),
        "{}",
        decision.reason
    );
    assert!(decision.reason.contains("overflow"), "{}", decision.reason);
    assert!(
        decision
            .reason
            .contains("(while judging write of notes.txt (a test effect))"),
        "{}",
        decision.reason
    );
}

#[test]
fn approvals_merge_across_effects() {
    let migrations = "@id(\"escalate-migrations\")\n@reason(\"Database migrations need two SREs.\")\n@approvals(\"3\")\n@approver_roles(\"sre:2\")\nforbid (principal, action, resource)\nwhen { context.effect.rule == \"db.migrate\" };\n";
    let (_dir, engine) = load(&[("m.cedar", migrations)], PolicyMode::Extend);
    let engine = engine.unwrap();
    let effects = vec![
        in_env(
            effect(EffectKind::Write, Risk::Low, "prod-config"),
            EnvTier::Production,
        ),
        with_rule(effect(EffectKind::Write, Risk::Low, "orders"), "db.migrate"),
        effect(EffectKind::Read, Risk::None, "README.md"),
    ];
    let decision = engine.decide(&agent(), ToolKind::Shell, &classification(effects));
    assert_eq!(decision.verdict, Verdict::Escalate);
    assert_eq!(
        decision.approvals,
        Some(ApprovalRequirement {
            min_approvers: 3,
            roles: vec![
                RoleRequirement {
                    role: "senior".to_string(),
                    count: 1
                },
                RoleRequirement {
                    role: "sre".to_string(),
                    count: 2
                },
            ],
        })
    );
    assert_eq!(
        decision.policies,
        [
            "escalate-production",
            "escalate-migrations",
            "allow-routine-work"
        ]
    );
    assert!(
        decision
            .reason
            .contains("needs 3 approvers, at least 1 senior and 2 sre"),
        "{}",
        decision.reason
    );
}

#[test]
fn a_plain_forbid_beats_escalations_on_the_same_effect() {
    let text = "@id(\"no-orders\")\n@reason(\"Nobody touches orders.\")\nforbid (principal, action, resource)\nwhen { resource.name == \"orders\" };\n";
    let (_dir, engine) = load(&[("f.cedar", text)], PolicyMode::Extend);
    let engine = engine.unwrap();
    let delete = classification(vec![effect(EffectKind::Delete, Risk::High, "orders")]);
    let decision = engine.decide(&agent(), ToolKind::Shell, &delete);
    assert_eq!(decision.verdict, Verdict::Deny);
    assert_eq!(decision.policies, ["no-orders"]);
    assert_eq!(decision.approvals, None);
    assert_eq!(
        decision.reason,
        "deny: delete of orders (a test effect) — Nobody touches orders. [no-orders; rule test.delete]"
    );
}

#[test]
fn version_follows_every_policy_text_and_name() {
    let base = PolicyEngine::default_pack().unwrap();
    let dir = tempfile::tempdir().unwrap();
    // An empty project directory in extend mode is the default pack alone.
    let extended = PolicyEngine::load(&sources(dir.path(), PolicyMode::Extend)).unwrap();
    assert_eq!(extended.version(), base.version());
    let replaced = PolicyEngine::load(&sources(dir.path(), PolicyMode::Replace)).unwrap();
    assert_ne!(replaced.version(), base.version());

    let text = "@id(\"a\")\npermit (principal, action, resource);\n";
    write_policies(dir.path(), &[("a.cedar", text)]);
    let v1 = PolicyEngine::load(&sources(dir.path(), PolicyMode::Extend)).unwrap();
    let again = PolicyEngine::load(&sources(dir.path(), PolicyMode::Extend)).unwrap();
    assert_eq!(v1.version(), again.version());
    assert_ne!(v1.version(), base.version());

    write_policies(
        dir.path(),
        &[("a.cedar", &text.replace("permit", "forbid"))],
    );
    let v2 = PolicyEngine::load(&sources(dir.path(), PolicyMode::Extend)).unwrap();
    assert_ne!(v2.version(), v1.version());

    std::fs::rename(dir.path().join("a.cedar"), dir.path().join("b.cedar")).unwrap();
    let v3 = PolicyEngine::load(&sources(dir.path(), PolicyMode::Extend)).unwrap();
    assert_ne!(v3.version(), v2.version());
}

#[test]
fn the_policy_cache_keeps_validated_sets_only() {
    let policies = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let cache_dir = cache.path().join("policies");
    write_policies(policies.path(), &[("deployers.cedar", DEPLOYER_PERMIT)]);
    let sources = sources(policies.path(), PolicyMode::Extend);

    let first = PolicyEngine::load_cached(&sources, &cache_dir).unwrap();
    let entries: Vec<_> = std::fs::read_dir(&cache_dir).unwrap().collect();
    assert_eq!(entries.len(), 1);
    let second = PolicyEngine::load_cached(&sources, &cache_dir).unwrap();
    assert_eq!(first.version(), second.version());
    assert_eq!(
        first.version(),
        PolicyEngine::load(&sources).unwrap().version()
    );

    // A changed set is validated again, and an invalid one is refused.
    write_policies(
        policies.path(),
        &[(
            "broken.cedar",
            "@id(\"b\")\npermit (principal, action, resource) when { context.nope };\n",
        )],
    );
    let err = PolicyEngine::load_cached(&sources, &cache_dir).unwrap_err();
    assert!(matches!(err, PolicyError::Validation { .. }), "{err:?}");
    assert_eq!(std::fs::read_dir(&cache_dir).unwrap().count(), 1);
}

#[test]
fn an_empty_replace_set_denies_everything() {
    let (_dir, engine) = load(&[], PolicyMode::Replace);
    let engine = engine.unwrap();
    let decision = engine.decide(
        &agent(),
        ToolKind::Shell,
        &classification(vec![effect(EffectKind::Read, Risk::None, "README.md")]),
    );
    assert_eq!(decision.verdict, Verdict::Deny);
}
