//! The `airlock` command: argument parsing, dispatch to one module per
//! subcommand, and the exit-code contract (0 allow, 2 deny, 3 escalate,
//! 1 usage or input error).

mod commands;
mod render;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Judge what an AI agent's action would do before it runs.
///
/// airlock reads a shell command, a Terraform plan, a file write or an MCP
/// tool call, works out its effects (delete, replace, overwrite, …) and
/// their targets, and lets Cedar policy decide: allow, escalate to human
/// approval, or deny. Every decision explains itself.
#[derive(Debug, Parser)]
#[command(name = "airlock", version, propagate_version = true)]
#[command(after_help = "EXAMPLES:
  airlock check -- rm -rf /                       # exit 2: denied
  airlock check -- 'git push --force origin main' # exit 3: escalated
  airlock check --plan plan.json --env production
  airlock explain -- 'sudo env bash -c \"rm -rf ~\"'
  airlock hook install claude                     # guard Claude Code in this project
  airlock demo                                    # replay the incident against a real gate
  airlock serve                                   # the approval gate (HTTP API)

EXIT CODES:
  0 allow, 2 deny, 3 escalate, 1 usage or input error")]
struct Cli {
    /// Configuration file (default: nearest airlock.toml from the working
    /// directory upward; built-in defaults if none).
    #[arg(long, global = true, env = "AIRLOCK_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
enum Format {
    #[default]
    Human,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    Check(commands::check::CheckArgs),
    Explain(commands::explain::ExplainArgs),
    Classify(commands::classify::ClassifyArgs),
    Eval(commands::eval::EvalArgs),
    Hook(commands::hook::HookArgs),
    Keys(commands::keys::KeysArgs),
    Verify(commands::verify::VerifyArgs),
    Policy(commands::policy::PolicyArgs),
    Serve(commands::serve::ServeArgs),
    Approvals(commands::approvals::ApprovalsArgs),
    Demo(commands::demo::DemoArgs),
    Tenants(commands::principals::TenantsArgs),
    Agents(commands::principals::AgentsArgs),
    Approvers(commands::principals::ApproversArgs),
    EmergencyStop(commands::principals::EmergencyStopArgs),
    Mcp(commands::mcp::McpArgs),
    Audit(commands::audit::AuditArgs),
}

fn main() -> ExitCode {
    if let Some(dialect) = hook_invocation() {
        return ExitCode::from(commands::hook::run_agent(dialect, None));
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() { 1 } else { 0 };
            let _ = err.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Command::Check(args) => commands::check::run(cli.config.as_deref(), args),
        Command::Explain(args) => commands::explain::run(cli.config.as_deref(), args),
        Command::Classify(args) => commands::classify::run(cli.config.as_deref(), args),
        Command::Eval(args) => commands::eval::run(cli.config.as_deref(), args),
        Command::Hook(args) => commands::hook::run(cli.config.as_deref(), args),
        Command::Keys(args) => commands::keys::run(args),
        Command::Verify(args) => commands::verify::run(args),
        Command::Policy(args) => commands::policy::run(cli.config.as_deref(), args),
        Command::Serve(args) => commands::serve::run(cli.config.as_deref(), args),
        Command::Approvals(args) => commands::approvals::run(args),
        Command::Demo(args) => commands::demo::run(args),
        Command::Tenants(args) => commands::principals::tenants(args),
        Command::Agents(args) => commands::principals::agents(args),
        Command::Approvers(args) => commands::principals::approvers(args),
        Command::EmergencyStop(args) => commands::principals::emergency_stop(args),
        Command::Mcp(args) => commands::mcp::run(cli.config.as_deref(), args),
        Command::Audit(args) => commands::audit::run(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("airlock: error: {err:#}");
            ExitCode::from(commands::EXIT_ERROR)
        }
    }
}

/// The agent when the arguments are exactly `hook <agent>`: what a coding
/// agent runs before every tool call, answered without building the parser
/// of every other subcommand. The configuration is then found as without
/// `--config` (`$AIRLOCK_CONFIG`, else the nearest `airlock.toml`).
fn hook_invocation() -> Option<&'static dyn airlock_hooks::Dialect> {
    let mut args = std::env::args_os().skip(1);
    match (args.next(), args.next(), args.next()) {
        (Some(hook), Some(agent), None) if hook == "hook" => {
            airlock_hooks::dialect(agent.to_str()?)
        }
        _ => None,
    }
}
