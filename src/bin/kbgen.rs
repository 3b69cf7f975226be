//! kbgen: a deterministic generator of synthetic Microsoft KB article archives.
//!
//! ```text
//! kbgen --articles N [--seed S] --out DIR [--format kbsite|hugo] [--force]
//! ```
//!
//! `--format kbsite` (default) writes a site shaped like jeffpar/kbarchive:
//! `DIR/site.toml`, `DIR/content/index.md`, minimal Liquid layouts in
//! `DIR/content/_layouts/`, and `DIR/content/kb/NNN/QNNNNNN/README.md` articles in
//! the exact format of the real archive (YAML front matter, `## title`, a
//! `{% raw %}` block holding the tab-indented article text).
//!
//! `--format hugo` writes the same corpus for Hugo: `DIR/config.toml`,
//! `DIR/content/_index.md`, `DIR/content/kb/NNN/QNNNNNN.md` (TOML front matter with
//! `title` and `url`, the same tab-indented text, which Markdown renders as an
//! indented code block) and minimal `DIR/layouts/` templates of the same weight
//! as the Liquid layouts.
//!
//! The statistics mimic the full archive (60,335 articles), estimated from the
//! 9,107-article sample in `kbarchive-sample/site` (Exchange articles weighted 1,
//! every-20th others weighted 20): file sizes median ~2.5 KB, p99 ~16 KB, max
//! ~180 KB; 44 products; ~3,000 keywords with a Zipf distribution; Last Modified
//! years 1988–2002; ~1.6 `Q` mentions per article, 90% of them naming an article
//! of the generated corpus; ~5% of titles holding HTML entities; ~1% of raw
//! blocks holding `{{` or `{%`.
//!
//! Output is a pure function of `(articles, seed, format)`: an own PRNG
//! (splitmix64 + xoshiro256**), one RNG per article seeded from `(seed, number)`,
//! and no hash-map iteration; articles are rendered and written in parallel.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{Parser, ValueEnum};
use rayon::prelude::*;

// ---------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------

#[derive(Parser, Debug)]
#[command(name = "kbgen", about = "Generate a deterministic synthetic KB article archive")]
struct Args {
    /// Number of articles to generate.
    #[arg(long, default_value_t = 60_000)]
    articles: usize,
    /// PRNG seed: the same seed (and article count) gives the same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output folder (must not exist or be empty, unless --force).
    #[arg(long)]
    out: PathBuf,
    /// Output layout: a kbsite/Jekyll site or a Hugo site.
    #[arg(long, value_enum, default_value_t = Format::Kbsite)]
    format: Format,
    /// Delete the output folder first if it exists.
    #[arg(long)]
    force: bool,
    /// Print nothing on success.
    #[arg(long)]
    quiet: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Kbsite,
    Hugo,
}

fn main() -> Result<()> {
    let args = Args::parse();
    if args.articles == 0 {
        bail!("--articles must be at least 1");
    }
    let t0 = Instant::now();
    prepare_out(&args.out, args.force)?;
    let corpus = Corpus::new(args.articles, args.seed);
    let t_plan = t0.elapsed();
    let stats = write_site(&corpus, &args.out, args.format)?;
    let secs = t0.elapsed().as_secs_f64();
    if !args.quiet {
        println!(
            "kbgen: {} articles, {} files, {:.1} MB in {} ({:?}) in {:.2} s (plan {:.2} s)",
            corpus.len(),
            stats.files,
            stats.bytes as f64 / 1e6,
            args.out.display(),
            args.format,
            secs,
            t_plan.as_secs_f64()
        );
    }
    Ok(())
}

fn prepare_out(out: &Path, force: bool) -> Result<()> {
    if out.exists() {
        let non_empty = std::fs::read_dir(out).with_context(|| format!("reading {}", out.display()))?.next().is_some();
        if non_empty {
            if !force {
                bail!("{} exists and is not empty (use --force to replace it)", out.display());
            }
            std::fs::remove_dir_all(out).with_context(|| format!("removing {}", out.display()))?;
        }
    }
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    Ok(())
}

// ---------------------------------------------------------------------------
// PRNG: splitmix64 for seeding, xoshiro256** for streams
// ---------------------------------------------------------------------------

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[derive(Clone, Debug)]
struct Rng {
    s: [u64; 4],
}

impl Rng {
    fn new(seed: u64) -> Rng {
        let mut x = seed;
        Rng { s: [splitmix64(&mut x), splitmix64(&mut x), splitmix64(&mut x), splitmix64(&mut x)] }
    }

    /// An independent stream for one item (article number) and purpose.
    fn for_item(seed: u64, item: u64, stream: u64) -> Rng {
        let mut x = seed;
        let a = splitmix64(&mut x);
        let mut y = a ^ item.wrapping_mul(0xD1B5_4A32_D192_ED03);
        let b = splitmix64(&mut y);
        Rng::new(b ^ stream.wrapping_mul(0x8CB9_2BA7_2F3D_8DD7))
    }

    fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    fn below_usize(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below_usize(hi - lo + 1)
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below_usize(xs.len())]
    }

    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit(); // (0, 1]
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Index into `weights`, chosen proportionally.
    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| w as u64).sum();
        let mut r = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if r < w as u64 {
                return i;
            }
            r -= w as u64;
        }
        weights.len() - 1
    }

    fn weighted_str(&mut self, table: &[(&'static str, u32)]) -> &'static str {
        let total: u64 = table.iter().map(|&(_, w)| w as u64).sum();
        let mut r = self.below(total);
        for &(s, w) in table {
            if r < w as u64 {
                return s;
            }
            r -= w as u64;
        }
        table[table.len() - 1].0
    }
}

// ---------------------------------------------------------------------------
// Distributions measured on the real sample (see module docs)
// ---------------------------------------------------------------------------

/// Estimated number of articles of the full archive per 10,000 article numbers:
/// index b covers Q(b*10000)..Q(b*10000+9999), i.e. folders kb/(10b)..kb/(10b+9).
const NUMBER_BUCKETS: [u32; 33] = [
    0, 80, 420, 1100, 1160, 800, 1880, 1520, 2600, 2200, 2220, 2160, 2996, 4680, 3539, 4665, 4051, 4091, 3106, 3751,
    593, 813, 1134, 1827, 2287, 1536, 1370, 997, 572, 658, 688, 730, 316,
];

/// Buckets below this are "old" numbers (1988–1991 era, the "See article" product).
const OLD_BUCKETS: usize = 8;
/// Exchange articles start at bucket 12 (Q120000).
const EXCHANGE_FIRST_BUCKET: usize = 12;

/// Article size: log-space split normal plus a heavy tail, clamped.
const SIZE_MU: f64 = 7.77;
const SIZE_SIGMA_LOW: f64 = 0.38;
const SIZE_SIGMA_HIGH: f64 = 0.53;
const SIZE_TAIL_P: f64 = 0.03;
const SIZE_TAIL_MU: f64 = 8.9;
const SIZE_TAIL_SIGMA: f64 = 0.9;
const SIZE_MIN: f64 = 400.0;
const SIZE_MAX: f64 = 180_000.0;

fn target_size(rng: &mut Rng) -> usize {
    let x = if rng.chance(SIZE_TAIL_P) {
        SIZE_TAIL_MU + rng.normal().abs() * SIZE_TAIL_SIGMA
    } else {
        let z = rng.normal();
        SIZE_MU + z * if z < 0.0 { SIZE_SIGMA_LOW } else { SIZE_SIGMA_HIGH }
    };
    x.exp().clamp(SIZE_MIN, SIZE_MAX) as usize
}

/// Number of `Q` mentions in an article: P(k) in per-mille, mean ~1.6.
const MENTION_COUNTS: [u32; 9] = [400, 200, 140, 100, 70, 40, 25, 15, 10];
/// Share of mentions that name an article of the corpus.
const MENTION_EXISTING_P: f64 = 0.90;
/// Number of Keyword(s) per article, weights for 0..=12 (from the sample).
const KEYWORD_COUNTS: [u32; 13] = [2146, 1297, 649, 547, 464, 321, 190, 175, 145, 66, 42, 12, 2];
/// Size of the keyword vocabulary and its Zipf exponent.
const KEYWORD_VOCAB: usize = 3000;
const KEYWORD_ZIPF_S: f64 = 1.05;
/// Share of titles holding characters the archive stores as HTML entities.
const TITLE_ENTITY_P: f64 = 0.05;
/// Share of raw blocks holding `{{` or `{%`.
const LIQUID_LOOKALIKE_P: f64 = 0.01;

const MONTHS: [&str; 12] = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
/// Last Modified years of "old" articles (1988–1991) and of the others (1998–2002).
const OLD_YEARS: [(&str, u32); 4] = [("1988", 18), ("1989", 59), ("1990", 54), ("1991", 10)];
const NEW_YEARS: [(&str, u32); 5] = [("1998", 3), ("1999", 2820), ("2000", 1740), ("2001", 3720), ("2002", 1720)];

const ISSUE_TYPES: [(&str, u32); 7] = [
    ("kbbug", 30),
    ("kbprb", 33),
    ("kbinfo", 19),
    ("kbhowto", 16),
    ("kbhowto kbinfo", 1),
    ("kbprb kbinfo", 1),
    ("kbbug kbinfo", 1),
];

// ---------------------------------------------------------------------------
// Products
// ---------------------------------------------------------------------------

struct Product {
    name: &'static str,
    /// Share of the archive per 10,000 articles (Exchange raised to compensate
    /// for being limited to numbers >= Q120000).
    weight: u32,
    prefixes: &'static [(&'static str, u32)],
    versions: &'static [&'static str],
    applies: &'static [&'static str],
    tech: &'static [&'static str],
    keywords: &'static [&'static str],
}

const PRE_NONE: &[(&str, u32)] = &[("", 95), ("INFO", 2), ("PRB", 2), ("BUG", 1)];
const PRE_DEV: &[(&str, u32)] = &[
    ("PRB", 25),
    ("FIX", 20),
    ("BUG", 18),
    ("HOWTO", 15),
    ("INFO", 10),
    ("", 8),
    ("DOC", 2),
    ("SAMPLE", 1),
    ("DOCERR", 1),
];
const PRE_EXCHANGE: &[(&str, u32)] = &[
    ("XADM", 367),
    ("XFOR", 213),
    ("XCLN", 196),
    ("XCON", 112),
    ("XWEB", 50),
    ("", 19),
    ("XGEN", 17),
    ("XIMS", 14),
    ("XCCC", 4),
];

macro_rules! product {
    ($name:expr, $w:expr, $pre:expr, [$($v:expr),*], [$($a:expr),*], [$($t:expr),*], [$($k:expr),*]) => {
        Product {
            name: $name,
            weight: $w,
            prefixes: $pre,
            versions: &[$($v),*],
            applies: &[$($a),*],
            tech: &[$($t),*],
            keywords: &[$($k),*],
        }
    };
}

