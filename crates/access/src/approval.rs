//! Signed approvals: a second principal holding the approver role signs, with Ed25519, a documented,
//! domain-separated message naming exactly what is approved — an elevated (break-glass) read of one customer,
//! or any document such as a destruction plan — and anyone verifies it with the approver's public key alone.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use custodia_crypto::{Signature, SigningKey};
use custodia_model::{ActorId, CategorySet, CustomerId, Purpose, typed_id};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::AccessError;
use crate::gate::{AccessRequest, Action};
use crate::principal::{DocumentKind, Principal, Role, Ticket};

typed_id!(
    /// One approval request; the caller draws it (`ApprovalId::new_v7()` reads the clock, so the domain
    /// logic never does).
    ApprovalId,
    "approval_id"
);

/// The first line of every approval message: it binds the signature to this purpose and format, so a
/// signature made for an agreement, a receipt or a checkpoint (other messages of the same key) can never
/// count as an approval, nor an approval as one of them.
pub const APPROVAL_DOMAIN: &str = "custodia-access approval v1";

/// What an elevated read may cover: one customer, some categories, one purpose, one ticket, a window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElevationScope {
    /// Whose data.
    pub customer: CustomerId,
    /// Which categories.
    pub categories: CategorySet,
    /// For which purpose.
    pub purpose: Purpose,
    /// For which ticket, case or incident.
    pub ticket: Ticket,
    /// From when (inclusive).
    pub not_before: DateTime<Utc>,
    /// Until when (exclusive).
    pub not_after: DateTime<Utc>,
}

/// What is approved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum ApprovalSubject {
    /// A read beyond the requester's role, of one customer (the shipped `elevated-read` template).
    Elevation(ElevationScope),
    /// A document, by kind, id and SHA-256 digest of its exact bytes (a destruction plan: `kind` is
    /// `destruction-plan`). The approval covers those bytes and nothing else.
    Document {
        /// What kind of document (a code).
        kind: DocumentKind,
        /// The document's id.
        id: Uuid,
        /// SHA-256 of the document's exact bytes, lower-case hex.
        digest: String,
    },
}

/// A request for approval: its id, who asks (the requester, or the operator who made a plan), and what.
/// Read back from storage it is checked like a new one (a window that is not empty, a digest of 64 hex
/// digits, a purpose whose code parses back to itself), so that no value can smuggle a line into the signed
/// message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "StoredRequest", into = "StoredRequest")]
pub struct ApprovalRequest {
    id: ApprovalId,
    requester: ActorId,
    subject: ApprovalSubject,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredRequest {
    id: ApprovalId,
    requester: ActorId,
    subject: ApprovalSubject,
}

impl From<ApprovalRequest> for StoredRequest {
    fn from(r: ApprovalRequest) -> Self {
        Self {
            id: r.id,
            requester: r.requester,
            subject: r.subject,
        }
    }
}

impl TryFrom<StoredRequest> for ApprovalRequest {
    type Error = AccessError;

    fn try_from(s: StoredRequest) -> Result<Self, Self::Error> {
        match s.subject {
            ApprovalSubject::Elevation(scope) => {
                if !crate::principal::is_checked(&scope.purpose) {
                    return Err(AccessError::InvalidCode {
                        field: "purpose",
                        expected: "a purpose code that parses back to itself",
                    });
                }
                Self::elevation(s.id, s.requester, scope)
            }
            ApprovalSubject::Document { kind, id, digest } => {
                let ok = digest.len() == 64 && digest.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
                if !ok {
                    return Err(AccessError::InvalidCode {
                        field: "digest",
                        expected: "64 lower-case hex digits",
                    });
                }
                Ok(Self {
                    id: s.id,
                    requester: s.requester,
                    subject: ApprovalSubject::Document { kind, id, digest },
                })
            }
        }
    }
}

impl ApprovalRequest {
    /// A request to read beyond the requester's role; refused with an empty window.
    pub fn elevation(id: ApprovalId, requester: ActorId, scope: ElevationScope) -> Result<Self, AccessError> {
        if scope.not_after <= scope.not_before {
            return Err(AccessError::ApprovalWindow { problem: "empty" });
        }
        if scope.categories.is_empty() {
            return Err(AccessError::NoCategory);
        }
        Ok(Self {
            id,
            requester,
            subject: ApprovalSubject::Elevation(scope),
        })
    }

    /// A request to approve a document by its SHA-256 digest (32 bytes, computed by the caller with
    /// custodia-crypto or the ledger's hash).
    pub fn document(
        id: ApprovalId,
        requester: ActorId,
        kind: DocumentKind,
        document: Uuid,
        digest: [u8; 32],
    ) -> Self {
        Self {
            id,
            requester,
            subject: ApprovalSubject::Document {
                kind,
                id: document,
                digest: hex::encode(digest),
            },
        }
    }

