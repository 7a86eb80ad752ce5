//! Who is calling: the bearer token of every `/v1` request is looked up by
//! its SHA-256 in the store, and the caller becomes an agent or an approver
//! of exactly one tenant. Unknown tokens get 401; revoked or expired holders
//! get 403 naming why. Handlers receive a [`Caller`] and reach data only
//! through its tenant-bound store handle.
//!
//! `POST /v1/actions` may instead use the agent as last read for its token
//! ([`CallerCache`]): its decision is recorded only if the store confirms,
//! in the transaction that records it, that the token still names that
//! agent with the same authority (see [`crate::decision_log`]). Everything
//! else, and every refusal, reads the store.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use airlock_audit::Timestamp;
use airlock_model::AgentIdentity;
use airlock_store::{Agent, Approver, Principal, Tenant, TenantStore, TokenHash};
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
    /// The SHA-256 of the caller's token.
    pub token: TokenHash,
    /// Taken from the [`CallerCache`], not read from the store for this
    /// request.
    pub remembered: bool,
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
        look_up(gate, &Bearer::from_parts(parts)?).await
    }
}

/// A request's bearer token, not yet looked up, with its SHA-256.
pub struct Bearer {
    token: String,
    hash: TokenHash,
}

impl Bearer {
    fn from_parts(parts: &Parts) -> Result<Bearer, Problem> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or_else(|| Problem::unauthenticated("missing `Authorization: Bearer <token>`"))?;
        header
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .map(|token| Bearer {
                hash: TokenHash::of(token),
                token: token.to_owned(),
            })
            .ok_or_else(|| {
                Problem::unauthenticated("the Authorization header must be `Bearer <token>`")
            })
    }
}

impl FromRequestParts<Arc<Gate>> for Bearer {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &Arc<Gate>) -> Result<Self, Problem> {
        Bearer::from_parts(parts)
    }
}

/// Reads the holder of `bearer` from the store: 401 for an unknown token,
/// 403 for a revoked or expired holder.
pub async fn look_up(gate: &Gate, bearer: &Bearer) -> Result<Caller, Problem> {
    let (principal, tenant_state) = gate
        .store
        .caller_by_token(&bearer.token)
        .await?
        .ok_or_else(|| Problem::unauthenticated("unknown token"))?;
    let now = Timestamp::now();
    if !principal.is_active(now) {
        let (slug, what) = match &principal {
            Principal::Agent(agent) if agent.revoked.is_some() => {
                ("agent-revoked", format!("agent `{}` revoked", agent.id))
            }
            Principal::Agent(agent) => ("agent-expired", format!("agent `{}` expired", agent.id)),
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
        token: bearer.hash.clone(),
        remembered: false,
    })
}

/// Active agents without an emergency stop on their tenant, by token hash,
/// as last read from the store. Only decisions use it, and the store
/// confirms each one's caller when it records the decision, so an entry
/// never outlives a revocation or a stop by more than the batch in flight.
#[derive(Default)]
pub struct CallerCache {
    entries: Mutex<HashMap<TokenHash, Remembered>>,
}

#[derive(Clone)]
struct Remembered {
    agent: Agent,
    tenant: Tenant,
}

/// Most tokens remembered; past it the cache starts again empty.
const CACHE_CAPACITY: usize = 10_000;

impl CallerCache {
    /// The agent holding `bearer`: remembered if it is, else read from the
    /// store (and remembered if it is an active agent of a running tenant).
    pub async fn agent(&self, gate: &Gate, bearer: &Bearer) -> Result<Caller, Problem> {
        let now = Timestamp::now();
        if let Some(remembered) = self.get(&bearer.hash) {
            if remembered.agent.is_active(now) {
                return Ok(Caller {
                    tenant: gate.store.tenant(&remembered.agent.tenant),
                    principal: Principal::Agent(remembered.agent),
                    tenant_state: remembered.tenant,
                    token: bearer.hash.clone(),
                    remembered: true,
                });
            }
            self.forget(&bearer.hash);
        }
        let caller = look_up(gate, bearer).await?;
        if let Principal::Agent(agent) = &caller.principal {
            if caller.tenant_state.emergency_stop.is_none() {
                self.put(
                    caller.token.clone(),
                    Remembered {
                        agent: agent.clone(),
                        tenant: caller.tenant_state.clone(),
                    },
                );
            }
        }
        Ok(caller)
    }

    /// Drops what is remembered of `token`.
    pub fn forget(&self, token: &TokenHash) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(token);
        }
    }

    /// Notes that the agent of `token` now names itself `identity`, as the
    /// store does (`record_agent_identity`).
    pub fn seen(&self, token: &TokenHash, identity: &AgentIdentity, at: Timestamp) {
        if let Ok(mut entries) = self.entries.lock() {
            if let Some(remembered) = entries.get_mut(token) {
                remembered.agent.last_seen = Some((identity.clone(), at));
            }
        }
    }

    fn get(&self, token: &TokenHash) -> Option<Remembered> {
        self.entries.lock().ok()?.get(token).cloned()
    }

    fn put(&self, token: TokenHash, remembered: Remembered) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= CACHE_CAPACITY {
                entries.clear();
            }
            entries.insert(token, remembered);
        }
    }
}
