//! Ed25519 key pairs, public keys and signatures, and the one-line text form
//! in which each kind of key is stored.

use std::fmt;

use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::{alphabet, Engine as _};
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};

use crate::error::KeyError;
use crate::key_id::KeyId;

/// First word of a private key file.
pub const SECRET_KEY_HEADER: &str = "airlock-ed25519-secret-v1";
/// First word of a public key file.
pub const PUBLIC_KEY_HEADER: &str = "airlock-ed25519-public-v1";

const STANDARD_ANY_PADDING: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// An Ed25519 signing key with its key id. The secret seed never appears in
/// `Debug` output and is wiped from memory when the pair is dropped.
#[derive(Clone)]
pub struct SigningKeyPair {
    signing_key: SigningKey,
    public_key: PublicKey,
}

impl SigningKeyPair {
    /// A new key pair from 32 bytes of operating-system randomness.
    pub fn generate() -> Result<SigningKeyPair, KeyError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|error| KeyError::Randomness {
            purpose: "generate a signing key",
            reason: error.to_string(),
        })?;
        let pair = SigningKeyPair::from_seed(&seed);
        seed.fill(0);
        Ok(pair)
    }

    /// The key pair whose 32-byte Ed25519 seed (RFC 8032 private key) is `seed`.
    pub fn from_seed(seed: &[u8; 32]) -> SigningKeyPair {
        let signing_key = SigningKey::from_bytes(seed);
        let verifying_key = signing_key.verifying_key();
        SigningKeyPair {
            public_key: PublicKey::from_verifying_key(verifying_key),
            signing_key,
        }
    }

    /// Reads the text of a private key file (`airlock-ed25519-secret-v1 <key id>
    /// <base64 seed>`), checking that the stated key id matches the key.
    pub fn from_secret_file_text(text: &str) -> Result<SigningKeyPair, KeyError> {
        let parsed = parse_key_line(text, SECRET_KEY_HEADER)
            .map_err(|reason| KeyError::MalformedText { reason })?;
        let pair = SigningKeyPair::from_seed(&parsed.key_bytes);
        if pair.key_id().as_str() != parsed.stated_key_id {
            return Err(KeyError::MalformedText {
                reason: format!(
                    "it says it holds key {} but its key is {}",
                    parsed.stated_key_id,
                    pair.key_id()
                ),
            });
        }
        Ok(pair)
    }

    pub(crate) fn to_secret_file_text(&self) -> String {
        format!(
            "{SECRET_KEY_HEADER} {} {}\n",
            self.key_id(),
            STANDARD.encode(self.signing_key.as_bytes())
        )
    }

    pub fn key_id(&self) -> &KeyId {
        self.public_key.key_id()
    }

    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// The underlying Ed25519 key, for signers that take one directly (the
    /// audit log's checkpoints).
    pub fn ed25519(&self) -> &SigningKey {
        &self.signing_key
    }

    /// Signs `message` (deterministic Ed25519, RFC 8032).
    pub fn sign(&self, message: &[u8]) -> Signature {
        Signature(self.signing_key.sign(message))
    }
}

impl fmt::Debug for SigningKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKeyPair")
            .field("key_id", self.key_id())
            .finish_non_exhaustive()
    }
}

/// An Ed25519 public key with its key id.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    verifying_key: VerifyingKey,
    key_id: KeyId,
}

impl PublicKey {
    fn from_verifying_key(verifying_key: VerifyingKey) -> PublicKey {
        PublicKey {
            key_id: KeyId::for_public_key(verifying_key.as_bytes()),
            verifying_key,
        }
    }

