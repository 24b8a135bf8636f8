//! Daily footprint, "dygnsavtryck" (SPEC §4.3): each phone's calendar day is
//! worth 1.0, split equally over its n records; a record's disc of radius r
//! around its position gives area A the share |D ∩ A| / |D| of the record's
//! 1/n, and the rest lies outside every area.
//!
//! Sums are kept in fixed point (integers), so the totals are exactly the same
//! whatever the order of the records or the number of threads: a record's
//! fraction of its disc is kept in units of 2⁻⁶² to 40 significant bits
//! (a relative error below 10⁻¹², however small the overlap), and a
//! phone-day's share of an area in units of 2⁻⁶². A disc that overlaps an
//! area by any positive area touches it (counts in `phone_days` and
//! `unique_phones`), however small its fraction; one that does not reach it
//! gives it exactly nothing.
//!
//! The method's own example: a day of two records, one disc wholly outside
//! every area, one half inside area A, gives A 0.25 and outside 0.75.
//!
//! ```
//! use geo::{polygon, MultiPolygon};
//! use stratmap_core::{DailyFootprint, FootprintAreas};
//!
//! let a = polygon![(x: 0.0, y: -5000.0), (x: 5000.0, y: -5000.0), (x: 5000.0, y: 5000.0), (x: 0.0, y: 5000.0)];
//! let areas = FootprintAreas::new(vec![MultiPolygon::new(vec![a])], 500.0);
//! let mut fp = DailyFootprint::default();
//! fp.add(7, 20_000, &areas.weights((-3000.0, 0.0))); // wholly outside
//! fp.add(7, 20_000, &areas.weights((0.0, 0.0)));     // centred on A's edge
//! let totals = fp.totals(&[0], 1);
//! assert_eq!(totals.footprint(0), 0.25);
//! assert_eq!(totals.outside(), 0.75);
//! assert_eq!((totals.phone_days[0], totals.unique_phones[0]), (1, 1));
//! ```

mod day_towers;
mod engine;
mod keys;
mod phone_days;
mod table;
pub use engine::{At, FootprintEngine, Prepared, Record, PHONE_SHARES};
pub use keys::KeyMap;

use crate::geom::{overlapping_pairs, union_parts, PolygonIndex};
use geo::MultiPolygon;
use rustc_hash::FxHashMap;
use std::f64::consts::PI;

/// The disc radii taken, in metres: below 1 m a disc is smaller than the
/// precision of a tower's position; beyond 100 km no cell reaches, and a disc
/// covering a county gives every area a share too small to tell apart.
pub const RADIUS_RANGE: (f64, f64) = (1.0, 100_000.0);

/// A disc radius out of [`RADIUS_RANGE`].
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error(
    "radius {0}: expected a disc radius in metres from {lo} to {hi} (the method's is 500)",
    lo = RADIUS_RANGE.0,
    hi = RADIUS_RANGE.1
)]
pub struct RadiusError(pub f64);

/// `radius` when it is within [`RADIUS_RANGE`].
pub fn check_radius(radius: f64) -> Result<f64, RadiusError> {
    let (lo, hi) = RADIUS_RANGE;
    if (lo..=hi).contains(&radius) {
        Ok(radius)
    } else {
        Err(RadiusError(radius))
    }
}

/// The footprint method's settings (SPEC §4.3), checked when made; the
/// default is the method's: 500 m discs, areas of fewer than 3 phones blanked.
///
/// ```
/// use stratmap_core::FootprintMethod;
/// assert_eq!(FootprintMethod::default(), FootprintMethod::new(500.0, 3).unwrap());
/// assert!(FootprintMethod::new(1e9, 3).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FootprintMethod {
    radius: f64,
    /// Areas touched by fewer distinct phones are blanked; 0 turns it off.
    pub min_phones: u64,
}

impl Default for FootprintMethod {
    fn default() -> Self {
        FootprintMethod {
            radius: 500.0,
            min_phones: 3,
        }
    }
}

impl FootprintMethod {
    /// The settings, when the radius is within [`RADIUS_RANGE`].
    pub fn new(radius: f64, min_phones: u64) -> Result<Self, RadiusError> {
        Ok(FootprintMethod {
            radius: check_radius(radius)?,
            min_phones,
        })
    }

    /// The disc radius in metres.
    pub fn radius(&self) -> f64 {
        self.radius
    }
}

/// One disc's fraction in fixed point: 2⁶² is the whole disc.
pub const DISC_ONE: u64 = 1 << 62;
/// A phone-day's share in fixed point: 2⁶² is one phone-day.
const DAY_ONE: u128 = 1 << 62;
/// Significant bits kept of a disc's fraction: finer than any figure shows,
/// coarse enough that the geometry's rounding (about 10⁻¹⁶ of a disc) does
/// not show either (a disc centred on a straight edge is exactly one half).
const FRACTION_BITS: u32 = 40;

/// How one record's disc falls over the areas, in fixed point (2⁶² = the
/// whole disc): the areas it overlaps by a positive area, in area order (each
/// at least 1, so a touch is never lost), and the part outside every area.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiscWeights {
    /// Area number and the disc's part in it, ascending by area number.
    pub areas: Vec<(u32, u64)>,
    /// The disc's part in no area.
    pub outside: u64,
}

