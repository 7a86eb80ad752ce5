//! The keys that sign receipts and revocation lists: one per tenant, so a
//! pipeline that trusts its own tenant's public key can never accept a
//! receipt of another tenant. Keys live as files (0600) in a directory that
//! replicas share, and are created on a tenant's first receipt.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::RwLock;

use airlock_keys::{load_or_generate, KeyPaths, SigningKeyPair};
use airlock_store::TenantId;

use crate::problem::Problem;

/// Where receipt keys come from.
pub enum ReceiptKeys {
    /// One key for every tenant (tests, single-team set-ups).
    Shared(Box<SigningKeyPair>),
    /// `<dir>/<tenant>/receipts.key`, loaded once and cached.
    PerTenant {
        dir: PathBuf,
        cache: RwLock<HashMap<TenantId, SigningKeyPair>>,
    },
}

impl ReceiptKeys {
    pub fn per_tenant(dir: impl Into<PathBuf>) -> ReceiptKeys {
        ReceiptKeys::PerTenant {
            dir: dir.into(),
            cache: RwLock::new(HashMap::new()),
        }
    }

    /// Where `tenant`'s key pair lives, for per-tenant keys.
    pub fn paths(dir: &std::path::Path, tenant: &TenantId) -> KeyPaths {
        KeyPaths::in_dir(dir.join(tenant.as_str()), "receipts")
    }

    /// The key that signs `tenant`'s receipts.
    pub fn for_tenant(&self, tenant: &TenantId) -> Result<SigningKeyPair, Problem> {
        match self {
            ReceiptKeys::Shared(key) => Ok((**key).clone()),
            ReceiptKeys::PerTenant { dir, cache } => {
                if let Some(key) = cache.read().ok().and_then(|keys| keys.get(tenant).cloned()) {
                    return Ok(key);
                }
                let key = load_or_generate(&Self::paths(dir, tenant)).map_err(|error| {
                    Problem::internal(format!("the tenant's receipt key is unusable: {error}"))
                })?;
                if let Ok(mut keys) = cache.write() {
                    keys.insert(tenant.clone(), key.clone());
                }
                Ok(key)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_tenant_gets_its_own_key_kept_across_restarts() {
        let dir = tempfile::tempdir().expect("tempdir");
        let acme = TenantId::new("acme").expect("tenant");
        let beta = TenantId::new("beta").expect("tenant");
        let keys = ReceiptKeys::per_tenant(dir.path());
        let acme_key = keys.for_tenant(&acme).expect("acme key");
        let beta_key = keys.for_tenant(&beta).expect("beta key");
        assert_ne!(acme_key.key_id(), beta_key.key_id());
        let restarted = ReceiptKeys::per_tenant(dir.path());
        assert_eq!(
            restarted.for_tenant(&acme).expect("acme again").key_id(),
            acme_key.key_id()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let path = ReceiptKeys::paths(dir.path(), &acme).secret;
            let mode = std::fs::metadata(path)
                .expect("key file")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
