//! Typed ids of this crate: notices, events, organizations that receive data, staff who record, guardians.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ConsentError;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident, $field:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "Uuid", into = "Uuid")]
        pub struct $name(Uuid);

        impl $name {
            /// A new, time-ordered id (UUID v7).
            pub fn new_v7() -> Self {
                Self(Uuid::now_v7())
            }

            /// Wraps an existing UUID; the nil UUID is refused because it is a common placeholder bug.
            pub fn from_uuid(uuid: Uuid) -> Result<Self, ConsentError> {
                if uuid.is_nil() {
                    return Err(ConsentError::InvalidId { field: $field, value: uuid.to_string() });
                }
                Ok(Self(uuid))
            }

            /// The underlying UUID.
            pub fn as_uuid(&self) -> &Uuid {
                &self.0
            }
        }

        impl TryFrom<Uuid> for $name {
            type Error = ConsentError;

            fn try_from(value: Uuid) -> Result<Self, Self::Error> {
                Self::from_uuid(value)
            }
        }

        impl From<$name> for Uuid {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0)
            }
        }

        impl FromStr for $name {
            type Err = ConsentError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let uuid = Uuid::parse_str(s)
                    .map_err(|_| ConsentError::InvalidId { field: $field, value: s.to_owned() })?;
                Self::from_uuid(uuid)
            }
        }
    };
}

uuid_id!(
    /// A notice (privacy policy, consent form text); its versions share the id (PIPL Art 17).
    NoticeId,
    "notice_id"
);
uuid_id!(
    /// One consent event. A consent receipt is identified by the id of the event it proves.
    EventId,
    "event_id"
);
uuid_id!(
    /// An organization that receives personal information: a named third party (PIPL Art 23) or a successor
    /// after a merger or sale (PIPL Art 22). Its name and contact live in the notice, never in an event.
    PartyId,
    "party_id"
);
uuid_id!(
    /// The member of staff or the system that recorded an event ("recorded by whom"), pseudonymous.
    ActorId,
    "actor_id"
);
uuid_id!(
    /// The parent or guardian who consented for a minor (PIPL Art 31), pseudonymous: the ledger never holds
    /// the guardian's name.
    GuardianId,
    "guardian_id"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nil_ids_are_refused_with_the_field() {
        assert!(matches!(
            NoticeId::from_uuid(Uuid::nil()),
            Err(ConsentError::InvalidId {
                field: "notice_id",
                ..
            })
        ));
        assert!(matches!(
            "nope".parse::<ActorId>(),
            Err(ConsentError::InvalidId {
                field: "actor_id",
                ..
            })
        ));
        assert!(serde_json::from_str::<PartyId>("\"00000000-0000-0000-0000-000000000000\"").is_err());
        let id = EventId::new_v7();
        assert_eq!(id.to_string().parse::<EventId>().unwrap(), id);
    }
}
