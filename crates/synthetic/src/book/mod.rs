//! Seeded, deterministic synthetic books for examples, benches and tests: realistic customers with valid
//! checksums, and the consent facts that [`crate::consent`] turns into consent events.

mod generator;
mod rng;
mod tables;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use custodia_model::Customer;
use custodia_model::CustomerId;
use custodia_model::DataCategory;
use custodia_model::ModelError;
use custodia_model::Purpose;

pub use rng::SplitMix64;

/// What a synthetic book looks like. Shares are of all customers, from 0.0 to 1.0.
///
/// `share_organizations + share_minors` must not exceed 1. Some shares are floors or ceilings rather than
/// exact: a customer with a paid claim always gets an account to be paid into (so bank data is at least
/// `share_bank`), and a relationship only ends when all its contracts can have ended before the end date.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BookConfig {
    /// The seed: the same seed and configuration give the same book, customer for customer.
    pub seed: u64,
    /// How many customers.
    pub customers: u64,
    /// Organizations (companies) rather than persons.
    pub share_organizations: f64,
    /// Persons under 14 on the book date (PIPL Art 31), each with a guardian.
    pub share_minors: f64,
    /// Foreign persons: half live abroad (their residence is another jurisdiction), half are foreign nationals
    /// living in the mainland with a passport.
    pub share_foreign: f64,
    /// Persons with a health declaration (and a life, critical-illness or medical policy needing it).
    pub share_health: f64,
    /// Customers with bank cards on file.
    pub share_bank: f64,
    /// Policies with a term over one year (Broker Rule 2018 Art 51: 10-year archive instead of 5).
    pub share_long_term: f64,
    /// Policies that lapsed, were surrendered or cancelled before their term end.
    pub share_lapsed: f64,
    /// Customers whose relationship has ended.
    pub share_ended: f64,
    /// Customers who withdrew their marketing consent (PIPL Art 15).
    pub share_marketing_withdrawn: f64,
    /// Customers with a deliberately incomplete record (a missing address, occupation or phone), so that
    /// quality reports have something to find.
    pub share_incomplete: f64,
    /// How many years back the book reaches.
    pub years: u32,
}

impl Default for BookConfig {
    /// 10,000 customers over fifteen years, seed 1, with shares typical of a mid-size mainland broker.
    fn default() -> Self {
        Self {
            seed: 1,
            customers: 10_000,
            share_organizations: 0.10,
            share_minors: 0.06,
            share_foreign: 0.05,
            share_health: 0.40,
            share_bank: 0.60,
            share_long_term: 0.40,
            share_lapsed: 0.15,
            share_ended: 0.20,
            share_marketing_withdrawn: 0.15,
            share_incomplete: 0.05,
            years: 15,
        }
    }
}

impl BookConfig {
    /// Checks that every share is a finite number from 0 to 1, organizations and minors together at most 1,
    /// and `years` from 1 to 60.
    pub fn validate(&self) -> Result<(), ModelError> {
        let shares = [
            (self.share_organizations, "book.share_organizations"),
            (self.share_minors, "book.share_minors"),
            (self.share_foreign, "book.share_foreign"),
            (self.share_health, "book.share_health"),
            (self.share_bank, "book.share_bank"),
            (self.share_long_term, "book.share_long_term"),
            (self.share_lapsed, "book.share_lapsed"),
            (self.share_ended, "book.share_ended"),
            (self.share_marketing_withdrawn, "book.share_marketing_withdrawn"),
            (self.share_incomplete, "book.share_incomplete"),
        ];
        for (value, field) in shares {
            if !(0.0..=1.0).contains(&value) {
                return Err(ModelError::OutOfRange {
                    field,
                    allowed: "0.0 to 1.0",
                });
            }
        }
        if self.share_organizations + self.share_minors > 1.0 {
            return Err(ModelError::OutOfRange {
                field: "book.share_minors",
                allowed: "share_organizations + share_minors at most 1.0",
            });
        }
        if !(1..=60).contains(&self.years) {
            return Err(ModelError::OutOfRange {
                field: "book.years",
                allowed: "1 to 60",
            });
        }
        Ok(())
    }
}

/// A fact about a customer's consent, as plain data: later crates (consent, retention, transfer) turn it into
/// their own events. Each grant names a purpose and the categories it covers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentFact {
    /// The purpose consented to.
    pub purpose: Purpose,
    /// The categories covered.
    pub categories: Vec<DataCategory>,
    /// Whether this is a separate consent (单独同意): sensitive data (PIPL Art 29), provision to others
    /// (Art 23), cross-border (Art 39).
    pub separate: bool,
    /// When it was given.
    pub granted_at: NaiveDate,
    /// When it was withdrawn, if it was (PIPL Art 15).
    pub withdrawn_at: Option<NaiveDate>,
    /// Whether a parent or guardian gave it for a minor under 14 (PIPL Art 31).
    pub by_guardian: bool,
}

