//! The browser pages, built into the binary: the landing page, the WebAgent, the wallboard, the
//! supervisor's console and the connection check (`/diagnostics`), and the JavaScript module and
//! stylesheet they share. They live in
//! `web/` and are embedded at compile time, so one binary serves everything and nothing is built
//! before `cargo run`.
//!
//! Every answer carries an ETag and `Cache-Control: no-cache`: a browser keeps its copy and asks
//! each time whether it is still current (a 304 costs a few bytes), so the pages of a new server
//! version are seen at the next load. A Content-Security-Policy allows only the server's own
//! scripts and styles, and connections to the server's own rungs.
//!
//! For work on the pages, `ACDHUB_WEB_DIR=web` makes the server read them from that folder at
//! every request instead, so a change shows on reload without a rebuild. It serves the same
//! fixed list of files (nothing else in the folder is reachable).

use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// What the landing page and the pages' footers show as the server's version.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Scripts and styles from the server itself only; no inline script. Connections to the
/// server's own origin (`'self'` covers its ws: or wss:) and to the other rungs of its fallback
/// ladder ([`content_security_policy`]). Framing only by pages of the same origin (a signage
/// portal on another host cannot wrap the WebAgent).
const CONTENT_SECURITY_POLICY: [&str; 2] = [
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'",
    "; base-uri 'none'; form-action 'self'; frame-ancestors 'self'",
];

/// The policy for a page asked for with `request`'s `Host`: `connect-src` lists, besides the
/// page's own origin, the ws and wss rungs on the same host (the other listener's port), which a
/// page climbs to or falls back to, and on a cluster every node's WebSocket URL, which a page
/// whose node is lost moves to.
fn content_security_policy(request: &HeaderMap, ladder: &Ladder) -> HeaderValue {
    let [head, tail] = CONTENT_SECURITY_POLICY;
    let mut policy = head.to_owned();
    let host = request
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .map(|host| super::origin::split_authority(host).0)
        .filter(|host| {
            !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '[' | ']' | ':'))
        });
    if let Some(host) = host {
        for (scheme, port) in [("wss", ladder.wss), ("ws", ladder.ws)] {
            if let Some(port) = port {
                policy.push_str(&format!(" {scheme}://{host}:{port}"));
            }
        }
    }
    for url in ladder.nodes.iter() {
        // Only what a URL holds (the configuration checked the scheme): nothing that could end
        // the directive or the header.
        if url
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '[' | ']' | ':' | '/'))
        {
            policy.push(' ');
            policy.push_str(url);
        }
    }
    policy.push_str(tail);
    HeaderValue::from_str(&policy).expect("checked characters only")
}

/// The ports of the ws and wss rungs as browsers reach them (`None`: not offered), and on a
/// cluster every node's WebSocket URL (`[cluster] node_urls`).
#[derive(Clone, Debug, Default)]
pub struct Ladder {
    pub ws: Option<u16>,
    pub wss: Option<u16>,
    pub nodes: Arc<[String]>,
}

/// Each file of `web/`: where it is served, its name, and its bytes as built.
macro_rules! web_files {
    ($($url:literal => $name:literal),* $(,)?) => {
        &[$(WebFile {
            url: $url,
            name: $name,
            built_in: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/web/", $name)),
        }),*]
    };
}

struct WebFile {
    url: &'static str,
    name: &'static str,
    built_in: &'static [u8],
}

/// Every file the server serves. A page links only to these (a test follows every link).
const FILES: &[WebFile] = web_files![
    "/" => "index.html",
    "/agent" => "agent.html",
    "/wallboard" => "wallboard.html",
    "/supervisor" => "supervisor.html",
    "/diagnostics" => "diagnostics.html",
    "/assets/acdhub.js" => "acdhub.js",
    "/assets/acdhub-transports.js" => "acdhub-transports.js",
    "/assets/acdhub-sequence.js" => "acdhub-sequence.js",
    "/assets/acdhub-ladder.js" => "acdhub-ladder.js",
    "/assets/ui.js" => "ui.js",
    "/assets/format.js" => "format.js",
    "/assets/agent.js" => "agent.js",
    "/assets/agent-main.js" => "agent-main.js",
    "/assets/agent-state.js" => "agent-state.js",
    "/assets/conversations-state.js" => "conversations-state.js",
    "/assets/conversations.js" => "conversations.js",
    "/assets/wallboard.js" => "wallboard.js",
    "/assets/wallboard-main.js" => "wallboard-main.js",
    "/assets/wallboard-state.js" => "wallboard-state.js",
    "/assets/supervisor.js" => "supervisor.js",
    "/assets/supervisor-main.js" => "supervisor-main.js",
    "/assets/supervisor-state.js" => "supervisor-state.js",
    "/assets/diagnostics.js" => "diagnostics.js",
    "/assets/diagnostics-main.js" => "diagnostics-main.js",
    "/assets/diagnostics-verdict.js" => "diagnostics-verdict.js",
    "/assets/acdhub.css" => "acdhub.css",
    "/assets/wallboard.css" => "wallboard.css",
    "/assets/supervisor.css" => "supervisor.css",
    "/assets/diagnostics.css" => "diagnostics.css",
    "/assets/icon.svg" => "icon.svg",
];

