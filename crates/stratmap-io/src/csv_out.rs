//! Tables as CSV: a header row, `,` separator, `.` decimal point, numbers in
//! their shortest exact form, an empty field for a blank. Written atomically.

use crate::atomic::write_atomic;
use crate::layer::Value;
use crate::Error;
use std::path::Path;

fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Integer(i) => i.to_string(),
        Value::Real(x) if x.is_finite() => format!("{x}"),
        Value::Real(_) => String::new(),
        Value::Text(s) => s.clone(),
        Value::Boolean(b) => b.to_string(),
    }
}

/// The CSV text of a table.
pub fn csv_bytes(columns: &[&str], rows: &[Vec<Value>]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(columns)?;
    for row in rows {
        w.write_record(row.iter().map(text))?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

/// Writes a table as CSV, atomically.
pub fn write_csv(columns: &[&str], rows: &[Vec<Value>], path: &Path) -> Result<(), Error> {
    let bytes = csv_bytes(columns, rows).map_err(|e| Error::io(path, std::io::Error::other(e)))?;
    write_atomic(path, |w| w.write_all(&bytes))
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
        ]];
        let b = csv_bytes(&["t", "n", "r", "i", "w", "b"], &rows).unwrap();
        assert_eq!(
            String::from_utf8(b).unwrap(),
            "t,n,r,i,w,b\n\"a, b\",,0.1,3,2,true\n"
        );
    }
}
