//! A licence transfer scenario for the root tests: a small onboarded seller, a buyer, a signed agreement on disk, and every step of the case as a separate function that opens its own `Brokerage` at the step's date — as if the process restarted between steps.

// Test code: a panic here is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(dead_code)]

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use custodia::brokerage::{
    Brokerage, BrokerageConfig, BrokerageError, CaseState, ManualClock, NoticeRound, Onboarding, Reached,
    SellerCase, StaticKeySource, WhilePending,
};
use custodia::consent::{Channel, Digest, TransferPath};
use custodia::model::ActorId;
use custodia::model::chrono::{DateTime, Duration, NaiveDate, Utc};
use custodia::transfer::{CustomerSelection, DraftAgreement, PlanSummary, SensitiveRule, SignedAgreement};
use custodia_synthetic::answers::{AnswerPlan, transfer_answers};
use custodia_synthetic::assessment;
use custodia_synthetic::book::{BookConfig, SyntheticBook};
use custodia_synthetic::consent::{Recording, at_nine, consent_events, privacy_notice};
use custodia_synthetic::parties::{SampleKeys, terms};
use custodia_synthetic::staff::{Staff, sign_each};

pub const SELLER_KEY: [u8; 32] = [0x51; 32];
/// The disposition's approvers (stored principals with the approver role).
pub const APPROVERS: [&str; 2] = ["dpo-1", "cco-1"];
pub const BUYER_KEY: [u8; 32] = [0xB2; 32];

/// The book date (the synthetic book is generated as of it).
pub fn book_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 5, 31).unwrap()
}

/// The agreement's effective date: notices go out then.
pub fn served_at() -> DateTime<Utc> {
    at_nine(NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()).unwrap()
}

pub fn day(n: i64) -> DateTime<Utc> {
    served_at() + Duration::days(n)
}

/// A scenario in `dir`: `seller.db`, `buyer.db`, `agreement.bin`, and what the steps write.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub dir: PathBuf,
    pub customers: u64,
    pub seed: u64,
}

/// Small batches, so that the streaming steps (serving, answers, planning) span several transactions and
/// a crash can land between them.
const BATCH: NonZeroUsize = match NonZeroUsize::new(8) {
    Some(n) => n,
    None => NonZeroUsize::MIN,
};

impl Scenario {
    pub fn book(&self) -> BookConfig {
        BookConfig {
            seed: self.seed,
            customers: self.customers,
            ..BookConfig::default()
        }
    }

    fn open(&self, name: &str, key: [u8; 32], at: DateTime<Utc>) -> Result<Brokerage, BrokerageError> {
        let config = BrokerageConfig::sqlite(self.dir.join(format!("{name}.db")))
            .with_clock(ManualClock::at(at))
            .with_origin(format!("{name}.example/ledger"))
            .with_batch(BATCH);
        Brokerage::open(config, &StaticKeySource::new(key))
    }

    /// The seller's brokerage, opened afresh, its clock at `at`.
    pub fn seller(&self, at: DateTime<Utc>) -> Result<Brokerage, BrokerageError> {
        self.open("seller", SELLER_KEY, at)
    }

    /// The buyer's brokerage, opened afresh, its clock at `at`.
    pub fn buyer(&self, at: DateTime<Utc>) -> Result<Brokerage, BrokerageError> {
        self.open("buyer", BUYER_KEY, at)
    }

