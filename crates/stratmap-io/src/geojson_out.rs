//! RFC 7946 GeoJSON: WGS 84 lon/lat, exterior rings counter-clockwise and holes
//! clockwise, no `crs` member, at most 7 decimals (about 1 cm), features in the
//! layer's order (sorted by id), one feature per line. The bytes depend only on
//! the layer, never on the thread count or on how the features are handed to
//! the [`GeoJsonSink`] that writes them.

use crate::atomic::AtomicFile;
use crate::crs::{Epsg, Transform};
use crate::layer::{Feature, Layer, LayerSchema, Value};
use crate::sink::{out_of_order, write_layers, LayerSink};
use crate::Error;
use geo::orient::{Direction, Orient};
use geo::winding_order::{Winding, WindingOrder};
use geo::MapCoords;
use rayon::prelude::*;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Rounds to 7 decimals; the result prints with at most 7 decimals.
pub fn round7(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

/// A transformation to WGS 84 that remembers the points it has transformed:
/// the cells of a grid layer share their corners (each up to four times,
/// and a ring's last point is its first), and a PROJ call costs far more
/// than a lookup. The same point always gives the same result, so the
/// bytes do not depend on what was remembered.
struct Wgs84<'a> {
    to_wgs84: &'a Transform,
    /// Each point's bits → its rounded lon/lat.
    seen: std::cell::RefCell<rustc_hash::FxHashMap<(u64, u64), geo::Coord<f64>>>,
    /// A ring being encoded (reused from feature to feature).
    ring: std::cell::RefCell<geo::LineString<f64>>,
}

impl<'a> Wgs84<'a> {
    fn new(to_wgs84: &'a Transform) -> Self {
        Wgs84 {
            to_wgs84,
            seen: Default::default(),
            ring: std::cell::RefCell::new(geo::LineString::new(Vec::new())),
        }
    }

    fn point(&self, c: geo::Coord<f64>) -> Result<geo::Coord<f64>, Error> {
        let key = (c.x.to_bits(), c.y.to_bits());
        if let Some(&done) = self.seen.borrow().get(&key) {
            return Ok(done);
        }
        let (lon, lat) = self.to_wgs84.point(c.x, c.y)?;
        let done = geo::coord! { x: round7(lon), y: round7(lat) };
        self.seen.borrow_mut().insert(key, done);
        Ok(done)
    }

    /// A polygon's rings transformed and rounded as [`Wgs84::rfc7946`] does,
    /// each oriented as RFC 7946 asks (exterior counter-clockwise, holes
    /// clockwise, as `geo`'s `orient` decides it) and encoded.
    fn encode_polygon(&self, p: &geo::Polygon<f64>, buf: &mut Vec<u8>) -> Result<(), Error> {
        let mut ring = self.ring.borrow_mut();
        buf.push(b'[');
        for (i, r) in std::iter::once(p.exterior())
            .chain(p.interiors())
            .enumerate()
        {
            ring.0.clear();
            for &c in &r.0 {
                ring.0.push(self.point(c)?);
            }
            let wrong = if i == 0 {
                WindingOrder::Clockwise
            } else {
                buf.push(b',');
                WindingOrder::CounterClockwise
            };
            if ring.winding_order() == Some(wrong) {
                encode_positions(ring.0.iter().rev(), buf);
            } else {
                encode_positions(ring.0.iter(), buf);
            }
        }
        buf.push(b']');
        Ok(())
    }

    /// A geometry transformed to WGS 84, rounded, and its rings oriented as
    /// RFC 7946 asks.
    fn rfc7946(&self, g: &geo::Geometry<f64>) -> Result<geo::Geometry<f64>, Error> {
        let g = g.try_map_coords(|c| self.point(c))?;
        Ok(match g {
            geo::Geometry::Polygon(p) => geo::Geometry::Polygon(p.orient(Direction::Default)),
            geo::Geometry::MultiPolygon(p) => {
                geo::Geometry::MultiPolygon(p.orient(Direction::Default))
            }
            other => other,
        })
    }
}

