//! Google Gemini CLI's `BeforeTool` hook: payload with `tool_name` and
//! `tool_input`; the answer is a top-level `{"decision", "reason"}` with
//! `allow`, `deny` or `ask`. Exit code 2 blocks with stderr as the reason;
//! any other failure is only a warning and the tool runs, so failures answer
//! with exit code 2.
//!
//! MCP tools are named `mcp_<server>_<tool>` with single underscores, which
//! is ambiguous when the server's name has an underscore: the optional
//! `mcp_context.server_name` settles it; without it the name is split at the
//! first underscore after `mcp_`.

use airlock_model::ToolInput;
use serde_json::{json, Value};

use std::path::{Path, PathBuf};

use crate::{
    block_on_stderr, call_with_context, check_event, failure_message, install_hooks_entry,
    json_on_stdout, non_empty_reason, optional_str, parse_object, require_object, require_str,
    shell_quote, Dialect, HookAction, HookCall, HookError, HookResponse, HookVerdict, InstallError,
    InstallOutcome, Scope,
};

/// Built-in Gemini CLI tools that change nothing. `web_fetch` is not among
/// them: the URL it requests can carry data out.
const READ_ONLY_TOOLS: &[&str] = &[
    "read_file",
    "read_many_files",
    "list_directory",
    "glob",
    "search_file_content",
    "grep_search",
    "google_web_search",
    "write_todos",
];

/// The `matcher` airlock installs: the tools that can change something.
pub const MATCHER: &str = "run_shell_command|write_file|replace|mcp_.*";

/// The hook dialect of Gemini CLI.
pub struct Gemini;

impl Dialect for Gemini {
    fn name(&self) -> &'static str {
        "gemini"
    }

    fn parse(&self, payload: &[u8]) -> Result<HookCall, HookError> {
        let value = parse_object(payload)?;
        check_event(&value, "hook_event_name", &["BeforeTool"])?;
        let tool_name = require_str(&value, "tool_name")?.to_string();
        let input = require_object(&value, "tool_input")?;
        let action = match tool_name.as_str() {
            "run_shell_command" => HookAction::Judge(ToolInput::Shell {
                command: shell_command(input)?,
            }),
            "write_file" => HookAction::Judge(ToolInput::FileWrite {
                path: require_str(input, "file_path")?.to_string(),
                content: optional_str(input, "content"),
            }),
            "replace" => HookAction::Judge(ToolInput::FileWrite {
                path: require_str(input, "file_path")?.to_string(),
                content: None,
            }),
            name if name.starts_with("mcp_") => mcp_action(name, &value, input)?,
            name if READ_ONLY_TOOLS.contains(&name) => HookAction::ReadOnly,
            _ => HookAction::Unrecognised,
        };
        Ok(call_with_context(&value, tool_name, action))
    }

    fn render(&self, verdict: HookVerdict, reason: &str) -> HookResponse {
        let (decision, fallback) = match verdict {
            HookVerdict::Allow => ("allow", "airlock allowed this tool call"),
            HookVerdict::Escalate => ("ask", "airlock: this action needs approval"),
            HookVerdict::Deny => ("deny", "airlock denied this tool call"),
        };
        json_on_stdout(&json!({"decision": decision, "reason": non_empty_reason(reason, fallback)}))
    }

    fn render_failure(&self, reason: &str) -> HookResponse {
        block_on_stderr(&failure_message(reason))
    }

    fn settings_file(&self, scope: Scope, project_dir: &Path, home_dir: &Path) -> PathBuf {
        match scope {
            Scope::Project | Scope::Local => project_dir.join(".gemini/settings.json"),
            Scope::User => home_dir.join(".gemini/settings.json"),
        }
    }

    fn install(&self, settings: &Path, command: &str) -> Result<InstallOutcome, InstallError> {
        let entry = json!({
            "matcher": MATCHER,
            "hooks": [{"type": "command", "name": "airlock", "command": command, "timeout": 5000}],
        });
        install_hooks_entry(settings, "BeforeTool", entry, "gemini")
    }
}

/// The command line, run in `dir_path` when one is given: judged as
/// `cd DIR && COMMAND` so that relative paths resolve where they will run.
fn shell_command(input: &Value) -> Result<String, HookError> {
    let command = require_str(input, "command")?;
    match input.get("dir_path") {
        None | Some(Value::Null) => Ok(command.to_string()),
        Some(Value::String(dir)) if dir.trim().is_empty() || dir == "." => Ok(command.to_string()),
        Some(Value::String(dir)) => Ok(format!("cd -- {} && {command}", shell_quote(dir))),
        Some(_) => Err(HookError::Invalid {
            field: "dir_path",
            problem: "is not a string".to_string(),
        }),
    }
}

