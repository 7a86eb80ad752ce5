//! The gate's API end to end, in process, on SQLite and on PostgreSQL (a
//! fresh schema per run): the approval rules, receipts, the refusals each
//! with its own reason and nothing stored half-way, tenant isolation on every
//! endpoint, and revocation with requests in flight.

use std::sync::Arc;

use airlock_audit::Timestamp;
use airlock_engine::Engine;
use airlock_keys::{SigningKeyPair, TrustedKeys};
use airlock_receipts::{verify, RevocationList, VerifyOptions};
use airlock_server::{router, Gate, GateConfig, ReceiptKeys};
use airlock_store::testing::TestSchema;
use airlock_store::{NewAgent, NewApprover, SqlStore, Store, StoreOptions, TenantId};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

const PLAN: &str = include_str!("../../../tests/fixtures/terraform/plan-replace-production.json");

struct World {
    store: Arc<dyn Store>,
    app: Router,
    key: SigningKeyPair,
    /// Tokens by principal name; `*_b` belong to tenant `beta`.
    agent: String,
    agent_b: String,
    alice: String,
    bob: String,
    carol: String,
    dave_b: String,
    admin: String,
    admin_b: String,
}

async fn world(url: &str) -> World {
    let store: Arc<dyn Store> = Arc::new(
        SqlStore::open_with(url, StoreOptions::default())
            .await
            .expect("store opens"),
    );
    let now = Timestamp::now();
    let mut tokens = std::collections::HashMap::new();
    for (tenant, agents, approvers) in [
        (
            "acme",
            vec![("agent", "alice")],
            vec![
                ("alice", "senior"),
                ("bob", "senior"),
                ("carol", "sre"),
                ("admin", "admin"),
            ],
        ),
        (
            "beta",
            vec![("agent_b", "dave_b")],
            vec![("dave_b", "senior"), ("admin_b", "admin")],
        ),
    ] {
        let id = TenantId::new(tenant).expect("tenant id");
        store
            .create_tenant(&id, tenant, "test", now)
            .await
            .expect("tenant");
        let handle = store.tenant(&id);
        for (agent, operator) in agents {
            let (_, token) = handle
                .create_agent(
                    NewAgent {
                        id: agent.into(),
                        name: agent.into(),
                        operator: operator.into(),
                        roles: vec![],
                        expires_at: None,
                    },
                    "test",
                    now,
                )
                .await
                .expect("agent");
            tokens.insert(agent, token.reveal().to_owned());
        }
        for (approver, role) in approvers {
            let (_, token) = handle
                .create_approver(
                    NewApprover {
                        id: approver.into(),
                        name: approver.into(),
                        roles: vec![role.into()],
                    },
                    "test",
                    now,
                )
                .await
                .expect("approver");
            tokens.insert(approver, token.reveal().to_owned());
        }
    }
    let key = SigningKeyPair::from_seed(&[42; 32]);
    let engine = Arc::new(Engine::with_defaults().expect("engine"));
    let config = GateConfig {
        max_body_bytes: 256 * 1024,
        ..GateConfig::default()
    };
    let gate = Arc::new(Gate::new(
        Arc::clone(&store),
        engine,
        ReceiptKeys::Shared(Box::new(key.clone())),
        config,
    ));
    let take = |name: &str| tokens.get(name).cloned().expect("token");
    World {
        app: router(gate),
        key,
        agent: take("agent"),
        agent_b: take("agent_b"),
        alice: take("alice"),
        bob: take("bob"),
        carol: take("carol"),
        dave_b: take("dave_b"),
        admin: take("admin"),
        admin_b: take("admin_b"),
        store,
    }
}

