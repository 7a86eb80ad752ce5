//! Whole-log verification: replays every stored row, recomputes each leaf
//! hash and the tree root after each row, checks every signed checkpoint,
//! and on tampering names the first index that can be proven bad.

use crate::accumulator::{Frontier, MerkleAccumulator};
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
/// [`LogReplay`] does the same one row at a time.
pub fn verify_log<I, S, E>(
    entries: I,
    checkpoints: &[Checkpoint],
    key: &VerifyingKey,
) -> Result<VerifyReport, VerifyFailure<E>>
where
    I: IntoIterator<Item = Result<S, E>>,
    S: Borrow<StoredEntry>,
{
    let mut replay = LogReplay::new(checkpoints, key)?;
    for row in entries {
        match row {
            Ok(row) => replay.push(row.borrow())?,
            Err(source) => return Err(replay.read_failed(source)),
        }
    }
    replay.finish()
}

/// Check that every checkpoint is signed by `key`; the first that is not
/// is the failure.
pub fn verify_checkpoint_signatures<E>(
    checkpoints: &[Checkpoint],
    key: &VerifyingKey,
) -> Result<(), VerifyFailure<E>> {
    for checkpoint in checkpoints {
        checkpoint
            .verify(key)
            .map_err(|source| VerifyFailure::CheckpointSignature {
                checkpoint_size: checkpoint.size,
                source,
            })?;
    }
    Ok(())
}

/// An index out of sequence waiting to be classified: the rows after it are
/// searched for the index that belongs at `position`.
#[derive(Debug, Clone, Copy)]
struct Displaced {
    position: u64,
    expected: u64,
    found: u64,
}

/// Whole-log verification fed one row at a time, in storage order, so a
/// log can be streamed from a database without holding it in memory; the
/// state after each row (size, root, frontier) can be read in between.
/// [`verify_log`] is this loop over an iterator.
///
/// Once a row's index jumps ahead, the replay stops checking hashes and only
/// looks for the skipped index in the rows still to come: found, the rows
/// were reordered ([`VerifyFailure::OutOfSequence`]); never found by
/// [`LogReplay::finish`], the row was deleted ([`VerifyFailure::MissingEntry`]).
#[derive(Debug)]
pub struct LogReplay {
    key_checked_checkpoints: usize,
    latest_checkpoint_size: Option<u64>,
    /// `(size, root)` of every checkpoint not yet reached, smallest last.
    pending: Vec<(u64, Hash)>,
    /// Rows before this index are proven intact by a checkpoint.
    proven_prefix: u64,
    tree: MerkleAccumulator,
    position: u64,
    displaced: Option<Displaced>,
    leaf_bytes: Vec<u8>,
}

impl LogReplay {
    /// Start a replay: every checkpoint's signature is checked against
    /// `key` now, and checkpoints of size 0 must carry the empty root.
    pub fn new<E>(
        checkpoints: &[Checkpoint],
        key: &VerifyingKey,
    ) -> Result<Self, VerifyFailure<E>> {
        verify_checkpoint_signatures(checkpoints, key)?;
        Self::with_verified_signatures(checkpoints)
    }

    /// Start a replay against checkpoints whose signatures the caller has
    /// already checked with [`verify_checkpoint_signatures`] (for example
    /// on another thread while the rows are read). Checkpoints of size 0
    /// must carry the empty root.
    pub fn with_verified_signatures<E>(
        checkpoints: &[Checkpoint],
    ) -> Result<Self, VerifyFailure<E>> {
        let mut pending: Vec<(u64, Hash)> = checkpoints
            .iter()
            .map(|checkpoint| (checkpoint.size, checkpoint.root))
            .collect();
        pending.sort_by_key(|(size, _)| std::cmp::Reverse(*size));
        while let Some(&(0, root)) = pending.last() {
            if root != empty_root() {
                return Err(VerifyFailure::CheckpointRootMismatch {
                    checkpoint_size: 0,
                    suspects: 0..0,
                });
            }
            pending.pop();
        }
        Ok(Self {
            key_checked_checkpoints: checkpoints.len(),
            latest_checkpoint_size: checkpoints.iter().map(|checkpoint| checkpoint.size).max(),
            pending,
            proven_prefix: 0,
            tree: MerkleAccumulator::new(),
            position: 0,
            displaced: None,
            leaf_bytes: Vec::with_capacity(256),
        })
    }

    /// Check the next row in storage order, recomputing its leaf bytes
    /// from the decoded entry.
    pub fn push<E>(&mut self, stored: &StoredEntry) -> Result<(), VerifyFailure<E>> {
        self.push_with(
            stored.entry.index,
            |leaf_bytes| {
                leaf_bytes.clear();
                stored.entry.write_leaf_bytes(leaf_bytes);
                leaf_hash(leaf_bytes)
            },
            Some((&stored.leaf_hash, &stored.root_after)),
        )
    }

