//! Point events (SPEC §3.4) and questionnaire answers (§3.5).

use crate::csv_table::CsvTable;
use crate::points::{read_point, PointColumns, PointReader};
use crate::{Error, Problem};
use rustc_hash::FxHashMap;
use stratmap_core::Day;
use stratmap_core::Epsg;
use stratmap_core::{Answer, Domain};

/// Events in the working CRS, with their types numbered in alphabetical order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Events {
    /// Event positions in the working CRS, metres.
    pub positions: Vec<(f64, f64)>,
    /// Each event's type, an index into `type_names`.
    pub types: Vec<u32>,
    /// The distinct types, in alphabetical order.
    pub type_names: Vec<String>,
    /// Each event's date, when the file has a `date` column and the field is
    /// not empty.
    pub dates: Vec<Option<Day>>,
}

impl Events {
    /// Keeps the events of the given types; an unknown type is a problem
    /// naming the types the file has.
    pub fn select(&self, file: &str, wanted: &[String]) -> Result<Events, Problem> {
        if wanted.is_empty() {
            return Ok(self.clone());
        }
        let mut keep = Vec::new();
        for w in wanted {
            match self.type_names.iter().position(|t| t == w) {
                Some(k) => keep.push(k as u32),
                None => {
                    return Err(Problem::file(
                        file,
                        format!(
                            "no events of type {w:?}: the file has {}",
                            self.type_names.join(", ")
                        ),
                    ))
                }
            }
        }
        keep.sort_unstable();
        keep.dedup();
        let names = keep
            .iter()
            .map(|&k| self.type_names[k as usize].clone())
            .collect();
        let mut out = Events {
            type_names: names,
            ..Events::default()
        };
        for ((p, t), d) in self.positions.iter().zip(&self.types).zip(&self.dates) {
            if let Ok(k) = keep.binary_search(t) {
                out.positions.push(*p);
                out.types.push(k as u32);
                out.dates.push(*d);
            }
        }
        Ok(out)
    }
}

/// Parses an event's date: an ISO date (`2024-05-17`), a local date and time
/// (`2024-05-17 21:30[:00]`, or with `T`), or RFC 3339 with an offset
/// (`2024-05-17T21:30:00+02:00`), whose date is the one in its own offset.
pub fn parse_date(s: &str) -> Option<Day> {
    use chrono::Datelike;
    let s = s.trim();
    let date = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .or_else(|| {
            chrono::DateTime::parse_from_rfc3339(s)
                .ok()
                .map(|d| d.date_naive())
        })
        .or_else(|| {
            [
                "%Y-%m-%d %H:%M:%S",
                "%Y-%m-%d %H:%M",
                "%Y-%m-%dT%H:%M:%S",
                "%Y-%m-%dT%H:%M",
            ]
            .iter()
            .find_map(|f| chrono::NaiveDateTime::parse_from_str(s, f).ok())
            .map(|d| d.date())
        })?;
    Some(Day {
        year: date.year(),
        month: date.month() as u8,
        day: date.day() as u8,
    })
}