impl World {
    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let request = match body {
            Some(bytes) => request
                .header("content-type", "application/json")
                .body(Body::from(bytes)),
            None => request.body(Body::empty()),
        }
        .expect("request");
        let response = self.app.clone().oneshot(request).await.expect("response");
        let status = response.status();
        let is_problem = response
            .headers()
            .get("content-type")
            .is_some_and(|value| value == "application/problem+json");
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if !status.is_success() {
            assert!(is_problem, "{status} without a problem body: {value}");
        }
        (status, value)
    }

    async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(
            Method::POST,
            path,
            Some(token),
            Some(body.to_string().into_bytes()),
        )
        .await
    }

    /// Posts and checks the refusal's status and reason.
    async fn assert_refused(
        &self,
        path: &str,
        token: &str,
        body: Value,
        status: StatusCode,
        reason: &str,
    ) {
        let (got, problem) = self.post(path, token, body).await;
        assert_eq!(
            (got, slug(&problem)),
            (status, reason),
            "POST {path}: {problem}"
        );
    }

    async fn submit_plan(&self, token: &str) -> String {
        let (status, answer) = self
            .post(
                "/v1/actions",
                token,
                json!({"tool": "terraform_plan", "input": {"plan_json": PLAN, "path": "plan.json"}}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["verdict"], "escalate", "{answer}");
        answer["approval"]["id"]
            .as_str()
            .expect("approval id")
            .to_owned()
    }

    /// Submits the harmless `ls` as the agent holding `token`.
    async fn submit_ls(&self, token: &str) -> (StatusCode, Value) {
        self.post(
            "/v1/actions",
            token,
            json!({"tool": "shell", "input": {"command": "ls"}}),
        )
        .await
    }

    async fn audit_size(&self, tenant: &str) -> u64 {
        self.store
            .tenant(&TenantId::new(tenant).expect("tenant"))
            .audit_head()
            .await
            .expect("head")
            .size
    }

    fn trusted(&self) -> TrustedKeys {
        let mut trusted = TrustedKeys::new();
        trusted
            .insert(self.key.public_key().clone())
            .expect("trusted");
        trusted
    }
}

fn slug(problem: &Value) -> &str {
    problem["type"]
        .as_str()
        .and_then(|kind| kind.strip_prefix("urn:airlock:problem:"))
        .unwrap_or("")
}