impl DiscWeights {
    /// The fraction of the disc in area `a` (0 when it does not overlap).
    ///
    /// ```
    /// use stratmap_core::{DiscWeights, DISC_ONE};
    /// let w = DiscWeights { areas: vec![(2, DISC_ONE / 4)], outside: DISC_ONE / 4 * 3 };
    /// assert_eq!((w.fraction(2), w.fraction(0)), (0.25, 0.0));
    /// ```
    pub fn fraction(&self, a: u32) -> f64 {
        self.areas
            .iter()
            .find(|(i, _)| *i == a)
            .map_or(0.0, |(_, q)| *q as f64 / DISC_ONE as f64)
    }
}

/// A fraction of a disc in fixed point, to [`FRACTION_BITS`] significant bits.
fn fixed(fraction: f64) -> u64 {
    let q = (fraction.clamp(0.0, 1.0) * DISC_ONE as f64).round() as u64;
    let drop = (u64::BITS - q.leading_zeros()).saturating_sub(FRACTION_BITS);
    if drop == 0 {
        q
    } else {
        ((q + (1 << (drop - 1))) >> drop) << drop
    }
}

/// The area polygons (in a projected CRS, metres) and the disc radius.
pub struct FootprintAreas {
    index: PolygonIndex,
    /// The union of the areas, when some overlap: a disc's part outside every
    /// area is then not 1 minus the sum of its parts in each.
    coverage: Option<PolygonIndex>,
    /// Overlapping pairs of areas (i < j) and the overlap in m².
    pub overlaps: Vec<(usize, usize, f64)>,
    /// Disc radius, metres.
    pub radius: f64,
}

impl FootprintAreas {
    /// Indexes the areas for discs of `radius` metres and finds the pairs that
    /// overlap.
    pub fn new(areas: Vec<MultiPolygon<f64>>, radius: f64) -> Self {
        let index = PolygonIndex::new(areas);
        let overlaps = overlapping_pairs(&index);
        Self::indexed(index, overlaps, radius)
    }

    /// [`FootprintAreas::new`] for areas whose overlapping pairs are known
    /// already (as [`overlapping_pairs`] finds them), so they are not sought
    /// twice.
    pub fn with_overlaps(
        areas: Vec<MultiPolygon<f64>>,
        overlaps: Vec<(usize, usize, f64)>,
        radius: f64,
    ) -> Self {
        Self::indexed(PolygonIndex::new(areas), overlaps, radius)
    }

    fn indexed(index: PolygonIndex, overlaps: Vec<(usize, usize, f64)>, radius: f64) -> Self {
        let coverage = (!overlaps.is_empty()).then(|| PolygonIndex::new(union_parts(&index)));
        FootprintAreas {
            index,
            coverage,
            overlaps,
            radius,
        }
    }

    /// The areas the disc around `c` overlaps by a positive area, with the
    /// fraction of the disc in each, |D ∩ A| / |D|, in area order.
    pub fn fractions(&self, c: (f64, f64)) -> Vec<(usize, f64)> {
        let disc = PI * self.radius * self.radius;
        self.index
            .disc_overlaps(c, self.radius)
            .into_iter()
            .map(|(i, a)| (i, (a / disc).min(1.0)))
            .collect()
    }

    /// The weights of the discs around each of `points`, in parallel (a
    /// tower's are computed once, then looked up by its records).
    pub fn weights_of(&self, points: &[(f64, f64)]) -> Vec<DiscWeights> {
        use rayon::prelude::*;
        points.par_iter().map(|p| self.weights(*p)).collect()
    }

    /// The weights of the disc around `c`. An area the disc overlaps by a
    /// positive area gets at least 1 (2⁻⁶² of the disc), so that it is
    /// touched however small the overlap.
    pub fn weights(&self, c: (f64, f64)) -> DiscWeights {
        let disc = PI * self.radius * self.radius;
        let areas: Vec<(u32, u64)> = self
            .fractions(c)
            .into_iter()
            .map(|(i, f)| (i as u32, fixed(f).max(1)))
            .collect();
        let outside = match &self.coverage {
            None => DISC_ONE.saturating_sub(areas.iter().map(|(_, q)| q).sum()),
            Some(cov) => {
                let covered: f64 = cov
                    .disc_overlaps(c, self.radius)
                    .iter()
                    .map(|(_, a)| a)
                    .sum();
                fixed(((disc - covered) / disc).max(0.0))
            }
        };
        DiscWeights { areas, outside }
    }
}

/// A sum of disc weights in 96 bits (`hi`·2⁶⁴ + `lo`): 2³⁴ whole discs, so
/// a phone's day can have billions of records. Kept with its area number in
/// 16 bytes.
#[derive(Debug, Clone, Copy, Default)]
struct AreaSum {
    lo: u64,
    hi: u32,
    area: u32,
}

impl AreaSum {
    fn add(&mut self, q: u64) {
        let (lo, carry) = self.lo.overflowing_add(q);
        self.lo = lo;
        self.hi = self.hi.saturating_add(u32::from(carry));
    }

    fn value(&self) -> u128 {
        (u128::from(self.hi) << 64) | u128::from(self.lo)
    }
}

/// One phone's records on one day: how many, and the sums of their weights.
#[derive(Debug, Clone, Default)]
struct PhoneDay {
    /// The part outside every area (its `area` is unused).
    outside: AreaSum,
    n: u32,
    /// Sorted by area.
    areas: Vec<AreaSum>,
}

