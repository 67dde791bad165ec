//! `custodia-service`: serves a brokerage's store directory (made by `custodia --store <dir> init`) over
//! HTTP on SQLite (or, with feature `postgres` and `--postgres-schema`, on a PostgreSQL schema), with the staff
//! tokens of a tokens file; `custodia-service mint-token --principal <id>` prints a fresh token (once) and the
//! line to add to the tokens file; `custodia-service link-key --out FILE` creates the customer links' key file
//! for `--link-key`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use custodia_brokerage::{Brokerage, BrokerageConfig, KeyFile, StoreDir};
use custodia_model::ActorId;
use custodia_service::{AppState, LinkKey, RateLimit, TokenTable, mint_token, router, serve};

/// The custodia HTTP service.
#[derive(Parser)]
#[command(name = "custodia-service", version, args_conflicts_with_subcommands = true)]
struct Cli {
    /// The store directory (made by `custodia --store <dir> init`).
    #[arg(long, value_name = "DIR")]
    store: Option<PathBuf>,
    /// The root-secret key file, if not root.key in the store directory (mode 0600).
    #[arg(long, value_name = "FILE")]
    key_file: Option<PathBuf>,
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The tokens file: a JSON array of {"principal", "sha256"}.
    #[arg(long, value_name = "FILE")]
    tokens: Option<PathBuf>,
    /// The customer links' HMAC key file (64 hex digits, mode 0600; made by `link-key --out FILE`). Without
    /// it the customer pages answer 503 `links_not_configured`.
    #[arg(long, value_name = "FILE")]
    link_key: Option<PathBuf>,
    /// Requests allowed per token per minute (429 past it); 0 for no limit.
    #[arg(long, default_value_t = 600, value_name = "N")]
    rate_limit: u32,
    /// Open the brokerage on this PostgreSQL schema instead of the directory's SQLite file (feature
    /// `postgres`): the server's URL is read from the environment variable CUSTODIA_PG_URL, never from
    /// the command line (where `ps` would show its password); the directory still gives the settings and
    /// the key file. Several instances on one schema share one ledger.
    #[cfg(feature = "postgres")]
    #[arg(long, value_name = "SCHEMA")]
    postgres_schema: Option<String>,
    /// Requests allowed per client address per minute on the unauthenticated routes (customer pages,
    /// checkpoint; 429 past it); 0 for no limit.
    #[arg(long, default_value_t = 120, value_name = "N")]
    public_rate_limit: u32,
    /// Where audit packs exported over HTTP are kept (default: audit-packs in the store directory).
    #[arg(long, value_name = "DIR")]
    audit_packs: Option<PathBuf>,
    /// Log to stderr (ids and counts only); -vv for more.
    #[arg(short, long, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Mint a bearer token for a principal: the token on stdout's first line (shown once), its tokens-file
    /// entry on the second.
    MintToken {
        /// The principal (stored with `custodia access principal put`).
        #[arg(long)]
        principal: String,
    },
    /// Create a fresh customer-link key file (mode 0600; refused if the file exists) for `--link-key`.
    LinkKey {
        /// The key file to create.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = match cli.verbose {
        0 => tracing::Level::WARN,
        1 => tracing::Level::INFO,
        _ => tracing::Level::DEBUG,
    };
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .init();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("custodia-service: {message}");
            ExitCode::from(2)
        }
    }
}

/// The SQLite file of the store directory, or with `--postgres-schema` that schema on the server of
/// CUSTODIA_PG_URL.
fn store_config(cli: &Cli, store: &StoreDir) -> Result<BrokerageConfig, String> {
    #[cfg(feature = "postgres")]
    if let Some(schema) = &cli.postgres_schema {
        let url = std::env::var(PG_URL_VAR)
            .ok()
            .filter(|url| !url.is_empty())
            .ok_or_else(|| format!("--postgres-schema needs the server's URL in {PG_URL_VAR}"))?;
        let config = custodia_brokerage::PostgresConfig::new()
            .with_schema(schema)
            .map_err(|e| format!("--postgres-schema: {e}"))?;
        return store.postgres_config(&url, config).map_err(|e| e.to_string());
    }
    let _ = cli;
    store.config().map_err(|e| e.to_string())
}

/// The environment variable holding the PostgreSQL server's URL.
#[cfg(feature = "postgres")]
const PG_URL_VAR: &str = "CUSTODIA_PG_URL";

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Some(Command::MintToken { principal }) => {
            let id = ActorId::new(&principal).map_err(|_| "--principal is not a principal id".to_owned())?;
            let (token, line) = mint_token(&id).map_err(|e| e.to_string())?;
            let line = serde_json::to_string(&line).map_err(|e| e.to_string())?;
            println!("{}\n{line}", token.expose());
            return Ok(());
        }
        Some(Command::LinkKey { out }) => {
            LinkKey::create_file(&out).map_err(|e| e.to_string())?;
            println!("customer-link key written to {} (mode 0600)", out.display());
            return Ok(());
        }
        None => {}
    }
    let dir = cli.store.clone().ok_or("--store <DIR> is required")?;
    let tokens_path = cli.tokens.clone().ok_or("--tokens <FILE> is required")?;
    let tokens = TokenTable::load(&tokens_path).map_err(|e| e.to_string())?;
    let audit_packs = cli.audit_packs.clone().unwrap_or_else(|| dir.join("audit-packs"));
    let store = StoreDir::new(dir);
    let brokerage = Brokerage::open(
        store_config(&cli, &store)?,
        &KeyFile::new(store.key_file(cli.key_file.as_deref())),
    )
    .map_err(|e| e.to_string())?;
    for principal in tokens.principals() {
        if brokerage
            .principal(principal)
            .map_err(|e| e.to_string())?
            .is_none()
        {
            return Err(format!(
                "tokens file: principal {principal} has no record in the store"
            ));
        }
    }
    let mut state = AppState::new(Arc::new(brokerage), tokens).with_audit_packs(audit_packs);
    if let Some(path) = &cli.link_key {
        state = state.with_link_key(LinkKey::load(path).map_err(|e| e.to_string())?);
    }
    if cli.rate_limit > 0 {
        state = state.with_rate_limit(RateLimit {
            requests: cli.rate_limit,
            window: Duration::from_secs(60),
        });
    }
    if cli.public_rate_limit > 0 {
        state = state.with_public_rate_limit(RateLimit {
            requests: cli.public_rate_limit,
            window: Duration::from_secs(60),
        });
    }
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(cli.listen)
            .await
            .map_err(|e| format!("bind {} failed: {e}", cli.listen))?;
        // The bound address, not the asked one: `--listen 127.0.0.1:0` takes a free port, and whoever
        // started the service reads it here.
        let bound = listener
            .local_addr()
            .map_err(|e| format!("bind {} failed: {e}", cli.listen))?;
        tracing::info!(listen = %bound, "serving");
        eprintln!("custodia-service: listening on http://{bound}");
        let shutdown = async {
            // Ctrl-C or SIGTERM (a service manager's stop): in-flight requests finish first.
            let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            let terminated = async {
                match term.as_mut() {
                    Some(term) => {
                        term.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                () = terminated => {}
            }
        };
        serve(listener, router(state), shutdown)
            .await
            .map_err(|e| e.to_string())
    })
}
