"""The shared vocabulary of spec/consent-records.md: purposes, categories, jurisdictions, channels, recipients."""

import re

from .util import require, uuid_bytes

PURPOSES = [
    "policy_servicing",
    "proposal_preparation",
    "application_handling",
    "claims_assistance",
    "marketing",
    "analytics",
    "legal_compliance",
    "transfer",
]
# Former codes a reader accepts (and reads as their new names); never written.
PURPOSE_ALIASES = {"underwriting": "proposal_preparation", "claims_handling": "claims_assistance"}

CATEGORIES = [
    "identity",
    "contact",
    "financial_accounts",
    "health",
    "policies",
    "claims",
    "beneficiaries",
    "marketing_preferences",
    "kyc_aml",
]
CATEGORY_TAG = {code: i + 1 for i, code in enumerate(CATEGORIES)}
TAG_CATEGORY = {i + 1: code for i, code in enumerate(CATEGORIES)}

CHANNELS = ["web", "mobile_app", "paper", "phone", "in_person", "email", "sms", "other"]

ISO_3166 = (
    "ADAEAFAGAIALAMAOAQARASATAUAWAXAZBABBBDBEBFBGBHBIBJBLBMBNBOBQBRBSBTBVBWBYBZ"
    "CACCCDCFCGCHCICKCLCMCNCOCRCUCVCWCXCYCZDEDJDKDMDODZECEEEGEHERESETFIFJFKFMFOFRGAGBGDGEGFGGGHGIGLGMGNGPGQGRGS"
    "GTGUGWGYHKHMHNHRHTHUIDIEILIMINIOIQIRISITJEJMJOJPKEKGKHKIKMKNKPKRKWKYKZLALBLCLILKLRLSLTLULVLYMAMCMDMEMFMGMH"
    "MKMLMMMNMOMPMQMRMSMTMUMVMWMXMYMZNANCNENFNGNINLNONPNRNUNZOMPAPEPFPGPHPKPLPMPNPRPSPTPWPYQARERORSRURWSASBSCSD"
    "SESGSHSISJSKSLSMSNSOSRSSSTSVSXSYSZTCTDTFTGTHTJTKTLTMTNTOTRTTTVTWTZUAUGUMUSUYUZVAVCVEVGVIVNVUWFWSYEYTZAZMZW"
)
JURISDICTIONS = {ISO_3166[i:i + 2] for i in range(0, len(ISO_3166), 2)}
EEA = {
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT",
    "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO",
}

_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3}|\.\d{6}|\.\d{9})?Z")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DIGEST = re.compile(r"[0-9a-f]{64}")


def time(value, what):
    require(isinstance(value, str) and _TIME.fullmatch(value) is not None, f"{what}: not an RFC 3339 UTC time")
    return value


def date(value, what):
    require(isinstance(value, str) and _DATE.fullmatch(value) is not None, f"{what}: not a date")
    return value


def digest(value, what):
    require(isinstance(value, str) and _DIGEST.fullmatch(value) is not None, f"{what}: not a lower-case SHA-256")
    return value


def jurisdiction(value, what):
    require(isinstance(value, str) and value in JURISDICTIONS, f"{what}: not an assigned ISO 3166-1 code")
    return value


def _purpose_key(p):
    if isinstance(p, str):
        return (0, PURPOSES.index(p), "")
    return (1, 0, p["custom"])


def purpose(value, what):
    if isinstance(value, str):
        value = PURPOSE_ALIASES.get(value, value)
        require(value in PURPOSES, f"{what}: unknown purpose")
        return value
    require(isinstance(value, dict) and list(value) == ["custom"], f"{what}: not a purpose")
    code = value["custom"]
    require(
        isinstance(code, str) and re.fullmatch(r"[a-z0-9_]{1,64}", code) is not None and code not in PURPOSES,
        f"{what}: not a custom purpose code",
    )
    return value


def sorted_set(values, item, key, what, non_empty=False):
    require(isinstance(values, list), f"{what}: not a list")
    parsed = [item(v, what) for v in values]
    keys = [key(v) for v in parsed]
    require(keys == sorted(set(keys)) and len(keys) == len(set(keys)), f"{what}: not a sorted set")
    require(not non_empty or parsed, f"{what}: empty")
    return parsed


def purposes(values, what, non_empty=True):
    return sorted_set(values, purpose, _purpose_key, what, non_empty)


def categories(values, what, non_empty=True):
    def item(v, w):
        require(v in CATEGORIES, f"{w}: unknown category")
        return v

    return sorted_set(values, item, CATEGORIES.index, what, non_empty)


def jurisdictions(values, what, non_empty=False):
    return sorted_set(values, jurisdiction, lambda j: j, what, non_empty)


def channels(values, what, non_empty=False):
    def item(v, w):
        require(v in CHANNELS, f"{w}: unknown channel")
        return v

    return sorted_set(values, item, CHANNELS.index, what, non_empty)


def channel(value, what):
    require(value in CHANNELS, f"{what}: unknown channel")
    return value


def recipient(value, what):
    """'controller', {'third_party': id} or {'successor': id}."""
    if value == "controller":
        return value
    require(isinstance(value, dict) and len(value) == 1, f"{what}: not a recipient")
    (kind, party), = value.items()
    require(kind in ("third_party", "successor"), f"{what}: not a recipient")
    uuid_bytes(party, what)
    return value


def recipient_key(value):
    if value == "controller":
        return (0, "")
    (kind, party), = value.items()
    return (1 if kind == "third_party" else 2, uuid_bytes(party))
