//! Towers and connection records (SPEC §3.3).
//!
//! Records stream through in batches: each batch is parsed in parallel
//! (timestamps to local days, towers to their precomputed disc weights, own
//! positions to fresh ones), then summed into [`DailyFootprint`] shards keyed
//! by a hash of the phone id, so memory holds the distinct phone-days and
//! phones, never the records. Records naming an unknown tower, with a bad
//! timestamp or malformed are left out before the day's 1/n split and
//! counted, with the first few line numbers.
//!
//! Phone ids are only hashed and interned here; they never appear in a
//! result, a message or an error.

use crate::csv_table::{detect_delimiter, parse_number, CsvTable};
use crate::points::{read_point, PointColumns, PointReader};
use crate::{Error, Problem};
use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHasher};
use std::cell::RefCell;
use std::hash::Hasher;
use std::io::{BufRead, BufReader, Read};
use stratmap_core::footprint::{DailyFootprint, DiscWeights, FootprintAreas, FootprintTotals};

/// Towers by id, with positions in the working CRS.
#[derive(Debug, Clone, Default)]
pub struct Towers {
    pub ids: FxHashMap<String, u32>,
    pub positions: Vec<(f64, f64)>,
}

/// Reads a towers CSV: `tower_id` plus `lon,lat` or `x,y` (in `xy_epsg`).
pub fn read_towers(file: &str, data: &[u8], xy_epsg: u32, working: u32) -> Result<Towers, Error> {
    let (table, mut problems) = CsvTable::read(file, data)?;
    let Some(id_col) = table.find("tower_id") else {
        return Err(Problem::file(file, "expected a column tower_id")
            .at_line(1)
            .into());
    };
    let Some(pc) = PointColumns::find(&table.headers, xy_epsg) else {
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

/// Parses an IANA time zone name such as `Europe/Stockholm`.
pub fn parse_tz(name: &str) -> Result<Tz, String> {
    name.parse::<Tz>().map_err(|_| {
        format!("unknown time zone {name:?}: expected an IANA name such as \"Europe/Stockholm\"")
    })
}

/// The calendar day (days since 0001-01-01) of a timestamp in `tz`:
/// RFC 3339 with an offset (`2026-10-05T09:07:42+02:00`, `…Z`), naive local
/// time `YYYY-MM-DD HH:MM[:SS]` (also with `T`), or Unix seconds. A naive
/// time that does not exist in `tz` (in the hour skipped when clocks go
/// forward) is refused; one that occurs twice (when clocks go back) is on
/// the same day either way.
pub fn local_day(raw: &str, tz: &Tz) -> Result<i32, String> {
    use chrono::Datelike;
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("expected a timestamp, found an empty field".into());
    }
    let day = |d: NaiveDate| d.num_days_from_ce();
    if raw
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'-' || b == b'.')
        && !raw[1..].contains('-')
    {
        let secs: f64 = raw
            .parse()
            .map_err(|_| format!("expected Unix seconds, found {raw:?}"))?;
        let t = DateTime::from_timestamp(secs.floor() as i64, 0)
            .filter(|_| secs.is_finite() && secs.abs() < 1e13)
            .ok_or_else(|| format!("Unix seconds {raw} are out of range"))?;
        return Ok(day(t.with_timezone(tz).date_naive()));
    }
    if let Some(t) = naive_common(raw) {
        return local_naive_day(raw, t, tz);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(day(t.with_timezone(tz).date_naive()));
    }
    let naive = [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok());
    match naive {
        Some(t) => local_naive_day(raw, t, tz),
        None => Err(format!(
            "expected RFC 3339 (2026-10-05T09:07:42+02:00), local time (2026-10-05 09:07[:42]) or Unix seconds, found {raw:?}"
        )),
    }
}

/// The day of a naive local time, refused when `tz` skips it.
fn local_naive_day(raw: &str, t: NaiveDateTime, tz: &Tz) -> Result<i32, String> {
    use chrono::Datelike;
    match tz.from_local_datetime(&t) {
        LocalResult::None => Err(format!(
            "{raw} does not exist in {tz} (clocks were put forward): expected a real local time, or an offset (RFC 3339)"
        )),
        _ => Ok(t.date().num_days_from_ce()),
    }
}

