//! Consent records as ledger entries: appending them, rebuilding the index from a log, catching up.

use chrono::{DateTime, Utc};
use custodia_ledger::{Log, LogStore, NoteSigner, SignedCheckpoint};
use custodia_model::{Phase, Progress};

use crate::decision::{ConsentDecision, Subject};
use crate::error::ConsentError;
use crate::event::ConsentEvent;
use crate::index::ConsentIndex;
use crate::notice::Notice;
use crate::policy::BasisPolicy;
use crate::propagation::{Confirm, Confirmed, PropagationTask, Tell, ToTell, Told};
use crate::receipt::ConsentReceipt;
use crate::record::ConsentRecord;
use crate::scope::ProposedUse;

/// Entries read from the store per call while rebuilding: large enough to amortize a database round trip,
/// small enough to keep memory flat.
pub const REBUILD_BATCH: u64 = 4096;

impl ConsentIndex {
    /// Builds the index from every entry of `log`, in ledger order, reporting entries read out of the log's
    /// size to `progress` ([`Phase::ConsentReplay`]) after each batch. Entries that are not consent records (other crates' entries, the
    /// ledger's redaction records) and redacted entries are skipped; a consent payload that does not decode
    /// is an error naming its index.
    pub fn rebuild<S: LogStore>(
        log: &Log<S>,
        policy: BasisPolicy,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Self, ConsentError> {
        let mut index = Self::new(policy);
        index.catch_up(log, progress)?;
        index.shrink_to_fit();
        Ok(index)
    }

    /// Takes in the entries appended to `log` since the last one indexed (by another writer, for
    /// instance), reporting progress like [`ConsentIndex::rebuild`].
    pub fn catch_up<S: LogStore>(
        &mut self,
        log: &Log<S>,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(), ConsentError> {
        let size = log.size();
        let mut start = self.last_index().map_or(0, |last| last.saturating_add(1));
        while start < size {
            let end = start.saturating_add(REBUILD_BATCH).min(size);
            for entry in log.store().entries(start..end)? {
                match entry.payload() {
                    Some(payload) => {
                        self.insert_payload(entry.index(), payload)?;
                    }
                    None => self.skip(entry.index())?,
                }
            }
            progress(Progress::new(Phase::ConsentReplay, end, Some(size)));
            start = end;
        }
        Ok(())
    }
}

/// A consent ledger: the log that proves, with the index that answers. Every notice and event is appended
/// to the log first and indexed only once the append succeeded, so the index never knows more than the
/// ledger proves.
#[derive(Debug)]
pub struct ConsentLedger<S: LogStore> {
    log: Log<S>,
    index: ConsentIndex,
}

impl<S: LogStore> ConsentLedger<S> {
    /// Opens `log`, rebuilding the index from it under `policy`.
    pub fn open(
        log: Log<S>,
        policy: BasisPolicy,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Self, ConsentError> {
        let index = ConsentIndex::rebuild(&log, policy, progress)?;
        Ok(Self { log, index })
    }

    /// Appends a notice version; returns its ledger index.
    pub fn publish(&mut self, notice: &Notice) -> Result<u64, ConsentError> {
        self.append(ConsentRecord::Notice(notice.clone()))
    }

    /// Appends an event; returns its ledger index.
    pub fn record(&mut self, event: &ConsentEvent) -> Result<u64, ConsentError> {
        self.append(ConsentRecord::Event(event.clone()))
    }

    /// Appends several records in one ledger batch (one transaction in a database store); returns the
    /// index of the first. Records the index would refuse (a notice version that conflicts with one
    /// already published, a 65th purpose) are refused before anything is appended.
    pub fn record_batch(&mut self, records: &[ConsentRecord]) -> Result<u64, ConsentError> {
        let payloads = records
            .iter()
            .map(ConsentRecord::encode)
            .collect::<Result<Vec<_>, _>>()?;
        let slices: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
        // Another writer may have appended since we last looked: index its entries first, so that ours
        // arrive in ledger order. Then make sure the index will take every record before the ledger does,
        // since a ledger entry cannot be taken back.
        self.index.catch_up(&self.log, &mut |_| {})?;
        self.index.check(records)?;
        let appended = self.log.append(&slices)?;
        for (i, record) in appended.indices().zip(records) {
            self.index.insert(i, record)?;
        }
        Ok(appended.first_index())
    }

    /// Records that the recipient of `task` was told, and returns the task in its next state. The entry is
    /// checked before it is appended (the recipient must be one to tell, and told only once), so the task
    /// and the ledger move together.
    pub fn record_told(
        &mut self,
        task: &PropagationTask<ToTell>,
        tell: Tell,
    ) -> Result<PropagationTask<Told>, ConsentError> {
        let record = task.tell(tell);
        let entry = self.append(ConsentRecord::Propagation(record.clone()))?;
        task.clone().told(entry, &record)
    }

    /// Records that the recipient of `task` confirmed, and returns the task in its last state.
    pub fn record_confirmed(
        &mut self,
        task: &PropagationTask<Told>,
        confirm: Confirm,
    ) -> Result<PropagationTask<Confirmed>, ConsentError> {
        let record = task.confirm(confirm)?;
        let entry = self.append(ConsentRecord::Propagation(record.clone()))?;
        task.clone().confirmed(entry, &record)
    }

    fn append(&mut self, record: ConsentRecord) -> Result<u64, ConsentError> {
        self.record_batch(std::slice::from_ref(&record))
    }

    /// Signs a checkpoint of the current log with the controller's log key, for receipts.
    pub fn checkpoint(
        &mut self,
        signer: &NoteSigner,
        origin: &str,
        time: DateTime<Utc>,
    ) -> Result<SignedCheckpoint, ConsentError> {
        Ok(self.log.checkpoint_with_time(signer, origin, time)?)
    }

    /// A consent receipt for the event at ledger index `event`, proven against `checkpoint`.
    pub fn receipt(&self, event: u64, checkpoint: &SignedCheckpoint) -> Result<ConsentReceipt, ConsentError> {
        ConsentReceipt::issue(&self.log, &self.index, event, checkpoint)
    }

    /// Shorthand for [`ConsentIndex::permits`].
    pub fn permits(
        &self,
        subject: &Subject,
        use_: &ProposedUse,
        at: DateTime<Utc>,
        as_of: DateTime<Utc>,
    ) -> ConsentDecision {
        self.index.permits(subject, use_, at, as_of)
    }

    /// The index.
    pub fn index(&self) -> &ConsentIndex {
        &self.index
    }

    /// The log.
    pub fn log(&self) -> &Log<S> {
        &self.log
    }

    /// Gives the log back.
    pub fn into_log(self) -> Log<S> {
        self.log
    }
}
