//! RFC 9162 section 2.1 proofs: generating inclusion proofs (audit paths)
//! and consistency proofs from any [`LeafSource`], and verifying them with
//! the RFC's iterative algorithms, which need nothing but the hashes.

use crate::hash::{node_hash, split_point, Hash};
use crate::source::{subtree_hash, LeafSource};

/// Why a proof could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    /// The leaf is not inside the tree the proof is for.
    #[error("leaf index {index} is outside a tree of {size} leaves")]
    IndexOutOfRange {
        /// Requested leaf.
        index: u64,
        /// Tree size.
        size: u64,
    },
    /// The source holds fewer leaves than the requested tree size.
    #[error("a proof for a tree of {size} leaves was asked of a source holding {available}")]
    SizeBeyondSource {
        /// Requested tree size.
        size: u64,
        /// Leaves the source holds.
        available: u64,
    },
    /// A consistency proof needs `old_size <= new_size`.
    #[error("old tree size {old_size} is larger than new tree size {new_size}")]
    OldSizeAfterNew {
        /// Older tree size.
        old_size: u64,
        /// Newer tree size.
        new_size: u64,
    },
    /// The leaf source failed.
    #[error("reading the leaf source failed: {0}")]
    Source(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Why a proof did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofVerifyError {
    /// The leaf is not inside the tree the proof claims.
    #[error("leaf index {index} is outside a tree of {size} leaves")]
    IndexOutOfRange {
        /// Claimed leaf index.
        index: u64,
        /// Claimed tree size.
        size: u64,
    },
    /// More hashes than a proof for these sizes can have.
    #[error("proof has more hashes than a proof for these tree sizes can have")]
    ProofTooLong,
    /// Fewer hashes than a proof for these sizes must have.
    #[error("proof has fewer hashes than a proof for these tree sizes must have")]
    ProofTooShort,
    /// The recomputed root differs from the expected one.
    #[error("proof leads to a different root than expected")]
    RootMismatch,
    /// The recomputed old root differs from the expected one.
    #[error("consistency proof leads to a different old root than expected")]
    OldRootMismatch,
    /// A consistency proof needs `old_size <= new_size`.
    #[error("old tree size {old_size} is larger than new tree size {new_size}")]
    OldSizeAfterNew {
        /// Older tree size.
        old_size: u64,
        /// Newer tree size.
        new_size: u64,
    },
}

fn source_error<E: std::error::Error + Send + Sync + 'static>(error: E) -> ProofError {
    ProofError::Source(Box::new(error))
}

fn check_size<S: LeafSource + ?Sized>(source: &S, size: u64) -> Result<(), ProofError> {
    let available = source.leaf_count().map_err(source_error)?;
    if size > available {
        return Err(ProofError::SizeBeyondSource { size, available });
    }
    Ok(())
}

/// The RFC 9162 inclusion proof (`PATH(index, D[0:size])`) for leaf `index`
/// in the tree of the first `size` leaves: sibling hashes from the leaf up
/// to the root. Costs O(log n) subtree reads.
pub fn inclusion_proof<S: LeafSource + ?Sized>(
    index: u64,
    size: u64,
    source: &S,
) -> Result<Vec<Hash>, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    check_size(source, size)?;
    // Walk down from the root, recording each sibling subtree; the proof
    // lists them bottom-up.
    let mut siblings = Vec::with_capacity(64);
    let (mut start, mut end) = (0u64, size);
    while end - start > 1 {
        let split = start + split_point(end - start);
        if index < split {
            siblings.push(subtree_hash(source, split, end).map_err(source_error)?);
            end = split;
        } else {
            siblings.push(subtree_hash(source, start, split).map_err(source_error)?);
            start = split;
        }
    }
    siblings.reverse();
    Ok(siblings)
}

