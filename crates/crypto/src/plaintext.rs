//! [`Plaintext`]: opened personal data that wipes itself when dropped, at memory speed.
//!
//! `zeroize::Zeroizing<Vec<u8>>` wipes a vector through `Zeroize for Vec`, which zeroes the elements one
//! volatile byte store at a time: for a 4 KiB section that wipe took as long as two thirds of the AES-GCM
//! open itself (BENCHMARKS.md, "Opening a 4 KiB section"). Here the buffer is wiped as one slice, with
//! `zeroize`'s bulk fill (a `memset` followed by its optimization barrier, so the stores cannot be
//! elided), then its spare capacity the same way. No `unsafe` of our own: both steps are `zeroize`'s.
//! Wiping decrypted personal data at the end of its use is the rule of PIPL Art 51(3) (encryption and
//! other security measures) and the project's conventions ("Secrets").

use std::fmt;
use std::ops::Deref;

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Decrypted bytes (a section, a customer record, a package entry). Reads as `&[u8]`; never printed
/// (`Debug` shows only the length) and not serializable; zeroed when dropped or [`Zeroize::zeroize`]d.
#[derive(PartialEq, Eq)]
pub struct Plaintext(Vec<u8>);

impl Plaintext {
    /// Takes ownership of decrypted bytes (the whole allocation is wiped on drop, spare capacity included).
    pub(crate) fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }

    /// Shortens to `len` bytes (what is cut off becomes spare capacity, which the wipe covers too).
    pub(crate) fn truncate(&mut self, len: usize) {
        self.0.truncate(len);
    }

    /// The same bytes as a `Zeroizing<Vec<u8>>`, for an API that needs one (no copy; that type's own,
    /// byte-wise wipe applies from then on).
    pub fn into_zeroizing(mut self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(std::mem::take(&mut self.0))
    }

    /// Zeroes every byte of the allocation, keeping the length (the drop and [`Zeroize::zeroize`] both
    /// start here).
    fn wipe(&mut self) {
        self.0.as_mut_slice().zeroize();
        self.0.spare_capacity_mut().zeroize();
    }
}

impl Deref for Plaintext {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsMut<[u8]> for Plaintext {
    fn as_mut(&mut self) -> &mut [u8] {
        &mut self.0
    }
}

impl AsRef<[u8]> for Plaintext {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl PartialEq<[u8]> for Plaintext {
    fn eq(&self, other: &[u8]) -> bool {
        self.0 == other
    }
}

impl Zeroize for Plaintext {
    /// Zeroes the whole allocation and leaves the plaintext empty.
    fn zeroize(&mut self) {
        self.wipe();
        self.0.clear();
    }
}

impl Drop for Plaintext {
    fn drop(&mut self) {
        self.wipe();
    }
}

impl ZeroizeOnDrop for Plaintext {}

impl fmt::Debug for Plaintext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Plaintext([REDACTED; {} bytes])", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wipe_zeroes_every_byte_and_zeroize_empties() {
        let mut bytes = Vec::with_capacity(4200);
        bytes.extend((0..4096u32).map(|i| (i % 251 + 1) as u8));
        let mut p = Plaintext::new(bytes);
        assert!(p.iter().all(|b| *b != 0));
        p.wipe();
        assert_eq!(p.len(), 4096);
        assert!(p.iter().all(|b| *b == 0));
        p.as_mut().fill(7);
        p.zeroize();
        assert!(p.is_empty());
    }

    #[test]
    fn truncate_keeps_the_head_and_debug_shows_only_the_length() {
        let mut p = Plaintext::new(b"keep-cut".to_vec());
        p.truncate(4);
        assert_eq!(p.as_slice(), b"keep");
        assert_eq!(format!("{p:?}"), "Plaintext([REDACTED; 4 bytes])");
        assert_eq!(&*p.into_zeroizing(), b"keep");
    }
}
