//! Connection records from Parquet (SPEC §3.3), the columns of the CSV
//! records: `phone_id`, `timestamp`, and `tower_id` or `lon,lat` / `x,y`.
//!
//! The file is streamed: each needed column has its own reader, which holds
//! one row group's column chunk at a time and hands out batches of rows; the
//! columns of the next batch are decoded in parallel while the current one
//! is turned into records (in parallel chunks, each into the engine's
//! [`Prepared`] form) and summed by the core's [`FootprintEngine`]. What is read, used and left out is counted exactly
//! as [`read_records_into`](crate::connections::read_records_into) counts
//! it, with "row N" (1-based over the whole file) where the CSV reader says
//! line N, and the footprint is the same to the last bit for the same
//! records.
//!
//! Column types:
//! - `phone_id`: text (`Utf8`, `LargeUtf8`, `Utf8View`, `Binary`,
//!   `LargeBinary`, `BinaryView`) or a dictionary of text, any key type.
//! - `tower_id`: the same, or an integer, compared with the towers file's id
//!   text as its decimal text (`7` matches `7`, not `007`). Tower ids are
//!   read as a dictionary where the file is dictionary-encoded, and each
//!   dictionary value is looked up once per dictionary, not once per row.
//! - `timestamp`: `TIMESTAMP` of any unit adjusted to UTC (an instant, whose
//!   local day in the analysis time zone is taken), `TIMESTAMP` without a
//!   time zone (local time in the analysis time zone: a time skipped when
//!   clocks go forward is a bad timestamp, as in the CSV reader), a legacy
//!   `INT96` timestamp (Spark, Impala: an instant in UTC), `DATE`
//!   (`Date32`, `Date64`), an integer (Unix time, its unit told by its size
//!   as [`parse_timestamp`](crate::timestamps::parse_timestamp) tells it), or text (read by [`parse_timestamp`](crate::timestamps::parse_timestamp)).
//! - `lon,lat` / `x,y`: floating point or integers.
//!
//! A null is an empty field. No message quotes a value of the file: only
//! column names, types, row numbers and what was expected.

use crate::connections::{
    find_record_columns, finish_days, out_of_order, DayOrder, DayReader, RecordColumnsAt,
    RecordContext, RecordFootprint, RecordStats, SkipKind, Skipped, TimeUnit, SHOWN_SKIPPED,
};
use crate::points::PointColumns;
use crate::timestamps::TimestampError;
use crate::{Error, Problem};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, TimeUnit as ArrowUnit};
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReader,
    ParquetRecordBatchReaderBuilder,
};
use parquet::arrow::ProjectionMask;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::cell::RefCell;
use std::path::Path;
use std::sync::Arc;
use stratmap_core::Notice;
use stratmap_core::{At, FootprintEngine, Prepared};

/// Rows per batch, as the CSV reader's lines per batch.
const BATCH: usize = 1 << 16;
/// Rows per parallel chunk of a batch.
const CHUNK: usize = 4096;
/// Days from 0001-01-01 (chrono's `num_days_from_ce`) to 1970-01-01.
const UNIX_EPOCH_DAY: i64 = 719_163;
const DAY_SECONDS: i64 = 86_400;

/// Whether a records path names a Parquet file (by its extension,
/// `.parquet` or `.parq`).
pub fn is_parquet(path: &Path) -> bool {
    matches!(crate::extension(path).as_str(), "parquet" | "parq")
}

/// Reads the records of the Parquet file at `path` (named `file` in
/// messages) into a new engine; see [`read_parquet_records_into`].
pub fn read_parquet_records<'a>(
    file: &str,
    path: &Path,
    ctx: &RecordContext<'a>,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<RecordFootprint<'a>, Error> {
    RecordFootprint::read(ctx, |engine| {
        read_parquet_records_into(file, path, ctx, engine, progress)
    })
}

/// The needed columns of a records file: their top-level field numbers.
struct Columns {
    phone: usize,
    timestamp: usize,
    /// The timestamp is a legacy INT96 (Spark, Impala, Hive): an instant in
    /// UTC, which the arrow reader gives as a TIMESTAMP without time zone.
    int96: bool,
    tower: Option<usize>,
    point: Option<PointColumns>,
}

impl Columns {
    /// The field numbers to read, each once, in the order the batches hold
    /// them: phone, timestamp, then tower and x, y when there.
    fn fields(&self) -> Vec<usize> {
        let mut f = vec![self.phone, self.timestamp];
        f.extend(self.tower);
        if let Some(pc) = &self.point {
            f.extend([pc.x, pc.y]);
        }
        f
    }
}

/// A problem with the whole file (Parquet has no lines).
fn problem(file: &str, message: impl Into<String>) -> Error {
    Problem::file(file, message).into()
}

fn is_text(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Utf8
            | DataType::LargeUtf8
            | DataType::Utf8View
            | DataType::Binary
            | DataType::LargeBinary
            | DataType::BinaryView
    )
}

fn is_text_or_dictionary(t: &DataType) -> bool {
    match t {
        DataType::Dictionary(k, v) => k.is_dictionary_key_type() && is_text(v),
        t => is_text(t),
    }
}

fn is_unix_integer(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Int32 | DataType::Int64 | DataType::UInt32 | DataType::UInt64
    )
}

fn is_coordinate(t: &DataType) -> bool {
    t.is_integer() || matches!(t, DataType::Float32 | DataType::Float64)
}

/// The columns of the file's schema, each type checked; an error names the
/// file, the column, its type and what was expected.
fn record_columns(
    file: &str,
    schema: &Schema,
    xy_epsg: crate::Epsg,
) -> Result<(Columns, Vec<Notice>), Error> {
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let RecordColumnsAt {
        phone,
        timestamp,
        tower,
        point,
        notes,
    } = find_record_columns(
        file,
        &names,
        xy_epsg,
        "expected columns phone_id and timestamp, and tower_id or lon,lat or x,y",
    )
    .map_err(|m| problem(file, m))?;
    let type_of = |i: usize| schema.field(i).data_type();
    let wrong = |name: &str, i: usize, expected: &str| {
        problem(
            file,
            format!("column {name} has type {}: expected {expected}", type_of(i)),
        )
    };
    const TEXT: &str = "text (Utf8, LargeUtf8, Binary) or a dictionary of text";
    if !is_text_or_dictionary(type_of(phone)) {
        return Err(wrong("phone_id", phone, TEXT));
    }
    let ts_ok = match type_of(timestamp) {
        DataType::Timestamp(..) | DataType::Date32 | DataType::Date64 => true,
        t => {
            is_unix_integer(t)
                || matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
        }
    };
    if !ts_ok {
        return Err(wrong(
            "timestamp",
            timestamp,
            "a TIMESTAMP (with or without time zone), a DATE, an integer (Unix time) or text (Utf8)",
        ));
    }
    if let Some(t) = tower {
        let ty = type_of(t);
        if !(is_text_or_dictionary(ty) || ty.is_integer()) {
            return Err(wrong(
                "tower_id",
                t,
                "text (Utf8, LargeUtf8, Binary), a dictionary of text, or an integer",
            ));
        }
    }
    if let Some(pc) = &point {
        let (xn, yn) = pc.names();
        for (c, n) in [(pc.x, xn), (pc.y, yn)] {
            if !is_coordinate(type_of(c)) {
                return Err(wrong(n, c, "a number (Float64, Float32 or an integer)"));
            }
        }
    }
    Ok((
        Columns {
            phone,
            timestamp,
            int96: false,
            tower,
            point,
        },
        notes,
    ))
}

