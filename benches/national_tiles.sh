#!/usr/bin/env bash
# Vector tiles of a national grid: `stratmap index --out lc.mbtiles` (read,
# index, tiles zoom 8–14 through GDAL's MVT driver) on 500 000 populated
# cells, against `stratmap index --out lc.gpkg` (the same read and index, a
# GeoPackage: the tiles' time is the difference) and against the baseline of
# `ogr2ogr -f MBTiles` from that GeoPackage at the same zoom levels, in the
# same run. One run each (the tiles take minutes through ogr2ogr).
set -euo pipefail
cd "$(dirname "$0")/.."
work=${WORK:-target/national}
mkdir -p "$work"
[[ -f $work/grid.csv ]] || python3 benches/national_grid.py "$work/grid.csv" "${CELLS:-500000}"
cargo build -q --release -p stratmap-cli
bin=${CARGO_TARGET_DIR:-target}/release/stratmap
t() { local s; s=$(date +%s.%N); "$@" >/dev/null; echo "$(date +%s.%N) - $s" | bc; }
rm -f "$work/lc.gpkg" "$work/lc.mbtiles" "$work/ogr.mbtiles"
gpkg=$(t "$bin" --quiet index --grid "$work/grid.csv" --out "$work/lc.gpkg")
tiles=$(t "$bin" --quiet index --grid "$work/grid.csv" --out "$work/lc.mbtiles")
ogr=$(t ogr2ogr -f MBTiles "$work/ogr.mbtiles" "$work/lc.gpkg" -dsco MINZOOM=8 -dsco MAXZOOM=14)
echo "index → GeoPackage:        ${gpkg} s"
echo "index → MBTiles (8–14):    ${tiles} s"
echo "ogr2ogr GeoPackage → MBTiles (8–14): ${ogr} s"
echo "ogr2ogr / stratmap tiles: $(echo "scale=2; $ogr / $tiles" | bc)"
ls -l "$work/lc.mbtiles" "$work/ogr.mbtiles"
