//! Vector tiles of a layer, without GDAL: Mapbox Vector Tiles 2.1 in an
//! MBTiles 1.3 file, zoom levels [`TILE_ZOOMS`], for `stratmap serve` and
//! any MBTiles reader (GDAL, QGIS, tile servers).
//!
//! The features are projected to Web Mercator once (PROJ, one transform
//! per thread); at each zoom level every feature is listed in each tile
//! its box reaches (the tile and a buffer around it), and the tiles are
//! made in parallel ([`clip`]: clipped exactly to the tile and buffer,
//! rounded to 4096 units a tile; [`mvt`]: encoded and gzip-compressed),
//! then inserted into the file in one fixed order ([`mbtiles`]), so the
//! same layer gives the same bytes on any number of threads. No feature
//! is simplified away: one wholly inside a tile but smaller than a tile
//! unit at a low zoom is drawn as a one-unit square. A part thinner than
//! a unit that only crosses a tile (a long thin area at zoom 8) can round
//! to nothing there and is then left out of that tile.

mod clip;
mod mbtiles;
mod mvt;

use crate::crs::Transform;
use crate::layer::{Feature, FieldType, GeometryKind, Layer};
use crate::{Epsg, Error};
use clip::{tiles_over, TileId, World, WorldShape};
use mbtiles::MbtilesFile;
use mvt::{TileSource, TileWriter};
use rayon::prelude::*;
use std::path::Path;

/// The zoom levels of [`write_mbtiles`]: 8 (a 250 m cell about a pixel
/// at 60° N: a county in one tile) to 14 (a cell about 50 pixels wide); a
/// viewer zooms in further on the level-14 tiles.
pub const TILE_ZOOMS: (u8, u8) = (8, 14);

/// Web Mercator, the CRS of the tiles.
const WEB_MERCATOR: Epsg = Epsg(3857);

/// Half the width of the Web Mercator world, metres (π · 6 378 137).
const HALF_WORLD: f64 = std::f64::consts::PI * 6_378_137.0;

/// Features projected by one transform (one a thread), and tiles made
/// between two inserts into the file: enough to keep the threads busy,
/// few enough to hold.
const FEATURES_AT_ONCE: usize = 4096;
const TILES_AT_ONCE: usize = 1024;

/// Writes one layer as Mapbox vector tiles (MVT 2.1, Web Mercator, zoom
/// levels [`TILE_ZOOMS`]) into an MBTiles file: one tile layer named as
/// the layer, every property kept with its type (integers, reals, text,
/// booleans; a null left out), tiles gzip-compressed as the MBTiles
/// specification has them, the metadata (bounds, centre, the fields in
/// `json`) as GDAL writes it. Points and polygons (multi or not); any
/// other geometry is refused. Built beside `path` and renamed into place;
/// the same layer gives the same bytes, whatever the number of threads.
///
/// ```
/// use stratmap_io::{Feature, Layer, Value};
/// use stratmap_io::{write_mbtiles, Epsg};
///
/// let layer = Layer {
///     name: "towers".into(),
///     epsg: Epsg::SWEREF99_TM,
///     fields: vec![],
///     features: vec![Feature {
///         id: Value::Integer(1),
///         geometry: geo::Point::new(674_000.0, 6_580_000.0).into(),
///         values: vec![],
///     }],
/// };
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("towers.mbtiles");
/// write_mbtiles(&layer, &path).unwrap();
/// let db = rusqlite::Connection::open(&path).unwrap();
/// let tiles: u32 = db
///     .query_row("SELECT count(*) FROM tiles", [], |r| r.get(0))
///     .unwrap();
/// assert_eq!(tiles, 7); // the point, in one tile at each of zoom 8 to 14
/// ```
pub fn write_mbtiles(layer: &Layer, path: &Path) -> Result<(), Error> {
    let (shapes, boxes): (Vec<WorldShape>, Vec<[f64; 4]>) =
        project(layer, path)?.into_iter().unzip();
    let file = MbtilesFile::create(path)?;
    file.metadata(&metadata(layer, &boxes))?;
    let source = TileSource {
        name: &layer.name,
        fields: &layer.fields,
        features: &layer.features,
        shapes: &shapes,
    };
    for z in TILE_ZOOMS.0..=TILE_ZOOMS.1 {
        let members = members(&boxes, z);
        let tiles: Vec<&[(u64, u32)]> = members.chunk_by(|a, b| a.0 == b.0).collect();
        // each batch is inserted while the next one is made
        let make = |batch: &[&[(u64, u32)]]| {
            batch
                .par_iter()
                .map_init(
                    || TileWriter::new(source),
                    |writer, m| {
                        let id = TileId {
                            z,
                            x: (m[0].0 >> 32) as u32,
                            y: m[0].0 as u32,
                        };
                        let members = m.iter().map(|&(_, i)| i as usize);
                        writer.tile(members, id).map(|b| (id, b))
                    },
                )
                .collect::<std::io::Result<Vec<_>>>()
        };
        let mut batches = tiles.chunks(TILES_AT_ONCE);
        let mut done = batches.next().map(make);
        while let Some(made) = done.take() {
            let next = batches.next();
            let mut coming = None;
            rayon::in_place_scope(|scope| {
                if let Some(batch) = next {
                    let coming = &mut coming;
                    scope.spawn(move |_| *coming = Some(make(batch)));
                }
                insert(&file, made.map_err(|e| Error::io(path, e))?)
            })?;
            done = coming;
        }
    }
    file.finish()
}

