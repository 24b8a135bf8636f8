//! The streaming footprint engine: records in, a report out, whatever they
//! were read from (CSV, Parquet, a database, memory).
//!
//! Records come in batches of [`Record`]s — a phone's key (any bytes: the
//! engine only hashes and interns it), the record's calendar day in the
//! analysis time zone, and where it was (a tower of the engine's list, or a
//! position in the areas' CRS). Each batch is spread over shards by a hash
//! of the phone key and summed in parallel, every shard in record order, so
//! memory holds the distinct phone-days and phones, never the records, and
//! the totals are the same for any batch size, record order or thread count.
//! Records that come in time order can have each day finished as soon as
//! it is over ([`FootprintEngine::finish_days_before`]): memory then holds
//! one day's phone-days, and the totals are the same integers.
//!
//! ```
//! use geo::{polygon, MultiPolygon};
//! use stratmap_core::{At, FootprintAreas, FootprintEngine, Record};
//!
//! let a = polygon![(x: 0.0, y: -5000.0), (x: 5000.0, y: -5000.0), (x: 5000.0, y: 5000.0), (x: 0.0, y: 5000.0)];
//! let areas = FootprintAreas::new(vec![MultiPolygon::new(vec![a])], 500.0);
//! // tower 0 stands on A's edge, tower 1 far outside
//! let mut engine = FootprintEngine::new(&areas, &[(0.0, 0.0), (-3000.0, 0.0)]);
//! engine.add(&[
//!     Record { phone: b"phone-1", day: 20_000, at: At::Tower(0) },
//!     Record { phone: b"phone-1", day: 20_000, at: At::Tower(1) },
//! ]);
//! let totals = engine.totals(&[0], 1);
//! assert_eq!(totals.footprint(0), 0.25); // the method's example
//! assert_eq!(totals.outside(), 0.75);
//! ```

use super::keys::packed;
use super::phone_days::PhoneDays;
use super::table::{mix, Key as _, Table};
use super::{DiscWeights, FootprintAreas, FootprintTotals, KeyMap};
use rayon::prelude::*;
use rustc_hash::FxHasher;
use std::borrow::Cow;
use std::hash::Hasher;

/// Where a record was.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum At {
    /// A tower of the engine's list, by its number there.
    Tower(u32),
    /// The record's own position, in the areas' CRS (metres).
    Position(f64, f64),
}

/// One connection record as the engine takes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Record<'a> {
    /// The phone's id or any key standing for it; only hashed and interned,
    /// never returned.
    pub phone: &'a [u8],
    /// The calendar day in the analysis time zone (any day number).
    pub day: i32,
    /// Where the record was.
    pub at: At,
}

/// Phones are spread over this many shards by a hash of their key.
const SHARDS: usize = 64;

/// The most shares the phones can be split into ([`Prepared::keep_share`]).
pub const PHONE_SHARES: usize = SHARDS;

/// The phones whose hash falls in one shard, numbered in order of
/// appearance, and their phone-days.
#[derive(Default)]
struct Shard {
    /// Phone number by packed key (short keys themselves, long keys by
    /// their number in `long`).
    phones: Table<[u64; 2], u32>,
    /// Keys too long to pack, numbered.
    long: KeyMap,
    /// Phones numbered so far.
    count: u32,
    days: PhoneDays,
}

impl Shard {
    /// The packed key of a long key.
    fn long_key(&mut self, key: &[u8]) -> [u64; 2] {
        [u64::from(self.long.intern(key)), LONG]
    }

    /// The number of the phone with this packed key.
    #[inline]
    fn intern(&mut self, key: [u64; 2]) -> u32 {
        let next = self.count;
        let (mut new, mut number) = (false, next);
        self.phones.update(key, |p| match p {
            Some(p) => {
                number = p;
                p
            }
            None => {
                new = true;
                next
            }
        });
        if new {
            // a shard's phone numbers stay below u32::MAX (phone-day keys
            // use it as their empty mark): 2⁵⁸ phones in all
            self.count = self
                .count
                .checked_add(1)
                .filter(|&c| c < u32::MAX)
                .expect("more than 4 × 10⁹ phones in one shard of the footprint engine");
        }
        number
    }

