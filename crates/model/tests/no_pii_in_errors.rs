//! No personal information in an error or a `Debug` (issue 16; PIPL Art 51: logs outlive the records they
//! mention): a corpus of realistic bad records — each customer of a synthetic book broken the ways real
//! imports break, field by field — goes through every public parser of the model, and no error message
//! (`Display` or `Debug`) nor the `Debug` of any valid record holds a needle of the book: a name, an
//! identity or document number or seven characters of one, a phone, an e-mail's local part or personal
//! domain, an address's specific lines, a card number, a policy number, a birth date.

// Test code: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::str::FromStr;

use chrono::NaiveDate;
use custodia_model::{
    BankCardNumber, Customer, CustomerFields, CustomerId, DataCategory, DocumentNumber, EmailAddress,
    IdentityDocument, Jurisdiction, MobileNumber, ModelError, Party, Person, PersonFields, PersonName,
    PhoneNumber, Policy, PolicyFields, PolicyId, PostalAddress, PostalAddressFields, Purpose,
    ResidentIdNumber, StoredCustomer, UnifiedSocialCreditCode, from_json,
};
use custodia_synthetic::book::{BookConfig, SyntheticBook};
use serde_json::{Value, json};

/// The values that must never show, lower-cased.
#[derive(Default)]
struct Needles(BTreeSet<String>);

impl Needles {
    fn add(&mut self, value: &str) {
        let value = value.trim().to_lowercase();
        if value.chars().count() >= 2 {
            self.0.insert(value);
        }
    }

    /// The value and every seven-character stretch of it: a leak of most of a number is a leak. (Masks
    /// show at most six characters in a row: `622202******1234`, `110105********002X`.)
    fn add_number(&mut self, value: &str) {
        self.add(value);
        let chars: Vec<char> = value.chars().collect();
        for window in chars.windows(7) {
            self.add(&window.iter().collect::<String>());
        }
    }

    fn of_customer(customer: &Customer) -> Self {
        let mut needles = Needles::default();
        let fields = customer.fields();
        match fields.party.clone() {
            Party::Person(person) => needles.person(&person),
            Party::Organization(org) => {
                for name in [&org.legal_representative, &org.contact_person]
                    .into_iter()
                    .flatten()
                {
                    needles.add(name.as_str());
                }
            }
        }
        if let Some(mobile) = &fields.contact.mobile {
            needles.add_number(mobile.as_str());
        }
        if let Some(phone) = &fields.contact.phone {
            needles.add_number(phone.as_str());
            if let Some(national) = phone.as_str().strip_prefix("+86") {
                needles.add_number(national);
            }
        }
        if let Some(email) = &fields.contact.email {
            let (local, domain) = email.as_str().rsplit_once('@').unwrap();
            needles.add(email.as_str());
            if local.chars().count() >= 3 {
                needles.add(local);
            }
            if !EmailAddress::new(&format!("x@{domain}"))
                .unwrap()
                .mask()
                .ends_with(domain)
            {
                needles.add(domain);
            }
        }
        if let Some(address) = &fields.contact.address {
            needles.address(address.lines());
        }
        for account in &fields.accounts {
            needles.add_number(account.card.as_str());
        }
        for policy in &fields.policies {
            if policy.policy_number().chars().count() >= 7 {
                needles.add_number(policy.policy_number());
            }
        }
        for beneficiary in &fields.beneficiaries {
            needles.add(beneficiary.name.as_str());
        }
        needles
    }

    fn person(&mut self, person: &Person) {
        self.add(person.name().as_str());
        match person.document() {
            IdentityDocument::ResidentId(id) => {
                self.add_number(id.as_str());
                // The birth date as the number holds it: digits 7 to 14.
                self.add(id.as_str().get(6..14).unwrap());
            }
            IdentityDocument::Passport { number, .. } => self.add_number(number.as_str()),
            // IdentityDocument may grow.
            #[allow(unreachable_patterns)]
            _ => {}
        }
        self.add(&person.birth_date().to_string());
        if let Some(guardian) = person.guardian() {
            self.add(guardian.name.as_str());
            if let Some(mobile) = &guardian.mobile {
                self.add_number(mobile.as_str());
            }
        }
    }

