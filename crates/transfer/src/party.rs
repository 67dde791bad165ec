//! The two parties of a transfer: who they are, how to reach them, and the public keys they sign and receive with.

use custodia_consent::PartyId;
use custodia_crypto::{RecipientPublicKey, VerifyingKey};
use custodia_model::{Jurisdiction, UnifiedSocialCreditCode};
use serde::{Deserialize, Serialize};

use crate::codec::{hex, unhex};
use crate::error::TransferError;

/// Longest free-text field of a party, in characters.
pub const MAX_PARTY_TEXT: usize = 256;

/// How a company outside mainland China is registered: it has no unified social credit code, so it is
/// named by the identifier its own jurisdiction uses (a Hong Kong business registration number, a UK company
/// number), with the register that issued it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForeignRegistration {
    /// The register, in words (`Companies Registry, Hong Kong`), 1 to 256 characters.
    pub register: String,
    /// The number on that register, 1 to 64 characters.
    pub number: String,
}

/// Every field of a [`TransferParty`], as plain data: the input of [`TransferParty::new`] and its stored form. Keys are
/// lower-case hex so that the canonical agreement bytes are readable.
///
/// A party in mainland China carries its unified social credit code; a party outside carries its
/// [`ForeignRegistration`] instead (both are optional in the stored form, which writes only the one present,
/// so agreements signed before foreign parties existed keep their exact bytes).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferPartyFields {
    /// The id the consent ledger names this party by when it is a recipient (PIPL Arts 22, 23).
    pub party_id: PartyId,
    /// The registered name, told to every customer (PIPL Art 22: the recipient's name).
    pub name: String,
    /// The unified social credit code (GB 32100), checked; required in mainland China.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_code: Option<UnifiedSocialCreditCode>,
    /// The registration outside mainland China; required there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration: Option<ForeignRegistration>,
    /// The insurance-brokerage licence number (经营保险经纪业务许可证).
    pub licence: String,
    /// How customers reach the party to exercise their rights (PIPL Arts 22, 23: contact).
    pub contact: String,
    /// Where the party processes the data.
    pub jurisdiction: Jurisdiction,
    /// The Ed25519 key the party signs the agreement, package or receipt with, as 64 hex digits.
    pub signing_key: String,
    /// The X25519 key a package's transfer key is sealed to (HPKE, RFC 9180), as 64 hex digits.
    pub recipient_key: String,
}

/// A party of a transfer, the seller or the buyer brokerage: a validated name, registration (a unified social
/// credit code in mainland China, the local identifier elsewhere), licence, contact, jurisdiction and public
/// keys. (A customer is the model's `Party`; this is an organization on the other side of the deal.) A value
/// that exists has the identifier its jurisdiction uses and well-formed keys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "TransferPartyFields", into = "TransferPartyFields")]
pub struct TransferParty {
    fields: TransferPartyFields,
    verifying_key: VerifyingKey,
    recipient_key: RecipientPublicKey,
}