    /// Bytes held, tables at their capacity.
    fn bytes(&self) -> usize {
        self.phones.bytes() + self.long.bytes() + self.days.bytes()
    }
}

/// The top byte of a packed key's second word for a key numbered in
/// `Shard::long` (a short key has its length there, at most 15).
const LONG: u64 = 0xFE << 56;
/// The top byte of an entry's key that is not packed yet: too long, and
/// given by where it lies (start in the first word, length in the second).
const UNPACKED: u64 = 0xFF << 56;
/// In an unpacked key's first word: it lies in the batch's own bytes.
const IN_ARENA: u64 = 1 << 63;

/// A well-mixed 64-bit hash of a phone key too long to pack: Fx over the
/// bytes, then the SplitMix64 finaliser so every bit depends on every byte.
fn long_hash(phone: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    h.write(phone);
    mix(h.finish() ^ phone.len() as u64)
}

/// The shard of a phone by its hash: the low bits (the phone tables choose
/// buckets by the high bits of the same hash, which must not be the same
/// in every phone of a shard).
#[inline]
fn shard_of(hash: u64) -> usize {
    hash as usize % SHARDS
}

/// A record's place in where it was: a tower number, or (with this bit) an
/// own position of its batch.
const OWN: u32 = 1 << 31;

/// One record of a [`Prepared`] batch: 24 bytes.
#[derive(Clone, Copy)]
struct Entry {
    /// The phone's key, packed, or where it lies when too long.
    key: [u64; 2],
    day: i32,
    at: u32,
}

/// Records hashed and spread over the engine's shards, ready to be summed
/// by [`FootprintEngine::add_prepared`]. Readers that parse in parallel make
/// one per worker, each over its slice of the input. Phone keys of up to 15
/// bytes are packed into the record; longer ones stay where they lie in the
/// text (or are copied into the batch, for keys that had to be unquoted).
/// No record is kept after it is summed.
///
/// ```
/// use geo::{polygon, MultiPolygon};
/// use stratmap_core::{At, FootprintAreas, FootprintEngine, Prepared};
///
/// let a = polygon![(x: 0.0, y: -5000.0), (x: 5000.0, y: -5000.0), (x: 5000.0, y: 5000.0), (x: 0.0, y: 5000.0)];
/// let areas = FootprintAreas::new(vec![MultiPolygon::new(vec![a])], 500.0);
/// let mut engine = FootprintEngine::new(&areas, &[(0.0, 0.0)]);
/// let text = b"phone-1\nphone-2";
/// let mut batch = Prepared::new(text);
/// batch.push_text(0..7, 20_000, At::Tower(0));
/// batch.push_text(8..15, 20_000, At::Position(-3000.0, 0.0));
/// batch.push(b"phone-1", 20_000, At::Position(-3000.0, 0.0));
/// engine.add_prepared(vec![batch]);
/// let t = engine.totals(&[0], 1);
/// assert_eq!((engine.records(), engine.phone_days()), (3, 2));
/// assert_eq!(t.footprint(0), 0.25); // phone-1: ½ × ½
/// assert_eq!(t.outside(), 1.75);
/// ```
pub struct Prepared<'a> {
    text: &'a [u8],
    arena: Vec<u8>,
    own: Vec<(f64, f64)>,
    shards: Vec<Vec<Entry>>,
    records: usize,
}

impl<'a> Prepared<'a> {
    /// An empty batch whose keys lie in `text` (any bytes).
    pub fn new(text: &'a [u8]) -> Self {
        Prepared {
            text,
            arena: Vec::new(),
            own: Vec::new(),
            shards: vec![Vec::new(); SHARDS],
            records: 0,
        }
    }

    /// Records in the batch.
    pub fn len(&self) -> usize {
        self.records
    }

