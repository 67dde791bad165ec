//! The fuzz oracles, one module per target: each `run` takes one input and panics on a finding. The
//! `fuzz_targets/` wrap them for libFuzzer; the root test `tests/hardening_decoders.rs` replays them on the
//! committed seeds and deterministic mutations of them, so every oracle also runs in CI.
//!
//! Both includers declare `mod fixtures` (from `fixtures.rs`) beside this module. The modules run in CI, so
//! they must build on stable and the workspace MSRV.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

/// Signed notes and checkpoints (C2SP signed-note / tlog-checkpoint) as a witness or a customer receives
/// them. Tag 0: `SignedNote::parse`; 1: `Checkpoint::parse` (the note text); 2: `SignedCheckpoint::parse`
/// and verification against the fixture log key. Each re-encodes byte-exactly and never panics.
pub mod checkpoint {
    use custodia_ledger::{Checkpoint, SignedCheckpoint, SignedNote};

    /// One input; panics on a finding.
    pub fn run(data: &[u8]) {
        let Some((tag, rest)) = data.split_first() else {
            return;
        };
        match tag % 3 {
            0 => {
                if let Ok(note) = SignedNote::parse(rest) {
                    assert_eq!(note.to_bytes(), rest, "signed note round trip");
                    let _ = note.verify(std::slice::from_ref(&*crate::fixtures::LOG_VERIFIER));
                }
            }
            1 => {
                if let Ok(text) = std::str::from_utf8(rest)
                    && let Ok(cp) = Checkpoint::parse(text)
                {
                    assert_eq!(cp.to_text(), text, "checkpoint text round trip");
                    let _ = cp.time();
                }
            }
            _ => {
                if let Ok(cp) = SignedCheckpoint::parse(rest) {
                    assert_eq!(cp.to_bytes(), rest, "signed checkpoint round trip");
                    if let Ok(v) = cp.verify(&crate::fixtures::LOG_POLICY) {
                        assert_eq!(v.checkpoint(), cp.checkpoint());
                    }
                    let json = serde_json::to_string(&cp).unwrap();
                    let back: SignedCheckpoint = serde_json::from_str(&json).unwrap();
                    assert_eq!(back.to_bytes(), cp.to_bytes());
                }
            }
        }
    }
}

/// Consent ledger payloads (tag 0, `ConsentRecord::decode`) and consent receipts as a customer or
/// regulator receives them (tag 1, JSON, verified with the fixture log key). Never a panic; a decoded
/// record re-encodes to bytes that decode to the same record, and the canonical encoding is a fixed point
/// (a notice of format 1 or 2, without processing details, is refused for re-encoding instead); an error
/// message never echoes a quoted value from the payload.
pub mod consent {
    use custodia_consent::{ConsentReceipt, ConsentRecord};

    /// One input; panics on a finding.
    pub fn run(data: &[u8]) {
        let Some((tag, rest)) = data.split_first() else {
            return;
        };
        if tag % 2 == 0 {
            match ConsentRecord::decode(7, rest) {
                Ok(record) => {
                    // A notice of format 1 or 2 has no processing details and cannot be written again in
                    // format 3; it is read, never re-encoded.
                    if let ConsentRecord::Notice(n) = &record
                        && n.fields().processing.is_none()
                    {
                        assert!(record.encode().is_err(), "a legacy notice is not re-encoded");
                        return;
                    }
                    let canonical = record.encode().unwrap();
                    let again = ConsentRecord::decode(7, &canonical).unwrap();
                    assert_eq!(again, record, "decode(encode(r)) == r");
                    assert_eq!(
                        again.encode().unwrap(),
                        canonical,
                        "the canonical encoding is a fixed point"
                    );
                    assert!(ConsentRecord::is_consent_payload(&canonical));
                }
                Err(e) => {
                    let message = e.to_string();
                    assert!(!message.is_empty());
                }
            }
        } else if let Ok(receipt) = serde_json::from_slice::<ConsentReceipt>(rest) {
            let json = serde_json::to_vec(&receipt).unwrap();
            let back: ConsentReceipt = serde_json::from_slice(&json).unwrap();
            assert_eq!(back, receipt, "receipt JSON round trip");
            if let Ok(verified) = receipt.verify(&crate::fixtures::LOG_VERIFIER) {
                assert_eq!(verified.fields(), receipt.fields());
            }
        }
    }
}

