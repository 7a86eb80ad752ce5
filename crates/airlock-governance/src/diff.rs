//! `airlock policy diff OLD NEW`: both policy sets are evaluated over the
//! same abstract requests (the literals of both, plus "any other value"),
//! and every difference in what they decide is reported as authority added,
//! removed or changed, grouped in the authority matrix's terms.

use std::collections::{BTreeMap, BTreeSet};

use airlock_model::EffectKind;
use serde::Serialize;

use crate::compile::{Attr, CompiledPolicy, Literals};
use crate::error::GovernanceError;
use crate::model::{evaluate, judge, rows, Outcome, PolicySetModel, Row, Verdict};
use crate::project::{open_source, Project};
use crate::space::{enumerate, Space};

/// Row, environment, effect kind, before and after: what a group of
/// changed decisions shares.
type Key = (usize, usize, usize, String, String);
/// The capabilities, risks and sensitivities a group covers, and its
/// outcomes before and after.
type Group = (
    BTreeSet<String>,
    BTreeSet<i64>,
    BTreeSet<String>,
    Outcome,
    Outcome,
);

/// Which way authority moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeDirection {
    /// The new set lets something through more easily.
    Added,
    /// The new set is stricter.
    Removed,
    /// Different requirements, neither stricter.
    Changed,
}

/// A group of decisions that changed the same way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthorityChange {
    pub direction: ChangeDirection,
    pub row: String,
    pub environment: String,
    pub effect: String,
    pub capabilities: Vec<String>,
    pub risks: Vec<String>,
    pub sensitivities: Vec<String>,
    pub before: String,
    pub after: String,
    /// The change in a sentence.
    pub message: String,
}

/// What changed between two policy sets.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyDiff {
    pub old: String,
    pub new: String,
    pub requests: u64,
    pub changes: Vec<AuthorityChange>,
}

impl PolicyDiff {
    pub fn added(&self) -> usize {
        self.count(ChangeDirection::Added)
    }

    pub fn removed(&self) -> usize {
        self.count(ChangeDirection::Removed)
    }

    fn count(&self, direction: ChangeDirection) -> usize {
        self.changes
            .iter()
            .filter(|c| c.direction == direction)
            .count()
    }
}

/// Compares the policy sets named by two sources (directories,
/// `airlock.toml` files, or `git:REV:path`).
pub fn diff(old: &str, new: &str) -> Result<PolicyDiff, GovernanceError> {
    let old_project = open_source(old)?;
    let new_project = open_source(new)?;
    diff_projects(&old_project.project, &new_project.project, old, new)
}

/// Compares two opened projects.
pub fn diff_projects(
    old: &Project,
    new: &Project,
    old_label: &str,
    new_label: &str,
) -> Result<PolicyDiff, GovernanceError> {
    let old_model = PolicySetModel::new(old.load_engine()?, old);
    let new_model = PolicySetModel::new(new.load_engine()?, new);
    let mut literals = Literals::default();
    for model in [&old_model, &new_model] {
        for policy in &model.compiled {
            policy.collect_literals(&mut literals);
        }
    }
    let all_rows = rows(&[&old_model, &new_model], &[old, new]);
    let mut groups: BTreeMap<Key, Group> = BTreeMap::new();
    let mut requests = 0u64;
    let mut old_truths = Vec::new();
    let mut new_truths = Vec::new();
    for (row_index, row) in all_rows.iter().enumerate() {
        let old_slice = old_model.slice(&row.principal.roles);
        let new_slice = new_model.slice(&row.principal.roles);
        let both: Vec<&CompiledPolicy> = old_slice.iter().chain(&new_slice).copied().collect();
        let space = Space::build(&row.principal, &literals, &both);
        requests += space.size();
        enumerate(&space, &row.principal.roles, |request| {
            evaluate(&old_slice, request, &mut old_truths);
            evaluate(&new_slice, request, &mut new_truths);
            let before = judge(&old_slice, &old_truths);
            let after = judge(&new_slice, &new_truths);
            if before.same_decision(&after) {
                return;
            }
            let env = crate::space::Val::as_str(request.value(Attr::Environment));
            let kind = request.str_of(Attr::EffectKind);
            let kind_index = EffectKind::ALL
                .iter()
                .position(|k| k.as_str() == kind)
                .unwrap_or(0);
            let env_index = airlock_model::EnvTier::ALL
                .iter()
                .position(|e| e.as_str() == env)
                .unwrap_or(0);
            let key = (
                row_index,
                env_index,
                kind_index,
                before.describe(),
                after.describe(),
            );
            let entry = groups.entry(key).or_insert_with(|| {
                (
                    BTreeSet::new(),
                    BTreeSet::new(),
                    BTreeSet::new(),
                    before.clone(),
                    after.clone(),
                )
            });
            entry.0.insert(request.action.to_string());
            entry.1.insert(request.risk());
            entry
                .2
                .insert(request.str_of(Attr::Sensitivity).to_string());
        });
    }
    let risk_names = ["none", "low", "medium", "high", "critical"];
    let mut changes: Vec<AuthorityChange> = groups
        .into_iter()
        .filter_map(
            |((row_index, env_index, kind_index, _, _), (caps, risks, sens, before, after))| {
                let row = all_rows.get(row_index)?;
                let env = airlock_model::EnvTier::ALL.get(env_index)?.as_str();
                let kind = EffectKind::ALL.get(kind_index)?.as_str();
                let direction = direction(&before, &after);
                let risks: Vec<String> = risks
                    .iter()
                    .filter_map(|r| usize::try_from(*r).ok().and_then(|r| risk_names.get(r)))
                    .map(|r| r.to_string())
                    .collect();
                let capabilities: Vec<String> = caps.into_iter().collect();
                let sensitivities: Vec<String> = sens.into_iter().collect();
                let message = sentence(
                    row,
                    direction,
                    env,
                    kind,
                    &before,
                    &after,
                    &capabilities,
                    &risks,
                    &sensitivities,
                );
                Some(AuthorityChange {
                    direction,
                    row: row.label.clone(),
                    environment: env.to_string(),
                    effect: kind.to_string(),
                    capabilities,
                    risks,
                    sensitivities,
                    before: before.describe(),
                    after: after.describe(),
                    message,
                })
            },
        )
        .collect();
    changes.sort_by_key(|c| c.direction);
    Ok(PolicyDiff {
        old: old_label.to_string(),
        new: new_label.to_string(),
        requests,
        changes,
    })
}

