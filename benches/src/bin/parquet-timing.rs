//! Records from Parquet against the same records from CSV, timed in one
//! run (median of RUNS): the decode alone (the `csv` crate; the arrow
//! reader) and each reader into the footprint engine, as records/s and as
//! ratios to the CSV path measured in the same run. A timing, not a test.
//!
//! usage: `parquet-timing [RECORDS] [RUNS] [parquet|csv]` (default 1 000 000, 5, both)

use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::hint::black_box;
use std::time::Instant;
use stratmap_core::footprint::{category_numbers, FootprintReport};
use stratmap_io::connections::{parse_tz, read_records, tower_weights, RecordContext};
use stratmap_io::parquet_records::read_parquet_records;

fn median(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..runs)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let records: u64 = args
        .get(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let runs: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(5);
    let only = args.get(3).map(String::as_str);
    let (town, areas, towers, csv) = stratmap_benches::parquet::national_records(records);
    let path = std::env::temp_dir().join(format!("parquet-timing-{}.parquet", std::process::id()));
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
    let rate = |s: f64| records as f64 / s / 1e6;
    println!(
        "{records} records, CSV {:.1} MB, Parquet {:.1} MB; median of {runs}",
        csv.len() as f64 / 1e6,
        std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) as f64 / 1e6
    );
    let mut csv_path = None;
    if only != Some("parquet") {
        let decode = median(runs, || {
            let mut r = csv::Reader::from_reader(csv.as_slice());
            let mut rec = csv::ByteRecord::new();
            let mut n = 0usize;
            while r.read_byte_record(&mut rec).unwrap_or(false) {
                n += rec.len();
            }
            black_box(n);
        });
        println!(
            "decode, csv crate:            {decode:.3} s  {:6.2} M records/s",
            rate(decode)
        );
        let t = median(runs, || {
            let fp = read_records("records.csv", csv.as_slice(), &ctx, &|_, _| {}).expect("valid");
            let totals = fp.totals(&cat, names.len());
            black_box(FootprintReport::new(&totals, &cat, &names, 3));
        });
        println!(
            "CSV path → engine → report:   {t:.3} s  {:6.2} M records/s  (baseline)",
            rate(t)
        );
        csv_path = Some(t);
    }
    if only != Some("csv") {
        let decode = median(runs, || {
            let f = std::fs::File::open(&path).expect("readable");
            let reader = ParquetRecordBatchReaderBuilder::try_new(f)
                .and_then(|r| r.with_batch_size(1 << 16).build())
                .expect("Parquet");
            let mut n = 0usize;
            for b in reader {
                n += b.expect("decoded").num_rows();
            }
            black_box(n);
        });
        println!(
            "decode, arrow reader:         {decode:.3} s  {:6.2} M records/s",
            rate(decode)
        );
        let t = median(runs, || {
            let fp =
                read_parquet_records("records.parquet", &path, &ctx, &|_, _| {}).expect("valid");
            let totals = fp.totals(&cat, names.len());
            black_box(FootprintReport::new(&totals, &cat, &names, 3));
        });
        let ratio = csv_path.map_or(String::new(), |c| format!("  {:.2}× the CSV path", c / t));
        println!(
            "Parquet path → engine → report: {t:.3} s  {:6.2} M records/s{ratio}",
            rate(t)
        );
    }
    let _ = std::fs::remove_file(&path);
}
