//! `airlock verify`: the deploy pipeline's gate. Checks a receipt offline
//! against trusted public keys, the artifact about to be deployed, the
//! target environment, the time and (optionally) a pinned policy version.
//! Exit 0 only when every check holds.

use std::path::PathBuf;

use airlock_keys::TrustedKeys;
use airlock_receipts::{verify, VerifyOptions};
use anyhow::{Context, Result};
use clap::Args;
use serde_json::json;
use time::OffsetDateTime;

use super::{EXIT_ALLOW, EXIT_DENY};
use crate::Format;

/// Verify a receipt before deploying: exit 0 if valid, 2 if refused (with the reason).
#[derive(Debug, Args)]
#[command(after_help = "EXAMPLES:
  airlock verify --receipt receipt.json --subject plan.json --env production --trusted-key airlock.pub
  airlock verify --receipt receipt.json --subject plan.json --env production \\
      --trusted-keys /etc/airlock/keys --policy-version sha256:3f1c…

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
    let outcome = verify(&receipt, &options);
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
        (Format::Json, Err(e)) => println!("{}", json!({"valid": false, "reason": e.to_string()})),
        (Format::Human, Ok(v)) => {
            let p = v.predicate();
            println!(
                "VALID receipt {} signed by {}",
                p.receipt_id,
                v.key_id.as_str()
            );
            println!("  environment {}, expires {}", p.environment, p.expires_at);
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
