//! Sweeps over a synthetic book: counts add up, agree with per-customer decisions, the next review date
//! is the first day anything changes, failures are reported and progress is called.

// Test helpers outside #[test] functions may unwrap too: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use custodia_synthetic::retention as book;

use chrono::{Days, NaiveDate};
use custodia_model::{CustomerId, DataCategory, Jurisdiction, LegalBasis, Purpose};
use custodia_model::{Phase, Progress};
use custodia_retention::{
    HeldData, Holding, Holds, PlanItem, Profile, PurposeBasis, RetentionError, RetentionFacts,
    RetentionOutcome, Sweep, SweepConfig, SweepInput, SweepObserver, sweep,
};

#[derive(Default)]
struct Recorder {
    items: Vec<PlanItem>,
}

impl SweepObserver for Recorder {
    fn destroyable(&mut self, item: PlanItem) {
        self.items.push(item);
    }
}

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
}

fn outcomes(profile: &Profile, n: u64, on: NaiveDate) -> Vec<RetentionOutcome> {
    book::book(3, n, as_of())
        .flat_map(|f| profile.decide(&f, &Holds::new(), on).unwrap())
        .map(|d| d.outcome())
        .collect()
}

#[test]
fn counts_add_up_and_agree_with_single_decisions() {
    let profile = Profile::cn_insurance_broker().unwrap();
    let mut seen = Recorder::default();
    let mut progress: Vec<Progress> = Vec::new();
    let holds = Holds::new();
    let input = SweepInput {
        profile: &profile,
        holds: &holds,
        as_of: as_of(),
        config: SweepConfig { progress_every: 500 },
    };
    let summary = sweep(input, book::book(3, 2_000, as_of()), &mut seen, &mut |p| {
        progress.push(p)
    });
    let done: Vec<u64> = progress.iter().map(|p| p.done()).collect();
    assert_eq!(done, vec![500, 1000, 1500, 2000, 2000]);
    assert!(progress.iter().all(|p| p.phase() == Phase::RetentionSweep));
    assert_eq!(progress.last().and_then(|p| p.total()), Some(2000));
    assert_eq!(summary.customers(), 2_000);
    assert!(summary.failures().is_empty());
    assert_eq!(
        summary.retain() + summary.storage_only() + summary.destroy(),
        summary.holdings()
    );
    let all = outcomes(&profile, 2_000, as_of());
    assert_eq!(all.len() as u64, summary.holdings());
    let destroy = all.iter().filter(|o| o.is_destroy()).count() as u64;
    assert_eq!(destroy, summary.destroy());
    assert!(summary.destroy() > 0 && summary.storage_only() > 0 && summary.retain() > 0);
    let planned: u64 = seen.items.iter().map(|i| i.holdings().len() as u64).sum();
    assert_eq!(planned, summary.destroy());
    assert_eq!(seen.items.len() as u64, summary.destroyable_customers());
    assert!(summary.becoming_destroyable().keys().all(|d| *d > as_of()));
}

#[test]
fn nothing_changes_before_the_next_review_and_something_changes_on_it() {
    let profile = Profile::cn_insurance_broker().unwrap();
    let n = 300;
    let holds = Holds::new();
    let input = SweepInput {
        profile: &profile,
        holds: &holds,
        as_of: as_of(),
        config: SweepConfig::default(),
    };
    let summary = sweep(input, book::book(3, n, as_of()), &mut (), &mut |_| {});
    let next = summary.next_review().unwrap();
    assert!(next > as_of());
    let now = outcomes(&profile, n, as_of());
    let kinds = |v: &[RetentionOutcome]| v.iter().map(std::mem::discriminant).collect::<Vec<_>>();
    let day_before = next.checked_sub_days(Days::new(1)).unwrap();
    assert_eq!(kinds(&outcomes(&profile, n, day_before)), kinds(&now));
    assert_ne!(kinds(&outcomes(&profile, n, next)), kinds(&now));
    // Everything scheduled to become destroyable does so on its day.
    let (first, count) = summary
        .becoming_destroyable()
        .iter()
        .next()
        .map(|(d, c)| (*d, *c))
        .unwrap();
    let then = outcomes(&profile, n, first);
    let newly = now
        .iter()
        .zip(&then)
        .filter(|(a, b)| !a.is_destroy() && b.is_destroy())
        .count() as u64;
    assert_eq!(newly, count);
}

#[test]
fn a_customer_that_cannot_be_decided_is_reported_and_the_sweep_goes_on() {
    let profile = Profile::cn_insurance_broker().unwrap();
    let c = CustomerId::new_v7();
    // Marketing preferences collected at the end of the calendar: three years later is out of range.
    let broken = RetentionFacts::builder(c, Jurisdiction::MAINLAND_CHINA)
        .held(
            HeldData::new(
                c,
                Holding::Category(DataCategory::MarketingPreferences),
                NaiveDate::MAX,
                vec![PurposeBasis::new(Purpose::Marketing, LegalBasis::Consent)],
            )
            .unwrap(),
        )
        .build()
        .unwrap();
    let mut book: Vec<RetentionFacts> = book::book(3, 10, as_of()).collect();
    book.insert(4, broken);
    let holds = Holds::new();
    let mut run = Sweep::new(&profile, &holds, as_of());
    let mut errors = 0;
    for f in &book {
        if let Err(e) = run.record(f) {
            assert!(
                matches!(e, RetentionError::DateOutOfRange { ref rule, .. } if rule == "pipl-47-marketing-maximum")
            );
            errors += 1;
        }
    }
    let summary = run.finish();
    assert_eq!(errors, 1);
    assert_eq!(summary.customers(), 11);
    assert_eq!(summary.failures().len(), 1);
    assert_eq!(summary.failures()[0].customer(), c);
    assert!(
        summary.failures()[0]
            .error()
            .contains("pipl-47-marketing-maximum")
    );
}
