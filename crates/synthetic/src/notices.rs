//! What a synthetic controller's notices say about the controller itself: its registration id and address,
//! where and under which law it processes, and how to withdraw (the notice's ISO/IEC TS 27560 elements).

use std::collections::BTreeSet;

use custodia_consent::{Channel, ProcessingDetails, WithdrawalMethod};
use custodia_model::Jurisdiction;

use crate::parties::{SELLER_STEM, credit_code};

/// The processing details of a synthetic mainland brokerage: the sample seller's credit code
/// ([`SELLER_STEM`] with its check character) as registration id, a fictitious address, processing and
/// storage in mainland China under the PIPL, withdrawals taken on the web, by e-mail and on paper at
/// `contact`.
pub fn processing_details(contact: &str) -> ProcessingDetails {
    let controller_id = credit_code(SELLER_STEM).map_or_else(|_| SELLER_STEM.to_owned(), |c| c.to_string());
    ProcessingDetails {
        controller_id,
        controller_address: "上海市浦东新区示例路 1 号 (synthetic)".to_owned(),
        jurisdiction: Jurisdiction::MAINLAND_CHINA,
        storage_locations: BTreeSet::from([Jurisdiction::MAINLAND_CHINA]),
        withdrawal: WithdrawalMethod {
            channels: BTreeSet::from([Channel::Web, Channel::Email, Channel::Paper]),
            contact: contact.to_owned(),
        },
    }
}
