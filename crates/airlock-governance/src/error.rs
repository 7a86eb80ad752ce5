//! Errors of the governance tools: unreadable or malformed project
//! configuration, policy sets that do not load, malformed test files and
//! failures reading a policy directory from git. Every error that concerns a
//! spot in a file displays as `file:line:column: message` with a hint.

use std::path::PathBuf;

/// Why a governance command could not do its work.
#[derive(Debug, thiserror::Error)]
pub enum GovernanceError {
    /// `airlock.toml` (or a test file) is not valid TOML or does not have the
    /// expected shape.
    #[error("{file}:{line}:{column}: {message}\n  hint: {hint}")]
    Syntax {
        file: String,
        line: usize,
        column: usize,
        message: String,
        hint: String,
    },
    /// The policy set does not load (parse, annotation or schema problem).
    #[error(transparent)]
    Policy(#[from] airlock_policy::PolicyError),
    /// A file or directory could not be read.
    #[error("{path}: cannot read: {source}\n  hint: check that the path exists and is readable", path = .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A `git:REV:path` source could not be read.
    #[error("{spec}: {message}\n  hint: write git:REV:path with a revision git knows and a path inside the repository")]
    Git { spec: String, message: String },
    /// The arguments do not name anything usable.
    #[error("{0}")]
    Usage(String),
}

impl GovernanceError {
    /// The file the error points at, when it points at one.
    pub fn file(&self) -> Option<&str> {
        match self {
            GovernanceError::Syntax { file, .. } => Some(file),
            GovernanceError::Policy(err) => err.file(),
            _ => None,
        }
    }

    /// The 1-based `(line, column)` the error points at, when it has one.
    pub fn position(&self) -> Option<(usize, usize)> {
        match self {
            GovernanceError::Syntax { line, column, .. } => Some((*line, *column)),
            GovernanceError::Policy(err) => err.position(),
            _ => None,
        }
    }
}

/// The 1-based line and column (in characters) of byte `offset` in `text`.
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

/// A TOML deserialisation error as a [`GovernanceError::Syntax`] pointing
/// at the spot in `text` it concerns.
pub(crate) fn toml_error(
    file: &str,
    text: &str,
    err: &toml::de::Error,
    hint: &str,
) -> GovernanceError {
    let (line, column) = err
        .span()
        .map_or((1, 1), |span| line_column(text, span.start));
    GovernanceError::Syntax {
        file: file.to_string(),
        line,
        column,
        message: err.message().trim().to_string(),
        hint: hint.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_from_one() {
        assert_eq!(line_column("ab\ncd", 0), (1, 1));
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
        assert_eq!(line_column("é", 1), (1, 1));
        assert_eq!(line_column("x", 99), (1, 2));
    }
}