/// Index 0 is the "old" pseudo-product, index 1 is Exchange.
const PRODUCTS: [Product; 44] = [
    product!(
        "See article",
        0,
        &[("", 1)],
        [
            "4.00 4.00b 4.50",
            "5.10   | 5.10",
            "4.50",
            "1.00   | 1.00",
            "2.00",
            "1.00 1.01 1.02 2.00 2.01 3.00",
            "6.00 6.00a | 6.00 6.00a"
        ],
        [],
        [],
        [
            "ENDUSER",
            "mspl13_basic",
            "mspl13_c",
            "B_BasicCom",
            "SR#",
            "docerr",
            "mspl13_masm",
            "buglist4.00",
            "buglist4.00b",
            "fixlist4.50"
        ]
    ),
    product!(
        "Microsoft Exchange",
        1400,
        PRE_EXCHANGE,
        [
            "winnt:5.5",
            "5.5",
            "winnt:4.0,5.0,5.5",
            "winnt:4.0",
            "WINDOWS:5.5",
            "WINDOWS:4.0,5.0",
            "4.0",
            "winnt:5.0,5.5",
            "4.0,5.0,5.5",
            "WinNT:5.5"
        ],
        [
            "Microsoft Exchange Server, version 5.5",
            "Microsoft Exchange Server, versions 4.0, 5.0, 5.5",
            "Microsoft Exchange Server, version 4.0",
            "Microsoft Exchange Windows 95/98 client, versions 4.0, 5.0",
            "Microsoft Exchange 2000 Server"
        ],
        [
            "kbExchangeSearch",
            "kbZNotKeyword2",
            "kbExchange550",
            "kbExchange500",
            "kbExchange400",
            "kbZNotKeyword3",
            "kbExchangeClientSearch",
            "kbOutlookSearch"
        ],
        [
            "exc55",
            "kbusage",
            "exc5",
            "exc4",
            "kbExchange550sp4Fix",
            "kbExchange550preSP4fix",
            "exc55sp3",
            "EXC55SP3Fix",
            "exc55sp2fix",
            "exc55sp2",
            "exc55sp1"
        ]
    ),
    product!(
        "Microsoft Windows NT",
        1526,
        PRE_NONE,
        ["winnt:4.0", "4.0", "WinNT:4.0", "", "3.1", "winnt:3.5,3.51,4.0"],
        [
            "Microsoft Windows NT Server version 4.0",
            "Microsoft Windows NT Workstation version 4.0",
            "Microsoft Windows NT Server version 4.0, Terminal Server Edition",
            "Microsoft Windows NT Server, Enterprise Edition version 4.0"
        ],
        [
            "kbWinNTsearch",
            "kbWinNTSsearch",
            "kbWinNT400search",
            "kbWinNTS400search",
            "kbWinNTWsearch",
            "kbWinNTS400",
            "kbWinNTW400search",
            "kbWinNTW400"
        ],
        [
            "kbnetwork",
            "kbenv",
            "kbtool",
            "kbsetup",
            "kbWinNT400sp4fix",
            "kb3rdparty",
            "kberrmsg",
            "kbprint",
            "kbhw",
            "kbHardware"
        ]
    ),
    product!(
        "Microsoft Windows 95.x Retail Product",
        879,
        PRE_NONE,
        ["WINDOWS:3.1,3.11", "95", "WINDOWS:3.0,3.0a,3.1,3.11", "", "WINDOWS:3.0,3.0a"],
        [
            "Microsoft Windows 95",
            "Microsoft Windows versions 3.1, 3.11",
            "Microsoft Windows versions 3.0, 3.0a, 3.1, 3.11",
            "Microsoft Windows versions 3.0, 3.0a"
        ],
        [
            "kbZNotKeyword3",
            "kbWin3xSearch",
            "kbWin95search",
            "kbWin310",
            "kbWin311",
            "kbWin300a",
            "kbWin300",
            "kbAudDeveloper"
        ],
        [
            "win95",
            "kbtool",
            "kberrmsg",
            "kbnetwork",
            "kbenv",
            "win31",
            "3rdpartynet",
            "osr2",
            "kb3rdPartyNetClient",
            "kbui"
        ]
    ),
    product!(
        "Microsoft FoxPro",
        611,
        PRE_DEV,
        ["WINDOWS:3.0", "WINDOWS:6.0", "WINDOWS:3.0,3.0b", "", "WINDOWS:3.0,3.0b,5.0,5.0a,6.0"],
        [
            "Microsoft Visual FoxPro for Windows, version 3.0",
            "Microsoft Visual FoxPro for Macintosh, version 3.0b",
            "Microsoft Visual FoxPro for Windows, version 6.0",
            "Microsoft Visual FoxPro for Windows, versions 3.0, 3.0b, 5.0, 5.0a, 6.0"
        ],
        [
            "kbAudDeveloper",
            "kbVFPsearch",
            "kbVFP300",
            "kbVFP600",
            "kbVFP500",
            "kbVFP500a",
            "kbVFP300b",
            "kbFoxproSearch"
        ],
        [
            "kbvfp600",
            "kbvfp500",
            "kbGrpDSFox",
            "kbvfp300",
            "kbvfp",
            "kbDSupport",
            "kbvfp500a",
            "kbvfp300b",
            "kbfixlist",
            "kbCodeSnippet"
        ]
    ),
    product!(
        "Microsoft Systems Management Server",
        472,
        &[("SMS", 70), ("", 27), ("SMSINST", 3)],
        ["winnt:2.0", "winnt:1.2", "2.0", "winnt:1.0,1.1,1.2", "winnt:1.0,1.1"],
        [
            "Microsoft Systems Management Server version 2.0",
            "Microsoft Systems Management Server version 1.2",
            "Microsoft Systems Management Server versions 1.0, 1.1, 1.2",
            "Microsoft Systems Management Server version 1.1"
        ],
        ["kbSMSSearch", "kbSMS200", "kbSMS120", "kbSMS110", "kbSMS200SP1", "kbSMS100", "kbSMS200SP2", "kbSMSI200"],
        [
            "kbsms200",
            "kbsms200bug",
            "kbnetwork",
            "kbInventory",
            "kbsms120",
            "kbsetup",
            "kbenv",
            "kbClient",
            "kbtool",
            "kbConfig"
        ]
    ),
    product!(
        "Microsoft Visual Basic for Windows",
        446,
        PRE_DEV,
        ["", "6.0", "WINDOWS:6.0", "WINDOWS:4.0", "WINDOWS:5.0"],
        [
            "Microsoft Visual Basic Enterprise Edition for Windows, version 6.0",
            "Microsoft Visual Basic Professional Edition for Windows, version 6.0",
            "Microsoft Visual Basic Enterprise Edition, 32-bit, for Windows, version 4.0",
            "Microsoft Visual Basic Enterprise Edition for Windows, versions 5.0, 6.0"
        ],
        [
            "kbVBSearch",
            "kbAudDeveloper",
            "kbZNotKeyword2",
            "kbZNotKeyword6",
            "kbVB600Search",
            "kbVB600",
            "kbVB500",
            "kbVB500Search"
        ],
        [
            "kbGrpDSVB",
            "kbVBp600",
            "kbVBp500",
            "kbVBp",
            "kbDSupport",
            "kbGrpDSVBDB",
            "kbVBp600bug",
            "kbVBp400",
            "kbCtrl",
            "kbVBp400bug"
        ]
    ),
    product!(
        "Microsoft C Compiler",
        433,
        PRE_DEV,
        ["winnt:", "", "6.0", "5.0,6.0", "4.0,4.1,4.2,5.0,6.0"],
        [
            "Microsoft Visual C++, 32-bit Learning Edition, version 6.0",
            "The Microsoft Foundation Classes (MFC), used with:",
            "The C/C++ Compiler (CL.EXE), included with:",
            "Microsoft Visual C++, 32-bit Enterprise Edition, version 6.0"
        ],
        ["kbAudDeveloper", "kbVCsearch", "kbVC32bitSearch", "kbVC600", "kbMFC", "kbVC500", "kbVC500Search", "kbVC400"],
        [
            "kbVC",
            "kbMFC",
            "kbVC600",
            "kbVC500",
            "kbGrpDSMFCATL",
            "kbVC400",
            "kbVC500bug",
            "kbCompiler",
            "kbide",
            "kbDatabase"
        ]
    ),
    product!(
        "Microsoft Mail For PC Networks",
        410,
        &[("", 70), ("PROFS", 7), ("SMTP", 7), ("MHS", 4), ("FAX", 4), ("X400", 4), ("Gtwy", 4)],
        ["WINDOWS:3.2", "WINDOWS:3.0,3.0b,3.2", "MS-DOS:3.0", "WINDOWS:3.0", "3.0"],
        [
            "Microsoft Mail for PC Networks, version 3.2",
            "Microsoft Mail for Windows, versions 3.0, 3.0b, 3.2",
            "Microsoft Mail for PC Networks, version 3.5",
            "Microsoft Mail for Windows, version 3.0"
        ],
        [
            "kbMailSearch",
            "kbZNotKeyword3",
            "kbMailGateSearch",
            "kbMailPCN320",
            "kbMail300",
            "kbMailPCN300",
            "kbMail320",
            "kbMailPCN350"
        ],
        ["kbgraphxlinkcritical", "win95", "msphone1", "kbYear2000", "kbfile"]
    ),
    product!(
        "Microsoft Home Games",
        377,
        &[("", 80), ("ASD", 4), ("FS98", 4), ("FS2000", 4), ("Games", 4), ("Arcade", 4)],
        ["WINDOWS:1.0", "", "1.0", "WINDOWS:", "WINDOWS:2.0"],
        [
            "Microsoft Flight Simulator 2000 Professional Edition",
            "Microsoft Age of Empires, version 1.0",
            "Microsoft Flight Simulator 2000",
            "Microsoft Flight Simulator 98"
        ],
        [
            "kbGamesSearch",
            "kbHomeProdSearch",
            "kbSimSearch",
            "kbFlightSimSearch",
            "kbZNotKeyword",
            "kbAOESearch",
            "kbGolfSearch"
        ],
        ["kbimu", "msgame", "kbdisplay", "kbenv", "kberrmsg", "kbui", "kb3rdparty", "msgamekbfaq", "kbsetup", "kbhw"]
    ),
    product!(
        "Microsoft Home Multimedia Titles",
        327,
        &[("", 80), ("Encarta", 6), ("Bookshelf", 5), ("Cinemania", 4), ("Dogs", 2), ("Baseball", 3)],
        ["WINDOWS:", "", "WINDOWS:1.0", "WINDOWS:2.0", "1.0"],
        [
            "Microsoft Encarta 1994 The Complete Multimedia Encyclopedia",
            "Microsoft Encarta 95 The Complete Interactive Multimedia Encyclopedia for Macintosh",
            "Microsoft Encarta 96 Encyclopedia for Windows",
            "Microsoft Bookshelf 1996-97 for Windows"
        ],
        [
            "kbHomeProdSearch",
            "kbHomeMMsearch",
            "kbEncartaSearch",
            "kbEncartaEncycSearch",
            "kbBookshelfSearch",
            "kbHWMAC",
            "kbOSMAC",
            "kbZNotKeyword"
        ],
        ["kbimu", "kbenv", "kberrmsg", "kbsetup", "kbbuglist", "kbmm", "kbui", "kb3rdparty", "kbinterop", "kbsound"]
    ),
    product!(
        "Internet Information Server",
        327,
        &[("", 85), ("HOWTO", 3), ("INFO", 3), ("PRB", 3), ("IIS", 3), ("Err", 2), ("IIS5", 1)],
        ["winnt:4.0", "5.0", "4.0,5.0", "winnt:5.0", "4.0"],
        [
            "Microsoft Internet Information Services version 5.0",
            "Microsoft Internet Information Server 4.0",
            "Microsoft Internet Information Server version 4.0",
            "Microsoft Windows NT Server version 4.0, Terminal Server Edition"
        ],
        [
            "kbiisSearch",
            "kbiis400",
            "kbiis500",
            "kbiis300",
            "kbiis200",
            "kbWinNTsearch",
            "kbiis100",
            "kbWinNT400search"
        ],
        [
            "kbDSupport",
            "kbOSWin2000",
            "kbWinNT400sp4fix",
            "kbnetwork",
            "kbiis400",
            "kbiis500",
            "kbenv",
            "kbother",
            "kbiis300",
            "kbHOWTOmaster"
        ]
    ),
    product!(
        "Microsoft SNA Server",
        324,
        &[("", 92), ("INFO", 3), ("INF", 2), ("BUG", 2), ("COMTI", 1)],
        [
            "WINDOWS:3.0,3.0 SP1",
            "WINDOWS:3.0,3.0 SP1,3.0 SP2",
            "WINDOWS:2.11",
            "WINDOWS:3.0",
            "WINDOWS:3.0,3.0 SP1,3.0 SP2,4.0"
        ],
        [
            "Microsoft Host Integration Server 2000",
            "Microsoft SNA Server, versions 3.0, 3.0 SP1, 3.0 SP2",
            "Microsoft SNA Server, versions 4.0, 4.0 SP1, 4.0 SP2, 4.0 SP3",
            "Microsoft SNA Server, version 2.11, on platform(s):"
        ],
        [
            "kbAudDeveloper",
            "kbSNAServSearch",
            "kbSNAServ400",
            "kbSNAServ300",
            "kbSNAServ300SP1",
            "kbSNAServ400SP1",
            "kbSNAServ300SP2",
            "kbSNAServ400SP2"
        ],
        [
            "kbnetwork",
            "sna4",
            "kbsna400sp2",
            "kbsna400sp1",
            "kbDSupport",
            "kbsna400sp3",
            "kbinterop",
            "kbSNA400sp4fix",
            "kbsna300sp1",
            "kbsna300sp2"
        ]
    ),
    product!(
        "Word 97 for Windows",
        301,
        &[("WD97", 97), ("OFF97", 2), ("WV", 1)],
        ["WINDOWS:97", "", "WINDOWS:97; winnt:4.0", "WINDOWS:3.01,97"],
        [
            "Microsoft Word 97 for Windows",
            "Microsoft Excel 97 for Windows",
            "Microsoft PowerPoint 97 for Windows",
            "the operating system: Microsoft Windows NT 4.0"
        ],
        [
            "kbWordSearch",
            "kbWord97",
            "kbWord97Search",
            "kbZNotKeyword2",
            "kbZNotKeyword3",
            "kbExcelSearch",
            "kbExcel97Search",
            "kbOSWinSearch"
        ],
        [
            "word97",
            "kbdta",
            "kbualink97",
            "kbusage",
            "winword",
            "kbfield",
            "word8",
            "kbwordvba",
            "kbdtacode",
            "kblayout"
        ]
    ),
    product!(
        "Microsoft Disk Operating System",
        281,
        &[("", 1)],
        [
            "MS-DOS:5.0",
            "MS-DOS:6.0,6.2,6.21,6.22",
            "MS-DOS:6.0,6.2,6.22",
            "MS-DOS:5.x,6.0,6.2,6.21,6.22",
            "MS-DOS:3.x,4.x,5.x,6.0,6.2,6.21,6.22"
        ],
        [
            "Microsoft MS-DOS operating system version 5.0",
            "Microsoft MS-DOS operating system versions 6.0, 6.2, 6.21, 6.22",
            "Microsoft MS-DOS operating system versions 5.0, 5.0a, 6.0, 6.2, 6.21, 6.22",
            "Microsoft MS-DOS operating system versions 6.0, 6.2, 6.22"
        ],
        [
            "kbMSDOSSearch",
            "kbMSDOS600",
            "kbMSDOS500",
            "kbMSDOS622",
            "kbMSDOS620",
            "kbMSDOS621",
            "kbMSDOS500a",
            "kbMSDOS401"
        ],
        ["msdos", "kbgraphxlinkcritical", "kbenable", "kbfile", "win31", "win95", "kbEnableSight", "kbEnableMove"]
    ),
    product!(
        "The Microsoft Network",
        182,
        &[("", 98), ("Broadband", 2)],
        ["6.1", "", "6.0,6.1", "1.0", "WINDOWS:1.2,1.3,2.0,2.5"],
        [
            "the operating system: Microsoft Windows 95",
            "The Microsoft Network version 6.1",
            "The Microsoft Network versions 1.2, 1.3, 2.0, 2.5",
            "the operating system: Microsoft Windows 98"
        ],
        ["kbMSNSearch", "kbMSN250", "kbMSN130", "kbMSN120", "kbMSN260", "kbMSN200", "kbMSN252", "kbMSN610"],
        ["kbmsn", "kbenv", "kberrmsg", "kbtlc", "kbhw", "kbHardware", "kbui", "kbtool", "kbmsnkbfaq", "kbfaq"]
    ),
    product!(
        "Microsoft Windows Software Development Kit",
        172,
        PRE_DEV,
        ["WINDOWS:3.1", "WINDOWS:3.0,3.1", "3.0,3.1", "WINDOWS:3.1,3.11", "WINDOWS:3.1,95; winnt:3.5,3.51,4.0"],
        [
            "Microsoft Windows Software Development Kit (SDK) 3.1",
            "Microsoft Windows Software Development Kit (SDK) versions 3.0, 3.1",
            "Microsoft Windows Software Development Kit (SDK) versions 3.1, 3.11",
            "Microsoft Win32 Application Programming Interface (API), used with:"
        ],
        [
            "kbAudDeveloper",
            "kbSDKSearch",
            "kbWinSDKSearch",
            "kbWin3xSearch",
            "kbWinSDK310",
            "kbWinSDK300",
            "kbWinSDK311",
            "kbWin32sSearch"
        ],
        [
            "kb16bitonly",
            "kbfile",
            "kbsample",
            "kbOSWin310",
            "kbSDKWin16",
            "kbGrpDSUser",
            "kbOSWin300",
            "kbSDKPlatform",
            "kbCtrl"
        ]
    ),
    product!(
        "Microsoft Windows 3.x Retail Product",
        126,
        &[("", 84), ("WFWG", 13), ("RAS", 3)],
        ["WINDOWS:3.11", "WINDOWS:3.1,3.11", "", "WINDOWS:3.1", "WINDOWS:"],
        [
            "Microsoft Windows for Workgroups version 3.11",
            "Microsoft Windows for Workgroups versions 3.1, 3.11",
            "Microsoft Windows for Workgroups version 3.1",
            "Microsoft Windows with Multimedia Extensions, version 1.0"
        ],
        [
            "kbAudDeveloper",
            "kbWFWSearch",
            "kbWFW311",
            "kbWFW310",
            "kbWin3xSearch",
            "kbZNotKeyword3",
            "kbWin310",
            "kbWin311"
        ],
        ["kbtool", "win31", "win95"]
    ),
    product!(
        "Microsoft Press",
        99,
        &[("", 97), ("DocErr", 3)],
        [""],
        [
            "MSPRESS Microsoft Windows NT Server 4.0 Resource Kit ISBN 1-57231-344-7",
            "MSPRESS Microsoft Windows NT Workstation 4.0 Resource Kit ISBN 1-57231-343-9",
            "MSPRESS Microsoft Windows NT Server 4.0 Resource Kit, Supplement One ISBN 1-57231-559-8"
        ],
        ["kbMSPressSearch", "kbZNotKeyword2", "kbZNotKeyword6", "kbZNotKeyword3"],
        ["kbdocerr", "kbdocfix", "kbfile"]
    ),
    product!(
        "Microsoft PowerPoint for Windows",
        96,
        &[("", 35), ("PPT7", 35), ("PPT", 25), ("CG3", 5)],
        ["WINDOWS:7.0", "WINDOWS:4.0,4.0a,4.0c,7.0", "WINDOWS:2.0,3.0,4.0,4.0a,4.0c,7.0", "MACINTOSH:98; WINDOWS:97"],
        [
            "Microsoft PowerPoint for Windows 95, version 7.0",
            "Microsoft PowerPoint for Windows, versions 3.0, 4.0, 4.0a, 4.0c",
            "Microsoft PowerPoint for Windows, versions 2.0, 3.0, 4.0, 4.0a, 4.0c"
        ],
        [
            "kbPowerPtSearch",
            "kbZNotKeyword2",
            "kbPowerPt700Search",
            "kbPowerPt700",
            "kbPowerPt400",
            "kbPowerPt400c",
            "kbPowerPt400a",
            "kbPowerPt300"
        ],
        [
            "kbdta",
            "kbinterop",
            "kbgraphic",
            "kbusage",
            "kbconversion",
            "kbprint",
            "kbPrinting",
            "kbproof",
            "kbole",
            "kbui"
        ]
    ),
    product!(
        "Microsoft SourceSafe",
        96,
        PRE_DEV,
        ["", "WINDOWS:6.0", "WINDOWS:5.0,6.0", "5.0,6.0", "4.00"],
        [
            "Microsoft Visual SourceSafe for Windows, versions 5.0, 6.0",
            "Microsoft Visual SourceSafe for Windows, version 6.0",
            "Microsoft Visual SourceSafe, 32-bit, for Windows 4.0"
        ],
        [
            "kbSSafeSearch",
            "kbAudDeveloper",
            "kbSSafe600",
            "kbSSafe500",
            "kbSSafe400",
            "kbSSafe16bitSearch",
            "kbSSafe32bitSearch",
            "kbSSafe400a"
        ],
        [
            "kbSSafe600",
            "kbSSafe500",
            "kbSSafe400",
            "kbDSupport",
            "kbGrpDSSSafe",
            "kbSSafe",
            "kbSSafe600fix",
            "kbsetup",
            "kbSSafe600bug"
        ]
    ),
    product!(
        "Microsoft Home Kids Products",
        83,
        &[("", 60), ("Writer", 16), ("Artist", 8), ("Explorapedia", 8), ("MSB", 8)],
        [
            "WINDOWS:1.0",
            "1.0",
            "MACINTOSH:1.0,1.1,1.1a",
            "MACINTOSH:1.0,1.1,1.1a; WINDOWS:1.0,1.1,1.1a",
            "WINDOWS:1.0,1.1,1.1a"
        ],
        [
            "Microsoft Creative Writer for Windows, versions 1.0, 1.1, 1.1a",
            "Microsoft Fine Artist for Windows, versions 1.0, 1.1, 1.1a",
            "Microsoft Creative Writer for the Macintosh, versions 1.0, 1.1, 1.1a"
        ],
        ["kbHomeProdSearch", "kbKidsSearch", "kbZNotKeyword2", "kbMSBSearch", "kbHWMAC", "kbOSMAC", "kbHomeMMsearch"],
        [
            "kbfaq",
            "kbbuglist",
            "kbusage",
            "kbenv",
            "kberrmsg",
            "kbimukbfaq",
            "kbsound",
            "kbusagekbfaq",
            "kbtlckbfaq",
            "kbdisplay"
        ]
    ),
    product!(
        "Microsoft Mail For Appletalk Networks",
        79,
        &[("", 1)],
        ["WINDOWS:2.0,2.0a,2.0b,3.0", "WINDOWS:3.0,3.1", "WINDOWS:3.1", "2.0,3.0", "WINDOWS:3.0"],
        [
            "Microsoft Mail for AppleTalk Networks, versions 2.0, 2.0a, 2.0b, 3.0",
            "Microsoft Mail for AppleTalk Networks, versions 3.0, 3.1",
            "Microsoft Mail for AppleTalk Networks, version 3.1"
        ],
        [
            "kbMailSearch",
            "kbZNotKeyword3",
            "kbMailATN300",
            "kbMailATN310",
            "kbMailATN200",
            "kbMailATN200a",
            "kbMailATN200b",
            "kbHWMAC"
        ],
        []
    ),
    product!(
        "Microsoft Automap",
        79,
        &[("", 80), ("Automap", 8), ("MapPoint", 8), ("EST2000", 4)],
        ["", "WINDOWS:", "1.0", "WINDOWS:4.0", "1.01"],
        [
            "Microsoft MapPoint 2001",
            "Microsoft MapPoint 2002",
            "Microsoft MapPoint 2000",
            "Microsoft Automap Streets for Windows, version 4.0"
        ],
        [
            "kbHomeProdSearch",
            "kbExpediaSearch",
            "kbMapptSearch",
            "kbMapPoint2001",
            "kbHomeMMsearch",
            "kbAutomapSearch",
            "kbMapPoint2002",
            "kbExpediaStreets2002"
        ],
        ["kbimu", "kberrmsg", "kbtool", "kbenv", "kbinterop", "kbui", "kbhw", "win31", "kbfaq", "kbsetup"]
    ),
    product!(
        "Word Front Page",
        76,
        &[("FP", 52), ("FP97", 30), ("FP98", 13), ("FP2002", 5)],
        ["", "1.0,1.0a,1.1", "1.0,6.0", "windows:1.1,97"],
        [
            "Microsoft FrontPage 97 for Windows",
            "Microsoft FrontPage 97 for Windows with Bonus Pack",
            "Microsoft FrontPage 2002",
            "Microsoft FrontPage 2000"
        ],
        [
            "kbFrontPageSearch",
            "kbFrontPage97Search",
            "kbZNotKeyword3",
            "kbZNotKeyword2",
            "kbFrontPage97",
            "kbFrontPage2002",
            "kbFrontPage2002Search",
            "kbFrontPage2000Search"
        ],
        ["kbdta", "kbusage", "kberrmsg", "kbsetup", "kbdtakbbuglist", "kbinterop", "kbusagekbfaq", "ocsso"]
    ),
    product!(
        "Microsoft Programming Utilities",
        69,
        PRE_DEV,
        [
            "",
            "MS-DOS:2.0,2.1.49",
            "5.1,6.0,6.0a,6.0ax; MS-DOS:7.0; WINDOWS:1.0,1.5,1.51,1.52",
            "MS-DOS:3.x,4.x,5.0x,5.1x,5.3,5.31.009,5.5,5.6; OS/2:5.0x,5.1x,5.3,5.31.009"
        ],
        [
            "Microsoft Programmer's Workbench for MS-DOS, versions 1.0, 1.1",
            "Microsoft LINK for OS/2, versions 5.0x, 5.1, 5.11, 5.13, 5.15",
            "Microsoft C for MS-DOS, versions 5.1, 6.0, 6.0a, 6.0ax"
        ],
        [
            "kbAudDeveloper",
            "kbZNotKeyword3",
            "kbLINKSearch",
            "kbVCsearch",
            "kbPWBSearch",
            "kbLINK50xOS2Search",
            "kbCodeView",
            "kbLINK50xDOSSearch"
        ],
        ["kb16bitonly", "kberrmsg", "kbCodeView", "kbDebug", "kbVC", "kbprb", "kbide", "kbcode", "kbtshoot"]
    ),
    product!(
        "Microsoft Macro Assembler",
        63,
        PRE_DEV,
        ["MS-DOS:6.0", "5.1,5.1a", "5.1", "5.1,5.1a,6.0,6.0a,6.0b", "6.11"],
        [
            "Microsoft Macro Assembler (MASM), version 6.0",
            "Microsoft Macro Assembler (MASM), versions 5.1, 5.1a",
            "Microsoft Macro Assembler (MASM), versions 5.1, 5.1a, 6.0, 6.0a, 6.0b"
        ],
        [
            "kbMASMsearch",
            "kbAudDeveloper",
            "kbMASM600",
            "kbMASM510",
            "kbMASM510a",
            "kbMASM600a",
            "kbMASM600b",
            "kbMASM611"
        ],
        []
    ),
    product!(
        "Microsoft Schedule+ for Windows",
        63,
        &[("", 90), ("XCLN", 10)],
        ["WINDOWS:1.0,1.0a", "WINDOWS:7.0", "WINDOWS:1.0", "WINDOWS:7.0; Win95:7.0", "WINDOWS:1.0,1.0a,3.1,3.11"],
        [
            "Microsoft Schedule+ for Windows, versions 1.0, 1.0a",
            "Microsoft Schedule+ for Windows, version 7.0",
            "Microsoft Schedule+ for Windows, version 1.0",
            "the operating system: Microsoft Windows versions 3.1, 3.11"
        ],
        [
            "kbScheduleSearch",
            "kbSchedule100",
            "kbSchedule100a",
            "kbZNotKeyword3",
            "kbSchedule700",
            "kbZNotKeyword2",
            "kbOfficeSearch"
        ],
        ["kbfaq", "win95"]
    ),
    product!(
        "Windows for Workgroups and Windows NT Networking Issues",
        56,
        &[("", 90), ("XGEN", 5), ("XCON", 5)],
        ["", "2000,4.0", "3.1,3.11", "WINDOWS:", "3.5 3.51 4.0 95"],
        [
            "Microsoft Windows NT Server version 4.0",
            "Microsoft Windows 95",
            "Microsoft Windows NT Workstation version 4.0",
            "Microsoft Windows NT Server version 3.1"
        ],
        [
            "kbWinNTsearch",
            "kbWinNTSsearch",
            "kbWinNT400search",
            "kbWinNTS400search",
            "kbWinNTS400",
            "kbZNotKeyword3",
            "kbWinNTWsearch",
            "kbWin95search"
        ],
        [
            "win95",
            "kbnetwork",
            "kbSDKPlatform",
            "kbenv",
            "kbui",
            "win98kbfaq",
            "kbinterop",
            "kbGrpDSNetkbfaq",
            "kbother"
        ]
    ),
    product!(
        "Open Database Connectivity (ODBC)",
        53,
        &[("FIX", 35), ("INF", 20), ("BUG", 20), ("PRB", 20), ("INFO", 5)],
        ["", "WINDOWS:3.0", "WINDOWS:1.0,2.0,3.0", "WINDOWS:1.0", "WINDOWS:2.65"],
        [
            "Microsoft Open Database Connectivity, version 3.0",
            "Microsoft Open Database Connectivity, versions 1.0, 2.0",
            "Microsoft Visual Basic Professional Edition for Windows, versions 2.0, 3.0"
        ],
        [
            "kbAudDeveloper",
            "kbODBCSearch",
            "kbODBC300",
            "kbMDACSearch",
            "kbMDAC250",
            "kbMDAC260",
            "kbSQLServSearch",
            "kbMDAC210"
        ],
        [
            "kbGrpDSMDAC",
            "kbODBC",
            "kbGrpDSVCDB",
            "kbDSupport",
            "kbMDAC",
            "kbprogramming",
            "kbDriver",
            "kbOracle",
            "kbDatabase",
            "kbMDAC250bug"
        ]
    ),
    product!(
        "Microsoft Fortran Compiler",
        50,
        PRE_DEV,
        ["4.0", "1.0,1.0a", "1.0", "5.1", "1.0,2.0,3.0,5.1"],
        [
            "Microsoft Fortran PowerStation for Windows 95 and Windows NT, version 4.0",
            "Microsoft FORTRAN PowerStation for MS-DOS, versions 1.0, 1.0a",
            "Microsoft FORTRAN compiler for OS/2, version 5.1"
        ],
        [
            "kbAudDeveloper",
            "kbFortranSearch",
            "kbZNotKeyword3",
            "kbFORTRANPower100DOS",
            "kbZNotKeyword2",
            "kbPTProdChange",
            "kbFORTRANPower400NT"
        ],
        ["kbFortranPS", "kbLangFortrankbbuglist", "kbLangFortran", "kberrmsg", "kbcode", "kbCompiler"]
    ),
    product!(
        "Miscellaneous Windows Products",
        46,
        &[("", 93), ("VidEdit", 7)],
        ["", "1.0", "2.00", "2.0", "2.00a"],
        [
            "Microsoft Windows Sound System, version 2.0",
            "Microsoft Windows Sound System, versions 1.0, 1.1",
            "Microsoft Windows with Multimedia Extensions, version 1.0"
        ],
        [
            "kbWinSoundSysSearch",
            "kbWinSoundSys100",
            "kbWinSoundSys200",
            "kbWinMultiXSearch",
            "kbWinMultiX100",
            "kbWinSoundSys100a"
        ],
        ["kbbuglist", "win31"]
    ),
    product!(
        "Microsoft Access Distribution Kit",
        46,
        &[("", 40), ("ODE97", 20), ("ADT2", 15), ("ADT95", 15), ("ADK", 10)],
        ["MS-DOS:3.11", "WINDOWS:7.0", "", "WINDOWS:2.0", "WINDOWS:1.1"],
        [
            "Microsoft Office 97 Developer Edition",
            "Microsoft Workgroup Add-On for MS-DOS, version 3.11",
            "Microsoft Access Developer's Toolkit, version 2.0",
            "Microsoft Access Distribution Kit, version 1.1"
        ],
        [
            "kbAudDeveloper",
            "kbAccessSearch",
            "kbZNotKeyword3",
            "kbOfficeSearch",
            "kbOffice97Search",
            "kbAccessDevTK200",
            "kbOffice97",
            "kbWFWSearch"
        ],
        ["kbsetup", "kberrmsg", "kbusage", "kbnetwork", "kbprogramming", "kbenv", "kbfile", "kbtool"]
    ),
    product!(
        "Microsoft LAN Manager",
        43,
        &[("", 1)],
        ["", "2.1", "2.2"],
        ["Microsoft LAN Manager versions 2.1, 2.1a, 2.2", "Microsoft LAN Manager version 2.2"],
        ["kbLANManSearch", "kbLANMan220", "kbLANMan210"],
        ["kbnetwork"]
    ),
    product!(
        "Microsoft Windows Device Driver Kit",
        20,
        &[("", 70), ("PRB", 30)],
        ["3.0", "3.0,3.1", "3.1"],
        [
            "Microsoft Windows Device Development Kit (DDK) for Windows, version 3.0",
            "Microsoft Windows Device Development Kit (DDK) for Windows, versions 3.0, 3.1",
            "Microsoft Windows Device Development Kit (DDK) for Windows, version 3.1"
        ],
        ["kbAudDeveloper", "kbWin3xSearch", "kbWinDDKSearch", "kbWinDDK300", "kbWinDDK310"],
        ["kbfile", "kb16bitonly", "kbDDK", "kbOSWin300", "kbsample"]
    ),
    product!(
        "Microsoft Fox Miscellaneous Products",
        20,
        &[("", 50), ("PRB", 50)],
        ["MACINTOSH:2.01", "MS-DOS:2.1", "MACINTOSH:2.01; MS-DOS:2.1"],
        ["Microsoft FoxBASE+ for Macintosh, version 2.01", "Microsoft FoxBASE+ for MS-DOS, version 2.1"],
        [
            "kbAudDeveloper",
            "kbFoxproSearch",
            "kbFoxBASESearch",
            "kbHWMAC",
            "kbOSMAC",
            "kbFoxBASE201Mac",
            "kbFoxBASE210DOS"
        ],
        []
    ),
    product!(
        "Miscellaneous Software Development Kits",
        17,
        &[("", 60), ("FIX", 20), ("HOWTO", 20)],
        ["1.0", "3.0", "2.0,2.0a"],
        [
            "Microsoft Windows Far East Software Development Kit (FESDK) for Windows version 3.0",
            "Microsoft Multimedia Viewer Publishing Toolkit, versions 2.0, 2.0a",
            "Microsoft Windows Telephony Software Development Kit (SDK), version 1.0",
            "Microsoft Game Software Development Kit (SDK), version 1.0"
        ],
        [
            "kbAudDeveloper",
            "kbSDKSearch",
            "kbWinSDKSearch",
            "kbSDKFESearch",
            "kbSDKFE300",
            "kbHomeProdSearch",
            "kbHomeMMsearch"
        ],
        ["kbDirectDraw", "KbDirectX", "kbFAQ", "kbDSupport", "kbmm"]
    ),
    product!(
        "Microsoft Mastering Series",
        13,
        &[("PRB", 50), ("", 25), ("BUG", 25)],
        ["1.0", "1.0,1.0a", "WINDOWS:1.0"],
        [
            "MSPRESS Mastering Microsoft Visual FoxPro 3.0, version 1.0",
            "MSPRESS Mastering Microsoft Visual Basic 4.0 ISBN 1-55615-913-7, version 1.0",
            "MSPRESS Microsoft Mastering Products, version 1.0"
        ],
        ["kbMSPressSearch", "kbZNotKeyword2"],
        ["kbmm", "kberrmsg", "kbsetup", "kbMastVbp", "kbDSupport", "kbGrpDSTools"]
    ),
    product!(
        "Microsoft Windows Printing Issues",
        7,
        &[("", 50), ("HPPCL5E", 50)],
        ["3.1,3.11", ""],
        ["Microsoft Windows versions 3.1, 3.11"],
        ["kbWin3xSearch", "kbZNotKeyword3", "kbWin310", "kbWin311"],
        ["kbprint", "kbPrinting"]
    ),
    product!(
        "Microsoft Developer Network",
        7,
        &[("BUG", 50), ("PRB", 50)],
        ["WINDOWS:6.0", "WINDOWS:"],
        [
            "Microsoft Developer Network (MSDN)",
            "the operating system: Microsoft Windows 2000",
            "Microsoft Visual Studio 6.0"
        ],
        [
            "kbMSDNSearch",
            "kbZNotKeyword2",
            "kbOSWin2000",
            "kbVSsearch",
            "kbAudDeveloper",
            "kbOSWinSearch",
            "kbVS600",
            "kbVS600Search"
        ],
        ["kbHTMLHelp", "kbMSDN", "kbDSupport", "kbGrpDSTools", "kbOSWin2000", "kbVS"]
    ),
    product!(
        "Microsoft Home Miscellaneous Products",
        10,
        &[("", 90), ("Works", 10)],
        ["", "WINDOWS:1.0", "WINDOWS:2.0"],
        ["Microsoft Works for Windows, version 4.0", "Microsoft Publisher for Windows, version 2.0"],
        ["kbHomeProdSearch", "kbWorksSearch", "kbPublisherSearch"],
        ["kbusage", "kbhomeprod"]
    ),
    product!(
        "Microsoft Tips for the Macintosh System",
        10,
        &[("", 1)],
        ["MACINTOSH:7.0", "MACINTOSH:7.1", ""],
        ["Apple Macintosh System version 7.0", "Apple Macintosh System version 7.1"],
        ["kbHWMAC", "kbOSMAC", "kbMacTipsSearch"],
        ["kbmacsys", "kbmacfaq"]
    ),
    product!(
        "Microsoft Systems Journal",
        10,
        &[("", 1)],
        [""],
        ["Microsoft Systems Journal"],
        ["kbMSJSearch", "kbZNotKeyword2"],
        ["kbmsj", "kbcode"]
    ),
    product!(
        "Microsoft Product Support Information",
        10,
        &[("", 70), ("INFO", 30)],
        [""],
        ["Microsoft Product Support Services"],
        ["kbPSSSearch", "kbZNotKeyword3"],
        ["kbpss", "kbinfo"]
    ),
];

