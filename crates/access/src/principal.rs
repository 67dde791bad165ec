//! Principals: the members of staff and the services that ask to read customers' data, with their roles,
//! department, approved purposes, training records and the public key of their approval signatures.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, Utc};
use custodia_crypto::VerifyingKey;
use custodia_model::{ActorId, Purpose};
use serde::{Deserialize, Serialize};

use crate::error::AccessError;

/// Checks a code: 1 to 64 characters of lower-case ASCII letters, digits, `_`, `-` and `.`.
fn check_code(field: &'static str, code: &str) -> Result<(), AccessError> {
    let ok = !code.is_empty()
        && code.len() <= 64
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(AccessError::InvalidCode {
            field,
            expected: "1-64 of a-z, 0-9, '_', '-', '.'",
        })
    }
}

macro_rules! code_type {
    ($(#[$doc:meta])* $name:ident, $field:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The field name used in errors.
            pub const FIELD: &'static str = $field;

            /// Checks and wraps a code: 1 to 64 characters of `a-z`, `0-9`, `_`, `-`, `.`, so that it can sit
            /// in a policy, on the ledger and in a report without holding a name.
            pub fn new(code: &str) -> Result<Self, AccessError> {
                check_code(Self::FIELD, code)?;
                Ok(Self(code.to_owned()))
            }

            /// A code written in this crate's source (a default); a unit test checks each against `new`.
            #[allow(dead_code)]
            pub(crate) fn known(code: &str) -> Self {
                Self(code.to_owned())
            }

            /// The code as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = AccessError;

            fn try_from(value: String) -> Result<Self, Self::Error> {
                check_code(Self::FIELD, &value)?;
                Ok(Self(value))
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }
    };
}

code_type!(
    /// A role a principal holds (`claims_handler`, `account_manager`, `compliance`, `approver`): what the
    /// policies grant by. Operating permissions are set per role (PIPL Art 51(4); the practice's §13, clear
    /// responsibilities).
    Role,
    "role"
);
code_type!(
    /// The department a principal belongs to (`claims`, `sales`, `it-security`): for reports and policies
    /// that scope by unit (the practice's §13.1, departmental responsibility).
    Department,
    "department"
);
code_type!(
    /// A training course (`pi-protection-2026`): the gate asks for a valid record of the course its
    /// settings name before any read of personal information (PIPL Art 51(4); the practice's §3.3 and §9).
    Course,
    "course"
);
code_type!(
    /// A reference to the ticket, case or incident that a read is for (`inc-2026-0042`, `clm.88123`): an id
    /// in the brokerage's own system, never free text, so it can sit on the access log without personal
    /// information.
    Ticket,
    "ticket"
);

code_type!(
    /// The kind of a document an approval covers (`destruction-plan`, `export-batch`).
    DocumentKind,
    "document_kind"
);

/// Whether a purpose is one `Purpose::from_str` would make: custodia-model's derived `Deserialize` reads a
/// custom purpose without checking its code, so records read back are checked here.
pub(crate) fn is_checked(purpose: &Purpose) -> bool {
    purpose.code().parse::<Purpose>().ok().as_ref() == Some(purpose)
}

/// Whether a principal is a person or a system account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PrincipalKind {
    /// A member of staff.
    Staff,
    /// A service account (an import job, the rights desk's responder).
    Service,
}

impl PrincipalKind {
    /// The stable code used in policies.
    pub fn code(self) -> &'static str {
        match self {
            PrincipalKind::Staff => "staff",
            PrincipalKind::Service => "service",
        }
    }
}

/// One passed training course: which course, when it was passed and until when it counts (PIPL Art 51(4):
/// train staff regularly; the practice's §9.2, continuing education).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "TrainingFields", into = "TrainingFields")]
pub struct TrainingRecord {
    course: Course,
    passed_at: DateTime<Utc>,
    valid_until: DateTime<Utc>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TrainingFields {
    course: Course,
    passed_at: DateTime<Utc>,
    valid_until: DateTime<Utc>,
}

impl TryFrom<TrainingFields> for TrainingRecord {
    type Error = AccessError;

    fn try_from(f: TrainingFields) -> Result<Self, Self::Error> {
        Self::new(f.course, f.passed_at, f.valid_until)
    }
}

impl From<TrainingRecord> for TrainingFields {
    fn from(r: TrainingRecord) -> Self {
        Self {
            course: r.course,
            passed_at: r.passed_at,
            valid_until: r.valid_until,
        }
    }
}

impl TrainingRecord {
    /// A record; refused when it is valid until no later than it was passed.
    pub fn new(
        course: Course,
        passed_at: DateTime<Utc>,
        valid_until: DateTime<Utc>,
    ) -> Result<Self, AccessError> {
        if valid_until <= passed_at {
            return Err(AccessError::InvalidCode {
                field: "training.valid_until",
                expected: "later than passed_at",
            });
        }
        Ok(Self {
            course,
            passed_at,
            valid_until,
        })
    }

    /// The course.
    pub fn course(&self) -> &Course {
        &self.course
    }

    /// When it was passed.
    pub fn passed_at(&self) -> DateTime<Utc> {
        self.passed_at
    }

    /// Until when it counts (exclusive).
    pub fn valid_until(&self) -> DateTime<Utc> {
        self.valid_until
    }

