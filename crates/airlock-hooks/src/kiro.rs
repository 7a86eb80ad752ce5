//! Kiro CLI's `preToolUse` hook, declared in an agent file
//! (`.kiro/agents/<name>.json`): payload `hook_event_name`, `cwd`,
//! `tool_name`, `tool_input`. There is no JSON decision and no `ask`: only
//! exit code 2 blocks, with stderr passed to the model. So an allow exits 0
//! silently, and an escalation, a denial and a failure all exit 2 with a
//! message saying what was blocked and how to get approval.
//!
//! Tool names exist in two generations (`execute_bash`, `fs_write`,
//! `fs_read` and the newer `shell`, `write`, `read`); both are accepted.
//! MCP tools are assumed to be named `@<server>/<tool>`, as in Kiro's
//! matchers and `allowedTools`.

use airlock_model::ToolInput;
use serde_json::{json, Value};

use std::path::{Path, PathBuf};

use crate::{
    block_on_stderr, blocked_until_approved, call_with_context, check_event, failure_message,
    install_into_settings, mcp_call, non_empty_reason, optional_str, parse_object, require_object,
    require_str, runs_airlock_hook, silent_allow, Dialect, HookAction, HookCall, HookError,
    HookResponse, HookVerdict, InstallError, InstallOutcome, Scope,
};

/// Kiro tools that change nothing. `web_fetch` is not among them: the URL it
/// requests can carry data out.
const READ_ONLY_TOOLS: &[&str] = &[
    "fs_read",
    "read",
    "glob",
    "grep",
    "web_search",
    "introspect",
    "thinking",
    "todo_list",
];

/// The agent file airlock installs into.
pub const DEFAULT_AGENT: &str = "default";

/// The hook dialect of Kiro CLI.
pub struct Kiro;

impl Dialect for Kiro {
    fn name(&self) -> &'static str {
        "kiro"
    }

    fn parse(&self, payload: &[u8]) -> Result<HookCall, HookError> {
        let value = parse_object(payload)?;
        check_event(&value, "hook_event_name", &["preToolUse", "PreToolUse"])?;
        let tool_name = require_str(&value, "tool_name")?.to_string();
        let input = require_object(&value, "tool_input")?;
        let action = match tool_name.as_str() {
            "execute_bash" | "shell" => HookAction::Judge(ToolInput::Shell {
                command: require_str(input, "command")?.to_string(),
            }),
            "fs_write" | "write" => HookAction::Judge(ToolInput::FileWrite {
                path: require_str(input, "path")?.to_string(),
                content: optional_str(input, "file_text"),
            }),
            name if name.starts_with('@') => mcp_action(name, input)?,
            name if READ_ONLY_TOOLS.contains(&name) => HookAction::ReadOnly,
            _ => HookAction::Unrecognised,
        };
        Ok(call_with_context(&value, tool_name, action))
    }

    fn render(&self, verdict: HookVerdict, reason: &str) -> HookResponse {
        let message = match verdict {
            HookVerdict::Allow => return silent_allow(),
            HookVerdict::Deny => {
                non_empty_reason(reason, "airlock denied this tool call").to_string()
            }
            HookVerdict::Escalate => blocked_until_approved(reason),
        };
        block_on_stderr(&message)
    }

    fn render_failure(&self, reason: &str) -> HookResponse {
        block_on_stderr(&failure_message(reason))
    }

    /// Kiro has no machine-local agent files: `Local` is the project's.
    fn settings_file(&self, scope: Scope, project_dir: &Path, home_dir: &Path) -> PathBuf {
        let file = format!(".kiro/agents/{DEFAULT_AGENT}.json");
        match scope {
            Scope::Project | Scope::Local => project_dir.join(file),
            Scope::User => home_dir.join(file),
        }
    }

    /// Refuses when the agent file does not exist: a new file would define a
    /// new agent (with no tools), not guard the one in use.
    fn install(&self, settings: &Path, command: &str) -> Result<InstallOutcome, InstallError> {
        if !settings.exists() {
            let name = settings
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| DEFAULT_AGENT.to_string());
            return Err(InstallError::Read {
                path: settings.to_path_buf(),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!(
                        "no such Kiro agent file; create the agent first (kiro-cli agent create --name {name}), then install again"
                    ),
                ),
            });
        }
        let entry = json!({"matcher": "*", "command": command});
        let is_ours = |existing: &Value| {
            existing["command"]
                .as_str()
                .is_some_and(|command| runs_airlock_hook(command, "kiro"))
        };
        install_into_settings(settings, &["hooks", "preToolUse"], entry, is_ours, &[])
    }
}

