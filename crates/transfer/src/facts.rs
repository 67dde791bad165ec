//! Building the planner's and the retention crate's inputs from custodia-model records, for callers whose
//! book is made of model customers (the main job, tests, benches).
//!
//! The legal basis of every purpose comes from the consent crate's [`BasisPolicy`] (data a user can load,
//! inspect and change), never from a table here: this module only says what each category is kept for.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use custodia_consent::BasisPolicy;
use custodia_model::{Customer, DataCategory, LegalBasis, PolicyId, Purpose, SensitivityPolicy};
use custodia_retention::{Contract, ContractTerm, HeldData, Holding, PurposeBasis, RetentionFacts};

use crate::error::TransferError;
use crate::plan::{CoveredPersonFacts, CustomerFacts, CustomerFactsFields, PriorExport};

/// What the brokerage keeps each category for (Broker Rule 2018 Art 36): preparing the proposal and
/// assisting with claims for health information (declarations and the medical documents of claims),
/// assisting with claims for claims, marketing for marketing preferences, policy servicing and legal
/// compliance (AML Law 2024 Art 34) for KYC records, policy servicing for the rest.
pub fn purposes_of(category: DataCategory) -> Vec<Purpose> {
    match category {
        DataCategory::Health => vec![Purpose::ProposalPreparation, Purpose::ClaimsAssistance],
        DataCategory::Claims => vec![Purpose::ClaimsAssistance],
        DataCategory::MarketingPreferences => vec![Purpose::Marketing],
        DataCategory::KycAml => vec![Purpose::PolicyServicing, Purpose::LegalCompliance],
        _ => vec![Purpose::PolicyServicing],
    }
}

/// The purposes each category is kept for, each on the basis `policy` gives it (PIPL Art 13). A purpose the
/// policy has no rule for is refused: nothing is kept without a basis.
pub fn uses_of(category: DataCategory, policy: &BasisPolicy) -> Result<Vec<PurposeBasis>, TransferError> {
    purposes_of(category)
        .into_iter()
        .map(|purpose| {
            let basis = policy.rule(&purpose).map(|rule| rule.basis).ok_or_else(|| {
                TransferError::invalid("basis_policy", format!("no basis for purpose {purpose}"))
            })?;
            Ok(PurposeBasis::new(purpose, basis))
        })
        .collect()
}

/// Whether a withdrawal of consent for `purpose` bears on retention: the brokerage keeps some category for
/// that purpose, and `policy` rests it on consent (PIPL Art 15: only a use resting on consent ends with it).
fn kept_on_consent(purpose: &Purpose, policy: &BasisPolicy) -> bool {
    DataCategory::ALL
        .into_iter()
        .any(|c| purposes_of(c).contains(purpose))
        && policy
            .rule(purpose)
            .is_some_and(|rule| rule.basis == LegalBasis::Consent)
}

/// The policies a category's section is about, where it is about some only: claims concern the policies
/// claimed under, the beneficiaries section the policies naming its people. Their Broker Rule 2018 Art 51
/// floors count from those contracts' own ends.
fn concerned_policies(customer: &Customer, category: DataCategory) -> Option<Vec<PolicyId>> {
    let ids: BTreeSet<PolicyId> = match category {
        DataCategory::Claims => customer.claims().iter().map(|c| c.policy_id).collect(),
        DataCategory::Beneficiaries => customer
            .beneficiaries()
            .iter()
            .map(|b| b.policy_id)
            .chain(customer.covered_people().iter().map(|p| p.policy_id()))
            .collect(),
        _ => return None,
    };
    Some(ids.into_iter().collect())
}

/// The retention facts of a model customer as known on `as_of`: every category held (collected when the
/// relationship started) with its purposes and their bases under `policy` and, for claims and
/// beneficiaries, the policies they concern; every contract with its policy id, term and end; the
/// relationship's start and end and due diligence (which open the AML Law 2024 Art 34 floor); claims and
/// when they closed; AML transactions; and the consent `withdrawals` (purpose and date) that bear on
/// retention and happened by `as_of`, the earliest per purpose.
pub fn retention_facts(
    customer: &Customer,
    withdrawals: &[(Purpose, NaiveDate)],
    policy: &BasisPolicy,
    as_of: NaiveDate,
) -> Result<RetentionFacts, TransferError> {
    let id = customer.id();
    let mut b =
        RetentionFacts::builder(id, customer.residence()).relationship_started(customer.relationship_start());
    for category in customer.categories_held() {
        let held = HeldData::new(
            id,
            Holding::Category(category),
            customer.relationship_start(),
            uses_of(category, policy)?,
        )?;
        b = b.held(match concerned_policies(customer, category) {
            Some(policies) => held.concerning(policies),
            None => held,
        });
    }
    for p in customer.policies() {
        let term = if p.term_exceeds_one_year() {
            ContractTerm::MoreThanOneYear
        } else {
            ContractTerm::OneYearOrLess
        };
        let end = p.contract_end();
        let contract = if end <= as_of {
            Contract::ending(term, end)
        } else {
            Contract::in_force(term)
        };
        b = b.contract(contract.for_policy(p.id()));
    }
    for claim in customer.claims() {
        b = b.claim(claim.closed_on.filter(|closed| *closed <= as_of));
    }
    if let Some(end) = customer.relationship_end() {
        b = b.relationship_ended(end);
    }
    if let Some(kyc) = customer.kyc() {
        b = b.due_diligence(kyc.verified_on);
    }
    if let Some(kyc) = customer.kyc() {
        for t in &kyc.transactions {
            b = b.transaction(t.date);
        }
    }
    let mut withdrawn: Vec<(Purpose, NaiveDate)> = withdrawals
        .iter()
        .filter(|(p, w)| kept_on_consent(p, policy) && *w <= as_of)
        .cloned()
        .collect();
    withdrawn.sort();
    withdrawn.dedup_by(|a, b| a.0 == b.0);
    for (purpose, on) in withdrawn {
        b = b.consent_withdrawn(purpose, on);
    }
    Ok(b.build()?)
}

