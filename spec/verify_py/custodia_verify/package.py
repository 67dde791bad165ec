"""The transfer package (spec/package.md, format 2: sealed entries) and customer proofs (spec/customer-proof.md):
decode, verify without a key, verify and import with the transfer key."""

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from . import crypto, ledger
from . import vocabulary as v
from .util import Reader, fail, integer, members, require, sha256, u32, u64, unhex, uuid_bytes

MAGIC = b"CUSTXFER"
HEADER_LEN = 180
SEALED_KEY_LEN = 97
WRAPPED_KEY_LEN = 109
ENTRY_TAG, TRAILER_TAG = 0x01, 0x02
MANIFEST_ENTRY_VERSION = 0x01
SIGNATURE_DOMAIN = b"custodia-transfer/package-signature/v2\x00"
MAX_ENTRY_LEN = 64 << 20
FORMAT_VERSION = 2
ENTRY_SALT = b"custodia/package-entries/v2"
ENTRY_AAD_LABEL = b"custodia/package-entry/v2"
SEALED_ENTRY_OVERHEAD = 12 + 16


def parse_header(data):
    """The 180-byte header: its fields, the sealed transfer key's bytes, and the exact bytes."""
    r = Reader(data, "package header")
    require(r.take(8, "magic") == MAGIC, "package header: not a custodia transfer package (magic)")
    require(r.u8("version") == FORMAT_VERSION, "package header: unsupported package version")
    transfer = r.take(16, "transfer id")
    require(transfer != bytes(16), "package header: nil transfer id")
    header = {
        "transfer_id": transfer,
        "agreement_digest": r.take(32, "agreement digest"),
        "seller_key_id": r.take(8, "seller key id"),
        "buyer_key_id": r.take(8, "buyer key id"),
        "created_at": r.i64("creation time"),
    }
    require(r.u16("sealed key length") == SEALED_KEY_LEN, "package header: sealed transfer key length")
    sealed = r.take(SEALED_KEY_LEN, "sealed transfer key")
    r.finish()
    t, _, _ = crypto.parse_sealed_transfer_key(sealed)
    require(t == transfer, "package header: the sealed key names another transfer")
    header["sealed_key"] = sealed
    header["bytes"] = bytes(data)
    return header


def parse_entry(body):
    """An entry body: salt, customer, the transfer-wrapped key's bytes, and the sections in tag order."""
    r = Reader(body, "package entry")
    salt = r.take(32, "salt")
    customer = r.take(16, "customer id")
    require(customer != bytes(16), "package entry: nil customer id")
    key_len = r.u16("key length")
    wrapped = r.take(key_len, "wrapped key")
    crypto.parse_transfer_wrapped_key(wrapped)
    count = r.u8("section count")
    require(1 <= count <= len(v.CATEGORIES), f"package entry: section count {count}")
    sections, last = [], 0
    for _ in range(count):
        tag = r.u8("category")
        require(tag > last, "package entry: categories not in increasing tag order")
        require(tag in v.TAG_CATEGORY, f"package entry: unknown category tag {tag}")
        last = tag
        version = r.u64("record version")
        sealed = r.take(r.u32("section length"), "section")
        crypto.parse_section(sealed)
        sections.append((tag, version, sealed))
    r.finish()
    return {"salt": salt, "customer": customer, "wrapped_key": wrapped, "sections": sections}


def entry_bytes(customer, sections, wrapped_key_sha256):
    """The manifest entry bytes; `sections` are (tag, record version, SHA-256 of the sealed bytes)."""
    out = bytes([MANIFEST_ENTRY_VERSION]) + customer + bytes([len(sections)])
    for tag, version, digest in sections:
        out += bytes([tag]) + u64(version) + digest
    return out + wrapped_key_sha256


def entry_leaf(entry):
    digests = [(tag, version, sha256(sealed)) for tag, version, sealed in entry["sections"]]
    return ledger.leaf_hash(entry["salt"], entry_bytes(entry["customer"], digests, sha256(entry["wrapped_key"])))


