//! The living-conditions index (SPEC §4.1): eight variables in three groups,
//! oriented so that higher is worse, standardised over the valid cells, averaged
//! per group, weighted into one index and classed 1 (green) to 5 (red).
//!
//! ```
//! use stratmap_core::{GridCell, IndexParams, LivingConditionsIndex, Status};
//!
//! let cell = |pop: f64, v: f64| GridCell { population: Some(pop), values: [Some(v); 8] };
//! let cells = [cell(100.0, 1.0), cell(100.0, 3.0), cell(5.0, 2.0)];
//! let lci = LivingConditionsIndex::compute(&cells, &IndexParams::default());
//! assert_eq!(lci.cells[2].status, Status::LowPopulation);
//! assert_eq!(lci.valid, 2);
//! ```

use crate::stats::{mean_sd_population, percentile_linear};
use rayon::prelude::*;

/// One of the eight input variables, in the order of SPEC §3.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Variable {
    /// Median disposable income, money per year; worse when lower.
    Income,
    /// Share of 25–64-year-olds with at most compulsory school.
    LowEducation,
    /// Share of 20–64-year-olds in work; worse when lower.
    EmploymentRate,
    /// Share of residents with a foreign background.
    ForeignBackground,
    /// Share of residents in overcrowded housing.
    Overcrowding,
    /// Share of households with a single parent.
    SingleParents,
    /// Number of children aged 0–15.
    Age0To15,
    /// Number of young people aged 16–19.
    Age16To19,
}

/// What a variable measures, which decides how it is checked on input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A share between 0 and 1.
    Share,
    /// A count of people (non-negative).
    Count,
    /// An amount of money per year (non-negative).
    Money,
}

/// The three groups of the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Group {
    /// Economic marginalisation.
    Econ,
    /// Segregation: foreign background and overcrowding.
    Segregation,
    /// Family conditions.
    Family,
}

impl Group {
    /// The groups in the order of [`IndexParams::weights`] and [`CellIndex::group_scores`].
    pub const ALL: [Group; 3] = [Group::Econ, Group::Segregation, Group::Family];

    /// Output property of the group's score.
    pub fn score_name(self) -> &'static str {
        match self {
            Group::Econ => "econ_score",
            Group::Segregation => "segregation_score",
            Group::Family => "family_score",
        }
    }

    /// Key of the group's weight in the config (`weights = { econ = 1.0, … }`).
    pub fn weight_key(self) -> &'static str {
        match self {
            Group::Econ => "econ",
            Group::Segregation => "segregation",
            Group::Family => "family",
        }
    }

    fn position(self) -> usize {
        self as usize
    }
}

impl Variable {
    /// The variables in the order of SPEC §3.1, which is that of [`GridCell::values`].
    pub const ALL: [Variable; 8] = [
        Variable::Income,
        Variable::LowEducation,
        Variable::EmploymentRate,
        Variable::ForeignBackground,
        Variable::Overcrowding,
        Variable::SingleParents,
        Variable::Age0To15,
        Variable::Age16To19,
    ];

    /// The default column name, which is also the output property name.
    pub fn name(self) -> &'static str {
        match self {
            Variable::Income => "income",
            Variable::LowEducation => "low_education",
            Variable::EmploymentRate => "employment_rate",
            Variable::ForeignBackground => "foreign_background",
            Variable::Overcrowding => "overcrowding",
            Variable::SingleParents => "single_parents",
            Variable::Age0To15 => "age_0_15",
            Variable::Age16To19 => "age_16_19",
        }
    }

    /// The group whose score the variable counts in.
    pub fn group(self) -> Group {
        match self {
            Variable::Income | Variable::LowEducation | Variable::EmploymentRate => Group::Econ,
            Variable::ForeignBackground | Variable::Overcrowding => Group::Segregation,
            Variable::SingleParents | Variable::Age0To15 | Variable::Age16To19 => Group::Family,
        }
    }

    /// Income and employment are worse when lower; every other variable is
    /// worse when higher.
    pub fn higher_is_worse(self) -> bool {
        !matches!(self, Variable::Income | Variable::EmploymentRate)
    }

    /// What the variable measures, which decides how an input value is checked.
    pub fn unit(self) -> Unit {
        match self {
            Variable::Income => Unit::Money,
            Variable::Age0To15 | Variable::Age16To19 => Unit::Count,
            _ => Unit::Share,
        }
    }

    /// Position in [`Variable::ALL`] and in [`GridCell::values`].
    pub fn position(self) -> usize {
        self as usize
    }
}

