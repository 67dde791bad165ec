//! `Brokerage`: one store, one key hierarchy, one ledger; the one write path every workflow goes through; the brokerage's identity as a party.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard};

use chrono::{DateTime, Utc};
use custodia_consent::BasisPolicy;
use custodia_crypto::{
    BlindIndexConfig, BlindIndexer, DataKey, DekId, KeyHierarchy, KeyStore, Keyring, KeyringConfig,
    RecipientKeyPair, RecipientPublicKey, SigningKey, VerifyingKey,
};
use custodia_ledger::{
    Log, NoteSigner, NoteVerifier, SignatureKind, SignedCheckpoint, TrustPolicy, VerifiedLog,
};
use custodia_model::{CustomerId, WorkingDayCalendar};
use custodia_retention::{Holds, PlaceHold, Profile};
use custodia_store::{KeyRange, Records, UnitOfWork};
use custodia_transfer::{
    BuyerSigned, DraftAgreement, ForeignPartyDetails, PartyDetails, SellerSigned, SignedAgreement,
    TransferParty,
};
use serde::{Deserialize, Serialize};

use crate::backend::{Backend, StoreLock};
use crate::clock::Clock;
use crate::config::BrokerageConfig;
use crate::error::BrokerageError;
use crate::keys::KeySource;
use crate::records::{self, SETTINGS, WRAPS};

/// The ledger as the brokerage writes it: one log over the one store.
pub(crate) type Ledger = Log<Arc<Backend>>;

/// The KEK versions in force, recorded in the store (and on the ledger at each rotation) so that a
/// restart derives the same keyring.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct KekState {
    primary: u32,
    min_decrypt: u32,
}

const KEK_STATE: &[u8] = b"kek";
const BLIND_INDEX: &[u8] = b"blind-index";
const HOLDS: &[u8] = b"holds";

/// One insurance brokerage: its store (an SQLite file or a PostgreSQL schema), its keys (derived from
/// the one root secret a [`KeySource`] yields), its ledger (consents, notices, every step of every case,
/// receipts, destruction certificates) and its records. Every workflow of the library is a method here
/// or on a case it opens ([`Brokerage::open_seller_case`], [`Brokerage::open_buyer_case`]); a program
/// never implements a storage seam to run one.
///
/// **One writer at a time, one transaction per step.** Every write goes through one internal function
/// that takes the brokerage's write lock and runs the step as one unit of work of the store
/// ([`custodia_store::UnitOfWork`]): its ledger entries, vault and key writes and records commit together
/// or not at all, so a crash at any point leaves the step done or not begun. A second `Brokerage` on the
/// same SQLite store — in this process or another — is refused with [`BrokerageError::StoreInUse`];
/// several instances may share one PostgreSQL schema, where each step's transaction locks the tables.
///
/// All methods take `&self`: a service shares one `Brokerage` between request handlers (it is `Send` and
/// `Sync`); writes queue on the write lock, reads do not take it.
pub struct Brokerage {
    pub(crate) store: Arc<Backend>,
    pub(crate) ledger: Mutex<Ledger>,
    pub(crate) keys: KeyHierarchy,
    pub(crate) keyring: RwLock<Keyring>,
    pub(crate) party_key: SigningKey,
    pub(crate) recipient: RecipientKeyPair,
    pub(crate) ledger_signer: NoteSigner,
    pub(crate) indexer: BlindIndexer,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) origin: String,
    pub(crate) policy: BasisPolicy,
    pub(crate) profile: Profile,
    /// The configured working-day calendar (Civil Code Art 203); one recorded in the store wins
    /// ([`Brokerage::calendar`]).
    pub(crate) calendar: WorkingDayCalendar,
    pub(crate) keyring_config: KeyringConfig,
    pub(crate) batch: NonZeroUsize,
    /// The access gate of [`Brokerage::read`] (the shipped `cn-insurance-broker` policies) and who may approve.
    pub(crate) gate: custodia_access::Gate,
    pub(crate) approvals: custodia_access::ApprovalSettings,
    /// The bulk-read monitors of [`Brokerage::read`], their stored alerts and the alert callback.
    pub(crate) monitoring: crate::alerts::Monitoring,
    /// Which sections of a customer are sensitive beyond their category (the gate's facts).
    pub(crate) sensitivity: custodia_model::SensitivityPolicy,
    /// How long access entries are kept (`Brokerage::expire_access_log`).
    pub(crate) access_log: custodia_access::LogSettings,
    /// Principals as last decoded, with the stored bytes they came from (see `Brokerage::principal`).
    pub(crate) principals: crate::access::PrincipalMemo,
    /// Notices as last decoded, with the ledger payloads they came from (see `Brokerage::consent_view`).
    pub(crate) notices: crate::consent::NoticeMemo,
    persisted_wraps: AtomicU64,
    _lock: Option<StoreLock>,
}

