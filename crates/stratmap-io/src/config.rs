//! The TOML config of SPEC §6.1. Every section is optional; unknown keys are
//! errors, so a misspelt setting is caught rather than silently ignored.

use crate::grid_csv::DEFAULT_CELL_SIZE;
use crate::{Error, Problem};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use stratmap_core::Epsg;
use stratmap_core::GridSpec;
use stratmap_core::YouthParams;
use stratmap_core::{CandidateError, CandidateParams, Contiguity};
use stratmap_core::{ClassMethod, Group, IndexParams, IndexParamsError, Unit, Variable};
use stratmap_core::{LisaError, LisaMethod};

/// Why `[candidates]` was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CandidateParamsError {
    /// A number out of range.
    #[error(transparent)]
    Number(#[from] CandidateError),
    /// Neither `queen` nor `rook`.
    #[error("contiguity {0:?}: expected \"queen\" (the eight cells around) or \"rook\" (the four sharing an edge)")]
    Contiguity(String),
}

/// Why `[index]` was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IndexConfigError {
    /// A number out of range, or no positive weight.
    #[error("[index] {0}")]
    Params(#[from] IndexParamsError),
    /// A weight of a group that is not econ, segregation or family.
    #[error("[index] weights.{0}: unknown group; expected econ, segregation or family")]
    UnknownGroup(String),
    /// Neither `quantile` nor `sd`.
    #[error("[index] classes: expected \"quantile\" or \"sd\", found {0:?}")]
    Classes(String),
}

/// A config file (SPEC §6.1), section by section; a section left out takes
/// its defaults.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `[inputs]`: the input files.
    #[serde(default)]
    pub inputs: Inputs,
    /// `[output]`: where and in which formats `stratmap run` writes.
    #[serde(default)]
    pub output: OutputConfig,
    /// `[grid]`: the working CRS and cell size.
    #[serde(default)]
    pub grid: GridConfig,
    /// `[index]`: the living-conditions index.
    #[serde(default)]
    pub index: IndexConfig,
    /// `[youth]`: youth groups.
    #[serde(default)]
    pub youth: YouthConfig,
    /// `[footprint]`: the daily footprint.
    #[serde(default)]
    pub footprint: FootprintConfig,
    /// `[hotspots]`: Gi* hot spots.
    #[serde(default)]
    pub hotspots: HotspotsConfig,
    /// `[indicators]`: indicators by area category.
    #[serde(default)]
    pub indicators: IndicatorsConfig,
    /// `[candidates]`: candidate areas from the worst-class cells.
    #[serde(default)]
    pub candidates: CandidatesConfig,
    /// `[lisa]`: local Moran's I.
    #[serde(default)]
    pub lisa: LisaConfig,
    /// `[areas]`: the field names and layer of the areas file.
    #[serde(default)]
    pub areas: AreasConfig,
    /// `[change]`: a second edition of the grid to compare with.
    #[serde(default)]
    pub change: ChangeConfig,
    /// `[emerging]`: emerging hot spots over periods.
    #[serde(default)]
    pub emerging: EmergingConfig,
}

/// `[areas]`: where in the areas file the names and categories are.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AreasConfig {
    /// The field with each area's name (default `name`).
    pub name: Option<String>,
    /// The field with each area's category (default `category`).
    pub category: Option<String>,
    /// The layer of a GeoPackage with several (`--areas-layer` overrides).
    pub layer: Option<String>,
}

/// `[change]`: the earlier edition of the grid statistics and the reference
/// both editions are standardised against.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeConfig {
    /// The earlier edition (relative to the config), for `stratmap run`.
    pub before: Option<PathBuf>,
    /// `"before"` (default: the earlier edition's means, sds and breaks) or `"pooled"`.
    pub reference: Option<String>,
}

/// `[emerging]`: emerging hot spots.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmergingConfig {
    /// `year`, `quarter` or `month`; `stratmap run` makes the layer when set.
    pub by: Option<String>,
    /// Distance band, metres (default 500).
    pub band: Option<f64>,
    /// Previous periods in a bin's neighbourhood (default 1).
    pub time_window: Option<i64>,
    /// Benjamini–Hochberg correction over the cube (default off).
    pub fdr: Option<bool>,
}

