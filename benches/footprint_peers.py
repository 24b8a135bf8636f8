#!/usr/bin/env python3
"""stratmap's footprint against DuckDB and Polars on the same records, in
one run: `python3 benches/footprint_peers.py [WORK] [RECORDS] [PHONES]`.

Generates 20 000 towers, 6 000 areas and RECORDS records (default 10 M) of
PHONES phones (default 2 M) over a week across the end of summer time, with
RFC 3339 timestamps (benches/src/bin/make-footprint-data.rs, deterministic),
and stratmap's exact tower → area weight table (`--weights-out`, the peers'
input, not timed). Then it times, median of 3 runs each, with peak memory:
`stratmap footprint` and the same job on DuckDB and on Polars
(benches/peer_sql.py), each on 2 threads and reading the CSV itself. It
checks that every area's footprint, phone_days and unique_phones agree (to
1e-9 relative) and prints the table with each peer's time as a ratio to
stratmap's. Writes WORK/peers.md. Needs `pip install duckdb polars`.
"""
import csv
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import measuring  # noqa: E402 (beside this script)
from measuring import measure

root = Path(__file__).resolve().parent.parent
work = Path(sys.argv[1]) if len(sys.argv) > 1 else root / "target/footprint-peers"
n_records = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000_000
n_phones = int(sys.argv[3]) if len(sys.argv) > 3 else 2_000_000
threads = "2"
tz = "Europe/Stockholm"
work.mkdir(parents=True, exist_ok=True)

binary = measuring.footprint_tools(root) / "stratmap"
records = work / "records.csv"
stamp = work / "made.txt"
want = f"{n_records} {n_phones} rfc3339"
if not stamp.exists() or stamp.read_text() != want:
    subprocess.run([root / "target/release/make-footprint-data", work, str(n_records), "6000", "20000",
                    str(n_phones), "rfc3339"], check=True)
    stamp.write_text(want)
areas, towers, weights = work / "areas.geojson", work / "towers.csv", work / "weights.csv"
# the weight table (and a first, untimed run that warms the page cache)
subprocess.run([binary, "--quiet", "footprint", "--areas", areas, "--towers", towers, "--records", records,
                "--min-phones", "0", "--weights-out", weights, "--out", work / "out-stratmap"],
               check=True, stdout=subprocess.DEVNULL, env={"RAYON_NUM_THREADS": threads, "PATH": "/usr/bin:/bin"})

runs = {
    "stratmap footprint": [binary, "--quiet", "footprint", "--areas", areas, "--towers", towers,
                           "--records", records, "--min-phones", "0", "--out", work / "out-stratmap"],
    "DuckDB (SQL of docs/scale.md, local day by ICU)": [sys.executable, root / "benches/peer_sql.py", "duckdb",
                                                        records, towers, weights, tz, threads, work / "duckdb.csv"],
    "Polars (lazy, same job)": [sys.executable, root / "benches/peer_sql.py", "polars",
                                records, towers, weights, tz, threads, work / "polars.csv"],
}
os.environ["RAYON_NUM_THREADS"] = threads
times = {}
for label, args in runs.items():
    got = [measure(args) for _ in range(3)]
    times[label] = (statistics.median(w for w, _ in got), max(m for _, m in got))

# agreement, area by area
layer = json.loads((work / "out-stratmap/footprint.geojson").read_text())
ours = {f["properties"]["name"]: f["properties"] for f in layer["features"]}
agree = {}
for peer, f in [("DuckDB", "duckdb.csv"), ("Polars", "polars.csv")]:
    theirs = {r["area"]: r for r in csv.DictReader(open(work / f))}
    bad = 0
    for name, p in ours.items():
        t = theirs.get(name)
        if t is None:
            bad += p["phone_days"] != 0
            continue
        fp = float(t["footprint"])
        if (abs(fp - p["footprint"]) > 1e-9 * max(1.0, abs(p["footprint"]))
                or int(t["phone_days"]) != p["phone_days"] or int(t["unique_phones"]) != p["unique_phones"]):
            bad += 1
    bad += sum(1 for name in theirs if name not in ours)
    agree[peer] = bad

base = times["stratmap footprint"][0]
lines = [f"{n_records:,} records of {n_phones:,} phones (RFC 3339 across the end of summer time), "
         f"20 000 towers, 6 000 areas, {threads} threads each, median of 3:", "",
         "| contender | wall | records/s | peak RSS | time ÷ stratmap's |", "|---|---:|---:|---:|---:|"]
for label, (wall, mem) in times.items():
    lines.append(f"| {label} | {wall:.2f} s | {n_records / wall / 1e6:.2f} M | {mem:.0f} MB | {wall / base:.2f} |")
lines.append("")
lines.append("Areas that disagree with stratmap (footprint to 1e-9 relative, phone_days, unique_phones): "
             + ", ".join(f"{k} {v}" for k, v in agree.items()) + f" of {len(ours)}.")
text = "\n".join(lines)
(work / "peers.md").write_text(text + "\n")
print(text)
sys.exit(1 if any(agree.values()) else 0)
