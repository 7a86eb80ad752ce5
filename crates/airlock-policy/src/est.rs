//! Reading a policy in Cedar's JSON form (EST) into a Cedar policy through
//! Cedar's programmatic syntax tree (PST), walking the JSON directly.
//! `Policy::from_json` reaches the same policy through serde, but its
//! untagged expression enums buffer every node and look each operator up
//! among the extension functions, which costs more than parsing the text.
//!
//! Only what a static airlock policy can contain is read: literals (booleans,
//! integers, strings, entities), variables, operators, attribute access and
//! tests, `like`, `is`, `if`, sets and records. Anything else (slots,
//! extension functions, unknowns, other JSON) yields `None`, and the caller
//! parses the policy's text instead. A policy read from anything but the
//! embedded default pack (which the tests read back) is checked by turning it
//! back into JSON: unless that equals the input, it is `None` too.
//!
//! Annotations are left off the Cedar policy: Cedar does not read them when
//! it decides, airlock reads them from the JSON itself, and Cedar checks
//! each annotation's name with its parser, which would cost more than
//! everything else here.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use cedar_policy::pst::{
    self, ActionConstraint, BinaryOp, Clause, Effect, EntityOrSlot, EntityType, EntityUID, Expr,
    Id, Literal, Name, NonEmpty, PatternElem, PolicyID, PrincipalConstraint, ResourceConstraint,
    SmolStr, StaticPolicy, Template, UnaryOp, Var,
};
use cedar_policy::{Policy, PolicyId};
use serde_json::{Map, Value};

/// The Cedar policy `est` describes, without its annotations, with id `id`;
/// `None` when `est` holds anything this reader does not know or, with
/// `read_back`, does not read back exactly.
pub(crate) fn policy_from_est(id: &PolicyId, est: &Value, read_back: bool) -> Option<Policy> {
    let mut reader = Reader::default();
    let template = reader.template(id, est)?;
    let policy =
        Policy::from_pst(pst::Policy::Static(StaticPolicy::try_from(template).ok()?)).ok()?;
    if read_back && !equal_but_annotations(&policy.to_json().ok()?, est) {
        return None;
    }
    Some(policy)
}

/// Whether two policies' JSON forms are equal once their annotations are
/// left out.
pub(crate) fn equal_but_annotations(left: &Value, right: &Value) -> bool {
    let (Some(left), Some(right)) = (left.as_object(), right.as_object()) else {
        return false;
    };
    let others = |object: &'_ Map<String, Value>| {
        object
            .iter()
            .filter(|(key, _)| key.as_str() != "annotations")
            .count()
    };
    others(left) == others(right)
        && left
            .iter()
            .filter(|(key, _)| key.as_str() != "annotations")
            .all(|(key, value)| right.get(key) == Some(value))
}

/// One policy's reading, remembering the identifiers already checked
/// (Cedar checks each with its parser).
#[derive(Default)]
struct Reader {
    ids: HashMap<String, Id>,
}

impl Reader {
    fn template(&mut self, id: &PolicyId, est: &Value) -> Option<Template> {
        let policy = est.as_object()?;
        known_keys(
            policy,
            &[
                "effect",
                "principal",
                "action",
                "resource",
                "conditions",
                "annotations",
            ],
        )?;
        let effect = match policy.get("effect")?.as_str()? {
            "permit" => Effect::Permit,
            "forbid" => Effect::Forbid,
            _ => return None,
        };
        let principal = match self.scope(policy.get("principal")?)? {
            Scope::Any => PrincipalConstraint::Any,
            Scope::Eq(entity) => PrincipalConstraint::Eq(EntityOrSlot::Entity(entity)),
            Scope::In(entity) => PrincipalConstraint::In(EntityOrSlot::Entity(entity)),
            Scope::Is(ty) => PrincipalConstraint::Is(ty),
            Scope::IsIn(ty, entity) => PrincipalConstraint::IsIn(ty, EntityOrSlot::Entity(entity)),
            Scope::InSet(_) => return None,
        };
        let action = match self.scope(policy.get("action")?)? {
            Scope::Any => ActionConstraint::Any,
            Scope::Eq(entity) => ActionConstraint::Eq(entity),
            Scope::In(entity) => ActionConstraint::In(vec![entity]),
            Scope::InSet(entities) => ActionConstraint::In(entities),
            Scope::Is(_) | Scope::IsIn(..) => return None,
        };
        let resource = match self.scope(policy.get("resource")?)? {
            Scope::Any => ResourceConstraint::Any,
            Scope::Eq(entity) => ResourceConstraint::Eq(EntityOrSlot::Entity(entity)),
            Scope::In(entity) => ResourceConstraint::In(EntityOrSlot::Entity(entity)),
            Scope::Is(ty) => ResourceConstraint::Is(ty),
            Scope::IsIn(ty, entity) => ResourceConstraint::IsIn(ty, EntityOrSlot::Entity(entity)),
            Scope::InSet(_) => return None,
        };
        let clauses = match policy.get("conditions") {
            None => Vec::new(),
            Some(conditions) => conditions
                .as_array()?
                .iter()
                .map(|condition| self.clause(condition))
                .collect::<Option<Vec<Clause>>>()?,
        };
        match policy.get("annotations") {
            None | Some(Value::Object(_)) => {}
            Some(_) => return None,
        }
        let id: &str = id.as_ref();
        Template::new(
            PolicyID(SmolStr::from(id)),
            effect,
            principal,
            action,
            resource,
        )
        .try_with_clauses(clauses)
        .ok()
    }

