//! Where area polygons overlap one another, and their union.

use super::PolygonIndex;
use geo::{BoundingRect, MultiPolygon};

/// Pairs of polygons (i < j) that overlap by a positive area, with the area of
/// the overlap in square metres.
pub fn overlapping_pairs(index: &PolygonIndex) -> Vec<(usize, usize, f64)> {
    use geo::{Area, BooleanOps};
    let mut pairs = Vec::new();
    for (i, p) in index.polygons().iter().enumerate() {
        let Some(bb) = p.bounding_rect() else {
            continue;
        };
        let min = [bb.min().x, bb.min().y];
        let max = [bb.max().x, bb.max().y];
        for j in index.candidates(min, max).into_iter().filter(|&j| j > i) {
            let a = p.intersection(&index.polygons()[j]).unsigned_area();
            if a > 0.0 {
                pairs.push((i, j, a));
            }
        }
    }
    pairs
}

/// The union of all polygons, split into its parts: what "inside some area"
/// means when areas overlap.
pub fn union_parts(index: &PolygonIndex) -> Vec<MultiPolygon<f64>> {
    geo::unary_union(index.polygons().iter())
        .0
        .into_iter()
        .map(|p| MultiPolygon::new(vec![p]))
        .collect()
}