    /// Whether the batch has no record.
    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    /// Keeps the records of one share of the phones only: share `share` of
    /// `shares` (1 to [`PHONE_SHARES`]). The shares split the phones by the
    /// same hash as the engine's shards, so every phone is in exactly one,
    /// and the totals of engines that each summed one share
    /// ([`FootprintTotals::merge`]) are those of summing all: phones whose
    /// phone-days do not fit in memory together can be summed a share at a
    /// time, from the records read again.
    ///
    /// ```
    /// use stratmap_core::{At, Prepared};
    /// let keys: Vec<String> = (0..100).map(|p| format!("phone-{p}")).collect();
    /// let batch = |share: usize| {
    ///     let mut b = Prepared::new(&[]);
    ///     for k in &keys {
    ///         b.push(k.as_bytes(), 20_000, At::Tower(0));
    ///     }
    ///     b.keep_share(share, 3);
    ///     b.len()
    /// };
    /// assert_eq!(batch(0) + batch(1) + batch(2), 100);
    /// ```
    ///
    /// # Panics
    /// When `shares` is 0 or more than [`PHONE_SHARES`], or `share` is not
    /// below it.
    pub fn keep_share(&mut self, share: usize, shares: usize) {
        assert!(
            (1..=PHONE_SHARES).contains(&shares) && share < shares,
            "share {share} of {shares}: expected 1 to {PHONE_SHARES} shares"
        );
        for (s, entries) in self.shards.iter_mut().enumerate() {
            if s % shares != share {
                self.records -= entries.len();
                *entries = Vec::new();
            }
        }
    }

    /// A record whose phone key is `text[range]`.
    ///
    /// # Panics
    /// When the range is not within the text given to [`Prepared::new`].
    #[inline]
    pub fn push_text(&mut self, range: std::ops::Range<usize>, day: i32, at: At) {
        let key = &self.text[range.clone()];
        match packed(key) {
            Some(p) => self.entry(p.hash(), p, day, at),
            None => {
                let hash = long_hash(key);
                let where_ = [range.start as u64, key.len() as u64 | UNPACKED];
                self.entry(hash, where_, day, at);
            }
        }
    }

    /// A record whose phone key is copied into the batch (when too long to
    /// pack).
    pub fn push(&mut self, phone: &[u8], day: i32, at: At) {
        match packed(phone) {
            Some(p) => self.entry(p.hash(), p, day, at),
            None => {
                let hash = long_hash(phone);
                let start = self.arena.len() as u64 | IN_ARENA;
                self.arena.extend_from_slice(phone);
                self.entry(hash, [start, phone.len() as u64 | UNPACKED], day, at);
            }
        }
    }

    #[inline]
    fn entry(&mut self, hash: u64, key: [u64; 2], day: i32, at: At) {
        let at = match at {
            At::Tower(t) => t & !OWN,
            At::Position(x, y) => {
                self.own.push((x, y));
                (self.own.len() - 1) as u32 | OWN
            }
        };
        self.shards[shard_of(hash)].push(Entry { key, day, at });
        self.records += 1;
    }

    /// The bytes of a key too long to pack.
    fn long_bytes(&self, key: [u64; 2]) -> &[u8] {
        let len = (key[1] & !UNPACKED) as usize;
        let start = (key[0] & !IN_ARENA) as usize;
        let from = if key[0] & IN_ARENA == 0 {
            self.text
        } else {
            &self.arena
        };
        &from[start..start + len]
    }
}

/// Records ahead whose buckets are asked for (see `table`).
const AHEAD: usize = 8;

/// Sums records into daily footprints as they stream in; see the module.
pub struct FootprintEngine<'a> {
    areas: &'a FootprintAreas,
    towers: Cow<'a, [DiscWeights]>,
    shards: Vec<Shard>,
    records: u64,
    /// The phone-days finished early, if any were.
    finished: Option<Finished>,
}

