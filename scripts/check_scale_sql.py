#!/usr/bin/env python3
"""Runs the footprint SQL of docs/scale.md on DuckDB over the sample town and
checks it against `stratmap footprint`. Exits 1 on any disagreement.

With --spark it also runs the query on Spark SQL (pyspark, local mode;
needs Java), which make test does not, as CI machines have no Java.

usage: check_scale_sql.py STRATMAP_BINARY WORK_DIR [--spark]
"""
import json
import re
import subprocess
import sys
from pathlib import Path

import duckdb

root = Path(__file__).resolve().parent.parent
binary, work = sys.argv[1], Path(sys.argv[2])
work.mkdir(parents=True, exist_ok=True)
town = root / "fixtures/sample-town"
subprocess.run([binary, "--quiet", "footprint", "--areas", town / "areas.geojson", "--towers", town / "towers.csv",
                "--records", town / "records.csv", "--weights-out", work / "weights.csv", "--out", work / "out"],
               check=True, stdout=subprocess.DEVNULL)
sql = re.search(r"```sql\n(.*?)```", (root / "docs/scale.md").read_text(), re.S).group(1)

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

layer = json.loads((work / "out/footprint.geojson").read_text())
want = {f["properties"]["name"]: f["properties"] for f in layer["features"]}
failed = False
for engine, rows in engines.items():
    got = {r[0]: dict(zip(cols, r)) for r in rows}
    failures = []
    for name, p in want.items():
        g = got.get(name)
        if g is None:
            if not p["suppressed"]:
                failures.append(f"{name}: not in the SQL result")
            continue
        for c in cols[1:]:
            a, b = g[c], p[c]
            if isinstance(b, float) and a is not None:
                # stratmap sums in fixed point (a record's disc fraction to 2⁻³²)
                ok = abs(float(a) - b) <= 1e-8 * max(1.0, abs(b))
            else:
                ok = a == b
            if not ok:
                failures.append(f"{name} {c}: SQL {a} vs stratmap {b}")
    print(f"scale SQL on {engine}: {len(got)} areas, {len(failures)} disagreements")
    for f in failures:
        print("  " + f)
    failed |= bool(failures)
sys.exit(1 if failed else 0)
