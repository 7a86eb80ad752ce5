//! Turning Cedar policies into conditions over airlock's abstract request:
//! the principal's roles and agent id, the capability, and the attributes
//! of the target and the effect. Every attribute may only be compared with
//! literals (`==`, `!=`, `<`, `<=`, `>`, `>=`, `[…].contains(…)`); that is
//! what makes "each literal, plus any other value" an exhaustive
//! abstraction. Anything else (`like`, extension functions, arithmetic,
//! comparing two attributes) becomes [`Cond::Unknown`] and is reported as
//! not analysed instead of guessed.

use std::collections::BTreeSet;

use airlock_model::ApprovalRequirement;
use airlock_policy::{PolicyEffect, PolicyInfo};
use cedar_policy::Policy;
use serde_json::Value as Json;

/// An attribute of the abstract request a policy can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Attr {
    Operator,
    Tenant,
    TargetKind,
    TargetName,
    Environment,
    Sensitivity,
    EffectKind,
    Reversibility,
    Risk,
    Rule,
}

impl Attr {
    pub const ALL: [Attr; 10] = [
        Attr::Operator,
        Attr::Tenant,
        Attr::TargetKind,
        Attr::TargetName,
        Attr::Environment,
        Attr::Sensitivity,
        Attr::EffectKind,
        Attr::Reversibility,
        Attr::Risk,
        Attr::Rule,
    ];

    /// How Cedar policies spell the attribute.
    pub fn cedar_name(self) -> &'static str {
        match self {
            Attr::Operator => "principal.operator",
            Attr::Tenant => "principal.tenant",
            Attr::TargetKind => "resource.kind",
            Attr::TargetName => "resource.name",
            Attr::Environment => "resource.environment",
            Attr::Sensitivity => "resource.sensitivity",
            Attr::EffectKind => "context.effect.kind",
            Attr::Reversibility => "context.effect.reversibility",
            Attr::Risk => "context.effect.risk",
            Attr::Rule => "context.effect.rule",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// A literal a policy compares an attribute with.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Lit {
    Str(String),
    Long(i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    /// The comparison with its operands swapped (`3 < x` is `x > 3`).
    fn flipped(self) -> Cmp {
        match self {
            Cmp::Lt => Cmp::Gt,
            Cmp::Le => Cmp::Ge,
            Cmp::Gt => Cmp::Lt,
            Cmp::Ge => Cmp::Le,
            other => other,
        }
    }
}

/// A policy's scope and conditions as one boolean formula.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    Const(bool),
    /// A construct the abstraction cannot decide; the text says which.
    Unknown(String),
    Compare(Attr, Cmp, Lit),
    /// `[…].contains(attr)`: the attribute equals one of the literals.
    OneOf(Attr, Vec<Lit>),
    /// The principal holds this role.
    HasRole(String),
    /// The principal is the agent with this id.
    AgentIs(String),
    /// The action is one of these capabilities.
    ActionIs(Vec<String>),
    /// The resource is the target with this name.
    TargetIs(String),
    Not(Box<Cond>),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    If(Box<Cond>, Box<Cond>, Box<Cond>),
}

/// A policy ready for abstract evaluation.
#[derive(Debug, Clone)]
pub struct CompiledPolicy {
    /// Index of the policy in its engine's load order.
    pub index: usize,
    pub info: PolicyInfo,
    pub cond: Cond,
    /// The role the scope requires (`principal in Airlock::Role::"…"`).
    pub role_scope: Option<String>,
    /// Why parts of the policy are not analysed (empty when fully analysed).
    pub unsupported: Vec<String>,
}

impl CompiledPolicy {
    pub fn is_permit(&self) -> bool {
        self.info.effect == PolicyEffect::Permit
    }

    pub fn approvals(&self) -> Option<&ApprovalRequirement> {
        self.info.approvals.as_ref()
    }

    /// Every literal compared with each attribute, every role, agent id and
    /// target name the policy names.
    pub fn collect_literals(&self, into: &mut Literals) {
        collect(&self.cond, into);
    }

