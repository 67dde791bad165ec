"""Salted RFC 9162 leaves, the tree, inclusion and consistency proofs (spec/ledger.md)."""

from .util import VerifyError, b64, integer, members, require, sha256

EMPTY_ROOT = sha256(b"")
REDACTION_TAG = b"\x00custodia-ledger redaction v1\n"


def leaf_hash(salt, payload):
    require(len(salt) == 32, "salt: not 32 bytes")
    return sha256(b"\x00" + salt + payload)


def node_hash(left, right):
    return sha256(b"\x01" + left + right)


def root(leaves):
    """MTH over leaf hashes (RFC 9162 §2.1.1)."""
    n = len(leaves)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(root(leaves[:k]), root(leaves[k:]))


def verify_inclusion(leaf, index, size, path, expected_root):
    """RFC 9162 §2.1.3.2, step by step."""
    require(index < size, "inclusion: index is not below the size")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        require(sn != 0, "inclusion: path too long")
        if fn & 1 == 1 or fn == sn:
            r = node_hash(p, r)
            if fn & 1 == 0:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    require(sn == 0, "inclusion: path too short")
    require(r == expected_root, "inclusion: path does not lead to the root")


def verify_consistency(old_size, new_size, old_root, new_root, path):
    """RFC 9162 §2.1.4.2, with the edge cases of spec/ledger.md."""
    require(old_size <= new_size, "consistency: old size above new size")
    if old_size == new_size:
        require(not path and old_root == new_root, "consistency: equal sizes need an empty proof and equal roots")
        return
    if old_size == 0:
        require(not path and old_root == EMPTY_ROOT, "consistency: from the empty tree needs an empty proof")
        return
    require(path, "consistency: empty proof")
    hashes = list(path)
    if old_size & (old_size - 1) == 0:
        hashes.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1 == 1:
        fn >>= 1
        sn >>= 1
    fr = sr = hashes[0]
    for c in hashes[1:]:
        require(sn != 0, "consistency: proof too long")
        if fn & 1 == 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if fn & 1 == 0:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    require(sn == 0, "consistency: proof too short")
    require(fr == old_root, "consistency: does not lead to the old root")
    require(sr == new_root, "consistency: does not lead to the new root")


def inclusion_proof(value, what="inclusion proof"):
    """The ledger's JSON form: {"index", "size", "path": [base64]}."""
    members(value, ["index", "size", "path"], what)
    path = value["path"]
    require(isinstance(path, list), f"{what}: path is not a list")
    return (
        integer(value["index"], f"{what}.index"),
        integer(value["size"], f"{what}.size"),
        [b64(h, 32, f"{what}.path") for h in path],
    )


def consistency_proof(value, what="consistency proof"):
    members(value, ["old_size", "new_size", "path"], what)
    path = value["path"]
    require(isinstance(path, list), f"{what}: path is not a list")
    return (
        integer(value["old_size"], f"{what}.old_size"),
        integer(value["new_size"], f"{what}.new_size"),
        [b64(h, 32, f"{what}.path") for h in path],
    )


def redaction_record(payload):
    """(target index, target leaf hash, reason) of a redaction record payload, or None."""
    if not payload.startswith(REDACTION_TAG):
        return None
    rest = payload[len(REDACTION_TAG):]
    if len(rest) < 40:
        raise VerifyError("redaction record: truncated")
    return int.from_bytes(rest[:8], "big"), rest[8:40], rest[40:]
