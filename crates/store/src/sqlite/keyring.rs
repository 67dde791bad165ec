//! `KeyringStore` for SQLite: the keyring's persisted state, the KEK versions that wrapped shredded keys, and the bulk rewrap of a retirement.

use custodia_crypto::{CryptoError, Keyring, KeyringState, KeyringStore, ShreddedUnder};
use rusqlite::{OptionalExtension, params};

use super::{SqliteStore, WriteTx, sqlite_error};
use crate::rows::{
    check_forward, customer_from_row, kek_version_from_row, keyring_state_from_row, shred_time_from_columns,
    wrapped_from_row,
};

impl KeyringStore for SqliteStore {
    fn keyring_state(&self) -> Result<Option<KeyringState>, CryptoError> {
        let bytes: Option<Vec<u8>> = self
            .conn()
            .prepare_cached("SELECT state FROM keyring_state WHERE id = 1")
            .and_then(|mut s| s.query_row([], |row| row.get(0)).optional())
            .map_err(self.error("read the keyring state"))?;
        Ok(bytes.map(|b| keyring_state_from_row(&b)).transpose()?)
    }

    fn save_keyring_state(&self, state: &KeyringState) -> Result<(), CryptoError> {
        let conn = self.conn();
        let err = sqlite_error(&self.location, "save the keyring state");
        let tx = WriteTx::begin(&conn).map_err(&err)?;
        let stored: Option<Vec<u8>> = tx
            .prepare_cached("SELECT state FROM keyring_state WHERE id = 1")
            .and_then(|mut s| s.query_row([], |row| row.get(0)).optional())
            .map_err(&err)?;
        if let Some(stored) = stored {
            check_forward(&keyring_state_from_row(&stored)?, state)?;
        }
        tx.prepare_cached(
            "INSERT INTO keyring_state (id, state) VALUES (1, ?1) ON CONFLICT (id) DO UPDATE SET state = excluded.state",
        )
        .and_then(|mut s| s.execute(params![state.encode()]))
        .map_err(&err)?;
        tx.commit().map_err(&err)?;
        Ok(())
    }

    fn shredded_kek_versions(&self, from: u32) -> Result<Vec<ShreddedUnder>, CryptoError> {
        let conn = self.conn();
        let err = self.error("read the shredded KEK versions");
        let mut statement = conn
            .prepare_cached(
                "SELECT kek_version, first_destroyed_seconds, first_destroyed_nanos FROM kek_shreds \
                 WHERE kek_version >= ?1 ORDER BY kek_version",
            )
            .map_err(&err)?;
        let rows = statement
            .query_map(params![from], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, i64>(2)?,
                ))
            })
            .map_err(&err)?;
        let mut out = Vec::new();
        for row in rows {
            let (version, seconds, nanos) = row.map_err(&err)?;
            let version = kek_version_from_row(version)?;
            out.push(ShreddedUnder::new(
                version,
                shred_time_from_columns(version, seconds, nanos)?,
            ));
        }
        Ok(out)
    }

    fn rewrap_keys_below(&self, keyring: &Keyring, below: u32) -> Result<u64, CryptoError> {
        let moved = {
            let conn = self.conn();
            let err = sqlite_error(&self.location, "rewrap keys");
            let tx = WriteTx::begin(&conn).map_err(&err)?;
            let rows: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> = {
                let mut statement = tx
                    .prepare_cached("SELECT customer, dek_id, wrapped FROM wrapped_keys")
                    .map_err(&err)?;
                let rows = statement
                    .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
                    .map_err(&err)?;
                rows.collect::<Result<_, _>>().map_err(&err)?
            };
            let mut moved = 0u64;
            for (customer, dek_id, bytes) in &rows {
                let customer = customer_from_row("wrapped_keys", customer)?;
                let wrapped = wrapped_from_row(customer, dek_id, bytes)?;
                if wrapped.kek_version() >= below {
                    continue;
                }
                let rewrapped = keyring.rewrap(&wrapped)?;
                tx.prepare_cached("UPDATE wrapped_keys SET wrapped = ?1 WHERE customer = ?2 AND dek_id = ?3")
                    .and_then(|mut s| s.execute(params![rewrapped.encode(), customer.as_bytes(), dek_id]))
                    .map_err(&err)?;
                moved += 1;
            }
            tx.commit().map_err(&err)?;
            moved
        };
        // The old wrapped bytes leave the WAL too (secure_delete zeroed them in their pages).
        self.checkpoint_wal()?;
        Ok(moved)
    }
}
