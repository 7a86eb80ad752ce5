//! `airlock hook gemini` as Gemini CLI runs it: a BeforeTool payload on
//! stdin, a top-level `decision` on stdout, and exit code 2 with stderr on
//! anything airlock cannot read.

const AGENT: &str = "gemini";

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

/// The decision and reason Gemini CLI reads.
fn gemini_answer(output: &Output) -> (String, String) {
    assert_eq!(
        output.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let v = stdout_json(output);
    let reason = v["reason"].as_str().unwrap_or_default().to_string();
    assert!(!reason.is_empty(), "empty reason: {v}");
    (
        v["decision"].as_str().unwrap_or_default().to_string(),
        reason,
    )
}

#[test]
fn real_payloads_get_the_expected_decisions() {
    let dir = project();
    let cases = [
        ("shell-harmless.json", "allow"),
        ("shell-destructive.json", "deny"),
        ("shell-force-push.json", "ask"),
        ("write-source.json", "allow"),
        ("write-workflow.json", "ask"),
        ("replace-source.json", "allow"),
        ("mcp-read.json", "allow"),
        ("mcp-delete.json", "ask"),
        ("read.json", "allow"),
        ("web-fetch.json", "ask"),
    ];
    for (name, expected) in cases {
        let (decision, reason) = gemini_answer(&run_fixture(name, dir.path()));
        assert_eq!(decision, expected, "{name}: {reason}");
    }
}

#[test]
fn denials_and_escalations_explain_themselves() {
    let dir = project();
    let (_, reason) = gemini_answer(&run_fixture("shell-destructive.json", dir.path()));
    assert!(reason.contains("airlock denied this"), "{reason}");
    let (_, reason) = gemini_answer(&run_fixture("write-workflow.json", dir.path()));
    assert!(reason.contains("needs approval"), "{reason}");
    assert!(reason.contains(".github/workflows/x.yml"), "{reason}");
}

#[test]
fn malformed_payloads_block_with_exit_code_two_and_stderr() {
    let dir = project();
    let mut payloads: Vec<Vec<u8>> = [
        "malformed-truncated.json",
        "malformed-command-type.json",
        "malformed-event.json",
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
        assert!(output.stdout.is_empty(), "Gemini must see only the block");
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
    let settings = dir.path().join(".gemini/settings.json");
    std::fs::create_dir_all(settings.parent().expect("parent")).expect("mkdir");
    std::fs::write(
        &settings,
        r#"{"theme": "GitHub", "hooks": {"AfterTool": []}}"#,
    )
    .expect("write");
    install_twice(dir.path());
    let v = read_json(&settings);
    assert_eq!(v["theme"], "GitHub");
    assert_eq!(v["hooks"]["AfterTool"], serde_json::json!([]));
    let entries = v["hooks"]["BeforeTool"].as_array().expect("BeforeTool");
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0]["matcher"],
        "run_shell_command|write_file|replace|mcp_.*"
    );
    let hook = &entries[0]["hooks"][0];
    assert_eq!(hook["type"], "command");
    assert_eq!(hook["timeout"], 5000, "Gemini's timeout is in milliseconds");
    let command = hook["command"].as_str().expect("command");
    assert!(command.ends_with("hook gemini"), "{command}");
}
