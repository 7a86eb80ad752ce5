//! Harness shared by the `airlock hook <agent>` integration tests: run the
//! binary with a payload, load an agent's fixture with `CWD` substituted,
//! make a scratch project and install a hook into it.

// Each test binary uses only part of this harness.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// The fixture `name` for `agent`, with every `CWD` replaced by `cwd`.
pub fn fixture(agent: &str, name: &str, cwd: &Path) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(agent)
        .join(name);
    let text = std::fs::read_to_string(&path).expect("fixture");
    text.replace("CWD", &cwd.display().to_string()).into_bytes()
}

/// Runs `airlock hook <agent>` in `cwd` with `payload` on stdin.
pub fn run_hook(agent: &str, payload: &[u8], cwd: &Path) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_airlock"))
        .args(["hook", agent])
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

/// Runs `airlock hook <agent>` on the fixture `name`.
pub fn run_fixture(agent: &str, name: &str, cwd: &Path) -> Output {
    run_hook(agent, &fixture(agent, name, cwd), cwd)
}

/// A scratch project directory with a `src/` folder.
pub fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("src")).expect("mkdir");
    dir
}

/// Runs `airlock hook install <agent> --project <project>` twice, asserting
/// each run succeeds.
pub fn install_twice(agent: &str, project: &Path) {
    for _ in 0..2 {
        let status = Command::new(env!("CARGO_BIN_EXE_airlock"))
            .args(["hook", "install", agent, "--project"])
            .arg(project)
            .status()
            .expect("run install");
        assert!(status.success());
    }
}

/// The JSON document stored at `path`.
pub fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json")
}

/// The hook's stdout parsed as JSON; panics with stdout and stderr otherwise.
pub fn stdout_json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {:?}; stderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// Unreadable payloads shared by every agent.
pub fn garbage_payloads() -> Vec<Vec<u8>> {
    vec![
        Vec::new(),
        b"\xff\xfe not utf-8".to_vec(),
        b"[\"Bash\"]".to_vec(),
    ]
}
