//! The output formats, chosen in one place: each is an [`OutputFormat`]
//! that writes what it can of a run's [`Products`] (layers and tables)
//! into a folder, named as SPEC §5 names the files, and tells
//! what it wrote. `stratmap run` asks every format its `[output] formats`
//! list; a single command writes its one layer through the format its
//! `--out` extension names ([`layer_format`]). Each format also names the
//! files it gives a run's layers and tables ([`OutputFormat::files`]), so
//! the files a run can write ([`run_outputs`]) are not listed twice.

use crate::pipeline::{Failure, Notes};
use std::path::Path;
use stratmap_io::write_atomic;
use stratmap_io::{png_sink, write_png, MAP_LAYERS};
use stratmap_io::{write_csv, CsvSink};
use stratmap_io::{write_geojson, GeoJsonSink};
use stratmap_io::{write_gpkg, write_mbtiles, GeoTiffSink, GpkgSink, TILE_ZOOMS};
use stratmap_io::{write_layers, LayerSink, WholeLayers};
use stratmap_io::{Layer, Value};

/// A table: its file name, its columns and its rows.
pub type Table = (&'static str, &'static [&'static str], Vec<Vec<Value>>);

/// What a run made, to be written.
pub struct Products<'a> {
    /// The layers, in SPEC §5 order.
    pub layers: &'a [Layer],
    /// The CSV tables.
    pub tables: &'a [Table],
    /// The working CRS, for the messages.
    pub epsg: stratmap_core::Epsg,
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
/// The class raster beside it ([`stratmap_io::class_path`]).
const TIF_CLASS_FILE: &str = "living_conditions_class.tif";
/// The class raster's QGIS style.
const TIF_CLASS_STYLE: &str = "living_conditions_class.qml";
/// The layer the raster is made from.
const TIF_LAYER: &str = "living_conditions";
/// The viewer of a run.
const HTML_FILE: &str = "index.html";
/// The static map of a run.
const PNG_FILE: &str = "map.png";
/// Its title.
const RUN_MAP_TITLE: &str = "Living conditions, police areas and youth groups";

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
    let Some(qml) = stratmap_io::qml_style(layer) else {
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

    /// The [`LayerSink`] that writes layers to `path` in this format: what
    /// a single command's `--out`, or any program, writes a layer through.
    fn sink<'a>(
        &self,
        path: &'a Path,
        notes: &'a Notes,
    ) -> Result<Box<dyn LayerSink + 'a>, Failure>;

    /// Writes one layer to `path` (for the single commands) through
    /// [`sink`](OutputFormat::sink).
    fn write_layer(&self, layer: &Layer, path: &Path, notes: &Notes) -> Result<(), Failure> {
        Ok(write_layers(self.sink(path, notes)?, &[layer])?)
    }
}

/// A sink for a format that holds one layer a file and writes it whole
/// (`write` at `end`): a second layer is refused.
fn one_layer<'a>(
    path: &'a Path,
    format: &'static str,
    write: impl FnOnce(&Layer, &Path) -> Result<(), stratmap_io::Error> + 'a,
) -> Box<dyn LayerSink + 'a> {
    Box::new(WholeLayers::new(
        path,
        move |layers: &[&Layer]| match layers {
            [layer] => write(layer, path),
            _ => Err(stratmap_io::Error::io(
                path,
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("a {format} file holds one layer, not {}", layers.len()),
                ),
            )),
        },
    ))
}

/// RFC 7946 GeoJSON: one file per layer (`<layer>.geojson`).
pub struct GeoJson;
/// CSV: one file per table in a run; a single command's layer as its
/// table with WKT geometries.
pub struct Csv;
/// GeoPackage: every layer in `stratmap.gpkg`, in EPSG of the working CRS.
pub struct GeoPackage;
/// GeoTIFF: in a run the index raster, `living_conditions.tif`; a single
/// command's grid layer as a raster of its numeric fields.
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

/// The grid layers, of equal cells, that a GeoTIFF can hold.
pub const GRID_LAYERS: [&str; 5] = TILE_LAYERS;

/// The grid layers, of 250 m cells, that [`Tiles`] writes as vector tiles
/// in a run.
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