/// Features are encoded in parallel in chunks of this many, each chunk with
/// its own PROJ transformation (PROJ objects are not shared across threads).
const CHUNK: usize = 4096;
/// Features are encoded in blocks of two chunks a thread (at least four
/// chunks); at most two blocks are held encoded at once (one being written
/// while the next is encoded), in buffers used again from block to block:
/// memory the kernel has once handed over is not given back and faulted
/// in again for each block. (Sixteen chunks a block held ~100 MB of text
/// and buffers at once on a national layer, on two cores.)
fn block() -> usize {
    CHUNK * (2 * rayon::current_num_threads()).max(4)
}
/// Features given one at a time to a [`GeoJsonSink`] are kept (copied)
/// until there are this many, then encoded in parallel as one batch.
const PENDING: usize = 16 * CHUNK;

/// The GeoJSON text of a layer.
pub fn geojson_bytes(layer: &Layer) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    let label = Path::new("GeoJSON output");
    let mut encoder = Encoder::begin(&layer.schema(), &mut out, label)?;
    encoder.features(&layer.features, &mut out)?;
    encoder.end(&mut out)?;
    Ok(out)
}

/// Writes a layer as GeoJSON, atomically: [`GeoJsonSink`] given the whole
/// layer.
pub fn write_geojson(layer: &Layer, path: &Path) -> Result<(), Error> {
    if crate::is_stdio(path) {
        // `-`: standard output, for a pipe
        let bytes = geojson_bytes(layer)?;
        return crate::write_stdout(&bytes);
    }
    write_layers(Box::new(GeoJsonSink::new(path)), &[layer])
}

/// A [`LayerSink`] writing one layer as an RFC 7946 FeatureCollection to
/// `path`, atomically. Each batch of features is encoded in parallel (in
/// chunks, each worker thread with its own PROJ transformation) and written
/// in order as it comes, so the file is never whole in memory and its bytes
/// are those of [`geojson_bytes`], whatever the batches and threads.
///
/// ```
/// use stratmap_io::GeoJsonSink;
/// use stratmap_io::{Feature, Layer, Value};
/// use stratmap_io::LayerSink;
/// use stratmap_io::Epsg;
///
/// let layer = Layer {
///     name: "towers".into(),
///     epsg: Epsg::SWEREF99_TM,
///     fields: vec![],
///     features: vec![Feature {
///         id: Value::Integer(1),
///         geometry: geo::Geometry::Point(geo::Point::new(674_000.0, 6_580_000.0)),
///         values: vec![],
///     }],
/// };
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("towers.geojson");
/// let mut sink = Box::new(GeoJsonSink::new(&path));
/// sink.begin(&layer.schema()).unwrap();
/// for f in &layer.features {
///     sink.feature(f).unwrap();
/// }
/// sink.end().unwrap();
/// let text = std::fs::read_to_string(&path).unwrap();
/// assert!(text.starts_with("{\"type\":\"FeatureCollection\",\"name\":\"towers\""));
/// ```
pub struct GeoJsonSink {
    path: PathBuf,
    /// The temporary being written and the layer's encoder, from `begin` on.
    open: Option<(AtomicFile, Encoder)>,
    /// Features given one at a time, not yet encoded.
    pending: Vec<Feature>,
}

impl GeoJsonSink {
    /// A sink that will write `path`; nothing is created before `begin`.
    pub fn new(path: &Path) -> Self {
        GeoJsonSink {
            path: path.to_path_buf(),
            open: None,
            pending: Vec::new(),
        }
    }

    fn open(&mut self) -> Result<&mut (AtomicFile, Encoder), Error> {
        self.open
            .as_mut()
            .ok_or_else(|| out_of_order(&self.path, "a GeoJSON feature before its layer began"))
    }

    fn flush_pending(&mut self) -> Result<(), Error> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending);
        let (file, encoder) = self.open()?;
        encoder.features(&pending, file)?;
        // keep the allocation for the next features
        self.pending = pending;
        self.pending.clear();
        Ok(())
    }
}

impl LayerSink for GeoJsonSink {
    fn begin(&mut self, schema: &LayerSchema<'_>) -> Result<(), Error> {
        if self.open.is_some() {
            return Err(out_of_order(&self.path, "a GeoJSON file holds one layer"));
        }
        with_wgs84(schema.epsg, |_| Ok(()))?; // fail before creating any file
        let mut file = AtomicFile::create(&self.path)?;
        let encoder = Encoder::begin(schema, &mut file, &self.path)?;
        self.open = Some((file, encoder));
        Ok(())
    }

