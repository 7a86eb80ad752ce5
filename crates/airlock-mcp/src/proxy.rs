//! The proxy between one MCP client and one MCP server, at the level of
//! JSON-RPC messages: every message is forwarded as it came, in both
//! directions (initialize, capabilities, notifications, progress,
//! cancellation, resources, prompts, sampling, elicitation), except that
//!
//! * a `tools/call` is judged first and forwarded only when allowed; a
//!   denial or a held escalation is answered with a tool result that has
//!   `isError: true` and the explanation, so the model can adapt;
//! * a `tools/list` result is filtered: tools policy never allows, and
//!   tools whose description or schema changed since they were pinned, are
//!   left out.
//!
//! A call is never forwarded without a judgement: a call for a tool the
//! server did not list, a call whose judge failed, a call whose client
//! went away or cancelled it while it was being judged, are not sent on.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use airlock_model::{McpToolHints, Verdict};
use rmcp::model::{
    CallToolResult, ClientJsonRpcMessage, ClientNotification, ClientRequest, ContentBlock,
    ErrorData, GetMeta, JsonRpcMessage, ListToolsResult, ProgressToken, RequestId,
    ServerJsonRpcMessage, ServerNotification, ServerResult,
};
use rmcp::service::{RoleClient, RoleServer};
use rmcp::transport::Transport;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use crate::judge::{ApprovalStatus, Judge, Judgement, ToolCall};
use crate::pins::{PinCheck, PinStore, ToolShape};

/// What the proxy does with a call policy escalates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EscalationMode {
    /// Hold the call and wait for the approval, sending progress
    /// notifications while waiting (when the client asked for progress),
    /// until `timeout`; then forward it (approved) or refuse it.
    Wait {
        timeout: Duration,
        poll_interval: Duration,
    },
    /// Refuse at once with the pending approval's id; the same call made
    /// again after approval is forwarded.
    ReturnPending,
}

/// How a gateway behaves, the same for every session it serves.
#[derive(Debug, Clone)]
pub struct GatewayOptions {
    /// The server's identity, as recorded on every request and pin.
    pub server_name: String,
    pub escalation: EscalationMode,
}

/// Why a session ended other than by the client leaving.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error("the MCP server closed the connection ({unanswered} request(s) left unanswered)")]
    ServerClosed { unanswered: usize },
    #[error("cannot write to the MCP client: {0}")]
    ClientSend(String),
}

/// How a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    /// The client closed its side.
    ClientClosed,
}

/// The judge, the pins and the options, shared by every session.
pub struct Gateway {
    judge: Arc<dyn Judge>,
    pins: Option<Arc<Mutex<PinStore>>>,
    options: GatewayOptions,
    /// Escalated calls refused with a pending approval id, by call digest,
    /// so that the same call made again after approval goes through.
    held: Mutex<HashMap<String, String>>,
}

/// Something a judgement task tells its session.
enum Event {
    Judged { id: RequestId, outcome: Outcome },
    ToClient(Box<ServerJsonRpcMessage>),
}

/// The end of a judgement.
enum Outcome {
    Forward,
    Refuse(String),
}

/// What a listed tool is to the session.
#[derive(Debug, Clone)]
struct CatalogEntry {
    hints: Option<McpToolHints>,
    visible: bool,
    /// The fingerprint seen, when it differs from the accepted pin.
    unaccepted: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CatalogState {
    Unknown,
    Fetching,
    Ready,
    Failed,
}

/// Who asked for a tools/list page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListOrigin {
    /// The client; `first_page` when it asked without a cursor.
    Client { first_page: bool },
    /// The proxy itself, to learn the tools before judging a call.
    Own,
}

