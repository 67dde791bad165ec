#!/usr/bin/env python3
"""Prints the BENCHMARKS.md tables from the last run's criterion estimates and paired ratios.

Usage: python3 benches/summarize.py [CRITERION_DIR]   (default: $CARGO_TARGET_DIR/criterion or target/criterion)

Figures are criterion's medians per iteration. "ratio of medians" divides criterion's two medians, which were
measured one after the other; "paired" is the median of per-round ratios from `support::paired`, where both
sides alternate in batches of milliseconds, and is what the "met" column judges. Ratios are baseline / custodia
where the target is a share of the baseline's speed (higher is better), and big / small where it is growth.
"""
import json
import os
import sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "criterion")

paired = {}
try:
    with open(os.path.join(root, "paired.jsonl")) as f:
        for line in f:
            p = json.loads(line)
            if not p.get("smoke"):
                paired[p["name"]] = p
except FileNotFoundError:
    pass


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


def r2(x):
    return "—" if x is None else f"{x:.2f}"


def verdict(value, limit, higher_is_better=True):
    if value is None or limit is None:
        return "—"
    ok = value >= limit if higher_is_better else value <= limit
    return "yes" if ok else "**no**"


def share_row(what, group, ours, base, pname, limit, target=None):
    a, b = median(group, ours), median(group, base)
    ratio = b / a if a and b else None
    p = paired.get(pname, {}).get("ratio")
    target = target or (f"≥ {limit}" if limit else "(information)")
    print(f"| {what} | {fmt(a)} | {fmt(b)} | {r2(ratio)} | {r2(p)} | {target} | {verdict(p, limit)} |")


print("| what | custodia median | baseline median | ratio of medians | paired ratio | target | met |")
print("|---|---|---|---|---|---|---|")
for op in ("seal", "open"):
    for size, limit in (("256B", 0.7), ("4KiB", 0.9)):
        g = f"{op}_{size}"
        share_row(f"{op} {size.replace('B', ' B').replace('Ki B', ' KiB')}, key setup included", g, "custodia", "raw_ring", g, limit)
share_row("wrap a DEK", "wrap_dek", "custodia", "raw_ring", "wrap_dek", 0.7)
share_row("unwrap a DEK (vs raw open of 32 B)", "unwrap_dek", "custodia", "raw_ring", "unwrap_dek", 0.7)
share_row("unwrap a DEK (vs raw open + AES key schedule)", "unwrap_dek", "custodia", "raw_ring_with_key_schedule",
          "unwrap_dek_vs_key_schedule", None, "(proposed ≥ 0.7)")
share_row("blind index of an identity number", "blind_index", "custodia", "raw_hmac_sha256", "blind_index", 0.8)
share_row("ledger append in memory, batches of 1,000 × 200 B", "ledger_append_memory", "custodia", "raw_sha256",
          "ledger_append_memory", 0.4)
for name, batch in (("full", 1000), ("normal", 1000), ("full", 1), ("full", 16), ("full", 256)):
    main = name == "full" and batch == 1000
    share_row(f"ledger append to SQLite, synchronous={name.upper()}, batches of {batch:,} × 200 B",
              f"ledger_append_sqlite_{name}", f"custodia/{batch}", f"raw_rusqlite/{batch}",
              f"ledger_append_sqlite_{name}_{batch}", 0.7 if main else None)


def growth(pname):
    p = paired.get(pname, {}).get("ratio")
    return 1 / p if p else None


print()
print("| proof, at the current size | 10³ | 10⁴ | 10⁵ | 10⁶ | ratio of medians 10⁶ / 10³ | paired 10⁶ / 10³ | target | met |")
print("|---|---|---|---|---|---|---|---|---|")
for p in ("inclusion_proof", "consistency_proof"):
    ms = [median(p, str(n)) for n in (1000, 10000, 100000, 1000000)]
    ratio = ms[3] / ms[0] if ms[0] and ms[3] else None
    g = growth(f"{p}_growth")
    print(f"| {p.replace('_', ' ')} | " + " | ".join(fmt(m) for m in ms)
          + f" | {r2(ratio)} | {r2(g)} | ≤ 2× | {verdict(g, 2, False)} |")
