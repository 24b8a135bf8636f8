//! Any bytes as a grid CSV: read, or refused with problems; never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use stratmap_io::Config;
use stratmap_io::read_grid;

fuzz_target!(|data: &[u8]| {
    let config = Config::default();
    if let Ok(grid) = read_grid("fuzz.csv", data, &config) {
        let _ = grid.index_problems("fuzz.csv", &config);
        for i in 0..grid.cells.len().min(4) {
            let _ = grid.id(i);
        }
    }
});
