//! Property tests of the checksum rules: every generated value validates, every single-character change of a

// Helpers outside #[test] functions may unwrap too: a panic in a test is a failed assertion (clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! valid value is rejected (GB 11643 mod 11-2, GB 32100 mod 31, Luhn).

use chrono::NaiveDate;
use custodia_model::{
    BankCardNumber, Gender, IdentityDocument, Party, ResidentIdNumber, UnifiedSocialCreditCode,
};
use custodia_synthetic::book::{BookConfig, SyntheticBook};
use proptest::prelude::*;

const REGIONS: [&str; 4] = ["110105", "310104", "440305", "510107"];

fn resident_id() -> impl Strategy<Value = ResidentIdNumber> {
    (0usize..4, 0i32..60_000, 0u16..1000, any::<bool>()).prop_map(|(r, days, seq, male)| {
        let birth = NaiveDate::from_ymd_opt(1860, 1, 1).unwrap() + chrono::Days::new(days as u64);
        let gender = if male { Gender::Male } else { Gender::Female };
        ResidentIdNumber::from_parts(REGIONS[r], birth, seq, gender).unwrap()
    })
}

fn uscc() -> impl Strategy<Value = UnifiedSocialCreditCode> {
    let alphabet = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    (proptest::collection::vec(0usize..31, 11), 0usize..4).prop_map(move |(chars, r)| {
        let mut code: Vec<u8> = Vec::new();
        code.push(alphabet[chars[0]]);
        code.push(alphabet[chars[1]]);
        code.extend_from_slice(REGIONS[r].as_bytes());
        code.extend(chars[2..].iter().map(|&c| alphabet[c]));
        code.push(UnifiedSocialCreditCode::check_character(&code).unwrap());
        UnifiedSocialCreditCode::new(std::str::from_utf8(&code).unwrap()).unwrap()
    })
}

/// Every character that could plausibly be typed in an identifier.
const TYPED: &[u8] = b"0123456789XxABCDEFGHIJKLMNOPQRSTUVWYZ -";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn generated_resident_ids_validate_and_round_trip(id in resident_id()) {
        let again = ResidentIdNumber::new(id.as_str()).unwrap();
        prop_assert_eq!(again, id);
        prop_assert_eq!(id.mask().len(), 18);
        prop_assert!(id.mask().contains("********"));
    }

    #[test]
    fn every_single_character_change_of_a_resident_id_is_rejected(
        id in resident_id(), position in 0usize..18, replacement in proptest::sample::select(TYPED),
    ) {
        let mut bytes = id.as_str().as_bytes().to_vec();
        prop_assume!(bytes[position] != replacement);
        bytes[position] = replacement;
        let changed = String::from_utf8(bytes).unwrap();
        prop_assert!(ResidentIdNumber::new(&changed).is_err(), "accepted {}", changed);
    }

    #[test]
    fn every_single_character_change_of_a_credit_code_is_rejected(
        code in uscc(), position in 0usize..18, replacement in proptest::sample::select(TYPED),
    ) {
        prop_assert_eq!(UnifiedSocialCreditCode::new(code.as_str()).unwrap(), code);
        let mut bytes = code.as_str().as_bytes().to_vec();
        prop_assume!(bytes[position] != replacement);
        bytes[position] = replacement;
        let changed = String::from_utf8(bytes).unwrap();
        prop_assert!(UnifiedSocialCreditCode::new(&changed).is_err(), "accepted {}", changed);
    }

    #[test]
    fn every_single_digit_change_of_a_card_is_rejected(
        payload in proptest::collection::vec(0u8..10, 12..=18), position in 0usize..19, digit in 0u8..10,
    ) {
        let mut number: Vec<u8> = payload.iter().map(|d| b'0' + d).collect();
        number.push(BankCardNumber::check_digit(&number).unwrap());
        let valid = String::from_utf8(number.clone()).unwrap();
        prop_assert!(BankCardNumber::new(&valid).is_ok());
        let position = position % number.len();
        prop_assume!(number[position] != b'0' + digit);
        number[position] = b'0' + digit;
        prop_assert!(BankCardNumber::new(std::str::from_utf8(&number).unwrap()).is_err());
    }

    #[test]
    fn synthetic_customers_carry_valid_identifiers(seed in any::<u64>(), index in 0u64..1_000_000) {
        let config = BookConfig { seed, customers: 1_000_000, ..BookConfig::default() };
        let as_of = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let generated = SyntheticBook::customer_at(&config, as_of, index).unwrap();
        if let Party::Person(p) = generated.customer.party()
            && let IdentityDocument::ResidentId(id) = p.document()
        {
            prop_assert!(ResidentIdNumber::new(id.as_str()).is_ok());
            prop_assert_eq!(id.birth_date(), p.birth_date());
        }
    }
}