    /// The public key with these 32 raw bytes. Refuses bytes that are not a
    /// point on the curve and weak (small-order) keys.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<PublicKey, KeyError> {
        let verifying_key = VerifyingKey::from_bytes(bytes)
            .map_err(|error| KeyError::InvalidPublicKey(error.to_string()))?;
        if verifying_key.is_weak() {
            return Err(KeyError::InvalidPublicKey(
                "weak (small-order) key, which anyone could forge signatures for".to_owned(),
            ));
        }
        Ok(PublicKey::from_verifying_key(verifying_key))
    }

    /// Reads the text of a public key file (`airlock-ed25519-public-v1 <key id>
    /// <base64 public key>`), checking that the stated key id matches the key.
    pub fn from_file_text(text: &str) -> Result<PublicKey, KeyError> {
        let parsed = parse_key_line(text, PUBLIC_KEY_HEADER)
            .map_err(|reason| KeyError::MalformedText { reason })?;
        let key = PublicKey::from_bytes(&parsed.key_bytes)?;
        if key.key_id().as_str() != parsed.stated_key_id {
            return Err(KeyError::MalformedText {
                reason: format!(
                    "it says it holds key {} but its key is {}",
                    parsed.stated_key_id,
                    key.key_id()
                ),
            });
        }
        Ok(key)
    }

    /// The one-line text of this key's public key file.
    pub fn to_file_text(&self) -> String {
        format!(
            "{PUBLIC_KEY_HEADER} {} {}\n",
            self.key_id,
            STANDARD.encode(self.verifying_key.as_bytes())
        )
    }

    pub fn key_id(&self) -> &KeyId {
        &self.key_id
    }

    pub fn to_bytes(&self) -> [u8; 32] {
        self.verifying_key.to_bytes()
    }

    /// Checks `signature` over `message` with this key. Uses strict
    /// verification: malleable signatures and small-order points are refused.
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), KeyError> {
        self.verifying_key
            .verify_strict(message, &signature.0)
            .map_err(|_| KeyError::BadSignature {
                key_id: self.key_id.to_string(),
            })
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

/// A 64-byte Ed25519 signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signature(ed25519_dalek::Signature);

impl Signature {
    /// The signature with these raw bytes; refuses any length other than 64.
    pub fn from_slice(bytes: &[u8]) -> Result<Signature, KeyError> {
        ed25519_dalek::Signature::from_slice(bytes)
            .map(Signature)
            .map_err(|_| {
                KeyError::InvalidSignatureEncoding(format!(
                    "expected 64 bytes, got {}",
                    bytes.len()
                ))
            })
    }

    /// Decodes base64 in the standard or URL-safe alphabet, padded or not.
    pub fn from_base64(text: &str) -> Result<Signature, KeyError> {
        let bytes = decode_base64_any(text)
            .ok_or_else(|| KeyError::InvalidSignatureEncoding("not valid base64".to_owned()))?;
        Signature::from_slice(&bytes)
    }

    pub fn to_bytes(&self) -> [u8; 64] {
        self.0.to_bytes()
    }

    /// Standard base64 with padding.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0.to_bytes())
    }
}

/// Decodes base64 in either the standard or the URL-safe alphabet, with or
/// without padding.
fn decode_base64_any(text: &str) -> Option<Vec<u8>> {
    STANDARD_ANY_PADDING
        .decode(text)
        .or_else(|_| URL_SAFE.decode(text))
        .or_else(|_| URL_SAFE_NO_PAD.decode(text))
        .ok()
}

pub(crate) struct ParsedKeyLine {
    pub(crate) stated_key_id: String,
    pub(crate) key_bytes: [u8; 32],
}

