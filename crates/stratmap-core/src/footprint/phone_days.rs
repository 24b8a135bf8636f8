//! The compact state of one shard's phone-days: which towers each phone-day
//! saw and how often, never the records, and never a weight until the end.
//!
//! A phone-day is 20 bytes in an open-addressing table, its record count
//! and its first tower inline (the common day, at one tower, allocates
//! nothing); the day's further distinct towers lie together in one chunk
//! of (tower, count) pairs ([`DayTowers`]), one store per shard. The
//! weights are summed only when the totals are asked for: Σ over the
//! day's towers of count × the tower's fixed-point part, which
//! is exactly the sum, record by record, that the method asks for, so the
//! totals are the same integers as summing each record as it comes.
//!
//! Records with their own positions (not a tower of the list) have a disc
//! of their own: their weights are summed as they come into a
//! [`DailyFootprint`], and the two are joined, day by day, at the end.
//!
//! Days can be finished early (records in time order): their phone-days
//! are tallied as at the end and freed, and the (phone, area) and (phone,
//! category) pairs they counted are kept (as each phone's list of areas,
//! its categories found from them), so that a phone's later days do
//! not count it again in `unique_phones` or `category_phones`.

use super::day_towers::{DayTowers, NONE};
use super::table::Table;
use super::{AreaSum, DailyFootprint, DiscWeights, FootprintTotals, PhoneDay};

/// A phone-day: its tower records, its first tower and the chunk of the
/// others. The first tower's count is `n` less the counts in the chunk.
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    n: u32,
    tower: u32,
    next: u32,
}

/// Entries in blocks of [`BLOCK`]: the arena grows a block at a time, never
/// by copying itself into one twice its size.
struct Blocks<T>(Vec<Vec<T>>);

impl<T> Default for Blocks<T> {
    fn default() -> Self {
        Blocks(Vec::new())
    }
}

/// Entries in a block (a power of two).
const BLOCK: usize = 1 << 14;

impl<T> Blocks<T> {
    /// Adds an entry; its number.
    fn push(&mut self, node: T) -> u32 {
        if self.0.last().is_none_or(|b| b.len() == BLOCK) {
            self.0.push(Vec::with_capacity(BLOCK));
        }
        let blocks = self.0.len();
        let last = &mut self.0[blocks - 1];
        last.push(node);
        ((blocks - 1) * BLOCK + last.len() - 1) as u32
    }

    fn get(&self, k: u32) -> &T {
        let k = k as usize;
        &self.0[k / BLOCK][k % BLOCK]
    }

    fn bytes(&self) -> usize {
        self.0.len() * BLOCK * std::mem::size_of::<T>()
    }
}

/// The areas each phone has been counted in, in days finished early:
/// per phone (by number) a list of (area, next) in blocks. A phone visits
/// few areas, so the lists are short; a phone's categories are those of
/// its areas.
#[derive(Default)]
pub(super) struct PhoneAreas {
    head: Vec<u32>,
    nodes: Blocks<[u32; 2]>,
}

impl PhoneAreas {
    fn areas(&self, phone: u32) -> impl Iterator<Item = u32> + '_ {
        let mut at = self.head.get(phone as usize).copied().unwrap_or(NONE);
        std::iter::from_fn(move || {
            (at != NONE).then(|| {
                let [area, next] = *self.nodes.get(at);
                at = next;
                area
            })
        })
    }

    fn add(&mut self, phone: u32, area: u32) {
        let p = phone as usize;
        if p >= self.head.len() {
            self.head.resize(p + 1, NONE);
        }
        self.head[p] = self.nodes.push([area, self.head[p]]);
    }

    fn is_empty(&self) -> bool {
        self.head.is_empty()
    }

    fn bytes(&self) -> usize {
        self.head.capacity() * 4 + self.nodes.bytes()
    }
}

/// The phone-days of one shard. Phones are numbered by the caller.
#[derive(Default)]
pub(super) struct PhoneDays {
    days: Table<u64, Slot>,
    more: DayTowers,
    /// Days with records at their own positions, summed as they come.
    own: DailyFootprint,
    /// Once days are finished early ([`PhoneDays::finish_before`]): the
    /// areas each phone was counted in (`unique_phones`, and through their
    /// categories `category_phones`), so that a phone seen again on a later
    /// day is not counted again.
    counted: PhoneAreas,
}