    /// The id.
    pub fn id(&self) -> ApprovalId {
        self.id
    }

    /// Who asked.
    pub fn requester(&self) -> &ActorId {
        &self.requester
    }

    /// What is to be approved.
    pub fn subject(&self) -> &ApprovalSubject {
        &self.subject
    }

    /// The exact bytes an approver signs: UTF-8 lines, each `name value` and ending in `\n`, first the
    /// domain line [`APPROVAL_DOMAIN`], then `id`, `requester`, `approver`, and the subject — for an
    /// elevation `subject elevation`, `customer`, `categories` (codes in tag order, comma-separated),
    /// `purpose`, `ticket`, `not_before`, `not_after` (unix seconds); for a document `subject document`,
    /// `kind`, `document`, `digest`. No value can hold a newline (actor ids refuse control characters;
    /// codes, ids and digests have fixed alphabets), so the lines cannot be re-split into another message.
    pub fn message(&self, approver: &ActorId) -> Vec<u8> {
        let mut m = format!(
            "{APPROVAL_DOMAIN}\nid {}\nrequester {}\napprover {}\n",
            self.id, self.requester, approver
        );
        match &self.subject {
            ApprovalSubject::Elevation(s) => {
                let categories: Vec<&str> = s.categories.iter().map(|c| c.code()).collect();
                m.push_str(&format!(
                    "subject elevation\ncustomer {}\ncategories {}\npurpose {}\nticket {}\nnot_before {}\nnot_after {}\n",
                    s.customer,
                    categories.join(","),
                    s.purpose.code(),
                    s.ticket,
                    s.not_before.timestamp(),
                    s.not_after.timestamp()
                ));
            }
            ApprovalSubject::Document { kind, id, digest } => {
                m.push_str(&format!(
                    "subject document\nkind {kind}\ndocument {id}\ndigest {digest}\n"
                ));
            }
        }
        m.into_bytes()
    }

    /// `approver` signs this request with `key`, which must be the key of the approver's record (a signature
    /// no one could verify is refused here rather than later).
    pub fn sign(&self, approver: &Principal, key: &SigningKey) -> Result<SignedApproval, AccessError> {
        if &key.verifying_key() != approver.verifying_key() {
            return Err(AccessError::ApprovalRefused {
                approver: approver.id().clone(),
                problem: "the key is not the approver's registered key",
            });
        }
        let signature = key.sign(&self.message(approver.id()));
        Ok(SignedApproval {
            request: self.clone(),
            approver: approver.id().clone(),
            signature,
        })
    }
}

/// Who may approve and for how long: data with documented cautious defaults.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalSettings {
    /// The role an approver must hold. Default `approver`.
    pub approver_role: Role,
    /// The longest window an elevation may have, in seconds. Default 8 hours (one working day): access beyond
    /// a role is for the case at hand, not a standing grant (PIPL Art 6, minimum necessity).
    pub max_elevation_seconds: i64,
    /// How many distinct approvers a document needs. Default 2 (four eyes besides the operator, as retention's
    /// destruction asks).
    pub document_approvers: usize,
}

impl Default for ApprovalSettings {
    fn default() -> Self {
        Self {
            approver_role: Role::known("approver"),
            max_elevation_seconds: 8 * 3600,
            document_approvers: 2,
        }
    }
}

/// An approval as stored and sent: the request, who signed and the Ed25519 signature over
/// [`ApprovalRequest::message`]. A public record (serde, the signature as hex); it proves nothing until
/// [`SignedApproval::verify`] checks it against the approver's record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "StoredApproval", into = "StoredApproval")]
pub struct SignedApproval {
    request: ApprovalRequest,
    approver: ActorId,
    signature: Signature,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredApproval {
    request: ApprovalRequest,
    approver: ActorId,
    signature: String,
}

impl TryFrom<StoredApproval> for SignedApproval {
    type Error = AccessError;

    fn try_from(s: StoredApproval) -> Result<Self, Self::Error> {
        let bytes = hex::decode(&s.signature).map_err(|_| AccessError::BadSignature)?;
        let signature = Signature::from_bytes(&bytes).map_err(|_| AccessError::BadSignature)?;
        Ok(Self {
            request: s.request,
            approver: s.approver,
            signature,
        })
    }
}

impl From<SignedApproval> for StoredApproval {
    fn from(a: SignedApproval) -> Self {
        Self {
            signature: hex::encode(a.signature.as_bytes()),
            request: a.request,
            approver: a.approver,
        }
    }
}

impl SignedApproval {
    /// The request approved.
    pub fn request(&self) -> &ApprovalRequest {
        &self.request
    }

    /// Who signed.
    pub fn approver(&self) -> &ActorId {
        &self.approver
    }

