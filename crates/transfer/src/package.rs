//! The package format (v2): a streaming, length-prefixed, signed container of sealed entries — each
//! customer's sealed sections, re-wrapped key and metadata, sealed again under a key derived from the
//! transfer key so that a reader without it learns only counts and sizes — its writer (seller) and its
//! total reader.
//!
//! The bytes — header, entry and trailer framing, the entry sealing, the manifest leaf, the exact signed
//! message with its domain prefix, and what verifying and importing check — are specified language-neutrally in
//! `spec/package.md` (vectors in `spec/vectors/transfer/`); this module implements that document and does
//! not restate it.

use std::io::{Read, Write};

use chrono::{DateTime, Utc};
use custodia_crypto::{
    EntryKey, Keyring, PackageRandomness, SEALED_ENTRY_OVERHEAD, SEALED_TRANSFER_KEY_LEN, SealedSection,
    SealedTransferKey, Signature, SigningKey, TransferKey, TransferWrappedKey, VerifyingKey, WrappedKey,
};
use custodia_ledger::MerkleHash;
use custodia_model::{CustomerId, DataCategory, TransferId};

use crate::agreement::{AgreementDigest, SignedAgreement};
use crate::codec::hex;
use crate::error::TransferError;
use crate::manifest::{ManifestEntry, ManifestTree, ProofTree, RootBuilder, SectionDigest};

/// Magic that opens every package.
pub const PACKAGE_MAGIC: &[u8; 8] = b"CUSTXFER";
/// The format version this build writes and reads. Format 1 (entries in the clear) is refused with
/// [`TransferError::UnsupportedPackageVersion`]: no format-1 package was ever deployed.
pub const PACKAGE_FORMAT_VERSION: u8 = 2;
/// Length of the encoded header.
pub const HEADER_LEN: usize = 8 + 1 + 16 + 32 + 8 + 8 + 8 + 2 + SEALED_TRANSFER_KEY_LEN;
/// Tag of an entry record.
pub const ENTRY_TAG: u8 = 0x01;
/// Tag of the trailer record.
pub const TRAILER_TAG: u8 = 0x02;
/// Length of the trailer record: tag, count, sections, section bytes, entries digest, root, signature.
pub const TRAILER_LEN: usize = 1 + 8 + 8 + 8 + 32 + 32 + 64;
/// Default largest entry body accepted on import (64 MiB): a length field can never make the reader
/// allocate more, and it grows its buffer only as bytes actually arrive.
pub const DEFAULT_MAX_ENTRY_LEN: u32 = 64 << 20;

const SIGNATURE_DOMAIN: &[u8] = b"custodia-transfer/package-signature/v2\0";

/// The package header: what the package is bound to and the sealed transfer key, [`HEADER_LEN`] = 180
/// bytes, laid out as `spec/package.md` ("Header") specifies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    transfer_id: TransferId,
    agreement_digest: AgreementDigest,
    seller_key_id: [u8; 8],
    buyer_key_id: [u8; 8],
    created_at: i64,
    sealed_key: SealedTransferKey,
    bytes: Vec<u8>,
}

impl Header {
    fn build(
        transfer_id: TransferId,
        agreement_digest: AgreementDigest,
        seller_key_id: [u8; 8],
        buyer_key_id: [u8; 8],
        created_at: i64,
        sealed_key: SealedTransferKey,
    ) -> Result<Self, TransferError> {
        let sealed = sealed_key.encode();
        // The sealed key has a fixed length of 97 bytes; a longer one is refused, never clipped.
        let sealed_len: u16 =
            TransferError::length("sealed transfer key", sealed.len(), u64::from(u16::MAX))?;
        let mut bytes = Vec::with_capacity(HEADER_LEN);
        bytes.extend_from_slice(PACKAGE_MAGIC);
        bytes.push(PACKAGE_FORMAT_VERSION);
        bytes.extend_from_slice(transfer_id.as_bytes());
        bytes.extend_from_slice(agreement_digest.as_bytes());
        bytes.extend_from_slice(&seller_key_id);
        bytes.extend_from_slice(&buyer_key_id);
        bytes.extend_from_slice(&created_at.to_be_bytes());
        bytes.extend_from_slice(&sealed_len.to_be_bytes());
        bytes.extend_from_slice(&sealed);
        Ok(Self {
            transfer_id,
            agreement_digest,
            seller_key_id,
            buyer_key_id,
            created_at,
            sealed_key,
            bytes,
        })
    }

