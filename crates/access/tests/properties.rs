//! Properties of the gate over the shipped policies, for any principal, request and facts: no plaintext
//! without an allow on the ledger, expired training refuses everything, storage-only data opens only for
//! compliance and security reads, restrictions never turn a deny into an allow, and entries round-trip.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;

use chrono::Duration;
use common::*;
use custodia_access::{
    AccessEntry, AccessFacts, AccessRequest, Action, Effect, Gate, PurposeBasis, SectionFacts, Ticket,
};
use custodia_ledger::{Log, MemoryStore};
use custodia_model::{CategorySet, CustomerId, DataCategory, Purpose};
use proptest::prelude::*;

#[derive(Clone, Debug)]
struct Flags {
    sensitive: bool,
    storage_only: bool,
    transferred: bool,
    hold: bool,
    basis: bool,
}

fn flags() -> impl Strategy<Value = Flags> {
    (
        prop::bool::weighted(0.3),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.1),
        any::<bool>(),
        prop::bool::weighted(0.9),
    )
        .prop_map(|(sensitive, storage_only, transferred, hold, basis)| Flags {
            sensitive,
            storage_only,
            transferred,
            hold,
            basis,
        })
}

fn section(category: DataCategory, f: &Flags) -> SectionFacts {
    let basis = if f.basis {
        PurposeBasis::Permitted
    } else {
        PurposeBasis::NotPermitted
    };
    let mut s = SectionFacts::new(category, basis);
    if f.sensitive {
        s = s.sensitive();
    }
    if f.storage_only {
        s = s.storage_only();
    }
    if f.transferred {
        s = s.transferred();
    }
    if f.hold {
        s = s.under_legal_hold();
    }
    s
}

#[derive(Clone, Debug)]
struct Case {
    roles: Vec<&'static str>,
    purposes: Vec<Purpose>,
    trained: bool,
    action: Action,
    purpose: Purpose,
    categories: Vec<(DataCategory, Flags)>,
    minor: bool,
    ticket: bool,
    customer: usize,
}

fn case() -> impl Strategy<Value = Case> {
    let purposes = all_purposes();
    (
        prop::sample::subsequence(ROLES.to_vec(), 1..=3),
        prop::sample::subsequence(purposes.clone(), 0..=4),
        prop::bool::weighted(0.9),
        prop::sample::select(vec![Action::Read, Action::Read, Action::Update, Action::Export]),
        prop::sample::select(purposes),
        prop::collection::btree_map(prop::sample::select(DataCategory::ALL.to_vec()), flags(), 1..=3),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.7),
        (0usize..4, prop::bool::weighted(0.6)),
    )
        .prop_map(
            |(
                roles,
                purposes,
                trained,
                action,
                purpose,
                categories,
                minor,
                ticket,
                (customer, plausible),
            )| {
                let mut c = Case {
                    roles,
                    purposes,
                    trained,
                    action,
                    purpose,
                    categories: categories.into_iter().collect(),
                    minor,
                    ticket,
                    customer,
                };
                if plausible {
                    make_plausible(&mut c);
                }
                c
            },
        )
}

/// Most generated requests are plausible — the principal is approved for the purpose, holds the role that
/// serves it and asks only categories it reads — so that allows are common (a test checks that they are).
fn make_plausible(c: &mut Case) {
    use DataCategory::*;
    if !c.purposes.contains(&c.purpose) {
        c.purposes.push(c.purpose.clone());
    }
    let (role, reads): (&'static str, Vec<DataCategory>) = match c.purpose.code() {
        "claims_assistance" => (
            "claims_handler",
            vec![Identity, Contact, Policies, Claims, Health],
        ),
        "policy_servicing" => ("account_manager", vec![Identity, Contact, Policies]),
        "marketing" => ("marketing", vec![Contact, MarketingPreferences]),
        "legal_compliance" => ("compliance", DataCategory::ALL.to_vec()),
        "security" => ("security_officer", DataCategory::ALL.to_vec()),
        _ => return,
    };
    if !c.roles.contains(&role) {
        c.roles.push(role);
    }
    c.categories.retain(|(category, _)| reads.contains(category));
    if c.categories.is_empty() {
        let plain = Flags {
            sensitive: false,
            storage_only: false,
            transferred: false,
            hold: false,
            basis: true,
        };
        c.categories.push((reads[0], plain));
    }
}

