//! The sample town "Åsby": a made-up town of a few hundred populated 250 m
//! cells in SWEREF 99 TM, with five neighbourhoods of different profiles,
//! suppressed values and thinly populated cells, plus areas, towers, connection
//! records, events and assessment answers for the later layers.
//!
//! The generator is deterministic: the same code always writes the same bytes
//! (its own SplitMix64 generator, so no crate upgrade can change the fixtures).
//! A test checks that `fixtures/sample-town` is what this code makes.

use std::fmt::Write as _;
use stratmap_io::Error;
use stratmap_io::Transform;
use stratmap_io::{geojson_bytes, round7};
use stratmap_io::{Feature, Field, FieldType, Layer, Value};

/// Lower-left corner of the town's grid, EPSG:3006 metres.
pub const ORIGIN: (i64, i64) = (590_000, 6_600_000);
pub const CELL: i64 = 250;
pub const COLS: i64 = 28;
pub const ROWS: i64 = 24;

/// SplitMix64 (Steele, Lea & Flood 2014): small, fast and fixed forever.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u = 1.0 - self.unit();
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// A neighbourhood: where it is, how dense, and what its residents are like.
struct Hood {
    #[allow(dead_code)] // names the neighbourhood for the reader
    name: &'static str,
    /// Centre in cell units from the origin.
    centre: (f64, f64),
    /// Spread in cells.
    sigma: f64,
    /// Residents per cell at the centre.
    peak: f64,
    income: f64,
    low_education: f64,
    employment_rate: f64,
    foreign_background: f64,
    overcrowding: f64,
    single_parents: f64,
    child_share: f64,
    youth_share: f64,
}

const HOODS: [Hood; 5] = [
    Hood {
        name: "Centrum",
        centre: (14.0, 12.0),
        sigma: 2.5,
        peak: 220.0,
        income: 265_000.0,
        low_education: 0.10,
        employment_rate: 0.78,
        foreign_background: 0.22,
        overcrowding: 0.06,
        single_parents: 0.12,
        child_share: 0.10,
        youth_share: 0.04,
    },
    Hood {
        name: "Norrby",
        centre: (9.0, 18.0),
        sigma: 2.2,
        peak: 380.0,
        income: 155_000.0,
        low_education: 0.33,
        employment_rate: 0.52,
        foreign_background: 0.72,
        overcrowding: 0.34,
        single_parents: 0.31,
        child_share: 0.27,
        youth_share: 0.07,
    },
    Hood {
        name: "Västerdal",
        centre: (4.0, 8.0),
        sigma: 1.6,
        peak: 260.0,
        income: 180_000.0,
        low_education: 0.26,
        employment_rate: 0.60,
        foreign_background: 0.55,
        overcrowding: 0.22,
        single_parents: 0.25,
        child_share: 0.24,
        youth_share: 0.065,
    },
    Hood {
        name: "Villastaden",
        centre: (21.0, 17.0),
        sigma: 3.0,
        peak: 90.0,
        income: 390_000.0,
        low_education: 0.05,
        employment_rate: 0.88,
        foreign_background: 0.10,
        overcrowding: 0.02,
        single_parents: 0.08,
        child_share: 0.22,
        youth_share: 0.06,
    },
    Hood {
        name: "Södra Hagen",
        centre: (18.0, 5.0),
        sigma: 2.8,
        peak: 140.0,
        income: 275_000.0,
        low_education: 0.12,
        employment_rate: 0.80,
        foreign_background: 0.25,
        overcrowding: 0.07,
        single_parents: 0.14,
        child_share: 0.17,
        youth_share: 0.05,
    },
];

/// A housing estate at the edge of Södra Hagen that no police area covers:
/// six cells more deprived than Norrby, so the candidate-area layer finds
/// it as a `new` candidate. Its cells are drawn from the same random numbers
/// as before (only their profile changes), so the rest of the town is as it was.
const ESTATE: Hood = Hood {
    name: "Hagaberget",
    centre: (20.5, 4.0),
    sigma: 1.0,
    peak: 0.0,
    income: 140_000.0,
    low_education: 0.37,
    employment_rate: 0.47,
    foreign_background: 0.76,
    overcrowding: 0.37,
    single_parents: 0.34,
    child_share: 0.28,
    youth_share: 0.075,
};

