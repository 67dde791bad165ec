//! The buyer's transfer case: the package verified and imported into a staging area the store adopts atomically only on success, then the signed receipt.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use chrono::{DateTime, Utc};
use custodia_crypto::{
    BlindIndex, CryptoError, DekId, DestructionEvidence, InsertOutcome, KeyStore, SealedSection,
    SectionInsert, SectionRows, SectionTombstone, VersionedSection, WrappedKey,
};
use custodia_ledger::MerkleHash;
use custodia_model::{CustomerId, DataCategory, Progress, TransferId};
use custodia_store::{Inserted, Records};
use custodia_transfer::{Buyer, ImportSettings, SignedAgreement, SignedReceipt, TransferReceipt, import};
use serde::{Deserialize, Serialize};

use super::{CaseRow, Loaded, out_of_order, stored_agreement};
use crate::backend::Backend;
use crate::brokerage::Brokerage;
use crate::error::{BrokerageError, CaseRole, CaseState};
use crate::records::{self, CUSTOMERS, CustomerEntry, Origin};

const ROLE: CaseRole = CaseRole::Buyer;

/// The stored row of a buyer's case.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct BuyerRow {
    state: CaseState,
    agreement: String,
    opened_at: DateTime<Utc>,
    imported: Option<Imported>,
    receipt: Option<String>,
}

impl CaseRow for BuyerRow {
    fn state(&self) -> CaseState {
        self.state
    }
}

/// What the import verified and adopted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Imported {
    /// When the import finished (the receipt's `received_at`).
    pub at: DateTime<Utc>,
    /// The verified manifest root.
    pub root: MerkleHash,
    /// Customers adopted.
    pub customers: u64,
    /// Sections adopted.
    pub sections: u64,
    /// Sections opened to check them.
    pub sections_opened: u64,
    /// Whether every customer was re-keyed.
    pub rekeyed: bool,
}

/// The buyer's side of one licence transfer, a durable case like the seller's ([`crate::SellerCase`]):
///
/// | step | runs in | moves to | called again |
/// |---|---|---|---|
/// | [`import`](Self::import) | opened | imported | returns what was imported |
/// | [`sign_receipt`](Self::sign_receipt) | imported | receipt signed | returns the same signed bytes |
///
/// **The staging area.** The import runs inside one transaction of the buyer's store: every entry is
/// verified and written as it streams in (memory stays bounded), but nothing is visible outside the
/// transaction until the seller's signature over the root has verified at the end; then the store adopts
/// it all at once (commit). Any failure — a flipped byte, another buyer's key, a replayed package, a
/// crash or a kill — discards it all (rollback): never a half-adopted import.
pub struct BuyerCase<'b> {
    brokerage: &'b Brokerage,
    agreement: SignedAgreement,
}

impl std::fmt::Debug for BuyerCase<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuyerCase")
            .field("transfer", &self.agreement.transfer_id())
            .finish_non_exhaustive()
    }
}

impl Brokerage {
    /// Opens (or loads) this brokerage's buyer case for `agreement`. Refused unless this brokerage's keys
    /// are the agreement's buyer keys ([`BrokerageError::NotAParty`]).
    pub fn open_buyer_case(&self, agreement: &SignedAgreement) -> Result<BuyerCase<'_>, BrokerageError> {
        let terms = agreement.terms();
        if terms.buyer.verifying_key() != &self.party_key.verifying_key()
            || terms.buyer.recipient_key() != &self.recipient.public_key()
        {
            return Err(BrokerageError::NotAParty {
                transfer: agreement.transfer_id(),
                role: ROLE,
            });
        }
        let now = self.now();
        self.create_case(
            agreement,
            ROLE,
            |encoded, _| BuyerRow {
                state: CaseState::Opened,
                agreement: encoded,
                opened_at: now,
                imported: None,
                receipt: None,
            },
            |row: &BuyerRow| row.agreement.as_str(),
        )?;
        Ok(BuyerCase {
            brokerage: self,
            agreement: agreement.clone(),
        })
    }

    /// Loads the buyer case of `transfer`.
    pub fn buyer_case(&self, transfer: TransferId) -> Result<BuyerCase<'_>, BrokerageError> {
        let loaded: Loaded<BuyerRow> = self.load_case(transfer, ROLE)?;
        Ok(BuyerCase {
            brokerage: self,
            agreement: stored_agreement(&loaded.row.agreement)?,
        })
    }
}

