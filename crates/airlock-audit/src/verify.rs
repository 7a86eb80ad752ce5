//! Whole-log verification: replays every stored row, recomputes each leaf
//! hash and the tree root after each row, checks every signed checkpoint,
//! and on tampering names the first index that can be proven bad.

use crate::accumulator::MerkleAccumulator;
use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::entry::AuditEntry;
use crate::hash::{empty_root, hex_hash, leaf_hash, Hash};
use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};
use std::borrow::Borrow;
use std::ops::Range;

/// What a store keeps per row: the entry, its leaf hash, and the tree root
/// after appending it (the root of the tree of size `entry.index + 1`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredEntry {
    /// The entry; its canonical leaf bytes are recomputed from it.
    pub entry: AuditEntry,
    /// `SHA-256(0x00 ‖ leaf bytes)` as stored.
    #[serde(with = "hex_hash")]
    pub leaf_hash: Hash,
    /// Root of the first `entry.index + 1` leaves as stored.
    #[serde(with = "hex_hash")]
    pub root_after: Hash,
}

/// What a successful verification established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Entries read.
    pub size: u64,
    /// Recomputed root of the whole log.
    pub root: Hash,
    /// Checkpoints whose signature and root were checked.
    pub checkpoints_checked: usize,
    /// Size of the largest checkpoint, if any.
    pub latest_checkpoint_size: Option<u64>,
    /// Entries not yet covered by any checkpoint: they are internally
    /// consistent but an attacker able to write the store could have
    /// rewritten them undetectably.
    pub entries_after_latest_checkpoint: u64,
}

/// The first proven problem in a log. Indexes are leaf indexes (0-based).
#[derive(Debug, thiserror::Error)]
pub enum VerifyFailure<E> {
    /// The store failed while reading.
    #[error("reading the row expected to hold index {next_index} failed: {source}")]
    Read {
        /// Index of the row being read.
        next_index: u64,
        /// The store's error.
        #[source]
        source: E,
    },
    /// A checkpoint's signature does not verify with the log key.
    #[error("checkpoint at size {checkpoint_size} is not validly signed: {source}")]
    CheckpointSignature {
        /// Size the checkpoint claims.
        checkpoint_size: u64,
        /// Why the signature was refused.
        #[source]
        source: CheckpointError,
    },
    /// A row was deleted: index `index` never appears although later
    /// indexes do.
    #[error("entry {index} is missing (row deleted)")]
    MissingEntry {
        /// The first missing index.
        index: u64,
    },
    /// Rows are out of order (reordered, or a row inserted with a fresh
    /// index): row number `position` holds index `found` where `expected`
    /// belongs, and `expected` appears later.
    #[error("row {position} holds entry {found} where entry {expected} belongs (rows reordered or inserted)")]
    OutOfSequence {
        /// 0-based position of the row in the stream.
        position: u64,
        /// The index that belongs there (the first bad index).
        expected: u64,
        /// The index it holds.
        found: u64,
    },
    /// A row repeats an index already seen (a row inserted).
    #[error("row {position} repeats entry {index} (row inserted)")]
    DuplicateIndex {
        /// 0-based position of the repeating row in the stream.
        position: u64,
        /// The repeated index.
        index: u64,
    },
    /// The entry's recomputed leaf hash differs from the stored one: the
    /// row was edited without its hashes being updated.
    #[error("entry {index} was edited: its leaf hash does not match its contents")]
    LeafHashMismatch {
        /// The edited entry.
        index: u64,
    },
    /// Entry and leaf hash agree, but the stored root after it differs from
    /// the recomputed one: the row's leaf hash was rewritten without the
    /// tree being recomputed (or its stored root was altered).
    #[error("entry {index} was altered: the tree root after it does not match")]
    RootAfterMismatch {
        /// The altered entry.
        index: u64,
    },
    /// Rows were rewritten consistently (contents, leaf hashes and roots):
    /// the recomputed root at a signed checkpoint differs. Every row before
    /// `suspects.start` is proven intact by the previous good checkpoint;
    /// the altered row is somewhere in `suspects` and nothing in the log
    /// can tell which.
    #[error("entries {}..{} were rewritten: the root at signed checkpoint size {checkpoint_size} does not match", suspects.start, suspects.end)]
    CheckpointRootMismatch {
        /// Size of the signed checkpoint that no longer matches.
        checkpoint_size: u64,
        /// Half-open range of indexes, one of which was altered.
        suspects: Range<u64>,
    },
    /// A signed checkpoint covers more entries than the log holds: rows
    /// were deleted from the end. The first missing index is `log_size`.
    #[error("log ends at {log_size} entries but a signed checkpoint covers {checkpoint_size}: entries from {log_size} were deleted")]
    Truncated {
        /// Entries present (= first missing index).
        log_size: u64,
        /// Size of the signed checkpoint.
        checkpoint_size: u64,
    },
}

