//! Any bytes as areas GeoJSON: read, or refused with located problems.
#![no_main]
use libfuzzer_sys::fuzz_target;
use stratmap_io::read_areas;
use stratmap_io::Epsg;

fuzz_target!(|data: &[u8]| {
    let _ = read_areas("fuzz.geojson", data, Epsg(3006), Some(Epsg(3006)));
});
