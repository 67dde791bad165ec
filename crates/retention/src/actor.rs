//! Ids of the brokerage's staff who place holds, approve and run destruction: never customer data.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::RetentionError;

/// A member of staff (or a system account) who acts on retention: places or releases a hold, approves or
/// runs a destruction. An employee number or directory id, not a name; 1 to 128 printable characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ActorId(String);

impl ActorId {
    /// Checks and wraps an id.
    pub fn new(id: &str) -> Result<Self, RetentionError> {
        if id.trim().is_empty() || id.chars().count() > 128 || id.chars().any(char::is_control) {
            return Err(RetentionError::InvalidActor { value: id.to_owned() });
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

impl TryFrom<String> for ActorId {
    type Error = RetentionError;

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
    fn blank_long_and_control_ids_are_refused() {
        assert!(ActorId::new("emp-0042").is_ok());
        for bad in ["", "  ", "a\nb", &"x".repeat(129)] {
            assert!(
                matches!(ActorId::new(bad), Err(RetentionError::InvalidActor { .. })),
                "{bad:?}"
            );
        }
    }
}
