//! Reading grid statistics (SPEC §3.1): one row per cell, located by a cell id
//! or by the `x,y` lower-left corner, with population and the eight variables.

use crate::config::Config;
use crate::crs::{area_of_use, Extent};
use crate::csv_table::CsvTable;
use crate::layers::StudyGrid;
use crate::{Error, Problem};
use rayon::prelude::*;
use stratmap_core::Epsg;
use stratmap_core::{CellId, GridSpec, IdStyle};
use stratmap_core::{GridCell, Group, Unit, Variable};

/// Largest |x| or |y| accepted, metres: ten times the Earth's circumference.
const MAX_COORDINATE: f64 = 4.0e8;

/// Default cell size of the Statistics Sweden grid, metres.
pub const DEFAULT_CELL_SIZE: u32 = 250;

/// The grid statistics of one file, sorted by cell id.
#[derive(Debug, Clone)]
pub struct GridTable {
    /// The grid the cells lie on: CRS and cell size.
    pub spec: GridSpec,
    /// The id style of the input, used for output ids.
    pub style: IdStyle,
    /// Lower-left corners, in the same order as `stats`.
    pub cells: Vec<(i64, i64)>,
    /// Each cell's statistics, in the order of `cells`.
    pub stats: Vec<GridCell>,
    /// Whether the file has a population column.
    pub has_population: bool,
    /// Whether the file has each variable's column, by [`Variable::position`].
    pub has_variable: [bool; 8],
}

impl GridTable {
    /// The id of cell `i`, in the input's style.
    pub fn id(&self, i: usize) -> String {
        let (x, y) = self.cells[i];
        self.spec.format_id(&self.style, x, y)
    }

    /// Problems that stop the living-conditions index: no population column,
    /// or a group with none of its columns.
    pub fn index_problems(&self, file: &str, config: &Config) -> Vec<Problem> {
        let mut p = Vec::new();
        if !self.has_population {
            let (name, _) = config.column("population");
            p.push(
                Problem::file(
                    file,
                    format!("no column {name:?}: the index needs the population of each cell"),
                )
                .at_line(1),
            );
        }
        for g in Group::ALL {
            let vars: Vec<Variable> = Variable::ALL
                .into_iter()
                .filter(|v| v.group() == g)
                .collect();
            if !vars.iter().any(|v| self.has_variable[v.position()]) {
                let names: Vec<String> = vars.iter().map(|v| config.column(v.name()).0).collect();
                p.push(
                    Problem::file(
                        file,
                        format!(
                            "no column of the {} group: expected at least one of {}",
                            g.weight_key(),
                            names.join(", ")
                        ),
                    )
                    .at_line(1),
                );
            }
        }
        p
    }

    /// Problems that stop youth groups: neither age column.
    pub fn youth_problems(&self, file: &str, config: &Config) -> Vec<Problem> {
        if self.has_variable[Variable::Age0To15.position()]
            || self.has_variable[Variable::Age16To19.position()]
        {
            return Vec::new();
        }
        let (a, b) = (config.column("age_0_15").0, config.column("age_16_19").0);
        vec![Problem::file(
            file,
            format!("no column {a:?} or {b:?}: youth groups need the number of children and youth"),
        )
        .at_line(1)]
    }
}

enum Location {
    Id(usize),
    Xy(usize, usize),
}

/// What one piece of a grid file gave: the cells of its rows without a
/// problem, every cell on the grid with its line (to find cells on two
/// rows), and its problems (any problem refuses the file).
#[derive(Default)]
struct Piece {
    cells: Vec<(i64, i64)>,
    stats: Vec<GridCell>,
    placed: Vec<((i64, i64), u64)>,
    problems: Vec<Problem>,
}

/// What every row is checked against: the columns, the grid and the first
/// cell id (which sets the grid when ids are read).
struct Rows<'a> {
    /// Whether each cell's statistics are kept (they are checked anyway).
    keep_stats: bool,
    location: Location,
    pop_col: Option<usize>,
    var_cols: Vec<(Variable, usize, bool)>,
    spec: GridSpec,
    style: Option<IdStyle>,
    /// The first id's line, and its CRS and cell size as it names them.
    first: Option<(u64, (Epsg, Option<u32>))>,
    cfg_epsg: Option<Epsg>,
    cfg_size: Option<u32>,
    extent: Option<&'a Extent>,
}