    /// Decodes a header. Total: any bytes give a header or a typed error naming the field.
    pub fn decode(bytes: &[u8]) -> Result<Self, TransferError> {
        let bad = |reason: &str| TransferError::MalformedPackage {
            offset: 0,
            entry: "header".into(),
            reason: reason.into(),
        };
        let mut r = Cursor::new(bytes);
        let magic = r.take(8).ok_or_else(|| bad("truncated magic"))?;
        if magic != PACKAGE_MAGIC {
            return Err(bad("not a custodia transfer package (magic)"));
        }
        let version = r.byte().ok_or_else(|| bad("truncated version"))?;
        if version != PACKAGE_FORMAT_VERSION {
            return Err(TransferError::UnsupportedPackageVersion { version });
        }
        let transfer_id =
            TransferId::from_bytes(r.array::<16>().ok_or_else(|| bad("truncated transfer id"))?)
                .map_err(|_| bad("nil transfer id"))?;
        let agreement_digest =
            AgreementDigest::from_bytes(r.array::<32>().ok_or_else(|| bad("truncated agreement digest"))?);
        let seller_key_id = r.array::<8>().ok_or_else(|| bad("truncated seller key id"))?;
        let buyer_key_id = r.array::<8>().ok_or_else(|| bad("truncated buyer key id"))?;
        let created_at = i64::from_be_bytes(r.array::<8>().ok_or_else(|| bad("truncated time"))?);
        let len = u16::from_be_bytes(r.array::<2>().ok_or_else(|| bad("truncated key length"))?);
        if usize::from(len) != SEALED_TRANSFER_KEY_LEN {
            return Err(bad("sealed transfer key length"));
        }
        let sealed = r
            .take(usize::from(len))
            .ok_or_else(|| bad("truncated sealed key"))?;
        let sealed_key = SealedTransferKey::decode(sealed).map_err(|e| bad(&e.to_string()))?;
        if sealed_key.transfer_id() != transfer_id {
            return Err(bad("sealed key names another transfer"));
        }
        if !r.rest().is_empty() {
            return Err(bad("trailing bytes"));
        }
        Self::build(
            transfer_id,
            agreement_digest,
            seller_key_id,
            buyer_key_id,
            created_at,
            sealed_key,
        )
    }

    pub(crate) fn decode_hex(text: &str) -> Result<Self, TransferError> {
        let bytes = ::hex::decode(text)
            .ok()
            .ok_or_else(|| TransferError::MalformedPackage {
                offset: 0,
                entry: "header".into(),
                reason: "not hex".into(),
            })?;
        Self::decode(&bytes)
    }

    /// The transfer.
    pub fn transfer_id(&self) -> TransferId {
        self.transfer_id
    }

    /// The agreement digest.
    pub fn agreement_digest(&self) -> AgreementDigest {
        self.agreement_digest
    }

    /// The seller's key id.
    pub fn seller_key_id(&self) -> [u8; 8] {
        self.seller_key_id
    }

    /// The buyer's recipient key id.
    pub fn buyer_key_id(&self) -> [u8; 8] {
        self.buyer_key_id
    }

    /// When the package was made.
    pub fn created_at(&self) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp(self.created_at, 0)
    }

    /// The sealed transfer key.
    pub fn sealed_key(&self) -> &SealedTransferKey {
        &self.sealed_key
    }

    /// The exact header bytes, as signed.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// A slice reader that never panics.
struct Cursor<'a> {
    bytes: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, tail) = self.bytes.split_at_checked(n)?;
        self.bytes = tail;
        Some(head)
    }

    fn byte(&mut self) -> Option<u8> {
        self.take(1).and_then(|b| b.first().copied())
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N).and_then(|b| b.try_into().ok())
    }

    fn rest(&self) -> &'a [u8] {
        self.bytes
    }
}

/// What the seller signs besides the header: the package's counts and sizes, the digest of every sealed
/// entry record as it is in the file, and the manifest root. The trailer carries them (and the signature).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signed {
    /// Entries in the package (customers).
    pub count: u64,
    /// Sections in all entries.
    pub sections: u64,
    /// Bytes of sealed sections in all entries.
    pub section_bytes: u64,
    /// SHA-256 of every entry record exactly as in the file (tag, length, sealed entry), in order: the
    /// bytes from the end of the header to the start of the trailer.
    pub entries_digest: [u8; 32],
    /// The manifest root over the (plaintext) manifest entries.
    pub root: MerkleHash,
}

fn signed_message(header: &Header, signed: &Signed) -> Vec<u8> {
    let mut m = SIGNATURE_DOMAIN.to_vec();
    m.extend_from_slice(header.as_bytes());
    m.extend_from_slice(&signed.count.to_be_bytes());
    m.extend_from_slice(&signed.sections.to_be_bytes());
    m.extend_from_slice(&signed.section_bytes.to_be_bytes());
    m.extend_from_slice(&signed.entries_digest);
    m.extend_from_slice(signed.root.as_bytes());
    m
}

pub(crate) fn verify_package_signature(
    seller: &VerifyingKey,
    header: &Header,
    signed: &Signed,
    signature: &[u8; 64],
) -> Result<(), TransferError> {
    if seller.key_id().as_bytes() != &header.seller_key_id {
        return Err(TransferError::AgreementMismatch { what: "seller key" });
    }
    let signature = Signature::from_bytes(signature).map_err(|_| TransferError::BadSignature {
        what: "package seller",
    })?;
    seller
        .verify(&signed_message(header, signed), &signature)
        .map_err(|_| TransferError::BadSignature {
            what: "package seller",
        })
}

/// One section as it travels: category, record version and the sealed bytes, unchanged.
// Not #[non_exhaustive]: it is also an input, built by callers of `PackageWriter::add`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TravellingSection {
    /// The category.
    pub category: DataCategory,
    /// The record version it was sealed for (bound into its AAD).
    pub record_version: u64,
    /// The sealed bytes exactly as the seller stored them.
    pub sealed: SealedSection,
}

