//! RFC 7946 GeoJSON: WGS 84 lon/lat, exterior rings counter-clockwise and holes
//! clockwise, no `crs` member, at most 7 decimals (about 1 cm), features in the
//! layer's order (sorted by id), one feature per line. The bytes depend only on
//! the layer, never on the thread count.

use crate::atomic::write_atomic;
use crate::crs::Transform;
use crate::layer::Layer;
use crate::Error;
use geo::orient::{Direction, Orient};
use geo::MapCoords;
use std::path::Path;

/// Rounds to 7 decimals; the result prints with at most 7 decimals.
pub fn round7(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

/// Transforms a geometry to WGS 84, rounds it, and orients its rings as RFC 7946 asks.
pub fn to_rfc7946(
    g: &geo::Geometry<f64>,
    to_wgs84: &Transform,
) -> Result<geo::Geometry<f64>, Error> {
    let g = g.try_map_coords(|c| {
        let (lon, lat) = to_wgs84.point(c.x, c.y)?;
        Ok::<_, Error>(geo::coord! { x: round7(lon), y: round7(lat) })
    })?;
    Ok(match g {
        geo::Geometry::Polygon(p) => geo::Geometry::Polygon(p.orient(Direction::Default)),
        geo::Geometry::MultiPolygon(p) => geo::Geometry::MultiPolygon(p.orient(Direction::Default)),
        other => other,
    })
}

/// The GeoJSON text of a layer.
pub fn geojson_bytes(layer: &Layer) -> Result<Vec<u8>, Error> {
    let to_wgs84 = Transform::to_wgs84(layer.epsg)?;
    let mut out = Vec::new();
    let name = serde_json::to_string(&layer.name).map_err(|e| Error::Crs(e.to_string()))?;
    out.extend_from_slice(
        format!("{{\"type\":\"FeatureCollection\",\"name\":{name},\"features\":[\n").as_bytes(),
    );
    for (i, f) in layer.features.iter().enumerate() {
        let geometry = geojson::Geometry::new(geojson::GeometryValue::from(&to_rfc7946(
            &f.geometry,
            &to_wgs84,
        )?));
        let mut properties = serde_json::Map::new();
        for (field, v) in layer.fields.iter().zip(&f.values) {
            properties.insert(field.name.clone(), v.to_json());
        }
        let feature = serde_json::json!({
            "type": "Feature",
            "id": f.id.to_json(),
            "geometry": geometry,
            "properties": properties,
        });
        if i > 0 {
            out.extend_from_slice(b",\n");
        }
        serde_json::to_writer(&mut out, &feature).map_err(|e| Error::Crs(e.to_string()))?;
    }
    out.extend_from_slice(b"\n]}\n");
    Ok(out)
}

/// Writes a layer as GeoJSON, atomically.
pub fn write_geojson(layer: &Layer, path: &Path) -> Result<(), Error> {
    let bytes = geojson_bytes(layer)?;
    write_atomic(path, |w| w.write_all(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layer::{Feature, Field, FieldType, Value};

    fn square(x: f64, y: f64, s: f64, clockwise: bool) -> geo::Geometry<f64> {
        let mut ring = vec![(x, y), (x + s, y), (x + s, y + s), (x, y + s), (x, y)];
        if clockwise {
            ring.reverse();
        }
        geo::Geometry::Polygon(geo::Polygon::new(ring.into(), vec![]))
    }

    #[test]
    fn rfc7946_shape() {
        let layer = Layer {
            name: "t".into(),
            epsg: 3006,
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

    #[test]
    fn round7_prints_short() {
        for v in [18.123456749999, 59.99999999, -0.00000005, 17.1] {
            let s = serde_json::to_string(&round7(v)).unwrap();
            assert!(s.split('.').nth(1).map_or(0, str::len) <= 7, "{s}");
        }
    }
}
