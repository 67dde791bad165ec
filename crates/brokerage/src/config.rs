//! How a brokerage is opened: which store, which clock, which ledger origin and which policies — a config struct with a documented default for every setting.

use std::fmt;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::Arc;

use custodia_consent::{BasisPolicy, TransferPath};
use custodia_crypto::{BlindIndexConfig, KeyringConfig};
use custodia_model::WorkingDayCalendar;
use custodia_retention::Profile;
#[cfg(feature = "postgres")]
use custodia_store::PostgresConfig;
#[cfg(feature = "sqlite")]
use custodia_store::SqliteConfig;
#[cfg(feature = "postgres")]
use zeroize::Zeroizing;

use crate::clock::{Clock, SystemClock};

/// The default number of customers per transaction in streaming steps (onboarding a batch, serving
/// notices, planning, disposition): large enough to amortize a commit, small enough that a step's memory
/// stays a few megabytes whatever the size of the book.
pub const DEFAULT_BATCH: NonZeroUsize = match NonZeroUsize::new(500) {
    Some(n) => n,
    None => NonZeroUsize::MIN,
};

/// Which store a brokerage opens.
pub(crate) enum StoreLocation {
    #[cfg(feature = "sqlite")]
    Sqlite { path: PathBuf, config: SqliteConfig },
    #[cfg(feature = "postgres")]
    Postgres {
        // The URL may carry a password: kept only until the connection is made, and never shown.
        url: Zeroizing<String>,
        config: PostgresConfig,
    },
}

/// Everything [`crate::Brokerage::open`] needs besides the key source.
///
/// | setting | default | why |
/// |---|---|---|
/// | store | (required) | an SQLite file (`BrokerageConfig::sqlite`) or PostgreSQL (`BrokerageConfig::postgres`, feature `postgres`) |
/// | clock | the system clock | tests and simulations inject a [`crate::ManualClock`] |
/// | ledger origin | `brokerage.invalid/ledger` | the C2SP checkpoint origin; set your own domain |
/// | consent bases | `BasisPolicy::cn_insurance_broker` | the legal basis of each purpose (PIPL Art 13) |
/// | retention profile | `Profile::cn_insurance_broker` | periods and floors (Broker Rule 2018 Art 51, AML Law 2024 Art 34) |
/// | working-day calendar | `WorkingDayCalendar::mainland_2026` | deadlines that end on a holiday move to the next working day (Civil Code Art 203); past its last day a deadline is an error, never a guess; a calendar recorded in the store with `Brokerage::set_calendar` takes precedence |
/// | blind index | sized for 10 million customers, 3 indexes each | fixed at the store's first opening; later openings keep it |
/// | keyring | one KEK wraps at most 2³⁰ keys | NIST SP 800-38D §8.3 |
/// | batch | 500 customers per transaction | [`DEFAULT_BATCH`] |
pub struct BrokerageConfig {
    pub(crate) location: StoreLocation,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) origin: String,
    pub(crate) basis_policy: BasisPolicy,
    pub(crate) profile: Option<Profile>,
    pub(crate) calendar: Option<WorkingDayCalendar>,
    pub(crate) blind_index: Option<BlindIndexConfig>,
    pub(crate) keyring: KeyringConfig,
    pub(crate) batch: NonZeroUsize,
    pub(crate) monitor: custodia_access::MonitorSettings,
    pub(crate) sensitivity: custodia_model::SensitivityPolicy,
    pub(crate) access_log: custodia_access::LogSettings,
}

impl BrokerageConfig {
    fn with_location(location: StoreLocation) -> Self {
        Self {
            location,
            clock: Arc::new(SystemClock),
            origin: "brokerage.invalid/ledger".to_owned(),
            basis_policy: BasisPolicy::cn_insurance_broker(TransferPath::MergerNotice),
            profile: None,
            calendar: None,
            blind_index: None,
            keyring: KeyringConfig::default(),
            batch: DEFAULT_BATCH,
            monitor: custodia_access::MonitorSettings::default(),
            sensitivity: custodia_model::SensitivityPolicy::default(),
            access_log: custodia_access::LogSettings::default(),
        }
    }

    /// A brokerage in the SQLite file at `path` (created if missing), at full durability: an
    /// acknowledged step survives a crash or a power loss.
    #[cfg(feature = "sqlite")]
    pub fn sqlite(path: impl Into<PathBuf>) -> Self {
        Self::sqlite_with(path, SqliteConfig::new())
    }