    /// Onboards the seller's book (with its consents) and writes the agreement both sides signed.
    pub fn create(dir: &Path, customers: u64, seed: u64) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        let scenario = Scenario {
            dir: dir.to_path_buf(),
            customers,
            seed,
        };
        let seller = scenario.seller(at_nine(book_date()).unwrap()).unwrap();
        let buyer = scenario.buyer(at_nine(book_date()).unwrap()).unwrap();
        let published = at_nine(NaiveDate::from_ymd_opt(2005, 1, 1).unwrap()).unwrap();
        let notice = privacy_notice("示例保险经纪有限公司", "privacy@seller.example", published).unwrap();
        seller.publish_notice(&notice).unwrap();
        let recording = Recording::on_the_day(
            notice.reference(),
            ActorId::new("clerk-0001").unwrap(),
            Digest::of(b"form"),
        );
        let mut onboarding = Vec::new();
        for item in SyntheticBook::stream(&scenario.book(), book_date()).unwrap() {
            let c = item.unwrap();
            let mut consents = Vec::new();
            for fact in &c.consents {
                consents.extend(consent_events(c.customer.id(), fact, &recording).unwrap());
            }
            onboarding.push(Onboarding::new(c.customer, notice.reference()).with_consents(consents));
        }
        seller.onboard_batch(onboarding, &mut |_| {}).unwrap();
        let mut terms = terms(&SampleKeys::generate().unwrap(), TransferPath::MergerNotice).unwrap();
        terms.seller = seller.as_party(&terms.seller).unwrap();
        terms.buyer = buyer.as_party(&terms.buyer).unwrap();
        terms.selection = CustomerSelection::LapsedWithinYears(3);
        terms.sensitive = SensitiveRule::RequireSeparateConsent;
        let draft = DraftAgreement::new(terms).unwrap();
        let agreement = buyer
            .countersign_as_buyer(seller.sign_as_seller(draft).unwrap())
            .unwrap();
        std::fs::write(dir.join("agreement.bin"), agreement.encode()).unwrap();
        // The two approvers of the disposition: principals with the approver role, their keys on disk so
        // that every step's process signs with the same key.
        for id in APPROVERS {
            let staff = Staff::approver(id, served_at()).unwrap();
            std::fs::write(dir.join(format!("{id}.pk8")), staff.key.expose_pkcs8()).unwrap();
            seller.put_principal(&staff.principal).unwrap();
        }
        // The impact assessment the agreement names, approved by both: execution needs it (PIPL Art 55(3)).
        let approvers = APPROVERS.map(|id| scenario.approver(id));
        let prepared_by = ActorId::new("privacy-office").unwrap();
        let pia =
            assessment::for_transfer(agreement.terms(), prepared_by, at_nine(book_date()).unwrap()).unwrap();
        seller.store_assessment(&pia).unwrap();
        let request = seller.assessment_approval_request(pia.id).unwrap();
        seller
            .approve_assessment(pia.id, &sign_each(&approvers, &request).unwrap())
            .unwrap();
        scenario
    }

    /// One of [`APPROVERS`], with the key written at creation.
    pub fn approver(&self, id: &str) -> Staff {
        let pkcs8 = std::fs::read(self.dir.join(format!("{id}.pk8"))).unwrap();
        let key = custodia::crypto::SigningKey::from_pkcs8(&pkcs8).unwrap();
        Staff::with_key(id, &["approver"], &[], served_at(), key).unwrap()
    }

    /// `id` signs every plan of the disposition and approves it.
    pub fn approve(&self, case: &SellerCase<'_>, id: &str) -> Result<CaseState, BrokerageError> {
        let approver = self.approver(id);
        case.approve_disposition(&approver.sign(&case.disposition_requests()?)?)
    }

    /// The same scenario in another directory: a copy of every file.
    pub fn copy_to(&self, dir: &Path) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        for entry in std::fs::read_dir(&self.dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
            }
        }
        Scenario {
            dir: dir.to_path_buf(),
            ..self.clone()
        }
    }

    pub fn agreement(&self) -> SignedAgreement {
        SignedAgreement::decode(&std::fs::read(self.dir.join("agreement.bin")).unwrap()).unwrap()
    }

    pub fn package_path(&self) -> PathBuf {
        self.dir.join("transfer.pkg")
    }

    pub fn evidence_path(&self) -> PathBuf {
        self.dir.join("evidence")
    }

    /// Records, through the seller's case, the answers that took effect in `(after, until]`, in calls of
    /// sixteen events.
    fn answers(
        &self,
        seller: &Brokerage,
        after: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<u64, BrokerageError> {
        let case = seller.seller_case(self.agreement().transfer_id())?;
        let plan = AnswerPlan::new(
            self.seed,
            served_at(),
            case.notices()?.zh,
            ActorId::new("clerk-0002")?,
        );
        let mut events = Vec::new();
        for (n, item) in SyntheticBook::stream(&self.book(), book_date())
            .unwrap()
            .enumerate()
        {
            let customer = item.unwrap().customer;
            let answers = transfer_answers(&plan, n as u64, &customer, case.agreement().terms())?;
            events.extend(
                answers
                    .into_iter()
                    .filter(|e| e.effective_at() > after && e.effective_at() <= until),
            );
        }
        let mut recorded = 0;
        for chunk in events.chunks(16) {
            recorded += case.record_responses(chunk)?.recorded;
        }
        Ok(recorded)
    }

    /// Runs step `step` of [`STEPS`] with brokerages opened for it alone, at the step's date.
    pub fn run_step(&self, step: Step) -> Result<(), BrokerageError> {
        let transfer = self.agreement().transfer_id();
        let actor = |id: &str| ActorId::new(id).unwrap();
        let seller = || self.seller(step.at());
        let buyer = || self.buyer(step.at());
        match step {
            Step::Open => {
                let _ = seller()?.open_seller_case(&self.agreement())?;
            }
            Step::Publish => {
                let _ = seller()?.seller_case(transfer)?.publish_notices()?;
            }
            Step::Serve => {
                let b = seller()?;
                let case = b.seller_case(transfer)?;
                let round = |reached| NoticeRound {
                    reached,
                    channel: Channel::Sms,
                    by: actor("notices-bot"),
                };
                // Two rounds: ten named customers (a branch's first visits), then everyone left. A named
                // list, not `Next(10)`, so that a run again after a kill between the rounds reaches nobody
                // new in the first round (`Next` would rightly reach the next ten).
                let first: Vec<_> = SyntheticBook::stream(&self.book(), book_date())
                    .unwrap()
                    .take(10)
                    .map(|item| item.unwrap().customer.id())
                    .collect();
                case.serve_notices(round(Reached::Customers(&first)))?;
                case.serve_notices(round(Reached::Everyone))?;
            }
            Step::EarlyAnswers => {
                let _ = self.answers(&seller()?, served_at(), day(20))?;
            }
            Step::Preview => {
                let _ = seller()?.seller_case(transfer)?.preview_plan()?;
            }
            Step::LateAnswers => {
                let _ = self.answers(&seller()?, day(20), day(45))?;
            }
            Step::Execute => {
                let _ = seller()?.seller_case(transfer)?.execute(WhilePending::Exclude)?;
            }
            Step::Package => {
                let _ = seller()?
                    .seller_case(transfer)?
                    .write_package(&self.package_path())?;
            }
            Step::BuyerOpens => {
                let _ = buyer()?.open_buyer_case(&self.agreement())?;
            }
            Step::Import => {
                let _ = buyer()?
                    .buyer_case(transfer)?
                    .import(&self.package_path(), &mut |_| {})?;
            }
            Step::SignReceipt => {
                let bytes = buyer()?.buyer_case(transfer)?.sign_receipt()?;
                // Handed to the seller as a file: written whole or not at all.
                let partial = self.dir.join("receipt.partial");
                std::fs::write(&partial, bytes).unwrap();
                std::fs::rename(partial, self.dir.join("receipt.bin")).unwrap();
            }
            Step::VerifyReceipt => {
                let bytes = std::fs::read(self.dir.join("receipt.bin")).unwrap();
                seller()?.seller_case(transfer)?.verify_receipt(&bytes)?;
            }
            Step::PlanDisposition => {
                let _ = seller()?
                    .seller_case(transfer)?
                    .plan_disposition(actor("ops-1"))?;
            }
            Step::FirstApproval => {
                let _ = self.approve(&seller()?.seller_case(transfer)?, APPROVERS[0])?;
            }
            Step::SecondApproval => {
                let _ = self.approve(&seller()?.seller_case(transfer)?, APPROVERS[1])?;
            }
            Step::Dispose => {
                let _ = seller()?
                    .seller_case(transfer)?
                    .execute_disposition(actor("ops-2"))?;
            }
            Step::Close => {
                let _ = seller()?.seller_case(transfer)?.close(Vec::new())?;
            }
            Step::Export => {
                // An earlier run finished the export (the folder is renamed into place whole): the step is
                // done if what is there verifies; a folder is never written over.
                if self.evidence_path().exists() {
                    let _ = custodia::brokerage::verify_evidence(&self.evidence_path())?;
                    return Ok(());
                }
                let b = seller()?;
                let case = b.seller_case(transfer)?;
                let asked: Vec<_> = case
                    .final_plan(None, 4)?
                    .into_iter()
                    .map(|d| d.customer)
                    .collect();
                drop(case.export_evidence(&self.evidence_path(), &asked)?);
            }
        }
        Ok(())
    }

    /// What a finished case comes to, for comparing two runs: the final plan, the package root, the
    /// receipt's bytes, the disposition's counts, the notices served and the answers recorded.
    pub fn outcome(&self) -> Outcome {
        let transfer = self.agreement().transfer_id();
        let seller = self.seller(day(46)).unwrap();
        let case = seller.seller_case(transfer).unwrap();
        let report = case.report().unwrap();
        Outcome {
            plan: report.plan.clone(),
            root: report.package.root.to_hex(),
            receipt: std::fs::read(self.dir.join("receipt.bin")).unwrap(),
            disposition: serde_json::to_value(&report.disposition).unwrap(),
            notices: report.notices_served,
            imported: report.package.imported,
        }
    }
}

