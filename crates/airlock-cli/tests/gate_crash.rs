//! Crash safety of `airlock serve`: the real binary is killed with SIGKILL
//! in the middle of a burst of escalations and votes from several threads,
//! restarted on the same store (SQLite in a data directory, and PostgreSQL
//! in a fresh schema), and then checked through the API and the store:
//! every vote and escalation the server acknowledged exists exactly once,
//! no request holds two votes of one approver, every receipt belongs to a
//! request whose approve votes meet its requirement (roles included), a
//! request approved without its receipt gets one on the next fetch, and the
//! audit log still verifies with one entry per stored change.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use airlock_audit::{verify_log, EntryKind, Timestamp};
use airlock_keys::{read_public_key, read_signing_key, TrustedKeys};
use airlock_receipts::{verify_envelope, VerifyOptions};
use airlock_store::testing::TestSchema;
use airlock_store::{
    tally, CheckpointKey, RequestStatus, RequestView, SqlStore, Store, StoreOptions, TenantId,
    Vote, VoteKind,
};
use serde_json::{json, Value};

const TENANT: &str = "default";
const AGENT: &str = "deploy-bot";
const OPERATOR: &str = "alice";
/// Approvers and their role; `alice` is the agent's operator, so her votes
/// are always refused, and `frank` rejects every fifth request.
const APPROVERS: [(&str, &str); 6] = [
    ("alice", "senior"),
    ("bob", "senior"),
    ("carol", "senior"),
    ("dave", "sre"),
    ("erin", "sre"),
    ("frank", "sre"),
];
/// Escalating commands: destructive Terraform and Kubernetes changes in
/// production need two approvers, one of them senior.
const COMMANDS: [&str; 4] = [
    "terraform destroy -auto-approve",
    "terraform apply -auto-approve",
    "kubectl delete namespace payments",
    "terraform state rm aws_db_instance.main",
];
/// Votes acknowledged before the server is killed.
const VOTES_BEFORE_KILL: usize = 40;

/// The `airlock` command with the test's state and nothing from the
/// environment that could point it elsewhere.
fn airlock(state: &State) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_airlock"));
    command
        .current_dir(&state.dir)
        .env_remove("AIRLOCK_CONFIG")
        .env_remove("AIRLOCK_DATA_DIR")
        .env_remove("AIRLOCK_DATABASE_URL")
        .env_remove("AIRLOCK_TENANT")
        .env("AIRLOCK_DATA_DIR", state.data_dir());
    if let Some(url) = &state.database_url {
        command.env("AIRLOCK_DATABASE_URL", url);
    }
    command
}

/// Where the gate keeps its state for one test.
struct State {
    dir: PathBuf,
    database_url: Option<String>,
}

impl State {
    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn store_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir().join("airlock.db").display()),
        }
    }

    /// Runs an `airlock` registry command and returns its JSON output.
    fn admin(&self, args: &[&str]) -> Value {
        let output = airlock(self).args(args).output().expect("run airlock");
        assert!(
            output.status.success(),
            "airlock {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("JSON output")
    }

    /// Opens the store as `airlock serve` does (same checkpoint key and
    /// key name), for checks and for changes made while the server is down.
    async fn open_store(&self) -> SqlStore {
        let key =
            read_signing_key(self.data_dir().join("keys/checkpoints.key")).expect("checkpoint key");
        let options = StoreOptions {
            checkpoint_key: Some(CheckpointKey {
                origin_prefix: "airlock".to_owned(),
                key_name: format!("airlock-checkpoints-{}", key.key_id()),
                key: key.ed25519().clone(),
            }),
            ..StoreOptions::default()
        };
        SqlStore::open_with(&self.store_url(), options)
            .await
            .expect("open the store")
    }
}

