//! Claude Code's `PreToolUse` hook: payload on stdin with `tool_name` and
//! `tool_input`; the answer is `hookSpecificOutput.permissionDecision`
//! (`allow`, `deny`, `ask`) with a reason. Exit code 2 with the reason on
//! stderr blocks whatever stdout says; any other failure lets the tool run,
//! so failures answer with exit code 2.

use airlock_model::ToolInput;
use serde_json::Value;

use std::path::{Path, PathBuf};

use crate::{
    block_on_stderr, call_with_context, install_hooks_entry, matcher_entry, mcp_call, optional_str,
    parse_object, pre_tool_use_decision, require_object, require_str, Dialect, HookAction,
    HookCall, HookError, HookResponse, HookVerdict, InstallError, InstallOutcome, Scope,
};

/// Built-in Claude Code tools that change nothing.
const READ_ONLY_TOOLS: &[&str] = &[
    "Read",
    "Glob",
    "Grep",
    "LS",
    "WebSearch",
    "TodoWrite",
    "TodoRead",
    "NotebookRead",
    "ExitPlanMode",
    "BashOutput",
    "ListMcpResourcesTool",
    "ReadMcpResourceTool",
];

/// The hook dialect of Claude Code.
pub struct Claude;

/// The `matcher` airlock installs: the tools that can change something.
pub const MATCHER: &str = "Bash|Write|Edit|MultiEdit|NotebookEdit|mcp__.*";

impl Dialect for Claude {
    fn name(&self) -> &'static str {
        "claude"
    }

    fn parse(&self, payload: &[u8]) -> Result<HookCall, HookError> {
        let value = parse_object(payload)?;
        let tool_name = require_str(&value, "tool_name")?.to_string();
        let input = require_object(&value, "tool_input")?;
        let action = tool_action(&tool_name, input)?;
        Ok(call_with_context(&value, tool_name, action))
    }

    fn render(&self, verdict: HookVerdict, reason: &str) -> HookResponse {
        let decision = match verdict {
            HookVerdict::Allow => "allow",
            HookVerdict::Escalate => "ask",
            HookVerdict::Deny => "deny",
        };
        pre_tool_use_decision(decision, reason)
    }

    fn render_failure(&self, reason: &str) -> HookResponse {
        block_on_stderr(&format!("airlock blocked this tool call: {reason}"))
    }

    fn settings_file(&self, scope: Scope, project_dir: &Path, home_dir: &Path) -> PathBuf {
        match scope {
            Scope::Project => project_dir.join(".claude/settings.json"),
            Scope::Local => project_dir.join(".claude/settings.local.json"),
            Scope::User => home_dir.join(".claude/settings.json"),
        }
    }

    fn install(&self, settings: &Path, command: &str) -> Result<InstallOutcome, InstallError> {
        install_hooks_entry(
            settings,
            "PreToolUse",
            matcher_entry(MATCHER, command),
            "claude",
        )
    }
}

fn tool_action(tool_name: &str, input: &Value) -> Result<HookAction, HookError> {
    let action = match tool_name {
        "Bash" => HookAction::Judge(ToolInput::Shell {
            command: require_str(input, "command")?.to_string(),
        }),
        "Write" => HookAction::Judge(ToolInput::FileWrite {
            path: require_str(input, "file_path")?.to_string(),
            content: optional_str(input, "content"),
        }),
        "Edit" | "MultiEdit" => HookAction::Judge(ToolInput::FileWrite {
            path: require_str(input, "file_path")?.to_string(),
            content: None,
        }),
        "NotebookEdit" => HookAction::Judge(ToolInput::FileWrite {
            path: require_str(input, "notebook_path")?.to_string(),
            content: None,
        }),
        name if name.starts_with("mcp__") => mcp_action(name, input)?,
        name if READ_ONLY_TOOLS.contains(&name) => HookAction::ReadOnly,
        _ => HookAction::Unrecognised,
    };
    Ok(action)
}

/// `mcp__<server>__<tool>` with its arguments.
fn mcp_action(name: &str, input: &Value) -> Result<HookAction, HookError> {
    mcp_call(name, input, "mcp__", "__")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(payload: &str) -> Result<HookCall, HookError> {
        Claude.parse(payload.as_bytes())
    }

    #[test]
    fn bash_payload_becomes_a_shell_action() {
        let call = parse(
            r#"{"session_id":"s","cwd":"/w","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"ls -la","description":"list"}}"#,
        )
        .unwrap();
        assert_eq!(
            call.action,
            HookAction::Judge(ToolInput::Shell {
                command: "ls -la".into()
            })
        );
        assert_eq!(call.cwd.as_deref(), Some("/w"));
    }

    #[test]
    fn mcp_tool_names_split_into_server_and_tool() {
        let call = parse(r#"{"tool_name":"mcp__github__create_issue","tool_input":{"title":"x"}}"#)
            .unwrap();
        match call.action {
            HookAction::Judge(ToolInput::McpCall { server, tool, .. }) => {
                assert_eq!((server.as_str(), tool.as_str()), ("github", "create_issue"));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn malformed_payloads_are_errors() {
        for bad in [
            "",
            "not json",
            "[]",
            r#"{"tool_input":{}}"#,
            r#"{"tool_name":"Bash"}"#,
            r#"{"tool_name":"Bash","tool_input":{}}"#,
            r#"{"tool_name":"Bash","tool_input":{"command":42}}"#,
            r#"{"tool_name":"Bash","tool_input":"rm -rf /"}"#,
            r#"{"tool_name":"mcp__broken","tool_input":{}}"#,
        ] {
            assert!(parse(bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn failures_block_with_exit_code_two() {
        let r = Claude.render_failure("bad input");
        assert_eq!(r.exit_code, 2);
        assert!(r.stderr.contains("bad input"));
    }

    #[test]
    fn escalation_is_rendered_as_ask() {
        let r = Claude.render(HookVerdict::Escalate, "needs approval");
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(v["hookSpecificOutput"]["permissionDecision"], "ask");
        assert_eq!(v["hookSpecificOutput"]["hookEventName"], "PreToolUse");
        assert_eq!(r.exit_code, 0);
    }
}
