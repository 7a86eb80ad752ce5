//! A project as the governance tools see it: `airlock.toml` (the `[agent]`
//! and `[policy]` tables the engine reads, plus the `[governance]` table with
//! the organisation's floor), where its policies live, and reading a project
//! from a directory, a config file, or a git revision (`git:REV:path`).

use std::path::{Path, PathBuf};
use std::process::Command;

use airlock_policy::{PolicyEngine, PolicyMode, PolicySources};
use serde::Deserialize;

use crate::error::{toml_error, GovernanceError};

/// The file name of a project configuration.
pub const CONFIG_FILE_NAME: &str = "airlock.toml";

const CONFIG_HINT: &str = "airlock.toml has the tables [agent] (id, roles, operator, tenant), [policy] (mode = \"extend\"|\"replace\", dirs), [shell], [terraform] and [governance] (production_destroy_min_approvers, require_role_for_production, human_roles); see docs/governance.md";

/// The organisation's floor that escalations must meet, from the
/// `[governance]` table of `airlock.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GovernanceFloor {
    /// Fewest approvers a production delete, destroy or replace may need.
    pub production_destroy_min_approvers: u32,
    /// Whether such an escalation must name an approver role.
    pub require_role_for_production: bool,
    /// Roles held by people (approvers, operators) that an agent must never
    /// hold. Roles named in any `@approver_roles` count too.
    pub human_roles: Vec<String>,
}

impl Default for GovernanceFloor {
    fn default() -> Self {
        GovernanceFloor {
            production_destroy_min_approvers: 2,
            require_role_for_production: true,
            human_roles: ["senior", "approver", "admin"]
                .iter()
                .map(|r| r.to_string())
                .collect(),
        }
    }
}

/// The configured local agent, as the `[agent]` table states it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AgentSettings {
    pub id: String,
    pub roles: Vec<String>,
    pub operator: Option<String>,
    pub tenant: String,
}

