//! Request path → file in the output folder, and nothing outside it.
//!
//! Two steps: [`route`] is pure (the URL alone: baseurl, decoding, rejecting `..`, encoded
//! slashes, backslashes, NUL), [`locate`] looks at the disk (folders, `index.html`, and symlinks
//! that point outside the output folder, found by canonicalizing both and comparing prefixes).

use std::io;
use std::path::{Component, Path, PathBuf};

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS};

/// What the URL path alone says about a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// A path inside the site: decoded segments, each a plain file or folder name.
    Site { segments: Vec<String>, trailing_slash: bool },
    /// Permanent redirect (the baseurl without its trailing slash).
    Redirect(String),
    /// Temporary redirect (`/` when the site lives under a baseurl).
    RedirectTemporary(String),
    /// Outside the baseurl.
    NotFound,
    /// Malformed or hostile: `..`, encoded separators, backslashes, NUL, bad UTF-8.
    BadRequest,
}

/// Routes the raw (still percent-encoded) path of a request URL against the site's baseurl
/// (`""` or `/sub`, without trailing slash).
pub fn route(raw_path: &str, baseurl: &str) -> Route {
    if !raw_path.starts_with('/') || raw_path.contains(['\\', '\0']) {
        return Route::BadRequest;
    }
    let rest = if baseurl.is_empty() {
        raw_path
    } else if raw_path == baseurl {
        return Route::Redirect(format!("{baseurl}/"));
    } else if raw_path.starts_with(baseurl) && raw_path[baseurl.len()..].starts_with('/') {
        &raw_path[baseurl.len()..]
    } else if raw_path == "/" {
        return Route::RedirectTemporary(format!("{baseurl}/"));
    } else {
        return Route::NotFound;
    };
    let mut segments = Vec::new();
    for raw in rest.split('/').filter(|s| !s.is_empty()) {
        let Ok(seg) = percent_decode_str(raw).decode_utf8() else {
            return Route::BadRequest;
        };
        if !is_plain_name(&seg) {
            return Route::BadRequest;
        }
        segments.push(seg.into_owned());
    }
    Route::Site { segments, trailing_slash: rest.ends_with('/') }
}

/// A single ordinary file name: not `.`/`..`, no separator of any platform, no NUL, and not
/// something `Path::join` would treat as a root or prefix.
fn is_plain_name(seg: &str) -> bool {
    if seg.is_empty() || seg == "." || seg == ".." || seg.contains(['/', '\\', '\0']) {
        return false;
    }
    let mut components = Path::new(seg).components();
    matches!((components.next(), components.next()), (Some(Component::Normal(_)), None))
}

/// What the disk says about a routed path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Located {
    /// A regular file inside the output folder (canonical path).
    File(PathBuf),
    /// A folder requested without its trailing slash.
    AddSlash,
    NotFound,
    /// Exists, but resolves outside the output folder (a symlink pointing out).
    Forbidden,
}

/// Finds the file for `segments` under `root`: a folder means its `index.html`; a file asked
/// for with a trailing slash is not found. `Err` only for I/O errors other than "not found".
pub fn locate(root: &Path, segments: &[String], trailing_slash: bool) -> io::Result<Located> {
    let mut path = root.to_path_buf();
    path.extend(segments);
    let meta = match std::fs::metadata(&path) {
        Ok(m) => m,
        Err(e) if is_missing(&e) => return Ok(Located::NotFound),
        Err(e) => return Err(e),
    };
    if meta.is_dir() {
        if !trailing_slash && !segments.is_empty() {
            return Ok(Located::AddSlash);
        }
        path.push("index.html");
    } else if trailing_slash {
        return Ok(Located::NotFound);
    }
    let (file, root) = match (std::fs::canonicalize(&path), std::fs::canonicalize(root)) {
        (Ok(f), Ok(r)) => (f, r),
        (Err(e), _) | (_, Err(e)) if is_missing(&e) => return Ok(Located::NotFound),
        (Err(e), _) | (_, Err(e)) => return Err(e),
    };
    if !file.starts_with(&root) {
        return Ok(Located::Forbidden);
    }
    match std::fs::metadata(&file) {
        Ok(m) if m.is_file() => Ok(Located::File(file)),
        Ok(_) => Ok(Located::NotFound),
        Err(e) if is_missing(&e) => Ok(Located::NotFound),
        Err(e) => Err(e),
    }
}

