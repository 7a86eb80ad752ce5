//! The judge the proxy asks about every `tools/call`: a trait, so that the
//! embedded engine (local mode) and `airlock serve` (remote mode) share one
//! proxy, and the answers both give.

use airlock_model::{Decision, McpToolHints, Verdict};
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One `tools/call`, as the judge sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    /// The server's identity as the gateway knows it (never the name the
    /// server gives itself).
    pub server: String,
    pub tool: String,
    /// The call's arguments (an object, or `Null` when the call had none).
    pub arguments: Value,
    /// The tool's annotations from the server's `tools/list`, when listed.
    pub annotations: Option<McpToolHints>,
}

/// An approval a person has yet to give.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingApproval {
    pub id: String,
    /// RFC 3339, when the approval service says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

/// The judge's answer for one call.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    pub verdict: Verdict,
    /// Why, in one or two sentences (the decision's reason).
    pub reason: String,
    /// The full decision, when the judge produced or returned one.
    pub decision: Option<Decision>,
    /// For escalations: the approval request a person can answer, when the
    /// judge keeps approvals.
    pub approval: Option<PendingApproval>,
}

/// Where an approval stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalStatus {
    Pending,
    Approved,
    Rejected,
    Expired,
    Cancelled,
}

impl ApprovalStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalStatus::Pending => "pending",
            ApprovalStatus::Approved => "approved",
            ApprovalStatus::Rejected => "rejected",
            ApprovalStatus::Expired => "expired",
            ApprovalStatus::Cancelled => "cancelled",
        }
    }
}

/// Why a judge could not answer. The proxy treats every one as a deny.
#[derive(Debug, thiserror::Error)]
pub enum JudgeError {
    #[error("cannot reach the airlock server at {url}: {message}")]
    Unreachable { url: String, message: String },
    #[error("the airlock server refused the request ({status} {title}): {detail}")]
    Refused {
        status: u16,
        title: String,
        detail: String,
    },
    #[error("the airlock server's answer cannot be read: {0}")]
    Unreadable(String),
    #[error("approval {0} is unknown to this judge")]
    UnknownApproval(String),
}

/// Judges tool calls and, for escalations, reports on approvals.
pub trait Judge: Send + Sync + 'static {
    /// Classifies and judges one call.
    fn judge<'a>(&'a self, call: &'a ToolCall) -> BoxFuture<'a, Result<Judgement, JudgeError>>;

    /// Judges at once, when this judge needs no I/O to answer (the
    /// embedded engine); `None` when the answer must be awaited.
    fn judge_immediately(&self, _call: &ToolCall) -> Option<Result<Judgement, JudgeError>> {
        None
    }

    /// Where the approval `id` (from an escalated [`Judgement`]) stands.
    fn approval_status<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, Result<ApprovalStatus, JudgeError>>;

    /// Whether the agent may ever call `tool`: tools it may not are left
    /// out of `tools/list`. Judged on the tool's name and annotations
    /// alone, without arguments.
    fn may_list(&self, server: &str, tool: &str, annotations: Option<McpToolHints>) -> bool;
}
