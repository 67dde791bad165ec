//! C2SP `signed-note`: byte-exact parsing and serialization, Ed25519 signers, verifier keys (`vkey`), cosignatures.
//!
//! Exactly what custodia writes and accepts is specified in `spec/checkpoint.md`.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use custodia_crypto::{Signature, SigningKey, VerifyingKey};
use ring::digest::{SHA256, digest};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::LedgerError;

/// The em dash and space that open every signature line.
const SIGNATURE_PREFIX: &str = "\u{2014} ";
/// Verifiers must accept at least 16 signatures (C2SP signed-note); we accept up to 64 and refuse more,
/// which bounds the work an attacker can make a verifier do.
pub const MAX_SIGNATURES: usize = 64;
/// The largest note we parse (a checkpoint with 64 Ed25519 signatures is under 8 KiB).
pub const MAX_NOTE_LEN: usize = 64 * 1024;

/// The signature algorithms of C2SP signed-note this crate speaks, by their type byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum SignatureKind {
    /// `0x01`: Ed25519 over the note text — how a log signs its checkpoints.
    Ed25519,
    /// `0x04`: timestamped Ed25519 witness cosignature (C2SP tlog-cosignature, `cosignature/v1`).
    Cosignature,
}

impl SignatureKind {
    /// The type byte of C2SP signed-note.
    pub fn type_byte(self) -> u8 {
        match self {
            SignatureKind::Ed25519 => 0x01,
            SignatureKind::Cosignature => 0x04,
        }
    }

    fn from_type_byte(byte: u8) -> Option<Self> {
        match byte {
            0x01 => Some(SignatureKind::Ed25519),
            0x04 => Some(SignatureKind::Cosignature),
            _ => None,
        }
    }
}

/// Whether `c` is one of the characters C2SP signed-note forbids anywhere in a note: an ASCII control
/// character (below U+0020) other than newline. DEL (U+007F) and the C1 controls (U+0080 to U+009F) are
/// not ASCII controls in the spec's sense ("those below U+0020") and are allowed, as Go's `note` package
/// allows them; `char::is_control` would refuse them, so it is not used here.
pub(crate) fn is_forbidden_in_note(c: char) -> bool {
    c < '\u{20}' && c != '\n'
}

/// A note key name: non-empty, no Unicode spaces (which include U+0085), no `+` (C2SP signed-note), and
/// none of the characters no note may hold.
fn check_key_name(name: &str) -> Result<(), LedgerError> {
    if name.is_empty()
        || name
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || is_forbidden_in_note(c))
    {
        return Err(LedgerError::KeyName {
            name: name.to_owned(),
        });
    }
    Ok(())
}

/// `SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4]` as a big-endian `u32` (C2SP signed-note).
fn key_id(name: &str, kind: SignatureKind, key: &VerifyingKey) -> u32 {
    let mut preimage = Vec::with_capacity(name.len() + 2 + 32);
    preimage.extend_from_slice(name.as_bytes());
    preimage.push(b'\n');
    preimage.push(kind.type_byte());
    preimage.extend_from_slice(key.as_bytes());
    let d = digest(&SHA256, &preimage);
    let mut id = [0u8; 4];
    // SHA-256 output is 32 bytes, so the first four exist.
    id.copy_from_slice(d.as_ref().get(..4).unwrap_or(&[0; 4]));
    u32::from_be_bytes(id)
}

/// The message a `cosignature/v1` signs: header line, time line, then the note text.
fn cosignature_message(timestamp: u64, text: &str) -> Vec<u8> {
    format!("cosignature/v1\ntime {timestamp}\n{text}").into_bytes()
}

/// A public key that verifies note signatures: a name, a signature kind and an Ed25519 key, with the
/// derived 4-byte key id. The trust anchor of everything the ledger proves to outsiders.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NoteVerifier {
    name: String,
    kind: SignatureKind,
    key: VerifyingKey,
    key_id: u32,
}

impl NoteVerifier {
    /// A verifier for `name` and `key` of the given kind.
    pub fn new(name: &str, kind: SignatureKind, key: VerifyingKey) -> Result<Self, LedgerError> {
        check_key_name(name)?;
        Ok(Self {
            name: name.to_owned(),
            kind,
            key,
            key_id: key_id(name, kind, &key),
        })
    }

