//! Where proofs read the tree from: the [`LeafSource`] trait (leaf hashes by
//! index, and optionally precomputed hashes of aligned perfect subtrees), a
//! plain leaf-hash vector implementation, and [`MemoryTree`], an in-memory
//! level-structured node store that answers every subtree in O(1).

use crate::hash::{node_hash, split_point, Hash};
use std::convert::Infallible;

/// Read access to the leaf hashes of a log (and, when available, to the
/// hashes of its aligned perfect subtrees). A database-backed store
/// implements this over its rows; one that also stores interior node hashes
/// overrides [`LeafSource::perfect_subtree_hash`] so proofs need only
/// O(log n) reads.
pub trait LeafSource {
    /// What a failed read reports.
    type Error: std::error::Error + Send + Sync + 'static;

    /// How many leaves the source holds.
    fn leaf_count(&self) -> Result<u64, Self::Error>;

    /// The leaf hash at `index` (`index < leaf_count()`).
    fn leaf_hash(&self, index: u64) -> Result<Hash, Self::Error>;

    /// The leaf hashes of `start..end`. The default reads them one by one.
    fn leaf_hashes(&self, start: u64, end: u64) -> Result<Vec<Hash>, Self::Error> {
        (start..end).map(|index| self.leaf_hash(index)).collect()
    }

    /// The root of the perfect subtree of `2^level` leaves starting at leaf
    /// `start`, where `start` is a multiple of `2^level`. The default
    /// computes it from the leaves, which costs `2^level` reads and hashes;
    /// stores that keep node hashes answer directly.
    fn perfect_subtree_hash(&self, level: u32, start: u64) -> Result<Hash, Self::Error> {
        let width = 1u64.checked_shl(level).unwrap_or(0);
        let mut layer = self.leaf_hashes(start, start.saturating_add(width))?;
        while layer.len() > 1 {
            layer = layer
                .chunks(2)
                .map(|pair| match pair {
                    [left, right] => node_hash(left, right),
                    [single] => *single,
                    _ => [0; 32],
                })
                .collect();
        }
        Ok(layer.first().copied().unwrap_or([0; 32]))
    }
}

/// RFC 9162 `MTH(D[start:end])` for a subtree of the tree shape (its start
/// aligned as every subtree of the RFC 9162 split rule is), built from
/// O(log n) perfect-subtree reads.
pub fn subtree_hash<S: LeafSource + ?Sized>(
    source: &S,
    start: u64,
    end: u64,
) -> Result<Hash, S::Error> {
    let width = end.saturating_sub(start);
    if width == 0 {
        return Ok(crate::hash::empty_root());
    }
    if width.is_power_of_two() {
        return source.perfect_subtree_hash(width.trailing_zeros(), start);
    }
    // Perfect subtrees of decreasing size, then fold from the right.
    let mut pieces = Vec::with_capacity(64);
    let mut cursor = start;
    while cursor < end {
        let remaining = end - cursor;
        let piece = if remaining.is_power_of_two() {
            remaining
        } else {
            split_point(remaining)
        };
        pieces.push(source.perfect_subtree_hash(piece.trailing_zeros(), cursor)?);
        cursor += piece;
    }
    let mut folded = pieces.iter().rev();
    let last = folded.next().copied().unwrap_or([0; 32]);
    Ok(folded.fold(last, |right, left| node_hash(left, &right)))
}

impl LeafSource for [Hash] {
    type Error = Infallible;

    fn leaf_count(&self) -> Result<u64, Infallible> {
        Ok(self.len() as u64)
    }

    fn leaf_hash(&self, index: u64) -> Result<Hash, Infallible> {
        Ok(usize::try_from(index)
            .ok()
            .and_then(|position| self.get(position))
            .copied()
            .unwrap_or([0; 32]))
    }

    fn leaf_hashes(&self, start: u64, end: u64) -> Result<Vec<Hash>, Infallible> {
        let clamp = |value: u64| usize::try_from(value).unwrap_or(usize::MAX).min(self.len());
        Ok(self
            .get(clamp(start)..clamp(end).max(clamp(start)))
            .unwrap_or_default()
            .to_vec())
    }
}

impl LeafSource for Vec<Hash> {
    type Error = Infallible;

    fn leaf_count(&self) -> Result<u64, Infallible> {
        self.as_slice().leaf_count()
    }

    fn leaf_hash(&self, index: u64) -> Result<Hash, Infallible> {
        self.as_slice().leaf_hash(index)
    }

    fn leaf_hashes(&self, start: u64, end: u64) -> Result<Vec<Hash>, Infallible> {
        self.as_slice().leaf_hashes(start, end)
    }
}

/// An in-memory Merkle tree keeping every level of node hashes:
/// `levels[l][i]` is the root of the perfect subtree of `2^l` leaves starting
/// at leaf `i·2^l`. Uses about twice the memory of the leaf hashes alone
/// (64 MiB per million leaves) and answers any subtree hash in O(1), so
/// inclusion and consistency proofs cost O(log n). The same layout suits a
/// database table keyed by `(level, index)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryTree {
    levels: Vec<Vec<Hash>>,
}

impl MemoryTree {
    /// The empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Build from leaf hashes in order.
    pub fn from_leaf_hashes(leaves: impl IntoIterator<Item = Hash>) -> Self {
        let mut tree = Self::new();
        for leaf in leaves {
            tree.push(leaf);
        }
        tree
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |leaves| leaves.len() as u64)
    }

    /// Append a leaf hash, completing every perfect subtree it closes.
    pub fn push(&mut self, leaf: Hash) {
        let mut carry = leaf;
        let mut level = 0;
        loop {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            let Some(row) = self.levels.get_mut(level) else {
                return;
            };
            row.push(carry);
            if row.len() % 2 == 1 {
                return;
            }
            let right = row.len() - 1;
            carry = node_hash(&row[right - 1], &row[right]);
            level += 1;
        }
    }

    /// The root of the first `size` leaves (`size <= self.size()`), or
    /// `None` when the tree is smaller.
    pub fn root_at(&self, size: u64) -> Option<Hash> {
        if size > self.size() {
            return None;
        }
        if size == 0 {
            return Some(crate::hash::empty_root());
        }
        subtree_hash(self, 0, size).ok()
    }

    /// The root of the whole tree.
    pub fn root(&self) -> Hash {
        self.root_at(self.size())
            .unwrap_or_else(crate::hash::empty_root)
    }
}

/// Reading a [`MemoryTree`] outside its bounds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no node at level {level}, position {position} in a tree of {size} leaves")]
pub struct MissingNode {
    /// Level asked for (0 = leaves).
    pub level: u32,
    /// Position within the level.
    pub position: u64,
    /// Leaves in the tree.
    pub size: u64,
}

impl LeafSource for MemoryTree {
    type Error = MissingNode;

    fn leaf_count(&self) -> Result<u64, MissingNode> {
        Ok(self.size())
    }

    fn leaf_hash(&self, index: u64) -> Result<Hash, MissingNode> {
        self.perfect_subtree_hash(0, index)
    }

    fn perfect_subtree_hash(&self, level: u32, start: u64) -> Result<Hash, MissingNode> {
        let position = start.checked_shr(level).unwrap_or(0);
        let missing = || MissingNode {
            level,
            position,
            size: self.size(),
        };
        let row = usize::try_from(level)
            .ok()
            .and_then(|level| self.levels.get(level))
            .ok_or_else(missing)?;
        usize::try_from(position)
            .ok()
            .and_then(|position| row.get(position))
            .copied()
            .ok_or_else(missing)
    }
}
