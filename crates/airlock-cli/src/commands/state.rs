//! Where airlock's server-side state lives, for the commands that open it
//! directly (`serve`, `agents`, `approvers`, `tenants`, `audit`): the store
//! (embedded SQLite under the data directory, or PostgreSQL by URL) and the
//! server's signing keys (each tenant's receipt key, the audit checkpoint
//! key), created 0600 on first use.

use std::path::PathBuf;

use airlock_keys::{load_or_generate, KeyPaths, SigningKeyPair};
use airlock_server::ReceiptKeys;
use airlock_store::{CheckpointKey, SqlStore, StoreOptions, TenantId};
use anyhow::{Context, Result};
use clap::Args;

/// Origin prefix of audit checkpoints; each tenant's log is `<prefix>/<tenant>`.
pub const CHECKPOINT_ORIGIN: &str = "airlock";

/// The store and keys a command works on.
#[derive(Debug, Clone, Args)]
pub struct StateArgs {
    /// Directory for the embedded SQLite database and the server's signing
    /// keys (created if missing).
    #[arg(
        long,
        global = true,
        env = "AIRLOCK_DATA_DIR",
        default_value = ".airlock",
        value_name = "DIR"
    )]
    pub data_dir: PathBuf,

    /// Use PostgreSQL instead of the embedded SQLite file, for several
    /// replicas: postgres://USER@HOST:PORT/DB?schema=NAME
    #[arg(long, global = true, env = "AIRLOCK_DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,

    /// The tenant to work in.
    #[arg(
        long,
        global = true,
        env = "AIRLOCK_TENANT",
        default_value = "default",
        value_name = "ID"
    )]
    pub tenant: String,
}

impl StateArgs {
    /// The store URL: `--database-url`, or `sqlite://<data-dir>/airlock.db`.
    pub fn store_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.sqlite_path().display()),
        }
    }

    /// The embedded database file under the data directory.
    fn sqlite_path(&self) -> PathBuf {
        self.data_dir.join("airlock.db")
    }

    pub fn tenant_id(&self) -> Result<TenantId> {
        TenantId::new(&self.tenant).with_context(|| format!("invalid --tenant {:?}", self.tenant))
    }

    fn keys_dir(&self) -> PathBuf {
        self.data_dir.join("keys")
    }

    /// The directory of the tenants' receipt keys:
    /// `<data-dir>/keys/tenants/<tenant>/receipts.key`, each created on the
    /// tenant's first receipt; a tenant's pipelines trust its `receipts.pub`.
    pub fn receipt_keys_dir(&self) -> PathBuf {
        self.keys_dir().join("tenants")
    }

    /// The receipt keys of every tenant.
    pub fn receipt_keys(&self) -> ReceiptKeys {
        ReceiptKeys::per_tenant(self.receipt_keys_dir())
    }

    /// The key that signs audit checkpoints (`<data-dir>/keys/checkpoints.key`).
    pub fn checkpoint_key(&self) -> Result<SigningKeyPair> {
        let paths = KeyPaths::in_dir(self.keys_dir(), "checkpoints");
        load_or_generate(&paths).with_context(|| format!("cannot use {}", paths.secret.display()))
    }

    /// Where the checkpoint key's public half is; verifiers of the audit
    /// log trust it.
    pub fn checkpoint_public_key_path(&self) -> PathBuf {
        KeyPaths::in_dir(self.keys_dir(), "checkpoints").public
    }

    /// Opens an existing store without any signing key, for commands that
    /// only read it: a missing SQLite file is an error instead of being
    /// created, and no key is generated.
    pub async fn open_existing_store(&self) -> Result<SqlStore> {
        let url = self.store_url();
        if self.database_url.is_none() {
            let path = self.sqlite_path();
            if !path.exists() {
                anyhow::bail!(
                    "no airlock state at {}: give --data-dir or --database-url",
                    path.display()
                );
            }
        }
        let options = StoreOptions {
            checkpoint_key: None,
            ..StoreOptions::default()
        };
        SqlStore::open_with(&url, options)
            .await
            .with_context(|| format!("cannot open the store at {}", redact_url(&url)))
    }

    /// Opens (creating and migrating) the store, with checkpoint signing on.
    pub async fn open_store(&self) -> Result<SqlStore> {
        let key = self.checkpoint_key()?;
        let options = StoreOptions {
            checkpoint_key: Some(CheckpointKey {
                origin_prefix: CHECKPOINT_ORIGIN.to_owned(),
                key_name: format!("airlock-checkpoints-{}", key.key_id()),
                key: key.ed25519().clone(),
            }),
            ..StoreOptions::default()
        };
        let url = self.store_url();
        SqlStore::open_with(&url, options)
            .await
            .with_context(|| format!("cannot open the store at {}", redact_url(&url)))
    }
}

/// A database URL without its password, for messages.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((credentials, host)) => {
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}")
        }
        None => url.to_owned(),
    }
}

/// A multi-threaded runtime for the commands that talk to the store.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact_url("postgres://airlock:s3cret@db:5432/airlock"),
            "postgres://airlock:***@db:5432/airlock"
        );
        assert_eq!(redact_url("postgres://db/airlock"), "postgres://db/airlock");
        assert_eq!(redact_url("sqlite://x.db"), "sqlite://x.db");
    }
}