/// What [`FootprintEngine::finish_days_before`] has finished.
struct Finished {
    /// Every phone-day of a day before this one is finished.
    before: i32,
    /// Their totals.
    totals: FootprintTotals,
}

impl<'a> FootprintEngine<'a> {
    /// An engine over `areas` for records at these towers (positions in the
    /// areas' CRS); each tower's disc weights are computed once, in parallel.
    pub fn new(areas: &'a FootprintAreas, towers: &[(f64, f64)]) -> Self {
        Self::with_weights(areas, areas.weights_of(towers))
    }

    /// An engine with the towers' weights already computed (as
    /// [`FootprintAreas::weights_of`] gives them), owned or borrowed.
    pub fn with_weights(
        areas: &'a FootprintAreas,
        towers: impl Into<Cow<'a, [DiscWeights]>>,
    ) -> Self {
        FootprintEngine {
            areas,
            towers: towers.into(),
            shards: (0..SHARDS).map(|_| Shard::default()).collect(),
            records: 0,
            finished: None,
        }
    }

    /// Each tower's disc weights, in the order given.
    pub fn tower_weights(&self) -> &[DiscWeights] {
        &self.towers
    }

    /// Adds a batch of records. A record at a tower the engine does not have
    /// is a caller's error: it panics in debug builds and is left out
    /// otherwise (readers check tower ids first and count the unknown ones).
    pub fn add(&mut self, batch: &[Record]) {
        // prepared in parallel, in slices, as a reader's workers would
        let parts: Vec<Prepared> = batch
            .par_chunks(8192)
            .map(|chunk| {
                let mut part = Prepared::new(&[]);
                for r in chunk {
                    part.push(r.phone, r.day, r.at);
                }
                part
            })
            .collect();
        self.add_prepared(parts);
    }

    /// Adds prepared batches, in their order (see [`Prepared`]); the same
    /// totals as [`FootprintEngine::add`] of their records.
    pub fn add_prepared(&mut self, parts: Vec<Prepared>) {
        // the discs of own positions, in parallel
        let areas = self.areas;
        let own: Vec<Vec<DiscWeights>> = parts
            .par_iter()
            .map(|p| p.own.iter().map(|&c| areas.weights(c)).collect())
            .collect();
        let towers = &*self.towers;
        let finished_before = self.finished.as_ref().map(|f| f.before);
        let added: u64 = self
            .shards
            .par_iter_mut()
            .enumerate()
            .map(|(s, shard)| {
                // this shard's records of every batch, in order
                let list: Vec<(&Prepared, &Vec<DiscWeights>, &Entry)> = parts
                    .iter()
                    .zip(&own)
                    .flat_map(|(p, o)| p.shards[s].iter().map(move |e| (p, o, e)))
                    .collect();
                // the phones' numbers, then the phone-days, each lookup
                // asking for the bucket of a record AHEAD records on
                let mut phones = Vec::with_capacity(list.len());
                for (i, &(part, _, e)) in list.iter().enumerate() {
                    if let Some((_, _, next)) = list.get(i + AHEAD) {
                        if next.key[1] & UNPACKED != UNPACKED {
                            shard.phones.prefetch(next.key);
                        }
                    }
                    let key = if e.key[1] & UNPACKED == UNPACKED {
                        shard.long_key(part.long_bytes(e.key))
                    } else {
                        e.key
                    };
                    phones.push(shard.intern(key));
                }
                let mut n = 0;
                let before = finished_before;
                for (i, &(_, own, e)) in list.iter().enumerate() {
                    debug_assert!(
                        before.is_none_or(|d| e.day >= d),
                        "a record of day {} after the days before {before:?} were finished",
                        e.day
                    );
                    if let (Some((_, _, next)), Some(&p)) =
                        (list.get(i + AHEAD), phones.get(i + AHEAD))
                    {
                        shard.days.prefetch(p, next.day);
                    }
                    let phone = phones[i];
                    if e.at & OWN != 0 {
                        shard
                            .days
                            .add_own(phone, e.day, &own[(e.at & !OWN) as usize]);
                    } else if (e.at as usize) < towers.len() {
                        shard.days.add_tower(phone, e.day, e.at);
                    } else {
                        debug_assert!(false, "tower {} is not in the engine's list", e.at);
                        continue;
                    }
                    n += 1;
                }
                n
            })
            .sum();
        self.records += added;
    }

