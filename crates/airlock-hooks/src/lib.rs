//! Coding agents' pre-tool-use hooks, each a thin dialect over one internal
//! model: a dialect reads its agent's hook payload into a [`HookCall`] and
//! renders airlock's [`HookVerdict`] in exactly the shape that agent honours.
//!
//! Most agents run the tool anyway when a hook crashes, times out or answers
//! in a shape they do not accept. So every dialect also says how to *block*
//! when airlock itself fails ([`Dialect::render_failure`]), and the runner in
//! the CLI answers that way on any error, panics included.

pub mod claude;
pub mod codex;
pub mod copilot;
pub mod cursor;
pub mod gemini;
pub mod install;
pub mod kiro;

use airlock_model::ToolInput;

pub use install::{install_into_settings, InstallError, InstallOutcome};

use std::path::{Path, PathBuf};

/// The largest hook payload read; larger input is refused (and blocks).
pub const MAX_PAYLOAD_BYTES: usize = 16 * 1024 * 1024;

/// Why a hook payload could not be understood. Always blocks.
#[derive(Debug, thiserror::Error)]
pub enum HookError {
    #[error("hook input is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("hook input is missing `{field}`")]
    Missing { field: &'static str },
    #[error("hook input field `{field}` {problem}")]
    Invalid {
        field: &'static str,
        problem: String,
    },
    #[error("hook input is larger than {MAX_PAYLOAD_BYTES} bytes")]
    TooLarge,
}

/// What the agent is about to do, in airlock's terms.
#[derive(Debug, Clone, PartialEq)]
pub enum HookAction {
    /// An action to judge by classifiers and policy.
    Judge(ToolInput),
    /// A built-in tool that only reads (file reads, searches, listings):
    /// nothing to stop.
    ReadOnly,
    /// A tool airlock has no classifier for: escalated, never allowed.
    Unrecognised,
}

/// One hook invocation, agent-independent.
#[derive(Debug, Clone, PartialEq)]
pub struct HookCall {
    /// The agent's own name for the tool (`Bash`, `mcp__github__create_issue`).
    pub tool_name: String,
    pub action: HookAction,
    pub cwd: Option<String>,
    pub session_id: Option<String>,
}

/// airlock's answer, agent-independent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookVerdict {
    Allow,
    /// Needs a person: the agent should stop and ask.
    Escalate,
    Deny,
}

/// What to write and how to exit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookResponse {
    pub stdout: String,
    pub stderr: String,
    pub exit_code: i32,
}

/// One coding agent's hook format.
pub trait Dialect {
    /// The name used on the command line: `airlock hook <name>`.
    fn name(&self) -> &'static str;
    /// Reads the agent's hook payload.
    fn parse(&self, payload: &[u8]) -> Result<HookCall, HookError>;
    /// Renders a verdict and its reason in the agent's shape.
    fn render(&self, verdict: HookVerdict, reason: &str) -> HookResponse;
    /// Renders a refusal for when airlock could not decide (bad input, an
    /// internal error). Must block in this agent.
    fn render_failure(&self, reason: &str) -> HookResponse;
    /// The settings file a hook is installed into for `scope`.
    fn settings_file(&self, scope: Scope, project_dir: &Path, home_dir: &Path) -> PathBuf;
    /// Adds `command` as this agent's pre-tool-use hook to `settings`,
    /// keeping what is there.
    fn install(&self, settings: &Path, command: &str) -> Result<InstallOutcome, InstallError>;
}

/// Where a hook is installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The project's shared settings, committed with the code.
    Project,
    /// The project's settings for this machine only (not committed).
    Local,
    /// The user's settings, for every project.
    User,
}

/// Looks up a dialect by its command-line name.
pub fn dialect(name: &str) -> Option<&'static dyn Dialect> {
    match name {
        "claude" => Some(&claude::Claude),
        "codex" => Some(&codex::Codex),
        "gemini" => Some(&gemini::Gemini),
        "cursor" => Some(&cursor::Cursor),
        "copilot" => Some(&copilot::Copilot),
        "kiro" => Some(&kiro::Kiro),
        _ => None,
    }
}

/// Names of every supported agent, for help and errors.
pub const DIALECTS: &[&str] = &["claude", "codex", "gemini", "cursor", "copilot", "kiro"];

fn require_str<'a>(
    value: &'a serde_json::Value,
    field: &'static str,
) -> Result<&'a str, HookError> {
    match value.get(field) {
        None | Some(serde_json::Value::Null) => Err(HookError::Missing { field }),
        Some(serde_json::Value::String(s)) => Ok(s),
        Some(_) => Err(HookError::Invalid {
            field,
            problem: "is not a string".to_string(),
        }),
    }
}

