//! AES-256-GCM (ring) with random 96-bit nonces drawn from a per-thread buffer of system randomness.
//!
//! # Nonces
//!
//! Every seal in this crate uses a fresh random 96-bit nonce: the "random IV" construction of NIST
//! SP 800-38D §8.2.2. Random nonces need no state that could be lost or rolled back with a backup, and
//! they stay safe when several processes use the same key. The price is a collision bound: after `q`
//! seals under one key, the probability that any two nonces are equal is below `q² / 2⁹⁷`. SP 800-38D
//! §8.3 caps random-IV use at 2³² seals per key; custodia stays far below it (a data key seals a few
//! sections per customer; a key-encryption key refuses more than [`crate::MAX_WRAPS_PER_KEK`] wraps).
//!
//! A system call per nonce would cost more than sealing a small section, so nonces come from a
//! per-thread buffer of [`NONCE_POOL_BYTES`] bytes filled from [`crate::random::fill`] in one call and
//! refilled when used up: one system call per 341 nonces. Every byte of the buffer is used once.
//! Caveat: a process that `fork`s without `exec` would copy the buffer into the child; custodia assumes
//! the usual Rust practice of not forking a running process.

use std::cell::RefCell;

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use zeroize::Zeroizing;

use crate::plaintext::Plaintext;

use crate::error::CryptoError;

/// Length of an AES-256 key in bytes.
pub(crate) const KEY_LEN: usize = 32;
/// Length of an AES-GCM nonce in bytes.
pub(crate) const NONCE_LEN: usize = 12;
/// Length of an AES-GCM tag in bytes.
pub(crate) const TAG_LEN: usize = 16;
/// Size of the per-thread nonce buffer: a whole number of nonces, about 4 KiB.
pub(crate) const NONCE_POOL_BYTES: usize = NONCE_LEN * 341;

struct NoncePool {
    buf: [u8; NONCE_POOL_BYTES],
    /// Offset of the next unused byte; `NONCE_POOL_BYTES` means empty.
    next: usize,
}

thread_local! {
    static NONCE_POOL: RefCell<NoncePool> = const {
        RefCell::new(NoncePool { buf: [0; NONCE_POOL_BYTES], next: NONCE_POOL_BYTES })
    };
}

/// A fresh random nonce, from the per-thread buffer (refilled from the system generator when empty).
#[inline]
pub(crate) fn fresh_nonce() -> Result<[u8; NONCE_LEN], CryptoError> {
    NONCE_POOL
        .try_with(|cell| {
            let mut pool = cell.try_borrow_mut().map_err(|_| CryptoError::Random)?;
            if pool.next + NONCE_LEN > NONCE_POOL_BYTES {
                crate::random::fill(&mut pool.buf)?;
                pool.next = 0;
            }
            let start = pool.next;
            let mut nonce = [0u8; NONCE_LEN];
            // `next + NONCE_LEN <= NONCE_POOL_BYTES` holds here, so the range is in bounds.
            let slice = pool
                .buf
                .get(start..start + NONCE_LEN)
                .ok_or(CryptoError::Internal { what: "nonce pool" })?;
            nonce.copy_from_slice(slice);
            pool.next = start + NONCE_LEN;
            Ok(nonce)
        })
        .map_err(|_| CryptoError::Random)?
}

/// 32 fresh random bytes for a new key, straight from the system generator.
pub(crate) fn random_key() -> Result<Zeroizing<[u8; KEY_LEN]>, CryptoError> {
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    crate::random::fill(key.as_mut())?;
    Ok(key)
}

/// An AES-256-GCM key ready to seal and open.
#[inline]
pub(crate) fn aes_key(bytes: &[u8; KEY_LEN], what: &'static str) -> Result<LessSafeKey, CryptoError> {
    UnboundKey::new(&AES_256_GCM, bytes)
        .map(LessSafeKey::new)
        .map_err(|_| CryptoError::InvalidKey { what })
}

/// Appends `ciphertext ‖ tag` of `plaintext` under `key`, `nonce` and `aad` to `out`.
#[inline]
pub(crate) fn seal_append(
    key: &LessSafeKey,
    nonce: [u8; NONCE_LEN],
    aad: &[u8],
    plaintext: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), CryptoError> {
    let start = out.len();
    out.reserve(plaintext.len() + TAG_LEN);
    out.extend_from_slice(plaintext);
    let body = out
        .get_mut(start..)
        .ok_or(CryptoError::Internal { what: "seal buffer" })?;
    let tag = key
        .seal_in_place_separate_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), body)
        .map_err(|_| CryptoError::InvalidInput {
            field: "plaintext",
            reason: "too long for AES-GCM",
        })?;
    out.extend_from_slice(tag.as_ref());
    Ok(())
}