/// One customer's entry as read from a package.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageEntry {
    /// The leaf salt.
    pub salt: [u8; 32],
    /// The customer.
    pub customer: CustomerId,
    /// The customer's DEK wrapped under the transfer key.
    pub wrapped_key: TransferWrappedKey,
    /// The sections.
    pub sections: Vec<TravellingSection>,
    wrapped_key_bytes: Vec<u8>,
}

impl PackageEntry {
    /// The manifest entry this package entry commits to.
    pub fn manifest_entry(&self) -> ManifestEntry {
        ManifestEntry {
            salt: self.salt,
            customer: self.customer,
            sections: self
                .sections
                .iter()
                .map(|s| SectionDigest {
                    category: s.category,
                    record_version: s.record_version,
                    sha256: ManifestEntry::digest(s.sealed.as_bytes()),
                })
                .collect(),
            wrapped_key_sha256: ManifestEntry::digest(&self.wrapped_key_bytes),
        }
    }

    /// The entry's body. A length that does not fit its field is [`TransferError::TooLongToEncode`]:
    /// a clipped length would write corrupt but signed bytes.
    fn encode(&self) -> Result<Vec<u8>, TransferError> {
        let mut body = Vec::new();
        body.extend_from_slice(&self.salt);
        body.extend_from_slice(self.customer.as_bytes());
        // A transfer-wrapped key is 109 bytes; sections are at most nine (one per category).
        let key_len: u16 = TransferError::length(
            "transfer-wrapped key",
            self.wrapped_key_bytes.len(),
            u64::from(u16::MAX),
        )?;
        body.extend_from_slice(&key_len.to_be_bytes());
        body.extend_from_slice(&self.wrapped_key_bytes);
        let count: u8 = TransferError::length("section count", self.sections.len(), u64::from(u8::MAX))?;
        body.push(count);
        for s in &self.sections {
            body.push(s.category.tag());
            body.extend_from_slice(&s.record_version.to_be_bytes());
            let bytes = s.sealed.as_bytes();
            let len: u32 = TransferError::length("sealed section", bytes.len(), u64::from(u32::MAX))?;
            body.extend_from_slice(&len.to_be_bytes());
            body.extend_from_slice(bytes);
        }
        Ok(body)
    }

    fn decode(body: &[u8], offset: u64, number: u64) -> Result<Self, TransferError> {
        let bad = |reason: String| TransferError::MalformedPackage {
            offset,
            entry: format!("entry {number}"),
            reason,
        };
        let mut r = Cursor::new(body);
        let salt = r.array::<32>().ok_or_else(|| bad("truncated salt".into()))?;
        let customer = CustomerId::from_bytes(
            r.array::<16>()
                .ok_or_else(|| bad("truncated customer id".into()))?,
        )
        .map_err(|_| bad("nil customer id".into()))?;
        let key_len = u16::from_be_bytes(r.array::<2>().ok_or_else(|| bad("truncated key length".into()))?);
        let key_bytes = r
            .take(usize::from(key_len))
            .ok_or_else(|| bad("truncated wrapped key".into()))?;
        let wrapped_key =
            TransferWrappedKey::decode(key_bytes).map_err(|e| bad(format!("wrapped key: {e}")))?;
        let count = r.byte().ok_or_else(|| bad("truncated section count".into()))?;
        if count == 0 || usize::from(count) > DataCategory::ALL.len() {
            return Err(bad(format!("section count {count}")));
        }
        let mut sections = Vec::with_capacity(usize::from(count));
        let mut last_tag = 0u8;
        for _ in 0..count {
            let tag = r.byte().ok_or_else(|| bad("truncated category".into()))?;
            if tag <= last_tag {
                return Err(bad("categories not in increasing tag order".into()));
            }
            last_tag = tag;
            let category = DataCategory::from_tag(tag).map_err(|e| bad(e.to_string()))?;
            let record_version =
                u64::from_be_bytes(r.array::<8>().ok_or_else(|| bad("truncated version".into()))?);
            let len = u32::from_be_bytes(
                r.array::<4>()
                    .ok_or_else(|| bad("truncated section length".into()))?,
            );
            let len = usize::try_from(len).map_err(|_| bad("section length".into()))?;
            let bytes = r
                .take(len)
                .ok_or_else(|| bad(format!("truncated {category} section")))?;
            let sealed =
                SealedSection::from_bytes(bytes).map_err(|e| bad(format!("{category} section: {e}")))?;
            sections.push(TravellingSection {
                category,
                record_version,
                sealed,
            });
        }
        if !r.rest().is_empty() {
            return Err(bad("trailing bytes in entry".into()));
        }
        Ok(Self {
            salt,
            customer,
            wrapped_key,
            sections,
            wrapped_key_bytes: key_bytes.to_vec(),
        })
    }
}

