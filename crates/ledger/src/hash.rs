//! SHA-256 Merkle hashing of RFC 9162 §2.1: blinded leaf hashes, interior nodes, the empty tree.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::digest::{Context, SHA256, digest};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Length of every hash in the tree (SHA-256).
pub const HASH_LEN: usize = 32;
/// Length of a leaf's blinding salt.
pub const SALT_LEN: usize = 32;

/// Domain-separation prefix of a leaf hash (RFC 9162 §2.1.1).
const LEAF_PREFIX: u8 = 0x00;
/// Domain-separation prefix of an interior node hash (RFC 9162 §2.1.1).
const NODE_PREFIX: u8 = 0x01;

/// A SHA-256 value in the tree: a leaf hash, an interior node or a root. Serialized as standard padded
/// base64, as RFC 6962's JSON API and C2SP checkpoints write hashes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MerkleHash([u8; HASH_LEN]);

impl MerkleHash {
    /// A hash from its 32 bytes.
    pub const fn from_bytes(bytes: [u8; HASH_LEN]) -> Self {
        Self(bytes)
    }

    /// A hash from a slice, which must be exactly 32 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(Self)
    }

    /// The 32 bytes.
    pub const fn as_bytes(&self) -> &[u8; HASH_LEN] {
        &self.0
    }

    /// The hash in lower-case hex, as logs usually print it.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Debug for MerkleHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MerkleHash({})", self.to_hex())
    }
}

impl fmt::Display for MerkleHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Serializes 32 bytes as standard padded base64.
fn serialize_32<S: Serializer>(bytes: &[u8; 32], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&STANDARD.encode(bytes))
}

/// Reads exactly 32 bytes of canonical standard base64.
fn deserialize_32<'de, D: Deserializer<'de>>(deserializer: D) -> Result<[u8; 32], D::Error> {
    let text = String::deserialize(deserializer)?;
    let bytes = STANDARD.decode(&text).map_err(serde::de::Error::custom)?;
    bytes
        .try_into()
        .map_err(|_| serde::de::Error::custom("expected 32 bytes of base64"))
}

impl Serialize for MerkleHash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_32(&self.0, serializer)
    }
}

impl<'de> Deserialize<'de> for MerkleHash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_32(deserializer).map(Self)
    }
}

impl Serialize for Salt {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_32(&self.0, serializer)
    }
}

impl<'de> Deserialize<'de> for Salt {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_32(deserializer).map(Self)
    }
}

/// The random blinding value hashed in front of a payload. While it exists, anyone holding it and the
/// payload can recompute the leaf; once it is deleted (redaction), a guessed payload can no longer be
/// matched against the leaf hash, which is what makes an erased entry unlinkable (PIPL Art 47).
/// Serialized as standard padded base64 (a receipt carries it so that its holder can recompute the leaf).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Salt([u8; SALT_LEN]);

impl Salt {
    /// A salt from its 32 bytes (as drawn by the log from the system random generator, or read back
    /// from a store).
    pub const fn from_bytes(bytes: [u8; SALT_LEN]) -> Self {
        Self(bytes)
    }

    /// A salt from a slice, which must be exactly 32 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(Self)
    }

    /// The 32 bytes.
    pub const fn as_bytes(&self) -> &[u8; SALT_LEN] {
        &self.0
    }
}

impl fmt::Debug for Salt {
    // A salt is not a key, but printing it next to a payload in a log file would defeat the blinding
    // of that entry after redaction; show only that it exists.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Salt(..)")
    }
}

/// The leaf hash of an entry: `SHA-256(0x00 ‖ salt ‖ payload)`. This is RFC 9162's leaf hash with the
/// salt as the first 32 bytes of the leaf data, so any RFC 9162 verifier checks our proofs unchanged.
pub fn leaf_hash(salt: &Salt, payload: &[u8]) -> MerkleHash {
    let mut context = Context::new(&SHA256);
    context.update(&[LEAF_PREFIX]);
    context.update(&salt.0);
    context.update(payload);
    finish(context)
}

