#!/usr/bin/env python3
"""The whole national run, one command: `python3 benches/national_run.py [WORK]`.

The national job of benches/national_bench.py (500 000 cells, 6 000 areas,
20 000 towers, RECORDS connection records, default 50 M, of 200 000 phones
over a week, 200 000 events) run as one `stratmap run` with the default
formats (GeoJSON, CSV, GeoPackage, GeoTIFF, HTML viewer, PNG), RUNS times
(default 3); STRATMAP=path runs another build instead (an earlier
commit's binary, for a before/after in the same session). Prints the wall time and peak resident memory (maxrss from
wait4) of each run, and each step's time from the run's own summary.json
(`timings_s`), as a Markdown table (also written to WORK/run-results.md).

Baseline in the same run: `stratmap validate` of the same grid (reading and
checking it, the least a run does with it), so the figures read as ratios
on any machine.
"""
import json
import os
import statistics
import sys
from pathlib import Path

import measuring  # noqa: E402 (beside this script)
from measuring import measure

root = Path(__file__).resolve().parent.parent
work = Path(sys.argv[1]) if len(sys.argv) > 1 else root / "target/national-bench"
RECORDS = int(os.environ.get("RECORDS", 50_000_000))
RUNS = int(os.environ.get("RUNS", 3))

tools = measuring.footprint_tools(root)
# STRATMAP=path: another build (an earlier commit's, as the baseline) on the same data
bin_ = Path(os.environ.get("STRATMAP", tools / "stratmap"))
data = measuring.national_data(root, work, RECORDS)
config = work / "national-run.toml"
config.write_text(
    "[inputs]\n"
    + "".join(f'{k} = "{data[k]}"\n' for k in ["grid", "areas", "towers", "records", "events"])
    + '\n[grid]\ncrs = "EPSG:3006"\ncell_size = 250\n'
)
out = work / "run"

validate = []
runs = []
for _ in range(RUNS):
    validate.append(measure([bin_, "--quiet", "validate", data["grid"]]))
    wall, mem = measure([bin_, "--quiet", "run", config, "--out", out])
    steps = json.loads((out / "summary.json").read_text())["timings_s"]
    runs.append((wall, mem, steps))

med = lambda xs: statistics.median(xs)  # noqa: E731
base = med([w for w, _ in validate])
lines = [
    f"{RECORDS / 1e6:g} M records, median of {RUNS} runs "
    f"(each: {', '.join(f'{w:.2f} s / {m:.0f} MB' for w, m, _ in runs)})",
    "",
    "| step | wall | share of the run |",
    "|---|---:|---:|",
]
total = med([w for w, _, _ in runs])
for step in runs[0][2]:
    t = med([s[step] for _, _, s in runs])
    lines.append(f"| {step} | {t:.2f} s | {100 * t / total:.0f} % |")
lines += [
    f"| **whole run** (wall, peak {max(m for _, m, _ in runs):.0f} MB) | **{total:.2f} s** | 100 % |",
    f"| baseline: `stratmap validate` of the grid ({max(m for _, m in validate):.0f} MB) | {base:.2f} s | "
    f"run / baseline {total / base:.2f} |",
]
text = "\n".join(lines)
(work / "run-results.md").write_text(text + "\n")
print(text)