/// Input files, relative to the config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inputs {
    /// Grid statistics, CSV (SPEC §3.1).
    pub grid: Option<PathBuf>,
    /// Police areas: GeoJSON, GeoPackage or Shapefile.
    pub areas: Option<PathBuf>,
    /// Towers, CSV (SPEC §3.3).
    pub towers: Option<PathBuf>,
    /// Connection records, CSV (SPEC §3.3).
    pub records: Option<PathBuf>,
    /// Point events, CSV (SPEC §3.4).
    pub events: Option<PathBuf>,
    /// Questionnaire answers, CSV (SPEC §3.5).
    pub answers: Option<PathBuf>,
    /// The encoding of the CSV inputs when not UTF-8, e.g. `"windows-1252"`
    /// (connection records are always read as UTF-8).
    pub encoding: Option<String>,
}

/// `[output]`: where `stratmap run` writes, and in which formats.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputConfig {
    /// Output directory, relative to the config; `--out` overrides it, and
    /// without either it is `out/` beside the config.
    pub dir: Option<PathBuf>,
    /// Formats to write (`geojson`, `csv`, `gpkg`, `tif`, `html`, `png`); all
    /// when unset.
    pub formats: Option<Vec<String>>,
    /// A tile URL (`https://…/{z}/{x}/{y}.png`) that `index.html` draws
    /// under the layers; unset (the default), the viewer fetches nothing.
    pub basemap: Option<String>,
}

/// `[grid]`: CRS and cell size. Unset values come from the cell ids, else the
/// defaults EPSG:3006 and 250 m.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GridConfig {
    /// The working CRS, `EPSG:<code>` or the bare code: projected, in metres.
    pub crs: Option<String>,
    /// Cell side, metres.
    pub cell_size: Option<u32>,
}

/// A column of the grid file: renamed (`"name"`), or renamed and/or
/// rescaled from percent (`{ name = "…", percent = true }`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(
    untagged,
    expecting = "a column name, or a table { name = \"…\", percent = true }"
)]
pub enum ColumnSpec {
    /// Renamed only: the column's header name.
    Name(String),
    /// Renamed, in percent, or both.
    Full(ColumnDetail),
}

/// The table form of a [`ColumnSpec`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnDetail {
    /// The column's header name; the logical name when unset.
    pub name: Option<String>,
    /// The column is in percent (0–100) and is divided by 100; shares only.
    #[serde(default)]
    pub percent: bool,
}

/// `[index]`: settings of the living-conditions index; unset ones take the
/// defaults of [`IndexParams`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexConfig {
    /// Cells with fewer residents get no index (default 20).
    pub min_population: Option<f64>,
    /// Group weights by key `econ`, `segregation` and `family`; a group not
    /// named keeps 1.
    pub weights: Option<BTreeMap<String, f64>>,
    /// `"quantile"` (the default) or `"sd"`.
    pub classes: Option<String>,
    /// Grid columns renamed or in percent, by logical name (one of [`GRID_COLUMNS`]).
    #[serde(default)]
    pub columns: BTreeMap<String, ColumnSpec>,
}

/// `[youth]`: youth-group thresholds; unset ones take the defaults of
/// [`YouthParams`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YouthConfig {
    /// Youth a cell needs to join a group (default 20).
    pub min_youth_cell: Option<f64>,
    /// Youth a group needs to be kept (default 50).
    pub min_youth_group: Option<f64>,
}

/// `[footprint]`: the daily footprint's settings; command-line flags override them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FootprintConfig {
    /// Disc radius, metres (default 500).
    pub radius: Option<f64>,
    /// IANA time zone of the calendar days (default `Europe/Stockholm`).
    pub tz: Option<String>,
    /// Areas touched by fewer distinct phones are blanked (default 3; 0 turns it off).
    pub min_phones: Option<u32>,
    /// The records come in time order: each local day is finished and
    /// freed as soon as a later day begins (default false; see
    /// `--sorted-by-time`).
    pub sorted_by_time: Option<bool>,
    /// How much memory the phone-days may take, e.g. `"2G"` (see
    /// [`parse_size`] and `--memory`); default: no limit.
    pub memory: Option<String>,
}

