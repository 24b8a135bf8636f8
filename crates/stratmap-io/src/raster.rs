//! A grid layer as a raster: one pixel per cell, one band per numeric
//! field asked for. [`RasterBuilder`] is given a layer's schema and then its
//! features as they come, each an axis-aligned square of one size on one
//! grid (the cells of SPEC §5's grid layers), and keeps only each cell's
//! position and band values; [`RasterBuilder::finish`] lays them out north
//! up over the cells' bounding box. The GeoTIFF writer
//! (`GeoTiffSink`) is this builder and GDAL.

use crate::layer::{Feature, FieldType, LayerSchema, Raster, Value};
use geo::BoundingRect;
use stratmap_core::Epsg;

/// Most pixels a raster may have (two bands of 3.2 GB as f64 in memory);
/// Sweden at 250 m is about 16 million.
pub const MAX_RASTER_PIXELS: u64 = 400_000_000;

/// Why a layer cannot be a raster. The messages name no value of the
/// layer's, only the layer, a feature's number and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RasterError {
    /// The layer has no features.
    #[error("the {layer} layer has no cells: a raster needs at least one")]
    NoCells {
        /// The layer's name.
        layer: String,
    },
    /// The cells' bounding box is too large for one file.
    #[error("the {layer} layer's cells span a raster of {width} × {height} pixels, more than {MAX_RASTER_PIXELS}: write it as .gpkg or .geojson instead")]
    TooLarge {
        /// The layer's name.
        layer: String,
        /// Pixels per row.
        width: i128,
        /// Rows.
        height: i128,
    },
    /// A band names no field of the layer, or a field that is not a number.
    #[error("the {layer} layer has no numeric field {band} for a raster band")]
    NoSuchBand {
        /// The layer's name.
        layer: String,
        /// The band asked for.
        band: String,
    },
    /// A feature is not a square of the grid the first one set.
    #[error("feature {feature} of the {layer} layer is not {expected}: a raster holds a grid layer of equal squares (write it as .gpkg or .geojson instead)")]
    NotACell {
        /// The layer's name.
        layer: String,
        /// The feature's number, from 1.
        feature: usize,
        /// What it should have been.
        expected: &'static str,
    },
    /// Two features fall on one pixel.
    #[error("features {first} and {second} of the {layer} layer are the same cell: a raster holds one value a cell")]
    SameCell {
        /// The layer's name.
        layer: String,
        /// The first feature's number, from 1.
        first: usize,
        /// The second feature's number, from 1.
        second: usize,
    },
}

/// The bands a layer is written with as a raster: for the
/// `living_conditions` layer SPEC §5's [`INDEX_BANDS`](crate::layers::INDEX_BANDS)
/// (the index and its class); for any other, every numeric field, in the
/// layer's order.
pub fn raster_bands<'a>(schema: &LayerSchema<'a>) -> Vec<&'a str> {
    if schema.name == "living_conditions" {
        return crate::layers::INDEX_BANDS.to_vec();
    }
    schema
        .fields
        .iter()
        .filter(|f| matches!(f.kind, FieldType::Real | FieldType::Integer))
        .map(|f| f.name.as_str())
        .collect()
}

/// Builds a [`Raster`] from a grid layer's features as they come.
///
/// ```
/// use stratmap_io::{Feature, Field, FieldType, Layer, Value};
/// use stratmap_io::RasterBuilder;
/// use stratmap_io::Epsg;
///
/// let cell = |x: f64, y: f64, v: f64| Feature {
///     id: Value::Null,
///     geometry: geo::Geometry::Polygon(geo::Rect::new((x, y), (x + 250.0, y + 250.0)).to_polygon()),
///     values: vec![Value::Real(v)],
/// };
/// let layer = Layer {
///     name: "cells".into(),
///     epsg: Epsg::SWEREF99_TM,
///     fields: vec![Field { name: "v".into(), kind: FieldType::Real }],
///     // the lower left and the upper right of a 2 × 2 box
///     features: vec![cell(500_000.0, 6_500_000.0, 1.0), cell(500_250.0, 6_500_250.0, 2.0)],
/// };
/// let mut b = RasterBuilder::new(&layer.schema(), &["v"], -9999.0).unwrap();
/// for f in &layer.features {
///     b.feature(f).unwrap();
/// }
/// let r = b.finish().unwrap();
/// assert_eq!((r.width, r.height, r.cell_size), (2, 2, 250.0));
/// assert_eq!(r.origin, (500_000.0, 6_500_500.0)); // the upper-left corner
/// // the top row first
/// assert_eq!(r.bands[0].1, [-9999.0, 2.0, 1.0, -9999.0]);
/// ```
pub struct RasterBuilder {
    name: String,
    epsg: Epsg,
    nodata: f64,
    /// Each band's name and the position of its field in a feature.
    bands: Vec<(String, usize)>,
    /// The cell size, from the first feature.
    size: Option<f64>,
    /// Each cell's lower-left corner.
    corners: Vec<(f64, f64)>,
    /// Each cell's band values, `bands.len()` a cell.
    values: Vec<f64>,
}

