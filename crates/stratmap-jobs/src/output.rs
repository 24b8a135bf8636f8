//! The output formats, chosen in one place: each is an [`OutputFormat`]
//! that writes what it can of a run's [`Products`] (layers, tables, the
//! index raster) into a folder, named as SPEC §5 names the files, and tells
//! what it wrote. `stratmap run` asks every format its `[output] formats`
//! list; a single command writes its one layer through the format its
//! `--out` extension names ([`layer_format`]). Each format also names the
//! files it gives a run's layers and tables ([`OutputFormat::files`]), so
//! the files a run can write ([`run_outputs`]) are not listed twice.

use crate::pipeline::{Failure, Notes};
use std::path::Path;
use stratmap_io::atomic::write_atomic;
use stratmap_io::csv_out::write_csv;
use stratmap_io::gdal_out::{write_geotiff, write_gpkg};
use stratmap_io::geojson_out::write_geojson;
use stratmap_io::layer::{Layer, Raster, Value};
use stratmap_io::{write_mbtiles, TILE_ZOOMS};

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
    /// The viewer's basemap tile URL (`[output] basemap`), if any.
    pub basemap: Option<&'a str>,
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

/// The layers `stratmap run` can make, by [`Layer::name`], in SPEC §5 order.
pub const RUN_LAYERS: [&str; 9] = [
    "living_conditions",
    "youth_groups",
    "footprint",
    "hotspots",
    "assessment",
    "candidates",
    "lisa",
    "change",
    "emerging",
];

/// The tables `stratmap run` can make, by file name (the first of a [`Table`]).
pub const RUN_TABLES: [&str; 9] = [
    "footprint_by_category.csv",
    "indicators.csv",
    "indicators_by_period.csv",
    "events_by_area_period.csv",
    "trends_by_area.csv",
    "assessment.csv",
    "concordance.csv",
    "class_transitions.csv",
    "change_by_area.csv",
];

/// Every file `stratmap run` can write into its folder but `summary.json`:
/// the files of every format for [`RUN_LAYERS`] and [`RUN_TABLES`]. One of
/// them that a run did not write is left from an earlier one.
pub fn run_outputs() -> Vec<String> {
    ALL.iter()
        .flat_map(|f| f.files(&RUN_LAYERS, &RUN_TABLES))
        .collect()
}

/// The GeoPackage of a run, with every layer.
const GPKG_FILE: &str = "stratmap.gpkg";
/// The index raster of a run.
const TIF_FILE: &str = "living_conditions.tif";
/// The class raster beside it ([`stratmap_io::gdal_out::class_path`]).
const TIF_CLASS_FILE: &str = "living_conditions_class.tif";
/// The class raster's QGIS style.
const TIF_CLASS_STYLE: &str = "living_conditions_class.qml";
/// The layer the raster is made from.
const TIF_LAYER: &str = "living_conditions";
/// The viewer of a run.
const HTML_FILE: &str = "index.html";
/// The static map of a run.
const PNG_FILE: &str = "map.png";

/// The GeoJSON file of a layer.
fn geojson_file(layer: &str) -> String {
    format!("{layer}.geojson")
}

/// The QGIS style beside a layer's GeoJSON file (QGIS applies a `.qml` of
/// the same name when it opens the file).
fn qml_file(layer: &str) -> String {
    format!("{layer}.qml")
}

/// Writes the QGIS style of `layer` beside the GeoJSON file at `path`
/// (`x.geojson` → `x.qml`); whether the layer has one.
fn write_sidecar_style(layer: &str, path: &Path) -> Result<bool, Failure> {
    let Some(qml) = stratmap_io::styles::qml(layer) else {
        return Ok(false);
    };
    write_atomic(&path.with_extension("qml"), |w| w.write_all(qml.as_bytes()))?;
    Ok(true)
}

/// An output format.
pub trait OutputFormat: Sync {
    /// Its name in `[output] formats`.
    fn name(&self) -> &'static str;

