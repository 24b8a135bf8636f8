use super::*;
use crate::layer::{Field, Value};
use flate2::read::GzDecoder;
use geozero::mvt::{Message, Tile};
use std::collections::BTreeSet;
use std::io::Read;

fn field(name: &str, kind: FieldType) -> Field {
    Field {
        name: name.into(),
        kind,
    }
}

/// `n` 250 m cells of SWEREF 99 TM in rows of 40 near Uppsala, the rows
/// 1 250 m apart, with a value of each type (and nulls).
fn cells(n: i64) -> Layer {
    let features = (0..n)
        .map(|k| {
            let x = 640_000.0 + (k % 40) as f64 * 250.0;
            let y = 6_630_000.0 + (k / 40) as f64 * 1_250.0;
            let square = geo::Polygon::new(
                geo::LineString::from(vec![
                    (x, y),
                    (x + 250.0, y),
                    (x + 250.0, y + 250.0),
                    (x, y + 250.0),
                    (x, y),
                ]),
                vec![],
            );
            Feature {
                id: Value::Integer(k),
                geometry: square.into(),
                values: vec![
                    Value::Integer(k),
                    if k % 7 == 0 {
                        Value::Null
                    } else {
                        Value::Real(k as f64 / 8.0 - 20.0)
                    },
                    Value::Text(format!("class {}", k % 5 + 1)),
                    Value::Boolean(k % 3 == 0),
                ],
            }
        })
        .collect();
    Layer {
        name: "cells".into(),
        epsg: Epsg::SWEREF99_TM,
        fields: vec![
            field("n", FieldType::Integer),
            field("index", FieldType::Real),
            field("class", FieldType::Text),
            field("kept", FieldType::Boolean),
        ],
        features,
    }
}

/// Tile (x, y) of zoom 14 is `TILE` metres of Web Mercator wide; its
/// centre in EPSG:3857.
const TILE: f64 = 2.0 * HALF_WORLD / 16_384.0;

fn centre_of(x: u32, y: u32) -> (f64, f64) {
    (
        -HALF_WORLD + (f64::from(x) + 0.5) * TILE,
        HALF_WORLD - (f64::from(y) + 0.5) * TILE,
    )
}

/// Three 250 m squares and two points in Web Mercator, each at the centre
/// of its own zoom-14 tile: one feature per tile.
fn centred() -> Layer {
    let square = |(x, y): (f64, f64)| -> geo::Geometry {
        geo::Rect::new((x - 125.0, y - 125.0), (x + 125.0, y + 125.0))
            .to_polygon()
            .into()
    };
    let geometries: Vec<geo::Geometry> = vec![
        square(centre_of(9010, 4800)),
        square(centre_of(9011, 4800)),
        square(centre_of(9013, 4805)),
        geo::Point::from(centre_of(9020, 4790)).into(),
        geo::Point::from(centre_of(9000, 4790)).into(),
    ];
    Layer {
        name: "centred".into(),
        epsg: WEB_MERCATOR,
        fields: vec![
            field("name", FieldType::Text),
            field("pop", FieldType::Integer),
        ],
        features: geometries
            .into_iter()
            .enumerate()
            .map(|(k, geometry)| Feature {
                id: Value::Integer(k as i64),
                geometry,
                values: vec![Value::Text(format!("f{k}")), Value::Integer(10 * k as i64)],
            })
            .collect(),
    }
}

/// Every tile of the file: zoom, XYZ column and row, decoded.
fn tiles_of(path: &Path) -> Vec<(u8, u32, u32, Tile)> {
    let db = rusqlite::Connection::open(path).unwrap();
    let mut st = db
        .prepare("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles")
        .unwrap();
    let rows = st
        .query_map([], |r| {
            Ok((
                r.get::<_, u8>(0)?,
                r.get::<_, u32>(1)?,
                r.get::<_, u32>(2)?,
                r.get::<_, Vec<u8>>(3)?,
            ))
        })
        .unwrap();
    rows.map(|r| {
        let (z, x, row, gz) = r.unwrap();
        let mut raw = Vec::new();
        GzDecoder::new(gz.as_slice()).read_to_end(&mut raw).unwrap();
        (
            z,
            x,
            (1 << z) - 1 - row,
            Tile::decode(raw.as_slice()).unwrap(),
        )
    })
    .collect()
}

