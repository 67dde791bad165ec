"""Verifies and imports spec/vectors/ with nothing but the specifications (spec/verify_py/README.md).

    python verify_vectors.py [VECTORS_DIR]
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from custodia_verify import vectors  # noqa: E402
from custodia_verify.util import VerifyError  # noqa: E402


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "vectors")
    start = time.monotonic()
    try:
        names = vectors.verify_all(root)
    except VerifyError as e:
        print(f"vectors: FAILED: {e}")
        return 1
    print(f"vectors: {len(names)} checks passed in {time.monotonic() - start:.2f} s")
    for n in names:
        print(f"  ok  {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
