//! Hostile inputs from the trust issue: phone ids never leak, suppressed
//! figures cannot be worked out, spreadsheets cannot be made to run text,
//! and plausible mistakes are refused or said, never silently wrong.

use std::path::{Path, PathBuf};
use std::process::Output;

fn stratmap(args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_stratmap"))
        .args(args)
        .output()
        .unwrap()
}

fn town(f: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/sample-town");
    p.join(f).to_str().unwrap().to_string()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn sv(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

/// Every file under `dir`, as bytes, with its name.
fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push((p.clone(), std::fs::read(&p).unwrap()));
        }
    }
    out
}

/// Records files as a careless export or a hostile user makes them. Every
/// phone id is `secretNN…`; the sample town's towers are T01…T12.
fn hostile_records() -> Vec<(&'static str, String)> {
    let ok = "secret01,2026-10-05 09:00,T03\nsecret02,2026-10-05 10:00,T05\n";
    vec![
        // phone id under timestamp and under tower_id (swapped columns)
        (
            "swapped-timestamp",
            format!("phone_id,timestamp,tower_id\n2026-10-05 09:00,secret11,T03\n{ok}"),
        ),
        (
            "swapped-tower",
            format!("phone_id,tower_id,timestamp\nT03,secret12,2026-10-05 09:00\n{ok}"),
        ),
        (
            "tower-and-phone-swapped",
            format!("tower_id,timestamp,phone_id\nsecret13,2026-10-05 09:00,T03\n{ok}"),
        ),
        // a quote opened in a field and never closed
        (
            "stray-quote",
            format!("phone_id,timestamp,tower_id\nsecret14,2026-10-05 09:00,\"T03\n{ok}secret15,2026-10-05 11:00,T04\n"),
        ),
        ("no-header", format!("secret16,2026-10-05 09:00,T03\n{ok}")),
        (
            "wrong-field-count",
            format!("phone_id,timestamp,tower_id\nsecret17,2026-10-05 09:00,T03,secret18\nsecret19\n{ok}"),
        ),
        (
            "own-positions",
            "phone_id,timestamp,x,y\nsecret20,2026-10-05 09:00,secret21,6600000\nsecret22,2026-10-05 09:00,16.6,59.5\nsecret23,2026-10-05 09:00,600000,secret24\n".to_string(),
        ),
        (
            "bad-times",
            format!("phone_id,timestamp,tower_id\nsecret25,2026-03-29 02:30,T03\nsecret26,99999999999999999999999,T03\nsecret27,,T03\n{ok}"),
        ),
        (
            "semicolons-and-bom",
            format!("\u{feff}phone_id;timestamp;tower_id\nsecret28;2026-10-05 09:00;secret29\n{}", ok.replace(',', ";")),
        ),
    ]
}

const ALL_IDS: [&str; 29] = [
    "secret01", "secret02", "secret11", "secret12", "secret13", "secret14", "secret15", "secret16",
    "secret17", "secret18", "secret19", "secret20", "secret21", "secret22", "secret23", "secret24",
    "secret25", "secret26", "secret27", "secret28", "secret29", "secret", "ecret1", "ecret2",
    "16.6", "59.5", "02:30", "99999999", "T03\n",
];

