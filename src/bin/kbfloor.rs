//! kbfloor: the "disk floor" for a site build.
//!
//! ```text
//! kbfloor --like DIR_A --out DIR_B [--threads N]
//! ```
//!
//! Walks `DIR_A` (an already-built site) and then times writing the same
//! number of files, with the same sizes and relative paths, into `DIR_B`,
//! filled with dummy bytes, and nothing is fsynced. Folders are made one of two
//! ways (`--folders`): `threads` (the default) makes them as kbsite does, on
//! folder threads that never share a parent folder while the files are written
//! (`kbsite::write::folders`; files in deeper folders first, so that the
//! top-level folders, which only one thread at a time can make, are made
//! meanwhile); `levels` makes every folder first, level by level in parallel,
//! then writes the files in parallel. The faster of the two on the day is the
//! floor: no generator can write the same output faster on this disk, so a
//! build's wall time divided by it shows how close it is to I/O-bound.
//!
//! Prints a human-readable line and a `key=value` line for scripts:
//! `files=N dirs=N bytes=N seconds=S` (seconds cover only the writing).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{Parser, ValueEnum};
use kbsite::write::folders::{filter_map_in_order, FolderPlan, Folders};
use rayon::prelude::*;

#[derive(Parser, Debug)]
#[command(name = "kbfloor", about = "Time writing a copy of a built site's file tree with dummy bytes")]
struct Args {
    /// An already-built site whose file tree (paths and sizes) is reproduced.
    #[arg(long)]
    like: PathBuf,
    /// Where to write; must not exist or be empty.
    #[arg(long)]
    out: PathBuf,
    /// Worker threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// How folders are made.
    #[arg(long, value_enum, default_value_t = FolderMode::Threads)]
    folders: FolderMode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FolderMode {
    /// On folder threads while files are written (as kbsite does).
    Threads,
    /// All first, level by level in parallel.
    Levels,
}

/// The shape of a file tree: directories (relative, excluding the root) and
/// files with their sizes.
#[derive(Debug, Default)]
struct Tree {
    dirs: Vec<PathBuf>,
    files: Vec<(PathBuf, u64)>,
}

impl Tree {
    fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.1).sum()
    }
}

fn scan(root: &Path) -> Result<Tree> {
    let mut tree = Tree::default();
    for entry in walkdir::WalkDir::new(root).min_depth(1).sort_by_file_name() {
        let entry = entry.with_context(|| format!("walking {}", root.display()))?;
        let rel = entry.path().strip_prefix(root)?.to_path_buf();
        let ft = entry.file_type();
        if ft.is_dir() {
            tree.dirs.push(rel);
        } else if ft.is_file() {
            let len = entry.metadata()?.len();
            tree.files.push((rel, len));
        } else if ft.is_symlink() {
            // A built site has no symlinks worth timing; count it as an empty file.
            tree.files.push((rel, 0));
        }
    }
    Ok(tree)
}

/// Dummy content: a fixed, printable pattern.
fn dummy(len: usize) -> Vec<u8> {
    (0..len).map(|i| b"kbfloor dummy bytes\n"[i % 20]).collect()
}

const CHUNK: usize = 1 << 20;

