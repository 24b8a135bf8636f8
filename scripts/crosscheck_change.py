#!/usr/bin/env python3
"""Cross-checks the change-over-time layers of stratmap on a town it has
never seen: `stratmap change` (two editions of the index), `stratmap
indicators --by` (events by period, per area, Mann–Kendall trends) and
`stratmap emerging` (emerging hot spots).

Makes a random town (seeded) with two editions of its grid: the second has a
planted neighbourhood that got worse, cells that are gone and new ones, and
every other cell exactly as before; police areas; and dated events over 12
months with planted space-time patterns (a persistent cluster, a new one, a
consecutive one, a historical one, an intensifying one), undated events and
events on other grids. Then compares:

- editions: the earlier edition's index equals `stratmap index` of it; the
  later one equals numpy on the earlier edition's means, sds and breaks to
  1e-9 (and on pooled ones with reference = "pooled"); unchanged cells keep
  exactly their index and class; the planted cells get worse (delta > 0);
  class_transitions.csv equals a group-by of the layer and sums to its cells;
- events by period: indicators_by_period.csv and events_by_area_period.csv
  against a group-by written here (shapely point in polygon), the change from
  the previous period, the rates per 1 000; trends_by_area.csv against
  pymannkendall's original_test (tau and p to 1e-9, the trend word exactly);
- emerging hot spots: every bin's Gi* against PySAL esda's G_Local on a
  space-time weights matrix (the cell's band neighbours in this and the
  previous period, star, binary) to 1e-9; each cell's trend against
  pymannkendall on its z series to 1e-9; each cell's pattern against a
  classifier written here from ArcGIS's definitions, and the planted cells'
  patterns by name.

Exits 1 on any disagreement.

usage: crosscheck_change.py STRATMAP_BINARY WORK_DIR
"""
import csv
import json
import math
import random
import subprocess
import sys
import warnings
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pyproj
import shapely
from shapely.geometry import Point

warnings.filterwarnings("ignore")
import esda  # noqa: E402
import libpysal  # noqa: E402
import pymannkendall  # noqa: E402
from scipy.stats import norm  # noqa: E402

binary, work = sys.argv[1], Path(sys.argv[2])
work.mkdir(parents=True, exist_ok=True)
rng = random.Random(2013)
S = 250
X0, Y0 = 604_000, 6_710_000
COLS, ROWS = 24, 20
to_ll = pyproj.Transformer.from_crs(3006, 4326, always_xy=True)
failures = []


def run(*args, quiet=True):
    r = subprocess.run([binary, *(["--quiet"] if quiet else []), *map(str, args)], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"stratmap {' '.join(map(str, args))}: exit {r.returncode}\n{r.stderr}")
    return r


def cid(x, y):
    return f"{x:06d}{y:07d}"


VARS = ["income", "low_education", "employment_rate", "foreign_background", "overcrowding", "single_parents",
        "age_0_15", "age_16_19"]
SIGN = np.array([-1, 1, -1, 1, 1, 1, 1, 1], dtype=float)
GROUPS = [[0, 1, 2], [3, 4], [5, 6, 7]]

# --- two editions of the grid -------------------------------------------------
before = {}
for c in range(COLS):
    for r in range(ROWS):
        if rng.random() < 0.06:
            continue
        d = min(1.0, max(0.0, math.exp(-((c - 6) ** 2 + (r - 12) ** 2) / 18) + rng.gauss(0, 0.1)))
        pop = rng.choice([10, 40, 90, 150, 240])
        before[(X0 + c * S, Y0 + r * S)] = [pop, round(300_000 - 150_000 * d + rng.gauss(0, 9000), -2),
                                            0.1 + 0.3 * d, 0.85 - 0.3 * d, 0.2 + 0.5 * d, 0.03 + 0.3 * d,
                                            0.1 + 0.2 * d, round(pop * (0.12 + 0.1 * d)), round(pop * 0.05)]
after = {k: list(v) for k, v in before.items()}
worse = [(X0 + c * S, Y0 + r * S) for c in range(16, 20) for r in range(4, 8) if (X0 + c * S, Y0 + r * S) in before]
for k in worse:  # a neighbourhood that got worse
    v = after[k]
    after[k] = [v[0], v[1] - 90_000, min(1, v[2] + 0.2), v[3] - 0.25, min(1, v[4] + 0.35), min(1, v[5] + 0.2),
                min(1, v[6] + 0.15), v[7], v[8]]
