//! The normalization of [`super::normalize_for_blind_index`] for short ASCII input, written into a stack
//! buffer: no allocation, and the normalized personal value is wiped when the buffer drops.
//!
//! It is a fast path, not a second definition. It answers only when its result is certainly the general
//! path's `Ok`; for anything else (non-ASCII, too long, invalid) it answers `None` and the caller runs the
//! general path, which produces the value or the typed error. The property tests below hold the two
//! together on arbitrary ASCII input.

use std::fmt::{self, Write as _};

use zeroize::Zeroize;

use super::BlindIndexField;

/// Longest input the stack path takes. A resident identity number is 18 characters, an E.164 number at
/// most 15 digits, and nearly every e-mail address is shorter; longer input takes the general path.
const MAX_INPUT: usize = 96;

/// Room for the longest output: a phone number gains `+` and up to five country-code digits.
const CAPACITY: usize = MAX_INPUT + 6;

/// A normalized value on the stack; only the written prefix is wiped on drop, as nothing else is ever
/// written.
pub(super) struct StackText {
    buf: [u8; CAPACITY],
    len: usize,
}

impl StackText {
    pub(super) fn new() -> Self {
        Self {
            buf: [0; CAPACITY],
            len: 0,
        }
    }

    fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }

    /// Appends one byte; `false` if full (the caller then takes the general path).
    fn push(&mut self, byte: u8) -> bool {
        match self.buf.get_mut(self.len) {
            Some(slot) => {
                *slot = byte;
                self.len += 1;
                true
            }
            None => false,
        }
    }
}

impl fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if s.bytes().all(|b| self.push(b)) {
            Ok(())
        } else {
            Err(fmt::Error)
        }
    }
}

impl StackText {
    /// Wipes what was written.
    fn wipe(&mut self) {
        if let Some(written) = self.buf.get_mut(..self.len) {
            written.zeroize();
        }
    }
}

impl Drop for StackText {
    fn drop(&mut self) {
        self.wipe();
    }
}

/// `char::is_whitespace` restricted to ASCII (it includes the vertical tab, which
/// `u8::is_ascii_whitespace` does not).
fn is_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0B' | b'\x0C' | b'\r' | b' ')
}

/// The normalized `value` if the fast path can give it, `None` if the general path must decide.
pub(super) fn normalize<'a>(
    field: BlindIndexField,
    value: &str,
    default_country_code: u16,
    out: &'a mut StackText,
) -> Option<&'a [u8]> {
    let value = value.as_bytes();
    if value.len() > MAX_INPUT || !value.is_ascii() {
        return None;
    }
    let done = match field {
        BlindIndexField::IdentityNumber => identity_number(value, out),
        BlindIndexField::Phone => phone(value, default_country_code, out),
        BlindIndexField::Email => email(value, out),
    };
    done.then(|| out.as_bytes())
}

fn identity_number(value: &[u8], out: &mut StackText) -> bool {
    for &b in value {
        if is_space(b) || b == b'-' {
            continue;
        }
        if !b.is_ascii_alphanumeric() || !out.push(b.to_ascii_uppercase()) {
            return false;
        }
    }
    (1..=64).contains(&out.len)
}

fn phone(value: &[u8], default_country_code: u16, out: &mut StackText) -> bool {
    let mut compact = value
        .iter()
        .copied()
        .filter(|&b| !(is_space(b) || matches!(b, b'-' | b'(' | b')' | b'.' | b'/')))
        .peekable();
    if !out.push(b'+') {
        return false;
    }
    match compact.peek() {
        Some(b'+') => {
            compact.next();
        }
        Some(b'0') => {
            compact.next();
            if compact.peek() == Some(&b'0') {
                compact.next();
            } else if write!(out, "{default_country_code}").is_err() {
                return false;
            }
        }
        _ => {
            if write!(out, "{default_country_code}").is_err() {
                return false;
            }
        }
    }
    if !compact.all(|b| b.is_ascii_digit() && out.push(b)) {
        return false;
    }
    let digits = out.as_bytes().get(1..).unwrap_or_default();
    digits.first().is_some_and(|&d| d != b'0') && (8..=15).contains(&digits.len())
}