/// `YYYY-MM-DD HH:MM` or `YYYY-MM-DD HH:MM:SS` (or with `T`), the common
/// case, read without a format parser; anything else is `None`.
fn naive_common(raw: &str) -> Option<NaiveDateTime> {
    let b = raw.as_bytes();
    if !(b.len() == 16 || b.len() == 19) {
        return None;
    }
    let num = |i: usize, n: usize| -> Option<u32> {
        b[i..i + n].iter().try_fold(0u32, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let seps = b[4] == b'-' && b[7] == b'-' && (b[10] == b' ' || b[10] == b'T') && b[13] == b':';
    if !seps || (b.len() == 19 && b[16] != b':') {
        return None;
    }
    let sec = if b.len() == 19 { num(17, 2)? } else { 0 };
    NaiveDate::from_ymd_opt(num(0, 4)? as i32, num(5, 2)?, num(8, 2)?)?.and_hms_opt(
        num(11, 2)?,
        num(14, 2)?,
        sec,
    )
}

/// Rows left out, with the first few line numbers and what was wrong.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Skipped {
    pub count: u64,
    pub first: Vec<(u64, String)>,
}

/// How many of the first skipped rows of each kind are kept for the report.
pub const SHOWN_SKIPPED: usize = 5;

impl Skipped {
    fn push(&mut self, line: u64, why: String) {
        self.count += 1;
        if self.first.len() < SHOWN_SKIPPED {
            self.first.push((line, why));
        }
    }
}

/// What happened to the records.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordStats {
    pub read: u64,
    pub used: u64,
    pub unknown_tower: Skipped,
    pub bad_timestamp: Skipped,
    pub bad_position: Skipped,
    pub malformed: Skipped,
}

impl RecordStats {
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
}

/// Everything the records are read against.
pub struct RecordContext<'a> {
    pub areas: &'a FootprintAreas,
    pub towers: &'a Towers,
    /// Disc weights per tower, as [`tower_weights`] makes them.
    pub tower_weights: &'a [DiscWeights],
    pub tz: Tz,
    /// CRS of `x,y` record columns.
    pub xy_epsg: u32,
    /// The working CRS of the areas.
    pub working: u32,
}

/// The disc weights of every tower, computed once.
pub fn tower_weights(areas: &FootprintAreas, towers: &Towers) -> Vec<DiscWeights> {
    towers
        .positions
        .par_iter()
        .map(|p| areas.weights(*p))
        .collect()
}

/// Records per batch: parsed in parallel, then summed per shard in parallel.
const BATCH: usize = 1 << 16;
/// Phones are spread over this many shards by a hash of their id.
const SHARDS: usize = 64;

enum Source {
    Tower(u32),
    Own(DiscWeights),
}

enum Parsed {
    Ok { hash: u64, day: i32, source: Source },
    Skip { kind: usize, line: u64, why: String },
}

/// The phones whose hash falls in one shard, numbered in order of
/// appearance, and their phone-days.
#[derive(Default)]
struct Shard {
    /// Phone number by the 64-bit hash of its id.
    by_hash: FxHashMap<u64, u32>,
    /// Each phone's id, to tell apart two ids with the same hash.
    ids: Vec<Box<[u8]>>,
    /// Phones whose hash another phone had first (practically never).
    collided: FxHashMap<Box<[u8]>, u32>,
    footprint: DailyFootprint,
}

impl Shard {
    fn intern(&mut self, hash: u64, id: &[u8]) -> u32 {
        let next = self.ids.len() as u32;
        match self.by_hash.get(&hash) {
            Some(&p) if *self.ids[p as usize] == *id => p,
            Some(_) => *self.collided.entry(id.into()).or_insert_with(|| {
                self.ids.push(id.into());
                next
            }),
            None => {
                self.by_hash.insert(hash, next);
                self.ids.push(id.into());
                next
            }
        }
    }
}

