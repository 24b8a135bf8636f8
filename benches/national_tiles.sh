#!/usr/bin/env bash
# Vector tiles of a national grid: `stratmap index --out lc.mbtiles` (read,
# index, tiles zoom 8–14 through stratmap's own MVT writer, in parallel) on
# 500 000 populated cells, against `stratmap index --out lc.gpkg` (the same
# read and index, a GeoPackage: the tiles' time is about the difference) and
# against the baseline of `ogr2ogr -f MBTiles` from that GeoPackage at the
# same zoom levels, in the same run. One run each (ogr2ogr takes minutes);
# then the tiles' count and sizes at each zoom level of both files.
# SKIP_OGR=1 leaves ogr2ogr out.
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
echo "index → GeoPackage:        ${gpkg} s"
echo "index → MBTiles (8–14):    ${tiles} s"
if [[ -z ${SKIP_OGR:-} ]]; then
  ogr=$(t ogr2ogr -f MBTiles "$work/ogr.mbtiles" "$work/lc.gpkg" -dsco MINZOOM=8 -dsco MAXZOOM=14)
  echo "ogr2ogr GeoPackage → MBTiles (8–14): ${ogr} s"
  echo "ogr2ogr / stratmap tiles: $(echo "scale=2; $ogr / $tiles" | bc)"
fi
for f in "$work/lc.mbtiles" "$work/ogr.mbtiles"; do
  [[ -f $f ]] || continue
  python3 - "$f" <<'PY'
import os, sqlite3, sys
f = sys.argv[1]
print(f"{f}: {os.path.getsize(f) / 1e6:.0f} MB; zoom, tiles, MB, largest kB, mean kB (gzip)")
db = sqlite3.connect(f"file:{f}?mode=ro", uri=True)
for z, n, total, big in db.execute("SELECT zoom_level, count(*), sum(length(tile_data)), "
                                   "max(length(tile_data)) FROM tiles GROUP BY zoom_level"):
    print(f"  {z:2d} {n:7d} {total / 1e6:7.1f} {big / 1e3:7.1f} {total / n / 1e3:7.1f}")
PY
done