fn optional_str(value: &serde_json::Value, field: &str) -> Option<String> {
    value
        .get(field)
        .and_then(|v| v.as_str())
        .map(str::to_string)
}

/// Reads a payload that must be one JSON object, refusing oversized input.
fn parse_object(payload: &[u8]) -> Result<serde_json::Value, HookError> {
    if payload.len() > MAX_PAYLOAD_BYTES {
        return Err(HookError::TooLarge);
    }
    let value: serde_json::Value = serde_json::from_slice(payload)?;
    if !value.is_object() {
        return Err(HookError::Invalid {
            field: "(root)",
            problem: "is not a JSON object".to_string(),
        });
    }
    Ok(value)
}

/// Checks the event name when the payload carries one: a payload for any
/// other event is not a pre-tool-use call and must not be judged as one.
fn check_event(
    value: &serde_json::Value,
    field: &'static str,
    accepted: &[&str],
) -> Result<(), HookError> {
    match value.get(field) {
        None | Some(serde_json::Value::Null) => Ok(()),
        Some(serde_json::Value::String(event)) if accepted.contains(&event.as_str()) => Ok(()),
        Some(other) => Err(HookError::Invalid {
            field,
            problem: format!("names event {other}, not {}", accepted.join(" or ")),
        }),
    }
}

/// A field holding a JSON object, either as an object or as a string that
/// encodes one (some agents send tool arguments JSON-encoded).
fn require_object_or_encoded(
    value: &serde_json::Value,
    field: &'static str,
) -> Result<serde_json::Value, HookError> {
    let invalid = |problem: &str| HookError::Invalid {
        field,
        problem: problem.to_string(),
    };
    match value.get(field) {
        None | Some(serde_json::Value::Null) => Err(HookError::Missing { field }),
        Some(object @ serde_json::Value::Object(_)) => Ok(object.clone()),
        Some(serde_json::Value::String(text)) => {
            match serde_json::from_str::<serde_json::Value>(text) {
                Ok(object @ serde_json::Value::Object(_)) => Ok(object),
                Ok(_) => Err(invalid("is a JSON string that does not encode an object")),
                Err(e) => Err(invalid(&format!("is a string but not JSON: {e}"))),
            }
        }
        Some(_) => Err(invalid(
            "is neither a JSON object nor a JSON-encoded object",
        )),
    }
}

/// Quotes `word` for a POSIX shell so that it stays one literal word.
fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', "'\\''"))
}

/// The message for agents that cannot pause a call for a person: the call is
/// blocked, and the model is told how the action can still happen.
fn blocked_until_approved(reason: &str) -> String {
    let reason = non_empty_reason(reason, "airlock: this action needs approval").trim_end();
    let stop = if reason.ends_with(['.', '!', '?']) {
        ""
    } else {
        "."
    };
    format!(
        "{reason}{stop} airlock blocked this call until a person approves it: stop, show the user the exact action and why you need it, and let them approve it or run it themselves."
    )
}

/// `reason`, or `fallback` when the reason is blank (several agents reject
/// an empty reason and then let the tool run).
fn non_empty_reason<'a>(reason: &'a str, fallback: &'a str) -> &'a str {
    if reason.trim().is_empty() {
        fallback
    } else {
        reason
    }
}

/// A field that must hold a JSON object (`null` counts as present but not an
/// object).
fn require_object<'a>(
    value: &'a serde_json::Value,
    field: &'static str,
) -> Result<&'a serde_json::Value, HookError> {
    let object = value.get(field).ok_or(HookError::Missing { field })?;
    if !object.is_object() {
        return Err(HookError::Invalid {
            field,
            problem: "is not a JSON object".to_string(),
        });
    }
    Ok(object)
}

/// The call described by a payload that carries `cwd` and `session_id` at
/// its top level.
fn call_with_context(value: &serde_json::Value, tool_name: String, action: HookAction) -> HookCall {
    HookCall {
        tool_name,
        action,
        cwd: optional_str(value, "cwd"),
        session_id: optional_str(value, "session_id"),
    }
}

/// `<prefix><server><separator><tool>` as an MCP call with its arguments;
/// an empty server or tool is refused.
fn mcp_call(
    name: &str,
    arguments: &serde_json::Value,
    prefix: &str,
    separator: &str,
) -> Result<HookAction, HookError> {
    match name
        .strip_prefix(prefix)
        .and_then(|rest| rest.split_once(separator))
        .filter(|(server, tool)| !server.is_empty() && !tool.is_empty())
    {
        Some((server, tool)) => Ok(HookAction::Judge(ToolInput::McpCall {
            server: server.to_string(),
            tool: tool.to_string(),
            arguments: arguments.clone(),
            annotations: None,
        })),
        None => Err(HookError::Invalid {
            field: "tool_name",
            problem: format!("`{name}` is not of the form {prefix}<server>{separator}<tool>"),
        }),
    }
}

