//! Transfer cases: one row per case in the records table (swapped only from the state it was read in), one ledger entry and one signed checkpoint for every step, each step one transaction.

pub(crate) mod buyer;
pub(crate) mod seller;

use chrono::{DateTime, Utc};
use custodia_model::TransferId;
use custodia_store::{Records, Swapped};
use custodia_transfer::SignedAgreement;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::brokerage::{Brokerage, Ledger};
use crate::error::{BrokerageError, CaseRole, CaseState};
use crate::records::{self, CASES};

/// A case row as read, with the exact bytes it was read as (a step swaps the row only if it is still
/// those bytes, so two instances on one PostgreSQL store cannot both run a step).
pub(crate) struct Loaded<T> {
    pub(crate) row: T,
    bytes: Vec<u8>,
}

/// The parts of a row every role has.
pub(crate) trait CaseRow: Serialize + DeserializeOwned {
    fn state(&self) -> CaseState;
}

/// The ledger entry of one step: which case, which step, when, the state it left the case in, and
/// what it did (ids, counts, digests; never personal information).
#[derive(Serialize)]
struct StepEntry<'a, D: Serialize> {
    kind: &'static str,
    transfer: TransferId,
    role: CaseRole,
    step: &'static str,
    at: DateTime<Utc>,
    state: CaseState,
    detail: &'a D,
}

impl Brokerage {
    pub(crate) fn load_case<T: CaseRow>(
        &self,
        transfer: TransferId,
        role: CaseRole,
    ) -> Result<Loaded<T>, BrokerageError> {
        let key = records::case_key(transfer, role);
        let bytes = self
            .store
            .record(CASES, &key)?
            .ok_or(BrokerageError::NoSuchCase { transfer, role })?;
        let row = records::decode_json(CASES, &key, &bytes)?;
        Ok(Loaded { row, bytes })
    }

    /// Swaps the case row from what it was loaded as to `row`, inside the current unit of work.
    pub(crate) fn save_case<T: CaseRow>(
        &self,
        transfer: TransferId,
        role: CaseRole,
        loaded: &Loaded<T>,
        row: &T,
    ) -> Result<(), BrokerageError> {
        let key = records::case_key(transfer, role);
        match self
            .store
            .swap_record(CASES, &key, Some(&loaded.bytes), &records::to_json(row)?)?
        {
            Swapped::Swapped => Ok(()),
            Swapped::Moved(now) => {
                // Another instance moved the case first: report where it stands now.
                let state = now
                    .map(|b| records::decode_json::<T>(CASES, &key, &b).map(|r| r.state()))
                    .transpose()?
                    .unwrap_or(loaded.row.state());
                Err(BrokerageError::OutOfOrder {
                    transfer,
                    role,
                    step: "save the case",
                    state,
                })
            }
        }
    }

    /// Appends the step's ledger entry and signs a checkpoint over it; returns the entry's index.
    pub(crate) fn step_entry<D: Serialize>(
        &self,
        log: &mut Ledger,
        (transfer, role): (TransferId, CaseRole),
        step: &'static str,
        state: CaseState,
        detail: &D,
    ) -> Result<u64, BrokerageError> {
        let payload = records::step_payload(&StepEntry {
            kind: "case_step",
            transfer,
            role,
            step,
            at: self.now(),
            state,
            detail,
        })?;
        let index = log.append(&[payload.as_slice()])?.first_index();
        self.checkpoint_in(log)?;
        Ok(index)
    }

    /// Creates the case row for `agreement` in `role` if there is none (state `Opened`, a ledger entry);
    /// an existing row under the same agreement is returned as it is, one under another agreement is
    /// [`BrokerageError::CaseConflict`].
    pub(crate) fn create_case<T: CaseRow>(
        &self,
        agreement: &SignedAgreement,
        role: CaseRole,
        fresh: impl FnOnce(String, u64) -> T,
        agreement_of: impl Fn(&T) -> &str,
    ) -> Result<(), BrokerageError> {
        let transfer = agreement.transfer_id();
        let encoded = hex::encode(agreement.encode());
        let key = records::case_key(transfer, role);
        self.write(|log| {
            if let Some(bytes) = self.store.record(CASES, &key)? {
                let row: T = records::decode_json(CASES, &key, &bytes)?;
                if agreement_of(&row) != encoded {
                    return Err(BrokerageError::CaseConflict { transfer, role });
                }
                return Ok(());
            }
            let row = fresh(encoded.clone(), log.size());
            if let Swapped::Moved(_) = self
                .store
                .swap_record(CASES, &key, None, &records::to_json(&row)?)?
            {
                return Err(BrokerageError::CaseConflict { transfer, role });
            }
            let digest = agreement.digest();
            self.step_entry(
                log,
                (transfer, role),
                "open",
                CaseState::Opened,
                &serde_json::json!({ "agreement": digest }),
            )?;
            Ok(())
        })
    }
}

/// One transfer case of this brokerage, as [`Brokerage::transfer_cases`] lists it: ids and a state, nothing
/// personal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CaseListing {
    /// The transfer.
    pub transfer: TransferId,
    /// Which side this brokerage is on.
    pub role: CaseRole,
    /// Where the case stands.
    pub state: CaseState,
}

impl Brokerage {
    /// Every transfer case this brokerage holds, seller's and buyer's, in transfer-id order (the
    /// compliance officer's overview; load one with [`Brokerage::seller_case`] or
    /// [`Brokerage::buyer_case`]). A row that does not decode is [`BrokerageError::RecordCorrupt`].
    pub fn transfer_cases(&self) -> Result<Vec<CaseListing>, BrokerageError> {
        #[derive(serde::Deserialize)]
        struct State {
            state: CaseState,
        }
        let mut out = Vec::new();
        records::scan_pages(
            &self.store,
            CASES,
            custodia_store::KeyRange::all(),
            64,
            &mut |page| {
                for r in page {
                    // transfer id (16 bytes) ‖ role (0 seller, 1 buyer)
                    let role = match (r.key.len(), r.key.last()) {
                        (17, Some(0)) => CaseRole::Seller,
                        (17, Some(1)) => CaseRole::Buyer,
                        _ => return Err(BrokerageError::corrupt(CASES.as_str(), &r.key, "not a case key")),
                    };
                    let mut id = [0u8; 16];
                    id.copy_from_slice(&r.key[..16]);
                    let transfer = TransferId::from_bytes(id)
                        .map_err(|e| BrokerageError::corrupt(CASES.as_str(), &r.key, e))?;
                    let row: State = records::decode_json(CASES, &r.key, &r.value)?;
                    out.push(CaseListing {
                        transfer,
                        role,
                        state: row.state,
                    });
                }
                Ok(())
            },
        )?;
        Ok(out)
    }
}

/// The error for `step` in a case that stands at `state`.
pub(crate) fn out_of_order(
    transfer: TransferId,
    role: CaseRole,
    step: &'static str,
    state: CaseState,
) -> BrokerageError {
    BrokerageError::OutOfOrder {
        transfer,
        role,
        step,
        state,
    }
}

/// Decodes the signed agreement stored in a row.
pub(crate) fn stored_agreement(hex_bytes: &str) -> Result<SignedAgreement, BrokerageError> {
    let bytes =
        hex::decode(hex_bytes).map_err(|e| BrokerageError::corrupt(CASES.as_str(), b"agreement", e))?;
    Ok(SignedAgreement::decode(&bytes)?)
}