/// Whether `after` grants more (Added), less (Removed) or different
/// authority than `before`.
fn direction(before: &Outcome, after: &Outcome) -> ChangeDirection {
    let rank = |o: &Outcome| match o.verdict {
        Verdict::Allow => Some(0),
        Verdict::Escalate => Some(1),
        Verdict::Deny => Some(2),
        Verdict::NotAnalysed => None,
    };
    match (rank(before), rank(after)) {
        (Some(b), Some(a)) if a < b => ChangeDirection::Added,
        (Some(b), Some(a)) if a > b => ChangeDirection::Removed,
        (Some(1), Some(1)) => match (&before.approvals, &after.approvals) {
            (Some(b), Some(a)) if &b.merge(a) == b => ChangeDirection::Added,
            (Some(b), Some(a)) if &a.merge(b) == a => ChangeDirection::Removed,
            _ => ChangeDirection::Changed,
        },
        _ => ChangeDirection::Changed,
    }
}

fn verb(kind: &str) -> &str {
    match kind {
        "write" => "write to",
        "privilege" => "use privilege on",
        "exfiltrate" => "send data out of",
        "network" => "make network calls to",
        "execute" => "run programs on",
        "unknown" => "do unclassifiable things to",
        other => other,
    }
}

fn how(outcome: &Outcome) -> String {
    match (outcome.verdict, &outcome.approvals) {
        (Verdict::Allow, _) => "without approval".to_string(),
        (Verdict::Escalate, Some(a)) => format!("with {}", a.describe()),
        (Verdict::Escalate, None) => "with approval".to_string(),
        (Verdict::Deny, _) => "never (denied)".to_string(),
        (Verdict::NotAnalysed, _) => "under a condition the analysis does not model".to_string(),
    }
}

#[allow(clippy::too_many_arguments)]
fn sentence(
    row: &Row,
    direction: ChangeDirection,
    env: &str,
    kind: &str,
    before: &Outcome,
    after: &Outcome,
    capabilities: &[String],
    risks: &[String],
    sensitivities: &[String],
) -> String {
    let who = row.label.clone();
    let scope = format!(
        " [{}; risk {}; {}]",
        capabilities.join(", "),
        risks.join(", "),
        sensitivities.join(", ")
    );
    let verb = verb(kind);
    match direction {
        ChangeDirection::Added => match before.verdict {
            Verdict::Deny => format!(
                "{who} can now {verb} {env} targets {} (was denied){scope}",
                how(after)
            ),
            _ => format!(
                "{who} can now {verb} {env} targets {} instead of {}{scope}",
                how(after),
                how(before).trim_start_matches("with ")
            ),
        },
        ChangeDirection::Removed => match after.verdict {
            Verdict::Deny => format!(
                "{who} can no longer {verb} {env} targets (was {}; now denied){scope}",
                how(before)
            ),
            _ => format!(
                "{who} can no longer {verb} {env} targets {}: it now needs {}{scope}",
                how(before),
                how(after).trim_start_matches("with ")
            ),
        },
        ChangeDirection::Changed => format!(
            "{who}: to {verb} {env} targets now takes {} instead of {}{scope}",
            how(after).trim_start_matches("with "),
            how(before).trim_start_matches("with ")
        ),
    }
}
