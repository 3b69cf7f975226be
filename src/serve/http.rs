//! The HTTP side: static files from the output folder under the baseurl, and the live-reload
//! endpoints `/__kbsite/events` (Server-Sent Events) and `/__kbsite/status` (JSON).

use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures_util::stream::{self, Stream, StreamExt};
use tokio::sync::broadcast::error::RecvError;

use super::resolve::{self, Located, Route};
use super::state::{inject_script, LiveEvent, Shared};

pub const EVENTS_PATH: &str = "/__kbsite/events";
pub const STATUS_PATH: &str = "/__kbsite/status";

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new().route(EVENTS_PATH, get(events)).route(STATUS_PATH, get(status)).fallback(site_file).with_state(shared)
}

/// How long a request waits for the output folder to reappear during a build's swap.
const SWAP_WAIT: Duration = Duration::from_millis(20);
const SWAP_TRIES: u32 = 10;

/// What a file request resolved to, after looking at the disk.
enum Outcome {
    File { path: PathBuf, bytes: Vec<u8> },
    Redirect(StatusCode, String),
    NotFound(Option<Vec<u8>>),
    Status(StatusCode),
}

async fn site_file(State(shared): State<Arc<Shared>>, method: Method, uri: Uri) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return (StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, "GET, HEAD")], "405 Method Not Allowed\n")
            .into_response();
    }
    let site = shared.site();
    let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    let outcome = match resolve::route(uri.path(), &site.baseurl) {
        Route::BadRequest => Outcome::Status(StatusCode::BAD_REQUEST),
        Route::NotFound => {
            let root = site.output.clone();
            tokio::task::spawn_blocking(move || Outcome::NotFound(read_404(&root)))
                .await
                .unwrap_or(Outcome::NotFound(None))
        }
        Route::Redirect(to) => Outcome::Redirect(StatusCode::MOVED_PERMANENTLY, to + &query),
        Route::RedirectTemporary(to) => Outcome::Redirect(StatusCode::FOUND, to + &query),
        Route::Site { segments, trailing_slash } => {
            let (root, baseurl) = (site.output, site.baseurl);
            tokio::task::spawn_blocking(move || find(&root, &baseurl, &segments, trailing_slash, &query))
                .await
                .unwrap_or(Outcome::Status(StatusCode::INTERNAL_SERVER_ERROR))
        }
    };
    respond(outcome, method == Method::HEAD)
}

/// Locates and reads a file. A build swaps the new site in with two renames, so for an instant
/// the output folder is missing, and a lookup that spans the swap can miss a file that both the
/// old and the new site have. A miss therefore counts only when the output folder was the same
/// folder before and after the lookup; otherwise the request waits briefly and looks again.
fn find(root: &Path, baseurl: &str, segments: &[String], trailing_slash: bool, query: &str) -> Outcome {
    for _ in 0..SWAP_TRIES {
        let before = folder_id(root);
        let located = resolve::locate(root, segments, trailing_slash);
        let stable = before.is_some() && before == folder_id(root);
        match located {
            Ok(Located::File(path)) => match read_file(&path) {
                Ok(bytes) => return Outcome::File { path, bytes },
                Err(e) if resolve::is_missing(&e) => {}
                Err(_) => return Outcome::Status(StatusCode::INTERNAL_SERVER_ERROR),
            },
            Ok(Located::AddSlash) => {
                return Outcome::Redirect(StatusCode::MOVED_PERMANENTLY, resolve::folder_url(baseurl, segments) + query)
            }
            Ok(Located::Forbidden) => return Outcome::Status(StatusCode::FORBIDDEN),
            Ok(Located::NotFound) if stable => return Outcome::NotFound(read_404(root)),
            Ok(Located::NotFound) => {}
            Err(_) => return Outcome::Status(StatusCode::INTERNAL_SERVER_ERROR),
        }
        if !root.is_dir() {
            std::thread::sleep(SWAP_WAIT);
        }
    }
    Outcome::NotFound(read_404(root))
}

/// Reads a served file. On Linux without updating its access time: the first read of each
/// freshly built file would otherwise dirty its inode, and while a build writes and deletes a
/// whole site the journal makes such reads wait for seconds.
fn read_file(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        const O_NOATIME: i32 = 0o1_000_000;
        options.custom_flags(O_NOATIME);
    }
    let mut file = match options.open(path) {
        Ok(f) => f,
        // O_NOATIME is refused for files owned by someone else: open them plainly.
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => std::fs::File::open(path)?,
        Err(e) => return Err(e),
    };
    let mut bytes = Vec::with_capacity(file.metadata().map(|m| m.len() as usize).unwrap_or(0));
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Which folder `root` currently is (inode on Unix; modification time elsewhere).
fn folder_id(root: &Path) -> Option<u128> {
    let meta = std::fs::metadata(root).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some((u128::from(meta.dev()) << 64) | u128::from(meta.ino()))
    }
    #[cfg(not(unix))]
    {
        meta.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok().map(|d| d.as_nanos())
    }
}

