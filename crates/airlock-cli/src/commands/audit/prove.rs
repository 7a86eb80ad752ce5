//! `airlock audit prove`: an RFC 9162 inclusion proof of one entry against
//! the latest signed checkpoint (or a given tree size), as a self-contained
//! JSON document; and `--verify FILE`, its offline check (no store needed).

use std::path::PathBuf;

use airlock_audit::{verify_inclusion, AuditEntry, Checkpoint, Hash};
use airlock_store::{Store, StoreError, TenantStore};
use anyhow::{Context, Result};
use clap::Args;
use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};

use super::{hex, parse_hex_hash, CheckpointKeyArg, EXIT_VERIFY_FAILED};
use crate::commands::state::StateArgs;
use crate::Format;

/// The `format` member of a proof document.
const PROOF_FORMAT: &str = "airlock-inclusion-proof/v1";

/// Prove that an entry is in the log, or check such a proof offline.
///
/// The proof (JSON) holds the entry, its leaf hash, the audit path, the
/// tree size and root, and the signed checkpoint for that size; anyone with
/// the log's public key can check it without the store. The proof is
/// checked before it is printed.
#[derive(Debug, Args)]
#[command(after_help = "EXAMPLES:
  airlock audit prove --index 41 > proof.json         # against the latest checkpoint
  airlock audit prove --index 41 --size 512
  airlock audit prove --verify proof.json --key checkpoints.pub

EXIT CODES:
  0 proof made (and checked) or proof valid, 4 the proof does not hold, 1 error")]
pub struct ProveArgs {
    /// The entry to prove.
    #[arg(long, value_name = "N", required_unless_present = "verify")]
    index: Option<u64>,

    /// Prove against the tree of the first S entries instead of the latest
    /// checkpoint; its signed checkpoint is included when there is one.
    #[arg(long, value_name = "S", requires = "index")]
    size: Option<u64>,

    /// Check the proof in FILE (`-` for stdin) instead of making one.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["index", "size"])]
    verify: Option<PathBuf>,

    #[command(flatten)]
    key: CheckpointKeyArg,

    /// Output: the proof or the check's result (human) or JSON.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,
}

/// A self-contained inclusion proof.
#[derive(Debug, Serialize, Deserialize)]
struct ProofDocument {
    format: String,
    /// The log's checkpoint origin (`airlock/<tenant>`).
    log: String,
    index: u64,
    tree_size: u64,
    entry: AuditEntry,
    leaf_hash: String,
    /// Sibling hashes from the leaf up (RFC 9162 `PATH`).
    proof: Vec<String>,
    root: String,
    /// The signed checkpoint note of `tree_size`, when one was signed.
    checkpoint: Option<String>,
}

pub async fn run(state: &StateArgs, args: ProveArgs) -> Result<u8> {
    match (&args.verify, args.index) {
        (Some(path), _) => verify_file(state, &args, path.clone()),
        (None, Some(index)) => prove(state, &args, index).await,
        (None, None) => anyhow::bail!("give --index N or --verify FILE"),
    }
}

async fn prove(state: &StateArgs, args: &ProveArgs, index: u64) -> Result<u8> {
    let key = args.key.load(state)?;
    let tenant = state.tenant_id()?;
    let store = state.open_existing_store().await?;
    let log = store.tenant_store(&tenant);
    let checkpoints = log
        .checkpoints()
        .await
        .context("cannot read the checkpoints")?;
    let (size, checkpoint) = match args.size {
        Some(size) => (
            size,
            checkpoints
                .into_iter()
                .find(|checkpoint| checkpoint.size == size),
        ),
        None => {
            let latest = checkpoints.into_iter().next_back().with_context(|| {
                format!(
                    "tenant {tenant}'s log has no signed checkpoint yet: give --size, or sign one with `airlock audit checkpoints --sign-now`"
                )
            })?;
            (latest.size, Some(latest))
        }
    };
    if index >= size {
        anyhow::bail!("entry {index} is not in a tree of {size} entries");
    }
    let row = log
        .audit_rows(index..index + 1)
        .await
        .with_context(|| format!("cannot read entry {index}"))?
        .pop()
        .with_context(|| format!("entry {index} is missing from the log"))?;
    let proof = match log.inclusion_proof(index, size).await {
        Ok(proof) => proof,
        Err(StoreError::InvalidInput(reason)) => anyhow::bail!("{reason}"),
        Err(error) => return Err(error).context("cannot build the proof"),
    };
    let root = match &checkpoint {
        Some(checkpoint) => checkpoint.root,
        None => {
            log.audit_rows(size - 1..size)
                .await
                .with_context(|| format!("cannot read entry {}", size - 1))?
                .pop()
                .with_context(|| format!("entry {} is missing from the log", size - 1))?
                .root_after
        }
    };
    store.close().await;
    let document = ProofDocument {
        format: PROOF_FORMAT.to_owned(),
        log: super::log_origin(&tenant),
        index,
        tree_size: size,
        leaf_hash: hex(&row.leaf_hash),
        entry: row.entry,
        proof: proof.iter().map(hex).collect(),
        root: hex(&root),
        checkpoint: checkpoint.as_ref().map(Checkpoint::to_string),
    };
    let check = check_document(&document, &key);
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&document)?),
        Format::Human => print!("{}", human(&document, &check)),
    }
    if let Err(problem) = &check {
        if !problem.unsigned_only {
            eprintln!("airlock: the proof does not hold: {}", problem.message);
            return Ok(EXIT_VERIFY_FAILED);
        }
        eprintln!("airlock: note: {}", problem.message);
    }
    Ok(0)
}

