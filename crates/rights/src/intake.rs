//! Intake: how a request arrived, who makes it, whom it concerns, and the identity checks it needs — each a
//! record of method, evidence digest, who verified and when, never the evidence itself.

use chrono::{DateTime, NaiveDate, Utc};
use custodia_consent::{Channel, Digest};
use custodia_model::{ActorId, CustomerId, Jurisdiction};
use serde::{Deserialize, Serialize};

use crate::ids::{RequestId, RequesterId};
use crate::kind::{KindCode, RequestKind};

/// A close relative of a deceased person (近亲属, Civil Code Art 1045: spouse, parents, children, brothers and
/// sisters, grandparents and grandchildren on either side), who may exercise the deceased's rights for their
/// own lawful and legitimate interests (PIPL Art 49).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Relation {
    /// 配偶.
    Spouse,
    /// 父母.
    Parent,
    /// 子女.
    Child,
    /// 兄弟姐妹.
    Sibling,
    /// 祖父母、外祖父母.
    Grandparent,
    /// 孙子女、外孙子女.
    Grandchild,
}

/// Who makes the request. Anyone but the customer claims a second identity — the authority to act for the
/// customer — which is verified on its own ([`VerifiedParty::Authority`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "capacity", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Requester {
    /// The customer in person.
    Customer,
    /// A parent or guardian of a customer who is a minor or lacks capacity (PIPL Art 31; Civil Code Art 27).
    Guardian {
        /// The guardian, by the brokerage's pseudonymous id.
        requester: RequesterId,
    },
    /// Someone the customer authorised in writing (委托代理).
    Agent {
        /// The agent, by the brokerage's pseudonymous id.
        requester: RequesterId,
    },
    /// A close relative of a deceased customer (PIPL Art 49).
    CloseRelative {
        /// The relative, by the brokerage's pseudonymous id.
        requester: RequesterId,
        /// How they are related.
        relation: Relation,
    },
}

impl Requester {
    /// Whether the request is made for someone else, so that an authority must be verified too.
    pub fn acts_for_another(&self) -> bool {
        !matches!(self, Requester::Customer)
    }

    /// The capacity's code, for the ledger.
    pub fn code(&self) -> &'static str {
        match self {
            Requester::Customer => "customer",
            Requester::Guardian { .. } => "guardian",
            Requester::Agent { .. } => "agent",
            Requester::CloseRelative { .. } => "close_relative",
        }
    }
}

/// What a request says when it arrives: the input of [`crate::Request::receive`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Intake {
    /// The request's id, chosen by the caller (so that a retried intake is recognisable).
    pub id: RequestId,
    /// The customer it concerns.
    pub customer: CustomerId,
    /// What is asked.
    pub kind: RequestKind,
    /// How it arrived (NDSR Art 23: a convenient way must exist; any channel is accepted).
    pub channel: Channel,
    /// Who asks.
    pub requester: Requester,
    /// When it arrived: the deadline counts from here.
    pub received_at: DateTime<Utc>,
    /// Who recorded it.
    pub recorded_by: ActorId,
}

impl Intake {
    /// An intake of `kind` for `customer` by the customer in person.
    pub fn new(
        customer: CustomerId,
        kind: RequestKind,
        channel: Channel,
        received_at: DateTime<Utc>,
        recorded_by: ActorId,
    ) -> Self {
        Self {
            id: RequestId::new_v7(),
            customer,
            kind,
            channel,
            requester: Requester::Customer,
            received_at,
            recorded_by,
        }
    }

    /// The same intake made by `requester` instead of the customer.
    pub fn by(mut self, requester: Requester) -> Self {
        self.requester = requester;
        self
    }

    /// The same intake under the given id.
    pub fn with_id(mut self, id: RequestId) -> Self {
        self.id = id;
        self
    }
}

