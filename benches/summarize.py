#!/usr/bin/env python3
"""Prints the BENCHMARKS.md tables from criterion's estimates of the last run.

Usage: python3 benches/summarize.py [CRITERION_DIR]   (default: $CARGO_TARGET_DIR/criterion or target/criterion)

Every figure is criterion's median (the point estimate of the median of the samples); every ratio is
baseline / custodia for throughput-style targets (higher is better) or big / small for growth targets.
"""
import json
import os
import sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "criterion")


def median(group, bench):
    path = os.path.join(root, group, *bench.split("/"), "new", "estimates.json")
    try:
        with open(path) as f:
            return json.load(f)["median"]["point_estimate"]
    except FileNotFoundError:
        return None


def fmt(ns):
    if ns is None:
        return "—"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def row(what, figure, baseline, target, higher_is_better=True, limit=None, ratio=None):
    if ratio is None and figure and baseline:
        ratio = baseline / figure
    met = "—"
    if ratio is not None and limit is not None:
        met = "yes" if (ratio >= limit if higher_is_better else ratio <= limit) else "**no**"
    r = "—" if ratio is None else f"{ratio:.2f}"
    print(f"| {what} | {fmt(figure)} | {fmt(baseline)} | {r} | {target} | {met} |")


print("| what | custodia median | baseline median | ratio | target | met |")
print("|---|---|---|---|---|---|")
for op in ("seal", "open"):
    for size, limit in (("256B", 0.7), ("4KiB", 0.9)):
        g = f"{op}_{size}"
        row(f"{op} {size} (key setup included)", median(g, "custodia"), median(g, "raw_ring"), f"≥ {limit}", limit=limit)
row("wrap DEK", median("wrap_dek", "custodia"), median("wrap_dek", "raw_ring"), "≥ 0.7", limit=0.7)
row("unwrap DEK (vs raw open of 32 B)", median("unwrap_dek", "custodia"), median("unwrap_dek", "raw_ring"), "≥ 0.7", limit=0.7)
row("unwrap DEK (vs raw open + AES key schedule)", median("unwrap_dek", "custodia"),
    median("unwrap_dek", "raw_ring_with_key_schedule"), "(≥ 0.7 proposed)", limit=0.7)
row("blind index, identity number", median("blind_index", "custodia"), median("blind_index", "raw_hmac_sha256"), "≥ 0.8", limit=0.8)
row("ledger append, memory, 1,000 × 200 B", median("ledger_append_memory", "custodia"),
    median("ledger_append_memory", "raw_sha256"), "≥ 0.4", limit=0.4)
for name, batch in (("full", 1000), ("normal", 1000), ("full", 1), ("full", 16), ("full", 256)):
    g = f"ledger_append_sqlite_{name}"
    main = name == "full" and batch == 1000
    row(f"ledger append, SQLite synchronous={name.upper()}, batches of {batch:,} × 200 B", median(g, f"custodia/{batch}"),
        median(g, f"raw_rusqlite/{batch}"), "≥ 0.7" if main else "(information)", limit=0.7 if main else None)
print()
print("| proof | 10³ | 10⁴ | 10⁵ | 10⁶ | 10⁶ / 10³ | target | met |")
print("|---|---|---|---|---|---|---|---|")
for p in ("inclusion_proof", "consistency_proof"):
    ms = [median(p, str(n)) for n in (1000, 10000, 100000, 1000000)]
    ratio = ms[3] / ms[0] if ms[0] and ms[3] else None
    met = "—" if ratio is None else ("yes" if ratio <= 2 else "**no**")
    r = "—" if ratio is None else f"{ratio:.2f}"
    print(f"| {p.replace('_', ' ')} | " + " | ".join(fmt(m) for m in ms) + f" | {r} | ≤ 2× | {met} |")
print()
print("| permits question | 10⁵ customers | 10⁶ customers | 10⁶ / 10⁵ | target | met |")
print("|---|---|---|---|---|---|")
for q in ("consent_marketing", "consent_sensitive", "consent_cross_border", "contract_basis", "baseline_hashmap_lookup"):
    g = f"permits_{q}"
    a, b = median(g, "100000"), median(g, "1000000")
    ratio = b / a if a and b else None
    ok = None if ratio is None or q == "baseline_hashmap_lookup" else (b < 10_000)
    target = "(scale reference)" if q == "baseline_hashmap_lookup" else "µs, flat"
    met = "—" if ok is None else ("yes" if ok and ratio <= 2 else "**no**")
    r = "—" if ratio is None else f"{ratio:.2f}"
    print(f"| {q.replace('_', ' ')} | {fmt(a)} | {fmt(b)} | {r} | {target} | {met} |")
print()
print("| retention sweep | per customer at 10⁴ | per customer at 10⁶ | 10⁶ / 10⁴ | target | met |")
print("|---|---|---|---|---|---|")
per = {}
for f in ("generate_only", "generate_and_sweep"):
    for n in (10000, 1000000):
        m = median("retention_sweep", f"{f}/{n}")
        per[(f, n)] = m / n if m else None
for label, a, b in (
    ("generate and sweep", per[("generate_and_sweep", 10000)], per[("generate_and_sweep", 1000000)]),
    ("sweep alone (difference)",
     per[("generate_and_sweep", 10000)] - per[("generate_only", 10000)] if per[("generate_only", 10000)] and per[("generate_and_sweep", 10000)] else None,
     per[("generate_and_sweep", 1000000)] - per[("generate_only", 1000000)] if per[("generate_only", 1000000)] and per[("generate_and_sweep", 1000000)] else None),
    ("generation alone", per[("generate_only", 10000)], per[("generate_only", 1000000)]),
):
    ratio = b / a if a and b else None
    met = "—" if ratio is None or label == "generation alone" else ("yes" if ratio <= 1.3 else "**no**")
    target = "(information)" if label == "generation alone" else "≤ 1.3×"
    r = "—" if ratio is None else f"{ratio:.2f}"
    print(f"| {label} | {fmt(a)} | {fmt(b)} | {r} | {target} | {met} |")
print()
print("| transfer | package | raw package | import | raw import | ratio (raw / custodia, package + import) | target | met |")
print("|---|---|---|---|---|---|---|---|")
for n in (10000, 100000):
    for size in ("256B", "4KiB"):
        g = f"transfer_{size}"
        p, rp, i, ri = (median(g, f"{f}/{n}") for f in ("package", "raw_package", "import", "raw_import"))
        ratio = (rp + ri) / (p + i) if all((p, rp, i, ri)) else None
        met = "—" if ratio is None else ("yes" if ratio >= 0.6 else "**no**")
        print(f"| {n:,} customers × {size} | {fmt(p)} | {fmt(rp)} | {fmt(i)} | {fmt(ri)} | "
              + (f"{ratio:.2f}" if ratio else "—") + f" | ≥ 0.6 | {met} |")
print()
m = median("synthetic_book", "stream/10000")
if m:
    print(f"| synthetic book | per customer {fmt(m / 10000)} | a million customers ≈ {m * 100 / 1e9:.2f} s | target: seconds |")
