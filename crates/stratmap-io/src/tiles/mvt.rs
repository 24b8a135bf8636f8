//! One tile's bytes: the features that reach it, as one MVT 2.1 layer
//! (the protobuf types and the geometry commands are geozero's), their
//! properties as keys and typed values shared by the tile's features,
//! gzip-compressed as MBTiles holds them.

use super::clip::{shape_in_tile, TileId, TileShape, Whole, WorldShape, EXTENT};
use crate::layer::{Feature, Field, Value};
use flate2::{Compress, Compression, Crc, FlushCompress, Status};
use geozero::mvt::tile::GeomType;
use geozero::mvt::{tile, TileValue};
use prost::encoding::{self, WireType};
use rustc_hash::FxHashMap;
use std::collections::hash_map::Entry;

/// What a tile is made from: the layer's name, fields and features, and
/// each feature's shape in world coordinates.
#[derive(Clone, Copy)]
pub(crate) struct TileSource<'a> {
    /// The MVT layer's name.
    pub name: &'a str,
    /// The properties, in order.
    pub fields: &'a [Field],
    /// The features, each with one value per field.
    pub features: &'a [Feature],
    /// Each feature's shape, by index.
    pub shapes: &'a [WorldShape],
}

/// What a run of tiles on one thread (a rayon job) reuses from tile to
/// tile: the tile's key and value tables, the protobuf of its layer and
/// the deflate state, so that a tile of a few features costs no more than
/// their encoding.
pub(crate) struct TileWriter<'a> {
    source: TileSource<'a>,
    tags: Tags<'a>,
    /// The layer message being written: its name, then its features.
    layer: Vec<u8>,
    /// A feature's tags and geometry commands, before they are encoded.
    tag_list: Vec<u32>,
    geometry: Vec<u32>,
    /// The tile message (the layer in it), before gzip.
    raw: Vec<u8>,
    deflate: Compress,
}

/// gzip's header as flate2's `GzEncoder` writes it at level 1: no name,
/// no time (the same tile, the same bytes), "fastest" and an unknown OS.
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 255];

impl<'a> TileWriter<'a> {
    pub(crate) fn new(source: TileSource<'a>) -> Self {
        TileWriter {
            source,
            tags: Tags::new(source.fields.len()),
            layer: Vec::new(),
            tag_list: Vec::new(),
            geometry: Vec::new(),
            raw: Vec::new(),
            // gzip holds raw deflate. Level 1: a tile is mostly doubles,
            // and deflate's default level makes the national file 6 %
            // smaller for twice the time.
            deflate: Compress::new(Compression::fast(), false),
        }
    }

    /// The gzip-compressed MVT of tile `id` with the features `members`
    /// (indices into the source, in layer order); `None` when none of
    /// them reaches the tile. The same members give the same bytes, which
    /// decode to those of the tile as one `Tile` message of geozero's
    /// types encoded by prost (a test holds them to it); the gzip header is
    /// `GzEncoder`'s, the deflate stream one final block.
    pub(crate) fn tile(
        &mut self,
        members: impl Iterator<Item = usize>,
        id: TileId,
    ) -> std::io::Result<Option<Vec<u8>>> {
        let source = self.source;
        self.tags.clear();
        self.layer.clear();
        // prost writes a message's fields in the order of their numbers:
        // name (1), features (2), keys (3), values (4), extent (5),
        // version (15)
        text(1, source.name, &mut self.layer);
        let mut any = false;
        for i in members {
            let Some(shape) = shape_in_tile(&source.shapes[i], id) else {
                continue;
            };
            let f = &source.features[i];
            let id = match f.id {
                Value::Integer(n) => u64::try_from(n).ok(),
                _ => None,
            };
            self.tag_list.clear();
            self.tags.add(source.fields, &f.values, &mut self.tag_list);
            let kind = commands(&shape, &mut self.geometry);
            encode_feature(id, &self.tag_list, kind, &self.geometry, &mut self.layer);
            any = true;
        }
        if !any {
            return Ok(None);
        }
        for key in &self.tags.keys {
            text(3, key, &mut self.layer);
        }
        self.layer.extend_from_slice(&self.tags.values);
        encoding::uint32::encode(5, &EXTENT, &mut self.layer);
        encoding::uint32::encode(15, &2, &mut self.layer);
        // the tile: its one layer (field 3)
        self.raw.clear();
        encoding::encode_key(3, WireType::LengthDelimited, &mut self.raw);
        encoding::encode_varint(self.layer.len() as u64, &mut self.raw);
        self.raw.extend_from_slice(&self.layer);
        self.gzip().map(Some)
    }

