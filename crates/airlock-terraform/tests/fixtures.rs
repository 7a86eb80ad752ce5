//! Every real Terraform 1.11 fixture plan, judged as its MANIFEST.md says.

mod common;

use airlock_model::{EffectKind, EnvTier, Reversibility, Risk};
use airlock_terraform::{ChangeAction, PlanClassifier, PlanConfig, ReplaceOrder};
use common::{classifier, classify, fixture, ALL_FIXTURES};

#[test]
fn production_replace_is_one_critical_irreversible_replacement() {
    let (text, report) = classify("plan-replace-production.json");
    assert_eq!(report.format_version, "1.2");
    assert_eq!(report.terraform_version.as_deref(), Some("1.11.4"));
    assert_eq!(report.applyable, Some(true));
    assert!(report.notes.is_empty());

    let change = &report.changes[0];
    assert_eq!(report.changes.len(), 1);
    assert_eq!(change.address, "terraform_data.cost_explorer_production");
    assert_eq!(change.mode, "managed");
    assert_eq!(change.resource_type, "terraform_data");
    assert_eq!(change.actions, ["delete", "create"]);
    assert_eq!(
        change.action,
        ChangeAction::Replace {
            order: ReplaceOrder::DeleteThenCreate
        }
    );
    assert_eq!(
        change.action_reason.as_deref(),
        Some("replace_because_cannot_update")
    );
    assert_eq!(change.replace_paths, ["triggers_replace"]);
    assert_eq!(change.environment, EnvTier::Production);
    assert_eq!(
        change.environment_evidence.as_deref(),
        Some("after.input.environment = \"production\"")
    );

    let effects = &report.classification.effects;
    assert_eq!(effects.len(), 1);
    let effect = &effects[0];
    assert_eq!(effect.kind, EffectKind::Replace);
    assert_eq!(effect.rule, "terraform.plan.replace");
    assert_eq!(effect.risk, Risk::Critical);
    assert_eq!(effect.reversibility, Reversibility::Irreversible);
    assert_eq!(
        effect.target.name,
        "terraform_data.cost_explorer_production"
    );
    assert_eq!(effect.target.environment, EnvTier::Production);
    for needle in [
        "terraform_data.cost_explorer_production",
        "replace (delete then create)",
        "in production",
        "replace_because_cannot_update",
        "triggers_replace",
    ] {
        assert!(
            effect.reason.contains(needle),
            "{needle:?} in {}",
            effect.reason
        );
    }
    assert_eq!(effect.evidence.text, change.address);
    assert_eq!(effect.evidence.span, change.span);
    let spanned = change.span.slice(&text).unwrap();
    assert!(spanned.starts_with("{\"address\":\"terraform_data.cost_explorer_production\""));
    assert!(spanned.ends_with("\"action_reason\":\"replace_because_cannot_update\"}"));
}

#[test]
fn create_before_destroy_reports_its_order_and_that_the_old_object_is_destroyed() {
    let (_, report) = classify("plan-create-before-destroy.json");
    let change = &report.changes[0];
    assert_eq!(change.actions, ["create", "delete"]);
    assert_eq!(
        change.action,
        ChangeAction::Replace {
            order: ReplaceOrder::CreateThenDelete
        }
    );
    let effect = &report.classification.effects[0];
    assert_eq!(effect.kind, EffectKind::Replace);
    assert_eq!(effect.risk, Risk::Critical);
    assert_eq!(effect.reversibility, Reversibility::Irreversible);
    assert!(effect.reason.contains("create before destroy"));
    assert!(effect.reason.contains("the old object is still destroyed"));
    assert!(effect.reason.contains("replace_because_cannot_update"));
}

#[test]
fn staging_replace_is_staging_and_high_not_critical() {
    let (_, report) = classify("plan-staging-replace.json");
    let effect = &report.classification.effects[0];
    assert_eq!(effect.target.name, "terraform_data.cost_explorer_staging");
    assert_eq!(effect.target.environment, EnvTier::Staging);
    assert_eq!(effect.kind, EffectKind::Replace);
    assert_eq!(effect.risk, Risk::High);
    assert!(effect.reason.contains("in staging"));
    assert_eq!(report.changes[0].environment, EnvTier::Staging);
}

