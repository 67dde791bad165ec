//! Checks of stored rows shared by both backends: every column read back is checked before it becomes a value.

use chrono::{DateTime, Utc};
use custodia_crypto::{CryptoError, DekId, KeyringState, SealedSection, SectionTombstone, WrappedKey};
use custodia_ledger::{Entry, EntryContent, LedgerError, MerkleHash, NodeId, Salt, StoredCheckpoint};
use custodia_model::{CustomerId, DataCategory};

use crate::error::StoreError;

/// Reads a stored hash column, refusing a value of the wrong length.
pub(crate) fn hash_column(bytes: &[u8], what: &'static str, index: u64) -> Result<MerkleHash, LedgerError> {
    MerkleHash::from_slice(bytes).ok_or(LedgerError::CorruptStore { what, index })
}

/// Builds an entry from its stored columns, checking every one: a row that fails is
/// [`LedgerError::CorruptStore`] naming the column and the index.
pub(crate) fn entry_from_columns(
    index: u64,
    leaf_hash: &[u8],
    salt: Option<Vec<u8>>,
    payload: Option<Vec<u8>>,
    redacted: bool,
) -> Result<Entry, LedgerError> {
    let leaf_hash = hash_column(leaf_hash, "leaf hash", index)?;
    let content = match (redacted, salt, payload) {
        (false, Some(salt), Some(payload)) => EntryContent::Present {
            salt: Salt::from_slice(&salt).ok_or(LedgerError::CorruptStore { what: "salt", index })?,
            payload,
        },
        (true, None, None) => EntryContent::Redacted,
        (false, _, _) => {
            return Err(LedgerError::CorruptStore {
                what: "salt or payload missing",
                index,
            });
        }
        (true, _, _) => {
            return Err(LedgerError::CorruptStore {
                what: "redacted entry still has content",
                index,
            });
        }
    };
    Ok(Entry::new(index, leaf_hash, content))
}

/// Checks the interior nodes of an append: level ≥ 1 and complete within the new size `end`.
pub(crate) fn check_nodes(nodes: &[(NodeId, MerkleHash)], end: u64) -> Result<(), LedgerError> {
    for (id, _) in nodes {
        if id.level() == 0 {
            return Err(LedgerError::CorruptStore {
                what: "interior node at level 0",
                index: id.index(),
            });
        }
        let width = 1u64.checked_shl(u32::from(id.level())).unwrap_or(u64::MAX);
        let complete = id.first_leaf().checked_add(width).is_some_and(|last| last <= end);
        if !complete {
            return Err(LedgerError::CorruptStore {
                what: "interior node beyond the batch",
                index: id.index(),
            });
        }
    }
    Ok(())
}

/// Parses a stored sealed section, naming the row if its bytes are not a sealed section.
pub(crate) fn sealed_from_row(
    customer: CustomerId,
    category: DataCategory,
    version: u64,
    bytes: Vec<u8>,
) -> Result<SealedSection, StoreError> {
    SealedSection::from_vec(bytes).map_err(|_| StoreError::RowCheck {
        table: "sections",
        key: format!("{customer}/{category}/{version}"),
        what: "sealed bytes are not a sealed section",
    })
}

/// Reads a stored record version, refusing a negative one.
pub(crate) fn version_from_row(
    customer: CustomerId,
    category: DataCategory,
    version: i64,
) -> Result<u64, StoreError> {
    u64::try_from(version).map_err(|_| StoreError::RowCheck {
        table: "sections",
        key: format!("{customer}/{category}/{version}"),
        what: "negative record version",
    })
}

/// Reads a stored category code, refusing one this build does not know.
pub(crate) fn category_from_row(customer: CustomerId, code: &str) -> Result<DataCategory, StoreError> {
    code.parse().map_err(|_| StoreError::RowCheck {
        table: "sections",
        key: format!("{customer}/{code}"),
        what: "unknown category code",
    })
}

