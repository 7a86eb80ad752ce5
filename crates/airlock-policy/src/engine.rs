//! The policy engine: which policies are in force (the default pack, a
//! project's policy directories, or both), how they are loaded and checked,
//! and the facts about them that decisions and later analysis read.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Mutex;

use airlock_model::ToolKind;
use cedar_policy::{
    Authorizer, Entity, EntityId, EntityTypeName, EntityUid, PolicyId, PolicySet, Validator,
};

use crate::annotations::{PolicyInfo, PolicyOrigin};
use crate::error::PolicyError;
use crate::load::{self, LoadedPolicy, SourceFile};
use crate::pack::{DEFAULT_PACK, DEFAULT_PACK_DIR, SCHEMA_TEXT};
use crate::slice::{self, KindMask, KindSets, ALL_KINDS, DEFAULT_PACK_KINDS};

/// Who is asking: the registered agent, its roles (which become
/// `Airlock::Role` parents of the `Airlock::Agent` entity), the person it acts
/// for, and its tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Principal {
    pub agent: String,
    /// Roles of the agent. None at all means the single role `agent`.
    pub roles: Vec<String>,
    /// The operator the agent acts for; Cedar sees `""` when unknown.
    pub operator: Option<String>,
    pub tenant: String,
}

impl Principal {
    /// The role every principal without roles holds.
    pub const DEFAULT_ROLE: &'static str = "agent";

    /// An agent in `tenant` with no roles (so the role `agent`) and no operator.
    pub fn new(agent: impl Into<String>, tenant: impl Into<String>) -> Self {
        Principal {
            agent: agent.into(),
            roles: Vec::new(),
            operator: None,
            tenant: tenant.into(),
        }
    }

    pub fn with_roles<S: Into<String>>(mut self, roles: impl IntoIterator<Item = S>) -> Self {
        self.roles = roles.into_iter().map(Into::into).collect();
        self
    }

    pub fn with_operator(mut self, operator: impl Into<String>) -> Self {
        self.operator = Some(operator.into());
        self
    }

    /// The roles Cedar sees: the given ones, or `agent` when there are none.
    pub fn effective_roles(&self) -> Vec<&str> {
        if self.roles.is_empty() {
            vec![Self::DEFAULT_ROLE]
        } else {
            self.roles.iter().map(String::as_str).collect()
        }
    }
}

/// How project policies combine with the default pack.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum PolicyMode {
    /// The default pack plus the project's policies.
    #[default]
    Extend,
    /// The project's policies alone.
    Replace,
}

/// Where a project's policies live and how they combine with the default pack.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicySources {
    /// Directories whose `*.cedar` files (not recursing) are loaded, each
    /// directory's files in file-name order, directories in this order.
    pub dirs: Vec<PathBuf>,
    pub mode: PolicyMode,
}

/// Cedar names the engine uses on every decision, built once.
#[derive(Debug, Clone)]
pub(crate) struct CedarNames {
    pub agent: EntityTypeName,
    pub role: EntityTypeName,
    pub target: EntityTypeName,
    shell_exec: EntityUid,
    file_write: EntityUid,
    infra_apply: EntityUid,
    mcp_call: EntityUid,
}

impl CedarNames {
    fn new() -> Result<Self, PolicyError> {
        let type_name = |name: &str| {
            EntityTypeName::from_str(name).map_err(|err| PolicyError::Schema {
                message: format!("entity type {name}: {err}"),
            })
        };
        let action_type = type_name("Airlock::Action")?;
        let action = |tool: ToolKind| {
            EntityUid::from_type_name_and_id(action_type.clone(), EntityId::new(tool.capability()))
        };
        Ok(CedarNames {
            agent: type_name("Airlock::Agent")?,
            role: type_name("Airlock::Role")?,
            target: type_name("Airlock::Target")?,
            shell_exec: action(ToolKind::Shell),
            file_write: action(ToolKind::FileWrite),
            infra_apply: action(ToolKind::TerraformPlan),
            mcp_call: action(ToolKind::McpCall),
        })
    }