/// What the seller has when the package is written.
// Not #[non_exhaustive]: a program rebuilds it from a stored package to verify a receipt later (as
// fuzz/src/oracles.rs does), so its fields are its constructor.
#[derive(Clone, Debug)]
pub struct PackageSummary {
    /// The header.
    pub header: Header,
    /// Customers in the package.
    pub customers: u64,
    /// Sections in the package.
    pub sections: u64,
    /// Bytes of sealed sections (moved unchanged, hashed once).
    pub section_bytes: u64,
    /// Bytes written in all.
    pub package_bytes: u64,
    /// The manifest root.
    pub root: MerkleHash,
    /// SHA-256 of the sealed entry records as they are in the file (see [`Signed::entries_digest`]).
    pub entries_digest: [u8; 32],
    /// The seller's Ed25519 signature over the signed message of `spec/package.md`: the domain prefix
    /// `custodia-transfer/package-signature/v2` and a zero byte, the header, the count, sections and
    /// section bytes as `u64`, the entries digest and the root.
    pub signature: [u8; 64],
}

impl PackageSummary {
    /// What the seller signed besides the header.
    pub fn signed(&self) -> Signed {
        Signed {
            count: self.customers,
            sections: self.sections,
            section_bytes: self.section_bytes,
            entries_digest: self.entries_digest,
            root: self.root,
        }
    }
}

/// Writes a package customer by customer to any [`Write`], in memory that does not grow with the book
/// (a few dozen bytes of tree state; [`ProofTree::Keep`] keeps the whole tree for proofs as well).
///
/// ```
/// use custodia_transfer::package::{PACKAGE_MAGIC, HEADER_LEN};
/// assert_eq!(PACKAGE_MAGIC, b"CUSTXFER");
/// assert_eq!(HEADER_LEN, 180);
/// ```
pub struct PackageWriter<'k, W: Write> {
    out: W,
    header: Header,
    transfer_key: TransferKey,
    entry_key: EntryKey,
    entries_digest: ring::digest::Context,
    seller_key: &'k SigningKey,
    builder: RootBuilder,
    tree: Option<ManifestTree>,
    last: Option<CustomerId>,
    sections: u64,
    section_bytes: u64,
    written: u64,
    /// The transfer key, HPKE ephemeral, re-wrap nonces and manifest salts: fresh from custodia-crypto's
    /// generator (one system draw per 128 salts), or derived from a case's secret for a reproducible
    /// package.
    randomness: PackageRandomness,
}

/// How a [`PackageWriter`] starts: when the package is made, whether to keep the manifest tree, and where
/// its random values come from ([`PackageRandomness::fresh`], or [`PackageRandomness::derived`] from the
/// case's secret so that writing it again after a crash gives the same bytes).
#[derive(Debug)]
pub struct WriterSettings {
    /// When the package is made (the header records it).
    pub created_at: DateTime<Utc>,
    /// Whether to keep the manifest tree for customers' proofs.
    pub proof_tree: ProofTree,
    /// The source of the transfer key, the HPKE ephemeral key, the re-wrap nonces and the salts.
    pub randomness: PackageRandomness,
}

impl<W: Write> std::fmt::Debug for PackageWriter<'_, W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PackageWriter")
            .field("transfer", &self.header.transfer_id)
            .field("customers", &self.builder.size())
            .finish_non_exhaustive()
    }
}

impl<'k, W: Write> PackageWriter<'k, W> {
    /// Starts a package for `agreement`: a fresh transfer key, sealed once to the buyer's recipient key in
    /// the agreement, and the header. Refused if `seller_key` is not the agreement's seller key.
    pub fn start(
        out: W,
        agreement: &SignedAgreement,
        seller_key: &'k SigningKey,
        created_at: DateTime<Utc>,
        proof_tree: ProofTree,
    ) -> Result<Self, TransferError> {
        let settings = WriterSettings {
            created_at,
            proof_tree,
            randomness: PackageRandomness::fresh(),
        };
        Self::start_with(out, agreement, seller_key, settings)
    }

    /// [`PackageWriter::start`] with the package's randomness chosen by the caller: a durable transfer
    /// case passes [`PackageRandomness::derived`], so the same case always writes the same bytes.
    pub fn start_with(
        mut out: W,
        agreement: &SignedAgreement,
        seller_key: &'k SigningKey,
        settings: WriterSettings,
    ) -> Result<Self, TransferError> {
        let WriterSettings {
            created_at,
            proof_tree,
            randomness,
        } = settings;
        let terms = agreement.terms();
        if seller_key.verifying_key() != *terms.seller.verifying_key() {
            return Err(TransferError::WrongSigner { role: "seller" });
        }
        let transfer_key = randomness
            .transfer_key(agreement.transfer_id())
            .map_err(TransferError::crypto("transfer key"))?;
        let buyer = terms.buyer.recipient_key();
        let sealed = randomness
            .seal_transfer_key(&transfer_key, buyer)
            .map_err(TransferError::crypto("seal transfer key"))?;
        let header = Header::build(
            agreement.transfer_id(),
            agreement.digest(),
            *seller_key.verifying_key().key_id().as_bytes(),
            *buyer.key_id().as_bytes(),
            created_at.timestamp(),
            sealed,
        )?;
        let entry_key = transfer_key
            .entry_key()
            .map_err(TransferError::crypto("entry key"))?;
        out.write_all(header.as_bytes())
            .map_err(TransferError::io("writing the header"))?;
        Ok(Self {
            out,
            written: header.as_bytes().len() as u64,
            header,
            transfer_key,
            entry_key,
            entries_digest: ring::digest::Context::new(&ring::digest::SHA256),
            seller_key,
            builder: RootBuilder::new(),
            tree: (proof_tree == ProofTree::Keep).then(ManifestTree::new),
            last: None,
            sections: 0,
            section_bytes: 0,
            randomness,
        })
    }

