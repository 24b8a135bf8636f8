//! The further towers of a shard's phone-days (all but the first, which
//! the phone-day holds itself), each phone-day's together in one chunk:
//! finding a record's tower is a scan of a few neighbouring words, not a
//! walk of nodes scattered over the arena (one cache miss after another on
//! a day of many towers).
//!
//! A chunk holds 1, 2, 4, 8, 16, 32 or 64 (tower, count) pairs (its class);
//! chunks of up to 8 pairs lie in one 64-byte cache line. A phone-day's
//! chunk, when full, is copied into one of the next class and the old one
//! kept for reuse (a free list per class), so a day of `f` further towers
//! holds at most `2f` pairs. A day of more than 63 further towers goes on
//! in further chunks of 64, the last pair of each a link to the next.

/// No chunk: a phone-day without further towers.
pub(super) const NONE: u32 = u32::MAX;
/// A pair not used yet (the end of a chunk's towers).
const FREE: u32 = u32::MAX;
/// The last pair of a full chunk of the largest class: a link, its count
/// the next chunk's number.
const LINK: u32 = u32::MAX - 1;

/// A further tower of a phone-day, and how many of its records were there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Pair {
    pub(super) tower: u32,
    pub(super) count: u32,
}

const UNUSED: Pair = Pair {
    tower: FREE,
    count: 0,
};

/// Eight pairs: one cache line.
#[derive(Clone, Copy)]
#[repr(align(64))]
struct Line([Pair; 8]);

/// The classes of chunk: class `c` holds `1 << c` pairs.
const CLASSES: usize = 7;
const LARGEST: usize = CLASSES - 1;
/// A chunk's reference: its class in the top bits, its number in the class
/// below them.
const CLASS_SHIFT: u32 = 29;
const NUMBER: u32 = (1 << CLASS_SHIFT) - 1;
/// Lines in a block (a multiple of the largest chunk's 8 lines).
const BLOCK: usize = 1 << 9;

const fn pairs(class: usize) -> usize {
    1 << class
}

/// One class's chunks, in blocks of [`BLOCK`] lines (the store grows a
/// block at a time, never by copying itself into one twice its size).
#[derive(Default)]
struct Class {
    blocks: Vec<Box<[Line]>>,
    /// Chunks made so far.
    chunks: u32,
    /// Chunks given back, to be used again.
    free: Vec<u32>,
}

impl Class {
    /// Pair `i` of the class (chunk `k` has pairs `k · n` to `k · n + n − 1`).
    #[inline]
    fn at(&self, i: usize) -> Pair {
        let line = i / 8;
        self.blocks[line / BLOCK][line % BLOCK].0[i % 8]
    }

    #[inline]
    fn at_mut(&mut self, i: usize) -> &mut Pair {
        let line = i / 8;
        &mut self.blocks[line / BLOCK][line % BLOCK].0[i % 8]
    }
}

/// The further towers of one shard's phone-days; see the module.
#[derive(Default)]
pub(super) struct DayTowers {
    classes: [Class; CLASSES],
}

fn reference(class: usize, number: u32) -> u32 {
    ((class as u32) << CLASS_SHIFT) | number
}

fn split(r: u32) -> (usize, u32) {
    ((r >> CLASS_SHIFT) as usize, r & NUMBER)
}

impl DayTowers {
    /// A new chunk of `class`, every pair unused; its number.
    fn alloc(&mut self, class: usize) -> u32 {
        let n = pairs(class);
        let c = &mut self.classes[class];
        if let Some(k) = c.free.pop() {
            for i in k as usize * n..(k as usize + 1) * n {
                *c.at_mut(i) = UNUSED;
            }
            return k;
        }
        let k = c.chunks;
        assert!(
            k < NUMBER,
            "more than 5 × 10⁸ chunks of further towers in one shard of the footprint engine"
        );
        c.chunks += 1;
        if c.blocks.len() * BLOCK * 8 < (k as usize + 1) * n {
            c.blocks
                .push(vec![Line([UNUSED; 8]); BLOCK].into_boxed_slice());
        }
        k
    }