/// How the pages are served: from the binary, or (for work on them) from a folder.
#[derive(Clone, Debug)]
pub struct PagesConfig {
    /// Read the files from this folder at every request instead of from the binary.
    pub dir: Option<PathBuf>,
    /// The server runs the built-in demo: the landing page lists its logins.
    pub demo: bool,
    /// Where the WebSocket rungs are, for the pages' `connect-src`.
    pub ladder: Ladder,
}

/// One file as it is answered: its bytes after templating, its type and its ETag.
struct Asset {
    /// Shared, not copied, by every answer.
    body: Bytes,
    content_type: &'static str,
    etag: HeaderValue,
}

impl Asset {
    fn new(name: &str, bytes: &[u8], demo: bool) -> Asset {
        let content_type = content_type(name);
        let body = Bytes::from(if name.ends_with(".html") {
            template(&String::from_utf8_lossy(bytes), demo).into_bytes()
        } else {
            bytes.to_vec()
        });
        let mut hasher = std::hash::DefaultHasher::new();
        body.hash(&mut hasher);
        let etag = HeaderValue::from_str(&format!("\"{:016x}\"", hasher.finish()))
            .expect("a hex string is a header value");
        Asset {
            body,
            content_type,
            etag,
        }
    }

    fn answer(&self, request: &HeaderMap, ladder: &Ladder) -> Response {
        let not_modified = request
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|tags| {
                tags.split(',').any(|tag| {
                    let tag = tag.trim();
                    tag == "*" || tag.trim_start_matches("W/") == self.etag
                })
            });
        let mut response = if not_modified {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            let mut response = Body::from(self.body.clone()).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(self.content_type),
            );
            response
        };
        let headers = response.headers_mut();
        headers.insert(header::ETAG, self.etag.clone());
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            content_security_policy(request, ladder),
        );
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        response
    }
}

/// The routes of every page and asset.
pub fn router(config: PagesConfig) -> Router {
    let mut router = Router::new();
    for file in FILES {
        let source = match &config.dir {
            None => Source::BuiltIn(Arc::new(Asset::new(file.name, file.built_in, config.demo))),
            Some(dir) => Source::Folder {
                path: dir.join(file.name),
                name: file.name,
                demo: config.demo,
            },
        };
        let ladder = config.ladder.clone();
        router = router.route(
            file.url,
            get(move |headers: HeaderMap| {
                let (source, ladder) = (source.clone(), ladder.clone());
                async move { source.answer(&headers, &ladder).await }
            }),
        );
    }
    router
}

#[derive(Clone)]
enum Source {
    BuiltIn(Arc<Asset>),
    Folder {
        path: PathBuf,
        name: &'static str,
        demo: bool,
    },
}

impl Source {
    async fn answer(&self, request: &HeaderMap, ladder: &Ladder) -> Response {
        match self {
            Source::BuiltIn(asset) => asset.answer(request, ladder),
            Source::Folder { path, name, demo } => match tokio::fs::read(path).await {
                Ok(bytes) => Asset::new(name, &bytes, *demo).answer(request, ladder),
                Err(error) => {
                    tracing::warn!(path = %path.display(), %error, "cannot read a page from ACDHUB_WEB_DIR");
                    (StatusCode::NOT_FOUND, "not found\n").into_response()
                }
            },
        }
    }
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, extension)| extension) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

/// Fills a page in: `{{version}}` becomes the server's version, and the part between
/// `<!-- demo -->` and `<!-- /demo -->` is kept only when the server runs the built-in demo.
fn template(page: &str, demo: bool) -> String {
    let mut page = page.replace("{{version}}", VERSION);
    const OPEN: &str = "<!-- demo -->";
    const CLOSE: &str = "<!-- /demo -->";
    while let Some(start) = page.find(OPEN) {
        let Some(end) = page[start..].find(CLOSE).map(|end| start + end) else {
            break;
        };
        if demo {
            page.replace_range(end..end + CLOSE.len(), "");
            page.replace_range(start..start + OPEN.len(), "");
        } else {
            page.replace_range(start..end + CLOSE.len(), "");
        }
    }
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_part_is_kept_only_for_the_demo() {
        let page = "<p>{{version}}</p><!-- demo --><p>agent1 / demo</p><!-- /demo --><p>end</p>";
        assert_eq!(
            template(page, true),
            format!("<p>{VERSION}</p><p>agent1 / demo</p><p>end</p>")
        );
        assert_eq!(template(page, false), format!("<p>{VERSION}</p><p>end</p>"));
        let two = "<!-- /demo --><!-- demo -->a<!-- /demo --><!-- demo -->b<!-- /demo -->";
        assert_eq!(
            template(two, false),
            "<!-- /demo -->",
            "every block goes, a stray close mark before them notwithstanding"
        );
    }

    #[test]
    fn every_file_has_a_type_a_browser_runs() {
        for file in FILES {
            assert_ne!(
                content_type(file.name),
                "application/octet-stream",
                "{}",
                file.name
            );
        }
    }
}
