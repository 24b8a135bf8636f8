#!/usr/bin/env python3
"""Cross-checks `stratmap hotspots`, `stratmap indicators` and `stratmap assess`
with independent implementations on a town it has never seen.

Makes a random town (seeded): a grid of 250 m cells with population (SCB
ids), events of five types in clusters (lon/lat), areas in four categories
(WGS 84 GeoJSON; two of one category overlap, one area straddles the grid's
edge, one has a hole), and questionnaire answers over three years whose
levels change by exactly ±0.2 as well as by more and less. Then compares:

- hot spots, for all events and for one type, with PySAL esda's G_Local
  (DistanceBand 500 between cell centres, binary, transform "B", star=True):
  gi_z to 1e-9, gi_p from the normal distribution to 1e-9, gi_bin exactly;
- indicators with shapely (unions, point-in-polygon) and tobler's
  area_interpolate (population apportioned by cell ∩ area) to 1e-6 relative;
- assessments with exact rational arithmetic (fractions), trends exactly.

Exits 1 on any disagreement.

usage: crosscheck_analysis.py STRATMAP_BINARY WORK_DIR
"""
import csv
import json
import math
import random
import subprocess
import sys
import warnings
from fractions import Fraction
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from shapely.geometry import Point, box, shape

warnings.filterwarnings("ignore")
import esda  # noqa: E402
import libpysal  # noqa: E402
from scipy.stats import norm  # noqa: E402
from tobler.area_weighted import area_interpolate  # noqa: E402

binary, work = sys.argv[1], Path(sys.argv[2])
work.mkdir(parents=True, exist_ok=True)
rng = random.Random(44)
S = 250
X0, Y0 = 674_000, 6_578_000  # Stockholm-ish, not the sample town
COLS, ROWS = 36, 30
to_ll = pyproj.Transformer.from_crs(3006, 4326, always_xy=True)
to_xy = pyproj.Transformer.from_crs(4326, 3006, always_xy=True)
failures = []


def run(*args):
    subprocess.run([binary, "--quiet", *map(str, args)], check=True, stdout=subprocess.DEVNULL)


# --- the town -------------------------------------------------------------
cells = {}
for c in range(COLS):
    for r in range(ROWS):
        if rng.random() < 0.15:
            continue  # uninhabited: not in the file
        cells[(X0 + c * S, Y0 + r * S)] = rng.choice([0, 5, 30, 120, 400, 900]) if rng.random() > 0.1 else ""
with open(work / "grid.csv", "w") as f:
    f.write("cell_id,population\n")
    for (x, y), pop in sorted(cells.items()):
        f.write(f"{x:06d}{y:07d},{pop}\n")


def ll_ring(pts):
    return [[round(v, 7) for v in to_ll.transform(x, y)] for x, y in pts + pts[:1]]


def star(cx, cy, rmin, rmax, n):
    return [(cx + rng.uniform(rmin, rmax) * math.cos(2 * math.pi * (i + 0.3 * rng.random()) / n),
             cy + rng.uniform(rmin, rmax) * math.sin(2 * math.pi * (i + 0.3 * rng.random()) / n)) for i in range(n)]


areas = [
    ("Berga", "SUO", [star(X0 + 2000, Y0 + 2000, 300, 900, 9)]),
    ("Dalen", "SUO", [star(X0 + 2700, Y0 + 2300, 300, 700, 7)]),  # overlaps Berga
    ("Ekeby", "RO", [star(X0 + 6000, Y0 + 5000, 200, 600, 11)]),
    ("Fallet", "UO", [[(X0 + 7000, Y0 + 1000), (X0 + 9500, Y0 + 1000), (X0 + 9500, Y0 + 3000), (X0 + 7000, Y0 + 3000)],
                      [(X0 + 7800, Y0 + 1800), (X0 + 7800, Y0 + 2300), (X0 + 8400, Y0 + 2300), (X0 + 8400, Y0 + 1800)]]),
    ("Gärdet", "reported", [star(X0 + 3000, Y0 + 6500, 400, 1000, 13)]),
    ("Hamnen", "reported", [star(X0 + 9000, Y0 + 7600, 300, 800, 8)]),  # over the grid's edge
]
feats = [{"type": "Feature", "properties": {"name": n, "category": c},
          "geometry": {"type": "Polygon", "coordinates": [ll_ring(r) for r in rings]}} for n, c, rings in areas]
(work / "areas.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": feats}))

types = ["shooting", "narcotics", "weapons", "threat", "hr_prio12"]
events = []
centres = [(X0 + 2300, Y0 + 2100), (X0 + 6000, Y0 + 5000), (X0 + 8000, Y0 + 6000)]
for k in range(2500):
    t = rng.choice(types)
    if rng.random() < 0.5:
        cx, cy = rng.choice(centres)
        x, y = rng.gauss(cx, 400), rng.gauss(cy, 400)
    else:
        x, y = rng.uniform(X0 - 300, X0 + COLS * S + 300), rng.uniform(Y0 - 300, Y0 + ROWS * S + 300)
    lon, lat = to_ll.transform(x, y)
    events.append((f"E{k}", t, round(lon, 7), round(lat, 7)))
