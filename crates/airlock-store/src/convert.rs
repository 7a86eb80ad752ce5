//! Conversions between Rust values and column values: timestamps as Unix
//! microseconds, structured values as JSON text, statuses as their names.

use airlock_approvals::{RequestStatus, VoteKind};
use airlock_audit::Timestamp;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row as _;

use crate::error::{StoreError, StoreResult};
use crate::records::Stamp;

/// Unix microseconds of `instant` (always in range: timestamps are years 0..=9999).
pub(crate) fn micros(instant: Timestamp) -> i64 {
    let micros = instant.as_datetime().unix_timestamp_nanos() / 1000;
    i64::try_from(micros).unwrap_or(i64::MAX)
}

/// Whole Unix seconds, as the approval rules count time.
pub(crate) fn seconds(instant: Timestamp) -> i64 {
    instant.as_datetime().unix_timestamp()
}

pub(crate) fn timestamp(micros: i64) -> StoreResult<Timestamp> {
    Timestamp::from_unix_micros(micros).map_err(StoreError::corrupt)
}

pub(crate) fn to_json<T: Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|error| StoreError::InvalidInput(error.to_string()))
}

pub(crate) fn from_json<T: DeserializeOwned>(column: &str, text: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|error| StoreError::corrupt(format!("{column}: {error}")))
}

pub(crate) fn status_name(status: RequestStatus) -> &'static str {
    status.as_str()
}

pub(crate) fn status_from_name(name: &str) -> StoreResult<RequestStatus> {
    Ok(match name {
        "pending" => RequestStatus::Pending,
        "approved" => RequestStatus::Approved,
        "rejected" => RequestStatus::Rejected,
        "expired" => RequestStatus::Expired,
        "cancelled" => RequestStatus::Cancelled,
        other => return Err(StoreError::corrupt(format!("request status {other:?}"))),
    })
}

pub(crate) fn verdict_name(verdict: VoteKind) -> &'static str {
    match verdict {
        VoteKind::Approve => "approve",
        VoteKind::Reject => "reject",
    }
}

pub(crate) fn verdict_from_name(name: &str) -> StoreResult<VoteKind> {
    match name {
        "approve" => Ok(VoteKind::Approve),
        "reject" => Ok(VoteKind::Reject),
        other => Err(StoreError::corrupt(format!("verdict {other:?}"))),
    }
}

/// Typed column access on a result row.
pub(crate) struct Columns<'r>(pub &'r AnyRow);

impl Columns<'_> {
    pub fn text(&self, column: &str) -> StoreResult<String> {
        Ok(self.0.try_get::<String, _>(column)?)
    }

    pub fn opt_text(&self, column: &str) -> StoreResult<Option<String>> {
        Ok(self.0.try_get::<Option<String>, _>(column)?)
    }

    pub fn int(&self, column: &str) -> StoreResult<i64> {
        Ok(self.0.try_get::<i64, _>(column)?)
    }

    pub fn time(&self, column: &str) -> StoreResult<Timestamp> {
        timestamp(self.int(column)?)
    }

    pub fn opt_time(&self, column: &str) -> StoreResult<Option<Timestamp>> {
        self.0
            .try_get::<Option<i64>, _>(column)?
            .map(timestamp)
            .transpose()
    }

    pub fn json<T: DeserializeOwned>(&self, column: &str) -> StoreResult<T> {
        from_json(column, &self.text(column)?)
    }

    /// `Some(Stamp)` when both `<by_column>` and `<at_column>` are set.
    pub fn stamp(&self, by_column: &str, at_column: &str) -> StoreResult<Option<Stamp>> {
        match (self.opt_text(by_column)?, self.opt_time(at_column)?) {
            (Some(by), Some(at)) => Ok(Some(Stamp { by, at })),
            (None, None) => Ok(None),
            _ => Err(StoreError::corrupt(format!(
                "{by_column} and {at_column} must be set together"
            ))),
        }
    }
}
