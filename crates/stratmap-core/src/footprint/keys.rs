//! A map from short byte strings (tower ids) to numbers that holds keys of
//! up to 15 bytes inline, packed with their length into two words: looking one up compares two integers and never follows a
//! pointer to the key, which in a table larger than the cache is a miss a
//! record. Longer keys are kept as boxed bytes.

use super::table::Table;
use rustc_hash::FxHashMap;

/// Bytes a key may have to be held inline.
const INLINE: usize = 15;

/// `key` and its length in two words (the length in the top byte of the
/// second), when it is short enough. The top byte is at most 15, so the
/// values 0xFE and 0xFF there are free for other uses.
#[inline]
pub(super) fn packed(key: &[u8]) -> Option<[u64; 2]> {
    if key.len() > INLINE {
        return None;
    }
    let mut b = [0u8; 16];
    b[..key.len()].copy_from_slice(key);
    b[15] = key.len() as u8;
    let word = |i: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[i..i + 8]);
        u64::from_le_bytes(w)
    };
    Some([word(0), word(8)])
}

/// Numbers by byte-string key; see the module.
///
/// ```
/// use stratmap_core::KeyMap;
/// let mut towers = KeyMap::default();
/// towers.insert(b"T00017", 0);
/// towers.insert(b"a-tower-id-longer-than-fifteen-bytes", 1);
/// assert_eq!(towers.get(b"T00017"), Some(0));
/// assert_eq!(towers.get(b"T0001"), None);
/// assert_eq!(towers.get(b"a-tower-id-longer-than-fifteen-bytes"), Some(1));
/// assert_eq!(towers.len(), 2);
/// ```
#[derive(Default)]
pub struct KeyMap {
    /// Short keys in an open-addressing table: one bucket read a lookup.
    short: Table<[u64; 2], u32>,
    long: FxHashMap<Box<[u8]>, u32>,
}

impl KeyMap {
    /// The number of `key`, if it has one.
    #[inline]
    pub fn get(&self, key: &[u8]) -> Option<u32> {
        match packed(key) {
            Some(k) => self.short.get(k),
            None => self.long.get(key).copied(),
        }
    }

    /// Gives `key` the number `value` (replacing any it had).
    pub fn insert(&mut self, key: &[u8], value: u32) {
        match packed(key) {
            Some(k) => self.short.update(k, |_| value),
            None => {
                self.long.insert(key.into(), value);
            }
        }
    }

    /// The number of `key`, given it the next number (`len()`) if new.
    #[inline]
    pub fn intern(&mut self, key: &[u8]) -> u32 {
        let next = self.len() as u32;
        match packed(key) {
            Some(k) => {
                let mut v = next;
                self.short.update(k, |old| {
                    v = old.unwrap_or(next);
                    v
                });
                v
            }
            None => match self.long.get(key) {
                Some(&v) => v,
                None => {
                    self.long.insert(key.into(), next);
                    next
                }
            },
        }
    }

    /// Keys held.
    pub fn len(&self) -> usize {
        self.short.len() + self.long.len()
    }

    /// Whether it holds no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes held, tables at their capacity.
    pub fn bytes(&self) -> usize {
        self.short.bytes()
            + self.long.capacity() * (std::mem::size_of::<(Box<[u8]>, u32)>() + 1)
            + self.long.keys().map(|k| k.len()).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys that differ only in length or trailing zero bytes stay apart,
    /// at the inline limit and past it.
    #[test]
    fn keys_are_told_apart_exactly() {
        let keys: Vec<Vec<u8>> = vec![
            vec![],
            vec![0],
            vec![0, 0],
            b"p1".to_vec(),
            b"p1\0".to_vec(),
            vec![7; 15],
            vec![7; 16],
            [vec![7; 15], vec![0]].concat(),
            vec![255; 15],
        ];
        let mut m = KeyMap::default();
        for k in &keys {
            assert_eq!(m.intern(k) as usize, m.len() - 1, "{k:?} new");
        }
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(m.get(k), Some(i as u32));
            assert_eq!(m.intern(k), i as u32);
        }
        assert_eq!(m.len(), keys.len());
    }
}
