//! # custodia-crypto
//!
//! The only crate of custodia that touches key bytes. It owns:
//!
//! - the **keyring** of versioned key-encryption keys (KEKs) and the per-customer **data keys** (DEKs)
//!   they wrap ([`Keyring`], [`DataKey`], [`WrappedKey`]);
//! - **sealed sections**: one data category of one customer under that customer's DEK
//!   ([`seal_section`], [`open_section`], [`SealedSection`]);
//! - **blind indexes** to find a customer by identity number, phone or e-mail without decrypting
//!   ([`BlindIndexer`]);
//! - **crypto-shredding**: the [`KeyStore`] trait, an in-memory store, and [`DestructionEvidence`] for the
//!   ledger (PIPL Art 47);
//! - **the section vault seam**: [`SectionVault`] (sealed sections with their history and erasure
//!   tombstones, its rules written once here), the row primitive [`SectionRows`] a backend implements,
//!   and [`InMemoryVault`], so every layer above speaks one vault language;
//! - **randomness** ([`random`]): the one generator of the workspace, for keys, nonces and salts;
//! - **the key hierarchy** ([`KeyHierarchy`]): every key of one brokerage derived with HKDF from one
//!   [`RootSecret`], and the per-case [`TransferSecret`] that makes a package reproducible
//!   ([`PackageRandomness`]); **customer records** sealed under a customer's DEK
//!   ([`seal_customer_record`]), erased with it;
//! - **signatures**: Ed25519 over exact bytes ([`SigningKey`], [`VerifyingKey`]);
//! - **sealing to a buyer**: a transfer key sealed once with HPKE to the buyer's X25519 key, and DEKs
//!   re-wrapped under it ([`RecipientKeyPair`], [`TransferKey`]).
//!
//! ## The key design decision: envelope encryption per customer and category
//!
//! Each customer has their own AES-256-GCM data key, stored only wrapped under a KEK. Each category of
//! their data is one ciphertext whose AAD binds format version, customer, category and record version.
//! Three things follow. Destroying one customer's wrapped keys erases exactly that customer, everywhere,
//! backups of sections included (PIPL Art 47; GDPR Art 17). Rotating a KEK re-wraps keys, never data.
//! And a transfer to a buyer moves ciphertexts unchanged: only each customer's DEK is re-wrapped under one
//! transfer key, which is sealed once to the buyer with HPKE (RFC 9180), so the cost grows with customers,
//! not bytes, and no plaintext or long-lived key ever leaves the seller (PIPL Arts 22, 23, 51).
//!
//! Nonces are random 96-bit values drawn from a per-thread buffer of system randomness (one system call
//! per 341 nonces); the collision bound and the per-KEK wrap cap ([`MAX_WRAPS_PER_KEK`]) follow NIST
//! SP 800-38D §8.3. Every byte format is versioned and every decoder of outside bytes is total.
//!
//! ## What it must not do
//!
//! - Write a primitive by hand: AES-256-GCM, HKDF, HMAC-SHA256, SHA-256, Ed25519 and randomness come from
//!   `ring`; HPKE from the `hpke` crate (ring cannot decrypt to a static X25519 key).
//! - Let a secret out by accident: secret types ([`DataKey`], [`Keyring`], [`TransferKey`],
//!   [`RecipientKeyPair`], [`SigningKey`], [`BlindIndexer`]) have only a redacted `Debug`, no
//!   `Serialize`, and zeroize their key bytes on drop. Reading key bytes is an explicit `expose_*` call.
//! - Explain a decryption failure: [`CryptoError::DecryptionFailed`] says only that it failed. A destroyed
//!   customer is the distinct [`CryptoError::KeyDestroyed`].
//! - Depend on a database or do I/O: storage comes in through [`KeyStore`] and [`SectionRows`], whose
//!   methods all take `&self` (so one store value serves both, and `&T` and `Arc<T>` of a store are
//!   stores); `cargo tree -p custodia-crypto` shows no database crate. Backend failures keep the
//!   backend's error as their source ([`BackendFailure`]). It prints nothing and reads no clock (times are arguments).
//!
//! ## Known limits
//!
//! - ring keeps expanded AES key schedules, HMAC states and Ed25519 key pairs in its own types and does
//!   not zeroize them; custodia zeroizes every key byte it holds itself, and ring's copies live exactly
//!   as long as the custodia value that owns them.
//! - The nonce buffer is per thread; a process that `fork`s without `exec` would share it with the child.
//! - Wrap counts live in memory; persist [`Keyring::wrap_count`] and restore it with
//!   [`Keyring::restore_wrap_count`] so the cap counts across restarts.
//!
//! ## Example: a customer's life, end to end
//!
//! ```
//! use chrono::Utc;
//! use custodia_crypto::{
//!     BlindIndexConfig, BlindIndexField, BlindIndexer, CryptoError, InMemoryKeyStore, KeyStore, Keyring,
//!     KeyringConfig, seal_section,
//! };
//! use custodia_model::{CustomerId, DataCategory};
//!
//! let keyring = Keyring::derive_from_master(&[0x42; 32], 1, KeyringConfig::default())?;
//! let indexer = BlindIndexer::new(&[0x17; 32], BlindIndexConfig::for_population(1_000_000, 3)?)?;
//! let store = InMemoryKeyStore::new();
//!
//! // Onboarding: a data key, a sealed contact section, a blind index on the phone number.
//! let customer = CustomerId::new_v7();
//! let (dek, wrapped) = keyring.generate_dek(customer)?;
//! store.put_wrapped_key(&wrapped)?;
//! let sealed = seal_section(&dek, customer, DataCategory::Contact, 1, b"{\"phone\":\"13800138000\"}")?;
//! store.put_blind_index(customer, &indexer.index(BlindIndexField::Phone, "138 0013 8000")?)?;
//! drop(dek);
//!
//! // Lookup by phone, then open.
//! let found = store.find_customers(&indexer.index(BlindIndexField::Phone, "+86 13800138000")?)?;
//! assert!(found.contains(&customer));
//! let plain = keyring.open_stored_section(&store, customer, DataCategory::Contact, 1, &sealed)?;
//! assert!(plain.starts_with(b"{\"phone\""));
//!
//! // Erasure (PIPL Art 47): one key deletion, and the section is gone for good.
//! let evidence = store.destroy_customer(customer, Utc::now())?;
//! assert_eq!(evidence.citation().to_string(), "PIPL Art 47");
//! assert_eq!(
//!     keyring.open_stored_section(&store, customer, DataCategory::Contact, 1, &sealed),
//!     Err(CryptoError::KeyDestroyed { customer }),
//! );
//! # Ok::<(), CryptoError>(())
//! ```

