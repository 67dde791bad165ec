//! Properties with a quantifier: holds never yield `Destroy`, time never undoes `Destroy`, and a
//! withdrawal never keeps data past the legal floors (nor longer than without it).

// Test helpers outside #[test] functions may unwrap too: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::OnceLock;

use chrono::{Days, Months, NaiveDate};
use custodia_model::ActorId;
use custodia_model::{CustomerId, DataCategory, Jurisdiction, LegalBasis, Purpose};
use custodia_retention::{
    Contract, ContractTerm, HeldCustomers, HeldData, HoldScope, Holding, Holds, PlaceHold, Profile,
    PurposeBasis, RecordKind, RetentionDecision, RetentionFacts, RetentionOutcome, Settings,
};
use proptest::prelude::*;

fn base() -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 1).unwrap()
}

fn day(offset: u32) -> NaiveDate {
    base().checked_add_days(Days::new(u64::from(offset))).unwrap()
}

fn profiles() -> &'static [Profile; 2] {
    static P: OnceLock<[Profile; 2]> = OnceLock::new();
    P.get_or_init(|| {
        let both = Profile::combined(
            "cn+gdpr",
            &[
                &Profile::cn_insurance_broker().unwrap(),
                &Profile::gdpr().unwrap(),
            ],
        )
        .unwrap();
        // Not an AML-obligated institution under either law.
        let not_aml = both.with_settings(Settings {
            aml_obligated: false,
            eu_aml_obligated: false,
            ..Settings::default()
        });
        [both, not_aml]
    })
}

const HOLDINGS: [Holding; 12] = [
    Holding::Category(DataCategory::Identity),
    Holding::Category(DataCategory::Contact),
    Holding::Category(DataCategory::FinancialAccounts),
    Holding::Category(DataCategory::Health),
    Holding::Category(DataCategory::Policies),
    Holding::Category(DataCategory::Claims),
    Holding::Category(DataCategory::Beneficiaries),
    Holding::Category(DataCategory::MarketingPreferences),
    Holding::Category(DataCategory::KycAml),
    Holding::Record(RecordKind::ImpactAssessment),
    Holding::Record(RecordKind::ProcessingRecord),
    Holding::Record(RecordKind::ProvisionRecord),
];

const PURPOSES: [Purpose; 4] = [
    Purpose::PolicyServicing,
    Purpose::Marketing,
    Purpose::ProposalPreparation,
    Purpose::LegalCompliance,
];

const BASES: [LegalBasis; 3] = [
    LegalBasis::Consent,
    LegalBasis::Contract,
    LegalBasis::LegalObligation,
];

/// A holding spec: index into `HOLDINGS`, collection day offset, uses as (purpose, basis) indices.
type HeldSpec = (usize, u32, Vec<(usize, usize)>);

/// Everything needed to build one customer's facts, as plain numbers proptest can shrink.
#[derive(Clone, Debug)]
struct Spec {
    eu: bool,
    aml: bool,
    held: Vec<HeldSpec>,
    contracts: Vec<(bool, Option<u32>)>,
    relationship_ended: Option<u32>,
    transactions: Vec<u32>,
    withdrawn: Vec<(usize, u32)>,
    fulfilled: Vec<(usize, u32)>,
    transfer: Option<u32>,
}

const SPAN: u32 = 12_000;

fn spec() -> impl Strategy<Value = Spec> {
    (
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(
            (
                0..HOLDINGS.len(),
                0..SPAN,
                prop::collection::vec((0..4usize, 0..3usize), 1..3),
            ),
            1..5,
        ),
        prop::collection::vec((any::<bool>(), prop::option::of(0..SPAN)), 0..3),
        prop::option::of(0..SPAN),
        prop::collection::vec(0..SPAN, 0..3),
        prop::collection::vec((0..4usize, 0..SPAN), 0..3),
        prop::collection::vec((0..4usize, 0..SPAN), 0..2),
        prop::option::of(0..SPAN),
    )
        .prop_map(
            |(eu, aml, held, contracts, relationship_ended, transactions, withdrawn, fulfilled, transfer)| {
                Spec {
                    eu,
                    aml,
                    held,
                    contracts,
                    relationship_ended,
                    transactions,
                    withdrawn,
                    fulfilled,
                    transfer,
                }
            },
        )
}

