//! `book import` (CSV, validated row by row with the model, all or nothing or `--skip-invalid`), `book quality`, `customer show` (masked).
//!
//! The column set is documented in `templates/book.csv` (header) and the README; [`COLUMNS`] is the one
//! source. A file with a column missing or an unknown column is refused before any row is read (an
//! unknown column would otherwise be a silently dropped field).
//!
//! Why each behaviour: every row is checked before anything is stored because what is stored must be accurate
//! and complete (PIPL Art 8); each customer is onboarded with the notice shown at collection (PIPL Arts 13,
//! 14, 17), which `--notice` names; the quality report is the Art 8 duty made visible; `customer show` masks
//! identifiers (PIPL Art 51: security measures, including de-identification on screens), and no error or log
//! line quotes a cell.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use chrono::NaiveDate;
use custodia_brokerage::{Brokerage, BrokerageError, Onboarding};
use custodia_consent::Notice;
use custodia_model::{
    ActorId, BookQualityReport, ContactSection, Customer, CustomerFields, CustomerId, EmailAddress, Gender,
    IdentityDocument, Jurisdiction, MobileNumber, Organization, OrganizationName, Party, PartyKind, Person,
    PersonFields, PersonName, PhoneNumber, PostalAddress, PostalAddressFields, QualityConfig,
    ResidentIdNumber, UnifiedSocialCreditCode, assess_customer,
};

use crate::context::{Context, read};
use crate::error::{CliError, Result};
use crate::progress::Bar;

/// The columns of a book CSV, in the template's order (any order is read; every one must be present).
pub const COLUMNS: [&str; 18] = [
    "customer_id",
    "kind",
    "name",
    "id_number",
    "birth_date",
    "gender",
    "nationality",
    "residence",
    "mobile",
    "phone",
    "email",
    "address_country",
    "address_region_code",
    "address_line",
    "postal_code",
    "relationship_start",
    "relationship_end",
    "last_verified",
];

/// Rows the file reader may run ahead of the writer (the bounded channel between them).
const WRITE_CHUNK: usize = 2000;

/// One refused field of one row: the line (1 is the header) and the column; never the value.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Refusal {
    /// The line of the file, counting the header as line 1.
    pub line: u64,
    /// The column (or `row` for a row-level problem).
    pub field: String,
    /// What is wrong, in words that quote nothing from the row.
    pub reason: &'static str,
}

/// One row's cells by column.
struct Row<'a> {
    cells: Vec<&'a str>,
    index: &'a [usize; COLUMNS.len()],
    line: u64,
    refusals: Vec<Refusal>,
}

impl<'a> Row<'a> {
    fn cell(&self, column: usize) -> &'a str {
        self.cells.get(self.index[column]).copied().unwrap_or("").trim()
    }

    fn refuse(&mut self, column: &str, reason: &'static str) {
        self.refusals.push(Refusal {
            line: self.line,
            field: column.to_owned(),
            reason,
        });
    }

    /// The cell of `name`, parsed by `parse` when it is not empty; a failure is recorded and gives `None`.
    fn optional<T, E>(
        &mut self,
        name: &str,
        reason: &'static str,
        parse: impl FnOnce(&str) -> std::result::Result<T, E>,
    ) -> Option<T> {
        let column = column(name);
        let text = self.cell(column);
        if text.is_empty() {
            return None;
        }
        match parse(text) {
            Ok(v) => Some(v),
            Err(_) => {
                self.refuse(name, reason);
                None
            }
        }
    }

    /// As [`Row::optional`], but an empty cell is refused as missing.
    fn required<T, E>(
        &mut self,
        name: &str,
        reason: &'static str,
        parse: impl FnOnce(&str) -> std::result::Result<T, E>,
    ) -> Option<T> {
        if self.cell(column(name)).is_empty() {
            self.refuse(name, "required, but empty");
            return None;
        }
        self.optional(name, reason, parse)
    }

    fn must_be_empty(&mut self, name: &str, reason: &'static str) {
        if !self.cell(column(name)).is_empty() {
            self.refuse(name, reason);
        }
    }
}

fn column(name: &str) -> usize {
    COLUMNS.iter().position(|c| *c == name).unwrap_or(0)
}

fn date(text: &str) -> std::result::Result<NaiveDate, chrono::ParseError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
}