gone = [k for k in list(after) if rng.random() < 0.03]
for k in gone:
    del after[k]
for c in range(COLS, COLS + 2):  # new housing on the edge
    for r in range(3):
        after[(X0 + c * S, Y0 + r * S)] = [120, 250_000, 0.15, 0.8, 0.3, 0.06, 0.12, 15, 6]
unchanged = [k for k in before if k in after and before[k] == after[k]]


def write_grid(path, cells):
    with open(path, "w") as f:
        f.write("cell_id,population," + ",".join(VARS) + "\n")
        for (x, y), v in sorted(cells.items()):
            f.write(cid(x, y) + "," + ",".join(str(a) if isinstance(a, int) else repr(float(a)) for a in v[:2])
                    + "," + ",".join(repr(float(a)) for a in v[2:7]) + f",{v[7]},{v[8]}\n")


write_grid(work / "before.csv", before)
write_grid(work / "after.csv", after)


def index_numpy(cells, reference):
    """The index of `cells` with the means, sds and breaks of `reference` (both dicts of cell → values)."""
    def matrix(cs):
        ks = sorted(cs)
        pop = np.array([cs[k][0] for k in ks], dtype=float)
        x = np.array([[cs[k][1 + j] for j in range(8)] for k in ks], dtype=float) * SIGN
        return ks, pop, x
    _, rpop, rx = matrix(reference)
    rvalid = rpop >= 20
    mean, sd = rx[rvalid].mean(axis=0), rx[rvalid].std(axis=0)
    def scores(x):
        z = np.where(sd > 0, (x - mean) / np.where(sd > 0, sd, 1), 0.0)
        return np.column_stack([z[:, g].mean(axis=1) for g in GROUPS]).mean(axis=1)
    breaks = np.percentile(scores(rx)[rvalid], [20, 40, 60, 80])
    ks, pop, x = matrix(cells)
    idx = scores(x)
    out = {}
    for k, p, i in zip(ks, pop, idx):
        out[k] = (float(i), int(np.searchsorted(breaks, i, side="left") + 1)) if p >= 20 else (None, None)
    return out


def layer(path):
    return {f["properties"]["cell_id"]: f["properties"] for f in json.loads(Path(path).read_text())["features"]}


for reference in ("before", "pooled"):
    (work / f"{reference}.toml").write_text(f'[change]\nreference = "{reference}"\n')
    run("change", "--before", work / "before.csv", "--after", work / "after.csv", "--config",
        work / f"{reference}.toml", "--out", work / f"change-{reference}.geojson")
    got = layer(work / f"change-{reference}.geojson")
    ref = before if reference == "before" else {**{("b",) + k: v for k, v in before.items()},
                                                 **{("a",) + k: v for k, v in after.items()}}
    want_b, want_a = index_numpy(before, ref), index_numpy(after, ref)
    keys = sorted(set(before) | set(after))
    if len(got) != len(keys):
        failures.append(f"change {reference}: {len(got)} cells, expected {len(keys)}")
    for k in keys:
        g = got[cid(*k)]
        for side, want in (("before", want_b), ("after", want_a)):
            wi, wc = want.get(k, (None, None))
            gi, gc = g[f"index_{side}"], g[f"class_{side}"]
            if (gi is None) != (wi is None) or (wi is not None and abs(gi - wi) > 1e-9) or gc != wc:
                failures.append(f"change {reference} {cid(*k)}: index_{side} {gi} class {gc}, numpy {wi} {wc}")
        status = ("gone" if k not in after else "new" if k not in before else
                  "both" if g["index_before"] is not None and g["index_after"] is not None else "no_index")
        if g["status"] != status:
            failures.append(f"change {reference} {cid(*k)}: status {g['status']}, expected {status}")
    for k in unchanged:
        g = got[cid(*k)]
        if g["index_before"] != g["index_after"] or g["class_before"] != g["class_after"]:
            failures.append(f"change {reference} {cid(*k)}: unchanged cell changed {g}")
    deltas = [got[cid(*k)]["delta"] for k in worse if got[cid(*k)]["delta"] is not None]
    if not deltas or min(deltas) <= 0:
        failures.append(f"change {reference}: the worsened cells' deltas {deltas}")
    table = list(csv.DictReader(open(work / "class_transitions.csv")))
    tally = Counter((str(g["class_before"] or ""), str(g["class_after"] or "")) for g in got.values())
    if sum(int(r["cells"]) for r in table) != len(got):
        failures.append(f"class_transitions.csv ({reference}) sums to {sum(int(r['cells']) for r in table)}, not {len(got)}")
    for r in table:
        if int(r["cells"]) != tally.get((r["class_before"], r["class_after"]), 0):
            failures.append(f"class_transitions.csv ({reference}): {r} vs layer {tally.get((r['class_before'], r['class_after']))}")
    up = sum(1 for g in got.values() if g["class_before"] and g["class_after"] and g["class_after"] > g["class_before"])
    print(f"change ({reference}): {len(got)} cells, {len(unchanged)} unchanged, {len(worse)} planted worse, "
          f"{up} to a worse class")
