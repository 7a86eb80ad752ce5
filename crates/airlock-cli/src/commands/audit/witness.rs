//! `airlock audit checkpoints --out-dir DIR`: hands the log's signed
//! checkpoints to an external witness as one file per tree size, written
//! atomically and never overwritten; and reading such a directory back for
//! `airlock audit verify --witness-dir`.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use airlock_audit::{Checkpoint, Timestamp};
use airlock_store::{Store, TenantStore};
use anyhow::{Context, Result};
use clap::Args;
use serde::Serialize;

use super::{log_origin, CheckpointKeyArg, EXIT_VERIFY_FAILED};
use crate::commands::state::StateArgs;
use crate::Format;

/// File name suffix of a kept checkpoint.
const CHECKPOINT_SUFFIX: &str = ".checkpoint";

/// Largest checkpoint file read back (a note is at most 1 MiB).
const MAX_CHECKPOINT_FILE_BYTES: u64 = 1 << 20;

/// Write the log's signed checkpoints to a directory an external witness keeps.
///
/// One file per tree size, `<size, 20 digits>.checkpoint`, holding the
/// signed note (docs/audit-log.md). Each file is written to a temporary
/// file, synced and linked into place, so a reader never sees a partial
/// one. A file already kept is never overwritten: if it differs from the
/// log's checkpoint of the same size, the log forked (exit 4).
#[derive(Debug, Args)]
#[command(after_help = "EXAMPLES:
  airlock audit checkpoints --out-dir /srv/witness/acme --tenant acme
  airlock audit checkpoints --out-dir /srv/witness/acme --tenant acme --sign-now
  airlock audit verify --witness-dir /srv/witness/acme --tenant acme

EXIT CODES:
  0 written (or already kept), 4 a kept file or a stored checkpoint does not hold, 1 error")]
pub struct CheckpointsArgs {
    /// Directory to write the checkpoint files to (created if missing).
    #[arg(long, value_name = "DIR")]
    out_dir: PathBuf,

    /// First sign a checkpoint of the log as it is now (uses the server's
    /// checkpoint signing key in the data directory).
    #[arg(long)]
    sign_now: bool,

    #[command(flatten)]
    key: CheckpointKeyArg,

    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

/// A checkpoint read from a witness directory.
#[derive(Debug)]
pub struct KeptCheckpoint {
    pub path: PathBuf,
    pub checkpoint: Checkpoint,
}

#[derive(Debug, Default, Serialize)]
struct Written {
    written: Vec<u64>,
    already_kept: Vec<u64>,
    problems: Vec<String>,
}

pub async fn run(state: &StateArgs, args: CheckpointsArgs) -> Result<u8> {
    let key = args.key.load(state)?;
    let tenant = state.tenant_id()?;
    let store = if args.sign_now {
        state.open_store().await?
    } else {
        state.open_existing_store().await?
    };
    let log = store.tenant_store(&tenant);
    if args.sign_now {
        log.checkpoint_now(Timestamp::now())
            .await
            .context("cannot sign a checkpoint")?;
    }
    let checkpoints = log
        .checkpoints()
        .await
        .with_context(|| format!("cannot read the checkpoints of tenant {tenant}"))?;
    store.close().await;

    fs::create_dir_all(&args.out_dir)
        .with_context(|| format!("cannot create {}", args.out_dir.display()))?;
    let origin = log_origin(&tenant);
    let mut outcome = Written::default();
    for checkpoint in &checkpoints {
        if let Err(error) = checkpoint.verify(&key) {
            outcome.problems.push(format!(
                "the stored checkpoint at size {} is not signed by the log key ({error}); not kept",
                checkpoint.size
            ));
            continue;
        }
        if checkpoint.origin != origin {
            outcome.problems.push(format!(
                "the stored checkpoint at size {} names log {:?}, not {origin:?}; not kept",
                checkpoint.size, checkpoint.origin
            ));
            continue;
        }
        let path = args.out_dir.join(file_name(checkpoint.size));
        let note = checkpoint.to_string();
        match keep(&path, note.as_bytes())? {
            Kept::Written => outcome.written.push(checkpoint.size),
            Kept::AlreadyThere => outcome.already_kept.push(checkpoint.size),
            Kept::Differs => outcome.problems.push(format!(
                "{} holds a different checkpoint for size {}: the log was rewritten or forked",
                path.display(),
                checkpoint.size
            )),
        }
    }
    if !outcome.written.is_empty() {
        sync_dir(&args.out_dir)?;
    }
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&outcome)?),
        Format::Human => {
            println!(
                "{}: {} checkpoints written, {} already kept",
                args.out_dir.display(),
                outcome.written.len(),
                outcome.already_kept.len()
            );
            for problem in &outcome.problems {
                println!("FAILED: {problem}");
            }
        }
    }
    Ok(if outcome.problems.is_empty() {
        0
    } else {
        EXIT_VERIFY_FAILED
    })
}

