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
//! **Compression.** When the page set is built (once, at start, after templating) each text file
//! (HTML, JavaScript, CSS, SVG, JSON) of at least [`MIN_GZIP_SIZE`] bytes is gzip-compressed
//! (flate2, best level), and the compressed form is kept only if it is at least 10% smaller.
//! A request whose `Accept-Encoding` accepts gzip ([`preferred_coding`]: codings and parameters
//! are case-insensitive, `q=0` refuses, `*` covers gzip and identity unless they are named,
//! `x-gzip` is gzip, and a client that prefers identity by weight gets identity) gets that body
//! with `Content-Encoding: gzip`; any other request, one without the header included, gets the
//! file as it is. Every answer of a file that has a compressed form (identity, gzip and 304
//! alike) says `Vary: Accept-Encoding`. The two forms are two representations (RFC 9110), with
//! two ETags: the gzip one is the identity tag with `-gz` inside the quotes. If-None-Match is
//! compared with the tag of the representation this request would get (weakly: `W/` is
//! ignored; `*` matches): a client that holds the identity copy but now accepts gzip gets the
//! compressed page once, with its own tag, rather than a 304 that would bless a stored copy of
//! another representation. A HEAD request answers the headers of the same choice, its
//! Content-Length that of the chosen body.
//!
//! Measured (bytes of body, identity -> gzip; the built-in demo of 0.1.0, `cargo run`): the
//! pages `/` 2,077 -> 936, `/agent` 9,597 -> 2,347, `/wallboard` 1,886 -> 802, `/supervisor`
//! 6,345 -> 1,679, `/diagnostics` 3,610 -> 1,293; the shared `acdhub.js` 29,220 -> 8,963 and
//! `acdhub.css` 11,548 -> 3,374; a WebAgent's first load (the page and the 13 files it links
//! and imports) 143,226 -> 46,322; all 30 files 307,320 -> 97,282 (32%). The five under 1 KiB
//! (`icon.svg`, the `*-main.js` entry points, 167-272 bytes) are served as they are. The
//! command that measures every file is in docs/operations.md ("The browser pages").
//!
//! For work on the pages, `ACDHUB_WEB_DIR=web` makes the server read them from that folder at
//! every request instead, so a change shows on reload without a rebuild. It serves the same
//! fixed list of files (nothing else in the folder is reachable), and compresses each per
//! request by the same rules, so a page in development is answered as the built-in one will be.

use std::hash::{Hash, Hasher};
use std::io::Write;
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
    "/assets/i18n.js" => "i18n.js",
    "/assets/common-messages.js" => "common-messages.js",
    "/assets/index.js" => "index.js",
    "/assets/index-main.js" => "index-main.js",
    "/assets/index-messages.js" => "index-messages.js",
    "/assets/agent.js" => "agent.js",
    "/assets/agent-main.js" => "agent-main.js",
    "/assets/agent-state.js" => "agent-state.js",
    "/assets/agent-messages.js" => "agent-messages.js",
    "/assets/conversations-state.js" => "conversations-state.js",
    "/assets/conversations.js" => "conversations.js",
    "/assets/wallboard.js" => "wallboard.js",
    "/assets/wallboard-main.js" => "wallboard-main.js",
    "/assets/wallboard-state.js" => "wallboard-state.js",
    "/assets/wallboard-messages.js" => "wallboard-messages.js",
    "/assets/supervisor.js" => "supervisor.js",
    "/assets/supervisor-main.js" => "supervisor-main.js",
    "/assets/supervisor-state.js" => "supervisor-state.js",
    "/assets/supervisor-messages.js" => "supervisor-messages.js",
    "/assets/diagnostics.js" => "diagnostics.js",
    "/assets/diagnostics-main.js" => "diagnostics-main.js",
    "/assets/diagnostics-verdict.js" => "diagnostics-verdict.js",
    "/assets/diagnostics-messages.js" => "diagnostics-messages.js",
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

/// The smallest body worth compressing: the headers of an answer (about 450 bytes with the
/// Content-Security-Policy) and a smaller body fit one TCP segment either way, and the tens of
/// bytes gzip saves on it are not worth a second representation with its own ETag and Vary.
const MIN_GZIP_SIZE: usize = 1024;

/// One file as it is answered: its type, its bytes after templating, and (for a text file that
/// compresses well) the same bytes gzip-compressed.
struct Asset {
    content_type: &'static str,
    identity: Representation,
    /// `None`: the file is answered as it is, whatever the client accepts.
    gzip: Option<Representation>,
}

