//! GeoPackage (every layer, in the grid CRS; streamed through [`GpkgSink`])
//! and GeoTIFF (a grid layer as a raster, through [`GeoTiffSink`]) through
//! GDAL. Each file is built under a
//! temporary name in the destination directory and renamed into place when
//! GDAL has closed it.

use crate::atomic::Beside;
use crate::layer::{FieldType, GeometryKind, Layer, LayerSchema, Raster, Value};
use crate::raster::{raster_bands, RasterBuilder, RasterError};
use crate::sink::{out_of_order, write_layers, LayerSink};
use crate::{Error, Problem};
use gdal::errors::GdalError;
use gdal::raster::{Buffer, RasterCreationOptions};
use gdal::spatial_ref::SpatialRef;
use gdal::vector::{
    Feature, FieldDefn, LayerAccess, LayerOptions, OGRFieldType, OGRwkbGeometryType, ToGdal,
};
use gdal::{Dataset, DriverManager, Metadata};
use std::path::{Path, PathBuf};

impl Beside {
    /// GDAL's error, on the file being written.
    fn gdal(&self, e: GdalError) -> Error {
        Error::Gdal {
            path: self.path.clone(),
            message: e.to_string(),
        }
    }
}

/// Builds `path` with `build` at a temporary path beside it, then renames it
/// into place.
fn atomically(
    path: &Path,
    build: impl FnOnce(&Path) -> gdal::errors::Result<()>,
) -> Result<(), Error> {
    let beside = Beside::new(path)?;
    build(&beside.file).map_err(|e| beside.gdal(e))?;
    beside.persist()
}

fn geometry_type(kind: GeometryKind) -> OGRwkbGeometryType::Type {
    match kind {
        GeometryKind::Point => OGRwkbGeometryType::wkbPoint,
        GeometryKind::Polygon => OGRwkbGeometryType::wkbPolygon,
        GeometryKind::MultiPolygon => OGRwkbGeometryType::wkbMultiPolygon,
        GeometryKind::Unknown => OGRwkbGeometryType::wkbUnknown,
    }
}

fn ogr_type(kind: FieldType) -> OGRFieldType::Type {
    match kind {
        FieldType::Integer => OGRFieldType::OFTInteger64,
        // a boolean is a 32-bit integer with the boolean subtype in OGR
        FieldType::Boolean => OGRFieldType::OFTInteger,
        FieldType::Real => OGRFieldType::OFTReal,
        FieldType::Text => OGRFieldType::OFTString,
    }
}

/// Adds a field of OGR's boolean subtype (a `BOOLEAN` column in a
/// GeoPackage, a check box in QGIS); the `gdal` crate has no call for it.
fn create_boolean_field(layer: &impl LayerAccess, name: &str) -> gdal::errors::Result<()> {
    let c_name = std::ffi::CString::new(name)?;
    // SAFETY: the field definition is created, used and destroyed here; the
    // layer handle is valid for the borrow of `layer`. OGR_L_CreateField copies
    // the definition.
    let err = unsafe {
        let defn = gdal_sys::OGR_Fld_Create(c_name.as_ptr(), OGRFieldType::OFTInteger);
        if defn.is_null() {
            return Err(gdal::errors::GdalError::NullPointer {
                method_name: "OGR_Fld_Create",
                msg: String::new(),
            });
        }
        gdal_sys::OGR_Fld_SetSubType(defn, gdal_sys::OGRFieldSubType::OFSTBoolean);
        let err = gdal_sys::OGR_L_CreateField(layer.c_layer(), defn, 1);
        gdal_sys::OGR_Fld_Destroy(defn);
        err
    };
    if err != gdal_sys::OGRErr::OGRERR_NONE {
        return Err(gdal::errors::GdalError::OgrError {
            err,
            method_name: "OGR_L_CreateField",
        });
    }
    Ok(())
}

/// Adds the fields to an OGR layer, booleans of OGR's boolean subtype.
fn add_fields(out: &impl LayerAccess, fields: &[crate::layer::Field]) -> gdal::errors::Result<()> {
    for f in fields {
        if f.kind == FieldType::Boolean {
            create_boolean_field(out, &f.name)?;
        } else {
            FieldDefn::new(&f.name, ogr_type(f.kind))?.add_to_layer(out)?;
        }
    }
    Ok(())
}

