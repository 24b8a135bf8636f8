//! GeoJSON encoding of a national-size layer: 300 000 grid-cell polygons
//! in EPSG:3006, transformed to WGS 84 and written as RFC 7946 text.
//!
//! Baseline, measured in the same run: serialising the same features'
//! property values alone with serde_json (no geometry, no projection), the
//! least any GeoJSON writer does. Report the encoding as a ratio to it.
//!
//! `cargo bench -p stratmap-benches --bench geojson`

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use stratmap_benches::cell_layer;
use stratmap_io::geojson_bytes;
use stratmap_io::Value;

const CELLS: i64 = 300_000;

fn bench(c: &mut Criterion) {
    let layer = cell_layer(CELLS);
    let mut g = c.benchmark_group("geojson");
    g.sample_size(10);
    g.bench_function("baseline: property values with serde_json", |b| {
        b.iter(|| {
            let mut out = Vec::new();
            for f in &layer.features {
                for v in &f.values {
                    let j = match v {
                        Value::Integer(i) => serde_json::json!(i),
                        Value::Real(x) => serde_json::json!(x),
                        Value::Text(s) => serde_json::json!(s),
                        _ => serde_json::Value::Null,
                    };
                    serde_json::to_writer(&mut out, &j).expect("in memory");
                }
            }
            black_box(out)
        })
    });
    g.bench_function("300 000 cells to RFC 7946 GeoJSON", |b| {
        b.iter(|| black_box(geojson_bytes(black_box(&layer)).expect("encodes")))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