def read_records(data):
    """Header, sealed entries (in file order) and trailer of a whole package: the framing and the entries
    digest, all a reader without the transfer key can check."""
    require(len(data) >= HEADER_LEN, "package: truncated header")
    header = parse_header(data[:HEADER_LEN])
    r = Reader(data[HEADER_LEN:], "package")
    sealed = []
    while True:
        start = r.at
        tag = r.u8("record tag")
        if tag == ENTRY_TAG:
            length = r.u32("entry length")
            require(length <= MAX_ENTRY_LEN, "package: entry longer than the limit")
            require(length >= SEALED_ENTRY_OVERHEAD, "package: entry shorter than a sealed entry")
            sealed.append(r.take(length, "entry"))
        elif tag == TRAILER_TAG:
            trailer = {"count": r.u64("count"), "sections": r.u64("sections"), "section_bytes": r.u64("section bytes"),
                       "entries_digest": r.take(32, "entries digest"), "root": r.take(32, "root"),
                       "signature": r.take(64, "signature")}
            require(r.at == len(r.data), "package: bytes after the trailer")
            require(trailer["entries_digest"] == sha256(bytes(data[HEADER_LEN:HEADER_LEN + start])),
                    "package trailer: the entries digest is not the digest of the entry records")
            return header, sealed, trailer
        else:
            fail(f"package: unknown record tag {tag:#04x}")


def open_entry(transfer_key, transfer, index, sealed):
    """spec/package.md "Sealed entries": the entry key from the transfer key with HKDF-SHA256, the AAD binding
    transfer id, index and body length; returns the entry body."""
    require(len(sealed) >= SEALED_ENTRY_OVERHEAD, f"package entry {index}: shorter than a sealed entry")
    entry_key = crypto.hkdf(transfer_key, ENTRY_SALT, b"entry key" + transfer, 32)
    aad = ENTRY_AAD_LABEL + transfer + u64(index) + u32(len(sealed) - SEALED_ENTRY_OVERHEAD)
    return crypto.aes_gcm_open(entry_key, sealed[:12], aad, sealed[12:], f"package entry {index}")


def signed_message(header_bytes, t):
    return (SIGNATURE_DOMAIN + header_bytes + u64(t["count"]) + u64(t["sections"]) + u64(t["section_bytes"])
            + t["entries_digest"] + t["root"])


def verify_signature(seller_public, header_bytes, trailer, what="package"):
    """`trailer`: count, sections, section_bytes, entries_digest, root and signature."""
    require(len(header_bytes) == HEADER_LEN, f"{what}: header length")
    require(header_bytes[57:65] == crypto.key_id(seller_public), f"{what}: the header names another seller key")
    try:
        Ed25519PublicKey.from_public_bytes(seller_public).verify(trailer["signature"],
                                                                 signed_message(header_bytes, trailer))
    except InvalidSignature:
        fail(f"{what}: the seller's signature does not verify")


def verify(data, agreement, transfer_key=None):
    """spec/package.md "Verifying a package", with the decoded agreement (agreement.decode_envelope).

    Without `transfer_key`: the header's binding, the framing, the count, the entries digest and the
    signature; returns (header, None, trailer, None) — the root is the signed one, not recomputed. With it:
    every entry opened and checked, the counts and the root recomputed; returns the entries and leaves too.
    """
    header, sealed, trailer = read_records(data)
    require(header["transfer_id"] == uuid_bytes(agreement["terms"]["transfer_id"]), "package: another transfer")
    require(header["agreement_digest"] == agreement["digest"], "package: another agreement")
    require(header["buyer_key_id"] == crypto.key_id(agreement["buyer_recipient"]), "package: another buyer key")
    require(trailer["count"] == len(sealed), "package trailer: count is not the number of entries")
    verify_signature(agreement["seller_signing"], header["bytes"], trailer)
    if transfer_key is None:
        return header, None, trailer, None
    entries = [parse_entry(open_entry(transfer_key, header["transfer_id"], n, s)) for n, s in enumerate(sealed)]
    leaves, last = [], None
    for n, e in enumerate(entries):
        require(last is None or e["customer"] > last, f"package entry {n}: customers not in increasing order")
        last = e["customer"]
        transfer, customer, dek_id, _, _ = crypto.parse_transfer_wrapped_key(e["wrapped_key"])
        require(customer == e["customer"], f"package entry {n}: the wrapped key names another customer")
        require(transfer == header["transfer_id"], f"package entry {n}: the wrapped key names another transfer")
        for _, _, sealed in e["sections"]:
            require(sealed[1:17] == dek_id, f"package entry {n}: a section names another data key")
        leaves.append(entry_leaf(e))
    require(trailer["sections"] == sum(len(e["sections"]) for e in entries),
            "package trailer: sections is not the entries' number of sections")
    require(trailer["section_bytes"] == sum(len(s) for e in entries for _, _, s in e["sections"]),
            "package trailer: section bytes is not the entries' sealed section bytes")
    require(ledger.root(leaves) == trailer["root"], "package: the manifest root is not the trailer's")
    return header, entries, trailer, leaves


