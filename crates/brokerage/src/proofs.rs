//! Read-only ledger proofs for an auditor (PIPL Art 54 compliance audits; Art 69: the handler bears the
//! burden of proving it was not at fault, and these are its evidence): the inclusion proof of an entry
//! under a tree size and the consistency proof between two sizes (RFC 9162 §2.1.3, §2.1.4), as the
//! ledger's own [`InclusionProof`] and [`ConsistencyProof`] types, which a party holding a signed
//! checkpoint of each size checks with custodia-ledger's verifiers. Nothing here writes: a proof is
//! computed from the stored tree, and a bad index or size is refused by name.

use custodia_ledger::{ConsistencyProof, InclusionProof};

use crate::brokerage::Brokerage;
use crate::error::BrokerageError;

impl Brokerage {
    /// The ledger's size now (the number of entries), as this process knows it.
    pub fn ledger_size(&self) -> u64 {
        self.log().size()
    }

    /// The inclusion proof of entry `index` in the tree of `size` leaves. Refused by name
    /// ([`BrokerageError::InvalidInput`]): a `size` of 0 or above the ledger's, an `index` not below `size`.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<InclusionProof, BrokerageError> {
        let log = self.log();
        let current = log.size();
        if size == 0 || size > current {
            return Err(BrokerageError::InvalidInput {
                field: "size",
                reason: format!("{size} is not a tree size of this ledger (1 to {current})"),
            });
        }
        if index >= size {
            return Err(BrokerageError::InvalidInput {
                field: "index",
                reason: format!("entry {index} is not in the tree of {size} entries"),
            });
        }
        Ok(log.inclusion_proof(index, size)?)
    }

    /// The consistency proof from the tree of `old` leaves to the tree of `new` (empty when `old` is 0 or
    /// equals `new`). Refused by name: a `new` above the ledger's size, an `old` above `new`.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<ConsistencyProof, BrokerageError> {
        let log = self.log();
        let current = log.size();
        if new > current {
            return Err(BrokerageError::InvalidInput {
                field: "new",
                reason: format!("{new} is above this ledger's size {current}"),
            });
        }
        if old > new {
            return Err(BrokerageError::InvalidInput {
                field: "old",
                reason: format!("{old} is above the newer size {new}"),
            });
        }
        Ok(log.consistency_proof(old, new)?)
    }
}
