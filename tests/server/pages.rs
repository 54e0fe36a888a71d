//! The browser pages as HTTP serves them, on both listeners: every page and asset, its type and
//! security headers, revalidation by ETag, gzip for a client that accepts it (each form with its
//! own ETag), the landing page's version and demo logins, and every link and module import in
//! the pages resolving to something the server serves. (What the pages
//! do in a browser is tested in Chromium: tests/browser/.)

use crate::net;
use std::collections::BTreeSet;
use std::net::SocketAddr;

use crate::net::Via;
use acdhub::config::ListenAddr;
use acdhub::server::Server;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// Every page and asset the server serves, with the type it must have.
const SERVED: &[(&str, &str)] = &[
    ("/", "text/html; charset=utf-8"),
    ("/agent", "text/html; charset=utf-8"),
    ("/wallboard", "text/html; charset=utf-8"),
    ("/supervisor", "text/html; charset=utf-8"),
    ("/diagnostics", "text/html; charset=utf-8"),
    ("/assets/acdhub.js", "text/javascript; charset=utf-8"),
    (
        "/assets/acdhub-transports.js",
        "text/javascript; charset=utf-8",
    ),
    (
        "/assets/acdhub-sequence.js",
        "text/javascript; charset=utf-8",
    ),
    ("/assets/acdhub-ladder.js", "text/javascript; charset=utf-8"),
    ("/assets/ui.js", "text/javascript; charset=utf-8"),
    ("/assets/format.js", "text/javascript; charset=utf-8"),
    ("/assets/i18n.js", "text/javascript; charset=utf-8"),
    (
        "/assets/common-messages.js",
        "text/javascript; charset=utf-8",
    ),
    ("/assets/index.js", "text/javascript; charset=utf-8"),
    ("/assets/index-main.js", "text/javascript; charset=utf-8"),
    (
        "/assets/index-messages.js",
        "text/javascript; charset=utf-8",
    ),
    ("/assets/agent.js", "text/javascript; charset=utf-8"),
    ("/assets/agent-main.js", "text/javascript; charset=utf-8"),
    ("/assets/agent-state.js", "text/javascript; charset=utf-8"),
    (
        "/assets/agent-messages.js",
        "text/javascript; charset=utf-8",
    ),
    (
        "/assets/conversations-state.js",
        "text/javascript; charset=utf-8",
    ),
    ("/assets/conversations.js", "text/javascript; charset=utf-8"),
    ("/assets/wallboard.js", "text/javascript; charset=utf-8"),
    (
        "/assets/wallboard-main.js",
        "text/javascript; charset=utf-8",
    ),
    (
        "/assets/wallboard-state.js",
        "text/javascript; charset=utf-8",
    ),
    (
        "/assets/wallboard-messages.js",
        "text/javascript; charset=utf-8",
    ),
    ("/assets/supervisor.js", "text/javascript; charset=utf-8"),
    (
        "/assets/supervisor-main.js",
        "text/javascript; charset=utf-8",
    ),
    (
        "/assets/supervisor-state.js",
        "text/javascript; charset=utf-8",
    ),
    (
        "/assets/supervisor-messages.js",
        "text/javascript; charset=utf-8",
    ),
    ("/assets/diagnostics.js", "text/javascript; charset=utf-8"),
    (
        "/assets/diagnostics-main.js",
        "text/javascript; charset=utf-8",
    ),
    (
        "/assets/diagnostics-verdict.js",
        "text/javascript; charset=utf-8",
    ),
    (
        "/assets/diagnostics-messages.js",
        "text/javascript; charset=utf-8",
    ),
    ("/assets/acdhub.css", "text/css; charset=utf-8"),
    ("/assets/wallboard.css", "text/css; charset=utf-8"),
    ("/assets/supervisor.css", "text/css; charset=utf-8"),
    ("/assets/diagnostics.css", "text/css; charset=utf-8"),
    ("/assets/icon.svg", "image/svg+xml"),
];

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    /// The body as text (a gzip body is not: see `bytes`).
    body: String,
    /// The body as it came.
    bytes: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.0 request (the connection closes after the answer) over ws's plain listener or
