//! Blind indexes: normalization is stable and idempotent, formatting never changes the index, fields
//! and keys separate indexes, and output lengths follow the configuration.

use custodia_crypto::{
    BlindIndexConfig, BlindIndexField, BlindIndexer, CryptoError, NORMALIZATION_VERSION,
    normalize_for_blind_index,
};
use proptest::prelude::*;

#[allow(clippy::unwrap_used)] // a fixture helper outside `#[test]`
fn indexer(bits: u16) -> BlindIndexer {
    BlindIndexer::new(&[0x33; 32], BlindIndexConfig::with_bits(bits).unwrap()).unwrap()
}

/// A Chinese mobile number as 11 digits.
fn mobile() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["13", "15", "17", "18", "19"]),
        0u64..1_000_000_000,
    )
        .prop_map(|(p, n)| format!("{p}{n:09}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// However a phone number is written, it gets the same index; normalization is idempotent.
    #[test]
    fn phone_formatting_does_not_change_the_index(m in mobile(), style in 0usize..5) {
        let ix = indexer(32);
        let written = match style {
            0 => m.clone(),
            1 => format!("+86 {} {} {}", &m[..3], &m[3..7], &m[7..]),
            2 => format!("0086-{m}"),
            3 => format!(" (+86) {}-{}-{} ", &m[..3], &m[3..7], &m[7..]),
            _ => m.chars().map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap()).collect(),
        };
        let canonical = normalize_for_blind_index(BlindIndexField::Phone, &written, 86).unwrap();
        prop_assert_eq!(&canonical, &format!("+86{m}"));
        prop_assert_eq!(normalize_for_blind_index(BlindIndexField::Phone, &canonical, 86).unwrap(), canonical.clone());
        prop_assert_eq!(
            ix.index(BlindIndexField::Phone, &written).unwrap(),
            ix.index(BlindIndexField::Phone, &m).unwrap()
        );
    }

    /// E-mail case and surrounding space do not matter; identity numbers' case and separators neither.
    #[test]
    fn email_and_identity_normalization(local in "[a-z0-9.]{1,16}", domain in "[a-z]{1,10}\\.(cn|com)",
                                       id in "[0-9]{17}[0-9x]") {
        let ix = indexer(64);
        let mail = format!("{local}@{domain}");
        prop_assert_eq!(
            ix.index(BlindIndexField::Email, &format!("  {}  ", mail.to_uppercase())).unwrap(),
            ix.index(BlindIndexField::Email, &mail).unwrap()
        );
        let spaced = format!("{} {} {}", &id[..6], &id[6..14], &id[14..]);
        prop_assert_eq!(
            ix.index(BlindIndexField::IdentityNumber, &spaced).unwrap(),
            ix.index(BlindIndexField::IdentityNumber, &id.to_uppercase()).unwrap()
        );
        let n = normalize_for_blind_index(BlindIndexField::IdentityNumber, &id, 86).unwrap();
        prop_assert_eq!(normalize_for_blind_index(BlindIndexField::IdentityNumber, &n, 86).unwrap(), n);
    }

    /// The output has the configured number of bits (trailing bits zero) and is a prefix of the longer
    /// index: the length is a truncation, not a different function.
    #[test]
    fn output_length_follows_the_configuration(bits in 1u16..=256, m in mobile()) {
        let short = indexer(bits).index(BlindIndexField::Phone, &m).unwrap();
        let full = indexer(256).index(BlindIndexField::Phone, &m).unwrap();
        prop_assert_eq!(short.bits(), bits);
        prop_assert_eq!(short.normalization_version(), NORMALIZATION_VERSION);
        prop_assert_eq!(short.value().len(), usize::from(bits).div_ceil(8));
        let spare = short.value().len() * 8 - usize::from(bits);
        let last = *short.value().last().unwrap();
        prop_assert_eq!(last & ((1u16 << spare) - 1) as u8, 0);
        let n = short.value().len();
        prop_assert_eq!(&short.value()[..n - 1], &full.value()[..n - 1]);
    }
}

/// Different root keys give unrelated indexes, so a leaked index table is useless without the key.
#[test]
fn indexes_depend_on_the_root_key_and_the_field() {
    let a = BlindIndexer::new(&[1; 32], BlindIndexConfig::with_bits(128).unwrap()).unwrap();
    let b = BlindIndexer::new(&[2; 32], BlindIndexConfig::with_bits(128).unwrap()).unwrap();
    let v = "110105194912310029";
    assert_ne!(
        a.index(BlindIndexField::IdentityNumber, v).unwrap(),
        b.index(BlindIndexField::IdentityNumber, v).unwrap()
    );
    assert_ne!(
        a.index(BlindIndexField::IdentityNumber, v).unwrap().value(),
        a.index(BlindIndexField::Phone, "+86110105194912")
            .unwrap()
            .value()
    );
    let json = serde_json::to_string(&a.index(BlindIndexField::Email, "a@b.cn").unwrap()).unwrap();
    assert!(json.contains("\"email\""));
}

/// Unusable values are typed errors that name the field, never panics.
#[test]
fn bad_values_are_typed_errors() {
    let ix = indexer(16);
    assert!(matches!(
        ix.index(BlindIndexField::Email, "not an address"),
        Err(CryptoError::InvalidInput { field: "email", .. })
    ));
    assert!(matches!(
        ix.index(BlindIndexField::Phone, "+86 1234567890123456"),
        Err(CryptoError::InvalidInput { field: "phone", .. })
    ));
    assert!(matches!(
        ix.index(BlindIndexField::IdentityNumber, "   "),
        Err(CryptoError::InvalidInput {
            field: "identity_number",
            ..
        })
    ));
}
