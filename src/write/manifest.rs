//! The manifest of an output folder: for every file a build left in it, what it was made from
//! (a digest of its inputs), a digest of its bytes, and the size, modification time and inode
//! the file had when it was written. It is kept beside the folder (`<output>.kbsite-manifest`,
//! never published), so that the next build that reuses the folder can leave a file alone when
//! it would write the same thing, and skip rendering it when its inputs are unchanged.
//!
//! A file is trusted only while its size, time and inode are still what was recorded: a file
//! edited, replaced or removed since is made again. A manifest that cannot be read (missing,
//! truncated, another format) is simply not used.
//!
//! It also records the stamps of folders whose entries were exactly the build's own (see
//! [`Recorder::record_folder`]): while a folder's stamp is unchanged, nothing was added to it,
//! removed from it or renamed in it, so the next build that reuses the folder knows its entries
//! without listing it.

use std::io::{BufWriter, Write};
use std::ops::Range;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use xxhash_rust::xxh3::{xxh3_64, Xxh3Default};

const MAGIC: &[u8; 8] = b"KBSMAN01";

/// Flag: the page used syntax highlighting (the site then needs the highlight stylesheet).
pub const HIGHLIGHTED: u8 = 1;
/// Flag: written by the writer of a whole subtree (the search index), not one by one.
pub const TREE: u8 = 2;
/// Flag: a folder's record ([`Recorder::record_folder`]), not a file's.
const FOLDER: u8 = 4;
/// Folder records are stored under their path after this byte, which no file path holds: they
/// sort before every file and never answer a file's lookup.
const FOLDER_MARK: u8 = 0;

/// What the manifest says of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Entry {
    /// Digest of what the file was made from (0: not recorded, e.g. a file written from bytes).
    pub key: u64,
    /// Digest of its bytes ([`content_digest`]; 0: not known, e.g. a copied file).
    pub content: u64,
    pub stamp: Stamp,
    pub flags: u8,
}

/// What the file system says of a file: equal stamps mean the file was not touched since.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stamp {
    pub len: u64,
    pub mtime_sec: i64,
    pub mtime_nsec: u32,
    pub ino: u64,
}

impl Stamp {
    /// The stamp of a file (not of a link or folder); `None` for anything else.
    pub fn of(meta: &std::fs::Metadata) -> Option<Stamp> {
        if !meta.is_file() {
            return None;
        }
        Stamp::of_any(meta)
    }

    fn of_any(meta: &std::fs::Metadata) -> Option<Stamp> {
        let since = meta.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?;
        #[cfg(unix)]
        let ino = std::os::unix::fs::MetadataExt::ino(meta);
        #[cfg(not(unix))]
        let ino = 0;
        Some(Stamp { len: meta.len(), mtime_sec: since.as_secs() as i64, mtime_nsec: since.subsec_nanos(), ino })
    }

    /// The stamp of the file at `path` now (links are not followed).
    pub fn at(path: &Path) -> Option<Stamp> {
        Stamp::of(&std::fs::symlink_metadata(path).ok()?)
    }

    /// The stamp of the folder at `path` now (links are not followed; `None` for anything but a
    /// folder): its modification time changes whenever an entry is added, removed or renamed in
    /// it.
    pub fn of_folder_at(path: &Path) -> Option<Stamp> {
        let meta = std::fs::symlink_metadata(path).ok().filter(|m| m.is_dir())?;
        Stamp::of_any(&meta)
    }

    /// When the file or folder was last modified.
    pub fn modified(&self) -> std::time::SystemTime {
        let since = std::time::Duration::new(self.mtime_sec.max(0) as u64, self.mtime_nsec);
        std::time::UNIX_EPOCH + since
    }
}

/// The digest recorded for a file's bytes (never 0, which means "not known").
pub fn content_digest(bytes: &[u8]) -> u64 {
    xxh3_64(bytes) | 1
}

/// The digest of a source file's bytes, for input keys.
pub fn source_digest(bytes: &[u8]) -> u64 {
    xxh3_64(bytes)
}

