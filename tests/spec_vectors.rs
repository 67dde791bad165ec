//! The test vectors of `spec/vectors/` (issue 25): a generator that writes them deterministically from fixed
//! seeds, a test that the committed files are exactly what it writes (so a format cannot change without new
//! vectors), and a test that they verify and decode with custodia's own readers.
//!
//! Regenerate after a deliberate format change with `CUSTODIA_WRITE_VECTORS=1 cargo test --test
//! spec_vectors`, then run the second verifier (`spec/verify_py/`). Every value here is synthetic: names end
//! in "(synthetic)", ids are fixed, keys come from public seeds and must never protect anything.
//!
//! Where custodia itself draws fresh randomness (a ledger leaf salt, a section's nonce, a data key), the
//! generator computes the value from a seed and builds the bytes the way the specification says — with ring
//! directly for sections and wrapped keys, and through the ledger's storage seam for salted leaves — so the
//! vectors are reproducible and the specification is checked by a second encoder as well.

// Test code: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use custodia_consent::{
    BasisPolicy, Channel, ConsentEvent, ConsentForm, ConsentLedger, ConsentReceipt, ConsentRecord,
    ConsentScope, Digest, EventDraft, EventId, EventKind, GuardianId, Notice, NoticeDraft, NoticeId,
    NoticeRecipient, PartyId, ProcessingDetails, Recipient, TransferPath, WithdrawalMethod,
};
use custodia_crypto::{
    DekId, InMemoryKeyStore, InMemoryVault, Keyring, KeyringConfig, RecipientKeyPair, SealedSection,
    SigningKey, WrappedKey, open_section,
};
use custodia_ledger::{
    Checkpoint, ConsistencyProof, InclusionProof, Log, LogStore, MemoryStore, MerkleHash, NewEntry, NodeId,
    NoteSigner, NoteVerifier, REDACTION_TAG, Salt, SignatureKind, SignedCheckpoint, TrustPolicy, leaf_hash,
    node_hash,
};
use custodia_model::chrono::{self, DateTime, NaiveDate, TimeZone, Utc};
use custodia_model::uuid;
use custodia_model::{ActorId, CustomerId, DataCategory, Jurisdiction, Purpose, TransferId};
use custodia_transfer::package::{DEFAULT_MAX_ENTRY_LEN, PackageReader, Record};
use custodia_transfer::{
    AgreementTerms, BuyerObligations, CrossBorderTerms, CustomerSelection, DealKind, DealTerms,
    DisposalPlanReport, DraftAgreement, Mechanism, MinorRule, OperatorStatus, PartyDetails, RecordKeeper,
    ScopeItem, SellerAfterTransfer, SensitiveRule, SignedAgreement, TransferParty,
};
use custodia_transfer::{Buyer, CustomerProof, ImportOutcome, ImportSettings, SignedReceipt};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use serde_json::{Value, json};

/// Where the vectors live, from the repository root.
const DIR: &str = "spec/vectors";

/// The prefix every seed is hashed from: `seed(label) = SHA-256("custodia spec vectors/v1\0" ‖ label)`.
const SEED_DOMAIN: &[u8] = b"custodia spec vectors/v1\0";

fn sha256(bytes: &[u8]) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, bytes);
    d.as_ref().try_into().unwrap()
}

fn seed(label: &str) -> [u8; 32] {
    let mut preimage = SEED_DOMAIN.to_vec();
    preimage.extend_from_slice(label.as_bytes());
    sha256(&preimage)
}

fn nonce(label: &str) -> [u8; 12] {
    seed(label)[..12].try_into().unwrap()
}

fn uuid(label: &str, version: u8) -> uuid::Uuid {
    let mut b: [u8; 16] = seed(label)[..16].try_into().unwrap();
    b[6] = (version << 4) | (b[6] & 0x0f);
    b[8] = 0x80 | (b[8] & 0x3f);
    uuid::Uuid::from_bytes(b)
}

/// A UUID v7 as custodia makes customer ids: the first 48 bits are the Unix time in milliseconds, here that
/// of `created`, so the vectors show what such an id reveals.
fn uuid_v7(label: &str, created: DateTime<Utc>) -> uuid::Uuid {
    let mut b = *uuid(label, 7).as_bytes();
    let millis = u64::try_from(created.timestamp_millis()).unwrap();
    b[..6].copy_from_slice(&millis.to_be_bytes()[2..]);
    uuid::Uuid::from_bytes(b)
}

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 9, 0, 0).single().unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    assert!(text.len().is_multiple_of(2), "odd hex");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// An Ed25519 signing key from a 32-byte seed: the PKCS#8 v2 document (RFC 8410) ring reads, built around
/// the seed and its public key.
fn signing_key(seed: [u8; 32]) -> SigningKey {
    use ring::signature::KeyPair;
    let pair = ring::signature::Ed25519KeyPair::from_seed_unchecked(&seed).unwrap();
    let mut der = unhex("3053020101300506032b657004220420");
    der.extend_from_slice(&seed);
    der.extend_from_slice(&unhex("a123032100"));
    der.extend_from_slice(pair.public_key().as_ref());
    SigningKey::from_pkcs8(&der).unwrap()
}

fn aes_gcm(key: &[u8; 32], nonce: [u8; 12], aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).unwrap());
    let mut out = plaintext.to_vec();
    key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), &mut out)
        .unwrap();
    out
}

/// A log whose leaf `i` is salted with `seed("{label} salt {i}")`, built through the storage seam exactly
/// as `Log::append` would store it (leaf hashes and the perfect-subtree nodes each entry completes).
fn deterministic_log(payloads: &[Vec<u8>], label: &str) -> Log<MemoryStore> {
    let store = MemoryStore::new();
    let mut frontier: Vec<MerkleHash> = Vec::new();
    for (i, payload) in payloads.iter().enumerate() {
        let salt = Salt::from_bytes(seed(&format!("{label} salt {i}")));
        let leaf = leaf_hash(&salt, payload);
        let (mut hash, mut position, mut level) = (leaf, i as u64, 0u8);
        let mut nodes = Vec::new();
        while position & 1 == 1 {
            let left = frontier.pop().unwrap();
            hash = node_hash(&left, &hash);
            position >>= 1;
            level += 1;
            nodes.push((NodeId::new(level, position).unwrap(), hash));
        }
        frontier.push(hash);
        store
            .append(i as u64, &[NewEntry::new(leaf, salt, payload)], &nodes)
            .unwrap();
    }
    Log::new(store).unwrap()
}

/// The files of `spec/vectors/`, by path relative to it.
type Files = BTreeMap<String, Vec<u8>>;

fn put_json(files: &mut Files, name: &str, value: &Value) {
    let mut text = serde_json::to_string_pretty(value).unwrap();
    text.push('\n');
    files.insert(name.to_owned(), text.into_bytes());
}

/// Every key of the vectors, from its seed.
struct Keys {
    seller_sign: SigningKey,
    buyer_sign: SigningKey,
    log: NoteSigner,
    consent_log: NoteSigner,
    witness: NoteSigner,
    recipient: RecipientKeyPair,
    /// The two approvers of the approved destruction certificate, by actor id, each with its Ed25519 key.
    approvers: [(&'static str, &'static str, SigningKey); 2],
}

impl Keys {
    fn new() -> Self {
        Self {
            seller_sign: signing_key(seed("seller signing key")),
            buyer_sign: signing_key(seed("buyer signing key")),
            log: NoteSigner::new(
                "vectors.example/ledger",
                SignatureKind::Ed25519,
                signing_key(seed("ledger log key")),
            )
            .unwrap(),
            consent_log: NoteSigner::new(
                "vectors.example/consent",
                SignatureKind::Ed25519,
                signing_key(seed("consent log key")),
            )
            .unwrap(),
            witness: NoteSigner::new(
                "vectors.example/witness",
                SignatureKind::Cosignature,
                signing_key(seed("witness key")),
            )
            .unwrap(),
            recipient: RecipientKeyPair::derive_from_ikm(&seed("buyer recipient key")).unwrap(),
            approvers: [
                (
                    "dpo-synthetic",
                    "dpo approval key",
                    signing_key(seed("dpo approval key")),
                ),
                (
                    "cco-synthetic",
                    "cco approval key",
                    signing_key(seed("cco approval key")),
                ),
            ],
        }
    }

