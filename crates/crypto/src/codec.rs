//! A bounds-checked byte reader, so that every decoder of outside bytes is total: short input is an error.

use crate::error::CryptoError;

/// Reads fixed-size fields from the front of a byte slice; every read checks the length first.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// A reader over `bytes`; `what` names the format in errors.
    pub(crate) fn new(bytes: &'a [u8], what: &'static str) -> Self {
        Self { rest: bytes, what }
    }

    /// The next `n` bytes, or a `Malformed` error naming `field` if fewer remain.
    pub(crate) fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], CryptoError> {
        if self.rest.len() < n {
            return Err(CryptoError::Malformed {
                what: self.what,
                reason: field,
            });
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    /// The next `N` bytes as an array.
    pub(crate) fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], CryptoError> {
        let bytes = self.take(N, field)?;
        // `take` returned exactly N bytes, so the conversion cannot fail; map it anyway instead of panicking.
        bytes.try_into().map_err(|_| CryptoError::Malformed {
            what: self.what,
            reason: field,
        })
    }

    /// The next byte.
    pub(crate) fn byte(&mut self, field: &'static str) -> Result<u8, CryptoError> {
        let [b] = self.array::<1>(field)?;
        Ok(b)
    }

    /// The next big-endian u32.
    pub(crate) fn u32_be(&mut self, field: &'static str) -> Result<u32, CryptoError> {
        Ok(u32::from_be_bytes(self.array::<4>(field)?))
    }

    /// Everything left.
    pub(crate) fn rest(self) -> &'a [u8] {
        self.rest
    }

    /// Fails unless nothing is left, so trailing garbage is never silently ignored.
    pub(crate) fn finish(self) -> Result<(), CryptoError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(CryptoError::Malformed {
                what: self.what,
                reason: "trailing bytes",
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_input_is_an_error_naming_the_field() {
        let mut r = Reader::new(&[1, 2, 3], "thing");
        assert_eq!(r.byte("a").unwrap(), 1);
        assert_eq!(
            r.u32_be("b"),
            Err(CryptoError::Malformed {
                what: "thing",
                reason: "b"
            })
        );
        let mut r = Reader::new(&[0, 0, 0, 7, 9], "thing");
        assert_eq!(r.u32_be("n").unwrap(), 7);
        assert!(Reader::new(&[1], "t").finish().is_err());
        assert_eq!(r.rest(), &[9]);
    }
}
