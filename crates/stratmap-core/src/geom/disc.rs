//! |D ∩ P|: the exact area of a disc's overlap with a polygon (see the
//! module [`geom`](super) for the method).

use geo::{BoundingRect, LineString, MultiPolygon, Polygon};

/// Signed area of the intersection of the disc of radius `r` centred at the
/// origin with the triangle (origin, a, b): positive when a → b turns
/// counter-clockwise around the origin; and whether the edge a → b runs
/// inside the disc at all.
fn triangle_in_disc(a: (f64, f64), b: (f64, f64), r: f64) -> (f64, bool) {
    let cross = |p: (f64, f64), q: (f64, f64)| p.0 * q.1 - p.1 * q.0;
    let dot = |p: (f64, f64), q: (f64, f64)| p.0 * q.0 + p.1 * q.1;
    // The sector of the disc between the rays to p and q.
    let sector = |p: (f64, f64), q: (f64, f64)| 0.5 * r * r * cross(p, q).atan2(dot(p, q));
    let d = (b.0 - a.0, b.1 - a.1);
    let dd = dot(d, d);
    if dd == 0.0 {
        return (0.0, false);
    }
    // |a + t·d|² = r²  ⇔  dd·t² + 2·h·t + c = 0
    let h = dot(a, d);
    let c = dot(a, a) - r * r;
    let disc = h * h - dd * c;
    if disc <= 0.0 {
        // The edge's line misses the circle (or touches it): all outside.
        return (sector(a, b), false);
    }
    let s = disc.sqrt();
    let (t1, t2) = ((-h - s) / dd, (-h + s) / dd);
    if t2 <= 0.0 || t1 >= 1.0 {
        return (sector(a, b), false);
    }
    let at = |t: f64| (a.0 + t * d.0, a.1 + t * d.1);
    let (p1, p2) = (
        if t1 > 0.0 { at(t1) } else { a },
        if t2 < 1.0 { at(t2) } else { b },
    );
    let mut area = 0.5 * cross(p1, p2);
    if t1 > 0.0 {
        area += sector(a, p1);
    }
    if t2 < 1.0 {
        area += sector(p2, b);
    }
    (area, true)
}

/// |D ∩ ring| for a closed ring (its orientation does not matter). When no
/// edge runs inside the disc, the ring holds the whole disc or none of it,
/// and the answer is exactly π r² or exactly 0: the sectors' sum would be
/// that only up to rounding, and a disc that does not reach an area must not
/// give it 10⁻¹⁷ of itself.
fn ring_overlap(c: (f64, f64), r: f64, ring: &LineString<f64>) -> f64 {
    let rel = |p: &geo::Coord<f64>| (p.x - c.0, p.y - c.1);
    let (sum, entered) = ring
        .0
        .windows(2)
        .map(|w| triangle_in_disc(rel(&w[0]), rel(&w[1]), r))
        .fold((0.0, false), |(s, e), (a, i)| (s + a, e || i));
    let whole = std::f64::consts::PI * r * r;
    if entered {
        sum.abs().min(whole)
    } else if sum.abs() > whole / 2.0 {
        // the sectors wind once around the centre: it lies inside the ring
        whole
    } else {
        0.0
    }
}

/// |D ∩ P| for a polygon with holes: exterior minus holes.
pub fn disc_polygon_overlap(c: (f64, f64), r: f64, p: &Polygon<f64>) -> f64 {
    let Some(bb) = p.bounding_rect() else {
        return 0.0;
    };
    if bb.min().x >= c.0 + r
        || bb.max().x <= c.0 - r
        || bb.min().y >= c.1 + r
        || bb.max().y <= c.1 - r
    {
        return 0.0;
    }
    let outer = ring_overlap(c, r, p.exterior());
    let holes: f64 = p.interiors().iter().map(|h| ring_overlap(c, r, h)).sum();
    (outer - holes).max(0.0)
}

/// |D ∩ A| in square metres for the disc of radius `r` around `c`, exactly
/// (up to floating point). `a`'s parts must not overlap each other (a valid
/// multipolygon).
pub fn disc_overlap(c: (f64, f64), r: f64, a: &MultiPolygon<f64>) -> f64 {
    a.0.iter().map(|p| disc_polygon_overlap(c, r, p)).sum()
}
