//! Building the planner's and the retention crate's inputs from custodia-model records, for callers whose
//! book is made of model customers (the main job, tests, benches).

use chrono::NaiveDate;
use custodia_model::synthetic::ConsentFact;
use custodia_model::{Customer, DataCategory, LegalBasis, Purpose};
use custodia_retention::{Contract, ContractTerm, HeldData, Holding, RetentionFacts, Use};

use crate::error::TransferError;
use crate::plan::CustomerFacts;

/// The purposes each category is kept for, on their bases under the `cn-insurance-broker` profile: servicing,
/// underwriting and claims on the contract, AML records on legal obligation, marketing on consent.
pub fn uses_of(category: DataCategory) -> Vec<Use> {
    let contract = |p| Use::new(p, LegalBasis::Contract);
    match category {
        DataCategory::Health => vec![contract(Purpose::Underwriting)],
        DataCategory::Claims => vec![contract(Purpose::ClaimsHandling)],
        DataCategory::MarketingPreferences => vec![Use::new(Purpose::Marketing, LegalBasis::Consent)],
        DataCategory::KycAml => vec![
            contract(Purpose::PolicyServicing),
            Use::new(Purpose::LegalCompliance, LegalBasis::LegalObligation),
        ],
        _ => vec![contract(Purpose::PolicyServicing)],
    }
}

/// The retention facts of a model customer as known on `as_of`: every category held (collected when the
/// relationship started), every contract with its term and end, the relationship's end, AML transactions,
/// and consent withdrawals from the consent facts.
pub fn retention_facts(
    customer: &Customer,
    consents: &[ConsentFact],
    as_of: NaiveDate,
) -> Result<RetentionFacts, TransferError> {
    let id = customer.id();
    let mut b = RetentionFacts::builder(id, customer.residence());
    for category in customer.categories_held() {
        b = b.held(HeldData::new(
            id,
            Holding::Category(category),
            customer.relationship_start(),
            uses_of(category),
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
    let mut withdrawn: Vec<(Purpose, NaiveDate)> = consents
        .iter()
        .filter_map(|f| f.withdrawn_at.map(|w| (f.purpose.clone(), w)))
        .filter(|(p, w)| *p == Purpose::Marketing && *w <= as_of)
        .collect();
    withdrawn.sort();
    withdrawn.dedup_by(|a, b| a.0 == b.0);
    for (purpose, on) in withdrawn {
        b = b.consent_withdrawn(purpose, on);
    }
    Ok(b.build()?)
}

/// The planner's facts for a model customer.
pub fn customer_facts(
    customer: &Customer,
    consents: &[ConsentFact],
    as_of: NaiveDate,
) -> Result<CustomerFacts, TransferError> {
    Ok(CustomerFacts {
        customer: customer.id(),
        birth_date: customer.party().as_person().map(|p| p.birth_date()),
        categories: customer.categories_held(),
        relationship_end: customer.relationship_end(),
        retention: retention_facts(customer, consents, as_of)?,
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