/// The statistics of one grid cell; `None` is a missing (suppressed) value.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct GridCell {
    /// Residents of the cell.
    pub population: Option<f64>,
    /// Indexed by [`Variable::position`].
    pub values: [Option<f64>; 8],
}

impl GridCell {
    /// The value of `v`; `None` when it is missing.
    pub fn get(&self, v: Variable) -> Option<f64> {
        self.values[v.position()]
    }
}

/// How the index is cut into five classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClassMethod {
    /// Breaks at the 20/40/60/80th percentiles (numpy's linear method).
    #[default]
    Quantile,
    /// Breaks at mean −1, −0.5, +0.5, +1 population sd of the index.
    StdDev,
}

/// Parameters of the index (config section `[index]`), checked when made:
/// the default is SPEC §4's (20 residents, equal weights, quantile classes).
///
/// ```
/// use stratmap_core::{ClassMethod, IndexParams};
/// let p = IndexParams::default();
/// assert_eq!((p.min_population(), p.weights(), p.classes()), (20.0, [1.0; 3], ClassMethod::Quantile));
/// assert_eq!(IndexParams::new(20.0, [1.0; 3], ClassMethod::Quantile), Ok(p));
/// assert!(IndexParams::new(-1.0, [1.0; 3], ClassMethod::Quantile).is_err());
/// assert!(IndexParams::new(20.0, [1.0, f64::NAN, 1.0], ClassMethod::Quantile).is_err());
/// assert!(IndexParams::new(20.0, [0.0; 3], ClassMethod::Quantile).is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct IndexParams {
    min_population: f64,
    weights: [f64; 3],
    classes: ClassMethod,
}

/// Index parameters that cannot work.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum IndexParamsError {
    /// A negative or non-finite population threshold.
    #[error("min_population = {}: expected a number ≥ 0", SettingNumber(*.0))]
    MinPopulation(f64),
    /// A negative or non-finite group weight.
    #[error("weights.{} = {}: expected a weight ≥ 0", .0.weight_key(), SettingNumber(*.1))]
    Weight(Group, f64),
    /// Every weight is zero: the weighted mean is not defined.
    #[error("weights: at least one weight must be positive")]
    NoPositiveWeight,
}

/// A number as a setting (TOML) writes it: `nan`, `inf`, `-inf`, `0.5`.
struct SettingNumber(f64);

impl std::fmt::Display for SettingNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_nan() {
            f.write_str("nan")
        } else {
            write!(f, "{}", self.0)
        }
    }
}

impl IndexParams {
    /// The parameters, when `min_population` is a number ≥ 0 and the
    /// weights (econ, segregation, family; see [`Group::ALL`]) are numbers
    /// ≥ 0, at least one of them positive.
    pub fn new(
        min_population: f64,
        weights: [f64; 3],
        classes: ClassMethod,
    ) -> Result<Self, IndexParamsError> {
        let usable = |v: f64| v >= 0.0 && v.is_finite();
        if !usable(min_population) {
            return Err(IndexParamsError::MinPopulation(min_population));
        }
        if let Some((g, w)) = Group::ALL.iter().zip(weights).find(|(_, w)| !usable(*w)) {
            return Err(IndexParamsError::Weight(*g, w));
        }
        if weights.iter().all(|w| *w == 0.0) {
            return Err(IndexParamsError::NoPositiveWeight);
        }
        Ok(IndexParams {
            min_population,
            weights,
            classes,
        })
    }

    /// Cells with fewer residents get no index (`status = low_population`).
    pub fn min_population(&self) -> f64 {
        self.min_population
    }

    /// Weights of the econ, segregation and family groups; normalised by their sum.
    pub fn weights(&self) -> [f64; 3] {
        self.weights
    }

    /// How the valid cells' index values are cut into classes 1–5.
    pub fn classes(&self) -> ClassMethod {
        self.classes
    }
}

