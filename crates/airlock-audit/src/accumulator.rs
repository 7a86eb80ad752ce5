//! The incremental Merkle tree head: an append-only accumulator that keeps
//! only the O(log n) "frontier" (the roots of the perfect subtrees that make
//! up the tree, largest first), from which the RFC 9162 root of every size
//! can be computed. The frontier is what a store persists as the log's head
//! so that a server can resume appending without rereading the log.

use crate::hash::{empty_root, hex_hash_list, node_hash, Hash};
use serde::{Deserialize, Serialize};

/// The persisted head of a log: its size and the roots of the perfect
/// subtrees covering leaves `0..size`, largest (leftmost) first. There is
/// one root per set bit of `size`, the subtree for bit `b` holding `2^b`
/// leaves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frontier {
    /// Number of leaves covered.
    pub size: u64,
    /// Perfect-subtree roots, largest first.
    #[serde(with = "hex_hash_list")]
    pub hashes: Vec<Hash>,
}

/// Why a frontier cannot be restored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrontierError {
    /// A tree of `size` leaves has exactly `popcount(size)` frontier hashes.
    #[error("a tree of {size} leaves has {expected} frontier hashes, got {found}")]
    WrongLength {
        /// Size claimed by the frontier.
        size: u64,
        /// Number of hashes it must have.
        expected: usize,
        /// Number of hashes it has.
        found: usize,
    },
}

/// An append-only RFC 9162 Merkle tree that remembers only its frontier.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MerkleAccumulator {
    size: u64,
    frontier: Vec<Hash>,
}

impl MerkleAccumulator {
    /// The empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Resume from a stored frontier.
    pub fn from_frontier(frontier: Frontier) -> Result<Self, FrontierError> {
        let expected = frontier.size.count_ones() as usize;
        if frontier.hashes.len() != expected {
            return Err(FrontierError::WrongLength {
                size: frontier.size,
                expected,
                found: frontier.hashes.len(),
            });
        }
        Ok(Self {
            size: frontier.size,
            frontier: frontier.hashes,
        })
    }

    /// The frontier to persist.
    pub fn frontier(&self) -> Frontier {
        Frontier {
            size: self.size,
            hashes: self.frontier.clone(),
        }
    }

    /// Number of leaves appended.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Append one leaf hash. Amortised O(1) node hashes.
    pub fn push(&mut self, leaf: Hash) {
        self.push_completing(leaf, |_, _, _| {});
    }

    /// Append one leaf hash and report every interior node it completes:
    /// `completed(level, start, hash)` for the perfect subtree of `2^level`
    /// leaves starting at leaf `start`, lowest level first. Pushing leaf
    /// `n` completes one node per trailing one bit of `n`. A store keeping
    /// node hashes by `(level, start)` answers proofs in O(log n) reads.
    pub fn push_completing(&mut self, leaf: Hash, mut completed: impl FnMut(u32, u64, &Hash)) {
        let mut carry = leaf;
        let mut level_bits = self.size;
        let mut level = 0u32;
        while level_bits & 1 == 1 {
            match self.frontier.pop() {
                Some(left) => carry = node_hash(&left, &carry),
                None => break,
            }
            level += 1;
            let width = 1u64 << level;
            completed(level, (self.size + 1).wrapping_sub(width), &carry);
            level_bits >>= 1;
        }
        self.frontier.push(carry);
        self.size = self.size.wrapping_add(1);
    }

    /// The RFC 9162 Merkle tree hash of the leaves appended so far:
    /// the frontier folded from the smallest subtree to the largest.
    pub fn root(&self) -> Hash {
        let mut hashes = self.frontier.iter().rev();
        match hashes.next() {
            None => empty_root(),
            Some(smallest) => hashes.fold(*smallest, |right, left| node_hash(left, &right)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;

    #[test]
    fn frontier_length_is_checked() {
        let bad = Frontier {
            size: 3,
            hashes: vec![[0; 32]],
        };
        assert_eq!(
            MerkleAccumulator::from_frontier(bad),
            Err(FrontierError::WrongLength {
                size: 3,
                expected: 2,
                found: 1
            })
        );
    }

    #[test]
    fn completed_nodes_are_the_perfect_subtrees_ending_at_each_leaf() {
        let leaves: Vec<Hash> = (0u32..37).map(|n| leaf_hash(&n.to_be_bytes())).collect();
        let mut tree = MerkleAccumulator::new();
        let mut nodes = Vec::new();
        for leaf in &leaves {
            tree.push_completing(*leaf, |level, start, hash| {
                nodes.push((level, start, *hash))
            });
        }
        let expected_count: usize = (1..6).map(|level| 37 >> level).sum();
        assert_eq!(nodes.len(), expected_count);
        for (level, start, hash) in nodes {
            assert_eq!(start % (1 << level), 0);
            let range = start as usize..(start + (1 << level)) as usize;
            let subtree = MerkleAccumulator::from_leaves(&leaves[range]);
            assert_eq!(hash, subtree.root(), "level {level} start {start}");
        }
    }

    impl MerkleAccumulator {
        fn from_leaves(leaves: &[Hash]) -> Self {
            let mut tree = Self::new();
            for leaf in leaves {
                tree.push(*leaf);
            }
            tree
        }
    }

    #[test]
    fn restored_accumulator_continues_identically() {
        let mut original = MerkleAccumulator::new();
        for cut in 0..40u32 {
            let stored = serde_json::to_string(&original.frontier()).unwrap();
            let mut resumed =
                MerkleAccumulator::from_frontier(serde_json::from_str(&stored).unwrap()).unwrap();
            let mut reference = original.clone();
            for extra in 0..20u32 {
                let leaf = leaf_hash(&(cut * 100 + extra).to_be_bytes());
                resumed.push(leaf);
                reference.push(leaf);
                assert_eq!(resumed.root(), reference.root());
                assert_eq!(resumed, reference);
            }
            original.push(leaf_hash(&cut.to_be_bytes()));
        }
    }
}