/// The time a GeoPackage records as its contents' last change: the
/// reproducible-builds `SOURCE_DATE_EPOCH` when set, else the Unix epoch, so
/// that the same layers always give the same bytes.
fn content_date() -> String {
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or(0);
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// Writes the layers into one GeoPackage, each in its own CRS:
/// [`GpkgSink`] given each layer whole.
pub fn write_gpkg(layers: &[&Layer], path: &Path) -> Result<(), Error> {
    write_layers(Box::new(GpkgSink::create(path)?), layers)
}

/// Writes one layer into the GeoPackage at `path`: a new file when there is
/// none; else the file's other layers (and their styles) are kept and only
/// a layer of the same name is replaced — as an analyst who keeps several
/// layers in one GeoPackage expects. Atomic either way: the file is updated
/// in a copy renamed into place.
pub fn write_gpkg_layer(layer: &Layer, path: &Path) -> Result<(), Error> {
    write_layers(Box::new(GpkgSink::open(path)?), &[layer])
}

/// A [`LayerSink`] writing any number of layers into one GeoPackage, each
/// in its own CRS and in one transaction, features added as they come. The
/// file is built under a temporary name beside `path` and renamed into
/// place by `end`, once GDAL has closed it.
pub struct GpkgSink {
    // Fields drop in this order: GDAL closes the file before its temporary
    // directory is removed.
    ds: Dataset,
    /// The layer being written (its index in `ds`), its transaction open.
    layer: Option<usize>,
    /// The layers written, for their styles.
    names: Vec<String>,
    beside: Beside,
}

impl GpkgSink {
    /// Creates the GeoPackage under its temporary name.
    pub fn create(path: &Path) -> Result<Self, Error> {
        let beside = Beside::new(path)?;
        let ds = create_gpkg(&beside.file).map_err(|e| beside.gdal(e))?;
        Ok(GpkgSink {
            ds,
            layer: None,
            names: Vec::new(),
            beside,
        })
    }

    /// Opens the GeoPackage at `path` to add layers to: a new file when there
    /// is none; else a copy of it, whose other layers (and their styles) are
    /// kept, while a layer of the same name as one begun is replaced. The
    /// copy is renamed into place by `end`.
    pub fn open(path: &Path) -> Result<Self, Error> {
        if !path.exists() {
            return Self::create(path);
        }
        let name = path.display().to_string();
        let beside = Beside::new(path)?;
        std::fs::copy(path, &beside.file).map_err(|e| Error::io(path, e))?;
        gdal::config::set_config_option("OGR_CURRENT_DATE", &content_date())
            .map_err(|e| beside.gdal(e))?;
        let ds = gdal::Dataset::open_ex(
            &beside.file,
            gdal::DatasetOptions {
                open_flags: gdal::GdalOpenFlags::GDAL_OF_VECTOR
                    | gdal::GdalOpenFlags::GDAL_OF_UPDATE,
                allowed_drivers: Some(&["GPKG"]),
                ..Default::default()
            },
        )
        .map_err(|_| {
            Problem::file(
                &name,
                "exists and is not a GeoPackage: expected a GeoPackage to add the layer to (or remove the file)",
            )
        })?;
        Ok(GpkgSink {
            ds,
            layer: None,
            names: Vec::new(),
            beside,
        })
    }

    /// Deletes the dataset's layer named `name`, if it has one.
    fn delete_layer(&self, name: &str) -> gdal::errors::Result<()> {
        // SQLite's table names, and so GeoPackage layers, ignore case
        let Some(k) = self
            .ds
            .layers()
            .position(|l| l.name().eq_ignore_ascii_case(name))
        else {
            return Ok(());
        };
        // SAFETY: the handle is valid while `ds` lives; the index is one of its layers.
        let err = unsafe { gdal_sys::GDALDatasetDeleteLayer(self.ds.c_dataset(), k as i32) };
        if err != gdal_sys::OGRErr::OGRERR_NONE {
            return Err(GdalError::OgrError {
                err,
                method_name: "GDALDatasetDeleteLayer",
            });
        }
        Ok(())
    }

    /// Commits the open layer's transaction, if any.
    fn end_layer(&mut self) -> gdal::errors::Result<()> {
        match self.layer.take() {
            Some(_) => transaction(&self.ds, Transaction::Commit),
            None => Ok(()),
        }
    }

    fn begin_layer(&mut self, schema: &LayerSchema<'_>) -> gdal::errors::Result<()> {
        self.end_layer()?;
        self.delete_layer(schema.name)?;
        let srs = SpatialRef::from_epsg(schema.epsg.code())?;
        transaction(&self.ds, Transaction::Start)?;
        let out = self.ds.create_layer(LayerOptions {
            name: schema.name,
            srs: Some(&srs),
            ty: geometry_type(schema.geometry),
            // the index is bulk-loaded once the file is closed (`end`)
            options: Some(&["SPATIAL_INDEX=NO"]),
        })?;
        add_fields(&out, schema.fields)?;
        self.layer = Some(self.ds.layer_count() - 1);
        self.names.push(schema.name.to_string());
        Ok(())
    }

    /// QGIS's `layer_styles` table with each layer's QML and SLD as its
    /// default style, registered in `gpkg_contents` (so QGIS draws every
    /// layer classed when the file is dragged in). Dated [`content_date`].
    fn write_styles(&self) -> gdal::errors::Result<()> {
        let styled: Vec<(&String, String, String)> = self
            .names
            .iter()
            .filter_map(|n| {
                Some((
                    n,
                    crate::styles::qml_style(n)?,
                    crate::styles::sld_style(n)?,
                ))
            })
            .collect();
        if styled.is_empty() {
            return Ok(());
        }
        let q = crate::gpkg_rtree::text;
        let date = q(&content_date());
        let mut sql = vec![
            "CREATE TABLE IF NOT EXISTS layer_styles (id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), f_table_schema TEXT(256), f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT, useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30), update_time DATETIME)".to_string(),
            format!("INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change) SELECT 'layer_styles', 'attributes', 'layer_styles', 'QGIS styles of the layers', {date} WHERE NOT EXISTS (SELECT 1 FROM gpkg_contents WHERE table_name = 'layer_styles')"),
        ];
        for (name, qml, sld) in styled {
            // a layer written again replaces its style too
            sql.push(format!(
                "DELETE FROM layer_styles WHERE f_table_name = {}",
                q(name)
            ));
            sql.push(format!(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, owner, ui, update_time) VALUES ('', '', {}, 'geom', {}, {}, {}, 1, 'stratmap', '', NULL, {date})",
                q(name),
                q(name),
                q(&qml),
                q(&sld)
            ));
        }
        for statement in sql {
            self.ds
                .execute_sql(statement, None, gdal::vector::sql::Dialect::DEFAULT)?;
        }
        Ok(())
    }

    fn add(&self, index: usize, batch: &[crate::layer::Feature]) -> gdal::errors::Result<()> {
        let out = self.ds.layer(index)?;
        for f in batch {
            let mut feature = Feature::new(out.defn())?;
            set_values(&mut feature, &f.values)?;
            feature.set_geometry(f.geometry.to_gdal()?)?;
            feature.create(&out)?;
        }
        Ok(())
    }
}

