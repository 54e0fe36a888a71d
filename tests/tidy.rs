//! The core stays pure: nothing in `crates/acd` may do I/O, read a clock or draw random numbers,
//! so that every scenario replays exactly and a simulated day runs in milliseconds (Cargo keeps
//! tokio and the server out of it: the crate does not depend on them; this test keeps out what
//! `std` alone offers, and any use of serde beyond its derive); nor may the call-record fold in
//! `src/records`, which is replayed like the core. And dependencies point one way: server -> protocol -> acd, and
//! inside the server net -> session -> tenant and ops -> (session, tenant), never back.

use std::path::{Path, PathBuf};

/// What the core must never mention, and why.
const FORBIDDEN: &[(&str, &str)] = &[
    ("tokio", "the core is not async"),
    (
        "serde_json",
        "the core is serialized by derive only; encoding belongs to the journal and the protocol",
    ),
    (
        "impl serde",
        "the core's snapshot is its own state by derive, never a hand-written second copy",
    ),
    ("prometheus", "metrics are made outside the core"),
    ("Timestamp::now", "time comes in as `now`"),
    ("SystemTime", "time comes in as `now`"),
    ("Instant::now", "time comes in as `now`"),
    ("rand::", "the core draws no random numbers"),
    ("std::net", "the core does no I/O"),
    ("std::fs", "the core does no I/O"),
    (
        "crate::server",
        "dependencies point one way: the server uses the core",
    ),
    ("crate::protocol", "the core knows nothing of the wire"),
];

/// What the wire types must never mention: they are plain data, converted at the edge.
const FORBIDDEN_IN_PROTOCOL: &[(&str, &str)] = &[
    ("tokio", "wire types are plain data, not async"),
    ("axum", "wire types do not know the transport"),
    (
        "crate::server",
        "dependencies point one way: the server uses the protocol",
    ),
];

fn rust_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// Every forbidden mention in the text, as `path:line: word (why)`.
fn violations(path: &Path, text: &str) -> Vec<String> {
    violations_of(FORBIDDEN, path, text)
}

fn violations_of(forbidden: &[(&str, &str)], path: &Path, text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (number, line) in text.lines().enumerate() {
        for (word, why) in forbidden {
            if line.contains(word) {
                found.push(format!(
                    "{}:{}: `{word}` ({why})",
                    path.display(),
                    number + 1
                ));
            }
        }
    }
    found
}

