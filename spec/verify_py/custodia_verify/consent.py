"""Consent ledger payloads (spec/consent-records.md) and consent receipts as ISO/IEC TS 27560 records
(spec/consent-receipt.md): decoding, the derivation of every element, and offline verification."""

import re
import uuid

from . import ledger, note, vocabulary as v
from .util import VerifyError, b64, canonical_json, integer, load_json, members, require, sha256, text, uuid_bytes

PAYLOAD_PREFIX = b'{"schema":"custodia-consent",'
RECEIPT_SCHEMA = "custodia-consent-receipt/2"
RECEIPT_ID_DOMAIN = b"custodia-consent-receipt/2 receipt-id\x00"
MAX_TEXT = 4096

NOTICE_MEMBERS = {
    1: ["id", "version", "controller_name", "controller_contact", "purposes", "categories", "recipients",
        "destinations", "retention", "rights", "language", "text_digest", "published_at"],
}
NOTICE_MEMBERS[2] = NOTICE_MEMBERS[1] + ["recorded_at"]
NOTICE_MEMBERS[3] = NOTICE_MEMBERS[2] + ["processing"]
EVENT_MEMBERS = ["id", "customer", "kind", "scope", "form", "notice", "channel", "evidence", "effective_at",
                 "recorded_at", "recorded_by", "expires_at"]
PROPAGATION_MEMBERS = ["id", "customer", "ending_entry", "recipient", "step", "at", "recorded_at", "recorded_by"]
EVENT_KINDS = ["notice_served", "granted", "refused", "withdrawn", "objected", "provided"]


def _text(value, what, limit=MAX_TEXT):
    text(value, what)
    require(value.strip() and len(value) <= limit, f"{what}: blank or too long")
    return value


def _language(value):
    parts = text(value, "notice.language").split("-")
    require(
        re.fullmatch(r"[A-Za-z]{2,3}", parts[0]) is not None
        and all(re.fullmatch(r"[A-Za-z0-9]{1,8}", p) for p in parts[1:]),
        "notice.language: not a BCP 47 tag",
    )
    return value


def _actor(value, what):
    text(value, what)
    require(
        value.strip() == value and value and len(value) <= 128 and not any(ord(c) < 32 or 0x7f <= ord(c) < 0xa0 for c in value),
        f"{what}: not a directory id",
    )
    return value


def decode_notice(n, fmt):
    members(n, NOTICE_MEMBERS[fmt], "notice")
    uuid_bytes(n["id"], "notice.id")
    require(integer(n["version"], "notice.version", 32) >= 1, "notice.version: 0")
    for f in ("controller_name", "controller_contact", "retention", "rights"):
        _text(n[f], f"notice.{f}")
    v.purposes(n["purposes"], "notice.purposes")
    v.categories(n["categories"], "notice.categories")
    require(isinstance(n["recipients"], list), "notice.recipients")
    keys = []
    for r in n["recipients"]:
        members(r, ["recipient", "name", "contact"], "notice.recipients[]")
        v.recipient(r["recipient"], "notice.recipients[].recipient")
        require(r["recipient"] != "controller", "notice: the controller as a recipient")
        _text(r["name"], "notice.recipients[].name")
        _text(r["contact"], "notice.recipients[].contact")
        keys.append((v.recipient_key(r["recipient"]), r["name"], r["contact"]))
    require(keys == sorted(keys), "notice.recipients: not sorted")
    require(len({k[0] for k in keys}) == len(keys), "notice.recipients: a recipient twice")
    v.jurisdictions(n["destinations"], "notice.destinations")
    _language(n["language"])
    v.digest(n["text_digest"], "notice.text_digest")
    v.time(n["published_at"], "notice.published_at")
    if fmt == 1:
        n = dict(n, recorded_at=n["published_at"])
    v.time(n["recorded_at"], "notice.recorded_at")
    if fmt == 3:
        p = members(n["processing"], ["controller_id", "controller_address", "jurisdiction",
                                      "storage_locations", "withdrawal"], "notice.processing")
        _text(p["controller_id"], "notice.processing.controller_id")
        _text(p["controller_address"], "notice.processing.controller_address")
        v.jurisdiction(p["jurisdiction"], "notice.processing.jurisdiction")
        v.jurisdictions(p["storage_locations"], "notice.processing.storage_locations", non_empty=True)
        w = members(p["withdrawal"], ["channels", "contact"], "notice.processing.withdrawal")
        v.channels(w["channels"], "notice.processing.withdrawal.channels", non_empty=True)
        _text(w["contact"], "notice.processing.withdrawal.contact")
    else:
        n = dict(n, processing=None)
    return n