impl Default for IndexParams {
    fn default() -> Self {
        IndexParams {
            min_population: 20.0,
            weights: [1.0; 3],
            classes: ClassMethod::Quantile,
        }
    }
}

/// Whether a cell received an index, and if not, why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Valid: the cell has an index.
    Ok,
    /// Population missing or below `min_population`.
    LowPopulation,
    /// A group has no value at all.
    Incomplete,
}

impl Status {
    /// The status as the output's `status` property writes it: `ok`,
    /// `low_population` or `incomplete`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::LowPopulation => "low_population",
            Status::Incomplete => "incomplete",
        }
    }
}

/// The class colours, 1 (best, green) to 5 (worst, red); ColorBrewer RdYlGn.
pub const PALETTE: [&str; 5] = ["#1a9641", "#a6d96a", "#ffffbf", "#fdae61", "#d7191c"];

/// The colour of class 1–5; `None` for any other number.
///
/// ```
/// use stratmap_core::class_color;
/// assert_eq!(class_color(1), Some("#1a9641"));
/// assert_eq!(class_color(5), Some("#d7191c"));
/// assert_eq!(class_color(0), None);
/// ```
pub fn class_color(class: u8) -> Option<&'static str> {
    PALETTE.get(usize::from(class).checked_sub(1)?).copied()
}

/// The index of one cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellIndex {
    /// Whether the cell has an index, and if not, why.
    pub status: Status,
    /// Econ, segregation and family scores (valid cells only).
    pub group_scores: Option<[f64; 3]>,
    /// The weighted mean of the group scores (valid cells only): 0 is the
    /// average valid cell, positive is worse.
    pub index: Option<f64>,
    /// 1 (best) to 5 (worst).
    pub class: Option<u8>,
}

/// The index over a whole grid, in the order of the input cells.
#[derive(Debug, Clone, PartialEq)]
pub struct LivingConditionsIndex {
    /// One per input cell, in input order.
    pub cells: Vec<CellIndex>,
    /// Number of valid cells.
    pub valid: usize,
    /// Mean and population sd of each oriented variable over the valid cells
    /// where it is present, by [`Variable::position`].
    pub standardisation: [Option<(f64, f64)>; 8],
    /// The four class breaks, when there is at least one valid cell.
    pub breaks: Option<[f64; 4]>,
}

impl LivingConditionsIndex {
    /// Computes the index of every cell. Sums run in the order of `cells`;
    /// callers that need byte-identical output for any input order sort the
    /// cells first (the CLI sorts by cell id).
    pub fn compute(cells: &[GridCell], params: &IndexParams) -> Self {
        Self::compute_on(cells, params, None)
    }

    /// Computes the index of another edition of the grid on the scale of
    /// `reference`: standardised with the reference's means and sds and
    /// classed by its breaks, so a cell whose values did not change keeps
    /// exactly its index and class.
    ///
    /// ```
    /// use stratmap_core::{GridCell, IndexParams, LivingConditionsIndex};
    /// let cell = |v: f64| GridCell { population: Some(100.0), values: [Some(v); 8] };
    /// let before = [cell(1.0), cell(2.0), cell(3.0), cell(4.0), cell(5.0)];
    /// let after = [cell(1.0), cell(2.0), cell(3.0), cell(4.0), cell(9.0)];
    /// let p = IndexParams::default();
    /// let b = LivingConditionsIndex::compute(&before, &p);
    /// let a = LivingConditionsIndex::compute_against(&after, &p, &b);
    /// assert_eq!(a.cells[1], b.cells[1]); // unchanged: the same index and class
    /// assert_eq!(a.standardisation, b.standardisation);
    /// ```
    pub fn compute_against(cells: &[GridCell], params: &IndexParams, reference: &Self) -> Self {
        Self::compute_on(
            cells,
            params,
            Some((reference.standardisation, reference.breaks)),
        )
    }

