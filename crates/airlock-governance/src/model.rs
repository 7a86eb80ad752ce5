//! A policy set prepared for analysis: its policies compiled into
//! conditions over the abstract request, the literals they name, the rows
//! of the authority matrix (one per role, "any other role", and the
//! configured agent), and judging one abstract request exactly as the
//! policy engine judges an effect.

use std::collections::BTreeSet;

use airlock_model::ApprovalRequirement;
use airlock_policy::PolicyEngine;
use serde::Serialize;

use crate::compile::{compile, CompiledPolicy, Literals};
use crate::project::Project;
use crate::space::{eval, fresh_value, Principal, Request, Truth};

/// A loaded policy set, compiled.
#[derive(Debug, Clone)]
pub struct PolicySetModel {
    pub engine: PolicyEngine,
    pub compiled: Vec<CompiledPolicy>,
    pub literals: Literals,
    /// Roles people hold: the floor's `human_roles` and every role named in
    /// an `@approver_roles`.
    pub human_roles: BTreeSet<String>,
}

impl PolicySetModel {
    pub fn new(engine: PolicyEngine, project: &Project) -> PolicySetModel {
        let compiled: Vec<CompiledPolicy> = engine
            .policies()
            .iter()
            .enumerate()
            .filter_map(|(index, info)| {
                let policy = engine
                    .policy_set()
                    .policy(&cedar_policy::PolicyId::new(&info.id))?;
                Some(compile(index, info, policy))
            })
            .collect();
        let mut literals = Literals::default();
        for policy in &compiled {
            policy.collect_literals(&mut literals);
        }
        let mut human_roles: BTreeSet<String> = project.floor.human_roles.iter().cloned().collect();
        for policy in &compiled {
            if let Some(approvals) = policy.approvals() {
                human_roles.extend(approvals.roles.iter().map(|r| r.role.clone()));
            }
        }
        PolicySetModel {
            engine,
            compiled,
            literals,
            human_roles,
        }
    }

    /// The policies that can apply to a principal holding `roles`: those
    /// without a role scope, and those scoped to one of the roles.
    pub fn slice(&self, roles: &[String]) -> Vec<&CompiledPolicy> {
        self.compiled
            .iter()
            .filter(|p| p.role_scope.as_ref().is_none_or(|r| roles.contains(r)))
            .collect()
    }
}

/// One row of the authority matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// "role `deployer`", "any other role", "agent `ci-bot` (roles …)".
    pub label: String,
    /// The single role of a role row.
    pub role: Option<String>,
    /// Whether this is the agent configured in `airlock.toml`.
    pub configured_agent: bool,
    pub principal: Principal,
}

/// The matrix rows for the given policy sets and project configurations:
/// every role named in a principal scope or condition, every configured
/// agent role, one role no policy names, and each configured agent.
pub fn rows(models: &[&PolicySetModel], projects: &[&Project]) -> Vec<Row> {
    let mut roles: BTreeSet<String> = BTreeSet::new();
    for model in models {
        roles.extend(model.literals.roles.iter().cloned());
    }
    for project in projects {
        if project.config_path.is_some() {
            roles.extend(project.agent.roles.iter().cloned());
        }
    }
    let mut rows: Vec<Row> = roles
        .iter()
        .map(|role| Row {
            label: format!("role `{role}`"),
            role: Some(role.clone()),
            configured_agent: false,
            principal: Principal {
                roles: vec![role.clone()],
                agent: None,
                operator: None,
                tenant: None,
            },
        })
        .collect();
    rows.push(Row {
        label: "any other role".to_string(),
        role: None,
        configured_agent: false,
        principal: Principal {
            roles: vec![fresh_value(&roles, "(any other role)")],
            agent: None,
            operator: None,
            tenant: None,
        },
    });
    let mut seen_agents: Vec<(String, Vec<String>)> = Vec::new();
    for project in projects {
        if project.config_path.is_none() {
            continue;
        }
        let agent = &project.agent;
        let key = (agent.id.clone(), agent.roles.clone());
        if seen_agents.contains(&key) {
            continue;
        }
        seen_agents.push(key);
        rows.push(Row {
            label: format!("agent `{}` (roles {})", agent.id, agent.roles.join(", ")),
            role: None,
            configured_agent: true,
            principal: Principal {
                roles: agent.roles.clone(),
                agent: Some(agent.id.clone()),
                operator: agent.operator.clone(),
                tenant: Some(agent.tenant.clone()),
            },
        });
    }
    rows
}

