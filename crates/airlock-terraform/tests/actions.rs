//! Plan features the fixtures do not show: forget, data sources, imports,
//! moves, deposed objects, drift and incomplete plans.

use airlock_model::{EffectKind, EnvTier, Reversibility, Risk};
use airlock_terraform::{ChangeAction, PlanClassifier, PlanReport};
use serde_json::json;

fn plan_with(changes: serde_json::Value, extra: serde_json::Value) -> String {
    let mut plan = json!({
        "format_version": "1.2",
        "terraform_version": "1.11.4",
        "planned_values": {"root_module": {}},
        "resource_changes": changes,
        "applyable": true,
        "complete": true,
        "errored": false
    });
    if let (Some(plan), Some(extra)) = (plan.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            plan.insert(k.clone(), v.clone());
        }
    }
    serde_json::to_string_pretty(&plan).unwrap()
}

fn change(
    address: &str,
    actions: &[&str],
    before: serde_json::Value,
    after: serde_json::Value,
) -> serde_json::Value {
    let (resource_type, name) = address.split_once('.').unwrap();
    json!({
        "address": address,
        "mode": "managed",
        "type": resource_type,
        "name": name,
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "change": {"actions": actions, "before": before, "after": after}
    })
}

fn classify(plan: &str) -> PlanReport {
    PlanClassifier::default().classify(plan, None).unwrap()
}

#[test]
fn forget_is_a_medium_state_only_overwrite() {
    let plan = plan_with(
        json!([change(
            "aws_s3_bucket.prod_logs",
            &["forget"],
            json!({"bucket": "logs"}),
            json!(null)
        )]),
        json!({}),
    );
    let report = classify(&plan);
    assert_eq!(report.changes[0].action, ChangeAction::Forget);
    let effect = &report.classification.effects[0];
    assert_eq!(effect.kind, EffectKind::Overwrite);
    assert_eq!(effect.rule, "terraform.plan.forget");
    assert_eq!(effect.risk, Risk::Medium);
    assert_eq!(effect.target.environment, EnvTier::Production);
    assert!(effect
        .reason
        .contains("forget (remove from state without destroying)"));
    assert_eq!(report.counts.forget, 1);
}

#[test]
fn create_then_forget_keeps_the_old_object() {
    let plan = plan_with(
        json!([change(
            "aws_instance.web",
            &["create", "forget"],
            json!({}),
            json!({})
        )]),
        json!({}),
    );
    let report = classify(&plan);
    assert_eq!(report.changes[0].action, ChangeAction::CreateThenForget);
    let effect = &report.classification.effects[0];
    assert_eq!(effect.kind, EffectKind::Overwrite);
    assert_eq!(effect.risk, Risk::Medium);
}

#[test]
fn data_sources_are_reads() {
    let mut read = change("aws_ami.ubuntu", &["read"], json!(null), json!({}));
    read["address"] = json!("data.aws_ami.ubuntu");
    read["mode"] = json!("data");
    read["action_reason"] = json!("read_because_config_unknown");
    let report = classify(&plan_with(json!([read]), json!({})));
    let effect = &report.classification.effects[0];
    assert_eq!(effect.kind, EffectKind::Read);
    assert_eq!(effect.risk, Risk::None);
    assert_eq!(effect.rule, "terraform.plan.data_read");
    assert!(effect.reason.contains("known only at apply"));
}

#[test]
fn imports_are_writes_even_without_changes() {
    let mut imported = change("aws_s3_bucket.assets", &["no-op"], json!({}), json!({}));
    imported["change"]["importing"] = json!({"id": "acme-assets"});
    let mut imported_and_updated = change("aws_s3_bucket.media", &["update"], json!({}), json!({}));
    imported_and_updated["change"]["importing"] = json!({"id": "acme-media"});
    let report = classify(&plan_with(
        json!([imported, imported_and_updated]),
        json!({}),
    ));
    let effects = &report.classification.effects;
    assert_eq!(effects.len(), 2);
    assert_eq!(effects[0].kind, EffectKind::Write);
    assert_eq!(effects[0].rule, "terraform.plan.import");
    assert!(effects[0]
        .reason
        .contains("import existing object `acme-assets`"));
    assert_eq!(effects[1].rule, "terraform.plan.update");
    assert!(effects[1].reason.contains("imported from `acme-media`"));
    assert_eq!(report.counts.import, 2);
    assert_eq!(report.changes[0].importing.as_deref(), Some("acme-assets"));
}

