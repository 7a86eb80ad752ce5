//! The real Terraform plan fixtures judged end to end with the built-in
//! policy.

use std::io::Read;
use std::path::PathBuf;

use airlock_engine::Engine;
use airlock_model::{ActionRequest, EffectKind, EnvTier, ToolInput, Verdict};

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/terraform")
        .join(name);
    if name.ends_with(".gz") {
        let file = std::fs::File::open(&path).expect("open fixture");
        let mut text = String::new();
        flate2::read::GzDecoder::new(file)
            .read_to_string(&mut text)
            .expect("gunzip fixture");
        text
    } else {
        std::fs::read_to_string(&path).expect("read fixture")
    }
}

fn judge(name: &str) -> airlock_engine::Evaluation {
    let engine = Engine::with_defaults().expect("engine");
    let request = ActionRequest::new(
        "agent",
        "default",
        ToolInput::TerraformPlan {
            plan_json: fixture(name),
            path: Some(name.to_string()),
        },
    );
    engine.evaluate(&request)
}

#[test]
fn replacing_production_escalates_and_names_resource_action_and_environment() {
    let ev = judge("plan-replace-production.json");
    let d = &ev.decision;
    assert_eq!(d.verdict, Verdict::Escalate, "{}", d.reason);
    let finding = d
        .findings
        .iter()
        .find(|f| f.effect.kind == EffectKind::Replace)
        .expect("a replace finding");
    assert_eq!(
        finding.effect.target.name,
        "terraform_data.cost_explorer_production"
    );
    assert_eq!(finding.effect.target.environment, EnvTier::Production);
    assert!(
        finding
            .effect
            .reason
            .contains("replace (delete then create)"),
        "{}",
        finding.effect.reason
    );
    assert!(
        finding.effect.reason.contains("production"),
        "{}",
        finding.effect.reason
    );
    let approvals = d.approvals.as_ref().expect("approval requirement");
    assert!(approvals.min_approvers >= 2);
}

#[test]
fn create_before_destroy_reports_its_ordering_and_still_escalates() {
    let ev = judge("plan-create-before-destroy.json");
    assert_eq!(ev.decision.verdict, Verdict::Escalate);
    let replace = ev
        .decision
        .findings
        .iter()
        .find(|f| f.effect.kind == EffectKind::Replace)
        .expect("a replace finding");
    assert!(
        replace.effect.reason.contains("create before destroy"),
        "{}",
        replace.effect.reason
    );
}

#[test]
fn a_plan_with_no_changes_is_allowed() {
    let ev = judge("plan-noop.json");
    assert_eq!(
        ev.decision.verdict,
        Verdict::Allow,
        "{}",
        ev.decision.reason
    );
    assert!(ev.decision.findings.is_empty());
}

#[test]
fn destroying_production_escalates() {
    for name in ["plan-destroy.json", "plan-destroy-all.json"] {
        let ev = judge(name);
        assert_eq!(
            ev.decision.verdict,
            Verdict::Escalate,
            "{name}: {}",
            ev.decision.reason
        );
    }
}

#[test]
fn the_large_plan_reports_exactly_its_thirty_replacements() {
    let ev = judge("plan-large-3000.json.gz");
    let replacements: Vec<_> = ev
        .decision
        .findings
        .iter()
        .filter(|f| f.effect.kind == EffectKind::Replace)
        .map(|f| f.effect.target.name.clone())
        .collect();
    assert_eq!(replacements.len(), 30);
    let expected: Vec<String> = (0..30)
        .map(|i| {
            format!(
                "terraform_data.cost_explorer_prod_billing_shard[\"shard-{:04}\"]",
                i * 100
            )
        })
        .collect();
    let mut sorted = replacements.clone();
    sorted.sort();
    assert_eq!(sorted, expected);
    assert_eq!(ev.decision.verdict, Verdict::Escalate);
    let plan = ev.plan.expect("plan report");
    assert_eq!(plan.changes.len(), 3000);
}
