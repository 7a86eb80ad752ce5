//! Deciding: one Cedar request per effect, each effect's verdict from the
//! policies that determined it (failing closed on any evaluation error), and
//! the decision over all effects with its approvals and a readable reason.

use std::collections::{HashMap, HashSet};

use airlock_model::{
    ApprovalRequirement, Classification, Decision, Effect, EffectKind, EnvTier, Finding,
    Reversibility, Risk, Sensitivity, Target, ToolKind, Verdict,
};
use cedar_policy::{
    Context, Decision as CedarDecision, Entities, Entity, EntityId, EntityUid, PolicySet, Request,
    RestrictedExpression,
};

use crate::engine::{PolicyEngine, Principal};

/// Which policies an effect is evaluated against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PolicySlicing {
    /// Only the policies that can apply to the effect's kind.
    PerKind,
    /// Every policy (the reference behaviour).
    #[cfg_attr(not(test), allow(dead_code))]
    FullSet,
}

/// Why an effect got its verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Explanation {
    /// The policy (index into the engine's policies) that speaks for the verdict.
    Policy(usize),
    /// Nothing permitted the effect.
    NoPermit,
    /// Cedar could not evaluate a policy, or the request could not be built.
    EvaluationError(String),
}

/// Everything of an effect that Cedar sees (the resource's attributes and
/// the context); two effects with equal questions get equal answers.
#[derive(PartialEq, Eq, Hash)]
struct CedarQuestion<'e> {
    kind: EffectKind,
    target: &'e Target,
    reversibility: Reversibility,
    risk: Risk,
    rule: &'e str,
}

impl<'e> CedarQuestion<'e> {
    fn of(effect: &'e Effect) -> Self {
        CedarQuestion {
            kind: effect.kind,
            target: &effect.target,
            reversibility: effect.reversibility,
            risk: effect.risk,
            rule: &effect.rule,
        }
    }
}

/// How policy judged one effect.
#[derive(Debug, Clone)]
struct Judgment {
    verdict: Verdict,
    /// Indices of the deciding policies, in load order.
    policies: Vec<usize>,
    approvals: Option<ApprovalRequirement>,
    explanation: Explanation,
}

impl Judgment {
    fn error(message: String, policies: Vec<usize>) -> Self {
        Judgment {
            verdict: Verdict::Deny,
            policies,
            approvals: None,
            explanation: Explanation::EvaluationError(message),
        }
    }
}

impl PolicyEngine {
    /// Judges every effect of `classification` for `principal` acting
    /// through `tool`; the strictest verdict wins. Never panics: anything
    /// that goes wrong while judging an effect denies that effect.
    pub fn decide(
        &self,
        principal: &Principal,
        tool: ToolKind,
        classification: &Classification,
    ) -> Decision {
        self.decide_with(principal, tool, classification, PolicySlicing::PerKind)
    }

    /// [`PolicyEngine::decide`] evaluating every policy for every effect:
    /// the reference the per-kind slicing is proven equal to.
    #[cfg(test)]
    pub(crate) fn decide_full_set(
        &self,
        principal: &Principal,
        tool: ToolKind,
        classification: &Classification,
    ) -> Decision {
        self.decide_with(principal, tool, classification, PolicySlicing::FullSet)
    }

