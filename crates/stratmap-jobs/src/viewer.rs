//! `index.html`: one self-contained file that shows every layer offline
//! (from `file://`): a map on Leaflet 1.9 (vendored in `src/vendor/`,
//! inlined into the page) with toggles, legends, area labels, a scale bar,
//! popups listing every visible layer under a click, and fit-to-data. No
//! script, style or tile comes from the network unless `[output] basemap`
//! names a tile URL; the layers are embedded as RFC 7946 GeoJSON.

use crate::pipeline::{Failure, Notes};
use std::path::Path;
use stratmap_core::PALETTE;
use stratmap_io::geojson_bytes;
use stratmap_io::write_atomic;
use stratmap_io::Error;
use stratmap_io::Layer;
use stratmap_io::{LayerSink, WholeLayers};

const TEMPLATE: &str = include_str!("viewer.html");

/// Leaflet 1.9.4's `dist/leaflet.js`, unchanged (`npm pack leaflet@1.9.4`;
/// see `vendor/README.md`).
const LEAFLET_JS: &str = include_str!("vendor/leaflet.js");
/// Leaflet 1.9.4's `dist/leaflet.css`, unchanged.
const LEAFLET_CSS: &str = include_str!("vendor/leaflet.css");
/// Leaflet's BSD 2-Clause licence, carried in a comment of every page.
const LEAFLET_LICENSE: &str = include_str!("vendor/LEAFLET-LICENSE");

/// Leaflet.VectorGrid 1.3.0's `dist/Leaflet.VectorGrid.bundled.min.js`,
/// unchanged (`npm pack leaflet.vectorgrid@1.3.0`; see `vendor/README.md`):
/// draws the vector tiles when the page is served by `stratmap serve`.
const VECTORGRID_JS: &str = include_str!("vendor/leaflet.vectorgrid.js");
/// Its Beer-ware notice and the licences of the libraries it bundles.
const VECTORGRID_LICENSE: &str = include_str!("vendor/VECTORGRID-LICENSE");

/// What the embedded copy of `leaflet.js` changes so that the page refers
/// to no other file: the source map and the attribution's link.
const JS_EDITS: [(&str, &str); 2] = [
    ("\n//# sourceMappingURL=leaflet.js.map", ""),
    ("<a href=\"https://leafletjs.com\" title=", "<a title="),
];
/// What the embedded copy of `leaflet.css` changes: the images of the layer
/// control and the default marker (the viewer uses neither) and IE's VML.
const CSS_EDITS: [(&str, &str); 4] = [
    ("url(images/layers.png)", "none"),
    ("url(images/layers-2x.png)", "none"),
    ("url(images/marker-icon.png)", "none"),
    ("url(#default#VML)", "none"),
];

/// Layers with more features than this are left out of the viewer (a
/// browser cannot draw a national grid from one file); the GeoPackage and
/// GeoJSON files hold them.
pub const MAX_VIEWER_FEATURES: usize = 200_000;

/// Checks `[output] basemap`: an `http(s)://` tile URL with `{z}`, `{x}`
/// and `{y}`, as Leaflet's tile layer takes it.
pub fn check_basemap(basemap: Option<&str>) -> Result<(), Failure> {
    let Some(url) = basemap else { return Ok(()) };
    let web = url.starts_with("https://") || url.starts_with("http://");
    let missing: Vec<&str> = ["{z}", "{x}", "{y}"]
        .into_iter()
        .filter(|p| !url.contains(p))
        .collect();
    if !web || !missing.is_empty() || url.chars().any(char::is_whitespace) {
        return Err(Failure::Usage(format!(
            "[output] basemap {url:?}: expected a tile URL such as \"https://tile.example/{{z}}/{{x}}/{{y}}.png\" (http or https, with {{z}}, {{x}} and {{y}}, no spaces)"
        )));
    }
    Ok(())
}

