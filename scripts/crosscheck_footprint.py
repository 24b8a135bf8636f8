#!/usr/bin/env python3
"""Cross-checks `stratmap footprint` with an independent implementation on a
town it has never seen.

Makes a random town (seeded): star-shaped areas (one a MultiPolygon with a
hole, two overlapping), written as WGS 84 GeoJSON; towers in lon/lat; about
200 000 records over the end of summer time (25 Oct 2026) in every timestamp
style (naive local time, RFC 3339 with Z or an offset, Unix seconds), some
with their own lon/lat instead of a tower, some with unknown towers or bad or
non-existent local times. Then computes the footprint the way the method
reads, with shapely (discs buffered with 8 192 vertices, intersected with the
areas), zoneinfo for the days and plain dictionaries, and compares every
area's footprint, phone_days, unique_phones, share_pct and suppressed, and
every cell of footprint_by_category.csv, to 1e-6 relative. Exits 1 on any
disagreement.

usage: crosscheck_footprint.py STRATMAP_BINARY WORK_DIR [RECORDS]
"""
import csv
import json
import numpy as np
import math
import random
import subprocess
import sys
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pyproj
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, shape

binary, work = sys.argv[1], Path(sys.argv[2])
n_records = int(sys.argv[3]) if len(sys.argv) > 3 else 200_000
work.mkdir(parents=True, exist_ok=True)
rng = random.Random(20261025)
TZ = ZoneInfo("Europe/Stockholm")
R = 500.0
# disclosure control off, the default, and one that blanks some areas and categories
KS = (0, 3, 2200)
to_ll = pyproj.Transformer.from_crs(3006, 4326, always_xy=True)
to_xy = pyproj.Transformer.from_crs(4326, 3006, always_xy=True)
X0, Y0 = 412_000.0, 7_210_000.0  # somewhere in Jämtland, not the sample town


def star(cx, cy, rmin, rmax, n):
    pts = []
    for i in range(n):
        t = 2 * math.pi * (i + 0.3 * rng.random()) / n
        r = rng.uniform(rmin, rmax)
        pts.append((cx + r * math.cos(t), cy + r * math.sin(t)))
    return pts


def ll(ring):
    return [[round(v, 7) for v in to_ll.transform(x, y)] for x, y in ring + ring[:1]]


# --- the town --------------------------------------------------------------
areas = []  # (name, category, geojson geometry)
cats = ["SUO", "RO", "UO", "reported", "park"]
for k in range(11):
    cx, cy = X0 + rng.uniform(0, 8000), Y0 + rng.uniform(0, 8000)
    ring = star(cx, cy, 250, 900, rng.randint(5, 14))
    areas.append((f"Area {k:02d}", cats[k % len(cats)], {"type": "Polygon", "coordinates": [ll(ring)]}))
# a multipolygon with a hole in its first part
cx, cy = X0 + 9500, Y0 + 2000
outer = [(cx - 800, cy - 800), (cx + 800, cy - 800), (cx + 800, cy + 800), (cx - 800, cy + 800)]
hole = [(cx - 200, cy - 200), (cx - 200, cy + 200), (cx + 200, cy + 200), (cx + 200, cy - 200)]
second = [(cx - 800, cy + 1500), (cx + 300, cy + 1500), (cx + 300, cy + 2300), (cx - 800, cy + 2300)]
areas.append(("Hamnen", "SUO", {"type": "MultiPolygon", "coordinates": [[ll(outer), ll(hole)], [ll(second)]]}))
# an area overlapping another one
cx, cy = X0 + 9500, Y0 + 3700
areas.append(("Torget", "reported", {"type": "Polygon", "coordinates": [ll([(cx - 300, cy - 300), (cx + 300, cy - 300), (cx + 300, cy + 300), (cx - 300, cy + 300)])]}))

with open(work / "areas.geojson", "w", encoding="utf-8") as f:
    feats = [{"type": "Feature", "properties": {"name": n, "category": c}, "geometry": g} for n, c, g in areas]
    json.dump({"type": "FeatureCollection", "features": feats}, f)

towers = {}
for k in range(70):
    x, y = X0 + rng.uniform(-1500, 11500), Y0 + rng.uniform(-1500, 11500)
    lon, lat = (round(v, 7) for v in to_ll.transform(x, y))
    towers[f"T{k:03d}"] = (lon, lat)
