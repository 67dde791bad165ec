//! Restores checked against the ledger and a held checkpoint, for both backends: what a restore must prove before the store is used again.

use custodia_ledger::{Log, LogStore, SignedCheckpoint, TrustPolicy};

use crate::error::StoreError;

/// What a restore does with a backup whose log is shorter than the checkpoint the caller holds — a
/// backup older than evidence already handed out (a receipt, a destruction certificate, an auditor's
/// copy). Not a `bool`: the choice to roll evidence back is spelled out where it is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OlderThanCheckpoint {
    /// Refuse it ([`StoreError::BackupOlderThanCheckpoint`]): the default.
    Refuse,
    /// Restore it all the same, knowing that the entries after the backup are gone and that every
    /// receipt or certificate for them will no longer verify against this store; the report says how
    /// many.
    Restore,
}

/// What a restored store is checked against: the log's trust policy (its origin and keys) and a
/// signed checkpoint held outside the store — by an auditor, a witness, or the operator's own copy
/// from before the failure. A whole-file rollback or truncation is invisible from inside the file; it
/// shows only against a checkpoint kept elsewhere.
#[derive(Clone, Copy, Debug)]
pub struct RestoreCheck<'a> {
    /// The log's trust policy.
    pub policy: &'a TrustPolicy,
    /// The held checkpoint.
    pub held: &'a SignedCheckpoint,
    /// What to do with a backup older than it.
    pub older: OlderThanCheckpoint,
}

/// What a restore established.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RestoreReport {
    /// The restored log's size.
    pub log_size: u64,
    /// The held checkpoint's size.
    pub checkpoint_size: u64,
    /// How many entries of the held checkpoint the backup lacks (0 unless the backup was older and
    /// restored with [`OlderThanCheckpoint::Restore`]).
    pub entries_behind_checkpoint: u64,
}

/// Checks a restored store: the held checkpoint verifies under the policy; the whole restored log
/// verifies (every leaf, node, redaction and stored checkpoint, [`Log::verify`]); and the log extends
/// the held checkpoint — its root at the checkpoint's size is the checkpoint's root. A log shorter than
/// the checkpoint is refused unless `check.older` says [`OlderThanCheckpoint::Restore`].
///
/// For PostgreSQL, run it on a `PostgresStore` (feature `postgres`) connected to the restored database (after
/// `pg_restore` or a base-backup recovery) before any service uses it.
pub fn verify_restored<S: LogStore>(store: S, check: &RestoreCheck<'_>) -> Result<RestoreReport, StoreError> {
    let refused = |error: custodia_ledger::LedgerError| StoreError::BackupDoesNotVerify {
        detail: error.to_string(),
    };
    let held = check.held.verify(check.policy).map_err(refused)?;
    let log = Log::new(store).map_err(refused)?;
    log.verify(check.policy).map_err(refused)?;
    let checkpoint_size = held.checkpoint().size();
    let log_size = log.size();
    if log_size < checkpoint_size {
        return match check.older {
            OlderThanCheckpoint::Refuse => Err(StoreError::BackupOlderThanCheckpoint {
                backup_size: log_size,
                checkpoint_size,
            }),
            OlderThanCheckpoint::Restore => Ok(RestoreReport {
                log_size,
                checkpoint_size,
                entries_behind_checkpoint: checkpoint_size - log_size,
            }),
        };
    }
    if log.root_at(checkpoint_size).map_err(refused)? != *held.checkpoint().root() {
        return Err(StoreError::BackupDoesNotVerify {
            detail: format!("the log's root at size {checkpoint_size} is not the held checkpoint's"),
        });
    }
    Ok(RestoreReport {
        log_size,
        checkpoint_size,
        entries_behind_checkpoint: 0,
    })
}
