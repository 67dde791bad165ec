"""C2SP signed notes, tlog-checkpoints, verifier keys and cosignatures as custodia signs them (spec/checkpoint.md)."""

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .util import VerifyError, b64, b64_of, fail, require, sha256

EM_DASH = "\u2014 "
MAX_NOTE = 65536
MAX_SIGNATURES = 64
ED25519 = 0x01
COSIGNATURE = 0x04


def _forbidden(c):
    return c < " " and c != "\n"


def key_id(name, kind, public):
    return int.from_bytes(sha256(name.encode() + b"\n" + bytes([kind]) + public)[:4], "big")


def _check_name(name):
    require(
        name and not any(c.isspace() or c == "+" or _forbidden(c) for c in name),
        "note: invalid key name",
    )


class Verifier:
    """A note verifier key: name, type (0x01 or 0x04) and Ed25519 public key."""

    def __init__(self, name, kind, public):
        _check_name(name)
        require(kind in (ED25519, COSIGNATURE), "vkey: unsupported type")
        require(len(public) == 32, "vkey: key is not 32 bytes")
        self.name, self.kind, self.public = name, kind, public
        self.id = key_id(name, kind, public)

    @classmethod
    def from_vkey(cls, vkey):
        parts = vkey.split("+", 2)
        require(len(parts) == 3, "vkey: expected name+hash+key")
        name, hash_hex, key = parts
        require(len(hash_hex) == 8 and all(c in "0123456789abcdef" for c in hash_hex), "vkey: key id")
        raw = b64(key, what="vkey key")
        require(len(raw) == 33, "vkey: not a type byte and a 32-byte key")
        verifier = cls(name, raw[0], raw[1:])
        require(verifier.id == int(hash_hex, 16), "vkey: key id does not match")
        require(verifier.vkey() == vkey, "vkey: not canonical")
        return verifier

    def vkey(self):
        return f"{self.name}+{self.id:08x}+{b64_of(bytes([self.kind]) + self.public)}"

    def check(self, text, signature):
        key = Ed25519PublicKey.from_public_bytes(self.public)
        try:
            if self.kind == ED25519:
                require(len(signature) == 64, "note: signature length")
                key.verify(signature, text.encode())
                return None
            require(len(signature) == 72, "note: cosignature length")
            timestamp = int.from_bytes(signature[:8], "big")
            require(timestamp < 1 << 63, "note: cosignature time")
            message = f"cosignature/v1\ntime {timestamp}\n".encode() + text.encode()
            key.verify(signature[8:], message)
            return timestamp
        except InvalidSignature:
            fail(f"note: signature by {self.name} does not verify")


def parse_note(data):
    """(text, [(name, key id, signature bytes)]) of a signed note; byte-exact or refused."""
    require(len(data) <= MAX_NOTE, "note: too long")
    try:
        note = data.decode("utf-8")
    except UnicodeDecodeError:
        fail("note: not UTF-8")
    require(not any(_forbidden(c) for c in note), "note: control character")
    split = note.rfind("\n\n")
    require(split >= 0, "note: no blank line before the signatures")
    text, block = note[: split + 1], note[split + 2:]
    require(text.endswith("\n") and not text.endswith("\n\n") and text != "\n", "note: bad text")
    require(block and block.endswith("\n"), "note: no signatures")
    signatures = []
    for line in block[:-1].split("\n"):
        require(len(signatures) < MAX_SIGNATURES, "note: too many signatures")
        require(line.startswith(EM_DASH), "note: signature line without an em dash")
        rest = line[len(EM_DASH):]
        require(" " in rest, "note: signature line without a space")
        name, encoded = rest.split(" ", 1)
        _check_name(name)
        raw = b64(encoded, what="note signature")
        require(len(raw) >= 4, "note: signature shorter than a key id")
        signatures.append((name, int.from_bytes(raw[:4], "big"), raw[4:]))
    rebuilt = text + "\n" + "".join(
        f"{EM_DASH}{n} {b64_of(i.to_bytes(4, 'big') + s)}\n" for n, i, s in signatures
    )
    require(rebuilt.encode() == data, "note: does not re-serialize to its bytes")
    return text, signatures


def parse_checkpoint(text):
    """(origin, size, root, extension lines) of a checkpoint text."""
    require(text.endswith("\n"), "checkpoint: no final newline")
    lines = text[:-1].split("\n")
    require(len(lines) >= 3, "checkpoint: too few lines")
    origin, size_line, root_line, *extensions = lines
    require(origin and not any(_forbidden(c) for c in origin), "checkpoint: origin")
    require(
        size_line.isascii() and size_line.isdigit() and (size_line == "0" or not size_line.startswith("0")),
        "checkpoint: size",
    )
    size = int(size_line)
    require(size < 1 << 64, "checkpoint: size")
    root = b64(root_line, 32, "checkpoint root")
    times = 0
    for line in extensions:
        require(line, "checkpoint: empty extension line")
        if line.startswith("time "):
            digits = line[5:]
            times += 1
            require(
                times == 1 and digits.isascii() and digits.isdigit() and (digits == "0" or not digits.startswith("0")),
                "checkpoint: time line",
            )
            require(int(digits) < 1 << 63, "checkpoint: time line")
    return origin, size, root, extensions


def verify_checkpoint(data, origin, log_keys, witnesses=(), threshold=0):
    """Verifies a signed checkpoint under a trust policy; returns (size, root, text, extensions)."""
    text, signatures = parse_note(data)
    checkpoint_origin, size, root, extensions = parse_checkpoint(text)
    trusted = list(log_keys) + list(witnesses)
    verified = []
    for name, kid, signature in signatures:
        for key in trusted:
            if key.name == name and key.id == kid:
                key.check(text, signature)
                if key not in verified:
                    verified.append(key)
    require(any(k in verified for k in log_keys), "checkpoint: no trusted log key signed")
    require(sum(1 for k in witnesses if k in verified) >= threshold, "checkpoint: witness threshold")
    require(checkpoint_origin == origin, "checkpoint: another origin")
    return size, root, text, extensions


__all__ = ["Verifier", "parse_note", "parse_checkpoint", "verify_checkpoint", "VerifyError"]
