//! `airlock policy validate | test | analyze | diff`: governance as code.
//! Policy sets and `airlock.toml` are validated, tested with `*.test.toml`
//! cases, analysed for the authority they grant (human, JSON or SARIF) and
//! compared across revisions, so that a change to them is reviewed like
//! code in the same pull request.

use std::path::{Path, PathBuf};

use airlock_governance::{analysis, diff, open_source, render, run_tests, validate, Severity};
use anyhow::{Context, Result};
use clap::{Args, Subcommand, ValueEnum};

use super::{EXIT_ALLOW, EXIT_ERROR};

/// Validate, test, analyse and diff policy sets.
#[derive(Debug, Args)]
#[command(after_help = "EXAMPLES:
  airlock policy validate                       # ./airlock.toml and its policies
  airlock policy test examples/safe-default
  airlock policy analyze --format sarif > airlock.sarif
  airlock policy diff git:origin/main:. .

EXIT CODES:
  0 clean, 1 invalid, failing tests, findings at or above --fail-on, or an error")]
pub struct PolicyArgs {
    #[command(subcommand)]
    pub command: PolicyCommand,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Check airlock.toml and the policies against the schema (strict).
    Validate(ValidateArgs),
    /// Run the `*.test.toml` cases next to the policies.
    Test(TestArgs),
    /// The authority matrix and findings: who can do what, where, with
    /// which approvals.
    Analyze(AnalyzeArgs),
    /// Authority added or removed between two policy sets.
    Diff(DiffArgs),
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    #[default]
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum AnalyzeFormat {
    #[default]
    Human,
    Json,
    Sarif,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    #[default]
    High,
    Medium,
    Low,
    Never,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// A project directory or its airlock.toml (default: --config, else
    /// the nearest airlock.toml upward, else the working directory).
    #[arg(value_name = "DIR|airlock.toml")]
    pub path: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Test files or directories searched for `*.test.toml` (default: the
    /// project directory).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Also write a JUnit XML report to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// A project directory, its airlock.toml, or git:REV:path.
    #[arg(value_name = "DIR")]
    pub path: Option<String>,
    #[arg(long, value_enum, default_value_t = AnalyzeFormat::Human)]
    pub format: AnalyzeFormat,
    /// Include the full authority matrix (human and JSON).
    #[arg(long)]
    pub matrix: bool,
    /// Exit 1 when a finding is at least this severe.
    #[arg(long, value_enum, default_value_t = FailOn::High)]
    pub fail_on: FailOn,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The old policy set: a directory, an airlock.toml, or git:REV:path.
    pub old: String,
    /// The new policy set.
    pub new: String,
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
    /// Exit 1 when the new set grants authority the old one did not.
    #[arg(long)]
    pub fail_on_added: bool,
}

pub fn run(config: Option<&Path>, args: PolicyArgs) -> Result<u8> {
    match args.command {
        PolicyCommand::Validate(args) => run_validate(config, args),
        PolicyCommand::Test(args) => run_test(config, args),
        PolicyCommand::Analyze(args) => run_analyze(config, args),
        PolicyCommand::Diff(args) => run_diff(args),
    }
}

/// The project when none is named: `--config`, else the nearest
/// airlock.toml upward, else the working directory.
fn default_project(config: Option<&Path>) -> Result<PathBuf> {
    if let Some(config) = config {
        return Ok(config.to_path_buf());
    }
    let cwd = std::env::current_dir().context("cannot read the working directory")?;
    Ok(cwd
        .ancestors()
        .map(|dir| dir.join("airlock.toml"))
        .find(|candidate| candidate.is_file())
        .unwrap_or(cwd))
}

/// Writes `text` to stdout; a closed pipe (`| head`) is not an error.
fn emit(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

fn print_json(value: &impl serde::Serialize) -> Result<()> {
    emit(&format!("{}\n", serde_json::to_string_pretty(value)?));
    Ok(())
}

fn run_validate(config: Option<&Path>, args: ValidateArgs) -> Result<u8> {
    let path = match args.path {
        Some(path) => path,
        None => default_project(config)?,
    };
    let report = validate(&path);
    match args.format {
        OutputFormat::Human => emit(&render::validation_human(&report)),
        OutputFormat::Json => print_json(&serde_json::json!({
            "valid": report.is_valid(),
            "report": report,
        }))?,
    }
    Ok(if report.is_valid() {
        EXIT_ALLOW
    } else {
        EXIT_ERROR
    })
}

fn run_test(config: Option<&Path>, args: TestArgs) -> Result<u8> {
    let paths = if args.paths.is_empty() {
        let project = default_project(config)?;
        let dir = if project.is_file() {
            project.parent().map(Path::to_path_buf).unwrap_or_default()
        } else {
            project
        };
        vec![dir]
    } else {
        args.paths
    };
    let report = run_tests(&paths)?;
    if let Some(junit) = &args.junit {
        std::fs::write(junit, render::tests_junit(&report))
            .with_context(|| format!("cannot write {}", junit.display()))?;
    }
    match args.format {
        OutputFormat::Human => emit(&render::tests_human(&report)),
        OutputFormat::Json => print_json(&report)?,
    }
    Ok(if report.is_success() {
        EXIT_ALLOW
    } else {
        EXIT_ERROR
    })
}

fn run_analyze(config: Option<&Path>, args: AnalyzeArgs) -> Result<u8> {
    let spec = match args.path {
        Some(spec) => spec,
        None => default_project(config)?.display().to_string(),
    };
    let opened = open_source(&spec)?;
    let result = analysis::analyze(&opened.project)?;
    match args.format {
        AnalyzeFormat::Human => emit(&render::analysis_human(&result, args.matrix)),
        AnalyzeFormat::Json => print_json(&render::analysis_json(&result, args.matrix))?,
        AnalyzeFormat::Sarif => print_json(&render::analysis_sarif(&result))?,
    }
    let threshold = match args.fail_on {
        FailOn::High => Some(Severity::High),
        FailOn::Medium => Some(Severity::Medium),
        FailOn::Low => Some(Severity::Low),
        FailOn::Never => None,
    };
    let failing = match (threshold, result.max_severity()) {
        (Some(threshold), Some(worst)) => worst >= threshold,
        _ => false,
    };
    Ok(if failing { EXIT_ERROR } else { EXIT_ALLOW })
}

fn run_diff(args: DiffArgs) -> Result<u8> {
    let result = diff::diff(&args.old, &args.new)?;
    match args.format {
        OutputFormat::Human => emit(&render::diff_human(&result)),
        OutputFormat::Json => print_json(&serde_json::json!({
            "old": result.old,
            "new": result.new,
            "requests": result.requests,
            "added": result.added(),
            "removed": result.removed(),
            "changes": result.changes,
        }))?,
    }
    Ok(if args.fail_on_added && result.added() > 0 {
        EXIT_ERROR
    } else {
        EXIT_ALLOW
    })
}
