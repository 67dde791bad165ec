//! Secret hygiene of the key hierarchy, proven: `RootSecret`, `KeyHierarchy`, `TransferSecret` and `PackageRandomness` implement neither `Serialize` nor an unredacted `Debug`, and the secrets zeroize on drop.

use custodia_crypto::{KeyHierarchy, PackageRandomness, RootSecret, TransferSecret};
use zeroize::ZeroizeOnDrop;

// The compile-time "does not implement Serialize" check of `secret_hygiene.rs`, for the hierarchy's types.
trait AmbiguousIfSerialize<A> {
    fn some_item() {}
}
impl<T: ?Sized> AmbiguousIfSerialize<()> for T {}
#[allow(dead_code)]
struct ImplementsSerialize;
impl<T: ?Sized + serde::Serialize> AmbiguousIfSerialize<ImplementsSerialize> for T {}

macro_rules! assert_not_serialize {
    ($($t:ty),* $(,)?) => {
        $( const _: fn() = || { let _ = <$t as AmbiguousIfSerialize<_>>::some_item; }; )*
    };
}

assert_not_serialize!(RootSecret, KeyHierarchy, TransferSecret, PackageRandomness);

fn assert_zeroize_on_drop<T: ZeroizeOnDrop>() {}
fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn the_hierarchy_zeroizes_and_is_shareable() {
    assert_zeroize_on_drop::<RootSecret>();
    assert_zeroize_on_drop::<KeyHierarchy>();
    assert_zeroize_on_drop::<TransferSecret>();
    assert_send_sync::<KeyHierarchy>();
}

#[test]
fn debug_shows_no_secret_byte() -> Result<(), custodia_crypto::CryptoError> {
    let bytes = [0x5a_u8; 32];
    let root = RootSecret::from_slice(&bytes)?;
    let shown = format!("{root:?}");
    assert!(!shown.contains("5a") && !shown.contains("90"), "{shown}");
    let keys = KeyHierarchy::new(root);
    let shown = format!("{keys:?}");
    assert!(shown.contains("REDACTED") && !shown.contains("5a"), "{shown}");
    let secret = keys.transfer_secret(&[1; 32])?;
    assert_eq!(format!("{secret:?}"), "TransferSecret([REDACTED])");
    let source = PackageRandomness::derived(secret);
    assert!(format!("{source:?}").contains("REDACTED"));
    // Every derived key keeps its own redacted Debug.
    for shown in [
        format!("{:?}", keys.party_signing_key()?),
        format!("{:?}", keys.ledger_signing_key()?),
        format!("{:?}", keys.recipient_key_pair()?),
    ] {
        assert!(shown.contains("REDACTED"), "{shown}");
    }
    Ok(())
}
