//! `airlock demo`: the December 2025 incident, replayed against a real gate.
//!
//! It starts `airlock serve` in-process on a loopback port over a fresh
//! store (embedded SQLite in a temporary directory, or `--database-url`),
//! registers an agent and three people, and walks the scenario through the
//! HTTP API: the agent's apply of a plan that replaces a production resource
//! is escalated; the pipeline without a receipt stops; one approval is not
//! enough; the operator's own approval is refused; a senior's approval
//! completes it and a receipt is signed; the pipeline verifies and redeems
//! it; a tampered plan, an expired receipt and a reused receipt are each
//! refused. Every step checks its own outcome: exit 0 only if all behaved.

use std::path::PathBuf;
use std::sync::Arc;

use airlock_audit::Timestamp;
use airlock_engine::{Engine, LoadedConfig};
use airlock_keys::TrustedKeys;
use airlock_receipts::{verify, VerifyOptions};
use airlock_server::{Gate, GateConfig};
use airlock_store::{NewAgent, NewApprover, Store, TenantId};
use anyhow::{Context, Result};
use clap::Args;
use serde_json::{json, Value};

use super::approvals::describe;
use super::client::{Client, Refused};
use super::state::{runtime, StateArgs};
use super::{EXIT_ALLOW, EXIT_ERROR};
use crate::Format;

/// The real plan from the incident's shape: `terraform_data.cost_explorer_production`
/// is deleted and created again.
const PLAN: &str = include_str!("../../../../tests/fixtures/terraform/plan-replace-production.json");
const PLAN_NAME: &str = "plan-replace-production.json";
const TENANT: &str = "demo";

/// Replay the incident: an agent's production replace, stopped by the gate.
#[derive(Debug, Args)]
#[command(after_help = "EXAMPLES:
  airlock demo                       # embedded SQLite in a temporary directory
  airlock demo --keep ./demo-state   # keep the store, keys and receipt afterwards
  airlock demo --database-url 'postgres://postgres@127.0.0.1/test?schema=airlock_demo'
  airlock demo --format json         # one JSON object per step

