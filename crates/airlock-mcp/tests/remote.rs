//! Remote mode against a small stand-in for `airlock serve` (the client
//! side of its contract only): the action body the gateway sends, an
//! escalated call that waits with progress notifications and goes through
//! once approved, one that is rejected, one held with its approval id and
//! made again, server refusals and an unreachable server (all fail
//! closed), and a client that leaves while its call waits for approval.

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use airlock_mcp::{AgentDescription, EscalationMode, Judge, RemoteJudge};
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use common::*;
use rmcp::model::{
    CallToolRequestParams, NumberOrString, ProgressNotificationParam, ProgressToken,
    RequestMetaObject,
};
use rmcp::service::{NotificationContext, RoleClient};
use rmcp::ClientHandler;
use serde_json::{json, Value};
use tokio::sync::mpsc;

const TOKEN: &str = "agent-token-for-tests";

/// What the stand-in answers and what it saw.
#[derive(Default)]
struct Double {
    /// tool → "allow" | "deny" | "escalate" | "forbidden".
    verdicts: HashMap<String, String>,
    /// approval id → status.
    approvals: HashMap<String, String>,
    actions: Vec<Value>,
    polls: usize,
}

type Shared = Arc<Mutex<Double>>;

fn problem(status: StatusCode, title: &str, detail: &str) -> Response {
    (
        status,
        [("content-type", "application/problem+json")],
        Json(json!({"type": "about:blank", "title": title, "status": status.as_u16(), "detail": detail})),
    )
        .into_response()
}

fn authorised(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {TOKEN}"))
}

async fn actions(
    State(state): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if !authorised(&headers) {
        return problem(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "unknown agent token",
        );
    }
    let mut double = state.lock().unwrap();
    double.actions.push(body.clone());
    let tool = body["input"]["tool"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let verdict = double
        .verdicts
        .get(&tool)
        .cloned()
        .unwrap_or_else(|| "deny".into());
    let decision = |verdict: &str, reason: &str| json!({"verdict": verdict, "risk": "high", "reason": reason, "findings": [], "policy_version": "test"});
    match verdict.as_str() {
        "forbidden" => problem(StatusCode::FORBIDDEN, "Forbidden", "this agent is revoked"),
        "escalate" => {
            let id = format!("apr-{}", double.actions.len());
            double.approvals.insert(id.clone(), "pending".into());
            Json(json!({"verdict": "escalate",
                "decision": decision("escalate", "creating directories needs approval"),
                "approval": {"id": id, "status": "pending", "expires_at": "2030-01-01T00:00:00Z"}}))
            .into_response()
        }
        other => Json(json!({"verdict": other, "decision": decision(other, &format!("the server says {other}"))}))
            .into_response(),
    }
}

async fn approval(
    State(state): State<Shared>,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
) -> Response {
    if !authorised(&headers) {
        return problem(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "unknown agent token",
        );
    }
    let mut double = state.lock().unwrap();
    double.polls += 1;
    match double.approvals.get(&id) {
        Some(status) => Json(json!({"id": id, "status": status})).into_response(),
        None => problem(StatusCode::NOT_FOUND, "Not Found", "no such approval"),
    }
}

async fn start_double(verdicts: &[(&str, &str)]) -> (String, Shared) {
    let state: Shared = Arc::default();
    state.lock().unwrap().verdicts = verdicts
        .iter()
        .map(|(t, v)| (t.to_string(), v.to_string()))
        .collect();
    let app = Router::new()
        .route("/v1/actions", post(actions))
        .route("/v1/approvals/{id}", get(approval))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, state)
}

fn remote_judge(url: &str, token: &str) -> Arc<dyn Judge> {
    Arc::new(
        RemoteJudge::new(
            url,
            token.to_string(),
            AgentDescription {
                name: Some("test-agent".into()),
                ..Default::default()
            },
            Some("staging".into()),
            None,
        )
        .expect("judge"),
    )
}

fn wait_mode() -> EscalationMode {
    EscalationMode::Wait {
        timeout: Duration::from_secs(60),
        poll_interval: Duration::from_millis(20),
    }
}

/// A client that passes every progress message on to the test.
#[derive(Clone)]
struct ProgressWatcher(mpsc::UnboundedSender<String>);

impl ClientHandler for ProgressWatcher {
    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        let _ = self.0.send(params.message.unwrap_or_default());
    }
}

