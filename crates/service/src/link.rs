//! One-time customer link tokens (issue 21): what a brokerage sends a customer so that they can answer a
//! transfer notice, or follow their own requests, without an account.
//!
//! A token is `base64url(payload ‖ tag)` without padding, where the payload is a fixed layout of
//! [`PAYLOAD_LEN`] bytes — format version, purpose, customer id, transfer id, notice id and version, expiry
//! (Unix seconds), and a 16-byte random nonce — and the tag is HMAC-SHA256 (ring) over a domain string and
//! the payload, under the service's [`LinkKey`]. Verification ([`LinkKey::verify`]) checks the length,
//! then the tag in constant time (`ring::hmac::verify`), and only then reads the fields: a tampered token
//! is [`LinkError::Invalid`] whatever byte was changed; an expired one is [`LinkError::Expired`]; one
//! minted for another purpose or bound to other ids is [`LinkError::WrongPurpose`] /
//! [`LinkError::WrongBinding`]. No error carries a value from the token.
//!
//! **Single use** is not this module's: a notice answer's consent event takes its id from the nonce
//! ([`LinkClaims::answer_event`]), so the consent ledger itself records that the token was used, in the same
//! unit of work as the answer, durably and for every instance on the store (see `customer.rs`).
//!
//! Why a MAC and not a stored random token: the service keeps no table of issued links, and a link minted on
//! one instance is honoured by every instance holding the key (PIPL Art 9: the handler secures what it
//! issues; Art 51(2): access control). The key is a secret: no `Debug`, no `Serialize`, zeroized on drop.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use chrono::{DateTime, Utc};
use custodia_consent::{EventId, NoticeId, NoticeRef};
use custodia_model::{CustomerId, TransferId};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// The format version of the payload.
pub const VERSION: u8 = 1;
/// Bytes of a payload: version 1, purpose 1, customer 16, transfer 16, notice 16, notice version 4,
/// expiry 8, nonce 16.
pub const PAYLOAD_LEN: usize = 1 + 1 + 16 + 16 + 16 + 4 + 8 + 16;
/// Bytes of an HMAC-SHA256 tag.
pub const TAG_LEN: usize = 32;
/// Bytes of a link key.
pub const KEY_LEN: usize = 32;
/// The domain the tag covers before the payload, so a tag is never valid for another use of the key.
const DOMAIN: &[u8] = b"custodia-service customer link v1\n";

/// What a link lets its holder do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkPurpose {
    /// Answer one served transfer notice, once (PIPL Arts 22, 23, 44).
    NoticeAnswer,
    /// See one's own requests and their deadlines, and submit new ones, until the link expires (PIPL Arts
    /// 44–48, 50).
    Requests,
}

impl LinkPurpose {
    fn byte(self) -> u8 {
        match self {
            LinkPurpose::NoticeAnswer => 1,
            LinkPurpose::Requests => 2,
        }
    }
}

/// What a token binds: the customer, and for a notice answer the transfer case and the notice served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binding {
    /// A notice answer: whose, in which case, to which notice version.
    Notice {
        /// The customer.
        customer: CustomerId,
        /// The seller's transfer case.
        transfer: TransferId,
        /// The notice served to the customer in that case.
        notice: NoticeRef,
    },
    /// A customer's own requests.
    Requests {
        /// The customer.
        customer: CustomerId,
    },
}

impl Binding {
    /// The purpose this binding is for.
    pub fn purpose(&self) -> LinkPurpose {
        match self {
            Binding::Notice { .. } => LinkPurpose::NoticeAnswer,
            Binding::Requests { .. } => LinkPurpose::Requests,
        }
    }

    /// The customer.
    pub fn customer(&self) -> CustomerId {
        match self {
            Binding::Notice { customer, .. } | Binding::Requests { customer } => *customer,
        }
    }
}

/// A verified token's contents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkClaims {
    /// What it binds.
    pub binding: Binding,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// Its random nonce: what makes it one of a kind.
    pub nonce: [u8; 16],
}

