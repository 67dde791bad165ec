//! Sample staff for tests and examples: principals of custodia-access with their Ed25519 signing keys —
//! approvers who sign destruction plans (four eyes), and trained staff who read for a purpose.

use std::collections::BTreeSet;
use std::error::Error;

use chrono::{DateTime, Duration, Utc};
use custodia_access::{
    ApprovalRequest, Course, DEFAULT_COURSE, Department, Principal, PrincipalFields, PrincipalKind, Role,
    SignedApproval,
};
use custodia_crypto::SigningKey;
use custodia_model::{ActorId, Purpose};

/// A member of staff and the key behind their record's public key.
pub struct Staff {
    /// The record to store (`Brokerage::put_principal`).
    pub principal: Principal,
    /// Their signing key (a test's: generated, never stored).
    pub key: SigningKey,
}

impl Staff {
    /// `id` with `roles` and approved `purposes`, in the `compliance` department, trained in
    /// [`DEFAULT_COURSE`] from 30 days before `at` to a year after it; a fresh key.
    pub fn new(
        id: &str,
        roles: &[&str],
        purposes: &[Purpose],
        at: DateTime<Utc>,
    ) -> Result<Self, Box<dyn Error>> {
        Self::with_key(id, roles, purposes, at, SigningKey::generate()?)
    }

    /// As [`Staff::new`], with a given key (one a test keeps across processes, as PKCS#8).
    pub fn with_key(
        id: &str,
        roles: &[&str],
        purposes: &[Purpose],
        at: DateTime<Utc>,
        key: SigningKey,
    ) -> Result<Self, Box<dyn Error>> {
        let training = custodia_access::TrainingRecord::new(
            Course::new(DEFAULT_COURSE)?,
            at - Duration::days(30),
            at + Duration::days(365),
        )?;
        let principal = Principal::new(PrincipalFields {
            id: ActorId::new(id)?,
            kind: PrincipalKind::Staff,
            roles: roles.iter().map(|r| Role::new(r)).collect::<Result<_, _>>()?,
            department: Department::new("compliance")?,
            purposes: purposes.iter().cloned().collect::<BTreeSet<_>>(),
            training: vec![training],
            verifying_key: key.verifying_key(),
        })?;
        Ok(Self { principal, key })
    }

    /// An approver (role `approver`, no purposes of their own).
    pub fn approver(id: &str, at: DateTime<Utc>) -> Result<Self, Box<dyn Error>> {
        Self::new(id, &["approver"], &[], at)
    }

    /// Approvers, one per id.
    pub fn approvers(ids: &[&str], at: DateTime<Utc>) -> Result<Vec<Self>, Box<dyn Error>> {
        ids.iter().map(|id| Self::approver(id, at)).collect()
    }

    /// The actor id.
    pub fn id(&self) -> &ActorId {
        self.principal.id()
    }

    /// Signs each of `requests` (a disposition's plans, one erasure).
    pub fn sign(
        &self,
        requests: &[ApprovalRequest],
    ) -> Result<Vec<SignedApproval>, custodia_access::AccessError> {
        requests
            .iter()
            .map(|r| r.sign(&self.principal, &self.key))
            .collect()
    }
}

/// Each of `staff` signs `request`: the quorum of signed approvals one request needs (an impact
/// assessment's, `Brokerage::approve_assessment`).
pub fn sign_each(
    staff: &[Staff],
    request: &ApprovalRequest,
) -> Result<Vec<SignedApproval>, custodia_access::AccessError> {
    staff.iter().map(|s| request.sign(&s.principal, &s.key)).collect()
}