/// A prefix for the proxy's own request ids that no other session shares.
fn own_id_prefix() -> String {
    use std::hash::{BuildHasher, Hasher};
    static SESSIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(SESSIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    hasher.write_u32(std::process::id());
    format!("airlock-mcp-{:016x}-", hasher.finish())
}

/// The methods the proxy judges or filters; a request for one of them
/// that does not parse as its protocol shape is refused, never forwarded.
const INTERCEPTED_METHODS: &[&str] = &["tools/call", "tools/list"];

impl Gateway {
    pub fn new(
        judge: Arc<dyn Judge>,
        pins: Option<PinStore>,
        options: GatewayOptions,
    ) -> Arc<Self> {
        Arc::new(Gateway {
            judge,
            pins: pins.map(|p| Arc::new(Mutex::new(p))),
            options,
            held: Mutex::new(HashMap::new()),
        })
    }

    pub fn options(&self) -> &GatewayOptions {
        &self.options
    }

    /// Runs one session: `downstream` is the client's side, `upstream` the
    /// server's. Returns when either side closes.
    pub async fn run<D, U>(
        self: &Arc<Self>,
        downstream: D,
        upstream: U,
    ) -> Result<SessionEnd, ProxyError>
    where
        D: Transport<RoleServer>,
        U: Transport<RoleClient>,
    {
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let session = Session {
            gateway: self.clone(),
            events_tx,
            list_requests: HashMap::new(),
            judging: HashMap::new(),
            forwarded_calls: HashSet::new(),
            client_requests: HashSet::new(),
            catalog: HashMap::new(),
            catalog_state: CatalogState::Unknown,
            waiting_for_catalog: Vec::new(),
            initialize_id: None,
            server_has_tools: false,
            protocol_version: None,
            own_id_prefix: own_id_prefix(),
            next_own_id: 0,
        };
        session.run(downstream, upstream, events_rx).await
    }
}

struct Session {
    gateway: Arc<Gateway>,
    events_tx: mpsc::UnboundedSender<Event>,
    list_requests: HashMap<RequestId, ListOrigin>,
    /// Calls being judged, with the request to forward if allowed.
    judging: HashMap<RequestId, (AbortHandle, ClientJsonRpcMessage)>,
    forwarded_calls: HashSet<RequestId>,
    /// Other client requests forwarded and not yet answered.
    client_requests: HashSet<RequestId>,
    catalog: HashMap<String, CatalogEntry>,
    catalog_state: CatalogState,
    waiting_for_catalog: Vec<ClientJsonRpcMessage>,
    initialize_id: Option<RequestId>,
    server_has_tools: bool,
    protocol_version: Option<String>,
    /// Ids of the proxy's own requests start with this, unique per session
    /// so that gateways in a chain do not take each other's ids.
    own_id_prefix: String,
    next_own_id: u64,
}

/// Messages a step of the session wants sent, in order.
#[derive(Default)]
struct Outbox {
    to_server: Vec<ClientJsonRpcMessage>,
    to_client: Vec<ServerJsonRpcMessage>,
}

impl Session {
    async fn run<D, U>(
        mut self,
        mut downstream: D,
        mut upstream: U,
        mut events_rx: mpsc::UnboundedReceiver<Event>,
    ) -> Result<SessionEnd, ProxyError>
    where
        D: Transport<RoleServer>,
        U: Transport<RoleClient>,
    {
        loop {
            let mut outbox = Outbox::default();
            tokio::select! {
                message = downstream.receive() => match message {
                    Some(message) => self.on_client_message(message, &mut outbox),
                    None => {
                        self.abort_judgements();
                        tracing::info!(server = %self.gateway.options.server_name, "the MCP client closed the connection");
                        if let Err(e) = upstream.close().await {
                            tracing::warn!("closing the MCP server: {e}");
                        }
                        return Ok(SessionEnd::ClientClosed);
                    }
                },
                message = upstream.receive() => match message {
                    Some(message) => self.on_server_message(message, &mut outbox),
                    None => {
                        let unanswered = self.server_closed(&mut outbox);
                        tracing::error!(server = %self.gateway.options.server_name, unanswered, "the MCP server closed the connection");
                        for message in outbox.to_client {
                            let _ = downstream.send(message).await;
                        }
                        let _ = downstream.close().await;
                        return Err(ProxyError::ServerClosed { unanswered });
                    }
                },
                Some(event) = events_rx.recv() => self.on_event(event, &mut outbox),
            }
            for message in outbox.to_server {
                if let Err(e) = upstream.send(message).await {
                    tracing::error!("cannot write to the MCP server: {e}");
                }
            }
            for message in outbox.to_client {
                downstream
                    .send(message)
                    .await
                    .map_err(|e| ProxyError::ClientSend(e.to_string()))?;
            }
        }
    }

    fn on_client_message(&mut self, message: ClientJsonRpcMessage, outbox: &mut Outbox) {
        match &message {
            JsonRpcMessage::Request(request)
                if self.list_requests.get(&request.id) == Some(&ListOrigin::Own) =>
            {
                outbox.to_client.push(ServerJsonRpcMessage::error(
                    ErrorData::invalid_request("request id already in use on this session", None),
                    Some(request.id.clone()),
                ));
                return;
            }
            JsonRpcMessage::Request(request) => match &request.request {
                ClientRequest::CallToolRequest(_) => {
                    self.on_tool_call(message, outbox);
                    return;
                }
                ClientRequest::ListToolsRequest(list) => {
                    let first_page = list.params.as_ref().is_none_or(|p| p.cursor.is_none());
                    self.list_requests
                        .insert(request.id.clone(), ListOrigin::Client { first_page });
                }
                ClientRequest::CustomRequest(custom)
                    if INTERCEPTED_METHODS.contains(&custom.method.as_str()) =>
                {
                    // A tools/call or tools/list whose parameters do not have
                    // their protocol shape: it cannot be judged or filtered.
                    let text = format!(
                        "airlock did not forward this {} request: its parameters are malformed",
                        custom.method
                    );
                    tracing::warn!(request = %request.id, "{text}");
                    outbox.to_client.push(ServerJsonRpcMessage::error(
                        ErrorData::invalid_params(text, None),
                        Some(request.id.clone()),
                    ));
                    return;
                }
                ClientRequest::InitializeRequest(_) => {
                    self.initialize_id = Some(request.id.clone());
                    self.client_requests.insert(request.id.clone());
                }
                _ => {
                    self.client_requests.insert(request.id.clone());
                }
            },
            JsonRpcMessage::Notification(notification) => match &notification.notification {
                ClientNotification::CancelledNotification(cancelled) => {
                    if let Some(id) = &cancelled.params.request_id {
                        if let Some((handle, _)) = self.judging.remove(id) {
                            handle.abort();
                            tracing::info!(request = %id, "call cancelled by the client while being judged; not forwarded");
                            return;
                        }
                        if self.remove_waiting(id) {
                            return;
                        }
                    }
                }
                ClientNotification::InitializedNotification(_) => {
                    outbox.to_server.push(message);
                    if self.server_has_tools && self.catalog_state == CatalogState::Unknown {
                        self.fetch_tools(None, outbox);
                    }
                    return;
                }
                _ => {}
            },
            JsonRpcMessage::Response(_) | JsonRpcMessage::Error(_) => {}
        }
        outbox.to_server.push(message);
    }

    fn on_server_message(&mut self, message: ServerJsonRpcMessage, outbox: &mut Outbox) {
        match message {
            JsonRpcMessage::Response(response) => {
                if let Some(origin) = self.list_requests.remove(&response.id) {
                    self.on_tools_listed(response.id, response.result, origin, outbox);
                    return;
                }
                self.forwarded_calls.remove(&response.id);
                self.client_requests.remove(&response.id);
                if self.initialize_id.as_ref() == Some(&response.id) {
                    if let ServerResult::InitializeResult(init) = &response.result {
                        self.server_has_tools = init.capabilities.tools.is_some();
                        self.protocol_version = serde_json::to_value(&init.protocol_version)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string));
                    }
                    self.initialize_id = None;
                }
                outbox
                    .to_client
                    .push(ServerJsonRpcMessage::Response(response));
            }
            JsonRpcMessage::Error(error) => {
                if let Some(id) = &error.id {
                    if let Some(origin) = self.list_requests.remove(id) {
                        if origin == ListOrigin::Own {
                            tracing::error!(
                                "the MCP server refused to list its tools: {}",
                                error.error.message
                            );
                            self.catalog_failed(&error.error.message, outbox);
                            return;
                        }
                    }
                    self.forwarded_calls.remove(id);
                    self.client_requests.remove(id);
                }
                outbox.to_client.push(ServerJsonRpcMessage::Error(error));
            }
            JsonRpcMessage::Notification(notification) => {
                if matches!(
                    notification.notification,
                    ServerNotification::ToolListChangedNotification(_)
                ) {
                    self.catalog.clear();
                    self.catalog_state = CatalogState::Unknown;
                }
                outbox
                    .to_client
                    .push(ServerJsonRpcMessage::Notification(notification));
            }
            JsonRpcMessage::Request(request) => {
                outbox
                    .to_client
                    .push(ServerJsonRpcMessage::Request(request));
            }
        }
    }

    fn on_event(&mut self, event: Event, outbox: &mut Outbox) {
        match event {
            Event::ToClient(message) => outbox.to_client.push(*message),
            Event::Judged { id, outcome } => {
                let Some((_, request)) = self.judging.remove(&id) else {
                    return;
                };
                match outcome {
                    Outcome::Forward => {
                        self.forwarded_calls.insert(id);
                        outbox.to_server.push(request);
                    }
                    Outcome::Refuse(text) => outbox.to_client.push(self.refusal(id, text)),
                }
            }
        }
    }

    /// A `tools/call` from the client: judged once the tools are known.
    fn on_tool_call(&mut self, message: ClientJsonRpcMessage, outbox: &mut Outbox) {
        match self.catalog_state {
            CatalogState::Ready => self.judge_call(message, outbox),
            CatalogState::Fetching => self.waiting_for_catalog.push(message),
            CatalogState::Unknown => {
                self.waiting_for_catalog.push(message);
                self.fetch_tools(None, outbox);
            }
            CatalogState::Failed => {
                if let Some(id) = request_id(&message) {
                    outbox.to_client.push(self.refusal(
                        id,
                        "airlock did not forward this call: the MCP server's tool list could not be read, so the call cannot be judged.".to_string(),
                    ));
                }
            }
        }
    }

    fn judge_call(&mut self, message: ClientJsonRpcMessage, outbox: &mut Outbox) {
        let JsonRpcMessage::Request(request) = &message else {
            return;
        };
        let ClientRequest::CallToolRequest(call) = &request.request else {
            return;
        };
        let id = request.id.clone();
        let server = self.gateway.options.server_name.clone();
        let tool = call.params.name.to_string();
        let Some(entry) = self.catalog.get(&tool).cloned() else {
            outbox.to_client.push(self.refusal(
                id,
                format!("airlock denied this call: tool `{tool}` is not in the tool list of MCP server `{server}`, so it cannot be judged."),
            ));
            return;
        };
        if let Some(seen) = &entry.unaccepted {
            if !self.accepted_since(&server, &tool, seen) {
                outbox.to_client.push(self.refusal(
                    id,
                    format!("airlock denied this call: the description or schema of tool `{tool}` on MCP server `{server}` changed since it was pinned. A person must review and accept the change (airlock mcp pins accept {server} {tool}) before it can be called."),
                ));
                return;
            }
            if let Some(entry) = self.catalog.get_mut(&tool) {
                entry.unaccepted = None;
            }
        }
        if !entry.visible {
            outbox.to_client.push(self.refusal(
                id,
                format!("airlock denied this call: policy never allows tool `{tool}` on MCP server `{server}`."),
            ));
            return;
        }
        let tool_call = ToolCall {
            server,
            tool,
            arguments: call
                .params
                .arguments
                .clone()
                .map(Value::Object)
                .unwrap_or(Value::Null),
            annotations: entry.hints,
        };
        let progress = request.request.get_meta().get_progress_token();
        // A judge that answers without I/O (the embedded engine) is asked
        // here, so an allowed or denied call costs no task switch; only an
        // escalation is waited on in a task of its own.
        let nothing_held = self.gateway.held.lock().is_ok_and(|h| h.is_empty());
        let prejudged = match nothing_held {
            true => self.gateway.judge.judge_immediately(&tool_call),
            false => None,
        };
        let prejudged = match prejudged {
            None => None,
            Some(Err(e)) => {
                outbox.to_client.push(self.refusal(id, unjudged_text(&e)));
                return;
            }
            Some(Ok(judgement)) => {
                log_judgement(&tool_call, &judgement);
                match judgement.verdict {
                    Verdict::Allow => {
                        self.forwarded_calls.insert(id);
                        outbox.to_server.push(message);
                        return;
                    }
                    Verdict::Deny => {
                        outbox
                            .to_client
                            .push(self.refusal(id, denial_text(&tool_call, &judgement)));
                        return;
                    }
                    Verdict::Escalate => Some(judgement),
                }
            }
        };
        let gateway = self.gateway.clone();
        let events = self.events_tx.clone();
        let task_id = id.clone();
        let task = tokio::spawn(async move {
            let outcome = match prejudged {
                Some(judgement) => {
                    let digest = call_digest(&tool_call);
                    gateway
                        .escalated(&tool_call, &digest, judgement, progress, &events)
                        .await
                }
                None => gateway.decide(&tool_call, progress, &events).await,
            };
            let _ = events.send(Event::Judged {
                id: task_id,
                outcome,
            });
        });
        self.judging.insert(id, (task.abort_handle(), message));
    }

    /// Reads the pin file again, to see what a person accepted meanwhile.
    /// `false` when it cannot be read: every tool is then withheld.
    fn reload_pins(&self) -> bool {
        let Some(pins) = &self.gateway.pins else {
            return true;
        };
        match pins.lock().map(|mut p| p.reload()) {
            Ok(Ok(())) => true,
            Ok(Err(e)) => {
                tracing::error!("{e}; withholding every tool until it can be read");
                false
            }
            Err(_) => false,
        }
    }

    /// Whether a person accepted `fingerprint` for the tool since the
    /// session saw the change.
    fn accepted_since(&self, server: &str, tool: &str, fingerprint: &str) -> bool {
        let Some(pins) = &self.gateway.pins else {
            return false;
        };
        let Ok(mut pins) = pins.lock() else {
            return false;
        };
        if let Err(e) = pins.reload() {
            tracing::error!("{e}");
            return false;
        }
        pins.is_pinned_as(server, tool, fingerprint)
    }

    fn fetch_tools(&mut self, cursor: Option<String>, outbox: &mut Outbox) {
        self.next_own_id += 1;
        let id = RequestId::String(format!("{}{}", self.own_id_prefix, self.next_own_id).into());
        let mut request = json!({"jsonrpc": "2.0", "id": id, "method": "tools/list"});
        if let (Some(cursor), Some(object)) = (cursor, request.as_object_mut()) {
            object.insert("params".into(), json!({ "cursor": cursor }));
        }
        match serde_json::from_value::<ClientJsonRpcMessage>(request) {
            Ok(message) => {
                if self.catalog_state != CatalogState::Fetching {
                    self.catalog.clear();
                }
                self.catalog_state = CatalogState::Fetching;
                self.list_requests.insert(id, ListOrigin::Own);
                outbox.to_server.push(message);
            }
            Err(e) => self.catalog_failed(&e.to_string(), outbox),
        }
    }

    fn on_tools_listed(
        &mut self,
        id: RequestId,
        result: ServerResult,
        origin: ListOrigin,
        outbox: &mut Outbox,
    ) {
        let listed = match result {
            ServerResult::ListToolsResult(list) => Ok(list),
            other => {
                serde_json::to_value(&other).and_then(serde_json::from_value::<ListToolsResult>)
            }
        };
        let mut list = match listed {
            Ok(list) => list,
            Err(e) => {
                let message = format!("the MCP server's tools/list result cannot be read: {e}");
                tracing::error!("{message}");
                match origin {
                    ListOrigin::Own => self.catalog_failed(&message, outbox),
                    ListOrigin::Client { .. } => {
                        outbox.to_client.push(ServerJsonRpcMessage::error(
                            ErrorData::internal_error(message, None),
                            Some(id),
                        ))
                    }
                }
                return;
            }
        };
        let complete = list.next_cursor.is_none();
        let pins_readable = self.reload_pins();
        let mut kept = Vec::with_capacity(list.tools.len());
        for tool in std::mem::take(&mut list.tools) {
            let entry = self.catalogue(&tool, pins_readable);
            let name = tool.name.to_string();
            let shown = entry.visible && entry.unaccepted.is_none();
            self.catalog.insert(name, entry);
            if shown {
                kept.push(tool);
            }
        }
        list.tools = kept;
        match origin {
            ListOrigin::Own => match list.next_cursor.clone() {
                Some(cursor) => self.fetch_tools(Some(cursor), outbox),
                None => self.catalog_ready(outbox),
            },
            ListOrigin::Client { first_page } => {
                if first_page && complete && self.catalog_state != CatalogState::Fetching {
                    self.catalog_state = CatalogState::Ready;
                }
                outbox.to_client.push(ServerJsonRpcMessage::response(
                    ServerResult::ListToolsResult(list),
                    id,
                ));
            }
        }
    }

    /// What the session knows of one listed tool: its hints, whether
    /// policy ever allows it, and whether its shape is the pinned one.
    fn catalogue(&self, tool: &rmcp::model::Tool, pins_readable: bool) -> CatalogEntry {
        let server = &self.gateway.options.server_name;
        let name = tool.name.to_string();
        let hints = tool.annotations.as_ref().map(|a| McpToolHints {
            read_only_hint: a.read_only_hint,
            destructive_hint: a.destructive_hint,
            idempotent_hint: a.idempotent_hint,
            open_world_hint: a.open_world_hint,
        });
        let visible = self.gateway.judge.may_list(server, &name, hints);
        if !visible {
            tracing::info!(server = %server, tool = %name, "tool left out of tools/list: policy never allows it");
        }
        let unaccepted = match (&self.gateway.pins, serde_json::to_value(tool)) {
            (None, _) => None,
            (Some(_), Err(e)) => {
                tracing::error!(tool = %name, "cannot read the tool to pin it: {e}");
                Some(String::new())
            }
            (Some(pins), Ok(value)) => {
                let shape = ToolShape::of(&value);
                let check = match pins.lock() {
                    Ok(_) if !pins_readable => Err(None),
                    Ok(mut pins) => pins.check(server, &name, &shape).map_err(Some),
                    Err(_) => {
                        return CatalogEntry {
                            hints,
                            visible,
                            unaccepted: Some(shape.fingerprint),
                        }
                    }
                };
                match check {
                    Ok(PinCheck::Pinned) => None,
                    Ok(PinCheck::FirstSeen) => {
                        tracing::info!(server = %server, tool = %name, fingerprint = %shape.fingerprint, "tool pinned on first sight");
                        None
                    }
                    Ok(PinCheck::Changed { pinned, seen }) => {
                        tracing::warn!(server = %server, tool = %name, pinned = %pinned.fingerprint, seen = %seen.fingerprint,
                            "tool description or schema changed since it was pinned; withheld until accepted (airlock mcp pins accept {server} {name})");
                        Some(seen.fingerprint)
                    }
                    Err(e) => {
                        if let Some(e) = e {
                            tracing::error!("{e}");
                        }
                        Some(shape.fingerprint)
                    }
                }
            }
        };
        CatalogEntry {
            hints,
            visible,
            unaccepted,
        }
    }

    fn catalog_ready(&mut self, outbox: &mut Outbox) {
        self.catalog_state = CatalogState::Ready;
        for message in std::mem::take(&mut self.waiting_for_catalog) {
            self.judge_call(message, outbox);
        }
    }

    fn catalog_failed(&mut self, reason: &str, outbox: &mut Outbox) {
        self.catalog_state = CatalogState::Failed;
        for message in std::mem::take(&mut self.waiting_for_catalog) {
            if let Some(id) = request_id(&message) {
                outbox.to_client.push(self.refusal(
                    id,
                    format!("airlock did not forward this call: the MCP server's tool list could not be read ({reason}), so the call cannot be judged."),
                ));
            }
        }
    }

    fn remove_waiting(&mut self, id: &RequestId) -> bool {
        let before = self.waiting_for_catalog.len();
        self.waiting_for_catalog
            .retain(|m| request_id(m).as_ref() != Some(id));
        before != self.waiting_for_catalog.len()
    }

    fn abort_judgements(&mut self) {
        for (id, (handle, _)) in self.judging.drain() {
            handle.abort();
            tracing::info!(request = %id, "call not forwarded: the client left while it was being judged");
        }
        self.waiting_for_catalog.clear();
    }

    /// Answers everything the server will now never answer.
    fn server_closed(&mut self, outbox: &mut Outbox) -> usize {
        let mut unanswered: Vec<RequestId> = Vec::new();
        unanswered.extend(self.forwarded_calls.drain());
        unanswered.extend(self.client_requests.drain());
        unanswered.extend(
            self.list_requests
                .drain()
                .filter(|(_, origin)| *origin != ListOrigin::Own)
                .map(|(id, _)| id),
        );
        for (id, (handle, _)) in self.judging.drain() {
            handle.abort();
            unanswered.push(id);
        }
        unanswered.extend(
            std::mem::take(&mut self.waiting_for_catalog)
                .iter()
                .filter_map(request_id),
        );
        let count = unanswered.len();
        for id in unanswered {
            outbox.to_client.push(ServerJsonRpcMessage::error(
                ErrorData::internal_error(
                    format!(
                        "the MCP server `{}` exited or closed the connection before answering; the request may or may not have taken effect",
                        self.gateway.options.server_name
                    ),
                    None,
                ),
                Some(id),
            ));
        }
        count
    }

    /// A tool result with `isError: true` and `text`, for a call the proxy
    /// did not forward.
    fn refusal(&self, id: RequestId, text: String) -> ServerJsonRpcMessage {
        tracing::warn!(server = %self.gateway.options.server_name, request = %id, "{text}");
        let mut result = CallToolResult::error(vec![ContentBlock::text(text)]);
        let speaks_result_types = self
            .protocol_version
            .as_deref()
            .is_none_or(|v| v >= "2026-07-28");
        if !speaks_result_types {
            result.result_type = None;
        }
        ServerJsonRpcMessage::response(ServerResult::CallToolResult(result), id)
    }
}