    /// Records summed so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Distinct phone-days so far, finished or held.
    pub fn phone_days(&self) -> usize {
        self.held_phone_days()
            + self
                .finished
                .as_ref()
                .map_or(0, |f| f.totals.total_phone_days as usize)
    }

    /// Distinct phone-days held (not finished yet).
    pub fn held_phone_days(&self) -> usize {
        self.shards.par_iter().map(|s| s.days.len()).sum()
    }

    /// Bytes the engine's state holds (its tables at their capacity, the
    /// phones' keys, the phone-days held, the areas counted of phones with
    /// finished days), for reports on memory per phone-day.
    pub fn state_bytes(&self) -> usize {
        self.shards.iter().map(Shard::bytes).sum()
    }

    /// Finishes every phone-day of the days before `day` and frees it: its
    /// share of each area is summed into totals kept in the engine, exactly
    /// as [`FootprintEngine::totals`] would sum it (the same integers, so
    /// the final totals are the same to the last bit), and the phones are
    /// kept with the areas they were counted in, so that a
    /// phone seen again later is not counted twice in `unique_phones`.
    /// Records in time order can so be summed holding one day's
    /// phone-days, whatever the period.
    ///
    /// `category` and `categories` must be those the totals are asked with
    /// (they count the phones per category). Adding a record of a day
    /// before `day` afterwards is a caller's error: its phone-day would be
    /// counted twice (readers check the order first).
    ///
    /// ```
    /// use geo::{polygon, MultiPolygon};
    /// use stratmap_core::{At, FootprintAreas, FootprintEngine, Record};
    ///
    /// let a = polygon![(x: 0.0, y: -5000.0), (x: 5000.0, y: -5000.0), (x: 5000.0, y: 5000.0), (x: 0.0, y: 5000.0)];
    /// let areas = FootprintAreas::new(vec![MultiPolygon::new(vec![a])], 500.0);
    /// let towers = [(2500.0, 0.0)];
    /// let day = |d: i32| [Record { phone: b"phone-1", day: d, at: At::Tower(0) }];
    /// let (mut whole, mut by_day) = (FootprintEngine::new(&areas, &towers), FootprintEngine::new(&areas, &towers));
    /// for d in 0..3 {
    ///     whole.add(&day(d));
    ///     by_day.add(&day(d));
    ///     by_day.finish_days_before(d, &[0], 1);
    /// }
    /// assert_eq!(by_day.held_phone_days(), 1); // the last day only
    /// assert_eq!(whole.totals(&[0], 1), by_day.totals(&[0], 1));
    /// assert_eq!(by_day.totals(&[0], 1).unique_phones, [1]);
    /// ```
    pub fn finish_days_before(&mut self, day: i32, category: &[u32], categories: usize) {
        if self.finished.as_ref().is_some_and(|f| f.before >= day) {
            return;
        }
        let towers = &*self.towers;
        let done = summed(
            self.shards
                .par_iter_mut()
                .map(|s| s.days.finish_before(day, towers, category, categories)),
            category.len(),
            categories,
        );
        match &mut self.finished {
            Some(f) => {
                f.totals.merge(&done);
                f.before = day;
            }
            None => {
                self.finished = Some(Finished {
                    before: day,
                    totals: done,
                })
            }
        }
    }

    /// The totals per area; `category[a]` is area a's category number, of
    /// `categories` (see [`super::DailyFootprint::totals`]). Shards are
    /// summed in parallel and merged in integers, so the result does not
    /// depend on the thread count.
    /// Phone-days finished early ([`FootprintEngine::finish_days_before`])
    /// are in them.
    pub fn totals(&self, category: &[u32], categories: usize) -> FootprintTotals {
        let towers = &*self.towers;
        let mut t = summed(
            self.shards
                .par_iter()
                .map(|s| s.days.totals(s.count, towers, category, categories)),
            category.len(),
            categories,
        );
        if let Some(f) = &self.finished {
            t.merge(&f.totals);
        }
        t
    }
}

