"""The transfer agreement: canonical terms, envelope and signatures (spec/agreement.md)."""

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from . import vocabulary as v
from .util import Reader, canonical_json, fail, integer, load_json, members, require, sha256, text, unhex, uuid_bytes

FORMAT = b"custodia-transfer-agreement/1\n"
MAGIC = b"CUSTAGR1"
SIGNATURE_DOMAIN = b"custodia-transfer/agreement-signature/v1\x00"
MAX_LEN = 1 << 20

TERMS = ["transfer_id", "seller", "buyer", "legal_path", "scope", "selection", "objection_window_days",
         "sensitive", "minors", "cross_border", "obligations", "impact_assessment", "effective"]


def _text(value, what, limit):
    text(value, what)
    require(value.strip() and len(value) <= limit and not any(ord(c) < 32 or 0x7f <= ord(c) < 0xa0 for c in value),
            f"{what}: blank, too long or a control character")


def _party(p, what):
    optional = [m for m in ("credit_code", "registration") if m in p]
    members(p, ["party_id", "name", *optional, "licence", "contact", "jurisdiction", "signing_key",
                "recipient_key"], what)
    uuid_bytes(p["party_id"], f"{what}.party_id")
    for f in ("name", "licence", "contact"):
        _text(p[f], f"{what}.{f}", 256)
    v.jurisdiction(p["jurisdiction"], f"{what}.jurisdiction")
    if p["jurisdiction"] == "CN":
        require(optional == ["credit_code"], f"{what}: a mainland party is named by its credit code")
        require(isinstance(p["credit_code"], str) and len(p["credit_code"]) == 18, f"{what}.credit_code")
    else:
        require(optional == ["registration"], f"{what}: a party elsewhere is named by its registration")
        r = members(p["registration"], ["register", "number"], f"{what}.registration")
        _text(r["register"], f"{what}.registration.register", 256)
        _text(r["number"], f"{what}.registration.number", 64)
    return unhex(p["signing_key"], 32, f"{what}.signing_key"), unhex(p["recipient_key"], 32, f"{what}.recipient_key")


