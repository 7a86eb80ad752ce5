//! Input that is not a readable plan is refused with a clear error, never a
//! panic, and never a guess.

mod common;

use airlock_terraform::{PlanClassifier, PlanError};
use common::fixture;

fn classify(text: &str) -> Result<airlock_terraform::PlanReport, PlanError> {
    PlanClassifier::default().classify(text, None)
}

fn assert_says_how_to_fix(error: &PlanError) {
    assert!(
        error
            .to_string()
            .contains("terraform show -json tfplan > plan.json"),
        "{error}"
    );
}

#[test]
fn truncated_json_is_not_json_with_its_position() {
    let text = fixture("plan-update.json");
    let cut = &text[..text.len() / 2];
    let error = classify(cut).unwrap_err();
    match &error {
        PlanError::NotJson { line, column, .. } => {
            assert_eq!(*line, 1);
            assert!(*column >= cut.len(), "column {column}");
        }
        other => panic!("expected NotJson, got {other:?}"),
    }
    assert!(error.to_string().contains("line 1, column"));
    assert_says_how_to_fix(&error);
}

#[test]
fn empty_and_garbage_input_is_not_json() {
    for text in [
        "",
        "   ",
        "terraform plan output",
        "{\"format_version\":",
        "{} {}",
    ] {
        let error = classify(text).unwrap_err();
        assert!(
            matches!(error, PlanError::NotJson { .. }),
            "{text:?}: {error:?}"
        );
        assert_says_how_to_fix(&error);
    }
}

#[test]
fn syntax_errors_report_line_and_column() {
    let text = "{\n  \"format_version\": \"1.2\",\n  \"resource_changes\": [,]\n}";
    match classify(text).unwrap_err() {
        PlanError::NotJson { line, column, .. } => assert_eq!((line, column), (3, 24)),
        other => panic!("expected NotJson, got {other:?}"),
    }
}

#[test]
fn json_that_is_not_a_plan_is_refused() {
    for text in [
        "[]",
        "[{\"format_version\":\"1.2\"}]",
        "42",
        "\"plan\"",
        "{}",
        "{\"resource_changes\":[]}",
        "{\"format_version\":\"1.2\",\"resource_changes\":{}}",
        "{\"format_version\":1.2,\"resource_changes\":[]}",
        "{\"format_version\":\"1.2\",\"applyable\":\"yes\",\"resource_changes\":[]}",
        "{\"format_version\":\"1.2\"}",
    ] {
        let error = classify(text).unwrap_err();
        assert!(
            matches!(error, PlanError::NotAPlan { .. }),
            "{text}: {error:?}"
        );
        assert_says_how_to_fix(&error);
    }
}

#[test]
fn a_state_file_is_named_as_a_state() {
    let error =
        classify("{\"format_version\":\"1.0\",\"values\":{\"root_module\":{}}}").unwrap_err();
    assert!(
        error.to_string().contains("Terraform state, not of a plan"),
        "{error}"
    );
}

#[test]
fn unsupported_format_versions_are_refused() {
    for version in ["2.0", "10.1", "banana", "", "-1.0"] {
        let text = format!("{{\"format_version\":\"{version}\",\"resource_changes\":[]}}");
        let error = classify(&text).unwrap_err();
        assert!(
            matches!(error, PlanError::UnsupportedFormatVersion { .. }),
            "{version}: {error:?}"
        );
    }
    assert!(classify("{\"format_version\":\"0.2\",\"resource_changes\":[]}").is_ok());
}

#[test]
fn errored_plans_are_refused() {
    let text = fixture("plan-update.json").replace("\"errored\":false", "\"errored\":true");
    let error = classify(&text).unwrap_err();
    assert_eq!(error, PlanError::Errored);
    assert!(error.to_string().contains("errored: true"));
}

#[test]
fn a_resource_change_without_actions_is_refused_with_its_address_and_position() {
    let text = "{\"format_version\":\"1.2\",\"resource_changes\":[\n  {\"address\":\"aws_instance.a\",\"change\":{\"actions\":[\"create\"]}},\n  {\"address\":\"aws_instance.b\",\"change\":{\"before\":null}}\n]}";
    let error = classify(text).unwrap_err();
    assert_eq!(
        error,
        PlanError::InvalidResourceChange {
            index: 1,
            address: Some("aws_instance.b".into()),
            line: 3,
            column: 3,
            message: "it has no `change.actions`".into(),
        }
    );
    assert!(error
        .to_string()
        .contains("resource_changes[1] (aws_instance.b) at line 3, column 3"));
    assert_says_how_to_fix(&error);
}

#[test]
fn malformed_resource_changes_are_refused() {
    for change in [
        "{\"address\":\"a.b\",\"change\":{\"actions\":[]}}",
        "{\"address\":\"a.b\"}",
        "{\"change\":{\"actions\":[\"create\"]}}",
        "{\"address\":\"a.b\",\"change\":{\"actions\":\"create\"}}",
        "{\"address\":7,\"change\":{\"actions\":[\"create\"]}}",
        "{\"address\":\"a.b\",\"change\":{\"actions\":[\"create\"],\"replace_paths\":[[{}]]}}",
        "{\"address\":\"a.b\",\"address\":\"c.d\",\"change\":{\"actions\":[\"create\"]}}",
        "17",
        "null",
        "[]",
    ] {
        let text = format!("{{\"format_version\":\"1.2\",\"resource_changes\":[{change}]}}");
        let error = classify(&text).unwrap_err();
        assert!(
            matches!(error, PlanError::InvalidResourceChange { index: 0, .. }),
            "{change}: {error:?}"
        );
    }
}

#[test]
fn a_serde_error_inside_a_change_points_into_the_whole_plan() {
    let text = "{\"format_version\":\"1.2\",\n\"resource_changes\":[\n{\"address\":\"a.b\",\n\"change\":{\"actions\":[1]}}]}";
    match classify(text).unwrap_err() {
        PlanError::InvalidResourceChange { line, message, .. } => {
            assert_eq!(line, 4);
            assert!(message.contains("invalid type"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn huge_nesting_is_an_error_not_a_crash() {
    let depth = 200_000;
    let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let places = [
        format!("{{\"format_version\":\"1.2\",\"resource_changes\":[{deep}]}}"),
        format!(
            "{{\"format_version\":\"1.2\",\"resource_changes\":[{{\"address\":\"a.b\",\"change\":{{\"actions\":[\"create\"],\"after\":{{\"tags\":{deep}}}}}}}]}}"
        ),
        deep.clone(),
    ];
    for text in &places {
        assert!(classify(text).is_err());
    }
    // Sections airlock does not judge are skipped, at any depth.
    let skipped =
        format!("{{\"format_version\":\"1.2\",\"prior_state\":{deep},\"resource_changes\":[]}}");
    assert!(classify(&skipped).unwrap().changes.is_empty());
}

#[test]
fn nesting_within_the_parser_limit_is_read_without_trouble() {
    let depth = 100;
    let mut value = String::from("{\"environment\":\"production\"}");
    for _ in 0..depth {
        value = format!("{{\"tags\":{value}}}");
    }
    let text = format!(
        "{{\"format_version\":\"1.2\",\"resource_changes\":[{{\"address\":\"aws_instance.web\",\"change\":{{\"actions\":[\"create\"],\"after\":{value}}}}}]}}"
    );
    let report = classify(&text).unwrap();
    assert_eq!(report.classification.effects.len(), 1);
}
