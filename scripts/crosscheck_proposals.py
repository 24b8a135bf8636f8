#!/usr/bin/env python3
"""Cross-checks `stratmap candidates` (candidate areas and concordance.csv)
and `stratmap lisa` with independent implementations on a town it has
never seen.

Makes a random town (seeded): a grid of 250 m cells with deprived pockets
of several shapes (one a ring with a hole, two meeting only at a corner),
thin and suppressed cells and one cell far from the rest (an island for
local Moran's I); police areas in four categories (WGS 84; two overlap, one
pocket is left unassessed); events in clusters. Then compares:

- candidate areas with a union-find written here over the cells of class ≥ 5
  (the classes as `stratmap index` gives them), eight- and four-neighbour:
  the cells of each, population, youth, mean and max index, the polygon's
  area (= cells × 62 500 m²) and shape (shapely: valid, and equal to the
  union of the cells' squares), overlap_pct with shapely (population times
  cell ∩ union of the areas), overlaps and status;
- concordance.csv with scikit-learn's roc_auc_score (to 1e-9) and the
  population shares;
- local Moran's I of the index, of a grid column and of event counts with
  PySAL esda's Moran_Local (libpysal DistanceBand 500, binary, row-
  standardised): lisa_i to 1e-9, the scatterplot quadrants exactly, and the
  pseudo p-values against esda's within permutation noise; the FDR
  quadrants against Benjamini–Hochberg written here; byte-identical layers
  on one and two threads and for the same seed.

Exits 1 on any disagreement.

usage: crosscheck_proposals.py STRATMAP_BINARY WORK_DIR
"""
import csv
import json
import math
import os
import random
import subprocess
import sys
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from shapely.geometry import Point, box

warnings.filterwarnings("ignore")
import esda  # noqa: E402
import libpysal  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

binary, work = sys.argv[1], Path(sys.argv[2])
work.mkdir(parents=True, exist_ok=True)
rng = random.Random(1414)
S = 250
X0, Y0 = 512_000, 6_402_000  # not the sample town
COLS, ROWS = 34, 28
to_ll = pyproj.Transformer.from_crs(3006, 4326, always_xy=True)
failures = []


def run(*args, env=None):
    subprocess.run([binary, "--quiet", *map(str, args)], check=True, stdout=subprocess.DEVNULL, env=env)


def cid(x, y):
    return f"{x:06d}{y:07d}"


# --- the town -------------------------------------------------------------
# deprivation 0 (well off) to 1 (deprived), in cell units
pockets = [(6, 6, 2.2), (25, 20, 1.6), (12, 21, 1.3), (27, 6, 1.1)]
ring_centre = (17, 12)  # a ring of deprived cells around a better-off middle
cross = {(4, 16), (5, 17)}  # two deprived cells meeting at a corner, among better ones
cells = {}
for c in range(COLS):
    for r in range(ROWS):
        if rng.random() < 0.08 and (c, r) not in cross:
            continue
        d = max(math.exp(-((c - pc) ** 2 + (r - pr) ** 2) / (2 * s * s)) for pc, pr, s in pockets)
        ring = abs(math.hypot(c - ring_centre[0], r - ring_centre[1]) - 2.2) < 0.75
        if ring:
            d = max(d, 0.95)
        if (c, r) in cross:
            d = 1.0
        d = min(1.0, max(0.0, d + rng.gauss(0, 0.05)))
        pop = rng.choice([8, 15, 40, 90, 160, 250, 400]) if rng.random() > 0.05 else ""
        if (c, r) in cross:
            pop = 300
        vals = {
            "income": round(320_000 - 170_000 * d + rng.gauss(0, 8000), -2),
            "low_education": 0.08 + 0.30 * d + rng.gauss(0, 0.02),
            "employment_rate": 0.85 - 0.35 * d + rng.gauss(0, 0.02),
            "foreign_background": 0.15 + 0.6 * d + rng.gauss(0, 0.03),
            "overcrowding": 0.03 + 0.32 * d + rng.gauss(0, 0.02),
            "single_parents": 0.10 + 0.22 * d + rng.gauss(0, 0.02),
        }
        for k in ("low_education", "employment_rate", "foreign_background", "overcrowding", "single_parents"):
            vals[k] = min(1.0, max(0.0, vals[k]))
        if rng.random() < 0.03:
            vals["income"] = ""
        p = pop if pop != "" else 0
        cells[(X0 + c * S, Y0 + r * S)] = dict(population=pop, **vals,
                                             age_0_15=round(p * (0.12 + 0.15 * d)), age_16_19=round(p * 0.05))
