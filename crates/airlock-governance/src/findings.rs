//! The kinds of finding `airlock policy analyze` reports, with their stable
//! ids, severities and the explanation a reviewer reads, and the finding
//! records themselves.

use serde::Serialize;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }

    /// The SARIF `level` for this severity.
    pub fn sarif_level(self) -> &'static str {
        match self {
            Severity::High => "error",
            Severity::Medium => "warning",
            Severity::Low => "note",
        }
    }
}

/// A kind of finding: a rule in SARIF terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum FindingKind {
    ExcessiveAuthority,
    WeakEscalation,
    AgentHoldsHumanAuthority,
    IneffectivePolicy,
    BroadPermit,
    SelfModification,
    NotAnalysed,
}

impl FindingKind {
    pub const ALL: [FindingKind; 7] = [
        FindingKind::ExcessiveAuthority,
        FindingKind::WeakEscalation,
        FindingKind::AgentHoldsHumanAuthority,
        FindingKind::IneffectivePolicy,
        FindingKind::BroadPermit,
        FindingKind::SelfModification,
        FindingKind::NotAnalysed,
    ];

    /// The stable id, `AIR001` …
    pub fn id(self) -> &'static str {
        match self {
            FindingKind::ExcessiveAuthority => "AIR001",
            FindingKind::WeakEscalation => "AIR002",
            FindingKind::AgentHoldsHumanAuthority => "AIR003",
            FindingKind::IneffectivePolicy => "AIR004",
            FindingKind::BroadPermit => "AIR005",
            FindingKind::SelfModification => "AIR006",
            FindingKind::NotAnalysed => "AIR007",
        }
    }

    /// A short kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            FindingKind::ExcessiveAuthority => "excessive-authority",
            FindingKind::WeakEscalation => "escalation-below-floor",
            FindingKind::AgentHoldsHumanAuthority => "agent-holds-human-authority",
            FindingKind::IneffectivePolicy => "ineffective-policy",
            FindingKind::BroadPermit => "broad-permit",
            FindingKind::SelfModification => "agent-can-change-airlock",
            FindingKind::NotAnalysed => "not-analysed",
        }
    }

    /// One sentence: what the rule looks for.
    pub fn summary(self) -> &'static str {
        match self {
            FindingKind::ExcessiveAuthority => "An agent role can make a change in production, or an irreversible destructive change anywhere, without any person approving it.",
            FindingKind::WeakEscalation => "A production delete, destroy or replace needs fewer approvers than the organisation's floor, or no approver with a named role.",
            FindingKind::AgentHoldsHumanAuthority => "An agent holds a role people hold to approve (so it could approve its own actions), or policy grants authority through the person an agent acts for.",
            FindingKind::IneffectivePolicy => "A policy never changes any decision: it can never apply, every case it permits is forbidden anyway, or another policy with the same outcome always applies with it.",
            FindingKind::BroadPermit => "A permit covers every action on every target for everyone, so only forbids stand between an agent and anything.",
            FindingKind::SelfModification => "An agent can change airlock's own configuration or policies without approval, and so can remove every other rule.",
            FindingKind::NotAnalysed => "A policy uses a construct the analysis does not model; decisions it could affect are reported as not analysed rather than guessed.",
        }
    }

    /// What to do about it.
    pub fn help(self) -> &'static str {
        match self {
            FindingKind::ExcessiveAuthority => "Make the permit narrower, or add an escalation (a forbid with @approvals) that covers these effects.",
            FindingKind::WeakEscalation => "Raise @approvals to the floor and name an approver role with @approver_roles, or change the floor in [governance].",
            FindingKind::AgentHoldsHumanAuthority => "Give agents only agent roles; keep approver roles for people, and do not grant on principal.operator.",
            FindingKind::IneffectivePolicy => "Remove the policy, or fix its condition so that it says what was meant.",
            FindingKind::BroadPermit => "Scope the permit to a role, capability or condition.",
            FindingKind::SelfModification => "Keep an escalation for changes to protected targets (airlock.toml, policies/) that no permit or exemption bypasses.",
            FindingKind::NotAnalysed => "Rewrite the condition with comparisons against literals, or review the affected decisions by hand.",
        }
    }

    pub fn default_severity(self) -> Severity {
        match self {
            FindingKind::ExcessiveAuthority
            | FindingKind::WeakEscalation
            | FindingKind::AgentHoldsHumanAuthority
            | FindingKind::SelfModification => Severity::High,
            FindingKind::BroadPermit => Severity::Medium,
            FindingKind::IneffectivePolicy | FindingKind::NotAnalysed => Severity::Low,
        }
    }
}

/// Where a finding points: a policy (or the configuration) in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    /// The policy id, or `airlock.toml` for the configuration.
    pub policy: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
}

/// One finding of the analysis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// `AIR001` …
    pub id: &'static str,
    pub kind: FindingKind,
    pub severity: Severity,
    /// What is wrong, in words that need no Cedar.
    pub message: String,
    /// The policies (and configuration) involved.
    pub locations: Vec<Location>,
    /// "exhaustive enumeration over N abstract requests", or "not analysed".
    pub method: String,
}
