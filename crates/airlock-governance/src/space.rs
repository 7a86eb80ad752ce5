//! The finite abstraction the analysis enumerates: for each thing a policy
//! can read, the values that matter (every literal the policies compare it
//! with, plus one "any other value"), and the abstract requests built from
//! them. Evaluating a compiled policy on an abstract request.

use airlock_model::{EffectKind, EnvTier, Sensitivity, ToolKind};

use crate::compile::{compare_longs, Attr, Cmp, CompiledPolicy, Cond, Lit, Literals};

/// Stands for every string no policy names. Made unique against the
/// literals in use by [`fresh_value`].
const OTHER: &str = "(any other value)";

/// Every target kind the classifiers produce.
pub const TARGET_KINDS: [&str; 9] = [
    "path", "device", "git_ref", "resource", "database", "remote", "program", "system", "unknown",
];
/// Every reversibility the classifiers produce.
pub const REVERSIBILITIES: [&str; 3] = ["reversible", "irreversible", "unknown"];

/// A value in an abstract request.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Val {
    Str(String),
    Long(i64),
}

impl Val {
    pub fn as_str(&self) -> String {
        match self {
            Val::Str(s) => s.clone(),
            Val::Long(n) => n.to_string(),
        }
    }
}

/// A string no literal in `taken` equals.
pub fn fresh_value(taken: &std::collections::BTreeSet<String>, base: &str) -> String {
    let mut value = base.to_string();
    while taken.contains(&value) {
        value.push('\'');
    }
    value
}

/// Whether a value stands for "anything not named": the representative of
/// every string no policy mentions.
pub fn is_other(value: &str) -> bool {
    value.starts_with(OTHER)
}

/// Who is asking, in one row of the matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub roles: Vec<String>,
    /// Fixed agent id, or `None` to enumerate agent ids.
    pub agent: Option<String>,
    pub operator: Option<String>,
    pub tenant: Option<String>,
}

/// The values each dimension of the enumeration takes.
#[derive(Debug, Clone)]
pub struct Space {
    pub agents: Vec<String>,
    pub actions: Vec<&'static str>,
    /// Indexed by [`Attr::index`].
    pub attrs: [Vec<Val>; 10],
    /// Whether each attribute was collapsed to one representative because
    /// no policy reads it (so the value stands for all values).
    pub collapsed: [bool; 10],
}

impl Space {
    /// The number of abstract requests for one principal.
    pub fn size(&self) -> u64 {
        let mut n = (self.agents.len() * self.actions.len()) as u64;
        for values in &self.attrs {
            n = n.saturating_mul(values.len() as u64);
        }
        n
    }