/// A size in bytes written as a number with an optional unit: `K`, `M`,
/// `G`, `T` (powers of 1024, with or without `B` or `iB`), e.g. `256M`,
/// `1.5G`, `1000000`.
///
/// ```
/// use stratmap_io::config::parse_size;
/// assert_eq!(parse_size("256M"), Ok(256 << 20));
/// assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
/// assert_eq!(parse_size("4096"), Ok(4096));
/// assert!(parse_size("2X").is_err() && parse_size("").is_err() && parse_size("-1G").is_err());
/// ```
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let power = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 1,
        "M" | "MB" | "MIB" => 2,
        "G" | "GB" | "GIB" => 3,
        "T" | "TB" | "TIB" => 4,
        _ => -1,
    };
    match (number.parse::<f64>(), power) {
        (Ok(n), p) if p >= 0 && n.is_finite() && n * 1024f64.powi(p) < u64::MAX as f64 => {
            Ok((n * 1024f64.powi(p)).round() as u64)
        }
        _ => Err(format!(
            "{s:?}: expected a size in bytes, such as 512M or 2G (K, M, G, T: powers of 1024)"
        )),
    }
}

/// `[hotspots]`: the Gi* settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HotspotsConfig {
    /// Distance band, metres (default 500).
    pub band: Option<f64>,
    /// Benjamini–Hochberg correction of the bins (default off).
    pub fdr: Option<bool>,
}

/// `[indicators]`: indicators by area category.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorsConfig {
    /// The total area the area shares are of, km²; by default the bounding box
    /// of the grid's cells.
    pub total_area_km2: Option<f64>,
    /// `year`, `quarter` or `month`: also count events by period.
    pub by: Option<String>,
}

/// `[candidates]`: the rule for a candidate area.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CandidatesConfig {
    /// The lowest class of a candidate's cells (default 5).
    pub min_class: Option<i64>,
    /// The fewest cells (default 4).
    pub min_cells: Option<i64>,
    /// The fewest residents (default 500).
    pub min_population: Option<f64>,
    /// `"queen"` (the eight cells around, default) or `"rook"` (the four sharing an edge).
    pub contiguity: Option<String>,
}

/// `[lisa]`: local Moran's I.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LisaConfig {
    /// `index` (default), `count` (events per cell) or a grid column.
    pub variable: Option<String>,
    /// Distance band between cell centres, metres (default 500).
    pub band: Option<f64>,
    /// Conditional permutations (default 999; 0: no p-values).
    pub permutations: Option<i64>,
    /// Seed of the permutations (default 1).
    pub seed: Option<i64>,
    /// Benjamini–Hochberg correction of the quadrants' significance (default off).
    pub fdr: Option<bool>,
    /// Whether the config has a `[lisa]` section: `stratmap run` computes
    /// local Moran's I only then (999 permutations a cell take a while on a
    /// national grid).
    #[serde(skip)]
    pub asked: bool,
}

/// What local Moran's I is computed on: the index, event counts, or a
/// grid column (by its logical name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LisaVariable {
    /// The living-conditions index (cells with an index).
    Index,
    /// Events per cell (needs events).
    Count,
    /// A column of the grid (cells where it has a value).
    Column(String),
}

impl LisaVariable {
    /// `index`, `count`, or a grid column of [`GRID_COLUMNS`] (not the cell
    /// id or position).
    pub fn parse(s: &str) -> Result<LisaVariable, UnknownLisaVariable> {
        match s {
            "index" => Ok(LisaVariable::Index),
            "count" => Ok(LisaVariable::Count),
            c if GRID_COLUMNS[3..].contains(&c) => Ok(LisaVariable::Column(c.to_string())),
            other => Err(UnknownLisaVariable(other.to_string())),
        }
    }

    /// As the setting writes it.
    pub fn name(&self) -> &str {
        match self {
            LisaVariable::Index => "index",
            LisaVariable::Count => "count",
            LisaVariable::Column(c) => c,
        }
    }
}

/// A local Moran's I variable that is none of index, count or a grid
/// column (the setting, as given: a config value, not a records field).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("variable {0:?}: expected index, count or a grid column ({columns})", columns = GRID_COLUMNS[3..].join(", "))]
pub struct UnknownLisaVariable(pub String);

/// A period length that is none of year, quarter or month (the setting,
/// as given).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("by = {0:?}: expected year, quarter or month")]
pub struct UnknownPeriod(pub String);

