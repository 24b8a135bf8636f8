//! Towers and connection records (SPEC §3.3).
//!
//! Records stream through in batches: each batch is parsed in parallel
//! (timestamps to local days, tower ids to tower numbers, own positions to
//! the working CRS), then handed to the core's
//! [`FootprintEngine`], which
//! holds the distinct phone-days and phones, never the records. Records
//! naming an unknown tower, with a bad timestamp or malformed are left out
//! before the day's 1/n split and counted, with the first few line numbers.
//!
//! Phone ids are only passed on to the engine (which hashes and interns
//! them); no message or error ever quotes a field of a records file.

use crate::csv_table::{detect_delimiter, parse_number, CsvTable};
use crate::points::{read_point, PointColumns, PointReader};
use crate::{Error, Problem};
use chrono_tz::Tz;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::cell::RefCell;
use std::io::{BufRead, BufReader, Read};
use stratmap_core::Epsg;

use stratmap_core::Notice;
use stratmap_core::{
    At, DiscWeights, FootprintAreas, FootprintEngine, FootprintTotals, KeyMap, Prepared,
};

/// Towers by id, with positions in the working CRS.
#[derive(Debug, Clone, Default)]
pub struct Towers {
    /// Tower number, an index into `positions`, by tower id.
    pub ids: FxHashMap<String, u32>,
    /// Each tower's position in the working CRS, metres.
    pub positions: Vec<(f64, f64)>,
}

/// Reads a towers CSV: `tower_id` plus `lon,lat` or `x,y` (in `xy_epsg`).
pub fn read_towers(file: &str, data: &[u8], xy_epsg: Epsg, working: Epsg) -> Result<Towers, Error> {
    let (table, mut problems) = CsvTable::read(file, data)?;
    let Some(id_col) = table.find("tower_id") else {
        return Err(Problem::file(file, "expected a column tower_id")
            .at_line(1)
            .into());
    };
    let found = PointColumns::find_one(&table.headers, xy_epsg)
        .map_err(|m| Error::from(Problem::file(file, m).at_line(1)))?;
    let Some(pc) = found else {
        return Err(Problem::file(
            file,
            "expected columns lon,lat (degrees) or x,y (metres) giving each tower's position",
        )
        .at_line(1)
        .into());
    };
    let reader = PointReader::new(pc.epsg, working)?;
    let mut towers = Towers::default();
    let mut first_line: FxHashMap<String, u64> = FxHashMap::default();
    for (line, rec) in &table.records {
        let id = rec.get(id_col).unwrap_or("").to_string();
        if id.is_empty() {
            problems.push(table.problem(
                *line,
                id_col,
                "expected a tower id, found an empty field",
            ));
            continue;
        }
        if let Some(first) = first_line.get(&id) {
            problems.push(table.problem(
                *line,
                id_col,
                format!("tower {id:?} is listed again (first on line {first}): expected each tower once"),
            ));
            continue;
        }
        match read_point(&table, *line, rec, &pc, &reader) {
            Ok(p) => {
                first_line.insert(id.clone(), *line);
                towers.ids.insert(id, towers.positions.len() as u32);
                towers.positions.push(p);
            }
            Err(p) => problems.extend(p),
        }
    }
    if towers.positions.is_empty() && problems.is_empty() {
        problems.push(Problem::file(file, "no towers: expected at least one row"));
    }
    if problems.is_empty() {
        Ok(towers)
    } else {
        Err(Error::Input(problems))
    }
}

/// A time zone name that is not in the IANA database.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown time zone {0:?}: expected an IANA name such as \"Europe/Stockholm\"")]
pub struct UnknownTimeZone(pub String);

/// Parses an IANA time zone name such as `Europe/Stockholm`.
pub fn parse_tz(name: &str) -> Result<Tz, UnknownTimeZone> {
    name.parse::<Tz>()
        .map_err(|_| UnknownTimeZone(name.to_string()))
}

pub(crate) use crate::timestamps::{DayReader, TimeUnit};

/// Rows left out, with the first few line numbers and what was wrong.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Skipped {
    /// Rows left out.
    pub count: u64,
    /// Line and reason; a reason never quotes a field of the records.
    pub first: Vec<(u64, String)>,
}

/// How many of the first skipped rows of each kind are kept for the report.
pub const SHOWN_SKIPPED: usize = 5;

/// Why a record was left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipKind {
    /// The tower id is not in the towers file, or the row has neither a tower
    /// nor a position.
    UnknownTower,
    /// The timestamp cannot be read.
    BadTimestamp,
    /// The row's own position is not a number or fails the position checks.
    BadPosition,
    /// Wrong number of fields, a quote left open, or an empty phone id.
    Malformed,
}

impl SkipKind {
    /// Every kind, in the order of their numbers (`kind as usize`).
    pub const ALL: [SkipKind; 4] = [
        SkipKind::UnknownTower,
        SkipKind::BadTimestamp,
        SkipKind::BadPosition,
        SkipKind::Malformed,
    ];
}

/// What happened to the records.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordStats {
    /// Records read (lines that are not blank, after the header).
    pub read: u64,
    /// Records summed into the footprint.
    pub used: u64,
    /// Left out: unknown or missing tower.
    pub unknown_tower: Skipped,
    /// Left out: unreadable timestamp.
    pub bad_timestamp: Skipped,
    /// Left out: bad own position.
    pub bad_position: Skipped,
    /// Left out: malformed row.
    pub malformed: Skipped,
    /// Records with Unix timestamps in seconds, milliseconds, microseconds
    /// and nanoseconds (see [`TimeUnit::UNIX`]).
    pub unix_units: [u64; 4],
}

impl RecordStats {
    /// Records left out, of every kind.
    pub fn skipped(&self) -> u64 {
        self.unknown_tower.count
            + self.bad_timestamp.count
            + self.bad_position.count
            + self.malformed.count
    }

    /// The kinds of skipped rows with their names, for reports.
    pub fn kinds(&self) -> [(&'static str, &Skipped); 4] {
        [
            ("unknown tower", &self.unknown_tower),
            ("bad timestamp", &self.bad_timestamp),
            ("bad position", &self.bad_position),
            ("malformed row", &self.malformed),
        ]
    }

    fn of(&mut self, kind: SkipKind) -> &mut Skipped {
        match kind {
            SkipKind::UnknownTower => &mut self.unknown_tower,
            SkipKind::BadTimestamp => &mut self.bad_timestamp,
            SkipKind::BadPosition => &mut self.bad_position,
            SkipKind::Malformed => &mut self.malformed,
        }
    }
}

/// Everything the records are read against.
pub struct RecordContext<'a> {
    /// The areas the records' discs fall on.
    pub areas: &'a FootprintAreas,
    /// The towers the records name.
    pub towers: &'a Towers,
    /// Disc weights per tower, as [`tower_weights`] makes them.
    pub tower_weights: &'a [DiscWeights],
    /// Time zone of the calendar days.
    pub tz: Tz,
    /// CRS of `x,y` record columns.
    pub xy_epsg: Epsg,
    /// The working CRS of the areas.
    pub working: Epsg,
    /// The records come in time order (`--sorted-by-time`): each local day
    /// is finished and freed as soon as a record of a later day is read,
    /// and a record of an earlier day than one before it is an error. The
    /// areas' categories are what the engine needs to finish days.
    pub sorted_by_time: Option<Categories<'a>>,
    /// Which phones to sum, and how much memory their phone-days may take
    /// (`--memory`).
    pub memory: MemoryPlan,
}

