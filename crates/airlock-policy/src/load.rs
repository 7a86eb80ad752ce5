//! Reading policy files: parsing each into Cedar policies named by their
//! `@id`, checking airlock's annotations, strict validation against the
//! airlock schema, and the version hash of a policy set. Every problem is
//! reported at the `file:line:column` it comes from.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use airlock_model::ApprovalRequirement;
use cedar_policy::{
    Effect as CedarEffect, Policy, PolicyId, PolicySet, Schema, ValidationMode, Validator,
};
use miette::Diagnostic;
use sha2::{Digest, Sha256};

use crate::annotations::{
    approval_requirement, AnnotationProblem, PolicyEffect, PolicyInfo, PolicyOrigin,
    APPROVALS_ANNOTATION, APPROVER_ROLES_ANNOTATION, ID_ANNOTATION, REASON_ANNOTATION,
};
use crate::error::{line_column, PolicyError};
use crate::pack::SCHEMA_TEXT;

/// One policy file's text and where it came from.
#[derive(Debug, Clone)]
pub(crate) struct SourceFile {
    /// What errors and [`PolicyInfo::file`] call the file: its path, or
    /// `default/<name>` for the built-in pack.
    pub label: String,
    /// The file name alone; what the version hash records, so that moving a
    /// checkout does not change the version.
    pub name: String,
    pub text: String,
    pub origin: PolicyOrigin,
}

/// A parsed policy, renamed to its `@id`, with what airlock read from it.
#[derive(Debug, Clone)]
pub(crate) struct LoadedPolicy {
    pub policy: Policy,
    pub info: PolicyInfo,
    /// Byte offset of the policy's first character in its file.
    pub start: usize,
    /// 1-based `(line, column)` of its `@id` annotation.
    pub id_position: (usize, usize),
}

const SYNTAX_HINT: &str = "each policy reads `@id(\"name\") permit|forbid (principal, action, resource) when { … };`; see docs/default-policy.md";
const SCHEMA_HINT: &str = "policies see principal (Airlock::Agent: operator, tenant; in Airlock::Role), resource (Airlock::Target: kind, name, environment, sensitivity), context.effect (kind, reversibility, risk, rule) and actions \"shell.exec\", \"file.write\", \"infra.apply\", \"mcp.call\"; see policies/schema.cedarschema";

/// Every `*.cedar` file directly in `dir`, sorted by file name.
pub(crate) fn read_policy_dir(dir: &Path) -> Result<Vec<SourceFile>, PolicyError> {
    let io_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| PolicyError::Io { path, source }
    };
    let mut paths: Vec<PathBuf> = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_error(dir))? {
        let path = entry.map_err(io_error(dir))?.path();
        if path.extension().is_some_and(|ext| ext == "cedar") && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).map_err(io_error(&path))?;
            Ok(SourceFile {
                label: path.display().to_string(),
                name: path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                text,
                origin: PolicyOrigin::Project,
            })
        })
        .collect()
}

/// Parses one file into its policies, in file order, each renamed to its
/// `@id` and with its annotations checked.
pub(crate) fn parse_file(file: &SourceFile) -> Result<Vec<LoadedPolicy>, PolicyError> {
    let set = PolicySet::from_str(&file.text).map_err(|errors| {
        let total = errors.iter().count();
        let first = errors.iter().next();
        let (offset, message, hint) = match first {
            Some(err) => diagnostic_parts(err),
            None => (None, errors.to_string(), None),
        };
        let (line, column) = line_column(&file.text, offset.unwrap_or(0));
        PolicyError::Parse {
            file: file.label.clone(),
            line,
            column,
            message: with_more(message, total),
            hint: hint.unwrap_or_else(|| SYNTAX_HINT.to_string()),
        }
    })?;
    if let Some(template) = set.templates().next() {
        let start = locate(&file.text, &template.to_string(), 0);
        let (line, column) = line_column(&file.text, start);
        return Err(PolicyError::Unsupported {
            file: file.label.clone(),
            line,
            column,
            message: "policy templates (`?principal`, `?resource`) are not supported".to_string(),
            hint: "write a static policy naming the entity, such as `principal in Airlock::Role::\"deployer\"`".to_string(),
        });
    }
    policies_in_order(&set, &file.text)
        .into_iter()
        .map(|(policy, text, start)| read_policy(file, policy, text, start))
        .collect()
}