impl LayerSink for GpkgSink {
    fn begin(&mut self, schema: &LayerSchema<'_>) -> Result<(), Error> {
        if self
            .names
            .iter()
            .any(|n| n.eq_ignore_ascii_case(schema.name))
        {
            return Err(out_of_order(
                &self.beside.path,
                "a GeoPackage layer given twice (names ignore case)",
            ));
        }
        self.begin_layer(schema).map_err(|e| self.beside.gdal(e))
    }

    fn feature(&mut self, feature: &crate::layer::Feature) -> Result<(), Error> {
        self.features(std::slice::from_ref(feature))
    }

    fn features(&mut self, batch: &[crate::layer::Feature]) -> Result<(), Error> {
        let Some(index) = self.layer else {
            return Err(out_of_order(
                &self.beside.path,
                "a GeoPackage feature before its layer began",
            ));
        };
        self.add(index, batch).map_err(|e| self.beside.gdal(e))
    }

    fn end(mut self: Box<Self>) -> Result<(), Error> {
        self.end_layer().map_err(|e| self.beside.gdal(e))?;
        self.write_styles().map_err(|e| self.beside.gdal(e))?;
        let GpkgSink {
            ds, beside, names, ..
        } = *self;
        ds.close().map_err(|e| beside.gdal(e))?;
        index_layers(&beside.file, &names).map_err(|message| Error::Gdal {
            path: beside.path.clone(),
            message: format!("the spatial index: {message}"),
        })?;
        beside.persist()
    }
}