/// A manifest read from disk: entries sorted by path, looked up by binary search (one buffer and
/// an offset per entry; 132,000 entries take ~10 MB).
#[derive(Debug, Default)]
pub struct Manifest {
    /// A digest of the build settings the input keys were computed under (a key counts only
    /// when a later build has the same).
    pub global: u64,
    buf: Vec<u8>,
    /// Offset of each entry in `buf`, in path order.
    offsets: Vec<u32>,
}

const FIXED: usize = 8 + 8 + 8 + 8 + 4 + 8 + 1; // key, content, len, sec, nsec, ino, flags

impl Manifest {
    /// Reads the manifest at `path`; `None` when there is none or it is not a complete, valid one.
    pub fn read(path: &Path) -> Option<Manifest> {
        let data = std::fs::read(path).ok()?;
        let body_len = data.len().checked_sub(8)?;
        let (body, sum) = data.split_at(body_len);
        if body.len() < 16 || &body[..8] != MAGIC || xxh3_64(body).to_le_bytes() != sum {
            return None;
        }
        let global = u64::from_le_bytes(body[8..16].try_into().ok()?);
        let buf = body[16..].to_vec();
        let mut offsets = Vec::new();
        let (mut last, mut end): (Option<&[u8]>, usize) = (None, 0);
        for (rel, range) in entries(&buf) {
            if last.is_some_and(|l| l >= rel) {
                return None; // written sorted and without duplicates
            }
            last = Some(rel);
            offsets.push(u32::try_from(range.start).ok()?);
            end = range.end;
        }
        (end == buf.len()).then_some(Manifest { global, buf, offsets })
    }

    pub fn len(&self) -> usize {
        self.offsets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.offsets.is_empty()
    }

    /// The entry for `rel`, if the manifest has one.
    pub fn get(&self, rel: &str) -> Option<Entry> {
        let i = self.offsets.binary_search_by(|&o| self.rel_at(o).cmp(rel.as_bytes())).ok()?;
        Some(decode_fixed(&self.buf, self.offsets[i] as usize + 4 + rel.len()))
    }

    /// Every entry whose path starts with `prefix`, in path order (folder records are not
    /// entries: see [`Manifest::folders`]).
    pub fn under<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, Entry)> + 'a {
        let start = match prefix.is_empty() {
            // Folder records sort first.
            true => self.offsets.partition_point(|&o| self.rel_at(o).first() == Some(&FOLDER_MARK)),
            false => self.offsets.partition_point(|&o| self.rel_at(o) < prefix.as_bytes()),
        };
        self.offsets[start..].iter().map_while(move |&o| {
            let rel = std::str::from_utf8(self.rel_at(o)).ok()?;
            rel.starts_with(prefix).then(|| (rel, decode_fixed(&self.buf, o as usize + 4 + rel.len())))
        })
    }

    /// The stamp recorded for folder `rel` (`""`: the output folder itself), if any.
    pub fn folder(&self, rel: &str) -> Option<Stamp> {
        // Folder records come first, each its path after the mark; every file sorts after them.
        let i = self
            .offsets
            .binary_search_by(|&o| match self.rel_at(o).split_first() {
                Some((&FOLDER_MARK, path)) => path.cmp(rel.as_bytes()),
                _ => std::cmp::Ordering::Greater,
            })
            .ok()?;
        let entry = decode_fixed(&self.buf, self.offsets[i] as usize + 4 + 1 + rel.len());
        (entry.flags == FOLDER).then_some(entry.stamp)
    }

    /// Every folder record: (folder, stamp), in path order.
    pub fn folders(&self) -> impl Iterator<Item = (&str, Stamp)> + '_ {
        self.offsets.iter().map_while(move |&o| {
            let rel = std::str::from_utf8(self.rel_at(o).strip_prefix(&[FOLDER_MARK])?).ok()?;
            let entry = decode_fixed(&self.buf, o as usize + 4 + 1 + rel.len());
            Some((rel, entry.stamp))
        })
    }

    fn rel_at(&self, offset: u32) -> &[u8] {
        entry_at(&self.buf, offset as usize).map_or(&[], |(rel, _)| rel)
    }
}

