//! # custodia-store
//!
//! (Essay in progress.)

mod error;
mod pg;
mod rows;
mod schema;
mod sqlite;
mod vault;

pub use error::StoreError;
pub use pg::{PostgresConfig, PostgresStore};
pub use schema::SCHEMA_VERSION;
pub use sqlite::{APPLICATION_ID, Durability, SqliteConfig, SqliteStore};
pub use vault::{MemoryVault, SectionVault, VersionedSection};
