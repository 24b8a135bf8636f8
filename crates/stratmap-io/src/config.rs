//! The TOML config of SPEC §6.1. Every section is optional; unknown keys are
//! errors, so a misspelt setting is caught rather than silently ignored.

use crate::grid_csv::DEFAULT_CELL_SIZE;
use crate::{Error, Problem};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use stratmap_core::grid::GridSpec;
use stratmap_core::index::{ClassMethod, Group, IndexParams, Unit, Variable};
use stratmap_core::youth::YouthParams;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub inputs: Inputs,
    #[serde(default)]
    pub output: OutputConfig,
    #[serde(default)]
    pub grid: GridConfig,
    #[serde(default)]
    pub index: IndexConfig,
    #[serde(default)]
    pub youth: YouthConfig,
    #[serde(default)]
    pub footprint: FootprintConfig,
    #[serde(default)]
    pub hotspots: HotspotsConfig,
    #[serde(default)]
    pub indicators: IndicatorsConfig,
}

/// Input files, relative to the config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inputs {
    pub grid: Option<PathBuf>,
    pub areas: Option<PathBuf>,
    pub towers: Option<PathBuf>,
    pub records: Option<PathBuf>,
    pub events: Option<PathBuf>,
    pub answers: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputConfig {
    pub dir: Option<PathBuf>,
    pub formats: Option<Vec<String>>,
}

/// `[grid]`: CRS and cell size. Unset values come from the cell ids, else the
/// defaults EPSG:3006 and 250 m.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GridConfig {
    pub crs: Option<String>,
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
    Name(String),
    Full(ColumnDetail),
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnDetail {
    pub name: Option<String>,
    #[serde(default)]
    pub percent: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexConfig {
    pub min_population: Option<f64>,
    pub weights: Option<BTreeMap<String, f64>>,
    pub classes: Option<String>,
    #[serde(default)]
    pub columns: BTreeMap<String, ColumnSpec>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YouthConfig {
    pub min_youth_cell: Option<f64>,
    pub min_youth_group: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FootprintConfig {
    pub radius: Option<f64>,
    pub tz: Option<String>,
    pub min_phones: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HotspotsConfig {
    pub band: Option<f64>,
    pub fdr: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorsConfig {
    pub total_area_km2: Option<f64>,
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
        let config: Config = toml::from_str(text)
            .map_err(|e| Problem::file(name, e.to_string().trim_end().to_string()))?;
        config.check(name)?;
        Ok(config)
    }

    fn check(&self, name: &str) -> Result<(), Error> {
        let bad = |m: String| Error::from(Problem::file(name, m));
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
        self.index_params().map_err(bad)?;
        for (key, v) in [
            ("min_youth_cell", self.youth.min_youth_cell),
            ("min_youth_group", self.youth.min_youth_group),
        ] {
            if let Some(v) = v.filter(|v| !(*v >= 0.0 && v.is_finite())) {
                return Err(bad(format!(
                    "[youth] {key}: expected a number ≥ 0, found {v}"
                )));
            }
        }
        self.grid_epsg().map_err(bad)?;
        if self.grid.cell_size == Some(0) {
            return Err(bad(
                "[grid] cell_size: expected a positive number of metres, found 0".into(),
            ));
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
    pub fn working_spec(&self) -> Result<GridSpec, String> {
        Ok(GridSpec {
            epsg: self.grid_epsg()?.unwrap_or(DEFAULT_EPSG),
            cell_size: self.grid.cell_size.unwrap_or(DEFAULT_CELL_SIZE),
        })
    }

    /// `[grid] crs` as an EPSG code, when set.
    pub fn grid_epsg(&self) -> Result<Option<u32>, String> {
        self.grid.crs.as_deref().map(parse_epsg).transpose()
    }

    pub fn index_params(&self) -> Result<IndexParams, String> {
        let mut p = IndexParams::default();
        let ix = &self.index;
        if let Some(m) = ix.min_population {
            if !(m >= 0.0 && m.is_finite()) {
                return Err(format!(
                    "[index] min_population: expected a number ≥ 0, found {m}"
                ));
            }
            p.min_population = m;
        }
        if let Some(w) = &ix.weights {
            for (k, v) in w {
                let Some(g) = Group::ALL.iter().find(|g| g.weight_key() == k) else {
                    return Err(format!(
                        "[index] weights.{k}: unknown group; expected econ, segregation or family"
                    ));
                };
                if !(*v >= 0.0 && v.is_finite()) {
                    return Err(format!(
                        "[index] weights.{k}: expected a weight ≥ 0, found {v}"
                    ));
                }
                p.weights[*g as usize] = *v;
            }
            if p.weights.iter().sum::<f64>() <= 0.0 {
                return Err("[index] weights: at least one weight must be positive".into());
            }
        }
        p.classes = match ix.classes.as_deref() {
            None | Some("quantile") => ClassMethod::Quantile,
            Some("sd") => ClassMethod::StdDev,
            Some(other) => {
                return Err(format!(
                    "[index] classes: expected \"quantile\" or \"sd\", found {other:?}"
                ))
            }
        };
        debug_assert_eq!(Variable::ALL.len() + 4, GRID_COLUMNS.len());
        Ok(p)
    }

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

/// The working CRS when `[grid] crs` is not set: SWEREF 99 TM.
pub const DEFAULT_EPSG: u32 = 3006;

/// Reads `EPSG:3006` (or a bare `3006`) as an EPSG code.
pub fn parse_epsg(s: &str) -> Result<u32, String> {
    let t = s.trim();
    let digits = t
        .strip_prefix("EPSG:")
        .or_else(|| t.strip_prefix("epsg:"))
        .unwrap_or(t);
    digits
        .parse()
        .map_err(|_| format!("expected a CRS as EPSG:<code>, e.g. EPSG:3006, found {s:?}"))
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
        assert_eq!(p.min_population, 30.0);
        assert_eq!(p.weights, [2.0, 1.0, 1.0]);
        assert_eq!(p.classes, ClassMethod::StdDev);
        assert_eq!(c.column("low_education"), ("andel_forgymn".into(), true));
        assert_eq!(c.column("income"), ("medianinkomst".into(), false));
        assert_eq!(c.column("overcrowding"), ("overcrowding".into(), false));
        assert_eq!(c.grid_epsg().unwrap(), Some(3006));
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
}
