//! The CLI's errors and exit codes: every failure rendered from a typed error, never with a personal value.

use std::path::Path;

use custodia_brokerage::BrokerageError;
use custodia_rights::RightsError;

/// Exit code: everything asked was done.
pub const OK: u8 = 0;
/// Exit code: a verification ran and the artefact failed it (a flipped byte, a wrong key, a broken chain).
pub const VERIFY_FAILED: u8 = 1;
/// Exit code: the command line was wrong (clap's own code for usage errors).
pub const USAGE: u8 = 2;
/// Exit code: an input was refused — a CSV row that fails the model's checks, a file in the wrong encoding or
/// format — and nothing was written.
pub const INPUT_REFUSED: u8 = 3;
/// Exit code: anything else failed — the store, a file, a key, a step refused in its case's state.
pub const FAILED: u8 = 4;

/// What can go wrong in a command. The messages name files, fields, line numbers, ids and counts; the
/// errors of the libraries below never carry a personal value (their contract), and neither do ours.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The brokerage refused or failed.
    #[error(transparent)]
    Brokerage(#[from] BrokerageError),
    /// A transfer artefact was refused (agreement, package, receipt).
    #[error(transparent)]
    Transfer(#[from] custodia_transfer::TransferError),
    /// A model value was refused.
    #[error(transparent)]
    Model(#[from] custodia_model::ModelError),
    /// A ledger artefact was refused.
    #[error(transparent)]
    Ledger(#[from] custodia_ledger::LedgerError),
    /// A principal or an approval was refused (custodia-access).
    #[error(transparent)]
    Access(#[from] custodia_access::AccessError),
    /// A file could not be read or written.
    #[error("{operation} {path}: {source}")]
    Io {
        /// What was being done.
        operation: &'static str,
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// An input file or argument was refused; the reason names the field or line, never a value.
    #[error("{what}: {reason}")]
    Input {
        /// The file or argument.
        what: String,
        /// Why.
        reason: String,
    },
    /// The command line lacks something the command needs (clap's own usage errors exit 2 as well).
    #[error("{0}")]
    Usage(&'static str),
    /// Rows of a CSV file were refused (each listed before this error).
    #[error(
        "{path}: {rejected} of {rows} rows refused; nothing was imported (see the lines above, or use --skip-invalid)"
    )]
    RowsRefused {
        /// The file.
        path: String,
        /// Rows refused.
        rejected: u64,
        /// Rows read.
        rows: u64,
    },
    /// The CSV is not UTF-8.
    #[error(
        "{path}: line {line} is not UTF-8 (a spreadsheet export in GB18030?); convert the file first: \
         iconv -f GB18030 -t UTF-8 {path} > book-utf8.csv"
    )]
    NotUtf8 {
        /// The file.
        path: String,
        /// The first line that is not.
        line: u64,
    },
    /// A verification failed: what was checked and the opaque reason.
    #[error("verification failed: {what}: {reason}")]
    Verify {
        /// The artefact.
        what: String,
        /// The library's reason.
        reason: String,
    },
}

impl CliError {
    /// A file operation's error, naming the path.
    pub fn io(operation: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.display().to_string();
        move |source| CliError::Io {
            operation,
            path,
            source,
        }
    }

    /// An input refused.
    pub fn input(what: impl Into<String>, reason: impl Into<String>) -> Self {
        CliError::Input {
            what: what.into(),
            reason: reason.into(),
        }
    }

    /// The exit code of this error (see the crate docs).
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Verify { .. } => VERIFY_FAILED,
            CliError::Usage(_) => USAGE,
            CliError::Input { .. } | CliError::RowsRefused { .. } | CliError::NotUtf8 { .. } => INPUT_REFUSED,
            CliError::Model(_) | CliError::Transfer(_) | CliError::Access(_) => INPUT_REFUSED,
            CliError::Brokerage(BrokerageError::InvalidInput { .. }) => INPUT_REFUSED,
            // After an incident, only an inspected document dated after it verifies (the message names the
            // incident): the check given is refused, nothing recorded.
            CliError::Brokerage(BrokerageError::ReverificationRequired { .. }) => INPUT_REFUSED,
            // An incident's input refused (no system, no category, an empty exposure, a bad reference).
            CliError::Brokerage(BrokerageError::Oversight(custodia_oversight::OversightError::Invalid {
                ..
            })) => INPUT_REFUSED,
            CliError::Brokerage(BrokerageError::UnknownPrincipal { .. }) => INPUT_REFUSED,
            // `--store` names no store, a store with unreadable settings, or (at init) one already there.
            CliError::Brokerage(
                BrokerageError::NotAStoreDir { .. }
                | BrokerageError::StoreSettingsMalformed { .. }
                | BrokerageError::StoreDirInUse { .. },
            ) => INPUT_REFUSED,
            // A request refused as given: an unknown customer, a duplicate of an open one, a malformed field,
            // a refusal code that does not fit the kind, an answer of another customer.
            CliError::Brokerage(BrokerageError::Rights(
                RightsError::InvalidInput { .. }
                | RightsError::UnknownCustomer { .. }
                | RightsError::Duplicate { .. }
                | RightsError::RefusalNotApplicable { .. }
                | RightsError::OtherCustomer { .. }
                | RightsError::AnswerMismatch { .. }
                | RightsError::IdentityTooWeak { .. }
                | RightsError::NotAvailable { .. }
                | RightsError::ReceiptInvalid,
            )) => INPUT_REFUSED,
            _ => FAILED,
        }
    }
}

/// `Result` with [`CliError`].
pub type Result<T> = std::result::Result<T, CliError>;

/// The message of `e` with each cause once, joined by `: `.
pub fn render(e: &CliError) -> String {
    let mut parts = vec![e.to_string()];
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        let text = c.to_string();
        if !parts.last().is_some_and(|p| p.contains(&text)) {
            parts.push(text);
        }
        cause = c.source();
    }
    parts.join(": ")
}
