//! Generates a synthetic book, prints a short masked summary and writes the book's data-quality report as JSON.
//!
//! ```text
//! cargo run --release --example synthetic_book -- --customers 1000000 --out /tmp/book --seed 7
//! ```
//!
//! Options: `--customers N` (default 10,000), `--out DIR` (default: a fresh directory under the system temp
//! directory), `--seed S` (default 1), `--as-of YYYY-MM-DD` (default 2026-06-30, fixed so that runs are
//! reproducible). The book is streamed customer by customer, so a million customers never sit in memory.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use custodia::model::chrono::NaiveDate;
use custodia::model::{
    BookQualityReport, DataCategory, IdentityDocument, Party, PartyKind, PolicyStatus, QualityConfig,
    assess_customer,
};
use custodia_synthetic::book::{BookConfig, SyntheticBook};

const USAGE: &str = "usage: synthetic_book [--customers N] [--out DIR] [--seed S] [--as-of YYYY-MM-DD]";

struct Args {
    customers: u64,
    out: Option<PathBuf>,
    seed: u64,
    as_of: NaiveDate,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        customers: 10_000,
        out: None,
        seed: 1,
        as_of: NaiveDate::from_ymd_opt(2026, 6, 30).ok_or("built-in date is invalid")?,
    };
    while let Some(flag) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match flag.as_str() {
            "--customers" => {
                let v = value("--customers")?;
                parsed.customers = v
                    .parse()
                    .map_err(|_| format!("--customers: {v:?} is not a whole number of customers"))?;
            }
            "--seed" => {
                let v = value("--seed")?;
                parsed.seed = v
                    .parse()
                    .map_err(|_| format!("--seed: {v:?} is not an unsigned 64-bit number"))?;
            }
            "--out" => parsed.out = Some(PathBuf::from(value("--out")?)),
            "--as-of" => {
                let v = value("--as-of")?;
                parsed.as_of = v
                    .parse()
                    .map_err(|_| format!("--as-of: {v:?} is not a date like 2026-06-30"))?;
            }
            "--help" | "-h" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(parsed)
}

/// A fresh, not yet existing directory under the system temp directory.
fn fresh_temp_dir() -> Result<PathBuf, String> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let dir = std::env::temp_dir().join(format!("custodia-synthetic-book-{}-{nanos}", std::process::id()));
    fs::create_dir(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
}

#[derive(Default)]
struct Summary {
    persons: u64,
    organizations: u64,
    minors: u64,
    passports: u64,
    residents_abroad: u64,
    ended_relationships: u64,
    sensitive: [u64; 3],
    sensitive_customers: u64,
    policies_active: u64,
    policies_terminated: u64,
    policies_expired: u64,
    policies_long: u64,
    claims: u64,
    consents: u64,
    consents_withdrawn: u64,
    guardian_consents: u64,
}