    fn feature(&mut self, feature: &Feature) -> Result<(), Error> {
        self.open()?;
        self.pending.push(feature.clone());
        if self.pending.len() >= PENDING {
            self.flush_pending()?;
        }
        Ok(())
    }

    fn features(&mut self, batch: &[Feature]) -> Result<(), Error> {
        self.flush_pending()?;
        let (file, encoder) = self.open()?;
        encoder.features(batch, file)
    }

    fn end(mut self: Box<Self>) -> Result<(), Error> {
        self.flush_pending()?;
        let Some((mut file, encoder)) = self.open.take() else {
            return Err(out_of_order(
                &self.path,
                "a GeoJSON file ended before its layer began",
            ));
        };
        encoder.end(&mut file)?;
        file.commit()
    }
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

thread_local! {
    /// PROJ transformations cannot move between threads and are slow to
    /// make (a national grid's layer needs hundreds of chunks): each worker
    /// thread keeps the one it made.
    static TO_WGS84: std::cell::RefCell<Option<(Epsg, Transform)>> =
        const { std::cell::RefCell::new(None) };
}

/// Runs `f` with this thread's transformation from `epsg` to WGS 84.
fn with_wgs84<T>(epsg: Epsg, f: impl FnOnce(&Transform) -> Result<T, Error>) -> Result<T, Error> {
    TO_WGS84.with_borrow_mut(|slot| {
        if !matches!(slot, Some((e, _)) if *e == epsg) {
            *slot = Some((epsg, Transform::to_wgs84(epsg)?));
        }
        match slot {
            Some((_, t)) => f(t),
            None => Err(Error::Crs(format!(
                "EPSG:{epsg}: no transformation to WGS 84"
            ))),
        }
    })
}

/// Streams one FeatureCollection into a writer: the head at `begin`, one
/// feature per line, in the order given, and the tail at `end`. The bytes
/// of a feature depend only on the feature, so batches, chunking and thread
/// count cannot change the output.
struct Encoder {
    epsg: Epsg,
    /// The fields' names as JSON strings.
    keys: Vec<String>,
    /// Chunk buffers written and free to encode into again.
    spare: std::sync::Mutex<Vec<Vec<u8>>>,
    /// No feature written yet.
    first: bool,
    /// The file, for messages.
    path: PathBuf,
}

impl Encoder {
    fn begin(schema: &LayerSchema<'_>, w: &mut dyn Write, path: &Path) -> Result<Self, Error> {
        let encoder = Encoder {
            epsg: schema.epsg,
            keys: schema.fields.iter().map(|f| json_string(&f.name)).collect(),
            spare: Default::default(),
            first: true,
            path: path.to_path_buf(),
        };
        writeln!(
            w,
            "{{\"type\":\"FeatureCollection\",\"name\":{},\"features\":[",
            json_string(schema.name)
        )
        .map_err(|e| encoder.io(e))?;
        Ok(encoder)
    }

    fn io(&self, e: std::io::Error) -> Error {
        Error::io(&self.path, e)
    }

    /// Encodes the features block by block, each in parallel chunks, and
    /// writes each block while the next one is encoded.
    fn features(&mut self, batch: &[Feature], w: &mut dyn Write) -> Result<(), Error> {
        let (epsg, keys) = (self.epsg, self.keys.clone());
        let spare = std::mem::take(&mut self.spare);
        let mut blocks = batch.chunks(block());
        let mut done = blocks.next().map(|b| encode_block(b, epsg, &keys, &spare));
        while let Some(encoded) = done.take() {
            let next = blocks.next();
            let mut coming = None;
            let written = rayon::in_place_scope(|scope| {
                if let Some(block) = next {
                    let (coming, keys, spare) = (&mut coming, &keys, &spare);
                    scope.spawn(move |_| *coming = Some(encode_block(block, epsg, keys, spare)));
                }
                self.write_block(encoded, w, &spare)
            });
            written?;
            done = coming;
        }
        self.spare = spare;
        Ok(())
    }

