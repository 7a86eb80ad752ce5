//! Installing airlock into an agent's JSON settings file: add one hook entry
//! to an array at a path inside the file, keep everything else as it is,
//! write atomically, and do nothing if the entry is already there.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

/// Why settings could not be updated. Nothing is written in any of these cases.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not valid JSON ({source}); fix or move it, then install again", path.display())]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{}: `{key}` is not a JSON {expected}; airlock will not overwrite it", path.display())]
    Shape {
        path: PathBuf,
        key: String,
        expected: &'static str,
    },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What an install did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstallOutcome {
    Added,
    AlreadyPresent,
}

/// Adds `entry` to the array at `array_path` (object keys from the root) in
/// the JSON file at `path`, creating the file and intermediate objects as
/// needed. `is_ours` recognises an entry installed earlier, which makes the
/// call idempotent. `root_defaults` are set at the root when absent (such as
/// `"version": 1`).
pub fn install_into_settings(
    path: &Path,
    array_path: &[&str],
    entry: Value,
    is_ours: impl Fn(&Value) -> bool,
    root_defaults: &[(&str, Value)],
) -> Result<InstallOutcome, InstallError> {
    let mut root = match std::fs::read_to_string(path) {
        Ok(text) if text.trim().is_empty() => Value::Object(Map::new()),
        Ok(text) => serde_json::from_str(&text).map_err(|source| InstallError::Parse {
            path: path.to_path_buf(),
            source,
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Value::Object(Map::new()),
        Err(source) => {
            return Err(InstallError::Read {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let shape = |key: &str, expected| InstallError::Shape {
        path: path.to_path_buf(),
        key: key.to_string(),
        expected,
    };
    let root_map = root
        .as_object_mut()
        .ok_or_else(|| shape("(root)", "object"))?;
    for (key, value) in root_defaults {
        root_map
            .entry(key.to_string())
            .or_insert_with(|| value.clone());
    }
    let (array_key, parents) = array_path
        .split_last()
        .ok_or_else(|| shape("(path)", "array"))?;
    let mut node = root_map;
    for key in parents {
        node = node
            .entry(key.to_string())
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .ok_or_else(|| shape(key, "object"))?;
    }
    let array = node
        .entry(array_key.to_string())
        .or_insert_with(|| Value::Array(Vec::new()))
        .as_array_mut()
        .ok_or_else(|| shape(array_key, "array"))?;
    if array.iter().any(&is_ours) {
        return Ok(InstallOutcome::AlreadyPresent);
    }
    array.push(entry);
    write_atomically(path, &root)?;
    Ok(InstallOutcome::Added)
}

fn write_atomically(path: &Path, value: &Value) -> Result<(), InstallError> {
    let err = |source| InstallError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(err)?;
    let mut text = serde_json::to_string_pretty(value).map_err(|e| err(e.into()))?;
    text.push('\n');
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "settings.json".to_string());
    let tmp = dir.join(format!(".{file_name}.airlock-{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        if let Ok(meta) = std::fs::metadata(path) {
            std::fs::set_permissions(&tmp, meta.permissions())?;
        }
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ours(v: &Value) -> bool {
        v["id"] == "airlock"
    }

    #[test]
    fn adds_entry_keeping_existing_settings_and_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".claude/settings.json");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(
            &path,
            r#"{"model":"opus","hooks":{"PreToolUse":[{"id":"other"}],"Stop":[]}}"#,
        )
        .unwrap();
        let entry = json!({"id": "airlock"});
        let first =
            install_into_settings(&path, &["hooks", "PreToolUse"], entry.clone(), ours, &[])
                .unwrap();
        let second =
            install_into_settings(&path, &["hooks", "PreToolUse"], entry, ours, &[]).unwrap();
        assert_eq!(first, InstallOutcome::Added);
        assert_eq!(second, InstallOutcome::AlreadyPresent);
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(v["model"], "opus");
        assert_eq!(v["hooks"]["Stop"], json!([]));
        assert_eq!(
            v["hooks"]["PreToolUse"],
            json!([{"id": "other"}, {"id": "airlock"}])
        );
    }

    #[test]
    fn refuses_to_touch_invalid_json() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        std::fs::write(&path, "{ broken").unwrap();
        let err = install_into_settings(&path, &["hooks", "X"], json!({}), ours, &[]).unwrap_err();
        assert!(matches!(err, InstallError::Parse { .. }));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{ broken");
    }

    #[test]
    fn refuses_unexpected_shapes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        std::fs::write(&path, r#"{"hooks": "nope"}"#).unwrap();
        let err = install_into_settings(&path, &["hooks", "X"], json!({}), ours, &[]).unwrap_err();
        assert!(matches!(err, InstallError::Shape { .. }), "{err}");
    }

    #[test]
    fn creates_missing_files_with_root_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/hooks.json");
        install_into_settings(
            &path,
            &["hooks", "preToolUse"],
            json!({"id": "airlock"}),
            ours,
            &[("version", json!(1))],
        )
        .unwrap();
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(v["version"], 1);
        assert_eq!(v["hooks"]["preToolUse"][0]["id"], "airlock");
    }
}
