//! The versioned schema: every migration, in order, for both backends, and the check of what a database records.

use crate::error::StoreError;

/// One schema migration. Versions start at 1 and have no gaps; a released migration never changes (its
/// name is recorded in the database and checked on every open), so a new table or column is always a new
/// migration at the next version.
#[derive(Debug)]
pub(crate) struct Migration {
    pub(crate) version: u32,
    pub(crate) name: &'static str,
    // Both dialects are always written down, so the schema is one definition whichever backends a build
    // compiles; each is read only by its backend's feature.
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
    pub(crate) sqlite: &'static str,
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) postgres: &'static str,
}

/// Every migration this build knows, oldest first. `MIGRATIONS[i].version == i + 1`.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "ledger",
        sqlite: "
            CREATE TABLE log_entries (
                idx INTEGER PRIMARY KEY,
                leaf_hash BLOB NOT NULL,
                salt BLOB,
                payload BLOB,
                redacted INTEGER NOT NULL DEFAULT 0 CHECK (redacted IN (0, 1))
            );
            CREATE TABLE log_nodes (
                level INTEGER NOT NULL,
                idx INTEGER NOT NULL,
                hash BLOB NOT NULL,
                PRIMARY KEY (level, idx)
            ) WITHOUT ROWID;
            CREATE TABLE log_checkpoints (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                size INTEGER NOT NULL,
                note BLOB NOT NULL
            );
        ",
        postgres: "
            CREATE TABLE log_entries (
                idx BIGINT PRIMARY KEY CHECK (idx >= 0),
                leaf_hash BYTEA NOT NULL,
                salt BYTEA,
                payload BYTEA,
                redacted BOOLEAN NOT NULL DEFAULT FALSE
            );
            CREATE TABLE log_nodes (
                level SMALLINT NOT NULL,
                idx BIGINT NOT NULL,
                hash BYTEA NOT NULL,
                PRIMARY KEY (level, idx)
            );
            CREATE TABLE log_checkpoints (
                seq BIGSERIAL PRIMARY KEY,
                size BIGINT NOT NULL,
                note BYTEA NOT NULL
            );
        ",
    },
    Migration {
        version: 2,
        name: "vault",
        sqlite: "
            CREATE TABLE sections (
                customer BLOB NOT NULL,
                category TEXT NOT NULL,
                version INTEGER NOT NULL,
                sealed BLOB NOT NULL,
                PRIMARY KEY (customer, category, version)
            ) WITHOUT ROWID;
        ",
        postgres: "
            CREATE TABLE sections (
                customer BYTEA NOT NULL CHECK (length(customer) = 16),
                category TEXT NOT NULL,
                version BIGINT NOT NULL CHECK (version >= 0),
                sealed BYTEA NOT NULL,
                PRIMARY KEY (customer, category, version)
            );
        ",
    },
    Migration {
        version: 3,
        name: "keys",
        sqlite: "
            CREATE TABLE wrapped_keys (
                customer BLOB NOT NULL,
                dek_id BLOB NOT NULL,
                wrapped BLOB NOT NULL,
                PRIMARY KEY (customer, dek_id)
            ) WITHOUT ROWID;
            CREATE TABLE blind_index (
                field TEXT NOT NULL,
                normalization INTEGER NOT NULL,
                bits INTEGER NOT NULL,
                value BLOB NOT NULL,
                customer BLOB NOT NULL,
                PRIMARY KEY (field, normalization, bits, value, customer)
            ) WITHOUT ROWID;
            CREATE INDEX blind_index_by_customer ON blind_index (customer);
            CREATE TABLE key_tombstones (
                customer BLOB PRIMARY KEY,
                destroyed_seconds INTEGER NOT NULL,
                destroyed_nanos INTEGER NOT NULL
            ) WITHOUT ROWID;
        ",
        postgres: "
            CREATE TABLE wrapped_keys (
                customer BYTEA NOT NULL CHECK (length(customer) = 16),
                dek_id BYTEA NOT NULL CHECK (length(dek_id) = 16),
                wrapped BYTEA NOT NULL,
                PRIMARY KEY (customer, dek_id)
            );
            CREATE TABLE blind_index (
                field TEXT NOT NULL,
                normalization SMALLINT NOT NULL,
                bits INTEGER NOT NULL,
                value BYTEA NOT NULL,
                customer BYTEA NOT NULL CHECK (length(customer) = 16),
                PRIMARY KEY (field, normalization, bits, value, customer)
            );
            CREATE INDEX blind_index_by_customer ON blind_index (customer);
            CREATE TABLE key_tombstones (
                customer BYTEA PRIMARY KEY CHECK (length(customer) = 16),
                destroyed_seconds BIGINT NOT NULL,
                destroyed_nanos INTEGER NOT NULL
            );
        ",
    },
    Migration {
        version: 4,
        name: "section tombstones",
        sqlite: "
            CREATE TABLE section_tombstones (
                customer BLOB NOT NULL,
                category TEXT NOT NULL,
                erased_seconds INTEGER NOT NULL,
                erased_nanos INTEGER NOT NULL,
                last_version INTEGER NOT NULL,
                PRIMARY KEY (customer, category)
            ) WITHOUT ROWID;
        ",
        postgres: "
            CREATE TABLE section_tombstones (
                customer BYTEA NOT NULL CHECK (length(customer) = 16),
                category TEXT NOT NULL,
                erased_seconds BIGINT NOT NULL,
                erased_nanos INTEGER NOT NULL,
                last_version BIGINT NOT NULL CHECK (last_version >= 0),
                PRIMARY KEY (customer, category)
            );
        ",
    },
    Migration {
        version: 5,
        name: "keyring state",
        sqlite: "
            CREATE TABLE keyring_state (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                state BLOB NOT NULL
            );
            CREATE TABLE kek_shreds (
                kek_version INTEGER PRIMARY KEY CHECK (kek_version > 0),
                first_destroyed_seconds INTEGER NOT NULL,
                first_destroyed_nanos INTEGER NOT NULL
            );
        ",
        postgres: "
            CREATE TABLE keyring_state (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                state BYTEA NOT NULL
            );
            CREATE TABLE kek_shreds (
                kek_version BIGINT PRIMARY KEY CHECK (kek_version > 0),
                first_destroyed_seconds BIGINT NOT NULL,
                first_destroyed_nanos INTEGER NOT NULL
            );
        ",
    },
    // The application layer's own records (custodia-brokerage): one rule-free table of namespaced keys and
    // values, read in key order. Later issues add namespaces, not tables.
    Migration {
        version: 6,
        name: "records",
        sqlite: "
            CREATE TABLE records (
                namespace TEXT NOT NULL,
                key BLOB NOT NULL,
                value BLOB NOT NULL,
                PRIMARY KEY (namespace, key)
            ) WITHOUT ROWID;
        ",
        postgres: "
            CREATE TABLE records (
                namespace TEXT NOT NULL,
                key BYTEA NOT NULL,
                value BYTEA NOT NULL,
                PRIMARY KEY (namespace, key)
            );
        ",
    },
    // PostgreSQL appends in one round trip (issue 22). The interior nodes move into the entry rows: entry
    // `i` completes the perfect subtrees at levels 1..=t (t = trailing one-bits of i), and their hashes are
    // concatenated, lowest level first, in its `nodes` column, so an append inserts one row per entry
    // instead of about two. The lock, the size check, the idempotent-retry check and the insert run
    // server-side in one function call: an append is one prepared statement instead of eight round trips.
    // With `p_anywhere` the store itself assigns the start index under its lock (a sequencer) and hashes
    // the interior nodes from its own right edge when another writer got there first, so several writers
    // never retry. Nothing on SQLite: one process owns the file there.
    //
    // `@schema@` is the store's schema (a checked plain identifier, spliced in when the migration runs):
    // the functions name their tables in full instead of carrying `SET search_path`, which costs a
    // configuration change on every call.
    Migration {
        version: 7,
        name: "log append in one call",
        sqlite: "-- PostgreSQL only: a SQLite store has one writing process and appends in-process.",
        postgres: r#"
            ALTER TABLE @schema@.log_entries ADD COLUMN nodes BYTEA NOT NULL DEFAULT ''::BYTEA
                CHECK (length(nodes) % 32 = 0);
            UPDATE @schema@.log_entries e SET nodes = m.nodes
            FROM (SELECT ((idx + 1) << level) - 1 AS entry, string_agg(hash, ''::BYTEA ORDER BY level) AS nodes
                  FROM @schema@.log_nodes GROUP BY 1) m
            WHERE e.idx = m.entry;
            DROP TABLE @schema@.log_nodes;
            -- The appenders' lock: a transaction-scoped advisory lock keyed by this schema's log table, which
            -- every append and every unit of work takes first. Not `LOCK TABLE … EXCLUSIVE`: a lock that
            -- strong makes PostgreSQL sweep every backend's fast-path lock slots (max_connections of them) on
            -- each acquisition, about 0.1 ms per append here.
            CREATE FUNCTION @schema@.custodia_log_lock() RETURNS VOID
            LANGUAGE sql AS $fn$
                SELECT pg_advisory_xact_lock(x'4375537400000000'::BIGINT + '@schema@.log_entries'::regclass::oid::BIGINT)
            $fn$;
            -- The right edge at p_size: one primary-key lookup per set bit of the size, largest subtree first.
            -- PL/pgSQL, not SQL: PostgreSQL plans a SQL function's query afresh on every call.
            CREATE FUNCTION @schema@.custodia_log_frontier(p_size BIGINT) RETURNS BYTEA[]
            LANGUAGE plpgsql STABLE AS $fn$
            BEGIN
                RETURN (SELECT COALESCE(array_agg((
                    SELECT CASE WHEN b.level = 0 THEN e.leaf_hash
                                ELSE NULLIF(substring(e.nodes FROM (b.level - 1) * 32 + 1 FOR 32), ''::BYTEA) END
                    FROM @schema@.log_entries e WHERE e.idx = ((p_size >> b.level) << b.level) - 1
                ) ORDER BY b.level DESC), '{}')
                FROM generate_series(0, 62) AS b(level)
                WHERE p_size & (1::BIGINT << b.level) <> 0);
            END
            $fn$;
            CREATE FUNCTION @schema@.custodia_log_append(
                p_start BIGINT, p_anywhere BOOLEAN, p_retry BOOLEAN,
                p_leaves BYTEA[], p_salts BYTEA[], p_payloads BYTEA[], p_nodes BYTEA[],
                OUT first_index BIGINT, OUT appended BOOLEAN, OUT frontier BYTEA[])
            LANGUAGE plpgsql AS $fn$
            DECLARE
                n INTEGER := COALESCE(cardinality(p_leaves), 0);
                v_size BIGINT;
                found BIGINT;
                stack BYTEA[];
                top INTEGER;
                h BYTEA;
                blob BYTEA;
                pos BIGINT;
                blobs BYTEA[] := '{}';
            BEGIN
                IF n = 0 OR COALESCE(cardinality(p_salts), 0) <> n OR COALESCE(cardinality(p_payloads), 0) <> n
                   OR COALESCE(cardinality(p_nodes), 0) <> n THEN
                    RAISE EXCEPTION 'custodia_log_append: mismatched batch arrays' USING ERRCODE = '22023';
                END IF;
                -- Writers queue here, readers are not blocked. Under READ COMMITTED every statement below
                -- takes a fresh snapshot after the lock is granted, so it sees every earlier append (a
                -- transaction is visible before it releases its locks).
                PERFORM pg_advisory_xact_lock(x'4375537400000000'::BIGINT + '@schema@.log_entries'::regclass::oid::BIGINT);
                SELECT COALESCE(MAX(idx) + 1, 0) INTO v_size FROM @schema@.log_entries;
                IF v_size = p_start THEN
                    INSERT INTO @schema@.log_entries (idx, leaf_hash, salt, payload, nodes)
                        SELECT p_start + u.o - 1, u.l, u.s, u.p, u.b
                        FROM UNNEST(p_leaves, p_salts, p_payloads, p_nodes) WITH ORDINALITY AS u(l, s, p, b, o);
                    first_index := p_start;
                    appended := TRUE;
                    RETURN;
                END IF;
                -- A retry of a batch an earlier attempt committed (its answer lost) is recognised by its
                -- salted leaves: at exactly p_start for a positional append, at or after it for a sequenced
                -- retry. Nothing is written then.
                IF v_size > p_start THEN
                    IF NOT p_anywhere THEN
                        found := p_start;
                    ELSIF p_retry THEN
                        SELECT e.idx INTO found FROM @schema@.log_entries e
                        WHERE e.idx >= p_start AND e.leaf_hash = p_leaves[1] ORDER BY e.idx LIMIT 1;
                    END IF;
                    IF found IS NOT NULL AND found + n <= v_size AND (
                        SELECT array_agg(e.leaf_hash ORDER BY e.idx) FROM @schema@.log_entries e
                        WHERE e.idx >= found AND e.idx < found + n) = p_leaves THEN
                        first_index := found;
                        appended := TRUE;
                        IF found <> p_start THEN
                            frontier := @schema@.custodia_log_frontier(found + n);
                        END IF;
                        RETURN;
                    END IF;
                END IF;
                IF NOT p_anywhere THEN
                    first_index := v_size;
                    appended := FALSE;
                    RETURN;
                END IF;
                -- The sequencer: the batch goes at the end, its interior nodes hashed from the store's own
                -- right edge (RFC 9162 2.1.1: SHA-256(0x01 || left || right)); the caller gets the new edge.
                stack := @schema@.custodia_log_frontier(v_size);
                IF array_position(stack, NULL) IS NOT NULL THEN
                    RAISE EXCEPTION 'custodia_log_append: the right edge at size % is incomplete', v_size
                        USING ERRCODE = 'XX001';
                END IF;
                top := COALESCE(cardinality(stack), 0);
                FOR i IN 1..n LOOP
                    h := p_leaves[i];
                    blob := ''::BYTEA;
                    pos := v_size + i - 1;
                    WHILE pos & 1 = 1 LOOP
                        h := sha256('\x01'::BYTEA || stack[top] || h);
                        blob := blob || h;
                        top := top - 1;
                        pos := pos >> 1;
                    END LOOP;
                    top := top + 1;
                    stack[top] := h;
                    blobs[i] := blob;
                END LOOP;
                INSERT INTO @schema@.log_entries (idx, leaf_hash, salt, payload, nodes)
                    SELECT v_size + u.o - 1, u.l, u.s, u.p, u.b
                    FROM UNNEST(p_leaves, p_salts, p_payloads, blobs) WITH ORDINALITY AS u(l, s, p, b, o);
                first_index := v_size;
                appended := TRUE;
                frontier := stack[1:top];
            END
            $fn$;
        "#,
    },
    // SQLite keeps a WITHOUT ROWID table's whole row in its primary-key b-tree, and a seek that compares
    // against a row too large for its page (a sealed facts record, a list of holds: anything over about a
    // thousand bytes at 4 KiB pages) reads the row's overflow pages from the file at every step of the
    // search — in the profile of a gated read (issue 17) a fifth of its time went to one principal lookup
    // doing exactly that. SQLite's own advice is WITHOUT ROWID only for rows under a twentieth of a page. So
    // the records live in a rowid table with the same key as a unique index (keys only: a seek never touches
    // a value). PostgreSQL's heap and its primary-key index already keep values out of the search.
    Migration {
        version: 8,
        name: "records by rowid",
        sqlite: "
            CREATE TABLE records_by_rowid (
                id INTEGER PRIMARY KEY,
                namespace TEXT NOT NULL,
                key BLOB NOT NULL,
                value BLOB NOT NULL,
                UNIQUE (namespace, key)
            );
            INSERT INTO records_by_rowid (namespace, key, value)
                SELECT namespace, key, value FROM records ORDER BY namespace, key;
            DROP TABLE records;
            ALTER TABLE records_by_rowid RENAME TO records;
        ",
        // Nothing to change; the migration is recorded so both backends stay at one version.
        postgres: "SELECT 1;",
    },
];

