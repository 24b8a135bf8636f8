#!/usr/bin/env python3
"""Cross-checks stratmap's youth groups with an independent implementation.

Groups cells with age_0_15 + age_16_19 >= 20 by 8-neighbour contiguity
(union-find), drops groups under 50, orders them by youth (largest first),
and compares group sizes, totals and radii (500 m * sqrt(youth / largest))
with the GeoJSON layer stratmap wrote. Exits 1 on any disagreement.

usage: crosscheck_youth.py GRID.csv LAYER.geojson [CELL_SIZE]
"""
import csv
import json
import math
import sys

MIN_CELL, MIN_GROUP, MAX_RADIUS = 20, 50, 500.0

grid_path, layer_path = sys.argv[1], sys.argv[2]
size = int(sys.argv[3]) if len(sys.argv) > 3 else 250

cells = {}
with open(grid_path, newline="", encoding="utf-8") as f:
    for r in csv.DictReader(f):
        a, b = r["age_0_15"], r["age_16_19"]
        if a == "" and b == "":
            continue
        a, b = float(a or 0), float(b or 0)
        if a + b >= MIN_CELL:
            cid = r["cell_id"]
            cells[(int(cid[:6]) // size, int(cid[6:]) // size)] = (a, b)

parent = {c: c for c in cells}


def find(c):
    while parent[c] != c:
        parent[c] = parent[parent[c]]
        c = parent[c]
    return c


for (col, row) in cells:
    for dc in (-1, 0, 1):
        for dr in (-1, 0, 1):
            n = (col + dc, row + dr)
            if n in cells:
                parent[find(n)] = find((col, row))

groups = {}
for c, (a, b) in cells.items():
    g = groups.setdefault(find(c), [0, 0.0, 0.0])
    g[0] += 1
    g[1] += a
    g[2] += b
want = sorted(([n, a, b, a + b] for n, a, b in groups.values() if a + b >= MIN_GROUP),
              key=lambda g: -g[3])
largest = want[0][3] if want else 0

with open(layer_path, encoding="utf-8") as f:
    got = [ft["properties"] for ft in json.load(f)["features"]]

problems = []
if len(got) != len(want):
    problems.append(f"{len(got)} groups in the layer, {len(want)} by this check")
for i, (p, (n, a, b, y)) in enumerate(zip(got, want), start=1):
    radius = MAX_RADIUS * math.sqrt(y / largest)
    if p["group_id"] != i or p["cells"] != n or p["age_0_15"] != a or p["age_16_19"] != b or p["youth"] != y \
            or abs(p["radius_m"] - radius) > 1e-9:
        problems.append(f"group {i}: layer {p}, this check cells={n} youth={y} radius_m={radius}")
for p in problems:
    print(p)
print(f"youth cross-check: {len(want)} groups from {len(cells)} cells, {len(problems)} disagreements")
sys.exit(1 if problems else 0)
