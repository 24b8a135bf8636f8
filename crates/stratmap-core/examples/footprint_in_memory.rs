//! The daily footprint of records held in memory — as a program holding
//! records from a database or a Parquet file would compute it, without any
//! CSV: areas and towers in a projected CRS (metres), records as
//! `(phone key, local day, tower or position)`, a report with disclosure
//! control.
//!
//! Run with `cargo run -p stratmap-core --example footprint_in_memory`.

use geo::{polygon, MultiPolygon};
use stratmap_core::{
    category_numbers, At, FootprintAreas, FootprintEngine, FootprintReport, Record,
};

fn main() {
    // Two areas side by side, 5 × 5 km each (SWEREF 99 TM metres).
    let square = |x0: f64| {
        MultiPolygon::new(vec![polygon![
            (x: x0, y: 6_600_000.0), (x: x0 + 5000.0, y: 6_600_000.0),
            (x: x0 + 5000.0, y: 6_605_000.0), (x: x0, y: 6_605_000.0)
        ]])
    };
    let names = ["Norra", "Södra"];
    let (category, category_names) = category_numbers(&["UO".to_string(), "RO".to_string()]);
    let areas = FootprintAreas::new(vec![square(600_000.0), square(605_000.0)], 500.0);

    // Tower 0 inside Norra, tower 1 on the border of the two, tower 2 far off.
    let towers = [
        (602_500.0, 6_602_500.0),
        (605_000.0, 6_602_500.0),
        (640_000.0, 6_602_500.0),
    ];
    let mut engine = FootprintEngine::new(&areas, &towers);

    // Ten phones over two days; the keys could be hashes from a database.
    let keys: Vec<String> = (0..10).map(|p| format!("subscriber-{p:02}")).collect();
    let mut batch = Vec::new();
    for (p, key) in keys.iter().enumerate() {
        for day in [20_000, 20_001] {
            batch.push(Record {
                phone: key.as_bytes(),
                day,
                at: At::Tower((p % 3) as u32),
            });
            // a second record of the day by its own position, in Södra
            batch.push(Record {
                phone: key.as_bytes(),
                day,
                at: At::Position(607_500.0, 6_602_500.0),
            });
        }
    }
    engine.add(&batch);

    let totals = engine.totals(&category, category_names.len());
    let report = FootprintReport::new(&totals, &category, &category_names, 3);
    println!(
        "{} records → {} phone-days",
        engine.records(),
        totals.total_phone_days
    );
    for (name, a) in names.iter().zip(&report.areas) {
        println!(
            "{name}: footprint {:?}, phone_days {:?}, unique_phones {:?}, suppressed {}",
            a.footprint, a.phone_days, a.unique_phones, a.suppressed
        );
    }
    // Each phone-day is worth 1.0: half at its tower, half in Södra. Phones
    // 0, 3, 6, 9 (tower 0) give Norra 0.5 a day; 1, 4, 7 (tower 1, on the
    // border) 0.25 to each; all ten give Södra 0.5 a day.
    let norra = 2.0 * (4.0 * 0.5 + 3.0 * 0.25);
    let sodra = 2.0 * (10.0 * 0.5 + 3.0 * 0.25);
    assert_eq!(totals.total_phone_days, 20);
    assert!(
        (totals.footprint(0) - norra).abs() < 1e-12,
        "{}",
        totals.footprint(0)
    );
    assert!(
        (totals.footprint(1) - sodra).abs() < 1e-12,
        "{}",
        totals.footprint(1)
    );
    assert_eq!(report.areas[0].unique_phones, Some(7));
    assert_eq!(report.areas[1].unique_phones, Some(10));
    println!("checked against the hand-worked values");
}
