#!/usr/bin/env python3
"""Writes the generated part of the corpus of bad inputs in fixtures/bad/
and its manifest cases.tsv: each file, the exit code expected, and what
stderr must say (file, line, column, what was expected). The CLI test
`bad_input_corpus` runs every case. Deterministic; run it after changing a
case: python3 scripts/make_bad_corpus.py

Cases added to fixtures/bad by hand (binary files, configs, cases made
while fixing an issue) are kept: their files are not touched and their
rows of cases.tsv stay, after the generated ones.
"""
from pathlib import Path

out = Path(__file__).resolve().parent.parent / "fixtures/bad"
out.mkdir(parents=True, exist_ok=True)
manifest = out / "cases.tsv"
kept = [l for l in manifest.read_text(encoding="utf-8").splitlines()
        if l and not l.startswith("#")] if manifest.exists() else []

H = "cell_id,population,income,low_education,employment_rate,foreign_background,overcrowding,single_parents,age_0_15,age_16_19"
XY = "x,y,population,income,low_education,employment_rate,foreign_background,overcrowding,single_parents,age_0_15,age_16_19"
G1 = "5900006600000,120,250000,0.1,0.8,0.4,0.05,0.1,20,8"
G2 = "5902506600000,300,180000,0.3,0.6,0.7,0.15,0.3,60,20"
cases = []


def case(name, content, exit_code, fragment):
    data = content if isinstance(content, bytes) else content.encode("utf-8")
    (out / name).write_bytes(data)
    cases.append((name, exit_code, fragment))


# --- grid statistics (stratmap index) ---------------------------------------
case("grid-ragged.csv", f"{H}\n{G1}\n5902506600000,300,180000,0.3\n", 1,
     "grid-ragged.csv, line 3: expected 10 fields as in the header, found 4")
case("grid-tabs.csv", f"{H}\n{G1}\n".replace(",", "\t"), 1,
     "grid-tabs.csv, line 1: the columns are separated by tabs")
case("grid-empty.csv", "", 1, "grid-empty.csv, line 1: the file is empty: expected a header row")
case("grid-header-only.csv", f"{H}\n", 1, "grid-header-only.csv, line 1: the file has a header but no rows")
case("grid-non-numeric.csv", f"{H}\n{G1}\n5902506600000,300,many,0.3,0.6,0.7,0.15,0.3,60,20\n", 1,
     "grid-non-numeric.csv, line 3, column 3 (income): expected a number")
# a ;-separated file (Swedish Excel) may use decimal commas, but one number cannot have two
case("grid-decimal-comma.csv", f"{H.replace(',', ';')}\n5900006600000;120;250000;0,1,5;0.8;0.4;0.05;0.1;20;8\n", 1,
     "grid-decimal-comma.csv, line 2, column 4 (low_education): expected a number (with one ',' or '.' as decimal point)")
case("grid-share-out-of-range.csv", f"{H}\n5900006600000,120,250000,12.5,0.8,0.4,0.05,0.1,20,8\n", 1,
     "grid-share-out-of-range.csv, line 2, column 4 (low_education)")
case("grid-negative-count.csv", f"{H}\n5900006600000,-5,250000,0.1,0.8,0.4,0.05,0.1,20,8\n", 1,
     "grid-negative-count.csv, line 2, column 2 (population)")
case("grid-duplicate.csv", f"{H}\n{G1}\n{G1}\n", 1, "grid-duplicate.csv, line 3, column 1 (cell_id)")
case("grid-misaligned.csv", f"{XY}\n590010,6600000,120,250000,0.1,0.8,0.4,0.05,0.1,20,8\n", 1,
     "grid-misaligned.csv, line 2, column 1 (x): cell at x = 590010, y = 6600000 is off the grid")
case("grid-lonlat-as-metres.csv", f"{XY}\n16,59,120,250000,0.1,0.8,0.4,0.05,0.1,20,8\n", 1,
     "grid-lonlat-as-metres.csv, line 2, column 1 (x): x = 16, y = 59 look like longitude/latitude in degrees")
case("grid-swapped-axes.csv", f"{XY}\n6600000,590000,120,250000,0.1,0.8,0.4,0.05,0.1,20,8\n", 1,
     "grid-swapped-axes.csv, line 2, column 1 (x)")
case("grid-huge-coordinates.csv", f"{XY}\n1e300,6600000,120,250000,0.1,0.8,0.4,0.05,0.1,20,8\n", 1,
     "grid-huge-coordinates.csv, line 2, column 1 (x)")
