//! Tables as CSV: a header row, `,` separator, `.` decimal point, numbers in
//! their shortest exact form, an empty field for a blank. Written atomically.
//!
//! Text that a spreadsheet would run as a formula (starting with `=`, `+`,
//! `-`, `@`, a tab or a carriage return, as OWASP lists them) gets a leading
//! `'`, so Excel and LibreOffice show it as text; numbers are written as
//! numbers (they are `Value::Integer`/`Value::Real`, never text).

use crate::atomic::{write_atomic, AtomicFile};
use crate::layer::{Feature, LayerSchema, Value};
use crate::sink::{out_of_order, LayerSink};
use crate::Error;
use std::path::{Path, PathBuf};

fn text(v: &Value, for_people: bool) -> String {
    match v {
        Value::Text(s) if !for_people => s.clone(),
        Value::Null => String::new(),
        Value::Integer(i) => i.to_string(),
        // + 0.0 turns −0 (an empty sum, a rounding) into 0: no "-0" in a table
        Value::Real(x) if x.is_finite() => format!("{}", x + 0.0),
        Value::Real(_) => String::new(),
        Value::Text(s) => neutralise(s),
        Value::Boolean(b) => b.to_string(),
    }
}

/// A text field made safe for spreadsheets (OWASP's CSV injection advice):
/// one that starts with `=`, `+`, `-`, `@`, tab or CR gets a leading `'`.
pub fn neutralise(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// The CSV text of a table for people (text fields [`neutralise`]d).
pub fn csv_bytes(columns: &[&str], rows: &[Vec<Value>]) -> Result<Vec<u8>, csv::Error> {
    table_bytes(columns, rows, true)
}

fn table_bytes(
    columns: &[&str],
    rows: &[Vec<Value>],
    for_people: bool,
) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(columns)?;
    for row in rows {
        w.write_record(row.iter().map(|v| text(v, for_people)))?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

/// Writes a table for people as CSV, atomically, its text fields
/// [`neutralise`]d.
pub fn write_csv(columns: &[&str], rows: &[Vec<Value>], path: &Path) -> Result<(), Error> {
    let bytes = csv_bytes(columns, rows).map_err(|e| Error::io(path, std::io::Error::other(e)))?;
    if crate::is_stdio(path) {
        return crate::write_stdout(&bytes);
    }
    write_atomic(path, |w| w.write_all(&bytes))
}

/// Writes a table for programs (a join key such as the tower → area weight
/// table, read by SQL engines), atomically, its text exactly as it is: a
/// `'` added to an id would break the join.
pub fn write_data_csv(columns: &[&str], rows: &[Vec<Value>], path: &Path) -> Result<(), Error> {
    let bytes =
        table_bytes(columns, rows, false).map_err(|e| Error::io(path, std::io::Error::other(e)))?;
    write_atomic(path, |w| w.write_all(&bytes))
}

/// A [`LayerSink`] writing one layer's table as CSV, atomically, a row a
/// feature as it comes: its fields in the layer's order ([`write_csv`]'s
/// rules: text [`neutralise`]d, numbers exact), then `wkt`, the geometry
/// as Well-Known Text in the layer's CRS (QGIS opens the file as a
/// "delimited text" layer of WKT geometries).
///
/// ```
/// use stratmap_io::CsvSink;
/// use stratmap_io::{Feature, Field, FieldType, Layer, Value};
/// use stratmap_io::write_layers;
/// use stratmap_io::Epsg;
///
/// let layer = Layer {
///     name: "towers".into(),
///     epsg: Epsg::SWEREF99_TM,
///     fields: vec![Field { name: "tower_id".into(), kind: FieldType::Text }],
///     features: vec![Feature {
///         id: Value::Null,
///         geometry: geo::Geometry::Point(geo::Point::new(674_000.5, 6_580_000.0)),
///         values: vec![Value::Text("=T1".into())],
///     }],
/// };
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("towers.csv");
/// write_layers(Box::new(CsvSink::new(&path)), &[&layer]).unwrap();
/// let text = std::fs::read_to_string(&path).unwrap();
/// assert_eq!(text, "tower_id,wkt\n'=T1,POINT(674000.5 6580000)\n");
/// ```
pub struct CsvSink {
    path: PathBuf,
    out: Option<csv::Writer<AtomicFile>>,
}

impl CsvSink {
    /// A sink that will write `path`; nothing is created before `begin`.
    pub fn new(path: &Path) -> Self {
        CsvSink {
            path: path.to_path_buf(),
            out: None,
        }
    }

    fn failed(&self, e: csv::Error) -> Error {
        Error::io(&self.path, std::io::Error::other(e))
    }
}

impl LayerSink for CsvSink {
    fn begin(&mut self, schema: &LayerSchema<'_>) -> Result<(), Error> {
        if self.out.is_some() {
            return Err(out_of_order(&self.path, "a CSV file holds one layer"));
        }
        let mut out = csv::Writer::from_writer(AtomicFile::create(&self.path)?);
        let header = schema.fields.iter().map(|f| f.name.as_str()).chain(["wkt"]);
        out.write_record(header).map_err(|e| self.failed(e))?;
        self.out = Some(out);
        Ok(())
    }

    fn feature(&mut self, feature: &Feature) -> Result<(), Error> {
        use wkt::ToWkt as _;
        let Some(out) = self.out.as_mut() else {
            return Err(out_of_order(&self.path, "a CSV row before its layer began"));
        };
        let row = feature.values.iter().map(|v| text(v, true));
        let written = out.write_record(row.chain([feature.geometry.wkt_string()]));
        written.map_err(|e| self.failed(e))
    }

    fn end(mut self: Box<Self>) -> Result<(), Error> {
        let Some(out) = self.out.take() else {
            return Err(out_of_order(
                &self.path,
                "a CSV file ended before its layer began",
            ));
        };
        let file = out
            .into_inner()
            .map_err(|e| Error::io(&self.path, e.into_error()))?;
        file.commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanks_quotes_and_numbers() {
        let rows = vec![vec![
            Value::Text("a, b".into()),
            Value::Null,
            Value::Real(0.1),
            Value::Integer(3),
            Value::Real(2.0),
            Value::Boolean(true),
            Value::Real(Vec::<f64>::new().iter().sum()),
        ]];
        let b = csv_bytes(&["t", "n", "r", "i", "w", "b", "z"], &rows).unwrap();
        // an empty sum is −0: written 0
        assert_eq!(
            String::from_utf8(b).unwrap(),
            "t,n,r,i,w,b,z\n\"a, b\",,0.1,3,2,true,0\n"
        );
    }

    #[test]
    fn formulas_become_text_and_numbers_stay_numbers() {
        let rows: Vec<Vec<Value>> = [
            "=HYPERLINK(\"http://x\")",
            "+1",
            "-2+3",
            "@SUM(A1)",
            "\tTAB",
            "\rCR",
            "Öst=väst",
            "safe",
        ]
        .iter()
        .map(|t| {
            vec![
                Value::Text(t.to_string()),
                Value::Real(-1.5),
                Value::Integer(-3),
            ]
        })
        .collect();
        let b = String::from_utf8(csv_bytes(&["name", "r", "i"], &rows).unwrap()).unwrap();
        let lines: Vec<&str> = b.lines().collect();
        assert_eq!(lines[1], "\"'=HYPERLINK(\"\"http://x\"\")\",-1.5,-3");
        assert_eq!(lines[2], "'+1,-1.5,-3");
        assert_eq!(lines[3], "'-2+3,-1.5,-3");
        assert_eq!(lines[4], "'@SUM(A1),-1.5,-3");
        assert_eq!(lines[5], "'\tTAB,-1.5,-3");
        assert!(b.contains("\"'\rCR\",-1.5,-3"), "{b:?}");
        assert!(b.contains("\nÖst=väst,-1.5,-3\nsafe,-1.5,-3\n"), "{b:?}");
    }
}
