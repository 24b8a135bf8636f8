//! Records from Parquet against the same records from CSV, timed in one
//! run (median of RUNS): the decode alone (the `csv` crate; the arrow
//! reader) and each reader into the footprint engine and its report, as
//! records/s and as ratios to the CSV path measured in the same run, and
//! the engine alone on the same records decoded beforehand (untimed): the
//! most any reader could gain over the CSV path. A timing to read, not a
//! test.
//!
//! usage: `parquet-timing [RECORDS] [RUNS]` (default 1 000 000, 5)

use std::hint::black_box;
use std::time::Instant;
use stratmap_benches::parquet::NationalRecords;

fn median(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..runs.max(1))
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let records: u64 = args
        .get(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let runs: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(5);
    let data = NationalRecords::new(records)?;
    let ctx = data.context();
    println!(
        "{records} records of 200 000 phones, 20 000 towers, 6 000 areas; CSV {:.1} MB, Parquet {:.1} MB; median of {runs}",
        data.csv.len() as f64 / 1e6,
        std::fs::metadata(&data.parquet)?.len() as f64 / 1e6
    );
    let csv_decode = median(runs, || {
        black_box(data.decode_csv());
    });
    let pq_decode = median(runs, || {
        black_box(data.decode_parquet());
    });
    let csv = median(runs, || {
        black_box(data.footprint(&ctx, false));
    });
    let pq = median(runs, || {
        black_box(data.footprint(&ctx, true));
    });
    let decoded = data.decoded();
    let batches = decoded.batches();
    let alone = median(runs, || {
        black_box(data.footprint_decoded(&batches));
    });
    let rate = |s: f64| records as f64 / s / 1e6;
    for (what, t, base) in [
        ("decode: csv crate", csv_decode, csv_decode),
        ("decode: arrow reader", pq_decode, csv_decode),
        ("CSV → engine → report", csv, csv),
        ("Parquet → engine → report", pq, csv),
        ("decoded → engine → report", alone, csv),
    ] {
        println!(
            "{what:<28} {t:7.3} s {:7.2} M records/s  {:5.2}× its CSV baseline",
            rate(t),
            base / t
        );
    }
    Ok(())
}