impl BuyerCase<'_> {
    /// The transfer.
    pub fn transfer_id(&self) -> TransferId {
        self.agreement.transfer_id()
    }

    /// The signed agreement.
    pub fn agreement(&self) -> &SignedAgreement {
        &self.agreement
    }

    /// Where the case stands.
    pub fn state(&self) -> Result<CaseState, BrokerageError> {
        Ok(self.load()?.row.state)
    }

    fn load(&self) -> Result<Loaded<BuyerRow>, BrokerageError> {
        self.brokerage.load_case(self.transfer_id(), ROLE)
    }

    fn refuse(&self, step: &'static str, state: CaseState) -> BrokerageError {
        out_of_order(self.transfer_id(), ROLE, step, state)
    }

    /// Verifies and imports the package at `package` (see [`BuyerCase`] for the staging area): header
    /// bound to this agreement and this buyer's key, the transfer key opened, every entry's key and every
    /// section opened with it, each data key re-wrapped under the buyer's keyring, the recomputed root and
    /// the seller's signature checked. Opened → imported. Progress is [`custodia_model::Phase::Import`], every
    /// configured batch of customers ([`crate::BrokerageConfig::with_batch`]).
    pub fn import(
        &self,
        package: &Path,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Imported, BrokerageError> {
        let b = self.brokerage;
        b.write(|log| {
            let loaded = self.load()?;
            let mut row = loaded.row.clone();
            if let Some(done) = &row.imported {
                return Ok(done.clone());
            }
            if row.state != CaseState::Opened {
                return Err(self.refuse("import", row.state));
            }
            let file = File::open(package).map_err(BrokerageError::io(package, "open"))?;
            let staging = Adopting {
                store: &b.store,
                transfer: self.transfer_id(),
            };
            let keyring = b.keyring();
            // Progress comes every configured batch of customers, each of them whole: the anchors of those
            // imported so far go to the ledger then, inside the unit, so that what is noted is bounded by
            // the batch rather than held for the whole book until the unit ends (at a million customers
            // it was ~1.2 GB).
            let mut anchored = Ok(());
            let outcome = import(
                BufReader::new(file),
                &self.agreement,
                Buyer {
                    recipient: &b.recipient,
                    keyring: &keyring,
                    keys: &staging,
                    sections: &staging,
                },
                &ImportSettings {
                    progress_every: u64::try_from(b.batch.get()).unwrap_or(u64::MAX),
                    ..ImportSettings::default()
                },
                &mut |event| {
                    if anchored.is_ok() {
                        anchored = b.anchor_in(log);
                    }
                    progress(event);
                },
            );
            drop(keyring);
            let outcome = outcome?;
            anchored?;
            let imported = Imported {
                at: b.now(),
                root: outcome.root,
                customers: outcome.customers,
                sections: outcome.sections,
                sections_opened: outcome.sections_opened,
                rekeyed: outcome.rekeyed,
            };
            row.imported = Some(imported.clone());
            row.state = CaseState::Imported;
            b.save_case(self.transfer_id(), ROLE, &loaded, &row)?;
            b.step_entry(
                log,
                (self.transfer_id(), ROLE),
                "import",
                row.state,
                &serde_json::json!({
                    "root": imported.root,
                    "customers": imported.customers,
                    "sections": imported.sections,
                }),
            )?;
            Ok(imported)
        })
    }

    /// Opens, with the buyer's own keys, every section of the first `customers` adopted customers (in id
    /// order) and returns how many opened whole: the buyer's check that what it adopted is readable.
    /// Once imported.
    pub fn spot_check(&self, customers: usize) -> Result<u64, BrokerageError> {
        self.imported()?;
        let b = self.brokerage;
        let mut opened = 0u64;
        let mut seen = 0usize;
        records::scan_pages(
            &b.store,
            CUSTOMERS,
            custodia_store::KeyRange::all(),
            b.batch.get(),
            &mut |page| {
                for record in page {
                    if seen >= customers {
                        return Ok(());
                    }
                    let entry: CustomerEntry = records::decode_json(CUSTOMERS, &record.key, &record.value)?;
                    if entry.origin
                        != (Origin::Imported {
                            transfer: self.transfer_id(),
                        })
                    {
                        continue;
                    }
                    seen += 1;
                    let customer = records::customer_at(CUSTOMERS.as_str(), &record.key, 0)?;
                    if !b.read_trusted(customer, &DataCategory::ALL)?.sections.is_empty() {
                        opened += 1;
                    }
                }
                Ok(())
            },
        )?;
        Ok(opened)
    }

    /// What was imported, once imported.
    pub fn imported(&self) -> Result<Imported, BrokerageError> {
        let row = self.load()?.row;
        row.imported
            .ok_or_else(|| self.refuse("read the import", row.state))
    }

    /// Signs the receipt — the verified root, the counts, and the time the import finished — with the
    /// buyer's key, records it on the buyer's ledger, and returns its bytes for the seller. Signing is
    /// deterministic (Ed25519), so a second call returns the same bytes. Imported → receipt signed.
    pub fn sign_receipt(&self) -> Result<Vec<u8>, BrokerageError> {
        let b = self.brokerage;
        b.write(|log| {
            let loaded = self.load()?;
            let mut row = loaded.row.clone();
            if let Some(bytes) = &row.receipt {
                return hex::decode(bytes)
                    .map_err(|e| BrokerageError::corrupt(records::CASES.as_str(), b"receipt", e));
            }
            let imported = match (&row.state, &row.imported) {
                (CaseState::Imported, Some(i)) => i.clone(),
                _ => return Err(self.refuse("sign the receipt", row.state)),
            };
            let receipt = TransferReceipt {
                transfer_id: self.agreement.transfer_id(),
                agreement_digest: self.agreement.digest(),
                root: imported.root,
                customers: imported.customers,
                sections: imported.sections,
                rekeyed: imported.rekeyed,
                received_at: imported.at,
            };
            let signed = SignedReceipt::sign(receipt, &self.agreement, &b.party_key)?;
            let bytes = signed.encode();
            log.append(&[bytes.as_slice()])?;
            row.receipt = Some(hex::encode(&bytes));
            row.state = CaseState::ReceiptSigned;
            b.save_case(self.transfer_id(), ROLE, &loaded, &row)?;
            b.step_entry(
                log,
                (self.transfer_id(), ROLE),
                "sign the receipt",
                row.state,
                &serde_json::json!({}),
            )?;
            Ok(bytes)
        })
    }
}

