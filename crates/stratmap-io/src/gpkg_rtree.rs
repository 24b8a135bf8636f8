//! The GeoPackage spatial index (`gpkg_rtree_index`, an SQLite R*Tree),
//! bulk-loaded. GDAL 3.6 fills the index one row at a time (`INSERT INTO
//! rtree … SELECT … FROM` the table), which is most of a GeoPackage's
//! writing time on a national grid (5.9 s of 9.3 s for 500 000 cells). Here
//! the layer is written without an index, and the index is then made as
//! GDAL makes it (the same virtual table, triggers and `gpkg_extensions`
//! row, so GDAL, QGIS and any SQLite keep it up to date on later edits),
//! but its nodes are packed at once by Sort-Tile-Recursive and written into
//! the R*Tree's own tables in the format of SQLite's `rtree.c`: node 1 the
//! root, its first two bytes the tree's depth; each node two bytes of cell
//! count, then cells of an 8-byte id and the box as 32-bit floats
//! (min x, max x, min y, max y), big-endian, rounded outwards as SQLite
//! rounds them. SQLite's `rtreecheck()` passes on the result (a test).

use rusqlite::{params, Connection, OptionalExtension};

/// `rtree.c`'s factors that move a double one 32-bit step towards zero or
/// away from it (`RNDTOWARDS`, `RNDAWAY`).
const TOWARDS: f64 = 1.0 - 1.0 / 8_388_608.0;
const AWAY: f64 = 1.0 + 1.0 / 8_388_608.0;

/// SQLite's rounding of a box's lower bound to a 32-bit float: never above
/// the double (`rtreeValueDown` in `rtree.c`, and one float lower where
/// that is still above, as it can be for a subnormal).
fn down(d: f64) -> f32 {
    let f = d as f32;
    if f64::from(f) <= d {
        return f;
    }
    let f = (d * if d < 0.0 { AWAY } else { TOWARDS }) as f32;
    // a subnormal float can still be above: one step down
    if f64::from(f) > d {
        next_float(f, -1)
    } else {
        f
    }
}

/// SQLite's rounding of an upper bound: never below the double
/// (`rtreeValueUp`, likewise).
fn up(d: f64) -> f32 {
    let f = d as f32;
    if f64::from(f) >= d {
        return f;
    }
    let f = (d * if d < 0.0 { TOWARDS } else { AWAY }) as f32;
    if f64::from(f) < d {
        next_float(f, 1)
    } else {
        f
    }
}

/// The next float above (`dir` 1) or below (−1) a finite `f` (`f32::next_up`
/// and `next_down`, newer than the crate's minimum Rust).
fn next_float(f: f32, dir: i8) -> f32 {
    if f == 0.0 {
        return f32::from_bits(1) * f32::from(dir);
    }
    let bits = f.to_bits();
    // away from zero is one more in the bits, towards it one less
    if (f > 0.0) == (dir > 0) {
        f32::from_bits(bits + 1)
    } else {
        f32::from_bits(bits - 1)
    }
}

/// A box as the R*Tree holds it: min x, max x, min y, max y.
type RBox = [f32; 4];

fn union(a: RBox, b: RBox) -> RBox {
    [
        a[0].min(b[0]),
        a[1].max(b[1]),
        a[2].min(b[2]),
        a[3].max(b[3]),
    ]
}

/// One entry of a node: a row's id (in a leaf) or a child node's number,
/// and its box.
type Cell = (i64, RBox);

