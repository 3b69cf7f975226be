//! The tokenizer shared by the index writer and the query side; `search.js` mirrors it
//! exactly (the Node parity test checks a set of tricky strings against this code).
//!
//! Rules, applied to the text one code point at a time:
//! - ASCII letters and digits are word characters (letters lowercased).
//! - A `.` between two ASCII digits stays inside the token, so versions and addresses
//!   (`4.0`, `3.51`, `192.168.0.1`) are single terms.
//! - U+00C0..=U+017F (Latin-1 letters and Latin Extended-A) fold to ASCII via [`FOLD`]
//!   (`é`→`e`, `ß`→`ss`, `Æ`→`ae`); `×` and `÷` there are separators.
//! - U+0300..=U+036F (combining marks) are ignored, so decomposed accents fold too.
//! - Other non-ASCII code points in [`SEPARATOR_RANGES`] are separators; every other
//!   non-ASCII code point is a word character, lowercased with the Unicode mapping.
//! - Everything else (ASCII punctuation, whitespace, controls) separates tokens.
//! - A token is kept when it has 2..=32 code points and is not a stop word.
//! - Id-like tokens (1–2 letters then 4+ digits: `q151228`, `kb151228`) also yield their
//!   digits (`151228`) in documents; in queries they are replaced by the digits, so
//!   `Q151228`, `KB151228` and `151228` all find the same documents.

use std::sync::OnceLock;

/// Shortest kept token, in code points.
pub const MIN_TOKEN_CHARS: usize = 2;
/// Longest kept token, in code points (longer runs are hex blobs and the like).
pub const MAX_TOKEN_CHARS: usize = 32;
/// At most this many distinct terms of a query are used.
pub const MAX_QUERY_TERMS: usize = 8;

/// Very common English function words, dropped from documents and queries (sorted).
/// They appear in nearly every article, so their postings would cost ~120 KB each.
pub const STOP_WORDS: &[&str] = &[
    "about", "all", "also", "an", "and", "any", "are", "as", "at", "be", "been", "but", "by", "can", "do", "does",
    "for", "from", "has", "have", "if", "in", "into", "is", "it", "its", "may", "of", "on", "or", "so", "such", "than",
    "that", "the", "their", "then", "there", "these", "they", "this", "to", "was", "were", "when", "which", "will",
    "with", "you", "your",
];

/// ASCII folding of U+00C0..=U+017F, comma-separated, one entry per code point; an empty
/// entry marks a separator. `search.js` holds the same string.
pub const FOLD: &str = "a,a,a,a,a,a,ae,c,e,e,e,e,i,i,i,i,d,n,o,o,o,o,o,,o,u,u,u,u,y,th,ss,\
a,a,a,a,a,a,ae,c,e,e,e,e,i,i,i,i,d,n,o,o,o,o,o,,o,u,u,u,u,y,th,y,\
a,a,a,a,a,a,c,c,c,c,c,c,c,c,d,d,d,d,e,e,e,e,e,e,e,e,e,e,g,g,g,g,g,g,g,g,h,h,h,h,\
i,i,i,i,i,i,i,i,i,i,ij,ij,j,j,k,k,k,l,l,l,l,l,l,l,l,l,l,n,n,n,n,n,n,n,n,n,\
o,o,o,o,o,o,oe,oe,r,r,r,r,r,r,s,s,s,s,s,s,s,s,t,t,t,t,t,t,u,u,u,u,u,u,u,u,u,u,u,u,\
w,w,y,y,y,z,z,z,z,z,z,s";

/// Non-ASCII code point ranges (inclusive) that separate tokens. `search.js` holds the same.
pub const SEPARATOR_RANGES: &[(u32, u32)] = &[
    (0x0080, 0x00BF),   // C1 controls, Latin-1 punctuation and symbols
    (0x02B0, 0x02FF),   // spacing modifier letters
    (0x2000, 0x2BFF),   // punctuation, symbols, arrows, math, box drawing, dingbats
    (0x2E00, 0x2E7F),   // supplemental punctuation
    (0x3000, 0x303F),   // CJK symbols and punctuation
    (0xD800, 0xF8FF),   // surrogates (JS only) and private use
    (0xFE00, 0xFE6F),   // variation selectors, vertical and small forms
    (0xFEFF, 0xFEFF),   // byte order mark
    (0xFF00, 0xFF0F),   // fullwidth punctuation
    (0xFF1A, 0xFF20),   //
    (0xFF3B, 0xFF40),   //
    (0xFF5B, 0xFF65),   //
    (0xFFF0, 0xFFFF),   // specials
    (0x1F000, 0x1FAFF), // emoji and pictographs
    (0xE0000, 0xE01EF), // tags, variation selectors supplement
];

/// Each ASCII byte as it goes into a token: letters lowercased, digits as they are, 0 for
/// every other byte. One table load per byte instead of a range test and a case test.
const ASCII_WORD: [u8; 128] = {
    let mut table = [0u8; 128];
    let mut b = 0;
    while b < 128 {
        if (b as u8).is_ascii_alphanumeric() {
            table[b] = (b as u8).to_ascii_lowercase();
        }
        b += 1;
    }
    table
};

