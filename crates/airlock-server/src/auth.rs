//! Who is calling: the bearer token of every `/v1` request is looked up by
//! its SHA-256 in the store, and the caller becomes an agent or an approver
//! of exactly one tenant. Unknown tokens get 401; revoked or expired holders
//! get 403 naming why. Handlers receive a [`Caller`] and reach data only
//! through its tenant-bound store handle.

use std::sync::Arc;

use airlock_audit::Timestamp;
use airlock_store::{Agent, Approver, Principal, Tenant, TenantStore};
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use crate::problem::Problem;
use crate::Gate;

/// An authenticated caller and its tenant's store handle.
pub struct Caller {
    pub principal: Principal,
    pub tenant: Arc<dyn TenantStore>,
    /// The tenant as it was when the token was looked up (emergency stop
    /// included), read in the same statement.
    pub tenant_state: Tenant,
}

impl Caller {
    /// The caller's id, as it appears in the audit log.
    pub fn id(&self) -> &str {
        self.principal.id()
    }

    /// The calling agent, or 403 for an approver.
    pub fn agent(&self) -> Result<&Agent, Problem> {
        match &self.principal {
            Principal::Agent(agent) => Ok(agent),
            Principal::Approver(_) => Err(Problem::forbidden(
                "agents-only",
                "only an agent token may submit actions",
            )),
        }
    }

    /// The calling approver, or 403 for an agent: agents never approve.
    pub fn approver(&self) -> Result<&Approver, Problem> {
        match &self.principal {
            Principal::Approver(approver) => Ok(approver),
            Principal::Agent(agent) => Err(Problem::forbidden(
                "approvers-only",
                format!(
                    "`{}` is an agent; only an approver's token may do this",
                    agent.id
                ),
            )),
        }
    }

    /// The calling approver if it holds `role`.
    pub fn approver_with_role(&self, role: &str) -> Result<&Approver, Problem> {
        let approver = self.approver()?;
        if approver.roles.iter().any(|held| held == role) {
            Ok(approver)
        } else {
            Err(Problem::forbidden(
                "role-required",
                format!("this needs an approver with the `{role}` role"),
            ))
        }
    }
}

impl FromRequestParts<Arc<Gate>> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, gate: &Arc<Gate>) -> Result<Self, Problem> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or_else(|| Problem::unauthenticated("missing `Authorization: Bearer <token>`"))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .ok_or_else(|| {
                Problem::unauthenticated("the Authorization header must be `Bearer <token>`")
            })?;
        let (principal, tenant_state) = gate
            .store
            .caller_by_token(token)
            .await?
            .ok_or_else(|| Problem::unauthenticated("unknown token"))?;
        let now = Timestamp::now();
        if !principal.is_active(now) {
            let (slug, what) = match &principal {
                Principal::Agent(agent) if agent.revoked.is_some() => {
                    ("agent-revoked", format!("agent `{}` revoked", agent.id))
                }
                Principal::Agent(agent) => {
                    ("agent-expired", format!("agent `{}` expired", agent.id))
                }
                Principal::Approver(approver) => (
                    "approver-revoked",
                    format!("approver `{}` revoked", approver.id),
                ),
            };
            return Err(Problem::forbidden(slug, what));
        }
        let tenant = gate.store.tenant(principal.tenant());
        Ok(Caller {
            principal,
            tenant,
            tenant_state,
        })
    }
}