const OLD_PRODUCT: usize = 0;
const EXCHANGE_PRODUCT: usize = 1;

fn choose_product(rng: &mut Rng, bucket: usize) -> usize {
    if bucket < OLD_BUCKETS && rng.chance(0.5) {
        return OLD_PRODUCT;
    }
    let weights: Vec<u32> =
        PRODUCTS
            .iter()
            .enumerate()
            .map(|(i, p)| {
                if i == OLD_PRODUCT || (i == EXCHANGE_PRODUCT && bucket < EXCHANGE_FIRST_BUCKET) {
                    0
                } else {
                    p.weight
                }
            })
            .collect();
    rng.weighted(&weights)
}

// ---------------------------------------------------------------------------
// Word lists (built in)
// ---------------------------------------------------------------------------

#[rustfmt::skip]
const NOUNS: &[&str] = &[
    "server", "client", "message", "mailbox", "folder", "directory", "connector", "gateway",
    "service", "computer", "user", "administrator", "account", "password", "profile", "address",
    "recipient", "attachment", "file", "disk", "drive", "partition", "volume", "printer", "driver",
    "port", "adapter", "network", "protocol", "domain", "site", "link", "queue", "store",
    "database", "table", "record", "field", "query", "report", "form", "control", "window",
    "dialog box", "menu", "toolbar", "button", "icon", "font", "document", "template", "macro",
    "module", "procedure", "function", "variable", "parameter", "argument", "array", "string",
    "object", "property", "method", "event", "handler", "pointer", "buffer", "stack", "heap",
    "segment", "register", "interrupt", "device", "controller", "modem", "cable", "setting",
    "option", "value", "key", "subkey", "entry", "section", "log", "event log", "error", "warning",
    "message box", "command", "switch", "utility", "tool", "program", "application", "component",
    "library", "header file", "source file", "project", "workspace", "build", "compiler", "linker",
    "debugger", "breakpoint", "thread", "process", "handle", "resource", "memory", "cache",
    "index", "transaction", "session", "connection", "socket", "packet", "route", "host", "name",
    "alias", "certificate", "signature", "permission", "right", "group", "role", "policy", "share",
    "replica", "replication", "backup", "restore", "upgrade", "installation", "setup", "update",
    "service pack", "hotfix", "patch", "version", "license", "configuration", "registry", "boot",
    "startup", "shutdown", "logon", "timer", "clock", "date", "time zone", "calendar",
    "appointment", "meeting", "task", "contact", "journal", "note", "view", "filter", "rule",
    "script", "page", "frame", "image", "graphic", "chart", "slide", "presentation", "workbook",
    "worksheet", "cell", "range", "formula", "paragraph", "style", "border", "margin", "header",
    "footer", "column", "row", "list", "item", "node", "tree", "path", "volume label", "sector",
    "cluster", "boot sector", "swap file", "screen", "display", "monitor", "resolution",
    "color palette", "mouse", "keyboard", "joystick", "sound card", "CD-ROM drive", "scanner",
    "fax", "subnet mask", "DNS server", "WINS server", "DHCP server", "proxy server", "firewall",
    "virus", "newsgroup", "bulletin board", "web page", "browser", "URL", "virtual directory",
    "ISAPI filter", "ASP page", "COM object", "ActiveX control", "OLE server", "DLL", "EXE file",
    "INI file", "batch file", "CONFIG.SYS file", "AUTOEXEC.BAT file", "Information Store",
    "Directory Service", "Message Transfer Agent", "public folder", "distribution list",
    "custom recipient", "address book", "offline folder file", "personal folder file",
    "Global Address List", "Internet Mail Service", "site connector", "X.400 connector",
    "Key Management server", "Outlook Web Access", "transaction log", "recordset", "cursor",
    "stored procedure", "trigger", "view definition", "data source", "ODBC driver",
    "OLE DB provider", "type library", "interface", "class", "instance", "constructor",
    "destructor", "template class", "message map", "resource file", "makefile", "import library",
    "export table", "symbol file", "map file", "stack frame", "far pointer", "near pointer",
    "memory model", "code segment", "data segment",
];

