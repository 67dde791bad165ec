//! A sealed section moved inside the SQLite vault file — to another customer, category or record version,
//! by editing its row with plain SQL — never opens there (issue 10; PIPL Art 51: the AAD binds customer,
//! category and version, so storage cannot re-label a ciphertext).

// Test code: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(feature = "sqlite")]

use custodia_crypto::{CryptoError, KeyStore, Keyring, KeyringConfig, SectionVault, seal_section};
use custodia_model::{CustomerId, DataCategory};
use custodia_store::{SqliteConfig, SqliteStore};
use rusqlite::{Connection, params};

const VERSION: u64 = 3;

#[test]
fn a_section_row_moved_to_another_customer_category_or_version_fails_to_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.sqlite");
    let keyring = Keyring::derive_from_master(&[0x33; 32], 1, KeyringConfig::default()).unwrap();
    let store = SqliteStore::open(&path, &SqliteConfig::default()).unwrap();
    let (alice, bob) = (CustomerId::new_v7(), CustomerId::new_v7());
    for customer in [alice, bob] {
        let (dek, wrapped) = keyring.generate_dek(customer).unwrap();
        store.put_wrapped_key(&wrapped).unwrap();
        for category in [DataCategory::Contact, DataCategory::Health] {
            for version in 1..=VERSION {
                let plain = format!("{customer} {category} v{version}");
                let sealed = seal_section(&dek, customer, category, version, plain.as_bytes()).unwrap();
                store.put_section(customer, category, version, &sealed).unwrap();
            }
        }
    }
    let open = |store: &SqliteStore, customer, category, version| {
        let sealed = store.section(customer, category, version).unwrap().unwrap();
        keyring.open_stored_section(store, customer, category, version, &sealed)
    };
    // Untouched, every section opens in its own place.
    for customer in [alice, bob] {
        for category in [DataCategory::Contact, DataCategory::Health] {
            for version in 1..=VERSION {
                let plain = open(&store, customer, category, version).unwrap();
                assert_eq!(*plain, format!("{customer} {category} v{version}").into_bytes());
            }
        }
    }

    let sql = Connection::open(&path).unwrap();
    let sealed_of = |customer: CustomerId, category: DataCategory, version: u64| -> Vec<u8> {
        sql.query_row(
            "SELECT sealed FROM sections WHERE customer = ?1 AND category = ?2 AND version = ?3",
            params![customer.as_bytes(), category.code(), version as i64],
            |row| row.get(0),
        )
        .unwrap()
    };
    let overwrite = |customer: CustomerId, category: DataCategory, version: u64, sealed: &[u8]| {
        let changed = sql
            .execute(
                "UPDATE sections SET sealed = ?4 WHERE customer = ?1 AND category = ?2 AND version = ?3",
                params![customer.as_bytes(), category.code(), version as i64, sealed],
            )
            .unwrap();
        assert_eq!(changed, 1);
    };
    let (from_category, from_version) = (DataCategory::Contact, 2);
    let moved = sealed_of(alice, from_category, from_version);
    // Every other place the ciphertext could be copied to, in the same file.
    let mut places = Vec::new();
    for customer in [alice, bob] {
        for category in [DataCategory::Contact, DataCategory::Health] {
            for version in 1..=VERSION {
                if (customer, category, version) != (alice, from_category, from_version) {
                    places.push((customer, category, version));
                }
            }
        }
    }
    assert_eq!(places.len(), 11);
    for (customer, category, version) in places {
        let original = sealed_of(customer, category, version);
        overwrite(customer, category, version, &moved);
        let result = open(&store, customer, category, version);
        assert!(
            result.is_err(),
            "moved to {customer}/{category}/v{version}: opened"
        );
        let error = result.unwrap_err();
        if customer == alice {
            // Same key, other context: the AAD mismatch is the opaque failure.
            assert_eq!(error, CryptoError::DecryptionFailed, "{category}/v{version}");
        } else {
            // Another customer holds no key with the DEK id the section names.
            assert_ne!(error, CryptoError::DecryptionFailed, "{error}");
        }
        overwrite(customer, category, version, &original);
        assert!(open(&store, customer, category, version).is_ok());
    }

    // Moving the whole row (re-keying it in place) to another version, category or customer fails too.
    let moves = [
        (
            "UPDATE sections SET version = 9 WHERE customer = ?1 AND category = 'contact' AND version = 2",
            alice,
            DataCategory::Contact,
            9,
        ),
        (
            "UPDATE sections SET category = 'marketing_preferences' WHERE customer = ?1 AND category = 'contact' AND version = 2",
            alice,
            DataCategory::MarketingPreferences,
            2,
        ),
    ];
    for (statement, customer, category, version) in moves {
        assert_eq!(
            sql.execute(statement, params![alice.as_bytes()]).unwrap(),
            1,
            "{statement}"
        );
        let sealed = store.section(customer, category, version).unwrap();
        let sealed = sealed.unwrap_or_else(|| panic!("{statement}: the vault should serve the moved row"));
        assert_eq!(
            keyring.open_stored_section(&store, customer, category, version, &sealed),
            Err(CryptoError::DecryptionFailed),
            "{statement}"
        );
        sql.execute(
            "UPDATE sections SET category = 'contact', version = 2 WHERE customer = ?1 AND sealed = ?2",
            params![alice.as_bytes(), moved],
        )
        .unwrap();
        assert!(open(&store, alice, DataCategory::Contact, 2).is_ok());
    }
    let stolen = sql
        .execute(
            "UPDATE sections SET customer = ?2, version = 9 WHERE customer = ?1 AND category = 'contact' AND version = 2",
            params![alice.as_bytes(), bob.as_bytes()],
        )
        .unwrap();
    assert_eq!(stolen, 1);
    let sealed = store.section(bob, DataCategory::Contact, 9).unwrap().unwrap();
    assert!(
        keyring
            .open_stored_section(&store, bob, DataCategory::Contact, 9, &sealed)
            .is_err()
    );
    // Even with Alice's key in hand, the section opens only as Alice's.
    let alice_key = keyring.load_data_key(&store, alice, sealed.dek_id()).unwrap();
    assert!(custodia_crypto::open_section(&alice_key, bob, DataCategory::Contact, 9, &sealed).is_err());
    assert!(custodia_crypto::open_section(&alice_key, alice, DataCategory::Contact, 9, &sealed).is_err());
    assert!(custodia_crypto::open_section(&alice_key, alice, DataCategory::Contact, 2, &sealed).is_ok());
}