/// wss's TLS one.
async fn request(server: &Server, via: Via, method: &str, path: &str, extra: &str) -> Response {
    let addr = net::addr(server, via);
    let tcp = TcpStream::connect(addr).await.unwrap();
    match via {
        Via::Ws => exchange(tcp, addr, method, path, extra).await,
        Via::Wss => {
            let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
            let tls = net::tls_connector().connect(name, tcp).await.unwrap();
            exchange(tls, addr, method, path, extra).await
        }
    }
}

async fn exchange(
    mut stream: impl AsyncRead + AsyncWrite + Unpin,
    addr: SocketAddr,
    method: &str,
    path: &str,
    extra: &str,
) -> Response {
    let head = format!("{method} {path} HTTP/1.0\r\nHost: {addr}\r\n{extra}\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut bytes = Vec::new();
    // A TLS server may end without close_notify after HTTP/1.0; what arrived is the answer.
    let _ = tokio::time::timeout(net::PATIENCE, stream.read_to_end(&mut bytes))
        .await
        .expect("the server answers in time");
    let end = bytes
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .expect("an HTTP response");
    let head = std::str::from_utf8(&bytes[..end]).unwrap();
    let body = bytes[end + 4..].to_vec();
    let mut lines = head.lines();
    let status = lines.next().unwrap().split_whitespace().nth(1).unwrap();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Response {
        status: status.parse().unwrap(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        bytes: body,
    }
}

#[tokio::test]
async fn every_page_and_asset_is_served_with_its_type_and_security_headers_on_both_listeners() {
    let server = net::start("").await;
    for via in [Via::Ws, Via::Wss] {
        for (path, content_type) in SERVED {
            let response = request(&server, via, "GET", path, "").await;
            assert_eq!(response.status, 200, "{via:?} {path}");
            assert_eq!(
                response.header("content-type"),
                Some(*content_type),
                "{path}"
            );
            assert!(!response.body.is_empty(), "{path} has content");
            assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
            assert_eq!(response.header("cache-control"), Some("no-cache"));
            let csp = response.header("content-security-policy").unwrap();
            assert!(csp.contains("script-src 'self'"), "{csp}");
            // The page's own origin, and the ws and wss rungs on the same host.
            let ws = server.ws_addr().unwrap().port();
            let wss = server.wss_addr().unwrap().port();
            let connect = format!("connect-src 'self' wss://127.0.0.1:{wss} ws://127.0.0.1:{ws};");
            assert!(csp.contains(&connect), "{csp}");
            assert!(response.header("etag").is_some(), "{path}");
        }
        let missing = request(&server, via, "GET", "/assets/nosuch.js", "").await;
        assert_eq!(missing.status, 404);
    }
    server.shutdown().await;
}

#[tokio::test]
async fn a_browser_revalidates_with_the_etag_and_gets_304_until_the_page_changes() {
    let server = net::start("").await;
    let first = request(&server, Via::Ws, "GET", "/agent", "").await;
    let etag = first.header("etag").unwrap().to_owned();
    let again = request(
        &server,
        Via::Ws,
        "GET",
        "/agent",
        &format!("If-None-Match: {etag}\r\n"),
    )
    .await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty(), "a 304 has no body");
    assert_eq!(again.header("etag"), Some(etag.as_str()));
    let other = request(
        &server,
        Via::Ws,
        "GET",
        "/agent",
        "If-None-Match: \"0000000000000000\"\r\n",
    )
    .await;
    assert_eq!(other.status, 200, "a stale tag gets the page");
    let any = request(&server, Via::Ws, "GET", "/agent", "If-None-Match: *\r\n").await;
    assert_eq!(any.status, 304, "`*` matches whatever the server has");
    let head = request(&server, Via::Ws, "HEAD", "/wallboard", "").await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty(), "HEAD answers without a body");
    server.shutdown().await;
}

/// What Chromium sends.
const ACCEPTS_GZIP: &str = "Accept-Encoding: gzip, deflate, br, zstd\r\n";

fn gunzip(body: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(body)
        .read_to_end(&mut plain)
        .expect("a gzip body");
    plain
}