    /// One record at `tower` for the phone-day whose chunk is `head`
    /// (updated when a chunk is made or moved).
    #[inline]
    pub(super) fn add(&mut self, head: &mut u32, tower: u32) {
        let new = Pair { tower, count: 1 };
        debug_assert!(tower < LINK, "tower number {tower} is kept for marks");
        if *head == NONE {
            let k = self.alloc(0);
            *self.classes[0].at_mut(k as usize * pairs(0)) = new;
            *head = reference(0, k);
            return;
        }
        let (class, mut number) = split(*head);
        'chunk: loop {
            let n = pairs(class);
            let first = number as usize * n;
            let c = &mut self.classes[class];
            for k in 0..n {
                let p = c.at_mut(first + k);
                if p.tower == tower {
                    p.count = p.count.saturating_add(1);
                    return;
                }
                if p.tower == LINK {
                    number = p.count;
                    continue 'chunk;
                }
                if p.tower == FREE {
                    if class == LARGEST && k == n - 1 {
                        // the last pair of the largest class is a link
                        let next = self.alloc(LARGEST);
                        let c = &mut self.classes[LARGEST];
                        *c.at_mut(first + k) = Pair {
                            tower: LINK,
                            count: next,
                        };
                        *c.at_mut(next as usize * n) = new;
                    } else {
                        *p = new;
                    }
                    return;
                }
            }
            // full (a chunk of the largest class ends in a link or a free
            // pair): into a chunk of the next class
            let bigger = self.alloc(class + 1);
            let (lo, hi) = self.classes.split_at_mut(class + 1);
            let (from, to) = (&mut lo[class], &mut hi[0]);
            let at = bigger as usize * pairs(class + 1);
            for k in 0..n {
                *to.at_mut(at + k) = from.at(first + k);
            }
            *to.at_mut(at + n) = new;
            from.free.push(number);
            *head = reference(class + 1, bigger);
            return;
        }
    }

    /// The pairs of the phone-day whose chunk is `head`.
    pub(super) fn pairs(&self, head: u32) -> impl Iterator<Item = Pair> + '_ {
        let mut at = (head != NONE).then(|| split(head));
        let mut k = 0;
        std::iter::from_fn(move || loop {
            let (class, number) = at?;
            let n = pairs(class);
            if k == n {
                return None;
            }
            let p = self.classes[class].at(number as usize * n + k);
            if p.tower == LINK {
                at = Some((class, p.count));
                k = 0;
            } else if p.tower == FREE {
                return None;
            } else {
                k += 1;
                return Some(p);
            }
        })
    }

    /// Copies the pairs of `head`, a phone-day of `from`, into this store:
    /// its new head. The pairs are distinct, so they are laid out without
    /// a search: in one chunk of the least class that holds them, or in
    /// linked chunks of the largest class, 63 pairs each.
    pub(super) fn copy_from(&mut self, from: &DayTowers, head: u32) -> u32 {
        let f = from.pairs(head).count();
        if f == 0 {
            return NONE;
        }
        if let Some(class) = (0..LARGEST).find(|&c| pairs(c) >= f) {
            let k = self.alloc(class);
            let first = k as usize * pairs(class);
            let c = &mut self.classes[class];
            for (i, p) in from.pairs(head).enumerate() {
                *c.at_mut(first + i) = p;
            }
            return reference(class, k);
        }
        let n = pairs(LARGEST);
        let (mut new_head, mut chunk) = (NONE, 0);
        for (i, p) in from.pairs(head).enumerate() {
            if i % (n - 1) == 0 {
                let next = self.alloc(LARGEST);
                if new_head == NONE {
                    new_head = reference(LARGEST, next);
                } else {
                    *self.classes[LARGEST].at_mut(chunk as usize * n + n - 1) = Pair {
                        tower: LINK,
                        count: next,
                    };
                }
                chunk = next;
            }
            *self.classes[LARGEST].at_mut(chunk as usize * n + i % (n - 1)) = p;
        }
        new_head
    }

    /// Whether no chunk was ever made.
    pub(super) fn is_empty(&self) -> bool {
        self.classes.iter().all(|c| c.chunks == 0)
    }

    /// Bytes held.
    pub(super) fn bytes(&self) -> usize {
        self.classes
            .iter()
            .map(|c| c.blocks.len() * BLOCK * std::mem::size_of::<Line>() + c.free.capacity() * 4)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    /// Each day's pairs, sorted by tower.
    fn listed(store: &DayTowers, heads: &[u32]) -> Vec<Vec<(u32, u32)>> {
        heads
            .iter()
            .map(|&h| {
                let mut v: Vec<(u32, u32)> = store.pairs(h).map(|p| (p.tower, p.count)).collect();
                v.sort_unstable();
                v
            })
            .collect()
    }

    proptest! {
        /// Every day's towers and counts, as a map of them counts them,
        /// through chunks that grow, move, are reused and run on in links;
        /// and a copy into a new store is the same.
        #[test]
        fn each_day_holds_its_towers_and_counts(
            adds in prop::collection::vec((0usize..6, 0u32..200), 0..3000),
            wide in 0usize..6,
        ) {
            let mut store = DayTowers::default();
            let mut heads = vec![NONE; 6];
            let mut reference = vec![BTreeMap::<u32, u32>::new(); 6];
            for (i, &(day, tower)) in adds.iter().enumerate() {
                // one day of many distinct towers, the others of few
                let tower = if day == wide { tower } else { tower % (day as u32 * 3 + 1) };
                store.add(&mut heads[day], tower);
                *reference[day].entry(tower).or_default() += 1;
                if i % 500 == 0 {
                    prop_assert_eq!(
                        listed(&store, &heads),
                        reference.iter().map(|m| m.iter().map(|(&t, &c)| (t, c)).collect::<Vec<_>>()).collect::<Vec<_>>()
                    );
                }
            }
            let want: Vec<Vec<(u32, u32)>> = reference
                .iter()
                .map(|m| m.iter().map(|(&t, &c)| (t, c)).collect())
                .collect();
            prop_assert_eq!(listed(&store, &heads), want.clone());
            let mut copy = DayTowers::default();
            let copied: Vec<u32> = heads.iter().map(|&h| copy.copy_from(&store, h)).collect();
            prop_assert_eq!(listed(&copy, &copied), want);
            prop_assert!(copy.bytes() <= store.bytes());
        }
    }

    /// A day of 200 towers: chunks of 1, 2, 4, …, 64 pairs, then links; the
    /// chunks it left are used again by the next day.
    #[test]
    fn chunks_grow_link_and_are_reused() {
        let mut store = DayTowers::default();
        let mut a = NONE;
        for t in 0..200 {
            store.add(&mut a, t);
        }
        assert_eq!(split(a).0, LARGEST);
        assert_eq!(store.pairs(a).count(), 200);
        assert!(store.pairs(a).all(|p| p.count == 1));
        // every smaller class gave its chunk back
        for c in 0..LARGEST {
            assert_eq!(store.classes[c].free, vec![0], "class {c}");
        }
        // 200 further towers: the first chunk of 64 holds 63, and two more
        // of 63 and one of 11 follow by links
        assert_eq!(store.classes[LARGEST].chunks, 4);
        let mut b = NONE;
        store.add(&mut b, 7);
        store.add(&mut b, 8);
        store.add(&mut b, 9);
        assert_eq!(
            store.classes[0].chunks, 1,
            "the freed chunk of 1 was reused"
        );
        assert_eq!(
            store.classes[1].chunks, 1,
            "the freed chunk of 2 was reused"
        );
        let mut got: Vec<u32> = store.pairs(b).map(|p| p.tower).collect();
        got.sort_unstable();
        assert_eq!(got, vec![7, 8, 9]);
    }
}
