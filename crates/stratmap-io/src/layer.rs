//! A format-neutral layer: named, typed fields and features with geometry in a
//! projected CRS. Built once from the results, then written as GeoJSON (in
//! WGS 84) or GeoPackage (in the grid CRS); a writer sees a layer as its
//! [`LayerSchema`] and then its features, one after another (see
//! [`crate::sink::LayerSink`]).

use stratmap_core::Epsg;

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

/// The geometry type a layer declares before its first feature (GeoPackage
/// records it in the layer's table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeometryKind {
    /// Points.
    Point,
    /// Polygons.
    Polygon,
    /// Multipolygons.
    MultiPolygon,
    /// Any other type, or none declared.
    Unknown,
}

impl GeometryKind {
    /// The kind of one geometry.
    ///
    /// ```
    /// use stratmap_io::GeometryKind;
    /// let p = geo::Geometry::Point(geo::Point::new(1.0, 2.0));
    /// assert_eq!(GeometryKind::of(&p), GeometryKind::Point);
    /// ```
    pub fn of(g: &geo::Geometry<f64>) -> Self {
        match g {
            geo::Geometry::Point(_) => GeometryKind::Point,
            geo::Geometry::Polygon(_) => GeometryKind::Polygon,
            geo::Geometry::MultiPolygon(_) => GeometryKind::MultiPolygon,
            _ => GeometryKind::Unknown,
        }
    }
}

/// What a writer needs to know of a layer before its features come: its
/// name, CRS, fields and geometry type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LayerSchema<'a> {
    /// Layer name (`living_conditions`).
    pub name: &'a str,
    /// EPSG code of the geometries.
    pub epsg: Epsg,
    /// The fields, in SPEC §5 order; each feature has one value per field.
    pub fields: &'a [Field],
    /// The declared geometry type.
    pub geometry: GeometryKind,
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

impl Layer {
    /// The layer's schema; its geometry type is that of the first feature
    /// ([`GeometryKind::Unknown`] when there is none).
    pub fn schema(&self) -> LayerSchema<'_> {
        LayerSchema {
            name: &self.name,
            epsg: self.epsg,
            fields: &self.fields,
            geometry: self
                .features
                .first()
                .map_or(GeometryKind::Unknown, |f| GeometryKind::of(&f.geometry)),
        }
    }
}

/// A raster in a projected CRS, north up, of one or more named bands.
///
/// Held as its cells only (a national grid's raster is 16 M pixels a band,
/// of which half a million have a cell): each band's rows are made when
/// asked for ([`Raster::band_rows`]), `nodata` where there is no cell. Its
/// size and bands are read through methods, since its cells are laid out
/// by them. `==` compares the cells held: a cell whose every value is
/// `nodata` is one of them when built from a layer, not from whole bands.
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
    pub(crate) width: usize,
    /// Rows.
    pub(crate) height: usize,
    /// Each band's name, in order.
    pub(crate) band_names: Vec<String>,
    /// The value of a pixel without a value.
    pub nodata: f64,
    /// The pixels with a cell, as row-major indices (the top row first),
    /// ascending, each once.
    pub(crate) pixels: Vec<usize>,
    /// Their values, 32-bit as the GeoTIFF holds them: the value in band
    /// `b` of the `k`-th pixel held (`pixels[k]`) at `k · bands + b`.
    pub(crate) values: Vec<f32>,
}

impl Raster {
    /// A raster of whole bands (each row-major, the top row first,
    /// `width × height` values; `nodata` where there is no value): only
    /// the pixels with a value in some band (other bits than `nodata`'s:
    /// −0 is kept beside a nodata of 0) are kept.
    ///
    /// # Panics
    /// When a band does not have `width × height` values.
    #[allow(clippy::too_many_arguments)]
    pub fn from_bands(
        name: &str,
        epsg: Epsg,
        origin: (f64, f64),
        cell_size: f64,
        (width, height): (usize, usize),
        bands: Vec<(String, Vec<f32>)>,
        nodata: f64,
    ) -> Self {
        assert!(
            bands.iter().all(|(_, v)| v.len() == width * height),
            "a band of other than {width} × {height} values"
        );
        let no = (nodata as f32).to_bits();
        let (mut pixels, mut values) = (Vec::new(), Vec::new());
        for p in 0..width * height {
            if bands.iter().any(|(_, v)| v[p].to_bits() != no) {
                pixels.push(p);
                values.extend(bands.iter().map(|(_, v)| v[p]));
            }
        }
        Raster {
            name: name.into(),
            epsg,
            origin,
            cell_size,
            width,
            height,
            band_names: bands.into_iter().map(|(n, _)| n).collect(),
            nodata,
            pixels,
            values,
        }
    }

    /// Rows `rows` of band `band`, row-major: `nodata` where there is no
    /// cell.
    ///
    /// # Panics
    /// When the band or the rows are not in the raster.
    pub fn band_rows(&self, band: usize, rows: std::ops::Range<usize>) -> Vec<f32> {
        let n = self.band_names.len();
        assert!(band < n && rows.end <= self.height, "no such band or rows");
        let (from, to) = (rows.start * self.width, rows.end * self.width);
        let mut out = vec![self.nodata as f32; to.saturating_sub(from)];
        let first = self.pixels.partition_point(|&p| p < from);
        for (k, &p) in self.pixels.iter().enumerate().skip(first) {
            if p >= to {
                break;
            }
            out[p - from] = self.values[k * n + band];
        }
        out
    }

    /// Pixels per row.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Rows.
    pub fn height(&self) -> usize {
        self.height
    }

    /// Each band's name, in order.
    pub fn band_names(&self) -> &[String] {
        &self.band_names
    }

    /// A whole band, row-major.
    pub fn band(&self, band: usize) -> Vec<f32> {
        self.band_rows(band, 0..self.height)
    }

    /// The number of the band named `name`.
    pub fn band_named(&self, name: &str) -> Option<usize> {
        self.band_names.iter().position(|b| b == name)
    }
}

/// `n` points in SWEREF 99 TM, one a metre apart, with an integer, a text
/// and a boolean property: a layer for the writers' tests.
#[cfg(test)]
pub(crate) fn test_points(name: &str, n: usize) -> Layer {
    let field = |name: &str, kind| Field {
        name: name.into(),
        kind,
    };
    Layer {
        name: name.into(),
        epsg: Epsg::SWEREF99_TM,
        fields: vec![
            field("n", FieldType::Integer),
            field("name", FieldType::Text),
            field("kept", FieldType::Boolean),
        ],
        features: (0..n)
            .map(|k| Feature {
                id: Value::Integer(k as i64),
                geometry: geo::Geometry::Point(geo::Point::new(674_000.0 + k as f64, 6_580_000.0)),
                values: vec![
                    Value::Integer(k as i64),
                    Value::Text(format!("p{k}")),
                    Value::Boolean(k % 2 == 0),
                ],
            })
            .collect(),
    }
}
