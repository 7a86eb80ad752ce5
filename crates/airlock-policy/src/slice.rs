//! Which effect kinds each policy can apply to, proven from its condition,
//! and the per-kind policy sets decisions evaluate instead of the full set.
//!
//! A policy is left out of a kind's set only when Cedar would evaluate it to
//! `false` without error for every request of that kind: some top-level
//! conjunct of its first `when` clause constrains `context.effect.kind`
//! (`== "lit"`, `!= "lit"`, or a disjunction of `== "lit"`), excludes the
//! kind, and every conjunct before it provably evaluates to a boolean without
//! error. Cedar's `&&` evaluates left to right and stops at the first
//! `false`, so such a policy cannot be satisfied and cannot error. Every
//! policy this analysis cannot reason about stays in every kind's set.

use std::sync::OnceLock;

use airlock_model::EffectKind;
use cedar_policy::{Policy, PolicyId, PolicySet};
use serde_json::Value;

use crate::annotations::PolicyInfo;

/// A set of effect kinds, one bit per entry of [`EffectKind::ALL`].
pub(crate) type KindMask = u16;

/// Every effect kind.
pub(crate) const ALL_KINDS: KindMask = (1 << EffectKind::ALL.len()) - 1;

/// The kinds each default-pack policy can apply to, by `@id`, as
/// [`kinds_of`] computes them (`tests::default_pack_kinds_match_analysis`
/// keeps the two equal), so start-up need not analyse the built-in pack.
pub(crate) const DEFAULT_PACK_KINDS: [(&str, KindMask); 9] = [
    ("deny-critical-targets", ALL_KINDS & !bit(0) & !bit(1)),
    ("deny-exfiltration", bit(6)),
    ("escalate-production", ALL_KINDS & !bit(0)),
    ("escalate-unknown-effect", bit(10)),
    ("escalate-destructive", bit(4) | bit(7) | bit(8) | bit(9)),
    ("escalate-protected-targets", ALL_KINDS & !bit(0) & !bit(1)),
    ("escalate-privilege", bit(5)),
    ("escalate-high-risk", ALL_KINDS),
    ("allow-routine-work", ALL_KINDS),
];

const fn bit(index: usize) -> KindMask {
    1 << index
}

/// The position of `kind` in [`EffectKind::ALL`].
pub(crate) fn kind_index(kind: EffectKind) -> usize {
    EffectKind::ALL
        .iter()
        .position(|k| *k == kind)
        .unwrap_or_default()
}

fn mask_of_name(name: &str) -> KindMask {
    EffectKind::ALL
        .iter()
        .enumerate()
        .filter(|(_, kind)| kind.as_str() == name)
        .fold(0, |mask, (index, _)| mask | bit(index))
}

/// The effect kinds `policy` can possibly be satisfied (or error) for.
pub(crate) fn kinds_of(policy: &Policy) -> KindMask {
    policy.to_json().map_or(ALL_KINDS, |est| kinds_of_est(&est))
}

/// [`kinds_of`] over a policy's JSON form (EST).
pub(crate) fn kinds_of_est(est: &Value) -> KindMask {
    let Some(first) = est
        .get("conditions")
        .and_then(Value::as_array)
        .and_then(|c| c.first())
    else {
        return ALL_KINDS;
    };
    if first.get("kind").and_then(Value::as_str) != Some("when") {
        return ALL_KINDS;
    }
    let Some(body) = first.get("body") else {
        return ALL_KINDS;
    };
    let mut conjuncts = Vec::new();
    flatten_conjunction(body, &mut conjuncts);
    let mut mask = ALL_KINDS;
    for conjunct in conjuncts {
        if let Some(kinds) = kind_constraint(conjunct) {
            mask &= kinds;
        } else if !is_error_free_boolean(conjunct) {
            break;
        }
    }
    mask
}

/// `a && b && c` as `[a, b, c]`, in evaluation order.
fn flatten_conjunction<'v>(expr: &'v Value, out: &mut Vec<&'v Value>) {
    match binary(expr, "&&") {
        Some((left, right)) => {
            flatten_conjunction(left, out);
            flatten_conjunction(right, out);
        }
        None => out.push(expr),
    }
}