    /// Adds one customer: its sealed sections as they are, and its DEK re-wrapped from `wrapped` (under the
    /// seller's keyring) to the transfer key without the DEK ever reaching the caller. Customers must come
    /// in strictly increasing id order, every section must be sealed under `wrapped`'s DEK, and at least
    /// one section is required.
    pub fn add(
        &mut self,
        keyring: &Keyring,
        wrapped: &WrappedKey,
        mut sections: Vec<TravellingSection>,
    ) -> Result<(), TransferError> {
        let customer = wrapped.customer();
        let number = self.builder.size();
        let fail = |reason: &str| TransferError::EntryFailed {
            entry: number,
            customer,
            reason: reason.into(),
        };
        if self.last.is_some_and(|last| last >= customer) {
            return Err(fail("customers must be added in strictly increasing id order"));
        }
        sections.sort_by_key(|s| s.category.tag());
        if sections.is_empty()
            || sections
                .windows(2)
                .any(|w| matches!(w, [a, b] if a.category == b.category))
        {
            return Err(fail("needs one to nine sections, one per category"));
        }
        if sections.iter().any(|s| s.sealed.dek_id() != wrapped.dek_id()) {
            return Err(fail(
                "a section is sealed under another data key than the one given",
            ));
        }
        let moved = self
            .randomness
            .rewrap_for_transfer(keyring, wrapped, &self.transfer_key)
            .map_err(TransferError::crypto("re-wrap for transfer"))?;
        let salt = self
            .randomness
            .salt(customer)
            .map_err(TransferError::crypto("salt"))?;
        let entry = PackageEntry {
            salt,
            customer,
            wrapped_key_bytes: moved.encode(),
            wrapped_key: moved,
            sections,
        };
        let body = entry.encode()?;
        // The sealed length must fit the record's u32 field; checked before sealing (the AAD carries
        // the body's length as a u32 too).
        let _: u32 = TransferError::length(
            "package entry",
            body.len().saturating_add(SEALED_ENTRY_OVERHEAD),
            u64::from(u32::MAX),
        )?;
        let sealed = self
            .entry_key
            .seal_entry(number, &body)
            .map_err(TransferError::crypto("seal an entry"))?;
        let len: u32 = TransferError::length("package entry", sealed.len(), u64::from(u32::MAX))?;
        let mut record = Vec::with_capacity(5 + sealed.len());
        record.push(ENTRY_TAG);
        record.extend_from_slice(&len.to_be_bytes());
        record.extend_from_slice(&sealed);
        self.out
            .write_all(&record)
            .map_err(TransferError::io("writing an entry"))?;
        self.entries_digest.update(&record);
        self.written += record.len() as u64;
        let leaf = entry.manifest_entry().leaf_hash();
        self.builder.push(leaf);
        if let Some(tree) = &mut self.tree {
            tree.push(customer, leaf);
        }
        self.sections += entry.sections.len() as u64;
        self.section_bytes += entry
            .sections
            .iter()
            .map(|s| s.sealed.as_bytes().len() as u64)
            .sum::<u64>();
        self.last = Some(customer);
        Ok(())
    }

    /// Customers added so far.
    pub fn customers(&self) -> u64 {
        self.builder.size()
    }

    /// Writes the trailer (count, sections, section bytes, the digest of the sealed entry records, the
    /// root, and the seller's signature over the signed message of `spec/package.md`, which starts with a
    /// domain prefix and covers the header and all of these) and flushes. Returns the summary and the
    /// manifest tree if one was kept.
    pub fn finish(mut self) -> Result<(PackageSummary, Option<ManifestTree>), TransferError> {
        let size = self.builder.size();
        let root = self.builder.root();
        let mut entries_digest = [0u8; 32];
        entries_digest.copy_from_slice(self.entries_digest.clone().finish().as_ref());
        let signed = Signed {
            count: size,
            sections: self.sections,
            section_bytes: self.section_bytes,
            entries_digest,
            root,
        };
        let signature = *self
            .seller_key
            .sign(&signed_message(&self.header, &signed))
            .as_bytes();
        let trailer = Trailer { signed, signature }.encode();
        self.out
            .write_all(&trailer)
            .map_err(TransferError::io("writing the trailer"))?;
        self.out
            .flush()
            .map_err(TransferError::io("flushing the package"))?;
        let tree = self.tree.map(|mut t| {
            t.seal();
            t
        });
        Ok((
            PackageSummary {
                header: self.header,
                customers: size,
                sections: self.sections,
                section_bytes: self.section_bytes,
                package_bytes: self.written + trailer.len() as u64,
                root,
                entries_digest,
                signature,
            },
            tree,
        ))
    }
}

/// The trailer: what the seller signed and the signature. [`TRAILER_LEN`] = 153 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trailer {
    /// The counts, sizes, entries digest and root the signature covers.
    pub signed: Signed,
    /// The seller's Ed25519 signature over the signed message of `spec/package.md`.
    pub signature: [u8; 64],
}

