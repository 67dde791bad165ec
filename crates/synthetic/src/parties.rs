//! Sample parties, keys and agreements for transfer examples, tests, benches and fuzz seeds: a seller and a
//! buyer brokerage with valid GB 32100 credit codes and fresh keys, and the agreement most tests start from.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use custodia_consent::{PartyId, TransferPath};
use custodia_crypto::{
    CryptoError, Keyring, KeyringConfig, RecipientKeyPair, RecipientPublicKey, SigningKey, VerifyingKey,
};
use custodia_model::{DataCategory, Jurisdiction, ModelError, Purpose, TransferId, UnifiedSocialCreditCode};
use custodia_transfer::{
    AgreementTerms, BuyerObligations, CustomerSelection, DraftAgreement, MinorRule, PartyDetails, ScopeItem,
    SensitiveRule, SignedAgreement, TransferError, TransferParty,
};

/// The seller's credit-code stem (17 characters; [`credit_code`] adds the check character).
pub const SELLER_STEM: &str = "91310000MA1FL0001";

/// The buyer's credit-code stem.
pub const BUYER_STEM: &str = "91110000MA0000009";

/// A valid unified social credit code: `stem` (17 characters of the GB 32100 alphabet) and its check character.
pub fn credit_code(stem: &str) -> Result<UnifiedSocialCreditCode, ModelError> {
    let check =
        UnifiedSocialCreditCode::check_character(stem.as_bytes()).ok_or(ModelError::InvalidLength {
            field: UnifiedSocialCreditCode::FIELD,
            expected: "a 17-character stem",
            actual: stem.chars().count(),
        })?;
    UnifiedSocialCreditCode::new(&format!("{stem}{}", char::from(check)))
}

/// Every key of both sides: signing keys, the buyer's (and seller's) X25519 recipient key pair, and each
/// side's keyring derived from a fixed test master secret.
pub struct SampleKeys {
    /// The seller signs the agreement and the package.
    pub seller_sign: SigningKey,
    /// The buyer countersigns the agreement and signs the receipt.
    pub buyer_sign: SigningKey,
    /// The seller's recipient key pair (a party must publish one).
    pub seller_recipient: RecipientKeyPair,
    /// The buyer's recipient key pair, to which the transfer key is sealed.
    pub buyer_recipient: RecipientKeyPair,
    /// The seller's keyring (master secret `[1; 32]`).
    pub seller_ring: Keyring,
    /// The buyer's keyring (master secret `[2; 32]`).
    pub buyer_ring: Keyring,
}

impl SampleKeys {
    /// Fresh signing and recipient keys, fixed keyrings.
    pub fn generate() -> Result<Self, CryptoError> {
        Ok(Self {
            seller_sign: SigningKey::generate()?,
            buyer_sign: SigningKey::generate()?,
            seller_recipient: RecipientKeyPair::generate()?,
            buyer_recipient: RecipientKeyPair::generate()?,
            seller_ring: Keyring::derive_from_master(&[1u8; 32], 1, KeyringConfig::default())?,
            buyer_ring: Keyring::derive_from_master(&[2u8; 32], 1, KeyringConfig::default())?,
        })
    }
}

/// A party in mainland China named `name`, with the credit code of `stem`, licence `licence`, contact
/// `contact` and the given public keys; a fresh party id.
pub fn party(
    name: &str,
    stem: &str,
    licence: &str,
    contact: &str,
    keys: (&VerifyingKey, &RecipientPublicKey),
) -> Result<TransferParty, TransferError> {
    TransferParty::with_keys(
        PartyDetails {
            party_id: PartyId::new_v7(),
            name: name.to_owned(),
            credit_code: credit_code(stem)?,
            licence: licence.to_owned(),
            contact: contact.to_owned(),
            jurisdiction: Jurisdiction::MAINLAND_CHINA,
        },
        keys.0,
        keys.1,
    )
}

/// The sample seller, 示例保险经纪有限公司.
pub fn seller(keys: &SampleKeys) -> Result<TransferParty, TransferError> {
    party(
        "示例保险经纪有限公司",
        SELLER_STEM,
        "260000000000001",
        "privacy@seller.example",
        (
            &keys.seller_sign.verifying_key(),
            &keys.seller_recipient.public_key(),
        ),
    )
}

/// The sample buyer, 承接保险经纪有限公司.
pub fn buyer(keys: &SampleKeys) -> Result<TransferParty, TransferError> {
    party(
        "承接保险经纪有限公司",
        BUYER_STEM,
        "260000000000002",
        "privacy@buyer.example",
        (
            &keys.buyer_sign.verifying_key(),
            &keys.buyer_recipient.public_key(),
        ),
    )
}

/// The categories the sample agreement continues policy servicing for.
pub fn servicing_categories() -> BTreeSet<DataCategory> {
    [
        DataCategory::Identity,
        DataCategory::Contact,
        DataCategory::FinancialAccounts,
        DataCategory::Policies,
        DataCategory::Claims,
        DataCategory::Beneficiaries,
        DataCategory::KycAml,
    ]
    .into()
}

/// The sample agreement on `path`, effective 1 June 2026: the buyer continues policy servicing, underwriting
/// (health) and marketing; active customers and those lapsed within five years; sensitive data follows the
/// path; minors' data only with a guardian's consent; no cross-border terms.
pub fn terms(keys: &SampleKeys, path: TransferPath) -> Result<AgreementTerms, TransferError> {
    Ok(AgreementTerms {
        transfer_id: TransferId::new_v7(),
        seller: seller(keys)?,
        buyer: buyer(keys)?,
        legal_path: path,
        scope: vec![
            ScopeItem {
                purpose: Purpose::PolicyServicing,
                categories: servicing_categories(),
            },
            ScopeItem {
                purpose: Purpose::ProposalPreparation,
                categories: [DataCategory::Health].into(),
            },
            ScopeItem {
                purpose: Purpose::Marketing,
                categories: [DataCategory::MarketingPreferences].into(),
            },
        ],
        selection: CustomerSelection::LapsedWithinYears(5),
        objection_window_days: 30,
        sensitive: SensitiveRule::FollowPath,
        minors: MinorRule::RequireGuardianConsent,
        cross_border: None,
        obligations: BuyerObligations {
            continue_retention_duties: true,
            purpose_limitation: true,
            security_measures: "AES-256-GCM per customer, access control, audit log".into(),
        },
        impact_assessment: "PIA-2026-017".into(),
        deal: Default::default(),
        effective: NaiveDate::from_ymd_opt(2026, 6, 1).ok_or(TransferError::Model(ModelError::Empty {
            field: "agreement.effective",
        }))?,
    })
}

/// `terms` signed by the seller and countersigned by the buyer.
pub fn sign(keys: &SampleKeys, terms: AgreementTerms) -> Result<SignedAgreement, TransferError> {
    DraftAgreement::new(terms)?
        .sign_as_seller(&keys.seller_sign)?
        .countersign_as_buyer(&keys.buyer_sign)
}
