//! Reading CSV files the way SPEC §3 describes: UTF-8, a header row, `,` or `;`
//! as separator (detected from the header), `.` as decimal point, and empty
//! fields meaning "missing". Problems name the file, line and column.
//!
//! Files as Swedish offices save them are read too: when the separator is
//! `;` (Excel's in a Swedish locale) a decimal comma is read as a decimal
//! point (`0,25` is 0.25; `0.25` still is too). Text in another encoding
//! than UTF-8 is decoded before it gets here (see [`crate::encoding`]); a
//! file that is not UTF-8 gets one problem with a hint, not one per line.

use crate::Problem;

/// A CSV file read into memory, with its header.
pub struct CsvTable {
    /// The file as the user named it, for problems.
    pub file: String,
    /// The names of the header row, trimmed.
    pub headers: Vec<String>,
    /// Each record with its 1-based line number in the file.
    pub records: Vec<(u64, csv::StringRecord)>,
    /// The separator, `b','` or `b';'`.
    pub delimiter: u8,
}

/// The hint for text that is not UTF-8.
pub const NOT_UTF8_HINT: &str = "expected UTF-8 text: if the file was saved by Excel or another Windows program (Windows-1252, Latin-1), set encoding = \"windows-1252\" in the config's [inputs], or save it as \"CSV UTF-8\"";

/// The separator of a CSV file: `;` when the header line holds more `;` than `,`.
pub fn detect_delimiter(data: &[u8]) -> u8 {
    let header = data.split(|b| *b == b'\n').next().unwrap_or_default();
    let count = |c: u8| header.iter().filter(|b| **b == c).count();
    if count(b';') > count(b',') {
        b';'
    } else {
        b','
    }
}

/// Whether a header row looks like a record: a field is a number or a date.
fn looks_like_record(headers: &[String]) -> bool {
    headers.iter().any(|h| {
        let h = h.trim().as_bytes();
        std::str::from_utf8(h).is_ok_and(|t| t.parse::<f64>().is_ok())
            || (h.len() >= 10 && h[..4].iter().all(u8::is_ascii_digit) && h[4] == b'-')
    })
}

impl CsvTable {
    /// The header row for a message: its names, or, when it looks like a
    /// record (a field is a number or a date), a hint that the header is
    /// missing, without quoting it: a record may hold ids that must not be
    /// repeated.
    pub fn header_for_message(&self) -> String {
        if looks_like_record(&self.headers) {
            "line 1 looks like a record, not a header: is the header row missing?".into()
        } else {
            format!("the header has {}", self.headers.join(", "))
        }
    }