fn email(value: &[u8], out: &mut StackText) -> bool {
    let start = value.iter().position(|&b| !is_space(b)).unwrap_or(value.len());
    let end = value.iter().rposition(|&b| !is_space(b)).map_or(start, |i| i + 1);
    let trimmed = value.get(start..end).unwrap_or_default();
    let Some(at) = trimmed.iter().rposition(|&b| b == b'@') else {
        return false;
    };
    if at == 0 || at + 1 == trimmed.len() || trimmed.iter().any(|&b| is_space(b)) {
        return false;
    }
    trimmed.iter().all(|&b| out.push(b.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::blind_index::normalize_for_blind_index;

    fn fast(field: BlindIndexField, value: &str, cc: u16) -> Option<String> {
        let mut out = StackText::new();
        normalize(field, value, cc, &mut out).map(|b| String::from_utf8(b.to_vec()).unwrap())
    }

    /// Wherever the fast path answers, it answers what the general path does.
    fn agrees(field: BlindIndexField, value: &str, cc: u16) -> Result<(), TestCaseError> {
        if let Some(got) = fast(field, value, cc) {
            let general = normalize_for_blind_index(field, value, cc);
            prop_assert_eq!(general.ok(), Some(got), "{:?} {:?}", field, value);
        }
        Ok(())
    }

    #[test]
    fn the_fast_path_takes_the_common_inputs() {
        for (field, value) in [
            (BlindIndexField::IdentityNumber, " 11010519491231002x "),
            (BlindIndexField::IdentityNumber, "E1234-5678"),
            (BlindIndexField::Phone, "13800138000"),
            (BlindIndexField::Phone, "+86 138 0013 8000"),
            (BlindIndexField::Phone, "0086-138-0013-8000"),
            (BlindIndexField::Phone, "010-12345678"),
            (BlindIndexField::Phone, "(+86) 138.0013.8000"),
            (BlindIndexField::Email, " Li.Si@Example.COM "),
        ] {
            let general = normalize_for_blind_index(field, value, 86).unwrap();
            assert_eq!(fast(field, value, 86), Some(general), "{value:?}");
        }
        // Not for it: the general path decides (full-width forms, errors, long input).
        for (field, value) in [
            (BlindIndexField::Phone, "１３８００１３８０００"),
            (BlindIndexField::IdentityNumber, ""),
            (BlindIndexField::Phone, "+0123456789"),
            (BlindIndexField::Email, "a b@example.com"),
        ] {
            assert_eq!(fast(field, value, 86), None, "{value:?}");
        }
        let long = format!("{}@example.com", "a".repeat(MAX_INPUT));
        assert_eq!(fast(BlindIndexField::Email, &long, 86), None);
    }

    #[test]
    fn the_written_bytes_are_wiped_on_drop() {
        let mut out = StackText::new();
        assert!(
            normalize(
                BlindIndexField::IdentityNumber,
                "110105194912310021",
                86,
                &mut out
            )
            .is_some()
        );
        assert!(out.buf.iter().any(|&b| b != 0));
        out.wipe(); // what `Drop` runs, on a value the test can still look at
        assert!(out.buf.iter().all(|&b| b == 0));
    }

    proptest! {
        #[test]
        fn agrees_on_arbitrary_ascii(value in "[ -~\t\n\x0B\x0C\r]{0,40}", cc in 1u16..1000) {
            for field in BlindIndexField::ALL {
                agrees(field, &value, cc)?;
            }
        }

        #[test]
        fn agrees_on_phone_like_input(value in "[+]?[0-9 ()./-]{0,24}", cc in prop_oneof![Just(86u16), Just(49), Just(1), Just(852), 0u16..100]) {
            agrees(BlindIndexField::Phone, &value, cc)?;
        }

        #[test]
        fn agrees_on_identity_and_email_like_input(value in "[ ]?[0-9A-Za-z.@ -]{0,30}[ ]?") {
            agrees(BlindIndexField::IdentityNumber, &value, 86)?;
            agrees(BlindIndexField::Email, &value, 86)?;
        }
    }
}
