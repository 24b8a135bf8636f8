#!/usr/bin/env python3
"""The footprint job as an analyst would write it in geopandas + shapely:
buffered discs (geopandas' default 16 segments per quarter circle), an
overlay with the areas, then pandas group-bys. The Python peer of the large
footprint benchmark (benches/footprint_bench.py).

usage: footprint_peer.py AREAS.geojson TOWERS.csv RECORDS.csv OUT.csv
"""
import sys

import geopandas as gpd
import pandas as pd

areas_path, towers_path, records_path, out_path = sys.argv[1:5]
R = 500.0

areas = gpd.read_file(areas_path).set_crs(3006, allow_override=True)[["name", "category", "geometry"]]
towers = pd.read_csv(towers_path, dtype={"tower_id": str})
discs = gpd.GeoDataFrame(
    {"tower_id": towers.tower_id},
    geometry=gpd.points_from_xy(towers.x, towers.y).buffer(R),
    crs=3006,
)
discs["disc_area"] = discs.area
pieces = gpd.overlay(discs, areas, how="intersection", keep_geom_type=True)
pieces["w"] = pieces.area / pieces.disc_area
weights = pieces[["tower_id", "name", "w"]]

records = pd.read_csv(records_path, dtype=str)
# naive local timestamps: the calendar day is the date part
records["day"] = pd.to_datetime(records.timestamp, format="%Y-%m-%d %H:%M:%S").dt.normalize()
records["n"] = records.groupby(["phone_id", "day"]).phone_id.transform("size")
m = records.merge(weights, on="tower_id")
m["c"] = m.w / m.n
out = pd.DataFrame({
    "footprint": m.groupby("name").c.sum(),
    "phone_days": m.drop_duplicates(["name", "phone_id", "day"]).groupby("name").size(),
    "unique_phones": m.groupby("name").phone_id.nunique(),
})
out.index.name = "name"
out.to_csv(out_path)
