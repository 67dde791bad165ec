//! The model record reassembled from its sealed parts, typed: the facts record (the shell) and each opened
//! section deserialized straight into the fields of [`CustomerFields`], then checked as a [`Customer`].
//!
//! Every gated read and every pass over the book (notices, plans, the disposition) reassembles a customer;
//! building a `serde_json::Value` of the shell and of each section, overlaying them and converting the
//! result into the model cost two thirds of that (BENCHMARKS.md, "The gated read"). What is accepted and
//! refused is the model's own: every struct read here, like the model's, refuses an unknown field.

use std::fmt;
use std::ops::Deref;

use chrono::NaiveDate;
use custodia_model::{
    BankAccount, Beneficiary, Claim, ContactSection, CoveredPerson, Customer, CustomerFields, CustomerId,
    DataCategory, HealthDeclaration, Jurisdiction, KycRecord, MarketingPreferences, Party, Policy,
    RecordVersion, StoredCustomer,
};
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::error::BrokerageError;
use crate::records::FACTS;

/// The fields of a customer's record that are no category's: what the sealed facts record carries (with
/// the version) and what a buyer records for an adopted customer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Facts {
    pub(super) id: CustomerId,
    pub(super) residence: Jurisdiction,
    pub(super) relationship_start: NaiveDate,
    pub(super) relationship_end: Option<NaiveDate>,
    pub(super) last_verified: NaiveDate,
}

/// The sealed facts record as `facts_shell` writes it: the model record (`StoredCustomer`'s JSON) with
/// every category's field at its empty value.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Shell {
    fields: ShellFields,
    version: RecordVersion,
}

/// [`CustomerFields`] as the shell holds them. The category fields are read as the model's types, so a
/// shell of the wrong shape is refused as before, and must hold nothing: no second copy of a section lives
/// in the facts, so a category erased from the vault is gone from the record too (PIPL Art 47).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ShellFields {
    id: CustomerId,
    // Identity has no empty value in the model: the shell holds `null`.
    party: Option<Party>,
    residence: Jurisdiction,
    contact: ContactSection,
    accounts: Vec<BankAccount>,
    health: Option<HealthDeclaration>,
    policies: Vec<Policy>,
    claims: Vec<Claim>,
    beneficiaries: Vec<Beneficiary>,
    // As in the model: absent in records written before people had ids.
    #[serde(default)]
    covered_people: Vec<CoveredPerson>,
    marketing: Option<MarketingPreferences>,
    kyc: Option<KycRecord>,
    relationship_start: NaiveDate,
    relationship_end: Option<NaiveDate>,
    last_verified: NaiveDate,
}

impl ShellFields {
    /// Whether a category's field holds data.
    fn holds_a_section(&self) -> bool {
        self.party.is_some()
            || !self.contact.is_empty()
            || !self.accounts.is_empty()
            || self.health.is_some()
            || !self.policies.is_empty()
            || !self.claims.is_empty()
            || !self.beneficiaries.is_empty()
            || !self.covered_people.is_empty()
            || self.marketing.is_some()
            || self.kyc.is_some()
    }
}

