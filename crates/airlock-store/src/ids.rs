//! Identifiers and secrets: validated tenant ids, random object ids, and
//! bearer tokens (256 random bits, shown once, stored only as SHA-256).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{StoreError, StoreResult};

/// Longest accepted tenant id, in bytes.
pub const MAX_TENANT_ID_LEN: usize = 128;

/// A tenant's id: 1 to 128 characters from `A-Z a-z 0-9 . _ -`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TenantId(String);

impl TenantId {
    /// Validates `id`.
    pub fn new(id: impl Into<String>) -> StoreResult<TenantId> {
        let id = id.into();
        let well_formed = !id.is_empty()
            && id.len() <= MAX_TENANT_ID_LEN
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if well_formed {
            Ok(TenantId(id))
        } else {
            Err(StoreError::InvalidInput(format!(
                "tenant id {id:?} must be 1 to {MAX_TENANT_ID_LEN} characters of A-Z a-z 0-9 . _ -"
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for TenantId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for TenantId {
    type Error = StoreError;
    fn try_from(id: String) -> StoreResult<TenantId> {
        TenantId::new(id)
    }
}

impl From<TenantId> for String {
    fn from(id: TenantId) -> String {
        id.0
    }
}

/// A bearer token in plain text. It exists only in the answer to the call
/// that created it; the store keeps its [`TokenHash`]. `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedToken(String);

impl IssuedToken {
    /// `alk_` followed by 256 random bits in unpadded base64url.
    pub fn generate() -> StoreResult<IssuedToken> {
        let bytes = random_bytes::<32>()?;
        Ok(IssuedToken(format!(
            "alk_{}",
            URL_SAFE_NO_PAD.encode(bytes)
        )))
    }

    /// The token text, to show to its holder once.
    pub fn reveal(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> TokenHash {
        TokenHash::of(&self.0)
    }
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IssuedToken(<redacted>)")
    }
}

/// Lower-case hex SHA-256 of a token's text: what the store keeps and looks
/// tokens up by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenHash(String);

impl TokenHash {
    pub fn of(token: &str) -> TokenHash {
        TokenHash(hex::encode(Sha256::digest(token.as_bytes())))
    }

    pub fn as_hex(&self) -> &str {
        &self.0
    }
}

/// `prefix` followed by 128 random bits in lower-case hex (`req_3f…`).
pub fn random_id(prefix: &str) -> StoreResult<String> {
    Ok(format!("{prefix}{}", hex::encode(random_bytes::<16>()?)))
}

fn random_bytes<const N: usize>() -> StoreResult<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|error| StoreError::Randomness(error.to_string()))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_ids_are_validated() {
        assert!(TenantId::new("acme-prod_1.eu").is_ok());
        assert!(TenantId::new("").is_err());
        assert!(TenantId::new("a b").is_err());
        assert!(TenantId::new("x'; drop table").is_err());
        assert!(TenantId::new("a".repeat(129)).is_err());
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = IssuedToken::generate().unwrap();
        let b = IssuedToken::generate().unwrap();
        assert_ne!(a, b);
        assert!(a.reveal().starts_with("alk_"));
        assert_eq!(a.reveal().len(), 4 + 43);
        assert_eq!(a.hash().as_hex().len(), 64);
        assert!(!format!("{a:?}").contains(a.reveal()));
        assert_eq!(a.hash(), TokenHash::of(a.reveal()));
    }
}