/// The settings entry of Claude Code and Codex: `command` as a hook for the
/// tools `matcher` selects, with a 30 second timeout.
fn matcher_entry(matcher: &str, command: &str) -> serde_json::Value {
    serde_json::json!({
        "matcher": matcher,
        "hooks": [{"type": "command", "command": command, "timeout": 30}],
    })
}

/// Adds `entry` to `settings` under `hooks.<event>` unless an entry there
/// already runs `airlock hook <agent>`.
fn install_hooks_entry(
    settings: &Path,
    event: &str,
    entry: serde_json::Value,
    agent: &str,
) -> Result<InstallOutcome, InstallError> {
    let is_ours = |existing: &serde_json::Value| entry_runs_airlock_hook(existing, agent);
    install_into_settings(settings, &["hooks", event], entry, is_ours, &[])
}

/// Whether `command` runs `airlock hook <agent>`.
fn runs_airlock_hook(command: &str, agent: &str) -> bool {
    command.contains("airlock") && command.contains(&format!("hook {agent}"))
}

/// Whether a settings entry of the form `{"hooks": [{"command": ...}]}`
/// already runs `airlock hook <agent>`.
fn entry_runs_airlock_hook(existing: &serde_json::Value, agent: &str) -> bool {
    existing["hooks"].as_array().is_some_and(|hooks| {
        hooks.iter().any(|hook| {
            hook["command"]
                .as_str()
                .is_some_and(|command| runs_airlock_hook(command, agent))
        })
    })
}

/// The Claude Code style answer: `hookSpecificOutput.permissionDecision`
/// with its reason, as JSON on stdout and exit code 0.
fn pre_tool_use_decision(decision: &str, reason: &str) -> HookResponse {
    json_on_stdout(&serde_json::json!({
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": decision,
            "permissionDecisionReason": reason,
        }
    }))
}

/// `body` as one line of JSON on stdout, exit code 0.
fn json_on_stdout(body: &serde_json::Value) -> HookResponse {
    HookResponse {
        stdout: format!("{body}\n"),
        stderr: String::new(),
        exit_code: 0,
    }
}

/// Nothing printed, exit code 0: the tool runs.
fn silent_allow() -> HookResponse {
    HookResponse {
        stdout: String::new(),
        stderr: String::new(),
        exit_code: 0,
    }
}

/// `message` on stderr with exit code 2, which blocks the call.
fn block_on_stderr(message: &str) -> HookResponse {
    HookResponse {
        stdout: String::new(),
        stderr: format!("{message}\n"),
        exit_code: 2,
    }
}

/// The message of a refusal when airlock could not decide.
fn failure_message(reason: &str) -> String {
    format!(
        "airlock blocked this tool call: {}",
        non_empty_reason(reason, "internal error")
    )
}

#[cfg(test)]
mod shared_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_listed_dialect_is_registered_under_its_name() {
        for name in DIALECTS {
            let dialect = dialect(name).unwrap();
            assert_eq!(dialect.name(), *name);
        }
        assert!(dialect("unknown").is_none());
    }

    #[test]
    fn encoded_objects_are_accepted_and_other_shapes_refused() {
        let v = json!({"a": {"x": 1}, "b": "{\"x\":1}", "c": "[1]", "d": "nope", "e": 3});
        assert_eq!(require_object_or_encoded(&v, "a").unwrap(), json!({"x": 1}));
        assert_eq!(require_object_or_encoded(&v, "b").unwrap(), json!({"x": 1}));
        for field in ["c", "d", "e", "missing"] {
            assert!(require_object_or_encoded(&v, field).is_err(), "{field}");
        }
    }

    #[test]
    fn shell_quoting_keeps_one_literal_word() {
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
    }

    #[test]
    fn events_other_than_the_expected_one_are_refused() {
        let ok = json!({"hook_event_name": "PreToolUse"});
        let other = json!({"hook_event_name": "PostToolUse"});
        let absent = json!({});
        assert!(check_event(&ok, "hook_event_name", &["PreToolUse"]).is_ok());
        assert!(check_event(&absent, "hook_event_name", &["PreToolUse"]).is_ok());
        assert!(check_event(&other, "hook_event_name", &["PreToolUse"]).is_err());
    }
}
