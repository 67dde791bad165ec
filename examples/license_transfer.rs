//! The main job: a brokerage sells its licence and book and moves its customers to the buyer, lawfully and
//! provably, as a durable case over eight simulated weeks — a thin driver over `custodia::brokerage`.
//!
//! ```text
//! cargo run --release --example license_transfer -- --customers 10000 --out /tmp/custodia-transfer
//! ```
//!
//! `--out DIR` (required, missing or empty: a run never deletes evidence), `--customers N` (1 to 1,000,000;
//! default 10,000), `--seed S` (default 1). Each step is a call at its simulated date: onboarding; the
//! agreement (PIPL Art 22 notice path; sensitive data and minors need a separate or guardian's consent) and
//! its approved impact assessment; on 1 June the notices; answers as they arrive; a preview on day 20;
//! execution on day 45; the package, the buyer's import and receipt; on day 46 the disposition, the report,
//! the evidence folder and the audit pack, verified offline. Everything goes into `--out`: both stores and
//! their key files (secret, 0600), `transfer.pkg`, `report.{json,md,html}`, `evidence/` and `audit-pack/`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use custodia::brokerage::{
    Brokerage, BrokerageConfig, KeyFile, ManualClock, NoticeRound, Onboarding, SellerCase,
};
use custodia::consent::{ConsentEvent, Digest, TransferPath};
use custodia::model::chrono::{DateTime, Duration, NaiveDate, Utc};
use custodia::model::{ActorId, CustomerId, Progress};
use custodia::transfer::{Check, CustomerProof, CustomerSelection, DraftAgreement, SensitiveRule};
use custodia_synthetic::answers::{AnswerPlan, transfer_answers};
use custodia_synthetic::assessment;
use custodia_synthetic::book::{BookConfig, SyntheticBook};
use custodia_synthetic::consent::{Recording, at_nine, consent_events, privacy_notice};
use custodia_synthetic::parties::{SampleKeys, terms};
use custodia_synthetic::staff::{Staff, sign_each};

const USAGE: &str = "usage: license_transfer --out DIR [--customers N] [--seed S]";
/// The most customers one run takes: the scale the memory target (< 512 MiB) is measured at.
const MAX_CUSTOMERS: u64 = 1_000_000;
const BATCH: std::num::NonZeroUsize = std::num::NonZeroUsize::new(2000).unwrap(); // per transaction: issue 22

type Fallible<T> = Result<T, Box<dyn std::error::Error>>;

struct Args {
    customers: u64,
    out: PathBuf,
    seed: u64,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let (mut customers, mut out, mut seed) = (10_000u64, None, 1u64);
    let number = |flag: &str, v: Option<String>| -> Result<u64, String> {
        let v = v.ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        v.parse()
            .map_err(|_| format!("{flag}: {v:?} is not an unsigned number"))
    };
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--customers" => customers = number("--customers", args.next())?,
            "--seed" => seed = number("--seed", args.next())?,
            "--out" => out = Some(PathBuf::from(args.next().ok_or("--out needs a value")?)),
            "--help" | "-h" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if !(1..=MAX_CUSTOMERS).contains(&customers) {
        return Err(format!("--customers must be 1 to {MAX_CUSTOMERS}"));
    }
    match out {
        Some(out) if !out.as_os_str().is_empty() => Ok(Args { customers, out, seed }),
        Some(_) => Err(format!("--out must not be empty\n{USAGE}")),
        None => Err(format!("--out is required\n{USAGE}")),
    }
}

/// Creates `out`, refusing (and naming) a directory that is not empty: a run never deletes evidence.
fn prepare(out: &Path) -> Fallible<()> {
    let named = |what: &str, e: std::io::Error| format!("{what} {}: {e}", out.display());
    let full = std::fs::read_dir(out).map(|mut entries| entries.next().is_some());
    if out.exists() && full.map_err(|e| named("read", e))? {
        let reason = "is not empty; give a fresh --out (a run never deletes a previous run's evidence)";
        return Err(format!("{} {reason}", out.display()).into());
    }
    Ok(std::fs::create_dir_all(out).map_err(|e| named("create", e))?)
}