/// Inserts made tiles, in order (a tile with nothing in it is left out).
fn insert(file: &MbtilesFile, made: Vec<(TileId, Option<Vec<u8>>)>) -> Result<(), Error> {
    for (id, bytes) in made {
        if let Some(bytes) = bytes {
            file.tile(id.z, id.x, id.y, &bytes)?;
        }
    }
    Ok(())
}

/// Every (tile, feature) of zoom `z` where the feature's box reaches the
/// tile's window, the tile as `x << 32 | y`, sorted: the tiles in order,
/// each with its features in layer order.
fn members(boxes: &[[f64; 4]], z: u8) -> Vec<(u64, u32)> {
    let mut members: Vec<(u64, u32)> = boxes
        .par_iter()
        .enumerate()
        .flat_map_iter(|(i, &b)| {
            let (xs, ys) = tiles_over(b, z);
            xs.flat_map(move |x| {
                ys.clone()
                    .map(move |y| ((u64::from(x) << 32) | u64::from(y), i as u32))
            })
        })
        .collect();
    members.par_sort_unstable();
    members
}

/// Each feature's shape in world coordinates and its box `[xmin, ymin,
/// xmax, ymax]`, projected in parallel (PROJ transforms are not `Sync`:
/// one for each run of features).
fn project(layer: &Layer, path: &Path) -> Result<Vec<(WorldShape, [f64; 4])>, Error> {
    // an unknown CRS fails here, once, not in each thread
    Transform::new(layer.epsg, WEB_MERCATOR)?;
    let runs = layer
        .features
        .par_chunks(FEATURES_AT_ONCE)
        .map_init(
            || Transform::new(layer.epsg, WEB_MERCATOR),
            |t, run| {
                let t = t.as_ref().map_err(|e| Error::Crs(e.to_string()))?;
                run.iter()
                    .map(|f| world_shape(t, f, path))
                    .collect::<Result<Vec<_>, Error>>()
            },
        )
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(runs.into_iter().flatten().collect())
}

/// One feature's shape in world coordinates, and its box.
fn world_shape(t: &Transform, f: &Feature, path: &Path) -> Result<(WorldShape, [f64; 4]), Error> {
    let world = |c: &geo::Coord| -> Result<World, Error> {
        let (x, y) = t.point(c.x, c.y)?;
        Ok([(x / HALF_WORLD + 1.0) / 2.0, (1.0 - y / HALF_WORLD) / 2.0])
    };
    // open rings: the closing point is the first
    let ring = |l: &geo::LineString| -> Result<Vec<World>, Error> {
        let n = l.0.len() - usize::from(l.is_closed() && l.0.len() > 1);
        l.0[..n].iter().map(world).collect()
    };
    let polygon = |p: &geo::Polygon| -> Result<Vec<Vec<World>>, Error> {
        std::iter::once(p.exterior())
            .chain(p.interiors())
            .map(ring)
            .collect()
    };
    let shape = match &f.geometry {
        geo::Geometry::Point(p) => WorldShape::Points(vec![world(&p.0)?]),
        geo::Geometry::MultiPoint(m) => {
            WorldShape::Points(m.iter().map(|p| world(&p.0)).collect::<Result<_, _>>()?)
        }
        geo::Geometry::Polygon(p) => WorldShape::Polygons(vec![polygon(p)?]),
        geo::Geometry::MultiPolygon(m) => {
            WorldShape::Polygons(m.iter().map(polygon).collect::<Result<_, _>>()?)
        }
        geo::Geometry::Rect(r) => WorldShape::Polygons(vec![polygon(&r.to_polygon())?]),
        geo::Geometry::Triangle(r) => WorldShape::Polygons(vec![polygon(&r.to_polygon())?]),
        other => {
            return Err(Error::io(
                path,
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!(
                        "vector tiles take points and polygons, not a {} (feature {:?})",
                        geometry_name(other),
                        f.id
                    ),
                ),
            ))
        }
    };
    let mut b = NO_BOX;
    let mut widen = |p: &World| b = union(b, [p[0], p[1], p[0], p[1]]);
    match &shape {
        WorldShape::Points(points) => points.iter().for_each(&mut widen),
        WorldShape::Polygons(polygons) => polygons
            .iter()
            .filter_map(|rings| rings.first())
            .flatten()
            .for_each(&mut widen),
    }
    Ok((shape, b))
}

