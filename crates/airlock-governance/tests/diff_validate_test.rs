//! `policy diff` (added and removed authority, approval-count changes),
//! `policy validate` (positions of errors), `policy test` (pass, fail,
//! JUnit), and the analysis evaluator agreeing with the policy engine.

use std::path::{Path, PathBuf};

use airlock_governance::{
    diff, diff_projects, render, run_tests, validate, ChangeDirection, PolicySetModel, Project,
};
use airlock_model::{
    Classification, Effect, EffectKind, EnvTier, Evidence, Reversibility, Risk, Sensitivity,
    Target, TargetKind, ToolKind,
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
}

#[test]
fn diff_reports_added_and_removed_authority_and_approval_counts() {
    let old = fixture("diff-old");
    let new = fixture("diff-new");
    let result = diff(&old.display().to_string(), &new.display().to_string()).unwrap();
    let messages: Vec<&str> = result.changes.iter().map(|c| c.message.as_str()).collect();
    let find = |direction: ChangeDirection, parts: &[&str]| {
        result
            .changes
            .iter()
            .any(|c| c.direction == direction && parts.iter().all(|p| c.message.contains(p)))
    };
    assert!(
        find(
            ChangeDirection::Added,
            &["role `deployer` can now replace production targets with 1 approver instead of 2 approvers, at least 1 senior"]
        ),
        "{messages:#?}"
    );
    assert!(
        find(ChangeDirection::Added, &["role `deployer` can now delete staging targets without approval instead of 1 approver"]),
        "{messages:#?}"
    );
    assert!(
        find(
            ChangeDirection::Removed,
            &["can no longer use privilege on", "now denied"]
        ),
        "{messages:#?}"
    );
    assert!(result.added() > 0 && result.removed() > 0);
    // The same set compared with itself: nothing changes.
    let same = diff(&old.display().to_string(), &old.display().to_string()).unwrap();
    assert!(same.changes.is_empty());
    let text = render::diff_human(&result);
    assert!(text.contains("+ role `deployer` can now"), "{text}");
    assert!(text.contains("- "), "{text}");
}

#[test]
fn diff_of_the_incident_against_the_safe_default_shows_lost_approvals() {
    let old = Project::open(&example("safe-default")).unwrap();
    let new = Project::open(&example("incident-2025")).unwrap();
    let result = diff_projects(&old, &new, "safe", "incident").unwrap();
    assert!(result
        .changes
        .iter()
        .any(|c| c.direction == ChangeDirection::Added
            && c.row == "role `senior`"
            && c.effect == "destroy"
            && c.environment == "production"
            && c.after == "allow"));
}

#[test]
fn validate_reports_policy_errors_with_positions() {
    let report = validate(&fixture("invalid-policy"));
    assert!(!report.is_valid());
    let problem = &report.problems[0];
    assert!(problem
        .file
        .as_deref()
        .is_some_and(|f| f.ends_with("bad.cedar")));
    assert_eq!(problem.line, Some(3), "{}", problem.message);
    assert!(problem.message.contains("hint:"), "{}", problem.message);
}

#[test]
fn validate_reports_config_errors_with_line_and_column() {
    let report = validate(&fixture("invalid-config"));
    assert!(!report.is_valid());
    let problem = &report.problems[0];
    assert_eq!(problem.line, Some(4), "{}", problem.message);
    assert_eq!(problem.column, Some(8), "{}", problem.message);
    assert!(
        problem.message.contains("airlock.toml:4:8: "),
        "{}",
        problem.message
    );
}

#[test]
fn validate_accepts_the_examples() {
    for name in ["safe-default", "incident-2025"] {
        let report = validate(&example(name));
        assert!(report.is_valid(), "{name}: {:?}", report.problems);
    }
    assert_eq!(validate(&example("safe-default")).test_files.len(), 1);
}

#[test]
fn policy_tests_pass_on_the_safe_default_example() {
    let report = run_tests(&[example("safe-default")]).unwrap();
    assert!(report.is_success(), "{}", render::tests_human(&report));
    assert_eq!(report.passed, 7);
}

#[test]
fn failing_cases_show_expected_got_and_reason_and_junit() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("policies")).unwrap();
    std::fs::write(
        dir.path().join("airlock.toml"),
        "[policy]\nmode = \"extend\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("policies/cases.test.toml"),
        r#"
[[case]]
name = "production replace is allowed <wrongly expected>"
capability = "infra.apply"
target = { kind = "resource", name = "db", environment = "production" }
effects = [{ kind = "replace", risk = "high" }]
expect = { verdict = "allow" }

[[case]]
name = "reads are allowed"
capability = "shell.exec"
effects = [{ kind = "read" }]
expect = { verdict = "allow" }
"#,
    )
    .unwrap();
    let report = run_tests(&[dir.path().to_path_buf()]).unwrap();
    assert_eq!((report.passed, report.failed), (1, 1));
    let text = render::tests_human(&report);
    assert!(text.contains("expected: allow"), "{text}");
    assert!(
        text.contains("got:      escalate (2 approvers, at least 1 senior)"),
        "{text}"
    );
    assert!(
        text.contains("reason:   escalate: replace of db (production)"),
        "{text}"
    );
    let junit = render::tests_junit(&report);
    assert!(
        junit.contains("<testsuites name=\"airlock policy test\" tests=\"2\" failures=\"1\""),
        "{junit}"
    );
    assert!(junit.contains("&lt;wrongly expected&gt;"), "{junit}");
    assert!(
        junit.contains("<failure message=\"verdict: expected allow, got escalate\">"),
        "{junit}"
    );
}