impl LinkClaims {
    /// The id of the consent event a notice answer through this link is recorded as: the nonce, as a
    /// version-4 (random) UUID. One token, one event id — so the ledger refuses a second answer by id.
    pub fn answer_event(&self) -> Result<EventId, LinkError> {
        let mut bytes = self.nonce;
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        EventId::from_bytes(bytes).map_err(|_| LinkError::Invalid)
    }
}

/// Why a token was refused. Nothing here carries a value from the token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    /// Not a token of this service: wrong alphabet or length, a bad tag (tampered, or another key), or an
    /// unknown format. Opaque on purpose, as for any forgery.
    #[error("the link is not valid")]
    Invalid,
    /// Past its expiry.
    #[error("the link has expired")]
    Expired,
    /// Minted for the other purpose (a requests link used to answer a notice, or the reverse).
    #[error("the link is not for this page")]
    WrongPurpose,
    /// Bound to another customer, case or notice than the one expected.
    #[error("the link is bound to another customer or notice")]
    WrongBinding,
    /// The operating system's generator failed.
    #[error("the random generator failed")]
    Random,
}

/// What can go wrong with a link key file: the path, never the key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LinkKeyError {
    /// The file could not be read or written.
    #[error("link key {path}: {kind:?}")]
    Io {
        /// The file.
        path: String,
        /// The operating system's kind of error.
        kind: std::io::ErrorKind,
    },
    /// Not 64 hex digits (and an optional newline).
    #[error("link key {path}: not 64 hex digits")]
    Malformed {
        /// The file.
        path: String,
    },
    /// Readable by others than its owner.
    #[error("link key {path}: readable by group or others (chmod 600)")]
    TooOpen {
        /// The file.
        path: String,
    },
    /// The operating system's generator failed.
    #[error("the random generator failed")]
    Random,
}

/// The service's link key: 32 bytes for HMAC-SHA256. A secret: no `Debug`, no `Serialize`, zeroized on drop.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct LinkKey([u8; KEY_LEN]);

