//! One streaming interface for every vector-layer writer: a [`LayerSink`]
//! is told a layer's [`LayerSchema`] (`begin`), then given its features one
//! by one or in batches (`feature`, `features`), and is finished by `end`,
//! which puts the file in place. A program that makes features as it goes
//! (from a database cursor, say) never holds the whole layer; the writers
//! that take a whole [`Layer`] (`geojson_out::write_geojson`,
//! `gdal_out::write_gpkg`) are [`write_layers`] over their sink.
//!
//! A sink writes atomically: until `end` returns, the file is a temporary
//! beside its path (removed on SIGINT/SIGTERM), and a sink dropped without
//! `end` leaves nothing.
//!
//! ```
//! use stratmap_io::layer::{Feature, Layer, LayerSchema, Value};
//! use stratmap_io::sink::{write_layers, LayerSink};
//! use stratmap_io::{Epsg, Error};
//!
//! /// Counts the features of each layer.
//! #[derive(Default)]
//! struct Count(Vec<(String, usize)>);
//!
//! impl LayerSink for Count {
//!     fn begin(&mut self, schema: &LayerSchema) -> Result<(), Error> {
//!         self.0.push((schema.name.to_string(), 0));
//!         Ok(())
//!     }
//!     fn feature(&mut self, _: &Feature) -> Result<(), Error> {
//!         if let Some((_, n)) = self.0.last_mut() {
//!             *n += 1;
//!         }
//!         Ok(())
//!     }
//!     fn end(self: Box<Self>) -> Result<(), Error> {
//!         assert_eq!(self.0, [("towers".to_string(), 2)]);
//!         Ok(())
//!     }
//! }
//!
//! let point = |x: f64| Feature {
//!     id: Value::Integer(x as i64),
//!     geometry: geo::Geometry::Point(geo::Point::new(x, 6_580_000.0)),
//!     values: vec![],
//! };
//! let towers = Layer {
//!     name: "towers".into(),
//!     epsg: Epsg::SWEREF99_TM,
//!     fields: vec![],
//!     features: vec![point(674_000.0), point(675_000.0)],
//! };
//! write_layers(Box::new(Count::default()), &[&towers]).unwrap();
//! ```

use crate::layer::{Feature, Layer, LayerSchema};
use crate::Error;
use std::path::Path;

/// A writer of vector layers that takes features as they come.
///
/// The calls come in this order: for each layer, [`begin`](Self::begin)
/// and then its features ([`feature`](Self::feature) or
/// [`features`](Self::features), any number of times, in the order they
/// are to be written); then [`end`](Self::end) once. A format that holds
/// one layer a file (GeoJSON) refuses a second `begin`; a feature before
/// any `begin` is refused.
pub trait LayerSink {
    /// Starts a layer (ending the one before, if any).
    fn begin(&mut self, schema: &LayerSchema<'_>) -> Result<(), Error>;

    /// Writes one feature of the current layer: its values in the order
    /// of the schema's fields, its geometry in the schema's CRS.
    fn feature(&mut self, feature: &Feature) -> Result<(), Error>;

    /// Writes features of the current layer, in order; a writer may encode
    /// a batch in parallel (the GeoJSON writer does), so whole slices are
    /// faster than one feature at a time. The bytes are the same either way.
    fn features(&mut self, batch: &[Feature]) -> Result<(), Error> {
        batch.iter().try_for_each(|f| self.feature(f))
    }

    /// Ends the last layer and puts the file in place.
    fn end(self: Box<Self>) -> Result<(), Error>;
}

/// Writes whole layers through `sink`: each layer's schema and features,
/// then the end.
pub fn write_layers(mut sink: Box<dyn LayerSink + '_>, layers: &[&Layer]) -> Result<(), Error> {
    for layer in layers {
        sink.begin(&layer.schema())?;
        sink.features(&layer.features)?;
    }
    sink.end()
}

/// The error of a sink called out of order (a program's mistake, not the
/// input's), naming the file it writes.
pub(crate) fn out_of_order(path: &Path, what: &str) -> Error {
    Error::io(
        path,
        std::io::Error::new(std::io::ErrorKind::InvalidInput, what.to_string()),
    )
}
