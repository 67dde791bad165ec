//! custodia-ledger (being built).