fn fold_table() -> &'static [&'static str] {
    static TABLE: OnceLock<Vec<&'static str>> = OnceLock::new();
    TABLE.get_or_init(|| FOLD.split(',').collect())
}

fn is_separator(cp: u32) -> bool {
    SEPARATOR_RANGES.iter().any(|&(lo, hi)| (lo..=hi).contains(&cp))
}

/// A word of up to 8 bytes as an integer (0-padded), for fast comparisons.
fn pack(word: &[u8]) -> u64 {
    super::store::load_partial(word)
}

/// The stop words in a 256-slot table without collisions: slot = (packed · mul) >> 56.
struct StopTable {
    mul: u64,
    slots: [u64; 256],
}

fn stop_table() -> &'static StopTable {
    static TABLE: OnceLock<StopTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let words: Vec<u64> = STOP_WORDS.iter().map(|w| pack(w.as_bytes())).collect();
        let mut seed = 0u64;
        loop {
            seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mul = (seed ^ (seed >> 31)).wrapping_mul(0xBF58_476D_1CE4_E5B9) | 1;
            let mut slots = [0u64; 256];
            let fits = words.iter().all(|&w| {
                let slot = &mut slots[(w.wrapping_mul(mul) >> 56) as usize];
                let free = *slot == 0;
                *slot = w;
                free
            });
            if fits {
                return StopTable { mul, slots };
            }
        }
    })
}

/// Whether `word` is in [`STOP_WORDS`].
pub fn is_stop_word(word: &str) -> bool {
    if word.is_empty() || word.len() > STOP_MAX_LEN {
        return false;
    }
    let t = stop_table();
    let p = pack(word.as_bytes());
    t.slots[(p.wrapping_mul(t.mul) >> 56) as usize] == p
}

/// The digits of an id-like token (`q151228` → `151228`): 1–2 ASCII letters, 4+ digits.
pub fn id_digits(token: &str) -> Option<&str> {
    let b = token.as_bytes();
    // Most tokens are words: rejected without counting.
    if b.len() < 5 || !b[b.len() - 1].is_ascii_digit() || !b[0].is_ascii_lowercase() {
        return None;
    }
    let letters = b.iter().take_while(|c| c.is_ascii_lowercase()).count();
    let digits = &b[letters..];
    ((1..=2).contains(&letters) && digits.len() >= 4 && digits.iter().all(u8::is_ascii_digit))
        .then(|| &token[letters..])
}

/// Length of the longest stop word, in bytes.
const STOP_MAX_LEN: usize = 5;

/// Calls `emit` with every kept token of `text`, in order (id digits not included).
pub fn for_each_token(text: &str, mut emit: impl FnMut(&str)) {
    let mut buf = String::with_capacity(64);
    tokenize_into(text, &mut buf, |buf, start| {
        emit(&buf[start..]);
        buf.truncate(start);
    });
}

fn flush<F: FnMut(&mut String, usize)>(buf: &mut String, start: &mut usize, n: &mut usize, emit: &mut F) {
    let keep = (MIN_TOKEN_CHARS..=MAX_TOKEN_CHARS).contains(n) && !is_stop_word(&buf[*start..]);
    if keep {
        emit(buf, *start);
    } else {
        buf.truncate(*start);
    }
    *start = buf.len();
    *n = 0;
}

/// Appends each kept token of `text` to `buf` and calls `emit(buf, start)` with the token
/// at `buf[start..]`; `emit` may keep it there, append more, or truncate `buf`. Runs that
/// are not kept are removed again. No per-token copy or allocation.
pub fn tokenize_into(text: &str, buf: &mut String, mut emit: impl FnMut(&mut String, usize)) {
    let fold = fold_table();
    let bytes = text.as_bytes();
    let mut start = buf.len();
    let mut n = 0usize; // code points in the current token, buf[start..]
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            i += 1;
            let w = ASCII_WORD[usize::from(b)];
            if w != 0 {
                buf.push(char::from(w));
                n += 1;
            } else if b == b'.'
                && n > 0
                && buf.as_bytes().last().is_some_and(u8::is_ascii_digit)
                && bytes.get(i).is_some_and(u8::is_ascii_digit)
            {
                buf.push('.');
                n += 1;
            } else if n > 0 {
                flush(buf, &mut start, &mut n, &mut emit);
            }
            continue;
        }
        let c = text[i..].chars().next().expect("char boundary");
        i += c.len_utf8();
        let cp = c as u32;
        if (0x300..=0x36F).contains(&cp) {
            continue; // combining marks
        }
        if (0xC0..=0x17F).contains(&cp) {
            let f = fold[(cp - 0xC0) as usize];
            if !f.is_empty() {
                buf.push_str(f);
                n += f.len();
                continue;
            }
        } else if !is_separator(cp) {
            for l in c.to_lowercase() {
                buf.push(l);
                n += 1;
            }
            continue;
        }
        if n > 0 {
            flush(buf, &mut start, &mut n, &mut emit);
        }
    }
    if n > 0 {
        flush(buf, &mut start, &mut n, &mut emit);
    }
}

