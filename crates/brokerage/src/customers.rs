//! Customers, every day: onboarding (validate, seal per category, store, record version 1 with the notice shown and the basis of each purpose), updates as new versions, the one trusted read, and the sealed facts every plan reads.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use custodia_consent::{BasisPolicy, NoticeRef};
use custodia_crypto::{
    BlindIndexField, KeyStore, Plaintext, SealedSection, SectionVault, open_customer_record, open_section,
    seal_customer_record, seal_section,
};
use custodia_model::{
    ActorId, Customer, CustomerFields, CustomerId, DataCategory, IdentityDocument, LegalBasis, Party,
    Progress, Purpose, RecordVersion,
};
use custodia_retention::RetentionFacts;
use custodia_store::{Inserted, Records};
use custodia_transfer::CustomerFacts;
use custodia_transfer::facts::{category_plaintexts, customer_facts, retention_facts, uses_of};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::brokerage::{Brokerage, Ledger};
use crate::error::BrokerageError;
use crate::records::{self, CUSTOMERS, CustomerEntry, FACTS, NOTICES, Origin, VERSIONS};

mod facts;

use facts::facts_shell;

/// Sections opened through the trusted path: each category with its plaintext.
pub(crate) type OpenedSections = Vec<(DataCategory, Plaintext)>;

/// The kind of the sealed facts record (custodia-crypto's customer records).
const FACTS_KIND: &str = "facts";

/// What the planner and the retention rules read about a customer: the model record, reassembled from two
/// parts sealed under the customer's own data key — a facts record holding every field that is not a
/// category's (the id, residence, relationship dates, the version's who and when) and the newest sealed
/// section of each category in the vault. So the facts are derived by custodia-transfer's one function
/// ([`customer_facts`]) and can never drift from the record, and a category erased from the vault is gone
/// from the facts too (PIPL Art 47): no second copy of a section lives in the facts. Never in the clear in
/// the store, never on the ledger.
#[derive(Clone, Debug)]
pub(crate) struct StoredFacts {
    customer: Customer,
}

impl StoredFacts {
    /// The record the facts are read from.
    pub(crate) fn customer(&self) -> &Customer {
        &self.customer
    }

    /// The retention facts as known on `as_of` (custodia-transfer's [`retention_facts`]), with the consent
    /// `withdrawals` that bear on retention (PIPL Art 15: only a use resting on consent ends with it).
    pub(crate) fn retention(
        &self,
        withdrawals: &[(Purpose, NaiveDate)],
        policy: &BasisPolicy,
        as_of: NaiveDate,
    ) -> Result<RetentionFacts, BrokerageError> {
        Ok(retention_facts(&self.customer, withdrawals, policy, as_of)?)
    }

    /// The planner's facts (custodia-transfer's [`customer_facts`]).
    pub(crate) fn planner(
        &self,
        withdrawals: &[(Purpose, NaiveDate)],
        policy: &BasisPolicy,
        as_of: NaiveDate,
    ) -> Result<CustomerFacts, BrokerageError> {
        Ok(customer_facts(&self.customer, withdrawals, policy, as_of)?)
    }
}

/// One customer to onboard: the record (version 1, which says who collected it and when), the privacy
/// notice version they were shown at collection (PIPL Art 17), which must be published on this brokerage's
/// ledger, and the consents they gave with it (recorded in the same transaction as the record).
#[derive(Clone, Debug)]
pub struct Onboarding {
    /// The record, at version 1.
    pub customer: Customer,
    /// The notice shown at collection.
    pub notice: NoticeRef,
    /// The consent events collected with the record (grants, refusals), each for this customer.
    pub consents: Vec<custodia_consent::ConsentEvent>,
}

impl Onboarding {
    /// `customer`, shown `notice`, with no consents collected.
    pub fn new(customer: Customer, notice: NoticeRef) -> Self {
        Self {
            customer,
            notice,
            consents: Vec::new(),
        }
    }

    /// The same onboarding with `consents` collected with it.
    pub fn with_consents(self, consents: Vec<custodia_consent::ConsentEvent>) -> Self {
        Self { consents, ..self }
    }
}