    fn scope(&mut self, est: &Value) -> Option<Scope> {
        let scope = est.as_object()?;
        let op = scope.get("op")?.as_str()?;
        let entity = |reader: &mut Self, key: &str| reader.entity(scope.get(key)?);
        match op {
            "All" => {
                known_keys(scope, &["op"])?;
                Some(Scope::Any)
            }
            "==" => {
                known_keys(scope, &["op", "entity"])?;
                Some(Scope::Eq(entity(self, "entity")?))
            }
            "in" if scope.contains_key("entities") => {
                known_keys(scope, &["op", "entities"])?;
                let entities = scope
                    .get("entities")?
                    .as_array()?
                    .iter()
                    .map(|e| self.entity(e))
                    .collect::<Option<Vec<EntityUID>>>()?;
                Some(Scope::InSet(entities))
            }
            "in" => {
                known_keys(scope, &["op", "entity"])?;
                Some(Scope::In(entity(self, "entity")?))
            }
            "is" => {
                known_keys(scope, &["op", "entity_type", "in"])?;
                let ty = self.entity_type(scope.get("entity_type")?.as_str()?)?;
                match scope.get("in") {
                    None => Some(Scope::Is(ty)),
                    Some(within) => {
                        let within = within.as_object()?;
                        known_keys(within, &["entity"])?;
                        Some(Scope::IsIn(ty, self.entity(within.get("entity")?)?))
                    }
                }
            }
            _ => None,
        }
    }

    fn clause(&mut self, est: &Value) -> Option<Clause> {
        let clause = est.as_object()?;
        known_keys(clause, &["kind", "body"])?;
        let body = Arc::new(self.expr(clause.get("body")?)?);
        match clause.get("kind")?.as_str()? {
            "when" => Some(Clause::When(body)),
            "unless" => Some(Clause::Unless(body)),
            _ => None,
        }
    }

    fn expr(&mut self, est: &Value) -> Option<Expr> {
        let node = est.as_object().filter(|o| o.len() == 1)?;
        let (op, operands) = node.iter().next()?;
        if let Some(op) = binary_op(op) {
            let operands = operands.as_object()?;
            known_keys(operands, &["left", "right"])?;
            return Some(Expr::BinaryOp {
                op,
                left: Arc::new(self.expr(operands.get("left")?)?),
                right: Arc::new(self.expr(operands.get("right")?)?),
            });
        }
        if let Some(op) = unary_op(op) {
            let operands = operands.as_object()?;
            known_keys(operands, &["arg"])?;
            return Some(Expr::UnaryOp {
                op,
                expr: Arc::new(self.expr(operands.get("arg")?)?),
            });
        }
        match op.as_str() {
            "Value" => self.literal(operands).map(Expr::Literal),
            "Var" => Some(Expr::Var(match operands.as_str()? {
                "principal" => Var::Principal,
                "action" => Var::Action,
                "resource" => Var::Resource,
                "context" => Var::Context,
                _ => return None,
            })),
            "." => {
                let operands = operands.as_object()?;
                known_keys(operands, &["left", "attr"])?;
                Some(Expr::GetAttr {
                    expr: Arc::new(self.expr(operands.get("left")?)?),
                    attr: SmolStr::from(operands.get("attr")?.as_str()?),
                })
            }
            "has" => {
                let operands = operands.as_object()?;
                known_keys(operands, &["left", "attr"])?;
                let attrs = match operands.get("attr")? {
                    Value::String(attr) => NonEmpty::new(SmolStr::from(attr.as_str())),
                    Value::Array(attrs) => NonEmpty::from_vec(
                        attrs
                            .iter()
                            .map(|a| a.as_str().map(SmolStr::from))
                            .collect::<Option<Vec<SmolStr>>>()?,
                    )?,
                    _ => return None,
                };
                Some(Expr::HasAttr {
                    expr: Arc::new(self.expr(operands.get("left")?)?),
                    attrs,
                })
            }
            "like" => {
                let operands = operands.as_object()?;
                known_keys(operands, &["left", "pattern"])?;
                let mut pattern = Vec::new();
                for element in operands.get("pattern")?.as_array()? {
                    match element {
                        Value::String(wildcard) if wildcard == "Wildcard" => {
                            pattern.push(PatternElem::Wildcard)
                        }
                        Value::Object(literal) if literal.len() == 1 => {
                            let text = literal.get("Literal")?.as_str()?;
                            pattern.extend(text.chars().map(PatternElem::Char));
                        }
                        _ => return None,
                    }
                }
                Some(Expr::Like {
                    expr: Arc::new(self.expr(operands.get("left")?)?),
                    pattern,
                })
            }
            "is" => {
                let operands = operands.as_object()?;
                known_keys(operands, &["left", "entity_type", "in"])?;
                let in_expr = match operands.get("in") {
                    None => None,
                    Some(within) => Some(Arc::new(self.expr(within)?)),
                };
                Some(Expr::Is {
                    expr: Arc::new(self.expr(operands.get("left")?)?),
                    entity_type: self.entity_type(operands.get("entity_type")?.as_str()?)?,
                    in_expr,
                })
            }
            "if-then-else" => {
                let operands = operands.as_object()?;
                known_keys(operands, &["if", "then", "else"])?;
                Some(Expr::IfThenElse {
                    cond: Arc::new(self.expr(operands.get("if")?)?),
                    then_expr: Arc::new(self.expr(operands.get("then")?)?),
                    else_expr: Arc::new(self.expr(operands.get("else")?)?),
                })
            }
            "Set" => Some(Expr::Set(
                operands
                    .as_array()?
                    .iter()
                    .map(|e| self.expr(e).map(Arc::new))
                    .collect::<Option<Vec<Arc<Expr>>>>()?,
            )),
            "Record" => Some(Expr::Record(
                operands
                    .as_object()?
                    .iter()
                    .map(|(key, e)| Some((key.clone(), Arc::new(self.expr(e)?))))
                    .collect::<Option<BTreeMap<String, Arc<Expr>>>>()?,
            )),
            _ => None,
        }
    }

