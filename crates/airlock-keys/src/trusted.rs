//! Trusted public keys: the set of keys whose signatures airlock accepts,
//! looked up by key id. Holding several keys at once lets a signing key be
//! rotated: add the new key, switch the signer, later remove the old key.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::KeyError;
use crate::files::read_public_key;
use crate::key_id::KeyId;
use crate::keypair::{PublicKey, Signature};

/// Public keys by key id.
#[derive(Debug, Clone, Default)]
pub struct TrustedKeys {
    keys: BTreeMap<KeyId, PublicKey>,
}

impl TrustedKeys {
    pub fn new() -> TrustedKeys {
        TrustedKeys::default()
    }

    /// Adds `key`. Adding a key that is already present does nothing; a
    /// different key with the same key id is refused.
    pub fn insert(&mut self, key: PublicKey) -> Result<(), KeyError> {
        self.insert_from(key, "the caller")
    }

    fn insert_from(&mut self, key: PublicKey, origin: &str) -> Result<(), KeyError> {
        match self.keys.get(key.key_id()) {
            Some(existing) if existing == &key => Ok(()),
            Some(_) => Err(KeyError::KeyIdConflict {
                key_id: key.key_id().to_string(),
                origin: origin.to_owned(),
            }),
            None => {
                self.keys.insert(key.key_id().clone(), key);
                Ok(())
            }
        }
    }

    /// Removes the key with this id, returning it if it was trusted.
    pub fn remove(&mut self, key_id: &str) -> Option<PublicKey> {
        self.keys.remove(key_id)
    }

    pub fn get(&self, key_id: &str) -> Option<&PublicKey> {
        self.keys.get(key_id)
    }

    pub fn contains(&self, key_id: &str) -> bool {
        self.keys.contains_key(key_id)
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The trusted keys in key id order.
    pub fn iter(&self) -> impl Iterator<Item = &PublicKey> {
        self.keys.values()
    }

    pub fn key_ids(&self) -> impl Iterator<Item = &KeyId> {
        self.keys.keys()
    }

    /// Loads the public key files at `paths`.
    pub fn from_files<P: AsRef<Path>>(
        paths: impl IntoIterator<Item = P>,
    ) -> Result<TrustedKeys, KeyError> {
        let mut trusted = TrustedKeys::new();
        for path in paths {
            let path = path.as_ref();
            let key = read_public_key(path)?;
            trusted.insert_from(key, &path.display().to_string())?;
        }
        Ok(trusted)
    }

    /// Loads every `*.pub` file in `dir` (not recursively), in name order.
    /// A directory without any is an error: it would trust nothing.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<TrustedKeys, KeyError> {
        let dir = dir.as_ref();
        let entries = std::fs::read_dir(dir).map_err(|source| KeyError::Io {
            action: "list trusted key directory",
            path: dir.to_path_buf(),
            source,
        })?;
        let mut paths = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| KeyError::Io {
                action: "list trusted key directory",
                path: dir.to_path_buf(),
                source,
            })?;
            let path = entry.path();
            if path.extension().is_some_and(|extension| extension == "pub") {
                paths.push(path);
            }
        }
        if paths.is_empty() {
            return Err(KeyError::NoTrustedKeys {
                dir: dir.to_path_buf(),
            });
        }
        paths.sort();
        TrustedKeys::from_files(paths)
    }

    /// Checks that `signature` over `message` was made by the trusted key
    /// `key_id`.
    pub fn verify(
        &self,
        key_id: &str,
        message: &[u8],
        signature: &Signature,
    ) -> Result<(), KeyError> {
        let key = self
            .get(key_id)
            .ok_or_else(|| KeyError::UnknownKey(key_id.to_owned()))?;
        key.verify(message, signature)
    }
}

impl FromIterator<PublicKey> for TrustedKeys {
    /// Collects keys; of several different keys sharing one key id, the first wins.
    fn from_iter<I: IntoIterator<Item = PublicKey>>(keys: I) -> TrustedKeys {
        let mut trusted = TrustedKeys::new();
        for key in keys {
            trusted.keys.entry(key.key_id().clone()).or_insert(key);
        }
        trusted
    }
}