fn build(spec: &Spec, customer: CustomerId) -> RetentionFacts {
    let j = if spec.eu {
        Jurisdiction::new("DE").unwrap()
    } else {
        Jurisdiction::MAINLAND_CHINA
    };
    let mut b = RetentionFacts::builder(customer, j);
    let mut seen = Vec::new();
    for (h, on, uses) in &spec.held {
        if seen.contains(h) {
            continue;
        }
        seen.push(*h);
        let uses = uses
            .iter()
            .map(|(p, basis)| PurposeBasis::new(PURPOSES[*p].clone(), BASES[*basis]))
            .collect();
        b = b.held(HeldData::new(customer, HOLDINGS[*h], day(*on), uses).unwrap());
    }
    for (long, end) in &spec.contracts {
        let term = if *long {
            ContractTerm::MoreThanOneYear
        } else {
            ContractTerm::OneYearOrLess
        };
        b = b.contract(match end {
            Some(e) => Contract::ending(term, day(*e)),
            None => Contract::in_force(term),
        });
    }
    if let Some(r) = spec.relationship_ended {
        b = b.relationship_ended(day(r));
    }
    for t in &spec.transactions {
        b = b.transaction(day(*t));
    }
    let mut done = Vec::new();
    for (p, on) in &spec.withdrawn {
        if !done.contains(p) {
            done.push(*p);
            b = b.consent_withdrawn(PURPOSES[*p].clone(), day(*on));
        }
    }
    let mut done = Vec::new();
    for (p, on) in &spec.fulfilled {
        if !done.contains(p) {
            done.push(*p);
            b = b.purpose_fulfilled(PURPOSES[*p].clone(), day(*on));
        }
    }
    if let Some(t) = spec.transfer {
        b = b.transfer_completed(day(t));
    }
    b.build().unwrap()
}

fn profile(spec: &Spec) -> &'static Profile {
    &profiles()[usize::from(!spec.aml)]
}

fn rank(o: RetentionOutcome) -> u8 {
    match o {
        RetentionOutcome::Retain { .. } => 0,
        RetentionOutcome::StorageOnly { .. } => 1,
        RetentionOutcome::Destroy { .. } => 2,
        RetentionOutcome::HandOver { .. } => 3,
        _ => unreachable!("a new outcome needs a rank"),
    }
}

