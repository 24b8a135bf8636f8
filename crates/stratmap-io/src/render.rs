//! A static map for reports (`map.png`): the living-conditions classes,
//! the police areas outlined and named, and the youth-group rings, drawn in
//! the layers' projected CRS (north up, true scale) with a legend, a scale
//! bar and a title. Drawn with tiny-skia; text in DejaVu Sans (embedded,
//! Bitstream Vera licence in `assets/`). The same layers give the same bytes.

use crate::atomic::write_atomic;
use crate::layer::{Layer, Value};
use crate::Error;
use ab_glyph::{Font, FontRef, PxScale, ScaleFont};
use geo::BoundingRect;
use std::path::Path;
use tiny_skia::{Color, FillRule, Paint, PathBuilder, Pixmap, Stroke, Transform};

const FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
/// Width of the map part and of the legend panel, pixels.
const MAP_W: u32 = 1400;
const PANEL_W: u32 = 420;
const MARGIN: f32 = 30.0;

fn hex(c: &str) -> Color {
    let v = |i: usize| u8::from_str_radix(c.get(i..i + 2).unwrap_or("80"), 16).unwrap_or(128);
    Color::from_rgba8(v(1), v(3), v(5), 255)
}

fn paint(c: Color) -> Paint<'static> {
    let mut p = Paint::default();
    p.set_color(c);
    p.anti_alias = true;
    p
}

struct Canvas {
    pixmap: Pixmap,
    font: FontRef<'static>,
}

impl Canvas {
    /// Text with its baseline's left end at (x, y), blended over the pixmap.
    fn text(&mut self, s: &str, x: f32, y: f32, size: f32, color: [u8; 3]) {
        let font = self.font.as_scaled(PxScale::from(size));
        let (w, h) = (self.pixmap.width() as i32, self.pixmap.height() as i32);
        let mut caret = x;
        let mut last = None;
        for ch in s.chars() {
            let id = font.glyph_id(ch);
            if let Some(prev) = last {
                caret += font.kern(prev, id);
            }
            let glyph = id.with_scale_and_position(size, ab_glyph::point(caret, y));
            caret += font.h_advance(id);
            last = Some(id);
            let Some(outline) = self.font.outline_glyph(glyph) else {
                continue;
            };
            let bb = outline.px_bounds();
            let pixels = self.pixmap.pixels_mut();
            outline.draw(|gx, gy, cov| {
                let (px, py) = (bb.min.x as i32 + gx as i32, bb.min.y as i32 + gy as i32);
                if px < 0 || py < 0 || px >= w || py >= h {
                    return;
                }
                let p = &mut pixels[(py * w + px) as usize];
                let a = cov.clamp(0.0, 1.0);
                let mix =
                    |bg: u8, fg: u8| (f32::from(bg) * (1.0 - a) + f32::from(fg) * a).round() as u8;
                // the background is opaque, so premultiplied = straight
                if let Some(c) = tiny_skia::PremultipliedColorU8::from_rgba(
                    mix(p.red(), color[0]),
                    mix(p.green(), color[1]),
                    mix(p.blue(), color[2]),
                    255,
                ) {
                    *p = c;
                }
            });
        }
    }

    /// Strokes a path.
    fn outline(&mut self, path: &tiny_skia::Path, color: Color, width: f32) {
        let stroke = Stroke {
            width,
            ..Stroke::default()
        };
        self.pixmap
            .stroke_path(path, &paint(color), &stroke, Transform::identity(), None);
    }

    fn text_width(&self, s: &str, size: f32) -> f32 {
        let font = self.font.as_scaled(PxScale::from(size));
        s.chars().map(|c| font.h_advance(font.glyph_id(c))).sum()
    }

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, fill: Color, outline: Option<Color>) {
        if let Some(r) = tiny_skia::Rect::from_xywh(x, y, w, h) {
            self.pixmap
                .fill_rect(r, &paint(fill), Transform::identity(), None);
            if let Some(o) = outline {
                self.outline(&PathBuilder::from_rect(r), o, 1.0);
            }
        }
    }
}

fn field<'a>(layer: &'a Layer, f: usize, name: &str) -> Option<&'a Value> {
    let k = layer.fields.iter().position(|x| x.name == name)?;
    layer.features[f].values.get(k)
}

/// A nice round length for the scale bar, at most `max` metres.
fn scale_length(max: f64) -> f64 {
    let p = 10f64.powf(max.log10().floor());
    [5.0, 2.0, 1.0]
        .iter()
        .map(|k| k * p)
        .find(|l| *l <= max)
        .unwrap_or(p)
}

