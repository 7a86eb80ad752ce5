//! Whole-log verification: an honest log passes; every kind of tampering is
//! reported as its own failure naming the first bad index.

use airlock_audit::*;
use ed25519_dalek::SigningKey;
use serde_json::json;
use std::convert::Infallible;

const ENTRIES: u64 = 50;
const CHECKPOINT_EVERY: u64 = 10;

fn signing_key() -> SigningKey {
    SigningKey::from_bytes(&[42; 32])
}

fn signer() -> CheckpointSigner {
    CheckpointSigner::new("airlock/acme", "airlock-log", signing_key()).unwrap()
}

fn entry(number: u64) -> AuditEntry {
    let kinds = [
        EntryKind::Request,
        EntryKind::Decision,
        EntryKind::Approval,
        EntryKind::ReceiptIssued,
        EntryKind::ReceiptRedeemed,
    ];
    AuditEntry {
        index: 0,
        timestamp: Timestamp::from_unix_micros(1_700_000_000_000_000 + number as i64 * 1_000)
            .unwrap(),
        tenant: "acme".into(),
        kind: kinds[(number % 5) as usize].clone(),
        actor: format!("agent-{}", number % 3),
        subject: format!("req_{number}"),
        data: json!({"command": format!("terraform apply #{number}"), "risk": number % 4}),
    }
}

struct Log {
    rows: Vec<StoredEntry>,
    checkpoints: Vec<Checkpoint>,
}

fn honest_log() -> Log {
    let mut writer = LogWriter::new(signer(), CheckpointPolicy::every(CHECKPOINT_EVERY));
    let mut rows = Vec::new();
    let mut checkpoints = Vec::new();
    for number in 0..ENTRIES {
        let appended = writer.append(entry(number));
        rows.push(appended.stored);
        checkpoints.extend(appended.checkpoint);
    }
    Log { rows, checkpoints }
}

fn verify(
    rows: &[StoredEntry],
    checkpoints: &[Checkpoint],
) -> Result<VerifyReport, VerifyFailure<Infallible>> {
    verify_log(
        rows.iter().map(Ok::<_, Infallible>),
        checkpoints,
        &signing_key().verifying_key(),
    )
}

/// What an attacker with write access but without the signing key can do:
/// recompute every leaf hash and root from the (altered) entries.
fn rehash(rows: &mut [StoredEntry]) {
    let mut tree = MerkleAccumulator::new();
    for row in rows {
        row.leaf_hash = row.entry.leaf_hash();
        tree.push(row.leaf_hash);
        row.root_after = tree.root();
    }
}

#[test]
fn honest_log_verifies() {
    let log = honest_log();
    let report = verify(&log.rows, &log.checkpoints).unwrap();
    assert_eq!(report.size, ENTRIES);
    assert_eq!(report.checkpoints_checked, 5);
    assert_eq!(report.latest_checkpoint_size, Some(50));
    assert_eq!(report.entries_after_latest_checkpoint, 0);
    assert_eq!(report.root, log.rows.last().unwrap().root_after);
    assert_eq!(
        (0..ENTRIES)
            .map(|index| log.rows[index as usize].entry.index)
            .collect::<Vec<_>>(),
        (0..ENTRIES).collect::<Vec<_>>()
    );
}

#[test]
fn empty_log_verifies() {
    let empty = signer().sign(0, empty_root());
    let report = verify(&[], &[empty]).unwrap();
    assert_eq!(report.size, 0);
    assert_eq!(report.root, empty_root());
}

#[test]
fn edited_row_names_its_index() {
    let mut log = honest_log();
    log.rows[23].entry.actor = "mallory".into();
    assert!(matches!(
        verify(&log.rows, &log.checkpoints),
        Err(VerifyFailure::LeafHashMismatch { index: 23 })
    ));
}

#[test]
fn edited_row_with_its_leaf_hash_updated_names_its_index() {
    let mut log = honest_log();
    log.rows[23].entry.data = json!({"command": "ls"});
    log.rows[23].leaf_hash = log.rows[23].entry.leaf_hash();
    assert!(matches!(
        verify(&log.rows, &log.checkpoints),
        Err(VerifyFailure::RootAfterMismatch { index: 23 })
    ));
}

#[test]
fn deleted_row_names_the_first_missing_index() {
    let mut log = honest_log();
    log.rows.remove(17);
    log.rows.remove(17);
    assert!(matches!(
        verify(&log.rows, &log.checkpoints),
        Err(VerifyFailure::MissingEntry { index: 17 })
    ));
}

