//! airlock's shell classifier: reads a command line the way bash would and
//! names every effect it would have (what kind of change, on which target,
//! how risky), with the span of input that shows each one.
//!
//! The work is split into parsing ([`syntax`], on tree-sitter-bash), the
//! walk that sees through lists, pipelines, wrappers and interpreters
//! ([`analyze`]), an argument grammar shared by all tools ([`grammar`]), the
//! per-family rule tables ([`rules`]) and path sensitivity ([`paths`]), which
//! also judges direct file writes.

pub mod analyze;
pub mod glob;
pub mod grammar;
pub mod inline;
pub mod paths;
pub mod rules;
pub mod syntax;

use airlock_model::{Classification, EnvironmentPatterns};
use serde::Deserialize;

/// What a project can tune about shell classification.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ShellConfig {
    /// Branch globs that need a person before they are rewritten or deleted.
    pub protected_branches: Vec<String>,
    /// Words that name environment tiers in directory, branch and workspace names.
    pub environments: EnvironmentPatterns,
    /// Globs of script paths the project vouches for (`./scripts/test.sh`,
    /// `scripts/*.sh`); running or sourcing them is an ordinary execute.
    pub trusted_scripts: Vec<String>,
    /// Extra path globs (component globs, `**` allowed) treated as protected.
    pub protected_paths: Vec<String>,
}

impl Default for ShellConfig {
    fn default() -> Self {
        ShellConfig {
            protected_branches: ["main", "master", "release/*", "production", "prod"]
                .iter()
                .map(|b| b.to_string())
                .collect(),
            environments: EnvironmentPatterns::default(),
            trusted_scripts: Vec::new(),
            protected_paths: Vec::new(),
        }
    }
}

/// Classifies shell command lines. Build once with [`ShellClassifier::new`]
/// and reuse: the rule index is built there, so each call does only the
/// per-command work.
pub struct ShellClassifier {
    pub(crate) config: ShellConfig,
    pub(crate) index: rules::RuleIndex,
    pub(crate) language: tree_sitter::Language,
}

impl ShellClassifier {
    pub fn new(config: ShellConfig) -> Self {
        ShellClassifier {
            config,
            index: rules::RuleIndex::build(),
            language: tree_sitter_bash::LANGUAGE.into(),
        }
    }

    pub fn config(&self) -> &ShellConfig {
        &self.config
    }

    /// Every effect `command` would have, and the commands it was read as.
    /// Never fails: whatever cannot be understood becomes an `unknown` effect.
    pub fn classify(&self, command: &str) -> Classification {
        analyze::classify(self, command)
    }
}

impl Default for ShellClassifier {
    fn default() -> Self {
        ShellClassifier::new(ShellConfig::default())
    }
}

#[cfg(test)]
pub(crate) mod test_policy {
    //! The verdicts of airlock's default policy pack for the crate's unit
    //! tests: the real Cedar pack decides, so examples and tests judge
    //! exactly as a deployment does.

    use std::sync::OnceLock;

    use airlock_model::{Classification, ToolKind, Verdict};
    use airlock_policy::{PolicyEngine, Principal};

    fn engine() -> &'static PolicyEngine {
        static ENGINE: OnceLock<PolicyEngine> = OnceLock::new();
        ENGINE.get_or_init(|| PolicyEngine::default_pack().expect("the default pack loads"))
    }

    /// The default pack's verdict on a shell command with these effects.
    pub(crate) fn verdict(classification: &Classification) -> Verdict {
        let principal = Principal::new("test-agent", "test-tenant");
        engine()
            .decide(&principal, ToolKind::Shell, classification)
            .verdict
    }

    /// Whether the default pack denies or escalates the command.
    pub(crate) fn classification_blocked(classification: &Classification) -> bool {
        verdict(classification) != Verdict::Allow
    }
}
