//! Records of processing (GDPR Art 30) and the matching Chinese inventory (个人信息清单; PIPL Art 51(2)
//! classification, Art 56 processing records, NDSR Art 12), generated — never hand-written — from the
//! basis policy (purposes and legal bases), the retention profile (periods and their articles) and what
//! the store holds (people per category, buyers after a transfer, exports abroad), with the accountable
//! department and role of every category and workflow step (the brokerage practice §13: 部门责任, 个人责任).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use custodia_consent::BasisPolicy;
use custodia_model::DataCategory;
use custodia_retention::Profile;
use serde::{Deserialize, Serialize};

/// Who answers for a category or a step: a department and a role in it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Accountable {
    /// The department (`operations`, `compliance`).
    pub department: String,
    /// The role (`account_manager`, `aml_officer`).
    pub role: String,
}

fn acc(department: &str, role: &str) -> Accountable {
    Accountable {
        department: department.into(),
        role: role.into(),
    }
}

/// The workflow steps that have an owner.
pub const STEPS: [&str; 8] = [
    "onboarding",
    "gated_read",
    "rights_request",
    "licence_transfer",
    "destruction",
    "incident_response",
    "impact_assessment",
    "compliance_audit",
];

/// Who answers for what, as data: every category and every step of [`STEPS`] has an owner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Responsibilities {
    /// By category code.
    pub categories: BTreeMap<String, Accountable>,
    /// By step code.
    pub steps: BTreeMap<String, Accountable>,
}

impl Default for Responsibilities {
    fn default() -> Self {
        let categories = DataCategory::ALL
            .iter()
            .map(|c| {
                let owner = match c {
                    DataCategory::FinancialAccounts => acc("finance", "finance_officer"),
                    DataCategory::Health | DataCategory::Claims => acc("claims", "claims_handler"),
                    DataCategory::MarketingPreferences => acc("marketing", "marketing_manager"),
                    DataCategory::KycAml => acc("compliance", "aml_officer"),
                    _ => acc("operations", "account_manager"),
                };
                (c.code().to_owned(), owner)
            })
            .collect();
        let steps = STEPS
            .iter()
            .map(|s| {
                let owner = match *s {
                    "onboarding" | "gated_read" => acc("operations", "operations_manager"),
                    "rights_request" | "impact_assessment" => acc("privacy", "pi_protection_officer"),
                    "licence_transfer" => acc("legal", "legal_counsel"),
                    "destruction" => acc("compliance", "compliance_officer"),
                    "incident_response" => acc("security", "security_officer"),
                    _ => acc("internal_audit", "internal_auditor"),
                };
                ((*s).to_owned(), owner)
            })
            .collect();
        Self { categories, steps }
    }
}

impl Responsibilities {
    /// The category or step that has no owner, if any (every one must have one).
    pub fn missing(&self) -> Option<String> {
        DataCategory::ALL
            .iter()
            .map(|c| c.code())
            .find(|c| !self.categories.contains_key(*c))
            .or_else(|| STEPS.iter().copied().find(|s| !self.steps.contains_key(*s)))
            .map(str::to_owned)
    }
}

/// A buyer the data went to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    /// The recipient's name.
    pub name: String,
    /// The transfer that provided the data.
    pub transfer: String,
    /// Its jurisdiction.
    pub jurisdiction: String,
}

/// What the store holds, as counts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holdings {
    /// Customers held.
    pub people: u64,
    /// Customers holding each category.
    pub by_category: BTreeMap<String, u64>,
    /// Buyers after transfers.
    pub recipients: Vec<Recipient>,
    /// People exported abroad, by year.
    pub exports: BTreeMap<i32, u64>,
}

/// A retention rule as a record shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionLine {
    /// The rule's id.
    pub rule: String,
    /// What it says.
    pub summary: String,
    /// What starts its clock.
    pub trigger: String,
    /// Keep at least.
    pub minimum: String,
    /// Delete after, if it says.
    pub maximum: Option<String>,
    /// Its article.
    pub citation: String,
}