/// A client that accepts gzip gets each page and shared asset compressed, with its own ETag,
/// and the body it decompresses to is exactly what a client that does not gets; every answer of
/// a file with a compressed form says so in `Vary`. The small entry scripts and the icon, which
/// gzip would shrink by a few tens of bytes, are served as they are, without `Vary`.
#[tokio::test]
async fn a_client_that_accepts_gzip_gets_every_text_file_compressed_with_its_own_etag() {
    let server = net::start("").await;
    let mut compressed = BTreeSet::new();
    for via in [Via::Ws, Via::Wss] {
        for (path, content_type) in SERVED {
            let identity = request(&server, via, "GET", path, "").await;
            let gzip = request(&server, via, "GET", path, ACCEPTS_GZIP).await;
            assert_eq!((identity.status, gzip.status), (200, 200), "{path}");
            assert_eq!(identity.header("content-encoding"), None, "{path}");
            assert_eq!(gzip.header("content-type"), Some(*content_type), "{path}");
            assert_eq!(gzip.header("cache-control"), Some("no-cache"), "{path}");
            assert!(gzip.header("content-security-policy").is_some(), "{path}");
            let (identity_tag, gzip_tag) = (identity.header("etag"), gzip.header("etag"));
            if gzip.header("content-encoding") == Some("gzip") {
                compressed.insert(*path);
                assert_eq!(gunzip(&gzip.bytes), identity.bytes, "{path}");
                assert!(
                    gzip.bytes.len() * 10 <= identity.bytes.len() * 9,
                    "{path}: compressed only where it pays ({} of {})",
                    gzip.bytes.len(),
                    identity.bytes.len()
                );
                assert_eq!(
                    gzip.header("content-length"),
                    Some(gzip.bytes.len().to_string().as_str()),
                    "{path}"
                );
                let identity_tag = identity_tag.unwrap();
                assert_eq!(
                    gzip_tag,
                    Some(format!("{}-gz\"", identity_tag.strip_suffix('"').unwrap()).as_str()),
                    "{path}: the gzip form is another representation, with another tag"
                );
                for response in [&identity, &gzip] {
                    assert!(
                        response
                            .header("vary")
                            .is_some_and(|vary| vary.eq_ignore_ascii_case("accept-encoding")),
                        "{path}: {:?}",
                        response.header("vary")
                    );
                }
            } else {
                assert_eq!(gzip.header("content-encoding"), None, "{path}");
                assert_eq!(gzip.bytes, identity.bytes, "{path}");
                assert_eq!(
                    gzip_tag, identity_tag,
                    "{path}: one representation, one tag"
                );
                assert_eq!(gzip.header("vary"), None, "{path}: nothing varies");
                assert_eq!(identity.header("vary"), None, "{path}: nothing varies");
            }
        }
    }
    for path in [
        "/",
        "/agent",
        "/wallboard",
        "/supervisor",
        "/diagnostics",
        "/assets/acdhub.js",
        "/assets/acdhub.css",
    ] {
        assert!(compressed.contains(path), "{path} is served compressed");
    }
    for path in ["/assets/icon.svg", "/assets/agent-main.js"] {
        assert!(!compressed.contains(path), "{path} is too small to gain");
    }
    server.shutdown().await;
}

/// `Accept-Encoding` as RFC 9110 reads it: no header, `gzip;q=0`, codings the server does not
/// have, or a preference for identity get the page as it is; `*`, and gzip in any case, get it
/// compressed.
#[tokio::test]
async fn gzip_is_sent_only_where_accept_encoding_accepts_it() {
    let server = net::start("").await;
    for (accept, gzip) in [
        ("", false),
        ("Accept-Encoding: gzip;q=0\r\n", false),
        ("Accept-Encoding: br, deflate\r\n", false),
        ("Accept-Encoding: identity\r\n", false),
        ("Accept-Encoding: *;q=0\r\n", false),
        ("Accept-Encoding: gzip;q=0.5, identity\r\n", false),
        ("Accept-Encoding: *, gzip;q=0\r\n", false),
        ("Accept-Encoding: gzip\r\n", true),
        ("Accept-Encoding: GZIP;Q=1.0\r\n", true),
        ("Accept-Encoding: *\r\n", true),
        ("Accept-Encoding: identity;q=0, gzip;q=0.1\r\n", true),
        ("Accept-Encoding: br\r\nAccept-Encoding: gzip\r\n", true),
    ] {
        let response = request(&server, Via::Ws, "GET", "/agent", accept).await;
        assert_eq!(response.status, 200, "{accept:?}");
        let encoding = response.header("content-encoding");
        assert_eq!(encoding, gzip.then_some("gzip"), "{accept:?}");
        let tag = response.header("etag").unwrap();
        assert_eq!(tag.ends_with("-gz\""), gzip, "{accept:?}: {tag}");
        assert!(response.header("vary").is_some(), "{accept:?}");
        if !gzip {
            assert!(response.body.contains("<html"), "{accept:?}: identity");
        }
    }
    server.shutdown().await;
}

