//! The store's behaviour, written once and run against SQLite (a temporary
//! directory) and PostgreSQL (a fresh schema per run, dropped afterwards).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use airlock_approvals::Refusal;
use airlock_audit::{
    consistency_proof, inclusion_proof, verify_inclusion, verify_log, AuditEntry, Checkpoint,
    CheckpointPolicy, CheckpointSigner, EntryKind, LogWriter, MemoryTree, MerkleAccumulator,
    StoredEntry, Timestamp, VerifyFailure, VerifyReport,
};
use airlock_model::{ActionRequest, ApprovalRequirement, Decision, Risk, RoleRequirement, Verdict};
use airlock_receipts::{Envelope, IN_TOTO_PAYLOAD_TYPE};
use airlock_store::{
    AuditColumns, AuditEvent, Backend, CheckpointKey, DecidedFor, NewAgent, NewApprover,
    NewEscalation, NewReceipt, ReceiptRef, RequestStatus, SqlStore, Store, StoreError,
    StoreOptions, TenantId, TenantStore, VoteKind, STORED_NODE_MIN_LEVEL,
};
use ed25519_dalek::SigningKey;
use serde_json::json;
use sqlx::AnyPool;

const CHECKPOINT_EVERY: u64 = 4;

/// One opened backend and a raw connection for inspecting and damaging rows.
struct Ctx {
    store: SqlStore,
    url: String,
    raw: AnyPool,
    /// `"schema".` on PostgreSQL, empty on SQLite.
    qualifier: String,
}

impl Ctx {
    fn table(&self, name: &str) -> String {
        format!("{}{name}", self.qualifier)
    }

    fn tenant(&self, id: &str) -> Arc<dyn TenantStore> {
        self.store.tenant(&TenantId::new(id).unwrap())
    }

    async fn new_tenant(&self, id: &str) -> Arc<dyn TenantStore> {
        self.store
            .create_tenant(&TenantId::new(id).unwrap(), id, "admin", at(0))
            .await
            .unwrap();
        self.tenant(id)
    }

    async fn raw_execute(&self, sql: &str, tenant: &str, index: i64) -> u64 {
        sqlx::query(sql)
            .bind(tenant)
            .bind(index)
            .execute(&self.raw)
            .await
            .unwrap()
            .rows_affected()
    }
}

fn signing_key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

fn options() -> StoreOptions {
    StoreOptions {
        checkpoint_key: Some(CheckpointKey {
            origin_prefix: "airlock".into(),
            key_name: "airlock-log".into(),
            key: signing_key(),
        }),
        checkpoint_policy: CheckpointPolicy::every(CHECKPOINT_EVERY),
        ..StoreOptions::default()
    }
}

/// 2025-01-01T00:00:00Z plus `seconds`.
fn at(seconds: i64) -> Timestamp {
    Timestamp::from_unix_micros((1_735_689_600 + seconds) * 1_000_000).unwrap()
}

fn requirement(min_approvers: u32, roles: &[(&str, u32)]) -> ApprovalRequirement {
    ApprovalRequirement {
        min_approvers,
        roles: roles
            .iter()
            .map(|(role, count)| RoleRequirement {
                role: role.to_string(),
                count: *count,
            })
            .collect(),
    }
}

fn escalation(
    tenant: &str,
    agent: &str,
    command: &str,
    needs: ApprovalRequirement,
) -> NewEscalation {
    let mut action = ActionRequest::shell(agent, command);
    action.tenant = tenant.to_owned();
    NewEscalation {
        action,
        plan_digest: None,
        decision: Decision {
            verdict: Verdict::Escalate,
            risk: Risk::High,
            reason: "test".into(),
            findings: vec![],
            policies: vec![],
            approvals: Some(needs.clone()),
            policy_version: "test-policy".into(),
        },
        requirement: needs,
        environment: "production".into(),
        expires_at: at(3600),
    }
}

fn new_receipt(id: &str, request_id: &str, nonce: &str) -> NewReceipt {
    NewReceipt {
        id: id.into(),
        request_id: request_id.into(),
        nonce: nonce.into(),
        envelope: Envelope {
            payload: "e30=".into(),
            payload_type: IN_TOTO_PAYLOAD_TYPE.into(),
            signatures: vec![],
        },
        issued_at: at(10),
        expires_at: at(1000),
    }
}

/// A tenant with agent `bot` (operator `olivia`) and approvers `olivia`,
/// `sam` (sre), `sue` (senior), `dan` (senior, sre).
async fn populated(ctx: &Ctx, tenant: &str) -> Arc<dyn TenantStore> {
    let store = ctx.new_tenant(tenant).await;
    store
        .create_agent(
            NewAgent {
                id: "bot".into(),
                name: "Build bot".into(),
                operator: "olivia".into(),
                roles: vec!["deployer".into()],
                expires_at: None,
            },
            "admin",
            at(0),
        )
        .await
        .unwrap();
    for (id, roles) in [
        ("olivia", vec![]),
        ("sam", vec!["sre"]),
        ("sue", vec!["senior"]),
        ("dan", vec!["senior", "sre"]),
    ] {
        store
            .create_approver(
                NewApprover {
                    id: id.into(),
                    name: id.into(),
                    roles: roles.into_iter().map(String::from).collect(),
                },
                "admin",
                at(0),
            )
            .await
            .unwrap();
    }
    store
}

async fn verify(store: &dyn TenantStore) -> Result<VerifyReport, VerifyFailure<Infallible>> {
    let rows = store.audit_rows(0..u64::MAX).await.unwrap();
    let checkpoints = store.checkpoints().await.unwrap();
    verify_log(
        rows.into_iter().map(Ok::<_, Infallible>),
        &checkpoints,
        &signing_key().verifying_key(),
    )
}

async fn log_size(store: &dyn TenantStore) -> u64 {
    store.audit_head().await.unwrap().size
}

fn is_not_found(result: Result<impl std::fmt::Debug, StoreError>) -> bool {
    matches!(result, Err(StoreError::NotFound { .. }))
}

// --- cases -----------------------------------------------------------------