/// One processing activity (GDPR Art 30(1)): a purpose.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityRecord {
    /// The purpose's code.
    pub purpose: String,
    /// The legal basis and its article.
    pub basis: String,
    /// The categories held that the purpose can reach (narrowed per read by the access policies).
    pub categories: Vec<String>,
    /// Recipients (buyers).
    pub recipients: Vec<Recipient>,
    /// Exports abroad by year.
    pub exports: BTreeMap<i32, u64>,
    /// Who answers for it: the step that carries it out (gated reads).
    pub accountable: Accountable,
}

/// One category of the inventory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryItem {
    /// The category's code.
    pub category: String,
    /// Sensitive (PIPL Art 28).
    pub sensitive: bool,
    /// Customers holding it.
    pub people: u64,
    /// Its retention rules.
    pub retention: Vec<RetentionLine>,
    /// Who answers for it.
    pub accountable: Accountable,
}

/// The records, generated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordsOfProcessing {
    /// The controller.
    pub controller: String,
    /// Its contact.
    pub contact: String,
    /// The PI protection officer, if one is designated.
    pub officer: Option<String>,
    /// When generated.
    pub generated_at: DateTime<Utc>,
    /// The basis policy's name.
    pub policy: String,
    /// The retention profile's name.
    pub profile: String,
    /// Customers held.
    pub people: u64,
    /// GDPR Art 30(1)(b)–(e): one per purpose.
    pub activities: Vec<ActivityRecord>,
    /// The Chinese inventory: one per category.
    pub inventory: Vec<InventoryItem>,
    /// GDPR Art 30(1)(g), PIPL Art 51: the measures.
    pub measures: Vec<String>,
    /// Who answers for each step.
    pub steps: BTreeMap<String, Accountable>,
}

/// The measures the brokerage takes, whatever the profile: what the code does.
const MEASURES: [&str; 5] = [
    "per-customer data keys, sections sealed per category with AES-256-GCM, keys wrapped under a rotating KEK (PIPL Art 51(3))",
    "purpose-bound access through Cedar policies with a training gate; every decision on the ledger (PIPL Art 51(4))",
    "an append-only Merkle ledger with signed checkpoints of consents, steps and destructions",
    "retention by rule with approved destruction and crypto-shredding (PIPL Art 47)",
    "incident register with reporting clocks, impact assessments, compliance-audit evidence packs (PIPL Arts 54-57)",
];

fn owner(map: &BTreeMap<String, Accountable>, key: &str) -> Accountable {
    map.get(key)
        .cloned()
        .unwrap_or_else(|| acc("unassigned", "unassigned"))
}

/// Generates the records.
pub fn records_of_processing(
    controller: (&str, &str, Option<&str>),
    policy: &BasisPolicy,
    profile: &Profile,
    holdings: &Holdings,
    responsibilities: &Responsibilities,
    generated_at: DateTime<Utc>,
) -> RecordsOfProcessing {
    let held: Vec<String> = DataCategory::ALL
        .iter()
        .filter(|c| holdings.by_category.get(c.code()).is_some_and(|n| *n > 0))
        .map(|c| c.code().to_owned())
        .collect();
    let basis_text = |v: serde_json::Value| match v {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    };
    let mut activities = Vec::new();
    let mut push = |purpose: String, basis: String| {
        activities.push(ActivityRecord {
            purpose,
            basis,
            categories: held.clone(),
            recipients: holdings.recipients.clone(),
            exports: holdings.exports.clone(),
            accountable: owner(&responsibilities.steps, "gated_read"),
        });
    };
    match policy.gdpr_terms() {
        Some(terms) => {
            for r in &terms.rules {
                let basis = basis_text(serde_json::to_value(&r.basis).unwrap_or_default());
                push(r.purpose.code().to_owned(), format!("{basis} (GDPR Art 6(1))"));
            }
        }
        None => {
            for r in &policy.fields().rules {
                let basis = basis_text(serde_json::to_value(r.basis).unwrap_or_default());
                push(r.purpose.code().to_owned(), format!("{basis} ({})", r.citation));
            }
        }
    }
    let inventory = DataCategory::ALL
        .iter()
        .map(|c| InventoryItem {
            category: c.code().to_owned(),
            sensitive: c.is_sensitive(),
            people: holdings.by_category.get(c.code()).copied().unwrap_or(0),
            retention: profile
                .rules_for(custodia_retention::Holding::Category(*c))
                .map(|r| RetentionLine {
                    rule: r.id().as_str().to_owned(),
                    summary: r.summary().to_owned(),
                    trigger: r.trigger().code().to_owned(),
                    minimum: r.minimum().to_string(),
                    maximum: r.maximum().map(|m| m.to_string()),
                    citation: r.citation().to_string(),
                })
                .collect(),
            accountable: owner(&responsibilities.categories, c.code()),
        })
        .collect();
    RecordsOfProcessing {
        controller: controller.0.to_owned(),
        contact: controller.1.to_owned(),
        officer: controller.2.map(str::to_owned),
        generated_at,
        policy: policy.fields().name.clone(),
        profile: profile.name().to_owned(),
        people: holdings.people,
        activities,
        inventory,
        measures: MEASURES.iter().map(|m| (*m).to_owned()).collect(),
        steps: responsibilities.steps.clone(),
    }
}