    /// Parses the `vkey` form `<name>+<8 hex key id>+<base64(type ‖ public key)>` (as Go's
    /// `note.NewVerifier` reads it). The key id must match the one derived from name and key.
    pub fn from_vkey(vkey: &str) -> Result<Self, LedgerError> {
        let bad = |what| LedgerError::VerifierKey { what };
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(hash), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad("expected name+hash+key"));
        };
        check_key_name(name)?;
        if hash.len() != 8
            || !hash
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(bad("key id is not 8 lower-case hex digits"));
        }
        let id = u32::from_str_radix(hash, 16).map_err(|_| bad("key id is not hex"))?;
        let raw = STANDARD.decode(key).map_err(|_| bad("key is not base64"))?;
        let Some((&type_byte, public)) = raw.split_first() else {
            return Err(bad("key is empty"));
        };
        let kind = SignatureKind::from_type_byte(type_byte).ok_or(bad("unsupported signature type"))?;
        let public = VerifyingKey::from_bytes(public).map_err(|_| bad("public key is not 32 bytes"))?;
        let verifier = Self::new(name, kind, public)?;
        if verifier.key_id != id || verifier.to_vkey() != vkey {
            return Err(bad("key id does not match name and key"));
        }
        Ok(verifier)
    }

    /// The `vkey` string form.
    pub fn to_vkey(&self) -> String {
        let mut raw = vec![self.kind.type_byte()];
        raw.extend_from_slice(self.key.as_bytes());
        format!("{}+{:08x}+{}", self.name, self.key_id, STANDARD.encode(raw))
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The signature kind.
    pub fn kind(&self) -> SignatureKind {
        self.kind
    }

    /// The 4-byte key id.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The Ed25519 public key.
    pub fn key(&self) -> &VerifyingKey {
        &self.key
    }

    /// Checks one signature line (already matched by name and id) over `text`. Returns the cosignature
    /// timestamp for a cosignature. Failure is opaque: it names the key, never why.
    fn check(&self, text: &str, signature: &[u8]) -> Result<Option<u64>, LedgerError> {
        let fail = || LedgerError::BadSignature {
            key_name: self.name.clone(),
        };
        match self.kind {
            SignatureKind::Ed25519 => {
                let sig = Signature::from_bytes(signature).map_err(|_| fail())?;
                self.key.verify(text.as_bytes(), &sig).map_err(|_| fail())?;
                Ok(None)
            }
            SignatureKind::Cosignature => {
                let (time, sig) = signature.split_at_checked(8).ok_or_else(fail)?;
                let time: [u8; 8] = time.try_into().map_err(|_| fail())?;
                let timestamp = u64::from_be_bytes(time);
                if timestamp > i64::MAX as u64 {
                    return Err(fail());
                }
                let sig = Signature::from_bytes(sig).map_err(|_| fail())?;
                self.key
                    .verify(&cosignature_message(timestamp, text), &sig)
                    .map_err(|_| fail())?;
                Ok(Some(timestamp))
            }
        }
    }
}

impl fmt::Debug for NoteVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NoteVerifier({})", self.to_vkey())
    }
}

/// A private key that signs notes under a name: a log's checkpoint key ([`SignatureKind::Ed25519`]) or
/// a witness's cosigning key ([`SignatureKind::Cosignature`]). Its `Debug` shows no key bytes (the
/// [`SigningKey`] inside redacts itself and zeroizes its PKCS#8 bytes on drop); it is not `Serialize`.
pub struct NoteSigner {
    verifier: NoteVerifier,
    key: SigningKey,
}

impl NoteSigner {
    /// A signer for `name` with `key`, producing signatures of `kind`.
    pub fn new(name: &str, kind: SignatureKind, key: SigningKey) -> Result<Self, LedgerError> {
        let verifier = NoteVerifier::new(name, kind, key.verifying_key())?;
        Ok(Self { verifier, key })
    }

    /// The public half, to hand to whoever must verify.
    pub fn verifier(&self) -> &NoteVerifier {
        &self.verifier
    }

    /// The key name.
    pub fn name(&self) -> &str {
        self.verifier.name()
    }