/// The nodes of an R-tree over `cells` with at most `capacity` cells a
/// node, packed by Sort-Tile-Recursive: `(nodeno, depth above the leaves,
/// cells)`, the root (node 1) last. Deterministic: ties broken by id.
fn pack(mut cells: Vec<Cell>, capacity: usize) -> Vec<(i64, u16, Vec<Cell>)> {
    let mut nodes = Vec::new();
    let mut next: i64 = 2;
    let mut depth: u16 = 0;
    loop {
        if cells.len() <= capacity {
            nodes.push((1, depth, cells));
            return nodes;
        }
        let leaves = cells.len().div_ceil(capacity);
        let slabs = (leaves as f64).sqrt().ceil() as usize;
        let per_slab = slabs * capacity;
        let centre = |b: &RBox, k: usize| f64::from(b[k]) + f64::from(b[k + 1]);
        cells.sort_by(|a, b| {
            centre(&a.1, 0)
                .total_cmp(&centre(&b.1, 0))
                .then(a.0.cmp(&b.0))
        });
        let mut parents = Vec::with_capacity(leaves);
        for slab in cells.chunks_mut(per_slab) {
            slab.sort_by(|a, b| {
                centre(&a.1, 2)
                    .total_cmp(&centre(&b.1, 2))
                    .then(a.0.cmp(&b.0))
            });
            for node in slab.chunks(capacity) {
                let b = node.iter().skip(1).fold(node[0].1, |b, c| union(b, c.1));
                parents.push((next, b));
                nodes.push((next, depth, node.to_vec()));
                next += 1;
            }
        }
        cells = parents;
        depth += 1;
    }
}

/// The box (min x, max x, min y, max y) of a GeoPackage geometry blob, from
/// its header's envelope or, for a point written without one, its WKB;
/// `None` for an empty geometry (which GDAL's triggers leave out of the
/// index too).
fn blob_box(blob: &[u8]) -> Result<Option<[f64; 4]>, String> {
    let bad = || "a geometry that is not a GeoPackage blob".to_string();
    if blob.len() < 8 || &blob[..2] != b"GP" {
        return Err(bad());
    }
    let flags = blob[3];
    if flags & 0x10 != 0 {
        return Ok(None);
    }
    let little = flags & 1 == 1;
    let f64_at = |b: &[u8], at: usize, little: bool| -> Result<f64, String> {
        let bytes: [u8; 8] = b
            .get(at..at + 8)
            .ok_or_else(bad)?
            .try_into()
            .map_err(|_| bad())?;
        Ok(if little {
            f64::from_le_bytes(bytes)
        } else {
            f64::from_be_bytes(bytes)
        })
    };
    match (flags >> 1) & 7 {
        1..=4 => Ok(Some([
            f64_at(blob, 8, little)?,
            f64_at(blob, 16, little)?,
            f64_at(blob, 24, little)?,
            f64_at(blob, 32, little)?,
        ])),
        0 => {
            // no envelope: a 2D point's WKB (GDAL writes none for points)
            let wkb = &blob[8..];
            let little = *wkb.first().ok_or_else(bad)? == 1;
            let kind: [u8; 4] = wkb
                .get(1..5)
                .ok_or_else(bad)?
                .try_into()
                .map_err(|_| bad())?;
            let kind = if little {
                u32::from_le_bytes(kind)
            } else {
                u32::from_be_bytes(kind)
            };
            if kind % 1000 != 1 {
                return Err("a geometry other than a point without an envelope".into());
            }
            let (x, y) = (f64_at(wkb, 5, little)?, f64_at(wkb, 13, little)?);
            if x.is_nan() && y.is_nan() {
                return Ok(None); // an empty point
            }
            Ok(Some([x, x, y, y]))
        }
        _ => Err("a geometry blob with an unknown envelope".into()),
    }
}

