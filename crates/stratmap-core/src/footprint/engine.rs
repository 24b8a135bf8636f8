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
//!
//! ```
//! use geo::{polygon, MultiPolygon};
//! use stratmap_core::footprint::{At, FootprintAreas, FootprintEngine, Record};
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

use super::{DailyFootprint, DiscWeights, FootprintAreas, FootprintTotals};
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHasher};
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

/// The phones whose hash falls in one shard, numbered in order of
/// appearance, and their phone-days.
#[derive(Default)]
struct Shard {
    /// Phone number by the 64-bit hash of its key.
    by_hash: FxHashMap<u64, u32>,
    /// Each phone's key, to tell apart two keys with the same hash.
    keys: Vec<Box<[u8]>>,
    /// Phones whose hash another phone had first (practically never).
    collided: FxHashMap<Box<[u8]>, u32>,
    footprint: DailyFootprint,
}

impl Shard {
    fn intern(&mut self, hash: u64, key: &[u8]) -> u32 {
        let next = self.keys.len() as u32;
        match self.by_hash.get(&hash) {
            Some(&p) if *self.keys[p as usize] == *key => p,
            Some(_) => *self.collided.entry(key.into()).or_insert_with(|| {
                self.keys.push(key.into());
                next
            }),
            None => {
                self.by_hash.insert(hash, next);
                self.keys.push(key.into());
                next
            }
        }
    }
}

/// A well-mixed 64-bit hash of a phone key: Fx over the bytes, then the
/// SplitMix64 finaliser so every bit depends on every byte.
fn phone_hash(phone: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    h.write(phone);
    let mut z = h.finish() ^ phone.len() as u64;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn shard_of(hash: u64) -> usize {
    (hash >> 58) as usize % SHARDS
}

/// Sums records into daily footprints as they stream in; see the module.
pub struct FootprintEngine<'a> {
    areas: &'a FootprintAreas,
    towers: Cow<'a, [DiscWeights]>,
    shards: Vec<Shard>,
    records: u64,
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
        // the hashes and the discs of own positions, in parallel
        let prepared: Vec<(u64, Option<DiscWeights>)> = batch
            .par_iter()
            .with_min_len(1024)
            .map(|r| {
                let own = match r.at {
                    At::Position(x, y) => Some(self.areas.weights((x, y))),
                    At::Tower(_) => None,
                };
                (phone_hash(r.phone), own)
            })
            .collect();
        let mut buckets: Vec<Vec<u32>> = vec![Vec::new(); SHARDS];
        for (i, (hash, _)) in prepared.iter().enumerate() {
            buckets[shard_of(*hash)].push(i as u32);
        }
        let towers = &*self.towers;
        let added: u64 = self
            .shards
            .par_iter_mut()
            .zip(&buckets)
            .map(|(shard, idx)| {
                let mut n = 0;
                for &i in idx {
                    let (hash, own) = &prepared[i as usize];
                    let r = &batch[i as usize];
                    let w = match (&r.at, own) {
                        (_, Some(w)) => w,
                        (At::Tower(t), None) => match towers.get(*t as usize) {
                            Some(w) => w,
                            None => {
                                debug_assert!(false, "tower {t} is not in the engine's list");
                                continue;
                            }
                        },
                        (At::Position(..), None) => continue,
                    };
                    let phone = shard.intern(*hash, r.phone);
                    shard.footprint.add(phone, r.day, w);
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

    /// Distinct phone-days so far.
    pub fn phone_days(&self) -> usize {
        self.shards.iter().map(|s| s.footprint.phone_days()).sum()
    }

    /// The totals per area; `category[a]` is area a's category number, of
    /// `categories` (see [`DailyFootprint::totals`]). Shards are summed in
    /// parallel and merged in integers, so the result does not depend on
    /// the thread count.
    pub fn totals(&self, category: &[u32], categories: usize) -> FootprintTotals {
        self.shards
            .par_iter()
            .map(|s| s.footprint.totals(category, categories))
            .reduce(
                || FootprintTotals::new(category.len(), categories),
                |mut a, b| {
                    a.merge(&b);
                    a
                },
            )
    }
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
}
