//! `airlock serve`: the gate between agents and production, over HTTP.
//!
//! Agents submit actions (`POST /v1/actions`) and get a decision; an
//! escalation is held in the store as an approval request bound to the
//! action's digest (and the plan's). Approvers list, inspect and vote
//! (`/v1/approvals…`); once the policy's requirement is met the gate signs a
//! receipt (in-toto statement in a DSSE envelope) that the deploy pipeline
//! verifies offline and redeems once online (`/v1/receipts/redeem`).
//! Administrators revoke agents and stop a tenant; the signed revocation list
//! (`/v1/revocations`) carries that to offline verifiers.
//!
//! Every state lives in the store, so any number of replicas may serve one
//! database. Errors are RFC 9457 problem details ([`problem`]); every `/v1`
//! endpoint is authenticated ([`auth`]); bodies and request time are bounded.

pub mod admin;
pub mod approvals;
pub mod auth;
pub mod decision_log;
pub mod decisions;
pub mod keys;
pub mod problem;
pub mod receipts;
pub mod revocations;
pub mod wire;

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use airlock_engine::Engine;
use airlock_store::{Store, TenantId};
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware;
use axum::routing::{get, post};
use axum::{Json, Router};
use decision_log::DecisionLog;
use tower_http::timeout::TimeoutLayer;

pub use keys::ReceiptKeys;
pub use problem::Problem;

/// Limits and lifetimes of the gate.
#[derive(Debug, Clone)]
pub struct GateConfig {
    /// How long an escalation waits for its approvals.
    pub request_ttl: time::Duration,
    /// How long a receipt stays valid after it is issued.
    pub receipt_ttl: time::Duration,
    /// Largest request body accepted (a Terraform plan travels in the body).
    pub max_body_bytes: usize,
    /// Longest time a request may take before it is answered 408.
    pub request_timeout: Duration,
    /// The approver role that may revoke agents and stop a tenant.
    pub admin_role: String,
    /// Most allow and deny decisions committed to the audit log in one
    /// transaction (see [`decision_log`]).
    pub max_decision_batch: usize,
}

impl Default for GateConfig {
    fn default() -> Self {
        GateConfig {
            request_ttl: time::Duration::hours(24),
            receipt_ttl: time::Duration::hours(1),
            max_body_bytes: 16 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            admin_role: "admin".to_owned(),
            max_decision_batch: decision_log::DEFAULT_MAX_BATCH,
        }
    }
}

/// What every handler shares: the store, the engines (one per tenant with
/// its own policies, a default for the rest) and the receipt signing keys.
pub struct Gate {
    pub store: Arc<dyn Store>,
    default_engine: Arc<Engine>,
    tenant_engines: HashMap<TenantId, Arc<Engine>>,
    pub receipt_keys: ReceiptKeys,
    pub config: GateConfig,
    decision_log: DecisionLog,
    /// The agents behind recent decisions' tokens (see [`auth::CallerCache`]).
    pub callers: auth::CallerCache,
}

impl Gate {
    pub fn new(
        store: Arc<dyn Store>,
        engine: Arc<Engine>,
        receipt_keys: ReceiptKeys,
        config: GateConfig,
    ) -> Gate {
        Gate {
            store,
            default_engine: engine,
            tenant_engines: HashMap::new(),
            receipt_keys,
            decision_log: DecisionLog::new(config.max_decision_batch),
            callers: auth::CallerCache::default(),
            config,
        }
    }

    /// Gives `tenant` its own policies and classifier settings.
    pub fn with_tenant_engine(mut self, tenant: TenantId, engine: Arc<Engine>) -> Gate {
        self.tenant_engines.insert(tenant, engine);
        self
    }

    /// Where allow and deny decisions are made durable, in groups.
    pub fn decision_log(&self) -> &DecisionLog {
        &self.decision_log
    }

    /// The engine that judges `tenant`'s actions.
    pub fn engine(&self, tenant: &TenantId) -> &Engine {
        self.tenant_engines
            .get(tenant)
            .unwrap_or(&self.default_engine)
    }
}

/// The HTTP API.
pub fn router(gate: Arc<Gate>) -> Router {
    let limit = gate.config.max_body_bytes;
    let timeout = gate.config.request_timeout;
    let v1 = Router::new()
        .route("/actions", post(decisions::submit))
        .route("/approvals", get(approvals::list))
        .route("/approvals/{id}", get(approvals::show))
        .route("/approvals/{id}/approve", post(approvals::approve))
        .route("/approvals/{id}/reject", post(approvals::reject))
        .route("/approvals/{id}/receipt", get(receipts::fetch))
        .route("/receipts/redeem", post(receipts::redeem))
        .route("/revocations", get(revocations::signed_list))
        .route("/agents", get(admin::agents))
        .route("/agents/{id}/revoke", post(admin::revoke_agent))
        .route(
            "/emergency-stop",
            post(admin::emergency_stop).delete(admin::lift_emergency_stop),
        )
        .fallback(unknown_endpoint);
    Router::new()
        .route("/healthz", get(health))
        .nest("/v1", v1)
        .fallback(unknown_endpoint)
        .layer(DefaultBodyLimit::max(limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(middleware::map_response(problem::bare_errors_as_problems))
        .with_state(gate)
}

/// Serves the API on `listener` until `shutdown` completes, then finishes
/// the requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    gate: Arc<Gate>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(gate))
        .with_graceful_shutdown(shutdown)
        .await
}

async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

async fn unknown_endpoint() -> Problem {
    Problem::not_found("no such endpoint; the API is under /v1 (see docs/gate.md)")
}
