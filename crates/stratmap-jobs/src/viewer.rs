//! `index.html`: one self-contained file that shows every layer offline
//! (from `file://`): a small canvas viewer with toggles, legends, popups and
//! fit-to-data. No script, style or tile comes from the network; the layers
//! are embedded as RFC 7946 GeoJSON.

use crate::pipeline::Failure;
use stratmap_core::index::PALETTE;
use stratmap_io::geojson_out::geojson_bytes;
use stratmap_io::layer::Layer;
use stratmap_io::Error;

const TEMPLATE: &str = include_str!("viewer.html");

/// Layers with more features than this are left out of the viewer (a
/// browser cannot draw a national grid from one file); the GeoPackage and
/// GeoJSON files hold them.
pub const MAX_VIEWER_FEATURES: usize = 200_000;

/// The viewer with `layers` embedded, and the names of the layers left out
/// for their size.
pub fn html(layers: &[Layer]) -> Result<(String, Vec<String>), Failure> {
    html_up_to(layers, MAX_VIEWER_FEATURES)
}

fn html_up_to(layers: &[Layer], max: usize) -> Result<(String, Vec<String>), Failure> {
    let (shown, omitted): (Vec<&Layer>, Vec<&Layer>) =
        layers.iter().partition(|l| l.features.len() <= max);
    let mut data = String::from("{\"palette\":");
    data.push_str(&serde_json::to_string(&PALETTE).unwrap_or_else(|_| "[]".into()));
    data.push_str(",\"layers\":{");
    for (i, layer) in shown.iter().enumerate() {
        if i > 0 {
            data.push(',');
        }
        let json = geojson_bytes(layer)?;
        let text = String::from_utf8(json)
            .map_err(|e| Error::io("index.html", std::io::Error::other(e)))?;
        data.push_str(&serde_json::to_string(&layer.name).unwrap_or_default());
        data.push(':');
        data.push_str(&text);
    }
    data.push_str("}}");
    // JSON inside a <script> element: "</" must not close it.
    let data = data.replace("</", "<\\/");
    let omitted: Vec<String> = omitted.iter().map(|l| l.name.clone()).collect();
    Ok((TEMPLATE.replacen("/*DATA*/", &data, 1), omitted))
}

#[cfg(test)]
mod tests {
    use super::*;
    use stratmap_io::layer::{Feature, Field, FieldType, Value};

    fn layer(name: &str, n: usize) -> Layer {
        Layer {
            name: name.into(),
            epsg: stratmap_core::grid::Epsg::SWEREF99_TM,
            fields: vec![Field {
                name: "k".into(),
                kind: FieldType::Text,
            }],
            features: (0..n)
                .map(|i| Feature {
                    id: Value::Integer(i as i64),
                    geometry: geo::Geometry::Point(geo::Point::new(600_000.0, 6_600_000.0)),
                    values: vec![Value::Text("</script><b>".into())],
                })
                .collect(),
        }
    }

    #[test]
    fn big_layers_are_left_out_and_text_cannot_close_the_script() {
        let (html, omitted) = html_up_to(&[layer("small", 2), layer("big", 3)], 2).unwrap();
        assert_eq!(omitted, ["big"]);
        assert!(html.contains("\"small\":{") && !html.contains("\"big\":{"));
        // the only </script> closing tags are the template's own two
        assert_eq!(html.matches("</script>").count(), 2);
        assert!(!html.contains("/*DATA*/"));
    }
}
