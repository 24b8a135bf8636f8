//! The MBTiles 1.3 file: an SQLite database of a `metadata` table (name,
//! value) and a `tiles` table (zoom level, column, TMS row, tile data),
//! each with its unique index. Built in a temporary directory beside its
//! path (SQLite writes no journal: the rename makes it atomic) and renamed
//! into place when closed; the same tiles inserted in the same order give
//! the same bytes (SQLite writes no time into a file).

use crate::atomic::Beside;
use crate::Error;
use rusqlite::Connection;
use std::path::Path;

/// An MBTiles file being written.
pub(crate) struct MbtilesFile {
    // Fields drop in this order: SQLite closes the file before its
    // temporary directory is removed.
    db: Connection,
    beside: Beside,
}

/// MBTiles' `application_id` ("MPBX"), as the specification suggests.
const APPLICATION_ID: i32 = 0x4d50_4258;

impl MbtilesFile {
    /// Creates the file under its temporary name, its tables empty.
    pub(crate) fn create(path: &Path) -> Result<Self, Error> {
        let beside = Beside::new(path)?;
        let db = Connection::open(&beside.file).map_err(|e| sqlite(path, e))?;
        // SQLite's largest page: a tile of tens of kB is a few pages, not
        // a chain of 4 kB overflow pages (set before anything is written)
        db.execute_batch(&format!(
            "PRAGMA page_size = 65536;
             PRAGMA application_id = {APPLICATION_ID};
             PRAGMA journal_mode = OFF;
             PRAGMA synchronous = OFF;
             PRAGMA temp_store = MEMORY;
             CREATE TABLE metadata (name text, value text);
             CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob);
             BEGIN;"
        ))
        .map_err(|e| sqlite(path, e))?;
        Ok(MbtilesFile { db, beside })
    }

    /// Adds metadata rows, in order.
    pub(crate) fn metadata(&self, rows: &[(&str, String)]) -> Result<(), Error> {
        let mut insert = self
            .db
            .prepare_cached("INSERT INTO metadata (name, value) VALUES (?1, ?2)")
            .map_err(|e| self.sqlite(e))?;
        for (name, value) in rows {
            insert.execute((name, value)).map_err(|e| self.sqlite(e))?;
        }
        Ok(())
    }

    /// Adds the tile at XYZ `z/x/y` (stored in the TMS row, counted from
    /// the south).
    pub(crate) fn tile(&self, z: u8, x: u32, y: u32, data: &[u8]) -> Result<(), Error> {
        let row = (1u32 << z) - 1 - y;
        self.db
            .prepare_cached(
                "INSERT INTO tiles (zoom_level, tile_column, tile_row, tile_data) VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut insert| insert.execute((z, x, row, data)))
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }

    /// Indexes the tables, closes the file, flushes it to disk and renames
    /// it into place.
    pub(crate) fn finish(self) -> Result<(), Error> {
        let MbtilesFile { db, beside } = self;
        let path = beside.path.clone();
        db.execute_batch(
            "CREATE UNIQUE INDEX name ON metadata (name);
             CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);
             COMMIT;",
        )
        .map_err(|e| sqlite(&path, e))?;
        db.close().map_err(|(_, e)| sqlite(&path, e))?;
        std::fs::File::open(&beside.file)
            .and_then(|f| f.sync_all())
            .map_err(|e| Error::io(&path, e))?;
        beside.persist()
    }

    fn sqlite(&self, e: rusqlite::Error) -> Error {
        sqlite(&self.beside.path, e)
    }
}

/// SQLite's error, on the file being written.
fn sqlite(path: &Path, e: rusqlite::Error) -> Error {
    Error::io(path, std::io::Error::other(format!("SQLite: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_tms_and_nothing_is_left_beside() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.mbtiles");
        let file = MbtilesFile::create(&path).unwrap();
        file.metadata(&[("name", "t".into())]).unwrap();
        // XYZ row 0 at zoom 2 is the northernmost: TMS row 3
        file.tile(2, 1, 0, b"abc").unwrap();
        assert!(!path.exists());
        file.finish().unwrap();
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["t.mbtiles"]);
        let db = Connection::open(&path).unwrap();
        let row: (u8, u32, u32, Vec<u8>) = db
            .query_row("SELECT * FROM tiles", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .unwrap();
        assert_eq!(row, (2, 1, 3, b"abc".to_vec()));
        let id: i32 = db
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .unwrap();
        assert_eq!(id, APPLICATION_ID);
        let page: u32 = db.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap();
        assert_eq!(page, 65536);
        // the unique index refuses a second tile at the same place
        assert!(db
            .execute("INSERT INTO tiles VALUES (2, 1, 3, x'00')", [])
            .is_err());
    }

    #[test]
    fn a_file_dropped_unfinished_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let file = MbtilesFile::create(&dir.path().join("t.mbtiles")).unwrap();
        file.tile(0, 0, 0, b"abc").unwrap();
        drop(file);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