/// Reads events: `type` plus `lon,lat` or `x,y` (in `xy_epsg`); an `id` is
/// allowed and not used; a `date` is read (see [`parse_date`]; an empty
/// field is an event without a date).
pub fn read_events(file: &str, data: &[u8], xy_epsg: Epsg, working: Epsg) -> Result<Events, Error> {
    let (table, mut problems) = CsvTable::read(file, data)?;
    let Some(type_col) = table.find("type") else {
        return Err(
            Problem::file(file, "expected a column type (shooting, narcotics, …)")
                .at_line(1)
                .into(),
        );
    };
    let found = PointColumns::find_one(&table.headers, xy_epsg)
        .map_err(|m| Error::from(Problem::file(file, m).at_line(1)))?;
    let Some(pc) = found else {
        return Err(Problem::file(
            file,
            "expected columns lon,lat (degrees) or x,y (metres) giving each event's position",
        )
        .at_line(1)
        .into());
    };
    let reader = PointReader::new(pc.epsg, working)?;
    let date_col = table.find("date");
    let mut dates: Vec<Option<Day>> = Vec::with_capacity(table.records.len());
    let mut raw: Vec<((f64, f64), String)> = Vec::with_capacity(table.records.len());
    for (line, rec) in &table.records {
        let kind = rec.get(type_col).unwrap_or("");
        if kind.is_empty() {
            problems.push(table.problem(
                *line,
                type_col,
                "expected an event type, found an empty field",
            ));
            continue;
        }
        let date = match date_col.map(|c| (c, rec.get(c).unwrap_or("").trim())) {
            None | Some((_, "")) => None,
            Some((c, text)) => match parse_date(text) {
                Some(d) => Some(d),
                None => {
                    problems.push(table.problem(
                        *line,
                        c,
                        format!("expected a date (2024-05-17) or a time with a date (2024-05-17T21:30:00+02:00), found {text:?}"),
                    ));
                    continue;
                }
            },
        };
        match read_point(&table, *line, rec, &pc, &reader) {
            Ok(p) => {
                raw.push((p, kind.to_string()));
                dates.push(date);
            }
            Err(p) => problems.extend(p),
        }
    }
    if !problems.is_empty() {
        return Err(Error::Input(problems));
    }
    let mut names: Vec<String> = raw.iter().map(|(_, t)| t.clone()).collect();
    names.sort_unstable();
    names.dedup();
    let index: FxHashMap<&str, u32> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i as u32))
        .collect();
    let types = raw.iter().map(|(_, t)| index[t.as_str()]).collect();
    Ok(Events {
        positions: raw.into_iter().map(|(p, _)| p).collect(),
        types,
        type_names: names,
        dates,
    })
}