/// What the policy set decides for one abstract request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Allow,
    Escalate,
    Deny,
    /// A policy the abstraction cannot decide could change the verdict.
    NotAnalysed,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Escalate => "escalate",
            Verdict::Deny => "deny",
            Verdict::NotAnalysed => "not analysed",
        }
    }
}

/// A verdict with its approvals and the policies behind it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Outcome {
    pub verdict: Verdict,
    pub approvals: Option<ApprovalRequirement>,
    /// Indices into [`PolicySetModel::compiled`].
    pub policies: Vec<usize>,
}

impl Outcome {
    /// "allow", "escalate (2 approvers, at least 1 senior)", "deny".
    pub fn describe(&self) -> String {
        match (&self.verdict, &self.approvals) {
            (Verdict::Escalate, Some(a)) => format!("escalate ({})", a.describe()),
            (verdict, _) => verdict.as_str().to_string(),
        }
    }

    /// Same verdict and approvals, whatever the policies.
    pub fn same_decision(&self, other: &Outcome) -> bool {
        self.verdict == other.verdict && self.approvals == other.approvals
    }
}

/// Evaluates every policy of `slice` on `request`; `truths` receives one
/// truth per policy.
pub fn evaluate(slice: &[&CompiledPolicy], request: &Request<'_>, truths: &mut Vec<Truth>) {
    truths.clear();
    truths.extend(slice.iter().map(|p| eval(&p.cond, request)));
}

/// The verdict for one request, as the engine decides an effect: a
/// satisfied outright `forbid` denies; else satisfied escalations escalate
/// with their merged requirement; else a satisfied `permit` allows; else
/// nothing permits: deny. Policies the abstraction cannot decide are tried
/// both ways; when that changes the decision the verdict is
/// [`Verdict::NotAnalysed`].
pub fn judge(slice: &[&CompiledPolicy], truths: &[Truth]) -> Outcome {
    let resolve = |permissive: bool| -> Outcome {
        let mut permits = Vec::new();
        let mut outright = Vec::new();
        let mut escalations = Vec::new();
        for (policy, truth) in slice.iter().zip(truths) {
            let satisfied = match truth {
                Truth::True => true,
                Truth::False => false,
                Truth::Unknown => policy.is_permit() == permissive,
            };
            if !satisfied {
                continue;
            }
            if policy.is_permit() {
                permits.push(policy.index);
            } else if policy.approvals().is_some() {
                escalations.push(policy.index);
            } else {
                outright.push(policy.index);
            }
        }
        if !outright.is_empty() {
            Outcome {
                verdict: Verdict::Deny,
                approvals: None,
                policies: outright,
            }
        } else if !escalations.is_empty() {
            let approvals = slice
                .iter()
                .filter(|p| escalations.contains(&p.index))
                .filter_map(|p| p.approvals())
                .fold(ApprovalRequirement::default(), |merged, next| {
                    merged.merge(next)
                });
            Outcome {
                verdict: Verdict::Escalate,
                approvals: Some(approvals),
                policies: escalations,
            }
        } else if !permits.is_empty() {
            Outcome {
                verdict: Verdict::Allow,
                approvals: None,
                policies: permits,
            }
        } else {
            Outcome {
                verdict: Verdict::Deny,
                approvals: None,
                policies: Vec::new(),
            }
        }
    };
    if !truths.contains(&Truth::Unknown) {
        return resolve(true);
    }
    let permissive = resolve(true);
    let strict = resolve(false);
    if permissive.same_decision(&strict) {
        permissive
    } else {
        Outcome {
            verdict: Verdict::NotAnalysed,
            approvals: None,
            policies: slice
                .iter()
                .zip(truths)
                .filter(|(_, t)| **t == Truth::Unknown)
                .map(|(p, _)| p.index)
                .collect(),
        }
    }
}