/// (base, third person, past participle, gerund)
const VERBS: &[(&str, &str, &str, &str)] = &[
    ("start", "starts", "started", "starting"),
    ("stop", "stops", "stopped", "stopping"),
    ("open", "opens", "opened", "opening"),
    ("close", "closes", "closed", "closing"),
    ("create", "creates", "created", "creating"),
    ("delete", "deletes", "deleted", "deleting"),
    ("send", "sends", "sent", "sending"),
    ("receive", "receives", "received", "receiving"),
    ("install", "installs", "installed", "installing"),
    ("remove", "removes", "removed", "removing"),
    ("configure", "configures", "configured", "configuring"),
    ("connect", "connects", "connected", "connecting"),
    ("display", "displays", "displayed", "displaying"),
    ("print", "prints", "printed", "printing"),
    ("save", "saves", "saved", "saving"),
    ("load", "loads", "loaded", "loading"),
    ("run", "runs", "run", "running"),
    ("replicate", "replicates", "replicated", "replicating"),
    ("update", "updates", "updated", "updating"),
    ("modify", "modifies", "modified", "modifying"),
    ("change", "changes", "changed", "changing"),
    ("move", "moves", "moved", "moving"),
    ("copy", "copies", "copied", "copying"),
    ("import", "imports", "imported", "importing"),
    ("export", "exports", "exported", "exporting"),
    ("register", "registers", "registered", "registering"),
    ("resolve", "resolves", "resolved", "resolving"),
    ("process", "processes", "processed", "processing"),
    ("query", "queries", "queried", "querying"),
    ("return", "returns", "returned", "returning"),
    ("call", "calls", "called", "calling"),
    ("compile", "compiles", "compiled", "compiling"),
    ("link", "links", "linked", "linking"),
    ("debug", "debugs", "debugged", "debugging"),
    ("format", "formats", "formatted", "formatting"),
    ("restore", "restores", "restored", "restoring"),
    ("upgrade", "upgrades", "upgraded", "upgrading"),
    ("enable", "enables", "enabled", "enabling"),
    ("disable", "disables", "disabled", "disabling"),
    ("select", "selects", "selected", "selecting"),
    ("access", "accesses", "accessed", "accessing"),
    ("read", "reads", "read", "reading"),
    ("write", "writes", "written", "writing"),
    ("generate", "generates", "generated", "generating"),
    ("forward", "forwards", "forwarded", "forwarding"),
    ("route", "routes", "routed", "routing"),
    ("deliver", "delivers", "delivered", "delivering"),
    ("attach", "attaches", "attached", "attaching"),
    ("expand", "expands", "expanded", "expanding"),
    ("synchronize", "synchronizes", "synchronized", "synchronizing"),
    ("validate", "validates", "validated", "validating"),
    ("authenticate", "authenticates", "authenticated", "authenticating"),
    ("browse", "browses", "browsed", "browsing"),
    ("download", "downloads", "downloaded", "downloading"),
    ("specify", "specifies", "specified", "specifying"),
    ("reset", "resets", "reset", "resetting"),
    ("restart", "restarts", "restarted", "restarting"),
    ("map", "maps", "mapped", "mapping"),
    ("share", "shares", "shared", "sharing"),
    ("assign", "assigns", "assigned", "assigning"),
    ("schedule", "schedules", "scheduled", "scheduling"),
    ("convert", "converts", "converted", "converting"),
    ("insert", "inserts", "inserted", "inserting"),
    ("paste", "pastes", "pasted", "pasting"),
    ("resize", "resizes", "resized", "resizing"),
    ("refresh", "refreshes", "refreshed", "refreshing"),
    ("scan", "scans", "scanned", "scanning"),
    ("rebuild", "rebuilds", "rebuilt", "rebuilding"),
    ("truncate", "truncates", "truncated", "truncating"),
    ("ignore", "ignores", "ignored", "ignoring"),
    ("encrypt", "encrypts", "encrypted", "encrypting"),
    ("initialize", "initializes", "initialized", "initializing"),
    ("allocate", "allocates", "allocated", "allocating"),
    ("release", "releases", "released", "releasing"),
    ("publish", "publishes", "published", "publishing"),
    ("search", "searches", "searched", "searching"),
    ("sort", "sorts", "sorted", "sorting"),
    ("filter", "filters", "filtered", "filtering"),
];