impl std::fmt::Debug for Brokerage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Brokerage")
            .field("store", &self.store.location())
            .field("origin", &self.origin)
            .field("party_key", &self.party_key.verifying_key().key_id())
            .finish_non_exhaustive()
    }
}

/// The public keys of a brokerage: what a counterparty puts in an agreement and what an auditor needs to
/// check its ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PublicKeys {
    /// The Ed25519 key it signs agreements, packages and receipts with.
    pub signing: VerifyingKey,
    /// The X25519 key packages for it are sealed to.
    pub recipient: RecipientPublicKey,
    /// The C2SP note verifier of its ledger's checkpoints.
    pub ledger: NoteVerifier,
}

impl Brokerage {
    /// Opens the brokerage of `config`'s store with the root secret of `keys`: takes the store's lock
    /// (SQLite), applies the store's migrations, derives every key, and reads the KEK state and the
    /// ledger's right edge. Nothing is written on a store that exists; a fresh store records its
    /// blind-index size and KEK version 1. A store whose ledger has entries but whose settings record is
    /// gone is refused ([`BrokerageError::RecordCorrupt`] naming it), never given defaults.
    pub fn open(config: BrokerageConfig, keys: &dyn KeySource) -> Result<Self, BrokerageError> {
        let (store, lock) = Backend::open(&config.location)?;
        let store = Arc::new(store);
        let hierarchy = KeyHierarchy::new(keys.root_secret()?);
        let log = Log::new(store.clone())?;
        // The settings are written when the store is made, before its first ledger entry. Missing on a store
        // whose ledger has entries, they were deleted or damaged: defaults would seal under the wrong KEK
        // version or look customers up under another blind-index size, so the store is refused.
        let missing_on_used = |key: &[u8]| {
            let reason = format!("missing on a store whose ledger has {} entries", log.size());
            BrokerageError::corrupt(SETTINGS.as_str(), key, reason)
        };
        let kek: Option<KekState> = records::get_json(&store, SETTINGS, KEK_STATE)?;
        let blind: Option<BlindIndexConfig> = records::get_json(&store, SETTINGS, BLIND_INDEX)?;
        if log.size() > 0 {
            if kek.is_none() {
                return Err(missing_on_used(KEK_STATE));
            }
            if blind.is_none() {
                return Err(missing_on_used(BLIND_INDEX));
            }
        }
        let kek = kek.unwrap_or(KekState {
            primary: 1,
            min_decrypt: 1,
        });
        let blind = match blind {
            Some(stored) => stored,
            None => {
                let chosen = match config.blind_index {
                    Some(c) => c,
                    None => BlindIndexConfig::for_population(10_000_000, 3)?,
                };
                records::put_json(&store, SETTINGS, BLIND_INDEX, &chosen)?;
                records::put_json(&store, SETTINGS, KEK_STATE, &kek)?;
                chosen
            }
        };
        let mut keyring = hierarchy.keyring(kek.primary, kek.min_decrypt, config.keyring)?;
        let mut persisted = 0;
        for record in store.scan_records(WRAPS, &KeyRange::all(), 1024)? {
            let version = record
                .key
                .as_slice()
                .try_into()
                .map(u32::from_be_bytes)
                .map_err(|_| BrokerageError::corrupt(WRAPS.as_str(), &record.key, "not a KEK version"))?;
            let count = records::u64_at(WRAPS.as_str(), &record.key, &record.value, 0)?;
            if keyring.versions().contains(&version) {
                keyring.restore_wrap_count(version, count)?;
            }
            if version == kek.primary {
                persisted = count;
            }
        }
        let ledger_signer = NoteSigner::new(
            &config.origin,
            SignatureKind::Ed25519,
            hierarchy.ledger_signing_key()?,
        )?;
        let profile = match config.profile {
            Some(p) => p,
            None => Profile::cn_insurance_broker()?,
        };
        let calendar = match config.calendar {
            Some(c) => c,
            None => WorkingDayCalendar::mainland_2026()?,
        };
        Ok(Self {
            ledger: Mutex::new(log),
            party_key: hierarchy.party_signing_key()?,
            recipient: hierarchy.recipient_key_pair()?,
            indexer: hierarchy.blind_indexer(blind)?,
            keyring: RwLock::new(keyring),
            keys: hierarchy,
            ledger_signer,
            store,
            clock: config.clock,
            origin: config.origin,
            policy: config.basis_policy,
            profile,
            calendar,
            keyring_config: config.keyring,
            batch: config.batch,
            gate: custodia_access::Gate::cn_insurance_broker()?,
            approvals: custodia_access::ApprovalSettings::default(),
            monitoring: crate::alerts::Monitoring::new(config.monitor)?,
            sensitivity: config.sensitivity,
            access_log: custodia_access::LogSettings::new(config.access_log.retention_months)?,
            principals: crate::access::PrincipalMemo::default(),
            notices: crate::consent::NoticeMemo::default(),
            persisted_wraps: AtomicU64::new(persisted),
            _lock: lock,
        })
    }

