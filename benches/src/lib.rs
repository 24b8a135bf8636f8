//! Criterion benches live beside this crate: `cargo bench -p stratmap-benches`.
//! This library holds the deterministic generator of the large footprint
//! benchmark's data, shared by the criterion bench and `make-footprint-data`,
//! and the grid layer the writers' benches encode ([`cell_layer`]).

pub mod parquet;

use std::f64::consts::PI;
use std::io::{self, Write};

/// SplitMix64: small, fast and the same everywhere.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// Where the synthetic town lies: a square of SWEREF 99 TM (EPSG:3006).
pub const ORIGIN: (f64, f64) = (400_000.0, 6_400_000.0);

/// Areas and towers of the benchmark. Areas are star-shaped polygons of
/// 200–1 100 m radius on a jittered 2.5 km lattice (so none overlap); towers
/// are spread uniformly over the same square.
pub struct BenchTown {
    /// Exterior rings, closed, counter-clockwise, metres in EPSG:3006.
    pub areas: Vec<Vec<(f64, f64)>>,
    pub towers: Vec<(f64, f64)>,
    pub side_m: f64,
}

pub const CATEGORIES: [&str; 4] = ["SUO", "RO", "UO", "reported"];

impl BenchTown {
    pub fn new(n_areas: usize, n_towers: usize, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let per_side = (n_areas as f64).sqrt().ceil() as usize;
        let spacing = 2500.0;
        let side_m = per_side as f64 * spacing;
        let mut areas = Vec::with_capacity(n_areas);
        for k in 0..n_areas {
            let (i, j) = ((k % per_side) as f64, (k / per_side) as f64);
            let cx = ORIGIN.0 + (i + 0.5) * spacing + (rng.unit() - 0.5) * 200.0;
            let cy = ORIGIN.1 + (j + 0.5) * spacing + (rng.unit() - 0.5) * 200.0;
            let n = 5 + rng.below(20) as usize;
            let mut ring: Vec<(f64, f64)> = (0..n)
                .map(|v| {
                    let t = 2.0 * PI * (v as f64 + 0.3 * rng.unit()) / n as f64;
                    let r = 200.0 + 900.0 * rng.unit();
                    ((cx + r * t.cos()).round(), (cy + r * t.sin()).round())
                })
                .collect();
            ring.push(ring[0]);
            areas.push(ring);
        }
        let towers = (0..n_towers)
            .map(|_| {
                (
                    (ORIGIN.0 + rng.unit() * side_m).round(),
                    (ORIGIN.1 + rng.unit() * side_m).round(),
                )
            })
            .collect();
        BenchTown {
            areas,
            towers,
            side_m,
        }
    }

    /// The areas as GeoJSON in EPSG:3006 (a legacy `crs` member says so).
    pub fn write_areas(&self, w: &mut impl Write) -> io::Result<()> {
        writeln!(w, "{{\"type\":\"FeatureCollection\",\"crs\":{{\"type\":\"name\",\"properties\":{{\"name\":\"urn:ogc:def:crs:EPSG::3006\"}}}},\"features\":[")?;
        for (k, ring) in self.areas.iter().enumerate() {
            let coords: Vec<String> = ring.iter().map(|(x, y)| format!("[{x},{y}]")).collect();
            writeln!(
                w,
                "{{\"type\":\"Feature\",\"properties\":{{\"name\":\"A{k:05}\",\"category\":\"{}\"}},\"geometry\":{{\"type\":\"Polygon\",\"coordinates\":[[{}]]}}}}{}",
                CATEGORIES[k % CATEGORIES.len()],
                coords.join(","),
                if k + 1 < self.areas.len() { "," } else { "" }
            )?;
        }
        writeln!(w, "]}}")
    }

    pub fn write_towers(&self, w: &mut impl Write) -> io::Result<()> {
        writeln!(w, "tower_id,x,y")?;
        for (k, (x, y)) in self.towers.iter().enumerate() {
            writeln!(w, "T{k:05},{x},{y}")?;
        }
        Ok(())
    }

    /// `n` records of `phones` phones over the week of 5–11 October 2026,
    /// naive local timestamps; each phone keeps to a few towers near its home.
    pub fn write_records(
        &self,
        w: &mut impl Write,
        n: u64,
        phones: u64,
        seed: u64,
    ) -> io::Result<()> {
        self.write_records_styled(w, n, phones, seed, TimeStyle::Local)
    }

    /// [`write_records`](Self::write_records) with timestamps written in
    /// `style`.
    pub fn write_records_styled(
        &self,
        w: &mut impl Write,
        n: u64,
        phones: u64,
        seed: u64,
        style: TimeStyle,
    ) -> io::Result<()> {
        let mut rng = Rng::new(seed);
        let records = (0..n).map(|_| self.draw_record(&mut rng, phones, style));
        write_bench_records(w, records, style)
    }

    /// The records of [`write_records_styled`](Self::write_records_styled)
    /// (the same ones, the same text), in time order: as an operator's
    /// export comes, for `--sorted-by-time`. They are held in memory (16
    /// bytes each) to be sorted.
    pub fn write_records_by_time(
        &self,
        w: &mut impl Write,
        n: u64,
        phones: u64,
        seed: u64,
        style: TimeStyle,
    ) -> io::Result<()> {
        let mut rng = Rng::new(seed);
        let mut records: Vec<BenchRecord> = (0..n)
            .map(|_| self.draw_record(&mut rng, phones, style))
            .collect();
        records.sort_by_key(|r| r.time);
        write_bench_records(w, records.into_iter(), style)
    }