    /// The names of the files this format gives products with these layers
    /// and tables (by name) in a folder: every file [`write_into`] may
    /// write for them, and any other file of a name it gives them (the
    /// GeoJSON of the assessment layer, left to the GeoPackage, is
    /// named), so that a run can tell the files an earlier one left.
    ///
    /// [`write_into`]: OutputFormat::write_into
    fn files(&self, layers: &[&str], tables: &[&str]) -> Vec<String>;

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
/// Vector tiles of the grid layers ([`TILE_LAYERS`]), one MBTiles file
/// each (`<layer>.mbtiles`), for `stratmap serve`; a single command's
/// `--out x.mbtiles` writes its layer so.
pub struct Tiles;

/// Every format, in the order `stratmap run` writes them.
pub const ALL: [&dyn OutputFormat; 7] =
    [&GeoJson, &Csv, &GeoPackage, &GeoTiff, &Html, &Png, &Tiles];

/// The grid layers, of 250 m cells, that [`Tiles`] writes as vector tiles.
pub const TILE_LAYERS: [&str; 5] = [
    "living_conditions",
    "hotspots",
    "lisa",
    "change",
    "emerging",
];

/// The MBTiles file of a layer.
pub fn mbtiles_file(layer: &str) -> String {
    format!("{layer}.mbtiles")
}

/// `file` when there is a layer: the formats that hold every layer in one
/// file write nothing without one.
fn when_any_layer(layers: &[&str], file: &str) -> Vec<String> {
    if layers.is_empty() {
        Vec::new()
    } else {
        vec![file.to_string()]
    }
}

/// The format a single command's `--out` names by its extension.
pub fn layer_format(path: &Path, raster_ok: bool) -> Result<&'static dyn OutputFormat, Failure> {
    if stratmap_io::is_stdio(path) {
        return Ok(&GeoJson); // `--out -`: GeoJSON on standard output
    }
    match stratmap_io::extension(path).as_str() {
        "geojson" | "json" => Ok(&GeoJson),
        "gpkg" => Ok(&GeoPackage),
        "mbtiles" => Ok(&Tiles),
        "tif" | "tiff" if raster_ok => Ok(&GeoTiff),
        _ => Err(Failure::Usage(format!(
            "--out {}: expected a file ending in .geojson, .gpkg{} or .mbtiles",
            path.display(),
            if raster_ok { ", .tif" } else { "" }
        ))),
    }
}

impl OutputFormat for GeoJson {
    fn name(&self) -> &'static str {
        "geojson"
    }

    fn files(&self, layers: &[&str], _: &[&str]) -> Vec<String> {
        layers
            .iter()
            .flat_map(|l| [geojson_file(l), qml_file(l)])
            .collect()
    }

    fn write_into(&self, p: &Products, dir: &Path, _: &Notes) -> Result<Vec<Written>, Failure> {
        let mut written = Vec::new();
        // the assessment layer is the areas with a table joined: in the GeoPackage only
        for layer in p.layers.iter().filter(|l| l.name != "assessment") {
            let file = geojson_file(&layer.name);
            write_geojson(layer, &dir.join(&file))?;
            written.push(Written {
                file,
                content: layer.name.clone(),
                count: layer.features.len(),
                unit: "features",
                said: None,
            });
            if write_sidecar_style(&layer.name, &dir.join(geojson_file(&layer.name)))? {
                written.push(Written {
                    file: qml_file(&layer.name),
                    content: format!("{} style", layer.name),
                    count: 1,
                    unit: "styles",
                    said: Some(format!("the QGIS style of {}.geojson", layer.name)),
                });
            }
        }
        Ok(written)
    }

    fn write_layer(&self, layer: &Layer, path: &Path) -> Result<(), Failure> {
        write_geojson(layer, path)?;
        if !stratmap_io::is_stdio(path) {
            write_sidecar_style(&layer.name, path)?;
        }
        Ok(())
    }
}

impl OutputFormat for Csv {
    fn name(&self) -> &'static str {
        "csv"
    }

    fn files(&self, _: &[&str], tables: &[&str]) -> Vec<String> {
        tables.iter().map(|t| t.to_string()).collect()
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

    fn files(&self, layers: &[&str], _: &[&str]) -> Vec<String> {
        when_any_layer(layers, GPKG_FILE)
    }

    fn write_into(&self, p: &Products, dir: &Path, _: &Notes) -> Result<Vec<Written>, Failure> {
        if p.layers.is_empty() {
            return Ok(Vec::new());
        }
        let refs: Vec<&Layer> = p.layers.iter().collect();
        write_gpkg(&refs, &dir.join(GPKG_FILE))?;
        let names: Vec<&str> = p.layers.iter().map(|l| l.name.as_str()).collect();
        Ok(vec![Written {
            file: GPKG_FILE.into(),
            content: names.join(", "),
            count: p.layers.len(),
            unit: "layers",
            said: Some(format!("layers {} in EPSG:{}", names.join(", "), p.epsg)),
        }])
    }

    fn write_layer(&self, layer: &Layer, path: &Path) -> Result<(), Failure> {
        Ok(stratmap_io::gdal_out::write_gpkg_layer(layer, path)?)
    }
}