/// Writes the viewer of `layers` to `path`, atomically, with a warning
/// for each layer left out for its size; `basemap` checked before.
fn write_viewer(
    layers: &[&Layer],
    basemap: Option<&str>,
    path: &Path,
    notes: &Notes,
) -> Result<(), Error> {
    let (page, omitted) = html_up_to(layers, basemap, MAX_VIEWER_FEATURES)?;
    if !layers.is_empty() && omitted.len() == layers.len() {
        // a page that would show nothing is no viewer
        return Err(stratmap_io::Problem::file(
            &path.display().to_string(),
            format!(
                "{} has more than {MAX_VIEWER_FEATURES} features for a browser: write it as .gpkg for QGIS, or as .mbtiles for `stratmap serve`",
                omitted.join(", ")
            ),
        )
        .into());
    }
    for name in omitted {
        notes.warn(&format!(
            "{} leaves out {name}: more than {MAX_VIEWER_FEATURES} features for a browser; open it in QGIS from the GeoPackage or GeoJSON",
            path.file_name().map_or_else(|| path.display().to_string(), |f| f.to_string_lossy().into_owned()),
        ));
    }
    write_atomic(path, |w| w.write_all(page.as_bytes()))
}

/// Writes the viewer of `layers` to `path` (the run's `index.html`).
pub fn write_html(
    layers: &[&Layer],
    basemap: Option<&str>,
    path: &Path,
    notes: &Notes,
) -> Result<(), Failure> {
    check_basemap(basemap)?;
    Ok(write_viewer(layers, basemap, path, notes)?)
}

/// A [`LayerSink`] writing the viewer of the layers it is given to
/// `path` once it has them all (a page embeds every layer).
pub fn html_sink<'a>(
    path: &'a Path,
    basemap: Option<&'a str>,
    notes: &'a Notes,
) -> Result<Box<dyn LayerSink + 'a>, Failure> {
    check_basemap(basemap)?;
    Ok(Box::new(WholeLayers::new(
        path,
        move |layers: &[&Layer]| write_viewer(layers, basemap, path, notes),
    )))
}

/// `text` with each edit made; every edit must find its text.
fn edited(text: &str, edits: &[(&str, &str)]) -> String {
    edits.iter().fold(text.to_string(), |t, (from, to)| {
        debug_assert!(t.contains(from), "vendored Leaflet: {from:?} not found");
        t.replacen(from, to, 1)
    })
}

/// `template` with each marker replaced, in the order the markers come in
/// it; a value is never searched for a later marker.
fn fill(template: &str, parts: &[(&str, &str)]) -> String {
    let mut out =
        String::with_capacity(template.len() + parts.iter().map(|p| p.1.len()).sum::<usize>());
    let mut rest = template;
    for (marker, value) in parts {
        match rest.split_once(marker) {
            Some((before, after)) => {
                out.push_str(before);
                out.push_str(value);
                rest = after;
            }
            None => debug_assert!(false, "viewer.html: no {marker} (or out of order)"),
        }
    }
    out.push_str(rest);
    out
}

fn html_up_to(
    layers: &[&Layer],
    basemap: Option<&str>,
    max: usize,
) -> Result<(String, Vec<String>), Error> {
    let (shown, omitted): (Vec<&Layer>, Vec<&Layer>) =
        layers.iter().partition(|l| l.features.len() <= max);
    let omitted: Vec<String> = omitted.iter().map(|l| l.name.clone()).collect();
    // the small values first (a JSON object without its closing brace), then the layers
    let head = serde_json::json!({
        "palette": PALETTE,
        "basemap": basemap,
        "omitted": omitted,
        "max_features": max,
    })
    .to_string();
    let mut data = head.strip_suffix('}').unwrap_or("{").to_string();
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
    let page = fill(
        TEMPLATE,
        &[
            ("/*LEAFLET_LICENSE*/", LEAFLET_LICENSE.trim_end()),
            ("/*VECTORGRID_LICENSE*/", VECTORGRID_LICENSE.trim_end()),
            ("/*LEAFLET_CSS*/", &edited(LEAFLET_CSS, &CSS_EDITS)),
            ("/*DATA*/", &data),
            ("/*LEAFLET_JS*/", &edited(LEAFLET_JS, &JS_EDITS)),
            ("/*VECTORGRID_JS*/", VECTORGRID_JS),
        ],
    );
    Ok((page, omitted))
}

#[cfg(test)]
mod tests {
    use super::*;
    use stratmap_io::{Feature, Field, FieldType, Value};

