//! A feature's geometry in one tile: scaled to the tile's [`EXTENT`] units,
//! clipped exactly to the tile and its [`BUFFER`], rounded to whole units,
//! rings oriented as MVT 2.1 wants them (§4.3.4.4: in tile coordinates,
//! y down, an exterior ring has a positive surveyor's area, a hole a
//! negative one).

use std::ops::RangeInclusive;

/// Units across a tile (the MVT layer's `extent`).
pub(crate) const EXTENT: u32 = 4096;

/// Units of the neighbouring tiles kept around a tile (GDAL's default), so
/// that outlines and fills drawn across a tile edge meet.
pub(crate) const BUFFER: u32 = 80;

/// The clip window of every tile, in its units: the tile and its buffer.
const LO: f64 = -(BUFFER as f64);
const HI: f64 = (EXTENT + BUFFER) as f64;

/// A point in Web Mercator world coordinates: x from 0 at 180° W to 1 at
/// 180° E, y from 0 at the north edge (85.05° N) to 1 at the south edge,
/// y down as in tiles.
pub(crate) type World = [f64; 2];

/// A point in a tile's units, before rounding.
type Units = [f64; 2];

/// A point in a tile's whole units.
pub(crate) type Whole = [i32; 2];

/// A feature's geometry in world coordinates.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum WorldShape {
    /// One or more points.
    Points(Vec<World>),
    /// Polygons, each its exterior ring then its holes; rings are open
    /// (the first point is not repeated at the end).
    Polygons(Vec<Vec<Vec<World>>>),
}

/// A geometry in one tile, in whole units.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TileShape {
    /// One or more points.
    Points(Vec<Whole>),
    /// Polygons: an exterior ring (positive area) and its holes (negative),
    /// rings open, each of at least three distinct points.
    Polygons(Vec<Vec<Vec<Whole>>>),
}

/// A tile: zoom level and XYZ column and row (rows from the north).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TileId {
    /// Zoom level: the world is 2^z tiles across.
    pub z: u8,
    /// Column, from 180° W.
    pub x: u32,
    /// Row, from the north.
    pub y: u32,
}

impl TileId {
    /// A world point in this tile's units (not rounded).
    fn units(self, p: World) -> Units {
        let n = f64::from(1u32 << self.z);
        let e = f64::from(EXTENT);
        [
            (p[0] * n - f64::from(self.x)) * e,
            (p[1] * n - f64::from(self.y)) * e,
        ]
    }
}

/// The columns and rows of the tiles at zoom `z` whose clip window (tile
/// and buffer) meets the world box `[xmin, ymin, xmax, ymax]`; empty
/// ranges when it lies off the map.
pub(crate) fn tiles_over(bbox: [f64; 4], z: u8) -> (RangeInclusive<u32>, RangeInclusive<u32>) {
    let n = f64::from(1u32 << z);
    let b = f64::from(BUFFER) / f64::from(EXTENT);
    // tile k's window is [k - b, k + 1 + b] in tiles
    let range = |lo: f64, hi: f64| {
        let first = (lo * n - 1.0 - b).ceil().max(0.0);
        let last = (hi * n + b).floor().min(n - 1.0);
        if first > last || last.is_nan() || first.is_nan() {
            #[allow(clippy::reversed_empty_ranges)]
            return 1..=0;
        }
        first as u32..=last as u32
    };
    (range(bbox[0], bbox[2]), range(bbox[1], bbox[3]))
}

/// The part of `shape` in `tile` and its buffer, in whole units; `None`
/// when nothing of it is there.
pub(crate) fn shape_in_tile(shape: &WorldShape, tile: TileId) -> Option<TileShape> {
    match shape {
        WorldShape::Points(points) => {
            let kept: Vec<Whole> = points
                .iter()
                .map(|&p| tile.units(p))
                .filter(|p| inside_window(*p))
                .map(round)
                .collect();
            (!kept.is_empty()).then_some(TileShape::Points(kept))
        }
        WorldShape::Polygons(polygons) => {
            let kept: Vec<Vec<Vec<Whole>>> = polygons
                .iter()
                .filter_map(|rings| polygon_in_window(rings, tile))
                .collect();
            (!kept.is_empty()).then_some(TileShape::Polygons(kept))
        }
    }
}

fn inside_window(p: Units) -> bool {
    (LO..=HI).contains(&p[0]) && (LO..=HI).contains(&p[1])
}

fn round(p: Units) -> Whole {
    [p[0].round() as i32, p[1].round() as i32]
}