impl PhoneDays {
    /// Asks for the bucket of `phone` on `day` ahead of its record.
    #[inline]
    pub(super) fn prefetch(&self, phone: u32, day: i32) {
        self.days.prefetch(day_key(phone, day));
    }

    /// One record of `phone` on `day` at tower `tower`.
    #[inline]
    pub(super) fn add_tower(&mut self, phone: u32, day: i32, tower: u32) {
        let more = &mut self.more;
        self.days.update(day_key(phone, day), |slot| {
            let Some(mut slot) = slot else {
                return Slot {
                    n: 1,
                    tower,
                    next: NONE,
                };
            };
            // saturates only past 4 × 10⁹ records of one phone in a day
            slot.n = slot.n.saturating_add(1);
            if slot.tower != tower {
                more.add(&mut slot.next, tower);
            }
            slot
        });
    }

    /// One record of `phone` on `day` with its own disc.
    pub(super) fn add_own(&mut self, phone: u32, day: i32, w: &DiscWeights) {
        self.own.add(phone, day, w);
    }

    /// Distinct phone-days.
    pub(super) fn len(&self) -> usize {
        let own_only = self
            .own
            .days
            .keys()
            .filter(|&&(p, d)| self.days.get(day_key(p, d)).is_none())
            .count();
        self.days.len() + own_only
    }

    /// Bytes held (tables at their capacity), for the memory report.
    pub(super) fn bytes(&self) -> usize {
        let table = |cap: usize, entry: usize| cap * (entry + 1);
        self.days.bytes()
            + self.more.bytes()
            + self.counted.bytes()
            + table(
                self.own.days.capacity(),
                std::mem::size_of::<((u32, i32), PhoneDay)>(),
            )
            + self
                .own
                .days
                .values()
                .map(|d| d.areas.capacity() * std::mem::size_of::<AreaSum>())
                .sum::<usize>()
    }

    /// The totals per area (see [`DailyFootprint::totals`]): each phone-day's
    /// sums are made from its towers' weights, then shared out as records
    /// summed one by one would be. A phone counted already in days
    /// finished early is not counted again.
    pub(super) fn totals(
        &self,
        phones: u32,
        towers: &[DiscWeights],
        category: &[u32],
        categories: usize,
    ) -> FootprintTotals {
        let days = self.sorted(phones);
        let mut own: Vec<(u64, &PhoneDay)> = self
            .own
            .days
            .iter()
            .map(|(&(p, d), pd)| (day_key(p, d), pd))
            .collect();
        own.sort_unstable_by_key(|(key, _)| *key);
        let counted = if self.counted.is_empty() {
            Counted::Nothing
        } else {
            Counted::Ask(&self.counted)
        };
        let mut t = Tally::new(category, categories).with(counted);
        tally_days(&days, &own, &self.more, towers, &mut t);
        t.totals
    }

    /// Finishes the phone-days of the days before `day`: their totals (as
    /// [`PhoneDays::totals`] would count them, phones counted in earlier
    /// finished days not counted again), and they are freed. The phones'
    /// areas are kept, for the days to come.
    pub(super) fn finish_before(
        &mut self,
        day: i32,
        towers: &[DiscWeights],
        category: &[u32],
        categories: usize,
    ) -> FootprintTotals {
        let mut days = self.days.take_where(|key| day_of(key) < day);
        days.sort_unstable_by_key(|(key, _)| *key);
        let mut own_days: Vec<(u64, PhoneDay)> = Vec::new();
        self.own.days.retain(|&(p, d), pd| {
            let keep = d >= day;
            if !keep {
                own_days.push((day_key(p, d), std::mem::take(pd)));
            }
            keep
        });
        own_days.sort_unstable_by_key(|(key, _)| *key);
        let own: Vec<(u64, &PhoneDay)> = own_days.iter().map(|(k, pd)| (*k, pd)).collect();
        let mut t = Tally::new(category, categories).with(Counted::Record(&mut self.counted));
        tally_days(&days, &own, &self.more, towers, &mut t);
        let totals = t.totals;
        self.compact_towers();
        totals
    }

