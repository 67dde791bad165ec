//! The generator of one synthetic customer from a seed and an index.

use chrono::{DateTime, Months, NaiveDate, TimeDelta, Utc};
use uuid::Builder;

use super::rng::{SplitMix64, mix64};
use super::tables::{
    BANKS, COUNTRIES, Country, EMAIL_DOMAINS, GIVEN_CHARS, INDUSTRIES, LIFE_INSURERS, MOBILE_PREFIXES,
    OCCUPATIONS, PC_INSURERS, REGIONS, ROADS, Region, SURNAMES, TRADE_NAMES, products,
};
use super::{BookConfig, ConsentFact, SyntheticCustomer};
use custodia_model::ActorId;
use custodia_model::DataCategory;
use custodia_model::Jurisdiction;
use custodia_model::ModelError;
use custodia_model::Purpose;
use custodia_model::{AccountId, ClaimId, CustomerId, PolicyId};
use custodia_model::{AccountUse, BankAccount, BankCardNumber, Money};
use custodia_model::{
    AmlRisk, AmlTransaction, ContactSection, Customer, CustomerFields, HealthDeclaration, KycRecord,
    MarketingPreferences, TransactionKind,
};
use custodia_model::{
    Beneficiary, BeneficiaryRelationship, Claim, ClaimStatus, Policy, PolicyFields, ProductLine, Termination,
    TerminationReason,
};
use custodia_model::{
    CoveredPerson, CoveredPersonFields, DocumentNumber, Guardian, GuardianRelationship, IdentityDocument,
    Organization, OrganizationName, Party, Person, PersonFields, PersonId, PersonName, PersonRole,
};
use custodia_model::{EmailAddress, MobileNumber, PhoneNumber, PostalAddress, PostalAddressFields};
use custodia_model::{Gender, ResidentIdNumber, UnifiedSocialCreditCode};

const AS_OF_FIELD: &str = "book.as_of";

fn out_of_range() -> ModelError {
    ModelError::OutOfRange {
        field: AS_OF_FIELD,
        allowed: "a date whose book window is representable",
    }
}

fn add_days(date: NaiveDate, days: i64) -> Result<NaiveDate, ModelError> {
    date.checked_add_signed(TimeDelta::try_days(days).ok_or_else(out_of_range)?)
        .ok_or_else(out_of_range)
}

fn add_months(date: NaiveDate, months: u32) -> Result<NaiveDate, ModelError> {
    date.checked_add_months(Months::new(months))
        .ok_or_else(out_of_range)
}

fn sub_months(date: NaiveDate, months: u32) -> Result<NaiveDate, ModelError> {
    date.checked_sub_months(Months::new(months))
        .ok_or_else(out_of_range)
}

/// The generator: configuration, book date and the derived window.
#[derive(Clone, Debug)]
pub(crate) struct Generator {
    config: BookConfig,
    as_of: NaiveDate,
    window_start: NaiveDate,
    actor: ActorId,
}

/// Random choices for one customer, drawn in a fixed order so that a customer depends only on seed and index.
struct Draw<'g> {
    g: &'g Generator,
    rng: SplitMix64,
}

fn pick<'a, T>(rng: &mut SplitMix64, items: &'a [T]) -> Result<&'a T, ModelError> {
    rng.pick(items).ok_or(ModelError::Empty {
        field: "synthetic.tables",
    })
}

fn digits(rng: &mut SplitMix64, n: usize) -> String {
    (0..n).map(|_| char::from(b'0' + (rng.below(10) as u8))).collect()
}

impl Generator {
    pub(crate) fn new(config: BookConfig, as_of: NaiveDate) -> Result<Self, ModelError> {
        let window_start = sub_months(as_of, config.years.saturating_mul(12))?;
        // The earliest birth date used is 90 years before the window; check it is representable once here.
        sub_months(window_start, 90 * 12)?;
        let actor = ActorId::new("synthetic-generator")?;
        Ok(Self {
            config,
            as_of,
            window_start,
            actor,
        })
    }

    pub(crate) fn config(&self) -> &BookConfig {
        &self.config
    }

