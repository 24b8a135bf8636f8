//! Times Gi* on the hot-spot benchmark's grid once (for
//! `benches/hotspot_esda.py`, which times esda on the same data): prints the
//! seconds and the z-scores' checksum.
//!
//! usage: `gi-star-timing SIDE`

use std::time::Instant;
use stratmap_benches::hotspot_grid;
use stratmap_core::gi_star_grid;
use stratmap_core::GridSpec;

fn main() {
    let side = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    let (cells, counts) = hotspot_grid(side);
    let t = Instant::now();
    let gi = gi_star_grid(&cells, GridSpec::scb(250), &counts, 500.0).expect("a positive band");
    let secs = t.elapsed().as_secs_f64();
    let sum: f64 = gi.iter().filter_map(|g| g.z).sum();
    println!("{secs} {sum}");
}