/// Reads answers: `area,year,question,domain,score` and optional
/// `uncertainty`; scores and uncertainties are integers 1–5, domains one of
/// the three, and an area answers each question once a year.
pub fn read_answers(file: &str, data: &[u8]) -> Result<Vec<Answer>, Error> {
    let (table, mut problems) = CsvTable::read(file, data)?;
    let mut cols = Vec::new();
    for name in ["area", "year", "question", "domain", "score"] {
        match table.find(name) {
            Some(c) => cols.push(c),
            None => {
                return Err(Problem::file(file, format!("expected a column {name} (columns: area, year, question, domain, score, and optionally uncertainty)")).at_line(1).into())
            }
        }
    }
    let (area_c, year_c, question_c, domain_c, score_c) =
        (cols[0], cols[1], cols[2], cols[3], cols[4]);
    let uncertainty_c = table.find("uncertainty");
    let mut answers = Vec::with_capacity(table.records.len());
    let mut seen: FxHashMap<(String, i64, String), u64> = FxHashMap::default();
    let int_in = |line: u64,
                  rec: &csv::StringRecord,
                  c: usize,
                  lo: i64,
                  hi: i64,
                  what: &str|
     -> Result<i64, Problem> {
        let raw = rec.get(c).unwrap_or("");
        match raw.parse::<i64>() {
            Ok(v) if (lo..=hi).contains(&v) => Ok(v),
            _ => Err(table.problem(line, c, format!("expected {what}, found {raw:?}"))),
        }
    };
    for (line, rec) in &table.records {
        let line = *line;
        let area = rec.get(area_c).unwrap_or("").to_string();
        if area.is_empty() {
            problems.push(table.problem(
                line,
                area_c,
                "expected the area's name, found an empty field",
            ));
        }
        let year = int_in(line, rec, year_c, 1900, 2999, "a year such as 2026");
        let score = int_in(line, rec, score_c, 1, 5, "a score, an integer 1–5");
        if let Some(c) = uncertainty_c {
            if !rec.get(c).unwrap_or("").is_empty() {
                if let Err(p) = int_in(
                    line,
                    rec,
                    c,
                    1,
                    5,
                    "an uncertainty, an integer 1–5 (or empty)",
                ) {
                    problems.push(p);
                }
            }
        }
        let raw_domain = rec.get(domain_c).unwrap_or("");
        let domain = Domain::from_name(raw_domain).ok_or_else(|| {
            table.problem(line, domain_c, format!("expected living_environment, societal_systems or social_development, found {raw_domain:?}"))
        });
        let question = rec.get(question_c).unwrap_or("").to_string();
        if question.is_empty() {
            problems.push(table.problem(
                line,
                question_c,
                "expected the question's number or name, found an empty field",
            ));
        }
        match (year, score, domain) {
            (Ok(year), Ok(score), Ok(domain)) if !area.is_empty() && !question.is_empty() => {
                if let Some(first) = seen.insert((area.clone(), year, question.clone()), line) {
                    problems.push(table.problem(line, question_c, format!("{area:?} answered question {question:?} of {year} already on line {first}: expected one answer per area, year and question")));
                    continue;
                }
                answers.push(Answer {
                    area,
                    year: year as i32,
                    domain,
                    score: score as u8,
                });
            }
            (y, s, d) => {
                problems.extend(y.err());
                problems.extend(s.err());
                problems.extend(d.err());
            }
        }
    }
    if problems.is_empty() {
        Ok(answers)
    } else {
        Err(Error::Input(problems))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_types_and_positions() {
        let e = read_events("e.csv", b"id,type,date,x,y\n1,shooting,2026-01-01,600000,6600000\n2,narcotics,,600100,6600100\n3,shooting,,600200,6600200\n", Epsg(3006), Epsg(3006)).unwrap();
        assert_eq!(e.type_names, ["narcotics", "shooting"]);
        assert_eq!(e.types, [1, 0, 1]);
        let s = e.select("e.csv", &["shooting".into()]).unwrap();
        assert_eq!(
            s.positions,
            [(600_000.0, 6_600_000.0), (600_200.0, 6_600_200.0)]
        );
        assert_eq!(s.types, [0, 0]);
        assert!(e
            .select("e.csv", &["arson".into()])
            .unwrap_err()
            .message
            .contains("the file has narcotics, shooting"));
        let Err(Error::Input(p)) = read_events(
            "e.csv",
            b"type,lon,lat\n,16.6,59.5\nshooting,600000,6600000\n",
            Epsg(3006),
            Epsg(3006),
        ) else {
            panic!()
        };
        assert!(p[0]
            .to_string()
            .starts_with("e.csv, line 2, column 1 (type)"));
        assert!(p[1]
            .to_string()
            .starts_with("e.csv, line 3, column 2 (lon): lon = 600000"));
    }

    #[test]
    fn answers_are_checked() {
        let ok = read_answers("a.csv", b"area,year,question,domain,score,uncertainty\nN,2026,1,living_environment,4,2\nN,2026,2,social_development,5,\n").unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[1].domain, Domain::SocialDevelopment);
        let Err(Error::Input(p)) = read_answers(
            "a.csv",
            b"area,year,question,domain,score,uncertainty\nN,2026,1,living_environment,6,2\nN,2026,2,schools,3,1\nN,2026,3,societal_systems,2.5,1\nN,2026,4,societal_systems,3,0\nN,2026,4,societal_systems,3,1\n",
        ) else {
            panic!()
        };
        let p: Vec<String> = p.iter().map(ToString::to_string).collect();
        assert!(
            p[0].starts_with(
                "a.csv, line 2, column 5 (score): expected a score, an integer 1–5, found \"6\""
            ),
            "{p:?}"
        );
        assert!(
            p[1].starts_with("a.csv, line 3, column 4 (domain): expected living_environment"),
            "{p:?}"
        );
        assert!(p[2].starts_with("a.csv, line 4, column 5 (score)"), "{p:?}");
        assert!(
            p[3].starts_with("a.csv, line 5, column 6 (uncertainty)"),
            "{p:?}"
        );
        assert!(p[4].starts_with("a.csv, line 6, column 3 (question): \"N\" answered question \"4\" of 2026 already on line 5"), "{p:?}");
    }
}
