//! Opening a store from a URL: `sqlite://path` (file and parent directory
//! created; WAL journal, `synchronous=FULL`, busy timeout, foreign keys on)
//! or `postgres://…[?schema=name]` (a pool whose sessions use that schema),
//! then applying the embedded migrations under a lock, idempotently.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use airlock_audit::CheckpointPolicy;
use ed25519_dalek::SigningKey;
use sqlx::any::AnyPoolOptions;
use sqlx::AnyConnection;
use sqlx::AnyPool;
use sqlx::Row as _;

use crate::api::Backend;
use crate::error::{StoreError, StoreResult};
use crate::schema::MIGRATIONS;

/// The key that signs the audit log's checkpoints. Each tenant's log is its
/// own tree; its checkpoints carry the origin `<origin_prefix>/<tenant>`.
#[derive(Clone)]
pub struct CheckpointKey {
    pub origin_prefix: String,
    pub key_name: String,
    pub key: SigningKey,
}

impl std::fmt::Debug for CheckpointKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckpointKey")
            .field("origin_prefix", &self.origin_prefix)
            .field("key_name", &self.key_name)
            .finish_non_exhaustive()
    }
}

/// How to open a store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Signs a checkpoint whenever a tenant's log size becomes a multiple
    /// of `checkpoint_policy`'s interval. Without a key no checkpoint is
    /// written.
    pub checkpoint_key: Option<CheckpointKey>,
    pub checkpoint_policy: CheckpointPolicy,
    /// Connections in the pool.
    pub max_connections: u32,
    /// How long a write waits for another writer (SQLite busy timeout) and
    /// for a pooled connection.
    pub busy_timeout: Duration,
    /// PostgreSQL schema; overrides the URL's `?schema=`. Default `public`.
    pub postgres_schema: Option<String>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            checkpoint_key: None,
            checkpoint_policy: CheckpointPolicy::every(256),
            max_connections: 8,
            busy_timeout: Duration::from_secs(30),
            postgres_schema: None,
        }
    }
}

/// A parsed store URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Location {
    Sqlite { path: String },
    Postgres { url: String, schema: Option<String> },
}

pub(crate) fn parse_url(url: &str) -> StoreResult<Location> {
    if let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        if rest.is_empty() || rest.contains('?') {
            return Err(StoreError::InvalidConfig(format!(
                "{url:?}: expected sqlite://PATH without parameters"
            )));
        }
        return Ok(Location::Sqlite {
            path: rest.to_owned(),
        });
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let (base, query) = match url.split_once('?') {
            Some((base, query)) => (base, query),
            None => (url, ""),
        };
        let mut schema = None;
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            match pair.strip_prefix("schema=") {
                Some(name) => schema = Some(name.to_owned()),
                None => kept.push(pair),
            }
        }
        let url = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        return Ok(Location::Postgres { url, schema });
    }
    Err(StoreError::InvalidConfig(format!(
        "{url:?}: expected sqlite://PATH or postgres://…"
    )))
}

/// A PostgreSQL schema name we are willing to splice into SQL: lower-case
/// letters, digits and `_`, not starting with a digit, at most 63 bytes.
pub(crate) fn check_schema_name(name: &str) -> StoreResult<()> {
    let valid = !name.is_empty()
        && name.len() <= 63
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if valid {
        Ok(())
    } else {
        Err(StoreError::InvalidConfig(format!(
            "schema name {name:?} must be 1 to 63 characters of a-z 0-9 _, not starting with a digit"
        )))
    }
}

/// Percent-encodes the characters SQLx's SQLite URL parser treats specially.
fn sqlite_url(path: &str) -> String {
    let mut encoded = String::with_capacity(path.len() + 24);
    for c in path.chars() {
        match c {
            '%' => encoded.push_str("%25"),
            '?' => encoded.push_str("%3F"),
            '#' => encoded.push_str("%23"),
            other => encoded.push(other),
        }
    }
    format!("sqlite://{encoded}?mode=rwc")
}

