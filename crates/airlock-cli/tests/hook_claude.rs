//! `airlock hook claude` as Claude Code runs it: a real PreToolUse payload on
//! stdin, the decision on stdout, and a block (exit 2) on anything it cannot
//! read.

const AGENT: &str = "claude";

mod common;

use std::process::Output;

use serde_json::Value;

use common::*;

/// The permission decision and reason Claude Code would read.
fn decision(output: &Output) -> (String, String) {
    assert_eq!(
        output.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let v: Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    let out = &v["hookSpecificOutput"];
    assert_eq!(out["hookEventName"], "PreToolUse");
    (
        out["permissionDecision"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        out["permissionDecisionReason"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

#[test]
fn real_payloads_get_the_expected_decisions() {
    let dir = project();
    let cases = [
        ("bash-destructive.json", "deny"),
        ("bash-harmless.json", "allow"),
        ("bash-force-push.json", "ask"),
        ("bash-opaque.json", "ask"),
        ("write-source.json", "allow"),
        ("write-workflow.json", "ask"),
        ("edit-airlock-config.json", "ask"),
        ("edit-source.json", "allow"),
        ("mcp-read.json", "allow"),
        ("mcp-delete.json", "ask"),
        ("read.json", "allow"),
    ];
    for (name, expected) in cases {
        let output = run_fixture(AGENT, name, dir.path());
        let (got, reason) = decision(&output);
        assert_eq!(got, expected, "{name}: {reason}");
        assert!(!reason.is_empty(), "{name}: empty reason");
    }
}

#[test]
fn a_denial_explains_itself_to_the_model() {
    let dir = project();
    let output = run_fixture(AGENT, "bash-destructive.json", dir.path());
    let (_, reason) = decision(&output);
    assert!(reason.contains("airlock denied this"), "{reason}");
    assert!(reason.contains("delete"), "{reason}");
}

#[test]
fn an_escalation_says_what_approval_it_needs() {
    let dir = project();
    let output = run_fixture(AGENT, "bash-force-push.json", dir.path());
    let (_, reason) = decision(&output);
    assert!(reason.contains("needs approval"), "{reason}");
}

#[test]
fn malformed_payloads_block_with_exit_code_two() {
    let dir = project();
    let mut payloads: Vec<Vec<u8>> = [
        "malformed-truncated.json",
        "malformed-no-input.json",
        "malformed-command-type.json",
    ]
    .iter()
    .map(|name| fixture(AGENT, name, dir.path()))
    .collect();
    payloads.extend(garbage_payloads());
    for payload in payloads {
        let output = run_hook(AGENT, &payload, dir.path());
        assert_eq!(
            output.status.code(),
            Some(2),
            "payload {:?} was not blocked",
            String::from_utf8_lossy(&payload)
        );
        assert!(
            output.stdout.is_empty(),
            "a block must not also print a decision"
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("airlock blocked this tool call"),
            "{stderr}"
        );
    }
}

#[test]
fn a_broken_project_config_blocks_instead_of_failing_open() {
    let dir = project();
    std::fs::write(dir.path().join("airlock.toml"), "[agent\nid = 1").expect("write");
    let output = run_fixture(AGENT, "bash-harmless.json", dir.path());
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("airlock.toml"), "{stderr}");
}

#[test]
fn install_adds_the_hook_once_and_keeps_existing_settings() {
    let dir = project();
    let settings = dir.path().join(".claude/settings.json");
    std::fs::create_dir_all(settings.parent().expect("parent")).expect("mkdir");
    std::fs::write(&settings, r#"{"model": "opus", "hooks": {"Stop": []}}"#).expect("write");
    install_twice(AGENT, dir.path());
    let v = read_json(&settings);
    assert_eq!(v["model"], "opus");
    assert_eq!(v["hooks"]["Stop"], serde_json::json!([]));
    let entries = v["hooks"]["PreToolUse"].as_array().expect("PreToolUse");
    assert_eq!(entries.len(), 1);
    let command = entries[0]["hooks"][0]["command"].as_str().expect("command");
    assert!(command.ends_with("hook claude"), "{command}");
    assert!(entries[0]["matcher"]
        .as_str()
        .expect("matcher")
        .contains("Bash"));
}
