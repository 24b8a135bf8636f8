#!/usr/bin/env python3
"""The national-size benchmark, one command: `python3 benches/national_bench.py`.

Generates a Sweden-sized job (deterministic): 500 000 populated 250 m cells
spread over SWEREF 99 TM's extent of Sweden (benches/national_grid.py),
6 000 areas and 20 000 towers (make-footprint-data), 50 M connection records
of 200 000 phones over a week, and 200 000 events of seven types. Then
measures each stratmap step (release build) and the same step in the Python
peers, each as a child process, wall time and peak resident memory (maxrss
from wait4), in the same run:

| step | stratmap | peer |
|---|---|---|
| index → GeoJSON | `stratmap index` | pandas + numpy index, geopandas to GeoJSON |
| youth groups | `stratmap youth` | – |
| footprint | `stratmap footprint`, 50 M and 10 M records and the 1 M slice | geopandas + shapely on the 1 M slice |
| hot spots | `stratmap hotspots` (500 000 cells, 200 000 events) | esda G_Local + libpysal DistanceBand |
| indicators | `stratmap indicators` | tobler area_interpolate + geopandas sjoin |

Writes WORK/results.md and prints it.

usage: national_bench.py [WORK]
"""
import os
import sys
import textwrap
from pathlib import Path

import measuring  # noqa: E402 (beside this script)
from measuring import measure

root = Path(__file__).resolve().parent.parent
work = Path(sys.argv[1]) if len(sys.argv) > 1 else root / "target/national-bench"
work.mkdir(parents=True, exist_ok=True)
RECORDS = int(os.environ.get("RECORDS", 50_000_000))
SLICE = 1_000_000

bin_ = measuring.footprint_tools(root) / "stratmap"

# --- data ----------------------------------------------------------------------
data = measuring.national_data(root, work, RECORDS)
grid, events = data["grid"], data["events"]


def head(n, name):
    return measuring.head(work / "records.csv", n, work / name)