/// A period length: `year`, `quarter` or `month`.
pub fn parse_by(s: &str) -> Result<stratmap_core::By, UnknownPeriod> {
    stratmap_core::By::parse(s).ok_or_else(|| UnknownPeriod(s.to_string()))
}

/// The logical columns of a grid file that a config may rename.
pub const GRID_COLUMNS: [&str; 12] = [
    "cell_id",
    "x",
    "y",
    "population",
    "income",
    "low_education",
    "employment_rate",
    "foreign_background",
    "overcrowding",
    "single_parents",
    "age_0_15",
    "age_16_19",
];

impl Config {
    /// Parses and checks a config; `name` is the file name used in messages.
    pub fn parse(name: &str, text: &str) -> Result<Config, Error> {
        let syntax = |e: toml::de::Error| Problem::file(name, e.to_string().trim_end().to_string());
        // the numbers first, by key, before a type error can hide which
        let table: toml::Table = toml::from_str(text).map_err(syntax)?;
        check_numbers(name, &table)?;
        let mut config: Config = toml::from_str(text).map_err(syntax)?;
        config.lisa.asked = table.contains_key("lisa");
        config.check(name)?;
        Ok(config)
    }

    fn check(&self, name: &str) -> Result<(), Error> {
        let bad = |m: String| Error::Setting(Problem::file(name, m));
        for (key, spec) in &self.index.columns {
            if !GRID_COLUMNS.contains(&key.as_str()) {
                return Err(bad(format!(
                    "[index] columns.{key}: unknown column; expected one of {}",
                    GRID_COLUMNS.join(", ")
                )));
            }
            let is_share = Variable::ALL
                .iter()
                .any(|v| v.name() == key && v.unit() == Unit::Share);
            if matches!(spec, ColumnSpec::Full(ColumnDetail { percent: true, .. })) && !is_share {
                return Err(bad(format!(
                    "[index] columns.{key}: percent = true applies only to shares (low_education, employment_rate, foreign_background, overcrowding, single_parents)"
                )));
            }
        }
        self.index_params().map_err(|e| bad(e.to_string()))?;
        for (key, v) in [
            ("min_youth_cell", self.youth.min_youth_cell),
            ("min_youth_group", self.youth.min_youth_group),
        ] {
            if let Some(v) = v.filter(|v| !(*v >= 0.0 && v.is_finite())) {
                return Err(bad(format!(
                    "[youth] {key} = {}: expected a number ≥ 0",
                    toml_number(v)
                )));
            }
        }
        if let Some(crs) = &self.grid.crs {
            parse_working_epsg(crs).map_err(|m| bad(format!("[grid] crs = {crs:?}: {m}")))?;
        }
        self.candidate_params()
            .map_err(|e| bad(format!("[candidates] {e}")))?;
        self.lisa_method(None, None, None, false)
            .map_err(|e| bad(format!("[lisa] {e}")))?;
        if let Some(v) = &self.lisa.variable {
            LisaVariable::parse(v).map_err(|e| bad(format!("[lisa] {e}")))?;
        }
        for (section, by) in [
            ("indicators", &self.indicators.by),
            ("emerging", &self.emerging.by),
        ] {
            if let Some(b) = by {
                parse_by(b).map_err(|e| bad(format!("[{section}] {e}")))?;
            }
        }
        if let Some(e) = &self.inputs.encoding {
            if !crate::encoding::is_known(e) {
                return Err(bad(format!(
                    "[inputs] encoding = {e:?}: expected an encoding such as \"utf-8\" or \"windows-1252\""
                )));
            }
        }
        if let Some(r) = &self.change.reference {
            if !matches!(r.as_str(), "before" | "pooled") {
                return Err(bad(format!(
                    "[change] reference = {r:?}: expected \"before\" (the earlier edition) or \"pooled\" (both editions together)"
                )));
            }
        }
        if let Some(m) = &self.footprint.memory {
            parse_size(m).map_err(|e| bad(format!("[footprint] memory = {e}")))?;
        }
        if let Some(tz) = &self.footprint.tz {
            crate::connections::parse_tz(tz)
                .map_err(|m| bad(format!("[footprint] tz = {tz:?}: {m}")))?;
        }
        Ok(())
    }