impl LinkKey {
    /// A key of these bytes (tests, or a key from the operator's secret store).
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(bytes)
    }

    /// A fresh key from the operating system's generator.
    pub fn generate() -> Result<Self, LinkKeyError> {
        let mut bytes = [0u8; KEY_LEN];
        custodia_crypto::random::fill(&mut bytes).map_err(|_| LinkKeyError::Random)?;
        Ok(Self(bytes))
    }

    /// Writes a fresh key to `path` as 64 hex digits, created with mode 0600; refuses a path that exists.
    pub fn create_file(path: &Path) -> Result<Self, LinkKeyError> {
        let key = Self::generate()?;
        let io = |e: std::io::Error| LinkKeyError::Io {
            path: path.display().to_string(),
            kind: e.kind(),
        };
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(path).map_err(io)?;
        let text = Zeroizing::new(format!("{}\n", hex::encode(key.0)));
        file.write_all(text.as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
        Ok(key)
    }

    /// Reads a key file (64 hex digits); refuses one that group or others can read.
    pub fn load(path: &Path) -> Result<Self, LinkKeyError> {
        let shown = || path.display().to_string();
        let io = |e: std::io::Error| LinkKeyError::Io {
            path: shown(),
            kind: e.kind(),
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path).map_err(io)?.permissions().mode();
            if mode & 0o077 != 0 {
                return Err(LinkKeyError::TooOpen { path: shown() });
            }
        }
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(io)?);
        let hex_text = text.strip_suffix('\n').unwrap_or(&text);
        let mut bytes = [0u8; KEY_LEN];
        if hex_text.len() != 2 * KEY_LEN || hex::decode_to_slice(hex_text, &mut bytes).is_err() {
            bytes.zeroize();
            return Err(LinkKeyError::Malformed { path: shown() });
        }
        Ok(Self(bytes))
    }

    fn tag(&self, payload: &[u8]) -> ring::hmac::Tag {
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &self.0);
        let mut ctx = ring::hmac::Context::with_key(&key);
        ctx.update(DOMAIN);
        ctx.update(payload);
        ctx.sign()
    }

    /// Mints a token for `binding`, valid until `expires_at`, with a fresh nonce.
    pub fn mint(&self, binding: &Binding, expires_at: DateTime<Utc>) -> Result<String, LinkError> {
        let mut nonce = [0u8; 16];
        custodia_crypto::random::fill(&mut nonce).map_err(|_| LinkError::Random)?;
        Ok(self.mint_with_nonce(binding, expires_at, nonce))
    }

    /// Mints a token with the given nonce (deterministic; for tests of the codec).
    pub fn mint_with_nonce(&self, binding: &Binding, expires_at: DateTime<Utc>, nonce: [u8; 16]) -> String {
        let mut bytes = encode_payload(binding, expires_at, nonce).to_vec();
        bytes.extend_from_slice(self.tag(&bytes).as_ref());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Verifies a token for `purpose` at `now`: the tag first (constant time), then the format, the
    /// purpose and the expiry.
    pub fn verify(
        &self,
        token: &str,
        purpose: LinkPurpose,
        now: DateTime<Utc>,
    ) -> Result<LinkClaims, LinkError> {
        // A token is exactly this long: anything else is refused before decoding (and bounds the work).
        let encoded_len = (PAYLOAD_LEN + TAG_LEN).div_ceil(3) * 4 - ((3 - (PAYLOAD_LEN + TAG_LEN) % 3) % 3);
        if token.len() != encoded_len {
            return Err(LinkError::Invalid);
        }
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| LinkError::Invalid)?;
        let (payload, tag) = bytes.split_at_checked(PAYLOAD_LEN).ok_or(LinkError::Invalid)?;
        if tag.len() != TAG_LEN {
            return Err(LinkError::Invalid);
        }
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &self.0);
        let mut signed = Vec::with_capacity(DOMAIN.len() + PAYLOAD_LEN);
        signed.extend_from_slice(DOMAIN);
        signed.extend_from_slice(payload);
        ring::hmac::verify(&key, &signed, tag).map_err(|_| LinkError::Invalid)?;
        let claims = decode_payload(payload)?;
        if claims.binding.purpose() != purpose {
            return Err(LinkError::WrongPurpose);
        }
        if now >= claims.expires_at {
            return Err(LinkError::Expired);
        }
        Ok(claims)
    }

    /// Verifies a token and that it binds exactly `expected`.
    pub fn verify_for(
        &self,
        token: &str,
        expected: &Binding,
        now: DateTime<Utc>,
    ) -> Result<LinkClaims, LinkError> {
        let claims = self.verify(token, expected.purpose(), now)?;
        if claims.binding != *expected {
            return Err(LinkError::WrongBinding);
        }
        Ok(claims)
    }
}

fn encode_payload(binding: &Binding, expires_at: DateTime<Utc>, nonce: [u8; 16]) -> [u8; PAYLOAD_LEN] {
    let mut out = [0u8; PAYLOAD_LEN];
    out[0] = VERSION;
    out[1] = binding.purpose().byte();
    out[2..18].copy_from_slice(binding.customer().as_bytes());
    if let Binding::Notice { transfer, notice, .. } = binding {
        out[18..34].copy_from_slice(transfer.as_bytes());
        out[34..50].copy_from_slice(notice.id.as_bytes());
        out[50..54].copy_from_slice(&notice.version.to_be_bytes());
    }
    out[54..62].copy_from_slice(&expires_at.timestamp().to_be_bytes());
    out[62..78].copy_from_slice(&nonce);
    out
}

fn array<const N: usize>(bytes: &[u8], at: usize) -> Result<[u8; N], LinkError> {
    bytes
        .get(at..at + N)
        .and_then(|s| s.try_into().ok())
        .ok_or(LinkError::Invalid)
}