/// The map as PNG bytes.
pub fn render_png(layers: &[&Layer], title: &str) -> Result<Vec<u8>, Error> {
    let err = |m: String| Error::io("map.png", std::io::Error::other(m));
    let font = FontRef::try_from_slice(FONT).map_err(|e| err(e.to_string()))?;
    // the extent of everything drawn
    let mut bb: Option<geo::Rect<f64>> = None;
    for l in layers
        .iter()
        .filter(|l| MAP_LAYERS.contains(&l.name.as_str()))
    {
        for f in &l.features {
            let Some(r) = f.geometry.bounding_rect() else {
                continue;
            };
            bb = Some(match bb {
                None => r,
                Some(b) => geo::Rect::new(
                    (b.min().x.min(r.min().x), b.min().y.min(r.min().y)),
                    (b.max().x.max(r.max().x), b.max().y.max(r.max().y)),
                ),
            });
        }
    }
    let bb = bb.ok_or_else(|| err("nothing to draw: no layer with features".into()))?;
    let (w, h) = (bb.width().max(1.0), bb.height().max(1.0));
    let scale = (f64::from(MAP_W) - 2.0 * f64::from(MARGIN)) / w;
    let map_h = ((h * scale) as u32 + 2 * MARGIN as u32 + 40).clamp(500, 4000);
    let scale = scale.min((f64::from(map_h) - 2.0 * f64::from(MARGIN) - 40.0) / h);
    let width = MAP_W + PANEL_W;
    let mut c = Canvas {
        pixmap: Pixmap::new(width, map_h).ok_or_else(|| err("image size".into()))?,
        font,
    };
    c.pixmap.fill(Color::WHITE);
    let top = MARGIN + 40.0;
    let to_px = |x: f64, y: f64| {
        (
            (MARGIN as f64 + (x - bb.min().x) * scale) as f32,
            (f64::from(top) + (bb.max().y - y) * scale) as f32,
        )
    };
    let polygon_path = |g: &geo::Geometry<f64>| {
        let mut pb = PathBuilder::new();
        let polys: Vec<&geo::Polygon<f64>> = match g {
            geo::Geometry::Polygon(p) => vec![p],
            geo::Geometry::MultiPolygon(m) => m.0.iter().collect(),
            _ => vec![],
        };
        for p in polys {
            for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
                for (i, pt) in ring.0.iter().enumerate() {
                    let (x, y) = to_px(pt.x, pt.y);
                    if i == 0 {
                        pb.move_to(x, y);
                    } else {
                        pb.line_to(x, y);
                    }
                }
                pb.close();
            }
        }
        pb.finish()
    };
    let find = |name: &str| layers.iter().find(|l| l.name == name);

    if let Some(l) = find("living_conditions") {
        for (i, f) in l.features.iter().enumerate() {
            let color = match field(l, i, "color") {
                Some(Value::Text(t)) => hex(t),
                _ => hex("#d9d9d9"),
            };
            if let Some(path) = polygon_path(&f.geometry) {
                // no anti-aliasing, or neighbouring cells show seams
                let mut p = paint(color);
                p.anti_alias = false;
                c.pixmap
                    .fill_path(&path, &p, FillRule::EvenOdd, Transform::identity(), None);
            }
        }
    }
    let areas = find("assessment").or_else(|| find("footprint"));
    if let Some(l) = areas {
        for f in &l.features {
            if let Some(path) = polygon_path(&f.geometry) {
                c.outline(&path, hex("#000000"), 2.5);
            }
        }
    }
    if let Some(l) = find("youth_groups") {
        for (i, f) in l.features.iter().enumerate() {
            let (geo::Geometry::Point(p), Some(Value::Real(r))) =
                (&f.geometry, field(l, i, "radius_m"))
            else {
                continue;
            };
            let (x, y) = to_px(p.x(), p.y());
            if let Some(path) = PathBuilder::from_circle(x, y, ((*r * scale) as f32).max(2.0)) {
                c.outline(&path, hex("#2b6cb0"), 3.0);
            }
        }
    }
    // area names on top, centred on their bounding boxes
    if let Some(l) = areas {
        for (i, f) in l.features.iter().enumerate() {
            let (Some(Value::Text(name)), Some(r)) =
                (field(l, i, "name"), f.geometry.bounding_rect())
            else {
                continue;
            };
            let (x, y) = to_px(r.center().x, r.center().y);
            let tw = c.text_width(name, 16.0);
            c.rect(
                x - tw / 2.0 - 3.0,
                y - 14.0,
                tw + 6.0,
                19.0,
                Color::from_rgba8(255, 255, 255, 200),
                None,
            );
            c.text(name, x - tw / 2.0, y, 16.0, [0, 0, 0]);
        }
    }

    // title, scale bar, legend
    c.text(title, MARGIN, MARGIN + 6.0, 22.0, [0, 0, 0]);
    let bar_m = scale_length(w / 4.0);
    let bar_px = (bar_m * scale) as f32;
    let by = map_h as f32 - 22.0;
    c.rect(MARGIN, by, bar_px, 6.0, hex("#000000"), None);
    let label = if bar_m >= 1000.0 {
        format!("{} km", bar_m / 1000.0)
    } else {
        format!("{bar_m} m")
    };
    c.text(&label, MARGIN + bar_px + 8.0, by + 7.0, 15.0, [0, 0, 0]);
    let px = MAP_W as f32 + 10.0;
    c.rect(
        MAP_W as f32,
        0.0,
        PANEL_W as f32,
        map_h as f32,
        hex("#f7f7f7"),
        None,
    );
    let mut y = MARGIN + 10.0;
    let heading = |c: &mut Canvas, y: &mut f32, s: &str| {
        c.text(s, px, *y, 18.0, [0, 0, 0]);
        *y += 28.0;
    };
    if find("living_conditions").is_some() {
        heading(&mut c, &mut y, "Living-conditions index");
        let labels = ["1  best", "2", "3", "4", "5  worst", "no index"];
        let colors = stratmap_core::PALETTE.iter().copied().chain(["#d9d9d9"]);
        for (label, color) in labels.iter().zip(colors) {
            c.rect(px, y - 14.0, 26.0, 18.0, hex(color), Some(hex("#666666")));
            c.text(label, px + 36.0, y, 16.0, [30, 30, 30]);
            y += 26.0;
        }
        y += 12.0;
    }
    if areas.is_some() {
        heading(&mut c, &mut y, "Police areas");
        if let Some(r) = tiny_skia::Rect::from_xywh(px, y - 14.0, 26.0, 18.0) {
            let path = PathBuilder::from_rect(r);
            c.outline(&path, hex("#000000"), 2.5);
        }
        c.text("area outline, named", px + 36.0, y, 16.0, [30, 30, 30]);
        y += 38.0;
    }
    if find("youth_groups").is_some() {
        heading(&mut c, &mut y, "Youth groups");
        if let Some(path) = PathBuilder::from_circle(px + 13.0, y - 5.0, 10.0) {
            c.outline(&path, hex("#2b6cb0"), 3.0);
        }
        c.text(
            "ring area ∝ children and youth",
            px + 36.0,
            y,
            16.0,
            [30, 30, 30],
        );
    }
    let epsg = layers.first().map_or(0, |l| l.epsg.code());
    c.text(
        &format!("EPSG:{epsg}, north up"),
        px,
        map_h as f32 - 22.0,
        14.0,
        [90, 90, 90],
    );
    c.pixmap.encode_png().map_err(|e| err(e.to_string()))
}