/// Each representation revalidates with its own tag: If-None-Match is compared with the tag of
/// the form this request would get, so the identity tag from a client that now accepts gzip
/// gets the compressed page (with its tag), not a 304. A 304 carries the tag, `Vary` and
/// `Cache-Control`; `W/` and `*` match as before. HEAD answers the chosen form's length.
#[tokio::test]
async fn each_representation_revalidates_with_its_own_etag() {
    let server = net::start("").await;
    let identity = request(&server, Via::Ws, "GET", "/supervisor", "").await;
    let gzip = request(&server, Via::Ws, "GET", "/supervisor", ACCEPTS_GZIP).await;
    let identity_tag = identity.header("etag").unwrap().to_owned();
    let gzip_tag = gzip.header("etag").unwrap().to_owned();
    assert_ne!(identity_tag, gzip_tag);
    let if_none_match = |tags: &str| format!("If-None-Match: {tags}\r\n");
    for (headers, status, tag) in [
        (if_none_match(&identity_tag), 304, &identity_tag),
        (
            format!("{ACCEPTS_GZIP}{}", if_none_match(&gzip_tag)),
            304,
            &gzip_tag,
        ),
        (
            format!("{ACCEPTS_GZIP}{}", if_none_match(&format!("W/{gzip_tag}"))),
            304,
            &gzip_tag,
        ),
        (
            format!(
                "{ACCEPTS_GZIP}{}",
                if_none_match(&format!("\"0000000000000000\", {gzip_tag}"))
            ),
            304,
            &gzip_tag,
        ),
        (
            format!("{ACCEPTS_GZIP}{}", if_none_match("*")),
            304,
            &gzip_tag,
        ),
        (
            format!("{ACCEPTS_GZIP}{}", if_none_match(&identity_tag)),
            200,
            &gzip_tag,
        ),
        (if_none_match(&gzip_tag), 200, &identity_tag),
        (
            format!("Accept-Encoding: gzip;q=0\r\n{}", if_none_match(&gzip_tag)),
            200,
            &identity_tag,
        ),
    ] {
        let response = request(&server, Via::Ws, "GET", "/supervisor", &headers).await;
        assert_eq!(response.status, status, "{headers:?}");
        assert_eq!(response.header("etag"), Some(tag.as_str()), "{headers:?}");
        assert!(response.header("vary").is_some(), "{headers:?}");
        assert_eq!(response.header("cache-control"), Some("no-cache"));
        if status == 304 {
            assert!(response.bytes.is_empty(), "{headers:?}: a 304 has no body");
        } else if tag == &gzip_tag {
            assert_eq!(response.header("content-encoding"), Some("gzip"));
            assert_eq!(gunzip(&response.bytes), identity.bytes);
        } else {
            assert_eq!(response.header("content-encoding"), None);
            assert_eq!(response.bytes, identity.bytes);
        }
    }
    for (headers, sent) in [("", &identity), (ACCEPTS_GZIP, &gzip)] {
        let head = request(&server, Via::Ws, "HEAD", "/supervisor", headers).await;
        assert_eq!(head.status, 200);
        assert!(head.bytes.is_empty(), "HEAD answers without a body");
        assert_eq!(head.header("etag"), sent.header("etag"));
        assert_eq!(
            head.header("content-encoding"),
            sent.header("content-encoding")
        );
        assert_eq!(
            head.header("content-length"),
            Some(sent.bytes.len().to_string().as_str()),
            "{headers:?}"
        );
    }
    server.shutdown().await;
}

