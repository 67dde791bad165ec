//! Fixtures shared by the rights crate's integration tests: a customer, a clerk, checks and received requests.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, TimeZone, Utc};
use custodia_consent::{Channel, Digest};
use custodia_model::{ActorId, CustomerId, Jurisdiction};
use custodia_rights::*;

pub fn clerk() -> ActorId {
    ActorId::new("desk-1").unwrap()
}

/// 10:00 Beijing time on a 2026 day.
pub fn at(m: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, m, day, 2, 0, 0).unwrap()
}

pub fn calendars() -> Calendars {
    Calendars::mainland_2026().unwrap()
}

pub fn mainland() -> KnownCustomer {
    KnownCustomer::new(CustomerId::new_v7(), Jurisdiction::MAINLAND_CHINA)
}

pub fn strong(party: VerifiedParty, when: DateTime<Utc>) -> IdentityVerification {
    let method = match party {
        VerifiedParty::Authority => IdentityMethod::AuthorityDocumentInspected,
        _ => IdentityMethod::DocumentInspected,
    };
    IdentityVerification::verified(
        party,
        method,
        Digest::of(b"record of the check, session 41"),
        clerk(),
        when,
    )
}

pub fn receive_for(
    customer: &KnownCustomer,
    kind: RequestKind,
    when: DateTime<Utc>,
) -> (Request, RightsEntry) {
    let intake = Intake::new(customer.customer, kind, Channel::Web, when, clerk());
    Request::receive(
        intake,
        Some(customer),
        &[],
        &RightsSettings::default(),
        &calendars(),
    )
    .unwrap()
}

/// A request received and verified (the customer in person).
pub fn verified(customer: &KnownCustomer, kind: RequestKind) -> Request {
    let (mut r, _) = receive_for(customer, kind, at(3, 2));
    r.record_identity(strong(VerifiedParty::Requester, at(3, 2)), &calendars())
        .unwrap();
    assert_eq!(r.state(), StateCode::Verified);
    r
}

pub fn refusal(code: RefusalCode, kind: KindCode) -> Refusal {
    Refusal::new(
        code,
        kind,
        custodia_consent::Regime::Pipl,
        Language::Zh,
        &ComplaintContacts::default(),
    )
    .unwrap()
}