#[test]
fn malformed_test_files_point_at_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.test.toml");
    std::fs::write(
        &path,
        "[[case]]\nname = \"x\"\ncapability = \"shell.exec\"\neffects = [{ kind = \"explode\" }]\nexpect = { verdict = \"allow\" }\n",
    )
    .unwrap();
    let err = airlock_governance::testing::read_test_file(&path).unwrap_err();
    assert_eq!(err.position().map(|p| p.0), Some(4), "{err}");
}

/// The analysis judges every abstract request as the engine decides the
/// corresponding effect.
#[test]
fn the_abstract_evaluator_agrees_with_the_policy_engine() {
    use airlock_governance::model::{evaluate, judge, Verdict};
    use airlock_governance::space::{Principal, Request, Val};
    for name in ["safe-default", "incident-2025"] {
        let project = Project::open(&example(name)).unwrap();
        let engine = project.load_engine().unwrap();
        let model = PolicySetModel::new(engine.clone(), &project);
        for roles in [
            vec!["agent".to_string()],
            vec!["senior".to_string()],
            vec!["agent".to_string(), "senior".to_string()],
        ] {
            let slice = model.slice(&roles);
            let principal = airlock_policy::Principal::new("a", "t").with_roles(roles.clone());
            let _ = Principal {
                roles: roles.clone(),
                agent: None,
                operator: None,
                tenant: None,
            };
            let mut truths = Vec::new();
            for tool in ToolKind::ALL {
                for env in EnvTier::ALL {
                    for kind in EffectKind::ALL {
                        for risk in Risk::ALL {
                            for sensitivity in [
                                Sensitivity::Normal,
                                Sensitivity::Protected,
                                Sensitivity::Critical,
                            ] {
                                let values = [
                                    Val::Str(String::new()),
                                    Val::Str("t".to_string()),
                                    Val::Str("resource".to_string()),
                                    Val::Str("x".to_string()),
                                    Val::Str(env.as_str().to_string()),
                                    Val::Str(sensitivity.as_str().to_string()),
                                    Val::Str(kind.as_str().to_string()),
                                    Val::Str("irreversible".to_string()),
                                    Val::Long(risk.level()),
                                    Val::Str(String::new()),
                                ];
                                let request = Request {
                                    roles: &roles,
                                    agent: "a",
                                    action: tool.capability(),
                                    values: std::array::from_fn(|i| &values[i]),
                                };
                                evaluate(&slice, &request, &mut truths);
                                let abstract_outcome = judge(&slice, &truths);
                                let decision = engine.decide(
                                    &principal,
                                    tool,
                                    &Classification {
                                        effects: vec![Effect {
                                            kind,
                                            target: Target::new(TargetKind::Resource, "x")
                                                .with_environment(env)
                                                .with_sensitivity(sensitivity),
                                            reversibility: Reversibility::Irreversible,
                                            risk,
                                            rule: String::new(),
                                            reason: String::new(),
                                            evidence: Evidence::default(),
                                        }],
                                        commands: Vec::new(),
                                    },
                                );
                                let expected = match decision.verdict {
                                    airlock_model::Verdict::Allow => Verdict::Allow,
                                    airlock_model::Verdict::Escalate => Verdict::Escalate,
                                    airlock_model::Verdict::Deny => Verdict::Deny,
                                };
                                assert_eq!(
                                    abstract_outcome.verdict, expected,
                                    "{name} {roles:?} {tool:?} {env} {kind} {risk} {sensitivity:?}"
                                );
                                assert_eq!(abstract_outcome.approvals, decision.approvals);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Grouping requests into classes the policies cannot tell apart gives the
/// same decisions as judging every abstract request one by one.
#[test]
fn class_enumeration_matches_request_enumeration() {
    use std::collections::{BTreeMap, BTreeSet};

    use airlock_governance::compile::Attr;
    use airlock_governance::model::{evaluate, judge, rows};
    use airlock_governance::space::{enumerate, for_each_class, Request, Space};

    let key = |request: &Request<'_>| {
        [
            request.action.to_string(),
            request.str_of(Attr::Environment).to_string(),
            request.str_of(Attr::EffectKind).to_string(),
            request.risk().to_string(),
            request.str_of(Attr::Sensitivity).to_string(),
            (request.str_of(Attr::Reversibility) == "irreversible").to_string(),
        ]
    };
    for name in [
        "not-analysed",
        "ineffective",
        "diff-new",
        "operator-grant",
        "self-modification",
    ] {
        let project = Project::open(&fixture(name)).unwrap();
        let model = PolicySetModel::new(project.load_engine().unwrap(), &project);
        for row in rows(&[&model], &[&project]) {
            let slice = model.slice(&row.principal.roles);
            let space = Space::build(&row.principal, &model.literals, &slice);
            let mut one_by_one: BTreeMap<[String; 6], BTreeSet<String>> = BTreeMap::new();
            let mut truths = Vec::new();
            enumerate(&space, &row.principal.roles, |request| {
                evaluate(&slice, request, &mut truths);
                one_by_one
                    .entry(key(request))
                    .or_default()
                    .insert(format!("{:?}", judge(&slice, &truths)));
            });
            let mut by_class: BTreeMap<[String; 6], BTreeSet<String>> = BTreeMap::new();
            let mut total = 0;
            for_each_class(
                &space,
                &row.principal.roles,
                &slice,
                |request, truths, count| {
                    total += count;
                    by_class
                        .entry(key(request))
                        .or_default()
                        .insert(format!("{:?}", judge(&slice, truths)));
                },
            );
            assert_eq!(total, space.size(), "{name} {}", row.label);
            assert_eq!(one_by_one, by_class, "{name} {}", row.label);
        }
    }
}
