//! `airlock hook codex` as Codex CLI runs it: a PreToolUse payload on stdin;
//! an allow prints nothing (Codex rejects a bare `allow` and runs the tool),
//! denials and escalations print a deny with a reason, and anything airlock
//! cannot read exits 2 with stderr.

const AGENT: &str = "codex";

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn fixture(name: &str, cwd: &Path) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(AGENT)
        .join(name);
    let text = std::fs::read_to_string(&path).expect("fixture");
    text.replace("CWD", &cwd.display().to_string()).into_bytes()
}

fn run_hook(payload: &[u8], cwd: &Path) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_airlock"))
        .args(["hook", AGENT])
        .current_dir(cwd)
        .env_remove("AIRLOCK_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn airlock");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(payload)
        .expect("write payload");
    child.wait_with_output().expect("wait")
}

fn run_fixture(name: &str, cwd: &Path) -> Output {
    run_hook(&fixture(name, cwd), cwd)
}

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("src")).expect("mkdir");
    dir
}

fn install_twice(project: &Path) {
    for _ in 0..2 {
        let status = Command::new(env!("CARGO_BIN_EXE_airlock"))
            .args(["hook", "install", AGENT, "--project"])
            .arg(project)
            .status()
            .expect("run install");
        assert!(status.success());
    }
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json")
}

fn stdout_json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {:?}; stderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// Unreadable payloads shared by every agent.
fn garbage_payloads() -> Vec<Vec<u8>> {
    vec![
        Vec::new(),
        b"\xff\xfe not utf-8".to_vec(),
        b"[\"Bash\"]".to_vec(),
    ]
}

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
        let output = run_fixture(name, dir.path());
        assert_eq!(codex_answer(&output), None, "{name}");
        assert!(output.stderr.is_empty(), "{name}");
    }
}

#[test]
fn a_destructive_command_is_denied() {
    let dir = project();
    let reason = codex_answer(&run_fixture("bash-destructive.json", dir.path())).expect("deny");
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
        let reason = codex_answer(&run_fixture(name, dir.path())).expect(name);
        assert!(
            reason.contains("until a person approves it"),
            "{name}: {reason}"
        );
    }
    let reason = codex_answer(&run_fixture("patch-workflow.json", dir.path())).expect("deny");
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
    .map(|name| fixture(name, dir.path()))
    .collect();
    payloads.extend(garbage_payloads());
    for payload in payloads {
        let output = run_hook(&payload, dir.path());
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
    install_twice(dir.path());
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