    /// The action uid of `tool`'s capability.
    pub fn action(&self, tool: ToolKind) -> &EntityUid {
        match tool {
            ToolKind::Shell => &self.shell_exec,
            ToolKind::FileWrite => &self.file_write,
            ToolKind::TerraformPlan => &self.infra_apply,
            ToolKind::McpCall => &self.mcp_call,
        }
    }
}

/// A loaded, checked policy set, ready to decide.
#[derive(Debug, Clone)]
pub struct PolicyEngine {
    pub(crate) policy_set: PolicySet,
    pub(crate) policies: Vec<PolicyInfo>,
    pub(crate) by_id: HashMap<String, usize>,
    pub(crate) version: String,
    pub(crate) names: CedarNames,
    pub(crate) authorizer: Authorizer,
    /// The effect kinds each policy (by index) can apply to.
    pub(crate) kind_masks: Vec<KindMask>,
    /// The policies that can apply to each effect kind, built on first use.
    pub(crate) kind_sets: KindSets,
    /// The last principal decided for and its Cedar entity.
    pub(crate) principal_cache: PrincipalCache,
}

/// The most recent principal and its built `Airlock::Agent` entity: hook
/// processes and servers mostly decide for one principal over and over.
#[derive(Debug, Default)]
pub(crate) struct PrincipalCache {
    last: Mutex<Option<(Principal, Entity)>>,
}

impl PrincipalCache {
    /// The cached entity of `principal`, or `build`'s, remembered.
    pub(crate) fn get_or_build(
        &self,
        principal: &Principal,
        build: impl FnOnce() -> Result<Entity, String>,
    ) -> Result<Entity, String> {
        if let Ok(last) = self.last.try_lock() {
            if let Some((cached, entity)) = last.as_ref() {
                if cached == principal {
                    return Ok(entity.clone());
                }
            }
        }
        let entity = build()?;
        if let Ok(mut last) = self.last.try_lock() {
            *last = Some((principal.clone(), entity.clone()));
        }
        Ok(entity)
    }
}

impl Clone for PrincipalCache {
    fn clone(&self) -> Self {
        PrincipalCache::default()
    }
}

/// Whether and how project policies are validated at load.
enum Validation<'a> {
    /// Validate project files against the schema.
    Always,
    /// Validate unless `cache_dir` records that this exact set validated.
    Cached(&'a Path),
}

impl PolicyEngine {
    /// airlock's built-in default pack alone.
    ///
    /// The pack is not validated here: `tests::default_pack_validates_strictly`
    /// proves it valid against the schema, so start-up pays only for parsing.
    pub fn default_pack() -> Result<Self, PolicyError> {
        Self::assemble(default_pack_files(), None)
    }

    /// The policies `sources` name: every `*.cedar` file in each directory
    /// (file-name order), with the default pack first in
    /// [`PolicyMode::Extend`]. Project policies are validated strictly
    /// against the airlock schema; any problem is an error naming its
    /// `file:line:column`.
    pub fn load(sources: &PolicySources) -> Result<Self, PolicyError> {
        Self::assemble(source_files(sources)?, Some(Validation::Always))
    }

    /// Like [`PolicyEngine::load`], but remembers in `cache_dir` which policy
    /// sets (by [`PolicyEngine::version`]) validated, and skips schema
    /// validation of a set seen before. Parsing and annotation checks always
    /// run. The cache holds empty marker files named by version; failing to
    /// write one is not an error. A policy that somehow runs unvalidated can
    /// only fail closed: an evaluation error denies.
    pub fn load_cached(sources: &PolicySources, cache_dir: &Path) -> Result<Self, PolicyError> {
        Self::assemble(source_files(sources)?, Some(Validation::Cached(cache_dir)))
    }

