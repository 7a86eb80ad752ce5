//! Signed checkpoints: the tree size and root hash of the log, written as a
//! C2SP `tlog-checkpoint` body inside a C2SP signed note and signed with
//! Ed25519, so an external witness can keep them; plus the policy saying
//! when the log writer issues one.

use crate::hash::Hash;
use base64::{engine::general_purpose::STANDARD as BASE64, Engine as _};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use std::fmt;
use std::num::NonZeroU64;

/// The signature-line prefix: U+2014 EM DASH and a space.
pub const SIGNATURE_PREFIX: &str = "\u{2014} ";
/// The signed-note algorithm byte for Ed25519 keys.
pub const ED25519_ALGORITHM: u8 = 0x01;
/// Largest note accepted by [`Checkpoint::parse`].
pub const MAX_NOTE_BYTES: usize = 1 << 20;
/// Most signature lines accepted by [`Checkpoint::parse`].
pub const MAX_SIGNATURES: usize = 100;

/// Why a checkpoint could not be built, read or trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// The origin is empty or contains a control character.
    #[error("checkpoint origin {0:?} is empty or contains a control character")]
    InvalidOrigin(String),
    /// Key names must be non-empty, without whitespace, `+` or control characters.
    #[error("key name {0:?} is empty or contains whitespace, '+' or a control character")]
    InvalidKeyName(String),
    /// The note is larger than [`MAX_NOTE_BYTES`].
    #[error("note is {0} bytes, more than the {MAX_NOTE_BYTES} accepted")]
    TooLarge(usize),
    /// The note contains an ASCII control character other than newline.
    #[error("note contains a control character other than newline")]
    ControlCharacter,
    /// No blank line separates the text from the signatures.
    #[error("note has no blank line before its signatures")]
    MissingSignatureSeparator,
    /// The body does not have an origin, a size and a root line.
    #[error("checkpoint body needs origin, size and root lines")]
    MissingBodyLines,
    /// The size line is not a decimal number without leading zeros.
    #[error("checkpoint size line {0:?} is not a decimal number without leading zeros")]
    InvalidSize(String),
    /// The root line is not the base64 of 32 bytes.
    #[error("checkpoint root line {0:?} is not the base64 encoding of a 32-byte hash")]
    InvalidRoot(String),
    /// An extension line is empty.
    #[error("checkpoint has an empty extension line")]
    EmptyExtensionLine,
    /// The note does not end with a newline.
    #[error("note does not end with a newline")]
    MissingFinalNewline,
    /// A signature line is malformed.
    #[error("malformed signature line {0:?}")]
    InvalidSignatureLine(String),
    /// The note has no signature line.
    #[error("note has no signature")]
    NoSignatures,
    /// The note has more than [`MAX_SIGNATURES`] signature lines.
    #[error("note has more than {MAX_SIGNATURES} signatures")]
    TooManySignatures,
    /// No signature line belongs to the verifying key.
    #[error("no signature by the given key")]
    NoSignatureByKey,
    /// The signature by the verifying key is invalid.
    #[error("signature by key {0:?} is invalid")]
    BadSignature(String),
}

/// One signature line of a signed note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// The signer's key name.
    pub key_name: String,
    /// First 4 bytes of `SHA-256(key_name ‖ 0x0A ‖ 0x01 ‖ public_key)` for Ed25519.
    pub key_id: [u8; 4],
    /// The signature bytes (64 for Ed25519).
    pub signature: Vec<u8>,
}

/// A signed statement "the log `origin` has `size` entries and root `root`".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Which log: e.g. `airlock/<tenant>` or a configured origin.
    pub origin: String,
    /// Number of entries covered.
    pub size: u64,
    /// RFC 9162 root of the first `size` entries.
    pub root: Hash,
    /// Optional further body lines, kept verbatim and covered by signatures.
    pub extensions: Vec<String>,
    /// The signature lines.
    pub signatures: Vec<NoteSignature>,
}

