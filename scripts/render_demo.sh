#!/usr/bin/env bash
# Renders the demo's layers into docs/sample-town.png with GDAL alone:
# cells coloured by class (grey: no index), youth-group rings in blue, and the
# police areas outlined in black. Run after `make demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
demo=${1:-stratmap-demo}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

ext=(-te 589500 6599500 597500 6606500 -tr 10 10)
gdal_rasterize -q "${ext[@]}" -ot Byte -init 0 -burn 6 -where "status <> 'ok'" \
  -l living_conditions "$demo/stratmap.gpkg" "$work/map.tif"
gdal_rasterize -q -a class -where "status = 'ok'" -l living_conditions "$demo/stratmap.gpkg" "$work/map.tif"
ogr2ogr -q -f GPKG -dialect SQLite -nln rings \
  -sql "SELECT ST_ExteriorRing(ST_Buffer(geom, radius_m, 64)) AS geom FROM youth_groups" \
  "$work/rings.gpkg" "$demo/stratmap.gpkg"
ogr2ogr -q -f GPKG -t_srs EPSG:3006 -nln areas "$work/areas.gpkg" "$demo/inputs/areas.geojson"
ogr2ogr -q -f GPKG -update -dialect SQLite -nln outlines \
  -sql "SELECT ST_ExteriorRing(geom) AS geom FROM areas" "$work/areas.gpkg" "$work/areas.gpkg"
gdal_rasterize -q -burn 8 -l outlines "$work/areas.gpkg" "$work/map.tif"
gdal_rasterize -q -at -burn 7 -l rings "$work/rings.gpkg" "$work/map.tif"
cat > "$work/palette.txt" <<'PAL'
0 255 255 255
1 26 150 65
2 166 217 106
3 255 255 191
4 253 174 97
5 215 25 28
6 215 215 215
7 33 102 172
8 0 0 0
PAL
gdaldem color-relief -q -nearest_color_entry "$work/map.tif" "$work/palette.txt" "$work/rgb.tif"
gdal_translate -q -of PNG "$work/rgb.tif" docs/sample-town.png
rm -f docs/sample-town.png.aux.xml
echo "wrote docs/sample-town.png"
