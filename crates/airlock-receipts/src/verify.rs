//! Offline receipt verification: the checks a deploy pipeline runs before it
//! deploys, each failure a distinct [`VerifyError`] naming its reason.
//!
//! Order of checks: size, envelope JSON, payload type, payload encoding,
//! signatures (at least one valid signature by a trusted, unrevoked key),
//! statement JSON and form, statement type, predicate type, subject digest,
//! action digest, environment, validity window, policy version pin.

use airlock_keys::{KeyId, PublicKey, Signature, TrustedKeys};
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use crate::dsse::{pae, Envelope, IN_TOTO_PAYLOAD_TYPE};
use crate::statement::{
    is_lower_hex, is_sha256_digest, shorten, ReceiptPredicate, Statement, RECEIPT_PREDICATE_TYPE,
    STATEMENT_TYPE,
};

/// Envelopes larger than this are refused before parsing.
pub const MAX_ENVELOPE_BYTES: usize = 1024 * 1024;
/// Envelopes with more signatures than this are refused, bounding the work.
pub const MAX_SIGNATURES: usize = 16;
/// How far before `issued_at` a verifier's clock may be and still accept.
pub const DEFAULT_CLOCK_SKEW: Duration = Duration::seconds(60);

/// The artifact a receipt must be for.
#[derive(Debug, Clone, Copy)]
pub enum ExpectedSubject<'a> {
    /// The artifact's bytes; verification hashes them with SHA-256.
    Bytes(&'a [u8]),
    /// The artifact's SHA-256, as 64 hex characters, with or without a
    /// `sha256:` prefix.
    Sha256(&'a str),
}

/// What a receipt is checked against.
#[derive(Debug, Clone)]
pub struct VerifyOptions<'a> {
    /// Keys whose signatures are accepted.
    pub trusted: &'a TrustedKeys,
    /// The verifier's current time.
    pub now: OffsetDateTime,
    /// When set, one of the receipt's subjects must have this digest.
    pub subject: Option<ExpectedSubject<'a>>,
    /// When set, the receipt's `action_digest` must equal it.
    pub action_digest: Option<&'a str>,
    /// When set, the receipt's environment must equal it.
    pub environment: Option<&'a str>,
    /// When set, the receipt's `policy_version` must equal it.
    pub policy_version_pin: Option<&'a str>,
    /// Keys no longer accepted even though they may still be trusted.
    pub revoked_keys: &'a [KeyId],
    /// Tolerance for a verifier clock that runs behind the issuer's.
    pub clock_skew: Duration,
}

impl<'a> VerifyOptions<'a> {
    /// Checks signatures, form and validity time only; set the other fields
    /// (or use the `with_` methods) to check subject, environment and policy.
    pub fn new(trusted: &'a TrustedKeys, now: OffsetDateTime) -> VerifyOptions<'a> {
        VerifyOptions {
            trusted,
            now,
            subject: None,
            action_digest: None,
            environment: None,
            policy_version_pin: None,
            revoked_keys: &[],
            clock_skew: DEFAULT_CLOCK_SKEW,
        }
    }

    pub fn with_subject_bytes(mut self, bytes: &'a [u8]) -> Self {
        self.subject = Some(ExpectedSubject::Bytes(bytes));
        self
    }

    pub fn with_environment(mut self, environment: &'a str) -> Self {
        self.environment = Some(environment);
        self
    }

    pub fn with_policy_version_pin(mut self, policy_version: &'a str) -> Self {
        self.policy_version_pin = Some(policy_version);
        self
    }

    pub fn with_action_digest(mut self, action_digest: &'a str) -> Self {
        self.action_digest = Some(action_digest);
        self
    }

    pub fn with_revoked_keys(mut self, revoked_keys: &'a [KeyId]) -> Self {
        self.revoked_keys = revoked_keys;
        self
    }
}

/// A receipt that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedReceipt {
    /// The trusted key whose signature was accepted.
    pub key_id: KeyId,
    pub statement: Statement,
}

impl VerifiedReceipt {
    pub fn predicate(&self) -> &ReceiptPredicate {
        &self.statement.predicate
    }
}