fn run(args: Args) -> Result<(), String> {
    let config = BookConfig {
        seed: args.seed,
        customers: args.customers,
        ..BookConfig::default()
    };
    let out = match args.out {
        Some(dir) => {
            fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            dir
        }
        None => fresh_temp_dir()?,
    };
    let quality = QualityConfig::default();
    let mut report = BookQualityReport::new(args.as_of, quality, 20);
    let mut summary = Summary::default();
    let mut samples: [Option<String>; 3] = [None, None, None];
    let mut generating = Duration::ZERO;
    let started = Instant::now();

    let mut stream =
        SyntheticBook::stream(&config, args.as_of).map_err(|e| format!("bad configuration: {e}"))?;
    loop {
        let t = Instant::now();
        let next = stream.next();
        generating += t.elapsed();
        let Some(generated) = next else { break };
        let generated = generated.map_err(|e| format!("generation failed: {e}"))?;
        let c = &generated.customer;
        match c.kind() {
            PartyKind::Person => summary.persons += 1,
            PartyKind::Organization => summary.organizations += 1,
        }
        let minor = c.is_minor_at(args.as_of);
        summary.minors += u64::from(minor);
        if let Party::Person(p) = c.party()
            && matches!(p.document(), IdentityDocument::Passport { .. })
        {
            summary.passports += 1;
        }
        summary.residents_abroad += u64::from(c.residence().is_outside_mainland());
        summary.ended_relationships += u64::from(c.relationship_end().is_some());
        let held = c.categories_held();
        for (i, category) in [
            DataCategory::Health,
            DataCategory::FinancialAccounts,
            DataCategory::Claims,
        ]
        .iter()
        .enumerate()
        {
            if held.contains(category) {
                summary.sensitive[i] += 1;
            }
        }
        summary.sensitive_customers += u64::from(!c.sensitive_categories_at(args.as_of).is_empty());
        for p in c.policies() {
            match p.status_at(args.as_of) {
                PolicyStatus::Active => summary.policies_active += 1,
                PolicyStatus::Terminated(_) => summary.policies_terminated += 1,
                _ => summary.policies_expired += 1,
            }
            summary.policies_long += u64::from(p.term_exceeds_one_year());
        }
        summary.claims += c.claims().len() as u64;
        for f in &generated.consents {
            summary.consents += 1;
            summary.consents_withdrawn += u64::from(f.withdrawn_at.is_some());
            summary.guardian_consents += u64::from(f.by_guardian);
        }
        report.add(&assess_customer(c, args.as_of, &quality));
        // One sample each of an adult, a minor and an organization, all masked.
        let slot = match (c.kind(), minor) {
            (PartyKind::Organization, _) => 2,
            (_, true) => 1,
            _ => 0,
        };
        if samples[slot].is_none() {
            let document = match c.party() {
                Party::Person(p) => p.document().mask(),
                Party::Organization(o) => o.credit_code.mask(),
            };
            let mobile = c
                .contact()
                .mobile
                .as_ref()
                .map_or_else(|| "-".to_owned(), |m| m.mask());
            samples[slot] = Some(format!(
                "  {:?} {} {document} mobile {mobile} minor {minor}",
                c.kind(),
                c.party().display_name()
            ));
        }
    }
    let total = started.elapsed();

    let path = out.join("quality_report.json");
    let file = fs::File::create(&path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let mut writer = BufWriter::new(file);
    serde_json::to_writer_pretty(&mut writer, &report)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    writer
        .flush()
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;

    let n = summary.persons + summary.organizations;
    let per_second = if generating.as_secs_f64() > 0.0 {
        n as f64 / generating.as_secs_f64()
    } else {
        0.0
    };
    println!(
        "synthetic book: {n} customers, seed {}, as of {}",
        args.seed, args.as_of
    );
    println!(
        "  persons {}  organizations {}  minors under 14 {}",
        summary.persons, summary.organizations, summary.minors
    );
    println!(
        "  foreign (passport) {}  resident abroad {}  relationships ended {}",
        summary.passports, summary.residents_abroad, summary.ended_relationships
    );
    println!(
        "  sensitive categories held (PIPL Art 28): health {}  financial accounts {}  claims {}  customers with any sensitive data {}",
        summary.sensitive[0], summary.sensitive[1], summary.sensitive[2], summary.sensitive_customers
    );
    println!(
        "  policies: active {}  lapsed/surrendered/cancelled {}  expired {}  term over one year {}  claims {}",
        summary.policies_active,
        summary.policies_terminated,
        summary.policies_expired,
        summary.policies_long,
        summary.claims
    );
    println!(
        "  consent facts {}  withdrawn {}  by guardian {}",
        summary.consents, summary.consents_withdrawn, summary.guardian_consents
    );
    println!(
        "  quality: completeness {:.4}  clean customers {}  stale {}  issues {:?}",
        report.completeness(),
        report.clean_customers,
        report.stale_customers,
        report.issues_by_kind
    );
    println!("  samples (masked):");
    for s in samples.iter().flatten() {
        println!("{s}");
    }
    println!(
        "  generation {:.3} s ({per_second:.0} customers/s), total with quality checks {:.3} s",
        generating.as_secs_f64(),
        total.as_secs_f64()
    );
    println!("  quality report: {}", path.display());
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("error: {message}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