/// Opens `ciphertext ‖ tag`; any failure is the opaque [`CryptoError::DecryptionFailed`].
pub(crate) fn open_to_vec(
    key: &LessSafeKey,
    nonce: [u8; NONCE_LEN],
    aad: &[u8],
    ciphertext_and_tag: &[u8],
) -> Result<Plaintext, CryptoError> {
    let mut buf = Plaintext::new(ciphertext_and_tag.to_vec());
    let len = key
        .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(aad), buf.as_mut())
        .map_err(|_| CryptoError::DecryptionFailed)?
        .len();
    buf.truncate(len);
    Ok(buf)
}

/// Opens a sealed 32-byte key.
#[inline]
pub(crate) fn open_key(
    key: &LessSafeKey,
    nonce: [u8; NONCE_LEN],
    aad: &[u8],
    ciphertext_and_tag: &[u8; KEY_LEN + TAG_LEN],
) -> Result<Zeroizing<[u8; KEY_LEN]>, CryptoError> {
    let mut buf = Zeroizing::new(*ciphertext_and_tag);
    let plain = key
        .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(aad), buf.as_mut())
        .map_err(|_| CryptoError::DecryptionFailed)?;
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    if plain.len() != KEY_LEN {
        return Err(CryptoError::DecryptionFailed);
    }
    out.copy_from_slice(plain);
    Ok(out)
}

/// Seals a 32-byte key: returns `ciphertext ‖ tag`.
pub(crate) fn seal_key(
    key: &LessSafeKey,
    nonce: [u8; NONCE_LEN],
    aad: &[u8],
    plaintext_key: &[u8; KEY_LEN],
) -> Result<[u8; KEY_LEN + TAG_LEN], CryptoError> {
    let mut buf = [0u8; KEY_LEN + TAG_LEN];
    let (body, tag_out) = buf.split_at_mut(KEY_LEN);
    body.copy_from_slice(plaintext_key);
    let tag = key
        .seal_in_place_separate_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), body)
        // Sealing 32 bytes cannot exceed AES-GCM's length limit.
        .map_err(|_| CryptoError::Internal { what: "key seal" })?;
    tag_out.copy_from_slice(tag.as_ref());
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// Wycheproof AES-GCM vectors (256-bit keys, 96-bit IVs), valid and invalid, run through this module's
    /// seal and open primitives. The committed subset and its origin are described in the JSON file.
    #[test]
    fn wycheproof_aes_256_gcm_subset() {
        let doc: serde_json::Value =
            serde_json::from_str(include_str!("../tests/vectors/wycheproof_aes256_gcm_subset.json")).unwrap();
        let tests = doc["tests"].as_array().unwrap();
        let (mut valid, mut invalid) = (0, 0);
        for t in tests {
            let field = |name: &str| hex(t[name].as_str().unwrap());
            let key_bytes: [u8; 32] = field("key").try_into().unwrap();
            let nonce: [u8; 12] = field("iv").try_into().unwrap();
            let key = aes_key(&key_bytes, "test").unwrap();
            let (aad, msg, ct, tag) = (field("aad"), field("msg"), field("ct"), field("tag"));
            let mut sealed_expected = ct.clone();
            sealed_expected.extend_from_slice(&tag);
            let opened = open_to_vec(&key, nonce, &aad, &sealed_expected);
            match t["result"].as_str().unwrap() {
                "valid" => {
                    valid += 1;
                    let mut sealed = Vec::new();
                    seal_append(&key, nonce, &aad, &msg, &mut sealed).unwrap();
                    assert_eq!(sealed, sealed_expected, "tcId {}", t["tcId"]);
                    assert_eq!(opened.unwrap().as_slice(), msg.as_slice(), "tcId {}", t["tcId"]);
                }
                _ => {
                    invalid += 1;
                    assert_eq!(opened, Err(CryptoError::DecryptionFailed), "tcId {}", t["tcId"]);
                }
            }
        }
        assert!(valid >= 10 && invalid >= 20);
    }

    #[test]
    fn nonces_do_not_repeat_across_pool_refills() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..(3 * NONCE_POOL_BYTES / NONCE_LEN + 7) {
            assert!(seen.insert(fresh_nonce().unwrap()));
        }
    }

    #[test]
    fn sealed_keys_round_trip_and_reject_other_aad() {
        let key = aes_key(&random_key().unwrap(), "test").unwrap();
        let secret = random_key().unwrap();
        let nonce = fresh_nonce().unwrap();
        let sealed = seal_key(&key, nonce, b"aad", &secret).unwrap();
        assert_eq!(*open_key(&key, nonce, b"aad", &sealed).unwrap(), *secret);
        assert_eq!(
            open_key(&key, nonce, b"other", &sealed),
            Err(CryptoError::DecryptionFailed)
        );
    }
}