/// Check an inclusion proof with the algorithm of RFC 9162 section 2.1.3.2.
pub fn verify_inclusion(
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofVerifyError> {
    if index >= size {
        return Err(ProofVerifyError::IndexOutOfRange { index, size });
    }
    let mut position = index;
    let mut last = size - 1;
    let mut running = *leaf_hash;
    for sibling in proof {
        if last == 0 {
            return Err(ProofVerifyError::ProofTooLong);
        }
        if position & 1 == 1 || position == last {
            running = node_hash(sibling, &running);
            if position & 1 == 0 {
                while position & 1 == 0 && position != 0 {
                    position >>= 1;
                    last >>= 1;
                }
            }
        } else {
            running = node_hash(&running, sibling);
        }
        position >>= 1;
        last >>= 1;
    }
    if last != 0 {
        return Err(ProofVerifyError::ProofTooShort);
    }
    if running != *root {
        return Err(ProofVerifyError::RootMismatch);
    }
    Ok(())
}

/// The RFC 9162 consistency proof (`PROOF(old_size, D[0:new_size])`) that
/// the tree of `new_size` leaves extends the tree of `old_size` leaves.
/// Empty when `old_size` is 0 or equals `new_size`. Costs O(log n) subtree
/// reads.
pub fn consistency_proof<S: LeafSource + ?Sized>(
    old_size: u64,
    new_size: u64,
    source: &S,
) -> Result<Vec<Hash>, ProofError> {
    if old_size > new_size {
        return Err(ProofError::OldSizeAfterNew { old_size, new_size });
    }
    check_size(source, new_size)?;
    let mut proof = Vec::with_capacity(64);
    if old_size == 0 || old_size == new_size {
        return Ok(proof);
    }
    // SUBPROOF(m, D[start:end], complete) unrolled: each step appends one
    // sibling subtree; collected top-down, the RFC lists them bottom-up.
    let mut appended = Vec::with_capacity(64);
    let (mut start, mut end) = (0u64, new_size);
    let mut remaining_old = old_size;
    let mut old_is_complete_subtree = true;
    loop {
        let width = end - start;
        if remaining_old == width {
            if !old_is_complete_subtree {
                proof.push(subtree_hash(source, start, end).map_err(source_error)?);
            }
            break;
        }
        let split = split_point(width);
        if remaining_old <= split {
            appended.push(subtree_hash(source, start + split, end).map_err(source_error)?);
            end = start + split;
        } else {
            appended.push(subtree_hash(source, start, start + split).map_err(source_error)?);
            start += split;
            remaining_old -= split;
            old_is_complete_subtree = false;
        }
    }
    proof.extend(appended.into_iter().rev());
    Ok(proof)
}

/// Check a consistency proof with the algorithm of RFC 9162 section
/// 2.1.4.2. Equal sizes require an empty proof and equal roots; an old size
/// of 0 requires an empty proof (every tree extends the empty tree).
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofVerifyError> {
    if old_size > new_size {
        return Err(ProofVerifyError::OldSizeAfterNew { old_size, new_size });
    }
    if old_size == 0 || old_size == new_size {
        if !proof.is_empty() {
            return Err(ProofVerifyError::ProofTooLong);
        }
        if old_size == new_size && old_root != new_root {
            return Err(ProofVerifyError::RootMismatch);
        }
        return Ok(());
    }
    let mut path = proof.iter();
    let first = if old_size.is_power_of_two() {
        *old_root
    } else {
        *path.next().ok_or(ProofVerifyError::ProofTooShort)?
    };
    let mut position = old_size - 1;
    let mut last = new_size - 1;
    while position & 1 == 1 {
        position >>= 1;
        last >>= 1;
    }
    let mut old_running = first;
    let mut new_running = first;
    for sibling in path {
        if last == 0 {
            return Err(ProofVerifyError::ProofTooLong);
        }
        if position & 1 == 1 || position == last {
            old_running = node_hash(sibling, &old_running);
            new_running = node_hash(sibling, &new_running);
            if position & 1 == 0 {
                while position & 1 == 0 && position != 0 {
                    position >>= 1;
                    last >>= 1;
                }
            }
        } else {
            new_running = node_hash(&new_running, sibling);
        }
        position >>= 1;
        last >>= 1;
    }
    if last != 0 {
        return Err(ProofVerifyError::ProofTooShort);
    }
    if old_running != *old_root {
        return Err(ProofVerifyError::OldRootMismatch);
    }
    if new_running != *new_root {
        return Err(ProofVerifyError::RootMismatch);
    }
    Ok(())
}
