//! Compact build-time storage: interned terms in one byte arena with an open-addressing
//! table, and per-term postings appended to linked byte slices in shared 1 MiB pages.
//!
//! At 60,000 articles the index has hundreds of thousands of distinct terms, most with
//! one or two postings, so per-term overhead matters more than per-posting cost: a term
//! costs ~40 bytes here (state, table slot, arena bytes, first 8-byte slice) against
//! ~130 for `HashMap<Box<str>, Vec<u8>>`.

const PAGE_BITS: u32 = 20;
const PAGE_SIZE: usize = 1 << PAGE_BITS;
/// Slice sizes by level; each slice ends with a 4-byte address of the next one.
const LEVEL_SIZES: [u32; 8] = [8, 16, 32, 64, 128, 256, 512, 1024];
const PTR: u32 = 4;

/// Postings state of one term.
#[derive(Clone, Copy, Debug)]
pub struct TermState {
    head: u32,
    tail: u32,
    end: u32,
    /// Bytes written.
    pub len: u32,
    /// Last doc number added.
    pub last_doc: u32,
    /// Number of docs (postings).
    pub df: u32,
    level: u8,
}

/// Paged byte storage for postings slices.
#[derive(Default)]
pub struct SlicePool {
    pages: Vec<Box<[u8]>>,
    used: usize,
}

impl SlicePool {
    fn alloc(&mut self, size: u32) -> u32 {
        if self.pages.is_empty() || self.used + size as usize > PAGE_SIZE {
            self.pages.push(vec![0u8; PAGE_SIZE].into_boxed_slice());
            self.used = 0;
        }
        let addr = ((self.pages.len() - 1) << PAGE_BITS) | self.used;
        self.used += size as usize;
        u32::try_from(addr).expect("search index postings exceed 4 GiB")
    }

    fn byte(&self, addr: u32) -> u8 {
        self.pages[(addr >> PAGE_BITS) as usize][(addr as usize) & (PAGE_SIZE - 1)]
    }

    fn set(&mut self, addr: u32, b: u8) {
        self.pages[(addr >> PAGE_BITS) as usize][(addr as usize) & (PAGE_SIZE - 1)] = b;
    }

    fn ptr(&self, addr: u32) -> u32 {
        u32::from_le_bytes(std::array::from_fn(|i| self.byte(addr + i as u32)))
    }

    /// A new, empty postings state.
    pub fn new_state(&mut self) -> TermState {
        let head = self.alloc(LEVEL_SIZES[0]);
        TermState { head, tail: head, end: head + LEVEL_SIZES[0] - PTR, len: 0, last_doc: 0, df: 0, level: 0 }
    }

    /// Appends bytes to a term's postings, a block at a time (a term's whole list at once when
    /// carried over from an earlier build).
    pub fn append(&mut self, st: &mut TermState, mut bytes: &[u8]) {
        st.len += bytes.len() as u32;
        while !bytes.is_empty() {
            if st.tail == st.end {
                let level = (st.level as usize + 1).min(LEVEL_SIZES.len() - 1);
                let next = self.alloc(LEVEL_SIZES[level]);
                for (i, x) in next.to_le_bytes().into_iter().enumerate() {
                    self.set(st.end + i as u32, x);
                }
                st.tail = next;
                st.end = next + LEVEL_SIZES[level] - PTR;
                st.level = level as u8;
            }
            // A block never crosses a page (`alloc`).
            let n = ((st.end - st.tail) as usize).min(bytes.len());
            let page = &mut self.pages[(st.tail >> PAGE_BITS) as usize];
            let off = (st.tail as usize) & (PAGE_SIZE - 1);
            page[off..off + n].copy_from_slice(&bytes[..n]);
            st.tail += n as u32;
            bytes = &bytes[n..];
        }
    }

