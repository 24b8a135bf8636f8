//! Connection records from Parquet, end to end through the binary: the same
//! records as CSV give the same bytes, whatever the column types, encodings,
//! compressions and row groups; skipped rows are reported by row number;
//! wrong types are named; no phone id is ever shown.

use arrow_array::builder::{LargeStringBuilder, StringDictionaryBuilder};
use arrow_array::types::{Int16Type, Int32Type};
use arrow_array::{
    ArrayRef, BinaryArray, LargeStringArray, RecordBatch, StringArray, TimestampMicrosecondArray,
    TimestampMillisecondArray, TimestampSecondArray,
};
use chrono::{NaiveDateTime, TimeZone};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn stratmap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stratmap"))
        .args(args)
        .output()
        .expect("run stratmap")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// One record: phone id, naive local time in Stockholm, tower id; empty
/// strings for empty fields.
type Row = (String, String, String);

/// The sample town's records, and after them rows to leave out: an unknown
/// tower, a local time skipped by the spring clock change, an empty phone
/// id, an empty tower id, an empty timestamp.
fn records() -> Vec<Row> {
    let csv = std::fs::read_to_string(root().join("fixtures/sample-town/records.csv")).unwrap();
    let mut rows: Vec<Row> = csv
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].into(), f[1].into(), f[2].into())
        })
        .collect();
    for (p, t, w) in [
        ("secret-a1", "2026-10-05 10:00:00", "T99"),
        ("secret-a2", "2026-03-29 02:30:00", "T03"),
        ("", "2026-10-05 10:00:00", "T03"),
        ("secret-a3", "2026-10-05 11:00:00", ""),
        ("secret-a4", "", "T03"),
    ] {
        rows.push((p.into(), t.into(), w.into()));
    }
    // the bad rows among the others too, not only at the end
    rows.swap(10, 5316);
    rows
}

fn csv_of(rows: &[Row]) -> String {
    let mut s = String::from("phone_id,timestamp,tower_id\n");
    for (p, t, w) in rows {
        s.push_str(&format!("{p},{t},{w}\n"));
    }
    s
}

fn opt(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

fn naive(t: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S").ok()
}

/// The instant of a Stockholm local time, in seconds; `None` for an empty
/// field or a local time that does not exist (written as null).
fn instant(t: &str) -> Option<i64> {
    let tz: chrono_tz::Tz = "Europe/Stockholm".parse().unwrap();
    tz.from_local_datetime(&naive(t)?)
        .earliest()
        .map(|d| d.timestamp())
}

fn dictionary(v: impl Iterator<Item = Option<String>>) -> ArrayRef {
    let mut b = StringDictionaryBuilder::<Int32Type>::new();
    for s in v {
        b.append_option(s);
    }
    Arc::new(b.finish())
}

/// The ways the records are written to Parquet.
#[derive(Clone, Copy, Debug)]
enum Style {
    /// Plain phone ids, naive TIMESTAMP seconds, dictionary tower ids, Snappy.
    NaiveSeconds,
    /// Dictionary phone ids (Int16 keys), TIMESTAMP ms UTC, plain tower ids
    /// with dictionary encoding off, no compression.
    UtcMillis,
    /// LargeUtf8 ids, TIMESTAMP µs with a zone name, Zstandard.
    ZonedMicros,
    /// Binary phone ids, the timestamps as text, dictionary towers, gzip.
    Text,
}

fn write_parquet(path: &Path, rows: &[Row], style: Style, per_group: usize) {
    let phones = || rows.iter().map(|r| opt(&r.0).map(String::from));
    let towers = || rows.iter().map(|r| opt(&r.2).map(String::from));
    let (phone, ts, tower, compression, dict): (ArrayRef, ArrayRef, ArrayRef, _, _) = match style {
        Style::NaiveSeconds => (
            Arc::new(StringArray::from_iter(phones())),
            Arc::new(TimestampSecondArray::from_iter(
                rows.iter()
                    .map(|r| naive(&r.1).map(|t| t.and_utc().timestamp())),
            )),
            dictionary(towers()),
            Compression::SNAPPY,
            true,
        ),
        Style::UtcMillis => {
            let mut b = StringDictionaryBuilder::<Int16Type>::new();
            for p in phones() {
                b.append_option(p);
            }
            (
                Arc::new(b.finish()),
                Arc::new(
                    TimestampMillisecondArray::from_iter(
                        rows.iter().map(|r| instant(&r.1).map(|s| s * 1000 + 250)),
                    )
                    .with_timezone("UTC"),
                ),
                Arc::new(StringArray::from_iter(towers())),
                Compression::UNCOMPRESSED,
                false,
            )
        }
        Style::ZonedMicros => {
            let mut t = LargeStringBuilder::new();
            for w in towers() {
                t.append_option(w);
            }
            (
                Arc::new(LargeStringArray::from_iter(phones())),
                Arc::new(
                    TimestampMicrosecondArray::from_iter(
                        rows.iter().map(|r| instant(&r.1).map(|s| s * 1_000_000)),
                    )
                    .with_timezone("Europe/Stockholm"),
                ),
                Arc::new(t.finish()),
                Compression::ZSTD(ZstdLevel::default()),
                true,
            )
        }
        Style::Text => (
            Arc::new(BinaryArray::from_iter(
                rows.iter()
                    .map(|r| opt(&r.0).map(|s| s.as_bytes().to_vec())),
            )),
            Arc::new(StringArray::from_iter(rows.iter().map(|r| opt(&r.1)))),
            dictionary(towers()),
            Compression::GZIP(Default::default()),
            true,
        ),
    };
    let batch =
        RecordBatch::try_from_iter([("phone_id", phone), ("timestamp", ts), ("tower_id", tower)])
            .unwrap();
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(per_group))
        .set_compression(compression)
        .set_dictionary_enabled(dict)
        .build();
    let mut w = ArrowWriter::try_new(
        std::fs::File::create(path).unwrap(),
        batch.schema(),
        Some(props),
    )
    .unwrap();
    // in several writes, as an export goes
    for start in (0..batch.num_rows()).step_by(2000) {
        w.write(&batch.slice(start, 2000.min(batch.num_rows() - start)))
            .unwrap();
    }
    w.close().unwrap();
}