    /// Whether the policy's condition reads `attr`.
    pub fn reads(&self, attr: Attr) -> bool {
        reads(&self.cond, attr)
    }
}

/// Literals gathered from policies, per attribute.
#[derive(Debug, Clone, Default)]
pub struct Literals {
    pub attrs: [BTreeSet<Lit>; 10],
    pub roles: BTreeSet<String>,
    pub agents: BTreeSet<String>,
    pub names: BTreeSet<String>,
}

fn collect(cond: &Cond, into: &mut Literals) {
    match cond {
        Cond::Const(_) | Cond::Unknown(_) | Cond::ActionIs(_) => {}
        Cond::Compare(attr, _, lit) => {
            if let Some(set) = into.attrs.get_mut(attr.index()) {
                set.insert(lit.clone());
            }
        }
        Cond::OneOf(attr, lits) => {
            if let Some(set) = into.attrs.get_mut(attr.index()) {
                set.extend(lits.iter().cloned());
            }
        }
        Cond::HasRole(role) => {
            into.roles.insert(role.clone());
        }
        Cond::AgentIs(agent) => {
            into.agents.insert(agent.clone());
        }
        Cond::TargetIs(name) => {
            into.names.insert(name.clone());
        }
        Cond::Not(a) => collect(a, into),
        Cond::And(a, b) | Cond::Or(a, b) => {
            collect(a, into);
            collect(b, into);
        }
        Cond::If(a, b, c) => {
            collect(a, into);
            collect(b, into);
            collect(c, into);
        }
    }
}

fn reads(cond: &Cond, attr: Attr) -> bool {
    match cond {
        Cond::Compare(a, ..) | Cond::OneOf(a, _) => *a == attr,
        Cond::TargetIs(_) => attr == Attr::TargetName,
        Cond::Not(a) => reads(a, attr),
        Cond::And(a, b) | Cond::Or(a, b) => reads(a, attr) || reads(b, attr),
        Cond::If(a, b, c) => reads(a, attr) || reads(b, attr) || reads(c, attr),
        _ => false,
    }
}

const AGENT_TYPE: &str = "Airlock::Agent";
const ROLE_TYPE: &str = "Airlock::Role";
const TARGET_TYPE: &str = "Airlock::Target";
const ACTION_TYPE: &str = "Airlock::Action";

/// Compiles one loaded policy. Never fails: what cannot be compiled is
/// [`Cond::Unknown`].
pub fn compile(index: usize, info: &PolicyInfo, policy: &Policy) -> CompiledPolicy {
    let mut unsupported = Vec::new();
    let (cond, role_scope) = match policy.to_json() {
        Ok(json) => {
            let mut compiler = Compiler {
                unsupported: &mut unsupported,
            };
            compiler.policy(&json)
        }
        Err(err) => {
            let why = format!("cannot read the policy: {err}");
            unsupported.push(why.clone());
            (Cond::Unknown(why), None)
        }
    };
    CompiledPolicy {
        index,
        info: info.clone(),
        cond,
        role_scope,
        unsupported,
    }
}

struct Compiler<'a> {
    unsupported: &'a mut Vec<String>,
}

/// An operand of a comparison, once understood.
enum Operand {
    Attr(Attr),
    Lit(Lit),
    Bool(bool),
    Var(&'static str),
    Entity(String, String),
    Set(Vec<Operand>),
    Other,
}

impl Compiler<'_> {
    fn unknown(&mut self, why: impl Into<String>) -> Cond {
        let why = why.into();
        if !self.unsupported.contains(&why) {
            self.unsupported.push(why.clone());
        }
        Cond::Unknown(why)
    }

    fn policy(&mut self, json: &Json) -> (Cond, Option<String>) {
        let mut role_scope = None;
        let principal = match json.get("principal") {
            Some(scope) => self.scope("principal", scope, &mut role_scope),
            None => Cond::Const(true),
        };
        let mut ignored = None;
        let action = match json.get("action") {
            Some(scope) => self.scope("action", scope, &mut ignored),
            None => Cond::Const(true),
        };
        let resource = match json.get("resource") {
            Some(scope) => self.scope("resource", scope, &mut ignored),
            None => Cond::Const(true),
        };
        let mut cond = and(principal, and(action, resource));
        if let Some(conditions) = json.get("conditions").and_then(Json::as_array) {
            for condition in conditions {
                let body = match condition.get("body") {
                    Some(body) => self.expr(body),
                    None => self.unknown("a condition without a body"),
                };
                let body = match condition.get("kind").and_then(Json::as_str) {
                    Some("unless") => Cond::Not(Box::new(body)),
                    _ => body,
                };
                cond = and(cond, body);
            }
        }
        (cond, role_scope)
    }

