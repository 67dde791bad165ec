//! C2SP signed-note and tlog-checkpoint: known answers from Go's `golang.org/x/mod/sumdb/note` tests,
//! strict byte-exact parsing, cosignatures and witness thresholds.

// Helpers outside #[test] fns panic on purpose: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::DateTime;
use custodia_crypto::SigningKey;
use custodia_ledger::{
    Checkpoint, LedgerError, Log, MemoryStore, NoteSigner, NoteVerifier, SignatureKind, SignedCheckpoint,
    SignedNote, TrustPolicy, empty_root,
};

// Known-answer vectors from golang.org/x/mod, file sumdb/note/note_test.go (TestNewVerifier, TestSign,
// TestOpen; commit 02c991387e35f9e4c0a9b7ce137717055f8d716d). BSD-licensed test data.
const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const PETER_SKEY: &str = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const TEXT: &str =
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIG: &str = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const ENOCH_SIG: &str = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

/// Go's private key string holds the Ed25519 seed; wrap it (with the public key) in the PKCS#8 v2
/// document (RFC 8410) that `custodia_crypto::SigningKey` loads.
fn peter_signing_key() -> SigningKey {
    let raw = STANDARD
        .decode(PETER_SKEY.splitn(5, '+').nth(4).unwrap())
        .unwrap();
    assert_eq!(raw[0], 0x01);
    let seed = &raw[1..];
    let verifier = NoteVerifier::from_vkey(PETER_VKEY).unwrap();
    let mut pkcs8 = vec![
        0x30, 0x53, 0x02, 0x01, 0x01, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
    ];
    pkcs8.extend_from_slice(seed);
    pkcs8.extend_from_slice(&[0xa1, 0x23, 0x03, 0x21, 0x00]);
    pkcs8.extend_from_slice(verifier.key().as_bytes());
    SigningKey::from_pkcs8(&pkcs8).unwrap()
}

#[test]
fn go_note_known_answers() {
    let peter = NoteVerifier::from_vkey(PETER_VKEY).unwrap();
    assert_eq!(peter.name(), "PeterNeumann");
    assert_eq!(peter.key_id(), 0xc74f20a3);
    assert_eq!(peter.to_vkey(), PETER_VKEY);
    let enoch = NoteVerifier::from_vkey(ENOCH_VKEY).unwrap();
    assert_eq!(enoch.key_id(), 0xaf0cfe78);

    // Signing Go's text with Go's key gives Go's bytes exactly (Ed25519 is deterministic).
    let signer = NoteSigner::new("PeterNeumann", SignatureKind::Ed25519, peter_signing_key()).unwrap();
    assert_eq!(signer.verifier(), &peter);
    let note = signer.sign(TEXT, DateTime::UNIX_EPOCH).unwrap();
    assert_eq!(note.to_string(), format!("{TEXT}\n{PETER_SIG}"));

    // Go's two-signature note: one known key verifies, the unknown one is ignored; both keys verify both.
    let both = format!("{TEXT}\n{PETER_SIG}{ENOCH_SIG}");
    let parsed = SignedNote::parse(both.as_bytes()).unwrap();
    assert_eq!(parsed.to_bytes(), both.as_bytes());
    assert_eq!(parsed.text(), TEXT);
    assert_eq!(parsed.verify(std::slice::from_ref(&peter)).unwrap().len(), 1);
    assert_eq!(parsed.verify(&[peter.clone(), enoch.clone()]).unwrap().len(), 2);
    assert_eq!(parsed.verify(&[]), Err(LedgerError::Untrusted));

    // A signature from a known key that does not verify rejects the whole note (Go: "invalid signature").
    let mangled = format!("{TEXT}\n{}ABCD{}", &PETER_SIG[..60], &PETER_SIG[60..]);
    let parsed = SignedNote::parse(mangled.as_bytes()).unwrap();
    assert_eq!(
        parsed.verify(std::slice::from_ref(&peter)),
        Err(LedgerError::BadSignature {
            key_name: "PeterNeumann".into()
        })
    );
}