/// The reader's metadata with text tower ids read as a dictionary (kept as
/// the file has it where its pages are dictionary-encoded), or as the file
/// says when the hint is not taken.
fn with_dictionary_towers(meta: ArrowReaderMetadata, tower: Option<usize>) -> ArrowReaderMetadata {
    let Some(t) = tower else { return meta };
    let schema = meta.schema();
    let ty = schema.field(t).data_type();
    if !is_text(ty) {
        return meta;
    }
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .enumerate()
        .map(|(i, f)| {
            if i == t {
                let value = match ty {
                    DataType::Utf8View => DataType::Utf8,
                    DataType::BinaryView => DataType::Binary,
                    t => t.clone(),
                };
                f.as_ref().clone().with_data_type(DataType::Dictionary(
                    Box::new(DataType::Int32),
                    Box::new(value),
                ))
            } else {
                f.as_ref().clone()
            }
        })
        .collect();
    let hint = Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()));
    let options = ArrowReaderOptions::new().with_schema(hint);
    ArrowReaderMetadata::try_new(meta.metadata().clone(), options).unwrap_or(meta)
}

/// Reads the records of the Parquet file at `path` (named `file` in
/// messages) into `engine`, whose towers are `ctx.towers` in their order,
/// calling `progress(records, bytes)` after each batch (bytes estimated
/// from the share of rows read). Returns the same counts and notes as
/// [`read_records_into`](crate::connections::read_records_into) does for a
/// CSV file, with row numbers where it has line numbers.
pub fn read_parquet_records_into(
    file: &str,
    path: &Path,
    ctx: &RecordContext,
    engine: &mut FootprintEngine,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<(RecordStats, Vec<Notice>), Error> {
    read_into(file, path, ctx, engine, progress).map(|(stats, notes, _)| (stats, notes))
}

/// [`read_parquet_records_into`], and how many tower dictionaries were
/// looked up.
fn read_into(
    file: &str,
    path: &Path,
    ctx: &RecordContext,
    engine: &mut FootprintEngine,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<(RecordStats, Vec<Notice>, u64), Error> {
    let first = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let size = first.metadata().map(|m| m.len()).unwrap_or(0);
    let not_parquet = |e: parquet::errors::ParquetError| {
        problem(
            file,
            format!("cannot read it as Parquet ({e}): expected a Parquet file of records"),
        )
    };
    let meta = ArrowReaderMetadata::load(&first, ArrowReaderOptions::new()).map_err(not_parquet)?;
    let (mut cols, mut notes) = record_columns(file, meta.schema(), ctx.xy_epsg)?;
    let leaves = meta.parquet_schema();
    cols.int96 = (0..leaves.num_columns()).any(|i| {
        leaves.get_column_root_idx(i) == cols.timestamp
            && leaves.column(i).physical_type() == parquet::basic::Type::INT96
    });
    let meta = with_dictionary_towers(meta, cols.tower);
    let total_rows = meta.metadata().file_metadata().num_rows().max(0) as u64;
    // one reader a column, each with its own file handle (reads seek)
    let mut readers: Vec<ParquetRecordBatchReader> = Vec::new();
    for (k, &field) in cols.fields().iter().enumerate() {
        let handle = if k == 0 {
            first.try_clone()
        } else {
            std::fs::File::open(path)
        }
        .map_err(|e| Error::io(path, e))?;
        let mask = ProjectionMask::roots(meta.parquet_schema(), [field]);
        let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(handle, meta.clone())
            .with_projection(mask)
            .with_batch_size(BATCH)
            .build()
            .map_err(not_parquet)?;
        readers.push(reader);
    }
    let towers = TowerIds::new(ctx);
    let mut state = State {
        stats: RecordStats::default(),
        dictionary: None,
        dictionaries: 0,
        order: DayOrder::default(),
    };
    let mut row = 0u64;
    let mut current = next_batch(file, &mut readers, row)?;
    while let Some(batch) = current.take() {
        let n = batch[0].len() as u64;
        let (next, summed) = rayon::join(
            || next_batch(file, &mut readers, row + n),
            || state.sum(&batch, row, &cols, ctx, &towers, engine),
        );
        summed.map_err(|(at, began)| {
            problem(
                file,
                format!("row {at}, column timestamp: {}", out_of_order("row", began)),
            )
        })?;
        row += n;
        let bytes = match total_rows {
            0 => size,
            t => (size as f64 * row.min(t) as f64 / t as f64) as u64,
        };
        ctx.memory.check(engine, bytes)?;
        progress(state.stats.read, bytes);
        current = next?;
    }
    let stats = state.stats;
    if stats.read == 0 {
        notes.push(Notice::warning(format!(
            "{file} has no rows: every area's footprint is 0"
        )));
    }
    notes.extend(unit_notes(file, &stats));
    Ok((stats, notes, state.dictionaries))
}

/// The notes on Unix time units, as the CSV reader gives them.
fn unit_notes(file: &str, stats: &RecordStats) -> Vec<Notice> {
    let mut notes = Vec::new();
    let kinds = stats.unix_units.iter().filter(|&&n| n > 0).count();
    for (unit, &n) in TimeUnit::UNIX.iter().zip(&stats.unix_units) {
        if n > 0 && (kinds > 1 || *unit != TimeUnit::UnixSeconds) {
            let s = if n == 1 { "" } else { "s" };
            notes.push(Notice::note(format!(
                "{file}: {n} timestamp{s} read as {} (told by their size)",
                unit.name()
            )));
        }
    }
    if kinds > 1 {
        notes.push(Notice::warning(format!(
            "{file} mixes Unix time units: check that each timestamp's unit was told right"
        )));
    }
    notes
}

/// The next batch of every column, decoded in parallel; `None` at the end.
/// `row` is the number of rows before it, for messages.
fn next_batch(
    file: &str,
    readers: &mut [ParquetRecordBatchReader],
    row: u64,
) -> Result<Option<Vec<ArrayRef>>, Error> {
    let got: Vec<Option<Result<RecordBatch, arrow_schema::ArrowError>>> =
        readers.par_iter_mut().map(Iterator::next).collect();
    let mut columns = Vec::with_capacity(got.len());
    for g in got {
        match g {
            None => {}
            Some(Ok(b)) => columns.push(b.column(0).clone()),
            Some(Err(e)) => {
                return Err(problem(
                    file,
                    format!(
                    "cannot read the rows after row {row} ({e}): expected a readable Parquet file"
                ),
                ))
            }
        }
    }
    if columns.is_empty() {
        return Ok(None);
    }
    let n = columns[0].len();
    if columns.len() != readers.len() || columns.iter().any(|c| c.len() != n) {
        return Err(problem(
            file,
            format!("the columns hold different numbers of rows after row {row}: expected a readable Parquet file"),
        ));
    }
    Ok(Some(columns))
}

/// What is kept from batch to batch.
struct State {
    stats: RecordStats,
    /// The last tower dictionary and each of its values looked up.
    dictionary: Option<(ArrayRef, Arc<Vec<Lookup>>)>,
    /// Tower dictionaries looked up.
    dictionaries: u64,
    /// The days of the rows summed so far, by row number.
    order: DayOrder,
}

/// A tower id looked up: a tower number, an empty id, or an id the towers
/// file does not list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lookup {
    Tower(u32),
    Empty,
    Unknown,
}

/// The towers' ids for lookups: as text, and those that are an integer's
/// decimal text by the integer.
struct TowerIds<'a> {
    text: &'a FxHashMap<String, u32>,
    integers: FxHashMap<i128, u32>,
}