/// The box of nothing: `[xmin, ymin, xmax, ymax]` that any box widens.
const NO_BOX: [f64; 4] = [
    f64::INFINITY,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NEG_INFINITY,
];

/// The smallest box holding both `[xmin, ymin, xmax, ymax]` boxes.
fn union(a: [f64; 4], b: [f64; 4]) -> [f64; 4] {
    [
        a[0].min(b[0]),
        a[1].min(b[1]),
        a[2].max(b[2]),
        a[3].max(b[3]),
    ]
}

fn geometry_name(g: &geo::Geometry) -> &'static str {
    match g {
        geo::Geometry::Line(_) | geo::Geometry::LineString(_) => "line",
        geo::Geometry::MultiLineString(_) => "multiline",
        _ => "geometry collection",
    }
}

/// The metadata rows, in GDAL's order: name, description, version,
/// zoom levels, centre, bounds (lon/lat, 7 decimals), type, format,
/// scheme and `json` (the tile layer with its fields' types, and its
/// feature count as tilestats).
fn metadata(layer: &Layer, boxes: &[[f64; 4]]) -> Vec<(&'static str, String)> {
    let (min, max) = TILE_ZOOMS;
    let world = boxes.iter().fold(NO_BOX, |a, b| union(a, *b));
    let [w, n, e, s] = if world[0] <= world[2] {
        let lon = |x: f64| x.clamp(0.0, 1.0) * 360.0 - 180.0;
        let lat = |y: f64| {
            (std::f64::consts::PI * (1.0 - 2.0 * y.clamp(0.0, 1.0)))
                .sinh()
                .atan()
                .to_degrees()
        };
        [lon(world[0]), lat(world[1]), lon(world[2]), lat(world[3])]
    } else {
        [-180.0, 85.051_128_8, 180.0, -85.051_128_8]
    };
    let (number, text, boolean) = ("Number", "String", "Boolean");
    let kind = |k: FieldType| match k {
        FieldType::Integer | FieldType::Real => number,
        FieldType::Text => text,
        FieldType::Boolean => boolean,
    };
    let fields: serde_json::Map<String, serde_json::Value> = layer
        .fields
        .iter()
        .map(|f| (f.name.clone(), kind(f.kind).into()))
        .collect();
    let attributes: Vec<serde_json::Value> = layer
        .fields
        .iter()
        .map(|f| serde_json::json!({"attribute": f.name, "type": kind(f.kind).to_lowercase()}))
        .collect();
    let geometry = match layer.schema().geometry {
        GeometryKind::Point => "Point",
        GeometryKind::Polygon | GeometryKind::MultiPolygon => "Polygon",
        GeometryKind::Unknown => "Unknown",
    };
    let json = serde_json::json!({
        "vector_layers": [{
            "id": layer.name,
            "description": "",
            "minzoom": min,
            "maxzoom": max,
            "fields": fields,
        }],
        "tilestats": {
            "layerCount": 1,
            "layers": [{
                "layer": layer.name,
                "count": layer.features.len(),
                "geometry": geometry,
                "attributeCount": layer.fields.len(),
                "attributes": attributes,
            }],
        },
    });
    vec![
        ("name", layer.name.clone()),
        ("description", format!("stratmap {}", layer.name)),
        ("version", "2".into()),
        ("minzoom", min.to_string()),
        ("maxzoom", max.to_string()),
        (
            "center",
            format!("{:.7},{:.7},{min}", (w + e) / 2.0, (s + n) / 2.0),
        ),
        ("bounds", format!("{w:.7},{s:.7},{e:.7},{n:.7}")),
        ("type", "overlay".into()),
        ("format", "pbf".into()),
        ("scheme", "tms".into()),
        ("json", json.to_string()),
    ]
}

#[cfg(test)]
mod tests;
