//! Remote mode: calls are judged by `airlock serve`, so that approvals and
//! the audit log are central. `POST {server}/v1/actions` with the agent's
//! bearer token judges a call; `GET {server}/v1/approvals/{id}` reports on
//! an escalation. Any error (network, status, RFC 9457 problem, an answer
//! that cannot be read) is a [`JudgeError`], which the proxy turns into a
//! refusal: nothing is forwarded that the server did not allow.

use std::sync::Arc;
use std::time::Duration;

use airlock_engine::Engine;
use airlock_model::{Decision, McpToolHints, Verdict};
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::judge::{ApprovalStatus, Judge, JudgeError, Judgement, PendingApproval, ToolCall};

/// How the agent names itself to the server (recorded, not trusted).
#[derive(Debug, Clone, Default, Serialize)]
pub struct AgentDescription {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// `airlock serve` as a [`Judge`].
pub struct RemoteJudge {
    client: reqwest::Client,
    base_url: String,
    token: String,
    agent: AgentDescription,
    environment: Option<String>,
    listing: Option<Arc<Engine>>,
}

#[derive(Debug, Deserialize)]
struct ActionAnswer {
    verdict: Verdict,
    #[serde(default)]
    decision: Option<Value>,
    #[serde(default)]
    approval: Option<PendingApproval>,
}

#[derive(Debug, Deserialize)]
struct ApprovalAnswer {
    status: ApprovalStatus,
}

#[derive(Debug, Default, Deserialize)]
struct Problem {
    #[serde(default)]
    title: String,
    #[serde(default)]
    detail: String,
}

impl RemoteJudge {
    /// A judge that asks the server at `base_url` with the agent `token`.
    /// `listing`, when given, is the local policy used to leave tools out
    /// of `tools/list` (listing asks no server and records nothing); every
    /// call is still judged by the server.
    pub fn new(
        base_url: &str,
        token: String,
        agent: AgentDescription,
        environment: Option<String>,
        listing: Option<Arc<Engine>>,
    ) -> Result<Self, JudgeError> {
        crate::ensure_tls_provider();
        let base_url = base_url.trim_end_matches('/').to_string();
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| JudgeError::Unreachable {
                url: base_url.clone(),
                message: e.to_string(),
            })?;
        Ok(RemoteJudge {
            client,
            base_url,
            token,
            agent,
            environment,
            listing,
        })
    }

    /// The body of `POST /v1/actions` for `call`.
    pub fn action_body(&self, call: &ToolCall) -> Value {
        let mut input = json!({
            "server": call.server,
            "tool": call.tool,
            "arguments": call.arguments,
        });
        if let (Some(hints), Some(object)) = (call.annotations, input.as_object_mut()) {
            object.insert("annotations".into(), json!(hints));
        }
        let mut body = json!({"tool": "mcp_call", "input": input, "agent": self.agent});
        if let (Some(env), Some(object)) = (&self.environment, body.as_object_mut()) {
            object.insert("environment".into(), json!(env));
        }
        body
    }

    async fn send(&self, request: reqwest::RequestBuilder, url: &str) -> Result<Value, JudgeError> {
        let response =
            request
                .bearer_auth(&self.token)
                .send()
                .await
                .map_err(|e| JudgeError::Unreachable {
                    url: url.to_string(),
                    message: e.to_string(),
                })?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| JudgeError::Unreadable(e.to_string()))?;
        if !status.is_success() {
            let problem: Problem = serde_json::from_str(&text).unwrap_or_default();
            return Err(JudgeError::Refused {
                status: status.as_u16(),
                title: if problem.title.is_empty() {
                    status.canonical_reason().unwrap_or("error").to_string()
                } else {
                    problem.title
                },
                detail: if problem.detail.is_empty() {
                    text.chars().take(300).collect()
                } else {
                    problem.detail
                },
            });
        }
        serde_json::from_str(&text).map_err(|e| JudgeError::Unreadable(e.to_string()))
    }

    async fn judge_remotely(&self, call: &ToolCall) -> Result<Judgement, JudgeError> {
        let url = format!("{}/v1/actions", self.base_url);
        let body = self.action_body(call);
        let value = self.send(self.client.post(&url).json(&body), &url).await?;
        let answer: ActionAnswer =
            serde_json::from_value(value).map_err(|e| JudgeError::Unreadable(e.to_string()))?;
        let decision: Option<Decision> = answer
            .decision
            .as_ref()
            .and_then(|d| serde_json::from_value(d.clone()).ok());
        let reason = decision
            .as_ref()
            .map(|d| d.reason.clone())
            .or_else(|| {
                answer
                    .decision
                    .as_ref()
                    .and_then(|d| d.get("reason"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .unwrap_or_else(|| format!("the airlock server answered {}", answer.verdict));
        if answer.verdict == Verdict::Escalate && answer.approval.is_none() {
            return Err(JudgeError::Unreadable(
                "an escalation without an approval id".to_string(),
            ));
        }
        Ok(Judgement {
            verdict: answer.verdict,
            reason,
            decision,
            approval: answer.approval,
        })
    }

    async fn status_remotely(&self, id: &str) -> Result<ApprovalStatus, JudgeError> {
        let url = format!("{}/v1/approvals/{}", self.base_url, encode_segment(id));
        let value = self.send(self.client.get(&url), &url).await?;
        let answer: ApprovalAnswer =
            serde_json::from_value(value).map_err(|e| JudgeError::Unreadable(e.to_string()))?;
        Ok(answer.status)
    }
}

/// Percent-encodes everything but unreserved characters, so an id is one
/// path segment whatever it holds.
fn encode_segment(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

impl Judge for RemoteJudge {
    fn judge<'a>(&'a self, call: &'a ToolCall) -> BoxFuture<'a, Result<Judgement, JudgeError>> {
        Box::pin(self.judge_remotely(call))
    }

    fn approval_status<'a>(
        &'a self,
        id: &'a str,
    ) -> BoxFuture<'a, Result<ApprovalStatus, JudgeError>> {
        Box::pin(self.status_remotely(id))
    }

    fn may_list(&self, server: &str, tool: &str, annotations: Option<McpToolHints>) -> bool {
        match &self.listing {
            Some(engine) => {
                engine
                    .mcp_tool_listing_verdict(server, tool, annotations)
                    .verdict
                    != Verdict::Deny
            }
            None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_stay_one_path_segment() {
        assert_eq!(encode_segment("apr_01"), "apr_01");
        assert_eq!(encode_segment("../x y"), "..%2Fx%20y");
    }
}