    pub(crate) fn customer(&self, index: u64) -> Result<SyntheticCustomer, ModelError> {
        let seed = mix64(self.config.seed ^ mix64(index.wrapping_add(0x5EED)));
        Draw {
            g: self,
            rng: SplitMix64::new(seed),
        }
        .customer()
    }
}

/// What kind of customer a draw makes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Organization,
    Minor,
    Adult,
    ForeignAbroad,
    ForeignInMainland,
}

impl Draw<'_> {
    fn date_between(&mut self, low: NaiveDate, high: NaiveDate) -> Result<NaiveDate, ModelError> {
        let span = (high - low).num_days();
        add_days(low, self.rng.between(0, span))
    }

    fn shape(&mut self) -> Shape {
        let c = &self.g.config;
        let u = self.rng.unit();
        if u < c.share_organizations {
            return Shape::Organization;
        }
        if u < c.share_organizations + c.share_minors {
            return Shape::Minor;
        }
        // Foreign customers are drawn among the remaining adults so that `share_foreign` is of all customers.
        let adults = 1.0 - c.share_organizations - c.share_minors;
        if adults > 0.0 && self.rng.chance(c.share_foreign / adults) {
            if self.rng.chance(0.5) {
                Shape::ForeignAbroad
            } else {
                Shape::ForeignInMainland
            }
        } else {
            Shape::Adult
        }
    }

    fn chinese_name(&mut self) -> Result<(PersonName, &'static str), ModelError> {
        let (surname, pinyin) = *pick(&mut self.rng, SURNAMES)?;
        let mut name = String::from(surname);
        name.push_str(pick(&mut self.rng, GIVEN_CHARS)?);
        if self.rng.chance(0.6) {
            name.push_str(pick(&mut self.rng, GIVEN_CHARS)?);
        }
        Ok((PersonName::new(&name)?, pinyin))
    }

    fn mobile(&mut self) -> Result<MobileNumber, ModelError> {
        let prefix = *pick(&mut self.rng, MOBILE_PREFIXES)?;
        MobileNumber::new(&format!("{prefix}{}", digits(&mut self.rng, 8)))
    }

    fn mainland_address(&mut self, region: &Region) -> Result<PostalAddress, ModelError> {
        let road = *pick(&mut self.rng, ROADS)?;
        let street = format!(
            "{road}{}号{}栋{}室",
            self.rng.between(1, 999),
            self.rng.between(1, 30),
            self.rng.between(101, 2808)
        );
        PostalAddress::new(PostalAddressFields {
            country: Jurisdiction::MAINLAND_CHINA,
            region_code: Some(region.code.to_owned()),
            lines: vec![region.province.to_owned(), region.district.to_owned(), street],
            postal_code: Some(region.postal_code.to_owned()),
        })
    }

    fn customer(mut self) -> Result<SyntheticCustomer, ModelError> {
        let g = self.g;
        let as_of = g.as_of;
        let shape = self.shape();
        let region = pick(&mut self.rng, REGIONS)?;
        let incomplete = self.rng.chance(g.config.share_incomplete);

        // Birth date and the earliest day the relationship can start.
        let birth = match shape {
            Shape::Organization => None,
            // Under 14 on `as_of`: born after the day 14 years before it.
            Shape::Minor => {
                Some(self.date_between(add_days(sub_months(as_of, 14 * 12)?, 1)?, add_days(as_of, -30)?)?)
            }
            _ => Some(self.date_between(sub_months(as_of, 85 * 12)?, sub_months(as_of, 18 * 12)?)?),
        };
        let earliest = match (shape, birth) {
            (Shape::Minor, Some(b)) => add_days(b, 30)?,
            (_, Some(b)) => add_months(b, 18 * 12)?,
            (_, None) => g.window_start,
        };
        let latest_start = add_days(as_of, -30)?;
        let window_low = earliest.max(g.window_start).min(latest_start);
        let relationship_start = self.date_between(window_low, latest_start)?;
        let ended = self.rng.chance(g.config.share_ended) && (as_of - relationship_start).num_days() > 400;
        let relationship_end = if ended {
            Some(self.date_between(add_days(relationship_start, 365)?, add_days(as_of, -1)?)?)
        } else {
            None
        };
        let horizon = relationship_end.unwrap_or(as_of);

        let id_ms = u64::try_from(
            relationship_start
                .and_hms_opt(9, 0, 0)
                .map_or(0, |t| t.and_utc().timestamp_millis()),
        )
        .unwrap_or(0);
        let mut random = [0u8; 10];
        random.iter_mut().for_each(|b| *b = self.rng.below(256) as u8);
        let id = CustomerId::from_uuid(Builder::from_unix_timestamp_millis(id_ms, &random).into_uuid())?;

        // Party and contact data.
        let mut contact = ContactSection::default();
        let mut residence = Jurisdiction::MAINLAND_CHINA;
        let party = match shape {
            Shape::Organization => {
                let trade = *pick(&mut self.rng, TRADE_NAMES)?;
                let industry = *pick(&mut self.rng, INDUSTRIES)?;
                let city = region.district.split('市').next().unwrap_or(region.district);
                let name = OrganizationName::new(&format!("{city}{trade}{industry}有限公司"))?;
                let mut code = format!("91{}", region.code);
                for _ in 0..9 {
                    code.push(char::from(*pick(
                        &mut self.rng,
                        UnifiedSocialCreditCode::ALPHABET,
                    )?));
                }
                let check =
                    UnifiedSocialCreditCode::check_character(code.as_bytes()).ok_or(ModelError::Empty {
                        field: UnifiedSocialCreditCode::FIELD,
                    })?;
                code.push(char::from(check));
                let credit_code = UnifiedSocialCreditCode::new(&code)?;
                contact.phone = Some(PhoneNumber::new(&format!(
                    "+86{}",
                    1_000_000_000 + self.rng.below(8_999_999_999)
                ))?);
                contact.mobile = Some(self.mobile()?);
                contact.email = Some(EmailAddress::new(&format!(
                    "service{}@corp{}.com.cn",
                    self.rng.below(100),
                    self.rng.below(100_000)
                ))?);
                contact.address = Some(self.mainland_address(region)?);
                Party::Organization(Organization {
                    name,
                    credit_code,
                    legal_representative: Some(self.chinese_name()?.0),
                    contact_person: if incomplete {
                        None
                    } else {
                        Some(self.chinese_name()?.0)
                    },
                })
            }
            Shape::Minor | Shape::Adult => {
                let birth_date = birth.ok_or_else(out_of_range)?;
                let gender = if self.rng.chance(0.5) {
                    Gender::Female
                } else {
                    Gender::Male
                };
                let (name, pinyin) = self.chinese_name()?;
                let sequence = self.rng.below(1000) as u16;
                let document = IdentityDocument::ResidentId(ResidentIdNumber::from_parts(
                    region.code,
                    birth_date,
                    sequence,
                    gender,
                )?);
                let guardian = if shape == Shape::Minor {
                    let guardian = Guardian {
                        name: self.chinese_name()?.0,
                        relationship: if self.rng.chance(0.95) {
                            GuardianRelationship::Parent
                        } else {
                            GuardianRelationship::OtherGuardian
                        },
                        mobile: Some(self.mobile()?),
                    };
                    // An incomplete minor's record lacks the guardian, the PIPL Art 31 gap quality reports find.
                    if incomplete { None } else { Some(guardian) }
                } else {
                    contact.mobile = Some(self.mobile()?);
                    if self.rng.chance(0.6) {
                        let domain = *pick(&mut self.rng, EMAIL_DOMAINS)?;
                        contact.email = Some(EmailAddress::new(&format!(
                            "{pinyin}{}@{domain}",
                            self.rng.below(10_000)
                        ))?);
                    }
                    None
                };
                contact.address = Some(self.mainland_address(region)?);
                Party::Person(Person::new(PersonFields {
                    name,
                    birth_date,
                    gender,
                    nationality: Jurisdiction::MAINLAND_CHINA,
                    document,
                    guardian,
                })?)
            }
            Shape::ForeignAbroad | Shape::ForeignInMainland => {
                let birth_date = birth.ok_or_else(out_of_range)?;
                let country: &Country = pick(&mut self.rng, COUNTRIES)?;
                let nationality = Jurisdiction::new(country.code)?;
                let family = *pick(&mut self.rng, country.family)?;
                let given = *pick(&mut self.rng, country.given)?;
                let name = if family.is_ascii() {
                    format!("{given} {family}")
                } else {
                    format!("{family}{given}")
                };
                let number = format!(
                    "{}{}",
                    char::from(b'A' + self.rng.below(26) as u8),
                    digits(&mut self.rng, 8)
                );
                if shape == Shape::ForeignAbroad {
                    residence = nationality;
                    contact.phone = Some(PhoneNumber::new(&format!(
                        "+{}{}",
                        country.dial,
                        digits(&mut self.rng, 9)
                    ))?);
                    contact.address = Some(PostalAddress::new(PostalAddressFields {
                        country: nationality,
                        region_code: None,
                        lines: vec![
                            country.city.to_owned(),
                            format!("{} Street {}", family, self.rng.between(1, 200)),
                        ],
                        postal_code: Some(digits(&mut self.rng, 5)),
                    })?);
                } else {
                    contact.mobile = Some(self.mobile()?);
                    contact.address = Some(self.mainland_address(region)?);
                }
                let ascii_local: String = given
                    .chars()
                    .filter(char::is_ascii_alphabetic)
                    .collect::<String>()
                    .to_ascii_lowercase();
                let local = if ascii_local.is_empty() {
                    format!("client{}", self.rng.below(100_000))
                } else {
                    format!("{ascii_local}{}", self.rng.below(1000))
                };
                contact.email = Some(EmailAddress::new(&format!("{local}@example.com"))?);
                Party::Person(Person::new(PersonFields {
                    name: PersonName::new(&name)?,
                    birth_date,
                    gender: if self.rng.chance(0.5) {
                        Gender::Female
                    } else {
                        Gender::Male
                    },
                    nationality,
                    document: IdentityDocument::Passport {
                        country: nationality,
                        number: DocumentNumber::new(&number)?,
                    },
                    guardian: None,
                })?)
            }
        };
        let is_person = shape != Shape::Organization;
        let minor = shape == Shape::Minor;
        let by_guardian =
            |date: NaiveDate| minor && birth.is_some_and(|b| date.years_since(b).is_none_or(|age| age < 14));

        // Health: decides which lines the person buys.
        let has_health = is_person && self.rng.chance(g.config.share_health);

        // Policies.
        let count = if is_person {
            self.rng.between(1, 3)
        } else {
            self.rng.between(1, 5)
        };
        let mut policies = Vec::new();
        for n in 0..count {
            let long = self.rng.chance(g.config.share_long_term);
            // Lines that need a health declaration go only to persons who made one.
            let line = match (is_person, long, has_health && n == 0) {
                (true, _, true) => {
                    if long {
                        *pick(&mut self.rng, &[ProductLine::CriticalIllness, ProductLine::Life])?
                    } else {
                        ProductLine::Medical
                    }
                }
                (true, true, false) => ProductLine::Annuity,
                (true, false, false) if minor => {
                    *pick(&mut self.rng, &[ProductLine::Accident, ProductLine::Travel])?
                }
                (true, false, false) => *pick(
                    &mut self.rng,
                    &[
                        ProductLine::Accident,
                        ProductLine::Motor,
                        ProductLine::Travel,
                        ProductLine::Property,
                    ],
                )?,
                (false, _, _) => *pick(
                    &mut self.rng,
                    &[
                        ProductLine::Property,
                        ProductLine::Liability,
                        ProductLine::Motor,
                        ProductLine::Accident,
                    ],
                )?,
            };
            let start =
                self.date_between(relationship_start, add_days(horizon, -1)?.max(relationship_start))?;
            let term_end = if line == ProductLine::Travel {
                add_days(start, self.rng.between(6, 29))?
            } else if long {
                // Organizations' long contracts are multi-year property and liability covers.
                let terms: &[u32] = if is_person { &[5, 10, 20, 30] } else { &[2, 3, 5] };
                let years = *pick(&mut self.rng, terms)?;
                add_days(add_months(start, years * 12)?, -1)?
            } else {
                add_days(add_months(start, 12)?, -1)?
            };
            let lapse = self.rng.chance(g.config.share_lapsed);
            let cutoff = horizon.min(term_end);
            let termination = if relationship_end.is_some() && term_end > horizon {
                // The relationship ends on `horizon`: every contract still running then is surrendered that day.
                Some(Termination {
                    date: horizon,
                    reason: TerminationReason::Surrender,
                })
            } else if lapse && cutoff > start {
                let reasons = [
                    TerminationReason::Lapse,
                    TerminationReason::Surrender,
                    TerminationReason::Cancellation,
                ];
                Some(Termination {
                    date: self.date_between(add_days(start, 1)?, cutoff)?,
                    reason: *pick(&mut self.rng, &reasons)?,
                })
            } else {
                None
            };
            let insurer = if matches!(
                line,
                ProductLine::Motor | ProductLine::Property | ProductLine::Liability | ProductLine::Travel
            ) {
                *pick(&mut self.rng, PC_INSURERS)?
            } else {
                *pick(&mut self.rng, LIFE_INSURERS)?
            };
            let product = *pick(&mut self.rng, products(line))?;
            let premium_yuan = match line {
                ProductLine::Travel => self.rng.between(50, 500),
                ProductLine::Accident | ProductLine::Medical => self.rng.between(100, 2_000),
                ProductLine::Motor => self.rng.between(2_000, 12_000),
                ProductLine::Property | ProductLine::Liability if !is_person => {
                    self.rng.between(5_000, 200_000)
                }
                _ => self.rng.between(1_000, 50_000),
            };
            let pid_random: [u8; 10] = std::array::from_fn(|_| self.rng.below(256) as u8);
            let pid_ms = u64::try_from(
                start
                    .and_hms_opt(10, 0, 0)
                    .map_or(0, |t| t.and_utc().timestamp_millis()),
            )
            .unwrap_or(0);
            let policy = Policy::new(PolicyFields {
                id: PolicyId::from_uuid(
                    Builder::from_unix_timestamp_millis(pid_ms, &pid_random).into_uuid(),
                )?,
                policy_number: format!("P{}{}", start.format("%Y"), digits(&mut self.rng, 12)),
                insurer: insurer.to_owned(),
                product: product.to_owned(),
                line,
                term_start: start,
                term_end,
                premium: Money::cny(u64::try_from(premium_yuan).unwrap_or(0) * 100),
                termination,
            })?;
            policies.push(policy);
        }

        // Claims, on about one policy in seven, never reported after the book date.
        let mut claims = Vec::new();
        for p in &policies {
            if !self.rng.chance(0.15) {
                continue;
            }
            let last_cover = p.contract_end().min(as_of);
            let incident = self.date_between(p.term_start(), last_cover)?;
            let reported = add_days(incident, self.rng.between(0, 30))?.min(as_of);
            let closed = add_days(reported, self.rng.between(5, 90))?;
            let (status, closed_on) = if closed > as_of {
                (ClaimStatus::Open, None)
            } else if self.rng.chance(0.8) {
                (ClaimStatus::Paid, Some(closed))
            } else {
                (ClaimStatus::Declined, Some(closed))
            };
            let amount = Money::cny(u64::try_from(self.rng.between(500, 200_000)).unwrap_or(0) * 100);
            let cid_random: [u8; 10] = std::array::from_fn(|_| self.rng.below(256) as u8);
            let cid_ms = u64::try_from(
                reported
                    .and_hms_opt(11, 0, 0)
                    .map_or(0, |t| t.and_utc().timestamp_millis()),
            )
            .unwrap_or(0);
            claims.push(Claim {
                id: ClaimId::from_uuid(Builder::from_unix_timestamp_millis(cid_ms, &cid_random).into_uuid())?,
                policy_id: p.id(),
                incident_date: incident,
                reported_on: reported,
                closed_on,
                status,
                amount_claimed: amount,
                amount_paid: (status == ClaimStatus::Paid).then_some(amount),
                has_medical_records: matches!(
                    p.line(),
                    ProductLine::Medical
                        | ProductLine::CriticalIllness
                        | ProductLine::Accident
                        | ProductLine::Life
                ),
            });
        }

        // A relationship ends after its last contract and its last claim payment, never after the book date.
        let relationship_end = relationship_end.map(|end| {
            let last_claim = claims.iter().filter_map(|c| c.closed_on).max().unwrap_or(end);
            let last_contract = policies.iter().map(Policy::contract_end).max().unwrap_or(end);
            end.max(last_claim).max(last_contract).min(as_of)
        });

        // Bank accounts: by share, and always one to pay a paid claim into (unless the record is incomplete).
        let paid_claim = claims.iter().any(|c| c.amount_paid.is_some());
        let mut accounts = Vec::new();
        if self.rng.chance(g.config.share_bank) || (paid_claim && !incomplete) {
            for _ in 0..self.rng.between(1, 2) {
                let (bin, bank) = *pick(&mut self.rng, BANKS)?;
                let length = if self.rng.chance(0.7) { 19 } else { 16 };
                let mut number = format!("{bin}{}", digits(&mut self.rng, length - 7));
                let check = BankCardNumber::check_digit(number.as_bytes()).ok_or(ModelError::Empty {
                    field: BankCardNumber::FIELD,
                })?;
                number.push(char::from(check));
                let aid_random: [u8; 10] = std::array::from_fn(|_| self.rng.below(256) as u8);
                accounts.push(BankAccount {
                    id: AccountId::from_uuid(
                        Builder::from_unix_timestamp_millis(id_ms, &aid_random).into_uuid(),
                    )?,
                    bank: bank.to_owned(),
                    card: BankCardNumber::new(&number)?,
                    usage: *pick(
                        &mut self.rng,
                        &[
                            AccountUse::PremiumPayment,
                            AccountUse::ClaimPayout,
                            AccountUse::PremiumAndClaims,
                        ],
                    )?,
                });
            }
        }

        // Health declaration on the first policy that needs one.
        let health_policy = policies.iter().find(|p| p.line().needs_health_declaration());
        let health = match health_policy {
            Some(p) if !(incomplete && self.rng.chance(0.5)) => Some(HealthDeclaration {
                declared_on: add_days(p.term_start(), -self.rng.between(0, 14))?.max(relationship_start),
                smoker: self.rng.chance(0.2),
                height_cm: Some(self.rng.between(100, 195) as u16),
                weight_kg: Some(self.rng.between(20, 110) as u16),
                conditions: if self.rng.chance(0.25) {
                    vec![(*pick(&mut self.rng, &["高血压", "糖尿病", "甲状腺结节", "乳腺结节"])?).to_owned()]
                } else {
                    Vec::new()
                },
            }),
            _ => None,
        };

        // Beneficiaries of adults' life and annuity policies.
        let mut beneficiaries = Vec::new();
        if is_person && !minor {
            for p in policies
                .iter()
                .filter(|p| matches!(p.line(), ProductLine::Life | ProductLine::Annuity))
            {
                let two = self.rng.chance(0.4);
                for share in if two {
                    [50u8, 50].as_slice()
                } else {
                    [100u8].as_slice()
                } {
                    beneficiaries.push(Beneficiary {
                        policy_id: p.id(),
                        name: self.chinese_name()?.0,
                        relationship: *pick(
                            &mut self.rng,
                            &[
                                BeneficiaryRelationship::Spouse,
                                BeneficiaryRelationship::Child,
                                BeneficiaryRelationship::Parent,
                            ],
                        )?,
                        share_percent: *share,
                    });
                }
            }
        }

        // The beneficiaries as people with their own ids (PIPL Arts 28, 31, 44). Derived from what was drawn,
        // without drawing again, so that the rest of the book stays what it was for a seed. A child of the
        // policyholder is born 24 to 35 years after them (so many are under 14); a spouse near them; a parent
        // 22 to 33 years before.
        let mut covered_people = Vec::new();
        for (j, b) in beneficiaries.iter().enumerate() {
            let (hi, lo) = id.as_uuid().as_u64_pair();
            let h = mix64(g.config.seed ^ mix64(hi ^ mix64(lo ^ (j as u64).wrapping_add(0xB0B))));
            let more = mix64(h);
            let mut random = [0u8; 10];
            random[..8].copy_from_slice(&h.to_be_bytes());
            random[8..].copy_from_slice(&more.to_be_bytes()[..2]);
            let person =
                PersonId::from_uuid(Builder::from_unix_timestamp_millis(id_ms, &random).into_uuid())?;
            let span = |days: u64| i64::try_from(h % days).unwrap_or(0);
            let born = match (b.relationship, birth) {
                (BeneficiaryRelationship::Child, Some(holder)) => {
                    Some(add_days(add_months(holder, 24 * 12)?, span(11 * 365))?)
                }
                (BeneficiaryRelationship::Spouse, Some(holder)) => Some(add_days(holder, span(3000) - 1500)?),
                (BeneficiaryRelationship::Parent, Some(holder)) => Some(sub_months(
                    holder,
                    (22 + u32::try_from(h % 12).unwrap_or(0)) * 12,
                )?),
                _ => None,
            }
            .filter(|d| *d < add_days(as_of, -30).unwrap_or(as_of));
            covered_people.push(CoveredPerson::new(CoveredPersonFields {
                id: person,
                role: PersonRole::Beneficiary,
                policy_id: b.policy_id,
                name: b.name.clone(),
                birth_date: born,
                residence: Some(residence),
                relationship: b.relationship,
                customer: None,
            })?);
        }

        // Consents and marketing preferences.
        let mut consents = Vec::new();
        let mut marketing = None;
        if self.rng.chance(0.7) {
            let withdrawn = self.rng.chance(g.config.share_marketing_withdrawn);
            let withdrawn_at = if withdrawn {
                Some(self.date_between(relationship_start, as_of)?)
            } else {
                None
            };
            let granted = relationship_start;
            marketing = Some(MarketingPreferences {
                sms: !withdrawn && contact.mobile.is_some(),
                email: !withdrawn && contact.email.is_some(),
                phone: !withdrawn && (contact.mobile.is_some() || contact.phone.is_some()),
                updated_on: withdrawn_at.unwrap_or(granted),
            });
            consents.push(ConsentFact {
                purpose: Purpose::Marketing,
                categories: vec![
                    DataCategory::Identity,
                    DataCategory::Contact,
                    DataCategory::MarketingPreferences,
                ],
                separate: false,
                granted_at: granted,
                withdrawn_at,
                by_guardian: by_guardian(granted),
            });
        }
        if minor {
            // PIPL Art 31: a guardian consents to all processing of a child's data, which is all sensitive.
            consents.push(ConsentFact {
                purpose: Purpose::PolicyServicing,
                categories: vec![
                    DataCategory::Identity,
                    DataCategory::Contact,
                    DataCategory::Policies,
                    DataCategory::Claims,
                    DataCategory::Health,
                ],
                separate: true,
                granted_at: relationship_start,
                withdrawn_at: None,
                by_guardian: true,
            });
        }
        if let Some(h) = &health {
            let withdrawn_at = if self.rng.chance(0.05) {
                Some(self.date_between(h.declared_on, as_of)?)
            } else {
                None
            };
            consents.push(ConsentFact {
                purpose: Purpose::ProposalPreparation,
                categories: vec![DataCategory::Health],
                separate: true,
                granted_at: h.declared_on,
                withdrawn_at,
                by_guardian: by_guardian(h.declared_on),
            });
        }
        if !accounts.is_empty() {
            consents.push(ConsentFact {
                purpose: Purpose::PolicyServicing,
                categories: vec![DataCategory::FinancialAccounts],
                separate: true,
                granted_at: relationship_start,
                withdrawn_at: None,
                by_guardian: by_guardian(relationship_start),
            });
        }
        for c in claims.iter().filter(|c| c.has_medical_records) {
            consents.push(ConsentFact {
                purpose: Purpose::ClaimsAssistance,
                categories: vec![DataCategory::Claims, DataCategory::Health],
                separate: true,
                granted_at: c.reported_on,
                withdrawn_at: None,
                by_guardian: by_guardian(c.reported_on),
            });
        }
        if residence.is_outside_mainland() {
            // Data about a customer abroad is exchanged with them and insurers' overseas units: PIPL Art 39.
            consents.push(ConsentFact {
                purpose: Purpose::PolicyServicing,
                categories: vec![
                    DataCategory::Identity,
                    DataCategory::Contact,
                    DataCategory::Policies,
                ],
                separate: true,
                granted_at: relationship_start,
                withdrawn_at: None,
                by_guardian: false,
            });
        }
        if self.rng.chance(0.3) {
            let withdrawn_at = if self.rng.chance(0.1) {
                Some(self.date_between(relationship_start, as_of)?)
            } else {
                None
            };
            consents.push(ConsentFact {
                purpose: Purpose::Analytics,
                // Claims are health data (PIPL Art 28) and would need a separate consent; analytics uses policies only.
                categories: vec![DataCategory::Policies],
                separate: false,
                granted_at: relationship_start,
                withdrawn_at,
                by_guardian: by_guardian(relationship_start),
            });
        }

        // AML due diligence and transactions.
        let mut transactions = Vec::new();
        for p in &policies {
            transactions.push(AmlTransaction {
                date: p.term_start(),
                kind: TransactionKind::Premium,
                amount: p.premium(),
            });
            if let Some(t) = p.termination()
                && t.reason == TerminationReason::Surrender
            {
                transactions.push(AmlTransaction {
                    date: t.date,
                    kind: TransactionKind::SurrenderPayout,
                    amount: Money::cny(p.premium().minor_units() / 2),
                });
            }
        }
        for c in &claims {
            if let (Some(paid), Some(date)) = (c.amount_paid, c.closed_on) {
                transactions.push(AmlTransaction {
                    date,
                    kind: TransactionKind::ClaimPayout,
                    amount: paid,
                });
            }
        }
        transactions.sort_by_key(|t| t.date);
        let occupation_missing = incomplete && self.rng.chance(0.5);
        let kyc = Some(KycRecord {
            verified_on: add_days(relationship_start, self.rng.between(0, 7))?.min(as_of),
            risk: if self.rng.chance(0.85) {
                AmlRisk::Low
            } else if self.rng.chance(0.8) {
                AmlRisk::Medium
            } else {
                AmlRisk::High
            },
            occupation: if occupation_missing {
                None
            } else if is_person {
                Some((*pick(&mut self.rng, OCCUPATIONS)?).to_owned())
            } else {
                Some("企业经营".to_owned())
            },
            transactions,
        });

        if incomplete && !minor && self.rng.chance(0.5) {
            contact.address = None;
        }
        let verified_high = relationship_end.unwrap_or(as_of);
        // Most active files were verified recently (a renewal, a claim); the rest at some point since onboarding.
        let recent_low = add_days(verified_high, -600)?.max(relationship_start);
        let last_verified = if self.rng.chance(0.7) {
            self.date_between(recent_low, verified_high)?
        } else {
            self.date_between(relationship_start, verified_high)?
        };

        let created: DateTime<Utc> = relationship_start
            .and_hms_opt(9, 0, 0)
            .map(|t| t.and_utc())
            .ok_or_else(out_of_range)?;
        let customer = Customer::new(
            CustomerFields {
                id,
                party,
                residence,
                contact,
                accounts,
                health,
                policies,
                claims,
                beneficiaries,
                covered_people,
                marketing,
                kyc,
                relationship_start,
                relationship_end,
                last_verified,
            },
            created,
            g.actor.clone(),
        )?;
        Ok(SyntheticCustomer { customer, consents })
    }
}