print()
print("| permits question | 10⁵ customers | 10⁶ customers | ratio of medians 10⁶ / 10⁵ | paired 10⁶ / 10⁵ | target | met |")
print("|---|---|---|---|---|---|---|")
for q in ("consent_marketing", "consent_sensitive", "consent_cross_border", "contract_basis", "baseline_hashmap_lookup"):
    g = f"permits_{q}"
    a, b = median(g, "100000"), median(g, "1000000")
    ratio = b / a if a and b else None
    gr = growth(f"permits_{q}_growth")
    if q == "baseline_hashmap_lookup":
        target, met = "(reference: cache misses alone)", "—"
    else:
        target = "µs; flat"
        met = "—" if b is None or gr is None else ("yes" if b < 10_000 and gr <= 1.5 else "**no**")
    print(f"| {q.replace('_', ' ')} | {fmt(a)} | {fmt(b)} | {r2(ratio)} | {r2(gr)} | {target} | {met} |")
print()
print("| retention sweep, per customer | 10⁴ customers | 10⁶ customers | ratio of medians 10⁶ / 10⁴ | paired 10⁶ / 10⁴ | target | met |")
print("|---|---|---|---|---|---|---|")
per = {}
for f in ("generate_only", "generate_and_sweep"):
    for n in (10000, 1000000):
        m = median("retention_sweep", f"{f}/{n}")
        per[(f, n)] = m / n if m else None


def diff(n):
    a, b = per[("generate_and_sweep", n)], per[("generate_only", n)]
    return a - b if a and b else None


g = growth("retention_sweep_growth")
for label, a, b, pg, target in (
    ("generate and sweep", per[("generate_and_sweep", 10000)], per[("generate_and_sweep", 1000000)], g, "≤ 1.3×"),
    ("sweep alone (difference of the two)", diff(10000), diff(1000000), None, "≤ 1.3×"),
    ("generation alone", per[("generate_only", 10000)], per[("generate_only", 1000000)], None, "(information)"),
):
    ratio = b / a if a and b else None
    judged = pg if pg is not None else ratio
    met = "—" if target.startswith("(") else verdict(judged, 1.3, False)
    print(f"| {label} | {fmt(a)} | {fmt(b)} | {r2(ratio)} | {r2(pg)} | {target} | {met} |")
print()
print("| transfer | package | raw package | import | raw import | ratio of medians (raw / custodia, package + import) | paired | target | met |")
print("|---|---|---|---|---|---|---|---|---|")
for n in (10000, 100000):
    for size in ("256B", "4KiB"):
        g = f"transfer_{size}"
        p, rp, i, ri = (median(g, f"{f}/{n}") for f in ("package", "raw_package", "import", "raw_import"))
        ratio = (rp + ri) / (p + i) if all((p, rp, i, ri)) else None
        pr = paired.get(f"transfer_{size}_{n}", {}).get("ratio")
        print(f"| {n:,} customers × {size.replace('B', ' B').replace('Ki B', ' KiB')} | {fmt(p)} | {fmt(rp)} | {fmt(i)} | {fmt(ri)} | "
              f"{r2(ratio)} | {r2(pr)} | ≥ 0.6 | {verdict(pr, 0.6)} |")
print()
m = median("synthetic_book", "stream/10000")
print("| synthetic book | per customer (median of batches of 10⁴) | a million customers at that rate | target | met |")
print("|---|---|---|---|---|")
if m:
    print(f"| `SyntheticBook::stream` | {fmt(m / 10000)} | {m * 100 / 1e9:.1f} s | seconds | {'yes' if m * 100 / 1e9 < 60 else '**no**'} |")
