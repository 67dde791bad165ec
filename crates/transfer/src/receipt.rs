//! The buyer's signed receipt of a package, which the seller verifies and appends to its ledger.
//!
//! The canonical bytes, the signed message and the envelope are specified in `spec/transfer-receipt.md`.

use chrono::{DateTime, Utc};
use custodia_crypto::{Signature, SigningKey};
use custodia_ledger::{Log, LogStore, MerkleHash};
use custodia_model::{ByteReader, TransferId};
use serde::{Deserialize, Serialize};

use crate::agreement::{AgreementDigest, SignedAgreement};
use crate::codec::hex_hash;
use crate::error::TransferError;
use crate::import::ImportOutcome;
use crate::package::PackageSummary;

/// The first line of a receipt's canonical bytes.
pub const RECEIPT_FORMAT: &str = "custodia-transfer-receipt/1\n";

/// Magic of the encoded [`SignedReceipt`].
pub const RECEIPT_MAGIC: &[u8; 8] = b"CUSTRCP1";

const SIGNATURE_DOMAIN: &[u8] = b"custodia-transfer/receipt-signature/v1\0";

/// What the buyer acknowledges: which package (transfer, agreement, root), how much, and when. Ids and
/// digests only, so it may sit on a ledger (no personal information).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
// Not `#[non_exhaustive]`: its fields are the receipt's canonical bytes, fixed by `RECEIPT_FORMAT`.
pub struct TransferReceipt {
    /// The transfer.
    pub transfer_id: TransferId,
    /// The agreement.
    pub agreement_digest: AgreementDigest,
    /// The manifest root the buyer verified (hex in the canonical bytes).
    #[serde(with = "hex_hash")]
    pub root: MerkleHash,
    /// Customers imported.
    pub customers: u64,
    /// Sections imported.
    pub sections: u64,
    /// Whether the buyer re-keyed every customer.
    pub rekeyed: bool,
    /// When the buyer finished the import.
    pub received_at: DateTime<Utc>,
}

/// A receipt with the buyer's Ed25519 signature over its exact canonical bytes.
///
/// Encoding: magic `CUSTRCP1` (8), canonical length (u32 BE), canonical bytes ([`RECEIPT_FORMAT`] then
/// compact JSON), signature (64) over `"custodia-transfer/receipt-signature/v1\0" ‖ canonical bytes`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedReceipt {
    receipt: TransferReceipt,
    bytes: Vec<u8>,
    /// The envelope's length prefix of `bytes`, checked when the bytes are made, so that encoding cannot fail.
    len: u32,
    signature: Signature,
}

fn message(bytes: &[u8]) -> Vec<u8> {
    let mut m = SIGNATURE_DOMAIN.to_vec();
    m.extend_from_slice(bytes);
    m
}

impl SignedReceipt {
    /// The buyer signs `receipt`. Refused if `key` is not the agreement's buyer key.
    pub fn sign(
        receipt: TransferReceipt,
        agreement: &SignedAgreement,
        key: &SigningKey,
    ) -> Result<Self, TransferError> {
        if key.verifying_key() != *agreement.terms().buyer.verifying_key() {
            return Err(TransferError::WrongSigner { role: "buyer" });
        }
        let mut bytes = RECEIPT_FORMAT.as_bytes().to_vec();
        serde_json::to_writer(&mut bytes, &receipt).map_err(|e| TransferError::Report {
            message: e.to_string(),
        })?;
        let len = TransferError::length("receipt", bytes.len(), u64::from(u32::MAX))?;
        let signature = key.sign(&message(&bytes));
        Ok(Self {
            receipt,
            len,
            bytes,
            signature,
        })
    }

    /// The receipt.
    pub fn receipt(&self) -> &TransferReceipt {
        &self.receipt
    }

    /// The envelope bytes, as sent and as appended to the seller's ledger.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = RECEIPT_MAGIC.to_vec();
        out.extend_from_slice(&self.len.to_be_bytes());
        out.extend_from_slice(&self.bytes);
        out.extend_from_slice(self.signature.as_bytes());
        out
    }

    /// Decodes an envelope and verifies the buyer's signature with the agreement's buyer key, then checks
    /// that the receipt is for this agreement and for the package the seller wrote (`summary`): same
    /// transfer, digest, root, customers and sections.
    pub fn verify(
        encoded: &[u8],
        agreement: &SignedAgreement,
        summary: &PackageSummary,
    ) -> Result<Self, TransferError> {
        let bad = || TransferError::BadSignature {
            what: "receipt buyer",
        };
        let mut r = ByteReader::new(encoded, "signed receipt");
        if r.take(RECEIPT_MAGIC.len(), "magic").map_err(|_| bad())? != RECEIPT_MAGIC.as_slice() {
            return Err(bad());
        }
        let bytes = r.u32_prefixed("receipt", encoded.len()).map_err(|_| bad())?;
        let signature = Signature::from_bytes(r.rest()).map_err(|_| bad())?;
        agreement
            .terms()
            .buyer
            .verifying_key()
            .verify(&message(bytes), &signature)
            .map_err(|_| bad())?;
        let json = bytes.strip_prefix(RECEIPT_FORMAT.as_bytes()).ok_or_else(bad)?;
        let receipt: TransferReceipt = serde_json::from_slice(json).map_err(|_| bad())?;
        let expect = |ok: bool, what| {
            if ok {
                Ok(())
            } else {
                Err(TransferError::ReceiptMismatch { what })
            }
        };
        expect(receipt.transfer_id == agreement.transfer_id(), "transfer id")?;
        expect(receipt.agreement_digest == agreement.digest(), "agreement digest")?;
        expect(receipt.root == summary.root, "root")?;
        expect(receipt.customers == summary.customers, "customers")?;
        expect(receipt.sections == summary.sections, "sections")?;
        Ok(Self {
            receipt,
            len: TransferError::length("receipt", bytes.len(), u64::from(u32::MAX))?,
            bytes: bytes.to_vec(),
            signature,
        })
    }

    /// Appends the receipt to the seller's ledger (NDSR Art 12: records of provision kept at least three
    /// years) and returns its index.
    pub fn append_to<S: LogStore>(&self, log: &mut Log<S>) -> Result<u64, TransferError> {
        Ok(log.append(&[&self.encode()])?.first_index())
    }
}

impl ImportOutcome {
    /// The receipt the buyer signs for this import, received at `received_at`: the agreement's transfer and
    /// digest, the verified root, the counts, and whether every customer was re-keyed.
    pub fn receipt(&self, agreement: &SignedAgreement, received_at: DateTime<Utc>) -> TransferReceipt {
        TransferReceipt {
            transfer_id: agreement.transfer_id(),
            agreement_digest: agreement.digest(),
            root: self.root,
            customers: self.customers,
            sections: self.sections,
            rekeyed: self.rekeyed,
            received_at,
        }
    }
}
