//! The gateway under bad input and broken peers: malformed JSON-RPC and
//! oversize messages are dropped or answered with an error and never
//! forwarded, a server that dies in the middle of a call is reported to
//! the client, and a client that leaves ends the session without anything
//! it had asked for reaching the server.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream, ReadHalf, WriteHalf};

/// A client that writes raw lines, to send what no SDK would.
struct RawClient {
    lines: tokio::io::Lines<BufReader<ReadHalf<DuplexStream>>>,
    writer: WriteHalf<DuplexStream>,
}

impl RawClient {
    fn new(end: DuplexStream) -> RawClient {
        let (read, writer) = tokio::io::split(end);
        RawClient {
            lines: BufReader::new(read).lines(),
            writer,
        }
    }

    async fn send_raw(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).await.expect("write");
        self.writer.flush().await.expect("flush");
    }

    async fn send(&mut self, message: Value) {
        let mut line = message.to_string().into_bytes();
        line.push(b'\n');
        self.send_raw(&line).await;
    }

    /// The next message; a generous guard keeps a broken proxy from
    /// hanging the suite.
    async fn receive(&mut self) -> Value {
        let line = tokio::time::timeout(Duration::from_secs(30), self.lines.next_line())
            .await
            .expect("an answer from the proxy")
            .expect("read")
            .expect("a line");
        serde_json::from_str(&line).expect("the proxy writes JSON")
    }

    /// The answer to request `id`, skipping notifications.
    async fn answer(&mut self, id: i64) -> Value {
        loop {
            let message = self.receive().await;
            if message.get("id") == Some(&json!(id)) || message.get("method").is_none() {
                return message;
            }
        }
    }

    async fn handshake(&mut self) {
        self.send(
            json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "raw-test-client", "version": "1"}}}),
        )
        .await;
        let init = self.answer(1).await;
        assert!(init["result"]["serverInfo"].is_object(), "{init}");
        self.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
    }

    async fn call(&mut self, id: i64, tool: &str, arguments: Value) -> Value {
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": tool, "arguments": arguments}}))
            .await;
        self.answer(id).await
    }
}

fn wait() -> airlock_mcp::EscalationMode {
    airlock_mcp::EscalationMode::Wait {
        timeout: Duration::from_secs(5),
        poll_interval: Duration::from_millis(50),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_messages_are_never_forwarded_and_the_session_goes_on() {
    let Some(script) = filesystem_server_script() else {
        return;
    };
    let project = Project::new(WRITE_FILE_RULE, None);
    let command = project.filesystem_command(&script);
    let (end, _session) = start_proxy(project.local_gateway(wait()), &command, 1 << 20);
    let mut client = RawClient::new(end);
    client.handshake().await;

    // Not JSON at all: dropped (nothing can be answered without an id).
    client
        .send_raw(b"{\"jsonrpc\": \"2.0\", \"id\": 2, \"method\": tools/call\n")
        .await;
    // JSON-RPC, but a tools/call whose parameters have the wrong shape:
    // refused by the proxy, not passed on for the server to interpret.
    let target = project.files().join("made-by-a-malformed-call");
    client
        .send(json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
            "params": {"name": "create_directory", "arguments": format!("path={}", target.display())}}))
        .await;
    let error = client.answer(3).await;
    assert_eq!(error["error"]["code"], json!(-32602), "{error}");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("did not forward"),
        "{error}"
    );
    // Not a request at all: answered as an invalid request.
    client
        .send(json!({"jsonrpc": "2.0", "id": 6, "params": {"name": "create_directory"}}))
        .await;
    let error = client.receive().await;
    assert!(error.get("error").is_some(), "{error}");

    let answer = client
        .call(
            5,
            "read_text_file",
            json!({"path": project.files().join("notes.txt")}),
        )
        .await;
    assert_eq!(answer["id"], json!(5), "{answer}");
    assert_eq!(
        answer["result"]["content"][0]["text"],
        json!("first line\nsecond line\n")
    );
    assert!(!target.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversize_message_is_dropped_and_never_forwarded() {
    let Some(script) = filesystem_server_script() else {
        return;
    };
    let project = Project::new(WRITE_FILE_RULE, None);
    let command = project.filesystem_command(&script);
    let (end, _session) = start_proxy(project.local_gateway(wait()), &command, 64 * 1024);
    let mut client = RawClient::new(end);
    client.handshake().await;

    let big = project.files().join("big");
    client
        .send(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
            "params": {"name": "create_directory",
                       "arguments": {"path": big, "note": "x".repeat(100 * 1024)}}}))
        .await;
    let small = project.files().join("small");
    let answer = client
        .call(3, "create_directory", json!({"path": small}))
        .await;
    assert_eq!(
        answer["id"],
        json!(3),
        "the oversize request got no answer: {answer}"
    );
    assert_ne!(answer["result"]["isError"], json!(true), "{answer}");
    assert!(small.is_dir());
    assert!(!big.exists(), "the oversize call reached the server");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_dies_mid_call_is_reported_to_the_client() {
    if filesystem_server_script().is_none() {
        return;
    }
    let project = Project::new("", None);
    let command = vec![
        "node".to_string(),
        test_server("crashing-server.mjs").display().to_string(),
    ];
    let (end, session) = start_proxy(project.local_gateway(wait()), &command, 1 << 20);
    let mut client = RawClient::new(end);
    client.handshake().await;
    let answer = client.call(2, "get_status", json!({})).await;
    assert_eq!(answer["id"], json!(2), "{answer}");
    let message = answer["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("exited or closed the connection"),
        "{answer}"
    );
    let end = session.await.expect("session task");
    assert!(
        matches!(
            end,
            Err(airlock_mcp::ProxyError::ServerClosed { unanswered: 1 })
        ),
        "{end:?}"
    );
}
