//! Load errors of the policy engine and the mapping of byte offsets in a
//! policy file to the `line:column` a person can jump to.

use std::path::PathBuf;

/// Why a policy set could not be loaded. Every variant that concerns a spot in
/// a file displays as `file:line:column: message` followed by a hint.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// A policy file is not valid Cedar.
    #[error("{file}:{line}:{column}: {message}\n  hint: {hint}")]
    Parse {
        file: String,
        line: usize,
        column: usize,
        message: String,
        hint: String,
    },
    /// A policy parses but does not validate (strict mode) against the
    /// airlock schema.
    #[error("{file}:{line}:{column}: policy `{policy_id}` does not match the airlock schema: {message}\n  hint: {hint}")]
    Validation {
        file: String,
        line: usize,
        column: usize,
        policy_id: String,
        message: String,
        hint: String,
    },
    /// An airlock annotation (`@id`, `@reason`, `@approvals`,
    /// `@approver_roles`) is missing, malformed or misplaced.
    #[error("{file}:{line}:{column}: policy `{policy_id}`: {message}\n  hint: {hint}")]
    Annotation {
        file: String,
        line: usize,
        column: usize,
        policy_id: String,
        message: String,
        hint: String,
    },
    /// The policy file uses a Cedar feature airlock does not support
    /// (templates).
    #[error("{file}:{line}:{column}: {message}\n  hint: {hint}")]
    Unsupported {
        file: String,
        line: usize,
        column: usize,
        message: String,
        hint: String,
    },
    /// The airlock schema itself does not parse (a defect of this build).
    #[error("schema.cedarschema:1:1: the airlock policy schema does not parse: {message}\n  hint: this is a defect of the airlock build, not of your policies")]
    Schema { message: String },
    /// A policy directory or file could not be read.
    #[error("{path}: cannot read: {source}\n  hint: check that the policy directory exists and is readable", path = .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl PolicyError {
    /// The file the error points at, when it points at one.
    pub fn file(&self) -> Option<&str> {
        match self {
            PolicyError::Parse { file, .. }
            | PolicyError::Validation { file, .. }
            | PolicyError::Annotation { file, .. }
            | PolicyError::Unsupported { file, .. } => Some(file),
            PolicyError::Schema { .. } | PolicyError::Io { .. } => None,
        }
    }

    /// The 1-based `(line, column)` the error points at, when it has one.
    pub fn position(&self) -> Option<(usize, usize)> {
        match self {
            PolicyError::Parse { line, column, .. }
            | PolicyError::Validation { line, column, .. }
            | PolicyError::Annotation { line, column, .. }
            | PolicyError::Unsupported { line, column, .. } => Some((*line, *column)),
            PolicyError::Schema { .. } | PolicyError::Io { .. } => None,
        }
    }
}

/// The 1-based line and column (in characters) of byte `offset` in `text`.
/// Offsets past the end, or inside a character, point at the nearest earlier
/// character boundary.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = text.get(..offset).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).unwrap_or_default().chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_from_one() {
        let text = "ab\ncé\nx";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 1), (1, 2));
        assert_eq!(line_column(text, 3), (2, 1));
        // after the two-byte 'é'
        assert_eq!(line_column(text, 6), (2, 3));
        assert_eq!(line_column(text, 7), (3, 1));
    }

    #[test]
    fn line_column_tolerates_bad_offsets() {
        let text = "é";
        assert_eq!(line_column(text, 1), (1, 1));
        assert_eq!(line_column(text, 99), (1, 2));
    }
}
