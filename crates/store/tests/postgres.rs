//! The conformance suite and schema checks against PostgreSQL (feature `postgres-tests`, server from `CUSTODIA_PG_URL`); the four writers are `postgres_writers.rs`.

// Test code: a panic here is a failed assertion (clippy.toml allows it in #[test] functions only).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(feature = "postgres-tests")]

mod common;

use std::sync::atomic::{AtomicU32, Ordering};

use custodia_ledger::{LedgerError, Log};
use custodia_store::{PostgresConfig, PostgresStore, SCHEMA_VERSION, SslMode, StoreError, Transport};

/// The server's URL. With the feature on and no server named, the test fails: nothing pretends to pass
/// without a server.
fn url() -> String {
    match std::env::var("CUSTODIA_PG_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "the postgres-tests feature is on but CUSTODIA_PG_URL is not set: start a server \
             (`source .ci/postgres.sh && custodia_pg_start`) or point it at one, e.g. \
             CUSTODIA_PG_URL=postgresql://postgres@127.0.0.1:54329/postgres"
        ),
    }
}

/// A schema name no other test (in this or another process) uses, so tests run in parallel.
fn fresh_schema() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "t_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

fn fresh_store() -> PostgresStore {
    connect(&fresh_schema())
}

fn connect(schema: &str) -> PostgresStore {
    PostgresStore::connect(&url(), &PostgresConfig::new().with_schema(schema).unwrap()).unwrap()
}

/// A plaintext client over the server's Unix socket (`CUSTODIA_PG_SOCKET_URL`), for SQL behind the
/// store's back; TCP to the test server takes TLS only.
fn raw_client() -> postgres::Client {
    postgres::Client::connect(&env("CUSTODIA_PG_SOCKET_URL"), postgres::NoTls).unwrap()
}

fn env(name: &str) -> String {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => value,
        _ => panic!("{name} is not set: start the server with `source .ci/postgres.sh && custodia_pg_start`"),
    }
}

/// A URL to the test server at `host` with the given TLS query (`sslmode=…&sslrootcert=…`).
fn url_with(host: &str, query: &str) -> String {
    format!(
        "postgresql://postgres@{host}:{}/postgres?{query}",
        env("CUSTODIA_PG_PORT")
    )
}

fn try_connect(url: &str) -> Result<PostgresStore, StoreError> {
    PostgresStore::connect(url, &PostgresConfig::new().with_schema(&fresh_schema()).unwrap())
}

#[test]
fn every_sslmode_does_what_its_documentation_says_against_a_tls_only_server() {
    let ca = env("CUSTODIA_PG_CA");
    let other = env("CUSTODIA_PG_OTHER_CA");
    // verify-full: the chain and the name (the certificate names `localhost`).
    let full = try_connect(&url_with(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    ))
    .unwrap();
    assert_eq!(full.ssl_mode(), SslMode::VerifyFull);
    assert_eq!(full.transport().unwrap(), Transport::Tls);
    // …refuses the right CA's certificate at an address it does not name, and another CA's anywhere.
    let err = |result: Result<PostgresStore, StoreError>| match result {
        Ok(_) => panic!("connected"),
        Err(error) => error,
    };
    let wrong_name = err(try_connect(&url_with(
        "127.0.0.1",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    )));
    assert!(
        matches!(
            wrong_name,
            StoreError::Postgres {
                operation: "connect",
                ..
            }
        ),
        "{wrong_name}"
    );
    let wrong_ca = err(try_connect(&url_with(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={other}"),
    )));
    assert!(
        matches!(
            wrong_ca,
            StoreError::Postgres {
                operation: "connect",
                ..
            }
        ),
        "{wrong_ca}"
    );
    // verify-ca: the chain only, so the address need not be named…
    let chain = try_connect(&url_with(
        "127.0.0.1",
        &format!("sslmode=verify-ca&sslrootcert={ca}"),
    ))
    .unwrap();
    assert_eq!(chain.transport().unwrap(), Transport::Tls);
    // …but the chain must hold.
    err(try_connect(&url_with(
        "127.0.0.1",
        &format!("sslmode=verify-ca&sslrootcert={other}"),
    )));
    // require: encrypted, certificate unchecked without a CA file, checked with one.
    let required = try_connect(&url_with("127.0.0.1", "sslmode=require")).unwrap();
    assert_eq!(required.transport().unwrap(), Transport::Tls);
    err(try_connect(&url_with(
        "127.0.0.1",
        &format!("sslmode=require&sslrootcert={other}"),
    )));
    // prefer against a server that offers TLS: encrypted.
    let preferred = try_connect(&url_with("127.0.0.1", "sslmode=prefer")).unwrap();
    assert_eq!(preferred.transport().unwrap(), Transport::Tls);
    // No sslmode at all is prefer, as in libpq.
    let default = try_connect(&url_with("127.0.0.1", "application_name=custodia")).unwrap();
    assert_eq!(default.ssl_mode(), SslMode::Prefer);
    assert_eq!(default.transport().unwrap(), Transport::Tls);
    // disable: plaintext, which this server refuses (its pg_hba rejects TCP without TLS).
    err(try_connect(&url_with("127.0.0.1", "sslmode=disable")));
    // The config wins over the string: the string says disable, the config verify-full.
    let config = PostgresConfig::new()
        .with_schema(&fresh_schema())
        .unwrap()
        .with_ssl_mode(SslMode::VerifyFull)
        .with_root_certificates(&ca);
    let overridden = PostgresStore::connect(&url_with("localhost", "sslmode=disable"), &config).unwrap();
    assert_eq!(overridden.transport().unwrap(), Transport::Tls);
    // Modes that need a CA file refuse to start without one, and nobody can ask for `allow`.
    for query in [
        "sslmode=verify-ca",
        "sslmode=verify-full",
        "sslmode=allow",
        "sslmode=verify-full&sslrootcert=/nonexistent.pem",
    ] {
        assert!(
            matches!(
                err(try_connect(&url_with("localhost", query))),
                StoreError::InvalidConfig { .. }
            ),
            "{query}"
        );
    }
}

