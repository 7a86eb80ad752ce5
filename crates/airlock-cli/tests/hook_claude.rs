//! `airlock hook claude` as Claude Code runs it: a real PreToolUse payload on
//! stdin, the decision on stdout, and a block (exit 2) on anything it cannot
//! read.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn fixture(name: &str, cwd: &Path) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/claude")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("fixture");
    text.replace("CWD", &cwd.display().to_string()).into_bytes()
}

fn run_hook(payload: &[u8], cwd: &Path) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_airlock"))
        .args(["hook", "claude"])
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

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("src")).expect("mkdir");
    dir
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
        let output = run_hook(&fixture(name, dir.path()), dir.path());
        let (got, reason) = decision(&output);
        assert_eq!(got, expected, "{name}: {reason}");
        assert!(!reason.is_empty(), "{name}: empty reason");
    }
}

#[test]
fn a_denial_explains_itself_to_the_model() {
    let dir = project();
    let output = run_hook(&fixture("bash-destructive.json", dir.path()), dir.path());
    let (_, reason) = decision(&output);
    assert!(reason.contains("airlock denied this"), "{reason}");
    assert!(reason.contains("delete"), "{reason}");
}

#[test]
fn an_escalation_says_what_approval_it_needs() {
    let dir = project();
    let output = run_hook(&fixture("bash-force-push.json", dir.path()), dir.path());
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
    .map(|name| fixture(name, dir.path()))
    .collect();
    payloads.push(Vec::new());
    payloads.push(b"\xff\xfe not utf-8".to_vec());
    payloads.push(b"[\"Bash\"]".to_vec());
    for payload in payloads {
        let output = run_hook(&payload, dir.path());
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
    let output = run_hook(&fixture("bash-harmless.json", dir.path()), dir.path());
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
    for _ in 0..2 {
        let status = Command::new(env!("CARGO_BIN_EXE_airlock"))
            .args(["hook", "install", "claude", "--project"])
            .arg(dir.path())
            .status()
            .expect("run install");
        assert!(status.success());
    }
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(&settings).expect("read")).expect("json");
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