    /// The time now, by the brokerage's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The brokerage's public keys.
    pub fn public_keys(&self) -> PublicKeys {
        PublicKeys {
            signing: self.party_key.verifying_key(),
            recipient: self.recipient.public_key(),
            ledger: self.ledger_signer.verifier().clone(),
        }
    }

    /// The brokerage as a party of a transfer agreement: `details` with its own public keys.
    pub fn party(&self, details: PartyDetails) -> Result<TransferParty, BrokerageError> {
        Ok(TransferParty::with_keys(
            details,
            &self.party_key.verifying_key(),
            &self.recipient.public_key(),
        )?)
    }

    /// `party` — its id, name, credit code, licence, contact and jurisdiction — with this brokerage's
    /// public keys in place of the ones it had: how a brokerage puts itself into agreement terms drafted
    /// elsewhere.
    pub fn as_party(&self, party: &TransferParty) -> Result<TransferParty, BrokerageError> {
        let f = party.fields();
        let (signing, recipient) = (self.party_key.verifying_key(), self.recipient.public_key());
        let party = match (f.credit_code, &f.registration) {
            (Some(credit_code), _) => TransferParty::with_keys(
                PartyDetails {
                    party_id: f.party_id,
                    name: f.name.clone(),
                    credit_code,
                    licence: f.licence.clone(),
                    contact: f.contact.clone(),
                    jurisdiction: f.jurisdiction,
                },
                &signing,
                &recipient,
            ),
            (None, registration) => TransferParty::foreign_with_keys(
                ForeignPartyDetails {
                    party_id: f.party_id,
                    name: f.name.clone(),
                    // A party is made with one of the two (`TransferParty::new` refuses neither).
                    registration: registration.clone().ok_or(BrokerageError::InvalidInput {
                        field: "party.registration",
                        reason: "neither a credit code nor a foreign registration".into(),
                    })?,
                    licence: f.licence.clone(),
                    contact: f.contact.clone(),
                    jurisdiction: f.jurisdiction,
                },
                &signing,
                &recipient,
            ),
        };
        Ok(party?)
    }

    /// Signs `draft` as its seller (the key never leaves the brokerage).
    pub fn sign_as_seller(&self, draft: DraftAgreement) -> Result<SellerSigned, BrokerageError> {
        Ok(draft.sign_as_seller(&self.party_key)?)
    }

    /// Signs `draft` as its buyer.
    pub fn sign_as_buyer(&self, draft: DraftAgreement) -> Result<BuyerSigned, BrokerageError> {
        Ok(draft.sign_as_buyer(&self.party_key)?)
    }

    /// Countersigns, as the buyer, an agreement the seller signed.
    pub fn countersign_as_buyer(&self, signed: SellerSigned) -> Result<SignedAgreement, BrokerageError> {
        Ok(signed.countersign_as_buyer(&self.party_key)?)
    }

    /// Countersigns, as the seller, an agreement the buyer signed.
    pub fn countersign_as_seller(&self, signed: BuyerSigned) -> Result<SignedAgreement, BrokerageError> {
        Ok(signed.countersign_as_seller(&self.party_key)?)
    }

    /// The legal holds in force (PIPL Art 47 exceptions: litigation, regulators' requests), kept in the
    /// store.
    pub fn holds(&self) -> Result<Holds, BrokerageError> {
        Ok(records::get_json(&self.store, SETTINGS, HOLDS)?.unwrap_or_default())
    }

    /// Places a legal hold: from its first day, nothing it covers is destroyed (a hold always wins over a
    /// retention rule). Returns the hold's id; recorded on the ledger.
    pub fn place_hold(&self, hold: PlaceHold) -> Result<custodia_retention::HoldId, BrokerageError> {
        self.write(|log| {
            let mut holds = self.holds()?;
            let by = hold.by.clone();
            let id = holds.place(hold)?;
            records::put_json(&self.store, SETTINGS, HOLDS, &holds)?;
            let payload = records::step_payload(&serde_json::json!({
                "kind": "hold_placed", "hold": id, "by": by, "at": self.now(),
            }))?;
            log.append(&[payload.as_slice()])?;
            Ok(id)
        })
    }