# an island: 3 km east of the grid
cells[(X0 + (COLS + 12) * S, Y0 + 5 * S)] = dict(population=120, income=200_000, low_education=0.2,
                                                 employment_rate=0.7, foreign_background=0.4, overcrowding=0.1,
                                                 single_parents=0.2, age_0_15=20, age_16_19=6)
COLUMNS = ["population", "income", "low_education", "employment_rate", "foreign_background", "overcrowding",
           "single_parents", "age_0_15", "age_16_19"]
with open(work / "grid.csv", "w") as f:
    f.write("cell_id," + ",".join(COLUMNS) + "\n")
    for (x, y), v in sorted(cells.items()):
        f.write(cid(x, y) + "," + ",".join(
            (f"{v[k]:.4f}" if isinstance(v[k], float) and k != "income" else str(v[k])) for k in COLUMNS) + "\n")


def ll_ring(pts):
    return [[round(v, 7) for v in to_ll.transform(x, y)] for x, y in pts + pts[:1]]


def star(cx, cy, rmin, rmax, n):
    return [(cx + rng.uniform(rmin, rmax) * math.cos(2 * math.pi * (i + 0.3 * rng.random()) / n),
             cy + rng.uniform(rmin, rmax) * math.sin(2 * math.pi * (i + 0.3 * rng.random()) / n)) for i in range(n)]


def at(c, r):
    return X0 + c * S + 125, Y0 + r * S + 125


areas = [
    ("Backen", "SUO", [star(*at(6, 6), 400, 800, 9)]),
    ("Dungen", "UO", [star(*at(8, 8), 250, 500, 7)]),  # overlaps Backen
    ("Ringen", "RO", [star(*at(17, 12), 500, 700, 11)]),
    ("Torget", "reported", [star(*at(12, 21), 200, 450, 8)]),
    ("Villorna", "reported", [star(*at(20, 3), 300, 700, 8)]),  # a better-off place
]  # the pocket at (25, 20) and the one at (27, 6) are not assessed
feats = [{"type": "Feature", "properties": {"name": n, "category": c},
          "geometry": {"type": "Polygon", "coordinates": [ll_ring(r) for r in rings]}} for n, c, rings in areas]
(work / "areas.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": feats}))

events = []
for k in range(1500):
    if rng.random() < 0.6:
        cx, cy = at(*rng.choice([(6, 6), (25, 20), (17, 12)]))
        x, y = rng.gauss(cx, 350), rng.gauss(cy, 350)
    else:
        x, y = rng.uniform(X0, X0 + COLS * S), rng.uniform(Y0, Y0 + ROWS * S)
    events.append(("shooting" if k % 3 else "narcotics", x, y))