    /// The next record: a phone, one of the towers near its home, and a time.
    fn draw_record(&self, rng: &mut Rng, phones: u64, style: TimeStyle) -> BenchRecord {
        let towers = self.towers.len() as u64;
        let p = rng.below(phones);
        // a phone's home tower, and mostly its neighbours in id order
        let home = p.wrapping_mul(2_654_435_761) % towers;
        let t = (home + rng.below(8)) % towers;
        // seconds into the week: from 2026-10-05 00:00 local time, or
        // from 2026-10-22T00:00Z (written now and then in UTC)
        let (time, utc) = match style {
            TimeStyle::Local => (rng.below(7) * 86_400 + rng.below(86_400), false),
            TimeStyle::Rfc3339 => (rng.below(7 * 86_400), rng.below(16) == 0),
        };
        BenchRecord {
            time: time as u32,
            phone: p as u32,
            tower: t as u32,
            utc,
        }
    }
}

/// The records CSV: its header, then each record with its timestamp in
/// `style`.
fn write_bench_records(
    w: &mut impl Write,
    records: impl Iterator<Item = BenchRecord>,
    style: TimeStyle,
) -> io::Result<()> {
    writeln!(w, "phone_id,timestamp,tower_id")?;
    for r in records {
        r.write(w, style)?;
    }
    Ok(())
}

/// One record of the benchmark: 16 bytes.
#[derive(Debug, Clone, Copy)]
struct BenchRecord {
    /// Seconds into the week (see `draw_record`).
    time: u32,
    phone: u32,
    tower: u32,
    /// Written in UTC (`Z`) rather than Stockholm's offset.
    utc: bool,
}

impl BenchRecord {
    fn write(&self, w: &mut impl Write, style: TimeStyle) -> io::Result<()> {
        let (p, t) = (self.phone, self.tower);
        let hms = |s: i64| format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
        match style {
            TimeStyle::Local => {
                let time = i64::from(self.time);
                let (day, s) = (5 + time / 86_400, time % 86_400);
                writeln!(w, "p{p:07},2026-10-{day:02} {},T{t:05}", hms(s))
            }
            TimeStyle::Rfc3339 => {
                // Stockholm's offset of the moment: summer time ends at
                // 01:00 UTC on 2026-10-25
                let u = 1_792_627_200 + i64::from(self.time);
                let off = if u < 1_792_890_000 { 7200 } else { 3600 };
                let (l, zone) = match (self.utc, off) {
                    (true, _) => (u, "Z"),
                    (false, 7200) => (u + off, "+02:00"),
                    _ => (u + off, "+01:00"),
                };
                let (day, s) = (l.div_euclid(86_400), l.rem_euclid(86_400));
                // day 20 727 since 1970-01-01 is 2026-10-01
                let dom = day - 20_727 + 1;
                writeln!(w, "p{p:07},2026-10-{dom:02}T{}{zone},T{t:05}", hms(s))
            }
        }
    }
}

/// How [`BenchTown::write_records_styled`] writes timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeStyle {
    /// Naive local time, `2026-10-05 09:07:42`, in the week of 5–11 October.
    Local,
    /// RFC 3339 with Stockholm's offset (or `Z` for one in 16), over the
    /// week of 22–28 October 2026, across the end of summer time.
    Rfc3339,
}

/// The hot-spot benchmark's grid: `side` × `side` cells of 250 m and a
/// count per cell that any language computes the same way (a fixed hash of
/// the column and row, with clusters), as centres for the R-tree and as
/// corners for the grid structure.
pub fn hotspot_grid(side: i64) -> (Vec<(i64, i64)>, Vec<f64>) {
    let mut cells = Vec::with_capacity((side * side) as usize);
    let mut counts = Vec::with_capacity(cells.capacity());
    for c in 0..side {
        for r in 0..side {
            cells.push((c * 250, r * 250));
            counts.push(hotspot_count(c, r) as f64);
        }
    }
    (cells, counts)
}

/// The count of cell (c, r): mostly 0–2, more in every 50th block.
pub fn hotspot_count(c: i64, r: i64) -> i64 {
    let h = (c * 7919 + r * 104_729) % 13;
    let base = if h < 8 { 0 } else { h - 8 };
    if (c / 25 + r / 25) % 50 == 0 {
        base + 5
    } else {
        base
    }
}

/// A layer of `cells` grid-cell polygons of 250 m in EPSG:3006, in rows of
/// 550 from (300 000, 6 200 000), with an integer, a real and a text
/// property: what the GeoJSON and vector-tile benches encode.
pub fn cell_layer(cells: i64) -> stratmap_io::Layer {
    use stratmap_io::Value;
    use stratmap_io::{Feature, Field, FieldType};
    let side = 550;
    let features = (0..cells)
        .map(|k| {
            let (x, y) = (
                (300_000 + (k % side) * 250) as f64,
                (6_200_000 + (k / side) * 250) as f64,
            );
            let ring = geo::LineString::from(vec![
                (x, y),
                (x + 250.0, y),
                (x + 250.0, y + 250.0),
                (x, y + 250.0),
                (x, y),
            ]);
            Feature {
                id: Value::Integer(k),
                geometry: geo::Geometry::Polygon(geo::Polygon::new(ring, vec![])),
                values: vec![
                    Value::Integer(k),
                    Value::Real(k as f64 * 0.001 - 150.0),
                    Value::Text(format!("class {}", k % 5 + 1)),
                ],
            }
        })
        .collect();
    let field = |name: &str, kind| Field {
        name: name.into(),
        kind,
    };
    stratmap_io::Layer {
        name: "cells".into(),
        epsg: stratmap_io::Epsg::SWEREF99_TM,
        fields: vec![
            field("cell", FieldType::Integer),
            field("index", FieldType::Real),
            field("class", FieldType::Text),
        ],
        features,
    }
}
