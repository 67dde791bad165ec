//! The `custodia-service` binary: `mint-token` prints a token once and its tokens-file entry, which the
//! library's table accepts and binds to the principal; a directory that is not a store, or a bad tokens
//! file, stops it before it listens, with a message that names the path or the entry; `link-key` writes a
//! customer-link key file once, mode 0600.

// Test code: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use custodia_service::{Token, TokenLine, TokenTable};

const BIN: &str = env!("CARGO_BIN_EXE_custodia-service");

#[test]
fn mint_token_prints_a_token_and_the_line_that_binds_it() {
    let out = Command::new(BIN)
        .args(["mint-token", "--principal", "emp-0001"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    let token = Token::new(lines.next().unwrap());
    let line: TokenLine = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(line.principal, "emp-0001");
    let mut table = TokenTable::new();
    table.insert(&line).unwrap();
    assert_eq!(table.principal_of(&token).unwrap().as_str(), "emp-0001");
    // The hash line does not contain the token.
    assert!(!serde_json::to_string(&line).unwrap().contains(token.expose()));

    let bad = Command::new(BIN)
        .args(["mint-token", "--principal", " emp-0001"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--principal"));
}

#[test]
fn a_directory_that_is_not_a_store_or_a_bad_tokens_file_stops_it_before_it_listens() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens.json");
    std::fs::write(&tokens, "[]").unwrap();
    let out = Command::new(BIN)
        .arg("--store")
        .arg(dir.path())
        .arg("--tokens")
        .arg(&tokens)
        .args(["--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a custodia store directory"), "{err}");

    std::fs::write(&tokens, r#"[{"principal":"emp-1","sha256":"zz"}]"#).unwrap();
    let out = Command::new(BIN)
        .arg("--store")
        .arg(dir.path())
        .arg("--tokens")
        .arg(&tokens)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("[0].sha256"), "{err}");
}

#[test]
fn link_key_creates_a_0600_key_file_once_and_never_prints_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("link.key");
    let out = Command::new(BIN)
        .args(["link-key", "--out"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let key = std::fs::read_to_string(&path).unwrap();
    assert_eq!(key.trim_end().len(), 64);
    assert!(!String::from_utf8_lossy(&out.stdout).contains(key.trim_end()));
    custodia_service::LinkKey::load(&path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // Not over an existing file.
    let again = Command::new(BIN)
        .args(["link-key", "--out"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&again.stderr).contains(key.trim_end()));
}