/// The sealed facts record of `customer`: the model record with every category's field at its empty value
/// (`null`, `[]`, an empty contact section), which keeps no copy of a section (see
/// [`super::StoredFacts`]); read back by [`customer_from`]. Written typed — onboarding, every update and
/// every adoption write one — in the model's field order.
pub(super) fn facts_shell(customer: &Customer) -> Result<Vec<u8>, BrokerageError> {
    /// The JSON of an empty list.
    const NONE: [(); 0] = [];
    #[derive(Serialize)]
    struct Out<'a> {
        fields: FieldsOut<'a>,
        version: &'a RecordVersion,
    }
    #[derive(Serialize)]
    struct FieldsOut<'a> {
        id: CustomerId,
        party: Option<()>,
        residence: Jurisdiction,
        contact: ContactSection,
        accounts: [(); 0],
        health: Option<()>,
        policies: [(); 0],
        claims: [(); 0],
        beneficiaries: [(); 0],
        covered_people: [(); 0],
        marketing: Option<()>,
        kyc: Option<()>,
        relationship_start: &'a NaiveDate,
        relationship_end: &'a Option<NaiveDate>,
        last_verified: &'a NaiveDate,
    }
    let f = customer.fields();
    let out = Out {
        fields: FieldsOut {
            id: f.id,
            party: None,
            residence: f.residence,
            contact: ContactSection::default(),
            accounts: NONE,
            health: None,
            policies: NONE,
            claims: NONE,
            beneficiaries: NONE,
            covered_people: NONE,
            marketing: None,
            kyc: None,
            relationship_start: &f.relationship_start,
            relationship_end: &f.relationship_end,
            last_verified: &f.last_verified,
        },
        version: customer.version(),
    };
    serde_json::to_vec(&out).map_err(|e| BrokerageError::InvalidInput {
        field: "customer record",
        reason: e.to_string(),
    })
}

/// The Beneficiaries section as custodia-transfer's `category_plaintexts` writes it: the plain list of
/// beneficiaries (records written before people had ids), or, with people, both lists together.
enum BeneficiariesSection {
    List(Vec<Beneficiary>),
    WithPeople(WithPeople),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WithPeople {
    beneficiaries: Vec<Beneficiary>,
    covered_people: Vec<CoveredPerson>,
}

impl<'de> Deserialize<'de> for BeneficiariesSection {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Shape;
        impl<'de> Visitor<'de> for Shape {
            type Value = BeneficiariesSection;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of beneficiaries, or the beneficiaries and the covered people")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                Vec::deserialize(SeqAccessDeserializer::new(seq)).map(BeneficiariesSection::List)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                WithPeople::deserialize(MapAccessDeserializer::new(map)).map(BeneficiariesSection::WithPeople)
            }
        }
        deserializer.deserialize_any(Shape)
    }
}

/// The customer a sealed facts record (opened: `plain`, stored at `key`) and the newest opened `sections`
/// make. A record of the wrong shape, a shell holding a category's data, a section of the wrong shape or a
/// record failing the model's cross-field checks is [`BrokerageError::RecordCorrupt`]; without an identity
/// section the customer counts as erased.
pub(super) fn customer_from<S: Deref<Target = [u8]>>(
    plain: &[u8],
    key: &[u8],
    sections: &[(DataCategory, S)],
    customer: CustomerId,
) -> Result<Customer, BrokerageError> {
    let corrupt = |e: &dyn fmt::Display| BrokerageError::corrupt(FACTS.as_str(), key, e);
    let shell: Shell = serde_json::from_slice(plain).map_err(|e| corrupt(&e))?;
    if shell.fields.holds_a_section() {
        return Err(corrupt(&"the facts record holds a category's data"));
    }
    let f = shell.fields;
    let facts = Facts {
        id: f.id,
        residence: f.residence,
        relationship_start: f.relationship_start,
        relationship_end: f.relationship_end,
        last_verified: f.last_verified,
    };
    let fields = fields_from(facts, sections, customer)?;
    Customer::try_from(StoredCustomer {
        fields,
        version: shell.version,
    })
    .map_err(|e| corrupt(&e))
}

