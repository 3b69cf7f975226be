//! Text helpers shared by the pipeline stages.

/// The lines of `text`, exactly as [`str::lines`] gives them (split on `\n`, a trailing `\r`
/// removed, no empty last line after a final newline), found with the `memchr` crate's
/// vectorised search: KB articles are thousands of short lines, where std's byte search costs
/// more per line than the line is long.
pub fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut start = 0;
    let mut ends = memchr::memchr_iter(b'\n', text.as_bytes());
    std::iter::from_fn(move || {
        match ends.next() {
            Some(newline) => {
                let line = &text[start..newline];
                start = newline + 1;
                Some(line.strip_suffix('\r').unwrap_or(line))
            }
            // The last line, without a line ending (a bare `\r` there stays, as in `str::lines`).
            None if start < text.len() => {
                let line = &text[start..];
                start = text.len();
                Some(line)
            }
            None => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_those_of_str_lines() {
        for text in ["", "\n", "a", "a\n", "a\nb", "a\r\nb\r\n", "\n\na\n\n", "a\r", "a\rb\n", "é\nü\r\n\r\n", "\r\n"]
        {
            assert_eq!(lines(text).collect::<Vec<_>>(), text.lines().collect::<Vec<_>>(), "{text:?}");
        }
    }
}