/// Parses several trusted files (the embedded default pack) in one Cedar
/// parse: Cedar's lexer builds its automaton afresh for every parse, so one
/// parse of the joined text costs much less than one per file. Untrusted
/// files go through [`parse_file`] one by one, so that no file can finish a
/// policy another began. On any parse error the files are parsed one by one
/// to report it precisely.
pub(crate) fn parse_trusted_files(files: &[SourceFile]) -> Result<Vec<LoadedPolicy>, PolicyError> {
    let mut joined = String::new();
    let mut file_starts = Vec::with_capacity(files.len());
    for file in files {
        file_starts.push(joined.len());
        joined.push_str(&file.text);
        joined.push('\n');
    }
    let Ok(set) = PolicySet::from_str(&joined) else {
        let mut loaded = Vec::new();
        for file in files {
            loaded.extend(parse_file(file)?);
        }
        return Ok(loaded);
    };
    if set.templates().next().is_some() {
        // Report the template against its own file.
        for file in files {
            parse_file(file)?;
        }
    }
    policies_in_order(&set, &joined)
        .into_iter()
        .map(|(policy, text, offset)| {
            let index = file_starts
                .iter()
                .rposition(|&start| start <= offset)
                .unwrap_or(0);
            let file_start = file_starts.get(index).copied().unwrap_or(0);
            match files.get(index) {
                Some(file) => read_policy(file, policy, text, offset.saturating_sub(file_start)),
                None => Err(PolicyError::Schema {
                    message: "a policy was found outside every file".to_string(),
                }),
            }
        })
        .collect()
}

/// The policies of `set` in source order, each with its text and the byte
/// offset of that text in `source`.
fn policies_in_order<'a>(set: &'a PolicySet, source: &str) -> Vec<(&'a Policy, String, usize)> {
    let mut policies: Vec<&Policy> = set.policies().collect();
    policies.sort_by_key(|p| parse_order(p.id()));
    let mut cursor = 0;
    policies
        .into_iter()
        .map(|policy| {
            let text = policy.to_string();
            let start = locate(source, &text, cursor);
            cursor = start + text.len();
            (policy, text, start)
        })
        .collect()
}

/// The value of annotation `key`. Looks it up by name rather than through
/// `Policy::annotation`, which parses the key with Cedar's grammar and so
/// builds a second lexer at every process start.
fn annotation<'p>(policy: &'p cedar_policy::Policy, key: &str) -> Option<&'p str> {
    policy
        .annotations()
        .find(|(name, _)| *name == key)
        .map(|(_, value)| value)
}

/// `policy7` → 7: the position `PolicySet::from_str` gave a policy.
fn parse_order(id: &PolicyId) -> usize {
    let id: &str = id.as_ref();
    id.strip_prefix("policy")
        .and_then(|n| n.parse().ok())
        .unwrap_or(usize::MAX)
}

/// Byte offset of `needle` in `haystack`, searching from `from` first and
/// then from the start; 0 when not found.
fn locate(haystack: &str, needle: &str, from: usize) -> usize {
    haystack
        .get(from..)
        .and_then(|rest| rest.find(needle))
        .map(|i| i + from)
        .or_else(|| haystack.find(needle))
        .unwrap_or(0)
}

/// What airlock reads from a policy itself: its `@id`, `@reason`, effect
/// and escalation annotations.
pub(crate) struct PolicyFacts {
    pub id: String,
    pub effect: PolicyEffect,
    pub reason: Option<String>,
    pub approvals: Option<ApprovalRequirement>,
}

/// Reads [`PolicyFacts`] from a policy's effect and its annotations
/// (`annotation` gives the value of one by name); on a problem, the
/// policy's `@id` as far as it is known (empty when it has none) and the
/// problem.
pub(crate) fn policy_facts<'a>(
    effect: CedarEffect,
    annotation: impl Fn(&str) -> Option<&'a str>,
) -> Result<PolicyFacts, (String, AnnotationProblem)> {
    let id = annotation(ID_ANNOTATION)
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .ok_or_else(|| {
            (
                String::new(),
                AnnotationProblem {
                    annotation: ID_ANNOTATION,
                    message: "the policy has no @id (or an empty one)".to_string(),
                    hint: "start the policy with @id(\"a-unique-name\"); decisions and receipts name policies by it".to_string(),
                },
            )
        })?
        .to_string();
    let effect = match effect {
        CedarEffect::Permit => PolicyEffect::Permit,
        CedarEffect::Forbid => PolicyEffect::Forbid,
    };
    let approvals = approval_requirement(
        effect,
        annotation(APPROVALS_ANNOTATION),
        annotation(APPROVER_ROLES_ANNOTATION),
    )
    .map_err(|problem| (id.clone(), problem))?;
    let reason = annotation(REASON_ANNOTATION)
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_string);
    Ok(PolicyFacts {
        id,
        effect,
        reason,
        approvals,
    })
}

fn read_policy(
    file: &SourceFile,
    policy: &Policy,
    text: String,
    start: usize,
) -> Result<LoadedPolicy, PolicyError> {
    let PolicyFacts {
        id,
        effect,
        reason,
        approvals,
    } = policy_facts(policy.effect(), |key| annotation(policy, key)).map_err(
        |(policy_id, problem)| {
            let offset = text
                .find(&format!("@{}", problem.annotation))
                .map_or(start, |i| start + i);
            let (line, column) = line_column(&file.text, offset);
            PolicyError::Annotation {
                file: file.label.clone(),
                line,
                column,
                policy_id,
                message: problem.message,
                hint: problem.hint,
            }
        },
    )?;
    let (line, column) = line_column(&file.text, start);
    let id_offset = text.find("@id").map_or(start, |i| start + i);
    let id_position = line_column(&file.text, id_offset);
    Ok(LoadedPolicy {
        start,
        id_position,
        policy: policy.new_id(PolicyId::new(&id)),
        info: PolicyInfo {
            id,
            file: file.label.clone(),
            line,
            column,
            effect,
            reason,
            approvals,
            origin: file.origin,
            text,
        },
    })
}