    /// `raw` gzipped: the header, raw deflate, the CRC-32 and length.
    fn gzip(&mut self) -> std::io::Result<Vec<u8>> {
        let raw = &self.raw;
        let mut out = Vec::with_capacity(GZIP_HEADER.len() + raw.len() / 2 + 64);
        out.extend_from_slice(&GZIP_HEADER);
        self.deflate.reset();
        loop {
            let read = self.deflate.total_in() as usize;
            if out.len() == out.capacity() {
                out.reserve(out.capacity() / 2 + 64);
            }
            let status = self
                .deflate
                .compress_vec(&raw[read..], &mut out, FlushCompress::Finish)
                .map_err(std::io::Error::other)?;
            if status == Status::StreamEnd {
                break;
            }
        }
        let mut crc = Crc::new();
        crc.update(raw);
        out.extend_from_slice(&crc.sum().to_le_bytes());
        out.extend_from_slice(&(raw.len() as u32).to_le_bytes());
        Ok(out)
    }
}

/// A feature's message (the layer's field 2) as prost writes geozero's
/// `tile::Feature`: id, tags, type and geometry, in the order of their
/// numbers, the empty lists left out.
fn encode_feature(
    id: Option<u64>,
    tags: &[u32],
    kind: GeomType,
    geometry: &[u32],
    buf: &mut Vec<u8>,
) {
    use encoding::{int32, uint32, uint64};
    let kind = kind as i32;
    let len = id.map_or(0, |id| uint64::encoded_len(1, &id))
        + uint32::encoded_len_packed(2, tags)
        + int32::encoded_len(3, &kind)
        + uint32::encoded_len_packed(4, geometry);
    encoding::encode_key(2, WireType::LengthDelimited, buf);
    encoding::encode_varint(len as u64, buf);
    if let Some(id) = id {
        uint64::encode(1, &id, buf);
    }
    uint32::encode_packed(2, tags, buf);
    int32::encode(3, &kind, buf);
    uint32::encode_packed(4, geometry, buf);
}

/// A tile shape's geometry commands (MVT 2.1 §4.3) into `out`, as
/// geozero's `MvtWriter` writes them for the same shape (a test holds
/// them to it): a point or several as one MoveTo; each ring as MoveTo,
/// LineTo its other points and ClosePath, the cursor carried from ring to
/// ring; coordinates as zigzag deltas. Its geometry type.
fn commands(shape: &TileShape, out: &mut Vec<u32>) -> GeomType {
    const MOVE_TO: u32 = 1;
    const LINE_TO: u32 = 2;
    const CLOSE_PATH: u32 = 7;
    let command = |id: u32, count: usize| id | ((count as u32) << 3);
    let zigzag = |n: i32| ((n << 1) ^ (n >> 31)) as u32;
    let mut cursor = [0i32; 2];
    let mut to = |out: &mut Vec<u32>, p: &Whole| {
        out.push(zigzag(p[0].saturating_sub(cursor[0])));
        out.push(zigzag(p[1].saturating_sub(cursor[1])));
        cursor = *p;
    };
    out.clear();
    match shape {
        TileShape::Points(points) => {
            out.push(command(MOVE_TO, points.len()));
            for p in points {
                to(out, p);
            }
            GeomType::Point
        }
        TileShape::Polygons(polygons) => {
            for ring in polygons.iter().flatten() {
                let Some((first, rest)) = ring.split_first() else {
                    continue;
                };
                out.push(command(MOVE_TO, 1));
                to(out, first);
                out.push(command(LINE_TO, rest.len()));
                for p in rest {
                    to(out, p);
                }
                out.push(command(CLOSE_PATH, 1));
            }
            GeomType::Polygon
        }
    }
}