impl<'a> TowerIds<'a> {
    fn new(ctx: &RecordContext<'a>) -> Self {
        let integers = ctx
            .towers
            .ids
            .iter()
            .filter_map(|(id, &t)| {
                let n: i128 = id.parse().ok()?;
                (n.to_string() == *id).then_some((n, t))
            })
            .collect();
        TowerIds {
            text: &ctx.towers.ids,
            integers,
        }
    }

    /// A text id, trimmed as the CSV reader trims it; not UTF-8 is empty,
    /// as there.
    fn text(&self, raw: Option<&[u8]>) -> Lookup {
        let id = raw
            .and_then(|b| std::str::from_utf8(b).ok())
            .map(str::trim)
            .unwrap_or("");
        if id.is_empty() {
            return Lookup::Empty;
        }
        self.text
            .get(id)
            .map_or(Lookup::Unknown, |&t| Lookup::Tower(t))
    }

    fn integer(&self, n: Option<i128>) -> Lookup {
        match n {
            None => Lookup::Empty,
            Some(n) => self
                .integers
                .get(&n)
                .map_or(Lookup::Unknown, |&t| Lookup::Tower(t)),
        }
    }
}

/// A column of text, plain or as a dictionary.
enum Text<'a> {
    Plain(Plain<'a>),
    Dictionary {
        keys: Vec<usize>,
        nulls: &'a dyn Array,
        values: Plain<'a>,
    },
}