    fn literal(&mut self, value: &Value) -> Option<Literal> {
        match value {
            Value::Bool(b) => Some(Literal::Bool(*b)),
            Value::Number(n) => n.as_i64().map(Literal::Long),
            Value::String(s) => Some(Literal::String(SmolStr::from(s.as_str()))),
            Value::Object(o) if o.len() == 1 && o.contains_key("__entity") => {
                self.entity(o.get("__entity")?).map(Literal::EntityUID)
            }
            _ => None,
        }
    }

    /// `{"type": "A::B", "id": "x"}`, or the same under `__entity`.
    fn entity(&mut self, est: &Value) -> Option<EntityUID> {
        let entity = est.as_object()?;
        if let Some(inner) = entity.get("__entity") {
            known_keys(entity, &["__entity"])?;
            return self.entity(inner);
        }
        known_keys(entity, &["type", "id"])?;
        Some(EntityUID {
            ty: self.entity_type(entity.get("type")?.as_str()?)?,
            eid: SmolStr::from(entity.get("id")?.as_str()?),
        })
    }

    fn entity_type(&mut self, name: &str) -> Option<EntityType> {
        let mut parts: Vec<Id> = name
            .split("::")
            .map(|part| self.id(part))
            .collect::<Option<Vec<Id>>>()?;
        let id = parts.pop()?;
        Some(EntityType::from_name(Name {
            id,
            namespace: Arc::new(parts),
        }))
    }

    fn id(&mut self, text: &str) -> Option<Id> {
        if let Some(id) = self.ids.get(text) {
            return Some(id.clone());
        }
        let id = Id::new(text).ok()?;
        self.ids.insert(text.to_string(), id.clone());
        Some(id)
    }
}

/// A scope constraint, before it is told which of the three it constrains.
enum Scope {
    Any,
    Eq(EntityUID),
    In(EntityUID),
    InSet(Vec<EntityUID>),
    Is(EntityType),
    IsIn(EntityType, EntityUID),
}

/// `Some` when every key of `object` is one of `keys`.
fn known_keys(object: &Map<String, Value>, keys: &[&str]) -> Option<()> {
    object
        .keys()
        .all(|key| keys.contains(&key.as_str()))
        .then_some(())
}

fn binary_op(op: &str) -> Option<BinaryOp> {
    Some(match op {
        "==" => BinaryOp::Eq,
        "!=" => BinaryOp::NotEq,
        "in" => BinaryOp::In,
        "<" => BinaryOp::Less,
        "<=" => BinaryOp::LessEq,
        ">" => BinaryOp::Greater,
        ">=" => BinaryOp::GreaterEq,
        "&&" => BinaryOp::And,
        "||" => BinaryOp::Or,
        "+" => BinaryOp::Add,
        "-" => BinaryOp::Sub,
        "*" => BinaryOp::Mul,
        "contains" => BinaryOp::Contains,
        "containsAll" => BinaryOp::ContainsAll,
        "containsAny" => BinaryOp::ContainsAny,
        "getTag" => BinaryOp::GetTag,
        "hasTag" => BinaryOp::HasTag,
        _ => return None,
    })
}

