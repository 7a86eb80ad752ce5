//! databases: SQL given to `psql`, `mysql`, `sqlite3`,
//! `clickhouse-client`, `cockroach sql` (parsed with `sqlparser`), `mongosh`,
//! `redis-cli`, `dropdb`, `pg_dropcluster`.

use crate::grammar::Grammar;

use super::Rule;

pub static GRAMMARS: &[Grammar] = &[];

pub static RULES: &[Rule] = &[];
