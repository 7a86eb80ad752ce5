//! GitHub Copilot CLI's and coding agent's `preToolUse` hook. The payload is
//! camelCase (`toolName`, `toolArgs` as an object or a JSON-encoded string,
//! `cwd`), or, when the event is spelled `PreToolUse`, snake_case as in
//! Claude Code (`tool_name`, `tool_input`). The answer is
//! `{"permissionDecision": "allow|deny", "permissionDecisionReason"}`.
//!
//! Exit codes and time-outs never block in Copilot: only JSON does. So a
//! failure prints a deny on stdout and exits 0 (a non-zero exit could make
//! Copilot discard stdout). An escalation is a deny whose reason says how to
//! get approval: `ask` has no one to ask in the coding agent and is not
//! honoured everywhere, and an unhonoured answer lets the tool run.

use airlock_model::ToolInput;
use serde_json::{json, Value};

use std::path::{Path, PathBuf};

use crate::{
    blocked_until_approved, failure_message, install_into_settings, json_on_stdout, mcp_call,
    non_empty_reason, optional_str, parse_object, require_object_or_encoded, require_str,
    runs_airlock_hook, Dialect, HookAction, HookCall, HookError, HookResponse, HookVerdict,
    InstallError, InstallOutcome, Scope,
};

/// Copilot tools that change nothing. `web_fetch` is not among them: the URL
/// it requests can carry data out.
const READ_ONLY_TOOLS: &[&str] = &[
    "view",
    "glob",
    "grep",
    "read_bash",
    "list_bash",
    "report_intent",
    "think",
    "update_todo",
];

/// The hook dialect of GitHub Copilot (CLI and coding agent).
pub struct Copilot;

impl Dialect for Copilot {
    fn name(&self) -> &'static str {
        "copilot"
    }

    fn parse(&self, payload: &[u8]) -> Result<HookCall, HookError> {
        let value = parse_object(payload)?;
        let event = value
            .get("hook_event_name")
            .or_else(|| value.get("hookEventName"));
        let snake_case = match event {
            None | Some(Value::Null) => value.get("toolName").is_none(),
            Some(Value::String(e)) if e == "PreToolUse" => true,
            Some(Value::String(e)) if e == "preToolUse" => false,
            Some(other) => {
                return Err(HookError::Invalid {
                    field: "hook_event_name",
                    problem: format!("names event {other}, not preToolUse"),
                })
            }
        };
        let (tool_name, arguments, session_id) = if snake_case {
            (
                require_str(&value, "tool_name")?.to_string(),
                require_object_or_encoded(&value, "tool_input")?,
                optional_str(&value, "session_id"),
            )
        } else {
            (
                require_str(&value, "toolName")?.to_string(),
                require_object_or_encoded(&value, "toolArgs")?,
                optional_str(&value, "sessionId"),
            )
        };
        let action = tool_action(&tool_name, &arguments)?;
        Ok(HookCall {
            tool_name,
            action,
            cwd: optional_str(&value, "cwd"),
            session_id,
        })
    }

    fn render(&self, verdict: HookVerdict, reason: &str) -> HookResponse {
        match verdict {
            HookVerdict::Allow => decision(
                "allow",
                non_empty_reason(reason, "airlock allowed this tool call"),
            ),
            HookVerdict::Deny => decision(
                "deny",
                non_empty_reason(reason, "airlock denied this tool call"),
            ),
            HookVerdict::Escalate => decision("deny", &blocked_until_approved(reason)),
        }
    }

    fn render_failure(&self, reason: &str) -> HookResponse {
        let message = failure_message(reason);
        let mut response = decision("deny", &message);
        response.stderr = format!("{message}\n");
        response
    }

    fn settings_file(&self, scope: Scope, project_dir: &Path, home_dir: &Path) -> PathBuf {
        match scope {
            Scope::Project | Scope::Local => project_dir.join(".github/hooks/airlock.json"),
            Scope::User => home_dir.join(".copilot/hooks/airlock.json"),
        }
    }

    fn install(&self, settings: &Path, command: &str) -> Result<InstallOutcome, InstallError> {
        let entry = json!({"type": "command", "bash": command, "timeoutSec": 30});
        let is_ours = |existing: &Value| {
            existing["bash"]
                .as_str()
                .is_some_and(|command| runs_airlock_hook(command, "copilot"))
        };
        install_into_settings(
            settings,
            &["hooks", "preToolUse"],
            entry,
            is_ours,
            &[("version", json!(1))],
        )
    }
}