    /// Signs a checkpoint of the ledger now and stores it (C2SP tlog-checkpoint; the origin of the
    /// configuration). Every transfer step signs one itself.
    pub fn checkpoint(&self) -> Result<SignedCheckpoint, BrokerageError> {
        self.write(|log| self.checkpoint_in(log))
    }

    pub(crate) fn checkpoint_in(&self, log: &mut Ledger) -> Result<SignedCheckpoint, BrokerageError> {
        Ok(log.checkpoint_with_time(&self.ledger_signer, &self.origin, self.now())?)
    }

    /// Verifies the whole ledger against its own checkpoints and the brokerage's ledger key: every
    /// entry, every stored node and every signed checkpoint. O(entries).
    pub fn verify_ledger(&self) -> Result<VerifiedLog, BrokerageError> {
        let trust = TrustPolicy::log_only(&self.origin, vec![self.ledger_signer.verifier().clone()])?;
        Ok(self.log().verify(&trust)?)
    }

    /// Rotates the KEK: derives the next KEK version, re-wraps every customer's data key under it (keys,
    /// never data: no section is touched), and records the new state in the store and on the ledger, in
    /// one transaction. With [`OldKeks::Retire`] the previous versions stop unwrapping (the point of
    /// rotation once every key is moved); [`OldKeks::Keep`] keeps them for keys restored from backups.
    pub fn rotate_kek(&self, old: OldKeks) -> Result<KekRotation, BrokerageError> {
        let mut log = self.log();
        let (current, current_min) = {
            let ring = self.keyring();
            (ring.primary_version(), ring.min_decrypt_version())
        };
        let next = current.checked_add(1).ok_or(BrokerageError::InvalidInput {
            field: "kek version",
            reason: "no version left".into(),
        })?;
        let mut ring = self.keys.keyring(next, current_min, self.keyring_config)?;
        let mut rewrapped = 0u64;
        // Notes of an earlier write that failed were taken back with it.
        self.store.pending.clear();
        let result = self.store.unit_of_work(|| -> Result<(), BrokerageError> {
            self.catch_up(&mut log)?;
            let batch = self.batch.get();
            records::each_customer(&self.store, batch, &mut |customer| {
                let keys = match self.store.wrapped_keys(customer) {
                    Ok(keys) => keys,
                    Err(custodia_crypto::CryptoError::KeyDestroyed { .. }) => return Ok(()),
                    Err(e) => return Err(e.into()),
                };
                for wrapped in keys {
                    if wrapped.kek_version() < next {
                        self.store.put_wrapped_key(&ring.rewrap(&wrapped)?)?;
                        rewrapped += 1;
                    }
                }
                Ok(())
            })?;
            if old == OldKeks::Retire {
                ring.set_min_decrypt_version(next)?;
            }
            let state = KekState {
                primary: next,
                min_decrypt: ring.min_decrypt_version(),
            };
            records::put_json(&self.store, SETTINGS, KEK_STATE, &state)?;
            let wraps = ring.wrap_count(next).unwrap_or(0);
            self.store
                .put_record(WRAPS, &next.to_be_bytes(), &wraps.to_be_bytes())?;
            let payload = records::step_payload(&serde_json::json!({
                "kind": "kek_rotated", "from": current, "to": next,
                "min_decrypt": state.min_decrypt, "rewrapped": rewrapped, "at": self.now(),
            }))?;
            log.append(&[payload.as_slice()])?;
            // The rewrapped keys are vault changes like any other: anchored in the same unit (issue 16).
            self.anchor_in(&mut log)?;
            self.checkpoint_in(&mut log)?;
            Ok(())
        });
        if let Err(e) = result {
            self.store.pending.clear();
            log.reload()?;
            return Err(e);
        }
        let min_decrypt = ring.min_decrypt_version();
        self.persisted_wraps
            .store(ring.wrap_count(next).unwrap_or(0), Ordering::SeqCst);
        *self.keyring.write().unwrap_or_else(PoisonError::into_inner) = ring;
        Ok(KekRotation {
            primary: next,
            min_decrypt,
            rewrapped,
        })
    }

