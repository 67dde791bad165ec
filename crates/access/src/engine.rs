//! The policy engine seam ([`PolicyEngine`]) and its Cedar implementation ([`CedarEngine`]): policies as data,
//! validated against a schema at load, each with an id and a citation, default deny, forbid over permit.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::str::FromStr;

use cedar_policy::{
    Authorizer, Context, Decision as CedarDecision, Entities, Entity, EntityId, EntityTypeName, EntityUid,
    PolicyId, PolicySet, Request, RestrictedExpression, Schema, SlotId, ValidationMode, Validator,
};
use chrono::{DateTime, Utc};
use custodia_model::{ActorId, CustomerId, Purpose};
use serde::{Deserialize, Serialize};

use crate::error::AccessError;
use crate::gate::{Action, SectionFacts};
use crate::principal::Principal;

/// The schema of the shipped policies, in Cedar's schema syntax.
pub const SCHEMA: &str = include_str!("../policies/schema.cedarschema");
/// The shipped `cn-insurance-broker` policy set, in Cedar's policy syntax.
pub const CN_INSURANCE_BROKER: &str = include_str!("../policies/cn-insurance-broker.cedar");
/// The id of the shipped template that the gate links for a read a verified approval covers.
pub const ELEVATED_READ: &str = "elevated-read";

/// A policy a decision names: its id and the law or practice it cites.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PolicyRef {
    id: String,
    citation: String,
}

impl PolicyRef {
    /// A reference; for engines other than Cedar.
    pub fn new(id: impl Into<String>, citation: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            citation: citation.into(),
        }
    }

    /// The policy's id (its `@id` annotation).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Its citation (its `@citation` annotation), e.g. `PIPL 51(4); practice §3.3, §9`.
    pub fn citation(&self) -> &str {
        &self.citation
    }
}

/// Allow or deny.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// Allowed.
    Permit,
    /// Denied.
    Deny,
}

/// One question to the engine: may this principal take this action on this one section, now, for this purpose?
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct EngineQuery<'a> {
    /// Who asks.
    pub principal: &'a Principal,
    /// Until when the principal's required training counts, as seen at `at` (`None`: no valid record).
    pub training_valid_until: Option<DateTime<Utc>>,
    /// What they want to do.
    pub action: Action,
    /// Whose data (pseudonymous id).
    pub customer: CustomerId,
    /// The section and what is known about it.
    pub section: &'a SectionFacts,
    /// Whether the customer is a minor under 14 (PIPL 28, 31).
    pub minor: bool,
    /// The asserted purpose.
    pub purpose: &'a Purpose,
    /// When.
    pub at: DateTime<Utc>,
    /// Whether the request names a ticket.
    pub ticket: bool,
    /// The id of a verified approval that covers the read, if any.
    pub elevation: Option<&'a str>,
}

/// What the engine decided for one section, and by which policies. A deny with no policy is the default deny.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct EngineVerdict {
    /// Allow or deny.
    pub effect: Effect,
    /// The policies that decided: the permits behind an allow, the forbids behind a deny.
    pub policies: Vec<PolicyRef>,
    /// Policies whose evaluation failed; any such failure makes the verdict a deny (fail closed).
    pub failed: Vec<PolicyRef>,
}

impl EngineVerdict {
    /// A verdict; for engines other than Cedar. A verdict with failed policies is always a deny.
    pub fn new(effect: Effect, policies: Vec<PolicyRef>, failed: Vec<PolicyRef>) -> Self {
        let effect = if failed.is_empty() { effect } else { Effect::Deny };
        Self {
            effect,
            policies,
            failed,
        }
    }
}

