//! Packaging from the seller's stores and the buyer's verified import, both over custodia-crypto's key store and section vault seams.

use std::io::{Read, Write};
use std::num::NonZeroU32;

use chrono::{DateTime, Utc};
use custodia_crypto::{
    KeyStore, Keyring, RecipientKeyPair, SectionVault, SigningKey, open_section, seal_section,
};
use custodia_ledger::MerkleHash;
use custodia_model::{CustomerId, DataCategory};

use crate::agreement::SignedAgreement;
use crate::error::TransferError;
use crate::manifest::{ManifestTree, ProofTree, RootBuilder};
use crate::package::{
    DEFAULT_MAX_ENTRY_LEN, PackageReader, PackageSummary, PackageWriter, Record, Trailer, TravellingSection,
    check_counts, check_entry, verify_package_signature,
};
use crate::progress::{Phase, Progress};

/// One customer to package: who, and which categories the plan includes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Moving {
    /// The customer.
    pub customer: CustomerId,
    /// The included categories.
    pub categories: Vec<DataCategory>,
}

/// The seller's side: the keys and stores packaging reads from. The same store value may serve as both
/// `keys` and `sections` (custodia-store's `SqliteStore` does).
#[derive(Debug)]
pub struct Seller<'a, K: KeyStore + ?Sized, V: SectionVault + ?Sized> {
    /// The seller's Ed25519 key; it must be the agreement's seller key.
    pub signing_key: &'a SigningKey,
    /// The seller's keyring, which unwraps each customer's data key to re-wrap it for the transfer.
    pub keyring: &'a Keyring,
    /// Where the seller's wrapped keys are.
    pub keys: &'a K,
    /// Where the seller's sealed sections are.
    pub sections: &'a V,
}

/// What goes into a package: who moves (any order; sorted by id when packaging, 16 bytes per customer
/// held), when the package is made, and whether to keep the manifest tree for customers' proofs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageContents {
    /// The customers and their included categories, from the plan.
    pub moving: Vec<Moving>,
    /// When the package is made (the header records it; library code reads no clock).
    pub created_at: DateTime<Utc>,
    /// Whether to keep the manifest tree (about 80 bytes per customer) to answer customers' proofs.
    pub proof_tree: ProofTree,
}

/// The seller's side of packaging, in one call: for each customer, the newest version of each included
/// section read from `seller.sections`, the data key from `seller.keys`, re-wrapped under the transfer
/// key by `seller.keyring`; written to `out`.
pub fn package<W: Write, K: KeyStore + ?Sized, V: SectionVault + ?Sized>(
    out: W,
    agreement: &SignedAgreement,
    seller: Seller<'_, K, V>,
    contents: PackageContents,
    progress: &mut dyn FnMut(Progress),
) -> Result<(PackageSummary, Option<ManifestTree>), TransferError> {
    let PackageContents {
        mut moving,
        created_at,
        proof_tree,
    } = contents;
    moving.sort_by_key(|m| m.customer);
    let total = moving.len() as u64;
    let mut writer = PackageWriter::start(out, agreement, seller.signing_key, created_at, proof_tree)?;
    for (n, m) in moving.iter().enumerate() {
        let mut travelling = Vec::with_capacity(m.categories.len());
        for category in &m.categories {
            let latest = seller
                .sections
                .latest_section(m.customer, *category)
                .map_err(TransferError::stores("reading a section"))?;
            let Some(latest) = latest else {
                return Err(TransferError::EntryFailed {
                    entry: writer.customers(),
                    customer: m.customer,
                    reason: format!("no stored {category} section"),
                });
            };
            travelling.push(TravellingSection {
                category: *category,
                record_version: latest.record_version(),
                sealed: latest.into_sealed(),
            });
        }
        let Some(dek_id) = travelling.first().map(|s| s.sealed.dek_id()) else {
            continue;
        };
        let wrapped = seller
            .keys
            .wrapped_key(m.customer, dek_id)
            .map_err(TransferError::stores("load the seller's wrapped key"))?;
        writer.add(seller.keyring, &wrapped, travelling)?;
        if (n as u64 + 1).is_multiple_of(1000) {
            progress(Progress::new(Phase::Package, n as u64 + 1, Some(total)));
        }
    }
    progress(Progress::new(Phase::Package, total, Some(total)));
    writer.finish()
}

/// How many sections import opens to check them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SectionCheck {
    /// Every section (the default).
    All,
    /// Every section of one customer in `n`, by position (entry 0, n, 2n, ...). Keys are still all
    /// unwrapped, so a bad key is always caught.
    Sample(NonZeroU32),
}