    fn describe(&self) -> Value {
        json!({
            "seller_signing": {
                "ed25519_seed_label": "seller signing key",
                "ed25519_seed": hex(&seed("seller signing key")),
                "public": hex(self.seller_sign.verifying_key().as_bytes()),
            },
            "buyer_signing": {
                "ed25519_seed_label": "buyer signing key",
                "ed25519_seed": hex(&seed("buyer signing key")),
                "public": hex(self.buyer_sign.verifying_key().as_bytes()),
            },
            "ledger_log": {
                "ed25519_seed_label": "ledger log key",
                "ed25519_seed": hex(&seed("ledger log key")),
                "vkey": self.log.verifier().to_vkey(),
            },
            "consent_log": {
                "ed25519_seed_label": "consent log key",
                "ed25519_seed": hex(&seed("consent log key")),
                "vkey": self.consent_log.verifier().to_vkey(),
            },
            "witness": {
                "ed25519_seed_label": "witness key",
                "ed25519_seed": hex(&seed("witness key")),
                "vkey": self.witness.verifier().to_vkey(),
            },
            "buyer_recipient": {
                "x25519_ikm_label": "buyer recipient key",
                "x25519_ikm": hex(&seed("buyer recipient key")),
                "private": hex(self.recipient.expose_private_bytes()),
                "public": hex(self.recipient.public_key().as_bytes()),
            },
            "approver_dpo": self.approver_entry(0),
            "approver_cco": self.approver_entry(1),
        })
    }

    fn approver_entry(&self, i: usize) -> Value {
        let (actor, label, key) = &self.approvers[i];
        json!({
            "actor": actor,
            "ed25519_seed_label": label,
            "ed25519_seed": hex(&seed(label)),
            "public": hex(key.verifying_key().as_bytes()),
        })
    }
}

/// The ledger: seven opaque payloads, entry 2 redacted (its redaction record is entry 7), roots at every
/// size, every inclusion and consistency proof, and checkpoints (plain, with a time line, cosigned).
fn ledger_vectors(keys: &Keys, files: &mut Files) {
    let mut payloads: Vec<Vec<u8>> = (0..7)
        .map(|i| format!("synthetic opaque entry {i}").into_bytes())
        .collect();
    let salt_2 = Salt::from_bytes(seed("ledger salt 2"));
    let target_leaf = leaf_hash(&salt_2, &payloads[2]);
    let mut redaction = REDACTION_TAG.to_vec();
    redaction.extend_from_slice(&2u64.to_be_bytes());
    redaction.extend_from_slice(target_leaf.as_bytes());
    redaction.extend_from_slice(b"synthetic erasure request 1 (PIPL Art 47)");
    payloads.push(redaction);
    let mut log = deterministic_log(&payloads, "ledger");
    log.store().redact(2).unwrap();
    log.reload().unwrap();
    let size = log.size();
    let mut entries = Vec::new();
    for i in 0..size {
        let entry = log.entry(i).unwrap();
        let mut e = json!({"index": i, "leaf_hash": hex(entry.leaf_hash().as_bytes())});
        if let custodia_ledger::EntryContent::Present { salt, payload } = entry.content() {
            e["salt"] = json!(hex(salt.as_bytes()));
            e["payload_hex"] = json!(hex(payload));
        } else {
            e["redacted"] = json!(true);
        }
        entries.push(e);
    }
    let roots: Vec<Value> = (0..=size)
        .map(|n| json!({"size": n, "root": hex(log.root_at(n).unwrap().as_bytes())}))
        .collect();
    let mut inclusion = Vec::new();
    for n in 1..=size {
        for i in 0..n {
            let proof: InclusionProof = log.inclusion_proof(i, n).unwrap();
            inclusion.push(serde_json::to_value(&proof).unwrap());
        }
    }
    let mut consistency = Vec::new();
    for n in 0..=size {
        for m in 0..=n {
            let proof: ConsistencyProof = log.consistency_proof(m, n).unwrap();
            consistency.push(serde_json::to_value(&proof).unwrap());
        }
    }
    let origin = "vectors.example/ledger";
    let plain = log.checkpoint(&keys.log, origin).unwrap();
    let timed = SignedCheckpoint::sign(
        Checkpoint::new(origin, size, log.root())
            .unwrap()
            .with_time(at(2026, 7, 1))
            .unwrap(),
        &keys.log,
    )
    .unwrap();
    let cosigned = plain.cosigned(&keys.witness, at(2026, 7, 2)).unwrap();
    files.insert("ledger/checkpoint.note".into(), plain.to_bytes());
    files.insert("ledger/checkpoint-with-time.note".into(), timed.to_bytes());
    files.insert("ledger/checkpoint-cosigned.note".into(), cosigned.to_bytes());
    put_json(
        files,
        "ledger/log.json",
        &json!({
            "origin": origin,
            "log_vkey": keys.log.verifier().to_vkey(),
            "witness_vkey": keys.witness.verifier().to_vkey(),
            "entries": entries,
            "roots": roots,
            "redaction": {"record_index": 7, "target": 2, "reason_utf8": "synthetic erasure request 1 (PIPL Art 47)"},
        }),
    );
    put_json(files, "ledger/inclusion-proofs.json", &Value::Array(inclusion));
    put_json(
        files,
        "ledger/consistency-proofs.json",
        &Value::Array(consistency),
    );
}

fn processing() -> ProcessingDetails {
    ProcessingDetails {
        controller_id: custodia_synthetic::parties::credit_code(custodia_synthetic::parties::SELLER_STEM)
            .unwrap()
            .to_string(),
        controller_address: "上海市浦东新区示例路 1 号 (synthetic)".into(),
        jurisdiction: Jurisdiction::MAINLAND_CHINA,
        storage_locations: [Jurisdiction::MAINLAND_CHINA].into(),
        withdrawal: WithdrawalMethod {
            channels: [Channel::Web, Channel::Email, Channel::Paper].into(),
            contact: "privacy@seller.example".into(),
        },
    }
}

