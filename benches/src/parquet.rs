//! Connection records CSV → Parquet, as operators' data platforms export
//! them: `phone_id` as plain text, `timestamp` as TIMESTAMP in milliseconds
//! adjusted to UTC, `tower_id` dictionary-encoded; row groups of a million
//! rows, Snappy.

use arrow_array::builder::{StringBuilder, StringDictionaryBuilder, TimestampMillisecondBuilder};
use arrow_array::types::Int32Type;
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use chrono::{DateTime, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::io::{self, BufRead, Write};
use std::sync::Arc;

/// Rows per write.
const BATCH: usize = 1 << 16;

/// The instant of a CSV timestamp in milliseconds: RFC 3339, naive local
/// time in `tz` (a skipped local time is `None`, a null), or Unix seconds.
pub fn instant_ms(raw: &str, tz: &Tz) -> Option<i64> {
    let raw = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(t.timestamp_millis());
    }
    for f in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(raw, f) {
            return tz
                .from_local_datetime(&t)
                .earliest()
                .map(|t| t.timestamp_millis());
        }
    }
    raw.parse::<i64>().ok().map(|s| s * 1000)
}

/// Writes the records of a `phone_id,timestamp,tower_id` CSV (with its
/// header) as Parquet; returns the rows written.
pub fn records_csv_to_parquet(
    csv: impl BufRead,
    out: impl Write + Send,
    tz: &Tz,
) -> io::Result<u64> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("phone_id", DataType::Utf8, true),
        Field::new(
            "timestamp",
            DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
            true,
        ),
        Field::new(
            "tower_id",
            DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
            true,
        ),
    ]));
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(1 << 20))
        // phone ids are many: plain; tower ids few: a dictionary
        .set_column_dictionary_enabled("phone_id".into(), false)
        .build();
    let mut w = ArrowWriter::try_new(out, schema.clone(), Some(props)).map_err(io::Error::other)?;
    let mut rows = 0u64;
    let mut lines = csv.lines();
    lines.next().transpose()?;
    let mut phone = StringBuilder::new();
    let mut ts = TimestampMillisecondBuilder::new().with_timezone("UTC");
    let mut tower = StringDictionaryBuilder::<Int32Type>::new();
    let mut flush = |phone: &mut StringBuilder,
                     ts: &mut TimestampMillisecondBuilder,
                     tower: &mut StringDictionaryBuilder<Int32Type>|
     -> io::Result<()> {
        let cols: Vec<ArrayRef> = vec![
            Arc::new(phone.finish()),
            Arc::new(ts.finish()),
            Arc::new(tower.finish()),
        ];
        let batch = RecordBatch::try_new(schema.clone(), cols).map_err(io::Error::other)?;
        w.write(&batch).map_err(io::Error::other)
    };
    let mut n = 0;
    for line in lines {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let mut f = line.splitn(3, ',');
        let (p, t, k) = (
            f.next().unwrap_or(""),
            f.next().unwrap_or(""),
            f.next().unwrap_or(""),
        );
        phone.append_option((!p.is_empty()).then_some(p));
        ts.append_option(instant_ms(t, tz));
        tower.append_option((!k.is_empty()).then_some(k));
        n += 1;
        rows += 1;
        if n == BATCH {
            flush(&mut phone, &mut ts, &mut tower)?;
            n = 0;
        }
    }
    if n > 0 {
        flush(&mut phone, &mut ts, &mut tower)?;
    }
    w.close().map_err(io::Error::other)?;
    Ok(rows)
}

/// The footprint benches' national-density inputs: 20 000 towers over
/// 6 000 areas, each tower's disc weights, and connection records of
/// 200 000 phones as CSV text and as a Parquet file of the same records.
pub struct NationalRecords {
    /// The synthetic town.
    pub town: crate::BenchTown,
    /// Its areas, radius 500 m.
    pub areas: stratmap_core::FootprintAreas,
    /// Its towers, `T00000` on.
    pub towers: stratmap_io::Towers,
    /// Each tower's disc weights.
    pub weights: Vec<stratmap_core::DiscWeights>,
    /// The records as CSV text.
    pub csv: Vec<u8>,
    /// The same records as Parquet (see [`records_csv_to_parquet`]).
    pub parquet: std::path::PathBuf,
    /// Each area's category number, and the categories' names.
    pub categories: (Vec<u32>, Vec<String>),
    _dir: tempfile::TempDir,
}

impl NationalRecords {
    /// `records` records, the Parquet file in a temporary folder.
    pub fn new(records: u64) -> io::Result<Self> {
        use geo::{LineString, MultiPolygon, Polygon};
        let town = crate::BenchTown::new(6000, 20_000, 7);
        let polygons = town
            .areas
            .iter()
            .map(|r| MultiPolygon::new(vec![Polygon::new(LineString::from(r.clone()), vec![])]))
            .collect();
        let areas = stratmap_core::FootprintAreas::new(polygons, 500.0);
        let mut towers = stratmap_io::Towers::default();
        for (k, p) in town.towers.iter().enumerate() {
            towers.ids.insert(format!("T{k:05}"), k as u32);
            towers.positions.push(*p);
        }
        let weights = stratmap_io::tower_weights(&areas, &towers);
        let mut csv = Vec::new();
        town.write_records(&mut csv, records, 200_000, 11)?;
        let dir = tempfile::tempdir()?;
        let parquet = dir.path().join("records.parquet");
        records_csv_to_parquet(
            csv.as_slice(),
            std::fs::File::create(&parquet)?,
            &stockholm(),
        )?;
        let names: Vec<String> = (0..town.areas.len())
            .map(|k| crate::CATEGORIES[k % 4].to_string())
            .collect();
        let categories = stratmap_core::category_numbers(&names);
        Ok(NationalRecords {
            town,
            areas,
            towers,
            weights,
            csv,
            parquet,
            categories,
            _dir: dir,
        })
    }