impl RecordsOfProcessing {
    /// The records as Markdown (GDPR Art 30 activities, then the inventory, then the owners of steps).
    pub fn to_markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# Records of processing — 个人信息处理活动记录\n");
        let _ = writeln!(s, "- Controller: {} ({})", self.controller, self.contact);
        if let Some(o) = &self.officer {
            let _ = writeln!(s, "- PI protection officer: {o}");
        }
        let _ = writeln!(s, "- Generated: {}", self.generated_at.to_rfc3339());
        let _ = writeln!(
            s,
            "- Basis policy: {}; retention profile: {}",
            self.policy, self.profile
        );
        let _ = writeln!(s, "- Customers held: {}\n", self.people);
        let _ = writeln!(s, "## Activities (GDPR Art 30(1))\n");
        let _ = writeln!(
            s,
            "| purpose | basis | categories | recipients | exports | accountable |"
        );
        let _ = writeln!(s, "|---|---|---|---|---|---|");
        for a in &self.activities {
            let recipients: Vec<String> = a
                .recipients
                .iter()
                .map(|r| format!("{} ({})", r.name, r.jurisdiction))
                .collect();
            let exports: Vec<String> = a.exports.iter().map(|(y, n)| format!("{y}: {n}")).collect();
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} / {} |",
                a.purpose,
                a.basis,
                a.categories.join(", "),
                recipients.join("; "),
                exports.join("; "),
                a.accountable.department,
                a.accountable.role
            );
        }
        let _ = writeln!(s, "\n## Inventory (个人信息清单)\n");
        let _ = writeln!(s, "| category | sensitive | people | retention | accountable |");
        let _ = writeln!(s, "|---|---|---:|---|---|");
        for i in &self.inventory {
            let retention: Vec<String> = i
                .retention
                .iter()
                .map(|r| {
                    format!(
                        "{}: min {}{} from {} ({})",
                        r.rule,
                        r.minimum,
                        r.maximum
                            .as_ref()
                            .map(|m| format!(", max {m}"))
                            .unwrap_or_default(),
                        r.trigger,
                        r.citation
                    )
                })
                .collect();
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} / {} |",
                i.category,
                if i.sensitive { "yes" } else { "no" },
                i.people,
                retention.join("; "),
                i.accountable.department,
                i.accountable.role
            );
        }
        let _ = writeln!(s, "\n## Measures (GDPR Art 30(1)(g); PIPL Art 51)\n");
        for m in &self.measures {
            let _ = writeln!(s, "- {m}");
        }
        let _ = writeln!(s, "\n## Responsibilities (§13)\n");
        let _ = writeln!(s, "| step | department | role |");
        let _ = writeln!(s, "|---|---|---|");
        for (step, a) in &self.steps {
            let _ = writeln!(s, "| {step} | {} | {} |", a.department, a.role);
        }
        s
    }
}