/// Which phones a reading sums and how much memory the engine's state may
/// take: past the budget the reading stops with [`Error::OverBudget`], and
/// the caller reads the records again a share of the phones at a time
/// (each phone is in one share, so the shares' totals add up to the whole).
#[derive(Debug, Clone, Copy, Default)]
pub struct MemoryPlan {
    /// Bytes the engine's state may take ([`FootprintEngine::state_bytes`]).
    pub budget: Option<usize>,
    /// Sum only share `.0` of `.1` of the phones (see
    /// [`Prepared::keep_share`]).
    pub share: Option<(usize, usize)>,
}

impl MemoryPlan {
    /// The records of the phones of this plan's share.
    pub(crate) fn keep(&self, records: &mut Prepared) {
        if let Some((share, shares)) = self.share {
            records.keep_share(share, shares);
        }
    }

    /// `Err` when the engine's state has passed the budget, `read` bytes
    /// of the input read.
    pub(crate) fn check(&self, engine: &FootprintEngine, read: u64) -> Result<(), Error> {
        match self.budget {
            Some(b) if engine.state_bytes() > b => Err(Error::OverBudget { read }),
            _ => Ok(()),
        }
    }
}

/// The areas' category numbers, as the totals will be asked for with them
/// (see [`stratmap_core::category_numbers`]).
#[derive(Debug, Clone, Copy)]
pub struct Categories<'a> {
    /// Each area's category number.
    pub of_area: &'a [u32],
    /// How many categories there are.
    pub count: usize,
}

/// Where the local days of a run of records (a piece, a batch, the file so
/// far) go back, for `--sorted-by-time`: only records summed take part
/// (a row left out has no day that counts), at their position (line or
/// row) in the run.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct DayOrder {
    /// The first record's day and position.
    first: Option<(i32, u64)>,
    /// The latest day and where it began.
    latest: Option<(i32, u64)>,
    /// The first record of a day before the latest one: its position, and
    /// that latest day and where it began.
    back: Option<(u64, i32, u64)>,
}

impl DayOrder {
    /// A record of `day` at position `at`, after those seen.
    #[inline]
    pub(crate) fn see(&mut self, day: i32, at: u64) {
        match self.latest {
            None => {
                self.first = Some((day, at));
                self.latest = Some((day, at));
            }
            Some((d, _)) if day > d => self.latest = Some((day, at)),
            Some((d, began)) if day < d && self.back.is_none() => {
                self.back = Some((at, d, began));
            }
            Some(_) => {}
        }
    }

    /// Follows these records by the run `next`, whose positions are
    /// counted from `base`: `Err((position, where the later day began))` at
    /// its first record of a day before one already seen.
    pub(crate) fn then(&mut self, next: &DayOrder, base: u64) -> Result<(), (u64, u64)> {
        let (Some((first, at)), Some((latest, began))) = (next.first, next.latest) else {
            return Ok(());
        };
        if let Some((d, d_began)) = self.latest {
            if first < d {
                return Err((base + at, d_began));
            }
        }
        // the run rises to its first step back, and started no lower than
        // the days before it: that step is the first record out of order
        // (its later day began here, or before if it is the latest day seen)
        if let Some((at, day, began)) = next.back {
            let began = match self.latest {
                Some((d, d_began)) if d == day => d_began,
                _ => base + began,
            };
            return Err((base + at, began));
        }
        if self.latest.is_none_or(|(d, _)| latest > d) {
            self.latest = Some((latest, base + began));
        }
        self.first = self.first.or(Some((first, base + at)));
        Ok(())
    }

    /// The latest day seen.
    pub(crate) fn latest(&self) -> Option<i32> {
        self.latest.map(|(d, _)| d)
    }
}

/// The message of a record out of time order under `--sorted-by-time`:
/// where it is and where the later day began (`place` is "line" or
/// "row"), never what the timestamps were.
pub(crate) fn out_of_order(place: &str, began: u64) -> String {
    format!(
        "the timestamp falls on a day before that of {place} {began}: --sorted-by-time expects records in time order (no local day's record after a later day's)"
    )
}

/// Finishes the days before the latest one seen, when the records come in
/// time order.
pub(crate) fn finish_days(engine: &mut FootprintEngine, ctx: &RecordContext, order: &DayOrder) {
    if let (Some(c), Some(day)) = (ctx.sorted_by_time, order.latest()) {
        engine.finish_days_before(day, c.of_area, c.count);
    }
}

/// The disc weights of every tower, computed once.
pub fn tower_weights(areas: &FootprintAreas, towers: &Towers) -> Vec<DiscWeights> {
    areas.weights_of(&towers.positions)
}

/// Bytes read from the file at a time: cut at the last line end, split
/// into [`PIECE`]s parsed in parallel while the next chunk is read.
const CHUNK: usize = 8 << 20;
/// Bytes of a chunk one worker parses (cut at a line end): small enough to
/// balance the workers, large enough that a piece's setup does not show.
const PIECE: usize = 256 << 10;
/// The longest line a records file may have. A record is a phone id, a
/// time and a tower or position: a line this long means the file is not a
/// records file (or a stray quote), and reading on would only fill memory.
pub const MAX_RECORD_LINE: usize = 64 * 1024;

/// The daily footprint of every record, with counts of what was left out.
pub struct RecordFootprint<'a> {
    /// The engine the records were summed in.
    pub engine: FootprintEngine<'a>,
    /// Records read, used and left out.
    pub stats: RecordStats,
    /// Notes on how the file was read (which columns, which time unit);
    /// they name columns, never values.
    pub notes: Vec<Notice>,
}

impl<'a> RecordFootprint<'a> {
    /// The records `read` sums into a new engine over `ctx`'s areas and
    /// tower weights: what the CSV and Parquet readers give.
    pub(crate) fn read(
        ctx: &RecordContext<'a>,
        read: impl FnOnce(&mut FootprintEngine<'a>) -> Result<(RecordStats, Vec<Notice>), Error>,
    ) -> Result<Self, Error> {
        let mut engine = FootprintEngine::with_weights(ctx.areas, ctx.tower_weights);
        let (stats, notes) = read(&mut engine)?;
        Ok(RecordFootprint {
            engine,
            stats,
            notes,
        })
    }
}

impl RecordFootprint<'_> {
    /// Distinct phone-days.
    pub fn phone_days(&self) -> usize {
        self.engine.phone_days()
    }

