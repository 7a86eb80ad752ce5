//! The audit entry: one thing that happened (a request, a decision, an
//! approval, ...), its canonical leaf bytes, and the strict UTC timestamp
//! type whose text form is part of those bytes.

use crate::canonical::{write_string, write_u64, write_value};
use crate::hash::{leaf_hash, Hash};
use serde::{de::Error as _, Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// Why a timestamp was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    /// The text is not exactly `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
    #[error("timestamp {0:?} is not in the form YYYY-MM-DDTHH:MM:SS.ffffffZ")]
    Malformed(String),
    /// The fields are well formed but name no real instant (e.g. February 30).
    #[error("timestamp {0:?} names no valid date and time")]
    OutOfRange(String),
    /// Years outside 0000..=9999 cannot be written in RFC 3339.
    #[error("year {0} cannot be written as an RFC 3339 timestamp")]
    YearOutOfRange(i32),
}

/// An instant in UTC with microsecond precision.
///
/// Its only text form is `YYYY-MM-DDTHH:MM:SS.ffffffZ` (RFC 3339, always
/// six fractional digits, always `Z`), both when written and when read, so
/// parsing and re-writing a stored entry reproduces its bytes exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// The current time, truncated to microseconds.
    pub fn now() -> Self {
        Self::truncate(OffsetDateTime::now_utc())
    }

    /// Convert any instant to UTC and truncate it to microseconds; fails
    /// only for years outside 0000..=9999.
    pub fn from_datetime(instant: OffsetDateTime) -> Result<Self, TimestampError> {
        let year = instant.to_offset(UtcOffset::UTC).year();
        if !(0..=9999).contains(&year) {
            return Err(TimestampError::YearOutOfRange(year));
        }
        Ok(Self::truncate(instant))
    }

    /// The instant `micros` microseconds after the Unix epoch (years 0000..=9999).
    pub fn from_unix_micros(micros: i64) -> Result<Self, TimestampError> {
        let nanos = i128::from(micros) * 1000;
        let instant = OffsetDateTime::from_unix_timestamp_nanos(nanos)
            .map_err(|_| TimestampError::OutOfRange(micros.to_string()))?;
        Self::from_datetime(instant)
    }

    fn truncate(instant: OffsetDateTime) -> Self {
        let utc = instant.to_offset(UtcOffset::UTC);
        let micros = utc.microsecond();
        let truncated = utc.replace_microsecond(micros).unwrap_or(utc);
        Timestamp(truncated)
    }

    /// The instant as a `time` value (UTC).
    pub fn as_datetime(&self) -> OffsetDateTime {
        self.0
    }

    /// Parse the one accepted text form.
    pub fn parse(text: &str) -> Result<Self, TimestampError> {
        let malformed = || TimestampError::Malformed(text.to_owned());
        let bytes = text.as_bytes();
        if bytes.len() != 27 {
            return Err(malformed());
        }
        let layout = b"dddd-dd-ddTdd:dd:dd.ddddddZ";
        for (&byte, &expected) in bytes.iter().zip(layout.iter()) {
            let fits = if expected == b'd' {
                byte.is_ascii_digit()
            } else {
                byte == expected
            };
            if !fits {
                return Err(malformed());
            }
        }
        let number = |range: std::ops::Range<usize>| -> u32 {
            bytes[range]
                .iter()
                .fold(0u32, |acc, digit| acc * 10 + u32::from(digit - b'0'))
        };
        let out_of_range = || TimestampError::OutOfRange(text.to_owned());
        let month = u8::try_from(number(5..7))
            .ok()
            .and_then(|value| Month::try_from(value).ok())
            .ok_or_else(out_of_range)?;
        let date = Date::from_calendar_date(number(0..4) as i32, month, number(8..10) as u8)
            .map_err(|_| out_of_range())?;
        let clock = Time::from_hms_micro(
            number(11..13) as u8,
            number(14..16) as u8,
            number(17..19) as u8,
            number(20..26),
        )
        .map_err(|_| out_of_range())?;
        Ok(Timestamp(PrimitiveDateTime::new(date, clock).assume_utc()))
    }

    /// Append the text form to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        fn digits(out: &mut Vec<u8>, value: u32, width: usize) {
            let mut buffer = [b'0'; 6];
            let mut rest = value;
            for slot in buffer[..width].iter_mut().rev() {
                *slot = b'0' + (rest % 10) as u8;
                rest /= 10;
            }
            out.extend_from_slice(&buffer[..width]);
        }
        let instant = self.0;
        digits(out, instant.year().unsigned_abs(), 4);
        out.push(b'-');
        digits(out, u32::from(u8::from(instant.month())), 2);
        out.push(b'-');
        digits(out, u32::from(instant.day()), 2);
        out.push(b'T');
        digits(out, u32::from(instant.hour()), 2);
        out.push(b':');
        digits(out, u32::from(instant.minute()), 2);
        out.push(b':');
        digits(out, u32::from(instant.second()), 2);
        out.push(b'.');
        digits(out, instant.microsecond(), 6);
        out.push(b'Z');
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = Vec::with_capacity(27);
        self.write_to(&mut text);
        formatter.write_str(&String::from_utf8_lossy(&text))
    }
}