/// Intransitive symptoms: (third person, gerund).
const SYMPTOM_VERBS: &[(&str, &str)] = &[
    ("fails", "failing"),
    ("hangs", "hanging"),
    ("stops responding", "not responding"),
    ("crashes", "crashing"),
    ("runs slowly", "running slowly"),
    ("does not start", "not starting"),
    ("appears blank", "appearing blank"),
    ("is truncated", "being truncated"),
    ("is corrupted", "being corrupted"),
    ("times out", "timing out"),
    ("returns an error", "returning an error"),
    ("is not updated", "not being updated"),
    ("is displayed incorrectly", "being displayed incorrectly"),
    ("disappears", "disappearing"),
    ("is duplicated", "being duplicated"),
    ("causes a general protection fault", "causing a general protection fault"),
];

#[rustfmt::skip]
const ADJECTIVES: &[&str] = &[
    "new", "existing", "default", "custom", "local", "remote", "shared", "hidden", "read-only",
    "corrupted", "incorrect", "invalid", "duplicate", "empty", "large", "small", "multiple",
    "additional", "secondary", "primary", "public", "private", "internal", "external", "temporary",
    "permanent", "system", "global", "administrative", "anonymous", "encrypted", "compressed",
    "dynamic", "static", "16-bit", "32-bit", "extended", "expanded", "protected", "virtual",
    "physical", "logical", "maximum", "minimum", "current", "previous", "original", "specific",
    "unexpected", "blank", "offline", "online", "outgoing", "incoming", "inbound", "outbound",
    "unresolved", "registered", "disabled", "enabled", "selected", "active",
];

#[rustfmt::skip]
const ADVERBS: &[&str] = &[
    "correctly", "properly", "successfully", "automatically", "manually", "immediately",
    "intermittently", "randomly", "slowly", "quickly", "again", "silently", "unexpectedly",
    "repeatedly", "as expected",
];

const PREPS: &[&str] =
    &["in", "on", "to", "from", "with", "for", "after", "before", "during", "through", "without", "into", "by", "over"];

const DETS: &[&str] = &["the", "the", "the", "the", "this", "your", "each", "another", "any"];

#[rustfmt::skip]
const UI_THINGS: &[&str] = &[
    "Start", "Programs", "Administrative Tools", "Control Panel", "Settings", "Tools", "Options",
    "Properties", "File", "Edit", "View", "Insert", "Format", "Help", "Advanced", "General",
    "Security", "Connections", "Services", "Network", "System", "Accessories", "Command Prompt",
    "Microsoft Exchange Administrator", "Server Manager", "User Manager", "Registry Editor",
];

const REG_ROOTS: &[&str] = &[
    "HKEY_LOCAL_MACHINE\\System\\CurrentControlSet\\Services",
    "HKEY_LOCAL_MACHINE\\Software\\Microsoft",
    "HKEY_CURRENT_USER\\Software\\Microsoft",
    "HKEY_LOCAL_MACHINE\\System\\CurrentControlSet\\Control",
];

#[rustfmt::skip]
const IDENT_PARTS: &[&str] = &[
    "Get", "Set", "Create", "Open", "Close", "Read", "Write", "Init", "Free", "Alloc", "Query",
    "Send", "Recv", "Msg", "Item", "Folder", "Store", "Session", "Buffer", "Count", "Name",
    "Handle", "Window", "Dlg", "Ctrl", "List", "Data", "File", "Path", "Info", "Flags", "Text",
    "Value", "Key", "Entry", "Table", "Row", "Col", "Index", "Size", "Port", "Addr", "Prop",
];

#[rustfmt::skip]
const QUERY_WORDS: &[&str] = &[
    "error", "fails", "hang", "setup", "install", "upgrade", "gpf", "crash", "mail", "smtp", "imc",
    "mta", "gwart", "ds", "is", "pst", "ost", "owa", "ldap", "pop3", "imap", "nntp", "x400",
    "dirsync", "replication", "rpc", "tcp/ip", "netbios", "wins", "dns", "dhcp", "ras", "print",
    "font", "display", "driver", "memory", "himem", "emm386", "config.sys", "autoexec.bat",
    "win.ini", "system.ini", "registry", "vb", "vba", "mfc", "atl", "com", "ole", "odbc", "dao",
    "ado", "sql", "query", "report", "macro", "template", "dialog",
];

// ---------------------------------------------------------------------------
// Keyword vocabulary (~3,000, Zipf-distributed)
// ---------------------------------------------------------------------------

#[rustfmt::skip]
const COMMON_KEYWORDS: &[&str] = &[
    "kbusage", "kberrmsg", "kbenv", "kbsetup", "kbnetwork", "kbDSupport", "kb3rdparty", "kbimu",
    "kbinterop", "kbtool", "win95", "kbui", "kbother", "kbfile", "kbtshoot", "kbprint", "kbhw",
    "kbHardware", "kbdisplay", "kbfaq", "kbbuglist", "kbfixlist", "kbcode", "kbprogramming",
    "kbsample", "kbconfig", "kbinfo", "kbhowto", "kbprb", "kbbug", "kbfix", "kbdocerr", "kbsound",
    "kbmm", "kbgraphic", "kbole", "kbide", "kbDebug", "kbCompiler", "kbDatabase", "kbSecurity",
    "kbperformance", "kbmemory", "kbdriver", "kbreg", "kbAPI", "kbClient", "kbServer", "kbAdmin",
    "kbMigration", "kbupgrade", "kbinstall", "kbYear2000",
];

#[rustfmt::skip]
const KW_STEMS: &[&str] = &[
    "Exchange", "WinNT", "VC", "VBp", "SMS", "SNA", "iis", "MSDOS", "Mail", "Word", "Excel",
    "Access", "Outlook", "VFP", "SQLServ", "IE", "MDAC", "ODBC", "ATL", "MFC", "OLE", "COM",
    "DCOM", "ADO", "DAO", "RDO", "ASP", "MSMQ", "MTS", "Win95", "Win98", "Win2000", "Proxy",
    "FrontPage", "PowerPt", "Schedule", "SSafe", "MASM", "Fortran", "DirectX", "Mapi", "Cdo",
    "Imc", "Kms", "Mta", "DS", "IS", "Setup", "Print", "Display", "Sound", "Net", "Ras", "Wins",
    "Dhcp", "Dns", "Tcp", "Smtp", "Pop3", "Imap", "Ldap", "Nntp", "Owa", "Pst",
];
const KW_VERSIONS: &[&str] = &["", "100", "200", "300", "400", "500", "550", "600", "700", "2000"];
const KW_SUFFIXES: &[&str] = &["", "fix", "bug", "sp1", "sp2", "sp3", "sp4fix", "preSP4fix", "Search", "kbfaq"];

struct Vocab {
    words: Vec<String>,
    /// Cumulative Zipf weights, `cdf[i]` = sum of weights of ranks 0..=i.
    cdf: Vec<f64>,
}

fn vocab() -> &'static Vocab {
    static V: OnceLock<Vocab> = OnceLock::new();
    V.get_or_init(build_vocab)
}

fn build_vocab() -> Vocab {
    let mut words: Vec<String> = Vec::with_capacity(KEYWORD_VOCAB);
    let mut seen = std::collections::BTreeSet::new();
    let mut push = |w: String, words: &mut Vec<String>| {
        if words.len() < KEYWORD_VOCAB && seen.insert(w.to_ascii_lowercase()) {
            words.push(w);
        }
    };
    for w in COMMON_KEYWORDS {
        push(w.to_string(), &mut words);
    }
    for p in PRODUCTS.iter() {
        for w in p.keywords {
            push(w.to_string(), &mut words);
        }
    }
    // Synthesized keywords in a fixed pseudo-random order (independent of --seed).
    let mut combos = Vec::new();
    for s in KW_STEMS {
        for v in KW_VERSIONS {
            for x in KW_SUFFIXES {
                combos.push(format!("kb{s}{v}{x}"));
            }
        }
    }
    let mut rng = Rng::new(0x005E_ED0F_C0DE);
    for i in (1..combos.len()).rev() {
        let j = rng.below_usize(i + 1);
        combos.swap(i, j);
    }
    for c in combos {
        push(c, &mut words);
    }
    let mut cdf = Vec::with_capacity(words.len());
    let mut acc = 0.0;
    for r in 0..words.len() {
        acc += 1.0 / ((r + 1) as f64).powf(KEYWORD_ZIPF_S);
        cdf.push(acc);
    }
    Vocab { words, cdf }
}

fn zipf_keyword(rng: &mut Rng) -> &'static str {
    let v = vocab();
    let x = rng.unit() * v.cdf[v.cdf.len() - 1];
    let i = v.cdf.partition_point(|&c| c <= x).min(v.words.len() - 1);
    &v.words[i]
}

// ---------------------------------------------------------------------------
// Corpus plan: article numbers and per-article metadata
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Meta {
    num: u32,
    product: usize,
    /// Plain-text title including the prefix (e.g. "XADM: Foo Bar"), no "Qnnn: ".
    title: String,
}

struct Corpus {
    seed: u64,
    metas: Vec<Meta>,
    /// Sorted article numbers (same order as `metas`).
    nums: Vec<u32>,
}

impl Corpus {
    fn new(n: usize, seed: u64) -> Corpus {
        let (nums, buckets) = plan_numbers(n, seed);
        let metas: Vec<Meta> = nums
            .par_iter()
            .zip(buckets.par_iter())
            .map(|(&num, &bucket)| {
                let mut rng = Rng::for_item(seed, num as u64, 1);
                let product = choose_product(&mut rng, bucket);
                let title = make_title(&mut rng, product);
                Meta { num, product, title }
            })
            .collect();
        Corpus { seed, metas, nums }
    }

    fn len(&self) -> usize {
        self.metas.len()
    }

    fn contains(&self, num: u32) -> bool {
        self.nums.binary_search(&num).is_ok()
    }
}

/// Unique, sorted article numbers spread like the real archive, plus the
/// (unscaled) density bucket of each. With more articles than the real
/// archive's number space comfortably holds, the number space is stretched.
fn plan_numbers(n: usize, seed: u64) -> (Vec<u32>, Vec<usize>) {
    let total: u64 = NUMBER_BUCKETS.iter().map(|&w| w as u64).sum();
    // Largest-remainder allocation of n over the buckets.
    let mut counts: Vec<u64> = NUMBER_BUCKETS.iter().map(|&w| n as u64 * w as u64 / total).collect();
    let assigned: u64 = counts.iter().sum();
    let mut order: Vec<usize> = (0..NUMBER_BUCKETS.len()).collect();
    order.sort_by_key(|&b| {
        let rem = n as u64 * NUMBER_BUCKETS[b] as u64 % total;
        (std::cmp::Reverse(rem), b)
    });
    for &b in order.iter().take((n as u64 - assigned) as usize) {
        counts[b] += 1;
    }
    let max_count = *counts.iter().max().unwrap_or(&0);
    let scale = max_count.div_ceil(6000).max(1); // keep buckets at most 60% full
    let width = 10_000 * scale;
    let mut rng = Rng::for_item(seed, 0, 0);
    let mut nums = Vec::with_capacity(n);
    let mut buckets = Vec::with_capacity(n);
    for (b, &k) in counts.iter().enumerate() {
        if k == 0 {
            continue;
        }
        // Bucket b covers [10000 + (b-1)*width, 10000 + b*width).
        let start = 10_000 + (b as u64 - 1) * width;
        // Knuth's selection sampling: k of `width`, in increasing order.
        let mut need = k;
        for i in 0..width {
            if rng.below(width - i) < need {
                nums.push((start + i) as u32);
                buckets.push(b);
                need -= 1;
                if need == 0 {
                    break;
                }
            }
        }
    }
    (nums, buckets)
}

// ---------------------------------------------------------------------------
// Text generation
// ---------------------------------------------------------------------------

fn title_case(s: &str) -> String {
    const SMALL: &[&str] = &["a", "an", "the", "and", "or", "of", "in", "on", "to", "for", "with", "by", "from", "at"];
    let mut out = String::with_capacity(s.len());
    for (i, w) in s.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if i > 0 && SMALL.contains(&w) {
            out.push_str(w);
        } else {
            let mut cs = w.chars();
            if let Some(c) = cs.next() {
                out.extend(c.to_uppercase());
                out.push_str(cs.as_str());
            }
        }
    }
    out
}

fn capitalize(s: &str) -> String {
    let mut cs = s.chars();
    match cs.next() {
        Some(c) => c.to_uppercase().chain(cs).collect(),
        None => String::new(),
    }
}

fn noun(rng: &mut Rng) -> &'static str {
    rng.pick(NOUNS)
}
fn adj(rng: &mut Rng) -> &'static str {
    rng.pick(ADJECTIVES)
}
fn verb(rng: &mut Rng) -> (&'static str, &'static str, &'static str, &'static str) {
    rng.pick(VERBS)
}

/// A plain-text title, including a product prefix where the product uses one.
fn make_title(rng: &mut Rng, product: usize) -> String {
    let p = &PRODUCTS[product];
    let prefix = rng.weighted_str(p.prefixes);
    let body = title_body(rng);
    let mut t = if prefix.is_empty() { body } else { format!("{prefix}: {body}") };
    if t.len() > 92 {
        // Cut at a word boundary like the real (short) titles.
        let cut = t[..92].rfind(' ').unwrap_or(92);
        t.truncate(cut);
    }
    t
}