/// All tokens of a document text, including the digits of id-like tokens.
pub fn doc_tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_token(text, |t| {
        out.push(t.to_owned());
        if let Some(d) = id_digits(t) {
            out.push(d.to_owned());
        }
    });
    out
}

/// The terms of a query: tokens with id-like ones replaced by their digits, deduplicated
/// in order of first appearance, at most [`MAX_QUERY_TERMS`].
pub fn query_terms(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for_each_token(text, |t| {
        let t = id_digits(t).unwrap_or(t);
        if out.len() < MAX_QUERY_TERMS && !out.iter().any(|o| o == t) {
            out.push(t.to_owned());
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        doc_tokens(s)
    }

    #[test]
    fn tables_are_consistent() {
        assert_eq!(fold_table().len(), 0x180 - 0xC0);
        let mut sorted = STOP_WORDS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, STOP_WORDS, "STOP_WORDS must be sorted and unique");
        assert_eq!(STOP_WORDS.iter().map(|w| w.len()).max(), Some(STOP_MAX_LEN));
        for w in STOP_WORDS {
            assert!(is_stop_word(w), "{w}");
            assert!(!is_stop_word(&format!("{w}x")));
        }
        assert!(!is_stop_word("") && !is_stop_word("abc") && !is_stop_word("theirs"));
    }

    #[test]
    fn ascii_table_keeps_letters_and_digits_only() {
        for b in 0..128u8 {
            let want = if b.is_ascii_alphanumeric() { b.to_ascii_lowercase() } else { 0 };
            assert_eq!(ASCII_WORD[usize::from(b)], want, "byte {b:#04x}");
        }
    }

    #[test]
    fn basic_splitting_and_case() {
        assert_eq!(toks("The Serial-Port DRIVER fails!"), ["serial", "port", "driver", "fails"]);
        assert_eq!(toks("HKEY_LOCAL_MACHINE\\Software"), ["hkey", "local", "machine", "software"]);
        assert!(toks("").is_empty());
        assert!(toks("  ,.;:!?()[]{}<>\"' \t\n").is_empty());
    }

    #[test]
    fn length_limits_and_stop_words() {
        assert_eq!(toks("a b c ok x1"), ["ok", "x1"]);
        let long = "x".repeat(33);
        let max = "y".repeat(32);
        assert_eq!(toks(&format!("{long} {max}")), [max]);
        assert_eq!(toks("to be or not to be"), ["not"]);
    }

    #[test]
    fn numbers_and_versions() {
        assert_eq!(toks("Windows NT 4.0 SP4"), ["windows", "nt", "4.0", "sp4"]);
        assert_eq!(toks("version 3.51."), ["version", "3.51"]);
        assert_eq!(toks("ip 192.168.0.1, port 80"), ["ip", "192.168.0.1", "port", "80"]);
        assert_eq!(toks("1. step 2.x"), ["step"]);
        assert_eq!(toks("v3.1 a.5"), ["v3.1"]);
    }

    #[test]
    fn kb_ids() {
        assert_eq!(toks("See Q151228."), ["see", "q151228", "151228"]);
        assert_eq!(toks("KB151228 151228"), ["kb151228", "151228", "151228"]);
        assert_eq!(toks("x86 mfc42 nt4"), ["x86", "mfc42", "nt4"]);
        assert_eq!(query_terms("Q151228"), ["151228"]);
        assert_eq!(query_terms("kb151228 q151228 151228"), ["151228"]);
        assert_eq!(id_digits("abc1234"), None);
        assert_eq!(id_digits("q123"), None);
    }

    #[test]
    fn folding_and_unicode() {
        assert_eq!(toks("Café Straße ÆON Łódź"), ["cafe", "strasse", "aeon", "lodz"]);
        assert_eq!(toks("cafe\u{301} naïve"), ["cafe", "naive"]);
        assert_eq!(toks("3×4 a÷b"), Vec::<String>::new());
        assert_eq!(toks("Windows™ “quoted” — dash"), ["windows", "quoted", "dash"]);
        assert_eq!(toks("ΑΒΓ ЖУК 日本語"), ["αβγ", "жук", "日本語"]);
        assert_eq!(toks("ＡＢＣ"), ["ａｂｃ"]);
    }

    #[test]
    fn query_terms_dedupe_and_limit() {
        assert_eq!(query_terms("Serial serial SERIAL port"), ["serial", "port"]);
        let many: String = (0..20).map(|i| format!("word{i} ")).collect();
        assert_eq!(query_terms(&many).len(), MAX_QUERY_TERMS);
        assert!(query_terms("the and of").is_empty());
    }
}