fn unary_op(op: &str) -> Option<UnaryOp> {
    Some(match op {
        "!" => UnaryOp::Not,
        "neg" => UnaryOp::Neg,
        "isEmpty" => UnaryOp::IsEmpty,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pack::DEFAULT_PACK;

    /// Reads `text`'s policy back from its JSON form.
    fn round_trip(text: &str) -> Option<Policy> {
        let parsed = Policy::parse(Some(PolicyId::new("p")), text).unwrap();
        let est = parsed.to_json().unwrap();
        let read = policy_from_est(&PolicyId::new("p"), &est, true)?;
        assert_eq!(read.id(), parsed.id());
        assert_eq!(read.effect(), parsed.effect());
        assert!(equal_but_annotations(&read.to_json().unwrap(), &est));
        assert_eq!(read.annotations().count(), 0);
        Some(read)
    }

    #[test]
    fn reads_every_default_pack_policy() {
        for (name, text) in DEFAULT_PACK {
            let set: cedar_policy::PolicySet = text.parse().unwrap();
            for policy in set.policies() {
                let est = policy.to_json().unwrap();
                assert!(policy_from_est(policy.id(), &est, true).is_some(), "{name}");
            }
        }
    }

    #[test]
    fn reads_every_construct_of_a_static_policy() {
        let policies = [
            r#"@id("a") @tag permit (principal == Airlock::Agent::"ci", action == Airlock::Action::"shell.exec", resource == Airlock::Target::"src");"#,
            r#"forbid (principal in Airlock::Role::"intern", action in [Airlock::Action::"shell.exec", Airlock::Action::"file.write"], resource in Airlock::Target::"prod");"#,
            r#"permit (principal is Airlock::Agent, action in Airlock::Action::"shell.exec", resource is Airlock::Target in Airlock::Target::"x");"#,
            r#"permit (principal is Airlock::Agent in Airlock::Role::"sre", action, resource is Airlock::Target);"#,
            r#"permit (principal, action, resource) when { context.effect.risk <= 2 && !(resource.name like "*.lock") } unless { context.effect.kind == "delete" || resource.sensitivity != "normal" };"#,
            r#"permit (principal, action, resource) when { resource has name && context has effect.rule && resource.name like "src/\**.rs" };"#,
            r#"permit (principal, action, resource) when { principal is Airlock::Agent in Airlock::Role::"sre" && resource is Airlock::Target };"#,
            r#"permit (principal, action, resource) when { if context.effect.risk > -1 then ["read", "execute"].contains(context.effect.kind) else false };"#,
            r#"permit (principal, action, resource) when { {"a": 1, "b": [true, "x"]}.b.containsAny(["x"]) && [1, 2].containsAll([2]) && ![].isEmpty() };"#,
            r#"permit (principal, action, resource) when { context.effect.risk * 2 + 1 - -3 >= 4 && principal in [Airlock::Role::"a", Airlock::Role::"b"] };"#,
            r#"permit (principal, action, resource) when { principal.tenant == "default" } when { action == Airlock::Action::"mcp.call" };"#,
            r#"permit (principal, action, resource) when { resource.hasTag("x") && resource.getTag("x") == "y" };"#,
        ];
        for text in policies {
            assert!(round_trip(text).is_some(), "{text}");
        }
    }

    #[test]
    fn leaves_what_it_does_not_read_to_the_parser() {
        // Extension functions are not read.
        assert!(round_trip(
            r#"permit (principal, action, resource) when { ip("127.0.0.1").isLoopback() };"#
        )
        .is_none());
        let est = |text: &str| Policy::parse(None, text).unwrap().to_json().unwrap();
        let id = PolicyId::new("p");
        let mut unknown_operator =
            est(r#"permit (principal, action, resource) when { context.effect.risk < 2 };"#);
        let body = &mut unknown_operator["conditions"][0]["body"];
        *body = serde_json::json!({ "<<": body["<"].clone() });
        assert!(policy_from_est(&id, &unknown_operator, true).is_none());
        let mut extra_key = est("permit (principal, action, resource);");
        extra_key["principal"]["entity"] = serde_json::json!({"type": "A", "id": "b"});
        assert!(policy_from_est(&id, &extra_key, true).is_none());
        let mut not_a_policy = est("permit (principal, action, resource);");
        not_a_policy["effect"] = Value::from("allow");
        assert!(policy_from_est(&id, &not_a_policy, true).is_none());
        assert!(policy_from_est(&id, &Value::Null, true).is_none());
    }
}
