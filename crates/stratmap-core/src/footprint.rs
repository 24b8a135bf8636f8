//! Daily footprint, "dygnsavtryck" (SPEC §4.3): each phone's calendar day is
//! worth 1.0, split equally over its n records; a record's disc of radius r
//! around its position gives area A the share |D ∩ A| / |D| of the record's
//! 1/n, and the rest lies outside every area.
//!
//! Sums are kept in fixed point (integers), so the totals are exactly the same
//! whatever the order of the records or the number of threads: a record's
//! fraction of its disc is rounded to 2⁻³² and a phone-day's share of an area
//! to 2⁻⁶⁰, far below anything a map shows.
//!
//! The method's own example: a day of two records, one disc wholly outside
//! every area, one half inside area A, gives A 0.25 and outside 0.75.
//!
//! ```
//! use geo::{polygon, MultiPolygon};
//! use stratmap_core::footprint::{DailyFootprint, FootprintAreas};
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

use crate::geom::{overlapping_pairs, union_parts, PolygonIndex};
use geo::MultiPolygon;
use rustc_hash::FxHashMap;
use std::f64::consts::PI;

/// One disc's fraction in fixed point: 2³² is the whole disc.
const DISC_ONE: u64 = 1 << 32;
/// A phone-day's share in fixed point: 2⁶⁰ is one phone-day.
const DAY_ONE: u128 = 1 << 60;

/// How one record's disc falls over the areas, in fixed point (2³² = the
/// whole disc): the areas it overlaps by a positive area, in area order, and
/// the part outside every area.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiscWeights {
    pub areas: Vec<(u32, u64)>,
    pub outside: u64,
}

impl DiscWeights {
    /// The fraction of the disc in area `a` (0 when it does not overlap).
    pub fn fraction(&self, a: u32) -> f64 {
        self.areas
            .iter()
            .find(|(i, _)| *i == a)
            .map_or(0.0, |(_, q)| *q as f64 / DISC_ONE as f64)
    }
}

fn fixed(fraction: f64) -> u64 {
    (fraction.clamp(0.0, 1.0) * DISC_ONE as f64).round() as u64
}

/// The area polygons (in a projected CRS, metres) and the disc radius.
pub struct FootprintAreas {
    index: PolygonIndex,
    /// The union of the areas, when some overlap: a disc's part outside every
    /// area is then not 1 minus the sum of its parts in each.
    coverage: Option<PolygonIndex>,
    /// Overlapping pairs of areas (i < j) and the overlap in m².
    pub overlaps: Vec<(usize, usize, f64)>,
    pub radius: f64,
}

impl FootprintAreas {
    pub fn new(areas: Vec<MultiPolygon<f64>>, radius: f64) -> Self {
        let index = PolygonIndex::new(areas);
        let overlaps = overlapping_pairs(&index);
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

    /// The weights of the disc around `c`.
    pub fn weights(&self, c: (f64, f64)) -> DiscWeights {
        let disc = PI * self.radius * self.radius;
        let areas: Vec<(u32, u64)> = self
            .fractions(c)
            .into_iter()
            .map(|(i, f)| (i as u32, fixed(f)))
            .filter(|(_, q)| *q > 0)
            .collect();
        let outside = match &self.coverage {
            None => DISC_ONE.saturating_sub(areas.iter().map(|(_, q)| q).sum()),
            Some(cov) => {
                let covered: f64 = cov
                    .disc_overlaps(c, self.radius)
                    .iter()
                    .map(|(_, a)| a)
                    .sum();
                fixed(1.0 - covered / disc)
            }
        };
        DiscWeights { areas, outside }
    }
}

/// One phone's records on one day: how many, and the sums of their weights.
#[derive(Debug, Clone, Default)]
struct PhoneDay {
    n: u32,
    outside: u64,
    /// Sorted by area.
    areas: Vec<(u32, u64)>,
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
        pd.outside = pd.outside.saturating_add(w.outside);
        for &(a, q) in &w.areas {
            match pd.areas.binary_search_by_key(&a, |e| e.0) {
                Ok(k) => pd.areas[k].1 = pd.areas[k].1.saturating_add(q),
                Err(k) => pd.areas.insert(k, (a, q)),
            }
        }
    }

    pub fn phone_days(&self) -> usize {
        self.days.len()
    }

    /// The totals per area; `category[a]` is area a's category number, of
    /// `categories` in all.
    pub fn totals(&self, category: &[u32], categories: usize) -> FootprintTotals {
        let n_areas = category.len();
        let mut t = FootprintTotals::new(n_areas, categories);
        let share = |s: u64, n: u32| ((u128::from(s) << 28) + u128::from(n / 2)) / u128::from(n);
        // by phone, so that a phone's days come together for the unique counts
        let mut days: Vec<(&(u32, i32), &PhoneDay)> = self.days.iter().collect();
        days.sort_unstable_by_key(|(key, _)| **key);
        let mut seen_area: Vec<u32> = vec![u32::MAX; n_areas];
        let mut seen_cat: Vec<u32> = vec![u32::MAX; categories];
        for (&(phone, _), pd) in days {
            t.total_phone_days += 1;
            t.outside += share(pd.outside, pd.n);
            for &(a, s) in &pd.areas {
                let a = a as usize;
                if a >= n_areas {
                    continue;
                }
                t.footprint[a] += share(s, pd.n);
                t.phone_days[a] += 1;
                if seen_area[a] != phone {
                    seen_area[a] = phone;
                    t.unique_phones[a] += 1;
                }
                let c = category[a] as usize;
                if c < categories && seen_cat[c] != phone {
                    seen_cat[c] = phone;
                    t.category_phones[c] += 1;
                }
            }
        }
        t
    }
}