/// The scenario and every refusal, on one backend.
async fn approval_rules_and_refusals(w: &World) {
    // Decisions that need no approval are answered and logged.
    let before = w.audit_size("acme").await;
    let (status, answer) = w
        .post(
            "/v1/actions",
            &w.agent,
            json!({"tool": "shell", "input": {"command": "git status"}}),
        )
        .await;
    assert_eq!(
        (status, answer["verdict"].as_str()),
        (StatusCode::OK, Some("allow"))
    );
    let (_, answer) = w
        .post(
            "/v1/actions",
            &w.agent,
            json!({"tool": "shell", "input": {"command": "sudo env bash -c 'rm -rf /'"}}),
        )
        .await;
    assert_eq!(answer["verdict"], "deny", "{answer}");
    assert_eq!(
        w.audit_size("acme").await,
        before + 2,
        "each decision is logged"
    );

    let id = w.submit_plan(&w.agent).await;
    let (_, detail) = w.get(&format!("/v1/approvals/{id}"), &w.bob).await;
    assert_eq!(detail["environment"], "production");
    assert_eq!(
        detail["plan"]["changes"][0]["address"],
        "terraform_data.cost_explorer_production"
    );
    assert!(
        detail["decision"]["findings"][0]["evidence"].is_object(),
        "{detail}"
    );

    // No receipt before approval.
    let (status, problem) = w
        .get(&format!("/v1/approvals/{id}/receipt"), &w.agent)
        .await;
    assert_eq!(
        (status, slug(&problem)),
        (StatusCode::CONFLICT, "not-approved")
    );

    let refusals_start = w.audit_size("acme").await;
    // Unauthenticated, unknown token, an agent voting, the operator voting,
    // another tenant's approver: each refused with its reason, nothing stored.
    let (status, problem) = w
        .call(
            Method::POST,
            &format!("/v1/approvals/{id}/approve"),
            None,
            None,
        )
        .await;
    assert_eq!(
        (status, slug(&problem)),
        (StatusCode::UNAUTHORIZED, "unauthenticated")
    );
    let (status, _) = w
        .post(
            &format!("/v1/approvals/{id}/approve"),
            "alk_not-a-token",
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    w.assert_refused(
        &format!("/v1/approvals/{id}/approve"),
        &w.agent,
        json!({}),
        StatusCode::FORBIDDEN,
        "approvers-only",
    )
    .await;
    w.assert_refused(
        &format!("/v1/approvals/{id}/approve"),
        &w.alice,
        json!({}),
        StatusCode::CONFLICT,
        "operator-cannot-approve",
    )
    .await;
    w.assert_refused(
        &format!("/v1/approvals/{id}/approve"),
        &w.dave_b,
        json!({}),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    // Malformed and oversize bodies.
    let (status, problem) = w
        .call(
            Method::POST,
            &format!("/v1/approvals/{id}/approve"),
            Some(&w.bob),
            Some(b"{\"comment\": ".to_vec()),
        )
        .await;
    assert_eq!(
        (status, slug(&problem)),
        (StatusCode::BAD_REQUEST, "invalid-body")
    );
    let (status, problem) = w
        .call(
            Method::POST,
            "/v1/actions",
            Some(&w.agent),
            Some(b"{\"tool\": \"shell\", \"input\": ".to_vec()),
        )
        .await;
    assert_eq!(
        (status, slug(&problem)),
        (StatusCode::BAD_REQUEST, "malformed-json")
    );
    let (status, problem) = w
        .call(
            Method::POST,
            "/v1/actions",
            Some(&w.agent),
            Some(br#"{"tool": "teleport", "input": {}}"#.to_vec()),
        )
        .await;
    assert_eq!(
        (status, slug(&problem)),
        (StatusCode::BAD_REQUEST, "invalid-body")
    );
    let huge = json!({"tool": "shell", "input": {"command": "x".repeat(512 * 1024)}});
    w.assert_refused(
        "/v1/actions",
        &w.agent,
        huge,
        StatusCode::PAYLOAD_TOO_LARGE,
        "body-too-large",
    )
    .await;
    assert_eq!(
        w.audit_size("acme").await,
        refusals_start,
        "refusals store nothing"
    );
    let (_, detail) = w.get(&format!("/v1/approvals/{id}"), &w.bob).await;
    assert_eq!(detail["votes"], json!([]), "no vote was stored: {detail}");

    // One approval is not enough; the same approver twice counts once.
    let (status, answer) = w
        .post(
            &format!("/v1/approvals/{id}/approve"),
            &w.carol,
            json!({"comment": "ok"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["approval"]["status"], "pending");
    w.assert_refused(
        &format!("/v1/approvals/{id}/approve"),
        &w.carol,
        json!({}),
        StatusCode::CONFLICT,
        "already-voted",
    )
    .await;
    // A senior completes it; the receipt is signed at once.
    let (status, answer) = w
        .post(&format!("/v1/approvals/{id}/approve"), &w.bob, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["approval"]["status"], "approved");
    let receipt_id = answer["receipt_id"]
        .as_str()
        .expect("receipt id")
        .to_owned();

    let (status, envelope) = w
        .get(&format!("/v1/approvals/{id}/receipt"), &w.agent)
        .await;
    assert_eq!(status, StatusCode::OK);
    let text = envelope.to_string();
    let trusted = w.trusted();
    let verified = verify(
        &text,
        &VerifyOptions::new(&trusted, time::OffsetDateTime::now_utc())
            .with_environment("production")
            .with_subject_bytes(PLAN.as_bytes()),
    )
    .expect("the receipt verifies");
    let predicate = verified.predicate();
    assert_eq!(predicate.receipt_id, receipt_id);
    assert_eq!(predicate.operator, "alice");
    let mut approvers: Vec<_> = predicate.approvers.iter().map(|a| a.id.as_str()).collect();
    approvers.sort_unstable();
    assert_eq!(approvers, ["bob", "carol"]);
    // The other tenant cannot read or redeem it.
    let (status, _) = w
        .get(&format!("/v1/approvals/{id}/receipt"), &w.agent_b)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = w
        .post(
            "/v1/receipts/redeem",
            &w.agent_b,
            json!({"envelope": envelope}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A forged envelope (payload changed) is refused without touching the store.
    let mut forged = envelope.clone();
    forged["payload"] = json!(base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        b"{}"
    ));
    w.assert_refused(
        "/v1/receipts/redeem",
        &w.agent,
        json!({"envelope": forged}),
        StatusCode::BAD_REQUEST,
        "receipt-invalid",
    )
    .await;
    // Redeemed once; the replay is refused.
    let (status, _) = w
        .post(
            "/v1/receipts/redeem",
            &w.agent,
            json!({"envelope": envelope}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    w.assert_refused(
        "/v1/receipts/redeem",
        &w.agent,
        json!({"envelope": envelope}),
        StatusCode::CONFLICT,
        "receipt-replayed",
    )
    .await;
    // Any rejection ends a request.
    let other = w.submit_plan(&w.agent).await;
    let (_, answer) = w
        .post(
            &format!("/v1/approvals/{other}/reject"),
            &w.carol,
            json!({"comment": "no"}),
        )
        .await;
    assert_eq!(answer["approval"]["status"], "rejected");
    w.assert_refused(
        &format!("/v1/approvals/{other}/approve"),
        &w.bob,
        json!({}),
        StatusCode::CONFLICT,
        "not-pending",
    )
    .await;
}

/// Tenant B sees nothing of tenant A, on every endpoint.
async fn tenant_isolation(w: &World) {
    let id = w.submit_plan(&w.agent).await;
    let (_, list) = w.get("/v1/approvals?status=pending", &w.dave_b).await;
    assert!(
        list.as_array()
            .expect("list")
            .iter()
            .all(|request| request["tenant"] == "beta"),
        "{list}"
    );
    for (method, path) in [
        (Method::GET, format!("/v1/approvals/{id}")),
        (Method::POST, format!("/v1/approvals/{id}/approve")),
        (Method::POST, format!("/v1/approvals/{id}/reject")),
        (Method::GET, format!("/v1/approvals/{id}/receipt")),
    ] {
        for token in [&w.dave_b, &w.agent_b] {
            let body = (method == Method::POST).then(|| b"{}".to_vec());
            let (status, problem) = w.call(method.clone(), &path, Some(token), body).await;
            assert!(
                matches!(status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
                "{method} {path}: {status} {problem}"
            );
        }
    }
    let (status, _) = w
        .post("/v1/agents/agent/revoke", &w.dave_b, json!({}))
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "beta's senior is not an admin"
    );
    // The other tenant's revocation list holds nothing of this tenant's.
    let (_, envelope) = w.get("/v1/revocations", &w.agent_b).await;
    let mut trusted = TrustedKeys::new();
    trusted.insert(w.key.public_key().clone()).expect("key");
    let list = RevocationList::verify(
        &envelope.to_string(),
        &trusted,
        time::OffsetDateTime::now_utc(),
        None,
    )
    .expect("signed list");
    assert_eq!(list.tenant, "beta");
    // Administration is per tenant: beta's admin sees beta's agents only,
    // cannot revoke acme's, and beta's stop leaves acme running.
    let (_, agents) = w.get("/v1/agents", &w.admin_b).await;
    let ids: Vec<_> = agents
        .as_array()
        .expect("agents")
        .iter()
        .map(|agent| agent["id"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(ids, ["agent_b"]);
    let (status, _) = w
        .post("/v1/agents/agent/revoke", &w.admin_b, json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The gate remembers agent_b from this decision; the stop still takes
    // effect on its next one.
    let (status, _) = w.submit_ls(&w.agent_b).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = w.post("/v1/emergency-stop", &w.admin_b, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let stopped_at = w.audit_size("beta").await;
    w.assert_refused(
        "/v1/actions",
        &w.agent_b,
        json!({"tool": "shell", "input": {"command": "ls"}}),
        StatusCode::FORBIDDEN,
        "emergency-stop",
    )
    .await;
    assert_eq!(w.audit_size("beta").await, stopped_at);
    let (status, answer) = w.submit_ls(&w.agent).await;
    assert_eq!(
        (status, answer["verdict"].as_str()),
        (StatusCode::OK, Some("allow"))
    );
    let (status, _) = w
        .call(Method::DELETE, "/v1/emergency-stop", Some(&w.admin_b), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = w.submit_ls(&w.agent_b).await;
    assert_eq!(status, StatusCode::OK);
    // An action is always recorded in its agent's own tenant.
    let before = (w.audit_size("acme").await, w.audit_size("beta").await);
    w.post(
        "/v1/actions",
        &w.agent_b,
        json!({"tool": "shell", "input": {"command": "ls"}}),
    )
    .await;
    assert_eq!(
        (w.audit_size("acme").await, w.audit_size("beta").await),
        (before.0, before.1 + 1)
    );
    // Agents see only their own requests.
    let (_, mine) = w.get("/v1/approvals?status=pending", &w.agent).await;
    assert!(mine
        .as_array()
        .expect("list")
        .iter()
        .all(|request| request["agent"] == "agent"));
    let (status, _) = w.get(&format!("/v1/approvals/{id}"), &w.agent).await;
    assert_eq!(status, StatusCode::OK);
}

/// Revoking an agent: its next request is refused, its pending requests
/// are cancelled, its receipts fail online, the revocation list names it,
/// and the revocation is in the audit log; with requests in flight.
async fn revocation(w: &World) {
    let pending = w.submit_plan(&w.agent).await;
    let approved = w.submit_plan(&w.agent).await;
    for token in [&w.carol, &w.bob] {
        w.post(
            &format!("/v1/approvals/{approved}/approve"),
            token,
            json!({}),
        )
        .await;
    }
    let (_, envelope) = w
        .get(&format!("/v1/approvals/{approved}/receipt"), &w.agent)
        .await;
    // Submissions in flight while the admin revokes.
    let in_flight: Vec<_> = (0..8)
        .map(|n| {
            let app = w.app.clone();
            let token = w.agent.clone();
            tokio::spawn(async move {
                let body = json!({"tool": "shell", "input": {"command": format!("ls dir{n}")}});
                let request = Request::builder()
                    .method(Method::POST)
                    .uri("/v1/actions")
                    .header("authorization", format!("Bearer {token}"))
                    .header("content-type", "application/json")
                    .body(Body::from(body.to_string()))
                    .expect("request");
                app.oneshot(request).await.expect("response").status()
            })
        })
        .collect();
    let (status, withdrawn) = w.post("/v1/agents/agent/revoke", &w.admin, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{withdrawn}");
    for task in in_flight {
        let status = task.await.expect("task");
        assert!(
            status == StatusCode::OK || status == StatusCode::FORBIDDEN,
            "in-flight request ended with {status}"
        );
    }
    assert!(withdrawn["cancelled_requests"]
        .as_array()
        .expect("cancelled")
        .iter()
        .any(|id| id == pending.as_str()));
    // 1. New actions are refused with "agent revoked".
    w.assert_refused(
        "/v1/actions",
        &w.agent,
        json!({"tool": "shell", "input": {"command": "ls"}}),
        StatusCode::FORBIDDEN,
        "agent-revoked",
    )
    .await;
    // 2. Its pending approvals are cancelled.
    let (_, detail) = w.get(&format!("/v1/approvals/{pending}"), &w.bob).await;
    assert_eq!(detail["status"], "cancelled");
    // 3. Its unredeemed receipt fails online.
    w.assert_refused(
        "/v1/receipts/redeem",
        &w.bob,
        json!({"envelope": envelope}),
        StatusCode::GONE,
        "receipt-revoked",
    )
    .await;
    // 4. Offline verifiers learn it from the signed list.
    let (_, list) = w.get("/v1/revocations", &w.bob).await;
    let trusted = w.trusted();
    let list = RevocationList::verify(
        &list.to_string(),
        &trusted,
        time::OffsetDateTime::now_utc(),
        None,
    )
    .expect("list verifies");
    let verified = verify(
        &envelope.to_string(),
        &VerifyOptions::new(&trusted, time::OffsetDateTime::now_utc()),
    )
    .expect("signature still valid");
    assert!(list.check(verified.predicate()).is_err());
    // 5. The revocation is in the audit log.
    let tenant = w.store.tenant(&TenantId::new("acme").expect("tenant"));
    let size = tenant.audit_head().await.expect("head").size;
    let rows = tenant.audit_rows(0..size).await.expect("rows");
    assert!(rows
        .iter()
        .any(|row| row.entry.kind.as_str() == "revocation" && row.entry.subject == "agent"));
    // The tenant-wide stop denies everyone's next action.
    let (status, _) = w.post("/v1/emergency-stop", &w.dave_b, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "not an admin");
}

async fn run_all(url: &str) {
    let w = world(url).await;
    approval_rules_and_refusals(&w).await;
    tenant_isolation(&w).await;
    revocation(&w).await;
    w.store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gate_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    run_all(&format!(
        "sqlite://{}",
        dir.path().join("gate.db").display()
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gate_on_postgres() {
    let Some(schema) = TestSchema::new("airlock_gate").await else {
        return;
    };
    run_all(&schema.url).await;
    schema.drop_schema().await;
}
