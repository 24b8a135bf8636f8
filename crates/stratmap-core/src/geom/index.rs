//! An R-tree over area polygons' bounding boxes.

use super::disc_overlap;
use geo::{BoundingRect, MultiPolygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};

/// Area polygons in a projected CRS with an R-tree over their bounding boxes,
/// to find the polygons a disc can touch without looking at the others.
pub struct PolygonIndex {
    polygons: Vec<MultiPolygon<f64>>,
    tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
}

impl PolygonIndex {
    /// Bulk-loads the R-tree. Empty polygons are kept (so indices match the
    /// input) but never found.
    pub fn new(polygons: Vec<MultiPolygon<f64>>) -> Self {
        let boxes = polygons
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                let bb = p.bounding_rect()?;
                Some(GeomWithData::new(
                    Rectangle::from_corners([bb.min().x, bb.min().y], [bb.max().x, bb.max().y]),
                    i,
                ))
            })
            .collect();
        PolygonIndex {
            polygons,
            tree: RTree::bulk_load(boxes),
        }
    }

    /// The polygons, in the order [`PolygonIndex::new`] was given them.
    pub fn polygons(&self) -> &[MultiPolygon<f64>] {
        &self.polygons
    }

    /// The polygons whose bounding box meets the given box, in index order.
    pub fn candidates(&self, min: [f64; 2], max: [f64; 2]) -> Vec<usize> {
        let mut found: Vec<usize> = self
            .tree
            .locate_in_envelope_intersecting(&AABB::from_corners(min, max))
            .map(|g| g.data)
            .collect();
        found.sort_unstable();
        found
    }

    /// The polygons the disc overlaps by a positive area, with |D ∩ polygon|
    /// in square metres, in index order.
    pub fn disc_overlaps(&self, c: (f64, f64), r: f64) -> Vec<(usize, f64)> {
        self.candidates([c.0 - r, c.1 - r], [c.0 + r, c.1 + r])
            .into_iter()
            .filter_map(|i| {
                let a = disc_overlap(c, r, &self.polygons[i]);
                (a > 0.0).then_some((i, a))
            })
            .collect()
    }
}
