//! The compiled form of a policy set: each policy in Cedar's JSON form (EST)
//! with the file and position it came from, bound to the set's version.
//! Reading it needs no Cedar text parser, whose construction (a lexer
//! automaton, built afresh in every process) was most of a hook process's
//! start-up.
//!
//! The default pack's compiled form is embedded in the binary
//! (`policies/default-pack.compiled`, kept equal to the sources by
//! `tests::embedded_default_pack_is_current`). A caller that passes a cache
//! directory gets each project policy set's compiled form written there once
//! the set has been parsed, checked and validated, named by the set's
//! version.
//!
//! A compiled set is used only when its header names this layout, the linked
//! Cedar version and the exact version of the sources being loaded (the hash
//! of the schema and of every file's name and text), its body matches the
//! header's digest, and each policy it holds reads back into the same JSON.
//! (At start-up only the embedded pack's header is checked: the tests read
//! these very bytes back with every check.) What a verdict rests on (`@id`,
//! the effect, the escalation annotations, the effect kinds a policy can
//! apply to) is read again from the policy itself. Anything else is ignored
//! and the sources are parsed again. Cache files are created 0600 in a 0700
//! directory, written whole and renamed into place, and read only when the
//! user owns them and nobody else may write them or their directory.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use cedar_policy::{Policy, PolicyId};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::annotations::{PolicyInfo, ID_ANNOTATION};
use crate::est;
use crate::load::{self, LoadedPolicy, SourceFile};
use crate::slice::{self, KindMask};

/// Names this layout; changes whenever the layout does.
const FORMAT: &str = "airlock-compiled-policy-set/1";

/// The default pack (`policies/default/*.cedar`), compiled.
pub(crate) const DEFAULT_PACK: &[u8] = include_bytes!("../policies/default-pack.compiled");

/// The first line of a compiled set.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    format: String,
    /// The cedar-policy version that wrote the policies' JSON form.
    cedar: String,
    /// The policy set's version (see `load::version`).
    version: String,
    /// `sha256:<hex>` of everything after the header line.
    digest: String,
}

/// One policy of the body, a JSON array after the header line.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    /// The label of the source file it was read from.
    file: String,
    line: usize,
    column: usize,
    /// Its Cedar source text, annotations included.
    text: String,
    /// The policy in Cedar's JSON form.
    cedar: Value,
}

/// A policy read back from a compiled set.
pub(crate) struct CompiledPolicy {
    pub policy: Policy,
    pub info: PolicyInfo,
    /// The effect kinds it can apply to.
    pub kinds: KindMask,
}

fn cedar_version() -> String {
    cedar_policy::get_sdk_version().to_string()
}

fn digest(body: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(body)))
}

/// The compiled form of `policies`, the loaded set at `version`; `None` when
/// a policy has no JSON form.
pub(crate) fn encode(version: &str, policies: &[LoadedPolicy]) -> Option<Vec<u8>> {
    let entries = policies
        .iter()
        .map(|loaded| {
            Some(Entry {
                file: loaded.info.file.clone(),
                line: loaded.info.line,
                column: loaded.info.column,
                text: loaded.info.text.clone(),
                cedar: loaded.policy.to_json().ok()?,
            })
        })
        .collect::<Option<Vec<Entry>>>()?;
    let mut body = serde_json::to_vec(&entries).ok()?;
    body.push(b'\n');
    let header = Header {
        format: FORMAT.to_string(),
        cedar: cedar_version(),
        version: version.to_string(),
        digest: digest(&body),
    };
    let mut out = serde_json::to_vec(&header).ok()?;
    out.push(b'\n');
    out.extend_from_slice(&body);
    Some(out)
}

/// How much of a compiled set is checked as it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Checks {
    /// The header, the body's digest, and every policy turned back into JSON.
    Full,
    /// The header: for the embedded default pack, whose very bytes the tests
    /// read back with [`Checks::Full`] (`tests::embedded_default_pack_is_current`).
    HeaderOnly,
}