with open(work / "towers.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["tower_id", "lon", "lat"])
    for t, (lon, lat) in towers.items():
        w.writerow([t, lon, lat])

start = datetime(2026, 10, 22, tzinfo=TZ)
rows = []
for i in range(n_records):
    phone = f"ph{rng.randint(0, 2999):05d}"
    local = start + timedelta(seconds=rng.uniform(0, 7 * 86400))
    # wall-clock time as a naive value, and the real instant
    instant = local.astimezone(timezone.utc)
    style = rng.random()
    if style < 0.4:
        ts = local.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S")
    elif style < 0.6:
        ts = instant.strftime("%Y-%m-%dT%H:%M:%SZ")
    elif style < 0.8:
        ts = local.isoformat(timespec="seconds")
    else:
        ts = str(int(instant.timestamp()))
    special = rng.random()
    if special < 0.002:
        ts = "2026-10-32 08:00"
    elif special < 0.003:
        ts = "2026-03-29 02:15"  # does not exist in Stockholm
    tower, lon, lat = rng.choice(list(towers)), "", ""
    if rng.random() < 0.01:
        x, y = X0 + rng.uniform(-1000, 11000), Y0 + rng.uniform(-1000, 11000)
        lon, lat = (round(v, 7) for v in to_ll.transform(x, y))
        tower = ""
    elif rng.random() < 0.002:
        tower = "T999"
    rows.append((phone, ts, tower, lon, lat))
with open(work / "records.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["phone_id", "timestamp", "tower_id", "lon", "lat"])
    w.writerows(rows)

# --- stratmap ----------------------------------------------------------------
for k in KS:
    out = work / f"out{k}"
    subprocess.run([binary, "--quiet", "footprint", "--areas", str(work / "areas.geojson"),
                    "--towers", str(work / "towers.csv"), "--records", str(work / "records.csv"),
                    "--min-phones", str(k), "--out", str(out)], check=True)

# the whole pipeline from a config writes the same layer and table
(work / "stratmap.toml").write_text(
    '[inputs]\nareas = "areas.geojson"\ntowers = "towers.csv"\nrecords = "records.csv"\n'
    '[output]\ndir = "run"\n[footprint]\nmin_phones = 3\n')
subprocess.run([binary, "--quiet", "run", str(work / "stratmap.toml")], check=True, stdout=subprocess.DEVNULL)
run_differs = [f for f in ("footprint.geojson", "footprint_by_category.csv")
               if (work / "run" / f).read_bytes() != (work / "out3" / f).read_bytes()]

# --- the independent computation ---------------------------------------------
polys = {}
for n, c, g in areas:
    geom = shapely.transform(shape(g), lambda a: __import__("numpy").column_stack(to_xy.transform(a[:, 0], a[:, 1])))
    polys[n] = (c, geom)
union = shapely.union_all([g for _, g in polys.values()])


def weights(lon, lat):
    x, y = to_xy.transform(float(lon), float(lat))
    disc = Point(x, y).buffer(R, quad_segs=2048)
    a = disc.area
    w = {n: disc.intersection(g).area / a for n, (_, g) in polys.items() if disc.intersects(g)}
    w = {n: v for n, v in w.items() if v > 1e-12}
    return w, 1.0 - disc.intersection(union).area / a


tower_w = {t: weights(*p) for t, p in towers.items()}


def local_date(ts):
    if ts.isdigit():
        return datetime.fromtimestamp(int(ts), TZ).date()
    if ts.endswith("Z") or "+" in ts[10:] or ts.count("-") > 2:
        return datetime.fromisoformat(ts).astimezone(TZ).date()
    naive = datetime.strptime(ts, "%Y-%m-%d %H:%M:%S" if ts.count(":") == 2 else "%Y-%m-%d %H:%M")
    there = naive.replace(tzinfo=TZ)
    back = there.astimezone(timezone.utc).astimezone(TZ).replace(tzinfo=None)
    if back != naive:
        raise ValueError("non-existent local time")
    return naive.date()


days = defaultdict(list)
skipped = 0
for phone, ts, tower, lon, lat in rows:
    try:
        d = local_date(ts)
    except ValueError:
        skipped += 1
        continue
    if tower:
        if tower not in tower_w:
            skipped += 1
            continue
        w = tower_w[tower]
    else:
        w = weights(lon, lat)
    days[(phone, d)].append(w)

names = sorted(polys)
fp = defaultdict(float)
pdays = defaultdict(int)
phones = defaultdict(set)
cat_phones = defaultdict(set)
outside = 0.0
for (phone, d), ws in days.items():
    n = len(ws)
    touched = set()
    for w, out in ws:
        outside += out / n
        for a, v in w.items():
            fp[a] += v / n
            touched.add(a)
    for a in touched:
        pdays[a] += 1
        phones[a].add(phone)
        cat_phones[polys[a][0]].add(phone)
total = len(days)

failures = [f"stratmap run wrote another {f} than stratmap footprint" for f in run_differs]


def close(a, b, what):
    if a is None or b is None:
        if a is not b:
            failures.append(f"{what}: stratmap {a} vs reference {b}")
        return
    if abs(a - b) > 1e-6 * max(1.0, abs(b)):
        failures.append(f"{what}: stratmap {a} vs reference {b}")


for k in KS:
    layer = json.loads((work / f"out{k}" / "footprint.geojson").read_text())
    got = {f["properties"]["name"]: f["properties"] for f in layer["features"]}
    if sorted(got) != names:
        failures.append(f"areas: {sorted(got)} vs {names}")
        continue
    shown = {}
    for a in names:
        p = got[a]
        primary = len(phones[a]) < k
        # secondary suppression may blank more; the audit below checks it is needed nowhere less
        sup = primary or p["suppressed"] is True
        shown[a] = not sup
        if primary and not p["suppressed"]:
            failures.append(f"{a} (min {k}): not suppressed with {len(phones[a])} phones")
        close(p["footprint"], None if sup else fp[a], f"{a} footprint (min {k})")
        close(p["phone_days"], None if sup else pdays[a], f"{a} phone_days (min {k})")
        close(p["unique_phones"], None if sup else len(phones[a]), f"{a} unique_phones (min {k})")
        close(p["share_pct"], None if sup else fp[a] / total * 100, f"{a} share_pct (min {k})")
    with open(work / f"out{k}" / "footprint_by_category.csv", newline="") as f:
        table = {r["category"]: r for r in csv.DictReader(f)}
    num = lambda v: None if v == "" else float(v)
    groups = {c: [a for a in names if polys[a][0] == c] for c in {c for c, _ in polys.values()}}
    groups["total"] = names
    for c, members in groups.items():
        r = table.get(c)
        if r is None:
            failures.append(f"no row {c}")
            continue
        primary = c != "total" and len(cat_phones[c]) < k
        if primary and r["footprint"] != "":
            failures.append(f"{c} (min {k}): category row shown with {len(cat_phones[c])} phones")
        sup = primary or (c != "total" and r["footprint"] == "")
        vis = [a for a in members if shown[a]]
        f_all = total if c == "total" else sum(fp[a] for a in members)
        ref = {
            "areas": len(members),
            "footprint": None if sup else f_all,
            "share_pct": None if sup else f_all / total * 100,
            "footprint_mean": None if sup or not vis else sum(fp[a] for a in vis) / len(vis),
            "footprint_min": None if sup or not vis else min(fp[a] for a in vis),
            "footprint_max": None if sup or not vis else max(fp[a] for a in vis),
            "unique_phones_mean": None if sup or not vis else sum(len(phones[a]) for a in vis) / len(vis),
            "unique_phones_min": None if sup or not vis else min(len(phones[a]) for a in vis),
            "unique_phones_max": None if sup or not vis else max(len(phones[a]) for a in vis),
        }
        for col, v in ref.items():
            close(num(r[col]), v, f"{c} {col} (min {k})")
    out_blank = table["outside"]["footprint"] == ""
    close(num(table["outside"]["footprint"]), None if out_blank else outside, f"outside footprint (min {k})")
    close(num(table["outside"]["share_pct"]), None if out_blank else outside / total * 100,
          f"outside share_pct (min {k})")
    # Audit (numpy's rank, independent of stratmap's elimination): a blanked
    # figure x follows from the published ones by adding and subtracting iff
    # adding the row e_x to the relations over the blanked figures leaves
    # the rank unchanged. Relations: category = sum of its areas; total =
    # outside + sum of categories.
    cats = sorted(c for c in groups if c != "total")
    cells = [("area", a) for a in names] + [("cat", c) for c in cats] + [("outside", None)]
    blank = [not shown[a] for a in names] + [table[c]["footprint"] == "" for c in cats] + [out_blank]
    rel = []
    for c in cats:
        rel.append([(-1 if (t == "area" and polys[v][0] == c) else 1 if (t == "cat" and v == c) else 0)
                    for t, v in cells])
    rel.append([1 if t in ("cat", "outside") else 0 for t, _ in cells])
    A = np.array(rel, dtype=float)[:, np.array(blank, dtype=bool)]
    hidden = [cells[i] for i in range(len(cells)) if blank[i]]
    if hidden:
        rank = np.linalg.matrix_rank(A)
        for j, cell in enumerate(hidden):
            e = np.zeros((1, len(hidden)))
            e[0, j] = 1.0
            if np.linalg.matrix_rank(np.vstack([A, e])) == rank:
                failures.append(f"min {k}: blanked {cell} follows from the published figures")
    secondary = sum(1 for a in names if not shown[a] and len(phones[a]) >= k)
    print(f"  min_phones {k}: {sum(1 for a in names if not shown[a])} areas blanked ({secondary} secondary), "
          f"{sum(blank) - sum(1 for a in names if not shown[a])} category/outside rows blanked; audited")

print(f"footprint cross-check: {len(rows)} records ({skipped} left out), {total} phone-days, "
      f"{len(names)} areas, disclosure control at {KS}; {len(failures)} disagreements")
for m in failures[:20]:
    print("  " + m)
sys.exit(1 if failures else 0)
