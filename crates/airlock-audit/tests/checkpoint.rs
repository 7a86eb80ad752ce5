//! Signed checkpoints: round trips, rejection of altered notes, strict
//! parsing that never panics.

use airlock_audit::*;
use ed25519_dalek::SigningKey;
use proptest::prelude::*;

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn sample() -> Checkpoint {
    Checkpoint::sign(
        "airlock/acme",
        1234,
        leaf_hash(b"root"),
        &key(7),
        "airlock-log",
    )
    .unwrap()
}

#[test]
fn sign_parse_verify_round_trip() {
    let checkpoint = sample();
    let text = checkpoint.to_string();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("airlock/acme"));
    assert_eq!(lines.next(), Some("1234"));
    assert_eq!(
        lines.next(),
        Some("PAb5plclr2BSYfY2ZyyWINQJcx2JpFHXRV/pxK4WeCk=")
    );
    assert_eq!(lines.next(), Some(""));
    assert!(lines.next().unwrap().starts_with("\u{2014} airlock-log "));
    assert_eq!(lines.next(), None);
    let parsed = Checkpoint::parse(&text).unwrap();
    assert_eq!(parsed, checkpoint);
    assert_eq!(parsed.verify(&key(7).verifying_key()), Ok(()));
    assert_eq!(parsed.to_string(), text);
}

#[test]
fn key_id_follows_signed_note_rule() {
    use sha2::{Digest, Sha256};
    let verifying = key(7).verifying_key();
    let mut input = b"airlock-log\n\x01".to_vec();
    input.extend_from_slice(verifying.as_bytes());
    let digest = Sha256::digest(&input);
    assert_eq!(ed25519_key_id("airlock-log", &verifying), digest[..4]);
    assert_eq!(sample().signatures[0].key_id, digest[..4]);
}

#[test]
fn altered_size_root_or_signature_is_rejected() {
    let verifying = key(7).verifying_key();
    let mut bigger = sample();
    bigger.size += 1;
    assert_eq!(
        Checkpoint::parse(&bigger.to_string())
            .unwrap()
            .verify(&verifying),
        Err(CheckpointError::BadSignature("airlock-log".into()))
    );

    let mut other_root = sample();
    other_root.root[0] ^= 1;
    assert!(other_root.verify(&verifying).is_err());

    let mut other_origin = sample();
    other_origin.origin = "airlock/evil".into();
    assert!(other_origin.verify(&verifying).is_err());

    let mut bad_signature = sample();
    bad_signature.signatures[0].signature[10] ^= 1;
    assert!(Checkpoint::parse(&bad_signature.to_string())
        .unwrap()
        .verify(&verifying)
        .is_err());

    let mut short_signature = sample();
    short_signature.signatures[0].signature.truncate(63);
    assert!(short_signature.verify(&verifying).is_err());

    assert_eq!(
        sample().verify(&key(8).verifying_key()),
        Err(CheckpointError::NoSignatureByKey)
    );
}

#[test]
fn cosigned_checkpoint_verifies_under_each_key() {
    let mut checkpoint = sample();
    checkpoint
        .add_signature(&key(9), "witness.example")
        .unwrap();
    let parsed = Checkpoint::parse(&checkpoint.to_string()).unwrap();
    assert_eq!(parsed.verify(&key(7).verifying_key()), Ok(()));
    assert_eq!(parsed.verify(&key(9).verifying_key()), Ok(()));
    assert_eq!(parsed.signatures.len(), 2);
}

#[test]
fn extension_lines_are_signed() {
    let mut checkpoint = sample();
    checkpoint.extensions.push("timestamp 1700000000".into());
    checkpoint.signatures.clear();
    checkpoint.add_signature(&key(7), "airlock-log").unwrap();
    let text = checkpoint.to_string();
    let parsed = Checkpoint::parse(&text).unwrap();
    assert_eq!(parsed.extensions, ["timestamp 1700000000"]);
    assert_eq!(parsed.verify(&key(7).verifying_key()), Ok(()));
    let altered = text.replace("1700000000", "1700000001");
    assert!(Checkpoint::parse(&altered)
        .unwrap()
        .verify(&key(7).verifying_key())
        .is_err());
}

