//! Versioned notices (PIPL Art 17) and the material-change comparison that decides whether consent is needed
//! again (PIPL Art 14; ISO/IEC 29184 5.5.3).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use custodia_model::{DataCategory, Jurisdiction, Purpose};
use serde::{Deserialize, Serialize};

use crate::digest::Digest;
use crate::error::ConsentError;
use crate::event::Channel;
use crate::ids::NoticeId;
use crate::scope::{ProposedUse, Recipient};

/// Longest free-text field of a notice, in characters.
pub const MAX_TEXT: usize = 4096;

/// A notice and its version: the pair every consent event refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
// Not `#[non_exhaustive]`: a notice version is exactly an id and a number, and callers build one.
pub struct NoticeRef {
    /// The notice.
    pub id: NoticeId,
    /// Its version, from 1.
    pub version: u32,
}

/// A recipient named in a notice, with the name and contact the person must be told (PIPL Arts 22, 23, 39).
/// These are an organization's details, not the customer's, so they may sit on the ledger.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NoticeRecipient {
    /// Who receives.
    pub recipient: Recipient,
    /// Its name.
    pub name: String,
    /// How to reach it, and how to exercise rights against it (PIPL Art 39).
    pub contact: String,
}

/// How a person withdraws: the channels that take a withdrawal and where to send it (PIPL Art 15: a
/// convenient way to withdraw; GDPR Art 7(3): as easy as giving; ISO/IEC TS 27560 `withdrawal_method`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithdrawalMethod {
    /// The channels a withdrawal is taken on; at least one.
    pub channels: BTreeSet<Channel>,
    /// Where to send it: the controller's address, number or page for withdrawals (an organization's
    /// details, never the person's).
    pub contact: String,
}

/// Where and under which law the controller processes, who it is, and how to withdraw: the ISO/IEC TS 27560
/// elements a consent receipt must carry that a notice of consent-record formats 1 and 2 did not (PIPL Art
/// 17(1)(1), (4); Art 39 for places abroad; GDPR Art 13(1)(a), (f), (2)(c)). Required in every notice
/// published from format 3 on; `None` only in a notice recorded in an earlier format.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessingDetails {
    /// The controller's registration identifier (for a mainland company its unified social credit code,
    /// GB 32100; elsewhere a company-register number): TS 27560 `party_id` of the PII controller.
    pub controller_id: String,
    /// The controller's registered address: TS 27560 `party_address`.
    pub controller_address: String,
    /// The jurisdiction whose law governs the processing the notice describes, where the controller
    /// processes and answers for it: `CN` for the PIPL, an EEA state for the GDPR. Not the person's home and
    /// not a destination abroad (those are [`NoticeDraft::destinations`]).
    pub jurisdiction: Jurisdiction,
    /// Where the data is stored (TS 27560 `storage_locations`; PIPL Art 40 for data kept in the mainland);
    /// at least one.
    pub storage_locations: BTreeSet<Jurisdiction>,
    /// How to withdraw.
    pub withdrawal: WithdrawalMethod,
}

/// Everything a notice says, as plain fields: the input of [`Notice::new`] and its stored form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeDraft {
    /// Which notice.
    pub id: NoticeId,
    /// Which version, from 1.
    pub version: u32,
    /// The controller's name (PIPL Art 17(1)(1)).
    pub controller_name: String,
    /// The controller's contact (PIPL Art 17(1)(1)).
    pub controller_contact: String,
    /// The purposes of processing (PIPL Art 17(1)(2)).
    pub purposes: BTreeSet<Purpose>,
    /// The categories processed (PIPL Art 17(1)(2)).
    pub categories: BTreeSet<DataCategory>,
    /// Recipients other than the controller (PIPL Arts 22, 23).
    pub recipients: Vec<NoticeRecipient>,
    /// Destinations of transfers abroad (PIPL Art 39; GDPR Art 13(1)(f)). For a customer in mainland China
    /// the places outside it; for a customer in the EEA the places outside the EEA, mainland China included.
    pub destinations: BTreeSet<Jurisdiction>,
    /// How long the data is kept (PIPL Art 17(1)(3)).
    pub retention: String,
    /// The person's rights and how to use them (PIPL Art 17(1)(4)).
    pub rights: String,
    /// The language of the text shown, as a BCP 47 tag such as `zh-CN`.
    pub language: String,
    /// SHA-256 of the exact text shown, so the text can be proven later without storing it on the ledger.
    pub text_digest: Digest,
    /// When this version was published: from then on it is what the person is shown (valid time). A consent
    /// that took effect before its notice was published is refused ([`crate::ConsentRule::NoticeAfterConsent`]:
    /// PIPL Arts 14, 17, the notice comes first).
    pub published_at: DateTime<Utc>,
    /// When the controller recorded this version (transaction time): a question asked as of an earlier time
    /// does not know it, so a notice appended later never changes an answer already given.
    pub recorded_at: DateTime<Utc>,
    /// Who the controller is, where and under which law it processes, and how to withdraw. Required when a
    /// notice is published ([`crate::ConsentRecord::encode`] refuses a notice without it); `None` only in a
    /// notice recorded in consent-record format 1 or 2, which had no such field.
    pub processing: Option<ProcessingDetails>,
}

