//! Why a plan could not be judged: each error says what is wrong, where (line
//! and column of the plan text), and how to produce a plan airlock can read.

use thiserror::Error;

/// How to produce input this crate reads.
pub const HOW_TO_PRODUCE_A_PLAN: &str =
    "run `terraform plan -out=tfplan` and then `terraform show -json tfplan > plan.json`";

/// A plan that cannot be judged. airlock refuses to guess at the effect of
/// input it cannot read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PlanError {
    /// The text is not valid JSON (or is cut short, or nests too deeply).
    #[error(
        "the plan is not valid JSON at line {line}, column {column}: {message}; {}",
        HOW_TO_PRODUCE_A_PLAN
    )]
    NotJson {
        line: usize,
        column: usize,
        message: String,
    },
    /// Valid JSON, but not the JSON form of a Terraform plan.
    #[error(
        "the input is not a Terraform plan ({problem}){location}; {}",
        HOW_TO_PRODUCE_A_PLAN
    )]
    NotAPlan {
        problem: String,
        /// ` at line L, column C` when a position is known, else empty.
        location: String,
    },
    /// A `format_version` whose major version this crate does not read.
    #[error(
        "the plan has format_version {version:?}, which airlock does not read (it reads major versions 0 and 1); produce the plan with Terraform 0.12 to 1.x: {}",
        HOW_TO_PRODUCE_A_PLAN
    )]
    UnsupportedFormatVersion { version: String },
    /// Terraform itself reported that planning failed.
    #[error(
        "the plan has `errored: true`: Terraform could not finish planning, so it does not show what apply would do; fix the errors `terraform plan` reports, then {}",
        HOW_TO_PRODUCE_A_PLAN
    )]
    Errored,
    /// One entry of `resource_changes` cannot be read.
    #[error(
        "resource_changes[{index}]{} at line {line}, column {column} cannot be read: {message}; {}",
        address.as_ref().map(|a| format!(" ({a})")).unwrap_or_default(),
        HOW_TO_PRODUCE_A_PLAN
    )]
    InvalidResourceChange {
        index: usize,
        address: Option<String>,
        line: usize,
        column: usize,
        message: String,
    },
}

/// The 1-based line and column of byte `offset` in `text` (columns count
/// bytes, as serde_json's do).
pub(crate) fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.as_bytes().get(..offset).unwrap_or(text.as_bytes());
    let line = 1 + before.iter().filter(|b| **b == b'\n').count();
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |pos| pos + 1);
    (line, before.len() - line_start + 1)
}

/// Position of an error serde_json found in a slice that starts at byte
/// `slice_start` of `text`, translated to a position in `text`.
pub(crate) fn absolute_position(
    text: &str,
    slice_start: usize,
    error: &serde_json::Error,
) -> (usize, usize) {
    let (base_line, base_column) = line_and_column(text, slice_start);
    match error.line() {
        0 => (base_line, base_column),
        1 => (base_line, base_column + error.column().saturating_sub(1)),
        line => (base_line + line - 1, error.column()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        let text = "ab\ncd\nef";
        assert_eq!(line_and_column(text, 0), (1, 1));
        assert_eq!(line_and_column(text, 4), (2, 2));
        assert_eq!(line_and_column(text, 100), (3, 3));
    }

    #[test]
    fn messages_say_how_to_fix() {
        let err = PlanError::NotJson {
            line: 3,
            column: 7,
            message: "EOF while parsing".into(),
        };
        let text = err.to_string();
        assert!(text.contains("line 3, column 7"));
        assert!(text.contains("terraform show -json tfplan > plan.json"));
    }
}