/// Makes each written layer's spatial index in the closed GeoPackage
/// `file`, as GDAL makes it but bulk-loaded ([`crate::gpkg_rtree`]), in
/// one transaction.
fn index_layers(file: &Path, names: &[String]) -> Result<(), String> {
    let mut db = rusqlite::Connection::open(file).map_err(|e| e.to_string())?;
    let tx = db.transaction().map_err(|e| e.to_string())?;
    for name in names {
        crate::gpkg_rtree::create_spatial_index(&tx, name)?;
    }
    tx.commit().map_err(|e| e.to_string())
}

/// An empty GeoPackage at `file`, dated [`content_date`].
fn create_gpkg(file: &Path) -> gdal::errors::Result<Dataset> {
    gdal::config::set_config_option("OGR_CURRENT_DATE", &content_date())?;
    DriverManager::get_driver_by_name("GPKG")?.create_vector_only(file)
}

/// What to do with a dataset's transaction.
#[derive(Clone, Copy)]
enum Transaction {
    Start,
    Commit,
}

/// Starts (forced, as `Dataset::start_transaction` does: GeoPackage has
/// real transactions) or commits the dataset's transaction; the `gdal`
/// crate's own guard borrows the dataset for its lifetime, which a sink
/// that holds the dataset cannot keep between calls.
fn transaction(ds: &Dataset, what: Transaction) -> gdal::errors::Result<()> {
    // SAFETY: the handle is valid while `ds` is borrowed, and neither call
    // keeps it.
    let (err, method_name) = unsafe {
        match what {
            Transaction::Start => (
                gdal_sys::GDALDatasetStartTransaction(ds.c_dataset(), 1),
                "GDALDatasetStartTransaction",
            ),
            Transaction::Commit => (
                gdal_sys::GDALDatasetCommitTransaction(ds.c_dataset()),
                "GDALDatasetCommitTransaction",
            ),
        }
    };
    if err != gdal_sys::OGRErr::OGRERR_NONE {
        return Err(GdalError::OgrError { err, method_name });
    }
    Ok(())
}

/// Sets a feature's fields from `values`, in the layer's field order.
fn set_values(feature: &mut Feature, values: &[Value]) -> gdal::errors::Result<()> {
    for (i, v) in values.iter().enumerate() {
        match v {
            Value::Null => feature.set_field_null(i)?,
            Value::Integer(n) => feature.set_field_integer64(i, *n)?,
            Value::Real(x) => feature.set_field_double(i, *x + 0.0)?,
            Value::Text(s) => feature.set_field_string(i, s)?,
            Value::Boolean(b) => feature.set_field_integer(i, i32::from(*b))?,
        }
    }
    Ok(())
}

/// A [`LayerSink`] writing a grid layer (features that are the equal,
/// aligned squares of one grid) as a GeoTIFF, one pixel a cell, through
/// [`write_geotiff`]: one Float32 band per numeric field of
/// [`raster_bands`] (for the `living_conditions` layer, SPEC §5's index
/// and class) with [`INDEX_NODATA`](crate::layers::INDEX_NODATA) where
/// there is no value, and a `class` band beside it as a paletted Byte
/// raster. Only each cell's position and band values are kept until `end`
/// lays them out; nothing is written before.
pub struct GeoTiffSink {
    path: PathBuf,
    builder: Option<RasterBuilder>,
}

impl GeoTiffSink {
    /// A sink that will write `path` (and `<stem>_class.tif` beside it for
    /// a class band).
    pub fn new(path: &Path) -> Self {
        GeoTiffSink {
            path: path.to_path_buf(),
            builder: None,
        }
    }

    /// Lays out the cells and writes the file: what `end` does, giving the
    /// raster written.
    fn write(mut self) -> Result<Raster, Error> {
        let Some(builder) = self.builder.take() else {
            return Err(out_of_order(
                &self.path,
                "a GeoTIFF file ended before its layer began",
            ));
        };
        let raster = builder.finish().map_err(|e| refused(&self.path, e))?;
        write_geotiff(&raster, &self.path)?;
        Ok(raster)
    }
}