    fn decide_with(
        &self,
        principal: &Principal,
        tool: ToolKind,
        classification: &Classification,
        slicing: PolicySlicing,
    ) -> Decision {
        if classification.effects.is_empty() {
            return Decision {
                verdict: Verdict::Allow,
                risk: Risk::None,
                reason: "no effects found".to_string(),
                findings: Vec::new(),
                policies: Vec::new(),
                approvals: None,
                policy_version: self.version.clone(),
            };
        }
        let action = self.names.action(tool);
        let principal_entity = self
            .principal_cache
            .get_or_build(principal, || self.principal_entity(principal));
        // Effects that put the same question to Cedar (a long line of
        // `grep … | sort` reads the same target many times) are judged once.
        let mut asked: HashMap<CedarQuestion<'_>, usize> = HashMap::new();
        let mut judgments: Vec<Judgment> = Vec::with_capacity(classification.effects.len());
        for effect in &classification.effects {
            let question = CedarQuestion::of(effect);
            if let Some(&earlier) = asked.get(&question) {
                let judgment = judgments[earlier].clone();
                judgments.push(judgment);
                continue;
            }
            asked.insert(question, judgments.len());
            judgments.push(match &principal_entity {
                Ok(principal_entity) => {
                    let policy_set = match slicing {
                        PolicySlicing::PerKind => self
                            .kind_sets
                            .get(
                                effect.kind,
                                &self.policy_set,
                                &self.policies,
                                &self.kind_masks,
                            )
                            .unwrap_or(&self.policy_set),
                        PolicySlicing::FullSet => &self.policy_set,
                    };
                    self.judge(principal_entity, action, effect, policy_set)
                }
                Err(message) => Judgment::error(
                    format!("policy evaluation error: could not build the principal: {message}"),
                    Vec::new(),
                ),
            });
        }

        let verdict = judgments
            .iter()
            .map(|j| j.verdict)
            .max()
            .unwrap_or(Verdict::Deny);
        let approvals = if verdict == Verdict::Escalate {
            judgments
                .iter()
                .filter(|j| j.verdict == Verdict::Escalate)
                .filter_map(|j| j.approvals.as_ref())
                .fold(None, |merged: Option<ApprovalRequirement>, next| {
                    Some(merged.map_or_else(|| next.clone(), |m| m.merge(next)))
                })
        } else {
            None
        };
        let findings: Vec<Finding> = classification
            .effects
            .iter()
            .zip(&judgments)
            .map(|(effect, judgment)| Finding {
                effect: effect.clone(),
                verdict: judgment.verdict,
                policies: self.policy_ids(&judgment.policies),
            })
            .collect();
        let mut policies: Vec<String> = Vec::new();
        for id in findings.iter().flat_map(|f| &f.policies) {
            if !policies.contains(id) {
                policies.push(id.clone());
            }
        }
        // The same finding `Decision::decisive_finding` names.
        let decisive = findings
            .iter()
            .zip(&judgments)
            .filter(|(finding, _)| finding.verdict == verdict)
            .max_by_key(|(finding, _)| finding.effect.risk);
        let reason = match decisive {
            Some((finding, judgment)) => {
                self.reason_sentence(&finding.effect, judgment, approvals.as_ref())
            }
            None => format!("{verdict}"),
        };
        Decision {
            verdict,
            risk: classification.max_risk(),
            reason,
            findings,
            policies,
            approvals,
            policy_version: self.version.clone(),
        }
    }

    fn judge(
        &self,
        principal: &Entity,
        action: &EntityUid,
        effect: &Effect,
        policy_set: &PolicySet,
    ) -> Judgment {
        let (request, entities) = match self.request(principal, action, effect) {
            Ok(parts) => parts,
            Err(message) => {
                return Judgment::error(
                    format!("policy evaluation error: could not build the request: {message}"),
                    Vec::new(),
                )
            }
        };
        let response = self
            .authorizer
            .is_authorized(&request, policy_set, &entities);
        let diagnostics = response.diagnostics();
        let errors: Vec<String> = diagnostics.errors().map(|e| e.to_string()).collect();
        if !errors.is_empty() {
            let mut erring: Vec<usize> = diagnostics
                .errors()
                .filter_map(|e| {
                    let cedar_policy::AuthorizationError::PolicyEvaluationError(e) = e;
                    self.by_id.get(AsRef::<str>::as_ref(e.policy_id())).copied()
                })
                .collect();
            erring.sort_unstable();
            erring.dedup();
            return Judgment::error(
                format!("policy evaluation error: {}", errors.join("; ")),
                erring,
            );
        }
        let mut determining: Vec<usize> = diagnostics
            .reason()
            .filter_map(|id| self.by_id.get(AsRef::<str>::as_ref(id)).copied())
            .collect();
        determining.sort_unstable();
        match response.decision() {
            CedarDecision::Allow => Judgment {
                verdict: Verdict::Allow,
                explanation: determining
                    .first()
                    .map_or(Explanation::NoPermit, |&i| Explanation::Policy(i)),
                policies: determining,
                approvals: None,
            },
            CedarDecision::Deny => self.judge_forbids(determining),
        }
    }