/// One form of a file's body and its ETag.
struct Representation {
    /// Shared, not copied, by every answer.
    body: Bytes,
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
        let tag = format!("{:016x}", hasher.finish());
        let gzip = compressible(content_type)
            .then(|| gzip(&body))
            .flatten()
            .map(|compressed| Representation {
                body: compressed,
                etag: HeaderValue::from_str(&format!("\"{tag}-gz\""))
                    .expect("a hex string is a header value"),
            });
        Asset {
            content_type,
            identity: Representation {
                body,
                etag: HeaderValue::from_str(&format!("\"{tag}\""))
                    .expect("a hex string is a header value"),
            },
            gzip,
        }
    }

    fn answer(&self, request: &HeaderMap, ladder: &Ladder) -> Response {
        let accept_encoding = request
            .get_all(header::ACCEPT_ENCODING)
            .iter()
            .filter_map(|value| value.to_str().ok());
        let (chosen, gzipped) = match (&self.gzip, preferred_coding(accept_encoding)) {
            (Some(gzip), Coding::Gzip) => (gzip, true),
            _ => (&self.identity, false),
        };
        let not_modified = request
            .get_all(header::IF_NONE_MATCH)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .any(|tags| {
                tags.split(',').any(|tag| {
                    let tag = tag.trim();
                    tag == "*" || tag.trim_start_matches("W/") == chosen.etag
                })
            });
        let mut response = if not_modified {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            let mut response = Body::from(chosen.body.clone()).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(self.content_type),
            );
            if gzipped {
                headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            }
            response
        };
        let headers = response.headers_mut();
        headers.insert(header::ETAG, chosen.etag.clone());
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        if self.gzip.is_some() {
            headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        }
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

/// Whether a body of this type is text, which gzip shrinks (images other than SVG, fonts and
/// archives are compressed already).
fn compressible(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence.starts_with("text/")
        || essence.ends_with("+xml")
        || essence.ends_with("+json")
        || matches!(
            essence,
            "application/javascript" | "application/json" | "application/xml"
        )
}

/// `body` gzip-compressed, if that pays: the body is at least [`MIN_GZIP_SIZE`] bytes and the
/// compressed one at least 10% smaller. The header has no name and no time, so the same body
/// always compresses to the same bytes.
fn gzip(body: &[u8]) -> Option<Bytes> {
    if body.len() < MIN_GZIP_SIZE {
        return None;
    }
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 2),
        flate2::Compression::best(),
    );
    encoder
        .write_all(body)
        .expect("compressing into memory does not fail");
    let compressed = encoder
        .finish()
        .expect("compressing into memory does not fail");
    (compressed.len() * 10 <= body.len() * 9).then(|| Bytes::from(compressed))
}

/// A content coding the pages can be answered in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Coding {
    Identity,
    Gzip,
}

/// Which coding to answer a request in, from its `Accept-Encoding` values (every field line;
/// none: identity). Each element is a coding with an optional weight, `gzip;q=0.8`; codings and
/// the `q` are case-insensitive. gzip (or its old name `x-gzip`) is acceptable when its weight,
/// or else the weight of `*`, is above 0; a coding not named and not covered by `*` is not
/// acceptable. gzip is chosen when acceptable, unless identity, named or covered by `*`, weighs
/// more: `gzip;q=0.5, identity` asks for identity. An element whose weight is not a qvalue
/// (`q=2`, `q=high`) is ignored; of two weights for one coding the lower counts (a refusal is
/// not overridden). Identity is the answer otherwise, even to `identity;q=0`: the pages have no
/// other coding to offer, and a body the client may reject beats a 406 it cannot show.
fn preferred_coding<'a>(accept_encoding: impl IntoIterator<Item = &'a str>) -> Coding {
    let (mut gzip, mut identity, mut any) = (None, None, None);
    for element in accept_encoding
        .into_iter()
        .flat_map(|value| value.split(','))
    {
        let mut parts = element.split(';');
        let coding = parts.next().unwrap_or("").trim();
        let mut weight = Some(1000);
        for parameter in parts {
            if let Some((name, value)) = parameter.split_once('=')
                && name.trim().eq_ignore_ascii_case("q")
            {
                weight = qvalue(value.trim());
            }
        }
        let Some(weight) = weight else {
            continue;
        };
        let slot = if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
            &mut gzip
        } else if coding.eq_ignore_ascii_case("identity") {
            &mut identity
        } else if coding == "*" {
            &mut any
        } else {
            continue;
        };
        *slot = Some(slot.map_or(weight, |earlier: u16| earlier.min(weight)));
    }
    let gzip = gzip.or(any).unwrap_or(0);
    let identity = identity.or(any);
    if gzip > 0 && identity.is_none_or(|identity| gzip >= identity) {
        Coding::Gzip
    } else {
        Coding::Identity
    }
}