#[test]
fn postgres_log_store_passes_the_suite() {
    custodia_conformance::log_store_suite(&fresh_store, 8);
}

#[test]
fn postgres_vault_passes_the_suite() {
    custodia_conformance::section_vault_suite(&fresh_store, 8);
}

#[test]
fn postgres_key_store_passes_the_suite() {
    custodia_conformance::key_store_suite(&fresh_store, 8);
}

#[test]
fn reconnecting_keeps_the_log_and_the_schema_version() {
    let schema = fresh_schema();
    let mut log = Log::new(connect(&schema)).unwrap();
    log.append(&[b"one", b"two", b"three"]).unwrap();
    let root = log.root();
    drop(log);
    let store = connect(&schema);
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let log = Log::new(store).unwrap();
    assert_eq!(log.size(), 3);
    assert_eq!(log.root(), root);
}

#[test]
fn a_newer_schema_is_refused_untouched() {
    let schema = fresh_schema();
    drop(connect(&schema));
    let mut client = raw_client();
    let future = i32::try_from(SCHEMA_VERSION + 1).unwrap();
    client
        .execute(
            &format!("INSERT INTO {schema}.custodia_schema (version, name) VALUES ($1, 'from the future')"),
            &[&future],
        )
        .unwrap();
    let refused =
        PostgresStore::connect(&url(), &PostgresConfig::new().with_schema(&schema).unwrap()).unwrap_err();
    assert_eq!(
        refused,
        StoreError::SchemaTooNew {
            found: SCHEMA_VERSION + 1,
            supported: SCHEMA_VERSION
        }
    );
    let count: i64 = client
        .query_one(&format!("SELECT count(*) FROM {schema}.custodia_schema"), &[])
        .unwrap()
        .get(0);
    assert_eq!(
        count,
        i64::from(SCHEMA_VERSION) + 1,
        "the refused open changed nothing"
    );
}

#[test]
fn a_schema_of_another_program_is_refused() {
    let schema = fresh_schema();
    let mut client = raw_client();
    client
        .batch_execute(&format!(
            "CREATE SCHEMA {schema}; CREATE TABLE {schema}.invoices (id INT)"
        ))
        .unwrap();
    let refused =
        PostgresStore::connect(&url(), &PostgresConfig::new().with_schema(&schema).unwrap()).unwrap_err();
    assert!(
        matches!(refused, StoreError::ForeignDatabase { .. }),
        "{refused:?}"
    );
}

#[test]
fn a_bad_url_is_a_typed_error() {
    let refused =
        PostgresStore::connect("postgresql://nobody@127.0.0.1:1/none", &PostgresConfig::new()).unwrap_err();
    assert!(
        matches!(
            refused,
            StoreError::Postgres {
                operation: "connect",
                ..
            }
        ),
        "{refused:?}"
    );
}

