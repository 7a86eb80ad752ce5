//! Key files on disk: writing a key pair atomically with safe permissions
//! (private key `0600`, public key `0644`), and reading keys back, refusing
//! private key files that group or others can read.

use std::fs::{self, File, OpenOptions, Permissions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::KeyError;
use crate::keypair::{
    parse_key_line, PublicKey, SigningKeyPair, PUBLIC_KEY_HEADER, SECRET_KEY_HEADER,
};

/// Mode of a private key file: read and write for its owner only.
pub const SECRET_KEY_FILE_MODE: u32 = 0o600;
/// Mode of a public key file: readable by everyone.
pub const PUBLIC_KEY_FILE_MODE: u32 = 0o644;
/// Largest key file airlock reads; real key files are under 120 bytes.
pub const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;

/// Where the two files of a key pair go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPaths {
    /// The private key file (mode 0600).
    pub secret: PathBuf,
    /// The public key file (mode 0644).
    pub public: PathBuf,
}

impl KeyPaths {
    /// `<dir>/<name>.key` and `<dir>/<name>.pub`.
    pub fn in_dir(dir: impl AsRef<Path>, name: &str) -> KeyPaths {
        let dir = dir.as_ref();
        KeyPaths {
            secret: dir.join(format!("{name}.key")),
            public: dir.join(format!("{name}.pub")),
        }
    }
}

/// Writes the private key file (mode 0600) and the public key file (mode
/// 0644) of `pair`. Each file is written to a temporary file in the same
/// directory, created with its final mode, synced, then moved into place, so
/// neither a partial file nor a readable private key is ever visible. Unless
/// `overwrite` is set, refuses when either file already exists.
pub fn write_keypair(
    pair: &SigningKeyPair,
    paths: &KeyPaths,
    overwrite: bool,
) -> Result<(), KeyError> {
    if !overwrite {
        for path in [&paths.secret, &paths.public] {
            if path.symlink_metadata().is_ok() {
                return Err(KeyError::AlreadyExists { path: path.clone() });
            }
        }
    }
    write_file_atomically(
        &paths.secret,
        pair.to_secret_file_text().as_bytes(),
        SECRET_KEY_FILE_MODE,
        overwrite,
    )?;
    write_public_key(pair.public_key(), &paths.public, overwrite)
}

/// Writes a public key file (mode 0644), atomically; unless `overwrite` is
/// set, refuses when the file already exists.
pub fn write_public_key(
    key: &PublicKey,
    path: impl AsRef<Path>,
    overwrite: bool,
) -> Result<(), KeyError> {
    write_file_atomically(
        path.as_ref(),
        key.to_file_text().as_bytes(),
        PUBLIC_KEY_FILE_MODE,
        overwrite,
    )
}

/// Reads a private key file. Refuses a file that group or others may read
/// (the error says to `chmod 600` it), a file that is not a regular file, and
/// a file whose stated key id does not match its key.
pub fn read_signing_key(path: impl AsRef<Path>) -> Result<SigningKeyPair, KeyError> {
    let path = path.as_ref();
    let file =
        File::open(path).map_err(|source| io_error("open private key file", path, source))?;
    let metadata = file
        .metadata()
        .map_err(|source| io_error("inspect private key file", path, source))?;
    if !metadata.is_file() {
        return Err(KeyError::NotAFile {
            path: path.to_path_buf(),
        });
    }
    let mode = metadata.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(KeyError::InsecurePermissions {
            path: path.to_path_buf(),
            mode,
        });
    }
    let text = read_limited(file, path)?;
    let parsed =
        parse_key_line(&text, SECRET_KEY_HEADER).map_err(|reason| KeyError::MalformedFile {
            path: path.to_path_buf(),
            reason,
        })?;
    let pair = SigningKeyPair::from_seed(&parsed.key_bytes);
    if pair.key_id().as_str() != parsed.stated_key_id {
        return Err(KeyError::KeyIdMismatch {
            path: path.to_path_buf(),
            stated: parsed.stated_key_id,
            actual: pair.key_id().to_string(),
        });
    }
    Ok(pair)
}

