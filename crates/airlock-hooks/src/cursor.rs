//! Cursor's `beforeShellExecution` and `beforeMCPExecution` hooks: the
//! event name says which; a shell payload carries `command` and `cwd`, an
//! MCP payload `tool_name`, `tool_input` (an object or a JSON-encoded
//! string) and the server's `url` or launch `command`. The answer is
//! `{"permission": "allow|deny|ask", "user_message", "agent_message"}`;
//! because some sources spell the messages in camelCase, both spellings are
//! written.
//!
//! The output shape is not confirmed by Cursor, so a failure answers in both
//! ways that may block: a deny on stdout and exit code 2 with stderr.

use airlock_model::ToolInput;
use serde_json::{json, Value};

use std::path::{Path, PathBuf};

use crate::{
    failure_message, install_into_settings, non_empty_reason, optional_str, parse_object,
    require_object_or_encoded, require_str, runs_airlock_hook, Dialect, HookAction, HookCall,
    HookError, HookResponse, HookVerdict, InstallError, InstallOutcome, Scope,
};

const SHELL_EVENT: &str = "beforeShellExecution";
const MCP_EVENT: &str = "beforeMCPExecution";

/// The hook dialect of Cursor.
pub struct Cursor;

impl Dialect for Cursor {
    fn name(&self) -> &'static str {
        "cursor"
    }

    fn parse(&self, payload: &[u8]) -> Result<HookCall, HookError> {
        let value = parse_object(payload)?;
        let event = require_str(&value, "hook_event_name")?;
        let cwd = optional_str(&value, "cwd").or_else(|| {
            value
                .get("workspace_roots")
                .and_then(|roots| roots.get(0))
                .and_then(Value::as_str)
                .map(str::to_string)
        });
        let session_id = optional_str(&value, "conversation_id");
        match event {
            SHELL_EVENT => Ok(HookCall {
                tool_name: "shell".to_string(),
                action: HookAction::Judge(ToolInput::Shell {
                    command: require_str(&value, "command")?.to_string(),
                }),
                cwd,
                session_id,
            }),
            MCP_EVENT => {
                let tool = require_str(&value, "tool_name")?.to_string();
                let arguments = require_object_or_encoded(&value, "tool_input")?;
                let server = mcp_server(&value)?;
                Ok(HookCall {
                    tool_name: tool.clone(),
                    action: HookAction::Judge(ToolInput::McpCall {
                        server,
                        tool,
                        arguments,
                        annotations: None,
                    }),
                    cwd,
                    session_id,
                })
            }
            other => Err(HookError::Invalid {
                field: "hook_event_name",
                problem: format!("`{other}` is not {SHELL_EVENT} or {MCP_EVENT}"),
            }),
        }
    }

    fn render(&self, verdict: HookVerdict, reason: &str) -> HookResponse {
        let (permission, fallback) = match verdict {
            HookVerdict::Allow => ("allow", "airlock allowed this tool call"),
            HookVerdict::Escalate => ("ask", "airlock: this action needs approval"),
            HookVerdict::Deny => ("deny", "airlock denied this tool call"),
        };
        HookResponse {
            stdout: permission_body(permission, non_empty_reason(reason, fallback)),
            stderr: String::new(),
            exit_code: 0,
        }
    }

    fn render_failure(&self, reason: &str) -> HookResponse {
        let message = failure_message(reason);
        HookResponse {
            stdout: permission_body("deny", &message),
            stderr: format!("{message}\n"),
            exit_code: 2,
        }
    }

    fn settings_file(&self, scope: Scope, project_dir: &Path, home_dir: &Path) -> PathBuf {
        match scope {
            Scope::Project | Scope::Local => project_dir.join(".cursor/hooks.json"),
            Scope::User => home_dir.join(".cursor/hooks.json"),
        }
    }

    fn install(&self, settings: &Path, command: &str) -> Result<InstallOutcome, InstallError> {
        let is_ours = |existing: &Value| {
            existing["command"]
                .as_str()
                .is_some_and(|command| runs_airlock_hook(command, "cursor"))
        };
        let mut outcome = InstallOutcome::AlreadyPresent;
        for event in [SHELL_EVENT, MCP_EVENT] {
            let added = install_into_settings(
                settings,
                &["hooks", event],
                json!({"command": command}),
                is_ours,
                &[("version", json!(1))],
            )?;
            if added == InstallOutcome::Added {
                outcome = InstallOutcome::Added;
            }
        }
        Ok(outcome)
    }
}

/// The permission answer, with the messages in both spellings.
fn permission_body(permission: &str, message: &str) -> String {
    let body = json!({
        "permission": permission,
        "user_message": message,
        "agent_message": message,
        "userMessage": message,
        "agentMessage": message,
    });
    format!("{body}\n")
}

