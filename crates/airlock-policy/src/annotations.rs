//! airlock's policy annotations: `@id`, `@reason`, and the escalation
//! annotations `@approvals("N")` and `@approver_roles("role:count,…")` that
//! turn a `forbid` into "needs approval". Parsing and checking them, and the
//! per-policy facts later analysis reads ([`PolicyInfo`]).

use airlock_model::{ApprovalRequirement, RoleRequirement, Verdict};

/// Annotation naming a policy; required and unique within a policy set.
pub const ID_ANNOTATION: &str = "id";
/// Annotation with the one-sentence explanation shown to people.
pub const REASON_ANNOTATION: &str = "reason";
/// Annotation that makes a `forbid` an escalation needing N approvers.
pub const APPROVALS_ANNOTATION: &str = "approvals";
/// Annotation listing role requirements of an escalation: `"senior:1,sre:1"`.
pub const APPROVER_ROLES_ANNOTATION: &str = "approver_roles";

/// The largest approver count an annotation may ask for.
pub const MAX_APPROVERS: u32 = 100;

/// Whether a policy permits or forbids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyEffect {
    Permit,
    Forbid,
}

/// Where a policy came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyOrigin {
    /// airlock's built-in default pack.
    DefaultPack,
    /// A project policy directory.
    Project,
}

/// What airlock knows about one loaded policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyInfo {
    /// The policy's `@id`, also its Cedar policy id.
    pub id: String,
    /// The file it was loaded from (`default/…` for the built-in pack).
    pub file: String,
    /// 1-based position of the policy's first character in `file`.
    pub line: usize,
    pub column: usize,
    pub effect: PolicyEffect,
    /// The `@reason` sentence, if the policy has one.
    pub reason: Option<String>,
    /// For escalations (a `forbid` with `@approvals`): what approval needs.
    pub approvals: Option<ApprovalRequirement>,
    pub origin: PolicyOrigin,
    /// The policy's Cedar source text, annotations included.
    pub text: String,
}

impl PolicyInfo {
    /// The verdict this policy gives when it is satisfied: a `permit`
    /// allows, a `forbid` with approvals escalates, any other `forbid` denies.
    pub fn verdict_when_satisfied(&self) -> Verdict {
        match (self.effect, &self.approvals) {
            (PolicyEffect::Permit, _) => Verdict::Allow,
            (PolicyEffect::Forbid, Some(_)) => Verdict::Escalate,
            (PolicyEffect::Forbid, None) => Verdict::Deny,
        }
    }

    /// The reason sentence, or a stand-in naming the policy.
    pub fn reason_or_id(&self) -> &str {
        self.reason.as_deref().unwrap_or(&self.id)
    }
}

/// A problem with one annotation: which annotation, what is wrong, and how to
/// fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AnnotationProblem {
    pub annotation: &'static str,
    pub message: String,
    pub hint: String,
}

impl AnnotationProblem {
    fn new(annotation: &'static str, message: String, hint: &str) -> Self {
        AnnotationProblem {
            annotation,
            message,
            hint: hint.to_string(),
        }
    }
}

const APPROVALS_HINT: &str =
    "write the number of approvers as a whole number of at least 1, such as @approvals(\"2\")";
const ROLES_HINT: &str =
    "write role requirements as comma-separated role:count pairs with counts of at least 1, such as @approver_roles(\"senior:1,sre:1\")";

/// Reads the escalation annotations of a policy. `Ok(None)` when it has
/// none; an error when they are malformed or on a `permit`.
pub(crate) fn approval_requirement(
    effect: PolicyEffect,
    approvals: Option<&str>,
    approver_roles: Option<&str>,
) -> Result<Option<ApprovalRequirement>, AnnotationProblem> {
    if effect == PolicyEffect::Permit {
        let misplaced = if approvals.is_some() {
            Some(APPROVALS_ANNOTATION)
        } else if approver_roles.is_some() {
            Some(APPROVER_ROLES_ANNOTATION)
        } else {
            None
        };
        return match misplaced {
            Some(annotation) => Err(AnnotationProblem::new(
                annotation,
                format!("@{annotation} is only meaningful on a `forbid`, but this policy is a `permit`"),
                "an escalation is a `forbid` with @approvals: change `permit` to `forbid`, or remove the annotation",
            )),
            None => Ok(None),
        };
    }
    let Some(approvals) = approvals else {
        return match approver_roles {
            Some(_) => Err(AnnotationProblem::new(
                APPROVER_ROLES_ANNOTATION,
                "@approver_roles needs @approvals on the same policy".to_string(),
                "add @approvals(\"N\") saying how many people must approve",
            )),
            None => Ok(None),
        };
    };
    let min_approvers = parse_count(approvals).map_err(|why| {
        AnnotationProblem::new(
            APPROVALS_ANNOTATION,
            format!("@approvals(\"{approvals}\") {why}"),
            APPROVALS_HINT,
        )
    })?;
    let roles = match approver_roles {
        Some(text) => parse_roles(text)?,
        None => Vec::new(),
    };
    let role_total: u32 = roles.iter().map(|r| r.count).sum();
    if role_total > min_approvers {
        return Err(AnnotationProblem::new(
            APPROVALS_ANNOTATION,
            format!(
                "@approver_roles asks for {role_total} role holders but @approvals(\"{approvals}\") allows only {min_approvers} approvers"
            ),
            "each role requirement counts distinct people: raise @approvals to at least the sum of the role counts",
        ));
    }
    Ok(Some(ApprovalRequirement {
        min_approvers,
        roles,
    }))
}

