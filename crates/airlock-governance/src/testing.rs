//! `airlock policy test`: `*.test.toml` files next to the policies, each a
//! list of cases (a request — agent, roles, operator, capability, target,
//! effects, optional approvals given — and the expected verdict and
//! approvals), run through the policy engine exactly as airlock decides.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use airlock_model::{
    ApprovalRequirement, Classification, Decision, Effect, EffectKind, EnvTier, Evidence,
    Reversibility, Risk, Sensitivity, Target, TargetKind, ToolKind, Verdict,
};
use airlock_policy::PolicyEngine;
use serde::{Deserialize, Serialize};

use crate::error::{toml_error, GovernanceError};
use crate::project::{Project, CONFIG_FILE_NAME};

/// The suffix of test files.
pub const TEST_SUFFIX: &str = ".test.toml";

const TEST_HINT: &str = "a test file is a list of [[case]] tables with name, capability, target = { kind, name, environment, sensitivity }, effects = [{ kind, risk, reversibility }], optional agent, roles, operator, approvals = [{ by, roles }], and expect = { verdict, min_approvers, approver_roles = { role = count } }; see docs/governance.md";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestFile {
    /// The project configuration these cases run against, relative to the
    /// test file; default: the nearest `airlock.toml` upward.
    #[serde(default)]
    config: Option<PathBuf>,
    #[serde(default, rename = "case")]
    cases: Vec<CaseSpec>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct TargetSpec {
    kind: TargetKind,
    name: String,
    environment: EnvTier,
    sensitivity: Sensitivity,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct EffectSpec {
    kind: EffectKind,
    #[serde(default)]
    risk: Risk,
    #[serde(default)]
    reversibility: Reversibility,
    #[serde(default)]
    rule: String,
    /// Overrides the case's target for this effect.
    #[serde(default)]
    target: Option<TargetSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ApprovalSpec {
    by: String,
    #[serde(default)]
    roles: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectSpec {
    verdict: Verdict,
    #[serde(default)]
    min_approvers: Option<u32>,
    #[serde(default)]
    approver_roles: Option<BTreeMap<String, u32>>,
    #[serde(default)]
    reason_contains: Option<String>,
    #[serde(default)]
    policies: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseSpec {
    name: String,
    #[serde(default)]
    agent: Option<String>,
    #[serde(default)]
    roles: Option<Vec<String>>,
    #[serde(default)]
    operator: Option<String>,
    #[serde(default)]
    tenant: Option<String>,
    capability: String,
    #[serde(default)]
    target: TargetSpec,
    effects: Vec<EffectSpec>,
    #[serde(default)]
    approvals: Vec<ApprovalSpec>,
    expect: ExpectSpec,
}

/// One case's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseResult {
    pub name: String,
    pub passed: bool,
    /// "escalate (2 approvers, at least 1 senior)".
    pub expected: String,
    pub got: String,
    /// The decision's reason sentence.
    pub reason: String,
    /// What did not match, one line each.
    pub failures: Vec<String>,
}

/// The results of one test file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileReport {
    pub file: String,
    /// Set when the file or its policy set could not be loaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub cases: Vec<CaseResult>,
}

/// The results of every test file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TestReport {
    pub files: Vec<FileReport>,
    pub passed: usize,
    pub failed: usize,
}

impl TestReport {
    pub fn is_success(&self) -> bool {
        self.failed == 0 && self.files.iter().all(|f| f.error.is_none())
    }
}

/// Every `*.test.toml` under `root` (a file is returned as is), sorted.
/// `recurse` descends into subdirectories (skipping hidden ones and
/// `target`).
pub fn test_files_in(root: &Path, recurse: bool) -> Vec<PathBuf> {
    if root.is_file() {
        return vec![root.to_path_buf()];
    }
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(root) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if recurse && !name.starts_with('.') && name != "target" {
                found.extend(test_files_in(&path, true));
            }
        } else if name.ends_with(TEST_SUFFIX) {
            found.push(path);
        }
    }
    found.sort();
    found
}