    /// The space for `principal` given the literals of the policies that
    /// apply to it. Environment, effect kind, risk and sensitivity always
    /// take every value (they are the matrix's axes).
    pub fn build(
        principal: &Principal,
        literals: &Literals,
        policies: &[&CompiledPolicy],
    ) -> Space {
        let reads = |attr: Attr| policies.iter().any(|p| p.reads(attr));
        let strings_of = |attr: Attr| -> std::collections::BTreeSet<String> {
            literals
                .attrs
                .get(attr.index())
                .map(|set| {
                    set.iter()
                        .filter_map(|lit| match lit {
                            Lit::Str(s) => Some(s.clone()),
                            Lit::Long(_) => None,
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let free = |attr: Attr,
                    fixed: Option<&String>,
                    extra: &std::collections::BTreeSet<String>|
         -> (Vec<Val>, bool) {
            if let Some(value) = fixed {
                return (vec![Val::Str(value.clone())], false);
            }
            let mut named = strings_of(attr);
            named.extend(extra.iter().cloned());
            if !reads(attr) && extra.is_empty() {
                return (vec![Val::Str(fresh_value(&named, OTHER))], true);
            }
            let other = fresh_value(&named, OTHER);
            let mut values: Vec<Val> = named.into_iter().map(Val::Str).collect();
            values.push(Val::Str(other));
            (values, false)
        };
        let finite =
            |attr: Attr, domain: &[&str], always: bool, default: &str| -> (Vec<Val>, bool) {
                if always {
                    return (
                        domain.iter().map(|v| Val::Str(v.to_string())).collect(),
                        false,
                    );
                }
                if !reads(attr) {
                    return (vec![Val::Str(default.to_string())], true);
                }
                let named = strings_of(attr);
                let mut values: Vec<Val> = domain
                    .iter()
                    .filter(|v| named.contains(**v))
                    .map(|v| Val::Str(v.to_string()))
                    .collect();
                if let Some(rest) = domain.iter().find(|v| !named.contains(**v)) {
                    values.push(Val::Str(rest.to_string()));
                }
                (values, false)
            };
        let none = std::collections::BTreeSet::new();
        let environments: Vec<&str> = EnvTier::ALL.iter().map(|e| e.as_str()).collect();
        let kinds: Vec<&str> = EffectKind::ALL.iter().map(|k| k.as_str()).collect();
        let sensitivities: Vec<&str> = [
            Sensitivity::Normal,
            Sensitivity::Protected,
            Sensitivity::Critical,
        ]
        .iter()
        .map(|s| s.as_str())
        .collect();
        let dims: [(Vec<Val>, bool); 10] = [
            free(Attr::Operator, principal.operator.as_ref(), &none),
            free(Attr::Tenant, principal.tenant.as_ref(), &none),
            finite(Attr::TargetKind, &TARGET_KINDS, false, "unknown"),
            free(Attr::TargetName, None, &literals.names),
            finite(Attr::Environment, &environments, true, ""),
            finite(Attr::Sensitivity, &sensitivities, true, ""),
            finite(Attr::EffectKind, &kinds, true, ""),
            finite(Attr::Reversibility, &REVERSIBILITIES, false, "unknown"),
            ((0..=4).map(Val::Long).collect(), false),
            free(Attr::Rule, None, &none),
        ];
        let collapsed = std::array::from_fn(|i| dims.get(i).is_some_and(|d| d.1));
        let attrs = dims.map(|d| d.0);
        let agents = match &principal.agent {
            Some(agent) => vec![agent.clone()],
            None => {
                let mut agents: Vec<String> = literals.agents.iter().cloned().collect();
                agents.push(fresh_value(&literals.agents, OTHER));
                agents
            }
        };
        Space {
            agents,
            actions: ToolKind::ALL.iter().map(|t| t.capability()).collect(),
            attrs,
            collapsed,
        }
    }
}

/// One abstract request.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub roles: &'a [String],
    pub agent: &'a str,
    pub action: &'a str,
    pub values: [&'a Val; 10],
}

impl Request<'_> {
    pub fn value(&self, attr: Attr) -> &Val {
        self.values[attr.index()]
    }

    pub fn str_of(&self, attr: Attr) -> &str {
        match self.value(attr) {
            Val::Str(s) => s,
            Val::Long(_) => "",
        }
    }

    pub fn risk(&self) -> i64 {
        match self.value(Attr::Risk) {
            Val::Long(n) => *n,
            Val::Str(_) => 0,
        }
    }
}

/// Three-valued truth: `Unknown` for constructs the abstraction does not
/// model (which might also fail to evaluate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Truth {
    False,
    True,
    Unknown,
}

/// Evaluates `cond` on `request` with Cedar's left-to-right short-circuit
/// semantics; anything reaching an unknown part first is unknown.
pub fn eval(cond: &Cond, request: &Request<'_>) -> Truth {
    let of = |b: bool| if b { Truth::True } else { Truth::False };
    match cond {
        Cond::Const(b) => of(*b),
        Cond::Unknown(_) => Truth::Unknown,
        Cond::Compare(attr, cmp, lit) => of(compare(request.value(*attr), *cmp, lit)),
        Cond::OneOf(attr, lits) => {
            let value = request.value(*attr);
            of(lits.iter().any(|lit| compare(value, Cmp::Eq, lit)))
        }
        Cond::HasRole(role) => of(request.roles.iter().any(|r| r == role)),
        Cond::AgentIs(agent) => of(request.agent == agent),
        Cond::ActionIs(actions) => of(actions.iter().any(|a| a == request.action)),
        Cond::TargetIs(name) => of(request.str_of(Attr::TargetName) == name),
        Cond::Not(a) => match eval(a, request) {
            Truth::True => Truth::False,
            Truth::False => Truth::True,
            Truth::Unknown => Truth::Unknown,
        },
        Cond::And(a, b) => match eval(a, request) {
            Truth::True => eval(b, request),
            other => other,
        },
        Cond::Or(a, b) => match eval(a, request) {
            Truth::False => eval(b, request),
            other => other,
        },
        Cond::If(c, t, e) => match eval(c, request) {
            Truth::True => eval(t, request),
            Truth::False => eval(e, request),
            Truth::Unknown => Truth::Unknown,
        },
    }
}

fn compare(value: &Val, cmp: Cmp, lit: &Lit) -> bool {
    match (value, lit) {
        (Val::Str(a), Lit::Str(b)) => match cmp {
            Cmp::Eq => a == b,
            Cmp::Ne => a != b,
            // Strict validation rejects ordering on strings.
            _ => false,
        },
        (Val::Long(a), Lit::Long(b)) => compare_longs(cmp, *a, *b),
        // Values of different types are never equal.
        _ => cmp == Cmp::Ne,
    }
}

/// Calls `visit` once for every abstract request of `space` for `roles`.
pub fn enumerate<'a>(space: &'a Space, roles: &'a [String], mut visit: impl FnMut(&Request<'a>)) {
    if space.attrs.iter().any(Vec::is_empty) {
        return;
    }
    let mut counters = [0usize; 10];
    for agent in &space.agents {
        for action in &space.actions {
            counters.iter_mut().for_each(|c| *c = 0);
            loop {
                let values: [&Val; 10] = std::array::from_fn(|i| {
                    let dim = space.attrs.get(i).map(Vec::as_slice).unwrap_or_default();
                    let at = counters.get(i).copied().unwrap_or(0);
                    dim.get(at).or_else(|| dim.first()).unwrap_or(&Val::Long(0))
                });
                visit(&Request {
                    roles,
                    agent,
                    action,
                    values,
                });
                // Advance the odometer, last dimension fastest.
                let mut wrapped_all = true;
                for position in (0..10).rev() {
                    let len = space.attrs.get(position).map_or(1, Vec::len);
                    if let Some(counter) = counters.get_mut(position) {
                        *counter += 1;
                        if *counter < len {
                            wrapped_all = false;
                            break;
                        }
                        *counter = 0;
                    }
                }
                if wrapped_all {
                    break;
                }
            }
        }
    }
}

/// The attributes the matrix is indexed by (always enumerated in full).
const AXIS: [Attr; 4] = [
    Attr::Environment,
    Attr::Sensitivity,
    Attr::EffectKind,
    Attr::Risk,
];
/// The other attributes.
const EXTRA: [Attr; 6] = [
    Attr::Operator,
    Attr::Tenant,
    Attr::TargetKind,
    Attr::TargetName,
    Attr::Reversibility,
    Attr::Rule,
];

/// What a condition is once the axis attributes are known and the others
/// are not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Partial {
    Known(Truth),
    /// Depends on a non-axis attribute.
    Open,
}