    /// The totals per area; see [`FootprintEngine::totals`].
    pub fn totals(&self, category: &[u32], categories: usize) -> FootprintTotals {
        self.engine.totals(category, categories)
    }
}

struct Columns {
    phone: usize,
    timestamp: usize,
    tower: Option<usize>,
    point: Option<PointColumns>,
    count: usize,
    delimiter: u8,
    /// The towers' numbers by id, for the records' lookups.
    towers: KeyMap,
}

/// Reads one line of at most [`MAX_RECORD_LINE`] bytes into `buf` (without
/// its line end); `false` at the end of the input.
fn read_line<R: BufRead>(input: &mut R, buf: &mut Vec<u8>) -> Result<bool, LineError> {
    let start = buf.len();
    loop {
        let avail = input.fill_buf().map_err(LineError::Io)?;
        if avail.is_empty() {
            return Ok(buf.len() > start);
        }
        let (take, done) = match memchr::memchr(b'\n', avail) {
            Some(i) => (i, true),
            None => (avail.len(), false),
        };
        if buf.len() - start + take > MAX_RECORD_LINE {
            return Err(LineError::TooLong);
        }
        buf.extend_from_slice(&avail[..take]);
        input.consume(take + usize::from(done));
        if done {
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
            return Ok(true);
        }
    }
}

enum LineError {
    Io(std::io::Error),
    TooLong,
}

impl LineError {
    fn at(self, file: &str, line: u64) -> Error {
        match self {
            LineError::Io(e) => Error::io(file, e),
            LineError::TooLong => Problem::file(
                file,
                format!(
                    "the line is longer than {} KiB: expected a records file, one short record per line (is a quote left open, or is this another kind of file?)",
                    MAX_RECORD_LINE / 1024
                ),
            )
            .at_line(line)
            .into(),
        }
    }
}

/// Reads the records from `input`, calling `progress(records, bytes)` after
/// each batch.
///
/// Each line is one record: a quote opened in a field must close on the same
/// line (no phone id, time or tower spans lines), so a stray quote spoils
/// its own line only, which is counted as malformed, never the lines after.
pub fn read_records<'a, R: Read + Send>(
    file: &str,
    input: R,
    ctx: &RecordContext<'a>,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<RecordFootprint<'a>, Error> {
    RecordFootprint::read(ctx, |engine| {
        read_records_into(file, input, ctx, engine, progress)
    })
}