fn estate(col: i64, row: i64) -> bool {
    (19..=21).contains(&col) && (3..=4).contains(&row)
}

/// Cells with nobody: a lake in the east and an industrial zone in the south.
fn uninhabited(col: i64, row: i64) -> bool {
    let lake = ((col as f64 - 25.0) / 2.5).powi(2) + ((row as f64 - 9.0) / 3.5).powi(2) <= 1.0;
    let industry = (12..=15).contains(&col) && (1..=4).contains(&row);
    lake || industry
}

fn weights(col: i64, row: i64) -> [f64; 5] {
    let (cx, cy) = (col as f64 + 0.5, row as f64 + 0.5);
    HOODS.map(|h| {
        let d2 = (cx - h.centre.0).powi(2) + (cy - h.centre.1).powi(2);
        h.peak * (-d2 / (2.0 * h.sigma * h.sigma)).exp()
    })
}

fn share(v: f64) -> String {
    format!("{:.3}", v.clamp(0.0, 1.0))
}

/// The grid statistics of one edition: `with_estate` false is the 2019
/// edition, before Hagaberget's blocks were let to the poorest households
/// (the same random numbers, so every other cell is the same in both).
fn grid_csv(rng: &mut Rng, with_estate: bool) -> String {
    let mut s = String::from(
        "cell_id,population,income,low_education,employment_rate,foreign_background,overcrowding,single_parents,age_0_15,age_16_19\n",
    );
    // North to south, west to east, as a map is read.
    for row in (0..ROWS).rev() {
        for col in 0..COLS {
            let noise = 1.0 + 0.12 * rng.normal();
            if uninhabited(col, row) {
                continue;
            }
            let w = weights(col, row);
            let mut pop = (w.iter().sum::<f64>() * noise).round();
            if pop < 5.0 {
                continue; // Statistics Sweden publishes no empty cells
            }
            let total: f64 = w.iter().sum::<f64>().max(1e-9);
            let in_estate = with_estate && estate(col, row);
            if in_estate {
                pop = (pop * 1.5).round(); // blocks of flats: denser
            }
            let mix = |f: fn(&Hood) -> f64| {
                if in_estate {
                    return f(&ESTATE);
                }
                HOODS.iter().zip(w).map(|(h, w)| f(h) * w).sum::<f64>() / total
            };
            let mut income =
                Some((mix(|h| h.income) * (1.0 + 0.06 * rng.normal()) / 100.0).round() * 100.0);
            let mut low_ed = Some(mix(|h| h.low_education) + 0.03 * rng.normal());
            let mut empl = Some(mix(|h| h.employment_rate) + 0.03 * rng.normal());
            let mut foreign = Some(mix(|h| h.foreign_background) + 0.04 * rng.normal());
            let mut overcrowd = Some(mix(|h| h.overcrowding) + 0.02 * rng.normal());
            let single = Some(mix(|h| h.single_parents) + 0.03 * rng.normal());
            let a0 = (pop * mix(|h| h.child_share) * (1.0 + 0.1 * rng.normal()))
                .round()
                .max(0.0);
            let a16 = (pop * mix(|h| h.youth_share) * (1.0 + 0.15 * rng.normal()))
                .round()
                .max(0.0);
            // Suppression at source in small cells.
            if pop < 50.0 {
                if rng.chance(0.3) {
                    income = None;
                }
                if rng.chance(0.12) {
                    foreign = None;
                    overcrowd = None;
                }
            }
            if rng.chance(0.02) {
                low_ed = None;
            }
            if rng.chance(0.02) {
                empl = None;
            }
            let id = format!("{:06}{:07}", ORIGIN.0 + col * CELL, ORIGIN.1 + row * CELL);
            let opt = |v: Option<f64>, f: fn(f64) -> String| v.map(f).unwrap_or_default();
            let _ = writeln!(
                s,
                "{id},{pop},{},{},{},{},{},{},{a0},{a16}",
                opt(income, |v| format!("{v}")),
                opt(low_ed, share),
                opt(empl, share),
                opt(foreign, share),
                opt(overcrowd, share),
                opt(single, share),
            );
        }
    }
    s
}