    fn address(&mut self, lines: &[String]) {
        // The most specific line (street, building: a district or a city identifies no one), the address
        // whole, and for a one-line address everything after its first few characters.
        if let [_, .., last] = lines {
            self.add(last);
        }
        self.add(&lines.concat());
        if let [only] = lines {
            let rest: String = only.chars().skip(6).collect();
            if rest.chars().count() >= 4 {
                self.add(&rest);
            }
        }
    }

    fn hits(&self, text: &str) -> Vec<&str> {
        let text = text.to_lowercase();
        self.0
            .iter()
            .filter(|n| text.contains(n.as_str()))
            .map(String::as_str)
            .collect()
    }
}

/// Everything an error shows: its `Display` and its `Debug`.
fn shown<T>(result: Result<T, ModelError>) -> Option<String> {
    result.err().map(|e| format!("{e} | {e:?}"))
}

/// The corpus for one customer: its own values broken and misplaced, fed to every public parser.
fn bad_inputs(customer: &Customer) -> Vec<(String, Option<String>)> {
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    let mut push = |what: String, message: Option<String>| out.push((what, message));
    let stored = serde_json::to_value(customer).unwrap();
    let fields = customer.fields();

    // Every identifier value, broken (a character appended, one dropped, one changed) and put into
    // every other parser too (a phone in the e-mail field, an identity number in the id field, ...).
    let mut values: Vec<String> = Vec::new();
    if let Party::Person(p) = &fields.party {
        values.push(p.name().as_str().to_owned());
        if let IdentityDocument::ResidentId(id) = p.document() {
            values.push(id.as_str().to_owned());
        }
    }
    values.extend(fields.contact.mobile.iter().map(|m| m.as_str().to_owned()));
    values.extend(fields.contact.phone.iter().map(|m| m.as_str().to_owned()));
    values.extend(fields.contact.email.iter().map(|m| m.as_str().to_owned()));
    values.extend(fields.accounts.iter().map(|a| a.card.as_str().to_owned()));
    values.extend(fields.policies.iter().map(|p| p.policy_number().to_owned()));
    if let Some(address) = &fields.contact.address {
        values.extend(address.lines().iter().cloned());
    }
    for value in &values {
        let chars: Vec<char> = value.chars().collect();
        let mut variants = vec![
            value.clone(),
            format!("{value}x"),
            format!("{value}@@"),
            format!(" {value}"),
            format!("{value}\u{1}"),
            chars.iter().skip(1).collect::<String>(),
        ];
        if chars.len() > 3 {
            let mut changed = chars.clone();
            changed[chars.len() / 2] = if changed[chars.len() / 2] == '7' { '3' } else { '7' };
            variants.push(changed.into_iter().collect());
        }
        for v in &variants {
            push(format!("mobile {v:?}"), shown(MobileNumber::new(v)));
            push(format!("phone {v:?}"), shown(PhoneNumber::new(v)));
            push(format!("e-mail {v:?}"), shown(EmailAddress::new(v)));
            push(
                format!("e-mail @ {v:?}"),
                shown(EmailAddress::new(&format!("a@{v}"))),
            );
            push(format!("name {v:?}"), shown(PersonName::new(v)));
            push(format!("document {v:?}"), shown(DocumentNumber::new(v)));
            push(format!("resident id {v:?}"), shown(ResidentIdNumber::new(v)));
            push(
                format!("resident id parse {v:?}"),
                shown(v.parse::<ResidentIdNumber>()),
            );
            push(
                format!("credit code {v:?}"),
                shown(UnifiedSocialCreditCode::new(v)),
            );
            push(format!("card {v:?}"), shown(BankCardNumber::new(v)));
            push(format!("customer id {v:?}"), shown(CustomerId::from_str(v)));
            push(format!("policy id {v:?}"), shown(PolicyId::from_str(v)));
            push(format!("category {v:?}"), shown(DataCategory::from_str(v)));
            push(format!("country {v:?}"), shown(Jurisdiction::from_str(v)));
            push(format!("purpose {v:?}"), shown(Purpose::from_str(v)));
            push(
                format!("address {v:?}"),
                shown(PostalAddress::new(PostalAddressFields {
                    country: Jurisdiction::MAINLAND_CHINA,
                    region_code: Some(v.clone()),
                    lines: vec![v.clone()],
                    postal_code: Some(v.clone()),
                })),
            );
            // And the same value in the wrong place of the customer's own JSON, as a string and, where
            // it is digits, as a number.
            let mut wrong_places = Vec::new();
            for pointer in [
                "/fields/relationship_start",
                "/fields/residence",
                "/fields/contact/mobile",
                "/fields/contact/email",
                "/version/number",
                "/fields/id",
            ] {
                let mut broken = stored.clone();
                if let Some(slot) = broken.pointer_mut(pointer) {
                    *slot = Value::String(v.clone());
                    wrong_places.push((pointer, broken.clone()));
                    if let Ok(n) = v.parse::<u64>() {
                        *broken.pointer_mut(pointer).unwrap() = json!(n);
                        wrong_places.push((pointer, broken));
                    }
                }
            }
            for (pointer, broken) in wrong_places {
                let bytes = serde_json::to_vec(&broken).unwrap();
                push(format!("{pointer} = {v:?}"), shown(from_json::<Customer>(&bytes)));
                push(
                    format!("{pointer} = {v:?} (stored)"),
                    shown(from_json::<StoredCustomer>(&bytes)),
                );
            }
        }
    }

    // Record-level breakage, as imports break records.
    let mut record_breaks: Vec<(&str, Value)> = Vec::new();
    let mut with = |what: &'static str, edit: &dyn Fn(&mut Value)| {
        let mut broken = stored.clone();
        edit(&mut broken);
        record_breaks.push((what, broken));
    };
    let mobile = fields.contact.mobile.as_ref().map(|m| m.as_str().to_owned());
    let name = match &fields.party {
        Party::Person(p) => p.name().as_str().to_owned(),
        _ => "张三".to_owned(),
    };
    with("an unknown field holding a mobile number", &|v| {
        v["fields"]["contact"]["wechat"] = json!(mobile.clone().unwrap_or_else(|| "13800138000".into()));
    });
    with("an unknown top-level field holding the name", &|v| {
        v["fields"]["nickname"] = json!(name.clone());
    });
    with("the name where the gender belongs", &|v| {
        if let Some(g) = v.pointer_mut("/fields/party/person/gender") {
            *g = json!(name.clone());
        }
    });
    with("the name as the residence", &|v| {
        v["fields"]["residence"] = json!(name.clone())
    });
    with("a number where the name belongs", &|v| {
        if let Some(n) = v.pointer_mut("/fields/party/person/name") {
            *n = json!(13_800_138_000u64);
        }
    });
    with("the name with a control character", &|v| {
        if let Some(n) = v.pointer_mut("/fields/party/person/name") {
            *n = json!(format!("{name}\u{7}"));
        }
    });
    with("the mobile as the height", &|v| {
        v["fields"]["health"] = json!({"declared_on": "2024-01-01", "smoker": false,
            "height_cm": mobile.clone().unwrap_or_default(), "weight_kg": null, "conditions": []});
    });
    with("a policy ending before it starts, numbered", &|v| {
        if let Some(p) = v.pointer_mut("/fields/policies/0/term_end") {
            *p = json!("1900-01-01");
        }
    });
    with("an unknown field in a policy", &|v| {
        if let Some(p) = v.pointer_mut("/fields/policies/0") {
            p["holder_mobile"] = json!(mobile.clone());
        }
    });
    with("a required field missing", &|v| {
        v["fields"].as_object_mut().unwrap().remove("last_verified");
    });
    with("an address line with a control character", &|v| {
        if let Some(lines) = v.pointer_mut("/fields/contact/address/lines") {
            let first = lines[0].as_str().unwrap_or_default().to_owned();
            lines[0] = json!(format!("{first}\u{0}"));
        }
    });
    for (what, broken) in record_breaks {
        let bytes = serde_json::to_vec(&broken).unwrap();
        push(what.to_owned(), shown(from_json::<Customer>(&bytes)));
        push(
            format!("{what} (stored)"),
            shown(from_json::<StoredCustomer>(&bytes)),
        );
        if let Some(inner) = broken.get("fields") {
            let bytes = serde_json::to_vec(inner).unwrap();
            push(
                format!("{what} (fields)"),
                shown(from_json::<CustomerFields>(&bytes)),
            );
            if let Some(person) = inner.pointer("/party/person") {
                let bytes = serde_json::to_vec(person).unwrap();
                push(format!("{what} (person)"), shown(from_json::<Person>(&bytes)));
                push(
                    format!("{what} (person fields)"),
                    shown(from_json::<PersonFields>(&bytes)),
                );
            }
            if let Some(policy) = inner.pointer("/policies/0") {
                let bytes = serde_json::to_vec(policy).unwrap();
                push(format!("{what} (policy)"), shown(from_json::<Policy>(&bytes)));
                push(
                    format!("{what} (policy fields)"),
                    shown(from_json::<PolicyFields>(&bytes)),
                );
            }
        }
        // Cut short in the middle.
        let cut = &bytes[..bytes.len() / 2];
        push(format!("{what}, cut short"), shown(from_json::<Customer>(cut)));
    }
    out
}