/// The policies of a compiled set of the sources `files` at `version`, in
/// load order; `None` unless the set is intact and current.
pub(crate) fn decode(
    bytes: &[u8],
    version: &str,
    files: &[SourceFile],
    checks: Checks,
) -> Option<Vec<CompiledPolicy>> {
    let newline = bytes.iter().position(|b| *b == b'\n')?;
    let header: Header = serde_json::from_slice(bytes.get(..newline)?).ok()?;
    let body = bytes.get(newline + 1..)?;
    if header.format != FORMAT
        || header.version != version
        || header.cedar != cedar_version()
        || (checks == Checks::Full && header.digest != digest(body))
    {
        return None;
    }
    let entries: Vec<Entry> = serde_json::from_slice(body).ok()?;
    let mut ids = HashSet::with_capacity(entries.len());
    entries
        .into_iter()
        .map(|entry| {
            let source = files.iter().find(|file| file.label == entry.file)?;
            let annotations = match entry.cedar.get("annotations") {
                Some(Value::Object(annotations)) => annotations,
                _ => return None,
            };
            // As Cedar reads them: an annotation without a value is "".
            let annotation = |key: &str| match annotations.get(key) {
                Some(Value::String(value)) => Some(value.as_str()),
                Some(Value::Null) => Some(""),
                _ => None,
            };
            let id = annotation(ID_ANNOTATION).map(str::trim)?;
            let policy =
                est::policy_from_est(&PolicyId::new(id), &entry.cedar, checks == Checks::Full)?;
            let facts = load::policy_facts(policy.effect(), annotation).ok()?;
            if !ids.insert(facts.id.clone()) {
                return None;
            }
            Some(CompiledPolicy {
                policy,
                kinds: slice::kinds_of_est(&entry.cedar),
                info: PolicyInfo {
                    id: facts.id,
                    file: entry.file,
                    line: entry.line,
                    column: entry.column,
                    effect: facts.effect,
                    reason: facts.reason,
                    approvals: facts.approvals,
                    origin: source.origin,
                    text: entry.text,
                },
            })
        })
        .collect()
}

/// Where the compiled set of `version` is kept in `cache_dir`.
fn entry_path(cache_dir: &Path, version: &str) -> PathBuf {
    cache_dir.join(format!(
        "{}.policies",
        version.trim_start_matches("sha256:")
    ))
}

/// The bytes of the compiled set of `version` in `cache_dir`, when there is
/// one and the cache may be trusted.
pub(crate) fn fetch(cache_dir: &Path, version: &str) -> Option<Vec<u8>> {
    let directory = std::fs::metadata(cache_dir).ok()?;
    if !directory.is_dir() || !owned_and_private(&directory) {
        return None;
    }
    let mut file = std::fs::File::open(entry_path(cache_dir, version)).ok()?;
    let metadata = file.metadata().ok()?;
    if !metadata.is_file() || !owned_and_private(&metadata) {
        return None;
    }
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or_default());
    file.read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

/// Whether the current user owns the file or directory and nobody else may
/// write it.
#[cfg(unix)]
fn owned_and_private(metadata: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    metadata.uid() == rustix::process::geteuid().as_raw() && metadata.mode() & 0o022 == 0
}

/// Without Unix ownership to check, no cache is trusted.
#[cfg(not(unix))]
fn owned_and_private(_metadata: &std::fs::Metadata) -> bool {
    false
}

