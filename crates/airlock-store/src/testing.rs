//! Support for the test suites of airlock's crates that need PostgreSQL:
//! which server to use (`AIRLOCK_TEST_DATABASE_URL`, else the local
//! 127.0.0.1:5432 database `test`), and a fresh schema per test run, dropped
//! afterwards. With `CI` set, a missing server is a failure, not a skip.

use std::time::Duration;

use sqlx::any::AnyPoolOptions;

/// What to tell a person whose PostgreSQL is not there.
pub const POSTGRES_UNREACHABLE: &str = "PostgreSQL is not reachable at 127.0.0.1:5432: start it \
     with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` or set \
     AIRLOCK_TEST_DATABASE_URL";

/// The PostgreSQL server to test against, or `None` when there is none.
pub async fn postgres_base_url() -> Option<String> {
    sqlx::any::install_default_drivers();
    let candidates: Vec<String> = match std::env::var("AIRLOCK_TEST_DATABASE_URL") {
        Ok(url) => vec![url],
        Err(_) => {
            let users = match std::env::var("PGUSER") {
                Ok(user) => vec![user],
                Err(_) => vec!["postgres".to_owned(), "root".to_owned()],
            };
            users
                .iter()
                .map(|user| format!("postgres://{user}@127.0.0.1:5432/test"))
                .collect()
        }
    };
    for url in candidates {
        let probe = AnyPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(5))
            .connect(&url)
            .await;
        if let Ok(pool) = probe {
            pool.close().await;
            return Some(url);
        }
    }
    None
}

/// A schema of its own for one test run.
#[derive(Debug, Clone)]
pub struct TestSchema {
    /// The server's URL without a schema.
    pub base: String,
    /// The URL that puts every table in the schema (`…?schema=NAME`).
    pub url: String,
    pub name: String,
}

impl TestSchema {
    /// A fresh schema name on the test server, or `None` when there is no
    /// server and `CI` is not set. Panics when `CI` is set and PostgreSQL is
    /// unreachable, so CI never silently skips the PostgreSQL half.
    pub async fn new(prefix: &str) -> Option<TestSchema> {
        let Some(base) = postgres_base_url().await else {
            if std::env::var_os("CI").is_some() {
                panic!("{POSTGRES_UNREACHABLE}");
            }
            eprintln!("note: skipping a PostgreSQL test: {POSTGRES_UNREACHABLE}");
            return None;
        };
        let mut salt = [0u8; 6];
        getrandom::fill(&mut salt).ok()?;
        let name = format!("{prefix}_{}_{}", std::process::id(), hex::encode(salt));
        let separator = if base.contains('?') { '&' } else { '?' };
        Some(TestSchema {
            url: format!("{base}{separator}schema={name}"),
            base,
            name,
        })
    }

    /// Drops the schema and everything in it.
    pub async fn drop_schema(&self) {
        if let Ok(pool) = AnyPoolOptions::new()
            .max_connections(1)
            .connect(&self.base)
            .await
        {
            let _ = sqlx::raw_sql(&format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.name))
                .execute(&pool)
                .await;
            pool.close().await;
        }
    }
}
