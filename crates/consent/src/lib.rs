//! custodia-consent (being built).