/// Why a receipt was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("receipt too large: {size} bytes, the limit is {limit}")]
    EnvelopeTooLarge { size: usize, limit: usize },
    #[error("malformed envelope: {0}")]
    MalformedEnvelope(String),
    #[error("wrong payload type {found:?}: a receipt has payload type {IN_TOTO_PAYLOAD_TYPE:?}")]
    WrongPayloadType { found: String },
    #[error("malformed payload: not valid base64")]
    MalformedPayloadEncoding,
    #[error("receipt is not signed")]
    NoSignatures,
    #[error("receipt has {count} signatures, more than the {limit} accepted")]
    TooManySignatures { count: usize, limit: usize },
    #[error("payload altered: signature by {key_id} does not verify")]
    SignatureInvalid { key_id: String },
    #[error("signed by revoked key {key_id}")]
    RevokedKey { key_id: String },
    #[error("signed by untrusted key {}", .key_ids.join(", "))]
    UntrustedKey { key_ids: Vec<String> },
    #[error("malformed statement: {0}")]
    MalformedStatement(String),
    #[error("wrong statement type {found:?}: expected {STATEMENT_TYPE:?}")]
    WrongStatementType { found: String },
    #[error("wrong predicate type {found:?}: expected {RECEIPT_PREDICATE_TYPE:?}")]
    WrongPredicateType { found: String },
    #[error("subject digest mismatch: receipt is for {receipt}, file is {file}")]
    SubjectMismatch { receipt: String, file: String },
    #[error("action digest mismatch: receipt is for {receipt}, action is {expected}")]
    ActionDigestMismatch { receipt: String, expected: String },
    #[error("environment mismatch: receipt is for {receipt:?}, not {expected:?}")]
    EnvironmentMismatch { receipt: String, expected: String },
    #[error("receipt not yet valid: issued at {issued_at}, now is {now}")]
    NotYetValid { issued_at: String, now: String },
    #[error("receipt expired at {expires_at} (now is {now})")]
    Expired { expires_at: String, now: String },
    #[error("policy version mismatch: receipt was approved under {receipt}, pinned is {pinned}")]
    PolicyVersionMismatch { receipt: String, pinned: String },
    #[error("receipt {receipt} was revoked at {at}")]
    ReceiptRevoked { receipt: String, at: String },
    #[error("the receipt's agent {agent} was revoked at {at}")]
    AgentRevoked { agent: String, at: String },
    #[error("revocation list refused: {0}")]
    RevocationListInvalid(String),
    #[error("revocation list too old: issued at {issued_at}, older than {max_age}")]
    RevocationListStale { issued_at: String, max_age: String },
}

/// Verifies the JSON text of a receipt envelope. Never panics; refuses
/// input over [`MAX_ENVELOPE_BYTES`].
pub fn verify(
    envelope_json: &str,
    options: &VerifyOptions<'_>,
) -> Result<VerifiedReceipt, VerifyError> {
    if envelope_json.len() > MAX_ENVELOPE_BYTES {
        return Err(VerifyError::EnvelopeTooLarge {
            size: envelope_json.len(),
            limit: MAX_ENVELOPE_BYTES,
        });
    }
    let envelope: Envelope = serde_json::from_str(envelope_json)
        .map_err(|error| VerifyError::MalformedEnvelope(shorten(&error.to_string())))?;
    verify_envelope(&envelope, options)
}

/// Verifies an already parsed envelope (every check of [`verify`] after parsing).
pub fn verify_envelope(
    envelope: &Envelope,
    options: &VerifyOptions<'_>,
) -> Result<VerifiedReceipt, VerifyError> {
    if envelope.payload_type != IN_TOTO_PAYLOAD_TYPE {
        return Err(VerifyError::WrongPayloadType {
            found: shorten(&envelope.payload_type),
        });
    }
    let payload = envelope
        .decode_payload()
        .ok_or(VerifyError::MalformedPayloadEncoding)?;
    let key_id = check_signatures(envelope, &payload, options.trusted, options.revoked_keys)?;

    let statement: Statement = parse_statement(&payload)?;
    statement
        .check_well_formed()
        .map_err(VerifyError::MalformedStatement)?;
    check_statement(&statement, options)?;
    Ok(VerifiedReceipt { key_id, statement })
}

/// Returns the id of a trusted, unrevoked key with a valid signature over the
/// PAE. The `keyid` of a signature is only a hint: when it names no trusted
/// key, every trusted key is tried.
pub(crate) fn check_signatures(
    envelope: &Envelope,
    payload: &[u8],
    trusted: &TrustedKeys,
    revoked_keys: &[KeyId],
) -> Result<KeyId, VerifyError> {
    if envelope.signatures.is_empty() {
        return Err(VerifyError::NoSignatures);
    }
    if envelope.signatures.len() > MAX_SIGNATURES {
        return Err(VerifyError::TooManySignatures {
            count: envelope.signatures.len(),
            limit: MAX_SIGNATURES,
        });
    }
    let signed_message = pae(&envelope.payload_type, payload);
    let is_revoked = |key: &PublicKey| revoked_keys.contains(key.key_id());

    let mut invalid_by_trusted: Option<String> = None;
    let mut valid_but_revoked: Option<String> = None;
    let mut untrusted: Vec<String> = Vec::new();

    for entry in &envelope.signatures {
        let named_key = trusted.get(&entry.keyid);
        let signature = match Signature::from_base64(&entry.sig) {
            Ok(signature) => signature,
            Err(_) => {
                match named_key {
                    Some(key) => {
                        invalid_by_trusted.get_or_insert_with(|| key.key_id().to_string());
                    }
                    None => untrusted.push(describe_key_id(&entry.keyid)),
                }
                continue;
            }
        };
        let candidates: Vec<&PublicKey> = match named_key {
            Some(key) => vec![key],
            None => trusted.iter().collect(),
        };
        let verified_by = candidates
            .into_iter()
            .find(|key| key.verify(&signed_message, &signature).is_ok());
        match (verified_by, named_key) {
            (Some(key), _) if !is_revoked(key) => return Ok(key.key_id().clone()),
            (Some(key), _) => {
                valid_but_revoked.get_or_insert_with(|| key.key_id().to_string());
            }
            (None, Some(key)) => {
                invalid_by_trusted.get_or_insert_with(|| key.key_id().to_string());
            }
            (None, None) => untrusted.push(describe_key_id(&entry.keyid)),
        }
    }
    if let Some(key_id) = invalid_by_trusted {
        return Err(VerifyError::SignatureInvalid { key_id });
    }
    if let Some(key_id) = valid_but_revoked {
        return Err(VerifyError::RevokedKey { key_id });
    }
    Err(VerifyError::UntrustedKey { key_ids: untrusted })
}