/// The operands of `expr` when it is the binary operator `op`.
fn binary<'v>(expr: &'v Value, op: &str) -> Option<(&'v Value, &'v Value)> {
    let node = expr.as_object().filter(|o| o.len() == 1)?.get(op)?;
    Some((node.get("left")?, node.get("right")?))
}

/// The kinds a conjunct admits, when it is a constraint on
/// `context.effect.kind` this analysis understands (and so evaluates to a
/// boolean without error).
fn kind_constraint(expr: &Value) -> Option<KindMask> {
    if let Some((left, right)) = binary(expr, "==") {
        return kind_literal(left, right).map(mask_of_name);
    }
    if let Some((left, right)) = binary(expr, "!=") {
        return kind_literal(left, right).map(|name| ALL_KINDS & !mask_of_name(name));
    }
    if let Some((left, right)) = binary(expr, "||") {
        return Some(kind_constraint(left)? | kind_constraint(right)?);
    }
    None
}

/// The string literal compared with `context.effect.kind`, either way round.
fn kind_literal<'v>(left: &'v Value, right: &'v Value) -> Option<&'v str> {
    let is_kind = |e: &Value| attribute_path(e) == Some(("context", "kind"));
    if is_kind(left) {
        string_literal(right)
    } else if is_kind(right) {
        string_literal(left)
    } else {
        None
    }
}

fn string_literal(expr: &Value) -> Option<&str> {
    expr.as_object()
        .filter(|o| o.len() == 1)?
        .get("Value")?
        .as_str()
}

fn is_long_literal(expr: &Value) -> bool {
    expr.as_object()
        .filter(|o| o.len() == 1)
        .and_then(|o| o.get("Value"))
        .is_some_and(Value::is_i64)
}

fn is_literal(expr: &Value) -> bool {
    expr.as_object()
        .filter(|o| o.len() == 1)
        .and_then(|o| o.get("Value"))
        .is_some_and(|v| v.is_string() || v.is_i64() || v.is_boolean())
}

/// `(variable, attribute)` of an attribute every request carries:
/// `context.effect.<a>`, `resource.<a>` or `principal.<a>` (`context` is
/// reported for the effect record).
fn attribute_path(expr: &Value) -> Option<(&'static str, &str)> {
    let node = expr.as_object().filter(|o| o.len() == 1)?.get(".")?;
    let attr = node.get("attr")?.as_str()?;
    let base = node.get("left")?;
    if let Some(var) = base.get("Var").and_then(Value::as_str) {
        return match (var, attr) {
            ("resource", "kind" | "name" | "environment" | "sensitivity") => {
                Some(("resource", attr))
            }
            ("principal", "operator" | "tenant") => Some(("principal", attr)),
            _ => None,
        };
    }
    let effect = base.as_object().filter(|o| o.len() == 1)?.get(".")?;
    let is_context_effect = effect.get("attr").and_then(Value::as_str) == Some("effect")
        && effect
            .get("left")
            .and_then(|l| l.get("Var"))
            .and_then(Value::as_str)
            == Some("context");
    match attr {
        "kind" | "reversibility" | "risk" | "rule" if is_context_effect => Some(("context", attr)),
        _ => None,
    }
}

/// Whether `expr` certainly evaluates to a boolean without error for every
/// request airlock builds: `==`/`!=` between literals and attributes every
/// request carries, or an ordering of `context.effect.risk` (a Long) against
/// a Long literal.
fn is_error_free_boolean(expr: &Value) -> bool {
    let operand = |e: &Value| is_literal(e) || attribute_path(e).is_some();
    for op in ["==", "!="] {
        if let Some((left, right)) = binary(expr, op) {
            return operand(left) && operand(right);
        }
    }
    let is_risk = |e: &Value| attribute_path(e) == Some(("context", "risk"));
    for op in ["<", "<=", ">", ">="] {
        if let Some((left, right)) = binary(expr, op) {
            return (is_risk(left) || is_long_literal(left))
                && (is_risk(right) || is_long_literal(right));
        }
    }
    false
}

