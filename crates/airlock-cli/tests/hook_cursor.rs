//! `airlock hook cursor` as Cursor runs it: beforeShellExecution and
//! beforeMCPExecution payloads on stdin, a `permission` answer with messages
//! in both spellings, and a deny plus exit code 2 on anything airlock cannot
//! read.

const AGENT: &str = "cursor";

mod common;

use std::process::Output;

use common::*;

/// The permission and message Cursor reads, checking both spellings agree.
fn cursor_answer(output: &Output) -> (String, String) {
    assert_eq!(
        output.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let v = stdout_json(output);
    let message = v["agent_message"].as_str().unwrap_or_default().to_string();
    assert!(!message.is_empty(), "empty message: {v}");
    assert_eq!(v["agentMessage"], v["agent_message"]);
    assert_eq!(v["user_message"], v["agent_message"]);
    assert_eq!(v["userMessage"], v["agent_message"]);
    (
        v["permission"].as_str().unwrap_or_default().to_string(),
        message,
    )
}

#[test]
fn real_payloads_get_the_expected_permissions() {
    let dir = project();
    let cases = [
        ("shell-harmless.json", "allow"),
        ("shell-destructive.json", "deny"),
        ("shell-force-push.json", "ask"),
        ("shell-write-workflow.json", "ask"),
        ("mcp-read.json", "allow"),
        ("mcp-delete-encoded.json", "ask"),
    ];
    for (name, expected) in cases {
        let (permission, message) = cursor_answer(&run_fixture(AGENT, name, dir.path()));
        assert_eq!(permission, expected, "{name}: {message}");
    }
    let (_, message) = cursor_answer(&run_fixture(AGENT, "shell-force-push.json", dir.path()));
    assert!(message.contains("needs approval"), "{message}");
}

#[test]
fn malformed_payloads_deny_on_stdout_and_exit_two() {
    let dir = project();
    let mut payloads: Vec<Vec<u8>> = [
        "malformed-truncated.json",
        "malformed-no-command.json",
        "malformed-event.json",
        "malformed-encoded-input.json",
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
        let v = stdout_json(&output);
        assert_eq!(v["permission"], "deny");
        assert!(v["agent_message"]
            .as_str()
            .unwrap_or_default()
            .contains("airlock blocked this tool call"));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("airlock blocked this tool call"),
            "{stderr}"
        );
    }
}

#[test]
fn install_adds_both_hooks_once_and_keeps_existing_settings() {
    let dir = project();
    let settings = dir.path().join(".cursor/hooks.json");
    std::fs::create_dir_all(settings.parent().expect("parent")).expect("mkdir");
    std::fs::write(
        &settings,
        r#"{"version": 1, "hooks": {"afterFileEdit": [{"command": "./format.sh"}], "beforeShellExecution": [{"command": "./audit.sh"}]}}"#,
    )
    .expect("write");
    install_twice(AGENT, dir.path());
    let v = read_json(&settings);
    assert_eq!(v["version"], 1);
    assert_eq!(v["hooks"]["afterFileEdit"][0]["command"], "./format.sh");
    let shell = v["hooks"]["beforeShellExecution"]
        .as_array()
        .expect("shell");
    assert_eq!(shell.len(), 2);
    assert_eq!(shell[0]["command"], "./audit.sh");
    let mcp = v["hooks"]["beforeMCPExecution"].as_array().expect("mcp");
    assert_eq!(mcp.len(), 1);
    for entry in [&shell[1], &mcp[0]] {
        let command = entry["command"].as_str().expect("command");
        assert!(command.ends_with("hook cursor"), "{command}");
    }
}

#[test]
fn install_into_a_new_file_sets_the_version() {
    let dir = project();
    install_twice(AGENT, dir.path());
    let v = read_json(&dir.path().join(".cursor/hooks.json"));
    assert_eq!(v["version"], 1);
    assert_eq!(
        v["hooks"]["beforeShellExecution"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(
        v["hooks"]["beforeMCPExecution"].as_array().map(Vec::len),
        Some(1)
    );
}
