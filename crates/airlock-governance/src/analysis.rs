//! `airlock policy analyze`: the authority matrix (for every row — role,
//! "any other role", the configured agent — × capability × environment ×
//! effect kind × risk × sensitivity, what the policy set decides) computed by
//! exhaustive enumeration of the finite abstraction in [`crate::space`], and
//! the findings read from it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use airlock_model::{ApprovalRequirement, EffectKind, EnvTier, ToolKind};
use airlock_policy::PolicyOrigin;
use serde::Serialize;

use crate::compile::{Attr, CompiledPolicy};
use crate::error::GovernanceError;
use crate::findings::{Finding, FindingKind, Location, Severity};
use crate::model::{judge, rows, Outcome, PolicySetModel, Row, Verdict};
use crate::project::Project;
use crate::space::{for_each_class, is_other, Request, Space, Truth, Val};

const SENSITIVITIES: [&str; 3] = ["normal", "protected", "critical"];
const RISKS: [&str; 5] = ["none", "low", "medium", "high", "critical"];
const CELLS_PER_ROW: usize = 4 * 5 * 11 * 5 * 3;

/// One line of the authority matrix: for a row, capability, environment,
/// effect kind and sensitivity, the risks at which the policy set decides
/// `verdict`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatrixEntry {
    pub row: String,
    pub capability: String,
    pub environment: String,
    pub effect: String,
    pub sensitivity: String,
    pub risks: Vec<String>,
    pub verdict: Verdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approvals: Option<ApprovalRequirement>,
    /// Ids of the policies behind the verdict.
    pub policies: Vec<String>,
    /// When the decision also depends on other attributes (target name or
    /// kind, reversibility, rule, operator, tenant, agent id): one
    /// assignment under which this entry holds.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub when: BTreeMap<String, String>,
}

/// The result of analysing one policy set.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    /// The matrix rows, in order.
    pub rows: Vec<String>,
    /// How many abstract requests were evaluated.
    pub requests: u64,
    pub method: String,
    pub findings: Vec<Finding>,
    pub matrix: Vec<MatrixEntry>,
}

