//! The exact outline of a union of grid cells: one polygon per
//! edge-connected part, with its holes, as OGC simple features want them
//! (every ring simple; a hole or another part may touch at a corner).

use geo::{Contains, Coord, LineString, MultiPolygon, Point, Polygon};
use std::collections::{BTreeMap, BTreeSet};

/// The union of the square cells of side `size` with these lower-left
/// corners (in metres), as polygons: shells counter-clockwise, holes
/// clockwise (RFC 7946), no vertex where the outline runs straight on.
/// Cells that meet only at a corner are separate polygons touching there.
/// The area is exactly the cells' count × size².
///
/// ```
/// use geo::Area;
/// use stratmap_core::cells_outline;
///
/// // a ring of eight cells around an empty one: one polygon with a hole
/// let ring: Vec<(i64, i64)> = (0..9).filter(|k| *k != 4).map(|k| (k % 3 * 250, k / 3 * 250)).collect();
/// let outline = cells_outline(&ring, 250);
/// assert_eq!(outline.0.len(), 1);
/// assert_eq!(outline.0[0].interiors().len(), 1);
/// assert_eq!(outline.unsigned_area(), 8.0 * 250.0 * 250.0);
/// ```
pub fn cells_outline(cells: &[(i64, i64)], size: i64) -> MultiPolygon<f64> {
    let set: BTreeSet<(i64, i64)> = cells.iter().copied().collect();
    let filled = |x: i64, y: i64| set.contains(&(x, y));
    // boundary edges, directed with the cells on their left, by start vertex
    let mut edges: BTreeMap<(i64, i64), Vec<(i64, i64)>> = BTreeMap::new();
    for &(x, y) in &set {
        let s = size;
        let mut add = |a: (i64, i64), b: (i64, i64)| edges.entry(a).or_default().push(b);
        if !filled(x, y - s) {
            add((x, y), (x + s, y));
        }
        if !filled(x + s, y) {
            add((x + s, y), (x + s, y + s));
        }
        if !filled(x, y + s) {
            add((x + s, y + s), (x, y + s));
        }
        if !filled(x - s, y) {
            add((x, y + s), (x, y));
        }
    }
    let mut rings: Vec<Vec<(i64, i64)>> = Vec::new();
    while let Some((&start, _)) = edges.iter().find(|(_, out)| !out.is_empty()) {
        // walk until back at the start, turning left where two ways go on
        // (that keeps cells meeting at a corner apart); a vertex met twice
        // closes a loop of its own, so every ring is simple
        let mut path: Vec<(i64, i64)> = vec![start];
        let mut seen: BTreeMap<(i64, i64), usize> = BTreeMap::from([(start, 0)]);
        let mut at = start;
        let mut dir: Option<(i64, i64)> = None;
        while let Some(out) = edges.get_mut(&at) {
            let pick = match (out.len(), dir) {
                (0, _) => break,
                (1, _) | (_, None) => 0,
                (_, Some((dx, dy))) => {
                    // the left turn of (dx, dy) is (−dy, dx)
                    let left = (-dy, dx);
                    out.iter()
                        .position(|b| ((b.0 - at.0).signum(), (b.1 - at.1).signum()) == left)
                        .unwrap_or(0)
                }
            };
            let next = out.swap_remove(pick);
            dir = Some(((next.0 - at.0).signum(), (next.1 - at.1).signum()));
            at = next;
            if let Some(&k) = seen.get(&at) {
                let mut ring: Vec<(i64, i64)> = path.drain(k + 1..).collect();
                ring.insert(0, at);
                for v in &ring[1..] {
                    seen.remove(v);
                }
                rings.push(ring);
                if at == start && path.len() == 1 {
                    break;
                }
            } else {
                seen.insert(at, path.len());
                path.push(at);
            }
        }
    }
    let rings: Vec<Vec<(i64, i64)>> = rings.into_iter().map(|r| corners_only(&r)).collect();
    let area2 = |r: &[(i64, i64)]| -> i128 {
        (0..r.len())
            .map(|k| {
                let (a, b) = (r[k], r[(k + 1) % r.len()]);
                i128::from(a.0) * i128::from(b.1) - i128::from(b.0) * i128::from(a.1)
            })
            .sum()
    };
    let closed = |r: &[(i64, i64)]| {
        let mut pts: Vec<Coord<f64>> = r
            .iter()
            .map(|&(x, y)| Coord {
                x: x as f64,
                y: y as f64,
            })
            .collect();
        pts.push(pts[0]);
        LineString::new(pts)
    };
    let (shells, holes): (Vec<_>, Vec<_>) = rings.into_iter().partition(|r| area2(r) > 0);
    let mut polygons: Vec<(i128, Polygon<f64>)> = shells
        .iter()
        .map(|r| (area2(r), Polygon::new(closed(r), Vec::new())))
        .collect();
    for hole in holes {
        // a point in the empty cell to the right of the hole's first edge
        let (a, b) = (hole[0], hole[1]);
        let (dx, dy) = ((b.0 - a.0).signum(), (b.1 - a.1).signum());
        let q = size as f64 / 4.0;
        let p = Point::new(
            (a.0 + b.0) as f64 / 2.0 + dy as f64 * q,
            (a.1 + b.1) as f64 / 2.0 - dx as f64 * q,
        );
        // the smallest shell around it is the one it is a hole of
        if let Some((_, poly)) = polygons
            .iter_mut()
            .filter(|(_, poly)| Polygon::new(poly.exterior().clone(), vec![]).contains(&p))
            .min_by_key(|(a, _)| *a)
        {
            poly.interiors_push(closed(&hole));
        }
    }
    MultiPolygon::new(polygons.into_iter().map(|(_, p)| p).collect())
}

