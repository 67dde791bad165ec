//! The retention sweep over the whole book, streaming: each customer's sealed facts and consent withdrawals, one batch at a time, decided against the retention profile and the legal holds.

use custodia_model::{Phase, Progress};
use custodia_retention::{Sweep, SweepSummary};

use crate::brokerage::Brokerage;
use crate::error::BrokerageError;

impl Brokerage {
    /// Sweeps the book today (by the brokerage's clock): for every customer, each holding is `Retain`,
    /// `StorageOnly` or `Destroy` under the retention profile, with legal holds winning; the summary counts
    /// them, says who is destroyable now and when others become so, and names the next review date. Memory
    /// holds one batch of customers and the counts, whatever the book's size. It decides and reports; it
    /// destroys nothing (destruction needs two approvers). Progress is [`Phase::RetentionSweep`].
    pub fn retention_sweep(
        &self,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<SweepSummary, BrokerageError> {
        let today = self.now().date_naive();
        let holds = self.holds()?;
        let mut sweep = Sweep::new(&self.profile, &holds, today);
        let mut seen = 0u64;
        self.customer_batches(&mut |batch| {
            let ids: Vec<_> = batch.iter().map(|(c, _)| *c).collect();
            let view = self.consent_view(&ids, self.policy.clone(), None)?;
            for (customer, facts) in &batch {
                let retention = facts.retention(view.withdrawals(*customer), &self.policy, today)?;
                sweep.record(&retention)?;
            }
            seen += batch.len() as u64;
            progress(Progress::new(Phase::RetentionSweep, seen, None));
            Ok(())
        })?;
        progress(Progress::new(Phase::RetentionSweep, seen, Some(seen)));
        Ok(sweep.finish())
    }
}