#[test]
fn no_error_and_no_debug_repeats_personal_information_of_a_bad_record() {
    let as_of = NaiveDate::from_ymd_opt(2026, 5, 31).unwrap();
    let config = BookConfig {
        seed: 16,
        customers: 60,
        ..BookConfig::default()
    };
    let book = SyntheticBook::generate(&config, as_of).unwrap();
    let mut hits = Vec::new();
    let (mut errors, mut accepted) = (0usize, 0usize);
    for generated in book.customers() {
        let customer = &generated.customer;
        let needles = Needles::of_customer(customer);
        assert!(!needles.0.is_empty());
        // The Debug of the valid record, whole and by part.
        let mut debugs = vec![format!("{customer:?}"), format!("{:?}", customer.fields())];
        debugs.extend(customer.policies().iter().map(|p| format!("{p:?}")));
        if let Some(person) = customer.party().as_person() {
            debugs.push(format!("{person:?} {:?}", person.to_fields()));
        }
        for debug in &debugs {
            for needle in needles.hits(debug) {
                hits.push(format!(
                    "Debug of customer {}: {needle:?} in {debug}",
                    customer.id()
                ));
            }
        }
        for (what, message) in bad_inputs(customer) {
            let Some(message) = message else {
                accepted += 1;
                continue;
            };
            errors += 1;
            for needle in needles.hits(&message) {
                hits.push(format!("{what}: {needle:?} in {message}"));
            }
        }
    }
    assert!(
        errors > 5_000,
        "{errors} error messages checked ({accepted} inputs accepted)"
    );
    assert!(
        hits.is_empty(),
        "{} hits of personal information:\n{}",
        hits.len(),
        hits.iter().take(400).cloned().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn json_errors_name_the_field_path_and_refuse_unknown_fields() {
    let as_of = NaiveDate::from_ymd_opt(2026, 5, 31).unwrap();
    let config = BookConfig {
        seed: 3,
        customers: 20,
        ..BookConfig::default()
    };
    let book = SyntheticBook::generate(&config, as_of).unwrap();
    let customer = book
        .customers()
        .iter()
        .map(|g| &g.customer)
        .find(|c| c.contact().mobile.is_some() && !c.policies().is_empty())
        .unwrap();
    let stored = serde_json::to_value(customer).unwrap();
    // Round trip through the checked parser.
    assert_eq!(
        &from_json::<Customer>(&serde_json::to_vec(&stored).unwrap()).unwrap(),
        customer
    );
    let path_of = |edit: &dyn Fn(&mut Value)| {
        let mut broken = stored.clone();
        edit(&mut broken);
        match from_json::<Customer>(&serde_json::to_vec(&broken).unwrap()) {
            Err(ModelError::Input { path, problem, .. }) => (path, problem.to_string()),
            other => panic!("{other:?}"),
        }
    };
    let (path, problem) = path_of(&|v| v["fields"]["contact"]["wechat"] = json!("13800138000"));
    assert_eq!(
        (path.as_str(), problem.as_str()),
        ("fields.contact.wechat", "unknown field")
    );
    let (path, problem) = path_of(&|v| v["fields"]["policies"][0]["term_start"] = json!(5));
    assert_eq!(path, "fields.policies[0].term_start");
    assert!(problem.starts_with("wrong type"), "{problem}");
    let (path, _) = path_of(&|v| v["fields"]["contact"]["mobile"] = json!("12800138000"));
    assert_eq!(path, "fields.contact.mobile");
    let (path, problem) = path_of(&|v| {
        v["fields"].as_object_mut().unwrap().remove("residence");
    });
    assert_eq!(
        (path.as_str(), problem.as_str()),
        ("fields", "missing field residence")
    );
}