/// SQL's quoted identifier.
fn ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// SQL's quoted string.
pub(crate) fn text(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Makes the spatial index of `table`'s geometry column, as GDAL 3.6's
/// `CreateSpatialIndex` makes it, but bulk-loaded. The table must have no
/// index yet (the layer was created with `SPATIAL_INDEX=NO`).
pub(crate) fn create_spatial_index(db: &Connection, table: &str) -> Result<(), String> {
    let sql = |e: rusqlite::Error| e.to_string();
    // the table's name as stored (names ignore case) and its geometry column
    let named: Option<(String, String)> = db
        .query_row(
            "SELECT table_name, column_name FROM gpkg_geometry_columns WHERE lower(table_name) = lower(?1)",
            [table],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(sql)?;
    let Some((stored, column)) = named else {
        return Ok(()); // a table without geometry has no spatial index
    };
    let (t, c) = (stored.as_str(), column.as_str());
    let rtree = format!("rtree_{t}_{c}");
    let mut cells = Vec::new();
    {
        let mut rows = db
            .prepare(&format!("SELECT rowid, {} FROM {}", ident(c), ident(t)))
            .map_err(sql)?;
        let mut rows = rows.query([]).map_err(sql)?;
        while let Some(row) = rows.next().map_err(sql)? {
            let id: i64 = row.get(0).map_err(sql)?;
            let Some(blob) = row
                .get_ref(1)
                .map_err(sql)?
                .as_blob_or_null()
                .map_err(|e| e.to_string())?
            else {
                continue;
            };
            if let Some([x0, x1, y0, y1]) = blob_box(blob)? {
                cells.push((id, [down(x0), up(x1), down(y0), up(y1)]));
            }
        }
    }
    db.execute_batch(&format!(
        "CREATE VIRTUAL TABLE {r} USING rtree(id, minx, maxx, miny, maxy)",
        r = ident(&rtree)
    ))
    .map_err(sql)?;
    // every node is as long as the root SQLite made for the page size
    let node_size: usize = db
        .query_row(
            &format!(
                "SELECT length(data) FROM {} WHERE nodeno = 1",
                ident(&format!("{rtree}_node"))
            ),
            [],
            |r| r.get(0),
        )
        .map_err(sql)?;
    let capacity = (node_size - 4) / 24;
    {
        let node = ident(&format!("{rtree}_node"));
        let mut put_node = db
            .prepare(&format!(
                "INSERT OR REPLACE INTO {node} (nodeno, data) VALUES (?1, ?2)"
            ))
            .map_err(sql)?;
        let mut put_row = db
            .prepare(&format!(
                "INSERT INTO {} (rowid, nodeno) VALUES (?1, ?2)",
                ident(&format!("{rtree}_rowid"))
            ))
            .map_err(sql)?;
        let mut put_parent = db
            .prepare(&format!(
                "INSERT INTO {} (nodeno, parentnode) VALUES (?1, ?2)",
                ident(&format!("{rtree}_parent"))
            ))
            .map_err(sql)?;
        let mut data = vec![0u8; node_size];
        for (no, depth, node) in pack(cells, capacity) {
            data.fill(0);
            if no == 1 {
                data[..2].copy_from_slice(&depth.to_be_bytes());
            }
            data[2..4].copy_from_slice(&(node.len() as u16).to_be_bytes());
            for (k, (id, b)) in node.iter().enumerate() {
                let at = 4 + 24 * k;
                data[at..at + 8].copy_from_slice(&id.to_be_bytes());
                for (j, v) in b.iter().enumerate() {
                    data[at + 8 + 4 * j..at + 12 + 4 * j].copy_from_slice(&v.to_be_bytes());
                }
                if depth == 0 {
                    put_row.execute(params![id, no]).map_err(sql)?;
                } else {
                    put_parent.execute(params![id, no]).map_err(sql)?;
                }
            }
            put_node.execute(params![no, &data]).map_err(sql)?;
        }
    }
    // GDAL 3.6's triggers and extension row, word for word
    let (qt, qc, qr) = (ident(t), ident(c), ident(&rtree));
    let fid = ident("fid");
    let fid = db
        .query_row(
            &format!(
                "SELECT name FROM pragma_table_info({}) WHERE pk = 1",
                text(t)
            ),
            [],
            |r| r.get::<_, String>(0),
        )
        .map(|n| ident(&n))
        .unwrap_or(fid);
    let box_of = format!(
        "(NEW.{fid},ST_MinX(NEW.{qc}), ST_MaxX(NEW.{qc}),ST_MinY(NEW.{qc}), ST_MaxY(NEW.{qc}))"
    );
    let trigger = |name: &str| ident(&format!("{rtree}_{name}"));
    db.execute_batch(&format!(
        "CREATE TRIGGER {ins} AFTER INSERT ON {qt} WHEN (new.{qc} NOT NULL AND NOT ST_IsEmpty(NEW.{qc})) BEGIN INSERT OR REPLACE INTO {qr} VALUES {box_of}; END;
CREATE TRIGGER {u1} AFTER UPDATE OF {qc} ON {qt} WHEN OLD.{fid} = NEW.{fid} AND (NEW.{qc} NOTNULL AND NOT ST_IsEmpty(NEW.{qc})) BEGIN INSERT OR REPLACE INTO {qr} VALUES {box_of}; END;
CREATE TRIGGER {u2} AFTER UPDATE OF {qc} ON {qt} WHEN OLD.{fid} = NEW.{fid} AND (NEW.{qc} ISNULL OR ST_IsEmpty(NEW.{qc})) BEGIN DELETE FROM {qr} WHERE id = OLD.{fid}; END;
CREATE TRIGGER {u3} AFTER UPDATE ON {qt} WHEN OLD.{fid} != NEW.{fid} AND (NEW.{qc} NOTNULL AND NOT ST_IsEmpty(NEW.{qc})) BEGIN DELETE FROM {qr} WHERE id = OLD.{fid}; INSERT OR REPLACE INTO {qr} VALUES {box_of}; END;
CREATE TRIGGER {u4} AFTER UPDATE ON {qt} WHEN OLD.{fid} != NEW.{fid} AND (NEW.{qc} ISNULL OR ST_IsEmpty(NEW.{qc})) BEGIN DELETE FROM {qr} WHERE id IN (OLD.{fid}, NEW.{fid}); END;
CREATE TRIGGER {del} AFTER DELETE ON {qt} WHEN old.{qc} NOT NULL BEGIN DELETE FROM {qr} WHERE id = OLD.{fid}; END;
CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT,column_name TEXT,extension_name TEXT NOT NULL,definition TEXT NOT NULL,scope TEXT NOT NULL,CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
INSERT INTO gpkg_extensions (table_name,column_name,extension_name,definition,scope) VALUES ({lt}, {lc}, 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');",
        ins = trigger("insert"),
        u1 = trigger("update1"),
        u2 = trigger("update2"),
        u3 = trigger("update3"),
        u4 = trigger("update4"),
        del = trigger("delete"),
        lt = text(t),
        lc = text(c),
    ))
    .map_err(sql)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_round_outwards_as_sqlite_rounds_them() {
        for d in [
            0.1f64,
            -0.1,
            6_500_000.3,
            -6_500_000.3,
            1e-40,
            -1e-40,
            1e-46,
            123.0,
            -0.0,
            3.5e38,
        ] {
            let (lo, hi) = (down(d), up(d));
            assert!(f64::from(lo) <= d && f64::from(hi) >= d, "{d}: {lo} {hi}");
        }
        // whole metres of SWEREF 99 TM are exact in 32 bits
        assert_eq!(
            (down(6_500_250.0), up(6_500_250.0)),
            (6_500_250.0, 6_500_250.0)
        );
    }

    /// Builds an index over random boxes in an in-memory table shaped as
    /// GDAL's, and checks it with SQLite's own `rtreecheck` and against a
    /// scan for windows.
    fn index_of(n: usize, seed: u64) -> Connection {
        let db = Connection::open_in_memory().unwrap();
        db.execute_batch(
            "CREATE TABLE gpkg_geometry_columns (table_name TEXT, column_name TEXT);
             INSERT INTO gpkg_geometry_columns VALUES ('Cells', 'geom');
             CREATE TABLE \"Cells\" (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom BLOB);",
        )
        .unwrap();
        let mut state = seed;
        let mut rand = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for i in 0..n {
            let x = 270_000.0 + rand() * 650_000.0;
            let y = 6_130_000.0 + rand() * 1_540_000.0;
            let w = rand() * 3000.3;
            let mut blob = b"GP\x00\x03".to_vec(); // little-endian, xy envelope
            blob.extend(3006i32.to_le_bytes());
            for v in [x, x + w, y, y + w / 2.0] {
                blob.extend(v.to_le_bytes());
            }
            if i % 7 == 3 {
                // a point without an envelope, as GDAL writes points
                blob = b"GP\x00\x01".to_vec();
                blob.extend(3006i32.to_le_bytes());
                blob.push(1);
                blob.extend(1u32.to_le_bytes());
                blob.extend(x.to_le_bytes());
                blob.extend(y.to_le_bytes());
            }
            let geom: Option<Vec<u8>> = (i % 13 != 5).then_some(blob);
            db.execute("INSERT INTO \"Cells\" (geom) VALUES (?1)", [geom])
                .unwrap();
        }
        // names ignore case; the index is named after the stored one
        create_spatial_index(&db, "cells").unwrap();
        db
    }

    #[test]
    fn the_bulk_loaded_index_passes_sqlites_own_check_and_answers_as_a_scan() {
        for (n, seed) in [(0, 1), (1, 2), (51, 3), (52, 4), (3000, 5), (140_000, 6)] {
            let db = index_of(n, seed);
            let check: String = db
                .query_row("SELECT rtreecheck('rtree_Cells_geom')", [], |r| r.get(0))
                .unwrap();
            assert_eq!(check, "ok", "{n} rows");
            let (indexed, nulls): (usize, usize) = db
                .query_row(
                    "SELECT (SELECT count(*) FROM rtree_Cells_geom), (SELECT count(*) FROM \"Cells\" WHERE geom IS NULL)",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .unwrap();
            assert_eq!(indexed + nulls, n);
            // windows: the index finds exactly the boxes a scan of its rows finds
            for w in [
                [300_000.0, 310_000.0, 6_500_000.0, 6_600_000.0],
                [0.0, 1e7, 0.0, 1e7],
            ] {
                let q = |sql: &str| -> Vec<i64> {
                    let mut s = db.prepare(sql).unwrap();
                    let mut ids: Vec<i64> = s
                        .query_map(params![w[0], w[1], w[2], w[3]], |r| r.get(0))
                        .unwrap()
                        .map(Result::unwrap)
                        .collect();
                    ids.sort();
                    ids
                };
                let by_index = q("SELECT id FROM rtree_Cells_geom WHERE maxx >= ?1 AND minx <= ?2 AND maxy >= ?3 AND miny <= ?4");
                // the truth from the table's own blobs, rounded as the index holds them
                let mut s = db
                    .prepare("SELECT fid, geom FROM \"Cells\" WHERE geom NOT NULL")
                    .unwrap();
                let mut by_scan: Vec<i64> = s
                    .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))
                    .unwrap()
                    .map(Result::unwrap)
                    .filter(|(_, g)| {
                        let [x0, x1, y0, y1] = blob_box(g).unwrap().unwrap();
                        f64::from(up(x1)) >= w[0]
                            && f64::from(down(x0)) <= w[1]
                            && f64::from(up(y1)) >= w[2]
                            && f64::from(down(y0)) <= w[3]
                    })
                    .map(|(id, _)| id)
                    .collect();
                by_scan.sort();
                assert!(!by_scan.is_empty() || n < 100);
                assert_eq!(by_index, by_scan, "{n} rows, window {w:?}");
            }
            // later edits go through SQLite's own R*Tree code and keep it sound
            if n > 100 {
                db.execute_batch(
                    "DELETE FROM rtree_Cells_geom WHERE id % 3 = 0;
                     INSERT INTO rtree_Cells_geom VALUES (1000000, 1, 2, 3, 4);",
                )
                .unwrap();
                let check: String = db
                    .query_row("SELECT rtreecheck('rtree_Cells_geom')", [], |r| r.get(0))
                    .unwrap();
                assert_eq!(check, "ok", "{n} rows after edits");
            }
        }
    }

    #[test]
    fn packing_is_balanced_and_keeps_every_cell_once() {
        let cells: Vec<Cell> = (0..10_000)
            .map(|i| {
                let (x, y) = ((i % 100) as f32, (i / 100) as f32);
                (i, [x, x + 1.0, y, y + 1.0])
            })
            .collect();
        let nodes = pack(cells, 51);
        let root = nodes.last().unwrap();
        assert_eq!(root.0, 1);
        let mut leaf_ids: Vec<i64> = nodes
            .iter()
            .filter(|n| n.1 == 0)
            .flat_map(|n| n.2.iter().map(|c| c.0))
            .collect();
        leaf_ids.sort();
        assert_eq!(leaf_ids, (0..10_000).collect::<Vec<_>>());
        assert!(nodes.iter().all(|n| n.2.len() <= 51));
        // 10 000 cells: 197 leaves, 4 nodes above them, the root
        assert_eq!(root.1, 2);
        assert_eq!(nodes.len(), 197 + 4 + 1);
    }
}