/// Builds and checks the customer of one row with the model's constructors.
fn customer_of(row: &mut Row<'_>, now: chrono::DateTime<chrono::Utc>, by: &ActorId) -> Option<Customer> {
    const DATE: &str = "not a date (YYYY-MM-DD)";
    let id = row.required("customer_id", "not a UUID (or the nil UUID)", |t| {
        t.parse::<CustomerId>()
    });
    let kind = row.required("kind", "neither person nor organization", |t| match t {
        "person" => Ok(PartyKind::Person),
        "organization" => Ok(PartyKind::Organization),
        _ => Err(()),
    });
    let party = match kind {
        Some(PartyKind::Person) => {
            let name = row.required(
                "name",
                "not a person's name (empty, too long or control characters)",
                PersonName::new,
            );
            let number = row.required(
                "id_number",
                "not a GB 11643 resident identity number (length, date or check digit)",
                ResidentIdNumber::new,
            );
            let birth_date = row.required("birth_date", DATE, date);
            let gender = row.required("gender", "neither female nor male", |t| match t {
                "female" => Ok(Gender::Female),
                "male" => Ok(Gender::Male),
                _ => Err(()),
            });
            let nationality = row.required("nationality", "not an ISO 3166 alpha-2 code", Jurisdiction::new);
            match (name, number, birth_date, gender, nationality) {
                (Some(name), Some(number), Some(birth_date), Some(gender), Some(nationality)) => {
                    let fields = PersonFields {
                        name,
                        birth_date,
                        gender,
                        nationality,
                        document: IdentityDocument::ResidentId(number),
                        guardian: None,
                    };
                    match Person::new(fields) {
                        Ok(p) => Some(Party::Person(p)),
                        Err(_) => {
                            row.refuse(
                                "id_number",
                                "does not agree with birth_date and gender (GB 11643)",
                            );
                            None
                        }
                    }
                }
                _ => None,
            }
        }
        Some(PartyKind::Organization) => {
            let name = row.required("name", "not an organization's name", OrganizationName::new);
            let code = row.required(
                "id_number",
                "not a GB 32100 unified social credit code (length, characters or check)",
                UnifiedSocialCreditCode::new,
            );
            for (field, why) in [
                ("birth_date", "must be empty for an organization"),
                ("gender", "must be empty for an organization"),
                ("nationality", "must be empty for an organization"),
            ] {
                row.must_be_empty(field, why);
            }
            match (name, code) {
                (Some(name), Some(credit_code)) => Some(Party::Organization(Organization {
                    name,
                    credit_code,
                    legal_representative: None,
                    contact_person: None,
                })),
                _ => None,
            }
        }
        None => None,
    };
    let residence = row.required("residence", "not an ISO 3166 alpha-2 code", Jurisdiction::new);
    let mobile = row.optional("mobile", "not a mainland mobile number", MobileNumber::new);
    let phone = row.optional("phone", "not an E.164 phone number", PhoneNumber::new);
    let email = row.optional("email", "not an e-mail address", EmailAddress::new);
    let address = address_of(row);
    let start = row.required("relationship_start", DATE, date);
    let end = row.optional("relationship_end", DATE, date);
    let verified = row.required("last_verified", DATE, date);
    let (Some(id), Some(party), Some(residence), Some(start), Some(verified)) =
        (id, party, residence, start, verified)
    else {
        return None;
    };
    if !row.refusals.is_empty() {
        return None;
    }
    let fields = CustomerFields {
        id,
        party,
        residence,
        contact: ContactSection {
            mobile,
            phone,
            email,
            address,
        },
        accounts: Vec::new(),
        health: None,
        policies: Vec::new(),
        claims: Vec::new(),
        beneficiaries: Vec::new(),
        covered_people: Vec::new(),
        marketing: None,
        kyc: None,
        relationship_start: start,
        relationship_end: end,
        last_verified: verified,
    };
    match Customer::new(fields, now, by.clone()) {
        Ok(c) => Some(c),
        Err(_) => {
            row.refuse(
                "relationship_end",
                "the record's dates do not agree (the relationship ends before it starts)",
            );
            None
        }
    }
}

fn address_of(row: &mut Row<'_>) -> Option<custodia_model::PostalAddress> {
    let line = row.cell(column("address_line"));
    let region = row.cell(column("address_region_code"));
    let postal = row.cell(column("postal_code"));
    if line.is_empty() {
        for field in ["address_country", "address_region_code", "postal_code"] {
            row.must_be_empty(field, "given without address_line");
        }
        return None;
    }
    let country = row.required(
        "address_country",
        "not an ISO 3166 alpha-2 code",
        Jurisdiction::new,
    )?;
    let fields = PostalAddressFields {
        country,
        region_code: (!region.is_empty()).then(|| region.to_owned()),
        lines: vec![line.to_owned()],
        postal_code: (!postal.is_empty()).then(|| postal.to_owned()),
    };
    match PostalAddress::new(fields) {
        Ok(a) => Some(a),
        Err(_) => {
            row.refuse("address_line", "not an address (a control character, a region code that is not six digits, or a bad postal code)");
            None
        }
    }
}