impl Analysis {
    /// The most severe finding's severity.
    pub fn max_severity(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

/// Loads `project`'s policy set and analyses it.
pub fn analyze(project: &Project) -> Result<Analysis, GovernanceError> {
    let engine = project.load_engine()?;
    let model = PolicySetModel::new(engine, project);
    Ok(analyze_model(&model, project))
}

/// What evaluating one row found.
#[derive(Debug, Default)]
struct Accumulator {
    hits: u64,
    kinds: BTreeSet<usize>,
    environments: BTreeSet<usize>,
    capabilities: BTreeSet<&'static str>,
    policies: BTreeSet<usize>,
    requirements: BTreeSet<String>,
    names: BTreeSet<String>,
}

impl Accumulator {
    fn add(&mut self, request: &Request<'_>, outcome: &Outcome, count: u64) {
        self.hits += count;
        if let Some(k) = kind_index(request.str_of(Attr::EffectKind)) {
            self.kinds.insert(k);
        }
        if let Some(e) = env_index(request.str_of(Attr::Environment)) {
            self.environments.insert(e);
        }
        if let Some(cap) = ToolKind::ALL
            .iter()
            .map(|t| t.capability())
            .find(|c| *c == request.action)
        {
            self.capabilities.insert(cap);
        }
        self.policies.extend(outcome.policies.iter().copied());
        if let Some(approvals) = &outcome.approvals {
            self.requirements.insert(approvals.describe());
        }
    }
}

#[derive(Debug, Clone, Default)]
struct PolicyStats {
    satisfied: bool,
    unsatisfied: bool,
    unknown: bool,
    /// A permit that was satisfied with no forbid satisfied.
    decisive: bool,
    /// Forbids with the same outcome satisfied every time this one was.
    covered_by: Option<Vec<usize>>,
    /// Decisions left not analysed because of this policy.
    undecided: u64,
}

type Cell = Vec<(Outcome, BTreeMap<String, String>)>;

struct RowResult {
    row: usize,
    requests: u64,
    cells: Vec<Cell>,
    stats: Vec<PolicyStats>,
    production: Accumulator,
    irreversible: Accumulator,
    weak: Accumulator,
    self_change: Accumulator,
}

fn kind_index(kind: &str) -> Option<usize> {
    EffectKind::ALL.iter().position(|k| k.as_str() == kind)
}

fn env_index(env: &str) -> Option<usize> {
    EnvTier::ALL.iter().position(|e| e.as_str() == env)
}

fn cell_index(request: &Request<'_>) -> Option<usize> {
    let action = ToolKind::ALL
        .iter()
        .position(|t| t.capability() == request.action)?;
    let env = env_index(request.str_of(Attr::Environment))?;
    let kind = kind_index(request.str_of(Attr::EffectKind))?;
    let risk = usize::try_from(request.risk()).ok().filter(|r| *r < 5)?;
    let sensitivity = SENSITIVITIES
        .iter()
        .position(|s| *s == request.str_of(Attr::Sensitivity))?;
    Some((((action * 5 + env) * 11 + kind) * 5 + risk) * 3 + sensitivity)
}

/// Whether forbid `g` decides the same as forbid `f` whenever both apply:
/// both deny, or both escalate and `g` asks at least what `f` asks.
fn covers(g: &CompiledPolicy, f: &CompiledPolicy) -> bool {
    if g.is_permit() || f.is_permit() || g.index == f.index {
        return false;
    }
    match (g.approvals(), f.approvals()) {
        (None, None) => true,
        (Some(ga), Some(fa)) => &ga.merge(fa) == ga,
        _ => false,
    }
}

const DESTRUCTIVE: [&str; 4] = ["delete", "destroy", "replace", "overwrite"];
const PRODUCTION_DESTROY: [&str; 3] = ["delete", "destroy", "replace"];

/// Analyses a compiled policy set.
pub fn analyze_model(model: &PolicySetModel, project: &Project) -> Analysis {
    let all_rows = rows(&[model], &[project]);
    let policy_count = model.engine.policies().len();
    let covers_table: Vec<Vec<bool>> = (0..policy_count)
        .map(|g| {
            (0..policy_count)
                .map(|f| match (model.compiled.get(g), model.compiled.get(f)) {
                    (Some(g), Some(f)) => covers(g, f),
                    _ => false,
                })
                .collect()
        })
        .collect();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<RowResult>> = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(all_rows.len())
        .max(1);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(row) = all_rows.get(index) else {
                    break;
                };
                let result = analyse_row(model, project, index, row, &covers_table);
                if let Ok(mut results) = results.lock() {
                    results.push(result);
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_default();
    results.sort_by_key(|r| r.row);

    let requests: u64 = results.iter().map(|r| r.requests).sum();
    let method = format!("exhaustive enumeration over {requests} abstract requests");
    let mut stats = vec![PolicyStats::default(); policy_count];
    for result in &results {
        for (merged, partial) in stats.iter_mut().zip(&result.stats) {
            merged.satisfied |= partial.satisfied;
            merged.unsatisfied |= partial.unsatisfied;
            merged.unknown |= partial.unknown;
            merged.decisive |= partial.decisive;
            merged.undecided += partial.undecided;
            merged.covered_by = match (merged.covered_by.take(), &partial.covered_by) {
                (None, other) => other.clone(),
                (mine, None) => mine,
                (Some(mine), Some(other)) => {
                    Some(mine.into_iter().filter(|g| other.contains(g)).collect())
                }
            };
        }
    }

    let mut findings = Vec::new();
    row_findings(model, project, &all_rows, &results, &method, &mut findings);
    policy_findings(model, &stats, &method, &mut findings);
    agent_findings(model, project, &mut findings);
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.id.cmp(b.id))
            .then(a.message.cmp(&b.message))
    });

    let matrix = build_matrix(model, &all_rows, &results);
    Analysis {
        rows: all_rows.iter().map(|r| r.label.clone()).collect(),
        requests,
        method,
        findings,
        matrix,
    }
}

