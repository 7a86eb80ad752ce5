//! airlock's tamper-evident audit log core, independent of storage.
//!
//! Every event (request, decision, approval, receipt, revocation, policy
//! change, ...) is an [`AuditEntry`] whose canonical JSON is a leaf of an
//! RFC 9162 Merkle tree. A [`LogWriter`] appends entries, keeps the tree's
//! O(log n) frontier ([`MerkleAccumulator`]) and signs [`Checkpoint`]s
//! (C2SP checkpoint / signed-note text, Ed25519). [`inclusion_proof`] and
//! [`consistency_proof`] read any [`LeafSource`]; [`verify_log`] replays a
//! stored log and names the first tampered index. The formats are specified
//! in `docs/audit-log.md`.

pub mod accumulator;
pub mod canonical;
pub mod checkpoint;
pub mod entry;
pub mod hash;
pub mod log;
pub mod proof;
pub mod source;
pub mod verify;

pub use accumulator::{Frontier, FrontierError, MerkleAccumulator};
pub use checkpoint::{
    ed25519_key_id, Checkpoint, CheckpointError, CheckpointPolicy, NoteSignature,
};
pub use entry::{AuditEntry, EntryKind, LeafBytesError, Timestamp, TimestampError};
pub use hash::{empty_root, leaf_hash, node_hash, Hash};
pub use log::{Appended, CheckpointSigner, LogWriter};
pub use proof::{
    consistency_proof, inclusion_proof, verify_consistency, verify_inclusion, ProofError,
    ProofVerifyError,
};
pub use source::{subtree_hash, LeafSource, MemoryTree, MissingNode};
pub use verify::{
    verify_checkpoint_signatures, verify_log, LogReplay, StoredEntry, VerifyFailure, VerifyReport,
};