#[test]
fn destroy_judges_only_the_deleted_resource() {
    let (_, report) = classify("plan-destroy.json");
    assert_eq!(report.changes.len(), 3);
    assert_eq!(report.counts.delete, 1);
    assert_eq!(report.counts.no_op, 2);
    let effects = &report.classification.effects;
    assert_eq!(effects.len(), 1);
    let effect = &effects[0];
    assert_eq!(effect.kind, EffectKind::Destroy);
    assert_eq!(effect.rule, "terraform.plan.destroy");
    assert_eq!(
        effect.target.name,
        "terraform_data.cost_explorer_production"
    );
    assert_eq!(effect.target.environment, EnvTier::Production);
    assert_eq!(effect.risk, Risk::Critical);
    assert!(effect
        .reason
        .contains("destroy `terraform_data.cost_explorer_production`"));
    assert!(effect.reason.contains("delete_because_no_resource_config"));
    let deleted = report
        .changes
        .iter()
        .find(|c| c.action == ChangeAction::Delete)
        .unwrap();
    assert_eq!(
        deleted.environment_evidence.as_deref(),
        Some("before.input.environment = \"production\"")
    );
}

#[test]
fn destroy_all_destroys_the_whole_production_stack() {
    let (_, report) = classify("plan-destroy-all.json");
    let effects = &report.classification.effects;
    assert_eq!(effects.len(), 3);
    for effect in effects {
        assert_eq!(effect.kind, EffectKind::Destroy);
        assert_eq!(effect.risk, Risk::Critical);
        assert_eq!(effect.target.environment, EnvTier::Production);
    }
    assert!(report.changes.iter().all(|c| c.action_reason.is_none()));
    assert_eq!(report.classification.max_risk(), Risk::Critical);
}

#[test]
fn noop_has_no_effects_and_notes_it_is_not_applyable() {
    let (_, report) = classify("plan-noop.json");
    assert!(report.classification.effects.is_empty());
    assert_eq!(report.counts.no_op, 3);
    assert_eq!(report.applyable, Some(false));
    assert!(report.notes.iter().any(|n| n.contains("applyable: false")));
    assert_eq!(report.classification.max_risk(), Risk::None);
}

#[test]
fn update_is_a_low_risk_write_to_production() {
    let (_, report) = classify("plan-update.json");
    let effects = &report.classification.effects;
    assert_eq!(effects.len(), 1);
    let effect = &effects[0];
    assert_eq!(effect.kind, EffectKind::Write);
    assert_eq!(effect.rule, "terraform.plan.update");
    assert_eq!(effect.risk, Risk::Low);
    assert_eq!(
        effect.target.name,
        "terraform_data.cost_explorer_prod_database"
    );
    assert_eq!(effect.target.environment, EnvTier::Production);
    assert!(effect.reason.contains("update in place"));
    assert_eq!(report.counts.update, 1);
    assert_eq!(report.counts.no_op, 2);
}

#[test]
fn create_is_three_low_risk_writes() {
    let (_, report) = classify("plan-create.json");
    let effects = &report.classification.effects;
    assert_eq!(effects.len(), 3);
    for effect in effects {
        assert_eq!(effect.kind, EffectKind::Write);
        assert_eq!(effect.rule, "terraform.plan.create");
        assert_eq!(effect.risk, Risk::Low);
        assert_eq!(effect.reversibility, Reversibility::Reversible);
        assert_eq!(effect.target.environment, EnvTier::Production);
    }
}