#[test]
fn deleted_tail_is_truncation() {
    let mut log = honest_log();
    log.rows.truncate(44);
    assert!(matches!(
        verify(&log.rows, &log.checkpoints),
        Err(VerifyFailure::Truncated {
            log_size: 44,
            checkpoint_size: 50
        })
    ));
}

#[test]
fn reordered_rows_name_the_first_displaced_index() {
    let mut log = honest_log();
    log.rows.swap(31, 35);
    assert!(matches!(
        verify(&log.rows, &log.checkpoints),
        Err(VerifyFailure::OutOfSequence {
            position: 31,
            expected: 31,
            found: 35
        })
    ));
}

#[test]
fn renumbered_reorder_is_caught_by_the_hashes() {
    // Swapping contents but keeping index order changes the leaf bytes.
    let mut log = honest_log();
    let (first, second) = (log.rows[31].entry.clone(), log.rows[35].entry.clone());
    log.rows[31].entry = AuditEntry {
        index: 31,
        ..second
    };
    log.rows[35].entry = AuditEntry { index: 35, ..first };
    assert!(matches!(
        verify(&log.rows, &log.checkpoints),
        Err(VerifyFailure::LeafHashMismatch { index: 31 })
    ));
}

#[test]
fn inserted_row_with_a_repeated_index_is_named() {
    let mut log = honest_log();
    let mut forged = log.rows[12].clone();
    forged.entry.actor = "mallory".into();
    log.rows.insert(13, forged);
    assert!(matches!(
        verify(&log.rows, &log.checkpoints),
        Err(VerifyFailure::DuplicateIndex {
            position: 13,
            index: 12
        })
    ));
}

#[test]
fn inserted_row_with_a_fresh_index_is_out_of_sequence() {
    let mut log = honest_log();
    let mut forged = log.rows[12].clone();
    forged.entry.index = 999;
    log.rows.insert(13, forged);
    assert!(matches!(
        verify(&log.rows, &log.checkpoints),
        Err(VerifyFailure::OutOfSequence {
            position: 13,
            expected: 13,
            found: 999
        })
    ));
}

#[test]
fn inserted_and_renumbered_rows_are_caught_by_the_hashes() {
    let mut log = honest_log();
    log.rows.insert(13, log.rows[12].clone());
    for (position, row) in log.rows.iter_mut().enumerate() {
        row.entry.index = position as u64;
    }
    assert!(matches!(
        verify(&log.rows, &log.checkpoints),
        Err(VerifyFailure::LeafHashMismatch { index: 13 })
    ));
}

