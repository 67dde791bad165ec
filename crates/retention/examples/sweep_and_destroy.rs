//! Sweep a synthetic book with the `cn-insurance-broker` profile, then destroy what is due: two signed approvals,
//! a shredder, and a certificate on an in-memory ledger.
//!
//! Run: `cargo run -p custodia-retention --example sweep_and_destroy -- 20000`

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::error::Error;

use chrono::{NaiveDate, TimeZone, Utc};
use custodia_ledger::{Log, MemoryStore};
use custodia_model::ActorId;
use custodia_model::CustomerId;
use custodia_model::Progress;
use custodia_retention::{
    DestructionMethod, DestructionPlan, Execution, Holding, Holds, PlanId, PlanItem, Profile, ShredRequest,
    Shredded, Shredder, SweepConfig, SweepInput, SweepObserver, sweep,
};
use uuid::Uuid;

use custodia_access::ApprovalSettings;
use custodia_synthetic::retention as book;
use custodia_synthetic::staff::Staff;

/// A stand-in for the section store: remembers which sections it deleted.
#[derive(Default)]
struct SectionStore {
    deleted: BTreeSet<(CustomerId, Holding)>,
}

impl Shredder for SectionStore {
    type Error = Infallible;

    fn method(&self) -> DestructionMethod {
        DestructionMethod::SectionDeletion
    }

    fn shred(&mut self, request: &ShredRequest<'_>) -> Result<Shredded, Infallible> {
        let mut fresh = false;
        for h in request.holdings {
            fresh |= self.deleted.insert((request.customer, *h));
        }
        Ok(if fresh {
            Shredded::Destroyed
        } else {
            Shredded::AlreadyDestroyed
        })
    }
}

/// Collects destroyable items.
#[derive(Default)]
struct Planner {
    items: Vec<PlanItem>,
}

impl SweepObserver for Planner {
    fn destroyable(&mut self, item: PlanItem) {
        self.items.push(item);
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let size: u64 = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(10_000);
    let as_of = NaiveDate::from_ymd_opt(2026, 1, 1).ok_or("date")?;
    let profile = Profile::cn_insurance_broker()?;
    let holds = Holds::new();

    let mut planner = Planner::default();
    let input = SweepInput {
        profile: &profile,
        holds: &holds,
        as_of,
        config: SweepConfig {
            progress_every: 5_000,
        },
    };
    // Progress goes to stderr: the library prints nothing, the caller owns the callback.
    let mut report = |p: Progress| eprintln!("swept {} customers", p.done());
    let summary = sweep(input, book::book(42, size, as_of), &mut planner, &mut report);
    println!(
        "{} customers, {} holdings: retain {}, storage only {}, destroy {}; next review {:?}",
        summary.customers(),
        summary.holdings(),
        summary.retain(),
        summary.storage_only(),
        summary.destroy(),
        summary.next_review()
    );
    for (day, count) in summary.becoming_destroyable().iter().take(5) {
        println!("  {count} holdings become destroyable on {day}");
    }

    let mut plan = DestructionPlan::new(
        PlanId::from_uuid(Uuid::now_v7())?,
        ActorId::new("ops-001")?,
        as_of,
        planner.items,
    )?;
    let now = Utc
        .with_ymd_and_hms(2026, 1, 2, 10, 0, 0)
        .single()
        .ok_or("time")?;
    // Two approvers sign the plan's digest (custodia-access); neither proposed it nor runs it.
    let (dpo, cco) = (Staff::approver("dpo-001", now)?, Staff::approver("cco-001", now)?);
    let request = [plan.approval_request()?];
    plan.approve(dpo.sign(&request)?.remove(0))?;
    if let Err(refused) = plan.approve(dpo.sign(&request)?.remove(0)) {
        println!("second approval by the same person refused: {refused}");
    }
    plan.approve(cco.sign(&request)?.remove(0))?;
    let operator = ActorId::new("ops-002")?;
    let directory = |id: &ActorId| {
        [&dpo, &cco]
            .into_iter()
            .find(|s| s.id() == id)
            .map(|s| s.principal.clone())
    };
    let plan = plan.into_approved(&operator, &directory, &ApprovalSettings::default())?;

    let mut store = SectionStore::default();
    let mut ledger = Log::new(MemoryStore::new())?;
    let run = Execution::new(&operator, now, &holds);
    let report = custodia_retention::execute(&plan, run, &mut store, &mut ledger)?;
    let customers: usize = report.certificates().iter().map(|(_, c)| c.entries().len()).sum();
    println!(
        "destroyed {} sections of {customers} customers; {} certificates on the ledger",
        store.deleted.len(),
        report.certificates().len(),
    );
    if let Some((index, first)) = report.certificates().first() {
        println!(
            "first certificate: ledger index {index}, {} bytes",
            first.to_payload()?.len()
        );
    }
    let again = custodia_retention::execute(&plan, run, &mut store, &mut ledger)?;
    println!(
        "re-run: {} failures, ledger size {}",
        again.failures().count(),
        ledger.size()
    );
    Ok(())
}
