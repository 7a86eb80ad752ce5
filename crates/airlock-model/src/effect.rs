//! Effects: what an action would do to the world, on which target, how
//! reversibly, and the exact span of input that shows it. Classifiers produce
//! effects; policy judges them.

use serde::{Deserialize, Serialize};

use crate::environment::EnvTier;

/// The kind of change an action makes. Ordered roughly from harmless to
/// harmful, but policy, not this order, decides what is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EffectKind {
    /// Reads data without changing it.
    Read,
    /// Runs a program whose own effects are known to be local and benign
    /// (builds, tests, linters) or are judged separately.
    Execute,
    /// Talks to the network without sending local data out.
    Network,
    /// Creates or changes data additively.
    Write,
    /// Replaces existing data in place (clobbering redirection, `git push --force`).
    Overwrite,
    /// Gains or uses elevated privilege (`sudo`, `chmod -R 777 /`).
    Privilege,
    /// Sends local data, such as credentials, to somewhere else.
    Exfiltrate,
    /// Removes data or objects (`rm -rf`, `git branch -D`, `DROP TABLE`).
    Delete,
    /// Replaces an object by destroying it and creating another (Terraform replace).
    Replace,
    /// Tears down infrastructure (`terraform destroy`, a plan's delete).
    Destroy,
    /// The effect cannot be determined: unparseable or opaque input
    /// (`eval "$x"`, a variable as the command, an unknown script).
    Unknown,
}

impl EffectKind {
    pub const ALL: [EffectKind; 11] = [
        EffectKind::Read,
        EffectKind::Execute,
        EffectKind::Network,
        EffectKind::Write,
        EffectKind::Overwrite,
        EffectKind::Privilege,
        EffectKind::Exfiltrate,
        EffectKind::Delete,
        EffectKind::Replace,
        EffectKind::Destroy,
        EffectKind::Unknown,
    ];

    /// The lower-case name used in JSON, Cedar context and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            EffectKind::Read => "read",
            EffectKind::Execute => "execute",
            EffectKind::Network => "network",
            EffectKind::Write => "write",
            EffectKind::Overwrite => "overwrite",
            EffectKind::Privilege => "privilege",
            EffectKind::Exfiltrate => "exfiltrate",
            EffectKind::Delete => "delete",
            EffectKind::Replace => "replace",
            EffectKind::Destroy => "destroy",
            EffectKind::Unknown => "unknown",
        }
    }

    /// Whether this kind removes or replaces existing things.
    pub fn is_destructive(self) -> bool {
        matches!(
            self,
            EffectKind::Overwrite | EffectKind::Delete | EffectKind::Replace | EffectKind::Destroy
        )
    }
}

impl std::fmt::Display for EffectKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How much harm an effect could do. Totally ordered.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    #[default]
    None,
    Low,
    Medium,
    High,
    Critical,
}

impl Risk {
    pub const ALL: [Risk; 5] = [
        Risk::None,
        Risk::Low,
        Risk::Medium,
        Risk::High,
        Risk::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Risk::None => "none",
            Risk::Low => "low",
            Risk::Medium => "medium",
            Risk::High => "high",
            Risk::Critical => "critical",
        }
    }

    /// 0 (none) to 4 (critical), as Cedar sees it.
    pub fn level(self) -> i64 {
        self as i64
    }
}

impl std::fmt::Display for Risk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether the world can be put back after the effect.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reversibility {
    Reversible,
    Irreversible,
    #[default]
    Unknown,
}

impl Reversibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Reversibility::Reversible => "reversible",
            Reversibility::Irreversible => "irreversible",
            Reversibility::Unknown => "unknown",
        }
    }
}

/// What sort of thing a target is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// A file or directory.
    Path,
    /// A block device or raw disk.
    Device,
    /// A git ref (branch, tag) or repository.
    GitRef,
    /// A piece of infrastructure (Terraform resource, cloud object, Kubernetes object).
    Resource,
    /// A database, table or keyspace.
    Database,
    /// A remote host or URL.
    Remote,
    /// A program or script being run.
    Program,
    /// The host system itself (services, users, firewall).
    System,
    #[default]
    Unknown,
}