async fn tenant_isolation(ctx: Arc<Ctx>) {
    let a = populated(&ctx, "iso-a").await;
    let b = populated(&ctx, "iso-b").await;
    let request = b
        .submit_escalation(
            escalation("iso-b", "bot", "rm -rf /data", requirement(1, &[])),
            at(1),
        )
        .await
        .unwrap();
    b.record_approval(&request.id, "sam", VoteKind::Approve, None, at(2))
        .await
        .unwrap();
    let receipt = b
        .issue_receipt(new_receipt("rcpt_iso_b", &request.id, "nonce-iso-b"), at(3))
        .await
        .unwrap();
    let pending = b
        .submit_escalation(
            escalation("iso-b", "bot", "terraform destroy", requirement(1, &[])),
            at(4),
        )
        .await
        .unwrap();

    // Every read and write from A on B's ids is NotFound.
    assert!(is_not_found(a.request(&request.id).await));
    assert!(is_not_found(a.approvals(&request.id).await));
    assert!(is_not_found(a.receipt(&receipt.id).await));
    assert!(is_not_found(a.receipt_for_request(&request.id).await));
    assert!(is_not_found(
        a.record_approval(&pending.id, "sam", VoteKind::Approve, None, at(5))
            .await
    ));
    assert!(is_not_found(
        a.issue_receipt(new_receipt("rcpt_x", &request.id, "nonce-x"), at(5))
            .await
    ));
    assert!(is_not_found(
        a.redeem_receipt(ReceiptRef::Id(&receipt.id), at(5)).await
    ));
    assert!(is_not_found(
        a.redeem_receipt(ReceiptRef::Nonce("nonce-iso-b"), at(5))
            .await
    ));
    // A's own principals share names with B's, but not B's objects.
    assert!(a.requests(None).await.unwrap().is_empty());
    assert!(a
        .agents()
        .await
        .unwrap()
        .iter()
        .all(|agent| agent.tenant.as_str() == "iso-a"));

    // An id that exists only in B.
    b.create_agent(
        NewAgent {
            id: "only-b".into(),
            name: "b".into(),
            operator: "olivia".into(),
            roles: vec![],
            expires_at: None,
        },
        "admin",
        at(5),
    )
    .await
    .unwrap();
    assert!(is_not_found(a.agent("only-b").await));
    assert!(is_not_found(a.revoke_agent("only-b", "admin", at(6)).await));
    assert!(is_not_found(
        a.record_agent_identity("only-b", &Default::default(), at(6))
            .await
    ));
    assert!(is_not_found(
        a.submit_escalation(
            escalation("iso-a", "only-b", "ls", requirement(1, &[])),
            at(6)
        )
        .await
    ));
    b.create_approver(
        NewApprover {
            id: "only-b-approver".into(),
            name: "x".into(),
            roles: vec![],
        },
        "admin",
        at(6),
    )
    .await
    .unwrap();
    assert!(is_not_found(a.approver("only-b-approver").await));
    assert!(is_not_found(
        a.revoke_approver("only-b-approver", "admin", at(7)).await
    ));

    // An action claiming another tenant is refused outright.
    assert!(matches!(
        a.submit_escalation(escalation("iso-b", "bot", "ls", requirement(1, &[])), at(7))
            .await,
        Err(StoreError::InvalidInput(_))
    ));

    // B is untouched, and each log holds only its own tenant's entries.
    assert_eq!(
        b.request(&pending.id).await.unwrap().status,
        RequestStatus::Pending
    );
    assert!(b.receipt(&receipt.id).await.unwrap().redeemed_at.is_none());
    assert!(b.agent("only-b").await.unwrap().revoked.is_none());
    for (store, tenant) in [(&a, "iso-a"), (&b, "iso-b")] {
        let rows = store.audit_rows(0..u64::MAX).await.unwrap();
        assert!(rows.iter().all(|row| row.entry.tenant == tenant));
        verify(store.as_ref()).await.unwrap();
    }

    // A handle on a tenant that does not exist reaches nothing.
    let ghost = ctx.tenant("ghost");
    assert!(is_not_found(ghost.info().await));
    assert!(is_not_found(
        ghost
            .append_audit(AuditEvent::new(
                at(1),
                EntryKind::Decision,
                "x",
                "y",
                json!({})
            ))
            .await
    ));
}

async fn tokens_are_hashed(ctx: Arc<Ctx>) {
    let store = ctx.new_tenant("tokens").await;
    let (agent, token) = store
        .create_agent(
            NewAgent {
                id: "tok-bot".into(),
                name: "bot".into(),
                operator: "olivia".into(),
                roles: vec![],
                expires_at: Some(at(100)),
            },
            "admin",
            at(0),
        )
        .await
        .unwrap();
    let (_, approver_token) = store
        .create_approver(
            NewApprover {
                id: "tok-alice".into(),
                name: "Alice".into(),
                roles: vec!["sre".into()],
            },
            "admin",
            at(0),
        )
        .await
        .unwrap();

    let row = sqlx::query(&format!(
        "SELECT token_hash, tenant_id || id || name || operator || roles || token_hash AS everything
         FROM {} WHERE tenant_id = $1 AND id = $2",
        ctx.table("agents")
    ))
    .bind("tokens")
    .bind("tok-bot")
    .fetch_one(&ctx.raw)
    .await
    .unwrap();
    use sqlx::Row as _;
    let stored_hash: String = row.get("token_hash");
    let everything: String = row.get("everything");
    assert_eq!(stored_hash, token.hash().as_hex());
    assert!(!everything.contains(token.reveal()));
    let log = store.audit_rows(0..u64::MAX).await.unwrap();
    let log_text = serde_json::to_string(&log).unwrap();
    assert!(!log_text.contains(token.reveal()));
    assert!(!log_text.contains(approver_token.reveal()));

    let found = ctx
        .store
        .principal_by_token(token.reveal())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.tenant().as_str(), "tokens");
    assert_eq!(found.id(), agent.id);
    assert!(found.is_active(at(50)));
    assert!(!found.is_active(at(100)), "agent expired");
    let found = ctx
        .store
        .principal_by_token(approver_token.reveal())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id(), "tok-alice");
    assert!(ctx
        .store
        .principal_by_token("alk_not-a-token")
        .await
        .unwrap()
        .is_none());

    store
        .revoke_agent("tok-bot", "admin", at(10))
        .await
        .unwrap();
    let found = ctx
        .store
        .principal_by_token(token.reveal())
        .await
        .unwrap()
        .unwrap();
    assert!(!found.is_active(at(11)));

    // The caller and its tenant in one read, emergency stop included.
    for secret in [token.reveal(), approver_token.reveal()] {
        let (principal, tenant) = ctx.store.caller_by_token(secret).await.unwrap().unwrap();
        assert_eq!(
            Some(&principal),
            ctx.store.principal_by_token(secret).await.unwrap().as_ref()
        );
        assert_eq!(tenant, store.info().await.unwrap());
        assert_eq!(tenant.emergency_stop, None);
    }
    store.emergency_stop("admin", at(12)).await.unwrap();
    let (_, tenant) = ctx
        .store
        .caller_by_token(approver_token.reveal())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tenant.id.as_str(), "tokens");
    assert_eq!(
        tenant.emergency_stop.map(|stop| stop.by),
        Some("admin".to_owned())
    );
    assert!(ctx
        .store
        .caller_by_token("alk_not-a-token")
        .await
        .unwrap()
        .is_none());
}

