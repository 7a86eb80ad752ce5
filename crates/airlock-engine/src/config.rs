//! The project configuration, `airlock.toml`, and how it is found: the
//! `--config` flag, else `$AIRLOCK_CONFIG`, else the nearest `airlock.toml`
//! from the working directory upward, else built-in defaults.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use airlock_policy::{PolicyMode, PolicySources};
use airlock_shell::ShellConfig;
use airlock_terraform::PlanConfig;
use serde::Deserialize;

use crate::EngineError;

/// The file name searched for.
pub const CONFIG_FILE_NAME: &str = "airlock.toml";
/// The environment variable that names a config file explicitly.
pub const CONFIG_ENV_VAR: &str = "AIRLOCK_CONFIG";

/// Who the local agent is when a hook or the CLI asks without a server.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AgentConfig {
    /// The agent id recorded on requests.
    pub id: String,
    /// Roles the agent holds; policy grants authority to roles only.
    pub roles: Vec<String>,
    /// The person the agent acts for. Defaults to `$USER`.
    pub operator: Option<String>,
    pub tenant: String,
}

impl Default for AgentConfig {
    fn default() -> Self {
        AgentConfig {
            id: "local-agent".to_string(),
            roles: vec!["agent".to_string()],
            operator: None,
            tenant: "default".to_string(),
        }
    }
}

/// The gate to ask instead of deciding locally: with `url` set, hooks send
/// every action to `airlock serve`, which decides with the agent's
/// registered roles, holds escalations for approval and records everything.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Base URL of `airlock serve`; none means decide locally.
    pub url: Option<String>,
    /// The environment variable that holds the agent's token (never the
    /// token itself: the file is usually committed).
    pub token_env: String,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            url: None,
            token_env: "AIRLOCK_AGENT_TOKEN".to_string(),
        }
    }
}

/// Where the project's Cedar policies live and how they combine with the
/// built-in pack.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyConfig {
    /// `extend` (built-in pack plus these) or `replace` (these only).
    pub mode: PolicyModeName,
    /// Directories of `*.cedar` files, relative to `airlock.toml`. Default:
    /// `policies` when that directory exists.
    pub dirs: Vec<PathBuf>,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig {
            mode: PolicyModeName::Extend,
            dirs: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyModeName {
    Extend,
    Replace,
}

/// How MCP tool calls are judged: which arguments of which tools carry
/// something a classifier reads.
///
/// ```toml
/// [[mcp.tools]]
/// server = "warehouse"          # optional: every server when absent
/// tool = "run_sql"
/// sql_dialect = "postgres"      # postgres, mysql, sqlite, duckdb, clickhouse, snowflake
/// arguments = { query = "sql" } # shell, sql, terraform_plan, written_path
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct McpConfig {
    pub tools: Vec<McpToolConfig>,
}

/// The arguments of one tool (on one server, or on any) that carry
/// something to classify.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct McpToolConfig {
    /// The server's name as the gateway knows it; every server when absent.
    #[serde(default)]
    pub server: Option<String>,
    /// The tool's name.
    pub tool: String,
    /// The SQL dialect of `sql` arguments.
    #[serde(default)]
    pub sql_dialect: SqlDialect,
    /// Argument name → what its value is.
    pub arguments: BTreeMap<String, McpArgumentKind>,
}

impl McpToolConfig {
    /// Whether this rule is about `tool` on `server`.
    pub fn applies_to(&self, server: &str, tool: &str) -> bool {
        self.tool == tool && self.server.as_deref().is_none_or(|s| s == server)
    }
}

/// What an MCP tool argument carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum McpArgumentKind {
    /// A shell command line.
    Shell,
    /// SQL, in the rule's `sql_dialect`.
    Sql,
    /// A Terraform plan in `terraform show -json` form (text or object).
    TerraformPlan,
    /// The path of a file the tool writes.
    WrittenPath,
}

/// The SQL dialects the database classifier parses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SqlDialect {
    #[default]
    Postgres,
    Mysql,
    Sqlite,
    Duckdb,
    Clickhouse,
    Snowflake,
}

impl SqlDialect {
    /// The SQL as the dialect's command-line client would be given it, so
    /// that the database rules judge it exactly as they judge that client.
    pub fn client_command(self, sql: &str) -> String {
        let quoted = format!("'{}'", sql.replace('\'', r"'\''"));
        match self {
            SqlDialect::Postgres => format!("psql -c {quoted}"),
            SqlDialect::Mysql => format!("mysql -e {quoted}"),
            SqlDialect::Sqlite => format!("sqlite3 database.db {quoted}"),
            SqlDialect::Duckdb => format!("duckdb -c {quoted}"),
            SqlDialect::Clickhouse => format!("clickhouse-client --query {quoted}"),
            SqlDialect::Snowflake => format!("snowsql -q {quoted}"),
        }
    }
}