/// What onboarding a batch did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Onboarded {
    /// Customers onboarded.
    pub customers: u64,
    /// Sealed sections stored.
    pub sections: u64,
    /// Consent events recorded with them.
    pub consents: u64,
    /// Ledger index of the first onboarding entry, if any.
    pub first_entry: Option<u64>,
}

impl Onboarded {
    fn add(&mut self, done: Onboarded) {
        self.customers += done.customers;
        self.sections += done.sections;
        self.consents += done.consents;
        self.first_entry = self.first_entry.or(done.first_entry);
    }
}

/// What a buyer records about a customer adopted from a seller's package beyond the sections that
/// travelled ([`Brokerage::record_adopted_facts`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdoptedFacts {
    /// The adopted customer.
    pub customer: CustomerId,
    /// Where they live: decides the regime of their requests (PIPL, or the GDPR for an EU resident).
    pub residence: custodia_model::Jurisdiction,
    /// When the relationship began (with the seller, as its records show).
    pub relationship_start: NaiveDate,
    /// When it ended, if it has (a former customer the buyer keeps for the retention duties it continues).
    pub relationship_end: Option<NaiveDate>,
    /// When the record was last verified with the customer (PIPL Art 8: accuracy).
    pub last_verified: NaiveDate,
    /// Who records them.
    pub by: ActorId,
}

/// A new version of a customer's record: the fields as they are now, who made the change, and the
/// version it was made from (a stale version is refused: PIPL Art 46 corrections apply to the record as
/// it is).
#[derive(Clone, Debug)]
pub struct Update {
    /// The customer.
    pub customer: CustomerId,
    /// The version the change was made from.
    pub from_version: u32,
    /// The new fields (start from [`Brokerage::read_customer_trusted`] and `Customer::to_fields`).
    pub fields: CustomerFields,
    /// Who made the change.
    pub by: ActorId,
}

/// Plaintext sections of one customer, from the one trusted read path. `Debug` shows only the customer,
/// version and categories; the plaintext is zeroized when dropped.
pub struct TrustedRead {
    /// The customer.
    pub customer: CustomerId,
    /// The record version read.
    pub version: u32,
    /// Each asked category the customer holds, as the JSON of that part of the record.
    pub sections: Vec<(DataCategory, Plaintext)>,
}

impl std::fmt::Debug for TrustedRead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let categories: Vec<DataCategory> = self.sections.iter().map(|(c, _)| *c).collect();
        f.debug_struct("TrustedRead")
            .field("customer", &self.customer)
            .field("version", &self.version)
            .field("categories", &categories)
            .field("plaintext", &"[REDACTED]")
            .finish()
    }
}

/// The purposes, bases and citations recorded for one category at onboarding (PIPL Arts 13, 14, 17).
#[derive(Serialize)]
struct UseRecord {
    category: DataCategory,
    purpose: Purpose,
    basis: LegalBasis,
    citation: String,
}

impl Brokerage {
    /// Onboards one customer (see [`Brokerage::onboard_batch`]).
    pub fn onboard(&self, onboarding: Onboarding) -> Result<Onboarded, BrokerageError> {
        self.onboard_batch(std::iter::once(onboarding), &mut |_| {})
    }

