#!/usr/bin/env python3
"""The footprint on DuckDB or Polars from stratmap's exact tower → area
weight table (docs/scale.md), for benches/footprint_peers.py.

usage: peer_sql.py duckdb|polars RECORDS TOWERS WEIGHTS TZ THREADS OUT

RECORDS is `phone_id,timestamp,tower_id` with RFC 3339 timestamps
(offsets or Z). The local calendar day in TZ is the day of the instant in
TZ; records with an unknown tower are left out before the 1/n split. OUT
gets one row per area a disc reaches: area, footprint, phone_days,
unique_phones. Both engines read the CSV themselves, in parallel.
"""
import os
import sys

engine, records, towers, weights, tz, threads, out = sys.argv[1:8]

if engine == "duckdb":
    import duckdb

    con = duckdb.connect(config={"threads": int(threads)})
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"""
    COPY (
    WITH recs AS (
        SELECT phone_id, tower_id,
               CAST(timezone('{tz}', CAST("timestamp" AS TIMESTAMPTZ)) AS DATE) AS day
        FROM read_csv('{records}', header = true,
                      columns = {{'phone_id': 'VARCHAR', 'timestamp': 'VARCHAR', 'tower_id': 'VARCHAR'}})
    ),
    valid AS (
        SELECT r.* FROM recs r SEMI JOIN (SELECT tower_id FROM read_csv('{towers}', header = true, all_varchar = true)) t
        ON t.tower_id = r.tower_id
    ),
    w AS (SELECT tower_id, area, CAST(weight AS DOUBLE) AS weight
          FROM read_csv('{weights}', header = true, all_varchar = true)),
    days AS (SELECT phone_id, day, COUNT(*) AS n FROM valid GROUP BY phone_id, day),
    shares AS (
        SELECT w.area, v.phone_id, v.day, SUM(w.weight) / MAX(d.n) AS share
        FROM valid v
        JOIN days d ON d.phone_id = v.phone_id AND d.day = v.day
        JOIN w ON w.tower_id = v.tower_id
        WHERE w.weight > 0
        GROUP BY w.area, v.phone_id, v.day
    )
    SELECT area, SUM(share) AS footprint, COUNT(*) AS phone_days,
           COUNT(DISTINCT phone_id) AS unique_phones
    FROM shares GROUP BY area ORDER BY area
    ) TO '{out}' (HEADER, DELIMITER ',')
    """)
elif engine == "polars":
    os.environ["POLARS_MAX_THREADS"] = threads
    import polars as pl

    recs = pl.scan_csv(records, schema={"phone_id": pl.Utf8, "timestamp": pl.Utf8, "tower_id": pl.Utf8})
    tw = pl.scan_csv(towers, infer_schema=False).select("tower_id")
    w = (pl.scan_csv(weights, infer_schema=False)
         .select("tower_id", "area", pl.col("weight").cast(pl.Float64))
         .filter(pl.col("weight") > 0))
    valid = (recs.join(tw, on="tower_id", how="semi")
             .with_columns(day=pl.col("timestamp").str.to_datetime(time_zone="UTC")
                           .dt.convert_time_zone(tz).dt.date())
             .drop("timestamp"))
    days = valid.group_by("phone_id", "day").agg(n=pl.len())
    shares = (valid.join(w, on="tower_id")
              .group_by("area", "phone_id", "day").agg(s=pl.col("weight").sum())
              .join(days, on=["phone_id", "day"])
              .with_columns(share=pl.col("s") / pl.col("n")))
    res = (shares.group_by("area")
           .agg(footprint=pl.col("share").sum(), phone_days=pl.len(),
                unique_phones=pl.col("phone_id").n_unique())
           .sort("area"))
    res.collect().write_csv(out)
else:
    sys.exit(f"unknown engine {engine}: duckdb or polars")
