//! Ed25519 key management for airlock: generating signing keys, naming them
//! by key id, storing them in key files with safe permissions, and verifying
//! signatures against a set of trusted public keys (several at once, so keys
//! can be rotated).
//!
//! The key id of a public key is `"ed25519:"` followed by the first 16 lower
//! case hex characters of the SHA-256 digest of the 32 raw public key bytes
//! (see [`KeyId::for_public_key`]).
//!
//! Key files are single-line text files (blank lines and `#` comment lines are
//! ignored):
//!
//! ```text
//! airlock-ed25519-secret-v1 ed25519:<16 hex> <base64 of the 32-byte seed>
//! airlock-ed25519-public-v1 ed25519:<16 hex> <base64 of the 32-byte public key>
//! ```
//!
//! Private key files are written with mode `0600` and refused when group or
//! others can read them; public key files are written with mode `0644`.

mod error;
mod files;
mod key_id;
mod keypair;
mod trusted;

pub use error::KeyError;
pub use files::{
    load_or_generate, read_public_key, read_signing_key, write_keypair, write_public_key, KeyPaths,
    MAX_KEY_FILE_BYTES, PUBLIC_KEY_FILE_MODE, SECRET_KEY_FILE_MODE,
};
pub use key_id::KeyId;
pub use keypair::{PublicKey, Signature, SigningKeyPair, PUBLIC_KEY_HEADER, SECRET_KEY_HEADER};
pub use trusted::TrustedKeys;