    /// The index with the standardisation and breaks of the cells
    /// themselves, or the ones given.
    #[allow(clippy::type_complexity)]
    fn compute_on(
        cells: &[GridCell],
        params: &IndexParams,
        fixed: Option<([Option<(f64, f64)>; 8], Option<[f64; 4]>)>,
    ) -> Self {
        let status: Vec<Status> = cells.iter().map(|c| cell_status(c, params)).collect();
        let valid = status.iter().filter(|s| **s == Status::Ok).count();

        // Orient (higher = worse), then standardise over valid cells (population sd).
        let oriented =
            |c: &GridCell, v: Variable| c.get(v).map(|x| if v.higher_is_worse() { x } else { -x });
        // Each variable's present values gathered once into a contiguous
        // vector (two passes over it are cheap), variables in parallel. Sums
        // run in cell order, so the result does not depend on the threads.
        let per_variable: Vec<Option<(f64, f64)>> = Variable::ALL
            .par_iter()
            .map(|&v| {
                let present: Vec<f64> = cells
                    .iter()
                    .zip(&status)
                    .filter(|(_, s)| **s == Status::Ok)
                    .filter_map(|(c, _)| oriented(c, v))
                    .collect();
                mean_sd_population(present.iter().copied())
            })
            .collect();
        let mut standardisation = [None; 8];
        standardisation.copy_from_slice(&per_variable);
        if let Some((given, _)) = fixed {
            standardisation = given;
        }
        let weight_sum: f64 = params.weights.iter().sum();
        let scored: Vec<Option<([f64; 3], f64)>> = cells
            .par_iter()
            .zip(status.par_iter())
            .map(|(c, s)| {
                if *s != Status::Ok {
                    return None;
                }
                let mut sum = [0.0; 3];
                let mut n = [0usize; 3];
                for v in Variable::ALL {
                    let (Some(x), Some((mean, sd))) =
                        (oriented(c, v), standardisation[v.position()])
                    else {
                        continue;
                    };
                    // A variable that does not vary carries no information: z = 0.
                    let z = if sd > 0.0 { (x - mean) / sd } else { 0.0 };
                    let g = v.group().position();
                    sum[g] += z;
                    n[g] += 1;
                }
                let groups = [0, 1, 2].map(|g| sum[g] / n[g] as f64);
                let index = groups
                    .iter()
                    .zip(params.weights)
                    .map(|(s, w)| s * w)
                    .sum::<f64>()
                    / weight_sum;
                Some((groups, index))
            })
            .collect();

        let mut values: Vec<f64> = scored.iter().flatten().map(|(_, i)| *i).collect();
        values.par_sort_unstable_by(f64::total_cmp);
        let breaks = match fixed {
            Some((_, given)) => given,
            None => class_breaks(&values, params.classes),
        };

        let cells = scored
            .into_iter()
            .zip(status)
            .map(|(s, status)| CellIndex {
                status,
                group_scores: s.map(|(g, _)| g),
                index: s.map(|(_, i)| i),
                class: s.zip(breaks).map(|((_, i), b)| class_of(i, &b)),
            })
            .collect();
        LivingConditionsIndex {
            cells,
            valid,
            standardisation,
            breaks,
        }
    }
}

fn cell_status(c: &GridCell, params: &IndexParams) -> Status {
    match c.population {
        Some(p) if p >= params.min_population => {}
        _ => return Status::LowPopulation,
    }
    let complete = Group::ALL.iter().all(|g| {
        Variable::ALL
            .iter()
            .any(|v| v.group() == *g && c.get(*v).is_some())
    });
    if complete {
        Status::Ok
    } else {
        Status::Incomplete
    }
}

/// The four class breaks of ascending-sorted index values.
///
/// ```
/// use stratmap_core::{class_breaks, ClassMethod};
/// let b = class_breaks(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0], ClassMethod::Quantile).unwrap();
/// assert_eq!(b, [1.0, 2.0, 3.0, 4.0]);
/// ```
pub fn class_breaks(sorted: &[f64], method: ClassMethod) -> Option<[f64; 4]> {
    match method {
        ClassMethod::Quantile => {
            let p = |q| percentile_linear(sorted, q);
            Some([p(20.0)?, p(40.0)?, p(60.0)?, p(80.0)?])
        }
        ClassMethod::StdDev => {
            let (mean, sd) = mean_sd_population(sorted.iter().copied())?;
            Some([-1.0, -0.5, 0.5, 1.0].map(|k| mean + k * sd))
        }
    }
}

