//! File formats and coordinate systems for **stratmap**: reading CSV inputs,
//! GeoJSON areas, streamed connection records and the TOML config into the
//! typed tables of `stratmap-core`, transforming
//! coordinates through PROJ, and writing layers as RFC 7946 GeoJSON, vector
//! tiles in MBTiles ([`write_mbtiles`]), GeoPackage and GeoTIFF (through
//! GDAL). Every write is atomic; vector layers are
//! written through one streaming interface, [`LayerSink`] (begin, features,
//! end).
//!
//! Two cargo features, both on by default, bring in the heavy native
//! backends: `gdal` (the `gdal_out` writers and GeoPackage / Shapefile
//! areas) and `render` (the PNG map in `render`). With
//! `--no-default-features` the crate links PROJ but neither GDAL nor
//! tiny-skia; GeoPackage or Shapefile areas are then refused with a message
//! saying so.
//!
//! ```no_run
//! use stratmap_io::{config::Config, grid_csv::read_grid};
//!
//! let config = Config::default();
//! let bytes = std::fs::read("grid.csv").unwrap();
//! let grid = read_grid("grid.csv", &bytes, &config).unwrap();
//! println!("{} cells on the {}", grid.cells.len(), grid.spec);
//! ```

#![deny(missing_docs)]

pub mod areas;
pub mod atomic;
pub mod config;
pub mod connections;
pub mod crs;
pub mod csv_out;
pub mod csv_table;
pub mod encoding;
pub mod events;
#[cfg(feature = "gdal")]
pub mod gdal_out;
pub mod geojson_out;
pub mod grid_csv;
pub mod layer;
pub mod layers;
pub mod limited;
#[cfg(feature = "parquet")]
pub mod parquet_records;
pub mod points;
pub mod problem;
#[cfg(feature = "render")]
pub mod render;
pub mod sink;
pub mod styles;
mod tiles;
pub mod timestamps;

pub use problem::{Error, Problem};

// The types and readers most programs need, at the crate's root.
pub use areas::{read_areas, read_areas_file, Area, AreaTable};
pub use config::Config;
pub use connections::{read_records, read_records_into, read_towers, RecordContext, Towers};
pub use crs::Epsg;
pub use events::{read_answers, read_events, Events};
pub use grid_csv::{read_grid, GridTable};
pub use layer::{Layer, LayerSchema, Raster, Value};
pub use sink::{write_layers, LayerSink};
pub use tiles::{write_mbtiles, TILE_ZOOMS};

/// A file's extension in lower case (empty when it has none): formats are
/// chosen by it.
pub fn extension(path: &std::path::Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// Whether a path is `-`: standard input for an input, standard output for
/// a GeoJSON or CSV output.
pub fn is_stdio(path: &std::path::Path) -> bool {
    path.as_os_str() == "-"
}

/// Writes bytes to standard output (for `--out -`); a closed pipe is no
/// failure of the writer's.
pub fn write_stdout(bytes: &[u8]) -> Result<(), Error> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::io(std::path::Path::new("stdout"), e))
        }
        _ => Ok(()),
    }
}
