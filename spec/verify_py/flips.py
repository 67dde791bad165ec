"""Every single-byte change of every vector file must fail the verifier (issue 25).

For each file and each byte, the byte is XORed with 0x01 (a one-bit flip) and, separately, replaced by its
complement (XOR 0xff); the checks that read the file are run on the changed set, without the digest list
(which would catch every change by itself), and at least one must refuse it with a VerifyError. Any other
exception is a bug in the verifier (it must be total) and fails the run too. SHA256SUMS.json is flipped
against its own check.

    python flips.py [VECTORS_DIR]
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from custodia_verify import vectors  # noqa: E402
from custodia_verify.util import VerifyError  # noqa: E402


def readers(root):
    """For each file, the checks that read it."""
    out = {}
    for check in vectors.CHECKS:
        vs = vectors.Vectors(root)
        check(vs)
        for name in vs.reads:
            out.setdefault(name, []).append(check)
    return out


def refused(root, checks, name, changed):
    vs = vectors.Vectors(root, {name: changed})
    for check in checks:
        try:
            check(vs)
        except VerifyError:
            return True
    return False


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "vectors")
    start = time.monotonic()
    vs = vectors.Vectors(root)
    by_file = readers(root)
    by_file["SHA256SUMS.json"] = [vectors.sums]
    missed, flips = [], 0
    for name in vs.names():
        checks = by_file.get(name)
        if not checks:
            missed.append(f"{name}: read by no check")
            continue
        data = vs.read(name)
        for at in range(len(data)):
            for mask in (0x01, 0xFF):
                changed = bytearray(data)
                changed[at] ^= mask
                flips += 1
                try:
                    ok = refused(root, checks, name, bytes(changed))
                except Exception as e:  # a crash is a finding: the verifier must be total
                    missed.append(f"{name} byte {at} ^ {mask:#04x}: {type(e).__name__}: {e}")
                    continue
                if not ok:
                    missed.append(f"{name} byte {at} ^ {mask:#04x}: accepted")
    elapsed = time.monotonic() - start
    if missed:
        print(f"flips: {len(missed)} of {flips} changes not refused:")
        for m in missed[:50]:
            print(f"  {m}")
        print(f"{flips - len(missed)} passed, {len(missed)} failed")
        return 1
    print(f"flips: all {flips} single-byte changes of {len(vs.names())} files refused in {elapsed:.1f} s")
    print(f"{flips} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
