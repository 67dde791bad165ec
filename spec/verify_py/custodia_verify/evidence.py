"""The evidence folder of a closed transfer case, verified offline in the order spec/evidence-folder.md gives."""

import hashlib
import os

from . import agreement, ledger, note, package
from .util import VerifyError, b64, fail, integer, load_json, members, require, text, unhex

FILES = ["agreement.bin", "public-keys.json", "package.pkg", "receipt.bin", "checkpoints.json", "consistency.json",
         "receipt-entry.json", "proofs.json", "report.json", "report.md", "report.html"]


class EvidenceError(VerifyError):
    """A check of the folder failed: names the file and the check."""


def _check(file, check):
    def wrap(f):
        def run(*args):
            try:
                return f(*args)
            except EvidenceError:
                raise
            except VerifyError as e:
                raise EvidenceError(f"{file}: {check}: {e}") from None
        return run
    return wrap


def _sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for piece in iter(lambda: f.read(1 << 20), b""):
            h.update(piece)
    return h.hexdigest()


def verify_folder(folder):
    """Every check of spec/evidence-folder.md; returns a summary dict."""
    read = lambda name: open(os.path.join(folder, name), "rb").read()  # noqa: E731

    @_check("MANIFEST.json", "digests")
    def digests():
        manifest = load_json(read("MANIFEST.json"), "MANIFEST.json")
        require(isinstance(manifest, dict) and sorted(manifest) == sorted(FILES), "does not name every file")
        for name in FILES:
            require(manifest[name] == _sha256_file(os.path.join(folder, name)), f"{name} is not the file it names")

    @_check("agreement.bin", "signatures")
    def signed_agreement():
        return agreement.decode_envelope(read("agreement.bin"))

    @_check("public-keys.json", "agreement keys")
    def keys(a):
        k = members(load_json(read("public-keys.json"), "public-keys.json"),
                    ["seller_signing", "buyer_signing", "buyer_recipient", "seller_ledger"], "public-keys.json")
        require(unhex(k["seller_signing"], 32) == a["seller_signing"], "seller_signing is not the agreement's")
        require(unhex(k["buyer_signing"], 32) == a["buyer_signing"], "buyer_signing is not the agreement's")
        require(unhex(k["buyer_recipient"], 32) == a["buyer_recipient"], "buyer_recipient is not the agreement's")
        verifier = note.Verifier.from_vkey(text(k["seller_ledger"], "seller_ledger"))
        require(verifier.kind == note.ED25519, "seller_ledger is not an Ed25519 vkey")
        return verifier

    @_check("package.pkg", "package")
    def verified_package(a):
        # Without the transfer key (an auditor has none): the entries are sealed, so the count, sections and
        # root are the ones the seller signed (the signature covers every sealed entry byte).
        _, _, trailer, _ = package.verify(read("package.pkg"), a)
        return trailer, trailer["sections"]

    @_check("receipt.bin", "receipt")
    def receipt(a, trailer, sections):
        return package.verify_receipt(read("receipt.bin"), a, trailer["count"], trailer["root"], sections)

    @_check("checkpoints.json", "checkpoints")
    def checkpoints(ledger_key):
        notes = load_json(read("checkpoints.json"), "checkpoints.json")
        require(isinstance(notes, list) and notes, "no checkpoint")
        out = []
        for n in notes:
            size, root, _, _ = note.verify_checkpoint(text(n, "note").encode("utf-8"), ledger_key.name, [ledger_key])
            out.append((size, root))
        return out

    @_check("consistency.json", "proofs")
    def consistency(cps):
        proofs = load_json(read("consistency.json"), "consistency.json")
        require(isinstance(proofs, list), "not a list")
        remaining = iter(proofs)
        for (a_size, a_root), (b_size, b_root) in zip(cps, cps[1:]):
            require(b_size >= a_size, "a checkpoint is smaller than the one before")
            if a_size == b_size:
                require(a_root == b_root, "two roots for one size")
                continue
            proof = next(remaining, None)
            require(proof is not None, "a proof is missing")
            old, new, path = ledger.consistency_proof(proof)
            require((old, new) == (a_size, b_size), "sizes do not match the checkpoints")
            ledger.verify_consistency(old, new, a_root, b_root, path)
        require(next(remaining, None) is None, "a proof too many")

    @_check("receipt-entry.json", "inclusion")
    def receipt_entry(cps):
        e = members(load_json(read("receipt-entry.json"), "receipt-entry.json"),
                    ["index", "salt", "payload", "inclusion"], "receipt-entry.json")
        payload = unhex(e["payload"], what="payload")
        require(payload == read("receipt.bin"), "the payload is not the signed receipt")
        index, size, path = ledger.inclusion_proof(e["inclusion"])
        last_size, last_root = cps[-1]
        require(index == integer(e["index"], "index") and size == last_size, "not proven under the last checkpoint")
        ledger.verify_inclusion(ledger.leaf_hash(b64(e["salt"], 32, "salt"), payload), index, size, path, last_root)

    @_check("proofs.json", "proofs")
    def proofs(a, trailer):
        listed = load_json(read("proofs.json"), "proofs.json")
        require(isinstance(listed, list), "not a list")
        out = []
        for p in listed:
            require(isinstance(p, dict) and unhex(p.get("root", ""), 32) == trailer["root"],
                    "a customer is proven under another root")
            moved, customer, _ = package.verify_proof(p, a["seller_signing"])
            out.append((customer, moved))
        return out

    @_check("report.json", "package")
    def report(trailer):
        r = load_json(read("report.json"), "report.json")
        require(isinstance(r, dict) and isinstance(r.get("package"), dict), "no package section")
        p = r["package"]
        require(unhex(text(p.get("root"), "root"), 32) == trailer["root"], "root differs from the package")
        require(p.get("customers") == trailer["count"], "customers differ from the package")

    for name in FILES + ["MANIFEST.json"]:
        if not os.path.isfile(os.path.join(folder, name)):
            fail(f"{name}: missing")
    digests()
    a = signed_agreement()
    ledger_key = keys(a)
    trailer, sections = verified_package(a)
    receipt(a, trailer, sections)
    cps = checkpoints(ledger_key)
    consistency(cps)
    receipt_entry(cps)
    proven = proofs(a, trailer)
    report(trailer)
    return {"transfer_id": a["terms"]["transfer_id"], "customers": trailer["count"], "sections": sections,
            "root": trailer["root"].hex(), "checkpoints": len(cps), "proofs": len(proven),
            "moved": sum(1 for _, m in proven if m)}
