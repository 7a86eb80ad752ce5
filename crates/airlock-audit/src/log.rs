//! The log writer: assigns indexes, hashes entries, keeps the Merkle
//! accumulator, produces the row a store keeps for each entry, and signs
//! checkpoints when the [`CheckpointPolicy`] says so or on demand.

use crate::accumulator::{Frontier, FrontierError, MerkleAccumulator};
use crate::checkpoint::{Checkpoint, CheckpointError, CheckpointPolicy};
use crate::entry::AuditEntry;
use crate::hash::{leaf_hash, Hash};
use crate::verify::StoredEntry;
use ed25519_dalek::SigningKey;

/// The identity under which checkpoints are signed.
#[derive(Debug, Clone)]
pub struct CheckpointSigner {
    origin: String,
    key_name: String,
    key: SigningKey,
}

impl CheckpointSigner {
    /// Validate the origin and key name once, so signing cannot fail later.
    pub fn new(origin: &str, key_name: &str, key: SigningKey) -> Result<Self, CheckpointError> {
        // Signing a throwaway checkpoint runs every validation.
        Checkpoint::sign(origin, 0, crate::hash::empty_root(), &key, key_name)?;
        Ok(Self {
            origin: origin.to_owned(),
            key_name: key_name.to_owned(),
            key,
        })
    }

    /// The log's origin line.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The key name in signature lines.
    pub fn key_name(&self) -> &str {
        &self.key_name
    }

    /// Sign a checkpoint for `size` and `root`.
    pub fn sign(&self, size: u64, root: Hash) -> Checkpoint {
        let mut checkpoint = Checkpoint {
            origin: self.origin.clone(),
            size,
            root,
            extensions: Vec::new(),
            signatures: Vec::new(),
        };
        // Origin and key name were validated in `new`, so this cannot fail;
        // a failure would leave the checkpoint unsigned, which verifiers reject.
        let _ = checkpoint.add_signature(&self.key, &self.key_name);
        checkpoint
    }
}

/// The result of appending one entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Appended {
    /// The row to store.
    pub stored: StoredEntry,
    /// A checkpoint, when the policy made one due.
    pub checkpoint: Option<Checkpoint>,
}

/// Appends entries to a log and signs its checkpoints.
#[derive(Debug, Clone)]
pub struct LogWriter {
    tree: MerkleAccumulator,
    policy: CheckpointPolicy,
    signer: CheckpointSigner,
    leaf_bytes: Vec<u8>,
}

impl LogWriter {
    /// A writer for a new, empty log.
    pub fn new(signer: CheckpointSigner, policy: CheckpointPolicy) -> Self {
        Self {
            tree: MerkleAccumulator::new(),
            policy,
            signer,
            leaf_bytes: Vec::with_capacity(256),
        }
    }

    /// A writer resuming a log from its stored frontier.
    pub fn resume(
        frontier: Frontier,
        signer: CheckpointSigner,
        policy: CheckpointPolicy,
    ) -> Result<Self, FrontierError> {
        let mut writer = Self::new(signer, policy);
        writer.tree = MerkleAccumulator::from_frontier(frontier)?;
        Ok(writer)
    }

    /// Append an entry. Its `index` is set to the next position (any value
    /// it carried is replaced). Returns the row to store and, when due, a
    /// signed checkpoint to store and hand to witnesses.
    pub fn append(&mut self, mut entry: AuditEntry) -> Appended {
        entry.index = self.tree.size();
        self.leaf_bytes.clear();
        entry.write_leaf_bytes(&mut self.leaf_bytes);
        let leaf = leaf_hash(&self.leaf_bytes);
        self.tree.push(leaf);
        let root_after = self.tree.root();
        let checkpoint = self
            .policy
            .is_due(self.tree.size())
            .then(|| self.signer.sign(self.tree.size(), root_after));
        Appended {
            stored: StoredEntry {
                entry,
                leaf_hash: leaf,
                root_after,
            },
            checkpoint,
        }
    }

    /// Sign a checkpoint of the current state now.
    pub fn checkpoint(&self) -> Checkpoint {
        self.signer.sign(self.tree.size(), self.tree.root())
    }

    /// Entries appended so far (including those before a resume).
    pub fn size(&self) -> u64 {
        self.tree.size()
    }

    /// The current root.
    pub fn root(&self) -> Hash {
        self.tree.root()
    }

    /// The head to persist for resuming.
    pub fn frontier(&self) -> Frontier {
        self.tree.frontier()
    }
}
