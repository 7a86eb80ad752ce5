//! `airlock verify`: the deploy pipeline's gate. Checks a receipt offline
//! against trusted public keys, the artifact about to be deployed, the
//! target environment, the time and (optionally) a pinned policy version.
//! Exit 0 only when every check holds. With a signed revocation list it
//! also refuses revoked receipts, agents and keys; with `--server` it then
//! redeems the receipt online, so it can be used once.

use std::path::PathBuf;

use airlock_keys::TrustedKeys;
use airlock_receipts::{verify, RevocationList, VerifyOptions};
use anyhow::{Context, Result};
use clap::Args;
use serde_json::json;
use time::OffsetDateTime;

use super::client::{Client, Refused};
use super::{EXIT_ALLOW, EXIT_DENY};
use crate::Format;

/// Verify a receipt before deploying: exit 0 if valid, 2 if refused (with the reason).
#[derive(Debug, Args)]
#[command(after_help = "EXAMPLES:
  airlock verify --receipt receipt.json --subject plan.json --env production --trusted-key airlock.pub
  airlock verify --receipt receipt.json --subject plan.json --env production \\
      --trusted-keys /etc/airlock/keys --policy-version sha256:3f1c…
  airlock verify --receipt receipt.json --subject plan.json --env production \\
      --trusted-key airlock.pub --revocations revocations.json --revocations-max-age 1h
  AIRLOCK_TOKEN=alk_… airlock verify --receipt receipt.json --subject plan.json \\
      --env production --trusted-key airlock.pub --server https://airlock.internal

EXIT CODES:
  0 valid, 2 refused (the reason is printed), 1 usage or input error")]