/// Keeps `bytes`, the compiled set of `version`, in `cache_dir` (created
/// 0700 when missing): written to a private temporary file, then renamed.
#[cfg(unix)]
pub(crate) fn store(cache_dir: &Path, version: &str, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};

    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(cache_dir)?;
    let directory = std::fs::metadata(cache_dir)?;
    if !directory.is_dir() || !owned_and_private(&directory) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            "the policy cache directory is not the user's own",
        ));
    }
    let path = entry_path(cache_dir, version);
    let temporary = cache_dir.join(format!(
        ".{}.{}.tmp",
        version.trim_start_matches("sha256:"),
        std::process::id()
    ));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temporary)
        .and_then(|mut file| file.write_all(bytes))
        .and_then(|()| std::fs::rename(&temporary, &path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

/// Without Unix ownership to check, nothing is cached.
#[cfg(not(unix))]
pub(crate) fn store(_cache_dir: &Path, _version: &str, _bytes: &[u8]) -> std::io::Result<()> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "the policy cache needs Unix file ownership",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{default_pack_files, PolicyEngine, PolicyMode, PolicySources};

    const UPDATE_VARIABLE: &str = "AIRLOCK_UPDATE_COMPILED_PACK";

    /// The policies of a compiled set, comparable: what airlock knows of
    /// each, and its Cedar JSON form.
    fn contents(policies: &[CompiledPolicy]) -> Vec<(PolicyInfo, Value, KindMask)> {
        policies
            .iter()
            .map(|c| (c.info.clone(), c.policy.to_json().unwrap(), c.kinds))
            .collect()
    }

    #[test]
    fn embedded_default_pack_is_current() {
        let files = default_pack_files();
        let version = load::version(&files);
        let parsed = load::parse_trusted_files(&files).unwrap();
        let fresh = encode(&version, &parsed).unwrap();
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/default-pack.compiled");
        if std::env::var_os(UPDATE_VARIABLE).is_some() {
            std::fs::write(&path, &fresh).unwrap();
        }
        let embedded = decode(DEFAULT_PACK, &version, &files, Checks::Full).unwrap_or_else(|| {
            panic!(
                "{} is not the compiled form of policies/default/: run `{UPDATE_VARIABLE}=1 cargo test -p airlock-policy embedded_default_pack_is_current`",
                path.display()
            )
        });
        let fresh = decode(&fresh, &version, &files, Checks::Full).unwrap();
        assert_eq!(contents(&embedded), contents(&fresh));
        // What start-up reads, with the header checked only.
        let started = decode(DEFAULT_PACK, &version, &files, Checks::HeaderOnly).unwrap();
        assert_eq!(contents(&started), contents(&embedded));
        // What the text parse yields, field by field.
        assert_eq!(embedded.len(), parsed.len());
        for (compiled, loaded) in embedded.iter().zip(&parsed) {
            assert_eq!(compiled.info, loaded.info);
            assert_eq!(compiled.policy.id(), loaded.policy.id());
            assert!(est::equal_but_annotations(
                &compiled.policy.to_json().unwrap(),
                &loaded.policy.to_json().unwrap()
            ));
            assert_eq!(compiled.kinds, slice::kinds_of(&loaded.policy));
        }
        assert!(PolicyEngine::default_pack()
            .unwrap()
            .loaded_from_compiled_form());
    }

    #[test]
    fn a_compiled_set_is_refused_for_other_sources_or_when_damaged() {
        let files = default_pack_files();
        let version = load::version(&files);
        let bytes = encode(&version, &load::parse_trusted_files(&files).unwrap()).unwrap();
        assert!(decode(&bytes, &version, &files, Checks::Full).is_some());
        // Another version of the sources.
        let mut edited = files.clone();
        edited[0].text.push_str("\n// edited\n");
        assert!(decode(&bytes, &load::version(&edited), &edited, Checks::Full).is_none());
        // Sources without the files the set names.
        assert!(decode(&bytes, &version, &files[1..], Checks::Full).is_none());
        // Truncated, or any byte changed.
        assert!(decode(&bytes[..bytes.len() - 10], &version, &files, Checks::Full).is_none());
        for index in [3, bytes.len() / 2, bytes.len() - 3] {
            let mut damaged = bytes.clone();
            damaged[index] ^= 0x20;
            assert!(
                decode(&damaged, &version, &files, Checks::Full).is_none(),
                "byte {index}"
            );
        }
        assert!(decode(b"", &version, &files, Checks::Full).is_none());
    }

    #[cfg(unix)]
    mod cache {
        use std::os::unix::fs::PermissionsExt;

        use super::*;

        const PROJECT_POLICY: &str = "@id(\"deployers-apply\")\n@reason(\"Deployers apply.\")\npermit (principal in Airlock::Role::\"deployer\", action == Airlock::Action::\"infra.apply\", resource)\nwhen { resource.environment == \"production\" };\n";

        fn project() -> (tempfile::TempDir, PolicySources) {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join("deployers.cedar"), PROJECT_POLICY).unwrap();
            let sources = PolicySources {
                dirs: vec![dir.path().to_path_buf()],
                mode: PolicyMode::Extend,
            };
            (dir, sources)
        }

        fn mode(path: &Path) -> u32 {
            std::fs::metadata(path).unwrap().permissions().mode() & 0o777
        }

        fn entries(cache_dir: &Path) -> Vec<PathBuf> {
            std::fs::read_dir(cache_dir)
                .unwrap()
                .map(|entry| entry.unwrap().path())
                .collect()
        }

        #[test]
        fn a_validated_set_is_kept_privately_and_read_back() {
            let (_dir, sources) = project();
            let cache = tempfile::tempdir().unwrap();
            let cache_dir = cache.path().join("airlock").join("policies");
            let first = PolicyEngine::load_cached(&sources, &cache_dir).unwrap();
            assert!(!first.loaded_from_compiled_form());
            assert_eq!(mode(&cache_dir), 0o700);
            let kept = entries(&cache_dir);
            assert_eq!(kept.len(), 1);
            assert_eq!(mode(&kept[0]), 0o600);

            let second = PolicyEngine::load_cached(&sources, &cache_dir).unwrap();
            assert!(second.loaded_from_compiled_form());
            assert_eq!(first.version(), second.version());
            assert_eq!(first.policies(), second.policies());
            assert_eq!(first.kind_masks, second.kind_masks);
        }

        #[test]
        fn a_damaged_or_exposed_entry_is_ignored_and_rebuilt() {
            let (_dir, sources) = project();
            let cache = tempfile::tempdir().unwrap();
            let cache_dir = cache.path().join("policies");
            let reference = PolicyEngine::load_cached(&sources, &cache_dir).unwrap();
            let entry = entries(&cache_dir).remove(0);

            // A changed byte: parsed again, and the entry rewritten.
            let mut bytes = std::fs::read(&entry).unwrap();
            let last = bytes.len() - 5;
            bytes[last] ^= 0x01;
            std::fs::write(&entry, &bytes).unwrap();
            let engine = PolicyEngine::load_cached(&sources, &cache_dir).unwrap();
            assert!(!engine.loaded_from_compiled_form());
            assert_eq!(engine.policies(), reference.policies());
            assert!(PolicyEngine::load_cached(&sources, &cache_dir)
                .unwrap()
                .loaded_from_compiled_form());

            // An entry others may write is not read.
            std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(0o666)).unwrap();
            assert!(!PolicyEngine::load_cached(&sources, &cache_dir)
                .unwrap()
                .loaded_from_compiled_form());
            std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(0o600)).unwrap();
            assert!(PolicyEngine::load_cached(&sources, &cache_dir)
                .unwrap()
                .loaded_from_compiled_form());

            // Nor is anything in a directory others may write.
            std::fs::set_permissions(&cache_dir, std::fs::Permissions::from_mode(0o777)).unwrap();
            assert!(!PolicyEngine::load_cached(&sources, &cache_dir)
                .unwrap()
                .loaded_from_compiled_form());
        }

        #[test]
        fn an_edited_policy_is_never_served_from_the_cache() {
            let (dir, sources) = project();
            let cache = tempfile::tempdir().unwrap();
            let cache_dir = cache.path().join("policies");
            PolicyEngine::load_cached(&sources, &cache_dir).unwrap();
            std::fs::write(
                dir.path().join("deployers.cedar"),
                PROJECT_POLICY.replace("production", "staging"),
            )
            .unwrap();
            let edited = PolicyEngine::load_cached(&sources, &cache_dir).unwrap();
            assert!(!edited.loaded_from_compiled_form());
            assert!(edited.policies()[9].text.contains("staging"));
            // An edit that no longer validates is refused, cache or not.
            std::fs::write(
                dir.path().join("deployers.cedar"),
                "@id(\"b\")\npermit (principal, action, resource) when { context.nope };\n",
            )
            .unwrap();
            assert!(matches!(
                PolicyEngine::load_cached(&sources, &cache_dir),
                Err(crate::PolicyError::Validation { .. })
            ));
            assert_eq!(entries(&cache_dir).len(), 2);
        }
    }
}