with open(work / "events.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["type", "x", "y"])
    w.writerows((t, f"{x:.2f}", f"{y:.2f}") for t, x, y in events)

# --- stratmap ---------------------------------------------------------------
run("index", "--grid", work / "grid.csv", "--out", work / "lc.geojson")
lc = {f["properties"]["cell_id"]: f["properties"] for f in json.loads((work / "lc.geojson").read_text())["features"]}
keys = sorted(cells)  # the order of cell ids
ids = [cid(x, y) for x, y in keys]
pos = {k: i for i, k in enumerate(keys)}

# --- candidate areas: a union-find of our own ---------------------------------------
gdf_areas = gpd.read_file(work / "areas.geojson").to_crs(3006)
union = shapely.union_all(gdf_areas.geometry.values)


def candidates_of(min_class, min_cells, min_pop, queen):
    chosen = [k for k in keys if (lc[cid(*k)]["class"] or 0) >= min_class]
    parent = {k: k for k in chosen}

    def find(k):
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    steps = [(1, 0), (0, 1), (1, 1), (1, -1)] if queen else [(1, 0), (0, 1)]
    for (x, y) in chosen:
        for dx, dy in steps:
            n = (x + dx * S, y + dy * S)
            if n in parent:
                a, b = find((x, y)), find(n)
                if a != b:
                    parent[max(a, b, key=pos.get)] = min(a, b, key=pos.get)
    groups = {}
    for k in chosen:
        groups.setdefault(find(k), []).append(k)
    out = []
    for members in groups.values():
        members.sort(key=pos.get)
        pop = sum(float(lc[cid(*k)]["population"] or 0) for k in members)
        if len(members) >= min_cells and pop >= min_pop:
            out.append((members, pop))
    out.sort(key=lambda g: (-g[1], -len(g[0]), pos[g[0][0]]))
    return out


def check_candidates(tag, args, min_class=5, min_cells=4, min_pop=500, queen=True):
    out = work / f"cand-{tag}.gpkg"
    if out.exists():
        out.unlink()
    run("candidates", "--grid", work / "grid.csv", "--areas", work / "areas.geojson", *args, "--out", out)
    got = gpd.read_file(out).sort_values("candidate_id")
    want = candidates_of(min_class, min_cells, min_pop, queen)
    if len(got) != len(want):
        failures.append(f"candidates {tag}: {len(got)} candidates, union-find finds {len(want)}")
        return got, want
    n_new = 0
    for (_, g), (members, pop) in zip(got.iterrows(), want):
        cid_ = int(g.candidate_id)
        props = [lc[cid(*k)] for k in members]
        youth = sum(cells[k]["age_0_15"] + cells[k]["age_16_19"] for k in members)
        idx = [p["index"] for p in props]
        checks = [("cells", int(g.cells), len(members)), ("population", float(g.population), pop),
                  ("youth", float(g.youth), float(youth)), ("mean_index", g.mean_index, sum(idx) / len(idx)),
                  ("max_index", g.max_index, max(idx))]
        for name, a, b in checks:
            if abs(a - b) > 1e-9 * max(1.0, abs(b)):
                failures.append(f"candidates {tag} #{cid_}: {name} {a} vs {b}")
        squares = shapely.union_all([box(x, y, x + S, y + S) for x, y in members])
        geom = g.geometry
        if not geom.is_valid:
            failures.append(f"candidates {tag} #{cid_}: invalid polygon ({shapely.is_valid_reason(geom)})")
        if abs(geom.area - len(members) * S * S) > 1e-6:
            failures.append(f"candidates {tag} #{cid_}: area {geom.area} vs {len(members) * S * S}")
        if geom.symmetric_difference(squares).area > 1e-6:
            failures.append(f"candidates {tag} #{cid_}: outline is not the union of its cells")
        if len(list(squares.interiors) if squares.geom_type == "Polygon" else
               [h for p in squares.geoms for h in p.interiors]) != sum(len(p.interiors) for p in getattr(geom, "geoms", [geom])):
            failures.append(f"candidates {tag} #{cid_}: holes differ from the union of its cells")
        # overlap with the areas: population × share of the cell in their union
        inside = sum(float(lc[cid(x, y)]["population"] or 0) * box(x, y, x + S, y + S).intersection(union).area / (S * S)
                     for x, y in members)
        pct = 100 * inside / pop
        if abs(g.overlap_pct - pct) > 1e-6 * max(1.0, pct):
            failures.append(f"candidates {tag} #{cid_}: overlap_pct {g.overlap_pct} vs {pct}")
        touched = {n for n, ga in zip(gdf_areas.name, gdf_areas.geometry)
                   if any(box(x, y, x + S, y + S).intersection(ga).area > 1e-6 for x, y in members)}
        named = set(filter(None, (g.overlaps or "").split("; ")))
        if not touched <= named:
            failures.append(f"candidates {tag} #{cid_}: overlaps {sorted(named)} vs shapely {sorted(touched)}")
        status = "new" if pct < 10 else "known"
        n_new += status == "new"
        if g.status != status:
            failures.append(f"candidates {tag} #{cid_}: status {g.status} vs {status}")
    print(f"candidates {tag}: {len(got)} ({n_new} new), cells {[len(m) for m, _ in want]}")
    return got, want


got, want = check_candidates("queen", [])
holes = sum(len(p.interiors) for geom in got.geometry for p in getattr(geom, "geoms", [geom]))
if holes == 0:
    failures.append("the town has no candidate with a hole: the test lost its ring")
if not any(g.status == "new" for _, g in got.iterrows()):
    failures.append("the town has no new candidate: the test lost its unassessed pocket")
(work / "rook.toml").write_text('[candidates]\ncontiguity = "rook"\nmin_cells = 2\nmin_population = 100\n')
check_candidates("rook", ["--config", work / "rook.toml"], 5, 2, 100, queen=False)
(work / "class4.toml").write_text('[candidates]\nmin_class = 4\nmin_cells = 1\nmin_population = 0\n')
check_candidates("class4", ["--config", work / "class4.toml"], 4, 1, 0)
# the two cells meeting at a corner are one candidate (queen) of two polygons, two (rook)
q = candidates_of(5, 1, 0, True)
joined = [m for m, _ in q if set(map(lambda k: ((k[0] - X0) // S, (k[1] - Y0) // S), m)) >= cross]
if not joined:
    failures.append("the two corner cells are not one eight-neighbour group in the union-find")

# --- concordance with scikit-learn ------------------------------------------------
conc = {r["category"]: r for r in csv.DictReader(open(work / "concordance.csv"))}
centres = {k: Point(k[0] + S / 2, k[1] + S / 2) for k in keys}
in_cat = {c: shapely.union_all(gdf_areas[gdf_areas.category == c].geometry.values) for c in gdf_areas.category.unique()}
in_cat["all"] = union
indexed = [k for k in keys if lc[cid(*k)]["index"] is not None]
outside = [k for k in indexed if not union.intersects(centres[k])]
class5_pop = sum(float(lc[cid(*k)]["population"] or 0) for k in keys if lc[cid(*k)]["class"] == 5)
for cat, geom in in_cat.items():
    inside = [k for k in indexed if geom.intersects(centres[k])]
    row = conc.get(cat)
    if row is None:
        failures.append(f"concordance.csv: no row for {cat}")
        continue
    if int(row["cells_inside"]) != len(inside):
        failures.append(f"concordance {cat}: cells_inside {row['cells_inside']} vs {len(inside)}")
    y = [1] * len(inside) + [0] * len(outside)
    s = [lc[cid(*k)]["index"] for k in inside + outside]
    auc = roc_auc_score(y, s) if inside and outside else None
    if (auc is None) != (row["auc"] == "") or (auc is not None and abs(float(row["auc"]) - auc) > 1e-9):
        failures.append(f"concordance {cat}: auc {row['auc']} vs scikit-learn {auc}")
    pop = lambda ks: sum(float(lc[cid(*k)]["population"] or 0) for k in ks)  # noqa: E731
    c5 = pop(k for k in inside if lc[cid(*k)]["class"] == 5) / class5_pop
    c45 = pop(k for k in inside if lc[cid(*k)]["class"] in (4, 5)) / pop(inside) if pop(inside) else None
    if abs(float(row["share_class5_pop_inside"]) - c5) > 1e-9:
        failures.append(f"concordance {cat}: share_class5_pop_inside {row['share_class5_pop_inside']} vs {c5}")
    if c45 is not None and abs(float(row["share_inside_pop_class45"]) - c45) > 1e-9:
        failures.append(f"concordance {cat}: share_inside_pop_class45 {row['share_inside_pop_class45']} vs {c45}")
    print(f"concordance {cat}: {len(inside)} cells inside, AUC {auc:.4f}")

# --- local Moran's I with esda --------------------------------------------------
def lisa_layer(path):
    return {f["properties"]["cell_id"]: f["properties"] for f in json.loads(path.read_text())["features"]}


def check_lisa(tag, args, values):
    """values: cell key → value, for the cells the statistic is computed on."""
    ks = [k for k in keys if k in values]
    y = np.array([values[k] for k in ks], dtype=float)
    xy = np.array([(x + S / 2, y_ + S / 2) for x, y_ in ks])
    w = libpysal.weights.DistanceBand(xy, 500, binary=True, silence_warnings=True)
    ml = esda.Moran_Local(y, w, transformation="r", permutations=999, seed=12345, keep_simulations=True)
    card = np.array([w.cardinalities[j] for j in w.id_order])
    run("lisa", "--grid", work / "grid.csv", *args, "--permutations", "0", "--out", work / f"lisa-{tag}-raw.geojson")
    run("lisa", "--grid", work / "grid.csv", *args, "--seed", "7", "--out", work / f"lisa-{tag}.geojson")
    raw = lisa_layer(work / f"lisa-{tag}-raw.geojson")
    got = lisa_layer(work / f"lisa-{tag}.geojson")
    if len(got) != len(ks):
        failures.append(f"lisa {tag}: {len(got)} cells, expected {len(ks)}")
    quads = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}
    far = 0
    p_ref = {}
    for i, k in enumerate(ks):
        g, r = got[cid(*k)], raw[cid(*k)]
        island = card[i] == 0
        if abs(g["lisa_i"] - ml.Is[i]) > 1e-9 * max(1.0, abs(ml.Is[i])):
            failures.append(f"lisa {tag} {cid(*k)}: lisa_i {g['lisa_i']} vs esda {ml.Is[i]}")
        if island:
            if g["lisa_p"] is not None or g["quadrant"] != "ns":
                failures.append(f"lisa {tag} {cid(*k)}: an island has p {g['lisa_p']}, quadrant {g['quadrant']}")
            continue
        if r["quadrant"] != quads[int(ml.q[i])]:
            failures.append(f"lisa {tag} {cid(*k)}: quadrant {r['quadrant']} vs esda {quads[int(ml.q[i])]}")
        # the pseudo p-values are two draws of the same distribution: ours,
        # and esda's draws counted with ties on both sides (esda's own p_sim
        # splits ties by rounding; the same for values without ties)
        sims = ml.rlisas[i]
        tol = 1e-9 * abs(ml.Is[i])
        ref_p = (min((sims >= ml.Is[i] - tol).sum(), (sims <= ml.Is[i] + tol).sum()) + 1) / 1000
        p_ref[k] = ref_p
        pm = (g["lisa_p"] + ref_p) / 2
        if abs(g["lisa_p"] - ref_p) > 4.5 * math.sqrt(2 * pm * (1 - pm) / 999) + 3 / 1000:
            far += 1
        sig = g["lisa_p"] < 0.05
        if (g["quadrant"] != "ns") != sig or (sig and g["quadrant"] != quads[int(ml.q[i])]):
            failures.append(f"lisa {tag} {cid(*k)}: quadrant {g['quadrant']} at p {g['lisa_p']}")
    if far > 0:
        failures.append(f"lisa {tag}: {far} cells' pseudo p-values differ from esda's beyond permutation noise")
    ours = sum(1 for g in got.values() if g["lisa_p"] is not None and g["lisa_p"] < 0.05)
    theirs = sum(1 for p in p_ref.values() if p < 0.05)
    if abs(ours - theirs) > 4 * math.sqrt(max(theirs, 1)) + 3:
        failures.append(f"lisa {tag}: {ours} cells at p < 0.05, esda {theirs}")
    print(f"lisa {tag}: {len(ks)} cells, {int((card == 0).sum())} island(s), "
          f"{ours} at p < 0.05 (esda {theirs})")
    return got


check_lisa("index", [], {k: lc[cid(*k)]["index"] for k in keys if lc[cid(*k)]["index"] is not None})
check_lisa("income", ["--variable", "income"], {k: v["income"] for k, v in cells.items() if v["income"] != ""})
counts = {k: 0 for k in keys}
for _, x, y in events:
    k = (math.floor(x / S) * S, math.floor(y / S) * S)
    if k in counts:
        counts[k] += 1
check_lisa("count", ["--variable", "count", "--events", work / "events.csv"], counts)

# FDR: Benjamini–Hochberg over the cells' pseudo p-values, written here
run("lisa", "--grid", work / "grid.csv", "--seed", "7", "--fdr", "--out", work / "lisa-fdr.geojson")
plain = lisa_layer(work / "lisa-index.geojson")
fdr = lisa_layer(work / "lisa-fdr.geojson")
ps = sorted(g["lisa_p"] for g in plain.values() if g["lisa_p"] is not None)
m = len(ps)
passing = [p for j, p in enumerate(ps, 1) if p <= j / m * 0.05]
t = max(passing) if passing else -1
for c, g in fdr.items():
    want = plain[c]["quadrant"] if plain[c]["lisa_p"] is not None and plain[c]["lisa_p"] <= t else "ns"
    if g["quadrant"] != want:
        failures.append(f"lisa --fdr {c}: quadrant {g['quadrant']}, Benjamini–Hochberg gives {want}")
print(f"lisa --fdr: threshold {t}, {sum(1 for g in fdr.values() if g['quadrant'] != 'ns')} significant")

# reproducible: the same seed on one and two threads gives the same bytes; another seed other p-values
for threads in ("1", "2"):
    run("lisa", "--grid", work / "grid.csv", "--seed", "7", "--out", work / f"lisa-t{threads}.geojson",
        env=dict(os.environ, RAYON_NUM_THREADS=threads))
if not (work / "lisa-t1.geojson").read_bytes() == (work / "lisa-t2.geojson").read_bytes() == (work / "lisa-index.geojson").read_bytes():
    failures.append("lisa: the layer differs between one and two threads")
run("lisa", "--grid", work / "grid.csv", "--seed", "8", "--out", work / "lisa-seed8.geojson")
if (work / "lisa-seed8.geojson").read_bytes() == (work / "lisa-index.geojson").read_bytes():
    failures.append("lisa: seeds 7 and 8 give the same p-values")

if failures:
    print(f"{len(failures)} disagreements:")
    for f in failures[:40]:
        print("  " + f)
    sys.exit(1)
print("candidates, concordance and local Moran's I agree with the independent implementations")
