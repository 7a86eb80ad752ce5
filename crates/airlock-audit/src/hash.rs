//! RFC 9162 (Certificate Transparency v2, section 2.1) hashing: the leaf and
//! interior-node hash functions with their domain-separation prefixes, the
//! hash of the empty tree, and the split rule used to shape the tree.

use sha2::digest::generic_array::{typenum::U64, GenericArray};
use sha2::{compress256, Digest, Sha256};

/// A SHA-256 digest: leaf hashes, node hashes and tree roots.
pub type Hash = [u8; 32];

/// Prefix byte hashed before a leaf's bytes.
pub const LEAF_PREFIX: u8 = 0x00;
/// Prefix byte hashed before the two child hashes of an interior node.
pub const NODE_PREFIX: u8 = 0x01;

/// `SHA-256(0x00 ‖ leaf_bytes)`.
pub fn leaf_hash(leaf_bytes: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([LEAF_PREFIX]);
    hasher.update(leaf_bytes);
    hasher.finalize().into()
}

/// SHA-256's initial state (FIPS 180-4 section 5.3.3).
const SHA256_INITIAL_STATE: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// `SHA-256(0x01 ‖ left ‖ right)`.
///
/// The 65-byte message always pads to exactly two blocks, so they are laid
/// out directly and fed to the compression function; this is the hottest
/// operation of log verification.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut blocks = [GenericArray::<u8, U64>::default(); 2];
    let [first, second] = &mut blocks;
    first[0] = NODE_PREFIX;
    first[1..33].copy_from_slice(left);
    first[33..].copy_from_slice(&right[..31]);
    second[0] = right[31];
    second[1] = 0x80;
    second[56..].copy_from_slice(&(65u64 * 8).to_be_bytes());
    let mut state = SHA256_INITIAL_STATE;
    compress256(&mut state, &blocks);
    let mut digest = [0u8; 32];
    for (chunk, word) in digest.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    digest
}

/// The root of the tree with no leaves: `SHA-256("")`.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The largest power of two strictly smaller than `n` (RFC 9162's split
/// point `k`). Only meaningful for `n >= 2`; returns 0 for smaller `n`.
pub fn split_point(n: u64) -> u64 {
    if n < 2 {
        0
    } else {
        1u64 << (63 - (n - 1).leading_zeros())
    }
}

/// Serde helpers writing a [`Hash`] as 64 lowercase hex digits.
pub mod hex_hash {
    use super::Hash;
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    /// Serialize as lowercase hex.
    pub fn serialize<S: Serializer>(hash: &Hash, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(hash))
    }

    /// Deserialize from exactly 64 hex digits.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Hash, D::Error> {
        let text = String::deserialize(deserializer)?;
        let mut hash = [0u8; 32];
        hex::decode_to_slice(&text, &mut hash).map_err(D::Error::custom)?;
        Ok(hash)
    }
}

/// Serde helpers writing a list of [`Hash`]es as hex strings.
pub mod hex_hash_list {
    use super::Hash;
    use serde::{de::Error, ser::SerializeSeq, Deserialize, Deserializer, Serializer};

    /// Serialize as a sequence of lowercase hex strings.
    pub fn serialize<S: Serializer>(hashes: &[Hash], serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(hashes.len()))?;
        for hash in hashes {
            seq.serialize_element(&hex::encode(hash))?;
        }
        seq.end()
    }

    /// Deserialize from a sequence of 64-hex-digit strings.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Hash>, D::Error> {
        let texts = Vec::<String>::deserialize(deserializer)?;
        texts
            .iter()
            .map(|text| {
                let mut hash = [0u8; 32];
                hex::decode_to_slice(text, &mut hash).map_err(D::Error::custom)?;
                Ok(hash)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_point_is_largest_power_of_two_below() {
        assert_eq!(split_point(2), 1);
        assert_eq!(split_point(3), 2);
        assert_eq!(split_point(4), 2);
        assert_eq!(split_point(5), 4);
        assert_eq!(split_point(8), 4);
        assert_eq!(split_point(9), 8);
        assert_eq!(split_point(u64::MAX), 1 << 63);
    }

    #[test]
    fn node_hash_equals_plain_sha256() {
        for seed in 0u8..20 {
            let left = leaf_hash(&[seed]);
            let right = leaf_hash(&[seed, seed]);
            let mut message = vec![NODE_PREFIX];
            message.extend_from_slice(&left);
            message.extend_from_slice(&right);
            let expected: Hash = Sha256::digest(&message).into();
            assert_eq!(node_hash(&left, &right), expected);
        }
    }

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        assert_eq!(
            hex::encode(empty_root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