    fn layer(name: &str, n: usize) -> Layer {
        Layer {
            name: name.into(),
            epsg: stratmap_core::Epsg::SWEREF99_TM,
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
    fn a_page_that_would_show_nothing_is_refused_and_nothing_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.html");
        let notes = Notes::new(Box::new(crate::Silent));
        let big = layer("hotspots", MAX_VIEWER_FEATURES + 1);
        let e = write_viewer(&[&big], None, &path, &notes)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("hotspots has more than 200000 features") && e.contains(".mbtiles"),
            "{e}"
        );
        assert!(!path.exists());
        // with a layer it can show, the big one is left out with a warning
        write_viewer(&[&big, &layer("small", 1)], None, &path, &notes).unwrap();
        assert!(path.exists());
        assert_eq!(notes.warnings().len(), 1, "{:?}", notes.warnings());
    }

    #[test]
    fn big_layers_are_left_out_and_text_cannot_close_the_script() {
        let (html, omitted) = html_up_to(&[&layer("small", 2), &layer("big", 3)], None, 2).unwrap();
        assert_eq!(omitted, ["big"]);
        assert!(html.contains("\"small\":{") && !html.contains("\"big\":{"));
        // the page is told, to show a notice
        assert!(html.contains("\"omitted\":[\"big\"]"), "omitted list");
        assert!(html.contains("\"basemap\":null"));
        // the only </script> closing tags are the template's own
        let scripts = TEMPLATE.matches("<script").count();
        assert_eq!(html.matches("</script>").count(), scripts);
        assert_eq!(html.to_lowercase().matches("</script").count(), scripts);
        assert!(!html.contains("/*DATA*/") && !html.contains("/*LEAFLET_"));
    }

    #[test]
    fn leaflet_is_inlined_and_refers_to_no_other_file() {
        assert!(
            LEAFLET_JS.contains("Leaflet 1.9.4,") && LEAFLET_JS.contains("t.version=\"1.9.4\"")
        );
        assert!(LEAFLET_LICENSE.starts_with("BSD 2-Clause License"));
        for (from, _) in JS_EDITS {
            assert_eq!(LEAFLET_JS.matches(from).count(), 1, "{from}");
        }
        for (from, _) in CSS_EDITS {
            assert_eq!(LEAFLET_CSS.matches(from).count(), 1, "{from}");
        }
        let (html, _) = html_up_to(&[&layer("small", 1)], None, 10).unwrap();
        assert!(html.contains("t.version=\"1.9.4\"") && html.contains(".leaflet-container"));
        // no url(…) but data: URLs and the fragment of IE's VML test (which
        // Chromium and Firefox never reach), no source map, no link, no fetch
        for (at, _) in html.match_indices("url(") {
            let arg = html[at + 4..].trim_start_matches(['"', '\'']);
            assert!(
                arg.starts_with("data:") || arg.starts_with("#default#VML"),
                "{}",
                &html[at..at + 40]
            );
        }
        for s in ["sourceMappingURL", "href=\"http", "src=\"http", "@import"] {
            assert!(!html.contains(s), "{s}");
        }
        // the licences sit in an HTML comment, which "--" would end
        assert!(!LEAFLET_LICENSE.contains("--") && !VECTORGRID_LICENSE.contains("--"));
        assert!(VECTORGRID_LICENSE.contains("THE BEER-WARE LICENSE"));
        assert!(html.contains("L.vectorGrid") && !html.contains("/*VECTORGRID_"));
        assert!(
            !VECTORGRID_JS.to_lowercase().contains("</script") && !VECTORGRID_JS.contains("<!--")
        );
        assert!(html.contains("Copyright (c) 2010-2023, Volodymyr Agafonkin"));
        // no style or script text closes its element early
        assert!(!LEAFLET_CSS.to_lowercase().contains("</style"));
        assert!(!LEAFLET_JS.to_lowercase().contains("</script") && !LEAFLET_JS.contains("<!--"));
    }

    #[test]
    fn a_basemap_is_passed_only_when_set_and_checked() {
        let url = "https://tile.example/{z}/{x}/{y}.png";
        let (html, _) = html_up_to(&[&layer("small", 1)], Some(url), 10).unwrap();
        assert!(html.contains(&format!("\"basemap\":\"{url}\"")));
        for bad in [
            "tile.example/{z}/{x}/{y}.png",
            "https://t.example/{z}/{x}.png",
            "file:///{z}/{x}/{y}",
            "https://t.example/{z}/{x}/{y}.png x",
        ] {
            assert!(
                matches!(check_basemap(Some(bad)), Err(Failure::Usage(_))),
                "{bad}"
            );
        }
        assert!(check_basemap(None).is_ok());
    }
}