/// A plain column of text.
#[derive(Clone, Copy)]
enum Plain<'a> {
    Utf8(&'a arrow_array::StringArray),
    LargeUtf8(&'a arrow_array::LargeStringArray),
    Binary(&'a arrow_array::BinaryArray),
    LargeBinary(&'a arrow_array::LargeBinaryArray),
    Utf8View(&'a arrow_array::StringViewArray),
    BinaryView(&'a arrow_array::BinaryViewArray),
}

impl<'a> Plain<'a> {
    fn of(a: &'a dyn Array) -> Option<Self> {
        Some(match a.data_type() {
            DataType::Utf8 => Plain::Utf8(a.as_string::<i32>()),
            DataType::LargeUtf8 => Plain::LargeUtf8(a.as_string::<i64>()),
            DataType::Binary => Plain::Binary(a.as_binary::<i32>()),
            DataType::LargeBinary => Plain::LargeBinary(a.as_binary::<i64>()),
            DataType::Utf8View => Plain::Utf8View(a.as_string_view()),
            DataType::BinaryView => Plain::BinaryView(a.as_binary_view()),
            _ => return None,
        })
    }

    fn len(self) -> usize {
        match self {
            Plain::Utf8(a) => a.len(),
            Plain::LargeUtf8(a) => a.len(),
            Plain::Binary(a) => a.len(),
            Plain::LargeBinary(a) => a.len(),
            Plain::Utf8View(a) => a.len(),
            Plain::BinaryView(a) => a.len(),
        }
    }

    /// Where its offsets and bytes lie, and its length: the same for the
    /// same dictionary handed out again with another batch's keys.
    fn identity(self) -> (usize, usize, usize) {
        fn of<T: arrow_array::types::ByteArrayType>(
            a: &arrow_array::GenericByteArray<T>,
        ) -> (usize, usize, usize) {
            (
                a.value_offsets().as_ptr() as usize,
                a.value_data().as_ptr() as usize,
                a.len(),
            )
        }
        match self {
            Plain::Utf8(a) => of(a),
            Plain::LargeUtf8(a) => of(a),
            Plain::Binary(a) => of(a),
            Plain::LargeBinary(a) => of(a),
            Plain::Utf8View(a) => (a.views().as_ptr() as usize, 0, a.len()),
            Plain::BinaryView(a) => (a.views().as_ptr() as usize, 0, a.len()),
        }
    }

    fn get(self, i: usize) -> Option<&'a [u8]> {
        match self {
            Plain::Utf8(a) => (!a.is_null(i)).then(|| a.value(i).as_bytes()),
            Plain::LargeUtf8(a) => (!a.is_null(i)).then(|| a.value(i).as_bytes()),
            Plain::Binary(a) => (!a.is_null(i)).then(|| a.value(i)),
            Plain::LargeBinary(a) => (!a.is_null(i)).then(|| a.value(i)),
            Plain::Utf8View(a) => (!a.is_null(i)).then(|| a.value(i).as_bytes()),
            Plain::BinaryView(a) => (!a.is_null(i)).then(|| a.value(i)),
        }
    }
}

impl<'a> Text<'a> {
    fn of(a: &'a dyn Array) -> Option<Self> {
        if let Some(d) = a.as_any_dictionary_opt() {
            return Some(Text::Dictionary {
                keys: d.normalized_keys(),
                nulls: d.keys(),
                values: Plain::of(d.values().as_ref())?,
            });
        }
        Plain::of(a).map(Text::Plain)
    }

    fn get(&self, i: usize) -> Option<&'a [u8]> {
        match self {
            Text::Plain(p) => p.get(i),
            Text::Dictionary {
                keys,
                nulls,
                values,
            } => {
                if nulls.is_null(i) {
                    None
                } else {
                    values.get(keys[i])
                }
            }
        }
    }
}

/// The tower column of a batch, ready for lookups by row.
enum TowerColumn<'a> {
    /// Looked up by row (plain text).
    Text(Plain<'a>),
    /// Each dictionary value looked up once.
    Dictionary {
        keys: Vec<usize>,
        nulls: &'a dyn Array,
        lookups: Arc<Vec<Lookup>>,
    },
    /// Integers, as i128.
    Integer(Vec<Option<i128>>),
}

impl TowerColumn<'_> {
    fn get(&self, i: usize, towers: &TowerIds) -> Lookup {
        match self {
            TowerColumn::Text(p) => towers.text(p.get(i)),
            TowerColumn::Dictionary {
                keys,
                nulls,
                lookups,
            } => {
                if nulls.is_null(i) {
                    Lookup::Empty
                } else {
                    lookups.get(keys[i]).copied().unwrap_or(Lookup::Empty)
                }
            }
            TowerColumn::Integer(v) => towers.integer(v[i]),
        }
    }
}

/// The values of an integer column as i128, nulls as `None`.
fn integers(a: &dyn Array) -> Option<Vec<Option<i128>>> {
    macro_rules! ints {
        ($t:ty) => {
            a.as_primitive::<$t>()
                .iter()
                .map(|v| v.map(i128::from))
                .collect()
        };
    }
    Some(match a.data_type() {
        DataType::Int8 => ints!(Int8Type),
        DataType::Int16 => ints!(Int16Type),
        DataType::Int32 => ints!(Int32Type),
        DataType::Int64 => ints!(Int64Type),
        DataType::UInt8 => ints!(UInt8Type),
        DataType::UInt16 => ints!(UInt16Type),
        DataType::UInt32 => ints!(UInt32Type),
        DataType::UInt64 => ints!(UInt64Type),
        _ => return None,
    })
}

/// A coordinate column: each row's value, `None` for a null.
type Coordinates = Vec<Option<f64>>;

/// The values of a numeric column as f64, nulls as `None`.
fn coordinates(a: &dyn Array) -> Option<Coordinates> {
    macro_rules! nums {
        ($t:ty) => {
            a.as_primitive::<$t>()
                .iter()
                .map(|v| v.map(|v| v as f64))
                .collect()
        };
    }
    Some(match a.data_type() {
        DataType::Float32 => nums!(Float32Type),
        DataType::Float64 => nums!(Float64Type),
        DataType::Int8 => nums!(Int8Type),
        DataType::Int16 => nums!(Int16Type),
        DataType::Int32 => nums!(Int32Type),
        DataType::Int64 => nums!(Int64Type),
        DataType::UInt8 => nums!(UInt8Type),
        DataType::UInt16 => nums!(UInt16Type),
        DataType::UInt32 => nums!(UInt32Type),
        DataType::UInt64 => nums!(UInt64Type),
        _ => return None,
    })
}

/// The timestamp column of a batch.
enum Times<'a> {
    /// An instant: ticks of `per_second` since 1970 UTC.
    Instant(Vec<Option<i64>>, i64),
    /// Local time without a zone: ticks of `per_second` since 1970.
    Naive(Vec<Option<i64>>, i64),
    /// Days since 1970.
    Date(Vec<Option<i64>>),
    /// Unix time of a unit told by its size.
    Unix(Vec<Option<i128>>),
    /// Text, read as the CSV reader reads it.
    Text(Text<'a>),
}

fn per_second(unit: &ArrowUnit) -> i64 {
    match unit {
        ArrowUnit::Second => 1,
        ArrowUnit::Millisecond => 1_000,
        ArrowUnit::Microsecond => 1_000_000,
        ArrowUnit::Nanosecond => 1_000_000_000,
    }
}

impl<'a> Times<'a> {
    /// The column; `int96`, a legacy INT96 timestamp, is an instant.
    fn of(a: &'a dyn Array, int96: bool) -> Option<Self> {
        macro_rules! ticks {
            ($t:ty) => {
                a.as_primitive::<$t>().iter().collect()
            };
        }
        Some(match a.data_type() {
            DataType::Timestamp(unit, tz) => {
                let v: Vec<Option<i64>> = match unit {
                    ArrowUnit::Second => ticks!(TimestampSecondType),
                    ArrowUnit::Millisecond => ticks!(TimestampMillisecondType),
                    ArrowUnit::Microsecond => ticks!(TimestampMicrosecondType),
                    ArrowUnit::Nanosecond => ticks!(TimestampNanosecondType),
                };
                match (tz, int96) {
                    (Some(_), _) | (None, true) => Times::Instant(v, per_second(unit)),
                    (None, false) => Times::Naive(v, per_second(unit)),
                }
            }
            DataType::Date32 => Times::Date(
                a.as_primitive::<Date32Type>()
                    .iter()
                    .map(|d| d.map(i64::from))
                    .collect(),
            ),
            DataType::Date64 => Times::Date(
                a.as_primitive::<Date64Type>()
                    .iter()
                    .map(|d| d.map(|ms| ms.div_euclid(DAY_SECONDS * 1000)))
                    .collect(),
            ),
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Times::Text(Text::of(a)?),
            t if is_unix_integer(t) => Times::Unix(integers(a)?),
            _ => return None,
        })
    }
}

/// A day number from days since 1970.
fn day_from_unix_days(days: i64) -> Result<i32, TimestampError> {
    i32::try_from(days + UNIX_EPOCH_DAY).map_err(|_| TimestampError::OutOfRange)
}

thread_local! {
    /// Each worker thread's reader of timestamps: the CSV reader's, so the
    /// two read every timestamp alike (its offset cache stays warm).
    static DAYS: RefCell<Option<DayReader>> = const { RefCell::new(None) };
}

/// The day of a Unix time, its unit told by its size as
/// [`parse_timestamp`](crate::timestamps::parse_timestamp) tells it.
fn unix_day(n: i128, days: &mut DayReader) -> Result<(i32, TimeUnit), TimestampError> {
    let (unit, per_second) = match n.unsigned_abs() {
        v if v < 100_000_000_000 => (TimeUnit::UnixSeconds, 1i128),
        v if v < 100_000_000_000_000 => (TimeUnit::UnixMilliseconds, 1_000),
        v if v < 100_000_000_000_000_000 => (TimeUnit::UnixMicroseconds, 1_000_000),
        v if v < 100_000_000_000_000_000_000 => (TimeUnit::UnixNanoseconds, 1_000_000_000),
        _ => return Err(TimestampError::OutOfRange),
    };
    let secs = i64::try_from(n.div_euclid(per_second)).map_err(|_| TimestampError::OutOfRange)?;
    days.instant_day(secs).map(|d| (d, unit))
}

/// One row turned into a record, or why it is left out.
enum Row {
    Ok { day: i32, unit: Option<u8>, at: At },
    Skip { kind: SkipKind, why: String },
}

/// The columns of one batch, ready to read by row.
struct BatchColumns<'a> {
    phone: Text<'a>,
    times: Times<'a>,
    tower: Option<TowerColumn<'a>>,
    xy: Option<(Coordinates, Coordinates)>,
}

impl State {
    /// The batch's tower column; a dictionary's values are looked up once
    /// (and again only when the dictionary changes).
    fn tower_column<'a>(&mut self, a: &'a ArrayRef, towers: &TowerIds) -> Option<TowerColumn<'a>> {
        if let Some(d) = a.as_any_dictionary_opt() {
            let values = d.values();
            let plain = Plain::of(values.as_ref())?;
            // the previous dictionary is held, so its memory is not reused:
            // the same place and length is the same dictionary
            let same = |v: &ArrayRef| Plain::of(v.as_ref()).map(Plain::identity);
            let lookups = match &self.dictionary {
                Some((v, l)) if same(v) == Some(plain.identity()) => l.clone(),
                _ => {
                    let l: Arc<Vec<Lookup>> = Arc::new(
                        (0..plain.len())
                            .map(|i| towers.text(plain.get(i)))
                            .collect(),
                    );
                    self.dictionary = Some((values.clone(), l.clone()));
                    self.dictionaries += 1;
                    l
                }
            };
            return Some(TowerColumn::Dictionary {
                keys: d.normalized_keys(),
                nulls: d.keys(),
                lookups,
            });
        }
        if let Some(p) = Plain::of(a.as_ref()) {
            return Some(TowerColumn::Text(p));
        }
        integers(a.as_ref()).map(TowerColumn::Integer)
    }

    /// Turns a batch (`first` rows came before it) into records, in
    /// parallel, and adds them to the engine (when the records are sorted
    /// by time, finishing the days they have passed); `Err` with a row out
    /// of time order and the row where its later day began.
    fn sum(
        &mut self,
        batch: &[ArrayRef],
        first: u64,
        cols: &Columns,
        ctx: &RecordContext,
        towers: &TowerIds,
        engine: &mut FootprintEngine,
    ) -> Result<(), (u64, u64)> {
        let n = batch[0].len();
        let mut k = 2;
        let tower = cols.tower.map(|_| {
            k += 1;
            &batch[k - 1]
        });
        let tower = tower.and_then(|a| self.tower_column(a, towers));
        let xy = cols.point.as_ref().and_then(|_| {
            Some((
                coordinates(batch[k].as_ref())?,
                coordinates(batch[k + 1].as_ref())?,
            ))
        });
        let (Some(phone), Some(times)) = (
            Text::of(batch[0].as_ref()),
            Times::of(batch[1].as_ref(), cols.int96),
        ) else {
            // the types were checked against the schema: not reached
            return Ok(());
        };
        let b = BatchColumns {
            phone,
            times,
            tower,
            xy,
        };
        // each chunk of rows, in parallel, into the engine's prepared form,
        // with what it left out (row within the batch, kind, reason)
        let chunks: Vec<Chunk> = (0..n.div_ceil(CHUNK))
            .into_par_iter()
            .map(|c| {
                DAYS.with_borrow_mut(|slot| {
                    let o = match slot {
                        Some(r) if r.tz() == ctx.tz => r,
                        _ => slot.insert(DayReader::new(ctx.tz)),
                    };
                    let mut chunk = Chunk {
                        records: Prepared::new(&[]),
                        skipped: Vec::new(),
                        unix_units: [0; 4],
                        order: DayOrder::default(),
                    };
                    for i in c * CHUNK..n.min(c * CHUNK + CHUNK) {
                        match (row(&b, i, cols, ctx, towers, o), b.phone.get(i)) {
                            // a row is Ok only with a phone id
                            (Row::Ok { day, unit, at }, Some(phone)) => {
                                if let Some(u) = unit {
                                    chunk.unix_units[usize::from(u)] += 1;
                                }
                                chunk.records.push(phone, day, at);
                                chunk.order.see(day, i as u64);
                            }
                            (Row::Ok { .. }, None) => {}
                            (Row::Skip { kind, why }, _) => chunk.skipped.push((i, kind, why)),
                        }
                    }
                    chunk
                })
            })
            .collect();
        let stats = &mut self.stats;
        stats.read += n as u64;
        let mut parts = Vec::with_capacity(chunks.len());
        // in row order, as the chunks are
        for c in chunks {
            if ctx.sorted_by_time.is_some() {
                // rows numbered from 1
                self.order.then(&c.order, first + 1)?;
            }
            for (i, kind, why) in c.skipped {
                let s: &mut Skipped = match kind {
                    SkipKind::UnknownTower => &mut stats.unknown_tower,
                    SkipKind::BadTimestamp => &mut stats.bad_timestamp,
                    SkipKind::BadPosition => &mut stats.bad_position,
                    SkipKind::Malformed => &mut stats.malformed,
                };
                s.count += 1;
                if s.first.len() < SHOWN_SKIPPED {
                    s.first.push((first + i as u64 + 1, why));
                }
            }
            for (n, m) in stats.unix_units.iter_mut().zip(c.unix_units) {
                *n += m;
            }
            stats.used += c.records.len() as u64;
            let mut records = c.records;
            ctx.memory.keep(&mut records);
            parts.push(records);
        }
        engine.add_prepared(parts);
        finish_days(engine, ctx, &self.order);
        Ok(())
    }
}