/// A validated, versioned notice. A value that exists has every field PIPL Art 17 asks for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "NoticeDraft", into = "NoticeDraft")]
pub struct Notice {
    draft: NoticeDraft,
}

fn text(field: &'static str, value: &str) -> Result<(), ConsentError> {
    if value.trim().is_empty() || value.chars().count() > MAX_TEXT {
        return Err(ConsentError::InvalidText { field, max: MAX_TEXT });
    }
    Ok(())
}

/// A BCP 47 tag in its common shape: letters, digits and `-`, starting with a 2-3 letter language subtag.
fn language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let lang_ok = parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()));
    lang_ok && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

impl Notice {
    /// Checks the draft: every text present, at least one purpose and category, recipients unique and not the
    /// controller itself, a version of 1 or more. Publication and recording may come in either order (a
    /// version recorded ahead of its publication date, or keyed in after it).
    pub fn new(mut draft: NoticeDraft) -> Result<Self, ConsentError> {
        let id = draft.id.to_string();
        if draft.version == 0 {
            return Err(ConsentError::InvalidNoticeVersion { notice: id });
        }
        text("notice.controller_name", &draft.controller_name)?;
        text("notice.controller_contact", &draft.controller_contact)?;
        text("notice.retention", &draft.retention)?;
        text("notice.rights", &draft.rights)?;
        if !language_tag(&draft.language) {
            return Err(ConsentError::InvalidText {
                field: "notice.language",
                max: 35,
            });
        }
        if draft.purposes.is_empty() {
            return Err(ConsentError::Empty {
                field: "notice.purposes",
            });
        }
        if draft.categories.is_empty() {
            return Err(ConsentError::Empty {
                field: "notice.categories",
            });
        }
        if let Some(p) = &draft.processing {
            text("notice.processing.controller_id", &p.controller_id)?;
            text("notice.processing.controller_address", &p.controller_address)?;
            text("notice.processing.withdrawal.contact", &p.withdrawal.contact)?;
            if p.storage_locations.is_empty() {
                return Err(ConsentError::Empty {
                    field: "notice.processing.storage_locations",
                });
            }
            if p.withdrawal.channels.is_empty() {
                return Err(ConsentError::Empty {
                    field: "notice.processing.withdrawal.channels",
                });
            }
        }
        for r in &draft.recipients {
            if r.recipient == Recipient::Controller {
                return Err(ConsentError::ControllerAsRecipient { notice: id });
            }
            text("notice.recipients.name", &r.name)?;
            text("notice.recipients.contact", &r.contact)?;
        }
        // Sorted so that the stored form is canonical whatever order the caller listed recipients in.
        draft.recipients.sort();
        if let Some(w) = draft
            .recipients
            .windows(2)
            .find(|w| matches!(w, [a, b] if a.recipient == b.recipient))
        {
            let recipient = w.first().map(|r| r.recipient.to_string()).unwrap_or_default();
            return Err(ConsentError::DuplicateRecipient {
                notice: id,
                recipient,
            });
        }
        Ok(Self { draft })
    }

    /// The notice and version.
    pub fn reference(&self) -> NoticeRef {
        NoticeRef {
            id: self.draft.id,
            version: self.draft.version,
        }
    }

    /// All fields, read-only.
    pub fn fields(&self) -> &NoticeDraft {
        &self.draft
    }

    /// Whether the recipient is disclosed: the controller always is, others only when listed.
    pub fn names_recipient(&self, recipient: Recipient) -> bool {
        recipient == Recipient::Controller || self.draft.recipients.iter().any(|r| r.recipient == recipient)
    }