/// The model fields `facts` and the opened `sections` make, each section deserialized into its category's
/// field, every category not among them at its empty value. Every record holds its identity (PIPL Art 13's
/// purposes need a person): a customer whose identity section was erased is, for plans and sweeps, an
/// erased customer ([`BrokerageError::CustomerErased`]).
pub(super) fn fields_from<S: Deref<Target = [u8]>>(
    facts: Facts,
    sections: &[(DataCategory, S)],
    customer: CustomerId,
) -> Result<CustomerFields, BrokerageError> {
    if !sections.iter().any(|(c, _)| *c == DataCategory::Identity) {
        return Err(BrokerageError::CustomerErased { customer });
    }
    let key = customer.as_bytes();
    let read = |e: serde_json::Error| BrokerageError::corrupt(FACTS.as_str(), key, e);
    let mut party = None;
    let mut contact = ContactSection::default();
    let (mut accounts, mut health, mut policies, mut claims) = (Vec::new(), None, Vec::new(), Vec::new());
    let (mut beneficiaries, mut covered_people) = (Vec::new(), Vec::new());
    let (mut marketing, mut kyc) = (None, None);
    for (category, plain) in sections {
        let plain: &[u8] = plain;
        match category {
            DataCategory::Identity => party = Some(serde_json::from_slice(plain).map_err(read)?),
            DataCategory::Contact => contact = serde_json::from_slice(plain).map_err(read)?,
            DataCategory::FinancialAccounts => accounts = serde_json::from_slice(plain).map_err(read)?,
            DataCategory::Health => health = serde_json::from_slice(plain).map_err(read)?,
            DataCategory::Policies => policies = serde_json::from_slice(plain).map_err(read)?,
            DataCategory::Claims => claims = serde_json::from_slice(plain).map_err(read)?,
            DataCategory::Beneficiaries => match serde_json::from_slice(plain).map_err(read)? {
                BeneficiariesSection::List(list) => beneficiaries = list,
                BeneficiariesSection::WithPeople(both) => {
                    beneficiaries = both.beneficiaries;
                    covered_people = both.covered_people;
                }
            },
            DataCategory::MarketingPreferences => marketing = serde_json::from_slice(plain).map_err(read)?,
            DataCategory::KycAml => kyc = serde_json::from_slice(plain).map_err(read)?,
            // A category the record has no field for (the model's `categories_held` names each one's).
            other => {
                return Err(BrokerageError::corrupt(
                    FACTS.as_str(),
                    key,
                    format!("a section of category {other:?}, which no field of the record holds"),
                ));
            }
        }
    }
    let party = party.ok_or(BrokerageError::CustomerErased { customer })?;
    Ok(CustomerFields {
        id: facts.id,
        party,
        residence: facts.residence,
        contact,
        accounts,
        health,
        policies,
        claims,
        beneficiaries,
        covered_people,
        marketing,
        kyc,
        relationship_start: facts.relationship_start,
        relationship_end: facts.relationship_end,
        last_verified: facts.last_verified,
    })
}

#[cfg(test)]
mod tests {
    use std::mem::discriminant;

    use chrono::{DateTime, Utc};
    use custodia_model::ActorId;
    use custodia_synthetic::book::{BookConfig, SyntheticBook};
    use custodia_transfer::facts::category_plaintexts;

    use super::super::{empty_section, field_of, json_error};
    use super::*;

    type Sections = Vec<(DataCategory, Vec<u8>)>;

    /// A change made to a sealed facts record, given a health declaration to put in it.
    type Change = fn(&mut serde_json::Value, &serde_json::Value);

    const KEY: &[u8] = b"facts-key";

