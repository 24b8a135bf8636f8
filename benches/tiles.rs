//! Vector tiles of a grid layer: 100 000 cell polygons in EPSG:3006 as
//! MBTiles, zoom 8–14 (projected to Web Mercator, clipped, encoded as MVT,
//! gzipped, written into SQLite), in parallel on every core.
//!
//! Baseline, measured in the same run: the same layer as RFC 7946 GeoJSON
//! (`geojson_bytes`: projected to WGS 84 and written once), the writer the
//! viewer uses. Report the tiles as a ratio to it: seven zoom levels, each
//! holding every cell once or more.
//!
//! `cargo bench -p stratmap-benches --bench tiles`

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use stratmap_benches::cell_layer;
use stratmap_io::geojson_bytes;
use stratmap_io::write_mbtiles;

const CELLS: i64 = 100_000;

fn bench(c: &mut Criterion) {
    let layer = cell_layer(CELLS);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("cells.mbtiles");
    let mut g = c.benchmark_group("tiles");
    g.sample_size(10);
    g.bench_function("baseline: 100 000 cells to RFC 7946 GeoJSON", |b| {
        b.iter(|| black_box(geojson_bytes(black_box(&layer)).expect("encodes")))
    });
    g.bench_function("100 000 cells to MBTiles, zoom 8-14", |b| {
        b.iter(|| write_mbtiles(black_box(&layer), &path).expect("writes"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
