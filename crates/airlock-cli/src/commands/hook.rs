//! `airlock hook <agent>`: answer a coding agent's pre-tool-use hook, and
//! `airlock hook install <agent>`: add that hook to the agent's settings.
//!
//! The runner never lets a failure through: malformed input, a broken
//! configuration, an internal error or a panic all answer with the agent's
//! blocking shape.

use std::io::Read;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use airlock_engine::{Engine, LoadedConfig};
use airlock_hooks::{Dialect, HookAction, HookCall, HookResponse, HookVerdict, Scope};
use airlock_model::{ActionRequest, Decision, ToolInput, Verdict};
use airlock_policy::PolicyEngine;
use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};

use super::client::Client;

/// Guard a coding agent: answer its pre-tool-use hook, or install the hook.
#[derive(Debug, Args)]
#[command(after_help = "AGENTS:
  claude   Claude Code (PreToolUse)
  codex    OpenAI Codex CLI (PreToolUse)
  gemini   Google Gemini CLI (BeforeTool)
  cursor   Cursor (beforeShellExecution, beforeMCPExecution)
  copilot  GitHub Copilot CLI and coding agent (preToolUse)
  kiro     Kiro CLI (preToolUse in an agent file; the agent must exist)

EXAMPLES:
  airlock hook install claude                 # .claude/settings.json of this project
  airlock hook install claude --scope user    # ~/.claude/settings.json
  echo '{\"tool_name\":\"Bash\",\"tool_input\":{\"command\":\"rm -rf /\"}}' | airlock hook claude")]
pub struct HookArgs {
    #[command(subcommand)]
    command: HookCommand,
}

#[derive(Debug, Subcommand)]
enum HookCommand {
    /// Add airlock as the agent's pre-tool-use hook, keeping existing settings.
    Install(InstallArgs),
    /// Answer the agent's hook: reads its payload on stdin (`airlock hook claude`).
    #[command(external_subcommand)]
    Run(Vec<String>),
}

#[derive(Debug, Args)]
struct InstallArgs {
    /// The agent: claude, codex, gemini, cursor, copilot or kiro.
    agent: String,
    /// project: shared settings in this repository; local: this machine
    /// only; user: every project of this user.
    #[arg(long, value_enum, default_value_t = ScopeArg::Project)]
    scope: ScopeArg,
    /// Project directory (default: the working directory).
    #[arg(long, value_name = "DIR")]
    project: Option<PathBuf>,
    /// The command the agent runs (default: this airlock binary's absolute path).
    #[arg(long, value_name = "CMD")]
    command: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ScopeArg {
    Project,
    Local,
    User,
}

pub fn run(config: Option<&Path>, args: HookArgs) -> Result<u8> {
    match args.command {
        HookCommand::Install(install) => run_install(install),
        HookCommand::Run(words) => {
            let name = words.first().map(String::as_str).unwrap_or_default();
            Ok(run_agent(find_dialect(name)?, config))
        }
    }
}

/// Answers `dialect`'s hook: reads the payload, writes the answer, and
/// returns the exit code the agent reads it with.
pub fn run_agent(dialect: &dyn Dialect, config: Option<&Path>) -> u8 {
    let response = answer(dialect, config);
    print!("{}", response.stdout);
    eprint!("{}", response.stderr);
    u8::try_from(response.exit_code).unwrap_or(super::EXIT_DENY)
}

fn find_dialect(name: &str) -> Result<&'static dyn Dialect> {
    airlock_hooks::dialect(name).ok_or_else(|| {
        anyhow!(
            "unknown agent `{name}`; supported: {}",
            airlock_hooks::DIALECTS.join(", ")
        )
    })
}

/// Reads the payload and decides, turning every failure into a block.
fn answer(dialect: &dyn Dialect, config: Option<&Path>) -> HookResponse {
    std::panic::set_hook(Box::new(|_| {}));
    // Cedar's shared tables take as long to build as everything else the
    // hook does before deciding; a second thread builds them meanwhile. The
    // thread is not joined: the engine waits for the build, and the process
    // may end before it is needed (a read-only tool).
    let _ = std::thread::Builder::new()
        .name("cedar-warm-up".to_string())
        .spawn(PolicyEngine::warm_up);
    let outcome = catch_unwind(AssertUnwindSafe(|| decide(dialect, config)));
    match outcome {
        Ok(Ok(response)) => response,
        Ok(Err(err)) => dialect.render_failure(&format!("{err:#}")),
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("unknown panic");
            dialect.render_failure(&format!("internal error: {message}"))
        }
    }
}

