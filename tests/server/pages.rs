//! The browser pages as HTTP serves them, on both listeners: every page and asset, its type and
//! security headers, revalidation by ETag, the landing page's version and demo logins, and every
//! link and module import in the pages resolving to something the server serves. (What the pages
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
    ("/assets/agent.js", "text/javascript; charset=utf-8"),
    ("/assets/agent-main.js", "text/javascript; charset=utf-8"),
    ("/assets/agent-state.js", "text/javascript; charset=utf-8"),
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
    ("/assets/supervisor.js", "text/javascript; charset=utf-8"),
    (
        "/assets/supervisor-main.js",
        "text/javascript; charset=utf-8",
    ),
    (
        "/assets/supervisor-state.js",
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
    ("/assets/acdhub.css", "text/css; charset=utf-8"),
    ("/assets/wallboard.css", "text/css; charset=utf-8"),
    ("/assets/supervisor.css", "text/css; charset=utf-8"),
    ("/assets/diagnostics.css", "text/css; charset=utf-8"),
    ("/assets/icon.svg", "image/svg+xml"),
];

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
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
    let text = String::from_utf8(bytes).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP response");
    let mut lines = head.lines();
    let status = lines.next().unwrap().split_whitespace().nth(1).unwrap();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Response {
        status: status.parse().unwrap(),
        headers,
        body: body.to_owned(),
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
        !landing.contains("password <code>demo</code>"),
        "an operator's server does not advertise the demo's logins"
    );
    server.shutdown().await;

    let mut demo = acdhub::demo::demo();
    demo.server.ws = ListenAddr::At("127.0.0.1:0".parse().unwrap());
    demo.server.wss = ListenAddr::Off;
    demo.metrics.listen = ListenAddr::Off;
    let server = Server::start(demo).await.unwrap();
    let landing = request(&server, Via::Ws, "GET", "/", "").await.body;
    assert!(
        landing.contains("password <code>demo</code>"),
        "the demo lists its logins"
    );
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