impl std::str::FromStr for Timestamp {
    type Err = TimestampError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Timestamp::parse(text)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Timestamp::parse(&text).map_err(D::Error::custom)
    }
}

/// What an entry records. Serialized as its snake_case name; names that are
/// not one of the known kinds are kept verbatim in [`EntryKind::Other`], so
/// newer writers can add kinds without older readers failing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// An agent asked for an action.
    Request,
    /// airlock decided allow / escalate / deny.
    Decision,
    /// A human approved an escalated action.
    Approval,
    /// A human rejected an escalated action.
    Rejection,
    /// A signed receipt was issued.
    ReceiptIssued,
    /// A receipt was presented and consumed.
    ReceiptRedeemed,
    /// A receipt, approval or key was revoked.
    Revocation,
    /// The active policy changed.
    PolicyChange,
    /// Any other kind, by name. Build it with [`EntryKind::from_name`] so a
    /// known name maps to its own variant.
    Other(String),
}

impl EntryKind {
    /// The kind's wire name.
    pub fn as_str(&self) -> &str {
        match self {
            EntryKind::Request => "request",
            EntryKind::Decision => "decision",
            EntryKind::Approval => "approval",
            EntryKind::Rejection => "rejection",
            EntryKind::ReceiptIssued => "receipt_issued",
            EntryKind::ReceiptRedeemed => "receipt_redeemed",
            EntryKind::Revocation => "revocation",
            EntryKind::PolicyChange => "policy_change",
            EntryKind::Other(name) => name,
        }
    }

    /// The kind with this wire name (known names map to their variant).
    pub fn from_name(name: &str) -> Self {
        match name {
            "request" => EntryKind::Request,
            "decision" => EntryKind::Decision,
            "approval" => EntryKind::Approval,
            "rejection" => EntryKind::Rejection,
            "receipt_issued" => EntryKind::ReceiptIssued,
            "receipt_redeemed" => EntryKind::ReceiptRedeemed,
            "revocation" => EntryKind::Revocation,
            "policy_change" => EntryKind::PolicyChange,
            other => EntryKind::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for EntryKind {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl Serialize for EntryKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EntryKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Ok(EntryKind::from_name(&name))
    }
}

/// One record of the audit log; leaf `index` of the Merkle tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Position in the log, starting at 0, without gaps.
    pub index: u64,
    /// When it happened (UTC, microseconds).
    pub timestamp: Timestamp,
    /// Tenant the event belongs to.
    pub tenant: String,
    /// What happened.
    pub kind: EntryKind,
    /// Who caused it: agent id, approver, `airlock` itself, ...
    pub actor: String,
    /// What it is about: request id, approval id, receipt id, policy name, ...
    pub subject: String,
    /// Kind-specific details.
    pub data: serde_json::Value,
}

impl AuditEntry {
    /// The canonical leaf bytes: RFC 8785 canonical JSON of the whole entry,
    /// i.e. `{"actor":…,"data":…,"index":…,"kind":…,"subject":…,"tenant":…,"timestamp":…}`
    /// with members in that (sorted) order, no whitespace, `index` as a
    /// decimal integer and `timestamp` in its single text form.
    pub fn leaf_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(192);
        self.write_leaf_bytes(&mut out);
        out
    }

