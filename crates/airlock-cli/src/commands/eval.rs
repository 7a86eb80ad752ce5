//! `airlock eval`: run labeled corpora through the pipeline and print recall
//! and false-positive rate per family, with every miss explained.

use std::path::{Path, PathBuf};

use airlock_engine::eval::{evaluate, parse_corpus, Report};
use anyhow::{Context, Result};
use clap::Args;
use serde_json::json;

use super::{engine, EXIT_ALLOW, EXIT_ERROR};
use crate::Format;

/// Measure accuracy on labeled corpora (`{"id","family","expect","command"}` lines).
#[derive(Debug, Args)]
#[command(after_help = "EXAMPLES:
  airlock eval tests/corpus/*.jsonl
  airlock eval --min-recall 0.99 --max-false-positive-rate 0.01 --format json tests/corpus/*.jsonl")]
pub struct EvalArgs {
    /// Corpus files (JSON lines).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Fail (exit 1) if any family's recall is below this (0 to 1).
    #[arg(long, value_name = "RATIO")]
    pub min_recall: Option<f64>,

    /// Fail (exit 1) if any family's false-positive rate is above this (0 to 1).
    #[arg(long, value_name = "RATIO")]
    pub max_false_positive_rate: Option<f64>,

    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

pub fn run(config: Option<&Path>, args: EvalArgs) -> Result<u8> {
    let engine = engine(config, None)?;
    let mut cases = Vec::new();
    for file in &args.files {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read corpus {}", file.display()))?;
        cases.extend(parse_corpus(&file.display().to_string(), &text)?);
    }
    let report = evaluate(&engine, &cases);
    let failures = threshold_failures(&report, &args);
    match args.format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "cases": cases.len(),
                "overall": tally_json(&report.overall),
                "families": report.families.iter().map(|(f, t)| (f.clone(), tally_json(t))).collect::<serde_json::Map<_, _>>(),
                "misses": report.misses,
                "false_positives": report.false_positives,
                "threshold_failures": failures,
            }))?
        ),
        Format::Human => print!("{}", human(&report, cases.len(), &failures)),
    }
    Ok(if failures.is_empty() {
        EXIT_ALLOW
    } else {
        EXIT_ERROR
    })
}

fn tally_json(t: &airlock_engine::eval::Tally) -> serde_json::Value {
    json!({
        "block_cases": t.block_cases,
        "blocked": t.blocked,
        "allow_cases": t.allow_cases,
        "false_positives": t.false_positives,
        "recall": t.recall(),
        "false_positive_rate": t.false_positive_rate(),
    })
}

fn threshold_failures(report: &Report, args: &EvalArgs) -> Vec<String> {
    let mut failures = Vec::new();
    for (family, t) in &report.families {
        if let Some(min) = args.min_recall.filter(|min| t.recall() < *min) {
            failures.push(format!("{family}: recall {:.4} < {min}", t.recall()));
        }
        if let Some(max) = args
            .max_false_positive_rate
            .filter(|max| t.false_positive_rate() > *max)
        {
            failures.push(format!(
                "{family}: false-positive rate {:.4} > {max}",
                t.false_positive_rate()
            ));
        }
    }
    failures
}

fn human(report: &Report, cases: usize, failures: &[String]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<14} {:>6} {:>8} {:>6} {:>8}",
        "family", "block", "recall", "allow", "fp-rate"
    );
    let rows = report
        .families
        .iter()
        .map(|(f, t)| (f.as_str(), t))
        .chain(std::iter::once(("overall", &report.overall)));
    for (family, t) in rows {
        let _ = writeln!(
            out,
            "{family:<14} {:>6} {:>7.2}% {:>6} {:>7.2}%",
            t.block_cases,
            t.recall() * 100.0,
            t.allow_cases,
            t.false_positive_rate() * 100.0
        );
    }
    let _ = writeln!(out, "{cases} cases");
    for (label, list) in [
        ("missed", &report.misses),
        ("false positive", &report.false_positives),
    ] {
        for m in list {
            let _ = writeln!(
                out,
                "{label} {} [{}]: {}\n    {}",
                m.case.id, m.verdict, m.case.command, m.decision.reason
            );
        }
    }
    for f in failures {
        let _ = writeln!(out, "FAIL {f}");
    }
    out
}
