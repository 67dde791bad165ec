//! The one source of randomness in custodia: system randomness, and a fast bulk expansion of it for public salts.
//!
//! Every random byte custodia uses comes from here (nonces, keys, ledger leaf salts, package salts), so
//! that one module says how randomness is made and the rest of the workspace never names `ring::rand` or
//! `getrandom`.
//!
//! - [`fill`] draws straight from the operating system's generator (ring's `SystemRandom`, which is
//!   `getrandom(2)` on Linux). Use it for anything secret.
//! - [`fill_bulk`] draws one 32-byte key from [`fill`] and expands it with AES-256 in counter mode
//!   (ring's AES-256-GCM keystream; the tag is computed and dropped, only the keystream is wanted) under
//!   the all-zero nonce, which is safe because the key is fresh and used for that one call. AES-CTR under
//!   a fresh random key is a standard CSPRNG construction (NIST SP 800-90A's CTR_DRBG is built the same
//!   way) and runs at a few GB/s, where the kernel's generator, asked for 32 bytes per ledger entry,
//!   would cost as much as hashing the entry. Its output is as unpredictable as the key, so it is fit for
//!   values that must not be guessed but are then stored beside the data they blind: the ledger's leaf
//!   salts and the package's manifest salts.
//! - [`BulkRandom`] buffers [`fill_bulk`] for callers that draw one small value at a time (the package
//!   writer draws one salt per customer).
//!
//! Failures are [`CryptoError::Random`]; nothing here panics.

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use crate::error::CryptoError;

/// The most bytes one AES key expands before [`fill_bulk`] draws the next: 1 GiB, far below AES-GCM's
/// limit of 2³⁹ − 256 bits per nonce (NIST SP 800-38D §5.2.1.1) that ring enforces.
const BULK_CHUNK: usize = 1 << 30;

/// Fills `out` from the operating system's generator. For keys, nonces and every other secret.
pub fn fill(out: &mut [u8]) -> Result<(), CryptoError> {
    SystemRandom::new().fill(out).map_err(|_| CryptoError::Random)
}

/// `N` bytes from the operating system's generator.
pub fn array<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut out = [0u8; N];
    fill(&mut out)?;
    Ok(out)
}

/// Fills `out` with the AES-256-CTR expansion of a fresh system-random key: one system call per
/// gigabyte. For public, unguessable values (salts); see the module documentation.
pub fn fill_bulk(out: &mut [u8]) -> Result<(), CryptoError> {
    for chunk in out.chunks_mut(BULK_CHUNK) {
        let key_bytes: Zeroizing<[u8; 32]> = Zeroizing::new(array()?);
        let key = UnboundKey::new(&AES_256_GCM, key_bytes.as_ref()).map_err(|_| CryptoError::Random)?;
        let key = LessSafeKey::new(key);
        chunk.fill(0);
        // A fresh key, so the all-zero nonce is used exactly once under it. The tag authenticates
        // nothing here (only the keystream is wanted) and is dropped.
        let _tag = key
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key([0; NONCE_LEN]), Aad::empty(), chunk)
            .map_err(|_| CryptoError::Random)?;
    }
    Ok(())
}

/// How many bytes [`BulkRandom`] draws at a time: 128 salts of 32 bytes.
const BULK_BUFFER: usize = 4096;

/// A buffer of [`fill_bulk`] output for callers that draw many small public values one at a time; every
/// byte is handed out once. Its `Debug` shows nothing of the buffer.
///
/// ```
/// let mut salts = custodia_crypto::random::BulkRandom::new();
/// let (a, b): ([u8; 32], [u8; 32]) = (salts.array()?, salts.array()?);
/// assert_ne!(a, b);
/// # Ok::<(), custodia_crypto::CryptoError>(())
/// ```
pub struct BulkRandom {
    buffer: Zeroizing<Vec<u8>>,
    /// Offset of the next unused byte; `buffer.len()` means empty.
    next: usize,
}

impl Default for BulkRandom {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for BulkRandom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BulkRandom")
    }
}

impl BulkRandom {
    /// An empty buffer; the first draw fills it.
    pub fn new() -> Self {
        Self {
            buffer: Zeroizing::new(vec![0u8; BULK_BUFFER]),
            next: BULK_BUFFER,
        }
    }

    /// Fills `out`, refilling the buffer from [`fill_bulk`] when it runs out.
    pub fn fill(&mut self, out: &mut [u8]) -> Result<(), CryptoError> {
        let mut written = 0;
        while written < out.len() {
            if self.next >= self.buffer.len() {
                fill_bulk(&mut self.buffer)?;
                self.next = 0;
            }
            let take = (out.len() - written).min(self.buffer.len() - self.next);
            let (Some(dst), Some(src)) = (
                out.get_mut(written..written + take),
                self.buffer.get(self.next..self.next + take),
            ) else {
                return Err(CryptoError::Internal {
                    what: "bulk random buffer",
                });
            };
            dst.copy_from_slice(src);
            self.next += take;
            written += take;
        }
        Ok(())
    }

    /// `N` fresh bytes.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], CryptoError> {
        let mut out = [0u8; N];
        self.fill(&mut out)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bulk_output_differs_per_call_and_is_not_all_zero() {
        let (mut a, mut b) = (vec![0u8; 1000], vec![0u8; 1000]);
        fill_bulk(&mut a).unwrap();
        fill_bulk(&mut b).unwrap();
        assert_ne!(a, b);
        assert!(a.iter().any(|&x| x != 0));
        fill_bulk(&mut []).unwrap();
    }

    #[test]
    fn the_buffer_hands_out_every_byte_once_across_refills() {
        let mut source = BulkRandom::new();
        let mut seen = std::collections::HashSet::new();
        // 300 salts cross two refills of 128.
        for _ in 0..300 {
            assert!(seen.insert(source.array::<32>().unwrap()));
        }
        let mut big = vec![0u8; BULK_BUFFER * 2 + 7];
        source.fill(&mut big).unwrap();
        assert!(big.iter().any(|&x| x != 0));
        assert_eq!(format!("{source:?}"), "BulkRandom");
    }

    #[test]
    fn system_draws_differ() {
        assert_ne!(array::<32>().unwrap(), array::<32>().unwrap());
    }
}