fn describe_key_id(key_id: &str) -> String {
    if key_id.is_empty() {
        "(no key id)".to_owned()
    } else {
        shorten(key_id)
    }
}

fn parse_statement(payload: &[u8]) -> Result<Statement, VerifyError> {
    // Read the two type fields first, so that a statement of another kind is
    // reported as such rather than as a field mismatch.
    #[derive(serde::Deserialize)]
    struct StatementTypes {
        #[serde(rename = "_type")]
        statement_type: Option<String>,
        #[serde(rename = "predicateType")]
        predicate_type: Option<String>,
    }
    let types: StatementTypes = serde_json::from_slice(payload)
        .map_err(|error| VerifyError::MalformedStatement(shorten(&error.to_string())))?;
    let statement_type = types.statement_type.unwrap_or_default();
    if statement_type != STATEMENT_TYPE {
        return Err(VerifyError::WrongStatementType {
            found: shorten(&statement_type),
        });
    }
    let predicate_type = types.predicate_type.unwrap_or_default();
    if predicate_type != RECEIPT_PREDICATE_TYPE {
        return Err(VerifyError::WrongPredicateType {
            found: shorten(&predicate_type),
        });
    }
    serde_json::from_slice(payload)
        .map_err(|error| VerifyError::MalformedStatement(shorten(&error.to_string())))
}

fn check_statement(statement: &Statement, options: &VerifyOptions<'_>) -> Result<(), VerifyError> {
    let predicate = &statement.predicate;

    if let Some(expected) = options.subject {
        let file_digest = match expected {
            ExpectedSubject::Bytes(bytes) => hex::encode(Sha256::digest(bytes)),
            ExpectedSubject::Sha256(text) => {
                let hex_part = text.strip_prefix("sha256:").unwrap_or(text);
                hex_part.to_ascii_lowercase()
            }
        };
        let matches = is_lower_hex(&file_digest, 64)
            && statement
                .subject
                .iter()
                .any(|subject| subject.digest.sha256 == file_digest);
        if !matches {
            let receipt = statement
                .subject
                .iter()
                .map(|subject| format!("sha256:{}", subject.digest.sha256))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(VerifyError::SubjectMismatch {
                receipt,
                file: format!("sha256:{}", shorten(&file_digest)),
            });
        }
    }

    if let Some(expected) = options.action_digest {
        if !is_sha256_digest(expected) || predicate.action_digest != expected {
            return Err(VerifyError::ActionDigestMismatch {
                receipt: predicate.action_digest.clone(),
                expected: shorten(expected),
            });
        }
    }

    if let Some(expected) = options.environment {
        if predicate.environment != expected {
            return Err(VerifyError::EnvironmentMismatch {
                receipt: shorten(&predicate.environment),
                expected: shorten(expected),
            });
        }
    }

    let earliest = predicate
        .issued_at
        .checked_sub(options.clock_skew)
        .unwrap_or(predicate.issued_at);
    if options.now < earliest {
        return Err(VerifyError::NotYetValid {
            issued_at: rfc3339(predicate.issued_at),
            now: rfc3339(options.now),
        });
    }
    if options.now > predicate.expires_at {
        return Err(VerifyError::Expired {
            expires_at: rfc3339(predicate.expires_at),
            now: rfc3339(options.now),
        });
    }

    if let Some(pinned) = options.policy_version_pin {
        if predicate.policy_version != pinned {
            return Err(VerifyError::PolicyVersionMismatch {
                receipt: shorten(&predicate.policy_version),
                pinned: shorten(pinned),
            });
        }
    }
    Ok(())
}

fn rfc3339(instant: OffsetDateTime) -> String {
    instant
        .to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_else(|_| instant.to_string())
}
