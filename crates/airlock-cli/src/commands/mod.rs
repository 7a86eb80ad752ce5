//! One module per subcommand, and what they share: building the engine from
//! the discovered configuration, turning arguments into an action request,
//! and mapping verdicts to exit codes.

pub mod approvals;
pub mod audit;
pub mod check;
pub mod classify;
pub mod client;
pub mod demo;
pub mod eval;
pub mod explain;
pub mod hook;
pub mod keys;
pub mod mcp;
pub mod policy;
pub mod principals;
pub mod serve;
pub mod state;
pub mod verify;

use std::path::{Path, PathBuf};

use airlock_engine::{Engine, LoadedConfig};
use airlock_model::{ActionRequest, ToolInput, Verdict};
use anyhow::{bail, Context, Result};
use clap::Args;

pub const EXIT_ALLOW: u8 = 0;
pub const EXIT_ERROR: u8 = 1;
pub const EXIT_DENY: u8 = 2;
pub const EXIT_ESCALATE: u8 = 3;

pub fn exit_code(verdict: Verdict) -> u8 {
    match verdict {
        Verdict::Allow => EXIT_ALLOW,
        Verdict::Deny => EXIT_DENY,
        Verdict::Escalate => EXIT_ESCALATE,
    }
}

/// Builds the engine from the configuration found for `start_dir`.
pub fn engine(config: Option<&Path>, start_dir: Option<&Path>) -> Result<Engine> {
    let cwd;
    let start = match start_dir {
        Some(dir) => dir,
        None => {
            cwd = std::env::current_dir().context("cannot read the working directory")?;
            cwd.as_path()
        }
    };
    let loaded = LoadedConfig::discover(config, start)?;
    Ok(Engine::new(loaded)?)
}

/// What to judge: a command line or a plan file. Shared by `check` and `explain`.
#[derive(Debug, Args)]
pub struct ActionArgs {
    /// A Terraform plan in JSON (`terraform show -json tfplan > plan.json`).
    #[arg(long, value_name = "FILE", conflicts_with = "command")]
    pub plan: Option<PathBuf>,

    /// The environment the action targets (production, staging, …), for
    /// targets whose environment airlock cannot infer.
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,

    /// Working directory the command would run in.
    #[arg(long, value_name = "DIR")]
    pub cwd: Option<PathBuf>,

    /// The command: one argument is a whole command line (quote it to keep
    /// pipes and `&&`); several are the words of one command. Everything
    /// from the first word on is the command's, options included; `--`
    /// before it is accepted.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND"
    )]
    pub command: Vec<String>,
}

impl ActionArgs {
    pub fn request(&self, engine: &Engine) -> Result<ActionRequest> {
        let cwd = self
            .cwd
            .as_ref()
            .map(|p| p.display().to_string())
            .or_else(|| {
                std::env::current_dir()
                    .ok()
                    .map(|p| p.display().to_string())
            });
        let mut request = match (&self.plan, self.command.as_slice()) {
            (Some(path), _) => {
                let plan_json = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read plan {}", path.display()))?;
                let agent = &engine.config().config.agent;
                let mut r = ActionRequest::new(
                    agent.id.clone(),
                    agent.tenant.clone(),
                    ToolInput::TerraformPlan {
                        plan_json,
                        path: Some(path.display().to_string()),
                    },
                );
                r.cwd = cwd;
                r
            }
            (None, []) => bail!(
                "nothing to check: give a command (airlock check 'rm -rf build') or --plan FILE"
            ),
            (None, [line]) => engine.local_shell_request(line, cwd),
            (None, words) => engine.local_shell_request(&join_words(words), cwd),
        };
        request.environment = self.env.clone();
        Ok(request)
    }
}

/// Quotes words so that a shell reads them back as the same words.
pub fn join_words(words: &[String]) -> String {
    words
        .iter()
        .map(|w| quote_word(w))
        .collect::<Vec<_>>()
        .join(" ")
}

fn quote_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_@%+=:,./-~".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_only_when_needed() {
        let words: Vec<String> = ["rm", "-rf", "my dir", "it's", "a|b"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(join_words(&words), r"rm -rf 'my dir' 'it'\''s' 'a|b'");
    }
}
