//! Q-number mentions: find references to other KB articles (`Q151261`) in text.
//!
//! # The rule
//!
//! A mention is an uppercase `Q` followed by exactly 5 or 6 ASCII digits, as a
//! whole word: the byte before the `Q` is not an ASCII letter, digit or `_`,
//! and the byte after the digits is not an ASCII letter, digit or `_`. The
//! number is the digits' value, so `Q010022` and `Q10022` both name article
//! 10022.
//!
//! The forms this accepts, counted in the article text (`{% raw %}` block) of
//! the 9,107-article sample: 17,028 mentions, by the byte that follows them:
//!
//! - end of line, 9,294: the `Article: Q100036` header line of every article,
//!   and references such as `ARTICLE-ID: Q131964` (19 articles use that form);
//! - space, 5,844: list items `  Q151261 OFF97: How to Obtain…`, `Knowledge
//!   Base article Q142262 ` (`KB Q123456` is not in the sample but matches too);
//! - `:`, 1,733: list items `- Q108304: Recovering…`, `Q126497: XADM: …`;
//! - prose punctuation: `article Q104644, Passing…` (`,` 78), `Base article
//!   Q142262.` (`.` 49), `(see Q129054)` (`)` 10), `documented in Q147299;`;
//! - paths and quoted markup: `C:\EXCHSRVR\Q251137\` (`\` 14),
//!   `VALUE="Q191494">Q191494</LINK>`, `Q156656<A0>`, `ERASE Q318902*.*`.
//!
//! Decisions, with the reasons:
//!
//! - **Lowercase `q` is not a mention.** In the sample, 5- or 6-digit `q`
//!   numbers are twice a real reference (`q147222 Group of…`), three times a
//!   URL path (`/download/exch55/utility/q224493/nt4alpha/`) and once a hotfix
//!   file name (`q256032engi.exe`); shorter ones are command-line switches
//!   (`setup /q1`). Linking inside URLs and file names does more harm than
//!   missing two references.
//! - **A following `_` rejects the candidate**, like a letter or digit (the
//!   brief only named letters and digits): `Q318902_dbf` (a FoxPro table),
//!   `Q254142_w2k_sp1_x86_en.exe` and `Q299063_REPO` are identifiers, not
//!   references (19 cases). The word boundary is then the same on both sides.
//! - **A following letter rejects the candidate**: 194 cases, nearly all hotfix file
//!   names (`Q248838engi.exe`, `Q304062jpni386.exe`, `Q305929i.exe`). Five are
//!   list items that lost their space (`Q161020Implementing Windows 95…`,
//!   `Q143134OEMSETUP.INF Modifications`); they are missed on purpose, as no
//!   simple rule tells them from the file names.
//! - **4 or 7+ digits are not mentions**: `Q8010` (a Kyocera printer),
//!   `Q2200510`, `Q2220523.SPD` (file names in file lists). KB numbers in the
//!   archive have 5 or 6 digits.
//! - **Any other neighbour is accepted**, including `\` and `/` and `=`
//!   (`C:\EXCHSRVR\Q251137\`, `view.asp?articleid=Q105810`): these still name
//!   the article, and the rule stays simple and predictable.
//!
//! Mentions never contain characters that HTML escaping changes, and escaping
//! only produces `&…;` around them, so the same scan works on escaped HTML
//! text (`&quot;Q191494&quot;` → one mention). Entities such as `&Qopf;` are
//! not produced by escaping, and would not match anyway (`&` then letters).
//!
//! # Speed
//!
//! Candidates are found with `memchr` on `Q`; each is checked in O(1). The
//! iterator form ([`mentions`]) and the callback form ([`for_each_mention`])
//! do not allocate.

/// One Q-number mention: the byte range of e.g. `Q151261` in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mention {
    /// Byte offset of the `Q`.
    pub start: usize,
    /// Byte offset just past the last digit.
    pub end: usize,
    /// The article number (leading zeros ignored).
    pub number: u32,
}

/// Whether `b` continues a word (ASCII letter, digit or `_`).
#[inline]
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The mention whose `Q` is at byte `start` of `bytes`, if there is one.
#[inline]
pub fn mention_at(bytes: &[u8], start: usize) -> Option<Mention> {
    if bytes.get(start) != Some(&b'Q') {
        return None;
    }
    if start > 0 && is_word_byte(bytes[start - 1]) {
        return None;
    }
    let digits_start = start + 1;
    let mut end = digits_start;
    let mut number: u32 = 0;
    // Read at most 7 digits: a 7th means "followed by a digit".
    while end < bytes.len() && end - digits_start < 7 && bytes[end].is_ascii_digit() {
        number = number * 10 + u32::from(bytes[end] - b'0');
        end += 1;
    }
    let digits = end - digits_start;
    if !(5..=6).contains(&digits) {
        return None;
    }
    if bytes.get(end).is_some_and(|&b| is_word_byte(b)) {
        return None;
    }
    Some(Mention { start, end, number })
}

