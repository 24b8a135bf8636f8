//! The output formats, chosen in one place: each is an [`OutputFormat`]
//! that writes what it can of a run's [`Products`] (layers, tables, the
//! index raster) into a folder, named as SPEC §5 names the files, and tells
//! what it wrote. `stratmap run` asks every format its `[output] formats`
//! list; a single command writes its one layer through the format its
//! `--out` extension names ([`layer_format`]).

use crate::pipeline::{Failure, Notes};
use std::path::Path;
use stratmap_io::atomic::write_atomic;
use stratmap_io::csv_out::write_csv;
use stratmap_io::gdal_out::{write_geotiff, write_gpkg};
use stratmap_io::geojson_out::write_geojson;
use stratmap_io::layer::{Layer, Raster, Value};

/// A table: its file name, its columns and its rows.
pub type Table = (&'static str, &'static [&'static str], Vec<Vec<Value>>);

/// What a run made, to be written.
pub struct Products<'a> {
    /// The layers, in SPEC §5 order.
    pub layers: &'a [Layer],
    /// The CSV tables.
    pub tables: &'a [Table],
    /// The living-conditions raster, when asked for.
    pub raster: Option<&'a Raster>,
    /// The working CRS, for the messages.
    pub epsg: stratmap_core::grid::Epsg,
}

/// One file written: its name in the folder, what it holds, how many of
/// what, and the line to say (else "n units").
pub struct Written {
    /// The file name.
    pub file: String,
    /// What it holds (a layer name, or the layers').
    pub content: String,
    /// How many features, rows, layers or pixels.
    pub count: usize,
    /// Of what, plural ("features", "rows", "layers", "pixels").
    pub unit: &'static str,
    /// The summary to say, when not the count.
    pub said: Option<String>,
}

/// An output format.
pub trait OutputFormat: Sync {
    /// Its name in `[output] formats`.
    fn name(&self) -> &'static str;

    /// Writes what it can of `p` into `dir`.
    fn write_into(&self, p: &Products, dir: &Path, notes: &Notes) -> Result<Vec<Written>, Failure>;

    /// Writes one layer to `path` (for the single commands); formats that
    /// hold no vector layer refuse.
    fn write_layer(&self, layer: &Layer, path: &Path) -> Result<(), Failure> {
        Err(Failure::Usage(format!(
            "--out {}: the {} layer cannot be written as {}",
            path.display(),
            layer.name,
            self.name()
        )))
    }
}

/// RFC 7946 GeoJSON: one file per layer (`<layer>.geojson`).
pub struct GeoJson;
/// CSV: one file per table.
pub struct Csv;
/// GeoPackage: every layer in `stratmap.gpkg`, in EPSG of the working CRS.
pub struct GeoPackage;
/// GeoTIFF: the index raster as `living_conditions.tif`.
pub struct GeoTiff;
/// The offline map viewer, `index.html`.
pub struct Html;
/// A static map for reports, `map.png`.
pub struct Png;

/// Every format, in the order `stratmap run` writes them.
pub const ALL: [&dyn OutputFormat; 6] = [&GeoJson, &Csv, &GeoPackage, &GeoTiff, &Html, &Png];

/// The format a single command's `--out` names by its extension.
pub fn layer_format(path: &Path, raster_ok: bool) -> Result<&'static dyn OutputFormat, Failure> {
    match stratmap_io::extension(path).as_str() {
        "geojson" | "json" => Ok(&GeoJson),
        "gpkg" => Ok(&GeoPackage),
        "tif" | "tiff" if raster_ok => Ok(&GeoTiff),
        _ => Err(Failure::Usage(format!(
            "--out {}: expected a file ending in .geojson or .gpkg{}",
            path.display(),
            if raster_ok { " or .tif" } else { "" }
        ))),
    }
}

impl OutputFormat for GeoJson {
    fn name(&self) -> &'static str {
        "geojson"
    }

    fn write_into(&self, p: &Products, dir: &Path, _: &Notes) -> Result<Vec<Written>, Failure> {
        let mut written = Vec::new();
        // the assessment layer is the areas with a table joined: in the GeoPackage only
        for layer in p.layers.iter().filter(|l| l.name != "assessment") {
            let file = format!("{}.geojson", layer.name);
            write_geojson(layer, &dir.join(&file))?;
            written.push(Written {
                file,
                content: layer.name.clone(),
                count: layer.features.len(),
                unit: "features",
                said: None,
            });
        }
        Ok(written)
    }

    fn write_layer(&self, layer: &Layer, path: &Path) -> Result<(), Failure> {
        Ok(write_geojson(layer, path)?)
    }
}

