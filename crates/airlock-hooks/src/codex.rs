//! OpenAI Codex CLI's `PreToolUse` hook: a payload like Claude Code's
//! (`tool_name`, `tool_input`, `cwd`), with file edits arriving as
//! `apply_patch` whose patch text is in `tool_input.command`.
//!
//! Codex honours only a *deny* decision: a bare `allow` and `ask` are
//! rejected as unsupported and the tool runs. So an allow prints nothing, an
//! escalation is a deny whose reason says how to get approval, and a failure
//! exits with code 2 and a non-empty stderr, which blocks.

use airlock_model::ToolInput;
use serde_json::Value;

use std::path::{Path, PathBuf};

use crate::{
    block_on_stderr, blocked_until_approved, call_with_context, check_event, failure_message,
    install_hooks_entry, matcher_entry, mcp_call, non_empty_reason, parse_object,
    pre_tool_use_decision, require_object, require_str, shell_quote, silent_allow, Dialect,
    HookAction, HookCall, HookError, HookResponse, HookVerdict, InstallError, InstallOutcome,
    Scope,
};

/// Codex tools that change nothing.
const READ_ONLY_TOOLS: &[&str] = &[
    "update_plan",
    "view_image",
    "web_search",
    "read_file",
    "list_dir",
    "grep_files",
];

/// The `matcher` airlock installs: the tools that can change something.
pub const MATCHER: &str = "Bash|apply_patch|mcp__.*";

/// The hook dialect of Codex CLI.
pub struct Codex;

impl Dialect for Codex {
    fn name(&self) -> &'static str {
        "codex"
    }

    fn parse(&self, payload: &[u8]) -> Result<HookCall, HookError> {
        let value = parse_object(payload)?;
        check_event(&value, "hook_event_name", &["PreToolUse"])?;
        let tool_name = require_str(&value, "tool_name")?.to_string();
        let input = require_object(&value, "tool_input")?;
        let action = match tool_name.as_str() {
            "Bash" => HookAction::Judge(ToolInput::Shell {
                command: command_line(input)?,
            }),
            "apply_patch" => patch_action(
                require_str(input, "command")?,
                value.get("cwd").and_then(Value::as_str),
            ),
            name if name.starts_with("mcp__") => mcp_action(name, input)?,
            name if READ_ONLY_TOOLS.contains(&name) => HookAction::ReadOnly,
            _ => HookAction::Unrecognised,
        };
        Ok(call_with_context(&value, tool_name, action))
    }

    fn render(&self, verdict: HookVerdict, reason: &str) -> HookResponse {
        match verdict {
            HookVerdict::Allow => silent_allow(),
            HookVerdict::Deny => deny(non_empty_reason(reason, "airlock denied this tool call")),
            HookVerdict::Escalate => deny(&blocked_until_approved(reason)),
        }
    }

    fn render_failure(&self, reason: &str) -> HookResponse {
        block_on_stderr(&failure_message(reason))
    }

    fn settings_file(&self, scope: Scope, project_dir: &Path, home_dir: &Path) -> PathBuf {
        match scope {
            Scope::Project | Scope::Local => project_dir.join(".codex/hooks.json"),
            Scope::User => home_dir.join(".codex/hooks.json"),
        }
    }

    fn install(&self, settings: &Path, command: &str) -> Result<InstallOutcome, InstallError> {
        install_hooks_entry(
            settings,
            "PreToolUse",
            matcher_entry(MATCHER, command),
            "codex",
        )
    }
}

fn deny(reason: &str) -> HookResponse {
    pre_tool_use_decision("deny", reason)
}

/// The shell command of a `Bash` call: a string, or an argument vector
/// (`["bash", "-lc", "…"]`) which is quoted back into one command line.
fn command_line(input: &Value) -> Result<String, HookError> {
    match input.get("command") {
        Some(Value::Array(words)) if !words.is_empty() => words
            .iter()
            .map(|w| w.as_str().map(shell_quote))
            .collect::<Option<Vec<_>>>()
            .map(|words| words.join(" "))
            .ok_or_else(|| HookError::Invalid {
                field: "command",
                problem: "is an array with non-string elements".to_string(),
            }),
        _ => require_str(input, "command").map(str::to_string),
    }
}

/// What one file operation of a patch does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatchOperation {
    /// `*** Add File:` with the added lines.
    Add { path: String, content: String },
    /// `*** Update File:` (and the destination of `*** Move to:`).
    Update { path: String },
    /// `*** Delete File:` (and the source of a move).
    Delete { path: String },
}

