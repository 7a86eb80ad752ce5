//! The plan classifier: validates a `terraform show -json` plan, reads each
//! resource change, infers its environment and names the effects applying
//! the plan would have.

use airlock_model::{Classification, Span};
use serde::Serialize;
use serde_json::error::Category;
use serde_json::value::RawValue;

use crate::change::{ChangeAction, ResourceChange};
use crate::config::PlanConfig;
use crate::environment::{EnvironmentInference, ResourceFacts};
use crate::error::{absolute_position, line_and_column, PlanError};
use crate::raw::{raw_kind, render_path, RawKind, RawPlan, RawResourceChange};

/// Major `format_version`s this crate reads: 0.x (Terraform 0.12 to 0.15)
/// and 1.x (Terraform 1.0 onwards).
const SUPPORTED_MAJOR_VERSIONS: [u64; 2] = [0, 1];

/// Deepest nesting of arrays and objects accepted in a resource change (the
/// limit serde_json applies to the parts it builds). Terraform's own output
/// stays far below it; deeper input is refused rather than half-read. Parts
/// of a plan airlock does not judge (`prior_state`, `configuration`, ...)
/// are skipped without building anything, at any depth.
pub const MAX_NESTING: usize = 128;

/// Reads Terraform plans and names their effects.
#[derive(Debug, Clone)]
pub struct PlanClassifier {
    inference: EnvironmentInference,
}

/// What applying a plan would do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanReport {
    pub format_version: String,
    pub terraform_version: Option<String>,
    /// Terraform's own verdict on whether the plan can be applied.
    pub applyable: Option<bool>,
    /// `false` when Terraform deferred changes to a later plan.
    pub complete: Option<bool>,
    pub errored: bool,
    /// How many changes of each action the plan holds.
    pub counts: ChangeCounts,
    /// Every resource change, in plan order (no-ops included).
    pub changes: Vec<ResourceChange>,
    /// Things an approver should know that are not effects (an unapplyable or
    /// incomplete plan, drift outside Terraform).
    pub notes: Vec<String>,
    /// The effects policy judges, one per change that does something.
    pub classification: Classification,
}

/// Number of resource changes per action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ChangeCounts {
    pub create: usize,
    pub update: usize,
    pub replace: usize,
    pub delete: usize,
    pub forget: usize,
    pub read: usize,
    pub no_op: usize,
    pub unrecognized: usize,
    /// Changes that import an existing object (counted again by action).
    pub import: usize,
    /// Changes that move a resource to a new address (counted again by action).
    #[serde(rename = "move")]
    pub moved: usize,
    /// Resources changed outside Terraform, reported in `resource_drift`.
    pub drift: usize,
}

impl ChangeCounts {
    fn count(&mut self, change: &ResourceChange) {
        let slot = match change.action {
            ChangeAction::Create => &mut self.create,
            ChangeAction::Update => &mut self.update,
            ChangeAction::Replace { .. } | ChangeAction::CreateThenForget => &mut self.replace,
            ChangeAction::Delete => &mut self.delete,
            ChangeAction::Forget => &mut self.forget,
            ChangeAction::Read => &mut self.read,
            ChangeAction::NoOp => &mut self.no_op,
            ChangeAction::Unrecognized => &mut self.unrecognized,
        };
        *slot += 1;
        if change.importing.is_some() {
            self.import += 1;
        }
        if change.is_move() {
            self.moved += 1;
        }
    }
}

impl Default for PlanClassifier {
    fn default() -> Self {
        PlanClassifier::new(PlanConfig::default())
    }
}

impl PlanClassifier {
    pub fn new(config: PlanConfig) -> Self {
        PlanClassifier {
            inference: EnvironmentInference::new(&config),
        }
    }