#[test]
fn consistent_rewrite_names_the_range_since_the_last_good_checkpoint() {
    let mut log = honest_log();
    log.rows[23].entry.actor = "mallory".into();
    rehash(&mut log.rows);
    match verify(&log.rows, &log.checkpoints) {
        Err(VerifyFailure::CheckpointRootMismatch {
            checkpoint_size,
            suspects,
        }) => {
            assert_eq!(checkpoint_size, 30);
            assert_eq!(suspects, 20..30);
            assert!(suspects.contains(&23));
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn consistent_rewrite_of_deletion_is_caught_by_checkpoints() {
    let mut log = honest_log();
    log.rows.remove(5);
    for (position, row) in log.rows.iter_mut().enumerate() {
        row.entry.index = position as u64;
    }
    rehash(&mut log.rows);
    assert!(matches!(
        verify(&log.rows, &log.checkpoints),
        Err(VerifyFailure::CheckpointRootMismatch { checkpoint_size: 10, suspects }) if suspects == (0..10)
    ));
}

#[test]
fn rewrite_after_the_last_checkpoint_is_reported_as_unsigned_tail() {
    let mut log = honest_log();
    let mut writer = LogWriter::resume(
        MerkleAccumulator::from_frontier(Frontier {
            size: 0,
            hashes: vec![],
        })
        .unwrap()
        .frontier(),
        signer(),
        CheckpointPolicy::on_demand(),
    )
    .unwrap();
    // Rebuild the same log without checkpoints, then add 3 unsigned rows.
    let mut rows = Vec::new();
    for number in 0..ENTRIES + 3 {
        rows.push(writer.append(entry(number)).stored);
    }
    assert_eq!(&rows[..ENTRIES as usize], &log.rows[..]);
    rows[51].entry.actor = "mallory".into();
    rehash(&mut rows);
    let report = verify(&rows, &log.checkpoints).unwrap();
    assert_eq!(report.entries_after_latest_checkpoint, 3);
    log.checkpoints.push(writer.checkpoint());
    assert!(matches!(
        verify(&rows, &log.checkpoints),
        Err(VerifyFailure::CheckpointRootMismatch { checkpoint_size: 53, suspects }) if suspects == (50..53)
    ));
}

#[test]
fn forged_checkpoint_is_rejected() {
    let mut log = honest_log();
    log.rows[23].entry.actor = "mallory".into();
    rehash(&mut log.rows);
    let forger = CheckpointSigner::new(
        "airlock/acme",
        "airlock-log",
        SigningKey::from_bytes(&[1; 32]),
    )
    .unwrap();
    log.checkpoints = vec![forger.sign(50, log.rows[49].root_after)];
    assert!(matches!(
        verify(&log.rows, &log.checkpoints),
        Err(VerifyFailure::CheckpointSignature {
            checkpoint_size: 50,
            source: CheckpointError::NoSignatureByKey
        })
    ));
}

#[test]
fn read_errors_are_reported_with_the_index_being_read() {
    #[derive(Debug, thiserror::Error)]
    #[error("disk on fire")]
    struct DiskError;
    let log = honest_log();
    let rows = log
        .rows
        .iter()
        .take(7)
        .map(Ok)
        .chain(std::iter::once(Err(DiskError)));
    let failure = verify_log(rows, &log.checkpoints, &signing_key().verifying_key()).unwrap_err();
    assert!(matches!(failure, VerifyFailure::Read { next_index: 7, .. }));
    assert!(failure.to_string().contains("disk on fire"));
}

#[test]
fn resumed_writer_continues_identically() {
    let log = honest_log();
    let mut first = LogWriter::new(signer(), CheckpointPolicy::every(CHECKPOINT_EVERY));
    for number in 0..23 {
        first.append(entry(number));
    }
    let head = serde_json::to_string(&first.frontier()).unwrap();
    let mut resumed = LogWriter::resume(
        serde_json::from_str(&head).unwrap(),
        signer(),
        CheckpointPolicy::every(CHECKPOINT_EVERY),
    )
    .unwrap();
    let mut checkpoints = Vec::new();
    for number in 23..ENTRIES {
        let appended = resumed.append(entry(number));
        assert_eq!(appended.stored, log.rows[number as usize]);
        checkpoints.extend(appended.checkpoint);
    }
    assert_eq!(checkpoints, log.checkpoints[2..]);
}

#[test]
fn stored_rows_round_trip_through_json() {
    let log = honest_log();
    let text = serde_json::to_string(&log.rows[3]).unwrap();
    let back: StoredEntry = serde_json::from_str(&text).unwrap();
    assert_eq!(back, log.rows[3]);
    assert_eq!(
        AuditEntry::from_leaf_bytes(&back.entry.leaf_bytes()).unwrap(),
        back.entry
    );
}

#[test]
fn failures_have_distinct_messages() {
    let failures: Vec<VerifyFailure<Infallible>> = vec![
        VerifyFailure::MissingEntry { index: 4 },
        VerifyFailure::OutOfSequence {
            position: 4,
            expected: 4,
            found: 6,
        },
        VerifyFailure::DuplicateIndex {
            position: 4,
            index: 3,
        },
        VerifyFailure::LeafHashMismatch { index: 4 },
        VerifyFailure::RootAfterMismatch { index: 4 },
        VerifyFailure::CheckpointRootMismatch {
            checkpoint_size: 10,
            suspects: 0..10,
        },
        VerifyFailure::Truncated {
            log_size: 4,
            checkpoint_size: 10,
        },
    ];
    let messages: std::collections::HashSet<String> =
        failures.iter().map(ToString::to_string).collect();
    assert_eq!(messages.len(), failures.len());
    assert!(messages.contains("entry 4 is missing (row deleted)"));
}

/// Replays rows the way a store holding raw leaf bytes does: each row's
/// stated index and the hash of its bytes as stored.
fn replay_stored_bytes(
    rows: &[(u64, Vec<u8>, Hash, Hash)],
    checkpoints: &[Checkpoint],
) -> Result<VerifyReport, VerifyFailure<Infallible>> {
    let mut replay = LogReplay::new(checkpoints, &signing_key().verifying_key())?;
    for (index, bytes, stored_leaf, stored_root) in rows {
        replay.push_hashed(*index, leaf_hash(bytes), stored_leaf, stored_root)?;
    }
    replay.finish()
}

#[test]
fn replaying_stored_bytes_agrees_with_replaying_entries() {
    let log = honest_log();
    let mut rows: Vec<(u64, Vec<u8>, Hash, Hash)> = log
        .rows
        .iter()
        .map(|row| {
            (
                row.entry.index,
                row.entry.leaf_bytes(),
                row.leaf_hash,
                row.root_after,
            )
        })
        .collect();
    assert_eq!(
        replay_stored_bytes(&rows, &log.checkpoints).unwrap(),
        verify(&log.rows, &log.checkpoints).unwrap()
    );

    // Bytes that decode to the same entry but are not the ones hashed
    // (re-spaced JSON) are an edit.
    rows[12].1 = serde_json::to_vec_pretty(&log.rows[12].entry).unwrap();
    assert!(matches!(
        replay_stored_bytes(&rows, &log.checkpoints),
        Err(VerifyFailure::LeafHashMismatch { index: 12 })
    ));
    rows[12].1 = log.rows[12].entry.leaf_bytes();
    rows.swap(30, 31);
    assert!(matches!(
        replay_stored_bytes(&rows, &log.checkpoints),
        Err(VerifyFailure::OutOfSequence {
            expected: 30,
            found: 31,
            ..
        })
    ));
}

#[test]
fn replay_reports_its_state_between_rows() {
    let log = honest_log();
    let mut replay =
        LogReplay::new::<Infallible>(&log.checkpoints, &signing_key().verifying_key()).unwrap();
    let mut tree = MerkleAccumulator::new();
    for row in &log.rows[..20] {
        replay.push::<Infallible>(row).unwrap();
        tree.push(row.leaf_hash);
        assert_eq!(replay.size(), tree.size());
        assert_eq!(replay.root(), row.root_after);
        assert_eq!(replay.frontier(), tree.frontier());
    }
    // A jump ahead leaves the replay searching for the skipped index.
    replay.push::<Infallible>(&log.rows[25]).unwrap();
    assert!(replay.is_searching());
    assert_eq!(replay.size(), 20);
    assert!(matches!(
        replay.finish::<Infallible>(),
        Err(VerifyFailure::MissingEntry { index: 20 })
    ));
}

/// Replays leaves only, as an independent verifier does: the index column
/// and the hash of the bytes, never the store's per-row hashes.
fn replay_leaves(
    rows: &[(u64, Vec<u8>)],
    checkpoints: &[Checkpoint],
) -> Result<VerifyReport, VerifyFailure<Infallible>> {
    let mut replay = LogReplay::new(checkpoints, &signing_key().verifying_key())?;
    for (index, bytes) in rows {
        replay.push_leaf(*index, leaf_hash(bytes))?;
    }
    replay.finish()
}

#[test]
fn replaying_leaves_checks_what_the_checkpoints_sign() {
    let log = honest_log();
    let leaves = |log: &Log| -> Vec<(u64, Vec<u8>)> {
        log.rows
            .iter()
            .map(|row| (row.entry.index, row.entry.leaf_bytes()))
            .collect()
    };
    assert_eq!(
        replay_leaves(&leaves(&log), &log.checkpoints).unwrap(),
        verify(&log.rows, &log.checkpoints).unwrap()
    );

    // An edit is caught at the first signed checkpoint after it, whatever
    // the per-row hashes say (they are not consulted).
    let mut edited = honest_log();
    edited.rows[23].entry.data = json!({"command": "ls"});
    rehash(&mut edited.rows);
    let first_checkpoint_after = (23 / CHECKPOINT_EVERY + 1) * CHECKPOINT_EVERY;
    match replay_leaves(&leaves(&edited), &log.checkpoints) {
        Err(VerifyFailure::CheckpointRootMismatch {
            checkpoint_size,
            suspects,
        }) => {
            assert_eq!(checkpoint_size, first_checkpoint_after);
            assert!(suspects.contains(&23), "{suspects:?}");
        }
        other => panic!("expected a checkpoint mismatch, got {other:?}"),
    }

    // Sequence checks are the same as with the per-row hashes.
    let mut swapped = leaves(&log);
    swapped.swap(30, 31);
    assert!(matches!(
        replay_leaves(&swapped, &log.checkpoints),
        Err(VerifyFailure::OutOfSequence {
            expected: 30,
            found: 31,
            ..
        })
    ));
    let mut cut = leaves(&log);
    cut.truncate(cut.len() - CHECKPOINT_EVERY as usize - 1);
    assert!(matches!(
        replay_leaves(&cut, &log.checkpoints),
        Err(VerifyFailure::Truncated { .. })
    ));
}