#[test]
fn go_malformed_notes_are_refused() {
    // Go's TestOpen "invalid encoded message syntax" list, plus our own strictness cases.
    let bad = [
        TEXT.to_owned(),
        format!("{TEXT}\n"),
        format!("{TEXT}\n{}", &PETER_SIG[..PETER_SIG.len() - 1]),
        format!("\x01{TEXT}\n{PETER_SIG}"),
        format!(
            "{TEXT}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
        ),
        format!("{TEXT}\n{PETER_SIG}Unexpected line.\n"),
        format!("{TEXT}\n{}", PETER_SIG.replace("— ", "- ")),
        format!("{TEXT}\n{}", PETER_SIG.replace("AM=", "AN=")), // non-canonical base64 padding bits
        format!("{TEXT}\n{}", PETER_SIG.replace("PeterNeumann ", "Peter+Neumann ")),
        format!("{TEXT}\n{}", PETER_SIG.replace(' ', "  ")),
        format!("{TEXT}\r\n{PETER_SIG}"),
        format!("{TEXT}\n{}", PETER_SIG.repeat(65)),
    ];
    for msg in &bad {
        assert!(
            matches!(
                SignedNote::parse(msg.as_bytes()),
                Err(LedgerError::NoteSyntax { .. })
            ),
            "accepted {msg:?}"
        );
    }
    let mut invalid_utf8 = vec![0xff];
    invalid_utf8.extend_from_slice(format!("{TEXT}\n{PETER_SIG}").as_bytes());
    assert!(SignedNote::parse(&invalid_utf8).is_err());
    // 16 signatures must be accepted (C2SP signed-note).
    let sixteen = format!("{TEXT}\n{}", PETER_SIG.repeat(16));
    assert_eq!(
        SignedNote::parse(sixteen.as_bytes()).unwrap().signatures().len(),
        16
    );
}

