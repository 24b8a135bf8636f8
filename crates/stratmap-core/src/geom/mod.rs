//! Exact overlap of a disc with polygons, and an R-tree over area polygons.
//!
//! |D ∩ P| is computed analytically, not from a polygonised buffer: the signed
//! area of a ring is the sum over its edges (a, b) of the signed area of
//! triangle (c, a, b), and the part of each triangle inside the disc is a
//! triangle where the edge runs inside the circle and a circular sector where
//! it runs outside (the method of computational geometry's "area of a circle
//! and polygon intersection"; each piece is exact up to floating point).
//! Holes subtract, multipolygon parts add.
//!
//! ```
//! use geo::{polygon, MultiPolygon};
//! use stratmap_core::disc_overlap;
//!
//! // A disc centred on the corner of a large square covers it by a quarter.
//! let square = polygon![(x: 0.0, y: 0.0), (x: 2000.0, y: 0.0), (x: 2000.0, y: 2000.0), (x: 0.0, y: 2000.0)];
//! let r = 500.0;
//! let quarter = disc_overlap((0.0, 0.0), r, &MultiPolygon::new(vec![square]));
//! assert!((quarter / (std::f64::consts::PI * r * r) - 0.25).abs() < 1e-12);
//! ```

mod disc;
mod index;
mod outline;
mod overlaps;
mod rect;