async fn approval_rules(ctx: Arc<Ctx>) {
    let store = populated(&ctx, "rules").await;
    let needs = requirement(2, &[("senior", 1)]);
    let request = store
        .submit_escalation(
            escalation("rules", "bot", "terraform apply prod", needs.clone()),
            at(1),
        )
        .await
        .unwrap();
    assert_eq!(request.status, RequestStatus::Pending);
    assert!(request.action_digest.starts_with("sha256:"));
    assert_eq!(
        request.action_digest,
        airlock_receipts::action_digest(&serde_json::to_value(&request.action).unwrap())
    );
    assert_eq!(store.request(&request.id).await.unwrap(), request);

    // The operator never approves their own agent's action.
    assert!(matches!(
        store
            .record_approval(&request.id, "olivia", VoteKind::Approve, None, at(2))
            .await,
        Err(StoreError::VoteRefused(Refusal::OperatorCannotVote(_)))
    ));
    let first = store
        .record_approval(&request.id, "sam", VoteKind::Approve, Some("lgtm"), at(3))
        .await
        .unwrap();
    assert!(!first.requirement_met());
    assert!(first.tally.missing.is_some());
    assert!(matches!(
        store
            .record_approval(&request.id, "sam", VoteKind::Approve, None, at(4))
            .await,
        Err(StoreError::VoteRefused(Refusal::AlreadyVoted(_)))
    ));
    let second = store
        .record_approval(&request.id, "sue", VoteKind::Approve, None, at(5))
        .await
        .unwrap();
    assert!(second.requirement_met());
    assert_eq!(second.request.status, RequestStatus::Approved);
    assert!(matches!(
        store
            .record_approval(&request.id, "dan", VoteKind::Approve, None, at(6))
            .await,
        Err(StoreError::VoteRefused(Refusal::NotPending(
            RequestStatus::Approved
        )))
    ));
    let votes = store.approvals(&request.id).await.unwrap();
    assert_eq!(votes.len(), 2);
    assert_eq!(votes[0].approver_id, "sam");
    assert_eq!(votes[0].roles, vec!["sre".to_string()]);
    assert_eq!(votes[0].comment.as_deref(), Some("lgtm"));

    // Two approvers without the senior role do not meet the requirement.
    let roles_matter = store
        .submit_escalation(
            escalation("rules", "bot", "kubectl delete ns prod", needs.clone()),
            at(7),
        )
        .await
        .unwrap();
    store
        .record_approval(&roles_matter.id, "sam", VoteKind::Approve, None, at(8))
        .await
        .unwrap();
    store
        .create_approver(
            NewApprover {
                id: "sid".into(),
                name: "sid".into(),
                roles: vec!["sre".into()],
            },
            "admin",
            at(8),
        )
        .await
        .unwrap();
    let outcome = store
        .record_approval(&roles_matter.id, "sid", VoteKind::Approve, None, at(9))
        .await
        .unwrap();
    assert_eq!(outcome.request.status, RequestStatus::Pending);
    let outcome = store
        .record_approval(&roles_matter.id, "dan", VoteKind::Approve, None, at(10))
        .await
        .unwrap();
    assert!(outcome.requirement_met());

    // A rejection ends the request.
    let rejected = store
        .submit_escalation(
            escalation("rules", "bot", "drop table users", needs.clone()),
            at(11),
        )
        .await
        .unwrap();
    let outcome = store
        .record_approval(&rejected.id, "sue", VoteKind::Reject, Some("no"), at(12))
        .await
        .unwrap();
    assert_eq!(outcome.request.status, RequestStatus::Rejected);
    assert!(matches!(
        store
            .record_approval(&rejected.id, "dan", VoteKind::Approve, None, at(13))
            .await,
        Err(StoreError::VoteRefused(Refusal::NotPending(
            RequestStatus::Rejected
        )))
    ));

    // An expired request takes no votes and is marked expired, with an entry.
    let mut short = escalation("rules", "bot", "rm -rf /srv", needs.clone());
    short.expires_at = at(100);
    let expiring = store.submit_escalation(short, at(14)).await.unwrap();
    let before = log_size(store.as_ref()).await;
    assert!(matches!(
        store
            .record_approval(&expiring.id, "sam", VoteKind::Approve, None, at(200))
            .await,
        Err(StoreError::VoteRefused(Refusal::Expired))
    ));
    assert_eq!(
        store.request(&expiring.id).await.unwrap().status,
        RequestStatus::Expired
    );
    assert_eq!(log_size(store.as_ref()).await, before + 1);

    // A revoked approver cannot vote; an unknown request is NotFound.
    let later = store
        .submit_escalation(
            escalation("rules", "bot", "git push --force", needs),
            at(15),
        )
        .await
        .unwrap();
    store.revoke_approver("sam", "admin", at(16)).await.unwrap();
    assert!(matches!(
        store
            .record_approval(&later.id, "sam", VoteKind::Approve, None, at(17))
            .await,
        Err(StoreError::ApproverRevoked(_))
    ));
    assert!(is_not_found(
        store
            .record_approval("req_nope", "sue", VoteKind::Approve, None, at(17))
            .await
    ));
    assert!(is_not_found(
        store
            .record_approval(&later.id, "nobody", VoteKind::Approve, None, at(17))
            .await
    ));

    let pending = store.requests(Some(RequestStatus::Pending)).await.unwrap();
    assert_eq!(
        pending.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        vec![later.id.as_str()]
    );
    assert_eq!(store.requests(None).await.unwrap().len(), 5);
    verify(store.as_ref()).await.unwrap();
}

async fn receipts(ctx: Arc<Ctx>) {
    let store = populated(&ctx, "receipts").await;
    let request = store
        .submit_escalation(
            escalation("receipts", "bot", "terraform apply", requirement(1, &[])),
            at(1),
        )
        .await
        .unwrap();
    // Not approved yet.
    assert!(matches!(
        store
            .issue_receipt(new_receipt("rcpt_1", &request.id, "n1"), at(2))
            .await,
        Err(StoreError::NotApproved {
            status: RequestStatus::Pending,
            ..
        })
    ));
    store
        .record_approval(&request.id, "sam", VoteKind::Approve, None, at(2))
        .await
        .unwrap();
    let receipt = store
        .issue_receipt(new_receipt("rcpt_1", &request.id, "n1"), at(3))
        .await
        .unwrap();
    assert_eq!(store.receipt("rcpt_1").await.unwrap(), receipt);
    assert_eq!(
        store.receipt_for_request(&request.id).await.unwrap(),
        Some(receipt.clone())
    );
    // At most one per request.
    assert!(matches!(
        store
            .issue_receipt(new_receipt("rcpt_2", &request.id, "n2"), at(4))
            .await,
        Err(StoreError::ReceiptAlreadyIssued(_))
    ));
    // Redeem once; a replay names the first redemption.
    let redeemed = store
        .redeem_receipt(ReceiptRef::Nonce("n1"), at(5))
        .await
        .unwrap();
    assert_eq!(redeemed.redeemed_at, Some(at(5)));
    match store.redeem_receipt(ReceiptRef::Id("rcpt_1"), at(6)).await {
        Err(StoreError::AlreadyRedeemed { at: when, .. }) => assert_eq!(when, at(5)),
        other => panic!("replay accepted: {other:?}"),
    }
    // A nonce is never reused.
    let other = store
        .submit_escalation(
            escalation("receipts", "bot", "helm upgrade", requirement(1, &[])),
            at(7),
        )
        .await
        .unwrap();
    store
        .record_approval(&other.id, "sue", VoteKind::Approve, None, at(8))
        .await
        .unwrap();
    assert!(matches!(
        store
            .issue_receipt(new_receipt("rcpt_3", &other.id, "n1"), at(9))
            .await,
        Err(StoreError::NonceReused)
    ));
    // Expired receipts are refused.
    let mut late = new_receipt("rcpt_3", &other.id, "n3");
    late.expires_at = at(20);
    store.issue_receipt(late, at(9)).await.unwrap();
    assert!(matches!(
        store.redeem_receipt(ReceiptRef::Id("rcpt_3"), at(20)).await,
        Err(StoreError::ReceiptExpired { .. })
    ));
    // Revoked receipts are refused.
    let third = store
        .submit_escalation(
            escalation("receipts", "bot", "kubectl apply", requirement(1, &[])),
            at(10),
        )
        .await
        .unwrap();
    store
        .record_approval(&third.id, "sue", VoteKind::Approve, None, at(11))
        .await
        .unwrap();
    store
        .issue_receipt(new_receipt("rcpt_4", &third.id, "n4"), at(12))
        .await
        .unwrap();
    let withdrawn = store.revoke_agent("bot", "admin", at(13)).await.unwrap();
    assert!(withdrawn.revoked_receipts.contains(&"rcpt_4".to_string()));
    assert!(
        !withdrawn.revoked_receipts.contains(&"rcpt_1".to_string()),
        "redeemed stays"
    );
    assert!(matches!(
        store.redeem_receipt(ReceiptRef::Id("rcpt_4"), at(14)).await,
        Err(StoreError::ReceiptRevoked { .. })
    ));
    assert!(is_not_found(
        store
            .redeem_receipt(ReceiptRef::Id("rcpt_none"), at(14))
            .await
    ));
    verify(store.as_ref()).await.unwrap();
}

