//! Merkle tree hashing, accumulator and proofs against RFC 9162 known
//! answers and a naive recursive reference implementation.

use airlock_audit::*;
use sha2::{Digest, Sha256};

fn hx(hash: &Hash) -> String {
    hex::encode(hash)
}

/// The reference: RFC 9162 MTH written as literally as possible.
fn naive_root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => Sha256::digest([]).into(),
        1 => leaves[0],
        n => {
            let mut k = 1;
            while k * 2 < n {
                k *= 2;
            }
            node_hash(&naive_root(&leaves[..k]), &naive_root(&leaves[k..]))
        }
    }
}

fn naive_path(index: usize, leaves: &[Hash]) -> Vec<Hash> {
    let n = leaves.len();
    if n <= 1 {
        return vec![];
    }
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    if index < k {
        let mut path = naive_path(index, &leaves[..k]);
        path.push(naive_root(&leaves[k..]));
        path
    } else {
        let mut path = naive_path(index - k, &leaves[k..]);
        path.push(naive_root(&leaves[..k]));
        path
    }
}

fn naive_subproof(m: usize, leaves: &[Hash], complete: bool) -> Vec<Hash> {
    let n = leaves.len();
    if m == n {
        return if complete {
            vec![]
        } else {
            vec![naive_root(leaves)]
        };
    }
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    if m <= k {
        let mut proof = naive_subproof(m, &leaves[..k], complete);
        proof.push(naive_root(&leaves[k..]));
        proof
    } else {
        let mut proof = naive_subproof(m - k, &leaves[k..], false);
        proof.push(naive_root(&leaves[..k]));
        proof
    }
}

fn leaves(count: usize) -> Vec<Hash> {
    (0..count as u32)
        .map(|i| leaf_hash(&i.to_le_bytes()))
        .collect()
}

/// The leaf inputs of the Certificate Transparency reference test vectors.
fn ct_leaves() -> Vec<Hash> {
    let inputs: [&[u8]; 8] = [
        b"",
        b"\x00",
        b"\x10",
        b"\x20\x21",
        b"\x30\x31",
        b"\x40\x41\x42\x43",
        b"\x50\x51\x52\x53\x54\x55\x56\x57",
        b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
    ];
    inputs.iter().map(|input| leaf_hash(input)).collect()
}

#[test]
fn known_answer_roots() {
    let expected = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];
    let all = ct_leaves();
    let mut accumulator = MerkleAccumulator::new();
    assert_eq!(hx(&accumulator.root()), expected[0]);
    for (size, root) in expected.iter().enumerate().skip(1) {
        accumulator.push(all[size - 1]);
        assert_eq!(hx(&accumulator.root()), *root, "size {size}");
        assert_eq!(hx(&naive_root(&all[..size])), *root);
    }
}

#[test]
fn known_answer_proofs() {
    let all = ct_leaves();
    let path = inclusion_proof(0, 8, &all).unwrap();
    assert_eq!(
        path.iter().map(hx).collect::<Vec<_>>(),
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ]
    );
    let consistency = consistency_proof(6, 8, &all).unwrap();
    assert_eq!(
        consistency.iter().map(hx).collect::<Vec<_>>(),
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ]
    );
}

#[test]
fn every_root_matches_the_reference_up_to_70() {
    let all = leaves(70);
    let tree = MemoryTree::from_leaf_hashes(all.iter().copied());
    let mut accumulator = MerkleAccumulator::new();
    for size in 0..=70usize {
        let reference = naive_root(&all[..size]);
        assert_eq!(accumulator.root(), reference, "accumulator size {size}");
        assert_eq!(
            tree.root_at(size as u64),
            Some(reference),
            "tree size {size}"
        );
        assert_eq!(
            subtree_hash(&all, 0, size as u64).unwrap(),
            reference,
            "vector size {size}"
        );
        if let Some(leaf) = all.get(size) {
            accumulator.push(*leaf);
        }
    }
    assert_eq!(tree.root_at(71), None);
}

fn flipped(proof: &[Hash], position: usize) -> Vec<Hash> {
    let mut proof = proof.to_vec();
    proof[position][position % 32] ^= 0x01;
    proof
}

#[test]
fn all_inclusion_proofs_verify_and_perturbations_fail() {
    let all = leaves(71);
    let tree = MemoryTree::from_leaf_hashes(all.iter().copied());
    for size in 1..=70u64 {
        let root = naive_root(&all[..size as usize]);
        for index in 0..size {
            let leaf = all[index as usize];
            let proof = inclusion_proof(index, size, &tree).unwrap();
            assert_eq!(proof, naive_path(index as usize, &all[..size as usize]));
            assert_eq!(proof, inclusion_proof(index, size, &all).unwrap());
            assert_eq!(verify_inclusion(&leaf, index, size, &proof, &root), Ok(()));

            for position in 0..proof.len() {
                assert!(
                    verify_inclusion(&leaf, index, size, &flipped(&proof, position), &root)
                        .is_err()
                );
            }
            let mut longer = proof.clone();
            longer.push(root);
            assert!(verify_inclusion(&leaf, index, size, &longer, &root).is_err());
            if !proof.is_empty() {
                let shorter = &proof[..proof.len() - 1];
                assert!(verify_inclusion(&leaf, index, size, shorter, &root).is_err());
            }
            let other_leaf = leaf_hash(b"not in the log");
            assert!(verify_inclusion(&other_leaf, index, size, &proof, &root).is_err());
            if size > 1 {
                let other_index = (index + 1) % size;
                assert!(verify_inclusion(&leaf, other_index, size, &proof, &root).is_err());
            }
            // The same path against the next tree's root must fail.
            let next_root = naive_root(&all[..=size as usize]);
            assert!(verify_inclusion(&leaf, index, size + 1, &proof, &next_root).is_err());
            assert_eq!(
                verify_inclusion(&leaf, size, size, &proof, &root),
                Err(ProofVerifyError::IndexOutOfRange { index: size, size })
            );
        }
    }
}