def import_package(data, agreement, recipient_private, recipient_public):
    """spec/package.md "Importing a package": verifies, then opens every key and section.

    Returns (header, trailer, leaves, customers) with customers a list of
    {"customer", "dek_id", "dek", "sections": [(category code, record version, plaintext)]}.
    """
    require(recipient_public == agreement["buyer_recipient"], "import: not the agreement's buyer key")
    require(len(data) >= HEADER_LEN, "package: truncated header")
    header = parse_header(data[:HEADER_LEN])
    transfer = header["transfer_id"]
    transfer_key = crypto.open_transfer_key(recipient_private, transfer, header["sealed_key"])
    header, entries, trailer, leaves = verify(data, agreement, transfer_key)
    customers = []
    for e in entries:
        customer, dek_id, dek = crypto.unwrap_transfer_key(transfer_key, transfer, e["wrapped_key"])
        opened = []
        for tag, version, sealed in e["sections"]:
            plain = crypto.open_section(dek, dek_id, customer, tag, version, sealed)
            opened.append((v.TAG_CATEGORY[tag], version, plain))
        customers.append({"customer": customer, "dek_id": dek_id, "dek": dek, "sections": opened})
    return header, trailer, leaves, customers, transfer_key


# --- customer proofs ------------------------------------------------------------------------------------

def _proven_entry(value, what):
    p = members(value, ["entry", "index", "path"], what)
    e = members(p["entry"], ["salt", "customer", "sections", "wrapped_key_sha256"], f"{what}.entry")
    require(isinstance(e["sections"], list) and 1 <= len(e["sections"]) <= len(v.CATEGORIES),
            f"{what}: sections")
    sections, last = [], 0
    for s in e["sections"]:
        members(s, ["category", "record_version", "sha256"], f"{what}: section")
        require(s["category"] in v.CATEGORY_TAG, f"{what}: category")
        tag = v.CATEGORY_TAG[s["category"]]
        require(tag > last, f"{what}: sections not in category order")
        last = tag
        sections.append((tag, integer(s["record_version"], "record_version"), unhex(s["sha256"], 32, "sha256")))
    require(isinstance(p["path"], list), f"{what}: path")
    customer = uuid_bytes(e["customer"], f"{what}.customer")
    leaf = ledger.leaf_hash(unhex(e["salt"], 32, "salt"),
                            entry_bytes(customer, sections, unhex(e["wrapped_key_sha256"], 32, "wrapped_key_sha256")))
    return {"customer": customer, "index": integer(p["index"], "index"),
            "path": [unhex(h, 32, "path") for h in p["path"]], "leaf": leaf,
            "sections": [(v.TAG_CATEGORY[t], ver) for t, ver, _ in sections]}


