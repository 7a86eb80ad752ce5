//! `POST /v1/actions`: an agent's action is classified and judged with the
//! agent's registered roles (never its operator's authority); an allow or a
//! deny is appended to the audit log before the answer leaves, and an
//! escalation is stored as an approval request bound to the action's digest
//! and, for a plan, the plan's. Allows and denies are committed in groups
//! ([`crate::decision_log`]), each answered only once its entry is durable.

use std::sync::Arc;

use airlock_audit::{EntryKind, Timestamp};
use airlock_engine::Evaluation;
use airlock_model::{ActionRequest, ApprovalRequirement, Decision, EnvTier, ToolInput, Verdict};
use airlock_policy::Principal as PolicyPrincipal;
use airlock_store::{Agent, AuditEvent, DecidedFor, NewEscalation, Principal};
use axum::extract::State;
use axum::Json;
use serde_json::json;

use crate::auth::{self, Bearer, Caller};
use crate::problem::Problem;
use crate::wire::{ApprovalView, Body, Submission, SubmitResponse};
use crate::Gate;

pub async fn submit(
    State(gate): State<Arc<Gate>>,
    bearer: Bearer,
    Body(submission): Body<Submission>,
) -> Result<Json<SubmitResponse>, Problem> {
    let mut caller = gate.callers.agent(&gate, &bearer).await?;
    let request = submission.into_request(caller.agent()?);
    // A caller whose authority changed before its decision was recorded is
    // read again and the action decided again, once.
    for _ in 0..2 {
        if let Some(response) = judge(&gate, &caller, &bearer, &request).await? {
            return Ok(Json(response));
        }
        gate.callers.forget(&caller.token);
        caller = auth::look_up(&gate, &bearer).await?;
        let agent = caller.agent()?;
        if agent.id != request.agent.id || agent.tenant.as_str() != request.tenant {
            return Err(authority_changed());
        }
    }
    Err(authority_changed())
}

fn authority_changed() -> Problem {
    Problem::conflict(
        "authority-changed",
        "the agent's registration changed while its action was being decided; submit it again",
    )
}

/// Decides `request` for `caller` and records the outcome: `None` if the
/// caller no longer holds the authority it was decided with.
async fn judge(
    gate: &Arc<Gate>,
    caller: &Caller,
    bearer: &Bearer,
    request: &ActionRequest,
) -> Result<Option<SubmitResponse>, Problem> {
    let agent = caller.agent()?;
    let tenant = &caller.tenant_state;
    if let Some(stop) = &tenant.emergency_stop {
        return Err(Problem::forbidden(
            "emergency-stop",
            format!(
                "tenant `{}` is under an emergency stop since {} (by `{}`): every action is denied",
                tenant.id.as_str(),
                stop.at,
                stop.by
            ),
        ));
    }
    let now = Timestamp::now();
    if agent.last_seen.as_ref().map(|(identity, _)| identity) != Some(&request.agent) {
        caller
            .tenant
            .record_agent_identity(&agent.id, &request.agent, now)
            .await?;
        gate.callers.seen(&caller.token, &request.agent, now);
    }
    let evaluation = evaluate(gate, agent, request.clone()).await?;
    let action_json = serde_json::to_value(request)
        .map_err(|error| Problem::internal(format!("cannot encode the action: {error}")))?;
    let action_digest = airlock_receipts::action_digest(&action_json);
    let decision = evaluation.decision;
    let decided_for = DecidedFor {
        token: caller.token.clone(),
        agent: agent.clone(),
    };
    if decision.verdict == Verdict::Escalate {
        // An escalation is held in its own transaction: its caller is read
        // from the store, not remembered.
        if caller.remembered {
            let current = auth::look_up(gate, bearer).await?;
            let stopped = current.tenant_state.emergency_stop.is_some();
            let holds = match &current.principal {
                Principal::Agent(now_agent) => decided_for.held_by(now_agent, stopped, now),
                Principal::Approver(_) => false,
            };
            if !holds {
                return Ok(None);
            }
        }
        let escalation = NewEscalation {
            plan_digest: plan_digest(request),
            environment: environment_of(request, &decision),
            requirement: requirement_of(&decision),
            decision: decision.clone(),
            expires_at: Timestamp::from_datetime(now.as_datetime() + gate.config.request_ttl)
                .map_err(|error| Problem::internal(error.to_string()))?,
            action: request.clone(),
        };
        let held = caller.tenant.submit_escalation(escalation, now).await?;
        let missing = Some(held.requirement.describe());
        return Ok(Some(SubmitResponse {
            verdict: decision.verdict,
            action_digest: held.action_digest.clone(),
            approval: Some(ApprovalView::new(&held, missing)),
            decision,
        }));
    }
    let event = AuditEvent::new(
        now,
        EntryKind::Decision,
        &agent.id,
        &action_digest,
        decision_record(request, &decision),
    );
    let recorded = gate
        .decision_log()
        .append(&caller.tenant, event, Arc::new(decided_for))
        .await?;
    Ok(recorded.map(|_| SubmitResponse {
        verdict: decision.verdict,
        decision,
        action_digest,
        approval: None,
    }))
}