    /// The header name of a logical grid column and whether it is in percent.
    pub fn column(&self, logical: &str) -> (String, bool) {
        match self.index.columns.get(logical) {
            Some(ColumnSpec::Name(n)) => (n.clone(), false),
            Some(ColumnSpec::Full(d)) => (
                d.name.clone().unwrap_or_else(|| logical.to_string()),
                d.percent,
            ),
            None => (logical.to_string(), false),
        }
    }

    /// The working grid: `[grid] crs` and `cell_size`, else EPSG:3006 and
    /// 250 m.
    pub fn working_spec(&self) -> Result<GridSpec, CrsError> {
        Ok(GridSpec {
            epsg: self.grid_epsg()?.unwrap_or(DEFAULT_EPSG),
            cell_size: self.grid.cell_size.unwrap_or(DEFAULT_CELL_SIZE),
        })
    }

    /// `[grid] crs` as an EPSG code, when set.
    pub fn grid_epsg(&self) -> Result<Option<Epsg>, CrsError> {
        self.grid.crs.as_deref().map(parse_working_epsg).transpose()
    }

    /// The index parameters: the defaults with `[index]`'s settings, or what is
    /// wrong with them.
    pub fn index_params(&self) -> Result<IndexParams, IndexConfigError> {
        let d = IndexParams::default();
        let ix = &self.index;
        let mut weights = d.weights();
        for (k, v) in ix.weights.iter().flatten() {
            let g = Group::ALL
                .iter()
                .position(|g| g.weight_key() == k)
                .ok_or_else(|| IndexConfigError::UnknownGroup(k.clone()))?;
            weights[g] = *v;
        }
        let classes = match ix.classes.as_deref() {
            None | Some("quantile") => Ok(ClassMethod::Quantile),
            Some("sd") => Ok(ClassMethod::StdDev),
            Some(other) => Err(IndexConfigError::Classes(other.to_string())),
        };
        let params = IndexParams::new(
            ix.min_population.unwrap_or(d.min_population()),
            weights,
            // the numbers are told before the classes
            *classes.as_ref().unwrap_or(&ClassMethod::Quantile),
        )?;
        debug_assert_eq!(Variable::ALL.len() + 4, GRID_COLUMNS.len());
        classes.map(|_| params)
    }

    /// How to read the areas file: `[areas]`'s field names and layer, the
    /// layer given on the command line over the config's.
    pub fn area_options(&self, layer: Option<&str>) -> crate::areas::AreaOptions {
        crate::areas::AreaOptions {
            name: self.areas.name.clone().unwrap_or_else(|| "name".into()),
            category: self
                .areas
                .category
                .clone()
                .unwrap_or_else(|| "category".into()),
            layer: layer
                .map(str::to_string)
                .or_else(|| self.areas.layer.clone()),
        }
    }

    /// The candidate-area rule: the defaults with `[candidates]`'s settings.
    pub fn candidate_params(&self) -> Result<CandidateParams, CandidateParamsError> {
        let d = CandidateParams::default();
        let c = &self.candidates;
        let contiguity = match c.contiguity.as_deref() {
            None | Some("queen") => Contiguity::Queen,
            Some("rook") => Contiguity::Rook,
            Some(other) => return Err(CandidateParamsError::Contiguity(other.to_string())),
        };
        Ok(CandidateParams::new(
            c.min_class.unwrap_or(i64::from(d.min_class)),
            c.min_cells.unwrap_or(i64::from(d.min_cells)),
            c.min_population.unwrap_or(d.min_population),
            contiguity,
        )?)
    }

    /// Local Moran's I settings: the flags given, over `[lisa]`, over the
    /// defaults (500 m, 999 permutations, seed 1, no FDR).
    pub fn lisa_method(
        &self,
        band: Option<f64>,
        permutations: Option<u64>,
        seed: Option<u64>,
        fdr: bool,
    ) -> Result<LisaMethod, LisaError> {
        let d = LisaMethod::default();
        let l = &self.lisa;
        let whole = |v: Option<i64>| v.map(|v| u64::try_from(v).unwrap_or(u64::MAX));
        LisaMethod::new(
            band.or(l.band).unwrap_or(d.band()),
            permutations
                .or(whole(l.permutations))
                .unwrap_or(u64::from(d.permutations())),
            seed.or(whole(l.seed)).unwrap_or(d.seed),
            fdr || l.fdr.unwrap_or(false),
        )
    }