/// Inclusion and consistency proofs as they arrive inside receipts, fed to the standalone verifiers.
///
/// Input: `[mode, n, k, ops...]` over a fixed 64-leaf log. Mode 0 takes the true inclusion proof of leaf
/// `k % n` in the tree of `n` leaves, mode 1 the true consistency proof from `k % (n + 1)` to `n`; the ops
/// then flip bytes, drop or add hashes, or change the index. The verifier must accept exactly the true
/// proof and refuse every change. Mode 2 feeds arbitrary sizes, roots and paths (and the rest as JSON
/// proofs) and only asserts that nothing panics.
pub mod proofs {
    use custodia_ledger::{
        ConsistencyProof, InclusionProof, Log, MemoryStore, MerkleHash, verify_consistency, verify_inclusion,
    };

    const LEAVES: u64 = 64;

    thread_local! {
        static LOG: Log<MemoryStore> = {
            let mut log = Log::new(MemoryStore::new()).unwrap();
            for i in 0..LEAVES {
                log.append(&[format!("leaf {i}").as_bytes()]).unwrap();
            }
            log
        };
    }

    fn hash(bytes: &[u8]) -> MerkleHash {
        let mut b = [0u8; 32];
        for (d, s) in b.iter_mut().zip(bytes) {
            *d = *s;
        }
        MerkleHash::from_slice(&b).unwrap()
    }

    /// Applies `ops` (pairs of bytes) to a path; returns the new path and an index delta.
    fn mutate(path: &[MerkleHash], ops: &[u8]) -> (Vec<MerkleHash>, u64) {
        let mut bytes: Vec<u8> = path.iter().flat_map(|h| h.as_bytes().to_vec()).collect();
        let mut index_delta = 0u64;
        for op in ops.chunks(2) {
            let (a, b) = (op[0], op.get(1).copied().unwrap_or(1));
            match a % 4 {
                0 | 1 if !bytes.is_empty() => {
                    let at = (usize::from(a / 4) * 256 + usize::from(b)) % bytes.len();
                    bytes[at] ^= b.max(1);
                }
                2 => {
                    let keep = bytes.len().saturating_sub(32 * usize::from(1 + b % 2));
                    bytes.truncate(keep);
                }
                3 if b % 2 == 0 => bytes.extend_from_slice(&[b; 32]),
                _ => index_delta = index_delta.wrapping_add(u64::from(b)),
            }
        }
        (bytes.chunks(32).map(hash).collect(), index_delta)
    }

