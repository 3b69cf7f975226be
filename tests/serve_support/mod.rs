//! Test client for `kbsite serve`: raw HTTP/1.1 over `TcpStream` (so hostile paths reach the
//! server exactly as written) and a Server-Sent Events reader. Every read has a deadline.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

pub const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends `METHOD target HTTP/1.1` with the target exactly as given; reads the whole response.
pub fn request(addr: SocketAddr, method: &str, target: &str) -> Resp {
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT).expect("connect");
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(TIMEOUT)).unwrap();
    let req = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    stream.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read response");
    parse_response(&raw, method == "HEAD")
}

pub fn get(addr: SocketAddr, target: &str) -> Resp {
    request(addr, "GET", target)
}

fn parse_response(raw: &[u8], head: bool) -> Resp {
    let end = find(raw, b"\r\n\r\n").unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(raw)));
    let head_text = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head_text.split("\r\n");
    let status_line = lines.next().unwrap();
    let status = status_line.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status code");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let rest = &raw[end + 4..];
    let chunked = headers.iter().any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let body = if head {
        rest.to_vec()
    } else if chunked {
        let mut d = Dechunker::default();
        d.push(rest);
        d.out
    } else {
        rest.to_vec()
    };
    Resp { status, headers, body }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Incremental `Transfer-Encoding: chunked` decoder.
#[derive(Default)]
struct Dechunker {
    pending: Vec<u8>,
    out: Vec<u8>,
}

impl Dechunker {
    fn push(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
        loop {
            let Some(line_end) = find(&self.pending, b"\r\n") else { return };
            let size_text = String::from_utf8_lossy(&self.pending[..line_end]).into_owned();
            let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).expect("chunk size");
            if self.pending.len() < line_end + 2 + size + 2 {
                return;
            }
            let start = line_end + 2;
            self.out.extend_from_slice(&self.pending[start..start + size]);
            self.pending.drain(..start + size + 2);
            if size == 0 {
                return;
            }
        }
    }
}

/// One Server-Sent Event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sse {
    pub event: String,
    pub data: String,
}

/// A connection to `/__kbsite/events`.
pub struct EventStream {
    stream: TcpStream,
    chunks: Dechunker,
    closed: bool,
}

impl EventStream {
    pub fn connect(addr: SocketAddr) -> EventStream {
        let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT).expect("connect");
        stream.set_write_timeout(Some(TIMEOUT)).unwrap();
        let req = format!("GET /__kbsite/events HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n");
        stream.write_all(req.as_bytes()).unwrap();
        // Read the response head byte by byte (it is small), then the chunked body as it comes.
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        stream.set_read_timeout(Some(TIMEOUT)).unwrap();
        while !head.ends_with(b"\r\n\r\n") {
            stream.read_exact(&mut byte).expect("event stream head");
            head.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
        assert!(head.starts_with("http/1.1 200"), "{head}");
        assert!(head.contains("content-type: text/event-stream"), "{head}");
        assert!(head.contains("transfer-encoding: chunked"), "{head}");
        EventStream { stream, chunks: Dechunker::default(), closed: false }
    }

    /// The next event (keep-alive comments skipped), or `None` at the deadline or end of stream.
    pub fn next_within(&mut self, limit: Duration) -> Option<Sse> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(end) = find(&self.chunks.out, b"\n\n") {
                let block: Vec<u8> = self.chunks.out.drain(..end + 2).collect();
                let text = String::from_utf8_lossy(&block).into_owned();
                let mut event = String::new();
                let mut data: Vec<&str> = Vec::new();
                for line in text.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim_start().to_string();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push(v.strip_prefix(' ').unwrap_or(v));
                    }
                }
                if event.is_empty() && data.is_empty() {
                    continue; // a comment (keep-alive) or a bare retry
                }
                return Some(Sse { event, data: data.join("\n") });
            }
            if self.closed {
                return None;
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            self.stream.set_read_timeout(Some(left.max(Duration::from_millis(1)))).unwrap();
            let mut buf = [0u8; 8192];
            match self.stream.read(&mut buf) {
                Ok(0) => self.closed = true,
                Ok(n) => self.chunks.push(&buf[..n]),
                Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                    return None
                }
                Err(_) => self.closed = true,
            }
        }
    }

    /// Waits for an event named `name`, skipping others; panics with what came instead.
    pub fn expect(&mut self, name: &str, limit: Duration) -> Sse {
        let deadline = Instant::now() + limit;
        let mut seen = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.next_within(left) {
                Some(ev) if ev.event == name => return ev,
                Some(ev) => seen.push(ev),
                None => break,
            }
        }
        panic!("no `{name}` event within {limit:?}; got {seen:?}");
    }

    /// True when the server closed the stream within `limit`.
    pub fn ends_within(&mut self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            if self.next_within(left).is_none() && self.closed {
                return true;
            }
        }
        self.closed
    }
}

/// Polls `f` until it returns `Some`, or panics after `limit`.
pub fn eventually<T>(limit: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}