    /// The signature.
    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// Checks the approval against the approver's record: the record is the signer's, the approver is not the
    /// requester (four eyes), holds the approver role, an elevation's window is no longer than allowed, and
    /// the signature verifies with the record's public key — nothing secret is needed.
    pub fn verify(
        &self,
        approver: &Principal,
        settings: &ApprovalSettings,
    ) -> Result<VerifiedApproval, AccessError> {
        let refuse = |problem| AccessError::ApprovalRefused {
            approver: self.approver.clone(),
            problem,
        };
        if approver.id() != &self.approver {
            return Err(refuse("the record given is another principal's"));
        }
        if self.approver == self.request.requester {
            return Err(refuse("an approver cannot approve their own request"));
        }
        if !approver.has_role(&settings.approver_role) {
            return Err(refuse("does not hold the approver role"));
        }
        if let ApprovalSubject::Elevation(scope) = &self.request.subject {
            let seconds = scope
                .not_after
                .signed_duration_since(scope.not_before)
                .num_seconds();
            if seconds > settings.max_elevation_seconds {
                return Err(AccessError::ApprovalWindow {
                    problem: "longer than allowed",
                });
            }
        }
        approver
            .verifying_key()
            .verify(&self.request.message(&self.approver), &self.signature)
            .map_err(|_| AccessError::BadSignature)?;
        Ok(VerifiedApproval { signed: self.clone() })
    }
}

/// An approval whose signature and approver were checked: the only kind the gate takes. It has no
/// `Deserialize`, so an approval read from storage must pass [`SignedApproval::verify`] again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedApproval {
    signed: SignedApproval,
}

impl VerifiedApproval {
    /// The approval's id.
    pub fn id(&self) -> ApprovalId {
        self.signed.request.id
    }

    /// The signed approval.
    pub fn signed(&self) -> &SignedApproval {
        &self.signed
    }

    /// Whether it covers `request`: an elevation for this requester, a read of this customer, only categories
    /// it names, for its purpose and ticket, inside its window.
    pub fn covers(&self, request: &AccessRequest<'_>) -> bool {
        let ApprovalSubject::Elevation(scope) = &self.signed.request.subject else {
            return false;
        };
        request.action == Action::Read
            && &self.signed.request.requester == request.principal.id()
            && scope.customer == request.customer
            && scope.categories.intersection(request.categories) == request.categories
            && &scope.purpose == request.purpose
            && request.ticket == Some(&scope.ticket)
            && scope.not_before <= request.at
            && request.at < scope.not_after
    }
}

/// Approvals of one document by enough distinct principals, each verified, none of them the operator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedQuorum {
    request: ApprovalRequest,
    approvals: Vec<VerifiedApproval>,
}

impl VerifiedQuorum {
    /// Verifies that `approvals` approve `request` (the same request, each one), are signed by distinct
    /// principals holding the approver role, none of them the `operator` who will carry the document out
    /// (nor its requester), and number at least [`ApprovalSettings::document_approvers`]. `directory` looks
    /// up an approver's stored record.
    pub fn verify(
        request: &ApprovalRequest,
        approvals: &[SignedApproval],
        operator: &ActorId,
        directory: &dyn Fn(&ActorId) -> Option<Principal>,
        settings: &ApprovalSettings,
    ) -> Result<Self, AccessError> {
        let mut seen = BTreeSet::new();
        let mut verified = Vec::new();
        for approval in approvals {
            if approval.request != *request {
                return Err(AccessError::ApprovalRefused {
                    approver: approval.approver.clone(),
                    problem: "approves another request",
                });
            }
            if &approval.approver == operator {
                return Err(AccessError::ApprovalRefused {
                    approver: approval.approver.clone(),
                    problem: "the operator cannot approve what they carry out",
                });
            }
            if !seen.insert(approval.approver.clone()) {
                return Err(AccessError::DuplicateApproval {
                    approver: approval.approver.clone(),
                });
            }
            let record = directory(&approval.approver).ok_or_else(|| AccessError::ApprovalRefused {
                approver: approval.approver.clone(),
                problem: "is not a known principal",
            })?;
            verified.push(approval.verify(&record, settings)?);
        }
        if verified.len() < settings.document_approvers {
            return Err(AccessError::NotEnoughApprovals {
                approvals: verified.len(),
                required: settings.document_approvers,
            });
        }
        Ok(Self {
            request: request.clone(),
            approvals: verified,
        })
    }

    /// The request approved.
    pub fn request(&self) -> &ApprovalRequest {
        &self.request
    }

    /// The verified approvals.
    pub fn approvals(&self) -> &[VerifiedApproval] {
        &self.approvals
    }

    /// Who approved, for a certificate.
    pub fn approvers(&self) -> Vec<&ActorId> {
        self.approvals.iter().map(|a| a.signed.approver()).collect()
    }
}