/// Whether the buyer re-keys imported customers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rekey {
    /// Keep each customer's DEK, re-wrapped under the buyer's keyring (the default: cost grows with
    /// customers, not bytes).
    Keep,
    /// Open every section and seal it again under a fresh DEK, so that nothing the seller ever held opens
    /// the buyer's data. Costs a decryption and an encryption of every byte (see the benches).
    FreshKeys,
}

/// Import settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportSettings {
    /// Which sections are opened to check them.
    pub check: SectionCheck,
    /// Re-keying.
    pub rekey: Rekey,
    /// The largest entry accepted.
    pub max_entry_len: u32,
    /// Report progress every this many customers.
    pub progress_every: u64,
}

impl Default for ImportSettings {
    fn default() -> Self {
        Self {
            check: SectionCheck::All,
            rekey: Rekey::Keep,
            max_entry_len: DEFAULT_MAX_ENTRY_LEN,
            progress_every: 1000,
        }
    }
}

/// What an import did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImportOutcome {
    /// The verified manifest root.
    pub root: MerkleHash,
    /// Customers imported.
    pub customers: u64,
    /// Sections imported.
    pub sections: u64,
    /// Sections opened to check them.
    pub sections_opened: u64,
    /// Whether customers were re-keyed.
    pub rekeyed: bool,
    /// The manifest tree, for answering customers' proofs.
    pub tree: ManifestTree,
}

/// The buyer's side: the keys and stores an import needs. The same store value may serve as both `keys`
/// and `sections`.
#[derive(Debug)]
pub struct Buyer<'a, K: KeyStore + ?Sized, V: SectionVault + ?Sized> {
    /// The buyer's X25519 key pair; its public half must be the agreement's buyer recipient key.
    pub recipient: &'a RecipientKeyPair,
    /// The buyer's keyring, which wraps every imported DEK.
    pub keyring: &'a Keyring,
    /// Where wrapped keys go. Must be a fresh staging store (see [`import`]).
    pub keys: &'a K,
    /// Where sections go. Must be a fresh staging store.
    pub sections: &'a V,
}