fn decide(spec: &Spec, f: &RetentionFacts, holds: &Holds, on: u32) -> Vec<RetentionDecision> {
    profile(spec).decide(f, holds, day(on)).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    /// A hold never turns a decision into `Destroy`, and does not touch holdings it does not cover.
    #[test]
    fn a_hold_never_yields_destroy(
        spec in spec(),
        on in 0..(2 * SPAN),
        placed in 0..(2 * SPAN),
        covered in prop::collection::vec(0..HOLDINGS.len(), 0..4),
        only_this_customer in any::<bool>(),
    ) {
        let customer = CustomerId::new_v7();
        let f = build(&spec, customer);
        let mut holds = Holds::new();
        let customers = if only_this_customer {
            HeldCustomers::Only([customer].into())
        } else {
            HeldCustomers::All
        };
        let scope_holdings: Vec<Holding> = covered.iter().map(|i| HOLDINGS[*i]).collect();
        holds.place(PlaceHold {
            reason: "litigation".into(),
            scope: HoldScope::new(customers, scope_holdings.clone()),
            by: ActorId::new("legal-1").unwrap(),
            on: day(placed),
        }).unwrap();
        let with = decide(&spec, &f, &holds, on);
        let without = decide(&spec, &f, &Holds::new(), on);
        for (w, wo) in with.iter().zip(&without) {
            let covers = placed <= on && (scope_holdings.is_empty() || scope_holdings.contains(&w.holding()));
            if covers {
                prop_assert!(!w.outcome().is_destroy(), "{:?}", w);
                prop_assert!(!w.holds().is_empty());
                prop_assert!(rank(w.outcome()) <= rank(wo.outcome()).max(1));
            } else {
                prop_assert_eq!(w, wo);
            }
        }
    }

    /// On the same facts, a later date never moves a holding back: Retain → StorageOnly → Destroy only
    /// forward, and `Destroy` keeps its due date.
    #[test]
    fn later_dates_never_undo_destroy(spec in spec(), a in 0..(2 * SPAN), b in 0..(2 * SPAN)) {
        let (early, late) = (a.min(b), a.max(b));
        let f = build(&spec, CustomerId::new_v7());
        let first = decide(&spec, &f, &Holds::new(), early);
        let second = decide(&spec, &f, &Holds::new(), late);
        for (x, y) in first.iter().zip(&second) {
            prop_assert!(rank(x.outcome()) <= rank(y.outcome()), "{:?} then {:?}", x.outcome(), y.outcome());
            if let RetentionOutcome::Destroy { .. } = x.outcome() {
                prop_assert_eq!(x.outcome(), y.outcome());
            }
            if let Some(from) = x.destroyable_from() {
                prop_assert_eq!(Some(from), y.destroyable_from());
                prop_assert_eq!(y.outcome().is_destroy(), day(late) >= from);
            }
        }
    }

    /// Adding withdrawals never keeps anything longer: what was destroyable stays destroyable, and the
    /// day it becomes destroyable never moves later.
    #[test]
    fn a_withdrawal_never_delays_destruction(
        spec in spec(),
        extra in prop::collection::vec((0..4usize, 0..SPAN), 1..4),
        on in 0..(2 * SPAN),
    ) {
        let customer = CustomerId::new_v7();
        let before = build(&spec, customer);
        let mut more = spec.clone();
        more.withdrawn.extend(extra);
        let after = build(&more, customer);
        let x = decide(&spec, &before, &Holds::new(), on);
        let y = decide(&more, &after, &Holds::new(), on);
        for (x, y) in x.iter().zip(&y) {
            prop_assert!(rank(y.outcome()) >= rank(x.outcome()), "{:?} became {:?}", x.outcome(), y.outcome());
            if let (Some(a), Some(b)) = (x.destroyable_from(), y.destroyable_from()) {
                prop_assert!(b <= a);
            }
            if x.destroyable_from().is_some() {
                prop_assert!(y.destroyable_from().is_some());
            }
        }
    }

    /// When every purpose of a holding rests on consent and every consent is withdrawn, the holding is
    /// kept exactly to the legal floor (computed here independently of the crate), never past it.
    #[test]
    fn a_withdrawal_keeps_data_exactly_to_the_floors(
        spec in spec(),
        withdrawal_offsets in prop::collection::vec(0..SPAN, 4),
        after in 1..(2 * SPAN),
    ) {
        let mut spec = spec;
        spec.relationship_ended = None;
        spec.fulfilled.clear();
        spec.transfer = None;
        // Consent only, no marketing-preferences maximum in the way; withdraw every purpose.
        spec.held.retain(|(h, _, _)| HOLDINGS[*h] != Holding::Category(DataCategory::MarketingPreferences));
        for (_, _, uses) in &mut spec.held {
            for u in uses.iter_mut() {
                u.1 = 0;
            }
        }
        spec.withdrawn = (0..4).map(|p| (p, withdrawal_offsets[p])).collect();
        let f = build(&spec, CustomerId::new_v7());
        let last_withdrawal = withdrawal_offsets.iter().copied().max().unwrap_or(0);
        let on = last_withdrawal + after;
        for dec in decide(&spec, &f, &Holds::new(), on) {
            if let Holding::Record(_) = dec.holding() {
                // A customer's withdrawal does not delete records about the book, under either profile: they
                // run from the end of the processing they document, which goes on here (PIPL Art 19, GDPR
                // Art 5(1)(e) and 5(2)).
                prop_assert_eq!(dec.outcome(), RetentionOutcome::Retain { until: None }, "{:?}", dec);
                continue;
            }
            let held = f.held().iter().find(|h| h.holding() == dec.holding()).unwrap();
            let withdrawn = held.uses().iter().map(|u| f.withdrawn_on(u.purpose()).unwrap()).max().unwrap();
            let want = match oracle_floor(&f, dec.holding(), spec.aml, spec.eu) {
                Floor::Open => RetentionOutcome::StorageOnly { until: None },
                Floor::Until(l) if l >= day(on) => RetentionOutcome::StorageOnly { until: Some(l) },
                Floor::Until(l) => RetentionOutcome::Destroy { due_since: (l + Days::new(1)).max(withdrawn + Days::new(1)) },
                Floor::None => RetentionOutcome::Destroy { due_since: withdrawn + Days::new(1) },
            };
            prop_assert_eq!(dec.outcome(), want, "{:?}", dec);
        }
    }
}