    /// Reads a whole CSV file. A line that cannot be read (bad UTF-8, wrong
    /// number of fields) is a problem; reading goes on so that every problem
    /// can be listed.
    pub fn read(file: &str, data: &[u8]) -> Result<(CsvTable, Vec<Problem>), Problem> {
        let delimiter = detect_delimiter(data);
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .trim(csv::Trim::All)
            .flexible(true)
            .from_reader(data);
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| match e.kind() {
                csv::ErrorKind::Utf8 { .. } => Problem::file(file, NOT_UTF8_HINT).at_line(1),
                _ => Problem::file(file, format!("cannot read the header row: {e}")).at_line(1),
            })?
            .iter()
            .map(str::to_string)
            .collect();
        if headers.iter().all(String::is_empty) {
            return Err(Problem::file(file, "the file is empty: expected a header row").at_line(1));
        }
        if headers.len() == 1 && headers[0].contains('\t') {
            return Err(Problem::file(
                file,
                "the columns are separated by tabs: expected ',' (or ';') between columns",
            )
            .at_line(1));
        }
        for (j, h) in headers.iter().enumerate() {
            let h = h.trim_start_matches('\u{feff}');
            if h.is_empty() {
                continue;
            }
            if let Some(i) = headers[..j]
                .iter()
                .position(|g| g.trim_start_matches('\u{feff}').eq_ignore_ascii_case(h))
            {
                let named = if looks_like_record(&headers) {
                    "have the same name (line 1 looks like a record: is the header row missing?)"
                        .to_string()
                } else {
                    format!("are both named {h:?}")
                };
                return Err(Problem::file(
                    file,
                    format!(
                        "columns {} and {} {named}: expected each column once",
                        i + 1,
                        j + 1
                    ),
                )
                .at_line(1));
            }
        }
        // The csv crate's own line count skips blank lines; count from byte offsets.
        let newlines: Vec<u64> = data
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .map(|(i, _)| i as u64)
            .collect();
        let line_of = |pos: Option<&csv::Position>| {
            pos.map_or(0, |p| {
                // A record's position can point at blank lines skipped before it.
                let start = data[p.byte() as usize..]
                    .iter()
                    .position(|b| *b != b'\n' && *b != b'\r')
                    .map_or(p.byte(), |k| p.byte() + k as u64);
                newlines.partition_point(|&nl| nl < start) as u64 + 1
            })
        };
        let mut records = Vec::new();
        let mut problems = Vec::new();
        let (mut not_utf8, mut bad_lines) = (None, 0usize);
        for rec in reader.records() {
            match rec {
                Ok(r) => {
                    let line = line_of(r.position());
                    if r.len() == 1 && r.get(0) == Some("") {
                        continue; // a blank line
                    }
                    if r.len() != headers.len() {
                        // a quote left open swallows the lines after it into one field
                        let spans = r.iter().map(|f| f.matches('\n').count()).sum::<usize>();
                        let quote = if spans > 0 {
                            format!(
                                ": a quoted field runs over {} more lines (is a quote left open on this line?)",
                                spans
                            )
                        } else {
                            String::new()
                        };
                        problems.push(
                            Problem::file(
                                file,
                                format!(
                                    "expected {} fields as in the header, found {} (separator {:?}){quote}",
                                    headers.len(),
                                    r.len(),
                                    delimiter as char
                                ),
                            )
                            .at_line(line),
                        );
                        continue;
                    }
                    records.push((line, r));
                }
                Err(e) => {
                    let line = line_of(e.position());
                    match e.kind() {
                        // one problem for the file, not one a line
                        csv::ErrorKind::Utf8 { .. } => {
                            not_utf8.get_or_insert(line);
                            bad_lines += 1;
                        }
                        _ => problems.push(Problem::file(file, e.to_string()).at_line(line)),
                    }
                }
            }
        }
        if let Some(line) = not_utf8 {
            let more = match bad_lines {
                1 => String::new(),
                n => format!(" ({n} lines are not UTF-8)"),
            };
            problems.insert(
                0,
                Problem::file(file, format!("{NOT_UTF8_HINT}{more}")).at_line(line),
            );
        }
        Ok((
            CsvTable {
                file: file.to_string(),
                headers,
                records,
                delimiter,
            },
            problems,
        ))
    }

    /// The position of a column, matching the header case-insensitively
    /// ([`column_index`]).
    pub fn find(&self, name: &str) -> Option<usize> {
        column_index(&self.headers, name)
    }

    /// A problem at a given line and column.
    pub fn problem(&self, line: u64, col: usize, message: impl Into<String>) -> Problem {
        Problem::file(&self.file, message)
            .at_line(line)
            .at_column(col + 1, &self.headers[col])
    }

    /// Reads a number; an empty field is `None` (missing).
    pub fn number(
        &self,
        line: u64,
        rec: &csv::StringRecord,
        col: usize,
    ) -> Result<Option<f64>, Problem> {
        let raw = rec.get(col).unwrap_or("");
        let parsed = if self.delimiter == b';' {
            parse_number_comma(raw)
        } else {
            parse_number(raw)
        };
        parsed.map_err(|m| self.problem(line, col, m))
    }
}

/// [`parse_number`] for a `;`-separated file: a decimal comma is a decimal
/// point (`0,25` is 0.25), and so is a point.
pub fn parse_number_comma(raw: &str) -> Result<Option<f64>, String> {
    match raw.matches(',').count() {
        1 if !raw.contains('.') => parse_number(&raw.replace(',', ".")).map_err(|_| {
            format!("expected a number (with ',' or '.' as decimal point), found {raw:?}")
        }),
        0 => parse_number(raw),
        _ => Err(format!(
            "expected a number (with one ',' or '.' as decimal point), found {raw:?}"
        )),
    }
}

