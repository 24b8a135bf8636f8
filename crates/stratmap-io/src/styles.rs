//! Styles shipped with the data, so a layer opens in QGIS already classed:
//! a QGIS style (QML) and an OGC Symbology Encoding (SLD 1.1) for every
//! layer stratmap makes, from one description each. The GeoPackage carries
//! them in its `layer_styles` table (QGIS's convention, as the default
//! style), and the GeoJSON layers get a sidecar `<layer>.qml` that QGIS
//! applies when it opens the file.
//!
//! ```
//! use stratmap_io::{qml_style, sld_style};
//! let q = qml_style("living_conditions").unwrap();
//! assert!(q.contains(r#"attr="class""#) && q.contains("215,25,28,255"));
//! assert!(sld_style("living_conditions").unwrap().contains("<se:Rule>"));
//! assert!(qml_style("no such layer").is_none());
//! ```

use std::fmt::Write as _;
use stratmap_core::PALETTE;

/// How a layer is drawn.
enum Style {
    /// Polygons filled (or outlined) by the value of a field.
    Categories {
        field: &'static str,
        /// The value (`None`: no value), the colour and the label of each category.
        classes: Vec<(Option<String>, &'static str, String)>,
        /// Outlines only, this wide (mm), in the categories' colours.
        outline: Option<f64>,
    },
    /// Polygons filled by ranges of a numeric field.
    Ranges {
        field: &'static str,
        /// Lower bound, upper bound, colour, label.
        ranges: Vec<(f64, f64, &'static str, String)>,
    },
    /// Points drawn as rings of a radius in metres taken from a field.
    Rings {
        radius: &'static str,
        color: &'static str,
    },
}

fn cat(value: &str, color: &'static str, label: &str) -> (Option<String>, &'static str, String) {
    (Some(value.to_string()), color, label.to_string())
}

/// The colours of the emerging-hot-spot patterns (as the viewer's).
pub const PATTERN_COLORS: [(&str, &str); 16] = [
    ("intensifying hot spot", "#a50026"),
    ("persistent hot spot", "#d73027"),
    ("consecutive hot spot", "#f46d43"),
    ("new hot spot", "#fdae61"),
    ("sporadic hot spot", "#fee090"),
    ("oscillating hot spot", "#c994c7"),
    ("diminishing hot spot", "#fcc5c0"),
    ("historical hot spot", "#bcbddc"),
    ("intensifying cold spot", "#313695"),
    ("persistent cold spot", "#4575b4"),
    ("consecutive cold spot", "#74add1"),
    ("new cold spot", "#abd9e9"),
    ("sporadic cold spot", "#e0f3f8"),
    ("oscillating cold spot", "#80cdc1"),
    ("diminishing cold spot", "#c7eae5"),
    ("historical cold spot", "#d9d9d9"),
];

fn style_of(layer: &str) -> Option<Style> {
    Some(match layer {
        "living_conditions" => Style::Categories {
            field: "class",
            classes: (1..=5)
                .map(|c| {
                    let label = match c {
                        1 => "1 best".to_string(),
                        5 => "5 worst".to_string(),
                        c => c.to_string(),
                    };
                    (Some(c.to_string()), PALETTE[c - 1], label)
                })
                .chain([(None, "#d9d9d9", "no index".to_string())])
                .collect(),
            outline: None,
        },
        "hotspots" => Style::Categories {
            field: "gi_bin",
            classes: vec![
                cat("3", "#b2182b", "hot spot, 99 %"),
                cat("2", "#ef8a62", "hot spot, 95 %"),
                cat("1", "#fddbc7", "hot spot, 90 %"),
                cat("-1", "#d1e5f0", "cold spot, 90 %"),
                cat("-2", "#67a9cf", "cold spot, 95 %"),
                cat("-3", "#2166ac", "cold spot, 99 %"),
            ],
            outline: None,
        },
        "footprint" => Style::Ranges {
            field: "share_pct",
            ranges: vec![
                (0.0, 1.0, "#f2f0f7", "under 1 % of phone-days".into()),
                (1.0, 5.0, "#cbc9e2", "1–5 %".into()),
                (5.0, 10.0, "#9e9ac8", "5–10 %".into()),
                (10.0, 25.0, "#756bb1", "10–25 %".into()),
                (25.0, 100.0, "#54278f", "25 % or more".into()),
            ],
        },
        "assessment" => Style::Categories {
            field: "trend",
            classes: vec![
                cat("improving", "#1a9641", "improving"),
                cat("stable", "#969696", "stable"),
                cat("worsening", "#d7191c", "worsening"),
                cat("new", "#2b83ba", "new (first assessment)"),
            ],
            outline: Some(0.8),
        },
        "youth_groups" => Style::Rings {
            radius: "radius_m",
            color: "#2b6cb0",
        },
        "candidates" => Style::Categories {
            field: "status",
            classes: vec![
                cat("new", "#ff7f00", "new: under 10 % inside any area"),
                cat("known", "#111111", "known"),
                (None, "#111111", "candidate (no areas given)".into()),
            ],
            outline: Some(1.0),
        },
        "lisa" => Style::Categories {
            field: "quadrant",
            classes: vec![
                cat("HH", "#e31a1c", "HH: high among high"),
                cat("LL", "#1f78b4", "LL: low among low"),
                cat("HL", "#fb9a99", "HL: high among low"),
                cat("LH", "#a6cee3", "LH: low among high"),
            ],
            outline: None,
        },
        "change" => Style::Ranges {
            field: "delta",
            ranges: vec![
                (-1e9, -0.5, "#2166ac", "better by 0.5 or more".into()),
                (-0.5, -0.2, "#67a9cf", "better by 0.2–0.5".into()),
                (-0.2, -0.05, "#d1e5f0", "better by 0.05–0.2".into()),
                (-0.05, 0.05, "#f7f7f7", "about the same".into()),
                (0.05, 0.2, "#fddbc7", "worse by 0.05–0.2".into()),
                (0.2, 0.5, "#ef8a62", "worse by 0.2–0.5".into()),
                (0.5, 1e9, "#b2182b", "worse by 0.5 or more".into()),
            ],
        },
        "emerging" => Style::Categories {
            field: "pattern",
            classes: PATTERN_COLORS.iter().map(|(p, c)| cat(p, c, p)).collect(),
            outline: None,
        },
        _ => return None,
    })
}

/// `#rrggbb` as QGIS's `r,g,b,255`.
fn rgba(hex: &str) -> String {
    let h = hex.trim_start_matches('#');
    let c = |i: usize| u8::from_str_radix(h.get(i..i + 2).unwrap_or("00"), 16).unwrap_or(0);
    format!("{},{},{},255", c(0), c(2), c(4))
}

/// Text for XML: `&`, `<`, `>`, `"` escaped.
fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn option(name: &str, value: &str) -> String {
    format!(
        r#"<Option type="QString" name="{}" value="{}"/>"#,
        xml(name),
        xml(value)
    )
}

/// A QGIS fill symbol: filled with `color`, or, with `outline`, only an
/// outline of that width in it.
fn fill_symbol(name: usize, color: &str, outline: Option<f64>) -> String {
    let (fill, line, width, style) = match outline {
        Some(w) => ("0,0,0,0".to_string(), rgba(color), w, "no"),
        None => (rgba(color), "120,120,120,255".to_string(), 0.1, "solid"),
    };
    format!(
        r#"<symbol type="fill" name="{name}" alpha="1" clip_to_extent="1" force_rhr="0"><layer class="SimpleFill" enabled="1" locked="0" pass="0"><Option type="Map">{}{}{}{}{}{}</Option></layer></symbol>"#,
        option("color", &fill),
        option("style", style),
        option("outline_color", &line),
        option("outline_style", "solid"),
        option("outline_width", &width.to_string()),
        option("outline_width_unit", "MM"),
    )
}

/// The QGIS style (QML) of a layer stratmap makes, by its name; `None` for
/// another layer.
pub fn qml_style(layer: &str) -> Option<String> {
    let style = style_of(layer)?;
    let mut r = String::new();
    match &style {
        Style::Categories {
            field,
            classes,
            outline,
        } => {
            let _ = write!(
                r,
                r#"<renderer-v2 type="categorizedSymbol" attr="{field}" forceraster="0" symbollevels="0" enableorderby="0"><categories>"#
            );
            for (k, (value, _, label)) in classes.iter().enumerate() {
                let _ = write!(
                    r,
                    r#"<category value="{}" symbol="{k}" label="{}" render="true"/>"#,
                    xml(value.as_deref().unwrap_or("")),
                    xml(label)
                );
            }
            r.push_str("</categories><symbols>");
            for (k, (_, color, _)) in classes.iter().enumerate() {
                r.push_str(&fill_symbol(k, color, *outline));
            }
            r.push_str("</symbols></renderer-v2>");
        }
        Style::Ranges { field, ranges } => {
            let _ = write!(
                r,
                r#"<renderer-v2 type="graduatedSymbol" attr="{field}" graduatedMethod="GraduatedColor" forceraster="0" symbollevels="0" enableorderby="0"><ranges>"#
            );
            for (k, (lo, hi, _, label)) in ranges.iter().enumerate() {
                let _ = write!(
                    r,
                    r#"<range lower="{lo}" upper="{hi}" symbol="{k}" label="{}" render="true"/>"#,
                    xml(label)
                );
            }
            r.push_str("</ranges><symbols>");
            for (k, (_, _, color, _)) in ranges.iter().enumerate() {
                r.push_str(&fill_symbol(k, color, None));
            }
            r.push_str("</symbols></renderer-v2>");
        }
        Style::Rings { radius, color } => {
            // a circle twice the radius across, in metres on the ground
            let _ = write!(
                r,
                r#"<renderer-v2 type="singleSymbol" forceraster="0" symbollevels="0" enableorderby="0"><symbols><symbol type="marker" name="0" alpha="1" clip_to_extent="1" force_rhr="0"><layer class="SimpleMarker" enabled="1" locked="0" pass="0"><Option type="Map">{}{}{}{}{}{}{}</Option><data_defined_properties><Option type="Map"><Option type="QString" name="name" value=""/><Option type="Map" name="properties"><Option type="Map" name="size"><Option type="bool" name="active" value="true"/><Option type="QString" name="expression" value="2 * &quot;{radius}&quot;"/><Option type="int" name="type" value="3"/></Option></Option><Option type="QString" name="type" value="collection"/></Option></data_defined_properties></layer></symbol></symbols></renderer-v2>"#,
                option("name", "circle"),
                option("color", "0,0,0,0"),
                option("outline_color", &rgba(color)),
                option("outline_width", "0.7"),
                option("outline_width_unit", "MM"),
                option("size", "500"),
                option("size_unit", "RenderMetersInMapUnits"),
            );
        }
    }
    Some(format!(
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n<qgis version=\"3.22.0\" styleCategories=\"Symbology\">{r}</qgis>\n"
    ))
}

/// An SLD 1.1 (OGC Symbology Encoding) of a layer stratmap makes, by its
/// name; `None` for another layer.
pub fn sld_style(layer: &str) -> Option<String> {
    let style = style_of(layer)?;
    let fill = |color: &str, outline: Option<f64>| match outline {
        Some(w) => format!(
            r#"<se:PolygonSymbolizer><se:Stroke><se:SvgParameter name="stroke">{color}</se:SvgParameter><se:SvgParameter name="stroke-width">{}</se:SvgParameter></se:Stroke></se:PolygonSymbolizer>"#,
            w * 3.78
        ),
        None => format!(
            r#"<se:PolygonSymbolizer><se:Fill><se:SvgParameter name="fill">{color}</se:SvgParameter></se:Fill><se:Stroke><se:SvgParameter name="stroke">#787878</se:SvgParameter><se:SvgParameter name="stroke-width">0.4</se:SvgParameter></se:Stroke></se:PolygonSymbolizer>"#
        ),
    };
    let mut rules = String::new();
    match &style {
        Style::Categories {
            field,
            classes,
            outline,
        } => {
            for (value, color, label) in classes {
                let filter = match value {
                    Some(v) => format!(
                        "<ogc:PropertyIsEqualTo><ogc:PropertyName>{field}</ogc:PropertyName><ogc:Literal>{}</ogc:Literal></ogc:PropertyIsEqualTo>",
                        xml(v)
                    ),
                    None => format!(
                        "<ogc:PropertyIsNull><ogc:PropertyName>{field}</ogc:PropertyName></ogc:PropertyIsNull>"
                    ),
                };
                let _ = write!(
                    rules,
                    "<se:Rule><se:Name>{}</se:Name><ogc:Filter>{filter}</ogc:Filter>{}</se:Rule>",
                    xml(label),
                    fill(color, *outline)
                );
            }
        }
        Style::Ranges { field, ranges } => {
            for (lo, hi, color, label) in ranges {
                let _ = write!(
                    rules,
                    "<se:Rule><se:Name>{}</se:Name><ogc:Filter><ogc:And><ogc:PropertyIsGreaterThanOrEqualTo><ogc:PropertyName>{field}</ogc:PropertyName><ogc:Literal>{lo}</ogc:Literal></ogc:PropertyIsGreaterThanOrEqualTo><ogc:PropertyIsLessThan><ogc:PropertyName>{field}</ogc:PropertyName><ogc:Literal>{hi}</ogc:Literal></ogc:PropertyIsLessThan></ogc:And></ogc:Filter>{}</se:Rule>",
                    xml(label),
                    fill(color, None)
                );
            }
        }
        Style::Rings { radius, color } => {
            let _ = write!(
                rules,
                r#"<se:Rule><se:Name>youth group</se:Name><se:PointSymbolizer uom="http://www.opengeospatial.org/se/units/metre"><se:Graphic><se:Mark><se:WellKnownName>circle</se:WellKnownName><se:Stroke><se:SvgParameter name="stroke">{color}</se:SvgParameter><se:SvgParameter name="stroke-width">2</se:SvgParameter></se:Stroke></se:Mark><se:Size><ogc:Mul><ogc:PropertyName>{radius}</ogc:PropertyName><ogc:Literal>2</ogc:Literal></ogc:Mul></se:Size></se:Graphic></se:PointSymbolizer></se:Rule>"#
            );
        }
    }
    Some(format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<StyledLayerDescriptor version="1.1.0" xmlns="http://www.opengis.net/sld" xmlns:se="http://www.opengis.net/se" xmlns:ogc="http://www.opengis.net/ogc" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.opengis.net/sld http://schemas.opengis.net/sld/1.1.0/StyledLayerDescriptor.xsd"><NamedLayer><se:Name>{layer}</se:Name><UserStyle><se:Name>{layer}</se:Name><se:FeatureTypeStyle>{rules}</se:FeatureTypeStyle></UserStyle></NamedLayer></StyledLayerDescriptor>
"#
    ))
}

/// The class raster's colour table: class 1–5 as [`PALETTE`], 0 (no class) transparent.
pub fn class_colors() -> [(u8, [u8; 3], &'static str); 5] {
    let c = |i: usize| {
        let h = PALETTE[i].trim_start_matches('#');
        let b = |k: usize| u8::from_str_radix(&h[k..k + 2], 16).unwrap_or(0);
        [b(0), b(2), b(4)]
    };
    [
        (1, c(0), "1 best"),
        (2, c(1), "2"),
        (3, c(2), "3"),
        (4, c(3), "4"),
        (5, c(4), "5 worst"),
    ]
}

/// The QGIS style of the class raster: paletted, the five classes named
/// and coloured green → red (QGIS 3.22 reads no raster attribute table, so
/// the names come from this sidecar `.qml`).
pub fn class_raster_qml() -> String {
    let mut entries = String::new();
    for (v, [r, g, b], label) in class_colors() {
        let _ = write!(
            entries,
            r##"<paletteEntry value="{v}" color="#{r:02x}{g:02x}{b:02x}" alpha="255" label="{}"/>"##,
            xml(label)
        );
    }
    format!(
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n<qgis version=\"3.22.0\" styleCategories=\"Symbology\"><pipe><rasterrenderer type=\"paletted\" band=\"1\" opacity=\"1\" alphaBand=\"-1\" nodataColor=\"\"><rasterTransparency/><colorPalette>{entries}</colorPalette><colorramp type=\"randomcolors\" name=\"[source]\"/></rasterrenderer><brightnesscontrast brightness=\"0\" contrast=\"0\" gamma=\"1\"/><huesaturation saturation=\"0\" colorizeOn=\"0\" grayscaleMode=\"0\" colorizeStrength=\"100\" colorizeRed=\"255\" colorizeGreen=\"128\" colorizeBlue=\"128\"/><rasterresampler maxOversampling=\"2\"/></pipe><blendMode>0</blendMode></qgis>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_layer_has_a_well_formed_style() {
        for layer in [
            "living_conditions",
            "youth_groups",
            "footprint",
            "hotspots",
            "assessment",
            "candidates",
            "lisa",
            "change",
            "emerging",
        ] {
            let q = qml_style(layer).unwrap();
            let s = sld_style(layer).unwrap();
            // balanced elements: every opened tag is closed
            for text in [&q, &s] {
                let opens = text.matches('<').count()
                    - text.matches("</").count() * 2
                    - text.matches("/>").count()
                    - text.matches("<!").count()
                    - text.matches("<?").count();
                assert_eq!(opens, 0, "{layer}: {text}");
            }
        }
        assert!(qml_style("youth_groups")
            .unwrap()
            .contains("RenderMetersInMapUnits"));
    }
}