    /// Judges `plan_json`, the exact text of `terraform show -json tfplan`.
    /// `workspace` is the Terraform workspace the plan was made in, if known:
    /// it names the environment of resources nothing else places.
    pub fn classify(
        &self,
        plan_json: &str,
        workspace: Option<&str>,
    ) -> Result<PlanReport, PlanError> {
        let plan: RawPlan<'_> =
            serde_json::from_str(plan_json).map_err(|e| top_level_error(plan_json, &e))?;

        let format_version = plan.format_version.ok_or_else(|| PlanError::NotAPlan {
            problem: "it has no `format_version` field".into(),
            location: String::new(),
        })?;
        let major = major_version(&format_version);
        if !major.is_some_and(|m| SUPPORTED_MAJOR_VERSIONS.contains(&m)) {
            return Err(PlanError::UnsupportedFormatVersion {
                version: format_version,
            });
        }
        if plan.errored == Some(true) {
            return Err(PlanError::Errored);
        }
        let resource_changes = match plan.resource_changes {
            Some(changes) => changes,
            None if plan.planned_values.is_some() => Vec::new(),
            None if plan.values.is_some() => {
                return Err(PlanError::NotAPlan {
                    problem: "it is the JSON form of a Terraform state, not of a plan".into(),
                    location: String::new(),
                })
            }
            None => {
                return Err(PlanError::NotAPlan {
                    problem: "it has neither `resource_changes` nor `planned_values`".into(),
                    location: String::new(),
                })
            }
        };

        let mut counts = ChangeCounts {
            drift: plan.resource_drift.as_ref().map_or(0, Vec::len),
            ..ChangeCounts::default()
        };
        let mut changes = Vec::with_capacity(resource_changes.len());
        let mut effects = Vec::new();
        for (index, raw) in resource_changes.iter().enumerate() {
            let change = self.read_change(plan_json, index, raw, workspace)?;
            counts.count(&change);
            if let Some(effect) = change.effect() {
                effects.push(effect);
            }
            changes.push(change);
        }

        let notes = notes(&plan.applyable, &plan.complete, major, &counts);
        Ok(PlanReport {
            format_version,
            terraform_version: plan.terraform_version,
            applyable: plan.applyable,
            complete: plan.complete,
            errored: false,
            counts,
            changes,
            notes,
            classification: Classification {
                effects,
                commands: Vec::new(),
            },
        })
    }

    fn read_change(
        &self,
        plan_json: &str,
        index: usize,
        raw: &RawValue,
        workspace: Option<&str>,
    ) -> Result<ResourceChange, PlanError> {
        let span = span_of(plan_json, raw.get());
        let invalid = |address: Option<&str>, (line, column): (usize, usize), message: String| {
            PlanError::InvalidResourceChange {
                index,
                address: address.map(str::to_owned),
                line,
                column,
                message,
            }
        };
        let at_start = || line_and_column(plan_json, span.start);
        if raw_kind(raw) != RawKind::Object {
            return Err(invalid(None, at_start(), "expected an object".into()));
        }
        if let Some(offset) = first_too_deep(raw.get().as_bytes()) {
            return Err(invalid(
                None,
                line_and_column(plan_json, span.start.saturating_add(offset)),
                format!("arrays and objects nest deeper than {MAX_NESTING} levels"),
            ));
        }
        let parsed: RawResourceChange<'_> = serde_json::from_str(raw.get()).map_err(|e| {
            invalid(
                None,
                absolute_position(plan_json, span.start, &e),
                message_of(&e),
            )
        })?;
        let Some(address) = parsed.address else {
            return Err(invalid(None, at_start(), "it has no `address`".into()));
        };
        let Some(change) = parsed.change else {
            return Err(invalid(
                Some(&address),
                at_start(),
                "it has no `change`".into(),
            ));
        };
        let actions = match change.actions {
            Some(actions) if !actions.is_empty() => actions,
            Some(_) => {
                return Err(invalid(
                    Some(&address),
                    at_start(),
                    "its `change.actions` is empty".into(),
                ))
            }
            None => {
                return Err(invalid(
                    Some(&address),
                    at_start(),
                    "it has no `change.actions`".into(),
                ))
            }
        };
        let action = ChangeAction::from_actions(&actions);
        let resource_type = parsed.resource_type.unwrap_or_default();
        let facts = ResourceFacts {
            address: &address,
            resource_type: &resource_type,
            values: [
                change.after.map(|v| ("after", v)),
                change
                    .before
                    .filter(|_| action.touches_existing_object())
                    .map(|v| ("before", v)),
            ],
        };
        let environment = self.inference.infer(&facts, workspace);
        Ok(ResourceChange {
            previous_address: parsed.previous_address,
            module_address: parsed.module_address,
            mode: parsed.mode.unwrap_or_else(|| "managed".to_owned()),
            resource_type,
            name: parsed.name.unwrap_or_default(),
            provider_name: parsed.provider_name,
            deposed: parsed.deposed,
            description: action.describe().to_owned(),
            action,
            actions,
            action_reason: parsed.action_reason,
            replace_paths: change
                .replace_paths
                .unwrap_or_default()
                .iter()
                .map(|steps| render_path(steps))
                .collect(),
            importing: change.importing.map(|i| i.id.unwrap_or_default()),
            environment: environment.tier,
            environment_evidence: environment.evidence,
            span,
            address,
        })
    }
}

