//! Key ids: the short, stable name of an Ed25519 public key, derived from the
//! key itself so that anyone holding the public key can recompute it.

use std::borrow::Borrow;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::error::KeyError;

const PREFIX: &str = "ed25519:";
const HEX_CHARS: usize = 16;

/// `"ed25519:"` + the first 16 lower case hex characters (64 bits) of
/// `sha256(public key bytes)`, for example `ed25519:3f1c0a9be2d47781`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId(String);

impl KeyId {
    /// The key id of the 32 raw bytes of an Ed25519 public key.
    pub fn for_public_key(public_key: &[u8; 32]) -> KeyId {
        let digest = Sha256::digest(public_key);
        let mut id = String::with_capacity(PREFIX.len() + HEX_CHARS);
        id.push_str(PREFIX);
        id.push_str(&hex::encode(&digest[..HEX_CHARS / 2]));
        KeyId(id)
    }

    /// Checks that `text` has the form of a key id.
    pub fn parse(text: &str) -> Result<KeyId, KeyError> {
        let well_formed = text.strip_prefix(PREFIX).is_some_and(|hex_part| {
            hex_part.len() == HEX_CHARS
                && hex_part
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        });
        if well_formed {
            Ok(KeyId(text.to_owned()))
        } else {
            Err(KeyError::InvalidKeyId(text.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Borrow<str> for KeyId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for KeyId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for KeyId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for KeyId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        KeyId::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_id_is_prefix_and_sixteen_hex_chars_of_sha256() {
        let public_key = [7u8; 32];
        let id = KeyId::for_public_key(&public_key);
        let full = hex::encode(Sha256::digest(public_key));
        assert_eq!(id.as_str(), format!("ed25519:{}", &full[..16]));
        assert_eq!(KeyId::parse(id.as_str()).unwrap(), id);
    }

    #[test]
    fn malformed_key_ids_are_refused() {
        for bad in [
            "",
            "ed25519:",
            "ed25519:0123456789abcde",
            "ed25519:0123456789abcdef0",
            "ed25519:0123456789ABCDEF",
            "rsa:0123456789abcdef",
            "ed25519:0123456789abcdeg",
        ] {
            assert!(KeyId::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn key_id_round_trips_through_serde_and_refuses_bad_text() {
        let id = KeyId::for_public_key(&[1u8; 32]);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(serde_json::from_str::<KeyId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<KeyId>("\"nope\"").is_err());
    }
}
