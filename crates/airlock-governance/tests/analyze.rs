//! Each finding kind has a policy set that triggers it and a fixed one
//! that does not; the incident example is flagged high; SARIF output
//! validates against the official SARIF 2.1.0 schema.

use std::path::{Path, PathBuf};

use airlock_governance::{analyze, render, Analysis, FindingKind, Project, Severity};

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

fn analysis_of(path: &Path) -> Analysis {
    analyze(&Project::open(path).unwrap()).unwrap()
}

fn kinds(analysis: &Analysis) -> Vec<FindingKind> {
    analysis.findings.iter().map(|f| f.kind).collect()
}

fn assert_triggers(name: &str, kind: FindingKind) -> Analysis {
    let triggered = analysis_of(&fixture(name));
    assert!(
        kinds(&triggered).contains(&kind),
        "{name} should report {}:\n{}",
        kind.id(),
        render::analysis_human(&triggered, false)
    );
    triggered
}

fn assert_clean_of(name: &str, kind: FindingKind) {
    let fixed = analysis_of(&fixture(name));
    assert!(
        !kinds(&fixed).contains(&kind),
        "{name} should not report {}:\n{}",
        kind.id(),
        render::analysis_human(&fixed, false)
    );
}

#[test]
fn excessive_authority_is_found_and_fixed() {
    let found = assert_triggers("excessive-authority", FindingKind::ExcessiveAuthority);
    let finding = found
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::ExcessiveAuthority)
        .unwrap();
    assert_eq!(finding.severity, Severity::High);
    assert!(
        finding.message.contains("agent role `deployer`"),
        "{}",
        finding.message
    );
    assert!(finding
        .message
        .contains("production targets with no approval"));
    assert!(finding
        .locations
        .iter()
        .any(|l| l.policy == "deployer-everything" && l.line == 1));
    assert!(finding.method.starts_with("exhaustive enumeration over "));
    assert_clean_of("excessive-authority-fixed", FindingKind::ExcessiveAuthority);
}

#[test]
fn weak_escalation_is_found_and_fixed() {
    let found = assert_triggers("weak-escalation", FindingKind::WeakEscalation);
    let finding = found
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::WeakEscalation)
        .unwrap();
    assert!(
        finding.message.contains("only 1 approver"),
        "{}",
        finding.message
    );
    assert!(
        finding.message.contains("floor of 2 approvers"),
        "{}",
        finding.message
    );
    assert_clean_of("weak-escalation-fixed", FindingKind::WeakEscalation);
}

#[test]
fn agent_holding_a_human_role_is_found_and_fixed() {
    let found = assert_triggers("human-role", FindingKind::AgentHoldsHumanAuthority);
    let finding = found
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::AgentHoldsHumanAuthority)
        .unwrap();
    assert_eq!(finding.severity, Severity::High);
    assert!(finding.message.contains("`senior`"), "{}", finding.message);
    assert!(finding
        .locations
        .iter()
        .any(|l| l.file.ends_with("airlock.toml") && l.line == 3));
    assert_clean_of("human-role-fixed", FindingKind::AgentHoldsHumanAuthority);
}

#[test]
fn granting_on_the_operator_is_found() {
    let found = assert_triggers("operator-grant", FindingKind::AgentHoldsHumanAuthority);
    assert!(found
        .findings
        .iter()
        .any(|f| f.message.contains("principal.operator")));
}

#[test]
fn ineffective_policies_are_found_and_fixed() {
    let found = assert_triggers("ineffective", FindingKind::IneffectivePolicy);
    let messages: Vec<&str> = found
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::IneffectivePolicy)
        .map(|f| f.message.as_str())
        .collect();
    let mentions =
        |id: &str, what: &str| messages.iter().any(|m| m.contains(id) && m.contains(what));
    assert!(
        mentions("`allow-exfiltration`", "never changes a decision"),
        "{messages:#?}"
    );
    assert!(mentions("`never`", "can never apply"), "{messages:#?}");
    assert!(
        mentions("`deny-exfiltration-again`", "redundant"),
        "{messages:#?}"
    );
    assert!(
        !mentions("`deny-exfiltration`", "redundant")
            || mentions("`deny-exfiltration-again`", "redundant")
    );
    assert_clean_of("ineffective-fixed", FindingKind::IneffectivePolicy);
}

#[test]
fn broad_permit_is_found_and_fixed() {
    assert_triggers("broad-permit", FindingKind::BroadPermit);
    assert_clean_of("broad-permit-fixed", FindingKind::BroadPermit);
}

#[test]
fn self_modification_is_found_and_fixed() {
    let found = assert_triggers("self-modification", FindingKind::SelfModification);
    let finding = found
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::SelfModification)
        .unwrap();
    assert!(
        finding.message.contains("airlock.toml"),
        "{}",
        finding.message
    );
    assert_clean_of("self-modification-fixed", FindingKind::SelfModification);
}

