//! LEB128 unsigned varints: 7 bits per byte, low bits first, high bit = "more follows".

/// Appends `v` to `out` as a varint.
pub fn put(out: &mut Vec<u8>, mut v: u32) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Writes `v` at the start of `out` (at least 5 bytes long); returns the bytes written.
pub fn put_slice(out: &mut [u8], mut v: u32) -> usize {
    let mut i = 0;
    while v >= 0x80 {
        out[i] = (v as u8) | 0x80;
        v >>= 7;
        i += 1;
    }
    out[i] = v as u8;
    i + 1
}

/// Number of bytes `put` writes for `v`.
pub fn len(v: u32) -> usize {
    match v {
        0..=0x7f => 1,
        0x80..=0x3fff => 2,
        0x4000..=0x1f_ffff => 3,
        0x20_0000..=0xfff_ffff => 4,
        _ => 5,
    }
}

/// Reads a varint at `*pos`, advancing it. Returns `None` on truncated or over-long input.
pub fn get(buf: &[u8], pos: &mut usize) -> Option<u32> {
    let mut v: u32 = 0;
    for shift in (0..35).step_by(7) {
        let b = *buf.get(*pos)?;
        *pos += 1;
        v |= u32::from(b & 0x7f).checked_shl(shift)?;
        if b < 0x80 {
            return Some(v);
        }
    }
    None
}

/// Encodes ascending doc numbers as deltas (the first relative to 0).
pub fn put_doc_list(out: &mut Vec<u8>, docs: impl IntoIterator<Item = u32>) {
    let mut prev = 0;
    for (i, d) in docs.into_iter().enumerate() {
        put(out, if i == 0 { d } else { d - prev });
        prev = d;
    }
}

/// Decodes a list written by [`put_doc_list`]; stops at the first malformed byte.
pub fn get_doc_list(buf: &[u8]) -> Vec<u32> {
    let mut out = Vec::new();
    let mut pos = 0;
    let mut doc = 0u32;
    while pos < buf.len() {
        let Some(d) = get(buf, &mut pos) else { break };
        doc = if out.is_empty() { d } else { doc.saturating_add(d) };
        out.push(doc);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_edges() {
        let values = [0, 1, 127, 128, 255, 16_383, 16_384, 2_097_151, 2_097_152, u32::MAX];
        let mut buf = Vec::new();
        for &v in &values {
            let before = buf.len();
            put(&mut buf, v);
            assert_eq!(buf.len() - before, len(v), "len({v})");
        }
        let mut pos = 0;
        for &v in &values {
            let mut tmp = [0u8; 5];
            let n = put_slice(&mut tmp, v);
            assert_eq!(&tmp[..n], &buf[pos..pos + n]);
            assert_eq!(get(&buf, &mut pos), Some(v));
        }
        assert_eq!(pos, buf.len());
        assert_eq!(get(&buf, &mut pos), None);
    }

    #[test]
    fn truncated_and_overlong_input() {
        assert_eq!(get(&[0x80], &mut 0), None);
        assert_eq!(get(&[0xff; 6], &mut 0), None);
    }

    #[test]
    fn delta_doc_lists() {
        let docs = vec![0, 3, 4, 130, 60_000, 1_000_000];
        let mut buf = Vec::new();
        put_doc_list(&mut buf, docs.iter().copied());
        assert_eq!(buf.len(), 1 + 1 + 1 + 1 + 3 + 3);
        assert_eq!(get_doc_list(&buf), docs);
        assert!(get_doc_list(&[]).is_empty());
        let mut one = Vec::new();
        put_doc_list(&mut one, [7]);
        assert_eq!(get_doc_list(&one), vec![7]);
    }
}