pub struct VerifyArgs {
    /// The receipt (a DSSE envelope, JSON).
    #[arg(long, value_name = "FILE")]
    receipt: PathBuf,
    /// The artifact about to be deployed (plan file, build artifact); its
    /// SHA-256 must be the receipt's subject.
    #[arg(long, value_name = "FILE", required_unless_present = "subject_digest")]
    subject: Option<PathBuf>,
    /// The artifact's digest instead of the file (`sha256:<hex>`, e.g. a commit's tree).
    #[arg(long, value_name = "DIGEST", conflicts_with = "subject")]
    subject_digest: Option<String>,
    /// The environment being deployed to; must match the receipt's.
    #[arg(long, value_name = "ENV")]
    env: String,
    /// A trusted public key file (repeat for key rotation).
    #[arg(long = "trusted-key", value_name = "FILE")]
    trusted_key: Vec<PathBuf>,
    /// A directory of trusted public keys (`*.pub`).
    #[arg(long = "trusted-keys", value_name = "DIR")]
    trusted_keys_dir: Option<PathBuf>,
    /// Require this policy version (`sha256:…`, see `airlock check --format json`).
    #[arg(long, value_name = "VERSION")]
    policy_version: Option<String>,
    /// A signed revocation list (`GET /v1/revocations`), fetched or pinned by
    /// the pipeline: refuses revoked receipts, agents and signing keys.
    #[arg(long, value_name = "FILE")]
    revocations: Option<PathBuf>,
    /// Refuse a revocation list older than this (e.g. 1h).
    #[arg(long, value_name = "DURATION", requires = "revocations", value_parser = super::serve::parse_duration)]
    revocations_max_age: Option<std::time::Duration>,
    /// Also redeem the receipt on this airlock server, so a second use fails
    /// (the token is read from --token-env).
    #[arg(long, value_name = "URL")]
    server: Option<String>,
    /// Environment variable holding the token for --server.
    #[arg(long, default_value = "AIRLOCK_TOKEN", value_name = "VAR")]
    token_env: String,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

pub fn run(args: VerifyArgs) -> Result<u8> {
    let mut trusted = match &args.trusted_keys_dir {
        Some(dir) => TrustedKeys::from_dir(dir)?,
        None => TrustedKeys::new(),
    };
    for key in TrustedKeys::from_files(&args.trusted_key)?.iter() {
        trusted.insert(key.clone())?;
    }
    if trusted.is_empty() {
        anyhow::bail!("no trusted key given: pass --trusted-key FILE or --trusted-keys DIR");
    }
    let receipt = std::fs::read_to_string(&args.receipt)
        .with_context(|| format!("cannot read receipt {}", args.receipt.display()))?;
    let subject_bytes = match &args.subject {
        Some(path) => Some(
            std::fs::read(path)
                .with_context(|| format!("cannot read subject {}", path.display()))?,
        ),
        None => None,
    };
    let mut options =
        VerifyOptions::new(&trusted, OffsetDateTime::now_utc()).with_environment(&args.env);
    options.subject = match (&subject_bytes, &args.subject_digest) {
        (Some(bytes), _) => Some(airlock_receipts::ExpectedSubject::Bytes(bytes)),
        (None, Some(digest)) => Some(airlock_receipts::ExpectedSubject::Sha256(digest)),
        (None, None) => None,
    };
    if let Some(pin) = &args.policy_version {
        options = options.with_policy_version_pin(pin);
    }
    let revocations = match &args.revocations {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read revocation list {}", path.display()))?;
            let max_age = args
                .revocations_max_age
                .map(time::Duration::try_from)
                .transpose()
                .context("--revocations-max-age out of range")?;
            Some(RevocationList::verify(
                &text,
                &trusted,
                OffsetDateTime::now_utc(),
                max_age,
            ))
        }
        None => None,
    };
    let revoked_keys = match &revocations {
        Some(Ok(list)) => list.revoked_keys(),
        _ => Vec::new(),
    };
    options = options.with_revoked_keys(&revoked_keys);
    let outcome = match revocations {
        Some(Err(error)) => Err(error.to_string()),
        Some(Ok(list)) => verify(&receipt, &options)
            .and_then(|verified| list.check(verified.predicate()).map(|()| verified))
            .map_err(|error| error.to_string()),
        None => verify(&receipt, &options).map_err(|error| error.to_string()),
    };
    let outcome = match (outcome, &args.server) {
        (Ok(verified), Some(server)) => {
            redeem(server, &args.token_env, &receipt).map(|()| verified)
        }
        (outcome, _) => outcome,
    };
    let code = if outcome.is_ok() {
        EXIT_ALLOW
    } else {
        EXIT_DENY
    };
    match (args.format, outcome) {
        (Format::Json, Ok(v)) => println!(
            "{}",
            json!({"valid": true, "key_id": v.key_id.as_str(), "predicate": v.predicate()})
        ),
        (Format::Json, Err(e)) => println!("{}", json!({"valid": false, "reason": e})),
        (Format::Human, Ok(v)) => {
            let p = v.predicate();
            println!(
                "VALID receipt {} signed by {}",
                p.receipt_id,
                v.key_id.as_str()
            );
            println!("  environment {}, expires {}", p.environment, p.expires_at);
            if args.server.is_some() {
                println!("  redeemed on the server: it cannot be used again");
            }
            println!(
                "  approved by {}",
                p.approvers
                    .iter()
                    .map(|a| a.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        (Format::Human, Err(e)) => println!("REFUSED: {e}"),
    }
    Ok(code)
}

/// Redeems the receipt on the server. A refusal (replayed, revoked,
/// expired) is the reason the receipt is refused; an unreachable server is
/// an error, never a pass.
fn redeem(server: &str, token_env: &str, receipt: &str) -> Result<(), String> {
    let token = std::env::var(token_env)
        .map_err(|_| format!("cannot redeem online: ${token_env} holds no token"))?;
    let envelope: serde_json::Value =
        serde_json::from_str(receipt).map_err(|error| format!("malformed envelope: {error}"))?;
    let client = Client::with_token(server, token);
    match client.post::<serde_json::Value>("/v1/receipts/redeem", &json!({ "envelope": envelope }))
    {
        Ok(_) => Ok(()),
        Err(error) => match error.downcast_ref::<Refused>() {
            Some(Refused(problem)) => Err(format!("{} ({})", problem.detail, problem.slug())),
            None => Err(format!("could not redeem online: {error:#}")),
        },
    }
}