impl OutputFormat for Csv {
    fn name(&self) -> &'static str {
        "csv"
    }

    fn write_into(&self, p: &Products, dir: &Path, _: &Notes) -> Result<Vec<Written>, Failure> {
        let mut written = Vec::new();
        for (file, columns, rows) in p.tables {
            write_csv(columns, rows, &dir.join(file))?;
            written.push(Written {
                file: file.to_string(),
                content: file.trim_end_matches(".csv").to_string(),
                count: rows.len(),
                unit: "rows",
                said: None,
            });
        }
        Ok(written)
    }
}

impl OutputFormat for GeoPackage {
    fn name(&self) -> &'static str {
        "gpkg"
    }

    fn write_into(&self, p: &Products, dir: &Path, _: &Notes) -> Result<Vec<Written>, Failure> {
        if p.layers.is_empty() {
            return Ok(Vec::new());
        }
        let refs: Vec<&Layer> = p.layers.iter().collect();
        write_gpkg(&refs, &dir.join("stratmap.gpkg"))?;
        let names: Vec<&str> = p.layers.iter().map(|l| l.name.as_str()).collect();
        Ok(vec![Written {
            file: "stratmap.gpkg".into(),
            content: names.join(", "),
            count: p.layers.len(),
            unit: "layers",
            said: Some(format!("layers {} in EPSG:{}", names.join(", "), p.epsg)),
        }])
    }

    fn write_layer(&self, layer: &Layer, path: &Path) -> Result<(), Failure> {
        Ok(write_gpkg(&[layer], path)?)
    }
}

impl OutputFormat for GeoTiff {
    fn name(&self) -> &'static str {
        "tif"
    }

    fn write_into(&self, p: &Products, dir: &Path, _: &Notes) -> Result<Vec<Written>, Failure> {
        let Some(r) = p.raster else {
            return Ok(Vec::new());
        };
        write_geotiff(r, &dir.join("living_conditions.tif"))?;
        Ok(vec![Written {
            file: "living_conditions.tif".into(),
            content: "living_conditions".into(),
            count: r.width * r.height,
            unit: "pixels",
            said: Some(format!(
                "{} × {} pixels of {} m",
                r.width, r.height, r.cell_size
            )),
        }])
    }

    fn write_layer(&self, layer: &Layer, path: &Path) -> Result<(), Failure> {
        Err(Failure::Usage(format!(
            "--out {}: the {} layer cannot be written as a raster",
            path.display(),
            layer.name
        )))
    }
}

impl OutputFormat for Html {
    fn name(&self) -> &'static str {
        "html"
    }

    fn write_into(&self, p: &Products, dir: &Path, notes: &Notes) -> Result<Vec<Written>, Failure> {
        if p.layers.is_empty() {
            return Ok(Vec::new());
        }
        let (html, omitted) = crate::viewer::html(p.layers)?;
        for name in omitted {
            notes.warn(&format!(
                "index.html leaves out {name}: more than {} features for a browser; open stratmap.gpkg in QGIS",
                crate::viewer::MAX_VIEWER_FEATURES
            ));
        }
        write_atomic(&dir.join("index.html"), |w| w.write_all(html.as_bytes()))?;
        Ok(vec![Written {
            file: "index.html".into(),
            content: "viewer".into(),
            count: p.layers.len(),
            unit: "layers",
            said: Some("the map viewer: open it in a browser, it works offline".into()),
        }])
    }
}

impl OutputFormat for Png {
    fn name(&self) -> &'static str {
        "png"
    }

    fn write_into(&self, p: &Products, dir: &Path, _: &Notes) -> Result<Vec<Written>, Failure> {
        if p.layers.is_empty() {
            return Ok(Vec::new());
        }
        let refs: Vec<&Layer> = p.layers.iter().collect();
        stratmap_io::render::write_png(
            &refs,
            "Living conditions, police areas and youth groups",
            &dir.join("map.png"),
        )?;
        Ok(vec![Written {
            file: "map.png".into(),
            content: "map".into(),
            count: p.layers.len(),
            unit: "layers",
            said: Some("a static map with legend, for reports".into()),
        }])
    }
}