async fn revocation_cascade_under_concurrent_approvals(ctx: Arc<Ctx>) {
    let store = populated(&ctx, "cascade").await;
    let mut ids = Vec::new();
    for n in 0..12 {
        let request = store
            .submit_escalation(
                escalation(
                    "cascade",
                    "bot",
                    &format!("deploy {n}"),
                    requirement(1, &[]),
                ),
                at(1),
            )
            .await
            .unwrap();
        ids.push(request.id);
    }
    let mut tasks = Vec::new();
    for (n, id) in ids.iter().cloned().enumerate() {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let approver = ["sam", "sue", "dan"][n % 3];
            match store
                .record_approval(&id, approver, VoteKind::Approve, None, at(2))
                .await
            {
                Ok(outcome) if outcome.requirement_met() => {}
                Ok(outcome) => panic!("unexpected outcome {outcome:?}"),
                Err(StoreError::VoteRefused(Refusal::NotPending(RequestStatus::Cancelled))) => {
                    return
                }
                Err(other) => panic!("unexpected error {other}"),
            }
            let receipt = new_receipt(&format!("rcpt_c{n}"), &id, &format!("nonce-c{n}"));
            match store.issue_receipt(receipt, at(3)).await {
                Ok(_) | Err(StoreError::AgentRevoked(_)) => {}
                Err(other) => panic!("unexpected error {other}"),
            }
        }));
    }
    let revoker = {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            tokio::task::yield_now().await;
            store.revoke_agent("bot", "admin", at(4)).await.unwrap()
        })
    };
    for task in tasks {
        task.await.unwrap();
    }
    revoker.await.unwrap();

    for id in &ids {
        let request = store.request(id).await.unwrap();
        assert_ne!(request.status, RequestStatus::Pending);
        let receipt = store.receipt_for_request(id).await.unwrap();
        if request.status == RequestStatus::Cancelled {
            assert!(receipt.is_none(), "receipt issued for a cancelled request");
        }
        if let Some(receipt) = receipt {
            assert!(receipt.revoked.is_some(), "live receipt of a revoked agent");
        }
    }
    assert!(store.agent("bot").await.unwrap().revoked.is_some());
    assert!(matches!(
        store
            .submit_escalation(
                escalation("cascade", "bot", "ls", requirement(1, &[])),
                at(5)
            )
            .await,
        Err(StoreError::AgentRevoked(_))
    ));
    verify(store.as_ref()).await.unwrap();
}

async fn emergency_stop(ctx: Arc<Ctx>) {
    let store = populated(&ctx, "stop").await;
    let approved = store
        .submit_escalation(escalation("stop", "bot", "a", requirement(1, &[])), at(1))
        .await
        .unwrap();
    store
        .record_approval(&approved.id, "sam", VoteKind::Approve, None, at(2))
        .await
        .unwrap();
    store
        .issue_receipt(new_receipt("rcpt_s", &approved.id, "ns"), at(3))
        .await
        .unwrap();
    let pending = store
        .submit_escalation(escalation("stop", "bot", "b", requirement(1, &[])), at(4))
        .await
        .unwrap();
    let withdrawn = store.emergency_stop("ciso", at(5)).await.unwrap();
    assert_eq!(withdrawn.cancelled_requests, vec![pending.id.clone()]);
    assert_eq!(withdrawn.revoked_receipts, vec!["rcpt_s".to_string()]);
    let info = store.info().await.unwrap();
    assert_eq!(
        info.emergency_stop.as_ref().map(|s| s.by.as_str()),
        Some("ciso")
    );
    assert!(matches!(
        store
            .submit_escalation(escalation("stop", "bot", "c", requirement(1, &[])), at(6))
            .await,
        Err(StoreError::EmergencyStopped { .. })
    ));
    store.lift_emergency_stop("ciso", at(7)).await.unwrap();
    assert!(store.info().await.unwrap().emergency_stop.is_none());
    store
        .submit_escalation(escalation("stop", "bot", "d", requirement(1, &[])), at(8))
        .await
        .unwrap();
    let key = store
        .revoke_key("key-1", "leaked", "ciso", at(9))
        .await
        .unwrap();
    assert_eq!(key.revoked.by, "ciso");
    assert_eq!(store.revoked_keys().await.unwrap(), vec![key]);
    verify(store.as_ref()).await.unwrap();
}

async fn every_operation_appends_one_entry(ctx: Arc<Ctx>) {
    let store = ctx.new_tenant("counting").await;
    let mut size = log_size(store.as_ref()).await;
    assert_eq!(size, 1, "tenant creation is entry 0");
    macro_rules! one_entry {
        ($operation:expr) => {{
            let result = $operation.await.unwrap();
            let now = log_size(store.as_ref()).await;
            assert_eq!(now, size + 1, "{}", stringify!($operation));
            size = now;
            result
        }};
    }
    one_entry!(store.create_agent(
        NewAgent {
            id: "bot".into(),
            name: "bot".into(),
            operator: "olivia".into(),
            roles: vec![],
            expires_at: None
        },
        "admin",
        at(0)
    ));
    one_entry!(store.create_approver(
        NewApprover {
            id: "sam".into(),
            name: "sam".into(),
            roles: vec![]
        },
        "admin",
        at(0)
    ));
    let request = one_entry!(store.submit_escalation(
        escalation("counting", "bot", "x", requirement(1, &[])),
        at(1)
    ));
    one_entry!(store.record_approval(&request.id, "sam", VoteKind::Approve, None, at(2)));
    one_entry!(store.issue_receipt(new_receipt("rcpt_k", &request.id, "nk"), at(3)));
    one_entry!(store.redeem_receipt(ReceiptRef::Id("rcpt_k"), at(4)));
    one_entry!(store.append_audit(AuditEvent::new(
        at(5),
        EntryKind::Decision,
        "bot",
        "ls",
        json!({"verdict": "allow"})
    )));
    one_entry!(store.revoke_key("k", "rotated", "admin", at(6)));
    one_entry!(store.emergency_stop("admin", at(7)));
    one_entry!(store.lift_emergency_stop("admin", at(8)));
    one_entry!(store.revoke_agent("bot", "admin", at(9)));
    one_entry!(store.revoke_approver("sam", "admin", at(10)));
    // Refused operations write nothing.
    assert!(store
        .redeem_receipt(ReceiptRef::Id("rcpt_k"), at(11))
        .await
        .is_err());
    assert_eq!(log_size(store.as_ref()).await, size);

    let kinds: Vec<String> = store
        .audit_rows(0..u64::MAX)
        .await
        .unwrap()
        .iter()
        .map(|row| row.entry.kind.to_string())
        .collect();
    assert_eq!(
        kinds,
        [
            "tenant_created",
            "agent_registered",
            "approver_registered",
            "request",
            "approval",
            "receipt_issued",
            "receipt_redeemed",
            "decision",
            "revocation",
            "emergency_stop",
            "emergency_stop_lifted",
            "revocation",
            "revocation"
        ]
    );
    let report = verify(store.as_ref()).await.unwrap();
    assert_eq!(report.size, 13);
    assert_eq!(report.latest_checkpoint_size, Some(12));
    let checkpoint = store.checkpoint_now(at(12)).await.unwrap();
    assert_eq!(checkpoint.size, 13);
    assert_eq!(checkpoint.origin, "airlock/counting");
    let report = verify(store.as_ref()).await.unwrap();
    assert_eq!(report.entries_after_latest_checkpoint, 0);
}

