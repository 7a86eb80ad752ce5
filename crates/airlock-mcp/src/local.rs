//! Local mode: calls are judged by the embedded engine
//! ([`airlock_engine::Engine`]) with the project's `airlock.toml` and
//! policies. There is no approval service in this mode: an escalated call
//! is held back with its reason, and the person runs it through a server
//! (`--server`) when approvals are needed.

use std::sync::Arc;

use airlock_engine::Engine;
use airlock_model::{ActionRequest, McpToolHints, ToolInput, Verdict};
use futures::future::BoxFuture;

use crate::judge::{ApprovalStatus, Judge, JudgeError, Judgement, ToolCall};

/// The embedded engine as a [`Judge`].
pub struct LocalJudge {
    engine: Arc<Engine>,
    environment: Option<String>,
}

impl LocalJudge {
    /// A judge on `engine`; `environment` is the hint recorded on every
    /// request ("production", "staging", …), for targets the classifiers
    /// cannot place.
    pub fn new(engine: Arc<Engine>, environment: Option<String>) -> Self {
        LocalJudge {
            engine,
            environment,
        }
    }

    /// The request the engine judges for `call`.
    pub fn request(&self, call: &ToolCall) -> ActionRequest {
        let agent = &self.engine.config().config.agent;
        let mut request = ActionRequest::new(
            agent.id.clone(),
            agent.tenant.clone(),
            ToolInput::McpCall {
                server: call.server.clone(),
                tool: call.tool.clone(),
                arguments: call.arguments.clone(),
                annotations: call.annotations,
            },
        );
        request.environment = self.environment.clone();
        request
    }

    fn judge_now(&self, call: &ToolCall) -> Judgement {
        let evaluation = self.engine.evaluate(&self.request(call));
        let decision = evaluation.decision;
        Judgement {
            verdict: decision.verdict,
            reason: decision.reason.clone(),
            decision: Some(decision),
            approval: None,
        }
    }
}

impl Judge for LocalJudge {
    fn judge<'a>(&'a self, call: &'a ToolCall) -> BoxFuture<'a, Result<Judgement, JudgeError>> {
        Box::pin(async move { Ok(self.judge_now(call)) })
    }

    fn judge_immediately(&self, call: &ToolCall) -> Option<Result<Judgement, JudgeError>> {
        Some(Ok(self.judge_now(call)))
    }

    fn approval_status<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, Result<ApprovalStatus, JudgeError>> {
        Box::pin(async move { Err(JudgeError::UnknownApproval(id.to_string())) })
    }

    fn may_list(&self, server: &str, tool: &str, annotations: Option<McpToolHints>) -> bool {
        self.engine
            .mcp_tool_listing_verdict(server, tool, annotations)
            .verdict
            != Verdict::Deny
    }
}