fn create_directory(path: &std::path::Path, progress: bool) -> CallToolRequestParams {
    let mut params = CallToolRequestParams::new("create_directory")
        .with_arguments(json!({"path": path}).as_object().cloned().expect("object"));
    if progress {
        params.meta = Some(RequestMetaObject::with_progress_token(ProgressToken(
            NumberOrString::String("approval-wait".into()),
        )));
    }
    params
}

fn set_approval(state: &Shared, status: &str) {
    let mut double = state.lock().unwrap();
    for value in double.approvals.values_mut() {
        *value = status.to_string();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_escalated_call_waits_with_progress_and_proceeds_once_approved() {
    let Some(script) = filesystem_server_script() else {
        return;
    };
    let project = Project::new("", None);
    let command = project.filesystem_command(&script);
    let (url, state) = start_double(&[("create_directory", "escalate")]).await;
    let gateway = project.gateway(remote_judge(&url, TOKEN), wait_mode());
    let (progress_tx, mut progress_rx) = mpsc::unbounded_channel();
    let (client, _session) =
        client_through_proxy(ProgressWatcher(progress_tx), gateway, &command).await;

    let target = project.files().join("approved-dir");
    let peer = client.peer().clone();
    let params = create_directory(&target, true);
    let call = tokio::spawn(async move { peer.call_tool(params).await });

    let first = progress_rx.recv().await.expect("a progress notification");
    assert!(first.contains("waiting for approval apr-1"), "{first}");
    assert!(!target.exists(), "nothing runs before approval");
    set_approval(&state, "approved");

    let result = call.await.expect("task").expect("tool result");
    assert_ne!(result.is_error, Some(true), "{}", text_of(&result));
    assert!(target.is_dir());

    let body = state.lock().unwrap().actions[0].clone();
    assert_eq!(body["tool"], json!("mcp_call"));
    assert_eq!(body["input"]["server"], json!("filesystem"));
    assert_eq!(body["input"]["tool"], json!("create_directory"));
    assert_eq!(body["input"]["arguments"]["path"], json!(target));
    assert_eq!(
        body["input"]["annotations"],
        json!({"readOnlyHint": false, "destructiveHint": false, "idempotentHint": true, "openWorldHint": false})
    );
    assert_eq!(body["environment"], json!("staging"));
    assert_eq!(body["agent"]["name"], json!("test-agent"));
    client.cancel().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_approval_is_a_tool_error_and_nothing_runs() {
    let Some(script) = filesystem_server_script() else {
        return;
    };
    let project = Project::new("", None);
    let command = project.filesystem_command(&script);
    let (url, state) = start_double(&[("create_directory", "escalate")]).await;
    let gateway = project.gateway(remote_judge(&url, TOKEN), wait_mode());
    let (progress_tx, mut progress_rx) = mpsc::unbounded_channel();
    let (client, _session) =
        client_through_proxy(ProgressWatcher(progress_tx), gateway, &command).await;

    let target = project.files().join("rejected-dir");
    let peer = client.peer().clone();
    let params = create_directory(&target, true);
    let call = tokio::spawn(async move { peer.call_tool(params).await });
    progress_rx.recv().await.expect("a progress notification");
    set_approval(&state, "rejected");
    let result = call.await.expect("task").expect("tool result");
    assert_eq!(result.is_error, Some(true));
    assert!(
        text_of(&result).contains("was rejected"),
        "{}",
        text_of(&result)
    );
    assert!(!target.exists());
    client.cancel().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_call_returns_its_approval_id_and_goes_through_when_made_again_after_approval() {
    let Some(script) = filesystem_server_script() else {
        return;
    };
    let project = Project::new("", None);
    let command = project.filesystem_command(&script);
    let (url, state) = start_double(&[("create_directory", "escalate")]).await;
    let gateway = project.gateway(remote_judge(&url, TOKEN), EscalationMode::ReturnPending);
    let (client, _session) = client_through_proxy((), gateway, &command).await;

    let target = project.files().join("held-dir");
    let held = client
        .call_tool(create_directory(&target, false))
        .await
        .expect("tool result");
    assert_eq!(held.is_error, Some(true));
    let text = text_of(&held);
    assert!(text.contains("Approval id: apr-1"), "{text}");
    assert!(text.contains("expires 2030-01-01T00:00:00Z"), "{text}");
    assert!(!target.exists());

    let still_held = client
        .call_tool(create_directory(&target, false))
        .await
        .expect("tool result");
    assert_eq!(still_held.is_error, Some(true));
    assert!(
        text_of(&still_held).contains("pending"),
        "{}",
        text_of(&still_held)
    );

    set_approval(&state, "approved");
    let done = client
        .call_tool(create_directory(&target, false))
        .await
        .expect("tool result");
    assert_ne!(done.is_error, Some(true), "{}", text_of(&done));
    assert!(target.is_dir());
    assert_eq!(
        state.lock().unwrap().actions.len(),
        1,
        "one approval request only"
    );
    client.cancel().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_refusals_and_an_unreachable_server_fail_closed() {
    let Some(script) = filesystem_server_script() else {
        return;
    };
    let project = Project::new("", None);
    let command = project.filesystem_command(&script);
    let (url, _state) = start_double(&[
        ("create_directory", "forbidden"),
        ("read_text_file", "deny"),
        ("list_directory", "allow"),
    ])
    .await;
    let (client, _session) = client_through_proxy(
        (),
        project.gateway(remote_judge(&url, TOKEN), wait_mode()),
        &command,
    )
    .await;

    let target = project.files().join("never");
    let refused = client
        .call_tool(create_directory(&target, false))
        .await
        .expect("tool result");
    assert_eq!(refused.is_error, Some(true));
    assert!(
        text_of(&refused).contains("403 Forbidden"),
        "{}",
        text_of(&refused)
    );
    assert!(
        text_of(&refused).contains("this agent is revoked"),
        "{}",
        text_of(&refused)
    );

    let denied = client
        .call_tool(
            CallToolRequestParams::new("read_text_file").with_arguments(
                json!({"path": project.files().join("notes.txt")})
                    .as_object()
                    .cloned()
                    .expect("object"),
            ),
        )
        .await
        .expect("tool result");
    assert_eq!(denied.is_error, Some(true));
    assert!(
        text_of(&denied).contains("the server says deny"),
        "{}",
        text_of(&denied)
    );

    let listed = client
        .call_tool(
            CallToolRequestParams::new("list_directory").with_arguments(
                json!({"path": project.files()})
                    .as_object()
                    .cloned()
                    .expect("object"),
            ),
        )
        .await
        .expect("tool result");
    assert_ne!(listed.is_error, Some(true), "{}", text_of(&listed));
    assert!(text_of(&listed).contains("notes.txt"));
    client.cancel().await.expect("close");

    let (wrong_token, _session) = client_through_proxy(
        (),
        project.gateway(remote_judge(&url, "not-the-token"), wait_mode()),
        &command,
    )
    .await;
    let unauthorised = wrong_token
        .call_tool(
            CallToolRequestParams::new("list_directory").with_arguments(
                json!({"path": project.files()})
                    .as_object()
                    .cloned()
                    .expect("object"),
            ),
        )
        .await
        .expect("tool result");
    assert_eq!(unauthorised.is_error, Some(true));
    assert!(
        text_of(&unauthorised).contains("401"),
        "{}",
        text_of(&unauthorised)
    );
    wrong_token.cancel().await.expect("close");

    // Nothing listens on port 9 of this machine's loopback.
    let (unreachable, _session) = client_through_proxy(
        (),
        project.gateway(remote_judge("http://127.0.0.1:9", TOKEN), wait_mode()),
        &command,
    )
    .await;
    let result = unreachable
        .call_tool(create_directory(&target, false))
        .await
        .expect("tool result");
    assert_eq!(result.is_error, Some(true));
    assert!(
        text_of(&result).contains("cannot reach the airlock server"),
        "{}",
        text_of(&result)
    );
    assert!(!target.exists());
    unreachable.cancel().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_leaves_while_its_call_awaits_approval_never_has_it_run() {
    let Some(script) = filesystem_server_script() else {
        return;
    };
    let project = Project::new("", None);
    let command = project.filesystem_command(&script);
    let (url, state) = start_double(&[("create_directory", "escalate")]).await;
    let gateway = project.gateway(remote_judge(&url, TOKEN), wait_mode());
    let (progress_tx, mut progress_rx) = mpsc::unbounded_channel();
    let (client, session) =
        client_through_proxy(ProgressWatcher(progress_tx), gateway, &command).await;

    let target = project.files().join("abandoned-dir");
    let peer = client.peer().clone();
    let params = create_directory(&target, true);
    let _call = tokio::spawn(async move { peer.call_tool(params).await });
    progress_rx
        .recv()
        .await
        .expect("the call is waiting for approval");
    client.cancel().await.expect("the client leaves");

    let end = session.await.expect("session task");
    assert!(
        matches!(end, Ok(airlock_mcp::SessionEnd::ClientClosed)),
        "{end:?}"
    );
    // The session ended with the call unanswered and the server closed:
    // an approval given now has nothing left to release.
    set_approval(&state, "approved");
    assert!(!target.exists());
}