async fn concurrent_appends_from_two_handles(ctx: Arc<Ctx>) {
    ctx.new_tenant("concurrent").await;
    let second = SqlStore::open_with(&ctx.url, options()).await.unwrap();
    let handles: [Arc<dyn TenantStore>; 2] = [
        ctx.tenant("concurrent"),
        second.tenant(&TenantId::new("concurrent").unwrap()),
    ];
    let mut tasks = Vec::new();
    for (h, handle) in handles.iter().enumerate() {
        for n in 0..25 {
            let handle = Arc::clone(handle);
            tasks.push(tokio::spawn(async move {
                handle
                    .append_audit(AuditEvent::new(
                        at(n),
                        EntryKind::Decision,
                        format!("replica-{h}"),
                        format!("event-{n}"),
                        json!({ "n": n }),
                    ))
                    .await
                    .unwrap()
            }));
        }
    }
    let mut indices = Vec::new();
    for task in tasks {
        indices.push(task.await.unwrap().stored.entry.index);
    }
    indices.sort_unstable();
    assert_eq!(indices, (1..51).collect::<Vec<u64>>());
    let rows = handles[1].audit_rows(0..u64::MAX).await.unwrap();
    assert_eq!(
        rows.iter().map(|row| row.entry.index).collect::<Vec<_>>(),
        (0..51).collect::<Vec<u64>>()
    );
    let report = verify(handles[0].as_ref()).await.unwrap();
    assert_eq!(report.size, 51);
    assert_eq!(report.checkpoints_checked, 12);
    second.close().await;
}

fn numbered_decision(n: i64) -> AuditEvent {
    AuditEvent::new(
        at(n),
        EntryKind::Decision,
        "bot",
        format!("sha256:{n:064x}"),
        json!({ "n": n, "verdict": if n % 3 == 0 { "deny" } else { "allow" } }),
    )
}

async fn policy_changes_are_logged_once(ctx: Arc<Ctx>) {
    let store = ctx.new_tenant("policy-versions").await;
    let before = log_size(store.as_ref()).await;
    let now = Timestamp::now();
    assert!(store
        .record_policy_version("sha256:aa", "serve", now)
        .await
        .unwrap());
    assert!(!store
        .record_policy_version("sha256:aa", "serve", now)
        .await
        .unwrap());
    assert!(store
        .record_policy_version("sha256:bb", "serve", now)
        .await
        .unwrap());
    assert_eq!(log_size(store.as_ref()).await, before + 2);
    let rows = store.audit_rows(before..before + 2).await.unwrap();
    assert_eq!(rows[0].entry.kind.as_str(), "policy_change");
    assert_eq!(rows[1].entry.subject, "sha256:bb");
    assert_eq!(rows[1].entry.data["previous"], "sha256:aa");
    verify(store.as_ref()).await.unwrap();
}

async fn failed_batch_appends_nothing(ctx: Arc<Ctx>) {
    let missing = ctx.tenant("no-such-tenant");
    assert!(is_not_found(
        missing.append_audit_batch(vec![numbered_decision(1)]).await
    ));
    let store = ctx.new_tenant("batch-fails").await;
    store
        .append_audit_batch(vec![numbered_decision(1)])
        .await
        .unwrap();
    let before = store.audit_head().await.unwrap();
    // Occupy the index the batch's third entry would take: the first two
    // inserts succeed inside the transaction, the third fails, and the
    // whole batch must roll back.
    let occupied = before.size as i64 + 2;
    sqlx::query(&format!(
        "INSERT INTO {} (tenant_id, idx, entry, leaf_hash, root_after) VALUES ($1, $2, 'x', 'x', 'x')",
        ctx.table("audit_log")
    ))
    .bind("batch-fails")
    .bind(occupied)
    .execute(&ctx.raw)
    .await
    .unwrap();
    let result = store
        .append_audit_batch((2..7).map(numbered_decision).collect())
        .await;
    assert!(matches!(result, Err(StoreError::Database(_))), "{result:?}");
    assert_eq!(store.audit_head().await.unwrap(), before);
    ctx.raw_execute(
        &format!(
            "DELETE FROM {} WHERE tenant_id = $1 AND idx = $2",
            ctx.table("audit_log")
        ),
        "batch-fails",
        occupied,
    )
    .await;
    assert_eq!(
        store.audit_rows(0..u64::MAX).await.unwrap().len() as u64,
        before.size
    );
    let retried = store
        .append_audit_batch((2..7).map(numbered_decision).collect())
        .await
        .unwrap();
    assert_eq!(retried[0].stored.entry.index, before.size);
    assert_eq!(verify(store.as_ref()).await.unwrap().size, before.size + 5);
}

