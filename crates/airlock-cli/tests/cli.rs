//! The `airlock` command's contract: exit codes, JSON output, batch
//! classification and clear errors on bad input.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn airlock(args: &[&str], stdin: &[u8]) -> Output {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_airlock"))
        .args(args)
        .current_dir(dir.path())
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
        .write_all(stdin)
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/terraform")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn check_exit_codes_follow_the_verdict() {
    let cases: [(&[&str], i32); 9] = [
        (&["check", "--", "ls", "-la"], 0),
        (&["check", "--", "rm -rf /"], 2),
        (
            &["check", "--", "git", "push", "--force", "origin", "main"],
            3,
        ),
        (&["check", "--", "sudo env bash -c 'rm -rf /'"], 2),
        (&["check", "--", "eval \"$x\""], 3),
        // Without `--`: one quoted line, or the words with their options.
        (&["check", "rm -rf /"], 2),
        (&["check", "ls", "-la"], 0),
        (&["check", "rm", "-rf", "/"], 2),
        (&["check", "--format", "json", "git", "push", "-f"], 3),
    ];
    for (args, code) in cases {
        let out = airlock(args, b"");
        assert_eq!(
            out.status.code(),
            Some(code),
            "{args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn check_json_carries_the_decision_and_its_findings() {
    let out = airlock(&["check", "--format", "json", "--", "rm -rf /"], b"");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["decision"]["verdict"], "deny");
    let finding = &v["decision"]["findings"][0];
    assert!(finding["rule"].is_string());
    assert!(finding["evidence"]["span"]["end"].as_u64().unwrap_or(0) > 0);
}

#[test]
fn check_plan_escalates_production_replace_and_errors_on_bad_plans() {
    let out = airlock(
        &["check", "--plan", &fixture("plan-replace-production.json")],
        b"",
    );
    assert_eq!(out.status.code(), Some(3));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("terraform_data.cost_explorer_production"),
        "{text}"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("plan.json");
    std::fs::write(&bad, "{\"format_version\": ").expect("write");
    let out = airlock(&["check", "--plan", &bad.display().to_string()], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(!out.stderr.is_empty());

    let out = airlock(&["check", "--plan", "/nonexistent/plan.json"], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/plan.json"));
}

#[test]
fn usage_errors_exit_one_and_help_exits_zero() {
    assert_eq!(airlock(&["check"], b"").status.code(), Some(1));
    assert_eq!(airlock(&["frobnicate"], b"").status.code(), Some(1));
    let help = airlock(&["check", "--help"], b"");
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("EXAMPLES"));
}

#[test]
fn classify_answers_every_line_in_order_and_reports_bad_lines() {
    let input = concat!(
        "{\"id\":\"a\",\"command\":\"ls\"}\n",
        "not json\n",
        "\n",
        "{\"id\":\"b\",\"command\":\"rm -rf /\"}\n",
        "{\"id\":7,\"command\":\"git push --force origin main\"}\n",
        "{\"command\":\"ls\"}\n",
    );
    let out = airlock(&["classify"], input.as_bytes());
    assert_eq!(
        out.status.code(),
        Some(1),
        "a bad line makes the exit non-zero"
    );
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[0]["id"], "a");
    assert_eq!(lines[0]["verdict"], "allow");
    assert_eq!(lines[1]["line"], 2);
    assert!(lines[1]["error"].is_string());
    assert_eq!(lines[2]["id"], "b");
    assert_eq!(lines[2]["verdict"], "deny");
    assert!(lines[2]["findings"]
        .as_array()
        .is_some_and(|f| !f.is_empty()));
    assert_eq!(lines[3]["id"], 7);
    assert_eq!(lines[3]["verdict"], "escalate");
    assert_eq!(lines[4]["line"], 6);
}

#[test]
fn classify_of_good_input_exits_zero() {
    let out = airlock(
        &["classify"],
        b"{\"id\":\"a\",\"command\":\"cargo test\"}\n",
    );
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn explain_shows_the_parse_the_evidence_and_the_policy() {
    let out = airlock(&["explain", "--", "sudo env bash -c 'rm -rf /'"], b"");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("read as"), "{text}");
    assert!(text.contains("^"), "evidence is underlined: {text}");
    assert!(text.contains("policy"), "{text}");
    assert!(text.contains("DENY"), "{text}");
}