    /// Signs `text` (which must be valid note text: ending in a newline, no ASCII control characters other
    /// than newline, no blank last line) into a note with this single signature. For a cosigner, `time` is the
    /// cosignature timestamp; a log signer ignores it.
    pub fn sign(&self, text: &str, time: DateTime<Utc>) -> Result<SignedNote, LedgerError> {
        check_text(text)?;
        let signature = self.signature_over(text, time)?;
        Ok(SignedNote {
            text: text.to_owned(),
            signatures: vec![signature],
        })
    }

    /// Adds this signer's signature to an existing note (a witness cosigning a checkpoint).
    pub fn cosign(&self, note: &SignedNote, time: DateTime<Utc>) -> Result<SignedNote, LedgerError> {
        if note.signatures.len() >= MAX_SIGNATURES {
            return Err(LedgerError::NoteSyntax {
                what: "too many signatures",
            });
        }
        let signature = self.signature_over(&note.text, time)?;
        let mut signatures = note.signatures.clone();
        signatures.push(signature);
        Ok(SignedNote {
            text: note.text.clone(),
            signatures,
        })
    }

    fn signature_over(&self, text: &str, time: DateTime<Utc>) -> Result<NoteSignature, LedgerError> {
        let bytes = match self.verifier.kind {
            SignatureKind::Ed25519 => self.key.sign(text.as_bytes()).as_bytes().to_vec(),
            SignatureKind::Cosignature => {
                let timestamp = u64::try_from(time.timestamp()).map_err(|_| LedgerError::NoteSyntax {
                    what: "cosignature time before 1970",
                })?;
                let mut bytes = timestamp.to_be_bytes().to_vec();
                bytes.extend_from_slice(self.key.sign(&cosignature_message(timestamp, text)).as_bytes());
                bytes
            }
        };
        Ok(NoteSignature {
            key_name: self.verifier.name.clone(),
            key_id: self.verifier.key_id,
            signature: bytes,
        })
    }
}

impl fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "NoteSigner {{ verifier: {:?}, key: {:?} }}",
            self.verifier, self.key
        )
    }
}

/// One signature line of a note: key name, key id and the signature bytes after the id.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NoteSignature {
    key_name: String,
    key_id: u32,
    signature: Vec<u8>,
}

impl NoteSignature {
    /// The signer's key name.
    pub fn key_name(&self) -> &str {
        &self.key_name
    }

    /// The 4-byte key id.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The signature bytes (after the key id).
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    fn line(&self) -> String {
        let mut raw = self.key_id.to_be_bytes().to_vec();
        raw.extend_from_slice(&self.signature);
        format!("{SIGNATURE_PREFIX}{} {}\n", self.key_name, STANDARD.encode(raw))
    }
}

/// A signature that verified against a trusted key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedSignature {
    verifier: NoteVerifier,
    timestamp: Option<u64>,
}

impl VerifiedSignature {
    /// The key that verified.
    pub fn verifier(&self) -> &NoteVerifier {
        &self.verifier
    }

    /// For a cosignature, its POSIX timestamp.
    pub fn timestamp(&self) -> Option<u64> {
        self.timestamp
    }
}

/// A C2SP signed note: text and one or more signature lines. Parsing and serializing are byte-exact
/// inverses: `SignedNote::parse(b)?.to_bytes() == b` for every `b` that parses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedNote {
    text: String,
    signatures: Vec<NoteSignature>,
}

fn check_text(text: &str) -> Result<(), LedgerError> {
    let bad = |what| LedgerError::NoteSyntax { what };
    if !text.ends_with('\n') {
        return Err(bad("text does not end in a newline"));
    }
    if text.chars().any(is_forbidden_in_note) {
        return Err(bad("text contains a control character"));
    }
    if text.ends_with("\n\n") || text == "\n" {
        return Err(bad("text ends with a blank line"));
    }
    Ok(())
}