/// The records of many phones and days, summed as they stream in. Memory
/// grows with the distinct phone-days (and the areas each touched), not with
/// the records. Phones are numbered by the caller; their ids never come here.
#[derive(Debug, Clone, Default)]
pub struct DailyFootprint {
    days: FxHashMap<(u32, i32), PhoneDay>,
}

impl DailyFootprint {
    /// Adds one record of `phone` on `day` (any day number, e.g. days since
    /// the epoch in the analysis time zone).
    pub fn add(&mut self, phone: u32, day: i32, w: &DiscWeights) {
        let pd = self.days.entry((phone, day)).or_default();
        pd.n = pd.n.saturating_add(1);
        pd.outside.add(w.outside);
        for &(a, q) in &w.areas {
            match pd.areas.binary_search_by_key(&a, |e| e.area) {
                Ok(k) => pd.areas[k].add(q),
                Err(k) => pd.areas.insert(
                    k,
                    AreaSum {
                        lo: q,
                        hi: 0,
                        area: a,
                    },
                ),
            }
        }
    }

    /// Distinct (phone, day) pairs added so far.
    pub fn phone_days(&self) -> usize {
        self.days.len()
    }

    /// The totals per area; `category[a]` is area a's category number, of
    /// `categories` in all.
    pub fn totals(&self, category: &[u32], categories: usize) -> FootprintTotals {
        // by phone, so that a phone's days come together for the unique counts
        let mut days: Vec<(&(u32, i32), &PhoneDay)> = self.days.iter().collect();
        days.sort_unstable_by_key(|(key, _)| **key);
        let mut t = phone_days::Tally::new(category, categories);
        for (&(phone, _), pd) in days {
            t.add_sums(pd);
            t.close_day(phone, u64::from(pd.n));
        }
        t.totals
    }
}

/// Integer totals of a [`DailyFootprint`]; totals of disjoint sets of phones
/// add up with [`FootprintTotals::merge`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FootprintTotals {
    /// Per area, in units of 2⁻⁶² phone-days.
    footprint: Vec<u128>,
    /// Per area, the distinct phone-days with a record whose disc overlaps it.
    pub phone_days: Vec<u64>,
    /// Per area, the distinct phones with a record whose disc overlaps it.
    pub unique_phones: Vec<u64>,
    /// Distinct phones per category (with a record overlapping any of its areas).
    pub category_phones: Vec<u64>,
    outside: u128,
    /// Distinct phone-days in all, each worth 1.0 of footprint.
    pub total_phone_days: u64,
}

impl FootprintTotals {
    /// All zero, for `areas` areas and `categories` categories.
    pub fn new(areas: usize, categories: usize) -> Self {
        FootprintTotals {
            footprint: vec![0; areas],
            phone_days: vec![0; areas],
            unique_phones: vec![0; areas],
            category_phones: vec![0; categories],
            outside: 0,
            total_phone_days: 0,
        }
    }

    /// Adds the totals of another set of phones (no phone in both).
    pub fn merge(&mut self, o: &FootprintTotals) {
        let add = |a: &mut [u64], b: &[u64]| a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        self.footprint
            .iter_mut()
            .zip(&o.footprint)
            .for_each(|(x, y)| *x += y);
        add(&mut self.phone_days, &o.phone_days);
        add(&mut self.unique_phones, &o.unique_phones);
        add(&mut self.category_phones, &o.category_phones);
        self.outside += o.outside;
        self.total_phone_days += o.total_phone_days;
    }

    /// Area a's footprint in phone-days.
    pub fn footprint(&self, a: usize) -> f64 {
        self.footprint[a] as f64 / DAY_ONE as f64
    }

    /// The footprint outside every area, in phone-days.
    pub fn outside(&self) -> f64 {
        self.outside as f64 / DAY_ONE as f64
    }
}

/// Police area categories in the order their reports list them; other
/// categories follow in alphabetical order.
pub const CATEGORY_ORDER: [&str; 4] = ["SUO", "RO", "UO", "reported"];

/// One area's row of `footprint.geojson`; `None` is blank (suppressed or,
/// for `share_pct`, no phone-day at all).
#[derive(Debug, Clone, PartialEq)]
pub struct AreaFootprint {
    /// Sum of the area's share of every record, in phone-days.
    pub footprint: Option<f64>,
    /// Distinct phone-days with a record whose disc overlaps the area.
    pub phone_days: Option<u64>,
    /// Distinct phones with a record whose disc overlaps the area.
    pub unique_phones: Option<u64>,
    /// `footprint` / all phone-days × 100.
    pub share_pct: Option<f64>,
    /// Blanked by disclosure control, to protect it or (secondary) another figure.
    pub suppressed: bool,
}