fn title_body(rng: &mut Rng) -> String {
    let (v, vs, vpp, ving) = verb(rng);
    let (sv, sving) = rng.pick(SYMPTOM_VERBS);
    let raw = match rng.below(10) {
        0 => format!("{} {} after {} the {}", noun(rng), sv, ving, noun(rng)),
        1 => format!("how to {} {} {} {} the {}", v, adj(rng), noun(rng), rng.pick(PREPS), noun(rng)),
        2 => format!("err msg: the {} could not be {}", noun(rng), vpp),
        3 => format!("{} is not {} when {} {} {}", noun(rng), vpp, verb(rng).3, adj(rng), noun(rng)),
        4 => format!("cannot {} {} {} {}", v, noun(rng), rng.pick(PREPS), noun(rng)),
        5 => format!("{} {} causes {} {}", ving, noun(rng), noun(rng), sving),
        6 => format!("unable to {} {} {}", v, adj(rng), noun(rng)),
        7 => format!("{} {} incorrectly in {} {}", noun(rng), vs, adj(rng), noun(rng)),
        8 => format!("{} {} {} with {} {}", adj(rng), noun(rng), sv, adj(rng), noun(rng)),
        _ => format!("{} and {} {} {}", noun(rng), noun(rng), sv, ADVERBS[rng.below_usize(ADVERBS.len())]),
    };
    let mut t = title_case(&raw);
    if rng.chance(TITLE_ENTITY_P) {
        t = add_title_specials(rng, &t);
    }
    t
}

/// Add characters the archive stores as HTML entities in titles.
fn add_title_specials(rng: &mut Rng, t: &str) -> String {
    match rng.below(8) {
        0..=2 => format!("\"{}\" {}", title_case(&format!("{} {}", noun(rng), verb(rng).2)), t),
        3 => t.replacen(" and ", " & ", 1).replacen(" And ", " & ", 1) + " & " + &title_case(noun(rng)),
        4 => format!("{} [{}] Section", t, noun(rng).replace(' ', "")),
        5 => format!("{} Using *.* Wildcard", t),
        6 => format!("{} with > {} {}s", t, rng.range(2, 64), title_case(noun(rng))),
        _ => format!("{} in C:\\{}", t, noun(rng).replace(' ', "").to_ascii_uppercase()),
    }
}

/// The title as the archive stores it in front matter and headings.
fn encode_title(t: &str) -> String {
    let mut out = String::with_capacity(t.len() + 16);
    for c in t.chars() {
        match c {
            '"' => out.push_str("&quot;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' => out.push_str("&#92;"),
            '[' => out.push_str("&#91;"),
            ']' => out.push_str("&#93;"),
            '*' => out.push_str("&#42;"),
            '$' => out.push_str("&#36;"),
            _ => out.push(c),
        }
    }
    out
}

fn det(rng: &mut Rng) -> &'static str {
    rng.pick(DETS)
}

fn sentence(rng: &mut Rng) -> String {
    let (v, vs, vpp, ving) = verb(rng);
    let s = match rng.below(16) {
        0 => format!(
            "when you {v} {} {} {} {} {} {}, {} {} may not {} {}.",
            det(rng),
            adj(rng),
            noun(rng),
            rng.pick(PREPS),
            det(rng),
            noun(rng),
            det(rng),
            noun(rng),
            verb(rng).0,
            rng.pick(ADVERBS)
        ),
        1 => format!(
            "this problem occurs because {} {} does not {} {} {} {} {} {}.",
            det(rng),
            noun(rng),
            v,
            det(rng),
            noun(rng),
            rng.pick(PREPS),
            det(rng),
            noun(rng)
        ),
        2 => format!(
            "to {v} {} {}, {} {} {} {} and then {} {} {}.",
            det(rng),
            noun(rng),
            verb(rng).0,
            det(rng),
            adj(rng),
            noun(rng),
            verb(rng).0,
            det(rng),
            noun(rng)
        ),
        3 => format!(
            "{} {} {vs} {} {} {} {} {} {}.",
            det(rng),
            noun(rng),
            det(rng),
            noun(rng),
            rng.pick(PREPS),
            det(rng),
            adj(rng),
            noun(rng)
        ),
        4 => format!(
            "if {} {} is {vpp} {} {} {}, you must {} {} {} {}.",
            det(rng),
            noun(rng),
            rng.pick(PREPS),
            det(rng),
            noun(rng),
            verb(rng).0,
            det(rng),
            noun(rng),
            rng.pick(ADVERBS)
        ),
        5 => format!(
            "note that {} {} is not {vpp} when {} {} {} is {}.",
            det(rng),
            noun(rng),
            det(rng),
            adj(rng),
            noun(rng),
            verb(rng).2
        ),
        6 => format!("for example, {} {} {vs} {} {} {}.", det(rng), noun(rng), det(rng), noun(rng), rng.pick(ADVERBS)),
        7 => format!("{} {} {} can be {vpp} by using {} {}.", det(rng), adj(rng), noun(rng), det(rng), noun(rng)),
        8 => format!(
            "after you {v} {} {}, {} {} {} {}.",
            det(rng),
            noun(rng),
            det(rng),
            noun(rng),
            verb(rng).1,
            rng.pick(ADVERBS)
        ),
        9 => "this behavior is by design.".to_string(),
        10 => format!(
            "in some cases, {} {} {vs} {} {} {} instead of {} {}.",
            det(rng),
            noun(rng),
            det(rng),
            adj(rng),
            noun(rng),
            det(rng),
            noun(rng)
        ),
        11 => format!(
            "make sure that {} {} is {vpp} before you {} {} {}.",
            det(rng),
            noun(rng),
            verb(rng).0,
            det(rng),
            noun(rng)
        ),
        12 => format!("{} {} {} {} {} {}.", det(rng), noun(rng), rng.pick(SYMPTOM_VERBS).0, "while", ving, noun(rng)),
        13 => format!(
            "{} {} {} {} {} is {vpp} {}.",
            det(rng),
            noun(rng),
            rng.pick(PREPS),
            det(rng),
            noun(rng),
            rng.pick(ADVERBS)
        ),
        14 => format!(
            "the {} {} if {} {} {} is {vpp}.",
            noun(rng),
            rng.pick(SYMPTOM_VERBS).0,
            det(rng),
            adj(rng),
            noun(rng)
        ),
        _ => format!(
            "you can {v} {} {} {} {} {} without {} {} {}.",
            det(rng),
            noun(rng),
            rng.pick(PREPS),
            det(rng),
            noun(rng),
            verb(rng).3,
            det(rng),
            noun(rng)
        ),
    };
    capitalize(&s)
}

// ---------------------------------------------------------------------------
// Article body builder
// ---------------------------------------------------------------------------

const WRAP: usize = 79;
const DASHES: &str = "-------------------------------------------------------------------------------";

/// Appends tab-prefixed lines to a buffer.
#[derive(Default)]
struct Text {
    s: String,
}

impl Text {
    fn line(&mut self, l: &str) {
        self.s.push('\t');
        self.s.push_str(l);
        self.s.push('\n');
    }
    fn blank(&mut self) {
        self.s.push_str("\t\n");
    }
    /// Word-wrapped paragraph; `indent` spaces on every line, `hang` extra on
    /// continuation lines.
    fn wrap(&mut self, text: &str, indent: usize, hang: usize) {
        let mut cur = String::with_capacity(WRAP);
        let mut first = true;
        for w in text.split(' ') {
            let ind = indent + if first { 0 } else { hang };
            if !cur.is_empty() && ind + cur.len() + 1 + w.len() > WRAP {
                self.s.push('\t');
                self.s.extend(std::iter::repeat_n(' ', ind));
                self.s.push_str(&cur);
                self.s.push('\n');
                cur.clear();
                first = false;
            }
            if !cur.is_empty() {
                cur.push(' ');
            }
            cur.push_str(w);
        }
        if !cur.is_empty() {
            let ind = indent + if first { 0 } else { hang };
            self.s.push('\t');
            self.s.extend(std::iter::repeat_n(' ', ind));
            self.s.push_str(&cur);
            self.s.push('\n');
        }
    }
    fn heading(&mut self, h: &str) {
        self.line(h);
        let u = "=".repeat(h.len());
        self.line(&u);
        self.blank();
    }
}

fn paragraph(rng: &mut Rng, min: usize, max: usize) -> String {
    let n = rng.range(min, max);
    let mut p = String::new();
    for i in 0..n {
        if i > 0 {
            p.push(' ');
        }
        p.push_str(&sentence(rng));
    }
    p
}

fn para_block(rng: &mut Rng) -> String {
    let mut t = Text::default();
    t.wrap(&paragraph(rng, 2, 6), 0, 0);
    t.blank();
    t.s
}

fn ident(rng: &mut Rng) -> String {
    let mut s = String::new();
    for _ in 0..rng.range(1, 3) {
        s.push_str(rng.pick(IDENT_PARTS));
    }
    s
}

fn hex(rng: &mut Rng) -> String {
    format!("0x{:08X}", 0x8000_0000u32 | (rng.next_u64() as u32 & 0x0FFF_FFFF))
}

fn error_block(rng: &mut Rng) -> String {
    let mut t = Text::default();
    t.wrap(
        &format!("You may receive the following error message when you {} {} {}:", verb(rng).0, det(rng), noun(rng)),
        0,
        0,
    );
    t.blank();
    let msg = match rng.below(4) {
        0 => format!("Error {}: The {} could not be {}.", hex(rng), noun(rng), verb(rng).2),
        1 => format!("The {} {} is not available. Contact your system administrator.", adj(rng), noun(rng)),
        2 => format!(
            "{}.EXE caused a general protection fault in module {}.DLL at 0001:{:04X}.",
            ident(rng).to_ascii_uppercase(),
            ident(rng).to_ascii_uppercase(),
            rng.below(0x10000)
        ),
        _ => format!(
            "Unable to {} the {}. The {} returned error {}.",
            verb(rng).0,
            noun(rng),
            noun(rng),
            rng.range(1, 9999)
        ),
    };
    t.wrap(&msg, 3, 0);
    t.blank();
    t.s
}

fn steps_block(rng: &mut Rng) -> String {
    let mut t = Text::default();
    t.wrap(&format!("To {} {} {}, follow these steps:", verb(rng).0, det(rng), noun(rng)), 0, 0);
    t.blank();
    for i in 1..=rng.range(2, 9) {
        let step = match rng.below(4) {
            0 => format!(
                "Click {}, point to {}, and then click {}.",
                rng.pick(UI_THINGS),
                rng.pick(UI_THINGS),
                rng.pick(UI_THINGS)
            ),
            1 => format!("On the {} menu, click {}.", rng.pick(UI_THINGS), rng.pick(UI_THINGS)),
            2 => {
                format!("In the {} box, type the name of the {}, and then click OK.", title_case(noun(rng)), noun(rng))
            }
            _ => sentence(rng),
        };
        let label = format!("{i}. ");
        t.wrap(&format!("{label}{step}"), 0, label.len());
    }
    t.blank();
    t.s
}

fn code_block(rng: &mut Rng, liquid_lookalike: bool) -> String {
    let mut t = Text::default();
    t.wrap(&paragraph(rng, 1, 2), 0, 0);
    t.blank();
    let style = rng.below(4);
    let lines = rng.range(3, 24);
    let class = ident(rng);
    if liquid_lookalike {
        match rng.below(3) {
            0 => t.line(&format!("     //{{{{AFX_MSG_MAP(C{class}Dlg)")),
            1 => t.line(&format!(
                "     IF {{%COUNTER%}}=={{{}}} SET {}=%1",
                rng.range(1, 9),
                ident(rng).to_ascii_uppercase()
            )),
            _ => t.line("     ??? \"{{}\""),
        }
    }
    for _ in 0..lines {
        let l = match style {
            0 => format!(
                "     hr = p{}->{}({}, {});",
                ident(rng),
                ident(rng),
                ident(rng).to_ascii_lowercase(),
                rng.range(0, 255)
            ),
            1 => format!(
                "     Dim {} As {}",
                ident(rng),
                rng.pick(&["Integer", "String", "Long", "Variant", "Object", "Recordset"])
            ),
            2 => format!("     {}\\{}\\{}", rng.pick(REG_ROOTS), ident(rng), ident(rng)),
            _ => format!(
                "     C:\\> {} /{} {}.{}",
                ident(rng).to_ascii_lowercase(),
                rng.pick(&["s", "y", "f", "v", "c", "q"]),
                ident(rng).to_ascii_uppercase(),
                rng.pick(&["EXE", "DLL", "INI", "LOG", "TXT", "DAT"])
            ),
        };
        t.line(&l);
    }
    if liquid_lookalike && style == 0 {
        t.line("     //}}AFX_MSG_MAP");
    }
    t.blank();
    t.s
}

fn bullets_block(rng: &mut Rng) -> String {
    let mut t = Text::default();
    t.wrap(&paragraph(rng, 1, 1), 0, 0);
    t.blank();
    for _ in 0..rng.range(2, 7) {
        t.wrap(&format!("- {}", sentence(rng)), 0, 2);
    }
    t.blank();
    t.s
}

fn filler_block(rng: &mut Rng) -> String {
    match rng.weighted(&[55, 10, 12, 13, 10]) {
        0 => para_block(rng),
        1 => error_block(rng),
        2 => steps_block(rng),
        3 => code_block(rng, false),
        _ => bullets_block(rng),
    }
}

/// One reference to another article: the title form, the ARTICLE-ID form, or
/// an inline mention.
fn mention_block(rng: &mut Rng, num: u32, title: &str) -> String {
    let mut t = Text::default();
    match rng.weighted(&[60, 20, 20]) {
        0 => {
            t.wrap(
                &format!(
                    "For additional information about {} {}, please see the following article in the Microsoft Knowledge Base:",
                    verb(rng).3,
                    det(rng).replace("your", "the").replace("each", "the")
                        + " "
                        + noun(rng)
                ),
                0,
                0,
            );
            t.blank();
            t.line(&format!("  Q{num} {title}"));
            t.blank();
        }
        1 => {
            t.wrap("For more information, see the following article in the Microsoft Knowledge Base:", 0, 0);
            t.blank();
            t.line(&format!("  ARTICLE-ID: Q{num}"));
            t.line(&format!("  TITLE     : {title}"));
            t.blank();
        }
        _ => {
            t.wrap(
                &format!("{} For details, see article Q{num} in the Microsoft Knowledge Base.", sentence(rng)),
                0,
                0,
            );
            t.blank();
        }
    }
    t.s
}