fn decision(permission: &str, reason: &str) -> HookResponse {
    json_on_stdout(&json!({"permissionDecision": permission, "permissionDecisionReason": reason}))
}

fn tool_action(tool_name: &str, arguments: &Value) -> Result<HookAction, HookError> {
    let action = match tool_name {
        "bash" | "Bash" => HookAction::Judge(ToolInput::Shell {
            command: require_str(arguments, "command")?.to_string(),
        }),
        "create" | "edit" | "str_replace_editor" => HookAction::Judge(ToolInput::FileWrite {
            path: file_path(arguments)?,
            content: optional_str(arguments, "file_text"),
        }),
        name if name.starts_with("mcp__") => mcp_action(name, arguments)?,
        name if READ_ONLY_TOOLS.contains(&name) => HookAction::ReadOnly,
        // PowerShell is not POSIX shell: the shell classifier cannot judge
        // it, so it escalates like every other tool without a classifier.
        _ => HookAction::Unrecognised,
    };
    Ok(action)
}

/// The file a `create` or `edit` call writes: `path`, or `file_path`.
fn file_path(arguments: &Value) -> Result<String, HookError> {
    match require_str(arguments, "path") {
        Ok(path) => Ok(path.to_string()),
        Err(HookError::Missing { .. }) => require_str(arguments, "file_path")
            .map(str::to_string)
            .map_err(|e| match e {
                HookError::Missing { .. } => HookError::Missing { field: "path" },
                other => other,
            }),
        Err(other) => Err(other),
    }
}