case("grid-nan.csv", f"{H}\n5900006600000,NaN,250000,0.1,0.8,0.4,0.05,0.1,20,8\n5902506600000,120,inf,0.1,0.8,0.4,0.05,0.1,20,8\n", 1,
     "grid-nan.csv, line 2, column 2 (population): expected a finite number")
case("grid-bad-id.csv", f"{H}\n59000066000,120,250000,0.1,0.8,0.4,0.05,0.1,20,8\n", 1,
     "grid-bad-id.csv, line 2, column 1 (cell_id)")
case("grid-bad-utf8.csv", f"{H}\n{G1}\n".encode() + b"5902506600000,300,180000,0.3,0.6,0.7,0.15,0.3,60,\xff\n", 1,
     "grid-bad-utf8.csv, line 3: expected UTF-8 text")
# handled, not refused: a byte-order mark, a quoted newline (trimmed as CSV allows)
case("grid-bom.csv", f"\ufeff{H}\n{G1}\n{G2}\n", 0, "")
case("grid-quoted-newline.csv", f'{H}\n"5900006600000",120,250000,0.1,0.8,0.4,0.05,"0.1\n",20,8\n{G2}\n', 0, "")


# --- areas (stratmap footprint --areas) -------------------------------------
def fc(feats):
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(feats) + "\n]}"


def feat(name, geom):
    return '{"type":"Feature","properties":{"name":"%s","category":"SUO"},"geometry":%s}' % (name, geom)


OK = '{"type":"Polygon","coordinates":[[[16.60,59.54],[16.62,59.54],[16.62,59.55],[16.60,59.55],[16.60,59.54]]]}'
case("areas-unclosed.geojson", fc([feat("Ok", OK), feat("Öppen", '{"type":"Polygon","coordinates":[[[16.60,59.54],[16.62,59.54],[16.62,59.55],[16.60,59.55]]]}')]), 1,
     'areas-unclosed.geojson, line 3, column 1 (feature): area "Öppen": the exterior ring is not closed')
case("areas-self-intersecting.geojson", fc([feat("Fjäril", '{"type":"Polygon","coordinates":[[[16.60,59.54],[16.62,59.55],[16.62,59.54],[16.60,59.55],[16.60,59.54]]]}')]), 1,
     'areas-self-intersecting.geojson, line 2, column 1 (feature): area "Fjäril": invalid polygon')
case("areas-empty-polygon.geojson", fc([feat("Tom", '{"type":"Polygon","coordinates":[]}')]), 1,
     'areas-empty-polygon.geojson, line 2, column 1 (feature): area "Tom": the polygon has no rings')
case("areas-truncated.geojson", fc([feat("Ok", OK)])[:-40], 1, "areas-truncated.geojson, line 2, column")
case("areas-not-a-collection.geojson", feat("Ok", OK), 1,
     'areas-not-a-collection.geojson: expected a GeoJSON FeatureCollection of areas, found a "Feature"')
case("areas-metres-as-lonlat.geojson", fc([feat("Metrar", '{"type":"Polygon","coordinates":[[[600000,6600000],[601000,6600000],[601000,6601000],[600000,6600000]]]}')]), 1,
     'areas-metres-as-lonlat.geojson, line 2, column 1 (feature): area "Metrar": (600000, 6600000) is not longitude/latitude in degrees')
case("areas-nan.geojson", fc([feat("NaN", '{"type":"Polygon","coordinates":[[[16.6,59.5],[NaN,59.5],[16.7,59.6],[16.6,59.5]]]}')]), 1,
     "areas-nan.geojson, line 2, column")

# --- towers (stratmap footprint --towers) -------------------------------------
case("towers-duplicate.csv", "tower_id,lon,lat\nT01,16.60,59.53\nT01,16.62,59.53\n", 1,
     'towers-duplicate.csv, line 3, column 1 (tower_id): tower "T01" is listed again (first on line 2)')
case("towers-lat-lon-swapped.csv", "tower_id,lon,lat\nT01,59.53,16.60\n", 1,
     "towers-lat-lon-swapped.csv, line 2, column 2 (lon): lon = 59.53, lat = 16.6 lies outside")
case("towers-metres-as-degrees.csv", "tower_id,lon,lat\nT01,600000,6600000\n", 1,
     "towers-metres-as-degrees.csv, line 2, column 2 (lon): lon = 600000, lat = 6600000 are not degrees")