    /// The one write path: takes the write lock and runs `body` as one unit of work of the store, so its
    /// ledger entries, vault and key writes and records commit together or not at all. On failure the
    /// ledger's in-memory right edge is re-read (the rolled-back entries are gone). Issue 16 anchors every
    /// vault, key, tombstone and blind-index change in the ledger here.
    pub(crate) fn write<T>(
        &self,
        body: impl FnOnce(&mut Ledger) -> Result<T, BrokerageError>,
    ) -> Result<T, BrokerageError> {
        let mut log = self.log();
        // Notes of an earlier write that failed were taken back with it.
        self.store.pending.clear();
        let result = self.store.unit_of_work(|| {
            self.catch_up(&mut log)?;
            let value = body(&mut log)?;
            self.persist_wrap_count()?;
            self.anchor_in(&mut log)?;
            Ok(value)
        });
        if result.is_err() {
            self.store.pending.clear();
            // The original error matters more than a failure to re-read; the next write re-reads anyway.
            let _ = log.reload();
        }
        result
    }

    /// Appends the vault and key-store changes of the current unit to the ledger, one entry per customer
    /// ([`crate::anchor`]), inside the unit: the rows and their anchors commit together. [`Self::write`]
    /// calls it as the unit ends; a body that touches customers by the hundred thousand (the buyer's
    /// import, the disposition) calls it too whenever the customers touched so far are done, so that the
    /// changes noted do not grow with the book (a customer touched on both sides of such a call has two
    /// anchors, which [`Brokerage::verify_vault`] folds in ledger order like any two).
    pub(crate) fn anchor_in(&self, log: &mut Ledger) -> Result<(), BrokerageError> {
        let anchors = self.store.pending.take();
        if anchors.is_empty() {
            return Ok(());
        }
        let payloads = anchors
            .iter()
            .map(records::step_payload)
            .collect::<Result<Vec<_>, _>>()?;
        let slices: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
        log.append(&slices)?;
        Ok(())
    }

    /// Re-reads the ledger's right edge if another instance appended since (PostgreSQL, where several
    /// brokerages share one store). Inside a unit of work, whose locks keep every other writer out until it
    /// ends, so the edge read here stays the edge.
    fn catch_up(&self, log: &mut Ledger) -> Result<(), BrokerageError> {
        if custodia_ledger::LogStore::size(&*self.store)? != log.size() {
            log.reload()?;
        }
        Ok(())
    }

    /// Adds the wraps the primary KEK made since the last time to the count in the store, inside the
    /// current unit of work, and takes the stored total back into the keyring: the cap counts every wrap
    /// of every instance sharing the store (PostgreSQL), across restarts.
    fn persist_wrap_count(&self) -> Result<(), BrokerageError> {
        let mut ring = self.keyring.write().unwrap_or_else(PoisonError::into_inner);
        let primary = ring.primary_version();
        let count = ring.wrap_count(primary).unwrap_or(0);
        let delta = count.saturating_sub(self.persisted_wraps.load(Ordering::SeqCst));
        if delta == 0 {
            return Ok(());
        }
        let key = primary.to_be_bytes();
        let stored = match self.store.record(WRAPS, &key)? {
            Some(bytes) => records::u64_at(WRAPS.as_str(), &key, &bytes, 0)?,
            None => 0,
        };
        let total = stored.saturating_add(delta);
        self.store.put_record(WRAPS, &key, &total.to_be_bytes())?;
        ring.restore_wrap_count(primary, total)?;
        self.persisted_wraps
            .store(ring.wrap_count(primary).unwrap_or(total), Ordering::SeqCst);
        Ok(())
    }

    pub(crate) fn log(&self) -> MutexGuard<'_, Ledger> {
        // A panic in a step (a bug) rolls its transaction back; the log is reloaded by the next failure or
        // is still right, since appends change it only after the store accepted them.
        self.ledger.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn keyring(&self) -> RwLockReadGuard<'_, Keyring> {
        self.keyring.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// A customer's data key, unwrapped (for sealing or opening inside this crate; it never leaves it).
    pub(crate) fn data_key(&self, customer: CustomerId, dek: DekId) -> Result<DataKey, BrokerageError> {
        let wrapped = self.store.wrapped_key(customer, dek)?;
        Ok(self.keyring().unwrap(&wrapped)?)
    }
}

/// What [`Brokerage::rotate_kek`] does with the KEK versions before the new one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OldKeks {
    /// Retire them: keys wrapped under them no longer open (every stored key was just re-wrapped).
    Retire,
    /// Keep them for unwrapping, for keys restored from a backup taken before the rotation.
    Keep,
}

/// What a KEK rotation did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct KekRotation {
    /// The new primary version.
    pub primary: u32,
    /// The lowest version still unwrapping.
    pub min_decrypt: u32,
    /// Data keys re-wrapped.
    pub rewrapped: u64,
}