    /// Writes a block's encoded chunks in order, each buffer then kept in
    /// `spare` for a later chunk.
    fn write_block(
        &mut self,
        encoded: Vec<Result<Vec<u8>, Error>>,
        w: &mut dyn Write,
        spare: &std::sync::Mutex<Vec<Vec<u8>>>,
    ) -> Result<(), Error> {
        for chunk in encoded {
            let mut chunk = chunk?;
            if !self.first {
                w.write_all(b",\n").map_err(|e| self.io(e))?;
            }
            self.first = false;
            w.write_all(&chunk).map_err(|e| self.io(e))?;
            chunk.clear();
            if let Ok(mut spare) = spare.lock() {
                spare.push(chunk);
            }
        }
        Ok(())
    }

    fn end(self, w: &mut dyn Write) -> Result<(), Error> {
        w.write_all(b"\n]}\n").map_err(|e| self.io(e))
    }
}

/// A block of features encoded in parallel chunks of [`CHUNK`], each on a
/// worker with its own transformation to WGS 84, in order.
fn encode_block(
    block: &[Feature],
    epsg: Epsg,
    keys: &[String],
    spare: &std::sync::Mutex<Vec<Vec<u8>>>,
) -> Vec<Result<Vec<u8>, Error>> {
    block
        .par_chunks(CHUNK)
        .map(|chunk| {
            with_wgs84(epsg, |to_wgs84| {
                let mut buf = spare
                    .lock()
                    .ok()
                    .and_then(|mut s| s.pop())
                    .unwrap_or_else(|| Vec::with_capacity(chunk.len() * 512));
                let wgs84 = Wgs84::new(to_wgs84);
                for f in chunk {
                    if !buf.is_empty() {
                        buf.extend_from_slice(b",\n");
                    }
                    encode_feature(f, keys, &wgs84, &mut buf)?;
                }
                Ok(buf)
            })
        })
        .collect()
}

fn encode_feature(
    f: &Feature,
    keys: &[String],
    wgs84: &Wgs84,
    buf: &mut Vec<u8>,
) -> Result<(), Error> {
    buf.extend_from_slice(b"{\"type\":\"Feature\",\"id\":");
    encode_value(&f.id, buf);
    buf.extend_from_slice(b",\"geometry\":");
    match &f.geometry {
        // the common shapes written as they are transformed, into one ring
        // buffer: the bytes of `rfc7946` then `encode_geometry`
        geo::Geometry::Polygon(p) => {
            buf.extend_from_slice(b"{\"type\":\"Polygon\",\"coordinates\":");
            wgs84.encode_polygon(p, buf)?;
            buf.push(b'}');
        }
        geo::Geometry::MultiPolygon(m) => {
            buf.extend_from_slice(b"{\"type\":\"MultiPolygon\",\"coordinates\":[");
            for (i, p) in m.0.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                wgs84.encode_polygon(p, buf)?;
            }
            buf.extend_from_slice(b"]}");
        }
        g => encode_geometry(&wgs84.rfc7946(g)?, buf)?,
    }
    buf.extend_from_slice(b",\"properties\":{");
    for (i, (k, v)) in keys.iter().zip(&f.values).enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        buf.extend_from_slice(k.as_bytes());
        buf.push(b':');
        encode_value(v, buf);
    }
    buf.extend_from_slice(b"}}");
    Ok(())
}

fn encode_number(x: f64, buf: &mut Vec<u8>) {
    // serde_json's shortest round-trip form; NaN and infinities become null.
    let _ = serde_json::to_writer(&mut *buf, &x);
}

fn encode_value(v: &Value, buf: &mut Vec<u8>) {
    match v {
        Value::Null => buf.extend_from_slice(b"null"),
        Value::Integer(i) => {
            let _ = serde_json::to_writer(&mut *buf, i);
        }
        // + 0.0 turns −0 (an empty sum, a rounding) into 0: no "-0" in a table
        Value::Real(x) => encode_number(*x + 0.0, buf),
        Value::Text(s) => {
            let _ = serde_json::to_writer(&mut *buf, s);
        }
        Value::Boolean(b) => buf.extend_from_slice(if *b { b"true" } else { b"false" }),
    }
}

