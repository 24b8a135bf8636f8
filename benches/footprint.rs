//! The daily footprint at national density: 20 000 towers over 6 000 areas,
//! and one million connection records read from CSV in memory.
//!
//! Baseline, measured in the same run: reading the same million records with
//! the `csv` crate and nothing else, the least any reader of the file does.
//! Report the others as ratios to it.
//!
//! `cargo bench -p stratmap-benches --bench footprint`

use criterion::{criterion_group, criterion_main, Criterion};
use geo::{LineString, MultiPolygon, Polygon};
use std::hint::black_box;
use stratmap_benches::BenchTown;
use stratmap_core::{category_numbers, FootprintAreas, FootprintReport};
use stratmap_io::{parse_tz, read_records, tower_weights, RecordContext, Towers};

const RECORDS: u64 = 1_000_000;

fn setup() -> (BenchTown, FootprintAreas, Towers, Vec<u8>) {
    let town = BenchTown::new(6000, 20_000, 7);
    let polygons = town
        .areas
        .iter()
        .map(|r| MultiPolygon::new(vec![Polygon::new(LineString::from(r.clone()), vec![])]))
        .collect();
    let areas = FootprintAreas::new(polygons, 500.0);
    let mut towers = Towers::default();
    for (k, p) in town.towers.iter().enumerate() {
        towers.ids.insert(format!("T{k:05}"), k as u32);
        towers.positions.push(*p);
    }
    let mut csv = Vec::new();
    town.write_records(&mut csv, RECORDS, 200_000, 11)
        .expect("in memory");
    (town, areas, towers, csv)
}

fn bench(c: &mut Criterion) {
    let (town, areas, towers, csv) = setup();
    let mut g = c.benchmark_group("footprint");
    g.sample_size(10);

    g.bench_function("baseline: read 1 M records with the csv crate", |b| {
        b.iter(|| {
            let mut r = csv::Reader::from_reader(csv.as_slice());
            let mut rec = csv::ByteRecord::new();
            let mut fields = 0usize;
            while r.read_byte_record(&mut rec).unwrap_or(false) {
                fields += rec.len();
            }
            black_box(fields)
        })
    });

    g.bench_function("disc weights of 20 000 towers over 6 000 areas", |b| {
        b.iter(|| black_box(tower_weights(&areas, &towers)))
    });

    let weights = tower_weights(&areas, &towers);
    let tz = parse_tz("Europe/Stockholm").expect("known zone");
    let ctx = RecordContext {
        areas: &areas,
        towers: &towers,
        tower_weights: &weights,
        tz,
        xy_epsg: stratmap_io::Epsg::SWEREF99_TM,
        working: stratmap_io::Epsg::SWEREF99_TM,
        sorted_by_time: None,
        memory: Default::default(),
    };
    let categories: Vec<String> = (0..town.areas.len())
        .map(|k| stratmap_benches::CATEGORIES[k % 4].to_string())
        .collect();
    let (cat, names) = category_numbers(&categories);
    g.bench_function("1 M records: parse, split, sum, totals, report", |b| {
        b.iter(|| {
            let fp = read_records("records.csv", csv.as_slice(), &ctx, &|_, _| {}).expect("valid");
            let totals = fp.totals(&cat, names.len());
            black_box(FootprintReport::new(&totals, &cat, &names, 3))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