    /// Whether this notice told the person about `use_`: its purpose, category, recipient and, for a use
    /// abroad, its destination. A grant never covers more than its notice disclosed (PIPL Art 14).
    pub fn discloses(&self, use_: &ProposedUse) -> bool {
        self.draft.purposes.contains(use_.purpose())
            && self.draft.categories.contains(&use_.category())
            && self.names_recipient(use_.recipient())
            && (!use_.is_cross_border() || self.draft.destinations.contains(&use_.destination()))
    }

    /// What changed from `older` to this version. Fails unless both are versions of one notice and `older`
    /// has the lower version.
    pub fn changes_from(&self, older: &Notice) -> Result<NoticeChange, ConsentError> {
        if older.draft.id != self.draft.id || older.draft.version >= self.draft.version {
            return Err(ConsentError::NoticeMismatch {
                notice: self.draft.id.to_string(),
                older: older.draft.version,
                newer: self.draft.version,
            });
        }
        let (new, old) = (&self.draft, &older.draft);
        let recipients =
            |d: &NoticeDraft| -> BTreeSet<Recipient> { d.recipients.iter().map(|r| r.recipient).collect() };
        let (new_r, old_r) = (recipients(new), recipients(old));
        Ok(NoticeChange {
            from: older.reference(),
            to: self.reference(),
            added_purposes: new.purposes.difference(&old.purposes).cloned().collect(),
            added_categories: new.categories.difference(&old.categories).copied().collect(),
            added_recipients: new_r.difference(&old_r).copied().collect(),
            added_destinations: new.destinations.difference(&old.destinations).copied().collect(),
            removed_purposes: old.purposes.difference(&new.purposes).cloned().collect(),
            removed_categories: old.categories.difference(&new.categories).copied().collect(),
            removed_recipients: old_r.difference(&new_r).copied().collect(),
            removed_destinations: old.destinations.difference(&new.destinations).copied().collect(),
            text_changed: new.text_digest != old.text_digest,
        })
    }
}

impl TryFrom<NoticeDraft> for Notice {
    type Error = ConsentError;

    fn try_from(draft: NoticeDraft) -> Result<Self, Self::Error> {
        Notice::new(draft)
    }
}

impl From<Notice> for NoticeDraft {
    fn from(n: Notice) -> Self {
        n.draft
    }
}

/// The difference between two versions of a notice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NoticeChange {
    /// The older version.
    pub from: NoticeRef,
    /// The newer version.
    pub to: NoticeRef,
    /// Purposes the newer version adds.
    pub added_purposes: BTreeSet<Purpose>,
    /// Categories it adds.
    pub added_categories: BTreeSet<DataCategory>,
    /// Recipients it adds.
    pub added_recipients: BTreeSet<Recipient>,
    /// Destinations abroad it adds.
    pub added_destinations: BTreeSet<Jurisdiction>,
    /// Purposes it drops.
    pub removed_purposes: BTreeSet<Purpose>,
    /// Categories it drops.
    pub removed_categories: BTreeSet<DataCategory>,
    /// Recipients it drops.
    pub removed_recipients: BTreeSet<Recipient>,
    /// Destinations it drops.
    pub removed_destinations: BTreeSet<Jurisdiction>,
    /// Whether the text shown differs at all.
    pub text_changed: bool,
}

