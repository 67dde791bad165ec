//! The atomic unit of work: ledger appends, vault and key writes and records committed together or not at all, and the gate that keeps other threads out of an open unit.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::ThreadId;

use crate::error::StoreError;

/// One database transaction around any number of seam calls on the same store value.
///
/// Inside `body`, every call of the store's seams — [`custodia_ledger::LogStore`] appends and
/// checkpoints, [`custodia_crypto::KeyStore`] and [`custodia_crypto::SectionRows`] writes,
/// [`crate::Records`] — joins one transaction (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: `BEGIN` and an
/// exclusive lock on the store's tables, so units of several service instances serialize in the database).
/// It commits when `body` returns `Ok` and rolls back when it returns `Err`, panics, or the process dies:
/// after a crash the store holds everything of the unit or nothing of it. A seam call's own transaction
/// becomes a savepoint inside the unit, so a call that fails (a log append that conflicts, a section put
/// whose newest version moved) takes back only its own writes and `body` may go on.
///
/// Other threads using the same store value wait while a unit is open (they never see or join it); a
/// unit opened inside a unit on the same thread is a savepoint of the outer one.
///
/// **Keep in-memory views right.** A rolled-back unit takes back ledger appends that a
/// [`custodia_ledger::Log`] already counted: call [`custodia_ledger::Log::reload`] after an `Err`.
///
/// ```
/// # #[cfg(feature = "sqlite")] {
/// use custodia_ledger::Log;
/// use custodia_store::{Namespace, Records, SqliteConfig, SqliteStore, StoreError, UnitOfWork};
///
/// let store = SqliteStore::open_in_memory(&SqliteConfig::new())?;
/// let mut log = Log::new(&store)?;
/// const STEPS: Namespace = Namespace::new("example/steps");
/// // Both or neither: the ledger entry and the record.
/// let failed: Result<(), Box<dyn std::error::Error>> = store.unit_of_work(|| {
///     log.append(&[b"step 1 done".as_slice()])?;
///     store.put_record(STEPS, b"1", b"done")?;
///     Err("the disk filled up".into())
/// });
/// assert!(failed.is_err());
/// log.reload()?;
/// assert_eq!((log.size(), store.record(STEPS, b"1")?), (0, None));
///
/// store.unit_of_work(|| -> Result<(), Box<dyn std::error::Error>> {
///     log.append(&[b"step 1 done".as_slice()])?;
///     store.put_record(STEPS, b"1", b"done")?;
///     Ok(())
/// })?;
/// assert_eq!((log.size(), store.record(STEPS, b"1")?), (1, Some(b"done".to_vec())));
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait UnitOfWork {
    /// Runs `body` as one atomic unit of work (see the trait).
    fn unit_of_work<T, E, F>(&self, body: F) -> Result<T, E>
    where
        F: FnOnce() -> Result<T, E>,
        E: From<StoreError>;
}

impl<S: UnitOfWork + ?Sized> UnitOfWork for &S {
    fn unit_of_work<T, E, F>(&self, body: F) -> Result<T, E>
    where
        F: FnOnce() -> Result<T, E>,
        E: From<StoreError>,
    {
        (**self).unit_of_work(body)
    }
}

impl<S: UnitOfWork + ?Sized> UnitOfWork for std::sync::Arc<S> {
    fn unit_of_work<T, E, F>(&self, body: F) -> Result<T, E>
    where
        F: FnOnce() -> Result<T, E>,
        E: From<StoreError>,
    {
        (**self).unit_of_work(body)
    }
}

/// Which thread holds the open unit, and how deeply units are nested in it.
#[derive(Debug, Default)]
pub(crate) struct Owner {
    thread: Option<ThreadId>,
    depth: u32,
}

/// Keeps other threads out of an open unit of work. A store's connection accessor passes through
/// [`UnitGate::admit`] before it locks the connection, so while one thread's unit is open every other
/// thread waits; the thread that owns the unit goes straight through.
///
/// Lock order, always: the gate's state, then the connection. [`UnitGate::enter`] releases the state
/// before the caller takes the connection to begin, so no thread ever holds the connection while it
/// waits for the state.
#[derive(Debug, Default)]
pub(crate) struct UnitGate {
    owner: Mutex<Owner>,
    freed: Condvar,
}

impl UnitGate {
    fn state(&self) -> MutexGuard<'_, Owner> {
        // A panic while the state was held cannot leave it inconsistent: every update is one assignment.
        self.owner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until no other thread owns a unit, and returns the state's lock: hold it while taking the
    /// connection lock, so that no unit can begin between the check and the statement.
    pub(crate) fn admit(&self) -> MutexGuard<'_, Owner> {
        let me = std::thread::current().id();
        let mut state = self.state();
        while state.thread.is_some_and(|t| t != me) {
            state = self.freed.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
        state
    }

    /// Makes the current thread the owner (waiting for another owner to leave) and returns the nesting
    /// depth before this entry: 0 for an outermost unit.
    pub(crate) fn enter(&self) -> u32 {
        let mut state = self.admit();
        let depth = state.depth;
        state.thread = Some(std::thread::current().id());
        state.depth = depth.saturating_add(1);
        depth
    }

    /// Leaves one level; the outermost leave frees the gate for other threads.
    pub(crate) fn leave(&self) {
        let mut state = self.state();
        state.depth = state.depth.saturating_sub(1);
        if state.depth == 0 {
            state.thread = None;
            self.freed.notify_all();
        }
    }

    /// Whether the current thread is inside a unit (PostgreSQL asks; SQLite asks its connection).
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) fn held_here(&self) -> bool {
        self.state().thread == Some(std::thread::current().id())
    }
}

/// Leaves the gate when dropped, so that a unit whose body panics still frees it.
pub(crate) struct Leave<'a>(pub(crate) &'a UnitGate);

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        self.0.leave();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_counts_and_the_outermost_leave_frees() {
        let gate = UnitGate::default();
        assert!(!gate.held_here());
        assert_eq!(gate.enter(), 0);
        assert_eq!(gate.enter(), 1);
        gate.leave();
        assert!(gate.held_here());
        gate.leave();
        assert!(!gate.held_here());
    }

    #[test]
    fn another_thread_waits_for_the_owner() {
        let gate = std::sync::Arc::new(UnitGate::default());
        gate.enter();
        let other = {
            let gate = gate.clone();
            std::thread::spawn(move || {
                drop(gate.admit());
                gate.held_here()
            })
        };
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(!other.is_finished());
        gate.leave();
        assert!(!other.join().unwrap());
    }
}
