//! `KeyringStore` for PostgreSQL: the keyring's persisted state, the KEK versions that wrapped shredded keys, and the bulk rewrap of a retirement.

use custodia_crypto::{CryptoError, Keyring, KeyringState, KeyringStore, ShreddedUnder};

use super::{PostgresStore, pg_error};
use crate::rows::{
    check_forward, customer_from_row, kek_version_from_row, keyring_state_from_row, shred_time_from_columns,
    wrapped_from_row,
};

impl KeyringStore for PostgresStore {
    fn keyring_state(&self) -> Result<Option<KeyringState>, CryptoError> {
        let err = self.error("read the keyring state");
        let row = self
            .client()?
            .query_opt("SELECT state FROM keyring_state WHERE id = 1", &[])
            .map_err(&err)?;
        match row {
            Some(row) => {
                let bytes: Vec<u8> = row.try_get(0).map_err(&err)?;
                Ok(Some(keyring_state_from_row(&bytes)?))
            }
            None => Ok(None),
        }
    }

    fn save_keyring_state(&self, state: &KeyringState) -> Result<(), CryptoError> {
        let err = pg_error(&self.schema, "save the keyring state");
        let mut client = self.client()?;
        let mut tx = self.write_tx(&mut client).map_err(&err)?;
        tx.batch_execute("LOCK TABLE keyring_state IN EXCLUSIVE MODE")
            .map_err(&err)?;
        if let Some(row) = tx
            .query_opt("SELECT state FROM keyring_state WHERE id = 1", &[])
            .map_err(&err)?
        {
            let bytes: Vec<u8> = row.try_get(0).map_err(&err)?;
            check_forward(&keyring_state_from_row(&bytes)?, state)?;
        }
        tx.execute(
            "INSERT INTO keyring_state (id, state) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET state = excluded.state",
            &[&state.encode()],
        )
        .map_err(&err)?;
        tx.commit().map_err(&err)?;
        Ok(())
    }

    fn shredded_kek_versions(&self, from: u32) -> Result<Vec<ShreddedUnder>, CryptoError> {
        let err = self.error("read the shredded KEK versions");
        let rows = self
            .client()?
            .query(
                "SELECT kek_version, first_destroyed_seconds, first_destroyed_nanos FROM kek_shreds \
                 WHERE kek_version >= $1 ORDER BY kek_version",
                &[&i64::from(from)],
            )
            .map_err(&err)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let version = kek_version_from_row(row.try_get(0).map_err(&err)?)?;
            let seconds: i64 = row.try_get(1).map_err(&err)?;
            let nanos: i32 = row.try_get(2).map_err(&err)?;
            out.push(ShreddedUnder::new(
                version,
                shred_time_from_columns(version, seconds, i64::from(nanos))?,
            ));
        }
        Ok(out)
    }

    fn rewrap_keys_below(&self, keyring: &Keyring, below: u32) -> Result<u64, CryptoError> {
        let err = pg_error(&self.schema, "rewrap keys");
        let mut client = self.client()?;
        let mut tx = self.write_tx(&mut client).map_err(&err)?;
        // Key writes (puts, destructions) wait for the rewrap, so no key is rewrapped from a stale copy.
        tx.batch_execute("LOCK TABLE wrapped_keys IN EXCLUSIVE MODE")
            .map_err(&err)?;
        let rows = tx
            .query("SELECT customer, dek_id, wrapped FROM wrapped_keys", &[])
            .map_err(&err)?;
        let mut moved = 0u64;
        for row in &rows {
            let customer: Vec<u8> = row.try_get(0).map_err(&err)?;
            let dek_id: Vec<u8> = row.try_get(1).map_err(&err)?;
            let bytes: Vec<u8> = row.try_get(2).map_err(&err)?;
            let customer = customer_from_row("wrapped_keys", &customer)?;
            let wrapped = wrapped_from_row(customer, &dek_id, &bytes)?;
            if wrapped.kek_version() >= below {
                continue;
            }
            let rewrapped = keyring.rewrap(&wrapped)?;
            tx.execute(
                "UPDATE wrapped_keys SET wrapped = $1 WHERE customer = $2 AND dek_id = $3",
                &[&rewrapped.encode(), &customer.as_bytes().as_slice(), &dek_id],
            )
            .map_err(&err)?;
            moved += 1;
        }
        tx.commit().map_err(&err)?;
        Ok(moved)
    }
}