    /// Copies a term's postings bytes into `out` (cleared first).
    pub fn read(&self, st: &TermState, out: &mut Vec<u8>) {
        out.clear();
        out.reserve(st.len as usize);
        let (mut pos, mut level) = (st.head, 0usize);
        let mut end = pos + LEVEL_SIZES[0] - PTR;
        while out.len() < st.len as usize {
            if pos == end {
                pos = self.ptr(end);
                level = (level + 1).min(LEVEL_SIZES.len() - 1);
                end = pos + LEVEL_SIZES[level] - PTR;
            }
            let page = &self.pages[(pos >> PAGE_BITS) as usize];
            let start = (pos as usize) & (PAGE_SIZE - 1);
            let n = ((end - pos) as usize).min(st.len as usize - out.len());
            out.extend_from_slice(&page[start..start + n]);
            pos += n as u32;
        }
    }

    /// Bytes held by the pool.
    pub fn capacity_bytes(&self) -> usize {
        self.pages.len() * PAGE_SIZE
    }
}

/// A vector kept in fixed-size pages: growing never copies or over-allocates by half.
pub struct PagedVec<T> {
    pages: Vec<Vec<T>>,
    len: usize,
}

const PAGE_ITEMS: usize = 1 << 14;

impl<T> Default for PagedVec<T> {
    fn default() -> Self {
        PagedVec { pages: Vec::new(), len: 0 }
    }
}

impl<T> PagedVec<T> {
    pub fn push(&mut self, v: T) {
        if self.len.is_multiple_of(PAGE_ITEMS) {
            self.pages.push(Vec::with_capacity(PAGE_ITEMS));
        }
        self.pages.last_mut().expect("page").push(v);
        self.len += 1;
    }

    pub fn heap_bytes(&self) -> usize {
        self.pages.len() * PAGE_ITEMS * std::mem::size_of::<T>()
    }
}

impl<T> std::ops::Index<usize> for PagedVec<T> {
    type Output = T;
    fn index(&self, i: usize) -> &T {
        &self.pages[i / PAGE_ITEMS][i % PAGE_ITEMS]
    }
}

impl<T> std::ops::IndexMut<usize> for PagedVec<T> {
    fn index_mut(&mut self, i: usize) -> &mut T {
        &mut self.pages[i / PAGE_ITEMS][i % PAGE_ITEMS]
    }
}

/// Interned terms: ids are dense, in first-seen order.
#[derive(Default)]
pub struct TermTable {
    bytes: Vec<u8>,
    /// Start offsets into `bytes`, plus the end of the last term.
    offs: Vec<u32>,
    /// Open addressing, linear probing: term id + 1, 0 = empty.
    slots: Vec<u32>,
}

/// Up to 8 bytes as a little-endian integer, 0-padded (no `memcpy` call for short keys).
///
/// Two overlapping loads instead of a byte loop (which cost ~30 instructions a term, and this
/// runs several times for every token the search index counts): the bytes both loads cover
/// land on the same positions, so OR-ing them changes nothing.
#[inline]
pub fn load_partial(b: &[u8]) -> u64 {
    let n = b.len();
    if n >= 8 {
        u64::from_le_bytes(b[..8].try_into().expect("8 bytes"))
    } else if n >= 4 {
        let lo = u64::from(u32::from_le_bytes(b[..4].try_into().expect("4 bytes")));
        let hi = u64::from(u32::from_le_bytes(b[n - 4..].try_into().expect("4 bytes")));
        lo | hi << (8 * (n - 4))
    } else if n > 0 {
        u64::from(b[0]) | u64::from(b[n / 2]) << (8 * (n / 2)) | u64::from(b[n - 1]) << (8 * (n - 1))
    } else {
        0
    }
}

/// Byte-string equality that avoids a `memcmp` call for keys of up to 8 bytes.
#[inline]
pub fn short_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && if a.len() <= 8 { load_partial(a) == load_partial(b) } else { a == b }
}

/// A fast non-cryptographic hash of a short byte string (stable across runs).
#[inline]
pub fn hash(b: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h: u64 = b.len() as u64;
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        h = (h.rotate_left(5) ^ u64::from_le_bytes(c.try_into().unwrap())).wrapping_mul(K);
    }
    h = (h.rotate_left(5) ^ load_partial(chunks.remainder())).wrapping_mul(K);
    h ^ (h >> 29)
}

impl TermTable {
    /// Number of terms.
    pub fn len(&self) -> usize {
        self.offs.len().saturating_sub(1)
    }

    /// The bytes of term `id`.
    pub fn get(&self, id: u32) -> &[u8] {
        &self.bytes[self.offs[id as usize] as usize..self.offs[id as usize + 1] as usize]
    }

