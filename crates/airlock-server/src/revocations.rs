//! `GET /v1/revocations`: the tenant's revoked agents, receipts and keys,
//! signed with the receipt key, for verifiers that work offline.

use std::sync::Arc;

use airlock_audit::Timestamp;
use airlock_receipts::{Envelope, RevocationList, RevokedItem};
use axum::extract::State;
use axum::Json;

use crate::auth::Caller;
use crate::problem::Problem;
use crate::wire::rfc3339;
use crate::Gate;

pub async fn signed_list(
    State(gate): State<Arc<Gate>>,
    caller: Caller,
) -> Result<Json<Envelope>, Problem> {
    let tenant = &caller.tenant;
    let agents = tenant
        .agents()
        .await?
        .into_iter()
        .filter_map(|agent| {
            agent.revoked.map(|stamp| RevokedItem {
                id: agent.id,
                revoked_at: rfc3339(stamp.at),
            })
        })
        .collect();
    let receipts = tenant
        .revoked_receipts()
        .await?
        .into_iter()
        .filter_map(|receipt| {
            receipt.revoked.map(|stamp| RevokedItem {
                id: receipt.id,
                revoked_at: rfc3339(stamp.at),
            })
        })
        .collect();
    let keys = tenant
        .revoked_keys()
        .await?
        .into_iter()
        .map(|key| RevokedItem {
            id: key.key_id,
            revoked_at: rfc3339(key.revoked.at),
        })
        .collect();
    let issued_at = Timestamp::now()
        .as_datetime()
        .replace_nanosecond(0)
        .map_err(|error| Problem::internal(error.to_string()))?;
    let list = RevocationList {
        tenant: tenant.tenant_id().as_str().to_owned(),
        issued_at,
        agents,
        receipts,
        keys,
    };
    let envelope = list
        .sign(&gate.receipt_keys.for_tenant(tenant.tenant_id())?)
        .map_err(|error| Problem::internal(error.to_string()))?;
    Ok(Json(envelope))
}