/// The small seam in front of the policy language, so that the engine could be swapped: the gate asks one
/// question per section and needs an effect and the deciding policies with their citations.
pub trait PolicyEngine {
    /// Decides one query. An `Err` is a request the engine could not even pose (it never means "allow").
    fn evaluate(&self, query: &EngineQuery<'_>) -> Result<EngineVerdict, AccessError>;
}

impl<T: PolicyEngine + ?Sized> PolicyEngine for &T {
    fn evaluate(&self, query: &EngineQuery<'_>) -> Result<EngineVerdict, AccessError> {
        (**self).evaluate(query)
    }
}

/// Cedar (`cedar-policy` 4): policies and templates as text, validated against the schema at load (strict
/// mode), every policy with an `@id` that decisions name and a `@citation` that says why. Cedar denies by
/// default, and a forbid overrides any permit.
///
/// ```
/// use custodia_access::CedarEngine;
///
/// let engine = CedarEngine::cn_insurance_broker()?;
/// assert!(engine.policies().any(|p| p.id() == "training-required" && p.citation().contains("51(4)")));
///
/// // A policy that names an attribute the schema does not have is refused at load, by its id.
/// let bad = r#"@id("typo") @citation("PIPL 6")
/// permit (principal, action, resource) when { resource.categroy == "health" };"#;
/// let err = CedarEngine::load(custodia_access::SCHEMA, bad).unwrap_err();
/// assert_eq!(err.to_string(), "policy typo does not validate against the schema");
/// # Ok::<(), custodia_access::AccessError>(())
/// ```
#[derive(Clone, Debug)]
pub struct CedarEngine {
    schema: Schema,
    policies: PolicySet,
    citations: BTreeMap<String, String>,
    templates: HashSet<String>,
}

fn type_name(name: &str) -> Result<EntityTypeName, AccessError> {
    EntityTypeName::from_str(name).map_err(|_| AccessError::Engine { what: "request" })
}

fn uid(kind: &str, id: &str) -> Result<EntityUid, AccessError> {
    Ok(EntityUid::from_type_name_and_id(
        type_name(kind)?,
        EntityId::new(id),
    ))
}

fn strings<'a>(values: impl IntoIterator<Item = &'a str>) -> RestrictedExpression {
    RestrictedExpression::new_set(
        values
            .into_iter()
            .map(|v| RestrictedExpression::new_string(v.to_owned())),
    )
}

/// Where `policyN` (the parser's default id, numbered from 0 in file order) sits in its file, from 1.
fn position(id: &PolicyId) -> usize {
    id.to_string()
        .strip_prefix("policy")
        .and_then(|n| n.parse::<usize>().ok())
        .map_or(0, |n| n.saturating_add(1))
}

fn annotation<'a>(value: Option<&'a str>, id: &PolicyId, name: &'static str) -> Result<&'a str, AccessError> {
    value
        .filter(|v| !v.trim().is_empty())
        .ok_or(AccessError::MissingAnnotation {
            position: position(id),
            annotation: name,
        })
}

impl CedarEngine {
    /// The shipped `cn-insurance-broker` policy set over the shipped schema.
    pub fn cn_insurance_broker() -> Result<Self, AccessError> {
        Self::load(SCHEMA, CN_INSURANCE_BROKER)
    }

