//! `airlock policy validate`: the project configuration (TOML format and
//! shape, with `line:column`), its policies (parsed, annotations checked,
//! strictly validated against the schema) and its `*.test.toml` files.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::GovernanceError;
use crate::project::Project;
use crate::testing;

/// One problem found, at `file:line:column` when it has a position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// The whole message: `file:line:column: what` and a hint line.
    pub message: String,
}

impl From<&GovernanceError> for Problem {
    fn from(err: &GovernanceError) -> Self {
        let position = err.position();
        Problem {
            file: err.file().map(str::to_string),
            line: position.map(|p| p.0),
            column: position.map(|p| p.1),
            message: err.to_string(),
        }
    }
}

/// What validation looked at and what it found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ValidationReport {
    /// The configuration file read, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
    /// Policy directories checked.
    pub policy_dirs: Vec<String>,
    /// Number of policies loaded (default pack included when extending).
    pub policies: usize,
    /// Test files parsed.
    pub test_files: Vec<String>,
    pub problems: Vec<Problem>,
}

impl ValidationReport {
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Validates the project at `path` (a directory or an `airlock.toml`).
pub fn validate(path: &Path) -> ValidationReport {
    let mut report = ValidationReport::default();
    let project = match Project::open(path) {
        Ok(project) => project,
        Err(err) => {
            report.problems.push(Problem::from(&err));
            return report;
        }
    };
    report.config = project
        .config_path
        .as_ref()
        .map(|p| p.display().to_string());
    report.policy_dirs = project
        .sources
        .dirs
        .iter()
        .map(|d| d.display().to_string())
        .collect();
    match project.load_engine() {
        Ok(engine) => report.policies = engine.policies().len(),
        Err(err) => report.problems.push(Problem::from(&err)),
    }
    let mut roots: Vec<PathBuf> = project.sources.dirs.clone();
    if let Some(dir) = project.config_path.as_ref().and_then(|p| p.parent()) {
        roots.push(dir.to_path_buf());
    }
    let mut files: Vec<PathBuf> = Vec::new();
    for root in roots {
        for file in testing::test_files_in(&root, false) {
            if !files.contains(&file) {
                files.push(file);
            }
        }
    }
    for file in files {
        report.test_files.push(file.display().to_string());
        if let Err(err) = testing::read_test_file(&file) {
            report.problems.push(Problem::from(&err));
        }
    }
    report
}