/// Evaluates `cond` with only the axis attributes known. `exact` says the
/// policy has no unknown construct (so no part of it can fail), which
/// makes `open && false` false and `open || true` true.
fn partial(cond: &Cond, request: &Request<'_>, known: &[bool; 10], exact: bool) -> Partial {
    use Partial::{Known, Open};
    let is_known = |attr: Attr| known.get(attr.index()).copied().unwrap_or(false);
    match cond {
        Cond::Compare(attr, ..) | Cond::OneOf(attr, _) if !is_known(*attr) => Open,
        Cond::TargetIs(_) if !is_known(Attr::TargetName) => Open,
        Cond::Not(a) => match partial(a, request, known, exact) {
            Known(Truth::True) => Known(Truth::False),
            Known(Truth::False) => Known(Truth::True),
            other => other,
        },
        Cond::And(a, b) => match partial(a, request, known, exact) {
            Known(Truth::True) => partial(b, request, known, exact),
            Open => match partial(b, request, known, exact) {
                Known(Truth::False) if exact => Known(Truth::False),
                _ => Open,
            },
            other => other,
        },
        Cond::Or(a, b) => match partial(a, request, known, exact) {
            Known(Truth::False) => partial(b, request, known, exact),
            Open => match partial(b, request, known, exact) {
                Known(Truth::True) if exact => Known(Truth::True),
                _ => Open,
            },
            other => other,
        },
        Cond::If(c, t, e) => match partial(c, request, known, exact) {
            Known(Truth::True) => partial(t, request, known, exact),
            Known(Truth::False) => partial(e, request, known, exact),
            Known(Truth::Unknown) => Known(Truth::Unknown),
            Open => {
                let then = partial(t, request, known, exact);
                if exact && then == partial(e, request, known, exact) && then != Open {
                    then
                } else {
                    Open
                }
            }
        },
        other => Known(eval(other, request)),
    }
}

/// Advances an odometer over dimensions of the given lengths, last fastest;
/// false once it wrapped around.
fn advance(counters: &mut [usize], lengths: &[usize]) -> bool {
    for (counter, length) in counters.iter_mut().zip(lengths).rev() {
        *counter += 1;
        if *counter < *length {
            return true;
        }
        *counter = 0;
    }
    false
}

