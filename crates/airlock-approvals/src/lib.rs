//! Approval rules, free of storage and transport: whether a person may vote
//! on an escalated action, and whether the votes so far meet the policy's
//! [`ApprovalRequirement`].
//!
//! The rules:
//! - the operator the agent acts for never approves its own agent's action;
//! - one identity counts once, and may vote once;
//! - any rejection ends the request;
//! - a request that has expired takes no more votes;
//! - the requirement is met when at least `min_approvers` distinct people
//!   approved **and** every role slot ("at least 1 `senior`", "1 `sre` and 1
//!   `security`") is filled by a different approver holding that role. One
//!   person holding two required roles fills only one slot.

use airlock_model::ApprovalRequirement;
use serde::{Deserialize, Serialize};

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    Pending,
    Approved,
    Rejected,
    Expired,
    /// Withdrawn because the agent was revoked or the tenant stopped.
    Cancelled,
}

impl RequestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Pending => "pending",
            RequestStatus::Approved => "approved",
            RequestStatus::Rejected => "rejected",
            RequestStatus::Expired => "expired",
            RequestStatus::Cancelled => "cancelled",
        }
    }
}

/// approve or reject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoteKind {
    Approve,
    Reject,
}

/// One person's vote, with the roles they held when they cast it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vote {
    pub approver: String,
    pub roles: Vec<String>,
    pub kind: VoteKind,
}

/// What the rules need to know about a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestView<'a> {
    pub status: RequestStatus,
    /// The person the agent acts for.
    pub operator: Option<&'a str>,
    /// Seconds since the Unix epoch.
    pub expires_at: i64,
    pub requirement: &'a ApprovalRequirement,
}

/// Why a vote is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("`{0}` is the operator this agent acts for and cannot approve its actions")]
    OperatorCannotVote(String),
    #[error("`{0}` has already voted on this request")]
    AlreadyVoted(String),
    #[error("the request is {}, not pending", .0.as_str())]
    NotPending(RequestStatus),
    #[error("the request expired")]
    Expired,
}

/// Where a request stands after a vote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub status: RequestStatus,
    /// For a pending request: what is still missing, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<String>,
}

/// Checks that `vote` may be cast on `request`, given the votes already cast.
pub fn check_vote(
    request: &RequestView<'_>,
    existing: &[Vote],
    vote: &Vote,
    now: i64,
) -> Result<(), Refusal> {
    if request.status != RequestStatus::Pending {
        return Err(Refusal::NotPending(request.status));
    }
    if now >= request.expires_at {
        return Err(Refusal::Expired);
    }
    if request.operator == Some(vote.approver.as_str()) {
        return Err(Refusal::OperatorCannotVote(vote.approver.clone()));
    }
    if existing.iter().any(|v| v.approver == vote.approver) {
        return Err(Refusal::AlreadyVoted(vote.approver.clone()));
    }
    Ok(())
}

/// Where a pending request stands with these votes.
pub fn tally(request: &RequestView<'_>, votes: &[Vote]) -> Tally {
    if votes.iter().any(|v| v.kind == VoteKind::Reject) {
        return Tally {
            status: RequestStatus::Rejected,
            missing: None,
        };
    }
    let approvers = counted_approvers(votes, request.operator);
    match missing(request.requirement, &approvers) {
        None => Tally {
            status: RequestStatus::Approved,
            missing: None,
        },
        Some(text) => Tally {
            status: RequestStatus::Pending,
            missing: Some(text),
        },
    }
}

/// Approving votes that count: distinct people, never the operator.
fn counted_approvers<'v>(votes: &'v [Vote], operator: Option<&str>) -> Vec<&'v Vote> {
    let mut seen: Vec<&str> = Vec::new();
    votes
        .iter()
        .filter(|v| v.kind == VoteKind::Approve && Some(v.approver.as_str()) != operator)
        .filter(|v| {
            let new = !seen.contains(&v.approver.as_str());
            seen.push(&v.approver);
            new
        })
        .collect()
}