    /// One input; panics on a finding.
    pub fn run(data: &[u8]) {
        if data.len() < 3 {
            return;
        }
        let (mode, n, k, ops) = (
            data[0] % 3,
            1 + u64::from(data[1]) % LEAVES,
            u64::from(data[2]),
            &data[3..],
        );
        LOG.with(|log| match mode {
            0 => {
                let index = k % n;
                let root = log.root_at(n).unwrap();
                let proof = log.inclusion_proof(index, n).unwrap();
                let leaf = *log.entry(index).unwrap().leaf_hash();
                assert!(proof.verify(&leaf, &root).is_ok());
                let (path, delta) = mutate(proof.path(), ops);
                let claimed = index.wrapping_add(delta);
                let ok = verify_inclusion(&leaf, claimed, n, &path, &root).is_ok();
                assert_eq!(
                    ok,
                    claimed == index && path == proof.path(),
                    "inclusion: only the true proof verifies"
                );
            }
            1 => {
                let old = k % (n + 1);
                let (old_root, new_root) = (log.root_at(old).unwrap(), log.root_at(n).unwrap());
                let proof = log.consistency_proof(old, n).unwrap();
                assert!(proof.verify(&old_root, &new_root).is_ok());
                let (path, delta) = mutate(proof.path(), ops);
                let ok = verify_consistency(old, n, &old_root, &new_root, &path).is_ok();
                assert_eq!(
                    ok,
                    path == proof.path(),
                    "consistency: only the true proof verifies"
                );
                if delta % 2 == 1 {
                    // A wrong old size with the true path and roots.
                    let claimed = old.wrapping_add(delta);
                    if claimed != old && claimed <= n {
                        let ok = verify_consistency(claimed, n, &old_root, &new_root, proof.path()).is_ok();
                        // Sizes whose proofs coincide (both empty, equal roots) are the only way through.
                        assert!(!ok || log.root_at(claimed).unwrap() == old_root);
                    }
                }
            }
            _ => {
                let word = |at: usize| {
                    let mut w = [0u8; 8];
                    for (i, d) in w.iter_mut().enumerate() {
                        *d = ops.get(at + i).copied().unwrap_or(0);
                    }
                    u64::from_be_bytes(w)
                };
                let (a, b) = (word(0), word(8));
                let rest = ops.get(16..).unwrap_or(&[]);
                let path: Vec<MerkleHash> = rest.chunks(32).map(hash).collect();
                let (x, y) = (hash(rest), hash(rest.get(32..).unwrap_or(&[])));
                let _ = verify_inclusion(&x, a, b, &path, &y);
                let _ = verify_consistency(a, b, &x, &y, &path);
                let _ = verify_consistency(a % 70, b % 70, &x, &y, &path);
                if let Ok(p) = serde_json::from_slice::<InclusionProof>(rest) {
                    let back: InclusionProof =
                        serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
                    assert_eq!(back, p);
                    let _ = p.verify(&x, &y);
                }
                if let Ok(p) = serde_json::from_slice::<ConsistencyProof>(rest) {
                    let back: ConsistencyProof =
                        serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
                    assert_eq!(back, p);
                    let _ = p.verify(&x, &y);
                }
            }
        });
    }
}

/// Retention profiles as a compliance officer edits them: tag 0 parses JSON, tag 1 TOML. Never a panic;
/// a profile that loads saves to JSON and TOML that load back to the same profile.
pub mod retention_profile {
    use custodia_retention::Profile;

    /// One input; panics on a finding.
    pub fn run(data: &[u8]) {
        let Some((tag, rest)) = data.split_first() else {
            return;
        };
        let Ok(text) = std::str::from_utf8(rest) else {
            return;
        };
        let parsed = if tag % 2 == 0 {
            Profile::from_json(text)
        } else {
            Profile::from_toml(text)
        };
        let Ok(profile) = parsed else {
            return;
        };
        let json = profile.to_json().unwrap();
        assert_eq!(Profile::from_json(&json).unwrap(), profile, "JSON round trip");
        let toml = profile.to_toml().unwrap();
        assert_eq!(Profile::from_toml(&toml).unwrap(), profile, "TOML round trip");
        assert_eq!(
            Profile::from_json(&json).unwrap().to_json().unwrap(),
            json,
            "saved JSON is a fixed point"
        );
    }
}

/// Sealed sections from storage or a package: parse, re-encode byte-exactly, and try to open under the
/// seed customer's key in every category and a few versions. Never a panic; an open succeeds only for
/// the exact (category, version) the section was sealed for.
pub mod sealed_section {
    use custodia_crypto::{SealedSection, open_section};
    use custodia_model::DataCategory;

    /// One input; panics on a finding.
    pub fn run(data: &[u8]) {
        let Ok(sealed) = SealedSection::from_bytes(data) else {
            return;
        };
        assert_eq!(
            sealed.as_bytes(),
            data,
            "a parsed section re-encodes byte-exactly"
        );
        assert_eq!(
            sealed.plaintext_len() + custodia_crypto::SECTION_OVERHEAD,
            data.len()
        );
        let dek = &*crate::fixtures::DEK;
        let mut opened = 0;
        for category in DataCategory::ALL {
            for version in [0u64, 1, 2, 3, 7, u64::MAX] {
                if let Ok(plain) = open_section(dek, dek.customer(), category, version, &sealed) {
                    assert_eq!(plain.len(), sealed.plaintext_len());
                    opened += 1;
                }
            }
        }
        assert!(opened <= 1, "one ciphertext opens in at most one context");
    }
}