    fn date() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 5, 31).unwrap()
    }

    fn now() -> DateTime<Utc> {
        custodia_synthetic::consent::at_nine(date()).unwrap()
    }

    /// The path this module replaced, kept as the reference: the shell and every section parsed into a
    /// `serde_json::Value`, the sections overlaid into the shell's fields, the result converted into the
    /// model.
    fn overlay(
        record: &mut serde_json::Value,
        sections: &[(DataCategory, Vec<u8>)],
        customer: CustomerId,
    ) -> Result<(), BrokerageError> {
        let key = customer.as_bytes();
        if !sections.iter().any(|(c, _)| *c == DataCategory::Identity) {
            return Err(BrokerageError::CustomerErased { customer });
        }
        let fields = record
            .get_mut("fields")
            .and_then(serde_json::Value::as_object_mut)
            .ok_or_else(|| BrokerageError::corrupt(FACTS.as_str(), key, "no fields"))?;
        for (category, plain) in sections {
            let value: serde_json::Value =
                serde_json::from_slice(plain).map_err(|e| BrokerageError::corrupt(FACTS.as_str(), key, e))?;
            match (category, value) {
                (DataCategory::Beneficiaries, serde_json::Value::Object(mut both)) => {
                    for name in ["beneficiaries", "covered_people"] {
                        fields.insert(name.into(), both.remove(name).unwrap_or_default());
                    }
                }
                (category, value) => {
                    fields.insert(field_of(*category).into(), value);
                }
            }
        }
        Ok(())
    }

    fn reference_customer(
        plain: &[u8],
        sections: &Sections,
        customer: CustomerId,
    ) -> Result<Customer, BrokerageError> {
        let mut record: serde_json::Value =
            serde_json::from_slice(plain).map_err(|e| BrokerageError::corrupt(FACTS.as_str(), KEY, e))?;
        overlay(&mut record, sections, customer)?;
        serde_json::from_value(record).map_err(|e| BrokerageError::corrupt(FACTS.as_str(), KEY, e))
    }

    fn reference_adopted(facts: &Facts, sections: &Sections) -> Result<CustomerFields, BrokerageError> {
        let customer = facts.id;
        let mut fields = serde_json::Map::new();
        empty_sections(&mut fields)?;
        for (name, value) in [
            ("id", serde_json::to_value(customer)),
            ("residence", serde_json::to_value(facts.residence)),
            (
                "relationship_start",
                serde_json::to_value(facts.relationship_start),
            ),
            ("relationship_end", serde_json::to_value(facts.relationship_end)),
            ("last_verified", serde_json::to_value(facts.last_verified)),
        ] {
            fields.insert(name.into(), value.map_err(json_error)?);
        }
        let mut record = serde_json::json!({ "fields": fields });
        overlay(&mut record, sections, customer)?;
        serde_json::from_value(record["fields"].take())
            .map_err(|e| BrokerageError::corrupt(FACTS.as_str(), customer.as_bytes(), e))
    }

    fn facts_of(c: &Customer) -> Facts {
        Facts {
            id: c.id(),
            residence: c.residence(),
            relationship_start: c.relationship_start(),
            relationship_end: c.relationship_end(),
            last_verified: c.last_verified(),
        }
    }

    /// Both paths agree: the same customer, or an error of the same kind.
    fn same(
        typed: &Result<Customer, BrokerageError>,
        reference: &Result<Customer, BrokerageError>,
        what: &str,
    ) {
        match (typed, reference) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{what}"),
            (Err(a), Err(b)) => assert_eq!(discriminant(a), discriminant(b), "{what}: {a:?} / {b:?}"),
            (a, b) => panic!("{what}: the typed path gave {a:?}, the reference {b:?}"),
        }
    }

    /// Synthetic books of several seeds, with people, organizations, minors, ended relationships and
    /// incomplete records; and, made from them, customers whose beneficiaries section is the plain list
    /// (records written before people had ids) and customers at a second version with a category emptied.
    /// The facts record as it was written through a `serde_json::Value` before the typed writer.
    fn reference_shell(customer: &Customer) -> Result<Vec<u8>, BrokerageError> {
        let mut record = serde_json::to_value(customer).map_err(json_error)?;
        let fields = record
            .get_mut("fields")
            .and_then(serde_json::Value::as_object_mut)
            .ok_or_else(|| BrokerageError::InvalidInput {
                field: "customer record",
                reason: "no fields".into(),
            })?;
        empty_sections(fields)?;
        serde_json::to_vec(&record).map_err(json_error)
    }

    /// Every category's field set to its empty value, to be overlaid with the sections the vault holds.
    fn empty_sections(fields: &mut serde_json::Map<String, serde_json::Value>) -> Result<(), BrokerageError> {
        for category in DataCategory::ALL {
            let empty = match category {
                DataCategory::Contact => {
                    serde_json::to_value(custodia_model::ContactSection::default()).map_err(json_error)?
                }
                DataCategory::FinancialAccounts
                | DataCategory::Policies
                | DataCategory::Claims
                | DataCategory::Beneficiaries => serde_json::Value::Array(Vec::new()),
                // Identity too: it is always overlaid from its section, or the customer counts as erased.
                _ => serde_json::Value::Null,
            };
            fields.insert(field_of(category).into(), empty);
        }
        fields.insert("covered_people".into(), serde_json::Value::Array(Vec::new()));
        Ok(())
    }

    /// The typed writer writes the record the `Value` path wrote (key order aside), for every customer.
    #[test]
    fn the_typed_shell_is_the_record_the_value_path_wrote() {
        let all = customers();
        for c in &all {
            let typed: serde_json::Value = serde_json::from_slice(&facts_shell(c).unwrap()).unwrap();
            let reference: serde_json::Value = serde_json::from_slice(&reference_shell(c).unwrap()).unwrap();
            assert_eq!(typed, reference, "{}", c.id());
        }
        assert!(all.len() > 100);
    }

    fn customers() -> Vec<Customer> {
        let mut all = Vec::new();
        for seed in [3, 17, 40] {
            let config = BookConfig {
                seed,
                customers: 60,
                share_incomplete: 0.3,
                share_minors: 0.15,
                share_organizations: 0.2,
                ..BookConfig::default()
            };
            let book = SyntheticBook::generate(&config, date()).unwrap();
            all.extend(book.customers().iter().map(|c| c.customer.clone()));
        }
        let by = ActorId::new("clerk").unwrap();
        let mut made = Vec::new();
        for c in &all {
            if !c.covered_people().is_empty() {
                let mut f = c.to_fields();
                f.covered_people.clear();
                made.push(Customer::new(f, now(), by.clone()).unwrap());
            }
            if c.health().is_some() || c.kyc().is_some() {
                let mut f = c.to_fields();
                f.health = None;
                f.kyc = None;
                f.contact = ContactSection::default();
                made.push(c.update(f, now(), by.clone()).unwrap());
            }
        }
        all.extend(made);
        all
    }

    #[test]
    fn the_typed_path_gives_the_customer_the_value_path_gave() {
        let customers = customers();
        let with_people = customers
            .iter()
            .filter(|c| !c.covered_people().is_empty())
            .count();
        let plain_list = customers
            .iter()
            .filter(|c| c.covered_people().is_empty() && !c.beneficiaries().is_empty())
            .count();
        let organizations = customers
            .iter()
            .filter(|c| c.party().as_person().is_none())
            .count();
        assert!(
            with_people > 10 && plain_list > 10 && organizations > 5,
            "{with_people} {plain_list} {organizations}"
        );
        let mut erased = 0;
        let mut refused = 0;
        for c in &customers {
            let id = c.id();
            let shell = facts_shell(c).unwrap();
            let sections: Sections = category_plaintexts(c).unwrap();
            let typed = customer_from(&shell, KEY, &sections, id);
            assert_eq!(typed.as_ref().unwrap(), c, "customer {id}");
            same(&typed, &reference_customer(&shell, &sections, id), "whole");
            // An adopted customer: the buyer's facts and the sections that travelled.
            let adopted = fields_from(facts_of(c), &sections, id).unwrap();
            assert_eq!(&adopted, c.fields());
            assert_eq!(adopted, reference_adopted(&facts_of(c), &sections).unwrap());
            // Each category erased from the vault, or sealed at its empty value (an update that emptied it).
            for category in c.categories_held() {
                let without: Sections = sections.iter().filter(|(k, _)| *k != category).cloned().collect();
                let typed = customer_from(&shell, KEY, &without, id);
                same(&typed, &reference_customer(&shell, &without, id), "erased");
                erased += 1;
                refused += usize::from(typed.is_err());
                let emptied: Sections = sections
                    .iter()
                    .map(|(k, p)| {
                        (
                            *k,
                            if *k == category {
                                empty_section(c, category).unwrap()
                            } else {
                                p.clone()
                            },
                        )
                    })
                    .collect();
                let typed = customer_from(&shell, KEY, &emptied, id);
                if category != DataCategory::Identity {
                    let emptied_adopted =
                        fields_from(facts_of(c), &emptied, id).map_err(|e| format!("{e:?}"));
                    let reference = reference_adopted(&facts_of(c), &emptied).map_err(|e| format!("{e:?}"));
                    assert_eq!(
                        emptied_adopted.is_ok(),
                        reference.is_ok(),
                        "{emptied_adopted:?} {reference:?}"
                    );
                    if let (Ok(a), Ok(b)) = (emptied_adopted, reference) {
                        assert_eq!(a, b);
                    }
                }
                same(&typed, &reference_customer(&shell, &emptied, id), "emptied");
            }
            // Without identity the customer is erased, on both paths.
            let no_identity: Sections = sections
                .iter()
                .filter(|(k, _)| *k != DataCategory::Identity)
                .cloned()
                .collect();
            assert!(matches!(
                customer_from(&shell, KEY, &no_identity, id),
                Err(BrokerageError::CustomerErased { customer }) if customer == id
            ));
            assert!(matches!(
                fields_from(facts_of(c), &no_identity, id),
                Err(BrokerageError::CustomerErased { .. })
            ));
        }
        // Erasing policies leaves claims and beneficiaries dangling: the model's cross-field checks refuse
        // those on both paths.
        assert!(erased > 500 && refused > 10, "{erased} {refused}");
    }

    #[test]
    fn a_shell_written_before_people_had_ids_is_read_as_before() {
        let c = customers()
            .into_iter()
            .find(|c| c.covered_people().is_empty())
            .unwrap();
        let mut shell: serde_json::Value = serde_json::from_slice(&facts_shell(&c).unwrap()).unwrap();
        shell["fields"].as_object_mut().unwrap().remove("covered_people");
        let shell = serde_json::to_vec(&shell).unwrap();
        let sections = category_plaintexts(&c).unwrap();
        let typed = customer_from(&shell, KEY, &sections, c.id());
        assert_eq!(typed.as_ref().unwrap(), &c);
        same(
            &typed,
            &reference_customer(&shell, &sections, c.id()),
            "old shell",
        );
    }

    fn corrupt(result: Result<Customer, BrokerageError>) -> String {
        match result {
            Err(BrokerageError::RecordCorrupt {
                namespace,
                key,
                reason,
            }) => {
                assert_eq!(namespace, FACTS.as_str());
                assert!(key == hex::encode(KEY) || key.len() == 32, "{key}");
                reason
            }
            other => panic!("not refused as corrupt: {other:?}"),
        }
    }

    /// A decoder quotes the value it found; a corrupt record's error never does (PIPL Art 51(3)).
    #[test]
    fn a_corrupt_record_error_names_no_value_it_holds() {
        let all = customers();
        let c = &all[0];
        let mut sections = category_plaintexts(c).unwrap();
        assert_eq!(sections[0].0, DataCategory::Identity);
        sections[0].1 = br#""13800138000""#.to_vec();
        let reason = corrupt(customer_from(&facts_shell(c).unwrap(), KEY, &sections, c.id()));
        assert!(!reason.contains("13800138000"), "{reason}");
        assert!(reason.contains("`…`"), "the value is replaced: {reason}");
        let mut shell: serde_json::Value = serde_json::from_slice(&facts_shell(c).unwrap()).unwrap();
        shell["fields"]["王小明"] = 1.into();
        let bytes = serde_json::to_vec(&shell).unwrap();
        let reason = corrupt(customer_from(
            &bytes,
            KEY,
            &category_plaintexts(c).unwrap(),
            c.id(),
        ));
        assert!(!reason.contains("王小明"), "{reason}");
    }

    #[test]
    fn a_corrupt_facts_record_or_section_is_refused_as_corrupt() {
        let all = customers();
        let c = all
            .iter()
            .find(|c| !c.covered_people().is_empty() && c.health().is_some() && !c.claims().is_empty())
            .unwrap();
        let id = c.id();
        let sections = category_plaintexts(c).unwrap();
        let shell: serde_json::Value = serde_json::from_slice(&facts_shell(c).unwrap()).unwrap();
        let health = serde_json::to_value(c.health()).unwrap();
        let shells: [(&str, Change); 7] = [
            ("a field of the wrong type", |s, _| {
                s["fields"]["residence"] = 5.into()
            }),
            ("an unknown field", |s, _| s["fields"]["nickname"] = "x".into()),
            ("an unknown field of the record", |s, _| s["extra"] = 1.into()),
            ("a version of the wrong type", |s, _| {
                s["version"]["number"] = "one".into()
            }),
            ("no version", |s, _| {
                s.as_object_mut().unwrap().remove("version");
            }),
            ("the relationship ending before it starts", |s, _| {
                s["fields"]["relationship_end"] = "1999-01-01".into();
            }),
            // A second copy of a section in the facts: the reference path would have shown it for an
            // erased category.
            ("a category's data", |s, health| {
                s["fields"]["health"] = health.clone()
            }),
        ];
        for (what, change) in shells {
            let mut s = shell.clone();
            change(&mut s, &health);
            let bytes = serde_json::to_vec(&s).unwrap();
            let reason = corrupt(customer_from(&bytes, KEY, &sections, id));
            assert!(!reason.is_empty(), "{what}");
        }
        corrupt(customer_from(b"{\"fields\":", KEY, &sections, id));
        corrupt(customer_from(b"[]", KEY, &sections, id));

        let replaced = |category: DataCategory, plain: &str| -> Sections {
            sections
                .iter()
                .map(|(k, p)| {
                    (
                        *k,
                        if *k == category {
                            plain.as_bytes().to_vec()
                        } else {
                            p.clone()
                        },
                    )
                })
                .collect()
        };
        let identity = serde_json::from_slice::<serde_json::Value>(&sections[0].1).unwrap();
        assert_eq!(sections[0].0, DataCategory::Identity);
        let mut unknown = identity.clone();
        match &mut unknown {
            serde_json::Value::Object(o) => {
                o.insert("nickname".into(), "x".into());
            }
            other => panic!("identity is an object: {other}"),
        }
        let unknown = serde_json::to_string(&unknown).unwrap();
        let bad: Vec<(&str, Sections)> = vec![
            (
                "identity with an unknown field",
                replaced(DataCategory::Identity, &unknown),
            ),
            ("identity null", replaced(DataCategory::Identity, "null")),
            (
                "contact of the wrong type",
                replaced(DataCategory::Contact, r#"{"mobile":5}"#),
            ),
            (
                "contact with an unknown field",
                replaced(DataCategory::Contact, r#"{"fax":null}"#),
            ),
            (
                "health of the wrong type",
                replaced(DataCategory::Health, r#""smoker""#),
            ),
            ("claims not a list", replaced(DataCategory::Claims, "{}")),
            (
                "beneficiaries null",
                replaced(DataCategory::Beneficiaries, "null"),
            ),
            (
                "beneficiaries without the covered people",
                replaced(DataCategory::Beneficiaries, r#"{"beneficiaries":[]}"#),
            ),
            (
                "beneficiaries with an unknown list",
                replaced(
                    DataCategory::Beneficiaries,
                    r#"{"beneficiaries":[],"covered_people":[],"heirs":[]}"#,
                ),
            ),
            ("not JSON", replaced(DataCategory::Policies, "[")),
            // Claims whose policies are gone: the model's cross-field checks still run.
            (
                "claims without their policies",
                replaced(DataCategory::Policies, "[]"),
            ),
        ];
        let shell = facts_shell(c).unwrap();
        for (what, sections) in bad {
            let reason = corrupt(customer_from(&shell, KEY, &sections, id));
            assert!(!reason.is_empty(), "{what}");
            if !what.contains("unknown list") {
                assert!(
                    reference_customer(&shell, &sections, id).is_err(),
                    "the reference refused {what}"
                );
            }
        }
        // The same sections refused when a buyer records an adopted customer's facts.
        assert!(matches!(
            fields_from(
                facts_of(c),
                &replaced(DataCategory::Contact, r#"{"mobile":5}"#),
                id
            ),
            Err(BrokerageError::RecordCorrupt { .. })
        ));
    }
}
