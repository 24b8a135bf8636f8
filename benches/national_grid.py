#!/usr/bin/env python3
"""Writes a national-scale synthetic grid CSV for the large-data benchmark.

500 000 populated 250 m cells (about Sweden's number) in clusters spread over
SWEREF 99 TM's extent of Sweden, with realistic gaps and suppressed values.
Deterministic: the same seed gives the same file.

usage: national_grid.py OUT.csv [CELLS]
"""
import random
import sys

out = sys.argv[1]
target = int(sys.argv[2]) if len(sys.argv) > 2 else 500_000
rng = random.Random(20261122)
cells = set()
# Towns: cluster centres over Sweden's extent (E 270 000–920 000, N 6 130 000–7 670 000).
while len(cells) < target:
    cx = rng.uniform(270_000, 920_000)
    cy = rng.uniform(6_130_000, 7_670_000)
    size = int(rng.paretovariate(1.2) * 60)
    for _ in range(min(size, 20_000)):
        x = int((cx + rng.gauss(0, 1500)) // 250 * 250)
        y = int((cy + rng.gauss(0, 1500)) // 250 * 250)
        cells.add((x, y))
        if len(cells) >= target:
            break
with open(out, "w") as f:
    f.write("cell_id,population,income,low_education,employment_rate,foreign_background,"
            "overcrowding,single_parents,age_0_15,age_16_19\n")
    for x, y in sorted(cells):
        pop = int(rng.expovariate(1 / 60)) + 3
        vals = [
            str(max(50_000, int(rng.gauss(260_000, 60_000) // 100 * 100))) if pop >= 50 or rng.random() > 0.3 else "",
            f"{rng.betavariate(2, 10):.3f}",
            f"{rng.betavariate(8, 3):.3f}",
            f"{rng.betavariate(2, 6):.3f}" if rng.random() > 0.05 else "",
            f"{rng.betavariate(1, 12):.3f}",
            f"{rng.betavariate(2, 10):.3f}",
            str(int(pop * rng.uniform(0.05, 0.3))),
            str(int(pop * rng.uniform(0.02, 0.08))),
        ]
        f.write(f"{x:06d}{y:07d},{pop}," + ",".join(vals) + "\n")
