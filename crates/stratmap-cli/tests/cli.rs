//! End-to-end tests of the `stratmap` binary: golden output of the demo,
//! determinism, every class of bad input, and round trips through GDAL.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn stratmap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stratmap"))
        .args(args)
        .output()
        .expect("run stratmap")
}

fn stratmap_threads(threads: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stratmap"))
        .env("RAYON_NUM_THREADS", threads)
        .args(args)
        .output()
        .expect("run stratmap")
}

/// `stratmap COMMAND --grid GRID --config CONFIG --out OUT`.
fn grid_command(command: &str, grid: &Path, config: &Path, out: &Path) -> Output {
    stratmap(&[
        command,
        "--grid",
        s(grid),
        "--config",
        s(config),
        "--out",
        s(out),
    ])
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

const HEADER: &str = "cell_id,population,income,low_education,employment_rate,foreign_background,overcrowding,single_parents,age_0_15,age_16_19";

#[test]
fn demo_matches_golden_output_on_any_thread_count() {
    let mut binary_outputs: Vec<Vec<Vec<u8>>> = Vec::new();
    for threads in ["1", "2", "4"] {
        let dir = tempfile::tempdir().unwrap();
        let out = stratmap_threads(threads, &["demo", "--out", s(dir.path())]);
        assert!(out.status.success(), "{}", stderr(&out));
        for name in [
            "living_conditions.geojson",
            "youth_groups.geojson",
            "footprint.geojson",
            "footprint_by_category.csv",
            "hotspots.geojson",
            "indicators.csv",
            "assessment.csv",
            "candidates.geojson",
            "concordance.csv",
            "lisa.geojson",
            "change.geojson",
            "class_transitions.csv",
            "change_by_area.csv",
            "emerging.geojson",
            "indicators_by_period.csv",
            "events_by_area_period.csv",
            "trends_by_area.csv",
        ] {
            let got = std::fs::read(dir.path().join(name)).unwrap();
            let want = std::fs::read(root().join("fixtures/golden").join(name)).unwrap();
            assert!(
                got == want,
                "{name} on {threads} threads differs from fixtures/golden/{name}; if the change is intended, run `make golden`"
            );
        }
        // The inputs are copied, but the records (phone ids) are not; and no
        // output file holds a phone id.
        for entry in std::fs::read_dir(root().join("fixtures/sample-town")).unwrap() {
            let entry = entry.unwrap();
            let copy = dir.path().join("inputs").join(entry.file_name());
            if entry.file_name() == "records.csv" {
                assert!(!copy.exists());
            } else if entry.file_name() == "config.toml" {
                let copied = std::fs::read_to_string(&copy).unwrap();
                assert!(
                    copied.contains("# records = \"records.csv\"   # not copied"),
                    "{copied}"
                );
            } else {
                assert!(
                    std::fs::read(&copy).unwrap() == std::fs::read(entry.path()).unwrap(),
                    "{copy:?}"
                );
            }
        }
        assert_no_phone_ids(dir.path());
        binary_outputs.push(
            [
                "stratmap.gpkg",
                "living_conditions.tif",
                "index.html",
                "map.png",
            ]
            .iter()
            .map(|name| std::fs::read(dir.path().join(name)).unwrap())
            .collect(),
        );
    }
    // GeoPackage and GeoTIFF are byte-identical across runs and thread counts too.
    assert!(
        binary_outputs.windows(2).all(|w| w[0] == w[1]),
        "GeoPackage, GeoTIFF or viewer bytes differ between runs"
    );
}

/// Walks a directory and fails if any file holds a phone id of the sample town.
fn assert_no_phone_ids(dir: &Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            assert_no_phone_ids(&path);
        } else {
            let bytes = std::fs::read(&path).unwrap();
            // the sample town's ids are phone-0001 …
            assert!(
                !bytes
                    .windows(7)
                    .any(|w| &w[..6] == b"phone-" && w[6].is_ascii_digit()),
                "{path:?} holds a phone id"
            );
        }
    }
}

