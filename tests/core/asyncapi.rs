//! `protocol/asyncapi.yaml` against the schemas it maps and the code behind them.
//!
//! The AsyncAPI document names every message of the protocol and points at its JSON Schema by a
//! relative `$ref`; `protocol_contract.rs` ties the schema files to what `src/protocol` parses and
//! serializes. These tests close the loop: every schema file is the payload of exactly one
//! message, named by its wire `type`; every `$ref` of the document resolves (to a file, or to a
//! key of the document); every channel carries what its rung carries. `tests/browser/
//! protocol-kit.test.mjs` validates the document as AsyncAPI 3 with @asyncapi/parser.
//!
//! The document is read as text: it is block-style YAML, one key or list item a line, which is
//! all the small reader below understands (and it fails loudly on anything else it meets).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use acdhub::protocol::inbound::ClientMessage;

use crate::schema;

/// What the reader gets from the document: the path of every key, and of every scalar value.
struct Doc {
    /// Every key's path (`["channels", "websocket", "messages", "accept"]`).
    keys: BTreeSet<Vec<String>>,
    /// Every `key: value` line's path and value, unquoted, in order; list items repeat the
    /// path of their list.
    values: Vec<(Vec<String>, String)>,
}

impl Doc {
    fn read() -> Doc {
        let path = schema::protocol_dir().join("asyncapi.yaml");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
        Doc::parse(&text)
    }

    fn parse(text: &str) -> Doc {
        let mut keys = BTreeSet::new();
        let mut values = Vec::new();
        // The open keys, with their indentation.
        let mut stack: Vec<(usize, String)> = Vec::new();
        // The indentation of a block scalar (`|`) being skipped, and of its key.
        let mut block: Option<usize> = None;
        for (number, line) in text.lines().enumerate() {
            let trimmed = line.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let mut indent = line.len() - trimmed.len();
            if let Some(key_indent) = block {
                if indent > key_indent {
                    continue;
                }
                block = None;
            }
            // A list item is read as a key one level deeper than its dash.
            let mut item = trimmed;
            if let Some(rest) = trimmed.strip_prefix("- ") {
                indent += 2;
                item = rest;
            }
            let Some((key, value)) = item.split_once(':') else {
                // A scalar list item (`- foo`): a value of the open key.
                let path = stack.iter().map(|(_, k)| k.clone()).collect();
                values.push((path, unquote(item)));
                continue;
            };
            let key = key.trim();
            assert!(
                !key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "$_-.".contains(c)),
                "asyncapi.yaml:{}: not a key this reader knows: {line:?}",
                number + 1
            );
            while stack.last().is_some_and(|(i, _)| *i >= indent) {
                stack.pop();
            }
            stack.push((indent, key.to_owned()));
            let path: Vec<String> = stack.iter().map(|(_, k)| k.clone()).collect();
            keys.insert(path.clone());
            let value = value.trim();
            if value == "|" || value == ">" {
                block = Some(indent);
            } else if !value.is_empty() {
                values.push((path, unquote(value)));
            }
        }
        Doc { keys, values }
    }

    /// The names under a key (`["channels"]` -> every channel).
    fn children(&self, path: &[&str]) -> BTreeSet<String> {
        self.keys
            .iter()
            .filter(|k| k.len() == path.len() + 1 && k.iter().zip(path).all(|(a, b)| a == b))
            .map(|k| k[path.len()].clone())
            .collect()
    }

    /// The values at exactly this path.
    fn values_at(&self, path: &[&str]) -> Vec<&str> {
        self.values
            .iter()
            .filter(|(p, _)| p.len() == path.len() && p.iter().zip(path).all(|(a, b)| a == b))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Every `$ref` with the path of the key that holds it.
    fn refs(&self) -> Vec<(&[String], &str)> {
        self.values
            .iter()
            .filter(|(p, _)| p.last().is_some_and(|k| k == "$ref"))
            .map(|(p, v)| (&p[..p.len() - 1], v.as_str()))
            .collect()
    }
}

fn unquote(value: &str) -> String {
    let value = value.trim();
    if value.len() >= 2 && value.starts_with('"') && value.ends_with('"') {
        serde_json::from_str(value).unwrap_or_else(|e| panic!("{value}: {e}"))
    } else {
        value.to_owned()
    }
}