/// One row of `footprint_by_category.csv`; `None` is blank: suppressed, or
/// nothing to compute it from (no phone-day for a share, no shown area for a
/// mean, minimum or maximum).
#[derive(Debug, Clone, PartialEq)]
pub struct CategoryFootprint {
    /// A category, `outside` or `total`.
    pub category: String,
    /// Number of areas in the category (every area for `total`); `None` for `outside`.
    pub areas: Option<usize>,
    /// Footprint in phone-days: the sum of the category's areas' (for `outside`,
    /// the part in no area; for `total`, all phone-days).
    pub footprint: Option<f64>,
    /// `footprint` / all phone-days × 100.
    pub share_pct: Option<f64>,
    /// Mean footprint of the category's areas that are not blanked.
    pub footprint_mean: Option<f64>,
    /// Smallest footprint of the category's areas that are not blanked.
    pub footprint_min: Option<f64>,
    /// Largest footprint of the category's areas that are not blanked.
    pub footprint_max: Option<f64>,
    /// Mean `unique_phones` of the category's areas that are not blanked.
    pub unique_phones_mean: Option<f64>,
    /// Smallest `unique_phones` of the category's areas that are not blanked.
    pub unique_phones_min: Option<u64>,
    /// Largest `unique_phones` of the category's areas that are not blanked.
    pub unique_phones_max: Option<u64>,
    /// Blanked by disclosure control.
    pub suppressed: bool,
}

/// The footprint per area and per category, with disclosure control.
#[derive(Debug, Clone, PartialEq)]
pub struct FootprintReport {
    /// One per area, in the order of the areas.
    pub areas: Vec<AreaFootprint>,
    /// The categories in report order (see [`category_numbers`]), then `outside`
    /// and `total`.
    pub categories: Vec<CategoryFootprint>,
    /// Areas blanked: because fewer than `min_phones` phones touched them,
    /// or to protect those (secondary suppression).
    pub suppressed: usize,
    /// Of them, the areas blanked to protect others.
    pub secondary: usize,
}

/// The categories of the areas, numbered in report order: each area's
/// category number, and the categories by number.
///
/// ```
/// use stratmap_core::category_numbers;
/// let cats = ["UO", "SUO", "park", "UO"].map(String::from);
/// let (numbers, names) = category_numbers(&cats);
/// assert_eq!(numbers, [1, 0, 2, 1]);
/// assert_eq!(names, ["SUO", "UO", "park"]);
/// ```
pub fn category_numbers(categories: &[String]) -> (Vec<u32>, Vec<String>) {
    let mut names: Vec<String> = categories.to_vec();
    let rank = |c: &String| {
        CATEGORY_ORDER
            .iter()
            .position(|k| k == c)
            .unwrap_or(CATEGORY_ORDER.len())
    };
    names.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.cmp(b)));
    names.dedup();
    let numbers = categories
        .iter()
        .map(|c| names.binary_search_by(|n| rank(n).cmp(&rank(c)).then_with(|| n.cmp(c))))
        .map(|r| r.map_or(u32::MAX, |k| k as u32))
        .collect();
    (numbers, names)
}

/// The cells of the published footprint tables and how they add up: the
/// areas' footprints, each category's (the sum of its areas'), the part
/// outside every area, and the total (outside plus the categories; the
/// total is always published). Used to find which blanked figures could be
/// worked out from the published ones by adding and subtracting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TableCell {
    /// Area number a's footprint.
    Area(usize),
    /// Category number k's footprint: the sum of its areas'.
    Category(usize),
    /// The footprint outside every area.
    Outside,
}

/// The blanked cells that the published figures give away: those a sum of
/// published figures, with signs, equals. `blank` marks the blanked cells;
/// `category[a]` is area a's category, of `categories`.
///
/// The relations are: each category = the sum of its areas; total =
/// outside + the sum of the categories. A blanked cell x is given away
/// exactly when the unit vector of x lies in the row space of the relations
/// restricted to the blanked cells (reduced row echelon form: some row is x
/// alone).
pub fn disclosed(
    category: &[u32],
    categories: usize,
    blank: &dyn Fn(TableCell) -> bool,
) -> Vec<TableCell> {
    let mut cells: Vec<TableCell> = (0..category.len())
        .map(TableCell::Area)
        .chain((0..categories).map(TableCell::Category))
        .chain(std::iter::once(TableCell::Outside))
        .filter(|c| blank(*c))
        .collect();
    cells.sort();
    if cells.is_empty() {
        return Vec::new();
    }
    let col = |c: TableCell| cells.binary_search(&c).ok();
    // one row per relation, over the blanked cells only
    let mut rows: Vec<Vec<f64>> = Vec::with_capacity(categories + 1);
    for c in 0..categories {
        let mut row = vec![0.0; cells.len()];
        if let Some(k) = col(TableCell::Category(c)) {
            row[k] = 1.0;
        }
        for (a, &ca) in category.iter().enumerate() {
            if ca as usize == c {
                if let Some(k) = col(TableCell::Area(a)) {
                    row[k] = -1.0;
                }
            }
        }
        rows.push(row);
    }
    let mut top = vec![0.0; cells.len()];
    for c in 0..categories {
        if let Some(k) = col(TableCell::Category(c)) {
            top[k] = 1.0;
        }
    }
    if let Some(k) = col(TableCell::Outside) {
        top[k] = 1.0;
    }
    // a category with no areas is 0 by its relation: its row says so
    rows.push(top);
    rows.retain(|r| r.iter().any(|v| *v != 0.0));
    // reduced row echelon form (the entries are small integers and halves)
    let eps = 1e-9;
    let mut pivot_row = 0;
    for k in 0..cells.len() {
        let Some(p) = (pivot_row..rows.len()).find(|&i| rows[i][k].abs() > eps) else {
            continue;
        };
        rows.swap(pivot_row, p);
        let pv = rows[pivot_row][k];
        rows[pivot_row].iter_mut().for_each(|v| *v /= pv);
        let prow = rows[pivot_row].clone();
        for (i, row) in rows.iter_mut().enumerate() {
            if i != pivot_row && row[k].abs() > eps {
                let f = row[k];
                row.iter_mut().zip(&prow).for_each(|(v, p)| *v -= f * p);
            }
        }
        pivot_row += 1;
        if pivot_row == rows.len() {
            break;
        }
    }
    let mut out: Vec<TableCell> = rows
        .iter()
        .filter_map(|r| {
            let mut nz = r.iter().enumerate().filter(|(_, v)| v.abs() > eps);
            match (nz.next(), nz.next()) {
                (Some((k, _)), None) => Some(cells[k]),
                _ => None,
            }
        })
        .collect();
    out.sort();
    out
}