/// A whole number from 1 to [`MAX_APPROVERS`], surrounding blanks allowed.
fn parse_count(text: &str) -> Result<u32, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() || !trimmed.bytes().all(|b| b.is_ascii_digit()) {
        return Err("is not a whole number".to_string());
    }
    match trimmed.parse::<u32>() {
        Ok(0) => Err("must be at least 1".to_string()),
        Ok(n) if n <= MAX_APPROVERS => Ok(n),
        _ => Err(format!("is more than {MAX_APPROVERS}")),
    }
}

fn parse_roles(text: &str) -> Result<Vec<RoleRequirement>, AnnotationProblem> {
    let problem =
        |message: String| AnnotationProblem::new(APPROVER_ROLES_ANNOTATION, message, ROLES_HINT);
    let mut roles: Vec<RoleRequirement> = Vec::new();
    for pair in text.split(',') {
        let pair = pair.trim();
        let Some((role, count)) = pair.split_once(':') else {
            return Err(problem(format!(
                "@approver_roles entry `{pair}` is not of the form role:count"
            )));
        };
        let role = role.trim();
        if role.is_empty()
            || !role
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(problem(format!(
                "@approver_roles entry `{pair}` has no valid role name (letters, digits, `-`, `_`, `.`)"
            )));
        }
        let count = parse_count(count)
            .map_err(|why| problem(format!("the count of role `{role}` {why}")))?;
        if roles.iter().any(|r| r.role == role) {
            return Err(problem(format!(
                "@approver_roles names role `{role}` more than once"
            )));
        }
        roles.push(RoleRequirement {
            role: role.to_string(),
            count,
        });
    }
    roles.sort_by(|a, b| a.role.cmp(&b.role));
    Ok(roles)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forbid(
        approvals: Option<&str>,
        roles: Option<&str>,
    ) -> Result<Option<ApprovalRequirement>, AnnotationProblem> {
        approval_requirement(PolicyEffect::Forbid, approvals, roles)
    }

    #[test]
    fn reads_count_and_roles() {
        let req = forbid(Some("2"), Some(" senior:1 , sre:1"))
            .unwrap()
            .unwrap();
        assert_eq!(req.min_approvers, 2);
        assert_eq!(req.describe(), "2 approvers, at least 1 senior and 1 sre");
    }

    #[test]
    fn forbid_without_approvals_is_a_plain_deny() {
        assert_eq!(forbid(None, None).unwrap(), None);
    }

    #[test]
    fn rejects_bad_counts() {
        for bad in ["", "two", "-1", "0", "1.5", "101", "99999999999"] {
            let err = forbid(Some(bad), None).unwrap_err();
            assert_eq!(err.annotation, APPROVALS_ANNOTATION, "{bad}");
        }
    }

    #[test]
    fn rejects_bad_roles() {
        for bad in [
            "senior",
            "senior:0",
            ":1",
            "senior:x",
            "senior:1,senior:1",
            "a b:1",
            "",
        ] {
            let err = forbid(Some("3"), Some(bad)).unwrap_err();
            assert_eq!(err.annotation, APPROVER_ROLES_ANNOTATION, "{bad}");
        }
    }

    #[test]
    fn rejects_roles_needing_more_people_than_approvals() {
        let err = forbid(Some("1"), Some("senior:1,sre:1")).unwrap_err();
        assert!(err.message.contains("2 role holders"), "{}", err.message);
    }

    #[test]
    fn rejects_roles_without_approvals() {
        assert!(forbid(None, Some("senior:1")).is_err());
    }

    #[test]
    fn rejects_approval_annotations_on_permit() {
        let err = approval_requirement(PolicyEffect::Permit, Some("1"), None).unwrap_err();
        assert!(err.message.contains("permit"));
        let err = approval_requirement(PolicyEffect::Permit, None, Some("sre:1")).unwrap_err();
        assert_eq!(err.annotation, APPROVER_ROLES_ANNOTATION);
        assert_eq!(
            approval_requirement(PolicyEffect::Permit, None, None).unwrap(),
            None
        );
    }
}