/// Parses a stored wrapped key and checks that it names the customer and data key of its row: a wrapped
/// key copied under another customer's row is caught here, before the unwrap would fail opaquely.
pub(crate) fn wrapped_from_row(
    customer: CustomerId,
    dek_id: &[u8],
    bytes: &[u8],
) -> Result<WrappedKey, StoreError> {
    let key = |what| StoreError::RowCheck {
        table: "wrapped_keys",
        key: format!("{customer}/{}", hex(dek_id)),
        what,
    };
    let wrapped = WrappedKey::decode(bytes).map_err(|_| key("bytes are not a wrapped key"))?;
    if wrapped.customer() != customer {
        return Err(key("wrapped key names another customer"));
    }
    if wrapped.dek_id().as_bytes().as_slice() != dek_id {
        return Err(key("wrapped key names another data key"));
    }
    Ok(wrapped)
}

/// Parses a stored data key id.
pub(crate) fn dek_id_from_row(customer: CustomerId, bytes: &[u8]) -> Result<DekId, StoreError> {
    let bad = || StoreError::RowCheck {
        table: "wrapped_keys",
        key: format!("{customer}/{}", hex(bytes)),
        what: "data key id is not 16 bytes of a non-nil uuid",
    };
    let array: [u8; 16] = bytes.try_into().map_err(|_| bad())?;
    DekId::from_bytes(array).map_err(|_| bad())
}

/// A time as two exact integer columns (seconds since 1970, nanoseconds), so that both backends give
/// back exactly the `DateTime` they were given (PostgreSQL timestamps keep only microseconds).
pub(crate) fn time_to_columns(at: DateTime<Utc>) -> (i64, i64) {
    (at.timestamp(), i64::from(at.timestamp_subsec_nanos()))
}

/// The inverse of [`time_to_columns`], refusing values that are not a time.
pub(crate) fn time_from_columns(
    customer: CustomerId,
    seconds: i64,
    nanos: i64,
) -> Result<DateTime<Utc>, StoreError> {
    u32::try_from(nanos)
        .ok()
        .and_then(|nanos| DateTime::from_timestamp(seconds, nanos))
        .ok_or(StoreError::RowCheck {
            table: "key_tombstones",
            key: customer.to_string(),
            what: "destruction time",
        })
}

/// Reads a stored section tombstone: its erasure time and the newest version erased, both checked.
pub(crate) fn section_tombstone_from_columns(
    customer: CustomerId,
    category: DataCategory,
    seconds: i64,
    nanos: i64,
    last_version: i64,
) -> Result<SectionTombstone, StoreError> {
    let bad = |what| StoreError::RowCheck {
        table: "section_tombstones",
        key: format!("{customer}/{category}"),
        what,
    };
    let erased_at = u32::try_from(nanos)
        .ok()
        .and_then(|nanos| DateTime::from_timestamp(seconds, nanos))
        .ok_or(bad("erasure time"))?;
    let last_version = u64::try_from(last_version).map_err(|_| bad("negative last version"))?;
    Ok(SectionTombstone::new(erased_at, last_version))
}

/// Reads a stored customer id.
pub(crate) fn customer_from_row(table: &'static str, bytes: &[u8]) -> Result<CustomerId, StoreError> {
    let bad = || StoreError::RowCheck {
        table,
        key: hex(bytes),
        what: "customer id is not 16 bytes of a non-nil uuid",
    };
    let array: [u8; 16] = bytes.try_into().map_err(|_| bad())?;
    CustomerId::from_bytes(array).map_err(|_| bad())
}

/// Lower-case hex, for naming a row whose key is bytes.
fn hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

