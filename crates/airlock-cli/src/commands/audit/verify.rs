//! `airlock audit verify`: replays a tenant's whole log from the store,
//! page by page, hashing each entry's stored leaf bytes as they are, checks
//! every signed checkpoint and the stored head, and optionally that the log
//! extends every checkpoint a witness kept. Reports the first bad index and
//! what is wrong.
//!
//! The first pass reads only what the tree commits to (index and leaf
//! bytes), as an independent verifier would, and computes roots only where
//! something signed or stored is compared with them. When it fails, or with
//! `--thorough`, a second pass also checks each row's stored leaf hash, the
//! stored root after it and the index its entry states, which names the
//! first bad row. Work is pipelined over the machine's cores: the database
//! reads the next page while a reader task hashes the leaves of this one
//! and a replay thread rebuilds the tree.

use std::collections::{BTreeSet, HashMap};
use std::convert::Infallible;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use airlock_audit::{
    empty_root, leaf_hash, verify_checkpoint_signatures, verify_consistency, Checkpoint, Frontier,
    Hash, LogReplay, MerkleAccumulator, VerifyFailure, VerifyReport,
};
use airlock_store::{
    AuditColumns, RawAuditRow, SqlStore, SqlTenantStore, Store, StoreError, TenantId, TenantStore,
};
use anyhow::{Context, Result};
use clap::Args;
use ed25519_dalek::VerifyingKey;
use serde::Serialize;
use tokio::sync::mpsc;

use super::witness::{read_kept_checkpoints, KeptCheckpoint};
use super::{hex, log_origin, parse_hex_hash, CheckpointKeyArg, EXIT_VERIFY_FAILED, PAGE_ROWS};
use crate::commands::state::StateArgs;
use crate::Format;

/// Recompute the whole log and check it against its signed checkpoints.
///
/// Reads every entry in order, recomputes each leaf hash and the tree,
/// checks every stored checkpoint (signature and root at its size) and the
/// stored head. Exit 0 only when all of it holds; on tampering, names the
/// first bad entry and what is wrong (exit 4).
#[derive(Debug, Args)]
#[command(after_help = "EXAMPLES:
  airlock audit verify
  airlock audit verify --all-tenants --format json
  airlock audit verify --tenant acme --witness-dir /srv/witness/acme

EXIT CODES:
  0 every check holds, 4 verification failed (first bad entry named), 1 error")]
pub struct VerifyArgs {
    /// Verify the log of every tenant in the store.
    #[arg(long, conflicts_with = "witness_dir")]
    all_tenants: bool,

    /// Also check every row's stored leaf hash and tree root (the copies
    /// inclusion proofs are served from) and the index each entry states.
    /// Slower; done anyway when the log fails, to name the first bad entry.
    #[arg(long)]
    thorough: bool,

    /// Also check that the log extends every checkpoint kept in DIR (by
    /// `airlock audit checkpoints --out-dir DIR`), with consistency proofs.
    #[arg(long, value_name = "DIR")]
    witness_dir: Option<PathBuf>,