/// Whether the deceased customer left an arrangement about their information (PIPL Art 49: 死者生前另有安排
/// 的除外).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DeathArrangement {
    /// None is on file.
    #[default]
    None,
    /// The customer arranged that relatives may not exercise the rights: their requests are refused.
    RelativesExcluded,
}

/// What the brokerage knows about the customer a request names: the input that turns an id into a known
/// customer. The brokerage builds it from its records; an id it does not know gives no `KnownCustomer`, and
/// [`crate::Request::receive`] is never reached ([`crate::RightsError::UnknownCustomer`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct KnownCustomer {
    /// The customer.
    pub customer: CustomerId,
    /// Where they live, which picks the regime (an EEA resident: the GDPR, Art 3; anyone else: the PIPL).
    pub jurisdiction: Jurisdiction,
    /// The day they died, if they did.
    pub deceased_on: Option<NaiveDate>,
    /// Their arrangement for after their death.
    pub arrangement: DeathArrangement,
}

impl KnownCustomer {
    /// A living customer in `jurisdiction`.
    pub fn new(customer: CustomerId, jurisdiction: Jurisdiction) -> Self {
        Self {
            customer,
            jurisdiction,
            deceased_on: None,
            arrangement: DeathArrangement::None,
        }
    }

    /// The same customer, deceased on `on`, with `arrangement`.
    pub fn deceased(mut self, on: NaiveDate, arrangement: DeathArrangement) -> Self {
        self.deceased_on = Some(on);
        self.arrangement = arrangement;
        self
    }
}

/// An open request, as the brokerage lists them for the duplicate check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OpenRequest {
    /// Its id.
    pub id: RequestId,
    /// Its customer.
    pub customer: CustomerId,
    /// Its kind.
    pub kind: KindCode,
}

impl OpenRequest {
    /// An open request.
    pub fn new(id: RequestId, customer: CustomerId, kind: KindCode) -> Self {
        Self { id, customer, kind }
    }
}

/// How much an identity check shows (the eIDAS levels' names, for want of a PRC scale).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Assurance {
    /// Control of a channel already on file.
    Low,
    /// A check against something only the person holds, or an identity document inspected.
    Substantial,
}

/// How identity was checked. Each method says what it needs to see ([`IdentityMethod::needs`]); none keeps
/// it: the record holds the digest of the brokerage's own record of the check (a session log, a call
/// recording, the form an officer signed), never an identity document, a photo or a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum IdentityMethod {
    /// The request came through the customer's own logged-in account.
    AuthenticatedSession,
    /// A one-time code sent to a phone number or e-mail address already on file, read back.
    OneTimeCode,
    /// Facts of the relationship only the customer knows (a policy number and its start date), compared
    /// with the record and not kept.
    KnowledgeCheck,
    /// An identity document shown in person or on a video call, compared with the record and not copied.
    DocumentInspected,
    /// A document proving authority (a guardianship, a power of attorney, a death certificate and proof of
    /// kinship), inspected and not copied.
    AuthorityDocumentInspected,
}

impl IdentityMethod {
    /// The method's code.
    pub fn code(self) -> &'static str {
        match self {
            IdentityMethod::AuthenticatedSession => "authenticated_session",
            IdentityMethod::OneTimeCode => "one_time_code",
            IdentityMethod::KnowledgeCheck => "knowledge_check",
            IdentityMethod::DocumentInspected => "document_inspected",
            IdentityMethod::AuthorityDocumentInspected => "authority_document_inspected",
        }
    }

    /// The assurance the method gives.
    pub fn assurance(self) -> Assurance {
        match self {
            IdentityMethod::AuthenticatedSession | IdentityMethod::OneTimeCode => Assurance::Low,
            IdentityMethod::KnowledgeCheck
            | IdentityMethod::DocumentInspected
            | IdentityMethod::AuthorityDocumentInspected => Assurance::Substantial,
        }
    }

    /// What the check needs to see, and so the most the brokerage may ask for (PIPL Art 6: no more than the
    /// purpose needs; NDSR Art 23: no unreasonable conditions).
    pub fn needs(self) -> &'static str {
        match self {
            IdentityMethod::AuthenticatedSession => "nothing beyond the account's own login",
            IdentityMethod::OneTimeCode => "the code sent to contact details already on file",
            IdentityMethod::KnowledgeCheck => "two facts of the relationship already on file",
            IdentityMethod::DocumentInspected => "sight of one identity document, not a copy",
            IdentityMethod::AuthorityDocumentInspected => {
                "sight of the document giving authority, not a copy"
            }
        }
    }
}

