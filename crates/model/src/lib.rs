//! # custodia-model
//!
//! The vocabulary every other custodia crate speaks: customer and other ids, data categories and their
//! sensitivity (PIPL Art 28), purposes and the legal bases of PIPL Art 13, jurisdictions, and legal
//! citations.
//!
//! **Must not**: depend on any other custodia crate, do I/O, or hold secrets. It has no crypto or database
//! dependency (`cargo tree -p custodia-model` shows none).

mod category;
mod citation;
mod error;
mod ids;
mod jurisdiction;
mod purpose;

pub use category::{DataCategory, SensitiveKind};
pub use citation::{Citation, Instrument};
pub use error::ModelError;
pub use ids::{AccountId, ClaimId, CustomerId, PolicyId, TransferId};
pub use jurisdiction::Jurisdiction;
pub use purpose::{LegalBasis, Purpose};
