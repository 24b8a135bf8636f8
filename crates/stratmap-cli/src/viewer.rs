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

/// The viewer with `layers` embedded.
pub fn html(layers: &[Layer]) -> Result<String, Failure> {
    let mut data = String::from("{\"palette\":");
    data.push_str(&serde_json::to_string(&PALETTE).unwrap_or_else(|_| "[]".into()));
    data.push_str(",\"layers\":{");
    for (i, layer) in layers.iter().enumerate() {
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
    Ok(TEMPLATE.replacen("/*DATA*/", &data, 1))
}