fn progress_line(p: Progress) {
    match p.total() {
        Some(total) => eprintln!("  {:?}: {} of {total}", p.phase(), p.done()),
        None if p.done().is_multiple_of(10_000) => eprintln!("  {:?}: {}", p.phase(), p.done()),
        None => {}
    }
}

fn write(path: &Path, text: &str) -> Fallible<()> {
    Ok(std::fs::write(path, text).map_err(|e| format!("write {}: {e}", path.display()))?)
}

/// The report's checks, each failure also said on stderr.
#[derive(Default)]
struct Checks(Vec<Check>);

impl Checks {
    fn add(&mut self, name: &str, passed: bool, detail: String) {
        if !passed {
            eprintln!("CHECK FAILED: {name}: {detail}");
        }
        let name = name.to_owned();
        self.0.push(Check { name, passed, detail });
    }
}

/// The simulated book: its generator's settings and date, and how its customers answer.
struct Simulation(BookConfig, NaiveDate, AnswerPlan);

/// The answers that took effect in `(window[0], window[1]]` arrive, and are recorded through the case.
fn answers_arrive(case: &SellerCase<'_>, sim: &Simulation, window: [DateTime<Utc>; 2]) -> Fallible<u64> {
    let (mut batch, mut recorded) = (Vec::new(), 0);
    let arrived = |e: &ConsentEvent| e.effective_at() > window[0] && e.effective_at() <= window[1];
    for (n, item) in SyntheticBook::stream(&sim.0, sim.1)?.enumerate() {
        let answers = transfer_answers(&sim.2, n as u64, &item?.customer, case.agreement().terms())?;
        batch.extend(answers.into_iter().filter(arrived));
        if batch.len() >= 1024 {
            recorded += case.record_responses(&std::mem::take(&mut batch))?.recorded;
        }
    }
    Ok(recorded + case.record_responses(&batch)?.recorded)
}

/// The brokerage `name`, in `out/<name>.sqlite` with a fresh key file `out/<name>.key`, on `clock`.
fn open(out: &Path, name: &str, clock: &ManualClock) -> Fallible<Brokerage> {
    let config = BrokerageConfig::sqlite(out.join(format!("{name}.sqlite"))).with_clock(clock.clone());
    let key = KeyFile::create(out.join(format!("{name}.key")))?;
    let config = config.with_origin(format!("{name}.example/ledger"));
    Ok(Brokerage::open(config.with_batch(BATCH), &key)?)
}

