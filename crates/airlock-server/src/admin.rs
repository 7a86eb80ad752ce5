//! The kill switch, for approvers holding the admin role: list the tenant's
//! agents, revoke one (its pending requests are cancelled and its unredeemed
//! receipts revoked in the same transaction, and the next request it makes
//! is refused), and stop or resume the whole tenant.

use std::sync::Arc;

use airlock_audit::Timestamp;
use airlock_store::{Agent, Withdrawn};
use axum::extract::{Path, State};
use axum::Json;
use serde::Serialize;

use crate::auth::Caller;
use crate::problem::Problem;
use crate::wire::rfc3339;
use crate::Gate;

/// An agent as administrators see it (never its token).
#[derive(Debug, Serialize)]
pub struct AgentView {
    pub id: String,
    pub name: String,
    pub operator: String,
    pub roles: Vec<String>,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<serde_json::Value>,
}

impl From<Agent> for AgentView {
    fn from(agent: Agent) -> AgentView {
        AgentView {
            id: agent.id,
            name: agent.name,
            operator: agent.operator,
            roles: agent.roles,
            created_at: rfc3339(agent.created_at),
            expires_at: agent.expires_at.map(rfc3339),
            revoked_at: agent.revoked.map(|stamp| rfc3339(stamp.at)),
            last_seen: agent.last_seen.map(
                |(identity, at)| serde_json::json!({ "identity": identity, "at": rfc3339(at) }),
            ),
        }
    }
}

/// What a revocation or stop withdrew.
#[derive(Debug, Serialize)]
pub struct WithdrawnView {
    pub cancelled_requests: Vec<String>,
    pub revoked_receipts: Vec<String>,
}

impl From<Withdrawn> for WithdrawnView {
    fn from(withdrawn: Withdrawn) -> WithdrawnView {
        WithdrawnView {
            cancelled_requests: withdrawn.cancelled_requests,
            revoked_receipts: withdrawn.revoked_receipts,
        }
    }
}

pub async fn agents(
    State(gate): State<Arc<Gate>>,
    caller: Caller,
) -> Result<Json<Vec<AgentView>>, Problem> {
    caller.approver_with_role(&gate.config.admin_role)?;
    let agents = caller.tenant.agents().await?;
    Ok(Json(agents.into_iter().map(AgentView::from).collect()))
}

pub async fn revoke_agent(
    State(gate): State<Arc<Gate>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<WithdrawnView>, Problem> {
    let admin = caller.approver_with_role(&gate.config.admin_role)?;
    let withdrawn = caller
        .tenant
        .revoke_agent(&id, &admin.id, Timestamp::now())
        .await?;
    Ok(Json(withdrawn.into()))
}

pub async fn emergency_stop(
    State(gate): State<Arc<Gate>>,
    caller: Caller,
) -> Result<Json<WithdrawnView>, Problem> {
    let admin = caller.approver_with_role(&gate.config.admin_role)?;
    let withdrawn = caller
        .tenant
        .emergency_stop(&admin.id, Timestamp::now())
        .await?;
    Ok(Json(withdrawn.into()))
}

pub async fn lift_emergency_stop(
    State(gate): State<Arc<Gate>>,
    caller: Caller,
) -> Result<Json<serde_json::Value>, Problem> {
    let admin = caller.approver_with_role(&gate.config.admin_role)?;
    caller
        .tenant
        .lift_emergency_stop(&admin.id, Timestamp::now())
        .await?;
    Ok(Json(serde_json::json!({ "emergency_stop": false })))
}