/// Reads and checks one test file; errors point at `line:column`.
pub fn read_test_file(path: &Path) -> Result<usize, GovernanceError> {
    read(path).map(|(file, _)| file.cases.len())
}

fn read(path: &Path) -> Result<(TestFile, String), GovernanceError> {
    let text = std::fs::read_to_string(path).map_err(|source| GovernanceError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let label = path.display().to_string();
    let file: TestFile =
        toml::from_str(&text).map_err(|err| toml_error(&label, &text, &err, TEST_HINT))?;
    for case in &file.cases {
        if capability_tool(&case.capability).is_none() {
            let offset = text.find(&format!("\"{}\"", case.capability)).unwrap_or(0);
            let (line, column) = crate::error::line_column(&text, offset);
            return Err(GovernanceError::Syntax {
                file: label,
                line,
                column,
                message: format!(
                    "case `{}`: unknown capability `{}`",
                    case.name, case.capability
                ),
                hint: "capabilities are shell.exec, file.write, infra.apply and mcp.call"
                    .to_string(),
            });
        }
    }
    Ok((file, text))
}

fn capability_tool(capability: &str) -> Option<ToolKind> {
    ToolKind::ALL
        .into_iter()
        .find(|t| t.capability() == capability)
}

/// The project a test file runs against: its `config`, else the nearest
/// `airlock.toml` at or above its directory, else its directory as a bare
/// policy directory.
fn project_for(path: &Path, file: &TestFile) -> Result<Project, GovernanceError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    if let Some(config) = &file.config {
        return Project::open(&dir.join(config));
    }
    match dir
        .ancestors()
        .map(|d| d.join(CONFIG_FILE_NAME))
        .find(|c| c.is_file())
    {
        Some(config) => Project::from_config_file(&config),
        None => Project::open(dir),
    }
}