    fn assemble(
        files: Vec<SourceFile>,
        validation: Option<Validation<'_>>,
    ) -> Result<Self, PolicyError> {
        // The default pack always comes first.
        let pack_len = files
            .iter()
            .position(|f| f.origin != PolicyOrigin::DefaultPack)
            .unwrap_or(files.len());
        let (trusted, project) = files.split_at(pack_len);
        let mut loaded: Vec<LoadedPolicy> = load::parse_trusted_files(trusted)?;
        for file in project {
            loaded.extend(load::parse_file(file)?);
        }
        load::check_unique_ids(&loaded)?;
        let version = load::version(&files);
        let project_files: Vec<SourceFile> = files
            .into_iter()
            .filter(|f| f.origin == PolicyOrigin::Project)
            .collect();
        if !project_files.is_empty() {
            match validation {
                None => {}
                Some(Validation::Always) => validate_project(&loaded, &project_files)?,
                Some(Validation::Cached(cache_dir)) => {
                    let marker = cache_dir.join(format!(
                        "validated-{}",
                        version.trim_start_matches("sha256:")
                    ));
                    if !marker.is_file() {
                        validate_project(&loaded, &project_files)?;
                        // Best effort: a missing marker only costs a validation.
                        let _ = std::fs::create_dir_all(cache_dir)
                            .and_then(|()| std::fs::write(&marker, b""));
                    }
                }
            }
        }
        let mut policies = Vec::with_capacity(loaded.len());
        let mut cedar_policies = Vec::with_capacity(loaded.len());
        for item in loaded {
            policies.push(item.info);
            cedar_policies.push(item.policy);
        }
        let policy_set =
            PolicySet::from_policies(cedar_policies).map_err(|err| PolicyError::Annotation {
                file: String::from("<policy set>"),
                line: 1,
                column: 1,
                policy_id: String::new(),
                message: err.to_string(),
                hint: "give every policy its own @id".to_string(),
            })?;
        let by_id = policies
            .iter()
            .enumerate()
            .map(|(index, info)| (info.id.clone(), index))
            .collect();
        let kind_masks = policies
            .iter()
            .map(|info| {
                let built_in = (info.origin == PolicyOrigin::DefaultPack)
                    .then(|| DEFAULT_PACK_KINDS.iter().find(|(id, _)| *id == info.id))
                    .flatten();
                match built_in {
                    Some((_, mask)) => *mask,
                    None => policy_set
                        .policy(&PolicyId::new(&info.id))
                        .map_or(ALL_KINDS, slice::kinds_of),
                }
            })
            .collect();
        Ok(PolicyEngine {
            kind_masks,
            kind_sets: KindSets::default(),
            principal_cache: PrincipalCache::default(),
            policy_set,
            policies,
            by_id,
            version,
            names: CedarNames::new()?,
            authorizer: Authorizer::new(),
        })
    }

    /// `sha256:<hex>` over the schema and every policy file (name and text)
    /// in load order. Changes whenever any policy text changes.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The Cedar schema (human-readable format) every policy is checked
    /// against.
    pub fn schema_text() -> &'static str {
        SCHEMA_TEXT
    }

    /// The airlock schema, parsed, for tools that validate or analyse
    /// policies themselves.
    pub fn schema() -> Result<cedar_policy::Schema, PolicyError> {
        load::schema()
    }

    /// Every policy in force, in load order (default pack first, then
    /// project files in order, policies in file order).
    pub fn policies(&self) -> &[PolicyInfo] {
        &self.policies
    }

    /// The policy with `@id` `id`.
    pub fn policy(&self, id: &str) -> Option<&PolicyInfo> {
        self.by_id.get(id).and_then(|&i| self.policies.get(i))
    }

    /// The Cedar policy set, with policy ids equal to their `@id`s.
    pub fn policy_set(&self) -> &PolicySet {
        &self.policy_set
    }
}

/// The embedded default pack as source files.
fn default_pack_files() -> Vec<SourceFile> {
    DEFAULT_PACK
        .iter()
        .map(|(name, text)| SourceFile {
            label: format!("{DEFAULT_PACK_DIR}/{name}"),
            name: (*name).to_string(),
            text: (*text).to_string(),
            origin: PolicyOrigin::DefaultPack,
        })
        .collect()
}

fn source_files(sources: &PolicySources) -> Result<Vec<SourceFile>, PolicyError> {
    let mut files = match sources.mode {
        PolicyMode::Extend => default_pack_files(),
        PolicyMode::Replace => Vec::new(),
    };
    for dir in &sources.dirs {
        files.extend(load::read_policy_dir(dir)?);
    }
    Ok(files)
}

fn validate_project(
    loaded: &[LoadedPolicy],
    project_files: &[SourceFile],
) -> Result<(), PolicyError> {
    let validator = Validator::new(load::schema()?);
    load::validate(loaded, project_files, &validator)
}