/// Reads the file operations of an `apply_patch` patch from its headers.
/// `None` when a header names no file: such a patch cannot be judged.
pub fn patch_operations(patch: &str) -> Option<Vec<PatchOperation>> {
    let mut operations: Vec<PatchOperation> = Vec::new();
    let mut adding: Option<(String, Vec<&str>)> = None;
    let mut updating: Option<String> = None;
    for line in patch.lines() {
        let header = line.trim_start();
        if let Some(rest) = header.strip_prefix("*** ") {
            if let Some((path, lines)) = adding.take() {
                operations.push(PatchOperation::Add {
                    path,
                    content: lines.join("\n"),
                });
            }
            let named = |prefix: &str| {
                rest.strip_prefix(prefix)
                    .map(|path| path.trim().to_string())
            };
            if let Some(path) = named("Add File:") {
                if path.is_empty() {
                    return None;
                }
                updating = None;
                adding = Some((path, Vec::new()));
            } else if let Some(path) = named("Update File:") {
                if path.is_empty() {
                    return None;
                }
                operations.push(PatchOperation::Update { path: path.clone() });
                updating = Some(path);
            } else if let Some(path) = named("Delete File:") {
                if path.is_empty() {
                    return None;
                }
                updating = None;
                operations.push(PatchOperation::Delete { path });
            } else if let Some(path) = named("Move to:") {
                let source = updating.take()?;
                if path.is_empty() {
                    return None;
                }
                operations.push(PatchOperation::Delete { path: source });
                operations.push(PatchOperation::Update { path });
            }
            continue;
        }
        if let Some((_, lines)) = adding.as_mut() {
            if let Some(added) = line.strip_prefix('+') {
                lines.push(added);
            }
        }
    }
    if let Some((path, lines)) = adding {
        operations.push(PatchOperation::Add {
            path,
            content: lines.join("\n"),
        });
    }
    if operations.is_empty() {
        None
    } else {
        Some(operations)
    }
}

/// Turns a patch into one action to judge. A patch that writes one file is a
/// file write; anything else (a delete, a move, several files) is judged as
/// the equivalent shell command, one step per file, so every file's path is
/// judged. Paths inside `cwd` are made relative to it, as file writes are.
/// A patch with no recognisable file escalates.
pub fn patch_action(patch: &str, cwd: Option<&str>) -> HookAction {
    let Some(operations) = patch_operations(patch) else {
        return HookAction::Unrecognised;
    };
    if let [single] = operations.as_slice() {
        match single {
            PatchOperation::Add { path, content } => {
                return HookAction::Judge(ToolInput::FileWrite {
                    path: path.clone(),
                    content: Some(content.clone()),
                })
            }
            PatchOperation::Update { path } => {
                return HookAction::Judge(ToolInput::FileWrite {
                    path: path.clone(),
                    content: None,
                })
            }
            PatchOperation::Delete { .. } => {}
        }
    }
    let mut steps: Vec<String> = Vec::new();
    for operation in &operations {
        let step = match operation {
            PatchOperation::Add { path, .. } | PatchOperation::Update { path } => {
                format!("touch -- {}", shell_quote(&relative_to(path, cwd)))
            }
            PatchOperation::Delete { path } => {
                format!("rm -f -- {}", shell_quote(&relative_to(path, cwd)))
            }
        };
        if !steps.contains(&step) {
            steps.push(step);
        }
    }
    HookAction::Judge(ToolInput::Shell {
        command: steps.join(" && "),
    })
}

/// `path` relative to `cwd` when it lies inside it, else unchanged.
fn relative_to(path: &str, cwd: Option<&str>) -> String {
    let inside = cwd
        .map(|dir| dir.trim_end_matches('/'))
        .filter(|dir| !dir.is_empty())
        .and_then(|dir| path.strip_prefix(dir))
        .and_then(|rest| rest.strip_prefix('/'))
        .map(|rest| rest.trim_start_matches('/'))
        .filter(|rest| !rest.is_empty());
    inside.unwrap_or(path).to_string()
}