    /// A brokerage in the SQLite file at `path` with the given SQLite settings.
    #[cfg(feature = "sqlite")]
    pub fn sqlite_with(path: impl Into<PathBuf>, config: SqliteConfig) -> Self {
        Self::with_location(StoreLocation::Sqlite {
            path: path.into(),
            config,
        })
    }

    /// A brokerage in the PostgreSQL schema `config` names, at `url`
    /// (`postgresql://user:password@host:5432/db`). Several instances may share one schema; their writes
    /// serialize in the database. The URL is kept only until the connection is made and is never shown.
    #[cfg(feature = "postgres")]
    pub fn postgres(url: &str, config: PostgresConfig) -> Self {
        Self::with_location(StoreLocation::Postgres {
            url: Zeroizing::new(url.to_owned()),
            config,
        })
    }

    /// The same settings, reading the time from `clock`.
    pub fn with_clock(self, clock: impl Clock + 'static) -> Self {
        Self {
            clock: Arc::new(clock),
            ..self
        }
    }

    /// The same settings with the ledger's checkpoint origin `origin` (for example
    /// `broker.example.cn/ledger`).
    pub fn with_origin(self, origin: impl Into<String>) -> Self {
        Self {
            origin: origin.into(),
            ..self
        }
    }

    /// The same settings with another consent basis policy (PIPL Art 13).
    pub fn with_basis_policy(self, basis_policy: BasisPolicy) -> Self {
        Self { basis_policy, ..self }
    }

    /// The same settings with another retention profile.
    pub fn with_profile(self, profile: Profile) -> Self {
        Self {
            profile: Some(profile),
            ..self
        }
    }

    /// The same settings with another working-day calendar (the State Council's holidays and make-up
    /// working days of the years the brokerage's deadlines fall in). It is used while the store has no
    /// calendar recorded with [`crate::Brokerage::set_calendar`]; once one is recorded, that one is in force.
    pub fn with_calendar(self, calendar: WorkingDayCalendar) -> Self {
        Self {
            calendar: Some(calendar),
            ..self
        }
    }

    /// The same settings with another blind-index size. It applies when the store is first opened; a
    /// store keeps the size it was created with, since indexes of another size would find nobody.
    pub fn with_blind_index(self, config: BlindIndexConfig) -> Self {
        Self {
            blind_index: Some(config),
            ..self
        }
    }

    /// The same settings with another keyring configuration.
    pub fn with_keyring(self, keyring: KeyringConfig) -> Self {
        Self { keyring, ..self }
    }

    /// The same settings with `batch` customers per transaction in streaming steps.
    pub fn with_batch(self, batch: NonZeroUsize) -> Self {
        Self { batch, ..self }
    }

    /// The same settings with the bulk-read monitors' thresholds `monitor` (default:
    /// `MonitorSettings::default()`, documented there); a zero window or threshold is refused at open.
    pub fn with_monitor(self, monitor: custodia_access::MonitorSettings) -> Self {
        Self { monitor, ..self }
    }

    /// The same settings with the book's sensitivity settings `sensitivity` (default:
    /// `SensitivityPolicy::default()`, custodia-model's cautious reading): the gate treats a section as
    /// sensitive when its category is or these settings say so (PIPL Art 28).
    pub fn with_sensitivity(self, sensitivity: custodia_model::SensitivityPolicy) -> Self {
        Self { sensitivity, ..self }
    }

    /// The same settings with the access log's retention `access_log` (default 36 months; at least 6,
    /// checked by `LogSettings::new` and again at open), enforced by [`crate::Brokerage::expire_access_log`].
    pub fn with_access_log(self, access_log: custodia_access::LogSettings) -> Self {
        Self { access_log, ..self }
    }
}

impl fmt::Debug for BrokerageConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let store = match &self.location {
            #[cfg(feature = "sqlite")]
            StoreLocation::Sqlite { path, .. } => format!("sqlite {}", path.display()),
            // Never the URL: it may carry a password.
            #[cfg(feature = "postgres")]
            StoreLocation::Postgres { config, .. } => format!("postgres schema {}", config.schema()),
        };
        f.debug_struct("BrokerageConfig")
            .field("store", &store)
            .field("origin", &self.origin)
            .field("batch", &self.batch)
            .finish_non_exhaustive()
    }
}
