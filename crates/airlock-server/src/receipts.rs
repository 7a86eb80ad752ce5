//! Receipts: signing one when a request's approvals are complete (once per
//! request, whichever replica gets there first), handing it to the agent or
//! pipeline, and redeeming it exactly once for online verification.
//!
//! A receipt is signed only after the approving vote is committed, so no
//! receipt can exist without its complete approvals; if the process dies in
//! between, the next fetch signs it.

use std::sync::Arc;

use airlock_audit::Timestamp;
use airlock_keys::TrustedKeys;
use airlock_model::ToolInput;
use airlock_receipts::{
    issue, new_receipt_id, verify_envelope, Approver, Envelope, ReceiptRequest, Statement, Subject,
    SubjectDigest, VerifyOptions,
};
use airlock_store::{
    ApprovalRequest, NewReceipt, Receipt, ReceiptRef, RequestStatus, StoreError, TenantStore,
    VoteKind,
};
use axum::extract::{Path, State};
use axum::Json;

use crate::approvals::visible_request;
use crate::auth::Caller;
use crate::problem::Problem;
use crate::wire::{rfc3339, Body, RedeemBody, RedeemResponse};
use crate::Gate;

/// `GET /v1/approvals/{id}/receipt`: the signed envelope of an approved
/// request (for its agent or any approver of the tenant).
pub async fn fetch(
    State(gate): State<Arc<Gate>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Envelope>, Problem> {
    let request = visible_request(&caller, &id).await?;
    if request.status != RequestStatus::Approved {
        return Err(Problem::conflict(
            "not-approved",
            format!(
                "request `{id}` is {}: a receipt exists only once its approvals are complete",
                request.status.as_str()
            ),
        ));
    }
    let receipt = ensure_receipt(&gate, caller.tenant.as_ref(), &request).await?;
    if let Some(revoked) = receipt.revoked {
        return Err(Problem::new(
            axum::http::StatusCode::GONE,
            "receipt-revoked",
            format!(
                "receipt `{}` was revoked at {} by `{}`",
                receipt.id, revoked.at, revoked.by
            ),
        ));
    }
    Ok(Json(receipt.envelope))
}

/// The receipt of an approved request: the stored one, or a new one signed
/// now. Two replicas racing both sign; the store keeps the first.
pub async fn ensure_receipt(
    gate: &Gate,
    tenant: &dyn TenantStore,
    request: &ApprovalRequest,
) -> Result<Receipt, Problem> {
    if let Some(receipt) = tenant.receipt_for_request(&request.id).await? {
        return Ok(receipt);
    }
    let approvers = tenant
        .approvals(&request.id)
        .await?
        .into_iter()
        .filter(|approval| approval.verdict == VoteKind::Approve)
        .map(|approval| Approver {
            id: approval.approver_id,
            roles: approval.roles,
        })
        .collect();
    let receipt_request = ReceiptRequest {
        subject: subject_of(request),
        action_digest: request.action_digest.clone(),
        environment: request.environment.clone(),
        tenant: request.tenant.as_str().to_owned(),
        agent: request.agent_id.clone(),
        operator: request.operator.clone(),
        approvers,
        policy_version: request.decision.policy_version.clone(),
        receipt_id: Some(new_receipt_id().map_err(|error| Problem::internal(error.to_string()))?),
        plan_digest: request.plan_digest.clone(),
        commit: None,
    };
    let now = Timestamp::now();
    let envelope = issue(
        &receipt_request,
        &gate.receipt_keys.for_tenant(&request.tenant)?,
        now.as_datetime(),
        gate.config.receipt_ttl,
    )
    .map_err(|error| Problem::internal(error.to_string()))?;
    let statement = statement_of(&envelope)?;
    let predicate = &statement.predicate;
    let new = NewReceipt {
        id: predicate.receipt_id.clone(),
        request_id: request.id.clone(),
        nonce: predicate.nonce.clone(),
        issued_at: timestamp(predicate.issued_at)?,
        expires_at: timestamp(predicate.expires_at)?,
        envelope,
    };
    match tenant.issue_receipt(new, now).await {
        Ok(receipt) => Ok(receipt),
        Err(StoreError::ReceiptAlreadyIssued(_)) => tenant
            .receipt_for_request(&request.id)
            .await?
            .ok_or_else(|| Problem::internal("the receipt vanished while it was being issued")),
        Err(error) => Err(error.into()),
    }
}

/// `POST /v1/receipts/redeem`: a pipeline presents the envelope it verified
/// offline; the gate checks it signed it, for this tenant, and marks it used.
/// A second presentation is refused as a replay; a revoked or expired
/// receipt is refused with that reason.
pub async fn redeem(
    State(gate): State<Arc<Gate>>,
    caller: Caller,
    Body(body): Body<RedeemBody>,
) -> Result<Json<RedeemResponse>, Problem> {
    let mut trusted = TrustedKeys::new();
    trusted
        .insert(
            gate.receipt_keys
                .for_tenant(caller.tenant.tenant_id())?
                .public_key()
                .clone(),
        )
        .map_err(|error| Problem::internal(error.to_string()))?;
    let now = Timestamp::now();
    let verified = verify_envelope(
        &body.envelope,
        &VerifyOptions::new(&trusted, now.as_datetime()),
    )
    .map_err(|error| Problem::bad_request("receipt-invalid", error.to_string()))?;
    let predicate = verified.predicate();
    if predicate.tenant != caller.tenant.tenant_id().as_str() {
        return Err(Problem::not_found(format!(
            "receipt `{}` not found",
            predicate.receipt_id
        )));
    }
    let stored = caller
        .tenant
        .redeem_receipt(ReceiptRef::Nonce(&predicate.nonce), now)
        .await?;
    if stored.id != predicate.receipt_id {
        return Err(Problem::bad_request(
            "receipt-invalid",
            "the receipt's id does not match the receipt stored for its nonce",
        ));
    }
    Ok(Json(RedeemResponse {
        receipt_id: stored.id,
        request_id: stored.request_id,
        redeemed_at: rfc3339(stored.redeemed_at.unwrap_or(now)),
    }))
}

/// What the receipt is about: the plan file for plan applies, else the
/// action itself (by its canonical digest).
fn subject_of(request: &ApprovalRequest) -> Subject {
    match &request.action.input {
        ToolInput::TerraformPlan { plan_json, path } => Subject::for_bytes(
            path.clone().unwrap_or_else(|| "plan.json".to_owned()),
            plan_json.as_bytes(),
        ),
        _ => Subject {
            name: "action".to_owned(),
            digest: SubjectDigest {
                sha256: request
                    .action_digest
                    .strip_prefix("sha256:")
                    .unwrap_or(&request.action_digest)
                    .to_owned(),
            },
        },
    }
}

fn statement_of(envelope: &Envelope) -> Result<Statement, Problem> {
    let payload = envelope
        .decode_payload()
        .ok_or_else(|| Problem::internal("a freshly signed receipt does not decode"))?;
    serde_json::from_slice(&payload).map_err(|error| {
        Problem::internal(format!("a freshly signed receipt does not parse: {error}"))
    })
}

fn timestamp(at: time::OffsetDateTime) -> Result<Timestamp, Problem> {
    Timestamp::from_datetime(at).map_err(|error| Problem::internal(error.to_string()))
}