/// A layer the GeoTIFF at `path` cannot hold: an input error naming the file.
fn refused(path: &Path, e: RasterError) -> Error {
    Error::Input(vec![Problem::file(
        &path.display().to_string(),
        e.to_string(),
    )])
}

impl LayerSink for GeoTiffSink {
    fn begin(&mut self, schema: &LayerSchema<'_>) -> Result<(), Error> {
        if self.builder.is_some() {
            return Err(out_of_order(&self.path, "a GeoTIFF file holds one layer"));
        }
        let bands = raster_bands(schema);
        let builder = RasterBuilder::new(schema, &bands, crate::layers::INDEX_NODATA)
            .map_err(|e| refused(&self.path, e))?;
        self.builder = Some(builder);
        Ok(())
    }

    fn feature(&mut self, feature: &crate::layer::Feature) -> Result<(), Error> {
        let Some(builder) = self.builder.as_mut() else {
            return Err(out_of_order(
                &self.path,
                "a GeoTIFF cell before its layer began",
            ));
        };
        builder.feature(feature).map_err(|e| refused(&self.path, e))
    }

    fn end(self: Box<Self>) -> Result<(), Error> {
        self.write().map(|_| ())
    }
}

/// Writes a grid layer as a GeoTIFF through [`GeoTiffSink`], giving the
/// raster written (its size and bands, for a summary).
pub fn write_layer_geotiff(layer: &Layer, path: &Path) -> Result<Raster, Error> {
    let mut sink = GeoTiffSink::new(path);
    sink.begin(&layer.schema())?;
    sink.features(&layer.features)?;
    sink.write()
}

/// Writes a Float32 GeoTIFF of the raster's bands (named in their
/// descriptions), with nodata set, but a band named `class`: that one is
/// written beside it as `<stem>_class.tif` ([`class_path`]), a Byte band
/// with a colour table and a raster attribute table (value, class, colour),
/// so that GIS tools open it paletted, classed green → red. GeoTIFF holds one
/// data type per file, so the two cannot share one.
pub fn write_geotiff(raster: &Raster, path: &Path) -> Result<(), Error> {
    // every band named `class` is left out of the Float32 file; the first
    // is the class file
    let class = raster.band_named("class");
    let values: Vec<(usize, &String)> = raster
        .band_names
        .iter()
        .enumerate()
        .filter(|(_, name)| *name != "class")
        .collect();
    let geo = [
        raster.origin.0,
        raster.cell_size,
        0.0,
        raster.origin.1,
        0.0,
        -raster.cell_size,
    ];
    atomically(path, |file| {
        let driver = DriverManager::get_driver_by_name("GTiff")?;
        // Tiled and DEFLATE-compressed: a national grid is mostly nodata.
        let options: RasterCreationOptions = [
            "TILED=YES",
            "COMPRESS=DEFLATE",
            "PREDICTOR=3",
            "NUM_THREADS=ALL_CPUS",
        ]
        .into_iter()
        .collect();
        let mut ds = driver.create_with_band_type_with_options::<f32, _>(
            file,
            raster.width,
            raster.height,
            values.len(),
            &options,
        )?;
        ds.set_geo_transform(&geo)?;
        ds.set_spatial_ref(&SpatialRef::from_epsg(raster.epsg.code())?)?;
        for (k, &(b, name)) in values.iter().enumerate() {
            let mut band = ds.rasterband(k + 1)?;
            band.set_no_data_value(Some(raster.nodata))?;
            band.set_description(name)?;
            write_strips(&mut band, raster.width, raster.height, |rows| {
                raster.band_rows(b, rows)
            })?;
        }
        Ok(())
    })?;
    if let Some(class) = class {
        atomically(&class_path(path), |file| {
            let driver = DriverManager::get_driver_by_name("GTiff")?;
            let options: RasterCreationOptions =
                ["TILED=YES", "COMPRESS=DEFLATE"].into_iter().collect();
            let mut ds = driver.create_with_band_type_with_options::<u8, _>(
                file,
                raster.width,
                raster.height,
                1,
                &options,
            )?;
            ds.set_geo_transform(&geo)?;
            ds.set_spatial_ref(&SpatialRef::from_epsg(raster.epsg.code())?)?;
            let mut band = ds.rasterband(1)?;
            band.set_no_data_value(Some(0.0))?;
            band.set_description("class")?;
            let mut table =
                gdal::raster::ColorTable::new(gdal::raster::PaletteInterpretation::Rgba);
            table.set_color_entry(0, &gdal::raster::ColorEntry::rgba(0, 0, 0, 0));
            for (v, [r, g, b], _) in crate::styles::class_colors() {
                table.set_color_entry(
                    u16::from(v),
                    &gdal::raster::ColorEntry::rgba(i16::from(r), i16::from(g), i16::from(b), 255),
                );
            }
            band.set_color_table(&table);
            set_class_rat(&band)?;
            write_strips(&mut band, raster.width, raster.height, |rows| {
                raster
                    .band_rows(class, rows)
                    .iter()
                    .map(|v| if (1.0..=5.0).contains(v) { *v as u8 } else { 0 })
                    .collect()
            })?;
            Ok(())
        })?;
        let style = class_path(path).with_extension("qml");
        crate::atomic::write_atomic(&style, |w| {
            w.write_all(crate::styles::class_raster_qml().as_bytes())
        })?;
    }
    Ok(())
}