/// `mcp_<server>_<tool>`: split by `mcp_context.server_name` when the
/// payload names the server, else at the first underscore after `mcp_`.
fn mcp_action(name: &str, payload: &Value, input: &Value) -> Result<HookAction, HookError> {
    let Some(rest) = name.strip_prefix("mcp_") else {
        return Err(not_an_mcp_name(name));
    };
    let named_server = payload
        .get("mcp_context")
        .and_then(|c| c.get("server_name"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    let split = match named_server {
        Some(server) => rest
            .strip_prefix(server)
            .and_then(|tail| tail.strip_prefix('_'))
            .map(|tool| (server, tool)),
        None => rest.split_once('_'),
    };
    match split.filter(|(server, tool)| !server.is_empty() && !tool.is_empty()) {
        Some((server, tool)) => Ok(HookAction::Judge(ToolInput::McpCall {
            server: server.to_string(),
            tool: tool.to_string(),
            arguments: input.clone(),
            annotations: None,
        })),
        None => Err(not_an_mcp_name(name)),
    }
}

fn not_an_mcp_name(name: &str) -> HookError {
    HookError::Invalid {
        field: "tool_name",
        problem: format!("`{name}` is not of the form mcp_<server>_<tool>"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(payload: &str) -> Result<HookCall, HookError> {
        Gemini.parse(payload.as_bytes())
    }

    fn judged(payload: &str) -> ToolInput {
        match parse(payload).unwrap().action {
            HookAction::Judge(input) => input,
            other => panic!("not judged: {other:?}"),
        }
    }

    #[test]
    fn shell_commands_run_in_their_directory() {
        let call = parse(
            r#"{"session_id":"s","transcript_path":"/t","cwd":"/w","hook_event_name":"BeforeTool","timestamp":"2026-01-01T00:00:00Z","tool_name":"run_shell_command","tool_input":{"command":"ls -la","description":"list","is_background":false}}"#,
        )
        .unwrap();
        assert_eq!(
            call.action,
            HookAction::Judge(ToolInput::Shell {
                command: "ls -la".into()
            })
        );
        assert_eq!(call.cwd.as_deref(), Some("/w"));
        assert_eq!(
            judged(
                r#"{"tool_name":"run_shell_command","tool_input":{"command":"rm -rf build","dir_path":"sub dir"}}"#
            ),
            ToolInput::Shell {
                command: "cd -- 'sub dir' && rm -rf build".into()
            }
        );
        assert_eq!(
            judged(
                r#"{"tool_name":"run_shell_command","tool_input":{"command":"ls","dir_path":"."}}"#
            ),
            ToolInput::Shell {
                command: "ls".into()
            }
        );
    }

    #[test]
    fn file_tools_are_file_writes() {
        assert_eq!(
            judged(
                r#"{"tool_name":"write_file","tool_input":{"file_path":"/w/a.txt","content":"hi"}}"#
            ),
            ToolInput::FileWrite {
                path: "/w/a.txt".into(),
                content: Some("hi".into())
            }
        );
        assert_eq!(
            judged(
                r#"{"tool_name":"replace","tool_input":{"file_path":"/w/b.rs","old_string":"a","new_string":"b"}}"#
            ),
            ToolInput::FileWrite {
                path: "/w/b.rs".into(),
                content: None
            }
        );
    }

    #[test]
    fn mcp_names_split_at_the_first_underscore_unless_the_server_is_named() {
        let mcp = |payload: &str| match judged(payload) {
            ToolInput::McpCall { server, tool, .. } => (server, tool),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            mcp(r#"{"tool_name":"mcp_github_create_issue","tool_input":{}}"#),
            ("github".to_string(), "create_issue".to_string())
        );
        assert_eq!(
            mcp(
                r#"{"tool_name":"mcp_my_db_drop_table","tool_input":{},"mcp_context":{"server_name":"my_db"}}"#
            ),
            ("my_db".to_string(), "drop_table".to_string())
        );
        assert!(parse(r#"{"tool_name":"mcp_github","tool_input":{}}"#).is_err());
        assert!(parse(
            r#"{"tool_name":"mcp_github_x","tool_input":{},"mcp_context":{"server_name":"gitlab"}}"#
        )
        .is_err());
    }

    #[test]
    fn read_only_and_unknown_tools() {
        for tool in [
            "read_file",
            "list_directory",
            "glob",
            "search_file_content",
            "google_web_search",
            "read_many_files",
        ] {
            let call = parse(&json!({"tool_name": tool, "tool_input": {}}).to_string()).unwrap();
            assert_eq!(call.action, HookAction::ReadOnly, "{tool}");
        }
        for tool in ["web_fetch", "save_memory", "something_new"] {
            let call = parse(&json!({"tool_name": tool, "tool_input": {}}).to_string()).unwrap();
            assert_eq!(call.action, HookAction::Unrecognised, "{tool}");
        }
    }

    #[test]
    fn malformed_payloads_are_errors() {
        for bad in [
            "",
            "not json",
            "[]",
            r#"{"tool_input":{}}"#,
            r#"{"tool_name":"run_shell_command"}"#,
            r#"{"tool_name":"run_shell_command","tool_input":{}}"#,
            r#"{"tool_name":"run_shell_command","tool_input":{"command":true}}"#,
            r#"{"tool_name":"run_shell_command","tool_input":{"command":"ls","dir_path":3}}"#,
            r#"{"tool_name":"write_file","tool_input":{"content":"x"}}"#,
            r#"{"tool_name":"replace","tool_input":"x"}"#,
            r#"{"hook_event_name":"AfterTool","tool_name":"read_file","tool_input":{}}"#,
        ] {
            assert!(parse(bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn verdicts_render_as_top_level_decisions() {
        for (verdict, decision) in [
            (HookVerdict::Allow, "allow"),
            (HookVerdict::Escalate, "ask"),
            (HookVerdict::Deny, "deny"),
        ] {
            let r = Gemini.render(verdict, "why");
            assert_eq!(r.exit_code, 0);
            let v: Value = serde_json::from_str(&r.stdout).unwrap();
            assert_eq!(v, json!({"decision": decision, "reason": "why"}));
        }
    }

    #[test]
    fn failures_exit_two_with_a_reason_on_stderr() {
        let r = Gemini.render_failure("bad input");
        assert_eq!(r.exit_code, 2);
        assert!(r.stdout.is_empty());
        assert_eq!(r.stderr, "airlock blocked this tool call: bad input\n");
    }
}
