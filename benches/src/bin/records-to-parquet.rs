//! Converts a records CSV (`phone_id,timestamp,tower_id`) to Parquet:
//! TIMESTAMP (ms, UTC) and dictionary-encoded tower ids, as a data platform
//! exports them. Naive timestamps are read in TZ (default Europe/Stockholm).
//!
//! usage: `records-to-parquet RECORDS.csv RECORDS.parquet [TZ]`

use std::fs::File;
use std::io::{BufReader, BufWriter};

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(csv), Some(out)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: records-to-parquet RECORDS.csv RECORDS.parquet [TZ]");
        std::process::exit(2);
    };
    let tz: chrono_tz::Tz = match args
        .get(3)
        .map_or("Europe/Stockholm", String::as_str)
        .parse()
    {
        Ok(tz) => tz,
        Err(_) => {
            eprintln!("records-to-parquet: unknown time zone (expected an IANA name)");
            std::process::exit(2);
        }
    };
    let rows = stratmap_benches::parquet::records_csv_to_parquet(
        BufReader::with_capacity(1 << 20, File::open(csv)?),
        BufWriter::with_capacity(1 << 20, File::create(out)?),
        &tz,
    )?;
    println!("{rows} records from {csv} in {out}");
    Ok(())
}