/// Police areas as irregular polygons around neighbourhood centres.
fn areas_geojson(rng: &mut Rng) -> Result<String, Error> {
    let specs = [
        ("Norrby", "SUO", (9.0, 18.2), 2.6),
        ("Västerdal", "UO", (4.2, 8.0), 1.9),
        ("Stationen", "RO", (17.6, 12.1), 1.1),
        ("Centrum", "reported", (13.6, 12.0), 2.0),
    ];
    let mut features = Vec::new();
    for (name, category, (cx, cy), r) in specs {
        let n = 9;
        let mut ring: Vec<(f64, f64)> = (0..n)
            .map(|k| {
                let a = std::f64::consts::TAU * k as f64 / n as f64;
                let rr = r * (0.85 + 0.3 * rng.unit()) * CELL as f64;
                let x = ORIGIN.0 as f64 + cx * CELL as f64 + rr * a.cos();
                let y = ORIGIN.1 as f64 + cy * CELL as f64 + rr * a.sin();
                (x.round(), y.round())
            })
            .collect();
        ring.push(ring[0]);
        features.push(Feature {
            id: Value::Text(name.into()),
            geometry: geo::Geometry::Polygon(geo::Polygon::new(ring.into(), vec![])),
            values: vec![Value::Text(name.into()), Value::Text(category.into())],
        });
    }
    features.sort_by(|a, b| format!("{:?}", a.id).cmp(&format!("{:?}", b.id)));
    let layer = Layer {
        name: "areas".into(),
        epsg: stratmap_io::Epsg::SWEREF99_TM,
        fields: vec![
            Field {
                name: "name".into(),
                kind: FieldType::Text,
            },
            Field {
                name: "category".into(),
                kind: FieldType::Text,
            },
        ],
        features,
    };
    Ok(String::from_utf8_lossy(&geojson_bytes(&layer)?).into_owned())
}

/// Towers on a jittered lattice, given in lon/lat.
fn towers(rng: &mut Rng) -> Result<(String, Vec<(f64, f64)>), Error> {
    let to_wgs84 = Transform::to_wgs84(stratmap_io::Epsg::SWEREF99_TM)?;
    let mut s = String::from("tower_id,lon,lat\n");
    let mut xy = Vec::new();
    let mut k = 1;
    for j in 0..4 {
        for i in 0..5 {
            let x = ORIGIN.0 as f64 + (2.5 + 5.5 * i as f64 + rng.normal()) * CELL as f64;
            let y = ORIGIN.1 as f64 + (2.5 + 6.0 * j as f64 + rng.normal()) * CELL as f64;
            let (lon, lat) = to_wgs84.point(x.round(), y.round())?;
            let _ = writeln!(s, "T{k:02},{},{}", round7(lon), round7(lat));
            xy.push((x.round(), y.round()));
            k += 1;
        }
    }
    Ok((s, xy))
}

fn nearest(towers: &[(f64, f64)], p: (f64, f64)) -> usize {
    let d = |t: &(f64, f64)| (t.0 - p.0).powi(2) + (t.1 - p.1).powi(2);
    (0..towers.len())
        .min_by(|&a, &b| d(&towers[a]).total_cmp(&d(&towers[b])))
        .unwrap_or(0)
}

fn around(rng: &mut Rng, h: &Hood) -> (f64, f64) {
    (
        ORIGIN.0 as f64 + (h.centre.0 + h.sigma * rng.normal()) * CELL as f64,
        ORIGIN.1 as f64 + (h.centre.1 + h.sigma * rng.normal()) * CELL as f64,
    )
}

fn pick_hood(rng: &mut Rng, w: &[f64]) -> usize {
    let total: f64 = w.iter().sum();
    let mut u = rng.unit() * total;
    for (i, x) in w.iter().enumerate() {
        if u < *x {
            return i;
        }
        u -= x;
    }
    w.len() - 1
}