/// The totals of the shards (each its own phones) merged: in integers, so
/// the same for any thread count.
fn summed(
    shards: impl ParallelIterator<Item = FootprintTotals>,
    areas: usize,
    categories: usize,
) -> FootprintTotals {
    shards.reduce(
        || FootprintTotals::new(areas, categories),
        |mut a, b| {
            a.merge(&b);
            a
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, MultiPolygon};

    fn areas() -> FootprintAreas {
        let a = polygon![(x: 0.0, y: 0.0), (x: 5000.0, y: 0.0), (x: 5000.0, y: 5000.0), (x: 0.0, y: 5000.0)];
        let b = polygon![(x: 5000.0, y: 0.0), (x: 10000.0, y: 0.0), (x: 10000.0, y: 5000.0), (x: 5000.0, y: 5000.0)];
        FootprintAreas::new(
            vec![MultiPolygon::new(vec![a]), MultiPolygon::new(vec![b])],
            500.0,
        )
    }

    /// Batches of any size and order, towers or own positions: the same totals.
    #[test]
    fn batches_order_and_sources_do_not_change_totals() {
        let a = areas();
        let towers: Vec<(f64, f64)> = (0..20)
            .map(|i| {
                (
                    f64::from(i) * 600.0 - 500.0,
                    2500.0 + f64::from(i % 3) * 900.0,
                )
            })
            .collect();
        let keys: Vec<Vec<u8>> = (0..30).map(|p| format!("p{p}").into_bytes()).collect();
        let records: Vec<Record> = (0..2000u32)
            .map(|i| Record {
                phone: &keys[(i * 7 % 30) as usize],
                day: (i % 4) as i32,
                at: At::Tower(i * 13 % 20),
            })
            .collect();
        let mut one = FootprintEngine::new(&a, &towers);
        one.add(&records);
        let mut many = FootprintEngine::new(&a, &towers);
        let mut reversed = records.clone();
        reversed.reverse();
        for chunk in reversed.chunks(37) {
            many.add(chunk);
        }
        // the same records by their own positions
        let mut own = FootprintEngine::new(&a, &[]);
        let by_position: Vec<Record> = records
            .iter()
            .map(|r| {
                let At::Tower(t) = r.at else { unreachable!() };
                let (x, y) = towers[t as usize];
                Record {
                    at: At::Position(x, y),
                    ..*r
                }
            })
            .collect();
        own.add(&by_position);
        let cat = [0, 1];
        assert_eq!(one.totals(&cat, 2), many.totals(&cat, 2));
        assert_eq!(one.totals(&cat, 2), own.totals(&cat, 2));
        // phone 7i mod 30 and day i mod 4 repeat with i mod 60: 60 phone-days
        assert_eq!((one.records(), one.phone_days()), (2000, 60));
        let t = one.totals(&cat, 2);
        let sum = t.footprint(0) + t.footprint(1) + t.outside();
        assert!((sum - t.total_phone_days as f64).abs() < 1e-9);
    }

    /// The method written out plainly: per phone-day, the n records'
    /// fixed-point weights summed area by area (a BTreeMap), shared by n,
    /// phones grouped for the unique counts.
    fn reference(
        towers: &[DiscWeights],
        areas: &FootprintAreas,
        records: &[(Vec<u8>, i32, At)],
        category: &[u32],
        categories: usize,
    ) -> FootprintTotals {
        use std::collections::{BTreeMap, BTreeSet};
        let mut days: BTreeMap<(&[u8], i32), Vec<DiscWeights>> = BTreeMap::new();
        for (phone, day, at) in records {
            let w = match *at {
                At::Tower(t) => towers[t as usize].clone(),
                At::Position(x, y) => areas.weights((x, y)),
            };
            days.entry((phone, *day)).or_default().push(w);
        }
        let mut t = FootprintTotals::new(category.len(), categories);
        let mut area_phones: Vec<BTreeSet<&[u8]>> = vec![BTreeSet::new(); category.len()];
        let mut cat_phones: Vec<BTreeSet<&[u8]>> = vec![BTreeSet::new(); categories];
        for ((phone, _), ws) in &days {
            let n = ws.len() as u128;
            let share = |s: u128| (s + n / 2) / n;
            let mut sums: BTreeMap<u32, u128> = BTreeMap::new();
            let mut outside = 0u128;
            for w in ws {
                outside += u128::from(w.outside);
                for &(a, q) in &w.areas {
                    *sums.entry(a).or_default() += u128::from(q);
                }
            }
            t.total_phone_days += 1;
            t.outside += share(outside);
            for (a, s) in sums {
                let a = a as usize;
                t.footprint[a] += share(s);
                t.phone_days[a] += 1;
                area_phones[a].insert(phone);
                cat_phones[category[a] as usize].insert(phone);
            }
        }
        t.unique_phones = area_phones.iter().map(|s| s.len() as u64).collect();
        t.category_phones = cat_phones.iter().map(|s| s.len() as u64).collect();
        t
    }

    /// Twenty towers in a row across both areas, 560 m apart.
    fn row_of_towers() -> Vec<(f64, f64)> {
        (0..20)
            .map(|i| {
                (
                    f64::from(i) * 560.0 - 600.0,
                    2500.0 + f64::from(i % 4) * 700.0,
                )
            })
            .collect()
    }

    /// `n` phone keys, short and long: packed (up to 15 bytes) and past
    /// it, of 14 to 17 bytes around the limit, and keys that differ only in
    /// length or a trailing zero byte.
    fn phone_keys(n: u32) -> Vec<Vec<u8>> {
        (0..n)
            .map(|p| match p % 5 {
                0 => format!("p{p}").into_bytes(),
                1 => format!("phone-number-{p:06}-long").into_bytes(), // 25 bytes
                2 => vec![b'x'; 14 + (p as usize % 4)],                // 14 to 17 bytes
                3 => [format!("q{p}").into_bytes(), vec![0]].concat(),
                _ => format!("q{p}").into_bytes(),
            })
            .collect()
    }

    /// Where a picked record was: tower `t` of [`row_of_towers`], or (for
    /// `own` and past the twentieth) a position of its own.
    fn at_pick(t: u32, own: bool) -> At {
        if t >= 20 || own {
            At::Position(
                f64::from(t) * 430.0 - 900.0,
                3000.0 + f64::from(t % 3) * 400.0,
            )
        } else {
            At::Tower(t)
        }
    }

    proptest::proptest! {
        /// Short and long phone keys (past the 15 packed bytes, and keys
        /// that differ only in length or a trailing zero byte), many
        /// towers a day, own positions mixed into the same phone-days,
        /// batches of any size: the engine equals the plain method.
        #[test]
        fn engine_equals_the_plain_method(
            picks in proptest::collection::vec((0usize..40, 0i32..5, 0u32..24, proptest::bool::weighted(0.1)), 1..1500),
            batch in 1usize..400,
        ) {
            let a = areas();
            let towers = row_of_towers();
            let keys = phone_keys(40);
            let records: Vec<(Vec<u8>, i32, At)> = picks
                .iter()
                .map(|&(p, day, t, own)| (keys[p].clone(), day, at_pick(t, own)))
                .collect();
            let mut engine = FootprintEngine::new(&a, &towers);
            for chunk in records.chunks(batch) {
                let recs: Vec<Record> = chunk
                    .iter()
                    .map(|(phone, day, at)| Record { phone, day: *day, at: *at })
                    .collect();
                engine.add(&recs);
            }
            let cat = [0, 1];
            let want = reference(engine.tower_weights(), &a, &records, &cat, 2);
            proptest::prop_assert_eq!(engine.totals(&cat, 2), want.clone());
            proptest::prop_assert_eq!(engine.records(), records.len() as u64);
            proptest::prop_assert_eq!(engine.phone_days() as u64, want.total_phone_days);
        }

        /// The phones in any number of shares, each summed by an engine of
        /// its own (towers, own positions, long keys): merged, the totals
        /// of one engine over all.
        #[test]
        fn shares_of_the_phones_add_up_to_the_whole(
            picks in proptest::collection::vec((0usize..40, 0i32..4, 0u32..24, proptest::bool::weighted(0.15)), 1..800),
            shares in 1usize..=PHONE_SHARES,
        ) {
            let a = areas();
            let towers = row_of_towers();
            let keys: Vec<Vec<u8>> = (0..40u32)
                .map(|p| match p % 2 {
                    0 => format!("p{p}").into_bytes(),
                    _ => format!("phone-number-{p:06}-long").into_bytes(),
                })
                .collect();
            let prepared = || {
                let mut b = Prepared::new(&[]);
                for &(p, day, t, own) in &picks {
                    b.push(&keys[p], day, at_pick(t, own));
                }
                b
            };
            let cat = [0, 1];
            let mut whole = FootprintEngine::new(&a, &towers);
            whole.add_prepared(vec![prepared()]);
            let mut sum = FootprintTotals::new(2, 2);
            let mut records = 0;
            for share in 0..shares {
                let mut b = prepared();
                b.keep_share(share, shares);
                records += b.len();
                let mut e = FootprintEngine::new(&a, &towers);
                e.add_prepared(vec![b]);
                sum.merge(&e.totals(&cat, 2));
            }
            proptest::prop_assert_eq!(records, picks.len());
            proptest::prop_assert_eq!(whole.totals(&cat, 2), sum);
        }

        /// Records in day order, in batches of any size, their days
        /// finished early (up to the latest day, or a day behind it), towers
        /// and own positions mixed, phones seen again on later days: the
        /// same totals as holding every phone-day to the end, and no more
        /// than the days not yet finished held.
        #[test]
        fn finishing_days_early_changes_no_total(
            picks in proptest::collection::vec((0usize..30, 0i32..6, 0u32..24, proptest::bool::weighted(0.15)), 1..1200),
            batch in 1usize..300,
            lag in 0i32..2,
        ) {
            let a = areas();
            let towers = row_of_towers();
            let keys = phone_keys(30);
            let mut records: Vec<Record> = picks
                .iter()
                .map(|&(p, day, t, own)| Record {
                    phone: &keys[p],
                    day,
                    at: at_pick(t, own),
                })
                .collect();
            records.sort_by_key(|r| r.day);
            let cat = [0, 1];
            let mut whole = FootprintEngine::new(&a, &towers);
            let mut by_day = FootprintEngine::new(&a, &towers);
            for chunk in records.chunks(batch) {
                whole.add(chunk);
                by_day.add(chunk);
                let latest = chunk.last().map_or(0, |r| r.day);
                by_day.finish_days_before(latest - lag, &cat, 2);
                let held = by_day.held_phone_days();
                let later: std::collections::BTreeSet<(&[u8], i32)> = records
                    .iter()
                    .filter(|r| r.day >= latest - lag)
                    .map(|r| (r.phone, r.day))
                    .collect();
                proptest::prop_assert!(held <= later.len());
            }
            proptest::prop_assert_eq!(whole.totals(&cat, 2), by_day.totals(&cat, 2));
            proptest::prop_assert_eq!(whole.phone_days(), by_day.phone_days());
            // finishing the rest too changes nothing
            by_day.finish_days_before(i32::MAX, &cat, 2);
            proptest::prop_assert_eq!(by_day.held_phone_days(), 0);
            proptest::prop_assert_eq!(whole.totals(&cat, 2), by_day.totals(&cat, 2));
        }
    }
}
