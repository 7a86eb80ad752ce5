//! `airlock hook copilot` as GitHub Copilot runs it: camelCase and
//! snake_case preToolUse payloads on stdin. Copilot ignores exit codes, so
//! every answer, failures included, is JSON on stdout.

const AGENT: &str = "copilot";

mod common;

use std::process::Output;

use common::*;

/// The decision and reason Copilot reads. Copilot ignores exit codes, so
/// every answer must be JSON on stdout.
fn copilot_answer(output: &Output) -> (String, String) {
    let v = stdout_json(output);
    let reason = v["permissionDecisionReason"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(!reason.trim().is_empty(), "empty reason: {v}");
    (
        v["permissionDecision"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        reason,
    )
}

#[test]
fn real_payloads_get_the_expected_decisions() {
    let dir = project();
    let cases = [
        ("bash-harmless.json", "allow"),
        ("bash-destructive.json", "deny"),
        ("edit-source.json", "allow"),
        ("view.json", "allow"),
        ("mcp-read-snake.json", "allow"),
    ];
    for (name, expected) in cases {
        let output = run_fixture(AGENT, name, dir.path());
        assert_eq!(output.status.code(), Some(0), "{name}");
        let (decision, reason) = copilot_answer(&output);
        assert_eq!(decision, expected, "{name}: {reason}");
    }
}

#[test]
fn escalations_are_denials_that_say_how_to_get_approval() {
    let dir = project();
    for name in [
        "bash-force-push.json",
        "create-workflow.json",
        "mcp-delete-snake.json",
        "powershell.json",
    ] {
        let output = run_fixture(AGENT, name, dir.path());
        assert_eq!(output.status.code(), Some(0), "{name}");
        let (decision, reason) = copilot_answer(&output);
        assert_eq!(decision, "deny", "{name}: {reason}");
        assert!(
            reason.contains("until a person approves it"),
            "{name}: {reason}"
        );
    }
}

#[test]
fn malformed_payloads_deny_in_json() {
    let dir = project();
    let mut payloads: Vec<Vec<u8>> = [
        "malformed-truncated.json",
        "malformed-args-string.json",
        "malformed-no-tool.json",
    ]
    .iter()
    .map(|name| fixture(AGENT, name, dir.path()))
    .collect();
    payloads.extend(garbage_payloads());
    for payload in payloads {
        let output = run_hook(AGENT, &payload, dir.path());
        let (decision, reason) = copilot_answer(&output);
        assert_eq!(decision, "deny", "{:?}", String::from_utf8_lossy(&payload));
        assert!(
            reason.contains("airlock blocked this tool call"),
            "{reason}"
        );
    }
}

#[test]
fn a_broken_project_config_denies_in_json() {
    let dir = project();
    std::fs::write(dir.path().join("airlock.toml"), "[agent\nid = 1").expect("write");
    let output = run_fixture(AGENT, "bash-harmless.json", dir.path());
    let (decision, reason) = copilot_answer(&output);
    assert_eq!(decision, "deny");
    assert!(reason.contains("airlock.toml"), "{reason}");
}

#[test]
fn install_adds_the_hook_once_and_keeps_existing_settings() {
    let dir = project();
    let settings = dir.path().join(".github/hooks/airlock.json");
    std::fs::create_dir_all(settings.parent().expect("parent")).expect("mkdir");
    std::fs::write(
        &settings,
        r#"{"version": 1, "hooks": {"sessionStart": [{"type": "command", "bash": "./start.sh"}]}}"#,
    )
    .expect("write");
    install_twice(AGENT, dir.path());
    let v = read_json(&settings);
    assert_eq!(v["version"], 1);
    assert_eq!(v["hooks"]["sessionStart"][0]["bash"], "./start.sh");
    let entries = v["hooks"]["preToolUse"].as_array().expect("preToolUse");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["type"], "command");
    assert_eq!(entries[0]["timeoutSec"], 30);
    let command = entries[0]["bash"].as_str().expect("bash");
    assert!(command.ends_with("hook copilot"), "{command}");
}