/// Phone ids (and any field value of a records file) appear in no output,
/// message or error of footprint (plain, --quiet, --strict), run (and its
/// summary.json) or validate.
#[test]
fn no_phone_id_in_any_output_or_message() {
    let mut checked = 0;
    for (name, body) in hostile_records() {
        let dir = tempfile::tempdir().unwrap();
        let records = dir.path().join("records.csv");
        std::fs::write(&records, &body).unwrap();
        let r = records.to_str().unwrap();
        let out = dir.path().join("out");
        let o = out.to_str().unwrap();
        let cfg = dir.path().join("run.toml");
        std::fs::write(
            &cfg,
            format!(
                "[inputs]\nareas = {:?}\ntowers = {:?}\nrecords = \"records.csv\"\n[output]\ndir = \"run\"\nformats = [\"geojson\", \"csv\", \"html\"]\n[footprint]\nmin_phones = 0\n",
                town("areas.geojson"),
                town("towers.csv")
            ),
        )
        .unwrap();
        let common = [
            "footprint",
            "--areas",
            &town("areas.geojson"),
            "--towers",
            &town("towers.csv"),
            "--records",
            r,
            "--min-phones",
            "0",
            "--out",
            o,
        ]
        .map(String::from);
        let runs: Vec<Vec<String>> = vec![
            common.to_vec(),
            [&["--quiet".to_string()][..], &common].concat(),
            [&common[..], &["--strict".to_string()]].concat(),
            vec!["run".into(), cfg.to_str().unwrap().into()],
            vec!["--quiet".into(), "run".into(), cfg.to_str().unwrap().into()],
            vec!["validate".into(), r.into()],
        ];
        for args in runs {
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            let res = stratmap(&refs);
            let all = text(&res);
            assert!(
                res.status.code().is_some_and(|c| c <= 3),
                "{name} {args:?}: {all}"
            );
            for id in ALL_IDS {
                assert!(!all.contains(id), "{name} {args:?} says {id:?}:\n{all}");
            }
            for (path, bytes) in files_under(dir.path()) {
                if path == records || path == cfg {
                    continue;
                }
                let t = String::from_utf8_lossy(&bytes);
                // the layers hold coordinates of their own: ids only
                for id in ALL_IDS.iter().filter(|i| i.contains("ecret")) {
                    assert!(
                        !t.contains(id),
                        "{name} {args:?}: {} holds {id:?}",
                        path.display()
                    );
                }
            }
            checked += 1;
        }
        // a stray quote spoils its own line only: every other record is read
        if name == "stray-quote" {
            let res = stratmap(&common.iter().map(String::as_str).collect::<Vec<_>>());
            let all = text(&res);
            assert!(all.contains("3 records → "), "{all}");
            assert!(
                all.contains(
                    "1 record left out (malformed row): line 2: a quote is opened and not closed"
                ),
                "{all}"
            );
        }
    }
    assert_eq!(checked, 9 * 6);
}

/// Two UO areas, one touched by a single phone: neither the UO row less the
/// published area nor total − outside − the published areas gives it away.
#[test]
fn a_suppressed_area_cannot_be_worked_out_by_differencing() {
    let dir = tempfile::tempdir().unwrap();
    // four square areas on a line, 5 km apart; towers in their middles and far out
    let sq = |x0: f64, name: &str, cat: &str| {
        format!(
            r#"{{"type":"Feature","properties":{{"name":"{name}","category":"{cat}"}},"geometry":{{"type":"Polygon","coordinates":[[[{x0},6600000],[{x1},6600000],[{x1},6602000],[{x0},6602000],[{x0},6600000]]]}}}}"#,
            x1 = x0 + 2000.0
        )
    };
    let areas = format!(
        r#"{{"type":"FeatureCollection","crs":{{"type":"name","properties":{{"name":"urn:ogc:def:crs:EPSG::3006"}}}},"features":[{},{},{},{}]}}"#,
        sq(600_000.0, "Alfa", "UO"),
        sq(605_000.0, "Beta", "UO"),
        sq(610_000.0, "Gamma", "RO"),
        sq(615_000.0, "Delta", "SUO")
    );
    std::fs::write(dir.path().join("areas.geojson"), areas).unwrap();
    std::fs::write(
        dir.path().join("towers.csv"),
        "tower_id,x,y\nA,601000,6601000\nB,606000,6601000\nG,611000,6601000\nD,616000,6601000\nFAR,640000,6601000\n",
    )
    .unwrap();
    let mut rec = String::from("phone_id,timestamp,tower_id\n");
    for p in 0..5 {
        rec.push_str(&format!(
            "p{p},2026-10-05 09:00,A\np{p},2026-10-06 09:00,FAR\n"
        ));
    }
    rec.push_str("lonely,2026-10-05 09:00,B\n");
    for p in 10..14 {
        rec.push_str(&format!(
            "p{p},2026-10-05 09:00,G\np{p},2026-10-05 10:00,D\n"
        ));
    }
    std::fs::write(dir.path().join("records.csv"), rec).unwrap();
    let d = |f: &str| dir.path().join(f).to_str().unwrap().to_string();
    let o = stratmap(&[
        "footprint",
        "--areas",
        &d("areas.geojson"),
        "--towers",
        &d("towers.csv"),
        "--records",
        &d("records.csv"),
        "--out",
        &d("out"),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("1 suppressed (< 3 phones) and 1 more"),
        "{}",
        text(&o)
    );
    let layer: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/footprint.geojson")).unwrap())
            .unwrap();
    let fp: std::collections::BTreeMap<String, Option<f64>> = layer["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let p = &f["properties"];
            (
                p["name"].as_str().unwrap().to_string(),
                p["footprint"].as_f64(),
            )
        })
        .collect();
    assert_eq!(fp["Beta"], None);
    assert_eq!(fp["Alfa"], None, "Alfa is blanked to protect Beta");
    assert_eq!(fp["Gamma"], Some(2.0));
    assert_eq!(fp["Delta"], Some(2.0));
    let table = std::fs::read_to_string(dir.path().join("out/footprint_by_category.csv")).unwrap();
    let row = |c: &str| -> Vec<String> {
        table
            .lines()
            .find(|l| l.starts_with(&format!("{c},")))
            .unwrap()
            .split(',')
            .map(String::from)
            .collect()
    };
    let num = |c: &str| row(c)[2].parse::<f64>().ok();
    // what an attacker has: UO 6 = Alfa 5 + Beta 1, both blank; the rest adds up
    assert_eq!(num("UO"), Some(6.0));
    assert_eq!(num("total"), Some(15.0));
    let outside = num("outside").unwrap();
    assert_eq!(
        num("total").unwrap() - outside - num("RO").unwrap() - num("SUO").unwrap(),
        6.0
    );
    // no sum or difference isolates Beta or Alfa: both are only known together
}

