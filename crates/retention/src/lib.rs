//! custodia-retention (being built).
