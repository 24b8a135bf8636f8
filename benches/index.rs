//! The living-conditions index and youth groups on one million cells (about
//! twice Sweden's populated 250 m cells). The baseline, measured in the same
//! run, is sorting one million index values: the least any quantile
//! classification must do. Report the index as a ratio to it.
//!
//! `cargo bench -p stratmap-benches --bench index`

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use std::hint::black_box;
use stratmap_core::GridSpec;
use stratmap_core::{youth_groups, YouthCell, YouthParams};
use stratmap_core::{GridCell, IndexParams, LivingConditionsIndex};

const SIDE: i64 = 1000; // 1000 × 1000 cells

/// A deterministic pseudo-random grid (SplitMix64) with realistic gaps.
fn grid() -> (Vec<GridCell>, Vec<YouthCell>) {
    let mut state = 42u64;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut cells = Vec::new();
    let mut youth = Vec::new();
    for col in 0..SIDE {
        for row in 0..SIDE {
            let pop = (next() * 400.0).floor();
            let mut values = [0.0; 8].map(|_| Some(next()));
            values[0] = Some(150_000.0 + next() * 250_000.0);
            values[6] = Some((pop * 0.2 * next()).floor());
            values[7] = Some((pop * 0.06 * next()).floor());
            if next() < 0.05 {
                values[3] = None;
            }
            cells.push(GridCell {
                population: Some(pop),
                values,
            });
            youth.push(YouthCell {
                x: col * 250,
                y: row * 250,
                age_0_15: values[6],
                age_16_19: values[7],
            });
        }
    }
    (cells, youth)
}

fn bench(c: &mut Criterion) {
    let (cells, youth) = grid();
    let params = IndexParams::default();
    let index_values: Vec<f64> = LivingConditionsIndex::compute(&cells, &params)
        .cells
        .iter()
        .filter_map(|c| c.index)
        .collect();

    let mut g = c.benchmark_group("1m_cells");
    g.sample_size(10);
    g.bench_function("baseline_sort_index_values", |b| {
        b.iter_batched(
            || index_values.clone(),
            |mut v| {
                v.sort_unstable_by(f64::total_cmp);
                black_box(v)
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("living_conditions_index", |b| {
        b.iter(|| black_box(LivingConditionsIndex::compute(black_box(&cells), &params)))
    });
    g.bench_function("youth_groups", |b| {
        b.iter(|| {
            black_box(youth_groups(
                black_box(&youth),
                GridSpec::scb(250),
                &YouthParams::default(),
            ))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