/// A running `airlock serve`.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    /// Starts the server on a free loopback port and waits until it serves.
    fn start(state: &State) -> Server {
        let mut child = airlock(state)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn airlock serve");
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = BufReader::new(stderr).lines();
        let base = loop {
            let line = lines
                .next()
                .expect("airlock serve exited before serving")
                .expect("read stderr");
            if let Some(rest) = line.split("serving on ").nth(1) {
                break rest.split_whitespace().next().expect("address").to_owned();
            }
        };
        // Keep draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines.by_ref() {});
        Server { child, base }
    }

    /// SIGKILL: no graceful shutdown, no flush.
    fn kill(mut self) {
        self.child.kill().expect("kill -9");
        self.child.wait().expect("reap");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A blocking HTTP client holding one bearer token.
struct Client {
    agent: ureq::Agent,
    base: String,
    token: String,
}

/// What came back: a status and a JSON body, or no answer at all.
enum Answer {
    Status(u16, Value),
    NoAnswer,
}

impl Client {
    fn new(base: &str, token: &str) -> Client {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(20)))
            .build()
            .into();
        Client {
            agent,
            base: base.to_owned(),
            token: token.to_owned(),
        }
    }

    fn post(&self, path: &str, body: &Value) -> Answer {
        let response = self
            .agent
            .post(&format!("{}{path}", self.base))
            .header("Authorization", &format!("Bearer {}", self.token))
            .send_json(body);
        Self::answer(response)
    }

    fn get(&self, path: &str) -> Answer {
        let response = self
            .agent
            .get(&format!("{}{path}", self.base))
            .header("Authorization", &format!("Bearer {}", self.token))
            .call();
        Self::answer(response)
    }

    /// An answer counts only if its whole body arrived.
    fn answer(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Answer {
        let Ok(mut response) = response else {
            return Answer::NoAnswer;
        };
        let status = response.status().as_u16();
        match response.body_mut().read_to_string() {
            Ok(text) => Answer::Status(status, serde_json::from_str(&text).unwrap_or(Value::Null)),
            Err(_) => Answer::NoAnswer,
        }
    }

    fn ok(&self, answer: Answer, what: &str) -> Value {
        match answer {
            Answer::Status(200, body) => body,
            Answer::Status(status, body) => panic!("{what}: HTTP {status}: {body}"),
            Answer::NoAnswer => panic!("{what}: no answer from {}", self.base),
        }
    }
}

/// A vote the server answered 200 to.
#[derive(Debug, Clone)]
struct AckedVote {
    request: String,
    approver: String,
    kind: VoteKind,
}

/// What the burst's threads share.
struct Burst {
    /// Escalations acknowledged (200, with a request id), in order.
    requests: Mutex<Vec<String>>,
    votes: Mutex<Vec<AckedVote>>,
    acked_votes: AtomicUsize,
    stop: AtomicBool,
}

fn submission(n: usize) -> Value {
    json!({
        "tool": "shell",
        "input": { "command": COMMANDS[n % COMMANDS.len()] },
        "environment": "production",
        "justification": format!("change {n}"),
        "agent": { "name": "crash-test", "model": "none", "version": "1" },
    })
}

/// Submits escalations until told to stop.
fn submit_loop(burst: &Burst, client: &Client, first: usize) {
    let mut n = first;
    while !burst.stop.load(Ordering::SeqCst) {
        if let Answer::Status(200, body) = client.post("/v1/actions", &submission(n)) {
            assert_eq!(body["verdict"], "escalate", "{body}");
            let id = body["approval"]["id"]
                .as_str()
                .expect("request id")
                .to_owned();
            burst.requests.lock().unwrap().push(id);
        }
        n += 2;
    }
}

/// Votes on every acknowledged request once, until told to stop.
fn vote_loop(burst: &Burst, client: &Client, approver: &str) {
    let mut voted = 0;
    while !burst.stop.load(Ordering::SeqCst) {
        let next = burst.requests.lock().unwrap().get(voted).cloned();
        let Some(request) = next else {
            std::thread::sleep(Duration::from_millis(2));
            continue;
        };
        let kind = if approver == "frank" && voted % 5 == 0 {
            VoteKind::Reject
        } else {
            VoteKind::Approve
        };
        let verb = match kind {
            VoteKind::Approve => "approve",
            VoteKind::Reject => "reject",
        };
        let answer = client.post(
            &format!("/v1/approvals/{request}/{verb}"),
            &json!({ "comment": format!("{approver} {verb}s") }),
        );
        match answer {
            Answer::Status(200, _) => {
                burst.votes.lock().unwrap().push(AckedVote {
                    request,
                    approver: approver.to_owned(),
                    kind,
                });
                burst.acked_votes.fetch_add(1, Ordering::SeqCst);
            }
            Answer::Status(status, body) => {
                // Refusals the rules give; anything else is a failure
                // unless the server is going down.
                let slug = body["type"].as_str().unwrap_or_default();
                let expected = [
                    "urn:airlock:problem:operator-cannot-approve",
                    "urn:airlock:problem:not-pending",
                    "urn:airlock:problem:already-voted",
                ];
                assert!(
                    expected.contains(&slug) || burst.stop.load(Ordering::SeqCst),
                    "{approver} {verb} {request}: HTTP {status}: {body}"
                );
            }
            Answer::NoAnswer => {}
        }
        voted += 1;
    }
}

