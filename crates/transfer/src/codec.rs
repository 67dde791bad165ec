//! Small byte helpers shared by the formats: hex (from the `hex` crate), SHA-256, and serde of hashes as hex.

use custodia_ledger::MerkleHash;
use ring::digest::{SHA256, digest};

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

/// Parses lower- or upper-case hex of exactly `N` bytes.
pub(crate) fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    hex::decode_to_slice(text, &mut out).ok()?;
    Some(out)
}

/// SHA-256 of `bytes`.
pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    let d = digest(&SHA256, bytes);
    let mut out = [0u8; 32];
    // A SHA-256 digest is always 32 bytes, so the lengths match.
    out.copy_from_slice(d.as_ref());
    out
}

/// Serde of a [`MerkleHash`] as 64 lower-case hex digits: the form receipts, proofs and reports have always
/// written (the ledger's own serde is base64), so the bytes stay what they were while the field is typed.
pub(crate) mod hex_hash {
    use custodia_ledger::MerkleHash;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(hash: &MerkleHash, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::hex(hash.as_bytes()))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<MerkleHash, D::Error> {
        let text = String::deserialize(d)?;
        super::unhex::<32>(&text)
            .map(MerkleHash::from_bytes)
            .ok_or_else(|| serde::de::Error::custom("expected 64 hex digits"))
    }
}

/// Serde of a list of [`MerkleHash`] (an inclusion path) as hex strings.
pub(crate) mod hex_hashes {
    use custodia_ledger::MerkleHash;
    use serde::ser::SerializeSeq;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(hashes: &[MerkleHash], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(hashes.len()))?;
        for h in hashes {
            seq.serialize_element(&super::hex(h.as_bytes()))?;
        }
        seq.end()
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<MerkleHash>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|text| {
                super::unhex::<32>(text)
                    .map(MerkleHash::from_bytes)
                    .ok_or_else(|| serde::de::Error::custom("expected 64 hex digits"))
            })
            .collect()
    }
}

/// Serde of a fixed-size byte array (a salt, a signature) as hex.
pub(crate) mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer, const N: usize>(bytes: &[u8; N], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::hex(bytes))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>, const N: usize>(d: D) -> Result<[u8; N], D::Error> {
        let text = String::deserialize(d)?;
        super::unhex::<N>(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("expected {} hex digits", N * 2)))
    }
}

/// A hash's hex, for messages and comparisons.
pub(crate) fn hash_hex(hash: &MerkleHash) -> String {
    hex(hash.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips() {
        let bytes = [0u8, 1, 0xab, 0xff];
        assert_eq!(hex(&bytes), "0001abff");
        assert_eq!(unhex::<4>("0001ABff"), Some(bytes));
        assert_eq!(unhex::<4>("0001abf"), None);
        assert_eq!(unhex::<2>("zz00"), None);
    }
}
