//! `airlock keys generate` and `airlock verify` as a pipeline runs them:
//! key files with safe modes, and a receipt accepted only for the exact
//! plan, environment, time window, key and policy version it was issued for.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use airlock_keys::read_signing_key;
use airlock_receipts::{issue, Approver, ReceiptRequest, Subject};
use time::{Duration, OffsetDateTime};

fn airlock(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_airlock"))
        .args(args)
        .output()
        .expect("run airlock")
}

fn generate(dir: &Path, name: &str) {
    let out = airlock(&[
        "keys",
        "generate",
        "--dir",
        &dir.display().to_string(),
        "--name",
        name,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Setup {
        let dir = tempfile::tempdir().expect("tempdir");
        generate(dir.path(), "signing");
        std::fs::write(dir.path().join("plan.json"), br#"{"format_version":"1.2"}"#).expect("plan");
        Setup { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    fn write_receipt(
        &self,
        name: &str,
        plan: &[u8],
        env: &str,
        issued: OffsetDateTime,
        ttl: Duration,
    ) {
        let key = read_signing_key(self.dir.path().join("signing.key")).expect("key");
        let request = ReceiptRequest {
            subject: Subject::for_bytes("plan.json", plan),
            action_digest: "sha256:".to_string() + &"ab".repeat(32),
            environment: env.to_string(),
            tenant: "default".to_string(),
            agent: "deploy-bot".to_string(),
            operator: "olivia".to_string(),
            approvers: vec![
                Approver {
                    id: "sam".into(),
                    roles: vec!["senior".into()],
                },
                Approver {
                    id: "ann".into(),
                    roles: vec!["sre".into()],
                },
            ],
            policy_version: "sha256:policy-v1".to_string(),
            receipt_id: None,
            plan_digest: None,
            commit: None,
        };
        let envelope = issue(&request, &key, issued, ttl).expect("issue");
        std::fs::write(self.dir.path().join(name), envelope.to_json()).expect("write receipt");
    }

    fn verify(&self, receipt: &str, extra: &[&str]) -> Output {
        let mut args = vec![
            "verify".to_string(),
            "--receipt".into(),
            self.path(receipt),
            "--subject".into(),
            self.path("plan.json"),
            "--trusted-key".into(),
            self.path("signing.pub"),
        ];
        if !extra.contains(&"--env") {
            args.extend(["--env".to_string(), "production".to_string()]);
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        airlock(&refs)
    }
}

fn plan() -> Vec<u8> {
    br#"{"format_version":"1.2"}"#.to_vec()
}

#[test]
fn key_files_are_private_and_never_overwritten() {
    let s = Setup::new();
    let secret = std::fs::metadata(s.dir.path().join("signing.key")).expect("key");
    assert_eq!(secret.permissions().mode() & 0o777, 0o600);
    let public = std::fs::metadata(s.dir.path().join("signing.pub")).expect("pub");
    assert_eq!(public.permissions().mode() & 0o777, 0o644);
    let again = airlock(&[
        "keys",
        "generate",
        "--dir",
        &s.path(""),
        "--name",
        "signing",
    ]);
    assert_eq!(again.status.code(), Some(1));
}

#[test]
fn a_valid_receipt_passes_and_names_its_approvers() {
    let s = Setup::new();
    s.write_receipt(
        "r.json",
        &plan(),
        "production",
        OffsetDateTime::now_utc(),
        Duration::hours(1),
    );
    let out = s.verify("r.json", &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("VALID") && text.contains("sam"), "{text}");
}

#[test]
fn every_failure_is_refused_with_its_reason() {
    let s = Setup::new();
    let now = OffsetDateTime::now_utc();
    s.write_receipt("ok.json", &plan(), "production", now, Duration::hours(1));
    s.write_receipt("staging.json", &plan(), "staging", now, Duration::hours(1));
    s.write_receipt(
        "old.json",
        &plan(),
        "production",
        now - Duration::hours(3),
        Duration::hours(1),
    );
    s.write_receipt(
        "other-plan.json",
        b"{\"replaced\": true}",
        "production",
        now,
        Duration::hours(1),
    );
    generate(s.dir.path(), "other");
    let cases: [(&str, Vec<&str>, &str); 5] = [
        ("staging.json", vec![], "environment mismatch"),
        ("old.json", vec![], "expired"),
        ("other-plan.json", vec![], "subject digest mismatch"),
        (
            "ok.json",
            vec!["--policy-version", "sha256:policy-v2"],
            "policy version mismatch",
        ),
        ("ok.json", vec!["--env", "staging"], "environment mismatch"),
    ];
    for (receipt, extra, reason) in cases {
        let out = s.verify(receipt, &extra);
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(2), "{receipt} {extra:?}: {text}");
        assert!(text.contains(reason), "{receipt} {extra:?}: {text}");
    }
    // A receipt checked against a key that did not sign it.
    let out = airlock(&[
        "verify",
        "--receipt",
        &s.path("ok.json"),
        "--subject",
        &s.path("plan.json"),
        "--env",
        "production",
        "--trusted-key",
        &s.path("other.pub"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("untrusted key"));
}

#[test]
fn an_edited_receipt_is_refused() {
    let s = Setup::new();
    s.write_receipt(
        "r.json",
        &plan(),
        "production",
        OffsetDateTime::now_utc(),
        Duration::hours(1),
    );
    let text = std::fs::read_to_string(s.dir.path().join("r.json")).expect("read");
    let mut envelope: serde_json::Value = serde_json::from_str(&text).expect("json");
    let payload = envelope["payload"].as_str().expect("payload").to_string();
    use base64::Engine as _;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(payload)
        .expect("base64");
    let edited = String::from_utf8(decoded)
        .expect("utf8")
        .replace("production", "productioN");
    envelope["payload"] = base64::engine::general_purpose::STANDARD
        .encode(edited.as_bytes())
        .into();
    std::fs::write(s.dir.path().join("edited.json"), envelope.to_string()).expect("write");
    let out = s.verify("edited.json", &["--env", "productioN"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("payload altered"), "{text}");
}

#[test]
fn unreadable_inputs_are_usage_errors() {
    let s = Setup::new();
    let out = s.verify("missing.json", &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.json"));
}