mod aead;
mod blind_index;
mod codec;
mod customer_record;
mod error;
mod hierarchy;
mod keyring;
mod keystore;
mod plaintext;
pub mod random;
mod section;
pub mod signature;
mod transfer;
mod vault;

pub use blind_index::{
    BlindIndex, BlindIndexConfig, BlindIndexField, BlindIndexer, MIN_BLIND_INDEX_ROOT_KEY_LEN,
    NORMALIZATION_VERSION, normalize_for_blind_index,
};
pub use customer_record::{open_customer_record, seal_customer_record};
pub use error::{BackendFailure, CryptoError};
pub use hierarchy::{KeyHierarchy, PackageRandomness, ROOT_SECRET_LEN, RootSecret, TransferSecret};
pub use keyring::{
    DataKey, DekId, KEYRING_STATE_FORMAT_VERSION, KekChainSecret, Keyring, KeyringConfig, KeyringState,
    KeyringStore, MAX_WRAPS_PER_KEK, MIN_MASTER_SECRET_LEN, Retirement, RetirementPolicy, ShreddedUnder,
    WRAPPED_KEY_FORMAT_VERSION, WRAPPED_KEY_LEN, WrappedKey,
};
pub use keystore::{DestructionEvidence, InMemoryKeyStore, KeyStore};
pub use plaintext::Plaintext;
pub use section::{
    SECTION_FORMAT_VERSION, SECTION_HEADER_LEN, SECTION_OVERHEAD, SealedSection, open_section, seal_section,
};
pub use signature::{KeyId, Signature, SigningKey, VerifyingKey};
pub use transfer::{
    EntryKey, RECIPIENT_KEY_LEN, RecipientKeyPair, RecipientPublicKey, SEALED_ENTRY_OVERHEAD,
    SEALED_TRANSFER_KEY_FORMAT_VERSION, SEALED_TRANSFER_KEY_LEN, SealedTransferKey,
    TRANSFER_WRAPPED_KEY_FORMAT_VERSION, TRANSFER_WRAPPED_KEY_LEN, TransferKey, TransferWrappedKey,
};
pub use vault::{
    InMemoryVault, InsertOutcome, SectionInsert, SectionRows, SectionTombstone, SectionVault,
    VersionedSection,
};
