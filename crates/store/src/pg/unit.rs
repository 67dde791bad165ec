//! Units of work on PostgreSQL: one transaction holding exclusive locks on the store's tables around many seam calls, each call's own transaction a savepoint inside it.

use postgres::types::ToSql;
use postgres::{Client, Row, ToStatement};

use super::PostgresStore;
use crate::error::StoreError;
use crate::unit::{Leave, UnitOfWork};

/// Every table a unit of work may write, in one fixed order (so that two units never deadlock on them).
/// `EXCLUSIVE` lets readers through and queues every other writer, in this process or another instance.
const LOCK_TABLES: &str = "LOCK TABLE log_entries, log_checkpoints, sections, section_tombstones, \
                           wrapped_keys, blind_index, key_tombstones, keyring_state, kek_shreds, records \
                           IN EXCLUSIVE MODE";

/// A seam call's write transaction: a transaction of its own, or a savepoint inside the current thread's
/// open unit of work. Rolled back when dropped without [`WriteTx::commit`].
pub(crate) struct WriteTx<'c> {
    client: &'c mut Client,
    nested: bool,
    done: bool,
}

impl<'c> WriteTx<'c> {
    pub(crate) fn begin(client: &'c mut Client, nested: bool) -> Result<Self, postgres::Error> {
        client.batch_execute(if nested {
            "SAVEPOINT custodia_call"
        } else {
            "BEGIN"
        })?;
        Ok(Self {
            client,
            nested,
            done: false,
        })
    }

    /// Whether this runs inside a unit of work (whose table locks then cover it).
    pub(crate) fn in_unit(&self) -> bool {
        self.nested
    }

    pub(crate) fn execute<T>(
        &mut self,
        query: &T,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, postgres::Error>
    where
        T: ?Sized + ToStatement,
    {
        self.client.execute(query, params)
    }

    pub(crate) fn query<T>(
        &mut self,
        query: &T,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, postgres::Error>
    where
        T: ?Sized + ToStatement,
    {
        self.client.query(query, params)
    }

    pub(crate) fn query_one<T>(
        &mut self,
        query: &T,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Row, postgres::Error>
    where
        T: ?Sized + ToStatement,
    {
        self.client.query_one(query, params)
    }

    pub(crate) fn query_opt<T>(
        &mut self,
        query: &T,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, postgres::Error>
    where
        T: ?Sized + ToStatement,
    {
        self.client.query_opt(query, params)
    }

    pub(crate) fn batch_execute(&mut self, query: &str) -> Result<(), postgres::Error> {
        self.client.batch_execute(query)
    }

    pub(crate) fn commit(mut self) -> Result<(), postgres::Error> {
        self.done = true;
        self.client.batch_execute(if self.nested {
            "RELEASE SAVEPOINT custodia_call"
        } else {
            "COMMIT"
        })
    }
}

impl Drop for WriteTx<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        // The caller is already returning the error that made it drop us; a failed rollback leaves the
        // server rolling back when the connection closes.
        let _ = self.client.batch_execute(if self.nested {
            "ROLLBACK TO SAVEPOINT custodia_call; RELEASE SAVEPOINT custodia_call"
        } else {
            "ROLLBACK"
        });
    }
}

/// Ends an open unit: rolls back if dropped before [`Unit::commit`].
struct Unit<'s> {
    store: &'s PostgresStore,
    nested: bool,
    done: bool,
}

impl Unit<'_> {
    fn rollback_statement(&self) -> &'static str {
        if self.nested {
            "ROLLBACK TO SAVEPOINT custodia_unit; RELEASE SAVEPOINT custodia_unit"
        } else {
            "ROLLBACK"
        }
    }

    fn commit(mut self) -> Result<(), StoreError> {
        self.done = true;
        let mut client = self.store.client()?;
        let statement = if self.nested {
            "RELEASE SAVEPOINT custodia_unit"
        } else {
            "COMMIT"
        };
        match client.batch_execute(statement) {
            Ok(()) => Ok(()),
            Err(e) => {
                let _ = client.batch_execute(self.rollback_statement());
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
        let statement = self.rollback_statement();
        // A lost connection rolled the unit back already.
        if let Ok(mut client) = self.store.client() {
            let _ = client.batch_execute(statement);
        }
    }
}

impl UnitOfWork for PostgresStore {
    fn unit_of_work<T, E, F>(&self, body: F) -> Result<T, E>
    where
        F: FnOnce() -> Result<T, E>,
        E: From<StoreError>,
    {
        let depth = self.gate.enter();
        let _leave = Leave(&self.gate);
        let nested = depth > 0;
        {
            // An outermost unit has no transaction yet, so a lost connection may be opened again here.
            let mut client = self.connected_client(!nested)?;
            let begin = if nested {
                "SAVEPOINT custodia_unit".to_owned()
            } else {
                // The log appenders' advisory lock first, as every append takes it (schema migration 7),
                // then the tables: one order for all, so a unit and an append never deadlock.
                format!("BEGIN; SELECT custodia_log_lock(); {LOCK_TABLES}")
            };
            if let Err(e) = client.batch_execute(&begin) {
                if !nested {
                    let _ = client.batch_execute("ROLLBACK");
                }
                return Err(E::from(self.error("begin a unit of work")(e)));
            }
        }
        let unit = Unit {
            store: self,
            nested,
            done: false,
        };
        let value = body()?;
        unit.commit()?;
        Ok(value)
    }
}
