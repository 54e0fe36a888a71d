//! The protocol's JSON Schemas (`protocol/schemas/`), loaded once per test binary, so that any
//! test can hold what the server says and what a client may send to the published contract.
//!
//! Include it with `mod schema;`. Every schema file is registered with jsonschema under its `$id`,
//! so the relative `$ref`s (`../common.json#/$defs/timestamp`) resolve from memory: nothing is
//! fetched over the network or read on demand.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use jsonschema::{Registry, Validator};
use serde_json::Value;

/// Where the schemas live on the web; each file's `$id` is this plus its path.
pub const BASE_URI: &str = "https://acdhub.dev/protocol/v1/";

/// Every schema file, and a validator for each message schema.
pub struct Schemas {
    /// Each file's text as JSON, by its path under `protocol/schemas` (`server/offer.json`).
    pub documents: BTreeMap<String, Value>,
    /// By message type.
    pub client: BTreeMap<String, Validator>,
    /// By message type.
    pub server: BTreeMap<String, Validator>,
}

/// The `protocol/` folder of the repository.
pub fn protocol_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("protocol")
}

/// The `.json` files of one folder, by file stem, sorted.
pub fn json_files(dir: &Path) -> BTreeMap<String, PathBuf> {
    let entries = std::fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", dir.display()));
    let mut files = BTreeMap::new();
    for entry in entries {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
            files.insert(stem, path);
        }
    }
    files
}

/// Reads a JSON file, naming it if it is not JSON.
pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("{} is not JSON: {error}", path.display()))
}

/// The schemas, loaded and compiled on first use.
pub fn schemas() -> &'static Schemas {
    static SCHEMAS: OnceLock<Schemas> = OnceLock::new();
    SCHEMAS.get_or_init(load)
}

fn load() -> Schemas {
    let root = protocol_dir().join("schemas");
    let mut documents = BTreeMap::new();
    documents.insert(
        "common.json".to_owned(),
        read_json(&root.join("common.json")),
    );
    for side in ["client", "server"] {
        for (stem, path) in json_files(&root.join(side)) {
            documents.insert(format!("{side}/{stem}.json"), read_json(&path));
        }
    }
    for (name, document) in &documents {
        let expected = format!("{BASE_URI}{name}");
        assert_eq!(
            document["$id"].as_str(),
            Some(expected.as_str()),
            "protocol/schemas/{name}: `$id` must be its own address, or references to it break"
        );
    }
    let registry = Registry::new()
        .extend(
            documents
                .iter()
                .map(|(name, document)| (format!("{BASE_URI}{name}"), document.clone())),
        )
        .and_then(|builder| builder.prepare())
        .unwrap_or_else(|error| panic!("the schemas do not form a registry: {error}"));
    let mut client = BTreeMap::new();
    let mut server = BTreeMap::new();
    for (name, document) in &documents {
        let Some((side, file)) = name.split_once('/') else {
            continue;
        };
        let validator = jsonschema::options()
            .with_registry(&registry)
            .build(document)
            .unwrap_or_else(|error| panic!("protocol/schemas/{name} does not compile: {error}"));
        let kind = file.trim_end_matches(".json").to_owned();
        match side {
            "client" => client.insert(kind, validator),
            _ => server.insert(kind, validator),
        };
    }
    Schemas {
        documents,
        client,
        server,
    }
}

/// Every way `value` breaks the schema, one line each (`/path: what`); empty when it is valid.
pub fn problems(validator: &Validator, value: &Value) -> Vec<String> {
    validator
        .iter_errors(value)
        .map(|error| {
            let path = error.instance_path().to_string();
            let at = if path.is_empty() { "/" } else { path.as_str() };
            format!("  at {at}: {error}")
        })
        .collect()
}

/// The message's `type`, panicking with the message when it has none.
fn type_of<'v>(value: &'v Value, text: &dyn std::fmt::Display) -> &'v str {
    value["type"]
        .as_str()
        .unwrap_or_else(|| panic!("a message without a string `type`: {text}"))
}

/// Checks one message the server sent (a text frame) against the schema of its `type`, and
/// returns it parsed. Panics with the message and every validation error if it breaks the
/// contract, or if its type has no schema.
pub fn check_server_message(text: &str) -> Value {
    let value: Value = serde_json::from_str(text).unwrap_or_else(|error| {
        panic!("the server sent something that is not JSON ({error}): {text}")
    });
    let kind = type_of(&value, &text);
    let validator = schemas()
        .server
        .get(kind)
        .unwrap_or_else(|| panic!("no schema protocol/schemas/server/{kind}.json for: {text}"));
    let problems = problems(validator, &value);
    assert!(
        problems.is_empty(),
        "the server's `{kind}` breaks protocol/schemas/server/{kind}.json:\n  {text}\n{}",
        problems.join("\n")
    );
    value
}

/// Checks one client message against the schema of its `type`; panics with the message and every
/// validation error if it breaks the contract, or if its type has no schema.
pub fn check_client_message(value: &Value) {
    let kind = type_of(value, value);
    let validator = schemas()
        .client
        .get(kind)
        .unwrap_or_else(|| panic!("no schema protocol/schemas/client/{kind}.json for: {value}"));
    let problems = problems(validator, value);
    assert!(
        problems.is_empty(),
        "the client's `{kind}` breaks protocol/schemas/client/{kind}.json:\n  {value}\n{}",
        problems.join("\n")
    );
}