#[test]
fn the_core_does_no_io_reads_no_clock_and_draws_no_random_numbers() {
    let core = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/acd/src");
    let mut files = Vec::new();
    rust_files(&core, &mut files);
    assert!(
        files.iter().any(|f| f.ends_with("lib.rs")) && files.len() >= 5,
        "found only {files:?} under {}",
        core.display()
    );
    let found: Vec<String> = files
        .iter()
        .flat_map(|path| violations(path, &std::fs::read_to_string(path).unwrap()))
        .collect();
    assert!(
        found.is_empty(),
        "the core must stay pure:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_tidy_check_catches_each_forbidden_word() {
    for (word, _) in FORBIDDEN {
        let text = format!("fn f() {{\n    let x = {word};\n}}\n");
        let found = violations(Path::new("crates/acd/src/x.rs"), &text);
        assert_eq!(found.len(), 1, "{word}: {found:?}");
        assert!(
            found[0].starts_with("crates/acd/src/x.rs:2:"),
            "{}",
            found[0]
        );
    }
}

#[test]
fn the_wire_types_do_not_depend_on_the_server() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/protocol");
    let mut files = Vec::new();
    rust_files(&dir, &mut files);
    assert!(files.len() >= 3, "found only {files:?}");
    let found: Vec<String> = files
        .iter()
        .flat_map(|path| {
            violations_of(
                FORBIDDEN_IN_PROTOCOL,
                path,
                &std::fs::read_to_string(path).unwrap(),
            )
        })
        .collect();
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// What the call-record fold must never mention: it is replayed from the journal and carried in
/// a tenant's snapshot, so like the core it is a pure function of the events it is given. Only
/// `file.rs` and `export.rs` in `src/records` touch the file system.
const FORBIDDEN_IN_RECORDS_FOLD: &[(&str, &str)] = &[
    ("std::fs", "the fold does no I/O: files are file.rs's"),
    ("std::io", "the fold does no I/O: files are file.rs's"),
    ("std::net", "the fold does no I/O"),
    ("tokio", "the fold is not async"),
    ("Timestamp::now", "time comes in as `now`"),
    ("SystemTime", "time comes in as `now`"),
    ("Instant::now", "time comes in as `now`"),
    (
        "crate::server",
        "the server uses the fold, not the other way round",
    ),
];

#[test]
fn the_call_record_fold_does_no_io_and_reads_no_clock() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/records");
    let mut files = Vec::new();
    rust_files(&dir, &mut files);
    let io_allowed = ["file.rs", "export.rs"];
    files.retain(|path| !io_allowed.iter().any(|name| path.ends_with(name)));
    assert!(
        files.iter().any(|path| path.ends_with("mod.rs")) && files.len() >= 3,
        "found only {files:?}"
    );
    let found: Vec<String> = files
        .iter()
        .flat_map(|path| {
            violations_of(
                FORBIDDEN_IN_RECORDS_FOLD,
                path,
                &std::fs::read_to_string(path).unwrap(),
            )
        })
        .collect();
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// The server's layer a file belongs to, from its path under `src/server`: `net`, `session`,
/// `tenant`, `ops`, `leaf` (used by every layer, using only leaves) or `wiring` (`mod.rs`,
/// which builds every layer, and `reload.rs`, which carries a reloaded configuration to each).
fn layer_of(relative: &str) -> &'static str {
    match relative {
        "mod.rs" | "reload.rs" => "wiring",
        "clock.rs" | "outbox.rs" | "rung.rs" | "ops/counters.rs" | "ops/audit.rs" => "leaf",
        _ if relative.starts_with("net/") => "net",
        _ if relative.starts_with("session/") => "session",
        _ if relative.starts_with("tenant/") => "tenant",
        _ if relative.starts_with("ops/") => "ops",
        _ => "unknown",
    }
}

/// The layer a path `crate::server::<first>::<second>` names.
fn layer_named(first: &str, second: &str) -> &'static str {
    match (first, second) {
        ("clock" | "outbox" | "rung", _) | ("ops", "counters" | "audit") => "leaf",
        ("net", _) => "net",
        ("session", _) => "session",
        ("tenant", _) => "tenant",
        ("ops", _) => "ops",
        _ => "unknown",
    }
}

/// Which layers each layer may use: each only those below it.
fn may_use(from: &str, to: &str) -> bool {
    match from {
        "wiring" => true,
        "ops" => matches!(to, "ops" | "session" | "tenant" | "leaf"),
        "net" => matches!(to, "net" | "session" | "leaf"),
        "session" => matches!(to, "session" | "tenant" | "leaf"),
        "tenant" => matches!(to, "tenant" | "leaf"),
        "leaf" => to == "leaf",
        _ => false,
    }
}

/// The module path `super` names in a file at `relative` under `src/server`: its folder, or
/// the server itself for a top-level file or a layer's `mod.rs` (`net/mod.rs`'s `super` is
/// `crate::server`).
fn super_of(relative: &str) -> Vec<&str> {
    let mut parts: Vec<&str> = relative.split('/').collect();
    parts.pop();
    if relative.ends_with("mod.rs") {
        parts.pop();
    }
    parts
}

/// The leading identifier of `text`.
fn ident(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// What the crate's other modules a layer may not name directly: the network and session
/// layers reach the core only through the protocol's translation and the tenant layer.
fn crate_paths_refused(layer: &str) -> &'static [&'static str] {
    match layer {
        "net" => &["crate::acd", "crate::sim"],
        "session" => &["crate::acd", "crate::sim"],
        "leaf" => &["crate::sim"],
        _ => &[],
    }
}

