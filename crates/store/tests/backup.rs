//! Backups and restores of a SQLite store, and crypto-shredding that holds against them (issue 16; PIPL Art 47).
//!
//! A backup taken before a customer was shredded still holds that customer's wrapped data key. Shredding
//! holds against it once the KEK version that wrapped the key is retired and destroyed on schedule
//! (`Keyring::retire_shredded`: rotate, rewrap the live keys, raise the minimum, and replace the master
//! secret by the chain secret of the new minimum): restored after the schedule ran, the old backup opens
//! the other customers and not the shredded one.

// Test code: a panic here is a failed assertion (clippy.toml allows it in #[test] functions only).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use custodia_crypto::{
    CryptoError, DataKey, KekChainSecret, KeyStore, Keyring, KeyringConfig, KeyringStore, RetirementPolicy,
    SealedSection, SectionVault, seal_section,
};
use custodia_ledger::{Log, SignedCheckpoint};
use custodia_model::{CustomerId, DataCategory};
use custodia_store::{OlderThanCheckpoint, RestoreCheck, SqliteConfig, SqliteStore, StoreError};

const MASTER: [u8; 32] = [0x4d; 32];

fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, day, 9, 0, 0).unwrap()
}

/// A customer with a sealed health section, stored.
fn customer(store: &SqliteStore, keyring: &Keyring, text: &str) -> (CustomerId, SealedSection) {
    let id = CustomerId::new_v7();
    let (dek, wrapped): (DataKey, _) = keyring.generate_dek(id).unwrap();
    store.put_wrapped_key(&wrapped).unwrap();
    let sealed = seal_section(&dek, id, DataCategory::Health, 1, text.as_bytes()).unwrap();
    store.put_section(id, DataCategory::Health, 1, &sealed).unwrap();
    (id, sealed)
}

fn open(
    keyring: &Keyring,
    store: &SqliteStore,
    who: &(CustomerId, SealedSection),
) -> Result<String, CryptoError> {
    keyring
        .open_stored_section(store, who.0, DataCategory::Health, 1, &who.1)
        .map(|plain| String::from_utf8(plain.to_vec()).unwrap())
}