impl SignedNote {
    /// Parses a signed note strictly: valid UTF-8, no ASCII control characters (below U+0020) but newline —
    /// DEL and C1 characters are allowed, as the spec allows them —, text ending
    /// in a newline, one blank line, then one or more lines `— <name> <base64(key id ‖ signature)>`, each
    /// ending in a newline, with canonical base64. Anything else is refused, never repaired.
    pub fn parse(bytes: &[u8]) -> Result<Self, LedgerError> {
        let bad = |what| LedgerError::NoteSyntax { what };
        if bytes.len() > MAX_NOTE_LEN {
            return Err(bad("note is too long"));
        }
        let note = std::str::from_utf8(bytes).map_err(|_| bad("note is not utf-8"))?;
        if note.chars().any(is_forbidden_in_note) {
            return Err(bad("note contains a control character"));
        }
        let split = note
            .rfind("\n\n")
            .ok_or(bad("no blank line before the signatures"))?;
        // `split` indexes an ASCII newline, so `split + 1` and `split + 2` are char boundaries.
        let text = note.get(..split + 1).ok_or(bad("no text"))?;
        let block = note.get(split + 2..).ok_or(bad("no signatures"))?;
        check_text(text)?;
        if block.is_empty() {
            return Err(bad("no signatures"));
        }
        if !block.ends_with('\n') {
            return Err(bad("signature line does not end in a newline"));
        }
        let mut signatures = Vec::new();
        for line in block.split_terminator('\n') {
            if signatures.len() >= MAX_SIGNATURES {
                return Err(bad("too many signatures"));
            }
            let rest = line
                .strip_prefix(SIGNATURE_PREFIX)
                .ok_or(bad("signature line does not start with an em dash and space"))?;
            let (name, encoded) = rest
                .split_once(' ')
                .ok_or(bad("signature line has no space after the key name"))?;
            check_key_name(name).map_err(|_| bad("signature line has an invalid key name"))?;
            let raw = STANDARD
                .decode(encoded)
                .map_err(|_| bad("signature is not base64"))?;
            if STANDARD.encode(&raw) != encoded {
                return Err(bad("signature base64 is not canonical"));
            }
            let (id, signature) = raw
                .split_at_checked(4)
                .ok_or(bad("signature is shorter than a key id"))?;
            let id: [u8; 4] = id
                .try_into()
                .map_err(|_| bad("signature is shorter than a key id"))?;
            signatures.push(NoteSignature {
                key_name: name.to_owned(),
                key_id: u32::from_be_bytes(id),
                signature: signature.to_vec(),
            });
        }
        let parsed = Self {
            text: text.to_owned(),
            signatures,
        };
        // Belt and braces for "byte-exact both ways".
        if parsed.to_bytes() != bytes {
            return Err(bad("note does not re-serialize to the same bytes"));
        }
        Ok(parsed)
    }

    /// The exact bytes: text, blank line, signature lines.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_string().into_bytes()
    }

    /// The signed text, including its final newline.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The signature lines, in order.
    pub fn signatures(&self) -> &[NoteSignature] {
        &self.signatures
    }

    /// Verifies the note against `trusted` keys as C2SP signed-note requires: lines whose (name, key id)
    /// match no trusted key are ignored; a line that matches a trusted key must verify, or the whole note
    /// is refused ([`LedgerError::BadSignature`]); and at least one must verify
    /// ([`LedgerError::Untrusted`]). Returns the signatures that verified.
    pub fn verify(&self, trusted: &[NoteVerifier]) -> Result<Vec<VerifiedSignature>, LedgerError> {
        let mut verified: Vec<VerifiedSignature> = Vec::new();
        for line in &self.signatures {
            for key in trusted
                .iter()
                .filter(|k| k.name == line.key_name && k.key_id == line.key_id)
            {
                let timestamp = key.check(&self.text, &line.signature)?;
                if !verified.iter().any(|v| v.verifier == *key) {
                    verified.push(VerifiedSignature {
                        verifier: key.clone(),
                        timestamp,
                    });
                }
            }
        }
        if verified.is_empty() {
            return Err(LedgerError::Untrusted);
        }
        Ok(verified)
    }
}

impl fmt::Display for SignedNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)?;
        f.write_str("\n")?;
        self.signatures.iter().try_for_each(|s| f.write_str(&s.line()))
    }
}

impl Serialize for SignedNote {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for SignedNote {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        SignedNote::parse(text.as_bytes()).map_err(serde::de::Error::custom)
    }
}
