//! The gateway against the real `airlock serve` (in process, embedded
//! store) and the real filesystem server: an allowed call goes through, a
//! production write is held as an approval request, waits, and completes
//! once two people (one senior) approve it through the API.

mod common;

use std::sync::Arc;
use std::time::Duration;

use airlock_audit::Timestamp;
use airlock_engine::Engine;
use airlock_keys::SigningKeyPair;
use airlock_mcp::{AgentDescription, EscalationMode, Judge, RemoteJudge};
use airlock_server::{Gate, GateConfig, ReceiptKeys};
use airlock_store::{NewAgent, NewApprover, SqlStore, Store, StoreOptions, TenantId};
use common::*;
use rmcp::model::CallToolRequestParams;
use serde_json::{json, Value};

struct Tokens {
    agent: String,
    bob: String,
    carol: String,
}

async fn start_gate(dir: &std::path::Path) -> (String, Tokens) {
    let url = format!("sqlite://{}", dir.join("gate.db").display());
    let store: Arc<dyn Store> = Arc::new(
        SqlStore::open_with(&url, StoreOptions::default())
            .await
            .expect("store"),
    );
    let now = Timestamp::now();
    let tenant_id = TenantId::new("default").expect("tenant");
    store
        .create_tenant(&tenant_id, "default", "test", now)
        .await
        .expect("tenant");
    let tenant = store.tenant(&tenant_id);
    let (_, agent) = tenant
        .create_agent(
            NewAgent {
                id: "mcp-agent".into(),
                name: "mcp-agent".into(),
                operator: "alice".into(),
                roles: vec![],
                expires_at: None,
            },
            "test",
            now,
        )
        .await
        .expect("agent");
    let mut people = Vec::new();
    for (id, role) in [("bob", "senior"), ("carol", "sre")] {
        let (_, token) = tenant
            .create_approver(
                NewApprover {
                    id: id.into(),
                    name: id.into(),
                    roles: vec![role.into()],
                },
                "test",
                now,
            )
            .await
            .expect("approver");
        people.push(token.reveal().to_owned());
    }
    let gate = Arc::new(Gate::new(
        store,
        Arc::new(Engine::with_defaults().expect("engine")),
        ReceiptKeys::Shared(Box::new(SigningKeyPair::from_seed(&[3; 32]))),
        GateConfig::default(),
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(airlock_server::serve(
        listener,
        gate,
        std::future::pending(),
    ));
    (
        format!("http://{address}"),
        Tokens {
            agent: agent.reveal().to_owned(),
            bob: people[0].clone(),
            carol: people[1].clone(),
        },
    )
}

fn judge(url: &str, token: &str) -> Arc<dyn Judge> {
    Arc::new(
        RemoteJudge::new(
            url,
            token.to_string(),
            AgentDescription {
                name: Some("mcp-test".into()),
                ..Default::default()
            },
            Some("production".into()),
            None,
        )
        .expect("judge"),
    )
}

async fn api(url: &str, token: &str, method: &str, path: &str) -> Value {
    let client = reqwest::Client::new();
    let request = match method {
        "POST" => client.post(format!("{url}{path}")).json(&json!({})),
        _ => client.get(format!("{url}{path}")),
    };
    request
        .bearer_auth(token)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_call_completes_after_approval_through_the_gate() {
    let Some(script) = filesystem_server_script() else {
        return;
    };
    let project = Project::new("", None);
    let (url, tokens) = start_gate(project.dir.path()).await;
    let gateway = project.gateway(
        judge(&url, &tokens.agent),
        EscalationMode::Wait {
            timeout: Duration::from_secs(60),
            poll_interval: Duration::from_millis(50),
        },
    );
    let command = project.filesystem_command(&script);
    let (client, _session) = client_through_proxy((), gateway, &command).await;

    // A read goes straight through.
    let read = client
        .peer()
        .call_tool(
            CallToolRequestParams::new("list_allowed_directories")
                .with_arguments(serde_json::Map::new()),
        )
        .await
        .expect("read result");
    assert_ne!(read.is_error, Some(true), "{}", text_of(&read));

    // A write in production waits for two approvals, one senior.
    let target = project.files().join("release-42");
    let params = CallToolRequestParams::new("create_directory").with_arguments(
        json!({"path": target})
            .as_object()
            .cloned()
            .expect("object"),
    );
    let peer = client.peer().clone();
    let call = tokio::spawn(async move { peer.call_tool(params).await });
    let id = loop {
        let pending = api(&url, &tokens.bob, "GET", "/v1/approvals?status=pending").await;
        if let Some(id) = pending[0]["id"].as_str() {
            break id.to_owned();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let detail = api(&url, &tokens.bob, "GET", &format!("/v1/approvals/{id}")).await;
    assert_eq!(
        detail["action"]["input"]["tool"], "create_directory",
        "{detail}"
    );
    assert_eq!(detail["agent"], "mcp-agent");
    let first = api(
        &url,
        &tokens.carol,
        "POST",
        &format!("/v1/approvals/{id}/approve"),
    )
    .await;
    assert_eq!(first["approval"]["status"], "pending", "{first}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !target.exists(),
        "nothing runs before the approvals are complete"
    );
    let second = api(
        &url,
        &tokens.bob,
        "POST",
        &format!("/v1/approvals/{id}/approve"),
    )
    .await;
    assert_eq!(second["approval"]["status"], "approved", "{second}");

    let result = call.await.expect("task").expect("tool result");
    assert_ne!(result.is_error, Some(true), "{}", text_of(&result));
    assert!(target.is_dir());
    client.cancel().await.expect("close");
}