#[test]
fn shredding_holds_against_a_backup_once_the_retirement_schedule_ran() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("live.db"), &SqliteConfig::new()).unwrap();
    let signer = common::signer();
    let policy = common::policy(&signer);
    let mut keyring = Keyring::derive_from_master(&MASTER, 1, KeyringConfig::default()).unwrap();

    // Version 1 wraps the keys of C (who will ask to be erased) and D; a routine rotation makes version 2
    // primary, which wraps A's and B's.
    let c = customer(&store, &keyring, "C: diabetes type 2");
    let d = customer(&store, &keyring, "D: asthma");
    keyring.rotate().unwrap();
    store.save_keyring_state(&keyring.state()).unwrap();
    let a = customer(&store, &keyring, "A: healthy");
    let b = customer(&store, &keyring, "B: hypertension");
    let mut log = Log::new(&store).unwrap();
    log.append(&[b"customers c, d, a, b onboarded"]).unwrap();
    let at_backup = log.checkpoint(&signer, signer.name()).unwrap();

    // The nightly backup, taken before C is shredded.
    let old_backup = dir.path().join("before-shredding.db");
    assert_eq!(store.backup_to(&old_backup).unwrap(), 1);
    assert!(
        store.backup_to(&old_backup).is_err(),
        "a backup never overwrites a file"
    );

    // C is shredded (PIPL Art 47). The destruction records the KEK version that wrapped C's key.
    store.destroy_customer(c.0, at(1)).unwrap();
    assert!(matches!(
        open(&keyring, &store, &c),
        Err(CryptoError::KeyDestroyed { .. })
    ));
    log.append(&[b"customer c destroyed"]).unwrap();
    let held = log.checkpoint(&signer, signer.name()).unwrap();
    let shreds = store.shredded_kek_versions(1).unwrap();
    assert_eq!(shreds.len(), 1);
    assert_eq!(shreds[0].kek_version, 1);

    // Without the schedule, the old backup and the master open C again: what the issue found.
    let before = dir.path().join("restored-before-schedule.db");
    let check = RestoreCheck {
        policy: &policy,
        held: &at_backup,
        older: OlderThanCheckpoint::Refuse,
    };
    let (restored, _) = SqliteStore::restore(&old_backup, &before, &SqliteConfig::new(), &check).unwrap();
    let from_master = Keyring::derive_from_master(&MASTER, 2, KeyringConfig::default()).unwrap();
    assert_eq!(open(&from_master, &restored, &c).unwrap(), "C: diabetes type 2");
    drop(restored);

    // The schedule: not due before the delay, due after it.
    let schedule = RetirementPolicy::new(TimeDelta::days(7)).unwrap();
    assert!(
        keyring
            .retire_shredded(&store, at(3), &schedule)
            .unwrap()
            .is_none()
    );
    let retirement = keyring
        .retire_shredded(&store, at(9), &schedule)
        .unwrap()
        .unwrap();
    assert_eq!(retirement.retired_through, 1);
    assert_eq!(retirement.primary, 2);
    assert_eq!(retirement.rewrapped, 1, "D's live key moved to version 2");
    assert_eq!(keyring.min_decrypt_version(), 2);
    assert!(
        keyring
            .retire_shredded(&store, at(10), &schedule)
            .unwrap()
            .is_none(),
        "nothing left to retire"
    );
    // The live store is whole: D, A and B open; the state is persisted and cannot be undone.
    assert_eq!(open(&keyring, &store, &d).unwrap(), "D: asthma");
    assert_eq!(open(&keyring, &store, &a).unwrap(), "A: healthy");
    let stored = store.keyring_state().unwrap().unwrap();
    assert_eq!(stored.min_decrypt, 2);
    let stale = Keyring::derive_from_master(&MASTER, 2, KeyringConfig::default()).unwrap();
    assert!(matches!(
        store.save_keyring_state(&stale.state()),
        Err(CryptoError::KeyringStateRegressed {
            stored: 2,
            given: 1,
            ..
        })
    ));
    // A keyring derived again and given the stored state comes back at minimum 2 (persisted, not lost).
    let mut again = Keyring::derive_from_master(&MASTER, 2, KeyringConfig::default()).unwrap();
    again.apply_state(&stored).unwrap();
    assert_eq!(again.min_decrypt_version(), 2);

    // The operator stores the chain secret of version 2 in place of the master, and destroys the master.
    let secret = retirement.chain_secret.unwrap();
    assert_eq!(secret.version(), 2);
    let kept = *secret.expose_secret();
    drop(secret);
    let operator = Keyring::from_chain_secret(
        &KekChainSecret::from_bytes(2, kept).unwrap(),
        stored.primary,
        KeyringConfig::default(),
    )
    .unwrap();

    // Disaster: the old backup is restored. It predates the held checkpoint, so it is refused…
    let refused = SqliteStore::restore(
        &old_backup,
        dir.path().join("refused.db"),
        &SqliteConfig::new(),
        &RestoreCheck {
            policy: &policy,
            held: &held,
            older: OlderThanCheckpoint::Refuse,
        },
    )
    .unwrap_err();
    assert_eq!(
        refused,
        StoreError::BackupOlderThanCheckpoint {
            backup_size: 1,
            checkpoint_size: 2
        }
    );
    assert!(
        !dir.path().join("refused.db").exists(),
        "a refused restore leaves no file"
    );
    // …unless told explicitly.
    let (restored, report) = SqliteStore::restore(
        &old_backup,
        dir.path().join("restored.db"),
        &SqliteConfig::new(),
        &RestoreCheck {
            policy: &policy,
            held: &held,
            older: OlderThanCheckpoint::Restore,
        },
    )
    .unwrap();
    assert_eq!(report.entries_behind_checkpoint, 1);
    // The backup still holds C's wrapped key, but no key that can unwrap it exists any more.
    assert!(restored.wrapped_keys(c.0).unwrap().len() == 1);
    assert!(matches!(
        open(&operator, &restored, &c),
        Err(CryptoError::KekRetired {
            version: 1,
            minimum: 2
        })
    ));
    // The others open.
    assert_eq!(open(&operator, &restored, &a).unwrap(), "A: healthy");
    assert_eq!(open(&operator, &restored, &b).unwrap(), "B: hypertension");
    // The cost, stated: D's key in that backup was still under version 1, so that backup cannot give D
    // back (the live store and every backup after the run can). Back up after every retirement run.
    assert!(open(&operator, &restored, &d).is_err());
    let after_run = dir.path().join("after-run.db");
    store.backup_to(&after_run).unwrap();
    let (fresh, _) = SqliteStore::restore(
        &after_run,
        dir.path().join("fresh.db"),
        &SqliteConfig::new(),
        &RestoreCheck {
            policy: &policy,
            held: &held,
            older: OlderThanCheckpoint::Refuse,
        },
    )
    .unwrap();
    assert_eq!(open(&operator, &fresh, &d).unwrap(), "D: asthma");
    assert!(matches!(
        open(&operator, &fresh, &c),
        Err(CryptoError::KeyDestroyed { .. })
    ));
}