/// What the landing page says of the demo's password (the page translates the words around it).
const DEMO_PASSWORD: &str = "password <code data-i18n-part=\"password\">demo</code>";

#[tokio::test]
async fn the_landing_page_shows_the_version_and_links_its_pages() {
    let server = net::start("").await;
    let landing = request(&server, Via::Ws, "GET", "/", "").await.body;
    assert!(landing.contains(env!("CARGO_PKG_VERSION")), "{landing}");
    assert!(!landing.contains("{{version}}"));
    for page in ["/agent", "/wallboard", "/supervisor", "/diagnostics"] {
        assert!(
            landing.contains(&format!("href=\"{page}\"")),
            "links {page}"
        );
    }
    assert!(
        !landing.contains(DEMO_PASSWORD),
        "an operator's server does not advertise the demo's logins"
    );
    server.shutdown().await;

    let mut demo = acdhub::demo::demo();
    demo.server.ws = ListenAddr::At("127.0.0.1:0".parse().unwrap());
    demo.server.wss = ListenAddr::Off;
    demo.metrics.listen = ListenAddr::Off;
    let server = Server::start(demo).await.unwrap();
    let landing = request(&server, Via::Ws, "GET", "/", "").await.body;
    assert!(landing.contains(DEMO_PASSWORD), "the demo lists its logins");
    assert!(!landing.contains("<!-- demo -->"));
    server.shutdown().await;
}

/// Every `href` and `src` of the pages and every module a script imports is served: a renamed
/// file cannot leave a page half-loaded.
#[tokio::test]
async fn every_link_and_import_in_the_pages_is_served() {
    let server = net::start("").await;
    let served: BTreeSet<&str> = SERVED.iter().map(|(path, _)| *path).collect();
    let mut checked = 0;
    for (path, content_type) in SERVED {
        let body = request(&server, Via::Ws, "GET", path, "").await.body;
        let references: Vec<String> = if content_type.starts_with("text/html") {
            attribute_values(&body, "href=\"")
                .chain(attribute_values(&body, "src=\""))
                .filter(|target| target.starts_with('/'))
                .collect()
        } else if content_type.starts_with("text/javascript") {
            attribute_values(&body, "from \"./")
                .map(|module| format!("/assets/{module}"))
                .collect()
        } else {
            Vec::new()
        };
        for target in references {
            let target = target.split(['?', '#']).next().unwrap().to_owned();
            if target == "/healthz" {
                continue;
            }
            assert!(
                served.contains(target.as_str()),
                "{path} refers to {target}, which is not served"
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 20,
        "the pages refer to their assets ({checked} references)"
    );
    server.shutdown().await;
}

/// The Content-Security-Policy forbids inline scripts, inline styles and handler attributes; a
/// page that used one would break in the browser, so none may.
#[tokio::test]
async fn the_pages_have_no_inline_script_style_or_handler() {
    let server = net::start("").await;
    for (path, content_type) in SERVED {
        if !content_type.starts_with("text/html") {
            continue;
        }
        let page = request(&server, Via::Ws, "GET", path, "").await.body;
        for (at, _) in page.match_indices("<script") {
            let tag = &page[at..at + page[at..].find('>').unwrap()];
            assert!(tag.contains(" src=\""), "{path}: an inline script: {tag}");
        }
        assert!(!page.contains("<style"), "{path}: an inline stylesheet");
        assert!(!page.contains(" style=\""), "{path}: a style attribute");
        let lower = page.to_ascii_lowercase();
        for handler in [
            " onclick=",
            " onload=",
            " onchange=",
            " onsubmit=",
            " oninput=",
            " onkeydown=",
        ] {
            assert!(
                !lower.contains(handler),
                "{path}: a handler attribute{handler}"
            );
        }
        assert!(!lower.contains("javascript:"), "{path}: a javascript: link");
    }
    server.shutdown().await;
}

fn attribute_values<'a>(text: &'a str, prefix: &'a str) -> impl Iterator<Item = String> + 'a {
    text.match_indices(prefix).filter_map(move |(at, _)| {
        let rest = &text[at + prefix.len()..];
        rest.find('"').map(|end| rest[..end].to_owned())
    })
}
