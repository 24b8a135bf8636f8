//! Any bytes as connection records: counted as used or left out, never a
//! panic; every record read is accounted for.
#![no_main]
use geo::{polygon, MultiPolygon};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use stratmap_core::FootprintAreas;
use stratmap_io::{parse_tz, read_records, tower_weights, RecordContext, Towers};
use stratmap_io::Epsg;

fn town() -> &'static (FootprintAreas, Towers) {
    static TOWN: OnceLock<(FootprintAreas, Towers)> = OnceLock::new();
    TOWN.get_or_init(|| {
        let a = polygon![(x: 600_000.0, y: 6_600_000.0), (x: 601_000.0, y: 6_600_000.0), (x: 601_000.0, y: 6_601_000.0), (x: 600_000.0, y: 6_601_000.0)];
        let areas = FootprintAreas::new(vec![MultiPolygon::new(vec![a])], 500.0);
        let mut towers = Towers::default();
        towers.ids.insert("T1".into(), 0);
        towers.positions.push((600_000.0, 6_600_000.0));
        (areas, towers)
    })
}

fuzz_target!(|data: &[u8]| {
    let (areas, towers) = town();
    let weights = tower_weights(areas, towers);
    let ctx = RecordContext {
        areas,
        towers,
        tower_weights: &weights,
        tz: parse_tz("Europe/Stockholm").expect("known zone"),
        xy_epsg: Epsg(3006),
        working: Epsg(3006),
        sorted_by_time: None,
        memory: Default::default(),
    };
    if let Ok(fp) = read_records("fuzz.csv", data, &ctx, &|_, _| {}) {
        assert_eq!(fp.stats.read, fp.stats.used + fp.stats.skipped());
        let t = fp.totals(&[0], 1);
        assert!(t.footprint(0) + t.outside() <= t.total_phone_days as f64 + 1e-6);
    }
});