/// `mcp__<server>__<tool>` with its arguments.
fn mcp_action(name: &str, input: &Value) -> Result<HookAction, HookError> {
    mcp_call(name, input, "mcp__", "__")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(payload: &str) -> Result<HookCall, HookError> {
        Codex.parse(payload.as_bytes())
    }

    fn judged(payload: &str) -> ToolInput {
        match parse(payload).unwrap().action {
            HookAction::Judge(input) => input,
            other => panic!("not judged: {other:?}"),
        }
    }

    #[test]
    fn bash_calls_become_shell_actions() {
        let input = judged(
            r#"{"session_id":"s","turn_id":"t","cwd":"/w","hook_event_name":"PreToolUse","model":"gpt-5-codex","tool_name":"Bash","tool_input":{"command":"ls -la"},"tool_use_id":"c1"}"#,
        );
        assert_eq!(
            input,
            ToolInput::Shell {
                command: "ls -la".into()
            }
        );
        let argv = judged(
            r#"{"tool_name":"Bash","tool_input":{"command":["bash","-lc","rm -rf /tmp/x"]}}"#,
        );
        assert_eq!(
            argv,
            ToolInput::Shell {
                command: "'bash' '-lc' 'rm -rf /tmp/x'".into()
            }
        );
    }

    #[test]
    fn a_patch_of_one_file_is_a_file_write() {
        let patch = "*** Begin Patch\n*** Update File: src/lib.rs\n@@\n-old\n+new\n*** End Patch\n";
        let payload = json!({"tool_name": "apply_patch", "tool_input": {"command": patch}});
        assert_eq!(
            judged(&payload.to_string()),
            ToolInput::FileWrite {
                path: "src/lib.rs".into(),
                content: None
            }
        );
        let added = "*** Begin Patch\n*** Add File: docs/a.md\n+# A\n+text\n*** End Patch";
        assert_eq!(
            patch_action(added, None),
            HookAction::Judge(ToolInput::FileWrite {
                path: "docs/a.md".into(),
                content: Some("# A\ntext".into())
            })
        );
    }

    #[test]
    fn deletes_moves_and_several_files_are_judged_as_shell_steps() {
        assert_eq!(
            patch_action(
                "*** Begin Patch\n*** Delete File: /w/.git/config\n*** End Patch",
                Some("/w/")
            ),
            HookAction::Judge(ToolInput::Shell {
                command: "rm -f -- '.git/config'".into()
            })
        );
        let patch = "*** Begin Patch\n*** Update File: a.rs\n*** Move to: b's.rs\n@@\n-x\n+y\n*** Add File: c.rs\n+z\n*** End Patch";
        assert_eq!(
            patch_action(patch, None),
            HookAction::Judge(ToolInput::Shell {
                command:
                    "touch -- 'a.rs' && rm -f -- 'a.rs' && touch -- 'b'\\''s.rs' && touch -- 'c.rs'"
                        .into()
            })
        );
    }

    #[test]
    fn a_patch_without_a_recognisable_file_escalates() {
        for patch in [
            "",
            "*** Begin Patch\n*** End Patch",
            "just text",
            "*** Begin Patch\n*** Update File:   \n*** End Patch",
            "*** Begin Patch\n*** Move to: x\n*** End Patch",
        ] {
            assert_eq!(
                patch_action(patch, None),
                HookAction::Unrecognised,
                "{patch:?}"
            );
        }
    }

    #[test]
    fn mcp_tools_and_read_only_tools() {
        match judged(r#"{"tool_name":"mcp__github__create_issue","tool_input":{"title":"x"}}"#) {
            ToolInput::McpCall { server, tool, .. } => {
                assert_eq!((server.as_str(), tool.as_str()), ("github", "create_issue"))
            }
            other => panic!("{other:?}"),
        }
        let read = parse(r#"{"tool_name":"update_plan","tool_input":{}}"#).unwrap();
        assert_eq!(read.action, HookAction::ReadOnly);
        let other = parse(r#"{"tool_name":"write_stdin","tool_input":{}}"#).unwrap();
        assert_eq!(other.action, HookAction::Unrecognised);
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
            r#"{"tool_name":"Bash","tool_input":{"command":["ls",1]}}"#,
            r#"{"tool_name":"Bash","tool_input":"rm -rf /"}"#,
            r#"{"tool_name":"apply_patch","tool_input":{}}"#,
            r#"{"tool_name":"mcp__broken","tool_input":{}}"#,
            r#"{"hook_event_name":"PostToolUse","tool_name":"Bash","tool_input":{"command":"ls"}}"#,
        ] {
            assert!(parse(bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn allow_prints_nothing() {
        let r = Codex.render(HookVerdict::Allow, "airlock: fine");
        assert_eq!(
            r,
            HookResponse {
                stdout: String::new(),
                stderr: String::new(),
                exit_code: 0
            }
        );
    }

    #[test]
    fn deny_and_escalation_are_denials_with_a_reason() {
        let deny = Codex.render(HookVerdict::Deny, "airlock denied this: deletes /");
        let v: Value = serde_json::from_str(&deny.stdout).unwrap();
        assert_eq!(
            v,
            json!({"hookSpecificOutput": {
                "hookEventName": "PreToolUse",
                "permissionDecision": "deny",
                "permissionDecisionReason": "airlock denied this: deletes /"
            }})
        );
        assert_eq!(deny.exit_code, 0);
        let escalate = Codex.render(
            HookVerdict::Escalate,
            "airlock: this needs approval (a person)",
        );
        let v: Value = serde_json::from_str(&escalate.stdout).unwrap();
        assert_eq!(v["hookSpecificOutput"]["permissionDecision"], "deny");
        let reason = v["hookSpecificOutput"]["permissionDecisionReason"]
            .as_str()
            .unwrap();
        assert!(
            reason.starts_with("airlock: this needs approval"),
            "{reason}"
        );
        assert!(reason.contains("until a person approves it"), "{reason}");
        let blank = Codex.render(HookVerdict::Deny, " ");
        let v: Value = serde_json::from_str(&blank.stdout).unwrap();
        assert!(!v["hookSpecificOutput"]["permissionDecisionReason"]
            .as_str()
            .unwrap()
            .trim()
            .is_empty());
    }

    #[test]
    fn failures_exit_two_with_a_reason_on_stderr() {
        let r = Codex.render_failure("bad input");
        assert_eq!(r.exit_code, 2);
        assert!(r.stdout.is_empty());
        assert_eq!(r.stderr, "airlock blocked this tool call: bad input\n");
        assert!(!Codex.render_failure("").stderr.trim().is_empty());
    }
}