fn decode_payload(p: &[u8]) -> Result<LinkClaims, LinkError> {
    if p.len() != PAYLOAD_LEN || p.first() != Some(&VERSION) {
        return Err(LinkError::Invalid);
    }
    let customer = CustomerId::from_bytes(array(p, 2)?).map_err(|_| LinkError::Invalid)?;
    let ids: [u8; 36] = array(p, 18)?;
    let binding = match p.get(1) {
        Some(1) => Binding::Notice {
            customer,
            transfer: TransferId::from_bytes(array(p, 18)?).map_err(|_| LinkError::Invalid)?,
            notice: NoticeRef {
                id: NoticeId::from_bytes(array(p, 34)?).map_err(|_| LinkError::Invalid)?,
                version: u32::from_be_bytes(array(p, 50)?),
            },
        },
        // A requests link binds no case: its case bytes are zero, or it is not a token of this format.
        Some(2) if ids.iter().all(|b| *b == 0) => Binding::Requests { customer },
        _ => return Err(LinkError::Invalid),
    };
    let seconds = i64::from_be_bytes(array(p, 54)?);
    let expires_at = DateTime::from_timestamp(seconds, 0).ok_or(LinkError::Invalid)?;
    Ok(LinkClaims {
        binding,
        expires_at,
        nonce: array(p, 62)?,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use chrono::Duration;

    // Compile-time proof: `LinkKey` implements neither `Serialize` nor `Debug`.
    crate::assert_not_debug_or_serialize!(LinkKey);

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_780_000_000, 0).unwrap()
    }

    fn notice_binding() -> Binding {
        Binding::Notice {
            customer: CustomerId::new_v7(),
            transfer: TransferId::new_v7(),
            notice: NoticeRef {
                id: NoticeId::new_v7(),
                version: 1,
            },
        }
    }

    #[test]
    fn a_minted_token_verifies_for_its_binding_and_purpose_only() {
        let key = LinkKey::from_bytes([7; 32]);
        let binding = notice_binding();
        let token = key.mint(&binding, now() + Duration::days(7)).unwrap();
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        let claims = key.verify_for(&token, &binding, now()).unwrap();
        assert_eq!(claims.binding, binding);
        assert_eq!(claims.expires_at, now() + Duration::days(7));
        assert_eq!(
            key.verify(&token, LinkPurpose::Requests, now()),
            Err(LinkError::WrongPurpose)
        );
        // Bound to another customer, another notice version, another case.
        let Binding::Notice {
            customer,
            transfer,
            notice,
        } = binding
        else {
            unreachable!()
        };
        for other in [
            Binding::Notice {
                customer: CustomerId::new_v7(),
                transfer,
                notice,
            },
            Binding::Notice {
                customer,
                transfer: TransferId::new_v7(),
                notice,
            },
            Binding::Notice {
                customer,
                transfer,
                notice: NoticeRef {
                    id: notice.id,
                    version: 2,
                },
            },
        ] {
            assert_eq!(
                key.verify_for(&token, &other, now()),
                Err(LinkError::WrongBinding)
            );
        }
        // Two mints differ (the nonce), and so do their answer events.
        let again = key.mint(&binding, now() + Duration::days(7)).unwrap();
        assert_ne!(again, token);
        let a = key.verify(&again, LinkPurpose::NoticeAnswer, now()).unwrap();
        assert_ne!(a.answer_event().unwrap(), claims.answer_event().unwrap());
        assert_eq!(claims.answer_event().unwrap(), claims.answer_event().unwrap());
        // A requests link.
        let requests = Binding::Requests { customer };
        let token = key.mint(&requests, now() + Duration::hours(1)).unwrap();
        assert_eq!(
            key.verify_for(&token, &requests, now()).unwrap().binding,
            requests
        );
        assert_eq!(
            key.verify(&token, LinkPurpose::NoticeAnswer, now()),
            Err(LinkError::WrongPurpose)
        );
    }

    #[test]
    fn an_expired_token_is_refused_from_its_expiry_on() {
        let key = LinkKey::from_bytes([7; 32]);
        let binding = notice_binding();
        let token = key.mint(&binding, now()).unwrap();
        assert_eq!(key.verify_for(&token, &binding, now()), Err(LinkError::Expired));
        assert!(
            key.verify_for(&token, &binding, now() - Duration::seconds(1))
                .is_ok()
        );
    }

    #[test]
    fn every_changed_byte_and_every_other_key_is_refused_opaquely() {
        let key = LinkKey::from_bytes([7; 32]);
        let binding = notice_binding();
        let token = key.mint_with_nonce(&binding, now() + Duration::days(1), [9; 16]);
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&token)
            .unwrap();
        // Each byte of the payload and the tag, flipped in every bit.
        for i in 0..raw.len() {
            for bit in 0..8 {
                let mut bad = raw.clone();
                bad[i] ^= 1 << bit;
                let bad = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bad);
                assert_eq!(
                    key.verify(&bad, LinkPurpose::NoticeAnswer, now()),
                    Err(LinkError::Invalid),
                    "byte {i} bit {bit}"
                );
            }
        }
        // Another key, a truncated or extended token, another alphabet, padding, empty.
        let other = LinkKey::from_bytes([8; 32]);
        assert_eq!(
            other.verify(&token, LinkPurpose::NoticeAnswer, now()),
            Err(LinkError::Invalid)
        );
        for bad in [
            token[..token.len() - 1].to_owned(),
            format!("{token}A"),
            token.replace('-', "+").replace('_', "/"),
            format!("{}=", &token[..token.len() - 1]),
            String::new(),
            "%00".repeat(49),
        ] {
            if bad == token {
                continue;
            }
            assert_eq!(
                key.verify(&bad, LinkPurpose::NoticeAnswer, now()),
                Err(LinkError::Invalid),
                "{bad}"
            );
        }
        // A validly tagged payload of an unknown version or purpose is refused too.
        for (at, value) in [(0usize, 2u8), (1, 3), (1, 0)] {
            let mut payload = encode_payload(&binding, now() + Duration::days(1), [9; 16]);
            payload[at] = value;
            let mut bytes = payload.to_vec();
            bytes.extend_from_slice(key.tag(&payload).as_ref());
            let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
            assert_eq!(
                key.verify(&forged, LinkPurpose::NoticeAnswer, now()),
                Err(LinkError::Invalid)
            );
        }
        // No error's text carries anything of the token.
        for e in [
            LinkError::Invalid,
            LinkError::Expired,
            LinkError::WrongPurpose,
            LinkError::WrongBinding,
        ] {
            assert!(!e.to_string().contains(&token[..8]));
        }
    }

    #[test]
    fn a_key_file_is_created_0600_read_back_and_refused_when_open_or_malformed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("link.key");
        let key = LinkKey::create_file(&path).unwrap();
        let loaded = LinkKey::load(&path).unwrap();
        let binding = notice_binding();
        let token = key.mint(&binding, now() + Duration::days(1)).unwrap();
        assert!(loaded.verify_for(&token, &binding, now()).is_ok());
        assert!(matches!(
            LinkKey::create_file(&path),
            Err(LinkKeyError::Io { .. })
        ));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert!(matches!(LinkKey::load(&path), Err(LinkKeyError::TooOpen { .. })));
        }
        let bad = dir.path().join("bad.key");
        LinkKey::create_file(&bad).unwrap();
        std::fs::write(&bad, "not hex\n").unwrap();
        let err = LinkKey::load(&bad).err().unwrap();
        assert!(matches!(err, LinkKeyError::Malformed { .. }), "{err}");
        assert!(!err.to_string().contains("not hex"));

        fn wiped_on_drop<T: ZeroizeOnDrop>(_: &T) {}
        wiped_on_drop(&key);
        let mut key = key;
        key.zeroize();
        assert_eq!(key.0, [0u8; KEY_LEN], "zeroize empties the secret");
    }
}