    #[command(flatten)]
    key: CheckpointKeyArg,

    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

/// What was established about one tenant's log.
#[derive(Debug, Serialize)]
struct TenantVerification {
    tenant: String,
    ok: bool,
    /// Entries proven intact: the whole log, or those before the first bad one.
    entries_verified: u64,
    /// Root of the verified entries.
    root: Option<String>,
    checkpoints_checked: usize,
    latest_checkpoint_size: Option<u64>,
    /// Entries after the latest checkpoint: consistent, but not yet signed.
    unsigned_entries: u64,
    /// Checkpoints of the witness directory the log was shown to extend.
    witness_checkpoints_checked: usize,
    /// Whether each row's stored leaf hash and root were checked too.
    stored_hashes_checked: bool,
    failure: Option<Finding>,
}

/// Why a log does not verify.
#[derive(Debug, Serialize)]
struct Finding {
    kind: &'static str,
    /// The first entry proven bad, when one can be named.
    first_bad_index: Option<u64>,
    message: String,
}

impl Finding {
    fn new(kind: &'static str, first_bad_index: Option<u64>, message: impl Into<String>) -> Self {
        Finding {
            kind,
            first_bad_index,
            message: message.into(),
        }
    }
}

pub async fn run(state: &StateArgs, args: VerifyArgs) -> Result<u8> {
    let key = args.key.load(state)?;
    let store = state.open_existing_store().await?;
    let tenants = if args.all_tenants {
        store
            .tenants()
            .await
            .context("cannot list tenants")?
            .into_iter()
            .map(|tenant| tenant.id)
            .collect()
    } else {
        vec![state.tenant_id()?]
    };
    let kept = match &args.witness_dir {
        Some(dir) => Some(read_kept_checkpoints(dir)?),
        None => None,
    };
    let mut results = Vec::with_capacity(tenants.len());
    for tenant in &tenants {
        let mut result =
            verify_tenant(&store, tenant, &key, kept.as_deref(), args.thorough).await?;
        if !result.ok && !args.thorough {
            // Name the first bad row: replay again checking every row.
            result = verify_tenant(&store, tenant, &key, kept.as_deref(), true).await?;
        }
        if let Some(first_bad) = result.failure.as_ref().and_then(|f| f.first_bad_index) {
            result.entries_verified = result.entries_verified.min(first_bad);
        }
        if args.format == Format::Human {
            print!("{}", human(&result));
        }
        results.push(result);
    }
    store.close().await;
    let all_ok = results.iter().all(|result| result.ok);
    if args.format == Format::Json {
        let report = serde_json::json!({ "ok": all_ok, "tenants": results });
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    Ok(if all_ok { 0 } else { EXIT_VERIFY_FAILED })
}

fn human(result: &TenantVerification) -> String {
    let mut text = String::new();
    match &result.failure {
        None => {
            text.push_str(&format!(
                "tenant {}: OK: {} entries, root {}\n",
                result.tenant,
                result.entries_verified,
                result.root.as_deref().unwrap_or("-")
            ));
            text.push_str(&format!(
                "  {} signed checkpoints verified",
                result.checkpoints_checked
            ));
            match result.latest_checkpoint_size {
                Some(size) => text.push_str(&format!(
                    " (latest at size {size}; {} entries after it not yet signed)\n",
                    result.unsigned_entries
                )),
                None => text.push_str(" (none yet: no entry is covered by a signature)\n"),
            }
            text.push_str("  head matches the entries\n");
            if result.stored_hashes_checked {
                text.push_str("  every row's stored leaf hash and root match\n");
            }
            if result.witness_checkpoints_checked > 0 {
                text.push_str(&format!(
                    "  the log extends all {} checkpoints kept by the witness\n",
                    result.witness_checkpoints_checked
                ));
            }
        }
        Some(finding) => {
            let at = finding
                .first_bad_index
                .map(|index| format!(" at entry {index}"))
                .unwrap_or_default();
            text.push_str(&format!(
                "tenant {}: FAILED{at}: {}\n  ({} entries verified before it)\n",
                result.tenant, finding.message, result.entries_verified
            ));
        }
    }
    text
}

/// What the replay thread hands back.
struct Replayed {
    outcome: Result<VerifyReport, VerifyFailure<StoreError>>,
    /// Entries replayed intact.
    verified: u64,
    /// Root after each watched size that was reached.
    roots: HashMap<u64, Hash>,
}

async fn verify_tenant(
    store: &SqlStore,
    tenant: &TenantId,
    key: &VerifyingKey,
    kept: Option<&[KeptCheckpoint]>,
    thorough: bool,
) -> Result<TenantVerification> {
    let log = store.tenant_store(tenant);
    let columns = if thorough {
        AuditColumns::WithStoredHashes
    } else {
        AuditColumns::LeafBytes
    };
    let head = log
        .audit_head()
        .await
        .with_context(|| format!("cannot read the log head of tenant {tenant}"))?;
    let mut result = TenantVerification {
        tenant: tenant.to_string(),
        ok: false,
        entries_verified: 0,
        root: None,
        checkpoints_checked: 0,
        latest_checkpoint_size: None,
        unsigned_entries: 0,
        witness_checkpoints_checked: 0,
        stored_hashes_checked: thorough,
        failure: None,
    };
    let checkpoints = match log.checkpoints().await {
        Ok(checkpoints) => checkpoints,
        Err(StoreError::Corrupt(reason)) => {
            result.failure = Some(Finding::new(
                "checkpoint_unreadable",
                None,
                format!("a stored checkpoint does not parse ({reason})"),
            ));
            return Ok(result);
        }
        Err(error) => return Err(error).context("cannot read the stored checkpoints"),
    };
    // Signatures are checked on their own thread while the rows stream.
    let signatures = {
        let (checkpoints, key) = (checkpoints.clone(), *key);
        tokio::task::spawn_blocking(move || {
            verify_checkpoint_signatures::<Infallible>(&checkpoints, &key)
        })
    };
    let replay = match LogReplay::with_verified_signatures::<Infallible>(&checkpoints) {
        Ok(replay) => replay,
        Err(failure) => {
            result.failure = Some(describe(&failure));
            return Ok(result);
        }
    };

    let mut watched: BTreeSet<u64> = kept
        .unwrap_or_default()
        .iter()
        .map(|kept| kept.checkpoint.size)
        .collect();
    watched.insert(head.size);
    let progress = Progress::new(tenant, head.size);
    let (pages, receiver) = mpsc::channel(2);
    let reader = tokio::spawn(read_pages(log.clone(), columns, PAGE_ROWS, pages));
    let replayed =
        tokio::task::spawn_blocking(move || replay_pages(replay, receiver, watched, progress))
            .await
            .context("the verification thread failed")?;
    reader.abort();
    if let Err(failure) = signatures
        .await
        .context("the signature-checking thread failed")?
    {
        result.failure = Some(describe(&failure));
        return Ok(result);
    }
    result.entries_verified = replayed.verified;
    let report = match replayed.outcome {
        Ok(report) => report,
        Err(VerifyFailure::Read {
            source: StoreError::Corrupt(reason),
            next_index,
        }) => {
            result.failure = Some(Finding::new(
                "undecodable_entry",
                Some(next_index),
                format!("entry {next_index} is not a readable audit entry ({reason})"),
            ));
            return Ok(result);
        }
        Err(VerifyFailure::Read { source, .. }) => {
            return Err(source).context("reading the log failed")
        }
        Err(failure) => {
            result.failure = Some(describe(&failure));
            return Ok(result);
        }
    };
    result.root = Some(hex(&report.root));
    result.checkpoints_checked = report.checkpoints_checked;
    result.latest_checkpoint_size = report.latest_checkpoint_size;
    result.unsigned_entries = report.entries_after_latest_checkpoint;

    if let Some(finding) = check_head(&log, &head, &report, &replayed.roots).await? {
        result.failure = Some(finding);
        return Ok(result);
    }
    if let Some(kept) = kept {
        match check_witness(&log, tenant, key, kept, &report, &replayed.roots).await? {
            Ok(checked) => result.witness_checkpoints_checked = checked,
            Err(finding) => {
                result.failure = Some(finding);
                return Ok(result);
            }
        }
    }
    result.ok = true;
    Ok(result)
}

/// A row ready for the replay: its index column and, when it decodes, the
/// index it holds, the hash of its stored leaf bytes and (when read) its
/// stored hashes.
struct PreparedRow {
    position: u64,
    parts: Result<RowParts, String>,
}

struct RowParts {
    /// The index column, or with the stored hashes the index the entry
    /// states.
    index: u64,
    leaf: Hash,
    /// The stored leaf hash and root after the row.
    stored: Option<(Hash, Hash)>,
}

/// Just the index of an entry; the rest of the JSON is checked for syntax
/// and skipped.
#[derive(serde::Deserialize)]
struct EntryIndex {
    index: u64,
}

fn prepare(row: RawAuditRow<'_>, columns: AuditColumns) -> PreparedRow {
    let parts = (|| {
        let leaf = leaf_hash(row.entry.as_bytes());
        if columns == AuditColumns::LeafBytes {
            return Ok(RowParts {
                index: row.position,
                leaf,
                stored: None,
            });
        }
        let EntryIndex { index } = serde_json::from_str(row.entry)
            .map_err(|error| format!("entry is not an audit entry: {error}"))?;
        let stored_leaf_hash = parse_hex_hash(row.leaf_hash)
            .ok_or_else(|| format!("stored leaf hash {:?} is not 64 hex digits", row.leaf_hash))?;
        let stored_root_after = parse_hex_hash(row.root_after)
            .ok_or_else(|| format!("stored root {:?} is not 64 hex digits", row.root_after))?;
        Ok(RowParts {
            index,
            leaf,
            stored: Some((stored_leaf_hash, stored_root_after)),
        })
    })();
    PreparedRow {
        position: row.position,
        parts,
    }
}

/// Pages requested ahead of the one being hashed: each is a query on its
/// own connection, so the database reads on several cores at once.
const PAGES_IN_FLIGHT: usize = 3;

/// Streams the log page by page into `pages` until it ends, the receiver
/// goes away, or a read fails (the error is passed on).
///
/// Pages are requested ahead by guessing that the next page starts where a
/// full page of consecutive indexes would end. A full page always reaches
/// at least that far, so no row is ever skipped; where rows are missing the
/// guess falls short and the overlap is dropped, and later requests start
/// after the last row seen (so an index far beyond the rest costs a few
/// pages, not one per guess). A page shorter than `page_rows` is the end
/// of the log.
async fn read_pages(
    log: SqlTenantStore,
    columns: AuditColumns,
    page_rows: u32,
    pages: mpsc::Sender<Result<Vec<PreparedRow>, StoreError>>,
) {
    let fetch = |from: u64| {
        let log = log.clone();
        tokio::spawn(async move { log.audit_page_raw(from, page_rows, columns).await })
    };
    let mut in_flight = std::collections::VecDeque::with_capacity(PAGES_IN_FLIGHT);
    let mut next_from = 0u64;
    while in_flight.len() < PAGES_IN_FLIGHT {
        in_flight.push_back(fetch(next_from));
        next_from = next_from.saturating_add(u64::from(page_rows));
    }
    let mut seen_up_to: Option<u64> = None;
    while let Some(next) = in_flight.pop_front() {
        let page = match next.await {
            Ok(Ok(page)) => page,
            Ok(Err(error)) => {
                let _ = pages.send(Err(error)).await;
                break;
            }
            Err(error) => {
                let _ = pages
                    .send(Err(StoreError::Interrupted(error.to_string())))
                    .await;
                break;
            }
        };
        let full = u32::try_from(page.len()).is_ok_and(|rows| rows == page_rows);
        let prepared: Vec<PreparedRow> = page
            .rows()
            .filter(|row| seen_up_to.is_none_or(|seen| row.position > seen))
            .map(|row| prepare(row, columns))
            .collect();
        if let Some(last) = prepared.last() {
            seen_up_to = Some(last.position);
        }
        if !prepared.is_empty() && pages.send(Ok(prepared)).await.is_err() {
            break;
        }
        if !full {
            break;
        }
        // Past a gap the guesses fall behind: start after the last row seen.
        if let Some(seen) = seen_up_to {
            next_from = next_from.max(seen.saturating_add(1));
        }
        in_flight.push_back(fetch(next_from));
        next_from = next_from.saturating_add(u64::from(page_rows));
    }
    for pending in in_flight {
        pending.abort();
    }
}

/// Feeds every row to the replay (on a blocking thread), noting the root
/// at each watched size.
fn replay_pages(
    mut replay: LogReplay,
    mut pages: mpsc::Receiver<Result<Vec<PreparedRow>, StoreError>>,
    watched: BTreeSet<u64>,
    mut progress: Progress,
) -> Replayed {
    let mut roots = HashMap::new();
    if watched.contains(&0) {
        roots.insert(0, empty_root());
    }
    let failure = 'rows: {
        while let Some(page) = pages.blocking_recv() {
            let rows = match page {
                Ok(rows) => rows,
                Err(error) => break 'rows Some(replay.read_failed(error)),
            };
            for row in rows {
                let parts = match row.parts {
                    Ok(parts) => parts,
                    Err(reason) => {
                        let reason = format!("row {}: {reason}", row.position);
                        break 'rows Some(replay.read_failed(StoreError::Corrupt(reason)));
                    }
                };
                let before = replay.size();
                let pushed = match &parts.stored {
                    Some((leaf_hash, root_after)) => {
                        replay.push_hashed(parts.index, parts.leaf, leaf_hash, root_after)
                    }
                    None => replay.push_leaf(parts.index, parts.leaf),
                };
                if let Err(failure) = pushed {
                    break 'rows Some(failure);
                }
                let size = replay.size();
                if size != before && watched.contains(&size) {
                    roots.insert(size, replay.root());
                }
            }
            progress.show(replay.size());
        }
        None
    };
    progress.clear();
    let verified = replay.size();
    let outcome = match failure {
        Some(failure) => Err(failure),
        None => replay.finish(),
    };
    Replayed {
        outcome,
        verified,
        roots,
    }
}

/// The stored head must describe exactly the rows: same size and root. Rows
/// beyond the head are accepted only when the head reached them meanwhile
/// (a server appending during verification).
async fn check_head(
    log: &SqlTenantStore,
    head: &Frontier,
    report: &VerifyReport,
    roots: &HashMap<u64, Hash>,
) -> Result<Option<Finding>> {
    let head_root = match MerkleAccumulator::from_frontier(head.clone()) {
        Ok(tree) => tree.root(),
        Err(error) => {
            return Ok(Some(Finding::new(
                "head_corrupt",
                None,
                format!("the stored log head is malformed: {error}"),
            )))
        }
    };
    if head.size > report.size {
        return Ok(Some(Finding::new(
            "rows_missing_at_end",
            Some(report.size),
            format!(
                "the log head records {} entries but only {} are stored: entries from {} were deleted",
                head.size, report.size, report.size
            ),
        )));
    }
    if roots.get(&head.size) != Some(&head_root) {
        return Ok(Some(Finding::new(
            "head_mismatch",
            None,
            format!(
                "the stored log head (size {}) does not match the root of the first {} entries",
                head.size, head.size
            ),
        )));
    }
    if report.size > head.size {
        let now = log
            .audit_head()
            .await
            .context("cannot re-read the log head")?;
        let grew_to_rows = now.size > report.size
            || (now.size == report.size
                && MerkleAccumulator::from_frontier(now.clone())
                    .is_ok_and(|tree| tree.root() == report.root));
        if !grew_to_rows {
            return Ok(Some(Finding::new(
                "rows_beyond_head",
                Some(head.size),
                format!(
                    "entries {}..{} are not recorded in the log head (size {}): rows were inserted",
                    head.size, report.size, now.size
                ),
            )));
        }
    }
    Ok(None)
}

/// Every kept checkpoint must be signed by the log key, name this log, lie
/// within it, carry the root the log has at its size, and a consistency
/// proof from it to the whole log must verify. Returns how many were checked.
async fn check_witness(
    log: &SqlTenantStore,
    tenant: &TenantId,
    key: &VerifyingKey,
    kept: &[KeptCheckpoint],
    report: &VerifyReport,
    roots: &HashMap<u64, Hash>,
) -> Result<std::result::Result<usize, Finding>> {
    let origin = log_origin(tenant);
    let mut last_good = 0u64;
    for item in kept {
        let checkpoint: &Checkpoint = &item.checkpoint;
        let name = item.path.display();
        if let Err(error) = checkpoint.verify(key) {
            return Ok(Err(Finding::new(
                "witness_signature",
                None,
                format!("kept checkpoint {name} is not signed by the log key: {error}"),
            )));
        }
        if checkpoint.origin != origin {
            return Ok(Err(Finding::new(
                "witness_origin",
                None,
                format!(
                    "kept checkpoint {name} is for log {:?}, not {origin:?}",
                    checkpoint.origin
                ),
            )));
        }
        if checkpoint.size > report.size {
            return Ok(Err(Finding::new(
                "witness_beyond_log",
                Some(report.size),
                format!(
                    "kept checkpoint {name} covers {} entries but the log holds {}: entries from {} were removed",
                    checkpoint.size, report.size, report.size
                ),
            )));
        }
        if roots.get(&checkpoint.size) != Some(&checkpoint.root) {
            return Ok(Err(Finding::new(
                "witness_fork",
                Some(last_good),
                format!(
                    "the log does not extend kept checkpoint {name}: its first {} entries have another root (rewritten somewhere in entries {last_good}..{})",
                    checkpoint.size, checkpoint.size
                ),
            )));
        }
        let proof = log
            .consistency_proof(checkpoint.size, report.size)
            .await
            .context("cannot read a consistency proof")?;
        if let Err(error) = verify_consistency(
            checkpoint.size,
            report.size,
            &checkpoint.root,
            &report.root,
            &proof,
        ) {
            return Ok(Err(Finding::new(
                "tree_nodes_corrupt",
                None,
                format!(
                    "the consistency proof from kept checkpoint {name} (size {}) to the log does not verify ({error}): the stored tree nodes are damaged",
                    checkpoint.size
                ),
            )));
        }
        last_good = checkpoint.size;
    }
    Ok(Ok(kept.len()))
}

/// A failure of the replay as a finding naming its first bad index.
fn describe<E: std::fmt::Display>(failure: &VerifyFailure<E>) -> Finding {
    let message = failure.to_string();
    match failure {
        VerifyFailure::Read { next_index, .. } => {
            Finding::new("read_failed", Some(*next_index), message)
        }
        VerifyFailure::CheckpointSignature { .. } => {
            Finding::new("checkpoint_signature", None, message)
        }
        VerifyFailure::MissingEntry { index } => {
            Finding::new("entry_deleted", Some(*index), message)
        }
        VerifyFailure::OutOfSequence { expected, .. } => {
            Finding::new("out_of_sequence", Some(*expected), message)
        }
        // Two rows claim `index`: either may be the inserted one.
        VerifyFailure::DuplicateIndex { index, .. } => {
            Finding::new("duplicate_index", Some(*index), message)
        }
        VerifyFailure::LeafHashMismatch { index } => {
            Finding::new("entry_edited", Some(*index), message)
        }
        VerifyFailure::RootAfterMismatch { index } => {
            Finding::new("tree_hash_altered", Some(*index), message)
        }
        VerifyFailure::CheckpointRootMismatch { suspects, .. } => {
            Finding::new("checkpoint_root_mismatch", Some(suspects.start), message)
        }
        VerifyFailure::Truncated { log_size, .. } => {
            Finding::new("truncated", Some(*log_size), message)
        }
    }
}

/// Progress on stderr, only when stderr is a terminal.
struct Progress {
    enabled: bool,
    tenant: String,
    total: u64,
    last_shown: Instant,
    shown: bool,
}

impl Progress {
    fn new(tenant: &TenantId, total: u64) -> Self {
        Progress {
            enabled: std::io::stderr().is_terminal(),
            tenant: tenant.to_string(),
            total,
            last_shown: Instant::now(),
            shown: false,
        }
    }