/// `mcp__<server>__<tool>` with its arguments.
fn mcp_action(name: &str, arguments: &Value) -> Result<HookAction, HookError> {
    mcp_call(name, arguments, "mcp__", "__")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(payload: &str) -> Result<HookCall, HookError> {
        Copilot.parse(payload.as_bytes())
    }

    fn judged(payload: &str) -> ToolInput {
        match parse(payload).unwrap().action {
            HookAction::Judge(input) => input,
            other => panic!("not judged: {other:?}"),
        }
    }

    #[test]
    fn camel_case_payloads_with_object_or_encoded_arguments() {
        let call = parse(
            r#"{"sessionId":"s","timestamp":1767225600000,"cwd":"/w","toolName":"bash","toolArgs":"{\"command\":\"ls -la\",\"description\":\"list\"}"}"#,
        )
        .unwrap();
        assert_eq!(
            call.action,
            HookAction::Judge(ToolInput::Shell {
                command: "ls -la".into()
            })
        );
        assert_eq!(call.cwd.as_deref(), Some("/w"));
        assert_eq!(call.session_id.as_deref(), Some("s"));
        assert_eq!(
            judged(r#"{"toolName":"create","toolArgs":{"path":"/w/a.rs","file_text":"x"}}"#),
            ToolInput::FileWrite {
                path: "/w/a.rs".into(),
                content: Some("x".into())
            }
        );
        assert_eq!(
            judged(
                r#"{"toolName":"edit","toolArgs":{"file_path":"/w/b.rs","old_str":"a","new_str":"b"}}"#
            ),
            ToolInput::FileWrite {
                path: "/w/b.rs".into(),
                content: None
            }
        );
    }

    #[test]
    fn snake_case_payloads_when_the_event_is_pascal_case() {
        let input = judged(
            r#"{"hook_event_name":"PreToolUse","session_id":"s","cwd":"/w","tool_name":"bash","tool_input":{"command":"git push"}}"#,
        );
        assert_eq!(
            input,
            ToolInput::Shell {
                command: "git push".into()
            }
        );
        match judged(
            r#"{"hook_event_name":"PreToolUse","tool_name":"mcp__github__merge_pull_request","tool_input":{"number":1}}"#,
        ) {
            ToolInput::McpCall { server, tool, .. } => {
                assert_eq!(
                    (server.as_str(), tool.as_str()),
                    ("github", "merge_pull_request")
                )
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn read_only_powershell_and_unknown_tools() {
        let view = parse(r#"{"toolName":"view","toolArgs":{"path":"/w/README.md"}}"#).unwrap();
        assert_eq!(view.action, HookAction::ReadOnly);
        for tool in [
            "powershell",
            "web_fetch",
            "write_bash",
            "github-mcp-server-list_issues",
        ] {
            let payload = json!({"toolName": tool, "toolArgs": {"command": "x"}}).to_string();
            assert_eq!(
                parse(&payload).unwrap().action,
                HookAction::Unrecognised,
                "{tool}"
            );
        }
    }

    #[test]
    fn malformed_payloads_are_errors() {
        for bad in [
            "",
            "not json",
            "[]",
            "{}",
            r#"{"toolArgs":{}}"#,
            r#"{"toolName":"bash"}"#,
            r#"{"toolName":"bash","toolArgs":{}}"#,
            r#"{"toolName":"bash","toolArgs":"rm -rf /"}"#,
            r#"{"toolName":"bash","toolArgs":{"command":1}}"#,
            r#"{"toolName":"create","toolArgs":{"file_text":"x"}}"#,
            r#"{"toolName":"edit","toolArgs":{"path":7}}"#,
            r#"{"hook_event_name":"PreToolUse","toolName":"bash","toolArgs":{"command":"ls"}}"#,
            r#"{"hook_event_name":"postToolUse","toolName":"bash","toolArgs":{"command":"ls"}}"#,
            r#"{"toolName":"mcp__broken","toolArgs":{}}"#,
        ] {
            assert!(parse(bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn verdicts_render_with_a_reason_and_escalation_denies() {
        let allow: Value =
            serde_json::from_str(&Copilot.render(HookVerdict::Allow, "ok").stdout).unwrap();
        assert_eq!(
            allow,
            json!({"permissionDecision": "allow", "permissionDecisionReason": "ok"})
        );
        let deny: Value =
            serde_json::from_str(&Copilot.render(HookVerdict::Deny, "no").stdout).unwrap();
        assert_eq!(
            deny,
            json!({"permissionDecision": "deny", "permissionDecisionReason": "no"})
        );
        let escalate = Copilot.render(HookVerdict::Escalate, "airlock: this needs approval (x)");
        assert_eq!(escalate.exit_code, 0);
        let v: Value = serde_json::from_str(&escalate.stdout).unwrap();
        assert_eq!(v["permissionDecision"], "deny");
        assert!(v["permissionDecisionReason"]
            .as_str()
            .unwrap()
            .contains("until a person approves it"));
        let blank: Value =
            serde_json::from_str(&Copilot.render(HookVerdict::Allow, "").stdout).unwrap();
        assert!(!blank["permissionDecisionReason"]
            .as_str()
            .unwrap()
            .is_empty());
    }

    #[test]
    fn failures_deny_in_json_because_exit_codes_never_block() {
        let r = Copilot.render_failure("bad input");
        assert_eq!(r.exit_code, 0);
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(
            v,
            json!({"permissionDecision": "deny",
                   "permissionDecisionReason": "airlock blocked this tool call: bad input"})
        );
        assert!(r.stderr.contains("bad input"));
    }
}
