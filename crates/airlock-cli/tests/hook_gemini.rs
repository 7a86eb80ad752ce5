//! `airlock hook gemini` as Gemini CLI runs it: a BeforeTool payload on
//! stdin, a top-level `decision` on stdout, and exit code 2 with stderr on
//! anything airlock cannot read.

const AGENT: &str = "gemini";

mod common;

use std::process::Output;

use common::*;

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
        let (decision, reason) = gemini_answer(&run_fixture(AGENT, name, dir.path()));
        assert_eq!(decision, expected, "{name}: {reason}");
    }
}

#[test]
fn denials_and_escalations_explain_themselves() {
    let dir = project();
    let (_, reason) = gemini_answer(&run_fixture(AGENT, "shell-destructive.json", dir.path()));
    assert!(reason.contains("airlock denied this"), "{reason}");
    let (_, reason) = gemini_answer(&run_fixture(AGENT, "write-workflow.json", dir.path()));
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
    install_twice(AGENT, dir.path());
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