    /// Copies the further towers of the phone-days held into a new store,
    /// freeing those of finished days.
    fn compact_towers(&mut self) {
        if self.more.is_empty() {
            return;
        }
        let old = std::mem::take(&mut self.more);
        let more = &mut self.more;
        self.days.update_values(|_, mut slot| {
            slot.next = more.copy_from(&old, slot.next);
            slot
        });
    }
}

/// Sums phone-days into `t`: the tower phone-days `days` and the own-position
/// ones `own`, both sorted by key, joined by (phone, day).
fn tally_days(
    days: &[(u64, Slot)],
    own: &[(u64, &PhoneDay)],
    more: &DayTowers,
    towers: &[DiscWeights],
    t: &mut Tally,
) {
    let (mut i, mut j) = (0, 0);
    while i < days.len() || j < own.len() {
        let key = match (days.get(i), own.get(j)) {
            (Some(a), Some(b)) => a.0.min(b.0),
            (Some(a), None) => a.0,
            (None, Some(b)) => b.0,
            (None, None) => break,
        };
        let mut n = 0u64;
        if let Some((_, slot)) = days.get(i).filter(|(k, _)| *k == key) {
            n += u64::from(slot.n);
            let mut first = slot.n;
            for p in more.pairs(slot.next) {
                t.add_disc(&towers[p.tower as usize], u128::from(p.count));
                first = first.saturating_sub(p.count);
            }
            t.add_disc(&towers[slot.tower as usize], u128::from(first));
            i += 1;
        }
        if let Some((_, pd)) = own.get(j).filter(|(k, _)| *k == key) {
            n += u64::from(pd.n);
            t.add_sums(pd);
            j += 1;
        }
        t.close_day((key >> 32) as u32, n);
    }
}

impl PhoneDays {
    /// The phone-days with towers, in key order (by phone, then day), for
    /// phones numbered below `phones`: placed by a counting sort on the
    /// phone, then each phone's few days sorted.
    fn sorted(&self, phones: u32) -> Vec<(u64, Slot)> {
        let phone = |key: u64| (key >> 32) as usize;
        let mut start = vec![0usize; phones as usize + 1];
        for (key, _) in self.days.iter() {
            start[phone(key) + 1] += 1;
        }
        for p in 1..start.len() {
            start[p] += start[p - 1];
        }
        let mut next = start.clone();
        let mut out = vec![(0u64, Slot::default()); self.days.len()];
        for (key, slot) in self.days.iter() {
            let at = &mut next[phone(key)];
            out[*at] = (key, slot);
            *at += 1;
        }
        for w in start.windows(2) {
            if w[1] - w[0] > 1 {
                out[w[0]..w[1]].sort_unstable_by_key(|(key, _)| *key);
            }
        }
        out
    }
}

/// A phone-day's key: the phone in the high half (so keys sort by phone),
/// the day's bits in the low.
#[inline]
fn day_key(phone: u32, day: i32) -> u64 {
    (u64::from(phone) << 32) | u64::from(day as u32)
}

/// The day of a phone-day's key.
#[inline]
fn day_of(key: u64) -> i32 {
    key as u32 as i32
}

/// Which phones' areas (and so categories) were counted before the
/// phone-days being tallied (in days finished early).
pub(super) enum Counted<'a> {
    /// None: every phone is new.
    Nothing,
    /// These were counted.
    Ask(&'a PhoneAreas),
    /// These were, and the areas counted now are added.
    Record(&'a mut PhoneAreas),
}

impl Counted<'_> {
    fn before(&self) -> Option<&PhoneAreas> {
        match self {
            Counted::Nothing => None,
            Counted::Ask(p) => Some(p),
            Counted::Record(p) => Some(p),
        }
    }

    /// Whether `phone` was counted before in area `a`, and in an area of
    /// category `c`: one walk of its areas.
    #[inline]
    fn had(&self, phone: u32, a: u32, c: u32, category: &[u32]) -> (bool, bool) {
        let Some(p) = self.before() else {
            return (false, false);
        };
        let (mut area, mut cat) = (false, false);
        for x in p.areas(phone) {
            area |= x == a;
            cat |= category.get(x as usize) == Some(&c);
            if area && cat {
                break;
            }
        }
        (area, cat)
    }

    /// `phone` is counted in area `a` now.
    fn add(&mut self, phone: u32, a: u32) {
        if let Counted::Record(p) = self {
            p.add(phone, a);
        }
    }
}

