#!/usr/bin/env python3
"""The large footprint benchmark, one command: `python3 benches/footprint_bench.py`.

Generates 20 000 towers, 6 000 areas and 10 M records of 200 000 phones over
a week (benches/src/bin/make-footprint-data.rs, deterministic), then measures
wall time and peak memory (the child's maxrss, from wait4) of:

- `stratmap footprint` on all records, and on the first 2.5 M (the same
  phones and days, so memory should not grow with the records);
- `stratmap footprint` and the geopandas + shapely peer
  (benches/footprint_peer.py) on the same slice of 1 M records, in the same
  run, as a ratio; and how far the peer's buffered discs put each area's
  footprint from stratmap's exact discs.

Writes a markdown table to WORK/results.md and prints it.

usage: footprint_bench.py [WORK] [RECORDS] [SLICE]
"""
import csv
import json
import subprocess
import sys
from pathlib import Path

import measuring  # noqa: E402 (beside this script)
from measuring import measure

root = Path(__file__).resolve().parent.parent
work = Path(sys.argv[1]) if len(sys.argv) > 1 else root / "target/footprint-bench"
n_records = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000_000
n_slice = int(sys.argv[3]) if len(sys.argv) > 3 else 1_000_000
work.mkdir(parents=True, exist_ok=True)

binary = measuring.footprint_tools(root) / "stratmap"
records = work / "records.csv"
if not records.exists() or sum(1 for _ in open(records)) != n_records + 1:
    subprocess.run([root / "target/release/make-footprint-data", work, str(n_records)], check=True)


def head(n):
    return measuring.head(records, n, work / f"records-{n}.csv")


def stratmap(recs, out):
    return measure([binary, "--quiet", "footprint", "--areas", work / "areas.geojson",
                    "--towers", work / "towers.csv", "--records", recs,
                    "--min-phones", "0", "--out", work / out])


rows = []
quarter = head(n_records // 4)
sl = head(n_slice)
for label, recs, n, out in [
    (f"stratmap, {n_records / 1e6:g} M records", records, n_records, "out-all"),
    (f"stratmap, {n_records / 4e6:g} M records", quarter, n_records // 4, "out-quarter"),
    (f"stratmap, {n_slice / 1e6:g} M records (the slice)", sl, n_slice, "out-slice"),
]:
    wall, mem = stratmap(recs, out)
    total = next(r for r in csv.DictReader(open(work / out / "footprint_by_category.csv")) if r["category"] == "total")
    rows.append((label, n, wall, mem, int(float(total["footprint"]))))
wall, mem = measure([sys.executable, root / "benches/footprint_peer.py", work / "areas.geojson",
                     work / "towers.csv", sl, work / "peer.csv"])
rows.append((f"geopandas + shapely, {n_slice / 1e6:g} M records (the slice)", n_slice, wall, mem, rows[2][4]))

# accuracy: the peer's buffered discs against stratmap's exact ones, per area
layer = json.loads((work / "out-slice/footprint.geojson").read_text())
exact = {f["properties"]["name"]: f["properties"] for f in layer["features"]}
peer = {r["name"]: r for r in csv.DictReader(open(work / "peer.csv"))}
rel = []
grazed = []  # areas the peer's polygonal discs miss phones of
for name, p in exact.items():
    if p["footprint"] and p["footprint"] > 0:
        q = float(peer[name]["footprint"]) if name in peer else 0.0
        rel.append(abs(q - p["footprint"]) / p["footprint"])
        if name not in peer or int(peer[name]["unique_phones"]) != p["unique_phones"]:
            grazed.append(name)
rel.sort()
total_exact = sum(p["footprint"] or 0 for p in exact.values())
total_peer = sum(float(r["footprint"]) for r in peer.values())

base = rows[2][2]
lines = ["| run | records | phone-days | wall | records/s | peak memory | time vs stratmap on the slice |",
         "|---|---:|---:|---:|---:|---:|---:|"]
for label, n, wall, mem, days in rows:
    lines.append(f"| {label} | {n:,} | {days:,} | {wall:.2f} s | {n / wall / 1e6:.2f} M | {mem:.0f} MB | {wall / base:.2f} |")
lines.append("")
lines.append(f"Peer's buffered discs against exact discs, per-area footprint on the slice "
             f"({len(rel)} areas): median relative difference {rel[len(rel) // 2]:.2e}, "
             f"max {rel[-1]:.2e}; all areas together {(total_peer - total_exact) / total_exact:+.2e}. "
             f"In {len(grazed)} areas the peer counts fewer unique phones: its 64-gon discs miss "
             f"areas that a disc only grazes (up to {500 * (1 - __import__('math').cos(__import__('math').pi / 64)):.2f} m deep).")
text = "\n".join(lines)
(work / "results.md").write_text(text + "\n")
print(text)