impl Trailer {
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(TRAILER_LEN);
        out.push(TRAILER_TAG);
        out.extend_from_slice(&self.signed.count.to_be_bytes());
        out.extend_from_slice(&self.signed.sections.to_be_bytes());
        out.extend_from_slice(&self.signed.section_bytes.to_be_bytes());
        out.extend_from_slice(&self.signed.entries_digest);
        out.extend_from_slice(self.signed.root.as_bytes());
        out.extend_from_slice(&self.signature);
        out
    }

    /// Decodes the trailer after its tag byte.
    fn decode(rest: &[u8; TRAILER_LEN - 1]) -> Option<Self> {
        let mut r = Cursor::new(rest);
        let count = r.array::<8>().map(u64::from_be_bytes)?;
        let sections = r.array::<8>().map(u64::from_be_bytes)?;
        let section_bytes = r.array::<8>().map(u64::from_be_bytes)?;
        let entries_digest = r.array::<32>()?;
        let root = r.array::<32>().map(MerkleHash::from_bytes)?;
        let signature = r.array::<64>()?;
        Some(Self {
            signed: Signed {
                count,
                sections,
                section_bytes,
                entries_digest,
                root,
            },
            signature,
        })
    }
}

/// A sealed entry as a reader without the transfer key sees it: its place and its length, nothing else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SealedEntry {
    /// Position of the entry in the package, from 0.
    pub index: u64,
    /// Byte offset of its record.
    pub offset: u64,
    /// Length of the sealed entry (the record's length field).
    pub sealed_len: u32,
}

/// One record read from a package.
// Not #[non_exhaustive]: format v2 has exactly these records; another kind would be another format
// version, which the reader refuses before it gets here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    /// A customer's entry, opened with the transfer key (a reader given [`PackageReader::unseal_with`]).
    Entry(Box<PackageEntry>),
    /// A customer's entry as a reader without the transfer key sees it.
    Sealed(SealedEntry),
    /// The trailer: counts, entries digest, root and signature. Nothing may follow it. The reader has
    /// checked that the entries digest is the digest of the entry records it read.
    Trailer(Trailer),
}

/// Reads a package record by record from any [`Read`]. Total: malformed input is a typed error naming the
/// record and its byte offset, never a panic, and a length field never causes an allocation larger than the
/// bytes that actually arrive (and at most `max_entry_len`).
///
/// Without the transfer key it yields [`Record::Sealed`] for each entry; after
/// [`PackageReader::unseal_with`] it opens each entry ([`Record::Entry`]). Either way it hashes the entry
/// records and refuses a trailer whose entries digest differs.
pub struct PackageReader<R: Read> {
    input: R,
    header: Header,
    offset: u64,
    entries: u64,
    max_entry_len: u32,
    done: bool,
    digest: ring::digest::Context,
    key: Option<EntryKey>,
}

impl<R: Read> std::fmt::Debug for PackageReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PackageReader")
            .field("offset", &self.offset)
            .field("entries", &self.entries)
            .field("unsealing", &self.key.is_some())
            .finish_non_exhaustive()
    }
}

fn read_exact_at<R: Read>(
    input: &mut R,
    buf: &mut [u8],
    offset: u64,
    entry: &str,
) -> Result<(), TransferError> {
    input
        .read_exact(buf)
        .map_err(|e| TransferError::MalformedPackage {
            offset,
            entry: entry.to_owned(),
            reason: format!("truncated: {e}"),
        })
}

impl<R: Read> PackageReader<R> {
    /// Reads and decodes the header.
    pub fn open(mut input: R, max_entry_len: u32) -> Result<Self, TransferError> {
        let mut head = [0u8; HEADER_LEN];
        read_exact_at(&mut input, &mut head, 0, "header")?;
        let header = Header::decode(&head)?;
        Ok(Self {
            input,
            header,
            offset: HEADER_LEN as u64,
            entries: 0,
            max_entry_len,
            done: false,
            digest: ring::digest::Context::new(&ring::digest::SHA256),
            key: None,
        })
    }

    /// From now on, opens each entry with the entry key derived from `transfer_key` (the buyer opens it
    /// from the header's sealed transfer key; the seller derives it from the case). A key of another
    /// transfer is refused; a key that is simply wrong fails, opaquely, at the first entry.
    pub fn unseal_with(&mut self, transfer_key: &TransferKey) -> Result<(), TransferError> {
        if transfer_key.transfer_id() != self.header.transfer_id() {
            return Err(TransferError::AgreementMismatch { what: "transfer key" });
        }
        self.key = Some(
            transfer_key
                .entry_key()
                .map_err(TransferError::crypto("entry key"))?,
        );
        Ok(())
    }

    /// The header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The byte offset of the next record.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Entry records read so far.
    pub fn entries(&self) -> u64 {
        self.entries
    }