/// Decisions are recorded only for callers that still hold the authority
/// they were decided with, read inside the appending transaction.
async fn decisions_need_their_callers_authority(ctx: Arc<Ctx>) {
    let store = ctx.new_tenant("authority").await;
    let agent = |id: &str, roles: &[&str]| NewAgent {
        id: id.into(),
        name: id.into(),
        operator: "olivia".into(),
        roles: roles.iter().map(|r| r.to_string()).collect(),
        expires_at: None,
    };
    let (bot, bot_token) = store
        .create_agent(agent("bot", &["deployer"]), "admin", at(1))
        .await
        .unwrap();
    let (other, other_token) = store
        .create_agent(agent("other", &[]), "admin", at(1))
        .await
        .unwrap();
    let bot_as_read = Arc::new(DecidedFor {
        token: bot_token.hash(),
        agent: bot.clone(),
    });
    let other_as_read = Arc::new(DecidedFor {
        token: other_token.hash(),
        agent: other.clone(),
    });
    // How the agent last named itself is not authority.
    store
        .record_agent_identity(
            "bot",
            &airlock_model::AgentIdentity {
                id: "bot".into(),
                name: Some("claude-code".into()),
                model: None,
                version: None,
            },
            at(2),
        )
        .await
        .unwrap();
    let size = log_size(store.as_ref()).await;
    let appended = store
        .append_decisions(
            vec![
                (numbered_decision(1), Arc::clone(&bot_as_read)),
                (numbered_decision(2), Arc::clone(&other_as_read)),
            ],
            at(3),
        )
        .await
        .unwrap();
    assert!(appended.iter().all(Option::is_some), "{appended:?}");
    assert_eq!(log_size(store.as_ref()).await, size + 2);

    // Roles other than the ones read: refused, the other caller's kept.
    let mut promoted = bot.clone();
    promoted.roles.push("admin".into());
    let assumed_more = Arc::new(DecidedFor {
        token: bot_token.hash(),
        agent: promoted,
    });
    // A token that names no agent (or another agent) is refused too.
    let wrong_token = Arc::new(DecidedFor {
        token: other_token.hash(),
        agent: bot.clone(),
    });
    let size = log_size(store.as_ref()).await;
    let appended = store
        .append_decisions(
            vec![
                (numbered_decision(3), assumed_more),
                (numbered_decision(4), Arc::clone(&other_as_read)),
                (numbered_decision(5), wrong_token),
            ],
            at(4),
        )
        .await
        .unwrap();
    assert!(appended[0].is_none() && appended[1].is_some() && appended[2].is_none());
    let kept = appended[1].as_ref().unwrap();
    assert_eq!(kept.stored.entry.index, size);
    assert_eq!(kept.stored.entry.subject, numbered_decision(4).subject);
    assert_eq!(log_size(store.as_ref()).await, size + 1);

    // Revoked after the decision was made: refused, nothing appended.
    store.revoke_agent("bot", "admin", at(5)).await.unwrap();
    assert_refused_alone(store.as_ref(), 6, Arc::clone(&bot_as_read), at(6)).await;

    // Under an emergency stop nobody's decisions are recorded.
    store.emergency_stop("ciso", at(7)).await.unwrap();
    assert_refused_alone(store.as_ref(), 7, Arc::clone(&other_as_read), at(8)).await;
    store.lift_emergency_stop("ciso", at(9)).await.unwrap();
    let appended = store
        .append_decisions(vec![(numbered_decision(8), other_as_read)], at(10))
        .await
        .unwrap();
    assert!(appended[0].is_some());

    // Expired by the time the batch commits: refused.
    let (short, short_token) = store
        .create_agent(
            NewAgent {
                expires_at: Some(at(20)),
                ..agent("short", &[])
            },
            "admin",
            at(11),
        )
        .await
        .unwrap();
    let short_as_read = Arc::new(DecidedFor {
        token: short_token.hash(),
        agent: short,
    });
    assert_refused_alone(store.as_ref(), 9, short_as_read, at(21)).await;
    verify(store.as_ref()).await.unwrap();
}

/// Appends decision `n`, made for `decided_for`, alone: it must be refused
/// and nothing appended.
async fn assert_refused_alone(
    store: &dyn TenantStore,
    n: i64,
    decided_for: Arc<DecidedFor>,
    now: Timestamp,
) {
    let size = log_size(store).await;
    let appended = store
        .append_decisions(vec![(numbered_decision(n), decided_for)], now)
        .await
        .unwrap();
    assert_eq!(appended.len(), 1);
    assert!(appended[0].is_none(), "decision {n} was recorded");
    assert_eq!(log_size(store).await, size);
}

async fn tampering_is_detected(ctx: Arc<Ctx>) {
    let store = ctx.new_tenant("tamper").await;
    for n in 0..9 {
        store
            .append_audit(AuditEvent::new(
                at(n),
                EntryKind::Decision,
                "bot",
                format!("cmd-{n}"),
                json!({ "verdict": "allow" }),
            ))
            .await
            .unwrap();
    }
    verify(store.as_ref()).await.unwrap();
    let changed = ctx
        .raw_execute(
            &format!(
                "UPDATE {} SET entry = REPLACE(entry, 'allow', 'deny!') WHERE tenant_id = $1 AND idx = $2",
                ctx.table("audit_log")
            ),
            "tamper",
            6,
        )
        .await;
    assert_eq!(changed, 1);
    match verify(store.as_ref()).await {
        Err(VerifyFailure::LeafHashMismatch { index }) => assert_eq!(index, 6),
        other => panic!("tampering not named: {other:?}"),
    }
    ctx.raw_execute(
        &format!(
            "DELETE FROM {} WHERE tenant_id = $1 AND idx = $2",
            ctx.table("audit_log")
        ),
        "tamper",
        3,
    )
    .await;
    match verify(store.as_ref()).await {
        Err(VerifyFailure::MissingEntry { index }) => assert_eq!(index, 3),
        other => panic!("deletion not named: {other:?}"),
    }
}