#[test]
fn a_tampered_row_is_named() {
    let schema = fresh_schema();
    let mut log = Log::new(connect(&schema)).unwrap();
    log.append(&[b"one", b"two"]).unwrap();
    let mut client = raw_client();
    client
        .execute(
            &format!("UPDATE {schema}.log_entries SET leaf_hash = '\\x0102' WHERE idx = 1"),
            &[],
        )
        .unwrap();
    let store = connect(&schema);
    use custodia_ledger::LogStore;
    assert_eq!(
        store.entries(0..2).unwrap_err(),
        LedgerError::CorruptStore {
            what: "leaf hash",
            index: 1
        }
    );
}

#[test]
fn a_deleted_checkpoint_row_is_caught_and_a_stale_checkpoint_refused() {
    use custodia_ledger::{LogStore, StoredCheckpoint};
    let schema = fresh_schema();
    let signer = common::signer();
    let time = chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap();
    let mut log = Log::new(connect(&schema)).unwrap();
    for n in 0..3u8 {
        log.append(&[&[n]]).unwrap();
        log.checkpoint_with_time(&signer, "broker.example/ledger", time)
            .unwrap();
    }
    let store = log.into_store();
    let stale = StoredCheckpoint::new(1, b"a writer that missed two appends".to_vec());
    assert_eq!(
        store.add_checkpoint(stale),
        Err(LedgerError::Conflict {
            expected: 1,
            actual: 3
        })
    );
    raw_client()
        .execute(
            &format!("DELETE FROM {schema}.log_checkpoints WHERE seq = 2"),
            &[],
        )
        .unwrap();
    assert_eq!(
        store.checkpoints().unwrap_err(),
        LedgerError::CorruptStore {
            what: "checkpoint sequence (a row is missing)",
            index: 1
        }
    );
}

#[test]
fn the_keyring_state_and_shredded_kek_versions_persist_and_a_retirement_rewraps() {
    use custodia_crypto::{CryptoError, KeyStore, Keyring, KeyringConfig, KeyringStore, RetirementPolicy};
    let store = fresh_store();
    assert_eq!(store.keyring_state().unwrap(), None);
    let mut keyring = Keyring::derive_from_master(&[5u8; 32], 1, KeyringConfig::default()).unwrap();
    let (gone, live) = (
        custodia_model::CustomerId::new_v7(),
        custodia_model::CustomerId::new_v7(),
    );
    let (_, wrapped_gone) = keyring.generate_dek(gone).unwrap();
    let (_, wrapped_live) = keyring.generate_dek(live).unwrap();
    store.put_wrapped_key(&wrapped_gone).unwrap();
    store.put_wrapped_key(&wrapped_live).unwrap();
    store.save_keyring_state(&keyring.state()).unwrap();
    assert_eq!(store.keyring_state().unwrap(), Some(keyring.state()));
    let t = chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap();
    store.destroy_customer(gone, t).unwrap();
    let shreds = store.shredded_kek_versions(1).unwrap();
    assert_eq!(
        (shreds.len(), shreds[0].kek_version, shreds[0].first_destroyed_at),
        (1, 1, t)
    );
    let retirement = keyring
        .retire_shredded(
            &store,
            t + chrono::TimeDelta::days(8),
            &RetirementPolicy::default(),
        )
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            retirement.retired_through,
            retirement.primary,
            retirement.rewrapped
        ),
        (1, 2, 1)
    );
    assert_eq!(store.wrapped_keys(live).unwrap()[0].kek_version(), 2);
    assert_eq!(store.keyring_state().unwrap().unwrap().min_decrypt, 2);
    let stale = Keyring::derive_from_master(&[5u8; 32], 2, KeyringConfig::default()).unwrap();
    assert!(matches!(
        store.save_keyring_state(&stale.state()),
        Err(CryptoError::KeyringStateRegressed { .. })
    ));
}