    /// Append the canonical leaf bytes to `out` (see [`AuditEntry::leaf_bytes`]).
    pub fn write_leaf_bytes(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"actor\":");
        write_string(&self.actor, out);
        out.extend_from_slice(b",\"data\":");
        write_value(&self.data, out);
        out.extend_from_slice(b",\"index\":");
        write_u64(self.index, out);
        out.extend_from_slice(b",\"kind\":");
        write_string(self.kind.as_str(), out);
        out.extend_from_slice(b",\"subject\":");
        write_string(&self.subject, out);
        out.extend_from_slice(b",\"tenant\":");
        write_string(&self.tenant, out);
        out.extend_from_slice(b",\"timestamp\":\"");
        self.timestamp.write_to(out);
        out.extend_from_slice(b"\"}");
    }

    /// `SHA-256(0x00 ‖ leaf_bytes)`.
    pub fn leaf_hash(&self) -> Hash {
        leaf_hash(&self.leaf_bytes())
    }

    /// Read an entry back from leaf bytes, refusing any text that is not
    /// exactly the canonical form of the entry it decodes to.
    pub fn from_leaf_bytes(bytes: &[u8]) -> Result<Self, LeafBytesError> {
        let entry: AuditEntry = serde_json::from_slice(bytes)
            .map_err(|error| LeafBytesError::Invalid(error.to_string()))?;
        if entry.leaf_bytes() != bytes {
            return Err(LeafBytesError::NotCanonical);
        }
        Ok(entry)
    }
}

/// Why leaf bytes could not be read back as an entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LeafBytesError {
    /// Not JSON, or not an entry.
    #[error("leaf bytes are not an audit entry: {0}")]
    Invalid(String),
    /// A valid entry, but not written in canonical form.
    #[error("leaf bytes are not in canonical form")]
    NotCanonical,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> AuditEntry {
        AuditEntry {
            index: 7,
            timestamp: Timestamp::parse("2025-03-04T05:06:07.089000Z").unwrap(),
            tenant: "acme".into(),
            kind: EntryKind::Approval,
            actor: "alice@example.com".into(),
            subject: "apr_123".into(),
            data: json!({"role": "sre", "note": "ok \"go\""}),
        }
    }

    #[test]
    fn leaf_bytes_are_canonical_json() {
        let bytes = sample().leaf_bytes();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            r#"{"actor":"alice@example.com","data":{"note":"ok \"go\"","role":"sre"},"index":7,"kind":"approval","subject":"apr_123","tenant":"acme","timestamp":"2025-03-04T05:06:07.089000Z"}"#
        );
    }

    #[test]
    fn leaf_bytes_equal_generic_canonicalisation() {
        let entry = sample();
        let as_value = serde_json::to_value(&entry).unwrap();
        assert_eq!(
            entry.leaf_bytes(),
            crate::canonical::to_canonical_bytes(&as_value)
        );
    }

    #[test]
    fn leaf_bytes_round_trip() {
        let entry = sample();
        assert_eq!(
            AuditEntry::from_leaf_bytes(&entry.leaf_bytes()).unwrap(),
            entry
        );
        let spaced = serde_json::to_vec_pretty(&entry).unwrap();
        assert_eq!(
            AuditEntry::from_leaf_bytes(&spaced),
            Err(LeafBytesError::NotCanonical)
        );
    }

    #[test]
    fn timestamp_text_form_is_strict() {
        let text = "1999-12-31T23:59:59.999999Z";
        assert_eq!(Timestamp::parse(text).unwrap().to_string(), text);
        for bad in [
            "1999-12-31T23:59:59Z",
            "1999-12-31T23:59:59.999999+00:00",
            "1999-12-31 23:59:59.999999Z",
            "1999-12-31T23:59:59.99999Z",
            "",
            "ab",
        ] {
            assert!(matches!(
                Timestamp::parse(bad),
                Err(TimestampError::Malformed(_))
            ));
        }
        assert!(matches!(
            Timestamp::parse("2023-02-29T00:00:00.000000Z"),
            Err(TimestampError::OutOfRange(_))
        ));
        assert!(matches!(
            Timestamp::parse("2023-13-01T00:00:00.000000Z"),
            Err(TimestampError::OutOfRange(_))
        ));
    }

    #[test]
    fn timestamps_truncate_to_microseconds_in_utc() {
        let instant = time::macros::datetime!(2024-06-01 12:00:00.123456789 +02:00);
        let stamp = Timestamp::from_datetime(instant).unwrap();
        assert_eq!(stamp.to_string(), "2024-06-01T10:00:00.123456Z");
        assert_eq!(
            Timestamp::from_unix_micros(0).unwrap().to_string(),
            "1970-01-01T00:00:00.000000Z"
        );
    }

    #[test]
    fn unknown_kinds_survive() {
        let kind: EntryKind = serde_json::from_str("\"key_rotation\"").unwrap();
        assert_eq!(kind, EntryKind::Other("key_rotation".into()));
        assert_eq!(EntryKind::from_name("decision"), EntryKind::Decision);
        assert_eq!(serde_json::to_string(&kind).unwrap(), "\"key_rotation\"");
    }
}