    /// The youth-group parameters: the defaults with `[youth]`'s settings.
    pub fn youth_params(&self) -> YouthParams {
        let mut p = YouthParams::default();
        if let Some(v) = self.youth.min_youth_cell {
            p.min_youth_cell = v;
        }
        if let Some(v) = self.youth.min_youth_group {
            p.min_youth_group = v;
        }
        p
    }
}

/// What a numeric setting must be.
#[derive(Clone, Copy)]
enum Range {
    /// > 0 and finite, in the unit named.
    Positive(&'static str),
    /// ≥ 0 and finite: "a number" or "a weight".
    NonNegative(&'static str),
    /// A whole number from `min` up to u32::MAX, in the unit named.
    Whole(u32, &'static str),
    /// From `.0` to `.1` inclusive, what it is.
    Between((f64, f64), &'static str),
}

/// The numeric settings of SPEC §6.1 by section and key (`weights.*` for
/// every weight).
const NUMBERS: [(&str, &str, Range); 17] = [
    (
        "grid",
        "cell_size",
        Range::Whole(1, "a positive whole number of metres"),
    ),
    ("index", "min_population", Range::NonNegative("a number")),
    ("index", "weights.*", Range::NonNegative("a weight")),
    ("youth", "min_youth_cell", Range::NonNegative("a number")),
    ("youth", "min_youth_group", Range::NonNegative("a number")),
    (
        "footprint",
        "radius",
        Range::Between(stratmap_core::RADIUS_RANGE, "a disc radius in metres"),
    ),
    (
        "footprint",
        "min_phones",
        Range::Whole(0, "a whole number ≥ 0"),
    ),
    ("hotspots", "band", Range::Positive("metres")),
    ("indicators", "total_area_km2", Range::Positive("km²")),
    (
        "candidates",
        "min_class",
        Range::Whole(1, "a class from 1 to 5"),
    ),
    (
        "candidates",
        "min_cells",
        Range::Whole(1, "a whole number of cells ≥ 1"),
    ),
    (
        "candidates",
        "min_population",
        Range::NonNegative("a number of residents"),
    ),
    ("lisa", "band", Range::Positive("metres")),
    (
        "lisa",
        "permutations",
        Range::Whole(0, "a whole number from 0 to 99999"),
    ),
    ("lisa", "seed", Range::Whole(0, "a whole number ≥ 0")),
    ("emerging", "band", Range::Positive("metres")),
    (
        "emerging",
        "time_window",
        Range::Whole(0, "a whole number of periods ≥ 0"),
    ),
];

/// A number as TOML writes it: `nan`, `inf`, `-inf`, `500`, `0.5`.
pub fn toml_number(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else if v.is_infinite() {
        if v > 0.0 { "inf" } else { "-inf" }.into()
    } else {
        v.to_string()
    }
}

/// A TOML value as the config wrote it, for messages.
fn toml_value(v: &toml::Value) -> String {
    match v {
        toml::Value::Float(f) => toml_number(*f),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::String(s) => format!("{s:?}"),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::Datetime(d) => d.to_string(),
        toml::Value::Array(_) => "[…]".into(),
        toml::Value::Table(_) => "{…}".into(),
    }
}

/// Checks every numeric setting against its range: a value out of range,
/// or not a number, is a usage error naming the file, the section and the
/// key, e.g. `run.toml: [footprint] radius = nan: expected a positive number
/// of metres`.
fn check_numbers(name: &str, table: &toml::Table) -> Result<(), Error> {
    for (section, key, range) in NUMBERS {
        let Some(toml::Value::Table(sec)) = table.get(section) else {
            continue;
        };
        let values: Vec<(String, &toml::Value)> = match key.strip_suffix(".*") {
            Some(parent) => match sec.get(parent) {
                Some(toml::Value::Table(t)) => t
                    .iter()
                    .map(|(k, v)| (format!("{parent}.{k}"), v))
                    .collect(),
                _ => continue,
            },
            None => sec
                .get(key)
                .map(|v| (key.to_string(), v))
                .into_iter()
                .collect(),
        };
        for (key, v) in values {
            let number = match v {
                toml::Value::Float(f) => Some(*f),
                toml::Value::Integer(i) => Some(*i as f64),
                _ => None,
            };
            let (ok, expected) = match range {
                Range::Positive(unit) => (
                    number.is_some_and(|x| x > 0.0 && x.is_finite()),
                    format!("a positive number of {unit}"),
                ),
                Range::NonNegative(what) => (
                    number.is_some_and(|x| x >= 0.0 && x.is_finite()),
                    format!("{what} ≥ 0"),
                ),
                Range::Between((lo, hi), what) => (
                    number.is_some_and(|x| (lo..=hi).contains(&x)),
                    format!("{what} from {lo} to {hi}"),
                ),
                Range::Whole(min, what) => (
                    matches!(v, toml::Value::Integer(i) if *i >= i64::from(min) && *i <= i64::from(u32::MAX)),
                    what.to_string(),
                ),
            };
            if !ok {
                return Err(Error::Setting(Problem::file(
                    name,
                    format!("[{section}] {key} = {}: expected {expected}", toml_value(v)),
                )));
            }
        }
    }
    Ok(())
}

/// The working CRS when `[grid] crs` is not set: SWEREF 99 TM.
pub const DEFAULT_EPSG: Epsg = Epsg::SWEREF99_TM;

/// Why a CRS setting was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrsError {
    /// Not `EPSG:<code>`.
    #[error("expected a CRS as EPSG:<code>, e.g. EPSG:3006, found {0:?}")]
    Syntax(String),
    /// A code PROJ does not know.
    #[error("{}", crate::crs::UNKNOWN_CRS)]
    Unknown(Epsg),
    /// A CRS in degrees (or feet) where metres are needed.
    #[error("EPSG:{0} is not a projected CRS in metres: expected one for the metric work (discs, distances, cells), such as EPSG:3006 (SWEREF 99 TM); degrees go in lon,lat columns")]
    NotMetric(Epsg),
}

/// [`parse_epsg`] for the working CRS, which must be projected in metres:
/// discs, bands and cells are measured in it (SPEC §2: never in degrees).
pub fn parse_working_epsg(s: &str) -> Result<Epsg, CrsError> {
    let code = parse_epsg(s)?;
    match crate::crs::is_metric(code) {
        Some(false) => Err(CrsError::NotMetric(code)),
        _ => Ok(code),
    }
}

/// Reads `EPSG:3006`, `epsg:3006` or a bare `3006` as an EPSG code that PROJ knows.
pub fn parse_epsg(s: &str) -> Result<Epsg, CrsError> {
    let t = s.trim();
    let digits = t
        .strip_prefix("EPSG:")
        .or_else(|| t.strip_prefix("epsg:"))
        .unwrap_or(t);
    let code = Epsg(
        digits
            .parse()
            .map_err(|_| CrsError::Syntax(s.to_string()))?,
    );
    if !crate::crs::known_epsg(code) {
        return Err(CrsError::Unknown(code));
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_example_config_parses() {
        let text = r#"
[inputs]
grid    = "grid.csv"
areas   = "areas.geojson"

[output]
dir     = "out"
formats = ["geojson", "csv", "gpkg", "tif", "html"]

[grid]
crs = "EPSG:3006"
cell_size = 250

[index]
min_population = 30
weights = { econ = 2.0, segregation = 1.0, family = 1.0 }
classes = "sd"
columns.low_education = { name = "andel_forgymn", percent = true }
columns.income = "medianinkomst"

[youth]
min_youth_cell = 20
min_youth_group = 50

[footprint]
radius = 500
tz = "Europe/Stockholm"
min_phones = 3

[hotspots]
band = 500
fdr = false

[indicators]
total_area_km2 = 447425
"#;
        let c = Config::parse("c.toml", text).unwrap();
        let p = c.index_params().unwrap();
        assert_eq!(p.min_population(), 30.0);
        assert_eq!(p.weights(), [2.0, 1.0, 1.0]);
        assert_eq!(p.classes(), ClassMethod::StdDev);
        assert_eq!(c.column("low_education"), ("andel_forgymn".into(), true));
        assert_eq!(c.column("income"), ("medianinkomst".into(), false));
        assert_eq!(c.column("overcrowding"), ("overcrowding".into(), false));
        assert_eq!(c.grid_epsg().unwrap(), Some(Epsg(3006)));
    }

    #[test]
    fn mistakes_are_named() {
        let e = Config::parse("c.toml", "[index]\nclases = \"sd\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("c.toml") && e.contains("clases"), "{e}");
        let e = Config::parse("c.toml", "[index]\ncolumns.incme = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("columns.incme") && e.contains("income"), "{e}");
        let e = Config::parse(
            "c.toml",
            "[index]\nweights = { econ = 0, segregation = 0, family = 0 }\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("positive"), "{e}");
        let e = Config::parse("c.toml", "[grid]\ncrs = \"SWEREF99\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("EPSG:3006"), "{e}");
    }

    #[test]
    fn index_settings_refused_without_parsing_say_the_same() {
        let with = |ix: IndexConfig| {
            let c = Config {
                index: ix,
                ..Config::default()
            };
            c.index_params().unwrap_err().to_string()
        };
        let weights =
            |kv: &[(&str, f64)]| Some(kv.iter().map(|(k, v)| (k.to_string(), *v)).collect());
        assert_eq!(
            with(IndexConfig {
                min_population: Some(f64::NAN),
                ..IndexConfig::default()
            }),
            "[index] min_population = nan: expected a number ≥ 0"
        );
        assert_eq!(
            with(IndexConfig {
                weights: weights(&[("segregation", f64::INFINITY)]),
                ..IndexConfig::default()
            }),
            "[index] weights.segregation = inf: expected a weight ≥ 0"
        );
        assert_eq!(
            with(IndexConfig {
                weights: weights(&[("econ", 0.0), ("segregation", 0.0), ("family", 0.0)]),
                classes: Some("jenks".into()),
                ..IndexConfig::default()
            }),
            "[index] weights: at least one weight must be positive"
        );
        assert_eq!(
            with(IndexConfig {
                weights: weights(&[("econ", 1.0), ("youth", 1.0)]),
                ..IndexConfig::default()
            }),
            "[index] weights.youth: unknown group; expected econ, segregation or family"
        );
        assert_eq!(
            with(IndexConfig {
                classes: Some("jenks".into()),
                ..IndexConfig::default()
            }),
            "[index] classes: expected \"quantile\" or \"sd\", found \"jenks\""
        );
    }

    #[test]
    fn numbers_out_of_range_name_the_file_and_key_and_are_usage() {
        for (text, said) in [
            ("[footprint]\nradius = nan\n", "[footprint] radius = nan: expected a disc radius in metres from 1 to 100000"),
            ("[footprint]\nradius = 0\n", "[footprint] radius = 0: expected a disc radius in metres from 1 to 100000"),
            ("[hotspots]\nband = inf\n", "[hotspots] band = inf: expected a positive number of metres"),
            ("[grid]\ncell_size = -250\n", "[grid] cell_size = -250: expected a positive whole number of metres"),
            ("[grid]\ncell_size = 5000000000\n", "[grid] cell_size = 5000000000: expected a positive whole number of metres"),
            ("[index]\nweights.family = -1\n", "[index] weights.family = -1: expected a weight ≥ 0"),
            ("[index]\nmin_population = nan\n", "[index] min_population = nan: expected a number ≥ 0"),
            ("[youth]\nmin_youth_cell = -0.5\n", "[youth] min_youth_cell = -0.5: expected a number ≥ 0"),
            ("[indicators]\ntotal_area_km2 = -inf\n", "[indicators] total_area_km2 = -inf: expected a positive number of km²"),
            ("[footprint]\nmin_phones = 2.5\n", "[footprint] min_phones = 2.5: expected a whole number ≥ 0"),
            ("[grid]\ncrs = \"EPSG:99999\"\n", "[grid] crs = \"EPSG:99999\": unknown CRS: expected an EPSG code PROJ knows, such as EPSG:3006"),
        ] {
            let e = Config::parse("run.toml", text).unwrap_err();
            assert_eq!(e.to_string(), format!("run.toml: {said}"));
            assert_eq!(e.exit_code(), 2, "{said}");
        }
        // in range
        let c = Config::parse(
            "run.toml",
            "[footprint]\nradius = 250.5\nmin_phones = 0\n[hotspots]\nband = 1e9\n[grid]\ncell_size = 1000\n",
        )
        .unwrap();
        assert_eq!(c.footprint.radius, Some(250.5));
        assert_eq!(c.hotspots.band, Some(1e9));
    }
}