/// The signed-note key ID of an Ed25519 key under `key_name`.
pub fn ed25519_key_id(key_name: &str, key: &VerifyingKey) -> [u8; 4] {
    let mut hasher = Sha256::new();
    hasher.update(key_name.as_bytes());
    hasher.update([b'\n', ED25519_ALGORITHM]);
    hasher.update(key.as_bytes());
    let digest = hasher.finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

fn check_origin(origin: &str) -> Result<(), CheckpointError> {
    if origin.is_empty() || origin.chars().any(char::is_control) {
        return Err(CheckpointError::InvalidOrigin(origin.to_owned()));
    }
    Ok(())
}

fn check_key_name(name: &str) -> Result<(), CheckpointError> {
    if name.is_empty()
        || name
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || c.is_control())
    {
        return Err(CheckpointError::InvalidKeyName(name.to_owned()));
    }
    Ok(())
}

impl Checkpoint {
    /// Build and sign a checkpoint with one Ed25519 signature.
    pub fn sign(
        origin: &str,
        size: u64,
        root: Hash,
        key: &SigningKey,
        key_name: &str,
    ) -> Result<Checkpoint, CheckpointError> {
        check_origin(origin)?;
        check_key_name(key_name)?;
        let mut checkpoint = Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions: Vec::new(),
            signatures: Vec::new(),
        };
        checkpoint.add_signature(key, key_name)?;
        Ok(checkpoint)
    }

    /// Add an Ed25519 signature over the body (e.g. a witness cosigning).
    pub fn add_signature(
        &mut self,
        key: &SigningKey,
        key_name: &str,
    ) -> Result<(), CheckpointError> {
        check_key_name(key_name)?;
        let signature = key.sign(self.body().as_bytes());
        self.signatures.push(NoteSignature {
            key_name: key_name.to_owned(),
            key_id: ed25519_key_id(key_name, &key.verifying_key()),
            signature: signature.to_bytes().to_vec(),
        });
        Ok(())
    }

    /// The signed text: origin, size and base64 root lines, then any
    /// extension lines, each ending in a newline.
    pub fn body(&self) -> String {
        let mut body = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            BASE64.encode(self.root)
        );
        for line in &self.extensions {
            body.push_str(line);
            body.push('\n');
        }
        body
    }

    /// Verify the signature made by `key`: the first signature line whose
    /// key ID matches `key` under its name decides (a line that matches
    /// and fails rejects the checkpoint).
    pub fn verify(&self, key: &VerifyingKey) -> Result<(), CheckpointError> {
        let body = self.body();
        for line in &self.signatures {
            if line.key_id != ed25519_key_id(&line.key_name, key) {
                continue;
            }
            let bad = || CheckpointError::BadSignature(line.key_name.clone());
            let signature = Signature::from_slice(&line.signature).map_err(|_| bad())?;
            return key
                .verify_strict(body.as_bytes(), &signature)
                .map_err(|_| bad());
        }
        Err(CheckpointError::NoSignatureByKey)
    }

    /// Read a checkpoint note. Strict: any deviation from the format is an
    /// error, never a panic.
    pub fn parse(text: &str) -> Result<Checkpoint, CheckpointError> {
        if text.len() > MAX_NOTE_BYTES {
            return Err(CheckpointError::TooLarge(text.len()));
        }
        if text.chars().any(|c| c.is_ascii_control() && c != '\n') {
            return Err(CheckpointError::ControlCharacter);
        }
        let separator = text
            .rfind("\n\n")
            .ok_or(CheckpointError::MissingSignatureSeparator)?;
        let (body, signature_block) = text.split_at(separator + 1);
        let signature_block = signature_block
            .strip_prefix('\n')
            .ok_or(CheckpointError::MissingSignatureSeparator)?;

        let body_text = body
            .strip_suffix('\n')
            .ok_or(CheckpointError::MissingFinalNewline)?;
        let mut lines = body_text.split('\n');
        let (Some(origin), Some(size_line), Some(root_line)) =
            (lines.next(), lines.next(), lines.next())
        else {
            return Err(CheckpointError::MissingBodyLines);
        };
        check_origin(origin)?;
        let size = parse_size(size_line)?;
        let root = parse_root(root_line)?;
        let extensions = lines
            .map(|line| {
                if line.is_empty() {
                    Err(CheckpointError::EmptyExtensionLine)
                } else {
                    Ok(line.to_owned())
                }
            })
            .collect::<Result<Vec<_>, _>>()?;

        if signature_block.is_empty() {
            return Err(CheckpointError::NoSignatures);
        }
        let signature_lines = signature_block
            .strip_suffix('\n')
            .ok_or(CheckpointError::MissingFinalNewline)?;
        let mut signatures = Vec::new();
        for line in signature_lines.split('\n') {
            if signatures.len() == MAX_SIGNATURES {
                return Err(CheckpointError::TooManySignatures);
            }
            signatures.push(parse_signature_line(line)?);
        }
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
            signatures,
        })
    }
}