pub use disc::{disc_overlap, disc_polygon_overlap};
pub use index::PolygonIndex;
pub use outline::cells_outline;
pub use overlaps::{overlapping_pairs, union_parts};
pub use rect::rect_overlap;

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, Area, BooleanOps, LineString, MultiPolygon, Polygon};
    use proptest::prelude::*;
    use std::f64::consts::PI;

    const R: f64 = 500.0;

    fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> Polygon<f64> {
        polygon![(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1)]
    }

    fn fraction(c: (f64, f64), p: Polygon<f64>) -> f64 {
        disc_overlap(c, R, &MultiPolygon::new(vec![p])) / (PI * R * R)
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn hand_worked_cases() {
        let big = || square(0.0, 0.0, 4000.0, 4000.0);
        // wholly inside, centred on a straight edge, on a convex corner, wholly outside
        assert!(close(fraction((2000.0, 2000.0), big()), 1.0));
        assert!(close(fraction((2000.0, 0.0), big()), 0.5));
        assert!(close(fraction((0.0, 0.0), big()), 0.25));
        assert!(close(fraction((4000.0, 4000.0), big()), 0.25));
        assert_eq!(fraction((-600.0, 2000.0), big()), 0.0);
        // tangent from outside: no overlap
        assert_eq!(fraction((-500.0, 2000.0), big()), 0.0);
        // a chord at distance d from the centre cuts off (r²·acos(d/r) − d·√(r²−d²)) / (πr²)
        for d in [0.0, 100.0, 250.0, 433.0, 499.0] {
            let cap = (R * R * (d / R).acos() - d * (R * R - d * d).sqrt()) / (PI * R * R);
            let f = fraction((2000.0, -d), big());
            assert!(close(f, cap), "d = {d}: {f} vs {cap}");
        }
    }

    #[test]
    fn orientation_holes_and_parts() {
        let c = (1000.0, 1000.0);
        let ccw = square(0.0, 0.0, 2000.0, 2000.0);
        let mut cw = ccw.clone();
        cw.exterior_mut(|r| r.0.reverse());
        assert!(close(fraction(c, ccw.clone()), 1.0));
        assert!(close(fraction(c, cw), 1.0));
        // a hole under the left half of the disc
        let with_hole = Polygon::new(
            ccw.exterior().clone(),
            vec![square(400.0, 400.0, 1000.0, 1600.0).exterior().clone()],
        );
        assert!(close(fraction(c, with_hole), 0.5));
        // two parts, left and right quarter planes of the disc, add up
        let parts = MultiPolygon::new(vec![
            square(0.0, 0.0, 1000.0, 1000.0),
            square(1000.0, 1000.0, 2000.0, 2000.0),
        ]);
        assert!(close(disc_overlap(c, R, &parts) / (PI * R * R), 0.5));
    }

    #[test]
    fn a_polygon_inside_the_disc_counts_whole() {
        let small = square(900.0, 950.0, 1100.0, 1010.0);
        let a = disc_overlap((1000.0, 1000.0), R, &MultiPolygon::new(vec![small.clone()]));
        assert!((a - small.unsigned_area()).abs() < 1e-9);
    }

    #[test]
    fn rectangle_overlap_of_concave_polygons_with_holes() {
        // an L-shape: the 2 × 2 square at the origin less its upper-right 1 × 1
        let l = polygon![(x: 0.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 1.0), (x: 1.0, y: 1.0), (x: 1.0, y: 2.0), (x: 0.0, y: 2.0)];
        let mp = |p: Polygon<f64>| MultiPolygon::new(vec![p]);
        assert_eq!(rect_overlap([0.0, 0.0, 2.0, 2.0], &mp(l.clone())), 3.0);
        assert_eq!(rect_overlap([0.5, 0.5, 1.5, 1.5], &mp(l.clone())), 0.75);
        assert_eq!(rect_overlap([1.0, 1.0, 2.0, 2.0], &mp(l.clone())), 0.0);
        assert_eq!(rect_overlap([5.0, 5.0, 6.0, 6.0], &mp(l)), 0.0);
        let holed = Polygon::new(
            square(0.0, 0.0, 4.0, 4.0).exterior().clone(),
            vec![square(1.0, 1.0, 3.0, 3.0).exterior().clone()],
        );
        assert_eq!(rect_overlap([0.0, 0.0, 2.0, 2.0], &mp(holed)), 3.0);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Agrees with geo's boolean intersection, to its precision: i_overlay
        /// snaps to a grid (one case it got 4e-4 m² off, where shapely/GEOS
        /// agreed with `rect_overlap` to 1e-11).
        #[test]
        fn rectangle_overlap_agrees_with_boolean_ops(
            p in arbitrary_polygon(),
            x in -1500.0f64..1500.0,
            y in -1500.0f64..1500.0,
            s in 10.0f64..1000.0,
        ) {
            let mp = MultiPolygon::new(vec![p.clone()]);
            let exact = rect_overlap([x, y, x + s, y + s], &mp);
            let clipped = square(x, y, x + s, y + s).intersection(&p).unsigned_area();
            // i_overlay's snapping error is absolute (up to ~1e-3 m² seen), not relative
            prop_assert!((exact - clipped).abs() <= (1e-7 * s * s).max(1e-3), "{exact} vs {clipped}");
            // and, without geo: the four quarters add up to the whole
            let h = s / 2.0;
            let quarters: f64 = [(x, y), (x + h, y), (x, y + h), (x + h, y + h)]
                .iter()
                .map(|&(qx, qy)| rect_overlap([qx, qy, qx + h, qy + h], &mp))
                .sum();
            prop_assert!((exact - quarters).abs() <= 1e-9 * s * s, "{exact} vs quarters {quarters}");
        }
    }

    #[test]
    fn index_finds_only_overlapping_polygons() {
        let idx = PolygonIndex::new(vec![
            MultiPolygon::new(vec![square(0.0, 0.0, 1000.0, 1000.0)]),
            MultiPolygon::new(vec![square(5000.0, 0.0, 6000.0, 1000.0)]),
            MultiPolygon::new(vec![]),
            MultiPolygon::new(vec![square(1000.0, 0.0, 2000.0, 1000.0)]),
        ]);
        let found = idx.disc_overlaps((1000.0, 500.0), R);
        assert_eq!(found.iter().map(|f| f.0).collect::<Vec<_>>(), [0, 3]);
        assert!(close(found[0].1 / (PI * R * R), 0.5));
        // a box corner within the disc's box but the polygon beyond the circle
        assert!(idx
            .disc_overlaps((1400.0, 1400.0), R)
            .iter()
            .all(|f| f.0 != 1));
        assert!(idx.disc_overlaps((2900.0, 1900.0), R).is_empty());
    }

    /// The disc as a regular polygon of `n` vertices with the disc's area
    /// (the radius is scaled so the n-gon's area equals πr²).
    fn polygonised_disc(c: (f64, f64), n: usize) -> Polygon<f64> {
        let k = n as f64;
        let rr = R * (2.0 * PI / (k * (2.0 * PI / k).sin())).sqrt();
        let pts: Vec<(f64, f64)> = (0..n)
            .map(|i| {
                let t = 2.0 * PI * i as f64 / k;
                (c.0 + rr * t.cos(), c.1 + rr * t.sin())
            })
            .collect();
        Polygon::new(LineString::from(pts), vec![])
    }

    fn arbitrary_polygon() -> impl Strategy<Value = Polygon<f64>> {
        // a star-shaped polygon around (0, 0) with 4–12 vertices, radii 50–1200 m,
        // and sometimes a small hole around its centre
        (
            prop::collection::vec((50.0f64..1200.0, 0.0f64..1.0), 4..12),
            prop::option::of(5.0f64..15.0),
        )
            .prop_map(|(vs, hole)| {
                let n = vs.len() as f64;
                let ring: Vec<(f64, f64)> = vs
                    .iter()
                    .enumerate()
                    .map(|(i, (rad, jitter))| {
                        let t = 2.0 * PI * (i as f64 + 0.3 * jitter) / n;
                        (rad * t.cos(), rad * t.sin())
                    })
                    .collect();
                let holes = hole
                    .map(|h| vec![square(-h, -h, h, h).exterior().clone()])
                    .unwrap_or_default();
                Polygon::new(LineString::from(ring), holes)
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Agrees with a finely polygonised disc clipped by geo's boolean ops.
        #[test]
        fn agrees_with_clipping_a_polygonised_disc(
            p in arbitrary_polygon(),
            cx in -1500.0f64..1500.0,
            cy in -1500.0f64..1500.0,
        ) {
            let exact = disc_polygon_overlap((cx, cy), R, &p) / (PI * R * R);
            let clipped = polygonised_disc((cx, cy), 8_000).intersection(&p).unsigned_area() / (PI * R * R);
            prop_assert!((exact - clipped).abs() <= 1e-6, "exact {exact} vs clipped {clipped}");
        }

        /// Far from the origin (SWEREF 99 TM coordinates) the result is the same
        /// as near it: coordinates are taken relative to the disc's centre.
        #[test]
        fn translation_invariant(p in arbitrary_polygon(), cx in -1500.0f64..1500.0, cy in -1500.0f64..1500.0) {
            let (dx, dy) = (674_000.0, 6_580_000.0);
            let moved = geo::Translate::translate(&p, dx, dy);
            let a = disc_polygon_overlap((cx, cy), R, &p);
            let b = disc_polygon_overlap((cx + dx, cy + dy), R, &moved);
            prop_assert!((a - b).abs() <= 1e-6 * PI * R * R, "{a} vs {b}");
        }
    }
}