/// `<size>` zero-padded to 20 digits, so names sort by size.
fn file_name(size: u64) -> String {
    format!("{size:020}{CHECKPOINT_SUFFIX}")
}

enum Kept {
    Written,
    AlreadyThere,
    Differs,
}

/// Writes `bytes` to `path` unless a file is already there: through a
/// temporary file in the same directory, synced, then hard-linked into
/// place (which fails rather than replacing a file that appeared meanwhile).
fn keep(path: &Path, bytes: &[u8]) -> Result<Kept> {
    if let Some(existing) = read_existing(path)? {
        return Ok(if existing == bytes {
            Kept::AlreadyThere
        } else {
            Kept::Differs
        });
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| -> std::io::Result<()> {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::hard_link(&temporary, path)
    })();
    let _ = fs::remove_file(&temporary);
    match written {
        Ok(()) => Ok(Kept::Written),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            match read_existing(path)? {
                Some(existing) if existing == bytes => Ok(Kept::AlreadyThere),
                _ => Ok(Kept::Differs),
            }
        }
        Err(error) => Err(error).with_context(|| format!("cannot write {}", path.display())),
    }
}

fn read_existing(path: &Path) -> Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Makes the new directory entries durable.
fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|handle| handle.sync_all())
        .with_context(|| format!("cannot sync {}", dir.display()))
}

/// Every `*.checkpoint` file of `dir`, parsed, by size. A file that cannot
/// be read or parsed is an error: a witness's copy must never be skipped.
pub fn read_kept_checkpoints(dir: &Path) -> Result<Vec<KeptCheckpoint>> {
    let mut kept = Vec::new();
    let entries = fs::read_dir(dir)
        .with_context(|| format!("cannot read witness directory {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot read {}", dir.display()))?;
        let path = entry.path();
        let is_checkpoint = path
            .file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| name.ends_with(CHECKPOINT_SUFFIX) && !name.starts_with('.'));
        if !is_checkpoint {
            continue;
        }
        let length = entry
            .metadata()
            .with_context(|| format!("cannot inspect {}", path.display()))?
            .len();
        if length > MAX_CHECKPOINT_FILE_BYTES {
            anyhow::bail!("{} is too large to be a checkpoint", path.display());
        }
        let text =
            fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let checkpoint = Checkpoint::parse(&text)
            .with_context(|| format!("{} is not a checkpoint note", path.display()))?;
        kept.push(KeptCheckpoint { path, checkpoint });
    }
    if kept.is_empty() {
        anyhow::bail!(
            "no *{CHECKPOINT_SUFFIX} files in {}: nothing to check against",
            dir.display()
        );
    }
    kept.sort_by_key(|item| item.checkpoint.size);
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_by_size() {
        assert_eq!(file_name(42), "00000000000000000042.checkpoint");
        assert!(file_name(9) < file_name(10));
        assert!(file_name(u64::MAX).len() == 20 + CHECKPOINT_SUFFIX.len());
    }

    #[test]
    fn kept_files_are_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(file_name(4));
        assert!(matches!(keep(&path, b"one\n").unwrap(), Kept::Written));
        assert!(matches!(keep(&path, b"one\n").unwrap(), Kept::AlreadyThere));
        assert!(matches!(keep(&path, b"two\n").unwrap(), Kept::Differs));
        assert_eq!(fs::read(&path).unwrap(), b"one\n");
        let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
    }
}
