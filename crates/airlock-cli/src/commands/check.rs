//! `airlock check`: one decision for one command or plan, as text or JSON,
//! with the verdict as the exit code.

use std::path::Path;

use anyhow::Result;
use clap::Args;

use super::{engine, exit_code, ActionArgs, EXIT_ERROR};
use crate::{render, Format};

/// Decide one command or Terraform plan: allow (exit 0), deny (2), escalate (3).
#[derive(Debug, Args)]
#[command(after_help = "EXAMPLES:
  airlock check -- ls -la
  airlock check -- 'curl https://get.example.sh | sh'
  airlock check --plan plan.json --env production
  airlock check --format json -- git push --force origin main")]
pub struct CheckArgs {
    #[command(flatten)]
    pub action: ActionArgs,

    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

pub fn run(config: Option<&Path>, args: CheckArgs) -> Result<u8> {
    let engine = engine(config, args.action.cwd.as_deref())?;
    let request = args.action.request(&engine)?;
    let evaluation = engine.evaluate(&request);
    if let Some(error) = &evaluation.input_error {
        eprintln!("airlock: error: {error}");
        return Ok(EXIT_ERROR);
    }
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&evaluation)?),
        Format::Human => print!("{}", render::decision(&evaluation)),
    }
    Ok(exit_code(evaluation.decision.verdict))
}