/// The whole of `airlock.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub agent: AgentConfig,
    pub server: ServerConfig,
    pub policy: PolicyConfig,
    pub shell: ShellConfig,
    pub terraform: PlanConfig,
    /// How MCP tool calls' arguments are read.
    pub mcp: McpConfig,
    /// The organisation's floor for `airlock policy analyze` (read by the
    /// governance commands; kept here so one file serves both).
    pub governance: toml::Table,
}

/// A configuration together with where it came from.
#[derive(Debug, Clone, Default)]
pub struct LoadedConfig {
    pub config: Config,
    /// The file read, or `None` for built-in defaults.
    pub path: Option<PathBuf>,
}

impl LoadedConfig {
    /// Finds and reads the configuration: `explicit` (a flag) first, then
    /// `$AIRLOCK_CONFIG`, then the nearest `airlock.toml` at or above
    /// `start_dir`, then defaults.
    pub fn discover(explicit: Option<&Path>, start_dir: &Path) -> Result<Self, EngineError> {
        if let Some(path) = explicit {
            return Self::read(path);
        }
        if let Some(path) = std::env::var_os(CONFIG_ENV_VAR).filter(|p| !p.is_empty()) {
            return Self::read(Path::new(&path));
        }
        match find_upward(start_dir) {
            Some(path) => Self::read(&path),
            None => Ok(LoadedConfig::default()),
        }
    }

    /// Reads one configuration file.
    pub fn read(path: &Path) -> Result<Self, EngineError> {
        let text = std::fs::read_to_string(path).map_err(|source| EngineError::ConfigIo {
            path: path.to_path_buf(),
            source,
        })?;
        let config = toml::from_str(&text).map_err(|e| EngineError::ConfigSyntax {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Ok(LoadedConfig {
            config,
            path: Some(path.to_path_buf()),
        })
    }

    /// The directory relative paths in the config are resolved against.
    pub fn base_dir(&self) -> Option<&Path> {
        self.path.as_deref().and_then(Path::parent)
    }

    /// The policy directories to load, resolved, and how they combine with
    /// the built-in pack.
    pub fn policy_sources(&self) -> PolicySources {
        let base = self.base_dir().map(Path::to_path_buf).unwrap_or_default();
        let policy = &self.config.policy;
        let dirs = if policy.dirs.is_empty() {
            let default_dir = base.join("policies");
            if self.path.is_some() && default_dir.is_dir() {
                vec![default_dir]
            } else {
                Vec::new()
            }
        } else {
            policy.dirs.iter().map(|d| base.join(d)).collect()
        };
        PolicySources {
            dirs,
            mode: match policy.mode {
                PolicyModeName::Extend => PolicyMode::Extend,
                PolicyModeName::Replace => PolicyMode::Replace,
            },
        }
    }
}

fn find_upward(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join(CONFIG_FILE_NAME))
        .find(|candidate| candidate.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_nearest_config_upward() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b/c");
        std::fs::create_dir_all(&nested).unwrap();
        std::fs::write(
            dir.path().join("a/airlock.toml"),
            "[agent]\nid = \"ci-bot\"\n",
        )
        .unwrap();
        let loaded = LoadedConfig::discover(None, &nested).unwrap();
        assert_eq!(loaded.config.agent.id, "ci-bot");
        assert_eq!(loaded.path, Some(dir.path().join("a/airlock.toml")));
    }

    #[test]
    fn unknown_keys_are_errors_that_name_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("airlock.toml");
        std::fs::write(&path, "[agent]\nid = \"x\"\nrole = [\"oops\"]\n").unwrap();
        let err = LoadedConfig::read(&path).unwrap_err().to_string();
        assert!(err.contains("airlock.toml"), "{err}");
        assert!(err.contains("line 3"), "{err}");
        assert!(err.contains("role"), "{err}");
    }

    #[test]
    fn mcp_argument_rules_are_read_from_the_config() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("airlock.toml");
        std::fs::write(
            &path,
            "[[mcp.tools]]\nserver = \"warehouse\"\ntool = \"run_sql\"\nsql_dialect = \"mysql\"\narguments = { query = \"sql\" }\n",
        )
        .unwrap();
        let loaded = LoadedConfig::read(&path).unwrap();
        let rule = &loaded.config.mcp.tools[0];
        assert!(rule.applies_to("warehouse", "run_sql"));
        assert!(!rule.applies_to("other", "run_sql"));
        assert_eq!(rule.sql_dialect, SqlDialect::Mysql);
        assert_eq!(rule.arguments["query"], McpArgumentKind::Sql);
        assert_eq!(
            SqlDialect::Mysql.client_command("SELECT 'a'"),
            r"mysql -e 'SELECT '\''a'\'''"
        );
    }

    #[test]
    fn policies_dir_beside_the_config_is_used_by_default() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("policies")).unwrap();
        let path = dir.path().join("airlock.toml");
        std::fs::write(&path, "").unwrap();
        let loaded = LoadedConfig::read(&path).unwrap();
        let sources = loaded.policy_sources();
        assert_eq!(sources.dirs, vec![dir.path().join("policies")]);
        assert!(matches!(sources.mode, PolicyMode::Extend));
    }
}