#[test]
fn a_backup_is_a_consistent_copy_and_an_altered_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("live.db"), &SqliteConfig::new()).unwrap();
    let signer = common::signer();
    let policy = common::policy(&signer);
    let mut log = Log::new(&store).unwrap();
    for n in 0..50 {
        log.append(&[format!("consent c-{n}").as_bytes()]).unwrap();
    }
    let held: SignedCheckpoint = log.checkpoint(&signer, signer.name()).unwrap();
    let copy = dir.path().join("copy.db");
    assert_eq!(store.backup_to(&copy).unwrap(), 50);
    // The live store goes on; the backup is the state at its time.
    log.append(&[b"after the backup"]).unwrap();
    let check = RestoreCheck {
        policy: &policy,
        held: &held,
        older: OlderThanCheckpoint::Refuse,
    };
    let (restored, report) =
        SqliteStore::restore(&copy, dir.path().join("r.db"), &SqliteConfig::new(), &check).unwrap();
    assert_eq!((report.log_size, report.checkpoint_size), (50, 50));
    restored.check_integrity().unwrap();
    drop(restored);
    // An entry of the backup edited behind the store's back: the restore refuses it.
    {
        let sql = rusqlite::Connection::open(&copy).unwrap();
        sql.execute("UPDATE log_entries SET payload = X'00' WHERE idx = 7", [])
            .unwrap();
    }
    let refused =
        SqliteStore::restore(&copy, dir.path().join("r2.db"), &SqliteConfig::new(), &check).unwrap_err();
    assert!(
        matches!(refused, StoreError::BackupDoesNotVerify { .. }),
        "{refused:?}"
    );
    // A backup of another log (or a forged one) does not extend the held checkpoint.
    let other = SqliteStore::open(dir.path().join("other.db"), &SqliteConfig::new()).unwrap();
    let mut other_log = Log::new(&other).unwrap();
    for n in 0..60 {
        other_log.append(&[format!("forged {n}").as_bytes()]).unwrap();
    }
    other_log.checkpoint(&signer, signer.name()).unwrap();
    let other_copy = dir.path().join("other-copy.db");
    other.backup_to(&other_copy).unwrap();
    let refused = SqliteStore::restore(
        &other_copy,
        dir.path().join("r3.db"),
        &SqliteConfig::new(),
        &check,
    )
    .unwrap_err();
    assert!(
        matches!(refused, StoreError::BackupDoesNotVerify { .. }),
        "{refused:?}"
    );
}
