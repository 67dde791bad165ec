//! Typed UUID identifiers, so that a customer id can never be passed where a policy id is expected.

/// Defines a typed UUID id, so that an id of one kind can never be passed where another is expected.
///
/// Every custodia crate defines its ids with this one macro (custodia-model's customers and policies,
/// custodia-consent's notices and events, custodia-crypto's data keys, custodia-retention's destruction
/// plans), so every id has the same API and the same rules:
///
/// - `new_v7()`: a new, time-ordered id (UUID v7), so that ids sort by creation and index well;
/// - `from_uuid(uuid)` and `from_bytes([u8; 16])`: the nil UUID is refused with
///   [`ModelError::InvalidId`](crate::ModelError::InvalidId) naming the field, because it is a common
///   placeholder bug;
/// - `as_uuid()`, `as_bytes()` (the form bound into AAD and ledger payloads), `Display` (the hyphenated
///   UUID), `Debug` as `Name(uuid)` (an id is pseudonymous, so it needs no redaction), `FromStr`;
/// - serde as the hyphenated UUID, deserialized through `from_uuid`, so a nil id read from outside is
///   refused like a parsed one.
///
/// A crate whose own error type must carry the failure converts with `From<ModelError>`.
///
/// ```
/// custodia_model::typed_id!(
///     /// A widget, for the example.
///     WidgetId,
///     "widget_id"
/// );
///
/// let id = WidgetId::new_v7();
/// assert_eq!(id.to_string().parse::<WidgetId>()?, id);
/// assert!(WidgetId::from_bytes([0; 16]).is_err());
/// assert_eq!(format!("{id:?}"), format!("WidgetId({id})"));
/// # Ok::<(), custodia_model::ModelError>(())
/// ```
#[macro_export]
macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $field:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name($crate::uuid::Uuid);

        impl $name {
            /// The field name this id carries in errors.
            pub const FIELD: &'static str = $field;

            /// A new, time-ordered id (UUID v7), so that ids sort by creation and index well.
            pub fn new_v7() -> Self {
                Self($crate::uuid::Uuid::now_v7())
            }

            /// Wraps an existing UUID; the nil UUID is refused because it is a common placeholder bug.
            pub fn from_uuid(uuid: $crate::uuid::Uuid) -> ::core::result::Result<Self, $crate::ModelError> {
                if uuid.is_nil() {
                    return Err($crate::ModelError::InvalidId { field: $field, value: uuid.to_string() });
                }
                Ok(Self(uuid))
            }

            /// Builds an id from 16 bytes, as stored in a database or a binary format.
            pub fn from_bytes(bytes: [u8; 16]) -> ::core::result::Result<Self, $crate::ModelError> {
                Self::from_uuid($crate::uuid::Uuid::from_bytes(bytes))
            }

            /// The underlying UUID.
            pub fn as_uuid(&self) -> &$crate::uuid::Uuid {
                &self.0
            }

            /// The 16 bytes of the UUID, the form bound into AAD and ledger payloads.
            pub fn as_bytes(&self) -> &[u8; 16] {
                self.0.as_bytes()
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                ::core::fmt::Display::fmt(&self.0, f)
            }
        }

        impl ::core::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0)
            }
        }

        impl ::core::convert::TryFrom<$crate::uuid::Uuid> for $name {
            type Error = $crate::ModelError;

            fn try_from(uuid: $crate::uuid::Uuid) -> ::core::result::Result<Self, Self::Error> {
                Self::from_uuid(uuid)
            }
        }

        impl ::core::convert::From<$name> for $crate::uuid::Uuid {
            fn from(id: $name) -> $crate::uuid::Uuid {
                id.0
            }
        }

        impl ::core::str::FromStr for $name {
            type Err = $crate::ModelError;

            fn from_str(s: &str) -> ::core::result::Result<Self, Self::Err> {
                let uuid = $crate::uuid::Uuid::parse_str(s)
                    .map_err(|_| $crate::ModelError::InvalidId { field: $field, value: s.to_owned() })?;
                Self::from_uuid(uuid)
            }
        }

        impl $crate::__private::serde::Serialize for $name {
            fn serialize<S>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error>
            where
                S: $crate::__private::serde::Serializer,
            {
                $crate::__private::serde::Serialize::serialize(&self.0, serializer)
            }
        }

        // Deserialization goes through `from_uuid`, so a nil id read from outside is refused like a parsed one.
        impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
            fn deserialize<D>(deserializer: D) -> ::core::result::Result<Self, D::Error>
            where
                D: $crate::__private::serde::Deserializer<'de>,
            {
                let uuid: $crate::uuid::Uuid = $crate::__private::serde::Deserialize::deserialize(deserializer)?;
                Self::from_uuid(uuid).map_err(<D::Error as $crate::__private::serde::de::Error>::custom)
            }
        }
    };
}

typed_id!(
    /// A customer of the brokerage: a natural person or an organization.
    CustomerId,
    "customer_id"
);
typed_id!(
    /// An insurance contract placed by the brokerage.
    PolicyId,
    "policy_id"
);
typed_id!(
    /// A claim made under a policy.
    ClaimId,
    "claim_id"
);
typed_id!(
    /// A bank or payment account of a customer.
    AccountId,
    "account_id"
);
typed_id!(
    /// A licence transfer between a seller and a buyer brokerage.
    TransferId,
    "transfer_id"
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ModelError;
    use uuid::Uuid;

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