#[test]
fn verifier_keys_refuse_every_mangling() {
    // Go's TestNewVerifier: every proper substring and every single-byte increment is refused.
    let bytes = PETER_VKEY.as_bytes();
    for i in 0..=bytes.len() {
        for j in i + 1..=bytes.len() {
            if i != 0 || j != bytes.len() {
                let part = std::str::from_utf8(&bytes[i..j]).unwrap();
                assert!(NoteVerifier::from_vkey(part).is_err(), "accepted {part:?}");
            }
        }
    }
    for i in 0..bytes.len() {
        let mut b = bytes.to_vec();
        b[i] = b[i].wrapping_add(1);
        if let Ok(s) = std::str::from_utf8(&b) {
            assert!(NoteVerifier::from_vkey(s).is_err(), "accepted {s:?}");
        }
    }
    assert!(
        NoteVerifier::from_vkey("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==")
            .is_err()
    );
    assert!(
        NoteVerifier::from_vkey("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
            .is_err()
    );
}

fn key(name: &str, kind: SignatureKind) -> NoteSigner {
    NoteSigner::new(name, kind, SigningKey::generate().unwrap()).unwrap()
}

#[test]
fn checkpoints_parse_byte_exact_and_carry_their_time() {
    let mut log = Log::new(MemoryStore::new()).unwrap();
    log.append(&[b"one", b"two", b"three"]).unwrap();
    let signer = key("broker.example/ledger", SignatureKind::Ed25519);
    let time = DateTime::from_timestamp(1_790_000_000, 0).unwrap();
    let signed = log
        .checkpoint_with_time(&signer, "broker.example/ledger", time)
        .unwrap();
    let bytes = signed.to_bytes();
    let text = String::from_utf8(bytes.clone()).unwrap();
    let root = STANDARD.encode(log.root().as_bytes());
    assert!(text.starts_with(&format!(
        "broker.example/ledger\n3\n{root}\ntime 1790000000\n\n— broker.example/ledger "
    )));
    let parsed = SignedCheckpoint::parse(&bytes).unwrap();
    assert_eq!(parsed, signed);
    assert_eq!(parsed.to_bytes(), bytes);
    assert_eq!(parsed.checkpoint().time().unwrap(), Some(time));
    assert_eq!(parsed.checkpoint().root(), &log.root());
    let policy = TrustPolicy::log_only(signer.name(), vec![signer.verifier().clone()]).unwrap();
    parsed.verify(&policy).unwrap();
    // serde carries the exact note string.
    let json = serde_json::to_string(&parsed).unwrap();
    assert_eq!(serde_json::from_str::<SignedCheckpoint>(&json).unwrap(), parsed);

    // Strict body syntax.
    let root_line = STANDARD.encode([7u8; 32]);
    for body in [
        format!("\n3\n{root_line}\n"),
        format!("o\n03\n{root_line}\n"),
        format!("o\n+3\n{root_line}\n"),
        format!("o\n3\n{}\n", STANDARD.encode([7u8; 31])),
        format!("o\n3\n{}\n", &root_line[..root_line.len() - 1]),
        format!("o\n3\n{root_line}"),
        format!("o\n3\n{root_line}\n\n"),
        format!("o\n18446744073709551616\n{root_line}\n"),
        format!("o\n3\n{root_line}\ntime 017\n"),
        format!("o\n3\n{root_line}\ntime 1\ntime 2\n"),
        "o\n3\n".to_owned(),
    ] {
        assert!(
            matches!(
                Checkpoint::parse(&body),
                Err(LedgerError::CheckpointSyntax { .. })
            ),
            "accepted {body:?}"
        );
    }
    let fine = Checkpoint::parse(&format!("o\n0\n{root_line}\nsomething else\n")).unwrap();
    assert_eq!(fine.extensions(), ["something else"]);
    assert_eq!(fine.time().unwrap(), None);
    assert_eq!(fine.to_text(), format!("o\n0\n{root_line}\nsomething else\n"));
}

const ORIGIN: &str = "broker.example/ledger";

#[test]
fn checkpoints_carry_no_time_line_unless_asked_and_notes_with_one_still_parse() {
    let mut log = Log::new(MemoryStore::new()).unwrap();
    log.append(&[b"one"]).unwrap();
    let signer = key(ORIGIN, SignatureKind::Ed25519);
    let plain = log.checkpoint(&signer, ORIGIN).unwrap();
    assert!(plain.checkpoint().extensions().is_empty());
    assert_eq!(plain.checkpoint().time().unwrap(), None);
    let text = String::from_utf8(plain.to_bytes()).unwrap();
    assert_eq!(text.split("\n\n").next().unwrap().lines().count(), 3, "{text}");
    let time = DateTime::from_timestamp(1_790_000_000, 0).unwrap();
    let timed = log.checkpoint_with_time(&signer, ORIGIN, time).unwrap();
    let parsed = SignedCheckpoint::parse(&timed.to_bytes()).unwrap();
    assert_eq!(parsed.checkpoint().time().unwrap(), Some(time));
    let policy = TrustPolicy::log_only(ORIGIN, vec![signer.verifier().clone()]).unwrap();
    parsed.verify(&policy).unwrap();
    plain.verify(&policy).unwrap();
}

#[test]
fn a_trusted_key_vouches_only_for_the_origin_the_policy_names() {
    let mut log = Log::new(MemoryStore::new()).unwrap();
    log.append(&[b"one"]).unwrap();
    // One key, two logs: the broker signs its consent log and its access log with the same key.
    let signer = key(ORIGIN, SignatureKind::Ed25519);
    let other = log.checkpoint(&signer, "broker.example/access-log").unwrap();
    let policy = TrustPolicy::log_only(ORIGIN, vec![signer.verifier().clone()]).unwrap();
    assert_eq!(policy.origin(), ORIGIN);
    assert_eq!(
        other.verify(&policy),
        Err(LedgerError::OriginMismatch {
            expected: ORIGIN.to_owned()
        })
    );
    let right = log.checkpoint(&signer, ORIGIN).unwrap();
    right.verify(&policy).unwrap();
    // A policy for no origin at all is refused up front.
    assert!(TrustPolicy::log_only("", vec![signer.verifier().clone()]).is_err());
    assert!(TrustPolicy::log_only("a\u{1}b", vec![signer.verifier().clone()]).is_err());
    // An unsigned checkpoint still fails as untrusted, not as the wrong origin.
    let stranger = key(ORIGIN, SignatureKind::Ed25519);
    let forged = log.checkpoint(&stranger, "broker.example/access-log").unwrap();
    assert_eq!(forged.verify(&policy), Err(LedgerError::Untrusted));
}

#[test]
fn del_and_c1_characters_are_accepted_where_signed_note_allows_them() {
    // signed-note forbids only "ASCII control characters (those below U+0020) other than newline".
    let signer = key("log.example/k\u{80}", SignatureKind::Ed25519);
    let origin = "broker.example/led\u{7f}ger\u{9f}";
    let text = format!(
        "{origin}\n0\n{}\nnote \u{85} with NEL and \u{7f} DEL\n",
        STANDARD.encode(empty_root().as_bytes())
    );
    let note = signer.sign(&text, DateTime::UNIX_EPOCH).unwrap();
    let parsed = SignedCheckpoint::parse(&note.to_bytes()).unwrap();
    assert_eq!(parsed.checkpoint().origin(), origin);
    assert_eq!(parsed.to_bytes(), note.to_bytes());
    let policy = TrustPolicy::log_only(origin, vec![signer.verifier().clone()]).unwrap();
    parsed.verify(&policy).unwrap();
    let vkey = signer.verifier().to_vkey();
    assert_eq!(NoteVerifier::from_vkey(&vkey).unwrap(), *signer.verifier());
    // U+0085 is a Unicode space, which a key name must not hold; ASCII controls stay refused everywhere.
    assert!(
        NoteSigner::new(
            "a\u{85}b",
            SignatureKind::Ed25519,
            SigningKey::generate().unwrap()
        )
        .is_err()
    );
    assert!(
        NoteSigner::new(
            "a\u{1f}b",
            SignatureKind::Ed25519,
            SigningKey::generate().unwrap()
        )
        .is_err()
    );
    assert!(signer.sign("a\u{1b}b\n", DateTime::UNIX_EPOCH).is_err());
    assert!(Checkpoint::parse(&format!("o\u{1}\n0\n{}\n", STANDARD.encode([0u8; 32]))).is_err());
}

#[test]
fn witness_cosignatures_and_thresholds() {
    let mut log = Log::new(MemoryStore::new()).unwrap();
    log.append(&[b"x"]).unwrap();
    let signer = key("broker.example/ledger", SignatureKind::Ed25519);
    let w1 = key("witness.example/w1", SignatureKind::Cosignature);
    let w2 = key("witness.example/w2", SignatureKind::Cosignature);
    let w3 = key("witness.example/w3", SignatureKind::Cosignature);
    let t = DateTime::from_timestamp(1_790_000_000, 0).unwrap();
    let signed = log
        .checkpoint_with_time(&signer, "broker.example/ledger", t)
        .unwrap();
    let cosigned = signed.cosigned(&w1, t).unwrap().cosigned(&w2, t).unwrap();
    let reparsed = SignedCheckpoint::parse(&cosigned.to_bytes()).unwrap();
    assert_eq!(reparsed, cosigned);
    let witnesses = vec![
        w1.verifier().clone(),
        w2.verifier().clone(),
        w3.verifier().clone(),
    ];
    let log_key = vec![signer.verifier().clone()];
    let two = TrustPolicy::new(ORIGIN, log_key.clone(), witnesses.clone(), 2).unwrap();
    let verified = reparsed.verify(&two).unwrap();
    assert_eq!(
        verified
            .signatures()
            .iter()
            .filter(|s| s.timestamp() == Some(1_790_000_000))
            .count(),
        2
    );
    let three = TrustPolicy::new(ORIGIN, log_key.clone(), witnesses.clone(), 3).unwrap();
    assert_eq!(
        reparsed.verify(&three),
        Err(LedgerError::WitnessThreshold {
            required: 3,
            verified: 2
        })
    );
    // The same witness twice counts once.
    let doubled = signed.cosigned(&w1, t).unwrap().cosigned(&w1, t).unwrap();
    assert_eq!(
        doubled.verify(&two),
        Err(LedgerError::WitnessThreshold {
            required: 2,
            verified: 1
        })
    );
    // Witnesses alone, without the log's own signature, are not enough.
    let witness_only = w1.sign(&signed.checkpoint().to_text(), t).unwrap();
    let witness_only = w2.cosign(&witness_only, t).unwrap();
    let parsed = SignedCheckpoint::parse(&witness_only.to_bytes()).unwrap();
    assert_eq!(parsed.verify(&two), Err(LedgerError::Untrusted));
    // A trusted witness's bad cosignature rejects the note; an unknown witness is ignored.
    let stranger = key("witness.example/stranger", SignatureKind::Cosignature);
    let with_stranger = cosigned.cosigned(&stranger, t).unwrap();
    with_stranger.verify(&two).unwrap();
    let text = String::from_utf8(cosigned.to_bytes()).unwrap();
    let w2_line = text.lines().find(|l| l.contains("witness.example/w2")).unwrap();
    let mut raw = STANDARD.decode(w2_line.rsplit(' ').next().unwrap()).unwrap();
    raw[5] ^= 1; // inside the timestamp: the signed message changes
    let forged = text.replace(
        w2_line,
        &format!("— witness.example/w2 {}", STANDARD.encode(&raw)),
    );
    let forged = SignedCheckpoint::parse(forged.as_bytes()).unwrap();
    assert_eq!(
        forged.verify(&two),
        Err(LedgerError::BadSignature {
            key_name: "witness.example/w2".into()
        })
    );
    // Impossible policies are refused up front.
    assert!(TrustPolicy::new(ORIGIN, log_key.clone(), witnesses.clone(), 4).is_err());
    assert!(TrustPolicy::new(ORIGIN, vec![], witnesses.clone(), 0).is_err());
    assert!(TrustPolicy::new(ORIGIN, witnesses.clone(), vec![], 0).is_err());
    assert!(TrustPolicy::new(ORIGIN, log_key.clone(), log_key.clone(), 0).is_err());
}

#[test]
fn signer_debug_shows_no_key_bytes() {
    let key = SigningKey::generate().unwrap();
    let pkcs8 = key.expose_pkcs8().to_vec();
    let signer = NoteSigner::new("broker.example/ledger", SignatureKind::Ed25519, key).unwrap();
    let shown = format!("{signer:?}");
    assert!(shown.contains("REDACTED"));
    // The seed sits at bytes 16..48 of ring's PKCS#8 v2 document; no 4-byte run of it may show, in hex.
    let hex: String = pkcs8[16..48].iter().map(|b| format!("{b:02x}")).collect();
    for window in hex.as_bytes().chunks(8) {
        assert!(!shown.contains(std::str::from_utf8(window).unwrap()));
    }
    // NoteSigner is not Serialize: this would not compile.
    // fn assert_serialize<T: serde::Serialize>() {} assert_serialize::<NoteSigner>();
    assert!(
        NoteSigner::new(
            "bad name",
            SignatureKind::Ed25519,
            SigningKey::generate().unwrap()
        )
        .is_err()
    );
    assert!(NoteSigner::new("a+b", SignatureKind::Ed25519, SigningKey::generate().unwrap()).is_err());
    assert!(NoteSigner::new("", SignatureKind::Ed25519, SigningKey::generate().unwrap()).is_err());
}

mod parsing_properties {
    use super::*;
    use custodia_ledger::MerkleHash;
    use proptest::prelude::*;

    fn line() -> impl Strategy<Value = String> {
        // Non-empty, printable, may contain spaces, plus signs, dashes and non-ASCII.
        "[a-zA-Z0-9 +./:\u{2014}\u{4e2d}-]{1,24}"
            .prop_filter("no surrounding blank", |s| !s.trim().is_empty())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// For all bytes: parsing never panics, and whatever parses serializes back to the same bytes.
        #[test]
        fn arbitrary_bytes_parse_byte_exact_or_not_at_all(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(note) = SignedNote::parse(&bytes) {
                prop_assert_eq!(note.to_bytes(), bytes.clone());
            }
            if let Ok(checkpoint) = SignedCheckpoint::parse(&bytes) {
                prop_assert_eq!(checkpoint.to_bytes(), bytes.clone());
            }
            if let Ok(text) = std::str::from_utf8(&bytes) {
                if let Ok(body) = Checkpoint::parse(text) {
                    prop_assert_eq!(body.to_text(), text);
                }
                let _ = NoteVerifier::from_vkey(text);
            }
        }

        /// For all valid notes: mutations of a signed note that still parse are refused by verification.
        #[test]
        fn every_checkpoint_round_trips_and_any_changed_byte_fails(
            origin in "[a-z0-9./-]{1,30}",
            size in any::<u64>(),
            root in any::<[u8; 32]>(),
            extensions in proptest::collection::vec(line(), 0..3),
            position in any::<prop::sample::Index>(),
        ) {
            let signer = NoteSigner::new("log.example/k", SignatureKind::Ed25519, SigningKey::generate().unwrap()).unwrap();
            let mut text = Checkpoint::new(&origin, size, MerkleHash::from_bytes(root)).unwrap().to_text();
            for extension in &extensions {
                text.push_str(extension);
                text.push('\n');
            }
            let body = Checkpoint::parse(&text).unwrap();
            prop_assert_eq!(body.to_text(), text.clone());
            prop_assert_eq!(body.size(), size);
            let note = signer.sign(&text, DateTime::UNIX_EPOCH).unwrap();
            let bytes = note.to_bytes();
            let parsed = SignedCheckpoint::parse(&bytes).unwrap();
            prop_assert_eq!(parsed.to_bytes(), bytes.clone());
            let policy = TrustPolicy::log_only(&origin, vec![signer.verifier().clone()]).unwrap();
            prop_assert!(parsed.verify(&policy).is_ok());
            let mut changed = bytes.clone();
            let i = position.index(changed.len());
            changed[i] ^= 0x01;
            let outcome = SignedCheckpoint::parse(&changed).and_then(|c| c.verify(&policy));
            prop_assert!(outcome.is_err(), "byte {} changed and still verified", i);
        }
    }
}