/// A string field, as prost writes one.
fn text(tag: u32, s: &str, buf: &mut Vec<u8>) {
    encoding::encode_key(tag, WireType::LengthDelimited, buf);
    encoding::encode_varint(s.len() as u64, buf);
    buf.extend_from_slice(s.as_bytes());
}

/// The keys and values of one tile, each once, in the order first used;
/// a feature's tags are pairs of indices into them. A null is left out
/// (MVT has no null).
struct Tags<'a> {
    keys: Vec<&'a str>,
    /// Each field's index in `keys`, once used.
    key_of: Vec<Option<u32>>,
    /// The values, each as the layer's field 4 (a `Value` message).
    values: Vec<u8>,
    value_of: FxHashMap<ValueKey<'a>, u32>,
}

/// A property value as a key of the tile's value table (a real by its
/// bits, −0 as 0).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum ValueKey<'a> {
    Text(&'a str),
    Integer(i64),
    Real(u64),
    Boolean(bool),
}

impl<'a> Tags<'a> {
    fn new(fields: usize) -> Self {
        Tags {
            keys: Vec::new(),
            key_of: vec![None; fields],
            values: Vec::new(),
            value_of: FxHashMap::default(),
        }
    }

    /// Empties the tables for the next tile, keeping their room.
    fn clear(&mut self) {
        self.keys.clear();
        self.key_of.fill(None);
        self.values.clear();
        self.value_of.clear();
    }

    /// Adds a feature's values, and its tags to `tags`.
    fn add(&mut self, fields: &'a [Field], values: &'a [Value], tags: &mut Vec<u32>) {
        for ((field, value), key_of) in fields.iter().zip(values).zip(&mut self.key_of) {
            let v = match *value {
                Value::Null => continue,
                Value::Text(ref s) => ValueKey::Text(s),
                Value::Integer(n) => ValueKey::Integer(n),
                Value::Real(x) => ValueKey::Real((x + 0.0).to_bits()),
                Value::Boolean(b) => ValueKey::Boolean(b),
            };
            let k = *key_of.get_or_insert_with(|| {
                self.keys.push(&field.name);
                (self.keys.len() - 1) as u32
            });
            let next = self.value_of.len() as u32;
            let v = match self.value_of.entry(v) {
                Entry::Occupied(e) => *e.get(),
                Entry::Vacant(e) => {
                    encoding::message::encode(4, &tile_value(v), &mut self.values);
                    *e.insert(next)
                }
            };
            tags.extend([k, v]);
        }
    }
}