/// One lazily built policy set per effect kind.
#[derive(Debug, Clone, Default)]
pub(crate) struct KindSets {
    sets: [OnceLock<Option<PolicySet>>; EffectKind::ALL.len()],
}

impl KindSets {
    /// The policies of `full` (in load order `policies`, with kinds
    /// `masks`) that can apply to `kind`; `None` when the set could not be
    /// built, in which case the full set is to be used.
    pub(crate) fn get(
        &self,
        kind: EffectKind,
        full: &PolicySet,
        policies: &[PolicyInfo],
        masks: &[KindMask],
    ) -> Option<&PolicySet> {
        let index = kind_index(kind);
        self.sets
            .get(index)?
            .get_or_init(|| {
                let wanted = bit(index);
                let sliced: Option<Vec<Policy>> = policies
                    .iter()
                    .zip(masks)
                    .filter(|(_, mask)| **mask & wanted != 0)
                    .map(|(info, _)| full.policy(&PolicyId::new(&info.id)).cloned())
                    .collect();
                PolicySet::from_policies(sliced?).ok()
            })
            .as_ref()
    }
}

#[cfg(test)]
mod tests {
    use airlock_model::{
        Classification, Effect, EnvTier, Evidence, Reversibility, Risk, Sensitivity, Target,
        TargetKind, ToolKind,
    };

    use super::*;
    use crate::engine::{PolicyEngine, PolicyMode, PolicySources, Principal};

    fn policy(text: &str) -> Policy {
        Policy::parse(None, text).unwrap()
    }

    #[test]
    fn default_pack_kinds_match_analysis() {
        let engine = PolicyEngine::default_pack().unwrap();
        assert_eq!(engine.policies().len(), DEFAULT_PACK_KINDS.len());
        for (info, (id, mask)) in engine.policies().iter().zip(DEFAULT_PACK_KINDS) {
            assert_eq!(info.id, id);
            let cedar = engine.policy_set().policy(&PolicyId::new(id)).unwrap();
            assert_eq!(kinds_of(cedar), mask, "{id}");
        }
    }

    #[test]
    fn only_leading_error_free_conjuncts_narrow() {
        let read = bit(kind_index(EffectKind::Read));
        let write = bit(kind_index(EffectKind::Write));
        assert_eq!(
            kinds_of(&policy(
                r#"permit (principal, action, resource) when { context.effect.kind == "read" };"#
            )),
            read
        );
        assert_eq!(
            kinds_of(&policy(
                r#"permit (principal, action, resource) when { "write" == context.effect.kind || context.effect.kind == "read" };"#
            )),
            read | write
        );
        // A conjunct that may error before the kind test keeps every kind.
        assert_eq!(
            kinds_of(&policy(
                r#"permit (principal, action, resource) when { context.effect.risk * 9223372036854775807 > 0 && context.effect.kind == "read" };"#
            )),
            ALL_KINDS
        );
        // After it, the kind test never runs before the error can.
        assert_eq!(
            kinds_of(&policy(
                r#"permit (principal, action, resource) when { context.effect.kind == "read" && context.effect.risk * 9223372036854775807 > 0 };"#
            )),
            read
        );
        assert_eq!(
            kinds_of(&policy(
                r#"permit (principal, action, resource) when { principal.tenant == "x" && context.effect.kind != "read" };"#
            )),
            ALL_KINDS & !read
        );
        // `unless` clauses and anything unrecognised stay in every set.
        assert_eq!(
            kinds_of(&policy(
                r#"permit (principal, action, resource) unless { context.effect.kind == "read" };"#
            )),
            ALL_KINDS
        );
        assert_eq!(
            kinds_of(&policy(
                r#"permit (principal, action, resource) when { context.effect.kind like "re*" };"#
            )),
            ALL_KINDS
        );
        assert_eq!(
            kinds_of(&policy(
                r#"permit (principal, action, resource) when { context.effect.kind == "read" || context.effect.risk > 1 };"#
            )),
            ALL_KINDS
        );
        assert_eq!(
            kinds_of(&policy("permit (principal, action, resource);")),
            ALL_KINDS
        );
    }