/// The buyer's store as the import sees it inside the import's transaction: every seam call goes to the
/// store, and each customer whose key arrives is entered in the customer index as imported, so the
/// adopted customers are the brokerage's customers from the moment the transaction commits.
struct Adopting<'a> {
    store: &'a Backend,
    transfer: TransferId,
}

impl KeyStore for Adopting<'_> {
    fn put_wrapped_key(&self, key: &WrappedKey) -> Result<(), CryptoError> {
        self.store.put_wrapped_key(key)?;
        let entry = CustomerEntry {
            version: 0,
            origin: Origin::Imported {
                transfer: self.transfer,
            },
        };
        let value =
            records::to_json(&entry).map_err(|e| CryptoError::key_store(StoreFailure(e.to_string())))?;
        match self
            .store
            .insert_record(CUSTOMERS, &records::customer_key(key.customer()), &value)
        {
            Ok(Inserted::Inserted) => Ok(()),
            // A customer this brokerage already holds: the package is not for a fresh staging area.
            Ok(Inserted::AlreadyPresent(_)) => Err(CryptoError::key_store(StoreFailure(format!(
                "customer {} is already in the buyer's book",
                key.customer()
            )))),
            Err(e) => Err(CryptoError::key_store(e)),
        }
    }
    fn wrapped_keys(&self, customer: CustomerId) -> Result<Vec<WrappedKey>, CryptoError> {
        self.store.wrapped_keys(customer)
    }
    fn wrapped_key(&self, customer: CustomerId, dek_id: DekId) -> Result<WrappedKey, CryptoError> {
        self.store.wrapped_key(customer, dek_id)
    }
    fn put_blind_index(&self, customer: CustomerId, index: &BlindIndex) -> Result<(), CryptoError> {
        self.store.put_blind_index(customer, index)
    }
    fn find_customers(&self, index: &BlindIndex) -> Result<Vec<CustomerId>, CryptoError> {
        self.store.find_customers(index)
    }
    fn destroy_customer(
        &self,
        customer: CustomerId,
        at: DateTime<Utc>,
    ) -> Result<DestructionEvidence, CryptoError> {
        self.store.destroy_customer(customer, at)
    }
    fn destroyed_at(&self, customer: CustomerId) -> Result<Option<DateTime<Utc>>, CryptoError> {
        self.store.destroyed_at(customer)
    }
}

impl SectionRows for Adopting<'_> {
    fn insert_row_if_newest(&self, insert: &SectionInsert<'_>) -> Result<InsertOutcome, CryptoError> {
        self.store.insert_row_if_newest(insert)
    }
    fn row(
        &self,
        customer: CustomerId,
        category: DataCategory,
        record_version: u64,
    ) -> Result<Option<SealedSection>, CryptoError> {
        self.store.row(customer, category, record_version)
    }
    fn newest_row(
        &self,
        customer: CustomerId,
        category: DataCategory,
    ) -> Result<Option<VersionedSection>, CryptoError> {
        self.store.newest_row(customer, category)
    }
    fn rows(
        &self,
        customer: CustomerId,
        category: DataCategory,
    ) -> Result<Vec<VersionedSection>, CryptoError> {
        self.store.rows(customer, category)
    }
    fn row_categories(&self, customer: CustomerId) -> Result<Vec<DataCategory>, CryptoError> {
        self.store.row_categories(customer)
    }
    fn tombstone_row(
        &self,
        customer: CustomerId,
        category: DataCategory,
    ) -> Result<Option<SectionTombstone>, CryptoError> {
        self.store.tombstone_row(customer, category)
    }
    fn delete_rows(
        &self,
        customer: CustomerId,
        categories: &[DataCategory],
        at: DateTime<Utc>,
    ) -> Result<u64, CryptoError> {
        self.store.delete_rows(customer, categories, at)
    }
}

/// A failure of the customer index while adopting, carried as a key-store failure's source.
#[derive(Debug)]
struct StoreFailure(String);

impl std::fmt::Display for StoreFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreFailure {}