def decode_terms(canonical):
    """(terms, seller signing key, buyer signing key, buyer recipient key) of canonical terms."""
    require(canonical.startswith(FORMAT), "agreement: not custodia-transfer-agreement/1")
    terms = load_json(canonical[len(FORMAT):], "agreement terms")
    names = TERMS + (["deal"] if "deal" in terms else [])
    members(terms, names, "agreement terms")
    uuid_bytes(terms["transfer_id"], "agreement.transfer_id")
    seller_sign, _ = _party(terms["seller"], "agreement.seller")
    buyer_sign, buyer_recipient = _party(terms["buyer"], "agreement.buyer")
    require(terms["seller"]["party_id"] != terms["buyer"]["party_id"], "agreement: one party twice")
    require(terms["legal_path"] in ("merger_notice", "separate_consent"), "agreement.legal_path")
    scope = terms["scope"]
    require(isinstance(scope, list) and scope, "agreement.scope")
    seen = []
    for item in scope:
        members(item, ["purpose", "categories"], "agreement.scope[]")
        purpose = v.purpose(item["purpose"], "agreement.scope[].purpose")
        require(isinstance(purpose, str) and purpose != "transfer", "agreement.scope: not a purpose the buyer continues")
        v.categories(item["categories"], "agreement.scope[].categories")
        seen.append(v.PURPOSES.index(purpose))
    require(seen == sorted(set(seen)), "agreement.scope: purposes not sorted and unique")
    selection = terms["selection"]
    if isinstance(selection, dict):
        members(selection, ["lapsed_within_years"], "agreement.selection")
        require(1 <= integer(selection["lapsed_within_years"], "agreement.selection", 32) <= 60, "agreement.selection")
    else:
        require(selection in ("active", "all"), "agreement.selection")
    days = integer(terms["objection_window_days"], "agreement.objection_window_days", 32)
    require(days <= 365 and (terms["legal_path"] != "merger_notice" or days >= 1), "agreement.objection_window_days")
    require(terms["sensitive"] in ("follow_path", "require_separate_consent", "exclude"), "agreement.sensitive")
    require(terms["minors"] in ("require_guardian_consent", "exclude"), "agreement.minors")
    cb = terms["cross_border"]
    if cb is not None:
        names = ["destination", "mechanism", "reference"] + (["exemption"] if "exemption" in cb else []) + ["ciio"]
        members(cb, names, "agreement.cross_border")
        require(v.jurisdiction(cb["destination"], "agreement.cross_border.destination") != "CN",
                "agreement.cross_border.destination: the mainland")
        mechanism = cb["mechanism"]
        require(mechanism in ("none", "exempt", "standard_contract", "certification", "security_assessment"),
                "agreement.cross_border.mechanism")
        if mechanism in ("none", "exempt"):
            require(cb["reference"] == "", "agreement.cross_border.reference")
        else:
            _text(cb["reference"], "agreement.cross_border.reference", 1024)
        require(("exemption" in cb) == (mechanism == "exempt"), "agreement.cross_border.exemption")
        if "exemption" in cb:
            require(cb["exemption"] in ("contract_necessity", "emergency"), "agreement.cross_border.exemption")
        require(isinstance(cb["ciio"], bool), "agreement.cross_border.ciio")
    else:
        require(terms["buyer"]["jurisdiction"] == "CN", "agreement: a buyer abroad needs cross-border terms")
    ob = members(terms["obligations"], ["continue_retention_duties", "purpose_limitation", "security_measures"],
                 "agreement.obligations")
    require(ob["continue_retention_duties"] is True and ob["purpose_limitation"] is True, "agreement.obligations")
    _text(ob["security_measures"], "agreement.obligations.security_measures", 1024)
    _text(terms["impact_assessment"], "agreement.impact_assessment", 1024)
    v.date(terms["effective"], "agreement.effective")
    if "deal" in terms:
        deal = terms["deal"]
        require(isinstance(deal, dict) and deal, "agreement.deal: present but empty")
        order = [m for m in ("kind", "records_kept_by", "seller_after", "disposal_plan_report") if m in deal]
        members(deal, order, "agreement.deal")
        defaults = {"kind": "book_transfer", "records_kept_by": "seller", "seller_after": "continues"}
        allowed = {"kind": ("share_acquisition", "book_transfer"), "records_kept_by": ("seller", "buyer"),
                   "seller_after": ("continues", "dissolves")}
        for m, values in allowed.items():
            if m in deal:
                require(deal[m] in values and deal[m] != defaults[m], f"agreement.deal.{m}")
        if "disposal_plan_report" in deal:
            r = members(deal["disposal_plan_report"], ["reference", "authority", "filed_on"],
                        "agreement.deal.disposal_plan_report")
            _text(r["reference"], "agreement.deal.disposal_plan_report.reference", 1024)
            _text(r["authority"], "agreement.deal.disposal_plan_report.authority", 1024)
            v.date(r["filed_on"], "agreement.deal.disposal_plan_report.filed_on")
    # One set of terms has one canonical form: re-encoded, the terms give back exactly these bytes.
    require(FORMAT + canonical_json(terms) == canonical, "agreement: not canonical")
    return terms, seller_sign, buyer_sign, buyer_recipient


def _verify(public, message, signature, who):
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except InvalidSignature:
        fail(f"agreement: the {who}'s signature does not verify")


def decode_envelope(data):
    """Verifies the signed agreement; returns (canonical bytes, terms, digest, keys)."""
    r = Reader(data, "signed agreement")
    require(r.take(8, "magic") == MAGIC, "signed agreement: magic")
    length = r.u32("length")
    require(length <= MAX_LEN, "signed agreement: longer than 1 MiB")
    canonical = r.take(length, "terms")
    seller_sig, buyer_sig = r.take(64, "seller signature"), r.take(64, "buyer signature")
    r.finish()
    terms, seller, buyer, recipient = decode_terms(canonical)
    digest = sha256(canonical)
    _verify(seller, SIGNATURE_DOMAIN + b"seller\x00" + digest, seller_sig, "seller")
    _verify(buyer, SIGNATURE_DOMAIN + b"buyer\x00" + digest, buyer_sig, "buyer")
    return {"canonical": canonical, "terms": terms, "digest": digest, "seller_signing": seller,
            "buyer_signing": buyer, "buyer_recipient": recipient}