    /// Onboards customers, one transaction per configured batch: for each, checks the record (version 1,
    /// not yet here) and the notice (published here), generates the data key, seals each category held
    /// under it and stores it, stores blind indexes of the identity number, mobile and e-mail, seals the
    /// customer's facts, records version 1, and puts on the ledger — pseudonymously — the customer id,
    /// the notice shown, and the legal basis of each purpose of each category with its citation (PIPL Arts
    /// 13, 14, 17). A batch that fails is rolled back whole. Progress is [`custodia_model::Phase::Onboard`].
    pub fn onboard_batch(
        &self,
        customers: impl IntoIterator<Item = Onboarding>,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Onboarded, BrokerageError> {
        let mut total = Onboarded::default();
        let mut batch = Vec::with_capacity(self.batch.get());
        let mut flush = |batch: &mut Vec<Onboarding>, total: &mut Onboarded| -> Result<(), BrokerageError> {
            if batch.is_empty() {
                return Ok(());
            }
            total.add(self.write(|log| self.onboard_in(log, batch))?);
            batch.clear();
            progress(Progress::new(
                custodia_model::Phase::Onboard,
                total.customers,
                None,
            ));
            Ok(())
        };
        for onboarding in customers {
            batch.push(onboarding);
            if batch.len() >= self.batch.get() {
                flush(&mut batch, &mut total)?;
            }
        }
        flush(&mut batch, &mut total)?;
        Ok(total)
    }

    /// Onboards every customer `customers` yields in **one** unit of work: all of them, or none. When the
    /// source yields an error, a customer is refused (as [`Brokerage::onboard_batch`] refuses one) or the
    /// process stops before the end, nothing of this call is written: no book is half imported. Memory stays
    /// bounded however many customers there are: they are checked, sealed and written a configured batch at
    /// a time inside the one transaction, the batch's vault anchors appended to the ledger after it, and
    /// the source is read one customer at a time. The source's first error comes back as `Ok(Err(e))` with
    /// nothing written; the brokerage's as `Err`. Progress is [`custodia_model::Phase::Onboard`]. On
    /// SQLite the unit holds the store's write lock for its whole length; on PostgreSQL one transaction.
    pub fn onboard_all<E>(
        &self,
        customers: impl IntoIterator<Item = Result<Onboarding, E>>,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Result<Onboarded, E>, BrokerageError> {
        let mut failed: Option<E> = None;
        let outcome = self.write(|log| {
            let mut total = Onboarded::default();
            let mut batch = Vec::with_capacity(self.batch.get());
            let mut customers = customers.into_iter();
            loop {
                let next = customers.next();
                let end = next.is_none();
                match next {
                    Some(Ok(onboarding)) => batch.push(onboarding),
                    Some(Err(e)) => {
                        failed = Some(e);
                        // Rolls the unit back; the source's error is returned instead of this one.
                        return Err(BrokerageError::InvalidInput {
                            field: "onboarding",
                            reason: "the source failed".into(),
                        });
                    }
                    None => {}
                }
                if batch.len() >= self.batch.get() || (end && !batch.is_empty()) {
                    total.add(self.onboard_in(log, &batch)?);
                    self.anchor_in(log)?;
                    batch.clear();
                    progress(Progress::new(
                        custodia_model::Phase::Onboard,
                        total.customers,
                        None,
                    ));
                }
                if end {
                    return Ok(total);
                }
            }
        });
        match (outcome, failed) {
            (_, Some(source)) => Ok(Err(source)),
            (Ok(total), None) => Ok(Ok(total)),
            (Err(e), None) => Err(e),
        }
    }

    fn onboard_in(&self, log: &mut Ledger, batch: &[Onboarding]) -> Result<Onboarded, BrokerageError> {
        let mut payloads = Vec::with_capacity(batch.len());
        let mut done = Onboarded::default();
        let mut consents = Vec::new();
        for Onboarding {
            customer,
            notice,
            consents: given,
        } in batch
        {
            let id = customer.id();
            if let Some(other) = given.iter().find(|e| e.customer() != id) {
                return Err(BrokerageError::InvalidInput {
                    field: "onboarding.consents",
                    reason: format!("event {} is for another customer", other.id()),
                });
            }
            consents.extend(given.iter().cloned());
            let version = customer.version();
            if version.number() != 1 {
                return Err(BrokerageError::NotFirstVersion {
                    customer: id,
                    version: version.number(),
                });
            }
            self.check_notice(*notice)?;
            let entry = CustomerEntry {
                version: 1,
                origin: Origin::Onboarded,
            };
            if let Inserted::AlreadyPresent(_) =
                self.store
                    .insert_record(CUSTOMERS, &records::customer_key(id), &records::to_json(&entry)?)?
            {
                return Err(BrokerageError::CustomerExists { customer: id });
            }
            let (dek, wrapped) = self.keyring().generate_dek(id)?;
            self.store.put_wrapped_key(&wrapped)?;
            for (category, plain) in category_plaintexts(customer)? {
                let plain = Zeroizing::new(plain);
                let sealed = seal_section(&dek, id, category, 1, &plain)?;
                self.store.put_section(id, category, 1, &sealed)?;
                done.sections += 1;
            }
            self.index_customer(customer)?;
            let facts = Zeroizing::new(facts_shell(customer)?);
            let sealed = seal_customer_record(&dek, id, FACTS_KIND, 1, &facts)?;
            self.store
                .put_record(FACTS, &records::versioned_key(id, 1), sealed.as_bytes())?;
            self.store.put_record(
                VERSIONS,
                &records::versioned_key(id, 1),
                &records::to_json(version)?,
            )?;
            let mut uses = Vec::new();
            for category in customer.categories_held() {
                for u in uses_of(category, &self.policy)? {
                    let citation = self
                        .policy
                        .rule(u.purpose())
                        .map(|r| r.citation.to_string())
                        .unwrap_or_else(|| u.basis().citation().to_string());
                    uses.push(UseRecord {
                        category,
                        purpose: u.purpose().clone(),
                        basis: u.basis(),
                        citation,
                    });
                }
            }
            payloads.push(records::step_payload(&serde_json::json!({
                "kind": "customer_onboarded",
                "customer": id,
                "version": 1,
                "at": version.at(),
                "by": version.by(),
                "notice": { "id": notice.id, "version": notice.version },
                "uses": uses,
            }))?);
            done.customers += 1;
        }
        let slices: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
        let appended = log.append(&slices)?;
        done.first_entry = (!payloads.is_empty()).then_some(appended.first_index());
        done.consents = self.record_consent_in(log, &consents)?.recorded;
        Ok(done)
    }

    /// Fails unless `notice` is published on this ledger.
    fn check_notice(&self, notice: NoticeRef) -> Result<(), BrokerageError> {
        let mut key = notice.id.as_bytes().to_vec();
        key.extend_from_slice(&notice.version.to_be_bytes());
        if self.store.record(NOTICES, &key)?.is_none() {
            return Err(BrokerageError::NoticeNotPublished {
                notice: notice.id.to_string(),
                version: notice.version,
            });
        }
        Ok(())
    }

    /// Blind indexes of the identity number (or credit code), mobile and e-mail.
    fn index_customer(&self, customer: &Customer) -> Result<(), BrokerageError> {
        let id = customer.id();
        let identity = match customer.party() {
            Party::Person(p) => match p.document() {
                IdentityDocument::ResidentId(n) => Some(n.as_str().to_owned()),
                IdentityDocument::Passport { number, .. } => Some(number.as_str().to_owned()),
                _ => None,
            },
            Party::Organization(o) => Some(o.credit_code.as_str().to_owned()),
        };
        let contact = customer.contact();
        let values = [
            (BlindIndexField::IdentityNumber, identity),
            (
                BlindIndexField::Phone,
                contact.mobile.as_ref().map(|m| m.as_str().to_owned()),
            ),
            (
                BlindIndexField::Email,
                contact.email.as_ref().map(|e| e.as_str().to_owned()),
            ),
        ];
        for (field, value) in values {
            if let Some(value) = value {
                let value = Zeroizing::new(value);
                self.store
                    .put_blind_index(id, &self.indexer.index(field, &value)?)?;
            }
        }
        Ok(())
    }

    /// The customers whose blind index for `field` matches `value` (an identity number, a phone number in
    /// any common spelling, an e-mail address): found without decrypting anyone.
    pub fn find_customers(
        &self,
        field: BlindIndexField,
        value: &str,
    ) -> Result<Vec<CustomerId>, BrokerageError> {
        Ok(self.store.find_customers(&self.indexer.index(field, value)?)?)
    }

    /// Records a new version of a customer's record: every category whose content changed is sealed anew
    /// at the new version (older versions stay, PIPL Art 46), the facts are sealed anew, blind indexes of
    /// new identifiers are added, and the ledger records who, when and which fields changed. Refused if
    /// `update.from_version` is not the current version ([`BrokerageError::StaleVersion`]).
    pub fn update(&self, update: Update) -> Result<RecordVersion, BrokerageError> {
        self.write(|log| self.update_in(log, update))
    }

    /// [`Brokerage::update`] inside a unit of work already begun (a rights correction records the new
    /// version and answers the request in one).
    pub(crate) fn update_in(
        &self,
        log: &mut Ledger,
        update: Update,
    ) -> Result<RecordVersion, BrokerageError> {
        let Update {
            customer,
            from_version,
            fields,
            by,
        } = update;
        let current = self.read_customer_trusted(customer)?;
        let number = current.version().number();
        if number != from_version {
            return Err(BrokerageError::StaleVersion {
                customer,
                current: number,
                expected: from_version,
            });
        }
        let next = current.update(fields, self.now(), by)?;
        let version = next.version().number();
        let old: Vec<(DataCategory, Vec<u8>)> = category_plaintexts(&current)?;
        let new: Vec<(DataCategory, Vec<u8>)> = category_plaintexts(&next)?;
        let dek_id = self
            .store
            .wrapped_keys(customer)?
            .last()
            .map(|w| w.dek_id())
            .ok_or(BrokerageError::UnknownCustomer { customer })?;
        let dek = self.data_key(customer, dek_id)?;
        let mut categories: BTreeSet<DataCategory> = old.iter().map(|(c, _)| *c).collect();
        categories.extend(new.iter().map(|(c, _)| *c));
        for category in categories {
            let before = old.iter().find(|(c, _)| *c == category).map(|(_, p)| p);
            let after = new.iter().find(|(c, _)| *c == category).map(|(_, p)| p);
            if before == after {
                continue;
            }
            // A category no longer held is sealed as the record's empty value at this version, so the
            // newest section says what the record now says.
            let plain = match after {
                Some(p) => Zeroizing::new(p.clone()),
                None => Zeroizing::new(empty_section(&next, category)?),
            };
            let sealed = seal_section(&dek, customer, category, u64::from(version), &plain)?;
            self.store
                .put_section(customer, category, u64::from(version), &sealed)?;
        }
        self.index_customer(&next)?;
        let facts = Zeroizing::new(facts_shell(&next)?);
        let sealed = seal_customer_record(&dek, customer, FACTS_KIND, u64::from(version), &facts)?;
        self.store.put_record(
            FACTS,
            &records::versioned_key(customer, version),
            sealed.as_bytes(),
        )?;
        let v = next.version().clone();
        self.store.put_record(
            VERSIONS,
            &records::versioned_key(customer, version),
            &records::to_json(&v)?,
        )?;
        let mut entry: CustomerEntry =
            records::get_json(&self.store, CUSTOMERS, &records::customer_key(customer))?
                .ok_or(BrokerageError::UnknownCustomer { customer })?;
        entry.version = version;
        records::put_json(&self.store, CUSTOMERS, &records::customer_key(customer), &entry)?;
        let payload = records::step_payload(&serde_json::json!({
            "kind": "customer_updated",
            "customer": customer,
            "version": version,
            "at": v.at(),
            "by": v.by(),
            "fields": v.changed_fields(),
        }))?;
        log.append(&[payload.as_slice()])?;
        Ok(v)
    }

    /// **The trusted read path**, confined to the brokerage's own workflows (transfer packaging checks,
    /// the main job, the operator CLI, and [`Brokerage::read`] after its gate allowed): the plaintext of the
    /// asked categories the customer holds, newest versions, with no gate and no access entry. A principal's
    /// read goes through [`Brokerage::read`]; a service must never expose this one.
    pub fn read_trusted(
        &self,
        customer: CustomerId,
        categories: &[DataCategory],
    ) -> Result<TrustedRead, BrokerageError> {
        let entry: CustomerEntry =
            records::get_json(&self.store, CUSTOMERS, &records::customer_key(customer))?
                .ok_or(BrokerageError::UnknownCustomer { customer })?;
        let sections = self.open_latest(customer, categories)?;
        Ok(TrustedRead {
            customer,
            version: entry.version,
            sections,
        })
    }

    /// Up to `limit` ids of the customers this brokerage holds, in id order, after `after` (from the first
    /// when `None`): a page of the book, for a program that walks it (the operator CLI's quality report).
    /// Ids only; erased customers are listed too (their read says [`BrokerageError::CustomerErased`]).
    pub fn customer_ids(
        &self,
        after: Option<CustomerId>,
        limit: usize,
    ) -> Result<Vec<CustomerId>, BrokerageError> {
        let range = match after {
            Some(after) => custodia_store::KeyRange::all().after(&records::customer_key(after)),
            None => custodia_store::KeyRange::all(),
        };
        let records = self.store.scan_records(CUSTOMERS, &range, limit.max(1))?;
        records
            .iter()
            .map(|r| records::customer_at(CUSTOMERS.as_str(), &r.key, 0))
            .collect()
    }

    /// The whole model record, reassembled from the sealed sections and facts through the trusted path
    /// (see [`Brokerage::read_trusted`]): what an update starts from.
    pub fn read_customer_trusted(&self, customer: CustomerId) -> Result<Customer, BrokerageError> {
        let (_, facts, _) = self.customer_facts(customer)?;
        Ok(facts.customer().clone())
    }

    /// A customer's index entry, facts (opened) and the data key id that sealed them.
    pub(crate) fn customer_facts(
        &self,
        customer: CustomerId,
    ) -> Result<(CustomerEntry, StoredFacts, custodia_crypto::DekId), BrokerageError> {
        let (entry, facts, dek, _) = self.customer_facts_and_sections(customer)?;
        Ok((entry, facts, dek))
    }

    /// [`Brokerage::customer_facts`] with the newest section of each category the customer holds, opened:
    /// the facts are built from them, so a gated read that needs both opens each section once.
    pub(crate) fn customer_facts_and_sections(
        &self,
        customer: CustomerId,
    ) -> Result<(CustomerEntry, StoredFacts, custodia_crypto::DekId, OpenedSections), BrokerageError> {
        let entry: CustomerEntry =
            records::get_json(&self.store, CUSTOMERS, &records::customer_key(customer))?
                .ok_or(BrokerageError::UnknownCustomer { customer })?;
        if entry.version == 0 && matches!(entry.origin, Origin::Imported { .. }) {
            return Err(BrokerageError::AdoptedFactsMissing { customer });
        }
        let key = records::versioned_key(customer, entry.version);
        let bytes = self
            .store
            .record(FACTS, &key)?
            .ok_or(BrokerageError::UnknownCustomer { customer })?;
        let (facts, dek, sections) = self.open_facts(customer, entry.version, &key, bytes)?;
        Ok((entry, facts, dek, sections))
    }

    /// Records, at the buyer, the facts of a customer adopted from a seller's package that the package does
    /// not carry — residence, the relationship's start and end, the last verification (from the seller's
    /// business records handed over under the agreement, or asked of the customer) — and makes them the
    /// customer's record version 1 here: the travelled sections and these facts as one model record,
    /// checked like any other (a relationship that ends before it starts is refused), its facts sealed
    /// under the customer's data key, its identity number, mobile and e-mail indexed, and a
    /// `customer_adopted` entry (ids and field names only) on the ledger, in one unit of work. Until then the
    /// customer's requests, gated reads and retention are refused with
    /// [`BrokerageError::AdoptedFactsMissing`]: the buyer holds their data and must answer them (PIPL Arts
    /// 22, 45), under the regime their residence decides. Refused for a customer not adopted from a
    /// package, or whose facts are already recorded (a change is [`Brokerage::update`]).
    pub fn record_adopted_facts(&self, facts: AdoptedFacts) -> Result<Customer, BrokerageError> {
        let customer = facts.customer;
        let entry: CustomerEntry =
            records::get_json(&self.store, CUSTOMERS, &records::customer_key(customer))?
                .ok_or(BrokerageError::UnknownCustomer { customer })?;
        let Origin::Imported { transfer } = entry.origin else {
            return Err(BrokerageError::InvalidInput {
                field: "adopted.customer",
                reason: format!("customer {customer} was onboarded here, not adopted from a package"),
            });
        };
        if entry.version != 0 {
            return Err(BrokerageError::InvalidInput {
                field: "adopted.customer",
                reason: format!(
                    "the facts of customer {customer} are already recorded; a change is an update"
                ),
            });
        }
        let identity = self
            .store
            .latest_section(customer, DataCategory::Identity)?
            .ok_or(BrokerageError::CustomerErased { customer })?;
        let dek = self.data_key(customer, identity.sealed().dek_id())?;
        let sections = self.open_latest(customer, &DataCategory::ALL)?;
        let known = facts::Facts {
            id: customer,
            residence: facts.residence,
            relationship_start: facts.relationship_start,
            relationship_end: facts.relationship_end,
            last_verified: facts.last_verified,
        };
        let fields = facts::fields_from(known, &sections, customer)?;
        let adopted = Customer::new(fields, self.now(), facts.by.clone())?;
        let sealed_facts = Zeroizing::new(facts_shell(&adopted)?);
        self.write(|log| {
            // Re-read inside the unit: another call may have recorded them meanwhile.
            let current: Option<CustomerEntry> =
                records::get_json(&self.store, CUSTOMERS, &records::customer_key(customer))?;
            if current.map(|e| e.version) != Some(0) {
                return Err(BrokerageError::InvalidInput {
                    field: "adopted.customer",
                    reason: format!("the facts of customer {customer} were recorded meanwhile"),
                });
            }
            let sealed = seal_customer_record(&dek, customer, FACTS_KIND, 1, &sealed_facts)?;
            self.store
                .put_record(FACTS, &records::versioned_key(customer, 1), sealed.as_bytes())?;
            self.store.put_record(
                VERSIONS,
                &records::versioned_key(customer, 1),
                &records::to_json(adopted.version())?,
            )?;
            let entry = CustomerEntry {
                version: 1,
                origin: Origin::Imported { transfer },
            };
            self.store.put_record(
                CUSTOMERS,
                &records::customer_key(customer),
                &records::to_json(&entry)?,
            )?;
            self.index_customer(&adopted)?;
            let payload = records::step_payload(&serde_json::json!({
                "kind": "customer_adopted",
                "customer": customer,
                "transfer": transfer,
                "by": facts.by,
                "at": self.now(),
                "version": 1,
                "fields": ["residence", "relationship_start", "relationship_end", "last_verified"],
            }))?;
            log.append(&[payload.as_slice()])?;
            Ok(())
        })?;
        Ok(adopted)
    }

    /// Opens a sealed facts record of `customer` at `version`, with the newest sections it was built from.
    pub(crate) fn open_facts(
        &self,
        customer: CustomerId,
        version: u32,
        key: &[u8],
        bytes: Vec<u8>,
    ) -> Result<(StoredFacts, custodia_crypto::DekId, OpenedSections), BrokerageError> {
        let sealed =
            SealedSection::from_vec(bytes).map_err(|e| BrokerageError::corrupt(FACTS.as_str(), key, e))?;
        let dek = match self.data_key(customer, sealed.dek_id()) {
            Err(BrokerageError::Crypto(custodia_crypto::CryptoError::KeyDestroyed { .. })) => {
                return Err(BrokerageError::CustomerErased { customer });
            }
            other => other?,
        };
        let plain = open_customer_record(&dek, customer, FACTS_KIND, u64::from(version), &sealed)?;
        let sections = self.open_latest(customer, &DataCategory::ALL)?;
        let customer_record = facts::customer_from(&plain, key, &sections, customer)?;
        Ok((
            StoredFacts {
                customer: customer_record,
            },
            sealed.dek_id(),
            sections,
        ))
    }

    /// The newest section of each of `categories` the vault holds for `customer`, opened, each with the
    /// data key that sealed it.
    fn open_latest(
        &self,
        customer: CustomerId,
        categories: &[DataCategory],
    ) -> Result<OpenedSections, BrokerageError> {
        let held = self.store.categories(customer)?;
        let mut sections = Vec::new();
        // A customer's sections share one data key (a second only after a re-key): unwrap each key once.
        let mut keys: Vec<(custodia_crypto::DekId, custodia_crypto::DataKey)> = Vec::new();
        for category in categories {
            if !held.contains(category) {
                continue;
            }
            let Some(latest) = self.store.latest_section(customer, *category)? else {
                continue;
            };
            let id = latest.sealed().dek_id();
            let at = match keys.iter().position(|(k, _)| *k == id) {
                Some(at) => at,
                None => {
                    let dek = match self.data_key(customer, id) {
                        Err(BrokerageError::Crypto(custodia_crypto::CryptoError::KeyDestroyed {
                            ..
                        })) => {
                            return Err(BrokerageError::CustomerErased { customer });
                        }
                        other => other?,
                    };
                    keys.push((id, dek));
                    keys.len() - 1
                }
            };
            let dek = &keys[at].1;
            let plain = open_section(dek, customer, *category, latest.record_version(), latest.sealed())?;
            sections.push((*category, plain));
        }
        Ok(sections)
    }

    /// The customers of the book with their facts, in id order, `batch` at a time: erased customers and
    /// imported customers whose facts are not recorded are skipped (counted in the second value).
    pub(crate) fn customer_batches(
        &self,
        each: &mut dyn FnMut(Vec<(CustomerId, StoredFacts)>) -> Result<(), BrokerageError>,
    ) -> Result<u64, BrokerageError> {
        let mut skipped = 0u64;
        records::scan_pages(
            &self.store,
            CUSTOMERS,
            custodia_store::KeyRange::all(),
            self.batch.get(),
            &mut |page| {
                let mut batch = Vec::with_capacity(page.len());
                for record in page {
                    let customer = records::customer_at(CUSTOMERS.as_str(), &record.key, 0)?;
                    let entry: CustomerEntry = records::decode_json(CUSTOMERS, &record.key, &record.value)?;
                    if entry.version == 0 {
                        skipped += 1;
                        continue;
                    }
                    let key = records::versioned_key(customer, entry.version);
                    let Some(bytes) = self.store.record(FACTS, &key)? else {
                        skipped += 1;
                        continue;
                    };
                    match self.open_facts(customer, entry.version, &key, bytes) {
                        Ok((facts, _, _)) => batch.push((customer, facts)),
                        Err(BrokerageError::CustomerErased { .. }) => skipped += 1,
                        Err(e) => return Err(e),
                    }
                }
                each(batch)
            },
        )?;
        Ok(skipped)
    }
}

/// The field of the model record a category's section holds (the keys of `CustomerFields`' JSON).
fn field_of(category: DataCategory) -> &'static str {
    match category {
        DataCategory::Identity => "party",
        DataCategory::Contact => "contact",
        DataCategory::FinancialAccounts => "accounts",
        DataCategory::Health => "health",
        DataCategory::Policies => "policies",
        DataCategory::Claims => "claims",
        DataCategory::Beneficiaries => "beneficiaries",
        DataCategory::MarketingPreferences => "marketing",
        DataCategory::KycAml => "kyc",
        _ => "other",
    }
}

/// The section a record has for a category it no longer holds: that field's empty value.
fn empty_section(customer: &Customer, category: DataCategory) -> Result<Vec<u8>, BrokerageError> {
    let value = serde_json::to_value(customer.fields()).map_err(json_error)?;
    let field = value
        .get(field_of(category))
        .cloned()
        .unwrap_or(serde_json::Value::Null);
    serde_json::to_vec(&field).map_err(json_error)
}

fn json_error(e: serde_json::Error) -> BrokerageError {
    BrokerageError::InvalidInput {
        field: "customer record",
        reason: e.to_string(),
    }
}