fn meta(path: &Path, name: &str) -> String {
    rusqlite::Connection::open(path)
        .unwrap()
        .query_row("SELECT value FROM metadata WHERE name = ?1", [name], |r| {
            r.get(0)
        })
        .unwrap()
}

#[test]
fn every_feature_is_in_the_tiles_of_every_zoom() {
    let layer = cells(400);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cells.mbtiles");
    write_mbtiles(&layer, &path).unwrap();
    let tiles = tiles_of(&path);
    for z in 8..=14 {
        let ids: BTreeSet<u64> = tiles
            .iter()
            .filter(|t| t.0 == z)
            .flat_map(|t| t.3.layers[0].features.iter().filter_map(|f| f.id))
            .collect();
        assert_eq!(ids.len(), 400, "zoom {z}");
    }
    // zoom 8: the 400 cells (10 rows over 11 km) are in one tile
    assert_eq!(tiles.iter().filter(|t| t.0 == 8).count(), 1);
    let z8 = &tiles.iter().find(|t| t.0 == 8).unwrap().3.layers[0];
    assert_eq!(z8.features.len(), 400);
    // keys in the order first used (cell 0's index is null); the types as
    // given: text, double, int, bool; each value once a tile
    assert_eq!(z8.keys, ["n", "class", "kept", "index"]);
    let classes = z8
        .values
        .iter()
        .filter(|v| v.string_value.is_some())
        .count();
    assert_eq!(classes, 5);
    assert!(z8.values.iter().any(|v| v.bool_value == Some(true)));
    assert!(z8.values.iter().any(|v| v.double_value == Some(-19.875)));
    assert!(z8.values.iter().any(|v| v.int_value == Some(399)));
    // a null is left out: cell 7 has three tags, cell 8 four
    assert_eq!(z8.features[7].tags.len(), 6);
    assert_eq!(z8.features[8].tags.len(), 8);
}

#[test]
fn a_sweref_point_lands_in_the_tile_of_its_longitude_and_latitude() {
    // the tile of (lon, lat) by the slippy-map formula, from PROJ's lon/lat
    let (x, y) = (674_000.0, 6_580_000.0);
    let (lon, lat) = Transform::to_wgs84(Epsg::SWEREF99_TM)
        .unwrap()
        .point(x, y)
        .unwrap();
    let n = 16_384.0;
    let fx = (lon + 180.0) / 360.0 * n;
    let lat = lat.to_radians();
    let fy = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n;
    let mut layer = crate::layer::test_points("p", 1);
    layer.features[0].geometry = geo::Point::new(x, y).into();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.mbtiles");
    write_mbtiles(&layer, &path).unwrap();
    let tiles = tiles_of(&path);
    let (_, tx, ty, tile) = tiles.iter().find(|t| t.0 == 14).unwrap();
    assert_eq!((*tx, *ty), (fx.floor() as u32, fy.floor() as u32));
    // MoveTo the point's place in the tile, to the unit
    let g = &tile.layers[0].features[0].geometry;
    let unzig = |v: u32| ((v >> 1) as i32) ^ -((v & 1) as i32);
    assert_eq!(g[0], 9);
    assert_eq!(unzig(g[1]), ((fx - fx.floor()) * 4096.0).round() as i32);
    assert_eq!(unzig(g[2]), ((fy - fy.floor()) * 4096.0).round() as i32);
    // the bounds are the point's lon/lat, to 7 decimals
    let bounds: Vec<f64> = meta(&path, "bounds")
        .split(',')
        .map(|v| v.parse().unwrap())
        .collect();
    assert!((bounds[0] - lon).abs() < 1e-7 && (bounds[3] - lat.to_degrees()).abs() < 1e-7);
}