impl FootprintReport {
    /// Per area and category, with disclosure control. Primary: an area
    /// touched by fewer than `min_phones` distinct phones is blanked
    /// (footprint, phone_days, unique_phones and, since it gives the
    /// footprint away, share_pct); so is a category whose areas together
    /// were touched by fewer. Secondary (complementary, as statistical
    /// offices do): while a blanked figure follows from the published ones
    /// by adding and subtracting (see [`disclosed`]), one more figure is
    /// blanked beside it — in the same category an area, else the category
    /// row; for a category or `outside`, another category row or `outside`
    /// (one whose areas are all shown last, as it would need one of them
    /// blanked too) — choosing the smallest footprint at least as large as
    /// the one to protect (so that the pair's sum does not pin it down),
    /// else the largest. A category's means, minima and maxima are over its areas
    /// that are not blanked.
    pub fn new(
        totals: &FootprintTotals,
        category: &[u32],
        names: &[String],
        min_phones: u64,
    ) -> Self {
        let n_areas = category.len();
        let n_cat = names.len();
        let total = totals.total_phone_days as f64;
        let members: Vec<Vec<usize>> = (0..n_cat)
            .map(|c| {
                (0..n_areas)
                    .filter(|&a| category[a] as usize == c)
                    .collect()
            })
            .collect();
        let cat_fp: Vec<u128> = members
            .iter()
            .map(|m| m.iter().map(|&a| totals.footprint[a]).sum())
            .collect();
        let mut area_blank: Vec<bool> = (0..n_areas)
            .map(|a| totals.unique_phones[a] < min_phones)
            .collect();
        let primary = area_blank.iter().filter(|b| **b).count();
        let mut cat_blank: Vec<bool> = (0..n_cat)
            .map(|c| totals.category_phones.get(c).copied().unwrap_or(0) < min_phones)
            .collect();
        let mut outside_blank = false;
        let value = |c: TableCell| match c {
            TableCell::Area(a) => totals.footprint[a],
            TableCell::Category(k) => cat_fp[k],
            TableCell::Outside => totals.outside,
        };
        loop {
            // Blanking a category row whose areas are all shown gives it
            // away by their sum, and an area must go too: such candidates
            // come last. Then the smallest candidate at least `v`, else the
            // largest; ties by order.
            let cascades = |c: TableCell| match c {
                TableCell::Category(k) => members[k].iter().all(|&a| !area_blank[a]),
                _ => false,
            };
            let choose = |cands: Vec<TableCell>, v: u128| -> Option<TableCell> {
                let above = cands
                    .iter()
                    .filter(|c| value(**c) >= v)
                    .min_by_key(|c| (cascades(**c), value(**c), **c));
                above
                    .or_else(|| {
                        cands
                            .iter()
                            .max_by_key(|c| (!cascades(**c), value(**c), std::cmp::Reverse(**c)))
                    })
                    .copied()
            };
            let blank = |c: TableCell| match c {
                TableCell::Area(a) => area_blank[a],
                TableCell::Category(k) => cat_blank[k],
                TableCell::Outside => outside_blank,
            };
            // a category or outside first: protecting it often protects its areas
            let found = disclosed(category, n_cat, &blank);
            let Some(&x) = found
                .iter()
                .find(|c| !matches!(c, TableCell::Area(_)))
                .or(found.first())
            else {
                break;
            };
            let v = value(x);
            let open_areas = |k: usize| -> Vec<TableCell> {
                members[k]
                    .iter()
                    .filter(|&&a| !area_blank[a])
                    .map(|&a| TableCell::Area(a))
                    .collect()
            };
            let open_top = |except: TableCell| -> Vec<TableCell> {
                (0..n_cat)
                    .filter(|&k| !cat_blank[k])
                    .map(TableCell::Category)
                    .chain((!outside_blank).then_some(TableCell::Outside))
                    .filter(|c| *c != except)
                    .collect()
            };
            let pick = match x {
                TableCell::Area(a) => {
                    let k = category[a] as usize;
                    choose(open_areas(k), v).or((!cat_blank.get(k).copied().unwrap_or(true))
                        .then_some(TableCell::Category(k)))
                }
                // given away by the sum of its shown areas: blank one of them
                TableCell::Category(k) if cascades(x) => choose(open_areas(k), v),
                _ => choose(open_top(x), v),
            };
            // whatever is still published, when the rules above find nothing
            let pick = pick.or_else(|| {
                choose(
                    (0..n_areas)
                        .filter(|&a| !area_blank[a])
                        .map(TableCell::Area)
                        .chain(open_top(x))
                        .collect(),
                    v,
                )
            });
            match pick {
                Some(TableCell::Area(a)) => area_blank[a] = true,
                Some(TableCell::Category(k)) => cat_blank[k] = true,
                Some(TableCell::Outside) => outside_blank = true,
                // everything is blank but the total: nothing more to do
                None => break,
            }
        }
        let share = |f: f64| (total > 0.0).then(|| f / total * 100.0);
        let areas: Vec<AreaFootprint> = (0..n_areas)
            .map(|a| {
                let suppressed = area_blank[a];
                let f = totals.footprint(a);
                AreaFootprint {
                    footprint: (!suppressed).then_some(f),
                    phone_days: (!suppressed).then_some(totals.phone_days[a]),
                    unique_phones: (!suppressed).then_some(totals.unique_phones[a]),
                    share_pct: if suppressed { None } else { share(f) },
                    suppressed,
                }
            })
            .collect();
        let row = |name: &str, members: &[usize], footprint: f64, suppressed: bool| {
            let shown: Vec<&AreaFootprint> = members
                .iter()
                .map(|&a| &areas[a])
                .filter(|a| !a.suppressed)
                .collect();
            let fps: Vec<f64> = shown.iter().filter_map(|a| a.footprint).collect();
            let phones: Vec<u64> = shown.iter().filter_map(|a| a.unique_phones).collect();
            let mean = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
            let phones_f: Vec<f64> = phones.iter().map(|&p| p as f64).collect();
            let shown_if = |v: Option<f64>| if suppressed { None } else { v };
            CategoryFootprint {
                category: name.to_string(),
                areas: Some(members.len()),
                footprint: (!suppressed).then_some(footprint),
                share_pct: shown_if(share(footprint)),
                footprint_mean: shown_if(mean(&fps)),
                footprint_min: shown_if(fps.iter().copied().reduce(f64::min)),
                footprint_max: shown_if(fps.iter().copied().reduce(f64::max)),
                unique_phones_mean: shown_if(mean(&phones_f)),
                unique_phones_min: phones.iter().copied().min().filter(|_| !suppressed),
                unique_phones_max: phones.iter().copied().max().filter(|_| !suppressed),
                suppressed,
            }
        };
        let mut categories = Vec::new();
        for (c, name) in names.iter().enumerate() {
            categories.push(row(
                name,
                &members[c],
                cat_fp[c] as f64 / DAY_ONE as f64,
                cat_blank[c],
            ));
        }
        let mut outside = row("outside", &[], totals.outside(), outside_blank);
        outside.areas = None;
        categories.push(outside);
        let all: Vec<usize> = (0..n_areas).collect();
        categories.push(row("total", &all, total, false));
        let suppressed = area_blank.iter().filter(|b| **b).count();
        FootprintReport {
            suppressed,
            secondary: suppressed - primary,
            areas,
            categories,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![
            polygon![(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1)],
        ])
    }