/// Writes `tree` under `out` (which must exist) and returns the elapsed seconds.
fn write_tree(tree: &Tree, out: &Path, mode: FolderMode) -> Result<f64> {
    let max = tree.files.iter().map(|f| f.1).max().unwrap_or(0);
    let buf = dummy((max as usize).min(CHUNK));
    let write_file = |rel: &Path, len: u64| -> std::io::Result<()> {
        let mut f = File::create(out.join(rel))?;
        let mut left = len as usize;
        while left > 0 {
            let n = left.min(buf.len());
            f.write_all(&buf[..n])?;
            left -= n;
        }
        Ok(())
    };
    let failed = |rel: &Path| format!("writing {}", out.join(rel).display());
    match mode {
        FolderMode::Threads => {
            // Deeper files first: the folders directly under `out` are made by one thread.
            let mut files: Vec<(&PathBuf, u64, String)> =
                tree.files.iter().map(|(rel, len)| (rel, *len, rel.to_string_lossy().replace('\\', "/"))).collect();
            files.sort_by_key(|(rel, _, _)| std::cmp::Reverse(rel.components().count()));
            let start = Instant::now();
            let folders = Folders::start(out, FolderPlan::new(files.iter().map(|f| f.2.as_str())), false)?;
            let errors = filter_map_in_order(files.len(), |i| {
                let (rel, len, _) = files[i];
                folders.when_made(|| write_file(rel, len)).with_context(|| failed(rel)).err()
            });
            folders.finish()?;
            if let Some(e) = errors.into_iter().next() {
                return Err(e);
            }
            // Folders nothing is written in (none in a built site, but the tree may have some).
            for d in &tree.dirs {
                std::fs::create_dir_all(out.join(d)).with_context(|| format!("creating {}", d.display()))?;
            }
            Ok(start.elapsed().as_secs_f64())
        }
        FolderMode::Levels => {
            // Group directories by depth so parents exist before their children.
            let mut levels: BTreeMap<usize, Vec<&PathBuf>> = BTreeMap::new();
            for d in &tree.dirs {
                levels.entry(d.components().count()).or_default().push(d);
            }
            let start = Instant::now();
            for dirs in levels.values() {
                dirs.par_iter().try_for_each(|d| -> Result<()> {
                    let p = out.join(d);
                    std::fs::create_dir(&p).with_context(|| format!("creating {}", p.display()))
                })?;
            }
            tree.files.par_iter().try_for_each(|(rel, len)| write_file(rel, *len).with_context(|| failed(rel)))?;
            Ok(start.elapsed().as_secs_f64())
        }
    }
}

fn main() -> Result<()> {
    let args = Args::parse();
    if let Some(n) = args.threads {
        rayon::ThreadPoolBuilder::new().num_threads(n).build_global().context("configuring threads")?;
    }
    if !args.like.is_dir() {
        bail!("--like {} is not a directory", args.like.display());
    }
    if args.out.exists() {
        if std::fs::read_dir(&args.out)?.next().is_some() {
            bail!("--out {} exists and is not empty", args.out.display());
        }
    } else {
        std::fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    }
    let t_scan = Instant::now();
    let tree = scan(&args.like)?;
    let scan_secs = t_scan.elapsed().as_secs_f64();
    let secs = write_tree(&tree, &args.out, args.folders)?;
    let bytes = tree.bytes();
    println!(
        "kbfloor: wrote {} files ({:.1} MB) in {} dirs to {} in {:.3} s ({:.0} files/s, {:.1} MB/s; scan {:.3} s, {} threads, folders: {:?})",
        tree.files.len(),
        bytes as f64 / 1e6,
        tree.dirs.len(),
        args.out.display(),
        secs,
        tree.files.len() as f64 / secs.max(1e-9),
        bytes as f64 / 1e6 / secs.max(1e-9),
        scan_secs,
        rayon::current_num_threads(),
        args.folders
    );
    println!("files={} dirs={} bytes={} seconds={:.3}", tree.files.len(), tree.dirs.len(), bytes, secs);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_shape_of_tree() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(a.path().join("kb/010/Q10001")).unwrap();
        std::fs::create_dir_all(a.path().join("empty/dir")).unwrap();
        std::fs::write(a.path().join("index.html"), b"hello").unwrap();
        std::fs::write(a.path().join("kb/010/Q10001/index.html"), vec![b'a'; 3 * CHUNK + 7]).unwrap();
        std::fs::write(a.path().join("kb/010/empty.txt"), b"").unwrap();
        let tree = scan(a.path()).unwrap();
        assert_eq!(tree.files.len(), 3);
        assert_eq!(tree.dirs.len(), 5);
        assert_eq!(tree.bytes(), 5 + 3 * CHUNK as u64 + 7);
        for mode in [FolderMode::Threads, FolderMode::Levels] {
            let b = b.path().join(format!("{mode:?}"));
            std::fs::create_dir(&b).unwrap();
            write_tree(&tree, &b, mode).unwrap();
            let copy = scan(&b).unwrap();
            assert_eq!(copy.dirs, tree.dirs);
            assert_eq!(copy.files, tree.files);
            assert!(b.join("empty/dir").is_dir());
        }
    }
}
