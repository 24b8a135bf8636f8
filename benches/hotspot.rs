//! Getis-Ord Gi* on one million 250 m cells with the 500 m band (13
//! neighbours a cell). Baseline, measured in the same run: sorting the million
//! counts. The same data is timed in esda by `benches/hotspot_esda.py`.
//!
//! `cargo bench -p stratmap-benches --bench hotspot`

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use stratmap_benches::hotspot_grid;
use stratmap_core::GridSpec;
use stratmap_core::{gi_bins, gi_star, gi_star_grid};

fn bench(c: &mut Criterion) {
    let (cells, counts) = hotspot_grid(1000);
    let centres: Vec<(f64, f64)> = cells
        .iter()
        .map(|&(x, y)| (x as f64 + 125.0, y as f64 + 125.0))
        .collect();
    let mut g = c.benchmark_group("hotspot");
    g.sample_size(10);
    g.bench_function("baseline: sort 1 M counts", |b| {
        b.iter(|| {
            let mut v = counts.clone();
            v.sort_by(f64::total_cmp);
            black_box(v)
        })
    });
    g.bench_function("Gi* on 1 M grid cells, neighbours from the grid", |b| {
        b.iter(|| {
            let gi =
                gi_star_grid(&cells, GridSpec::scb(250), &counts, 500.0).expect("a positive band");
            black_box(gi_bins(&gi, false))
        })
    });
    g.bench_function("Gi* on 1 M points, neighbours from an R-tree", |b| {
        b.iter(|| black_box(gi_star(&centres, &counts, 500.0).expect("a positive band")))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
