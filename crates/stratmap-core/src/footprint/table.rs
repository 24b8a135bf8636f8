//! An open-addressing hash table (linear probing) of small fixed-size
//! keys and values, packed without padding, whose buckets can be
//! prefetched: the footprint engine looks up millions of phones and
//! phone-days in tables far larger than the caches, so it asks for the
//! bucket of a record a few records ahead while it works on this one, and
//! the memory latency of each lookup is hidden behind the others.

/// A key of a [`Table`]: copyable, with one value that is never a real key
/// (marking an empty bucket) and a well-mixed hash.
pub(super) trait Key: Copy + Eq {
    /// The empty bucket's key.
    const EMPTY: Self;
    /// A hash whose high bits are well mixed (they choose the bucket).
    fn hash(self) -> u64;
}

/// A phone-day: phone number in the high half, day in the low.
impl Key for u64 {
    const EMPTY: u64 = u64::MAX;
    #[inline]
    fn hash(self) -> u64 {
        mix(self)
    }
}

/// A phone key packed with its length (see `keys::packed`), as two words.
impl Key for [u64; 2] {
    const EMPTY: [u64; 2] = [u64::MAX, u64::MAX];
    #[inline]
    fn hash(self) -> u64 {
        mix(self[0] ^ mix(self[1]))
    }
}