#[test]
fn malformed_notes_are_rejected() {
    let good = sample().to_string();
    let root_line = good.lines().nth(2).unwrap().to_owned();
    let signature_line = good.lines().nth(4).unwrap().to_owned();
    let cases: Vec<(String, CheckpointError)> = vec![
        (String::new(), CheckpointError::MissingSignatureSeparator),
        (
            good.trim_end().to_owned(),
            CheckpointError::MissingFinalNewline,
        ),
        (
            good.replace("\n\n", "\n"),
            CheckpointError::MissingSignatureSeparator,
        ),
        (
            good.replace("1234\n", "01234\n"),
            CheckpointError::InvalidSize("01234".into()),
        ),
        (
            good.replace("1234\n", "+1234\n"),
            CheckpointError::InvalidSize("+1234".into()),
        ),
        (
            good.replace("1234\n", "99999999999999999999999\n"),
            CheckpointError::InvalidSize("99999999999999999999999".into()),
        ),
        (
            good.replace(&root_line, "AAAA"),
            CheckpointError::InvalidRoot("AAAA".into()),
        ),
        (
            good.replace("airlock/acme\n1234\n", "1234\n"),
            CheckpointError::MissingBodyLines,
        ),
        (format!("{good}\n"), CheckpointError::EmptyExtensionLine),
        (
            format!(
                "{}\n\n",
                good.lines().take(3).collect::<Vec<_>>().join("\n")
            ),
            CheckpointError::NoSignatures,
        ),
        (
            good.replace('\u{2014}', "-"),
            CheckpointError::InvalidSignatureLine(signature_line.replace('\u{2014}', "-")),
        ),
        (
            good.replace("airlock/acme", "airlock\tacme"),
            CheckpointError::ControlCharacter,
        ),
        (
            good.replace('\n', "\r\n"),
            CheckpointError::ControlCharacter,
        ),
    ];
    for (text, expected) in cases {
        let result = Checkpoint::parse(&text);
        assert_eq!(result, Err(expected), "for {text:?}");
    }
    assert!(Checkpoint::sign("", 1, [0; 32], &key(1), "k").is_err());
    assert!(Checkpoint::sign("o\nx", 1, [0; 32], &key(1), "k").is_err());
    assert!(Checkpoint::sign("o", 1, [0; 32], &key(1), "a b").is_err());
    assert!(Checkpoint::sign("o", 1, [0; 32], &key(1), "a+b").is_err());
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC*") {
        let _ = Checkpoint::parse(&text);
    }

    #[test]
    fn arbitrary_lines_never_panic(lines in proptest::collection::vec("[a-zA-Z0-9+/=\u{2014} \n-]{0,40}", 0..8)) {
        let _ = Checkpoint::parse(&lines.join("\n"));
    }

    #[test]
    fn mutated_notes_never_verify_as_something_else(
        position in 0usize..400,
        replacement in any::<char>(),
        delete in any::<bool>(),
    ) {
        let original = sample();
        let text = original.to_string();
        let mut chars: Vec<char> = text.chars().collect();
        let position = position % chars.len();
        if delete {
            chars.remove(position);
        } else {
            chars[position] = replacement;
        }
        let mutated: String = chars.into_iter().collect();
        if let Ok(parsed) = Checkpoint::parse(&mutated) {
            if parsed.verify(&key(7).verifying_key()).is_ok() {
                prop_assert_eq!(parsed.body(), original.body());
            }
        }
    }
}

#[test]
fn policy_says_when_checkpoints_are_due() {
    let every_three = CheckpointPolicy::every(3);
    let due: Vec<u64> = (0..10).filter(|size| every_three.is_due(*size)).collect();
    assert_eq!(due, [3, 6, 9]);
    assert!(!(0..10).any(|size| CheckpointPolicy::on_demand().is_due(size)));
    assert_eq!(CheckpointPolicy::every(0), CheckpointPolicy::on_demand());
}