/// The daily footprint of every record, with counts of what was left out.
pub struct RecordFootprint {
    shards: Vec<DailyFootprint>,
    pub stats: RecordStats,
}

impl RecordFootprint {
    pub fn phone_days(&self) -> usize {
        self.shards.iter().map(DailyFootprint::phone_days).sum()
    }

    /// The totals per area; see [`DailyFootprint::totals`].
    pub fn totals(&self, category: &[u32], categories: usize) -> FootprintTotals {
        self.shards
            .par_iter()
            .map(|s| s.totals(category, categories))
            .reduce(
                || FootprintTotals::new(category.len(), categories),
                |mut a, b| {
                    a.merge(&b);
                    a
                },
            )
    }
}

struct Columns {
    phone: usize,
    timestamp: usize,
    tower: Option<usize>,
    point: Option<PointColumns>,
    names: Vec<String>,
}

/// Reads the records from `input`, calling `progress(records, bytes)` after
/// each batch.
pub fn read_records<R: Read + Send>(
    file: &str,
    input: R,
    ctx: &RecordContext,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<RecordFootprint, Error> {
    let mut buffered = BufReader::with_capacity(1 << 20, input);
    let head = buffered.fill_buf().map_err(|e| Error::io(file, e))?;
    let delimiter = detect_delimiter(head);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(buffered);
    let headers: Vec<String> = reader
        .byte_headers()
        .map_err(|e| Problem::file(file, format!("cannot read the header row: {e}")).at_line(1))?
        .iter()
        .map(|h| {
            String::from_utf8_lossy(h)
                .trim()
                .trim_start_matches('\u{feff}')
                .to_string()
        })
        .collect();
    let at = |n: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(n));
    let (Some(phone), Some(timestamp)) = (at("phone_id"), at("timestamp")) else {
        return Err(Problem::file(
            file,
            "expected columns phone_id and timestamp, and tower_id or lon,lat or x,y",
        )
        .at_line(1)
        .into());
    };
    let cols = Columns {
        phone,
        timestamp,
        tower: at("tower_id"),
        point: PointColumns::find(&headers, ctx.xy_epsg),
        names: headers.clone(),
    };
    if cols.tower.is_none() && cols.point.is_none() {
        return Err(Problem::file(file, "expected a column tower_id, or lon,lat (degrees) or x,y (metres) giving each record's position").at_line(1).into());
    }
    let mut shards: Vec<Shard> = (0..SHARDS).map(|_| Shard::default()).collect();
    let mut stats = RecordStats::default();
    // Two batches: one is read from the file while the other is parsed and
    // summed, so reading (which cannot be split) overlaps the rest.
    let mut current = Batch::new();
    let mut next = Batch::new();
    current.fill(&mut reader).map_err(|e| Error::io(file, e))?;
    while current.n > 0 {
        let more = current.n == BATCH;
        let (filled, ()) = rayon::join(
            || if more { next.fill(&mut reader) } else { Ok(()) },
            || current.sum(&cols, ctx, &mut shards, &mut stats),
        );
        filled.map_err(|e| Error::io(file, e))?;
        progress(stats.read, current.bytes);
        if !more {
            break;
        }
        std::mem::swap(&mut current, &mut next);
    }
    Ok(RecordFootprint {
        shards: shards.into_iter().map(|s| s.footprint).collect(),
        stats,
    })
}

/// A batch of records as read from the file.
struct Batch {
    records: Vec<csv::ByteRecord>,
    n: usize,
    /// Lines that could not be read as CSV (bad quoting).
    unreadable: Vec<u64>,
    /// The byte offset reached.
    bytes: u64,
}

impl Batch {
    fn new() -> Self {
        Batch {
            records: (0..BATCH).map(|_| csv::ByteRecord::new()).collect(),
            n: 0,
            unreadable: Vec::new(),
            bytes: 0,
        }
    }