/// What the requirement still lacks, or `None` when it is met.
fn missing(requirement: &ApprovalRequirement, approvers: &[&Vote]) -> Option<String> {
    let slots: Vec<&str> = requirement
        .roles
        .iter()
        .flat_map(|r| std::iter::repeat_n(r.role.as_str(), r.count as usize))
        .collect();
    let assignment = assign_slots(&slots, approvers);
    let mut parts = Vec::new();
    for r in &requirement.roles {
        let filled = slots
            .iter()
            .zip(&assignment)
            .filter(|(role, who)| **role == r.role && who.is_some())
            .count();
        let lacking = (r.count as usize).saturating_sub(filled);
        if lacking > 0 {
            parts.push(format!("{lacking} more with role `{}`", r.role));
        }
    }
    let lacking_people = (requirement.min_approvers as usize).saturating_sub(approvers.len());
    if lacking_people > 0 {
        parts.insert(
            0,
            format!(
                "{lacking_people} more approver{}",
                if lacking_people == 1 { "" } else { "s" }
            ),
        );
    }
    (!parts.is_empty()).then(|| format!("needs {}", parts.join(", ")))
}

/// A maximum matching of role slots to distinct approvers holding the role
/// (augmenting paths; the sizes are tiny). `result[slot]` is the approver's
/// index, if any.
fn assign_slots(slots: &[&str], approvers: &[&Vote]) -> Vec<Option<usize>> {
    let mut slot_of_approver: Vec<Option<usize>> = vec![None; approvers.len()];
    let mut approver_of_slot: Vec<Option<usize>> = vec![None; slots.len()];
    for slot in 0..slots.len() {
        let mut visited = vec![false; approvers.len()];
        augment(
            slot,
            slots,
            approvers,
            &mut visited,
            &mut slot_of_approver,
            &mut approver_of_slot,
        );
    }
    approver_of_slot
}