impl NoticeChange {
    /// Whether the change is material: it adds a purpose, category, recipient or destination, so consent
    /// given under the older version does not reach what was added and must be asked for again (PIPL Art 14,
    /// Art 22 and 23 "changes the purpose or method"; ISO/IEC 29184 5.5.3). Narrowing a notice or rewording
    /// it is not material.
    pub fn is_material(&self) -> bool {
        !(self.added_purposes.is_empty()
            && self.added_categories.is_empty()
            && self.added_recipients.is_empty()
            && self.added_destinations.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::PartyId;
    use chrono::TimeZone;

    fn draft(version: u32) -> NoticeDraft {
        NoticeDraft {
            id: NoticeId::from_uuid(uuid::Uuid::from_u128(7)).unwrap(),
            version,
            controller_name: "示例保险经纪有限公司".into(),
            controller_contact: "privacy@example.invalid".into(),
            purposes: [Purpose::PolicyServicing, Purpose::Marketing].into(),
            categories: [DataCategory::Contact, DataCategory::Identity].into(),
            recipients: vec![],
            destinations: BTreeSet::new(),
            retention: "policy term plus 10 years (Broker Rule Art 51)".into(),
            rights: "access, copy, correct, delete, withdraw: privacy@example.invalid".into(),
            language: "zh-CN".into(),
            text_digest: Digest::of(b"v1 text"),
            published_at: Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(),
            recorded_at: Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(),
            processing: Some(ProcessingDetails {
                controller_id: "91310000MA1FL0001X".into(),
                controller_address: "上海市浦东新区示例路 1 号".into(),
                jurisdiction: Jurisdiction::MAINLAND_CHINA,
                storage_locations: [Jurisdiction::MAINLAND_CHINA].into(),
                withdrawal: WithdrawalMethod {
                    channels: [Channel::Web, Channel::Email].into(),
                    contact: "privacy@example.invalid".into(),
                },
            }),
        }
    }

    #[test]
    fn incomplete_processing_details_are_refused_with_the_field() {
        let mut d = draft(1);
        if let Some(p) = d.processing.as_mut() {
            p.storage_locations.clear();
        }
        assert_eq!(
            Notice::new(d).unwrap_err(),
            ConsentError::Empty {
                field: "notice.processing.storage_locations"
            }
        );
        let mut d = draft(1);
        if let Some(p) = d.processing.as_mut() {
            p.withdrawal.channels.clear();
        }
        assert!(matches!(Notice::new(d), Err(ConsentError::Empty { .. })));
        let mut d = draft(1);
        if let Some(p) = d.processing.as_mut() {
            p.controller_address = " ".into();
        }
        assert!(matches!(
            Notice::new(d),
            Err(ConsentError::InvalidText {
                field: "notice.processing.controller_address",
                ..
            })
        ));
    }

    #[test]
    fn incomplete_notices_are_refused_with_the_field() {
        let mut d = draft(1);
        d.controller_contact = "  ".into();
        assert_eq!(
            Notice::new(d).unwrap_err(),
            ConsentError::InvalidText {
                field: "notice.controller_contact",
                max: MAX_TEXT
            }
        );
        let mut d = draft(1);
        d.language = "chinese please".into();
        assert!(matches!(
            Notice::new(d),
            Err(ConsentError::InvalidText {
                field: "notice.language",
                ..
            })
        ));
        assert!(matches!(
            Notice::new(draft(0)),
            Err(ConsentError::InvalidNoticeVersion { .. })
        ));
        let mut d = draft(1);
        d.recipients.push(NoticeRecipient {
            recipient: Recipient::Controller,
            name: "x".into(),
            contact: "y".into(),
        });
        assert!(matches!(
            Notice::new(d),
            Err(ConsentError::ControllerAsRecipient { .. })
        ));
        let mut d = draft(1);
        let p = PartyId::new_v7();
        for _ in 0..2 {
            d.recipients.push(NoticeRecipient {
                recipient: Recipient::ThirdParty(p),
                name: "x".into(),
                contact: "y".into(),
            });
        }
        assert!(matches!(
            Notice::new(d),
            Err(ConsentError::DuplicateRecipient { .. })
        ));
    }

    #[test]
    fn adding_a_recipient_is_material_rewording_is_not() {
        let v1 = Notice::new(draft(1)).unwrap();
        let mut d2 = draft(2);
        d2.text_digest = Digest::of(b"v2 text, reworded");
        let v2 = Notice::new(d2.clone()).unwrap();
        let change = v2.changes_from(&v1).unwrap();
        assert!(change.text_changed);
        assert!(!change.is_material());

        let buyer = PartyId::new_v7();
        d2.version = 3;
        d2.recipients.push(NoticeRecipient {
            recipient: Recipient::Successor(buyer),
            name: "买方保险经纪有限公司".into(),
            contact: "dpo@buyer.invalid".into(),
        });
        d2.purposes.remove(&Purpose::Marketing);
        let v3 = Notice::new(d2).unwrap();
        let change = v3.changes_from(&v1).unwrap();
        assert!(change.is_material());
        assert_eq!(change.added_recipients, [Recipient::Successor(buyer)].into());
        assert_eq!(change.removed_purposes, [Purpose::Marketing].into());
        assert!(v1.changes_from(&v3).is_err(), "versions must be in order");
    }

    #[test]
    fn stored_form_round_trips_and_is_validated() {
        let n = Notice::new(draft(1)).unwrap();
        let json = serde_json::to_string(&n).unwrap();
        assert_eq!(serde_json::from_str::<Notice>(&json).unwrap(), n);
        let bad = json.replace("\"version\":1", "\"version\":0");
        assert!(serde_json::from_str::<Notice>(&bad).is_err());
    }
}
