#!/usr/bin/env bash
# The large-data benchmark: `stratmap index` and `stratmap youth` on a
# national-scale grid (500 000 populated cells), against the baseline of
# `stratmap validate` on the same file in the same run (read, parse, check:
# the least any command does). Needs hyperfine (apt-get install hyperfine).
set -euo pipefail
cd "$(dirname "$0")/.."
work=${WORK:-target/national}
mkdir -p "$work"
[[ -f $work/grid.csv ]] || python3 benches/national_grid.py "$work/grid.csv" "${CELLS:-500000}"
cargo build -q --release -p stratmap-cli
bin=target/release/stratmap
hyperfine --warmup 1 --runs "${RUNS:-5}" --export-markdown "$work/results.md" \
  -n validate "$bin validate $work/grid.csv" \
  -n index-geojson "$bin index --grid $work/grid.csv --out $work/lc.geojson" \
  -n index-gpkg "$bin index --grid $work/grid.csv --out $work/lc.gpkg" \
  -n index-tif "$bin index --grid $work/grid.csv --out $work/lc.tif" \
  -n youth "$bin youth --grid $work/grid.csv --out $work/youth.geojson"
cat "$work/results.md"