    fn scope(&mut self, var: &'static str, scope: &Json, role_scope: &mut Option<String>) -> Cond {
        let op = scope.get("op").and_then(Json::as_str).unwrap_or("All");
        let entity = scope.get("entity").and_then(entity_of);
        match op {
            "All" => Cond::Const(true),
            "==" => match entity {
                Some((ty, id)) => self.var_equals(var, &ty, &id),
                None => self.unknown(format!("{var} scope without an entity")),
            },
            "in" => {
                if let Some((ty, id)) = entity {
                    if var == "principal" && ty == ROLE_TYPE {
                        *role_scope = Some(id.clone());
                    }
                    return self.var_in(var, &ty, &id);
                }
                match scope.get("entities").and_then(Json::as_array) {
                    Some(list) => {
                        let entities: Vec<(String, String)> =
                            list.iter().filter_map(entity_of).collect();
                        any_of(
                            entities
                                .iter()
                                .map(|(ty, id)| self.var_in(var, ty, id))
                                .collect(),
                        )
                    }
                    None => self.unknown(format!("{var} scope `in` without entities")),
                }
            }
            "is" => {
                let ty = scope
                    .get("entity_type")
                    .and_then(Json::as_str)
                    .unwrap_or("");
                let is = Cond::Const(ty == expected_type(var));
                match scope
                    .get("in")
                    .and_then(|i| i.get("entity"))
                    .and_then(entity_of)
                {
                    Some((ety, id)) => {
                        if var == "principal" && ety == ROLE_TYPE {
                            *role_scope = Some(id.clone());
                        }
                        and(is, self.var_in(var, &ety, &id))
                    }
                    None => is,
                }
            }
            other => self.unknown(format!("{var} scope `{other}`")),
        }
    }

    /// `var == Type::"id"`.
    fn var_equals(&mut self, var: &str, ty: &str, id: &str) -> Cond {
        match (var, ty) {
            ("principal", AGENT_TYPE) => Cond::AgentIs(id.to_string()),
            ("action", ACTION_TYPE) => Cond::ActionIs(vec![id.to_string()]),
            ("resource", TARGET_TYPE) => Cond::TargetIs(id.to_string()),
            _ => Cond::Const(false),
        }
    }

    /// `var in Type::"id"`: agents are in their roles; actions and targets
    /// have no parents, so `in` is equality for them.
    fn var_in(&mut self, var: &str, ty: &str, id: &str) -> Cond {
        match (var, ty) {
            ("principal", ROLE_TYPE) => Cond::HasRole(id.to_string()),
            _ => self.var_equals(var, ty, id),
        }
    }