/// The ring without the vertices where it runs straight on.
fn corners_only(ring: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let n = ring.len();
    let dir = |a: (i64, i64), b: (i64, i64)| ((b.0 - a.0).signum(), (b.1 - a.1).signum());
    (0..n)
        .filter(|&k| {
            let (prev, here, next) = (ring[(k + n - 1) % n], ring[k], ring[(k + 1) % n]);
            dir(prev, here) != dir(here, next)
        })
        .map(|k| ring[k])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, Validation};

    fn cells(pattern: &[&str]) -> Vec<(i64, i64)> {
        // rows top first; '#' is a cell
        let h = pattern.len() as i64;
        pattern
            .iter()
            .enumerate()
            .flat_map(|(r, row)| {
                row.chars()
                    .enumerate()
                    .filter(|(_, ch)| *ch == '#')
                    .map(move |(c, _)| (c as i64 * 10, (h - 1 - r as i64) * 10))
            })
            .collect()
    }

    fn check(pattern: &[&str], parts: usize, holes: usize) {
        let c = cells(pattern);
        let m = cells_outline(&c, 10);
        assert_eq!(m.unsigned_area(), c.len() as f64 * 100.0, "{pattern:?}");
        assert_eq!(m.signed_area(), c.len() as f64 * 100.0, "{pattern:?}");
        assert_eq!(m.0.len(), parts, "{pattern:?}");
        assert_eq!(
            m.0.iter().map(|p| p.interiors().len()).sum::<usize>(),
            holes,
            "{pattern:?}"
        );
        assert!(m.is_valid(), "{pattern:?}: {m:?}");
    }

    #[test]
    fn shapes() {
        check(&["#"], 1, 0);
        check(&["##", "##"], 1, 0);
        check(&["#.", ".#"], 2, 0);
        check(&["###", "#.#", "###"], 1, 1);
        // a hole that meets the outside at a corner stays a hole
        check(&["##.", "#.#", "###"], 1, 1);
        // two holes meeting at a corner
        check(&["####", "#.##", "##.#", "####"], 1, 2);
        // a part inside a hole, touching nothing
        check(&["#####", "#...#", "#.#.#", "#...#", "#####"], 2, 1);
        // a part inside a hole touching it at a corner
        check(&["####", "#..#", "#.##", "####"], 1, 1);
        check(&["#.#.#", ".#.#.", "#.#.#"], 8, 0);
        check(&["###", "..#", "###", "#..", "###"], 1, 0);
    }

    #[test]
    fn straight_runs_have_no_vertices() {
        let m = cells_outline(&cells(&["####"]), 10);
        assert_eq!(m.0[0].exterior().0.len(), 5);
    }
}
