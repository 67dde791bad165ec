//! The response receipt: what was answered and when, signed by the brokerage, with the answer's ledger
//! entry, its inclusion proof and a signed checkpoint, so that the customer verifies it offline with the
//! brokerage's public keys alone.
//!
//! # Bytes
//!
//! The signed body is the line `custodia-rights-receipt/1`, a newline, and the [`ReceiptBody`] as compact
//! JSON. The signature is Ed25519 (custodia-crypto) over `"custodia-rights/response-receipt/v1\0" ‖ body`,
//! so that no other message the brokerage's key signs (a transfer receipt, an agreement) can pass for a
//! response receipt. [`ResponseReceipt::encode`] writes the whole receipt as JSON: `body` (the body's text),
//! `signature` (hex), `entry` (`index`, `salt`, `payload` — the exact ledger bytes —, `proof`) and
//! `checkpoint` (the C2SP signed note's text).

use chrono::{DateTime, Utc};
use custodia_consent::{Digest, Regime};
use custodia_crypto::{Signature, SigningKey, VerifyingKey};
use custodia_ledger::{
    EntryContent, InclusionProof, Log, LogStore, NoteVerifier, Salt, SignedCheckpoint, TrustPolicy, leaf_hash,
};
use custodia_model::CustomerId;
use serde::{Deserialize, Serialize};

use crate::error::RightsError;
use crate::ids::RequestId;
use crate::kind::KindCode;
use crate::ledger::{RightsEntry, Step};
use crate::request::{Outcome, Request};

/// The first line of a receipt body.
pub const RECEIPT_FORMAT: &str = "custodia-rights-receipt/1\n";

/// The domain separation prefix of the receipt signature.
pub const RECEIPT_SIGNATURE_DOMAIN: &[u8] = b"custodia-rights/response-receipt/v1\0";

/// What the receipt states.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
// Not `#[non_exhaustive]`: its fields are the receipt's signed bytes, fixed by `RECEIPT_FORMAT`.
pub struct ReceiptBody {
    /// The request.
    pub request: RequestId,
    /// The customer, by pseudonymous id.
    pub customer: CustomerId,
    /// The kind.
    pub kind: KindCode,
    /// The regime.
    pub regime: Regime,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// When the deadline closed, if one ran.
    pub deadline: Option<DateTime<Utc>>,
    /// When it was answered.
    pub answered_at: DateTime<Utc>,
    /// How.
    pub outcome: Outcome,
    /// The refusal codes, if any.
    pub refusals: Vec<String>,
    /// SHA-256 of the answer's bytes.
    pub answer: Digest,
    /// SHA-256 of the response package's bytes, if one was sent.
    pub package: Option<Digest>,
    /// Whether the answer was late.
    pub late: bool,
    /// The ledger index of the answer's entry.
    pub entry: u64,
    /// The ledger's origin (the checkpoint's first line).
    pub origin: String,
}

/// The answer's ledger entry with what it takes to prove it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProvenEntry {
    index: u64,
    salt: Salt,
    payload: String,
    proof: InclusionProof,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Encoded {
    body: String,
    signature: String,
    entry: ProvenEntry,
    checkpoint: String,
}

/// The brokerage's public keys a customer needs: the Ed25519 key that signs receipts and the ledger's
/// checkpoint key. Both are public, published together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokerageKeys {
    /// The receipt signing key's public half.
    pub signing: VerifyingKey,
    /// The ledger's checkpoint verifier.
    pub ledger: NoteVerifier,
}

/// A signed response receipt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseReceipt {
    body: ReceiptBody,
    bytes: Vec<u8>,
    signature: Signature,
    entry: ProvenEntry,
    checkpoint: SignedCheckpoint,
}

fn message(bytes: &[u8]) -> Vec<u8> {
    let mut m = RECEIPT_SIGNATURE_DOMAIN.to_vec();
    m.extend_from_slice(bytes);
    m
}

impl ResponseReceipt {
    /// Issues the receipt for an answered `request` whose answer entry is at ledger index `entry`, with the
    /// proof against `checkpoint` (which must cover the entry), signed with the brokerage's `key`.
    pub fn issue<S: LogStore>(
        request: &Request,
        log: &Log<S>,
        entry: u64,
        checkpoint: &SignedCheckpoint,
        key: &SigningKey,
    ) -> Result<Self, RightsError> {
        let Some(answered) = request.answered() else {
            return Err(RightsError::OutOfOrder {
                request: request.id(),
                state: request.state(),
                step: "issue a receipt",
            });
        };
        let size = checkpoint.checkpoint().size();
        if entry >= size {
            return Err(RightsError::Payload {
                index: entry,
                why: "not inside the checkpoint",
            });
        }
        let stored = log.entry(entry)?;
        let EntryContent::Present { salt, payload } = stored.content() else {
            return Err(RightsError::Payload {
                index: entry,
                why: "redacted",
            });
        };
        let decoded = RightsEntry::decode(entry, payload)?;
        let answer = answered.answer.digest();
        let fits = decoded.request == request.id()
            && matches!(&decoded.step, Step::Answered { answer: a, .. } if *a == answer);
        if !fits {
            return Err(RightsError::Payload {
                index: entry,
                why: "not this request's answer",
            });
        }
        let payload = String::from_utf8(payload.clone()).map_err(|_| RightsError::Payload {
            index: entry,
            why: "not utf-8",
        })?;
        let body = ReceiptBody {
            request: request.id(),
            customer: request.customer(),
            kind: request.kind().code(),
            regime: request.regime(),
            received_at: request.intake().received_at,
            deadline: request.deadline().map(|d| d.closes_at),
            answered_at: answered.at,
            outcome: answered.answer.outcome(),
            refusals: answered
                .answer
                .refusals()
                .map(|r| r.code().code().to_owned())
                .collect(),
            answer,
            package: answered.answer.package(),
            late: answered.late,
            entry,
            origin: checkpoint.checkpoint().origin().to_owned(),
        };
        let mut bytes = RECEIPT_FORMAT.as_bytes().to_vec();
        serde_json::to_writer(&mut bytes, &body).map_err(|_| RightsError::Encoding { what: "receipt" })?;
        let signature = key.sign(&message(&bytes));
        Ok(Self {
            body,
            bytes,
            signature,
            entry: ProvenEntry {
                index: entry,
                salt: *salt,
                payload,
                proof: log.inclusion_proof(entry, size)?,
            },
            checkpoint: checkpoint.clone(),
        })
    }