/// The consent ledger: a notice (format 3) and one event of every kind, a checkpoint, and the receipt of
/// every event (a consent record for the grants and the withdrawal, a record of its own kind for the rest).
fn consent_vectors(keys: &Keys, files: &mut Files) {
    let buyer = PartyId::from_uuid(uuid("buyer party id", 4)).unwrap();
    let published = at(2026, 1, 5);
    let notice = Notice::new(NoticeDraft {
        id: NoticeId::from_uuid(uuid("notice id", 4)).unwrap(),
        version: 1,
        controller_name: "示例保险经纪有限公司 (synthetic)".into(),
        controller_contact: "privacy@seller.example".into(),
        purposes: [Purpose::PolicyServicing, Purpose::Marketing, Purpose::Transfer].into(),
        categories: [
            DataCategory::Identity,
            DataCategory::Contact,
            DataCategory::Health,
            DataCategory::Policies,
        ]
        .into(),
        recipients: vec![NoticeRecipient {
            recipient: Recipient::ThirdParty(buyer),
            name: "承接保险经纪有限公司 (synthetic)".into(),
            contact: "privacy@buyer.example".into(),
        }],
        destinations: [Jurisdiction::HONG_KONG].into(),
        retention: "policy term plus 10 years (Broker Rule 2018 Art 51)".into(),
        rights: "access, copy, correct, delete, withdraw at privacy@seller.example".into(),
        language: "zh-CN".into(),
        text_digest: Digest::of("synthetic notice text v1".as_bytes()),
        published_at: published,
        recorded_at: published,
        processing: Some(processing()),
    })
    .unwrap();
    let customer = |label: &str, created| CustomerId::from_uuid(uuid_v7(label, created)).unwrap();
    let (a, b, c) = (
        customer("customer A", at(2019, 3, 14)),
        customer("customer B", at(2021, 8, 2)),
        customer("customer C", at(2024, 11, 30)),
    );
    let scope =
        |purposes: &[Purpose], categories: &[DataCategory], recipient, destinations: &[Jurisdiction]| {
            ConsentScope::new(
                purposes.iter().cloned(),
                categories.iter().copied(),
                recipient,
                destinations.iter().copied(),
            )
            .unwrap()
        };
    let event = |n: u8, customer, kind, scope, form, channel, effective: DateTime<Utc>, expires| {
        ConsentEvent::new(EventDraft {
            id: EventId::from_uuid(uuid(&format!("event {n}"), 4)).unwrap(),
            customer,
            kind,
            scope,
            form,
            notice: notice.reference(),
            channel,
            evidence: Digest::of(format!("synthetic evidence {n}").as_bytes()),
            effective_at: effective,
            recorded_at: effective + chrono::Duration::hours(2),
            recorded_by: ActorId::new("clerk-synthetic-1").unwrap(),
            expires_at: expires,
        })
        .unwrap()
    };
    let guardian = GuardianId::from_uuid(uuid("guardian of B", 4)).unwrap();
    let controller = Recipient::Controller;
    let third = Recipient::ThirdParty(buyer);
    let events = [
        event(
            1,
            a,
            EventKind::Granted,
            scope(&[Purpose::Marketing], &[DataCategory::Contact], controller, &[]),
            ConsentForm::Bundled,
            Channel::Web,
            at(2026, 2, 1),
            Some(at(2028, 2, 1)),
        ),
        event(
            2,
            b,
            EventKind::GuardianGranted { guardian },
            scope(
                &[Purpose::PolicyServicing],
                &[DataCategory::Identity, DataCategory::Health],
                controller,
                &[],
            ),
            ConsentForm::Separate,
            Channel::Paper,
            at(2026, 2, 2),
            None,
        ),
        event(
            3,
            a,
            EventKind::Granted,
            scope(
                &[Purpose::Transfer],
                &[DataCategory::Policies, DataCategory::Health],
                third,
                &[Jurisdiction::HONG_KONG],
            ),
            ConsentForm::Separate,
            Channel::MobileApp,
            at(2026, 2, 3),
            None,
        ),
        event(
            4,
            a,
            EventKind::Withdrawn,
            scope(&[Purpose::Marketing], &[DataCategory::Contact], controller, &[]),
            ConsentForm::Bundled,
            Channel::Email,
            at(2026, 3, 1),
            None,
        ),
        event(
            5,
            c,
            EventKind::NoticeServed,
            scope(
                &[Purpose::Transfer],
                &[DataCategory::Identity, DataCategory::Policies],
                Recipient::Successor(buyer),
                &[],
            ),
            ConsentForm::Bundled,
            Channel::Sms,
            at(2026, 3, 2),
            None,
        ),
        event(
            6,
            c,
            EventKind::Objected,
            scope(&[Purpose::Marketing], &[DataCategory::Contact], controller, &[]),
            ConsentForm::Bundled,
            Channel::Phone,
            at(2026, 3, 3),
            None,
        ),
        event(
            7,
            c,
            EventKind::Refused,
            scope(&[Purpose::Transfer], &[DataCategory::Policies], third, &[]),
            ConsentForm::Separate,
            Channel::InPerson,
            at(2026, 3, 4),
            None,
        ),
        event(
            8,
            a,
            EventKind::Provided,
            scope(
                &[Purpose::Transfer],
                &[DataCategory::Policies],
                third,
                &[Jurisdiction::HONG_KONG],
            ),
            ConsentForm::Separate,
            Channel::Other,
            at(2026, 3, 5),
            None,
        ),
    ];
    let mut records = vec![ConsentRecord::Notice(notice.clone())];
    records.extend(events.iter().cloned().map(ConsentRecord::Event));
    let payloads: Vec<Vec<u8>> = records.iter().map(|r| r.encode().unwrap()).collect();
    let log = deterministic_log(&payloads, "consent");
    let policy = BasisPolicy::cn_insurance_broker(TransferPath::SeparateConsent);
    let mut ledger = ConsentLedger::open(log, policy, &mut |_| {}).unwrap();
    let origin = "vectors.example/consent";
    let checkpoint = ledger
        .checkpoint(&keys.consent_log, origin, at(2026, 4, 1))
        .unwrap();
    files.insert("consent/checkpoint.note".into(), checkpoint.to_bytes());
    for (i, payload) in payloads.iter().enumerate() {
        files.insert(format!("consent/payload-{i}.json"), payload.clone());
    }
    // The same notice as formats 2 and 1 wrote it, which a reader still decodes.
    let text = String::from_utf8(payloads[0].clone()).unwrap();
    let cut = text.find(",\"processing\":").unwrap();
    let format_2 = format!("{}}}}}}}", &text[..cut]).replacen("\"format\":3", "\"format\":2", 1);
    let field = format_2.find(",\"recorded_at\":\"").unwrap();
    let end = format_2[field + 16..].find('"').unwrap() + field + 17;
    let format_1 =
        format!("{}{}", &format_2[..field], &format_2[end..]).replacen("\"format\":2", "\"format\":1", 1);
    files.insert("consent/notice-format-2.json".into(), format_2.into_bytes());
    files.insert("consent/notice-format-1.json".into(), format_1.into_bytes());
    let mut receipts = Vec::new();
    for (i, e) in events.iter().enumerate() {
        let index = i as u64 + 1;
        let receipt = ledger.receipt(index, &checkpoint).unwrap();
        let name = format!("consent/receipt-{index}.json");
        let mut text = serde_json::to_string_pretty(&receipt).unwrap();
        text.push('\n');
        files.insert(name.clone(), text.into_bytes());
        receipts.push(json!({
            "file": name,
            "ledger_index": index,
            "event_kind": serde_json::to_value(e.kind()).unwrap(),
            "record_kind": serde_json::to_value(receipt.fields().record_kind).unwrap(),
            "receipt_id": receipt.fields().receipt_id.to_string(),
        }));
    }
    put_json(
        files,
        "consent/consent.json",
        &json!({
            "origin": origin,
            "log_vkey": keys.consent_log.verifier().to_vkey(),
            "tree_size": checkpoint.checkpoint().size(),
            "root": hex(checkpoint.checkpoint().root().as_bytes()),
            "payloads": (0..payloads.len()).map(|i| json!({
                "file": format!("consent/payload-{i}.json"),
                "ledger_index": i,
                "salt": hex(&seed(&format!("consent salt {i}"))),
            })).collect::<Vec<_>>(),
            "receipts": receipts,
            "customers": {
                "A": {"id": a.to_string(), "created": "2019-03-14T09:00:00Z"},
                "B": {"id": b.to_string(), "created": "2021-08-02T09:00:00Z"},
                "C": {"id": c.to_string(), "created": "2024-11-30T09:00:00Z"},
            },
        }),
    );
}

fn parties(keys: &Keys) -> (TransferParty, TransferParty) {
    let party = |name: &str, stem: &str, label: &str, contact: &str, key: &SigningKey| {
        TransferParty::with_keys(
            PartyDetails {
                party_id: PartyId::from_uuid(uuid(label, 4)).unwrap(),
                name: name.into(),
                credit_code: custodia_synthetic::parties::credit_code(stem).unwrap(),
                licence: "260000000000001".into(),
                contact: contact.into(),
                jurisdiction: Jurisdiction::MAINLAND_CHINA,
            },
            &key.verifying_key(),
            &keys.recipient.public_key(),
        )
        .unwrap()
    };
    (
        party(
            "示例保险经纪有限公司 (synthetic)",
            custodia_synthetic::parties::SELLER_STEM,
            "seller party id",
            "privacy@seller.example",
            &keys.seller_sign,
        ),
        party(
            "承接保险经纪有限公司 (synthetic)",
            custodia_synthetic::parties::BUYER_STEM,
            "buyer party id",
            "privacy@buyer.example",
            &keys.buyer_sign,
        ),
    )
}

fn agreement(keys: &Keys) -> SignedAgreement {
    let (seller, buyer) = parties(keys);
    let terms = AgreementTerms {
        transfer_id: TransferId::from_uuid(uuid("transfer id", 4)).unwrap(),
        seller,
        buyer,
        legal_path: TransferPath::MergerNotice,
        scope: vec![
            ScopeItem {
                purpose: Purpose::PolicyServicing,
                categories: [
                    DataCategory::Identity,
                    DataCategory::Contact,
                    DataCategory::Policies,
                ]
                .into(),
            },
            ScopeItem {
                purpose: Purpose::ClaimsAssistance,
                categories: [DataCategory::Claims, DataCategory::Health].into(),
            },
        ],
        selection: CustomerSelection::LapsedWithinYears(5),
        objection_window_days: 30,
        sensitive: SensitiveRule::RequireSeparateConsent,
        minors: MinorRule::RequireGuardianConsent,
        cross_border: Some(CrossBorderTerms {
            destination: Jurisdiction::HONG_KONG,
            mechanism: Mechanism::StandardContract,
            reference: "SC-2026-0001 (synthetic)".into(),
            exemption: None,
            operator: OperatorStatus::Ordinary,
        }),
        obligations: BuyerObligations {
            continue_retention_duties: true,
            purpose_limitation: true,
            security_measures: "AES-256-GCM per customer and category; keys under a KMS (synthetic)".into(),
        },
        impact_assessment: "PIA-2026-001 (synthetic)".into(),
        effective: NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
        deal: DealTerms {
            kind: DealKind::BookTransfer,
            records_kept_by: RecordKeeper::Buyer,
            seller_after: SellerAfterTransfer::Dissolves,
            disposal_plan_report: Some(DisposalPlanReport {
                reference: "NDSR-32-2026-0001 (synthetic)".into(),
                authority: "Shanghai CAC (synthetic)".into(),
                filed_on: NaiveDate::from_ymd_opt(2026, 5, 20).unwrap(),
            }),
        },
    };
    DraftAgreement::new(terms)
        .unwrap()
        .sign_as_seller(&keys.seller_sign)
        .unwrap()
        .countersign_as_buyer(&keys.buyer_sign)
        .unwrap()
}

/// The agreement envelope and its canonical terms.
fn agreement_vectors(keys: &Keys, files: &mut Files) -> SignedAgreement {
    let agreement = agreement(keys);
    files.insert("transfer/agreement.bin".into(), agreement.encode());
    files.insert(
        "transfer/agreement-terms.txt".into(),
        agreement.as_bytes().to_vec(),
    );
    agreement
}

/// One customer's data key and sections, sealed the way `spec/crypto.md` says, with ring directly.
struct SealedCustomer {
    label: &'static str,
    created: DateTime<Utc>,
    customer: CustomerId,
    dek_id: DekId,
    dek: [u8; 32],
    wrapped: WrappedKey,
    sections: Vec<(DataCategory, u64, Vec<u8>, SealedSection)>,
}

