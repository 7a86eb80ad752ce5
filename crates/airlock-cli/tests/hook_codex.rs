//! `airlock hook codex` as Codex CLI runs it: a PreToolUse payload on stdin;
//! an allow prints nothing (Codex rejects a bare `allow` and runs the tool),
//! denials and escalations print a deny with a reason, and anything airlock
//! cannot read exits 2 with stderr.

const AGENT: &str = "codex";

mod common;

use std::process::Output;

use common::*;

/// What Codex reads from the hook: `None` when the call may run (nothing
/// printed, exit 0), else the deny reason.
fn codex_answer(output: &Output) -> Option<String> {
    assert_eq!(
        output.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    if output.stdout.is_empty() {
        return None;
    }
    let v = stdout_json(output);
    let out = &v["hookSpecificOutput"];
    assert_eq!(out["hookEventName"], "PreToolUse");
    assert_eq!(
        out["permissionDecision"], "deny",
        "Codex honours only deny: {v}"
    );
    let reason = out["permissionDecisionReason"].as_str().unwrap_or_default();
    assert!(!reason.trim().is_empty(), "Codex needs a non-empty reason");
    Some(reason.to_string())
}

#[test]
fn allowed_calls_print_nothing_because_codex_rejects_a_bare_allow() {
    let dir = project();
    for name in [
        "bash-harmless.json",
        "patch-source.json",
        "patch-several-files.json",
        "mcp-read.json",
    ] {
        let output = run_fixture(AGENT, name, dir.path());
        assert_eq!(codex_answer(&output), None, "{name}");
        assert!(output.stderr.is_empty(), "{name}");
    }
}

#[test]
fn a_destructive_command_is_denied() {
    let dir = project();
    let reason =
        codex_answer(&run_fixture(AGENT, "bash-destructive.json", dir.path())).expect("deny");
    assert!(reason.contains("airlock denied this"), "{reason}");
}

#[test]
fn escalations_are_denials_that_say_how_to_get_approval() {
    let dir = project();
    for name in [
        "bash-force-push.json",
        "patch-workflow.json",
        "patch-touches-workflow.json",
        "patch-no-file.json",
        "mcp-delete.json",
    ] {
        let reason = codex_answer(&run_fixture(AGENT, name, dir.path())).expect(name);
        assert!(
            reason.contains("until a person approves it"),
            "{name}: {reason}"
        );
    }
    let reason =
        codex_answer(&run_fixture(AGENT, "patch-workflow.json", dir.path())).expect("deny");
    assert!(reason.contains(".github/workflows/x.yml"), "{reason}");
    assert!(reason.contains("needs approval"), "{reason}");
}

#[test]
fn malformed_payloads_block_with_exit_code_two_and_stderr() {
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
            "{:?}",
            String::from_utf8_lossy(&payload)
        );
        assert!(output.stdout.is_empty());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("airlock blocked this tool call"),
            "{stderr}"
        );
    }
}

#[test]
fn install_adds_the_hook_once_and_keeps_existing_settings() {
    let dir = project();
    let settings = dir.path().join(".codex/hooks.json");
    std::fs::create_dir_all(settings.parent().expect("parent")).expect("mkdir");
    std::fs::write(
        &settings,
        r#"{"hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "./lint.sh"}]}], "Stop": []}}"#,
    )
    .expect("write");
    install_twice(AGENT, dir.path());
    let v = read_json(&settings);
    assert_eq!(v["hooks"]["Stop"], serde_json::json!([]));
    let entries = v["hooks"]["PreToolUse"].as_array().expect("PreToolUse");
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["hooks"][0]["command"], "./lint.sh");
    let ours = &entries[1];
    assert_eq!(ours["matcher"], "Bash|apply_patch|mcp__.*");
    assert_eq!(ours["hooks"][0]["type"], "command");
    assert_eq!(ours["hooks"][0]["timeout"], 30);
    let command = ours["hooks"][0]["command"].as_str().expect("command");
    assert!(command.ends_with("hook codex"), "{command}");
}