# --- records (stratmap footprint --records): left out, counted, reported; exit 0
case("records-unknown-tower.csv", "phone_id,timestamp,tower_id\nx-1,2026-10-05 09:00,T03\nx-1,2026-10-05 10:00,T404\n", 0,
     "1 record left out (unknown tower): line 3: column tower_id: expected a tower of the towers file, found an id it does not list")
case("records-impossible-times.csv", "phone_id,timestamp,tower_id\nx-1,2026-10-05 09:00,T03\nx-1,2026-02-30 10:00,T03\nx-1,2026-10-05 25:00,T03\nx-1,yesterday,T03\n", 0,
     "3 records left out (bad timestamp): line 3:")
case("records-dst-gap.csv", "phone_id,timestamp,tower_id\nx-1,2026-10-05 09:00,T03\nx-1,2026-03-29 02:30,T03\n", 0,
     "line 3: column timestamp: the local time does not exist in Europe/Stockholm")
# 02:30 on 25 Oct happens twice in Stockholm: the same day either way, accepted
case("records-dst-ambiguous.csv", "phone_id,timestamp,tower_id\nx-1,2026-10-25 02:30,T03\nx-2,2026-10-25 02:30:00+01:00,T03\nx-3,2026-10-25T00:30:00Z,T03\n", 0, "")

# --- configs of candidate areas and local Moran's I (checked by any command
# that reads the config; the corpus test runs stratmap index) -----------------
case("config-candidates-min-cells-zero.toml", "[candidates]\nmin_cells = 0\n", 2,
     "config-candidates-min-cells-zero.toml: [candidates] min_cells = 0: expected a whole number of cells ≥ 1")
case("config-candidates-min-class-six.toml", "[candidates]\nmin_class = 6\n", 2,
     "config-candidates-min-class-six.toml: [candidates] min_class = 6: expected a class from 1 to 5")
case("config-candidates-contiguity.toml", "[candidates]\ncontiguity = \"bishop\"\n", 2,
     'config-candidates-contiguity.toml: [candidates] contiguity "bishop": expected "queen"')
case("config-lisa-fdr-without-permutations.toml", "[lisa]\npermutations = 0\nfdr = true\n", 2,
     "config-lisa-fdr-without-permutations.toml: [lisa] permutations 0 with the FDR correction: there are no p-values to correct")
case("config-lisa-unknown-variable.toml", "[lisa]\nvariable = \"crime\"\n", 2,
     'config-lisa-unknown-variable.toml: [lisa] variable "crime": expected index, count or a grid column')
case("config-lisa-permutations-too-many.toml", "[lisa]\npermutations = 1000000\n", 2,
     "config-lisa-permutations-too-many.toml: [lisa] permutations = 1000000: expected a whole number from 0 to 99999")

# --- events (stratmap hotspots --events) and answers (stratmap assess) ----------
case("events-empty-type.csv", "type,x,y\nshooting,591000,6601000\n,591000,6601000\n", 1,
     "events-empty-type.csv, line 3, column 1 (type): expected an event type")
case("events-degrees-in-xy.csv", "type,x,y\nshooting,16.6,59.5\n", 1,
     "events-degrees-in-xy.csv, line 2, column 2 (x): x = 16.6, y = 59.5 look like longitude/latitude")
case("events-bad-date.csv", "type,x,y,date\nshooting,591000,6601000,2024-05-17\nshooting,591000,6601000,17/05/2024\n", 1,
     'events-bad-date.csv, line 3, column 4 (date): expected a date (2024-05-17) or a time with a date')
case("events-impossible-date.csv", "type,x,y,date\nshooting,591000,6601000,2024-02-30\n", 1,
     'events-impossible-date.csv, line 2, column 4 (date): expected a date')
case("answers-score-out-of-range.csv", "area,year,question,domain,score\nNorrby,2026,1,living_environment,6\n", 1,
     'answers-score-out-of-range.csv, line 2, column 5 (score): expected a score, an integer 1–5, found "6"')
case("answers-unknown-domain.csv", "area,year,question,domain,score\nNorrby,2026,1,schools,3\n", 1,
     "answers-unknown-domain.csv, line 2, column 4 (domain)")

generated = {name for name, _, _ in cases}
by_hand = [l for l in kept if l.split("\t")[0] not in generated]
with open(manifest, "w", encoding="utf-8") as f:
    f.write("# file\texit code\twhat stderr must say (file, line, column, what was expected)\n")
    for name, code, fragment in cases:
        f.write(f"{name}\t{code}\t{fragment}\n")
    for line in by_hand:
        f.write(line + "\n")
print(f"{len(cases)} generated and {len(by_hand)} hand-made cases in {out}")