# the earlier edition's index is the index of `stratmap index` on it
run("index", "--grid", work / "before.csv", "--out", work / "lc-before.geojson")
lcb = layer(work / "lc-before.geojson")
chb = layer(work / "change-before.geojson")
for c, p in lcb.items():
    if p["index"] != chb[c]["index_before"] or p["class"] != chb[c]["class_before"]:
        failures.append(f"change {c}: index_before {chb[c]['index_before']} is not stratmap index's {p['index']}")

# --- dated events -------------------------------------------------------------
MONTHS = [f"2025-{m:02d}" for m in range(1, 13)]
events = []


def cluster(cx, cy, months, per_month, kind="narcotics", spread=180):
    for m in months:
        n = per_month(m) if callable(per_month) else per_month
        for _ in range(n):
            events.append((kind, X0 + cx * S + rng.gauss(0, spread), Y0 + cy * S + rng.gauss(0, spread),
                           f"{MONTHS[m]}-{rng.randint(1, 28):02d}"))


plants = {"persistent hot spot": (4, 15), "new hot spot": (19, 15), "consecutive hot spot": (12, 3),
          "historical hot spot": (20, 5), "intensifying hot spot": (8, 6)}
cluster(4, 15, range(12), 9, "shooting")
cluster(19, 15, [11], 22)
cluster(12, 3, [8, 9, 10, 11], 12)
cluster(20, 5, range(11), 10, "threat")
cluster(8, 6, range(12), lambda m: 5 + 2 * m, "threat")
for _ in range(500):  # the background
    events.append((rng.choice(["shooting", "narcotics", "threat"]), X0 + rng.uniform(0, COLS * S),
                   Y0 + rng.uniform(0, ROWS * S), f"{rng.choice(MONTHS)}-{rng.randint(1, 28):02d}"))
undated = 7
for k in range(undated):
    events.append(("narcotics", X0 + 1000.0 + k, Y0 + 1000.0, ""))
rng.shuffle(events)
with open(work / "events.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["type", "x", "y", "date"])
    # dates in three styles: ISO date, local time, RFC 3339 with an offset (noon: the same day anywhere)
    for k, (t, x, y, d) in enumerate(events):
        style = "" if not d else d if k % 3 == 0 else f"{d} 12:00" if k % 3 == 1 else f"{d}T12:00:00+01:00"
        w.writerow([t, f"{x:.2f}", f"{y:.2f}", style])


def ll_ring(pts):
    return [[round(v, 7) for v in to_ll.transform(x, y)] for x, y in pts + pts[:1]]


def star(cx, cy, rmin, rmax, n):
    return [(X0 + cx * S + rng.uniform(rmin, rmax) * math.cos(2 * math.pi * i / n),
             Y0 + cy * S + rng.uniform(rmin, rmax) * math.sin(2 * math.pi * i / n)) for i in range(n)]


areas = [("Östra", "SUO", star(4, 15, 400, 900, 9)), ("Hamnen", "RO", star(20, 5, 300, 700, 8)),
         ("Skogen", "UO", star(8, 6, 500, 800, 10)), ("Torget", "reported", star(12, 12, 300, 600, 7))]
(work / "areas.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"name": n, "category": c},
     "geometry": {"type": "Polygon", "coordinates": [ll_ring(r)]}} for n, c, r in areas]}))

# --- events by period -----------------------------------------------------------
r = run("indicators", "--events", work / "events.csv", "--areas", work / "areas.geojson", "--grid",
        work / "after.csv", "--by", "month", "--out", work / "indicators.csv", quiet=False)
if f"{undated} events without a date" not in r.stderr:
    failures.append(f"indicators --by: the undated events are not reported: {r.stderr}")