/// The comparable result of a finished case.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub plan: PlanSummary,
    pub root: String,
    pub receipt: Vec<u8>,
    pub disposition: serde_json::Value,
    pub notices: u64,
    pub imported: u64,
}

/// Every step of the case, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Open,
    Publish,
    Serve,
    EarlyAnswers,
    Preview,
    LateAnswers,
    Execute,
    Package,
    BuyerOpens,
    Import,
    SignReceipt,
    VerifyReceipt,
    PlanDisposition,
    FirstApproval,
    SecondApproval,
    Dispose,
    Close,
    Export,
}

pub const STEPS: [Step; 18] = [
    Step::Open,
    Step::Publish,
    Step::Serve,
    Step::EarlyAnswers,
    Step::Preview,
    Step::LateAnswers,
    Step::Execute,
    Step::Package,
    Step::BuyerOpens,
    Step::Import,
    Step::SignReceipt,
    Step::VerifyReceipt,
    Step::PlanDisposition,
    Step::FirstApproval,
    Step::SecondApproval,
    Step::Dispose,
    Step::Close,
    Step::Export,
];

impl Step {
    /// The step's date.
    pub fn at(self) -> DateTime<Utc> {
        match self {
            Step::Open | Step::Publish | Step::Serve => served_at(),
            Step::EarlyAnswers | Step::Preview => day(20),
            Step::LateAnswers
            | Step::Execute
            | Step::Package
            | Step::BuyerOpens
            | Step::Import
            | Step::SignReceipt
            | Step::VerifyReceipt => day(45),
            _ => day(46),
        }
    }

    /// The step's name on a command line.
    pub fn name(self) -> String {
        format!("{self:?}")
    }

    pub fn from_name(name: &str) -> Option<Step> {
        STEPS.into_iter().find(|s| s.name() == name)
    }
}

/// The plan's counts as `key → count`, for messages.
pub fn counts(plan: &PlanSummary) -> Vec<(String, u64)> {
    plan.decisions.iter().map(|(e, n)| (e.key(), n)).collect()
}