/// What an import did.
#[derive(serde::Serialize)]
pub struct Imported {
    /// Data rows read.
    pub rows: u64,
    /// Customers onboarded.
    pub imported: u64,
    /// Lines refused (with `--skip-invalid`; otherwise the import fails).
    pub refused_lines: Vec<u64>,
    /// Every refused field.
    pub refusals: Vec<Refusal>,
    /// The quality of the imported customers.
    pub quality: BookQualityReport,
}

/// What [`walk`] calls with each row: its line and its cells, or the refusal of a row of the wrong width.
type RowCallback<'c> = dyn FnMut(u64, std::result::Result<Vec<&str>, Refusal>) -> Result<()> + 'c;

/// A book CSV opened with its header checked: every column of [`COLUMNS`] once, no other.
struct BookCsv {
    reader: csv::Reader<std::io::BufReader<std::fs::File>>,
    /// The path, for messages.
    shown: String,
    /// The number of fields of the header (every row must have as many).
    width: usize,
    /// Where each of [`COLUMNS`] is.
    index: [usize; COLUMNS.len()],
}

/// Opens the CSV at `path` and checks its header (UTF-8, a BOM allowed, every column once).
fn open_book_csv(path: &Path) -> Result<BookCsv> {
    let file = std::fs::File::open(path).map_err(CliError::io("open", path))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(std::io::BufReader::with_capacity(1 << 16, file));
    let shown = path.display().to_string();
    let headers = reader
        .byte_headers()
        .map_err(|_| CliError::input(&shown, "cannot read the header line"))?
        .clone();
    let mut names = Vec::new();
    for (n, field) in headers.iter().enumerate() {
        let field = if n == 0 {
            field.strip_prefix(b"\xef\xbb\xbf").unwrap_or(field)
        } else {
            field
        };
        let name = std::str::from_utf8(field).map_err(|_| CliError::NotUtf8 {
            path: shown.clone(),
            line: 1,
        })?;
        names.push(name.trim().to_owned());
    }
    let mut index = [usize::MAX; COLUMNS.len()];
    for (n, name) in names.iter().enumerate() {
        match COLUMNS.iter().position(|c| c == name) {
            Some(c) if index[c] == usize::MAX => index[c] = n,
            Some(_) => {
                return Err(CliError::input(
                    &shown,
                    format!("column {name} appears twice in the header"),
                ));
            }
            None => {
                return Err(CliError::input(
                    &shown,
                    format!(
                        "unknown column {name:?} in the header (the columns are: {})",
                        COLUMNS.join(",")
                    ),
                ));
            }
        }
    }
    if let Some(missing) = index.iter().position(|i| *i == usize::MAX) {
        return Err(CliError::input(
            &shown,
            format!("column {} is missing from the header", COLUMNS[missing]),
        ));
    }
    Ok(BookCsv {
        reader,
        shown,
        width: names.len(),
        index,
    })
}

/// Walks the CSV at `path`, calling `each` with every row (its line and its cells).
fn walk(path: &Path, each: &mut RowCallback<'_>) -> Result<[usize; COLUMNS.len()]> {
    let BookCsv {
        mut reader,
        shown,
        width,
        index,
    } = open_book_csv(path)?;
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                return Err(CliError::input(
                    &shown,
                    format!("line {line}: not well-formed CSV (an unclosed quote?)"),
                ));
            }
        }
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        if record.len() != width {
            let refusal = Refusal {
                line,
                field: "row".into(),
                reason: "has another number of fields than the header",
            };
            each(line, Err(refusal))?;
            continue;
        }
        let mut cells = Vec::with_capacity(record.len());
        for field in record.iter() {
            cells.push(std::str::from_utf8(field).map_err(|_| CliError::NotUtf8 {
                path: shown.clone(),
                line,
            })?);
        }
        each(line, Ok(cells))?;
    }
    Ok(index)
}

