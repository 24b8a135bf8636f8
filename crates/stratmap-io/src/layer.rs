//! A format-neutral layer: named, typed fields and features with geometry in a
//! projected CRS. Built once from the results, then written as GeoJSON (in
//! WGS 84) or GeoPackage (in the grid CRS).

use stratmap_core::grid::Epsg;

/// The type of a field, as GIS formats know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// A 64-bit integer.
    Integer,
    /// A double.
    Real,
    /// UTF-8 text.
    Text,
    /// True or false (GeoPackage: an integer of subtype boolean).
    Boolean,
}

/// One attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// No value (JSON `null`, an empty CSV field).
    Null,
    /// An integer.
    Integer(i64),
    /// A real number (written in its shortest exact form).
    Real(f64),
    /// Text.
    Text(String),
    /// True or false.
    Boolean(bool),
}

impl From<Option<f64>> for Value {
    fn from(v: Option<f64>) -> Self {
        v.map_or(Value::Null, Value::Real)
    }
}

impl Value {
    /// A count as an integer when it is whole (as counts are), else real.
    pub fn count(v: Option<f64>) -> Value {
        match v {
            Some(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => Value::Integer(x as i64),
            other => other.into(),
        }
    }
}

/// A field of a layer: its name and type.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// As SPEC §5 names it.
    pub name: String,
    /// Its type.
    pub kind: FieldType,
}

/// One feature: an id, a geometry and a value per field.
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    /// The feature id (also written as a property).
    pub id: Value,
    /// In the layer's CRS.
    pub geometry: geo::Geometry<f64>,
    /// One value per field.
    pub values: Vec<Value>,
}

/// A layer: named, typed fields and features in one projected CRS.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// Layer name, also the file stem (`living_conditions`).
    pub name: String,
    /// EPSG code of the geometries.
    pub epsg: Epsg,
    /// The fields, in SPEC §5 order.
    pub fields: Vec<Field>,
    /// Sorted by id.
    pub features: Vec<Feature>,
}

/// A raster in a projected CRS, north up, of one or more named bands.
#[derive(Debug, Clone, PartialEq)]
pub struct Raster {
    /// Raster name, also the file stem (`living_conditions`).
    pub name: String,
    /// EPSG code of the grid.
    pub epsg: Epsg,
    /// Upper-left corner, metres.
    pub origin: (f64, f64),
    /// Pixel size in metres (a grid cell).
    pub cell_size: f64,
    /// Pixels per row.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Each band's name and values: row-major, the top row first; `nodata`
    /// where there is no value.
    pub bands: Vec<(String, Vec<f64>)>,
    /// The value of a pixel without a value.
    pub nodata: f64,
}