/// `@<server>/<tool>` with its arguments.
fn mcp_action(name: &str, input: &Value) -> Result<HookAction, HookError> {
    mcp_call(name, input, "@", "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(payload: &str) -> Result<HookCall, HookError> {
        Kiro.parse(payload.as_bytes())
    }

    fn judged(payload: &str) -> ToolInput {
        match parse(payload).unwrap().action {
            HookAction::Judge(input) => input,
            other => panic!("not judged: {other:?}"),
        }
    }

    #[test]
    fn tools_of_both_generations_are_understood() {
        for tool in ["execute_bash", "shell"] {
            let payload = json!({"hook_event_name": "preToolUse", "cwd": "/w", "tool_name": tool,
                                 "tool_input": {"command": "ls", "summary": "list"}});
            assert_eq!(
                judged(&payload.to_string()),
                ToolInput::Shell {
                    command: "ls".into()
                }
            );
        }
        for tool in ["fs_write", "write"] {
            let payload = json!({"tool_name": tool,
                                 "tool_input": {"command": "create", "path": "/w/a.rs", "file_text": "x"}});
            assert_eq!(
                judged(&payload.to_string()),
                ToolInput::FileWrite {
                    path: "/w/a.rs".into(),
                    content: Some("x".into())
                }
            );
        }
        for tool in ["fs_read", "read", "glob", "grep"] {
            let payload = json!({"tool_name": tool, "tool_input": {"path": "/w"}}).to_string();
            assert_eq!(
                parse(&payload).unwrap().action,
                HookAction::ReadOnly,
                "{tool}"
            );
        }
        for tool in ["use_aws", "aws", "web_fetch", "knowledge"] {
            let payload = json!({"tool_name": tool, "tool_input": {}}).to_string();
            assert_eq!(
                parse(&payload).unwrap().action,
                HookAction::Unrecognised,
                "{tool}"
            );
        }
    }

    #[test]
    fn mcp_tools_are_at_server_slash_tool() {
        match judged(r#"{"tool_name":"@postgres/drop_table","tool_input":{"table":"users"}}"#) {
            ToolInput::McpCall { server, tool, .. } => {
                assert_eq!((server.as_str(), tool.as_str()), ("postgres", "drop_table"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn malformed_payloads_are_errors() {
        for bad in [
            "",
            "not json",
            "[]",
            r#"{"tool_input":{}}"#,
            r#"{"tool_name":"execute_bash"}"#,
            r#"{"tool_name":"execute_bash","tool_input":{}}"#,
            r#"{"tool_name":"execute_bash","tool_input":{"command":[]}}"#,
            r#"{"tool_name":"fs_write","tool_input":{"command":"create"}}"#,
            r#"{"tool_name":"@postgres","tool_input":{}}"#,
            r#"{"tool_name":"execute_bash","tool_input":"ls"}"#,
            r#"{"hook_event_name":"postToolUse","tool_name":"fs_read","tool_input":{}}"#,
        ] {
            assert!(parse(bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn only_allow_exits_zero() {
        assert_eq!(
            Kiro.render(HookVerdict::Allow, "fine"),
            HookResponse {
                stdout: String::new(),
                stderr: String::new(),
                exit_code: 0
            }
        );
        let deny = Kiro.render(HookVerdict::Deny, "airlock denied this: x");
        assert_eq!(deny.exit_code, 2);
        assert_eq!(deny.stderr, "airlock denied this: x\n");
        assert!(deny.stdout.is_empty());
        let escalate = Kiro.render(HookVerdict::Escalate, "airlock: this needs approval (x)");
        assert_eq!(escalate.exit_code, 2);
        assert!(escalate.stderr.contains("until a person approves it"));
        let failure = Kiro.render_failure("bad input");
        assert_eq!(failure.exit_code, 2);
        assert_eq!(
            failure.stderr,
            "airlock blocked this tool call: bad input\n"
        );
    }

    #[test]
    fn install_refuses_a_missing_agent_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = Kiro.settings_file(Scope::Project, dir.path(), dir.path());
        let err = Kiro.install(&path, "airlock hook kiro").unwrap_err();
        assert!(err.to_string().contains("kiro-cli agent create"), "{err}");
        assert!(!path.exists());
    }
}
