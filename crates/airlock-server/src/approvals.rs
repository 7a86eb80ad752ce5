//! `/v1/approvals`: approvers list the tenant's requests, inspect one with
//! the full explanation and the plan's resource changes, and approve or
//! reject it. The store applies the rules (the operator never counts, one
//! identity once, any rejection ends it, expiry); when a vote completes the
//! requirement, the receipt is signed at once. An agent may read its own
//! requests, to wait for the outcome, and nothing else.

use std::sync::Arc;

use airlock_audit::Timestamp;
use airlock_store::{Approval, ApprovalRequest, Principal, RequestStatus, VoteKind};
use airlock_store::{RequestView, Vote};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::Json;

use crate::auth::Caller;
use crate::problem::Problem;
use crate::receipts::ensure_receipt;
use crate::wire::{ApprovalDetail, ApprovalView, ListQuery, VoteBody, VoteResponse, VoteView};
use crate::Gate;

pub async fn list(
    caller: Caller,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<ApprovalView>>, Problem> {
    let requests = caller.tenant.requests(query.status).await?;
    let mut views = Vec::with_capacity(requests.len());
    for request in requests
        .iter()
        .filter(|request| visible_to(&caller, request))
    {
        let missing = if request.status == RequestStatus::Pending {
            let approvals = caller.tenant.approvals(&request.id).await?;
            missing_now(request, &approvals)
        } else {
            None
        };
        views.push(ApprovalView::new(request, missing));
    }
    Ok(Json(views))
}

pub async fn show(
    State(gate): State<Arc<Gate>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ApprovalDetail>, Problem> {
    let request = visible_request(&caller, &id).await?;
    let approvals = caller.tenant.approvals(&id).await?;
    let receipt_id = caller
        .tenant
        .receipt_for_request(&id)
        .await?
        .map(|receipt| receipt.id);
    let plan = {
        let (_, plan, _) = gate.engine(&request.tenant).classify(&request.action);
        plan
    };
    let missing = missing_now(&request, &approvals);
    Ok(Json(ApprovalDetail {
        summary: ApprovalView::new(&request, missing),
        action: request.action.clone(),
        decision: request.decision.clone(),
        plan,
        votes: approvals.iter().map(VoteView::from).collect(),
        receipt_id,
    }))
}

pub async fn approve(
    state: State<Arc<Gate>>,
    caller: Caller,
    id: Path<String>,
    body: Bytes,
) -> Result<Json<VoteResponse>, Problem> {
    vote(state, caller, id, body, VoteKind::Approve).await
}

pub async fn reject(
    state: State<Arc<Gate>>,
    caller: Caller,
    id: Path<String>,
    body: Bytes,
) -> Result<Json<VoteResponse>, Problem> {
    vote(state, caller, id, body, VoteKind::Reject).await
}

async fn vote(
    State(gate): State<Arc<Gate>>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
    kind: VoteKind,
) -> Result<Json<VoteResponse>, Problem> {
    let approver = caller.approver()?;
    let comment = VoteBody::parse(&body)?.comment;
    if comment.as_ref().is_some_and(|text| text.len() > 4096) {
        return Err(Problem::bad_request(
            "comment-too-long",
            "a comment may be at most 4096 bytes",
        ));
    }
    let outcome = caller
        .tenant
        .record_approval(
            &id,
            &approver.id,
            kind,
            comment.as_deref(),
            Timestamp::now(),
        )
        .await?;
    let receipt_id = if outcome.requirement_met() {
        Some(
            ensure_receipt(&gate, caller.tenant.as_ref(), &outcome.request)
                .await?
                .id,
        )
    } else {
        None
    };
    Ok(Json(VoteResponse {
        approval: ApprovalView::new(&outcome.request, outcome.tally.missing),
        receipt_id,
    }))
}

/// The request `id` if the caller may see it: any approver of the tenant,
/// or the agent that asked. Others get 404, as for an unknown id.
pub async fn visible_request(caller: &Caller, id: &str) -> Result<ApprovalRequest, Problem> {
    let request = caller.tenant.request(id).await?;
    if visible_to(caller, &request) {
        Ok(request)
    } else {
        Err(Problem::not_found(format!("request `{id}` not found")))
    }
}

fn visible_to(caller: &Caller, request: &ApprovalRequest) -> bool {
    match &caller.principal {
        Principal::Approver(_) => true,
        Principal::Agent(agent) => agent.id == request.agent_id,
    }
}

/// What a pending request still needs, given the votes cast so far.
fn missing_now(request: &ApprovalRequest, approvals: &[Approval]) -> Option<String> {
    if request.status != RequestStatus::Pending {
        return None;
    }
    let votes: Vec<Vote> = approvals
        .iter()
        .map(|approval| Vote {
            approver: approval.approver_id.clone(),
            roles: approval.roles.clone(),
            kind: approval.verdict,
        })
        .collect();
    let view = RequestView {
        status: request.status,
        operator: Some(&request.operator),
        expires_at: request.expires_at.as_datetime().unix_timestamp(),
        requirement: &request.requirement,
    };
    airlock_store::tally(&view, &votes).missing
}