import geopandas as gpd  # noqa: E402
gdf = gpd.read_file(work / "areas.geojson").to_crs(3006)
cats = {c: shapely.union_all(gdf[gdf.category == c].geometry.values) for c in gdf.category.unique()}
everything = shapely.union_all(gdf.geometry.values)
dated = [(t, Point(x, y), d[:7]) for t, x, y, d in events if d]
want = Counter()
for t, p, m in dated:
    inside = [c for c, g in cats.items() if g.intersects(p)] or ["outside"]
    for c in inside:
        want[(m, c, t)] += 1
        want[(m, c, "all")] += 1
rows = list(csv.DictReader(open(work / "indicators_by_period.csv")))
pops = {r["category"]: float(r["population"]) for r in csv.DictReader(open(work / "indicators.csv")) if r["event_type"] == "all"}
if {r["period"] for r in rows} != set(MONTHS):
    failures.append(f"indicators_by_period.csv periods {sorted({r['period'] for r in rows})}")
by_key = {(r["period"], r["category"], r["event_type"]): r for r in rows}
for (m, c, t), r in by_key.items():
    n = want.get((m, c, t), 0)
    if int(r["events"]) != n:
        failures.append(f"indicators_by_period {m} {c} {t}: {r['events']} events, group-by {n}")
    k = MONTHS.index(m)
    ch = "" if k == 0 else str(n - want.get((MONTHS[k - 1], c, t), 0))
    if r["change"] != ch:
        failures.append(f"indicators_by_period {m} {c} {t}: change {r['change']}, expected {ch}")
    if pops[c] > 0 and abs(float(r["per_1000"]) - n / pops[c] * 1000) > 1e-9 * max(1, n / pops[c] * 1000):
        failures.append(f"indicators_by_period {m} {c} {t}: per_1000 {r['per_1000']}")
per_area = Counter()
for t, p, m in dated:
    for n, g in zip(gdf.name, gdf.geometry):
        if g.intersects(p):
            per_area[(n, m, t)] += 1
            per_area[(n, m, "all")] += 1
for r in csv.DictReader(open(work / "events_by_area_period.csv")):
    if int(r["events"]) != per_area.get((r["area"], r["period"], r["event_type"]), 0):
        failures.append(f"events_by_area_period {r}: group-by {per_area.get((r['area'], r['period'], r['event_type']), 0)}")
trends = 0
for r in csv.DictReader(open(work / "trends_by_area.csv")):
    series = [per_area.get((r["area"], m, r["event_type"]), 0) for m in MONTHS]
    mk = pymannkendall.original_test(series, alpha=0.05)
    if abs(float(r["tau"]) - mk.Tau) > 1e-9 or abs(float(r["p"]) - mk.p) > 1e-9 or r["trend"] != mk.trend:
        failures.append(f"trends_by_area {r['area']} {r['event_type']}: {r['tau']} {r['p']} {r['trend']}, "
                        f"pymannkendall {mk.Tau} {mk.p} {mk.trend}")
    trends += r["trend"] != "no trend"
print(f"events by period: {len(dated)} dated events, {undated} undated, {len(rows)} rows; {trends} area trends")

# --- emerging hot spots ------------------------------------------------------------
def pattern(b, z):
    """ArcGIS's definitions, written here from its documentation."""
    n = len(b)
    hot, cold = [x > 0 for x in b], [x < 0 for x in b]
    mk = pymannkendall.original_test(z, alpha=0.10)
    up, down = mk.trend == "increasing", mk.trend == "decreasing"

    def rules(me, other, rising, falling, side):
        c = sum(me)
        run_ = 0
        for v in reversed(me):
            if not v:
                break
            run_ += 1
        if c >= 0.9 * n:
            return f"intensifying {side}" if rising else f"diminishing {side}" if falling else f"persistent {side}"
        if c == 1:
            return f"new {side}"
        if run_ == c:
            return f"consecutive {side}"
        return f"oscillating {side}" if any(other) else f"sporadic {side}"
    if hot[-1]:
        return rules(hot, cold, up, down, "hot spot"), mk
    if cold[-1]:
        return rules(cold, hot, down, up, "cold spot"), mk
    if sum(hot) >= 0.9 * n:
        return "historical hot spot", mk
    if sum(cold) >= 0.9 * n:
        return "historical cold spot", mk
    return "no pattern", mk


cells = sorted(after)
n_c, n_t = len(cells), len(MONTHS)
counts = np.zeros((n_t, n_c))
pos = {k: i for i, k in enumerate(cells)}
for t, p, m in dated:
    k = (math.floor(p.x / S) * S, math.floor(p.y / S) * S)
    if k in pos:
        counts[MONTHS.index(m), pos[k]] += 1