fn analyse_row(
    model: &PolicySetModel,
    project: &Project,
    index: usize,
    row: &Row,
    covers_table: &[Vec<bool>],
) -> RowResult {
    let policy_count = model.engine.policies().len();
    let slice = model.slice(&row.principal.roles);
    let space = Space::build(&row.principal, &model.literals, &slice);
    let mut result = RowResult {
        row: index,
        requests: space.size(),
        cells: vec![Vec::new(); CELLS_PER_ROW],
        stats: vec![PolicyStats::default(); policy_count],
        production: Accumulator::default(),
        irreversible: Accumulator::default(),
        weak: Accumulator::default(),
        self_change: Accumulator::default(),
    };
    // Policies outside the slice never apply to this row.
    for policy in &model.compiled {
        if !slice.iter().any(|p| p.index == policy.index) {
            if let Some(stats) = result.stats.get_mut(policy.index) {
                stats.unsatisfied = true;
            }
        }
    }
    let varying: Vec<(usize, &'static str)> = [
        (Attr::Operator, "operator"),
        (Attr::Tenant, "tenant"),
        (Attr::TargetKind, "target kind"),
        (Attr::TargetName, "target name"),
        (Attr::Reversibility, "reversibility"),
        (Attr::Rule, "rule"),
    ]
    .iter()
    .filter(|(attr, _)| space.attrs.get(attr.index()).is_some_and(|v| v.len() > 1))
    .map(|(attr, name)| (attr.index(), *name))
    .collect();
    let reversibility_free = space
        .collapsed
        .get(Attr::Reversibility.index())
        .copied()
        .unwrap_or(false);
    let floor = &project.floor;
    let mut satisfied_forbids: Vec<usize> = Vec::new();
    for_each_class(
        &space,
        &row.principal.roles,
        &slice,
        |request, truths, count| {
            let outcome = judge(&slice, truths);
            satisfied_forbids.clear();
            let mut any_forbid = false;
            for (policy, truth) in slice.iter().zip(truths) {
                if *truth == Truth::True && !policy.is_permit() {
                    any_forbid = true;
                    satisfied_forbids.push(policy.index);
                }
            }
            for (policy, truth) in slice.iter().zip(truths) {
                let Some(stats) = result.stats.get_mut(policy.index) else {
                    continue;
                };
                match truth {
                    Truth::True => {
                        stats.satisfied = true;
                        if policy.is_permit() {
                            stats.decisive |= !any_forbid;
                        } else {
                            let covering = satisfied_forbids.iter().copied().filter(|g| {
                                covers_table
                                    .get(*g)
                                    .and_then(|c| c.get(policy.index))
                                    .copied()
                                    .unwrap_or(false)
                            });
                            stats.covered_by = Some(match stats.covered_by.take() {
                                None => covering.collect(),
                                Some(previous) => {
                                    let now: Vec<usize> = covering.collect();
                                    previous.into_iter().filter(|g| now.contains(g)).collect()
                                }
                            });
                        }
                    }
                    Truth::False => stats.unsatisfied = true,
                    Truth::Unknown => stats.unknown = true,
                }
            }
            if outcome.verdict == Verdict::NotAnalysed {
                for index in &outcome.policies {
                    if let Some(stats) = result.stats.get_mut(*index) {
                        stats.undecided += count;
                    }
                }
            }
            let kind = request.str_of(Attr::EffectKind);
            let env = request.str_of(Attr::Environment);
            let risk = request.risk();
            if outcome.verdict == Verdict::Allow {
                if env == "production" && kind != "read" {
                    result.production.add(request, &outcome, count);
                } else if DESTRUCTIVE.contains(&kind) {
                    let irreversible =
                        reversibility_free || request.str_of(Attr::Reversibility) == "irreversible";
                    if risk >= 3 || (irreversible && risk >= 2) {
                        result.irreversible.add(request, &outcome, count);
                    }
                }
            }
            if outcome.verdict == Verdict::Escalate
                && env == "production"
                && PRODUCTION_DESTROY.contains(&kind)
            {
                if let Some(approvals) = &outcome.approvals {
                    let too_few = approvals.min_approvers < floor.production_destroy_min_approvers;
                    let no_role = floor.require_role_for_production && approvals.roles.is_empty();
                    if too_few || no_role {
                        result.weak.add(request, &outcome, count);
                    }
                }
            }
            if let Some(cell) = cell_index(request).and_then(|i| result.cells.get_mut(i)) {
                // One entry per decision; the policies behind it accumulate.
                match cell.iter_mut().find(|(o, _)| o.same_decision(&outcome)) {
                    Some((existing, _)) => {
                        for index in &outcome.policies {
                            if !existing.policies.contains(index) {
                                existing.policies.push(*index);
                            }
                        }
                    }
                    None => {
                        let when = varying
                            .iter()
                            .filter_map(|(i, name)| {
                                request
                                    .values
                                    .get(*i)
                                    .map(|v| (name.to_string(), describe_value(v)))
                            })
                            .collect();
                        cell.push((outcome, when));
                    }
                }
            }
        },
    );

    // Can the agent change airlock's own configuration or policies?
    let mut self_space = space.clone();
    self_space.actions = vec![
        ToolKind::Shell.capability(),
        ToolKind::FileWrite.capability(),
    ];
    let set = |values: &[&str]| {
        values
            .iter()
            .map(|v| Val::Str(v.to_string()))
            .collect::<Vec<_>>()
    };
    let mut names: Vec<String> = ["airlock.toml", "policies/", ".airlock/policies/"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mentions_airlock = |name: &str| name.contains("airlock") || name.contains("polic");
    for name in &model.literals.names {
        if mentions_airlock(name) && !names.contains(name) {
            names.push(name.clone());
        }
    }
    for lit in model
        .literals
        .attrs
        .get(Attr::TargetName.index())
        .into_iter()
        .flatten()
    {
        if let crate::compile::Lit::Str(name) = lit {
            if mentions_airlock(name) && !names.contains(name) {
                names.push(name.clone());
            }
        }
    }
    let replacements: [(Attr, Vec<Val>); 4] = [
        (Attr::EffectKind, set(&["write", "overwrite", "delete"])),
        (Attr::Sensitivity, set(&["protected"])),
        (Attr::TargetKind, set(&["path"])),
        (
            Attr::TargetName,
            names.iter().map(|n| Val::Str(n.clone())).collect(),
        ),
    ];
    for (attr, values) in replacements {
        if let Some(slot) = self_space.attrs.get_mut(attr.index()) {
            *slot = values;
        }
    }
    for_each_class(
        &self_space,
        &row.principal.roles,
        &slice,
        |request, truths, count| {
            let outcome = judge(&slice, truths);
            if outcome.verdict == Verdict::Allow {
                result.self_change.add(request, &outcome, count);
                result
                    .self_change
                    .names
                    .insert(request.str_of(Attr::TargetName).to_string());
            }
        },
    );
    result
}

fn describe_value(value: &Val) -> String {
    let text = value.as_str();
    if is_other(&text) {
        "any other value".to_string()
    } else {
        text
    }
}

fn location_of(model: &PolicySetModel, index: usize) -> Option<Location> {
    model.engine.policies().get(index).map(|info| Location {
        policy: info.id.clone(),
        file: info.file.clone(),
        line: info.line,
        column: info.column,
    })
}

fn locations(model: &PolicySetModel, indices: &BTreeSet<usize>) -> Vec<Location> {
    indices
        .iter()
        .filter_map(|i| location_of(model, *i))
        .collect()
}

/// "replace, destroy or delete", destructive kinds first.
fn kinds_phrase(kinds: &BTreeSet<usize>) -> String {
    let order = [
        "replace",
        "destroy",
        "delete",
        "overwrite",
        "write",
        "privilege",
        "exfiltrate",
        "network",
        "execute",
        "unknown",
        "read",
    ];
    let named: Vec<&str> = order
        .iter()
        .filter(|name| {
            kinds
                .iter()
                .filter_map(|k| EffectKind::ALL.get(*k))
                .any(|k| k.as_str() == **name)
        })
        .map(|name| match *name {
            "write" => "write to",
            "privilege" => "use privilege on",
            "exfiltrate" => "send data out of",
            "network" => "make network calls to",
            "execute" => "run programs on",
            "unknown" => "do unclassifiable things to",
            other => other,
        })
        .collect();
    join_or(&named)
}

fn join_or(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

fn environments_phrase(environments: &BTreeSet<usize>) -> String {
    let names: Vec<&str> = environments
        .iter()
        .filter_map(|e| EnvTier::ALL.get(*e))
        .map(|e| e.as_str())
        .collect();
    join_or(&names)
}

fn subject(row: &Row) -> String {
    match (&row.role, row.configured_agent) {
        (Some(role), _) => format!("agent role `{role}`"),
        (None, true) => format!("the configured {}", row.label),
        (None, false) => "an agent with a role no policy names".to_string(),
    }
}

/// "; the two-person rule is bypassed because …" when the row's authority
/// comes from a human role the configured agent holds.
fn bypass_note(model: &PolicySetModel, project: &Project, row: &Row) -> String {
    if project.config_path.is_none() {
        return String::new();
    }
    let held: Vec<&String> = row
        .principal
        .roles
        .iter()
        .filter(|r| model.human_roles.contains(*r) && project.agent.roles.contains(*r))
        .collect();
    match held.first() {
        Some(role) => format!(
            "; the two-person rule is bypassed because the agent `{}` holds its operator's role `{role}`",
            project.agent.id
        ),
        None => String::new(),
    }
}

fn row_findings(
    model: &PolicySetModel,
    project: &Project,
    all_rows: &[Row],
    results: &[RowResult],
    method: &str,
    findings: &mut Vec<Finding>,
) {
    // A configured agent's finding is reported only when none of its roles
    // alone already explains it.
    let explained = |row: &Row, pick: &dyn Fn(&RowResult) -> &Accumulator| {
        row.configured_agent
            && results.iter().any(|r| {
                all_rows.get(r.row).is_some_and(|other| {
                    other
                        .role
                        .as_ref()
                        .is_some_and(|role| row.principal.roles.contains(role))
                        && pick(r).hits > 0
                })
            })
    };
    for result in results {
        let Some(row) = all_rows.get(result.row) else {
            continue;
        };
        let who = subject(row);
        let bypass = bypass_note(model, project, row);
        let production = &result.production;
        if production.hits > 0 && !explained(row, &|r| &r.production) {
            findings.push(Finding {
                id: FindingKind::ExcessiveAuthority.id(),
                kind: FindingKind::ExcessiveAuthority,
                severity: Severity::High,
                message: format!(
                    "{who} can {} production targets with no approval (through {}){bypass}",
                    kinds_phrase(&production.kinds),
                    production
                        .capabilities
                        .iter()
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                locations: locations(model, &production.policies),
                method: method.to_string(),
            });
        }
        let irreversible = &result.irreversible;
        if irreversible.hits > 0 && !explained(row, &|r| &r.irreversible) {
            let only_throwaway = irreversible.environments.iter().all(|e| {
                EnvTier::ALL
                    .get(*e)
                    .is_some_and(|t| matches!(t, EnvTier::Scratch | EnvTier::Development))
            });
            findings.push(Finding {
                id: FindingKind::ExcessiveAuthority.id(),
                kind: FindingKind::ExcessiveAuthority,
                severity: if only_throwaway { Severity::Low } else { Severity::Medium },
                message: format!(
                    "{who} can irreversibly {} {} targets at high risk with no approval (through {}){bypass}",
                    kinds_phrase(&irreversible.kinds),
                    environments_phrase(&irreversible.environments),
                    irreversible.capabilities.iter().copied().collect::<Vec<_>>().join(", "),
                ),
                locations: locations(model, &irreversible.policies),
                method: method.to_string(),
            });
        }
        let weak = &result.weak;
        if weak.hits > 0 && !explained(row, &|r| &r.weak) {
            let floor = &project.floor;
            let role_part = if floor.require_role_for_production {
                " including an approver with a named role"
            } else {
                ""
            };
            findings.push(Finding {
                id: FindingKind::WeakEscalation.id(),
                kind: FindingKind::WeakEscalation,
                severity: Severity::High,
                message: format!(
                    "{who} can {} production targets with only {} — below the floor of {} approver{}{role_part}",
                    kinds_phrase(&weak.kinds),
                    weak.requirements.iter().cloned().collect::<Vec<_>>().join(" or "),
                    floor.production_destroy_min_approvers,
                    if floor.production_destroy_min_approvers == 1 { "" } else { "s" },
                ),
                locations: locations(model, &weak.policies),
                method: method.to_string(),
            });
        }
        let change = &result.self_change;
        if change.hits > 0 && !explained(row, &|r| &r.self_change) {
            findings.push(Finding {
                id: FindingKind::SelfModification.id(),
                kind: FindingKind::SelfModification,
                severity: Severity::High,
                message: format!(
                    "{who} can {} airlock's own configuration or policies ({}) with no approval (through {}), and so could remove every other rule",
                    kinds_phrase(&change.kinds),
                    change.names.iter().cloned().collect::<Vec<_>>().join(", "),
                    change.capabilities.iter().copied().collect::<Vec<_>>().join(", "),
                ),
                locations: locations(model, &change.policies),
                method: method.to_string(),
            });
        }
    }
}

fn policy_findings(
    model: &PolicySetModel,
    stats: &[PolicyStats],
    method: &str,
    findings: &mut Vec<Finding>,
) {
    let subsumer = |index: usize| -> Option<usize> {
        stats
            .get(index)
            .filter(|s| s.satisfied)
            .and_then(|s| s.covered_by.as_ref())
            .and_then(|c| c.first().copied())
    };
    for policy in &model.compiled {
        let Some(stat) = stats.get(policy.index) else {
            continue;
        };
        let here = location_of(model, policy.index)
            .into_iter()
            .collect::<Vec<_>>();
        let id = &policy.info.id;
        if !policy.unsupported.is_empty() {
            findings.push(Finding {
                id: FindingKind::NotAnalysed.id(),
                kind: FindingKind::NotAnalysed,
                severity: Severity::Low,
                message: format!(
                    "policy `{id}` uses {} which the analysis does not model; {} decisions it could change are reported as not analysed",
                    policy.unsupported.join(", "),
                    stat.undecided
                ),
                locations: here.clone(),
                method: "not analysed".to_string(),
            });
            continue;
        }
        if stat.unknown {
            continue;
        }
        let what = if policy.is_permit() {
            "permit"
        } else {
            "forbid"
        };
        if !stat.satisfied {
            findings.push(Finding {
                id: FindingKind::IneffectivePolicy.id(),
                kind: FindingKind::IneffectivePolicy,
                severity: if policy.is_permit() { Severity::Low } else { Severity::Medium },
                message: format!(
                    "{what} `{id}` can never apply: no role, capability, target or effect satisfies its scope and condition{}",
                    if policy.is_permit() { "" } else { ", so the protection it appears to give does not exist" }
                ),
                locations: here,
                method: method.to_string(),
            });
            continue;
        }
        if policy.is_permit() {
            if !stat.decisive {
                findings.push(Finding {
                    id: FindingKind::IneffectivePolicy.id(),
                    kind: FindingKind::IneffectivePolicy,
                    severity: Severity::Low,
                    message: format!(
                        "permit `{id}` never changes a decision: every case it permits is also forbidden or escalated by another policy"
                    ),
                    locations: here.clone(),
                    method: method.to_string(),
                });
            }
            if !stat.unsatisfied && policy.role_scope.is_none() {
                findings.push(Finding {
                    id: FindingKind::BroadPermit.id(),
                    kind: FindingKind::BroadPermit,
                    severity: Severity::Medium,
                    message: format!(
                        "permit `{id}` allows every capability on every target for every role and effect: only forbids stand between an agent and anything"
                    ),
                    locations: here,
                    method: method.to_string(),
                });
            }
            continue;
        }
        if let Some(other) = subsumer(policy.index) {
            // Two forbids that always apply together: report the later one.
            if subsumer(other) == Some(policy.index) && other > policy.index {
                continue;
            }
            let other_id = model
                .engine
                .policies()
                .get(other)
                .map_or("?", |p| p.id.as_str());
            let mut involved = here;
            involved.extend(location_of(model, other));
            findings.push(Finding {
                id: FindingKind::IneffectivePolicy.id(),
                kind: FindingKind::IneffectivePolicy,
                severity: Severity::Low,
                message: format!(
                    "forbid `{id}` is redundant: whenever it applies, `{other_id}` applies too with the same or a stronger outcome"
                ),
                locations: involved,
                method: method.to_string(),
            });
        }
    }
}

/// The configuration line that sets `key`, for locations in `airlock.toml`.
fn config_location(project: &Project, key: &str) -> Vec<Location> {
    let Some(path) = &project.config_path else {
        return Vec::new();
    };
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let line = text
        .lines()
        .position(|l| l.trim_start().starts_with(key))
        .map_or(1, |i| i + 1);
    vec![Location {
        policy: "airlock.toml".to_string(),
        file: path.display().to_string(),
        line,
        column: 1,
    }]
}

fn agent_findings(model: &PolicySetModel, project: &Project, findings: &mut Vec<Finding>) {
    let method = "configuration and policy scope check";
    if project.config_path.is_some() {
        for role in &project.agent.roles {
            if !model.human_roles.contains(role) {
                continue;
            }
            let approving: Vec<&CompiledPolicy> = model
                .compiled
                .iter()
                .filter(|p| {
                    p.approvals()
                        .is_some_and(|a| a.roles.iter().any(|r| &r.role == role))
                })
                .collect();
            let why = match approving.first() {
                Some(p) => format!(
                    "escalations such as `{}` need a `{role}` approver",
                    p.info.id
                ),
                None => format!("`{role}` is listed as a human role under [governance]"),
            };
            let operator = project
                .agent
                .operator
                .as_ref()
                .map_or(String::new(), |o| format!(" of its operator `{o}`"));
            let mut involved = config_location(project, "roles");
            involved.extend(approving.iter().filter_map(|p| location_of(model, p.index)));
            findings.push(Finding {
                id: FindingKind::AgentHoldsHumanAuthority.id(),
                kind: FindingKind::AgentHoldsHumanAuthority,
                severity: Severity::High,
                message: format!(
                    "agent `{}` holds the human role `{role}`{operator} ({why}): the agent acts with a person's authority, and rules that count on a `{role}` to check its work can be satisfied by the role it holds itself",
                    project.agent.id
                ),
                locations: involved,
                method: method.to_string(),
            });
        }
    }
    for policy in &model.compiled {
        if !policy.is_permit() {
            continue;
        }
        let here: Vec<Location> = location_of(model, policy.index).into_iter().collect();
        if policy.reads(Attr::Operator) {
            findings.push(Finding {
                id: FindingKind::AgentHoldsHumanAuthority.id(),
                kind: FindingKind::AgentHoldsHumanAuthority,
                severity: Severity::High,
                message: format!(
                    "permit `{}` grants authority according to the person an agent acts for (principal.operator): the agent acts with its operator's authority",
                    policy.info.id
                ),
                locations: here.clone(),
                method: method.to_string(),
            });
        }
        if let Some(role) = &policy.role_scope {
            if model.human_roles.contains(role) && policy.info.origin == PolicyOrigin::Project {
                findings.push(Finding {
                    id: FindingKind::AgentHoldsHumanAuthority.id(),
                    kind: FindingKind::AgentHoldsHumanAuthority,
                    severity: Severity::Medium,
                    message: format!(
                        "permit `{}` grants agents holding `{role}` authority, but `{role}` is a role people hold to approve escalations: an agent given it could approve its own actions",
                        policy.info.id
                    ),
                    locations: here,
                    method: method.to_string(),
                });
            }
        }
    }
}

fn build_matrix(
    model: &PolicySetModel,
    all_rows: &[Row],
    results: &[RowResult],
) -> Vec<MatrixEntry> {
    let ids = |indices: &[usize]| -> Vec<String> {
        indices
            .iter()
            .filter_map(|i| model.engine.policies().get(*i))
            .map(|p| p.id.clone())
            .collect()
    };
    let mut entries = Vec::new();
    for result in results {
        let Some(row) = all_rows.get(result.row) else {
            continue;
        };
        for (action_index, tool) in ToolKind::ALL.iter().enumerate() {
            for (env_index, env) in EnvTier::ALL.iter().enumerate() {
                for (kind_index, kind) in EffectKind::ALL.iter().enumerate() {
                    for (sensitivity_index, sensitivity) in SENSITIVITIES.iter().enumerate() {
                        // Outcome → risks, in risk order.
                        let mut grouped: Vec<(Outcome, BTreeMap<String, String>, Vec<String>)> =
                            Vec::new();
                        for (risk_index, risk) in RISKS.iter().enumerate() {
                            let index = (((action_index * 5 + env_index) * 11 + kind_index) * 5
                                + risk_index)
                                * 3
                                + sensitivity_index;
                            let Some(cell) = result.cells.get(index) else {
                                continue;
                            };
                            let varies = cell.len() > 1;
                            for (outcome, when) in cell {
                                let mut outcome = outcome.clone();
                                outcome.policies.sort_unstable();
                                let when = if varies {
                                    when.clone()
                                } else {
                                    BTreeMap::new()
                                };
                                match grouped
                                    .iter_mut()
                                    .find(|(o, w, _)| *o == outcome && *w == when)
                                {
                                    Some((_, _, risks)) => risks.push(risk.to_string()),
                                    None => grouped.push((outcome, when, vec![risk.to_string()])),
                                }
                            }
                        }
                        for (outcome, when, risks) in grouped {
                            entries.push(MatrixEntry {
                                row: row.label.clone(),
                                capability: tool.capability().to_string(),
                                environment: env.as_str().to_string(),
                                effect: kind.as_str().to_string(),
                                sensitivity: sensitivity.to_string(),
                                risks,
                                verdict: outcome.verdict,
                                approvals: outcome.approvals.clone(),
                                policies: ids(&outcome.policies),
                                when,
                            });
                        }
                    }
                }
            }
        }
    }
    entries
}
