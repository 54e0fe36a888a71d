//! The core stays pure: nothing under `src/acd` may do I/O, read a clock or draw random numbers,
//! so that every scenario replays exactly and a simulated day runs in milliseconds. And
//! dependencies point one way: server -> protocol -> acd, never back.

use std::path::{Path, PathBuf};

/// What the core must never mention, and why.
const FORBIDDEN: &[(&str, &str)] = &[
    ("tokio", "the core is not async"),
    ("serde", "serialization belongs to src/protocol"),
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
    let core = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/acd");
    let mut files = Vec::new();
    rust_files(&core, &mut files);
    assert!(
        files.iter().any(|f| f.ends_with("mod.rs")) && files.len() >= 5,
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
        let found = violations(Path::new("src/acd/x.rs"), &text);
        assert_eq!(found.len(), 1, "{word}: {found:?}");
        assert!(found[0].starts_with("src/acd/x.rs:2:"), "{}", found[0]);
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