/// Class 1–5 of an index value: 1 + the number of breaks strictly below it,
/// so a value equal to a break falls in the lower class.
///
/// ```
/// use stratmap_core::class_of;
/// let breaks = [1.0, 2.0, 3.0, 4.0];
/// assert_eq!(class_of(0.5, &breaks), 1);
/// assert_eq!(class_of(2.0, &breaks), 2);
/// assert_eq!(class_of(2.5, &breaks), 3);
/// assert_eq!(class_of(9.0, &breaks), 5);
/// ```
pub fn class_of(value: f64, breaks: &[f64; 4]) -> u8 {
    1 + breaks.iter().filter(|b| **b < value).count() as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    /// Three valid cells small enough to do by hand.
    ///
    /// | cell | income | low_ed | empl | foreign | overcr | single | a0_15 | a16_19 |
    /// |------|--------|--------|------|---------|--------|--------|-------|--------|
    /// | A    | 300    | 0.1    | 0.9  | 0.2     | 0.0    | 0.1    | 10    | 4      |
    /// | B    | 200    | 0.2    | 0.8  | 0.4     | —      | 0.2    | 20    | 4      |
    /// | C    | 100    | 0.3    | 0.7  | 0.6     | 0.3    | 0.3    | 30    | 4      |
    ///
    /// Income oriented: −300, −200, −100: mean −200, population sd
    /// √((100² + 0 + 100²)/3) = 100·√(2/3), so z = −√1.5, 0, +√1.5. Every
    /// variable of A, B, C except overcrowding and a16_19 is evenly spaced the
    /// same way (employment oriented too), so its z is −√1.5, 0, +√1.5.
    /// Overcrowding is missing for B: over A and C, mean 0.15, sd 0.15, z = −1, +1.
    /// a16_19 is constant, sd 0, so z = 0.
    ///
    /// econ = mean(z_inc, z_led, z_emp): A −√1.5, B 0, C +√1.5.
    /// segregation: A (−√1.5 − 1)/2, B 0 (foreign only), C (√1.5 + 1)/2.
    /// family = (z_single + z_a0 + 0)/3: A −2√1.5/3, B 0, C 2√1.5/3.
    /// index = mean of the three (equal weights).
    /// Three identical cells: every variable is constant (0.1 is not exact
    /// in binary, so the computed sd is rounding noise), every z is 0, the
    /// index is exactly 0 and every cell is in class 1.
    #[test]
    fn identical_cells_have_index_zero() {
        let cell = GridCell {
            population: Some(100.0),
            values: [
                Some(250_000.1),
                Some(0.1),
                Some(0.7),
                Some(0.3),
                Some(0.1),
                Some(0.1),
                Some(13.0),
                Some(7.0),
            ],
        };
        let lci = LivingConditionsIndex::compute(&[cell; 3], &IndexParams::default());
        for c in &lci.cells {
            assert_eq!(c.index, Some(0.0));
            assert_eq!(c.class, Some(1));
        }
        for s in lci.standardisation.iter().flatten() {
            assert_eq!(s.1, 0.0);
        }
    }

    #[test]
    fn index_by_hand() {
        let row = |inc, led, emp, fb, oc: Option<f64>, sp, a0, a16| GridCell {
            population: Some(100.0),
            values: [
                Some(inc),
                Some(led),
                Some(emp),
                Some(fb),
                oc,
                Some(sp),
                Some(a0),
                Some(a16),
            ],
        };
        let cells = [
            row(300.0, 0.1, 0.9, 0.2, Some(0.0), 0.1, 10.0, 4.0),
            row(200.0, 0.2, 0.8, 0.4, None, 0.2, 20.0, 4.0),
            row(100.0, 0.3, 0.7, 0.6, Some(0.3), 0.3, 30.0, 4.0),
        ];
        let lci = LivingConditionsIndex::compute(&cells, &IndexParams::default());
        let r = 1.5f64.sqrt();
        let econ = [-r, 0.0, r];
        let seg = [(-r - 1.0) / 2.0, 0.0, (r + 1.0) / 2.0];
        let fam = [-2.0 * r / 3.0, 0.0, 2.0 * r / 3.0];
        for i in 0..3 {
            let g = lci.cells[i].group_scores.unwrap();
            assert!(close(g[0], econ[i]), "econ {i}: {g:?}");
            assert!(close(g[1], seg[i]), "seg {i}: {g:?}");
            assert!(close(g[2], fam[i]), "fam {i}: {g:?}");
            let want = (econ[i] + seg[i] + fam[i]) / 3.0;
            assert!(close(lci.cells[i].index.unwrap(), want));
        }
        let (m, sd) = lci.standardisation[Variable::Income.position()].unwrap();
        assert!(close(m, -200.0) && close(sd, 100.0 * (2.0f64 / 3.0).sqrt()));
        // Three sorted values a < 0 < c: breaks at positions 0.4, 0.8, 1.2, 1.6
        // → 0.6a, 0.2a, 0.2c, 0.6c; classes 1, 3, 5.
        let (a, c) = (lci.cells[0].index.unwrap(), lci.cells[2].index.unwrap());
        let b = lci.breaks.unwrap();
        for (got, want) in b.iter().zip([0.6 * a, 0.2 * a, 0.2 * c, 0.6 * c]) {
            assert!(close(*got, want), "{b:?}");
        }
        let classes: Vec<_> = lci.cells.iter().map(|c| c.class.unwrap()).collect();
        assert_eq!(classes, [1, 3, 5]);
    }

    #[test]
    fn weights_are_normalised() {
        let cells: Vec<GridCell> = (0..4)
            .map(|i| {
                let v = f64::from(i);
                GridCell {
                    population: Some(50.0),
                    values: [
                        Some(-v),
                        Some(v),
                        None,
                        Some(v * v),
                        None,
                        Some(0.0),
                        None,
                        None,
                    ],
                }
            })
            .collect();
        let eq = LivingConditionsIndex::compute(&cells, &IndexParams::default());
        let p = IndexParams::new(20.0, [2.0, 0.0, 0.0], ClassMethod::Quantile).unwrap();
        let econ_only = LivingConditionsIndex::compute(&cells, &p);
        for (e, o) in eq.cells.iter().zip(&econ_only.cells) {
            let g = e.group_scores.unwrap();
            assert!(close(o.index.unwrap(), g[0]));
            assert!(close(e.index.unwrap(), (g[0] + g[1] + g[2]) / 3.0));
        }
    }

    #[test]
    fn status_rules() {
        let full = [Some(1.0); 8];
        let mut no_family = full;
        for v in [
            Variable::SingleParents,
            Variable::Age0To15,
            Variable::Age16To19,
        ] {
            no_family[v.position()] = None;
        }
        let mut one_family = no_family;
        one_family[Variable::Age16To19.position()] = Some(3.0);
        let cells = [
            GridCell {
                population: Some(20.0),
                values: full,
            },
            GridCell {
                population: Some(19.0),
                values: full,
            },
            GridCell {
                population: None,
                values: full,
            },
            GridCell {
                population: Some(500.0),
                values: no_family,
            },
            GridCell {
                population: Some(500.0),
                values: one_family,
            },
        ];
        let lci = LivingConditionsIndex::compute(&cells, &IndexParams::default());
        let st: Vec<_> = lci.cells.iter().map(|c| c.status).collect();
        use Status::*;
        assert_eq!(st, [Ok, LowPopulation, LowPopulation, Incomplete, Ok]);
        assert_eq!(lci.valid, 2);
        assert!(lci.cells[1].index.is_none() && lci.cells[1].class.is_none());
    }

    #[test]
    fn nonsense_params_are_refused_with_the_setting_named() {
        let q = ClassMethod::Quantile;
        let said = |r: Result<IndexParams, IndexParamsError>| r.unwrap_err().to_string();
        assert_eq!(
            said(IndexParams::new(f64::NAN, [1.0; 3], q)),
            "min_population = nan: expected a number ≥ 0"
        );
        assert_eq!(
            said(IndexParams::new(-1.0, [1.0; 3], q)),
            "min_population = -1: expected a number ≥ 0"
        );
        assert_eq!(
            said(IndexParams::new(20.0, [1.0, f64::INFINITY, 1.0], q)),
            "weights.segregation = inf: expected a weight ≥ 0"
        );
        assert_eq!(
            said(IndexParams::new(20.0, [1.0, 1.0, -0.5], q)),
            "weights.family = -0.5: expected a weight ≥ 0"
        );
        assert_eq!(
            IndexParams::new(0.0, [0.0; 3], q),
            Err(IndexParamsError::NoPositiveWeight)
        );
        let p = IndexParams::new(0.0, [0.0, 0.0, 2.0], ClassMethod::StdDev).unwrap();
        assert_eq!(
            (p.min_population(), p.weights(), p.classes()),
            (0.0, [0.0, 0.0, 2.0], ClassMethod::StdDev)
        );
    }

    #[test]
    fn quantile_breaks_with_ties() {
        // numpy.percentile([0,0,0,0,0,1,1,1,1,2], [20,40,60,80]) = [0, 0, 1, 1]
        let v = [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 2.0];
        let b = class_breaks(&v, ClassMethod::Quantile).unwrap();
        assert_eq!(b, [0.0, 0.0, 1.0, 1.0]);
        // A value equal to a break is not above it.
        assert_eq!(class_of(0.0, &b), 1);
        assert_eq!(class_of(1.0, &b), 3);
        assert_eq!(class_of(2.0, &b), 5);
        assert_eq!(class_of(0.5, &b), 3);
        // All values equal: every cell in class 1.
        assert_eq!(
            class_of(
                3.0,
                &class_breaks(&[3.0; 7], ClassMethod::Quantile).unwrap()
            ),
            1
        );
    }

    #[test]
    fn sd_breaks() {
        // mean 5, population sd 2
        let v = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        let b = class_breaks(&v, ClassMethod::StdDev).unwrap();
        assert_eq!(b, [3.0, 4.0, 6.0, 7.0]);
        let classes: Vec<u8> = v.iter().map(|x| class_of(*x, &b)).collect();
        assert_eq!(classes, [1, 2, 2, 2, 3, 3, 4, 5]);
    }

    #[test]
    fn palette_runs_green_to_red() {
        assert_eq!(class_color(1), Some("#1a9641"));
        assert_eq!(class_color(5), Some("#d7191c"));
        assert_eq!(class_color(0), None);
        assert_eq!(class_color(6), None);
    }

    proptest! {
        /// Classes are quintiles: each holds about a fifth of the valid cells,
        /// and the index has mean 0 when no value is missing.
        #[test]
        fn quintiles_split_evenly(vals in prop::collection::vec(prop::array::uniform8(0.0f64..1.0), 25..200)) {
            let cells: Vec<GridCell> = vals.iter().map(|v| GridCell {
                population: Some(100.0),
                values: v.map(Some),
            }).collect();
            let lci = LivingConditionsIndex::compute(&cells, &IndexParams::default());
            let n = cells.len();
            let mean: f64 = lci.cells.iter().map(|c| c.index.unwrap()).sum::<f64>() / n as f64;
            prop_assert!(mean.abs() < 1e-9);
            for k in 1..=5u8 {
                let in_k = lci.cells.iter().filter(|c| c.class == Some(k)).count();
                prop_assert!(in_k.abs_diff(n / 5) <= 2, "class {} has {} of {}", k, in_k, n);
            }
        }

        /// Reordering the cells reorders the results and changes nothing else.
        #[test]
        fn order_invariant(vals in prop::collection::vec(prop::array::uniform8(prop::option::weighted(0.9, 0.0f64..1.0)), 5..60),
                           seed in any::<u64>()) {
            let cells: Vec<GridCell> = vals.iter().map(|v| GridCell { population: Some(100.0), values: *v }).collect();
            let mut order: Vec<usize> = (0..cells.len()).collect();
            // a seeded Fisher–Yates shuffle
            let mut s = seed | 1;
            for i in (1..order.len()).rev() {
                s ^= s << 13; s ^= s >> 7; s ^= s << 17;
                order.swap(i, (s % (i as u64 + 1)) as usize);
            }
            let shuffled: Vec<GridCell> = order.iter().map(|&i| cells[i]).collect();
            let a = LivingConditionsIndex::compute(&cells, &IndexParams::default());
            let b = LivingConditionsIndex::compute(&shuffled, &IndexParams::default());
            for (j, &i) in order.iter().enumerate() {
                let (x, y) = (a.cells[i], b.cells[j]);
                prop_assert_eq!(x.status, y.status);
                prop_assert_eq!(x.class, y.class);
                if let (Some(p), Some(q)) = (x.index, y.index) { prop_assert!((p - q).abs() < 1e-9); }
            }
        }
    }
}
