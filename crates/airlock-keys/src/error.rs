//! The error type of key generation, key files and signature checks. Each
//! message says what went wrong, where (the file path when there is one) and
//! how to fix it.

use std::path::PathBuf;

/// Everything that can go wrong while creating, storing, loading or using keys.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot get random bytes from the operating system to {purpose}: {reason}")]
    Randomness {
        purpose: &'static str,
        reason: String,
    },

    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "refusing to overwrite existing key file {path}; move it away first or ask for the \
         existing key to be overwritten"
    )]
    AlreadyExists { path: PathBuf },

    #[error("{path} is not a usable key file path: {reason}")]
    InvalidPath { path: PathBuf, reason: &'static str },

    #[error(
        "private key file {path} is readable by group or others (mode {mode:04o}); \
         run `chmod 600 {path}` and make sure only the key's owner can read it",
        path = .path.display()
    )]
    InsecurePermissions { path: PathBuf, mode: u32 },

    #[error("{path} is not a regular file; point airlock at the key file itself")]
    NotAFile { path: PathBuf },

    #[error("key file {path} is larger than {limit} bytes; key files are a single short line")]
    FileTooLarge { path: PathBuf, limit: u64 },

    #[error("{path} is not a valid airlock key file: {reason}")]
    MalformedFile { path: PathBuf, reason: String },

    #[error("not a valid airlock key: {reason}")]
    MalformedText { reason: String },

    #[error(
        "key file {path} says it holds key {stated} but its key is {actual}; the file was \
         edited or corrupted, restore it from a copy or generate a new key"
    )]
    KeyIdMismatch {
        path: PathBuf,
        stated: String,
        actual: String,
    },

    #[error("invalid key id {0:?}: expected `ed25519:` followed by 16 lower case hex characters")]
    InvalidKeyId(String),

    #[error("invalid Ed25519 public key: {0}")]
    InvalidPublicKey(String),

    #[error(
        "two different trusted public keys share key id {key_id} (second one from {origin}); \
         remove one of them"
    )]
    KeyIdConflict { key_id: String, origin: String },

    #[error("no public key files (*.pub) in trusted key directory {dir}; add the signer's public key there")]
    NoTrustedKeys { dir: PathBuf },

    #[error("key {0} is not among the trusted keys")]
    UnknownKey(String),

    #[error(
        "signature by {key_id} does not verify: the message was altered or signed by another key"
    )]
    BadSignature { key_id: String },

    #[error("invalid signature encoding: {0}")]
    InvalidSignatureEncoding(String),
}