fn request_id(message: &ClientJsonRpcMessage) -> Option<RequestId> {
    match message {
        JsonRpcMessage::Request(request) => Some(request.id.clone()),
        _ => None,
    }
}

impl Gateway {
    /// Judges one call and, for an escalation, waits or holds it as
    /// configured.
    async fn decide(
        &self,
        call: &ToolCall,
        progress: Option<ProgressToken>,
        events: &mpsc::UnboundedSender<Event>,
    ) -> Outcome {
        let digest = call_digest(call);
        let held = self.held.lock().ok().and_then(|h| h.get(&digest).cloned());
        if let Some(approval) = held {
            return self.retry_held(call, &digest, &approval).await;
        }
        let judgement = match self.judge.judge(call).await {
            Ok(judgement) => judgement,
            Err(e) => return Outcome::Refuse(unjudged_text(&e)),
        };
        log_judgement(call, &judgement);
        match judgement.verdict {
            Verdict::Allow => Outcome::Forward,
            Verdict::Deny => Outcome::Refuse(denial_text(call, &judgement)),
            Verdict::Escalate => {
                self.escalated(call, &digest, judgement, progress, events)
                    .await
            }
        }
    }

    async fn escalated(
        &self,
        call: &ToolCall,
        digest: &str,
        judgement: Judgement,
        progress: Option<ProgressToken>,
        events: &mpsc::UnboundedSender<Event>,
    ) -> Outcome {
        let Some(approval) = judgement.approval.clone() else {
            return Outcome::Refuse(format!(
                "airlock held this call: it needs a person's approval ({}), and this gateway has no approval service (run it with --server to ask `airlock serve`). The call was not made.",
                judgement.reason
            ));
        };
        let (timeout, poll_interval) = match self.options.escalation {
            EscalationMode::ReturnPending => {
                if let Ok(mut held) = self.held.lock() {
                    held.insert(digest.to_string(), approval.id.clone());
                }
                return Outcome::Refuse(format!(
                    "airlock held this call for approval: {}. Approval id: {}{}. The call was not made; once a person approves it, make the same call again.",
                    judgement.reason,
                    approval.id,
                    approval
                        .expires_at
                        .as_deref()
                        .map(|t| format!(" (expires {t})"))
                        .unwrap_or_default()
                ));
            }
            EscalationMode::Wait {
                timeout,
                poll_interval,
            } => (timeout, poll_interval),
        };
        let started = Instant::now();
        let mut step = 0u32;
        loop {
            if let Some(token) = &progress {
                step += 1;
                if let Some(message) = progress_message(
                    token,
                    step,
                    &format!(
                        "waiting for approval {} of {}/{}: {}",
                        approval.id, call.server, call.tool, judgement.reason
                    ),
                ) {
                    let _ = events.send(Event::ToClient(Box::new(message)));
                }
            }
            match self.judge.approval_status(&approval.id).await {
                Ok(ApprovalStatus::Approved) => {
                    tracing::info!(approval = %approval.id, "approved; forwarding the call");
                    return Outcome::Forward;
                }
                Ok(ApprovalStatus::Pending) => {}
                Ok(status) => {
                    return Outcome::Refuse(format!(
                        "airlock did not forward this call: approval {} was {} ({}).",
                        approval.id,
                        status.as_str(),
                        judgement.reason
                    ))
                }
                Err(e) => {
                    return Outcome::Refuse(format!(
                        "airlock did not forward this call: the state of approval {} cannot be read ({e}).",
                        approval.id
                    ))
                }
            }
            if started.elapsed() >= timeout {
                return Outcome::Refuse(format!(
                    "airlock did not forward this call: approval {} was still pending after {} s ({}). Ask a person to approve it, then make the call again.",
                    approval.id,
                    timeout.as_secs(),
                    judgement.reason
                ));
            }
            tokio::time::sleep(poll_interval.min(timeout.saturating_sub(started.elapsed()))).await;
        }
    }

