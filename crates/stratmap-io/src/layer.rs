//! A format-neutral layer: named, typed fields and features with geometry in a
//! projected CRS. Built once from the results, then written as GeoJSON (in
//! WGS 84) or GeoPackage (in the grid CRS).

/// The type of a field, as GIS formats know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    Integer,
    Real,
    Text,
    Boolean,
}

/// One attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
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

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub kind: FieldType,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    /// The feature id (also written as a property).
    pub id: Value,
    /// In the layer's CRS.
    pub geometry: geo::Geometry<f64>,
    /// One value per field.
    pub values: Vec<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    /// Layer name, also the file stem (`living_conditions`).
    pub name: String,
    /// EPSG code of the geometries.
    pub epsg: u32,
    pub fields: Vec<Field>,
    /// Sorted by id.
    pub features: Vec<Feature>,
}

/// A raster in a projected CRS, north up, of one or more named bands.
#[derive(Debug, Clone, PartialEq)]
pub struct Raster {
    pub name: String,
    pub epsg: u32,
    /// Upper-left corner, metres.
    pub origin: (f64, f64),
    pub cell_size: f64,
    pub width: usize,
    pub height: usize,
    /// Each band's name and values: row-major, the top row first; `nodata`
    /// where there is no value.
    pub bands: Vec<(String, Vec<f64>)>,
    pub nodata: f64,
}