impl OutputFormat for GeoTiff {
    fn name(&self) -> &'static str {
        "tif"
    }

    fn files(&self, layers: &[&str], _: &[&str]) -> Vec<String> {
        if layers.contains(&TIF_LAYER) {
            vec![
                TIF_FILE.to_string(),
                TIF_CLASS_FILE.to_string(),
                format!("{TIF_CLASS_FILE}.aux.xml"),
                TIF_CLASS_STYLE.to_string(),
            ]
        } else {
            Vec::new()
        }
    }

    fn write_into(&self, p: &Products, dir: &Path, _: &Notes) -> Result<Vec<Written>, Failure> {
        let Some(r) = p.raster else {
            return Ok(Vec::new());
        };
        write_geotiff(r, &dir.join(TIF_FILE))?;
        let mut written = vec![Written {
            file: TIF_FILE.into(),
            content: TIF_LAYER.into(),
            count: r.width * r.height,
            unit: "pixels",
            said: Some(format!(
                "the index: {} × {} Float32 pixels of {} m",
                r.width, r.height, r.cell_size
            )),
        }];
        if r.bands.iter().any(|(n, _)| n == "class") {
            written.push(Written {
                file: TIF_CLASS_FILE.into(),
                content: format!("{TIF_LAYER} class"),
                count: r.width * r.height,
                unit: "pixels",
                said: Some("the class 1–5: Byte, with a colour table and attribute table".into()),
            });
            written.push(Written {
                file: format!("{TIF_CLASS_FILE}.aux.xml"),
                content: format!("{TIF_LAYER} class attribute table"),
                count: 5,
                unit: "rows",
                said: Some("the class raster's attribute table (GDAL's sidecar)".into()),
            });
            written.push(Written {
                file: TIF_CLASS_STYLE.into(),
                content: format!("{TIF_LAYER} class style"),
                count: 1,
                unit: "styles",
                said: Some("the QGIS style of the class raster: paletted, classes named".into()),
            });
        }
        Ok(written)
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

    fn files(&self, layers: &[&str], _: &[&str]) -> Vec<String> {
        when_any_layer(layers, HTML_FILE)
    }

    fn write_into(&self, p: &Products, dir: &Path, notes: &Notes) -> Result<Vec<Written>, Failure> {
        if p.layers.is_empty() {
            return Ok(Vec::new());
        }
        let (html, omitted) = crate::viewer::html(p.layers, p.basemap)?;
        for name in omitted {
            notes.warn(&format!(
                "index.html leaves out {name}: more than {} features for a browser; open stratmap.gpkg in QGIS",
                crate::viewer::MAX_VIEWER_FEATURES
            ));
        }
        write_atomic(&dir.join(HTML_FILE), |w| w.write_all(html.as_bytes()))?;
        Ok(vec![Written {
            file: HTML_FILE.into(),
            content: "viewer".into(),
            count: p.layers.len(),
            unit: "layers",
            said: Some(match p.basemap {
                None => "the map viewer: open it in a browser, it works offline".into(),
                Some(_) => {
                    "the map viewer: open it in a browser; offline but for the basemap's tiles"
                        .into()
                }
            }),
        }])
    }
}

impl OutputFormat for Png {
    fn name(&self) -> &'static str {
        "png"
    }

    fn files(&self, layers: &[&str], _: &[&str]) -> Vec<String> {
        when_any_layer(layers, PNG_FILE)
    }

    fn write_into(&self, p: &Products, dir: &Path, _: &Notes) -> Result<Vec<Written>, Failure> {
        if p.layers.is_empty() {
            return Ok(Vec::new());
        }
        let refs: Vec<&Layer> = p.layers.iter().collect();
        stratmap_io::render::write_png(
            &refs,
            "Living conditions, police areas and youth groups",
            &dir.join(PNG_FILE),
        )?;
        Ok(vec![Written {
            file: PNG_FILE.into(),
            content: "map".into(),
            count: p.layers.len(),
            unit: "layers",
            said: Some("a static map with legend, for reports".into()),
        }])
    }
}

impl OutputFormat for Tiles {
    fn name(&self) -> &'static str {
        "tiles"
    }

    fn files(&self, layers: &[&str], _: &[&str]) -> Vec<String> {
        layers
            .iter()
            .filter(|l| TILE_LAYERS.contains(l))
            .map(|l| mbtiles_file(l))
            .collect()
    }

    fn write_layer(&self, layer: &Layer, path: &Path) -> Result<(), Failure> {
        Ok(write_mbtiles(layer, path)?)
    }

    fn write_into(&self, p: &Products, dir: &Path, _: &Notes) -> Result<Vec<Written>, Failure> {
        let mut written = Vec::new();
        for layer in p
            .layers
            .iter()
            .filter(|l| TILE_LAYERS.contains(&l.name.as_str()))
        {
            let file = mbtiles_file(&layer.name);
            write_mbtiles(layer, &dir.join(&file))?;
            written.push(Written {
                file,
                content: format!("{} tiles", layer.name),
                count: layer.features.len(),
                unit: "features",
                said: Some(format!(
                    "vector tiles of {} features, zoom {}–{}: stratmap serve {} shows them",
                    layer.features.len(),
                    TILE_ZOOMS.0,
                    TILE_ZOOMS.1,
                    dir.display()
                )),
            });
        }
        Ok(written)
    }
}