/// A weight, `0` to `1` with at most three decimals (RFC 9110's qvalue), in thousandths.
fn qvalue(text: &str) -> Option<u16> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = fraction
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(3)
        .fold(0, |n, digit| n * 10 + u16::from(digit - b'0'));
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
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

    #[test]
    fn accept_encoding_is_read_as_rfc_9110_says() {
        use Coding::{Gzip, Identity};
        let cases: &[(&[&str], Coding)] = &[
            (&[], Identity),
            (&[""], Identity),
            (&["gzip"], Gzip),
            (&["gzip, deflate, br, zstd"], Gzip),
            (&["GZip"], Gzip),
            (&["x-gzip"], Gzip),
            (&["deflate, br"], Identity),
            (&["identity"], Identity),
            (&["*"], Gzip),
            (&["*;q=0"], Identity),
            (&["gzip;q=0"], Identity),
            (&["gzip; Q=0"], Identity),
            (&["gzip;q=0.000"], Identity),
            (&["gzip;q=0.001"], Gzip),
            (&["gzip;q=1.000"], Gzip),
            (&["gzip ; q=0.5 , br"], Gzip),
            (&["*, gzip;q=0"], Identity),
            (&["gzip;q=0, *"], Identity),
            (&["br, *;q=0.1"], Gzip),
            (&["identity;q=0"], Identity),
            (&["identity;q=0, *"], Gzip),
            (&["gzip;q=0.5, identity"], Identity),
            (&["gzip;q=0.5, *"], Identity),
            (&["gzip, identity;q=0.5"], Gzip),
            (&["gzip;q=0.5, identity;q=0.5"], Gzip),
            (&["gzip, gzip;q=0"], Identity),
            (&["gzip;q=2"], Identity),
            (&["gzip;q=high"], Identity),
            (&["gzip;q=0.1234"], Identity),
            (&["gzip;q=", "br"], Identity),
            (&["gzip;q=2, *"], Gzip),
            (&["gzip;level=9"], Gzip),
            (&["br", "gzip"], Gzip),
            (&["gzipped, xgzip"], Identity),
        ];
        for (values, coding) in cases {
            assert_eq!(
                preferred_coding(values.iter().copied()),
                *coding,
                "{values:?}"
            );
        }
    }

    #[test]
    fn a_weight_is_a_qvalue_or_nothing() {
        for (text, weight) in [
            ("0", Some(0)),
            ("0.", Some(0)),
            ("0.5", Some(500)),
            ("0.05", Some(50)),
            ("0.123", Some(123)),
            ("1", Some(1000)),
            ("1.0", Some(1000)),
            ("1.000", Some(1000)),
            ("1.001", None),
            ("0.1234", None),
            ("2", None),
            (".5", None),
            ("-0", None),
            ("0.+1", None),
            ("", None),
        ] {
            assert_eq!(qvalue(text), weight, "{text:?}");
        }
    }

    #[test]
    fn only_text_that_shrinks_by_a_tenth_is_compressed() {
        let text = "export function f(x) { return x + 1; }\n".repeat(100);
        let asset = Asset::new("a.js", text.as_bytes(), false);
        let gzip = asset.gzip.as_ref().expect("repeated text compresses");
        assert!(gzip.body.len() < text.len() / 10);
        assert_eq!(decompress(&gzip.body), text.as_bytes());
        let identity = asset.identity.etag.to_str().unwrap();
        assert_eq!(
            gzip.etag.to_str().unwrap(),
            format!("{}-gz\"", identity.strip_suffix('"').unwrap()),
            "the gzip tag is the identity tag with -gz inside the quotes"
        );
        assert!(
            Asset::new("a.js", &text.as_bytes()[..MIN_GZIP_SIZE - 1], false)
                .gzip
                .is_none(),
            "a small file is not worth a second form"
        );
        assert!(
            Asset::new("a.bin", text.as_bytes(), false).gzip.is_none(),
            "not a text type"
        );
        // Bytes with no pattern: gzip adds its header and saves nothing.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let noise: Vec<u8> = (0..4096)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        assert!(Asset::new("a.js", &noise, false).gzip.is_none());
    }

    #[test]
    fn every_text_type_served_is_compressible() {
        for file in FILES {
            assert!(compressible(content_type(file.name)), "{}", file.name);
        }
        assert!(compressible("application/json"));
        assert!(compressible("application/manifest+json"));
        assert!(!compressible("image/png"));
        assert!(!compressible("application/octet-stream"));
    }

    #[test]
    fn every_built_in_page_compresses_to_the_same_bytes_each_time() {
        for file in FILES {
            let once = Asset::new(file.name, file.built_in, false);
            let again = Asset::new(file.name, file.built_in, false);
            let (once, again) = (once.gzip.map(|g| g.body), again.gzip.map(|g| g.body));
            assert_eq!(once, again, "{}", file.name);
            if let Some(body) = once {
                let identity = Asset::new(file.name, file.built_in, false).identity.body;
                assert_eq!(decompress(&body), identity, "{}", file.name);
            }
        }
    }

    fn decompress(body: &[u8]) -> Vec<u8> {
        use std::io::Read;
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(body)
            .read_to_end(&mut out)
            .unwrap();
        out
    }
}