/// The layers the map draws, by name; [`png_sink`] refuses any other.
pub const MAP_LAYERS: [&str; 4] = [
    "living_conditions",
    "footprint",
    "assessment",
    "youth_groups",
];

/// A [`LayerSink`](crate::sink::LayerSink) writing the map of the layers
/// it is given (any of [`MAP_LAYERS`]) to `path` with `title`, once it has
/// them all ([`write_png`] at `end`).
pub fn png_sink<'a>(path: &'a Path, title: &'a str) -> Box<dyn crate::sink::LayerSink + 'a> {
    Box::new(MapSink {
        file: path.display().to_string(),
        inner: crate::sink::WholeLayers::new(path, move |layers: &[&Layer]| {
            write_png(layers, title, path)
        }),
    })
}

/// [`WholeLayers`](crate::sink::WholeLayers) that refuses a layer the map
/// cannot draw, before it keeps anything.
struct MapSink<S> {
    file: String,
    inner: S,
}

impl<S: crate::sink::LayerSink> crate::sink::LayerSink for MapSink<S> {
    fn begin(&mut self, schema: &crate::layer::LayerSchema<'_>) -> Result<(), Error> {
        if !MAP_LAYERS.contains(&schema.name) {
            return Err(Error::Input(vec![crate::Problem::file(
                &self.file,
                format!(
                    "the PNG map draws the {} layers, not {}: write it as .geojson, .gpkg or .html",
                    MAP_LAYERS.join(", "),
                    schema.name
                ),
            )]));
        }
        self.inner.begin(schema)
    }

    fn feature(&mut self, feature: &crate::layer::Feature) -> Result<(), Error> {
        self.inner.feature(feature)
    }

    fn features(&mut self, batch: &[crate::layer::Feature]) -> Result<(), Error> {
        self.inner.features(batch)
    }

    fn end(self: Box<Self>) -> Result<(), Error> {
        Box::new(self.inner).end()
    }
}

/// Writes the map as PNG, atomically.
pub fn write_png(layers: &[&Layer], title: &str, path: &Path) -> Result<(), Error> {
    let bytes = render_png(layers, title)?;
    write_atomic(path, |w| w.write_all(&bytes))
}