Exit 0 when every step behaved as the gate promises, 1 otherwise.")]
pub struct DemoArgs {
    /// Keep the demo's state (store, keys, receipt) in this directory
    /// instead of a temporary one.
    #[arg(long, value_name = "DIR")]
    keep: Option<PathBuf>,
    /// Run on PostgreSQL instead of embedded SQLite (use a fresh schema).
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

/// One step of the story and whether it went as it must.
struct Step {
    title: &'static str,
    expected: &'static str,
    outcome: String,
    passed: bool,
}

struct Story {
    format: Format,
    steps: Vec<Step>,
}

impl Story {
    fn record(&mut self, title: &'static str, expected: &'static str, outcome: String, passed: bool) {
        match self.format {
            Format::Human => {
                let mark = if passed { "ok" } else { "UNEXPECTED" };
                println!("\n{}. {title}", self.steps.len() + 1);
                for line in outcome.lines() {
                    println!("   {line}");
                }
                println!("   [{mark}: {expected}]");
            }
            Format::Json => println!(
                "{}",
                json!({
                    "step": self.steps.len() + 1,
                    "title": title,
                    "expected": expected,
                    "outcome": outcome,
                    "passed": passed,
                })
            ),
        }
        self.steps.push(Step {
            title,
            expected,
            outcome,
            passed,
        });
    }
}

pub fn run(args: DemoArgs) -> Result<u8> {
    let temporary;
    let dir = match &args.keep {
        Some(dir) => dir.clone(),
        None => {
            temporary = tempfile::tempdir().context("cannot create a temporary directory")?;
            temporary.path().to_path_buf()
        }
    };
    let state = StateArgs {
        data_dir: dir.clone(),
        database_url: args.database_url.clone(),
        tenant: TENANT.to_owned(),
    };
    let engine = Arc::new(Engine::new(LoadedConfig::default())?);
    let receipt_key = state.receipt_key()?;
    let public_key = receipt_key.public_key().clone();
    let runtime = runtime()?;
    let (store, address, tokens) = runtime.block_on(async {
        let store: Arc<dyn Store> = Arc::new(state.open_store().await?);
        let tokens = register(store.as_ref()).await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("cannot listen on a loopback port")?;
        let address = listener.local_addr()?;
        let gate = Arc::new(Gate::new(
            Arc::clone(&store),
            engine,
            receipt_key,
            GateConfig::default(),
        ));
        tokio::spawn(airlock_server::serve(listener, gate, std::future::pending()));
        anyhow::Ok((store, address, tokens))
    })?;
    let server = format!("http://{address}");
    if args.format == Format::Human {
        println!("airlock demo: an AI agent wants to apply a Terraform plan to production.");
        println!("gate: {server}, state in {}", dir.display());
        println!("cast: agent ops-agent acts for alice; approvers alice (senior), bob (senior), carol (sre)");
        println!("policy: changes to production need two people, one of them senior; never the operator");
    }
    let mut story = Story {
        format: args.format,
        steps: Vec::new(),
    };
    let mut trusted = TrustedKeys::new();
    trusted.insert(public_key)?;
    play(&mut story, &server, &tokens, &trusted, &dir)?;
    runtime.block_on(store.close());
    let failed: Vec<&Step> = story.steps.iter().filter(|step| !step.passed).collect();
    if args.format == Format::Human {
        if failed.is_empty() {
            println!(
                "\nAll {} steps behaved as promised: no receipt, no deploy.",
                story.steps.len()
            );
        } else {
            for step in &failed {
                println!(
                    "\nFAILED: {} (expected: {}; got: {})",
                    step.title, step.expected, step.outcome
                );
            }
        }
    }
    Ok(if failed.is_empty() {
        EXIT_ALLOW
    } else {
        EXIT_ERROR
    })
}

struct Tokens {
    agent: String,
    alice: String,
    bob: String,
    carol: String,
}

async fn register(store: &dyn Store) -> Result<Tokens> {
    let now = Timestamp::now();
    let tenant_id = TenantId::new(TENANT)?;
    store
        .create_tenant(&tenant_id, "Incident replay", "demo", now)
        .await?;
    let tenant = store.tenant(&tenant_id);
    let (_, agent) = tenant
        .create_agent(
            NewAgent {
                id: "ops-agent".into(),
                name: "coding agent".into(),
                operator: "alice".into(),
                roles: vec![],
                expires_at: None,
            },
            "demo",
            now,
        )
        .await?;
    let mut people = Vec::new();
    for (id, role) in [("alice", "senior"), ("bob", "senior"), ("carol", "sre")] {
        let (_, token) = tenant
            .create_approver(
                NewApprover {
                    id: id.into(),
                    name: id.into(),
                    roles: vec![role.into()],
                },
                "demo",
                now,
            )
            .await?;
        people.push(token.reveal().to_owned());
    }
    let [alice, bob, carol]: [String; 3] = people
        .try_into()
        .map_err(|_| anyhow::anyhow!("three approvers expected"))?;
    Ok(Tokens {
        agent: agent.reveal().to_owned(),
        alice,
        bob,
        carol,
    })
}

/// The server's refusal reason (its problem type), if `result` is a refusal.
fn refusal<T>(result: &Result<T>) -> Option<String> {
    match result {
        Err(error) => error
            .downcast_ref::<Refused>()
            .map(|Refused(problem)| format!("{} ({})", problem.detail, problem.slug())),
        Ok(_) => None,
    }
}

fn refused_with<T>(result: &Result<T>, slug: &str) -> bool {
    match result {
        Err(error) => error
            .downcast_ref::<Refused>()
            .is_some_and(|Refused(problem)| problem.slug() == slug),
        Ok(_) => false,
    }
}

fn play(
    story: &mut Story,
    server: &str,
    tokens: &Tokens,
    trusted: &TrustedKeys,
    dir: &std::path::Path,
) -> Result<()> {
    let agent = Client::with_token(server, tokens.agent.clone());
    let alice = Client::with_token(server, tokens.alice.clone());
    let bob = Client::with_token(server, tokens.bob.clone());
    let carol = Client::with_token(server, tokens.carol.clone());

    // 1. The agent asks to apply the plan.
    let submitted: Value = agent.post(
        "/v1/actions",
        &json!({
            "tool": "terraform_plan",
            "input": { "plan_json": PLAN, "path": PLAN_NAME },
            "justification": "delete and recreate the environment to fix drift",
            "agent": { "name": "coding agent", "model": "demo", "version": "1" },
        }),
    )?;
    let verdict = submitted["verdict"].as_str().unwrap_or("-").to_owned();
    let request_id = submitted["approval"]["id"].as_str().unwrap_or("").to_owned();
    let finding = submitted["decision"]["findings"]
        .as_array()
        .and_then(|findings| findings.iter().find(|f| f["verdict"] == "escalate"))
        .map(|f| {
            format!(
                "{}: {} ({}, {})",
                f["target"]["name"].as_str().unwrap_or("-"),
                f["reason"].as_str().unwrap_or("-"),
                f["kind"].as_str().unwrap_or("-"),
                f["target"]["environment"].as_str().unwrap_or("-")
            )
        })
        .unwrap_or_default();
    story.record(
        "The agent submits `terraform apply` of a plan that replaces a production resource",
        "escalated to human approval, not run",
        format!(
            "verdict: {verdict}\nfinding: {finding}\nwaiting as request {request_id}: {}",
            submitted["approval"]["missing"].as_str().unwrap_or("-")
        ),
        verdict == "escalate" && !request_id.is_empty(),
    );
    if request_id.is_empty() {
        return Ok(());
    }

    // 2. The pipeline tries to deploy without a receipt.
    let early: Result<Value> = agent.get(&format!("/v1/approvals/{request_id}/receipt"));
    story.record(
        "The deploy pipeline asks for a receipt before anyone approved",
        "no receipt, so no deploy",
        refusal(&early).unwrap_or_else(|| "a receipt was handed out".into()),
        refused_with(&early, "not-approved"),
    );

    // 3. One approval is not enough.
    let first: Result<Value> = carol.post(
        &format!("/v1/approvals/{request_id}/approve"),
        &json!({ "comment": "plan looks right" }),
    );
    let first_status = first
        .as_ref()
        .map(|v| v["approval"]["status"].as_str().unwrap_or("-").to_owned())
        .unwrap_or_else(|e| format!("{e:#}"));
    story.record(
        "carol (sre) approves",
        "still pending: two people, one of them senior",
        match &first {
            Ok(answer) => super::approvals::vote_outcome(answer),
            Err(error) => format!("{error:#}"),
        },
        first_status == "pending",
    );

    // 4. The operator tries to approve her own agent's action.
    let own: Result<Value> = alice.post(&format!("/v1/approvals/{request_id}/approve"), &json!({}));
    story.record(
        "alice, the operator the agent acts for, approves",
        "refused: the operator never approves her own agent's actions",
        refusal(&own).unwrap_or_else(|| "her approval was accepted".into()),
        refused_with(&own, "operator-cannot-approve"),
    );

    // 5. A senior completes the approval.
    let second: Result<Value> = bob.post(
        &format!("/v1/approvals/{request_id}/approve"),
        &json!({ "comment": "replacement confirmed with the cost team" }),
    );
    let approved = second
        .as_ref()
        .is_ok_and(|v| v["approval"]["status"] == "approved" && v["receipt_id"].is_string());
    story.record(
        "bob (senior) approves",
        "approved; airlock signs a receipt bound to this exact plan",
        match &second {
            Ok(answer) => super::approvals::vote_outcome(answer),
            Err(error) => format!("{error:#}"),
        },
        approved,
    );
    if let Ok(detail) = bob.get::<Value>(&format!("/v1/approvals/{request_id}")) {
        if story.format == Format::Human {
            println!("\n   What the approvers saw:");
            for line in describe(&detail).lines() {
                println!("   | {line}");
            }
        }
    }

    // 6. The pipeline verifies the receipt against the plan, then redeems it.
    let envelope: Value = agent.get(&format!("/v1/approvals/{request_id}/receipt"))?;
    let receipt_text = serde_json::to_string_pretty(&envelope)?;
    let receipt_path = dir.join("receipt.json");
    std::fs::write(&receipt_path, &receipt_text)
        .with_context(|| format!("cannot write {}", receipt_path.display()))?;
    let now = time::OffsetDateTime::now_utc();
    let offline = verify(
        &receipt_text,
        &VerifyOptions::new(trusted, now)
            .with_environment("production")
            .with_subject_bytes(PLAN.as_bytes()),
    );
    let redeemed: Result<Value> = agent.post("/v1/receipts/redeem", &json!({ "envelope": envelope }));
    story.record(
        "The pipeline runs `airlock verify` on the receipt and the plan, online",
        "valid: signature, plan digest, environment and expiry hold; redeemed once",
        match (&offline, &redeemed) {
            (Ok(valid), Ok(_)) => format!(
                "VALID receipt {} for {}, approved by {}; redeemed",
                valid.predicate().receipt_id,
                valid.predicate().environment,
                valid
                    .predicate()
                    .approvers
                    .iter()
                    .map(|a| format!("{} ({})", a.id, a.roles.join(",")))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            (Err(error), _) => format!("REFUSED: {error}"),
            (_, Err(error)) => format!("redeem failed: {error:#}"),
        },
        offline.is_ok() && redeemed.is_ok(),
    );

    // 7. Someone swaps the plan after approval.
    let tampered = PLAN.replacen("cost_explorer_production", "cost_explorer_productiom", 1);
    let swapped = verify(
        &receipt_text,
        &VerifyOptions::new(trusted, now)
            .with_environment("production")
            .with_subject_bytes(tampered.as_bytes()),
    );
    story.record(
        "The plan is changed after approval and the pipeline verifies again",
        "refused: the receipt covers only the approved plan",
        match &swapped {
            Ok(_) => "VALID (the altered plan passed)".into(),
            Err(error) => format!("REFUSED: {error}"),
        },
        matches!(swapped, Err(airlock_receipts::VerifyError::SubjectMismatch { .. })),
    );

    // 8. The receipt is used after it expired.
    let later = now + time::Duration::hours(2);
    let expired = verify(
        &receipt_text,
        &VerifyOptions::new(trusted, later)
            .with_environment("production")
            .with_subject_bytes(PLAN.as_bytes()),
    );
    story.record(
        "The same receipt is checked two hours later",
        "refused: receipts are valid for one hour",
        match &expired {
            Ok(_) => "VALID (an expired receipt passed)".into(),
            Err(error) => format!("REFUSED: {error}"),
        },
        matches!(expired, Err(airlock_receipts::VerifyError::Expired { .. })),
    );

    // 9. The receipt is replayed for a second deploy.
    let replay: Result<Value> = agent.post("/v1/receipts/redeem", &json!({ "envelope": envelope }));
    story.record(
        "The receipt is presented again for a second deploy",
        "refused: a receipt is redeemed once",
        refusal(&replay).unwrap_or_else(|| "the replay was accepted".into()),
        refused_with(&replay, "receipt-replayed"),
    );
    Ok(())
}