/// `stratmap footprint` on the sample town's areas and towers, with
/// `extra` flags.
fn footprint_with(dir: &Path, records: &Path, out: &str, extra: &[&str]) -> Output {
    let town = root().join("fixtures/sample-town");
    let out = dir.join(out);
    let mut args = vec![
        "footprint".to_string(),
        "--areas".into(),
        town.join("areas.geojson").to_str().unwrap().into(),
        "--towers".into(),
        town.join("towers.csv").to_str().unwrap().into(),
        "--records".into(),
        records.to_str().unwrap().into(),
        "--out".into(),
        out.to_str().unwrap().into(),
    ];
    args.extend(extra.iter().map(|a| a.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    stratmap(&args)
}

fn footprint(dir: &Path, records: &Path, out: &str) -> Output {
    footprint_with(dir, records, out, &[])
}

const OUTPUTS: [&str; 2] = ["footprint.geojson", "footprint_by_category.csv"];

/// Everything a run shows and writes, for the check that no phone id is there.
fn shown(o: &Output, out: &Path) -> String {
    let mut s = text(o);
    for f in OUTPUTS {
        s.push_str(&std::fs::read_to_string(out.join(f)).unwrap());
    }
    s
}

/// The CSV reader's report of what it left out: for each record shown, the
/// kind's summary ("3 records left out (unknown tower)"), its row number in
/// a Parquet file (its line less the header) and the reason.
fn csv_report_as_rows(report: &str) -> Vec<(String, u64, String)> {
    let mut shown = Vec::new();
    for l in report.lines().filter(|l| l.contains(" left out (")) {
        let Some((head, items)) = l.split_once("): ") else {
            continue;
        };
        let kind = head.rsplit_once(": ").map_or(head, |h| h.1).to_string() + ")";
        for item in items.trim_end_matches(", …").split("; ") {
            let (n, why) = item
                .strip_prefix("line ")
                .unwrap()
                .split_once(": ")
                .unwrap();
            shown.push((kind.clone(), n.parse::<u64>().unwrap() - 1, why.to_string()));
        }
    }
    shown
}

/// `rows` as `dir/records.csv`, and the footprint of that file in
/// `dir/csv` (which must succeed): the bytes the Parquet runs must give.
fn csv_footprint(dir: &Path, rows: &[Row]) -> Output {
    let csv = dir.join("records.csv");
    std::fs::write(&csv, csv_of(rows)).unwrap();
    let o = footprint(dir, &csv, "csv");
    assert!(o.status.success(), "{}", text(&o));
    o
}

#[test]
fn parquet_records_give_the_csv_bytes_in_every_style() {
    let dir = tempfile::tempdir().unwrap();
    let rows = records();
    let o = csv_footprint(dir.path(), &rows);
    let expected = csv_report_as_rows(&text(&o));
    assert_eq!(expected.len(), 7, "{expected:?}");
    for (k, style) in [
        Style::NaiveSeconds,
        Style::UtcMillis,
        Style::ZonedMicros,
        Style::Text,
    ]
    .into_iter()
    .enumerate()
    {
        let path = dir.path().join(format!("records{k}.parquet"));
        write_parquet(&path, &rows, style, [1000, 777, 5000, 4096][k]);
        let out = format!("pq{k}");
        let o = footprint(dir.path(), &path, &out);
        assert!(o.status.success(), "{style:?}: {}", text(&o));
        same_outputs(
            &dir.path().join("csv"),
            &dir.path().join(&out),
            &format!("{style:?}"),
        );
        // the same rows left out, for the same reasons, by row numbers
        // (line N of the CSV is row N − 1); a timestamp that a TIMESTAMP
        // column cannot hold is a null there, so its reason may differ
        let t = text(&o);
        for (kind, row, why) in &expected {
            let want = match (kind.contains("bad timestamp"), style) {
                (true, Style::Text) | (false, _) => format!("row {row}: {why}"),
                (true, _) => format!("row {row}: column timestamp: "),
            };
            assert!(t.contains(kind.as_str()), "{style:?}: {kind}: {t}");
            assert!(t.contains(&want), "{style:?}: {want}: {t}");
        }
        let all = shown(&o, &dir.path().join(&out));
        assert!(
            !all.contains("secret") && !all.contains("phone-0"),
            "{style:?}: {all}"
        );
    }
    // the naive local time in the spring gap is refused as the CSV reader refuses it
    let t = text(&footprint(
        dir.path(),
        &dir.path().join("records0.parquet"),
        "again",
    ));
    assert!(
        t.contains("row 11: column timestamp: the local time does not exist in Europe/Stockholm"),
        "{t}"
    );
}

#[test]
fn strict_names_rows_and_wrong_types_name_the_column() {
    let dir = tempfile::tempdir().unwrap();
    let rows = records();
    let path = dir.path().join("records.parquet");
    write_parquet(&path, &rows, Style::NaiveSeconds, 1000);
    let strict = |records: &Path| footprint_with(dir.path(), records, "out", &["--strict"]);
    let o = strict(&path);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("records.parquet: row 5314: column tower_id: expected a tower of the towers file, found an id it does not list (unknown tower)"), "{t}");
    assert!(!t.contains("secret") && !t.contains("phone-0"), "{t}");
    // a timestamp column of floats: refused, naming the file, column, type and what was expected
    let batch = RecordBatch::try_from_iter([
        (
            "phone_id",
            Arc::new(StringArray::from(vec!["secret-b1"])) as ArrayRef,
        ),
        (
            "timestamp",
            Arc::new(arrow_array::Float64Array::from(vec![1.79e9])) as ArrayRef,
        ),
        (
            "tower_id",
            Arc::new(StringArray::from(vec!["T03"])) as ArrayRef,
        ),
    ])
    .unwrap();
    let bad = dir.path().join("floats.parquet");
    let mut w =
        ArrowWriter::try_new(std::fs::File::create(&bad).unwrap(), batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let o = strict(&bad);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("floats.parquet: column timestamp has type Float64: expected a TIMESTAMP (with or without time zone), a DATE, an integer (Unix time) or text"),
        "{t}"
    );
    assert!(!t.contains("secret"), "{t}");
}

/// The sample town's inputs and config, copied into `dir`.
fn copy_town(dir: &Path) {
    for e in std::fs::read_dir(root().join("fixtures/sample-town")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.join(e.file_name())).unwrap();
    }
}