#[test]
fn moves_are_reported_and_named() {
    let mut moved = change("aws_instance.api", &["no-op"], json!({}), json!({}));
    moved["previous_address"] = json!("aws_instance.web");
    let mut moved_and_replaced = change(
        "aws_instance.db",
        &["delete", "create"],
        json!({}),
        json!({}),
    );
    moved_and_replaced["previous_address"] = json!("aws_instance.database");
    let report = classify(&plan_with(json!([moved, moved_and_replaced]), json!({})));
    let effects = &report.classification.effects;
    assert_eq!(effects[0].rule, "terraform.plan.move");
    assert_eq!(effects[0].risk, Risk::Low);
    assert_eq!(effects[1].kind, EffectKind::Replace);
    assert!(effects[1]
        .reason
        .contains("moved from `aws_instance.database`"));
    assert_eq!(report.counts.moved, 2);
}

#[test]
fn deposed_objects_are_named_as_such() {
    let mut deposed = change("aws_instance.web", &["delete"], json!({}), json!(null));
    deposed["deposed"] = json!("00000001");
    let report = classify(&plan_with(json!([deposed]), json!({})));
    let effect = &report.classification.effects[0];
    assert_eq!(effect.kind, EffectKind::Destroy);
    assert_eq!(effect.reversibility, Reversibility::Irreversible);
    assert!(effect
        .reason
        .contains("destroy deposed object `00000001` of `aws_instance.web`"));
    assert_eq!(report.changes[0].deposed.as_deref(), Some("00000001"));
}

#[test]
fn drift_is_noted_but_not_judged() {
    let drift = change("aws_instance.web", &["update"], json!({}), json!({}));
    let plan = plan_with(json!([]), json!({"resource_drift": [drift]}));
    let report = classify(&plan);
    assert!(report.classification.effects.is_empty());
    assert_eq!(report.counts.drift, 1);
    assert!(report.notes.iter().any(|n| n.contains("resource_drift")));
}

#[test]
fn incomplete_plans_are_reported_with_a_note() {
    let plan = plan_with(
        json!([change(
            "aws_instance.web",
            &["create"],
            json!(null),
            json!({})
        )]),
        json!({"complete": false, "applyable": false}),
    );
    let report = classify(&plan);
    assert_eq!(report.complete, Some(false));
    assert_eq!(report.classification.effects.len(), 1);
    assert!(report.notes.iter().any(|n| n.contains("complete: false")));
    assert!(report.notes.iter().any(|n| n.contains("applyable: false")));
}

#[test]
fn unrecognised_action_lists_are_unknown_effects() {
    let plan = plan_with(
        json!([change(
            "aws_instance.web",
            &["delete", "update"],
            json!({}),
            json!({})
        )]),
        json!({}),
    );
    let report = classify(&plan);
    assert_eq!(report.changes[0].action, ChangeAction::Unrecognized);
    let effect = &report.classification.effects[0];
    assert_eq!(effect.kind, EffectKind::Unknown);
    assert_eq!(effect.risk, Risk::High);
    assert!(effect.reason.contains("[\"delete\", \"update\"]"));
}

#[test]
fn an_environment_change_takes_the_more_critical_side() {
    let plan = plan_with(
        json!([change(
            "aws_instance.web",
            &["update"],
            json!({"tags": {"Environment": "production"}}),
            json!({"tags": {"Environment": "staging"}})
        )]),
        json!({}),
    );
    let report = classify(&plan);
    assert_eq!(report.changes[0].environment, EnvTier::Production);
    assert_eq!(
        report.changes[0].environment_evidence.as_deref(),
        Some("before.tags.Environment = \"production\"")
    );
}

#[test]
fn empty_resource_changes_and_a_plan_without_them_have_no_effects() {
    let report = classify(&plan_with(json!([]), json!({})));
    assert!(report.classification.effects.is_empty());
    let report = classify(r#"{"format_version":"1.2","planned_values":{}}"#);
    assert!(report.changes.is_empty());
}

#[test]
fn pretty_printed_plans_have_exact_spans() {
    let plan = plan_with(
        json!([
            change(
                "aws_instance.a",
                &["create"],
                json!(null),
                json!({"name": "a\u{e9}"})
            ),
            change("aws_instance.b", &["delete"], json!({}), json!(null))
        ]),
        json!({}),
    );
    let report = classify(&plan);
    for change in &report.changes {
        let spanned = change.span.slice(&plan).unwrap();
        assert!(spanned.starts_with('{') && spanned.ends_with('}'));
        let value: serde_json::Value = serde_json::from_str(spanned).unwrap();
        assert_eq!(value["address"], change.address.as_str());
    }
}