    /// Reads up to [`BATCH`] records; blank lines are skipped, unreadable
    /// rows noted.
    fn fill<R: Read>(&mut self, reader: &mut csv::Reader<R>) -> std::io::Result<()> {
        self.n = 0;
        self.unreadable.clear();
        while self.n < BATCH {
            match reader.read_byte_record(&mut self.records[self.n]) {
                Ok(true) => {
                    let r = &self.records[self.n];
                    if !(r.len() == 1 && r.get(0).is_some_and(<[u8]>::is_empty)) {
                        self.n += 1;
                    }
                }
                Ok(false) => break,
                Err(e) => {
                    if let csv::ErrorKind::Io(_) = e.kind() {
                        return Err(std::io::Error::other(e.to_string()));
                    }
                    self.unreadable
                        .push(e.position().map_or(0, csv::Position::line));
                }
            }
        }
        self.bytes = reader.position().byte();
        Ok(())
    }

    /// Parses the batch in parallel and adds it to the shards, each shard
    /// in parallel and in file order.
    fn sum(
        &self,
        cols: &Columns,
        ctx: &RecordContext,
        shards: &mut [Shard],
        stats: &mut RecordStats,
    ) {
        let records = &self.records[..self.n];
        let parsed: Vec<Parsed> = records
            .par_chunks(4096)
            .flat_map_iter(|chunk| {
                chunk
                    .iter()
                    .map(|r| parse(r, cols, ctx))
                    .collect::<Vec<_>>()
            })
            .collect();
        stats.read += (self.n + self.unreadable.len()) as u64;
        let mut skipped: Vec<(u64, usize, String)> = self
            .unreadable
            .iter()
            .map(|&l| (l, 3, "cannot be read as CSV".to_string()))
            .collect();
        let mut buckets: Vec<Vec<u32>> = vec![Vec::new(); SHARDS];
        for (i, p) in parsed.iter().enumerate() {
            match p {
                Parsed::Ok { hash, .. } => buckets[shard_of(*hash)].push(i as u32),
                Parsed::Skip { kind, line, why } => skipped.push((*line, *kind, why.clone())),
            }
        }
        skipped.sort_by_key(|s| s.0);
        for (line, kind, why) in skipped {
            let s = match kind {
                0 => &mut stats.unknown_tower,
                1 => &mut stats.bad_timestamp,
                2 => &mut stats.bad_position,
                _ => &mut stats.malformed,
            };
            s.push(line, why);
        }
        stats.used += buckets.iter().map(|b| b.len() as u64).sum::<u64>();
        shards
            .par_iter_mut()
            .zip(&buckets)
            .for_each(|(shard, idx)| {
                for &i in idx {
                    let i = i as usize;
                    let Parsed::Ok { hash, day, source } = &parsed[i] else {
                        continue;
                    };
                    let phone = shard.intern(*hash, records[i].get(cols.phone).unwrap_or_default());
                    let w = match source {
                        Source::Tower(t) => &ctx.tower_weights[*t as usize],
                        Source::Own(w) => w,
                    };
                    shard.footprint.add(phone, *day, w);
                }
            });
    }
}

thread_local! {
    /// PROJ objects cannot move between threads and are slow to make: each
    /// worker thread keeps the one it last needed.
    static POINT_READER: RefCell<Option<(u32, u32, PointReader)>> = const { RefCell::new(None) };
}

/// [`PointReader::locate`] with this thread's reader from `source` to `working`.
fn locate_here(source: u32, working: u32, x: f64, y: f64) -> Result<(f64, f64), String> {
    POINT_READER.with_borrow_mut(|slot| {
        if !matches!(slot, Some((s, w, _)) if *s == source && *w == working) {
            let reader = PointReader::new(source, working).map_err(|e| e.to_string())?;
            *slot = Some((source, working, reader));
        }
        match slot {
            Some((_, _, reader)) => reader.locate(x, y),
            None => Err(format!("cannot transform EPSG:{source} to EPSG:{working}")),
        }
    })
}