/// The planner's facts for a model customer, with the book's cautious default sensitivity
/// ([`SensitivityPolicy::default`]); see [`customer_facts_with`].
pub fn customer_facts(
    customer: &Customer,
    withdrawals: &[(Purpose, NaiveDate)],
    policy: &BasisPolicy,
    as_of: NaiveDate,
) -> Result<CustomerFacts, TransferError> {
    customer_facts_with(&FactsInput {
        customer,
        withdrawals,
        basis: policy,
        sensitivity: &SensitivityPolicy::default(),
        as_of,
    })
}

/// What [`customer_facts_with`] builds the planner's facts from.
#[derive(Clone, Copy, Debug)]
pub struct FactsInput<'a> {
    /// The customer record: the one source of the categories, the relationship's end, the people.
    pub customer: &'a Customer,
    /// The consent withdrawals (purpose and day) that bear on retention.
    pub withdrawals: &'a [(Purpose, NaiveDate)],
    /// The legal bases of the purposes (PIPL Art 13).
    pub basis: &'a BasisPolicy,
    /// Which categories are sensitive for this book (claims by line, overrides; PIPL Art 28).
    pub sensitivity: &'a SensitivityPolicy,
    /// The day the facts are known on.
    pub as_of: NaiveDate,
}

/// The planner's facts for a model customer, all derived from the one record: the retention facts (see
/// [`retention_facts`]), which also give the categories held and the relationship's end; the birth date;
/// the sensitive categories under the book's `sensitivity` on `as_of`; the insured persons and
/// beneficiaries. Nothing is marked as exported before: a caller with a yearly counter marks that with
/// [`CustomerFacts::with_prior_exports`].
pub fn customer_facts_with(input: &FactsInput<'_>) -> Result<CustomerFacts, TransferError> {
    let customer = input.customer;
    let retention = retention_facts(customer, input.withdrawals, input.basis, input.as_of)?;
    let people = customer
        .covered_people()
        .iter()
        .map(|p| CoveredPersonFacts {
            person: p.id(),
            customer: p.customer(),
            birth_date: p.birth_date(),
            policyholder_is_parent: p.policyholder_is_parent(),
            prior_export: PriorExport::default(),
        })
        .collect();
    CustomerFacts::new(CustomerFactsFields {
        retention,
        birth_date: customer.party().as_person().map(|p| p.birth_date()),
        sensitive: input.sensitivity.sensitive_categories(customer, input.as_of),
        people,
        prior_export: PriorExport::default(),
    })
}

/// Each category a customer holds, as the JSON bytes of that part of the record: the plaintext of its
/// sealed section. Callers seal these with custodia-crypto and never keep them.
pub fn category_plaintexts(customer: &Customer) -> Result<Vec<(DataCategory, Vec<u8>)>, TransferError> {
    let f = customer.fields();
    let json = |value: Result<Vec<u8>, serde_json::Error>| {
        value.map_err(|e| TransferError::invalid("customer section", e.to_string()))
    };
    customer
        .categories_held()
        .into_iter()
        .map(|c| {
            let bytes = match c {
                DataCategory::Identity => json(serde_json::to_vec(&f.party)),
                DataCategory::Contact => json(serde_json::to_vec(&f.contact)),
                DataCategory::FinancialAccounts => json(serde_json::to_vec(&f.accounts)),
                DataCategory::Health => json(serde_json::to_vec(&f.health)),
                DataCategory::Policies => json(serde_json::to_vec(&f.policies)),
                DataCategory::Claims => json(serde_json::to_vec(&f.claims)),
                // Records written before people had ids stay a plain list; with people, both together.
                DataCategory::Beneficiaries if f.covered_people.is_empty() => {
                    json(serde_json::to_vec(&f.beneficiaries))
                }
                DataCategory::Beneficiaries => json(serde_json::to_vec(&serde_json::json!({
                    "beneficiaries": f.beneficiaries,
                    "covered_people": f.covered_people,
                }))),
                DataCategory::MarketingPreferences => json(serde_json::to_vec(&f.marketing)),
                DataCategory::KycAml => json(serde_json::to_vec(&f.kyc)),
                _ => json(serde_json::to_vec(&())),
            }?;
            Ok((c, bytes))
        })
        .collect()
}
