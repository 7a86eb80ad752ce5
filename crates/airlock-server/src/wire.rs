//! The API's JSON shapes, and the body extractor that turns malformed,
//! oversize or mistyped bodies into problem details instead of plain text.

use airlock_audit::Timestamp;
use airlock_model::{ActionRequest, AgentIdentity, ApprovalRequirement, Decision, ToolInput};
use airlock_store::{Agent, Approval, ApprovalRequest, RequestStatus, TenantId, VoteKind};
use airlock_terraform::PlanReport;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::problem::Problem;

/// A JSON body; its rejections are problem details.
pub struct Body<T>(pub T);

impl<S, T> FromRequest<S> for Body<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Problem> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Body(value)),
            Err(rejection) => Err(body_problem(rejection)),
        }
    }
}

fn body_problem(rejection: JsonRejection) -> Problem {
    let detail = rejection.body_text();
    match rejection {
        JsonRejection::MissingJsonContentType(_) => Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "send the body as JSON with `Content-Type: application/json`",
        ),
        JsonRejection::JsonSyntaxError(_) => Problem::bad_request("malformed-json", detail),
        JsonRejection::JsonDataError(_) => Problem::bad_request("invalid-body", detail),
        JsonRejection::BytesRejection(_) if detail.contains("length limit") => Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body-too-large",
            "the request body is larger than the server accepts (see --max-body)",
        ),
        _ => Problem::bad_request("unreadable-body", detail),
    }
}

/// How an agent names itself; recorded, never trusted for authority.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelfIdentification {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
}

/// `POST /v1/actions`: the action, as `airlock_model::ActionRequest` without
/// the agent id and tenant, which come from the token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Submission {
    #[serde(flatten)]
    pub input: ToolInput,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<SelfIdentification>,
}

impl Submission {
    /// The action request of `agent`: identity from the registration, the
    /// self-description only as name, model and version.
    pub fn into_request(self, agent: &Agent) -> ActionRequest {
        let named = self.agent.unwrap_or_default();
        ActionRequest {
            agent: AgentIdentity {
                id: agent.id.clone(),
                name: named.name,
                model: named.model,
                version: named.version,
            },
            tenant: agent.tenant.as_str().to_owned(),
            input: self.input,
            cwd: self.cwd,
            environment: self.environment,
            justification: self.justification,
        }
    }
}

/// The answer to a submission.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubmitResponse {
    pub verdict: airlock_model::Verdict,
    pub decision: Decision,
    /// `sha256:` of the action's RFC 8785 canonical JSON.
    pub action_digest: String,
    /// For escalations: the approval request now waiting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<ApprovalView>,
}

/// An approval request as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApprovalView {
    pub id: String,
    pub tenant: String,
    pub status: RequestStatus,
    pub agent: String,
    pub operator: String,
    pub environment: String,
    pub action_digest: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_digest: Option<String>,
    pub requirement: ApprovalRequirement,
    /// What is still missing, in words, while pending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<String>,
    pub created_at: String,
    pub expires_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<String>,
    /// The reason of the decision, one line.
    pub reason: String,
}

impl ApprovalView {
    pub fn new(request: &ApprovalRequest, missing: Option<String>) -> ApprovalView {
        ApprovalView {
            id: request.id.clone(),
            tenant: request.tenant.as_str().to_owned(),
            status: request.status,
            agent: request.agent_id.clone(),
            operator: request.operator.clone(),
            environment: request.environment.clone(),
            action_digest: request.action_digest.clone(),
            plan_digest: request.plan_digest.clone(),
            requirement: request.requirement.clone(),
            missing,
            created_at: rfc3339(request.created_at),
            expires_at: rfc3339(request.expires_at),
            resolved_at: request.resolved_at.map(rfc3339),
            reason: request.decision.reason.clone(),
        }
    }
}

/// `GET /v1/approvals/{id}`: the request with everything an approver needs.
#[derive(Debug, Clone, Serialize)]
pub struct ApprovalDetail {
    #[serde(flatten)]
    pub summary: ApprovalView,
    pub action: ActionRequest,
    /// The full decision: findings with rule, effect, target and evidence.
    pub decision: Decision,
    /// The plan's resource changes, for Terraform plans.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<PlanReport>,
    pub votes: Vec<VoteView>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt_id: Option<String>,
}

/// One vote as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VoteView {
    pub approver: String,
    pub roles: Vec<String>,
    pub verdict: VoteKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    pub at: String,
}

impl From<&Approval> for VoteView {
    fn from(approval: &Approval) -> VoteView {
        VoteView {
            approver: approval.approver_id.clone(),
            roles: approval.roles.clone(),
            verdict: approval.verdict,
            comment: approval.comment.clone(),
            at: rfc3339(approval.at),
        }
    }
}

/// `POST /v1/approvals/{id}/approve|reject`; the body may be empty.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoteBody {
    #[serde(default)]
    pub comment: Option<String>,
}

impl VoteBody {
    /// Reads an optional JSON body: empty means no comment.
    pub fn parse(bytes: &[u8]) -> Result<VoteBody, Problem> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(VoteBody::default());
        }
        serde_json::from_slice(bytes).map_err(|error| {
            Problem::bad_request(
                "invalid-body",
                format!("expected {{\"comment\": \"...\"}} or an empty body: {error}"),
            )
        })
    }
}

/// The answer to a vote.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VoteResponse {
    pub approval: ApprovalView,
    /// Set once the requirement is met and the receipt signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt_id: Option<String>,
}

/// `POST /v1/receipts/redeem`: the DSSE envelope the pipeline holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedeemBody {
    pub envelope: airlock_receipts::Envelope,
}

/// The answer to a redemption.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RedeemResponse {
    pub receipt_id: String,
    pub request_id: String,
    pub redeemed_at: String,
}

/// `?status=` of `GET /v1/approvals`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub status: Option<RequestStatus>,
}

/// A timestamp as RFC 3339 text.
pub fn rfc3339(at: Timestamp) -> String {
    at.to_string()
}

/// A tenant id as a plain string, for responses.
pub fn tenant_name(tenant: &TenantId) -> String {
    tenant.as_str().to_owned()
}