/// A transfer key sealed to the buyer with HPKE, as it arrives in a package header: decode, re-encode
/// byte-exactly, open with the buyer's key for the transfer it names and for another. Never a panic.
pub mod sealed_transfer_key {
    use custodia_crypto::SealedTransferKey;

    /// One input; panics on a finding.
    pub fn run(data: &[u8]) {
        let Ok(sealed) = SealedTransferKey::decode(data) else {
            return;
        };
        assert_eq!(sealed.encode(), data, "sealed transfer key round trip");
        if let Ok(key) = crate::fixtures::RECIPIENT.open_transfer_key(&sealed, sealed.transfer_id()) {
            assert_eq!(key.transfer_id(), sealed.transfer_id());
        }
        let other = crate::fixtures::SEALED_TRANSFER_KEY.transfer_id();
        if other != sealed.transfer_id() {
            assert!(
                crate::fixtures::RECIPIENT
                    .open_transfer_key(&sealed, other)
                    .is_err()
            );
        }
    }
}

/// Agreements and receipts as the other party sends them. Tag 0: `SignedAgreement::decode` (re-encodes
/// byte-exactly); 1: `DraftAgreement::from_bytes` (canonical bytes re-encode byte-exactly); 2: a receipt
/// body signed here with the fixture buyer key, so the fuzzer reaches the JSON and the checks behind the
/// signature; 3: a whole receipt envelope. Never a panic.
pub mod transfer_agreement {
    use std::sync::LazyLock;

    use custodia_transfer::{DraftAgreement, PackageSummary, SignedAgreement, SignedReceipt};

    /// The fixture package's summary, from its signed trailer (no key needed).
    static SUMMARY: LazyLock<PackageSummary> = LazyLock::new(|| {
        custodia_transfer::verify_package(crate::fixtures::PACKAGE, &crate::fixtures::AGREEMENT, 1 << 20)
            .unwrap()
            .summary
    });

    const RECEIPT_DOMAIN: &[u8] = b"custodia-transfer/receipt-signature/v1\0";

    /// One input; panics on a finding.
    pub fn run(data: &[u8]) {
        let Some((tag, rest)) = data.split_first() else {
            return;
        };
        match tag % 4 {
            0 => {
                if let Ok(a) = SignedAgreement::decode(rest) {
                    assert_eq!(a.encode(), rest, "signed agreement round trip");
                }
            }
            1 => {
                if let Ok(d) = DraftAgreement::from_bytes(rest) {
                    assert_eq!(d.as_bytes(), rest, "canonical agreement bytes round trip");
                    let again = DraftAgreement::new(d.terms().clone()).unwrap();
                    assert_eq!(
                        again.as_bytes(),
                        rest,
                        "terms re-encode to the same canonical bytes"
                    );
                }
            }
            2 => {
                let mut body = custodia_transfer::RECEIPT_FORMAT.as_bytes().to_vec();
                body.extend_from_slice(rest);
                let mut message = RECEIPT_DOMAIN.to_vec();
                message.extend_from_slice(&body);
                let signature = crate::fixtures::BUYER.sign(&message);
                let mut envelope = custodia_transfer::RECEIPT_MAGIC.to_vec();
                envelope.extend_from_slice(&(body.len() as u32).to_be_bytes());
                envelope.extend_from_slice(&body);
                envelope.extend_from_slice(signature.as_bytes());
                if let Ok(r) = SignedReceipt::verify(&envelope, &crate::fixtures::AGREEMENT, &SUMMARY) {
                    assert_eq!(r.encode(), envelope, "receipt envelope round trip");
                }
            }
            _ => {
                if let Ok(r) = SignedReceipt::verify(rest, &crate::fixtures::AGREEMENT, &SUMMARY) {
                    assert_eq!(r.encode(), rest, "receipt envelope round trip");
                }
            }
        }
    }
}

