//! `airlock explain`: how a command was read, which effects were found
//! where, and which policy decided.

use std::path::Path;

use anyhow::Result;
use clap::Args;

use super::{engine, ActionArgs, EXIT_ALLOW, EXIT_ERROR};
use crate::{render, Format};

/// Show how a command was parsed, the effects found, and the policy that decided.
///
/// Exits 0 once it has explained, whatever the verdict; `airlock check` is the gate.
#[derive(Debug, Args)]
#[command(after_help = "EXAMPLES:
  airlock explain -- 'sudo env bash -c \"rm -rf ~\"'
  airlock explain -- git -C repo push --force origin main
  airlock explain --plan plan.json")]
pub struct ExplainArgs {
    #[command(flatten)]
    pub action: ActionArgs,

    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

pub fn run(config: Option<&Path>, args: ExplainArgs) -> Result<u8> {
    let engine = engine(config, args.action.cwd.as_deref())?;
    let request = args.action.request(&engine)?;
    let evaluation = engine.evaluate(&request);
    if let Some(error) = &evaluation.input_error {
        eprintln!("airlock: error: {error}");
        return Ok(EXIT_ERROR);
    }
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&evaluation)?),
        Format::Human => print!(
            "{}",
            render::explanation(&request, &evaluation, engine.policy())
        ),
    }
    Ok(EXIT_ALLOW)
}