    /// Loads a policy set (Cedar policy syntax) and validates it against `schema` (Cedar schema syntax).
    /// Every policy and template must carry `@id("…")` (1-64 of `a-z`, `0-9`, `-`, `_`, `.`, unique) and a
    /// non-empty `@citation("…")`; a policy that does not validate is refused naming its id.
    pub fn load(schema: &str, policies: &str) -> Result<Self, AccessError> {
        let (schema, _warnings) = Schema::from_cedarschema_str(schema).map_err(|_| AccessError::Schema)?;
        let parsed =
            PolicySet::from_str(policies).map_err(|_| AccessError::PolicySyntax { position: None })?;
        let mut set = PolicySet::new();
        let mut citations = BTreeMap::new();
        let mut templates = HashSet::new();
        let mut add_citation = |id: &str, citation: &str| -> Result<(), AccessError> {
            crate::principal::Role::new(id).map_err(|_| AccessError::InvalidCode {
                field: "policy id",
                expected: "1-64 of a-z, 0-9, '_', '-', '.'",
            })?;
            if citations.insert(id.to_owned(), citation.to_owned()).is_some() {
                return Err(AccessError::DuplicatePolicy {
                    policy: id.to_owned(),
                });
            }
            Ok(())
        };
        let mut statics: Vec<_> = parsed.policies().collect();
        statics.sort_by_key(|p| position(p.id()));
        for policy in statics {
            let id = annotation(policy.annotation("id"), policy.id(), "id")?;
            let citation = annotation(policy.annotation("citation"), policy.id(), "citation")?;
            add_citation(id, citation)?;
            set.add(policy.new_id(PolicyId::new(id)))
                .map_err(|_| AccessError::DuplicatePolicy {
                    policy: id.to_owned(),
                })?;
        }
        let mut parsed_templates: Vec<_> = parsed.templates().collect();
        parsed_templates.sort_by_key(|t| position(t.id()));
        for template in parsed_templates {
            let id = annotation(template.annotation("id"), template.id(), "id")?;
            let citation = annotation(template.annotation("citation"), template.id(), "citation")?;
            add_citation(id, citation)?;
            templates.insert(id.to_owned());
            set.add_template(template.new_id(PolicyId::new(id)))
                .map_err(|_| AccessError::DuplicatePolicy {
                    policy: id.to_owned(),
                })?;
        }
        let validation = Validator::new(schema.clone()).validate(&set, ValidationMode::Strict);
        if let Some(error) = validation.validation_errors().next() {
            return Err(AccessError::InvalidPolicy {
                policy: error.policy_id().to_string(),
            });
        }
        Ok(Self {
            schema,
            policies: set,
            citations,
            templates,
        })
    }

    /// Every policy and template with its citation, in id order.
    pub fn policies(&self) -> impl Iterator<Item = PolicyRef> + '_ {
        self.citations
            .iter()
            .map(|(id, citation)| PolicyRef::new(id, citation))
    }

    /// The citation of a policy, template or link (`template:link`) by id.
    pub fn citation(&self, id: &str) -> Option<&str> {
        self.citations
            .get(id)
            .or_else(|| {
                id.split_once(':')
                    .and_then(|(template, _)| self.citations.get(template))
            })
            .map(String::as_str)
    }

    /// Links `template` for one principal and one customer as the policy `template:link`: a standing grant
    /// that is data (a case assignment, say), validated like every policy. The shipped template
    /// [`ELEVATED_READ`] is linked by the gate per approved read instead.
    pub fn link(
        &mut self,
        template: &str,
        link: &str,
        principal: &ActorId,
        customer: CustomerId,
    ) -> Result<(), AccessError> {
        let link_error = || AccessError::Link {
            template: template.to_owned(),
            link: link.to_owned(),
        };
        if !self.templates.contains(template) {
            return Err(link_error());
        }
        crate::principal::Role::new(link).map_err(|_| link_error())?;
        let id = format!("{template}:{link}");
        let values = HashMap::from([
            (
                SlotId::principal(),
                uid("Custodia::Principal", principal.as_str())?,
            ),
            (
                SlotId::resource(),
                uid("Custodia::Customer", &customer.to_string())?,
            ),
        ]);
        self.policies
            .link(PolicyId::new(template), PolicyId::new(&id), values)
            .map_err(|_| link_error())?;
        Ok(())
    }

    fn entities(&self, query: &EngineQuery<'_>) -> Result<(Entities, EntityUid, EntityUid), AccessError> {
        let principal = query.principal;
        let principal_uid = uid("Custodia::Principal", principal.id().as_str())?;
        let customer_uid = uid("Custodia::Customer", &query.customer.to_string())?;
        let section = query.section;
        let section_uid = uid(
            "Custodia::Section",
            &format!("{}/{}", query.customer, section.category().code()),
        )?;
        let until = query.training_valid_until.map_or(i64::MIN, |t| t.timestamp());
        let principal_entity = Entity::new(
            principal_uid.clone(),
            HashMap::from([
                (
                    "kind".to_owned(),
                    RestrictedExpression::new_string(principal.kind().code().to_owned()),
                ),
                (
                    "roles".to_owned(),
                    strings(principal.roles().iter().map(|r| r.as_str())),
                ),
                (
                    "department".to_owned(),
                    RestrictedExpression::new_string(principal.department().as_str().to_owned()),
                ),
                (
                    "purposes".to_owned(),
                    strings(principal.purposes().iter().map(|p| p.code())),
                ),
                (
                    "training_valid_until".to_owned(),
                    RestrictedExpression::new_long(until),
                ),
            ]),
            HashSet::new(),
        )
        .map_err(|_| AccessError::Engine { what: "principal" })?;
        let sensitive = section.is_sensitive() || query.minor;
        let section_entity = Entity::new(
            section_uid.clone(),
            HashMap::from([
                (
                    "category".to_owned(),
                    RestrictedExpression::new_string(section.category().code().to_owned()),
                ),
                ("sensitive".to_owned(), RestrictedExpression::new_bool(sensitive)),
                ("minor".to_owned(), RestrictedExpression::new_bool(query.minor)),
                (
                    "storage_only".to_owned(),
                    RestrictedExpression::new_bool(section.is_storage_only()),
                ),
                (
                    "legal_hold".to_owned(),
                    RestrictedExpression::new_bool(section.is_under_legal_hold()),
                ),
                (
                    "transferred".to_owned(),
                    RestrictedExpression::new_bool(section.is_transferred()),
                ),
                (
                    "purpose_permitted".to_owned(),
                    RestrictedExpression::new_bool(section.purpose_permitted()),
                ),
            ]),
            HashSet::from([customer_uid.clone()]),
        )
        .map_err(|_| AccessError::Engine { what: "section" })?;
        let customer_entity = Entity::new_no_attrs(customer_uid, HashSet::new());
        let entities = Entities::from_entities(
            [principal_entity, section_entity, customer_entity],
            Some(&self.schema),
        )
        .map_err(|_| AccessError::Engine { what: "section" })?;
        Ok((entities, principal_uid, section_uid))
    }
}