    /// Whether it counts at `at`: passed by then and not yet expired.
    pub fn valid_at(&self, at: DateTime<Utc>) -> bool {
        self.passed_at <= at && at < self.valid_until
    }
}

/// What a principal record is made of, for [`Principal::new`].
#[derive(Clone, Debug)]
pub struct PrincipalFields {
    /// The one id of the member of staff or service (`custodia_model::ActorId`).
    pub id: ActorId,
    /// Staff or service.
    pub kind: PrincipalKind,
    /// The roles held; at least one.
    pub roles: BTreeSet<Role>,
    /// The department.
    pub department: Department,
    /// The purposes the principal is approved to process data for (PIPL Arts 5, 6: a read names one of
    /// them).
    pub purposes: BTreeSet<Purpose>,
    /// Passed training courses.
    pub training: Vec<TrainingRecord>,
    /// The public key of the principal's Ed25519 approval signatures. The private key stays with the
    /// principal (or the brokerage's key hierarchy for a service): it is never part of this record.
    pub verifying_key: VerifyingKey,
}

/// A member of staff or a service, as the brokerage stores it: a public record (serde), holding no secret
/// and no name — only the directory id, roles, department, approved purposes, training records and the
/// public key that verifies the principal's approvals.
///
/// A value that exists holds at least one role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "StoredPrincipal", into = "StoredPrincipal")]
pub struct Principal {
    id: ActorId,
    kind: PrincipalKind,
    roles: BTreeSet<Role>,
    department: Department,
    purposes: BTreeSet<Purpose>,
    training: Vec<TrainingRecord>,
    verifying_key: VerifyingKey,
}

/// The stored form: the key as lower-case hex, unknown fields refused.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredPrincipal {
    id: ActorId,
    kind: PrincipalKind,
    roles: BTreeSet<Role>,
    department: Department,
    purposes: BTreeSet<Purpose>,
    training: Vec<TrainingRecord>,
    verifying_key: String,
}

impl TryFrom<StoredPrincipal> for Principal {
    type Error = AccessError;

    fn try_from(s: StoredPrincipal) -> Result<Self, Self::Error> {
        if !s.purposes.iter().all(is_checked) {
            return Err(AccessError::InvalidPrincipal {
                principal: s.id,
                problem: "a purpose code does not parse",
            });
        }
        let bad_key = || AccessError::InvalidPrincipal {
            principal: s.id.clone(),
            problem: "verifying_key is not 32 bytes of hex",
        };
        let bytes = hex::decode(&s.verifying_key).map_err(|_| bad_key())?;
        let verifying_key = VerifyingKey::from_bytes(&bytes).map_err(|_| bad_key())?;
        Principal::new(PrincipalFields {
            id: s.id,
            kind: s.kind,
            roles: s.roles,
            department: s.department,
            purposes: s.purposes,
            training: s.training,
            verifying_key,
        })
    }
}

impl From<Principal> for StoredPrincipal {
    fn from(p: Principal) -> Self {
        Self {
            verifying_key: hex::encode(p.verifying_key.as_bytes()),
            id: p.id,
            kind: p.kind,
            roles: p.roles,
            department: p.department,
            purposes: p.purposes,
            training: p.training,
        }
    }
}

impl Principal {
    /// A principal; refused without a role (a principal no policy can name is a keying mistake).
    pub fn new(fields: PrincipalFields) -> Result<Self, AccessError> {
        if fields.roles.is_empty() {
            return Err(AccessError::InvalidPrincipal {
                principal: fields.id,
                problem: "holds no role",
            });
        }
        Ok(Self {
            id: fields.id,
            kind: fields.kind,
            roles: fields.roles,
            department: fields.department,
            purposes: fields.purposes,
            training: fields.training,
            verifying_key: fields.verifying_key,
        })
    }

    /// The id.
    pub fn id(&self) -> &ActorId {
        &self.id
    }

    /// Staff or service.
    pub fn kind(&self) -> PrincipalKind {
        self.kind
    }

    /// The roles.
    pub fn roles(&self) -> &BTreeSet<Role> {
        &self.roles
    }

    /// Whether the principal holds `role`.
    pub fn has_role(&self, role: &Role) -> bool {
        self.roles.contains(role)
    }

    /// The department.
    pub fn department(&self) -> &Department {
        &self.department
    }

    /// The approved purposes.
    pub fn purposes(&self) -> &BTreeSet<Purpose> {
        &self.purposes
    }

    /// The training records.
    pub fn training(&self) -> &[TrainingRecord] {
        &self.training
    }

    /// The public key of the principal's approvals.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.verifying_key
    }

    /// Until when the principal's training in `course` counts, as seen at `at`: the latest end among the
    /// records of that course that were passed by `at`. `None` when no such record exists. A record passed
    /// after `at` does not count at `at`, so a read cannot be justified by training taken later.
    pub fn training_valid_until(&self, course: &Course, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.training
            .iter()
            .filter(|r| &r.course == course && r.passed_at <= at)
            .map(|r| r.valid_until)
            .max()
    }

    /// A copy with one more training record (the brokerage stores the new version).
    pub fn with_training(mut self, record: TrainingRecord) -> Self {
        self.training.push(record);
        self
    }
}
