//! `airlock hook copilot` as GitHub Copilot runs it: camelCase and
//! snake_case preToolUse payloads on stdin. Copilot ignores exit codes, so
//! every answer, failures included, is JSON on stdout.

const AGENT: &str = "copilot";

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
        let output = run_fixture(name, dir.path());
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
        let output = run_fixture(name, dir.path());
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
    .map(|name| fixture(name, dir.path()))
    .collect();
    payloads.extend(garbage_payloads());
    for payload in payloads {
        let output = run_hook(&payload, dir.path());
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
    let output = run_fixture("bash-harmless.json", dir.path());
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
    install_twice(dir.path());
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