/// Whose identity a verification establishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum VerifiedParty {
    /// The person making the request is who they say (the customer, or the guardian, agent or relative).
    Requester,
    /// The requester may act for the customer (guardianship, authorisation, death and kinship). A request
    /// for another person is not verified until this is, on its own.
    Authority,
}

/// The result of a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CheckResult {
    /// The check succeeded.
    Verified,
    /// It failed: the request stays unverified and releases nothing.
    Failed,
}

/// One identity check of one request: method, digest of the evidence the brokerage keeps, who checked and
/// when. The evidence itself stays in the brokerage's own files; the digest proves later which record it was.
/// Make the digest over the whole record of the check (which holds a session id, a time and the officer),
/// never over an identity number alone, which a guess could recover from its digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct IdentityVerification {
    /// Whose identity.
    pub party: VerifiedParty,
    /// How.
    pub method: IdentityMethod,
    /// SHA-256 of the brokerage's record of the check.
    pub evidence: Digest,
    /// Who checked (staff or a system account).
    pub verified_by: ActorId,
    /// When.
    pub verified_at: DateTime<Utc>,
    /// The result.
    pub result: CheckResult,
}

impl IdentityVerification {
    /// A successful check.
    pub fn verified(
        party: VerifiedParty,
        method: IdentityMethod,
        evidence: Digest,
        verified_by: ActorId,
        verified_at: DateTime<Utc>,
    ) -> Self {
        Self {
            party,
            method,
            evidence,
            verified_by,
            verified_at,
            result: CheckResult::Verified,
        }
    }

    /// The same check, failed.
    pub fn failed(mut self) -> Self {
        self.result = CheckResult::Failed;
        self
    }
}

/// How strong a check each request needs: data-releasing kinds (access, copy, portability, an automated
/// decision's explanation) and deletions more than the others, and an authority always an inspected
/// document. Settings, because the law names no level; the defaults are the cautious ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct IdentityPolicy {
    /// For kinds that release data or delete it. Default: substantial.
    pub release_or_delete: Assurance,
    /// For every other kind (an explanation of the rules, a withdrawal, an objection). Default: low, so that
    /// withdrawing is as easy as consenting (PIPL Art 15; GDPR Art 7(3)).
    pub other: Assurance,
    /// For the authority of someone acting for another. Default: substantial.
    pub authority: Assurance,
}

impl Default for IdentityPolicy {
    fn default() -> Self {
        Self {
            release_or_delete: Assurance::Substantial,
            other: Assurance::Low,
            authority: Assurance::Substantial,
        }
    }
}

impl IdentityPolicy {
    /// The assurance a check of `party` needs for a request of `kind`.
    pub fn required(&self, kind: KindCode, party: VerifiedParty) -> Assurance {
        match party {
            VerifiedParty::Authority => self.authority,
            _ if kind.releases_data() || kind == KindCode::Deletion => self.release_or_delete,
            _ => self.other,
        }
    }

    /// The least intrusive method that meets the requirement: what the brokerage should ask for first.
    pub fn least_method(&self, kind: KindCode, party: VerifiedParty) -> IdentityMethod {
        match (party, self.required(kind, party)) {
            (VerifiedParty::Authority, _) => IdentityMethod::AuthorityDocumentInspected,
            (_, Assurance::Low) => IdentityMethod::AuthenticatedSession,
            _ => IdentityMethod::KnowledgeCheck,
        }
    }
}
