//! Connection records from Parquet against the same records from CSV, in
//! the same run: one million records of 200 000 phones at national density
//! (20 000 towers, 6 000 areas), the Parquet file as a data platform exports
//! it (TIMESTAMP ms UTC, dictionary-encoded tower ids, Snappy, one row group
//! per million rows).
//!
//! Baselines, measured in the same run: the `csv` crate reading the CSV
//! text and nothing else, the arrow reader decoding the Parquet file's three
//! columns and nothing else (the least any reader of each file does), and
//! the CSV path end to end. Report the others as ratios to them. The last
//! bench is the bound on any reader: the same records decoded beforehand
//! (untimed) and only summed, their totals and report made; a Parquet
//! reader cannot beat the CSV path by more than the ratio of the two.
//!
//! `cargo bench -p stratmap-benches --bench footprint_parquet`

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use stratmap_benches::parquet::NationalRecords;

const RECORDS: u64 = 1_000_000;

fn bench(c: &mut Criterion) {
    let data = NationalRecords::new(RECORDS).expect("bench data");
    let ctx = data.context();
    let mut g = c.benchmark_group("footprint_parquet");
    g.sample_size(10);
    g.bench_function("baseline: read 1 M records with the csv crate", |b| {
        b.iter(|| black_box(data.decode_csv()))
    });
    g.bench_function("baseline: decode 1 M records with the arrow reader", |b| {
        b.iter(|| black_box(data.decode_parquet()))
    });
    g.bench_function("CSV: 1 M records: parse, split, sum, totals, report", |b| {
        b.iter(|| black_box(data.footprint(&ctx, false)))
    });
    g.bench_function(
        "Parquet: 1 M records: decode, split, sum, totals, report",
        |b| b.iter(|| black_box(data.footprint(&ctx, true))),
    );
    let decoded = data.decoded();
    let batches = decoded.batches();
    g.bench_function(
        "bound: 1 M records decoded beforehand: split, sum, totals, report",
        |b| b.iter(|| black_box(data.footprint_decoded(&batches))),
    );
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