/// Refuses a second policy with an `@id` already used, pointing at the second.
pub(crate) fn check_unique_ids(policies: &[LoadedPolicy]) -> Result<(), PolicyError> {
    let mut seen: std::collections::HashMap<&str, &PolicyInfo> = std::collections::HashMap::new();
    for loaded in policies {
        let info = &loaded.info;
        if let Some(first) = seen.insert(&info.id, info) {
            let (line, column) = loaded.id_position;
            return Err(PolicyError::Annotation {
                file: info.file.clone(),
                line,
                column,
                policy_id: info.id.clone(),
                message: format!(
                    "@id(\"{}\") is already used by the policy at {}:{}:{}",
                    info.id, first.file, first.line, first.column
                ),
                hint: "give every policy its own @id; with mode = \"extend\" the default pack's ids are taken too".to_string(),
            });
        }
    }
    Ok(())
}

/// The airlock schema, parsed.
pub(crate) fn schema() -> Result<Schema, PolicyError> {
    Schema::from_cedarschema_str(SCHEMA_TEXT)
        .map(|(schema, _warnings)| schema)
        .map_err(|err| PolicyError::Schema {
            message: err.to_string(),
        })
}

/// Strictly validates each file's policies against the airlock schema and
/// reports the first problem (in file order, then position).
pub(crate) fn validate(
    policies: &[LoadedPolicy],
    files: &[SourceFile],
    validator: &Validator,
) -> Result<(), PolicyError> {
    for file in files {
        let in_file: Vec<&LoadedPolicy> = policies
            .iter()
            .filter(|p| p.info.file == file.label)
            .collect();
        if in_file.is_empty() {
            continue;
        }
        let set =
            PolicySet::from_policies(in_file.iter().map(|p| p.policy.clone())).map_err(|err| {
                PolicyError::Annotation {
                    file: file.label.clone(),
                    line: 1,
                    column: 1,
                    policy_id: String::new(),
                    message: err.to_string(),
                    hint: "give every policy its own @id".to_string(),
                }
            })?;
        let result = validator.validate(&set, ValidationMode::Strict);
        let problems: Vec<_> = result
            .validation_errors()
            .map(|err| {
                let policy_id: &str = err.policy_id().as_ref();
                let policy_start = in_file
                    .iter()
                    .find(|p| p.info.id == policy_id)
                    .map_or(0, |p| p.start);
                let (offset, message, hint) = diagnostic_parts(err);
                (
                    offset.unwrap_or(policy_start),
                    policy_id.to_string(),
                    message,
                    hint,
                )
            })
            .collect();
        // Cedar reports a problem once per action the policy applies to;
        // count distinct spots.
        let mut spots: Vec<usize> = problems.iter().map(|(offset, ..)| *offset).collect();
        spots.sort_unstable();
        spots.dedup();
        let total = spots.len();
        let first = problems.into_iter().min_by_key(|(offset, ..)| *offset);
        if let Some((offset, policy_id, message, hint)) = first {
            let (line, column) = line_column(&file.text, offset);
            return Err(PolicyError::Validation {
                file: file.label.clone(),
                line,
                column,
                policy_id,
                message: with_more(message, total),
                hint: hint.unwrap_or_else(|| SCHEMA_HINT.to_string()),
            });
        }
    }
    Ok(())
}

/// The first labelled offset, the message and the help text of a Cedar
/// diagnostic.
fn diagnostic_parts(diagnostic: &dyn Diagnostic) -> (Option<usize>, String, Option<String>) {
    let offset = diagnostic
        .labels()
        .and_then(|mut labels| labels.next())
        .map(|label| label.offset());
    let help = diagnostic.help().map(|h| h.to_string());
    (offset, diagnostic.to_string(), help)
}

fn with_more(message: String, total: usize) -> String {
    match total {
        0 | 1 => message,
        2 => format!("{message} (and 1 more problem in this file)"),
        n => format!("{message} (and {} more problems in this file)", n - 1),
    }
}

/// `sha256:<hex>` over the schema and every file (name and text) in load
/// order, each length-prefixed so that no two different sets hash alike.
pub(crate) fn version(files: &[SourceFile]) -> String {
    let mut hasher = Sha256::new();
    let mut feed = |part: &str| {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    };
    feed("airlock-policy-set/1");
    feed("schema.cedarschema");
    feed(SCHEMA_TEXT);
    for file in files {
        feed(match file.origin {
            PolicyOrigin::DefaultPack => "default",
            PolicyOrigin::Project => "project",
        });
        feed(&file.name);
        feed(&file.text);
    }
    format!("sha256:{}", hex::encode(hasher.finalize()))
}
