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
    /// Where the records begin in the file's bytes.
    body: usize,
    /// Where each line ends in the file's bytes.
    newlines: Vec<usize>,
}

/// The hint for text that is not UTF-8.
pub const NOT_UTF8_HINT: &str = "expected UTF-8 text: if the file was saved by Excel or another Windows program (Windows-1252, Latin-1), set encoding = \"windows-1252\" in the config's [inputs], or save it as \"CSV UTF-8\"";

/// Bytes of the records a worker reads at a time (the file is cut at the
/// first line end after each multiple).
const PIECE: usize = 1 << 20;

/// What one piece of a file could not read.
#[derive(Default)]
struct PieceProblems {
    problems: Vec<Problem>,
    /// The first line that is not UTF-8, and how many are not.
    not_utf8: Option<u64>,
    bad_lines: usize,
}

/// Where the pieces of the records from `body` on begin and end: every
/// `piece` bytes, at the next line end; one piece when the records hold a
/// quote anywhere, since a quoted field may hold a line end (grid and event
/// files seldom quote anything).
fn cut(data: &[u8], body: usize, piece: usize) -> Vec<usize> {
    let piece = piece.max(1);
    let mut at = vec![body];
    if memchr::memchr(b'"', &data[body..]).is_none() {
        let mut next = body.saturating_add(piece);
        while next < data.len() {
            match memchr::memchr(b'\n', &data[next..]) {
                Some(k) if next + k + 1 < data.len() => {
                    at.push(next + k + 1);
                    next = (next + k + 1).saturating_add(piece);
                }
                _ => break,
            }
        }
    }
    at.push(data.len());
    at
}

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
        let mut table = Self::head(file, data)?;
        let (pieces, problems) = table.read_body(data, Vec::new, |_, acc, line, r| {
            acc.push((line, r.clone()))
        });
        table.records = pieces.into_iter().flatten().collect();
        Ok((table, problems))
    }

    /// Reads and checks the header row of `data`: the table without
    /// records, ready to read them ([`CsvTable::read_body`]).
    pub fn head(file: &str, data: &[u8]) -> Result<CsvTable, Problem> {
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
        let body = usize::try_from(reader.position().byte())
            .unwrap_or(data.len())
            .min(data.len());
        Ok(CsvTable {
            file: file.to_string(),
            headers,
            records: Vec::new(),
            delimiter,
            body,
            // line numbers from byte offsets (the csv crate's own count
            // skips blank lines)
            newlines: memchr::memchr_iter(b'\n', data).collect(),
        })
    }

    /// Reads the records of `data` (the file [`CsvTable::head`] read),
    /// each handed with its line to `row` together with the accumulator of
    /// its piece of the file (made by `start`). Records without a quote are
    /// cut into pieces at line ends and the pieces read in parallel; records
    /// with one are read as one piece (a quoted field may hold a line end).
    /// The accumulators come back in file order, with the problems of lines
    /// that cannot be read, as [`CsvTable::read`] gives them.
    pub fn read_body<A: Send>(
        &self,
        data: &[u8],
        start: impl Fn() -> A + Sync,
        row: impl Fn(&CsvTable, &mut A, u64, &csv::StringRecord) + Sync,
    ) -> (Vec<A>, Vec<Problem>) {
        self.read_in(data, PIECE, start, row)
    }

    /// [`CsvTable::read_body`] in pieces of `piece` bytes or more.
    fn read_in<A: Send>(
        &self,
        data: &[u8],
        piece: usize,
        start: impl Fn() -> A + Sync,
        row: impl Fn(&CsvTable, &mut A, u64, &csv::StringRecord) + Sync,
    ) -> (Vec<A>, Vec<Problem>) {
        use rayon::prelude::*;
        let pieces = cut(data, self.body, piece);
        let read: Vec<(A, PieceProblems)> = pieces
            .par_windows(2)
            .map(|w| {
                let mut acc = start();
                let problems = self.read_piece(data, w[0]..w[1], |line, r| {
                    row(self, &mut acc, line, r);
                    true
                });
                (acc, problems)
            })
            .collect();
        let mut problems = Vec::new();
        let (mut not_utf8, mut bad_lines) = (None::<u64>, 0usize);
        let mut accs = Vec::with_capacity(read.len());
        for (acc, p) in read {
            accs.push(acc);
            problems.extend(p.problems);
            if let Some(line) = p.not_utf8 {
                not_utf8.get_or_insert(line);
            }
            bad_lines += p.bad_lines;
        }
        if let Some(line) = not_utf8 {
            let more = match bad_lines {
                1 => String::new(),
                n => format!(" ({n} lines are not UTF-8)"),
            };
            problems.insert(
                0,
                Problem::file(&self.file, format!("{NOT_UTF8_HINT}{more}")).at_line(line),
            );
        }
        (accs, problems)
    }

    /// Whether the file has a record after its header (a line that cannot
    /// be read counts: it is a problem of the file, not an empty file).
    pub fn has_rows(&self, data: &[u8]) -> bool {
        let mut any = false;
        let p = self.read_piece(data, self.body..data.len(), |_, _| {
            any = true;
            false
        });
        any || !p.problems.is_empty() || p.not_utf8.is_some()
    }

    /// The first record of `data` (the file [`CsvTable::head`] read) for
    /// which `f` gives something, with its line, read in order; lines that
    /// cannot be read are passed over ([`CsvTable::read_body`] reports them).
    pub fn find_first<T>(
        &self,
        data: &[u8],
        mut f: impl FnMut(&csv::StringRecord) -> Option<T>,
    ) -> Option<(u64, T)> {
        let mut found = None;
        self.read_piece(data, self.body..data.len(), |line, r| {
            found = f(r).map(|t| (line, t));
            found.is_none()
        });
        found
    }

    /// Reads the records of `range` (cut at a line end outside any quote),
    /// handing each to `row` while it says go on; the lines that cannot be
    /// read.
    fn read_piece(
        &self,
        data: &[u8],
        range: std::ops::Range<usize>,
        mut row: impl FnMut(u64, &csv::StringRecord) -> bool,
    ) -> PieceProblems {
        let newlines = &self.newlines;
        let offset = range.start;
        let piece = &data[range];
        // Fields are trimmed below, only in the records that need it: the
        // csv crate's `Trim::All` copies every record twice (its bytes, then
        // its text), though most fields have no space to trim.
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(self.delimiter)
            .flexible(true)
            .has_headers(false)
            .from_reader(piece);
        // The lines before the last record's: records come in file order,
        // so the next record's line is found from there on.
        let lines_before = std::cell::Cell::new(newlines.partition_point(|&nl| nl < offset));
        let line_of = |pos: Option<&csv::Position>| {
            pos.map_or(0, |p| {
                let at = (p.byte() as usize).min(piece.len());
                // A record's position can point at blank lines skipped before it.
                let start = offset
                    + piece[at..]
                        .iter()
                        .position(|b| *b != b'\n' && *b != b'\r')
                        .map_or(at, |k| at + k);
                let mut k = lines_before.get();
                if k > 0 && newlines[k - 1] >= start {
                    k = newlines.partition_point(|&nl| nl < start);
                } else {
                    k += newlines[k..].iter().take_while(|&&nl| nl < start).count();
                }
                lines_before.set(k);
                k as u64 + 1
            })
        };
        let mut out = PieceProblems::default();
        let mut record = csv::StringRecord::new();
        loop {
            match reader.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {
                    // what `Trim::All` gives: each field without the
                    // (Unicode) white space around it
                    if record.iter().any(|f| f.trim().len() != f.len()) {
                        record.trim();
                    }
                    let r = &record;
                    let line = line_of(r.position());
                    if r.len() == 1 && r.get(0) == Some("") {
                        continue; // a blank line
                    }
                    if r.len() != self.headers.len() {
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
                        out.problems.push(
                            Problem::file(
                                &self.file,
                                format!(
                                    "expected {} fields as in the header, found {} (separator {:?}){quote}",
                                    self.headers.len(),
                                    r.len(),
                                    self.delimiter as char
                                ),
                            )
                            .at_line(line),
                        );
                        continue;
                    }
                    if !row(line, r) {
                        break;
                    }
                }
                Err(e) => {
                    let line = line_of(e.position());
                    match e.kind() {
                        // one problem for the file, not one a line
                        csv::ErrorKind::Utf8 { .. } => {
                            out.not_utf8.get_or_insert(line);
                            out.bad_lines += 1;
                        }
                        _ => out
                            .problems
                            .push(Problem::file(&self.file, e.to_string()).at_line(line)),
                    }
                }
            }
        }
        out
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

    /// Everything a read gives, as text to compare.
    fn read_as_text(data: &[u8], piece: usize) -> String {
        match CsvTable::head("f.csv", data).map(|t| {
            let (pieces, p) = t.read_in(data, piece, Vec::new, |_, acc, line, r| {
                acc.push((line, r.clone()))
            });
            (t, pieces, p)
        }) {
            Err(p) => format!("{p:?}"),
            Ok((t, pieces, p)) => format!(
                "{:?} {:?} {:?}",
                t.headers,
                pieces.into_iter().flatten().collect::<Vec<_>>(),
                p
            ),
        }
    }

    #[test]
    fn pieces_cut_at_line_ends_and_number_lines_as_one_read() {
        let data = b"a,b\n1,2\n\n3,4\r\n5\n6,7\n\n\n8,9";
        assert_eq!(cut(data, 4, 3), vec![4, 8, 14, 20, 25]);
        // a quote anywhere in the records: one piece
        assert_eq!(cut(b"a,b\n1,\"2\n3\",4\n", 4, 1), vec![4, 14]);
        let one = read_as_text(data, usize::MAX);
        for piece in 1..data.len() {
            assert_eq!(read_as_text(data, piece), one, "pieces of {piece} bytes");
        }
        assert!(one.contains("(9, StringRecord([\"8\", \"9\"]))"), "{one}");
    }

    /// The records and lines the csv crate gives with `Trim::All` (every
    /// field trimmed of Unicode white space), each line found by a binary
    /// search of the line ends: what the reader gave before it trimmed only
    /// the records that need it and counted lines on from the last record.
    fn reference_records(data: &[u8]) -> Vec<(u64, Vec<String>)> {
        let newlines: Vec<usize> = memchr::memchr_iter(b'\n', data).collect();
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(detect_delimiter(data))
            .trim(csv::Trim::All)
            .flexible(true)
            .from_reader(data);
        let width = reader.headers().map_or(0, |h| h.len());
        let mut out = Vec::new();
        for r in reader.records().flatten() {
            if r.len() != width {
                continue;
            }
            let at = r.position().map_or(0, |p| p.byte() as usize);
            let start = data[at..]
                .iter()
                .position(|b| *b != b'\n' && *b != b'\r')
                .map_or(at, |k| at + k);
            let line = newlines.partition_point(|&nl| nl < start) as u64 + 1;
            out.push((line, r.iter().map(str::to_string).collect()));
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn fields_trimmed_and_lines_numbered_as_the_csv_crate_does(
            body in "[0-9a,\r\n\" \t\u{a0}\u{3000}\u{b}]{0,200}",
            piece in 1usize..40,
        ) {
            let data = format!("a,b,c\n{body}");
            let Ok(t) = CsvTable::head("f.csv", data.as_bytes()) else { return Ok(()) };
            let (pieces, _) = t.read_in(data.as_bytes(), piece, Vec::new, |_, acc, line, r| {
                acc.push((line, r.iter().map(str::to_string).collect::<Vec<_>>()))
            });
            let read: Vec<_> = pieces.into_iter().flatten().filter(|(_, r)| !(r.len() == 1 && r[0].is_empty())).collect();
            let want: Vec<_> = reference_records(data.as_bytes()).into_iter().filter(|(_, r)| !(r.len() == 1 && r[0].is_empty())).collect();
            proptest::prop_assert_eq!(read, want);
        }

        #[test]
        fn any_pieces_read_as_one(body in "[0-9a\u{e4},;\r\n\" ]{0,200}", piece in 1usize..40) {
            let data = format!("a,b,c\n{body}");
            proptest::prop_assert_eq!(read_as_text(data.as_bytes(), piece), read_as_text(data.as_bytes(), usize::MAX));
            let mut bytes = data.into_bytes();
            bytes.push(0xe4); // not UTF-8 at the end
            proptest::prop_assert_eq!(read_as_text(&bytes, piece), read_as_text(&bytes, usize::MAX));
        }
    }
}