    /// Two areas side by side (x 0–5000 and 5000–10000) and a third far off.
    fn town() -> FootprintAreas {
        FootprintAreas::new(
            vec![
                rect(0.0, 0.0, 5000.0, 5000.0),
                rect(5000.0, 0.0, 10000.0, 5000.0),
                rect(50_000.0, 0.0, 55_000.0, 5000.0),
            ],
            500.0,
        )
    }

    #[test]
    fn the_methods_example() {
        let areas = town();
        let mut fp = DailyFootprint::default();
        fp.add(1, 0, &areas.weights((-2000.0, 2500.0)));
        fp.add(1, 0, &areas.weights((0.0, 2500.0)));
        let t = fp.totals(&[0, 0, 1], 2);
        assert_eq!(t.footprint(0), 0.25);
        assert_eq!(t.outside(), 0.75);
        assert_eq!(t.footprint(1), 0.0);
        assert_eq!(t.total_phone_days, 1);
    }

    #[test]
    fn days_phones_and_shares() {
        let areas = town();
        let mut fp = DailyFootprint::default();
        let mid = areas.weights((5000.0, 2500.0)); // half in area 0, half in area 1
        assert_eq!(mid.areas, vec![(0, DISC_ONE / 2), (1, DISC_ONE / 2)]);
        assert_eq!(mid.outside, 0);
        let inside0 = areas.weights((2500.0, 2500.0));
        fp.add(1, 0, &mid); // phone 1, day 0: 0.5 / 0.5
        fp.add(1, 1, &inside0); // phone 1, day 1: 1.0 in area 0
        fp.add(2, 0, &inside0); // phone 2, day 0: three records, two in area 0
        fp.add(2, 0, &inside0);
        fp.add(2, 0, &areas.weights((20_000.0, 0.0)));
        let t = fp.totals(&[0, 1, 0], 2);
        assert_eq!(t.total_phone_days, 3);
        assert!((t.footprint(0) - (0.5 + 1.0 + 2.0 / 3.0)).abs() < 1e-15);
        assert_eq!(t.footprint(1), 0.5);
        assert!((t.outside() - 1.0 / 3.0).abs() < 1e-15);
        assert_eq!(t.phone_days, vec![3, 1, 0]);
        assert_eq!(t.unique_phones, vec![2, 1, 0]);
        assert_eq!(t.category_phones, vec![2, 1]);
        // every phone-day is worth 1.0
        let sum: f64 = (0..3).map(|a| t.footprint(a)).sum::<f64>() + t.outside();
        assert!((sum - 3.0).abs() < 1e-15);
    }