impl TargetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Path => "path",
            TargetKind::Device => "device",
            TargetKind::GitRef => "git_ref",
            TargetKind::Resource => "resource",
            TargetKind::Database => "database",
            TargetKind::Remote => "remote",
            TargetKind::Program => "program",
            TargetKind::System => "system",
            TargetKind::Unknown => "unknown",
        }
    }
}

/// How much a target matters, independent of the effect on it.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Sensitivity {
    /// An ordinary target: project files, feature branches, scratch resources.
    #[default]
    Normal,
    /// Guarded, changes need a person: protected branches, `.git/`, CI
    /// workflows, airlock's own configuration, credentials.
    Protected,
    /// Losing it breaks the machine or the organisation: `/`, the home
    /// directory, system directories, raw devices.
    Critical,
}

impl Sensitivity {
    pub fn as_str(self) -> &'static str {
        match self {
            Sensitivity::Normal => "normal",
            Sensitivity::Protected => "protected",
            Sensitivity::Critical => "critical",
        }
    }
}

/// The thing an effect acts on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Target {
    pub kind: TargetKind,
    /// Human-readable name: a path, `branch main`, a resource address.
    pub name: String,
    pub environment: EnvTier,
    pub sensitivity: Sensitivity,
}

impl Target {
    pub fn new(kind: TargetKind, name: impl Into<String>) -> Self {
        Target {
            kind,
            name: name.into(),
            environment: EnvTier::Unknown,
            sensitivity: Sensitivity::Normal,
        }
    }

    pub fn with_environment(mut self, environment: EnvTier) -> Self {
        self.environment = environment;
        self
    }

    pub fn with_sensitivity(mut self, sensitivity: Sensitivity) -> Self {
        self.sensitivity = sensitivity;
        self
    }
}

/// A byte range `[start, end)` into the request's input text (for shell, the
/// command; for plans, the plan JSON).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// The text this span covers, or `None` if it does not fall on character
    /// boundaries of `input`.
    pub fn slice(self, input: &str) -> Option<&str> {
        input.get(self.start..self.end)
    }
}

/// The part of the input that shows an effect.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Evidence {
    pub span: Span,
    /// The spanned text (or, for structured input, the path to the value).
    pub text: String,
}

/// One thing an action would do, found by a classifier rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Effect {
    pub kind: EffectKind,
    pub target: Target,
    pub reversibility: Reversibility,
    pub risk: Risk,
    /// Stable id of the classifier rule that found it, such as `git.push.force`.
    pub rule: String,
    /// One sentence a person understands without reading the rule.
    pub reason: String,
    pub evidence: Evidence,
}

/// One command the shell classifier found, after seeing through wrappers.
/// Used to explain how a command line was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParsedCommand {
    /// The words of the command, quotes removed.
    pub argv: Vec<String>,
    pub span: Span,
    /// How it was reached, outermost first: `sudo`, `bash -c`, `pipeline into sh`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub via: Vec<String>,
}

/// What a classifier found in one input.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classification {
    pub effects: Vec<Effect>,
    /// The commands the input was read as (shell input only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<ParsedCommand>,
}

impl Classification {
    /// The highest risk among the effects.
    pub fn max_risk(&self) -> Risk {
        self.effects
            .iter()
            .map(|e| e.risk)
            .max()
            .unwrap_or(Risk::None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn risk_is_ordered_from_none_to_critical() {
        assert!(Risk::None < Risk::Low && Risk::High < Risk::Critical);
        assert_eq!(Risk::Critical.level(), 4);
    }

    #[test]
    fn destructive_kinds_are_exactly_the_four_that_remove_things() {
        let destructive: Vec<_> = EffectKind::ALL
            .into_iter()
            .filter(|k| k.is_destructive())
            .collect();
        assert_eq!(
            destructive,
            [
                EffectKind::Overwrite,
                EffectKind::Delete,
                EffectKind::Replace,
                EffectKind::Destroy
            ]
        );
    }

    #[test]
    fn span_slice_refuses_non_char_boundaries() {
        let s = "é";
        assert_eq!(Span::new(0, 1).slice(s), None);
        assert_eq!(Span::new(0, 2).slice(s), Some("é"));
    }

    #[test]
    fn effect_kind_names_match_serde_names() {
        for kind in EffectKind::ALL {
            let json = serde_json::to_value(kind).expect("serialise");
            assert_eq!(json, kind.as_str());
        }
    }
}