enum Floor {
    None,
    Open,
    Until(NaiveDate),
}

fn plus_years(d: NaiveDate, years: u32) -> NaiveDate {
    d.checked_add_months(Months::new(12 * years)).unwrap()
}

/// The legal floor of the shipped `cn-insurance-broker` profile, written out by hand from the law
/// (Broker Rule Art 51, AML Law 2024 Art 34), and for a customer in the EEA of the `gdpr` profile's floors too
/// (GDPR Art 17(3)(e): the policy file ten years after the last contract ends), for a customer data section of a
/// prospect: no relationship and no due diligence recorded, so neither AML identity floor (AML Law 2024 Art 34,
/// Directive (EU) 2015/849 Art 40(1)) has opened.
fn oracle_floor(f: &RetentionFacts, h: Holding, aml: bool, eu: bool) -> Floor {
    use DataCategory as C;
    let mut ends: Vec<NaiveDate> = Vec::new();
    let business = [
        C::Identity,
        C::Policies,
        C::Claims,
        C::Beneficiaries,
        C::FinancialAccounts,
    ];
    match h {
        Holding::Category(c) => {
            if business.contains(&c) && !f.contracts().is_empty() {
                for k in f.contracts() {
                    let Some(end) = k.ended() else { return Floor::Open };
                    let years = if k.term() == ContractTerm::OneYearOrLess {
                        5
                    } else {
                        10
                    };
                    ends.push(plus_years(end, years));
                }
            }
            // A prospect: no AML identity floor (AML Law 2024 Art 34 and Directive (EU) 2015/849 Art 40(1)
            // open it with a relationship or due diligence). The transaction floor covers the payment records
            // of policies and claims too.
            let claims_file = [
                C::Identity,
                C::Policies,
                C::Claims,
                C::Beneficiaries,
                C::FinancialAccounts,
                C::Health,
            ];
            if eu && claims_file.contains(&c) && !f.contracts().is_empty() {
                let mut latest = None;
                for k in f.contracts() {
                    let Some(end) = k.ended() else { return Floor::Open };
                    latest = latest.max(Some(end));
                }
                ends.extend(latest.map(|end| plus_years(end, 10)));
            }
            if let Some(t) = f
                .last_transaction()
                .filter(|_| aml && [C::KycAml, C::FinancialAccounts, C::Policies, C::Claims].contains(&c))
            {
                ends.push(plus_years(t, 10));
            }
        }
        Holding::Record(_) => return Floor::Open,
    }
    ends.into_iter().max().map_or(Floor::None, Floor::Until)
}