struct Section {
    name: &'static str,
    blocks: Vec<String>,
}

/// A rendered article: its plain and encoded titles and its raw text (the
/// tab-indented lines inside `{% raw %}`).
struct Article {
    num: u32,
    title_plain: String,
    title_enc: String,
    text: String,
}

fn folder(num: u32) -> String {
    format!("{:03}", num / 1000)
}

/// Front matter, heading and raw markers (everything but the text).
fn kbsite_wrapper(num: u32, title_enc: &str) -> (String, &'static str) {
    let head = format!(
        "---\nlayout: page\ntitle: \"Q{num}: {title_enc}\"\npermalink: /kb/{}/Q{num}/\n---\n\n## Q{num}: {title_enc}\n\n{{% raw %}}\n\n",
        folder(num)
    );
    (head, "\n{% endraw %}\n")
}

fn render_article(c: &Corpus, idx: usize) -> Article {
    let meta = &c.metas[idx];
    let num = meta.num;
    let p = &PRODUCTS[meta.product];
    let old = meta.product == OLD_PRODUCT;
    let mut rng = Rng::for_item(c.seed, num as u64, 2);
    let title_enc = encode_title(&meta.title);
    let (head, tail) = kbsite_wrapper(num, &title_enc);
    let target = target_size(&mut rng);
    let target_text = target.saturating_sub(head.len() + tail.len());
    // Short articles of the archive have fewer of the optional parts.
    let small = target < 1500;

    // Header lines.
    let mut kws: Vec<&str> = Vec::new();
    let kcount = rng.weighted(&KEYWORD_COUNTS);
    let mut guard = 0;
    while kws.len() < kcount && guard < 100 {
        guard += 1;
        let k = if !p.keywords.is_empty() && rng.chance(0.4) { rng.pick(p.keywords) } else { zipf_keyword(&mut rng) };
        if !kws.contains(&k) {
            kws.push(k);
        }
    }
    let kw_line = if old && kws.len() > 2 && rng.chance(0.5) {
        let mid = kws.len() / 2;
        format!("{} | {}", kws[..mid].join(" "), kws[mid..].join(" "))
    } else {
        kws.join(" ")
    };
    let version = rng.pick(p.versions);
    let os = if old { rng.pick(&["MS-DOS", "MS-DOS", "MS-DOS | OS/2", "OS/2"]) } else { "" };
    let year = if old { rng.weighted_str(&OLD_YEARS) } else { rng.weighted_str(&NEW_YEARS) };
    let date = format!("{:02}-{}-{}", rng.range(1, 28), MONTHS[rng.below_usize(12)], year);

    let mut head_t = Text::default();
    head_t.line(&format!("Article: Q{num}"));
    head_t.line(&format!("Product(s): {}", p.name));
    head_t.line(&format!("Version(s): {version}"));
    head_t.line(&format!("Operating System(s): {os}"));
    head_t.line(&format!("Keyword(s): {kw_line}"));
    head_t.line(&format!("Last Modified: {date}"));
    head_t.blank();
    if !old && !p.applies.is_empty() && (!small || rng.chance(0.3)) {
        head_t.line(DASHES);
        head_t.line("The information in this article applies to:");
        head_t.blank();
        let n = rng.range(1, p.applies.len().min(3));
        let start = rng.below_usize(p.applies.len());
        for i in 0..n {
            head_t.line(&format!("- {} ", p.applies[(start + i) % p.applies.len()]));
        }
        head_t.line(DASHES);
        head_t.blank();
        if rng.chance(0.5) {
            head_t.blank();
        }
    }

    // Footer.
    let issue = rng.weighted_str(&ISSUE_TYPES);
    let mut foot = Text::default();
    if !old && rng.chance(if small { 0.6 } else { 0.9 }) {
        let mut q = String::from("Additional query words:");
        for _ in 0..rng.range(2, 9) {
            q.push(' ');
            q.push_str(rng.pick(QUERY_WORDS));
        }
        foot.line(&q);
        foot.blank();
    }
    if !old {
        foot.line("======================================================================");
        foot.line(&format!("Keywords          : {} ", kws.join(" ")));
        let mut tech: Vec<&str> = Vec::new();
        if !p.tech.is_empty() {
            let n = if small { rng.range(0, 3) } else { rng.range(2, 12) };
            for _ in 0..n {
                let t = rng.pick(p.tech);
                if !tech.contains(&t) {
                    tech.push(t);
                }
            }
        }
        foot.line(&format!("Technology        : {}", tech.join(" ")));
        foot.line(&format!("Version           : {version}"));
        foot.line(&format!("Issue type        : {issue}"));
        if issue.starts_with("kbbug") {
            let sol = rng.weighted_str(&[("kbfix", 70), ("kbpending", 20), ("kbnofix", 10)]);
            foot.line(&format!("Solution Type     : {sol}"));
        }
        foot.blank();
        foot.line("=============================================================================");
        foot.blank();
    }

    // Sections.
    let mut sections: Vec<Section> = Vec::new();
    let sec = |name: &'static str| Section { name, blocks: Vec::new() };
    if old {
        sections.push(sec(""));
    } else {
        match issue {
            "kbbug" | "kbbug kbinfo" => {
                sections.extend(["SYMPTOMS", "CAUSE", "RESOLUTION", "STATUS"].map(sec));
                if rng.chance(0.7) {
                    sections.push(sec("MORE INFORMATION"));
                }
            }
            "kbprb" | "kbprb kbinfo" => {
                let fix = if rng.chance(0.3) { "WORKAROUND" } else { "RESOLUTION" };
                sections.extend(["SYMPTOMS", "CAUSE", fix].map(sec));
                if rng.chance(0.5) {
                    sections.push(sec("MORE INFORMATION"));
                }
            }
            "kbinfo" => sections.extend(["SUMMARY", "MORE INFORMATION"].map(sec)),
            _ => {
                sections.extend(["SUMMARY", "MORE INFORMATION"].map(sec));
                if rng.chance(0.4) {
                    sections.push(sec("REFERENCES"));
                }
            }
        }
    }
    if small {
        sections.truncate(if rng.chance(0.5) { 1 } else { 2 });
    }
    for s in sections.iter_mut() {
        let b = if s.name == "STATUS" {
            let mut t = Text::default();
            t.wrap(
                "Microsoft has confirmed this to be a problem in the Microsoft products listed at the beginning of this article.",
                0,
                0,
            );
            t.blank();
            t.s
        } else {
            let mut t = Text::default();
            t.wrap(&paragraph(&mut rng, 1, 1), 0, 0);
            t.blank();
            t.s
        };
        s.blocks.push(b);
    }
    let main_idx = sections.iter().position(|s| s.name == "MORE INFORMATION").unwrap_or(sections.len() - 1);
    let ref_idx = sections.iter().position(|s| s.name == "REFERENCES").unwrap_or(main_idx);

    // Mentions.
    let mentions = rng.weighted(&MENTION_COUNTS);
    for _ in 0..mentions {
        let (mnum, mtitle) = if rng.chance(MENTION_EXISTING_P) && c.len() > 1 {
            let mut j = rng.below_usize(c.len());
            if j == idx {
                j = (j + 1) % c.len();
            }
            (c.metas[j].num, c.metas[j].title.clone())
        } else {
            let hi = (*c.nums.last().unwrap_or(&330_000)).max(330_000);
            let mut m = 10_000 + rng.below((hi - 10_000) as u64) as u32;
            while c.contains(m) {
                m = 10_000 + rng.below((hi - 10_000) as u64) as u32;
            }
            let product = choose_product(&mut rng, 20);
            (m, make_title(&mut rng, product))
        };
        let b = mention_block(&mut rng, mnum, &mtitle);
        let si = if rng.chance(0.7) { ref_idx } else { rng.below_usize(sections.len()) };
        let pos = rng.range(1, sections[si].blocks.len());
        sections[si].blocks.insert(pos, b);
    }
    if rng.chance(LIQUID_LOOKALIKE_P) {
        let b = code_block(&mut rng, true);
        sections[main_idx].blocks.push(b);
    }

    // Fill up to the target size.
    let heading_len = |s: &Section| {
        if s.name.is_empty() {
            0
        } else {
            2 * (s.name.len() + 2) + 2
        }
    };
    let mut len = head_t.s.len()
        + foot.s.len()
        + sections.iter().map(|s| heading_len(s) + s.blocks.iter().map(String::len).sum::<usize>()).sum::<usize>();
    while len + 60 < target_text {
        let b = if target_text - len < 400 {
            let mut t = Text::default();
            t.wrap(&paragraph(&mut rng, 1, 2), 0, 0);
            t.blank();
            t.s
        } else {
            filler_block(&mut rng)
        };
        len += b.len();
        let si = if rng.chance(0.75) { main_idx } else { rng.below_usize(sections.len()) };
        sections[si].blocks.push(b);
    }

    let mut text = head_t.s;
    text.reserve(len + 64);
    for s in &sections {
        if !s.name.is_empty() {
            let mut t = Text::default();
            t.heading(s.name);
            text.push_str(&t.s);
        }
        for b in &s.blocks {
            text.push_str(b);
        }
    }
    if old {
        // Old articles end with their last text line, no trailing blank.
        while text.ends_with("\t\n") {
            text.truncate(text.len() - 2);
        }
    }
    text.push_str(&foot.s);
    Article { num, title_plain: meta.title.clone(), title_enc, text }
}

// ---------------------------------------------------------------------------
// Output formats
// ---------------------------------------------------------------------------

fn to_kbsite(a: &Article) -> String {
    let (head, tail) = kbsite_wrapper(a.num, &a.title_enc);
    let mut s = String::with_capacity(head.len() + a.text.len() + tail.len());
    s.push_str(&head);
    s.push_str(&a.text);
    s.push_str(tail);
    s
}

fn toml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

fn to_hugo(a: &Article) -> String {
    let mut s = String::with_capacity(a.text.len() + 256);
    let _ = write!(
        s,
        "+++\ntitle = {}\nurl = \"/kb/{}/Q{}/\"\n+++\n\n## Q{}: {}\n\n",
        toml_str(&format!("Q{}: {}", a.num, a.title_plain)),
        folder(a.num),
        a.num,
        a.num,
        a.title_enc
    );
    s.push_str(&a.text);
    s
}

fn article_path(format: Format, num: u32) -> PathBuf {
    match format {
        Format::Kbsite => PathBuf::from(format!("content/kb/{}/Q{num}/README.md", folder(num))),
        Format::Hugo => PathBuf::from(format!("content/kb/{}/Q{num}.md", folder(num))),
    }
}

fn render_file(c: &Corpus, idx: usize, format: Format) -> String {
    let a = render_article(c, idx);
    match format {
        Format::Kbsite => to_kbsite(&a),
        Format::Hugo => to_hugo(&a),
    }
}

const SITE_TITLE: &str = "Synthetic KB Archive";
const SITE_DESCRIPTION: &str = "Generated benchmark corpus";

const SITE_TOML: &str = r#"title = "Synthetic KB Archive"
description = "Generated benchmark corpus"
url = "https://example.github.io"
baseurl = "/kbarchive"
source = "content"
output = "public"
"#;

const DISCLAIMER: &str = r#"        <p>
            THE INFORMATION PROVIDED IN THE MICROSOFT KNOWLEDGE BASE IS
            PROVIDED "AS IS" WITHOUT WARRANTY OF ANY KIND.  MICROSOFT DISCLAIMS
            ALL WARRANTIES, EITHER EXPRESS OR IMPLIED, INCLUDING THE WARRANTIES
            OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE.
        </p>
        <p>Copyright Microsoft Corporation 1986-2002.</p>
"#;

/// Minimal Liquid layouts of the same weight as the Hugo templates.
fn liquid_layouts() -> [(&'static str, String); 2] {
    let default = r#"<!DOCTYPE html>
<html lang="en-US">
<head>
    <meta charset="utf-8">
    <title>{{ page.title }} | {{ site.title }}</title>
    <link rel="stylesheet" href="{{ site.baseurl }}/assets/css/style.css">
</head>
<body>
    <header>
        <h1><a href="{{ site.baseurl }}/">{{ site.title }}</a></h1>
        <h2>{{ site.description }}</h2>
    </header>
    <section id="main_content">
{{ content }}
    </section>
</body>
</html>
"#
    .to_string();
    let page = format!("---\nlayout: default\n---\n    <div>\n        {{{{ content }}}}\n{DISCLAIMER}    </div>\n");
    [("content/_layouts/default.html", default), ("content/_layouts/page.html", page)]
}

fn hugo_files() -> Vec<(&'static str, String)> {
    let config = format!(
        r#"# Generated by kbgen: a minimal Hugo build comparable to kbsite's.
# One HTML page per article plus the home page and the /kb/ section page;
# no taxonomies, RSS, sitemap, robots.txt or 404 page.
baseURL = "https://example.github.io/kbarchive/"
title = "{SITE_TITLE}"
languageCode = "en-us"
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]
disableHugoGeneratorInject = true
enableGitInfo = false
enableEmoji = false

[params]
description = "{SITE_DESCRIPTION}"

[markup.goldmark.renderer]
unsafe = true

[markup.highlight]
codeFences = false
"#
    );
    let head = r#"<!DOCTYPE html>
<html lang="en-US">
<head>
    <meta charset="utf-8">
    <title>{{ .Title }} | {{ .Site.Title }}</title>
    <link rel="stylesheet" href="{{ "assets/css/style.css" | relURL }}">
</head>
<body>
    <header>
        <h1><a href="{{ "" | relURL }}">{{ .Site.Title }}</a></h1>
        <h2>{{ .Site.Params.description }}</h2>
    </header>
    <section id="main_content">
"#;
    let foot = "    </section>\n</body>\n</html>\n";
    let single = format!("{head}    <div>\n        {{{{ .Content }}}}\n{DISCLAIMER}    </div>\n{foot}");
    let index = format!("{head}    <div>\n        {{{{ .Content }}}}\n    </div>\n{foot}");
    let list = format!(
        "{head}    <div>\n        <h2>{{{{ .Title }}}}</h2>\n        <p>{{{{ len .Pages }}}} pages.</p>\n    </div>\n{foot}"
    );
    vec![
        ("config.toml", config),
        ("layouts/_default/single.html", single),
        ("layouts/_default/list.html", list),
        ("layouts/index.html", index),
    ]
}

