//! One bounded reader for every decoder of outside bytes: a slice reader whose every read checks the length
//! first, and an adapter over any [`Read`] that refuses to read past a limit.
//!
//! Decoders of packages, agreements, receipts and key formats read bytes that came from someone else. Built
//! on these two, a decoder is total: short input, trailing bytes and an input longer than its format allows
//! are typed errors naming the format, the field and the offset, never a panic and never an allocation sized
//! by a length field that the bytes do not back.

use std::io::{self, Read};

use crate::error::ModelError;

/// Reads fields from the front of a byte slice. Every read checks the length first and fails with
/// [`ModelError::Truncated`] naming the format, the field and the offset where it was short.
#[derive(Clone, Debug)]
pub struct ByteReader<'a> {
    rest: &'a [u8],
    offset: usize,
    what: &'static str,
}

impl<'a> ByteReader<'a> {
    /// A reader over `bytes`; `what` names the format in errors (`"signed agreement"`).
    pub fn new(bytes: &'a [u8], what: &'static str) -> Self {
        Self {
            rest: bytes,
            offset: 0,
            what,
        }
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], ModelError> {
        let Some((head, tail)) = self.rest.split_at_checked(n) else {
            return Err(ModelError::Truncated {
                what: self.what,
                field,
                offset: self.offset,
            });
        };
        self.rest = tail;
        self.offset = self.offset.saturating_add(n);
        Ok(head)
    }

    /// The next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], ModelError> {
        let at = self.offset;
        let bytes = self.take(N, field)?;
        // `take` returned exactly N bytes, so this cannot fail; it is mapped rather than unwrapped.
        bytes.try_into().map_err(|_| ModelError::Truncated {
            what: self.what,
            field,
            offset: at,
        })
    }

    /// The next byte.
    pub fn byte(&mut self, field: &'static str) -> Result<u8, ModelError> {
        let [b] = self.array::<1>(field)?;
        Ok(b)
    }

    /// The next big-endian `u16`.
    pub fn u16_be(&mut self, field: &'static str) -> Result<u16, ModelError> {
        self.array(field).map(u16::from_be_bytes)
    }

    /// The next big-endian `u32`.
    pub fn u32_be(&mut self, field: &'static str) -> Result<u32, ModelError> {
        self.array(field).map(u32::from_be_bytes)
    }

    /// The next big-endian `u64`.
    pub fn u64_be(&mut self, field: &'static str) -> Result<u64, ModelError> {
        self.array(field).map(u64::from_be_bytes)
    }

    /// A big-endian `u32` length followed by that many bytes, refused with [`ModelError::TooLong`] above
    /// `max` before anything is read.
    pub fn u32_prefixed(&mut self, field: &'static str, max: usize) -> Result<&'a [u8], ModelError> {
        let len = self.u32_be(field)?;
        let len = usize::try_from(len).map_err(|_| ModelError::TooLong {
            what: self.what,
            field,
            limit: max as u64,
        })?;
        if len > max {
            return Err(ModelError::TooLong {
                what: self.what,
                field,
                limit: max as u64,
            });
        }
        self.take(len, field)
    }

    /// How many bytes are left.
    pub fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// How many bytes were read.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Everything left, consuming the reader.
    pub fn rest(self) -> &'a [u8] {
        self.rest
    }

    /// Fails with [`ModelError::TrailingBytes`] unless nothing is left, so trailing garbage is never silently
    /// ignored.
    pub fn finish(self) -> Result<(), ModelError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(ModelError::TrailingBytes {
                what: self.what,
                offset: self.offset,
            })
        }
    }
}

/// An adapter over any [`Read`] that yields at most `limit` bytes and refuses to read past them: once the
/// limit is reached, a read that finds more input fails with [`io::ErrorKind::InvalidData`] instead of
/// quietly stopping, so a caller never mistakes a cut-off input for a complete one.
#[derive(Debug)]
pub struct LimitedReader<R> {
    inner: R,
    remaining: u64,
    limit: u64,
}

impl<R: Read> LimitedReader<R> {
    /// At most `limit` bytes of `inner`.
    pub fn new(inner: R, limit: u64) -> Self {
        Self {
            inner,
            remaining: limit,
            limit,
        }
    }

    /// The limit.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Reads the whole input, refused if it is longer than the limit. The buffer grows with the bytes that
    /// arrive, never ahead of them.
    pub fn read_all(mut self) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        self.read_to_end(&mut out)?;
        Ok(out)
    }

    /// Gives the inner reader back.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: Read> Read for LimitedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.remaining == 0 {
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("input longer than the limit of {} bytes", self.limit),
                )),
            };
        }
        let max = usize::try_from(self.remaining)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let Some(window) = buf.get_mut(..max) else {
            return Ok(0);
        };
        let n = self.inner.read(window)?;
        self.remaining = self.remaining.saturating_sub(n as u64);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn short_input_names_the_field_and_the_offset() {
        let mut r = ByteReader::new(&[0, 1, 0, 0, 9], "thing");
        assert_eq!(r.u16_be("a").unwrap(), 1);
        assert_eq!(
            r.u32_be("b"),
            Err(ModelError::Truncated {
                what: "thing",
                field: "b",
                offset: 2
            })
        );
        assert_eq!(r.take(2, "c").unwrap(), &[0, 0]);
        assert_eq!(r.offset(), 4);
        assert_eq!(
            r.finish(),
            Err(ModelError::TrailingBytes {
                what: "thing",
                offset: 4
            })
        );
        let mut r = ByteReader::new(&[0, 0, 0, 200, 1], "thing");
        assert!(matches!(
            r.u32_prefixed("body", 100),
            Err(ModelError::TooLong {
                field: "body",
                limit: 100,
                ..
            })
        ));
    }

    #[test]
    fn the_limited_reader_refuses_input_past_its_limit() {
        let bytes = [7u8; 10];
        assert_eq!(LimitedReader::new(&bytes[..], 10).read_all().unwrap().len(), 10);
        assert_eq!(LimitedReader::new(&bytes[..], 64).read_all().unwrap().len(), 10);
        let err = LimitedReader::new(&bytes[..], 9).read_all().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        /// For every input and every sequence of reads, the reader never panics and never reads more than
        /// the input holds.
        #[test]
        fn reads_are_total(bytes in proptest::collection::vec(any::<u8>(), 0..64), sizes in proptest::collection::vec(0usize..80, 0..8)) {
            let mut r = ByteReader::new(&bytes, "fuzz");
            let mut read = 0usize;
            for n in sizes {
                if let Ok(part) = r.take(n, "part") {
                    read += part.len();
                }
            }
            prop_assert_eq!(read, r.offset());
            prop_assert!(read <= bytes.len());
            prop_assert_eq!(r.remaining(), bytes.len() - read);
        }
    }
}