/// A week of connection records: each phone lives somewhere and works somewhere.
fn records(rng: &mut Rng, towers: &[(f64, f64)]) -> String {
    let mut s = String::from("phone_id,timestamp,tower_id\n");
    let work = (
        ORIGIN.0 as f64 + 13.5 * CELL as f64,
        ORIGIN.1 as f64 + 3.0 * CELL as f64,
    );
    for phone in 1..=160 {
        let hood = pick_hood(rng, &[220.0, 380.0, 260.0, 90.0, 140.0]);
        let home = around(rng, &HOODS[hood]);
        for day in 5..=11 {
            if !rng.chance(0.85) {
                continue;
            }
            let n = 2 + rng.below(8);
            let mut times: Vec<u32> = (0..n)
                .map(|_| 6 * 3600 + rng.below(17 * 3600) as u32)
                .collect();
            times.sort_unstable();
            for t in times {
                let u = rng.unit();
                let p = if u < 0.6 {
                    (home.0 + 150.0 * rng.normal(), home.1 + 150.0 * rng.normal())
                } else if u < 0.9 {
                    (work.0 + 200.0 * rng.normal(), work.1 + 200.0 * rng.normal())
                } else {
                    let hood = rng.below(HOODS.len());
                    around(rng, &HOODS[hood])
                };
                let _ = writeln!(
                    s,
                    "phone-{phone:04},2026-10-{day:02} {:02}:{:02}:{:02},T{:02}",
                    t / 3600,
                    t / 60 % 60,
                    t % 60,
                    nearest(towers, p) + 1
                );
            }
        }
    }
    // Records the footprint must leave out and count: an unknown tower, a bad time.
    s.push_str("phone-0007,2026-10-06 12:00:00,T99\n");
    s.push_str("phone-0011,2026-10-32 08:15:00,T03\n");
    s
}

/// Events of several types, most of them where problems concentrate.
fn events(rng: &mut Rng) -> String {
    let mut years = Rng(0x5945_4152_5320_2019);
    // type, count, weights over the five neighbourhoods
    let kinds: [(&str, usize, [f64; 5]); 7] = [
        ("shooting", 12, [1.0, 6.0, 3.0, 0.0, 0.5]),
        ("hr_prio12", 180, [4.0, 4.0, 2.0, 1.0, 1.5]),
        ("narcotics", 90, [3.0, 5.0, 3.0, 0.5, 1.0]),
        ("weapons", 25, [2.0, 5.0, 3.0, 0.2, 0.5]),
        ("vehicle_fire", 30, [0.5, 5.0, 4.0, 0.5, 1.0]),
        ("threat", 40, [3.0, 3.0, 2.0, 1.0, 1.0]),
        ("witness_intimidation", 8, [0.5, 5.0, 3.0, 0.0, 0.0]),
    ];
    let mut rows = Vec::new();
    for (kind, count, w) in kinds {
        for _ in 0..count {
            let (x, y) = if rng.chance(0.15) {
                (
                    ORIGIN.0 as f64 + rng.unit() * (COLS * CELL) as f64,
                    ORIGIN.1 as f64 + rng.unit() * (ROWS * CELL) as f64,
                )
            } else {
                let hood = pick_hood(rng, &w);
                around(rng, &HOODS[hood])
            };
            let month = 1 + rng.below(10);
            let day = 1 + rng.below(28);
            // the year from a stream of its own, so the places stay as they were
            let year = 2019 + years.below(8);
            rows.push((
                kind,
                x.round(),
                y.round(),
                format!("{year}-{month:02}-{day:02}"),
            ));
        }
    }
    // Hagaberget from 2024 on: narcotics and threats around the estate, a
    // new cluster that the emerging hot-spot analysis finds
    for k in 0..45 {
        let kind = ["narcotics", "threat", "vehicle_fire"][k % 3];
        let x = ORIGIN.0 as f64 + (ESTATE.centre.0 + 0.7 * years.normal()) * CELL as f64;
        let y = ORIGIN.1 as f64 + (ESTATE.centre.1 + 0.5 * years.normal()) * CELL as f64;
        let year = 2024 + k % 3;
        let (month, day) = (1 + years.below(10), 1 + years.below(28));
        rows.push((
            kind,
            x.round(),
            y.round(),
            format!("{year}-{month:02}-{day:02}"),
        ));
    }
    let mut s = String::from("id,type,date,x,y\n");
    for (i, (kind, x, y, date)) in rows.iter().enumerate() {
        let _ = writeln!(s, "E{:04},{kind},{date},{x},{y}", i + 1);
    }
    s
}