    /// The next record. After the trailer, checks that the stream has ended.
    pub fn next_record(&mut self) -> Result<Record, TransferError> {
        let at = self.offset;
        let record_name = format!("entry {}", self.entries);
        if self.done {
            return Err(TransferError::MalformedPackage {
                offset: at,
                entry: "trailer".into(),
                reason: "read past the trailer".into(),
            });
        }
        let mut tag = [0u8; 1];
        read_exact_at(&mut self.input, &mut tag, at, &record_name)?;
        match tag {
            [ENTRY_TAG] => {
                let mut len_bytes = [0u8; 4];
                read_exact_at(&mut self.input, &mut len_bytes, at, &record_name)?;
                let len = u32::from_be_bytes(len_bytes);
                let malformed = |reason: String| TransferError::MalformedPackage {
                    offset: at,
                    entry: record_name.clone(),
                    reason,
                };
                if len > self.max_entry_len {
                    return Err(malformed(format!(
                        "entry length {len} exceeds the limit {}",
                        self.max_entry_len
                    )));
                }
                if (len as usize) < SEALED_ENTRY_OVERHEAD {
                    return Err(malformed(format!(
                        "entry length {len} is shorter than a sealed entry"
                    )));
                }
                let mut sealed = Vec::with_capacity(usize::try_from(len.min(64 * 1024)).unwrap_or(0));
                let got = (&mut self.input)
                    .take(u64::from(len))
                    .read_to_end(&mut sealed)
                    .map_err(TransferError::io("reading an entry"))?;
                if got as u64 != u64::from(len) {
                    return Err(malformed("truncated entry".into()));
                }
                self.digest.update(&tag);
                self.digest.update(&len_bytes);
                self.digest.update(&sealed);
                let index = self.entries;
                let record = match &self.key {
                    None => Record::Sealed(SealedEntry {
                        index,
                        offset: at,
                        sealed_len: len,
                    }),
                    Some(key) => {
                        let body = key
                            .open_entry(index, &sealed)
                            .map_err(|_| TransferError::EntrySealBroken { entry: index })?;
                        Record::Entry(Box::new(PackageEntry::decode(&body, at, index)?))
                    }
                };
                self.offset = at + 5 + u64::from(len);
                self.entries += 1;
                Ok(record)
            }
            [TRAILER_TAG] => {
                let mut rest = [0u8; TRAILER_LEN - 1];
                read_exact_at(&mut self.input, &mut rest, at, "trailer")?;
                let trailer = Trailer::decode(&rest).ok_or_else(|| TransferError::MalformedPackage {
                    offset: at,
                    entry: "trailer".into(),
                    reason: "truncated".into(),
                })?;
                let mut extra = [0u8; 1];
                let more = self
                    .input
                    .read(&mut extra)
                    .map_err(TransferError::io("reading past the trailer"))?;
                if more != 0 {
                    return Err(TransferError::MalformedPackage {
                        offset: at + TRAILER_LEN as u64,
                        entry: "trailer".into(),
                        reason: "bytes after the trailer".into(),
                    });
                }
                if self.digest.clone().finish().as_ref() != trailer.signed.entries_digest.as_slice() {
                    return Err(TransferError::MalformedPackage {
                        offset: at,
                        entry: "trailer".into(),
                        reason: "entries digest is not the digest of the entry records".into(),
                    });
                }
                self.done = true;
                self.offset = at + TRAILER_LEN as u64;
                Ok(Record::Trailer(trailer))
            }
            [other] => Err(TransferError::MalformedPackage {
                offset: at,
                entry: record_name,
                reason: format!("unknown record tag {other:#04x}"),
            }),
        }
    }
}

/// Hex of a signature or header, for reports and proofs.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    hex(bytes)
}

/// The checks every opened entry passes, after the previous entry `last` (verify and import share them):
/// strictly increasing customer order, the wrapped key naming the entry's customer and the header's
/// transfer, every section naming the wrapped key's data key.
pub(crate) fn check_entry(
    entry: &PackageEntry,
    number: u64,
    last: Option<CustomerId>,
    header: &Header,
) -> Result<(), TransferError> {
    let fail = |reason: &str| TransferError::EntryFailed {
        entry: number,
        customer: entry.customer,
        reason: reason.into(),
    };
    if last.is_some_and(|l| l >= entry.customer) {
        return Err(fail("customers are not in strictly increasing id order"));
    }
    if entry.wrapped_key.customer() != entry.customer {
        return Err(fail("wrapped key names another customer"));
    }
    if entry.wrapped_key.transfer_id() != header.transfer_id() {
        return Err(fail("wrapped key names another transfer"));
    }
    if entry
        .sections
        .iter()
        .any(|s| s.sealed.dek_id() != entry.wrapped_key.dek_id())
    {
        return Err(fail("a section names another data key"));
    }
    Ok(())
}

/// Refuses a trailer whose counts differ from what was read (`sections` and `section_bytes` only when the
/// entries were opened).
pub(crate) fn check_counts(
    at: u64,
    signed: &Signed,
    entries: u64,
    opened: Option<(u64, u64)>,
) -> Result<(), TransferError> {
    let bad = |reason: String| TransferError::MalformedPackage {
        offset: at,
        entry: "trailer".into(),
        reason,
    };
    if signed.count != entries {
        return Err(bad(format!("count {} but {entries} entries", signed.count)));
    }
    if let Some((sections, section_bytes)) = opened {
        if signed.sections != sections {
            return Err(bad(format!(
                "sections {} but the entries hold {sections}",
                signed.sections
            )));
        }
        if signed.section_bytes != section_bytes {
            return Err(bad(format!(
                "section bytes {} but the entries hold {section_bytes}",
                signed.section_bytes
            )));
        }
    }
    Ok(())
}