fn text(field: &'static str, value: &str) -> Result<(), TransferError> {
    if value.trim().is_empty() {
        return Err(TransferError::invalid(field, "empty"));
    }
    if value.chars().count() > MAX_PARTY_TEXT {
        return Err(TransferError::invalid(
            field,
            format!("longer than {MAX_PARTY_TEXT} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(TransferError::invalid(field, "control character"));
    }
    Ok(())
}

/// Who a party outside mainland China is, without its keys: the input of [`TransferParty::foreign_with_keys`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForeignPartyDetails {
    /// The id the consent ledger names this party by when it is a recipient (PIPL Arts 22, 23, 39).
    pub party_id: PartyId,
    /// The registered name, told to every customer (PIPL Art 39: the overseas recipient's name).
    pub name: String,
    /// The registration its jurisdiction uses.
    pub registration: ForeignRegistration,
    /// The licence it holds to act as a broker, as its regulator numbers it.
    pub licence: String,
    /// How customers reach it to exercise their rights (PIPL Art 39).
    pub contact: String,
    /// Where it processes the data: outside mainland China.
    pub jurisdiction: Jurisdiction,
}

/// Who a party in mainland China is, without its keys: the input of [`TransferParty::with_keys`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartyDetails {
    /// The id the consent ledger names this party by when it is a recipient (PIPL Arts 22, 23).
    pub party_id: PartyId,
    /// The registered name, told to every customer (PIPL Art 22: the recipient's name).
    pub name: String,
    /// The unified social credit code (GB 32100), checked.
    pub credit_code: UnifiedSocialCreditCode,
    /// The insurance-brokerage licence number (经营保险经纪业务许可证).
    pub licence: String,
    /// How customers reach the party to exercise their rights (PIPL Arts 22, 23: contact).
    pub contact: String,
    /// Where the party processes the data.
    pub jurisdiction: Jurisdiction,
}

impl TransferParty {
    /// Checks every field: texts present, bounded and free of control characters; a mainland party with a
    /// credit code and no foreign registration, a party elsewhere with a foreign registration; keys 32 bytes
    /// of hex.
    pub fn new(fields: TransferPartyFields) -> Result<Self, TransferError> {
        text("party.name", &fields.name)?;
        text("party.licence", &fields.licence)?;
        text("party.contact", &fields.contact)?;
        match (
            fields.jurisdiction.is_mainland_china(),
            &fields.credit_code,
            &fields.registration,
        ) {
            (true, Some(_), None) => {}
            (true, _, _) => {
                return Err(TransferError::invalid(
                    "party.credit_code",
                    "a party in mainland China is named by its unified social credit code (GB 32100)",
                ));
            }
            (false, _, Some(r)) => {
                text("party.registration.register", &r.register)?;
                text("party.registration.number", &r.number)?;
                if r.number.chars().count() > 64 {
                    return Err(TransferError::invalid(
                        "party.registration.number",
                        "longer than 64 characters",
                    ));
                }
            }
            (false, _, None) => {
                return Err(TransferError::invalid(
                    "party.registration",
                    "a party outside mainland China has no unified social credit code: give the identifier its jurisdiction uses",
                ));
            }
        }
        let verifying_key = unhex::<32>(&fields.signing_key)
            .filter(|_| fields.signing_key.bytes().all(|b| !b.is_ascii_uppercase()))
            .and_then(|b| VerifyingKey::from_bytes(&b).ok())
            .ok_or_else(|| TransferError::invalid("party.signing_key", "not 64 lower-case hex digits"))?;
        let recipient_key = unhex::<32>(&fields.recipient_key)
            .filter(|_| fields.recipient_key.bytes().all(|b| !b.is_ascii_uppercase()))
            .and_then(|b| RecipientPublicKey::from_bytes(&b).ok())
            .ok_or_else(|| TransferError::invalid("party.recipient_key", "not 64 lower-case hex digits"))?;
        Ok(Self {
            fields,
            verifying_key,
            recipient_key,
        })
    }

    /// A party from its details and typed keys, filling the hex fields.
    pub fn with_keys(
        details: PartyDetails,
        verifying_key: &VerifyingKey,
        recipient_key: &RecipientPublicKey,
    ) -> Result<Self, TransferError> {
        let PartyDetails {
            party_id,
            name,
            credit_code,
            licence,
            contact,
            jurisdiction,
        } = details;
        Self::new(TransferPartyFields {
            party_id,
            name,
            credit_code: Some(credit_code),
            registration: None,
            licence,
            contact,
            jurisdiction,
            signing_key: hex(verifying_key.as_bytes()),
            recipient_key: hex(recipient_key.as_bytes()),
        })
    }

    /// A party outside mainland China from its details and typed keys: named by its local registration.
    pub fn foreign_with_keys(
        details: ForeignPartyDetails,
        verifying_key: &VerifyingKey,
        recipient_key: &RecipientPublicKey,
    ) -> Result<Self, TransferError> {
        let ForeignPartyDetails {
            party_id,
            name,
            registration,
            licence,
            contact,
            jurisdiction,
        } = details;
        Self::new(TransferPartyFields {
            party_id,
            name,
            credit_code: None,
            registration: Some(registration),
            licence,
            contact,
            jurisdiction,
            signing_key: hex(verifying_key.as_bytes()),
            recipient_key: hex(recipient_key.as_bytes()),
        })
    }

    /// The fields.
    pub fn fields(&self) -> &TransferPartyFields {
        &self.fields
    }

    /// The consent-ledger party id.
    pub fn party_id(&self) -> PartyId {
        self.fields.party_id
    }

    /// The registered name.
    pub fn name(&self) -> &str {
        &self.fields.name
    }

    /// The unified social credit code: present for a party in mainland China.
    pub fn credit_code(&self) -> Option<&UnifiedSocialCreditCode> {
        self.fields.credit_code.as_ref()
    }

    /// The registration outside mainland China: present for a party elsewhere.
    pub fn registration(&self) -> Option<&ForeignRegistration> {
        self.fields.registration.as_ref()
    }

    /// Whether two parties are registered as the same company (same credit code or same foreign register
    /// and number).
    pub fn same_registration(&self, other: &TransferParty) -> bool {
        (self.credit_code().is_some() && self.credit_code() == other.credit_code())
            || (self.registration().is_some() && self.registration() == other.registration())
    }

    /// The licence number.
    pub fn licence(&self) -> &str {
        &self.fields.licence
    }

    /// The contact customers are told.
    pub fn contact(&self) -> &str {
        &self.fields.contact
    }

    /// Where the party processes data.
    pub fn jurisdiction(&self) -> Jurisdiction {
        self.fields.jurisdiction
    }

    /// The Ed25519 verifying key.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.verifying_key
    }

    /// The X25519 recipient key.
    pub fn recipient_key(&self) -> &RecipientPublicKey {
        &self.recipient_key
    }
}

impl TryFrom<TransferPartyFields> for TransferParty {
    type Error = TransferError;

    fn try_from(fields: TransferPartyFields) -> Result<Self, Self::Error> {
        Self::new(fields)
    }
}

impl From<TransferParty> for TransferPartyFields {
    fn from(party: TransferParty) -> Self {
        party.fields
    }
}