#[test]
fn large_plan_finds_the_thirty_hidden_replacements() {
    let (text, report) = classify("plan-large-3000.json.gz");
    assert_eq!(text.len(), 6_881_347);
    assert_eq!(report.changes.len(), 3000);
    assert_eq!(report.counts.replace, 30);
    assert_eq!(report.counts.no_op, 2970);
    let effects = &report.classification.effects;
    assert_eq!(effects.len(), 30);
    let expected: Vec<String> = (0..30)
        .map(|i| {
            format!(
                "terraform_data.cost_explorer_prod_billing_shard[\"shard-{:04}\"]",
                i * 100
            )
        })
        .collect();
    let found: Vec<&str> = effects.iter().map(|e| e.target.name.as_str()).collect();
    assert_eq!(found, expected);
    for effect in effects {
        assert_eq!(effect.kind, EffectKind::Replace);
        assert_eq!(effect.risk, Risk::Critical);
        assert_eq!(effect.target.environment, EnvTier::Production);
        let spanned = effect.evidence.span.slice(&text).unwrap();
        let value: serde_json::Value = serde_json::from_str(spanned).unwrap();
        assert_eq!(value["address"], effect.target.name);
    }
}

#[test]
fn every_span_is_exactly_its_resource_change_object() {
    for name in ALL_FIXTURES {
        let (text, report) = classify(name);
        let plan: serde_json::Value = serde_json::from_str(&text).unwrap();
        let raw_changes = plan["resource_changes"].as_array().unwrap();
        assert_eq!(raw_changes.len(), report.changes.len(), "{name}");
        for (change, raw) in report.changes.iter().zip(raw_changes) {
            let spanned: serde_json::Value =
                serde_json::from_str(change.span.slice(&text).unwrap()).unwrap();
            assert_eq!(&spanned, raw, "{name} {}", change.address);
        }
        let json = serde_json::to_value(&report).unwrap();
        assert!(json["classification"]["effects"].is_array());
    }
}

#[test]
fn region_patterns_place_resources_that_name_no_environment() {
    let text = fixture("plan-replace-production.json")
        .replace(
            "\"environment\":\"production\"",
            "\"environment\":\"unset\"",
        )
        .replace("cost_explorer_production", "cost_explorer_core");
    let plain = PlanClassifier::new(PlanConfig::default())
        .classify(&text, None)
        .unwrap();
    assert_eq!(plain.changes[0].environment, EnvTier::Unknown);
    assert_eq!(plain.classification.effects[0].risk, Risk::High);

    let configured = classifier().classify(&text, None).unwrap();
    let change = &configured.changes[0];
    assert_eq!(change.environment, EnvTier::Production);
    assert_eq!(
        change.environment_evidence.as_deref(),
        Some("after.input.region = \"cn-north-1\" matches production pattern `region=cn-north-1`")
    );
    assert_eq!(configured.classification.effects[0].risk, Risk::Critical);
}

#[test]
fn the_workspace_places_resources_nothing_else_places() {
    let text = fixture("plan-replace-production.json")
        .replace(
            "\"environment\":\"production\"",
            "\"environment\":\"unset\"",
        )
        .replace("cost_explorer_production", "cost_explorer_core");
    let report = PlanClassifier::default()
        .classify(&text, Some("prod-eu"))
        .unwrap();
    assert_eq!(report.changes[0].environment, EnvTier::Production);
    assert_eq!(
        report.changes[0].environment_evidence.as_deref(),
        Some("Terraform workspace `prod-eu` names production")
    );
    let staged = PlanClassifier::default()
        .classify(&fixture("plan-staging-replace.json"), Some("production"))
        .unwrap();
    assert_eq!(staged.changes[0].environment, EnvTier::Staging);
}

#[test]
fn the_address_names_production_when_attributes_do_not() {
    let text = fixture("plan-replace-production.json").replace(
        "\"environment\":\"production\"",
        "\"environment\":\"unset\"",
    );
    let report = PlanClassifier::default().classify(&text, None).unwrap();
    assert_eq!(report.changes[0].environment, EnvTier::Production);
    assert!(report.changes[0]
        .environment_evidence
        .as_deref()
        .unwrap()
        .starts_with("resource address"));
}