impl RasterBuilder {
    /// A builder of the bands named `bands` (numeric fields of `schema`,
    /// in the order given), `nodata` where a cell has no value or there is
    /// no cell.
    pub fn new(schema: &LayerSchema<'_>, bands: &[&str], nodata: f64) -> Result<Self, RasterError> {
        let bands = bands
            .iter()
            .map(|band| {
                schema
                    .fields
                    .iter()
                    .position(|f| {
                        f.name == *band && matches!(f.kind, FieldType::Real | FieldType::Integer)
                    })
                    .map(|k| (band.to_string(), k))
                    .ok_or_else(|| RasterError::NoSuchBand {
                        layer: schema.name.to_string(),
                        band: band.to_string(),
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(RasterBuilder {
            name: schema.name.to_string(),
            epsg: schema.epsg,
            nodata,
            bands,
            size: None,
            corners: Vec::new(),
            values: Vec::new(),
        })
    }

    fn not_a_cell(&self, expected: &'static str) -> RasterError {
        RasterError::NotACell {
            layer: self.name.clone(),
            feature: self.corners.len() + 1,
            expected,
        }
    }

    /// Takes the next feature: an axis-aligned square polygon of the size
    /// of the first.
    pub fn feature(&mut self, feature: &Feature) -> Result<(), RasterError> {
        let geo::Geometry::Polygon(p) = &feature.geometry else {
            return Err(self.not_a_cell("a polygon"));
        };
        let Some(rect) = p.bounding_rect() else {
            return Err(self.not_a_cell("a square"));
        };
        let (min, max) = (rect.min(), rect.max());
        let corner =
            |c: &geo::Coord| (c.x == min.x || c.x == max.x) && (c.y == min.y || c.y == max.y);
        let (w, h) = (rect.width(), rect.height());
        if !p.interiors().is_empty()
            || !p.exterior().coords().all(corner)
            || p.exterior().coords().count() != 5
            || w <= 0.0
            || w != h
        {
            return Err(self.not_a_cell("an axis-aligned square"));
        }
        match self.size {
            None => self.size = Some(w),
            Some(s) if s == w => {}
            Some(_) => return Err(self.not_a_cell("a square of the first feature's size")),
        }
        self.corners.push((min.x, min.y));
        for &(_, k) in &self.bands {
            self.values.push(match feature.values.get(k) {
                Some(Value::Real(v)) if v.is_finite() => *v,
                Some(Value::Integer(i)) => *i as f64,
                _ => self.nodata,
            });
        }
        Ok(())
    }

    /// The raster: north up over the cells' bounding box, one pixel per
    /// cell, `nodata` where there is none.
    pub fn finish(self) -> Result<Raster, RasterError> {
        let (Some(s), Some(&first)) = (self.size, self.corners.first()) else {
            return Err(RasterError::NoCells { layer: self.name });
        };
        let (mut xmin, mut ymax) = first;
        for &(x, y) in &self.corners {
            xmin = xmin.min(x);
            ymax = ymax.max(y);
        }
        // each cell's column and row, checked to be whole: one grid
        let mut at = Vec::with_capacity(self.corners.len());
        let (mut width, mut height) = (0i128, 0i128);
        for (k, &(x, y)) in self.corners.iter().enumerate() {
            let (col, row) = ((x - xmin) / s, (ymax - y) / s);
            let whole = |v: f64| (v - v.round()).abs() <= 1e-9 * v.abs().max(1.0);
            if !whole(col) || !whole(row) {
                return Err(RasterError::NotACell {
                    layer: self.name,
                    feature: k + 1,
                    expected: "a square on the first feature's grid",
                });
            }
            let (col, row) = (col.round() as i128, row.round() as i128);
            width = width.max(col + 1);
            height = height.max(row + 1);
            at.push((col, row));
        }
        if width * height > i128::from(MAX_RASTER_PIXELS) {
            return Err(RasterError::TooLarge {
                layer: self.name,
                width,
                height,
            });
        }
        let (width, height) = (width as usize, height as usize);
        let n = self.bands.len();
        let mut bands: Vec<(String, Vec<f64>)> = self
            .bands
            .into_iter()
            .map(|(name, _)| (name, vec![self.nodata; width * height]))
            .collect();
        let pixels: Vec<usize> = at
            .iter()
            .map(|&(col, row)| row as usize * width + col as usize)
            .collect();
        // a repeated cell: the first two features on one pixel
        let mut order: Vec<usize> = (0..pixels.len()).collect();
        order.sort_unstable_by_key(|&k| (pixels[k], k));
        if let Some(w) = order.windows(2).find(|w| pixels[w[0]] == pixels[w[1]]) {
            return Err(RasterError::SameCell {
                layer: self.name,
                first: w[0] + 1,
                second: w[1] + 1,
            });
        }
        for (k, &pixel) in pixels.iter().enumerate() {
            for (b, (_, data)) in bands.iter_mut().enumerate() {
                data[pixel] = self.values[k * n + b];
            }
        }
        Ok(Raster {
            name: self.name,
            epsg: self.epsg,
            origin: (xmin, ymax + s),
            cell_size: s,
            width,
            height,
            bands,
            nodata: self.nodata,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layer::{Field, Layer};

    fn square(x: f64, y: f64, s: f64) -> geo::Geometry<f64> {
        geo::Geometry::Polygon(geo::Rect::new((x, y), (x + s, y + s)).to_polygon())
    }

    fn layer(geometries: Vec<geo::Geometry<f64>>) -> Layer {
        Layer {
            name: "cells".into(),
            epsg: Epsg::SWEREF99_TM,
            fields: vec![
                Field {
                    name: "a".into(),
                    kind: FieldType::Real,
                },
                Field {
                    name: "n".into(),
                    kind: FieldType::Integer,
                },
                Field {
                    name: "t".into(),
                    kind: FieldType::Text,
                },
            ],
            features: geometries
                .into_iter()
                .enumerate()
                .map(|(k, geometry)| Feature {
                    id: Value::Null,
                    geometry,
                    values: vec![
                        if k == 1 {
                            Value::Null
                        } else {
                            Value::Real(k as f64 + 0.5)
                        },
                        Value::Integer(k as i64),
                        Value::Text("x".into()),
                    ],
                })
                .collect(),
        }
    }

    fn build(l: &Layer, bands: &[&str]) -> Result<Raster, RasterError> {
        let mut b = RasterBuilder::new(&l.schema(), bands, -1.0)?;
        for f in &l.features {
            b.feature(f)?;
        }
        b.finish()
    }

    #[test]
    fn cells_are_placed_north_up_whatever_their_order() {
        // cells at columns 0 and 2 of the bottom row, column 1 of the top row
        let cells = [
            (500_000.0, 6_500_000.0),
            (500_500.0, 6_500_000.0),
            (500_250.0, 6_500_250.0),
        ];
        let l = layer(cells.iter().map(|&(x, y)| square(x, y, 250.0)).collect());
        let r = build(&l, &["n", "a"]).unwrap();
        assert_eq!((r.width, r.height), (3, 2));
        assert_eq!(r.origin, (500_000.0, 6_500_500.0));
        assert_eq!(r.bands[0].0, "n");
        // top row: feature 2 in the middle; bottom row: features 0 and 1
        assert_eq!(r.bands[0].1, [-1.0, 2.0, -1.0, 0.0, -1.0, 1.0]);
        // feature 1 has no `a`: nodata
        assert_eq!(r.bands[1].1, [-1.0, 2.5, -1.0, 0.5, -1.0, -1.0]);
        let mut reversed = l.clone();
        reversed.features.reverse();
        assert_eq!(build(&reversed, &["n", "a"]).unwrap(), r);
    }

    #[test]
    fn refuses_what_is_no_grid() {
        let s = |x, y| square(x, y, 250.0);
        let err = |g: Vec<geo::Geometry<f64>>, bands: &[&str]| build(&layer(g), bands).unwrap_err();
        assert!(matches!(
            err(vec![s(0.0, 0.0)], &["t"]),
            RasterError::NoSuchBand { .. }
        ));
        assert!(matches!(
            err(vec![s(0.0, 0.0)], &["b"]),
            RasterError::NoSuchBand { .. }
        ));
        let point = geo::Geometry::Point(geo::Point::new(0.0, 0.0));
        assert!(matches!(
            err(vec![s(0.0, 0.0), point], &["a"]),
            RasterError::NotACell { feature: 2, .. }
        ));
        let rect = geo::Geometry::Polygon(geo::Rect::new((0.0, 0.0), (250.0, 500.0)).to_polygon());
        assert!(matches!(
            err(vec![rect], &["a"]),
            RasterError::NotACell { feature: 1, .. }
        ));
        let diamond = geo::Geometry::Polygon(geo::Polygon::new(
            geo::LineString::from(vec![
                (0.0, 125.0),
                (125.0, 0.0),
                (250.0, 125.0),
                (125.0, 250.0),
                (0.0, 125.0),
            ]),
            vec![],
        ));
        assert!(matches!(
            err(vec![diamond], &["a"]),
            RasterError::NotACell { .. }
        ));
        assert!(matches!(
            err(vec![s(0.0, 0.0), square(250.0, 0.0, 100.0)], &["a"]),
            RasterError::NotACell { feature: 2, .. }
        ));
        assert!(matches!(
            err(vec![s(0.0, 0.0), s(260.0, 0.0)], &["a"]),
            RasterError::NotACell { feature: 2, .. }
        ));
        assert_eq!(
            err(vec![s(0.0, 0.0), s(250.0, 0.0), s(0.0, 0.0)], &["a"]),
            RasterError::SameCell {
                layer: "cells".into(),
                first: 1,
                second: 3
            }
        );
        assert!(matches!(err(vec![], &["a"]), RasterError::NoCells { .. }));
        let far = err(vec![square(0.0, 0.0, 1.0), square(1e6, 1e6, 1.0)], &["a"]);
        assert_eq!(
            far,
            RasterError::TooLarge {
                layer: "cells".into(),
                width: 1_000_001,
                height: 1_000_001
            }
        );
        assert!(
            far.to_string().contains("1000001 × 1000001 pixels"),
            "{far}"
        );
    }
}