/// Reads a grid statistics CSV. Every problem in the file is collected and
/// returned together; nothing is returned when there is one. The rows are
/// read and checked in parallel pieces (see `CsvTable::read_body`); the
/// result and the problems do not depend on the pieces.
pub fn read_grid(file: &str, data: &[u8], config: &Config) -> Result<GridTable, Error> {
    read_table(file, data, config, true)
}

/// The cells of a grid statistics CSV as a study grid, for the commands
/// that use the grid's cells but not its statistics (hot spots, emerging
/// hot spots). Every row is checked as [`read_grid`] checks it, with the
/// same problems; the statistics are not kept.
pub fn read_grid_cells(file: &str, data: &[u8], config: &Config) -> Result<StudyGrid, Error> {
    let t = read_table(file, data, config, false)?;
    Ok(StudyGrid {
        spec: t.spec,
        style: t.style,
        cells: t.cells,
    })
}

/// [`read_grid`], keeping the statistics or (`keep_stats` false) leaving
/// `stats` empty.
fn read_table(
    file: &str,
    data: &[u8],
    config: &Config,
    keep_stats: bool,
) -> Result<GridTable, Error> {
    let table = CsvTable::head(file, data)?;
    if !table.has_rows(data) {
        return Err(Problem::file(
            file,
            "the file has a header but no rows: expected one row per cell",
        )
        .at_line(1)
        .into());
    }
    let col = |logical: &str| table.find(&config.column(logical).0);
    // A column the config names explicitly must be there: leaving the
    // variable out would change the index without a word.
    for (logical, spec) in &config.index.columns {
        let named = match spec {
            crate::config::ColumnSpec::Name(n) => Some(n),
            crate::config::ColumnSpec::Full(d) => d.name.as_ref(),
        };
        if let Some(name) = named {
            if table.find(name).is_none() {
                return Err(Problem::file(
                    file,
                    format!(
                        "the config's [index] columns.{logical} names the column {name:?}, which this file does not have: expected a column {name:?} (or remove the mapping)"
                    ),
                )
                .at_line(1)
                .into());
            }
        }
    }

    let location = match (col("cell_id"), col("x"), col("y")) {
        (Some(c), _, _) => Location::Id(c),
        (None, Some(x), Some(y)) => Location::Xy(x, y),
        _ => {
            let names = ["cell_id", "x", "y"].map(|c| config.column(c).0);
            return Err(Problem::file(
                file,
                format!(
                    "no location column: expected {:?} (a cell id) or {:?} and {:?} (lower-left corner in metres); {}",
                    names[0],
                    names[1],
                    names[2],
                    table.header_for_message()
                ),
            )
            .at_line(1)
            .into());
        }
    };
    let pop_col = col("population");
    let var_cols: Vec<(Variable, usize, bool)> = Variable::ALL
        .iter()
        .filter_map(|v| {
            let (_, percent) = config.column(v.name());
            col(v.name()).map(|c| (*v, c, percent))
        })
        .collect();

    let cfg_epsg = config
        .grid_epsg()
        .map_err(|m| Problem::file(file, m.to_string()))?;
    let cfg_size = config.grid.cell_size;
    let mut spec = config
        .working_spec()
        .map_err(|m| Problem::file(file, m.to_string()))?;
    let (mut style, mut first) = (None, None);
    // The first id that can be read sets the grid (a later id of another
    // kind is a problem of its own line).
    if let Location::Id(c) = location {
        let found = table.find_first(data, |rec| {
            (rec.len() == table.headers.len())
                .then(|| rec.get(c).unwrap_or("").parse::<CellId>().ok())
                .flatten()
        });
        if let Some((line, id)) = found {
            let refused = |why: String| table.problem(line, c, why);
            match crate::crs::is_metric(id.epsg) {
                None => {
                    return Err(refused(format!(
                        "the cell id names EPSG:{}: {}",
                        id.epsg,
                        crate::crs::UNKNOWN_CRS
                    ))
                    .into())
                }
                Some(false) => {
                    return Err(refused(format!(
                        "the cell id names EPSG:{}, which is not a projected CRS in metres: expected a grid in metres such as EPSG:3006 or EPSG:3035",
                        id.epsg
                    ))
                    .into())
                }
                Some(true) => {}
            }
            spec.epsg = id.epsg;
            spec.cell_size = id.cell_size.or(cfg_size).unwrap_or(DEFAULT_CELL_SIZE);
            first = Some((line, (id.epsg, id.cell_size)));
            style = Some(id.style);
        }
    }
    let extent = area_of_use(spec.epsg);
    let rows = Rows {
        keep_stats,
        location,
        pop_col,
        var_cols,
        spec,
        style,
        first,
        cfg_epsg,
        cfg_size,
        extent: extent.as_ref(),
    };
    let (pieces, mut problems) =
        table.read_body(data, Piece::default, |table, piece, line, rec| {
            rows.check(table, piece, line, rec)
        });
    let Rows {
        location,
        spec,
        style,
        var_cols,
        ..
    } = rows;
    let style = style.unwrap_or(spec.default_style());

    // the pieces' cells in file order, and their rows on the grid by cell
    let mut cells = Vec::new();
    let mut stats = Vec::new();
    let mut placed = Vec::new();
    for mut p in pieces {
        placed.append(&mut p.placed);
        cells.append(&mut p.cells);
        stats.append(&mut p.stats);
        problems.append(&mut p.problems);
    }
    // A cell on two rows: the later rows are problems, named by the first.
    placed.par_sort_unstable();
    let column = match location {
        Location::Id(c) | Location::Xy(c, _) => c,
    };
    for same in placed.chunk_by(|a, b| a.0 == b.0) {
        let first_line = same[0].1;
        for &((x, y), line) in &same[1..] {
            let id = spec.format_id(&style, x, y);
            problems.push(table.problem(
                line,
                column,
                format!("duplicate cell {id}: the same cell is on line {first_line}"),
            ));
        }
    }
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.line);
        return Err(Error::Input(problems));
    }
    let mut has_variable = [false; 8];
    for (v, _, _) in &var_cols {
        has_variable[v.position()] = true;
    }
    // Sort by cell id so that output does not depend on input order.
    let order = spec.id_order(&style, &cells);
    // files usually come sorted: then the cells stay where they are
    if order.iter().enumerate().any(|(k, &i)| k != i) {
        cells = order.iter().map(|&i| cells[i]).collect();
        if keep_stats {
            stats = order.iter().map(|&i| stats[i]).collect();
        }
    }
    Ok(GridTable {
        spec,
        style,
        cells,
        stats,
        has_population: pop_col.is_some(),
        has_variable,
    })
}