/// Opens the pool and applies migrations.
pub(crate) async fn connect(url: &str, options: &StoreOptions) -> StoreResult<(AnyPool, Backend)> {
    sqlx::any::install_default_drivers();
    let location = parse_url(url)?;
    let busy_timeout = options.busy_timeout;
    let max_connections = options.max_connections.max(1);
    match location {
        Location::Sqlite { path } => {
            if let Some(parent) = Path::new(&path).parent() {
                if !parent.as_os_str().is_empty() {
                    std::fs::create_dir_all(parent).map_err(|source| StoreError::Io {
                        path: parent.display().to_string(),
                        source,
                    })?;
                }
            }
            let busy_ms = busy_timeout.as_millis().min(i32::MAX as u128);
            let pragmas = session_statements(vec![
                "PRAGMA journal_mode = WAL".to_owned(),
                "PRAGMA synchronous = FULL".to_owned(),
                "PRAGMA foreign_keys = ON".to_owned(),
                format!("PRAGMA busy_timeout = {busy_ms}"),
            ]);
            // An embedded database's connection cannot be lost, so the
            // pool does not ping it before each use (a round trip to the
            // connection's thread per query otherwise).
            let pool = AnyPoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(busy_timeout)
                .test_before_acquire(false)
                .after_connect(move |connection, _| {
                    Box::pin(run_statements(connection, Arc::clone(&pragmas)))
                })
                .connect(&sqlite_url(&path))
                .await?;
            migrate(&pool, Backend::Sqlite, None).await?;
            Ok((pool, Backend::Sqlite))
        }
        Location::Postgres { url, schema } => {
            let schema = options.postgres_schema.clone().or(schema);
            if let Some(name) = &schema {
                check_schema_name(name)?;
            }
            let search_path = session_statements(
                schema
                    .iter()
                    .map(|name| format!("SET search_path TO \"{name}\""))
                    .collect(),
            );
            let pool = AnyPoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(busy_timeout)
                .after_connect(move |connection, _| {
                    Box::pin(run_statements(connection, Arc::clone(&search_path)))
                })
                .connect(&url)
                .await?;
            migrate(&pool, Backend::Postgres, schema.as_deref()).await?;
            Ok((pool, Backend::Postgres))
        }
    }
}

/// Statements every new connection runs, shared by the pool's hook.
fn session_statements(statements: Vec<String>) -> Arc<[String]> {
    statements.into()
}

/// Runs each statement on a freshly opened connection.
async fn run_statements(
    connection: &mut AnyConnection,
    statements: Arc<[String]>,
) -> Result<(), sqlx::Error> {
    for statement in statements.iter() {
        sqlx::Executor::execute(&mut *connection, statement.as_str()).await?;
    }
    Ok(())
}

/// Arbitrary constant ("airlock" in ASCII) naming the migration advisory lock.
const MIGRATION_LOCK_KEY: i64 = 0x0061_6972_6c6f_636b;

/// Applies the migrations not yet recorded in `schema_version`, in one
/// transaction that concurrent openers wait on.
async fn migrate(pool: &AnyPool, backend: Backend, schema: Option<&str>) -> StoreResult<()> {
    let mut tx = match backend {
        Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await?,
        Backend::Postgres => pool.begin().await?,
    };
    if backend == Backend::Postgres {
        sqlx::query("SELECT 1 FROM (SELECT pg_advisory_xact_lock($1)) AS migration_lock")
            .bind(MIGRATION_LOCK_KEY)
            .fetch_all(&mut *tx)
            .await?;
        if let Some(name) = schema {
            sqlx::raw_sql(&format!("CREATE SCHEMA IF NOT EXISTS \"{name}\""))
                .execute(&mut *tx)
                .await?;
        }
    }
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_version (
            version BIGINT PRIMARY KEY,
            applied_at BIGINT NOT NULL
        )",
    )
    .execute(&mut *tx)
    .await?;
    let current: i64 =
        sqlx::query("SELECT COALESCE(MAX(version), 0) AS version FROM schema_version")
            .fetch_one(&mut *tx)
            .await?
            .try_get("version")?;
    let now = crate::convert::micros(airlock_audit::Timestamp::now());
    for (version, statements) in MIGRATIONS {
        if *version <= current {
            continue;
        }
        for statement in *statements {
            sqlx::raw_sql(statement).execute(&mut *tx).await?;
        }
        sqlx::query("INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)")
            .bind(*version)
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_keep_the_path() {
        assert_eq!(
            parse_url("sqlite:///var/lib/airlock/store.db").unwrap(),
            Location::Sqlite {
                path: "/var/lib/airlock/store.db".into()
            }
        );
        assert_eq!(
            parse_url("sqlite://data/airlock.db").unwrap(),
            Location::Sqlite {
                path: "data/airlock.db".into()
            }
        );
        assert!(parse_url("sqlite://").is_err());
        assert_eq!(
            sqlite_url("/a b/x?#%.db"),
            "sqlite:///a b/x%3F%23%25.db?mode=rwc"
        );
    }

    #[test]
    fn postgres_schema_is_taken_out_of_the_url() {
        assert_eq!(
            parse_url("postgres://u@h:5432/db?sslmode=disable&schema=airlock_t1").unwrap(),
            Location::Postgres {
                url: "postgres://u@h:5432/db?sslmode=disable".into(),
                schema: Some("airlock_t1".into())
            }
        );
        assert!(parse_url("mysql://x").is_err());
    }

    #[test]
    fn schema_names_are_restricted() {
        assert!(check_schema_name("airlock_test_12_ab").is_ok());
        assert!(check_schema_name("Bad").is_err());
        assert!(check_schema_name("x\"; drop").is_err());
        assert!(check_schema_name("1x").is_err());
    }
}