/// The seller's explicit KEK (version 1).
fn seller_kek() -> [u8; 32] {
    seed("seller kek version 1")
}

fn sealed_customer(
    label: &'static str,
    created: DateTime<Utc>,
    categories: &[(DataCategory, u64)],
) -> SealedCustomer {
    let customer = CustomerId::from_uuid(uuid_v7(label, created)).unwrap();
    let dek_id = DekId::from_uuid(uuid(&format!("{label} dek id"), 4)).unwrap();
    let dek = seed(&format!("{label} dek"));
    let kek_version = 1u32;
    let mut aad = b"custodia/dek-wrap/v1".to_vec();
    aad.extend_from_slice(customer.as_bytes());
    aad.extend_from_slice(dek_id.as_bytes());
    aad.extend_from_slice(&kek_version.to_be_bytes());
    let wrap_nonce = nonce(&format!("{label} wrap nonce"));
    let mut wrapped = vec![1u8];
    wrapped.extend_from_slice(customer.as_bytes());
    wrapped.extend_from_slice(dek_id.as_bytes());
    wrapped.extend_from_slice(&kek_version.to_be_bytes());
    wrapped.extend_from_slice(&wrap_nonce);
    wrapped.extend_from_slice(&aes_gcm(&seller_kek(), wrap_nonce, &aad, &dek));
    let wrapped = WrappedKey::decode(&wrapped).unwrap();
    let mut sections = Vec::new();
    for (category, version) in categories {
        let plaintext = format!(
            "{{\"synthetic\":true,\"customer\":\"{label}\",\"category\":\"{category}\",\"version\":{version}}}"
        )
        .into_bytes();
        let mut aad = b"custodia/section/v1".to_vec();
        aad.push(1);
        aad.extend_from_slice(customer.as_bytes());
        aad.push(category.tag());
        aad.extend_from_slice(&version.to_be_bytes());
        aad.extend_from_slice(dek_id.as_bytes());
        let n = nonce(&format!("{label} {category} v{version} nonce"));
        let mut bytes = vec![1u8];
        bytes.extend_from_slice(dek_id.as_bytes());
        bytes.extend_from_slice(&n);
        bytes.extend_from_slice(&aes_gcm(&dek, n, &aad, &plaintext));
        let sealed = SealedSection::from_bytes(&bytes).unwrap();
        sections.push((*category, *version, plaintext, sealed));
    }
    SealedCustomer {
        label,
        created,
        customer,
        dek_id,
        dek,
        wrapped,
        sections,
    }
}

/// The formats of custodia-crypto a buyer meets: a sealed section and a wrapped key.
fn crypto_vectors(files: &mut Files) {
    let c = sealed_customer("crypto customer", at(2020, 5, 20), &[(DataCategory::Health, 3)]);
    let (category, version, plaintext, sealed) = &c.sections[0];
    files.insert("crypto/section.bin".into(), sealed.to_bytes());
    files.insert("crypto/wrapped-key.bin".into(), c.wrapped.encode());
    put_json(
        files,
        "crypto/crypto.json",
        &json!({
            "section": {
                "file": "crypto/section.bin",
                "customer": c.customer.to_string(),
                "category": category.code(),
                "category_tag": category.tag(),
                "record_version": version,
                "dek_id": c.dek_id.to_string(),
                "dek": hex(&c.dek),
                "plaintext_utf8": String::from_utf8(plaintext.clone()).unwrap(),
            },
            "wrapped_key": {
                "file": "crypto/wrapped-key.bin",
                "kek_version": 1,
                "kek": hex(&seller_kek()),
                "customer": c.customer.to_string(),
                "dek_id": c.dek_id.to_string(),
                "dek": hex(&c.dek),
            },
        }),
    );
}

/// HKDF-SHA256 (RFC 5869): extract with `salt`, expand with the concatenation of `info` into `N` bytes.
fn hkdf<const N: usize>(salt: &[u8], ikm: &[u8], info: &[&[u8]]) -> [u8; N] {
    struct Len(usize);
    impl ring::hkdf::KeyType for Len {
        fn len(&self) -> usize {
            self.0
        }
    }
    let prk = ring::hkdf::Salt::new(ring::hkdf::HKDF_SHA256, salt).extract(ikm);
    let mut out = [0u8; N];
    prk.expand(info, Len(N)).unwrap().fill(&mut out).unwrap();
    out
}

/// The package's random values, derived from the seller's case secret the way `spec/package.md`
/// ("Reproducible packages") says custodia-brokerage derives them.
struct CaseSecret([u8; 32]);

impl CaseSecret {
    /// The case secret of the seller whose root secret is `seed("seller root secret")`, for `agreement`.
    fn new(agreement: &SignedAgreement) -> Self {
        Self(hkdf(
            b"custodia/key-hierarchy/v1",
            &seed("seller root secret"),
            &[b"custodia/transfer-case/v1", agreement.digest().as_bytes()],
        ))
    }

    fn derive<const N: usize>(&self, info: &[&[u8]]) -> [u8; N] {
        hkdf(b"custodia/transfer-secret/v1", &self.0, info)
    }
}

/// Hands out fixed bytes as the randomness HPKE draws its ephemeral key from.
struct FixedRng(Vec<u8>);

impl hpke::rand_core::TryRng for FixedRng {
    type Error = std::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        unreachable!("HPKE draws bytes")
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        unreachable!("HPKE draws bytes")
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        let rest = self.0.split_off(dst.len());
        dst.copy_from_slice(&self.0);
        self.0 = rest;
        Ok(())
    }
}

impl hpke::rand_core::TryCryptoRng for FixedRng {}

/// The three customers of the package: the consent vectors' A, B and C (same ids), with their sections.
fn package_customers() -> Vec<SealedCustomer> {
    use DataCategory::*;
    vec![
        sealed_customer("customer A", at(2019, 3, 14), &[(Identity, 1), (Policies, 2)]),
        sealed_customer(
            "customer B",
            at(2021, 8, 2),
            &[(Identity, 1), (Health, 1), (Policies, 1)],
        ),
        sealed_customer("customer C", at(2024, 11, 30), &[(Contact, 1), (Policies, 3)]),
    ]
}

/// A customer id that is not in the package, for the not-moved proofs.
fn absent_customer(label: &str, created: DateTime<Utc>) -> CustomerId {
    CustomerId::from_uuid(uuid_v7(label, created)).unwrap()
}

/// The package, written byte by byte as `spec/package.md` says (a second encoder beside custodia's
/// writer), its values derived from the case secret. Returns the bytes.
fn package_bytes(keys: &Keys, agreement: &SignedAgreement, customers: &[SealedCustomer]) -> Vec<u8> {
    package_bytes_with(keys, agreement, customers, None)
}

/// Entry `index`'s body sealed as `spec/package.md` ("Sealed entries") says: the entry key and nonce
/// derived from the transfer key with HKDF-SHA256, the AAD binding transfer, index and body length.
fn seal_entry(transfer_key: &[u8; 32], transfer: &[u8; 16], index: u64, body: &[u8]) -> Vec<u8> {
    let salt = b"custodia/package-entries/v2";
    let entry_key: [u8; 32] = hkdf(salt, transfer_key, &[b"entry key", transfer]);
    let nonce: [u8; 12] = hkdf(
        salt,
        transfer_key,
        &[b"entry nonce", transfer, &index.to_be_bytes(), &sha256(body)],
    );
    let mut aad = b"custodia/package-entry/v2".to_vec();
    aad.extend_from_slice(transfer);
    aad.extend_from_slice(&index.to_be_bytes());
    aad.extend_from_slice(&(body.len() as u32).to_be_bytes());
    assert_eq!(aad.len(), 53);
    let mut sealed = nonce.to_vec();
    sealed.extend_from_slice(&aes_gcm(&entry_key, nonce, &aad, body));
    sealed
}

