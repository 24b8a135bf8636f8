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
//! use stratmap_io::{Feature, Layer, LayerSchema, Value};
//! use stratmap_io::{write_layers, LayerSink};
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

/// A [`LayerSink`] for a format that needs every layer before it can write
/// anything (a map is scaled to all it draws, a page embeds them all): it
/// keeps the layers as they come and hands them to its writer at `end`.
///
/// ```
/// use stratmap_io::{Layer, Value};
/// use stratmap_io::{write_layers, WholeLayers};
/// use stratmap_io::Epsg;
///
/// let empty = |name: &str| Layer {
///     name: name.into(),
///     epsg: Epsg::SWEREF99_TM,
///     fields: vec![],
///     features: vec![],
/// };
/// let mut seen = Vec::new();
/// let sink = WholeLayers::new(std::path::Path::new("names.txt"), |layers: &[&Layer]| {
///     seen.extend(layers.iter().map(|l| l.name.clone()));
///     Ok(())
/// });
/// write_layers(Box::new(sink), &[&empty("a"), &empty("b")]).unwrap();
/// assert_eq!(seen, ["a", "b"]);
/// ```
pub struct WholeLayers<F> {
    path: std::path::PathBuf,
    layers: Vec<Layer>,
    write: F,
}

impl<F: FnOnce(&[&Layer]) -> Result<(), Error>> WholeLayers<F> {
    /// A sink that gives the layers to `write` when they are all there;
    /// `path` is the file it writes, for the messages.
    pub fn new(path: &Path, write: F) -> Self {
        WholeLayers {
            path: path.to_path_buf(),
            layers: Vec::new(),
            write,
        }
    }
}

impl<F: FnOnce(&[&Layer]) -> Result<(), Error>> LayerSink for WholeLayers<F> {
    fn begin(&mut self, schema: &LayerSchema<'_>) -> Result<(), Error> {
        self.layers.push(Layer {
            name: schema.name.to_string(),
            epsg: schema.epsg,
            fields: schema.fields.to_vec(),
            features: Vec::new(),
        });
        Ok(())
    }

    fn feature(&mut self, feature: &Feature) -> Result<(), Error> {
        self.features(std::slice::from_ref(feature))
    }

    fn features(&mut self, batch: &[Feature]) -> Result<(), Error> {
        let Some(layer) = self.layers.last_mut() else {
            return Err(out_of_order(&self.path, "a feature before its layer began"));
        };
        layer.features.extend_from_slice(batch);
        Ok(())
    }

    fn end(self: Box<Self>) -> Result<(), Error> {
        let WholeLayers { layers, write, .. } = *self;
        let refs: Vec<&Layer> = layers.iter().collect();
        write(&refs)
    }
}

/// The error of a sink called out of order (a program's mistake, not the
/// input's), naming the file it writes.
pub(crate) fn out_of_order(path: &Path, what: &str) -> Error {
    Error::io(
        path,
        std::io::Error::new(std::io::ErrorKind::InvalidInput, what.to_string()),
    )
}