fn verify_file(state: &StateArgs, args: &ProveArgs, path: PathBuf) -> Result<u8> {
    let text = if path.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).context("cannot read the proof from stdin")?
    } else {
        std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?
    };
    let document: ProofDocument = match serde_json::from_str(&text) {
        Ok(document) => document,
        Err(error) => {
            return report_check(
                args.format,
                None,
                &Err(Problem::new(format!("not a proof document: {error}"))),
            )
        }
    };
    let key = args.key.load(state)?;
    let check = check_document(&document, &key);
    report_check(args.format, Some(&document), &check)
}

fn report_check(
    format: Format,
    document: Option<&ProofDocument>,
    check: &std::result::Result<(), Problem>,
) -> Result<u8> {
    let valid = check.is_ok();
    match format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "valid": valid,
                "log": document.map(|document| &document.log),
                "index": document.map(|document| document.index),
                "tree_size": document.map(|document| document.tree_size),
                "problem": check.as_ref().err().map(|problem| &problem.message),
            }))?
        ),
        Format::Human => match (check, document) {
            (Ok(()), Some(document)) => println!(
                "valid: entry {} is in {} at tree size {} (root {}), signed checkpoint verified",
                document.index, document.log, document.tree_size, document.root
            ),
            (Ok(()), None) => println!("valid"),
            (Err(problem), _) => println!("INVALID: {}", problem.message),
        },
    }
    Ok(if valid { 0 } else { EXIT_VERIFY_FAILED })
}

/// Why a proof does not hold.
#[derive(Debug)]
struct Problem {
    message: String,
    /// Everything holds except that no signed checkpoint covers the size.
    unsigned_only: bool,
}

impl Problem {
    fn new(message: impl Into<String>) -> Self {
        Problem {
            message: message.into(),
            unsigned_only: false,
        }
    }
}

/// Every check a holder of the public key can make: the leaf hash is that
/// of the entry's canonical bytes, the path leads to the root, and the root
/// is the one the log key signed for that size and log.
fn check_document(
    document: &ProofDocument,
    key: &VerifyingKey,
) -> std::result::Result<(), Problem> {
    if document.format != PROOF_FORMAT {
        return Err(Problem::new(format!(
            "unknown proof format {:?}",
            document.format
        )));
    }
    let parse = |what: &str, text: &str| -> std::result::Result<Hash, Problem> {
        parse_hex_hash(text)
            .ok_or_else(|| Problem::new(format!("{what} is not a 64-digit hex hash")))
    };
    let leaf = parse("leaf_hash", &document.leaf_hash)?;
    let root = parse("root", &document.root)?;
    let path = document
        .proof
        .iter()
        .map(|sibling| parse("a proof hash", sibling))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    if document.entry.index != document.index {
        return Err(Problem::new(format!(
            "the entry is number {}, not {}",
            document.entry.index, document.index
        )));
    }
    if document.entry.leaf_hash() != leaf {
        return Err(Problem::new(
            "leaf_hash is not the hash of the entry's canonical bytes",
        ));
    }
    verify_inclusion(&leaf, document.index, document.tree_size, &path, &root).map_err(|error| {
        Problem::new(format!(
            "the audit path does not lead from the entry to the root: {error}"
        ))
    })?;
    let Some(note) = &document.checkpoint else {
        return Err(Problem {
            message: format!(
                "no signed checkpoint covers tree size {}: the root is the store's own, not signed",
                document.tree_size
            ),
            unsigned_only: true,
        });
    };
    let checkpoint = Checkpoint::parse(note)
        .map_err(|error| Problem::new(format!("the checkpoint does not parse: {error}")))?;
    checkpoint.verify(key).map_err(|error| {
        Problem::new(format!(
            "the checkpoint is not signed by the log key: {error}"
        ))
    })?;
    if checkpoint.origin != document.log {
        return Err(Problem::new(format!(
            "the checkpoint is for log {:?}, not {:?}",
            checkpoint.origin, document.log
        )));
    }
    if checkpoint.size != document.tree_size || checkpoint.root != root {
        return Err(Problem::new(
            "the checkpoint signs another tree size or root than the proof's",
        ));
    }
    Ok(())
}

fn human(document: &ProofDocument, check: &std::result::Result<(), Problem>) -> String {
    let mut text = format!(
        "entry {} of {} ({} by {} on {}), tree size {}\nleaf hash {}\nroot      {}\naudit path ({} hashes):\n",
        document.index,
        document.log,
        document.entry.kind,
        document.entry.actor,
        document.entry.subject,
        document.tree_size,
        document.leaf_hash,
        document.root,
        document.proof.len()
    );
    for sibling in &document.proof {
        text.push_str(&format!("  {sibling}\n"));
    }
    match check {
        Ok(()) => text.push_str("checked: valid against the signed checkpoint\n"),
        Err(problem) => text.push_str(&format!("checked: {}\n", problem.message)),
    }
    text
}