#[test]
fn the_same_layer_gives_the_same_bytes_on_one_and_two_threads() {
    let layer = cells(3000);
    let dir = tempfile::tempdir().unwrap();
    let write = |threads: usize| {
        let path = dir.path().join(format!("t{threads}.mbtiles"));
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| write_mbtiles(&layer, &path))
            .unwrap();
        std::fs::read(&path).unwrap()
    };
    let one = write(1);
    assert!(one == write(2), "1 and 2 threads differ");
    assert!(one == write(2), "two runs on 2 threads differ");
}

#[test]
fn metadata_names_the_layer_its_fields_and_zooms() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cells.mbtiles");
    write_mbtiles(&cells(10), &path).unwrap();
    assert_eq!(meta(&path, "format"), "pbf");
    assert_eq!(
        (meta(&path, "minzoom"), meta(&path, "maxzoom")),
        ("8".into(), "14".into())
    );
    let json: serde_json::Value = serde_json::from_str(&meta(&path, "json")).unwrap();
    let layer = &json["vector_layers"][0];
    assert_eq!(layer["id"], "cells");
    assert_eq!(
        layer["fields"],
        serde_json::json!({"n": "Number", "index": "Number", "class": "String", "kept": "Boolean"})
    );
    assert_eq!(json["tilestats"]["layers"][0]["count"], 10);
    assert_eq!(json["tilestats"]["layers"][0]["geometry"], "Polygon");
    // centre: inside the bounds, at the lowest zoom
    let b: Vec<f64> = meta(&path, "bounds")
        .split(',')
        .map(|v| v.parse().unwrap())
        .collect();
    let c: Vec<f64> = meta(&path, "center")
        .split(',')
        .map(|v| v.parse().unwrap())
        .collect();
    assert!(
        b[0] < c[0] && c[0] < b[2] && b[1] < c[1] && c[1] < b[3],
        "{b:?} {c:?}"
    );
    assert_eq!(c[2], 8.0);
}

#[test]
fn lines_are_refused_with_a_reason() {
    let mut layer = crate::layer::test_points("l", 2);
    layer.features[1].geometry =
        geo::LineString::from(vec![(674_000.0, 6_580_000.0), (674_100.0, 6_580_000.0)]).into();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("l.mbtiles");
    let e = write_mbtiles(&layer, &path).unwrap_err().to_string();
    assert!(
        e.ends_with("vector tiles take points and polygons, not a line (feature Integer(1))"),
        "{e}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// GDAL's own MBTiles / MVT reader finds the layer, its fields, one
/// feature a tile at zoom 14 and the squares' area.
#[cfg(feature = "gdal")]
#[test]
fn gdal_reads_the_tiles() {
    use gdal::vector::LayerAccess;
    use gdal::Metadata;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("centred.mbtiles");
    write_mbtiles(&centred(), &path).unwrap();
    let ds = gdal::Dataset::open_ex(
        &path,
        gdal::DatasetOptions {
            open_options: Some(&["ZOOM_LEVEL=14"]),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(ds.driver().short_name(), "MBTiles");
    assert_eq!(ds.metadata_item("maxzoom", ""), Some("14".into()));
    let mut layer = ds.layer_by_name("centred").unwrap();
    let names: Vec<String> = layer.defn().fields().map(|f| f.name()).collect();
    assert!(
        names.contains(&"name".to_string()) && names.contains(&"pop".to_string()),
        "{names:?}"
    );
    let mut seen: Vec<(String, f64)> = layer
        .features()
        .map(|f| {
            let name = f
                .field_as_string(f.field_index("name").unwrap())
                .unwrap()
                .unwrap();
            let area = geo::Area::unsigned_area(&f.geometry().unwrap().to_geo().unwrap());
            (name, area)
        })
        .collect();
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    let names: Vec<&str> = seen.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(names, ["f0", "f1", "f2", "f3", "f4"]);
    // 250 m squares, to the rounding of a unit (TILE / 4096 = 0.6 m)
    for (name, area) in &seen[..3] {
        assert!((area - 62_500.0).abs() < 62_500.0 * 0.01, "{name}: {area}");
    }
    assert_eq!(seen[3].1, 0.0);
}