/// `book import`: validates the whole file first, then writes (all or, with `skip_invalid`, the valid rows).
pub fn import(ctx: &Context, path: &Path, notice: &Path, skip_invalid: bool, by: &str) -> Result<()> {
    let by = ActorId::new(by)?;
    let notice: Notice = custodia_model::from_json(&read(notice)?)
        .map_err(|e| CliError::input(notice.display().to_string(), e.to_string()))?;
    let brokerage = ctx.open()?;
    let now = brokerage.now();
    let reference = notice.reference();
    let existing = existing_ids(&brokerage)?;

    // Pass 1: every row checked; only line numbers and ids kept.
    let (mut refusals, mut bad_lines, mut seen, mut rows) =
        (Vec::new(), BTreeSet::new(), HashSet::new(), 0u64);
    let bar = Bar::new("checking rows");
    let index = header_index(path)?;
    walk(path, &mut |line, cells| {
        rows += 1;
        bar.set(rows);
        let mut row = match cells {
            Ok(cells) => Row {
                cells,
                index: &index,
                line,
                refusals: Vec::new(),
            },
            Err(refusal) => {
                bad_lines.insert(line);
                refusals.push(refusal);
                return Ok(());
            }
        };
        if let Some(c) = customer_of(&mut row, now, &by) {
            if existing.contains(&c.id()) {
                row.refuse("customer_id", "already in the store");
            } else if !seen.insert(c.id()) {
                row.refuse("customer_id", "appears on an earlier line of the file");
            }
        }
        if !row.refusals.is_empty() {
            bad_lines.insert(line);
            refusals.append(&mut row.refusals);
        }
        Ok(())
    })?;
    drop(bar);
    drop(seen);
    tracing::info!(rows, refused = bad_lines.len(), "rows checked");
    for r in &refusals {
        eprintln!("{}: line {}: {}: {}", path.display(), r.line, r.field, r.reason);
    }
    if !bad_lines.is_empty() && !skip_invalid {
        return Err(CliError::RowsRefused {
            path: path.display().to_string(),
            rejected: bad_lines.len() as u64,
            rows,
        });
    }

    // Pass 2: the notice published (idempotent), then the valid rows onboarded in one unit of work
    // (`Brokerage::onboard_all`: the whole file or nothing, even if the process stops half way), the
    // quality report built on the way. A second thread reads the file and hands the customers over a
    // bounded channel, so memory stays bounded however long the file is.
    brokerage.publish_notice(&notice)?;
    let bar = Bar::new("importing");
    bar.set_total(rows - bad_lines.len() as u64);
    let (onboarded, quality) = std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Onboarding>>(WRITE_CHUNK);
        let (bad_lines, index, by) = (&bad_lines, &index, &by);
        let reader = scope.spawn(move || {
            let mut quality = BookQualityReport::new(now.date_naive(), QualityConfig::default(), 10);
            let read = walk(path, &mut |line, cells| {
                let Ok(cells) = cells else { return Ok(()) };
                if bad_lines.contains(&line) {
                    return Ok(());
                }
                let mut row = Row {
                    cells,
                    index,
                    line,
                    refusals: Vec::new(),
                };
                let customer = customer_of(&mut row, now, by).ok_or_else(|| {
                    CliError::input(
                        path.display().to_string(),
                        format!("line {line} changed while importing"),
                    )
                })?;
                quality.add(&assess_customer(
                    &customer,
                    now.date_naive(),
                    &QualityConfig::default(),
                ));
                // The writer stopped (the brokerage refused): nothing more to hand over.
                tx.send(Ok(Onboarding::new(customer, reference)))
                    .map_err(|_| CliError::Usage("the import stopped"))
            });
            if let Err(e) = read {
                // The writer rolls the whole import back when it receives the error.
                let _ = tx.send(Err(e));
            }
            quality
        });
        let onboarded = brokerage.onboard_all(rx, &mut |p| bar.set(p.done()));
        (onboarded, reader.join())
    });
    drop(bar);
    let imported = onboarded??.customers;
    let quality = quality.map_err(|_| CliError::Usage("the file reader stopped unexpectedly"))?;
    tracing::info!(customers = imported, "onboarded");
    let result = Imported {
        rows,
        imported,
        refused_lines: bad_lines.into_iter().collect(),
        refusals,
        quality,
    };
    ctx.emit(
        || {
            let mut text = format!(
                "imported {} of {} rows from {}",
                result.imported,
                result.rows,
                path.display()
            );
            if !result.refused_lines.is_empty() {
                let lines: Vec<String> = result.refused_lines.iter().map(u64::to_string).collect();
                text.push_str(&format!("\nrefused lines: {}", lines.join(",")));
            }
            text.push('\n');
            text.push_str(&render_quality(&result.quality));
            text
        },
        || serde_json::to_value(&result).unwrap_or_default(),
    );
    Ok(())
}

/// The column positions of the header.
fn header_index(path: &Path) -> Result<[usize; COLUMNS.len()]> {
    Ok(open_book_csv(path)?.index)
}