/// [`package_bytes`], where `first_wrapped_transfer` (if given) replaces the transfer id inside the first
/// customer's transfer-wrapped key before it is sealed and signed: a package the seller signed that
/// nonetheless breaks a rule only a reader with the transfer key can see.
fn package_bytes_with(
    keys: &Keys,
    agreement: &SignedAgreement,
    customers: &[SealedCustomer],
    first_wrapped_transfer: Option<[u8; 16]>,
) -> Vec<u8> {
    let case = CaseSecret::new(agreement);
    let transfer = *agreement.transfer_id().as_bytes();
    let transfer_key: [u8; 32] = case.derive(&[b"transfer key", &transfer]);
    let recipient = keys.recipient.public_key();
    let ephemeral: [u8; 64] = case.derive(&[b"hpke ephemeral", &transfer, recipient.as_bytes()]);
    let mut info = b"custodia/transfer-key/v1".to_vec();
    info.extend_from_slice(&transfer);
    let mut aad = vec![1u8];
    aad.extend_from_slice(&transfer);
    use hpke::{Deserializable, Serializable};
    type Kem = hpke::kem::X25519HkdfSha256;
    let pk = <Kem as hpke::Kem>::PublicKey::from_bytes(recipient.as_bytes()).unwrap();
    let (enc, ciphertext) =
        hpke::single_shot_seal_with_rng::<hpke::aead::AesGcm256, hpke::kdf::HkdfSha256, Kem>(
            &hpke::OpModeS::Base,
            &pk,
            &info,
            &transfer_key,
            &aad,
            &mut FixedRng(ephemeral.to_vec()),
        )
        .unwrap();
    let mut sealed_key = aad.clone();
    sealed_key.extend_from_slice(&enc.to_bytes());
    sealed_key.extend_from_slice(&ciphertext);
    assert_eq!(sealed_key.len(), 97);

    let mut out = b"CUSTXFER".to_vec();
    out.push(2);
    out.extend_from_slice(&transfer);
    out.extend_from_slice(agreement.digest().as_bytes());
    out.extend_from_slice(&sha256(keys.seller_sign.verifying_key().as_bytes())[..8]);
    out.extend_from_slice(&sha256(recipient.as_bytes())[..8]);
    out.extend_from_slice(&at(2026, 7, 15).timestamp().to_be_bytes());
    out.extend_from_slice(&97u16.to_be_bytes());
    out.extend_from_slice(&sealed_key);
    assert_eq!(out.len(), 180);
    let header = out.clone();

    let mut leaves = Vec::new();
    let (mut sections, mut section_bytes) = (0u64, 0u64);
    for (index, c) in customers.iter().enumerate() {
        let customer = *c.customer.as_bytes();
        let dek_id = *c.dek_id.as_bytes();
        let nonce: [u8; 12] = case.derive(&[b"re-wrap nonce", &transfer, &customer, &dek_id]);
        let mut wrap_aad = b"custodia/transfer-wrap/v1".to_vec();
        wrap_aad.extend_from_slice(&transfer);
        wrap_aad.extend_from_slice(&customer);
        wrap_aad.extend_from_slice(&dek_id);
        let mut wrapped = vec![1u8];
        wrapped.extend_from_slice(&transfer);
        wrapped.extend_from_slice(&customer);
        wrapped.extend_from_slice(&dek_id);
        wrapped.extend_from_slice(&nonce);
        wrapped.extend_from_slice(&aes_gcm(&transfer_key, nonce, &wrap_aad, &c.dek));
        assert_eq!(wrapped.len(), 109);
        if let (0, Some(other)) = (index, first_wrapped_transfer) {
            wrapped[1..17].copy_from_slice(&other);
        }
        let salt: [u8; 32] = case.derive(&[b"manifest salt", &customer]);
        let mut body = salt.to_vec();
        body.extend_from_slice(&customer);
        body.extend_from_slice(&(wrapped.len() as u16).to_be_bytes());
        body.extend_from_slice(&wrapped);
        body.push(c.sections.len() as u8);
        let mut entry = vec![1u8];
        entry.extend_from_slice(&customer);
        entry.push(c.sections.len() as u8);
        for (category, version, _, sealed) in &c.sections {
            let bytes = sealed.to_bytes();
            body.push(category.tag());
            body.extend_from_slice(&version.to_be_bytes());
            body.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
            body.extend_from_slice(&bytes);
            sections += 1;
            section_bytes += bytes.len() as u64;
            entry.push(category.tag());
            entry.extend_from_slice(&version.to_be_bytes());
            entry.extend_from_slice(&sha256(&bytes));
        }
        entry.extend_from_slice(&sha256(&wrapped));
        leaves.push(leaf_hash(&Salt::from_bytes(salt), &entry));
        let sealed = seal_entry(&transfer_key, &transfer, index as u64, &body);
        assert_eq!(sealed.len(), body.len() + 28);
        out.push(0x01);
        out.extend_from_slice(&(sealed.len() as u32).to_be_bytes());
        out.extend_from_slice(&sealed);
    }
    let entries_digest = sha256(&out[180..]);
    let root = manifest_root(&leaves);
    let count = customers.len() as u64;
    let mut signed = count.to_be_bytes().to_vec();
    signed.extend_from_slice(&sections.to_be_bytes());
    signed.extend_from_slice(&section_bytes.to_be_bytes());
    signed.extend_from_slice(&entries_digest);
    signed.extend_from_slice(root.as_bytes());
    let mut message = b"custodia-transfer/package-signature/v2\0".to_vec();
    message.extend_from_slice(&header);
    message.extend_from_slice(&signed);
    assert_eq!(message.len(), 39 + 180 + 88);
    out.push(0x02);
    out.extend_from_slice(&signed);
    out.extend_from_slice(keys.seller_sign.sign(&message).as_bytes());
    out
}

/// RFC 9162 MTH, from the definition.
fn manifest_root(leaves: &[MerkleHash]) -> MerkleHash {
    match leaves.len() {
        0 => custodia_ledger::empty_root(),
        1 => leaves[0],
        n => {
            let k = 1 << (usize::BITS - 1 - (n - 1).leading_zeros());
            node_hash(&manifest_root(&leaves[..k]), &manifest_root(&leaves[k..]))
        }
    }
}

/// The same package written by custodia's own writer, its randomness derived by custodia-crypto's key
/// hierarchy from the seller root secret: it must be the bytes the second encoder wrote, which proves that
/// `spec/package.md` ("Reproducible packages") says what custodia-brokerage does.
fn package_by_custodia(keys: &Keys, agreement: &SignedAgreement, customers: &[SealedCustomer]) -> Vec<u8> {
    use custodia_crypto::{KeyHierarchy, PackageRandomness, RootSecret};
    use custodia_transfer::package::{PackageWriter, TravellingSection};
    use custodia_transfer::{ProofTree, WriterSettings};
    let hierarchy = KeyHierarchy::new(RootSecret::from_slice(&seed("seller root secret")).unwrap());
    let secret = hierarchy.transfer_secret(agreement.digest().as_bytes()).unwrap();
    let keyring = Keyring::from_key_material(1, &seller_kek(), KeyringConfig::default()).unwrap();
    let mut out = Vec::new();
    let settings = WriterSettings {
        created_at: at(2026, 7, 15),
        proof_tree: ProofTree::Discard,
        randomness: PackageRandomness::derived(secret),
    };
    let mut writer = PackageWriter::start_with(&mut out, agreement, &keys.seller_sign, settings).unwrap();
    for c in customers {
        let sections = c
            .sections
            .iter()
            .map(|(category, version, _, sealed)| TravellingSection {
                category: *category,
                record_version: *version,
                sealed: sealed.clone(),
            })
            .collect();
        writer.add(&keyring, &c.wrapped, sections).unwrap();
    }
    writer.finish().unwrap();
    out
}

/// The vector package's transfer key, opened from its header with the buyer's private key.
fn vector_transfer_key(
    keys: &Keys,
    agreement: &SignedAgreement,
    bytes: &[u8],
) -> custodia_crypto::TransferKey {
    let reader = PackageReader::open(bytes, DEFAULT_MAX_ENTRY_LEN).unwrap();
    keys.recipient
        .open_transfer_key(reader.header().sealed_key(), agreement.transfer_id())
        .unwrap()
}

/// The buyer's side of the package vector with custodia's own reader: import into fresh stores.
struct Imported {
    outcome: ImportOutcome,
    keyring: Keyring,
    keys: InMemoryKeyStore,
    sections: InMemoryVault,
}

fn import_vector(keys: &Keys, agreement: &SignedAgreement, bytes: &[u8]) -> Imported {
    let buyer_ring =
        Keyring::from_key_material(1, &seed("buyer kek version 1"), KeyringConfig::default()).unwrap();
    let (staged_keys, staged) = (InMemoryKeyStore::new(), InMemoryVault::new());
    let outcome = custodia_transfer::import(
        bytes,
        agreement,
        Buyer {
            recipient: &keys.recipient,
            keyring: &buyer_ring,
            keys: &staged_keys,
            sections: &staged,
        },
        &ImportSettings::default(),
        &mut |_| {},
    )
    .unwrap();
    Imported {
        outcome,
        keyring: buyer_ring,
        keys: staged_keys,
        sections: staged,
    }
}