/// Classifies and judges `request` for `agent`. Plans can be large, so they
/// are judged off the async threads.
async fn evaluate(
    gate: &Arc<Gate>,
    agent: &Agent,
    request: ActionRequest,
) -> Result<Evaluation, Problem> {
    let principal = PolicyPrincipal {
        agent: agent.id.clone(),
        roles: agent.roles.clone(),
        operator: Some(agent.operator.clone()),
        tenant: agent.tenant.as_str().to_owned(),
    };
    if matches!(request.input, ToolInput::TerraformPlan { .. }) {
        let gate = Arc::clone(gate);
        let tenant = agent.tenant.clone();
        tokio::task::spawn_blocking(move || gate.engine(&tenant).evaluate_as(&principal, &request))
            .await
            .map_err(|error| Problem::internal(format!("the plan evaluation failed: {error}")))
    } else {
        Ok(gate.engine(&agent.tenant).evaluate_as(&principal, &request))
    }
}

/// What the audit log keeps of a decision: enough to explain it later
/// without the action's full input.
fn decision_record(request: &ActionRequest, decision: &Decision) -> serde_json::Value {
    let findings: Vec<_> = decision
        .findings
        .iter()
        .map(|finding| {
            json!({
                "rule": finding.effect.rule,
                "effect": finding.effect.kind,
                "target": finding.effect.target.name,
                "environment": finding.effect.target.environment,
                "verdict": finding.verdict,
            })
        })
        .collect();
    json!({
        "tool": request.tool_kind(),
        "verdict": decision.verdict,
        "risk": decision.risk,
        "reason": decision.reason,
        "policies": decision.policies,
        "policy_version": decision.policy_version,
        "findings": findings,
        "agent": request.agent,
    })
}

/// `sha256:` of the plan file the action would apply.
pub fn plan_digest(request: &ActionRequest) -> Option<String> {
    match &request.input {
        ToolInput::TerraformPlan { plan_json, .. } => {
            Some(airlock_receipts::sha256_digest(plan_json.as_bytes()))
        }
        _ => None,
    }
}

/// The environment an escalation is for: the most sensitive one its
/// escalating findings touch, else the caller's hint, else `unknown`.
fn environment_of(request: &ActionRequest, decision: &Decision) -> String {
    let rank = |tier: EnvTier| match tier {
        EnvTier::Production => 4,
        EnvTier::Staging => 3,
        EnvTier::Unknown => 2,
        EnvTier::Development => 1,
        EnvTier::Scratch => 0,
    };
    let found = decision
        .findings
        .iter()
        .filter(|finding| finding.verdict == Verdict::Escalate)
        .map(|finding| finding.effect.target.environment)
        .filter(|tier| *tier != EnvTier::Unknown)
        .max_by_key(|tier| rank(*tier));
    match (found, &request.environment) {
        (Some(tier), _) => tier.as_str().to_owned(),
        (None, Some(hint)) => hint.clone(),
        (None, None) => EnvTier::Unknown.as_str().to_owned(),
    }
}

/// The approvals the policy asked for; never fewer than one person.
fn requirement_of(decision: &Decision) -> ApprovalRequirement {
    let mut requirement = decision.approvals.clone().unwrap_or_default();
    requirement.min_approvers = requirement.min_approvers.max(1);
    requirement
}