/// Text that a spreadsheet would run is neutralised in every CSV table.
#[test]
fn csv_tables_neutralise_formulas() {
    let dir = tempfile::tempdir().unwrap();
    let areas = std::fs::read_to_string(town("areas.geojson"))
        .unwrap()
        .replace("\"Centrum\"", "\"=HYPERLINK(1)\"")
        .replace("\"reported\"", "\"+cmd\"");
    std::fs::write(dir.path().join("areas.geojson"), areas).unwrap();
    let events = std::fs::read_to_string(town("events.csv"))
        .unwrap()
        .replace(",shooting,", ",@SUM(A1),");
    std::fs::write(dir.path().join("events.csv"), events).unwrap();
    let answers = std::fs::read_to_string(town("answers.csv"))
        .unwrap()
        .replace("Centrum", "-2+3");
    std::fs::write(dir.path().join("answers.csv"), answers).unwrap();
    let d = |f: &str| dir.path().join(f).to_str().unwrap().to_string();
    let runs = [
        sv(&[
            "indicators",
            "--events",
            &d("events.csv"),
            "--areas",
            &d("areas.geojson"),
            "--grid",
            &town("grid.csv"),
            "--out",
            &d("ind.csv"),
        ]),
        sv(&[
            "assess",
            "--answers",
            &d("answers.csv"),
            "--out",
            &d("as.csv"),
        ]),
        sv(&[
            "footprint",
            "--areas",
            &d("areas.geojson"),
            "--towers",
            &town("towers.csv"),
            "--records",
            &town("records.csv"),
            "--out",
            &d("fp"),
        ]),
    ];
    for args in &runs {
        let o = stratmap(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(o.status.success(), "{}", text(&o));
    }
    let ind = std::fs::read_to_string(d("ind.csv")).unwrap();
    assert!(ind.contains("\n'+cmd,'@SUM(A1),"), "{ind}");
    assert!(!ind.contains(",@SUM") && !ind.contains("\n+cmd"), "{ind}");
    let ass = std::fs::read_to_string(d("as.csv")).unwrap();
    assert!(ass.contains("\n'-2+3,"), "{ass}");
    let fp = std::fs::read_to_string(d("fp/footprint_by_category.csv")).unwrap();
    assert!(fp.contains("\n'+cmd,1,"), "{fp}");
}

/// Plausible mistakes are refused with a sentence, or said.
#[test]
fn plausible_mistakes_are_refused_or_said() {
    let dir = tempfile::tempdir().unwrap();
    let d = |f: &str| dir.path().join(f).to_str().unwrap().to_string();
    let fp = |extra: &[&str]| {
        let areas = town("areas.geojson");
        let mut a = vec!["footprint", "--areas", &areas];
        let towers = town("towers.csv");
        let records = town("records.csv");
        let out = d("fp");
        a.extend(["--towers", &towers, "--records", &records, "--out", &out]);
        a.extend_from_slice(extra);
        let a: Vec<String> = a.iter().map(|s| s.to_string()).collect();
        stratmap(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    for r in ["1e8", "1e9", "1e-200", "0", "-5", "nan"] {
        let flag = format!("--radius={r}");
        let o = fp(&[&flag]);
        assert_eq!(o.status.code(), Some(2), "{r}: {}", text(&o));
        assert!(
            text(&o).contains("expected a disc radius in metres from 1 to 100000"),
            "{}",
            text(&o)
        );
    }
    // degrees as the working CRS: refused, on the command line and in a config
    let o = fp(&["--crs", "EPSG:4326"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("--crs EPSG:4326: EPSG:4326 is not a projected CRS in metres"),
        "{}",
        text(&o)
    );
    std::fs::write(d("deg.toml"), "[grid]\ncrs = \"EPSG:4326\"\n").unwrap();
    let o = stratmap(&[
        "index",
        "--grid",
        &town("grid.csv"),
        "--config",
        &d("deg.toml"),
        "--out",
        &d("i.geojson"),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("[grid] crs = \"EPSG:4326\": EPSG:4326 is not a projected CRS in metres"),
        "{}",
        text(&o)
    );
    // a total area smaller than the areas
    let o = stratmap(&[
        "indicators",
        "--events",
        &town("events.csv"),
        "--areas",
        &town("areas.geojson"),
        "--grid",
        &town("grid.csv"),
        "--total-area-km2",
        "1",
        "--out",
        &d("i.csv"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("less than the areas' own 2.823 km²"),
        "{}",
        text(&o)
    );
    // an empty events file is said
    std::fs::write(d("ev.csv"), "type,x,y\n").unwrap();
    let o = stratmap(&[
        "hotspots",
        "--events",
        &d("ev.csv"),
        "--grid",
        &town("grid.csv"),
        "--out",
        &d("h.geojson"),
    ]);
    assert!(
        text(&o).contains("has a header but no events"),
        "{}",
        text(&o)
    );
    assert!(
        text(&o).contains("Gi* is undefined in every cell (every cell has the same count)"),
        "{}",
        text(&o)
    );
    // a band over the whole grid: Gi* undefined everywhere, said
    let o = stratmap(&[
        "hotspots",
        "--events",
        &town("events.csv"),
        "--grid",
        &town("grid.csv"),
        "--band",
        "20000",
        "--out",
        &d("h2.geojson"),
    ]);
    assert!(
        text(&o).contains("Gi* is undefined in every cell (every cell's band covers"),
        "{}",
        text(&o)
    );
    // Unix milliseconds are read as milliseconds, and said
    let ms: String = (0..6)
        .map(|i| format!("p{},{},T03\n", i % 3, 1_790_000_000_000u64 + i * 1000))
        .collect();
    std::fs::write(d("ms.csv"), format!("phone_id,timestamp,tower_id\n{ms}")).unwrap();
    let o = stratmap(&[
        "footprint",
        "--areas",
        &town("areas.geojson"),
        "--towers",
        &town("towers.csv"),
        "--records",
        &d("ms.csv"),
        "--min-phones",
        "0",
        "--out",
        &d("ms"),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("6 records → 3 phone-days"),
        "{}",
        text(&o)
    );
    assert!(
        text(&o).contains("6 timestamps read as Unix milliseconds"),
        "{}",
        text(&o)
    );
    // a repeated header column is refused
    std::fs::write(
        d("dup.csv"),
        "type,x,y,type\nshooting,600000,6600000,weapons\n",
    )
    .unwrap();
    let o = stratmap(&["validate", &d("dup.csv")]);
    assert!(
        text(&o).contains("columns 1 and 4 are both named \"type\""),
        "{}",
        text(&o)
    );
    // overlapping areas are warned about by indicators too
    let areas = std::fs::read_to_string(town("areas.geojson")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&areas).unwrap();
    let mut twice = v.clone();
    let mut copy = v["features"][0].clone();
    copy["properties"]["name"] = "Kopia".into();
    copy["id"] = "Kopia".into();
    twice["features"].as_array_mut().unwrap().push(copy);
    std::fs::write(d("twice.geojson"), twice.to_string()).unwrap();
    let o = stratmap(&[
        "indicators",
        "--events",
        &town("events.csv"),
        "--areas",
        &d("twice.geojson"),
        "--grid",
        &town("grid.csv"),
        "--out",
        &d("i2.csv"),
    ]);
    assert!(
        text(&o).contains("warning: areas \"Centrum\" and \"Kopia\" overlap"),
        "{}",
        text(&o)
    );
}

/// Areas 100 km from every tower (two degrees of longitude off) are said.
#[test]
fn areas_far_from_every_input_are_said() {
    let dir = tempfile::tempdir().unwrap();
    let far = std::fs::read_to_string(town("areas.geojson"))
        .unwrap()
        .replace("[16.", "[18.");
    let p = dir.path().join("far.geojson");
    std::fs::write(&p, far).unwrap();
    let out = dir.path().join("o");
    let o = stratmap(&[
        "footprint",
        "--areas",
        p.to_str().unwrap(),
        "--towers",
        &town("towers.csv"),
        "--records",
        &town("records.csv"),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        text(&o).contains(
            "warning: 4 areas lie 50 km or more from every tower (area \"Centrum\": 109 km)"
        ),
        "{}",
        text(&o)
    );
}

/// `stratmap run`: an explicit mapping to a missing column is an error, an
/// empty config is refused, and a re-run leaves no stale layer behind.
#[test]
fn run_refuses_what_it_would_silently_ignore() {
    let dir = tempfile::tempdir().unwrap();
    let d = |f: &str| dir.path().join(f).to_str().unwrap().to_string();
    std::fs::write(d("empty.toml"), "").unwrap();
    let o = stratmap(&["run", &d("empty.toml")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("expected an [inputs] section"),
        "{}",
        text(&o)
    );
    std::fs::write(
        d("map.toml"),
        format!(
            "[inputs]\ngrid = {:?}\n[index]\ncolumns.overcrowding = {{ name = \"trangbodd\" }}\n",
            town("grid.csv")
        ),
    )
    .unwrap();
    let o = stratmap(&["run", &d("map.toml"), "--out", &d("o1")]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains(
            "columns.overcrowding names the column \"trangbodd\", which this file does not have"
        ),
        "{}",
        text(&o)
    );
    // a full run, then one with the grid only: the footprint of the first must go
    std::fs::write(
        d("full.toml"),
        format!("[inputs]\ngrid = {:?}\nareas = {:?}\ntowers = {:?}\nrecords = {:?}\n[output]\nformats = [\"geojson\", \"csv\"]\n", town("grid.csv"), town("areas.geojson"), town("towers.csv"), town("records.csv")),
    )
    .unwrap();
    let o = stratmap(&["run", &d("full.toml"), "--out", &d("o2")]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(dir.path().join("o2/footprint.geojson").exists());
    std::fs::write(
        d("grid.toml"),
        format!(
            "[inputs]\ngrid = {:?}\n[output]\nformats = [\"geojson\", \"csv\"]\n",
            town("grid.csv")
        ),
    )
    .unwrap();
    let o = stratmap(&["run", &d("grid.toml"), "--out", &d("o2")]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(!dir.path().join("o2/footprint.geojson").exists());
    assert!(!dir.path().join("o2/footprint_by_category.csv").exists());
    assert!(text(&o).contains("removed"), "{}", text(&o));
}