/// Each encoded entry of `buf`, in order: its path and the bytes it spans. Stops at the end or
/// at an incomplete entry.
fn entries(buf: &[u8]) -> impl Iterator<Item = (&[u8], Range<usize>)> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        let (rel, next) = entry_at(buf, at)?;
        let range = at..next;
        at = next;
        Some((rel, range))
    })
}

/// The path of the entry at `at` and where the next entry starts.
fn entry_at(buf: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let len = u32::from_le_bytes(buf.get(at..at + 4)?.try_into().ok()?) as usize;
    let rel = buf.get(at + 4..at + 4 + len)?;
    let end = at + 4 + len + FIXED;
    (end <= buf.len()).then_some((rel, end))
}

fn decode_fixed(buf: &[u8], at: usize) -> Entry {
    let u64_at = |i: usize| u64::from_le_bytes(buf[at + i..at + i + 8].try_into().unwrap_or_default());
    Entry {
        key: u64_at(0),
        content: u64_at(8),
        stamp: Stamp {
            len: u64_at(16),
            mtime_sec: u64_at(24) as i64,
            mtime_nsec: u32::from_le_bytes(buf[at + 32..at + 36].try_into().unwrap_or_default()),
            ino: u64_at(36),
        },
        flags: buf[at + 44],
    }
}

fn encode(out: &mut Vec<u8>, rel: &str, e: &Entry) {
    out.extend_from_slice(&(rel.len() as u32).to_le_bytes());
    out.extend_from_slice(rel.as_bytes());
    for v in [e.key, e.content, e.stamp.len, e.stamp.mtime_sec as u64] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&e.stamp.mtime_nsec.to_le_bytes());
    out.extend_from_slice(&e.stamp.ino.to_le_bytes());
    out.push(e.flags);
}

/// The entries a build records as it writes (from many threads), turned into a manifest file at
/// the end. Kept encoded in one buffer: a `String` per file would cost several times as much.
#[derive(Default)]
pub struct Recorder {
    buf: Mutex<Vec<u8>>,
    /// Folder records, apart: they are made while the listing holds `buf` locked (see
    /// [`Recorded`]), and they sort before every file.
    folders: Mutex<Vec<u8>>,
}