/// [`read_records`] into a given engine (whose towers are `ctx.towers`, in
/// their order), for a caller that sums several files into one footprint:
/// the counts of what was read and left out, and notes.
pub fn read_records_into<R: Read + Send>(
    file: &str,
    input: R,
    ctx: &RecordContext,
    engine: &mut FootprintEngine,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<(RecordStats, Vec<Notice>), Error> {
    let mut input = BufReader::with_capacity(1 << 20, input);
    let mut header = Vec::new();
    let mut line = 0u64;
    // the header: the first line that is not blank
    loop {
        header.clear();
        line += 1;
        match read_line(&mut input, &mut header) {
            Ok(true) if header.iter().all(u8::is_ascii_whitespace) => continue,
            Ok(true) => break,
            Ok(false) => {
                return Err(Problem::file(
                    file,
                    "the file is empty: expected a header row (phone_id,timestamp,tower_id) and records",
                )
                .at_line(line)
                .into())
            }
            Err(e) => return Err(e.at(file, line)),
        }
    }
    let header_line = line;
    let (mut cols, notes) = record_columns(file, header_line, &header, ctx.xy_epsg)?;
    for (id, &i) in &ctx.towers.ids {
        cols.towers.insert(id.as_bytes(), i);
    }
    let mut stats = RecordStats::default();
    // Chunks of whole lines: one is read from the file while the one before
    // is parsed (in pieces, in parallel) and summed, so reading, which
    // cannot be split, overlaps the rest.
    let mut chunks = Chunks {
        input,
        carry: Vec::new(),
        first_line: line + 1,
        done: false,
    };
    let mut bytes = header.len() as u64;
    let mut order = DayOrder::default();
    let mut current = chunks.next().map_err(|e| e.at(file))?;
    while let Some(chunk) = current {
        let (next, summed) = rayon::join(
            || chunks.next(),
            || sum_chunk(&chunk, &cols, ctx, engine, &mut stats, &mut order),
        );
        summed.map_err(|fault| match fault {
            ChunkFault::TooLong(line) => LineError::TooLong.at(file, line),
            ChunkFault::OutOfOrder(line, began) => Problem::file(file, out_of_order("line", began))
                .at_line(line)
                .at_column(cols.timestamp + 1, "timestamp")
                .into(),
        })?;
        bytes += chunk.text.len() as u64;
        ctx.memory.check(engine, bytes)?;
        progress(stats.read, bytes);
        current = next.map_err(|e| e.at(file))?;
    }
    let mut notes = notes;
    if stats.read == 0 {
        notes.push(Notice::warning(format!(
            "{file} has a header but no records: every area's footprint is 0"
        )));
    }
    let kinds = stats.unix_units.iter().filter(|&&n| n > 0).count();
    for (unit, &n) in TimeUnit::UNIX.iter().zip(&stats.unix_units) {
        if n > 0 && (kinds > 1 || *unit != TimeUnit::UnixSeconds) {
            notes.push(Notice::note(format!(
                "{file}: {} read as {} (told by their size)",
                counted(n, "timestamp"),
                unit.name()
            )));
        }
    }
    if kinds > 1 {
        notes.push(Notice::warning(format!(
            "{file} mixes Unix time units: check that each timestamp's unit was told right"
        )));
    }
    Ok((stats, notes))
}

fn counted(n: u64, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// The columns of a records file from its header line, and notes on
/// columns that are there but not used. Messages name only the columns this
/// reader knows, never other header fields: in a file without a header the
/// "header" is a record.
fn record_columns(
    file: &str,
    line: u64,
    header: &[u8],
    xy_epsg: Epsg,
) -> Result<(Columns, Vec<Notice>), Error> {
    let header = header.strip_prefix(b"\xef\xbb\xbf").unwrap_or(header);
    let delimiter = detect_delimiter(header);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .from_reader(header);
    let mut record = csv::ByteRecord::new();
    let unreadable = || {
        Error::from(
            Problem::file(
                file,
                "cannot read the header row as CSV: expected column names such as phone_id,timestamp,tower_id",
            )
            .at_line(line),
        )
    };
    if !reader.read_byte_record(&mut record).unwrap_or(false) {
        return Err(unreadable());
    }
    let headers: Vec<String> = record
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_string())
        .collect();
    let RecordColumnsAt {
        phone,
        timestamp,
        tower,
        point,
        notes,
    } = find_record_columns(
        file,
        &headers,
        xy_epsg,
        "expected a header row with columns phone_id and timestamp, and tower_id or lon,lat or x,y (is the header missing?)",
    )
    .map_err(|m| Error::from(Problem::file(file, m).at_line(line)))?;
    Ok((
        Columns {
            phone,
            timestamp,
            tower,
            point,
            count: headers.len(),
            delimiter,
            towers: KeyMap::default(),
        },
        notes,
    ))
}

/// Where a records file's columns are, by name, and notes on them.
pub(crate) struct RecordColumnsAt {
    pub(crate) phone: usize,
    pub(crate) timestamp: usize,
    pub(crate) tower: Option<usize>,
    pub(crate) point: Option<PointColumns>,
    pub(crate) notes: Vec<Notice>,
}

/// The record columns among a file's column `names` (a CSV header, a
/// Parquet schema), whatever the case: each known column at most once,
/// phone_id and timestamp, and tower_id or a position. The message when
/// phone_id or timestamp is missing is `missing`. Messages (to be placed
/// in the file by the caller) name only the columns this reader knows,
/// never other fields: in a CSV file without a header the "header" is a
/// record.
pub(crate) fn find_record_columns(
    file: &str,
    names: &[String],
    xy_epsg: Epsg,
    missing: &str,
) -> Result<RecordColumnsAt, String> {
    const KNOWN: [&str; 7] = ["phone_id", "timestamp", "tower_id", "lon", "lat", "x", "y"];
    for name in KNOWN {
        let at: Vec<usize> = (0..names.len())
            .filter(|&i| names[i].eq_ignore_ascii_case(name))
            .collect();
        if at.len() > 1 {
            return Err(format!(
                "the column {name} appears {} times (columns {}): expected each column once",
                at.len(),
                at.iter()
                    .map(|i| (i + 1).to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    let at = |n: &str| crate::csv_table::column_index(names, n);
    let (Some(phone), Some(timestamp)) = (at("phone_id"), at("timestamp")) else {
        return Err(missing.to_string());
    };
    let tower = at("tower_id");
    let point = PointColumns::find_one(names, xy_epsg)?;
    if tower.is_none() && point.is_none() {
        return Err("expected a column tower_id, or lon,lat (degrees) or x,y (metres) giving each record's position".into());
    }
    let mut notes = Vec::new();
    if let (Some(_), Some(pc)) = (tower, &point) {
        let (x, y) = pc.names();
        notes.push(Notice::note(format!(
            "{file} has a tower_id and {x},{y}: a record's tower is used when it names one, its own {x},{y} only when its tower_id is empty"
        )));
    }
    Ok(RecordColumnsAt {
        phone,
        timestamp,
        tower,
        point,
        notes,
    })
}

/// Whole lines of the file, and the number of the first.
struct Chunk {
    text: Vec<u8>,
    first_line: u64,
}

/// The file in [`Chunk`]s of about [`CHUNK`] bytes, each ending at a line
/// end (the last maybe not).
struct Chunks<R> {
    input: R,
    /// The start of a line the last chunk cut off.
    carry: Vec<u8>,
    /// The number of the next chunk's first line.
    first_line: u64,
    done: bool,
}

/// A read that failed: the error and the line it was at.
struct ChunkError(LineError, u64);

impl ChunkError {
    fn at(self, file: &str) -> Error {
        self.0.at(file, self.1)
    }
}

impl<R: BufRead> Chunks<R> {
    fn next(&mut self) -> Result<Option<Chunk>, ChunkError> {
        if self.done && self.carry.is_empty() {
            return Ok(None);
        }
        let mut text = std::mem::take(&mut self.carry);
        text.reserve(CHUNK + 4096);
        // the end of the last whole line in `text`, once one is there
        let mut end = memchr::memrchr(b'\n', &text).map(|i| i + 1);
        while !self.done && (text.len() < CHUNK || end.is_none()) {
            let avail = self
                .input
                .fill_buf()
                .map_err(|e| ChunkError(LineError::Io(e), self.first_line))?;
            if avail.is_empty() {
                self.done = true;
                break;
            }
            let take = avail.len().min(CHUNK + 4096 - text.len().min(CHUNK));
            let from = text.len();
            text.extend_from_slice(&avail[..take]);
            self.input.consume(take);
            if let Some(i) = memchr::memrchr(b'\n', &text[from..]) {
                end = Some(from + i + 1);
            }
            if end.is_none() && text.len() > MAX_RECORD_LINE {
                // no line end in sight: the line at the start is too long
                return Err(ChunkError(LineError::TooLong, self.first_line));
            }
        }
        let end = match end {
            Some(e) if !self.done => e,
            _ => text.len(), // the last chunk takes its last line too
        };
        self.carry = text[end..].to_vec();
        text.truncate(end);
        let chunk = Chunk {
            first_line: self.first_line,
            text,
        };
        self.first_line += memchr::memchr_iter(b'\n', &chunk.text).count() as u64;
        Ok(Some(chunk))
    }
}

/// What one worker made of a piece of a chunk.
struct Piece<'a> {
    records: Prepared<'a>,
    /// Line ends in the piece.
    lines: u64,
    read: u64,
    /// Per kind (the order of [`SkipKind::ALL`]): how many, and the first
    /// few with their line within the piece (0 = its first).
    skipped: [(u64, Vec<(u64, String)>); 4],
    unix_units: [u64; 4],
    /// The line, within the piece, that is too long.
    too_long: Option<u64>,
    /// The days of the records summed, by line within the piece.
    order: DayOrder,
}

/// Why a chunk was not summed.
enum ChunkFault {
    /// This line is too long.
    TooLong(u64),
    /// Under `--sorted-by-time`, this line's day is before that of the
    /// second line.
    OutOfOrder(u64, u64),
}

/// Parses a chunk's pieces in parallel and adds what is good to the
/// engine, following the order of the days from `order` on (and, when the
/// records are sorted by time, finishing the days they have passed).
fn sum_chunk(
    chunk: &Chunk,
    cols: &Columns,
    ctx: &RecordContext,
    engine: &mut FootprintEngine,
    stats: &mut RecordStats,
    order: &mut DayOrder,
) -> Result<(), ChunkFault> {
    let text = &chunk.text[..];
    let mut bounds = vec![0];
    while let Some(&start) = bounds.last() {
        if start >= text.len() {
            break;
        }
        let cut = (start + PIECE).min(text.len());
        let end = match memchr::memchr(b'\n', &text[cut..]) {
            Some(i) if cut < text.len() => cut + i + 1,
            _ => text.len(),
        };
        bounds.push(end);
    }
    let pieces: Vec<Piece> = bounds
        .par_windows(2)
        .map(|w| parse_piece(text, w[0], w[1], cols, ctx))
        .collect();
    let mut line = chunk.first_line;
    let mut parts = Vec::with_capacity(pieces.len());
    for p in pieces {
        if let Some(l) = p.too_long {
            return Err(ChunkFault::TooLong(line + l));
        }
        if ctx.sorted_by_time.is_some() {
            order
                .then(&p.order, line)
                .map_err(|(at, began)| ChunkFault::OutOfOrder(at, began))?;
        }
        stats.read += p.read;
        stats.used += p.records.len() as u64;
        for (kind, (count, first)) in SkipKind::ALL.iter().zip(p.skipped) {
            let s = stats.of(*kind);
            s.count += count;
            let room = SHOWN_SKIPPED.saturating_sub(s.first.len());
            s.first
                .extend(first.into_iter().take(room).map(|(l, why)| (line + l, why)));
        }
        for (n, m) in stats.unix_units.iter_mut().zip(p.unix_units) {
            *n += m;
        }
        line += p.lines;
        let mut records = p.records;
        ctx.memory.keep(&mut records);
        parts.push(records);
    }
    engine.add_prepared(parts);
    finish_days(engine, ctx, order);
    Ok(())
}

thread_local! {
    /// Each worker thread's reader of timestamps (its offset cache stays
    /// warm from piece to piece).
    static DAY_READER: RefCell<Option<DayReader>> = const { RefCell::new(None) };
}

/// Parses the lines of `text[start..end]` into a [`Piece`].
fn parse_piece<'a>(
    text: &'a [u8],
    start: usize,
    end: usize,
    cols: &Columns,
    ctx: &RecordContext,
) -> Piece<'a> {
    DAY_READER.with_borrow_mut(|slot| {
        let days = match slot {
            Some(r) if r.tz() == ctx.tz => r,
            _ => slot.insert(DayReader::new(ctx.tz)),
        };
        let mut piece = Piece {
            records: Prepared::new(text),
            lines: 0,
            read: 0,
            skipped: Default::default(),
            unix_units: [0; 4],
            too_long: None,
            order: DayOrder::default(),
        };
        let mut fields: Vec<&'a [u8]> = Vec::with_capacity(cols.count + 1);
        let mut at = start;
        while at < end {
            let line_end = memchr::memchr(b'\n', &text[at..end]).map_or(end, |i| at + i);
            let mut line = &text[at..line_end];
            let here = piece.lines;
            piece.lines += u64::from(line_end < end);
            at = line_end + 1;
            if line.len() > MAX_RECORD_LINE {
                piece.too_long = Some(here);
                break;
            }
            if let Some(l) = line.strip_suffix(b"\r") {
                line = l;
            }
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            piece.read += 1;
            // the fields, split at the delimiter in one pass that also
            // looks for a quote (a quoted line is read as CSV)
            fields.clear();
            let mut from = 0;
            let mut quote = false;
            for i in memchr::memchr2_iter(cols.delimiter, b'"', line) {
                if line[i] == b'"' {
                    quote = true;
                    break;
                }
                fields.push(&line[from..i]);
                from = i + 1;
            }
            fields.push(&line[from..]);
            let parsed = if !quote {
                parse(&fields, cols, ctx, days).map(|(day, unit, at)| {
                    let phone = fields[cols.phone];
                    let s = phone.as_ptr() as usize - text.as_ptr() as usize;
                    piece.records.push_text(s..s + phone.len(), day, at);
                    (day, unit)
                })
            } else {
                quoted(line, cols, ctx, days, &mut piece.records)
            };
            match parsed {
                Ok((day, unit)) => {
                    piece.order.see(day, here);
                    if let Some(k) = TimeUnit::UNIX.iter().position(|u| *u == unit) {
                        piece.unix_units[k] += 1;
                    }
                }
                Err((kind, why)) => {
                    let (count, first) = &mut piece.skipped[kind as usize];
                    *count += 1;
                    if first.len() < SHOWN_SKIPPED {
                        first.push((here, why));
                    }
                }
            }
        }
        piece
    })
}

/// A line with a quote: read as one CSV record (unquoted phone ids are
/// copied into the batch).
fn quoted(
    line: &[u8],
    cols: &Columns,
    ctx: &RecordContext,
    days: &mut DayReader,
    records: &mut Prepared,
) -> Result<(i32, TimeUnit), (SkipKind, String)> {
    let Some(owned) = fields(line, cols.delimiter) else {
        return Err((
            SkipKind::Malformed,
            "a quote is opened and not closed on this line: expected each record on one line"
                .into(),
        ));
    };
    let f: Vec<&[u8]> = owned.iter().map(|c| &c[..]).collect();
    let (day, unit, at) = parse(&f, cols, ctx, days)?;
    records.push(f[cols.phone], day, at);
    Ok((day, unit))
}

thread_local! {
    /// PROJ objects cannot move between threads and are slow to make: each
    /// worker thread keeps the one it last needed.
    static POINT_READER: RefCell<Option<(Epsg, Epsg, PointReader)>> = const { RefCell::new(None) };
}

/// [`PointReader::check`] with this thread's reader from `source` to
/// `working`; the reason, when the position is refused, quotes no value.
pub(crate) fn locate_here(
    source: Epsg,
    working: Epsg,
    x: f64,
    y: f64,
) -> Result<(f64, f64), String> {
    POINT_READER.with_borrow_mut(|slot| {
        if !matches!(slot, Some((s, w, _)) if *s == source && *w == working) {
            let reader = PointReader::new(source, working).map_err(|e| e.to_string())?;
            *slot = Some((source, working, reader));
        }
        match slot {
            Some((_, _, reader)) => reader.check(x, y).map_err(|e| e.without_values()),
            None => Err(format!("cannot transform EPSG:{source} to EPSG:{working}")),
        }
    })
}

/// The fields of one line: split at the delimiter when it has no quote,
/// else read as one CSV record. `None` when a quote is left open.
fn fields(line: &[u8], delimiter: u8) -> Option<Vec<std::borrow::Cow<'_, [u8]>>> {
    use std::borrow::Cow;
    if memchr::memchr(b'"', line).is_none() {
        return Some(line.split(|b| *b == delimiter).map(Cow::Borrowed).collect());
    }
    // an even number of quotes: every quoted field is closed ("" is one quote)
    if line.iter().filter(|&&b| b == b'"').count() % 2 == 1 {
        return None;
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(line);
    let mut record = csv::ByteRecord::new();
    match reader.read_byte_record(&mut record) {
        Ok(true) => Some(record.iter().map(|f| Cow::Owned(f.to_vec())).collect()),
        _ => None,
    }
}

/// One record from its fields: its day, how its time was written and where
/// it was. Its phone id is only checked for being there, and no field of it
/// is ever copied into a reason: the reasons say which column and what was
/// expected.
fn parse(
    f: &[&[u8]],
    cols: &Columns,
    ctx: &RecordContext,
    days: &mut DayReader,
) -> Result<(i32, TimeUnit, At), (SkipKind, String)> {
    if f.len() != cols.count {
        return Err((
            SkipKind::Malformed,
            format!(
                "expected {} fields as in the header, found {}",
                cols.count,
                f.len()
            ),
        ));
    }
    let field = |c: usize| std::str::from_utf8(f[c]).map(str::trim);
    if f[cols.phone].iter().all(u8::is_ascii_whitespace) {
        return Err((
            SkipKind::Malformed,
            "column phone_id: expected a phone id, found an empty field".into(),
        ));
    }
    let Ok(ts) = field(cols.timestamp) else {
        return Err((
            SkipKind::BadTimestamp,
            "column timestamp: expected UTF-8 text".into(),
        ));
    };
    let (day, unit) = days
        .read(ts)
        .map_err(|m| (SkipKind::BadTimestamp, format!("column timestamp: {m}")))?;
    let tower = cols
        .tower
        .map(|c| field(c).unwrap_or(""))
        .filter(|t| !t.is_empty());
    let at = match (tower, &cols.point) {
        (Some(t), _) => match cols.towers.get(t.as_bytes()) {
            Some(i) => At::Tower(i),
            None => {
                return Err((
                    SkipKind::UnknownTower,
                    "column tower_id: expected a tower of the towers file, found an id it does not list".into(),
                ))
            }
        },
        (None, Some(pc)) => {
            let (xn, yn) = pc.names();
            let num = |c: usize, n: &str| match field(c).map(parse_number) {
                Ok(Ok(Some(v))) => Ok(v),
                Ok(Ok(None)) => Err(format!(
                    "column {n}: expected a coordinate, found an empty field"
                )),
                Ok(Err(_)) => Err(format!(
                    "column {n}: expected a finite number with '.' as decimal point"
                )),
                Err(_) => Err(format!("column {n}: expected UTF-8 text")),
            };
            let (x, y) = match (num(pc.x, xn), num(pc.y, yn)) {
                (Ok(x), Ok(y)) => (x, y),
                (Err(m), _) | (_, Err(m)) => return Err((SkipKind::BadPosition, m)),
            };
            match locate_here(pc.epsg, ctx.working, x, y) {
                Ok(p) => At::Position(p.0, p.1),
                Err(m) => return Err((SkipKind::BadPosition, format!("columns {xn},{yn}: {m}"))),
            }
        }
        (None, None) => {
            return Err((
                SkipKind::UnknownTower,
                "column tower_id: expected a tower id, found an empty field".into(),
            ))
        }
    };
    Ok((day, unit, at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timestamps::{local_day, parse_timestamp, TimestampError};
    use geo::{polygon, MultiPolygon};

    fn stockholm() -> Tz {
        parse_tz("Europe/Stockholm").unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> i32 {
        use chrono::Datelike;
        chrono::NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .num_days_from_ce()
    }

    #[test]
    fn timestamps_in_every_style_and_across_dst() {
        let tz = stockholm();
        let day = |s: &str| local_day(s, &tz);
        assert_eq!(day("2026-10-05 09:07:42"), Ok(date(2026, 10, 5)));
        assert_eq!(day("2026-10-05 23:59"), Ok(date(2026, 10, 5)));
        assert_eq!(day("2026-10-05T23:59:59.5"), Ok(date(2026, 10, 5)));
        // 22:30 UTC is 00:30 the next day in Swedish summer time, 23:30 in winter
        assert_eq!(day("2026-10-05T22:30:00Z"), Ok(date(2026, 10, 6)));
        assert_eq!(day("2026-12-05T22:30:00Z"), Ok(date(2026, 12, 5)));
        assert_eq!(day("2026-10-05T22:30:00+00:00"), Ok(date(2026, 10, 6)));
        // clocks go back at 03:00 CEST on 25 Oct 2026: 23:30 UTC on the 25th is 00:30 CET on the 26th
        assert_eq!(day("2026-10-25T22:30:00Z"), Ok(date(2026, 10, 25)));
        assert_eq!(day("2026-10-25T23:30:00Z"), Ok(date(2026, 10, 26)));
        // 1 790 000 000 s = 2026-09-21 15:33:20 UTC; 1 792 969 200 = 2026-10-25 23:00 UTC = 00:00 CET
        assert_eq!(day("1790000000"), Ok(date(2026, 9, 21)));
        assert_eq!(day("1792969200"), Ok(date(2026, 10, 26)));
        assert_eq!(day("1792969199"), Ok(date(2026, 10, 25)));
        // 02:30 on 29 March 2026 does not exist in Stockholm; 02:30 on 25 Oct happens twice
        assert_eq!(
            day("2026-03-29 02:30"),
            Err(TimestampError::Nonexistent(tz))
        );
        assert_eq!(day("2026-10-25 02:30"), Ok(date(2026, 10, 25)));
        for bad in [
            "",
            "yesterday",
            "2026-02-30 10:00",
            "2026-10-05 25:00",
            "05/10/2026 10:00",
        ] {
            assert!(day(bad).is_err(), "{bad:?}");
        }
        assert!(parse_tz("Europe/Atlantis").is_err());
    }

    #[test]
    fn towers_are_checked() {
        let ok = read_towers(
            "t.csv",
            b"tower_id,x,y\nA,600000,6600000\nB,601000,6600000\n",
            Epsg(3006),
            Epsg(3006),
        )
        .unwrap();
        assert_eq!(
            ok.positions,
            [(600_000.0, 6_600_000.0), (601_000.0, 6_600_000.0)]
        );
        assert_eq!(ok.ids["B"], 1);
        let Err(Error::Input(p)) = read_towers(
            "t.csv",
            b"tower_id,lon,lat\nA,16.6,59.5\nA,16.6,59.5\n,1,2\nC,600000,6600000\n",
            Epsg(3006),
            Epsg(3006),
        ) else {
            panic!()
        };
        let p: Vec<String> = p.iter().map(ToString::to_string).collect();
        assert!(
            p[0].starts_with(
                "t.csv, line 3, column 1 (tower_id): tower \"A\" is listed again (first on line 2)"
            ),
            "{p:?}"
        );
        assert!(
            p[1].starts_with("t.csv, line 4, column 1 (tower_id): expected a tower id"),
            "{p:?}"
        );
        assert!(
            p[2].starts_with("t.csv, line 5, column 2 (lon): lon = 600000"),
            "{p:?}"
        );
    }

    fn area() -> FootprintAreas {
        let a = polygon![(x: 600_000.0, y: 6_590_000.0), (x: 610_000.0, y: 6_590_000.0), (x: 610_000.0, y: 6_610_000.0), (x: 600_000.0, y: 6_610_000.0)];
        FootprintAreas::new(vec![MultiPolygon::new(vec![a])], 500.0)
    }

    /// The records' context over [`area`] and `towers`, in Stockholm time.
    /// The engine borrows the areas: a test may keep them for good.
    fn context(towers: &Towers) -> RecordContext<'static> {
        let areas: &'static FootprintAreas = Box::leak(Box::new(area()));
        let towers: &'static Towers = Box::leak(Box::new(towers.clone()));
        let tw: &'static [DiscWeights] = Box::leak(tower_weights(areas, towers).into_boxed_slice());
        RecordContext {
            areas,
            towers,
            tower_weights: tw,
            tz: stockholm(),
            xy_epsg: Epsg(3006),
            working: Epsg(3006),
            sorted_by_time: None,
            memory: MemoryPlan::default(),
        }
    }

    fn run(records: &str, towers: &Towers) -> RecordFootprint<'static> {
        read_records("r.csv", records.as_bytes(), &context(towers), &|_, _| {}).unwrap()
    }

    /// One tower, A, inside [`area`].
    fn tower_a() -> Towers {
        read_towers(
            "t.csv",
            b"tower_id,x,y\nA,605000,6600000\n",
            Epsg(3006),
            Epsg(3006),
        )
        .unwrap()
    }

    #[test]
    fn records_skip_and_count_without_phone_ids() {
        let towers = read_towers(
            "t.csv",
            b"tower_id,x,y\nOUT,595000,6600000\nEDGE,600000,6600000\n",
            Epsg(3006),
            Epsg(3006),
        )
        .unwrap();
        let text = "phone_id,timestamp,tower_id\n\
                    secret-1,2026-10-05 09:00,OUT\n\
                    secret-1,2026-10-05T12:00:00+02:00,EDGE\n\
                    secret-1,2026-10-05 13:00,T99\n\
                    secret-2,not a time,EDGE\n\
                    secret-2,1790000000,EDGE\n\
                    secret-3,2026-10-05 09:00\n\
                    ,2026-10-05 09:00,EDGE\n";
        let r = run(text, &towers);
        let s = &r.stats;
        assert_eq!((s.read, s.used, s.skipped()), (7, 3, 4));
        assert_eq!(
            s.unknown_tower.first,
            [(
                4,
                "column tower_id: expected a tower of the towers file, found an id it does not list"
                    .to_string()
            )]
        );
        assert_eq!(s.bad_timestamp.first[0].0, 5);
        assert_eq!(s.malformed.count, 2);
        assert_eq!(s.malformed.first[0].0, 7);
        let dump = format!("{s:?}");
        assert!(!dump.contains("secret"), "{dump}");
        // the method's example: phone 1's day is 0.25 inside; phone 2's day 0.5
        let t = r.totals(&[0], 1);
        assert_eq!(t.footprint(0), 0.75);
        assert_eq!(t.outside(), 1.25);
        assert_eq!((t.total_phone_days, t.unique_phones[0]), (2, 2));
        assert_eq!(r.phone_days(), 2);
    }

    /// `--sorted-by-time`: records in time order, across many pieces, with
    /// rows left out among them (an unknown tower, bad timestamps, a row of
    /// an earlier day that is left out anyway), own positions and phones
    /// seen again on later days: the totals of holding every day, one
    /// day's phone-days held at the end. A record of an earlier day is an
    /// error naming its line and column and the line its later day began
    /// on, and quoting no field.
    #[test]
    fn sorted_by_time_finishes_days_and_refuses_a_step_back() {
        let mut towers = tower_a();
        towers.ids.insert("OUT".into(), 1);
        towers.positions.push((595_000.0, 6_600_000.0));
        let mut text = String::from("phone_id,timestamp,tower_id,x,y\n");
        const PER_DAY: usize = 3000;
        for day in 1..=9 {
            for i in 0..PER_DAY {
                let p = (i * 7 + day * 13) % 900;
                let at = match i % 5 {
                    0 => ",605100,6600000".to_string(),
                    1 => "OUT,,".to_string(),
                    _ => "A,,".to_string(),
                };
                text.push_str(&format!(
                    "secret-{p},2026-10-{day:02} {:02}:{:02},{at}\n",
                    i / 130,
                    i % 60
                ));
                if i == 1000 {
                    text.push_str("secret-x,2026-10-01 10:00,T99,,\n");
                    text.push_str("secret-x,yesterday,A,,\n");
                    text.push_str(&format!(
                        "secret-y,2026-10-0{} 10:00,A,,,extra\n",
                        day.max(2) - 1
                    ));
                }
            }
        }
        assert!(text.len() > 3 * PIECE);
        let cats = [0u32];
        let mut ctx = context(&towers);
        let whole = read_records("r.csv", text.as_bytes(), &ctx, &|_, _| {}).unwrap();
        ctx.sorted_by_time = Some(Categories {
            of_area: &cats,
            count: 1,
        });
        let by_day = read_records("r.csv", text.as_bytes(), &ctx, &|_, _| {}).unwrap();
        assert_eq!(whole.totals(&cats, 1), by_day.totals(&cats, 1));
        assert_eq!(whole.stats, by_day.stats);
        assert_eq!(by_day.stats.skipped(), 27);
        assert!(by_day.phone_days() > 9 * 800);
        assert_eq!(whole.phone_days(), by_day.phone_days());
        assert!(
            by_day.engine.held_phone_days() <= 900,
            "{}",
            by_day.engine.held_phone_days()
        );
        // a record of day 3 moved into day 5 (which begins on line
        // 2 + 4 × 3003, one less with the record taken out before it)
        let lines: Vec<&str> = text.lines().collect();
        let day_lines = PER_DAY + 3;
        let at = 4 * day_lines + 500;
        let mut bad = lines.clone();
        let moved = bad.remove(2 * day_lines + 10);
        bad.insert(at, moved);
        let bad = bad.join("\n");
        let Err(e) = read_records("r.csv", bad.as_bytes(), &ctx, &|_, _| {}) else {
            panic!("out of order read");
        };
        let e = e.to_string();
        assert_eq!(
            e,
            format!(
                "r.csv, line {}, column 2 (timestamp): the timestamp falls on a day before that of line {}: --sorted-by-time expects records in time order (no local day's record after a later day's)",
                at + 1,
                4 * day_lines + 1
            )
        );
        assert!(!e.contains("secret") && !e.contains("2026"), "{e}");
    }

    #[test]
    fn own_positions_semicolons_and_shuffles() {
        let towers = Towers::default();
        let rows: Vec<String> = (0..300)
            .map(|i| {
                format!(
                    "p{};2026-10-{:02} 1{}:00;{};{}",
                    i % 17,
                    1 + i % 9,
                    i % 10,
                    599_000 + (i * 37) % 3000,
                    6_600_000 + (i * 53) % 900
                )
            })
            .collect();
        let text = format!("phone_id;timestamp;x;y\n{}\n", rows.join("\n"));
        let mut reversed = rows.clone();
        reversed.reverse();
        let text_rev = format!("phone_id;timestamp;x;y\n{}\n", reversed.join("\n"));
        let a = run(&text, &towers);
        let b = run(&text_rev, &towers);
        assert_eq!(a.stats.used, 300);
        assert_eq!(a.totals(&[0], 1), b.totals(&[0], 1));
        let t = a.totals(&[0], 1);
        assert!((t.footprint(0) + t.outside() - t.total_phone_days as f64).abs() < 1e-9);
        // degrees in x,y are a bad position, counted
        let r = run(
            "phone_id,timestamp,x,y\na,2026-10-05 10:00,16.6,59.5\n",
            &towers,
        );
        assert_eq!(r.stats.bad_position.count, 1);
        assert!(r.stats.bad_position.first[0]
            .1
            .contains("look like longitude/latitude"));
    }

    proptest::proptest! {
        /// The days of records cut into runs anywhere (pieces, chunks,
        /// batches) and followed run by run: the same first record out of
        /// order, and the same line where its later day began, as one run.
        #[test]
        fn day_order_is_the_same_in_runs_cut_anywhere(
            days in proptest::collection::vec(0i32..6, 0..60),
            cuts in proptest::collection::vec(0usize..60, 0..6),
        ) {
            let mut one = DayOrder::default();
            for (i, &d) in days.iter().enumerate() {
                one.see(d, i as u64);
            }
            let want = match one.back {
                Some((at, _, began)) => Err((at, began)),
                None => Ok(one.latest()),
            };
            let mut cuts: Vec<usize> = cuts.into_iter().filter(|&c| c <= days.len()).collect();
            cuts.extend([0, days.len()]);
            cuts.sort_unstable();
            let mut runs = DayOrder::default();
            let mut got = Ok(None);
            for w in cuts.windows(2) {
                let mut run = DayOrder::default();
                for (i, &d) in days[w[0]..w[1]].iter().enumerate() {
                    run.see(d, i as u64);
                }
                if let Err(e) = runs.then(&run, w[0] as u64) {
                    got = Err(e);
                    break;
                }
                got = Ok(runs.latest());
            }
            proptest::prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn timestamp_shapes_seen_in_exports() {
        let tz = stockholm();
        for raw in [
            "2026-10-05T09:07:42+02:00",
            "2026-10-05 09:07:42+02:00",
            "2026-10-05T07:07:42Z",
            "2026-10-05T07:07:42.123456Z",
            "2026-10-05t07:07:42z",
            "2026-10-05 09:07",
            "2026-10-05T09:07:42.5",
            " 2026-10-05 09:07:42 ",
        ] {
            assert_eq!(local_day(raw, &tz), Ok(date(2026, 10, 5)), "{raw}");
        }
    }

    #[test]
    fn unix_time_units_are_told_by_size() {
        let tz = stockholm();
        // 1 790 000 000 s = 2026-09-21 15:33:20 UTC, in every unit
        for (raw, unit) in [
            ("1790000000", TimeUnit::UnixSeconds),
            ("1790000000000", TimeUnit::UnixMilliseconds),
            ("1790000000123", TimeUnit::UnixMilliseconds),
            ("1790000000000000", TimeUnit::UnixMicroseconds),
            ("1790000000000000000", TimeUnit::UnixNanoseconds),
            ("1790000000.5", TimeUnit::UnixSeconds),
        ] {
            assert_eq!(
                parse_timestamp(raw, &tz),
                Ok((date(2026, 9, 21), unit)),
                "{raw}"
            );
        }
        // 23:00 UTC on 25 Oct 2026 is 00:00 CET on the 26th, in milliseconds too
        assert_eq!(local_day("1792969200000", &tz), Ok(date(2026, 10, 26)));
        assert_eq!(local_day("1792969199999", &tz), Ok(date(2026, 10, 25)));
        assert_eq!(
            local_day("179000000000000000000", &tz),
            Err(TimestampError::OutOfRange)
        );
        // a file of milliseconds: one day, not one day per record, and said
        let towers = tower_a();
        let rows: String = (0..10)
            .map(|i| format!("p1,{},A\n", 1_790_000_000_000u64 + i * 60_000))
            .collect();
        let r = run(&format!("phone_id,timestamp,tower_id\n{rows}"), &towers);
        assert_eq!(r.phone_days(), 1);
        assert_eq!(r.stats.unix_units, [0, 10, 0, 0]);
        assert!(
            r.notes
                .iter()
                .any(|n| n.text.contains("10 timestamps read as Unix milliseconds")),
            "{:?}",
            r.notes
        );
    }

    #[test]
    fn a_stray_quote_spoils_its_own_line_only() {
        let towers = tower_a();
        let mut text = String::from("phone_id,timestamp,tower_id\n");
        for i in 0..50 {
            if i == 3 {
                text.push_str("secret-x,2026-10-05 10:00,\"A\n");
            } else if i == 7 {
                text.push_str("\"secret-q\",\"2026-10-05 10:00\",\"A\"\n");
            } else {
                text.push_str(&format!("p{i},2026-10-05 10:00,A\n"));
            }
        }
        let r = run(&text, &towers);
        assert_eq!((r.stats.read, r.stats.used), (50, 49));
        assert_eq!(r.stats.malformed.count, 1);
        assert_eq!(r.stats.malformed.first[0].0, 5);
        assert!(r.stats.malformed.first[0].1.contains("quote"));
        let dump = format!("{:?}", r.stats);
        assert!(!dump.contains("secret"), "{dump}");
    }

    #[test]
    fn reasons_never_quote_a_field() {
        let towers = tower_a();
        // ids in every column: under timestamp, tower_id, x and y, and in fields too long or too short
        let text = "phone_id,timestamp,tower_id,x,y\n                    A,secret-1,A,,\n                    secret-2,2026-10-05 10:00,secret-3,,\n                    secret-4,2026-10-05 10:00,,secret-5,6600000\n                    secret-6,2026-10-05 10:00,,16.5,59.5\n                    secret-7,2026-03-29 02:30,A,,\n                    secret-8,99999999999999999999,A,,\n                    secret-9,2026-10-05 10:00,A,,,secret-10\n                    secret-11,2026-10-05 10:00,,1e400,6600000\n";
        let r = run(text, &towers);
        assert_eq!((r.stats.read, r.stats.used), (8, 0));
        let dump = format!("{:?} {:?}", r.stats, r.notes);
        for n in 1..=11 {
            assert!(!dump.contains(&format!("secret-{n}")), "{dump}");
        }
        assert!(!dump.contains("16.5") && !dump.contains("02:30"), "{dump}");
        // the header of a file without one is a record: not quoted either
        let ctx = context(&towers);
        let Err(e) = read_records(
            "r.csv",
            &b"secret-1,2026-10-05 10:00,A\n"[..],
            &ctx,
            &|_, _| {},
        ) else {
            panic!()
        };
        let e = e.to_string();
        assert!(e.contains("r.csv, line 1") && e.contains("header"), "{e}");
        assert!(!e.contains("secret"), "{e}");
        // an endless line is refused at once, not read into memory
        let zeros = std::io::repeat(0).take(1 << 30);
        let Err(e) = read_records("zero", zeros, &ctx, &|_, _| {}) else {
            panic!()
        };
        assert!(e.to_string().contains("longer than 64 KiB"), "{e}");
        // a repeated column is refused, naming it
        let Err(e) = read_records(
            "r.csv",
            &b"phone_id,timestamp,tower_id,timestamp\n"[..],
            &ctx,
            &|_, _| {},
        ) else {
            panic!()
        };
        assert!(
            e.to_string()
                .contains("the column timestamp appears 2 times (columns 2, 4)"),
            "{e}"
        );
    }
}
