//! Typed ids of this crate, made with the model's one id macro: notices, events, organizations that receive
//! data, guardians. Who recorded an event is the model's `ActorId`.

use custodia_model::typed_id;

typed_id!(
    /// A notice (privacy policy, consent form text); its versions share the id (PIPL Art 17).
    NoticeId,
    "notice_id"
);
typed_id!(
    /// One consent event. A consent receipt is identified by the id of the event it proves.
    EventId,
    "event_id"
);
typed_id!(
    /// An organization that receives personal information: a named third party (PIPL Art 23) or a successor
    /// after a merger or sale (PIPL Art 22). Its name and contact live in the notice, never in an event.
    PartyId,
    "party_id"
);
typed_id!(
    /// The parent or guardian who consented for a minor (PIPL Art 31), pseudonymous: the ledger never holds
    /// the guardian's name.
    GuardianId,
    "guardian_id"
);

#[cfg(test)]
mod tests {
    use super::*;
    use custodia_model::ModelError;
    use uuid::Uuid;

    #[test]
    fn nil_ids_are_refused_with_the_field() {
        assert!(matches!(
            NoticeId::from_uuid(Uuid::nil()),
            Err(ModelError::InvalidId {
                field: "notice_id",
                ..
            })
        ));
        assert!(matches!(
            "nope".parse::<GuardianId>(),
            Err(ModelError::InvalidId {
                field: "guardian_id",
                ..
            })
        ));
        assert!(serde_json::from_str::<PartyId>("\"00000000-0000-0000-0000-000000000000\"").is_err());
        let id = EventId::new_v7();
        assert_eq!(id.to_string().parse::<EventId>().unwrap(), id);
    }
}