    /// Check the next row in storage order from its parts: the index the
    /// entry states, `leaf` = `SHA-256(0x00 ‖ leaf bytes)` of the entry's
    /// bytes as stored (the caller hashes them, possibly on another
    /// thread), and the row's stored leaf hash and root after it. For a
    /// store that keeps the leaf bytes themselves this checks exactly what
    /// the tree commits to, without decoding and re-encoding each entry.
    pub fn push_hashed<E>(
        &mut self,
        index: u64,
        leaf: Hash,
        stored_leaf_hash: &Hash,
        stored_root_after: &Hash,
    ) -> Result<(), VerifyFailure<E>> {
        self.push_with(index, |_| leaf, Some((stored_leaf_hash, stored_root_after)))
    }

    /// Add the next leaf in storage order, checking only what the signed
    /// checkpoints commit to: `index` is the next one, and the root at each
    /// checkpoint's size is the signed one. A store's per-row hashes (its
    /// caches of leaf hash and root) are not consulted, so the root is
    /// computed at checkpoint sizes only, not after every row: this is the
    /// check an independent verifier makes. When it fails, a replay with
    /// [`LogReplay::push_hashed`] names the first bad row.
    pub fn push_leaf<E>(&mut self, index: u64, leaf: Hash) -> Result<(), VerifyFailure<E>> {
        self.push_with(index, |_| leaf, None)
    }

    /// One row: its index, its leaf hash, and (when the store's per-row
    /// hashes are checked) the stored leaf hash and root after it.
    fn push_with<E>(
        &mut self,
        found: u64,
        leaf_of_row: impl FnOnce(&mut Vec<u8>) -> Hash,
        stored: Option<(&Hash, &Hash)>,
    ) -> Result<(), VerifyFailure<E>> {
        let position = self.position;
        self.position += 1;
        if let Some(displaced) = self.displaced {
            if found == displaced.expected {
                return Err(VerifyFailure::OutOfSequence {
                    position: displaced.position,
                    expected: displaced.expected,
                    found: displaced.found,
                });
            }
            return Ok(());
        }
        let expected = self.tree.size();
        if found < expected {
            return Err(VerifyFailure::DuplicateIndex {
                position,
                index: found,
            });
        }
        if found > expected {
            self.displaced = Some(Displaced {
                position,
                expected,
                found,
            });
            return Ok(());
        }

        let leaf = leaf_of_row(&mut self.leaf_bytes);
        if let Some((stored_leaf_hash, _)) = stored {
            if leaf != *stored_leaf_hash {
                return Err(VerifyFailure::LeafHashMismatch { index: expected });
            }
        }
        self.tree.push(leaf);
        let size = self.tree.size();
        let checkpoint_here = self.pending.last().is_some_and(|(at, _)| *at == size);
        if stored.is_none() && !checkpoint_here {
            return Ok(());
        }
        let root = self.tree.root();
        if let Some((_, stored_root_after)) = stored {
            if root != *stored_root_after {
                return Err(VerifyFailure::RootAfterMismatch { index: expected });
            }
        }
        while let Some(&(checkpoint_size, checkpoint_root)) = self.pending.last() {
            if checkpoint_size != size {
                break;
            }
            if checkpoint_root != root {
                return Err(VerifyFailure::CheckpointRootMismatch {
                    checkpoint_size: size,
                    suspects: self.proven_prefix..size,
                });
            }
            self.proven_prefix = size;
            self.pending.pop();
        }
        Ok(())
    }

    /// The failure to report when reading the next row failed.
    pub fn read_failed<E>(&self, source: E) -> VerifyFailure<E> {
        let next_index = match self.displaced {
            Some(displaced) => displaced.expected,
            None => self.tree.size(),
        };
        VerifyFailure::Read { next_index, source }
    }

    /// Entries verified so far (the size of the tree replayed).
    pub fn size(&self) -> u64 {
        self.tree.size()
    }

    /// Root of the entries verified so far (computed on each call: a few
    /// dozen hashes at most).
    pub fn root(&self) -> Hash {
        self.tree.root()
    }

    /// Frontier of the entries verified so far, comparable with a store's head.
    pub fn frontier(&self) -> Frontier {
        self.tree.frontier()
    }

    /// Whether an index jumped ahead and the replay is only looking for the
    /// skipped index: [`LogReplay::size`] then stays where the jump was.
    pub fn is_searching(&self) -> bool {
        self.displaced.is_some()
    }

    /// End of the rows: a skipped index never seen is a deleted row, and a
    /// checkpoint larger than the log means rows were cut from its end.
    pub fn finish<E>(self) -> Result<VerifyReport, VerifyFailure<E>> {
        if let Some(displaced) = self.displaced {
            return Err(VerifyFailure::MissingEntry {
                index: displaced.expected,
            });
        }
        if let Some(&(checkpoint_size, _)) = self.pending.last() {
            return Err(VerifyFailure::Truncated {
                log_size: self.tree.size(),
                checkpoint_size,
            });
        }
        let size = self.tree.size();
        Ok(VerifyReport {
            size,
            root: self.tree.root(),
            checkpoints_checked: self.key_checked_checkpoints,
            latest_checkpoint_size: self.latest_checkpoint_size,
            entries_after_latest_checkpoint: size - self.latest_checkpoint_size.unwrap_or(0),
        })
    }
}
