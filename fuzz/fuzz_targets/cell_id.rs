//! Any text as a cell id (SCB or INSPIRE): parsed or refused; a parsed id
//! written back in its own style parses to the same cell.
#![no_main]
use libfuzzer_sys::fuzz_target;
use stratmap_core::{CellId, GridSpec};

fuzz_target!(|text: &str| {
    if let Ok(id) = text.parse::<CellId>() {
        let spec = GridSpec {
            epsg: id.epsg,
            cell_size: id.cell_size.unwrap_or(250),
        };
        let again = spec.format_id(&id.style, id.x, id.y);
        let back: CellId = again.parse().expect("a written id parses");
        assert_eq!((back.x, back.y, back.epsg), (id.x, id.y, id.epsg), "{text:?} → {again:?}");
    }
});
