"""Checks of the test vectors in spec/vectors/, one per file or group, each reading only what it names.

The checks are written from spec/ and the vectors' own README; they verify every signature, proof and
ciphertext and derive again every value the vector files state, so that a change to any byte of any file
is caught by the check that reads it (spec/verify_py/flips.py proves it).
"""

import os
from datetime import datetime, timezone

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

from . import agreement, consent, crypto, ledger, note, package
from . import vocabulary as v
from .util import (
    Reader, VerifyError, b64, fail, hex_of, integer, load_json, members, require, sha256, text, u64, unhex,
    uuid_bytes,
)

SEED_DOMAIN = b"custodia spec vectors/v1\x00"


def seed(label):
    return sha256(SEED_DOMAIN + label.encode("utf-8"))


def seed_uuid(label, version):
    """The vectors' fixed ids: the first 16 bytes of seed(label) with the RFC 9562 version and variant set."""
    b = bytearray(seed(label)[:16])
    b[6] = (version << 4) | (b[6] & 0x0F)
    b[8] = 0x80 | (b[8] & 0x3F)
    return bytes(b)


def seed_uuid_v7(label, created):
    """A UUID v7 whose time field is `created` (an RFC 3339 UTC second), the rest from seed(label)."""
    try:
        when = datetime.strptime(text(created, "created"), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        fail(f"{created!r}: not an RFC 3339 UTC second")
    millis = int(when.timestamp()) * 1000
    return millis.to_bytes(6, "big") + seed_uuid(label, 7)[6:]


class Vectors:
    """The files of a vectors directory, optionally with some replaced (the flip test)."""

    def __init__(self, root, replaced=None):
        self.root = root
        self.replaced = replaced or {}
        self.reads = set()
        self.cache = {}

    def read(self, name):
        self.reads.add(name)
        if name in self.replaced:
            return self.replaced[name]
        with open(os.path.join(self.root, name), "rb") as f:
            return f.read()

    def json(self, name):
        return load_json(self.read(name), name)

    def names(self):
        out = []
        for base, _, files in os.walk(self.root):
            for f in files:
                rel = os.path.relpath(os.path.join(base, f), self.root).replace(os.sep, "/")
                if not rel.startswith("README"):
                    out.append(rel)
        return sorted(out)


_UNCHANGED = {}


def _once(check):
    """Runs `check` once per Vectors value (several checks build on the same verified files), and reuses
    its result on the unchanged files (keyed by the root) when none of the files it read was replaced:
    it is a function of those files' bytes alone, so the flip test need not run it again."""
    def run(vs):
        name = check.__name__
        if name not in vs.cache:
            clean = _UNCHANGED.get((vs.root, name))
            if clean is not None and not clean[0] & set(vs.replaced):
                vs.reads |= clean[0]
                vs.cache[name] = clean[1]
            else:
                before = set(vs.reads)
                vs.reads.clear()
                vs.cache[name] = check(vs)
                if not vs.replaced:
                    _UNCHANGED[(vs.root, name)] = (set(vs.reads), vs.cache[name])
                vs.reads |= before
        return vs.cache[name]
    run.__name__, run.__doc__ = check.__name__, check.__doc__
    return run


def _ed25519_public(seed_bytes):
    key = Ed25519PrivateKey.from_private_bytes(seed_bytes)
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@_once
def keys(vs):
    """keys.json: every seed is the hash of its label, every public key and vkey the seed's."""
    k = members(vs.json("keys.json"), ["seller_signing", "buyer_signing", "ledger_log", "consent_log", "witness",
                                       "buyer_recipient", "approver_dpo", "approver_cco"], "keys.json")
    out = {}
    for name in ("seller_signing", "buyer_signing", "approver_dpo", "approver_cco"):
        approver = name.startswith("approver_")
        e = members(k[name], (["actor"] if approver else []) + ["ed25519_seed_label", "ed25519_seed", "public"], name)
        s = unhex(e["ed25519_seed"], 32, name)
        require(s == seed(text(e["ed25519_seed_label"], name)), f"keys.json {name}: seed is not its label's")
        public = unhex(e["public"], 32, name)
        require(public == _ed25519_public(s), f"keys.json {name}: not the seed's public key")
        out[name] = public
    # The approvers of the approved destruction certificate: actor id -> public key.
    out["approvers"] = {}
    for name, actor, label in (("approver_dpo", "dpo-synthetic", "dpo approval key"),
                               ("approver_cco", "cco-synthetic", "cco approval key")):
        require(k[name]["actor"] == actor and k[name]["ed25519_seed_label"] == label,
                f"keys.json {name}: the vector's actor and label")
        out["approvers"][actor] = out[name]
    for name, kind, origin in (("ledger_log", note.ED25519, "vectors.example/ledger"),
                               ("consent_log", note.ED25519, "vectors.example/consent"),
                               ("witness", note.COSIGNATURE, "vectors.example/witness")):
        e = members(k[name], ["ed25519_seed_label", "ed25519_seed", "vkey"], name)
        s = unhex(e["ed25519_seed"], 32, name)
        require(s == seed(text(e["ed25519_seed_label"], name)), f"keys.json {name}: seed is not its label's")
        verifier = note.Verifier.from_vkey(text(e["vkey"], name))
        require(verifier.kind == kind and verifier.name == origin, f"keys.json {name}: vkey type or name")
        require(verifier.public == _ed25519_public(s), f"keys.json {name}: vkey is not the seed's")
        out[name] = verifier
    e = members(k["buyer_recipient"], ["x25519_ikm_label", "x25519_ikm", "private", "public"], "buyer_recipient")
    ikm = unhex(e["x25519_ikm"], 32, "buyer_recipient")
    require(ikm == seed(text(e["x25519_ikm_label"], "buyer_recipient")), "keys.json buyer_recipient: ikm")
    private, public = crypto.derive_x25519(ikm)
    require(unhex(e["private"], 32, "buyer_recipient") == private, "keys.json buyer_recipient: private key")
    require(unhex(e["public"], 32, "buyer_recipient") == public, "keys.json buyer_recipient: public key")
    out["buyer_recipient"] = (private, public)
    return out


# --- ledger ---------------------------------------------------------------------------------------------

@_once
def ledger_log(vs):
    """ledger/log.json: salts, leaves and roots recomputed; entry 2 redacted and accounted for."""
    k = keys(vs)
    log = members(vs.json("ledger/log.json"), ["origin", "log_vkey", "witness_vkey", "entries", "roots", "redaction"],
                  "log.json")
    require(log["log_vkey"] == k["ledger_log"].vkey() and log["witness_vkey"] == k["witness"].vkey(), "log.json: keys")
    require(log["origin"] == k["ledger_log"].name, "log.json: origin")
    entries = log["entries"]
    require(isinstance(entries, list) and entries, "log.json: entries")
    leaves, payloads = [], {}
    for i, e in enumerate(entries):
        redacted = "redacted" in e
        members(e, ["index", "leaf_hash", "redacted"] if redacted else ["index", "leaf_hash", "salt", "payload_hex"],
                f"entry {i}")
        require(integer(e["index"], "index") == i, f"entry {i}: index")
        leaf = unhex(e["leaf_hash"], 32, f"entry {i}.leaf_hash")
        if redacted:
            require(e["redacted"] is True, f"entry {i}: redacted")
        else:
            salt = unhex(e["salt"], 32, f"entry {i}.salt")
            require(salt == seed(f"ledger salt {i}"), f"entry {i}: salt is not the vectors' seed")
            payload = unhex(e["payload_hex"], what=f"entry {i}.payload")
            require(ledger.leaf_hash(salt, payload) == leaf, f"entry {i}: leaf hash")
            payloads[i] = payload
        leaves.append(leaf)
    roots = log["roots"]
    require(isinstance(roots, list) and len(roots) == len(leaves) + 1, "log.json: roots")
    for n, r in enumerate(roots):
        members(r, ["size", "root"], "root")
        require(integer(r["size"], "size") == n, "log.json: root sizes")
        require(unhex(r["root"], 32, "root") == ledger.root(leaves[:n]), f"log.json: root of size {n}")
    red = members(log["redaction"], ["record_index", "target", "reason_utf8"], "redaction")
    record = payloads.get(integer(red["record_index"], "record_index"))
    require(record is not None, "redaction: the record is not an unredacted entry")
    parsed = ledger.redaction_record(record)
    require(parsed is not None, "redaction: not a redaction record")
    target, target_leaf, reason = parsed
    require(target == integer(red["target"], "target") and target < len(leaves), "redaction: target")
    require("salt" not in entries[target] and target_leaf == leaves[target], "redaction: target leaf")
    require(reason == text(red["reason_utf8"], "reason").encode(), "redaction: reason")
    for i, p in payloads.items():
        require(i == red["record_index"] or not p.startswith(ledger.REDACTION_TAG), "redaction tag in an ordinary entry")
    return leaves, [ledger.root(leaves[:n]) for n in range(len(leaves) + 1)]


def ledger_inclusion(vs):
    """ledger/inclusion-proofs.json: every proof of every size, in order, each verifying."""
    leaves, roots = ledger_log(vs)
    proofs = vs.json("ledger/inclusion-proofs.json")
    expected = [(i, n) for n in range(1, len(leaves) + 1) for i in range(n)]
    require(isinstance(proofs, list) and len(proofs) == len(expected), "inclusion proofs: not every one")
    for p, (i, n) in zip(proofs, expected):
        index, size, path = ledger.inclusion_proof(p)
        require((index, size) == (i, n), "inclusion proofs: order")
        ledger.verify_inclusion(leaves[i], index, size, path, roots[n])


def ledger_consistency(vs):
    """ledger/consistency-proofs.json: every pair of sizes, in order, each verifying."""
    leaves, roots = ledger_log(vs)
    proofs = vs.json("ledger/consistency-proofs.json")
    expected = [(m, n) for n in range(len(leaves) + 1) for m in range(n + 1)]
    require(isinstance(proofs, list) and len(proofs) == len(expected), "consistency proofs: not every one")
    for p, (m, n) in zip(proofs, expected):
        old, new, path = ledger.consistency_proof(p)
        require((old, new) == (m, n), "consistency proofs: order")
        ledger.verify_consistency(old, new, roots[old], roots[new], path)


def ledger_checkpoints(vs):
    """The three checkpoints: signatures, origin, size and root; the timed one's time; the witness's."""
    k = keys(vs)
    leaves, roots = ledger_log(vs)
    size = len(leaves)
    for name, witnesses, threshold, time in (("ledger/checkpoint.note", (), 0, None),
                                             ("ledger/checkpoint-with-time.note", (), 0, "time 1782896400"),
                                             ("ledger/checkpoint-cosigned.note", (k["witness"],), 1, None)):
        s, r, _, extensions = note.verify_checkpoint(vs.read(name), k["ledger_log"].name, [k["ledger_log"]],
                                                     witnesses, threshold)
        require((s, r) == (size, roots[size]), f"{name}: not the log's size and root")
        require(extensions == ([time] if time else []), f"{name}: extension lines")
    _, signatures = note.parse_note(vs.read("ledger/checkpoint-cosigned.note"))
    require(len(signatures) == 2, "cosigned checkpoint: two signatures")
    require(int.from_bytes(signatures[1][2][:8], "big") == 1782982800, "cosigned checkpoint: the witness's time")


# --- consent --------------------------------------------------------------------------------------------

def _consent_index(vs):
    return members(vs.json("consent/consent.json"), ["origin", "log_vkey", "tree_size", "root", "payloads",
                                                     "receipts", "customers"], "consent.json")


def consent_ledger(vs):
    """consent.json and the payloads: the tree over them is the checkpoint's; ids, salts and files as stated."""
    k = keys(vs)
    c = _consent_index(vs)
    key = k["consent_log"]
    require(c["log_vkey"] == key.vkey() and c["origin"] == key.name, "consent.json: log key or origin")
    size, root, _, extensions = note.verify_checkpoint(vs.read("consent/checkpoint.note"), key.name, [key])
    require(extensions == ["time 1775034000"], "consent checkpoint: time line")
    require(integer(c["tree_size"], "tree_size") == size and unhex(c["root"], 32, "root") == root,
            "consent.json: size or root")
    payloads = c["payloads"]
    require(isinstance(payloads, list) and len(payloads) == size, "consent.json: payloads")
    leaves, decoded = [], []
    for i, p in enumerate(payloads):
        members(p, ["file", "ledger_index", "salt"], "payload")
        require(p["file"] == f"consent/payload-{i}.json" and integer(p["ledger_index"], "ledger_index") == i,
                "consent.json: payload files")
        salt = unhex(p["salt"], 32, "salt")
        require(salt == seed(f"consent salt {i}"), "consent.json: salt")
        data = vs.read(p["file"])
        leaves.append(ledger.leaf_hash(salt, data))
        decoded.append(consent.decode_payload(data))
    require(ledger.root(leaves) == root, "consent payloads: their tree is not the checkpoint's")
    require(decoded[0][0] == "notice" and all(kind == "event" for kind, _ in decoded[1:]), "consent payloads: kinds")
    customers = members(c["customers"], ["A", "B", "C"], "customers")
    used = {e["customer"] for _, e in decoded[1:]}
    for name, entry in customers.items():
        members(entry, ["id", "created"], name)
        raw = uuid_bytes(entry["id"], name)
        require(raw[6] >> 4 == 7, f"customer {name}: not a UUID v7")
        created = datetime.fromtimestamp(int.from_bytes(raw[:6], "big") / 1000, tz=timezone.utc)
        require(created.strftime("%Y-%m-%dT%H:%M:%SZ") == entry["created"],
                f"customer {name}: the id does not reveal its stated creation time")
        require(entry["id"] in used, f"customer {name}: in no event")
    return decoded


def consent_old_notices(vs):
    """The format-2 and format-1 notices: today's notice as those formats wrote it, and readable."""
    first = vs.read("consent/payload-0.json").decode()
    cut = first.index(',"processing":')
    format_2 = (first[:cut] + "}}}").replace('"format":3', '"format":2', 1)
    at = format_2.index(',"recorded_at":"')
    end = format_2.index('"', at + 16) + 1
    format_1 = (format_2[:at] + format_2[end:]).replace('"format":2', '"format":1', 1)
    for name, expected in (("consent/notice-format-2.json", format_2), ("consent/notice-format-1.json", format_1)):
        data = vs.read(name)
        require(data == expected.encode(), f"{name}: not the notice as that format wrote it")
        kind, n = consent.decode_payload(data)
        require(kind == "notice" and n["processing"] is None, f"{name}: decodes")


def consent_receipt(number):
    def check(vs):
        k = keys(vs)
        c = _consent_index(vs)
        require(isinstance(c["receipts"], list) and len(c["receipts"]) == 8, "consent.json: receipts")
        entry = members(c["receipts"][number - 1], ["file", "ledger_index", "event_kind", "record_kind",
                                                     "receipt_id"], "receipt entry")
        require(entry["file"] == f"consent/receipt-{number}.json" and entry["ledger_index"] == number,
                "consent.json: receipt file")
        fields = consent.verify_receipt(vs.read(entry["file"]), k["consent_log"])
        require(fields["ledger_index"] == number, "receipt: index")
        require(fields["receipt_id"] == entry["receipt_id"], "receipt: id")
        require(fields["record_kind"] == entry["record_kind"], "receipt: record kind")
        _, event = consent.decode_payload(vs.read(f"consent/payload-{number}.json"))
        require(fields["record_id"] == event["id"], "receipt: record")
        kind = entry["event_kind"]
        require(kind == event["kind"], "consent.json: event kind")
    check.__name__ = f"consent_receipt_{number}"
    check.__doc__ = f"consent/receipt-{number}.json verifies with the consent log key; id and kind as listed."
    return check


# --- transfer and crypto --------------------------------------------------------------------------------

@_once
def transfer_agreement(vs):
    """The signed agreement: canonical terms, both signatures, the keys of keys.json."""
    k = keys(vs)
    a = agreement.decode_envelope(vs.read("transfer/agreement.bin"))
    require(vs.read("transfer/agreement-terms.txt") == a["canonical"], "agreement-terms.txt: not the envelope's")
    require(a["seller_signing"] == k["seller_signing"] and a["buyer_signing"] == k["buyer_signing"],
            "agreement: signing keys")
    require(a["buyer_recipient"] == k["buyer_recipient"][1], "agreement: buyer recipient key")
    require(unhex(a["terms"]["seller"]["recipient_key"], 32) == k["buyer_recipient"][1], "agreement: seller recipient")
    return a


def crypto_formats(vs):
    """crypto/: the wrapped key opens under the KEK to the DEK that opens the section to its plaintext."""
    c = members(vs.json("crypto/crypto.json"), ["section", "wrapped_key"], "crypto.json")
    s = members(c["section"], ["file", "customer", "category", "category_tag", "record_version", "dek_id", "dek",
                               "plaintext_utf8"], "section")
    w = members(c["wrapped_key"], ["file", "kek_version", "kek", "customer", "dek_id", "dek"], "wrapped_key")
    require(s["file"] == "crypto/section.bin" and w["file"] == "crypto/wrapped-key.bin", "crypto.json: files")
    kek = unhex(w["kek"], 32, "kek")
    require(kek == seed("seller kek version 1"), "crypto.json: kek")
    customer, dek_id, version, dek = crypto.unwrap_key(kek, vs.read(w["file"]))
    require(version == integer(w["kek_version"], "kek_version", 32) == 1, "wrapped key: version")
    require(uuid_bytes(w["customer"]) == customer and uuid_bytes(w["dek_id"]) == dek_id, "wrapped key: ids")
    require(unhex(w["dek"], 32) == dek == seed("crypto customer dek"), "wrapped key: dek")
    require(s["customer"] == w["customer"] and s["dek_id"] == w["dek_id"] and s["dek"] == w["dek"],
            "crypto.json: section and wrapped key disagree")
    category = s["category"]
    require(category in v.CATEGORY_TAG and integer(s["category_tag"], "tag", 8) == v.CATEGORY_TAG[category],
            "section: category")
    plain = crypto.open_section(dek, dek_id, customer, v.CATEGORY_TAG[category],
                                integer(s["record_version"], "record_version"), vs.read(s["file"]))
    require(plain == text(s["plaintext_utf8"], "plaintext").encode(), "section: plaintext")


def transfer_receipt(vs):
    """The buyer's signed receipt: signature, format line, members, and the agreement's transfer and digest."""
    k = keys(vs)
    a = transfer_agreement(vs)
    data = vs.read("transfer/receipt.bin")
    r = Reader(data, "receipt")
    require(r.take(8, "magic") == b"CUSTRCP1", "receipt: magic")
    body = r.take(r.u32("length"), "canonical bytes")
    signature = r.take(64, "signature")
    r.finish()
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    try:
        Ed25519PublicKey.from_public_bytes(k["buyer_signing"]).verify(
            signature, b"custodia-transfer/receipt-signature/v1\x00" + body)
    except InvalidSignature:
        fail("receipt: the buyer's signature does not verify")
    prefix = b"custodia-transfer-receipt/1\n"
    require(body.startswith(prefix), "receipt: format line")
    fields = members(load_json(body[len(prefix):], "receipt"), ["transfer_id", "agreement_digest", "root", "customers",
                                                                 "sections", "rekeyed", "received_at"], "receipt")
    from .util import canonical_json
    require(prefix + canonical_json(fields) == body, "receipt: not canonical")
    require(fields["transfer_id"] == a["terms"]["transfer_id"], "receipt: transfer")
    require(unhex(fields["agreement_digest"], 32) == a["digest"], "receipt: agreement digest")
    _, trailer, _, customers, _ = transfer_package(vs)
    require(unhex(fields["root"], 32, "root") == trailer["root"], "receipt: not the package's root")
    require(fields["customers"] == len(customers), "receipt: not the package's customer count")
    require(fields["sections"] == sum(len(c["sections"]) for c in customers), "receipt: not the package's sections")
    require(fields["rekeyed"] is False, "receipt: rekeyed")
    require(fields["received_at"] == "2026-07-16T09:00:00Z", "receipt: received_at")
    return fields


def _case_derive(package_json, agreement_digest, info, length):
    """spec/package.md "Reproducible packages": a value derived from the seller's case secret."""
    root_secret = unhex(package_json["seller_root_secret"], 32, "seller_root_secret")
    require(root_secret == seed(text(package_json["seller_root_secret_label"], "label")), "package.json: root secret")
    prk = crypto.hkdf_extract(b"custodia/key-hierarchy/v1", root_secret)
    case = crypto.hkdf_expand(prk, b"custodia/transfer-case/v1" + agreement_digest, 32)
    return crypto.hkdf_expand(crypto.hkdf_extract(b"custodia/transfer-secret/v1", case), info, length)


@_once
def transfer_package(vs):
    """transfer/package.pkg: verified and imported with the buyer's key; every value package.json states
    derived again (ids, keys, plaintexts, leaves, root) and the reproducible package's values re-derived."""
    k = keys(vs)
    a = transfer_agreement(vs)
    p = members(vs.json("transfer/package.json"), ["file", "agreement", "sha256", "length", "header",
                                                   "seller_root_secret_label", "seller_root_secret", "transfer_key",
                                                   "count", "sections", "section_bytes", "sealed_entry_lengths",
                                                   "entries_digest", "root", "signature", "leaves", "customers",
                                                   "proofs"], "package.json")
    require(p["file"] == "transfer/package.pkg" and p["agreement"] == "transfer/agreement.bin", "package.json: files")
    data = vs.read(p["file"])
    require(unhex(p["sha256"], 32, "sha256") == sha256(data) and integer(p["length"], "length") == len(data),
            "package.json: the package's digest or length")
    private, public = k["buyer_recipient"]
    header, trailer, leaves, customers, transfer_key = package.import_package(data, a, private, public)
    transfer = header["transfer_id"]
    h = members(p["header"], ["transfer_id", "agreement_digest", "seller_key_id", "buyer_key_id", "created_at"],
                "package.json header")
    require(uuid_bytes(h["transfer_id"]) == transfer and unhex(h["agreement_digest"], 32) == a["digest"],
            "package.json: header transfer or digest")
    require(unhex(h["seller_key_id"], 8) == crypto.key_id(k["seller_signing"]), "package.json: seller key id")
    require(unhex(h["buyer_key_id"], 8) == crypto.key_id(public), "package.json: buyer key id")
    created = datetime.fromtimestamp(header["created_at"], tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    require(h["created_at"] == created == "2026-07-15T09:00:00Z", "package.json: creation time")
    require(unhex(p["transfer_key"], 32) == transfer_key, "package.json: not the transfer key HPKE opens")
    derive = lambda info, n: _case_derive(p, a["digest"], info, n)  # noqa: E731
    require(derive(b"transfer key" + transfer, 32) == transfer_key, "package: the transfer key is not the case's")
    eph = derive(b"hpke ephemeral" + transfer + public, 64)
    require(crypto.derive_x25519(eph[:32])[1] == header["sealed_key"][17:49], "package: the HPKE ephemeral key")
    require(integer(p["count"], "count") == trailer["count"] == len(customers), "package.json: count")
    require(integer(p["sections"], "sections") == sum(len(c["sections"]) for c in customers), "package.json: sections")
    require(unhex(p["root"], 32) == trailer["root"] and unhex(p["signature"], 64) == trailer["signature"],
            "package.json: root or signature")
    require(isinstance(p["leaves"], list) and [unhex(x, 32) for x in p["leaves"]] == leaves, "package.json: leaves")
    require(integer(p["section_bytes"], "section_bytes") == trailer["section_bytes"], "package.json: section bytes")
    require(unhex(p["entries_digest"], 32) == trailer["entries_digest"], "package.json: entries digest")
    # What a reader without the transfer key sees: the count, each sealed entry's length, the signed
    # trailer; the signature verifies without any key.
    keyless_header, _, keyless_trailer, _ = package.verify(data, a)
    require(keyless_trailer == trailer and keyless_header == header, "package: the keyless verification differs")
    _, sealed, _ = package.read_records(data)
    require(p["sealed_entry_lengths"] == [len(x) for x in sealed], "package.json: sealed entry lengths")
    _, entries, _, _ = package.verify(data, a, transfer_key)
    for n, x in enumerate(sealed):
        # The reproducible package's entry nonce (spec/package.md "Sealed entries").
        body = package.open_entry(transfer_key, transfer, n, x)
        nonce = crypto.hkdf(transfer_key, package.ENTRY_SALT, b"entry nonce" + transfer + u64(n) + sha256(body), 12)
        require(x[:12] == nonce, f"package entry {n}: the entry nonce")
    for e in entries:
        # Sealed: no customer id, data key id or salt is in the package's bytes (format 1 had them all).
        require(e["customer"] not in data and e["wrapped_key"][33:49] not in data and e["salt"] not in data,
                "package: an entry's metadata is in the clear")
    listed = p["customers"]
    require(isinstance(listed, list) and len(listed) == len(customers), "package.json: customers")
    for c, got, entry in zip(listed, customers, entries):
        members(c, ["label", "id", "created", "dek_id", "dek", "sections"], "package customer")
        label = text(c["label"], "label")
        require(uuid_bytes(c["id"]) == got["customer"] == seed_uuid_v7(label, text(c["created"], "created")),
                f"{label}: id")
        require(uuid_bytes(c["dek_id"]) == got["dek_id"] == seed_uuid(label + " dek id", 4), f"{label}: dek id")
        require(unhex(c["dek"], 32) == got["dek"] == seed(label + " dek"), f"{label}: dek")
        require(entry["salt"] == derive(b"manifest salt" + got["customer"], 32), f"{label}: manifest salt")
        nonce = derive(b"re-wrap nonce" + transfer + got["customer"] + got["dek_id"], 12)
        require(entry["wrapped_key"][49:61] == nonce, f"{label}: re-wrap nonce")
        require(isinstance(c["sections"], list) and len(c["sections"]) == len(got["sections"]), f"{label}: sections")
        for s, (code, version, plain), (_, _, sealed) in zip(c["sections"], got["sections"], entry["sections"]):
            members(s, ["category", "category_tag", "record_version", "sha256", "plaintext_utf8"], f"{label} section")
            require(s["category"] == code and integer(s["category_tag"], "tag", 8) == v.CATEGORY_TAG[code],
                    f"{label}: category")
            require(integer(s["record_version"], "record_version") == version, f"{label}: record version")
            require(unhex(s["sha256"], 32) == sha256(sealed), f"{label}: section digest")
            require(text(s["plaintext_utf8"], "plaintext").encode() == plain, f"{label}: plaintext")
    return header, trailer, leaves, customers, p


def transfer_proofs(vs):
    """transfer/proof-*.json: each verifies with the seller's key alone, for the package's header, size, root
    and signature, and says what package.json says of its customer."""
    k = keys(vs)
    header, trailer, leaves, customers, p = transfer_package(vs)
    listed = p["proofs"]
    names = ["transfer/proof-moved.json", "transfer/proof-not-moved.json", "transfer/proof-not-moved-first.json"]
    require(isinstance(listed, list) and [e.get("file") for e in listed if isinstance(e, dict)] == names,
            "package.json: proofs")
    for entry in listed:
        moved_listed = entry.get("moved")
        members(entry, ["file", "customer", "moved"] if moved_listed else ["file", "customer", "moved", "created"],
                "proof entry")
        proof = vs.json(entry["file"])
        moved, customer, sections = package.verify_proof(proof, k["seller_signing"])
        require(moved is moved_listed, f"{entry['file']}: moved")
        require(uuid_bytes(entry["customer"]) == customer, f"{entry['file']}: customer")
        require(unhex(proof["header"], package.HEADER_LEN) == header["bytes"], f"{entry['file']}: not the package's header")
        require((proof["size"], proof["sections"], proof["section_bytes"], unhex(proof["entries_digest"], 32),
                 unhex(proof["root"], 32), unhex(proof["signature"], 64)) ==
                (trailer["count"], trailer["sections"], trailer["section_bytes"], trailer["entries_digest"],
                 trailer["root"], trailer["signature"]), f"{entry['file']}: not the package's trailer")
        if moved:
            got = [c for c in customers if c["customer"] == customer]
            require(len(got) == 1 and sections == [(code, ver) for code, ver, _ in got[0]["sections"]],
                    f"{entry['file']}: not the customer's entry")
        else:
            require(customer not in [c["customer"] for c in customers], f"{entry['file']}: the customer moved")
            label = {"transfer/proof-not-moved.json": "customer D", "transfer/proof-not-moved-first.json": "customer E"}
            require(customer == seed_uuid_v7(label[entry["file"]], text(entry["created"], "created")),
                    f"{entry['file']}: id")


_INSTRUMENTS = ["Pipl", "Ndsr", "AmlLaw2024", "BrokerRule2018", "InsuranceLaw2015", "CacCrossBorder2024", "Gb11643",
                "Gb32100", "Gdpr", "EuAmlDirective2015", "Custom", "CivilCode2020", "CybersecurityLaw2016",
                "SalesTraceability2017", "AccountingArchives2015", "IntermediaryIt2021"]
_RECORD_KINDS = ["impact_assessment", "processing_record", "provision_record", "sales_recording", "customer_notice",
                 "entrustment_contract", "accounting_record", "complaint_record", "network_log", "suppression_record",
                 "consent_evidence"]
_RULE_ID = __import__("re").compile(r"[a-z0-9._-]{1,64}")


def ledger_payloads(vs):
    """ledger/data-room-record.json, destruction-certificate.json, destruction-certificate-approved.json and
    destruction-plan-body.json (spec/ledger-payloads.md): members, types and vocabularies as specified,
    compact canonical JSON, the vectors' seeded ids and digest, and the approved certificate's signed
    approvals of the plan body's digest."""
    from .util import canonical_json
    data = vs.read("ledger/data-room-record.json")
    require(data.startswith(b'{"format":"custodia-transfer/data-room/1",'), "data-room record: prefix")
    r = members(load_json(data, "data-room record"), ["format", "digest", "as_of", "k", "customers", "sample_rows",
                                                      "suppressed_sample_rows"], "data-room record")
    require(canonical_json(r) == data, "data-room record: not compact canonical JSON")
    require(unhex(r["digest"], 32) == seed("data room export"), "data-room record: digest")
    v.date(r["as_of"], "as_of")
    require(integer(r["k"], "k", 32) >= 1, "data-room record: k")
    for name in ("customers", "sample_rows", "suppressed_sample_rows"):
        integer(r[name], name)
    require((r["as_of"], r["k"], r["customers"], r["sample_rows"], r["suppressed_sample_rows"]) ==
            ("2026-05-01", 10, 300, 40, 3), "data-room record: the vector's values")

    _certificate(vs.read("ledger/destruction-certificate.json"), "destruction certificate", None)
    approved = _certificate(vs.read("ledger/destruction-certificate-approved.json"),
                            "approved destruction certificate", keys(vs)["approvers"])
    _plan_body(vs.read("ledger/destruction-plan-body.json"), approved)


PLAN_DIGEST_DOMAIN = b"custodia-retention destruction plan v1\n"


def _plan_body(data, c):
    """ledger/destruction-plan-body.json: the plan the approved certificate executed, without its approvals;
    its SHA-256 after the domain line is the digest every approval signs, its id the certificate's plan, its
    proposer the approvals' requester, and its items the certificate's entries as planned."""
    from .util import canonical_json
    what = "destruction plan body"
    p = members(load_json(data, what), ["id", "proposed_by", "proposed_on", "items"], what)
    require(canonical_json(p) == data, f"{what}: not compact canonical JSON")
    require(p["id"] == c["plan"], f"{what}: not the certificate's plan")
    v.date(p["proposed_on"], "proposed_on")
    require(p["proposed_on"] == "2026-07-15", f"{what}: the vector's proposed_on")
    digest = hex_of(sha256(PLAN_DIGEST_DOMAIN + data))
    for a in c["approvals"]:
        d = a["request"]["subject"]["document"]
        require(d["digest"] == digest, f"{what}: its digest is not the one approved")
        require(a["request"]["requester"] == text(p["proposed_by"], "proposed_by"), f"{what}: requester")
    citations = {r["rule"]: r["citation"] for r in c["rules"]}
    require(isinstance(p["items"], list) and len(p["items"]) == len(c["entries"]), f"{what}: items")
    for item, entry in zip(p["items"], c["entries"]):
        members(item, ["customer", "holdings", "whole_customer"], f"{what}: item")
        require(item["customer"] == entry["customer"], f"{what}: item customer")
        require(item["whole_customer"] is False, f"{what}: whole_customer")
        require(isinstance(item["holdings"], list) and len(item["holdings"]) == len(entry["holdings"]),
                f"{what}: holdings")
        for h, held, rule in zip(item["holdings"], entry["holdings"], entry["rules"]):
            members(h, ["holding", "due_since", "rules"], f"{what}: holding")
            require(h["holding"] == held, f"{what}: not the certificate's holding")
            v.date(h["due_since"], "due_since")
            require(h["due_since"] == "2026-07-01", f"{what}: the vector's due_since")
            require(h["rules"] == [{"rule": rule, "citation": citations[rule]}], f"{what}: holding rules")


APPROVAL_DOMAIN = "custodia-access approval v1"


def approval_message(request_id, requester, approver, kind, document, digest):
    """The lines an approver signs for a document (spec/ledger-payloads.md, "A signed approval")."""
    lines = [APPROVAL_DOMAIN, f"id {request_id}", f"requester {requester}", f"approver {approver}",
             "subject document", f"kind {kind}", f"document {document}", f"digest {digest}"]
    return "".join(line + "\n" for line in lines).encode("utf-8")


def _approvals(c, approver_keys, what):
    """A certificate's `approvals`: one per approver, in the order of `approvers`, each a document approval
    of the certificate's plan by that approver, neither the requester nor the operator, verifying with the
    approver's key."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    approvals = c["approvals"]
    require(isinstance(approvals, list) and len(approvals) == len(c["approvers"]), f"{what}: one approval each")
    requesters = set()
    for a, approver in zip(approvals, c["approvers"]):
        members(a, ["request", "approver", "signature"], f"{what}: approval")
        r = members(a["request"], ["id", "requester", "subject"], f"{what}: approval request")
        subject = members(r["subject"], ["document"], f"{what}: approval subject")
        d = members(subject["document"], ["kind", "id", "digest"], f"{what}: approved document")
        require(d["kind"] == "destruction-plan", f"{what}: the approval is not of a destruction plan")
        require(uuid_bytes(d["id"]) == uuid_bytes(c["plan"]) and r["id"] == c["plan"] == d["id"],
                f"{what}: the approval is not of the certificate's plan")
        unhex(d["digest"], 32, f"{what}: plan digest")
        require(text(a["approver"], "approver") == approver, f"{what}: approvals not in the order of approvers")
        requester = text(r["requester"], "requester")
        require(all(0x20 <= ord(ch) != 0x7F for ch in requester + approver), f"{what}: a control character in an actor id")
        require(requester not in (approver, c["operator"]), f"{what}: approved by its requester or operator")
        requesters.add((requester, d["digest"]))
        public = approver_keys.get(approver)
        require(public is not None, f"{what}: {approver!r} has no key in keys.json")
        signature = unhex(a["signature"], 64, f"{what}: signature")
        message = approval_message(r["id"], requester, approver, d["kind"], d["id"], d["digest"])
        try:
            Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
        except InvalidSignature:
            fail(f"{what}: the approval of {approver!r} does not verify")
    require(len(requesters) == 1, f"{what}: the approvals approve different requests")
    require(len(set(c["approvers"])) == len(c["approvers"]), f"{what}: an approver twice")


def _certificate(data, what, approver_keys):
    """A destruction certificate: without `approvals` (`approver_keys` None, the format before signed
    approvals) or with them, verified against `approver_keys`."""
    from .util import canonical_json
    require(data.startswith(b'{"plan":'), f"{what}: prefix")
    names = ["plan", "part", "method", "executed_at", "operator", "approvers", "rules", "entries"]
    if approver_keys is not None:
        names.insert(6, "approvals")
    c = members(load_json(data, what), names, what)
    require(canonical_json(c) == data, f"{what}: not compact canonical JSON")
    require(uuid_bytes(c["plan"]) == seed_uuid("destruction plan", 4), f"{what}: plan")
    require(integer(c["part"], "part", 32) == 1, f"{what}: part")
    m = c["method"]
    require(m in ("crypto_shredding", "section_deletion") or
            (isinstance(m, dict) and list(m) == ["other"] and isinstance(m["other"], str)), f"{what}: method")
    require(v.time(c["executed_at"], "executed_at") == "2026-08-01T09:00:00Z", f"{what}: executed_at")
    require(text(c["operator"], "operator") == "clerk-synthetic-1", f"{what}: operator")
    require(c["approvers"] == ["dpo-synthetic", "cco-synthetic"], f"{what}: approvers")
    require(isinstance(c["rules"], list) and c["rules"], f"{what}: rules")
    named = []
    for rule in c["rules"]:
        members(rule, ["rule", "citation"], "rule")
        require(_RULE_ID.fullmatch(text(rule["rule"], "rule")) is not None, f"{what}: rule id")
        cite = members(rule["citation"], ["instrument", "article"], "citation")
        require(cite["instrument"] in _INSTRUMENTS and text(cite["article"], "article"), f"{what}: citation")
        require(cite == {"instrument": "Pipl", "article": "47(1)(2)"}, f"{what}: the vector's citation")
        named.append(rule["rule"])
    require(named == ["contact-after-transfer", "marketing-after-transfer"], f"{what}: the vector's rules")
    expected = [("customer A", "2019-03-14T09:00:00Z", ["contact", "marketing_preferences"], False),
                ("customer C", "2024-11-30T09:00:00Z", ["contact"], True)]
    require(isinstance(c["entries"], list) and len(c["entries"]) == len(expected), f"{what}: entries")
    for e, (label, created, categories, already) in zip(c["entries"], expected):
        members(e, ["customer", "holdings", "rules", "already_destroyed"], "certificate entry")
        require(uuid_bytes(e["customer"]) == seed_uuid_v7(label, created), f"{what}: customer")
        holdings = []
        for h in e["holdings"]:
            require(isinstance(h, dict) and len(h) == 1, f"{what}: holding")
            kind, value = next(iter(h.items()))
            require((kind == "category" and value in v.CATEGORY_TAG) or (kind == "record" and value in _RECORD_KINDS),
                    f"{what}: holding")
            holdings.append(value)
        require(holdings == categories, f"{what}: the vector's holdings")
        require(isinstance(e["rules"], list) and all(r in named for r in e["rules"]), f"{what}: entry rules")
        require(e["rules"] == named[:len(categories)], f"{what}: the vector's entry rules")
        require(e["already_destroyed"] is already, f"{what}: already_destroyed")
    if approver_keys is not None:
        _approvals(c, approver_keys, what)
    return c


CHECKS = [
    keys,
    ledger_log,
    ledger_inclusion,
    ledger_consistency,
    ledger_checkpoints,
    consent_ledger,
    consent_old_notices,
    *[consent_receipt(n) for n in range(1, 9)],
    transfer_agreement,
    crypto_formats,
    transfer_package,
    transfer_proofs,
    transfer_receipt,
    ledger_payloads,
]


def sums(vs):
    """SHA256SUMS.json: the digest of every other file, and no file unlisted."""
    listed = vs.json("SHA256SUMS.json")
    names = [n for n in vs.names() if n != "SHA256SUMS.json"]
    require(isinstance(listed, dict) and sorted(listed) == names, "SHA256SUMS.json: not every file")
    for name in names:
        require(listed[name] == hex_of(sha256(vs.read(name))), f"SHA256SUMS.json: {name}")


def verify_all(root):
    """Every check, the digests first; returns the names of the checks run."""
    vs = Vectors(root)
    sums(vs)
    for check in CHECKS:
        check(vs)
    return [c.__name__ for c in CHECKS]