/// The package (three customers), its description, three customer proofs and the buyer's receipt.
fn package_vectors(keys: &Keys, agreement: &SignedAgreement, files: &mut Files) {
    let customers = package_customers();
    let bytes = package_bytes(keys, agreement, &customers);
    assert!(
        package_by_custodia(keys, agreement, &customers) == bytes,
        "custodia's writer with derived randomness does not write what spec/package.md says"
    );
    let outcome = import_vector(keys, agreement, &bytes).outcome;
    let transfer_key = vector_transfer_key(keys, agreement, &bytes);
    let mut reader = PackageReader::open(bytes.as_slice(), DEFAULT_MAX_ENTRY_LEN).unwrap();
    let header = reader.header().clone();
    reader.unseal_with(&transfer_key).unwrap();
    let mut leaves = Vec::new();
    let mut sealed_lengths = Vec::new();
    let trailer = loop {
        let at = reader.offset();
        match reader.next_record().unwrap() {
            Record::Entry(e) => {
                leaves.push(hex(e.manifest_entry().leaf_hash().as_bytes()));
                sealed_lengths.push(reader.offset() - at - 5);
            }
            Record::Sealed(_) => unreachable!("the reader has the key"),
            Record::Trailer(t) => break t,
        }
    };
    let signature = trailer.signature;
    let (d, e) = (
        absent_customer("customer D", at(2022, 4, 1)),
        absent_customer("customer E", at(2018, 1, 9)),
    );
    let proofs = custodia_transfer::prove(
        bytes.as_slice(),
        &transfer_key,
        &outcome.tree,
        &[customers[1].customer, d, e],
        DEFAULT_MAX_ENTRY_LEN,
    )
    .unwrap();
    for (name, proof) in ["moved", "not-moved", "not-moved-first"].iter().zip(&proofs) {
        let mut text = serde_json::to_string_pretty(proof).unwrap();
        text.push('\n');
        files.insert(format!("transfer/proof-{name}.json"), text.into_bytes());
    }
    let receipt = outcome.receipt(agreement, at(2026, 7, 16));
    let signed = custodia_transfer::SignedReceipt::sign(receipt, agreement, &keys.buyer_sign).unwrap();
    files.insert("transfer/receipt.bin".into(), signed.encode());
    put_json(
        files,
        "transfer/package.json",
        &json!({
            "file": "transfer/package.pkg",
            "agreement": "transfer/agreement.bin",
            "sha256": hex(&sha256(&bytes)),
            "length": bytes.len(),
            "header": {
                "transfer_id": header.transfer_id().to_string(),
                "agreement_digest": hex(header.agreement_digest().as_bytes()),
                "seller_key_id": hex(&header.seller_key_id()),
                "buyer_key_id": hex(&header.buyer_key_id()),
                "created_at": "2026-07-15T09:00:00Z",
            },
            "seller_root_secret_label": "seller root secret",
            "seller_root_secret": hex(&seed("seller root secret")),
            "transfer_key": hex(&CaseSecret::new(agreement).derive::<32>(&[b"transfer key", header.transfer_id().as_bytes()])),
            "count": outcome.customers,
            "sections": outcome.sections,
            "section_bytes": trailer.signed.section_bytes,
            "sealed_entry_lengths": sealed_lengths,
            "entries_digest": hex(&trailer.signed.entries_digest),
            "root": hex(outcome.root.as_bytes()),
            "signature": hex(&signature),
            "leaves": leaves,
            "customers": customers.iter().map(|c| json!({
                "label": c.label,
                "id": c.customer.to_string(),
                "created": c.created.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "dek_id": c.dek_id.to_string(),
                "dek": hex(&c.dek),
                "sections": c.sections.iter().map(|(category, version, plaintext, sealed)| json!({
                    "category": category.code(),
                    "category_tag": category.tag(),
                    "record_version": version,
                    "sha256": hex(&sha256(&sealed.to_bytes())),
                    "plaintext_utf8": String::from_utf8(plaintext.clone()).unwrap(),
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "proofs": [
                {"file": "transfer/proof-moved.json", "customer": customers[1].customer.to_string(), "moved": true},
                {"file": "transfer/proof-not-moved.json", "customer": d.to_string(), "moved": false,
                 "created": "2022-04-01T09:00:00Z"},
                {"file": "transfer/proof-not-moved-first.json", "customer": e.to_string(), "moved": false,
                 "created": "2018-01-09T09:00:00Z"},
            ],
        }),
    );
    files.insert("transfer/package.pkg".into(), bytes);
}

/// The destruction certificate payload of `spec/ledger-payloads.md`: one execution of a two-approver plan
/// after a transfer (whole customer crypto-shredded; another's contact section deleted).
fn certificate_payload() -> String {
    let plan = uuid("destruction plan", 4);
    let (a, c) = (
        uuid_v7("customer A", at(2019, 3, 14)),
        uuid_v7("customer C", at(2024, 11, 30)),
    );
    format!(
        concat!(
            r#"{{"plan":"{plan}","part":1,"method":"section_deletion","executed_at":"2026-08-01T09:00:00Z","#,
            r#""operator":"clerk-synthetic-1","approvers":["dpo-synthetic","cco-synthetic"],"#,
            r#""rules":[{{"rule":"contact-after-transfer","citation":{{"instrument":"Pipl","article":"47(1)(2)"}}}},"#,
            r#"{{"rule":"marketing-after-transfer","citation":{{"instrument":"Pipl","article":"47(1)(2)"}}}}],"#,
            r#""entries":[{{"customer":"{a}","holdings":[{{"category":"contact"}},{{"category":"marketing_preferences"}}],"#,
            r#""rules":["contact-after-transfer","marketing-after-transfer"],"already_destroyed":false}},"#,
            r#"{{"customer":"{c}","holdings":[{{"category":"contact"}}],"rules":["contact-after-transfer"],"#,
            r#""already_destroyed":true}}]}}"#
        ),
        plan = plan,
        a = a,
        c = c
    )
}

/// The data-room record payload of `spec/ledger-payloads.md`.
fn data_room_payload() -> String {
    format!(
        r#"{{"format":"custodia-transfer/data-room/1","digest":"{}","as_of":"2026-05-01","k":10,"customers":300,"sample_rows":40,"suppressed_sample_rows":3}}"#,
        hex(&seed("data room export"))
    )
}

/// The plan the approved certificate executed, as custodia-retention reads it: the certificate's entries as
/// planned (proposed by `planner-synthetic`, who may not approve it), so that its approvals sign the digest
/// of a real plan.
fn destruction_plan() -> custodia_retention::DestructionPlan {
    let (a, c) = (
        uuid_v7("customer A", at(2019, 3, 14)),
        uuid_v7("customer C", at(2024, 11, 30)),
    );
    let cite = json!({"instrument": "Pipl", "article": "47(1)(2)"});
    let holding = |category: &str, rule: &str| {
        json!({"holding": {"category": category}, "due_since": "2026-07-01",
               "rules": [{"rule": rule, "citation": cite}]})
    };
    serde_json::from_value(json!({
        "id": uuid("destruction plan", 4),
        "proposed_by": "planner-synthetic",
        "proposed_on": "2026-07-15",
        "items": [
            {"customer": a, "whole_customer": false, "holdings": [
                holding("contact", "contact-after-transfer"),
                holding("marketing_preferences", "marketing-after-transfer"),
            ]},
            {"customer": c, "whole_customer": false, "holdings": [holding("contact", "contact-after-transfer")]},
        ],
        "approvals": [],
    }))
    .unwrap()
}

/// The approver's record as the brokerage stores it: the approver role and the public key of `keys.json`.
fn approver_record(actor: &str, key: custodia_crypto::VerifyingKey) -> custodia_access::Principal {
    use custodia_access::{Department, Principal, PrincipalFields, PrincipalKind, Role};
    Principal::new(PrincipalFields {
        id: ActorId::new(actor).unwrap(),
        kind: PrincipalKind::Staff,
        roles: [Role::new("approver").unwrap()].into(),
        department: Department::new("compliance").unwrap(),
        purposes: [Purpose::LegalCompliance].into(),
        training: Vec::new(),
        verifying_key: key,
    })
    .unwrap()
}

/// The certificate of `certificate_payload` as custodia writes it since signed approvals (issue 17): the
/// same members with `approvals` after `approvers`, one per approver in that order, each signed by the
/// approver's key with custodia-access over the plan's approval request.
fn approved_certificate_payload(keys: &Keys) -> String {
    let plan = destruction_plan();
    let request = plan.approval_request().unwrap();
    let approvals: Vec<custodia_access::SignedApproval> = keys
        .approvers
        .iter()
        .map(|(actor, _, key)| {
            request
                .sign(&approver_record(actor, key.verifying_key()), key)
                .unwrap()
        })
        .collect();
    let plain = certificate_payload();
    let cut = plain.find(r#","rules":"#).unwrap();
    format!(
        r#"{},"approvals":{}{}"#,
        &plain[..cut],
        serde_json::to_string(&approvals).unwrap(),
        &plain[cut..]
    )
}

/// The bytes a plan's digest covers after [`custodia_retention::PLAN_DIGEST_DOMAIN`]: the plan as
/// custodia-retention serializes it, without its (here empty) approvals.
fn plan_body(plan: &custodia_retention::DestructionPlan) -> String {
    let stored = serde_json::to_string(plan).unwrap();
    let body = stored.strip_suffix(r#","approvals":[]}"#).unwrap();
    format!("{body}}}")
}

/// Ledger payloads of other crates: destruction certificates (before and since signed approvals), the body
/// of the plan the approvals sign, and a data-room record.
fn payload_vectors(keys: &Keys, files: &mut Files) {
    files.insert(
        "ledger/destruction-plan-body.json".into(),
        plan_body(&destruction_plan()).into_bytes(),
    );
    files.insert(
        "ledger/destruction-certificate.json".into(),
        certificate_payload().into_bytes(),
    );
    files.insert(
        "ledger/destruction-certificate-approved.json".into(),
        approved_certificate_payload(keys).into_bytes(),
    );
    files.insert(
        "ledger/data-room-record.json".into(),
        data_room_payload().into_bytes(),
    );
}

fn generate() -> Files {
    let keys = Keys::new();
    let mut files = Files::new();
    put_json(&mut files, "keys.json", &keys.describe());
    ledger_vectors(&keys, &mut files);
    consent_vectors(&keys, &mut files);
    let agreement = agreement_vectors(&keys, &mut files);
    crypto_vectors(&mut files);
    package_vectors(&keys, &agreement, &mut files);
    payload_vectors(&keys, &mut files);
    let index: BTreeMap<String, String> = files
        .iter()
        .map(|(name, bytes)| (name.clone(), hex(&sha256(bytes))))
        .collect();
    put_json(
        &mut files,
        "SHA256SUMS.json",
        &serde_json::to_value(index).unwrap(),
    );
    files
}

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(DIR)
}

fn read_dir(dir: &Path, prefix: &str, out: &mut Files) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        if entry.file_type().unwrap().is_dir() {
            read_dir(&entry.path(), &format!("{name}/"), out);
        } else {
            out.insert(name, std::fs::read(entry.path()).unwrap());
        }
    }
}

/// The committed vectors are exactly what the generator writes: a format that changes without new vectors
/// fails here, naming the first file that differs. With `CUSTODIA_WRITE_VECTORS=1` the generator writes
/// them instead (and removes files it no longer writes).
#[test]
fn the_committed_vectors_are_what_the_generator_writes() {
    let generated = generate();
    let dir = vectors_dir();
    if std::env::var_os("CUSTODIA_WRITE_VECTORS").is_some() {
        let mut old = Files::new();
        if dir.exists() {
            read_dir(&dir, "", &mut old);
        }
        // The README is written by hand; every other file is the generator's.
        for name in old
            .keys()
            .filter(|n| !generated.contains_key(*n) && !n.starts_with("README"))
        {
            std::fs::remove_file(dir.join(name)).unwrap();
        }
        for (name, bytes) in &generated {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        }
        return;
    }
    let mut committed = Files::new();
    read_dir(&dir, "", &mut committed);
    let committed: Files = committed
        .into_iter()
        .filter(|(name, _)| !name.starts_with("README"))
        .collect();
    for (name, bytes) in &generated {
        let found = committed.get(name);
        assert!(
            found == Some(bytes),
            "spec/vectors/{name} is not what the generator writes: a format changed without new vectors \
             (regenerate with CUSTODIA_WRITE_VECTORS=1 and run spec/verify_py)"
        );
    }
    let extra: Vec<&String> = committed.keys().filter(|n| !generated.contains_key(*n)).collect();
    assert!(
        extra.is_empty(),
        "files the generator no longer writes: {extra:?}"
    );
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(vectors_dir().join(name)).unwrap()
}

fn read_json(name: &str) -> Value {
    serde_json::from_slice(&read(name)).unwrap()
}

/// The committed vectors verify and decode with custodia's readers, and every file's SHA-256 is the one
/// `SHA256SUMS.json` states.
#[test]
fn the_committed_vectors_verify_and_decode() {
    let sums = read_json("SHA256SUMS.json");
    for (name, digest) in sums.as_object().unwrap() {
        assert_eq!(hex(&sha256(&read(name))), digest.as_str().unwrap(), "{name}");
    }

    // Ledger: every proof verifies against the root of its size; the checkpoints verify for their origin.
    let log = read_json("ledger/log.json");
    let roots: BTreeMap<u64, MerkleHash> = log["roots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let bytes: [u8; 32] = unhex(r["root"].as_str().unwrap()).try_into().unwrap();
            (r["size"].as_u64().unwrap(), MerkleHash::from_bytes(bytes))
        })
        .collect();
    let leaves: Vec<MerkleHash> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let bytes: [u8; 32] = unhex(e["leaf_hash"].as_str().unwrap()).try_into().unwrap();
            let leaf = MerkleHash::from_bytes(bytes);
            if let (Some(salt), Some(payload)) = (e["salt"].as_str(), e["payload_hex"].as_str()) {
                let salt: [u8; 32] = unhex(salt).try_into().unwrap();
                assert_eq!(leaf_hash(&Salt::from_bytes(salt), &unhex(payload)), leaf);
            }
            leaf
        })
        .collect();
    for p in read_json("ledger/inclusion-proofs.json").as_array().unwrap() {
        let proof: InclusionProof = serde_json::from_value(p.clone()).unwrap();
        proof
            .verify(&leaves[proof.index() as usize], &roots[&proof.size()])
            .unwrap();
    }
    for p in read_json("ledger/consistency-proofs.json").as_array().unwrap() {
        let proof: ConsistencyProof = serde_json::from_value(p.clone()).unwrap();
        proof
            .verify(&roots[&proof.old_size()], &roots[&proof.new_size()])
            .unwrap();
    }
    let log_key = NoteVerifier::from_vkey(log["log_vkey"].as_str().unwrap()).unwrap();
    let witness = NoteVerifier::from_vkey(log["witness_vkey"].as_str().unwrap()).unwrap();
    let origin = log["origin"].as_str().unwrap();
    let policy = TrustPolicy::log_only(origin, vec![log_key.clone()]).unwrap();
    let witnessed = TrustPolicy::new(origin, vec![log_key.clone()], vec![witness], 1).unwrap();
    for (name, policy) in [
        ("ledger/checkpoint.note", &policy),
        ("ledger/checkpoint-with-time.note", &policy),
        ("ledger/checkpoint-cosigned.note", &witnessed),
    ] {
        let bytes = read(name);
        let cp = SignedCheckpoint::parse(&bytes).unwrap();
        assert_eq!(cp.to_bytes(), bytes, "{name} re-encodes byte for byte");
        let verified = cp.verify(policy).unwrap();
        assert_eq!(
            verified.checkpoint().root(),
            &roots[&verified.checkpoint().size()]
        );
    }

    // Consent: every payload decodes (and today's re-encode byte for byte); every receipt verifies.
    let consent = read_json("consent/consent.json");
    for p in consent["payloads"].as_array().unwrap() {
        let bytes = read(p["file"].as_str().unwrap());
        let record = ConsentRecord::decode(p["ledger_index"].as_u64().unwrap(), &bytes).unwrap();
        assert_eq!(record.encode().unwrap(), bytes);
    }
    for (name, format) in [
        ("consent/notice-format-2.json", 2),
        ("consent/notice-format-1.json", 1),
    ] {
        let record = ConsentRecord::decode(0, &read(name)).unwrap();
        let ConsentRecord::Notice(n) = record else {
            panic!("{name} is not a notice");
        };
        assert!(n.fields().processing.is_none(), "format {format}");
    }
    let log_key = NoteVerifier::from_vkey(consent["log_vkey"].as_str().unwrap()).unwrap();
    for r in consent["receipts"].as_array().unwrap() {
        let receipt: ConsentReceipt = serde_json::from_slice(&read(r["file"].as_str().unwrap())).unwrap();
        let verified = receipt.verify(&log_key).unwrap();
        assert_eq!(
            verified.fields().receipt_id.to_string(),
            r["receipt_id"].as_str().unwrap()
        );
        assert_eq!(
            serde_json::to_value(verified.fields().record_kind).unwrap(),
            r["record_kind"]
        );
    }

    // Transfer: the agreement decodes with both signatures; its canonical terms are the envelope's.
    let envelope = read("transfer/agreement.bin");
    let agreement = SignedAgreement::decode(&envelope).unwrap();
    assert_eq!(agreement.encode(), envelope);
    assert_eq!(agreement.as_bytes(), read("transfer/agreement-terms.txt"));
    assert_eq!(
        DraftAgreement::from_bytes(&read("transfer/agreement-terms.txt"))
            .unwrap()
            .digest(),
        agreement.digest()
    );

    // Crypto: the section opens under its data key, which the wrapped key gives back under the KEK.
    let crypto = read_json("crypto/crypto.json");
    let keyring = Keyring::from_key_material(
        1,
        &unhex(crypto["wrapped_key"]["kek"].as_str().unwrap()),
        KeyringConfig::default(),
    )
    .unwrap();
    let wrapped = WrappedKey::decode(&read("crypto/wrapped-key.bin")).unwrap();
    let dek = keyring.unwrap(&wrapped).unwrap();
    let section = SealedSection::from_bytes(&read("crypto/section.bin")).unwrap();
    let s = &crypto["section"];
    let category: DataCategory = s["category"].as_str().unwrap().parse().unwrap();
    let plain = open_section(
        &dek,
        s["customer"].as_str().unwrap().parse().unwrap(),
        category,
        s["record_version"].as_u64().unwrap(),
        &section,
    )
    .unwrap();
    assert_eq!(plain.as_slice(), s["plaintext_utf8"].as_str().unwrap().as_bytes());

    // Package: custodia imports it with the buyer's key; every section opens to the stated plaintext under
    // the key the buyer stored; the root, counts and leaves are the ones stated.
    let keys = Keys::new();
    let package = read_json("transfer/package.json");
    let bytes = read("transfer/package.pkg");
    let imported = import_vector(&keys, &agreement, &bytes);
    assert_eq!(
        hex(imported.outcome.root.as_bytes()),
        package["root"].as_str().unwrap()
    );
    assert_eq!(imported.outcome.customers, package["count"].as_u64().unwrap());
    assert_eq!(imported.outcome.sections, package["sections"].as_u64().unwrap());
    let transfer_key = vector_transfer_key(&keys, &agreement, &bytes);
    assert_eq!(
        hex(&CaseSecret::new(&agreement).derive::<32>(&[b"transfer key", agreement.transfer_id().as_bytes()])),
        package["transfer_key"].as_str().unwrap()
    );
    let mut reader = PackageReader::open(bytes.as_slice(), DEFAULT_MAX_ENTRY_LEN).unwrap();
    assert_eq!(reader.header().transfer_id(), agreement.transfer_id());
    reader.unseal_with(&transfer_key).unwrap();
    let mut leaves = Vec::new();
    while let Record::Entry(e) = reader.next_record().unwrap() {
        leaves.push(Value::from(hex(e.manifest_entry().leaf_hash().as_bytes())));
    }
    assert_eq!(&Value::Array(leaves), &package["leaves"]);
    // Without the key: the signature and the stated counts, sizes and digest; the root as signed.
    let keyless =
        custodia_transfer::verify_package(bytes.as_slice(), &agreement, DEFAULT_MAX_ENTRY_LEN).unwrap();
    assert_eq!(keyless.checked, custodia_transfer::PackageCheck::Signature);
    let keyed = custodia_transfer::verify_package_with_key(
        bytes.as_slice(),
        &agreement,
        &transfer_key,
        DEFAULT_MAX_ENTRY_LEN,
    )
    .unwrap();
    assert_eq!(
        keyed.checked,
        custodia_transfer::PackageCheck::SignatureAndEntries
    );
    assert_eq!(keyed.summary.signed(), keyless.summary.signed());
    let summary = keyed.summary;
    assert_eq!(summary.section_bytes, package["section_bytes"].as_u64().unwrap());
    assert_eq!(
        hex(&summary.entries_digest),
        package["entries_digest"].as_str().unwrap()
    );
    assert_eq!(summary.package_bytes, bytes.len() as u64);
    for c in package["customers"].as_array().unwrap() {
        let customer: CustomerId = c["id"].as_str().unwrap().parse().unwrap();
        let dek_id = DekId::from_uuid(c["dek_id"].as_str().unwrap().parse().unwrap()).unwrap();
        let wrapped = custodia_crypto::KeyStore::wrapped_key(&imported.keys, customer, dek_id).unwrap();
        let dek = imported.keyring.unwrap(&wrapped).unwrap();
        for s in c["sections"].as_array().unwrap() {
            let category: DataCategory = s["category"].as_str().unwrap().parse().unwrap();
            let stored =
                custodia_crypto::SectionVault::latest_section(&imported.sections, customer, category)
                    .unwrap()
                    .unwrap();
            assert_eq!(stored.record_version(), s["record_version"].as_u64().unwrap());
            let plain =
                open_section(&dek, customer, category, stored.record_version(), stored.sealed()).unwrap();
            assert_eq!(plain.as_slice(), s["plaintext_utf8"].as_str().unwrap().as_bytes());
        }
    }

    // Proofs: each verifies with the seller's key and says what package.json says.
    let seller = *agreement.terms().seller.verifying_key();
    for p in package["proofs"].as_array().unwrap() {
        let proof: CustomerProof = serde_json::from_slice(&read(p["file"].as_str().unwrap())).unwrap();
        assert_eq!(proof.customer.to_string(), p["customer"].as_str().unwrap());
        assert_eq!(proof.verify(&seller).unwrap(), p["moved"].as_bool().unwrap());
    }

    // Ledger payloads of other crates decode and re-encode byte for byte.
    let bytes = read("ledger/destruction-certificate.json");
    let certificate = custodia_retention::DestructionCertificate::from_payload(&bytes).unwrap();
    assert_eq!(certificate.to_payload().unwrap(), bytes);
    assert_eq!(certificate.entries().len(), 2);
    assert!(
        certificate.approvals().is_empty(),
        "a certificate before signed approvals"
    );
    // Since signed approvals: each approval is of the plan executed (its id and digest), by the approver
    // `approvers` names at its place, and verifies with that approver's public key from keys.json.
    let bytes = read("ledger/destruction-certificate-approved.json");
    let approved = custodia_retention::DestructionCertificate::from_payload(&bytes).unwrap();
    assert_eq!(approved.to_payload().unwrap(), bytes);
    assert_eq!(approved.plan(), certificate.plan());
    assert_eq!(approved.entries(), certificate.entries());
    let plan = destruction_plan();
    let request = plan.approval_request().unwrap();
    // The plan body is what its digest covers, so a verifier can recompute the digest the approvals sign.
    let mut preimage = custodia_retention::PLAN_DIGEST_DOMAIN.as_bytes().to_vec();
    preimage.extend_from_slice(&read("ledger/destruction-plan-body.json"));
    assert_eq!(sha256(&preimage), plan.digest().unwrap());
    let published = read_json("keys.json");
    assert_eq!(approved.approvals().len(), 2);
    assert_eq!(approved.approvers().len(), approved.approvals().len());
    let settings = custodia_access::ApprovalSettings::default();
    for ((approval, approver), name) in approved
        .approvals()
        .iter()
        .zip(approved.approvers())
        .zip(["approver_dpo", "approver_cco"])
    {
        assert_eq!(approval.request(), &request);
        assert_eq!(approval.approver(), approver);
        let entry = &published[name];
        assert_eq!(entry["actor"].as_str().unwrap(), approver.as_str());
        let public = unhex(entry["public"].as_str().unwrap());
        let key = custodia_crypto::VerifyingKey::from_bytes(&public).unwrap();
        approval
            .verify(&approver_record(approver.as_str(), key), &settings)
            .unwrap();
        // Under another approver's key the same signature is refused.
        let other = published[if name == "approver_dpo" {
            "approver_cco"
        } else {
            "approver_dpo"
        }]["public"]
            .as_str()
            .unwrap();
        let wrong = custodia_crypto::VerifyingKey::from_bytes(&unhex(other)).unwrap();
        assert!(
            approval
                .verify(&approver_record(approver.as_str(), wrong), &settings)
                .is_err()
        );
    }
    let bytes = read("ledger/data-room-record.json");
    let record: custodia_transfer::data_room::DataRoomRecord = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(serde_json::to_vec(&record).unwrap(), bytes);
    assert_eq!(record.format, custodia_transfer::data_room::DATA_ROOM_PAYLOAD);

    // The buyer's receipt is of this package.
    SignedReceipt::verify(&read("transfer/receipt.bin"), &agreement, &summary).unwrap();
}

/// A package the seller signed whose first transfer-wrapped key names another transfer is refused by the
/// check with the transfer key as `spec/package.md` ("Verifying a package", step 5) says, not only when the
/// buyer opens the wrapped key; a keyless verifier cannot see it (the entry is sealed) and says that it
/// checked only the signature.
#[test]
fn a_signed_package_whose_wrapped_key_names_another_transfer_is_refused_with_the_key() {
    let keys = Keys::new();
    let agreement = SignedAgreement::decode(&read("transfer/agreement.bin")).unwrap();
    let customers = package_customers();
    let good = package_bytes(&keys, &agreement, &customers);
    assert!(
        good == read("transfer/package.pkg"),
        "the second encoder writes the vector package"
    );
    let bytes = package_bytes_with(
        &keys,
        &agreement,
        &customers,
        Some(*uuid("another transfer", 4).as_bytes()),
    );
    let keyless =
        custodia_transfer::verify_package(bytes.as_slice(), &agreement, DEFAULT_MAX_ENTRY_LEN).unwrap();
    assert_eq!(keyless.checked, custodia_transfer::PackageCheck::Signature);
    let key = vector_transfer_key(&keys, &agreement, &bytes);
    let err =
        custodia_transfer::verify_package_with_key(bytes.as_slice(), &agreement, &key, DEFAULT_MAX_ENTRY_LEN)
            .unwrap_err();
    assert!(err.to_string().contains("another transfer"), "{err}");
}