/// The ids already in the store (none for a fresh store): a new row must not repeat one.
fn existing_ids(brokerage: &Brokerage) -> Result<HashSet<CustomerId>> {
    let mut ids = HashSet::new();
    let mut after = None;
    loop {
        let page = brokerage.customer_ids(after, 10_000)?;
        let Some(last) = page.last().copied() else { break };
        ids.extend(page);
        after = Some(last);
    }
    Ok(ids)
}

/// The human form of a quality report: counts, rule codes and field paths only.
pub fn render_quality(q: &BookQualityReport) -> String {
    let mut out = format!(
        "data quality as of {}: {} customers ({} persons, {} organizations), {} clean, {} complete, {} stale; completeness {:.1}%",
        q.as_of,
        q.customers,
        q.persons,
        q.organizations,
        q.clean_customers,
        q.complete_customers,
        q.stale_customers,
        q.completeness() * 100.0
    );
    for (rule, n) in &q.issues_by_rule {
        out.push_str(&format!("\n  {rule}: {n}"));
    }
    out
}

/// `book quality`: every customer of the store assessed.
pub fn quality(ctx: &Context, worst: usize) -> Result<()> {
    let brokerage = ctx.open()?;
    let as_of = brokerage.now().date_naive();
    let mut report = BookQualityReport::new(as_of, QualityConfig::default(), worst);
    let (mut after, mut erased) = (None, 0u64);
    let bar = Bar::new("assessing");
    loop {
        let page = brokerage.customer_ids(after, 1000)?;
        let Some(last) = page.last().copied() else { break };
        for id in page {
            match brokerage.read_customer_trusted(id) {
                Ok(c) => report.add(&assess_customer(&c, as_of, &QualityConfig::default())),
                Err(BrokerageError::CustomerErased { .. }) => erased += 1,
                Err(e) => return Err(e.into()),
            }
            bar.set(report.customers);
        }
        after = Some(last);
    }
    drop(bar);
    ctx.emit(
        || {
            let mut text = render_quality(&report);
            for w in &report.worst {
                text.push_str(&format!(
                    "\n  worst: {} ({:.0}% complete, {} issues)",
                    w.customer,
                    w.completeness * 100.0,
                    w.issues
                ));
            }
            if erased > 0 {
                text.push_str(&format!("\n  {erased} erased customers not assessed"));
            }
            text
        },
        || serde_json::json!({ "quality": report, "erased": erased }),
    );
    Ok(())
}

/// `customer show`: the record, masked (the model's masks), unless `reveal`.
pub fn show(ctx: &Context, id: &str, reveal: bool) -> Result<()> {
    let id: CustomerId = id
        .parse()
        .map_err(|_| CliError::input("customer id", "not a UUID"))?;
    let brokerage = ctx.open()?;
    let c = brokerage.read_customer_trusted(id)?;
    if reveal {
        eprintln!("custodia: --reveal prints personal information unmasked (the trusted read path)");
        let json = serde_json::to_string_pretty(c.fields())
            .map_err(|_| CliError::input("customer", "cannot render"))?;
        println!("{json}");
        return Ok(());
    }
    let f = c.fields();
    let (name, document) = match &f.party {
        Party::Person(p) => (p.name().mask(), p.document().mask()),
        Party::Organization(o) => (o.name.as_str().to_owned(), o.credit_code.mask()),
    };
    let categories: Vec<String> = c.categories_held().iter().map(|c| c.to_string()).collect();
    let masked = serde_json::json!({
        "customer": id.to_string(),
        "version": c.version().number(),
        "kind": format!("{:?}", c.kind()).to_lowercase(),
        "name": name,
        "document": document,
        "residence": f.residence.to_string(),
        "mobile": f.contact.mobile.as_ref().map(MobileNumber::mask),
        "phone": f.contact.phone.as_ref().map(PhoneNumber::mask),
        "email": f.contact.email.as_ref().map(EmailAddress::mask),
        "address": f.contact.address.as_ref().map(PostalAddress::mask),
        "relationship_start": f.relationship_start,
        "relationship_end": f.relationship_end,
        "last_verified": f.last_verified,
        "categories": categories,
    });
    ctx.emit(
        || {
            let mut text = String::new();
            if let Some(map) = masked.as_object() {
                for (k, v) in map {
                    let v = match v {
                        serde_json::Value::String(s) => s.clone(),
                        serde_json::Value::Null => "-".into(),
                        other => other.to_string(),
                    };
                    text.push_str(&format!("{k}: {v}\n"));
                }
            }
            text.trim_end().to_owned()
        },
        || masked.clone(),
    );
    Ok(())
}