fn parse_size(line: &str) -> Result<u64, CheckpointError> {
    let invalid = || CheckpointError::InvalidSize(line.to_owned());
    if line.is_empty()
        || !line.bytes().all(|byte| byte.is_ascii_digit())
        || (line.len() > 1 && line.starts_with('0'))
    {
        return Err(invalid());
    }
    line.parse().map_err(|_| invalid())
}

fn parse_root(line: &str) -> Result<Hash, CheckpointError> {
    let invalid = || CheckpointError::InvalidRoot(line.to_owned());
    let bytes = BASE64.decode(line).map_err(|_| invalid())?;
    Hash::try_from(bytes.as_slice()).map_err(|_| invalid())
}

fn parse_signature_line(line: &str) -> Result<NoteSignature, CheckpointError> {
    let invalid = || CheckpointError::InvalidSignatureLine(line.to_owned());
    let rest = line.strip_prefix(SIGNATURE_PREFIX).ok_or_else(invalid)?;
    let (key_name, encoded) = rest.split_once(' ').ok_or_else(invalid)?;
    check_key_name(key_name).map_err(|_| invalid())?;
    let bytes = BASE64.decode(encoded).map_err(|_| invalid())?;
    let (Some(key_id), Some(signature)) = (bytes.get(..4), bytes.get(4..)) else {
        return Err(invalid());
    };
    if signature.is_empty() {
        return Err(invalid());
    }
    let key_id = <[u8; 4]>::try_from(key_id).map_err(|_| invalid())?;
    Ok(NoteSignature {
        key_name: key_name.to_owned(),
        key_id,
        signature: signature.to_vec(),
    })
}

/// The full note text: body, blank line, one line per signature.
impl fmt::Display for Checkpoint {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.body())?;
        formatter.write_str("\n")?;
        for line in &self.signatures {
            let mut payload = line.key_id.to_vec();
            payload.extend_from_slice(&line.signature);
            writeln!(
                formatter,
                "{SIGNATURE_PREFIX}{} {}",
                line.key_name,
                BASE64.encode(payload)
            )?;
        }
        Ok(())
    }
}

/// When the log writer issues checkpoints by itself. A checkpoint can
/// always also be requested on demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CheckpointPolicy {
    /// Issue one whenever the log size becomes a multiple of this.
    pub every_entries: Option<NonZeroU64>,
}

impl CheckpointPolicy {
    /// A checkpoint every `entries` entries (0 means on demand only).
    pub fn every(entries: u64) -> Self {
        Self {
            every_entries: NonZeroU64::new(entries),
        }
    }

    /// Only on demand.
    pub fn on_demand() -> Self {
        Self::default()
    }

    /// Whether a log that just reached `size` entries is due a checkpoint.
    pub fn is_due(&self, size: u64) -> bool {
        self.every_entries
            .is_some_and(|every| size > 0 && size.is_multiple_of(every.get()))
    }
}