/// Reads a public key file, checking that its stated key id matches its key.
pub fn read_public_key(path: impl AsRef<Path>) -> Result<PublicKey, KeyError> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|source| io_error("open public key file", path, source))?;
    let metadata = file
        .metadata()
        .map_err(|source| io_error("inspect public key file", path, source))?;
    if !metadata.is_file() {
        return Err(KeyError::NotAFile {
            path: path.to_path_buf(),
        });
    }
    let text = read_limited(file, path)?;
    let parsed =
        parse_key_line(&text, PUBLIC_KEY_HEADER).map_err(|reason| KeyError::MalformedFile {
            path: path.to_path_buf(),
            reason,
        })?;
    let key =
        PublicKey::from_bytes(&parsed.key_bytes).map_err(|error| KeyError::MalformedFile {
            path: path.to_path_buf(),
            reason: error.to_string(),
        })?;
    if key.key_id().as_str() != parsed.stated_key_id {
        return Err(KeyError::KeyIdMismatch {
            path: path.to_path_buf(),
            stated: parsed.stated_key_id,
            actual: key.key_id().to_string(),
        });
    }
    Ok(key)
}

fn read_limited(file: File, path: &Path) -> Result<String, KeyError> {
    let mut bytes = Vec::new();
    file.take(MAX_KEY_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| io_error("read key file", path, source))?;
    if bytes.len() as u64 > MAX_KEY_FILE_BYTES {
        return Err(KeyError::FileTooLarge {
            path: path.to_path_buf(),
            limit: MAX_KEY_FILE_BYTES,
        });
    }
    String::from_utf8(bytes).map_err(|_| KeyError::MalformedFile {
        path: path.to_path_buf(),
        reason: "it is not UTF-8 text".to_owned(),
    })
}

fn io_error(action: &'static str, path: &Path, source: io::Error) -> KeyError {
    KeyError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// Removes the temporary file on every path that does not move it into place.
struct TemporaryFile {
    path: PathBuf,
    keep: bool,
}

impl Drop for TemporaryFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Writes `contents` to `path` through a temporary file in the same directory
/// that is created (never reused) with `mode`, so its permissions are never
/// wider than `mode` at any moment. Without `overwrite`, the final step is a
/// hard link, which fails rather than replace an existing file.
fn write_file_atomically(
    path: &Path,
    contents: &[u8],
    mode: u32,
    overwrite: bool,
) -> Result<(), KeyError> {
    let file_name = path
        .file_name()
        .and_then(|name| name.to_str())
        .ok_or_else(|| KeyError::InvalidPath {
            path: path.to_path_buf(),
            reason: "it does not end in a UTF-8 file name",
        })?;
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut suffix = [0u8; 8];
    getrandom::fill(&mut suffix).map_err(|error| KeyError::Randomness {
        purpose: "name a temporary key file",
        reason: error.to_string(),
    })?;
    let mut temporary = TemporaryFile {
        path: dir.join(format!(".{file_name}.{}.tmp", hex::encode(suffix))),
        keep: false,
    };

    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&temporary.path)
        .map_err(|source| io_error("create temporary key file", &temporary.path, source))?;
    // The umask can only have narrowed the mode; set it exactly.
    file.set_permissions(Permissions::from_mode(mode))
        .map_err(|source| io_error("set permissions of", &temporary.path, source))?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(|source| io_error("write temporary key file", &temporary.path, source))?;
    drop(file);

    if overwrite {
        fs::rename(&temporary.path, path)
            .map_err(|source| io_error("move key file into", path, source))?;
        temporary.keep = true;
    } else {
        match fs::hard_link(&temporary.path, path) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                return Err(KeyError::AlreadyExists {
                    path: path.to_path_buf(),
                });
            }
            Err(link_error) => {
                // Filesystems without hard links: check, then rename.
                if path.symlink_metadata().is_ok() {
                    return Err(KeyError::AlreadyExists {
                        path: path.to_path_buf(),
                    });
                }
                fs::rename(&temporary.path, path)
                    .map_err(|_| io_error("move key file into", path, link_error))?;
                temporary.keep = true;
            }
        }
    }
    if let Ok(dir_handle) = File::open(&dir) {
        // Best effort: make the new directory entry durable.
        let _ = dir_handle.sync_all();
    }
    Ok(())
}

/// Reads the key pair at `paths`, or generates and writes one (private key
/// 0600) when neither file exists yet. Two processes racing to create the
/// same pair both end up with the one that was written first.
pub fn load_or_generate(paths: &KeyPaths) -> Result<SigningKeyPair, KeyError> {
    if paths.secret.symlink_metadata().is_ok() {
        return read_signing_key(&paths.secret);
    }
    if let Some(dir) = paths.secret.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|source| io_error("create key directory", dir, source))?;
    }
    let pair = SigningKeyPair::generate()?;
    match write_keypair(&pair, paths, false) {
        Ok(()) => Ok(pair),
        Err(KeyError::AlreadyExists { .. }) => read_signing_key(&paths.secret),
        Err(error) => Err(error),
    }
}
