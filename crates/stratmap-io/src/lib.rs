//! File formats and coordinate systems for **stratmap**: reading CSV inputs,
//! GeoJSON areas, streamed connection records and the TOML config into the
//! typed tables of `stratmap-core`, transforming
//! coordinates through PROJ, and writing layers as RFC 7946 GeoJSON, vector
//! tiles in MBTiles ([`write_mbtiles`]), GeoPackage and GeoTIFF (through
//! GDAL). Every write is atomic; vector layers are
//! written through one streaming interface, [`LayerSink`] (begin, features,
//! end).
//!
//! Four cargo features, all on by default, bring in the heavy backends:
//! `gdal` (GeoPackage and GeoTIFF writers, GeoPackage / Shapefile areas),
//! `render` (the PNG map, tiny-skia), `parquet` (Parquet records, arrow)
//! and `tiles` (MBTiles vector tiles: SQLite, MVT, gzip). With
//! `--no-default-features` the crate links PROJ but none of GDAL,
//! tiny-skia, arrow or SQLite; GeoPackage or Shapefile areas are then
//! refused with a message saying so.
//!
//! ```no_run
//! use stratmap_io::{Config, read_grid};
//!
//! let config = Config::default();
//! let bytes = std::fs::read("grid.csv").unwrap();
//! let grid = read_grid("grid.csv", &bytes, &config).unwrap();
//! println!("{} cells on the {}", grid.cells.len(), grid.spec);
//! ```

#![deny(missing_docs, unnameable_types)]

mod areas;
pub use areas::{
    is_geojson, read_areas, read_areas_file, read_areas_file_with, read_areas_with, Area,
    AreaOptions, AreaTable, NO_GDAL,
};
mod atomic;
pub use atomic::{remove_live_temps, write_atomic, AtomicFile};
/// The TOML config's schema: its sections and their settings.
pub mod config;
pub use config::{parse_by, parse_epsg, parse_working_epsg, Config, DEFAULT_EPSG};
mod connections;
pub use connections::{
    parse_tz, read_records, read_records_into, read_towers, tower_weights, Categories, MemoryPlan,
    RecordContext, RecordFootprint, RecordStats, Skipped, Towers, UnknownTimeZone,
};
mod crs;
pub use crs::{Epsg, Transform};
mod csv_out;
pub use csv_out::{neutralise, write_csv, write_data_csv, CsvSink};
mod csv_table;
pub use csv_table::column_index;
mod encoding;
pub use encoding::decode_text;
mod events;
pub use events::{parse_date, read_answers, read_events, Events};
#[cfg(feature = "gdal")]
mod gdal_out;
#[cfg(feature = "gdal")]
mod gpkg_rtree;
#[cfg(feature = "gdal")]
pub use areas::{read_areas_gdal, read_areas_gdal_with};
#[cfg(feature = "gdal")]
pub use gdal_out::{
    class_path, write_geotiff, write_gpkg, write_gpkg_layer, write_layer_geotiff, GeoTiffSink,
    GpkgSink,
};
mod geojson_out;
pub use geojson_out::{geojson_bytes, round7, write_geojson, GeoJsonSink};
mod grid_csv;
pub use grid_csv::{read_grid, read_grid_cells, GridTable};
mod layer;
pub use layer::{Feature, Field, FieldType, GeometryKind, Layer, LayerSchema, Raster, Value};
mod layers;
pub use layers::{
    assessment_layer, assessment_rows, candidates_layer, change_layer, concordance_rows,
    emerging_layer, footprint_category_rows, footprint_layer, hotspots_layer, indicator_rows,
    lisa_layer, living_conditions_layer, period_rows, transition_rows, youth_layer, StudyGrid,
    AREA_PERIOD_COLUMNS, AREA_TREND_COLUMNS, ASSESSMENT_COLUMNS, CONCORDANCE_COLUMNS,
    FOOTPRINT_CATEGORY_COLUMNS, INDEX_BANDS, INDEX_NODATA, INDICATOR_COLUMNS, PERIOD_COLUMNS,
    TRANSITION_COLUMNS,
};
mod limited;
pub use limited::{
    problem_of, read_text_file, CheckedText, TextLimits, MAX_CONFIG_BYTES, MAX_LINE_BYTES,
};
#[cfg(feature = "parquet")]
mod parquet_records;
#[cfg(feature = "parquet")]
pub use parquet_records::{is_parquet, read_parquet_records, read_parquet_records_into};
mod points;
mod problem;
pub use problem::{Error, Problem};
mod raster;
pub use raster::{
    check_raster, raster_bands, RasterBuilder, RasterError, MAX_RASTER_PIXELS, MAX_RASTER_VALUES,
};
#[cfg(feature = "render")]
mod render;
#[cfg(feature = "render")]
pub use render::{png_sink, write_png, MAP_LAYERS};
mod sink;
pub use sink::{write_layers, LayerSink, WholeLayers};
mod styles;
pub use styles::{class_colors, class_raster_qml, qml_style, sld_style};
#[cfg(feature = "tiles")]
mod tiles;
#[cfg(feature = "tiles")]
pub use tiles::{write_mbtiles, TILE_ZOOMS};
mod timestamps;
pub use timestamps::{local_day, parse_timestamp, TimeUnit, TimestampError};

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