slice_ = head(SLICE, "records-1m.csv")
tenth = head(RECORDS // 5, "records-10m.csv")


def peer(name, code):
    path = work / f"peer_{name}.py"
    path.write_text(textwrap.dedent(code))
    return [sys.executable, path]


rows = []


def row(step, who, n, wall, mem, note=""):
    rows.append((step, who, n, wall, mem, note))


w, m = measure([bin_, "--quiet", "index", "--grid", grid, "--out", work / "lc.geojson"])
row("index → GeoJSON", "stratmap", "500 000 cells", w, m)
w, m = measure(peer("index", f"""
    import numpy as np, pandas as pd, geopandas as gpd
    from shapely import box
    df = pd.read_csv("{grid}", dtype={{"cell_id": str}})
    vars_ = ["income","low_education","employment_rate","foreign_background","overcrowding","single_parents","age_0_15","age_16_19"]
    sign = np.array([-1,1,-1,1,1,1,1,1.0])
    valid = (df.population >= 20).to_numpy()
    X = df[vars_].to_numpy(float)
    z = np.where(valid[:, None], (X - np.nanmean(X[valid], 0)) / np.nanstd(X[valid], 0), np.nan) * sign
    g = [np.nanmean(z[:, i], 1) for i in ([0,1,2],[3,4],[5,6,7])]
    idx = np.mean(g, 0)
    ok = valid & ~np.isnan(idx)
    breaks = np.percentile(idx[ok], [20,40,60,80])
    df["index"] = idx
    df["class"] = np.where(ok, np.searchsorted(breaks, idx, side="right") + 1, 0)
    x = df.cell_id.str[:6].astype(float); y = df.cell_id.str[6:].astype(float)
    gdf = gpd.GeoDataFrame(df, geometry=box(x, y, x + 250, y + 250), crs=3006).to_crs(4326)
    gdf.to_file("{work / 'lc-peer.geojson'}", driver="GeoJSON")
"""))
row("index → GeoJSON", "pandas + numpy + geopandas", "500 000 cells", w, m)
w, m = measure([bin_, "--quiet", "youth", "--grid", grid, "--out", work / "youth.geojson"])
row("youth groups", "stratmap", "500 000 cells", w, m)

areas, towers = work / "areas.geojson", work / "towers.csv"
for label, recs, n in [(f"{RECORDS / 1e6:g} M records", work / "records.csv", RECORDS),
                       (f"{RECORDS / 5e6:g} M records", tenth, RECORDS // 5),
                       ("1 M records (slice)", slice_, SLICE)]:
    w, m = measure([bin_, "--quiet", "footprint", "--areas", areas, "--towers", towers, "--records", recs,
                    "--out", work / "fp"])
    row("footprint", "stratmap", label, w, m, f"{n / w / 1e6:.2f} M records/s")
w, m = measure([sys.executable, root / "benches/footprint_peer.py", areas, towers, slice_, work / "fp-peer.csv"])
row("footprint", "geopandas + shapely", "1 M records (slice)", w, m, f"{SLICE / w / 1e6:.2f} M records/s")

w, m = measure([bin_, "--quiet", "hotspots", "--events", events, "--grid", grid, "--out", work / "hs.geojson"])
row("hot spots", "stratmap (to GeoJSON)", "500 000 cells, 200 000 events", w, m)
w, m = measure(peer("hotspots", f"""
    import numpy as np, pandas as pd, libpysal, esda, warnings
    warnings.filterwarnings("ignore")
    cells = pd.read_csv("{grid}", usecols=["cell_id"], dtype=str).cell_id
    x = cells.str[:6].astype(int); y = cells.str[6:].astype(int)
    ev = pd.read_csv("{events}")
    key = (np.floor(ev.x / 250) * 250).astype(int).astype(str).str.zfill(6) + (np.floor(ev.y / 250) * 250).astype(int).astype(str).str.zfill(7)
    counts = key.value_counts().reindex(cells, fill_value=0).to_numpy(float)
    w = libpysal.weights.DistanceBand(np.column_stack([x + 125.0, y + 125.0]), 500, binary=True, silence_warnings=True)
    g = esda.G_Local(counts, w, transform="B", star=True, permutations=0)
    pd.DataFrame({{"cell_id": cells, "count": counts, "gi_z": g.Zs}}).to_csv("{work / 'hs-peer.csv'}", index=False)
"""))
row("hot spots", "esda + libpysal (no GeoJSON)", "500 000 cells, 200 000 events", w, m)

w, m = measure([bin_, "--quiet", "indicators", "--events", events, "--areas", areas, "--grid", grid, "--out", work / "ind.csv"])
row("indicators", "stratmap", "6 000 areas, 500 000 cells", w, m)
w, m = measure(peer("indicators", f"""
    import pandas as pd, geopandas as gpd, shapely
    from shapely import box
    from tobler.area_weighted import area_interpolate
    areas = gpd.read_file("{areas}").set_crs(3006, allow_override=True)
    df = pd.read_csv("{grid}", usecols=["cell_id", "population"], dtype={{"cell_id": str}})
    x = df.cell_id.str[:6].astype(float); y = df.cell_id.str[6:].astype(float)
    cells = gpd.GeoDataFrame(df, geometry=box(x, y, x + 250, y + 250), crs=3006)
    cats = areas.dissolve("category").reset_index()
    pop = area_interpolate(cells, cats, extensive_variables=["population"], allocate_total=False)
    ev = pd.read_csv("{events}")
    pts = gpd.GeoDataFrame(ev, geometry=gpd.points_from_xy(ev.x, ev.y), crs=3006)
    j = gpd.sjoin(pts, cats[["category", "geometry"]], predicate="intersects")
    counts = j.groupby(["category", "type"]).size()
    out = counts.reset_index(name="events").merge(pd.DataFrame({{"category": cats.category, "population": pop.population, "area_km2": cats.area / 1e6}}))
    out.to_csv("{work / 'ind-peer.csv'}", index=False)
"""))
row("indicators", "tobler + geopandas", "6 000 areas, 500 000 cells", w, m)

by_step = {}
for r in rows:
    by_step.setdefault(r[0], []).append(r)
lines = ["| step | tool | data | wall | peak memory | note | time vs stratmap |", "|---|---|---|---:|---:|---|---:|"]
for step, rs in by_step.items():
    base = {r[2]: r[3] for r in rs if r[1].startswith("stratmap")}
    for step_, who, n, wall, mem, note in rs:
        ratio = f"{wall / base[n]:.1f}" if n in base else ""
        lines.append(f"| {step_} | {who} | {n} | {wall:.2f} s | {mem:.0f} MB | {note} | {ratio} |")
text = "\n".join(lines)
(work / "results.md").write_text(text + "\n")
print(text)