/// The transfer package as the buyer receives it: the streaming reader record by record, without the
/// transfer key (sealed entries) and with it (opened entries), the keyless verification, then a full
/// import for the fixture agreement into fresh staging stores. Never a panic, and the keyless
/// verification and the import succeed only for a package the seller wrote byte for byte: the seeds are
/// the only valid packages this fuzzer can reach (it cannot sign), so an accepted input that is not one of
/// them is a finding — some byte is not covered by the signature (which covers every sealed entry's
/// bytes through the entries digest) and the manifest.
pub mod transfer_package {
    use custodia_crypto::{InMemoryKeyStore, InMemoryVault};
    use custodia_transfer::package::{PackageReader, Record};
    use custodia_transfer::{Buyer, ImportSettings, import, verify_package};

    /// The packages `seeds` wrote with the fixture keys (three customers, one, none).
    const SEEDS: [&[u8]; 3] = [
        include_bytes!("../corpus/transfer_package/seed-00"),
        include_bytes!("../corpus/transfer_package/seed-01"),
        include_bytes!("../corpus/transfer_package/seed-02"),
    ];

    /// One input; panics on a finding.
    pub fn run(data: &[u8]) {
        for unseal in [false, true] {
            let Ok(mut reader) = PackageReader::open(data, 64 * 1024) else {
                break;
            };
            if unseal && reader.unseal_with(&crate::fixtures::TRANSFER_KEY).is_err() {
                break;
            }
            for _ in 0..1000 {
                match reader.next_record() {
                    Ok(Record::Sealed(_)) => assert!(!unseal, "a reader with the key opens every entry"),
                    Ok(Record::Entry(_)) => assert!(unseal, "a reader without the key opened an entry"),
                    Ok(Record::Trailer(_)) => {
                        assert!(reader.next_record().is_err(), "nothing after the trailer");
                        break;
                    }
                    Err(e) => {
                        assert!(!e.to_string().is_empty());
                        break;
                    }
                }
            }
        }
        if verify_package(data, &crate::fixtures::AGREEMENT, 64 * 1024).is_ok() {
            assert!(
                SEEDS.contains(&data),
                "a package that the seller did not sign verified without the key ({} bytes)",
                data.len()
            );
        }
        let keys = InMemoryKeyStore::new();
        let sections = InMemoryVault::new();
        let settings = ImportSettings {
            max_entry_len: 64 * 1024,
            ..ImportSettings::default()
        };
        let outcome = import(
            data,
            &crate::fixtures::AGREEMENT,
            Buyer {
                recipient: &crate::fixtures::RECIPIENT,
                keyring: &crate::fixtures::BUYER_RING,
                keys: &keys,
                sections: &sections,
            },
            &settings,
            &mut |_| {},
        );
        if let Ok(outcome) = outcome {
            assert_eq!(outcome.sections as usize, sections.len().unwrap());
            assert!(
                SEEDS.contains(&data),
                "a package that the seller did not write was imported ({} bytes)",
                data.len()
            );
        }
    }
}

/// Wrapped data keys (under a KEK, from a key store) and transfer-wrapped keys (from a package): decode,
/// re-encode byte-exactly, unwrap. Never a panic; an unwrap that succeeds names the customer and key the
/// bytes claim.
pub mod wrapped_key {
    use custodia_crypto::{TransferWrappedKey, WrappedKey};

    /// One input; panics on a finding.
    pub fn run(data: &[u8]) {
        if let Ok(wrapped) = WrappedKey::decode(data) {
            assert_eq!(wrapped.encode(), data, "wrapped key round trip");
            for ring in [&*crate::fixtures::SELLER_RING, &*crate::fixtures::BUYER_RING] {
                if let Ok(dek) = ring.unwrap(&wrapped) {
                    assert_eq!(dek.customer(), wrapped.customer());
                    assert_eq!(dek.id(), wrapped.dek_id());
                }
            }
        }
        if let Ok(wrapped) = TransferWrappedKey::decode(data) {
            assert_eq!(wrapped.encode(), data, "transfer wrapped key round trip");
            if let Ok(dek) = crate::fixtures::TRANSFER_KEY.unwrap_data_key(&wrapped) {
                assert_eq!(dek.customer(), wrapped.customer());
                assert_eq!(dek.id(), wrapped.dek_id());
                assert_eq!(wrapped.transfer_id(), crate::fixtures::TRANSFER_KEY.transfer_id());
            }
        }
    }
}