    /// What the receipt states (verified only by [`ResponseReceipt::verify`]).
    pub fn body(&self) -> &ReceiptBody {
        &self.body
    }

    /// The receipt as JSON (see the module docs).
    pub fn encode(&self) -> Result<Vec<u8>, RightsError> {
        let encoded = Encoded {
            body: String::from_utf8(self.bytes.clone())
                .map_err(|_| RightsError::Encoding { what: "receipt" })?,
            signature: hex::encode(self.signature.as_bytes()),
            entry: self.entry.clone(),
            checkpoint: String::from_utf8(self.checkpoint.to_bytes()).map_err(|_| RightsError::Encoding {
                what: "receipt checkpoint",
            })?,
        };
        serde_json::to_vec(&encoded).map_err(|_| RightsError::Encoding { what: "receipt" })
    }

    /// Decodes and verifies a receipt with the brokerage's public keys alone: the signature over the
    /// domain-separated body; the checkpoint's signature for the body's origin; the entry's salt and exact
    /// payload hash to a leaf that the proof places under the checkpoint's root at its size; the payload is
    /// the answer entry of the body's request and customer, at the body's time, with the body's outcome,
    /// answer and package digests. Any failure is [`RightsError::ReceiptInvalid`].
    pub fn verify(encoded: &[u8], keys: &BrokerageKeys) -> Result<Self, RightsError> {
        let e: Encoded = serde_json::from_slice(encoded).map_err(|_| RightsError::ReceiptInvalid)?;
        let bytes = e.body.into_bytes();
        let sig_bytes = hex::decode(&e.signature).map_err(|_| RightsError::ReceiptInvalid)?;
        let signature = Signature::from_bytes(&sig_bytes).map_err(|_| RightsError::ReceiptInvalid)?;
        keys.signing
            .verify(&message(&bytes), &signature)
            .map_err(|_| RightsError::ReceiptInvalid)?;
        let json = bytes
            .strip_prefix(RECEIPT_FORMAT.as_bytes())
            .ok_or(RightsError::ReceiptInvalid)?;
        let body: ReceiptBody = serde_json::from_slice(json).map_err(|_| RightsError::ReceiptInvalid)?;
        let checkpoint =
            SignedCheckpoint::parse(e.checkpoint.as_bytes()).map_err(|_| RightsError::ReceiptInvalid)?;
        let policy = TrustPolicy::log_only(&body.origin, vec![keys.ledger.clone()])
            .map_err(|_| RightsError::ReceiptInvalid)?;
        let verified = checkpoint
            .verify(&policy)
            .map_err(|_| RightsError::ReceiptInvalid)?;
        let (root, size) = (verified.checkpoint().root(), verified.checkpoint().size());
        let entry = e.entry;
        if entry.index != body.entry || entry.proof.index() != entry.index || entry.proof.size() != size {
            return Err(RightsError::ReceiptInvalid);
        }
        let leaf = leaf_hash(&entry.salt, entry.payload.as_bytes());
        entry
            .proof
            .verify(&leaf, root)
            .map_err(|_| RightsError::ReceiptInvalid)?;
        let decoded = RightsEntry::decode(entry.index, entry.payload.as_bytes())
            .map_err(|_| RightsError::ReceiptInvalid)?;
        let matches = decoded.request == body.request
            && decoded.customer == body.customer
            && decoded.at == body.answered_at
            && matches!(&decoded.step, Step::Answered { outcome, answer, package, late, refusals, .. }
                if *outcome == body.outcome && *answer == body.answer && *package == body.package
                    && *late == body.late && *refusals == body.refusals);
        if !matches {
            return Err(RightsError::ReceiptInvalid);
        }
        Ok(Self {
            body,
            bytes,
            signature,
            entry,
            checkpoint,
        })
    }

    /// Whether `answer` (the bytes the customer received) is the answer the receipt names.
    pub fn names_answer(&self, answer: &[u8]) -> bool {
        self.body.answer.matches(answer)
    }

    /// Whether `package` (the bytes the customer received) is the package the receipt names.
    pub fn names_package(&self, package: &[u8]) -> bool {
        self.body.package.is_some_and(|d| d.matches(package))
    }
}