/// [`leaf_hash`] through a caller-owned scratch buffer: one contiguous SHA-256 call instead of three
/// buffered updates, and no allocation per entry. The append hot path uses it.
pub(crate) fn leaf_hash_into(scratch: &mut Vec<u8>, salt: &Salt, payload: &[u8]) -> MerkleHash {
    scratch.clear();
    scratch.push(LEAF_PREFIX);
    scratch.extend_from_slice(&salt.0);
    scratch.extend_from_slice(payload);
    from_digest(digest(&SHA256, scratch))
}

/// The hash of an interior node: `SHA-256(0x01 ‖ left ‖ right)` (RFC 9162 §2.1.1).
pub fn node_hash(left: &MerkleHash, right: &MerkleHash) -> MerkleHash {
    // One contiguous 65-byte buffer hashes faster than three `update` calls through ring's block buffer.
    let mut block = [0u8; 1 + 2 * HASH_LEN];
    block[0] = NODE_PREFIX;
    block[1..=HASH_LEN].copy_from_slice(&left.0);
    block[1 + HASH_LEN..].copy_from_slice(&right.0);
    from_digest(digest(&SHA256, &block))
}

/// The root of the empty tree: `SHA-256()` of no bytes (RFC 9162 §2.1.1).
pub fn empty_root() -> MerkleHash {
    from_digest(digest(&SHA256, &[]))
}

fn finish(context: Context) -> MerkleHash {
    from_digest(context.finish())
}

fn from_digest(d: ring::digest::Digest) -> MerkleHash {
    let mut out = [0u8; HASH_LEN];
    // SHA-256 output is always 32 bytes, so the lengths match and `copy_from_slice` cannot panic.
    out.copy_from_slice(d.as_ref());
    MerkleHash(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        // RFC 9162 §2.1.1 / RFC 6962 test vector for the empty tree.
        assert_eq!(
            empty_root().to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn leaf_and_node_hashes_are_domain_separated() {
        let salt = Salt::from_bytes([7; SALT_LEN]);
        let mut preimage = vec![0u8];
        preimage.extend_from_slice(&[7; SALT_LEN]);
        preimage.extend_from_slice(b"payload");
        assert_eq!(
            leaf_hash(&salt, b"payload").as_bytes(),
            digest(&SHA256, &preimage).as_ref()
        );
        let a = MerkleHash::from_bytes([1; 32]);
        let b = MerkleHash::from_bytes([2; 32]);
        let mut node = vec![1u8];
        node.extend_from_slice(&[1; 32]);
        node.extend_from_slice(&[2; 32]);
        assert_eq!(node_hash(&a, &b).as_bytes(), digest(&SHA256, &node).as_ref());
        assert_ne!(node_hash(&a, &b), node_hash(&b, &a));
    }

    #[test]
    fn hashes_and_salts_serialize_as_strict_base64() {
        let hash = MerkleHash::from_bytes([0xfb; 32]);
        let json = serde_json::to_string(&hash).unwrap();
        assert_eq!(json, format!("\"{}\"", STANDARD.encode([0xfb; 32])));
        assert_eq!(serde_json::from_str::<MerkleHash>(&json).unwrap(), hash);
        let salt = Salt::from_bytes([9; SALT_LEN]);
        let json = serde_json::to_string(&salt).unwrap();
        assert_eq!(serde_json::from_str::<Salt>(&json).unwrap(), salt);
        let short = format!("\"{}\"", STANDARD.encode([1u8; 31]));
        assert!(serde_json::from_str::<MerkleHash>(&short).is_err());
        assert!(serde_json::from_str::<Salt>("\"not base64\"").is_err());
    }

    #[test]
    fn debug_of_a_salt_hides_its_bytes() {
        let salt = Salt::from_bytes([0xab; SALT_LEN]);
        assert!(!format!("{salt:?}").contains("ab"));
    }
}