    #[test]
    fn order_and_split_do_not_change_totals() {
        let areas = town();
        let pts: Vec<(u32, i32, (f64, f64))> = (0..400u32)
            .map(|i| {
                let k = f64::from(i);
                (
                    i % 7,
                    (i % 3) as i32,
                    ((k * 37.3) % 11_000.0 - 500.0, (k * 91.7) % 6000.0 - 500.0),
                )
            })
            .collect();
        let mut a = DailyFootprint::default();
        for (p, d, c) in &pts {
            a.add(*p, *d, &areas.weights(*c));
        }
        // reversed order, split by phone into two halves and merged
        let (mut b1, mut b2) = (DailyFootprint::default(), DailyFootprint::default());
        for (p, d, c) in pts.iter().rev() {
            let b = if p % 2 == 0 { &mut b1 } else { &mut b2 };
            b.add(*p, *d, &areas.weights(*c));
        }
        let cat = [0, 0, 1];
        let mut merged = b1.totals(&cat, 2);
        merged.merge(&b2.totals(&cat, 2));
        assert_eq!(a.totals(&cat, 2), merged);
    }

    #[test]
    fn overlapping_areas_do_not_count_outside_twice() {
        // area 1 lies inside area 0
        let areas = FootprintAreas::new(
            vec![
                rect(0.0, 0.0, 5000.0, 5000.0),
                rect(0.0, 0.0, 2500.0, 5000.0),
            ],
            500.0,
        );
        assert_eq!(areas.overlaps.len(), 1);
        assert!((areas.overlaps[0].2 - 2500.0 * 5000.0).abs() < 1e-6);
        let w = areas.weights((0.0, 2500.0));
        assert_eq!(w.fraction(0), 0.5);
        assert_eq!(w.fraction(1), 0.5);
        assert_eq!(w.outside, DISC_ONE / 2);
    }

    #[test]
    fn disclosure_control_and_categories() {
        let areas = town();
        let mut fp = DailyFootprint::default();
        for phone in 0..3 {
            fp.add(phone, 0, &areas.weights((2500.0, 2500.0)));
        }
        fp.add(9, 0, &areas.weights((7500.0, 2500.0)));
        // two phone-days wholly outside
        fp.add(10, 0, &areas.weights((30_000.0, 2500.0)));
        fp.add(11, 0, &areas.weights((30_000.0, 2500.0)));
        let (cat, names) = category_numbers(&["reported".into(), "SUO".into(), "SUO".into()]);
        assert_eq!(names, ["SUO", "reported"]);
        assert_eq!(cat, [1, 0, 0]);
        let t = fp.totals(&cat, names.len());
        let r = FootprintReport::new(&t, &cat, &names, 3);
        assert_eq!((r.suppressed, r.secondary), (2, 0));
        assert_eq!(r.areas[0].footprint, Some(3.0));
        assert_eq!(r.areas[0].share_pct, Some(50.0));
        assert_eq!(r.areas[1].footprint, None);
        assert!(r.areas[1].suppressed);
        assert_eq!(r.areas[1].share_pct, None);
        let by: Vec<&str> = r.categories.iter().map(|c| c.category.as_str()).collect();
        assert_eq!(by, ["SUO", "reported", "outside", "total"]);
        // SUO: one phone over its two areas → blanked; reported: 3 phones
        assert!(r.categories[0].suppressed && r.categories[0].footprint.is_none());
        assert_eq!(r.categories[0].areas, Some(2));
        assert_eq!(r.categories[1].footprint, Some(3.0));
        assert_eq!(r.categories[1].unique_phones_max, Some(3));
        // SUO = total − outside − reported: so outside (2 ≥ SUO's 1) is blanked too
        assert!(r.categories[2].suppressed && r.categories[2].footprint.is_none());
        assert_eq!(r.categories[2].areas, None);
        assert_eq!(r.categories[3].footprint, Some(6.0));
        assert_eq!(r.categories[3].share_pct, Some(100.0));
        // total row statistics are over areas shown: only area 0
        assert_eq!(r.categories[3].footprint_mean, Some(3.0));
        // disclosure control off
        let r = FootprintReport::new(&t, &cat, &names, 0);
        assert_eq!(r.suppressed, 0);
        assert_eq!(r.areas[1].footprint, Some(1.0));
        assert_eq!(r.areas[2].footprint, Some(0.0));
    }

    /// The issue's case: two UO areas, one touched by 1 phone. The UO row
    /// less the published area, or total − outside − the published areas,
    /// would give it away: a second UO area is blanked.
    #[test]
    fn secondary_suppression_in_a_category() {
        let areas = town();
        let mut fp = DailyFootprint::default();
        for phone in 0..5 {
            fp.add(phone, 0, &areas.weights((2500.0, 2500.0))); // area 0
        }
        fp.add(7, 0, &areas.weights((7500.0, 2500.0))); // area 1: 1 phone
        for phone in 20..26 {
            fp.add(phone, 0, &areas.weights((52_500.0, 2500.0))); // area 2
            fp.add(phone, 1, &areas.weights((30_000.0, 2500.0))); // outside
        }
        let (cat, names) = category_numbers(&["UO".into(), "UO".into(), "RO".into()]);
        let t = fp.totals(&cat, names.len());
        let r = FootprintReport::new(&t, &cat, &names, 3);
        assert_eq!((r.suppressed, r.secondary), (2, 1));
        assert!(r.areas[0].suppressed && r.areas[1].suppressed && !r.areas[2].suppressed);
        assert_eq!(r.areas[2].footprint, Some(6.0));
        // the UO row stays: it is the sum of two blanked areas (5 + 1)
        let uo = r.categories.iter().find(|c| c.category == "UO").unwrap();
        assert_eq!(uo.footprint, Some(6.0));
        assert_eq!(uo.footprint_mean, None);
        assert!(published_give_nothing_away(&r, &cat, names.len()));
    }

