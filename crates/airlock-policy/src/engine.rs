//! The policy engine: which policies are in force (the default pack, a
//! project's policy directories, or both), how they are loaded and checked,
//! and the facts about them that decisions and later analysis read.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Mutex;

use airlock_model::ToolKind;
use cedar_policy::{
    Authorizer, Entity, EntityId, EntityTypeName, EntityUid, Policy, PolicySet, Validator,
};

use crate::annotations::{PolicyInfo, PolicyOrigin};
use crate::compiled;
use crate::error::PolicyError;
use crate::load::{self, LoadedPolicy, SourceFile};
use crate::pack::{DEFAULT_PACK, DEFAULT_PACK_DIR, SCHEMA_TEXT};
use crate::slice::{self, KindMask, KindSets, DEFAULT_PACK_KINDS};

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
    /// Whether the policies were read from a compiled form.
    pub(crate) compiled: bool,
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
    /// Use the compiled set `cache_dir` keeps for this exact set of sources,
    /// or validate and keep one there.
    Cached(&'a Path),
}

impl PolicyEngine {
    /// airlock's built-in default pack alone.
    ///
    /// The pack is not validated here: `tests::default_pack_validates_strictly`
    /// proves it valid against the schema. It is read from its compiled form
    /// embedded in the binary, so start-up does not even parse it.
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

    /// Like [`PolicyEngine::load`], but keeps each policy set's compiled
    /// form (its policies in Cedar's JSON form, once parsed, checked and
    /// validated) in `cache_dir`, named by [`PolicyEngine::version`], and
    /// loads a set seen before from there instead of parsing and validating
    /// it again. The sources are read and hashed on every load, so an edited
    /// policy is never served from the cache; a cache entry that is not
    /// intact, not current, or not private to the user is ignored. Failing
    /// to write the cache is not an error.
    pub fn load_cached(sources: &PolicySources, cache_dir: &Path) -> Result<Self, PolicyError> {
        Self::assemble(source_files(sources)?, Some(Validation::Cached(cache_dir)))
    }

    fn assemble(
        files: Vec<SourceFile>,
        validation: Option<Validation<'_>>,
    ) -> Result<Self, PolicyError> {
        let version = load::version(&files);
        let has_project_files = files.iter().any(|f| f.origin == PolicyOrigin::Project);
        let compiled = if !has_project_files {
            compiled::decode(
                compiled::DEFAULT_PACK,
                &version,
                &files,
                compiled::Checks::HeaderOnly,
            )
        } else if let Some(Validation::Cached(cache_dir)) = validation {
            compiled::fetch(cache_dir, &version).and_then(|bytes| {
                compiled::decode(&bytes, &version, &files, compiled::Checks::Full)
            })
        } else {
            None
        };
        match compiled {
            Some(policies) => Self::from_parts(
                policies
                    .into_iter()
                    .map(|c| (c.policy, c.info, c.kinds))
                    .collect(),
                version,
                true,
            ),
            None => Self::parse(files, validation, version),
        }
    }

    /// Parses and checks `files`, validates the project files among them as
    /// `validation` says, and keeps the compiled set where it asks.
    fn parse(
        files: Vec<SourceFile>,
        validation: Option<Validation<'_>>,
        version: String,
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
        let project_files: Vec<SourceFile> = files
            .into_iter()
            .filter(|f| f.origin == PolicyOrigin::Project)
            .collect();
        if !project_files.is_empty() {
            match validation {
                None => {}
                Some(Validation::Always) => validate_project(&loaded, &project_files)?,
                Some(Validation::Cached(cache_dir)) => {
                    validate_project(&loaded, &project_files)?;
                    // Best effort: without a cache entry the next load
                    // parses and validates again.
                    if let Some(bytes) = compiled::encode(&version, &loaded) {
                        let _ = compiled::store(cache_dir, &version, &bytes);
                    }
                }
            }
        }
        let parts = loaded
            .into_iter()
            .map(|item| {
                let built_in = (item.info.origin == PolicyOrigin::DefaultPack)
                    .then(|| {
                        DEFAULT_PACK_KINDS
                            .iter()
                            .find(|(id, _)| *id == item.info.id)
                    })
                    .flatten();
                let kinds = match built_in {
                    Some((_, mask)) => *mask,
                    None => slice::kinds_of(&item.policy),
                };
                (item.policy, item.info, kinds)
            })
            .collect();
        Self::from_parts(parts, version, false)
    }

    /// The engine over `parts` (each policy, what airlock knows of it, and
    /// the effect kinds it can apply to), in load order; `compiled` says
    /// whether they were read from a compiled form.
    fn from_parts(
        parts: Vec<(Policy, PolicyInfo, KindMask)>,
        version: String,
        compiled: bool,
    ) -> Result<Self, PolicyError> {
        let mut policies = Vec::with_capacity(parts.len());
        let mut cedar_policies = Vec::with_capacity(parts.len());
        let mut kind_masks = Vec::with_capacity(parts.len());
        for (policy, info, kinds) in parts {
            cedar_policies.push(policy);
            policies.push(info);
            kind_masks.push(kinds);
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
        Ok(PolicyEngine {
            kind_masks,
            kind_sets: KindSets::default(),
            principal_cache: PrincipalCache::default(),
            compiled,
            policy_set,
            policies,
            by_id,
            version,
            names: CedarNames::new()?,
            authorizer: Authorizer::new(),
        })
    }

    /// Builds what Cedar shares between all policy sets of a process (the
    /// table of its extension functions, whose names go through Cedar's
    /// parser, and the pattern entity type names are checked with): about
    /// half a millisecond that every engine otherwise pays on its first
    /// construction. An engine waits for a build in progress
    /// rather than repeating it, so calling this on a second thread at
    /// process start is only ever a head start; a hook process does that
    /// while it reads its input and its policies.
    pub fn warm_up() {
        // The names first: an engine needs them before the authorizer.
        let _ = CedarNames::new();
        let _ = Authorizer::new();
    }

    /// `sha256:<hex>` over the schema and every policy file (name and text)
    /// in load order. Changes whenever any policy text changes.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Whether the policies were read from a compiled form (the embedded
    /// default pack, or a cache entry of [`PolicyEngine::load_cached`])
    /// rather than parsed from their text.
    pub fn loaded_from_compiled_form(&self) -> bool {
        self.compiled
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

    /// The Cedar policy set, with policy ids equal to their `@id`s. What
    /// airlock reads from annotations is in [`PolicyEngine::policies`]; the
    /// Cedar policies of a set read from its compiled form carry no
    /// annotations (Cedar does not read them when it decides).
    pub fn policy_set(&self) -> &PolicySet {
        &self.policy_set
    }
}

/// The embedded default pack as source files.
pub(crate) fn default_pack_files() -> Vec<SourceFile> {
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