/// The MCP server, named by its URL's host or by the command that launches it.
fn mcp_server(value: &Value) -> Result<String, HookError> {
    for field in ["server_name", "url", "command"] {
        match value.get(field) {
            Some(Value::String(name)) if !name.trim().is_empty() => {
                return Ok(if field == "url" {
                    url_host(name)
                } else {
                    name.trim().to_string()
                })
            }
            None | Some(Value::Null) => {}
            Some(Value::String(_)) => {}
            Some(_) => {
                return Err(HookError::Invalid {
                    field: "url",
                    problem: format!("`{field}` is not a string"),
                })
            }
        }
    }
    Err(HookError::Missing { field: "url" })
}

/// `https://host:port/path` → `host:port`; anything else unchanged.
fn url_host(url: &str) -> String {
    let url = url.trim();
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let host = host.rsplit_once('@').map_or(host, |(_, host)| host);
    if host.is_empty() {
        url.to_string()
    } else {
        host.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(payload: &str) -> Result<HookCall, HookError> {
        Cursor.parse(payload.as_bytes())
    }

    #[test]
    fn shell_events_become_shell_actions() {
        let call = parse(
            r#"{"hook_event_name":"beforeShellExecution","conversation_id":"c","generation_id":"g","workspace_roots":["/w"],"command":"git status","cwd":"/w/sub"}"#,
        )
        .unwrap();
        assert_eq!(
            call.action,
            HookAction::Judge(ToolInput::Shell {
                command: "git status".into()
            })
        );
        assert_eq!(call.cwd.as_deref(), Some("/w/sub"));
        let rootless = parse(
            r#"{"hook_event_name":"beforeShellExecution","workspace_roots":["/w"],"command":"ls"}"#,
        )
        .unwrap();
        assert_eq!(rootless.cwd.as_deref(), Some("/w"));
    }

    #[test]
    fn mcp_events_accept_objects_and_encoded_objects() {
        for input in [
            json!({"query": "SELECT 1"}),
            json!("{\"query\": \"SELECT 1\"}"),
        ] {
            let payload = json!({
                "hook_event_name": "beforeMCPExecution",
                "workspace_roots": ["/w"],
                "tool_name": "database_query",
                "tool_input": input,
                "command": "npx mcp-server-postgres",
            });
            let call = parse(&payload.to_string()).unwrap();
            assert_eq!(
                call.action,
                HookAction::Judge(ToolInput::McpCall {
                    server: "npx mcp-server-postgres".into(),
                    tool: "database_query".into(),
                    arguments: json!({"query": "SELECT 1"}),
                    annotations: None,
                })
            );
        }
        let by_url = parse(
            r#"{"hook_event_name":"beforeMCPExecution","tool_name":"t","tool_input":{},"url":"http://localhost:3000"}"#,
        )
        .unwrap();
        assert!(matches!(
            by_url.action,
            HookAction::Judge(ToolInput::McpCall { ref server, .. }) if server == "localhost:3000"
        ));
    }

    #[test]
    fn urls_name_their_host() {
        assert_eq!(url_host("https://api.example.com/mcp/"), "api.example.com");
        assert_eq!(url_host("http://user@localhost:3000?x"), "localhost:3000");
        assert_eq!(url_host("not a url"), "not a url");
    }

    #[test]
    fn malformed_payloads_are_errors() {
        for bad in [
            "",
            "not json",
            "[]",
            r#"{"command":"ls"}"#,
            r#"{"hook_event_name":"afterFileEdit","file_path":"/w/a"}"#,
            r#"{"hook_event_name":"beforeShellExecution"}"#,
            r#"{"hook_event_name":"beforeShellExecution","command":["ls"]}"#,
            r#"{"hook_event_name":"beforeMCPExecution","tool_input":{},"url":"u"}"#,
            r#"{"hook_event_name":"beforeMCPExecution","tool_name":"t","url":"u"}"#,
            r#"{"hook_event_name":"beforeMCPExecution","tool_name":"t","tool_input":"not json","url":"u"}"#,
            r#"{"hook_event_name":"beforeMCPExecution","tool_name":"t","tool_input":"[1]","url":"u"}"#,
            r#"{"hook_event_name":"beforeMCPExecution","tool_name":"t","tool_input":{}}"#,
            r#"{"hook_event_name":"beforeMCPExecution","tool_name":"t","tool_input":{},"url":5}"#,
        ] {
            assert!(parse(bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn verdicts_render_as_permissions_in_both_spellings() {
        for (verdict, permission) in [
            (HookVerdict::Allow, "allow"),
            (HookVerdict::Escalate, "ask"),
            (HookVerdict::Deny, "deny"),
        ] {
            let r = Cursor.render(verdict, "why");
            assert_eq!(r.exit_code, 0);
            let v: Value = serde_json::from_str(&r.stdout).unwrap();
            assert_eq!(
                v,
                json!({"permission": permission, "user_message": "why", "agent_message": "why",
                       "userMessage": "why", "agentMessage": "why"})
            );
        }
    }

    #[test]
    fn failures_deny_on_stdout_and_exit_two() {
        let r = Cursor.render_failure("bad input");
        assert_eq!(r.exit_code, 2);
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(v["permission"], "deny");
        assert_eq!(
            v["agent_message"],
            "airlock blocked this tool call: bad input"
        );
        assert_eq!(r.stderr, "airlock blocked this tool call: bad input\n");
    }
}
