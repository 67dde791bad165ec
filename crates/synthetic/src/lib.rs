//! # custodia-synthetic
//!
//! The test kit of the custodia workspace: seeded, deterministic data for examples, tests, benches and fuzz
//! seeds, so that no production crate carries fixtures.
//!
//! - [`book`]: synthetic books of model customers (valid GB 11643 / GB 32100 / Luhn checksums, minors with
//!   guardians, organizations, foreigners, ended relationships) and their consent facts, streamed customer by
//!   customer.
//! - [`consent`]: the consent events a book's facts stand for, and a sample privacy notice.
//! - [`answers`]: customers' simulated answers to a transfer notice, reproducible to the event id.
//! - [`retention`]: a synthetic book of retention facts with shapes of its own (EU residents, long-ended
//!   relationships, impact-assessment records).
//! - [`staff`]: sample principals (approvers, trained staff) with their signing keys.
//! - [`assessment`]: a sample impact assessment of a licence transfer, ready to approve.
//! - [`parties`]: a sample seller and buyer with keys, and the sample transfer agreement.
//! - [`answers`]: customers' simulated answers to a transfer notice (objections in and after the window,
//!   refusals, answers to the seller, the successor or the third party, separate, bundled, late, withdrawn,
//!   a minor's own and cross-border consents), so that a plan over a book exercises every answer rule.
//!
//! ## What it must not be
//!
//! A dependency of a production crate: it is `publish = false` and enters every other crate as a
//! dev-dependency. It depends on the crates it makes data for, so a crate's *unit* tests cannot use it (cargo
//! would link two copies of that crate and the types would differ); integration tests, doctests, examples
//! and benches can. Its data is made up: no record in it is a real person.
//!
//! ## Example
//!
//! ```
//! use chrono::NaiveDate;
//! use custodia_synthetic::book::{BookConfig, SyntheticBook};
//!
//! let as_of = NaiveDate::from_ymd_opt(2026, 6, 30).ok_or("date")?;
//! let config = BookConfig { seed: 7, customers: 50, ..BookConfig::default() };
//! let book = SyntheticBook::generate(&config, as_of)?;
//! assert_eq!(book.customers().len(), 50);
//! // The same seed gives the same book, customer for customer.
//! assert_eq!(SyntheticBook::generate(&config, as_of)?, book);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod answers;
pub mod assessment;
pub mod book;
pub mod consent;
pub mod notices;
pub mod parties;
pub mod retention;
pub mod staff;