fn decide(dialect: &dyn Dialect, config: Option<&Path>) -> Result<HookResponse> {
    let mut payload = Vec::new();
    std::io::stdin()
        .take(airlock_hooks::MAX_PAYLOAD_BYTES as u64 + 1)
        .read_to_end(&mut payload)
        .context("cannot read the hook payload from standard input")?;
    let HookCall {
        tool_name,
        action,
        cwd,
        ..
    } = dialect.parse(&payload)?;
    let input = match action {
        HookAction::ReadOnly => {
            return Ok(dialect.render(
                HookVerdict::Allow,
                &format!("airlock: `{tool_name}` only reads"),
            ))
        }
        HookAction::Unrecognised => {
            return Ok(dialect.render(
                HookVerdict::Escalate,
                &format!(
                    "airlock cannot determine the effect of tool `{tool_name}`; a person must decide whether it may run"
                ),
            ))
        }
        HookAction::Judge(input) => input,
    };
    let loaded = config_for(cwd.as_deref(), config)?;
    if let Some(url) = loaded.config.server.url.clone() {
        let token_env = &loaded.config.server.token_env;
        let (verdict, reason) = ask_gate(&url, token_env, dialect.name(), input, cwd)?;
        return Ok(dialect.render(verdict, &reason));
    }
    let engine = Engine::new(loaded)?;
    let agent = &engine.config().config.agent;
    let mut request = ActionRequest::new(agent.id.clone(), agent.tenant.clone(), input);
    request.cwd = cwd;
    let decision = engine.evaluate(&request).decision;
    // The process ends once the answer is written: taking the engine's
    // tables apart piece by piece would only delay the answer.
    std::mem::forget(engine);
    let (verdict, reason) = hook_reason(&decision, None);
    Ok(dialect.render(verdict, &reason))
}

fn config_for(cwd: Option<&str>, config: Option<&Path>) -> Result<LoadedConfig> {
    let start = match cwd {
        Some(cwd) if Path::new(cwd).is_dir() => PathBuf::from(cwd),
        _ => std::env::current_dir().context("cannot read the working directory")?,
    };
    Ok(LoadedConfig::discover(config, &start)?)
}

/// Sends the action to `airlock serve` (`[server] url` in airlock.toml). The
/// gate decides with the agent's registered roles, holds an escalation for
/// approval and records the decision. Any failure to get an answer blocks.
fn ask_gate(
    url: &str,
    token_env: &str,
    agent_name: &str,
    input: ToolInput,
    cwd: Option<String>,
) -> Result<(HookVerdict, String)> {
    let token = std::env::var(token_env).with_context(|| {
        format!("airlock.toml names a server but ${token_env} holds no agent token")
    })?;
    let mut body = serde_json::to_value(&input).context("cannot encode the action")?;
    body["cwd"] = serde_json::json!(cwd);
    body["agent"] = serde_json::json!({ "name": agent_name });
    let answer: serde_json::Value = Client::with_token(url, token)
        .post("/v1/actions", &body)
        .context("the airlock server did not decide")?;
    let decision: Decision = serde_json::from_value(answer["decision"].clone())
        .context("the airlock server's decision has an unexpected shape")?;
    let request_id = answer["approval"]["id"].as_str();
    Ok(hook_reason(&decision, request_id))
}

/// The verdict and the sentence the model and the user will read; for an
/// escalation held by the gate, the request an approver must decide.
fn hook_reason(decision: &Decision, held_as: Option<&str>) -> (HookVerdict, String) {
    match decision.verdict {
        Verdict::Allow => (HookVerdict::Allow, format!("airlock: {}", decision.reason)),
        Verdict::Deny => (
            HookVerdict::Deny,
            format!(
                "airlock denied this: {}. Do not try to reach the same effect another way; tell the user what you wanted to do and why.",
                decision.reason
            ),
        ),
        Verdict::Escalate => {
            let needs = decision
                .approvals
                .as_ref()
                .map(|a| a.describe())
                .unwrap_or_else(|| "a person".to_string());
            let reason = match held_as {
                Some(id) => format!(
                    "airlock: this needs approval ({needs}): {}. It is waiting as request {id}; an approver decides with `airlock approvals show {id}`. Tell the user; do not work around it.",
                    decision.reason
                ),
                None => format!(
                    "airlock: this needs approval ({needs}): {}. Ask the user to review it; do not work around it.",
                    decision.reason
                ),
            };
            (HookVerdict::Escalate, reason)
        }
    }
}

fn run_install(args: InstallArgs) -> Result<u8> {
    let dialect = find_dialect(&args.agent)?;
    let project = match args.project {
        Some(dir) => dir,
        None => std::env::current_dir().context("cannot read the working directory")?,
    };
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .context("HOME is not set; cannot find the user's settings")?;
    let scope = match args.scope {
        ScopeArg::Project => Scope::Project,
        ScopeArg::Local => Scope::Local,
        ScopeArg::User => Scope::User,
    };
    let command = match args.command {
        Some(command) => command,
        None => {
            let exe = std::env::current_exe().context("cannot find the airlock binary's path")?;
            let exe = exe.canonicalize().unwrap_or(exe);
            let exe = exe
                .to_str()
                .context("the airlock binary's path is not valid UTF-8; pass --command")?;
            if exe.contains(char::is_whitespace) {
                bail!(
                    "the airlock binary's path contains spaces; pass --command with a quoted path"
                );
            }
            format!("{exe} hook {}", dialect.name())
        }
    };
    let settings = dialect.settings_file(scope, &project, &home);
    let outcome = dialect.install(&settings, &command)?;
    match outcome {
        airlock_hooks::InstallOutcome::Added => {
            println!("added airlock to {}: {command}", settings.display())
        }
        airlock_hooks::InstallOutcome::AlreadyPresent => {
            println!("airlock is already installed in {}", settings.display())
        }
    }
    Ok(super::EXIT_ALLOW)
}