fn principal(c: &Case, id: &str) -> Staff {
    let at = monday_morning();
    let training = if c.trained {
        Some((at - Duration::days(10), at + Duration::days(10)))
    } else {
        Some((at - Duration::days(400), at - Duration::days(1)))
    };
    staff_trained(id, &c.roles, &c.purposes, training)
}

fn facts(c: &Case) -> AccessFacts {
    let f = c.categories.iter().fold(AccessFacts::new(), |f, (cat, flags)| {
        f.section(section(*cat, flags))
    });
    if c.minor { f.minor() } else { f }
}

fn decide(
    gate: &Gate,
    staff: &Staff,
    c: &Case,
    customer: CustomerId,
    ticket: &Ticket,
) -> custodia_access::Decision {
    let request = AccessRequest {
        principal: &staff.principal,
        action: c.action,
        customer,
        categories: c.categories.iter().map(|(c, _)| *c).collect(),
        purpose: &c.purpose,
        at: monday_morning(),
        ticket: c.ticket.then_some(ticket),
        approval: None,
    };
    gate.decide(&request, &facts(c)).unwrap()
}

fn gate() -> &'static Gate {
    static GATE: std::sync::OnceLock<Gate> = std::sync::OnceLock::new();
    GATE.get_or_init(|| Gate::cn_insurance_broker().unwrap())
}

/// A brokerage-shaped read over a toy vault: decide, log the entry, and open only what a permit names.
fn gated_read(
    log: &mut Log<MemoryStore>,
    vault: &BTreeMap<(CustomerId, DataCategory), String>,
    decision: custodia_access::Decision,
) -> Option<Vec<(u64, CustomerId, DataCategory, String)>> {
    let index = custodia_access::AccessLog::append(log, std::slice::from_ref(decision.entry()))
        .unwrap()
        .first_index();
    let permit = decision.into_permit().ok()?;
    Some(
        permit
            .categories()
            .iter()
            .map(|cat| {
                (
                    index,
                    permit.customer(),
                    cat,
                    vault[&(permit.customer(), cat)].clone(),
                )
            })
            .collect(),
    )
}