fn schema_names(side: &str) -> BTreeSet<String> {
    schema::json_files(&schema::protocol_dir().join("schemas").join(side))
        .into_keys()
        .collect()
}

fn set<'a>(names: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    names.into_iter().map(str::to_owned).collect()
}

/// The messages each operation names, by operation: `(action, channel, messages)`.
fn operations(doc: &Doc) -> BTreeMap<String, (String, String, BTreeSet<String>)> {
    doc.children(&["operations"])
        .into_iter()
        .map(|op| {
            let action = doc.values_at(&["operations", &op, "action"]).concat();
            let channel = doc
                .values_at(&["operations", &op, "channel", "$ref"])
                .concat()
                .strip_prefix("#/channels/")
                .unwrap_or_else(|| panic!("operation {op}: its channel is not #/channels/..."))
                .to_owned();
            let prefix = format!("#/channels/{channel}/messages/");
            let messages = doc
                .values_at(&["operations", &op, "messages", "$ref"])
                .into_iter()
                .map(|r| {
                    r.strip_prefix(&prefix)
                        .unwrap_or_else(|| {
                            panic!("operation {op}: {r} is not a message of {channel}")
                        })
                        .to_owned()
                })
                .collect();
            (op, (action, channel, messages))
        })
        .collect()
}

#[test]
fn every_schema_file_is_the_payload_of_exactly_one_message_named_by_its_type() {
    let doc = Doc::read();
    let mut referenced: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (holder, target) in doc.refs() {
        if target.starts_with('#') {
            continue;
        }
        let file = target
            .strip_prefix("./schemas/")
            .unwrap_or_else(|| panic!("{holder:?}: {target} is not under ./schemas/"));
        referenced
            .entry(file.to_owned())
            .or_default()
            .push(holder.join("."));
        // Where: components.messages.<type>.payload.schema, the type being the file's name.
        let (side, name) = file.strip_suffix(".json").unwrap().split_once('/').unwrap();
        assert!(side == "client" || side == "server", "{target}");
        assert_eq!(
            holder,
            ["components", "messages", name, "payload", "schema"],
            "{target} must be the payload schema of message {name}"
        );
    }
    let mut expected = BTreeSet::new();
    for side in ["client", "server"] {
        for (name, path) in schema::json_files(&schema::protocol_dir().join("schemas").join(side)) {
            // The message's name is its wire type, and its title is the schema's.
            let schema = schema::read_json(&path);
            assert_eq!(
                schema["properties"]["type"]["const"],
                name.as_str(),
                "{}",
                path.display()
            );
            assert_eq!(
                doc.values_at(&["components", "messages", &name, "name"]),
                [name.as_str()]
            );
            assert_eq!(
                doc.values_at(&["components", "messages", &name, "title"]),
                [schema["title"].as_str().unwrap()]
            );
            expected.insert(format!("{side}/{name}.json"));
        }
    }
    assert!(expected.len() >= 50, "only {} schema files", expected.len());
    for file in &expected {
        let holders = referenced.get(file).map(Vec::as_slice).unwrap_or_default();
        assert_eq!(
            holders.len(),
            1,
            "schemas/{file} must be referenced by exactly one message of asyncapi.yaml, is by {holders:?}"
        );
    }
    let extra: Vec<_> = referenced
        .keys()
        .filter(|f| !expected.contains(*f))
        .collect();
    assert!(
        extra.is_empty(),
        "asyncapi.yaml references schemas that do not exist: {extra:?}"
    );
}

#[test]
fn every_ref_in_the_document_resolves() {
    let doc = Doc::read();
    let refs = doc.refs();
    assert!(refs.len() > 100, "only {} $refs read", refs.len());
    for (holder, target) in refs {
        if let Some(pointer) = target.strip_prefix("#/") {
            let path: Vec<String> = pointer.split('/').map(str::to_owned).collect();
            assert!(
                doc.keys.contains(&path),
                "{}: {target} names nothing in asyncapi.yaml",
                holder.join(".")
            );
        } else {
            let file = schema::protocol_dir().join(target);
            assert!(
                Path::new(&file).is_file(),
                "{}: {target} is not a file next to asyncapi.yaml",
                holder.join(".")
            );
        }
    }
}