/// `stratmap run dir/CONFIG --out dir/OUT`, which must succeed.
fn run_config(dir: &Path, config: &str, out: &str) -> (Output, PathBuf) {
    let out = dir.join(out);
    let o = stratmap(&[
        "run",
        dir.join(config).to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    (o, out)
}

#[test]
fn run_reads_parquet_records_from_the_config() {
    use sha2::Digest;
    let dir = tempfile::tempdir().unwrap();
    copy_town(dir.path());
    let rows = records();
    std::fs::write(dir.path().join("records.csv"), csv_of(&rows)).unwrap();
    let pq = dir.path().join("records.parquet");
    write_parquet(&pq, &rows, Style::UtcMillis, 1500);
    let config = std::fs::read_to_string(dir.path().join("config.toml")).unwrap();
    let config_pq = config.replace("records = \"records.csv\"", "records = \"records.parquet\"");
    assert_ne!(config, config_pq);
    std::fs::write(dir.path().join("parquet.toml"), config_pq).unwrap();
    let (_, a) = run_config(dir.path(), "config.toml", "a");
    let (o, b) = run_config(dir.path(), "parquet.toml", "b");
    same_outputs(&a, &b, "config");
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(b.join("summary.json")).unwrap()).unwrap();
    let rec = &summary["inputs"]["records"];
    assert_eq!(rec["path"], "records.parquet");
    assert_eq!(rec["rows"], rows.len());
    let sha = format!("{:x}", sha2::Sha256::digest(std::fs::read(&pq).unwrap()));
    assert_eq!(rec["sha256"], sha.as_str());
    assert_eq!(summary["counts"]["records_left_out"]["unknown_tower"], 3);
    let all = shown(&o, &b);
    assert!(!all.contains("secret") && !all.contains("phone-0"), "{all}");
}

/// `--sorted-by-time` on Parquet, and `[footprint] sorted_by_time` in a
/// run: the records in time order (the rows left out among them) give the
/// bytes of holding every day, in row groups and batches of any size; a
/// row of an earlier day than one before it is an error naming the row,
/// quoting no value.
#[test]
fn sorted_by_time_from_parquet_and_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let mut rows = records();
    rows.sort_by(|a, b| a.1.cmp(&b.1));
    csv_footprint(dir.path(), &rows);
    let csv = dir.path().join("records.csv");
    for (k, style) in [Style::UtcMillis, Style::Text].into_iter().enumerate() {
        let path = dir.path().join(format!("sorted{k}.parquet"));
        write_parquet(&path, &rows, style, [700, 3000][k]);
        let out = format!("pq{k}");
        let o = footprint_with(dir.path(), &path, &out, &["--sorted-by-time"]);
        assert!(o.status.success(), "{style:?}: {}", text(&o));
        same_outputs(
            &dir.path().join("csv"),
            &dir.path().join(&out),
            &format!("{style:?}"),
        );
    }
    // the first October row moved to the end: row 5320 (a row of each
    // earlier kind sorts first: empty and spring-gap timestamps)
    let mut moved = rows.clone();
    let first = moved.remove(2);
    assert!(first.1.starts_with("2026-10-05"), "{first:?}");
    moved.push(first);
    let path = dir.path().join("moved.parquet");
    write_parquet(&path, &moved, Style::UtcMillis, 1000);
    let o = footprint_with(dir.path(), &path, "moved", &["--sorted-by-time"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains(&format!("moved.parquet: row {}, column timestamp: the timestamp falls on a day before that of row ", moved.len())),
        "{t}"
    );
    assert!(
        !t.contains("secret") && !t.contains("phone-0") && !t.contains("2026-10"),
        "{t}"
    );

    // a run with the setting gives the run's bytes without it (on the
    // sorted records written above)
    let sorted = std::fs::read(&csv).unwrap();
    copy_town(dir.path());
    std::fs::write(&csv, sorted).unwrap();
    let config = std::fs::read_to_string(dir.path().join("config.toml")).unwrap();
    let streamed = config.replace("[footprint]\n", "[footprint]\nsorted_by_time = true\n");
    assert_ne!(config, streamed);
    std::fs::write(dir.path().join("streamed.toml"), streamed).unwrap();
    // and with a budget too small: the file read again by shares of the phones
    let budget = config.replace("[footprint]\n", "[footprint]\nmemory = \"1K\"\n");
    std::fs::write(dir.path().join("budget.toml"), budget).unwrap();
    let (a, b) = (
        run_config(dir.path(), "config.toml", "a").1,
        run_config(dir.path(), "streamed.toml", "b").1,
    );
    let (o, c) = run_config(dir.path(), "budget.toml", "c");
    assert!(
        text(&o).contains("read again for 64 shares"),
        "{}",
        text(&o)
    );
    same_outputs(&a, &b, "b");
    same_outputs(&a, &c, "c");
    let summary = |d: &Path| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(d.join("summary.json")).unwrap()).unwrap()
    };
    let (sa, sb) = (summary(&a), summary(&b));
    // the records hashed whole when they may be read again: the same digest
    assert_eq!(sa["inputs"]["records"], summary(&c)["inputs"]["records"]);
    assert!(sa["inputs"]["records"]["sha256"].is_string());
    // the same settings shown (the output directory aside), counts and warnings
    for (key, sub) in [("config", "footprint"), ("counts", ""), ("warnings", "")] {
        let (x, y) = match sub {
            "" => (&sa[key], &sb[key]),
            sub => (&sa[key][sub], &sb[key][sub]),
        };
        assert!(!x.is_null(), "{key}");
        assert_eq!(x, y, "{key}");
    }
}

/// `--memory` on Parquet: a budget too small for the phone-days reads the
/// file again a share of the phones at a time, with the CSV's bytes.
#[test]
fn memory_budget_on_parquet_gives_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let rows = records();
    csv_footprint(dir.path(), &rows);
    let path = dir.path().join("records.parquet");
    write_parquet(&path, &rows, Style::NaiveSeconds, 1000);
    let o = footprint_with(dir.path(), &path, "pq", &["--memory", "100K"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("the records are read again for"),
        "{}",
        text(&o)
    );
    same_outputs(&dir.path().join("csv"), &dir.path().join("pq"), "pq");
}

/// The footprint outputs in `a` and `b` are the same bytes (`label` says
/// which comparison failed).
fn same_outputs(a: &Path, b: &Path, label: &str) {
    for f in OUTPUTS {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{label}: {f}"
        );
    }
}