def _scope(s, what):
    members(s, ["purposes", "categories", "recipient", "destinations"], what)
    v.purposes(s["purposes"], f"{what}.purposes")
    v.categories(s["categories"], f"{what}.categories")
    v.recipient(s["recipient"], f"{what}.recipient")
    v.jurisdictions(s["destinations"], f"{what}.destinations")


def event_kind(kind):
    """The kind's name: one of EVENT_KINDS or 'guardian_granted'."""
    if isinstance(kind, str):
        require(kind in EVENT_KINDS, "event.kind: unknown")
        return kind
    members(kind, ["guardian_granted"], "event.kind")
    members(kind["guardian_granted"], ["guardian"], "event.kind.guardian_granted")
    uuid_bytes(kind["guardian_granted"]["guardian"], "event.kind.guardian")
    return "guardian_granted"


def decode_event(e, fmt):
    members(e, EVENT_MEMBERS, "event")
    uuid_bytes(e["id"], "event.id")
    uuid_bytes(e["customer"], "event.customer")
    kind = event_kind(e["kind"])
    require(fmt >= 2 or kind != "provided", "event: provided is not a format 1 kind")
    _scope(e["scope"], "event.scope")
    require(e["form"] in ("separate", "bundled"), "event.form")
    members(e["notice"], ["id", "version"], "event.notice")
    uuid_bytes(e["notice"]["id"], "event.notice.id")
    integer(e["notice"]["version"], "event.notice.version", 32)
    v.channel(e["channel"], "event.channel")
    v.digest(e["evidence"], "event.evidence")
    v.time(e["effective_at"], "event.effective_at")
    v.time(e["recorded_at"], "event.recorded_at")
    _actor(e["recorded_by"], "event.recorded_by")
    if e["expires_at"] is not None:
        v.time(e["expires_at"], "event.expires_at")
        require(kind in ("granted", "guardian_granted"), "event.expires_at: only a grant expires")
        require(e["expires_at"] > e["effective_at"], "event.expires_at: not after effective_at")
    return e


def decode_propagation(p, fmt):
    require(fmt >= 2, "propagation: not a format 1 record")
    members(p, PROPAGATION_MEMBERS, "propagation")
    uuid_bytes(p["id"], "propagation.id")
    uuid_bytes(p["customer"], "propagation.customer")
    integer(p["ending_entry"], "propagation.ending_entry")
    v.recipient(p["recipient"], "propagation.recipient")
    step = p["step"]
    require(isinstance(step, dict) and len(step) == 1, "propagation.step")
    (name, body), = step.items()
    if name == "told":
        members(body, ["channel", "text_digest"], "propagation.step.told")
        v.channel(body["channel"], "propagation.step.told.channel")
        v.digest(body["text_digest"], "propagation.step.told.text_digest")
    else:
        require(name == "confirmed", "propagation.step: unknown")
        members(body, ["evidence"], "propagation.step.confirmed")
        v.digest(body["evidence"], "propagation.step.confirmed.evidence")
    v.time(p["at"], "propagation.at")
    v.time(p["recorded_at"], "propagation.recorded_at")
    _actor(p["recorded_by"], "propagation.recorded_by")
    return p