/// Runs every test file found under `paths` (files or directories,
/// searched recursively).
pub fn run_tests(paths: &[PathBuf]) -> Result<TestReport, GovernanceError> {
    let mut files: Vec<PathBuf> = Vec::new();
    for path in paths {
        if !path.exists() {
            return Err(GovernanceError::Io {
                path: path.clone(),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "no such file or directory",
                ),
            });
        }
        for file in test_files_in(path, true) {
            if !files.contains(&file) {
                files.push(file);
            }
        }
    }
    if files.is_empty() {
        return Err(GovernanceError::Usage(format!(
            "no *{TEST_SUFFIX} files found under {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let mut report = TestReport::default();
    for path in files {
        let file_report = run_file(&path);
        report.passed += file_report.cases.iter().filter(|c| c.passed).count();
        report.failed += file_report.cases.iter().filter(|c| !c.passed).count();
        report.files.push(file_report);
    }
    Ok(report)
}

fn run_file(path: &Path) -> FileReport {
    let label = path.display().to_string();
    let loaded = read(path).and_then(|(file, _)| {
        let project = project_for(path, &file)?;
        let engine = project.load_engine()?;
        Ok((file, project, engine))
    });
    match loaded {
        Err(err) => FileReport {
            file: label,
            error: Some(err.to_string()),
            cases: Vec::new(),
        },
        Ok((file, project, engine)) => FileReport {
            file: label,
            error: None,
            cases: file
                .cases
                .iter()
                .map(|case| run_case(case, &project, &engine))
                .collect(),
        },
    }
}

fn describe(verdict: Verdict, approvals: Option<&ApprovalRequirement>) -> String {
    match (verdict, approvals) {
        (Verdict::Escalate, Some(a)) => format!("escalate ({})", a.describe()),
        (verdict, _) => verdict.to_string(),
    }
}

/// Whether the approvals given satisfy `requirement`: enough distinct
/// people other than the operator, and enough of them in each role.
fn approvals_satisfy(
    requirement: &ApprovalRequirement,
    given: &[ApprovalSpec],
    operator: Option<&str>,
) -> bool {
    let mut people: Vec<&ApprovalSpec> = Vec::new();
    for approval in given {
        if Some(approval.by.as_str()) == operator || people.iter().any(|p| p.by == approval.by) {
            continue;
        }
        people.push(approval);
    }
    people.len() >= requirement.min_approvers as usize
        && requirement.roles.iter().all(|r| {
            people.iter().filter(|p| p.roles.contains(&r.role)).count() >= r.count as usize
        })
}

fn run_case(case: &CaseSpec, project: &Project, engine: &PolicyEngine) -> CaseResult {
    let mut principal = project.principal();
    if let Some(agent) = &case.agent {
        principal.agent = agent.clone();
    }
    if let Some(roles) = &case.roles {
        principal.roles = roles.clone();
    }
    if let Some(operator) = &case.operator {
        principal.operator = Some(operator.clone());
    }
    if let Some(tenant) = &case.tenant {
        principal.tenant = tenant.clone();
    }
    let tool = capability_tool(&case.capability).unwrap_or(ToolKind::Shell);
    let effects = case
        .effects
        .iter()
        .map(|spec| {
            let target = spec.target.as_ref().unwrap_or(&case.target);
            Effect {
                kind: spec.kind,
                target: Target::new(target.kind, target.name.clone())
                    .with_environment(target.environment)
                    .with_sensitivity(target.sensitivity),
                reversibility: spec.reversibility,
                risk: spec.risk,
                rule: spec.rule.clone(),
                reason: String::new(),
                evidence: Evidence::default(),
            }
        })
        .collect();
    let decision: Decision = engine.decide(
        &principal,
        tool,
        &Classification {
            effects,
            commands: Vec::new(),
        },
    );
    let mut got = describe(decision.verdict, decision.approvals.as_ref());
    let mut verdict = decision.verdict;
    if verdict == Verdict::Escalate && !case.approvals.is_empty() {
        let satisfied = decision.approvals.as_ref().is_some_and(|req| {
            approvals_satisfy(req, &case.approvals, principal.operator.as_deref())
        });
        if satisfied {
            verdict = Verdict::Allow;
            got = format!("allow (approved; {got})");
        } else {
            got = format!("{got}, not satisfied by the approvals given");
        }
    }
    let expect = &case.expect;
    let mut failures = Vec::new();
    if verdict != expect.verdict {
        failures.push(format!(
            "verdict: expected {}, got {}",
            expect.verdict, verdict
        ));
    }
    let approvals = decision.approvals.clone().unwrap_or_default();
    if let Some(min) = expect.min_approvers {
        if approvals.min_approvers != min {
            failures.push(format!(
                "approvers: expected {min}, got {}",
                approvals.min_approvers
            ));
        }
    }
    if let Some(roles) = &expect.approver_roles {
        let got_roles: BTreeMap<String, u32> = approvals
            .roles
            .iter()
            .map(|r| (r.role.clone(), r.count))
            .collect();
        if &got_roles != roles {
            failures.push(format!(
                "approver roles: expected {}, got {}",
                roles_text(roles),
                roles_text(&got_roles)
            ));
        }
    }
    if let Some(fragment) = &expect.reason_contains {
        if !decision.reason.contains(fragment.as_str()) {
            failures.push(format!("reason: expected it to contain `{fragment}`"));
        }
    }
    if let Some(policies) = &expect.policies {
        for id in policies {
            if !decision.policies.contains(id) {
                failures.push(format!(
                    "policies: expected `{id}` among {:?}",
                    decision.policies
                ));
            }
        }
    }
    let expected_approvals = expect.min_approvers.map(|min| ApprovalRequirement {
        min_approvers: min,
        roles: expect
            .approver_roles
            .iter()
            .flatten()
            .map(|(role, count)| airlock_model::RoleRequirement {
                role: role.clone(),
                count: *count,
            })
            .collect(),
    });
    CaseResult {
        name: case.name.clone(),
        passed: failures.is_empty(),
        expected: describe(expect.verdict, expected_approvals.as_ref()),
        got,
        reason: decision.reason,
        failures,
    }
}

fn roles_text(roles: &BTreeMap<String, u32>) -> String {
    if roles.is_empty() {
        return "none".to_string();
    }
    roles
        .iter()
        .map(|(role, count)| format!("{role}:{count}"))
        .collect::<Vec<_>>()
        .join(",")
}