/// The home page body: product counts and a link to each product's first article.
fn home_body(c: &Corpus) -> String {
    let mut counts = vec![0usize; PRODUCTS.len()];
    let mut first = vec![None; PRODUCTS.len()];
    for (i, m) in c.metas.iter().enumerate() {
        counts[m.product] += 1;
        if first[m.product].is_none() {
            first[m.product] = Some(i);
        }
    }
    let mut s = String::new();
    let _ = writeln!(
        s,
        "This is a synthetic archive of {} knowledge-base articles generated by kbgen (seed {}).\n",
        c.len(),
        c.seed
    );
    s.push_str("## KB Articles by Product\n\n");
    let mut order: Vec<usize> = (0..PRODUCTS.len()).filter(|&i| counts[i] > 0).collect();
    order.sort_by_key(|&i| PRODUCTS[i].name);
    for i in order {
        let m = &c.metas[first[i].unwrap_or(0)];
        let _ = writeln!(s, "- [{}](kb/{}/Q{}/): {} articles", PRODUCTS[i].name, folder(m.num), m.num, counts[i]);
    }
    s
}

struct WriteStats {
    files: usize,
    bytes: u64,
}

fn write_site(c: &Corpus, out: &Path, format: Format) -> Result<WriteStats> {
    let mut extra: Vec<(String, String)> = Vec::new();
    match format {
        Format::Kbsite => {
            extra.push(("site.toml".into(), SITE_TOML.into()));
            extra.push((
                "content/index.md".into(),
                format!("---\nlayout: page\ntitle: {SITE_TITLE}\npermalink: /\n---\n\n{}", home_body(c)),
            ));
            for (p, s) in liquid_layouts() {
                extra.push((p.into(), s));
            }
        }
        Format::Hugo => {
            extra.push(("content/_index.md".into(), format!("+++\ntitle = \"{SITE_TITLE}\"\n+++\n\n{}", home_body(c))));
            for (p, s) in hugo_files() {
                extra.push((p.into(), s));
            }
        }
    }
    // Create every directory once: the shared ones (kb/NNN) here, sorted;
    // the per-article folders of the kbsite format in the parallel writers.
    let own_dir = format == Format::Kbsite;
    let mut dirs = std::collections::BTreeSet::new();
    for (p, _) in &extra {
        if let Some(d) = Path::new(p).parent() {
            dirs.insert(out.join(d));
        }
    }
    for m in &c.metas {
        let p = article_path(format, m.num);
        let d = if own_dir { p.parent().and_then(Path::parent) } else { p.parent() };
        if let Some(d) = d {
            dirs.insert(out.join(d));
        }
    }
    for d in &dirs {
        std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
    }
    let mut bytes = 0u64;
    for (p, s) in &extra {
        std::fs::write(out.join(p), s).with_context(|| format!("writing {p}"))?;
        bytes += s.len() as u64;
    }
    let article_bytes: u64 = (0..c.len())
        .into_par_iter()
        .map(|i| -> Result<u64> {
            let s = render_file(c, i, format);
            let path = out.join(article_path(format, c.metas[i].num));
            if own_dir {
                if let Some(d) = path.parent() {
                    match std::fs::create_dir(d) {
                        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
                            return Err(e).with_context(|| format!("creating {}", d.display()));
                        }
                        _ => {}
                    }
                }
            }
            std::fs::write(&path, &s).with_context(|| format!("writing {}", path.display()))?;
            Ok(s.len() as u64)
        })
        .try_reduce(|| 0, |a, b| Ok(a + b))?;
    Ok(WriteStats { files: extra.len() + c.len(), bytes: bytes + article_bytes })
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    fn all_files(c: &Corpus, f: Format) -> Vec<String> {
        (0..c.len()).map(|i| render_file(c, i, f)).collect()
    }

    /// `Q` numbers mentioned in an article's raw text (excluding its own header).
    fn mentions(text: &str) -> Vec<u32> {
        let b = text.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'Q' && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
                let mut j = i + 1;
                while j < b.len() && b[j].is_ascii_digit() {
                    j += 1;
                }
                let digits = j - i - 1;
                let end_ok = j == b.len() || !b[j].is_ascii_alphanumeric();
                let own = i >= 9 && &text[i - 9..i] == "Article: ";
                if (5..=6).contains(&digits) && end_ok && !own {
                    out.push(text[i + 1..j].parse().unwrap());
                }
                i = j;
            } else {
                i += 1;
            }
        }
        out
    }

    fn raw_text(file: &str) -> &str {
        let start = file.find("{% raw %}\n\n").unwrap() + 11;
        let end = file.rfind("\n{% endraw %}\n").unwrap();
        &file[start..end]
    }

    #[test]
    fn prng_is_stable() {
        let mut r = Rng::new(42);
        let a: Vec<u64> = (0..4).map(|_| r.next_u64()).collect();
        let mut r2 = Rng::new(42);
        let b: Vec<u64> = (0..4).map(|_| r2.next_u64()).collect();
        assert_eq!(a, b);
        assert_ne!(Rng::new(1).next_u64(), Rng::new(2).next_u64());
        let mut r = Rng::new(7);
        for _ in 0..1000 {
            assert!(r.below(10) < 10);
            let u = r.unit();
            assert!((0.0..1.0).contains(&u));
        }
    }

    #[test]
    fn same_seed_same_bytes_different_seed_differs() {
        let a = all_files(&Corpus::new(400, 7), Format::Kbsite);
        let b = all_files(&Corpus::new(400, 7), Format::Kbsite);
        assert_eq!(a, b);
        let c = all_files(&Corpus::new(400, 8), Format::Kbsite);
        assert_ne!(a, c);
        let h1 = all_files(&Corpus::new(100, 7), Format::Hugo);
        let h2 = all_files(&Corpus::new(100, 7), Format::Hugo);
        assert_eq!(h1, h2);
    }

    #[test]
    fn writing_twice_gives_identical_trees() {
        let c = Corpus::new(60, 3);
        for f in [Format::Kbsite, Format::Hugo] {
            let d1 = tempfile::tempdir().unwrap();
            let d2 = tempfile::tempdir().unwrap();
            let s1 = write_site(&c, d1.path(), f).unwrap();
            let s2 = write_site(&c, d2.path(), f).unwrap();
            assert_eq!((s1.files, s1.bytes), (s2.files, s2.bytes));
            for m in &c.metas {
                let p = article_path(f, m.num);
                let x = std::fs::read(d1.path().join(&p)).unwrap();
                let y = std::fs::read(d2.path().join(&p)).unwrap();
                assert_eq!(x, y);
            }
            match f {
                Format::Kbsite => {
                    let t = std::fs::read_to_string(d1.path().join("site.toml")).unwrap();
                    assert!(t.contains("source = \"content\""));
                    assert!(d1.path().join("content/index.md").is_file());
                }
                Format::Hugo => {
                    assert!(d1.path().join("config.toml").is_file());
                    assert!(d1.path().join("layouts/_default/single.html").is_file());
                }
            }
        }
    }

    #[test]
    fn numbers_unique_sorted_and_spread() {
        let c = Corpus::new(5000, 1);
        assert!(c.nums.windows(2).all(|w| w[0] < w[1]));
        assert!(*c.nums.first().unwrap() >= 10_000);
        assert!(*c.nums.last().unwrap() < 330_000);
        let folders: std::collections::BTreeSet<u32> = c.nums.iter().map(|n| n / 1000).collect();
        assert!(folders.len() > 250, "{} folders", folders.len());
        // More articles than the real number space: still unique.
        let (big, _) = plan_numbers(400_000, 1);
        assert_eq!(big.len(), 400_000);
        assert!(big.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn mention_ratio_and_rate() {
        let c = Corpus::new(3000, 11);
        let mut total = 0usize;
        let mut existing = 0usize;
        for i in 0..c.len() {
            let f = render_file(&c, i, Format::Kbsite);
            for m in mentions(raw_text(&f)) {
                total += 1;
                if c.contains(m) {
                    existing += 1;
                }
            }
        }
        let per = total as f64 / c.len() as f64;
        let ratio = existing as f64 / total as f64;
        assert!((1.4..1.8).contains(&per), "mentions per article {per}");
        assert!((0.86..0.94).contains(&ratio), "existing ratio {ratio}");
    }

    #[test]
    fn size_distribution_bounds() {
        let c = Corpus::new(4000, 5);
        let mut sizes: Vec<usize> = all_files(&c, Format::Kbsite).iter().map(String::len).collect();
        sizes.sort_unstable();
        let n = sizes.len();
        let median = sizes[n / 2];
        assert!(sizes[0] >= 400, "min {}", sizes[0]);
        assert!(sizes[n - 1] <= 185_000, "max {}", sizes[n - 1]);
        assert!((2200..2900).contains(&median), "median {median}");
        assert!(sizes[n / 10] > 1100 && sizes[n / 10] < 2000, "p10 {}", sizes[n / 10]);
        assert!(sizes[n * 99 / 100] > 9000, "p99 {}", sizes[n * 99 / 100]);
    }

    #[test]
    fn article_format_parses() {
        let c = Corpus::new(800, 9);
        let mut entity_titles = 0;
        let mut liquid = 0;
        for i in 0..c.len() {
            let f = render_file(&c, i, Format::Kbsite);
            let num = c.metas[i].num;
            let fm_end = f[4..].find("\n---\n").map(|p| p + 4).expect("front matter end");
            assert!(f.starts_with("---\nlayout: page\ntitle: \"Q"), "{f}");
            let fm = &f[4..fm_end];
            let title_line = fm.lines().nth(1).unwrap();
            assert!(title_line.starts_with(&format!("title: \"Q{num}: ")));
            assert!(title_line.ends_with('"'));
            assert_eq!(title_line.matches('"').count(), 2, "{title_line}");
            assert!(fm.contains(&format!("\npermalink: /kb/{:03}/Q{num}/", num / 1000)));
            let title = &title_line[8..title_line.len() - 1];
            if title.contains('&') {
                entity_titles += 1;
            }
            let rest = &f[fm_end + 5..];
            assert!(rest.starts_with(&format!("\n## {title}\n\n{{% raw %}}\n\n")));
            assert!(f.ends_with("\n\n{% endraw %}\n"));
            let raw = raw_text(&f);
            let lines: Vec<&str> = raw.lines().collect();
            let keys = [
                "Article: ",
                "Product(s): ",
                "Version(s): ",
                "Operating System(s): ",
                "Keyword(s): ",
                "Last Modified: ",
            ];
            for (l, k) in lines.iter().zip(keys) {
                assert!(l.starts_with(&format!("\t{k}")), "{l:?} vs {k}");
            }
            assert_eq!(lines[0], format!("\tArticle: Q{num}"));
            let date = &lines[5]["\tLast Modified: ".len()..];
            assert_eq!(date.len(), 11, "{date}");
            let year: u32 = date[7..].parse().unwrap();
            assert!((1988..=2002).contains(&year));
            assert!(MONTHS.contains(&&date[3..6]));
            assert!(lines.iter().all(|l| l.starts_with('\t')), "untabbed line");
            assert!(!raw.contains("endraw"));
            if raw.contains("{{") || raw.contains("{%") {
                liquid += 1;
            }
            if c.metas[i].product != OLD_PRODUCT {
                for k in [
                    "\tKeywords          : ",
                    "\tTechnology        : ",
                    "\tVersion           : ",
                    "\tIssue type        : ",
                ] {
                    assert!(raw.contains(k), "missing {k}");
                }
            }
        }
        assert!(entity_titles > 10 && entity_titles < 100, "{entity_titles}");
        assert!(liquid < 40, "{liquid}");
    }

    #[test]
    fn hugo_format_parses() {
        let c = Corpus::new(300, 4);
        for i in 0..c.len() {
            let f = render_file(&c, i, Format::Hugo);
            let num = c.metas[i].num;
            assert!(f.starts_with("+++\ntitle = \""));
            assert!(f.contains(&format!("\nurl = \"/kb/{:03}/Q{num}/\"\n+++\n\n## Q{num}: ", num / 1000)));
            assert!(!f.contains("{% raw %}") && !f.contains("{% endraw %}"));
            assert!(f.contains(&format!("\n\tArticle: Q{num}\n")));
            assert!(!f.contains("{{<") && !f.contains("{{%"), "Hugo shortcode syntax");
        }
        assert_eq!(toml_str("a\"b\\c"), "\"a\\\"b\\\\c\"");
    }

    #[test]
    fn keywords_are_zipf_like() {
        let c = Corpus::new(3000, 2);
        let mut counts = std::collections::BTreeMap::new();
        for i in 0..c.len() {
            let f = render_file(&c, i, Format::Kbsite);
            let line = f.lines().find(|l| l.starts_with("\tKeyword(s):")).unwrap();
            for k in line["\tKeyword(s):".len()..].split_whitespace() {
                if k != "|" {
                    *counts.entry(k.to_string()).or_insert(0usize) += 1;
                }
            }
        }
        let mut v: Vec<usize> = counts.values().copied().collect();
        v.sort_unstable_by(|a, b| b.cmp(a));
        assert!(counts.len() > 800, "{} distinct", counts.len());
        assert!(v[0] > 20 * v[v.len() / 2], "top {} median {}", v[0], v[v.len() / 2]);
        assert_eq!(vocab().words.len(), KEYWORD_VOCAB);
    }

    #[test]
    fn titles_encode_like_the_archive() {
        assert_eq!(
            encode_title("\"Out of Memory\" & [boot] *.* C:\\DOS $x <a>"),
            "&quot;Out of Memory&quot; &amp; &#91;boot&#93; &#42;.&#42; C:&#92;DOS &#36;x &lt;a&gt;"
        );
    }
}