/// What [`verify_package`] or [`verify_package_with_key`] checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PackageCheck {
    /// Without the transfer key: the header's binding to the agreement, the framing and length of every
    /// sealed entry, the count, the entries digest and the seller's signature over all of it. The
    /// manifest root, the section counts and the entries' contents are as the seller signed them, but
    /// were **not** recomputed (they cannot be without the key).
    Signature,
    /// With the transfer key: everything of [`PackageCheck::Signature`], and every entry opened and
    /// checked (order, ids, data key ids), the sections and section bytes counted and the manifest root
    /// recomputed and compared.
    SignatureAndEntries,
}

/// A verified package: its summary (from the signed trailer) and what was checked.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct VerifiedPackage {
    /// The summary: header, counts, root, entries digest and signature, all covered by the signature.
    pub summary: PackageSummary,
    /// What was checked; see [`PackageCheck`].
    pub checked: PackageCheck,
}

/// Checks a package offline with nothing but the signed agreement — no key of either party, so an auditor
/// can run it on an evidence folder: the header names the agreement's transfer, digest, seller key and
/// buyer key; every entry record is framed and long enough to be a sealed entry; the count and the
/// entries digest equal the trailer's; and the seller's signature over the signed message of
/// `spec/package.md` ("Verifying a package", which this implements) verifies. Without the transfer key
/// it cannot open the entries, so the manifest root is the one the seller signed, not a recomputed one:
/// the result says so ([`PackageCheck::Signature`]). It proves which package the seller signed, and its
/// summary is what a receipt is verified against. [`verify_package_with_key`] checks the entries too.
pub fn verify_package<R: Read>(
    input: R,
    agreement: &SignedAgreement,
    max_entry_len: u32,
) -> Result<VerifiedPackage, TransferError> {
    verify(input, agreement, None, max_entry_len)
}

/// [`verify_package`], and with the transfer key (the buyer's, opened from the header; or the seller's,
/// derived from the case) every entry opened and checked as import checks it, the sections counted and
/// the manifest root recomputed ([`PackageCheck::SignatureAndEntries`]). Nothing is stored.
pub fn verify_package_with_key<R: Read>(
    input: R,
    agreement: &SignedAgreement,
    transfer_key: &TransferKey,
    max_entry_len: u32,
) -> Result<VerifiedPackage, TransferError> {
    verify(input, agreement, Some(transfer_key), max_entry_len)
}

fn verify<R: Read>(
    input: R,
    agreement: &SignedAgreement,
    transfer_key: Option<&TransferKey>,
    max_entry_len: u32,
) -> Result<VerifiedPackage, TransferError> {
    let terms = agreement.terms();
    let mut reader = PackageReader::open(input, max_entry_len)?;
    let header = reader.header().clone();
    if header.transfer_id() != agreement.transfer_id() {
        return Err(TransferError::AgreementMismatch { what: "transfer id" });
    }
    if header.agreement_digest() != agreement.digest() {
        return Err(TransferError::AgreementMismatch {
            what: "agreement digest",
        });
    }
    if &header.buyer_key_id() != terms.buyer.recipient_key().key_id().as_bytes() {
        return Err(TransferError::AgreementMismatch { what: "buyer key" });
    }
    if let Some(key) = transfer_key {
        reader.unseal_with(key)?;
    }
    let mut builder = RootBuilder::new();
    let mut last: Option<CustomerId> = None;
    let (mut sections, mut section_bytes) = (0u64, 0u64);
    loop {
        let at = reader.offset();
        match reader.next_record()? {
            Record::Sealed(_) => {}
            Record::Entry(entry) => {
                check_entry(&entry, builder.size(), last, &header)?;
                last = Some(entry.customer);
                sections += entry.sections.len() as u64;
                section_bytes += entry
                    .sections
                    .iter()
                    .map(|s| s.sealed.as_bytes().len() as u64)
                    .sum::<u64>();
                builder.push(entry.manifest_entry().leaf_hash());
            }
            Record::Trailer(Trailer { signed, signature }) => {
                let opened = transfer_key.is_some();
                check_counts(
                    at,
                    &signed,
                    reader.entries(),
                    opened.then_some((sections, section_bytes)),
                )?;
                verify_package_signature(terms.seller.verifying_key(), &header, &signed, &signature)?;
                if opened && builder.root() != signed.root {
                    return Err(TransferError::RootMismatch);
                }
                return Ok(VerifiedPackage {
                    summary: PackageSummary {
                        header,
                        customers: signed.count,
                        sections: signed.sections,
                        section_bytes: signed.section_bytes,
                        package_bytes: reader.offset(),
                        root: signed.root,
                        entries_digest: signed.entries_digest,
                        signature,
                    },
                    checked: if opened {
                        PackageCheck::SignatureAndEntries
                    } else {
                        PackageCheck::Signature
                    },
                });
            }
        }
    }
}