def decode_payload(data):
    """(kind, record) of a consent payload: kind is 'notice', 'event' or 'propagation'."""
    require(data.startswith(PAYLOAD_PREFIX), "consent payload: no schema prefix")
    envelope = members(load_json(data, "consent payload"), ["schema", "format", "record"], "consent payload")
    require(envelope["schema"] == "custodia-consent", "consent payload: schema")
    fmt = envelope["format"]
    require(fmt in (1, 2, 3) and not isinstance(fmt, bool), "consent payload: unsupported format")
    record = envelope["record"]
    require(isinstance(record, dict) and len(record) == 1, "consent payload: record")
    (kind, body), = record.items()
    if kind == "notice":
        return kind, decode_notice(body, fmt)
    if kind == "event":
        return kind, decode_event(body, fmt)
    require(kind == "propagation", "consent payload: unknown record kind")
    return kind, decode_propagation(body, fmt)


# --- receipts -------------------------------------------------------------------------------------------

RECORD_KINDS = {
    "granted": "consent_record",
    "guardian_granted": "consent_record",
    "withdrawn": "consent_record",
    "notice_served": "notice_record",
    "objected": "objection_record",
    "refused": "refusal_record",
    "provided": "provision_record",
}
LEGAL_REFERENCE = {
    "notice_served": ("17", "13"),
    "granted": ("14", "7"),
    "refused": ("14", "7(3)"),
    "withdrawn": ("15", "7(3)"),
    "objected": ("44", "21"),
    "guardian_granted": ("31", "8"),
    "provided": ("23", "19"),
}
PIPL_SENSITIVE = {"financial_accounts", "health", "claims", "kyc_aml"}
GDPR_SPECIAL = {"health", "claims"}


def receipt_id(record_id, checkpoint):
    h = bytearray(sha256(RECEIPT_ID_DOMAIN + uuid_bytes(record_id) + checkpoint)[:16])
    h[6] = 0x80 | (h[6] & 0x0F)
    h[8] = 0x80 | (h[8] & 0x3F)
    return str(uuid.UUID(bytes=bytes(h)))


def derive_fields(index, event, notice, checkpoint):
    """The record of spec/consent-receipt.md, element by element, from the decoded entries."""
    p = notice["processing"]
    juris = p["jurisdiction"] if p else None
    gdpr = juris in v.EEA

    def cite(pipl, gdpr_article):
        return f"GDPR Art {gdpr_article}" if gdpr else f"PIPL Art {pipl}"

    kind = event_kind(event["kind"])
    guardian = event["kind"]["guardian_granted"]["guardian"] if kind == "guardian_granted" else None
    scope = event["scope"]

    def sensitive(category, with_guardian):
        if gdpr:
            return "GDPR Art 9" if category in GDPR_SPECIAL else None
        return "PIPL Art 28" if (with_guardian or category in PIPL_SENSITIVE) else None

    if kind == "guardian_granted":
        entity = (guardian, "guardian")
    elif kind in ("notice_served", "provided"):
        entity = (p["controller_id"] if p else None, "controller")
    else:
        entity = (event["customer"], "pii_principal")
    recipient = scope["recipient"]
    third_parties = []
    if recipient != "controller":
        (role, party), = recipient.items()
        named = [r for r in notice["recipients"] if r["recipient"] == recipient]
        third_parties.append({
            "party_id": party,
            "party_role": role,
            "party_name": named[0]["name"] if named else None,
            "party_contact": named[0]["contact"] if named else None,
            "party_address": None,
        })
    record_kind = RECORD_KINDS[kind]
    consent = None
    if record_kind == "consent_record":
        given = kind in ("granted", "guardian_granted")
        citations = []

        def add(pipl, gdpr_article):
            c = cite(pipl, gdpr_article)
            if c not in citations:
                citations.append(c)

        add("13", "6(1)(a)")
        add("14", "7")
        if guardian is not None:
            add("31", "8")
        if event["form"] == "separate":
            if isinstance(recipient, dict) and "third_party" in recipient:
                add("23", "7")
            if any(sensitive(c, False) for c in scope["categories"]):
                add("29", "9(2)(a)")
            if scope["destinations"]:
                add("39", "49(1)(a)")
        if kind == "withdrawn":
            add("15", "7(3)")
        consent = {
            "consent_type": "explicit" if event["form"] == "separate" else "expressed",
            "consent_state": "given" if given else "withdrawn",
            "lawful_basis": {"basis": "consent", "citations": citations},
            "validity": {
                "from": event["effective_at"],
                "until": event["expires_at"],
                "ends": "on_withdrawal" if given else "indefinite",
            },
        }
    locations = set(scope["destinations"])
    if juris:
        locations.add(juris)
    return {
        "schema_version": RECEIPT_SCHEMA,
        "receipt_id": receipt_id(event["id"], checkpoint),
        "record_kind": record_kind,
        "record_id": event["id"],
        "pii_principal_id": event["customer"],
        "privacy_notice": {"id": event["notice"]["id"], "version": event["notice"]["version"]},
        "notice_digest": notice["text_digest"],
        "language": notice["language"],
        "pii_controllers": [{
            "party_id": p["controller_id"] if p else None,
            "party_role": "controller",
            "party_name": notice["controller_name"],
            "party_contact": notice["controller_contact"],
            "party_address": p["controller_address"] if p else None,
        }],
        "purposes": scope["purposes"],
        "pii_information": [
            {
                "pii_type": c,
                "sensitive": sensitive(c, guardian is not None) is not None,
                "sensitive_because": sensitive(c, guardian is not None),
            }
            for c in scope["categories"]
        ],
        "storage_locations": p["storage_locations"] if p else [],
        "retention_period": notice["retention"],
        "processing_locations": sorted(locations),
        "jurisdiction": juris,
        "recipient_third_parties": third_parties,
        "withdrawal_method": p["withdrawal"] if p else None,
        "privacy_rights": notice["rights"],
        "event": {
            "event_time": event["effective_at"],
            "recorded_at": event["recorded_at"],
            "entity_id": entity[0],
            "entity_role": entity[1],
            "expression_method": event["channel"],
            "legal_reference": cite(*LEGAL_REFERENCE[kind]),
        },
        "consent": consent,
        "evidence_digest": event["evidence"],
        "ledger_index": index,
    }