#[test]
fn the_messages_are_the_codes_and_each_rung_carries_its_side() {
    let doc = Doc::read();
    let client = schema_names("client");
    let server = schema_names("server");
    // The client side as the parser knows it (the server side is tied to the code through the
    // schema files by protocol_contract.rs).
    let parsed: BTreeSet<String> = ClientMessage::types()
        .iter()
        .map(|(name, _)| (*name).to_owned())
        .collect();
    assert_eq!(client, parsed, "schemas/client/ and the parser's types");

    let both: BTreeSet<String> = client.union(&server).cloned().collect();
    let channel = |id: &str| {
        let messages = doc.children(&["channels", id, "messages"]);
        for name in &messages {
            assert_eq!(
                doc.values_at(&["channels", id, "messages", name, "$ref"]),
                [format!("#/components/messages/{name}")],
                "channel {id}, message {name}"
            );
        }
        messages
    };
    assert_eq!(
        channel("websocket"),
        both,
        "the WebSocket carries every message"
    );
    assert_eq!(
        channel("send"),
        client,
        "POST /rt/send carries the client's messages"
    );
    let mut sse = server.clone();
    sse.insert("link_closed".into());
    assert_eq!(
        channel("sse"),
        sse,
        "GET /rt/sse carries the server's messages and the close"
    );

    let addresses: BTreeMap<String, String> = doc
        .children(&["channels"])
        .into_iter()
        .map(|c| {
            let address = doc.values_at(&["channels", &c, "address"]).concat();
            (c, address)
        })
        .collect();
    let paths: BTreeSet<&str> = addresses.values().map(String::as_str).collect();
    assert_eq!(
        paths,
        BTreeSet::from(["/ws", "/rt/sse", "/rt/send", "/rt/poll", "/rt/endpoints"])
    );
    assert_eq!(
        set(doc.values_at(&["channels", "websocket", "servers", "$ref"])),
        set(["#/servers/wss", "#/servers/ws"])
    );

    let ops = operations(&doc);
    let expect = |op: &str, action: &str, channel: &str, messages: &BTreeSet<String>| {
        let (a, c, m) = ops.get(op).unwrap_or_else(|| panic!("no operation {op}"));
        assert_eq!(
            (a.as_str(), c.as_str()),
            (action, channel),
            "operation {op}"
        );
        assert_eq!(m, messages, "operation {op}");
    };
    // The document describes the server: it receives what a client sends.
    expect(
        "client_sends_over_websocket",
        "receive",
        "websocket",
        &client,
    );
    expect(
        "client_receives_over_websocket",
        "send",
        "websocket",
        &server,
    );
    expect("client_sends_over_http", "receive", "send", &client);
    expect("client_opens_sse_link", "send", "sse", &sse);
    // Every message of every channel is sent or received by some operation (or its reply), and
    // the operations name no other.
    let carried: BTreeSet<String> = doc
        .children(&["channels"])
        .into_iter()
        .flat_map(|c| {
            doc.children(&["channels", &c, "messages"])
                .into_iter()
                .map(move |m| format!("#/channels/{c}/messages/{m}"))
        })
        .collect();
    let named: BTreeSet<String> = doc
        .refs()
        .into_iter()
        .filter(|(holder, target)| holder[0] == "operations" && target.contains("/messages/"))
        .map(|(_, target)| target.to_owned())
        .collect();
    assert_eq!(named, carried);
}

#[test]
fn the_reader_sees_structure_and_refuses_what_it_cannot_read() {
    let doc = Doc::parse(
        "a:\n  b: |\n    text: not a key\n  c:\n    - $ref: \"#/a/b\"\n    - $ref: \"x\"\n  d: 1\n",
    );
    assert_eq!(doc.children(&["a"]), set(["b", "c", "d"]));
    assert_eq!(doc.values_at(&["a", "c", "$ref"]), ["#/a/b", "x"]);
    assert_eq!(doc.values_at(&["a", "d"]), ["1"]);
    assert!(
        !doc.keys
            .contains(&vec!["a".to_owned(), "b".to_owned(), "text".to_owned()])
    );
    let refused = std::panic::catch_unwind(|| Doc::parse("a:\n  {b: 1}: 2\n"));
    assert!(refused.is_err());
}
