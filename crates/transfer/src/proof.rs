//! Building per-customer proofs (moved or not moved) from a package and its manifest tree.
//!
//! The proof's JSON and how a customer verifies it with the seller's key alone are specified in
//! `spec/customer-proof.md`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use custodia_crypto::TransferKey;
use custodia_model::CustomerId;

use crate::error::TransferError;
use crate::manifest::{CustomerProof, ManifestEntry, ManifestTree, ProofOutcome};
use crate::package::{PackageReader, Record, Trailer, to_hex};

/// Proofs for `customers`, read from the package `input` (one streaming pass, keeping only the entries
/// the proofs need, each opened with `transfer_key` — the entries are sealed, package format 2) and the
/// package's `tree` (from packaging or import). A customer in the manifest gets an inclusion proof; one
/// not in it gets the two adjacent entries around where it would be.
pub fn prove<R: Read>(
    input: R,
    transfer_key: &TransferKey,
    tree: &ManifestTree,
    customers: &[CustomerId],
    max_entry_len: u32,
) -> Result<Vec<CustomerProof>, TransferError> {
    let mut needed: BTreeSet<usize> = BTreeSet::new();
    for c in customers {
        match tree.position(*c) {
            Ok(i) => {
                needed.insert(i);
            }
            Err(gap) => {
                if let Some(before) = gap.checked_sub(1) {
                    needed.insert(before);
                }
                if (gap as u64) < tree.size() {
                    needed.insert(gap);
                }
            }
        }
    }
    let mut reader = PackageReader::open(input, max_entry_len)?;
    let header = reader.header().clone();
    reader.unseal_with(transfer_key)?;
    let mut found: BTreeMap<usize, ManifestEntry> = BTreeMap::new();
    let mut index = 0usize;
    let (signed, signature) = loop {
        match reader.next_record()? {
            Record::Entry(entry) => {
                if needed.contains(&index) {
                    found.insert(index, entry.manifest_entry());
                }
                index += 1;
            }
            // Not yielded once the reader has the key; refused rather than skipped.
            Record::Sealed(sealed) => {
                return Err(TransferError::EntrySealBroken { entry: sealed.index });
            }
            Record::Trailer(Trailer { signed, signature }) => break (signed, signature),
        }
    };
    let (size, root) = (signed.count, signed.root);
    if size != tree.size() || root != tree.root() {
        return Err(TransferError::RootMismatch);
    }
    let proven = |i: usize| -> Result<_, TransferError> {
        let entry = found
            .get(&i)
            .cloned()
            .ok_or_else(|| TransferError::NotInTransfer {
                transfer: header.transfer_id(),
                what: format!("manifest entry {i}"),
            })?;
        Ok(CustomerProof::prove(entry, i, tree))
    };
    customers
        .iter()
        .map(|c| {
            let outcome = match tree.position(*c) {
                Ok(i) => ProofOutcome::Moved { entry: proven(i)? },
                Err(gap) => ProofOutcome::NotMoved {
                    before: gap.checked_sub(1).map(proven).transpose()?,
                    after: if (gap as u64) < tree.size() {
                        Some(proven(gap)?)
                    } else {
                        None
                    },
                },
            };
            Ok(CustomerProof {
                customer: *c,
                transfer_id: header.transfer_id(),
                agreement_digest: header.agreement_digest(),
                header: to_hex(header.as_bytes()),
                size,
                sections: signed.sections,
                section_bytes: signed.section_bytes,
                entries_digest: signed.entries_digest,
                root,
                signature,
                outcome,
            })
        })
        .collect()
}