/// One polygon (exterior, holes) clipped to the window of `tile` and
/// rounded. An exterior wholly in the window that rounds to fewer than
/// three distinct points or to no area (a cell smaller than a unit at a
/// low zoom, a sliver thinner than one) becomes the box of its rounded
/// points widened to at least one unit each way, without holes: a feature
/// in the tile is never left out. One that so degenerates only once
/// clipped is the polygon's edge along the window's, in the buffer (the
/// tile it lies in has it whole) and is left out. A hole that degenerates
/// is dropped (it is filled).
fn polygon_in_window(rings: &[Vec<World>], tile: TileId) -> Option<Vec<Vec<Whole>>> {
    let in_units = |ring: &[World]| -> Vec<Units> { ring.iter().map(|&p| tile.units(p)).collect() };
    let exterior = in_units(rings.first()?);
    let whole = exterior.iter().all(|&p| inside_window(p));
    let exterior = if whole {
        exterior
    } else {
        clip_ring(&exterior)
    };
    if area2(&exterior, |p| p) == 0.0 {
        return None;
    }
    let mut out = Vec::with_capacity(rings.len());
    match whole_ring(&exterior) {
        Some(mut ring) => {
            orient(&mut ring, true);
            out.push(ring);
            for hole in &rings[1..] {
                if let Some(mut ring) = whole_ring(&clip_ring(&in_units(hole))) {
                    orient(&mut ring, false);
                    out.push(ring);
                }
            }
        }
        None if whole => out.push(at_least_one_unit(&exterior)),
        None => return None,
    }
    Some(out)
}

/// A ring clipped to the window `[LO, HI]²` (Sutherland–Hodgman: exact
/// for a convex window, whatever the ring). The edges of the result that
/// run along the window's sides, where a concave ring leaves and comes
/// back, are kept: they have no area.
fn clip_ring(ring: &[Units]) -> Vec<Units> {
    if ring.iter().all(|&p| inside_window(p)) {
        return ring.to_vec();
    }
    let mut out = ring.to_vec();
    // x ≥ LO, x ≤ HI, y ≥ LO, y ≤ HI
    for (axis, bound, keep_above) in [(0, LO, true), (0, HI, false), (1, LO, true), (1, HI, false)]
    {
        let input = std::mem::take(&mut out);
        let Some(&last) = input.last() else {
            break;
        };
        let inside = |p: Units| {
            if keep_above {
                p[axis] >= bound
            } else {
                p[axis] <= bound
            }
        };
        // where segment a–b meets the line `p[axis] = bound`, on it exactly
        let cross = |a: Units, b: Units| {
            let t = (bound - a[axis]) / (b[axis] - a[axis]);
            let mut p = [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];
            p[axis] = bound;
            p
        };
        let mut prev = last;
        for &p in &input {
            match (inside(prev), inside(p)) {
                (true, true) => out.push(p),
                (false, true) => {
                    out.push(cross(prev, p));
                    out.push(p);
                }
                (true, false) => out.push(cross(prev, p)),
                (false, false) => {}
            }
            prev = p;
        }
    }
    out
}

/// Twice the surveyor's area of an open ring (positive when clockwise on
/// screen, y down), of points read by `xy`.
fn area2<P: Copy>(ring: &[P], xy: impl Fn(P) -> Units) -> f64 {
    let Some(&last) = ring.last() else {
        return 0.0;
    };
    let mut prev = xy(last);
    ring.iter()
        .map(|&p| {
            let p = xy(p);
            let twice = prev[0] * p[1] - p[0] * prev[1];
            prev = p;
            twice
        })
        .sum()
}

/// [`area2`] of a ring of whole units, exactly: their products are far
/// below 2^53.
fn whole_area2(ring: &[Whole]) -> i64 {
    area2(ring, |p| [f64::from(p[0]), f64::from(p[1])]) as i64
}

/// The ring rounded to whole units, repeated points removed (the first
/// one at the end too); `None` when fewer than three remain or they
/// enclose no area.
fn whole_ring(ring: &[Units]) -> Option<Vec<Whole>> {
    let mut out: Vec<Whole> = Vec::with_capacity(ring.len());
    for &p in ring {
        let q = round(p);
        if out.last() != Some(&q) {
            out.push(q);
        }
    }
    while out.len() > 1 && out.first() == out.last() {
        out.pop();
    }
    (out.len() >= 3 && whole_area2(&out) != 0).then_some(out)
}

/// Reverses the ring if needed: positive area for an exterior, negative
/// for a hole.
fn orient(ring: &mut [Whole], exterior: bool) {
    if (whole_area2(ring) > 0) != exterior {
        ring.reverse();
    }
}