/// Calls `visit` for every class of abstract requests of `space` that the
/// policies of `slice` cannot tell apart: with one representative request,
/// the truth of each policy (in slice order) and how many abstract
/// requests the class holds. Requests differing in reversibility are kept
/// apart. Policies are first evaluated with only the matrix axes known;
/// only those still open are evaluated for each value of the other
/// attributes.
pub fn for_each_class<'a>(
    space: &'a Space,
    roles: &'a [String],
    slice: &[&CompiledPolicy],
    mut visit: impl FnMut(&Request<'a>, &[Truth], u64),
) {
    if space.attrs.iter().any(Vec::is_empty) {
        return;
    }
    let length = |attr: &Attr| space.attrs.get(attr.index()).map_or(1, Vec::len);
    let axis_lengths: Vec<usize> = AXIS.iter().map(length).collect();
    let extra_lengths: Vec<usize> = EXTRA.iter().map(length).collect();
    let mut known = [false; 10];
    for attr in AXIS {
        if let Some(k) = known.get_mut(attr.index()) {
            *k = true;
        }
    }
    let exact: Vec<bool> = slice.iter().map(|p| p.unsupported.is_empty()).collect();
    static FALLBACK: Val = Val::Long(0);
    let build = |axis: &[usize], extra: &[usize]| -> [&'a Val; 10] {
        let mut values: [&'a Val; 10] = std::array::from_fn(|i| {
            space
                .attrs
                .get(i)
                .and_then(|d| d.first())
                .unwrap_or(&FALLBACK)
        });
        for (attr, at) in AXIS.iter().zip(axis).chain(EXTRA.iter().zip(extra)) {
            if let (Some(slot), Some(value)) = (
                values.get_mut(attr.index()),
                space.attrs.get(attr.index()).and_then(|d| d.get(*at)),
            ) {
                *slot = value;
            }
        }
        values
    };
    let mut truths: Vec<Truth> = Vec::with_capacity(slice.len());
    let mut open: Vec<usize> = Vec::new();
    // Per class: the open policies' truths packed two bits each (plus the
    // irreversible flag), one representative's extra counters, and count.
    let mut classes: Vec<(Vec<u64>, Vec<usize>, u64)> = Vec::new();
    let mut key: Vec<u64> = Vec::new();
    let extra_total: u64 = extra_lengths.iter().map(|l| *l as u64).product();
    for agent in &space.agents {
        for action in &space.actions {
            let mut axis = vec![0usize; AXIS.len()];
            loop {
                let first_extra = vec![0usize; EXTRA.len()];
                let request = Request {
                    roles,
                    agent,
                    action,
                    values: build(&axis, &first_extra),
                };
                truths.clear();
                open.clear();
                for (index, policy) in slice.iter().enumerate() {
                    let exact = exact.get(index).copied().unwrap_or(false);
                    match partial(&policy.cond, &request, &known, exact) {
                        Partial::Known(truth) => truths.push(truth),
                        Partial::Open => {
                            truths.push(Truth::Unknown);
                            open.push(index);
                        }
                    }
                }
                let reversibility_read = !space
                    .collapsed
                    .get(Attr::Reversibility.index())
                    .copied()
                    .unwrap_or(true);
                if open.is_empty() && !reversibility_read {
                    visit(&request, &truths, extra_total);
                } else {
                    classes.clear();
                    let mut extra = vec![0usize; EXTRA.len()];
                    loop {
                        let request = Request {
                            roles,
                            agent,
                            action,
                            values: build(&axis, &extra),
                        };
                        key.clear();
                        key.push(u64::from(
                            request.str_of(Attr::Reversibility) == "irreversible",
                        ));
                        for (position, index) in open.iter().enumerate() {
                            let code: u64 = match slice.get(*index).map(|p| eval(&p.cond, &request))
                            {
                                Some(Truth::True) => 1,
                                Some(Truth::False) => 2,
                                _ => 3,
                            };
                            let word = 1 + position / 32;
                            if key.len() <= word {
                                key.push(0);
                            }
                            if let Some(bits) = key.get_mut(word) {
                                *bits |= code << ((position % 32) * 2);
                            }
                        }
                        match classes.iter_mut().find(|(k, _, _)| *k == key) {
                            Some(class) => class.2 += 1,
                            None => classes.push((key.clone(), extra.clone(), 1)),
                        }
                        if !advance(&mut extra, &extra_lengths) {
                            break;
                        }
                    }
                    for (class_key, extra, count) in &classes {
                        for (position, index) in open.iter().enumerate() {
                            let code = class_key
                                .get(1 + position / 32)
                                .map_or(3, |bits| (bits >> ((position % 32) * 2)) & 3);
                            if let Some(slot) = truths.get_mut(*index) {
                                *slot = match code {
                                    1 => Truth::True,
                                    2 => Truth::False,
                                    _ => Truth::Unknown,
                                };
                            }
                        }
                        let request = Request {
                            roles,
                            agent,
                            action,
                            values: build(&axis, extra),
                        };
                        visit(&request, &truths, *count);
                    }
                }
                if !advance(&mut axis, &axis_lengths) {
                    break;
                }
            }
        }
    }
}