    /// The verdict of an effect Cedar denied, given the satisfied forbids.
    fn judge_forbids(&self, forbids: Vec<usize>) -> Judgment {
        if forbids.is_empty() {
            return Judgment {
                verdict: Verdict::Deny,
                policies: Vec::new(),
                approvals: None,
                explanation: Explanation::NoPermit,
            };
        }
        let approvals_of = |i: &usize| self.policies.get(*i).and_then(|p| p.approvals.as_ref());
        let outright: Vec<usize> = forbids
            .iter()
            .copied()
            .filter(|i| approvals_of(i).is_none())
            .collect();
        if let Some(&first) = outright.first() {
            return Judgment {
                verdict: Verdict::Deny,
                policies: outright,
                approvals: None,
                explanation: Explanation::Policy(first),
            };
        }
        let approvals = forbids
            .iter()
            .filter_map(approvals_of)
            .fold(ApprovalRequirement::default(), |m, next| m.merge(next));
        // The escalation asking the most speaks for the effect; ties go to
        // the policy loaded first.
        let strongest = forbids
            .iter()
            .copied()
            .rev()
            .max_by_key(|i| {
                approvals_of(i).map(|a| {
                    (
                        a.min_approvers,
                        a.roles.iter().map(|r| r.count).sum::<u32>(),
                    )
                })
            })
            .unwrap_or(0);
        Judgment {
            verdict: Verdict::Escalate,
            policies: forbids,
            approvals: Some(approvals),
            explanation: Explanation::Policy(strongest),
        }
    }

    /// The `Airlock::Agent` entity for `principal`, a member of its roles.
    fn principal_entity(&self, principal: &Principal) -> Result<Entity, String> {
        let names = &self.names;
        let principal_uid =
            EntityUid::from_type_name_and_id(names.agent.clone(), EntityId::new(&principal.agent));
        let role_uids: HashSet<EntityUid> = principal
            .effective_roles()
            .into_iter()
            .map(|role| EntityUid::from_type_name_and_id(names.role.clone(), EntityId::new(role)))
            .collect();
        let principal_attrs = HashMap::from([
            (
                "operator".to_string(),
                RestrictedExpression::new_string(principal.operator.clone().unwrap_or_default()),
            ),
            (
                "tenant".to_string(),
                RestrictedExpression::new_string(principal.tenant.clone()),
            ),
        ]);
        Entity::new(principal_uid, principal_attrs, role_uids).map_err(|e| e.to_string())
    }