/// The areas' questionnaires: 80 questions scored 1–5, two years.
fn answers(rng: &mut Rng) -> String {
    // area, (level 2025, level 2026); None = not assessed that year
    let areas: [(&str, Option<f64>, f64); 4] = [
        ("Norrby", Some(3.9), 3.5),
        ("Västerdal", Some(2.9), 3.4),
        ("Centrum", Some(2.4), 2.45),
        ("Stationen", None, 2.6),
    ];
    let domain = |q: u32| match q {
        1..=30 => ("living_environment", 0.2),
        31..=55 => ("societal_systems", -0.2),
        _ => ("social_development", 0.0),
    };
    let mut s = String::from("area,year,question,domain,score,uncertainty\n");
    for (area, y2025, y2026) in areas {
        for (year, level) in [(2025, y2025), (2026, Some(y2026))] {
            let Some(level) = level else { continue };
            for q in 1..=80 {
                let (d, offset) = domain(q);
                let score = (level + offset + 0.7 * rng.normal())
                    .round()
                    .clamp(1.0, 5.0);
                let uncertainty = 1 + rng.below(5);
                let _ = writeln!(s, "{area},{year},{q},{d},{score},{uncertainty}");
            }
        }
    }
    s
}

const CONFIG: &str = r#"# The sample town "Åsby" (made up). Run with: stratmap run config.toml
[inputs]
grid    = "grid.csv"
areas   = "areas.geojson"
towers  = "towers.csv"
records = "records.csv"
events  = "events.csv"
answers = "answers.csv"

[grid]
crs = "EPSG:3006"
cell_size = 250

[index]
min_population = 20
weights = { econ = 1.0, segregation = 1.0, family = 1.0 }
classes = "quantile"

[youth]
min_youth_cell = 20
min_youth_group = 50

[footprint]
radius = 500
tz = "Europe/Stockholm"
min_phones = 3

[hotspots]
band = 500
fdr = false

[indicators]
by = "year"                 # events by year: indicators_by_period.csv, trends

[change]
before = "grid2019.csv"     # the 2019 edition: change.geojson, class_transitions.csv
reference = "before"

[emerging]
by = "year"
band = 500
time_window = 1

[candidates]
min_class = 5
min_cells = 4
min_population = 500

[lisa]
variable = "index"
permutations = 999
seed = 1
"#;

/// Every file of the sample town, by name.
pub fn generate() -> Result<Vec<(&'static str, String)>, Error> {
    let mut rng = Rng(0x5742_4154_4d41_5021);
    // the 2019 edition from the same random numbers as the current one
    let grid2019 = grid_csv(&mut Rng(rng.0), false);
    let grid = grid_csv(&mut rng, true);
    let areas = areas_geojson(&mut rng)?;
    let (towers_csv, tower_xy) = towers(&mut rng)?;
    let records = records(&mut rng, &tower_xy);
    let events = events(&mut rng);
    let answers = answers(&mut rng);
    Ok(vec![
        ("config.toml", CONFIG.to_string()),
        ("grid.csv", grid),
        ("grid2019.csv", grid2019),
        ("areas.geojson", areas),
        ("towers.csv", towers_csv),
        ("records.csv", records),
        ("events.csv", events),
        ("answers.csv", answers),
    ])
}

#[cfg(test)]
mod tests {
    /// The committed fixtures are exactly what the generator makes.
    #[test]
    fn fixtures_are_up_to_date() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/sample-town");
        for (name, text) in super::generate().unwrap() {
            let on_disk = std::fs::read_to_string(dir.join(name)).unwrap_or_default();
            assert!(
                on_disk == text,
                "fixtures/sample-town/{name} differs from the generator's output: run `make fixtures`"
            );
        }
    }

    #[test]
    fn splitmix_is_fixed() {
        // First outputs of SplitMix64 seeded with 0 (reference values of the algorithm).
        let mut r = super::Rng(0);
        assert_eq!(r.next(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next(), 0x6E78_9E6A_A1B9_65F4);
    }
}
