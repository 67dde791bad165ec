//! custodia-store (being built): SQLite and PostgreSQL storage.