/// Parses the single key line of a key file whose header must be
/// `expected_header`. Errors are the reason, for the caller to place.
pub(crate) fn parse_key_line(text: &str, expected_header: &str) -> Result<ParsedKeyLine, String> {
    let mut key_lines = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'));
    let line = key_lines.next().ok_or_else(|| {
        format!("it holds no key line; expected `{expected_header} <key id> <base64 key>`")
    })?;
    if key_lines.next().is_some() {
        return Err("it holds more than one key line; keep one key per file".to_owned());
    }
    let fields: Vec<&str> = line.split_ascii_whitespace().collect();
    let [header, stated_key_id, encoded_key] = fields.as_slice() else {
        return Err(format!(
            "expected three fields `{expected_header} <key id> <base64 key>`, found {}",
            fields.len()
        ));
    };
    if *header != expected_header {
        let hint = match *header {
            SECRET_KEY_HEADER => {
                "; this is a private key file, use the matching public key (.pub) file"
            }
            PUBLIC_KEY_HEADER => {
                "; this is a public key file, use the matching private key (.key) file"
            }
            _ => "",
        };
        let shown: String = header.chars().take(40).collect();
        return Err(format!(
            "it starts with {shown:?} instead of `{expected_header}`{hint}"
        ));
    }
    KeyId::parse(stated_key_id).map_err(|error| error.to_string())?;
    let decoded = STANDARD
        .decode(encoded_key)
        .map_err(|error| format!("the key is not valid standard base64: {error}"))?;
    let key_bytes: [u8; 32] = decoded
        .as_slice()
        .try_into()
        .map_err(|_| format!("the key is {} bytes long, expected 32", decoded.len()))?;
    Ok(ParsedKeyLine {
        stated_key_id: (*stated_key_id).to_owned(),
        key_bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed_pair() -> SigningKeyPair {
        SigningKeyPair::from_seed(&[42u8; 32])
    }

    #[test]
    fn generated_keys_differ_and_sign_verifiably() {
        let a = SigningKeyPair::generate().unwrap();
        let b = SigningKeyPair::generate().unwrap();
        assert_ne!(a.key_id(), b.key_id());
        let signature = a.sign(b"hello");
        a.public_key().verify(b"hello", &signature).unwrap();
        assert!(a.public_key().verify(b"hellO", &signature).is_err());
        assert!(b.public_key().verify(b"hello", &signature).is_err());
    }

    #[test]
    fn key_id_derives_from_the_public_key() {
        let pair = fixed_pair();
        assert_eq!(
            pair.key_id(),
            &KeyId::for_public_key(&pair.public_key().to_bytes())
        );
    }

    #[test]
    fn secret_and_public_text_round_trip() {
        let pair = fixed_pair();
        let secret_text = pair.to_secret_file_text();
        assert!(secret_text.starts_with("airlock-ed25519-secret-v1 ed25519:"));
        let back = SigningKeyPair::from_secret_file_text(&secret_text).unwrap();
        assert_eq!(back.key_id(), pair.key_id());
        let public_text = pair.public_key().to_file_text();
        let public = PublicKey::from_file_text(&format!("# comment\n\n{public_text}")).unwrap();
        assert_eq!(&public, pair.public_key());
    }

    #[test]
    fn key_text_with_wrong_header_or_id_is_refused_with_a_reason() {
        let pair = fixed_pair();
        let public_text = pair.public_key().to_file_text();
        let error = SigningKeyPair::from_secret_file_text(&public_text).unwrap_err();
        assert!(error.to_string().contains("public key file"), "{error}");

        let other = SigningKeyPair::from_seed(&[1u8; 32]);
        let forged = public_text.replace(pair.key_id().as_str(), other.key_id().as_str());
        let error = PublicKey::from_file_text(&forged).unwrap_err();
        assert!(error.to_string().contains("says it holds key"), "{error}");

        for bad in ["", "airlock-ed25519-public-v1", "x y z", "a\nb\n"] {
            assert!(PublicKey::from_file_text(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn weak_public_keys_are_refused() {
        // The identity point encoding: a small-order point.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(PublicKey::from_bytes(&identity).is_err());
    }

    #[test]
    fn signatures_round_trip_through_base64_in_either_alphabet() {
        let signature = fixed_pair().sign(b"m");
        let standard = signature.to_base64();
        assert_eq!(Signature::from_base64(&standard).unwrap(), signature);
        let url_safe = URL_SAFE_NO_PAD.encode(signature.to_bytes());
        assert_eq!(Signature::from_base64(&url_safe).unwrap(), signature);
        assert!(Signature::from_base64("AAAA").is_err());
        assert!(Signature::from_base64("!!").is_err());
    }

    #[test]
    fn debug_output_hides_the_seed() {
        let pair = fixed_pair();
        let shown = format!("{pair:?}");
        assert!(shown.contains(pair.key_id().as_str()));
        assert!(!shown.contains(&STANDARD.encode([42u8; 32])));
    }
}