fn run(args: &Args) -> Fallible<bool> {
    let (started, out) = (Instant::now(), args.out.as_path());
    let elapsed = || format!("{:.1?}", started.elapsed());
    prepare(out)?;
    let book_date = NaiveDate::from_ymd_opt(2026, 5, 31).ok_or("date")?;
    let clock = ManualClock::at(at_nine(book_date)?);
    let (seller, buyer) = (open(out, "seller", &clock)?, open(out, "buyer", &clock)?);
    let actor = |id: &str| ActorId::new(id);

    // The seller's book, onboarded in id order with the notice each customer was shown and their consents.
    let published = at_nine(NaiveDate::from_ymd_opt(2005, 1, 1).ok_or("date")?)?;
    let notice = privacy_notice("示例保险经纪有限公司", "privacy@seller.example", published)?;
    seller.publish_notice(&notice)?;
    let mut book = BookConfig::default();
    (book.seed, book.customers) = (args.seed, args.customers);
    let (clerk, form) = (actor("clerk-0001")?, Digest::of(b"onboarding form"));
    let recording = Recording::on_the_day(notice.reference(), clerk.clone(), form);
    let mut batch = Vec::with_capacity(BATCH.get());
    for item in SyntheticBook::stream_in_id_order(&book, book_date)? {
        let c = item?;
        let mut consents = Vec::new();
        for fact in &c.consents {
            consents.extend(consent_events(c.customer.id(), fact, &recording)?);
        }
        batch.push(Onboarding::new(c.customer, notice.reference()).with_consents(consents));
        if batch.len() == BATCH.get() {
            seller.onboard_batch(std::mem::take(&mut batch), &mut progress_line)?;
        }
    }
    seller.onboard_batch(batch, &mut progress_line)?;
    eprintln!("book: {} customers onboarded ({})", book.customers, elapsed());

    // The agreement, with each side's own keys, signed by both.
    let mut terms = terms(&SampleKeys::generate()?, TransferPath::MergerNotice)?;
    (terms.seller, terms.buyer) = (seller.as_party(&terms.seller)?, buyer.as_party(&terms.buyer)?);
    terms.selection = CustomerSelection::LapsedWithinYears(3);
    terms.sensitive = SensitiveRule::RequireSeparateConsent;
    let agreement = buyer.countersign_as_buyer(seller.sign_as_seller(DraftAgreement::new(terms)?)?)?;
    eprintln!("agreement {} signed by both parties", agreement.transfer_id());
    // The impact assessment the agreement names, approved by two signing approvers (PIPL Art 55(3)).
    let approvers = Staff::approvers(&["dpo-001", "cco-001"], seller.now())?;
    let put = |a: &Staff| seller.put_principal(&a.principal);
    approvers.iter().try_for_each(put)?;
    let pia = assessment::for_transfer(agreement.terms(), actor("privacy-office")?, seller.now())?;
    seller.store_assessment(&pia)?;
    let request = seller.assessment_approval_request(pia.id)?;
    seller.approve_assessment(pia.id, &sign_each(&approvers, &request)?)?;

    // 1 June: the notices published and served. Day 20: the first answers, and a preview of the plan.
    let served_at = at_nine(agreement.terms().effective)?;
    let day = |n: i64| served_at + Duration::days(n);
    clock.set(served_at);
    let case = seller.open_seller_case(&agreement)?;
    let notice = case.publish_notices()?.zh;
    let served = case.serve_notices(NoticeRound::everyone(actor("notices-bot")?))?;
    eprintln!("notices: {} served ({})", served.total, elapsed());
    let answers = AnswerPlan::new(args.seed, served_at, notice, clerk);
    let sim = Simulation(book.clone(), book_date, answers);
    clock.set(day(20));
    let early = answers_arrive(&case, &sim, [served_at, day(20)])?;
    let preview = case.preview_plan()?;
    let (moving, pending) = (preview.customers_moving, preview.decisions.pending());
    eprintln!("day 20: {early} answers; preview: {moving} customers moving, {pending} decisions pending");

    // Day 45: the rest of the answers, the final plan (what is still pending stays), the package.
    clock.set(day(45));
    let late = answers_arrive(&case, &sim, [day(20), day(45)])?;
    let plan = case.execute(Default::default())?;
    let (moving, planned) = (plan.customers_moving, plan.customers);
    eprintln!("day 45: {late} more answers; final plan: {moving} of {planned} customers moving");
    let (package, took) = (case.write_package(&out.join("transfer.pkg"))?, elapsed());
    let (moved, sections, bytes) = (package.customers, package.sections, package.package_bytes);
    eprintln!("package: {moved} customers, {sections} sections, {bytes} bytes ({took})");

    // The buyer, on its own store: verify and adopt the package, sign the receipt; the seller verifies it.
    let buying = buyer.open_buyer_case(&agreement)?;
    let imported = buying.import(&package.path, &mut progress_line)?;
    let entry = case.verify_receipt(&buying.sign_receipt()?)?.entry;
    let mut checks = Checks::default();
    let adopted = imported.root == package.root && imported.customers == moved;
    let (n, opened) = (imported.customers, imported.sections_opened);
    let name = "buyer verified and adopted the package";
    checks.add(name, adopted, format!("{n} customers, {opened} sections opened"));
    let (read, sample) = (buying.spot_check(50)?, moved.min(50));
    let name = "buyer opens adopted customers with its own keys";
    checks.add(name, read == sample, format!("{read} of the first {sample}"));
    let ledger = buyer.verify_ledger().map(|v| format!("{} entries", v.size()));
    let (passed, detail) = (ledger.is_ok(), ledger.unwrap_or_else(|e| e.to_string()));
    checks.add("buyer ledger verifies", passed, detail);

    // Proofs for one customer who moved and one who stayed, verified with the seller's public key.
    let (movers, stayers): (Vec<_>, Vec<_>) = case
        .final_plan(None, 1000)?
        .into_iter()
        .partition(|d| !d.included().is_empty());
    let [mover, stayer] = [&movers, &stayers].map(|v| v.first().map(|d| d.customer));
    let asked: Vec<CustomerId> = mover.into_iter().chain(stayer).collect();
    let proofs = case.prove(&asked)?;
    let key = agreement.terms().seller.verifying_key();
    let right = |(p, c): (&CustomerProof, &CustomerId)| p.verify(key).ok() == Some(Some(*c) == mover);
    let proven = proofs.iter().zip(&asked).all(right);
    let name = "customer proofs (moved, stayed) verify";
    checks.add(name, proven, format!("{} proofs", proofs.len()));

    // Day 46: the disposition, each plan signed by two approvers; the report; the evidence, verified.
    clock.set(day(46));
    case.plan_disposition(actor("ops-transfer-01")?)?;
    for approver in &approvers {
        case.approve_disposition(&approver.sign(&case.disposition_requests()?)?)?;
    }
    let disposed = case.execute_disposition(actor("ops-transfer-02")?)?;
    let (whole, part, took) = (disposed.whole_customers, disposed.partial_customers, elapsed());
    eprintln!("disposition: {whole} customers shredded whole, {part} in part ({took})");
    let [s, b] = [&seller, &buyer].map(|x| x.verify_vault(None).map(|r| r.sections)); // issue 16
    let detail = format!("{:?} / {:?} section versions", s.as_ref().ok(), b.as_ref().ok());
    let name = "both vaults reconcile with their ledgers";
    checks.add(name, s.is_ok() && b.is_ok(), detail);
    let report = case.close(checks.0)?;
    write(&out.join("report.json"), &report.to_json()?)?;
    write(&out.join("report.md"), &report.to_markdown())?;
    write(&out.join("report.html"), &report.to_html())?;
    let evidence = out.join("evidence");
    case.export_evidence(&evidence, &asked)?;
    let offline = custodia::brokerage::verify_evidence(&evidence)
        .and_then(|_| seller.export_verified_audit_pack(&out.join("audit-pack"))); // PIPL Art 54
    if let Err(e) = &offline {
        eprintln!("CHECK FAILED: the evidence folder or the audit pack: {e}");
    }

    let (id, citation) = (agreement.transfer_id(), &report.agreement.citation);
    println!("licence transfer {id} ({citation})");
    let (plan, d) = (&report.plan, &report.plan.decisions);
    let (n, m) = (plan.customers, plan.customers_moving);
    println!("  plan: {n} customers, {m} moving; category decisions:");
    let (i, x, w) = (d.included(), d.excluded(), d.pending());
    println!("    {i} included, {x} excluded, {w} pending");
    println!("  package: {moved} customers, {sections} sections, {bytes} bytes; receipt at entry {entry}");
    let passed = report.checks.iter().filter(|c| c.passed).count();
    let all = report.checks.len();
    let (verdict, shown) = (if offline.is_ok() { "verify" } else { "FAIL" }, out.display());
    println!("  checks: {passed} of {all} passed; {shown}/{{evidence,audit-pack}} {verdict} offline");
    println!("  done in {}", elapsed());
    Ok(report.all_passed() && offline.is_ok())
}

fn main() -> ExitCode {
    let outcome = parse_args(std::env::args().skip(1)).map(|args| run(&args));
    match outcome {
        Ok(Ok(true)) => ExitCode::SUCCESS,
        Ok(Ok(false)) => {
            eprintln!("license_transfer: a check failed (see the report)");
            ExitCode::FAILURE
        }
        Ok(Err(e)) => {
            // Each cause once: the errors' own messages do not repeat their sources.
            let causes = std::iter::successors(e.source(), |c| c.source()).map(|c| c.to_string());
            let message: Vec<String> = std::iter::once(e.to_string()).chain(causes).collect();
            eprintln!("license_transfer: {}", message.join(": "));
            ExitCode::FAILURE
        }
        Err(usage) => {
            eprintln!("{usage}");
            ExitCode::from(2)
        }
    }
}
