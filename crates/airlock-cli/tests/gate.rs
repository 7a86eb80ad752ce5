//! The gate from the command line: `airlock demo` on SQLite and PostgreSQL
//! (every step of the incident replay), and a real `airlock serve` process
//! driven by the registry commands, `airlock approvals` and `airlock verify`
//! with online redemption and a signed revocation list.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use airlock_store::testing::TestSchema;
use serde_json::{json, Value};

fn airlock(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_airlock"));
    command
        .args(args)
        .env_remove("AIRLOCK_CONFIG")
        .env_remove("AIRLOCK_DATA_DIR")
        .env_remove("AIRLOCK_DATABASE_URL")
        .env_remove("AIRLOCK_TOKEN")
        .env_remove("AIRLOCK_SERVER");
    for (key, value) in envs {
        command.env(key, value);
    }
    command.output().expect("run airlock")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Runs the demo and checks every one of its steps.
fn assert_demo_passes(extra: &[&str]) {
    let mut args = vec!["demo", "--format", "json"];
    args.extend_from_slice(extra);
    let output = airlock(&args, &[]);
    let text = stdout(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{text}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let steps: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per step"))
        .collect();
    let expected = [
        ("submits `terraform apply`", "escalate"),
        ("before anyone approved", "not-approved"),
        ("carol (sre) approves", "still needs"),
        ("the operator", "operator-cannot-approve"),
        ("bob (senior) approves", "approved; receipt"),
        ("airlock verify", "VALID"),
        ("plan is changed", "subject digest mismatch"),
        ("two hours later", "expired"),
        ("presented again", "receipt-replayed"),
    ];
    assert_eq!(steps.len(), expected.len(), "{text}");
    for (step, (title, outcome)) in steps.iter().zip(expected) {
        assert_eq!(step["passed"], true, "{step}");
        assert!(
            step["title"].as_str().expect("title").contains(title),
            "{step}"
        );
        assert!(
            step["outcome"].as_str().expect("outcome").contains(outcome),
            "{step}"
        );
    }
}

#[test]
fn demo_replays_the_incident_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let keep = dir.path().join("state");
    assert_demo_passes(&["--keep", keep.to_str().expect("utf-8 path")]);
    assert!(keep.join("airlock.db").exists());
    assert!(keep.join("receipt.json").exists());
}

#[test]
fn demo_replays_the_incident_on_postgres() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let Some(schema) = runtime.block_on(TestSchema::new("airlock_demo")) else {
        return;
    };
    assert_demo_passes(&["--database-url", &schema.url]);
    runtime.block_on(schema.drop_schema());
}

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(data_dir: &Path) -> Server {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("free port")
        .port();
    let address = format!("127.0.0.1:{port}");
    let child = Command::new(env!("CARGO_BIN_EXE_airlock"))
        .args(["serve", "--listen", &address, "--data-dir"])
        .arg(data_dir)
        .env_remove("AIRLOCK_CONFIG")
        .env_remove("AIRLOCK_DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start airlock serve");
    let url = format!("http://{address}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(&address).is_err() {
        assert!(Instant::now() < deadline, "airlock serve did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Server { child, url }
}

fn register(data_dir: &str, args: &[&str]) -> String {
    let mut all = args.to_vec();
    all.extend_from_slice(&["--data-dir", data_dir, "--format", "json"]);
    let output = airlock(&all, &[]);
    assert!(output.status.success(), "{args:?}: {output:?}");
    let answer: Value = serde_json::from_str(&stdout(&output)).expect("json");
    answer["token"].as_str().expect("token").to_owned()
}

fn post(url: &str, token: &str, body: &Value) -> Value {
    let mut response = ureq::post(url)
        .header("Authorization", &format!("Bearer {token}"))
        .send_json(body)
        .expect("post");
    response.body_mut().read_json().expect("json answer")
}

#[test]
fn approvals_and_verify_against_a_running_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let data_dir = data.to_str().expect("utf-8 path");
    let output = airlock(&["tenants", "add", "default", "--data-dir", data_dir], &[]);
    assert!(output.status.success(), "{output:?}");
    let agent = register(data_dir, &["agents", "add", "bot", "--operator", "alice"]);
    let bob = register(data_dir, &["approvers", "add", "bob", "--role", "senior"]);
    let carol = register(data_dir, &["approvers", "add", "carol", "--role", "sre"]);
    assert!(agent.starts_with("alk_") && bob != carol);
    // Tokens are stored hashed: the database never holds them.
    let db = std::fs::read(data.join("airlock.db")).expect("db");
    let db_text = String::from_utf8_lossy(&db);
    assert!(!db_text.contains(&agent[4..]) && !db_text.contains(&bob[4..]));
    let server = serve(&data);
    // The tenant's receipt key is published at start, before any receipt,
    // so a pipeline can pin it first.
    assert!(data.join("keys/tenants/default/receipts.pub").is_file());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.join("keys/checkpoints.key"))
            .expect("checkpoint key")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let plan = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/terraform/plan-replace-production.json"),
    )
    .expect("plan fixture");
    let answer = post(
        &format!("{}/v1/actions", server.url),
        &agent,
        &json!({"tool": "terraform_plan", "input": {"plan_json": plan, "path": "plan.json"}}),
    );
    assert_eq!(answer["verdict"], "escalate", "{answer}");
    let id = answer["approval"]["id"].as_str().expect("id").to_owned();

    let as_bob = [
        ("AIRLOCK_SERVER", server.url.as_str()),
        ("AIRLOCK_TOKEN", bob.as_str()),
    ];
    let as_carol = [
        ("AIRLOCK_SERVER", server.url.as_str()),
        ("AIRLOCK_TOKEN", carol.as_str()),
    ];
    let listed = airlock(&["approvals", "list"], &as_bob);
    assert!(stdout(&listed).contains(&id), "{listed:?}");
    let shown = stdout(&airlock(&["approvals", "show", &id], &as_bob));
    assert!(
        shown.contains("terraform_data.cost_explorer_production"),
        "{shown}"
    );
    assert!(shown.contains("replace (delete then create)"), "{shown}");
    let first = airlock(&["approvals", "approve", &id, "--comment", "ok"], &as_carol);
    assert!(stdout(&first).contains("still needs"), "{first:?}");
    let again = airlock(&["approvals", "approve", &id], &as_carol);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already-voted"));
    let second = airlock(&["approvals", "approve", &id], &as_bob);
    assert!(stdout(&second).contains("approved; receipt"), "{second:?}");
    let receipt = dir.path().join("receipt.json");
    let fetched = airlock(
        &[
            "approvals",
            "receipt",
            &id,
            "-o",
            receipt.to_str().expect("path"),
        ],
        &as_bob,
    );
    assert!(fetched.status.success(), "{fetched:?}");

    let plan_path = dir.path().join("plan.json");
    std::fs::write(&plan_path, &plan).expect("plan");
    let public_key = data.join("keys/tenants/default/receipts.pub");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.join("keys/tenants/default/receipts.key"))
            .expect("the tenant's receipt key")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let offline_args = [
        "verify",
        "--receipt",
        receipt.to_str().expect("path"),
        "--subject",
        plan_path.to_str().expect("path"),
        "--env",
        "production",
        "--trusted-key",
        public_key.to_str().expect("path"),
    ];
    let verify_args = [&offline_args[..], &["--server", &server.url]].concat();
    let pipeline = [("AIRLOCK_TOKEN", agent.as_str())];
    let first_use = airlock(&verify_args, &pipeline);
    assert_eq!(first_use.status.code(), Some(0), "{first_use:?}");
    let replay = airlock(&verify_args, &pipeline);
    assert_eq!(replay.status.code(), Some(2), "{replay:?}");
    assert!(stdout(&replay).contains("receipt-replayed"), "{replay:?}");

    // After a revocation, offline verification with the signed list refuses
    // the agent's receipts.
    let revoked = airlock(&["agents", "revoke", "bot", "--data-dir", data_dir], &[]);
    assert!(revoked.status.success(), "{revoked:?}");
    let mut response = ureq::get(&format!("{}/v1/revocations", server.url))
        .header("Authorization", &format!("Bearer {bob}"))
        .call()
        .expect("revocations");
    let list: Value = response.body_mut().read_json().expect("list");
    let list_path = dir.path().join("revocations.json");
    std::fs::write(&list_path, list.to_string()).expect("list");
    let with_list = [
        &offline_args[..],
        &[
            "--revocations",
            list_path.to_str().expect("path"),
            "--revocations-max-age",
            "1h",
        ],
    ]
    .concat();
    let offline = airlock(&with_list, &[]);
    assert_eq!(offline.status.code(), Some(2), "{offline:?}");
    assert!(
        stdout(&offline).contains("agent bot was revoked"),
        "{offline:?}"
    );
    let shown = stdout(&airlock(
        &["agents", "show", "bot", "--data-dir", data_dir],
        &[],
    ));
    assert!(shown.contains("revoked"), "{shown}");

    // Every step is in the audit log, which verifies.
    let exported = airlock(
        &[
            "audit",
            "export",
            "--format",
            "jsonl",
            "--data-dir",
            data_dir,
        ],
        &[],
    );
    let kinds: Vec<String> = stdout(&exported)
        .lines()
        .map(|line| {
            let entry: Value = serde_json::from_str(line).expect("jsonl");
            entry["entry"]["kind"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    for kind in [
        "policy_change",
        "request",
        "approval",
        "receipt_issued",
        "receipt_redeemed",
        "revocation",
    ] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} missing: {kinds:?}");
    }
    let verified = airlock(&["audit", "verify", "--data-dir", data_dir], &[]);
    assert_eq!(verified.status.code(), Some(0), "{verified:?}");
}

