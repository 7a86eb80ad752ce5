//! Coding agents' pre-tool-use hooks, each a thin dialect over one internal
//! model: a dialect reads its agent's hook payload into a [`HookCall`] and
//! renders airlock's [`HookVerdict`] in exactly the shape that agent honours.
//!
//! Most agents run the tool anyway when a hook crashes, times out or answers
//! in a shape they do not accept. So every dialect also says how to *block*
//! when airlock itself fails ([`Dialect::render_failure`]), and the runner in
//! the CLI answers that way on any error, panics included.

pub mod claude;
pub mod install;

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
        _ => None,
    }
}

/// Names of every supported agent, for help and errors.
pub const DIALECTS: &[&str] = &["claude"];

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
    value.get(field).and_then(|v| v.as_str()).map(str::to_string)
}