with open(work / "events.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["id", "type", "lon", "lat"])
    w.writerows(events)

# answers: level changes of exactly ±0.2 (on 5 answers), and more and less
answers = []
plans = {"Berga": [13, 14, 13], "Dalen": [10, 12, 11], "Ekeby": [15, 16, 18], "Fallet": [20, 19, 19], "Gärdet": [8, 9], "Hamnen": [17, 15]}
for name, totals in plans.items():
    for year, total in zip(range(2024, 2027), totals):
        # five answers summing to total, spread over the domains
        base = [total // 5] * 5
        for i in range(total % 5):
            base[i] += 1
        for q, sc in enumerate(base):
            dom = ["living_environment", "societal_systems", "social_development"][q % 3]
            answers.append((name, year, q + 1, dom, sc, rng.randint(1, 5)))
with open(work / "answers.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["area", "year", "question", "domain", "score", "uncertainty"])
    w.writerows(answers)

# --- stratmap ---------------------------------------------------------------
run("hotspots", "--events", work / "events.csv", "--grid", work / "grid.csv", "--out", work / "hs.geojson")
run("hotspots", "--events", work / "events.csv", "--grid", work / "grid.csv", "--type", "shooting", "--out", work / "hs-shooting.geojson")
run("indicators", "--events", work / "events.csv", "--areas", work / "areas.geojson", "--grid", work / "grid.csv", "--out", work / "indicators.csv")
run("assess", "--answers", work / "answers.csv", "--out", work / "assessment.csv")
# the whole pipeline from a config must write the same layers as the commands
(work / "stratmap.toml").write_text(
    '[inputs]\ngrid = "grid.csv"\nareas = "areas.geojson"\nevents = "events.csv"\nanswers = "answers.csv"\n'
    '[output]\ndir = "run"\n')
run("run", work / "stratmap.toml")
for mine, theirs in [("hs.geojson", "hotspots.geojson"), ("indicators.csv", "indicators.csv"),
                     ("assessment.csv", "assessment.csv")]:
    if (work / mine).read_bytes() != (work / "run" / theirs).read_bytes():
        failures.append(f"stratmap run wrote another {theirs} than the single command")
summary = json.loads((work / "run" / "summary.json").read_text())
import hashlib  # noqa: E402
for key, f in [("grid", "grid.csv"), ("areas", "areas.geojson"), ("events", "events.csv"), ("answers", "answers.csv")]:
    if summary["inputs"][key]["sha256"] != hashlib.sha256((work / f).read_bytes()).hexdigest():
        failures.append(f"summary.json: wrong SHA-256 for {f}")

# --- hot spots against esda ----------------------------------------------------
keys = sorted(cells)
xy = np.array([(x + S / 2, y + S / 2) for x, y in keys])
w = libpysal.weights.DistanceBand(xy, 500, binary=True, silence_warnings=True)
ev_xy = [to_xy.transform(lon, lat) for _, _, lon, lat in events]
for layer, wanted in (("hs.geojson", None), ("hs-shooting.geojson", "shooting")):
    counts = {k: 0 for k in keys}
    for (x, y), (_, t, _, _) in zip(ev_xy, events):
        k = (math.floor(x / S) * S, math.floor(y / S) * S)
        if k in counts and (wanted is None or t == wanted):
            counts[k] += 1
    y = np.array([counts[k] for k in keys], dtype=float)
    g = esda.G_Local(y, w, transform="B", star=True, permutations=0)
    p = 2 * norm.sf(np.abs(g.Zs))
    bins = np.where(p < 0.01, 3, np.where(p < 0.05, 2, np.where(p < 0.10, 1, 0))) * np.sign(g.Zs)
    got = {f["properties"]["cell_id"]: f["properties"] for f in json.loads((work / layer).read_text())["features"]}
    for i, (x0, y0) in enumerate(keys):
        pr = got[f"{x0:06d}{y0:07d}"]
        if pr["count"] != counts[(x0, y0)]:
            failures.append(f"{layer} {x0},{y0}: count {pr['count']} vs {counts[(x0, y0)]}")
        if abs(pr["gi_z"] - g.Zs[i]) > 1e-9:
            failures.append(f"{layer} {x0},{y0}: gi_z {pr['gi_z']} vs esda {g.Zs[i]}")
        if abs(pr["gi_p"] - p[i]) > 1e-9:
            failures.append(f"{layer} {x0},{y0}: gi_p {pr['gi_p']} vs {p[i]}")
        if pr["gi_bin"] != int(bins[i]):
            failures.append(f"{layer} {x0},{y0}: gi_bin {pr['gi_bin']} vs {int(bins[i])}")
    print(f"hot spots ({wanted or 'all events'}): {len(keys)} cells, {int(y.sum())} events, "
          f"{int((bins > 0).sum())} hot, {int((bins < 0).sum())} cold")

# --- indicators with shapely and tobler ----------------------------------------------
gdf = gpd.read_file(work / "areas.geojson").to_crs(3006)
cells_gdf = gpd.GeoDataFrame(
    {"population": [float(cells[k] or 0) for k in keys]},
    geometry=[box(x, y, x + S, y + S) for x, y in keys], crs=3006)
xs = [k[0] for k in keys]
ys = [k[1] for k in keys]
total_area = (max(xs) + S - min(xs)) * (max(ys) + S - min(ys))
targets = {c: shapely.union_all(gdf[gdf.category == c].geometry.values) for c in gdf.category.unique()}
everything = shapely.union_all(gdf.geometry.values)
tg = gpd.GeoDataFrame({"category": list(targets)}, geometry=list(targets.values()), crs=3006)
pop = area_interpolate(cells_gdf, tg, extensive_variables=["population"], allocate_total=False).population.values
pop_in = dict(zip(targets, pop))
pop_all = area_interpolate(cells_gdf, gpd.GeoDataFrame(geometry=[everything], crs=3006), extensive_variables=["population"], allocate_total=False).population.values[0]
total_pop = cells_gdf.population.sum()
pts = [Point(p) for p in ev_xy]
type_total = {t: sum(1 for e in events if e[1] == t) for t in types}
ref = {}
for c, geom in list(targets.items()) + [("outside", None)]:
    if geom is None:
        inside = [not everything.intersects(p) for p in pts]
        area, popu = total_area - everything.area, total_pop - pop_all
    else:
        inside = [geom.intersects(p) for p in pts]
        area, popu = geom.area, pop_in[c]
    for t in types + ["all"]:
        n = sum(1 for k, e in enumerate(events) if inside[k] and (t == "all" or e[1] == t))
        of = len(events) if t == "all" else type_total[t]
        ref[(c, t)] = {"events": n, "share_events_pct": n / of * 100, "area_km2": area / 1e6,
                       "share_area_pct": area / total_area * 100, "population": popu,
                       "per_1000": n / popu * 1000 if popu > 0 else None}
rows = {(r["category"], r["event_type"]): r for r in csv.DictReader(open(work / "indicators.csv"))}
if set(rows) != set(ref):
    failures.append(f"indicator rows {sorted(set(rows) ^ set(ref))}")
for k, want in ref.items():
    got = rows.get(k)
    if got is None:
        continue
    for col, v in want.items():
        g_ = None if got[col] == "" else float(got[col])
        if (g_ is None) != (v is None) or (v is not None and abs(g_ - v) > 1e-6 * max(1.0, abs(v))):
            failures.append(f"indicators {k} {col}: stratmap {got[col]} vs reference {v}")
print(f"indicators: {len(ref)} rows, {len(events)} events, total area {total_area / 1e6:.3f} km²")

# --- assessments with fractions -------------------------------------------------------
by = {}
for name, year, q, dom, sc, _ in answers:
    by.setdefault((name, year), []).append((dom, sc))
ref = {}
for name in plans:
    prev = None
    for year in sorted(y for n, y in by if n == name):
        scores = by[(name, year)]
        level = Fraction(sum(s for _, s in scores), len(scores))
        if prev is None:
            trend = "new"
        elif level - prev > Fraction(1, 5):
            trend = "worsening"
        elif prev - level > Fraction(1, 5):
            trend = "improving"
        else:
            trend = "stable"
        doms = {}
        for d in ["living_environment", "societal_systems", "social_development"]:
            ds = [s for dd, s in scores if dd == d]
            doms[d] = Fraction(sum(ds), len(ds)) if ds else None
        ref[(name, str(year))] = (level, doms, trend)
        prev = level
got = {(r["area"], r["year"]): r for r in csv.DictReader(open(work / "assessment.csv"))}
trends = {}
for k, (level, doms, trend) in ref.items():
    r = got.get(k)
    if r is None:
        failures.append(f"assessment: no row {k}")
        continue
    trends[trend] = trends.get(trend, 0) + 1
    if r["trend"] != trend:
        failures.append(f"assessment {k}: trend {r['trend']} vs {trend}")
    if abs(float(r["problem_level"]) - float(level)) > 1e-12:
        failures.append(f"assessment {k}: level {r['problem_level']} vs {level}")
    for d, v in doms.items():
        if (r[d] == "") != (v is None) or (v is not None and abs(float(r[d]) - float(v)) > 1e-12):
            failures.append(f"assessment {k}: {d} {r[d]} vs {v}")
print(f"assessment: {len(ref)} area-years, trends {dict(sorted(trends.items()))}")

print(f"analysis cross-check: {len(failures)} disagreements")
for m in failures[:20]:
    print("  " + m)
sys.exit(1 if failures else 0)