/// Every use of another part of the server that crosses a layer the wrong way, as
/// `path:line: from uses to`: a `crate::server::...` path, or a `super::...` one resolved from
/// where the file sits. A layer re-exports nothing of another layer (that would let a layer
/// above reach it under the wrong name), and `super::super` is refused.
fn layer_violations(relative: &str, text: &str) -> Vec<String> {
    let from = layer_of(relative);
    let mut found = Vec::new();
    if from == "unknown" {
        found.push(format!(
            "src/server/{relative}: in no layer (net, session, tenant, ops or a leaf)"
        ));
    }
    let parent = super_of(relative);
    let mut in_tests = false;
    for (number, line) in text.lines().enumerate() {
        let at = format!("src/server/{relative}:{}", number + 1);
        let code = line.trim_start();
        // A comment's link to another layer documents; it does not depend.
        if code.starts_with("//") {
            continue;
        }
        // A file's own unit tests may build whatever they test with.
        if code.starts_with("mod tests") {
            in_tests = true;
        }
        if line.contains("super::super") {
            found.push(format!(
                "{at}: `super::super` (name the layer: crate::server::...)"
            ));
        }
        for refused in crate_paths_refused(from) {
            if line.contains(refused) && !in_tests {
                found.push(format!("{at}: {from} names {refused} directly"));
            }
        }
        let mut named: Vec<(String, String)> = Vec::new();
        let mut rest = line;
        while let Some(start) = rest.find("crate::server::") {
            rest = &rest[start + "crate::server::".len()..];
            let mut parts = rest.split("::");
            let first = ident(parts.next().unwrap_or(""));
            let second = ident(parts.next().unwrap_or(""));
            named.push((first, second));
        }
        if !in_tests {
            let mut rest = line;
            while let Some(start) = rest.find("super::") {
                rest = &rest[start + "super::".len()..];
                // `super::{a, b}`: each name; `super::*` and `super::super` say nothing here.
                let names: Vec<String> = match rest.strip_prefix('{') {
                    Some(group) => group
                        .split(['}', ','])
                        .map(|name| ident(name.trim()))
                        .filter(|name| !name.is_empty())
                        .collect(),
                    None => vec![ident(rest)],
                };
                for name in names.into_iter().filter(|n| !n.is_empty() && n != "super") {
                    let mut path: Vec<String> = parent.iter().map(|p| p.to_string()).collect();
                    path.push(name);
                    let first = path[0].clone();
                    let second = path.get(1).cloned().unwrap_or_default();
                    named.push((first, second));
                }
            }
        }
        for (first, second) in named {
            let to = layer_named(&first, &second);
            if !may_use(from, to) {
                found.push(format!(
                    "{at}: {from} uses {to} (crate::server::{first}::{second})"
                ));
            }
            if code.starts_with("pub use") && to != from && from != "wiring" {
                found.push(format!(
                    "{at}: {from} re-exports {to} (crate::server::{first}::{second})"
                ));
            }
        }
    }
    found
}

#[test]
fn the_servers_layers_use_only_the_layers_below_them() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/server");
    let mut files = Vec::new();
    rust_files(&dir, &mut files);
    assert!(files.len() >= 20, "found only {files:?}");
    let mut layers = std::collections::BTreeSet::new();
    let found: Vec<String> = files
        .iter()
        .flat_map(|path| {
            let relative = path
                .strip_prefix(&dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            layers.insert(layer_of(&relative));
            layer_violations(&relative, &std::fs::read_to_string(path).unwrap())
        })
        .collect();
    assert!(found.is_empty(), "{}", found.join("\n"));
    assert_eq!(
        layers.into_iter().collect::<Vec<_>>(),
        ["leaf", "net", "ops", "session", "tenant", "wiring"]
    );
}

/// What no Rust file of the library may mention, wherever it lives (`src/`, and `crates/` once
/// the core is a crate of its own).
const FORBIDDEN_IN_RUST: &[(&str, &str)] = &[(
    "unbounded_channel",
    "every channel is bounded (ARCHITECTURE.md): a consumer that falls behind must push back, \
     not grow memory without limit; use `mpsc::channel(capacity)`",
)];

/// What no file of the pages may mention: the pages put text into the DOM as text, never as
/// HTML, so nothing the server sends (a caller's number, an agent's name) can become markup.
const FORBIDDEN_IN_PAGES: &[(&str, &str)] = &[
    (
        "innerHTML",
        "text goes into the DOM as text: use `textContent` or `h()`",
    ),
    (
        "outerHTML",
        "text goes into the DOM as text: use `textContent` or `h()`",
    ),
    (
        "insertAdjacentHTML",
        "text goes into the DOM as text: use `h()` and `append`",
    ),
];

