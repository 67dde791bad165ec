//! Secret hygiene of the store (issue 10): the PostgreSQL connection string may carry a password, and
//! neither a failed connect's error (`Display` or `Debug`) nor anything the store keeps may repeat it.
//! No server is needed: every connection string here fails before or at connecting (feature `postgres`,
//! which `.ci/run` turns on with `postgres-tests`).

// Test code: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::panic)]
#![cfg(feature = "postgres")]

use custodia_store::{PostgresConfig, PostgresStore};

const PASSWORD: &str = "Sup3r-s3cret-pw";

#[test]
fn a_failed_connect_never_repeats_the_password() {
    let urls = [
        // Nothing listens on port 1: refused at connect.
        format!("postgres://custodia:{PASSWORD}@127.0.0.1:1/custodia?connect_timeout=2"),
        format!("host=127.0.0.1 port=1 user=custodia password={PASSWORD} connect_timeout=2"),
        // Malformed: refused while parsing, next to the password.
        format!("postgres://custodia:{PASSWORD}@127.0.0.1:notaport/custodia"),
        format!("host=127.0.0.1 port=x password={PASSWORD}"),
        format!("host=127.0.0.1 password='{PASSWORD}"),
        format!("postgres://custodia:{PASSWORD}@[::1/custodia"),
        format!("password={PASSWORD} sslmode=bogus"),
    ];
    for url in &urls {
        let error = match PostgresStore::connect(url, &PostgresConfig::default()) {
            Ok(_) => panic!("connected with {url}"),
            Err(e) => e,
        };
        for shown in [error.to_string(), format!("{error:?}"), format!("{error:#?}")] {
            assert!(!shown.contains(PASSWORD), "the password leaks through {shown}");
            assert!(
                !shown.contains("s3cret"),
                "part of the password leaks through {shown}"
            );
        }
    }
}
