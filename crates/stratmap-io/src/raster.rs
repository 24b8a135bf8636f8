//! A grid layer as a raster: one pixel per cell, one band per numeric
//! field asked for. [`RasterBuilder`] is given a layer's schema and then its
//! features as they come, each an axis-aligned square of one size on one
//! grid (the cells of SPEC §5's grid layers), and keeps only each cell's
//! position and band values; [`RasterBuilder::finish`] lays them out north
//! up over the cells' bounding box. The GeoTIFF writer
//! (`GeoTiffSink`) is this builder and GDAL.

use crate::layer::{Feature, FieldType, Layer, LayerSchema, Raster, Value};
use geo::BoundingRect;
use stratmap_core::Epsg;

/// Most pixels a two-band raster may have (3.2 GB a band as f64 in memory);
/// Sweden at 250 m is about 16 million. A raster of more bands may have
/// proportionally fewer: at most [`MAX_RASTER_VALUES`] values in all.
pub const MAX_RASTER_PIXELS: u64 = 400_000_000;

/// Most values (pixels × bands) a raster may hold.
pub const MAX_RASTER_VALUES: u64 = 2 * MAX_RASTER_PIXELS;

/// Why a layer cannot be a raster. The messages name no value of the
/// layer's, only the layer, a feature's number and what was expected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RasterError {
    /// The layer has no features.
    #[error("the {layer} layer has no cells: a raster needs at least one")]
    NoCells {
        /// The layer's name.
        layer: String,
    },
    /// The cells' bounding box is too large for one file.
    #[error("the {layer} layer's cells span a raster of {width} × {height} pixels and {bands} bands, more than {MAX_RASTER_VALUES} values: write it as .gpkg or .geojson instead")]
    TooLarge {
        /// The layer's name.
        layer: String,
        /// Pixels per row.
        width: f64,
        /// Rows.
        height: f64,
        /// Bands.
        bands: usize,
    },
    /// No band was asked for.
    #[error("the {layer} layer has no numeric field for a raster band")]
    NoBands {
        /// The layer's name.
        layer: String,
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

/// Equal to within rounding (a relative 1e-9).
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

/// Whether `layer` can be written as a raster of its [`raster_bands`]:
/// every feature a square on one grid, not too many pixels. What the
/// GeoTIFF writer would refuse, found before anything is written.
pub fn check_raster(layer: &Layer) -> Result<(), RasterError> {
    let schema = layer.schema();
    let mut b = RasterBuilder::new(&schema, &raster_bands(&schema), crate::layers::INDEX_NODATA)?;
    for f in &layer.features {
        b.feature(f)?;
    }
    b.check()
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
/// assert_eq!((r.width(), r.height(), r.cell_size), (2, 2, 250.0));
/// assert_eq!(r.origin, (500_000.0, 6_500_500.0)); // the upper-left corner
/// // the top row first
/// assert_eq!(r.band(0), [-9999.0, 2.0, 1.0, -9999.0]);
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
            .collect::<Result<Vec<_>, _>>()?;
        if bands.is_empty() {
            return Err(RasterError::NoBands {
                layer: schema.name.to_string(),
            });
        }
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
        let ring: Vec<geo::Coord> = p.exterior().coords().copied().collect();
        // four distinct corners in turn, each step along one side, closed
        let square_ring = ring.len() == 5
            && ring[4] == ring[0]
            && ring[..4].iter().all(corner)
            && (0..4).all(|k| {
                let (a, b) = (ring[k], ring[k + 1]);
                (a.x == b.x) != (a.y == b.y)
            })
            && (0..4).all(|k| (k + 1..4).all(|j| ring[k] != ring[j]));
        let (w, h) = (rect.width(), rect.height());
        if !(p.interiors().is_empty() && square_ring && w > 0.0 && w.is_finite() && close(w, h)) {
            return Err(self.not_a_cell("an axis-aligned square"));
        }
        match self.size {
            None => self.size = Some(w),
            Some(s) if close(s, w) => {}
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

    /// Checks that the cells make a raster that is not too large, without
    /// making it: what [`finish`](Self::finish) would refuse.
    pub fn check(&self) -> Result<(), RasterError> {
        self.layout().map(|_| ())
    }

    /// The upper-left corner, the cell size, the size in pixels and each
    /// cell's column and row.
    #[allow(clippy::type_complexity)]
    fn layout(&self) -> Result<((f64, f64), f64, usize, usize, Vec<(usize, usize)>), RasterError> {
        let (Some(s), Some(&first)) = (self.size, self.corners.first()) else {
            return Err(RasterError::NoCells {
                layer: self.name.clone(),
            });
        };
        let (mut xmin, mut ymax) = first;
        let (mut xmax, mut ymin) = first;
        for &(x, y) in &self.corners {
            xmin = xmin.min(x);
            ymax = ymax.max(y);
            xmax = xmax.max(x);
            ymin = ymin.min(y);
        }
        let (width, height) = (
            ((xmax - xmin) / s).round() + 1.0,
            ((ymax - ymin) / s).round() + 1.0,
        );
        let bands = self.bands.len();
        let values = width * height * bands as f64;
        if values.is_nan() || values > MAX_RASTER_VALUES as f64 {
            return Err(RasterError::TooLarge {
                layer: self.name.clone(),
                width,
                height,
                bands,
            });
        }
        let (width, height) = (width as usize, height as usize);
        // each cell's column and row, checked to be whole: one grid
        let mut at = Vec::with_capacity(self.corners.len());
        for (k, &(x, y)) in self.corners.iter().enumerate() {
            let (col, row) = ((x - xmin) / s, (ymax - y) / s);
            let whole = |v: f64| (v - v.round()).abs() <= 1e-9 * v.abs().max(1.0);
            if !whole(col) || !whole(row) {
                return Err(RasterError::NotACell {
                    layer: self.name.clone(),
                    feature: k + 1,
                    expected: "a square on the first feature's grid",
                });
            }
            at.push((col.round() as usize, row.round() as usize));
        }
        Ok(((xmin, ymax + s), s, width, height, at))
    }

    /// The raster: north up over the cells' bounding box, one pixel per
    /// cell, `nodata` where there is none.
    pub fn finish(self) -> Result<Raster, RasterError> {
        let (origin, s, width, height, at) = self.layout()?;
        let n = self.bands.len();
        let pixels: Vec<usize> = at.iter().map(|&(col, row)| row * width + col).collect();
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
        let values: Vec<f32> = order
            .iter()
            .flat_map(|&k| self.values[k * n..(k + 1) * n].iter().map(|&v| v as f32))
            .collect();
        Ok(Raster {
            name: self.name,
            epsg: self.epsg,
            origin,
            cell_size: s,
            width,
            height,
            band_names: self.bands.into_iter().map(|(name, _)| name).collect(),
            pixels: order.iter().map(|&k| pixels[k]).collect(),
            values,
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
        assert_eq!((r.width(), r.height()), (3, 2));
        assert_eq!(r.origin, (500_000.0, 6_500_500.0));
        assert_eq!(r.band_names[0], "n");
        // top row: feature 2 in the middle; bottom row: features 0 and 1
        assert_eq!(r.band(0), [-1.0, 2.0, -1.0, 0.0, -1.0, 1.0]);
        // feature 1 has no `a`: nodata
        assert_eq!(r.band(1), [-1.0, 2.5, -1.0, 0.5, -1.0, -1.0]);
        let mut reversed = l.clone();
        reversed.features.reverse();
        assert_eq!(build(&reversed, &["n", "a"]).unwrap(), r);
    }

    /// Rows asked for in any pieces are those of the whole band, and a
    /// raster of whole bands keeps them exactly.
    #[test]
    fn rows_in_pieces_are_the_whole_band() {
        let (w, h) = (7, 13);
        let nodata = -9999.0;
        let band = |salt: usize| -> Vec<f32> {
            (0..w * h)
                .map(|p| {
                    if (p * 31 + salt) % 5 < 2 {
                        ((p + salt) % 17) as f32 - 3.0
                    } else {
                        nodata as f32
                    }
                })
                .collect()
        };
        let (a, b) = (band(0), band(3));
        let r = Raster::from_bands(
            "t",
            Epsg::SWEREF99_TM,
            (0.0, 0.0),
            250.0,
            (w, h),
            vec![("a".into(), a.clone()), ("b".into(), b.clone())],
            nodata,
        );
        assert_eq!((r.band(0), r.band(1)), (a.clone(), b.clone()));
        assert!(
            r.pixels.len() < w * h,
            "pixels without a value are not held"
        );
        for cut in 0..=h {
            for (k, whole) in [&a, &b].into_iter().enumerate() {
                let mut rows = r.band_rows(k, 0..cut);
                rows.extend(r.band_rows(k, cut..h));
                assert_eq!(&rows, whole, "band {k} cut at row {cut}");
                assert_eq!(r.band_rows(k, cut..cut), Vec::<f32>::new());
            }
        }
        // −0 is not a nodata of 0: kept, bit for bit
        let z = Raster::from_bands(
            "z",
            Epsg::SWEREF99_TM,
            (0.0, 0.0),
            250.0,
            (2, 1),
            vec![("a".into(), vec![0.0, -0.0])],
            0.0,
        );
        assert_eq!(z.band(0)[1].to_bits(), (-0.0f32).to_bits());
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
        // rings on the box's corners that are no square: back and forth, a bow tie
        let ring = |pts: Vec<(f64, f64)>| {
            geo::Geometry::Polygon(geo::Polygon::new(geo::LineString::from(pts), vec![]))
        };
        let back = ring(vec![
            (0.0, 0.0),
            (250.0, 0.0),
            (250.0, 250.0),
            (250.0, 0.0),
            (0.0, 0.0),
        ]);
        let bow = ring(vec![
            (0.0, 0.0),
            (250.0, 250.0),
            (250.0, 0.0),
            (0.0, 250.0),
            (0.0, 0.0),
        ]);
        for g in [back, bow] {
            assert!(matches!(
                err(vec![g], &["a"]),
                RasterError::NotACell { feature: 1, .. }
            ));
        }
        // the same square the other way round is one
        let cw = ring(vec![
            (0.0, 0.0),
            (0.0, 250.0),
            (250.0, 250.0),
            (250.0, 0.0),
            (0.0, 0.0),
        ]);
        assert!(build(&layer(vec![cw, s(250.0, 0.0)]), &["a"]).is_ok());
        assert!(matches!(
            err(vec![s(0.0, 0.0)], &[]),
            RasterError::NoBands { .. }
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
                width: 1_000_001.0,
                height: 1_000_001.0,
                bands: 1
            }
        );
        assert!(
            far.to_string().contains("1000001 × 1000001 pixels"),
            "{far}"
        );
    }
}
