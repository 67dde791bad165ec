//! Staff authentication (issue 21, on issue 17's principals): a bearer token bound to one principal stored in
//! the brokerage (`Brokerage::put_principal`). The service keeps only each token's SHA-256 (hex), read from
//! the operator's tokens file, and looks a presented token up by its hash; the token itself is a secret (no
//! `Debug`, no `Serialize`, wiped on drop) that the operator sees once, when it is minted (PIPL Art 51(2):
//! access control for personal information; Art 9: the handler is responsible for its security).

use std::collections::HashMap;
use std::path::Path;

use base64::Engine;
use custodia_model::ActorId;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// The bytes of randomness in a minted token (256 bits: not guessable, so a plain SHA-256 of it is a safe
/// verifier — no password-hashing function is needed for a random secret of this size).
pub const TOKEN_BYTES: usize = 32;

/// A bearer token: the secret a member of staff presents. No `Debug`, no `Serialize`; zeroized on drop.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct Token(String);

impl Token {
    /// A token as presented (the text after `Bearer `).
    pub fn new(text: &str) -> Self {
        Self(text.to_owned())
    }

    /// The token's text, to hand to its holder once, when minted.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The SHA-256 of the token's text: what the tokens file and the service keep.
    pub fn sha256(&self) -> [u8; 32] {
        let digest = ring::digest::digest(&ring::digest::SHA256, self.0.as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(digest.as_ref());
        out
    }
}

/// One line of the tokens file: a principal and the SHA-256 (lower-case hex) of its token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenLine {
    /// The principal the token is bound to (its `ActorId`).
    pub principal: String,
    /// The SHA-256 of the token, 64 lower-case hex digits.
    pub sha256: String,
}

/// Mints a fresh token for `principal`: 32 bytes from the operating system's generator (custodia-crypto's
/// `random::fill`, ring's `SystemRandom`), base64url without padding, and the tokens-file line of its hash.
pub fn mint_token(principal: &ActorId) -> Result<(Token, TokenLine), TokenError> {
    let mut bytes = zeroize::Zeroizing::new([0u8; TOKEN_BYTES]);
    custodia_crypto::random::fill(bytes.as_mut()).map_err(|_| TokenError::Random)?;
    let token = Token(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes.as_ref()));
    let line = TokenLine {
        principal: principal.as_str().to_owned(),
        sha256: hex::encode(token.sha256()),
    };
    Ok((token, line))
}

/// What can be wrong with a tokens file: each error names the entry and field, never a hash or a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The file could not be read.
    #[error("read {path} failed: {kind:?}")]
    Io {
        /// The file.
        path: String,
        /// The operating system's kind of error.
        kind: std::io::ErrorKind,
    },
    /// The file is not a JSON array of `{principal, sha256}` objects.
    #[error("tokens file: {field} is not valid ({reason})")]
    Invalid {
        /// Where (`[2].sha256`).
        field: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// Two entries carry the same hash: one token would name two principals.
    #[error("tokens file: entries [{first}] and [{second}] have the same sha256")]
    Duplicate {
        /// The first entry's index.
        first: usize,
        /// The second entry's index.
        second: usize,
    },
    /// The operating system's generator failed.
    #[error("the random generator failed")]
    Random,
}

/// The service's verifiers: token hash → principal.
#[derive(Clone, Debug, Default)]
pub struct TokenTable {
    by_hash: HashMap<[u8; 32], (usize, ActorId)>,
}