/// A well-mixed 64-bit hash of a phone id: Fx over the bytes, then the
/// SplitMix64 finaliser so every bit depends on every byte.
fn phone_hash(phone: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    h.write(phone);
    let mut z = h.finish() ^ phone.len() as u64;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn shard_of(hash: u64) -> usize {
    (hash >> 58) as usize % SHARDS
}

/// One record parsed; its phone id is only hashed, never copied into a message.
fn parse(r: &csv::ByteRecord, cols: &Columns, ctx: &RecordContext) -> Parsed {
    let line = r.position().map_or(0, csv::Position::line);
    let skip = |kind: usize, why: String| Parsed::Skip { kind, line, why };
    if r.len() != cols.names.len() {
        return skip(
            3,
            format!(
                "expected {} fields as in the header, found {}",
                cols.names.len(),
                r.len()
            ),
        );
    }
    let field = |c: usize| std::str::from_utf8(r.get(c).unwrap_or_default()).map(str::trim);
    let phone = r.get(cols.phone).unwrap_or_default();
    if phone.iter().all(u8::is_ascii_whitespace) {
        return skip(3, "the phone_id field is empty".into());
    }
    let Ok(ts) = field(cols.timestamp) else {
        return skip(1, "column timestamp: expected UTF-8 text".into());
    };
    let day = match local_day(ts, &ctx.tz) {
        Ok(d) => d,
        Err(m) => return skip(1, format!("column timestamp: {m}")),
    };
    let tower = cols
        .tower
        .map(|c| field(c).unwrap_or(""))
        .filter(|t| !t.is_empty());
    let source = match (tower, &cols.point) {
        (Some(t), _) => match ctx.towers.ids.get(t) {
            Some(&i) => Source::Tower(i),
            None => return skip(0, format!("column tower_id: unknown tower {t:?}")),
        },
        (None, Some(pc)) => {
            let (xn, yn) = pc.names();
            let num = |c: usize, n: &str| match field(c).map(parse_number) {
                Ok(Ok(Some(v))) => Ok(v),
                Ok(Ok(None)) => Err(format!(
                    "column {n}: expected a coordinate, found an empty field"
                )),
                Ok(Err(m)) => Err(format!("column {n}: {m}")),
                Err(_) => Err(format!("column {n}: expected UTF-8 text")),
            };
            let (x, y) = match (num(pc.x, xn), num(pc.y, yn)) {
                (Ok(x), Ok(y)) => (x, y),
                (Err(m), _) | (_, Err(m)) => return skip(2, m),
            };
            match locate_here(pc.epsg, ctx.working, x, y) {
                Ok(p) => Source::Own(ctx.areas.weights(p)),
                Err(m) => return skip(2, format!("column {xn}: {m}")),
            }
        }
        (None, None) => {
            return skip(
                0,
                "column tower_id: expected a tower id, found an empty field".into(),
            )
        }
    };
    Parsed::Ok {
        hash: phone_hash(phone),
        day,
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, MultiPolygon};

    fn stockholm() -> Tz {
        parse_tz("Europe/Stockholm").unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> i32 {
        use chrono::Datelike;
        NaiveDate::from_ymd_opt(y, m, d).unwrap().num_days_from_ce()
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
        assert!(day("2026-03-29 02:30")
            .unwrap_err()
            .contains("does not exist"));
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
            3006,
            3006,
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
            3006,
            3006,
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

    fn run(records: &str, towers: &Towers) -> RecordFootprint {
        let areas = area();
        let tw = tower_weights(&areas, towers);
        let ctx = RecordContext {
            areas: &areas,
            towers,
            tower_weights: &tw,
            tz: stockholm(),
            xy_epsg: 3006,
            working: 3006,
        };
        read_records("r.csv", records.as_bytes(), &ctx, &|_, _| {}).unwrap()
    }

    #[test]
    fn records_skip_and_count_without_phone_ids() {
        let towers = read_towers(
            "t.csv",
            b"tower_id,x,y\nOUT,595000,6600000\nEDGE,600000,6600000\n",
            3006,
            3006,
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
            [(4, "column tower_id: unknown tower \"T99\"".to_string())]
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
}