/// The MVT value: string, double, int or bool.
fn tile_value(v: ValueKey<'_>) -> tile::Value {
    match v {
        ValueKey::Text(s) => TileValue::Str(s.to_string()),
        ValueKey::Integer(n) => TileValue::Int(n),
        ValueKey::Real(bits) => TileValue::Double(f64::from_bits(bits)),
        ValueKey::Boolean(b) => TileValue::Bool(b),
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layer::FieldType;
    use flate2::read::GzDecoder;
    use geozero::mvt::{Message, Tile};
    use geozero::{GeomProcessor, GeozeroGeometry, ToMvt};
    use std::io::Read;

    /// A tile shape (in tile units) as geozero reads a `geo` geometry (the same calls, so the
    /// same commands), without building one: a point or a polygon alone is
    /// tagged, several are a multipoint or multipolygon; each open ring is
    /// given closed, its first point again at its end (geozero writes a ring as
    /// MoveTo, LineTo and ClosePath, the closing point left out).
    impl GeozeroGeometry for TileShape {
        fn process_geom<P: GeomProcessor>(&self, p: &mut P) -> geozero::error::Result<()> {
            let xy = |p: &mut P, q: &Whole, i: usize| p.xy(f64::from(q[0]), f64::from(q[1]), i);
            let polygon = |p: &mut P, rings: &Vec<Vec<Whole>>, tagged: bool, idx: usize| {
                p.polygon_begin(tagged, rings.len(), idx)?;
                for (r, ring) in rings.iter().enumerate() {
                    p.linestring_begin(false, ring.len() + 1, r)?;
                    for (i, q) in ring.iter().chain(ring.first()).enumerate() {
                        xy(p, q, i)?;
                    }
                    p.linestring_end(false, r)?;
                }
                p.polygon_end(tagged, idx)
            };
            match self {
                TileShape::Points(points) if points.len() == 1 => {
                    p.point_begin(0)?;
                    xy(p, &points[0], 0)?;
                    p.point_end(0)
                }
                TileShape::Points(points) => {
                    p.multipoint_begin(points.len(), 0)?;
                    for (i, q) in points.iter().enumerate() {
                        xy(p, q, i)?;
                    }
                    p.multipoint_end(0)
                }
                TileShape::Polygons(polygons) if polygons.len() == 1 => {
                    polygon(p, &polygons[0], true, 0)
                }
                TileShape::Polygons(polygons) => {
                    p.multipolygon_begin(polygons.len(), 0)?;
                    for (i, rings) in polygons.iter().enumerate() {
                        polygon(p, rings, false, i)?;
                    }
                    p.multipolygon_end(0)
                }
            }
        }
    }

    /// The next draw of a 64-bit linear congruential generator (Knuth's
    /// MMIX constants): the tests' shapes and bytes, the same on every run.
    fn draw(state: &mut u64) -> u64 {
        *state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *state
    }

    fn decode(bytes: &[u8]) -> Tile {
        let mut raw = Vec::new();
        GzDecoder::new(bytes).read_to_end(&mut raw).unwrap();
        Tile::decode(raw.as_slice()).unwrap()
    }

    fn field(name: &str, kind: FieldType) -> Field {
        Field {
            name: name.into(),
            kind,
        }
    }

    #[test]
    fn a_square_and_its_properties_encode_as_the_spec_has_them() {
        // world tile 0/0/0: a world point is its units / 4096
        let w = |x: f64, y: f64| [x / 4096.0, y / 4096.0];
        let shapes = [
            WorldShape::Polygons(vec![vec![vec![w(3.0, 6.0), w(8.0, 12.0), w(20.0, 34.0)]]]),
            WorldShape::Points(vec![w(25.0, 17.0)]),
        ];
        let features = [
            Feature {
                id: Value::Integer(7),
                geometry: geo::Point::new(0.0, 0.0).into(),
                values: vec![
                    Value::Text("a".into()),
                    Value::Real(-0.0),
                    Value::Null,
                    Value::Boolean(true),
                ],
            },
            Feature {
                id: Value::Text("x".into()),
                geometry: geo::Point::new(0.0, 0.0).into(),
                values: vec![
                    Value::Text("a".into()),
                    Value::Real(0.0),
                    Value::Integer(-3),
                    Value::Null,
                ],
            },
        ];
        let fields = [
            field("name", FieldType::Text),
            field("index", FieldType::Real),
            field("n", FieldType::Integer),
            field("kept", FieldType::Boolean),
        ];
        let source = TileSource {
            name: "cells",
            fields: &fields,
            features: &features,
            shapes: &shapes,
        };
        let bytes = TileWriter::new(source)
            .tile(0..2, TileId { z: 0, x: 0, y: 0 })
            .unwrap()
            .unwrap();
        assert_eq!(&bytes[..2], b"\x1f\x8b");
        let tile = decode(&bytes);
        let layer = &tile.layers[0];
        assert_eq!((layer.version, layer.name.as_str()), (2, "cells"));
        assert_eq!(layer.extent, Some(4096));
        // keys in the order used; the null `n` of the first feature and the
        // null `kept` of the second are left out
        assert_eq!(layer.keys, ["name", "index", "kept", "n"]);
        let values: Vec<TileValue> = layer
            .values
            .iter()
            .map(|v| TileValue::try_from(v.clone()).unwrap())
            .collect();
        assert_eq!(
            values,
            [
                TileValue::Str("a".into()),
                TileValue::Double(0.0),
                TileValue::Bool(true),
                TileValue::Int(-3),
            ]
        );
        let (a, b) = (&layer.features[0], &layer.features[1]);
        assert_eq!(a.id, Some(7));
        assert_eq!(b.id, None);
        assert_eq!(a.tags, [0, 0, 1, 1, 2, 2]);
        assert_eq!(b.tags, [0, 0, 1, 1, 3, 3]);
        // MVT 2.1 §4.3.5.7's polygon, clockwise already: MoveTo(3, 6),
        // LineTo(+5, +6), (+12, +22), ClosePath
        assert_eq!(a.r#type, Some(tile::GeomType::Polygon as i32));
        assert_eq!(a.geometry, [9, 6, 12, 18, 10, 12, 24, 44, 15]);
        // §4.3.5.1's point: MoveTo(25, 17)
        assert_eq!(b.r#type, Some(tile::GeomType::Point as i32));
        assert_eq!(b.geometry, [9, 50, 34]);
    }

    #[test]
    fn a_tile_no_feature_reaches_is_none() {
        let shapes = [WorldShape::Points(vec![[0.9, 0.9]])];
        let features = [Feature {
            id: Value::Integer(1),
            geometry: geo::Point::new(0.0, 0.0).into(),
            values: vec![],
        }];
        let source = TileSource {
            name: "p",
            fields: &[],
            features: &features,
            shapes: &shapes,
        };
        let mut writer = TileWriter::new(source);
        assert_eq!(
            writer.tile(0..1, TileId { z: 1, x: 0, y: 0 }).unwrap(),
            None
        );
        assert!(writer
            .tile(0..1, TileId { z: 1, x: 1, y: 1 })
            .unwrap()
            .is_some());
    }

    /// The old path, kept as the reference: the shape as a `geo` geometry
    /// (geo closes each ring) through geozero.
    fn via_geo(shape: &TileShape) -> tile::Feature {
        let coord = |p: &Whole| geo::Coord {
            x: f64::from(p[0]),
            y: f64::from(p[1]),
        };
        let ring = |r: &Vec<Whole>| geo::LineString::from(r.iter().map(coord).collect::<Vec<_>>());
        let polygon = |rings: &Vec<Vec<Whole>>| {
            geo::Polygon::new(ring(&rings[0]), rings[1..].iter().map(ring).collect())
        };
        let g: geo::Geometry = match shape {
            TileShape::Points(points) if points.len() == 1 => {
                geo::Point::from(coord(&points[0])).into()
            }
            TileShape::Points(points) => geo::MultiPoint::from(
                points
                    .iter()
                    .map(|p| geo::Point::from(coord(p)))
                    .collect::<Vec<_>>(),
            )
            .into(),
            TileShape::Polygons(polygons) if polygons.len() == 1 => polygon(&polygons[0]).into(),
            TileShape::Polygons(polygons) => {
                geo::MultiPolygon(polygons.iter().map(polygon).collect()).into()
            }
        };
        g.to_mvt_unscaled().unwrap()
    }

    #[test]
    fn shapes_encode_as_geozero_encodes_their_geo_geometries() {
        let mut state = 11u64;
        let mut next = |n: i32| ((draw(&mut state) >> 33) % n as u64) as i32 - n / 4;
        for case in 0..400 {
            let mut ring = |len: usize| {
                (0..len)
                    .map(|_| [next(5000), next(5000)])
                    .collect::<Vec<Whole>>()
            };
            let shape = match case % 4 {
                0 => TileShape::Points(vec![ring(1)[0]]),
                1 => TileShape::Points(ring(1 + case % 5)),
                2 => TileShape::Polygons(vec![vec![ring(3 + case % 6)]]),
                _ => TileShape::Polygons(
                    (0..1 + case % 3)
                        .map(|k| {
                            (0..1 + (case + k) % 3)
                                .map(|h| ring(3 + h + case % 4))
                                .collect()
                        })
                        .collect(),
                ),
            };
            let reference = via_geo(&shape);
            let mut ours = vec![7; 3];
            let kind = commands(&shape, &mut ours);
            assert_eq!(ours, reference.geometry, "{shape:?}");
            assert_eq!(Some(kind as i32), reference.r#type, "{shape:?}");
            // the reference tiles' path gives the same as geo's
            assert_eq!(shape.to_mvt_unscaled().unwrap(), reference, "{shape:?}");
        }
    }

    /// The tile as the types' own encoding has it: a `Tile` of geozero's
    /// prost types, its value table deduplicated by a linear search
    /// (reals by their bits, −0 as 0).
    fn reference_tile(source: TileSource<'_>, members: &[usize], id: TileId) -> Option<Vec<u8>> {
        let (mut keys, mut values) = (Vec::<String>::new(), Vec::<TileValue>::new());
        let mut features = Vec::new();
        for &i in members {
            let Some(shape) = shape_in_tile(&source.shapes[i], id) else {
                continue;
            };
            let mut feature = shape.to_mvt_unscaled().unwrap();
            let f = &source.features[i];
            feature.id = match f.id {
                Value::Integer(n) => u64::try_from(n).ok(),
                _ => None,
            };
            for (field, value) in source.fields.iter().zip(&f.values) {
                let v = match value {
                    Value::Null => continue,
                    Value::Text(s) => TileValue::Str(s.clone()),
                    Value::Integer(n) => TileValue::Int(*n),
                    Value::Real(x) => TileValue::Double(x + 0.0),
                    Value::Boolean(b) => TileValue::Bool(*b),
                };
                let same = |a: &TileValue| match (a, &v) {
                    (TileValue::Double(a), TileValue::Double(b)) => a.to_bits() == b.to_bits(),
                    (a, b) => a == b,
                };
                let k = keys
                    .iter()
                    .position(|k| *k == field.name)
                    .unwrap_or_else(|| {
                        keys.push(field.name.clone());
                        keys.len() - 1
                    });
                let v = values.iter().position(same).unwrap_or_else(|| {
                    values.push(v.clone());
                    values.len() - 1
                });
                feature.tags.extend([k as u32, v as u32]);
            }
            features.push(feature);
        }
        if features.is_empty() {
            return None;
        }
        let layer = tile::Layer {
            version: 2,
            name: source.name.to_string(),
            features,
            keys,
            values: values.into_iter().map(Into::into).collect(),
            extent: Some(EXTENT),
        };
        Some(
            Tile {
                layers: vec![layer],
            }
            .encode_to_vec(),
        )
    }

    #[test]
    fn tiles_one_writer_makes_in_turn_are_the_types_own_encoding_gzipped() {
        let mut state = 5u64;
        let mut next = |n: u64| (draw(&mut state) >> 33) % n;
        let fields = [
            field("name", FieldType::Text),
            field("index", FieldType::Real),
            field("n", FieldType::Integer),
            field("kept", FieldType::Boolean),
            field("share", FieldType::Real),
        ];
        // 300 features in world tile 0/0/0, values drawn from a few so
        // that tiles share some; ids of every kind
        let mut shapes = Vec::new();
        let mut features = Vec::new();
        for i in 0..300u64 {
            let mut p = || [next(4000) as f64 / 4096.0, next(4000) as f64 / 4096.0];
            shapes.push(if i % 3 == 0 {
                WorldShape::Points(vec![p(), p()][..1 + (i % 2) as usize].to_vec())
            } else {
                let [x, y] = p();
                let d = (1 + next(60)) as f64 / 4096.0;
                WorldShape::Polygons(vec![vec![vec![[x, y], [x + d, y], [x + d, y + d]]]])
            });
            let value = |k: u64, v: Value| if k == 0 { Value::Null } else { v };
            features.push(Feature {
                id: match i % 4 {
                    0 => Value::Integer(i as i64),
                    1 => Value::Integer(-1),
                    2 => Value::Text("a".into()),
                    _ => Value::Null,
                },
                geometry: geo::Point::new(0.0, 0.0).into(),
                values: vec![
                    value(next(5), Value::Text(format!("t{}", next(4)))),
                    value(
                        next(5),
                        Value::Real([0.0, -0.0, 0.5, 1e300][next(4) as usize]),
                    ),
                    value(next(5), Value::Integer(next(3) as i64 - 1)),
                    value(next(5), Value::Boolean(next(2) == 0)),
                    value(next(5), Value::Real(next(1000) as f64 / 7.0)),
                ],
            });
        }
        let source = TileSource {
            name: "cells",
            fields: &fields,
            features: &features,
            shapes: &shapes,
        };
        let mut writer = TileWriter::new(source);
        // the four tiles of zoom 1 and the world tile, one writer for all,
        // each from a different run of the features
        for (k, id) in [(1, 0, 0), (1, 1, 0), (0, 0, 0), (1, 0, 1), (1, 1, 1)]
            .into_iter()
            .enumerate()
        {
            let id = TileId {
                z: id.0,
                x: id.1,
                y: id.2,
            };
            let members: Vec<usize> = (k * 20..300).step_by(1 + k).collect();
            let ours = writer.tile(members.iter().copied(), id).unwrap();
            let reference = reference_tile(source, &members, id);
            match (ours, reference) {
                (Some(ours), Some(reference)) => {
                    let mut raw = Vec::new();
                    let mut gz = GzDecoder::new(ours.as_slice());
                    gz.read_to_end(&mut raw).unwrap();
                    assert_eq!(raw, reference, "tile {id:?}");
                    assert_eq!(gz.header().unwrap().mtime(), 0);
                    // GzEncoder's header at level 1
                    let mut gz = flate2::write::GzEncoder::new(Vec::new(), Compression::fast());
                    std::io::Write::write_all(&mut gz, b"x").unwrap();
                    assert_eq!(ours[..10], gz.finish().unwrap()[..10]);
                }
                (ours, reference) => {
                    assert!(ours.is_none() && reference.is_none(), "tile {id:?}")
                }
            }
        }
    }

    #[test]
    fn gzip_of_what_does_not_compress_grows_its_buffer_and_decodes() {
        let source = TileSource {
            name: "p",
            fields: &[],
            features: &[],
            shapes: &[],
        };
        let mut writer = TileWriter::new(source);
        let mut state = 3u64;
        for len in [0, 1, 200, 100_000] {
            writer.raw = (0..len).map(|_| (draw(&mut state) >> 56) as u8).collect();
            let bytes = writer.gzip().unwrap();
            // random bytes do not shrink: more than the first guess of room
            assert!(len < 200 || bytes.len() > len / 2 + 64 + 10);
            let mut raw = Vec::new();
            GzDecoder::new(bytes.as_slice())
                .read_to_end(&mut raw)
                .unwrap();
            assert_eq!(raw, writer.raw, "{len} bytes");
        }
    }
}
