//! Notice versions: the material-change rule against its definition, for every pair of versions.

// Helpers outside #[test] functions are test code too: a panic there is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::*;
use custodia_consent::*;
use custodia_model::{DataCategory, Jurisdiction, Purpose};
use proptest::prelude::*;

fn purposes() -> Vec<Purpose> {
    vec![Purpose::Marketing, Purpose::Analytics, Purpose::Transfer]
}
fn categories() -> Vec<DataCategory> {
    vec![
        DataCategory::Contact,
        DataCategory::Health,
        DataCategory::Policies,
    ]
}
fn recipients() -> Vec<Recipient> {
    vec![Recipient::ThirdParty(party(1)), Recipient::Successor(party(2))]
}
fn abroad() -> Vec<Jurisdiction> {
    vec![Jurisdiction::HONG_KONG, Jurisdiction::new("DE").unwrap()]
}

fn pick<T: Clone>(all: &[T], mask: u8) -> Vec<T> {
    all.iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, v)| v.clone())
        .collect()
}

fn version(v: u32, m: (u8, u8, u8, u8)) -> Notice {
    notice(NoticeSpec {
        version: v,
        purposes: pick(&purposes(), m.0),
        categories: pick(&categories(), m.1),
        recipients: pick(&recipients(), m.2),
        destinations: pick(&abroad(), m.3),
    })
}

fn masks() -> impl Strategy<Value = (u8, u8, u8, u8)> {
    (1u8..8, 1u8..8, 0u8..4, 0u8..4)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A change is material exactly when the newer version discloses some use the older one did not.
    #[test]
    fn material_iff_the_newer_version_discloses_a_new_use(a in masks(), b in masks()) {
        let (old, new) = (version(1, a), version(2, b));
        let change = new.changes_from(&old).unwrap();
        let mut uses = Vec::new();
        let mut all_recipients = recipients();
        all_recipients.push(Recipient::Controller);
        let mut places = abroad();
        places.push(Jurisdiction::MAINLAND_CHINA);
        for p in purposes() {
            for c in categories() {
                for r in &all_recipients {
                    for d in &places {
                        uses.push(ProposedUse::new(p.clone(), c, *r, *d));
                    }
                }
            }
        }
        let newly_disclosed = uses.iter().any(|u| new.discloses(u) && !old.discloses(u));
        prop_assert_eq!(change.is_material(), newly_disclosed);
        // And the added sets are exactly the differences.
        let added: Vec<Purpose> = change.added_purposes.iter().cloned().collect();
        let expected: Vec<Purpose> = new
            .fields()
            .purposes
            .iter()
            .filter(|p| !old.fields().purposes.contains(*p))
            .cloned()
            .collect();
        prop_assert_eq!(added, expected);
        prop_assert!(change.text_changed);
    }
}

#[test]
fn versions_must_be_of_one_notice_and_in_order() {
    let v1 = version(1, (1, 1, 0, 0));
    let mut other = v1.fields().clone();
    other.id = NoticeId::new_v7();
    other.version = 2;
    let other = Notice::new(other).unwrap();
    assert!(matches!(
        other.changes_from(&v1),
        Err(ConsentError::NoticeMismatch {
            older: 1,
            newer: 2,
            ..
        })
    ));
    assert!(matches!(
        v1.changes_from(&v1),
        Err(ConsentError::NoticeMismatch { .. })
    ));
}