/// Imports a package for `agreement`, verifying everything:
///
/// 1. the header names this agreement's transfer, digest, seller key and buyer key;
/// 2. the transfer key opens with the buyer's private key (one HPKE open per package);
/// 3. every entry opens with the entry key derived from the transfer key (its place in the package is
///    bound in), decodes, customers come in strictly increasing id order, each wrapped key names its
///    entry's customer and the transfer and opens under the transfer key, and each checked section opens
///    with it;
/// 4. the entries digest, count, sections and section bytes equal the trailer's, the seller's signature
///    over the signed message of `spec/package.md` verifies with the agreement's seller key, and the
///    recomputed RFC 9162 root equals the trailer's.
///
/// **Atomicity: import into a fresh staging store that is adopted only on success.** Entries are written
/// as they stream in (memory stays bounded), and the signature covering them is only known at the end,
/// so the buyer's stores given here must be fresh (a customer already present is refused with
/// [`TransferError::StagingNotFresh`]); on any error the caller discards them, and the buyer's live store
/// is exactly as it was. custodia-brokerage's buyer case runs this inside one transaction of the buyer's store
/// (the staging area), which commits — adopting everything at once — only after `Ok`.
pub fn import<R: Read, K: KeyStore + ?Sized, V: SectionVault + ?Sized>(
    input: R,
    agreement: &SignedAgreement,
    buyer: Buyer<'_, K, V>,
    settings: &ImportSettings,
    progress: &mut dyn FnMut(Progress),
) -> Result<ImportOutcome, TransferError> {
    let terms = agreement.terms();
    let mut reader = PackageReader::open(input, settings.max_entry_len)?;
    let header = reader.header().clone();
    if header.transfer_id() != agreement.transfer_id() {
        return Err(TransferError::AgreementMismatch { what: "transfer id" });
    }
    if header.agreement_digest() != agreement.digest() {
        return Err(TransferError::AgreementMismatch {
            what: "agreement digest",
        });
    }
    if &header.seller_key_id() != terms.seller.verifying_key().key_id().as_bytes() {
        return Err(TransferError::AgreementMismatch { what: "seller key" });
    }
    let buyer_public = buyer.recipient.public_key();
    if buyer_public != *terms.buyer.recipient_key()
        || &header.buyer_key_id() != buyer_public.key_id().as_bytes()
    {
        return Err(TransferError::AgreementMismatch { what: "buyer key" });
    }
    let transfer_key = buyer
        .recipient
        .open_transfer_key(header.sealed_key(), agreement.transfer_id())
        .map_err(TransferError::crypto("open the transfer key"))?;
    reader.unseal_with(&transfer_key)?;

    let mut builder = RootBuilder::new();
    let mut tree = ManifestTree::new();
    let mut last: Option<CustomerId> = None;
    let (mut sections, mut section_bytes, mut opened) = (0u64, 0u64, 0u64);
    let every = settings.progress_every.max(1);
    loop {
        let at = reader.offset();
        match reader.next_record()? {
            // The reader was given the transfer key: it opens every entry.
            Record::Sealed(sealed) => {
                return Err(TransferError::EntrySealBroken { entry: sealed.index });
            }
            Record::Entry(entry) => {
                let number = builder.size();
                let customer = entry.customer;
                let fail = |reason: String| TransferError::EntryFailed {
                    entry: number,
                    customer,
                    reason,
                };
                check_entry(&entry, number, last, &header)?;
                last = Some(customer);
                if buyer
                    .sections
                    .holds_customer(customer)
                    .map_err(TransferError::stores("checking the staging store is fresh"))?
                {
                    return Err(TransferError::StagingNotFresh { customer });
                }
                let dek = transfer_key
                    .unwrap_data_key(&entry.wrapped_key)
                    .map_err(|e| fail(format!("transferred key does not open: {e}")))?;
                let check = match settings.check {
                    SectionCheck::All => true,
                    SectionCheck::Sample(n) => number.is_multiple_of(u64::from(n.get())),
                };
                let rekey = settings.rekey == Rekey::FreshKeys;
                let section_failed = |category| TransferError::SectionFailed {
                    entry: number,
                    customer,
                    category,
                };
                if rekey {
                    let (fresh, wrapped) = buyer
                        .keyring
                        .generate_dek(customer)
                        .map_err(TransferError::crypto("generate a fresh data key"))?;
                    for s in &entry.sections {
                        let plain = open_section(&dek, customer, s.category, s.record_version, &s.sealed)
                            .map_err(|_| section_failed(s.category))?;
                        let resealed = seal_section(&fresh, customer, s.category, s.record_version, &plain)
                            .map_err(TransferError::crypto("re-seal a section"))?;
                        buyer
                            .sections
                            .put_section(customer, s.category, s.record_version, &resealed)
                            .map_err(TransferError::stores("storing a section"))?;
                        opened += 1;
                    }
                    buyer
                        .keys
                        .put_wrapped_key(&wrapped)
                        .map_err(TransferError::stores("store a wrapped key"))?;
                } else {
                    for s in &entry.sections {
                        if check {
                            open_section(&dek, customer, s.category, s.record_version, &s.sealed)
                                .map_err(|_| section_failed(s.category))?;
                            opened += 1;
                        }
                        buyer
                            .sections
                            .put_section(customer, s.category, s.record_version, &s.sealed)
                            .map_err(TransferError::stores("storing a section"))?;
                    }
                    let wrapped = buyer
                        .keyring
                        .wrap(&dek)
                        .map_err(TransferError::crypto("wrap under the buyer's keyring"))?;
                    buyer
                        .keys
                        .put_wrapped_key(&wrapped)
                        .map_err(TransferError::stores("store a wrapped key"))?;
                }
                sections += entry.sections.len() as u64;
                section_bytes += entry
                    .sections
                    .iter()
                    .map(|s| s.sealed.as_bytes().len() as u64)
                    .sum::<u64>();
                let leaf = entry.manifest_entry().leaf_hash();
                builder.push(leaf);
                tree.push(customer, leaf);
                if builder.size().is_multiple_of(every) {
                    progress(Progress::new(Phase::Import, builder.size(), None));
                }
            }
            Record::Trailer(Trailer { signed, signature }) => {
                check_counts(at, &signed, builder.size(), Some((sections, section_bytes)))?;
                verify_package_signature(terms.seller.verifying_key(), &header, &signed, &signature)?;
                let (count, root) = (signed.count, signed.root);
                if builder.root() != root {
                    return Err(TransferError::RootMismatch);
                }
                progress(Progress::new(Phase::Import, count, Some(count)));
                tree.seal();
                return Ok(ImportOutcome {
                    root,
                    customers: count,
                    sections,
                    sections_opened: opened,
                    rekeyed: settings.rekey == Rekey::FreshKeys,
                    tree,
                });
            }
        }
    }
}
