//! Criterion benches live beside this crate: `cargo bench -p stratmap-benches`.
