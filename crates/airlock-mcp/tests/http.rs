//! Streamable HTTP mode: the gateway listening on a port in front of the
//! reference filesystem server (one server process per session), used by
//! rmcp's streamable HTTP client; and a gateway whose upstream is that
//! HTTP endpoint.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use airlock_mcp::http::{bind, serve, ListenOptions, Upstream};
use airlock_mcp::transports::{client_over, server_over_http};
use airlock_mcp::EscalationMode;
use common::*;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::ServiceExt;
use serde_json::json;
use tokio_util::sync::CancellationToken;

fn wait() -> EscalationMode {
    EscalationMode::Wait {
        timeout: Duration::from_secs(5),
        poll_interval: Duration::from_millis(50),
    }
}

fn call(tool: &'static str, args: serde_json::Value) -> CallToolRequestParams {
    CallToolRequestParams::new(tool).with_arguments(args.as_object().cloned().expect("object"))
}

async fn listen(project: &Project, command: Vec<String>, shutdown: CancellationToken) -> String {
    let listener = bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("bind");
    let url = format!("http://{}/mcp", listener.local_addr().expect("addr"));
    let gateway = project.local_gateway(wait());
    tokio::spawn(serve(
        gateway,
        Upstream::Command(command),
        listener,
        ListenOptions {
            path: "/mcp".into(),
            allowed_hosts: Vec::new(),
            max_body_bytes: 4 << 20,
        },
        shutdown,
    ));
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_clients_get_the_servers_answers_and_the_gateways_judgements() {
    let Some(script) = filesystem_server_script() else {
        return;
    };
    let project = Project::new(WRITE_FILE_RULE, Some(DENY_DESTRUCTIVE_POLICY));
    let command = project.filesystem_command(&script);
    let shutdown = CancellationToken::new();
    let url = listen(&project, command.clone(), shutdown.clone()).await;
    let notes = project.files().join("notes.txt");

    let direct = client_directly(&command).await;
    let client = ().serve(StreamableHttpClientTransport::from_uri(url)).await.expect("connect");

    let read = json!({"path": notes});
    let expected = direct
        .call_tool(call("read_text_file", read.clone()))
        .await
        .expect("direct");
    let got = client
        .call_tool(call("read_text_file", read))
        .await
        .expect("over HTTP");
    assert_eq!(
        serde_json::to_value(&expected).unwrap(),
        serde_json::to_value(&got).unwrap()
    );

    let names: Vec<String> = client
        .list_all_tools()
        .await
        .expect("tools")
        .iter()
        .map(|t| t.name.to_string())
        .collect();
    assert!(!names.contains(&"write_file".to_string()), "{names:?}");
    assert!(names.contains(&"read_text_file".to_string()), "{names:?}");

    let refused = client
        .call_tool(call(
            "write_file",
            json!({"path": notes, "content": "gone"}),
        ))
        .await
        .expect("a tool result");
    assert_eq!(refused.is_error, Some(true));
    assert_eq!(
        std::fs::read_to_string(&notes).unwrap(),
        "first line\nsecond line\n"
    );

    client.cancel().await.expect("close");
    direct.cancel().await.expect("close");
    shutdown.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_forwards_to_an_http_upstream() {
    let Some(script) = filesystem_server_script() else {
        return;
    };
    let project = Project::new(WRITE_FILE_RULE, None);
    let shutdown = CancellationToken::new();
    let url = listen(
        &project,
        project.filesystem_command(&script),
        shutdown.clone(),
    )
    .await;

    let (client_end, proxy_end) = tokio::io::duplex(1 << 20);
    let (read, write) = tokio::io::split(proxy_end);
    let gateway = project.local_gateway(wait());
    let session = tokio::spawn(async move {
        gateway
            .run(client_over(read, write, 1 << 20), server_over_http(&url))
            .await
    });
    let (read, write) = tokio::io::split(client_end);
    let client = ().serve((read, write)).await.expect("connect");
    let result = client
        .call_tool(call(
            "read_text_file",
            json!({"path": project.files().join("notes.txt")}),
        ))
        .await
        .expect("tool result");
    assert_eq!(text_of(&result), "first line\nsecond line\n");
    let denied = client
        .call_tool(call(
            "write_file",
            json!({"path": "/etc/cron.d/x", "content": "x"}),
        ))
        .await
        .expect("tool result");
    assert_eq!(denied.is_error, Some(true));
    client.cancel().await.expect("close");
    let end = session.await.expect("session task");
    assert!(
        matches!(end, Ok(airlock_mcp::SessionEnd::ClientClosed)),
        "{end:?}"
    );
    shutdown.cancel();
}