#[test]
fn unsupported_constructs_are_reported_as_not_analysed() {
    let found = assert_triggers("not-analysed", FindingKind::NotAnalysed);
    let finding = found
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::NotAnalysed)
        .unwrap();
    assert_eq!(finding.method, "not analysed");
    assert!(
        finding.message.contains("`like` pattern"),
        "{}",
        finding.message
    );
    // The decisions it could change are marked, not guessed.
    assert!(found
        .matrix
        .iter()
        .any(|e| e.verdict == airlock_governance::Verdict::NotAnalysed));
    assert_clean_of("self-modification-fixed", FindingKind::NotAnalysed);
}

#[test]
fn the_incident_example_is_flagged_high_with_a_readable_message() {
    let found = analysis_of(&example("incident-2025"));
    assert_eq!(found.max_severity(), Some(Severity::High));
    let finding = found
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::ExcessiveAuthority && f.severity == Severity::High)
        .expect("excessive authority");
    let message = &finding.message;
    assert!(
        message.contains("agent role `senior` can replace, destroy"),
        "{message}"
    );
    assert!(
        message.contains("production targets with no approval"),
        "{message}"
    );
    assert!(
        message.contains("the two-person rule is bypassed because the agent `infra-agent` holds its operator's role `senior`"),
        "{message}"
    );
    assert!(kinds(&found).contains(&FindingKind::AgentHoldsHumanAuthority));
}

#[test]
fn the_safe_default_example_is_clean() {
    let found = analysis_of(&example("safe-default"));
    assert!(
        found.findings.is_empty(),
        "{}",
        render::analysis_human(&found, false)
    );
}

#[test]
fn the_matrix_states_the_default_production_rule() {
    let found = analysis_of(&example("safe-default"));
    let entry = found
        .matrix
        .iter()
        .find(|e| {
            e.row == "role `agent`"
                && e.capability == "infra.apply"
                && e.environment == "production"
                && e.effect == "replace"
                && e.sensitivity == "normal"
                && e.risks.contains(&"high".to_string())
        })
        .unwrap();
    assert_eq!(entry.verdict, airlock_governance::Verdict::Escalate);
    let approvals = entry.approvals.as_ref().unwrap();
    assert_eq!(approvals.describe(), "2 approvers, at least 1 senior");
}

/// The published schema lists region's "one of startLine, charOffset or
/// byteOffset is required" `anyOf` inside `properties`, where its own
/// meta-schema rejects it (a property schema cannot be an array), so no
/// validator compiles the file as published. The fixture stays verbatim;
/// the constraint is moved to the region object, where the SARIF 2.1.0
/// specification places it.
fn with_region_constraint_in_place(mut schema: serde_json::Value) -> serde_json::Value {
    let region = schema["definitions"]["region"].as_object_mut().unwrap();
    let misplaced = region
        .get_mut("properties")
        .and_then(serde_json::Value::as_object_mut)
        .and_then(|properties| properties.remove("anyOf"))
        .expect("the published schema has region.properties.anyOf");
    region.insert("anyOf".to_string(), misplaced);
    schema
}

#[test]
fn sarif_output_validates_against_the_sarif_schema() {
    // The official OASIS schema, stored verbatim.
    let schema_text = std::fs::read_to_string(fixture("sarif-schema-2.1.0.json")).unwrap();
    let schema = with_region_constraint_in_place(serde_json::from_str(&schema_text).unwrap());
    assert_eq!(
        schema["title"],
        "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    );
    assert!(schema["$id"]
        .as_str()
        .unwrap()
        .ends_with("/sarif-schema-2.1.0.json"));
    // Formats (`uri`, `uri-reference`, `date-time`) are checked too, not
    // only annotated.
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    for path in [
        example("incident-2025"),
        example("safe-default"),
        fixture("not-analysed"),
    ] {
        let sarif = render::analysis_sarif(&analysis_of(&path));
        let errors: Vec<String> = validator
            .iter_errors(&sarif)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
        assert_eq!(sarif["version"], "2.1.0");
    }
    let sarif = render::analysis_sarif(&analysis_of(&example("incident-2025")));
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results
        .iter()
        .any(|r| r["level"] == "error" && r["ruleId"] == "AIR001"));
    assert!(results
        .iter()
        .all(|r| r["locations"][0]["physicalLocation"]["region"]["startLine"].as_u64() >= Some(1)));
    // A document that breaks the schema is rejected, so the check has teeth.
    let mut broken = sarif.clone();
    broken["runs"][0]["results"][0]["level"] = serde_json::json!("fatal");
    assert!(!validator.is_valid(&broken));
    // Properties the format does not define are rejected as well.
    let mut unknown_property = sarif.clone();
    unknown_property["runs"][0]["results"][0]["severity"] = serde_json::json!("high");
    assert!(!validator.is_valid(&unknown_property));
    // A region must say where it starts.
    let mut no_start = sarif.clone();
    no_start["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"] =
        serde_json::json!({ "startColumn": 1 });
    assert!(!validator.is_valid(&no_start));
}