/// The box of the ring's rounded points, at least one unit wide and high,
/// as an exterior ring.
fn at_least_one_unit(ring: &[Units]) -> Vec<Whole> {
    let (mut x0, mut y0, mut x1, mut y1) = (i32::MAX, i32::MAX, i32::MIN, i32::MIN);
    for &p in ring {
        let [x, y] = round(p);
        (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
    }
    let (x1, y1) = (x1.max(x0 + 1), y1.max(y0 + 1));
    // clockwise on screen (y down): a positive area
    vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1]]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tile 0/0/0 covers the world: a world point is its units / 4096.
    fn world(x: f64, y: f64) -> World {
        [x / 4096.0, y / 4096.0]
    }

    const WORLD_TILE: TileId = TileId { z: 0, x: 0, y: 0 };

    fn polygon(rings: &[&[(f64, f64)]]) -> WorldShape {
        WorldShape::Polygons(vec![rings
            .iter()
            .map(|r| r.iter().map(|&(x, y)| world(x, y)).collect())
            .collect()])
    }

    fn rings_of(shape: Option<TileShape>) -> Vec<Vec<Whole>> {
        match shape {
            Some(TileShape::Polygons(mut p)) => {
                assert_eq!(p.len(), 1);
                p.remove(0)
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn units_of_a_tile_count_from_its_north_west_corner() {
        // zoom 1: four tiles; the world's centre is the corner of each
        let t = TileId { z: 1, x: 1, y: 0 };
        assert_eq!(t.units([0.5, 0.5]), [0.0, 4096.0]);
        assert_eq!(t.units([0.75, 0.25]), [2048.0, 2048.0]);
        assert_eq!(t.units([1.0, 0.0]), [4096.0, 0.0]);
    }

    #[test]
    fn a_box_meets_the_tiles_whose_buffer_it_reaches() {
        // zoom 2, tiles a quarter of the world wide; the buffer is 80/4096
        // of a tile: 0.0048828125 of the world at this zoom
        let b = 80.0 / 4096.0 / 4.0;
        // inside tile (1, 2), clear of its buffer
        let (xs, ys) = tiles_over([0.3, 0.6, 0.4, 0.7], 2);
        assert_eq!((xs, ys), (1..=1, 2..=2));
        // just inside the buffer of column 2 (which starts at 0.5)
        let (xs, _) = tiles_over([0.3, 0.6, 0.5 - b + 1e-9, 0.7], 2);
        assert_eq!(xs, 1..=2);
        // just short of it
        let (xs, _) = tiles_over([0.3, 0.6, 0.5 - b - 1e-9, 0.7], 2);
        assert_eq!(xs, 1..=1);
        // the edges of the map clamp
        let (xs, ys) = tiles_over([-0.1, -0.1, 1.1, 0.01], 2);
        assert_eq!((xs, ys), (0..=3, 0..=0));
        // off the map
        assert!(tiles_over([1.5, 0.5, 1.6, 0.6], 2).0.is_empty());
    }

    #[test]
    fn a_square_across_a_corner_is_clipped_to_the_window() {
        // 200 units square centred on the tile's north-west corner: the
        // window starts at -80, so -100..100 keeps -80..100 each way
        let rings = rings_of(shape_in_tile(
            &polygon(&[&[
                (-100.0, -100.0),
                (100.0, -100.0),
                (100.0, 100.0),
                (-100.0, 100.0),
            ]]),
            WORLD_TILE,
        ));
        assert_eq!(
            rings,
            [vec![[-80, -80], [100, -80], [100, 100], [-80, 100]]]
        );
    }

    #[test]
    fn a_triangle_over_an_edge_gets_the_points_where_it_crosses() {
        // apex 40 units past the east edge of the window (HI = 4176);
        // its sides cross x = 4176 at y = 2000 ± 40 · 1000/200 = 1800, 2200
        let rings = rings_of(shape_in_tile(
            &polygon(&[&[(4016.0, 1000.0), (4216.0, 2000.0), (4016.0, 3000.0)]]),
            WORLD_TILE,
        ));
        assert_eq!(
            rings,
            [vec![[4016, 1000], [4176, 1800], [4176, 2200], [4016, 3000]]]
        );
    }

    #[test]
    fn a_concave_ring_clipped_keeps_its_shape_and_an_edge_along_the_window() {
        // a U open to the north whose arms poke out of the window's top
        // (LO = -80): the clip cuts both arms at y = -80 and joins them
        // along the window's side (no area there)
        let u = [
            (0.0, -200.0),
            (100.0, -200.0),
            (100.0, 100.0),
            (200.0, 100.0),
            (200.0, -200.0),
            (300.0, -200.0),
            (300.0, 200.0),
            (0.0, 200.0),
        ];
        let rings = rings_of(shape_in_tile(&polygon(&[&u]), WORLD_TILE));
        assert_eq!(
            rings,
            [vec![
                [0, -80],
                [100, -80],
                [100, 100],
                [200, 100],
                [200, -80],
                [300, -80],
                [300, 200],
                [0, 200],
            ]]
        );
        // the area is the U's: 300 × 280 less the notch 100 × 180
        assert_eq!(whole_area2(&rings[0]), 2 * (300 * 280 - 100 * 180));
    }

    #[test]
    fn rings_are_oriented_exterior_clockwise_holes_counter_clockwise() {
        // given the other way round: an anticlockwise (on screen) exterior
        // and a clockwise hole
        let exterior = [(0.0, 0.0), (0.0, 10.0), (10.0, 10.0), (10.0, 0.0)];
        let hole = [(2.0, 2.0), (8.0, 2.0), (8.0, 8.0), (2.0, 8.0)];
        let rings = rings_of(shape_in_tile(&polygon(&[&exterior, &hole]), WORLD_TILE));
        assert_eq!(rings[0], [[10, 0], [10, 10], [0, 10], [0, 0]]);
        assert_eq!(whole_area2(&rings[0]), 200);
        assert_eq!(rings[1], [[2, 8], [8, 8], [8, 2], [2, 2]]);
        assert_eq!(whole_area2(&rings[1]), -72);
    }

    #[test]
    fn points_round_to_the_nearest_unit_and_repeats_go() {
        let ring = [
            [0.4, 0.6],
            [0.49, 0.51], // the same unit as the first: dropped
            [10.5, 0.49], // half away from zero
            [10.2, 9.7],
            [-0.5, 10.4],
            [0.3, 0.7], // back to the first unit: dropped at the end
        ];
        assert_eq!(
            whole_ring(&ring),
            Some(vec![[0, 1], [11, 0], [10, 10], [-1, 10]])
        );
        // three points on a line after rounding: no area, no ring
        assert_eq!(whole_ring(&[[0.0, 0.0], [5.0, 0.2], [10.0, 0.4]]), None);
    }

    #[test]
    fn a_polygon_smaller_than_a_unit_stays_as_a_unit_square() {
        // 0.3 × 0.3 units about (5.15, 5.15): all its corners round to 5
        let tiny = [(5.0, 5.0), (5.3, 5.0), (5.3, 5.3), (5.0, 5.3)];
        let rings = rings_of(shape_in_tile(&polygon(&[&tiny]), WORLD_TILE));
        assert_eq!(rings, [vec![[5, 5], [6, 5], [6, 6], [5, 6]]]);
        assert_eq!(whole_area2(&rings[0]), 2);
        // a sliver 100 long and 0.2 high: 100 × 1
        let sliver = [(10.0, 20.1), (110.0, 20.1), (110.0, 20.3), (10.0, 20.3)];
        let rings = rings_of(shape_in_tile(&polygon(&[&sliver]), WORLD_TILE));
        assert_eq!(rings, [vec![[10, 20], [110, 20], [110, 21], [10, 21]]]);
        // cut by the window's east side (HI = 4176) 0.3 units in: a sliver
        // of the buffer, left out (the tile east of it has the square whole)
        let cut = [
            (4175.7, 0.0),
            (4300.0, 0.0),
            (4300.0, 100.0),
            (4175.7, 100.0),
        ];
        assert_eq!(shape_in_tile(&polygon(&[&cut]), WORLD_TILE), None);
        // a hole smaller than a unit is filled
        let big = [(0.0, 0.0), (50.0, 0.0), (50.0, 50.0), (0.0, 50.0)];
        let rings = rings_of(shape_in_tile(&polygon(&[&big, &tiny]), WORLD_TILE));
        assert_eq!(rings.len(), 1);
    }

    #[test]
    fn nothing_in_the_window_is_nothing() {
        // wholly east of the window
        let east = [(4200.0, 0.0), (4300.0, 0.0), (4300.0, 100.0)];
        assert_eq!(shape_in_tile(&polygon(&[&east]), WORLD_TILE), None);
        // touching it along its edge only: no area inside
        let touching = [
            (4176.0, 0.0),
            (4300.0, 0.0),
            (4300.0, 100.0),
            (4176.0, 100.0),
        ];
        assert_eq!(shape_in_tile(&polygon(&[&touching]), WORLD_TILE), None);
        // points: kept inside the window (its edge included), rounded
        let points = WorldShape::Points(vec![
            world(-80.0, 4176.0),
            world(-80.5, 0.0),
            world(100.4, 200.6),
        ]);
        assert_eq!(
            shape_in_tile(&points, WORLD_TILE),
            Some(TileShape::Points(vec![[-80, 4176], [100, 201]]))
        );
        let outside = WorldShape::Points(vec![world(5000.0, 0.0)]);
        assert_eq!(shape_in_tile(&outside, WORLD_TILE), None);
    }
}
