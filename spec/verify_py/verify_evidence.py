"""Verifies a transfer case's evidence folder offline, in the order spec/evidence-folder.md gives.

    python verify_evidence.py EVIDENCE_DIR
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from custodia_verify import evidence  # noqa: E402
from custodia_verify.util import VerifyError  # noqa: E402


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    start = time.monotonic()
    try:
        summary = evidence.verify_folder(sys.argv[1])
    except (VerifyError, OSError) as e:
        print(f"evidence: FAILED: {e}")
        return 1
    print(f"evidence: every check passed in {time.monotonic() - start:.2f} s: transfer {summary['transfer_id']}, "
          f"{summary['customers']} customers, {summary['sections']} sections, root {summary['root']}, "
          f"{summary['checkpoints']} checkpoints, {summary['proofs']} customer proofs ({summary['moved']} moved)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