impl TokenTable {
    /// An empty table (every request is unauthenticated).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a line; refuses a malformed principal or hash and a hash already present.
    pub fn insert(&mut self, line: &TokenLine) -> Result<(), TokenError> {
        let index = self.by_hash.len();
        let principal = ActorId::new(&line.principal).map_err(|_| TokenError::Invalid {
            field: format!("[{index}].principal"),
            reason: "not a principal id",
        })?;
        let invalid_hash = || TokenError::Invalid {
            field: format!("[{index}].sha256"),
            reason: "not 64 lower-case hex digits",
        };
        if line.sha256.len() != 64 || line.sha256.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(invalid_hash());
        }
        let mut hash = [0u8; 32];
        hex::decode_to_slice(&line.sha256, &mut hash).map_err(|_| invalid_hash())?;
        if let Some((first, _)) = self.by_hash.get(&hash) {
            return Err(TokenError::Duplicate {
                first: *first,
                second: index,
            });
        }
        self.by_hash.insert(hash, (index, principal));
        Ok(())
    }

    /// Parses a tokens file's JSON text (an array of [`TokenLine`]).
    pub fn parse(text: &str) -> Result<Self, TokenError> {
        let mut de = serde_json::Deserializer::from_str(text);
        let lines: Vec<TokenLine> = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            TokenError::Invalid {
                field: if path == "." { "the file".to_owned() } else { path },
                reason: "expected an array of {\"principal\", \"sha256\"} objects",
            }
        })?;
        let mut table = Self::new();
        for line in &lines {
            table.insert(line)?;
        }
        Ok(table)
    }

    /// Reads and parses a tokens file.
    pub fn load(path: &Path) -> Result<Self, TokenError> {
        let text = std::fs::read_to_string(path).map_err(|e| TokenError::Io {
            path: path.display().to_string(),
            kind: e.kind(),
        })?;
        Self::parse(&text)
    }

    /// The principal a presented token is bound to, by its hash.
    pub fn principal_of(&self, token: &Token) -> Option<&ActorId> {
        self.principal_by_hash(&token.sha256())
    }

    /// The principal bound to a token's SHA-256, for a caller that needs the hash again (the rate limit
    /// counts by it) and so hashes once.
    pub(crate) fn principal_by_hash(&self, hash: &[u8; 32]) -> Option<&ActorId> {
        self.by_hash.get(hash).map(|(_, p)| p)
    }

    /// The principals with a token, each once.
    pub fn principals(&self) -> Vec<&ActorId> {
        let mut all: Vec<&ActorId> = self.by_hash.values().map(|(_, p)| p).collect();
        all.sort();
        all.dedup();
        all
    }

    /// How many tokens.
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    // Compile-time proof: `Token` implements neither `Serialize` nor `Debug`.
    crate::assert_not_debug_or_serialize!(Token);

    #[test]
    fn a_minted_token_is_found_by_its_hash_and_wiped_on_zeroize() {
        let id = ActorId::new("emp-0001").unwrap();
        let (token, line) = mint_token(&id).unwrap();
        assert_eq!(token.expose().len(), 43, "32 bytes in base64url without padding");
        assert_eq!(line.sha256, hex::encode(token.sha256()));
        let mut table = TokenTable::new();
        table.insert(&line).unwrap();
        assert_eq!(table.principal_of(&token), Some(&id));
        assert_eq!(table.principal_of(&Token::new("not-a-token")), None);
        let (other, _) = mint_token(&id).unwrap();
        assert_ne!(other.expose(), token.expose());

        fn wiped_on_drop<T: ZeroizeOnDrop>(_: &T) {}
        wiped_on_drop(&token);
        let mut token = token;
        token.zeroize();
        assert_eq!(token.expose(), "", "zeroize empties the secret");
    }

    #[test]
    fn a_bad_tokens_file_names_the_entry_and_field() {
        let err = TokenTable::parse(r#"[{"principal":"emp-1","sha256":"00"}]"#).unwrap_err();
        assert_eq!(
            err,
            TokenError::Invalid {
                field: "[0].sha256".into(),
                reason: "not 64 lower-case hex digits"
            }
        );
        let err = TokenTable::parse(r#"[{"principal":"emp-1","sha256":"00","extra":1}]"#).unwrap_err();
        assert!(matches!(err, TokenError::Invalid { .. }), "{err}");
        let hash = "ab".repeat(32);
        let text = format!(
            r#"[{{"principal":"emp-1","sha256":"{hash}"}},{{"principal":"emp-2","sha256":"{hash}"}}]"#
        );
        assert_eq!(
            TokenTable::parse(&text).unwrap_err(),
            TokenError::Duplicate { first: 0, second: 1 }
        );
        let upper = "AB".repeat(32);
        let text = format!(r#"[{{"principal":"emp-1","sha256":"{upper}"}}]"#);
        assert!(TokenTable::parse(&text).is_err());
    }
}
