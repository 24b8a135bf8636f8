#!/usr/bin/env python3
"""Cross-checks stratmap's living-conditions index against numpy.

Recomputes the index of SPEC §4.1 from a grid CSV with numpy (nanmean,
nanstd with ddof=0, percentile with its default linear method) and compares
it with the GeoJSON layer stratmap wrote: status and class exactly, scores
and index to 1e-9. Exits 1 on any disagreement.

usage: crosscheck_index.py GRID.csv LAYER.geojson
"""
import csv
import json
import sys
import warnings

import numpy as np

VARS = ["income", "low_education", "employment_rate", "foreign_background",
        "overcrowding", "single_parents", "age_0_15", "age_16_19"]
SIGN = np.array([-1, 1, -1, 1, 1, 1, 1, 1], dtype=float)
GROUPS = [[0, 1, 2], [3, 4], [5, 6, 7]]
MIN_POPULATION = 20


def num(s):
    return float(s) if s != "" else np.nan


grid_path, layer_path = sys.argv[1], sys.argv[2]
with open(grid_path, newline="", encoding="utf-8") as f:
    rows = list(csv.DictReader(f))
ids = [r["cell_id"] for r in rows]
pop = np.array([num(r["population"]) for r in rows])
x = np.array([[num(r[v]) for v in VARS] for r in rows]) * SIGN

has_group = np.column_stack([~np.all(np.isnan(x[:, g]), axis=1) for g in GROUPS])
low_pop = ~(pop >= MIN_POPULATION)
valid = ~low_pop & has_group.all(axis=1)

mean = np.nanmean(x[valid], axis=0)
sd = np.nanstd(x[valid], axis=0)  # population sd
z = np.where(sd > 0, (x - mean) / np.where(sd > 0, sd, 1), 0.0)
z[np.isnan(x)] = np.nan
with warnings.catch_warnings():  # cells with an empty group are not valid anyway
    warnings.simplefilter("ignore", RuntimeWarning)
    scores = np.column_stack([np.nanmean(z[:, g], axis=1) for g in GROUPS])
index = scores.mean(axis=1)
breaks = np.percentile(index[valid], [20, 40, 60, 80])
klass = np.searchsorted(breaks, index, side="left") + 1  # breaks strictly below, plus 1

with open(layer_path, encoding="utf-8") as f:
    features = {ft["properties"]["cell_id"]: ft["properties"] for ft in json.load(f)["features"]}

problems = []
for i, cid in enumerate(ids):
    p = features.get(cid)
    if p is None:
        problems.append(f"{cid}: missing from the layer")
        continue
    want = "ok" if valid[i] else ("low_population" if low_pop[i] else "incomplete")
    if p["status"] != want:
        problems.append(f"{cid}: status {p['status']}, numpy says {want}")
        continue
    if not valid[i]:
        continue
    for name, w in zip(["econ_score", "segregation_score", "family_score", "index"],
                       [*scores[i], index[i]]):
        if abs(p[name] - w) > 1e-9:
            problems.append(f"{cid}: {name} {p[name]!r}, numpy says {w!r}")
    if p["class"] != int(klass[i]):
        problems.append(f"{cid}: class {p['class']}, numpy says {klass[i]} (index {index[i]!r}, breaks {breaks})")

if len(features) != len(ids):
    problems.append(f"layer has {len(features)} features, grid has {len(ids)} cells")
for p in problems[:20]:
    print(p)
print(f"index cross-check against numpy {np.__version__}: {len(ids)} cells, {int(valid.sum())} valid, "
      f"breaks {np.round(breaks, 6).tolist()}, {len(problems)} disagreements")
sys.exit(1 if problems else 0)