fn hook(payload: &str, cwd: &Path, token: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_airlock"))
        .args(["hook", "claude"])
        .current_dir(cwd)
        .env_remove("AIRLOCK_CONFIG")
        .env("AIRLOCK_AGENT_TOKEN", token)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn hook");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(payload.as_bytes())
        .expect("payload");
    child.wait_with_output().expect("hook output")
}

fn answer(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|_| panic!("{output:?}"))
}

fn claude_bash(command: &str, cwd: &Path) -> String {
    json!({
        "session_id": "s", "cwd": cwd, "hook_event_name": "PreToolUse",
        "tool_name": "Bash", "tool_input": {"command": command}, "tool_use_id": "t"
    })
    .to_string()
}

#[test]
fn hooks_ask_the_gate_when_the_project_names_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let data_dir = data.to_str().expect("utf-8 path");
    assert!(
        airlock(&["tenants", "add", "default", "--data-dir", data_dir], &[])
            .status
            .success()
    );
    let agent = register(
        data_dir,
        &["agents", "add", "claude", "--operator", "alice"],
    );
    let bob = register(data_dir, &["approvers", "add", "bob", "--role", "senior"]);
    let server = serve(&data);
    let project = dir.path().join("project");
    std::fs::create_dir_all(&project).expect("project");
    std::fs::write(
        project.join("airlock.toml"),
        format!("[server]\nurl = \"{}\"\n", server.url),
    )
    .expect("config");

    let allowed = answer(&hook(
        &claude_bash("git status", &project),
        &project,
        &agent,
    ));
    assert_eq!(
        allowed["hookSpecificOutput"]["permissionDecision"], "allow",
        "{allowed}"
    );
    let held = answer(&hook(
        &claude_bash("git push --force origin main", &project),
        &project,
        &agent,
    ));
    let reason = held["hookSpecificOutput"]["permissionDecisionReason"]
        .as_str()
        .expect("reason");
    assert_ne!(held["hookSpecificOutput"]["permissionDecision"], "allow");
    assert!(reason.contains("waiting as request req_"), "{held}");
    // The escalation is held in the gate for approvers, named by the agent.
    let mut response = ureq::get(&format!("{}/v1/approvals?status=pending", server.url))
        .header("Authorization", &format!("Bearer {bob}"))
        .call()
        .expect("list");
    let pending: Value = response.body_mut().read_json().expect("json");
    assert_eq!(pending.as_array().map(Vec::len), Some(1), "{pending}");
    assert_eq!(pending[0]["agent"], "claude");

    // A bad token, or no server, blocks (Claude Code's blocking exit code 2).
    let refused = hook(&claude_bash("git status", &project), &project, "alk_wrong");
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("unauthenticated"));
    drop(server);
    let unreachable = hook(&claude_bash("git status", &project), &project, &agent);
    assert_eq!(unreachable.status.code(), Some(2), "{unreachable:?}");
    assert!(String::from_utf8_lossy(&unreachable.stderr).contains("did not decide"));
}