/// Integer totals of a [`DailyFootprint`]; totals of disjoint sets of phones
/// add up with [`FootprintTotals::merge`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FootprintTotals {
    /// Per area, in units of 2⁻⁶⁰ phone-days.
    footprint: Vec<u128>,
    pub phone_days: Vec<u64>,
    pub unique_phones: Vec<u64>,
    /// Distinct phones per category (with a record overlapping any of its areas).
    pub category_phones: Vec<u64>,
    outside: u128,
    pub total_phone_days: u64,
}

impl FootprintTotals {
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
    pub footprint: Option<f64>,
    pub phone_days: Option<u64>,
    pub unique_phones: Option<u64>,
    pub share_pct: Option<f64>,
    pub suppressed: bool,
}

/// One row of `footprint_by_category.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct CategoryFootprint {
    /// A category, `outside` or `total`.
    pub category: String,
    pub areas: Option<usize>,
    pub footprint: Option<f64>,
    pub share_pct: Option<f64>,
    pub footprint_mean: Option<f64>,
    pub footprint_min: Option<f64>,
    pub footprint_max: Option<f64>,
    pub unique_phones_mean: Option<f64>,
    pub unique_phones_min: Option<u64>,
    pub unique_phones_max: Option<u64>,
    /// Blanked by disclosure control.
    pub suppressed: bool,
}

/// The footprint per area and per category, with disclosure control.
#[derive(Debug, Clone, PartialEq)]
pub struct FootprintReport {
    pub areas: Vec<AreaFootprint>,
    pub categories: Vec<CategoryFootprint>,
    /// Areas blanked because fewer than `min_phones` phones touched them.
    pub suppressed: usize,
}

/// The categories of the areas, numbered in report order.
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

impl FootprintReport {
    /// Per area and category. An area touched by fewer than `min_phones`
    /// distinct phones is blanked (footprint, phone_days, unique_phones and,
    /// since it gives the footprint away, share_pct); so is a category whose
    /// areas together were touched by fewer. A category's means, minima and
    /// maxima are over its areas that are not blanked.
    pub fn new(
        totals: &FootprintTotals,
        category: &[u32],
        names: &[String],
        min_phones: u64,
    ) -> Self {
        let total = totals.total_phone_days as f64;
        let share = |f: f64| (total > 0.0).then(|| f / total * 100.0);
        let areas: Vec<AreaFootprint> = (0..category.len())
            .map(|a| {
                let suppressed = totals.unique_phones[a] < min_phones;
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
            let blank = suppressed;
            CategoryFootprint {
                category: name.to_string(),
                areas: Some(members.len()),
                footprint: (!blank).then_some(footprint),
                share_pct: if blank { None } else { share(footprint) },
                footprint_mean: if blank { None } else { mean(&fps) },
                footprint_min: if blank {
                    None
                } else {
                    fps.iter().copied().reduce(f64::min)
                },
                footprint_max: if blank {
                    None
                } else {
                    fps.iter().copied().reduce(f64::max)
                },
                unique_phones_mean: if blank { None } else { mean(&phones_f) },
                unique_phones_min: if blank {
                    None
                } else {
                    phones.iter().copied().min()
                },
                unique_phones_max: if blank {
                    None
                } else {
                    phones.iter().copied().max()
                },
                suppressed,
            }
        };
        let mut categories = Vec::new();
        for (c, name) in names.iter().enumerate() {
            let members: Vec<usize> = (0..category.len())
                .filter(|&a| category[a] as usize == c)
                .collect();
            let footprint = members.iter().map(|&a| totals.footprint[a]).sum::<u128>();
            let suppressed = totals.category_phones.get(c).copied().unwrap_or(0) < min_phones;
            categories.push(row(
                name,
                &members,
                footprint as f64 / DAY_ONE as f64,
                suppressed,
            ));
        }
        let mut outside = row("outside", &[], totals.outside(), false);
        outside.areas = None;
        categories.push(outside);
        let all: Vec<usize> = (0..category.len()).collect();
        categories.push(row("total", &all, total, false));
        FootprintReport {
            suppressed: areas.iter().filter(|a| a.suppressed).count(),
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
        let (cat, names) = category_numbers(&["reported".into(), "SUO".into(), "SUO".into()]);
        assert_eq!(names, ["SUO", "reported"]);
        assert_eq!(cat, [1, 0, 0]);
        let t = fp.totals(&cat, names.len());
        let r = FootprintReport::new(&t, &cat, &names, 3);
        assert_eq!(r.suppressed, 2);
        assert_eq!(r.areas[0].footprint, Some(3.0));
        assert_eq!(r.areas[0].share_pct, Some(75.0));
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
        assert_eq!(r.categories[2].footprint, Some(0.0));
        assert_eq!(r.categories[2].areas, None);
        assert_eq!(r.categories[3].footprint, Some(4.0));
        assert_eq!(r.categories[3].share_pct, Some(100.0));
        // total row statistics are over areas shown: only area 0
        assert_eq!(r.categories[3].footprint_mean, Some(3.0));
        // disclosure control off
        let r = FootprintReport::new(&t, &cat, &names, 0);
        assert_eq!(r.suppressed, 0);
        assert_eq!(r.areas[1].footprint, Some(1.0));
        assert_eq!(r.areas[2].footprint, Some(0.0));
    }
}
