#!/usr/bin/env python3
"""Runs the footprint SQL of docs/scale.md on DuckDB over the sample town and
checks it against `stratmap footprint`. Exits 1 on any disagreement.

With --spark it also runs the query on Spark SQL (pyspark, local mode;
needs Java), which make test does not, as CI machines have no Java.

usage: check_scale_sql.py STRATMAP_BINARY WORK_DIR [--spark]
"""
import json
import math
import random
import re
import subprocess
import sys
from pathlib import Path

import duckdb

root = Path(__file__).resolve().parent.parent
binary, base = sys.argv[1], Path(sys.argv[2])
sql = re.search(r"```sql\n(.*?)```", (root / "docs/scale.md").read_text(), re.S).group(1)


def unseen_town(d):
    """A town the engine has not seen: triangular and rotated areas whose
    bounding boxes meet discs that do not reach them, towers on a jittered
    lattice, 3 000 records of 60 phones."""
    rng = random.Random(7)
    d.mkdir(parents=True, exist_ok=True)
    feats = []
    for i in range(12):
        cx, cy = 600_000 + (i % 4) * 1800, 6_600_000 + (i // 4) * 1800
        ang = rng.uniform(0, math.pi)
        pts = [(cx + 700 * math.cos(ang + k * 2 * math.pi / 3), cy + 700 * math.sin(ang + k * 2 * math.pi / 3))
               for k in range(3)]
        feats.append({"type": "Feature", "properties": {"name": f"A{i:02}", "category": ["SUO", "RO", "UO"][i % 3]},
                      "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in pts + pts[:1]]]}})
    (d / "areas.geojson").write_text(json.dumps({
        "type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3006"}},
        "features": feats}))
    towers = [(f"T{i:03}", 599_500 + (i % 10) * 700 + rng.uniform(-200, 200),
               6_599_500 + (i // 10) * 700 + rng.uniform(-200, 200)) for i in range(80)]
    (d / "towers.csv").write_text("tower_id,x,y\n" + "".join(f"{t},{x:.1f},{y:.1f}\n" for t, x, y in towers))
    rows = [f"p{rng.randrange(60)},2026-10-{rng.randrange(1, 4):02} {rng.randrange(24):02}:{rng.randrange(60):02},"
            f"{rng.choice(towers)[0]}\n" for _ in range(3000)]
    (d / "records.csv").write_text("phone_id,timestamp,tower_id\n" + "".join(rows))
    return d


def check(town, work):
    """Runs the SQL on one town; True when it disagrees with the engine."""
    work.mkdir(parents=True, exist_ok=True)
    for out, extra in [("out", []), ("out0", ["--min-phones", "0"])]:
        subprocess.run([binary, "--quiet", "footprint", "--areas", town / "areas.geojson", "--towers",
                        town / "towers.csv", "--records", town / "records.csv", "--weights-out",
                        work / "weights.csv", "--out", work / out, *extra], check=True, stdout=subprocess.DEVNULL)
    con = duckdb.connect()
    # the three tables, as text but for the weight; the query runs as written
    for table, path in [("records", town / "records.csv"), ("towers", town / "towers.csv")]:
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_csv('{path}', header = true, all_varchar = true)")
    con.execute(f"CREATE VIEW weights AS SELECT tower_id, area, category, CAST(weight AS DOUBLE) AS weight "
                f"FROM read_csv('{work / 'weights.csv'}', header = true, all_varchar = true)")
    engines = {f"DuckDB {duckdb.__version__}": con.execute(sql).fetchall()}
    if "--spark" in sys.argv:
        import pyspark
        from pyspark.sql import SparkSession
        from pyspark.sql.functions import col

        spark = SparkSession.builder.master("local[2]").appName("stratmap-scale").getOrCreate()
        spark.sparkContext.setLogLevel("ERROR")
        spark.read.csv(str(town / "records.csv"), header=True).createOrReplaceTempView("records")
        spark.read.csv(str(town / "towers.csv"), header=True).createOrReplaceTempView("towers")
        (spark.read.csv(str(work / "weights.csv"), header=True)
         .withColumn("weight", col("weight").cast("double")).createOrReplaceTempView("weights"))
        engines[f"Spark {pyspark.__version__}"] = [tuple(r) for r in spark.sql(sql).collect()]
        spark.stop()
    cols = ["name", "category", "footprint", "phone_days", "unique_phones", "share_pct", "suppressed"]

    props = lambda out: {f["properties"]["name"]: f["properties"]
                         for f in json.loads((work / out / "footprint.geojson").read_text())["features"]}
    # the SQL applies the primary rule; stratmap's published layer blanks
    # more (secondary suppression needs the whole table): values are
    # compared with the engine's unblanked run, flags with its published one
    published, values = props("out"), props("out0")
    failed = False
    for engine, rows in engines.items():
        got = {r[0]: dict(zip(cols, r)) for r in rows}
        failures = []
        for name, p in values.items():
            g = got.get(name)
            if g is None:
                if p["phone_days"] != 0:
                    failures.append(f"{name}: not in the SQL result")
                continue
            if g["suppressed"] and not published[name]["suppressed"]:
                failures.append(f"{name}: suppressed by the SQL, published by stratmap")
            raw = {"footprint": g["footprint"], "phone_days": g["phone_days"], "unique_phones": g["unique_phones"],
                   "share_pct": g["share_pct"]}
            if g["suppressed"]:
                continue
            for c, a in raw.items():
                b = p[c]
                if isinstance(b, float) and a is not None:
                    # stratmap sums in fixed point (a disc's fraction to 40 significant bits)
                    ok = abs(float(a) - b) <= 1e-9 * max(1.0, abs(b))
                else:
                    ok = a == b
                if not ok:
                    failures.append(f"{name} {c}: SQL {a} vs stratmap {b}")
        print(f"scale SQL on {engine}, {town.name}: {len(got)} areas, {len(failures)} disagreements")
        for f in failures:
            print("  " + f)
        failed |= bool(failures)
    return failed


failed = False
for town, work in [(root / "fixtures/sample-town", base / "sample"),
                   (unseen_town(base / "unseen-town"), base / "unseen")]:
    failed |= check(town, work)
sys.exit(1 if failed else 0)