    /// The Cedar request and entities for one effect.
    fn request(
        &self,
        principal: &Entity,
        action: &EntityUid,
        effect: &Effect,
    ) -> Result<(Request, Entities), String> {
        let names = &self.names;

        let target = &effect.target;
        let resource_uid =
            EntityUid::from_type_name_and_id(names.target.clone(), EntityId::new(&target.name));
        let resource_attrs = HashMap::from([
            (
                "kind".to_string(),
                RestrictedExpression::new_string(target.kind.as_str().to_string()),
            ),
            (
                "name".to_string(),
                RestrictedExpression::new_string(target.name.clone()),
            ),
            (
                "environment".to_string(),
                RestrictedExpression::new_string(target.environment.as_str().to_string()),
            ),
            (
                "sensitivity".to_string(),
                RestrictedExpression::new_string(target.sensitivity.as_str().to_string()),
            ),
        ]);
        let resource_entity = Entity::new(resource_uid.clone(), resource_attrs, HashSet::new())
            .map_err(|e| e.to_string())?;

        let effect_record = RestrictedExpression::new_record([
            (
                "kind".to_string(),
                RestrictedExpression::new_string(effect.kind.as_str().to_string()),
            ),
            (
                "reversibility".to_string(),
                RestrictedExpression::new_string(effect.reversibility.as_str().to_string()),
            ),
            (
                "risk".to_string(),
                RestrictedExpression::new_long(effect.risk.level()),
            ),
            (
                "rule".to_string(),
                RestrictedExpression::new_string(effect.rule.clone()),
            ),
        ])
        .map_err(|e| e.to_string())?;
        let context = Context::from_pairs([("effect".to_string(), effect_record)])
            .map_err(|e| e.to_string())?;

        // Roles need no entities of their own: `principal in Role::"x"` reads
        // the principal's parents.
        let principal_uid = principal.uid();
        let entities = Entities::from_entities([principal.clone(), resource_entity], None)
            .map_err(|e| e.to_string())?;
        let request = Request::new(principal_uid, action.clone(), resource_uid, context, None)
            .map_err(|e| e.to_string())?;
        Ok((request, entities))
    }

    fn policy_ids(&self, indices: &[usize]) -> Vec<String> {
        indices
            .iter()
            .filter_map(|&i| self.policies.get(i))
            .map(|p| p.id.clone())
            .collect()
    }

    /// "escalate: replace of X (production) needs 2 approvers, at least 1
    /// senior (<what the classifier found>) — <policy reason> [<policy id>;
    /// rule <rule>]".
    fn reason_sentence(
        &self,
        effect: &Effect,
        judgment: &Judgment,
        approvals: Option<&ApprovalRequirement>,
    ) -> String {
        let verdict = judgment.verdict;
        let what = describe_effect(effect);
        let found = if effect.reason.is_empty() {
            String::new()
        } else {
            format!(" ({})", effect.reason)
        };
        let rule = if effect.rule.is_empty() {
            String::new()
        } else {
            format!("rule {}", effect.rule)
        };
        match &judgment.explanation {
            Explanation::Policy(index) => {
                let (id, why) = self
                    .policies
                    .get(*index)
                    .map_or(("?", "?"), |p| (p.id.as_str(), p.reason_or_id()));
                let needs = match (verdict, approvals) {
                    (Verdict::Escalate, Some(approvals)) => {
                        format!(" needs {}", approvals.describe())
                    }
                    _ => String::new(),
                };
                let tag = if rule.is_empty() {
                    id.to_string()
                } else {
                    format!("{id}; {rule}")
                };
                format!("{verdict}: {what}{needs}{found} — {why} [{tag}]")
            }
            Explanation::NoPermit => {
                let tag = if rule.is_empty() {
                    String::new()
                } else {
                    format!(" [{rule}]")
                };
                format!("{verdict}: no policy permits {what}{found}{tag}")
            }
            Explanation::EvaluationError(message) => {
                let tag = if rule.is_empty() {
                    String::new()
                } else {
                    format!(" [{rule}]")
                };
                format!("{verdict}: {message} (while judging {what}{found}){tag}")
            }
        }
    }
}

/// "replace of terraform_data.x (production)", "delete of / (critical)".
fn describe_effect(effect: &Effect) -> String {
    let target = &effect.target;
    let name = if target.name.is_empty() {
        format!("an unnamed {}", target.kind.as_str().replace('_', " "))
    } else {
        target.name.clone()
    };
    let mut qualifiers: Vec<&str> = Vec::new();
    if target.environment != EnvTier::Unknown {
        qualifiers.push(target.environment.as_str());
    }
    if target.sensitivity != Sensitivity::Normal {
        qualifiers.push(target.sensitivity.as_str());
    }
    if qualifiers.is_empty() {
        format!("{} of {name}", effect.kind)
    } else {
        format!("{} of {name} ({})", effect.kind, qualifiers.join(", "))
    }
}