/// The SplitMix64 finaliser.
#[inline]
pub(super) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One bucket, packed to 4-byte alignment (a u64 key and a 12-byte value
/// take 20 bytes, not 24).
#[repr(C, packed(4))]
#[derive(Clone, Copy)]
struct Bucket<K, V> {
    key: K,
    value: V,
}

/// The table; see the module. A hash chooses its home bucket by
/// multiplying (`hash × buckets / 2⁶⁴`), so the bucket count needs not be
/// a power of two and the table grows by half: it is always between 8/15
/// and 4/5 full, so 20-byte buckets take 25 to 38 bytes a key.
pub(super) struct Table<K, V> {
    buckets: Vec<Bucket<K, V>>,
    len: usize,
}

/// Buckets of a new table.
const FIRST: usize = 16;

impl<K: Key, V: Copy + Default> Default for Table<K, V> {
    fn default() -> Self {
        Table {
            buckets: vec![
                Bucket {
                    key: K::EMPTY,
                    value: V::default(),
                };
                FIRST
            ],
            len: 0,
        }
    }
}

impl<K: Key, V: Copy + Default> Table<K, V> {
    #[inline]
    fn home(&self, key: K) -> usize {
        ((u128::from(key.hash()) * self.buckets.len() as u128) >> 64) as usize
    }

    /// The bucket after `i`, round the end.
    #[inline]
    fn after(&self, i: usize) -> usize {
        if i + 1 == self.buckets.len() {
            0
        } else {
            i + 1
        }
    }

    /// Asks the processor to bring `key`'s bucket into the cache.
    #[inline]
    pub(super) fn prefetch(&self, key: K) {
        let i = self.home(key);
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a prefetch is only a hint; it reads nothing and cannot
        // fault, and the address is within the table.
        unsafe {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            _mm_prefetch::<_MM_HINT_T0>(self.buckets.as_ptr().add(i).cast::<i8>());
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = i;
    }

    /// Calls `f` with `key`'s value (`None` when new) and stores what it
    /// returns.
    #[inline]
    pub(super) fn update(&mut self, key: K, f: impl FnOnce(Option<V>) -> V) {
        if (self.len + 1) * 5 > self.buckets.len() * 4 {
            self.grow();
        }
        let mut i = self.home(key);
        loop {
            let b = self.buckets[i];
            let k = b.key;
            if k == key {
                let value = f(Some(b.value));
                self.buckets[i].value = value;
                return;
            }
            if k == K::EMPTY {
                let value = f(None);
                self.buckets[i] = Bucket { key, value };
                self.len += 1;
                return;
            }
            i = self.after(i);
        }
    }

    /// `key`'s value.
    #[inline]
    pub(super) fn get(&self, key: K) -> Option<V> {
        let mut i = self.home(key);
        loop {
            let b = self.buckets[i];
            let k = b.key;
            if k == key {
                return Some(b.value);
            }
            if k == K::EMPTY {
                return None;
            }
            i = self.after(i);
        }
    }

    fn grow(&mut self) {
        let n = self.buckets.len() + self.buckets.len() / 2;
        let old = std::mem::replace(
            &mut self.buckets,
            vec![
                Bucket {
                    key: K::EMPTY,
                    value: V::default(),
                };
                n
            ],
        );
        for b in old {
            let key = b.key;
            if key == K::EMPTY {
                continue;
            }
            let mut i = self.home(key);
            loop {
                let k = self.buckets[i].key;
                if k == K::EMPTY {
                    break;
                }
                i = self.after(i);
            }
            self.buckets[i] = b;
        }
    }

    /// Removes the keys that `take` picks and gives them with their values,
    /// in no particular order; the others stay, and the table keeps its
    /// buckets (it is refilled to about the same size).
    pub(super) fn take_where(&mut self, take: impl Fn(K) -> bool) -> Vec<(K, V)> {
        let (mut taken, mut kept) = (Vec::new(), Vec::new());
        for b in &mut self.buckets {
            let (key, value) = (b.key, b.value);
            if key == K::EMPTY {
                continue;
            }
            if take(key) {
                taken.push((key, value));
            } else {
                kept.push((key, value));
            }
            b.key = K::EMPTY;
        }
        self.len = 0;
        for (key, value) in kept {
            self.update(key, |_| value);
        }
        taken
    }

    /// Replaces every value by what `f` makes of its key and value.
    pub(super) fn update_values(&mut self, mut f: impl FnMut(K, V) -> V) {
        for b in &mut self.buckets {
            let key = b.key;
            if key != K::EMPTY {
                b.value = f(key, b.value);
            }
        }
    }

    /// Keys held.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Every key and its value, in no particular order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (K, V)> + '_ {
        self.buckets
            .iter()
            .map(|b| (b.key, b.value))
            .filter(|(k, _)| *k != K::EMPTY)
    }

    /// Bytes held.
    pub(super) fn bytes(&self) -> usize {
        self.buckets.capacity() * std::mem::size_of::<Bucket<K, V>>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Growth keeps every key and value; absent keys stay absent.
    #[test]
    fn keeps_every_key_through_growth() {
        let mut t: Table<u64, u32> = Table::default();
        for k in 0..10_000u64 {
            t.update(k * 7919, |v| {
                assert!(v.is_none());
                k as u32
            });
        }
        for k in 0..10_000u64 {
            t.update(k * 7919, |v| v.unwrap_or(0) + 1);
        }
        assert_eq!(t.len(), 10_000);
        for k in 0..10_000u64 {
            assert_eq!(t.get(k * 7919), Some(k as u32 + 1));
            assert_eq!(t.get(k * 7919 + 1), None);
        }
        let mut all: Vec<u64> = t.iter().map(|(k, _)| k).collect();
        all.sort_unstable();
        assert_eq!(all, (0..10_000u64).map(|k| k * 7919).collect::<Vec<_>>());
        assert_eq!(std::mem::size_of::<Bucket<u64, [u32; 3]>>(), 20);
        // the odd keys taken out, the even ones kept and still found
        let mut odd = t.take_where(|k| (k / 7919) % 2 == 1);
        odd.sort_unstable();
        assert_eq!(odd.len(), 5000);
        assert_eq!(odd[0], (7919, 2));
        assert_eq!(t.len(), 5000);
        t.update_values(|_, v| v * 10);
        for k in 0..10_000u64 {
            let want = (k % 2 == 0).then_some((k as u32 + 1) * 10);
            assert_eq!(t.get(k * 7919), want);
        }
    }
}
