//! `airlock hook kiro` as Kiro CLI runs it: a preToolUse payload on stdin;
//! only exit code 2 blocks, so denials, escalations and failures all exit 2
//! with a message on stderr.

const AGENT: &str = "kiro";

mod common;

use std::process::{Command, Output};

use common::*;

/// Kiro's only channel: exit code 0 lets the tool run; 2 blocks with stderr.
fn kiro_blocks(output: &Output) -> Option<String> {
    assert!(output.stdout.is_empty(), "Kiro reads no stdout");
    match output.status.code() {
        Some(0) => {
            assert!(output.stderr.is_empty());
            None
        }
        Some(2) => {
            let stderr = String::from_utf8_lossy(&output.stderr).to_string();
            assert!(!stderr.trim().is_empty(), "a block needs a message");
            Some(stderr)
        }
        other => panic!("exit code {other:?} neither allows nor blocks in Kiro"),
    }
}

#[test]
fn allowed_calls_exit_zero_silently() {
    let dir = project();
    for name in [
        "bash-harmless.json",
        "write-source.json",
        "read.json",
        "mcp-read.json",
    ] {
        assert_eq!(
            kiro_blocks(&run_fixture(AGENT, name, dir.path())),
            None,
            "{name}"
        );
    }
}

#[test]
fn a_destructive_command_is_blocked() {
    let dir = project();
    let message =
        kiro_blocks(&run_fixture(AGENT, "bash-destructive.json", dir.path())).expect("block");
    assert!(message.contains("airlock denied this"), "{message}");
}

#[test]
fn escalations_block_and_say_how_to_get_approval() {
    let dir = project();
    for name in [
        "bash-force-push.json",
        "write-workflow.json",
        "mcp-delete.json",
        "aws.json",
    ] {
        let message = kiro_blocks(&run_fixture(AGENT, name, dir.path())).expect(name);
        assert!(
            message.contains("until a person approves it"),
            "{name}: {message}"
        );
    }
}

#[test]
fn malformed_payloads_block_with_exit_code_two() {
    let dir = project();
    let mut payloads: Vec<Vec<u8>> = [
        "malformed-truncated.json",
        "malformed-command-type.json",
        "malformed-no-input.json",
    ]
    .iter()
    .map(|name| fixture(AGENT, name, dir.path()))
    .collect();
    payloads.extend(garbage_payloads());
    for payload in payloads {
        let message = kiro_blocks(&run_hook(AGENT, &payload, dir.path()))
            .unwrap_or_else(|| panic!("{:?} was not blocked", String::from_utf8_lossy(&payload)));
        assert!(
            message.contains("airlock blocked this tool call"),
            "{message}"
        );
    }
}

#[test]
fn install_adds_the_hook_once_to_an_existing_agent() {
    let dir = project();
    let agent = dir.path().join(".kiro/agents/default.json");
    std::fs::create_dir_all(agent.parent().expect("parent")).expect("mkdir");
    std::fs::write(
        &agent,
        r#"{"name": "default", "tools": ["*"], "allowedTools": ["fs_read"], "hooks": {"agentSpawn": [{"command": "git status"}]}}"#,
    )
    .expect("write");
    install_twice(AGENT, dir.path());
    let v = read_json(&agent);
    assert_eq!(v["name"], "default");
    assert_eq!(v["tools"], serde_json::json!(["*"]));
    assert_eq!(v["hooks"]["agentSpawn"][0]["command"], "git status");
    let entries = v["hooks"]["preToolUse"].as_array().expect("preToolUse");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["matcher"], "*");
    let command = entries[0]["command"].as_str().expect("command");
    assert!(command.ends_with("hook kiro"), "{command}");
}

#[test]
fn install_refuses_when_the_agent_file_does_not_exist() {
    let dir = project();
    let output = Command::new(env!("CARGO_BIN_EXE_airlock"))
        .args(["hook", "install", "kiro", "--project"])
        .arg(dir.path())
        .output()
        .expect("run install");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("kiro-cli agent create"), "{stderr}");
    assert!(!dir.path().join(".kiro").exists());
}
