//! What an agent asks airlock to judge: who is asking, in which tenant, with
//! which tool, and the tool's exact input.

use serde::{Deserialize, Serialize};

/// How an agent names itself on each request. Recorded, never trusted for
/// authority: authority comes from the registered agent's roles.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentIdentity {
    /// Stable identifier of the registered agent (for local hooks, the
    /// configured or default agent id).
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// The tool an action goes through, with the input that tool would receive.
///
/// Serialised as `{"tool": "shell", "input": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "tool", content = "input", rename_all = "snake_case")]
pub enum ToolInput {
    /// A shell command line, exactly as the agent would run it.
    Shell { command: String },
    /// A file the agent wants to create or change.
    FileWrite {
        path: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        content: Option<String>,
    },
    /// A Terraform plan in `terraform show -json` form, kept as the raw text so
    /// that its digest is the digest of the file that will be applied.
    TerraformPlan {
        plan_json: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        path: Option<String>,
    },
    /// A call to a tool on an MCP server.
    McpCall {
        server: String,
        tool: String,
        #[serde(default)]
        arguments: serde_json::Value,
        /// What the server declares about the tool (MCP tool annotations).
        /// Hints, never trust: they can make a judgement stricter, and they
        /// never outweigh what the arguments are found to do.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        annotations: Option<McpToolHints>,
    },
}

/// The behaviour hints an MCP server publishes for a tool, under their MCP
/// names (`readOnlyHint`, `destructiveHint`, `idempotentHint`,
/// `openWorldHint`). Absent means the server said nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct McpToolHints {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only_hint: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destructive_hint: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotent_hint: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_world_hint: Option<bool>,
}

/// The tool family of a request, without its input. Each kind maps to one
/// policy capability (see [`ToolKind::capability`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolKind {
    Shell,
    FileWrite,
    TerraformPlan,
    McpCall,
}

impl ToolKind {
    /// Every tool kind, in a stable order.
    pub const ALL: [ToolKind; 4] = [
        ToolKind::Shell,
        ToolKind::FileWrite,
        ToolKind::TerraformPlan,
        ToolKind::McpCall,
    ];

    /// The capability (Cedar action id) this tool kind exercises.
    pub fn capability(self) -> &'static str {
        match self {
            ToolKind::Shell => "shell.exec",
            ToolKind::FileWrite => "file.write",
            ToolKind::TerraformPlan => "infra.apply",
            ToolKind::McpCall => "mcp.call",
        }
    }
}

impl ToolInput {
    pub fn kind(&self) -> ToolKind {
        match self {
            ToolInput::Shell { .. } => ToolKind::Shell,
            ToolInput::FileWrite { .. } => ToolKind::FileWrite,
            ToolInput::TerraformPlan { .. } => ToolKind::TerraformPlan,
            ToolInput::McpCall { .. } => ToolKind::McpCall,
        }
    }
}

/// One action an agent wants to take.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionRequest {
    pub agent: AgentIdentity,
    pub tenant: String,
    #[serde(flatten)]
    pub input: ToolInput,
    /// Working directory the tool would run in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// The environment the caller says this action targets ("production",
    /// "staging", ...). A hint: a target whose environment the classifiers
    /// recognise keeps its own; the hint fills in where they found none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// Why the agent wants to do this, in its own words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
}

impl ActionRequest {
    /// A request from `agent` in `tenant` with no optional fields set.
    pub fn new(agent: impl Into<String>, tenant: impl Into<String>, input: ToolInput) -> Self {
        ActionRequest {
            agent: AgentIdentity {
                id: agent.into(),
                ..AgentIdentity::default()
            },
            tenant: tenant.into(),
            input,
            cwd: None,
            environment: None,
            justification: None,
        }
    }

    /// A shell request, the most common kind.
    pub fn shell(agent: impl Into<String>, command: impl Into<String>) -> Self {
        Self::new(
            agent,
            "default",
            ToolInput::Shell {
                command: command.into(),
            },
        )
    }

    pub fn tool_kind(&self) -> ToolKind {
        self.input.kind()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_round_trips_through_json_with_flat_tool_tag() {
        let req = ActionRequest::shell("agent-1", "ls -la");
        let json = serde_json::to_value(&req).expect("serialise");
        assert_eq!(json["tool"], "shell");
        assert_eq!(json["input"]["command"], "ls -la");
        let back: ActionRequest = serde_json::from_value(json).expect("deserialise");
        assert_eq!(back, req);
    }

    #[test]
    fn mcp_hints_use_the_protocol_names_and_stay_optional() {
        let json = serde_json::json!({
            "agent": {"id": "a"}, "tenant": "t", "tool": "mcp_call",
            "input": {"server": "fs", "tool": "read_file", "arguments": {"path": "x"},
                      "annotations": {"readOnlyHint": true, "openWorldHint": false}}
        });
        let req: ActionRequest = serde_json::from_value(json).expect("deserialise");
        let ToolInput::McpCall { annotations, .. } = &req.input else {
            panic!("not an MCP call: {req:?}");
        };
        let hints = annotations.expect("annotations");
        assert_eq!(hints.read_only_hint, Some(true));
        assert_eq!(hints.open_world_hint, Some(false));
        assert_eq!(hints.destructive_hint, None);
        let plain = serde_json::json!({
            "agent": {"id": "a"}, "tenant": "t", "tool": "mcp_call",
            "input": {"server": "fs", "tool": "read_file"}
        });
        let req: ActionRequest = serde_json::from_value(plain).expect("deserialise");
        let back = serde_json::to_value(&req).expect("serialise");
        assert!(back["input"].get("annotations").is_none(), "{back}");
    }

    #[test]
    fn each_tool_kind_has_a_distinct_capability() {
        let mut caps: Vec<_> = ToolKind::ALL.iter().map(|k| k.capability()).collect();
        caps.sort_unstable();
        caps.dedup();
        assert_eq!(caps.len(), ToolKind::ALL.len());
    }
}