    fn show(&mut self, done: u64) {
        if !self.enabled || self.last_shown.elapsed() < Duration::from_millis(200) {
            return;
        }
        self.last_shown = Instant::now();
        self.shown = true;
        let percent = (done.saturating_mul(100))
            .checked_div(self.total)
            .unwrap_or(100)
            .min(100);
        let mut stderr = std::io::stderr().lock();
        let _ = write!(
            stderr,
            "\rverifying {}: {done} of {} entries ({percent}%)",
            self.tenant, self.total
        );
        let _ = stderr.flush();
    }

    fn clear(&mut self) {
        if self.shown {
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "\r\x1b[2K");
            let _ = stderr.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use airlock_audit::{EntryKind, Timestamp};
    use airlock_store::{AuditEvent, StoreOptions};

    /// Every row comes through exactly once and in order, whatever the
    /// gaps: rows deleted in the middle, one far beyond the rest, pages
    /// smaller than the gaps.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn pages_read_ahead_deliver_every_row_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("airlock.db").display());
        let store = SqlStore::open_with(&url, StoreOptions::default())
            .await
            .expect("store");
        let tenant = TenantId::new("pages").expect("tenant");
        let now = Timestamp::now();
        store
            .create_tenant(&tenant, "pages", "test", now)
            .await
            .expect("tenant");
        let log = store.tenant_store(&tenant);
        for number in 0..60 {
            log.append_audit(AuditEvent::new(
                now,
                EntryKind::Decision,
                "agent",
                format!("req_{number}"),
                serde_json::json!({ "n": number }),
            ))
            .await
            .expect("append");
        }
        let raw = sqlx::AnyPool::connect(&url).await.expect("raw");
        sqlx::query("DELETE FROM audit_log WHERE idx >= 10 AND idx < 23")
            .execute(&raw)
            .await
            .expect("delete");
        sqlx::query(
            "INSERT INTO audit_log (tenant_id, idx, entry, leaf_hash, root_after)
             SELECT tenant_id, 5000000, entry, leaf_hash, root_after FROM audit_log WHERE idx = 3",
        )
        .execute(&raw)
        .await
        .expect("insert");
        raw.close().await;
        let mut expected: Vec<u64> = (0..10).chain(23..61).collect();
        expected.push(5_000_000);

        for page_rows in [1, 3, 4, 7, 64] {
            let (sender, mut receiver) = mpsc::channel(2);
            let reader = tokio::spawn(read_pages(
                log.clone(),
                AuditColumns::LeafBytes,
                page_rows,
                sender,
            ));
            let mut positions = Vec::new();
            while let Some(page) = receiver.recv().await {
                positions.extend(page.expect("page").iter().map(|row| row.position));
            }
            reader.await.expect("reader");
            assert_eq!(positions, expected, "pages of {page_rows}");
        }
        store.close().await;
    }
}
