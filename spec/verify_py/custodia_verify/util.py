"""Byte, hash, encoding and JSON helpers shared by the checkers (spec/README.md, "Conventions")."""

import base64
import binascii
import hashlib
import json
import re
import uuid


class VerifyError(Exception):
    """A check failed: the input is not what the specification allows."""


def fail(message):
    raise VerifyError(message)


def require(condition, message):
    if not condition:
        raise VerifyError(message)


def sha256(data):
    return hashlib.sha256(data).digest()


def u16(n):
    return n.to_bytes(2, "big")


def u32(n):
    return n.to_bytes(4, "big")


def u64(n):
    return n.to_bytes(8, "big")


def hex_of(data):
    return data.hex()


def unhex(text, length=None, what="hex"):
    """Lower-case hex only (upper case is refused, as custodia's digests are)."""
    require(isinstance(text, str), f"{what}: not a string")
    require(re.fullmatch(r"(?:[0-9a-f]{2})*", text) is not None, f"{what}: not lower-case hex")
    data = bytes.fromhex(text)
    if length is not None:
        require(len(data) == length, f"{what}: not {length} bytes")
    return data


def b64(text, length=None, what="base64"):
    """Canonical standard base64 with padding (RFC 4648 §4)."""
    require(isinstance(text, str), f"{what}: not a string")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        fail(f"{what}: not base64")
    require(base64.b64encode(data).decode() == text, f"{what}: not canonical base64")
    if length is not None:
        require(len(data) == length, f"{what}: not {length} bytes")
    return data


def b64_of(data):
    return base64.b64encode(data).decode()


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def uuid_bytes(text, what="id"):
    """An id in JSON: the lower-case hyphenated form of a non-nil UUID; its 16 bytes."""
    require(isinstance(text, str) and _UUID.fullmatch(text) is not None, f"{what}: not a hyphenated UUID")
    value = uuid.UUID(text)
    require(value.int != 0, f"{what}: nil UUID")
    return value.bytes


def uuid_text(data):
    require(len(data) == 16, "id: not 16 bytes")
    value = uuid.UUID(bytes=bytes(data))
    require(value.int != 0, "id: nil UUID")
    return str(value)


def _pairs(pairs):
    out = {}
    for key, value in pairs:
        require(key not in out, f"JSON: duplicate member {key!r}")
        out[key] = value
    return out


def _no_constant(name):
    fail(f"JSON: {name} is not allowed")


def load_json(data, what="JSON"):
    """Strict JSON: UTF-8, no duplicate members, no NaN or Infinity."""
    try:
        text = data.decode("utf-8") if isinstance(data, (bytes, bytearray)) else data
        return json.loads(text, object_pairs_hook=_pairs, parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError) as e:
        fail(f"{what}: {e}")


def canonical_json(value):
    """The bytes serde_json writes for `value` (members in insertion order, no whitespace)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def members(obj, names, what):
    """Refuses an object whose members are not exactly `names` (unknown and missing alike)."""
    require(isinstance(obj, dict), f"{what}: not an object")
    require(set(obj) == set(names), f"{what}: members {sorted(obj)} are not {sorted(names)}")
    return obj


def integer(value, what, bits=64):
    require(isinstance(value, int) and not isinstance(value, bool), f"{what}: not an integer")
    require(0 <= value < (1 << bits), f"{what}: out of range")
    return value


def text(value, what):
    require(isinstance(value, str), f"{what}: not a string")
    return value


class Reader:
    """A bounds-checked reader of a byte string: every read checks the length first."""

    def __init__(self, data, what):
        self.data = bytes(data)
        self.at = 0
        self.what = what

    def take(self, n, field):
        require(n >= 0 and self.at + n <= len(self.data), f"{self.what}: truncated {field}")
        out = self.data[self.at:self.at + n]
        self.at += n
        return out

    def u8(self, field):
        return self.take(1, field)[0]

    def u16(self, field):
        return int.from_bytes(self.take(2, field), "big")

    def u32(self, field):
        return int.from_bytes(self.take(4, field), "big")

    def u64(self, field):
        return int.from_bytes(self.take(8, field), "big")

    def i64(self, field):
        return int.from_bytes(self.take(8, field), "big", signed=True)

    def rest(self):
        out = self.data[self.at:]
        self.at = len(self.data)
        return out

    def finish(self):
        require(self.at == len(self.data), f"{self.what}: trailing bytes")