xy = np.array([(x + S / 2, y + S / 2) for x, y in cells])
wsp = libpysal.weights.DistanceBand(xy, 500, binary=True, silence_warnings=True)


def check_emerging(window, planted):
    tag = f"emerging (time window {window})"
    run("emerging", "--events", work / "events.csv", "--grid", work / "after.csv", "--by", "month",
        "--time-window", window, "--out", work / f"emerging-{window}.geojson", "--bins-out", work / f"bins-{window}.csv")
    em = layer(work / f"emerging-{window}.geojson")
    bins = defaultdict(dict)
    for r in csv.DictReader(open(work / f"bins-{window}.csv")):
        bins[r["cell_id"]][r["period"]] = r
    # space-time neighbours of bin (t, i): i's band neighbours at t, and i and
    # its neighbours in the `window` periods before
    neigh = {}
    for t in range(n_t):
        for i in range(n_c):
            nb = [t * n_c + j for j in wsp.neighbors[i]]
            for back in range(1, window + 1):
                if t - back >= 0:
                    nb += [(t - back) * n_c + j for j in wsp.neighbors[i]] + [(t - back) * n_c + i]
            neigh[t * n_c + i] = nb
    wst = libpysal.weights.W(neigh, silence_warnings=True)
    g = esda.G_Local(counts.reshape(-1), wst, transform="B", star=True, permutations=0)
    zs = g.Zs.reshape(n_t, n_c)
    for i, k in enumerate(cells):
        e = em[cid(*k)]
        for t, m in enumerate(MONTHS):
            b = bins[cid(*k)][m]
            if int(float(b["count"])) != counts[t, i]:
                failures.append(f"{tag} bins {cid(*k)} {m}: count {b['count']} vs {counts[t, i]}")
            if abs(float(b["gi_z"]) - zs[t, i]) > 1e-9:
                failures.append(f"{tag} bins {cid(*k)} {m}: gi_z {b['gi_z']} vs esda {zs[t, i]}")
        b = [int(bins[cid(*k)][m]["gi_bin"]) for m in MONTHS]
        p = 2 * norm.sf(np.abs(zs[:, i]))
        want_b = [int(np.sign(zs[t, i]) * (3 if p[t] < 0.01 else 2 if p[t] < 0.05 else 1 if p[t] < 0.1 else 0))
                  for t in range(n_t)]
        if b != want_b:
            failures.append(f"{tag} {cid(*k)}: bins {b}, esda's z give {want_b}")
        want_p, mk = pattern(b, list(zs[:, i]))
        if e["pattern"] != want_p:
            failures.append(f"{tag} {cid(*k)}: pattern {e['pattern']!r}, the definitions give {want_p!r} ({b})")
        if abs(e["trend_tau"] - mk.Tau) > 1e-9 or abs(e["trend_p"] - mk.p) > 1e-9:
            failures.append(f"{tag} {cid(*k)}: trend {e['trend_tau']} {e['trend_p']}, pymannkendall {mk.Tau} {mk.p}")
        if (e["periods"], e["periods_hot"], e["periods_cold"], e["last_bin"]) != \
                (n_t, sum(x > 0 for x in b), sum(x < 0 for x in b), b[-1]):
            failures.append(f"{tag} {cid(*k)}: periods {e['periods']} hot {e['periods_hot']} "
                            f"cold {e['periods_cold']} last {e['last_bin']}")
        if abs(e["last_z"] - zs[-1, i]) > 1e-9:
            failures.append(f"{tag} {cid(*k)}: last_z {e['last_z']} vs {zs[-1, i]}")
    for name in planted:
        c, r = plants[name]
        got = em[cid(X0 + c * S, Y0 + r * S)]["pattern"]
        if got != name:
            failures.append(f"{tag}: the planted {name} at cell ({c}, {r}) is {got!r}")
    print(f"{tag}: " + ", ".join(f"{n} {p}" for p, n in Counter(e["pattern"] for e in em.values()).most_common()))


# with a time window of one period the last month still sees the month before,
# so a cluster that stopped in the last month is not historical there
check_emerging(1, ["persistent hot spot", "new hot spot", "consecutive hot spot", "intensifying hot spot"])
check_emerging(0, list(plants))

if failures:
    print(f"{len(failures)} disagreements:")
    for f in failures[:40]:
        print("  " + f)
    sys.exit(1)
print("change, events by period and emerging hot spots agree with the independent implementations")