fn augment(
    slot: usize,
    slots: &[&str],
    approvers: &[&Vote],
    visited: &mut [bool],
    slot_of_approver: &mut [Option<usize>],
    approver_of_slot: &mut [Option<usize>],
) -> bool {
    let Some(role) = slots.get(slot) else {
        return false;
    };
    for (a, vote) in approvers.iter().enumerate() {
        if visited[a] || !vote.roles.iter().any(|r| r == role) {
            continue;
        }
        visited[a] = true;
        let free = match slot_of_approver[a] {
            None => true,
            Some(other) => augment(
                other,
                slots,
                approvers,
                visited,
                slot_of_approver,
                approver_of_slot,
            ),
        };
        if free {
            slot_of_approver[a] = Some(slot);
            approver_of_slot[slot] = Some(a);
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use airlock_model::RoleRequirement;

    fn requirement(n: u32, roles: &[(&str, u32)]) -> ApprovalRequirement {
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

    fn approve(who: &str, roles: &[&str]) -> Vote {
        Vote {
            approver: who.to_string(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            kind: VoteKind::Approve,
        }
    }

    fn view(req: &ApprovalRequirement) -> RequestView<'_> {
        RequestView {
            status: RequestStatus::Pending,
            operator: Some("olivia"),
            expires_at: 1_000,
            requirement: req,
        }
    }

    #[test]
    fn two_approvers_one_senior() {
        let req = requirement(2, &[("senior", 1)]);
        let v = view(&req);
        let one = [approve("sam", &["senior"])];
        assert_eq!(tally(&v, &one).status, RequestStatus::Pending);
        assert_eq!(
            tally(&v, &one).missing.as_deref(),
            Some("needs 1 more approver")
        );
        let two_juniors = [approve("ann", &["dev"]), approve("bob", &["dev"])];
        assert_eq!(
            tally(&v, &two_juniors).missing.as_deref(),
            Some("needs 1 more with role `senior`")
        );
        let done = [approve("ann", &["dev"]), approve("sam", &["senior"])];
        assert_eq!(tally(&v, &done).status, RequestStatus::Approved);
    }

    #[test]
    fn one_person_fills_one_role_slot_only() {
        let req = requirement(2, &[("sre", 1), ("security", 1)]);
        let v = view(&req);
        let both_roles_once = [approve("pat", &["sre", "security"])];
        assert_eq!(tally(&v, &both_roles_once).status, RequestStatus::Pending);
        let pair = [
            approve("pat", &["sre", "security"]),
            approve("quinn", &["security"]),
        ];
        assert_eq!(tally(&v, &pair).status, RequestStatus::Approved);
    }

    #[test]
    fn matching_reassigns_to_fill_every_slot() {
        // pat could take either slot; quinn only sre. A greedy assignment of
        // pat to sre would leave security empty.
        let req = requirement(2, &[("sre", 1), ("security", 1)]);
        let v = view(&req);
        let votes = [
            approve("pat", &["sre", "security"]),
            approve("quinn", &["sre"]),
        ];
        assert_eq!(tally(&v, &votes).status, RequestStatus::Approved);
    }

    #[test]
    fn the_operator_and_repeated_identities_do_not_count() {
        let req = requirement(2, &[]);
        let v = view(&req);
        let votes = [
            approve("olivia", &["senior"]),
            approve("ann", &[]),
            approve("ann", &[]),
        ];
        assert_eq!(tally(&v, &votes).status, RequestStatus::Pending);
    }

    #[test]
    fn votes_are_refused_for_the_operator_twice_voters_and_closed_requests() {
        let req = requirement(1, &[]);
        let v = view(&req);
        assert_eq!(
            check_vote(&v, &[], &approve("olivia", &["senior"]), 10),
            Err(Refusal::OperatorCannotVote("olivia".into()))
        );
        let ann = approve("ann", &[]);
        assert_eq!(
            check_vote(&v, std::slice::from_ref(&ann), &ann, 10),
            Err(Refusal::AlreadyVoted("ann".into()))
        );
        assert_eq!(check_vote(&v, &[], &ann, 1_000), Err(Refusal::Expired));
        let closed = RequestView {
            status: RequestStatus::Rejected,
            ..view(&req)
        };
        assert_eq!(
            check_vote(&closed, &[], &ann, 10),
            Err(Refusal::NotPending(RequestStatus::Rejected))
        );
        assert_eq!(check_vote(&v, &[], &ann, 10), Ok(()));
    }

    #[test]
    fn any_rejection_ends_the_request() {
        let req = requirement(1, &[]);
        let v = view(&req);
        let votes = [
            approve("ann", &[]),
            Vote {
                kind: VoteKind::Reject,
                ..approve("bob", &[])
            },
        ];
        assert_eq!(tally(&v, &votes).status, RequestStatus::Rejected);
    }

    proptest::proptest! {
        /// Adding an approving vote never turns an approved request back
        /// into a pending one, and approval never needs fewer people than
        /// the requirement says.
        #[test]
        fn approval_is_monotone_and_never_short(
            roles in proptest::collection::vec(proptest::collection::vec(0usize..3, 0..3), 0..6),
            min in 0u32..4,
            need_a in 0u32..3,
            need_b in 0u32..2,
        ) {
            let names = ["senior", "sre", "security"];
            let req = requirement(min, &[("senior", need_a), ("sre", need_b)]);
            let v = view(&req);
            let votes: Vec<Vote> = roles
                .iter()
                .enumerate()
                .map(|(i, rs)| approve(&format!("p{i}"), &rs.iter().map(|r| names[*r]).collect::<Vec<_>>()))
                .collect();
            let mut approved_before = false;
            for k in 0..=votes.len() {
                let t = tally(&v, &votes[..k]);
                if approved_before {
                    proptest::prop_assert_eq!(t.status, RequestStatus::Approved);
                }
                if t.status == RequestStatus::Approved {
                    proptest::prop_assert!(k as u32 >= min);
                    proptest::prop_assert!(k as u32 >= need_a + need_b);
                    approved_before = true;
                }
            }
        }
    }
}
