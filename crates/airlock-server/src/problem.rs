//! Errors as RFC 9457 problem details: every refusal the API gives is an
//! `application/problem+json` body whose `type` names the reason
//! (`urn:airlock:problem:<slug>`), so clients branch on it and people read
//! `detail`.

use airlock_store::StoreError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// One API error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
}

impl Problem {
    pub fn new(status: StatusCode, slug: &str, detail: impl Into<String>) -> Problem {
        Problem {
            kind: format!("urn:airlock:problem:{slug}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
        }
    }

    /// The slug of `type` (`agent-revoked`, `receipt-replayed`, ...).
    pub fn slug(&self) -> &str {
        self.kind
            .strip_prefix("urn:airlock:problem:")
            .unwrap_or(&self.kind)
    }

    pub fn unauthenticated(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::UNAUTHORIZED, "unauthenticated", detail)
    }

    pub fn forbidden(slug: &str, detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::FORBIDDEN, slug, detail)
    }

    pub fn bad_request(slug: &str, detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, slug, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "not-found", detail)
    }

    pub fn conflict(slug: &str, detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::CONFLICT, slug, detail)
    }

    pub fn internal(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", detail)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// Gives error responses made below the handlers (time-out, body limit,
/// unknown method) a problem body like every other error.
pub async fn bare_errors_as_problems(response: Response) -> Response {
    let status = response.status();
    let has_body_type = response.headers().contains_key(header::CONTENT_TYPE);
    if !(status.is_client_error() || status.is_server_error()) || has_body_type {
        return response;
    }
    let (slug, detail) = match status {
        StatusCode::REQUEST_TIMEOUT => {
            ("timeout", "the request took longer than the server allows")
        }
        StatusCode::PAYLOAD_TOO_LARGE => (
            "body-too-large",
            "the request body is larger than the server accepts (see --max-body)",
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method-not-allowed",
            "this endpoint does not take that method",
        ),
        _ => ("error", "the request failed"),
    };
    Problem::new(status, slug, detail).into_response()
}

impl From<StoreError> for Problem {
    fn from(error: StoreError) -> Problem {
        use airlock_store::StoreError as E;
        let detail = error.to_string();
        match error {
            E::NotFound { .. } => Problem::not_found(detail),
            E::AlreadyExists { .. } => Problem::conflict("already-exists", detail),
            E::InvalidInput(_) => Problem::bad_request("invalid-input", detail),
            E::VoteRefused(refusal) => {
                let slug = match refusal {
                    airlock_store::Refusal::OperatorCannotVote(_) => "operator-cannot-approve",
                    airlock_store::Refusal::AlreadyVoted(_) => "already-voted",
                    airlock_store::Refusal::NotPending(_) => "not-pending",
                    airlock_store::Refusal::Expired => "request-expired",
                };
                Problem::new(StatusCode::CONFLICT, slug, detail)
            }
            E::ApproverRevoked(_) => Problem::forbidden("approver-revoked", detail),
            E::AgentRevoked(_) => Problem::forbidden("agent-revoked", detail),
            E::AgentExpired(_) => Problem::forbidden("agent-expired", detail),
            E::EmergencyStopped { .. } => Problem::forbidden("emergency-stop", detail),
            E::NotApproved { .. } => Problem::conflict("not-approved", detail),
            E::ReceiptAlreadyIssued(_) => Problem::conflict("receipt-already-issued", detail),
            E::NonceReused => Problem::conflict("nonce-reused", detail),
            E::AlreadyRedeemed { .. } => Problem::conflict("receipt-replayed", detail),
            E::ReceiptRevoked { .. } => Problem::new(StatusCode::GONE, "receipt-revoked", detail),
            E::ReceiptExpired { .. } => Problem::new(StatusCode::GONE, "receipt-expired", detail),
            E::InvalidConfig(_)
            | E::Corrupt(_)
            | E::Checkpoint(_)
            | E::Randomness(_)
            | E::Io { .. }
            | E::Interrupted(_)
            | E::Database(_) => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "store-unavailable",
                format!("the store failed: {detail}"),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_refusals_keep_their_reason_in_the_type() {
        let problem = Problem::from(StoreError::VoteRefused(
            airlock_store::Refusal::OperatorCannotVote("alice".into()),
        ));
        assert_eq!(problem.status, 409);
        assert_eq!(problem.slug(), "operator-cannot-approve");
        assert!(problem.detail.contains("alice"));
        let problem = Problem::from(StoreError::NotFound {
            kind: "request",
            id: "req_1".into(),
        });
        assert_eq!((problem.status, problem.slug()), (404, "not-found"));
    }
}