#[test]
fn index_does_not_depend_on_row_order_or_separator() {
    let dir = tempfile::tempdir().unwrap();
    let grid = std::fs::read_to_string(root().join("fixtures/sample-town/grid.csv")).unwrap();
    let mut lines: Vec<&str> = grid.lines().collect();
    let header = lines.remove(0);
    lines.reverse();
    let shuffled = format!(
        "{}\n{}\n",
        header.replace(',', ";"),
        lines.join("\n").replace(',', ";")
    );
    let shuffled_path = dir.path().join("shuffled.csv");
    std::fs::write(&shuffled_path, shuffled).unwrap();

    let a = dir.path().join("a.geojson");
    let b = dir.path().join("b.geojson");
    let grid_path = root().join("fixtures/sample-town/grid.csv");
    assert!(
        stratmap(&["index", "--grid", s(&grid_path), "--out", s(&a)])
            .status
            .success()
    );
    let o = stratmap(&["index", "--grid", s(&shuffled_path), "--out", s(&b)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap());
    // The demo's layer is the same computation.
    assert!(
        std::fs::read(&a).unwrap()
            == std::fs::read(root().join("fixtures/golden/living_conditions.geojson")).unwrap()
    );
}

/// One bad grid, the expected fragments of the error, and no output file.
fn assert_rejected(body: &str, fragments: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let grid = dir.path().join("grid.csv");
    std::fs::write(&grid, format!("{HEADER}\n{body}")).unwrap();
    let out = dir.path().join("lc.geojson");
    let o = stratmap(&["index", "--grid", s(&grid), "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    for f in fragments {
        assert!(err.contains(f), "error lacks {f:?}:\n{err}");
    }
    assert!(
        !out.exists(),
        "an output file was written despite the error"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "stray files left"
    );
}

const GOOD: &str = "6740006580000,120,250000,0.1,0.8,0.3,0.05,0.1,20,8\n";

#[test]
fn share_out_of_range_suggests_percent() {
    assert_rejected(
        &format!("{GOOD}6740006580250,120,250000,0.1,0.8,45,0.05,0.1,20,8\n"),
        &[
            "grid.csv, line 3, column 6 (foreign_background)",
            "expected a share between 0 and 1, found 45",
            "percent = true",
        ],
    );
}

#[test]
fn non_numeric_value() {
    assert_rejected(
        &format!("{GOOD}6740006580250,120,n/a,0.1,0.8,0.4,0.05,0.1,20,8\n"),
        &["line 3, column 3 (income)", "expected a number", "\"n/a\""],
    );
}

#[test]
fn negative_count() {
    assert_rejected(
        &format!("{GOOD}6740006580250,120,250000,0.1,0.8,0.4,0.05,0.1,-2,8\n"),
        &[
            "line 3, column 9 (age_0_15)",
            "expected a count ≥ 0, found -2",
        ],
    );
}

#[test]
fn duplicate_cell() {
    assert_rejected(
        &format!("{GOOD}{GOOD}"),
        &[
            "line 3, column 1 (cell_id)",
            "duplicate cell 6740006580000",
            "line 2",
        ],
    );
}

#[test]
fn cell_off_the_grid() {
    assert_rejected(
        &format!("{GOOD}6740106580000,120,250000,0.1,0.8,0.4,0.05,0.1,20,8\n"),
        &[
            "line 3, column 1 (cell_id)",
            "off the grid",
            "multiple of 250 m",
        ],
    );
}

#[test]
fn lon_lat_given_as_metres() {
    let dir = tempfile::tempdir().unwrap();
    let grid = dir.path().join("xy.csv");
    std::fs::write(&grid, "x,y,population,income,low_education,foreign_background,single_parents\n18.0686,59.3293,40,250000,0.1,0.2,0.1\n").unwrap();
    let out = dir.path().join("lc.geojson");
    let o = stratmap(&["index", "--grid", s(&grid), "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("xy.csv, line 2, column 1 (x)")
            && err.contains("longitude/latitude in degrees")
            && err.contains("metres in EPSG:3006"),
        "{err}"
    );
    assert!(!out.exists());
}

/// `stratmap validate` tells a records file by its header and leaves its
/// rows to `stratmap footprint` without reading them (a national file is
/// billions of rows): bytes that are not text after the header are not
/// read; a towers file beside it is still checked whole.
#[test]
fn validate_tells_records_by_their_header_alone() {
    let dir = tempfile::tempdir().unwrap();
    let records = dir.path().join("records.csv");
    let mut bytes = b"phone_id,timestamp,tower_id\n".to_vec();
    bytes.extend(std::iter::repeat_n(0xFFu8, 200_000));
    std::fs::write(&records, &bytes).unwrap();
    let towers = dir.path().join("towers.csv");
    std::fs::write(
        &towers,
        "tower_id,x,y\nT1,674000,6580000\nT2,oops,6580000\n",
    )
    .unwrap();
    let o = stratmap(&["validate", s(&records), s(&towers)]);
    let err = format!("{}{}", String::from_utf8_lossy(&o.stdout), stderr(&o));
    assert!(
        err.contains("records.csv: connection records are checked by stratmap footprint"),
        "{err}"
    );
    assert!(err.contains("towers.csv, line 3"), "{err}");
    assert!(!o.status.success(), "{err}");
}

#[test]
fn validate_lists_every_problem() {
    let dir = tempfile::tempdir().unwrap();
    let grid = dir.path().join("grid.csv");
    std::fs::write(
        &grid,
        format!("{HEADER}\n{GOOD}{GOOD}6740006580500,-1,x,0.1,0.8,0.4,0.05,0.1,20,8\n6740006580750,120,250000,0.1,0.8,0.4,0.05,1.5,20,8\n"),
    )
    .unwrap();
    let o = stratmap(&["validate", s(&grid)]);
    assert_eq!(o.status.code(), Some(1));
    let text = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(
        lines[0].contains("line 3")
            && lines[1].contains("line 4, column 2")
            && lines[2].contains("line 4, column 3")
            && lines[3].contains("line 5, column 8"),
        "{text}"
    );

    let town = root().join("fixtures/sample-town");
    let ok = stratmap(&[
        "validate",
        s(&town.join("grid.csv")),
        s(&town.join("areas.geojson")),
        s(&town.join("towers.csv")),
        s(&town.join("events.csv")),
        s(&town.join("answers.csv")),
    ]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    let text = String::from_utf8_lossy(&ok.stdout);
    assert!(
        text.contains("ok, a grid of 496 cells")
            && text.contains("areas.geojson: ok, 4 areas")
            && text.contains("towers.csv: ok, 20 towers")
            && text.contains("events.csv: ok, 430 events of 7 types")
            && text.contains("answers.csv: ok, 560 answers"),
        "{text}"
    );

    // areas and towers with problems
    let areas = dir.path().join("areas.geojson");
    std::fs::write(&areas, "{\"type\":\"FeatureCollection\",\"features\":[\n{\"type\":\"Feature\",\"properties\":{\"name\":\"X\",\"category\":\"RO\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[16.6,59.5],[16.7,59.5],[16.7,59.6],[16.6,59.6]]]}}\n]}").unwrap();
    let towers = dir.path().join("towers.csv");
    std::fs::write(&towers, "tower_id,lon,lat\nA,16.6,59.5\nA,16.6,59.5\n").unwrap();
    let o = stratmap(&["validate", s(&areas), s(&towers)]);
    assert_eq!(o.status.code(), Some(1));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("areas.geojson, line 2, column 1 (feature): area \"X\": the exterior ring is not closed"), "{text}");
    assert!(
        text.contains("towers.csv, line 3, column 1 (tower_id): tower \"A\" is listed again"),
        "{text}"
    );
}

/// Overlapping areas are allowed, and warned about with the overlap's area.
#[test]
fn footprint_warns_about_overlapping_areas() {
    let dir = tempfile::tempdir().unwrap();
    let files = footprint_files(
        dir.path(),
        "tower_id,x,y\nT,605000,6600000\n",
        "phone_id,timestamp,tower_id\na,2026-10-05 10:00,T\n",
    );
    let second = SQUARE_AREA.replace(
        "\n]}",
        ",\n{\"type\":\"Feature\",\"properties\":{\"name\":\"B\",\"category\":\"RO\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[609000,6590000],[611000,6590000],[611000,6591000],[609000,6591000],[609000,6590000]]]}}\n]}",
    );
    std::fs::write(&files[0], second).unwrap();
    let o = run_footprint(dir.path(), &files, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("warning: areas \"A\" and \"B\" overlap by 1000000 m²"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn exit_codes_for_usage_and_io() {
    let dir = tempfile::tempdir().unwrap();
    let grid = root().join("fixtures/sample-town/grid.csv");
    let bad_ext = dir.path().join("out.shp");
    assert_eq!(
        stratmap(&["index", "--grid", s(&grid), "--out", s(&bad_ext)])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(stratmap(&["index", "--grid"]).status.code(), Some(2));
    let missing = dir.path().join("nope.csv");
    let o = stratmap(&[
        "index",
        "--grid",
        s(&missing),
        "--out",
        s(&dir.path().join("a.geojson")),
    ]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("nope.csv"));
    let tif = dir.path().join("y.tif");
    assert_eq!(
        stratmap(&["youth", "--grid", s(&grid), "--out", s(&tif)])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn config_renames_and_percent_columns() {
    let dir = tempfile::tempdir().unwrap();
    let grid = dir.path().join("g.csv");
    std::fs::write(
        &grid,
        "rutid;folkmangd;andel_forgymn;foreign_background;single_parents\n\
         6740006580000;120;10;0.3;0.1\n\
         6740006580250;80;30;0.5;0.2\n",
    )
    .unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(
        &config,
        "[index]\ncolumns.cell_id = \"rutid\"\ncolumns.population = \"folkmangd\"\ncolumns.low_education = { name = \"andel_forgymn\", percent = true }\n",
    )
    .unwrap();
    let out = dir.path().join("lc.geojson");
    let o = grid_command("index", &grid, &config, &out);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let f = &v["features"];
    assert_eq!(f[0]["properties"]["low_education"], 0.1);
    assert_eq!(f[1]["properties"]["low_education"], 0.3);
    // Two cells, each variable z = ∓1: both groups ∓1, so index ∓1; class 1 and 5.
    let index = |i: usize| f[i]["properties"]["index"].as_f64().unwrap();
    assert!(
        (index(0) + 1.0).abs() < 1e-12 && (index(1) - 1.0).abs() < 1e-12,
        "{v}"
    );
    assert_eq!(f[0]["properties"]["class"], 1);
    assert_eq!(f[1]["properties"]["class"], 5);
    assert_eq!(f[1]["properties"]["color"], "#d7191c");
}

/// The property names of a golden layer's first feature, in order.
fn golden_keys(name: &str) -> Vec<String> {
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root().join("fixtures/golden").join(name)).unwrap())
            .unwrap();
    v["features"][0]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

/// The contract's property names, in order.
#[test]
fn property_names_follow_the_spec() {
    assert_eq!(
        golden_keys("living_conditions.geojson"),
        [
            "cell_id",
            "population",
            "income",
            "low_education",
            "employment_rate",
            "foreign_background",
            "overcrowding",
            "single_parents",
            "age_0_15",
            "age_16_19",
            "econ_score",
            "segregation_score",
            "family_score",
            "index",
            "class",
            "color",
            "status"
        ]
    );
    assert_eq!(
        golden_keys("youth_groups.geojson"),
        [
            "group_id",
            "cells",
            "age_0_15",
            "age_16_19",
            "youth",
            "radius_m"
        ]
    );
    assert_eq!(
        golden_keys("footprint.geojson"),
        [
            "name",
            "category",
            "footprint",
            "phone_days",
            "unique_phones",
            "share_pct",
            "suppressed"
        ]
    );
    let table =
        std::fs::read_to_string(root().join("fixtures/golden/footprint_by_category.csv")).unwrap();
    assert_eq!(
        table.lines().next(),
        Some("category,areas,footprint,share_pct,footprint_mean,footprint_min,footprint_max,unique_phones_mean,unique_phones_min,unique_phones_max")
    );
    let rows: Vec<&str> = table
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(rows, ["SUO", "RO", "UO", "reported", "outside", "total"]);
    assert_eq!(
        golden_keys("candidates.geojson"),
        [
            "candidate_id",
            "cells",
            "population",
            "youth",
            "mean_index",
            "max_index",
            "overlap_pct",
            "overlaps",
            "status"
        ]
    );
    assert_eq!(
        golden_keys("lisa.geojson"),
        ["cell_id", "lisa_i", "lisa_z", "lisa_p", "quadrant"]
    );
    let table = std::fs::read_to_string(root().join("fixtures/golden/concordance.csv")).unwrap();
    assert_eq!(
        table.lines().next(),
        Some("category,cells_inside,auc,share_class5_pop_inside,share_inside_pop_class45")
    );
}

/// The sample town's unassessed estate (Hagaberget) is the one `new`
/// candidate: six class-5 cells outside every police area.
#[test]
fn the_sample_towns_estate_is_a_new_candidate() {
    let v: serde_json::Value = serde_json::from_slice(
        &std::fs::read(root().join("fixtures/golden/candidates.geojson")).unwrap(),
    )
    .unwrap();
    let new: Vec<&serde_json::Value> = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["properties"])
        .filter(|p| p["status"] == "new")
        .collect();
    assert_eq!(new.len(), 1, "{new:?}");
    assert_eq!(new[0]["cells"], 6);
    assert_eq!(new[0]["overlap_pct"], 0.0);
    assert_eq!(new[0]["overlaps"], "");
}

/// Settings that cannot work are refused before anything is read or
/// written (exit 2), naming the flag or the setting.
#[test]
fn candidates_and_lisa_refuse_bad_settings() {
    let dir = tempfile::tempdir().unwrap();
    let grid = root().join("fixtures/sample-town/grid.csv");
    let out = dir.path().join("x.geojson");
    let cases: [(&[&str], &str); 5] = [
        (
            &["lisa", "--permutations", "0", "--fdr"],
            "permutations 0 with the FDR correction",
        ),
        (
            &["lisa", "--variable", "crime"],
            "--variable \"crime\": expected index, count or a grid column",
        ),
        (
            &["lisa", "--band", "0"],
            "band 0: expected a positive, finite distance in metres",
        ),
        (
            &["lisa", "--variable", "count"],
            "variable count: expected events to count",
        ),
        (
            &["lisa", "--permutations", "100000"],
            "permutations = 100000: expected a whole number from 0 to 99999",
        ),
    ];
    for (args, want) in cases {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--grid", s(&grid), "--out", s(&out)]);
        let r = stratmap(&all);
        assert_eq!(r.status.code(), Some(2), "{args:?}: {}", stderr(&r));
        assert!(stderr(&r).contains(want), "{args:?}: {}", stderr(&r));
        assert!(!out.exists());
    }
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, "[candidates]\nmin_cells = 0\n").unwrap();
    let r = stratmap(&[
        "candidates",
        "--grid",
        s(&grid),
        "--config",
        s(&cfg),
        "--out",
        s(&out),
    ]);
    assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
    assert!(stderr(&r).contains("[candidates] min_cells = 0: expected a whole number of cells ≥ 1"));
    assert!(!out.exists());
}

/// RFC 7946: no crs, WGS 84 ranges, closed counter-clockwise exterior rings,
/// at most 7 decimals, features sorted by id.
#[test]
fn golden_layers_are_rfc7946() {
    for name in [
        "living_conditions.geojson",
        "youth_groups.geojson",
        "footprint.geojson",
        "hotspots.geojson",
        "candidates.geojson",
        "lisa.geojson",
        "change.geojson",
        "emerging.geojson",
    ] {
        let text = std::fs::read_to_string(root().join("fixtures/golden").join(name)).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["type"], "FeatureCollection");
        assert!(v.get("crs").is_none());
        let features = v["features"].as_array().unwrap();
        assert!(!features.is_empty());
        let ids: Vec<serde_json::Value> = features.iter().map(|f| f["id"].clone()).collect();
        let mut sorted = ids.clone();
        sorted.sort_by(|a, b| match (a.as_i64(), b.as_i64()) {
            (Some(x), Some(y)) => x.cmp(&y),
            _ => a.as_str().cmp(&b.as_str()),
        });
        assert_eq!(ids, sorted, "{name}: features not sorted by id");
        for f in features {
            let g = &f["geometry"];
            let polygons: Vec<&serde_json::Value> = match g["type"].as_str().unwrap() {
                "Polygon" => vec![&g["coordinates"]],
                "MultiPolygon" => g["coordinates"].as_array().unwrap().iter().collect(),
                "Point" => vec![],
                t => panic!("unexpected geometry {t}"),
            };
            let rings = polygons
                .iter()
                .flat_map(|p| p.as_array().unwrap().iter().enumerate());
            for (k, ring) in rings {
                let pts: Vec<(f64, f64)> = ring
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
                    .collect();
                assert!(pts.len() >= 4 && pts.first() == pts.last());
                let twice_area: f64 = pts
                    .windows(2)
                    .map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1)
                    .sum();
                assert_eq!(twice_area > 0.0, k == 0, "{name}: ring orientation");
            }
        }
        // Coordinates: lon/lat ranges and ≤ 7 decimals, read from the text itself.
        let coords = text.split("\"coordinates\":").skip(1);
        for c in coords {
            let c = &c[..c.find('}').unwrap()];
            for num in c.split(['[', ']', ',']).filter(|t| !t.is_empty()) {
                let decimals = num.split('.').nth(1).map_or(0, str::len);
                assert!(decimals <= 7, "{name}: {num} has {decimals} decimals");
                let x: f64 = num.parse().unwrap();
                assert!((-180.0..=180.0).contains(&x));
            }
        }
    }
}

fn ogrinfo(path: &Path, layer: &str) -> String {
    let o = Command::new("ogrinfo")
        .args(["-ro", "-so", s(path), layer])
        .output()
        .expect("ogrinfo (GDAL's gdal-bin) must be installed: run `make test`, which installs it");
    assert!(
        o.status.success(),
        "ogrinfo failed on {}: {}",
        path.display(),
        stderr(&o)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The files a run can write are named in one place
/// (`stratmap_jobs::run_outputs`, which removes an earlier run's
/// leftovers): every file the demo's run writes is among them, and every
/// layer it makes is a known one.
#[test]
fn every_file_a_run_writes_is_a_known_output() {
    let dir = tempfile::tempdir().unwrap();
    let o = stratmap(&["demo", "--out", s(dir.path())]);
    assert!(o.status.success(), "{}", stderr(&o));
    let known = stratmap_jobs::run_outputs();
    let mut unique = known.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), known.len(), "{known:?}");
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_file() && name != "summary.json" {
            assert!(known.contains(&name), "{name} is not in {known:?}");
        }
    }
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("summary.json")).unwrap()).unwrap();
    let outputs = summary["outputs"].as_array().unwrap();
    assert!(!outputs.is_empty());
    for w in outputs {
        let file = w["file"].as_str().unwrap();
        assert!(known.iter().any(|k| k == file), "{file}");
    }
    // the GeoPackage holds every layer the run made
    let gpkg = outputs
        .iter()
        .find(|w| w["file"] == "stratmap.gpkg")
        .unwrap();
    for layer in gpkg["content"].as_str().unwrap().split(", ") {
        assert!(
            stratmap_jobs::RUN_LAYERS.contains(&layer),
            "{layer} is not in RUN_LAYERS"
        );
    }
}

/// GDAL reads what we write: GeoJSON as WGS 84 with the right counts and
/// field types, the GeoPackage in EPSG:3006, and the GeoTIFF with nodata.
#[test]
fn gdal_reads_every_layer() {
    let dir = tempfile::tempdir().unwrap();
    let o = stratmap(&["demo", "--out", s(dir.path())]);
    assert!(o.status.success(), "{}", stderr(&o));

    let info = ogrinfo(
        &dir.path().join("living_conditions.geojson"),
        "living_conditions",
    );
    assert!(info.contains("Feature Count: 496"), "{info}");
    assert!(info.contains("Geometry: Polygon"), "{info}");
    assert!(
        info.contains("cell_id: String")
            && info.contains("population: Integer")
            && info.contains("index: Real")
            && info.contains("class: Integer"),
        "{info}"
    );
    assert!(
        info.contains("WGS 84") || info.contains("EPSG\",4326"),
        "{info}"
    );

    let info = ogrinfo(&dir.path().join("youth_groups.geojson"), "youth_groups");
    assert!(
        info.contains("Geometry: Point") && info.contains("radius_m: Real"),
        "{info}"
    );

    let gpkg = dir.path().join("stratmap.gpkg");
    let info = ogrinfo(&gpkg, "living_conditions");
    assert!(
        info.contains("Feature Count: 496") && info.contains("SWEREF99 TM"),
        "{info}"
    );
    assert!(
        info.contains("Extent: (590000.000000, 6600000.000000) - (597000.000000, 6606000.000000)"),
        "{info}"
    );
    let info = ogrinfo(&gpkg, "youth_groups");
    assert!(info.contains("Feature Count: 4"), "{info}");
    let info = ogrinfo(&gpkg, "footprint");
    assert!(
        info.contains("Feature Count: 4")
            && info.contains("Geometry: Polygon")
            && info.contains("footprint: Real")
            && info.contains("unique_phones: Integer64")
            && info.contains("suppressed: Integer(Boolean)"),
        "{info}"
    );
    let info = ogrinfo(&gpkg, "hotspots");
    assert!(
        info.contains("Feature Count: 496")
            && info.contains("gi_z: Real")
            && info.contains("gi_bin: Integer64"),
        "{info}"
    );
    let info = ogrinfo(&gpkg, "assessment");
    assert!(
        info.contains("Feature Count: 4")
            && info.contains("area: String")
            && info.contains("problem_level: Real")
            && info.contains("trend: String"),
        "{info}"
    );
    let info = ogrinfo(&dir.path().join("footprint.geojson"), "footprint");
    assert!(
        info.contains("Feature Count: 4") && info.contains("phone_days: Integer"),
        "{info}"
    );

    let o = Command::new("gdalinfo")
        .arg(dir.path().join("living_conditions.tif"))
        .output()
        .expect("gdalinfo");
    let info = String::from_utf8_lossy(&o.stdout);
    assert!(
        info.contains("Size is 28, 24")
            && info.contains("Pixel Size = (250.000000000000000,-250.000000000000000)")
            && info.contains("NoData Value=-9999")
            && info.contains("Band 1 Block=256x256 Type=Float32")
            && info.contains("Description = index")
            && !info.contains("Band 2")
            && info.contains("ID[\"EPSG\",3006]"),
        "{info}"
    );
    // the class beside it: Byte, paletted, with its attribute table
    let o = Command::new("gdalinfo")
        .arg(dir.path().join("living_conditions_class.tif"))
        .output()
        .expect("gdalinfo");
    let info = String::from_utf8_lossy(&o.stdout);
    assert!(
        info.contains("Type=Byte, ColorInterp=Palette")
            && info.contains("5: 215,25,28,255")
            && info.contains("1: 26,150,65,255")
            && info.contains("GDALRasterAttributeTable")
            && info.contains("5 worst")
            && info.contains("NoData Value=0"),
        "{info}"
    );
}

/// INSPIRE ids carry their CRS and cell size; output ids keep the input's style.
#[test]
fn inspire_grid_in_another_crs() {
    let dir = tempfile::tempdir().unwrap();
    let grid = dir.path().join("eu.csv");
    std::fs::write(
        &grid,
        "cell_id,population,income,low_education,foreign_background,single_parents,age_0_15,age_16_19\n\
         SE_CRS3035RES1000mN4068000E4673000,900,250000,0.1,0.2,0.1,150,40\n\
         SE_CRS3035RES1000mN4069000E4673000,700,180000,0.3,0.6,0.3,200,60\n",
    )
    .unwrap();
    let out = dir.path().join("lc.geojson");
    let o = stratmap(&["--quiet", "index", "--grid", s(&grid), "--out", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let f = &v["features"][0];
    assert_eq!(f["id"], "SE_CRS3035RES1000mN4068000E4673000");
    // The first ring position is the lower-right corner, ETRS89-LAEA
    // (4674000, 4068000); `echo 4674000 4068000 | gdaltransform -s_srs
    // EPSG:3035 -t_srs OGC:CRS84` gives 16.2407385, 59.5729785 (near Köping).
    let p = &f["geometry"]["coordinates"][0][0];
    let (lon, lat) = (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
    assert!(
        (lon - 16.2407385).abs() < 2e-7 && (lat - 59.5729785).abs() < 2e-7,
        "{lon}, {lat}"
    );

    let youth = dir.path().join("y.gpkg");
    let o = stratmap(&["--quiet", "youth", "--grid", s(&grid), "--out", s(&youth)]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Two vertically adjacent 1 km cells, 190 and 260 youth: one group of 450.
    assert!(String::from_utf8_lossy(&o.stdout).contains("(1 youth group)"));
}

/// A square area of 10 × 10 km in SWEREF 99 TM, west edge at x = 600 000.
const SQUARE_AREA: &str = "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"urn:ogc:def:crs:EPSG::3006\"}},\"features\":[\n{\"type\":\"Feature\",\"properties\":{\"name\":\"A\",\"category\":\"SUO\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[600000,6590000],[610000,6590000],[610000,6610000],[600000,6610000],[600000,6590000]]]}}\n]}";

fn footprint_files(dir: &Path, towers: &str, records: &str) -> [String; 3] {
    let w = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    [
        w("areas.geojson", SQUARE_AREA),
        w("towers.csv", towers),
        w("records.csv", records),
    ]
}

fn run_footprint(dir: &Path, files: &[String; 3], extra: &[&str]) -> Output {
    let out = dir.join("out");
    let mut args = vec![
        "footprint",
        "--areas",
        &files[0],
        "--towers",
        &files[1],
        "--records",
        &files[2],
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    stratmap(&args)
}

fn footprint_props(dir: &Path) -> serde_json::Value {
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("out/footprint.geojson")).unwrap()).unwrap();
    v["features"][0]["properties"].clone()
}

/// The method's own example, end to end from CSV: one phone, one day, two
/// records, one disc wholly outside, one half inside A: A 0.25, outside 0.75.
#[test]
fn footprint_reproduces_the_methods_example() {
    let dir = tempfile::tempdir().unwrap();
    let files = footprint_files(
        dir.path(),
        "tower_id,x,y\nFAR,590000,6600000\nEDGE,600000,6600000\n",
        "phone_id,timestamp,tower_id\nsecret-77,2026-10-05 08:00,FAR\nsecret-77,2026-10-05T19:00:00+02:00,EDGE\n",
    );
    let o = run_footprint(dir.path(), &files, &["--min-phones", "0"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let p = footprint_props(dir.path());
    assert_eq!(p["footprint"], 0.25);
    assert_eq!(p["phone_days"], 1);
    assert_eq!(p["unique_phones"], 1);
    assert_eq!(p["share_pct"], 25.0);
    assert_eq!(p["suppressed"], false);
    let table = std::fs::read_to_string(dir.path().join("out/footprint_by_category.csv")).unwrap();
    assert!(
        table.contains("\nSUO,1,0.25,25,0.25,0.25,0.25,1,1,1\n"),
        "{table}"
    );
    assert!(table.contains("\noutside,,0.75,75,,,,,,\n"), "{table}");
    assert!(table.contains("\ntotal,1,1,100,"), "{table}");
    // with the default disclosure control (3 phones) the area is blanked
    let o = run_footprint(dir.path(), &files, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let p = footprint_props(dir.path());
    assert!(p["footprint"].is_null() && p["unique_phones"].is_null() && p["share_pct"].is_null());
    assert_eq!(p["suppressed"], true);
}

/// Unknown towers, bad timestamps and bad rows are left out before the 1/n
/// split, counted and reported by line; with --strict they are an error and
/// nothing is written. Phone ids appear nowhere: not in output, notes or errors.
#[test]
fn footprint_skips_and_reports_without_phone_ids() {
    let dir = tempfile::tempdir().unwrap();
    let files = footprint_files(
        dir.path(),
        "tower_id,x,y\nFAR,590000,6600000\nEDGE,600000,6600000\n",
        "phone_id,timestamp,tower_id\nsecret-1,2026-10-05 08:00,FAR\nsecret-1,2026-10-05 09:00,EDGE\nsecret-1,2026-10-05 10:00,T99\nsecret-1,2026-13-05 10:00,EDGE\nsecret-1,2026-03-29 02:30,EDGE\nsecret-2\n",
    );
    let o = run_footprint(dir.path(), &files, &["--min-phones", "0"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains(
            "1 record left out (unknown tower): line 4: column tower_id: expected a tower of the towers file"
        ),
        "{err}"
    );
    assert!(
        err.contains("2 records left out (bad timestamp): line 5:"),
        "{err}"
    );
    assert!(
        err.contains("line 6: column timestamp: the local time does not exist in Europe/Stockholm"),
        "{err}"
    );
    assert!(
        err.contains("1 record left out (malformed row): line 7"),
        "{err}"
    );
    assert_eq!(footprint_props(dir.path())["footprint"], 0.25);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("4 records skipped"), "{stdout}");
    for text in [err.as_str(), &stdout] {
        assert!(!text.contains("secret"), "{text}");
    }
    for f in ["footprint.geojson", "footprint_by_category.csv"] {
        let bytes = std::fs::read(dir.path().join("out").join(f)).unwrap();
        assert!(!bytes.windows(6).any(|w| w == b"secret"), "{f}");
    }

    let strict_dir = tempfile::tempdir().unwrap();
    let files = footprint_files(strict_dir.path(), "tower_id,x,y\nEDGE,600000,6600000\n", "phone_id,timestamp,tower_id\nsecret-1,2026-10-05 09:00,EDGE\nsecret-1,2026-10-05 10:00,T99\n");
    let o = run_footprint(strict_dir.path(), &files, &["--strict"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("records.csv, line 3: column tower_id: expected a tower of the towers file"),
        "{err}"
    );
    assert!(!err.contains("secret"), "{err}");
    assert!(!strict_dir.path().join("out").exists());
}

/// Shuffled records, `;` separator, mixed timestamp styles and thread counts
/// give the same bytes.
#[test]
fn footprint_does_not_depend_on_order_threads_or_timestamp_style() {
    let towers = "tower_id,x,y\nT1,600000,6600000\nT2,600300,6600200\nT3,599800,6599900\nT4,609900,6609900\n";
    let mut rows = Vec::new();
    for i in 0..2000u32 {
        let tower = ["T1", "T2", "T3", "T4"][(i * 7 % 4) as usize];
        let hour = 6 + i % 17;
        let day = 24 + i % 4; // across the end of summer time on 25 Oct 2026
        let ts = match i % 3 {
            0 => format!("2026-10-{day:02} {hour:02}:{:02}", i % 60),
            // the same instant as RFC 3339 UTC and as Unix seconds
            1 => {
                let off = if day < 25 || (day == 25 && hour < 3) {
                    2
                } else {
                    1
                };
                format!("2026-10-{day:02}T{:02}:{:02}:00Z", hour - off, i % 60)
            }
            _ => {
                let t = chrono_like_unix(2026, 10, day, hour, i % 60);
                t.to_string()
            }
        };
        rows.push(format!("p{},{ts},{tower}", i % 53));
    }
    let dir = tempfile::tempdir().unwrap();
    let body = format!("phone_id,timestamp,tower_id\n{}\n", rows.join("\n"));
    let files = footprint_files(dir.path(), towers, &body);
    let o = run_footprint(dir.path(), &files, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let want = std::fs::read(dir.path().join("out/footprint.geojson")).unwrap();
    let want_csv = std::fs::read(dir.path().join("out/footprint_by_category.csv")).unwrap();
    rows.reverse();
    rows.rotate_left(777);
    let body = format!(
        "phone_id;timestamp;tower_id\n{}\n",
        rows.join("\n").replace(',', ";")
    );
    for threads in ["1", "3"] {
        let d2 = tempfile::tempdir().unwrap();
        let f2 = footprint_files(d2.path(), towers, &body);
        let out = d2.path().join("out");
        let o = stratmap_threads(
            threads,
            &[
                "footprint",
                "--areas",
                &f2[0],
                "--towers",
                &f2[1],
                "--records",
                &f2[2],
                "--out",
                s(&out),
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(std::fs::read(out.join("footprint.geojson")).unwrap() == want);
        assert!(std::fs::read(out.join("footprint_by_category.csv")).unwrap() == want_csv);
    }
    // every phone-day is worth 1: areas + outside = total
    let table = String::from_utf8(want_csv).unwrap();
    let num = |row: &str| -> f64 {
        table
            .lines()
            .find(|l| l.starts_with(row))
            .unwrap()
            .split(',')
            .nth(2)
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(
        (num("SUO,") + num("outside,") - num("total,")).abs() < 1e-9,
        "{table}"
    );
}

/// `stratmap footprint` on the sample town's areas and towers and these
/// records, with `extra` flags, ready to run.
fn town_footprint(records: &Path, out: &Path, extra: &[&str]) -> Command {
    let town = root().join("fixtures/sample-town");
    let mut c = Command::new(env!("CARGO_BIN_EXE_stratmap"));
    c.arg("footprint")
        .arg("--areas")
        .arg(town.join("areas.geojson"))
        .arg("--towers")
        .arg(town.join("towers.csv"))
        .arg("--records")
        .arg(records)
        .arg("--out")
        .arg(out)
        .args(extra);
    c
}

/// The sample town's records sorted by time (naive local times sort as
/// text), the bad rows among them: an unknown tower inside a day, an
/// impossible date at the end.
fn sample_records_by_time() -> Vec<String> {
    let csv = std::fs::read_to_string(root().join("fixtures/sample-town/records.csv")).unwrap();
    let mut lines: Vec<String> = csv.lines().skip(1).map(String::from).collect();
    lines.sort_by_key(|l| l.split(',').nth(1).unwrap_or("").to_string());
    lines
}

/// `--sorted-by-time`: the sample town's records in time order give the
/// bytes and the messages of holding every day to the end (and the bytes
/// of the records in their own order), on any thread count. A record of
/// an earlier day than one before it stops the run with its line and
/// column and the line the later day began on, quoting no field, and
/// nothing is written.
#[test]
fn sorted_by_time_gives_the_same_bytes_and_names_a_step_back() {
    let town = root().join("fixtures/sample-town");
    let dir = tempfile::tempdir().unwrap();
    let lines = sample_records_by_time();
    let sorted = dir.path().join("sorted.csv");
    std::fs::write(
        &sorted,
        format!("phone_id,timestamp,tower_id\n{}\n", lines.join("\n")),
    )
    .unwrap();
    let footprint = |records: &Path, out: &str, threads: &str, extra: &[&str]| {
        let out = dir.path().join(out);
        let o = town_footprint(records, &out, extra)
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap();
        (o, out)
    };
    let (base, base_out) = footprint(&town.join("records.csv"), "base", "2", &[]);
    assert!(base.status.success(), "{}", stderr(&base));
    let (whole, _) = footprint(&sorted, "whole", "2", &[]);
    assert!(whole.status.success(), "{}", stderr(&whole));
    for threads in ["1", "2", "3"] {
        let (o, out) = footprint(
            &sorted,
            &format!("by-day-{threads}"),
            threads,
            &["--sorted-by-time"],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        for f in ["footprint.geojson", "footprint_by_category.csv"] {
            assert!(
                std::fs::read(out.join(f)).unwrap() == std::fs::read(base_out.join(f)).unwrap(),
                "{threads} threads: {f}"
            );
        }
        assert_eq!(stderr(&o), stderr(&whole));
        assert!(
            stderr(&o).contains("1 record left out (unknown tower)"),
            "{}",
            stderr(&o)
        );
    }
    // a record of the first day moved to the end
    let mut moved = lines.clone();
    let first = moved.remove(0);
    let day = |l: &str| l.split(',').nth(1).unwrap_or("")[..10].to_string();
    let last_day = day(&lines[lines.len() - 2]); // the last is the impossible date
    let began = 2 + moved
        .iter()
        .position(|l| day(l) == last_day && !l.ends_with("T99"))
        .unwrap();
    moved.push(first);
    let bad = dir.path().join("records.csv");
    std::fs::write(
        &bad,
        format!("phone_id,timestamp,tower_id\n{}\n", moved.join("\n")),
    )
    .unwrap();
    let (o, out) = footprint(&bad, "bad", "2", &["--sorted-by-time"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "records.csv, line {}, column 2 (timestamp): the timestamp falls on a day before that of line {began}: --sorted-by-time expects records in time order",
            moved.len() + 1
        )),
        "{err}"
    );
    assert!(!err.contains("phone-") && !err.contains("2026-10"), "{err}");
    assert!(!out.exists());
    // without the flag the order does not matter
    let (o, out) = footprint(&bad, "bad-whole", "2", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        std::fs::read(out.join("footprint.geojson")).unwrap()
            == std::fs::read(base_out.join("footprint.geojson")).unwrap()
    );
}

/// `--memory`: a budget too small for the sample town's phone-days makes
/// the run read the records again a share of the phones at a time (up to
/// 64 shares here), with the bytes of one reading, from CSV and from the
/// config; nothing is written beside the outputs (no spill files: the
/// records are read again, not copied). Standard input cannot be read
/// again, and a size must be one.
#[test]
fn memory_budget_reads_again_with_the_same_bytes() {
    let town = root().join("fixtures/sample-town");
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let config = dir.path().join("memory.toml");
    std::fs::write(&config, "[footprint]\nmemory = \"200K\"\n").unwrap();
    let footprint = |out: &str, extra: &[&str]| {
        let out = dir.path().join(out);
        let o = town_footprint(&town.join("records.csv"), &out, extra)
            .env("TMPDIR", &tmp)
            .output()
            .unwrap();
        (o, out)
    };
    let (o, base) = footprint("base", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    for (out, extra) in [
        ("tiny", &["--memory", "1K"][..]),
        ("small", &["--memory", "0.3M"][..]),
        ("config", &["--config", s(&config)][..]),
        ("ample", &["--memory", "2G"][..]),
    ] {
        let (o, dir_out) = footprint(out, extra);
        assert!(o.status.success(), "{out}: {}", stderr(&o));
        for f in ["footprint.geojson", "footprint_by_category.csv"] {
            assert!(
                std::fs::read(dir_out.join(f)).unwrap() == std::fs::read(base.join(f)).unwrap(),
                "{out}: {f}"
            );
        }
        let read_again = stderr(&o).contains("the records are read again for");
        assert_eq!(read_again, out != "ample", "{out}: {}", stderr(&o));
        let mut left: Vec<String> = std::fs::read_dir(&dir_out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["footprint.geojson", "footprint_by_category.csv"]);
    }
    assert!(stderr(&footprint("tiny2", &["--memory", "1K"]).0).contains("for 64 shares"));
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0);
    let o = town_footprint(
        Path::new("-"),
        &dir.path().join("stdin"),
        &["--memory", "1G"],
    )
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("not standard input"), "{}", stderr(&o));
    let (o, _) = footprint("bad", &["--memory", "lots"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--memory \"lots\": expected a size in bytes, such as 512M or 2G"),
        "{}",
        stderr(&o)
    );
}

/// `--memory` reads the records again only from a regular file: records
/// from a named pipe that pass the budget are refused with a message
/// (a second reading of a pipe gives nothing, and shares of the phones
/// would be missed without a word).
#[test]
fn memory_budget_refuses_to_read_a_pipe_again() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("records.pipe");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let records = std::fs::read(root().join("fixtures/sample-town/records.csv")).unwrap();
    let writer = fifo.clone();
    // blocks until stratmap opens the pipe; left to end with the test
    std::thread::spawn(move || {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(&writer) {
            let _ = f.write_all(&records);
        }
    });
    let out = dir.path().join("out");
    let o = town_footprint(&fifo, &out, &["--memory", "1K"])
        .output()
        .unwrap();
    assert!(!o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("expected a regular file that can be read again"),
        "{}",
        stderr(&o)
    );
    assert!(!out.join("footprint.geojson").exists());
}

/// Unix seconds of a local time in Europe/Stockholm in October 2026 (before
/// 03:00 on the 25th it is summer time, UTC+2; after, UTC+1).
fn chrono_like_unix(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
    assert_eq!((y, m), (2026, 10));
    // 2026-10-01T00:00:00Z = 1 790 812 800
    let utc_midnight = 1_790_812_800 + i64::from(d - 1) * 86_400;
    let off = if d < 25 || (d == 25 && h < 3) { 2 } else { 1 };
    utc_midnight + i64::from(h) * 3600 + i64::from(min) * 60 - off * 3600
}

/// Trends from CSV: a change of exactly 0.2 is stable both ways, just over
/// is not; scores outside 1–5 and unknown domains are errors with lines.
#[test]
fn assess_trends_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let answers = dir.path().join("answers.csv");
    let mut rows = vec!["area,year,question,domain,score".to_string()];
    // five answers a year: A 2.6 → 2.8 → 2.6 (stable, stable); B 2.6 → 2.8 + 1/5 (worsening)
    for (area, year, scores) in [
        ("A", 2024, [2, 3, 3, 3, 2]),
        ("A", 2025, [3, 3, 3, 3, 2]),
        ("A", 2026, [2, 3, 3, 3, 2]),
        ("B", 2025, [2, 3, 3, 3, 2]),
        ("B", 2026, [3, 3, 3, 3, 3]),
    ] {
        for (q, sc) in scores.iter().enumerate() {
            rows.push(format!("{area},{year},{q},living_environment,{sc}"));
        }
    }
    std::fs::write(&answers, rows.join("\n") + "\n").unwrap();
    let out = dir.path().join("a.csv");
    let o = stratmap(&["assess", "--answers", s(&answers), "--out", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&out).unwrap();
    let trends: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap())
        .collect();
    assert_eq!(
        trends,
        ["new", "stable", "stable", "new", "worsening"],
        "{text}"
    );
    assert!(text.contains("\nA,2025,2.8,2.8,,,stable\n"), "{text}");

    std::fs::write(
        &answers,
        "area,year,question,domain,score\nA,2026,1,living_environment,0\nA,2026,2,schools,3\n",
    )
    .unwrap();
    let bad = dir.path().join("bad.csv");
    let o = stratmap(&["assess", "--answers", s(&answers), "--out", s(&bad)]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains(
            "answers.csv, line 2, column 5 (score): expected a score, an integer 1–5, found \"0\""
        ),
        "{err}"
    );
    assert!(
        err.contains("answers.csv, line 3, column 4 (domain)"),
        "{err}"
    );
    assert!(!bad.exists());
}

/// Gi* on a grid from the command line: a cluster of events in a 9 × 9
/// block is the hot spot, at 99 % confidence; --type selects.
#[test]
fn hotspots_find_a_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let grid = dir.path().join("grid.csv");
    let mut rows = vec!["x,y,population".to_string()];
    for k in 0..81 {
        rows.push(format!(
            "{},{},100",
            600_000 + k % 9 * 250,
            6_600_000 + k / 9 * 250
        ));
    }
    std::fs::write(&grid, rows.join("\n") + "\n").unwrap();
    let events = dir.path().join("events.csv");
    let mut ev = vec!["type,x,y".to_string()];
    // 10 shootings in each of the 3 × 3 cells around the centre cell (4, 4)
    // (Gi* of the centre ≈ 7.2), one theft in a corner, one far outside
    for c in 3..6 {
        for r in 3..6 {
            for _ in 0..10 {
                ev.push(format!(
                    "shooting,{},{}",
                    600_125 + c * 250,
                    6_600_125 + r * 250
                ));
            }
        }
    }
    ev.push("theft,600010,6600010".into());
    ev.push("theft,700000,6700000".into());
    std::fs::write(&events, ev.join("\n") + "\n").unwrap();
    let out = dir.path().join("h.geojson");
    let o = stratmap(&[
        "hotspots",
        "--events",
        s(&events),
        "--grid",
        s(&grid),
        "--out",
        s(&out),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("1 event outside the study grid"),
        "{}",
        stderr(&o)
    );
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let centre = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["cell_id"] == "6010006601000")
        .unwrap();
    assert_eq!(centre["properties"]["count"], 10);
    assert_eq!(centre["properties"]["gi_bin"], 3);
    let z = centre["properties"]["gi_z"].as_f64().unwrap();
    // by hand: n = 81, Σx = 91, Σx² = 901, W = 13 neighbours holding 90 events
    let (n, mean) = (81.0_f64, 91.0 / 81.0);
    let sd = (901.0 / n - mean * mean).sqrt();
    let want = (90.0 - mean * 13.0) / (sd * ((n * 13.0 - 169.0) / (n - 1.0)).sqrt());
    assert!((z - want).abs() < 1e-12, "{z} vs {want}");
    let o = stratmap(&[
        "hotspots",
        "--events",
        s(&events),
        "--grid",
        s(&grid),
        "--type",
        "arson",
        "--out",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no events of type \"arson\": the file has shooting, theft"),
        "{}",
        stderr(&o)
    );
}

/// A single command writes its layer in every format its `--out` names,
/// through the same writers as `stratmap run`: the index raster of
/// `stratmap index --out x.tif` is the run's byte for byte; a grid layer
/// of hot spots is a raster of its numeric fields, value for value; a
/// layer's CSV is its table with WKT geometries that GDAL reads back; a
/// PNG only for the layers the map draws.
#[test]
fn single_commands_write_every_format_through_the_runs_writers() {
    let dir = tempfile::tempdir().unwrap();
    let town = root().join("fixtures/sample-town");
    let (grid, config) = (town.join("grid.csv"), town.join("config.toml"));
    let d = dir.path().join("demo");
    let o = stratmap(&["--quiet", "demo", "--out", s(&d)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let tif = dir.path().join("lc.tif");
    let index = |out: &Path| grid_command("index", &grid, &config, out);
    let o = index(&tif);
    assert!(o.status.success(), "{}", stderr(&o));
    for (single, run) in [
        ("lc.tif", "living_conditions.tif"),
        ("lc_class.tif", "living_conditions_class.tif"),
    ] {
        assert_eq!(
            std::fs::read(dir.path().join(single)).unwrap(),
            std::fs::read(d.join(run)).unwrap(),
            "{single} differs from the run's {run}"
        );
    }
    let png = dir.path().join("lc.png");
    let o = index(&png);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(std::fs::read(&png)
        .unwrap()
        .starts_with(b"\x89PNG\r\n\x1a\n"));

    // hot spots of the sample town as a raster: every band a field, every
    // pixel the value of its cell in the GeoJSON layer
    let events = town.join("events.csv");
    let hotspots = |out: &Path| {
        stratmap(&[
            "--quiet",
            "hotspots",
            "--events",
            s(&events),
            "--grid",
            s(&grid),
            "--out",
            s(out),
        ])
    };
    let (geojson, htif) = (dir.path().join("h.geojson"), dir.path().join("h.tif"));
    for out in [&geojson, &htif] {
        let o = hotspots(out);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&geojson).unwrap()).unwrap();
    let features = v["features"].as_array().unwrap();
    let mut checked = 0;
    for f in features.iter().step_by(7) {
        let id = f["properties"]["cell_id"].as_str().unwrap();
        let (x, y): (f64, f64) = (id[..6].parse().unwrap(), id[6..].parse().unwrap());
        let o = Command::new("gdallocationinfo")
            .args(["-valonly", "-geoloc", s(&htif)])
            .arg(format!("{}", x + 125.0))
            .arg(format!("{}", y + 125.0))
            .output()
            .expect("gdallocationinfo");
        let values: Vec<f64> = String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(|l| l.trim().parse().unwrap())
            .collect();
        let want: Vec<f64> = ["count", "gi_z", "gi_p", "gi_bin"]
            .iter()
            .map(|k| f["properties"][k].as_f64().unwrap_or(-9999.0))
            .collect();
        assert_eq!(values.len(), 4, "{id}: {values:?}");
        for (got, want) in values.iter().zip(&want) {
            // Float32 pixels of f64 fields
            assert!(
                (got - want).abs() <= 1e-6 * want.abs().max(1.0),
                "{id}: {values:?} vs {want:?}"
            );
        }
        checked += 1;
    }
    assert!(checked > 10, "{checked}");
    // a grid layer only: the map and a raster refuse what they cannot hold
    let o = hotspots(&dir.path().join("h.png"));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("expected a file ending in .geojson, .gpkg, .csv, .html, .tif or .mbtiles for the hotspots layer"),
        "{}",
        stderr(&o)
    );
    let o = stratmap(&[
        "youth",
        "--grid",
        s(&grid),
        "--out",
        s(&dir.path().join("y.tif")),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));

    // youth groups as a CSV table with WKT points, which GDAL reads back
    let youth = |out: &Path| grid_command("youth", &grid, &config, out);
    let ycsv = dir.path().join("y.csv");
    let o = youth(&ycsv);
    assert!(o.status.success(), "{}", stderr(&o));
    let yjson = dir.path().join("y.geojson");
    let o = youth(&yjson);
    assert!(o.status.success(), "{}", stderr(&o));
    let groups = serde_json::from_slice::<serde_json::Value>(&std::fs::read(&yjson).unwrap())
        .unwrap()["features"]
        .as_array()
        .unwrap()
        .len();
    let text = std::fs::read_to_string(&ycsv).unwrap();
    assert!(
        text.starts_with("group_id,") && text.lines().next().unwrap().ends_with(",wkt"),
        "{text}"
    );
    assert_eq!(text.lines().count(), groups + 1);
    // GDAL's CSV driver takes a `wkt` column as the geometry
    let o = Command::new("ogrinfo")
        .args(["-ro", "-al", s(&ycsv)])
        .output()
        .expect("ogrinfo");
    let info = String::from_utf8_lossy(&o.stdout);
    assert!(
        info.contains(&format!("Feature Count: {groups}")),
        "{info}{}",
        stderr(&o)
    );
    assert_eq!(info.matches("\n  POINT (").count(), groups, "{info}");
    // and as a one-layer viewer
    let yhtml = dir.path().join("y.html");
    let o = youth(&yhtml);
    assert!(o.status.success(), "{}", stderr(&o));
    let page = std::fs::read_to_string(&yhtml).unwrap();
    assert!(page.contains("\"youth_groups\":{\"type\":\"FeatureCollection\""));
}

fn sha256_of(path: &Path) -> String {
    let o = Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("sha256sum");
    String::from_utf8_lossy(&o.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// `stratmap run` from a config with paths relative to it: every layer, the
/// summary with each input's SHA-256 and row count, and the same summary on a
/// second run apart from timings.
#[test]
fn run_writes_every_layer_and_a_reproducible_summary() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    for f in [
        "grid.csv",
        "areas.geojson",
        "towers.csv",
        "records.csv",
        "events.csv",
        "answers.csv",
    ] {
        std::fs::copy(root().join("fixtures/sample-town").join(f), data.join(f)).unwrap();
    }
    let config = dir.path().join("stratmap.toml");
    std::fs::write(
        &config,
        "[inputs]\ngrid = \"data/grid.csv\"\nareas = \"data/areas.geojson\"\ntowers = \"data/towers.csv\"\nrecords = \"data/records.csv\"\nevents = \"data/events.csv\"\nanswers = \"data/answers.csv\"\n\n[output]\ndir = \"maps\"\n\n[footprint]\nmin_phones = 60\n",
    )
    .unwrap();
    let o = stratmap(&["run", s(&config)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = dir.path().join("maps");
    for f in [
        "living_conditions.geojson",
        "youth_groups.geojson",
        "footprint.geojson",
        "hotspots.geojson",
        "footprint_by_category.csv",
        "indicators.csv",
        "assessment.csv",
        "candidates.geojson",
        "concordance.csv",
        "stratmap.gpkg",
        "living_conditions.tif",
        "index.html",
        "summary.json",
    ] {
        assert!(out.join(f).exists(), "{f}");
    }
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("stratmap run: 6 layers (living_conditions, youth_groups, footprint, hotspots, assessment, candidates), 3 warnings"), "{stdout}");
    // the footprint setting from the config: Stationen (50 phones) is suppressed
    assert!(
        stdout.contains("4 areas, 1 suppressed (< 60 phones)"),
        "{stdout}"
    );

    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["stratmap"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(summary["inputs"]["grid"]["path"], "data/grid.csv");
    assert_eq!(summary["inputs"]["grid"]["rows"], 496);
    assert_eq!(summary["inputs"]["records"]["rows"], 5315);
    assert_eq!(summary["inputs"]["areas"]["features"], 4);
    for f in [
        "grid.csv",
        "areas.geojson",
        "towers.csv",
        "records.csv",
        "events.csv",
        "answers.csv",
    ] {
        let key = f.split('.').next().unwrap();
        assert_eq!(
            summary["inputs"][key]["sha256"],
            sha256_of(&data.join(f)),
            "{f}"
        );
    }
    assert_eq!(summary["config"]["footprint"]["min_phones"], 60);
    assert_eq!(summary["config"]["footprint"]["tz"], "Europe/Stockholm");
    assert_eq!(summary["counts"]["records_left_out"]["unknown_tower"], 1);
    assert_eq!(summary["counts"]["areas_suppressed"], 1);
    assert_eq!(summary["warnings"].as_array().unwrap().len(), 3);
    let gpkg = summary["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["file"] == "stratmap.gpkg")
        .unwrap();
    assert_eq!(gpkg["sha256"], sha256_of(&out.join("stratmap.gpkg")));
    let info = ogrinfo(&out.join("stratmap.gpkg"), "footprint");
    assert!(info.contains("Feature Count: 4"), "{info}");

    // the same again: the same summary but for the timings
    let o = stratmap(&["run", s(&config)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut again: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let mut first = summary.clone();
    first.as_object_mut().unwrap().remove("timings_s");
    again.as_object_mut().unwrap().remove("timings_s");
    assert_eq!(first, again);
    assert!(
        !String::from_utf8_lossy(&std::fs::read(out.join("summary.json")).unwrap())
            .contains("phone-0")
    );
}

/// A layer whose inputs are absent is skipped with a note; `[output] formats`
/// chooses what is written; an unknown format is a usage error.
#[test]
fn run_skips_layers_without_inputs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("fixtures/sample-town/grid.csv"),
        dir.path().join("grid.csv"),
    )
    .unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(
        &config,
        "[inputs]\ngrid = \"grid.csv\"\n[output]\nformats = [\"geojson\"]\n",
    )
    .unwrap();
    let out = dir.path().join("o");
    let o = stratmap(&["run", s(&config), "--out", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("note: skipped footprint: needs [inputs] areas, towers and records"),
        "{err}"
    );
    assert!(
        err.contains("note: skipped hotspots: no [inputs] events"),
        "{err}"
    );
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "candidates.geojson",
            "candidates.qml",
            "living_conditions.geojson",
            "living_conditions.qml",
            "summary.json",
            "youth_groups.geojson",
            "youth_groups.qml"
        ]
    );
    assert!(
        err.contains("note: skipped concordance: needs [inputs] areas"),
        "{err}"
    );

    std::fs::write(
        &config,
        "[inputs]\ngrid = \"grid.csv\"\n[output]\nformats = [\"shp\"]\n",
    )
    .unwrap();
    let o = stratmap(&["run", s(&config), "--out", s(&dir.path().join("o2"))]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown format \"shp\""),
        "{}",
        stderr(&o)
    );
}

/// Areas from a GeoPackage or a Shapefile (through GDAL) give the same
/// footprint as the same areas in GeoJSON.
#[test]
fn areas_from_geopackage_and_shapefile() {
    let dir = tempfile::tempdir().unwrap();
    let town = root().join("fixtures/sample-town");
    let run = |areas: &Path, out: &Path| {
        let o = stratmap(&[
            "footprint",
            "--areas",
            s(areas),
            "--towers",
            s(&town.join("towers.csv")),
            "--records",
            s(&town.join("records.csv")),
            "--out",
            s(out),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        std::fs::read(out.join("footprint.geojson")).unwrap()
    };
    let want = run(&town.join("areas.geojson"), &dir.path().join("o"));
    for (ext, driver) in [("gpkg", "GPKG"), ("shp", "ESRI Shapefile")] {
        let areas = dir.path().join(format!("areas.{ext}"));
        let ok = Command::new("ogr2ogr")
            .args(["-f", driver])
            .arg(&areas)
            .arg(town.join("areas.geojson"))
            .status()
            .expect("ogr2ogr");
        assert!(ok.success());
        let got = run(&areas, &dir.path().join(ext));
        assert!(
            got == want,
            "{ext}: footprint differs from the GeoJSON areas'"
        );
    }
}

/// Every case of the bad-input corpus (`fixtures/bad/cases.tsv`, written by
/// `scripts/make_bad_corpus.py`): the exit code, a message naming the file,
/// line and column and what was expected, and no output left behind when
/// the input is refused. The other inputs of each command are the sample
/// town's.
#[test]
fn bad_input_corpus() {
    let bad = root().join("fixtures/bad");
    let town = root().join("fixtures/sample-town");
    let manifest = std::fs::read_to_string(bad.join("cases.tsv")).unwrap();
    let mut failures = Vec::new();
    let mut n = 0;
    for line in manifest.lines().filter(|l| !l.starts_with('#')) {
        let mut cols = line.splitn(3, '\t');
        let (file, code, fragment) = (
            cols.next().unwrap(),
            cols.next().unwrap(),
            cols.next().unwrap_or(""),
        );
        let code: i32 = code.parse().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let input = bad.join(file);
        let t = |f: &str| town.join(f).to_str().unwrap().to_string();
        let (i, o) = (s(&input).to_string(), s(&out).to_string());
        let args: Vec<String> = match file.split('-').next().unwrap() {
            "grid" => vec![
                "index".into(),
                "--grid".into(),
                i,
                "--out".into(),
                format!("{o}.geojson"),
            ],
            "areas" => vec![
                "footprint".into(),
                "--areas".into(),
                i,
                "--towers".into(),
                t("towers.csv"),
                "--records".into(),
                t("records.csv"),
                "--out".into(),
                o,
            ],
            "towers" => vec![
                "footprint".into(),
                "--areas".into(),
                t("areas.geojson"),
                "--towers".into(),
                i,
                "--records".into(),
                t("records.csv"),
                "--out".into(),
                o,
            ],
            "records" => vec![
                "footprint".into(),
                "--areas".into(),
                t("areas.geojson"),
                "--towers".into(),
                t("towers.csv"),
                "--records".into(),
                i,
                "--min-phones".into(),
                "0".into(),
                "--out".into(),
                o,
            ],
            "events" => vec![
                "hotspots".into(),
                "--events".into(),
                i,
                "--grid".into(),
                t("grid.csv"),
                "--out".into(),
                format!("{o}.geojson"),
            ],
            "answers" => vec![
                "assess".into(),
                "--answers".into(),
                i,
                "--out".into(),
                format!("{o}.csv"),
            ],
            // a config of the index
            "config" => vec![
                "index".into(),
                "--grid".into(),
                t("grid.csv"),
                "--config".into(),
                i,
                "--out".into(),
                format!("{o}.geojson"),
            ],
            // areas as the study grid of hot spots
            "study" => vec![
                "hotspots".into(),
                "--events".into(),
                t("events.csv"),
                "--areas".into(),
                i,
                "--out".into(),
                format!("{o}.geojson"),
            ],
            other => panic!("no command for {other}"),
        };
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = stratmap(&refs);
        let err = stderr(&r);
        n += 1;
        if r.status.code() != Some(code) {
            failures.push(format!(
                "{file}: exit {:?}, expected {code}\n{err}",
                r.status.code()
            ));
        }
        if !err.contains(fragment) {
            failures.push(format!("{file}: stderr does not say {fragment:?}\n{err}"));
        }
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        if code != 0 && !left.is_empty() {
            failures.push(format!("{file}: refused, but left {left:?}"));
        }
        if err.contains("proj_create") || err.contains("Unknown error") || err.contains("panicked")
        {
            failures.push(format!("{file}: raw PROJ or panic text in stderr\n{err}"));
        }
        if err.contains("x-1") || err.contains("x-2") {
            failures.push(format!("{file}: a phone id in stderr"));
        }
    }
    assert!(n >= 30, "only {n} cases");
    assert!(
        failures.is_empty(),
        "{} of {n} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A run that fails part-way (the place of its second layer is taken by a
/// directory) stops with exit 3, and leaves the layers written before it
/// whole and no temporary file; an output directory that cannot be made is
/// exit 3 with nothing written.
#[test]
fn failed_writes_leave_no_partial_layer() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(out.join("youth_groups.geojson")).unwrap();
    let o = stratmap(&["demo", "--out", s(&out)]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("youth_groups.geojson"),
        "{}",
        stderr(&o)
    );
    let mut left: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        [
            "living_conditions.geojson",
            "living_conditions.qml",
            "youth_groups.geojson"
        ]
    );
    let whole = std::fs::read(out.join("living_conditions.geojson")).unwrap();
    assert!(
        whole == std::fs::read(root().join("fixtures/golden/living_conditions.geojson")).unwrap()
    );

    let blocked = dir.path().join("a-file");
    std::fs::write(&blocked, "x").unwrap();
    let grid = root().join("fixtures/sample-town/grid.csv");
    let o = stratmap(&[
        "index",
        "--grid",
        s(&grid),
        "--out",
        s(&blocked.join("sub/lc.geojson")),
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert_eq!(std::fs::read(&blocked).unwrap(), b"x");
}

/// Killed at any moment while writing a large layer, the run leaves either
/// no layer or the whole layer under its name, never a part of one (a
/// killed process cannot remove its temporary file, which keeps a
/// `.stratmap-` name).
#[test]
fn a_killed_run_leaves_no_partial_layer() {
    let dir = tempfile::tempdir().unwrap();
    // 40 000 cells: a GeoJSON layer of about 25 MB
    let grid = dir.path().join("grid.csv");
    let mut text = String::from(HEADER);
    text.push('\n');
    for k in 0..40_000 {
        let (x, y) = (400_000 + (k % 200) * 250, 6_500_000 + (k / 200) * 250);
        text.push_str(&format!(
            "{x:06}{y:07},{},200000,0.2,0.7,0.3,0.1,0.2,{},{}\n",
            50 + k % 300,
            k % 40,
            k % 15
        ));
    }
    std::fs::write(&grid, text).unwrap();
    let full = dir.path().join("full.geojson");
    assert!(stratmap(&["index", "--grid", s(&grid), "--out", s(&full)])
        .status
        .success());
    let want = std::fs::read(&full).unwrap();
    let mut outcomes = Vec::new();
    for delay_ms in [50u64, 150, 300, 500, 800, 1200, 2000] {
        let out = dir.path().join(format!("k{delay_ms}"));
        std::fs::create_dir_all(&out).unwrap();
        let layer = out.join("lc.geojson");
        let mut child = Command::new(env!("CARGO_BIN_EXE_stratmap"))
            .args(["--quiet", "index", "--grid", s(&grid), "--out", s(&layer)])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        for e in std::fs::read_dir(&out).unwrap() {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            // the layer, its QGIS style (written whole after it), or a temp name
            assert!(
                name == "lc.geojson" || name == "lc.qml" || name.starts_with(".stratmap-"),
                "{name}"
            );
        }
        let whole = layer.exists();
        if whole {
            assert!(
                std::fs::read(&layer).unwrap() == want,
                "a partial layer after {delay_ms} ms"
            );
        }
        outcomes.push(whole);
    }
    // the kills landed before, and (at the latest) after, the layer was complete
    assert!(outcomes.contains(&false), "{outcomes:?}");
}

/// Hot spots, indicators and assessments give the same bytes from the
/// events and answers in another order, on 1 and 3 threads.
#[test]
fn analysis_does_not_depend_on_row_order_or_threads() {
    let town = root().join("fixtures/sample-town");
    let dir = tempfile::tempdir().unwrap();
    let shuffled = |name: &str| {
        let text = std::fs::read_to_string(town.join(name)).unwrap();
        let mut lines: Vec<&str> = text.lines().collect();
        let header = lines.remove(0);
        lines.reverse();
        let third = lines.len() / 3;
        lines.rotate_left(third);
        let path = dir.path().join(format!("shuffled-{name}"));
        std::fs::write(&path, format!("{header}\n{}\n", lines.join("\n"))).unwrap();
        path
    };
    let (events2, answers2) = (shuffled("events.csv"), shuffled("answers.csv"));
    let run = |threads: &str, events: &Path, answers: &Path, tag: &str| {
        let out = dir.path().join(tag);
        std::fs::create_dir_all(&out).unwrap();
        let g = town.join("grid.csv");
        let a = town.join("areas.geojson");
        for args in [
            vec![
                "hotspots",
                "--events",
                s(events),
                "--grid",
                s(&g),
                "--out",
                s(&out.join("h.geojson")),
            ],
            vec![
                "indicators",
                "--events",
                s(events),
                "--areas",
                s(&a),
                "--grid",
                s(&g),
                "--out",
                s(&out.join("i.csv")),
            ],
            vec![
                "assess",
                "--answers",
                s(answers),
                "--areas",
                s(&a),
                "--out",
                s(&out.join("a.geojson")),
            ],
        ] {
            let o = stratmap_threads(threads, &args);
            assert!(o.status.success(), "{}", stderr(&o));
        }
        ["h.geojson", "i.csv", "a.geojson"].map(|f| std::fs::read(out.join(f)).unwrap())
    };
    let want = run(
        "1",
        &town.join("events.csv"),
        &town.join("answers.csv"),
        "a",
    );
    assert!(run("3", &events2, &answers2, "b") == want);
    assert!(run("1", &events2, &answers2, "c") == want);
}

/// Runs stratmap with its stdout a pipe whose reading end is closed at once,
/// as `stratmap validate … | head -0` does.
fn stratmap_into_closed_pipe(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stratmap"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run stratmap");
    drop(child.stdout.take());
    child.wait_with_output().expect("wait for stratmap")
}

/// A closed stdout ends every command quietly with exit 0 (as ripgrep does),
/// never with a panic (exit 101).
#[test]
fn a_closed_stdout_ends_quietly() {
    let town = root().join("fixtures/sample-town");
    let bad = root().join("fixtures/bad");
    let t = |f: &str| town.join(f).to_str().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let o = |f: &str| dir.path().join(f).to_str().unwrap().to_string();
    let runs: Vec<Vec<String>> = vec![
        // problems found would be exit 1: the closed pipe comes first
        vec![
            "validate".into(),
            bad.join("grid-ragged.csv").to_str().unwrap().into(),
            bad.join("grid-nan.csv").to_str().unwrap().into(),
            t("grid.csv"),
        ],
        vec!["validate".into(), t("grid.csv"), t("events.csv")],
        vec![
            "index".into(),
            "--grid".into(),
            t("grid.csv"),
            "--out".into(),
            o("lc.geojson"),
        ],
        vec![
            "hotspots".into(),
            "--events".into(),
            t("events.csv"),
            "--grid".into(),
            t("grid.csv"),
            "--out".into(),
            o("hs.geojson"),
        ],
        vec![
            "assess".into(),
            "--answers".into(),
            t("answers.csv"),
            "--out".into(),
            o("a.csv"),
        ],
        vec![
            "footprint".into(),
            "--areas".into(),
            t("areas.geojson"),
            "--towers".into(),
            t("towers.csv"),
            "--records".into(),
            t("records.csv"),
            "--out".into(),
            o("fp"),
        ],
    ];
    for args in runs {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = stratmap_into_closed_pipe(&refs);
        let err = stderr(&r);
        assert_eq!(r.status.code(), Some(0), "{args:?}\n{err}");
        assert!(!err.contains("panicked"), "{args:?}\n{err}");
        assert!(!err.contains("Broken pipe"), "{args:?}\n{err}");
    }
}

/// A band that is no distance is a usage error naming --band or the config
/// key; a band beyond the grid finishes at once with every cell a
/// neighbour of every cell.
#[test]
fn hotspot_bands_of_any_size() {
    let town = root().join("fixtures/sample-town");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("hs.geojson");
    let run = |band: &str| {
        stratmap(&[
            "hotspots",
            "--events",
            s(&town.join("events.csv")),
            "--grid",
            s(&town.join("grid.csv")),
            &format!("--band={band}"),
            "--out",
            s(&out),
        ])
    };
    for (band, shown) in [("nan", "NaN"), ("-5", "-5"), ("0", "0"), ("inf", "inf")] {
        let o = run(band);
        assert_eq!(o.status.code(), Some(2), "{band}: {}", stderr(&o));
        assert_eq!(
            stderr(&o),
            format!("error: --band {shown}: expected a positive distance in metres\n")
        );
    }
    for band in ["1e30", "1e9", "1e6"] {
        let t = std::time::Instant::now();
        let o = run(band);
        assert_eq!(o.status.code(), Some(0), "{band}: {}", stderr(&o));
        assert!(t.elapsed().as_secs() < 30, "{band}: {:?}", t.elapsed());
        let layer: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        let features = layer["features"].as_array().unwrap();
        assert_eq!(features.len(), 496);
        assert!(features
            .iter()
            .all(|f| f["properties"]["gi_bin"] == 0 && f["properties"]["gi_z"].is_null()));
    }
}

/// /dev/zero (or any endless binary stream) as a grid, config, towers,
/// events or answers is refused at its first byte, naming the file and the
/// line, with exit 1; so is a CSV line over 1 MiB.
#[test]
fn endless_and_binary_inputs_are_refused_at_once() {
    let town = root().join("fixtures/sample-town");
    let t = |f: &str| town.join(f).to_str().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let o = |f: &str| dir.path().join(f).to_str().unwrap().to_string();
    let nul = "/dev/zero, line 1: a NUL byte at column 1: expected UTF-8 text (is the file binary, or UTF-16?)";
    let z = "/dev/zero".to_string();
    let runs: Vec<Vec<String>> = vec![
        vec![
            "index".into(),
            "--grid".into(),
            z.clone(),
            "--out".into(),
            o("a.geojson"),
        ],
        vec![
            "index".into(),
            "--grid".into(),
            t("grid.csv"),
            "--config".into(),
            z.clone(),
            "--out".into(),
            o("a.geojson"),
        ],
        vec![
            "hotspots".into(),
            "--events".into(),
            z.clone(),
            "--grid".into(),
            t("grid.csv"),
            "--out".into(),
            o("h.geojson"),
        ],
        vec![
            "assess".into(),
            "--answers".into(),
            z.clone(),
            "--out".into(),
            o("a.csv"),
        ],
        vec![
            "footprint".into(),
            "--areas".into(),
            t("areas.geojson"),
            "--towers".into(),
            z.clone(),
            "--records".into(),
            t("records.csv"),
            "--out".into(),
            o("fp"),
        ],
        vec!["validate".into(), z.clone()],
    ];
    for args in runs {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let t0 = std::time::Instant::now();
        let r = stratmap(&refs);
        assert!(t0.elapsed().as_secs() < 20, "{args:?}");
        assert_eq!(r.status.code(), Some(1), "{args:?}\n{}", stderr(&r));
        let said = format!("{}{}", String::from_utf8_lossy(&r.stdout), stderr(&r));
        assert!(said.contains(nul), "{args:?}\n{said}");
    }
    // a row of 1.1 MB is no grid row
    let long = dir.path().join("long.csv");
    std::fs::write(&long, format!("{HEADER}\n{}\n", "1".repeat(1_100_000))).unwrap();
    let r = stratmap(&["index", "--grid", s(&long), "--out", &o("b.geojson")]);
    assert_eq!(r.status.code(), Some(1));
    assert_eq!(
        stderr(&r),
        format!(
            "error: {}, line 2: the line is longer than 1 MiB (1048576 bytes): expected a CSV row\n",
            s(&long)
        )
    );
    // a config of 5 MB is no config
    let big = dir.path().join("big.toml");
    std::fs::write(&big, "# padding\n".repeat(500_000)).unwrap();
    let r = stratmap(&[
        "index",
        "--grid",
        &t("grid.csv"),
        "--config",
        s(&big),
        "--out",
        &o("c.geojson"),
    ]);
    assert_eq!(r.status.code(), Some(1));
    assert_eq!(
        stderr(&r),
        format!(
            "error: {}: the file is larger than 4 MiB (4194304 bytes): expected a TOML config of a few kB\n",
            s(&big)
        )
    );
}

/// A missing input is exit 3 saying "no such file" in every command and in
/// validate; a file that is not the GeoPackage its name says is bad input
/// (exit 1) in a sentence, not GDAL's words.
#[test]
fn missing_and_unreadable_inputs_name_themselves() {
    let town = root().join("fixtures/sample-town");
    let t = |f: &str| town.join(f).to_str().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let o = |f: &str| dir.path().join(f).to_str().unwrap().to_string();
    for missing in ["nope.csv", "nope.geojson", "nope.gpkg", "nope.shp"] {
        let m = o(missing);
        let r = stratmap(&["validate", &m, &t("grid.csv")]);
        assert_eq!(r.status.code(), Some(3), "{missing}: {}", stderr(&r));
        assert_eq!(
            String::from_utf8_lossy(&r.stdout),
            format!(
                "{m}: no such file or directory\n{}: ok, a grid of 496 cells on the EPSG:3006 grid of 250 m cells\n",
                t("grid.csv")
            )
        );
        assert_eq!(stderr(&r), "error: 1 file could not be read\n");
        if missing.ends_with(".csv") {
            continue;
        }
        let r = stratmap(&[
            "footprint",
            "--areas",
            &m,
            "--towers",
            &t("towers.csv"),
            "--records",
            &t("records.csv"),
            "--out",
            &o("fp"),
        ]);
        assert_eq!(r.status.code(), Some(3), "{missing}: {}", stderr(&r));
        assert_eq!(
            stderr(&r),
            format!("error: {m}: no such file or directory\n")
        );
    }
    let garbage = root().join("fixtures/bad/areas-garbage.gpkg");
    let r = stratmap(&["validate", s(&garbage)]);
    assert_eq!(r.status.code(), Some(1), "{}", stderr(&r));
    assert_eq!(
        String::from_utf8_lossy(&r.stdout),
        format!("{}: cannot be read as a GeoPackage: expected an SQLite GeoPackage with a layer of area polygons\n", s(&garbage))
    );
    assert!(!stderr(&r).contains("NULL pointer"), "{}", stderr(&r));
    let r = stratmap(&[
        "assess",
        "--answers",
        &t("answers.csv"),
        "--areas",
        s(&garbage),
        "--out",
        &o("a.geojson"),
    ]);
    assert_eq!(r.status.code(), Some(1), "{}", stderr(&r));
    // validate sniffs a header behind a byte-order mark
    let bom = root().join("fixtures/bad/events-bom.csv");
    let r = stratmap(&["validate", s(&bom)]);
    assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
    assert_eq!(
        String::from_utf8_lossy(&r.stdout),
        format!("{}: ok, 385 events of 7 types\n", s(&bom))
    );
}

/// An EPSG code PROJ does not know is a usage error naming the option, in
/// stratmap's words only (no `proj_create: crs not found`).
#[test]
fn unknown_crs_and_bad_flags_name_the_option() {
    let town = root().join("fixtures/sample-town");
    let t = |f: &str| town.join(f).to_str().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fp");
    for (extra, said) in [
        (
            ["--crs", "EPSG:99999"],
            "error: --crs EPSG:99999: unknown CRS: expected an EPSG code PROJ knows, such as EPSG:3006\n",
        ),
        (
            ["--areas-crs", "EPSG:99999"],
            "error: --areas-crs EPSG:99999: unknown CRS: expected an EPSG code PROJ knows, such as EPSG:3006\n",
        ),
        (
            ["--radius", "nan"],
            "error: --radius NaN: expected a disc radius in metres from 1 to 100000 (the method's is 500)\n",
        ),
        (
            ["--radius=-1", "--quiet"],
            "error: --radius -1: expected a disc radius in metres from 1 to 100000 (the method's is 500)\n",
        ),
    ] {
        let mut args = vec![
            "footprint".to_string(),
            "--areas".into(),
            t("areas.geojson"),
            "--towers".into(),
            t("towers.csv"),
            "--records".into(),
            t("records.csv"),
            "--out".into(),
            s(&out).into(),
        ];
        args.extend(extra.iter().map(|a| a.to_string()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = stratmap(&refs);
        assert_eq!(r.status.code(), Some(2), "{extra:?}: {}", stderr(&r));
        assert_eq!(stderr(&r), said);
        assert!(!out.exists());
    }
    let r = stratmap(&[
        "indicators",
        "--events",
        &t("events.csv"),
        "--areas",
        &t("areas.geojson"),
        "--grid",
        &t("grid.csv"),
        "--total-area-km2=-5",
        "--out",
        s(&dir.path().join("i.csv")),
    ]);
    assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
    assert_eq!(
        stderr(&r),
        "error: --total-area-km2 -5: expected a positive number of km²\n"
    );
    // a GeoJSON naming an unknown CRS
    let areas = dir.path().join("crs.geojson");
    std::fs::write(&areas, r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::99999"}},"features":[]}"#).unwrap();
    let r = stratmap(&["validate", s(&areas)]);
    assert_eq!(r.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&r.stdout),
        format!("{}: crs \"urn:ogc:def:crs:EPSG::99999\": unknown CRS: expected an EPSG code PROJ knows, such as EPSG:3006\n", s(&areas))
    );
    assert!(!stderr(&r).contains("proj_create"), "{}", stderr(&r));
}

/// SIGTERM or SIGINT while a GeoPackage is written: the run removes its
/// temporary directory (the partial GeoPackage and its journal) and exits
/// with 128 + the signal; nothing named `.stratmap-*` is left.
#[test]
fn a_signalled_run_removes_its_temporaries() {
    let dir = tempfile::tempdir().unwrap();
    let grid = dir.path().join("grid.csv");
    let mut text = String::from(HEADER);
    text.push('\n');
    for k in 0..60_000 {
        let (x, y) = (400_000 + (k % 300) * 250, 6_500_000 + (k / 300) * 250);
        text.push_str(&format!(
            "{x:06}{y:07},{},200000,0.2,0.7,0.3,0.1,0.2,{},{}\n",
            50 + k % 300,
            k % 40,
            k % 15
        ));
    }
    std::fs::write(&grid, text).unwrap();
    let mut codes = Vec::new();
    for (k, delay_ms) in [200u64, 500, 900, 1400, 2000, 3000].into_iter().enumerate() {
        let out = dir.path().join(format!("k{delay_ms}"));
        std::fs::create_dir_all(&out).unwrap();
        let layer = out.join("lc.gpkg");
        let child = Command::new(env!("CARGO_BIN_EXE_stratmap"))
            .args(["--quiet", "index", "--grid", s(&grid), "--out", s(&layer)])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let signal = if k == 1 { "-INT" } else { "-TERM" };
        let _ = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status();
        let o = child.wait_with_output().unwrap();
        let code = o.status.code();
        let err = stderr(&o);
        let left: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            left.iter().all(|n| n == "lc.gpkg"),
            "after {delay_ms} ms (exit {code:?}): {left:?}\n{err}"
        );
        match code {
            Some(0) => assert!(layer.exists()),
            Some(130) => assert_eq!(err, "stratmap: stopped by SIGINT; no partial output left\n"),
            Some(143) => assert_eq!(
                err,
                "stratmap: stopped by SIGTERM; no partial output left\n"
            ),
            other => panic!("exit {other:?} after {delay_ms} ms\n{err}"),
        }
        codes.push(code);
    }
    assert!(codes.contains(&Some(143)), "{codes:?}");
}

/// `stratmap change` of an edition against itself changes nothing: every
/// delta is 0 and every transition stays on the diagonal; the period and
/// edition commands refuse what cannot work.
#[test]
fn change_and_emerging_refuse_bad_settings_and_keep_the_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let town = root().join("fixtures/sample-town");
    let grid = town.join("grid.csv");
    let out = dir.path().join("c.geojson");
    let o = stratmap(&[
        "change",
        "--before",
        s(&grid),
        "--after",
        s(&grid),
        "--out",
        s(&out),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    for f in v["features"].as_array().unwrap() {
        let p = &f["properties"];
        if p["status"] == "both" {
            assert_eq!(p["delta"], 0.0);
            assert_eq!(p["class_before"], p["class_after"]);
        }
    }
    let table = std::fs::read_to_string(dir.path().join("class_transitions.csv")).unwrap();
    for line in table.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f[0] != f[1] {
            assert_eq!(f[2], "0", "{line}");
        }
    }
    let events = town.join("events.csv");
    let undated = dir.path().join("undated.csv");
    std::fs::write(&undated, "type,x,y\nshooting,591000,6601000\n").unwrap();
    let x = dir.path().join("x.geojson");
    let cases: [(Vec<&str>, &str); 4] = [
        (
            vec![
                "emerging",
                "--events",
                s(&events),
                "--grid",
                s(&grid),
                "--out",
                s(&x),
            ],
            "expected --by year, quarter or month",
        ),
        (
            vec![
                "emerging",
                "--events",
                s(&events),
                "--grid",
                s(&grid),
                "--by",
                "week",
                "--out",
                s(&x),
            ],
            "--by = \"week\": expected year, quarter or month",
        ),
        (
            vec![
                "emerging",
                "--events",
                s(&undated),
                "--grid",
                s(&grid),
                "--by",
                "year",
                "--out",
                s(&x),
            ],
            "no event has a date",
        ),
        (
            vec![
                "emerging",
                "--events",
                s(&events),
                "--grid",
                s(&grid),
                "--by",
                "year",
                "--band=-1",
                "--out",
                s(&x),
            ],
            "band -1: expected a positive, finite distance",
        ),
    ];
    for (args, want) in cases {
        let r = stratmap(&args);
        assert_eq!(r.status.code(), Some(2), "{args:?}: {}", stderr(&r));
        assert!(stderr(&r).contains(want), "{args:?}: {}", stderr(&r));
        assert!(!x.exists());
    }
}

/// The sample town's planted change: Hagaberget's six cells got worse since
/// the 2019 edition (and nothing else did), and its cluster of events from
/// 2024 makes them consecutive hot spots.
#[test]
fn the_sample_towns_estate_got_worse_and_is_an_emerging_hot_spot() {
    let read = |name: &str| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(root().join("fixtures/golden").join(name)).unwrap())
            .unwrap()
    };
    let estate = |id: &str| {
        let (x, y): (i64, i64) = (id[..6].parse().unwrap(), id[6..].parse().unwrap());
        let (c, r) = ((x - 590_000) / 250, (y - 6_600_000) / 250);
        (19..=21).contains(&c) && (3..=4).contains(&r)
    };
    let change = read("change.geojson");
    for f in change["features"].as_array().unwrap() {
        let p = &f["properties"];
        let id = p["cell_id"].as_str().unwrap();
        if p["status"] != "both" {
            continue;
        }
        if estate(id) {
            assert!(p["delta"].as_f64().unwrap() > 0.0, "{p}");
        } else {
            assert_eq!(p["delta"], 0.0, "{p}");
        }
    }
    let emerging = read("emerging.geojson");
    let patterns: Vec<&str> = emerging["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| estate(f["properties"]["cell_id"].as_str().unwrap()))
        .map(|f| f["properties"]["pattern"].as_str().unwrap())
        .collect();
    assert_eq!(patterns, ["consecutive hot spot"; 6]);
}

/// A grid as Swedish Excel saves it — `;` between columns, decimal commas,
/// Windows-1252 text and Swedish column names — gives, with a config naming
/// its columns and its encoding, exactly the index of the plain file.
#[test]
fn a_swedish_excel_grid_gives_the_same_index() {
    let dir = tempfile::tempdir().unwrap();
    let plain = root().join("fixtures/sample-town/grid.csv");
    let text = std::fs::read_to_string(&plain).unwrap();
    let swedish = [
        "rutid",
        "befolkning",
        "medianinkomst",
        "låg_utbildning",
        "förvärvsfrekvens",
        "utländsk_bakgrund",
        "trångboddhet",
        "ensamstående_föräldrar",
        "ålder_0_15",
        "ålder_16_19",
    ];
    let mut out = swedish.join(";") + "\r\n";
    for line in text.lines().skip(1) {
        out.push_str(&line.replace(',', ";").replace('.', ","));
        out.push_str("\r\n");
    }
    // Windows-1252: å ä ö are one byte each
    let bytes: Vec<u8> = out
        .chars()
        .map(|c| match c {
            'å' => 0xE5,
            'ä' => 0xE4,
            'ö' => 0xF6,
            c if c.is_ascii() => c as u8,
            c => panic!("{c}"),
        })
        .collect();
    let excel = dir.path().join("rutor.csv");
    std::fs::write(&excel, bytes).unwrap();
    let logical = [
        "cell_id",
        "population",
        "income",
        "low_education",
        "employment_rate",
        "foreign_background",
        "overcrowding",
        "single_parents",
        "age_0_15",
        "age_16_19",
    ];
    let mut config = String::from("[inputs]\nencoding = \"windows-1252\"\n\n[index]\n");
    for (l, s) in logical.iter().zip(swedish) {
        config.push_str(&format!("columns.{l} = \"{s}\"\n"));
    }
    let cfg = dir.path().join("sv.toml");
    std::fs::write(&cfg, config).unwrap();
    let a = dir.path().join("a.geojson");
    let b = dir.path().join("b.geojson");
    let o = stratmap(&["index", "--grid", s(&plain), "--out", s(&a)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = stratmap(&[
        "index",
        "--grid",
        s(&excel),
        "--config",
        s(&cfg),
        "--out",
        s(&b),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap());
    // without the encoding: one problem with the hint, not one per line
    let cfg2 = dir.path().join("sv2.toml");
    let text2 = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("encoding = \"windows-1252\"\n", "");
    std::fs::write(&cfg2, text2).unwrap();
    let o = stratmap(&[
        "index",
        "--grid",
        s(&excel),
        "--config",
        s(&cfg2),
        "--out",
        s(&b),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("encoding = \"windows-1252\""), "{err}");
    assert!(err.lines().count() <= 2, "{err}");
}

/// Areas with other field names and a GeoPackage of several layers: the
/// config names the fields, `--areas-layer` the layer; without it the
/// command is refused with the layers' names instead of reading the first.
#[test]
fn areas_with_other_field_names_and_layers() {
    let dir = tempfile::tempdir().unwrap();
    let town = root().join("fixtures/sample-town");
    let text = std::fs::read_to_string(town.join("areas.geojson"))
        .unwrap()
        .replace("\"name\":", "\"namn\":")
        .replace("\"category\":", "\"kategori\":");
    let renamed = dir.path().join("omraden.geojson");
    std::fs::write(&renamed, text).unwrap();
    let cfg = dir.path().join("a.toml");
    std::fs::write(&cfg, "[areas]\nname = \"namn\"\ncategory = \"kategori\"\n").unwrap();
    let (towers, records) = (town.join("towers.csv"), town.join("records.csv"));
    let run = |areas: &Path, extra: &[&str], out: &Path| {
        let mut args = vec![
            "footprint",
            "--areas",
            s(areas),
            "--towers",
            s(&towers),
            "--records",
            s(&records),
            "--out",
            s(out),
        ];
        args.extend(extra);
        stratmap(&args)
    };
    let o = run(&renamed, &[], &dir.path().join("x"));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("expected a property \"name\""),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("it has namn, kategori"),
        "{}",
        stderr(&o)
    );
    let o = run(&renamed, &["--config", s(&cfg)], &dir.path().join("y"));
    assert!(o.status.success(), "{}", stderr(&o));
    let plain = run(&town.join("areas.geojson"), &[], &dir.path().join("z"));
    assert!(plain.status.success());
    assert!(
        std::fs::read(dir.path().join("y/footprint.geojson")).unwrap()
            == std::fs::read(dir.path().join("z/footprint.geojson")).unwrap()
    );
    // a GeoPackage of two layers
    let gpkg = dir.path().join("two.gpkg");
    for (layer, update) in [("areas", false), ("other", true)] {
        let mut args = vec!["-f", "GPKG", "-nln", layer];
        if update {
            args.push("-update");
        }
        let src = town.join("areas.geojson");
        args.extend([s(&gpkg), s(&src)]);
        let st = Command::new("ogr2ogr")
            .args(&args)
            .status()
            .expect("ogr2ogr");
        assert!(st.success());
    }
    let o = run(&gpkg, &[], &dir.path().join("g1"));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("the file has 2 layers (areas, other)"),
        "{}",
        stderr(&o)
    );
    let o = run(&gpkg, &["--areas-layer", "areas"], &dir.path().join("g2"));
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&gpkg, &["--areas-layer", "nope"], &dir.path().join("g3"));
    assert!(
        stderr(&o).contains("has no layer \"nope\": expected one of areas, other"),
        "{}",
        stderr(&o)
    );
}

/// Writing a layer into an existing GeoPackage replaces that layer only:
/// the file's other layers and their styles stay.
#[test]
fn a_layer_written_into_a_geopackage_keeps_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let grid = root().join("fixtures/sample-town/grid.csv");
    let gpkg = dir.path().join("map.gpkg");
    for cmd in ["index", "youth", "index"] {
        let o = stratmap(&[cmd, "--grid", s(&grid), "--out", s(&gpkg)]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let info = ogrinfo(&gpkg, "living_conditions");
    assert!(info.contains("Feature Count: 496"), "{info}");
    let o = Command::new("ogrinfo")
        .args(["-q", s(&gpkg)])
        .output()
        .expect("ogrinfo");
    let layers = String::from_utf8_lossy(&o.stdout);
    assert!(
        layers.contains("youth_groups") && layers.matches("living_conditions").count() == 1,
        "{layers}"
    );
    let o = Command::new("ogrinfo")
        .args([
            "-q",
            s(&gpkg),
            "-sql",
            "SELECT count(*) AS n FROM layer_styles",
        ])
        .output()
        .expect("ogrinfo");
    assert!(String::from_utf8_lossy(&o.stdout).contains("n (Integer) = 2"));
    // a file that is no GeoPackage is not overwritten
    let not = dir.path().join("not.gpkg");
    std::fs::write(&not, "hello").unwrap();
    let o = stratmap(&["index", "--grid", s(&grid), "--out", s(&not)]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("is not a GeoPackage"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&not).unwrap(), b"hello");
}

/// `--version` works on every command, and the completions and manual page
/// come from the command line's own definition.
#[test]
fn version_everywhere_completions_and_man_page() {
    for cmd in ["index", "footprint", "lisa", "emerging", "run"] {
        let o = stratmap(&[cmd, "--version"]);
        assert!(o.status.success(), "{cmd}: {}", stderr(&o));
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(out.contains(env!("CARGO_PKG_VERSION")), "{cmd}: {out}");
    }
    let o = stratmap(&["completions", "bash"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success() && out.contains("candidates") && out.contains("--areas-layer"));
    let o = stratmap(&["man"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success() && out.starts_with(".ie") && out.contains(".TH stratmap 1"));
}

/// `-` is standard input for an input and standard output for a GeoJSON or
/// CSV output: `stratmap index --grid - --out -` in a pipe gives the layer,
/// and the line about it goes to stderr, not into the data.
#[test]
fn dash_reads_stdin_and_writes_stdout() {
    use std::io::Write as _;
    let grid = std::fs::read(root().join("fixtures/sample-town/grid.csv")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_stratmap"))
        .args(["index", "--grid", "-", "--out", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&grid).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        o.stdout
            == std::fs::read(root().join("fixtures/golden/living_conditions.geojson")).unwrap()
    );
    assert!(stderr(&o).contains("wrote - (496 cells"), "{}", stderr(&o));
}

/// `"tiles"` writes one MBTiles per grid layer; a run without it removes
/// the ones an earlier run left.
#[test]
fn run_writes_vector_tiles_when_asked_and_removes_stale_ones() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("fixtures/sample-town/grid.csv"),
        dir.path().join("grid.csv"),
    )
    .unwrap();
    let config = dir.path().join("c.toml");
    let with = |formats: &str| {
        std::fs::write(
            &config,
            format!("[inputs]\ngrid = \"grid.csv\"\n[output]\nformats = {formats}\n[lisa]\n"),
        )
        .unwrap();
    };
    let out = dir.path().join("o");
    with("[\"tiles\"]");
    let o = stratmap(&["run", s(&config), "--out", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    // the grid alone: the index and LISA layers (no events for the others)
    for layer in ["living_conditions", "lisa"] {
        assert!(out.join(format!("{layer}.mbtiles")).is_file(), "{layer}");
    }
    assert!(!out.join("youth_groups.mbtiles").exists());
    with("[\"geojson\"]");
    let o = stratmap(&["run", s(&config), "--out", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!out.join("living_conditions.mbtiles").exists());
    assert!(
        stderr(&o).contains("living_conditions.mbtiles left by an earlier run"),
        "{}",
        stderr(&o)
    );
}

/// `stratmap serve` listens on loopback only.
#[test]
fn serve_refuses_a_non_loopback_address() {
    let dir = tempfile::tempdir().unwrap();
    let o = stratmap(&["serve", s(dir.path()), "--host", "0.0.0.0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("loopback"), "{}", stderr(&o));
}