fn encode_position(c: geo::Coord<f64>, buf: &mut Vec<u8>) {
    buf.push(b'[');
    encode_number(c.x, buf);
    buf.push(b',');
    encode_number(c.y, buf);
    buf.push(b']');
}

fn encode_positions<'a>(coords: impl Iterator<Item = &'a geo::Coord<f64>>, buf: &mut Vec<u8>) {
    buf.push(b'[');
    for (i, c) in coords.enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        encode_position(*c, buf);
    }
    buf.push(b']');
}

fn encode_polygon(p: &geo::Polygon<f64>, buf: &mut Vec<u8>) {
    buf.push(b'[');
    encode_positions(p.exterior().coords(), buf);
    for ring in p.interiors() {
        buf.push(b',');
        encode_positions(ring.coords(), buf);
    }
    buf.push(b']');
}

fn encode_list<T>(items: &[T], buf: &mut Vec<u8>, each: impl Fn(&T, &mut Vec<u8>)) {
    buf.push(b'[');
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        each(x, buf);
    }
    buf.push(b']');
}

fn encode_geometry(g: &geo::Geometry<f64>, buf: &mut Vec<u8>) -> Result<(), Error> {
    let head = |kind: &str, buf: &mut Vec<u8>| {
        buf.extend_from_slice(b"{\"type\":\"");
        buf.extend_from_slice(kind.as_bytes());
        buf.extend_from_slice(b"\",\"coordinates\":");
    };
    match g {
        geo::Geometry::Point(p) => {
            head("Point", buf);
            encode_position(p.0, buf);
        }
        geo::Geometry::MultiPoint(m) => {
            head("MultiPoint", buf);
            encode_positions(m.0.iter().map(|p| &p.0), buf);
        }
        geo::Geometry::LineString(l) => {
            head("LineString", buf);
            encode_positions(l.coords(), buf);
        }
        geo::Geometry::MultiLineString(m) => {
            head("MultiLineString", buf);
            encode_list(&m.0, buf, |l, b| encode_positions(l.coords(), b));
        }
        geo::Geometry::Polygon(p) => {
            head("Polygon", buf);
            encode_polygon(p, buf);
        }
        geo::Geometry::MultiPolygon(m) => {
            head("MultiPolygon", buf);
            encode_list(&m.0, buf, encode_polygon);
        }
        other => return Err(Error::Crs(format!("cannot write a {other:?} as GeoJSON"))),
    }
    buf.push(b'}');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layer::{test_points as points, Feature, Field, FieldType, Value};
    #[allow(unused_imports)]
    use stratmap_core::Epsg;

    fn square(x: f64, y: f64, s: f64, clockwise: bool) -> geo::Geometry<f64> {
        let mut ring = vec![(x, y), (x + s, y), (x + s, y + s), (x, y + s), (x, y)];
        if clockwise {
            ring.reverse();
        }
        geo::Geometry::Polygon(geo::Polygon::new(ring.into(), vec![]))
    }

    /// The polygon fast path writes the bytes of the general one (transform,
    /// `orient`, encode) for rings of either direction, with holes, and in
    /// multipolygons.
    #[test]
    fn polygons_written_as_they_are_transformed_match_the_general_path() {
        let ring = |x: f64, y: f64, s: f64, cw: bool| {
            let mut r = vec![(x, y), (x + s, y), (x + s, y + s), (x, y + s), (x, y)];
            if cw {
                r.reverse();
            }
            geo::LineString::from(r)
        };
        let mut shapes = Vec::new();
        for outer_cw in [false, true] {
            for hole_cw in [false, true] {
                let p = geo::Polygon::new(
                    ring(674_000.0, 6_580_000.0, 1000.0, outer_cw),
                    vec![ring(674_250.0, 6_580_250.0, 250.0, hole_cw)],
                );
                let q = geo::Polygon::new(ring(676_000.0, 6_580_000.0, 250.0, !outer_cw), vec![]);
                shapes.push(geo::Geometry::Polygon(p.clone()));
                shapes.push(geo::Geometry::MultiPolygon(geo::MultiPolygon::new(vec![
                    p, q,
                ])));
            }
        }
        with_wgs84(Epsg(3006), |t| {
            for g in &shapes {
                let (fast, general) = (Wgs84::new(t), Wgs84::new(t));
                let f = Feature {
                    id: Value::Integer(1),
                    geometry: g.clone(),
                    values: vec![],
                };
                let mut a = Vec::new();
                encode_feature(&f, &[], &fast, &mut a)?;
                let mut b = Vec::new();
                encode_geometry(&general.rfc7946(g)?, &mut b)?;
                let (a, b) = (String::from_utf8(a).unwrap(), String::from_utf8(b).unwrap());
                assert!(a.contains(&format!("\"geometry\":{b},")), "{a}\n{b}");
            }
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn rfc7946_shape() {
        let layer = Layer {
            name: "t".into(),
            epsg: Epsg(3006),
            fields: vec![
                Field {
                    name: "cell_id".into(),
                    kind: FieldType::Text,
                },
                Field {
                    name: "n".into(),
                    kind: FieldType::Integer,
                },
                Field {
                    name: "v".into(),
                    kind: FieldType::Real,
                },
            ],
            features: vec![Feature {
                id: Value::Text("6740006580000".into()),
                geometry: square(674_000.0, 6_580_000.0, 250.0, true),
                values: vec![
                    Value::Text("6740006580000".into()),
                    Value::Integer(3),
                    Value::Null,
                ],
            }],
        };
        let text = String::from_utf8(geojson_bytes(&layer).unwrap()).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(v.get("crs").is_none());
        let f = &v["features"][0];
        assert_eq!(f["properties"]["n"], 3);
        assert!(f["properties"]["v"].is_null());
        let ring = f["geometry"]["coordinates"][0].as_array().unwrap();
        let pts: Vec<(f64, f64)> = ring
            .iter()
            .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
            .collect();
        assert_eq!(pts.first(), pts.last());
        // Shoelace: positive = counter-clockwise.
        let area2: f64 = pts
            .windows(2)
            .map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1)
            .sum();
        assert!(area2 > 0.0, "exterior ring must be counter-clockwise");
        // Stockholm-ish lon/lat, at most 7 decimals.
        assert!(
            (17.0..19.0).contains(&pts[0].0) && (59.0..60.0).contains(&pts[0].1),
            "{pts:?}"
        );
        for p in ring.iter().flat_map(|p| p.as_array().unwrap()) {
            let s = p.to_string();
            let decimals = s.split('.').nth(1).map_or(0, str::len);
            assert!(decimals <= 7, "{s}");
        }
    }

    fn signed_area(ring: &geo::LineString<f64>) -> f64 {
        ring.0
            .windows(2)
            .map(|w| w[0].x * w[1].y - w[1].x * w[0].y)
            .sum::<f64>()
            / 2.0
    }

    proptest::proptest! {
        /// Whatever the input orientation, the output exterior is
        /// counter-clockwise and holes clockwise, and positions keep ≤ 7 decimals.
        #[test]
        fn rings_are_oriented(cx in 300_000.0f64..900_000.0, cy in 6_200_000.0f64..7_600_000.0,
                              r in 50.0f64..5_000.0, n in 3usize..12, flip_outer: bool, flip_hole: bool) {
            let ring = |radius: f64, flip: bool| {
                let mut pts: Vec<(f64, f64)> = (0..n)
                    .map(|k| {
                        let a = std::f64::consts::TAU * k as f64 / n as f64;
                        (cx + radius * a.cos(), cy + radius * a.sin())
                    })
                    .collect();
                if flip {
                    pts.reverse();
                }
                pts.push(pts[0]);
                geo::LineString::from(pts)
            };
            let poly = geo::Polygon::new(ring(r, flip_outer), vec![ring(r / 3.0, flip_hole)]);
            let t = Transform::to_wgs84(Epsg(3006)).unwrap();
            let out = Wgs84::new(&t).rfc7946(&geo::Geometry::Polygon(poly)).unwrap();
            let geo::Geometry::Polygon(p) = out else { panic!("not a polygon") };
            proptest::prop_assert!(signed_area(p.exterior()) > 0.0);
            proptest::prop_assert!(signed_area(&p.interiors()[0]) < 0.0);
            for c in p.exterior().coords() {
                proptest::prop_assert_eq!(c.x, round7(c.x));
                proptest::prop_assert!((10.0..25.0).contains(&c.x) && (54.0..70.0).contains(&c.y));
            }
        }
    }

    #[test]
    fn remembered_corners_give_the_points_transformed_afresh() {
        // a 3 × 3 block of cells: inner corners are shared by four cells
        let t = Transform::to_wgs84(Epsg(3006)).unwrap();
        let shared = Wgs84::new(&t);
        for k in 0..9 {
            let (x, y) = (
                674_000.0 + f64::from(k % 3) * 250.0,
                6_580_000.0 + f64::from(k / 3) * 250.0,
            );
            let cell =
                geo::Geometry::Polygon(geo::Rect::new((x, y), (x + 250.0, y + 250.0)).to_polygon());
            let afresh = Wgs84::new(&t).rfc7946(&cell).unwrap();
            assert_eq!(shared.rfc7946(&cell).unwrap(), afresh);
            let geo::Geometry::Polygon(p) = afresh else {
                panic!("not a polygon")
            };
            let (lon, lat) = t.point(x, y).unwrap();
            assert!(p
                .exterior()
                .coords()
                .any(|c| *c == geo::coord! { x: round7(lon), y: round7(lat) }));
        }
        // 16 distinct corners, each transformed once
        assert_eq!(shared.seen.borrow().len(), 16);
    }

    #[test]
    fn the_sink_writes_the_same_bytes_however_the_features_come() {
        // more than PENDING, so that single features are encoded in two batches
        let layer = points("points", PENDING + 5);
        let want = geojson_bytes(&layer).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let whole = dir.path().join("whole.geojson");
        write_geojson(&layer, &whole).unwrap();
        assert!(std::fs::read(&whole).unwrap() == want);

        let one_by_one = dir.path().join("one_by_one.geojson");
        let mut sink = Box::new(GeoJsonSink::new(&one_by_one));
        sink.begin(&layer.schema()).unwrap();
        for f in &layer.features {
            sink.feature(f).unwrap();
        }
        assert!(!one_by_one.exists());
        sink.end().unwrap();
        assert!(std::fs::read(&one_by_one).unwrap() == want);

        let mixed = dir.path().join("mixed.geojson");
        let mut sink = Box::new(GeoJsonSink::new(&mixed));
        let f = &layer.features;
        sink.begin(&layer.schema()).unwrap();
        sink.features(&f[..3]).unwrap();
        sink.feature(&f[3]).unwrap();
        sink.features(&[]).unwrap();
        sink.features(&f[4..CHUNK + 7]).unwrap();
        sink.feature(&f[CHUNK + 7]).unwrap();
        sink.feature(&f[CHUNK + 8]).unwrap();
        sink.features(&f[CHUNK + 9..]).unwrap();
        sink.end().unwrap();
        assert!(std::fs::read(&mixed).unwrap() == want);

        let empty = points("points", 0);
        let path = dir.path().join("empty.geojson");
        write_geojson(&empty, &path).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"type\":\"FeatureCollection\",\"name\":\"points\",\"features\":[\n\n]}\n"
        );
    }

    #[test]
    fn a_sink_used_out_of_order_or_dropped_leaves_nothing() {
        let layer = points("points", 2);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.geojson");
        let mut sink = Box::new(GeoJsonSink::new(&path));
        assert!(sink.feature(&layer.features[0]).is_err());
        sink.begin(&layer.schema()).unwrap();
        sink.features(&layer.features).unwrap();
        let e = sink.begin(&layer.schema()).unwrap_err().to_string();
        assert!(e.contains("p.geojson") && e.contains("one layer"), "{e}");
        drop(sink);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        assert!(Box::new(GeoJsonSink::new(&path)).end().is_err());
        assert!(!path.exists());
    }

    #[test]
    fn round7_prints_short() {
        for v in [18.123456749999, 59.99999999, -0.00000005, 17.1] {
            let s = serde_json::to_string(&round7(v)).unwrap();
            assert!(s.split('.').nth(1).map_or(0, str::len) <= 7, "{s}");
        }
    }
}