def _proven_entry(value, size, root, what):
    members(value, ["index", "salt", "payload", "proof"], what)
    index = integer(value["index"], f"{what}.index")
    salt = b64(value["salt"], 32, f"{what}.salt")
    payload = text(value["payload"], f"{what}.payload").encode("utf-8")
    p_index, p_size, path = ledger.inclusion_proof(value["proof"], f"{what}.proof")
    require(p_index == index and p_size == size, f"{what}: proof is not for this entry at the checkpoint's size")
    ledger.verify_inclusion(ledger.leaf_hash(salt, payload), index, size, path, root)
    return index, decode_payload(payload)


def verify_receipt(data, log_key):
    """Verifies a receipt with the controller's log key (a note.Verifier); returns its fields."""
    receipt = members(load_json(data, "receipt"), ["fields", "event", "notice", "checkpoint"], "receipt")
    checkpoint = text(receipt["checkpoint"], "receipt.checkpoint").encode("utf-8")
    size, root, _, _ = note.verify_checkpoint(checkpoint, log_key.name, [log_key])
    index, (kind, event) = _proven_entry(receipt["event"], size, root, "receipt.event")
    require(kind == "event", "receipt.event: not an event")
    _, (kind, notice) = _proven_entry(receipt["notice"], size, root, "receipt.notice")
    require(kind == "notice", "receipt.notice: not a notice")
    require(
        notice["id"] == event["notice"]["id"] and notice["version"] == event["notice"]["version"],
        "receipt: the notice is not the event's",
    )
    derived = derive_fields(index, event, notice, checkpoint)
    # Compared as JSON values: lists in order (sets are canonical), objects by member.
    require(canonical_json(derived) == canonical_json(_reorder(receipt["fields"], derived)), "receipt: fields differ")
    return derived


def _reorder(value, like):
    """`value` with its members in `like`'s order (when both are objects with the same members)."""
    if isinstance(value, dict) and isinstance(like, dict):
        if set(value) != set(like):
            raise VerifyError("receipt: fields have other members")
        return {k: _reorder(value[k], like[k]) for k in like}
    if isinstance(value, list) and isinstance(like, list) and len(value) == len(like):
        return [_reorder(a, b) for a, b in zip(value, like)]
    return value
