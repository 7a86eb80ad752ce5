//! `airlock mcp proxy` as an MCP client starts it (a process on stdio, the
//! server's command after `--`) in front of the reference filesystem
//! server, and `airlock mcp pins` as a person uses it.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::{json, Value};

fn airlock(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_airlock"))
        .current_dir(dir)
        .env_remove("AIRLOCK_CONFIG")
        .env_remove("AIRLOCK_DATA_DIR")
        .args(args)
        .output()
        .expect("run airlock")
}

#[test]
fn the_proxy_judges_calls_and_lists_its_pins_for_a_person() {
    let Some(script) = airlock_mcp::testing::filesystem_server_script() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("airlock.toml"), "").expect("config");
    let files = dir.path().join("files");
    std::fs::create_dir(&files).expect("files");
    let files = std::fs::canonicalize(files).expect("files");
    std::fs::write(files.join("a.txt"), "hello\n").expect("file");

    let mut proxy = Command::new(env!("CARGO_BIN_EXE_airlock"))
        .current_dir(dir.path())
        .env_remove("AIRLOCK_CONFIG")
        .env_remove("AIRLOCK_DATA_DIR")
        .args(["mcp", "proxy", "--quiet", "--name", "fs", "--", "node"])
        .arg(&script)
        .arg(&files)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the proxy");
    let mut stdin = proxy.stdin.take().expect("stdin");
    let mut lines = BufReader::new(proxy.stdout.take().expect("stdout")).lines();
    let mut send = |message: Value| {
        writeln!(stdin, "{message}").expect("write");
        stdin.flush().expect("flush");
    };
    let mut answer = |id: i64| -> Value {
        loop {
            let line = lines.next().expect("a line").expect("read");
            let message: Value = serde_json::from_str(&line).expect("JSON");
            if message["id"] == json!(id) {
                return message;
            }
        }
    };

    send(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "cli-test", "version": "1"}}}),
    );
    assert_eq!(
        answer(1)["result"]["serverInfo"]["name"],
        json!("secure-filesystem-server")
    );
    send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    send(
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
        "name": "read_text_file", "arguments": {"path": files.join("a.txt")}}}),
    );
    assert_eq!(answer(2)["result"]["content"][0]["text"], json!("hello\n"));
    send(
        json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {
        "name": "move_file", "arguments": {"source": files.join("a.txt"), "destination": files.join("b.txt")}}}),
    );
    let held = answer(3);
    assert_eq!(held["result"]["isError"], json!(true), "{held}");
    assert!(files.join("a.txt").exists());
    drop(stdin);
    let status = proxy
        .wait()
        .expect("the proxy exits when the client closes");
    assert!(status.success(), "{status}");

    let listed = airlock(dir.path(), &["mcp", "pins", "list", "--format", "json"]);
    assert!(listed.status.success());
    let rows: Value = serde_json::from_slice(&listed.stdout).expect("JSON");
    let rows = rows.as_array().expect("rows");
    assert!(rows
        .iter()
        .any(|r| r["server"] == json!("fs") && r["tool"] == json!("read_text_file")));

    let nothing = airlock(
        dir.path(),
        &["mcp", "pins", "accept", "fs", "read_text_file"],
    );
    assert_eq!(nothing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&nothing.stderr).contains("no pending change"));
}