/// One synthetic customer: the record and its consent facts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyntheticCustomer {
    /// The customer record.
    pub customer: Customer,
    /// What the customer (or a guardian) consented to, and withdrew.
    pub consents: Vec<ConsentFact>,
}

/// A whole synthetic book in memory. For large books use [`SyntheticBook::stream`], which never holds more than
/// one customer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SyntheticBook {
    config: BookConfig,
    as_of: NaiveDate,
    customers: Vec<SyntheticCustomer>,
}

impl SyntheticBook {
    /// Generates the whole book as of `as_of` (the "today" of the book: no date in it is later, except the
    /// term ends of contracts still in force).
    pub fn generate(config: &BookConfig, as_of: NaiveDate) -> Result<Self, ModelError> {
        let customers = Self::stream(config, as_of)?.collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            config: config.clone(),
            as_of,
            customers,
        })
    }

    /// A stream that generates the book customer by customer, in the same order and with the same content as
    /// [`SyntheticBook::generate`].
    pub fn stream(config: &BookConfig, as_of: NaiveDate) -> Result<SyntheticStream, ModelError> {
        config.validate()?;
        Ok(SyntheticStream {
            generator: generator::Generator::new(config.clone(), as_of)?,
            next: 0,
        })
    }

    /// The same customers as [`SyntheticBook::stream`], in the order of their ids instead of generation
    /// order: what a real book exported by customer number gives (ids are UUID v7, so that order is also
    /// the order the customers joined). Onboarding in id order appends to every table keyed by customer
    /// instead of rewriting a random page of it for each row: onboarding 100,000 customers into SQLite wrote
    /// 2.6 GB in id order against 10.3 GB in generation order, in 57 s against 123 s (issue 22). The book
    /// is generated twice — once for the ids (24 bytes a customer held until the end), once for the
    /// customers, each on demand; an error in the first pass is returned here.
    pub fn stream_in_id_order(config: &BookConfig, as_of: NaiveDate) -> Result<InIdOrder, ModelError> {
        let mut order = Self::stream(config, as_of)?
            .enumerate()
            .map(|(index, c)| c.map(|c| (c.customer.id(), index as u64)))
            .collect::<Result<Vec<(CustomerId, u64)>, _>>()?;
        order.sort_unstable();
        Ok(InIdOrder {
            generator: generator::Generator::new(config.clone(), as_of)?,
            order: order.into_iter(),
        })
    }

    /// Generates only customer number `index` (0-based) of the book, as the stream would.
    pub fn customer_at(
        config: &BookConfig,
        as_of: NaiveDate,
        index: u64,
    ) -> Result<SyntheticCustomer, ModelError> {
        config.validate()?;
        generator::Generator::new(config.clone(), as_of)?.customer(index)
    }

    /// The configuration.
    pub fn config(&self) -> &BookConfig {
        &self.config
    }

    /// The book date.
    pub fn as_of(&self) -> NaiveDate {
        self.as_of
    }

    /// The customers, in generation order.
    pub fn customers(&self) -> &[SyntheticCustomer] {
        &self.customers
    }

    /// The customer records alone.
    pub fn records(&self) -> impl Iterator<Item = &Customer> {
        self.customers.iter().map(|c| &c.customer)
    }
}

/// An iterator over the customers of a synthetic book, generated on demand. Each item is independent of the
/// others (its random stream is derived from the seed and its index), so the stream can be split or resumed.
#[derive(Clone, Debug)]
pub struct SyntheticStream {
    generator: generator::Generator,
    next: u64,
}

impl SyntheticStream {
    /// Skips to customer number `index`, for resuming or splitting work.
    pub fn starting_at(mut self, index: u64) -> Self {
        self.next = index;
        self
    }
}

impl Iterator for SyntheticStream {
    type Item = Result<SyntheticCustomer, ModelError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.generator.config().customers {
            return None;
        }
        let item = self.generator.customer(self.next);
        self.next += 1;
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.generator.config().customers.saturating_sub(self.next);
        let left = usize::try_from(left).unwrap_or(usize::MAX);
        (left, Some(left))
    }
}

/// The customers of a synthetic book in id order ([`SyntheticBook::stream_in_id_order`]), each generated on
/// demand.
#[derive(Clone, Debug)]
pub struct InIdOrder {
    generator: generator::Generator,
    order: std::vec::IntoIter<(CustomerId, u64)>,
}

impl Iterator for InIdOrder {
    type Item = Result<SyntheticCustomer, ModelError>;

    fn next(&mut self) -> Option<Self::Item> {
        let (_, index) = self.order.next()?;
        Some(self.generator.customer(index))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.order.size_hint()
    }
}
