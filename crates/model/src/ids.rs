//! Typed UUID identifiers, so that a customer id can never be passed where a policy id is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ModelError;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident, $field:literal) => {
        $(#[$doc])*
        // Deserialization goes through `from_uuid`, so a nil id read from outside is refused like a parsed one.
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "Uuid", into = "Uuid")]
        pub struct $name(Uuid);

        impl $name {
            /// A new, time-ordered id (UUID v7), so that ids sort by creation and index well.
            pub fn new_v7() -> Self {
                Self(Uuid::now_v7())
            }

            /// Wraps an existing UUID; the nil UUID is refused because it is a common placeholder bug.
            pub fn from_uuid(uuid: Uuid) -> Result<Self, ModelError> {
                if uuid.is_nil() {
                    return Err(ModelError::InvalidId { field: $field, value: uuid.to_string() });
                }
                Ok(Self(uuid))
            }

            /// Builds an id from 16 bytes, as stored in a database or a binary format.
            pub fn from_bytes(bytes: [u8; 16]) -> Result<Self, ModelError> {
                Self::from_uuid(Uuid::from_bytes(bytes))
            }

            /// The underlying UUID.
            pub fn as_uuid(&self) -> &Uuid {
                &self.0
            }

            /// The 16 bytes of the UUID, the form bound into AAD and ledger payloads.
            pub fn as_bytes(&self) -> &[u8; 16] {
                self.0.as_bytes()
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

        impl TryFrom<Uuid> for $name {
            type Error = ModelError;

            fn try_from(uuid: Uuid) -> Result<Self, Self::Error> {
                Self::from_uuid(uuid)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }

        impl FromStr for $name {
            type Err = ModelError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let uuid = Uuid::parse_str(s)
                    .map_err(|_| ModelError::InvalidId { field: $field, value: s.to_owned() })?;
                Self::from_uuid(uuid)
            }
        }
    };
}

uuid_id!(
    /// A customer of the brokerage: a natural person or an organization.
    CustomerId,
    "customer_id"
);
uuid_id!(
    /// An insurance contract placed by the brokerage.
    PolicyId,
    "policy_id"
);
uuid_id!(
    /// A claim made under a policy.
    ClaimId,
    "claim_id"
);
uuid_id!(
    /// A bank or payment account of a customer.
    AccountId,
    "account_id"
);
uuid_id!(
    /// A licence transfer between a seller and a buyer brokerage.
    TransferId,
    "transfer_id"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nil_uuid_is_refused_with_the_field_name() {
        let err = CustomerId::from_uuid(Uuid::nil()).unwrap_err();
        assert!(matches!(
            err,
            ModelError::InvalidId {
                field: "customer_id",
                ..
            }
        ));
    }

    #[test]
    fn parse_and_display_round_trip() {
        let id = PolicyId::new_v7();
        let parsed: PolicyId = id.to_string().parse().unwrap();
        assert_eq!(id, parsed);
        assert!("not-a-uuid".parse::<PolicyId>().is_err());
    }

    #[test]
    fn serde_refuses_the_nil_id_and_round_trips_others() {
        let nil = format!("\"{}\"", Uuid::nil());
        assert!(serde_json::from_str::<CustomerId>(&nil).is_err());
        let id = CustomerId::new_v7();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{id}\""));
        assert_eq!(serde_json::from_str::<CustomerId>(&json).unwrap(), id);
    }

    #[test]
    fn new_ids_are_v7_and_ordered() {
        let a = CustomerId::new_v7();
        let b = CustomerId::new_v7();
        assert_eq!(a.as_uuid().get_version_num(), 7);
        assert!(a < b);
    }
}
