//! Writes the large footprint benchmark's inputs into a directory:
//! `areas.geojson`, `towers.csv`, `records.csv`.
//!
//! usage: `make-footprint-data DIR [RECORDS] [AREAS] [TOWERS] [PHONES] [local|rfc3339] [--parquet] [--by-time]`
//!
//! `rfc3339` writes instants with Stockholm's offset over the end of summer
//! time (see `TimeStyle`); `local` (the default) naive local times.
//! With `--parquet`, also `records.parquet`: the same records with
//! TIMESTAMP (ms, UTC) and dictionary-encoded tower ids (see
//! `records-to-parquet`). With `--by-time`, also `records-by-time.csv`:
//! the same records in time order, as operators export them (for
//! `--sorted-by-time`).

use std::fs::File;
use std::io::BufWriter;
use stratmap_benches::{BenchTown, TimeStyle};

fn main() -> std::io::Result<()> {
    let mut args: Vec<String> = std::env::args().collect();
    let parquet = args.iter().any(|a| a == "--parquet");
    let by_time = args.iter().any(|a| a == "--by-time");
    args.retain(|a| a != "--parquet" && a != "--by-time");
    let num = |i: usize, default: u64| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    let Some(dir) = args.get(1) else {
        eprintln!(
            "usage: make-footprint-data DIR [RECORDS] [AREAS] [TOWERS] [PHONES] [local|rfc3339] [--parquet] [--by-time]"
        );
        std::process::exit(2);
    };
    let dir = std::path::Path::new(dir);
    std::fs::create_dir_all(dir)?;
    let (records, areas, towers, phones) = (
        num(2, 10_000_000),
        num(3, 6000),
        num(4, 20_000),
        num(5, 200_000),
    );
    let style = match args.get(6).map(String::as_str) {
        None | Some("local") => TimeStyle::Local,
        Some("rfc3339") => TimeStyle::Rfc3339,
        Some(_) => {
            eprintln!("the timestamp style is local or rfc3339");
            std::process::exit(2);
        }
    };
    let town = BenchTown::new(areas as usize, towers as usize, 7);
    town.write_areas(&mut BufWriter::new(File::create(
        dir.join("areas.geojson"),
    )?))?;
    town.write_towers(&mut BufWriter::new(File::create(dir.join("towers.csv"))?))?;
    town.write_records_styled(
        &mut BufWriter::with_capacity(1 << 20, File::create(dir.join("records.csv"))?),
        records,
        phones,
        11,
        style,
    )?;
    if by_time {
        town.write_records_by_time(
            &mut BufWriter::with_capacity(1 << 20, File::create(dir.join("records-by-time.csv"))?),
            records,
            phones,
            11,
            style,
        )?;
    }
    if parquet {
        let tz: chrono_tz::Tz = "Europe/Stockholm".parse().map_err(std::io::Error::other)?;
        stratmap_benches::parquet::records_csv_to_parquet(
            std::io::BufReader::with_capacity(1 << 20, File::open(dir.join("records.csv"))?),
            BufWriter::with_capacity(1 << 20, File::create(dir.join("records.parquet"))?),
            &tz,
        )?;
    }
    println!(
        "{records} records of {phones} phones, {areas} areas, {towers} towers in {}",
        dir.display()
    );
    Ok(())
}
