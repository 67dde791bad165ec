"""Sealed sections, wrapped keys, transfer-wrapped keys and the HPKE-sealed transfer key (spec/crypto.md)."""

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF, HKDFExpand

from .util import Reader, fail, require, sha256, u32, u64

SECTION_LABEL = b"custodia/section/v1"
WRAP_LABEL = b"custodia/dek-wrap/v1"
TRANSFER_WRAP_LABEL = b"custodia/transfer-wrap/v1"
HPKE_INFO_LABEL = b"custodia/transfer-key/v1"


def aes_gcm_open(key, nonce, aad, sealed, what):
    try:
        return AESGCM(key).decrypt(nonce, sealed, aad)
    except InvalidTag:
        fail(f"{what}: does not open")


def hkdf(ikm, salt, info, length=32):
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def hkdf_extract(salt, ikm):
    """RFC 5869 HKDF-Extract with SHA-256: HMAC-SHA256(key = salt, message = ikm)."""
    from cryptography.hazmat.primitives import hmac

    h = hmac.HMAC(salt, hashes.SHA256())
    h.update(ikm)
    return h.finalize()


def hkdf_expand(prk, info, length=32):
    return HKDFExpand(algorithm=hashes.SHA256(), length=length, info=info).derive(prk)


def key_id(public):
    """The 8-byte key id of an Ed25519 or X25519 public key."""
    return sha256(public)[:8]


def parse_section(data):
    """(DEK id, nonce, ciphertext and tag) of a sealed section, format 1."""
    r = Reader(data, "sealed section")
    require(r.u8("version") == 1, "sealed section: unsupported format version")
    dek_id = r.take(16, "dek id")
    require(dek_id != bytes(16), "sealed section: nil dek id")
    nonce = r.take(12, "nonce")
    body = r.rest()
    require(len(body) >= 16, "sealed section: no tag")
    return dek_id, nonce, body


def open_section(dek, dek_id, customer, category_tag, record_version, data):
    section_dek, nonce, body = parse_section(data)
    require(section_dek == dek_id, "sealed section: sealed under another data key")
    aad = SECTION_LABEL + b"\x01" + customer + bytes([category_tag]) + u64(record_version) + dek_id
    return aes_gcm_open(dek, nonce, aad, body, "sealed section")


def parse_wrapped_key(data):
    r = Reader(data, "wrapped key")
    require(r.u8("version") == 1, "wrapped key: unsupported format version")
    customer, dek_id = r.take(16, "customer"), r.take(16, "dek id")
    require(customer != bytes(16) and dek_id != bytes(16), "wrapped key: nil id")
    kek_version = r.u32("kek version")
    nonce, sealed = r.take(12, "nonce"), r.take(48, "sealed key")
    r.finish()
    return customer, dek_id, kek_version, nonce, sealed


def unwrap_key(kek, data):
    customer, dek_id, version, nonce, sealed = parse_wrapped_key(data)
    aad = WRAP_LABEL + customer + dek_id + u32(version)
    return customer, dek_id, version, aes_gcm_open(kek, nonce, aad, sealed, "wrapped key")


def parse_transfer_wrapped_key(data):
    r = Reader(data, "transfer-wrapped key")
    require(r.u8("version") == 1, "transfer-wrapped key: unsupported format version")
    transfer, customer, dek_id = r.take(16, "transfer"), r.take(16, "customer"), r.take(16, "dek id")
    require(bytes(16) not in (transfer, customer, dek_id), "transfer-wrapped key: nil id")
    nonce, sealed = r.take(12, "nonce"), r.take(48, "sealed key")
    r.finish()
    return transfer, customer, dek_id, nonce, sealed


def unwrap_transfer_key(transfer_key, transfer, data):
    t, customer, dek_id, nonce, sealed = parse_transfer_wrapped_key(data)
    require(t == transfer, "transfer-wrapped key: names another transfer")
    aad = TRANSFER_WRAP_LABEL + transfer + customer + dek_id
    return customer, dek_id, aes_gcm_open(transfer_key, nonce, aad, sealed, "transfer-wrapped key")


def parse_sealed_transfer_key(data):
    r = Reader(data, "sealed transfer key")
    require(r.u8("version") == 1, "sealed transfer key: unsupported format version")
    transfer = r.take(16, "transfer")
    require(transfer != bytes(16), "sealed transfer key: nil transfer id")
    enc, ciphertext = r.take(32, "enc"), r.take(48, "ciphertext")
    r.finish()
    return transfer, enc, ciphertext


def open_transfer_key(recipient_private, transfer, data):
    """HPKE base-mode open (RFC 9180: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM)."""
    from pyhpke import AEADId, CipherSuite, KDFId, KEMId, KEMKey

    t, enc, ciphertext = parse_sealed_transfer_key(data)
    require(t == transfer, "sealed transfer key: names another transfer")
    suite = CipherSuite.new(KEMId.DHKEM_X25519_HKDF_SHA256, KDFId.HKDF_SHA256, AEADId.AES256_GCM)
    key = KEMKey.from_pyca_cryptography_key(_x25519_private(recipient_private))
    try:
        context = suite.create_recipient_context(enc, key, info=HPKE_INFO_LABEL + transfer)
        plain = context.open(ciphertext, aad=b"\x01" + transfer)
    except Exception:  # pyhpke raises its own errors for a bad enc or tag
        fail("sealed transfer key: does not open")
    require(len(plain) == 32, "sealed transfer key: not a 32-byte key")
    return plain


def _x25519_private(raw):
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    return X25519PrivateKey.from_private_bytes(raw)


def derive_x25519(ikm):
    """RFC 9180 DeriveKeyPair for DHKEM(X25519, HKDF-SHA256): (private, public)."""
    from pyhpke import KEMId, KEMKeyPair  # noqa: F401
    from pyhpke import CipherSuite, AEADId, KDFId

    suite = CipherSuite.new(KEMId.DHKEM_X25519_HKDF_SHA256, KDFId.HKDF_SHA256, AEADId.AES256_GCM)
    pair = suite.kem.derive_key_pair(ikm)
    # custodia keeps the private key clamped (RFC 7748 §5), as X25519 uses it.
    sk = bytearray(pair.private_key.to_private_bytes())
    sk[0] &= 248
    sk[31] &= 127
    sk[31] |= 64
    return bytes(sk), pair.public_key.to_public_bytes()