impl PolicyEngine for CedarEngine {
    fn evaluate(&self, query: &EngineQuery<'_>) -> Result<EngineVerdict, AccessError> {
        let (entities, principal, resource) = self.entities(query)?;
        let action = uid("Custodia::Action", query.action.code())?;
        let context = Context::from_pairs([
            (
                "purpose".to_owned(),
                RestrictedExpression::new_string(query.purpose.code().to_owned()),
            ),
            (
                "time".to_owned(),
                RestrictedExpression::new_long(query.at.timestamp()),
            ),
            ("ticket".to_owned(), RestrictedExpression::new_bool(query.ticket)),
            (
                "elevated".to_owned(),
                RestrictedExpression::new_bool(query.elevation.is_some()),
            ),
        ])
        .map_err(|_| AccessError::Engine { what: "context" })?;
        let request = Request::new(principal, action, resource, context, Some(&self.schema))
            .map_err(|_| AccessError::Engine { what: "request" })?;
        // An approved read links the elevated template for this principal and customer into a copy of the
        // set, named after the approval, so that the decision names the approval that allowed it.
        let linked;
        let policies = match query.elevation {
            Some(approval) if self.templates.contains(ELEVATED_READ) => {
                let mut copy = self.clone();
                copy.link(ELEVATED_READ, approval, query.principal.id(), query.customer)?;
                linked = copy;
                &linked.policies
            }
            _ => &self.policies,
        };
        let response = Authorizer::new().is_authorized(&request, policies, &entities);
        let refs = |ids: Vec<String>| -> Vec<PolicyRef> {
            let mut refs: Vec<PolicyRef> = ids
                .into_iter()
                .map(|id| {
                    let citation = self.citation(&id).unwrap_or_default().to_owned();
                    PolicyRef::new(id, citation)
                })
                .collect();
            refs.sort();
            refs
        };
        let policies = refs(response.diagnostics().reason().map(ToString::to_string).collect());
        let failed = refs(
            response
                .diagnostics()
                .errors()
                .map(|e| match e {
                    cedar_policy::AuthorizationError::PolicyEvaluationError(e) => e.policy_id().to_string(),
                })
                .collect(),
        );
        let effect = match response.decision() {
            CedarDecision::Allow => Effect::Permit,
            CedarDecision::Deny => Effect::Deny,
        };
        Ok(EngineVerdict::new(effect, policies, failed))
    }
}