    /// Every combination of capability, effect kind, risk, reversibility,
    /// sensitivity, environment and a couple of targets decides the same with
    /// per-kind slicing as with the full set.
    fn assert_slicing_equivalent(engine: &PolicyEngine, principals: &[Principal]) {
        let reversibilities = [
            Reversibility::Reversible,
            Reversibility::Irreversible,
            Reversibility::Unknown,
        ];
        let sensitivities = [
            Sensitivity::Normal,
            Sensitivity::Protected,
            Sensitivity::Critical,
        ];
        let mut compared = 0;
        for principal in principals {
            for tool in ToolKind::ALL {
                for kind in EffectKind::ALL {
                    for risk in Risk::ALL {
                        for reversibility in reversibilities {
                            for sensitivity in sensitivities {
                                for environment in EnvTier::ALL {
                                    for name in ["src/main.rs", "prod-db"] {
                                        let mut target = Target::new(TargetKind::Path, name)
                                            .with_environment(environment);
                                        target.sensitivity = sensitivity;
                                        let classification = Classification {
                                            effects: vec![Effect {
                                                kind,
                                                target,
                                                reversibility,
                                                risk,
                                                rule: "test.rule".to_string(),
                                                reason: "a test effect".to_string(),
                                                evidence: Evidence::default(),
                                            }],
                                            commands: Vec::new(),
                                        };
                                        assert_eq!(
                                            engine.decide(principal, tool, &classification),
                                            engine.decide_full_set(
                                                principal,
                                                tool,
                                                &classification
                                            ),
                                        );
                                        compared += 1;
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        assert!(compared > 0);
    }

    #[test]
    fn slicing_matches_full_set_for_default_pack() {
        let engine = PolicyEngine::default_pack().unwrap();
        assert_slicing_equivalent(&engine, &[Principal::new("agent-1", "default")]);
    }

    #[test]
    fn slicing_matches_full_set_for_project_policies() {
        let dir = tempfile::tempdir().unwrap();
        let files = [
            (
                "roles.cedar",
                "@id(\"deployers-apply\")\n@reason(\"Deployers apply.\")\npermit (principal in Airlock::Role::\"deployer\", action == Airlock::Action::\"infra.apply\", resource)\nwhen { resource.environment == \"production\" && context.effect.kind == \"replace\" };\n\
                 @id(\"interns-never-delete\")\n@reason(\"Interns do not delete.\")\nforbid (principal in Airlock::Role::\"intern\", action, resource)\nwhen { context.effect.kind == \"delete\" || context.effect.kind == \"destroy\" };\n\
                 @id(\"sre-reads\")\n@reason(\"SREs read anything.\")\npermit (principal in Airlock::Role::\"sre\", action, resource)\nwhen { principal.tenant == \"default\" && context.effect.kind == \"read\" };\n\
                 @id(\"network-review\")\n@reason(\"Network calls are reviewed.\")\n@approvals(\"1\")\nforbid (principal, action == Airlock::Action::\"mcp.call\", resource)\nwhen { context.effect.kind == \"network\" && context.effect.risk >= 1 };\n",
            ),
            (
                "overflow.cedar",
                "@id(\"overflowing\")\n@reason(\"Multiplies too far.\")\npermit (principal, action, resource)\nwhen { context.effect.risk * 9223372036854775807 > 0 };\n\
                 @id(\"overflowing-writes\")\n@reason(\"Multiplies too far on writes.\")\nforbid (principal, action, resource)\nwhen { context.effect.kind == \"write\" && context.effect.risk * 9223372036854775807 > 0 };\n",
            ),
        ];
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let principals = [
            Principal::new("agent-1", "default"),
            Principal::new("agent-2", "default").with_roles(["deployer", "sre"]),
            Principal::new("agent-3", "other").with_roles(["intern"]),
        ];
        for mode in [PolicyMode::Extend, PolicyMode::Replace] {
            let engine = PolicyEngine::load(&PolicySources {
                dirs: vec![dir.path().to_path_buf()],
                mode,
            })
            .unwrap();
            assert!(engine.kind_masks.iter().any(|m| *m != ALL_KINDS));
            assert_slicing_equivalent(&engine, &principals);
        }
    }
}