impl Recorder {
    /// Makes room for entries of these paths (growing the buffer by doubling would leave up to
    /// half of it unused, and copy it each time).
    pub fn reserve<'a>(&self, paths: impl Iterator<Item = &'a str>) {
        let bytes: usize = paths.map(|p| 4 + p.len() + FIXED).sum();
        self.buf.lock().unwrap_or_else(|e| e.into_inner()).reserve(bytes);
    }

    pub fn record(&self, rel: &str, entry: &Entry) {
        encode(&mut self.buf.lock().unwrap_or_else(|e| e.into_inner()), rel, entry);
    }

    /// Records the stamp of folder `rel` (`""`: the output folder itself). Only for a folder
    /// whose entries, when `stamp` was taken, were exactly the files this build recorded in it
    /// and the folders holding such files: a later build that finds the stamp unchanged takes
    /// the folder's entries from the manifest instead of listing it.
    pub fn record_folder(&self, rel: &str, stamp: Stamp) {
        let entry = Entry { stamp, flags: FOLDER, ..Entry::default() };
        let mut folders = self.folders.lock().unwrap_or_else(|e| e.into_inner());
        encode(&mut folders, &format!("{}{rel}", char::from(FOLDER_MARK)), &entry);
    }

    /// The record so far, locked (nothing is recorded while it is held).
    pub fn lock(&self) -> Recorded<'_> {
        Recorded(self.buf.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The manifest file's bytes, as [`Recorder::write_to`] writes them (builds stream them;
    /// tests look at them whole).
    #[cfg(test)]
    pub fn finish(self, global: u64) -> Vec<u8> {
        let mut bytes = Vec::new();
        let _ = self.write_to(global, &mut bytes); // writing into memory does not fail
        bytes
    }

    /// Writes the manifest file to `out` as it goes (entries sorted by path, the last record of a
    /// path winning, then the checksum): at 60k the file is ~18 MB, not worth holding whole at
    /// the end of a build.
    pub fn write_to(self, global: u64, out: impl Write) -> std::io::Result<()> {
        let files = self.buf.into_inner().unwrap_or_else(|e| e.into_inner());
        let folders = self.folders.into_inner().unwrap_or_else(|e| e.into_inner());
        let mut out = Summed { out: BufWriter::with_capacity(1 << 16, out), sum: Xxh3Default::new() };
        out.put(MAGIC)?;
        out.put(&global.to_le_bytes())?;
        // Folder records sort before every file (see `FOLDER_MARK`).
        for buf in [&folders, &files] {
            // Offsets (not a slice and a range each): ~260,000 entries at 60k.
            let mut sorted: Vec<usize> = entries(buf).map(|(_, range)| range.start).collect();
            let rel = |at: usize| entry_at(buf, at).map_or(&[][..], |(rel, _)| rel);
            // Stable sort, then keep the last of equal paths.
            sorted.sort_by(|&a, &b| rel(a).cmp(rel(b)));
            for (i, &at) in sorted.iter().enumerate() {
                if sorted.get(i + 1).is_none_or(|&next| rel(next) != rel(at)) {
                    let end = entry_at(buf, at).map_or(at, |(_, end)| end);
                    out.put(&buf[at..end])?;
                }
            }
        }
        let sum = out.sum.digest();
        out.out.write_all(&sum.to_le_bytes())?;
        out.out.flush()
    }
}

/// A writer that digests what it writes (the manifest's checksum, the xxh3 of everything before it).
struct Summed<W: Write> {
    out: BufWriter<W>,
    sum: Xxh3Default,
}

impl<W: Write> Summed<W> {
    fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.sum.update(bytes);
        self.out.write_all(bytes)
    }
}

/// A locked [`Recorder`].
pub struct Recorded<'a>(MutexGuard<'a, Vec<u8>>);