async fn aborted_transactions_leave_nothing(ctx: Arc<Ctx>) {
    let store = populated(&ctx, "abort").await;
    let head_before = store.audit_head().await.unwrap();
    // Occupy the next log index so the audit insert, which comes after the
    // request insert inside the transaction, fails.
    sqlx::query(&format!(
        "INSERT INTO {} (tenant_id, idx, entry, leaf_hash, root_after) VALUES ($1, $2, 'x', 'x', 'x')",
        ctx.table("audit_log")
    ))
    .bind("abort")
    .bind(head_before.size as i64)
    .execute(&ctx.raw)
    .await
    .unwrap();
    let result = store
        .submit_escalation(
            escalation("abort", "bot", "rm -rf /", requirement(1, &[])),
            at(1),
        )
        .await;
    assert!(matches!(result, Err(StoreError::Database(_))), "{result:?}");
    assert!(
        store.requests(None).await.unwrap().is_empty(),
        "request half-written"
    );
    assert_eq!(store.audit_head().await.unwrap(), head_before);
    ctx.raw_execute(
        &format!(
            "DELETE FROM {} WHERE tenant_id = $1 AND idx = $2",
            ctx.table("audit_log")
        ),
        "abort",
        head_before.size as i64,
    )
    .await;

    // Callers dropped at arbitrary points: each operation still runs to
    // completion on its own task, so every request appears, each with
    // exactly one audit entry.
    for n in 0..20u64 {
        let attempt = store.submit_escalation(
            escalation("abort", "bot", &format!("cmd {n}"), requirement(1, &[])),
            at(2),
        );
        let _ = tokio::time::timeout(Duration::from_micros(n * 150), attempt).await;
    }
    let mut settled = false;
    for _ in 0..400 {
        let requests = store.requests(None).await.unwrap().len();
        let request_entries = store
            .audit_rows(0..u64::MAX)
            .await
            .unwrap()
            .into_iter()
            .filter(|row| row.entry.kind == EntryKind::Request)
            .count();
        if requests == 20 && request_entries == 20 {
            settled = true;
            break;
        }
        assert!(requests <= 20 && request_entries <= 20);
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(settled, "dropped operations did not complete");
    verify(store.as_ref()).await.unwrap();
    store
        .submit_escalation(
            escalation("abort", "bot", "after", requirement(1, &[])),
            at(3),
        )
        .await
        .unwrap();
}

async fn reopening_is_idempotent(ctx: Arc<Ctx>) {
    let again = SqlStore::open_with(&ctx.url, options()).await.unwrap();
    let versions: i64 = sqlx::query(&format!(
        "SELECT COUNT(*) AS versions FROM {}",
        ctx.table("schema_version")
    ))
    .fetch_one(&ctx.raw)
    .await
    .map(|row| sqlx::Row::get(&row, "versions"))
    .unwrap();
    assert_eq!(versions, 3);
    assert!(matches!(
        again
            .create_tenant(&TenantId::new("reopen").unwrap(), "r", "admin", at(0))
            .await
            .map(|_| ()),
        Ok(())
    ));
    assert!(matches!(
        ctx.store
            .create_tenant(&TenantId::new("reopen").unwrap(), "r", "admin", at(0))
            .await,
        Err(StoreError::AlreadyExists { .. })
    ));
    again.close().await;
}

/// The entries `tenant`'s log holds after `new_tenant` and `events`, as the
/// in-memory log writer appends them one by one, with its checkpoints.
fn reference_log(tenant: &str, events: &[AuditEvent]) -> (Vec<StoredEntry>, Vec<Checkpoint>) {
    let signer =
        CheckpointSigner::new(&format!("airlock/{tenant}"), "airlock-log", signing_key()).unwrap();
    let mut writer = LogWriter::new(signer, CheckpointPolicy::every(CHECKPOINT_EVERY));
    let created = AuditEvent::new(
        at(0),
        EntryKind::Other("tenant_created".into()),
        "admin",
        tenant,
        json!({ "name": tenant }),
    );
    let mut rows = Vec::new();
    let mut checkpoints = Vec::new();
    for event in std::iter::once(&created).chain(events) {
        let appended = writer.append(AuditEntry {
            index: 0,
            timestamp: event.timestamp,
            tenant: tenant.to_owned(),
            kind: event.kind.clone(),
            actor: event.actor.clone(),
            subject: event.subject.clone(),
            data: event.data.clone(),
        });
        rows.push(appended.stored);
        checkpoints.extend(appended.checkpoint);
    }
    (rows, checkpoints)
}

fn decisions(count: i64) -> Vec<AuditEvent> {
    (0..count)
        .map(|n| {
            AuditEvent::new(
                at(n),
                EntryKind::Decision,
                format!("agent-{}", n % 3),
                format!("req-{n}"),
                json!({ "verdict": if n % 5 == 0 { "deny" } else { "allow" }, "n": n }),
            )
        })
        .collect()
}

async fn batch_append_equals_single_appends(ctx: Arc<Ctx>) {
    let events = decisions(23);
    let single = ctx.new_tenant("batch-single").await;
    for event in &events {
        single.append_audit(event.clone()).await.unwrap();
    }
    let batched = ctx.new_tenant("batch-grouped").await;
    let mut returned = Vec::new();
    let mut rest = events.as_slice();
    for size in [5, 1, 0, 17] {
        let (group, tail) = rest.split_at(size);
        let appended = batched.append_audit_batch(group.to_vec()).await.unwrap();
        assert_eq!(appended.len(), size);
        returned.extend(appended);
        rest = tail;
    }
    assert!(rest.is_empty());
    assert_eq!(
        returned
            .iter()
            .map(|item| item.stored.entry.index)
            .collect::<Vec<_>>(),
        (1..24).collect::<Vec<u64>>(),
        "indexes are contiguous after the creation entry"
    );
    assert_eq!(
        returned
            .iter()
            .filter_map(|item| item.checkpoint.as_ref().map(|checkpoint| checkpoint.size))
            .collect::<Vec<_>>(),
        [4, 8, 12, 16, 20, 24]
    );

    for (tenant, store) in [("batch-single", &single), ("batch-grouped", &batched)] {
        let (rows, checkpoints) = reference_log(tenant, &events);
        assert_eq!(
            store.audit_rows(0..u64::MAX).await.unwrap(),
            rows,
            "{tenant}"
        );
        assert_eq!(store.checkpoints().await.unwrap(), checkpoints, "{tenant}");
        let mut tree = MerkleAccumulator::new();
        for row in &rows {
            tree.push(row.leaf_hash);
        }
        assert_eq!(store.audit_head().await.unwrap(), tree.frontier());
        let report = verify(store.as_ref()).await.unwrap();
        assert_eq!((report.size, report.checkpoints_checked), (24, 6));
    }
    let batched_rows = batched.audit_rows(1..24).await.unwrap();
    assert_eq!(
        returned
            .into_iter()
            .map(|item| item.stored)
            .collect::<Vec<_>>(),
        batched_rows
    );

    // A batch is one transaction: when one row cannot be written, none is.
    let head = batched.audit_head().await.unwrap();
    sqlx::query(&format!(
        "INSERT INTO {} (tenant_id, idx, entry, leaf_hash, root_after) VALUES ($1, $2, 'x', 'x', 'x')",
        ctx.table("audit_log")
    ))
    .bind("batch-grouped")
    .bind(head.size as i64 + 250)
    .execute(&ctx.raw)
    .await
    .unwrap();
    let failed = batched.append_audit_batch(decisions(300)).await;
    assert!(matches!(failed, Err(StoreError::Database(_))), "{failed:?}");
    assert_eq!(batched.audit_head().await.unwrap(), head);
    assert!(batched
        .audit_rows(head.size..head.size + 250)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(batched.checkpoints().await.unwrap().len(), 6);
    ctx.raw_execute(
        &format!(
            "DELETE FROM {} WHERE tenant_id = $1 AND idx = $2",
            ctx.table("audit_log")
        ),
        "batch-grouped",
        head.size as i64 + 250,
    )
    .await;
    batched.append_audit_batch(decisions(3)).await.unwrap();
    verify(batched.as_ref()).await.unwrap();

    assert!(is_not_found(
        ctx.tenant("no-such-tenant")
            .append_audit_batch(decisions(2))
            .await
    ));
}

async fn proofs_come_from_stored_nodes(ctx: Arc<Ctx>) {
    let store = ctx.new_tenant("proofs").await;
    store.append_audit_batch(decisions(99)).await.unwrap();
    let rows = store.audit_rows(0..u64::MAX).await.unwrap();
    let tree = MemoryTree::from_leaf_hashes(rows.iter().map(|row| row.leaf_hash));
    let node_rows = |level: i64| {
        let sql = format!(
            "SELECT COUNT(*) AS nodes FROM {} WHERE tenant_id = $1 AND level = $2",
            ctx.table("audit_nodes")
        );
        let raw = ctx.raw.clone();
        async move {
            sqlx::query(&sql)
                .bind("proofs")
                .bind(level)
                .fetch_one(&raw)
                .await
                .map(|row| sqlx::Row::get::<i64, _>(&row, "nodes"))
                .unwrap()
        }
    };
    // 100 leaves: 6 nodes of 16 leaves, 3 of 32, 1 of 64; none below.
    assert_eq!(node_rows(i64::from(STORED_NODE_MIN_LEVEL) - 1).await, 0);
    assert_eq!(node_rows(4).await, 6);
    assert_eq!(node_rows(5).await, 3);
    assert_eq!(node_rows(6).await, 1);

    let check = |tree: &MemoryTree| {
        let mut cases = Vec::new();
        for size in [1u64, 2, 15, 16, 17, 33, 64, 65, 99, 100] {
            for index in [0, size / 2, size - 1] {
                cases.push((index, size, inclusion_proof(index, size, tree).unwrap()));
            }
        }
        cases
    };
    for (index, size, expected) in check(&tree) {
        assert_eq!(
            store.inclusion_proof(index, size).await.unwrap(),
            expected,
            "inclusion of {index} in {size}"
        );
        let root = tree.root_at(size).unwrap();
        verify_inclusion(
            &rows[index as usize].leaf_hash,
            index,
            size,
            &expected,
            &root,
        )
        .unwrap();
    }
    for (old, new) in [
        (1u64, 100u64),
        (16, 100),
        (17, 64),
        (50, 99),
        (100, 100),
        (0, 7),
    ] {
        assert_eq!(
            store.consistency_proof(old, new).await.unwrap(),
            consistency_proof(old, new, &tree).unwrap(),
            "consistency {old} -> {new}"
        );
    }
    // Without stored nodes (a log written before they were kept) the same
    // proofs come from the leaf hashes.
    sqlx::query(&format!(
        "DELETE FROM {} WHERE tenant_id = $1",
        ctx.table("audit_nodes")
    ))
    .bind("proofs")
    .execute(&ctx.raw)
    .await
    .unwrap();
    for (index, size, expected) in check(&tree) {
        assert_eq!(store.inclusion_proof(index, size).await.unwrap(), expected);
    }
    for bad in [
        store.inclusion_proof(100, 100).await,
        store.inclusion_proof(0, 101).await,
        store.consistency_proof(5, 4).await,
        store.consistency_proof(1, 101).await,
    ] {
        assert!(matches!(bad, Err(StoreError::InvalidInput(_))), "{bad:?}");
    }
}

async fn pages_stream_every_row(ctx: Arc<Ctx>) {
    let store = ctx.new_tenant("pages").await;
    store.append_audit_batch(decisions(20)).await.unwrap();
    let mut seen = Vec::new();
    let mut from = 0;
    loop {
        let page = store.audit_page(from, 6).await.unwrap();
        let Some(last) = page.last() else { break };
        from = last.position + 1;
        for row in page {
            assert_eq!(row.decoded.unwrap().entry.index, row.position);
            seen.push(row.position);
        }
    }
    assert_eq!(seen, (0..21).collect::<Vec<u64>>());

    // The raw pages hold the same rows, as stored, multi-byte text included.
    store
        .append_audit(AuditEvent::new(
            at(30),
            EntryKind::Decision,
            "bøt,42,",
            "é€😀",
            json!({ "note": "a,b\n\"c\"" }),
        ))
        .await
        .unwrap();
    let rows = store.audit_rows(0..u64::MAX).await.unwrap();
    let mut raw = Vec::new();
    let mut from = 0;
    loop {
        let page = store
            .audit_page_raw(from, 5, AuditColumns::WithStoredHashes)
            .await
            .unwrap();
        let Some(last) = page.last_position() else {
            break;
        };
        from = last + 1;
        for row in page.rows() {
            raw.push((
                row.position,
                row.entry.to_owned(),
                row.leaf_hash.to_owned(),
                row.root_after.to_owned(),
            ));
        }
    }
    let expected: Vec<_> = rows
        .iter()
        .map(|row| {
            (
                row.entry.index,
                String::from_utf8(row.entry.leaf_bytes()).unwrap(),
                hex::encode(row.leaf_hash),
                hex::encode(row.root_after),
            )
        })
        .collect();
    assert_eq!(raw, expected);
    // Leaf bytes only: the same rows, the stored hashes left out.
    let leaves = store
        .audit_page_raw(0, 1000, AuditColumns::LeafBytes)
        .await
        .unwrap();
    assert_eq!(
        leaves
            .rows()
            .map(|row| (
                row.position,
                row.entry.to_owned(),
                row.leaf_hash,
                row.root_after
            ))
            .collect::<Vec<_>>(),
        expected
            .iter()
            .map(|(index, entry, _, _)| (*index, entry.clone(), "", ""))
            .collect::<Vec<_>>()
    );
    assert!(store
        .audit_page_raw(1000, 5, AuditColumns::LeafBytes)
        .await
        .unwrap()
        .is_empty());

    ctx.raw_execute(
        &format!(
            "UPDATE {} SET entry = 'not json' WHERE tenant_id = $1 AND idx = $2",
            ctx.table("audit_log")
        ),
        "pages",
        7,
    )
    .await;
    let page = store.audit_page(5, 4).await.unwrap();
    assert_eq!(
        page.iter().map(|row| row.position).collect::<Vec<_>>(),
        [5, 6, 7, 8]
    );
    assert!(matches!(page[2].decoded, Err(StoreError::Corrupt(_))));
    assert!(page[3].decoded.is_ok());
    let raw = store
        .audit_page_raw(7, 1, AuditColumns::WithStoredHashes)
        .await
        .unwrap();
    assert_eq!(raw.rows().next().map(|row| row.entry), Some("not json"));
}

// --- harness ---------------------------------------------------------------

type Case = fn(Arc<Ctx>) -> Pin<Box<dyn Future<Output = ()>>>;

macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        [$((stringify!($name), (|ctx| Box::pin($name(ctx))) as Case)),*]
    };
}