/// An iterator over the mentions of a text, in order; does not allocate.
#[derive(Debug, Clone)]
pub struct Mentions<'a> {
    bytes: &'a [u8],
    candidates: memchr::Memchr<'a>,
}

impl Iterator for Mentions<'_> {
    type Item = Mention;

    #[inline]
    fn next(&mut self) -> Option<Mention> {
        loop {
            let start = self.candidates.next()?;
            if let Some(mention) = mention_at(self.bytes, start) {
                return Some(mention);
            }
        }
    }
}

/// The mentions of `text`, as an iterator (no allocation).
pub fn mentions(text: &str) -> Mentions<'_> {
    let bytes = text.as_bytes();
    Mentions { bytes, candidates: memchr::memchr_iter(b'Q', bytes) }
}

/// Calls `f` for each mention of `text`, in order (no allocation).
pub fn for_each_mention(text: &str, mut f: impl FnMut(Mention)) {
    for mention in mentions(text) {
        f(mention);
    }
}

/// All the mentions of `text`, in order.
pub fn scan_mentions(text: &str) -> Vec<Mention> {
    mentions(text).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The mentioned substrings and numbers.
    fn found(text: &str) -> Vec<(&str, u32)> {
        scan_mentions(text).into_iter().map(|m| (&text[m.start..m.end], m.number)).collect()
    }

    #[test]
    fn list_items_and_references() {
        // Q10022, Q120227, Q158699, Q134339.
        let text = "Microsoft Knowledge Base:\n\t\n\t  Q151261 OFF97: How to Obtain and Install MS Office 97 SR-2\n\t- Q108304: Recovering\n\tQ126497: XADM: Li\n\t  Q99714: MHS: Con";
        assert_eq!(found(text), [("Q151261", 151261), ("Q108304", 108304), ("Q126497", 126497), ("Q99714", 99714)]);
        let m = scan_mentions(text)[0];
        assert_eq!(m.start, text.find("Q151261").unwrap());
        assert_eq!(m.end, m.start + 7);
    }

    #[test]
    fn prose_forms() {
        // Q106399, Q146399, Q136026, Q184534, Q147034, Q163751, Q317872; the
        // ARTICLE-ID forms; `KB Q123456` (from the brief, not in the sample).
        let text = "borrowed from KB article Q104644, Passing \
                    Base article Q142262.\n\
                    for Windows NT 3.5 (see Q129054) that \
                    documented in Q147299; remap \
                    review Q87223, Q118785 and \
                    see\n\tQ154830, \"XCLN: S \
                    Windows 2000 (Q314169)\n\
                    Knowledge Base: ARTICLE-ID: Q119591 TITLE :\n\
                    \t  ARTICLE-ID: Q131964\n\
                    KB Q123456";
        assert_eq!(
            found(text),
            [
                ("Q104644", 104644),
                ("Q142262", 142262),
                ("Q129054", 129054),
                ("Q147299", 147299),
                ("Q87223", 87223),
                ("Q118785", 118785),
                ("Q154830", 154830),
                ("Q314169", 314169),
                ("Q119591", 119591),
                ("Q131964", 131964),
                ("Q123456", 123456),
            ]
        );
    }

    #[test]
    fn leading_zeros_compare_by_value() {
        assert_eq!(found("Q010022 and Q10022"), [("Q010022", 10022), ("Q10022", 10022)]);
        assert_eq!(found("Q00000"), [("Q00000", 0)]);
    }

    #[test]
    fn quoted_markup_and_paths() {
        // Q176711, Q173506, Q275292, Q321915, Q318902.
        assert_eq!(
            found("<LINK TYPE=\"ARTICLE\" VALUE=\"Q191494\">Q191494</LINK>"),
            [("Q191494", 191494), ("Q191494", 191494)]
        );
        assert_eq!(found("  Q156656<A0>\"Remot"), [("Q156656", 156656)]);
        assert_eq!(found("Made Dir: C:\\EXCHSRVR\\Q251137\\emsmta.exe"), [("Q251137", 251137)]);
        assert_eq!(found("com/kb/view.asp?articleid=Q105810\n"), [("Q105810", 105810)]);
        assert_eq!(found("ERASE Q318902*.*"), [("Q318902", 318902)]);
    }

    #[test]
    fn rejected_forms() {
        for text in [
            // Hotfix and other file names (Q248838, Q254142, Q318902, Q299063).
            "Download Q248838engi.exe now",
            "Q254142_w2k_sp1_x86_en.exe",
            "CREATE TABLE Q318902_dbf (cField1 C(10))",
            "SELECT Q299063_REPO",
            // Lost space in a list item (missed on purpose).
            "  Q161020Implementing Windows 95 Update",
            // Lowercase q: URLs, switches, references.
            "/download/exch55/utility/q224493/nt4alpha/",
            "  q147222 Group of",
            "setup /q1",
            // Wrong digit counts (Q84252, Q84404, Q141603).
            "a Kyocera Q8010 PostScript printer",
            "Q2200510 WP_",
            "Q2220523.SPD",
            "Q1234",
            "Q",
            "Q12345678",
            // Preceded by a word character (Q97896, Q51886).
            "FRCMPQ24 SCR",
            "appnote BQ0085 B_BasicCom",
            "XQ123456",
            "9Q123456",
            "_Q123456",
            // Followed by a digit or letter.
            "Q123456a",
            "Q12345x",
        ] {
            assert_eq!(found(text), [], "{text}");
        }
    }

    #[test]
    fn edges_of_text() {
        assert_eq!(found("Q12345"), [("Q12345", 12345)]);
        assert_eq!(found("xQ12345 Q54321"), [("Q54321", 54321)]);
        assert_eq!(found("QQ12345"), []);
        assert_eq!(found("Q Q12345"), [("Q12345", 12345)]);
        // Non-ASCII neighbours are not word bytes.
        assert_eq!(found("éQ12345é"), [("Q12345", 12345)]);
        assert_eq!(found("“Q12345”"), [("Q12345", 12345)]);
    }

    #[test]
    fn escaped_html() {
        let text = "&lt;LINK VALUE=&quot;Q191494&quot;&gt;Q191494&lt;/LINK&gt; &#x27;Q123456&#x27;";
        assert_eq!(found(text), [("Q191494", 191494), ("Q191494", 191494), ("Q123456", 123456)]);
        let raw = "VALUE=\"Q191494\">Q191494 'Q123456' & Q12345<";
        let escaped = html_escape::encode_safe(raw);
        let numbers: Vec<u32> = mentions(&escaped).map(|m| m.number).collect();
        assert_eq!(numbers, [191494, 191494, 123456, 12345]);
    }

    #[test]
    fn iterator_callback_and_vec_agree() {
        let text = "Q151261 (Q10022) Q248838engi.exe Q99714: Q000123.";
        let from_iter: Vec<Mention> = mentions(text).collect();
        let mut from_callback = Vec::new();
        for_each_mention(text, |m| from_callback.push(m));
        assert_eq!(from_iter, scan_mentions(text));
        assert_eq!(from_iter, from_callback);
        assert_eq!(from_iter.iter().map(|m| m.number).collect::<Vec<_>>(), [151261, 10022, 99714, 123]);
        assert_eq!(mention_at(text.as_bytes(), 0).map(|m| m.end), Some(7));
        assert_eq!(mention_at(text.as_bytes(), 1), None);
        assert_eq!(mention_at(text.as_bytes(), 10_000), None);
    }

    /// The rule written the slow, obvious way, for a differential test.
    fn naive(text: &str) -> Vec<Mention> {
        let b = text.as_bytes();
        let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
        let mut out = Vec::new();
        for i in 0..b.len() {
            if b[i] != b'Q' || (i > 0 && word(b[i - 1])) {
                continue;
            }
            let n = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
            let end = i + 1 + n;
            if (n == 5 || n == 6) && !(end < b.len() && word(b[end])) {
                let number = text[i + 1..end].parse().unwrap();
                out.push(Mention { start: i, end, number });
            }
        }
        out
    }

    /// Scans every article of the sample archive (skipped when absent): the
    /// fast scanner agrees with the naive rule, and every article's own
    /// `Article: Qnnn` header line is found.
    #[test]
    fn sample_archive() {
        let Some(articles) = crate::test_support::sample_articles() else { return };
        let mut total = 0;
        let mut files = 0;
        for (name, path) in articles {
            let text = std::fs::read_to_string(&path).unwrap();
            files += 1;
            let fast = scan_mentions(&text);
            assert_eq!(fast, naive(&text), "{name}");
            let own: u32 = name[1..].parse().unwrap();
            let header = text.find("\tArticle: ").unwrap() + "\tArticle: ".len();
            assert!(fast.iter().any(|m| m.start == header && m.number == own), "{name}: own Article: line not found");
            total += fast.len();
        }
        eprintln!("{files} files, {total} mentions");
        assert_eq!(files, 9107);
        // Each file mentions itself in the title, front matter and header.
        assert!(total > 4 * files, "{total}");
    }
}