    async fn retry_held(&self, call: &ToolCall, digest: &str, approval: &str) -> Outcome {
        let forget = || {
            if let Ok(mut held) = self.held.lock() {
                held.remove(digest);
            }
        };
        match self.judge.approval_status(approval).await {
            Ok(ApprovalStatus::Approved) => {
                forget();
                tracing::info!(approval = %approval, tool = %call.tool, "approved; forwarding the call made again");
                Outcome::Forward
            }
            Ok(ApprovalStatus::Pending) => Outcome::Refuse(format!(
                "airlock still holds this call: approval {approval} is pending. The call was not made."
            )),
            Ok(status) => {
                forget();
                Outcome::Refuse(format!(
                    "airlock did not forward this call: approval {approval} was {}.",
                    status.as_str()
                ))
            }
            Err(e) => Outcome::Refuse(format!(
                "airlock did not forward this call: the state of approval {approval} cannot be read ({e})."
            )),
        }
    }
}

fn log_judgement(call: &ToolCall, judgement: &Judgement) {
    tracing::info!(server = %call.server, tool = %call.tool, verdict = %judgement.verdict, "{}", judgement.reason);
}

fn unjudged_text(error: &crate::judge::JudgeError) -> String {
    format!("airlock did not forward this call: it could not be judged ({error}).")
}

fn denial_text(call: &ToolCall, judgement: &Judgement) -> String {
    let mut text = format!(
        "airlock denied this call to {}/{}: {}",
        call.server, call.tool, judgement.reason
    );
    if let Some(finding) = judgement
        .decision
        .as_ref()
        .and_then(|d| d.decisive_finding())
    {
        text.push_str(&format!(
            " (rule {}: {}; target {})",
            finding.effect.rule, finding.effect.reason, finding.effect.target.name
        ));
    }
    text.push_str(" The call was not made.");
    text
}

/// A digest of what a call is, to recognise the same call made again.
fn call_digest(call: &ToolCall) -> String {
    let text = json!([call.server, call.tool, call.arguments]).to_string();
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn progress_message(
    token: &ProgressToken,
    step: u32,
    message: &str,
) -> Option<ServerJsonRpcMessage> {
    let value = json!({
        "jsonrpc": "2.0",
        "method": "notifications/progress",
        "params": {"progressToken": token, "progress": step, "message": message}
    });
    serde_json::from_value(value).ok()
}
