//! `airlock classify`: batch decisions over JSON lines on stdin, one output
//! line per input line, in order. A malformed line yields an error line and
//! processing continues; the exit code is 1 if any line failed.

use std::io::{BufRead, BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};
use clap::Args;
use serde::Deserialize;
use serde_json::json;

use super::{engine, EXIT_ALLOW, EXIT_ERROR};

/// Decide many commands: JSON lines `{"id": …, "command": "…"}` on stdin.
///
/// Writes one JSON line per input line, in order:
/// `{"id", "verdict", "risk", "findings": […]}`, or `{"line": N, "error": "…"}`
/// for a line that is not such an object. Blank lines are skipped.
#[derive(Debug, Args)]
#[command(after_help = "EXAMPLES:
  printf '%s\\n' '{\"id\":\"1\",\"command\":\"rm -rf /\"}' | airlock classify
  airlock classify < commands.jsonl > decisions.jsonl")]
pub struct ClassifyArgs {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    id: serde_json::Value,
    command: String,
    #[serde(default)]
    cwd: Option<String>,
}

pub fn run(config: Option<&Path>, _args: ClassifyArgs) -> Result<u8> {
    let engine = engine(config, None)?;
    let principal = engine.local_principal();
    let stdin = std::io::stdin().lock();
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut failed = false;
    for (index, line) in stdin.split(b'\n').enumerate() {
        let number = index + 1;
        let bytes = line.context("cannot read standard input")?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let output = match serde_json::from_slice::<Line>(&bytes) {
            Ok(input) => {
                let request = engine.local_shell_request(&input.command, input.cwd);
                let decision = engine.evaluate_as(&principal, &request).decision;
                json!({
                    "id": input.id,
                    "verdict": decision.verdict,
                    "risk": decision.risk,
                    "findings": decision.findings,
                })
            }
            Err(err) => {
                failed = true;
                json!({"line": number, "error": format!("expected {{\"id\": …, \"command\": \"…\"}}: {err}")})
            }
        };
        serde_json::to_writer(&mut out, &output)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(if failed { EXIT_ERROR } else { EXIT_ALLOW })
}
