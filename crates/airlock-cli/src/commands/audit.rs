//! `airlock audit`: the audit log from the operator's side. Verify it end to
//! end (rows, Merkle tree, signed checkpoints, head, a witness's kept
//! checkpoints), prove one entry's inclusion, export it for a SIEM, follow
//! it, and hand its signed checkpoints to a witness. The subcommands live
//! in the modules below; this one holds the arguments they share.

mod export;
mod prove;
mod verify;
mod witness;

use std::path::{Path, PathBuf};

use airlock_audit::{AuditEntry, Hash};
use airlock_keys::read_public_key;
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use ed25519_dalek::VerifyingKey;

use super::state::{self, StateArgs, CHECKPOINT_ORIGIN};
use airlock_store::TenantId;

/// Exit code of every `airlock audit` command whose check found the log,
/// a proof or a kept checkpoint not as it must be.
pub const EXIT_VERIFY_FAILED: u8 = 4;

/// Rows fetched per database round trip when streaming the log.
const PAGE_ROWS: u32 = 8192;

/// Verify, prove, export and follow the tamper-evident audit log.
///
/// Every state change airlock makes is an entry of its tenant's log: a leaf
/// of an RFC 9162 Merkle tree whose root is signed in checkpoints (see
/// docs/audit-log.md). These commands read the server's state (the SQLite
/// file under --data-dir, or --database-url) and check checkpoints with the
/// public half of the checkpoint key (<data-dir>/keys/checkpoints.pub, or
/// --key FILE).
#[derive(Debug, Args)]
#[command(after_help = "EXAMPLES:
  airlock audit verify                             # the default tenant's whole log
  airlock audit verify --all-tenants --format json
  airlock audit verify --key /etc/airlock/checkpoints.pub --database-url postgres://airlock@db/airlock
  airlock audit checkpoints --out-dir /srv/witness/acme --tenant acme
  airlock audit verify --witness-dir /srv/witness/acme --tenant acme
  airlock audit prove --index 41 > proof.json
  airlock audit prove --verify proof.json --key checkpoints.pub
  airlock audit export --format jsonl --since 2025-06-01T00:00:00Z > audit.jsonl
  airlock audit tail -n 20 --follow

EXIT CODES:
  0 the check holds (or the command did its work)
  1 usage, input or database error (nothing was judged)
  4 verification failed: the log, a proof or a kept checkpoint does not hold;
    the message names the first bad entry and what is wrong")]
pub struct AuditArgs {
    #[command(flatten)]
    state: StateArgs,

    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    Verify(verify::VerifyArgs),
    Prove(prove::ProveArgs),
    Export(export::ExportArgs),
    Tail(export::TailArgs),
    Checkpoints(witness::CheckpointsArgs),
}

pub fn run(args: AuditArgs) -> Result<u8> {
    let runtime = state::runtime()?;
    let state = args.state;
    match args.command {
        AuditCommand::Verify(command) => runtime.block_on(verify::run(&state, command)),
        AuditCommand::Prove(command) => runtime.block_on(prove::run(&state, command)),
        AuditCommand::Export(command) => runtime.block_on(export::run_export(&state, command)),
        AuditCommand::Tail(command) => runtime.block_on(export::run_tail(&state, command)),
        AuditCommand::Checkpoints(command) => runtime.block_on(witness::run(&state, command)),
    }
}

/// `--key`: the public key that signs checkpoints.
#[derive(Debug, Clone, Args)]
struct CheckpointKeyArg {
    /// Public key that signs the log's checkpoints (an `airlock keys`
    /// `.pub` file). Default: <data-dir>/keys/checkpoints.pub. Give the copy
    /// you keep apart from the server to verify independently of it.
    #[arg(long = "key", value_name = "FILE")]
    key: Option<PathBuf>,
}

impl CheckpointKeyArg {
    /// The verifying key, from `--key` or the data directory; never created.
    fn load(&self, state: &StateArgs) -> Result<VerifyingKey> {
        let path = match &self.key {
            Some(path) => path.clone(),
            None => {
                let path = state.checkpoint_public_key_path();
                if !path.exists() {
                    anyhow::bail!(
                        "no checkpoint key at {}: give the log's public key with --key FILE",
                        path.display()
                    );
                }
                path
            }
        };
        verifying_key(&path)
    }
}

fn verifying_key(path: &Path) -> Result<VerifyingKey> {
    let public = read_public_key(path)
        .with_context(|| format!("cannot read the checkpoint key {}", path.display()))?;
    VerifyingKey::from_bytes(&public.to_bytes())
        .with_context(|| format!("{} is not a usable Ed25519 public key", path.display()))
}

/// The origin line of `tenant`'s checkpoints.
fn log_origin(tenant: &TenantId) -> String {
    format!("{CHECKPOINT_ORIGIN}/{tenant}")
}

fn hex(hash: &Hash) -> String {
    hex::encode(hash)
}

/// A hash written as 64 hex digits.
fn parse_hex_hash(text: &str) -> Option<Hash> {
    let mut hash = [0u8; 32];
    hex::decode_to_slice(text, &mut hash).ok()?;
    Some(hash)
}

/// One exported line: index, leaf hash, and the entry as its exact
/// canonical leaf bytes (so `SHA-256(0x00 ‖ entry)` is the leaf hash).
fn entry_line(entry: &AuditEntry, leaf_hash: &Hash, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"index\":");
    out.extend_from_slice(entry.index.to_string().as_bytes());
    out.extend_from_slice(b",\"leaf_hash\":\"");
    out.extend_from_slice(hex(leaf_hash).as_bytes());
    out.extend_from_slice(b"\",\"entry\":");
    entry.write_leaf_bytes(out);
    out.extend_from_slice(b"}\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use airlock_audit::{leaf_hash, EntryKind, Timestamp};

    #[test]
    fn hashes_round_trip_through_hex() {
        let hash = leaf_hash(b"x");
        assert_eq!(parse_hex_hash(&hex(&hash)), Some(hash));
        assert_eq!(parse_hex_hash("00"), None);
        assert_eq!(parse_hex_hash(&"g".repeat(64)), None);
    }

    #[test]
    fn exported_lines_carry_the_leaf_bytes() {
        let entry = AuditEntry {
            index: 3,
            timestamp: Timestamp::from_unix_micros(0).unwrap(),
            tenant: "acme".into(),
            kind: EntryKind::Decision,
            actor: "bot".into(),
            subject: "ls".into(),
            data: serde_json::json!({"verdict": "allow"}),
        };
        let mut line = Vec::new();
        entry_line(&entry, &entry.leaf_hash(), &mut line);
        let value: serde_json::Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(value["index"], 3);
        assert_eq!(value["leaf_hash"], hex(&entry.leaf_hash()));
        let text = String::from_utf8(line).unwrap();
        let leaf_text = String::from_utf8(entry.leaf_bytes()).unwrap();
        assert!(text.ends_with(&format!(",\"entry\":{leaf_text}}}\n")));
    }
}