#[test]
fn all_consistency_proofs_verify_and_perturbations_fail() {
    let all = leaves(70);
    let tree = MemoryTree::from_leaf_hashes(all.iter().copied());
    for new_size in 0..=70u64 {
        let new_root = naive_root(&all[..new_size as usize]);
        for old_size in 0..=new_size {
            let old_root = naive_root(&all[..old_size as usize]);
            let proof = consistency_proof(old_size, new_size, &tree).unwrap();
            let expected = if old_size == 0 {
                vec![]
            } else {
                naive_subproof(old_size as usize, &all[..new_size as usize], true)
            };
            assert_eq!(proof, expected, "{old_size} -> {new_size}");
            assert_eq!(proof, consistency_proof(old_size, new_size, &all).unwrap());
            assert_eq!(
                verify_consistency(old_size, new_size, &old_root, &new_root, &proof),
                Ok(()),
                "{old_size} -> {new_size}"
            );
            for position in 0..proof.len() {
                assert!(verify_consistency(
                    old_size,
                    new_size,
                    &old_root,
                    &new_root,
                    &flipped(&proof, position)
                )
                .is_err());
            }
            let bogus = leaf_hash(b"bogus");
            if old_size > 0 {
                assert!(verify_consistency(old_size, new_size, &bogus, &new_root, &proof).is_err());
                let mut longer = proof.clone();
                longer.push(bogus);
                assert!(
                    verify_consistency(old_size, new_size, &old_root, &new_root, &longer).is_err()
                );
            }
            if old_size > 0 && old_size < new_size {
                assert!(verify_consistency(old_size, new_size, &old_root, &bogus, &proof).is_err());
                let shorter = &proof[..proof.len() - 1];
                assert!(
                    verify_consistency(old_size, new_size, &old_root, &new_root, shorter).is_err()
                );
                if old_size + 1 < new_size {
                    assert!(verify_consistency(
                        old_size + 1,
                        new_size,
                        &old_root,
                        &new_root,
                        &proof
                    )
                    .is_err());
                }
            }
        }
    }
}

#[test]
fn proof_requests_outside_the_tree_are_errors() {
    let tree = MemoryTree::from_leaf_hashes(leaves(10));
    assert!(matches!(
        inclusion_proof(10, 10, &tree),
        Err(ProofError::IndexOutOfRange {
            index: 10,
            size: 10
        })
    ));
    assert!(matches!(
        inclusion_proof(3, 11, &tree),
        Err(ProofError::SizeBeyondSource {
            size: 11,
            available: 10
        })
    ));
    assert!(matches!(
        consistency_proof(5, 4, &tree),
        Err(ProofError::OldSizeAfterNew { .. })
    ));
    assert!(matches!(
        consistency_proof(4, 12, &tree),
        Err(ProofError::SizeBeyondSource { .. })
    ));
    assert_eq!(
        verify_consistency(5, 4, &[0; 32], &[0; 32], &[]),
        Err(ProofVerifyError::OldSizeAfterNew {
            old_size: 5,
            new_size: 4
        })
    );
}

#[test]
fn larger_tree_proofs_match_the_plain_vector_source() {
    let all = leaves(3000);
    let tree = MemoryTree::from_leaf_hashes(all.iter().copied());
    for (index, size) in [
        (0u64, 3000u64),
        (1234, 3000),
        (2999, 3000),
        (1023, 1024),
        (17, 2049),
    ] {
        let proof = inclusion_proof(index, size, &tree).unwrap();
        assert_eq!(proof, inclusion_proof(index, size, &all).unwrap());
        let root = tree.root_at(size).unwrap();
        assert_eq!(
            verify_inclusion(&all[index as usize], index, size, &proof, &root),
            Ok(())
        );
    }
    for (old_size, new_size) in [(1u64, 3000u64), (1000, 3000), (2048, 2049), (1500, 2500)] {
        let proof = consistency_proof(old_size, new_size, &tree).unwrap();
        assert_eq!(proof, consistency_proof(old_size, new_size, &all).unwrap());
        let old_root = tree.root_at(old_size).unwrap();
        let new_root = tree.root_at(new_size).unwrap();
        assert_eq!(
            verify_consistency(old_size, new_size, &old_root, &new_root, &proof),
            Ok(())
        );
    }
}