/// What a chunk of a batch made: its records, prepared for the engine, and
/// the rows it left out (row within the batch, kind, reason).
struct Chunk {
    records: Prepared<'static>,
    skipped: Vec<(usize, SkipKind, String)>,
    unix_units: [u64; 4],
    /// The days of its records, by row within the batch.
    order: DayOrder,
}

/// Row `i` of a batch as a record, checked in the CSV reader's order:
/// phone id, timestamp, then tower or position. No reason quotes a value.
fn row(
    b: &BatchColumns,
    i: usize,
    cols: &Columns,
    ctx: &RecordContext,
    towers: &TowerIds,
    o: &mut DayReader,
) -> Row {
    let skip = |kind: SkipKind, why: String| Row::Skip { kind, why };
    match b.phone.get(i) {
        Some(p) if !p.iter().all(u8::is_ascii_whitespace) => {}
        _ => {
            return skip(
                SkipKind::Malformed,
                "column phone_id: expected a phone id, found an empty field".into(),
            )
        }
    }
    let day = match &b.times {
        Times::Instant(v, per) => v[i]
            .ok_or(TimestampError::Empty)
            .and_then(|t| o.instant_day(t.div_euclid(*per)))
            .map(|d| (d, None)),
        Times::Naive(v, per) => v[i]
            .ok_or(TimestampError::Empty)
            .and_then(|t| o.naive_day(t.div_euclid(*per)))
            .map(|d| (d, None)),
        Times::Date(v) => v[i]
            .ok_or(TimestampError::Empty)
            .and_then(day_from_unix_days)
            .map(|d| (d, None)),
        Times::Unix(v) => v[i]
            .ok_or(TimestampError::Empty)
            .and_then(|n| unix_day(n, o))
            .map(|(d, u)| (d, Some(u))),
        Times::Text(t) => match t.get(i).map(std::str::from_utf8) {
            None => Err(TimestampError::Empty),
            Some(Err(_)) => Err(TimestampError::Format),
            Some(Ok(s)) => o.read(s).map(|(d, u)| (d, Some(u))),
        },
    };
    let (day, unit) = match day {
        Ok((d, u)) => (
            d,
            u.and_then(|u| TimeUnit::UNIX.iter().position(|x| *x == u)),
        ),
        Err(m) => return skip(SkipKind::BadTimestamp, format!("column timestamp: {m}")),
    };
    let unit = unit.map(|u| u as u8);
    let tower = b.tower.as_ref().map_or(Lookup::Empty, |t| t.get(i, towers));
    let at = match (tower, &cols.point, &b.xy) {
        (Lookup::Tower(t), _, _) => At::Tower(t),
        (Lookup::Unknown, _, _) => return skip(
            SkipKind::UnknownTower,
            "column tower_id: expected a tower of the towers file, found an id it does not list"
                .into(),
        ),
        (Lookup::Empty, Some(pc), Some((xs, ys))) => {
            let (xn, yn) = pc.names();
            let num = |v: Option<f64>, n: &str| match v {
                None => Err(format!(
                    "column {n}: expected a coordinate, found an empty field"
                )),
                Some(v) if !v.is_finite() => Err(format!("column {n}: expected a finite number")),
                Some(v) => Ok(v),
            };
            let (x, y) = match (num(xs[i], xn), num(ys[i], yn)) {
                (Ok(x), Ok(y)) => (x, y),
                (Err(m), _) | (_, Err(m)) => return skip(SkipKind::BadPosition, m),
            };
            match crate::connections::locate_here(pc.epsg, ctx.working, x, y) {
                Ok(p) => At::Position(p.0, p.1),
                Err(m) => return skip(SkipKind::BadPosition, format!("columns {xn},{yn}: {m}")),
            }
        }
        (Lookup::Empty, _, _) => {
            return skip(
                SkipKind::UnknownTower,
                "column tower_id: expected a tower id, found an empty field".into(),
            )
        }
    };
    Row::Ok { day, unit, at }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connections::{parse_tz, read_records, read_towers, tower_weights, Towers};
    use crate::timestamps::parse_timestamp;
    use crate::Epsg;
    use arrow_array::builder::StringDictionaryBuilder;
    use arrow_array::{
        Float64Array, Int64Array, StringArray, TimestampMillisecondArray, TimestampSecondArray,
    };
    use chrono::DateTime;
    use chrono_tz::Tz;
    use geo::{polygon, MultiPolygon};
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;
    use stratmap_core::{DiscWeights, FootprintAreas};

    fn stockholm() -> Tz {
        parse_tz("Europe/Stockholm").unwrap()
    }

    /// Writes `columns` to a Parquet file, `per_group` rows a row group.
    fn write(dir: &Path, columns: Vec<(&str, ArrayRef)>, per_group: usize) -> std::path::PathBuf {
        let path = dir.join("r.parquet");
        let batch = RecordBatch::try_from_iter(columns).unwrap();
        let props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(per_group))
            .build();
        let mut w = ArrowWriter::try_new(
            std::fs::File::create(&path).unwrap(),
            batch.schema(),
            Some(props),
        )
        .unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        path
    }

    fn context(towers: &Towers) -> RecordContext<'static> {
        let a = polygon![(x: 600_000.0, y: 6_590_000.0), (x: 610_000.0, y: 6_590_000.0), (x: 610_000.0, y: 6_610_000.0), (x: 600_000.0, y: 6_610_000.0)];
        let areas: &'static FootprintAreas = Box::leak(Box::new(FootprintAreas::new(
            vec![MultiPolygon::new(vec![a])],
            500.0,
        )));
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
            memory: Default::default(),
        }
    }

    fn towers() -> Towers {
        read_towers(
            "t.csv",
            b"tower_id,x,y\nOUT,595000,6600000\nEDGE,600000,6600000\n7,605000,6600000\n007,605000,6600000\n",
            Epsg(3006),
            Epsg(3006),
        )
        .unwrap()
    }

    fn strings(v: &[Option<&str>]) -> ArrayRef {
        Arc::new(StringArray::from(v.to_vec()))
    }

    fn dictionary(v: &[Option<&str>]) -> ArrayRef {
        let mut b = StringDictionaryBuilder::<Int32Type>::new();
        for s in v {
            b.append_option(*s);
        }
        Arc::new(b.finish())
    }

    fn read(path: &Path, towers: &Towers) -> Result<RecordFootprint<'static>, Error> {
        read_parquet_records("r.parquet", path, &context(towers), &|_, _| {})
    }

    #[test]
    fn skips_are_counted_by_row_over_row_groups_as_csv_counts_them() {
        let dir = tempfile::tempdir().unwrap();
        let towers = towers();
        // rows 1-7, two rows a row group, as the CSV reader's own test
        let phone = [
            Some("secret-1"),
            Some("secret-1"),
            Some("secret-1"),
            Some("secret-2"),
            Some("secret-2"),
            Some("secret-3"),
            None,
        ];
        let ts = [
            Some("2026-10-05 09:00"),
            Some("2026-10-05T12:00:00+02:00"),
            Some("2026-10-05 13:00"),
            Some("not a time"),
            Some("1790000000"),
            Some("2026-10-05 09:00"),
            Some("2026-10-05 09:00"),
        ];
        let tower = [
            Some("OUT"),
            Some("EDGE"),
            Some("T99"),
            Some("EDGE"),
            Some("EDGE"),
            None,
            Some("EDGE"),
        ];
        let path = write(
            dir.path(),
            vec![
                ("phone_id", strings(&phone)),
                ("timestamp", strings(&ts)),
                ("tower_id", dictionary(&tower)),
            ],
            2,
        );
        let r = read(&path, &towers).unwrap();
        let s = &r.stats;
        assert_eq!((s.read, s.used, s.skipped()), (7, 3, 4));
        assert_eq!(
            s.unknown_tower.first,
            [
                (
                    3,
                    "column tower_id: expected a tower of the towers file, found an id it does not list"
                        .to_string()
                ),
                (
                    6,
                    "column tower_id: expected a tower id, found an empty field".to_string()
                )
            ]
        );
        assert_eq!(s.bad_timestamp.first[0].0, 4);
        assert_eq!(
            s.malformed.first,
            [(
                7,
                "column phone_id: expected a phone id, found an empty field".to_string()
            )]
        );
        let dump = format!("{s:?} {:?}", r.notes);
        assert!(!dump.contains("secret"), "{dump}");
        // the same records as CSV give the same sums and the same reasons
        let csv = "phone_id,timestamp,tower_id\n\
                   secret-1,2026-10-05 09:00,OUT\n\
                   secret-1,2026-10-05T12:00:00+02:00,EDGE\n\
                   secret-1,2026-10-05 13:00,T99\n\
                   secret-2,not a time,EDGE\n\
                   secret-2,1790000000,EDGE\n\
                   secret-3,2026-10-05 09:00,\n\
                   ,2026-10-05 09:00,EDGE\n";
        let c = read_records("r.csv", csv.as_bytes(), &context(&towers), &|_, _| {}).unwrap();
        assert_eq!(c.totals(&[0], 1), r.totals(&[0], 1));
        assert_eq!(c.stats.used, r.stats.used);
        for ((_, a), (_, b)) in c.stats.kinds().iter().zip(r.stats.kinds()) {
            assert_eq!(a.count, b.count);
            // line N of the CSV is row N − 1 of the Parquet file
            let lines: Vec<(u64, &String)> = a.first.iter().map(|(l, w)| (l - 1, w)).collect();
            let rows: Vec<(u64, &String)> = b.first.iter().map(|(l, w)| (*l, w)).collect();
            assert_eq!(lines, rows);
        }
        assert_eq!(r.totals(&[0], 1).footprint(0), 0.75);
    }

    #[test]
    fn typed_timestamps_integer_towers_and_positions() {
        let dir = tempfile::tempdir().unwrap();
        let towers = towers();
        // 2026-10-05 22:30 UTC is 00:30 on the 6th in Stockholm: two days
        let t0 = 1_791_239_400i64; // 2026-10-05 22:30:00 UTC
        let ms = TimestampMillisecondArray::from(vec![
            Some(t0 * 1000 - 3_600_000),
            Some(t0 * 1000),
            None,
            Some(t0 * 1000),
        ])
        .with_timezone("UTC");
        let path = write(
            dir.path(),
            vec![
                (
                    "phone_id",
                    strings(&[Some("a"), Some("a"), Some("b"), Some("c")]),
                ),
                ("timestamp", Arc::new(ms)),
                (
                    "tower_id",
                    Arc::new(Int64Array::from(vec![Some(7), Some(7), Some(7), None])),
                ),
                (
                    "x",
                    Arc::new(Float64Array::from(vec![None, None, None, Some(605_000.0)])),
                ),
                (
                    "y",
                    Arc::new(Float64Array::from(vec![
                        None,
                        None,
                        None,
                        Some(6_600_000.0),
                    ])),
                ),
            ],
            3,
        );
        let r = read(&path, &towers).unwrap();
        assert_eq!((r.stats.read, r.stats.used), (4, 3));
        assert_eq!(
            r.stats.bad_timestamp.first[0],
            (
                3,
                "column timestamp: expected a timestamp, found an empty field".into()
            )
        );
        // phone a: two days, tower 7 (not 007); phone c: its own position
        assert_eq!(r.phone_days(), 3);
        assert!(r
            .notes
            .iter()
            .any(|n| n.text.contains("has a tower_id and x,y")));
        // naive seconds in the spring gap are a bad timestamp, as in CSV
        let gap = chrono::NaiveDate::from_ymd_opt(2026, 3, 29)
            .unwrap()
            .and_hms_opt(2, 30, 0)
            .unwrap()
            .and_utc()
            .timestamp();
        let path = write(
            dir.path(),
            vec![
                ("phone_id", strings(&[Some("a"), Some("a")])),
                (
                    "timestamp",
                    Arc::new(TimestampSecondArray::from(vec![gap, gap + 3600])),
                ),
                ("tower_id", strings(&[Some("EDGE"), Some(" EDGE ")])),
            ],
            10,
        );
        let r = read(&path, &towers).unwrap();
        assert_eq!(r.stats.used, 1);
        assert!(r.stats.bad_timestamp.first[0]
            .1
            .contains("does not exist in Europe/Stockholm"));
        // Unix milliseconds in an integer column: told and noted as in CSV
        let path = write(
            dir.path(),
            vec![
                ("phone_id", strings(&[Some("a"), Some("a")])),
                (
                    "timestamp",
                    Arc::new(Int64Array::from(vec![t0 * 1000, t0 * 1000 + 1])),
                ),
                ("tower_id", strings(&[Some("EDGE"), Some("EDGE")])),
            ],
            10,
        );
        let r = read(&path, &towers).unwrap();
        assert_eq!(r.stats.unix_units, [0, 2, 0, 0]);
        assert!(r
            .notes
            .iter()
            .any(|n| n.text.contains("2 timestamps read as Unix milliseconds")));
    }

    #[test]
    fn wrong_types_and_missing_columns_name_the_column_and_what_was_expected() {
        let dir = tempfile::tempdir().unwrap();
        let towers = towers();
        let path = write(
            dir.path(),
            vec![
                ("phone_id", strings(&[Some("secret-1")])),
                ("timestamp", Arc::new(Float64Array::from(vec![1.79e9]))),
                ("tower_id", strings(&[Some("EDGE")])),
            ],
            10,
        );
        let e = read(&path, &towers).err().unwrap().to_string();
        assert!(
            e.starts_with("r.parquet: column timestamp has type Float64: expected a TIMESTAMP"),
            "{e}"
        );
        let path = write(
            dir.path(),
            vec![
                ("phone", strings(&[Some("secret-1")])),
                ("timestamp", strings(&[Some("2026-10-05 10:00")])),
                ("tower_id", strings(&[Some("EDGE")])),
            ],
            10,
        );
        let e = read(&path, &towers).err().unwrap().to_string();
        assert!(
            e.contains("r.parquet: expected columns phone_id and timestamp"),
            "{e}"
        );
        assert!(!e.contains("secret"), "{e}");
        std::fs::write(
            &path,
            "phone_id,timestamp,tower_id\nsecret-1,2026-10-05 10:00,EDGE\n",
        )
        .unwrap();
        let e = read(&path, &towers).err().unwrap().to_string();
        assert!(e.starts_with("r.parquet: cannot read it as Parquet"), "{e}");
        assert!(!e.contains("secret"), "{e}");
    }

    /// String views (as Polars writes them) and legacy INT96 timestamps
    /// (Spark, Impala: instants in UTC).
    #[test]
    fn string_views_and_int96_instants() {
        use parquet::data_type::{ByteArray, ByteArrayType, Int96, Int96Type};
        use parquet::file::writer::SerializedFileWriter;
        use parquet::schema::parser::parse_message_type;
        let dir = tempfile::tempdir().unwrap();
        let towers = towers();
        let views: ArrayRef = Arc::new(arrow_array::StringViewArray::from(vec![
            Some("a much longer phone id than twelve bytes"),
            Some("b"),
            None,
        ]));
        let tower_views: ArrayRef = Arc::new(arrow_array::StringViewArray::from(vec![
            Some("EDGE"),
            Some("OUT"),
            Some("EDGE"),
        ]));
        let path = write(
            dir.path(),
            vec![
                ("phone_id", views),
                ("timestamp", strings(&[Some("2026-10-05 10:00"); 3])),
                ("tower_id", tower_views),
            ],
            10,
        );
        let r = read(&path, &towers).unwrap();
        assert_eq!(
            (r.stats.read, r.stats.used, r.stats.malformed.count),
            (3, 2, 1)
        );
        // INT96: 2026-10-05 22:30 UTC is 00:30 on the 6th in Stockholm, and
        // 21:30 UTC 23:30 on the 5th: two days for one phone
        let schema = Arc::new(
            parse_message_type(
                "message r { required binary phone_id (UTF8); required int96 timestamp; required binary tower_id (UTF8); }",
            )
            .unwrap(),
        );
        let path = dir.path().join("int96.parquet");
        let mut w = SerializedFileWriter::new(
            std::fs::File::create(&path).unwrap(),
            schema,
            Default::default(),
        )
        .unwrap();
        let mut g = w.next_row_group().unwrap();
        let julian = 2_440_588 + (1_791_239_400 / 86_400) as u32; // 2026-10-05
        let nanos = |h: u64| (h * 3600 + 30 * 60) * 1_000_000_000;
        let int96 = |n: u64| {
            let mut v = Int96::new();
            v.set_data(n as u32, (n >> 32) as u32, julian);
            v
        };
        let bytes = |v: &[&str]| v.iter().map(|s| ByteArray::from(*s)).collect::<Vec<_>>();
        let mut c = g.next_column().unwrap().unwrap();
        c.typed::<ByteArrayType>()
            .write_batch(&bytes(&["a", "a"]), None, None)
            .unwrap();
        c.close().unwrap();
        let mut c = g.next_column().unwrap().unwrap();
        c.typed::<Int96Type>()
            .write_batch(&[int96(nanos(21)), int96(nanos(22))], None, None)
            .unwrap();
        c.close().unwrap();
        let mut c = g.next_column().unwrap().unwrap();
        c.typed::<ByteArrayType>()
            .write_batch(&bytes(&["EDGE", "EDGE"]), None, None)
            .unwrap();
        c.close().unwrap();
        g.close().unwrap();
        w.close().unwrap();
        let r = read(&path, &towers).unwrap();
        assert_eq!(r.stats.used, 2);
        assert_eq!(r.phone_days(), 2);
    }

    /// A tower dictionary is looked up once for all the batches of its
    /// row group, not once a batch or a row.
    #[test]
    fn a_tower_dictionary_is_looked_up_once_per_row_group() {
        let dir = tempfile::tempdir().unwrap();
        let towers = towers();
        let n = 3 * BATCH + 5;
        let ids: Vec<Option<&str>> = (0..n).map(|i| Some(["EDGE", "OUT", "7"][i % 3])).collect();
        let phones: Vec<Option<String>> = (0..n).map(|i| Some(format!("p{}", i % 100))).collect();
        let phones: Vec<Option<&str>> = phones.iter().map(|p| p.as_deref()).collect();
        let times = vec![Some("2026-10-05 10:00"); n];
        // two row groups, each with its own dictionary
        let path = write(
            dir.path(),
            vec![
                ("phone_id", strings(&phones)),
                ("timestamp", strings(&times)),
                ("tower_id", dictionary(&ids)),
            ],
            2 * BATCH,
        );
        let ctx = context(&towers);
        let mut engine = FootprintEngine::with_weights(ctx.areas, ctx.tower_weights);
        let (stats, _, dictionaries) =
            read_into("r.parquet", &path, &ctx, &mut engine, &|_, _| {}).unwrap();
        assert_eq!((stats.read, stats.used), (n as u64, n as u64));
        assert_eq!(dictionaries, 2);
        // plain text in the file is read as a dictionary too
        let path = write(
            dir.path(),
            vec![
                ("phone_id", strings(&phones)),
                ("timestamp", strings(&times)),
                ("tower_id", strings(&ids)),
            ],
            n,
        );
        let mut engine = FootprintEngine::with_weights(ctx.areas, ctx.tower_weights);
        let (_, _, dictionaries) =
            read_into("r.parquet", &path, &ctx, &mut engine, &|_, _| {}).unwrap();
        assert_eq!(dictionaries, 1);
    }

    /// The reader's cached offsets give the day chrono gives, around
    /// every change of offset of several zones in a year, minute by minute.
    #[test]
    fn cached_offsets_agree_with_chrono_across_dst() {
        for name in [
            "Europe/Stockholm",
            "America/St_Johns",
            "Asia/Kathmandu",
            "Australia/Lord_Howe",
            "UTC",
        ] {
            let tz = parse_tz(name).unwrap();
            let mut o = DayReader::new(tz);
            let start = 1_767_225_600i64; // 2026-01-01 UTC
            for minute in (0..366 * 24 * 60).step_by(7) {
                let s = start + minute * 60 + 13;
                let t = DateTime::from_timestamp(s, 0).unwrap();
                let rfc = t.to_rfc3339();
                let want = parse_timestamp(&rfc, &tz).unwrap().0;
                assert_eq!(o.instant_day(s), Ok(want), "{name} {rfc}");
                // the same digits as a naive local time
                let naive = t.naive_utc().format("%Y-%m-%d %H:%M:%S").to_string();
                let want = parse_timestamp(&naive, &tz).map(|d| d.0);
                assert_eq!(o.naive_day(s), want, "{name} {naive}");
            }
        }
    }
}