/// The format a single command's `--out` names by its extension, for a
/// layer of that name: any layer as GeoJSON, GeoPackage, CSV (its table
/// with WKT geometries) or the viewer; a grid layer of cells
/// ([`GRID_LAYERS`]) also as a GeoTIFF; the layers the static map draws
/// ([`MAP_LAYERS`]) also as PNG; and any as vector tiles.
pub fn layer_format(path: &Path, layer: &str) -> Result<&'static dyn OutputFormat, Failure> {
    if stratmap_io::is_stdio(path) {
        return Ok(&GeoJson); // `--out -`: GeoJSON on standard output
    }
    let grid = GRID_LAYERS.contains(&layer);
    let map = MAP_LAYERS.contains(&layer);
    match stratmap_io::extension(path).as_str() {
        "geojson" | "json" => Ok(&GeoJson),
        "gpkg" => Ok(&GeoPackage),
        "csv" => Ok(&Csv),
        "html" | "htm" => Ok(&Html),
        "mbtiles" => Ok(&Tiles),
        "tif" | "tiff" if grid => Ok(&GeoTiff),
        "png" if map => Ok(&Png),
        _ => {
            let mut ends = vec![".geojson", ".gpkg", ".csv", ".html"];
            ends.extend(grid.then_some(".tif"));
            ends.extend(map.then_some(".png"));
            Err(Failure::Usage(format!(
                "--out {}: expected a file ending in {} or .mbtiles for the {layer} layer",
                path.display(),
                ends.join(", ")
            )))
        }
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

    fn sink<'a>(&self, path: &'a Path, _: &'a Notes) -> Result<Box<dyn LayerSink + 'a>, Failure> {
        Ok(if stratmap_io::is_stdio(path) {
            one_layer(path, "GeoJSON", write_geojson)
        } else {
            Box::new(GeoJsonSink::new(path))
        })
    }

    fn write_layer(&self, layer: &Layer, path: &Path, notes: &Notes) -> Result<(), Failure> {
        write_layers(self.sink(path, notes)?, &[layer])?;
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

    fn sink<'a>(&self, path: &'a Path, _: &'a Notes) -> Result<Box<dyn LayerSink + 'a>, Failure> {
        Ok(Box::new(CsvSink::new(path)))
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

    fn sink<'a>(&self, path: &'a Path, _: &'a Notes) -> Result<Box<dyn LayerSink + 'a>, Failure> {
        Ok(Box::new(GpkgSink::open(path)?))
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
        let Some(layer) = p.layers.iter().find(|l| l.name == TIF_LAYER) else {
            return Ok(Vec::new());
        };
        let r = stratmap_io::write_layer_geotiff(layer, &dir.join(TIF_FILE))?;
        let mut written = vec![Written {
            file: TIF_FILE.into(),
            content: TIF_LAYER.into(),
            count: r.width() * r.height(),
            unit: "pixels",
            said: Some(format!(
                "the index: {} × {} Float32 pixels of {} m",
                r.width(),
                r.height(),
                r.cell_size
            )),
        }];
        if r.band_named("class").is_some() {
            written.push(Written {
                file: TIF_CLASS_FILE.into(),
                content: format!("{TIF_LAYER} class"),
                count: r.width() * r.height(),
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

    fn sink<'a>(&self, path: &'a Path, _: &'a Notes) -> Result<Box<dyn LayerSink + 'a>, Failure> {
        Ok(Box::new(GeoTiffSink::new(path)))
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
        let refs: Vec<&Layer> = p.layers.iter().collect();
        crate::viewer::write_html(&refs, p.basemap, &dir.join(HTML_FILE), notes)?;
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

    fn sink<'a>(
        &self,
        path: &'a Path,
        notes: &'a Notes,
    ) -> Result<Box<dyn LayerSink + 'a>, Failure> {
        crate::viewer::html_sink(path, None, notes)
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
        write_png(&refs, RUN_MAP_TITLE, &dir.join(PNG_FILE))?;
        Ok(vec![Written {
            file: PNG_FILE.into(),
            content: "map".into(),
            count: p.layers.len(),
            unit: "layers",
            said: Some("a static map with legend, for reports".into()),
        }])
    }

    fn sink<'a>(&self, path: &'a Path, _: &'a Notes) -> Result<Box<dyn LayerSink + 'a>, Failure> {
        Ok(png_sink(path, MAP_TITLE))
    }
}

/// The title of a single command's map (its layer names the legend).
const MAP_TITLE: &str = "stratmap";

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

    fn sink<'a>(&self, path: &'a Path, _: &'a Notes) -> Result<Box<dyn LayerSink + 'a>, Failure> {
        Ok(one_layer(path, "MBTiles", write_mbtiles))
    }

    fn write_layer(&self, layer: &Layer, path: &Path, _: &Notes) -> Result<(), Failure> {
        // the sink would copy the layer to have it whole
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