    /// Tries every sum and difference of the tables' relations (each taken
    /// −1, 0 or +1 times): if one leaves a single blanked figure, that figure
    /// follows from published ones. Independent of [`disclosed`].
    fn published_give_nothing_away(r: &FootprintReport, cat: &[u32], n_cat: usize) -> bool {
        // relation rows over cells: areas, then categories, then outside
        let n = cat.len() + n_cat + 1;
        let mut rel: Vec<Vec<i32>> = Vec::new();
        for c in 0..n_cat {
            let mut row = vec![0; n];
            row[cat.len() + c] = 1;
            for (a, &k) in cat.iter().enumerate() {
                if k as usize == c {
                    row[a] = -1;
                }
            }
            rel.push(row);
        }
        let mut top = vec![0; n];
        top[cat.len()..].iter_mut().for_each(|v| *v = 1);
        rel.push(top);
        let blank: Vec<bool> = r
            .areas
            .iter()
            .map(|a| a.suppressed)
            .chain(r.categories[..n_cat + 1].iter().map(|c| c.suppressed))
            .collect();
        let combos = 3usize.pow(rel.len() as u32);
        for code in 1..combos {
            let mut sum = vec![0; n];
            let mut k = code;
            for row in &rel {
                let l = (k % 3) as i32 - 1;
                k /= 3;
                sum.iter_mut().zip(row).for_each(|(s, v)| *s += l * v);
            }
            let hidden = (0..n).filter(|&i| blank[i] && sum[i] != 0).count();
            if hidden == 1 {
                return false;
            }
        }
        true
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
        /// On random towns of up to 12 areas in up to 4 categories, with
        /// random phones, no blanked figure follows from the published ones,
        /// and every area below the threshold is blanked.
        #[test]
        fn no_blanked_figure_can_be_worked_out(
            area_cat in proptest::collection::vec(0u32..4, 1..12),
            phones in proptest::collection::vec((0u32..40, 0usize..13), 0..80),
            k in 1u64..5,
        ) {
            let n = area_cat.len();
            let rects: Vec<MultiPolygon<f64>> = (0..n)
                .map(|i| rect(i as f64 * 10_000.0, 0.0, i as f64 * 10_000.0 + 5000.0, 5000.0))
                .collect();
            let areas = FootprintAreas::new(rects, 500.0);
            let mut fp = DailyFootprint::default();
            for (phone, where_) in &phones {
                // 12 and above: outside every area
                let x = *where_ as f64 * 10_000.0 + 2500.0;
                fp.add(*phone, 0, &areas.weights((x, 2500.0)));
            }
            let names_in: Vec<String> = area_cat.iter().map(|c| ["SUO", "RO", "UO", "reported"][*c as usize].to_string()).collect();
            let (cat, names) = category_numbers(&names_in);
            let t = fp.totals(&cat, names.len());
            let r = FootprintReport::new(&t, &cat, &names, k);
            proptest::prop_assert!(published_give_nothing_away(&r, &cat, names.len()));
            for a in 0..n {
                if t.unique_phones[a] < k {
                    proptest::prop_assert!(r.areas[a].suppressed);
                }
            }
            proptest::prop_assert_eq!(r.categories.last().unwrap().footprint, Some(t.total_phone_days as f64));
        }
    }

    #[test]
    fn a_grazing_disc_touches_and_a_missing_one_gives_exactly_nothing() {
        let areas = town();
        // 1 cm into area 0 across its left edge at x = 0
        let w = areas.weights((-499.99, 2500.0));
        assert_eq!(w.areas.len(), 1);
        let exact = {
            let (r, d) = (500.0f64, 499.99f64);
            (r * r * (d / r).acos() - d * (r * r - d * d).sqrt()) / (PI * r * r)
        };
        let f = w.fraction(0);
        assert!(
            f > 0.0 && ((f - exact) / exact).abs() < 1e-6,
            "{f} vs {exact}"
        );
        let mut fp = DailyFootprint::default();
        fp.add(1, 0, &w);
        let t = fp.totals(&[0, 0, 0], 1);
        assert_eq!((t.phone_days[0], t.unique_phones[0]), (1, 1));
        assert!(((t.footprint(0) - exact) / exact).abs() < 1e-6);
        // a disc whose box meets the area's box but not the area: exactly nothing
        let l = FootprintAreas::new(
            vec![MultiPolygon::new(vec![
                polygon![(x: 0.0, y: 0.0), (x: 1000.0, y: 0.0), (x: 0.0, y: 1000.0)],
            ])],
            500.0,
        );
        let w = l.weights((900.0, 900.0));
        assert!(w.areas.is_empty());
        assert_eq!(w.outside, DISC_ONE);
        // wholly inside: exactly the whole disc
        assert_eq!(areas.weights((2500.0, 2500.0)).areas, vec![(0, DISC_ONE)]);
    }
}