async fn run_suite(ctx: Arc<Ctx>) -> Vec<String> {
    let cases = cases![
        tenant_isolation,
        tokens_are_hashed,
        approval_rules,
        receipts,
        revocation_cascade_under_concurrent_approvals,
        emergency_stop,
        every_operation_appends_one_entry,
        concurrent_appends_from_two_handles,
        batch_append_equals_single_appends,
        failed_batch_appends_nothing,
        decisions_need_their_callers_authority,
        policy_changes_are_logged_once,
        tampering_is_detected,
        proofs_come_from_stored_nodes,
        pages_stream_every_row,
        aborted_transactions_leave_nothing,
        reopening_is_idempotent,
    ];
    // Each case runs as its own task so that one failing case does not
    // hide the others (and the PostgreSQL schema is still dropped).
    let local = tokio::task::LocalSet::new();
    let mut failures = Vec::new();
    for (name, case) in cases {
        let task = local.spawn_local(case(Arc::clone(&ctx)));
        let outcome = local.run_until(task).await;
        if let Err(error) = outcome {
            failures.push(format!("{name}: {error}"));
        }
    }
    failures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_backend() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/data/airlock.db");
    let url = format!("sqlite://{}", path.display());
    let store = SqlStore::open_with(&url, options()).await.unwrap();
    assert_eq!(store.backend(), Backend::Sqlite);
    assert!(path.exists());
    sqlx::any::install_default_drivers();
    let raw = AnyPool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let journal: String = sqlx::query("PRAGMA journal_mode")
        .fetch_one(&raw)
        .await
        .map(|row| sqlx::Row::get(&row, 0))
        .unwrap();
    assert_eq!(journal, "wal");
    let ctx = Arc::new(Ctx {
        store,
        url,
        raw,
        qualifier: String::new(),
    });
    let failures = run_suite(ctx).await;
    assert!(
        failures.is_empty(),
        "failed cases:\n{}",
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_backend() {
    let Some(test_schema) = airlock_store::testing::TestSchema::new("airlock_test").await else {
        return;
    };
    let (base, url, schema) = (
        test_schema.base.clone(),
        test_schema.url.clone(),
        test_schema.name.clone(),
    );
    let store = SqlStore::open_with(&url, options()).await.unwrap();
    assert_eq!(store.backend(), Backend::Postgres);
    let raw = AnyPool::connect(&base).await.unwrap();
    let ctx = Arc::new(Ctx {
        store,
        url,
        raw: raw.clone(),
        qualifier: format!("\"{schema}\"."),
    });
    let failures = run_suite(Arc::clone(&ctx)).await;
    ctx.store.close().await;
    raw.close().await;
    test_schema.drop_schema().await;
    assert!(
        failures.is_empty(),
        "failed cases:\n{}",
        failures.join("\n")
    );
}
