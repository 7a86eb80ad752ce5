//! `airlock policy validate | test | analyze | diff`: exit codes and output
//! formats, including JUnit, SARIF and a `git:REV:path` source.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn example(name: &str) -> String {
    root().join("examples").join(name).display().to_string()
}

fn governance_fixture(name: &str) -> String {
    root()
        .join("crates/airlock-governance/tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

fn airlock_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_airlock"))
        .args(args)
        .current_dir(dir)
        .env_remove("AIRLOCK_CONFIG")
        .output()
        .expect("run airlock")
}

fn airlock(args: &[&str]) -> Output {
    let dir = tempfile::tempdir().expect("tempdir");
    airlock_in(dir.path(), args)
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn validate_passes_examples_and_fails_with_positions() {
    let ok = airlock(&["policy", "validate", &example("safe-default")]);
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    let bad = airlock(&[
        "policy",
        "validate",
        &governance_fixture("invalid-policy"),
        "--format",
        "json",
    ]);
    assert_eq!(bad.status.code(), Some(1));
    let json: Value = serde_json::from_str(&stdout(&bad)).unwrap();
    assert_eq!(json["valid"], false);
    assert_eq!(json["report"]["problems"][0]["line"], 3);
    let text = airlock(&["policy", "validate", &governance_fixture("invalid-config")]);
    assert!(
        stdout(&text).contains("airlock.toml:4:8: "),
        "{}",
        stdout(&text)
    );
}

#[test]
fn test_runs_cases_and_writes_junit() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("report.xml");
    let output = airlock(&[
        "policy",
        "test",
        &example("safe-default"),
        "--junit",
        &junit.display().to_string(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).contains("7 passed, 0 failed"));
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("tests=\"7\" failures=\"0\""), "{xml}");

    std::fs::write(
        dir.path().join("fail.test.toml"),
        "[[case]]\nname = \"wrong\"\ncapability = \"shell.exec\"\neffects = [{ kind = \"exfiltrate\" }]\nexpect = { verdict = \"allow\" }\n",
    )
    .unwrap();
    let failing = airlock(&[
        "policy",
        "test",
        &dir.path().display().to_string(),
        "--format",
        "json",
    ]);
    assert_eq!(failing.status.code(), Some(1));
    let json: Value = serde_json::from_str(&stdout(&failing)).unwrap();
    assert_eq!(json["failed"], 1);
    assert_eq!(json["files"][0]["cases"][0]["got"], "deny");
}

#[test]
fn analyze_flags_the_incident_and_emits_sarif() {
    let human = airlock(&["policy", "analyze", &example("incident-2025")]);
    assert_eq!(human.status.code(), Some(1), "high findings fail the run");
    let text = stdout(&human);
    assert!(text.contains("AIR001 high"), "{text}");
    assert!(text.contains("the two-person rule is bypassed"), "{text}");

    let sarif = airlock(&[
        "policy",
        "analyze",
        &example("incident-2025"),
        "--format",
        "sarif",
        "--fail-on",
        "never",
    ]);
    assert_eq!(sarif.status.code(), Some(0));
    let json: Value = serde_json::from_str(&stdout(&sarif)).unwrap();
    assert_eq!(json["version"], "2.1.0");
    assert!(json["runs"][0]["results"]
        .as_array()
        .is_some_and(|r| !r.is_empty()));

    let clean = airlock(&[
        "policy",
        "analyze",
        &example("safe-default"),
        "--format",
        "json",
        "--matrix",
    ]);
    assert_eq!(clean.status.code(), Some(0));
    let json: Value = serde_json::from_str(&stdout(&clean)).unwrap();
    assert_eq!(json["findings"].as_array().map(Vec::len), Some(0));
    assert!(json["matrix"].as_array().is_some_and(|m| !m.is_empty()));
}

#[test]
fn diff_reports_authority_changes_in_json() {
    let output = airlock(&[
        "policy",
        "diff",
        &governance_fixture("diff-old"),
        &governance_fixture("diff-new"),
        "--format",
        "json",
        "--fail-on-added",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let json: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert!(json["added"].as_u64() > Some(0));
    assert!(json["removed"].as_u64() > Some(0));
}

#[test]
fn diff_reads_a_policy_directory_at_a_git_revision() {
    let repo = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(repo.path())
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
            .output()
    };
    if git(&["init", "-q"])
        .map(|o| !o.status.success())
        .unwrap_or(true)
    {
        return; // no git on this machine
    }
    let project = repo.path().join("project");
    std::fs::create_dir_all(project.join("policies")).unwrap();
    let copy = |from: &str| {
        let from = PathBuf::from(governance_fixture(from));
        std::fs::copy(from.join("airlock.toml"), project.join("airlock.toml")).unwrap();
        std::fs::copy(
            from.join("policies/project.cedar"),
            project.join("policies/project.cedar"),
        )
        .unwrap();
    };
    copy("diff-old");
    git(&["add", "."]).unwrap();
    git(&["commit", "-q", "-m", "old"]).unwrap();
    copy("diff-new");
    let output = airlock_in(
        repo.path(),
        &["policy", "diff", "git:HEAD:project", "project"],
    );
    let text = stdout(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        text.contains("can now replace production targets with 1 approver instead of 2 approvers"),
        "{text}"
    );
}