/// "Not found" in all its forms (`a/b` where `a` is a file gives NotADirectory).
pub fn is_missing(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory)
}

/// Characters escaped when a segment is written back into a URL.
const SEGMENT: &AsciiSet =
    &CONTROLS.add(b' ').add(b'"').add(b'#').add(b'%').add(b'<').add(b'>').add(b'?').add(b'`').add(b'{').add(b'}');

/// The slash form of a folder URL, rebuilt from decoded segments (never from the raw request,
/// so `//host` cannot become a protocol-relative redirect).
pub fn folder_url(baseurl: &str, segments: &[String]) -> String {
    let mut url = baseurl.to_string();
    for seg in segments {
        url.push('/');
        url.extend(utf8_percent_encode(seg, SEGMENT));
    }
    url.push('/');
    url
}

/// The `Content-Type` for a file name.
pub fn content_type(path: &Path) -> &'static str {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" | "map" => "application/json",
        "xml" => "application/xml",
        "rss" => "application/rss+xml",
        "atom" => "application/atom+xml",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "txt" | "md" => "text/plain; charset=utf-8",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "wasm" => "application/wasm",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(segments: &[&str], trailing_slash: bool) -> Route {
        Route::Site { segments: segments.iter().map(|s| s.to_string()).collect(), trailing_slash }
    }

    #[test]
    fn paths_under_the_baseurl_become_segments() {
        assert_eq!(route("/kb/a/", "/kb"), site(&["a"], true));
        assert_eq!(route("/kb/a/b.html", "/kb"), site(&["a", "b.html"], false));
        assert_eq!(route("/kb/", "/kb"), site(&[], true));
        assert_eq!(route("/a%20b/", ""), site(&["a b"], true));
        assert_eq!(route("/", ""), site(&[], true));
        // Empty segments are dropped, so `//x` is `x` under the root, never a host.
        assert_eq!(route("//etc//passwd", ""), site(&["etc", "passwd"], false));
        // Decoding happens once: `%252e` is the literal name `%2e`.
        assert_eq!(route("/%252e%252e/x", ""), site(&["%2e%2e", "x"], false));
    }

    #[test]
    fn baseurl_redirects_and_misses() {
        assert_eq!(route("/kb", "/kb"), Route::Redirect("/kb/".into()));
        assert_eq!(route("/", "/kb"), Route::RedirectTemporary("/kb/".into()));
        assert_eq!(route("/kbx/a", "/kb"), Route::NotFound);
        assert_eq!(route("/other/", "/kb"), Route::NotFound);
        assert_eq!(route("/kb%2fa", "/kb"), Route::NotFound);
    }

    #[test]
    fn hostile_paths_are_rejected() {
        for bad in [
            "/../secret.txt",
            "/a/../../secret.txt",
            "/%2e%2e/secret.txt",
            "/%2E%2E/secret.txt",
            "/.%2e/secret.txt",
            "/%2e/x",
            "/./x",
            "/..",
            "/a%2f..%2f..%2fsecret.txt",
            "/a%2F..%2F..%2Fsecret.txt",
            "/..%5csecret.txt",
            "/..%5Csecret.txt",
            "/..\\secret.txt",
            "/a\\b",
            "/x%00.html",
            "/x\0",
            "/%ff%fe",
            "relative/path",
            "",
        ] {
            assert_eq!(route(bad, ""), Route::BadRequest, "{bad:?}");
        }
        assert_eq!(route("/kb/../secret.txt", "/kb"), Route::BadRequest);
        assert_eq!(route("/kb/%2e%2e/secret.txt", "/kb"), Route::BadRequest);
    }

    #[test]
    fn folder_urls_are_rebuilt_from_segments() {
        let segs = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(folder_url("/kb", &segs(&["a", "b"])), "/kb/a/b/");
        assert_eq!(folder_url("", &segs(&["evil.com"])), "/evil.com/");
        assert_eq!(folder_url("", &segs(&["a b?#"])), "/a%20b%3F%23/");
    }

    #[test]
    fn content_types_by_extension() {
        for (name, ct) in [
            ("a.html", "text/html; charset=utf-8"),
            ("a.CSS", "text/css; charset=utf-8"),
            ("a.js", "text/javascript; charset=utf-8"),
            ("a.json", "application/json"),
            ("feed.xml", "application/xml"),
            ("a.svg", "image/svg+xml"),
            ("a.png", "image/png"),
            ("a.jpg", "image/jpeg"),
            ("a.jpeg", "image/jpeg"),
            ("a.gif", "image/gif"),
            ("favicon.ico", "image/x-icon"),
            ("robots.txt", "text/plain; charset=utf-8"),
            ("f.woff2", "font/woff2"),
            ("m.wasm", "application/wasm"),
            ("CNAME", "application/octet-stream"),
            ("x.bin", "application/octet-stream"),
        ] {
            assert_eq!(content_type(Path::new(name)), ct, "{name}");
        }
    }

    fn segs(path: &str) -> Vec<String> {
        path.split('/').filter(|s| !s.is_empty()).map(String::from).collect()
    }

    #[test]
    fn locate_finds_files_indexes_and_folders() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("public");
        std::fs::create_dir_all(root.join("kb/1")).unwrap();
        std::fs::write(root.join("index.html"), "home").unwrap();
        std::fs::write(root.join("kb/1/index.html"), "one").unwrap();
        std::fs::write(root.join("a.txt"), "a").unwrap();
        std::fs::create_dir(root.join("empty")).unwrap();
        let canon = std::fs::canonicalize(&root).unwrap();

        assert_eq!(locate(&root, &[], true).unwrap(), Located::File(canon.join("index.html")));
        assert_eq!(locate(&root, &segs("kb/1"), true).unwrap(), Located::File(canon.join("kb/1/index.html")));
        assert_eq!(locate(&root, &segs("kb/1"), false).unwrap(), Located::AddSlash);
        assert_eq!(locate(&root, &segs("a.txt"), false).unwrap(), Located::File(canon.join("a.txt")));
        assert_eq!(locate(&root, &segs("a.txt"), true).unwrap(), Located::NotFound);
        assert_eq!(locate(&root, &segs("a.txt/x"), false).unwrap(), Located::NotFound);
        assert_eq!(locate(&root, &segs("empty"), true).unwrap(), Located::NotFound);
        assert_eq!(locate(&root, &segs("nope.html"), false).unwrap(), Located::NotFound);
        assert_eq!(locate(&tmp.path().join("gone"), &[], true).unwrap(), Located::NotFound);
    }

    #[cfg(unix)]
    #[test]
    fn locate_refuses_symlinks_that_leave_the_output() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("public");
        std::fs::create_dir_all(root.join("inner")).unwrap();
        std::fs::write(tmp.path().join("secret.txt"), "secret").unwrap();
        std::fs::create_dir(tmp.path().join("outside")).unwrap();
        std::fs::write(tmp.path().join("outside/index.html"), "secret").unwrap();
        std::fs::write(root.join("inner/ok.txt"), "ok").unwrap();
        std::os::unix::fs::symlink(tmp.path().join("secret.txt"), root.join("leak.txt")).unwrap();
        std::os::unix::fs::symlink(tmp.path().join("outside"), root.join("dir")).unwrap();
        std::os::unix::fs::symlink("/etc/hostname", root.join("abs.txt")).unwrap();
        std::os::unix::fs::symlink(root.join("inner/ok.txt"), root.join("fine.txt")).unwrap();

        assert_eq!(locate(&root, &segs("leak.txt"), false).unwrap(), Located::Forbidden);
        assert_eq!(locate(&root, &segs("dir"), true).unwrap(), Located::Forbidden);
        assert_eq!(locate(&root, &segs("dir/index.html"), false).unwrap(), Located::Forbidden);
        assert!(matches!(locate(&root, &segs("abs.txt"), false).unwrap(), Located::Forbidden | Located::NotFound));
        let canon = std::fs::canonicalize(&root).unwrap();
        assert_eq!(locate(&root, &segs("fine.txt"), false).unwrap(), Located::File(canon.join("inner/ok.txt")));
    }
}