/// Rows of a band handed to GDAL at once: the height of a GeoTIFF tile.
const STRIP: usize = 256;

/// Writes a `width` × `height` band [`STRIP`] rows at a time, each strip's
/// values made by `strip` for its rows: no whole band is made (a national
/// grid's band is 65 MB). The file's bytes are those of one write of the
/// whole band.
fn write_strips<T: gdal::raster::GdalType + Copy>(
    band: &mut gdal::raster::RasterBand,
    width: usize,
    height: usize,
    strip: impl Fn(std::ops::Range<usize>) -> Vec<T>,
) -> gdal::errors::Result<()> {
    for y in (0..height).step_by(STRIP) {
        let rows = STRIP.min(height - y);
        let mut buf = Buffer::new((width, rows), strip(y..y + rows));
        band.write((0, y as isize), (width, rows), &mut buf)?;
    }
    Ok(())
}

/// Where [`write_geotiff`] writes the class band: `x.tif` → `x_class.tif`.
pub fn class_path(path: &Path) -> std::path::PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!("{stem}_class.tif"))
}

/// The class band's raster attribute table: value, class name and colour.
fn set_class_rat(band: &gdal::raster::RasterBand) -> gdal::errors::Result<()> {
    use gdal_sys::{GDALRATFieldType, GDALRATFieldUsage};
    let fail = |method_name| GdalError::NullPointer {
        method_name,
        msg: "cannot make the raster attribute table".into(),
    };
    let columns = [
        (
            "value",
            GDALRATFieldType::GFT_Integer,
            GDALRATFieldUsage::GFU_MinMax,
        ),
        (
            "class",
            GDALRATFieldType::GFT_String,
            GDALRATFieldUsage::GFU_Name,
        ),
        (
            "red",
            GDALRATFieldType::GFT_Integer,
            GDALRATFieldUsage::GFU_Red,
        ),
        (
            "green",
            GDALRATFieldType::GFT_Integer,
            GDALRATFieldUsage::GFU_Green,
        ),
        (
            "blue",
            GDALRATFieldType::GFT_Integer,
            GDALRATFieldUsage::GFU_Blue,
        ),
    ];
    // SAFETY: the table is created, filled and handed to the band (which
    // copies it) here, then destroyed; every string outlives its call.
    unsafe {
        let rat = gdal_sys::GDALCreateRasterAttributeTable();
        if rat.is_null() {
            return Err(fail("GDALCreateRasterAttributeTable"));
        }
        for (name, kind, usage) in columns {
            let c = std::ffi::CString::new(name).map_err(GdalError::from)?;
            gdal_sys::GDALRATCreateColumn(rat, c.as_ptr(), kind, usage);
        }
        for (row, (v, [r, g, b], label)) in crate::styles::class_colors().into_iter().enumerate() {
            let row = row as i32;
            let text = std::ffi::CString::new(label).map_err(GdalError::from)?;
            gdal_sys::GDALRATSetValueAsInt(rat, row, 0, i32::from(v));
            gdal_sys::GDALRATSetValueAsString(rat, row, 1, text.as_ptr());
            gdal_sys::GDALRATSetValueAsInt(rat, row, 2, i32::from(r));
            gdal_sys::GDALRATSetValueAsInt(rat, row, 3, i32::from(g));
            gdal_sys::GDALRATSetValueAsInt(rat, row, 4, i32::from(b));
        }
        let err = gdal_sys::GDALSetDefaultRAT(band.c_rasterband(), rat);
        gdal_sys::GDALDestroyRasterAttributeTable(rat);
        if err != gdal_sys::CPLErr::CE_None {
            return Err(fail("GDALSetDefaultRAT"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layer::test_points as layer;

    /// A raster of several strips and a short last one reads back pixel for
    /// pixel, both the values and the class band beside them.
    #[test]
    fn bands_written_in_strips_read_back_whole() {
        let (width, height) = (37, 2 * STRIP + 3);
        let value = |i: usize| {
            if i % 7 == 0 {
                -9999.0
            } else {
                (i % 1000) as f32 / 8.0
            }
        };
        let class = |i: usize| ((i / width + i) % 6) as f32;
        let index: Vec<f32> = (0..width * height).map(value).collect();
        let classes: Vec<f32> = (0..width * height).map(class).collect();
        let raster = Raster::from_bands(
            "lc",
            stratmap_core::Epsg::SWEREF99_TM,
            (500_000.0, 6_600_000.0),
            250.0,
            (width, height),
            vec![
                ("index".into(), index.clone()),
                ("class".into(), classes.clone()),
            ],
            -9999.0,
        );
        assert_eq!(
            (raster.band(0), raster.band(1)),
            (index.clone(), classes.clone())
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lc.tif");
        write_geotiff(&raster, &path).unwrap();
        let ds = gdal::Dataset::open(&path).unwrap();
        let read = ds.rasterband(1).unwrap().read_band_as::<f32>().unwrap();
        assert_eq!(read.shape(), (width, height));
        assert_eq!(read.data(), &index[..]);
        let ds = gdal::Dataset::open(class_path(&path)).unwrap();
        let read = ds.rasterband(1).unwrap().read_band_as::<u8>().unwrap();
        let want: Vec<u8> = classes
            .iter()
            .map(|&c| if (1.0..=5.0).contains(&c) { c as u8 } else { 0 })
            .collect();
        assert_eq!(read.data(), &want[..]);
    }

    #[test]
    fn a_layer_written_again_replaces_its_namesake_whatever_the_case() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.gpkg");
        write_gpkg(&[&layer("Towers", 3), &layer("other", 1)], &path).unwrap();
        write_gpkg_layer(&layer("towers", 5), &path).unwrap();
        let ds = gdal::Dataset::open(&path).unwrap();
        let mut names: Vec<(String, u64)> =
            ds.layers().map(|l| (l.name(), l.feature_count())).collect();
        names.sort();
        assert_eq!(names, [("other".to_string(), 1), ("towers".to_string(), 5)]);
        // one sink given one name twice refuses the second
        let e = write_gpkg(
            &[&layer("a", 1), &layer("A", 1)],
            &dir.path().join("y.gpkg"),
        );
        assert!(e.is_err());
        assert!(!dir.path().join("y.gpkg").exists());
    }

    #[test]
    fn streamed_features_make_the_same_geopackage() {
        let (a, b) = (layer("a", 5), layer("b", 3));
        let dir = tempfile::tempdir().unwrap();
        let whole = dir.path().join("whole.gpkg");
        write_gpkg(&[&a, &b], &whole).unwrap();
        let streamed = dir.path().join("streamed.gpkg");
        let mut sink = Box::new(GpkgSink::create(&streamed).unwrap());
        for l in [&a, &b] {
            sink.begin(&l.schema()).unwrap();
            for f in &l.features {
                sink.feature(f).unwrap();
            }
        }
        assert!(!streamed.exists());
        sink.end().unwrap();
        assert!(std::fs::read(&whole).unwrap() == std::fs::read(&streamed).unwrap());
    }

    #[test]
    fn a_dropped_geopackage_sink_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.gpkg");
        let mut sink = Box::new(GpkgSink::create(&path).unwrap());
        let l = layer("a", 2);
        assert!(sink.feature(&l.features[0]).is_err());
        sink.begin(&l.schema()).unwrap();
        sink.features(&l.features).unwrap();
        drop(sink);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    /// A layer of `n` polygons (squares, triangles with fractional
    /// corners, multipolygons) in SWEREF 99 TM.
    fn polygons(name: &str, n: usize) -> Layer {
        use geo::{polygon, MultiPolygon};
        let features = (0..n)
            .map(|k| {
                let (x, y) = (
                    270_000.0 + (k * 7919 % 650_000) as f64 + 0.3,
                    6_130_000.0 + (k * 104_729 % 1_540_000) as f64 + 0.7,
                );
                let square = polygon![(x: x, y: y), (x: x + 250.0, y: y), (x: x + 250.0, y: y + 250.0), (x: x, y: y + 250.0)];
                let geometry = match k % 3 {
                    1 => MultiPolygon(vec![square]).into(),
                    2 => MultiPolygon(vec![polygon![(x: x, y: y), (x: x + 1.1, y: y), (x: x, y: y + 0.9)]]).into(),
                    _ => MultiPolygon(vec![
                        square,
                        polygon![(x: x + 900.0, y: y), (x: x + 990.5, y: y), (x: x + 900.0, y: y + 90.5)],
                    ])
                    .into(),
                };
                crate::layer::Feature {
                    id: Value::Integer(k as i64),
                    geometry,
                    values: vec![Value::Integer(k as i64)],
                }
            })
            .collect();
        Layer {
            name: name.into(),
            epsg: crate::Epsg::SWEREF99_TM,
            fields: vec![crate::layer::Field {
                name: "n".into(),
                kind: FieldType::Integer,
            }],
            features,
        }
    }

    #[test]
    fn the_bulk_loaded_spatial_index_holds_what_gdals_own_index_holds() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.gpkg");
        let (areas, towers) = (polygons("Areas", 3000), layer("towers", 200));
        write_gpkg(&[&areas, &layer("empty", 0)], &path).unwrap();
        // added to an existing file beside its other layers
        write_gpkg_layer(&towers, &path).unwrap();
        // the same file with the index GDAL itself makes
        let theirs = dir.path().join("gdal.gpkg");
        std::fs::copy(&path, &theirs).unwrap();
        {
            let ds = gdal::Dataset::open_ex(
                &theirs,
                gdal::DatasetOptions {
                    open_flags: gdal::GdalOpenFlags::GDAL_OF_VECTOR
                        | gdal::GdalOpenFlags::GDAL_OF_UPDATE,
                    ..Default::default()
                },
            )
            .unwrap();
            for t in ["Areas", "empty", "towers"] {
                for f in ["DisableSpatialIndex", "CreateSpatialIndex"] {
                    ds.execute_sql(
                        format!("SELECT {f}('{t}', 'geom')"),
                        None,
                        gdal::vector::sql::Dialect::DEFAULT,
                    )
                    .unwrap();
                }
            }
        }
        let rows = |file: &Path, t: &str| -> Vec<(i64, f64, f64, f64, f64)> {
            let db = rusqlite::Connection::open(file).unwrap();
            let check: String = db
                .query_row(&format!("SELECT rtreecheck('rtree_{t}_geom')"), [], |r| {
                    r.get(0)
                })
                .unwrap();
            assert_eq!(check, "ok", "{t}");
            let mut s = db
                .prepare(&format!(
                    "SELECT id, minx, maxx, miny, maxy FROM rtree_{t}_geom ORDER BY id"
                ))
                .unwrap();
            let rows = s
                .query_map([], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })
                .unwrap()
                .map(Result::unwrap)
                .collect();
            rows
        };
        for (t, n) in [("Areas", 3000), ("empty", 0), ("towers", 200)] {
            let ours = rows(&path, t);
            assert_eq!(ours.len(), n, "{t}");
            assert_eq!(ours, rows(&theirs, t), "{t}");
        }
        // GDAL finds the index and filters by it
        let ds = gdal::Dataset::open(&path).unwrap();
        let mut sql = ds
            .execute_sql(
                "SELECT HasSpatialIndex('Areas', 'geom')",
                None,
                gdal::vector::sql::Dialect::DEFAULT,
            )
            .unwrap()
            .unwrap();
        let has = sql.features().next().unwrap().field_as_integer(0).unwrap();
        assert_eq!(has, Some(1));
    }
}
