//! Building the planner's and the retention crate's inputs from custodia-model records, for callers whose
//! book is made of model customers (the main job, tests, benches).
//!
//! The legal basis of every purpose comes from the consent crate's [`BasisPolicy`] (data a user can load,
//! inspect and change), never from a table here: this module only says what each category is kept for.

use chrono::NaiveDate;
use custodia_consent::BasisPolicy;
use custodia_model::{Customer, DataCategory, LegalBasis, Purpose};
use custodia_retention::{Contract, ContractTerm, HeldData, Holding, PurposeBasis, RetentionFacts};

use crate::error::TransferError;
use crate::plan::CustomerFacts;

/// What the brokerage keeps each category for: underwriting for health declarations, claims handling for
/// claims, marketing for marketing preferences, policy servicing and legal compliance (AML Law 2024 Art 34)
/// for KYC records, policy servicing for the rest.
pub fn purposes_of(category: DataCategory) -> Vec<Purpose> {
    match category {
        DataCategory::Health => vec![Purpose::ProposalPreparation],
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

/// The retention facts of a model customer as known on `as_of`: every category held (collected when the
/// relationship started) with its purposes and their bases under `policy`, every contract with its term
/// and end, the relationship's end, AML transactions, and the consent `withdrawals` (purpose and date) that
/// bear on retention and happened by `as_of`, the earliest per purpose.
pub fn retention_facts(
    customer: &Customer,
    withdrawals: &[(Purpose, NaiveDate)],
    policy: &BasisPolicy,
    as_of: NaiveDate,
) -> Result<RetentionFacts, TransferError> {
    let id = customer.id();
    let mut b = RetentionFacts::builder(id, customer.residence());
    for category in customer.categories_held() {
        b = b.held(HeldData::new(
            id,
            Holding::Category(category),
            customer.relationship_start(),
            uses_of(category, policy)?,
        )?);
    }
    for p in customer.policies() {
        let term = if p.term_exceeds_one_year() {
            ContractTerm::MoreThanOneYear
        } else {
            ContractTerm::OneYearOrLess
        };
        let end = p.contract_end();
        b = b.contract(if end <= as_of {
            Contract::ending(term, end)
        } else {
            Contract::in_force(term)
        });
    }
    if let Some(end) = customer.relationship_end() {
        b = b.relationship_ended(end);
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

/// The planner's facts for a model customer (see [`retention_facts`]).
pub fn customer_facts(
    customer: &Customer,
    withdrawals: &[(Purpose, NaiveDate)],
    policy: &BasisPolicy,
    as_of: NaiveDate,
) -> Result<CustomerFacts, TransferError> {
    Ok(CustomerFacts {
        customer: customer.id(),
        birth_date: customer.party().as_person().map(|p| p.birth_date()),
        categories: customer.categories_held(),
        relationship_end: customer.relationship_end(),
        retention: retention_facts(customer, withdrawals, policy, as_of)?,
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
                DataCategory::Beneficiaries => json(serde_json::to_vec(&f.beneficiaries)),
                DataCategory::MarketingPreferences => json(serde_json::to_vec(&f.marketing)),
                DataCategory::KycAml => json(serde_json::to_vec(&f.kyc)),
                _ => json(serde_json::to_vec(&())),
            }?;
            Ok((c, bytes))
        })
        .collect()
}