impl Recorded<'_> {
    /// The recorded paths, in the order recorded (a path recorded twice appears twice); folder
    /// records are not among them.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        entries(&self.0).filter_map(|(rel, _)| std::str::from_utf8(rel).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: u64, len: u64) -> Entry {
        Entry { key, content: key + 1, stamp: Stamp { len, mtime_sec: -3, mtime_nsec: 7, ino: 9 }, flags: HIGHLIGHTED }
    }

    #[test]
    fn round_trip_sorted_with_the_last_record_winning() {
        let rec = Recorder::default();
        rec.record("b/index.html", &entry(2, 20));
        rec.record("a.html", &entry(1, 10));
        rec.record("search/x.bin", &entry(5, 50));
        rec.record("b/index.html", &entry(3, 30));
        rec.record("search/a.bin", &entry(4, 40));
        let seen: Vec<String> = rec.lock().paths().map(str::to_string).collect();
        assert_eq!(seen, ["b/index.html", "a.html", "search/x.bin", "b/index.html", "search/a.bin"]);

        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("m");
        std::fs::write(&path, rec.finish(77)).unwrap();
        let m = Manifest::read(&path).unwrap();
        assert_eq!((m.global, m.len()), (77, 4));
        assert_eq!(m.get("a.html"), Some(entry(1, 10)));
        assert_eq!(m.get("b/index.html"), Some(entry(3, 30)));
        assert_eq!(m.get("b"), None);
        assert_eq!(m.get("zzz"), None);
        let under: Vec<(&str, u64)> = m.under("search/").map(|(r, e)| (r, e.key)).collect();
        assert_eq!(under, [("search/a.bin", 4), ("search/x.bin", 5)]);
        assert_eq!(m.under("nothing/").count(), 0);
    }

    #[test]
    fn a_damaged_manifest_is_not_used() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("m");
        let rec = Recorder::default();
        rec.record("a.html", &entry(1, 10));
        let good = rec.finish(1);
        for bad in [&good[..good.len() - 1], &good[..10], b"".as_slice(), b"KBSMAN01 and more than sixteen".as_slice()]
        {
            std::fs::write(&path, bad).unwrap();
            assert!(Manifest::read(&path).is_none(), "{bad:?}");
        }
        let mut flipped = good.clone();
        flipped[20] ^= 1;
        std::fs::write(&path, &flipped).unwrap();
        assert!(Manifest::read(&path).is_none(), "a changed byte fails the checksum");
        std::fs::write(&path, &good).unwrap();
        assert!(Manifest::read(&path).is_some());
        assert!(Manifest::read(&tmp.path().join("missing")).is_none());
    }

    #[test]
    fn folder_records_are_apart_from_file_entries() {
        let rec = Recorder::default();
        let folder = Stamp { len: 40, mtime_sec: 5, mtime_nsec: 6, ino: 7 };
        rec.record("b/index.html", &entry(2, 20));
        rec.record_folder("b", folder);
        rec.record_folder("", Stamp { ino: 1, ..folder });
        rec.record("a.html", &entry(1, 10));
        let paths: Vec<String> = rec.lock().paths().map(str::to_string).collect();
        assert_eq!(paths, ["b/index.html", "a.html"], "folder records are not produced files");

        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("m");
        std::fs::write(&path, rec.finish(1)).unwrap();
        let m = Manifest::read(&path).unwrap();
        assert_eq!((m.folder("b"), m.folder("").map(|s| s.ino)), (Some(folder), Some(1)));
        assert_eq!((m.folder("a.html"), m.folder("c")), (None, None));
        assert_eq!(m.get("b"), None, "a folder record never answers a file's lookup");
        let files: Vec<&str> = m.under("").map(|(rel, _)| rel).collect();
        assert_eq!(files, ["a.html", "b/index.html"]);
        let folders: Vec<(&str, u64)> = m.folders().map(|(rel, s)| (rel, s.ino)).collect();
        assert_eq!(folders, [("", 1), ("b", 7)]);

        let bare = Recorder::default();
        bare.record("a.html", &entry(1, 10));
        std::fs::write(&path, bare.finish(1)).unwrap();
        let m = Manifest::read(&path).unwrap();
        assert!(m.folders().next().is_none());
        assert_eq!(m.under("").count(), 1);
    }

    #[test]
    fn a_folder_stamp_changes_when_an_entry_is_added_or_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("d");
        std::fs::create_dir(&dir).unwrap();
        let first = Stamp::of_folder_at(&dir).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(dir.join("f"), "x").unwrap();
        let second = Stamp::of_folder_at(&dir).unwrap();
        assert_ne!(second, first);
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(dir.join("f"), "rewritten in place").unwrap();
        assert_eq!(Stamp::of_folder_at(&dir), Some(second), "a file's bytes are not the folder's entries");
        std::fs::remove_file(dir.join("f")).unwrap();
        assert_ne!(Stamp::of_folder_at(&dir), Some(second));
        assert_eq!(Stamp::of_folder_at(&tmp.path().join("missing")), None);
        std::fs::write(tmp.path().join("file"), "").unwrap();
        assert_eq!(Stamp::of_folder_at(&tmp.path().join("file")), None, "a file has no folder stamp");
    }

    #[test]
    fn a_stamp_changes_when_the_file_is_rewritten() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("f");
        std::fs::write(&path, "one").unwrap();
        let first = Stamp::at(&path).unwrap();
        assert_eq!(Stamp::at(&path), Some(first));
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&path, "two").unwrap();
        assert_ne!(Stamp::at(&path), Some(first), "same length, new time");
        assert_eq!(Stamp::at(tmp.path()), None, "a folder has no stamp");
        assert_eq!(Stamp::at(&tmp.path().join("missing")), None);
    }
}
