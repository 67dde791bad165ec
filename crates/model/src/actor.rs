//! Who acted: the one id of a member of staff or a system account, used by every crate that records who did
//! something (a record version, a consent event keyed in, a legal hold, a destruction approval).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ModelError;

/// A member of staff or a system account that acts on customer data: records a consent, corrects a record,
/// places or releases a legal hold, approves or runs a destruction. It is a directory id or an employee
/// number (`emp-0042`, `svc-import`), never a person's name, so it may sit on a ledger and in a report.
///
/// A value that exists holds 1 to 128 printable characters with no surrounding space.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ActorId(String);

impl ActorId {
    /// The field name used in errors.
    pub const FIELD: &'static str = "actor_id";

    /// The longest id accepted, in characters.
    pub const MAX_CHARS: usize = 128;

    /// Checks and wraps an id: 1 to 128 characters, none of them a control character, and no space at
    /// either end (an id that differs from another only by a trailing space is a keying mistake).
    pub fn new(id: &str) -> Result<Self, ModelError> {
        let field = Self::FIELD;
        if id.trim().is_empty() {
            return Err(ModelError::Empty { field });
        }
        if let Some(position) = id.chars().position(char::is_control) {
            return Err(ModelError::InvalidCharacter {
                field,
                position: position + 1,
                expected: "printable text",
            });
        }
        if id.trim() != id {
            let position = if id.starts_with(char::is_whitespace) {
                1
            } else {
                id.chars().count()
            };
            return Err(ModelError::InvalidCharacter {
                field,
                position,
                expected: "no space at either end",
            });
        }
        let chars = id.chars().count();
        if chars > Self::MAX_CHARS {
            return Err(ModelError::InvalidLength {
                field,
                expected: "at most 128",
                actual: chars,
            });
        }
        Ok(Self(id.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ActorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for ActorId {
    type Err = ModelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl TryFrom<String> for ActorId {
    type Error = ModelError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(&value)
    }
}

impl From<ActorId> for String {
    fn from(value: ActorId) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_long_padded_and_control_ids_are_refused() {
        assert_eq!(ActorId::new("emp-0042").unwrap().as_str(), "emp-0042");
        assert!(ActorId::new(&"x".repeat(128)).is_ok());
        assert!(
            ActorId::new(&"审".repeat(128)).is_ok(),
            "128 characters, not 128 bytes"
        );
        for bad in ["", "  ", "a\nb", " emp-1", "emp-1 ", &"x".repeat(129)] {
            assert!(ActorId::new(bad).is_err(), "{bad:?}");
        }
        assert!(matches!(
            ActorId::new("a\u{7}b"),
            Err(ModelError::InvalidCharacter {
                field: "actor_id",
                position: 2,
                ..
            })
        ));
        assert!(matches!(
            ActorId::new(&"x".repeat(129)),
            Err(ModelError::InvalidLength {
                field: "actor_id",
                actual: 129,
                ..
            })
        ));
    }

    #[test]
    fn serde_checks_like_new() {
        let id = ActorId::new("svc-import").unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"svc-import\"");
        assert_eq!(serde_json::from_str::<ActorId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<ActorId>("\"\"").is_err());
        assert_eq!("svc-import".parse::<ActorId>().unwrap(), id);
    }
}