fn register(state: &State) -> (String, BTreeMap<String, String>) {
    state.admin(&["tenants", "add", TENANT, "--format", "json"]);
    let agent = state.admin(&[
        "agents",
        "add",
        AGENT,
        "--operator",
        OPERATOR,
        "--format",
        "json",
    ]);
    let mut approvers = BTreeMap::new();
    for (id, role) in APPROVERS {
        let issued = state.admin(&["approvers", "add", id, "--role", role, "--format", "json"]);
        approvers.insert(id.to_owned(), issued["token"].as_str().unwrap().to_owned());
    }
    (agent["token"].as_str().unwrap().to_owned(), approvers)
}

fn role_of(approver: &str) -> &'static str {
    APPROVERS
        .iter()
        .find(|(id, _)| *id == approver)
        .map(|(_, role)| *role)
        .expect("known approver")
}

fn crash_and_recover(state: &State) {
    let started = Instant::now();
    std::fs::create_dir_all(state.data_dir()).unwrap();
    let (agent_token, approver_tokens) = register(state);
    let server = Server::start(state);
    let agent = Client::new(&server.base, &agent_token);

    // One request the burst leaves alone: while the server is down it gets
    // its completing votes straight in the store, so it is approved with no
    // receipt when the server comes back.
    let reserved = agent.ok(
        agent.post("/v1/actions", &submission(0)),
        "reserved escalation",
    );
    let reserved = reserved["approval"]["id"].as_str().unwrap().to_owned();
    // Allowed and denied actions are answered only once logged.
    let allowed = agent.ok(
        agent.post(
            "/v1/actions",
            &json!({"tool": "shell", "input": {"command": "git status"}}),
        ),
        "allowed action",
    );
    assert_eq!(allowed["verdict"], "allow");
    let denied = agent.ok(
        agent.post(
            "/v1/actions",
            &json!({"tool": "shell", "input": {"command": "rm -rf /"}}),
        ),
        "denied action",
    );
    assert_eq!(denied["verdict"], "deny");

    let burst = Burst {
        requests: Mutex::new(Vec::new()),
        votes: Mutex::new(Vec::new()),
        acked_votes: AtomicUsize::new(0),
        stop: AtomicBool::new(false),
    };
    std::thread::scope(|scope| {
        for first in [1, 2] {
            let client = Client::new(&server.base, &agent_token);
            let burst = &burst;
            scope.spawn(move || submit_loop(burst, &client, first));
        }
        for (approver, token) in &approver_tokens {
            let client = Client::new(&server.base, token);
            let burst = &burst;
            scope.spawn(move || vote_loop(burst, &client, approver));
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while burst.acked_votes.load(Ordering::SeqCst) < VOTES_BEFORE_KILL {
            assert!(Instant::now() < deadline, "the burst made no progress");
            std::thread::sleep(Duration::from_millis(1));
        }
        server.kill();
        burst.stop.store(true, Ordering::SeqCst);
    });
    let acked_requests = burst.requests.into_inner().unwrap();
    let acked_votes = burst.votes.into_inner().unwrap();
    assert!(acked_votes.len() >= VOTES_BEFORE_KILL);

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let tenant_id = TenantId::new(TENANT).unwrap();

    // While the server is down: complete the reserved request in the store.
    runtime.block_on(async {
        let store = state.open_store().await;
        let tenant = store.tenant(&tenant_id);
        for approver in ["bob", "dave"] {
            let outcome = tenant
                .record_approval(
                    &reserved,
                    approver,
                    VoteKind::Approve,
                    None,
                    Timestamp::now(),
                )
                .await
                .unwrap();
            assert_eq!(outcome.approval.approver_id, approver);
        }
        assert_eq!(
            tenant.request(&reserved).await.unwrap().status,
            RequestStatus::Approved
        );
        assert!(tenant
            .receipt_for_request(&reserved)
            .await
            .unwrap()
            .is_none());
        store.close().await;
    });

    let server = Server::start(state);
    let agent = Client::new(&server.base, &agent_token);
    let approvers: HashMap<&str, Client> = approver_tokens
        .iter()
        .map(|(id, token)| (id.as_str(), Client::new(&server.base, token)))
        .collect();

    // Every acknowledged vote is there, exactly once, as the API shows it.
    for vote in &acked_votes {
        let client = &approvers[vote.approver.as_str()];
        let detail = client.ok(
            client.get(&format!("/v1/approvals/{}", vote.request)),
            "request detail",
        );
        let mine: Vec<&Value> = detail["votes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v["approver"] == vote.approver.as_str())
            .collect();
        assert_eq!(mine.len(), 1, "{vote:?}: {detail}");
        let verdict = match vote.kind {
            VoteKind::Approve => "approve",
            VoteKind::Reject => "reject",
        };
        assert_eq!(mine[0]["verdict"], verdict, "{vote:?}");
    }

    runtime.block_on(async {
        let store = state.open_store().await;
        let tenant = store.tenant(&tenant_id);
        let requests = tenant.requests(None).await.unwrap();
        let stored_ids: BTreeSet<&str> = requests.iter().map(|r| r.id.as_str()).collect();
        for id in &acked_requests {
            assert!(
                stored_ids.contains(id.as_str()),
                "acknowledged request {id} lost"
            );
        }
        let mut votes_by_request = HashMap::new();
        let mut approved_without_receipt = Vec::new();
        for request in &requests {
            let approvals = tenant.approvals(&request.id).await.unwrap();
            let voters: BTreeSet<&str> = approvals.iter().map(|a| a.approver_id.as_str()).collect();
            assert_eq!(
                voters.len(),
                approvals.len(),
                "two votes by one approver on {}",
                request.id
            );
            for approval in &approvals {
                assert_ne!(
                    approval.approver_id, OPERATOR,
                    "the operator voted on {}",
                    request.id
                );
                assert_eq!(
                    approval.roles,
                    vec![role_of(&approval.approver_id).to_owned()]
                );
            }
            let votes: Vec<Vote> = approvals
                .iter()
                .map(|a| Vote {
                    approver: a.approver_id.clone(),
                    roles: a.roles.clone(),
                    kind: a.verdict,
                })
                .collect();
            let pending_view = RequestView {
                status: RequestStatus::Pending,
                operator: Some(&request.operator),
                expires_at: request.expires_at.as_datetime().unix_timestamp(),
                requirement: &request.requirement,
            };
            // The stored status is what the stored votes make it.
            let expected = tally(&pending_view, &votes).status;
            assert_eq!(request.status, expected, "request {} status", request.id);
            let receipt = tenant.receipt_for_request(&request.id).await.unwrap();
            if let Some(receipt) = &receipt {
                assert_eq!(
                    request.status,
                    RequestStatus::Approved,
                    "receipt for {}",
                    request.id
                );
                assert_eq!(receipt.request_id, request.id);
            } else if request.status == RequestStatus::Approved {
                approved_without_receipt.push(request.id.clone());
            }
            votes_by_request.insert(request.id.clone(), approvals);
        }
        assert!(approved_without_receipt.contains(&reserved));

        // Approved requests without a receipt get one now, signed by the
        // gate's key, naming exactly the approve votes.
        let mut trusted = TrustedKeys::new();
        trusted
            .insert(
                read_public_key(state.data_dir().join("keys/tenants/default/receipts.pub"))
                    .unwrap(),
            )
            .unwrap();
        for request in requests
            .iter()
            .filter(|r| r.status == RequestStatus::Approved)
        {
            let envelope = agent.ok(
                agent.get(&format!("/v1/approvals/{}/receipt", request.id)),
                "receipt after restart",
            );
            let envelope = serde_json::from_value(envelope).unwrap();
            let now = Timestamp::now().as_datetime();
            let verified = verify_envelope(&envelope, &VerifyOptions::new(&trusted, now))
                .expect("the receipt verifies");
            let predicate = verified.predicate();
            assert_eq!(predicate.action_digest, request.action_digest);
            let mut named: Vec<(String, Vec<String>)> = predicate
                .approvers
                .iter()
                .map(|a| (a.id.clone(), a.roles.clone()))
                .collect();
            let mut approving: Vec<(String, Vec<String>)> = votes_by_request[&request.id]
                .iter()
                .filter(|a| a.verdict == VoteKind::Approve)
                .map(|a| (a.approver_id.clone(), a.roles.clone()))
                .collect();
            named.sort();
            approving.sort();
            assert_eq!(named, approving, "receipt approvers of {}", request.id);
            let stored = tenant
                .receipt_for_request(&request.id)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(stored.id, predicate.receipt_id);
        }

        // The audit log verifies, and holds one entry per stored change.
        let rows = tenant.audit_rows(0..u64::MAX).await.unwrap();
        let checkpoints = tenant.checkpoints().await.unwrap();
        let key = read_signing_key(state.data_dir().join("keys/checkpoints.key")).unwrap();
        let report = verify_log(
            rows.iter().map(Ok::<_, std::convert::Infallible>),
            &checkpoints,
            &key.ed25519().verifying_key(),
        )
        .expect("the audit log verifies after the crash");
        assert_eq!(report.size, rows.len() as u64);
        assert_eq!(tenant.audit_head().await.unwrap().size, report.size);
        let mut entries: HashMap<(String, String, String), usize> = HashMap::new();
        for row in &rows {
            let key = (
                row.entry.kind.as_str().to_owned(),
                row.entry.actor.clone(),
                row.entry.subject.clone(),
            );
            *entries.entry(key).or_default() += 1;
        }
        let count = |kind: EntryKind, actor: &str, subject: &str| {
            entries
                .get(&(
                    kind.as_str().to_owned(),
                    actor.to_owned(),
                    subject.to_owned(),
                ))
                .copied()
                .unwrap_or(0)
        };
        for request in &requests {
            assert_eq!(
                count(EntryKind::Request, AGENT, &request.id),
                1,
                "{}",
                request.id
            );
            for approval in &votes_by_request[&request.id] {
                let kind = match approval.verdict {
                    VoteKind::Approve => EntryKind::Approval,
                    VoteKind::Reject => EntryKind::Rejection,
                };
                assert_eq!(
                    count(kind, &approval.approver_id, &request.id),
                    1,
                    "vote of {} on {}",
                    approval.approver_id,
                    request.id
                );
            }
            if let Some(receipt) = tenant.receipt_for_request(&request.id).await.unwrap() {
                assert_eq!(count(EntryKind::ReceiptIssued, "airlock", &receipt.id), 1);
            }
        }
        let votes_logged = rows
            .iter()
            .filter(|row| matches!(row.entry.kind, EntryKind::Approval | EntryKind::Rejection))
            .count();
        let votes_stored: usize = votes_by_request.values().map(Vec::len).sum();
        assert_eq!(votes_logged, votes_stored);
        let decisions_logged = rows
            .iter()
            .filter(|row| row.entry.kind == EntryKind::Decision)
            .count();
        assert_eq!(decisions_logged, 2, "the allow and the deny");
        eprintln!(
            "{}: {} requests ({} acknowledged), {} votes ({} acknowledged), {} approved without a \
             receipt at restart, {} log entries, {:.1} s",
            match store.backend() {
                airlock_store::Backend::Sqlite => "sqlite",
                airlock_store::Backend::Postgres => "postgres",
            },
            requests.len(),
            acked_requests.len() + 1,
            votes_stored,
            acked_votes.len(),
            approved_without_receipt.len(),
            rows.len(),
            started.elapsed().as_secs_f64()
        );
        store.close().await;
    });
    drop(server);
}

fn temp_state(database_url: Option<String>) -> (tempfile::TempDir, State) {
    let dir = tempfile::tempdir().unwrap();
    let state = State {
        dir: dir.path().to_path_buf(),
        database_url,
    };
    (dir, state)
}

#[test]
fn sqlite_gate_survives_kill_9_mid_burst() {
    let (_dir, state) = temp_state(None);
    crash_and_recover(&state);
}

#[test]
fn postgres_gate_survives_kill_9_mid_burst() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(schema) = runtime.block_on(TestSchema::new("airlock_gate_crash")) else {
        return;
    };
    let (_dir, state) = temp_state(Some(schema.url.clone()));
    let outcome =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| crash_and_recover(&state)));
    runtime.block_on(schema.drop_schema());
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