#[test]
fn the_ledger_property_sees_allows() {
    // Run the property's generator directly on a fixed seed and count allows.
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let ticket = Ticket::new("t-1").unwrap();
    let mut allows = 0;
    for _ in 0..200 {
        let c = case().new_tree(&mut runner).unwrap().current();
        let staff = principal(&c, "emp-1");
        if decide(gate(), &staff, &c, CustomerId::new_v7(), &ticket).effect() == Effect::Permit {
            allows += 1;
        }
    }
    assert!(allows >= 10, "only {allows} allows in 200 generated requests");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// No sequence of requests yields plaintext without an allow entry for that principal, customer and
    /// category on the ledger, at or before the read.
    #[test]
    fn no_plaintext_without_an_allow_entry_on_the_ledger(cases in prop::collection::vec(case(), 1..12)) {
        let customers: Vec<CustomerId> = (0..4).map(|_| CustomerId::new_v7()).collect();
        let vault: BTreeMap<_, _> = customers
            .iter()
            .flat_map(|c| DataCategory::ALL.map(|cat| ((*c, cat), format!("sealed {cat}"))))
            .collect();
        let mut log = Log::new(MemoryStore::new()).unwrap();
        let ticket = Ticket::new("t-1").unwrap();
        let mut decisions = 0u64;
        for (i, c) in cases.iter().enumerate() {
            let staff = principal(c, &format!("emp-{i}"));
            let decision = decide(gate(), &staff, c, customers[c.customer], &ticket);
            decisions += 1;
            if let Some(opened) = gated_read(&mut log, &vault, decision) {
                for (index, customer, category, _) in opened {
                    let entry = AccessEntry::decode(index, log.entry(index).unwrap().payload().unwrap()).unwrap().unwrap();
                    prop_assert_eq!(entry.effect(), Effect::Permit);
                    prop_assert_eq!(entry.principal(), staff.principal.id());
                    prop_assert_eq!(entry.customer(), customer);
                    prop_assert!(entry.permitted().contains(category));
                }
            }
        }
        // Every decision, allow or deny, is on the ledger.
        prop_assert_eq!(log.size(), decisions);
    }

    /// PIPL 51(4): without valid training, every category of every request is denied by `training-required`.
    #[test]
    fn expired_training_denies_everything(mut c in case()) {
        c.trained = false;
        let staff = principal(&c, "emp-1");
        let d = decide(gate(), &staff, &c, CustomerId::new_v7(), &Ticket::new("t").unwrap());
        for o in d.entry().outcomes() {
            prop_assert_eq!(o.effect(), Effect::Deny);
            prop_assert!(o.policies().iter().any(|p| p.id() == "training-required"));
        }
    }

    /// PIPL 47(2): a storage-only section opens only to a read for legal compliance or security.
    #[test]
    fn storage_only_opens_only_for_compliance_and_security_reads(mut c in case()) {
        for (_, f) in &mut c.categories {
            f.storage_only = true;
        }
        let staff = principal(&c, "emp-1");
        let d = decide(gate(), &staff, &c, CustomerId::new_v7(), &Ticket::new("t").unwrap());
        let allowed = c.action == Action::Read && matches!(c.purpose.code(), "legal_compliance" | "security");
        if !allowed {
            for o in d.entry().outcomes() {
                prop_assert_eq!(o.effect(), Effect::Deny);
            }
        }
    }

    /// Forbid overrides permit: making a section more restricted (sensitive, storage-only, transferred, no
    /// basis, a minor) never turns a deny into an allow.
    #[test]
    fn restrictions_never_turn_a_deny_into_an_allow(c in case(), extra in flags(), minor in any::<bool>()) {
        let staff = principal(&c, "emp-1");
        let ticket = Ticket::new("t").unwrap();
        let customer = CustomerId::new_v7();
        let before = decide(gate(), &staff, &c, customer, &ticket);
        let mut tighter = c.clone();
        tighter.minor |= minor;
        for (_, f) in &mut tighter.categories {
            f.sensitive |= extra.sensitive;
            f.storage_only |= extra.storage_only;
            f.transferred |= extra.transferred;
            f.basis &= extra.basis;
        }
        let after = decide(gate(), &staff, &tighter, customer, &ticket);
        for (b, a) in before.entry().outcomes().iter().zip(after.entry().outcomes()) {
            if b.effect() == Effect::Deny {
                prop_assert_eq!(a.effect(), Effect::Deny);
            }
        }
    }

    /// Every allow names a permit and every deny either names a forbid or is the default deny; the entry
    /// round-trips through its payload; a permit opens exactly the categories asked.
    #[test]
    fn decisions_are_explained_and_entries_round_trip(c in case()) {
        let staff = principal(&c, "emp-1");
        let d = decide(gate(), &staff, &c, CustomerId::new_v7(), &Ticket::new("t").unwrap());
        for o in d.entry().outcomes() {
            prop_assert!(o.effect() == Effect::Deny || !o.policies().is_empty());
            prop_assert!(o.failed().is_empty());
            prop_assert!(o.policies().iter().all(|p| !p.citation().is_empty()));
        }
        let payload = d.entry().payload().unwrap();
        let back = AccessEntry::decode(0, &payload).unwrap();
        prop_assert_eq!(back.as_ref(), Some(d.entry()));
        let asked: CategorySet = c.categories.iter().map(|(c, _)| *c).collect();
        if let Ok(permit) = d.clone().into_permit() {
            prop_assert_eq!(permit.categories(), asked);
        }
    }
}