/// Replay a whole log in storage order and check it against its signed
/// checkpoints (any order; all must be signed by `key`).
///
/// Checks, in this order per row: the index is the next one; the leaf hash
/// recomputed from the entry's canonical bytes equals the stored one; the
/// root recomputed after appending it equals the stored `root_after`; and
/// every checkpoint of that size has that root. Stops at the first failure.
pub fn verify_log<I, S, E>(
    entries: I,
    checkpoints: &[Checkpoint],
    key: &VerifyingKey,
) -> Result<VerifyReport, VerifyFailure<E>>
where
    I: IntoIterator<Item = Result<S, E>>,
    S: Borrow<StoredEntry>,
{
    for checkpoint in checkpoints {
        checkpoint
            .verify(key)
            .map_err(|source| VerifyFailure::CheckpointSignature {
                checkpoint_size: checkpoint.size,
                source,
            })?;
    }
    let mut pending: Vec<&Checkpoint> = checkpoints.iter().collect();
    pending.sort_by_key(|checkpoint| checkpoint.size);
    let mut pending = pending.into_iter().peekable();
    // Rows before this index are proven intact by a checkpoint.
    let mut proven_prefix = 0u64;

    while let Some(checkpoint) = pending.next_if(|checkpoint| checkpoint.size == 0) {
        if checkpoint.root != empty_root() {
            return Err(VerifyFailure::CheckpointRootMismatch {
                checkpoint_size: 0,
                suspects: 0..0,
            });
        }
    }

    let mut tree = MerkleAccumulator::new();
    let mut leaf_bytes = Vec::with_capacity(256);
    let mut rows = entries.into_iter();
    let mut position = 0u64;
    while let Some(row) = rows.next() {
        let expected = tree.size();
        let row = row.map_err(|source| VerifyFailure::Read {
            next_index: expected,
            source,
        })?;
        let stored: &StoredEntry = row.borrow();
        let found = stored.entry.index;
        if found != expected {
            return Err(sequence_failure(position, expected, found, rows));
        }

        leaf_bytes.clear();
        stored.entry.write_leaf_bytes(&mut leaf_bytes);
        let leaf = leaf_hash(&leaf_bytes);
        if leaf != stored.leaf_hash {
            return Err(VerifyFailure::LeafHashMismatch { index: expected });
        }
        tree.push(leaf);
        let root = tree.root();
        if root != stored.root_after {
            return Err(VerifyFailure::RootAfterMismatch { index: expected });
        }
        let size = tree.size();
        while let Some(checkpoint) = pending.next_if(|checkpoint| checkpoint.size == size) {
            if checkpoint.root != root {
                return Err(VerifyFailure::CheckpointRootMismatch {
                    checkpoint_size: size,
                    suspects: proven_prefix..size,
                });
            }
            proven_prefix = size;
        }
        position += 1;
    }

    if let Some(checkpoint) = pending.next() {
        return Err(VerifyFailure::Truncated {
            log_size: tree.size(),
            checkpoint_size: checkpoint.size,
        });
    }
    let latest_checkpoint_size = checkpoints.iter().map(|checkpoint| checkpoint.size).max();
    Ok(VerifyReport {
        size: tree.size(),
        root: tree.root(),
        checkpoints_checked: checkpoints.len(),
        latest_checkpoint_size,
        entries_after_latest_checkpoint: tree.size() - latest_checkpoint_size.unwrap_or(0),
    })
}

/// Classify an index out of sequence: a repeated index is an inserted row;
/// a jump ahead is a reorder (or insertion) when the skipped index shows up
/// later, and a deletion when it never does.
fn sequence_failure<I, S, E>(position: u64, expected: u64, found: u64, rest: I) -> VerifyFailure<E>
where
    I: Iterator<Item = Result<S, E>>,
    S: Borrow<StoredEntry>,
{
    if found < expected {
        return VerifyFailure::DuplicateIndex {
            position,
            index: found,
        };
    }
    for row in rest {
        match row {
            Ok(row) if row.borrow().entry.index == expected => {
                return VerifyFailure::OutOfSequence {
                    position,
                    expected,
                    found,
                };
            }
            Ok(_) => {}
            Err(source) => {
                return VerifyFailure::Read {
                    next_index: expected,
                    source,
                }
            }
        }
    }
    VerifyFailure::MissingEntry { index: expected }
}