/// The totals being made, and the sums of the phone-day at hand.
pub(super) struct Tally<'a> {
    pub(super) totals: FootprintTotals,
    category: &'a [u32],
    categories: usize,
    /// The day's sum per area, for the areas in `touched`.
    sum: Vec<u128>,
    touched: Vec<u32>,
    outside: u128,
    seen_area: Vec<u32>,
    seen_cat: Vec<u32>,
    counted: Counted<'a>,
}

impl<'a> Tally<'a> {
    pub(super) fn new(category: &'a [u32], categories: usize) -> Self {
        let n_areas = category.len();
        Tally {
            totals: FootprintTotals::new(n_areas, categories),
            category,
            categories,
            sum: vec![0; n_areas],
            touched: Vec::new(),
            outside: 0,
            seen_area: vec![u32::MAX; n_areas],
            seen_cat: vec![u32::MAX; categories],
            counted: Counted::Nothing,
        }
    }

    /// The tally with the pairs counted before it.
    fn with(self, counted: Counted<'a>) -> Self {
        Tally { counted, ..self }
    }

    fn add(&mut self, a: u32, q: u128) {
        let Some(s) = self.sum.get_mut(a as usize) else {
            return; // an area number beyond the table: not counted, as before
        };
        // every overlapping area has a weight of at least 1, so a zero sum
        // is an area not yet touched (or touched by a caller's zero weight)
        if *s == 0 && !self.touched.contains(&a) {
            self.touched.push(a);
        }
        *s += q;
    }

    /// `count` records at the disc `w`.
    fn add_disc(&mut self, w: &DiscWeights, count: u128) {
        if count == 0 {
            return;
        }
        self.outside += count * u128::from(w.outside);
        for &(a, q) in &w.areas {
            self.add(a, count * u128::from(q));
        }
    }

    /// The sums of records with their own discs.
    pub(super) fn add_sums(&mut self, pd: &PhoneDay) {
        self.outside += pd.outside.value();
        for s in &pd.areas {
            self.add(s.area, s.value());
        }
    }

    /// Shares the day's sums over its `n` records, for `phone`.
    pub(super) fn close_day(&mut self, phone: u32, n: u64) {
        let t = &mut self.totals;
        let counted = &mut self.counted;
        let n = n.max(1);
        // DISC_ONE = DAY_ONE: the day's share is the mean of its weights,
        // rounded; in 64 bits when it fits (a day of one or two records)
        let share = |s: u128| match (n, u64::try_from(s + u128::from(n / 2))) {
            (1, _) => s,
            (_, Ok(s)) => u128::from(s / n),
            (_, Err(_)) => (s + u128::from(n / 2)) / u128::from(n),
        };
        t.total_phone_days += 1;
        t.outside += share(self.outside);
        self.outside = 0;
        for &a in &self.touched {
            let a = a as usize;
            t.footprint[a] += share(self.sum[a]);
            self.sum[a] = 0;
            t.phone_days[a] += 1;
            // a phone's days come together: it is new to the area (and
            // the category) at its first day there, unless counted in days
            // finished before
            let c = self.category[a] as usize;
            let new_cat = c < self.categories && self.seen_cat[c] != phone;
            let new_area = self.seen_area[a] != phone;
            if !(new_cat || new_area) {
                continue;
            }
            let (had_area, had_cat) = counted.had(phone, a as u32, c as u32, self.category);
            if new_cat {
                self.seen_cat[c] = phone;
                t.category_phones[c] += u64::from(!had_cat);
            }
            if new_area {
                self.seen_area[a] = phone;
                if !had_area {
                    t.unique_phones[a] += 1;
                    counted.add(phone, a as u32);
                }
            }
        }
        self.touched.clear();
    }
}
