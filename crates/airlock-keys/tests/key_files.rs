//! Key files on disk: modes, refusal to overwrite, refusal of readable
//! private keys, trusted key directories.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use airlock_keys::{
    read_public_key, read_signing_key, write_keypair, KeyError, KeyPaths, SigningKeyPair,
    TrustedKeys,
};

fn mode_of(path: &std::path::Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn written_key_files_have_modes_0600_and_0644_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let pair = SigningKeyPair::generate().unwrap();
    let paths = KeyPaths::in_dir(dir.path(), "airlock");
    write_keypair(&pair, &paths, false).unwrap();

    assert_eq!(mode_of(&paths.secret), 0o600);
    assert_eq!(mode_of(&paths.public), 0o644);

    let secret = read_signing_key(&paths.secret).unwrap();
    let public = read_public_key(&paths.public).unwrap();
    assert_eq!(secret.key_id(), pair.key_id());
    assert_eq!(&public, pair.public_key());

    let signature = secret.sign(b"message");
    public.verify(b"message", &signature).unwrap();

    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn existing_key_files_are_not_overwritten_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    let paths = KeyPaths::in_dir(dir.path(), "airlock");
    let first = SigningKeyPair::generate().unwrap();
    write_keypair(&first, &paths, false).unwrap();

    let second = SigningKeyPair::generate().unwrap();
    let error = write_keypair(&second, &paths, false).unwrap_err();
    assert!(matches!(error, KeyError::AlreadyExists { .. }), "{error}");
    assert!(error.to_string().contains("refusing to overwrite"));
    assert_eq!(
        read_signing_key(&paths.secret).unwrap().key_id(),
        first.key_id()
    );

    // Only the public file present still blocks the pair.
    fs::remove_file(&paths.secret).unwrap();
    assert!(matches!(
        write_keypair(&second, &paths, false),
        Err(KeyError::AlreadyExists { .. })
    ));
    assert!(!paths.secret.exists());

    write_keypair(&second, &paths, true).unwrap();
    assert_eq!(
        read_signing_key(&paths.secret).unwrap().key_id(),
        second.key_id()
    );
    assert_eq!(
        read_public_key(&paths.public).unwrap().key_id(),
        second.key_id()
    );
    assert_eq!(mode_of(&paths.secret), 0o600);
    assert_eq!(mode_of(&paths.public), 0o644);
}

#[test]
fn group_or_world_readable_private_keys_are_refused_with_chmod_advice() {
    let dir = tempfile::tempdir().unwrap();
    let paths = KeyPaths::in_dir(dir.path(), "airlock");
    write_keypair(&SigningKeyPair::generate().unwrap(), &paths, false).unwrap();

    for mode in [0o640, 0o604, 0o644, 0o660] {
        fs::set_permissions(&paths.secret, fs::Permissions::from_mode(mode)).unwrap();
        let error = read_signing_key(&paths.secret).unwrap_err();
        assert!(
            matches!(error, KeyError::InsecurePermissions { .. }),
            "{error}"
        );
        let message = error.to_string();
        assert!(message.contains("chmod 600"), "{message}");
        assert!(
            message.contains(&paths.secret.display().to_string()),
            "{message}"
        );
    }
    fs::set_permissions(&paths.secret, fs::Permissions::from_mode(0o400)).unwrap();
    read_signing_key(&paths.secret).unwrap();
}

#[test]
fn edited_key_files_are_refused_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let paths = KeyPaths::in_dir(dir.path(), "airlock");
    let pair = SigningKeyPair::generate().unwrap();
    write_keypair(&pair, &paths, false).unwrap();

    let other = SigningKeyPair::generate().unwrap();
    let text = fs::read_to_string(&paths.public).unwrap();
    fs::write(
        &paths.public,
        text.replace(pair.key_id().as_str(), other.key_id().as_str()),
    )
    .unwrap();
    let error = read_public_key(&paths.public).unwrap_err();
    assert!(matches!(error, KeyError::KeyIdMismatch { .. }), "{error}");

    fs::write(&paths.public, "garbage\n").unwrap();
    let error = read_public_key(&paths.public).unwrap_err();
    assert!(error
        .to_string()
        .contains(&paths.public.display().to_string()));

    let error = read_public_key(&paths.secret).unwrap_err();
    assert!(error.to_string().contains("private key file"), "{error}");

    let error = read_signing_key(dir.path().join("missing.key")).unwrap_err();
    assert!(matches!(error, KeyError::Io { .. }), "{error}");
}

#[test]
fn trusted_keys_load_from_a_directory_and_verify_by_key_id() {
    let dir = tempfile::tempdir().unwrap();
    let old = SigningKeyPair::generate().unwrap();
    let new = SigningKeyPair::generate().unwrap();
    write_keypair(&old, &KeyPaths::in_dir(dir.path(), "old"), false).unwrap();
    write_keypair(&new, &KeyPaths::in_dir(dir.path(), "new"), false).unwrap();

    let mut trusted = TrustedKeys::from_dir(dir.path()).unwrap();
    assert_eq!(trusted.len(), 2);
    for pair in [&old, &new] {
        let signature = pair.sign(b"checkpoint");
        trusted
            .verify(pair.key_id().as_str(), b"checkpoint", &signature)
            .unwrap();
        assert!(matches!(
            trusted.verify(pair.key_id().as_str(), b"checkpoinT", &signature),
            Err(KeyError::BadSignature { .. })
        ));
    }
    // A signature presented under the wrong key id fails.
    let signature = old.sign(b"m");
    assert!(trusted
        .verify(new.key_id().as_str(), b"m", &signature)
        .is_err());

    trusted.remove(old.key_id().as_str());
    assert!(matches!(
        trusted.verify(old.key_id().as_str(), b"m", &signature),
        Err(KeyError::UnknownKey(_))
    ));

    let from_files =
        TrustedKeys::from_files([dir.path().join("old.pub"), dir.path().join("old.pub")]).unwrap();
    assert_eq!(from_files.len(), 1);

    let empty = tempfile::tempdir().unwrap();
    assert!(matches!(
        TrustedKeys::from_dir(empty.path()),
        Err(KeyError::NoTrustedKeys { .. })
    ));
}