/// Parses a decimal number with `.` as decimal point; empty is `None`.
pub fn parse_number(raw: &str) -> Result<Option<f64>, String> {
    if raw.is_empty() {
        return Ok(None);
    }
    match raw.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Some(v)),
        Ok(_) => Err(format!("expected a finite number, found {raw:?}")),
        Err(_) if raw.contains(',') && raw.replace(',', ".").parse::<f64>().is_ok() => Err(
            format!("expected a number with '.' as decimal point, found {raw:?}"),
        ),
        Err(_) => Err(format!(
            "expected a number, or an empty field for a missing value, found {raw:?}"
        )),
    }
}

/// The position of the column named `name` among `headers`, matching case
/// (ASCII) insensitively, as every reader of this crate does: `Lon` is
/// `lon`. The first match when a name appears twice.
///
/// ```
/// use stratmap_io::column_index;
/// let headers = ["Phone_ID".to_string(), "timestamp".into(), "LON".into()];
/// assert_eq!(column_index(&headers, "phone_id"), Some(0));
/// assert_eq!(column_index(&headers, "lon"), Some(2));
/// assert_eq!(column_index(&headers, "lat"), None);
/// ```
pub fn column_index(headers: &[String], name: &str) -> Option<usize> {
    headers.iter().position(|h| h.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_index_ignores_case_and_takes_the_first() {
        let headers: Vec<String> = ["x", "Y", "y", "tower_id"].map(String::from).into();
        assert_eq!(column_index(&headers, "X"), Some(0));
        assert_eq!(column_index(&headers, "y"), Some(1));
        assert_eq!(column_index(&headers, "TOWER_ID"), Some(3));
        assert_eq!(column_index(&headers, "tower"), None);
        assert_eq!(column_index(&[], "x"), None);
    }

    #[test]
    fn detects_semicolons() {
        assert_eq!(detect_delimiter(b"a;b;c\n1;2;3"), b';');
        assert_eq!(detect_delimiter(b"a,b,c\n1;2;3"), b',');
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number(""), Ok(None));
        assert_eq!(parse_number("0.25"), Ok(Some(0.25)));
        assert_eq!(parse_number("-3"), Ok(Some(-3.0)));
        assert!(parse_number("0,25")
            .unwrap_err()
            .contains("'.' as decimal point"));
        assert!(parse_number("..")
            .unwrap_err()
            .contains("expected a number"));
        assert!(parse_number("NaN").unwrap_err().contains("finite"));
    }

    #[test]
    fn semicolon_files_take_decimal_commas() {
        let (t, p) = CsvTable::read("f.csv", b"a;b\n0,25;3\n1.5;2,0\n").unwrap();
        assert!(p.is_empty());
        let n = |r: usize, c: usize| t.number(t.records[r].0, &t.records[r].1, c).unwrap();
        assert_eq!(
            (n(0, 0), n(0, 1), n(1, 0), n(1, 1)),
            (Some(0.25), Some(3.0), Some(1.5), Some(2.0))
        );
        assert!(parse_number_comma("1,2,3").is_err());
        assert!(parse_number_comma("1.000,5").is_err());
    }

    #[test]
    fn text_that_is_not_utf8_is_one_problem_with_a_hint() {
        // "befolkning;område" in Windows-1252, and three rows with ä in them
        let data = b"ort;befolkning\nG\xe4vle;10\nV\xe4xj\xf6;20\nKiruna;5\n\xc5re;3\n";
        let (_, p) = CsvTable::read("f.csv", data).unwrap();
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].message.contains("windows-1252"));
        assert!(p[0].message.contains("3 lines are not UTF-8"));
        // a header that is not UTF-8 says the same
        let e = CsvTable::read("f.csv", b"omr\xe5de;befolkning\nx;1\n")
            .err()
            .unwrap();
        assert!(e.message.contains("windows-1252"), "{}", e.message);
    }

    #[test]
    fn ragged_rows_are_problems_with_lines() {
        let (t, p) = CsvTable::read("f.csv", b"a,b\n1,2\n3\n\n4,5\n").unwrap();
        assert_eq!(t.records.len(), 2);
        assert_eq!(t.records[1].0, 5);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].line, Some(3));
    }
}
