//! Decisions: airlock's answer to a request, with the findings and policies
//! that explain it and, for escalations, the approvals a person must give.

use serde::{Deserialize, Serialize};

use crate::effect::{Effect, Risk};

/// allow, escalate or deny. Ordered by strictness, so the strictest verdict
/// of several is their maximum.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Allow,
    Escalate,
    /// The default: anything not decided is denied.
    #[default]
    Deny,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Escalate => "escalate",
            Verdict::Deny => "deny",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// "at least `count` approvers hold role `role`".
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RoleRequirement {
    pub role: String,
    pub count: u32,
}

/// The approvals an escalated action needs before it may proceed: at least
/// `min_approvers` distinct people, among whom the role counts hold. The
/// operator the agent acts for never counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ApprovalRequirement {
    pub min_approvers: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<RoleRequirement>,
}

impl ApprovalRequirement {
    /// The requirement that satisfies both `self` and `other`: the larger
    /// approver count, and for each role the larger count.
    pub fn merge(&self, other: &ApprovalRequirement) -> ApprovalRequirement {
        let mut roles = self.roles.clone();
        for r in &other.roles {
            match roles.iter_mut().find(|x| x.role == r.role) {
                Some(x) => x.count = x.count.max(r.count),
                None => roles.push(r.clone()),
            }
        }
        roles.sort_by(|a, b| a.role.cmp(&b.role));
        let role_total: u32 = roles.iter().map(|r| r.count).sum();
        ApprovalRequirement {
            min_approvers: self.min_approvers.max(other.min_approvers).max(role_total),
            roles,
        }
    }

    /// "2 approvers, at least 1 senior".
    pub fn describe(&self) -> String {
        let n = self.min_approvers;
        let mut s = format!("{n} approver{}", if n == 1 { "" } else { "s" });
        if !self.roles.is_empty() {
            let roles: Vec<String> = self
                .roles
                .iter()
                .map(|r| format!("{} {}", r.count, r.role))
                .collect();
            s.push_str(", at least ");
            s.push_str(&roles.join(" and "));
        }
        s
    }
}

/// One effect and how policy judged it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    #[serde(flatten)]
    pub effect: Effect,
    pub verdict: Verdict,
    /// Ids of the policies that decided this finding.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<String>,
}

/// airlock's answer to one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub verdict: Verdict,
    pub risk: Risk,
    /// One or two sentences that say why, naming the decisive finding.
    pub reason: String,
    pub findings: Vec<Finding>,
    /// Ids of every policy that contributed, deduplicated, in order of first use.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<String>,
    /// For escalations: the approvals needed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approvals: Option<ApprovalRequirement>,
    /// Hash of the policy set that decided (schema, policies and config).
    pub policy_version: String,
}

impl Decision {
    /// The finding that determined the verdict: the first one whose verdict
    /// equals the decision's, preferring the highest risk.
    pub fn decisive_finding(&self) -> Option<&Finding> {
        self.findings
            .iter()
            .filter(|f| f.verdict == self.verdict)
            .max_by_key(|f| f.effect.risk)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(n: u32, roles: &[(&str, u32)]) -> ApprovalRequirement {
        ApprovalRequirement {
            min_approvers: n,
            roles: roles
                .iter()
                .map(|(r, c)| RoleRequirement {
                    role: r.to_string(),
                    count: *c,
                })
                .collect(),
        }
    }

    #[test]
    fn strictest_verdict_is_the_maximum() {
        assert_eq!(
            [Verdict::Allow, Verdict::Deny, Verdict::Escalate]
                .into_iter()
                .max(),
            Some(Verdict::Deny)
        );
        assert!(Verdict::Allow < Verdict::Escalate);
    }

    #[test]
    fn merge_takes_the_stronger_of_each_part() {
        let a = req(2, &[("senior", 1)]);
        let b = req(1, &[("sre", 1), ("senior", 1)]);
        let m = a.merge(&b);
        assert_eq!(m, req(2, &[("senior", 1), ("sre", 1)]));
    }

    #[test]
    fn merge_raises_the_count_to_cover_role_totals() {
        let m = req(1, &[("sre", 1)]).merge(&req(1, &[("security", 1)]));
        assert_eq!(m.min_approvers, 2);
    }

    #[test]
    fn describe_reads_like_a_sentence() {
        assert_eq!(
            req(2, &[("senior", 1)]).describe(),
            "2 approvers, at least 1 senior"
        );
        assert_eq!(req(1, &[]).describe(), "1 approver");
    }
}