    /// The id of `term`, interning it if new; the flag tells whether it was new.
    pub fn intern(&mut self, term: &[u8]) -> (u32, bool) {
        if self.offs.is_empty() {
            self.offs.push(0);
        }
        if (self.len() + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut i = hash(term) as usize & mask;
        loop {
            match self.slots[i] {
                0 => break,
                s if short_eq(self.get(s - 1), term) => return (s - 1, false),
                _ => i = (i + 1) & mask,
            }
        }
        let id = self.len() as u32;
        self.bytes.extend_from_slice(term);
        self.offs.push(u32::try_from(self.bytes.len()).expect("term arena exceeds 4 GiB"));
        self.slots[i] = id + 1;
        (id, true)
    }

    /// Makes room for `terms` terms in all without growing again.
    pub fn reserve(&mut self, terms: usize) {
        let cap = (terms * 2 + 2).next_power_of_two().max(1024);
        if cap > self.slots.len() {
            self.rehash(cap);
        }
        self.offs.reserve(terms + 1);
    }

    fn grow(&mut self) {
        self.rehash((self.slots.len() * 2).max(1024));
    }

    fn rehash(&mut self, cap: usize) {
        self.slots = vec![0; cap];
        let mask = cap - 1;
        for id in 0..self.len() as u32 {
            let mut i = hash(self.get(id)) as usize & mask;
            while self.slots[i] != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = id + 1;
        }
    }

    /// Approximate heap bytes.
    pub fn heap_bytes(&self) -> usize {
        self.bytes.capacity() + self.offs.capacity() * 4 + self.slots.capacity() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_partial_packs_the_first_eight_bytes() {
        // Reference: byte i at bits 8i..8i+8, at most 8 bytes, the rest zero.
        let reference = |b: &[u8]| b.iter().take(8).enumerate().fold(0u64, |v, (i, &x)| v | u64::from(x) << (8 * i));
        let bytes: Vec<u8> = (1..=12u8).map(|i| i.wrapping_mul(37) ^ 0xA5).collect();
        for start in 0..bytes.len() {
            for end in start..=bytes.len() {
                let b = &bytes[start..end];
                assert_eq!(load_partial(b), reference(b), "{b:?}");
            }
        }
        assert_eq!(load_partial(b"ab"), 0x6261);
        assert_eq!(load_partial(&[0xFF; 3]), 0xFF_FFFF);
    }

    #[test]
    fn interning_is_stable() {
        let mut t = TermTable::default();
        let words: Vec<String> = (0..5000).map(|i| format!("w{i}")).collect();
        for (i, w) in words.iter().enumerate() {
            assert_eq!(t.intern(w.as_bytes()), (i as u32, true));
        }
        for (i, w) in words.iter().enumerate() {
            assert_eq!(t.intern(w.as_bytes()), (i as u32, false));
            assert_eq!(t.get(i as u32), w.as_bytes());
        }
        assert_eq!(t.len(), 5000);
    }

    #[test]
    fn paged_vec() {
        let mut v = PagedVec::default();
        for i in 0..40_000u32 {
            v.push(i);
        }
        v[20_000] += 1;
        assert_eq!((v[0], v[16_384], v[20_000], v[39_999]), (0, 16_384, 20_001, 39_999));
    }

    #[test]
    fn slices_round_trip() {
        let mut pool = SlicePool::default();
        let mut states: Vec<TermState> = (0..50).map(|_| pool.new_state()).collect();
        let mut expect: Vec<Vec<u8>> = vec![Vec::new(); 50];
        for round in 0..400u32 {
            for (k, st) in states.iter_mut().enumerate() {
                if round % (k as u32 + 1) == 0 {
                    let bytes = [(round % 251) as u8, k as u8, 7];
                    pool.append(st, &bytes[..1 + (round as usize % 3)]);
                    expect[k].extend_from_slice(&bytes[..1 + (round as usize % 3)]);
                }
            }
        }
        let mut out = Vec::new();
        for (st, e) in states.iter().zip(&expect) {
            pool.read(st, &mut out);
            assert_eq!(&out, e);
        }
    }
}
