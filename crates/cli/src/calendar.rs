//! `calendar show | set | extend`: the mainland working-day calendar deadlines are counted over (Civil Code
//! Arts 201, 203; rights requests' working days, PIPL Art 50; a transfer's objection window, PIPL Art 22).
//!
//! The shipped calendar knows 2026 only; past its last day every deadline is refused, never guessed. When the
//! State Council publishes the next year's holiday arrangements, an operator writes them as a calendar file
//! (JSON: name, first, last, holidays, working_weekends) and extends the calendar in force with it; the store
//! keeps it, so every later command and the service count over it, and the change is on the ledger.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use custodia_brokerage::BrokerageError;
use custodia_model::WorkingDayCalendar;

use crate::context::{Context, read};
use crate::error::{CliError, Result};

#[derive(Subcommand)]
pub enum CalendarCommand {
    /// The calendar in force: its name, first and last day (with --json, the whole calendar).
    #[command(after_help = "Example:\n  custodia --store ./seller calendar show")]
    Show,
    /// Record a whole calendar as the one in force. It must start no later than the one in force, know
    /// today, and classify every day up to today the same way.
    #[command(
        after_help = "Example:\n  custodia --store ./seller calendar set --calendar cn-mainland-2026-2027.json"
    )]
    Set {
        /// The calendar (JSON: name, first, last, holidays, working_weekends).
        #[arg(long, value_name = "FILE")]
        calendar: PathBuf,
    },
    /// Join a calendar that starts on the day after the last day of the one in force (the next year's
    /// arrangements) and record the result.
    #[command(
        after_help = "Example:\n  custodia --store ./seller calendar extend --calendar cn-mainland-2027.json"
    )]
    Extend {
        /// The next calendar (JSON: name, first, last, holidays, working_weekends).
        #[arg(long, value_name = "FILE")]
        calendar: PathBuf,
    },
}

pub fn run(ctx: &Context, command: CalendarCommand) -> Result<()> {
    let b = ctx.open()?;
    let in_force = match command {
        CalendarCommand::Show => b.calendar()?,
        CalendarCommand::Set { calendar } => {
            let calendar = load(&calendar)?;
            b.set_calendar(&calendar)?;
            calendar
        }
        // The model refuses a calendar that does not continue the one in force: an input, named by its file.
        CalendarCommand::Extend { calendar } => {
            b.extend_calendar(&load(&calendar)?).map_err(|e| match e {
                BrokerageError::Model(e) => CliError::input(calendar.display().to_string(), e.to_string()),
                e => e.into(),
            })?
        }
    };
    ctx.emit(
        || {
            format!(
                "calendar in force: {} ({} to {})",
                in_force.name(),
                in_force.first(),
                in_force.last()
            )
        },
        || serde_json::json!({ "calendar": in_force.fields() }),
    );
    Ok(())
}

/// Reads and checks a calendar file; a refusal names the file and what the model refused.
fn load(path: &Path) -> Result<WorkingDayCalendar> {
    custodia_model::from_json(&read(path)?)
        .map_err(|e| CliError::input(path.display().to_string(), e.to_string()))
}