/// Every file under `dir`, at any depth.
fn all_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            all_files(&path, files);
        } else {
            files.push(path);
        }
    }
}

/// Every forbidden mention in `files`, as `path:line: word (why)`, with paths relative to the
/// repository. A file that is not UTF-8 is read with its bad bytes replaced.
fn violations_in(forbidden: &[(&str, &str)], files: &[PathBuf]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    files
        .iter()
        .flat_map(|path| {
            let bytes = std::fs::read(path).unwrap();
            let relative = path.strip_prefix(root).unwrap_or(path);
            violations_of(forbidden, relative, &String::from_utf8_lossy(&bytes))
        })
        .collect()
}

#[test]
fn every_channel_is_bounded() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["src", "crates"] {
        let dir = root.join(dir);
        if dir.is_dir() {
            rust_files(&dir, &mut files);
        }
    }
    assert!(
        files.iter().any(|f| f.ends_with("lib.rs")) && files.len() >= 20,
        "found only {files:?}"
    );
    let found = violations_in(FORBIDDEN_IN_RUST, &files);
    assert!(
        found.is_empty(),
        "unbounded channels:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_layer_check_catches_a_use_upwards() {
    let upwards = "use crate::server::session::Sessions;\n";
    assert_eq!(layer_violations("tenant/engine.rs", upwards).len(), 1);
    let engine = "use crate::server::tenant::Request;\n";
    assert_eq!(layer_violations("net/rungs.rs", engine).len(), 1);
    assert!(layer_violations("session/mod.rs", engine).is_empty());
    // The reload is wiring: it reaches every layer, as mod.rs does.
    assert!(layer_violations("reload.rs", engine).is_empty());
    let counters = "use crate::server::ops::counters::Counters;\n";
    assert!(layer_violations("tenant/audience.rs", counters).is_empty());
    let admin = "use crate::server::ops::admin;\n";
    assert_eq!(layer_violations("tenant/audience.rs", admin).len(), 1);
    assert_eq!(layer_violations("clock.rs", engine).len(), 1);
    assert_eq!(
        layer_violations("net/x.rs", "use super::super::tenant;").len(),
        1
    );
    // `super` from a layer's mod.rs or a top-level leaf is the server itself.
    let sideways = "use super::tenant::Tenants;\n";
    assert_eq!(layer_violations("net/mod.rs", sideways).len(), 1);
    assert!(layer_violations("session/mod.rs", sideways).is_empty());
    assert_eq!(layer_violations("clock.rs", sideways).len(), 1);
    assert_eq!(
        layer_violations("ops/counters.rs", "use super::scrape;\n").len(),
        1
    );
    assert!(layer_violations("net/rungs.rs", "use super::{Net, Peer};\n").is_empty());
    // No laundering a lower layer's types through a re-export, and no core for the network.
    let laundered = "pub use crate::server::tenant::Request;\n";
    assert_eq!(layer_violations("session/mod.rs", laundered).len(), 1);
    assert_eq!(
        layer_violations("net/x.rs", "use crate::acd::Acd;\n").len(),
        1
    );
}

#[test]
fn the_pages_never_put_text_into_the_dom_as_html() {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    let mut files = Vec::new();
    all_files(&web, &mut files);
    assert!(
        files.iter().any(|f| f.ends_with("acdhub.js")) && files.len() >= 5,
        "found only {files:?} under {}",
        web.display()
    );
    let found = violations_in(FORBIDDEN_IN_PAGES, &files);
    assert!(
        found.is_empty(),
        "HTML from strings in the pages:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_channel_and_page_checks_catch_each_forbidden_word() {
    for (forbidden, path) in [
        (FORBIDDEN_IN_RUST, "src/x.rs"),
        (FORBIDDEN_IN_PAGES, "web/x.js"),
    ] {
        for (word, why) in forbidden {
            let text = format!("// the first line\nlet x = y.{word}(z);\n");
            let found = violations_of(forbidden, Path::new(path), &text);
            assert_eq!(found, [format!("{path}:2: `{word}` ({why})")]);
        }
    }
}