/// The newest schema version this build knows.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Checks what a database records against [`MIGRATIONS`] and says which migrations are still to apply.
/// `applied` are the `(version, name)` rows of the schema table, in any order.
///
/// Refuses a version newer than this build knows ([`StoreError::SchemaTooNew`]), a version whose name is
/// not ours or a gap ([`StoreError::UnknownSchema`]): opening such a database never changes it silently.
pub(crate) fn pending(applied: &[(u32, String)]) -> Result<&'static [Migration], StoreError> {
    let mut applied: Vec<&(u32, String)> = applied.iter().collect();
    applied.sort_by_key(|(version, _)| *version);
    if let Some((newest, _)) = applied.last()
        && *newest > SCHEMA_VERSION
    {
        return Err(StoreError::SchemaTooNew {
            found: *newest,
            supported: SCHEMA_VERSION,
        });
    }
    for (position, (version, name)) in applied.iter().enumerate() {
        let expected = MIGRATIONS.get(position);
        match expected {
            Some(migration) if migration.version == *version && migration.name == name => {}
            Some(migration) if migration.version != *version => {
                // A gap (or a duplicate): the first version we expected and did not find.
                return Err(StoreError::UnknownSchema {
                    version: migration.version,
                    name: String::new(),
                });
            }
            _ => {
                return Err(StoreError::UnknownSchema {
                    version: *version,
                    name: name.clone(),
                });
            }
        }
    }
    Ok(MIGRATIONS.get(applied.len()..).unwrap_or(&[]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_dense_from_one() {
        for (i, migration) in MIGRATIONS.iter().enumerate() {
            assert_eq!(migration.version as usize, i + 1);
        }
    }

    #[test]
    fn a_fresh_database_needs_every_migration() {
        assert_eq!(pending(&[]).unwrap().len(), MIGRATIONS.len());
    }

    #[test]
    fn an_up_to_date_database_needs_none() {
        let applied: Vec<(u32, String)> = MIGRATIONS
            .iter()
            .map(|m| (m.version, m.name.to_owned()))
            .collect();
        assert!(pending(&applied).unwrap().is_empty());
    }

    #[test]
    fn a_partly_migrated_database_needs_the_rest() {
        let applied = vec![(1, "ledger".to_owned())];
        let rest = pending(&applied).unwrap();
        assert_eq!(
            rest.iter().map(|m| m.version).collect::<Vec<_>>(),
            (2..=SCHEMA_VERSION).collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let mut applied: Vec<(u32, String)> = MIGRATIONS
            .iter()
            .map(|m| (m.version, m.name.to_owned()))
            .collect();
        applied.push((SCHEMA_VERSION + 1, "from the future".to_owned()));
        assert_eq!(
            pending(&applied).unwrap_err(),
            StoreError::SchemaTooNew {
                found: SCHEMA_VERSION + 1,
                supported: SCHEMA_VERSION
            }
        );
    }

    #[test]
    fn a_foreign_migration_name_is_refused() {
        let applied = vec![(1, "someone else's ledger".to_owned())];
        assert_eq!(
            pending(&applied).unwrap_err(),
            StoreError::UnknownSchema {
                version: 1,
                name: "someone else's ledger".to_owned()
            }
        );
    }

    #[test]
    fn a_gap_is_refused() {
        let applied = vec![(2, "vault".to_owned())];
        assert_eq!(
            pending(&applied).unwrap_err(),
            StoreError::UnknownSchema {
                version: 1,
                name: String::new()
            }
        );
    }
}