impl Rows<'_> {
    /// Checks one row: its cell and statistics into `piece`, or its problems.
    fn check(&self, table: &CsvTable, piece: &mut Piece, line: u64, rec: &csv::StringRecord) {
        let spec = &self.spec;
        let problems_before = piece.problems.len();
        let problems = &mut piece.problems;

        // Where the cell is.
        let corner = match self.location {
            Location::Id(c) => match rec.get(c).unwrap_or("").parse::<CellId>() {
                Err(e) => {
                    problems.push(table.problem(line, c, e.to_string()));
                    None
                }
                Ok(id) => {
                    let named = (id.epsg, id.cell_size);
                    match self.first {
                        Some((first_line, _)) if first_line == line => {
                            if let Some(msg) =
                                id_conflicts_config(&id, self.cfg_epsg, self.cfg_size)
                            {
                                problems.push(table.problem(line, c, msg));
                            }
                        }
                        Some((_, first))
                            if first != named || self.style.as_ref() != Some(&id.style) =>
                        {
                            problems.push(table.problem(
                                line,
                                c,
                                format!(
                                    "cell id {:?} is of another kind than the file's first id: expected every id to name EPSG:{} and the same cell size and style",
                                    rec.get(c).unwrap_or(""),
                                    spec.epsg
                                ),
                            ));
                        }
                        _ => {}
                    }
                    Some((id.x, id.y, c))
                }
            },
            Location::Xy(cx, cy) => {
                let x = table.number(line, rec, cx);
                let y = table.number(line, rec, cy);
                match (x, y) {
                    (Ok(Some(x)), Ok(Some(y))) => {
                        if x.abs() <= 180.0 && y.abs() <= 90.0 {
                            problems.push(table.problem(
                                line,
                                cx,
                                format!(
                                    "x = {x}, y = {y} look like longitude/latitude in degrees: expected metres in EPSG:{} (the lower-left corner of the cell)",
                                    spec.epsg
                                ),
                            ));
                            None
                        } else if x.abs() > MAX_COORDINATE || y.abs() > MAX_COORDINATE {
                            problems.push(table.problem(line, cx, format!("x = {x}, y = {y}: expected coordinates in metres, within ±{MAX_COORDINATE:e}")));
                            None
                        } else if x.fract() != 0.0 || y.fract() != 0.0 {
                            problems.push(table.problem(line, cx, format!("x = {x}, y = {y} is not a corner of the {} m grid: expected whole metres, multiples of {}", spec.cell_size, spec.cell_size)));
                            None
                        } else {
                            Some((x as i64, y as i64, cx))
                        }
                    }
                    (x, y) => {
                        for (r, c) in [(x, cx), (y, cy)] {
                            match r {
                                Err(p) => problems.push(p),
                                Ok(None) => problems.push(table.problem(
                                    line,
                                    c,
                                    "expected a coordinate in metres, found an empty field",
                                )),
                                Ok(Some(_)) => {}
                            }
                        }
                        None
                    }
                }
            }
        };

        // The statistics.
        let mut cell = GridCell::default();
        if let Some(c) = self.pop_col {
            match table.number(line, rec, c) {
                Ok(Some(v)) if v < 0.0 => problems.push(table.problem(
                    line,
                    c,
                    format!("expected a count of residents ≥ 0, found {v}"),
                )),
                Ok(v) => cell.population = v,
                Err(p) => problems.push(p),
            }
        }
        for &(v, c, percent) in &self.var_cols {
            match table.number(line, rec, c) {
                Ok(Some(x)) => match check_value(v, x, percent) {
                    Ok(x) => cell.values[v.position()] = Some(x),
                    Err(m) => problems.push(table.problem(line, c, m)),
                },
                Ok(None) => {}
                Err(p) => problems.push(p),
            }
        }

        let Some((x, y, cx)) = corner else {
            return;
        };
        if !spec.is_aligned(x, y) {
            problems.push(table.problem(
                line,
                cx,
                format!(
                    "cell at x = {x}, y = {y} is off the grid: expected a lower-left corner at a multiple of {} m",
                    spec.cell_size
                ),
            ));
            return;
        }
        if let Some(e) = self.extent {
            if !e.contains(x as f64, y as f64) {
                problems.push(table.problem(
                    line,
                    cx,
                    format!(
                        "cell at x = {x}, y = {y} lies outside the area of use of EPSG:{} ({}): expected x between {:.0} and {:.0} and y between {:.0} and {:.0}; are x and y swapped, or is the data in another CRS?",
                        spec.epsg, e.name, e.xmin, e.xmax, e.ymin, e.ymax
                    ),
                ));
                return;
            }
        }
        if piece.problems.len() == problems_before {
            piece.cells.push((x, y));
            if self.keep_stats {
                piece.stats.push(cell);
            }
        }
        piece.placed.push(((x, y), line));
    }
}

