//! Units of work on SQLite: one `BEGIN IMMEDIATE` transaction around many seam calls, each call's own transaction a savepoint inside it.

use std::ops::Deref;
use std::sync::atomic::Ordering;

use rusqlite::Connection;

use super::SqliteStore;
use crate::error::StoreError;
use crate::unit::{Leave, UnitOfWork};

/// A seam call's write transaction: `BEGIN IMMEDIATE` when the connection has none open (the write lock is
/// taken before anything is read, so no other writer slips in between a check and a write), a savepoint
/// when a unit of work is open (its writes then commit with the unit). Rolled back when dropped without
/// [`WriteTx::commit`].
pub(crate) struct WriteTx<'c> {
    conn: &'c Connection,
    nested: bool,
    done: bool,
}

impl<'c> WriteTx<'c> {
    /// Begins a write transaction, or a savepoint inside the open one.
    pub(crate) fn begin(conn: &'c Connection) -> rusqlite::Result<Self> {
        let nested = !conn.is_autocommit();
        run(
            conn,
            if nested {
                "SAVEPOINT custodia_call"
            } else {
                "BEGIN IMMEDIATE"
            },
        )?;
        Ok(Self {
            conn,
            nested,
            done: false,
        })
    }

    /// Commits (or releases the savepoint into the unit).
    pub(crate) fn commit(mut self) -> rusqlite::Result<()> {
        self.done = true;
        run(
            self.conn,
            if self.nested {
                "RELEASE custodia_call"
            } else {
                "COMMIT"
            },
        )
    }
}

/// Runs one transaction-control statement through the statement cache: a unit of work takes a savepoint
/// for every seam call, and parsing the same few words each time would cost more than the call's insert.
fn run(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

impl Deref for WriteTx<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl Drop for WriteTx<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        // Nothing to report to: the caller is already returning the error that made it drop us, and a
        // failed rollback leaves SQLite rolling back on its own when the connection closes.
        if self.nested {
            let _ = run(self.conn, "ROLLBACK TO custodia_call")
                .and_then(|()| run(self.conn, "RELEASE custodia_call"));
        } else {
            let _ = run(self.conn, "ROLLBACK");
        }
    }
}

/// Ends an open unit: rolls back if dropped before [`Unit::commit`] (an `Err` or a panic in the body).
struct Unit<'s> {
    store: &'s SqliteStore,
    nested: bool,
    done: bool,
}

impl Unit<'_> {
    fn commit(mut self) -> Result<(), StoreError> {
        self.done = true;
        let conn = self.store.conn();
        let statement = if self.nested {
            "RELEASE custodia_unit"
        } else {
            "COMMIT"
        };
        match run(&conn, statement) {
            Ok(()) => Ok(()),
            Err(e) => {
                let _ = conn.execute_batch(if self.nested {
                    "ROLLBACK TO custodia_unit; RELEASE custodia_unit"
                } else {
                    "ROLLBACK"
                });
                Err(self.store.error("commit a unit of work")(e))
            }
        }
    }
}

impl Drop for Unit<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let conn = self.store.conn();
        let _ = conn.execute_batch(if self.nested {
            "ROLLBACK TO custodia_unit; RELEASE custodia_unit"
        } else {
            "ROLLBACK"
        });
    }
}

impl UnitOfWork for SqliteStore {
    fn unit_of_work<T, E, F>(&self, body: F) -> Result<T, E>
    where
        F: FnOnce() -> Result<T, E>,
        E: From<StoreError>,
    {
        let depth = self.gate.enter();
        let _leave = Leave(&self.gate);
        let nested = depth > 0;
        {
            let conn = self.conn();
            // Through the statement cache like a seam call's own transaction: one gated read is one
            // unit, and parsing these words each time was a measurable part of it (issue 17).
            run(
                &conn,
                if nested {
                    "SAVEPOINT custodia_unit"
                } else {
                    "BEGIN IMMEDIATE"
                },
            )
            .map_err(self.error("begin a unit of work"))?;
        }
        let unit = Unit {
            store: self,
            nested,
            done: false,
        };
        let value = body()?;
        unit.commit()?;
        if !nested && self.checkpoint_after_unit.swap(false, Ordering::SeqCst) {
            self.checkpoint_wal()?;
        }
        Ok(value)
    }
}