def verify_proof(proof, seller_public):
    """spec/customer-proof.md "Verification": returns (moved, the customer's 16 bytes, sections if moved)."""
    p = members(proof, ["customer", "transfer_id", "agreement_digest", "header", "size", "sections", "section_bytes",
                        "entries_digest", "root", "signature", "outcome"], "customer proof")
    customer = uuid_bytes(p["customer"], "customer")
    header = parse_header(unhex(p["header"], HEADER_LEN, "header"))
    require(header["transfer_id"] == uuid_bytes(p["transfer_id"], "transfer_id"), "proof: header names another transfer")
    require(header["agreement_digest"] == unhex(p["agreement_digest"], 32, "agreement_digest"),
            "proof: header names another agreement")
    size, root = integer(p["size"], "size"), unhex(p["root"], 32, "root")
    signed = {"count": size, "sections": integer(p["sections"], "sections"),
              "section_bytes": integer(p["section_bytes"], "section_bytes"),
              "entries_digest": unhex(p["entries_digest"], 32, "entries_digest"), "root": root,
              "signature": unhex(p["signature"], 64, "signature")}
    verify_signature(seller_public, header["bytes"], signed, "proof")
    outcome = p["outcome"]
    require(isinstance(outcome, dict) and outcome.get("outcome") in ("moved", "not_moved"), "proof: outcome")

    def included(e):
        ledger.verify_inclusion(e["leaf"], e["index"], size, e["path"], root)
        return e

    if outcome["outcome"] == "moved":
        members(outcome, ["outcome", "entry"], "outcome")
        e = included(_proven_entry(outcome["entry"], "entry"))
        require(e["customer"] == customer, "proof: the entry names another customer")
        return True, customer, e["sections"]
    members(outcome, ["outcome", "before", "after"], "outcome")
    before = None if outcome["before"] is None else included(_proven_entry(outcome["before"], "before"))
    after = None if outcome["after"] is None else included(_proven_entry(outcome["after"], "after"))
    require(before is None or before["customer"] < customer, "proof: the entry before is not before the customer")
    require(after is None or after["customer"] > customer, "proof: the entry after is not after the customer")
    if before is not None and after is not None:
        adjacent = after["index"] == before["index"] + 1
    elif after is not None:
        adjacent = after["index"] == 0
    elif before is not None:
        adjacent = before["index"] + 1 == size
    else:
        adjacent = size == 0
    require(adjacent, "proof: the entries around the gap are not adjacent")
    return False, customer, None


# --- the buyer's receipt --------------------------------------------------------------------------------

RECEIPT_MAGIC = b"CUSTRCP1"
RECEIPT_FORMAT = b"custodia-transfer-receipt/1\n"
RECEIPT_DOMAIN = b"custodia-transfer/receipt-signature/v1\x00"


def verify_receipt(data, agreement, count, root, sections):
    """spec/transfer-receipt.md "Verification", against the agreement and the verified package's figures."""
    from .util import canonical_json, load_json

    r = Reader(data, "receipt")
    require(r.take(8, "magic") == RECEIPT_MAGIC, "receipt: magic")
    body = r.take(r.u32("length"), "canonical bytes")
    signature = r.take(64, "signature")
    r.finish()
    try:
        Ed25519PublicKey.from_public_bytes(agreement["buyer_signing"]).verify(signature, RECEIPT_DOMAIN + body)
    except InvalidSignature:
        fail("receipt: the buyer's signature does not verify")
    require(body.startswith(RECEIPT_FORMAT), "receipt: format line")
    fields = members(load_json(body[len(RECEIPT_FORMAT):], "receipt"),
                     ["transfer_id", "agreement_digest", "root", "customers", "sections", "rekeyed", "received_at"],
                     "receipt")
    require(RECEIPT_FORMAT + canonical_json(fields) == body, "receipt: not canonical")
    require(fields["transfer_id"] == agreement["terms"]["transfer_id"], "receipt: transfer_id")
    require(unhex(fields["agreement_digest"], 32) == agreement["digest"], "receipt: agreement_digest")
    require(unhex(fields["root"], 32) == root, "receipt: root")
    require(integer(fields["customers"], "customers") == count, "receipt: customers")
    require(integer(fields["sections"], "sections") == sections, "receipt: sections")
    require(isinstance(fields["rekeyed"], bool), "receipt: rekeyed")
    v.time(fields["received_at"], "received_at")
    return fields