/// A message when the CRS or cell size an id names disagrees with `[grid]`.
fn id_conflicts_config(
    id: &CellId,
    cfg_epsg: Option<Epsg>,
    cfg_size: Option<u32>,
) -> Option<String> {
    if let Some(e) = cfg_epsg.filter(|e| *e != id.epsg) {
        return Some(format!(
            "the cell id names EPSG:{} but the config's [grid] crs is EPSG:{e}",
            id.epsg
        ));
    }
    match (id.cell_size, cfg_size) {
        (Some(a), Some(b)) if a != b => Some(format!(
            "the cell id names {a} m cells but the config's [grid] cell_size is {b}"
        )),
        _ => None,
    }
}

/// Checks a variable's value against its unit and rescales percentages.
fn check_value(v: Variable, x: f64, percent: bool) -> Result<f64, String> {
    match v.unit() {
        Unit::Share if percent => {
            if (0.0..=100.0).contains(&x) {
                Ok(x / 100.0)
            } else {
                Err(format!("expected a percentage between 0 and 100 (the config sets percent = true), found {x}"))
            }
        }
        Unit::Share => {
            if (0.0..=1.0).contains(&x) {
                Ok(x)
            } else {
                let hint = if (0.0..=100.0).contains(&x) {
                    format!(
                        "; if this column is in percent, set columns.{} = {{ percent = true }} in the config's [index] section",
                        v.name()
                    )
                } else {
                    String::new()
                };
                Err(format!("expected a share between 0 and 1, found {x}{hint}"))
            }
        }
        Unit::Count if x < 0.0 => Err(format!("expected a count ≥ 0, found {x}")),
        Unit::Money if x < 0.0 => Err(format!("expected an amount ≥ 0 (SEK per year), found {x}")),
        _ => Ok(x),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "cell_id,population,income,low_education,employment_rate,foreign_background,overcrowding,single_parents,age_0_15,age_16_19";

    fn read(body: &str) -> Result<GridTable, Error> {
        read_grid(
            "grid.csv",
            format!("{HEADER}\n{body}").as_bytes(),
            &Config::default(),
        )
    }

    fn problems(r: Result<GridTable, Error>) -> Vec<Problem> {
        match r {
            Err(Error::Input(p)) => p,
            other => panic!("expected input problems, got {other:?}"),
        }
    }

    #[test]
    fn reads_and_sorts_by_id() {
        let g = read(
            "6740006580250,120,250000,0.1,0.8,0.3,0.05,0.1,20,8\n\
             6740006580000,30,,0.2,,,,,5,\n",
        )
        .unwrap();
        assert_eq!(g.spec, GridSpec::scb(250));
        assert_eq!(g.cells, vec![(674_000, 6_580_000), (674_000, 6_580_250)]);
        assert_eq!(g.id(0), "6740006580000");
        assert_eq!(g.stats[0].population, Some(30.0));
        assert_eq!(g.stats[0].get(Variable::Income), None);
        assert_eq!(g.stats[1].get(Variable::Age16To19), Some(8.0));
        assert!(g.has_population && g.has_variable.iter().all(|b| *b));
    }

    #[test]
    fn every_problem_is_named_with_line_and_column() {
        let p = problems(read(
            "6740006580000,120,250000,37.5,0.8,0.3,0.05,0.1,20,8\n\
             6740006580250,-4,250000,0.1,0.8,0.3,0.05,0.1,20,8\n\
             6740006580000,120,250000,0.1,0.8,0.3,0.05,0.1,20,8\n\
             6740106580500,120,250000,0.1,0.8,0.3,0.05,0.1,20,8\n\
             6740006580750,120,abc,0.1,0.8,0.3,0.05,0.1,20,-1\n\
             674000658,120,250000,0.1,0.8,0.3,0.05,0.1,20,8\n",
        ));
        let text: Vec<String> = p.iter().map(Problem::to_string).collect();
        let want = [
            "grid.csv, line 2, column 4 (low_education): expected a share between 0 and 1, found 37.5; if this column is in percent, set columns.low_education = { percent = true }",
            "grid.csv, line 3, column 2 (population): expected a count of residents ≥ 0, found -4",
            "grid.csv, line 4, column 1 (cell_id): duplicate cell 6740006580000: the same cell is on line 2",
            "grid.csv, line 5, column 1 (cell_id): cell at x = 674010, y = 6580500 is off the grid",
            "grid.csv, line 6, column 3 (income): expected a number, or an empty field for a missing value, found \"abc\"",
            "grid.csv, line 6, column 10 (age_16_19): expected a count ≥ 0, found -1",
            "grid.csv, line 7, column 1 (cell_id): expected a 13-digit Statistics Sweden cell id",
        ];
        assert_eq!(text.len(), want.len(), "{text:#?}");
        for (t, w) in text.iter().zip(want) {
            assert!(t.starts_with(w), "{t}\n  does not start with\n{w}");
        }
    }

    #[test]
    fn xy_columns_semicolons_and_degrees() {
        let ok = read_grid(
            "g.csv",
            b"x;y;population;age_0_15\n674000;6580000;40;25\n",
            &Config::default(),
        )
        .unwrap();
        assert_eq!(ok.cells, vec![(674_000, 6_580_000)]);
        assert_eq!(ok.style, IdStyle::Scb);
        assert!(!ok.has_variable[0]);

        let p = problems(read_grid(
            "g.csv",
            b"x,y,population\n18.07,59.33,40\n",
            &Config::default(),
        ));
        assert_eq!(p.len(), 1);
        assert!(p[0].to_string().starts_with("g.csv, line 2, column 1 (x): x = 18.07, y = 59.33 look like longitude/latitude in degrees: expected metres in EPSG:3006"), "{}", p[0]);
    }

    #[test]
    fn percent_columns_and_renames() {
        let cfg = Config::parse(
            "c.toml",
            "[index]\ncolumns.low_education = { name = \"andel_forgymn\", percent = true }\ncolumns.population = \"folkmangd\"\n",
        )
        .unwrap();
        let g = read_grid(
            "g.csv",
            b"cell_id,folkmangd,andel_forgymn\n6740006580000,40,37.5\n",
            &cfg,
        )
        .unwrap();
        assert_eq!(g.stats[0].get(Variable::LowEducation), Some(0.375));
        assert_eq!(g.stats[0].population, Some(40.0));
        let p = problems(read_grid(
            "g.csv",
            b"cell_id,folkmangd,andel_forgymn\n6740006580000,40,137.5\n",
            &cfg,
        ));
        assert!(
            p[0].message.contains("percentage between 0 and 100"),
            "{}",
            p[0]
        );
    }

    #[test]
    fn inspire_ids_set_crs_and_size() {
        let g = read_grid(
            "g.csv",
            b"cell_id,population\nCRS3035RES1000mN2684000E4334000,10\nCRS3035RES1000mN2685000E4334000,10\n",
            &Config::default(),
        )
        .unwrap();
        assert_eq!(
            g.spec,
            GridSpec {
                epsg: Epsg(3035),
                cell_size: 1000
            }
        );
        assert_eq!(g.id(1), "CRS3035RES1000mN2685000E4334000");
        let p = problems(read_grid(
            "g.csv",
            b"cell_id,population\nCRS3035RES1000mN2684000E4334000,10\nCRS3035RES250mN2685000E4334000,10\n",
            &Config::default(),
        ));
        assert_eq!(p[0].line, Some(3));
        let cfg = Config::parse("c.toml", "[grid]\ncell_size = 500\n").unwrap();
        let p = problems(read_grid(
            "g.csv",
            b"cell_id,population\nCRS3035RES1000mN2684000E4334000,10\n",
            &cfg,
        ));
        assert!(p[0].message.contains("cell_size is 500"), "{}", p[0]);
    }

    #[test]
    fn swapped_axes_and_foreign_crs() {
        let p = problems(read_grid(
            "g.csv",
            b"x,y,population\n6580000,674000,40\n",
            &Config::default(),
        ));
        assert!(p[0].to_string().starts_with("g.csv, line 2, column 1 (x): cell at x = 6580000, y = 674000 lies outside the area of use of EPSG:3006 (Sweden"), "{}", p[0]);
        assert!(p[0].message.contains("are x and y swapped"), "{}", p[0]);
        // A grid in another CRS is fine when the config names it.
        let cfg =
            Config::parse("c.toml", "[grid]\ncrs = \"EPSG:3035\"\ncell_size = 1000\n").unwrap();
        let g = read_grid("g.csv", b"x,y,population\n4334000,2684000,40\n", &cfg).unwrap();
        assert_eq!(g.id(0), "CRS3035RES1000mN2684000E4334000");
    }

    proptest::proptest! {
        /// Whatever the bytes, reading gives a table or located problems, never a panic.
        #[test]
        fn any_bytes_are_read_or_refused(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let _ = read_grid("g.csv", &bytes, &Config::default());
        }

        #[test]
        fn any_rows_are_read_or_refused(body in "[0-9CRSNEm.,;\\-\n\" ]{0,400}") {
            let data = format!("{HEADER}\n{body}");
            match read_grid("g.csv", data.as_bytes(), &Config::default()) {
                Ok(g) => proptest::prop_assert_eq!(g.cells.len(), g.stats.len()),
                Err(Error::Input(p)) => proptest::prop_assert!(p.iter().all(|p| p.line.is_some())),
                Err(e) => proptest::prop_assert!(false, "unexpected error {}", e),
            }
        }

        #[test]
        fn any_xy_rows_are_read_or_refused(x in proptest::prelude::any::<f64>(), y in proptest::prelude::any::<f64>()) {
            let data = format!("x,y,population\n{x},{y},40\n");
            let _ = read_grid("g.csv", data.as_bytes(), &Config::default());
        }
    }

    proptest::proptest! {
        // each read looks the grid's CRS up in PROJ's database
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
        /// The cells alone are those of the whole table, in its order, and
        /// a file is refused with the same problems.
        #[test]
        fn cells_alone_are_read_and_refused_as_the_table(body in "[0-9CRSNEm.,;\\-\n\" ]{0,400}", order in proptest::collection::vec(0u8..12, 0..12)) {
            // rows of cells in any order, then the random rows
            let rows: Vec<String> = order.iter().map(|&k| format!("{}{},30,250000,0.1,0.8,0.3,0.05,0.1,20,8", 394_000 + 250 * i64::from(k % 3), 6_133_000 + 250 * i64::from(k / 3))).collect();
            for data in [format!("{HEADER}\n{}", rows.join("\n")), format!("{HEADER}\n{body}")] {
                let cfg = Config::default();
                match (read_grid("g.csv", data.as_bytes(), &cfg), read_grid_cells("g.csv", data.as_bytes(), &cfg)) {
                    (Ok(t), Ok(c)) => {
                        proptest::prop_assert_eq!((t.spec, &t.style, &t.cells), (c.spec, &c.style, &c.cells));
                        proptest::prop_assert!(t.cells.windows(2).all(|w| t.spec.format_id(&t.style, w[0].0, w[0].1) < t.spec.format_id(&t.style, w[1].0, w[1].1)));
                    }
                    (Err(Error::Input(a)), Err(Error::Input(b))) => proptest::prop_assert_eq!(a, b),
                    (a, b) => proptest::prop_assert!(false, "{:?} against {:?}", a.map(|t| t.cells), b.map(|c| c.cells)),
                }
            }
        }
    }

    /// A file of several read pieces (over 1 MiB): problems in different
    /// pieces, a cell on rows of two pieces, named in line order as one
    /// read would; the valid file reads the same cells in any row order.
    #[test]
    fn problems_across_pieces_are_named_as_in_one_read() {
        let rows: Vec<String> = (0..40_000)
            .map(|i| {
                let (x, y) = (500_000 + (i % 200) * 250, 6_500_000 + (i / 200) * 250);
                format!("{x}{y},{},250000,0.1,0.8,0.3,0.05,0.1,20,8", 10 + i % 7)
            })
            .collect();
        let body = rows.join("\n");
        assert!(
            body.len() > 1 << 20,
            "{} bytes: not several pieces",
            body.len()
        );
        let whole = read(&body).unwrap();
        assert_eq!(whole.cells.len(), 40_000);
        let mut reversed = rows.clone();
        reversed.reverse();
        let other = read(&reversed.join("\n")).unwrap();
        assert_eq!((&other.cells, &other.stats), (&whole.cells, &whole.stats));

        let mut bad = rows.clone();
        bad[0] = "not-an-id,1,2,0.1,0.8,0.3,0.05,0.1,20,8".into(); // line 2
        bad[20_000] = bad[20_000].replace(",0.1,0.8,", ",7,0.8,"); // line 20 002
        bad[30_000] = "5000006500000,1".into(); // line 30 002: too few fields
        bad[39_999] = rows[1].clone(); // line 40 001: the cell of line 3
        let text: Vec<String> = problems(read(&bad.join("\n")))
            .iter()
            .map(Problem::to_string)
            .collect();
        let want = [
            "grid.csv, line 2, column 1 (cell_id): expected a 13-digit",
            "grid.csv, line 20002, column 4 (low_education): expected a share between 0 and 1, found 7",
            "grid.csv, line 30002:",
            &format!("grid.csv, line 40001, column 1 (cell_id): duplicate cell {}: the same cell is on line 3", &rows[1][..13]),
        ];
        assert_eq!(text.len(), want.len(), "{text:#?}");
        for (t, w) in text.iter().zip(want) {
            assert!(t.starts_with(w), "{t}\n  does not start with\n{w}");
        }
    }

    #[test]
    fn missing_location_columns() {
        let p = problems(read_grid(
            "g.csv",
            b"population,income\n1,2\n",
            &Config::default(),
        ));
        assert!(
            p[0].to_string()
                .starts_with("g.csv, line 1: no location column"),
            "{}",
            p[0]
        );
    }
}
