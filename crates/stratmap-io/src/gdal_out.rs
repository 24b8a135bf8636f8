//! GeoPackage (every layer, in the grid CRS) and GeoTIFF (the index raster)
//! through GDAL. Each file is built under a temporary name in the destination
//! directory and renamed into place when GDAL has closed it.

use crate::atomic::parent_dir;
use crate::layer::{FieldType, Layer, Raster, Value};
use crate::Error;
use gdal::raster::{Buffer, RasterCreationOptions};
use gdal::spatial_ref::SpatialRef;
use gdal::vector::{
    Feature, FieldDefn, LayerAccess, LayerOptions, OGRFieldType, OGRwkbGeometryType, ToGdal,
};
use gdal::{DriverManager, Metadata};
use std::path::Path;

/// Builds `path` with `build` at a temporary path beside it, then renames it
/// into place.
fn atomically(
    path: &Path,
    build: impl FnOnce(&Path) -> gdal::errors::Result<()>,
) -> Result<(), Error> {
    let dir = parent_dir(path)?;
    // listed while it lives, so that SIGINT or SIGTERM removes it
    let mut held = crate::atomic::LiveTemp::default();
    let tmp = tempfile::Builder::new()
        .prefix(".stratmap-")
        .tempdir_in(dir)
        .map_err(|e| Error::io(path, e))?;
    held.hold(tmp.path());
    let file = tmp
        .path()
        .join(path.file_name().unwrap_or(std::ffi::OsStr::new("out")));
    build(&file).map_err(|e| Error::Gdal {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    held.finish(|| {
        let renamed = std::fs::rename(&file, path);
        // the directory goes with the rename, under the same lock
        let _ = tmp.close();
        renamed
    })
    .map_err(|e| Error::io(path, e))
}

fn geometry_type(layer: &Layer) -> OGRwkbGeometryType::Type {
    match layer.features.first().map(|f| &f.geometry) {
        Some(geo::Geometry::Point(_)) => OGRwkbGeometryType::wkbPoint,
        Some(geo::Geometry::Polygon(_)) => OGRwkbGeometryType::wkbPolygon,
        Some(geo::Geometry::MultiPolygon(_)) => OGRwkbGeometryType::wkbMultiPolygon,
        _ => OGRwkbGeometryType::wkbUnknown,
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

/// Writes the layers into one GeoPackage, each in its own CRS.
pub fn write_gpkg(layers: &[&Layer], path: &Path) -> Result<(), Error> {
    atomically(path, |file| {
        gdal::config::set_config_option("OGR_CURRENT_DATE", &content_date())?;
        let mut ds = DriverManager::get_driver_by_name("GPKG")?.create_vector_only(file)?;
        for layer in layers {
            let srs = SpatialRef::from_epsg(layer.epsg.code())?;
            let mut txn = ds.start_transaction()?;
            {
                let out = txn.create_layer(LayerOptions {
                    name: &layer.name,
                    srs: Some(&srs),
                    ty: geometry_type(layer),
                    options: None,
                })?;
                for f in &layer.fields {
                    if f.kind == FieldType::Boolean {
                        create_boolean_field(&out, &f.name)?;
                    } else {
                        FieldDefn::new(&f.name, ogr_type(f.kind))?.add_to_layer(&out)?;
                    }
                }
                for f in &layer.features {
                    let mut feature = Feature::new(out.defn())?;
                    for (i, v) in f.values.iter().enumerate() {
                        match v {
                            Value::Null => feature.set_field_null(i)?,
                            Value::Integer(n) => feature.set_field_integer64(i, *n)?,
                            Value::Real(x) => feature.set_field_double(i, *x + 0.0)?,
                            Value::Text(s) => feature.set_field_string(i, s)?,
                            Value::Boolean(b) => feature.set_field_integer(i, i32::from(*b))?,
                        }
                    }
                    feature.set_geometry(f.geometry.to_gdal()?)?;
                    feature.create(&out)?;
                }
            }
            txn.commit()?;
        }
        Ok(())
    })
}

/// Writes a Float32 GeoTIFF, one band per raster band (named in its
/// description), with nodata set.
pub fn write_geotiff(raster: &Raster, path: &Path) -> Result<(), Error> {
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
            raster.bands.len(),
            &options,
        )?;
        ds.set_geo_transform(&[
            raster.origin.0,
            raster.cell_size,
            0.0,
            raster.origin.1,
            0.0,
            -raster.cell_size,
        ])?;
        ds.set_spatial_ref(&SpatialRef::from_epsg(raster.epsg.code())?)?;
        for (k, (name, data)) in raster.bands.iter().enumerate() {
            let mut band = ds.rasterband(k + 1)?;
            band.set_no_data_value(Some(raster.nodata))?;
            band.set_description(name)?;
            let values: Vec<f32> = data.iter().map(|v| *v as f32).collect();
            let mut buf = Buffer::new((raster.width, raster.height), values);
            band.write((0, 0), (raster.width, raster.height), &mut buf)?;
        }
        Ok(())
    })
}