    fn expr(&mut self, json: &Json) -> Cond {
        let Some(object) = json.as_object() else {
            return self.unknown("an expression airlock cannot read");
        };
        let Some((op, arg)) = object.iter().next() else {
            return self.unknown("an empty expression");
        };
        match op.as_str() {
            "Value" => match arg.as_bool() {
                Some(b) => Cond::Const(b),
                None => self.unknown("a non-boolean value used as a condition"),
            },
            "!" => {
                let inner = match arg.get("arg") {
                    Some(a) => self.expr(a),
                    None => self.unknown("`!` without operand"),
                };
                Cond::Not(Box::new(inner))
            }
            "&&" | "||" => {
                let left = self.operand_expr(arg, "left");
                let right = self.operand_expr(arg, "right");
                if op == "&&" {
                    Cond::And(Box::new(left), Box::new(right))
                } else {
                    Cond::Or(Box::new(left), Box::new(right))
                }
            }
            "if-then-else" => {
                let c = self.operand_expr(arg, "if");
                let t = self.operand_expr(arg, "then");
                let e = self.operand_expr(arg, "else");
                Cond::If(Box::new(c), Box::new(t), Box::new(e))
            }
            "==" | "!=" | "<" | "<=" | ">" | ">=" => {
                let cmp = match op.as_str() {
                    "==" => Cmp::Eq,
                    "!=" => Cmp::Ne,
                    "<" => Cmp::Lt,
                    "<=" => Cmp::Le,
                    ">" => Cmp::Gt,
                    _ => Cmp::Ge,
                };
                let left = arg.get("left").map_or(Operand::Other, operand);
                let right = arg.get("right").map_or(Operand::Other, operand);
                self.compare(cmp, left, right)
            }
            "in" => {
                let left = arg.get("left").map_or(Operand::Other, operand);
                let right = arg.get("right").map_or(Operand::Other, operand);
                match (left, right) {
                    (Operand::Var(var), Operand::Entity(ty, id)) => self.var_in(var, &ty, &id),
                    (Operand::Var(var), Operand::Set(items)) => {
                        let mut alternatives = Vec::new();
                        for item in items {
                            match item {
                                Operand::Entity(ty, id) => {
                                    alternatives.push(self.var_in(var, &ty, &id))
                                }
                                _ => {
                                    return self
                                        .unknown("`in` a set that is not all entity literals")
                                }
                            }
                        }
                        any_of(alternatives)
                    }
                    _ => self
                        .unknown("`in` between operands other than a variable and entity literals"),
                }
            }
            "contains" => {
                let left = arg.get("left").map_or(Operand::Other, operand);
                let right = arg.get("right").map_or(Operand::Other, operand);
                match (left, right) {
                    (Operand::Set(items), Operand::Attr(attr)) => {
                        let mut lits = Vec::new();
                        for item in items {
                            match item {
                                Operand::Lit(lit) => lits.push(lit),
                                _ => {
                                    return self
                                        .unknown("`contains` on a set that is not all literals")
                                }
                            }
                        }
                        Cond::OneOf(attr, lits)
                    }
                    _ => {
                        self.unknown("`contains` other than a literal set containing an attribute")
                    }
                }
            }
            "has" => {
                // Strict validation admits `has` only on attributes the
                // schema declares, and every one of them is required.
                let attr = arg.get("attr").and_then(Json::as_str).unwrap_or("");
                let known = [
                    "operator",
                    "tenant",
                    "kind",
                    "name",
                    "environment",
                    "sensitivity",
                    "effect",
                    "reversibility",
                    "risk",
                    "rule",
                ];
                if known.contains(&attr) {
                    Cond::Const(true)
                } else {
                    self.unknown(format!("`has {attr}`"))
                }
            }
            "is" => {
                let ty = arg.get("entity_type").and_then(Json::as_str).unwrap_or("");
                match arg.get("left").map_or(Operand::Other, operand) {
                    Operand::Var(var) => {
                        let is = Cond::Const(ty == expected_type(var));
                        match arg.get("in").map(operand) {
                            Some(Operand::Entity(ety, id)) => and(is, self.var_in(var, &ety, &id)),
                            Some(_) => self.unknown("`is … in` with a non-literal"),
                            None => is,
                        }
                    }
                    _ => self.unknown("`is` on something other than a variable"),
                }
            }
            "like" => self.unknown("`like` pattern"),
            "." => self.unknown("an attribute used directly as a condition"),
            other => self.unknown(format!(
                "`{other}` (an operator or extension function the abstraction does not model)"
            )),
        }
    }

    fn operand_expr(&mut self, arg: &Json, key: &str) -> Cond {
        match arg.get(key) {
            Some(e) => self.expr(e),
            None => self.unknown(format!("missing `{key}`")),
        }
    }

    fn compare(&mut self, cmp: Cmp, left: Operand, right: Operand) -> Cond {
        match (left, right) {
            (Operand::Attr(attr), Operand::Lit(lit)) => Cond::Compare(attr, cmp, lit),
            (Operand::Lit(lit), Operand::Attr(attr)) => Cond::Compare(attr, cmp.flipped(), lit),
            (Operand::Lit(a), Operand::Lit(b)) => Cond::Const(match cmp {
                Cmp::Eq => a == b,
                Cmp::Ne => a != b,
                _ => match (a, b) {
                    (Lit::Long(x), Lit::Long(y)) => compare_longs(cmp, x, y),
                    _ => return self.unknown("ordering of non-numbers"),
                },
            }),
            (Operand::Bool(a), Operand::Bool(b)) if matches!(cmp, Cmp::Eq | Cmp::Ne) => {
                Cond::Const((a == b) == (cmp == Cmp::Eq))
            }
            (Operand::Var(var), Operand::Entity(ty, id))
            | (Operand::Entity(ty, id), Operand::Var(var))
                if matches!(cmp, Cmp::Eq | Cmp::Ne) =>
            {
                let eq = self.var_equals(var, &ty, &id);
                if cmp == Cmp::Eq {
                    eq
                } else {
                    Cond::Not(Box::new(eq))
                }
            }
            (Operand::Attr(_), Operand::Attr(_)) => self.unknown("a comparison of two attributes"),
            _ => self.unknown("a comparison the abstraction does not model"),
        }
    }
}