/// Checks one stored checkpoint row against the ones before it: the `position`-th row (from 0) must
/// carry sequence number `position + 1` — a deleted row leaves a gap — and a tree size no smaller than
/// the previous row's — a swapped or re-ordered row breaks the order. Stores write rows that way
/// ([`checkpoint_sequence`]), so either failure means the table was edited behind the log's back.
pub(crate) fn checkpoint_from_columns(
    position: usize,
    seq: i64,
    size: i64,
    previous_size: Option<u64>,
    note: Vec<u8>,
) -> Result<StoredCheckpoint, LedgerError> {
    let index = position as u64;
    if u64::try_from(seq).ok() != index.checked_add(1) {
        return Err(LedgerError::CorruptStore {
            what: "checkpoint sequence (a row is missing)",
            index,
        });
    }
    let size = u64::try_from(size).map_err(|_| LedgerError::CorruptStore {
        what: "checkpoint size",
        index,
    })?;
    if previous_size.is_some_and(|previous| size < previous) {
        return Err(LedgerError::CorruptStore {
            what: "checkpoint order (sizes go backwards)",
            index,
        });
    }
    Ok(StoredCheckpoint::new(size, note))
}

/// The sequence number for a new checkpoint of tree size `size`, given the last stored row
/// `(seq, size)` if any and the log's current size. A checkpoint smaller than the last one stored comes
/// from a writer that has not seen a later append: refused as [`LedgerError::Conflict`], so the stored
/// sizes never go backwards.
pub(crate) fn checkpoint_sequence(
    size: u64,
    last: Option<(i64, i64)>,
    log_size: u64,
) -> Result<i64, LedgerError> {
    // A checkpoint of a tree larger than the log could never be verified (LogStore::add_checkpoint).
    if size > log_size {
        return Err(LedgerError::Conflict {
            expected: size,
            actual: log_size,
        });
    }
    match last {
        None => Ok(1),
        Some((seq, last_size)) => {
            if u64::try_from(last_size).is_ok_and(|last_size| size < last_size) {
                return Err(LedgerError::Conflict {
                    expected: size,
                    actual: log_size,
                });
            }
            seq.checked_add(1).ok_or(LedgerError::CorruptStore {
                what: "checkpoint sequence",
                index: 0,
            })
        }
    }
}

/// Reads the stored keyring state.
pub(crate) fn keyring_state_from_row(bytes: &[u8]) -> Result<KeyringState, StoreError> {
    KeyringState::decode(bytes).map_err(|_| StoreError::RowCheck {
        table: "keyring_state",
        key: "1".to_owned(),
        what: "bytes are not a keyring state",
    })
}

/// Reads a stored KEK version.
pub(crate) fn kek_version_from_row(version: i64) -> Result<u32, StoreError> {
    u32::try_from(version)
        .ok()
        .filter(|v| *v > 0)
        .ok_or(StoreError::RowCheck {
            table: "kek_shreds",
            key: version.to_string(),
            what: "kek version",
        })
}

/// Reads the first destruction time of a shredded KEK version.
pub(crate) fn shred_time_from_columns(
    version: u32,
    seconds: i64,
    nanos: i64,
) -> Result<DateTime<Utc>, StoreError> {
    u32::try_from(nanos)
        .ok()
        .and_then(|nanos| DateTime::from_timestamp(seconds, nanos))
        .ok_or(StoreError::RowCheck {
            table: "kek_shreds",
            key: version.to_string(),
            what: "destruction time",
        })
}

/// A keyring state may only move forward: its minimum and primary versions never fall below the
/// stored ones (a stale keyring must not undo a retirement).
pub(crate) fn check_forward(stored: &KeyringState, new: &KeyringState) -> Result<(), CryptoError> {
    if new.min_decrypt < stored.min_decrypt {
        return Err(CryptoError::KeyringStateRegressed {
            field: "minimum decryption version",
            stored: stored.min_decrypt,
            given: new.min_decrypt,
        });
    }
    if new.primary < stored.primary {
        return Err(CryptoError::KeyringStateRegressed {
            field: "primary version",
            stored: stored.primary,
            given: new.primary,
        });
    }
    Ok(())
}
