#!/usr/bin/env python3
"""Memory of the footprint on many phones, one command:
`python3 benches/footprint_memory.py [WORK] [RECORDS] [PHONES] [BUDGET]`.

Generates 20 000 towers, 6 000 areas and RECORDS records (default 30 M) of
PHONES phones (default 6 M) over a week, RFC 3339 with offsets across the
end of summer time, twice: in no order and in time order (the same records,
`make-footprint-data … --by-time`). Then measures, in the same run, wall
time and peak memory (the child's maxrss, from wait4) of `stratmap
footprint`:

- on the records in no order (the baseline);
- on the records in time order, without and with `--sorted-by-time`;
- on the records in no order with `--memory BUDGET` (default 256M).

Every run must write the same bytes (it stops otherwise). Writes a markdown
table to WORK/memory.md and prints it.
"""
import subprocess
import sys
from pathlib import Path

import measuring  # noqa: E402 (beside this script)
from measuring import measure

root = Path(__file__).resolve().parent.parent
work = Path(sys.argv[1]) if len(sys.argv) > 1 else root / "target/footprint-memory"
n_records = int(sys.argv[2]) if len(sys.argv) > 2 else 30_000_000
n_phones = int(sys.argv[3]) if len(sys.argv) > 3 else 6_000_000
budget = sys.argv[4] if len(sys.argv) > 4 else "256M"
work.mkdir(parents=True, exist_ok=True)

tools = measuring.footprint_tools(root)
if not (work / "records-by-time.csv").exists():
    subprocess.run([tools / "make-footprint-data", work, str(n_records), "6000", "20000",
                    str(n_phones), "rfc3339", "--by-time"], check=True)

runs = [
    ("records in no order (baseline)", "records.csv", []),
    ("records in time order", "records-by-time.csv", []),
    ("records in time order, `--sorted-by-time`", "records-by-time.csv", ["--sorted-by-time"]),
    (f"records in no order, `--memory {budget}`", "records.csv", ["--memory", budget]),
]
rows = []
outputs = None
for k, (label, recs, flags) in enumerate(runs):
    out = work / f"out{k}"
    wall, mem = measure([tools / "stratmap", "--quiet", "footprint", "--areas", work / "areas.geojson",
                         "--towers", work / "towers.csv", "--records", work / recs,
                         "--min-phones", "0", *flags, "--out", out])
    got = [(out / f).read_bytes() for f in ("footprint.geojson", "footprint_by_category.csv")]
    if outputs is None:
        outputs = got
    elif got != outputs:
        sys.exit(f"{label}: the outputs differ from the baseline's")
    rows.append((label, wall, mem))

base_wall, base_mem = rows[0][1], rows[0][2]
lines = [f"| run ({n_records / 1e6:g} M records of {n_phones / 1e6:g} M phones) | wall | peak RSS | wall ÷ baseline | RSS ÷ baseline |",
         "|---|---:|---:|---:|---:|"]
for label, wall, mem in rows:
    lines.append(f"| {label} | {wall:.1f} s | {mem:,.0f} MB | {wall / base_wall:.2f} | {mem / base_mem:.2f} |")
lines.append("")
lines.append("All runs wrote the same bytes.")
text = "\n".join(lines)
(work / "memory.md").write_text(text + "\n")
print(text)