pub(crate) fn compare_longs(cmp: Cmp, x: i64, y: i64) -> bool {
    match cmp {
        Cmp::Eq => x == y,
        Cmp::Ne => x != y,
        Cmp::Lt => x < y,
        Cmp::Le => x <= y,
        Cmp::Gt => x > y,
        Cmp::Ge => x >= y,
    }
}

fn expected_type(var: &str) -> &'static str {
    match var {
        "principal" => AGENT_TYPE,
        "action" => ACTION_TYPE,
        _ => TARGET_TYPE,
    }
}

fn and(a: Cond, b: Cond) -> Cond {
    match (&a, &b) {
        (Cond::Const(true), _) => b,
        (_, Cond::Const(true)) => a,
        _ => Cond::And(Box::new(a), Box::new(b)),
    }
}

fn any_of(mut alternatives: Vec<Cond>) -> Cond {
    // Actions: merge into one ActionIs.
    if !alternatives.is_empty() && alternatives.iter().all(|c| matches!(c, Cond::ActionIs(_))) {
        let mut ids = Vec::new();
        for alternative in alternatives {
            if let Cond::ActionIs(mut list) = alternative {
                ids.append(&mut list);
            }
        }
        return Cond::ActionIs(ids);
    }
    let Some(mut cond) = alternatives.pop() else {
        return Cond::Const(false);
    };
    while let Some(next) = alternatives.pop() {
        cond = Cond::Or(Box::new(next), Box::new(cond));
    }
    cond
}

/// `{"type": …, "id": …}` or `{"__entity": {…}}`.
fn entity_of(json: &Json) -> Option<(String, String)> {
    let json = json.get("__entity").unwrap_or(json);
    let ty = json.get("type")?.as_str()?;
    let id = json.get("id")?.as_str()?;
    Some((ty.to_string(), id.to_string()))
}

fn operand(json: &Json) -> Operand {
    let Some((op, arg)) = json.as_object().and_then(|o| o.iter().next()) else {
        return Operand::Other;
    };
    match op.as_str() {
        "Value" => value_operand(arg),
        "Var" => match arg.as_str() {
            Some("principal") => Operand::Var("principal"),
            Some("action") => Operand::Var("action"),
            Some("resource") => Operand::Var("resource"),
            _ => Operand::Other,
        },
        "." => {
            let attr = arg.get("attr").and_then(Json::as_str).unwrap_or("");
            let base = arg.get("left").map(path_of).unwrap_or_default();
            let attr = match (base.as_str(), attr) {
                ("principal", "operator") => Attr::Operator,
                ("principal", "tenant") => Attr::Tenant,
                ("resource", "kind") => Attr::TargetKind,
                ("resource", "name") => Attr::TargetName,
                ("resource", "environment") => Attr::Environment,
                ("resource", "sensitivity") => Attr::Sensitivity,
                ("context.effect", "kind") => Attr::EffectKind,
                ("context.effect", "reversibility") => Attr::Reversibility,
                ("context.effect", "risk") => Attr::Risk,
                ("context.effect", "rule") => Attr::Rule,
                _ => return Operand::Other,
            };
            Operand::Attr(attr)
        }
        "Set" => match arg.as_array() {
            Some(items) => Operand::Set(items.iter().map(operand).collect()),
            None => Operand::Other,
        },
        _ => Operand::Other,
    }
}

fn value_operand(value: &Json) -> Operand {
    match value {
        Json::String(s) => Operand::Lit(Lit::Str(s.clone())),
        Json::Number(n) => n
            .as_i64()
            .map_or(Operand::Other, |n| Operand::Lit(Lit::Long(n))),
        Json::Bool(b) => Operand::Bool(*b),
        Json::Object(_) => match entity_of(value) {
            Some((ty, id)) => Operand::Entity(ty, id),
            None => Operand::Other,
        },
        Json::Array(items) => Operand::Set(items.iter().map(value_operand).collect()),
        Json::Null => Operand::Other,
    }
}

/// `context.effect` for `{".": {"left": {"Var": "context"}, "attr": "effect"}}`.
fn path_of(json: &Json) -> String {
    if let Some(var) = json.get("Var").and_then(Json::as_str) {
        return var.to_string();
    }
    match json.get(".") {
        Some(dot) => {
            let base = dot.get("left").map(path_of).unwrap_or_default();
            let attr = dot.get("attr").and_then(Json::as_str).unwrap_or("");
            format!("{base}.{attr}")
        }
        None => String::new(),
    }
}
