//! Connection records from Parquet against the same records from CSV, in
//! the same run: one million records of 200 000 phones at national density
//! (20 000 towers, 6 000 areas), the Parquet file as a data platform exports
//! it (TIMESTAMP ms UTC, dictionary-encoded tower ids, Snappy, one row group
//! per million rows).
//!
//! Baselines, measured in the same run: the `csv` crate reading the CSV
//! text and nothing else, and the arrow reader decoding the Parquet file's
//! three columns and nothing else (the least any reader of each file does);
//! and the CSV path end to end. Report the others as ratios to them.
//!
//! `cargo bench -p stratmap-benches --bench footprint_parquet`

use criterion::{criterion_group, criterion_main, Criterion};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::hint::black_box;
use stratmap_core::footprint::{category_numbers, FootprintReport};
use stratmap_io::connections::{parse_tz, read_records, tower_weights, RecordContext};
use stratmap_io::parquet_records::read_parquet_records;

const RECORDS: u64 = 1_000_000;

fn bench(c: &mut Criterion) {
    let (town, areas, towers, csv) = stratmap_benches::parquet::national_records(RECORDS);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("records.parquet");
    let tz = parse_tz("Europe/Stockholm").expect("known zone");
    stratmap_benches::parquet::records_csv_to_parquet(
        csv.as_slice(),
        std::fs::File::create(&path).expect("writable"),
        &tz,
    )
    .expect("written");
    let weights = tower_weights(&areas, &towers);
    let ctx = RecordContext {
        areas: &areas,
        towers: &towers,
        tower_weights: &weights,
        tz,
        xy_epsg: stratmap_io::crs::Epsg::SWEREF99_TM,
        working: stratmap_io::crs::Epsg::SWEREF99_TM,
    };
    let categories: Vec<String> = (0..town.areas.len())
        .map(|k| stratmap_benches::CATEGORIES[k % 4].to_string())
        .collect();
    let (cat, names) = category_numbers(&categories);
    let mut g = c.benchmark_group("footprint_parquet");
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
    g.bench_function("baseline: decode 1 M records with the arrow reader", |b| {
        b.iter(|| {
            let f = std::fs::File::open(&path).expect("readable");
            let reader = ParquetRecordBatchReaderBuilder::try_new(f)
                .and_then(|r| r.with_batch_size(1 << 16).build())
                .expect("Parquet");
            let mut rows = 0usize;
            for batch in reader {
                rows += batch.expect("decoded").num_rows();
            }
            black_box(rows)
        })
    });
    g.bench_function("CSV: 1 M records: parse, split, sum, totals, report", |b| {
        b.iter(|| {
            let fp = read_records("records.csv", csv.as_slice(), &ctx, &|_, _| {}).expect("valid");
            let totals = fp.totals(&cat, names.len());
            black_box(FootprintReport::new(&totals, &cat, &names, 3))
        })
    });
    g.bench_function(
        "Parquet: 1 M records: decode, split, sum, totals, report",
        |b| {
            b.iter(|| {
                let fp = read_parquet_records("records.parquet", &path, &ctx, &|_, _| {})
                    .expect("valid");
                let totals = fp.totals(&cat, names.len());
                black_box(FootprintReport::new(&totals, &cat, &names, 3))
            })
        },
    );
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