/// The site's own `404.html` (a regular file directly in the output folder).
fn read_404(root: &Path) -> Option<Vec<u8>> {
    let path = root.join("404.html");
    let meta = std::fs::symlink_metadata(&path).ok()?;
    if !meta.is_file() {
        return None;
    }
    read_file(&path).ok()
}

fn respond(outcome: Outcome, head: bool) -> Response {
    let (status, content_type, body): (StatusCode, &str, Vec<u8>) = match outcome {
        Outcome::File { path, bytes } => {
            let content_type = resolve::content_type(&path);
            let bytes = if content_type.starts_with("text/html") { with_live_reload(bytes) } else { bytes };
            (StatusCode::OK, content_type, bytes)
        }
        Outcome::NotFound(Some(page)) => (StatusCode::NOT_FOUND, "text/html; charset=utf-8", with_live_reload(page)),
        Outcome::NotFound(None) => (StatusCode::NOT_FOUND, "text/html; charset=utf-8", fallback_404()),
        Outcome::Redirect(status, location) => {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = status;
            if let Ok(v) = HeaderValue::from_str(&location) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            return r;
        }
        Outcome::Status(status) => {
            let text = format!("{status}\n").into_bytes();
            (status, "text/plain; charset=utf-8", text)
        }
    };
    let len = body.len();
    let mut r = Response::new(if head { Body::empty() } else { Body::from(body) });
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    r
}

/// An HTML page as served: the live-reload script before its last `</body>` (any letter case),
/// or at the end when it has none. Added here rather than by the build, so the output folder
/// stays exactly what `kbsite build` makes: publishable as is, and kept by either command's
/// next build.
fn with_live_reload(mut html: Vec<u8>) -> Vec<u8> {
    const END: &[u8] = b"</body";
    let at = html.windows(END.len()).rposition(|w| w.eq_ignore_ascii_case(END)).unwrap_or(html.len());
    html.splice(at..at, inject_script().bytes());
    html
}

/// Served when the site has no `404.html` yet (say the first build failed): still carries the
/// live-reload script, so the page recovers by itself.
fn fallback_404() -> Vec<u8> {
    format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>404 Not Found</title></head>\
         <body><h1>404 Not Found</h1>{}</body></html>\n",
        inject_script()
    )
    .into_bytes()
}

/// `/__kbsite/events`: `hello` (instance and build number), then the current error if the site
/// is broken, then every `reload` / `error` until the server stops.
async fn events(State(shared): State<Arc<Shared>>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let rx = shared.events.subscribe();
    let status = shared.status();
    let mut first =
        vec![Event::default().event("hello").data(format!("{}:{}", shared.instance, status.generation)).retry(RETRY)];
    if let Some(error) = status.error {
        first.push(error_event(&error));
    }
    let shutdown = shared.shutdown.clone();
    let live = stream::unfold((rx, shutdown), |(mut rx, mut shutdown)| async move {
        let event = tokio::select! {
            _ = shutdown.wait_for(|stop| *stop) => None,
            msg = rx.recv() => match msg {
                Ok(LiveEvent::Reload) | Err(RecvError::Lagged(_)) => Some(Event::default().event("reload").data("reload")),
                Ok(LiveEvent::Error(text)) => Some(error_event(&text)),
                Err(RecvError::Closed) => None,
            },
        };
        event.map(|e| (e, (rx, shutdown)))
    });
    Sse::new(stream::iter(first).chain(live).map(Ok)).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

const RETRY: Duration = Duration::from_millis(1000);

fn error_event(text: &str) -> Event {
    Event::default().event("error").data(text.replace('\r', ""))
}

/// `/__kbsite/status`: `{"ok": bool, "generation": n, "error": text|null}`.
async fn status(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    let status = shared.status();
    let body = serde_json::json!({
        "ok": status.error.is_none(),
        "generation": status.generation,
        "instance": shared.instance,
        "error": status.error,
    });
    ([(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-cache")], body.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn served(html: &str) -> String {
        String::from_utf8(with_live_reload(html.as_bytes().to_vec())).unwrap()
    }

    #[test]
    fn the_script_goes_before_the_last_body_end_or_at_the_end() {
        let s = inject_script();
        assert_eq!(served("<p>a</p></body></html>"), format!("<p>a</p>{s}</body></html>"));
        assert_eq!(served("<pre></body></pre></BODY>"), format!("<pre></body></pre>{s}</BODY>"));
        assert_eq!(served("<p>fragment</p>"), format!("<p>fragment</p>{s}"));
        assert_eq!(served(""), s);
    }
}