impl Default for AgentSettings {
    fn default() -> Self {
        AgentSettings {
            id: "local-agent".to_string(),
            roles: vec!["agent".to_string()],
            operator: None,
            tenant: "default".to_string(),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum ModeName {
    #[default]
    Extend,
    Replace,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct PolicySection {
    mode: ModeName,
    dirs: Vec<PathBuf>,
}

/// The whole of `airlock.toml` as far as governance reads it; the `[shell]`
/// and `[terraform]` tables belong to the classifiers and are only required
/// to be tables here.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct ConfigFile {
    agent: AgentSettings,
    policy: PolicySection,
    governance: GovernanceFloor,
    shell: Option<toml::Table>,
    terraform: Option<toml::Table>,
}

/// A project: its configuration and where its policies are.
#[derive(Debug, Clone)]
pub struct Project {
    /// The `airlock.toml` read, if any.
    pub config_path: Option<PathBuf>,
    pub agent: AgentSettings,
    pub sources: PolicySources,
    pub floor: GovernanceFloor,
}

impl Project {
    /// Opens `path`: an `airlock.toml` file, a directory holding one, or a
    /// bare directory of `*.cedar` policies (extending the default pack,
    /// with the default agent and floor).
    pub fn open(path: &Path) -> Result<Project, GovernanceError> {
        if path.is_file() {
            return Self::from_config_file(path);
        }
        if !path.is_dir() {
            return Err(GovernanceError::Io {
                path: path.to_path_buf(),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "no such file or directory",
                ),
            });
        }
        let config = path.join(CONFIG_FILE_NAME);
        if config.is_file() {
            return Self::from_config_file(&config);
        }
        Ok(Project {
            config_path: None,
            agent: AgentSettings::default(),
            sources: PolicySources {
                dirs: vec![path.to_path_buf()],
                mode: PolicyMode::Extend,
            },
            floor: GovernanceFloor::default(),
        })
    }

    /// Reads one `airlock.toml`. Format errors point at `line:column`.
    pub fn from_config_file(path: &Path) -> Result<Project, GovernanceError> {
        let text = std::fs::read_to_string(path).map_err(|source| GovernanceError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_config_text(path, &text)
    }

    /// Parses `text` as the `airlock.toml` at `path` (relative policy
    /// directories resolve against its directory).
    pub fn from_config_text(path: &Path, text: &str) -> Result<Project, GovernanceError> {
        let label = path.display().to_string();
        let config: ConfigFile =
            toml::from_str(text).map_err(|err| toml_error(&label, text, &err, CONFIG_HINT))?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let dirs = if config.policy.dirs.is_empty() {
            let default_dir = base.join("policies");
            if default_dir.is_dir() {
                vec![default_dir]
            } else {
                Vec::new()
            }
        } else {
            config.policy.dirs.iter().map(|d| base.join(d)).collect()
        };
        let mut agent = config.agent;
        if agent.roles.is_empty() {
            agent.roles = vec![airlock_policy::Principal::DEFAULT_ROLE.to_string()];
        }
        Ok(Project {
            config_path: Some(path.to_path_buf()),
            agent,
            sources: PolicySources {
                dirs,
                mode: match config.policy.mode {
                    ModeName::Extend => PolicyMode::Extend,
                    ModeName::Replace => PolicyMode::Replace,
                },
            },
            floor: config.governance,
        })
    }

    /// Loads and strictly validates the project's policy set.
    pub fn load_engine(&self) -> Result<PolicyEngine, GovernanceError> {
        for dir in &self.sources.dirs {
            if !dir.is_dir() {
                return Err(GovernanceError::Io {
                    path: dir.clone(),
                    source: std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        "policy directory not found",
                    ),
                });
            }
        }
        Ok(PolicyEngine::load(&self.sources)?)
    }

    /// The `[agent]` settings as the policy engine's principal.
    pub fn principal(&self) -> airlock_policy::Principal {
        let mut principal = airlock_policy::Principal::new(&self.agent.id, &self.agent.tenant)
            .with_roles(self.agent.roles.iter().cloned());
        if let Some(operator) = &self.agent.operator {
            principal = principal.with_operator(operator.clone());
        }
        principal
    }
}

/// A project opened from a command-line source, possibly materialised from
/// git into a scratch directory that lives as long as this value.
#[derive(Debug)]
pub struct OpenedProject {
    pub project: Project,
    /// How the source was named on the command line.
    pub label: String,
    _scratch: Option<ScratchDir>,
}

/// Opens a source named on the command line: a directory, an
/// `airlock.toml`, or `git:REV:path` (a directory at a git revision of the
/// repository in the working directory).
pub fn open_source(spec: &str) -> Result<OpenedProject, GovernanceError> {
    match spec.strip_prefix("git:") {
        Some(rest) => {
            let (rev, path) = rest.split_once(':').ok_or_else(|| GovernanceError::Git {
                spec: spec.to_string(),
                message: "expected git:REV:path".to_string(),
            })?;
            let scratch = materialise_git(spec, rev, path)?;
            let project = Project::open(&scratch.0)?;
            Ok(OpenedProject {
                project,
                label: spec.to_string(),
                _scratch: Some(scratch),
            })
        }
        None => Ok(OpenedProject {
            project: Project::open(Path::new(spec))?,
            label: spec.to_string(),
            _scratch: None,
        }),
    }
}

/// A directory removed when dropped.
#[derive(Debug)]
struct ScratchDir(PathBuf);

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn git(spec: &str, args: &[&str]) -> Result<Vec<u8>, GovernanceError> {
    let output = Command::new("git")
        .args(args)
        .output()
        .map_err(|err| GovernanceError::Git {
            spec: spec.to_string(),
            message: format!("cannot run git: {err}"),
        })?;
    if !output.status.success() {
        return Err(GovernanceError::Git {
            spec: spec.to_string(),
            message: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        });
    }
    Ok(output.stdout)
}

/// Copies every file under `path` at `rev` into a fresh scratch directory.
fn materialise_git(spec: &str, rev: &str, path: &str) -> Result<ScratchDir, GovernanceError> {
    if rev.starts_with('-') {
        return Err(GovernanceError::Git {
            spec: spec.to_string(),
            message: "a revision cannot start with `-`".to_string(),
        });
    }
    let path = path.trim_end_matches('/');
    let path = if path.is_empty() { "." } else { path };
    let listing = git(spec, &["ls-tree", "-r", "--name-only", rev, "--", path])?;
    let listing = String::from_utf8_lossy(&listing);
    let files: Vec<&str> = listing.lines().filter(|l| !l.is_empty()).collect();
    if files.is_empty() {
        return Err(GovernanceError::Git {
            spec: spec.to_string(),
            message: format!("no files under `{path}` at revision `{rev}`"),
        });
    }
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let serial = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let root = std::env::temp_dir().join(format!(
        "airlock-governance-{}-{serial}",
        std::process::id()
    ));
    let scratch = ScratchDir(root.clone());
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |source| GovernanceError::Io { path: p, source }
    };
    std::fs::create_dir_all(&root).map_err(io(&root))?;
    let prefix = if path == "." {
        String::new()
    } else {
        format!("{path}/")
    };
    for file in files {
        let relative = file.strip_prefix(&prefix).unwrap_or(file);
        if relative.split('/').any(|part| part == "..") {
            continue;
        }
        let text = git(spec, &["show", &format!("{rev}:./{file}")])?;
        let dest = root.join(relative);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        std::fs::write(&dest, text).map_err(io(&dest))?;
    }
    Ok(scratch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_governance_floor_and_agent() {
        let project = Project::from_config_text(
            Path::new("/nowhere/airlock.toml"),
            "[agent]\nid = \"bot\"\nroles = [\"deployer\"]\noperator = \"alice\"\n[policy]\nmode = \"replace\"\ndirs = [\"p\"]\n[governance]\nproduction_destroy_min_approvers = 3\n",
        )
        .unwrap();
        assert_eq!(project.floor.production_destroy_min_approvers, 3);
        assert!(project.floor.require_role_for_production);
        assert_eq!(project.agent.operator.as_deref(), Some("alice"));
        assert_eq!(project.sources.mode, PolicyMode::Replace);
        assert_eq!(project.sources.dirs, vec![PathBuf::from("/nowhere/p")]);
    }

    #[test]
    fn format_errors_point_at_line_and_column() {
        let err = Project::from_config_text(
            Path::new("airlock.toml"),
            "[agent]\nid = \"x\"\nrole = [\"oops\"]\n",
        )
        .unwrap_err();
        assert_eq!(err.position(), Some((3, 1)), "{err}");
        assert!(err.to_string().starts_with("airlock.toml:3:1: "), "{err}");
    }
}