    /// What the records are read against (Stockholm time, SWEREF 99 TM).
    pub fn context(&self) -> stratmap_io::RecordContext<'_> {
        stratmap_io::RecordContext {
            areas: &self.areas,
            towers: &self.towers,
            tower_weights: &self.weights,
            tz: stockholm(),
            xy_epsg: stratmap_io::Epsg::SWEREF99_TM,
            working: stratmap_io::Epsg::SWEREF99_TM,
            sorted_by_time: None,
            memory: Default::default(),
        }
    }

    /// Baseline: the CSV text read by the `csv` crate and nothing else.
    pub fn decode_csv(&self) -> usize {
        let mut r = csv::Reader::from_reader(self.csv.as_slice());
        let mut rec = csv::ByteRecord::new();
        let mut fields = 0usize;
        while r.read_byte_record(&mut rec).unwrap_or(false) {
            fields += rec.len();
        }
        fields
    }

    /// Baseline: the Parquet file's columns decoded by the arrow reader and
    /// nothing else.
    pub fn decode_parquet(&self) -> usize {
        let reader = std::fs::File::open(&self.parquet)
            .map_err(parquet::errors::ParquetError::from)
            .and_then(parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new)
            .and_then(|r| r.with_batch_size(1 << 16).build());
        let mut rows = 0;
        for batch in reader.into_iter().flatten() {
            rows += batch.map_or(0, |b| b.num_rows());
        }
        rows
    }

    /// The footprint report from the records, read from CSV or Parquet.
    pub fn footprint(
        &self,
        ctx: &stratmap_io::RecordContext,
        parquet: bool,
    ) -> stratmap_core::FootprintReport {
        let fp = if parquet {
            stratmap_io::read_parquet_records("records.parquet", &self.parquet, ctx, &|_, _| {})
        } else {
            stratmap_io::read_records("records.csv", self.csv.as_slice(), ctx, &|_, _| {})
        }
        .expect("valid records");
        let (cat, names) = &self.categories;
        let totals = fp.totals(cat, names.len());
        stratmap_core::FootprintReport::new(&totals, cat, names, 3)
    }
}

/// Records already decoded, in memory: what a reader that cost nothing
/// would hand the engine (see [`NationalRecords::decoded`]).
pub struct Decoded {
    phones: Vec<u8>,
    /// Each record's phone (a range of `phones`), local day and tower.
    records: Vec<(std::ops::Range<usize>, i32, u32)>,
}

impl Decoded {
    /// The records as the engine takes them, in batches of a reader's
    /// size: made beforehand, so that only the engine is timed.
    pub fn batches(&self) -> Vec<Vec<stratmap_core::Record<'_>>> {
        self.records
            .chunks(BATCH)
            .map(|part| {
                part.iter()
                    .map(|(phone, day, tower)| stratmap_core::Record {
                        phone: &self.phones[phone.clone()],
                        day: *day,
                        at: stratmap_core::At::Tower(*tower),
                    })
                    .collect()
            })
            .collect()
    }
}

impl NationalRecords {
    /// The records decoded from the CSV once, untimed: each phone's bytes,
    /// its local day in Stockholm (chrono) and its tower's number. Good for
    /// these generated records only (local times outside any change of
    /// clocks, known towers): a record it cannot read is left out, and the
    /// test below holds it to the readers' report.
    pub fn decoded(&self) -> Decoded {
        let tz = stockholm();
        let mut r = csv::Reader::from_reader(self.csv.as_slice());
        let mut rec = csv::StringRecord::new();
        let (mut phones, mut records) = (Vec::new(), Vec::new());
        while r.read_record(&mut rec).unwrap_or(false) {
            let (Some(ms), Some(&tower)) = (instant_ms(&rec[1], &tz), self.towers.ids.get(&rec[2]))
            else {
                continue;
            };
            let Some(t) = tz.timestamp_millis_opt(ms).single() else {
                continue;
            };
            let day = chrono::Datelike::num_days_from_ce(&t.date_naive());
            let start = phones.len();
            phones.extend_from_slice(rec[0].as_bytes());
            records.push((start..phones.len(), day, tower));
        }
        Decoded { phones, records }
    }

    /// The footprint report from records already decoded and batched
    /// ([`Decoded::batches`]): the engine alone (each batch prepared in
    /// parallel and summed, then the totals and the report), the least any
    /// reader of these records must pay after decoding them.
    pub fn footprint_decoded(
        &self,
        batches: &[Vec<stratmap_core::Record>],
    ) -> stratmap_core::FootprintReport {
        let mut engine =
            stratmap_core::FootprintEngine::with_weights(&self.areas, &self.weights[..]);
        for batch in batches {
            engine.add(batch);
        }
        let (cat, names) = &self.categories;
        let totals = engine.totals(cat, names.len());
        stratmap_core::FootprintReport::new(&totals, cat, names, 3)
    }
}

fn stockholm() -> Tz {
    "Europe/Stockholm".parse().unwrap_or(Tz::UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bound measures the same job: records decoded beforehand give the
    /// report of the CSV and Parquet paths, to the last bit.
    #[test]
    fn records_decoded_beforehand_give_the_readers_report() {
        let data = NationalRecords::new(20_000).expect("bench data");
        let ctx = data.context();
        let csv = data.footprint(&ctx, false);
        assert_eq!(data.footprint(&ctx, true), csv);
        let decoded = data.decoded();
        assert_eq!(decoded.records.len(), 20_000, "every record decoded");
        assert_eq!(data.footprint_decoded(&decoded.batches()), csv);
    }
}