#[test]
fn sequenced_appends_from_stale_writers_land_at_the_end_and_verify() {
    let schema = fresh_schema();
    let mut a = Log::new(connect(&schema)).unwrap();
    let mut b = Log::new(connect(&schema)).unwrap();
    // b's view is stale after each of a's appends; the store places b's batch after a's, hashes its
    // interior nodes from the stored right edge and hands b the new edge.
    let mut expected_size = 0u64;
    for round in 0..20u64 {
        let size_a = 1 + round % 3;
        let payloads: Vec<Vec<u8>> = (0..size_a)
            .map(|i| format!("a {round} {i}").into_bytes())
            .collect();
        let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
        let placed = a.append_sequenced(&refs).unwrap();
        assert_eq!(placed.first_index(), expected_size);
        expected_size += size_a;
        let payloads: Vec<Vec<u8>> = (0..5u64).map(|i| format!("b {round} {i}").into_bytes()).collect();
        let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
        let placed = b.append_sequenced(&refs).unwrap();
        assert_eq!(placed.first_index(), expected_size, "round {round}");
        expected_size += 5;
        assert_eq!(b.size(), expected_size);
    }
    // The positional append still refuses a stale view.
    assert!(matches!(a.append(&[b"stale"]), Err(LedgerError::Conflict { .. })));
    let reread = Log::new(connect(&schema)).unwrap();
    assert_eq!(reread.size(), expected_size);
    assert_eq!(
        reread.root(),
        b.root(),
        "the edge the store handed back is the stored tree's"
    );
    let signer = common::signer();
    let verified = reread.verify(&common::policy(&signer)).unwrap();
    assert_eq!(verified.size(), expected_size);
}

#[test]
fn a_sequenced_retry_of_a_committed_batch_is_not_appended_twice() {
    use custodia_ledger::{LogStore, NewEntry, Salt, leaf_hash};
    let schema = fresh_schema();
    let store = connect(&schema);
    let salt = Salt::from_slice(&[7u8; 32]).unwrap();
    let payload = b"committed, answer lost".as_slice();
    let entry = NewEntry::new(leaf_hash(&salt, payload), salt, payload);
    let first = store.append_sequenced(0, &[entry], &[], false).unwrap();
    assert_eq!(first.first_index(), 0);
    // Another writer appends after it; then the retry comes, with the caller's stale view of size 0.
    let mut other = Log::new(connect(&schema)).unwrap();
    other.append_sequenced(&[b"someone else"]).unwrap();
    let again = store.append_sequenced(0, &[entry], &[], true).unwrap();
    assert_eq!(again.first_index(), 0);
    assert_eq!(store.size().unwrap(), 2);
    // Not a retry: a positional append of the same rows at a stale start is a conflict, not a write.
    assert!(matches!(
        store.append(
            0,
            &[NewEntry::new(leaf_hash(&salt, b"other"), salt, b"other")],
            &[]
        ),
        Err(LedgerError::Conflict {
            expected: 0,
            actual: 2
        })
    ));
    assert_eq!(store.size().unwrap(), 2);
}

#[test]
fn a_version_6_log_is_migrated_with_its_interior_nodes() {
    let schema = fresh_schema();
    let mut log = Log::new(connect(&schema)).unwrap();
    for batch in 0..7 {
        let payloads: Vec<Vec<u8>> = (0..3)
            .map(|i| format!("entry {batch} {i}").into_bytes())
            .collect();
        let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
        log.append(&refs).unwrap();
    }
    let root = log.root();
    drop(log);
    // Back to the version-6 layout behind the store's back: the interior nodes in a table of their own,
    // no `nodes` column, no functions, no record of migration 7 or any later one.
    raw_client()
        .batch_execute(&format!(
            "SET search_path TO {schema};
             CREATE TABLE log_nodes (level SMALLINT NOT NULL, idx BIGINT NOT NULL, hash BYTEA NOT NULL,
                                     PRIMARY KEY (level, idx));
             INSERT INTO log_nodes
                 SELECT l, ((e.idx + 1) >> l) - 1, substring(e.nodes FROM (l - 1) * 32 + 1 FOR 32)
                 FROM log_entries e, generate_series(1, 62) AS l WHERE length(e.nodes) >= l * 32;
             ALTER TABLE log_entries DROP COLUMN nodes;
             DROP FUNCTION custodia_log_append; DROP FUNCTION custodia_log_frontier;
             DROP FUNCTION custodia_log_lock;
             DELETE FROM custodia_schema WHERE version >= 7;"
        ))
        .unwrap();
    let nodes: i64 = raw_client()
        .query_one(&format!("SELECT count(*) FROM {schema}.log_nodes"), &[])
        .unwrap()
        .get(0);
    assert_eq!(
        nodes,
        21 - 21u32.count_ones() as i64,
        "n − popcount(n) interior nodes"
    );
    // Connecting migrates: the nodes move into their rows, and the log reads and grows as before.
    let mut log = Log::new(connect(&schema)).unwrap();
    assert_eq!(log.store().schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(log.root(), root);
    log.append(&[b"after the migration"]).unwrap();
    log.append_sequenced(&[b"sequenced", b"after it"]).unwrap();
    let signer = common::signer();
    assert_eq!(log.verify(&common::policy(&signer)).unwrap().size(), 24);
}
