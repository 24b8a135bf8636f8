//! |R ∩ A|: the exact area of an axis-parallel rectangle's (a grid cell's)
//! overlap with a polygon, by clipping.

use geo::{BoundingRect, LineString, MultiPolygon};

/// The area of a closed ring clipped to the rectangle [x0, x1] × [y0, y1]
/// (Sutherland–Hodgman against each side; exact for any simple ring, concave
/// ones included, since the extra edges it makes along the sides enclose no
/// area).
fn ring_rect_overlap(ring: &LineString<f64>, x0: f64, y0: f64, x1: f64, y1: f64) -> f64 {
    let mut pts: Vec<(f64, f64)> = ring.0.iter().map(|c| (c.x, c.y)).collect();
    if pts.first() == pts.last() {
        pts.pop();
    }
    // (inside, intersection) for each side: x ≥ x0, x ≤ x1, y ≥ y0, y ≤ y1
    let clip = |pts: Vec<(f64, f64)>, axis: usize, bound: f64, keep_above: bool| {
        let inside = |p: (f64, f64)| {
            let v = if axis == 0 { p.0 } else { p.1 };
            if keep_above {
                v >= bound
            } else {
                v <= bound
            }
        };
        let cross = |a: (f64, f64), b: (f64, f64)| {
            if axis == 0 {
                let t = (bound - a.0) / (b.0 - a.0);
                (bound, a.1 + t * (b.1 - a.1))
            } else {
                let t = (bound - a.1) / (b.1 - a.1);
                (a.0 + t * (b.0 - a.0), bound)
            }
        };
        let mut out = Vec::with_capacity(pts.len() + 4);
        for k in 0..pts.len() {
            let (a, b) = (pts[k], pts[(k + 1) % pts.len()]);
            match (inside(a), inside(b)) {
                (true, true) => out.push(b),
                (true, false) => out.push(cross(a, b)),
                (false, true) => {
                    out.push(cross(a, b));
                    out.push(b);
                }
                (false, false) => {}
            }
        }
        out
    };
    for (axis, bound, above) in [(0, x0, true), (0, x1, false), (1, y0, true), (1, y1, false)] {
        if pts.is_empty() {
            return 0.0;
        }
        pts = clip(pts, axis, bound, above);
    }
    let n = pts.len();
    (0..n)
        .map(|k| {
            let (a, b) = (pts[k], pts[(k + 1) % n]);
            (a.0 - x0) * (b.1 - y0) - (b.0 - x0) * (a.1 - y0)
        })
        .sum::<f64>()
        .abs()
        / 2.0
}

/// |R ∩ A| for the rectangle [x0, x1] × [y0, y1], exactly: each polygon's
/// exterior clipped to the rectangle, less its holes clipped likewise.
pub fn rect_overlap(rect: [f64; 4], a: &MultiPolygon<f64>) -> f64 {
    let [x0, y0, x1, y1] = rect;
    a.0.iter()
        .map(|p| {
            let Some(bb) = p.bounding_rect() else {
                return 0.0;
            };
            if bb.min().x >= x1 || bb.max().x <= x0 || bb.min().y >= y1 || bb.max().y <= y0 {
                return 0.0;
            }
            let outer = ring_rect_overlap(p.exterior(), x0, y0, x1, y1);
            let holes: f64 = p
                .interiors()
                .iter()
                .map(|h| ring_rect_overlap(h, x0, y0, x1, y1))
                .sum();
            (outer - holes).max(0.0)
        })
        .sum()
}