/// The byte range `slice` occupies in `text`. `slice` is always borrowed
/// from `text`; should it not be, the empty span at 0 is returned.
fn span_of(text: &str, slice: &str) -> Span {
    let start = (slice.as_ptr() as usize).checked_sub(text.as_ptr() as usize);
    match start {
        Some(start) if start.saturating_add(slice.len()) <= text.len() => {
            Span::new(start, start + slice.len())
        }
        _ => Span::default(),
    }
}

/// The offset of the first `[` or `{` nested deeper than [`MAX_NESTING`] in
/// JSON text already known to be valid, or `None`.
fn first_too_deep(json: &[u8]) -> Option<usize> {
    let mut depth = 0usize;
    let mut offset = 0usize;
    while let Some(&byte) = json.get(offset) {
        match byte {
            b'"' => {
                // Skip to the closing quote: valid JSON strings end at the
                // first quote not preceded by an escaping backslash.
                offset += 1;
                loop {
                    let rest = json.get(offset..)?;
                    let next = memchr::memchr2(b'"', b'\\', rest)?;
                    offset += next;
                    if rest.get(next) == Some(&b'\\') {
                        offset += 2;
                    } else {
                        break;
                    }
                }
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(offset);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        offset += 1;
    }
    None
}

/// The major number of a `format_version` such as `1.2`.
fn major_version(version: &str) -> Option<u64> {
    let (major, _) = version.split_once('.').unwrap_or((version, ""));
    major.parse().ok()
}

/// serde_json's message without its trailing position.
fn message_of(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    text.strip_suffix(&suffix).unwrap_or(&text).to_owned()
}

fn top_level_error(text: &str, error: &serde_json::Error) -> PlanError {
    let (line, column) = if error.line() == 0 {
        line_and_column(text, 0)
    } else {
        (error.line(), error.column())
    };
    match error.classify() {
        Category::Data => PlanError::NotAPlan {
            problem: message_of(error).replace("struct RawPlan", "a plan object"),
            location: format!(" at line {line}, column {column}"),
        },
        Category::Syntax | Category::Eof | Category::Io => PlanError::NotJson {
            line,
            column,
            message: message_of(error),
        },
    }
}

fn notes(
    applyable: &Option<bool>,
    complete: &Option<bool>,
    major: Option<u64>,
    counts: &ChangeCounts,
) -> Vec<String> {
    let mut notes = Vec::new();
    if *applyable == Some(false) {
        notes.push(
            "Terraform marks this plan as not applyable (`applyable: false`): it has nothing to apply or cannot be applied as it stands."
                .to_owned(),
        );
    }
    if *complete == Some(false) {
        notes.push(
            "The plan is incomplete (`complete: false`): Terraform deferred some changes, so applying it will be followed by another plan with more changes."
                .to_owned(),
        );
    }
    if major == Some(0) {
        notes.push(
            "format_version 0.x comes from Terraform before 1.0; action reasons may be missing."
                .to_owned(),
        );
    }
    if counts.drift > 0 {
        notes.push(format!(
            "{} resource{} changed outside Terraform (`resource_drift`); apply does not act on drift itself, so it is not judged here.",
            counts.drift,
            if counts.drift == 1 { "" } else { "s" }
        ));
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_found_by_pointer_difference() {
        let text = "abcdef";
        assert_eq!(span_of(text, &text[2..4]), Span::new(2, 4));
        assert_eq!(span_of(text, "elsewhere"), Span::default());
    }

    #[test]
    fn nesting_is_measured_outside_strings_only() {
        let deep = format!(
            "{}{}",
            "[".repeat(MAX_NESTING + 1),
            "]".repeat(MAX_NESTING + 1)
        );
        assert_eq!(first_too_deep(deep.as_bytes()), Some(MAX_NESTING));
        let quoted = format!("[\"{}\\\"{}\"]", "[".repeat(500), "{".repeat(500));
        assert_eq!(first_too_deep(quoted.as_bytes()), None);
        let fine = "[".repeat(MAX_NESTING) + &"]".repeat(MAX_NESTING);
        assert_eq!(first_too_deep(fine.as_bytes()), None);
    }

    #[test]
    fn major_versions_parse() {
        assert_eq!(major_version("1.2"), Some(1));
        assert_eq!(major_version("0.1"), Some(0));
        assert_eq!(major_version("2"), Some(2));
        assert_eq!(major_version("x.1"), None);
    }
}
